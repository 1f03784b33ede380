//! What a scripted call is expected to do, and the pure check of a
//! [`CallReport`] against it.
//!
//! A call step of a scenario expects, all optional:
//! - `expect`: substrings of the prompts, **in order** — each must be found in
//!   a prompt after the one the previous expectation was found in;
//! - `expect_end`: how the call ended (`exit`, `hangup`, `disconnect`,
//!   `error`, or the name of the event that ended it); without one, the call
//!   is expected *not* to end in an error, so a broken application never
//!   passes a scenario silently;
//! - `expect_events`: names of events thrown, in order (VoiceXML prefix
//!   matching: `error.badfetch` matches `error.badfetch.http.404`);
//! - `expect_logs`: substrings of the `<log>` output, in order;
//! - `expect_fetch`: per URL, the cache decision of every fetch of it in the
//!   call (`"hit"`), the exact sequence (`["miss", "hit"]`), or `[]` for
//!   "never fetched".
//!
//! Prompts are compared as heard: case and runs of white space do not
//! matter (a caller hears neither). An audio prompt's text is its URL; an
//! audio clip that could not be played and was replaced by its fallback text
//! is reported as that text, so either can be expected.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use url::Url;

use crate::cache::Decision;
use crate::call::{CallEnd, CallReport, Token};

/// Everything one call step expects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// `expect`: prompt substrings, in order.
    pub prompts: Vec<String>,
    /// `expect_end`; `None` expects the call not to end in an error.
    pub end: Option<EndExpectation>,
    /// `expect_events`: event names, in order.
    pub events: Vec<String>,
    /// `expect_logs`: `<log>` substrings, in order.
    pub logs: Vec<String>,
    /// `expect_fetch`: cache decisions by URL, in the order written.
    pub fetches: Vec<FetchExpectation>,
}

/// How a call is expected to end (`expect_end`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndExpectation {
    /// `<exit>`, or the application ran out of dialogs.
    Exit,
    /// The (scripted) caller hung up.
    Hangup,
    /// The application hung up (`<disconnect>`).
    Disconnect,
    /// Any uncaught event ended the call.
    Error,
    /// An uncaught event matching this name (VoiceXML prefix matching)
    /// ended the call, e.g. `error.badfetch`.
    Event(String),
    /// Anything but an error: what a step without `expect_end` expects.
    NotError,
}

impl Expectations {
    /// Whether the call is expected to end in an error (`expect_end` is
    /// `error` or an event name): then a start document that cannot be
    /// fetched is the thing under test, not a broken scenario.
    pub fn expects_error(&self) -> bool {
        matches!(
            self.end,
            Some(EndExpectation::Error | EndExpectation::Event(_))
        )
    }
}

impl FromStr for EndExpectation {
    type Err = String;

    /// `exit`, `hangup`, `disconnect`, `error`, or an event name.
    fn from_str(s: &str) -> Result<EndExpectation, String> {
        let s = s.trim();
        Ok(match s {
            "exit" => EndExpectation::Exit,
            "hangup" => EndExpectation::Hangup,
            "disconnect" => EndExpectation::Disconnect,
            "error" => EndExpectation::Error,
            _ if is_event_name(s) => EndExpectation::Event(s.to_string()),
            _ => {
                return Err(format!(
                    "bad call end `{s}`: expected exit, hangup, disconnect, error or an event name such as error.badfetch"
                ));
            }
        })
    }
}

impl fmt::Display for EndExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndExpectation::Exit => f.write_str("exit"),
            EndExpectation::Hangup => f.write_str("hangup"),
            EndExpectation::Disconnect => f.write_str("disconnect"),
            EndExpectation::Error => f.write_str("error"),
            EndExpectation::Event(name) => f.write_str(name),
            EndExpectation::NotError => f.write_str("not an error"),
        }
    }
}

/// Whether `s` can be an event name: non-empty, no white space, no empty
/// dot-separated part.
pub fn is_event_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(char::is_whitespace) && s.split('.').all(|p| !p.is_empty())
}

/// The cache decisions expected for the fetches of one URL in one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchExpectation {
    /// As written: absolute, or relative to the call's start URL.
    pub url: String,
    /// The decisions expected of its fetches.
    pub decisions: DecisionExpectation,
}

/// What the fetches of one URL are expected to have decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionExpectation {
    /// Fetched at least once, and every fetch had this decision.
    Every(Decision),
    /// Fetched exactly this many times with these decisions, in order;
    /// empty means never fetched.
    Sequence(Vec<Decision>),
}

