//! The shared caching tier: an HTTP proxy (Squid, say) that many vxb
//! processes fetch through, so a URL one browser fetched is a tier hit for
//! the next instead of an origin request.
//!
//! This module decides which proxy, if any, a request goes through
//! (`fetch.proxy`, `fetch.no_proxy`, `fetch.proxy_select`) and hands that to
//! the HTTP client. Several proxies are one tier when each URL is always sent
//! to the same node: rendezvous hashing ([`pick`]) does that on the client,
//! as CARP does between Squid peers.
//!
//! It also reads what the tier did with a request ([`TierStatus`]) from the
//! response: `Cache-Status` (RFC 9211, read by [`super::status`]), else `X-Cache` / `X-Cache-Lookup`
//! (Squid 5, Varnish-style caches, `vxb proxy`), and `Age`.

use std::fmt;
use std::hash::Hasher;
use std::time::Duration;

use http::HeaderMap;
use http::header::AGE;
use reqwest::{ClientBuilder, NoProxy, Proxy};
use serde::Serialize;
use siphasher::sip::SipHasher13;
use url::Url;

use super::status::CacheStatus;
use crate::config::{FetchConfig, ProxySelect, ProxySetting};

/// The proxy of `proxies` that `url` belongs to: the one with the highest
/// hash of (proxy, URL). Every process computes the same answer (SipHash
/// with fixed keys, not the per-process random `RandomState`), and removing
/// a proxy moves only the URLs that lived on it. `None` only for an empty list.
pub fn pick<'a>(proxies: &'a [Url], url: &Url) -> Option<&'a Url> {
    pick_index(proxies, url).map(|i| &proxies[i])
}

/// [`pick`]'s choice, as an index into `proxies`.
pub fn pick_index(proxies: &[Url], url: &Url) -> Option<usize> {
    let weight = |proxy: &Url| {
        let mut h = SipHasher13::new_with_keys(0, 0);
        h.write(proxy.as_str().as_bytes());
        h.write_u8(0xff); // no (proxy, URL) pair runs into another
        h.write(url.as_str().as_bytes());
        h.finish()
    };
    // `max_by_key` keeps the last of equal weights; reverse so the first wins.
    (0..proxies.len())
        .rev()
        .max_by_key(|&i| weight(&proxies[i]))
}

/// The HTTP clients for `fetch.proxy`, made from `builder()`: one, or with
/// several proxies one per proxy, in their order — the fetcher sends each
/// request on the client of the proxy [`pick`] names. (reqwest's own
/// per-request proxy choice sees only the scheme, host and port, which
/// would put a whole origin on one node.)
pub(super) fn clients(
    builder: impl Fn() -> ClientBuilder,
    fetch: &FetchConfig,
) -> reqwest::Result<Vec<ClientBuilder>> {
    let no_proxy = |extra: Option<String>| {
        let list: Vec<&str> = fetch
            .no_proxy
            .iter()
            .map(String::as_str)
            .chain(extra.as_deref())
            .collect();
        NoProxy::from_string(&list.join(","))
    };
    Ok(match &fetch.proxy {
        ProxySetting::None => vec![builder().no_proxy()],
        // reqwest reads HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY itself.
        ProxySetting::Env if fetch.no_proxy.is_empty() => vec![builder()],
        ProxySetting::Env => {
            // The same variables, with `no_proxy` added to the environment's.
            let no = no_proxy(env(["NO_PROXY", "no_proxy"]));
            let mut b = builder().no_proxy();
            let kinds: [(_, MakeProxy); 3] = [
                (["HTTP_PROXY", "http_proxy"], Proxy::http),
                (["HTTPS_PROXY", "https_proxy"], Proxy::https),
                (["ALL_PROXY", "all_proxy"], Proxy::all),
            ];
            for (names, make) in kinds {
                if let Some(url) = env(names) {
                    b = b.proxy(make(url)?.no_proxy(no.clone()));
                }
            }
            vec![b]
        }
        ProxySetting::Urls(list) => {
            let ProxySelect::Hash = fetch.proxy_select;
            list.urls()
                .iter()
                .map(|node| {
                    let proxy = Proxy::all(node.as_str())?.no_proxy(no_proxy(None));
                    Ok(builder().no_proxy().proxy(proxy))
                })
                .collect::<reqwest::Result<Vec<_>>>()?
        }
    })
}

/// `Proxy::http`, `Proxy::https` or `Proxy::all`.
type MakeProxy = fn(String) -> reqwest::Result<Proxy>;

/// The first of `names` set (and not empty) in the environment.
fn env(names: [&str; 2]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// What the shared tier did with a request, as its response says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TierStatus {
    pub decision: TierDecision,
    /// The response's `Age`: how long the tier had held it.
    #[serde(rename = "age_s", serialize_with = "secs")]
    pub age: Option<Duration>,
    /// The cache's name (`Cache-Status`'s member, `X-Cache`'s `from …`).
    pub cache: Option<String>,
}

