//! `vxb proxy` as a shared HTTP cache, rule by rule: RFC 9111's shared-cache
//! rules (`s-maxage`, `Authorization`, `Age` lists, lenient dates), targeted
//! cache-control (RFC 9213), interim responses (RFC 9110 §15.2) and
//! `Cache-Status` (RFC 9211). Each test runs a real origin on 127.0.0.1 (vxb's
//! own `serve` with header rules, or a raw TCP origin where the response must
//! be written byte by byte) and the proxy in process on an ephemeral port.
//!
//! Time: the proxy's cache runs on a `ManualClock` standing at 2024-01-01
//! while the origin stamps `Date` with the real time, so the apparent age is
//! zero and a stored copy's age is what a test advanced the clock by.
//!
//! The assertions read `Cache-Status` and the origin's request log rather
//! than `X-Cache`, whose spelling belongs to the proxy's log format.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;
use vxb::clock::{ManualClock, SystemClock};
use vxb::config::Config;
use vxb::fetch::{CacheStatus, HttpClient, HttpRequest, HttpResponse};
use vxb::proxy::Proxy;
use vxb::serve::Origin;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{origin, proxy_with, site, write as write_file};

const TIMEOUT: Duration = Duration::from_secs(10);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A rule giving every path the response headers `pairs`.
fn headers_rule(pairs: &[(&str, &str)]) -> String {
    let list: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{n:?} = {v:?}"))
        .collect();
    format!(
        "[[rule]]\npath = \"/**\"\nheaders = {{ {} }}\n",
        list.join(", ")
    )
}

/// `a.txt` served with `pairs` as headers, a proxy in front (configured by
/// `config`), its clock.
async fn world_with(
    pairs: &[(&str, &str)],
    config: Config,
) -> (tempfile::TempDir, Origin, Arc<ManualClock>, Proxy) {
    let dir = site(&[("a.txt", "hello")]);
    let o = origin(dir.path(), &headers_rule(pairs)).await;
    let c = Arc::new(ManualClock::at_epoch_2024());
    let p = proxy_with(&o.base_url(), config, &c).await;
    (dir, o, c, p)
}

async fn world(pairs: &[(&str, &str)]) -> (tempfile::TempDir, Origin, Arc<ManualClock>, Proxy) {
    world_with(pairs, Config::direct()).await
}

async fn get(p: &Proxy, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let mut h = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
        h.append(name, HeaderValue::from_str(value).expect("test header"));
    }
    let url = p.base_url().join(path).expect("test path");
    let client =
        HttpClient::new(Arc::new(SystemClock), &Config::direct().fetch).expect("client builds");
    let req = HttpRequest {
        method: Method::GET,
        url: url.clone(),
        headers: h,
        body: None,
        timeout: TIMEOUT,
    };
    client
        .send(req)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers
        .get(name)
        .map(|v| v.to_str().expect("text header"))
}

/// vxb's own `Cache-Status` member (the last one).
fn status(r: &HttpResponse) -> CacheStatus {
    let members = CacheStatus::parse(&r.headers);
    let last = members.last().cloned();
    last.unwrap_or_else(|| panic!("no Cache-Status in {:?}", r.headers))
}

/// `vxb;hit;ttl=…` without the ttl, to compare kinds of answer.
fn kind(r: &HttpResponse) -> String {
    let s = status(r);
    assert_eq!(s.cache, "vxb");
    let mut parts = Vec::new();
    if s.hit {
        parts.push("hit".to_string());
    }
    if let Some(f) = &s.fwd {
        parts.push(format!("fwd={f}"));
    }
    if let Some(c) = s.fwd_status {
        parts.push(format!("fwd-status={c}"));
    }
    if s.stored {
        parts.push("stored".to_string());
    }
    parts.join(";")
}

// ------------------------------------------------------------- s-maxage ----

