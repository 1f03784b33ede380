//! Cookie jars (spec §2 `[cookies]`, §3 "Cookies"): one per call by default,
//! one for the process with `scope = "shared"`.
//!
//! The domain, path, expiry and `Secure` rules are `cookie_store`'s (RFC 6265).
//! That crate reads the system clock for expiry internally; cookie lifetimes
//! are not part of the cache's injected-clock contract, so this is accepted.
//!
//! `remove` names cookies that are dropped from the jar whenever a request
//! would read them (004: "removed from the cache on each new attempt to read
//! them"), so the server issues a fresh one on every request. Only the cookies
//! the request would carry are dropped: a same-named cookie of another site,
//! which this request would not read, stays.

use std::sync::{Arc, Mutex, MutexGuard};

use cookie_store::{CookieStore, RawCookie};
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use url::Url;

use crate::config::{CookieConfig, CookieScope};

/// Hands out the jar each call uses.
#[derive(Debug)]
pub struct Cookies {
    remove: Arc<[String]>,
    /// The process-wide jar with `scope = "shared"`; `None` for per-call jars.
    shared: Option<Arc<CookieJar>>,
}

impl Cookies {
    /// Jars as `[cookies]` configures them.
    pub fn new(config: &CookieConfig) -> Cookies {
        let remove: Arc<[String]> = config.remove.clone().into();
        let shared = match config.scope {
            CookieScope::Shared => Some(Arc::new(CookieJar::new(remove.clone()))),
            CookieScope::PerCall => None,
        };
        Cookies { remove, shared }
    }

    /// The jar for a new call: a fresh one per call, or the shared one.
    pub fn for_call(&self) -> Arc<CookieJar> {
        match &self.shared {
            Some(jar) => jar.clone(),
            None => Arc::new(CookieJar::new(self.remove.clone())),
        }
    }
}

/// One jar of cookies.
#[derive(Debug)]
pub struct CookieJar {
    store: Mutex<CookieStore>,
    remove: Arc<[String]>,
}

impl CookieJar {
    /// An empty jar that drops the cookies named in `remove` on each read.
    pub fn new(remove: impl Into<Arc<[String]>>) -> CookieJar {
        CookieJar {
            store: Mutex::new(CookieStore::default()),
            remove: remove.into(),
        }
    }

    fn store(&self) -> MutexGuard<'_, CookieStore> {
        // A panic elsewhere while holding the lock leaves a usable store.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `Cookie` header for a request to `url`, or `None` when no cookie
    /// applies. Cookies named in `remove` that this request would read are
    /// dropped from the jar first, and not sent.
    pub fn request_header(&self, url: &Url) -> Option<HeaderValue> {
        let mut store = self.store();
        if !self.remove.is_empty() {
            let doomed: Vec<(String, String, String)> = store
                .matches(url)
                .into_iter()
                .filter(|c| self.remove.iter().any(|r| r == c.name()))
                .map(|c| {
                    (
                        String::from(&c.domain),
                        String::from(&c.path),
                        c.name().to_string(),
                    )
                })
                .collect();
            for (domain, path, name) in doomed {
                store.remove(&domain, &path, &name);
            }
        }
        let pairs: Vec<String> = store
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        if pairs.is_empty() {
            return None;
        }
        // Values came from parsed Set-Cookie headers; one that still makes an
        // invalid header is left out rather than failing the fetch.
        HeaderValue::from_str(&pairs.join("; ")).ok()
    }

    /// Stores the `Set-Cookie` headers of a response to `url`. A header that
    /// is not text or not a cookie is ignored, as browsers do.
    pub fn store_from_response(&self, url: &Url, headers: &HeaderMap) {
        let cookies: Vec<RawCookie<'static>> = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|s| RawCookie::parse(s.to_string()).ok())
            .collect();
        if !cookies.is_empty() {
            self.store()
                .store_response_cookies(cookies.into_iter(), url);
        }
    }

    /// The names and values of the unexpired cookies a request to `url` would
    /// carry, without dropping any (for reports and tests).
    pub fn peek(&self, url: &Url) -> Vec<(String, String)> {
        self.store()
            .get_request_values(url)
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL parses")
    }

