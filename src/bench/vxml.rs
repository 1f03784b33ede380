//! [`VxmlDriver`]: benchmark calls run by the real interpreter.
//!
//! Each budget point gets one [`Browser`] built around the point's
//! [`Fetcher`], so all the point's calls share its cache (and the
//! interpreter's parse hooks) the way a voice browser's calls do. A call is
//! [`Browser::call`] from the plan's start URL with the plan's choices in
//! `session.connection.aai` (see [`super::app`]): the application fills its
//! fields from them by script, so the call needs no recognition, and its
//! fetches — documents, root, scripts, data, Zipf-chosen audio — are the
//! interpreter's own, each through the cache. What the interpreter does
//! besides fetching (ECMAScript, the form interpretation algorithm, prompt
//! rendering) is in the CPU per call, which is the point of this driver.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use super::BenchError;
use super::app::CallPlan;
use super::driver::{CallDriver, CallOutcome};
use crate::browser::{Browser, CallOptions};
use crate::call::CallerInput;
use crate::fetch::Fetcher;
use crate::script::Connection;

/// Runs each call through the interpreter (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub struct VxmlDriver {
    /// Worker threads of each point's browser.
    pub workers: usize,
}

impl Default for VxmlDriver {
    /// One worker per core, as `vxb run` and `vxb simulate` have.
    fn default() -> Self {
        VxmlDriver {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl CallDriver for VxmlDriver {
    type Point = Browser;

    fn name(&self) -> &'static str {
        "vxml"
    }

    fn start_point(&self, fetcher: Arc<Fetcher>) -> Result<Browser, BenchError> {
        Browser::with_fetcher(fetcher, self.workers)
            .map_err(|e| BenchError::Worker(format!("cannot start the browser: {e}")))
    }

    fn run_call(
        &self,
        browser: &Browser,
        plan: CallPlan,
    ) -> impl Future<Output = CallOutcome> + Send {
        let options = CallOptions::default().connection(Connection {
            aai: Some(plan.aai()),
            ..Connection::default()
        });
        async move {
            let started = Instant::now();
            // The choices are all in the aai: a call that still asks for
            // input has gone off its plan, and hangs up rather than waits.
            let report = browser
                .call(plan.start_url.as_str(), CallerInput::new([]), options)
                .await;
            // The call's latency as its caller has it: from being placed to
            // its end, waiting for a worker included (the report's own
            // elapsed time starts on the worker).
            CallOutcome {
                elapsed: started.elapsed(),
                ..CallOutcome::from_report(report)
            }
        }
    }
}
