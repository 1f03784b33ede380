//! The `vxb run` and `vxb simulate` subcommands, through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vxb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the vxb binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `vxb run` with `stdin` piped in.
fn vxb_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the vxb binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.as_bytes()).expect("stdin written");
    }
    child.wait_with_output().expect("vxb ends")
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vxb-cli-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn run_plays_the_hello_sample_and_writes_its_report() {
    let dir = scratch("hello");
    let json = dir.join("report.json");
    let out = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--input",
        "hangup",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("prompt: Hello from vxb"), "{text}");
    assert!(text.contains("fetch miss 200 file://"), "{text}");
    assert!(text.contains("ended: exit"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written"))
            .expect("report is JSON");
    assert_eq!(report["ended"]["how"], "exit");
    assert_eq!(
        report["prompts"][0]["text"],
        "Hello from vxb, a miniature voice browser."
    );
}

#[test]
fn run_shows_the_cache_after_the_call() {
    let out = vxb(&["run", "vxml-samples/hello/index.vxml", "--show-cache"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let listing = &text[text.find("ended: exit").expect("ended line")..];
    assert!(listing.contains("hello/welcome.wav"), "{text}");
    let audio = listing
        .lines()
        .find(|l| l.starts_with("audio ") && !l.contains("file:"))
        .expect("an audio statistics row");
    assert_eq!(audio.split_whitespace().nth(1), Some("2"), "{audio}");
}

#[test]
fn run_of_a_missing_file_is_a_usage_error_naming_it() {
    let out = vxb(&["run", "vxml-samples/no-such-sample.vxml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("vxml-samples/no-such-sample.vxml"), "{err}");
}

#[test]
fn run_with_a_bad_input_token_is_a_usage_error() {
    let out = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--input",
        "1,bogus!",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bogus!"), "{err}");
    assert!(stdout(&out).is_empty(), "no call is placed");
}

#[test]
fn run_without_input_reads_tokens_from_a_piped_stdin() {
    // A blank line and a bad token are skipped (the bad one reported); the
    // first good token reaches the call's <menu>, where `delivery` leads to
    // the size question, and the end of stdin hangs up (exit 0).
    let out = vxb_with_stdin(
        &["run", "vxml-samples/pizza/index.vxml"],
        "\nbogus!\nsay:delivery\n",
    );
    let text = stdout(&out);
    assert!(text.contains("prompt: Welcome to Pizza Palace"), "{text}");
    assert!(stderr(&out).contains("bogus!"), "{}", stderr(&out));
    assert!(text.contains("What size would you like"), "{text}");
    assert!(text.contains("ended: hangup"), "{text}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_pizza_sample_takes_an_order_by_keys_and_its_scenario_passes() {
    let out = vxb(&[
        "run",
        "vxml-samples/pizza/index.vxml",
        "--input",
        "2,noinput,7,1,say:olives,1,1",
    ]);
    let text = stdout(&out);
    let heard: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("prompt: "))
        .collect();
    assert_eq!(heard.len(), 10, "{text}");
    assert!(heard[0].starts_with("Welcome to Pizza Palace"), "{text}");
    assert_eq!(heard[2], "Please say small, medium or large.");
    assert_eq!(
        heard[4],
        "Sorry, we only make small, medium and large pizzas."
    );
    assert!(heard[6].starts_with("Which toppings?"), "{text}");
    assert_eq!(heard[7], "How many pizzas would you like?");
    assert!(
        heard[8].starts_with("You ordered 1 small pizza with olives for pickup."),
        "{text}"
    );
    assert_eq!(heard[9], "Thank you. Your order is on its way.");
    assert!(
        text.contains("log [order]: size=small toppings=olives quantity=1 method=pickup"),
        "{text}"
    );
    assert!(text.contains("event noinput") && text.contains("event nomatch"));
    assert!(text.ends_with("ended: exit\n"), "{text}");
    assert_eq!(out.status.code(), Some(0));

    let out = vxb(&["simulate", "vxml-samples/pizza/scenario.toml"]);
    assert!(
        stdout(&out).contains("2 calls: 2 passed, 0 failed"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(0));
}

/// The caching sample's scenario with a short wait (the sample's own waits
/// 20 seconds), against the same sample files. `expect` is the prompt the
/// second call must hear.
fn caching_scenario(dir: &Path, expect: &str) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples/caching");
    let text = format!(
        r#"config = "{s}/vxb.toml"
[origin]
serve = "{s}"
rules = "{s}/rules.toml"

[[step]]
call = "{{origin}}/index.vxml"
expect = ["1.wav", "2.wav", "3.wav"]
expect_end = "exit"
expect_fetch = {{ "index.vxml" = "miss", "1.wav" = "miss", "2.wav" = "miss", "3.wav" = "miss" }}

[[step]]
wait = "1s"

[[step]]
call = "{{origin}}/index.vxml"
expect = ["{expect}"]
expect_end = "exit"
expect_fetch = {{ "index.vxml" = "hit", "1.wav" = "hit", "2.wav" = "hit", "3.wav" = "hit" }}
"#,
        s = sample.display()
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).expect("scenario written");
    path
}

#[test]
fn simulate_passes_the_caching_sample_and_writes_both_reports() {
    let dir = scratch("pass");
    let scenario = caching_scenario(&dir, "3.wav");
    let (json, junit) = (dir.join("r.json"), dir.join("r.xml"));
    let out = vxb(&[
        "simulate",
        scenario.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("index.vxml miss, 1.wav miss"), "{text}");
    assert!(text.contains("step 2 (line 12): wait 1s"), "{text}");
    assert!(text.contains("2 calls: 2 passed, 0 failed"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("report is JSON");
    assert!(report.is_object(), "{report}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<testsuite"), "{xml}");
}

#[test]
fn simulate_with_a_failing_expectation_exits_1() {
    let dir = scratch("fail");
    let scenario = caching_scenario(&dir, "a prompt nobody plays");
    let out = vxb(&["simulate", scenario.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("a prompt nobody plays"), "{text}");
    assert!(text.contains("2 calls: 1 passed, 1 failed"), "{text}");
}

#[test]
fn simulate_of_a_missing_scenario_is_a_usage_error() {
    let out = vxb(&["simulate", "vxml-samples/no-such/scenario.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such/scenario.toml"),
        "{}",
        stderr(&out)
    );
}
