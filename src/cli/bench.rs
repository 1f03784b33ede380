//! `vxb bench` (spec §6): generate the benchmark application, serve it from a
//! child `vxb serve`, sweep the cache budget with concurrent calls, and print
//! and write the results.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use std::sync::Arc;

use crate::bench::fleet::{worker_between, worker_result};
use crate::bench::{
    self, App, AppSpec, BenchError, BenchSetup, CallDriver, ChildOrigin, FetchDriver, FleetOptions,
    Share, ShareResult, Stop, SweepOptions, TierChoice, VxmlDriver, WorkerCommand, budget_config,
    run_share,
};
use crate::config::{Config, ProxyList, ProxySetting, parse_duration};
use crate::resource::ResourceType;

/// The arguments of `vxb bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Where the application (`DIR/app`) and the results (`bench.csv`,
    /// `bench.json`, `bench.svg`) are written.
    #[arg(long, default_value = "vxb-bench")]
    pub out: PathBuf,
    /// Only write the application and its `vxb serve` rules, then stop.
    #[arg(long)]
    pub generate: bool,
    /// What runs each call.
    #[arg(long, value_enum, default_value_t = Driver::Vxml)]
    pub driver: Driver,
    /// Calls in progress at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrency: u64,
    /// Measured calls per budget point.
    #[arg(long, default_value_t = 500, conflicts_with = "duration",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub calls: u64,
    /// Measure each budget point for this long instead (e.g. `30s`).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Unmeasured calls before each point's measured ones.
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    /// Budget points, in percent of the application's bytes (per type).
    #[arg(long, value_delimiter = ',', default_value = "0,1,5,10,25,50,100")]
    pub budgets: Vec<f64>,
    /// Seeds the call plans and the application's files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Topic documents in the application.
    #[arg(long, default_value_t = AppSpec::default().topics)]
    pub topics: u32,
    /// Audio prompts in the application.
    #[arg(long, default_value_t = AppSpec::default().prompts)]
    pub prompts: u32,
    /// Zipf exponent of topic and prompt popularity.
    #[arg(long, default_value_t = AppSpec::default().zipf_s)]
    pub zipf: f64,
    /// The browser's configuration (spec §2) at every budget point; the
    /// sweep sets each type's `max_bytes` and `max_entry_bytes`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Run a fleet instead of a budget sweep: one point per count of
    /// browser processes, each with its own small cache (`--worker-budget`),
    /// splitting `--warmup` and `--calls` between them.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u64).range(1..))]
    pub workers: Vec<u64>,
    /// With `--workers`: the shared tier in front of the origin, `squid` (a
    /// private Squid per point), `none`, or a running proxy's URL; several,
    /// comma-separated, are compared.
    #[arg(long, value_delimiter = ',', default_value = "squid,none", value_parser = TierChoice::parse)]
    pub tier: Vec<TierChoice>,
    /// With `--workers`: each browser's cache budget, in percent of the
    /// application's bytes (per type).
    #[arg(long, default_value_t = 5.0)]
    pub worker_budget: f64,
    /// With `--tier squid`: Squid's memory cache, in MiB.
    #[arg(long, default_value_t = 256)]
    pub squid_memory_mb: u64,
    /// Internal: run as worker I of N of a fleet (`I/N`).
    #[arg(long, hide = true, requires = "origin_url")]
    pub worker: Option<String>,
    /// Internal: the fleet's origin.
    #[arg(long, hide = true)]
    pub origin_url: Option<url::Url>,
    /// Internal: the fleet's tier.
    #[arg(long, hide = true)]
    pub tier_url: Option<url::Url>,
}

/// What runs each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Driver {
    /// Run each call through the VoiceXML interpreter, one browser per
    /// budget point: the whole browser's CPU per call.
    Vxml,
    /// Replay each call's fetches through the cache, parsing new bodies,
    /// without interpreting: the cache-level benchmark.
    Fetch,
}

