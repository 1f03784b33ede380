//! The fetch I/O layer against real servers on 127.0.0.1: vxb's own origin
//! (`vxb::serve`) for well-behaved answers, and raw TCP listeners for broken
//! ones (short bodies, resets, malformed headers). Plus `file:` reads and
//! confinement on real files, and cookies through a real exchange.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::StatusCode;
use http::header::COOKIE;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;
use vxb::clock::{Clock, ManualClock, SystemClock};
use vxb::config::{CookieConfig, CookieScope};
use vxb::fetch::{
    CookieJar, Cookies, FetchError, FileRoot, HttpClient, HttpRequest, HttpResponse, Referrer,
    check_access, effective_base, file, resolve,
};
use vxb::serve::Origin;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::origin;

const TIMEOUT: Duration = Duration::from_secs(5);

fn site() -> TempDir {
    fixtures::site(&[("app.vxml", "<vxml/>"), ("b.vxml", "<vxml>b</vxml>")])
}

fn client() -> HttpClient {
    HttpClient::new(Arc::new(SystemClock), &vxb::config::Config::direct().fetch)
        .expect("client builds")
}

fn url_of(o: &Origin, path: &str) -> Url {
    o.base_url().join(path).expect("test path")
}

async fn get(c: &HttpClient, url: Url) -> Result<HttpResponse, FetchError> {
    c.send(HttpRequest::get(url, TIMEOUT)).await
}

// ---------------------------------------------------------------- HTTP ----

#[tokio::test]
async fn a_200_brings_the_whole_body_and_clock_times() {
    let dir = site();
    let o = origin(dir.path(), "").await;
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let c = HttpClient::new(clock.clone(), &vxb::config::Config::direct().fetch).expect("client");
    let r = get(&c, url_of(&o, "/app.vxml")).await.expect("200");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"<vxml/>");
    assert_eq!(r.url, url_of(&o, "/app.vxml"));
    assert_eq!(
        r.request_time,
        clock.now(),
        "times come from the injected clock"
    );
    assert_eq!(r.response_time, clock.now());
    assert!(r.headers.contains_key("etag"));
    assert!(r.redirect_location().is_none());
    let r = r.error_for_status().expect("200 is not an error");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(o.log().requests("/app.vxml"), 1);
}

#[tokio::test]
async fn error_statuses_are_responses_until_the_caller_asks() {
    let dir = site();
    let o = origin(
        dir.path(),
        "[[rule]]\npath = \"/boom.vxml\"\nstatus = 500\n",
    )
    .await;
    let c = client();
    let r = get(&c, url_of(&o, "/missing.vxml"))
        .await
        .expect("a 404 response");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let e = r.error_for_status().expect_err("404 is an error");
    assert_eq!(e.event(), "error.badfetch.http.404");
    assert!(matches!(
        e,
        FetchError::Status {
            status: StatusCode::NOT_FOUND,
            ..
        }
    ));
    assert!(e.to_string().contains("/missing.vxml"), "{e}");

    let r = get(&c, url_of(&o, "/boom.vxml"))
        .await
        .expect("a 500 response");
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let e = r.error_for_status().expect_err("500 is an error");
    assert_eq!(e.event(), "error.badfetch.http.500");

    // 304 is a normal answer.
    let first = get(&c, url_of(&o, "/app.vxml")).await.expect("200");
    let mut req = HttpRequest::get(url_of(&o, "/app.vxml"), TIMEOUT);
    req.headers.insert(
        "if-none-match",
        first.headers.get("etag").expect("etag").clone(),
    );
    let r = c.send(req).await.expect("304");
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.error_for_status().is_ok());
}

