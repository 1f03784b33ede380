//! `vxb proxy` end to end: a real origin on 127.0.0.1 (vxb's own `serve`,
//! whose request log says what reached it, or a small echo origin built on
//! the same server plumbing), the proxy in process on an ephemeral port, and
//! requests through vxb's HTTP client (reqwest). The last tests drive the
//! `vxb proxy` binary itself.
//!
//! Time: the proxy's cache runs on a `ManualClock` standing at 2024-01-01
//! while the origins stamp `Date` with the real time, which makes the
//! apparent age zero (RFC 9111 §4.2.3); a stored copy's age is then exactly
//! how far a test advanced the clock.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use tempfile::TempDir;
use url::Url;
use vxb::cache::Decision;
use vxb::clock::{ManualClock, SystemClock};
use vxb::config::{Config, MaxAgeMode};
use vxb::fetch::{Fetcher, HttpClient, HttpRequest, HttpResponse};
use vxb::proxy::{Proxy, ProxyOptions, ProxyThreads, Upstream};
use vxb::resource::ResourceType;
use vxb::serve::Origin;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{access_line_shape, origin, proxy_with, site, write};
use vxb::server::{Server, ServerLimits};

const TIMEOUT: Duration = Duration::from_secs(10);

// ------------------------------------------------------------ fixtures ----

/// A rule giving `path` the response header `name: value`.
fn header_rule(path: &str, name: &str, value: &str) -> String {
    format!("[[rule]]\npath = \"{path}\"\nheaders = {{ \"{name}\" = \"{value}\" }}\n")
}

fn cache_control(path: &str, value: &str) -> String {
    header_rule(path, "Cache-Control", value)
}

async fn proxy(upstream: &Url, clock: &Arc<ManualClock>) -> Proxy {
    proxy_with(upstream, Config::direct(), clock).await
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_epoch_2024())
}

/// A site of `files` served with `rules`, and a proxy in front of it.
async fn world(files: &[(&str, &str)], rules: &str) -> (TempDir, Origin, Arc<ManualClock>, Proxy) {
    let dir = site(files);
    let o = origin(dir.path(), rules).await;
    let c = clock();
    let p = proxy(&o.base_url(), &c).await;
    (dir, o, c, p)
}

fn client() -> HttpClient {
    HttpClient::new(Arc::new(SystemClock), &vxb::config::Config::direct().fetch)
        .expect("client builds")
}

/// One request to `base` + `path` with `headers` and `body`.
async fn send(
    method: Method,
    base: &Url,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&'static str>,
) -> HttpResponse {
    let mut h = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
        h.append(name, HeaderValue::from_str(value).expect("test header"));
    }
    let url = base.join(path).expect("test path");
    let req = HttpRequest {
        method,
        url: url.clone(),
        headers: h,
        body: body.map(|b: &'static str| Bytes::from_static(b.as_bytes())),
        timeout: TIMEOUT,
    };
    client()
        .send(req)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

async fn get(p: &Proxy, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    send(Method::GET, &p.base_url(), path, headers, None).await
}

fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers
        .get(name)
        .map(|v| v.to_str().expect("text header"))
}

fn x_cache(r: &HttpResponse) -> &str {
    header(r, "x-cache").expect("every response carries X-Cache")
}

