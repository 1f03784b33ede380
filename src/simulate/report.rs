//! The report of a simulation: every step, each call's [`CallReport`] with
//! its expectations' results, as JSON for `--json` (its shape is
//! `docs/report.schema.json`) and as a human summary for the terminal.

use std::fmt::{self, Write as _};
use std::time::Duration;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use super::expect::{Expectation, ExpectationResult, Outcome, describe_end};
use super::scenario::ClockMode;
use crate::call::{CallReport, Token};
use crate::fetch::FetchRecord;

/// What a whole scenario did.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationReport {
    /// The scenario file.
    pub scenario: String,
    /// The origin `simulate` started (`http://127.0.0.1:PORT/`), if any.
    pub origin: Option<String>,
    /// The clock the scenario ran on.
    pub clock: ClockMode,
    /// Each step's outcome, in order.
    pub steps: Vec<StepOutcome>,
}

/// One step's outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum StepOutcome {
    /// A call step.
    Call(Box<CallOutcome>),
    /// A wait step.
    Wait(WaitOutcome),
}

/// What one call step did, and whether it did what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct CallOutcome {
    /// 1-based position among all the steps.
    pub step: usize,
    /// The scenario line the step starts at.
    pub line: usize,
    /// The step's stable name: its `name`, else its number and target as
    /// written (`step 1: call {origin}/index.vxml`), never a port.
    pub name: String,
    /// The target as written (`{origin}/index.vxml`).
    pub target: String,
    /// The URL called (with `{origin}` substituted).
    pub url: String,
    /// The scripted caller.
    pub input: Vec<Token>,
    /// The input tokens the call never asked for.
    pub unused_input: Vec<Token>,
    /// Why the call could not start (its start document could not be
    /// fetched), when the step did not expect that: an error of the step
    /// rather than a failed expectation.
    pub start_error: Option<String>,
    /// Each expectation and whether it held.
    pub expectations: Vec<ExpectationResult>,
    /// The file the call's recording went to (`record_audio`), if any.
    pub record_audio: Option<String>,
    /// What the call did.
    pub report: CallReport,
}

/// A wait step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitOutcome {
    /// 1-based position among all the steps.
    pub step: usize,
    /// The scenario line the step starts at.
    pub line: usize,
    /// The step's stable name (as for a call).
    pub name: String,
    /// How long it waited.
    pub duration: Duration,
}

impl CallOutcome {
    /// Whether the call started and every expectation held.
    pub fn passed(&self) -> bool {
        self.start_error.is_none() && self.expectations.iter().all(ExpectationResult::passed)
    }

    /// The expectations that did not hold.
    pub fn failures(&self) -> impl Iterator<Item = &ExpectationResult> {
        self.expectations.iter().filter(|e| !e.passed())
    }
}

impl SimulationReport {
    /// The call steps, in order.
    pub fn calls(&self) -> impl Iterator<Item = &CallOutcome> {
        self.steps.iter().filter_map(|s| match s {
            StepOutcome::Call(c) => Some(&**c),
            StepOutcome::Wait(_) => None,
        })
    }

    /// How many calls did everything expected of them.
    pub fn passed(&self) -> usize {
        self.calls().filter(|c| c.passed()).count()
    }

    /// How many calls did not.
    pub fn failed(&self) -> usize {
        self.calls().filter(|c| !c.passed()).count()
    }

    /// How many of those could not even start.
    pub fn errors(&self) -> usize {
        self.calls().filter(|c| c.start_error.is_some()).count()
    }

    /// Whether every expectation of every call held (exit code 0).
    pub fn ok(&self) -> bool {
        self.failed() == 0
    }

    /// The report as pretty JSON (`--json`).
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// The human summary: one line per step, the failed expectations with
    /// what happened instead, and the totals.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                StepOutcome::Call(c) => out.push_str(&call_summary(c)),
                StepOutcome::Wait(w) => {
                    let _ = writeln!(out, "{}", wait_line(w));
                }
            }
        }
        let (passed, failed) = (self.passed(), self.failed());
        let _ = writeln!(
            out,
            "{} call{}: {passed} passed, {failed} failed",
            passed + failed,
            if passed + failed == 1 { "" } else { "s" }
        );
        out
    }
}