#[tokio::test]
async fn the_timeout_covers_a_slow_answer() {
    let dir = site();
    let o = origin(
        dir.path(),
        "[[rule]]\npath = \"/slow.vxml\"\ndelay = \"1s\"\n",
    )
    .await;
    let c = client();
    let started = Instant::now();
    let limit = Duration::from_millis(300);
    let e = c
        .send(HttpRequest::get(url_of(&o, "/slow.vxml"), limit))
        .await
        .expect_err("times out");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        e,
        FetchError::Timeout {
            url: url_of(&o, "/slow.vxml").to_string(),
            limit
        }
    );
    assert_eq!(e.event(), "error.badfetch");
    assert!(e.to_string().contains("300ms"), "{e}");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let url = Url::parse(&format!("http://{addr}/a.vxml")).expect("url");
    let e = get(&client(), url).await.expect_err("refused");
    assert!(matches!(e, FetchError::Connect { .. }), "{e:?}");
    assert!(e.to_string().contains(&addr.to_string()), "{e}");
    assert_eq!(e.event(), "error.badfetch");
}

/// What a raw server does once it has written its bytes.
#[derive(Clone, Copy)]
enum Then {
    Close,
    /// Waits so the client has read what was sent, then resets (RST).
    Reset,
}

/// A one-shot server that reads a request head and answers with `bytes`.
async fn raw_server(bytes: &'static [u8], then: Then) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.write_all(bytes).await;
        let _ = stream.flush().await;
        if let Then::Reset = then {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = stream.set_zero_linger();
        }
        drop(stream);
    });
    Url::parse(&format!("http://{addr}/x.vxml")).expect("url")
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_fails() {
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nhello",
        Then::Close,
    )
    .await;
    let e = get(&client(), url.clone()).await.expect_err("short body");
    assert_eq!(
        e,
        FetchError::ShortBody {
            url: url.to_string(),
            expected: 100,
            received: 5
        }
    );
    assert_eq!(e.event(), "error.badfetch");
}

#[tokio::test]
async fn a_reset_mid_body_fails() {
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello",
        Then::Reset,
    )
    .await;
    let e = get(&client(), url).await.expect_err("reset");
    match &e {
        FetchError::Broken { cause, .. } => {
            assert!(cause.to_lowercase().contains("reset"), "{e}")
        }
        other => panic!("expected Broken, got {other:?}"),
    }
}

fn client_limited_to(max_body_bytes: u64) -> HttpClient {
    let mut fetch = vxb::config::Config::direct().fetch;
    fetch.max_body_bytes = max_body_bytes;
    HttpClient::new(Arc::new(SystemClock), &fetch).expect("client builds")
}

#[tokio::test]
async fn a_body_past_max_body_bytes_is_refused_on_its_content_length() {
    // The origin announces a megabyte and sends a few bytes, then waits: the
    // client refuses on the header alone, without waiting for the body.
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nhello",
        Then::Reset,
    )
    .await;
    let e = get(&client_limited_to(100), url.clone())
        .await
        .expect_err("too large");
    assert_eq!(
        e,
        FetchError::TooLarge {
            url: url.to_string(),
            limit: 100
        }
    );
    assert_eq!(e.event(), "error.badfetch");
    assert!(
        e.to_string().contains("fetch.max_body_bytes (100 bytes)"),
        "{e}"
    );
}

#[tokio::test]
async fn a_body_without_a_length_is_cut_where_it_passes_max_body_bytes() {
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          40\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\
          40\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n0\r\n\r\n",
        Then::Close,
    )
    .await;
    let e = get(&client_limited_to(100), url.clone())
        .await
        .expect_err("too large");
    assert!(
        matches!(e, FetchError::TooLarge { limit: 100, .. }),
        "{e:?}"
    );
    // The same body fits a limit of its own size exactly.
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        Then::Close,
    )
    .await;
    let r = get(&client_limited_to(5), url).await.expect("fits");
    assert_eq!(&r.body[..], b"hello");
}

#[tokio::test]
async fn a_chunked_body_cut_mid_chunk_fails() {
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n20\r\nonly a bit",
        Then::Close,
    )
    .await;
    let e = get(&client(), url).await.expect_err("cut chunk");
    assert!(
        matches!(e, FetchError::Broken { received, .. } if received >= 5),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_reset_before_any_answer_fails() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
    });
    let url = Url::parse(&format!("http://{addr}/x")).expect("url");
    let e = get(&client(), url).await.expect_err("no answer");
    assert!(matches!(e, FetchError::Broken { received: 0, .. }), "{e:?}");
}

