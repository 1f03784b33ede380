//! `vxb fetch` driven as a process against an origin running in the test.

use std::path::Path;
use std::process::{Command, Output};

use vxb::serve::Origin;

#[path = "support/fixtures.rs"]
mod fixtures;

const RULES: &str = r#"
[[rule]]
path = "/a.txt"
headers = { "Cache-Control" = "max-age=60", "Set-Cookie" = "sid=1" }
"#;

async fn origin(dir: &Path) -> Origin {
    fixtures::origin(dir, RULES).await
}

/// Runs `vxb` with `args` off the runtime's threads, so the origin keeps
/// answering while the process runs.
async fn vxb(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_vxb"))
            .args(&args)
            .env("NO_PROXY", "127.0.0.1,localhost") // a developer's HTTP_PROXY must not capture loopback
            .output()
            .expect("vxb runs")
    })
    .await
    .expect("join")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn repeat_prints_a_miss_then_a_hit_with_the_headers_that_drove_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "hello").expect("write");
    let o = origin(dir.path()).await;
    let url = format!("{}a.txt", o.base_url());
    let out = vxb(&[
        "fetch", &url, "--repeat", "2", "--type", "audio", "--maxage", "120",
    ])
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let summaries: Vec<&str> = stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(summaries.len(), 2, "{stdout}");
    assert!(summaries[0].starts_with("#1 miss 200 5 bytes"), "{stdout}");
    assert!(summaries[1].starts_with("#2 hit 200 5 bytes"), "{stdout}");
    for expected in [
        "    Cache-Control: max-age=60",
        "    ETag: \"",
        "    Last-Modified: ",
        "    Set-Cookie: present",
        "    freshness lifetime: 1m from max-age (this request's maxage: 2m); age: 0s",
        // RFC 9211, as `vxb proxy` writes it: a miss stored, then a hit.
        "    cache status: vxb;fwd=uri-miss;fwd-status=200;ttl=60;stored",
        "    cache status: vxb;hit;ttl=",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert_eq!(
        o.log().requests("/a.txt"),
        1,
        "the second came from the cache"
    );
}

#[tokio::test]
async fn an_error_status_is_shown_then_fails_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = origin(dir.path()).await;
    let url = format!("{}missing.txt", o.base_url());
    let out = vxb(&["fetch", &url]).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("#1 bypass 404"), "{stdout}");
    assert!(
        stdout.contains("not stored: status 404 is stored only with explicit freshness"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
}

#[tokio::test]
async fn a_bad_url_fails_with_one_line() {
    let out = vxb(&["fetch", "no such thing"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("vxb fetch: invalid URL `no such thing`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn an_unreachable_origin_fails_with_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let out = vxb(&["fetch", &format!("http://{addr}/a.vxml")]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
}

#[tokio::test]
async fn a_bad_config_or_usage_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("vxb.toml");
    std::fs::write(&config, "[cache]\nmaxage = \"sometimes\"\n").expect("write");
    let config = config.to_string_lossy().into_owned();
    let out = vxb(&["fetch", "http://127.0.0.1:1/", "--config", &config]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("vxb.toml:2:"),
        "names file and line: {stderr}"
    );
    assert!(stderr.contains("cache.maxage"), "{stderr}");

    let out = vxb(&["fetch", "http://127.0.0.1:1/", "--type", "video"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("possible values"));
    let out = vxb(&["fetch", "http://127.0.0.1:1/", "--repeat", "0"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn a_local_file_is_fetched_by_path_and_reused_while_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("start.vxml");
    std::fs::write(&path, "<vxml/>").expect("write");
    let path = path.to_string_lossy().into_owned();
    let out = vxb(&["fetch", &path, "--repeat", "2", "--body"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let summaries: Vec<&str> = stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert!(summaries[0].starts_with("#1 miss 200 7 bytes"), "{stdout}");
    assert!(summaries[1].starts_with("#2 hit 200 7 bytes"), "{stdout}");
    assert!(stdout.contains("    file: modified "), "{stdout}");
    assert_eq!(
        stdout.matches("<vxml/>").count(),
        2,
        "--body prints it: {stdout}"
    );
}