impl BenchArgs {
    fn setup(&self) -> Result<BenchSetup, BenchError> {
        let mut base =
            super::run::load_config(self.config.as_deref()).map_err(BenchError::Option)?;
        // The origin is a child on loopback: the environment's proxy must
        // not capture it (a proxy the configuration names is a tier, kept).
        if base.fetch.proxy == ProxySetting::Env {
            base.fetch.proxy = ProxySetting::None;
        }
        let exe = std::env::current_exe().map_err(|e| {
            BenchError::Option(format!(
                "cannot find the vxb executable to run the origin: {e}"
            ))
        })?;
        Ok(BenchSetup {
            exe,
            app_dir: self.out.join("app"),
            app: AppSpec {
                topics: self.topics,
                prompts: self.prompts,
                zipf_s: self.zipf,
                seed: self.seed,
                ..AppSpec::default()
            },
            sweep: SweepOptions {
                concurrency: usize::try_from(self.concurrency).unwrap_or(usize::MAX),
                stop: self.duration.map_or(Stop::Calls(self.calls), Stop::Seconds),
                warmup_calls: self.warmup,
                budgets: self.budgets.iter().map(|p| p / 100.0).collect(),
                seed: self.seed,
                base,
            },
            progress: !self.no_progress,
        })
    }
}

