//! `Cache-Status` (RFC 9211): what a cache did with a request, one list
//! member per cache on the way, the one nearest the origin first.
//!
//! One module writes and reads it, so the two cannot drift apart: `vxb
//! proxy` (and `vxb fetch`) write vxb's own member, derived from the hop's
//! [`Outcome`]; the shared tier's reader ([`super::tier`]) parses the
//! members an upstream cache (Squid, another `vxb proxy`) wrote. Both go
//! through the `sfv` crate, the structured-field syntax RFC 9211 uses.
//!
//! vxb's member, by outcome:
//!
//! | outcome | member |
//! |---|---|
//! | hit | `vxb; hit; ttl=120` |
//! | stale under `max-stale` | `vxb; hit; ttl=-30` |
//! | stale because the origin failed | `vxb; fwd=stale; fwd-status=503; ttl=-30` |
//! | revalidated (304) | `vxb; fwd=stale; fwd-status=304; stored; ttl=600` |
//! | refreshed (new body) | `vxb; fwd=stale; fwd-status=200; stored; ttl=600` |
//! | miss | `vxb; fwd=uri-miss; fwd-status=200; stored; ttl=600` |
//! | another call's fetch served | `vxb; fwd=miss; collapsed; ttl=600` |
//! | not storable / other methods | `vxb; fwd=uri-miss; fwd-status=200` / `vxb; fwd=method; …` |
//! | `only-if-cached`, nothing stored | `vxb; detail="only-if-cached"` |
//!
//! `ttl` (remaining freshness, negative when stale) is given for a response
//! the cache holds or served; `stored` when this response was stored (for
//! every call or for the fetching one).

use http::StatusCode;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use sfv::{BareItem, KeyRef, ListEntry, Parser, TokenRef};

use super::error::FetchError;
use super::outcome::{Forward, Outcome};

/// The `Cache-Status` field name.
pub const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");

/// vxb's name in `Cache-Status`.
pub const CACHE_NAME: &str = "vxb";

/// One member of `Cache-Status`: one cache's account of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStatus {
    /// The cache's name (a token or a string).
    pub cache: String,
    /// Served from the cache without asking the origin.
    pub hit: bool,
    /// Why the request went forward (`uri-miss`, `vary-miss`, `stale`,
    /// `method`, `miss`, `request`, `bypass`, …), if it did.
    pub fwd: Option<String>,
    /// The status the next hop answered the forwarded request with.
    pub fwd_status: Option<u16>,
    /// Remaining freshness in seconds; negative when stale.
    pub ttl: Option<i64>,
    /// The response was stored.
    pub stored: bool,
    /// The request was collapsed with another one going forward.
    pub collapsed: bool,
    /// Free text (vxb: `only-if-cached`).
    pub detail: Option<String>,
}

impl CacheStatus {
    /// A member naming `cache` that says nothing yet.
    pub fn named(cache: &str) -> CacheStatus {
        CacheStatus {
            cache: cache.to_string(),
            hit: false,
            fwd: None,
            fwd_status: None,
            ttl: None,
            stored: false,
            collapsed: false,
            detail: None,
        }
    }

    /// vxb's member for a hop that ended in `outcome` with a response of
    /// `status`, `ttl` seconds of freshness left (`None` when the response
    /// is not held).
    pub fn of(outcome: &Outcome, status: StatusCode, ttl: Option<i64>) -> CacheStatus {
        let mut s = CacheStatus {
            ttl,
            stored: outcome.stored(),
            ..CacheStatus::named(CACHE_NAME)
        };
        let fwd = |s: &mut CacheStatus, why: &str, status: Option<StatusCode>| {
            s.fwd = Some(why.to_string());
            s.fwd_status = status.map(|c| c.as_u16());
        };
        match outcome {
            Outcome::Hit | Outcome::Stale { failed: None } => s.hit = true,
            Outcome::Collapsed => {
                fwd(&mut s, "miss", None);
                s.collapsed = true;
            }
            Outcome::Stale {
                failed: Some(failure),
            } => {
                let code = match failure {
                    FetchError::Status { status, .. } => Some(*status),
                    _ => None,
                };
                fwd(&mut s, Forward::Stale.as_str(), code);
            }
            Outcome::Revalidated { .. } => {
                fwd(
                    &mut s,
                    Forward::Revalidation.as_str(),
                    Some(StatusCode::NOT_MODIFIED),
                );
            }
            Outcome::Fetched { forward, .. } => fwd(&mut s, forward.as_str(), Some(status)),
            // Neither a hit nor forwarded: the origin was not asked.
            Outcome::Unsatisfied => s.detail = Some("only-if-cached".to_string()),
        }
        s
    }