fn body(r: &HttpResponse) -> &str {
    std::str::from_utf8(&r.body).expect("text body")
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// What the echo origin received.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// An origin that records every request and answers it with
/// `METHOD PATH #N: BODY` (and ` for HOST` when the request has an
/// `X-Forwarded-Host`, as origins behind proxies often reflect it): GET with
/// `Cache-Control: max-age=3600` and an unknown header, everything else
/// `no-store`; every answer also carries hop-by-hop headers the proxy must
/// not pass on.
struct Echo {
    server: Server,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Echo {
    async fn start() -> Echo {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = Arc::clone(&seen);
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = Server::start(listen, ServerLimits::default(), move |_peer| {
            let log = Arc::clone(&log);
            service_fn(move |req: Request<hyper::body::Incoming>| {
                let log = Arc::clone(&log);
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let seen = Seen {
                        method: parts.method.clone(),
                        path: parts.uri.path().to_string(),
                        headers: parts.headers,
                        body,
                    };
                    let n = {
                        let mut log = log.lock().expect("echo log");
                        log.push(seen.clone());
                        log.len()
                    };
                    let reflected = seen
                        .headers
                        .get("x-forwarded-host")
                        .and_then(|v| v.to_str().ok())
                        .map(|host| format!(" for {host}"))
                        .unwrap_or_default();
                    let text = format!(
                        "{} {} #{n}: {}{reflected}",
                        seen.method,
                        seen.path,
                        String::from_utf8_lossy(&seen.body)
                    );
                    let mut resp = Response::new(Full::new(Bytes::from(text)));
                    let h = resp.headers_mut();
                    let cc = if seen.method == Method::GET {
                        "max-age=3600"
                    } else {
                        "no-store"
                    };
                    h.insert("cache-control", HeaderValue::from_static(cc));
                    h.insert("x-origin-thing", HeaderValue::from_static("kept"));
                    h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
                    h.insert("connection", HeaderValue::from_static("x-bar"));
                    h.insert("x-bar", HeaderValue::from_static("hop"));
                    Ok::<_, Infallible>(resp)
                }
            })
        })
        .await
        .expect("echo origin starts");
        Echo { server, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("echo log").clone()
    }

    fn count(&self, method: &Method, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == *method && s.path == path)
            .count()
    }
}

// ----------------------------------------------------------- decisions ----

#[tokio::test]
async fn a_miss_then_a_hit_and_the_origin_asked_once() {
    let (_d, o, _c, p) = world(&[("a.txt", "hello")], &cache_control("/**", "max-age=60")).await;
    let first = get(&p, "/a.txt", &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(x_cache(&first), "MISS");
    assert_eq!(body(&first), "hello");
    assert_eq!(header(&first, "age"), None, "a live response has no Age");
    let second = get(&p, "/a.txt", &[]).await;
    assert_eq!(x_cache(&second), "HIT");
    assert_eq!(body(&second), "hello");
    assert_eq!(
        header(&second, "content-type"),
        header(&first, "content-type")
    );
    assert_eq!(header(&second, "etag"), header(&first, "etag"));
    assert_eq!(o.log().requests("/a.txt"), 1);
}

#[tokio::test]
async fn a_hit_carries_its_age_in_the_cache() {
    let (_d, o, c, p) = world(&[("a.txt", "x")], &cache_control("/**", "max-age=60")).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(30));
    let hit = get(&p, "/a.txt", &[]).await;
    assert_eq!(x_cache(&hit), "HIT");
    assert_eq!(header(&hit, "age"), Some("30"));
    assert_eq!(o.log().requests("/a.txt"), 1);
}

#[tokio::test]
async fn no_cache_with_an_etag_is_revalidated_and_the_body_comes_from_the_cache() {
    let (_d, o, _c, p) = world(
        &[("a.txt", "cached body")],
        &cache_control("/**", "no-cache"),
    )
    .await;
    let first = get(&p, "/a.txt", &[]).await;
    assert_eq!(x_cache(&first), "MISS");
    let second = get(&p, "/a.txt", &[]).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(x_cache(&second), "REVALIDATED");
    assert_eq!(body(&second), "cached body");
    assert!(header(&second, "age").is_some(), "served from the cache");
    let log = o.log().for_path("/a.txt");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].if_none_match.as_deref(), header(&first, "etag"));
    assert_eq!(log[1].status, StatusCode::NOT_MODIFIED);
    assert_eq!(log[1].bytes, 0, "the body did not cross the network again");
}

#[tokio::test]
async fn a_changed_resource_is_refreshed() {
    let (d, o, _c, p) = world(&[("a.txt", "one")], &cache_control("/**", "no-cache")).await;
    assert_eq!(x_cache(&get(&p, "/a.txt", &[]).await), "MISS");
    write(d.path(), "a.txt", "two, longer");
    let r = get(&p, "/a.txt", &[]).await;
    assert_eq!(x_cache(&r), "REFRESHED");
    assert_eq!(body(&r), "two, longer");
    assert_eq!(o.log().statuses("/a.txt"), [200, 200]);
    assert_eq!(o.log().conditional("/a.txt"), 1);
}

#[tokio::test]
async fn no_store_is_a_bypass_every_time() {
    let (_d, o, _c, p) = world(&[("a.txt", "x")], &cache_control("/**", "no-store")).await;
    for _ in 0..2 {
        let r = get(&p, "/a.txt", &[]).await;
        assert_eq!(x_cache(&r), "BYPASS");
        assert_eq!(body(&r), "x");
    }
    assert_eq!(o.log().requests("/a.txt"), 2);
}

