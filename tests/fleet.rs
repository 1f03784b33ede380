//! A short fleet run: `vxb bench --workers 1,2,4` with the fetch-level
//! driver, through a warm Squid (the Debian package, a private one per
//! point) and straight to the origin. Each worker is its own process whose
//! cache starts the measured calls empty; the calls are the same whatever
//! the number of workers. No assertion depends on timing.
//!
//! Skipped, saying so, where Squid is not installed (see
//! `tests/shared_tier.rs`; `.ci/run` installs it and sets `VXB_REQUIRE_SQUID`).

use std::process::Command;

use serde_json::Value;

fn squid_installed() -> bool {
    let found = vxb::fleet::squid::program().is_some();
    if !found {
        assert!(
            std::env::var_os("VXB_REQUIRE_SQUID").is_none(),
            "VXB_REQUIRE_SQUID is set but squid is not installed"
        );
        eprintln!("skipped: squid is not installed (apt-get install squid)");
    }
    found
}

#[test]
fn origin_requests_stay_flat_with_the_tier_and_grow_without() {
    if !squid_installed() {
        return;
    }
    let out = tempfile::tempdir().expect("tempdir");
    let run = Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args([
            "bench",
            "--workers",
            "1,2,4",
            "--tier",
            "squid,none",
            "--driver",
            "fetch",
            "--warmup",
            "24",
            "--calls",
            "24",
            "--concurrency",
            "4",
            "--worker-budget",
            "5",
            "--topics",
            "6",
            "--prompts",
            "40",
            "--no-progress",
            "--out",
        ])
        .arg(out.path())
        .output()
        .expect("vxb bench runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("tier hit%"), "{stdout}");
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("fleet.json")).expect("fleet.json"),
    )
    .expect("JSON");
    let points = json["points"].as_array().expect("points");
    assert_eq!(points.len(), 6, "{json}");
    let origin = |tier: &str, workers: u64| -> u64 {
        let p = points
            .iter()
            .find(|p| p["tier"] == tier && p["workers"] == workers)
            .unwrap_or_else(|| panic!("no point {tier} × {workers}: {json}"));
        assert_eq!(p["calls"], 24, "every call ran: {p}");
        assert_eq!(p["errors"], 0, "{p}");
        p["origin_requests"].as_u64().expect("origin_requests")
    };
    let tier = [1, 2, 4].map(|n| origin("squid", n));
    let direct = [1, 2, 4].map(|n| origin("none", n));
    // Through the warm tier the origin sees what it did for one browser
    // (within 1.5×, and one request of slack for a count of zero).
    assert!(
        tier[2] as f64 <= 1.5 * tier[0] as f64 + 1.0,
        "tier {tier:?}"
    );
    // Straight to it, every cold browser fetches for itself.
    assert!(
        direct[0] < direct[1] && direct[1] < direct[2],
        "direct {direct:?}"
    );
    assert!(tier[2] < direct[2], "tier {tier:?} direct {direct:?}");
    // The tier answered: its hit rate is reported, and its CPU time.
    let squid4 = points
        .iter()
        .find(|p| p["tier"] == "squid" && p["workers"] == 4)
        .expect("point");
    assert!(
        squid4["tier_hit_rate"].as_f64().expect("tier hit rate") > 0.5,
        "{squid4}"
    );
    assert!(squid4["tier_cpu_per_call"].as_f64().is_some(), "{squid4}");
    let svg = std::fs::read_to_string(out.path().join("fleet.svg")).expect("fleet.svg");
    assert_eq!(svg.matches("<polyline").count(), 2, "a line per tier");
}

#[test]
fn vxb_tier_squid_writes_a_configuration_squid_accepts() {
    if !squid_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args([
            "tier",
            "squid",
            "--listen",
            "127.0.0.1:3999",
            "--memory-mb",
            "32",
            "--parent",
            "http://127.0.0.2:3128",
            "--parent",
            "http://127.0.0.3:3128",
            "--state-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("vxb runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("http_port 127.0.0.1:3999"), "{text}");
    assert!(text.contains("cache_mem 32 MB"), "{text}");
    assert_eq!(text.matches("cache_peer ").count(), 2, "{text}");
    let conf = dir.path().join("squid.conf");
    std::fs::write(&conf, &text).expect("write");
    // `squid -k parse` reads the whole configuration and says what it refuses.
    let program = vxb::fleet::squid::program().expect("installed");
    let parse = Command::new(program)
        .arg("-k")
        .arg("parse")
        .arg("-f")
        .arg(&conf)
        .output()
        .expect("squid runs");
    let said = String::from_utf8_lossy(&parse.stderr);
    assert!(parse.status.success(), "{said}");
    assert!(!said.contains("ERROR") && !said.contains("FATAL"), "{said}");
}
