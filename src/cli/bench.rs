//! `vxb bench`: generate the benchmark application, serve it from a
//! child `vxb serve`, sweep the cache budget with concurrent calls, and print
//! and write the results.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::bench::{
    self, App, AppSpec, BenchError, BenchSetup, FetchDriver, Stop, SweepOptions, VxmlDriver,
};
use crate::config::parse_duration;
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
    /// The browser's configuration at every budget point; the
    /// sweep sets each type's `max_bytes` and `max_entry_bytes`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
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
        let base = super::run::load_config(self.config.as_deref()).map_err(BenchError::Option)?;
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