/// The tier's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TierDecision {
    /// Answered from the tier's cache: no origin request.
    Hit,
    /// The tier held a copy and asked the origin about it.
    Revalidated,
    /// The tier fetched the response from the origin.
    Miss,
}

impl TierDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            TierDecision::Hit => "hit",
            TierDecision::Revalidated => "revalidated",
            TierDecision::Miss => "miss",
        }
    }
}

impl fmt::Display for TierStatus {
    /// `tier hit, age 12s`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tier {}", self.decision.as_str())?;
        if let Some(age) = self.age {
            write!(f, ", age {}s", age.as_secs())?;
        }
        Ok(())
    }
}

/// A decision with the tier's after it: `miss (tier hit, age 12s)`.
pub fn with_tier(decision: &str, tier: Option<&TierStatus>) -> String {
    match tier {
        Some(t) => format!("{decision} ({t})"),
        None => decision.to_string(),
    }
}

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs()),
        None => s.serialize_none(),
    }
}

const X_CACHE: &str = "x-cache";
const X_CACHE_LOOKUP: &str = "x-cache-lookup";

impl TierStatus {
    /// The tier's decision in `headers` (a response that came over the
    /// network), or `None` when no cache on the way said anything.
    ///
    /// With several caches on the way (a CARP parent behind an edge node),
    /// the origin was spared when any of them hit: that is the decision.
    pub fn from_headers(headers: &HeaderMap) -> Option<TierStatus> {
        let age = headers
            .get(AGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let (decision, cache) = cache_status(headers).or_else(|| x_cache(headers))?;
        Some(TierStatus {
            decision,
            age,
            cache,
        })
    }
}

/// RFC 9211 ([`CacheStatus`]): a list of caches, nearest the origin first:
/// `hit`, or `fwd=<reason>` (`fwd=stale` with `fwd-status=304` is a
/// revalidation). A member that neither hit nor forwarded said nothing
/// about this response.
fn cache_status(headers: &HeaderMap) -> Option<(TierDecision, Option<String>)> {
    let seen = CacheStatus::parse(headers)
        .into_iter()
        .filter_map(|m| {
            let decision = match (m.hit, m.fwd.as_deref(), m.fwd_status) {
                (true, _, _) => TierDecision::Hit,
                (false, Some("stale"), Some(304)) => TierDecision::Revalidated,
                (false, Some(_), _) => TierDecision::Miss,
                (false, None, _) => return None,
            };
            Some((decision, Some(m.cache)))
        })
        .collect();
    spared(seen)
}

/// `X-Cache: HIT from node` (one per cache, the nearest the origin first),
/// with `X-Cache-Lookup: HIT` on a miss meaning the cache held a stale copy
/// and asked the origin. `vxb proxy` says its own decision (`hit`,
/// `revalidated`, `stale`, `miss`, …).
fn x_cache(headers: &HeaderMap) -> Option<(TierDecision, Option<String>)> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let lookups = values(X_CACHE_LOOKUP);
    let seen: Vec<_> = values(X_CACHE)
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut words = v.split_whitespace();
            let word = words.next().unwrap_or_default().to_ascii_lowercase();
            let cache = match (words.next(), words.next()) {
                (Some(from), Some(name)) if from.eq_ignore_ascii_case("from") => {
                    Some(name.to_string())
                }
                _ => None,
            };
            let looked_up_hit = lookups
                .get(i)
                .is_some_and(|l| l.to_ascii_lowercase().starts_with("hit"));
            let decision = match word.as_str() {
                "hit" | "stale" => TierDecision::Hit,
                "revalidated" => TierDecision::Revalidated,
                _ if looked_up_hit => TierDecision::Revalidated,
                _ => TierDecision::Miss,
            };
            (decision, cache)
        })
        .collect();
    spared(seen)
}