    /// vxb's member for an answer the proxy made itself because the origin
    /// could not be asked (unreachable, timed out): forwarded, no status.
    pub fn failed(method_bypass: bool) -> CacheStatus {
        CacheStatus {
            fwd: Some(if method_bypass { "method" } else { "miss" }.to_string()),
            ..CacheStatus::named(CACHE_NAME)
        }
    }

    /// The member as structured-field text: `vxb; fwd=stale; fwd-status=304`.
    pub fn to_header_value(&self) -> HeaderValue {
        let name: BareItem = match TokenRef::from_str(&self.cache) {
            Ok(t) => BareItem::Token(t.to_owned()),
            Err(_) => match sfv::String::from_string(self.cache.clone()) {
                Ok(s) => BareItem::String(s),
                Err(_) => BareItem::Token(TokenRef::constant("unnamed").to_owned()),
            },
        };
        let mut item = sfv::ItemSerializer::new().bare_item(&name);
        if self.hit {
            item = item.parameter(KeyRef::constant("hit"), true);
        }
        if let Some(fwd) = self.fwd.as_deref().and_then(|f| TokenRef::from_str(f).ok()) {
            item = item.parameter(KeyRef::constant("fwd"), fwd);
        }
        if let Some(code) = self.fwd_status {
            item = item.parameter(KeyRef::constant("fwd-status"), integer(i64::from(code)));
        }
        if let Some(ttl) = self.ttl {
            item = item.parameter(KeyRef::constant("ttl"), integer(ttl));
        }
        if self.stored {
            item = item.parameter(KeyRef::constant("stored"), true);
        }
        if self.collapsed {
            item = item.parameter(KeyRef::constant("collapsed"), true);
        }
        if let Some(detail) = self
            .detail
            .as_deref()
            .and_then(|d| sfv::StringRef::from_str(d).ok())
        {
            item = item.parameter(KeyRef::constant("detail"), detail);
        }
        let text = item.finish();
        // Structured-field serialisation produces visible ASCII only.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(CACHE_NAME))
    }

    /// Every member of the response's `Cache-Status` lines, in order (the
    /// cache nearest the origin first). Empty when absent or not a valid
    /// structured list; members that are not a named item are skipped.
    pub fn parse(headers: &HeaderMap) -> Vec<CacheStatus> {
        let text: Vec<&str> = headers
            .get_all(CACHE_STATUS)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if text.is_empty() {
            return Vec::new();
        }
        let Ok(list) = Parser::new(&text.join(", ")).parse::<sfv::List>() else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|entry| {
                let ListEntry::Item(item) = entry else {
                    return None;
                };
                let cache = match &item.bare_item {
                    BareItem::Token(t) => t.as_str().to_string(),
                    BareItem::String(s) => s.as_str().to_string(),
                    _ => return None,
                };
                let param = |key: &str| item.params.get(key);
                let flag = |key: &str| param(key).and_then(BareItem::as_boolean) == Some(true);
                let number = |key: &str| param(key).and_then(BareItem::as_integer).map(i64::from);
                Some(CacheStatus {
                    hit: flag("hit"),
                    fwd: param("fwd")
                        .and_then(|v| v.as_token())
                        .map(|t| t.as_str().to_string()),
                    fwd_status: number("fwd-status").and_then(|n| u16::try_from(n).ok()),
                    ttl: number("ttl"),
                    stored: flag("stored"),
                    collapsed: flag("collapsed"),
                    detail: param("detail")
                        .and_then(|v| v.as_string())
                        .map(|s| s.as_str().to_string()),
                    ..CacheStatus::named(&cache)
                })
            })
            .collect()
    }
}