#[tokio::test]
async fn request_max_stale_serves_a_stale_copy() {
    let (_d, o, c, p) = world(&[("a.txt", "x")], &cache_control("/**", "max-age=10")).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(25));
    let stale = get(&p, "/a.txt", &[("cache-control", "max-stale=30")]).await;
    assert_eq!(x_cache(&stale), "STALE");
    assert_eq!(header(&stale, "age"), Some("25"));
    assert_eq!(o.log().requests("/a.txt"), 1);
    let too_stale = get(&p, "/a.txt", &[("cache-control", "max-stale=5")]).await;
    assert_eq!(x_cache(&too_stale), "REVALIDATED", "15 s stale is over 5");
    assert_eq!(o.log().conditional("/a.txt"), 1);
}

#[tokio::test]
async fn request_max_age_min_fresh_and_no_cache_send_it_to_the_origin() {
    let (_d, o, c, p) = world(&[("a.txt", "x")], &cache_control("/**", "max-age=60")).await;
    get(&p, "/a.txt", &[]).await;
    // 20 s old each time (a revalidation resets the age): fresh for 40 s more.
    for directive in [
        ("cache-control", "max-age=10"),
        ("cache-control", "min-fresh=50"),
        ("cache-control", "no-cache"),
        ("pragma", "no-cache"),
    ] {
        c.advance(secs(20));
        let r = get(&p, "/a.txt", &[directive]).await;
        assert_eq!(x_cache(&r), "REVALIDATED", "{directive:?}");
    }
    let log = o.log().for_path("/a.txt");
    assert_eq!(log.len(), 5);
    assert!(log[1..].iter().all(|r| r.is_conditional()));
    c.advance(secs(20));
    let r = get(
        &p,
        "/a.txt",
        &[("cache-control", "max-age=30, min-fresh=5")],
    )
    .await;
    assert_eq!(x_cache(&r), "HIT");
}

#[tokio::test]
async fn request_no_store_is_passed_on_and_keeps_nothing() {
    let (_d, o, _c, p) = world(&[("a.txt", "x")], &cache_control("/**", "max-age=60")).await;
    let r = get(&p, "/a.txt", &[("cache-control", "no-store")]).await;
    assert_eq!(x_cache(&r), "BYPASS");
    assert_eq!(x_cache(&get(&p, "/a.txt", &[]).await), "MISS");
    assert_eq!(o.log().requests("/a.txt"), 2);
}

#[tokio::test]
async fn only_if_cached_is_a_504_without_a_stored_copy_and_a_hit_with_one() {
    let (_d, o, _c, p) = world(&[("a.txt", "x")], &cache_control("/**", "max-age=60")).await;
    let r = get(&p, "/a.txt", &[("cache-control", "only-if-cached")]).await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(x_cache(&r), "MISS");
    assert!(body(&r).contains("only-if-cached"), "{}", body(&r));
    assert_eq!(o.log().requests("/a.txt"), 0, "the origin was not asked");
    get(&p, "/a.txt", &[]).await;
    let r = get(&p, "/a.txt", &[("cache-control", "only-if-cached")]).await;
    assert_eq!(x_cache(&r), "HIT");
    assert_eq!(body(&r), "x");
}