#[tokio::test]
async fn redirects_are_surfaced_not_followed() {
    let dir = site();
    let rules = r#"
[[rule]]
path = "/old.vxml"
status = 302
headers = { Location = "b.vxml" }

[[rule]]
path = "/nowhere.vxml"
status = 301
"#;
    let o = origin(dir.path(), rules).await;
    let c = client();
    let r = get(&c, url_of(&o, "/old.vxml"))
        .await
        .expect("302 response");
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(r.is_redirect());
    assert_eq!(
        r.redirect_location().expect("a redirect"),
        Ok(url_of(&o, "/b.vxml")),
        "Location resolved against the request URL"
    );
    assert_eq!(o.log().requests("/b.vxml"), 0, "not followed");
    assert!(r.error_for_status().is_ok(), "3xx is not an error status");

    let r = get(&c, url_of(&o, "/nowhere.vxml"))
        .await
        .expect("301 response");
    let e = r
        .redirect_location()
        .expect("a redirect")
        .expect_err("no Location");
    assert!(matches!(e, FetchError::BadRedirect { .. }), "{e:?}");
    assert!(e.to_string().contains("no Location"), "{e}");
}

#[tokio::test]
async fn malformed_header_lines_are_tolerated() {
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\n\
          Content-Length: 2\r\n\
          X-Latin: caf\xe9\r\n\
          Bad Header: dropped\r\n\
          Date: not a date\r\n\
          Expires: 0\r\n\
          Connection: close\r\n\r\nok",
        Then::Close,
    )
    .await;
    let r = get(&client(), url).await.expect("tolerated");
    assert_eq!(&r.body[..], b"ok");
    assert_eq!(
        r.headers.get("x-latin").map(|v| v.as_bytes()),
        Some(&b"caf\xe9"[..]),
        "non-ASCII value kept as bytes"
    );
    assert!(
        r.headers
            .get("x-latin")
            .is_some_and(|v| v.to_str().is_err())
    );
    assert_eq!(
        r.headers.get("date").map(|v| v.as_bytes()),
        Some(&b"not a date"[..])
    );
    assert_eq!(
        r.headers.get("expires").map(|v| v.as_bytes()),
        Some(&b"0"[..])
    );
    assert!(!r.headers.keys().any(|k| k.as_str().contains("bad")));
}

#[tokio::test]
async fn only_http_urls_are_sent() {
    let e = get(&client(), Url::parse("file:///etc/hostname").expect("url"))
        .await
        .expect_err("file: is not HTTP");
    assert!(matches!(e, FetchError::UnsupportedScheme { .. }), "{e:?}");
    let e = get(&client(), Url::parse("ftp://h/x").expect("url"))
        .await
        .expect_err("ftp refused");
    assert!(e.to_string().contains("`ftp`"), "{e}");
}

// ------------------------------------------------------------- cookies ----

#[tokio::test]
async fn cookies_round_trip_and_removed_names_are_reissued() {
    let dir = site();
    let rules = r#"
[[rule]]
path = "/app.vxml"
headers = { "Set-Cookie" = "JSESSIONID=abc; Path=/" }

[[rule]]
path = "/b.vxml"
headers = { "Set-Cookie" = "lang=en; Path=/" }
"#;
    let o = origin(dir.path(), rules).await;
    let c = client();
    let cookies = Cookies::new(&CookieConfig {
        scope: CookieScope::PerCall,
        remove: vec!["JSESSIONID".into()],
    });
    let jar = cookies.for_call();
    let exchange = |jar: Arc<CookieJar>, path: &'static str| {
        let c = c.clone();
        let url = url_of(&o, path);
        async move {
            let mut req = HttpRequest::get(url.clone(), TIMEOUT);
            if let Some(v) = jar.request_header(&url) {
                req.headers.insert(COOKIE, v);
            }
            let r = c.send(req).await.expect("exchange");
            jar.store_from_response(&url, &r.headers);
        }
    };
    exchange(jar.clone(), "/b.vxml").await; // lang=en
    exchange(jar.clone(), "/app.vxml").await; // JSESSIONID=abc
    exchange(jar.clone(), "/b.vxml").await; // JSESSIONID dropped before the read
    exchange(jar.clone(), "/b.vxml").await;
    let sent: Vec<Option<String>> = o.log().records().into_iter().map(|r| r.cookie).collect();
    assert_eq!(
        sent,
        [
            None,
            Some("lang=en".into()),
            Some("lang=en".into()),
            Some("lang=en".into())
        ]
    );

    // A new call has a new jar.
    let other = cookies.for_call();
    assert!(other.request_header(&url_of(&o, "/b.vxml")).is_none());
}

