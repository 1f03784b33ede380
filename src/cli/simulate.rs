//! `vxb simulate`: runs a scenario's calls through one [`Browser`] (one
//! shared cache), printing each step as it completes and the totals, and
//! writing the JSON and JUnit reports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::fetch::runtime;
use super::run::print_cache;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::browser::Browser;
use crate::clock::SystemClock;
use crate::simulate::report::{call_summary, wait_line};
use crate::simulate::{Scenario, StepOutcome, junit, simulate};
use clap::Args;

/// The arguments of `vxb simulate`.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// The scenario file (spec §4).
    pub scenario: PathBuf,
    /// Write the report as JSON (spec §5) to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as JUnit XML to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// A configuration file overriding the scenario's `config`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the cache's entries and statistics at the end.
    #[arg(long)]
    pub show_cache: bool,
}

/// Runs `vxb simulate`; returns the exit code.
pub fn run(args: SimulateArgs) -> u8 {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vxb simulate: {e}");
            return EXIT_USAGE;
        }
    };
    let config = match scenario.load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vxb simulate: {e}");
            return EXIT_USAGE;
        }
    };
    // load_config always sets fetch.file_root, so no fallback is needed.
    let browser = match Browser::new(config, Arc::new(SystemClock), None) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("vxb simulate: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(runtime) = runtime("simulate") else {
        return EXIT_FAILED;
    };
    let result = runtime.block_on(simulate(&scenario, &mut &browser, |step| match step {
        StepOutcome::Call(c) => print!("{}", call_summary(c)),
        StepOutcome::Wait(w) => println!("{}", wait_line(w)),
    }));
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let at = match e.line() {
                Some(line) => format!("{}:{line}", args.scenario.display()),
                None => args.scenario.display().to_string(),
            };
            eprintln!("vxb simulate: {at}: {e}");
            return EXIT_USAGE;
        }
    };
    // The steps were printed as they completed: only the totals are left.
    if let Some(totals) = report.summary().lines().last() {
        println!("{totals}");
    }
    if args.show_cache {
        print_cache(&browser);
    }
    if let Some(path) = &args.json {
        let json = report.to_json().map_err(|e| e.to_string());
        if let Err(e) = json.and_then(|j| write(path, &j)) {
            eprintln!("vxb simulate: cannot write {}: {e}", path.display());
            return EXIT_FAILED;
        }
    }
    if let Some(path) = &args.junit
        && let Err(e) = write(path, &junit::to_junit(&report))
    {
        eprintln!("vxb simulate: cannot write {}: {e}", path.display());
        return EXIT_FAILED;
    }
    if report.ok() { EXIT_OK } else { EXIT_FAILED }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| e.to_string())
}
