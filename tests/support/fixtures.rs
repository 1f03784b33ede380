//! What the end-to-end tests share: writing a site and serving it on
//! 127.0.0.1. Each test crate uses a subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::Path;

use tempfile::TempDir;
use vxb::serve::{Origin, Rules, ServeOptions};

/// A temporary directory holding `files` (name, body).
pub fn site(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        write(dir.path(), name, body);
    }
    dir
}

/// Writes `body` at `name` under `dir`, making directories as needed.
pub fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, body).expect("write fixture");
}

/// Serves `dir` on 127.0.0.1 (ephemeral port) with the rules file text `rules`.
pub async fn origin(dir: &Path, rules: &str) -> Origin {
    let options = ServeOptions {
        rules: Rules::parse(rules, Path::new("rules.toml")).expect("test rules parse"),
        ..ServeOptions::new(dir)
    };
    Origin::start(options).await.expect("origin starts")
}

/// A `vxb serve` or `vxb proxy` log line with its timestamp and latency
/// checked (an RFC 3339 UTC time to the millisecond, within the last
/// minute; milliseconds with two decimals) and replaced by `TIME` and
/// `LATENCY`, so the rest can be compared exactly.
pub fn access_line_shape(line: &str) -> String {
    let (time, rest) = line.split_once(' ').expect("a timestamp first");
    let at = humantime::parse_rfc3339(time).unwrap_or_else(|e| panic!("{time}: {e}: {line}"));
    assert!(
        time.ends_with('Z') && time.len() == "2024-01-01T00:00:00.000Z".len(),
        "{line}"
    );
    let age = std::time::SystemTime::now()
        .duration_since(at)
        .unwrap_or_default();
    assert!(age.as_secs() < 60, "a time of now: {line}");
    let fields: Vec<&str> = rest.split(' ').collect();
    let latency = fields
        .iter()
        .position(|f| f.ends_with("ms"))
        .unwrap_or_else(|| panic!("a latency: {line}"));
    let ms = fields[latency].trim_end_matches("ms");
    assert!(ms.parse::<f64>().is_ok(), "{line}");
    assert_eq!(ms.split('.').nth(1).map(str::len), Some(2), "{line}");
    let mut shape = vec!["TIME"];
    shape.extend(&fields[..latency]);
    shape.push("LATENCY");
    shape.extend(&fields[latency + 1..]);
    shape.join(" ")
}

/// `vxb proxy` in process in front of `upstream` (on an ephemeral port),
/// caching on `clock` with `config`.
pub async fn proxy_with(
    upstream: &url::Url,
    config: vxb::config::Config,
    clock: &std::sync::Arc<vxb::clock::ManualClock>,
) -> vxb::proxy::Proxy {
    let clock: std::sync::Arc<dyn vxb::clock::Clock> = clock.clone();
    let fetcher =
        vxb::fetch::Fetcher::new(std::sync::Arc::new(config), clock, None).expect("fetcher builds");
    let upstream = vxb::proxy::Upstream::parse(upstream.as_str()).expect("origin URL");
    vxb::proxy::Proxy::start(vxb::proxy::ProxyOptions::new(upstream), fetcher)
        .await
        .expect("proxy starts")
}