#[tokio::test]
async fn a_shared_jar_carries_cookies_across_calls() {
    let dir = site();
    let o = origin(
        dir.path(),
        "[[rule]]\npath = \"/app.vxml\"\nheaders = { \"Set-Cookie\" = \"s=1\" }\n",
    )
    .await;
    let cookies = Cookies::new(&CookieConfig {
        scope: CookieScope::Shared,
        remove: vec![],
    });
    let url = url_of(&o, "/app.vxml");
    let r = get(&client(), url.clone()).await.expect("200");
    cookies.for_call().store_from_response(&url, &r.headers);
    let header = cookies.for_call().request_header(&url);
    assert_eq!(header.as_ref().and_then(|v| v.to_str().ok()), Some("s=1"));
}

// --------------------------------------------------------------- file: ----

fn file_url(p: &Path) -> Url {
    Url::from_file_path(p).expect("absolute path")
}

#[tokio::test]
async fn file_reads_carry_a_stamp_that_changes_with_the_file() {
    let dir = site();
    let root = FileRoot::new(dir.path()).expect("root");
    let path = root.path().join("app.vxml");
    let p = root.confine(&file_url(&path)).expect("inside");
    assert_eq!(p.path(), path);
    let first = file::read(&p, u64::MAX).await.expect("read");
    assert_eq!(&first.body[..], b"<vxml/>");
    assert_eq!(first.stamp.len, 7);
    assert_eq!(
        file::stamp(&p).await.expect("stat"),
        first.stamp,
        "unchanged"
    );

    // Same size, new time.
    let t = SystemTime::now() + Duration::from_secs(60);
    std::fs::write(&path, "<VXML/>").expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(t))
        .expect("mtime");
    let second = file::stamp(&p).await.expect("stat");
    assert_ne!(second, first.stamp);
    assert_eq!(second.modified, t);
    assert_eq!(second.len, 7);
    assert_eq!(
        &file::read(&p, u64::MAX).await.expect("read").body[..],
        b"<VXML/>"
    );

    // Same time, new size.
    std::fs::write(&path, "<vxml></vxml>").expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(t))
        .expect("mtime");
    let third = file::stamp(&p).await.expect("stat");
    assert_eq!(third.modified, t);
    assert_ne!(third, second);

    // Gone.
    std::fs::remove_file(&path).expect("rm");
    let e = file::stamp(&p).await.expect_err("missing");
    assert!(
        matches!(
            e,
            FetchError::File {
                kind: std::io::ErrorKind::NotFound,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.event(), "error.badfetch");
    let e = file::read(&p, u64::MAX).await.expect_err("missing");
    assert!(e.to_string().contains("app.vxml"), "{e}");
}

#[tokio::test]
async fn a_file_past_max_body_bytes_is_refused() {
    let dir = site();
    let root = FileRoot::new(dir.path()).expect("root");
    let p = root
        .confine(&file_url(&root.path().join("b.vxml")))
        .expect("inside");
    let e = file::read(&p, 13).await.expect_err("14 bytes");
    assert!(matches!(e, FetchError::TooLarge { limit: 13, .. }), "{e:?}");
    assert_eq!(e.event(), "error.badfetch");
    let fits = file::read(&p, 14).await.expect("14 bytes");
    assert_eq!(&fits.body[..], b"<vxml>b</vxml>");
}

#[tokio::test]
async fn file_urls_are_confined_to_the_root() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
    let dir = site();
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("link.txt"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("outdir")).expect("symlink");
    let root = FileRoot::new(&dir.path().join("sub")).expect("root");
    let base = root.path().to_path_buf();
    let name = outside
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 temp name");
    let refused = |u: &str| {
        let url = Url::parse(u).expect("url");
        match root.confine(&url) {
            Err(e @ FetchError::OutsideRoot { .. }) => {
                assert_eq!(e.event(), "error.badfetch");
                e.to_string()
            }
            other => panic!("{u}: expected OutsideRoot, got {other:?}"),
        }
    };
    let sub = file_url(&base);
    // `..` in the URL (normalized by the URL parser, then outside).
    refused(&format!("{sub}/../app.vxml"));
    // `..` smuggled through an encoded slash.
    refused(&format!("{sub}/..%2F..%2F{name}%2Fsecret.txt"));
    // An absolute path elsewhere.
    let msg = refused(file_url(&outside.path().join("secret.txt")).as_str());
    assert!(msg.contains("outside the file root"), "{msg}");
    // A missing file outside is still outside (not "not found").
    refused(file_url(&outside.path().join("nope.txt")).as_str());

    // Symlinks that leave the root, with the root one level up.
    let root = FileRoot::new(dir.path()).expect("root");
    for link in ["link.txt", "outdir/secret.txt"] {
        let url = file_url(&root.path().join(link));
        assert!(
            matches!(root.confine(&url), Err(FetchError::OutsideRoot { .. })),
            "{link}"
        );
    }
    // Inside is fine, including a missing file (reading it is the error).
    assert!(
        root.confine(&file_url(&root.path().join("app.vxml")))
            .is_ok()
    );
    assert!(
        root.confine(&file_url(&root.path().join("sub/new.vxml")))
            .is_ok()
    );
    // Not a file URL at all.
    let e = root
        .confine(&Url::parse("http://h/a").expect("url"))
        .expect_err("http");
    assert!(matches!(e, FetchError::UnsupportedScheme { .. }), "{e:?}");
    // A remote host in a file URL.
    let e = root
        .confine(&Url::parse("file://remote.example/a.vxml").expect("url"))
        .expect_err("remote host");
    assert!(matches!(e, FetchError::InvalidUrl { .. }), "{e:?}");
    // A root that is not a directory.
    let e = FileRoot::new(&dir.path().join("app.vxml")).expect_err("a file");
    assert!(e.to_string().contains("not a directory"), "{e}");
}