    fn set_cookies(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).expect("test header"));
        }
        h
    }

    fn header(jar: &CookieJar, u: &str) -> Option<String> {
        jar.request_header(&url(u))
            .map(|v| v.to_str().expect("ascii cookie header").to_string())
    }

    fn config(scope: CookieScope, remove: &[&str]) -> CookieConfig {
        CookieConfig {
            scope,
            remove: remove.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn per_call_scope_gives_each_call_a_fresh_jar() {
        let cookies = Cookies::new(&config(CookieScope::PerCall, &[]));
        let first = cookies.for_call();
        let u = url("http://app.example/a.vxml");
        first.store_from_response(&u, &set_cookies(&["session=1"]));
        assert_eq!(
            header(&first, "http://app.example/b.vxml").as_deref(),
            Some("session=1")
        );
        let second = cookies.for_call();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(header(&second, "http://app.example/b.vxml"), None);
    }

    #[test]
    fn shared_scope_gives_every_call_the_same_jar() {
        let cookies = Cookies::new(&config(CookieScope::Shared, &[]));
        let first = cookies.for_call();
        first.store_from_response(&url("http://app.example/a"), &set_cookies(&["s=1"]));
        let second = cookies.for_call();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(
            header(&second, "http://app.example/").as_deref(),
            Some("s=1")
        );
    }

    #[test]
    fn removed_names_are_dropped_on_each_read_and_others_persist() {
        let jar = CookieJar::new(vec!["JSESSIONID".to_string()]);
        let u = "http://app.example/app/a.vxml";
        jar.store_from_response(
            &url(u),
            &set_cookies(&["JSESSIONID=abc; Path=/", "lang=en; Path=/"]),
        );
        // The read that would carry it drops it: the server sees no session
        // and issues a fresh one.
        assert_eq!(header(&jar, u).as_deref(), Some("lang=en"));
        assert_eq!(jar.peek(&url(u)), vec![("lang".into(), "en".into())]);
        jar.store_from_response(&url(u), &set_cookies(&["JSESSIONID=def; Path=/"]));
        assert_eq!(header(&jar, u).as_deref(), Some("lang=en"));
        assert_eq!(header(&jar, u).as_deref(), Some("lang=en"), "lang persists");
    }

    #[test]
    fn removal_only_touches_cookies_the_request_would_read() {
        let jar = CookieJar::new(vec!["sid".to_string()]);
        jar.store_from_response(&url("http://a.example/"), &set_cookies(&["sid=a"]));
        jar.store_from_response(&url("http://b.example/"), &set_cookies(&["sid=b"]));
        assert_eq!(header(&jar, "http://a.example/x"), None);
        assert_eq!(
            jar.peek(&url("http://b.example/x")),
            vec![("sid".into(), "b".into())],
            "b.example's cookie was not read, so it stays"
        );
    }

    #[test]
    fn domain_and_path_rules_apply() {
        let jar = CookieJar::new(Vec::<String>::new());
        let origin = url("http://www.app.example/app/start.vxml");
        jar.store_from_response(
            &origin,
            &set_cookies(&[
                "host=1",                             // host-only, path /app
                "wide=2; Domain=app.example; Path=/", // every subdomain
                "deep=3; Path=/app/admin",
                "alien=4; Domain=other.example", // refused: not our domain
                "sec=5; Secure; Path=/",
            ]),
        );
        let names = |u: &str| -> Vec<String> {
            let mut v: Vec<String> = jar.peek(&url(u)).into_iter().map(|(n, _)| n).collect();
            v.sort();
            v
        };
        assert_eq!(names("http://www.app.example/app/x.vxml"), ["host", "wide"]);
        assert_eq!(
            names("http://www.app.example/app/admin/x"),
            ["deep", "host", "wide"]
        );
        assert_eq!(names("http://www.app.example/other"), ["wide"]);
        assert_eq!(names("http://api.app.example/app/x"), ["wide"]);
        assert_eq!(
            names("https://www.app.example/app/x"),
            ["host", "sec", "wide"]
        );
        assert!(names("http://other.example/").is_empty());
    }

    #[test]
    fn expired_cookies_delete_and_garbage_is_ignored() {
        let jar = CookieJar::new(Vec::<String>::new());
        let u = url("http://app.example/");
        jar.store_from_response(&u, &set_cookies(&["a=1", "b=2"]));
        let mut h = set_cookies(&["a=gone; Max-Age=0", "=; ;;"]);
        h.append(
            SET_COOKIE,
            HeaderValue::from_bytes(b"c=\xff").expect("obs-text is a valid header value"),
        );
        jar.store_from_response(&u, &h);
        assert_eq!(header(&jar, "http://app.example/").as_deref(), Some("b=2"));
    }
}