/// A wait step, one line (printed when the wait starts).
pub fn wait_line(w: &WaitOutcome) -> String {
    let what = format!("wait {}", human(w.duration));
    format!(
        "{} (line {}){}",
        w.name,
        w.line,
        if w.name.ends_with(&what) {
            String::new()
        } else {
            format!(": {what}")
        }
    )
}

/// A duration as written in scenarios (`20s`, `1m 30s`, `250ms`).
fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// One call: a status line, the cache decisions, and each failed
/// expectation with what happened instead.
pub fn call_summary(c: &CallOutcome) -> String {
    let mut out = String::new();
    let status = match (&c.start_error, c.passed()) {
        (Some(_), _) => "ERROR",
        (None, true) => "ok",
        (None, false) => "FAILED",
    };
    let _ = writeln!(
        out,
        "{} (line {}) ... {status} ({}, {} prompt{}, {} fetch{})",
        c.name,
        c.line,
        describe_end(&c.report.ended),
        c.report.prompts.len(),
        if c.report.prompts.len() == 1 { "" } else { "s" },
        c.report.fetches.len(),
        if c.report.fetches.len() == 1 {
            ""
        } else {
            "es"
        },
    );
    if !c.report.fetches.is_empty() {
        let decisions: Vec<String> = c
            .report
            .fetches
            .iter()
            .map(|f| fetch_text(f, &c.url))
            .collect();
        let _ = writeln!(out, "    fetches: {}", decisions.join(", "));
    }
    if let Some(cause) = &c.start_error {
        // Nothing else of the call is worth reading.
        let _ = writeln!(out, "    cannot start the call: {cause}");
        return out;
    }
    for failure in c.failures() {
        out.push_str(&failure_text(failure));
    }
    out
}

/// Everything one call did, one line each, for a CI log (JUnit's
/// `system-out`): the URL called, the prompts heard, the fetches with
/// their decisions (or status and event), the events, the logs, the end.
pub fn call_transcript(c: &CallOutcome) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "call {}", c.url);
    if !c.input.is_empty() {
        let input: Vec<String> = c.input.iter().map(Token::to_string).collect();
        let _ = writeln!(out, "input: {}", input.join(", "));
    }
    for p in &c.report.prompts {
        let _ = writeln!(out, "prompt: {}", p.text());
    }
    for f in &c.report.fetches {
        let _ = writeln!(out, "fetch: {}", fetch_text(f, &c.url));
    }
    for e in &c.report.events {
        let caught = if e.caught { "" } else { " (uncaught)" };
        match &e.message {
            Some(m) => {
                let _ = writeln!(out, "event: {}{caught}: {m}", e.name);
            }
            None => {
                let _ = writeln!(out, "event: {}{caught}", e.name);
            }
        }
    }
    for l in &c.report.logs {
        let _ = writeln!(out, "log: {}", l.message);
    }
    if !c.unused_input.is_empty() {
        let unused: Vec<String> = c.unused_input.iter().map(Token::to_string).collect();
        let _ = writeln!(out, "unused input: {}", unused.join(", "));
    }
    let _ = writeln!(out, "ended: {}", describe_end(&c.report.ended));
    out
}

/// A failed expectation, for people: what was expected, why it failed, and
/// what happened instead (for prompts: every prompt heard from where the
/// search started, numbered as in the report).
pub fn failure_text(r: &ExpectationResult) -> String {
    let mut out = String::new();
    let Outcome::Failed { actual, message } = &r.outcome else {
        return out;
    };
    let _ = writeln!(out, "    expected {}: {message}", r.expectation);
    let heading = match r.expectation {
        Expectation::Prompt(_) => "heard",
        Expectation::Event(_) => "events",
        Expectation::Log(_) => "logged",
        // Their message already says what happened.
        Expectation::End(_)
        | Expectation::Fetch(_)
        | Expectation::InputUsed
        | Expectation::Recorded(_) => return out,
    };
    if !actual.is_empty() {
        let _ = writeln!(out, "      {heading}:");
        for line in actual {
            let _ = writeln!(out, "        {line:?}");
        }
    }
    out
}