/// RFC 9111 §5.2.2.10: `s-maxage` is the lifetime for a shared cache, over
/// `max-age` in both directions.
#[tokio::test]
async fn s_maxage_is_the_lifetime_over_max_age() {
    let (_d, o, c, p) = world(&[("Cache-Control", "max-age=3600, s-maxage=10")]).await;
    assert_eq!(
        kind(&get(&p, "/a.txt", &[]).await),
        "fwd=uri-miss;fwd-status=200;stored"
    );
    c.advance(secs(5));
    let hit = get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&hit), "hit");
    assert_eq!(status(&hit).ttl, Some(5));
    c.advance(secs(10));
    let after = get(&p, "/a.txt", &[]).await;
    assert_eq!(
        kind(&after),
        "fwd=stale;fwd-status=304;stored",
        "stale at 15 s under s-maxage=10, though max-age says an hour"
    );
    assert_eq!(o.log().conditional("/a.txt"), 1);

    let (_d, o, c, p) = world(&[("Cache-Control", "max-age=1, s-maxage=3600")]).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(100));
    assert_eq!(kind(&get(&p, "/a.txt", &[]).await), "hit");
    assert_eq!(o.log().requests("/a.txt"), 1);
}

/// `s-maxage` implies `proxy-revalidate`: a client's `max-stale` does not get
/// the stale copy, nor does `stale_if_error` when the origin is down.
#[tokio::test]
async fn s_maxage_forbids_serving_stale() {
    let mut config = Config::direct();
    config.cache.stale_if_error = secs(3600);
    let (_d, o, c, p) = world_with(&[("Cache-Control", "s-maxage=10")], config).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(20));
    let r = get(&p, "/a.txt", &[("cache-control", "max-stale=600")]).await;
    assert_eq!(kind(&r), "fwd=stale;fwd-status=304;stored");
    assert_eq!(o.log().conditional("/a.txt"), 1);
    o.shutdown().await;
    c.advance(secs(20));
    let down = get(&p, "/a.txt", &[]).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY, "no stale copy served");
    assert_eq!(kind(&down), "fwd=miss");
}

// -------------------------------------------------------- Authorization ----

/// RFC 9111 §3.5: a response to a request with credentials is not served to
/// another request unless `public`, `s-maxage` or `must-revalidate` says so.
#[tokio::test]
async fn a_response_to_credentials_is_not_shared_unless_allowed() {
    let auth = [("authorization", "Basic dTpw")];
    let (_d, o, _c, p) = world(&[("Cache-Control", "max-age=3600")]).await;
    get(&p, "/a.txt", &auth).await;
    let other = get(&p, "/a.txt", &[]).await;
    assert!(!status(&other).hit, "another client asks the origin");
    assert_eq!(o.log().requests("/a.txt"), 2);

    for cc in [
        "max-age=3600, public",
        "s-maxage=3600",
        "max-age=3600, must-revalidate",
    ] {
        let (_d, o, _c, p) = world(&[("Cache-Control", cc)]).await;
        get(&p, "/a.txt", &auth).await;
        let other = get(&p, "/a.txt", &[]).await;
        assert_eq!(kind(&other), "hit", "{cc}");
        assert_eq!(o.log().requests("/a.txt"), 1, "{cc}");
    }
}

// ------------------------------------------------------------------ Age ----

/// RFC 9111 §5.1: `Age: 10, 20` counts as 10.
#[tokio::test]
async fn an_age_list_counts_its_first_member() {
    let (_d, o, c, p) = world(&[("Cache-Control", "max-age=15"), ("Age", "10, 20")]).await;
    get(&p, "/a.txt", &[]).await;
    let hit = get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&hit), "hit");
    assert_eq!(header(&hit, "age"), Some("10"));
    c.advance(secs(6));
    assert!(!status(&get(&p, "/a.txt", &[]).await).hit, "16 s old");
    assert_eq!(o.log().requests("/a.txt"), 2);
}

// ---------------------------------------------------------------- dates ----

/// RFC 9110 §5.6.7: an `Expires` in lower case is still a date; one that is
/// not a date at all means already expired.
#[tokio::test]
async fn expires_is_read_leniently_and_an_invalid_one_is_expired() {
    let later = httpdate::fmt_http_date(SystemTime::now() + secs(3600)).to_ascii_lowercase();
    let (_d, o, c, p) = world(&[("Expires", &later)]).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(60));
    assert_eq!(kind(&get(&p, "/a.txt", &[]).await), "hit");
    assert_eq!(o.log().requests("/a.txt"), 1);

    let (_d, o, _c, p) = world(&[("Expires", "soon")]).await;
    get(&p, "/a.txt", &[]).await;
    assert!(!status(&get(&p, "/a.txt", &[]).await).hit);
    assert_eq!(o.log().requests("/a.txt"), 2);
}

