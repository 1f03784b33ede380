//! The library as a user sees it: everything here is reached through the
//! names `vxb` re-exports at its root, and nothing else of the crate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use vxb::{
    Browser, CallEnd, CallObserver, CallOptions, CallerInput, Connection, Decision, FetchResult,
    ManualClock, PromptRecord, ResourceType, Scenario, Session, SimulateFileError, simulate_file,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facade")
}

fn start_url(file: &str) -> String {
    format!("file://{}", fixtures().join(file).display())
}

/// Collects the prompts an observer is told of, to compare with the report.
struct Heard(Arc<Mutex<Vec<String>>>);

impl CallObserver for Heard {
    fn prompt(&mut self, prompt: &PromptRecord) {
        if let Ok(mut heard) = self.0.lock() {
            heard.push(prompt.text().to_string());
        }
    }
}

#[test]
fn a_scripted_call_reports_its_prompts_logs_and_end() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heard);
    let browser = Browser::builder()
        .file_root(fixtures())
        .workers(1)
        .observer(move || Heard(Arc::clone(&seen)))
        .build()
        .expect("browser");

    let input = CallerInput::parse_list("1234").expect("tokens");
    let report = browser.call_blocking(&start_url("pin.vxml"), input, CallOptions::default());

    let prompts: Vec<&str> = report.prompts.iter().map(PromptRecord::text).collect();
    assert_eq!(prompts, ["Please enter your PIN.", "You entered 1234."]);
    assert_eq!(report.ended, CallEnd::Exit);
    let logs: Vec<(Option<&str>, &str)> = report
        .logs
        .iter()
        .map(|l| (l.label.as_deref(), l.message.as_str()))
        .collect();
    assert_eq!(logs, [(Some("pin"), "1234")]);
    // The builder's observer was told of each prompt as it was heard.
    assert_eq!(*heard.lock().expect("observer"), prompts);
}

#[test]
fn a_call_options_observer_wins_over_the_builders() {
    let from_builder = Arc::new(Mutex::new(Vec::new()));
    let from_options = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&from_builder);
    let browser = Browser::builder()
        .file_root(fixtures())
        .workers(1)
        .observer(move || Heard(Arc::clone(&seen)))
        .build()
        .expect("browser");
    let options = CallOptions {
        observer: Some(Box::new(Heard(Arc::clone(&from_options)))),
        ..CallOptions::default()
    };
    let input = CallerInput::parse_list("7").expect("tokens");
    browser.call_blocking(&start_url("pin.vxml"), input, options);
    assert_eq!(from_options.lock().expect("observer").len(), 2);
    assert!(from_builder.lock().expect("observer").is_empty());
}

#[test]
fn without_a_file_root_a_file_url_is_a_badfetch() {
    let browser = Browser::builder().workers(1).build().expect("browser");
    let input = CallerInput::parse_list("1").expect("tokens");
    let report = browser.call_blocking(&start_url("pin.vxml"), input, CallOptions::default());
    assert!(
        matches!(&report.ended, CallEnd::Error { event, .. } if event == "error.badfetch"),
        "{:?}",
        report.ended
    );
    assert!(report.prompts.is_empty());
    // The failed start fetch says why, with no cache decision to misread.
    let start = &report.fetches[0];
    assert_eq!(start.rtype, ResourceType::Document);
    assert!(matches!(&start.result, FetchResult::Failed(f) if f.event == "error.badfetch"));
    assert_eq!(start.decision(), None);
}

#[test]
fn a_call_is_placed_with_a_session_and_its_fetches_are_in_the_report() {
    let browser = Browser::builder()
        .file_root(fixtures())
        .workers(1)
        .build()
        .expect("browser");
    let options = CallOptions {
        session: Session {
            connection: Connection {
                remote_uri: Some("tel:+15550100".into()),
                ..Connection::default()
            },
            ..Session::default()
        },
        ..CallOptions::default()
    };
    let report = browser.call_blocking(&start_url("session.vxml"), CallerInput::default(), options);
    assert_eq!(report.ended, CallEnd::Exit);
    let logs: Vec<&str> = report.logs.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(logs, ["tel:+15550100"]);
    let start = &report.fetches[0];
    assert_eq!(start.rtype, ResourceType::Document);
    assert_eq!(start.decision(), Some(Decision::Miss));
    assert_eq!(start.status(), Some(200));
    assert!(start.error().is_none());
}

#[test]
fn a_scenario_file_runs_in_one_call() {
    let report = simulate_file(fixtures().join("scenario.toml")).expect("scenario runs");
    assert!(report.ok(), "{}", report.summary());
    assert_eq!(report.steps.len(), 2);
}

#[test]
fn a_failed_expectation_is_in_the_report_not_an_error() {
    let report = simulate_file(fixtures().join("failing.toml")).expect("scenario runs");
    assert!(!report.ok());
    assert_eq!(report.failed(), 1);
    assert!(
        report.summary().contains("You entered 9999"),
        "{}",
        report.summary()
    );
}

#[test]
fn a_scenario_that_cannot_be_read_is_an_error_and_a_broken_start_is_a_failed_step() {
    let missing = fixtures().join("no-such-scenario.toml");
    let err = simulate_file(&missing).expect_err("no such file");
    assert!(matches!(err, SimulateFileError::Load(_)), "{err:?}");
    assert!(err.to_string().contains("no-such-scenario.toml"), "{err}");

    // A start document that cannot be loaded is a result: the step's error.
    let report = simulate_file(fixtures().join("broken.toml")).expect("the scenario runs");
    assert!(!report.ok());
    assert_eq!(report.errors(), 1);
    let summary = report.summary();
    assert!(summary.contains("step 1: call "), "{summary}");
    assert!(summary.contains("(line 3) ... ERROR"), "{summary}");
    assert!(summary.contains("broken.vxml"), "{summary}");
}

#[tokio::test]
async fn a_scenario_runs_through_a_browser_of_ones_own() {
    let scenario = Scenario::load(&fixtures().join("scenario.toml")).expect("scenario");
    let config = scenario.load_config(None).expect("config");
    let browser = Browser::builder()
        .config(config)
        .clock(Arc::new(ManualClock::new(std::time::SystemTime::now())))
        .workers(1)
        .build()
        .expect("browser");
    let report = scenario.run(&browser).await.expect("scenario runs");
    assert!(report.ok(), "{}", report.summary());
}
