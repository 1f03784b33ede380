//! `vxb simulate` and `vxb run` underneath the command line: scripted calls,
//! what they are expected to do, and the reports they leave.
//!
//! - [`scenario`]: the scenario file (spec §4, with vxb's additive
//!   extensions: `[origin]`, `expect_end`, `expect_events`, `expect_logs`,
//!   `expect_fetch`).
//! - [`expect`]: pure checks of a [`CallReport`] against a step's expectations.
//! - [`report`]: the simulation report — JSON (`--json`) and a human summary.
//! - [`junit`]: the same as JUnit XML (`--junit`), for CI.
//! - [`listing`]: the cache's contents and statistics (`--show-cache`).
//!
//! [`simulate`] runs a scenario through a [`Dialer`] — whatever places the
//! calls: the browser in production, a stand-in in tests — so the scenario
//! logic (origin, steps, expectations, report) does not depend on the
//! interpreter.

pub mod expect;
#[doc(hidden)]
pub mod junit;
#[doc(hidden)]
pub mod listing;
pub mod report;
pub mod scenario;

use std::time::Duration;

use url::Url;

pub use expect::{Expectations, check};
pub use report::{CallOutcome, SimulationReport, StepOutcome, WaitOutcome};
pub use scenario::{CallStep, CallTarget, Scenario, Step};

use crate::call::{CallEnd, CallReport, CallerInput};
use crate::fetch::FetchRecord;
use crate::resource::ResourceType;
use crate::serve::{Origin, ServeError};

/// Places the calls of a simulation. All calls of one simulation go through
/// one dialer, so they share its cache (spec §1: "one shared cache").
///
/// [`simulate`] is async because the scenario's origin is served from the
/// same runtime: a dialer whose calls block the thread must run them on
/// another one (`tokio::task::spawn_blocking`), or run the simulation on a
/// multi-threaded runtime.
pub trait Dialer {
    /// Places one call to `url` with a scripted caller and returns its report
    /// when the call has ended. A call that fails is a report that says so
    /// (`CallEnd::Error`), not an error: the simulation goes on.
    fn call(&mut self, url: &Url, input: CallerInput) -> impl Future<Output = CallReport>;

    /// Lets `duration` pass between calls. The browser sleeps; a test dialer
    /// may advance a `ManualClock` instead.
    fn wait(&mut self, duration: Duration) -> impl Future<Output = ()>;
}

/// Why a simulation could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The `[origin]` could not be served.
    #[error("[origin]: {0}")]
    Origin(#[from] ServeError),
    /// A hand-built scenario naming `{origin}` without an `[origin]`
    /// ([`Scenario::load`] refuses those).
    #[error("step {step}: `{target}` names {{origin}} but the scenario has no [origin]")]
    NoOrigin {
        /// 1-based step number.
        step: usize,
        /// The step's call target, as written.
        target: String,
    },
    /// A call's start document could not be fetched (and the step did not
    /// expect an error): the scenario names something that is not there.
    #[error("step {step}: cannot start the call: {cause}")]
    StartFailed {
        /// 1-based step number.
        step: usize,
        /// The scenario line the step starts at.
        line: usize,
        /// Why the fetch failed.
        cause: String,
    },
}

impl SimulateError {
    /// The scenario line the error is at, when it is at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            SimulateError::StartFailed { line, .. } => Some(*line),
            SimulateError::Origin(_) | SimulateError::NoOrigin { .. } => None,
        }
    }
}

/// The start document's failed fetch, when that is what ended the call: the
/// call never began (a missing file, an unreachable server, a 404), which
/// the command line reports as bad input rather than as a failed call.
pub fn start_failure(report: &CallReport) -> Option<&FetchRecord> {
    // The first fetch of a call is its start document (preloads are not in
    // the call's report).
    let first = report.fetches.first()?;
    let ended_by_it = matches!(&report.ended, CallEnd::Error { event, .. }
        if first.event.as_ref() == Some(event));
    (ended_by_it && first.rtype == ResourceType::Document && first.error.is_some()).then_some(first)
}

/// Runs `scenario`: starts its `[origin]` if it has one, then each step in
/// order — calls through `dialer`, checked against their expectations, and
/// waits — and stops the origin. `on_step` sees each step's outcome as soon
/// as it is known (for progress output).
pub async fn simulate<D: Dialer>(
    scenario: &Scenario,
    dialer: &mut D,
    mut on_step: impl FnMut(&StepOutcome),
) -> Result<SimulationReport, SimulateError> {
    let origin = match &scenario.origin {
        Some(spec) => Some(Origin::start(spec.serve_options()?).await?),
        None => None,
    };
    let base = origin.as_ref().map(Origin::base_url);
    let mut steps = Vec::with_capacity(scenario.steps.len());
    let mut failure = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        let outcome = match step {
            Step::Call(c) => {
                let Some(url) = c.target.url(base.as_ref()) else {
                    failure = Some(SimulateError::NoOrigin {
                        step: n,
                        target: c.target.to_string(),
                    });
                    break;
                };
                let report = dialer
                    .call(&url, CallerInput::new(c.input.iter().cloned()))
                    .await;
                if !c.expect.expects_error()
                    && let Some(failed) = start_failure(&report)
                {
                    failure = Some(SimulateError::StartFailed {
                        step: n,
                        line: c.line,
                        cause: failed.error.clone().unwrap_or_default(),
                    });
                    break;
                }
                let expect = bind_origin(&c.expect, base.as_ref());
                StepOutcome::Call(Box::new(CallOutcome {
                    step: n,
                    line: c.line,
                    url: url.to_string(),
                    input: c.input.clone(),
                    expectations: check(&expect, &report),
                    report,
                }))
            }
            Step::Wait(w) => {
                dialer.wait(w.duration).await;
                StepOutcome::Wait(WaitOutcome {
                    step: n,
                    line: w.line,
                    duration: w.duration,
                })
            }
        };
        on_step(&outcome);
        steps.push(outcome);
    }
    if let Some(origin) = origin {
        origin.shutdown().await;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(SimulationReport {
            scenario: scenario.path.display().to_string(),
            origin: base.map(String::from),
            steps,
        }),
    }
}

/// `expect_fetch` URLs written as `{origin}/PATH`, made absolute against
/// the running origin (relative ones are resolved against the call's URL
/// when checked).
fn bind_origin(expect: &Expectations, base: Option<&Url>) -> Expectations {
    let mut bound = expect.clone();
    if let Some(base) = base {
        for f in &mut bound.fetches {
            if let Some(path) = f.url.strip_prefix(scenario::ORIGIN_PLACEHOLDER)
                && let Ok(url) = base.join(path.trim_start_matches('/'))
            {
                f.url = url.into();
            }
        }
    }
    bound
}
