//! One line of "what did this fetch do": the record every fetch leaves in its
//! call's report and in the `vxb::fetch` tracing target.

use std::time::Duration;

use serde::{Serialize, Serializer};

use super::tier::TierStatus;
use crate::cache::Decision;
use crate::resource::ResourceType;

/// What one fetch did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FetchRecord {
    /// The URL asked for.
    pub url: String,
    /// Where the body came from, after redirects (equal to `url` without).
    pub final_url: String,
    /// What the fetch was for (document, script, audio…), which picks the
    /// cache budget it counts against.
    pub rtype: ResourceType,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Whether a response was had, what the cache did with it, and why the
    /// call could not use it.
    #[serde(flatten)]
    pub result: FetchResult,
    /// What the shared tier (a caching proxy on the way) did, when the
    /// fetch went to the network through one that said.
    pub tier: Option<TierStatus>,
    /// Body bytes delivered (from the origin or the cache).
    pub bytes: u64,
    /// Wall time the fetch took.
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
    /// Redirects followed.
    pub redirects: u32,
}

/// How a fetch ended. A cache decision and a status exist exactly when a
/// response was had; a failure exists exactly when the call could not use
/// what it asked for — so "a decision but no status" or "a failure with
/// nothing to say" cannot be written down.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchResult {
    /// A response the call used.
    Delivered {
        /// What the cache did.
        decision: Decision,
        /// The HTTP status of the final response (200 for `file:`).
        status: u16,
    },
    /// A response the call refused: a 4xx/5xx where a document, script,
    /// grammar or data was wanted. The record still says what the cache did.
    Refused {
        /// What the cache did.
        decision: Decision,
        /// The 4xx/5xx status.
        status: u16,
        /// The event it raises.
        failure: Failure,
    },
    /// No usable response was had: timeout, connection, redirect loop, or a
    /// body that does not parse.
    Failed(Failure),
}

/// Why the call could not use what a fetch brought.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The failure, one line.
    pub error: String,
    /// The VoiceXML event it raises.
    pub event: String,
    /// A refused body's failure as rustc would show it (source line and
    /// caret), for a person; absent for every other failure.
    pub diagnostic: Option<String>,
}

impl FetchResult {
    /// The cache decision, when a response was had.
    pub fn decision(&self) -> Option<Decision> {
        match self {
            FetchResult::Delivered { decision, .. } | FetchResult::Refused { decision, .. } => {
                Some(*decision)
            }
            FetchResult::Failed(_) => None,
        }
    }

    /// The HTTP status of the final response, when one was had.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchResult::Delivered { status, .. } | FetchResult::Refused { status, .. } => {
                Some(*status)
            }
            FetchResult::Failed(_) => None,
        }
    }

    /// Why the call could not use the fetch, if it could not.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            FetchResult::Delivered { .. } => None,
            FetchResult::Refused { failure, .. } | FetchResult::Failed(failure) => Some(failure),
        }
    }
}

impl FetchRecord {
    /// The cache decision; `None` when the fetch failed before a response
    /// was had (timeout, connection, redirect loop…).
    pub fn decision(&self) -> Option<Decision> {
        self.result.decision()
    }

    /// The HTTP status of the final response (200 for `file:`), if any.
    pub fn status(&self) -> Option<u16> {
        self.result.status()
    }

    /// The failure, one line, when the fetch failed.
    pub fn error(&self) -> Option<&str> {
        self.result.failure().map(|f| f.error.as_str())
    }

    /// The VoiceXML event of the failure.
    pub fn event(&self) -> Option<&str> {
        self.result.failure().map(|f| f.event.as_str())
    }

    /// A refused body's failure as rustc would show it.
    pub fn diagnostic(&self) -> Option<&str> {
        self.result.failure().and_then(|f| f.diagnostic.as_deref())
    }
}

/// The report's shape of a [`FetchResult`]: the flat `decision`, `status`,
/// `error`, `event` (and, when there is one, `diagnostic`) fields.
impl Serialize for FetchResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            decision: Option<Decision>,
            status: Option<u16>,
            error: Option<&'a str>,
            event: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            diagnostic: Option<&'a str>,
        }
        let failure = self.failure();
        Flat {
            decision: self.decision(),
            status: self.status(),
            error: failure.map(|f| f.error.as_str()),
            event: failure.map(|f| f.event.as_str()),
            diagnostic: failure.and_then(|f| f.diagnostic.as_deref()),
        }
        .serialize(s)
    }
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::tier::TierDecision;

    #[test]
    fn serializes_for_the_report() {
        let r = FetchRecord {
            url: "http://h/a".into(),
            final_url: "http://h/b".into(),
            rtype: ResourceType::Audio,
            method: "GET",
            result: FetchResult::Delivered {
                decision: Decision::Miss,
                status: 200,
            },
            tier: Some(TierStatus {
                decision: TierDecision::Hit,
                age: Some(Duration::from_secs(12)),
                cache: Some("vxb-tier".into()),
            }),
            bytes: 10,
            elapsed: Duration::from_micros(1500),
            redirects: 1,
        };
        let v = serde_json::to_value(&r).expect("serializes");
        assert_eq!(v["rtype"], "audio");
        assert_eq!(v["decision"], "miss");
        assert_eq!(v["tier"]["decision"], "hit");
        assert_eq!(v["tier"]["age_s"], 12);
        assert_eq!(v["tier"]["cache"], "vxb-tier");
        assert_eq!(v["elapsed_ms"], 1.5);
        assert_eq!(v["status"], 200);
        assert!(v["error"].is_null());
        assert!(v.get("diagnostic").is_none());
    }

    #[test]
    fn a_refused_response_keeps_its_decision_and_names_its_event() {
        let r = FetchResult::Refused {
            decision: Decision::Hit,
            status: 404,
            failure: Failure {
                error: "http://h/a: HTTP 404".into(),
                event: "error.badfetch.http.404".into(),
                diagnostic: None,
            },
        };
        assert_eq!(r.decision(), Some(Decision::Hit));
        assert_eq!(r.status(), Some(404));
        let v = serde_json::to_value(&r).expect("serializes");
        assert_eq!(v["decision"], "hit");
        assert_eq!(v["status"], 404);
        assert_eq!(v["event"], "error.badfetch.http.404");
        let failed = FetchResult::Failed(Failure {
            error: "timed out".into(),
            event: "error.badfetch".into(),
            diagnostic: Some("error: …".into()),
        });
        let v = serde_json::to_value(&failed).expect("serializes");
        assert!(v["decision"].is_null() && v["status"].is_null());
        assert_eq!(v["diagnostic"], "error: …");
    }
}