// ------------------------------------------- targeted cache-control ----

/// RFC 9213: `CDN-Cache-Control` decides for this cache over
/// `Cache-Control`, and is not passed on; the client still sees the
/// origin's `Cache-Control`.
#[tokio::test]
async fn cdn_cache_control_decides_and_is_not_forwarded() {
    let (_d, o, _c, p) = world(&[
        ("Cache-Control", "no-store"),
        ("CDN-Cache-Control", "max-age=60"),
    ])
    .await;
    let first = get(&p, "/a.txt", &[]).await;
    assert_eq!(header(&first, "cdn-cache-control"), None);
    assert_eq!(header(&first, "cache-control"), Some("no-store"));
    let second = get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&second), "hit");
    assert_eq!(status(&second).ttl, Some(60));
    assert_eq!(header(&second, "cdn-cache-control"), None);
    assert_eq!(o.log().requests("/a.txt"), 1);
}

/// `cache.targeted_cache_control` names this cache's own fields, in
/// precedence order; a field not in the list is an ordinary header.
#[tokio::test]
async fn a_configured_targeted_field_takes_precedence() {
    let config = Config::parse(
        "[fetch]\nproxy = \"none\"\n[cache]\ntargeted_cache_control = [\"Vxb-Cache-Control\", \"CDN-Cache-Control\"]\n",
        std::path::Path::new("vxb.toml"),
    )
    .expect("config parses");
    let (_d, o, c, p) = world_with(
        &[
            ("Cache-Control", "max-age=5"),
            ("CDN-Cache-Control", "no-store"),
            ("Vxb-Cache-Control", "max-age=600"),
        ],
        config,
    )
    .await;
    let first = get(&p, "/a.txt", &[]).await;
    assert_eq!(header(&first, "vxb-cache-control"), None);
    assert_eq!(header(&first, "cdn-cache-control"), None);
    c.advance(secs(60));
    assert_eq!(kind(&get(&p, "/a.txt", &[]).await), "hit");
    assert_eq!(o.log().requests("/a.txt"), 1);

    // With the default list, Vxb-Cache-Control is just a header.
    let (_d, o, _c, p) = world(&[
        ("Cache-Control", "max-age=600"),
        ("Vxb-Cache-Control", "no-store"),
    ])
    .await;
    let first = get(&p, "/a.txt", &[]).await;
    assert_eq!(header(&first, "vxb-cache-control"), Some("no-store"));
    assert_eq!(kind(&get(&p, "/a.txt", &[]).await), "hit");
    assert_eq!(o.log().requests("/a.txt"), 1);
}

// ------------------------------------------------- interim responses ----