/// Runs `vxb bench`; returns the exit code.
pub fn run(args: BenchArgs) -> u8 {
    let setup = match args.setup() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Some(worker) = &args.worker {
        return match run_worker(&args, &setup, worker) {
            Ok(()) => EXIT_OK,
            Err(e) => fail(e),
        };
    }
    if !args.workers.is_empty() && !args.generate {
        return run_fleet(&args, &setup);
    }
    if args.generate {
        return match App::generate(&setup.app_dir, &setup.app) {
            Ok(app) => {
                print_app(&app);
                EXIT_OK
            }
            Err(e) => fail(e),
        };
    }
    if let Err(e) = setup.sweep.check() {
        return fail(e);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vxb bench: cannot start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    let report = match args.driver {
        Driver::Vxml => runtime.block_on(bench::run(&setup, VxmlDriver::default())),
        Driver::Fetch => runtime.block_on(bench::run(&setup, FetchDriver)),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print!("{}", report.table());
    match report.write_files(&args.out) {
        Ok(w) => println!(
            "wrote {}, {} and {}",
            w.csv.display(),
            w.json.display(),
            w.svg.display()
        ),
        Err(e) => {
            eprintln!("vxb bench: {e}");
            return EXIT_FAILED;
        }
    }
    // Every resource of the application exists: a failed fetch, even one a
    // call survived (an <audio> plays its fallback), is the browser or the
    // origin failing under the load, and fails the run.
    let first_call = report.points.iter().find_map(|p| p.first_error.as_deref());
    let first_fetch = report
        .points
        .iter()
        .find_map(|p| p.first_fetch_error.as_deref());
    if let Some(e) = first_call {
        eprintln!("vxb bench: some calls failed; the first: {e}");
    }
    if let Some(e) = first_fetch {
        eprintln!("vxb bench: some fetches failed; the first: {e}");
    }
    if first_call.is_some() || first_fetch.is_some() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// Bad options are usage errors (2); anything else failed the run (1).
fn fail(e: BenchError) -> u8 {
    eprintln!("vxb bench: {e}");
    match e {
        BenchError::Option(_) => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

fn print_app(app: &App) {
    println!(
        "wrote the benchmark application in {}",
        app.site().display()
    );
    let (count, bytes) = (app.resource_count(), app.total_bytes());
    for t in ResourceType::ALL {
        if count[t] > 0 {
            println!(
                "  {:<9} {:>5} files {:>12} bytes",
                t.as_str(),
                count[t],
                bytes[t]
            );
        }
    }
    println!(
        "serve it with: vxb serve {} --rules {}",
        app.site().display(),
        app.rules_file().display()
    );
}

/// `--workers`: the fleet benchmark (see `bench::fleet`).
fn run_fleet(args: &BenchArgs, setup: &BenchSetup) -> u8 {
    let result = (|| {
        let app = App::generate(&setup.app_dir, &setup.app)?;
        let origin = ChildOrigin::spawn(&setup.exe, app.site(), Some(app.rules_file()))?;
        let mut common: Vec<String> = vec![
            "--driver".into(),
            match args.driver {
                Driver::Vxml => "vxml",
                Driver::Fetch => "fetch",
            }
            .into(),
            "--seed".into(),
            args.seed.to_string(),
            "--topics".into(),
            args.topics.to_string(),
            "--prompts".into(),
            args.prompts.to_string(),
            "--zipf".into(),
            args.zipf.to_string(),
            "--warmup".into(),
            args.warmup.to_string(),
            "--calls".into(),
            args.calls.to_string(),
            "--worker-budget".into(),
            args.worker_budget.to_string(),
            "--no-progress".into(),
        ];
        if let Some(c) = &args.config {
            common.push("--config".into());
            common.push(
                std::path::absolute(c)
                    .map_err(|e| BenchError::io(c, e))?
                    .display()
                    .to_string(),
            );
        }
        let worker = WorkerCommand {
            exe: setup.exe.clone(),
            args: common,
            dir: args.out.join("workers"),
        };
        let options = FleetOptions {
            workers: args.workers.clone(),
            tiers: args.tier.clone(),
            concurrency: args.concurrency,
            warmup: args.warmup,
            calls: args.calls,
            budget: args.worker_budget / 100.0,
            squid_memory_mb: args.squid_memory_mb,
        };
        let quiet = args.no_progress;
        bench::run_fleet(&origin, &worker, &options, |p| {
            if !quiet {
                eprintln!(
                    "tier {} with {} workers: {} calls, {:.2} origin requests per call",
                    p.tier,
                    p.workers,
                    p.calls,
                    p.origin_requests_per_call.unwrap_or(0.0)
                );
            }
        })
    })();
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print!("{}", report.table());
    match report.write_files(&args.out) {
        Ok([csv, json, svg]) => println!(
            "wrote {}, {} and {}",
            csv.display(),
            json.display(),
            svg.display()
        ),
        Err(e) => {
            eprintln!("vxb bench: {e}");
            return EXIT_FAILED;
        }
    }
    match report.points.iter().find_map(|p| p.first_error.as_deref()) {
        Some(e) => {
            eprintln!("vxb bench: some calls failed; the first: {e}");
            EXIT_FAILED
        }
        None => EXIT_OK,
    }
}

/// `--worker I/N`: one browser process of a fleet, talking to its parent
/// over stdin/stdout.
fn run_worker(args: &BenchArgs, setup: &BenchSetup, worker: &str) -> Result<(), BenchError> {
    let bad = || BenchError::Option(format!("--worker {worker}: expected I/N with I < N"));
    let (i, n) = worker.split_once('/').ok_or_else(bad)?;
    let (offset, stride) = (
        i.parse::<u64>().map_err(|_| bad())?,
        n.parse::<u64>().map_err(|_| bad())?,
    );
    if offset >= stride {
        return Err(bad());
    }
    let origin = args.origin_url.clone().ok_or_else(bad)?;
    let app = Arc::new(App::generate(&setup.app_dir, &setup.app)?);
    let mut config = budget_config(
        &setup.sweep.base,
        &app.total_bytes(),
        args.worker_budget / 100.0,
    );
    config.fetch.proxy = match &args.tier_url {
        Some(u) => ProxySetting::Urls(ProxyList::new(vec![u.clone()]).ok_or_else(bad)?),
        None => ProxySetting::None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::Worker(format!("cannot start the async runtime: {e}")))?;
    let share = Share { offset, stride };
    let result = match args.driver {
        Driver::Vxml => share_with(
            &runtime,
            &app,
            &origin,
            VxmlDriver::default(),
            config,
            args,
            share,
        )?,
        Driver::Fetch => share_with(&runtime, &app, &origin, FetchDriver, config, args, share)?,
    };
    worker_result(&result)
}

/// A worker's share of the calls, through `driver`.
fn share_with<D: CallDriver>(
    runtime: &tokio::runtime::Runtime,
    app: &Arc<App>,
    origin: &url::Url,
    driver: D,
    config: Config,
    args: &BenchArgs,
    share: Share,
) -> Result<ShareResult, BenchError> {
    runtime.block_on(run_share(
        app,
        origin,
        &Arc::new(driver),
        config,
        usize::try_from(args.concurrency).unwrap_or(usize::MAX),
        args.seed,
        (args.warmup, args.calls),
        share,
        worker_between,
    ))
}
