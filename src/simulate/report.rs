//! The report of a simulation: every step, each call's [`CallReport`] with
//! its expectations' results (spec §5: "`simulate` adds each expectation's
//! result"), as JSON for `--json` and as a human summary for the terminal.

use std::fmt::{self, Write as _};
use std::time::Duration;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use super::expect::{Expectation, ExpectationResult, Outcome, describe_end};
use crate::call::{CallReport, Token};

/// What a whole scenario did.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationReport {
    /// The scenario file.
    pub scenario: String,
    /// The origin `simulate` started (`http://127.0.0.1:PORT/`), if any.
    pub origin: Option<String>,
    /// Each step's outcome, in order (up to the first that could not run).
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
    /// The URL called (with `{origin}` substituted).
    pub url: String,
    /// The scripted caller.
    pub input: Vec<Token>,
    /// Each expectation and whether it held.
    pub expectations: Vec<ExpectationResult>,
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
    /// How long it waited.
    pub duration: Duration,
}

impl CallOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.expectations.iter().all(ExpectationResult::passed)
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

/// A wait step, one line.
pub fn wait_line(w: &WaitOutcome) -> String {
    format!(
        "step {} (line {}): wait {}",
        w.step,
        w.line,
        human(w.duration)
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
    let status = if c.passed() { "ok" } else { "FAILED" };
    let _ = writeln!(
        out,
        "step {} (line {}): call {} ... {status} ({}, {} prompt{}, {} fetch{})",
        c.step,
        c.line,
        c.url,
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
            .map(|f| {
                let decision = f.decision.map_or("failed", |d| d.as_str());
                format!("{} {decision}", short_url(&f.url, &c.url))
            })
            .collect();
        let _ = writeln!(out, "    fetches: {}", decisions.join(", "));
    }
    for failure in c.failures() {
        out.push_str(&failure_text(failure));
    }
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
        Expectation::End(_) | Expectation::Fetch(_) => return out,
    };
    if !actual.is_empty() {
        let _ = writeln!(out, "      {heading}:");
        for line in actual {
            let _ = writeln!(out, "        {line:?}");
        }
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
        let mut st = s.serialize_struct("SimulationReport", 5)?;
        st.serialize_field("scenario", &self.scenario)?;
        if let Some(origin) = &self.origin {
            st.serialize_field("origin", origin)?;
        }
        st.serialize_field("passed", &self.passed())?;
        st.serialize_field("failed", &self.failed())?;
        st.serialize_field("steps", &self.steps)?;
        st.end()
    }
}

/// `{"step": 1, "line": 4, "call": URL, "input": […], "passed": true,
/// "expectations": […], "report": {…}}` or `{"step": 2, "line": 9,
/// "wait_ms": 20000}`.
impl Serialize for StepOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StepOutcome::Call(c) => {
                let mut st = s.serialize_struct("CallOutcome", 7)?;
                st.serialize_field("step", &c.step)?;
                st.serialize_field("line", &c.line)?;
                st.serialize_field("call", &c.url)?;
                let input: Vec<String> = c.input.iter().map(Token::to_string).collect();
                st.serialize_field("input", &input)?;
                st.serialize_field("passed", &c.passed())?;
                st.serialize_field("expectations", &c.expectations)?;
                st.serialize_field("report", &c.report)?;
                st.end()
            }
            StepOutcome::Wait(w) => {
                let mut st = s.serialize_struct("WaitOutcome", 3)?;
                st.serialize_field("step", &w.step)?;
                st.serialize_field("line", &w.line)?;
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