#[tokio::test]
async fn a_clients_own_validators_are_answered_with_304() {
    let (_d, o, _c, p) = world(&[("a.txt", "x")], &cache_control("/**", "max-age=60")).await;
    let first = get(&p, "/a.txt", &[]).await;
    let etag = header(&first, "etag").expect("the origin sends an ETag");
    let r = get(&p, "/a.txt", &[("if-none-match", etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(x_cache(&r), "HIT");
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "etag"), Some(etag));
    let other = get(&p, "/a.txt", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(body(&other), "x");
    assert_eq!(o.log().requests("/a.txt"), 1);
}

#[tokio::test]
async fn head_is_answered_from_the_cache_without_a_body() {
    let (_d, o, _c, p) = world(
        &[("a.txt", "twelve bytes")],
        &cache_control("/**", "max-age=60"),
    )
    .await;
    get(&p, "/a.txt", &[]).await;
    let r = send(Method::HEAD, &p.base_url(), "/a.txt", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(x_cache(&r), "HIT");
    assert_eq!(header(&r, "content-length"), Some("12"));
    assert!(r.body.is_empty());
    assert_eq!(o.log().requests("/a.txt"), 1);
}

// ------------------------------------------------ statuses and headers ----

#[tokio::test]
async fn the_origins_status_is_kept_and_redirects_are_not_followed() {
    let rules = "[[rule]]\npath = \"/old.txt\"\nstatus = 301\n\
                 headers = { \"Location\" = \"/new.txt\", \"Cache-Control\" = \"max-age=60\" }\n";
    let (_d, o, _c, p) = world(&[("old.txt", "moved"), ("new.txt", "new")], rules).await;
    let missing = get(&p, "/nothing.txt", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(x_cache(&missing), "BYPASS", "error statuses are not stored");
    let moved = get(&p, "/old.txt", &[]).await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&moved, "location"), Some("/new.txt"));
    assert_eq!(x_cache(&moved), "MISS", "a 301 with max-age is stored");
    let again = get(&p, "/old.txt", &[]).await;
    assert_eq!(again.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(x_cache(&again), "HIT");
    assert_eq!(
        o.log().requests("/new.txt"),
        0,
        "the redirect was not followed"
    );
    assert_eq!(o.log().requests("/old.txt"), 1);
}

#[tokio::test]
async fn unknown_response_headers_are_kept_live_and_cached() {
    let rules = cache_control("/**", "max-age=60") + &header_rule("/**", "X-App-Version", "7.1");
    let (_d, _o, _c, p) = world(&[("a.txt", "x")], &rules).await;
    let live = get(&p, "/a.txt", &[]).await;
    let cached = get(&p, "/a.txt", &[]).await;
    assert_eq!((x_cache(&live), x_cache(&cached)), ("MISS", "HIT"));
    for r in [&live, &cached] {
        assert_eq!(header(r, "x-app-version"), Some("7.1"));
        assert_eq!(header(r, "cache-control"), Some("max-age=60"));
        assert!(header(r, "last-modified").is_some());
    }
}

#[tokio::test]
async fn hop_by_hop_headers_are_stripped_both_ways() {
    let echo = Echo::start().await;
    let p = proxy(&echo.server.base_url(), &clock()).await;
    let headers = [
        ("connection", "x-foo"),
        ("x-foo", "secret"),
        ("keep-alive", "timeout=9"),
        ("proxy-authorization", "Basic eDp5"),
        ("x-end-to-end", "yes"),
        ("cookie", "session=abc"),
    ];
    for expected in ["MISS", "HIT"] {
        let r = get(&p, "/r", &headers).await;
        assert_eq!(x_cache(&r), expected);
        for name in ["keep-alive", "x-bar", "connection"] {
            assert_eq!(
                header(&r, name),
                None,
                "{name} reached the client ({expected})"
            );
        }
        assert_eq!(header(&r, "x-origin-thing"), Some("kept"));
    }
    let seen = echo.seen();
    assert_eq!(seen.len(), 1);
    let h = &seen[0].headers;
    for name in ["x-foo", "keep-alive", "proxy-authorization"] {
        assert!(!h.contains_key(name), "the origin saw {name}");
    }
    assert!(
        h.get_all("connection")
            .iter()
            .all(|v| !v.as_bytes().eq_ignore_ascii_case(b"x-foo")),
        "the origin saw the client's Connection: {h:?}"
    );
    assert_eq!(h["x-end-to-end"], "yes");
    assert_eq!(h["cookie"], "session=abc");
    assert_eq!(h["via"], "1.1 vxb");
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h["host"], echo.server.addr().to_string().as_str());
}

#[tokio::test]
async fn a_clients_forwarding_headers_cannot_poison_the_cache() {
    let echo = Echo::start().await;
    let p = proxy(&echo.server.base_url(), &clock()).await;
    let attacker = [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "http"),
        ("forwarded", "for=203.0.113.9;host=evil.example"),
    ];
    let first = get(&p, "/page", &attacker).await;
    let later = get(&p, "/page", &[]).await;
    assert_eq!((x_cache(&first), x_cache(&later)), ("MISS", "HIT"));
    for r in [&first, &later] {
        assert!(!body(r).contains("evil"), "{}", body(r));
    }
    // The origin never heard the client's claims: only the proxy's own
    // X-Forwarded-For, naming the client it really talked to.
    let seen = echo.seen();
    assert_eq!(seen.len(), 1);
    let h = &seen[0].headers;
    for name in ["x-forwarded-host", "x-forwarded-proto", "forwarded"] {
        assert!(!h.contains_key(name), "the origin saw {name}: {h:?}");
    }
    let xff: Vec<_> = h.get_all("x-forwarded-for").iter().collect();
    assert_eq!(xff, ["127.0.0.1"]);
}

#[tokio::test]
async fn a_response_with_set_cookie_goes_to_its_client_only() {
    let rules = cache_control("/**", "max-age=60") + &header_rule("/**", "Set-Cookie", "id=42");
    let (_d, o, _c, p) = world(&[("a.txt", "x")], &rules).await;
    for _ in 0..2 {
        let r = get(&p, "/a.txt", &[("cookie", "visitor=1")]).await;
        assert_eq!(x_cache(&r), "MISS");
        assert_eq!(header(&r, "set-cookie"), Some("id=42"));
    }
    let log = o.log().for_path("/a.txt");
    assert_eq!(
        log.len(),
        2,
        "a private answer is never served to another request"
    );
    assert_eq!(log[1].cookie.as_deref(), Some("visitor=1"));
    assert_eq!(p.fetcher().store().entries().len(), 0);
}

// ----------------------------------------------------- unsafe methods ----

#[tokio::test]
async fn post_is_forwarded_with_its_body_and_invalidates() {
    let echo = Echo::start().await;
    let p = proxy(&echo.server.base_url(), &clock()).await;
    let base = p.base_url();
    assert_eq!(x_cache(&get(&p, "/form", &[]).await), "MISS");
    assert_eq!(x_cache(&get(&p, "/form", &[]).await), "HIT");
    let posted = send(
        Method::POST,
        &base,
        "/form",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some("city=chicago"),
    )
    .await;
    assert_eq!(x_cache(&posted), "BYPASS");
    assert_eq!(body(&posted), "POST /form #2: city=chicago");
    let seen = echo.seen();
    assert_eq!(seen[1].body, "city=chicago");
    assert_eq!(
        seen[1].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(seen[1].headers["content-length"], "12");
    let after = get(&p, "/form", &[]).await;
    assert_eq!(
        x_cache(&after),
        "MISS",
        "the POST invalidated the stored copy"
    );
    assert_eq!(body(&after), "GET /form #3: ");
}

#[tokio::test]
async fn put_delete_and_patch_are_forwarded_and_invalidate_options_does_not() {
    let echo = Echo::start().await;
    let p = proxy(&echo.server.base_url(), &clock()).await;
    let base = p.base_url();
    let patch = Method::from_bytes(b"PATCH").expect("method");
    for method in [Method::PUT, Method::DELETE, patch] {
        get(&p, "/doc", &[]).await;
        assert_eq!(x_cache(&get(&p, "/doc", &[]).await), "HIT");
        let r = send(
            method.clone(),
            &base,
            "/doc",
            &[("if-match", "\"v1\"")],
            Some("new"),
        )
        .await;
        assert_eq!(x_cache(&r), "BYPASS", "{method}");
        assert!(
            body(&r).starts_with(&format!("{method} /doc")),
            "{}",
            body(&r)
        );
        let last = echo.seen().pop().expect("the origin saw it");
        assert_eq!(
            (last.method.clone(), last.body.clone()),
            (method.clone(), Bytes::from("new"))
        );
        assert_eq!(
            last.headers["if-match"], "\"v1\"",
            "conditionals are forwarded"
        );
        assert_eq!(
            x_cache(&get(&p, "/doc", &[]).await),
            "MISS",
            "{method} invalidated"
        );
    }
    let r = send(Method::OPTIONS, &base, "/doc", &[], None).await;
    assert_eq!(x_cache(&r), "BYPASS");
    assert_eq!(
        x_cache(&get(&p, "/doc", &[]).await),
        "HIT",
        "OPTIONS is safe"
    );
    assert_eq!(echo.count(&Method::OPTIONS, "/doc"), 1);
    assert_eq!(echo.count(&Method::GET, "/doc"), 4);
}

// ------------------------------------------------------------ failures ----

#[tokio::test]
async fn an_unreachable_origin_is_a_502_naming_the_cause() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let upstream = Url::parse(&format!("http://{closed}/")).expect("URL");
    let p = proxy(&upstream, &clock()).await;
    let r = get(&p, "/a.txt", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(x_cache(&r), "MISS");
    let text = body(&r);
    assert!(text.starts_with("vxb proxy: "), "{text}");
    assert!(text.contains("cannot connect"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let post = send(Method::POST, &p.base_url(), "/a.txt", &[], Some("x")).await;
    assert_eq!(post.status, StatusCode::BAD_GATEWAY);
    assert_eq!(x_cache(&post), "BYPASS");
}

#[tokio::test]
async fn a_slow_origin_is_a_504_after_fetch_timeout() {
    let rules = "[[rule]]\npath = \"/slow.txt\"\ndelay = \"3s\"\n";
    let dir = site(&[("slow.txt", "late")]);
    let o = origin(dir.path(), rules).await;
    let mut config = Config::direct();
    config.fetch.timeout = Duration::from_millis(500);
    let p = proxy_with(&o.base_url(), config, &clock()).await;
    let r = get(&p, "/slow.txt", &[]).await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(x_cache(&r), "MISS");
    assert!(
        body(&r).contains("no complete response within 500ms"),
        "{}",
        body(&r)
    );
}

#[tokio::test]
async fn stale_if_error_serves_the_stored_copy_while_the_origin_is_down() {
    let dir = site(&[("a.txt", "kept")]);
    let o = origin(dir.path(), &cache_control("/**", "max-age=10")).await;
    let mut config = Config::direct();
    config.cache.stale_if_error = secs(60);
    let c = clock();
    let p = proxy_with(&o.base_url(), config, &c).await;
    get(&p, "/a.txt", &[]).await;
    o.shutdown().await;
    c.advance(secs(30));
    let r = get(&p, "/a.txt", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(x_cache(&r), "STALE");
    assert_eq!(body(&r), "kept");
}

// ------------------------------------------------ configuration, types ----

#[tokio::test]
async fn maxage_limits_makes_a_client_max_age_only_shorten_the_lifetime() {
    let dir = site(&[("a.txt", "x")]);
    let o = origin(dir.path(), &cache_control("/**", "max-age=10")).await;
    let mut rfc = Config::direct();
    rfc.cache.maxage = MaxAgeMode::Limits;
    for (config, expected) in [(Config::direct(), "HIT"), (rfc, "REVALIDATED")] {
        let c = clock();
        let p = proxy_with(&o.base_url(), config, &c).await;
        get(&p, "/a.txt", &[]).await;
        c.advance(secs(20));
        let r = get(&p, "/a.txt", &[("cache-control", "max-age=3600")]).await;
        assert_eq!(x_cache(&r), expected);
    }
}

#[tokio::test]
async fn the_resource_type_follows_the_extension() {
    let files = [
        ("start.vxml", "<vxml/>"),
        ("hello.wav", "RIFF"),
        ("lib.js", "var x;"),
        ("yesno.grxml", "<grammar/>"),
        ("balance.json", "{}"),
    ];
    let (_d, _o, _c, p) = world(&files, &cache_control("/**", "max-age=60")).await;
    for (name, _) in files {
        assert_eq!(x_cache(&get(&p, &format!("/{name}"), &[]).await), "MISS");
    }
    let stats = p.fetcher().store().stats();
    for rtype in [
        ResourceType::Document,
        ResourceType::Audio,
        ResourceType::Script,
        ResourceType::Grammar,
        ResourceType::Data,
    ] {
        assert_eq!(stats[rtype].entries, 1, "{rtype}");
        assert_eq!(stats[rtype].count(Decision::Miss), 1, "{rtype}");
    }
    assert_eq!(stats[ResourceType::Context].entries, 0);
}

#[tokio::test]
async fn a_path_prefix_on_the_origin_is_kept() {
    let (_d, o, _c, _p) = world(
        &[("app/a.txt", "in app")],
        &cache_control("/**", "max-age=60"),
    )
    .await;
    let app = o.base_url().join("app/").expect("URL");
    let p = proxy(&app, &clock()).await;
    let r = get(&p, "/a.txt", &[]).await;
    assert_eq!(body(&r), "in app");
    assert_eq!(o.log().requests("/app/a.txt"), 1);
}

// ------------------------------------------------------ proxy threads ----

#[test]
fn proxy_threads_share_one_port_and_one_cache() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = site(&[("a.txt", "shared")]);
    let o = rt.block_on(origin(dir.path(), &cache_control("/**", "max-age=60")));
    let fetcher = Fetcher::new(Arc::new(Config::direct()), clock(), None).expect("fetcher");
    let upstream = Upstream::parse(o.base_url().as_str()).expect("origin URL");
    let proxy = ProxyThreads::start(ProxyOptions::new(upstream), Arc::clone(&fetcher), 3)
        .expect("proxy threads start");
    assert_eq!(proxy.threads(), 3);
    let base = proxy.base_url();
    // A client per request, so a connection per request, spread by the
    // kernel over the three listening sockets.
    let decisions: Vec<String> = rt.block_on(async {
        let mut out = Vec::new();
        for _ in 0..12 {
            let r = send(Method::GET, &base, "/a.txt", &[], None).await;
            assert_eq!(body(&r), "shared");
            out.push(x_cache(&r).to_string());
        }
        out
    });
    assert_eq!(decisions[0], "MISS");
    assert!(decisions[1..].iter().all(|d| d == "HIT"), "{decisions:?}");
    assert_eq!(o.log().requests("/a.txt"), 1);
    proxy.shutdown();
    let refused =
        rt.block_on(client().send(HttpRequest::get(base.join("/a.txt").expect("URL"), TIMEOUT)));
    assert!(refused.is_err(), "still listening after shutdown");
}

#[test]
fn proxy_threads_report_a_port_they_cannot_bind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let fetcher = Fetcher::new(Arc::new(Config::direct()), clock(), None).expect("fetcher");
    let options = ProxyOptions {
        listen: addr,
        ..ProxyOptions::new(Upstream::parse("http://127.0.0.1:1").expect("origin URL"))
    };
    let e = ProxyThreads::start(options, fetcher, 2).expect_err("the port is taken");
    assert!(e.to_string().contains(&addr.to_string()), "{e}");
}

// ----------------------------------------------------------- the binary ----

/// `vxb proxy` as a process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn vxb(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vxb"));
    // A developer's HTTP_PROXY must not capture the loopback origin.
    c.args(args).env("NO_PROXY", "127.0.0.1,localhost");
    c
}

#[tokio::test]
async fn vxb_proxy_runs_as_a_process_and_logs_each_request() {
    let dir = site(&[("a.txt", "from the origin")]);
    let o = origin(dir.path(), &cache_control("/**", "max-age=60")).await;
    let origin_url = o.base_url().to_string();
    let mut child = vxb(&["proxy", "--origin", &origin_url, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vxb proxy starts");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    // Read lines on a thread: a blocking read must not stall the runtime
    // the origin runs on.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = || rx.recv_timeout(TIMEOUT).expect("a line from vxb proxy");
    let first = next_line();
    let rest = first
        .strip_prefix("vxb proxy: ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    let (listen, upstream) = rest.split_once(" -> ").expect("ADDR -> ORIGIN");
    assert_eq!(upstream, origin_url);
    let base = Url::parse(listen).expect("the address line is a URL");
    for expected in ["MISS", "HIT"] {
        let r = send(Method::GET, &base, "/a.txt", &[], None).await;
        assert_eq!(x_cache(&r), expected);
        assert_eq!(body(&r), "from the origin");
        assert_eq!(
            access_line_shape(&next_line()),
            format!("TIME GET /a.txt 200 15B LATENCY {expected}")
        );
        assert_eq!(header(&r, "via"), Some("1.1 vxb"));
    }
    assert_eq!(o.log().requests("/a.txt"), 1);
}

#[test]
fn a_bad_origin_or_config_is_a_one_line_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_config = dir.path().join("bad.toml");
    std::fs::write(&bad_config, "[cache]\nmaxage = \"sometimes\"\n").expect("write");
    let bad_config = bad_config.to_string_lossy().into_owned();
    for (args, needle) in [
        (vec!["--origin", "ftp://example.com/"], "http or https"),
        (vec!["--origin", "127.0.0.1:8080"], "bad origin URL"),
        (
            vec!["--origin", "http://127.0.0.1:1", "--config", &bad_config],
            "bad.toml",
        ),
    ] {
        let mut all = vec!["proxy", "--listen", "127.0.0.1:0"];
        all.extend(args.iter().copied());
        let out = vxb(&all).output().expect("vxb runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("vxb proxy: ") && err.contains(needle),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}