/// An sf-integer; ttl and status values are far inside its 15 digits, the
/// clamp only keeps an absurd one from being dropped.
fn integer(n: i64) -> sfv::Integer {
    const LIMIT: i64 = 999_999_999_999_999;
    sfv::Integer::try_from(n.clamp(-LIMIT, LIMIT)).unwrap_or(sfv::Integer::constant(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{Kept, NotCached};

    fn text(s: &CacheStatus) -> String {
        s.to_header_value().to_str().expect("ascii").to_string()
    }

    fn round_trip(s: &CacheStatus) -> CacheStatus {
        let mut h = HeaderMap::new();
        h.insert(CACHE_STATUS, s.to_header_value());
        let mut parsed = CacheStatus::parse(&h);
        assert_eq!(parsed.len(), 1, "{}", text(s));
        parsed.remove(0)
    }

    #[test]
    fn every_outcome_has_its_member_and_reads_back() {
        let ok = StatusCode::OK;
        let cases = [
            (Outcome::Hit, ok, Some(120), "vxb;hit;ttl=120"),
            (
                Outcome::Stale { failed: None },
                ok,
                Some(-30),
                "vxb;hit;ttl=-30",
            ),
            (
                Outcome::Stale {
                    failed: Some(FetchError::status(
                        &url::Url::parse("http://127.0.0.1/").expect("url"),
                        StatusCode::SERVICE_UNAVAILABLE,
                    )),
                },
                ok,
                Some(-30),
                "vxb;fwd=stale;fwd-status=503;ttl=-30",
            ),
            (
                Outcome::Revalidated { kept: Kept::Shared },
                ok,
                Some(600),
                "vxb;fwd=stale;fwd-status=304;ttl=600;stored",
            ),
            (
                Outcome::Fetched {
                    forward: Forward::Revalidation,
                    kept: Kept::Private,
                },
                ok,
                Some(600),
                "vxb;fwd=stale;fwd-status=200;ttl=600;stored",
            ),
            (
                Outcome::Fetched {
                    forward: Forward::UriMiss,
                    kept: Kept::Shared,
                },
                ok,
                Some(600),
                "vxb;fwd=uri-miss;fwd-status=200;ttl=600;stored",
            ),
            (
                Outcome::Fetched {
                    forward: Forward::VaryMiss,
                    kept: Kept::No(NotCached::OnlyIfCached),
                },
                StatusCode::NOT_FOUND,
                None,
                "vxb;fwd=vary-miss;fwd-status=404",
            ),
            (
                Outcome::Fetched {
                    forward: Forward::Method,
                    kept: Kept::No(NotCached::OnlyIfCached),
                },
                ok,
                None,
                "vxb;fwd=method;fwd-status=200",
            ),
            (
                Outcome::Collapsed,
                ok,
                Some(10),
                "vxb;fwd=miss;ttl=10;collapsed",
            ),
            (
                Outcome::Unsatisfied,
                StatusCode::GATEWAY_TIMEOUT,
                None,
                "vxb;detail=\"only-if-cached\"",
            ),
        ];
        for (outcome, status, ttl, want) in cases {
            let s = CacheStatus::of(&outcome, status, ttl);
            assert_eq!(text(&s), want, "{outcome:?}");
            assert_eq!(round_trip(&s), s, "{want}");
        }
        assert_eq!(text(&CacheStatus::failed(false)), "vxb;fwd=miss");
        assert_eq!(text(&CacheStatus::failed(true)), "vxb;fwd=method");
    }

    #[test]
    fn a_chain_of_caches_parses_in_order_and_bad_lists_are_empty() {
        let mut h = HeaderMap::new();
        h.append(
            CACHE_STATUS,
            HeaderValue::from_static("Origin; fwd=uri-miss"),
        );
        h.append(
            CACHE_STATUS,
            HeaderValue::from_static("\"squid node\"; hit; ttl=376, (inner list)"),
        );
        let members = CacheStatus::parse(&h);
        let names: Vec<&str> = members.iter().map(|m| m.cache.as_str()).collect();
        assert_eq!(names, ["Origin", "squid node"]);
        assert!(members[1].hit && members[1].ttl == Some(376));
        assert_eq!(members[0].fwd.as_deref(), Some("uri-miss"));
        let mut bad = HeaderMap::new();
        bad.insert(CACHE_STATUS, HeaderValue::from_static("a;;b=("));
        assert!(CacheStatus::parse(&bad).is_empty());
        assert!(CacheStatus::parse(&HeaderMap::new()).is_empty());
        // A name that is not a token is written as a string.
        let spaced = CacheStatus::named("my cache");
        assert_eq!(text(&spaced), "\"my cache\"");
    }
}