impl fmt::Display for DecisionExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionExpectation::Every(d) => d.fmt(f),
            DecisionExpectation::Sequence(ds) if ds.is_empty() => f.write_str("not fetched"),
            DecisionExpectation::Sequence(ds) => f.write_str(&join_decisions(ds)),
        }
    }
}

fn join_decisions(ds: &[Decision]) -> String {
    ds.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
}

/// One expectation, as written in the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// A prompt containing this text is heard (after the previous one).
    Prompt(String),
    /// The call ends this way (`expect_end`).
    End(EndExpectation),
    /// This event is thrown (`expect_events`).
    Event(String),
    /// A `<log>` line containing this text is written (`expect_logs`).
    Log(String),
    /// A URL's fetches have these cache decisions (`expect_fetch`).
    Fetch(FetchExpectation),
    /// Every input token was asked for (a step without
    /// `allow_unused_input`): a scenario cannot pass while testing less
    /// than it says.
    InputUsed,
    /// The call's recording (`record_audio`) was written to this file.
    Recorded(String),
}

impl Expectation {
    /// `prompt`, `end`, `event`, `log`, `fetch` or `input`.
    pub fn kind(&self) -> &'static str {
        match self {
            Expectation::InputUsed => "input",
            Expectation::Recorded(_) => "record",
            Expectation::Prompt(_) => "prompt",
            Expectation::End(_) => "end",
            Expectation::Event(_) => "event",
            Expectation::Log(_) => "log",
            Expectation::Fetch(_) => "fetch",
        }
    }
}

/// `prompt "Welcome"`, `end exit`, `fetch 2.wav: revalidated`.
impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Prompt(s) => write!(f, "prompt {s:?}"),
            Expectation::End(e) => write!(f, "end {e}"),
            Expectation::Event(s) => write!(f, "event {s}"),
            Expectation::Log(s) => write!(f, "log {s:?}"),
            Expectation::Fetch(x) => write!(f, "fetch {}: {}", x.url, x.decisions),
            Expectation::InputUsed => f.write_str("all input used"),
            Expectation::Recorded(path) => write!(f, "recording written to {path}"),
        }
    }
}

/// Whether an expectation held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It held; `at` is the index of the prompt, event or log line that
    /// satisfied it (none for end and fetch expectations).
    Passed {
        /// Which prompt, event or log line.
        at: Option<usize>,
    },
    /// It did not.
    Failed {
        /// What happened instead, one line each: the prompts heard (after
        /// the previous expectation's match), the events thrown, the log
        /// lines, how the call ended, or the URL's decisions.
        actual: Vec<String>,
        /// Why, for a person: one line.
        message: String,
    },
}

/// One expectation and whether it held: what `simulate` adds to the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectationResult {
    /// The expectation, as written.
    pub expectation: Expectation,
    /// Whether it held.
    pub outcome: Outcome,
}

impl ExpectationResult {
    /// Whether it held.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed { .. })
    }
}

/// `{"kind": "prompt", "expected": "Welcome", "passed": true, "at": 0}`, or
/// for a failure `{…, "passed": false, "message": "…", "actual": […]}`; a
/// fetch expectation also has `"url"`.
impl Serialize for ExpectationResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ExpectationResult", 6)?;
        st.serialize_field("kind", self.expectation.kind())?;
        match &self.expectation {
            Expectation::Prompt(text) | Expectation::Event(text) | Expectation::Log(text) => {
                st.serialize_field("expected", text)?;
            }
            Expectation::End(end) => st.serialize_field("expected", &end.to_string())?,
            Expectation::Fetch(x) => {
                st.serialize_field("url", &x.url)?;
                st.serialize_field("expected", &x.decisions.to_string())?;
            }
            Expectation::InputUsed => st.serialize_field("expected", "all input used")?,
            Expectation::Recorded(path) => st.serialize_field("expected", path)?,
        }
        st.serialize_field("passed", &self.passed())?;
        match &self.outcome {
            Outcome::Passed { at: Some(at) } => st.serialize_field("at", at)?,
            Outcome::Passed { at: None } => {}
            Outcome::Failed { actual, message } => {
                st.serialize_field("message", message)?;
                st.serialize_field("actual", actual)?;
            }
        }
        st.end()
    }
}