/// One fetch, short: `2.wav revalidated`, or for one that failed (even if
/// the cache decided something on the way) [`failed_fetch`].
fn fetch_text(f: &FetchRecord, call: &str) -> String {
    match f.decision() {
        Some(d) if f.error().is_none() && f.event().is_none() => {
            format!("{} {d}", short_url(&f.url, call))
        }
        _ => failed_fetch(f, call),
    }
}

/// A fetch that failed, as people read it: its URL (relative to `call`
/// when it can be), the HTTP status if one came, and the event it threw —
/// `welcome.wav 404 error.badfetch.http.404` — never a cache decision.
pub fn failed_fetch(f: &FetchRecord, call: &str) -> String {
    let mut out = short_url(&f.url, call).to_string();
    if let Some(status) = f.status() {
        let _ = write!(out, " {status}");
    }
    match &f.event() {
        Some(event) => {
            let _ = write!(out, " {event}");
        }
        None => out.push_str(" failed"),
    }
    out
}

/// `url` relative to the call's URL when it shares its directory.
fn short_url<'a>(url: &'a str, call: &str) -> &'a str {
    let dir = call.rfind('/').map_or(call, |i| &call[..=i]);
    url.strip_prefix(dir)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(url)
}

impl fmt::Display for SimulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl Serialize for SimulationReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("SimulationReport", 7)?;
        st.serialize_field("scenario", &self.scenario)?;
        if let Some(origin) = &self.origin {
            st.serialize_field("origin", origin)?;
        }
        st.serialize_field("clock", self.clock.as_str())?;
        st.serialize_field("passed", &self.passed())?;
        st.serialize_field("failed", &self.failed())?;
        st.serialize_field("errors", &self.errors())?;
        st.serialize_field("steps", &self.steps)?;
        st.end()
    }
}

/// `{"step": 1, "line": 4, "name": …, "target": "{origin}/index.vxml",
/// "call": URL, "input": […], "unused_input": […], "passed": true,
/// "error": …, "expectations": […], "record_audio": FILE, "report": {…}}` or `{"step": 2,
/// "line": 9, "name": …, "wait_ms": 20000}`.
impl Serialize for StepOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StepOutcome::Call(c) => {
                let mut st = s.serialize_struct("CallOutcome", 12)?;
                st.serialize_field("step", &c.step)?;
                st.serialize_field("line", &c.line)?;
                st.serialize_field("name", &c.name)?;
                st.serialize_field("target", &c.target)?;
                st.serialize_field("call", &c.url)?;
                let tokens = |ts: &[Token]| ts.iter().map(Token::to_string).collect::<Vec<_>>();
                st.serialize_field("input", &tokens(&c.input))?;
                st.serialize_field("unused_input", &tokens(&c.unused_input))?;
                st.serialize_field("passed", &c.passed())?;
                if let Some(e) = &c.start_error {
                    st.serialize_field("error", e)?;
                }
                st.serialize_field("expectations", &c.expectations)?;
                if let Some(path) = &c.record_audio {
                    st.serialize_field("record_audio", path)?;
                }
                st.serialize_field("report", &c.report)?;
                st.end()
            }
            StepOutcome::Wait(w) => {
                let mut st = s.serialize_struct("WaitOutcome", 4)?;
                st.serialize_field("step", &w.step)?;
                st.serialize_field("line", &w.line)?;
                st.serialize_field("name", &w.name)?;
                st.serialize_field("wait_ms", &(w.duration.as_secs_f64() * 1000.0))?;
                st.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_urls_are_relative_to_the_call() {
        let call = "http://127.0.0.1:9/app/index.vxml";
        assert_eq!(short_url("http://127.0.0.1:9/app/2.wav", call), "2.wav");
        assert_eq!(
            short_url("http://127.0.0.1:9/other/2.wav", call),
            "http://127.0.0.1:9/other/2.wav"
        );
        assert_eq!(
            short_url("http://127.0.0.1:9/app/", call),
            "http://127.0.0.1:9/app/"
        );
    }
}
