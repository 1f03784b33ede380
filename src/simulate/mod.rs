//! `vxb simulate` and `vxb run` underneath the command line: scripted calls,
//! what they are expected to do, and the reports they leave.
//!
//! - [`scenario`]: the scenario file (`[origin]`, `clock`, and the steps
//!   with their `name`, `input` and expectations).
//! - [`expect`]: pure checks of a [`CallReport`] against a step's expectations.
//! - [`report`]: the simulation report — JSON (`--json`) and a human summary.
//! - [`junit`]: the same as JUnit XML (`--junit`), for CI.
//! - [`listing`]: the cache's contents and statistics (`--show-cache`).
//!
//! [`simulate`] runs a scenario through a [`Dialer`] — whatever places the
//! calls: the browser in production, a stand-in in tests — so the scenario
//! logic (origin, steps, expectations, report) does not depend on the
//! interpreter. A call that goes wrong, even one whose start document
//! cannot be fetched, is a failed step of the report, never the end of the
//! simulation.

pub mod expect;
#[doc(hidden)]
pub mod junit;
#[doc(hidden)]
pub mod listing;
pub mod report;
pub mod scenario;

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

pub use expect::{Expectations, check};
pub use report::{CallOutcome, SimulationReport, StepOutcome, WaitOutcome};
pub use scenario::{CallStep, CallTarget, ClockMode, RecordAudio, Scenario, Step};

use crate::audio::{NullSink, RecordingSink, Sink, Tape, speaking};
use crate::call::{CallEnd, CallReport, CallerInput, InputSource, Token};
use crate::clock::Clock;
use crate::fetch::FetchRecord;
use crate::resource::ResourceType;
use crate::serve::{Origin, ServeError};

/// Places the calls of a simulation. All calls of one simulation go through
/// one dialer, so they share its cache ("one shared cache").
///
/// [`simulate`] is async because the scenario's origin is served from the
/// same runtime: a dialer whose calls block the thread must run them on
/// another one (`tokio::task::spawn_blocking`), or run the simulation on a
/// multi-threaded runtime.
pub trait Dialer {
    /// Places one call to `url` with a scripted caller and returns its report
    /// when the call has ended; its prompts go to `sink` when there is one
    /// (a step that records the call). A call that fails is a report that
    /// says so (`CallEnd::Error`), not an error: the simulation goes on.
    fn call(
        &mut self,
        url: &Url,
        input: ScriptedCaller,
        sink: Option<Box<dyn Sink + Send>>,
    ) -> impl Future<Output = CallReport>;

    /// Lets `duration` pass between calls: sleeps on [`Dialer::clock`]
    /// (which moves a virtual clock at once).
    fn wait(&mut self, duration: Duration) -> impl Future<Output = ()>;

    /// The clock the calls' cache runs on; the scenario's origin runs on it
    /// too, so on virtual time its `Date` headers move with the cache.
    fn clock(&self) -> Arc<dyn Clock>;
}

/// The scripted caller of one call step, shared with the simulation so
/// that the tokens the call never asked for can be read after it ended.
#[derive(Clone, Debug, Default)]
pub struct ScriptedCaller(Arc<Mutex<CallerInput>>);

impl ScriptedCaller {
    /// A caller who will do `tokens`, in order, then hang up.
    pub fn new(tokens: impl IntoIterator<Item = Token>) -> ScriptedCaller {
        ScriptedCaller(Arc::new(Mutex::new(CallerInput::new(tokens))))
    }

    /// The next token, as [`CallerInput::next_token`].
    pub fn next_token(&self) -> Token {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_token()
    }

    /// The tokens not asked for yet, in order.
    pub fn unused(&self) -> Vec<Token> {
        let mut input = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (0..input.remaining()).map(|_| input.next_token()).collect()
    }
}

impl InputSource for ScriptedCaller {
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>> {
        Box::pin(std::future::ready(ScriptedCaller::next_token(self)))
    }
}

