//! `vxb serve` and its in-process API: a real origin on 127.0.0.1 (ephemeral
//! port), fetched with vxb's own HTTP client or a raw socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use tempfile::TempDir;
use vxb::clock::SystemClock;
use vxb::fetch::{HttpClient, HttpRequest, HttpResponse};
use vxb::serve::{Origin, ServeOptions};

#[path = "support/fixtures.rs"]
mod fixtures;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A directory with a few sample files.
fn site() -> TempDir {
    fixtures::site(&[
        ("app.vxml", "<vxml version=\"2.1\"/>"),
        ("audio/hello.wav", "RIFF....WAVE"),
        ("audio/deep/bye.wav", "RIFF..bye"),
        ("script.js", "var x = 1;"),
        ("grammar.grxml", "<grammar/>"),
    ])
}

async fn start(dir: &Path, rules: &str) -> Origin {
    fixtures::origin(dir, rules).await
}

fn client() -> HttpClient {
    HttpClient::new(Arc::new(SystemClock), &vxb::config::Config::direct().fetch)
        .expect("client builds")
}

async fn request(
    origin: &Origin,
    method: Method,
    path: &str,
    headers: &[(&'static str, &str)],
) -> HttpResponse {
    let mut h = HeaderMap::new();
    for (name, value) in headers {
        h.insert(*name, HeaderValue::from_str(value).expect("test header"));
    }
    let url = origin.base_url().join(path).expect("test path");
    let req = HttpRequest {
        method,
        headers: h,
        ..HttpRequest::get(url, TIMEOUT)
    };
    client().send(req).await.expect("exchange completes")
}

async fn get(origin: &Origin, path: &str, headers: &[(&'static str, &str)]) -> HttpResponse {
    request(origin, Method::GET, path, headers).await
}

fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn files_come_with_validators_date_and_content_type() {
    let dir = site();
    let origin = start(dir.path(), "").await;
    let r = get(&origin, "/app.vxml", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"<vxml version=\"2.1\"/>");
    let etag = header(&r, "etag").expect("ETag present");
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let modified = std::fs::metadata(dir.path().join("app.vxml"))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(
        header(&r, "last-modified"),
        Some(httpdate::fmt_http_date(modified).as_str())
    );
    let date = header(&r, "date").and_then(|d| httpdate::parse_http_date(d).ok());
    let age = date
        .and_then(|d| SystemTime::now().duration_since(d).ok())
        .expect("a Date not in the future");
    assert!(age < Duration::from_secs(5), "Date is now: {age:?}");
    assert_eq!(header(&r, "content-type"), Some("application/voicexml+xml"));
    assert_eq!(header(&r, "content-length"), Some("21"));

    let wav = get(&origin, "/audio/hello.wav", &[]).await;
    assert_eq!(header(&wav, "content-type"), Some("audio/wav"));
    let js = get(&origin, "/script.js", &[]).await;
    assert_eq!(header(&js, "content-type"), Some("text/javascript"));
    let g = get(&origin, "/grammar.grxml", &[]).await;
    assert_eq!(header(&g, "content-type"), Some("application/srgs+xml"));
}

#[tokio::test]
async fn conditional_requests_get_304() {
    let dir = site();
    let origin = start(dir.path(), "").await;
    let first = get(&origin, "/app.vxml", &[]).await;
    let etag = header(&first, "etag").expect("etag").to_string();
    let lm = header(&first, "last-modified")
        .expect("last-modified")
        .to_string();

    let r = get(&origin, "/app.vxml", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(
        header(&r, "etag"),
        Some(etag.as_str()),
        "304 repeats the ETag"
    );

    let r = get(&origin, "/app.vxml", &[("if-modified-since", &lm)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);

    // If-None-Match takes precedence: a stale tag means 200 even though the
    // date would have matched (RFC 9110 §13.2.2).
    let r = get(
        &origin,
        "/app.vxml",
        &[("if-none-match", "\"stale\""), ("if-modified-since", &lm)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), 21);

    let old = "Mon, 01 Jan 2001 00:00:00 GMT";
    let r = get(&origin, "/app.vxml", &[("if-modified-since", old)]).await;
    assert_eq!(r.status, StatusCode::OK);

    let log = origin.log();
    assert_eq!(log.requests("/app.vxml"), 5);
    assert_eq!(log.conditional("/app.vxml"), 4);
    assert_eq!(log.statuses("/app.vxml"), vec![200, 304, 304, 200, 200]);
}

#[tokio::test]
async fn a_changed_file_is_served_fresh_with_new_validators() {
    let dir = site();
    let origin = start(dir.path(), "").await;
    let path = dir.path().join("app.vxml");
    let first = get(&origin, "/app.vxml", &[]).await;
    let etag = header(&first, "etag").expect("etag").to_string();

    std::fs::write(&path, b"<vxml version=\"2.1\"><form/></vxml>").expect("rewrite");
    let later = SystemTime::now() + Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(later))
        .expect("set mtime");

    let r = get(&origin, "/app.vxml", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::OK, "old tag no longer matches");
    assert_eq!(&r.body[..], b"<vxml version=\"2.1\"><form/></vxml>");
    assert_ne!(header(&r, "etag"), Some(etag.as_str()));
    assert_eq!(
        header(&r, "last-modified"),
        Some(httpdate::fmt_http_date(later).as_str())
    );
}

#[tokio::test]
async fn rules_add_headers_by_pattern_and_drop_validators() {
    let dir = site();
    let rules = r#"
[[rule]]
path = "/**"
headers = { "X-Served-By" = "vxb" }

[[rule]]
path = "/audio/*.wav"
headers = { "Cache-Control" = "max-age=10" }
etag = false

[[rule]]
path = "/app.vxml"
last_modified = false
headers = { "Cache-Control" = "no-cache", "Set-Cookie" = "s=1; Path=/" }

[[rule]]
path = "/gone.vxml"
status = 410
headers = { "Cache-Control" = "max-age=5" }
"#;
    let origin = start(dir.path(), rules).await;

    let wav = get(&origin, "/audio/hello.wav", &[]).await;
    assert_eq!(header(&wav, "cache-control"), Some("max-age=10"));
    assert_eq!(header(&wav, "x-served-by"), Some("vxb"));
    assert_eq!(header(&wav, "etag"), None, "etag = false drops it");
    let lm = header(&wav, "last-modified").expect("kept").to_string();
    // Without an ETag, If-Modified-Since still validates.
    let r = get(&origin, "/audio/hello.wav", &[("if-modified-since", &lm)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(&r, "cache-control"),
        Some("max-age=10"),
        "rules apply to 304s"
    );

    // `*` stays within a segment.
    let deep = get(&origin, "/audio/deep/bye.wav", &[]).await;
    assert_eq!(header(&deep, "cache-control"), None);
    assert!(header(&deep, "etag").is_some());

    let app = get(&origin, "/app.vxml", &[]).await;
    assert_eq!(header(&app, "cache-control"), Some("no-cache"));
    assert_eq!(header(&app, "set-cookie"), Some("s=1; Path=/"));
    assert_eq!(header(&app, "last-modified"), None);
    let etag = header(&app, "etag").expect("etag kept").to_string();
    // Without Last-Modified, If-Modified-Since cannot match.
    let r = get(
        &origin,
        "/app.vxml",
        &[("if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = get(&origin, "/app.vxml", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);

    let gone = get(&origin, "/gone.vxml", &[]).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(header(&gone, "cache-control"), Some("max-age=5"));
    assert_eq!(header(&gone, "x-served-by"), Some("vxb"));
}

#[tokio::test]
async fn missing_files_methods_head_and_post() {
    let dir = site();
    let origin = start(dir.path(), "").await;
    let r = get(&origin, "/nothing.vxml", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get(&origin, "/audio", &[]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "directories are not listed"
    );

    let r = request(&origin, Method::PUT, "/app.vxml", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&r, "allow"), Some("GET, HEAD, POST"));

    let r = request(&origin, Method::HEAD, "/app.vxml", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "content-length"), Some("21"));
    assert!(header(&r, "etag").is_some());

    let url = origin.base_url().join("/app.vxml?city=paris").expect("url");
    let post = HttpRequest {
        method: Method::POST,
        body: Some(bytes::Bytes::from_static(b"city=paris")),
        ..HttpRequest::get(url, TIMEOUT)
    };
    let r = client().send(post).await.expect("post completes");
    assert_eq!(r.status, StatusCode::OK, "POST is answered like GET");
    assert_eq!(r.body.len(), 21);

    let log = origin.log().records();
    let methods: Vec<(String, u16, u64)> = log
        .iter()
        .map(|r| (r.method.to_string(), r.status.as_u16(), r.bytes))
        .collect();
    assert_eq!(
        methods[2..],
        [
            ("PUT".to_string(), 405, methods[2].2),
            ("HEAD".to_string(), 200, 0),
            ("POST".to_string(), 200, 21),
        ]
    );
    assert_eq!(log[4].target, "/app.vxml?city=paris");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_cannot_escape_the_directory() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
    let dir = site();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("link.txt"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("outdir")).expect("symlink");
    std::fs::write(dir.path().join("inside.txt"), "ok").expect("write");
    std::os::unix::fs::symlink(dir.path().join("inside.txt"), dir.path().join("alias.txt"))
        .expect("symlink");
    let origin = start(dir.path(), "").await;

    let name = outside
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 temp name")
        .to_string();
    let targets = [
        format!("/../{name}/secret.txt"),
        format!("/%2e%2e/{name}/secret.txt"),
        format!("/audio/..%2f..%2f{name}%2fsecret.txt"),
        "/link.txt".to_string(),
        "/outdir/secret.txt".to_string(),
        "/alias.txt".to_string(),
    ];
    let addr = origin.addr();
    // Raw requests: an HTTP client would normalize the `..` away.
    let statuses = tokio::task::spawn_blocking({
        move || {
            targets
                .iter()
                .map(|t| {
                    let mut s = TcpStream::connect(addr).expect("connect");
                    write!(
                        s,
                        "GET {t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                    .expect("send");
                    let mut answer = String::new();
                    s.read_to_string(&mut answer).expect("read");
                    assert!(
                        !answer.contains("secret\n") && !answer.ends_with("secret"),
                        "{t}: {answer}"
                    );
                    answer.lines().next().unwrap_or_default().to_string()
                })
                .collect::<Vec<_>>()
        }
    })
    .await
    .expect("raw requests");
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 403 Forbidden",
            "HTTP/1.1 403 Forbidden",
            "HTTP/1.1 403 Forbidden",
            "HTTP/1.1 403 Forbidden",
            "HTTP/1.1 403 Forbidden",
            "HTTP/1.1 200 OK", // a symlink that stays inside is fine
        ]
    );
}

#[tokio::test]
async fn every_request_is_logged() {
    let dir = site();
    let origin = start(dir.path(), "").await;
    let first = get(&origin, "/app.vxml?x=1", &[]).await;
    let etag = header(&first, "etag").expect("etag").to_string();
    get(
        &origin,
        "/app.vxml",
        &[("if-none-match", &etag), ("cookie", "a=1")],
    )
    .await;
    get(&origin, "/missing.wav", &[]).await;

    let records = origin.log().records();
    let lines: Vec<(String, u16, u64, String)> = records
        .iter()
        .map(|r| {
            let request = format!("{} {}", r.method, r.target);
            (request, r.status.as_u16(), r.bytes, r.validators())
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("GET /app.vxml?x=1".into(), 200, 21, String::new()),
            (
                "GET /app.vxml".into(),
                304,
                0,
                format!("if-none-match={etag:?}")
            ),
            ("GET /missing.wav".into(), 404, 14, String::new()),
        ]
    );
    assert_eq!(records[1].cookie.as_deref(), Some("a=1"));
    assert_eq!(origin.log().total(), 3);
    assert_eq!(origin.log().total_bytes(), 35);
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let dir = site();
    let origin = start(dir.path(), "").await;
    let addr = origin.addr();
    get(&origin, "/app.vxml", &[]).await;
    origin.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn a_bad_directory_is_refused() {
    let dir = site();
    let missing = dir.path().join("nope");
    let e = Origin::start(ServeOptions::new(&missing))
        .await
        .expect_err("missing dir refused");
    assert!(e.to_string().contains("nope"), "{e}");
    let file = dir.path().join("app.vxml");
    let e = Origin::start(ServeOptions::new(&file))
        .await
        .expect_err("a file is not a directory");
    assert!(e.to_string().contains("not a directory"), "{e}");
}

/// Reads lines from a child's stdout on a thread, so a test can wait with a
/// limit.
fn line_reader(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn vxb_serve_runs_as_a_process() {
    let dir = site();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\npath = \"/*.vxml\"\nheaders = { \"Cache-Control\" = \"max-age=3\" }\n",
    )
    .expect("write rules");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vxb"))
        .arg("serve")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--rules"])
        .arg(&rules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vxb serve");
    let lines = line_reader(child.stdout.take().expect("piped stdout"));
    let first = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("an address line");
    let url = first
        .rsplit(" on ")
        .next()
        .expect("`… on URL`")
        .trim()
        .to_string();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();

    let mut s = TcpStream::connect(&addr).expect("connect to vxb serve");
    write!(
        s,
        "GET /app.vxml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    let lower = answer.to_ascii_lowercase();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(lower.contains("\r\netag: \""), "{answer}");
    assert!(
        lower.contains("\r\ncache-control: max-age=3\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("<vxml version=\"2.1\"/>"), "{answer}");

    let log_line = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("a log line");
    assert_eq!(
        fixtures::access_line_shape(&log_line),
        "TIME GET /app.vxml 200 21B LATENCY"
    );
    // A conditional request: its validator at the end of the line.
    let etag = lower
        .split("\r\netag: ")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .expect("an ETag")
        .to_string();
    let mut s = TcpStream::connect(&addr).expect("connect to vxb serve");
    write!(
        s,
        "HEAD /app.vxml HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 304"), "{answer}");
    let log_line = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("a log line");
    assert_eq!(
        fixtures::access_line_shape(&log_line),
        format!("TIME HEAD /app.vxml 304 0B LATENCY if-none-match={etag:?}")
    );

    child.kill().expect("kill");
    let _ = child.wait();
}

#[test]
fn vxb_serve_refuses_bad_input_with_exit_2() {
    let dir = site();
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_vxb"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .output()
            .expect("run vxb serve");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let missing = dir.path().join("missing");
    let (code, err) = run(&[missing.as_os_str()]);
    assert_eq!(code, Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("missing"), "{err}");

    let rules = dir.path().join("bad.toml");
    std::fs::write(&rules, "[[rule]]\npath = \"/a\"\ncolour = \"red\"\n").expect("write");
    let (code, err) = run(&[
        dir.path().as_os_str(),
        std::ffi::OsStr::new("--rules"),
        rules.as_os_str(),
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml:3:"), "{err}");
    assert!(err.contains("colour"), "{err}");
}

/// Serves `dir` with `limits`, on time the test controls (tokio's paused
/// clock: a timeout fires when nothing else can happen, without sleeping).
async fn limited(dir: &Path, limits: vxb::server::ServerLimits) -> Origin {
    Origin::start(ServeOptions {
        limits,
        ..ServeOptions::new(dir)
    })
    .await
    .expect("origin starts")
}

async fn connect(origin: &Origin) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(origin.addr())
        .await
        .expect("connects")
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(conn: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let _ = conn.read_to_end(&mut got).await;
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let dir = site();
    let limits = vxb::server::ServerLimits {
        header_timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let origin = limited(dir.path(), limits).await;
    let mut slow = connect(&origin).await;
    let began = tokio::time::Instant::now();
    slow.write_all(b"GET /app.vxml HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
        .await
        .expect("writes");
    let said = tokio::time::timeout(Duration::from_secs(60), read_to_close(&mut slow))
        .await
        .expect("the slow client is cut off");
    // Closed at the timeout, not before, and no request was answered.
    assert!(
        began.elapsed() >= Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert!(!said.contains("200 OK"), "{said}");
    // Everyone else is still served.
    let ok = get(&origin, "app.vxml", &[]).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let dir = site();
    let limits = vxb::server::ServerLimits {
        header_timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let origin = limited(dir.path(), limits).await;
    let mut conn = connect(&origin).await;
    conn.write_all(b"GET /script.js HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("writes");
    let began = tokio::time::Instant::now();
    let said = tokio::time::timeout(Duration::from_secs(60), read_to_close(&mut conn))
        .await
        .expect("the idle connection is closed");
    // The request was answered, and the connection it kept alive closed
    // once it had been idle for the timeout.
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
    assert!(said.ends_with("var x = 1;"), "{said}");
    assert!(
        began.elapsed() >= Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn past_the_connection_cap_clients_wait_until_a_place_frees() {
    use tokio::io::AsyncWriteExt;
    let dir = site();
    let limits = vxb::server::ServerLimits {
        header_timeout: Duration::from_secs(600),
        max_connections: 2,
    };
    let origin = limited(dir.path(), limits).await;
    let idle_a = connect(&origin).await;
    let _idle_b = connect(&origin).await;
    let mut third = connect(&origin).await;
    third
        .write_all(b"GET /script.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("writes");
    // Two connections hold both places: the third is not served…
    let waited = tokio::time::timeout(Duration::from_secs(60), read_to_close(&mut third)).await;
    assert!(waited.is_err(), "served past the cap: {waited:?}");
    // …until one of them goes away.
    drop(idle_a);
    let said = tokio::time::timeout(Duration::from_secs(60), read_to_close(&mut third))
        .await
        .expect("served once a place freed");
    assert!(said.starts_with("HTTP/1.1 200 OK"), "{said}");
}

#[test]
fn a_request_needs_exactly_one_host() {
    let dir = site();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let origin = rt.block_on(start(dir.path(), ""));
    let addr = origin.addr();
    let ask = |raw: &str| {
        let mut conn = TcpStream::connect(addr).expect("connects");
        conn.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        conn.write_all(raw.as_bytes()).expect("writes");
        let mut said = String::new();
        let _ = conn.read_to_string(&mut said);
        said
    };
    let none = ask("GET /script.js HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(none.starts_with("HTTP/1.1 400 Bad Request"), "{none}");
    assert!(none.contains("needs a Host header"), "{none}");
    let two = ask("GET /script.js HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
    assert!(two.starts_with("HTTP/1.1 400 Bad Request"), "{two}");
    // HTTP/1.0 had no Host; it is still served.
    let old = ask("GET /script.js HTTP/1.0\r\n\r\n");
    assert!(old.starts_with("HTTP/1.0 200 OK"), "{old}");
    assert!(old.ends_with("var x = 1;"), "{old}");
    let one = ask("GET /script.js HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert!(one.starts_with("HTTP/1.1 200 OK"), "{one}");
}
