//! What one fetch hop did with the cache: one [`Outcome`], from which
//! everything else that reports it is derived — the spec's [`Decision`]
//! (for the `FetchRecord`, the statistics counter and `X-Cache`), why a
//! response was not stored, whether a single flight may hand the response to
//! its followers, and the proxy's failure.
//!
//! Before it, a hop carried a decision, a "not cached" reason, a "shared"
//! flag and a failure side by side, and nothing but care kept them
//! consistent (a `hit` that was "not cached", a `miss` that "failed"…). Each
//! variant here holds only what that outcome can have.

use super::error::FetchError;
use super::fetcher::NotCached;
use crate::cache::Decision;

/// Where a response that came from the origin was kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Stored for every call.
    Shared,
    /// Stored for the fetching call alone (`private`, or `Set-Cookie`
    /// without `public`).
    Private,
    /// Not stored, and why.
    No(NotCached),
}

/// Why the origin was asked for a new response (RFC 9211's `fwd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Nothing was stored under the URL (`uri-miss`).
    UriMiss,
    /// Something was stored under the URL, for other `Vary` values
    /// (`vary-miss`).
    VaryMiss,
    /// A stored response could not be used and had no validators: asked
    /// anew, as on a miss (`stale`).
    Stale,
    /// A stored response was revalidated and the origin answered with a new
    /// body (`stale`; the spec's `refreshed`).
    Revalidation,
    /// The method is never answered from the cache (`method`).
    Method,
}

impl Forward {
    /// RFC 9211's token for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Forward::UriMiss => "uri-miss",
            Forward::VaryMiss => "vary-miss",
            Forward::Stale | Forward::Revalidation => "stale",
            Forward::Method => "method",
        }
    }
}

/// What one hop did with the cache.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Served from the cache without asking the origin.
    Hit,
    /// Served the response another call's request brought in and stored for
    /// every call (a single flight's follower): this call did not ask the
    /// origin, so it counts as a hit.
    Collapsed,
    /// Served stale from the cache: within the request's `max-stale`
    /// (`failed: None`), or because the origin failed like this and
    /// `stale-if-error` allowed it.
    Stale { failed: Option<FetchError> },
    /// The origin answered a conditional request with 304: the stored body
    /// was served, its headers updated; `kept` says whether the updated
    /// entry is still stored.
    Revalidated { kept: Kept },
    /// A new response from the origin, asked for because of `forward`.
    Fetched { forward: Forward, kept: Kept },
    /// The request said `only-if-cached` and nothing stored could serve it:
    /// a 504 made here, the origin not asked.
    Unsatisfied,
}

impl Outcome {
    /// The spec's decision: what the record, the statistics and `X-Cache`
    /// report.
    pub fn decision(&self) -> Decision {
        match self {
            Outcome::Hit | Outcome::Collapsed => Decision::Hit,
            Outcome::Stale { .. } => Decision::Stale,
            Outcome::Revalidated { .. } => Decision::Revalidated,
            Outcome::Fetched {
                kept: Kept::No(_), ..
            } => Decision::Bypass,
            Outcome::Fetched {
                forward: Forward::Revalidation,
                ..
            } => Decision::Refreshed,
            Outcome::Fetched { .. } | Outcome::Unsatisfied => Decision::Miss,
        }
    }

    /// Why the response served is not stored, if it is not.
    pub fn not_cached(&self) -> Option<&NotCached> {
        match self {
            Outcome::Revalidated {
                kept: Kept::No(why),
            }
            | Outcome::Fetched {
                kept: Kept::No(why),
                ..
            } => Some(why),
            Outcome::Unsatisfied => Some(&NotCached::OnlyIfCached),
            _ => None,
        }
    }

    /// The origin failure a stale response stands in for.
    pub fn failed(&self) -> Option<&FetchError> {
        match self {
            Outcome::Stale { failed } => failed.as_ref(),
            _ => None,
        }
    }

    /// Whether the hop stored what it served for every call, so that a
    /// single flight's leader may hand it to its followers.
    pub fn stored_shared(&self) -> bool {
        matches!(
            self,
            Outcome::Revalidated { kept: Kept::Shared }
                | Outcome::Fetched {
                    kept: Kept::Shared,
                    ..
                }
        )
    }

    /// Whether a new or updated response was stored (RFC 9211's `stored`).
    pub fn stored(&self) -> bool {
        matches!(
            self,
            Outcome::Revalidated {
                kept: Kept::Shared | Kept::Private
            } | Outcome::Fetched {
                kept: Kept::Shared | Kept::Private,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::policy::NotStored;

    fn no() -> Kept {
        Kept::No(NotCached::Policy(NotStored::NoStore))
    }

    #[test]
    fn each_outcome_has_one_decision() {
        let fetched = |forward, kept| Outcome::Fetched { forward, kept };
        let cases = [
            (Outcome::Hit, Decision::Hit),
            (Outcome::Collapsed, Decision::Hit),
            (Outcome::Stale { failed: None }, Decision::Stale),
            (Outcome::Revalidated { kept: no() }, Decision::Revalidated),
            (fetched(Forward::UriMiss, Kept::Shared), Decision::Miss),
            (fetched(Forward::VaryMiss, Kept::Private), Decision::Miss),
            (fetched(Forward::Stale, Kept::Shared), Decision::Miss),
            (
                fetched(Forward::Revalidation, Kept::Shared),
                Decision::Refreshed,
            ),
            (fetched(Forward::Revalidation, no()), Decision::Bypass),
            (fetched(Forward::Method, no()), Decision::Bypass),
            (Outcome::Unsatisfied, Decision::Miss),
        ];
        for (outcome, decision) in cases {
            assert_eq!(outcome.decision(), decision, "{outcome:?}");
        }
    }

    #[test]
    fn only_stored_outcomes_are_shared_and_only_unstored_ones_say_why() {
        let shared = Outcome::Fetched {
            forward: Forward::UriMiss,
            kept: Kept::Shared,
        };
        assert!(shared.stored_shared() && shared.stored());
        assert_eq!(shared.not_cached(), None);
        let private = Outcome::Revalidated {
            kept: Kept::Private,
        };
        assert!(!private.stored_shared() && private.stored());
        let bypass = Outcome::Fetched {
            forward: Forward::UriMiss,
            kept: no(),
        };
        assert!(!bypass.stored());
        assert_eq!(
            bypass.not_cached(),
            Some(&NotCached::Policy(NotStored::NoStore))
        );
        assert!(!Outcome::Hit.stored_shared() && !Outcome::Hit.stored());
        assert_eq!(
            Outcome::Unsatisfied.not_cached(),
            Some(&NotCached::OnlyIfCached)
        );
    }
}
