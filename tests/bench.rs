//! The benchmark end to end: the generated application served by a real
//! `vxb serve` child, a short sweep with the fetch-level driver, the files
//! it writes, and the `vxb bench` command. No assertion depends on timing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use vxb::bench::measure;
use vxb::bench::{
    App, AppSpec, BenchError, BenchReport, BenchSetup, CallDriver, ChildOrigin, FetchDriver, Stop,
    SweepOptions, VxmlDriver,
};
use vxb::cache::Decision;
use vxb::clock::SystemClock;
use vxb::config::Config;
use vxb::fetch::Fetcher;
use vxb::resource::ResourceType;

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

/// One HTTP/1.1 GET on a fresh connection, with `headers` (each ending in
/// CRLF); the whole answer.
fn get(origin: &ChildOrigin, path: &str, headers: &str) -> String {
    let addr = origin.base_url().socket_addrs(|| None).expect("address")[0];
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n"
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

    let main = get(&origin, "/main.vxml", "");
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
    let missing = get(&origin, "/nothing.wav", "");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let answer = get(&origin, "/main.vxml", &format!("If-None-Match: {etag}\r\n"));
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

fn column<'a>(rows: &'a [Vec<&'a str>], name: &str) -> Vec<&'a str> {
    let at = rows[0]
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[at]).collect()
}

/// An interpreted call makes exactly the fetches its plan lists, in order:
/// the scripts follow the caller's choices from `session.connection.aai`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interpreted_call_fetches_what_its_plan_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::generate(dir.path(), &small_app()).expect("generates");
    let origin = ChildOrigin::spawn(&exe(), app.site(), Some(app.rules_file())).expect("starts");
    let config = vxb::bench::budget_config(&Config::direct(), &app.total_bytes(), 1.0);
    let fetcher = Fetcher::new(Arc::new(config), Arc::new(SystemClock), None).expect("fetcher");
    let driver = VxmlDriver { workers: 1 };
    let browser = driver.start_point(fetcher).expect("browser");
    for call in [3, 4] {
        let plan = app.plan(origin.base_url(), 11, call).expect("plan");
        let outcome = driver.run_call(&browser, plan.clone()).await;
        assert_eq!(outcome.error, None, "call {call}");
        let made: Vec<(ResourceType, String)> = outcome
            .fetches
            .iter()
            .map(|f| (f.rtype, f.url.clone()))
            .collect();
        let planned: Vec<(ResourceType, String)> = plan
            .fetches
            .iter()
            .map(|(t, u)| (*t, u.to_string()))
            .collect();
        assert_eq!(made, planned, "call {call}");
        // The second call finds what the first stored: one cache for both.
        let main = outcome.fetches.first().and_then(|f| f.decision());
        let expected = if call == 3 {
            Decision::Miss
        } else {
            Decision::Hit
        };
        assert_eq!(main, Some(expected), "call {call}");
    }
}

fn sweep_setup(dir: &Path, calls: u64) -> BenchSetup {
    BenchSetup {
        exe: exe(),
        app_dir: dir.join("app"),
        app: small_app(),
        sweep: SweepOptions {
            concurrency: 8,
            stop: Stop::Calls(calls),
            warmup_calls: 0,
            budgets: vec![0.0, 0.25, 1.0],
            seed: 7,
            base: Config::direct(),
        },
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_fetch_level_sweep_is_consistent_and_writes_its_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = vxb::bench::run(&sweep_setup(dir.path(), 60), FetchDriver)
        .await
        .expect("the sweep runs");
    assert_eq!(report.driver, "fetch");
    check_sweep(&report, 60, dir.path());
}

/// The same with every call run by the interpreter: the application's
/// scripts choose its path, and its fetches are the plan's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_interpreted_sweep_is_consistent_and_writes_its_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = vxb::bench::run(&sweep_setup(dir.path(), 40), VxmlDriver::default())
        .await
        .expect("the sweep runs");
    assert_eq!(report.driver, "vxml");
    check_sweep(&report, 40, dir.path());
}