/// What `simulate` tells its caller as it goes, for progress output.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// A step is starting: `step` (1-based) is called `name`.
    Starting {
        /// 1-based step number.
        step: usize,
        /// The step's stable name.
        name: &'a str,
        /// The step.
        what: &'a Step,
    },
    /// A step has ended.
    Done(&'a StepOutcome),
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
}

/// The start document's failed fetch, when that is what ended the call: the
/// call never began (a missing file, an unreachable server, a 404), which
/// the command line reports as bad input rather than as a failed call.
pub fn start_failure(report: &CallReport) -> Option<&FetchRecord> {
    // The first fetch of a call is its start document (preloads are not in
    // the call's report).
    let first = report.fetches.first()?;
    let ended_by_it = matches!(&report.ended, CallEnd::Error { event, .. }
        if first.event() == Some(event.as_str()));
    (ended_by_it && first.rtype == ResourceType::Document && first.error().is_some())
        .then_some(first)
}

/// Runs `scenario`: starts its `[origin]` (on the dialer's clock) if it
/// has one, then each step in order — calls through `dialer`, checked
/// against their expectations, and waits — and stops the origin.
/// `progress` hears of each step when it starts and when it has ended.
pub async fn simulate<D: Dialer>(
    scenario: &Scenario,
    dialer: &mut D,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<SimulationReport, SimulateError> {
    let origin = match &scenario.origin {
        Some(spec) => Some(Origin::start(spec.serve_options(dialer.clock())?).await?),
        None => None,
    };
    let base = origin.as_ref().map(Origin::base_url);
    let mut steps = Vec::with_capacity(scenario.steps.len());
    let mut failure = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        let name = scenario.step_name(n);
        progress(Progress::Starting {
            step: n,
            name: &name,
            what: step,
        });
        let outcome = match step {
            Step::Call(c) => {
                let Some(url) = c.target.url(base.as_ref()) else {
                    failure = Some(SimulateError::NoOrigin {
                        step: n,
                        target: c.target.to_string(),
                    });
                    break;
                };
                let caller = ScriptedCaller::new(c.input.iter().cloned());
                let (sink, tape) = match &c.record_audio {
                    Some(_) => {
                        let (sink, tape) = RecordingSink::new(Box::new(NullSink::new(false)));
                        (Some(speaking(Box::new(sink))), Some(tape))
                    }
                    None => (None, None),
                };
                let report = dialer.call(&url, caller.clone(), sink).await;
                let start_error = (!c.expect.expects_error())
                    .then(|| start_failure(&report))
                    .flatten()
                    .map(|f| {
                        f.error()
                            .map_or_else(|| report::failed_fetch(f, &f.url), str::to_string)
                    });
                let expect = bind_origin(&c.expect, base.as_ref());
                let mut expectations = check(&expect, &report);
                let unused = caller.unused();
                if !c.allow_unused_input {
                    expectations.push(expect::check_input_used(&unused));
                }
                let record_audio = c.record_audio.as_ref().zip(tape).map(|(to, tape)| {
                    let written = write_recording(to, &tape);
                    expectations.push(expect::check_recorded(&to.path, written));
                    to.path.display().to_string()
                });
                StepOutcome::Call(Box::new(CallOutcome {
                    step: n,
                    line: c.line,
                    name,
                    target: c.target.to_string(),
                    url: url.to_string(),
                    input: c.input.clone(),
                    unused_input: unused,
                    start_error,
                    expectations,
                    record_audio,
                    report,
                }))
            }
            Step::Wait(w) => {
                dialer.wait(w.duration).await;
                StepOutcome::Wait(WaitOutcome {
                    step: n,
                    line: w.line,
                    name,
                    duration: w.duration,
                })
            }
        };
        progress(Progress::Done(&outcome));
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
            clock: scenario.clock_mode(),
            steps,
        }),
    }
}

/// Writes a step's recording, making its directory if need be.
fn write_recording(to: &scenario::RecordAudio, tape: &Tape) -> Result<(), String> {
    if let Some(dir) = to.path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    }
    tape.write(&to.path, to.format).map_err(|e| e.to_string())
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