/// An origin written by hand: it answers every request with `interim` (raw
/// 1xx responses) and then a 200 with `max-age=60`, counting requests.
async fn interim_origin(interim: &'static str) -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    // One request per connection, read to the end of its head.
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let body = "final";
                let response = format!(
                    "{interim}HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n\
                     Content-Type: text/plain\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(response.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    let url = Url::parse(&format!("http://{addr}/")).expect("origin URL");
    (url, count)
}

/// RFC 9110 §15.2: 1xx responses before the final one are never stored and
/// never taken for the answer; the final response is cached as usual.
#[tokio::test]
async fn interim_responses_are_not_stored_and_the_final_one_is() {
    let (url, count) = interim_origin(
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
         HTTP/1.1 102 Processing\r\n\r\n",
    )
    .await;
    let c = Arc::new(ManualClock::at_epoch_2024());
    let p = proxy_with(&url, Config::direct(), &c).await;
    let first = get(&p, "/a.txt", &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(&first.body[..], b"final");
    assert_eq!(
        header(&first, "link"),
        None,
        "the 103's fields are not the answer's"
    );
    assert_eq!(kind(&first), "fwd=uri-miss;fwd-status=200;stored");
    let second = get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&second), "hit");
    assert_eq!(&second.body[..], b"final");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

// --------------------------------------------------------- Cache-Status ----

/// RFC 9211 on every answer: a miss stored, a hit with its ttl, a
/// revalidation, an uncacheable answer, a failure, `only-if-cached`.
#[tokio::test]
async fn every_answer_carries_cache_status() {
    let (_d, o, c, p) = world(&[("Cache-Control", "max-age=60")]).await;
    let miss = get(&p, "/a.txt", &[]).await;
    assert_eq!(
        header(&miss, "cache-status"),
        Some("vxb;fwd=uri-miss;fwd-status=200;ttl=60;stored")
    );
    c.advance(secs(20));
    let hit = get(&p, "/a.txt", &[]).await;
    assert_eq!(header(&hit, "cache-status"), Some("vxb;hit;ttl=40"));
    c.advance(secs(60));
    let stale = get(&p, "/a.txt", &[("cache-control", "max-stale=600")]).await;
    assert_eq!(header(&stale, "cache-status"), Some("vxb;hit;ttl=-20"));
    let reval = get(&p, "/a.txt", &[]).await;
    assert_eq!(
        header(&reval, "cache-status"),
        Some("vxb;fwd=stale;fwd-status=304;ttl=60;stored")
    );
    let unsatisfied = get(&p, "/b.txt", &[("cache-control", "only-if-cached")]).await;
    assert_eq!(unsatisfied.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        header(&unsatisfied, "cache-status"),
        Some("vxb;detail=\"only-if-cached\"")
    );
    let missing = get(&p, "/nothing-here.txt", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        header(&missing, "cache-status"),
        Some("vxb;fwd=uri-miss;fwd-status=404;ttl=60;stored"),
        "every path says max-age=60, the 404 too"
    );
    o.shutdown().await;
    let down = get(&p, "/other.txt", &[]).await;
    assert_eq!(down.status, StatusCode::BAD_GATEWAY);
    assert_eq!(header(&down, "cache-status"), Some("vxb;fwd=miss"));
}

/// A `Cache-Status` from a cache nearer the origin stays, and vxb's member
/// follows it (RFC 9211 §2: the list runs from the origin to the client).
#[tokio::test]
async fn an_upstream_cache_status_is_kept_before_vxbs() {
    let (_d, _o, _c, p) = world(&[
        ("Cache-Control", "max-age=60"),
        ("Cache-Status", "OriginCache; hit"),
    ])
    .await;
    let r = get(&p, "/a.txt", &[]).await;
    let members = CacheStatus::parse(&r.headers);
    let names: Vec<&str> = members.iter().map(|m| m.cache.as_str()).collect();
    assert_eq!(names, ["OriginCache", "vxb"]);
    assert!(members[0].hit && !members[1].hit);
}

// --------------------------------------------------------- invalidation ----

async fn send(p: &Proxy, method: Method, path: &str) -> HttpResponse {
    let url = p.base_url().join(path).expect("test path");
    let client =
        HttpClient::new(Arc::new(SystemClock), &Config::direct().fetch).expect("client builds");
    let req = HttpRequest {
        method,
        url: url.clone(),
        headers: HeaderMap::new(),
        body: Some(bytes::Bytes::from_static(b"x=1")),
        timeout: TIMEOUT,
    };
    client
        .send(req)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// RFC 9111 §4.4: a non-error answer to an unsafe method invalidates its
/// URL and the same-origin URLs its `Location` and `Content-Location` name —
/// not another origin's, and not on an error answer (a POST invalidates
/// whatever the answer: the product's rule for `<submit method="post">`).
#[tokio::test]
async fn unsafe_methods_invalidate_their_url_and_the_same_origin_locations() {
    let dir = site(&[
        ("a.txt", "a"),
        ("b.txt", "b"),
        ("c.txt", "c"),
        ("form", "done"),
    ]);
    let rules = "[[rule]]\npath = \"/*.txt\"\nheaders = { \"Cache-Control\" = \"max-age=3600\" }\n\
                 [[rule]]\npath = \"/form\"\nheaders = { \"Cache-Control\" = \"no-store\", \
                 \"Location\" = \"/a.txt\", \"Content-Location\" = \"b.txt\" }\n\
                 [[rule]]\npath = \"/elsewhere\"\nheaders = { \"Cache-Control\" = \"no-store\", \
                 \"Location\" = \"http://127.0.0.2:9/c.txt\" }\n";
    write_file(dir.path(), "elsewhere", "moved");
    let o = origin(dir.path(), rules).await;
    let c = Arc::new(ManualClock::at_epoch_2024());
    let p = proxy_with(&o.base_url(), Config::direct(), &c).await;
    let warm = |path: &'static str| {
        let p = &p;
        async move {
            get(p, path, &[]).await;
            assert_eq!(kind(&get(p, path, &[]).await), "hit", "{path} stored");
        }
    };
    for path in ["/a.txt", "/b.txt", "/c.txt"] {
        warm(path).await;
    }
    assert_eq!(send(&p, Method::POST, "/form").await.status, StatusCode::OK);
    for path in ["/a.txt", "/b.txt"] {
        assert!(
            !status(&get(&p, path, &[]).await).hit,
            "{path}: named by the answer, invalidated"
        );
    }
    assert_eq!(kind(&get(&p, "/c.txt", &[]).await), "hit");
    send(&p, Method::POST, "/elsewhere").await;
    assert_eq!(
        kind(&get(&p, "/c.txt", &[]).await),
        "hit",
        "another origin's URL is not this cache's to invalidate"
    );
    // `vxb serve` answers PUT with 405: an error, so nothing is invalidated.
    let put = send(&p, Method::PUT, "/c.txt").await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(kind(&get(&p, "/c.txt", &[]).await), "hit");
    let gets = o.log().for_path("/c.txt");
    let gets = gets.iter().filter(|r| r.method == Method::GET).count();
    assert_eq!(gets, 1, "c.txt was never fetched again");
}

// ------------------------------------------------------------ immutable ----

/// RFC 8246: with `maxage = "limits"`, a client's reload (`max-age=0`) does
/// not revalidate a fresh `immutable` response; a plain one is revalidated.
#[tokio::test]
async fn immutable_is_not_revalidated_on_reload_while_fresh() {
    let mut limits = Config::direct();
    limits.cache.maxage = vxb::config::MaxAgeMode::Limits;
    let reload = [("cache-control", "max-age=0")];
    let (_d, o, c, p) = world_with(
        &[("Cache-Control", "max-age=600, immutable")],
        limits.clone(),
    )
    .await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(10));
    assert_eq!(kind(&get(&p, "/a.txt", &reload).await), "hit");
    assert_eq!(o.log().requests("/a.txt"), 1);
    let (_d, o, c, p) = world_with(&[("Cache-Control", "max-age=600")], limits).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(10));
    assert_eq!(
        kind(&get(&p, "/a.txt", &reload).await),
        "fwd=stale;fwd-status=304;stored"
    );
    assert_eq!(o.log().requests("/a.txt"), 2);
}