/// Checks `report` against every expectation of `expect`, in the order
/// prompts, end, events, logs, fetches. Relative fetch URLs are resolved
/// against the report's start URL.
pub fn check(expect: &Expectations, report: &CallReport) -> Vec<ExpectationResult> {
    let prompts: Vec<&str> = report.prompts.iter().map(|p| p.text()).collect();
    let events: Vec<&str> = report.events.iter().map(|e| e.name.as_str()).collect();
    let logs: Vec<&str> = report.logs.iter().map(|l| l.message.as_str()).collect();
    let mut out = Vec::new();
    in_order(&expect.prompts, &prompts, contains_as_heard, "prompt")
        .zip(&expect.prompts)
        .for_each(|(o, e)| out.push(result(Expectation::Prompt(e.clone()), o)));
    let end = expect.end.clone().unwrap_or(EndExpectation::NotError);
    let outcome = check_end(&end, &report.ended);
    out.push(result(Expectation::End(end), outcome));
    in_order(
        &expect.events,
        &events,
        |name, e| event_matches(e, name),
        "event",
    )
    .zip(&expect.events)
    .for_each(|(o, e)| out.push(result(Expectation::Event(e.clone()), o)));
    in_order(&expect.logs, &logs, contains_as_heard, "log line")
        .zip(&expect.logs)
        .for_each(|(o, e)| out.push(result(Expectation::Log(e.clone()), o)));
    for x in &expect.fetches {
        let outcome = check_fetch(x, report);
        out.push(result(Expectation::Fetch(x.clone()), outcome));
    }
    out
}

/// Whether the call asked for every input token it was given: `unused`
/// are the ones it never asked for, in order.
pub fn check_input_used(unused: &[Token]) -> ExpectationResult {
    let outcome = if unused.is_empty() {
        Outcome::Passed { at: None }
    } else {
        let actual: Vec<String> = unused.iter().map(Token::to_string).collect();
        let quoted: Vec<String> = actual.iter().map(|t| format!("{t:?}")).collect();
        Outcome::Failed {
            message: format!("unused input: {}", quoted.join(", ")),
            actual,
        }
    };
    result(Expectation::InputUsed, outcome)
}

/// That the call's recording was written to `path` (`written` says how it went).
pub fn check_recorded(path: &std::path::Path, written: Result<(), String>) -> ExpectationResult {
    let outcome = match written {
        Ok(()) => Outcome::Passed { at: None },
        Err(why) => Outcome::Failed {
            message: format!("cannot write the recording: {why}"),
            actual: Vec::new(),
        },
    };
    result(Expectation::Recorded(path.display().to_string()), outcome)
}

fn result(expectation: Expectation, outcome: Outcome) -> ExpectationResult {
    ExpectationResult {
        expectation,
        outcome,
    }
}

/// Matches `wanted` as a subsequence of `seen`: each wanted item in an item
/// after the previous one's match (the earliest such item, which leaves the
/// most room for the rest). After a failure the search goes on from the
/// same place, so one missing prompt does not fail every later one.
fn in_order<'a>(
    wanted: &'a [String],
    seen: &'a [&'a str],
    matches: impl Fn(&str, &str) -> bool + 'a,
    noun: &'static str,
) -> impl Iterator<Item = Outcome> + 'a {
    let mut from = 0;
    wanted.iter().map(move |w| {
        match seen
            .iter()
            .skip(from)
            .position(|s| matches(w, s))
            .map(|i| i + from)
        {
            Some(at) => {
                from = at + 1;
                Outcome::Passed { at: Some(at) }
            }
            None => {
                let message = match from {
                    0 if seen.is_empty() => format!("no {noun} at all"),
                    0 => format!("not in any {noun}"),
                    n => format!("not in any {noun} after {noun} {n} ({:?})", seen[n - 1]),
                };
                Outcome::Failed {
                    actual: seen[from..].iter().map(|s| s.to_string()).collect(),
                    message,
                }
            }
        }
    })
}

/// Whether `heard` contains `wanted`, ignoring case and white-space runs.
pub fn contains_as_heard(wanted: &str, heard: &str) -> bool {
    as_heard(heard).contains(&as_heard(wanted))
}

