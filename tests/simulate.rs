//! `vxb::simulate`: scenario files (valid, and every refusal with its file,
//! line and key), expectations checked against hand-built call reports, the
//! JSON, summary and JUnit renderings, the cache listing against a real
//! store, the sample applications in `vxml-samples/`, and a whole simulation
//! of the caching sample through a stand-in dialer over the real fetcher and
//! origin.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CACHE_CONTROL, ETAG, HeaderValue, LAST_MODIFIED};
use tempfile::TempDir;
use url::Url;
use vxb::cache::store::{Store, Visibility};
use vxb::cache::{Decision, Entry, StoredResponse};
use vxb::call::{CallEnd, CallReport, EventRecord, LogRecord, PromptRecord, Token};
use vxb::clock::{Clock, ManualClock, SystemClock};
use vxb::config::{CacheConfig, Config};
use vxb::fetch::{
    BodyParser, Failure, FetchRecord, FetchRequest, FetchResult, Fetcher, ParseFailure, ParsedBody,
    Referrer,
};
use vxb::resource::ResourceType;
use vxb::simulate::expect::{
    DecisionExpectation, EndExpectation, Expectation, Expectations, FetchExpectation, Outcome,
    check,
};
use vxb::simulate::junit::to_junit;
use vxb::simulate::listing::{self, CacheRow, Expiry};
use vxb::simulate::report::{CallOutcome, SimulationReport, StepOutcome, WaitOutcome};
use vxb::simulate::scenario::{CallTarget, Scenario, Step};
#[path = "support/report_schema.rs"]
mod report_schema;

use vxb::simulate::{ClockMode, Dialer, Progress, ScriptedCaller, SimulateError, simulate};

// ------------------------------------------------------------ fixtures ----

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, body).expect("write fixture");
    path
}

/// A directory with `index.vxml`, `vxb.toml`, `rules.toml` and a `site/`
/// folder, for scenarios to name.
fn project() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "index.vxml", "<vxml/>");
    write(
        dir.path(),
        "vxb.toml",
        "[cache.audio]\ndefault_max_age = \"3m\"\n",
    );
    write(dir.path(), "rules.toml", "");
    write(dir.path(), "site/index.vxml", "<vxml/>");
    dir
}

fn parse_in(dir: &Path, text: &str) -> Result<Scenario, vxb::config::ConfigError> {
    let path = write(dir, "scenario.toml", text);
    Scenario::load(&path)
}

