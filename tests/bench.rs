//! The benchmark end to end: the generated application served by a real
//! `vxb serve` child, a short sweep with the fetch-level driver, the files
//! it writes, and the `vxb bench` command. No assertion depends on timing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use vxb::bench::measure;
use vxb::bench::{App, AppSpec, BenchError, ChildOrigin};

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vxb"))
}

fn small_app() -> AppSpec {
    AppSpec {
        topics: 8,
        prompts: 60,
        prompt_seconds: (0.5, 2.0),
        ..AppSpec::default()
    }
}

/// One HTTP/1.1 GET on a fresh connection; the whole answer.
fn get(origin: &ChildOrigin, path: &str) -> String {
    let addr = origin.base_url().socket_addrs(|| None).expect("address")[0];
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn the_origin_child_counts_requests_and_bytes_and_dies_with_its_handle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::generate(dir.path(), &small_app()).expect("generates");
    let origin = ChildOrigin::spawn(&exe(), app.site(), Some(app.rules_file())).expect("starts");
    let before = origin.snapshot().expect("snapshot");
    assert_eq!(before.requests, 0, "the marker requests are not counted");

    let main = get(&origin, "/main.vxml");
    assert!(main.starts_with("HTTP/1.1 200"), "{main}");
    assert!(
        main.to_ascii_lowercase()
            .contains("cache-control: max-age=300"),
        "{main}"
    );
    let etag = main
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("etag:")
                .then(|| l[5..].trim().to_string())
        })
        .expect("an ETag");
    let missing = get(&origin, "/nothing.wav");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let addr = origin.base_url().socket_addrs(|| None).expect("address")[0];
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET /main.vxml HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 304"), "{answer}");

    let after = origin.snapshot().expect("snapshot").since(&before);
    let main_bytes = app
        .resources()
        .iter()
        .find(|r| r.path == "main.vxml")
        .map(|r| r.bytes)
        .expect("main.vxml");
    assert_eq!(after.requests, 3);
    assert_eq!(after.not_modified, 1);
    assert_eq!(after.error_statuses, 1);
    assert_eq!(after.unparsed_lines, 0);
    // The 404's short text body counts too.
    assert!(
        after.bytes > main_bytes && after.bytes < main_bytes + 100,
        "{after:?}"
    );
    assert!(origin.reader_cpu().is_ok());

    let pid = origin.pid();
    assert!(measure::pid_cpu(pid).is_ok(), "the child is running");
    drop(origin);
    assert!(measure::pid_cpu(pid).is_err(), "killed and reaped on drop");
}

#[test]
fn an_origin_that_cannot_start_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-site");
    let e = ChildOrigin::spawn(&exe(), &missing, None).expect_err("cannot serve");
    let text = e.to_string();
    assert!(matches!(e, BenchError::OriginStart { .. }), "{text}");
    assert!(text.contains("no-such-site"), "{text}");
}