/// Of the caches' decisions, the one that decided whether the origin was
/// asked: the first hit, else the first revalidation, else the first.
fn spared(seen: Vec<(TierDecision, Option<String>)>) -> Option<(TierDecision, Option<String>)> {
    [TierDecision::Hit, TierDecision::Revalidated]
        .iter()
        .find_map(|want| seen.iter().find(|(d, _)| d == want).cloned())
        .or_else(|| seen.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(pairs: &[(&str, &str)]) -> Option<TierStatus> {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                http::HeaderValue::from_str(v).expect("value"),
            );
        }
        TierStatus::from_headers(&h)
    }

    #[test]
    fn squid_x_cache_hit_with_age() {
        let s = status(&[
            ("x-cache", "HIT from vxb-tier"),
            ("x-cache-lookup", "HIT from vxb-tier:3128"),
            ("age", "12"),
        ])
        .expect("a tier status");
        assert_eq!(s.decision, TierDecision::Hit);
        assert_eq!(s.age, Some(Duration::from_secs(12)));
        assert_eq!(s.cache.as_deref(), Some("vxb-tier"));
        assert_eq!(s.to_string(), "tier hit, age 12s");
        let json = serde_json::to_value(&s).expect("serializes");
        assert_eq!(json["decision"], "hit");
        assert_eq!(json["age_s"], 12);
    }

    #[test]
    fn squid_miss_and_refresh() {
        let miss = status(&[
            ("x-cache", "MISS from t"),
            ("x-cache-lookup", "MISS from t:3128"),
        ]);
        assert_eq!(miss.map(|s| s.decision), Some(TierDecision::Miss));
        let refresh = status(&[
            ("x-cache", "MISS from t"),
            ("x-cache-lookup", "HIT from t:3128"),
        ]);
        assert_eq!(refresh.map(|s| s.decision), Some(TierDecision::Revalidated));
        assert_eq!(status(&[("age", "3")]), None, "no cache said anything");
    }

    #[test]
    fn two_squids_one_hit_spares_the_origin() {
        let s = status(&[
            ("x-cache", "HIT from parent"),
            ("x-cache", "MISS from edge"),
        ]);
        assert_eq!(s.expect("status").cache.as_deref(), Some("parent"));
    }

    #[test]
    fn vxb_proxy_says_its_own_decision() {
        // Upper case as `vxb proxy` sends it now; lower case as it used to.
        for word in ["REVALIDATED", "revalidated"] {
            let s = status(&[("x-cache", word), ("age", "0")]).expect("status");
            assert_eq!(s.decision, TierDecision::Revalidated, "{word}");
            assert_eq!(s.cache, None);
        }
        assert_eq!(
            status(&[("x-cache", "HIT"), ("age", "3")]).map(|s| s.decision),
            Some(TierDecision::Hit)
        );
        assert_eq!(
            status(&[("x-cache", "bypass")]).map(|s| s.decision),
            Some(TierDecision::Miss)
        );
    }

    #[test]
    fn cache_status_rfc_9211() {
        let hit = status(&[("cache-status", "ExampleCache; hit; ttl=376"), ("age", "5")]);
        assert_eq!(
            hit.map(|s| (s.decision, s.cache)),
            Some((TierDecision::Hit, Some("ExampleCache".into())))
        );
        let reval = status(&[("cache-status", "\"squid node\"; fwd=stale; fwd-status=304")]);
        assert_eq!(reval.map(|s| s.decision), Some(TierDecision::Revalidated));
        let chain = status(&[("cache-status", "Origin; fwd=uri-miss, Edge; hit")]);
        assert_eq!(chain.map(|s| s.cache), Some(Some("Edge".into())));
        let miss = status(&[("cache-status", "Edge; fwd=uri-miss; stored")]);
        assert_eq!(miss.map(|s| s.decision), Some(TierDecision::Miss));
        // Not a structured list: as if absent, so X-Cache still counts.
        let bad = status(&[("cache-status", "a;;b=("), ("x-cache", "HIT from t")]);
        assert_eq!(bad.map(|s| s.decision), Some(TierDecision::Hit));
    }

    fn urls(list: &[&str]) -> Vec<Url> {
        list.iter()
            .map(|s| Url::parse(s).expect("test URL"))
            .collect()
    }

    #[test]
    fn a_url_always_picks_the_same_proxy_and_the_urls_spread() {
        let proxies = urls(&[
            "http://a:3128",
            "http://b:3128",
            "http://c:3128",
            "http://d:3128",
        ]);
        let mut per_proxy = [0usize; 4];
        for i in 0..400 {
            let url = Url::parse(&format!("http://origin/doc{i}.vxml")).expect("URL");
            let first = pick(&proxies, &url).expect("one");
            assert_eq!(pick(&proxies, &url), Some(first), "stable for {url}");
            let n = proxies
                .iter()
                .position(|p| p == first)
                .expect("from the list");
            per_proxy[n] += 1;
        }
        // 100 each on average; a hash that sent everything to one node fails.
        assert!(
            per_proxy.iter().all(|&n| (60..=140).contains(&n)),
            "{per_proxy:?}"
        );
    }

    #[test]
    fn removing_a_proxy_moves_only_its_urls() {
        let all = urls(&["http://a:3128", "http://b:3128", "http://c:3128"]);
        let without_b = urls(&["http://a:3128", "http://c:3128"]);
        let mut moved = 0;
        for i in 0..300 {
            let url = Url::parse(&format!("http://origin/a{i}.wav")).expect("URL");
            let before = pick(&all, &url).expect("one");
            let after = pick(&without_b, &url).expect("one");
            if before.as_str() == "http://b:3128/" {
                moved += 1;
            } else {
                assert_eq!(before, after, "{url} stayed put");
            }
        }
        assert!(moved > 50, "b held a share: {moved}");
        assert_eq!(pick(&[], &all[0]), None);
    }
}
