//! One line of "what did this fetch do": the record every fetch leaves in its
//! call's report (spec §5) and in the `vxb::fetch` tracing target.

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
    pub rtype: ResourceType,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The cache decision; `None` when the fetch failed before a response
    /// was had (timeout, connection, redirect loop…).
    pub decision: Option<Decision>,
    /// What the shared tier (a caching proxy on the way) did, when the
    /// fetch went to the network through one that said.
    pub tier: Option<TierStatus>,
    /// The HTTP status of the final response (200 for `file:`), if any.
    pub status: Option<u16>,
    /// Body bytes delivered (from the origin or the cache).
    pub bytes: u64,
    /// Wall time the fetch took.
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
    /// Redirects followed.
    pub redirects: u32,
    /// The failure, one line, when the fetch failed.
    pub error: Option<String>,
    /// The VoiceXML event of the failure.
    pub event: Option<String>,
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
            decision: Some(Decision::Miss),
            tier: Some(TierStatus {
                decision: TierDecision::Hit,
                age: Some(Duration::from_secs(12)),
                cache: Some("vxb-tier".into()),
            }),
            status: Some(200),
            bytes: 10,
            elapsed: Duration::from_micros(1500),
            redirects: 1,
            error: None,
            event: None,
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
    }
}