// ------------------------------------------------------------- statuses ----

/// A site answering `path` with `status` and `cache_control`.
async fn status_world(
    status: u16,
    cache_control: &str,
) -> (tempfile::TempDir, Origin, Arc<ManualClock>, Proxy) {
    let dir = site(&[("a.txt", "hello")]);
    let rules = format!(
        "[[rule]]\npath = \"/**\"\nstatus = {status}\nheaders = {{ \"Cache-Control\" = \"{cache_control}\" }}\n"
    );
    let o = origin(dir.path(), &rules).await;
    let c = Arc::new(ManualClock::at_epoch_2024());
    let p = proxy_with(&o.base_url(), Config::direct(), &c).await;
    (dir, o, c, p)
}

/// RFC 9111 §3: any final status with explicit freshness is stored (an
/// error too: the origin is asked once), and reused only while fresh; an
/// error without it is not; `must-understand` with `no-store` stores a
/// status this cache knows.
#[tokio::test]
async fn any_status_with_explicit_freshness_is_stored() {
    for code in [404, 410, 500, 503] {
        let (_d, o, c, p) = status_world(code, "max-age=60").await;
        let first = get(&p, "/a.txt", &[]).await;
        assert_eq!(first.status.as_u16(), code);
        assert!(status(&first).stored, "{code}");
        let hit = get(&p, "/a.txt", &[]).await;
        assert_eq!(hit.status.as_u16(), code);
        assert_eq!(kind(&hit), "hit", "{code}");
        c.advance(secs(61));
        assert!(!status(&get(&p, "/a.txt", &[]).await).hit, "{code} stale");
        assert_eq!(o.log().requests("/a.txt"), 2, "{code}");
    }
    let (_d, o, _c, p) = status_world(404, "public").await;
    get(&p, "/a.txt", &[]).await;
    let again = get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&again), "fwd=uri-miss;fwd-status=404");
    assert_eq!(o.log().requests("/a.txt"), 2);
    let (_d, o, _c, p) = status_world(404, "max-age=60, no-store, must-understand").await;
    get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&get(&p, "/a.txt", &[]).await), "hit");
    assert_eq!(o.log().requests("/a.txt"), 1);
}