fn as_heard(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// VoiceXML event matching (2.0 §5.2.4): `pattern` matches `event` when it
/// is a whole-token prefix of it (`error` matches `error.badfetch.http.404`,
/// `error.bad` does not). A trailing `.` in the pattern is ignored.
pub fn event_matches(event: &str, pattern: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    event == pattern
        || event
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn check_end(expected: &EndExpectation, ended: &CallEnd) -> Outcome {
    let held = match (expected, ended) {
        (EndExpectation::Exit, CallEnd::Exit)
        | (EndExpectation::Hangup, CallEnd::Hangup)
        | (EndExpectation::Disconnect, CallEnd::Disconnect)
        | (EndExpectation::Error, CallEnd::Error { .. }) => true,
        (EndExpectation::Event(pattern), CallEnd::Error { event, .. }) => {
            event_matches(event, pattern)
        }
        (EndExpectation::NotError, ended) => !matches!(ended, CallEnd::Error { .. }),
        _ => false,
    };
    if held {
        return Outcome::Passed { at: None };
    }
    let actual = describe_end(ended);
    Outcome::Failed {
        message: format!("expected the call to end with {expected}; it ended with {actual}"),
        actual: vec![actual],
    }
}

/// `exit`, or `error error.badfetch.http.404: app.vxml:3:5: not found`.
pub fn describe_end(ended: &CallEnd) -> String {
    match ended {
        CallEnd::Error { event, message } if message.is_empty() => format!("error {event}"),
        CallEnd::Error { event, message } => format!("error {event}: {message}"),
        other => other.kind().to_string(),
    }
}

fn check_fetch(x: &FetchExpectation, report: &CallReport) -> Outcome {
    let wanted = resolve(&x.url, &report.start_url);
    let seen: Vec<Option<Decision>> = report
        .fetches
        .iter()
        .filter(|f| same_url(&f.url, &wanted))
        .map(|f| f.decision())
        .collect();
    let held = match &x.decisions {
        DecisionExpectation::Every(d) => !seen.is_empty() && seen.iter().all(|s| *s == Some(*d)),
        DecisionExpectation::Sequence(ds) => {
            seen.len() == ds.len() && seen.iter().zip(ds).all(|(s, d)| *s == Some(*d))
        }
    };
    if held {
        return Outcome::Passed { at: None };
    }
    let actual: Vec<String> = seen
        .iter()
        .map(|d| d.map_or("failed", Decision::as_str).to_string())
        .collect();
    let what = if actual.is_empty() {
        "it was not fetched".to_string()
    } else {
        format!("its fetches were: {}", actual.join(", "))
    };
    Outcome::Failed {
        message: format!("expected {wanted}: {}; {what}", x.decisions),
        actual,
    }
}

/// `url` made absolute against `base` when both are URLs; else as written.
fn resolve(url: &str, base: &str) -> String {
    Url::parse(base)
        .and_then(|b| b.join(url))
        .map_or_else(|_| url.to_string(), String::from)
}

/// Equal as URLs (so `HTTP://Host/a` equals `http://host/a`), else as text.
fn same_url(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unused_input_fails_with_the_tokens() {
        assert!(check_input_used(&[]).passed());
        let r = check_input_used(&[Token::Dtmf("2".into()), Token::Dtmf("3".into())]);
        let Outcome::Failed { message, actual } = &r.outcome else {
            panic!("{r:?}")
        };
        assert_eq!(message, r#"unused input: "2", "3""#);
        assert_eq!(actual, &["2", "3"]);
        assert_eq!(r.expectation.kind(), "input");
    }

    #[test]
    fn end_expectations_parse() {
        assert_eq!("exit".parse(), Ok(EndExpectation::Exit));
        assert_eq!(" hangup ".parse(), Ok(EndExpectation::Hangup));
        assert_eq!("disconnect".parse(), Ok(EndExpectation::Disconnect));
        assert_eq!("error".parse(), Ok(EndExpectation::Error));
        assert_eq!(
            "error.badfetch".parse(),
            Ok(EndExpectation::Event("error.badfetch".into()))
        );
        assert!("".parse::<EndExpectation>().is_err());
        assert!("two words".parse::<EndExpectation>().is_err());
        assert!("error..x".parse::<EndExpectation>().is_err());
    }

    #[test]
    fn event_prefixes_match_whole_tokens() {
        assert!(event_matches("error.badfetch.http.404", "error"));
        assert!(event_matches("error.badfetch.http.404", "error.badfetch"));
        assert!(event_matches("error.badfetch.http.404", "error.badfetch."));
        assert!(event_matches("nomatch", "nomatch"));
        assert!(!event_matches("error.badfetch", "error.bad"));
        assert!(!event_matches("error", "error.badfetch"));
    }

    #[test]
    fn prompts_match_as_heard() {
        assert!(contains_as_heard(
            "you chose  CHICAGO",
            "You chose\n   Chicago."
        ));
        assert!(!contains_as_heard("Chicago", "Boston"));
    }

    #[test]
    fn relative_fetch_urls_resolve_against_the_start_url() {
        assert_eq!(
            resolve("2.wav", "http://127.0.0.1:8080/app/index.vxml"),
            "http://127.0.0.1:8080/app/2.wav"
        );
        assert_eq!(resolve("2.wav", "not a url"), "2.wav");
        assert!(same_url("HTTP://LOCALHOST/a", "http://localhost/a"));
    }
}
