//! `vxb bench`: cache hit rate against CPU load.
//!
//! A benchmark application is generated and served by `vxb serve` in a
//! child process; many concurrent simulated calls run against it once per
//! cache budget, from nothing cached to everything fitting; each point
//! reports calls completed, hit rate per type, origin requests and bytes,
//! browser and origin CPU per call, latency p50/p99 and peak memory, as a
//! table, CSV, JSON and an SVG plot.
//!
//! - [`app`]: the application, its caching rules, and each call's plan
//!   (Zipf-popular topics and prompts, chosen by the caller's digits).
//! - [`zipf`]: the exact Zipf sampler; [`wav`]: µ-law prompts.
//! - [`origin`]: the `vxb serve` child, its request counts and CPU time.
//! - [`measure`]: CPU time, peak memory, percentiles, hit counts — and the
//!   one definition of each.
//! - [`driver`]: the [`CallDriver`] seam and [`FetchDriver`], which replays
//!   a plan's fetches through the cache without an interpreter.
//! - [`vxml`]: [`VxmlDriver`], which runs each call through the interpreter.
//! - [`sweep`](mod@sweep): budget points, concurrency, measurement per point.
//! - [`output`], [`plot`], [`progress`]: results, files, the bar.
//! - [`fleet`]: `--workers 1,2,4,8 --tier squid`: worker processes, each
//!   with its own small cache, splitting the calls, with and without a
//!   shared caching tier.
//!
//! [`run`] puts them together.

pub mod app;
pub mod driver;
pub mod fleet;
pub mod measure;
pub mod origin;
pub mod output;
pub mod plot;
pub mod progress;
pub mod sweep;
pub mod vxml;
pub mod wav;
pub mod zipf;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use app::{App, AppSpec, CallPlan, Resource};
pub use driver::{CallDriver, CallOutcome, FetchDriver};
pub use fleet::{FleetOptions, FleetPoint, FleetReport, TierChoice, WorkerCommand, run_fleet};
pub use origin::{ChildOrigin, OriginSnapshot};
pub use output::{AppSummary, BenchPoint, BenchReport, Written};
pub use progress::Progress;
pub use sweep::{
    DEFAULT_BUDGETS, Share, ShareResult, Stop, SweepOptions, budget_config, run_share, sweep,
};
pub use vxml::VxmlDriver;
pub use zipf::Zipf;

use crate::fetch::FetchError;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An option or application shape no benchmark can run with.
    #[error("{0}")]
    Option(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the origin (`{command}`): {cause}")]
    OriginStart { command: String, cause: String },
    #[error("the origin stopped answering: {0}")]
    OriginLost(String),
    #[error("cannot measure {what}: {cause}")]
    Measure { what: String, cause: String },
    /// The point's fetcher could not be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A call worker panicked or was cancelled.
    #[error("a call worker failed: {0}")]
    Worker(String),
}

impl BenchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> BenchError {
        BenchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Everything a benchmark run needs besides its driver.
#[derive(Clone, Debug)]
pub struct BenchSetup {
    /// The `vxb` executable that runs the origin (`vxb serve`).
    pub exe: PathBuf,
    /// Where the application is generated (`DIR/site`, `DIR/serve-rules.toml`).
    pub app_dir: PathBuf,
    pub app: AppSpec,
    pub sweep: SweepOptions,
    /// Show the progress bar (when stderr is a terminal).
    pub progress: bool,
}

/// Generates the application, starts the origin, sweeps the budgets with
/// `driver`, and stops the origin.
pub async fn run<D: CallDriver>(setup: &BenchSetup, driver: D) -> Result<BenchReport, BenchError> {
    setup.sweep.check()?;
    let app = Arc::new(App::generate(&setup.app_dir, &setup.app)?);
    let origin = ChildOrigin::spawn(&setup.exe, app.site(), Some(app.rules_file()))?;
    let driver = Arc::new(driver);
    let progress = Progress::new(setup.progress);
    let points = sweep(&app, &origin, &driver, &setup.sweep, &progress).await?;
    Ok(BenchReport {
        driver: driver.name().to_string(),
        app: AppSummary {
            spec: app.spec().clone(),
            resources: app.resource_count(),
            bytes: app.total_bytes(),
        },
        options: setup.sweep.clone(),
        points,
    })
}