// ------------------------------------------------ stale-while-revalidate ----

/// Waits (real time, generously) until `done` holds; the background task
/// runs on its own, so there is nothing to await directly.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}

/// RFC 5861 §3: within the window a stale copy is served at once and
/// revalidated in the background, once however many requests saw it stale;
/// the next request gets the refreshed copy.
#[tokio::test]
async fn stale_while_revalidate_serves_stale_and_refreshes_once_behind() {
    let (_d, o, c, p) = world(&[("Cache-Control", "max-age=10, stale-while-revalidate=60")]).await;
    get(&p, "/a.txt", &[]).await;
    c.advance(secs(20));
    let (a, b, d) = tokio::join!(
        get(&p, "/a.txt", &[]),
        get(&p, "/a.txt", &[]),
        get(&p, "/a.txt", &[])
    );
    for r in [&a, &b, &d] {
        assert_eq!(&r.body[..], b"hello");
        // Served from the cache (stale, so a negative ttl) or, if the
        // refresh already landed, fresh again: never a wait on the origin.
        assert!(status(r).hit, "{:?}", r.headers);
    }
    assert_eq!(status(&a).ttl.map(|t| t <= 0 || t == 10), Some(true));
    eventually("the background revalidation", || {
        o.log().conditional("/a.txt") == 1
    })
    .await;
    // The 304 lands in the store just after the origin logs it.
    let mut fresh = None;
    for _ in 0..100 {
        let r = get(&p, "/a.txt", &[]).await;
        if status(&r).ttl == Some(10) {
            fresh = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fresh = fresh.expect("the refreshed copy is served");
    assert_eq!(kind(&fresh), "hit");
    assert_eq!(
        o.log().requests("/a.txt"),
        2,
        "one origin request behind three hits"
    );
    assert_eq!(o.log().conditional("/a.txt"), 1);
    // Past the window: revalidated before answering, as without it.
    c.advance(secs(100));
    let late = get(&p, "/a.txt", &[]).await;
    assert_eq!(kind(&late), "fwd=stale;fwd-status=304;stored");
}

/// RFC 5861 §4: a client's `stale-if-error` is honoured when the origin is
/// down.
#[tokio::test]
async fn a_request_stale_if_error_gets_the_stale_copy_when_the_origin_fails() {
    let (_d, o, c, p) = world(&[("Cache-Control", "max-age=10")]).await;
    get(&p, "/a.txt", &[]).await;
    o.shutdown().await;
    c.advance(secs(30));
    let plain = get(&p, "/a.txt", &[]).await;
    assert_eq!(plain.status, StatusCode::BAD_GATEWAY);
    let asked = get(&p, "/a.txt", &[("cache-control", "stale-if-error=60")]).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert_eq!(&asked.body[..], b"hello");
    assert_eq!(kind(&asked), "fwd=stale");
}

// ----------------------------------------------------------------- Vary ----

/// RFC 9111 §4.1: selecting headers are compared after the normalisation
/// their syntax allows — lines combined, white space around members,
/// `Accept-Language` case and order.
#[tokio::test]
async fn vary_compares_normalised_selecting_headers() {
    let (_d, o, _c, p) = world(&[
        ("Cache-Control", "max-age=600"),
        ("Vary", "Accept-Language, Foo"),
    ])
    .await;
    let first = get(
        &p,
        "/a.txt",
        &[("accept-language", "en, de"), ("foo", "1, 2")],
    )
    .await;
    assert!(status(&first).stored);
    for same in [
        vec![("accept-language", "de, en"), ("foo", "1, 2")],
        vec![("accept-language", "eN, De"), ("foo", "1"), ("foo", "2")],
        vec![("accept-language", " en ,   de"), ("foo", " 1 ,2 ")],
    ] {
        assert_eq!(kind(&get(&p, "/a.txt", &same).await), "hit", "{same:?}");
    }
    assert_eq!(o.log().requests("/a.txt"), 1);
    let other = get(&p, "/a.txt", &[("accept-language", "fr"), ("foo", "1, 2")]).await;
    assert_eq!(status(&other).fwd.as_deref(), Some("vary-miss"));
    assert_eq!(o.log().requests("/a.txt"), 2);
}