/// The error message of a scenario that must be refused.
fn refusal(text: &str) -> String {
    let dir = project();
    match parse_in(dir.path(), text) {
        Ok(s) => panic!("accepted a bad scenario: {s:?}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts `message` names the scenario file at `line` and contains every one of `parts`.
fn assert_error(message: &str, line: usize, parts: &[&str]) {
    assert!(
        message.contains(&format!("scenario.toml:{line}:")),
        "expected line {line} in: {message}"
    );
    for p in parts {
        assert!(message.contains(p), "expected {p:?} in: {message}");
    }
}

const START: &str = "http://127.0.0.1:8080/app/index.vxml";

fn text(t: &str) -> PromptRecord {
    PromptRecord::Text {
        text: t.to_string(),
        duration: Duration::from_millis(100),
    }
}

fn audio(src: &str) -> PromptRecord {
    PromptRecord::Audio {
        src: src.to_string(),
        duration: Duration::from_millis(250),
    }
}

fn fetched(url: &str, rtype: ResourceType, decision: Option<Decision>) -> FetchRecord {
    FetchRecord {
        url: url.to_string(),
        final_url: url.to_string(),
        rtype,
        method: "GET",
        result: match decision {
            Some(decision) => FetchResult::Delivered {
                decision,
                status: 200,
            },
            None => FetchResult::Failed(Failure {
                error: "connection refused".to_string(),
                event: "error.badfetch".to_string(),
                diagnostic: None,
            }),
        },
        tier: None,
        bytes: 10,
        elapsed: Duration::from_millis(1),
        redirects: 0,
    }
}

fn event(name: &str) -> EventRecord {
    EventRecord {
        name: name.to_string(),
        message: None,
        caught: true,
        default_handler: false,
    }
}

fn log(message: &str) -> LogRecord {
    LogRecord {
        label: None,
        message: message.to_string(),
    }
}

/// A report of a call to [`START`] that heard `prompts`.
fn report(prompts: &[&str]) -> CallReport {
    CallReport {
        start_url: START.to_string(),
        prompts: prompts.iter().map(|p| text(p)).collect(),
        elapsed: Duration::from_millis(1500),
        ..CallReport::default()
    }
}

fn prompts(list: &[&str]) -> Expectations {
    Expectations {
        prompts: list.iter().map(|s| s.to_string()).collect(),
        ..Expectations::default()
    }
}

/// A table line's cells (columns are separated by two spaces or more).
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn outcomes(results: &[vxb::simulate::expect::ExpectationResult]) -> Vec<bool> {
    results.iter().map(|r| r.passed()).collect()
}

// ------------------------------------------------ scenario: valid files ----

#[test]
fn a_full_scenario_parses_into_steps() {
    let dir = project();
    let s = parse_in(
        dir.path(),
        r#"config = "vxb.toml"

[origin]
serve = "site"
rules = "rules.toml"

[[step]]
call = "index.vxml"
input = ["1", "say:chicago", "noinput", "nomatch", "1234#", "hangup"]
expect = ["Welcome", "You chose Chicago"]
expect_end = "error.badfetch"
expect_events = ["nomatch", "error.badfetch"]
expect_logs = ["order placed"]
expect_fetch = { "index.vxml" = "miss", "1.wav" = ["miss", "hit"], "3.wav" = [] }

[[step]]
wait = "20s"

[[step]]
call = "{origin}/index.vxml"

[[step]]
call = "http://example.com/app.vxml"
"#,
    )
    .expect("valid scenario");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(s.dir, root);
    assert_eq!(s.config.as_deref(), Some(root.join("vxb.toml").as_path()));
    let origin = s.origin.as_ref().expect("[origin]");
    assert_eq!(origin.root, root.join("site"));
    assert_eq!(
        origin.rules.as_deref(),
        Some(root.join("rules.toml").as_path())
    );
    assert_eq!(origin.listen.port(), 0, "a free port by default");
    assert_eq!(s.steps.len(), 4);
    assert_eq!(
        s.steps.iter().map(Step::line).collect::<Vec<_>>(),
        [7, 16, 19, 22]
    );

    let Step::Call(first) = &s.steps[0] else {
        panic!("step 1 is a call")
    };
    let file = Url::from_file_path(root.join("index.vxml")).expect("file URL");
    assert_eq!(first.target, CallTarget::Url(file.clone()));
    assert_eq!(
        first.input,
        [
            Token::Dtmf("1".into()),
            Token::Say("chicago".into()),
            Token::NoInput,
            Token::NoMatch,
            Token::Dtmf("1234#".into()),
            Token::Hangup,
        ]
    );
    let e = &first.expect;
    assert_eq!(e.prompts, ["Welcome", "You chose Chicago"]);
    assert_eq!(e.end, Some(EndExpectation::Event("error.badfetch".into())));
    assert_eq!(e.events, ["nomatch", "error.badfetch"]);
    assert_eq!(e.logs, ["order placed"]);
    assert_eq!(
        e.fetches,
        [
            FetchExpectation {
                url: "index.vxml".into(),
                decisions: DecisionExpectation::Every(Decision::Miss)
            },
            FetchExpectation {
                url: "1.wav".into(),
                decisions: DecisionExpectation::Sequence(vec![Decision::Miss, Decision::Hit])
            },
            FetchExpectation {
                url: "3.wav".into(),
                decisions: DecisionExpectation::Sequence(vec![])
            },
        ],
        "in the order written"
    );

    let Step::Wait(wait) = &s.steps[1] else {
        panic!("step 2 is a wait")
    };
    assert_eq!(wait.duration, secs(20));

    let Step::Call(third) = &s.steps[2] else {
        panic!("step 3 is a call")
    };
    assert_eq!(third.target, CallTarget::Origin("index.vxml".into()));
    assert_eq!(third.target.to_string(), "{origin}/index.vxml");
    let base = Url::parse("http://127.0.0.1:4321/").expect("url");
    assert_eq!(
        third.target.url(Some(&base)).map(String::from).as_deref(),
        Some("http://127.0.0.1:4321/index.vxml")
    );
    assert_eq!(third.target.url(None), None, "needs the running origin");
    assert_eq!(third.expect, Expectations::default());

    assert_eq!(s.calls().count(), 3);
    assert_eq!(
        s.calls().last().map(|c| c.target.url(None)),
        Some(Some(
            Url::parse("http://example.com/app.vxml").expect("url")
        ))
    );
    assert_eq!(first.target.url(None), Some(file));
}

#[test]
fn config_comes_from_the_scenario_with_its_directory_as_file_root() {
    let dir = project();
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let s = parse_in(
        dir.path(),
        "config = \"vxb.toml\"\n[[step]]\ncall = \"index.vxml\"\n",
    )
    .expect("valid");
    let c = s.load_config(None).expect("config loads");
    assert_eq!(
        c.cache.types[ResourceType::Audio].default_max_age,
        secs(180)
    );
    assert_eq!(c.fetch.file_root.as_deref(), Some(root.as_path()));

    // No config at all: defaults, still confined to the scenario's directory.
    let s = parse_in(dir.path(), "[[step]]\ncall = \"index.vxml\"\n").expect("valid");
    let c = s.load_config(None).expect("defaults");
    assert_eq!(c.cache, CacheConfig::default());
    assert_eq!(c.fetch.file_root.as_deref(), Some(root.as_path()));

    // A relative file_root is relative to its configuration file; a
    // configuration given on the command line replaces the scenario's.
    let other = write(
        dir.path(),
        "conf/other.toml",
        "[fetch]\nfile_root = \"../site\"\n",
    );
    let c = s.load_config(Some(&other)).expect("override loads");
    assert_eq!(
        c.fetch.file_root.as_deref(),
        Some(root.join("conf").join("../site").as_path())
    );
    assert_eq!(c.cache.types[ResourceType::Audio].default_max_age, secs(0));

    let bad = write(dir.path(), "bad.toml", "[cache]\nbogus = 1\n");
    let e = s.load_config(Some(&bad)).expect_err("bad config");
    assert!(e.to_string().contains("bad.toml:2:"), "{e}");
}

#[test]
fn the_origin_may_listen_on_a_fixed_address() {
    let dir = project();
    let s = parse_in(
        dir.path(),
        "[origin]\nserve = \"site\"\nlisten = \"127.0.0.1:8099\"\n[[step]]\nwait = \"1s\"\n",
    )
    .expect("valid");
    assert_eq!(
        s.origin.map(|o| o.listen.to_string()).as_deref(),
        Some("127.0.0.1:8099")
    );
    let m =
        refusal("[origin]\nserve = \"site\"\nlisten = \"localhost\"\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 3, &["origin.listen"]);
}

#[test]
fn a_relative_scenario_path_resolves_from_the_working_directory() {
    // `vxb simulate scenario.toml` from inside the folder: the parent of a
    // bare file name is the empty path, which must mean ".".
    let s =
        Scenario::parse("[[step]]\nwait = \"1s\"\n", Path::new("scenario.toml")).expect("valid");
    assert_eq!(s.dir, std::fs::canonicalize(".").expect("cwd"));
}

// ---------------------------------------------- scenario: every refusal ----

#[test]
fn unknown_keys_are_refused_with_line_and_key() {
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpekt = [\"x\"]\n");
    assert_error(
        &m,
        3,
        &["step 1: expekt: unknown field `expekt`", "expect_fetch"],
    );
    let m = refusal("bogus = 1\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 1, &["bogus"]);
    let m = refusal("[origin]\nserve = \"site\"\nport = 80\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 3, &["origin", "port"]);
}

#[test]
fn a_bad_input_token_is_named_with_its_line() {
    let m = refusal("[[step]]\ncall = \"index.vxml\"\ninput = [\"1\",\n  \"12x\"]\n");
    assert_error(&m, 4, &["step 1: input[1]", "`12x`"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\ninput = [\"say:\"]\n");
    assert_error(&m, 3, &["step 1: input[0]", "`say` needs words"]);
}

#[test]
fn a_step_is_a_call_or_a_wait() {
    let m = refusal("[[step]]\nwait = \"1s\"\n\n[[step]]\ncall = \"index.vxml\"\nwait = \"20s\"\n");
    assert_error(&m, 4, &["step 2", "not both"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\n[[step]]\ninput = [\"1\"]\n");
    assert_error(&m, 3, &["step 2", "needs a `call` or a `wait`"]);
    let m = refusal("[[step]]\nwait = \"20s\"\nexpect = [\"x\"]\n");
    assert_error(&m, 1, &["step 1: expect", "no input or expectations"]);
    let m = refusal("[[step]]\nwait = \"soon\"\n");
    assert_error(&m, 2, &["step 1: wait", "bad duration"]);
    let m = refusal("config = \"vxb.toml\"\n");
    assert_error(&m, 1, &["at least one [[step]]"]);
}

#[test]
fn missing_files_are_refused_where_they_are_named() {
    let m = refusal("[[step]]\ncall = \"nowhere.vxml\"\n");
    assert_error(&m, 2, &["step 1: call", "no such file", "nowhere.vxml"]);
    let m = refusal("config = \"missing.toml\"\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 1, &["config", "missing.toml"]);
    let m = refusal("config = \"site\"\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 1, &["config", "not a file"]);
    let m = refusal("[origin]\nserve = \"nowhere\"\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 2, &["origin.serve", "no such directory"]);
    let m = refusal("[origin]\nserve = \"index.vxml\"\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 2, &["origin.serve", "not a directory"]);
    let m = refusal("[origin]\nserve = \".\"\nrules = \"r.toml\"\n[[step]]\nwait = \"1s\"\n");
    assert_error(&m, 3, &["origin.rules", "r.toml"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let e = Scenario::load(&dir.path().join("absent.toml")).expect_err("no file");
    assert!(e.to_string().contains("absent.toml: cannot read"), "{e}");
}

#[test]
fn origin_placeholders_need_an_origin_and_start_the_url() {
    let m = refusal("[[step]]\ncall = \"{origin}/index.vxml\"\n");
    assert_error(&m, 2, &["step 1: call", "[origin]"]);
    let m = refusal("[origin]\nserve = \".\"\n[[step]]\ncall = \"http://x/{origin}/index.vxml\"\n");
    assert_error(&m, 4, &["step 1: call", "may only start"]);
    let m = refusal("[[step]]\ncall = \"  \"\n");
    assert_error(&m, 2, &["step 1: call", "empty"]);
}

#[test]
fn bad_expectations_are_refused() {
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect_end = \"exited nicely\"\n");
    assert_error(
        &m,
        3,
        &["step 1: expect_end", "exit, hangup, disconnect, error"],
    );
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect = [\"Welcome\", \" \"]\n");
    assert_error(&m, 3, &["step 1: expect[1]", "empty expectation"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect_logs = [\"\"]\n");
    assert_error(&m, 3, &["step 1: expect_logs[0]", "empty expectation"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect_events = [\"no match\"]\n");
    assert_error(&m, 3, &["step 1: expect_events[0]", "not an event name"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect_fetch = { \"1.wav\" = \"cached\" }\n");
    assert_error(
        &m,
        3,
        &[
            "step 1: expect_fetch.1.wav: unknown cache decision `cached`",
            "revalidated",
        ],
    );
    let m = refusal(
        "[[step]]\ncall = \"index.vxml\"\nexpect_fetch = { \"1.wav\" = [\"miss\", \"nope\"] }\n",
    );
    assert_error(&m, 3, &["expect_fetch", "`nope`"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect_fetch = { \"1.wav\" = 3 }\n");
    assert_error(&m, 3, &["expect_fetch", "cache decision"]);
    let m = refusal("[[step]]\ncall = \"index.vxml\"\nexpect_fetch = { \"\" = \"hit\" }\n");
    assert_error(&m, 3, &["expect_fetch", "needs a URL"]);
}

// ------------------------------------------------- expectations: prompts ----

#[test]
fn prompts_are_expected_in_order_each_after_the_last() {
    let r = report(&[
        "Welcome to the bank",
        "Say a city",
        "You chose Chicago",
        "Goodbye",
    ]);
    let results = check(&prompts(&["welcome", "you chose chicago", "goodbye"]), &r);
    assert_eq!(
        outcomes(&results),
        [true, true, true, true],
        "prompts + end"
    );
    assert_eq!(results[1].outcome, Outcome::Passed { at: Some(2) });

    // Out of order: "Welcome" is only before "Goodbye".
    let results = check(&prompts(&["Goodbye", "Welcome"]), &r);
    assert_eq!(outcomes(&results)[..2], [true, false]);
    let Outcome::Failed { actual, message } = &results[1].outcome else {
        panic!("fails")
    };
    assert!(actual.is_empty(), "nothing was heard after Goodbye");
    assert!(
        message.contains("after prompt 4 (\"Goodbye\")"),
        "{message}"
    );

    // One prompt cannot satisfy two expectations.
    let results = check(&prompts(&["Chicago", "Chicago"]), &r);
    assert_eq!(outcomes(&results)[..2], [true, false]);
}

#[test]
fn a_missing_prompt_reports_what_was_heard_instead() {
    let r = report(&["Welcome", "Say a city", "You chose Boston", "Goodbye"]);
    let results = check(&prompts(&["Welcome", "You chose Chicago", "Goodbye"]), &r);
    assert_eq!(
        outcomes(&results)[..3],
        [true, false, true],
        "later ones still match"
    );
    let Outcome::Failed { actual, message } = &results[1].outcome else {
        panic!("fails")
    };
    assert_eq!(actual, &["Say a city", "You chose Boston", "Goodbye"]);
    assert!(
        message.contains("after prompt 1 (\"Welcome\")"),
        "{message}"
    );

    let results = check(&prompts(&["anything"]), &report(&[]));
    let Outcome::Failed { message, .. } = &results[0].outcome else {
        panic!("fails")
    };
    assert_eq!(message, "no prompt at all");
}

#[test]
fn prompts_match_as_heard_and_audio_by_url() {
    let mut r = report(&["You   chose\n  CHICAGO."]);
    r.prompts.push(audio("http://127.0.0.1:8080/app/2.wav"));
    r.prompts.push(text("Say a number."));
    let results = check(
        &prompts(&["you chose chicago", "2.wav", "say a number"]),
        &r,
    );
    assert_eq!(outcomes(&results), [true, true, true, true]);
}

// ---------------------------------------------- expectations: end, events ----

#[test]
fn the_end_is_checked_and_defaults_to_not_an_error() {
    let error = CallEnd::Error {
        event: "error.badfetch.http.404".into(),
        message: "app.vxml:3:5: not found".into(),
    };
    let cases = [
        (EndExpectation::Exit, CallEnd::Exit, true),
        (EndExpectation::Exit, CallEnd::Hangup, false),
        (EndExpectation::Hangup, CallEnd::Hangup, true),
        (EndExpectation::Disconnect, CallEnd::Disconnect, true),
        (EndExpectation::Disconnect, CallEnd::Exit, false),
        (EndExpectation::Error, error.clone(), true),
        (EndExpectation::Error, CallEnd::Exit, false),
        (
            EndExpectation::Event("error.badfetch".into()),
            error.clone(),
            true,
        ),
        (
            EndExpectation::Event("error.badfetch.http".into()),
            error.clone(),
            true,
        ),
        (
            EndExpectation::Event("error.semantic".into()),
            error.clone(),
            false,
        ),
        (
            EndExpectation::Event("error.badfetch".into()),
            CallEnd::Exit,
            false,
        ),
    ];
    for (expected, ended, held) in cases {
        let r = CallReport {
            ended: ended.clone(),
            ..report(&[])
        };
        let e = Expectations {
            end: Some(expected.clone()),
            ..Expectations::default()
        };
        let results = check(&e, &r);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].expectation, Expectation::End(expected.clone()));
        assert_eq!(results[0].passed(), held, "{expected} vs {ended:?}");
    }

    // No expect_end: any end but an error.
    for (ended, held) in [
        (CallEnd::Exit, true),
        (CallEnd::Hangup, true),
        (CallEnd::Disconnect, true),
        (error, false),
    ] {
        let r = CallReport {
            ended,
            ..report(&[])
        };
        let results = check(&Expectations::default(), &r);
        assert_eq!(
            results[0].expectation,
            Expectation::End(EndExpectation::NotError)
        );
        assert_eq!(results[0].passed(), held);
        if let Outcome::Failed { actual, message } = &results[0].outcome {
            assert_eq!(
                actual,
                &["error error.badfetch.http.404: app.vxml:3:5: not found"]
            );
            assert!(message.contains("expected the call to end with not an error"));
        }
    }
}

#[test]
fn events_and_logs_are_expected_in_order() {
    let r = CallReport {
        events: vec![
            event("noinput"),
            event("nomatch"),
            event("error.badfetch.http.404"),
        ],
        logs: vec![log("size=large"), log("order   placed")],
        ..report(&[])
    };
    let e = Expectations {
        events: vec!["noinput".into(), "error.badfetch".into()],
        logs: vec!["size=large".into(), "order placed".into()],
        ..Expectations::default()
    };
    assert_eq!(outcomes(&check(&e, &r)), [true, true, true, true, true]);

    let e = Expectations {
        events: vec!["nomatch".into(), "noinput".into(), "error.bad".into()],
        logs: vec!["order placed".into(), "size=large".into()],
        ..Expectations::default()
    };
    let results = check(&e, &r);
    // end; nomatch ok, noinput before it: fail, error.bad is no token prefix: fail;
    // logs: out of order.
    assert_eq!(outcomes(&results), [true, true, false, false, true, false]);
    assert_eq!(results[2].expectation, Expectation::Event("noinput".into()));
    let Outcome::Failed { actual, .. } = &results[2].outcome else {
        panic!("fails")
    };
    assert_eq!(actual, &["error.badfetch.http.404"]);
}

// ------------------------------------------- expectations: fetch decisions ----

fn fetch_report() -> CallReport {
    CallReport {
        fetches: vec![
            fetched(START, ResourceType::Document, Some(Decision::Hit)),
            fetched(
                "http://127.0.0.1:8080/app/1.wav",
                ResourceType::Audio,
                Some(Decision::Hit),
            ),
            fetched(
                "http://127.0.0.1:8080/app/2.wav",
                ResourceType::Audio,
                Some(Decision::Revalidated),
            ),
            fetched(
                "http://127.0.0.1:8080/app/2.wav",
                ResourceType::Audio,
                Some(Decision::Hit),
            ),
            fetched("http://127.0.0.1:8080/app/4.wav", ResourceType::Audio, None),
        ],
        ..report(&[])
    }
}

fn fetch_expect(list: &[(&str, DecisionExpectation)]) -> Expectations {
    Expectations {
        fetches: list
            .iter()
            .map(|(url, d)| FetchExpectation {
                url: url.to_string(),
                decisions: d.clone(),
            })
            .collect(),
        ..Expectations::default()
    }
}

#[test]
fn fetch_decisions_are_checked_per_url() {
    use DecisionExpectation::{Every, Sequence};
    let r = fetch_report();
    let e = fetch_expect(&[
        ("index.vxml", Every(Decision::Hit)),
        ("http://127.0.0.1:8080/app/1.wav", Every(Decision::Hit)),
        (
            "2.wav",
            Sequence(vec![Decision::Revalidated, Decision::Hit]),
        ),
        ("3.wav", Sequence(vec![])),
        ("../app/1.wav", Sequence(vec![Decision::Hit])),
    ]);
    assert_eq!(outcomes(&check(&e, &r)), [true; 6]);

    let e = fetch_expect(&[
        ("2.wav", Every(Decision::Revalidated)),
        ("2.wav", Sequence(vec![Decision::Revalidated])),
        ("3.wav", Every(Decision::Miss)),
        ("1.wav", Sequence(vec![])),
        ("4.wav", Every(Decision::Miss)),
    ]);
    let results = check(&e, &r);
    assert_eq!(
        outcomes(&results),
        [true, false, false, false, false, false]
    );
    let failed = |i: usize| match &results[i].outcome {
        Outcome::Failed { actual, message } => (actual.clone(), message.clone()),
        Outcome::Passed { .. } => panic!("expectation {i} passed"),
    };
    let (actual, message) = failed(1);
    assert_eq!(actual, ["revalidated", "hit"]);
    assert_eq!(
        message,
        "expected http://127.0.0.1:8080/app/2.wav: revalidated; its fetches were: revalidated, hit"
    );
    let (actual, message) = failed(3);
    assert!(actual.is_empty());
    assert!(message.ends_with("miss; it was not fetched"), "{message}");
    let (_, message) = failed(4);
    assert!(
        message.contains("1.wav: not fetched; its fetches were: hit"),
        "{message}"
    );
    let (actual, _) = failed(5);
    assert_eq!(actual, ["failed"], "a fetch that failed has no decision");
}

// ------------------------------------------------------ JSON and summary ----

fn sample_report() -> SimulationReport {
    let good = CallOutcome {
        step: 1,
        line: 2,
        name: "order by keys".into(),
        target: START.into(),
        url: START.into(),
        input: vec![Token::Dtmf("1".into()), Token::Say("chicago".into())],
        unused_input: vec![],
        start_error: None,
        expectations: check(&prompts(&["Welcome"]), &report(&["Welcome"])),
        record_audio: Some("calls/order & pay.wav".into()),
        report: report(&["Welcome"]),
    };
    let heard = report(&["Welcome", "You chose <Boston> & \"more\""]);
    let mut expect = prompts(&["Welcome", "You chose Chicago"]);
    expect.fetches = vec![FetchExpectation {
        url: "2.wav".into(),
        decisions: DecisionExpectation::Every(Decision::Revalidated),
    }];
    let bad = CallOutcome {
        step: 3,
        line: 9,
        name: "step 3: call {origin}/app/index.vxml".into(),
        target: "{origin}/app/index.vxml".into(),
        url: START.into(),
        input: vec![],
        unused_input: vec![],
        start_error: None,
        expectations: check(&expect, &heard),
        record_audio: None,
        report: heard,
    };
    SimulationReport {
        scenario: "samples/scenario.toml".into(),
        origin: Some("http://127.0.0.1:4321/".into()),
        clock: ClockMode::Virtual,
        steps: vec![
            StepOutcome::Call(Box::new(good)),
            StepOutcome::Wait(WaitOutcome {
                step: 2,
                line: 6,
                name: "step 2: wait 20s".into(),
                duration: secs(20),
            }),
            StepOutcome::Call(Box::new(bad)),
        ],
    }
}

#[test]
fn the_json_report_adds_each_expectation_result() {
    let r = sample_report();
    assert_eq!((r.passed(), r.failed(), r.ok()), (1, 1, false));
    let json: serde_json::Value =
        serde_json::from_str(&r.to_json().expect("serializes")).expect("valid JSON");
    report_schema::assert_valid_report(&json);
    assert_eq!(json["scenario"], "samples/scenario.toml");
    assert_eq!(json["origin"], "http://127.0.0.1:4321/");
    assert_eq!(json["clock"], "virtual");
    assert_eq!(json["passed"], 1);
    assert_eq!(json["failed"], 1);
    assert_eq!(json["errors"], 0);
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3);

    assert_eq!(steps[0]["step"], 1);
    assert_eq!(steps[0]["name"], "order by keys");
    assert_eq!(steps[2]["target"], "{origin}/app/index.vxml");
    assert_eq!(steps[0]["unused_input"], serde_json::json!([]));
    assert!(steps[0].get("error").is_none());
    assert_eq!(steps[0]["call"], START);
    assert_eq!(steps[0]["input"], serde_json::json!(["1", "say:chicago"]));
    assert_eq!(steps[0]["passed"], true);
    assert_eq!(
        steps[0]["expectations"][0],
        serde_json::json!({"kind": "prompt", "expected": "Welcome", "passed": true, "at": 0})
    );
    assert_eq!(
        steps[0]["report"]["start_url"], START,
        "the call report itself"
    );
    assert_eq!(steps[0]["report"]["ended"]["how"], "exit");
    assert_eq!(steps[0]["record_audio"], "calls/order & pay.wav");
    assert!(
        steps[2].get("record_audio").is_none(),
        "only a recorded step"
    );

    assert_eq!(
        steps[1],
        serde_json::json!({"step": 2, "line": 6, "name": "step 2: wait 20s", "wait_ms": 20000.0})
    );

    assert_eq!(steps[2]["passed"], false);
    let failed = &steps[2]["expectations"][1];
    assert_eq!(failed["kind"], "prompt");
    assert_eq!(failed["expected"], "You chose Chicago");
    assert_eq!(failed["passed"], false);
    assert_eq!(
        failed["actual"],
        serde_json::json!(["You chose <Boston> & \"more\""])
    );
    assert!(
        failed["message"]
            .as_str()
            .is_some_and(|m| m.contains("after prompt 1"))
    );
    assert!(failed.get("at").is_none());
    let end = &steps[2]["expectations"][2];
    assert_eq!(
        *end,
        serde_json::json!({"kind": "end", "expected": "not an error", "passed": true})
    );
    let fetch = &steps[2]["expectations"][3];
    assert_eq!(fetch["kind"], "fetch");
    assert_eq!(fetch["url"], "2.wav");
    assert_eq!(fetch["expected"], "revalidated");
    assert_eq!(fetch["passed"], false);
    assert_eq!(fetch["actual"], serde_json::json!([]));
}

#[test]
fn the_summary_says_what_was_expected_and_what_was_heard() {
    let mut r = sample_report();
    if let StepOutcome::Call(c) = &mut r.steps[0] {
        c.report.fetches = fetch_report().fetches;
    }
    let s = r.summary();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "order by keys (line 2) ... ok (exit, 1 prompt, 5 fetches)"
    );
    assert_eq!(
        lines[1],
        "    fetches: index.vxml hit, 1.wav hit, 2.wav revalidated, 2.wav hit, 4.wav error.badfetch"
    );
    assert_eq!(lines[2], "step 2: wait 20s (line 6)");
    assert_eq!(
        lines[3],
        "step 3: call {origin}/app/index.vxml (line 9) ... FAILED (exit, 2 prompts, 0 fetches)"
    );
    assert_eq!(
        lines[4],
        "    expected prompt \"You chose Chicago\": not in any prompt after prompt 1 (\"Welcome\")"
    );
    assert_eq!(lines[5], "      heard:");
    assert_eq!(lines[6], r#"        "You chose <Boston> & \"more\"""#);
    assert_eq!(
        lines[7],
        "    expected fetch 2.wav: revalidated: expected http://127.0.0.1:8080/app/2.wav: revalidated; it was not fetched"
    );
    assert_eq!(lines[8], "2 calls: 1 passed, 1 failed");
    assert_eq!(lines.len(), 9);
    assert_eq!(r.to_string(), s);
}

// ------------------------------------------------------------------ JUnit ----

#[test]
fn junit_has_one_testcase_per_call_and_escaped_failures() {
    let xml = to_junit(&sample_report());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("2"));
    assert_eq!(root.attribute("failures"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1, "one testsuite");
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    assert_eq!(suite.attribute("name"), Some("scenario.toml"));
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    assert_eq!(suite.attribute("time"), Some("3.000"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2, "waits are not test cases");
    assert_eq!(cases[0].attribute("name"), Some("order by keys"));
    assert_eq!(
        cases[0].attribute("classname"),
        Some("samples/scenario.toml")
    );
    assert_eq!(cases[0].attribute("time"), Some("1.500"));
    assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
    let property = |case: roxmltree::Node, name: &str| {
        case.children()
            .filter(|n| n.has_tag_name("properties"))
            .flat_map(|p| p.children().filter(|n| n.has_tag_name("property")))
            .find(|p| p.attribute("name") == Some(name))
            .and_then(|p| p.attribute("value").map(str::to_owned))
    };
    assert_eq!(
        property(cases[0], "record_audio").as_deref(),
        Some("calls/order & pay.wav"),
        "the recording is the test case's property"
    );
    assert_eq!(property(cases[1], "record_audio"), None);
    let recorded_out = cases[0]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .expect("system-out");
    assert!(
        recorded_out.ends_with("[[ATTACHMENT|calls/order & pay.wav]]\n"),
        "{recorded_out}"
    );
    assert_eq!(
        cases[1].attribute("name"),
        Some("step 3: call {origin}/app/index.vxml"),
        "no port in a test name"
    );

    let failures: Vec<_> = cases[1]
        .children()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1);
    let f = failures[0];
    assert_eq!(f.attribute("type"), Some("expectation"));
    assert_eq!(
        f.attribute("message"),
        Some(
            "expected prompt \"You chose Chicago\": not in any prompt after prompt 1 (\"Welcome\") (and 1 more)"
        )
    );
    let body = f.text().expect("failure text");
    assert!(
        body.contains("        \"You chose <Boston> & \\\"more\\\"\"\n"),
        "{body}"
    );
    assert!(body.contains("expected fetch 2.wav: revalidated"), "{body}");
    let out = cases[1]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .expect("system-out");
    assert!(out.starts_with(&format!("call {START}\n")), "{out}");
    assert!(out.contains("prompt: You chose <Boston>"), "{out}");
    assert!(out.ends_with("ended: exit\n"), "{out}");
}

// ---------------------------------------------------------- cache listing ----

/// 003's example, stored at `t0` and listed 20 s later.
fn store_003(t0: SystemTime) -> (Store, CacheConfig) {
    let mut config = CacheConfig::default();
    config.types[ResourceType::Audio].default_max_age = secs(180);
    let store = Store::new(&config);
    let headers = |pairs: &[(http::header::HeaderName, &str)]| {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(
                name.clone(),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        h
    };
    let entry = |url: &str, rtype, h: HeaderMap, size: usize| {
        Entry::new(
            url,
            rtype,
            StoredResponse::new(http::StatusCode::OK, h, t0),
            Bytes::from(vec![0u8; size]),
        )
    };
    let lm = "Mon, 01 Jan 2024 00:00:00 GMT";
    let insert = |e: Entry, vis| {
        store.insert(e, vis).expect("fits");
    };
    insert(
        entry(
            "http://o/index.vxml",
            ResourceType::Document,
            headers(&[
                (CACHE_CONTROL, "max-age=60"),
                (ETAG, "\"a-1\""),
                (LAST_MODIFIED, lm),
            ]),
            400,
        ),
        Visibility::Shared,
    );
    insert(
        entry(
            "http://o/1.wav",
            ResourceType::Audio,
            headers(&[(CACHE_CONTROL, "max-age=10"), (ETAG, "\"b-2\"")]),
            2058,
        ),
        Visibility::Shared,
    );
    insert(
        entry("http://o/3.wav", ResourceType::Audio, headers(&[]), 4058),
        Visibility::Shared,
    );
    let call = store.new_call();
    insert(
        entry(
            "http://o/private.xml",
            ResourceType::Data,
            headers(&[(CACHE_CONTROL, "private, max-age=5")]),
            10,
        ),
        Visibility::Call(call),
    );
    let mut file = entry(
        "file:///srv/app/hello.wav",
        ResourceType::Audio,
        headers(&[(LAST_MODIFIED, lm)]),
        100,
    );
    file.file_stamp = Some((t0, 100));
    insert(file, Visibility::Shared);
    (store, config)
}

#[test]
fn listing_rows_show_age_expiry_and_validators() {
    let t0 = SystemTime::UNIX_EPOCH + secs(1_704_067_200);
    let (store, config) = store_003(t0);
    let rows = listing::rows(&store.entries(), &config, t0 + secs(20));
    let by_url = |url: &str| -> &CacheRow { rows.iter().find(|r| r.url == url).expect("listed") };
    let doc = by_url("http://o/index.vxml");
    assert_eq!(
        (doc.rtype, doc.size, doc.age),
        (ResourceType::Document, 400, secs(20))
    );
    assert_eq!(
        doc.expiry,
        Expiry::Fresh {
            remaining: secs(40)
        }
    );
    assert_eq!(doc.etag.as_deref(), Some("\"a-1\""));
    assert_eq!(
        doc.last_modified.as_deref(),
        Some("Mon, 01 Jan 2024 00:00:00 GMT")
    );
    // Its own max-age=10: stale; the request's maxage=120 that still made it
    // a hit in 003 is not stored, so not shown.
    let one = by_url("http://o/1.wav");
    assert_eq!(one.expiry, Expiry::Stale { by: secs(10) });
    assert_eq!(one.last_modified, None);
    let three = by_url("http://o/3.wav");
    assert_eq!(
        three.expiry,
        Expiry::Fresh {
            remaining: secs(160)
        },
        "default_max_age 3m"
    );
    assert_eq!(
        (three.etag.as_ref(), three.last_modified.as_ref()),
        (None, None)
    );
    let private = by_url("http://o/private.xml");
    assert!(matches!(private.visibility, Visibility::Call(_)));
    assert_eq!(private.expiry, Expiry::Stale { by: secs(15) });
    let file = by_url("file:///srv/app/hello.wav");
    assert_eq!(file.expiry, Expiry::WhileUnchanged);

    // Exactly at expiry is stale (RFC 9111: fresh while age < lifetime).
    let rows = listing::rows(&store.entries(), &config, t0 + secs(60));
    let doc = rows
        .iter()
        .find(|r| r.rtype == ResourceType::Document)
        .expect("doc");
    assert_eq!(doc.expiry, Expiry::Stale { by: secs(0) });

    let json = serde_json::to_value(&rows[0]).expect("serializes");
    assert_eq!(json["type"], "document");
    assert_eq!(json["age_s"], 60);
    assert_eq!(
        json["expiry"],
        serde_json::json!({"state": "stale", "by_s": 0})
    );
}

#[test]
fn the_listing_is_a_table_of_entries_and_statistics() {
    let t0 = SystemTime::UNIX_EPOCH + secs(1_704_067_200);
    let (store, config) = store_003(t0);
    for d in [
        Decision::Miss,
        Decision::Hit,
        Decision::Hit,
        Decision::Revalidated,
    ] {
        store.record(ResourceType::Audio, d);
    }
    store.record(ResourceType::Document, Decision::Miss);
    let text = listing::cache_listing(&store, &config, t0 + secs(20));
    let lines: Vec<&str> = text.lines().collect();
    let header = lines[0];
    assert!(header.starts_with("TYPE      URL"), "{header}");
    for column in ["SIZE", "AGE", "EXPIRES IN", "VALIDATORS"] {
        assert!(header.contains(column), "{header}");
    }
    let line = |needle: &str| -> &str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .copied()
            .unwrap_or_else(|| panic!("no line with {needle} in\n{text}"))
    };
    assert_eq!(
        cells(line("http://o/index.vxml")),
        [
            "document",
            "http://o/index.vxml",
            "400",
            "20s",
            "40s",
            "ETag \"a-1\", Last-Modified Mon, 01 Jan 2024 00:00:00 GMT"
        ]
    );
    assert_eq!(
        cells(line("http://o/1.wav")),
        [
            "audio",
            "http://o/1.wav",
            "2058",
            "20s",
            "-10s",
            "ETag \"b-2\""
        ]
    );
    assert_eq!(
        cells(line("http://o/3.wav")),
        ["audio", "http://o/3.wav", "4058", "20s", "2m 40s", "-"]
    );
    let private = cells(line("private.xml"));
    assert!(
        private[1].starts_with("http://o/private.xml (call "),
        "{private:?}"
    );
    assert!(private[1].ends_with(" only)"), "{private:?}");
    assert_eq!(private[4], "-15s");
    let file = cells(line("hello.wav"));
    assert_eq!(
        file[4..],
        [
            "on change",
            "Last-Modified Mon, 01 Jan 2024 00:00:00 GMT, file time and size"
        ]
    );
    // Columns line up: every URL starts where the header's URL does.
    let url_col = header.find("URL").expect("URL column");
    for l in &lines[1..6] {
        assert_eq!(
            l.find("http").or_else(|| l.find("file:")),
            Some(url_col),
            "{l}"
        );
    }
    assert!(
        lines.iter().all(|l| !l.ends_with(' ')),
        "no trailing blanks"
    );

    let stats = line("HIT RATE");
    for column in [
        "ENTRIES",
        "BYTES/BUDGET",
        "HITS",
        "MISSES",
        "REVALIDATED",
        "REFRESHED",
        "STALE",
        "BYPASSES",
        "EVICTIONS",
        "TIER HITS",
    ] {
        assert!(stats.contains(column), "{stats}");
    }
    let audio = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("audio"))
        .expect("audio stats");
    assert_eq!(
        cells(audio),
        [
            "audio",
            "3",
            "6216/16000000",
            "2",
            "1",
            "1",
            "0",
            "0",
            "0",
            "0",
            "75.0%",
            "0"
        ]
    );
    let grammar = line("grammar ");
    assert_eq!(
        cells(grammar)[10..],
        ["-", "0"],
        "no fetches, no rate: {grammar}"
    );
    let all = cells(lines.last().expect("total line"));
    assert_eq!(all[..2], ["all", "5"]);
    assert_eq!(all[3..5], ["2", "2"]);
    assert_eq!(all[10], "60.0%");
}

#[test]
fn an_empty_cache_says_so() {
    let store = Store::new(&CacheConfig::default());
    let text = listing::cache_listing(&store, &CacheConfig::default(), SystemTime::UNIX_EPOCH);
    assert!(text.starts_with("the cache is empty\n\nTYPE"), "{text}");
    assert_eq!(listing::hit_rate(&store.stats()[ResourceType::Audio]), None);
}

// ---------------------------------------------------------------- samples ----

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples")
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

fn sample_files(ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    files_with(&samples_dir(), ext, &mut out);
    out
}

const SAMPLES: [&str; 5] = ["hello", "pizza", "bank", "caching", "voicemail"];

#[test]
fn every_sample_has_a_document_a_scenario_and_a_readme_line() {
    let readme = std::fs::read_to_string(samples_dir().join("README.md")).expect("README");
    for s in SAMPLES {
        let dir = samples_dir().join(s);
        assert!(dir.join("index.vxml").is_file(), "{s}/index.vxml");
        assert!(dir.join("scenario.toml").is_file(), "{s}/scenario.toml");
        assert!(
            readme.contains(&format!("[`{s}`]({s}/)")),
            "README names {s}"
        );
    }
    assert_eq!(
        sample_files("toml")
            .iter()
            .filter(|p| p.ends_with("scenario.toml"))
            .count(),
        SAMPLES.len()
    );
}

#[test]
fn every_sample_document_parses() {
    let docs = sample_files("vxml");
    assert_eq!(docs.len(), 9, "{docs:?}");
    for path in docs {
        let bytes = std::fs::read(&path).expect("read");
        let name = path.display().to_string();
        let doc = vxb::vxml::parse(&bytes, &name).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !doc.dialogs.is_empty() || path.ends_with("root.vxml"),
            "{name}"
        );
        assert_eq!(
            doc.version,
            vxb::vxml::Version::V2_1,
            "{name} is VoiceXML 2.1"
        );
    }
}

#[test]
fn every_sample_scenario_and_config_parses_and_names_existing_files() {
    for s in SAMPLES {
        let path = samples_dir().join(s).join("scenario.toml");
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let config = scenario.load_config(None).unwrap_or_else(|e| panic!("{e}"));
        assert!(config.fetch.file_root.is_some());
        for call in scenario.calls() {
            match &call.target {
                CallTarget::Url(u) => {
                    let file = u.to_file_path().expect("sample calls are paths");
                    assert!(file.is_file(), "{}", file.display());
                }
                CallTarget::Origin(p) => {
                    let origin = scenario.origin.as_ref().expect("[origin]");
                    assert!(origin.root.join(p).is_file(), "{s}: {p}");
                    origin
                        .serve_options(Arc::new(SystemClock))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }
}

/// Every `src`, `next` and `application` written literally in a sample
/// (documents and the scripts and data they name) is a file next to it.
#[test]
fn every_sample_reference_resolves_to_a_file() {
    let mut checked = 0;
    for path in sample_files("vxml") {
        let text = std::fs::read_to_string(&path).expect("read");
        let doc = roxmltree::Document::parse(&text).expect("well-formed");
        let base = Url::from_file_path(&path).expect("file URL");
        for node in doc.descendants().filter(|n| n.is_element()) {
            for attr in ["src", "next", "application"] {
                let Some(value) = node.attribute(attr) else {
                    continue;
                };
                let url = base.join(value).expect("resolves");
                if value.starts_with('#') {
                    let id = url.fragment().unwrap_or_default();
                    let target = doc.descendants().any(|n| n.attribute("id") == Some(id));
                    assert!(target, "{}: no dialog {value}", path.display());
                } else {
                    let file = url.to_file_path().expect("a local file");
                    assert!(file.is_file(), "{}: {attr}={value}", path.display());
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} references");
}

/// Their inline grammars compile, their field types are builtins, and their
/// clips are 8 kHz audio vxb decodes.
#[test]
fn sample_grammars_and_audio_are_usable() {
    let mut grammars = 0;
    for path in sample_files("vxml") {
        let text = std::fs::read_to_string(&path).expect("read");
        let doc = roxmltree::Document::parse(&text).expect("well-formed");
        let url = Url::from_file_path(&path).expect("file URL");
        for node in doc.descendants() {
            if node.has_tag_name("grammar") && node.attribute("src").is_none() {
                vxb::grammar::Grammar::from_element(node, &url, None)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                grammars += 1;
            }
            if node.has_tag_name("field")
                && let Some(t) = node.attribute("type")
            {
                vxb::grammar::Grammar::for_field_type(t)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
    assert_eq!(grammars, 3, "pizza: size (voice and dtmf) and toppings");
    let clips = sample_files("wav");
    assert_eq!(clips.len(), 5);
    for clip in clips {
        let bytes = std::fs::read(&clip).expect("read");
        assert!(bytes.len() < 24_000, "{} is small", clip.display());
        let audio =
            vxb::audio::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", clip.display()));
        assert_eq!(audio.format().sample_rate.get(), 8000, "{}", clip.display());
    }
}

/// What the pizza scenario says, the pizza grammars understand.
#[test]
fn pizza_grammars_understand_the_scenario_callers() {
    use vxb::grammar::{ActiveGrammar, Grammar, Input, MatchResult, match_input};
    let path = samples_dir().join("pizza/index.vxml");
    let text = std::fs::read_to_string(&path).expect("read");
    let doc = roxmltree::Document::parse(&text).expect("well-formed");
    let url = Url::from_file_path(&path).expect("file URL");
    let field = |name: &str| -> Vec<ActiveGrammar> {
        let node = doc
            .descendants()
            .find(|n| n.has_tag_name("field") && n.attribute("name") == Some(name))
            .expect("field");
        node.children()
            .filter(|n| n.has_tag_name("grammar"))
            .map(|g| {
                let g = Grammar::from_element(g, &url, None).expect("compiles");
                ActiveGrammar::new(Arc::new(g)).expect("no external refs")
            })
            .collect()
    };
    let value = |grammars: &[ActiveGrammar], input: Input| match match_input(grammars, &input) {
        Ok(MatchResult::Match { interpretation, .. }) => Some(interpretation.interpretation),
        Ok(MatchResult::NoMatch) => None,
        Err(e) => panic!("{e}"),
    };
    let size = field("size");
    assert_eq!(
        value(&size, Input::Voice("a large one please".into())),
        Some("large".into())
    );
    assert_eq!(value(&size, Input::Dtmf("1".into())), Some("small".into()));
    assert_eq!(
        value(&size, Input::Dtmf("7".into())),
        None,
        "the scenario's nomatch"
    );
    let toppings = field("toppings");
    assert_eq!(
        value(&toppings, Input::Voice("pepperoni and mushrooms".into())),
        Some(serde_json::json!(["pepperoni", "mushrooms"]))
    );
    assert_eq!(
        value(&toppings, Input::Voice("olives".into())),
        Some(serde_json::json!(["olives"]))
    );
}

// ------------------------------------------- a whole simulation, end to end ----

/// Parses VoiceXML for the cache, handing it the document's metas.
struct VxmlParser;

impl BodyParser for VxmlParser {
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        let doc =
            vxb::vxml::parse(body, url.as_str()).map_err(|e| ParseFailure::new(e.to_string()))?;
        let mut parsed = ParsedBody::new(());
        parsed.http_equiv = doc.http_equiv.clone();
        Ok(parsed)
    }
}

/// Stands in for the browser until the interpreter exists: fetches the
/// document, then plays every `<audio>` in it with its `maxage`. Enough for
/// the caching sample, through the real fetcher and the real origin; waits
/// advance a manual clock.
struct FetchingDialer {
    fetcher: Arc<Fetcher>,
    clock: Arc<ManualClock>,
    waited: Duration,
}

impl Dialer for FetchingDialer {
    async fn call(
        &mut self,
        url: &Url,
        _input: ScriptedCaller,
        _sink: Option<Box<dyn vxb::audio::Sink + Send>>,
    ) -> CallReport {
        let call = self.fetcher.call();
        let mut report = CallReport {
            start_url: url.to_string(),
            ..CallReport::default()
        };
        let req = FetchRequest::get(url.clone(), ResourceType::Document, Referrer::User);
        let doc = match call.fetch(&req, Some(&VxmlParser)).await {
            Ok(doc) => doc,
            Err(e) => {
                report.ended = CallEnd::Error {
                    event: e.event(),
                    message: e.to_string(),
                };
                report.fetches = call.take_records();
                return report;
            }
        };
        let text = String::from_utf8_lossy(doc.body()).into_owned();
        let xml = roxmltree::Document::parse(&text).expect("sample is well-formed");
        for audio in xml.descendants().filter(|n| n.has_tag_name("audio")) {
            let src = doc
                .final_url
                .join(audio.attribute("src").expect("src"))
                .expect("url");
            let mut req = FetchRequest::get(src.clone(), ResourceType::Audio, Referrer::User);
            if let Some(maxage) = audio.attribute("maxage") {
                req = req.max_age(secs(maxage.parse().expect("seconds")));
            }
            if call.fetch(&req, None).await.is_ok() {
                report.prompts.push(audio_prompt(&src));
            }
        }
        report.fetches = call.take_records();
        report
    }

    async fn wait(&mut self, duration: Duration) {
        self.clock.sleep(duration).await;
        self.waited += duration;
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }
}

fn audio_prompt(src: &Url) -> PromptRecord {
    audio(src.as_str())
}

fn fetching_dialer(config: Config) -> FetchingDialer {
    // Virtual time, as `vxb simulate --clock virtual` runs: the cache and
    // the origin share one clock standing at the current whole second (so
    // the served files' times are in its past), and waits move it.
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH + secs(now)));
    let fetcher = Fetcher::new(Arc::new(config), clock.clone(), None).expect("fetcher");
    FetchingDialer {
        fetcher,
        clock,
        waited: Duration::ZERO,
    }
}

#[tokio::test]
async fn the_caching_sample_refetches_only_2_wav_on_the_second_call() {
    let path = samples_dir().join("caching/scenario.toml");
    let scenario = Scenario::load(&path).expect("sample scenario");
    let config = scenario.load_config(None).expect("sample config");
    let mut dialer = fetching_dialer(config);
    let mut seen = Vec::new();
    let report = simulate(&scenario, &mut dialer, |p| {
        if let Progress::Done(step) = p {
            seen.push(step.clone());
        }
    })
    .await
    .expect("simulation runs");
    assert_eq!(seen, report.steps, "each step is reported as it ends");
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json().expect("serializes")).expect("JSON");
    report_schema::assert_valid_report(&json);
    assert_eq!(dialer.waited, secs(20));
    assert!(report.ok(), "{}", report.summary());
    assert_eq!((report.passed(), report.failed()), (2, 0));
    let origin = report.origin.clone().expect("the origin ran");
    assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
    let second = report.calls().nth(1).expect("second call");
    assert_eq!(second.url, format!("{origin}index.vxml"));
    let decisions: Vec<(String, Option<Decision>)> = second
        .report
        .fetches
        .iter()
        .map(|f| (f.url.trim_start_matches(&origin).to_string(), f.decision()))
        .collect();
    assert_eq!(
        decisions,
        [
            ("index.vxml".to_string(), Some(Decision::Hit)),
            ("1.wav".to_string(), Some(Decision::Hit)),
            ("2.wav".to_string(), Some(Decision::Revalidated)),
            ("3.wav".to_string(), Some(Decision::Hit)),
        ]
    );
    // Every expectation was checked: 3 prompts, the end, 4 fetches, and
    // that all input was used.
    assert_eq!(second.expectations.len(), 9);
    let summary = report.summary();
    assert!(
        summary
            .contains("\n    fetches: index.vxml hit, 1.wav hit, 2.wav revalidated, 3.wav hit\n"),
        "{summary}"
    );

    // The listing after the run: 3.wav still fresh on default_max_age, the
    // document 40 s from expiry.
    let now = dialer.clock.now();
    let rows = listing::rows(
        &dialer.fetcher.store().entries(),
        &dialer.fetcher.config().cache,
        now,
    );
    assert_eq!(rows.len(), 4);
    let row = |name: &str| rows.iter().find(|r| r.url.ends_with(name)).expect("listed");
    assert_eq!(
        row("index.vxml").expiry,
        Expiry::Fresh {
            remaining: secs(40)
        }
    );
    assert_eq!(
        row("3.wav").expiry,
        Expiry::Fresh {
            remaining: secs(160)
        }
    );
    assert_eq!(row("3.wav").etag, None);
    assert_eq!(row("1.wav").expiry, Expiry::Stale { by: secs(10) });
    let stats = dialer.fetcher.store().stats();
    assert_eq!(listing::hit_rate(&stats[ResourceType::Audio]), Some(0.5));
}

#[tokio::test]
async fn a_failed_expectation_fails_the_simulation_but_every_step_runs() {
    let site = tempfile::tempdir().expect("tempdir");
    write(
        site.path(),
        "app/a.vxml",
        "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\"><form><block><audio src=\"a.wav\"/></block></form></vxml>",
    );
    std::fs::copy(
        samples_dir().join("caching/1.wav"),
        site.path().join("app/a.wav"),
    )
    .expect("copy clip");
    let scenario = parse_in(
        site.path(),
        r#"
[origin]
serve = "app"

[[step]]
call = "{origin}/a.vxml"
expect = ["b.wav"]
expect_fetch = { "{origin}/a.wav" = "miss" }

[[step]]
call = "{origin}/missing.vxml"
expect_end = "error.badfetch.http.404"
"#,
    )
    .expect("valid");
    let mut dialer = fetching_dialer(Config::direct());
    let report = simulate(&scenario, &mut dialer, |_| {})
        .await
        .expect("runs");
    assert_eq!((report.passed(), report.failed()), (1, 1));
    let calls: Vec<&CallOutcome> = report.calls().collect();
    // b.wav, the end, a.wav, all input used.
    assert_eq!(outcomes(&calls[0].expectations), [false, true, true, true]);
    let Outcome::Failed { actual, .. } = &calls[0].expectations[0].outcome else {
        panic!("b.wav was never heard")
    };
    assert_eq!(actual.len(), 1);
    assert!(actual[0].ends_with("/a.wav"), "{actual:?}");
    assert!(
        calls[1].passed(),
        "a start document that is not there, when expected"
    );
    assert!(report.summary().ends_with("2 calls: 1 passed, 1 failed\n"));
}

#[tokio::test]
async fn a_start_document_that_cannot_be_fetched_is_an_error_of_its_step_and_the_run_goes_on() {
    let site = tempfile::tempdir().expect("tempdir");
    write(
        site.path(),
        "app/a.vxml",
        "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\"><form/></vxml>",
    );
    let scenario = parse_in(
        site.path(),
        r#"
[origin]
serve = "app"

[[step]]
call = "{origin}/a.vxml"

[[step]]
call = "{origin}/missing.vxml"

[[step]]
call = "{origin}/a.vxml"
"#,
    )
    .expect("valid");
    let mut dialer = fetching_dialer(Config::direct());
    let mut seen = Vec::new();
    let report = simulate(&scenario, &mut dialer, |p| {
        if let Progress::Done(s) = p {
            seen.push(s.clone());
        }
    })
    .await
    .expect("a call that cannot start is a result, not the end of the run");
    assert_eq!(seen.len(), 3, "every step ran");
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json().expect("serializes")).expect("JSON");
    report_schema::assert_valid_report(&json);
    assert_eq!(
        (report.passed(), report.failed(), report.errors()),
        (2, 1, 1)
    );
    let calls: Vec<&CallOutcome> = report.calls().collect();
    assert_eq!((calls[1].step, calls[1].line), (2, 8));
    let cause = calls[1]
        .start_error
        .as_deref()
        .expect("step 2 could not start");
    assert!(
        cause.ends_with("/missing.vxml: HTTP 404 Not Found"),
        "{cause}"
    );
    assert!(calls[0].start_error.is_none() && calls[2].start_error.is_none());
    let summary = report.summary();
    assert!(
        summary.contains("step 2: call {origin}/missing.vxml (line 8) ... ERROR"),
        "{summary}"
    );
    assert!(
        summary.contains("    fetches: missing.vxml 404 error.badfetch.http.404\n"),
        "{summary}"
    );

    // In JUnit: an <error>, not a <failure>, and the other steps pass.
    let xml = to_junit(&report);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a suite");
    assert_eq!(suite.attribute("errors"), Some("1"));
    assert_eq!(suite.attribute("failures"), Some("0"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    let error = cases[1]
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error>");
    assert!(
        error
            .attribute("message")
            .is_some_and(|m| m.starts_with("cannot start the call: ")),
        "{xml}"
    );
    for case in [cases[0], cases[2]] {
        assert!(
            case.children()
                .all(|n| !n.has_tag_name("error") && !n.has_tag_name("failure")),
            "{xml}"
        );
    }
}

#[tokio::test]
async fn junit_names_are_the_same_on_every_run() {
    let path = samples_dir().join("caching/scenario.toml");
    let scenario = Scenario::load(&path).expect("sample scenario");
    let mut runs = Vec::new();
    for _ in 0..2 {
        let config = scenario.load_config(None).expect("sample config");
        let mut dialer = fetching_dialer(config);
        let report = simulate(&scenario, &mut dialer, |_| {})
            .await
            .expect("runs");
        let xml = to_junit(&report);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let names: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .filter_map(|n| n.attribute("name").map(String::from))
            .collect();
        assert_eq!(names.len(), 2, "{xml}");
        for name in &names {
            assert!(!name.contains("127.0.0.1"), "a port in {name}");
        }
        runs.push((report.origin.clone(), names));
    }
    assert_ne!(runs[0].0, runs[1].0, "each run's origin had its own port");
    assert_eq!(runs[0].1, runs[1].1);
}

#[tokio::test]
async fn input_the_call_never_asked_for_fails_the_step_unless_allowed() {
    let site = tempfile::tempdir().expect("tempdir");
    write(
        site.path(),
        "app/a.vxml",
        "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\"><form/></vxml>",
    );
    let scenario = parse_in(
        site.path(),
        r#"
[origin]
serve = "app"

[[step]]
name = "keys nobody reads"
call = "{origin}/a.vxml"
input = ["2", "3"]

[[step]]
call = "{origin}/a.vxml"
input = ["2", "3"]
allow_unused_input = true
"#,
    )
    .expect("valid");
    // This dialer's calls never ask for input.
    let mut dialer = fetching_dialer(Config::default());
    let report = simulate(&scenario, &mut dialer, |_| {})
        .await
        .expect("runs");
    let calls: Vec<&CallOutcome> = report.calls().collect();
    assert_eq!(calls[0].name, "keys nobody reads");
    assert!(!calls[0].passed());
    let failure = calls[0].failures().next().expect("a failure");
    let Outcome::Failed { message, .. } = &failure.outcome else {
        panic!("{failure:?}")
    };
    assert_eq!(message, r#"unused input: "2", "3""#);
    assert_eq!(
        calls[0].unused_input,
        [Token::Dtmf("2".into()), Token::Dtmf("3".into())]
    );
    assert!(calls[1].passed(), "{}", report.summary());
    assert!(
        report
            .summary()
            .contains(r#"    expected all input used: unused input: "2", "3""#),
        "{}",
        report.summary()
    );
}

#[tokio::test]
async fn a_three_day_wait_on_virtual_time_takes_no_time_and_ages_the_origin_and_cache() {
    // 000's max-age of three days: fresh just before, stale just after.
    let site = tempfile::tempdir().expect("tempdir");
    write(
        site.path(),
        "app/a.vxml",
        "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\"><form><block><audio src=\"a.wav\"/></block></form></vxml>",
    );
    std::fs::copy(
        samples_dir().join("caching/1.wav"),
        site.path().join("app/a.wav"),
    )
    .expect("copy clip");
    write(
        site.path(),
        "rules.toml",
        "[[rule]]\npath = \"/a.wav\"\nheaders = { \"Cache-Control\" = \"max-age=259200\" }\n",
    );
    let text = |wait: &str, step: &str| {
        format!(
            r#"
clock = "virtual"

[origin]
serve = "app"
rules = "rules.toml"

[[step]]
call = "{{origin}}/a.vxml"
expect_fetch = {{ "a.wav" = "miss" }}

[[step]]
wait = "{wait}"

[[step]]
call = "{{origin}}/a.vxml"
expect_fetch = {{ "a.wav" = "{step}" }}
"#
        )
    };
    for (wait, decision) in [("2d 23h 59m", "hit"), ("3d 1s", "revalidated")] {
        let scenario = parse_in(site.path(), &text(wait, decision)).expect("valid");
        assert_eq!(scenario.clock_mode(), ClockMode::Virtual);
        let mut dialer = fetching_dialer(Config::default());
        let t0 = dialer.clock.now();
        let started = std::time::Instant::now();
        let report = simulate(&scenario, &mut dialer, |_| {})
            .await
            .expect("runs");
        assert!(started.elapsed() < secs(1), "{:?}", started.elapsed());
        assert!(report.ok(), "{wait}: {}", report.summary());
        let moved = dialer.clock.now().duration_since(t0).expect("forward");
        assert!(moved >= secs(3 * 24 * 3600 - 60), "{moved:?}");
    }
}

#[tokio::test]
async fn a_hand_built_scenario_without_its_origin_is_an_error() {
    let dir = project();
    let mut scenario = parse_in(
        dir.path(),
        "[origin]\nserve = \"site\"\n[[step]]\ncall = \"{origin}/index.vxml\"\n",
    )
    .expect("valid");
    scenario.origin = None;
    let mut dialer = fetching_dialer(Config::direct());
    let e = simulate(&scenario, &mut dialer, |_| {})
        .await
        .expect_err("no origin");
    assert!(matches!(e, SimulateError::NoOrigin { step: 1, .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_noinput_moves_virtual_time_by_its_timeout_and_takes_no_real_time() {
    let site = tempfile::tempdir().expect("tempdir");
    let doc = write(
        site.path(),
        "ask.vxml",
        r#"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1">
  <form>
    <field name="n" type="digits">
      <prompt timeout="40s">Your number?</prompt>
      <noinput count="1"><reprompt/></noinput>
      <noinput count="2"><exit/></noinput>
    </field>
  </form>
</vxml>"#,
    );
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let t0 = clock.now();
    let browser =
        vxb::Browser::with_workers(Config::default(), clock.clone(), Some(site.path()), 1)
            .expect("browser");
    let url = Url::from_file_path(&doc).expect("file URL");
    let started = std::time::Instant::now();
    let caller = ScriptedCaller::new([Token::NoInput, Token::NoInput]);
    let report = browser
        .call(url.as_str(), caller.clone(), Default::default())
        .await;
    assert_eq!(report.ended, CallEnd::Exit, "{report:?}");
    assert!(caller.unused().is_empty());
    assert_eq!(clock.now().duration_since(t0).expect("forward"), secs(80));
    assert!(started.elapsed() < secs(40), "no real waiting");
}

// ------------------------------------------------------------ record_audio ----

#[test]
fn a_step_with_record_audio_writes_what_the_caller_heard() {
    let site = tempfile::tempdir().expect("tempdir");
    write(
        site.path(),
        "a.vxml",
        "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\"><form><block><prompt>one two three</prompt><audio src=\"a.wav\"/></block></form></vxml>",
    );
    let clip = std::fs::read(samples_dir().join("caching/1.wav")).expect("clip");
    std::fs::write(site.path().join("a.wav"), &clip).expect("copy clip");
    let clip = vxb::audio::decode(&clip).expect("decodes");
    assert_eq!(
        clip.sample_rate(),
        8000,
        "the sample clip is on the line's rate"
    );
    let path = write(
        site.path(),
        "scenario.toml",
        r#"
[[step]]
name = "recorded"
call = "a.vxml"
record_audio = "out/recorded.wav"
record_format = "pcm16"

[[step]]
name = "not recorded"
call = "a.vxml"
"#,
    );
    let report = vxb::simulate_file(&path).expect("runs");
    assert!(report.ok(), "{}", report.summary());
    let calls: Vec<&CallOutcome> = report.calls().collect();
    let file = site.path().join("out/recorded.wav");
    assert_eq!(
        calls[0].record_audio.as_deref(),
        Some(file.display().to_string().as_str())
    );
    assert_eq!(calls[1].record_audio, None);
    let written = vxb::audio::decode(&std::fs::read(&file).expect("written")).expect("a WAVE");
    assert_eq!(written.format().to_string(), "16-bit PCM, 8000 Hz, mono");
    // Three words at 400 ms, then the clip, frame for frame.
    assert_eq!(written.frames(), 3 * 3200 + clip.frames());
    assert_eq!(&written.samples()[9600..], clip.samples());
    let recorded = calls[0]
        .expectations
        .iter()
        .find(|e| e.expectation.kind() == "record")
        .expect("a record expectation");
    assert!(recorded.passed());
    let xml = to_junit(&report);
    assert!(
        xml.contains(&format!(
            "<property name=\"record_audio\" value=\"{}\"/>",
            file.display()
        )),
        "{xml}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json().expect("json")).expect("valid");
    report_schema::assert_valid_report(&json);
    assert_eq!(json["steps"][0]["record_audio"], file.display().to_string());
}

#[test]
fn record_audio_keys_are_checked_when_the_scenario_loads() {
    let e = refusal("[[step]]\ncall = \"index.vxml\"\nrecord_format = \"pcm16\"\n");
    assert!(
        e.contains("step 1: record_format") && e.contains("needs a `record_audio`"),
        "{e}"
    );
    let e = refusal(
        "[[step]]\ncall = \"index.vxml\"\nrecord_audio = \"a.wav\"\nrecord_format = \"mp3\"\n",
    );
    assert!(e.contains("ulaw or pcm16"), "{e}");
    let e = refusal("[[step]]\nwait = \"1s\"\nrecord_audio = \"a.wav\"\n");
    assert!(
        e.contains("record_audio") && e.contains("`wait` step"),
        "{e}"
    );
    let e = refusal("[[step]]\ncall = \"index.vxml\"\nrecord_audio = \"site\"\n");
    assert!(e.contains("the WAVE file to write"), "{e}");
    let dir = project();
    let s = parse_in(
        dir.path(),
        "[[step]]\ncall = \"index.vxml\"\nrecord_audio = \"calls/a.wav\"\n",
    )
    .expect("valid");
    let Step::Call(c) = &s.steps[0] else { panic!() };
    let rec = c.record_audio.as_ref().expect("recorded");
    assert!(rec.path.ends_with("calls/a.wav") && rec.path.is_absolute());
    assert_eq!(
        rec.format,
        vxb::audio::RecordFormat::MuLaw,
        "µ-law by default"
    );
}

#[test]
fn a_recording_that_cannot_be_written_fails_its_step() {
    let site = tempfile::tempdir().expect("tempdir");
    write(
        site.path(),
        "a.vxml",
        "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\"><form><block>hi</block></form></vxml>",
    );
    // A file where the recording's directory should be.
    write(site.path(), "blocked", "");
    let path = write(
        site.path(),
        "scenario.toml",
        "[[step]]\ncall = \"a.vxml\"\nrecord_audio = \"blocked/call.wav\"\n",
    );
    let report = vxb::simulate_file(&path).expect("runs");
    assert!(!report.ok());
    let call = report.calls().next().expect("a call");
    let failed: Vec<_> = call.failures().collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].expectation.kind(), "record");
    assert!(
        report.summary().contains("cannot write the recording"),
        "{}",
        report.summary()
    );
}
