//! `vxb lint`: loads applications as a call would and prints every problem
//! it can see without placing a call, one `file:line:column: error: …` line
//! each. Exit 0 when there is none, 1 when there is one, 2 on bad input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::fetch::{runtime, start_dir, target};
use super::run::load_config;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::clock::SystemClock;
use crate::fetch::Fetcher;
use crate::lint::lint;

/// The arguments of `vxb lint`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Start documents: URLs or paths.
    #[arg(required = true, value_name = "URL-or-PATH")]
    pub starts: Vec<String>,
    /// A configuration file (its `fetch.file_root`, timeouts, cookies).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Refuse the schema slips production browsers tolerate (a `<log>`
    /// directly in a `<form>`, a grammar with no root…) as findings, as `strict = true` in the configuration does.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `vxb lint`; returns the exit code.
pub fn run(args: LintArgs) -> u8 {
    let config = match load_config(args.config.as_deref()) {
        Ok(c) => crate::config::Config {
            strict: c.strict || args.strict,
            ..c
        },
        Err(e) => {
            eprintln!("vxb lint: {e}");
            return EXIT_USAGE;
        }
    };
    let mut starts = Vec::new();
    for start in &args.starts {
        if Path::new(start).is_dir() {
            eprintln!("vxb lint: {start}: is a directory, not a VoiceXML document");
            return EXIT_USAGE;
        }
        match target(start) {
            Ok(u) => starts.push(u),
            Err(e) => {
                eprintln!("vxb lint: {start}: {e}");
                return EXIT_USAGE;
            }
        }
    }
    // `file:` URLs are confined to the first start document's directory
    // unless the configuration says otherwise, as for `vxb run`.
    let root = starts.first().and_then(start_dir);
    let fetcher = match Fetcher::new(Arc::new(config), Arc::new(SystemClock), root.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vxb lint: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(runtime) = runtime("lint") else {
        return EXIT_FAILED;
    };
    let report = runtime.block_on(lint(&fetcher, &starts));
    for finding in &report.findings {
        println!("{finding}");
    }
    let n = report.findings.len();
    let loaded = report.loaded.len();
    eprintln!(
        "vxb lint: {loaded} resource{} loaded, {n} error{}",
        if loaded == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" }
    );
    if n == 0 { EXIT_OK } else { EXIT_FAILED }
}