/// What any driver's short sweep of [`sweep_setup`] must show; `dir` takes
/// the files.
fn check_sweep(report: &BenchReport, calls: u64, dir: &Path) {
    let p = &report.points;
    assert_eq!(p.len(), 3);

    // Every call ran its whole plan: 6 fetches, then 3 topics of 3 + 3.
    let per_call = 6 + 3 * (3 + 3);
    for point in p {
        assert_eq!(
            (point.calls, point.errors),
            (calls, 0),
            "{:?}",
            point.first_error
        );
        assert_eq!(point.fetches, calls * per_call);
        assert_eq!(
            point.fetch_errors, 0,
            "every resource exists: {:?}",
            point.first_fetch_error
        );
        assert_eq!(
            point.origin_not_modified, 0,
            "nothing goes stale in a short point"
        );
        assert!(point.latency_p50_ms <= point.latency_p99_ms);
    }

    // Budget 0: nothing stored, so every fetch is an origin request.
    assert_eq!(p[0].hit_rate, Some(0.0));
    assert!(
        ResourceType::ALL
            .iter()
            .all(|&t| matches!(p[0].hit_rate_by_type[t], None | Some(0.0)))
    );
    assert_eq!(p[0].origin_requests, p[0].fetches);
    assert!(p[0].budget_bytes.iter().all(|(_, b)| *b == 0));
    // Everything fits at 100 %: the budget is the application's bytes.
    assert_eq!(p[2].budget_bytes, report.app.bytes);

    // More budget, more hits, fewer origin requests and bytes.
    let hit: Vec<f64> = p
        .iter()
        .map(|x| x.hit_rate.expect("fetches were made"))
        .collect();
    assert!(hit[0] < hit[1] && hit[1] < hit[2], "{hit:?}");
    assert!(
        hit[2] > 0.8,
        "everything fits: only first fetches miss ({hit:?})"
    );
    let requests: Vec<u64> = p.iter().map(|x| x.origin_requests).collect();
    assert!(
        requests[0] > requests[1] && requests[1] > requests[2],
        "{requests:?}"
    );
    assert!(p[0].origin_bytes > p[1].origin_bytes && p[1].origin_bytes > p[2].origin_bytes);
    // Each fetch was served from the cache or asked of the origin, never both
    // (no 304s here) and never neither: the browser's decisions and the
    // origin's log agree exactly. Single-flight followers are hits.
    for point in p {
        let from_cache = (point.hit_rate.unwrap_or(0.0) * point.fetches as f64).round() as u64;
        assert_eq!(
            point.origin_requests,
            point.fetches - from_cache,
            "{point:?}"
        );
    }
    // CPU was measured on both sides (the budget-0 point does real work).
    assert!(
        p[0].browser_cpu_seconds > 0.0 && p[0].origin_cpu_seconds > 0.0,
        "{:?}",
        p[0]
    );
    assert!(p.iter().all(|x| x.peak_rss_bytes > 0));

    // The files, parsed back.
    let out = dir.join("out");
    let written = report.write_files(&out).expect("writes");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written.json).expect("json")).expect("JSON");
    assert_eq!(json["points"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["points"][0]["hit_rate"], 0.0);
    assert_eq!(json["points"][2]["calls"], calls);
    assert_eq!(json["options"]["stop"]["calls"], calls);
    assert_eq!(json["driver"], report.driver.as_str());
    assert!(json["points"][0]["hit_rate_by_type"]["grammar"].is_null());
    assert_eq!(json["app"]["resources"]["audio"], 61);

    let csv = std::fs::read_to_string(&written.csv).expect("csv");
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    assert_eq!(column(&rows, "budget_percent"), ["0", "25", "100"]);
    let n = calls.to_string();
    assert_eq!(column(&rows, "calls"), [n.as_str(); 3]);
    let csv_requests: Vec<u64> = column(&rows, "origin_requests")
        .iter()
        .map(|v| v.parse().expect("a number"))
        .collect();
    assert_eq!(csv_requests, requests);

    let svg = std::fs::read_to_string(&written.svg).expect("svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lines: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .collect();
    assert_eq!(lines.len(), 3);
    for line in lines {
        let n = line
            .attribute("points")
            .map_or(0, |p| p.split_whitespace().count());
        assert_eq!(n, 3, "one vertex per budget point");
    }
}

fn vxb(args: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(exe())
        .arg("bench")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn vxb_bench_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = vxb(
        &[
            "--generate",
            "--out",
            "gen",
            "--topics",
            "5",
            "--prompts",
            "9",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("audio") && out.contains("vxb serve"), "{out}");
    assert!(dir.path().join("gen/app/site/topic5.vxml").is_file());
    assert!(dir.path().join("gen/app/site/audio/p9.wav").is_file());
    assert!(dir.path().join("gen/app/serve-rules.toml").is_file());

    // A small sweep, two points, written to `out`.
    let small_run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "--out",
            out,
            "--topics",
            "5",
            "--prompts",
            "9",
            "--calls",
            "10",
            "--budgets",
            "0,100",
        ];
        args.extend_from_slice(extra);
        vxb(&args, dir.path())
    };
    let (code, out, err) = small_run("run", &["--concurrency", "3"]);
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert!(rows[0].contains("hit%"), "{out}");
    assert!(
        rows[1].trim_start().starts_with("0%") && rows[2].trim_start().starts_with("100%"),
        "{out}"
    );
    for f in ["bench.csv", "bench.json", "bench.svg"] {
        assert!(dir.path().join("run").join(f).is_file(), "{f}");
    }
    let driver = |out: &str| {
        let json = std::fs::read_to_string(dir.path().join(out).join("bench.json")).expect("json");
        let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        json["driver"].as_str().map(str::to_string)
    };
    assert_eq!(driver("run").as_deref(), Some("vxml"), "the default driver");
    let (code, _, err) = small_run("fetch", &["--driver", "fetch"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(driver("fetch").as_deref(), Some("fetch"));

    let (code, _, err) = vxb(&["--budgets", "0,150"], dir.path());
    assert_eq!(code, Some(2));
    assert!(err.contains("150%"), "{err}");
    let (code, _, err) = vxb(&["--config", "missing.toml"], dir.path());
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.toml"), "{err}");
    let (code, _, err) = vxb(&["--concurrency", "0"], dir.path());
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = vxb(&["--generate", "--topics", "0"], dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("at least one topic"), "{err}");
}