#[test]
fn documents_from_http_cannot_read_file_urls_but_resolve_relative_ones() {
    let http_doc = Url::parse("http://127.0.0.1:8080/app/main.vxml").expect("url");
    // A relative reference in an http document stays http.
    let next = resolve(&http_doc, "next.vxml").expect("resolves");
    assert_eq!(next.as_str(), "http://127.0.0.1:8080/app/next.vxml");
    assert!(check_access(&Referrer::Document(http_doc.clone()), &next).is_ok());
    // An absolute file: URL in it is refused.
    let local = resolve(&http_doc, "file:///etc/passwd").expect("resolves");
    let e = check_access(&Referrer::Document(http_doc.clone()), &local).expect_err("refused");
    assert!(matches!(e, FetchError::FileFromHttp { .. }), "{e:?}");
    // xml:base pointing at file: does not help either.
    let base = effective_base(&http_doc, Some("file:///srv/")).expect("base");
    let via_base = resolve(&base, "a.vxml").expect("resolves");
    assert_eq!(via_base.as_str(), "file:///srv/a.vxml");
    assert!(check_access(&Referrer::Document(http_doc.clone()), &via_base).is_err());
    // A local document's relative references stay local and are allowed.
    let file_doc = Url::parse("file:///srv/app/main.vxml").expect("url");
    let sub = effective_base(&file_doc, Some("dialogs/")).expect("base");
    let target = resolve(&sub, "menu.vxml").expect("resolves");
    assert_eq!(target.as_str(), "file:///srv/app/dialogs/menu.vxml");
    assert!(check_access(&Referrer::Document(file_doc.clone()), &target).is_ok());
}
