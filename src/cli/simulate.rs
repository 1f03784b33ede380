//! `vxb simulate`: runs scenarios, each through its own [`Browser`] (one
//! shared cache per scenario; scenarios whose configuration file says
//! `[simulate] share_cache = true` run one after another through one),
//! printing each step as it goes and a summary
//! per scenario and in total, and writing the JSON and JUnit reports.
//!
//! Exit codes: 0 when every step of every scenario passed, 1 when one did
//! not (a failed expectation, a call that could not start, an origin that
//! would not start), 2 when a scenario cannot be read — and even then every
//! report file is written, so CI sees what ran.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use url::Url;

use super::fetch::runtime;
use super::run::print_cache;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::audio::Sink;
use crate::browser::Browser;
use crate::call::CallReport;
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::simulate::junit::{self, Suite};
use crate::simulate::report::{WaitOutcome, call_summary, wait_line};
use crate::simulate::{
    ClockMode, Dialer, Progress, Scenario, ScriptedCaller, SimulationReport, Step, StepOutcome,
    simulate,
};

/// The arguments of `vxb simulate`.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Scenario files, or directories of them (every `*.toml` file in
    /// them, recursively, that has a `[[step]]`).
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Write the report as JSON to this file (one scenario: its report;
    /// several: `{"reports": [...]}`).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as JUnit XML to this file (one suite per scenario).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// A configuration file overriding the scenarios' `config`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Refuse the schema slips production browsers tolerate (a `<log>`
    /// directly in a `<form>`, a grammar with no root…) with
    /// `error.badfetch`, as `strict = true` in the configuration does.
    #[arg(long)]
    pub strict: bool,
    /// The clock to run on, overriding each scenario's `clock`: `virtual`
    /// runs every wait at once; `real` takes real time. Default: virtual
    /// when every call goes to the scenario's own origin or a file, real
    /// when one goes to an outside server.
    #[arg(long, value_enum)]
    pub clock: Option<ClockMode>,
    /// Run up to this many scenarios at once (each has its own cache, but
    /// for those whose configuration says `[simulate] share_cache = true`,
    /// which run one after another through one cache).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Print each scenario's cache entries and statistics at its end.
    #[arg(long)]
    pub show_cache: bool,
}

/// Places a scenario's calls through its browser, on its clock.
struct BrowserDialer {
    browser: Browser,
    clock: Arc<dyn Clock>,
    /// Show a countdown while a real wait runs (a terminal is watching).
    countdown: bool,
}

impl Dialer for BrowserDialer {
    async fn call(
        &mut self,
        url: &Url,
        input: ScriptedCaller,
        sink: Option<Box<dyn Sink + Send>>,
    ) -> CallReport {
        // The browser's own dialer places the call; this one adds the
        // countdown to waits.
        Dialer::call(&mut &self.browser, url, input, sink).await
    }

    async fn wait(&mut self, duration: Duration) {
        if !self.countdown || duration < COUNTDOWN_FROM {
            return self.clock.sleep(duration).await;
        }
        let end = Instant::now() + duration;
        let mut err = std::io::stderr();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let shown = humantime::format_duration(Duration::from_secs(left.as_secs() + 1));
            let _ = write!(err, "\r\x1b[K    waiting, {shown} left");
            let _ = err.flush();
            tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        }
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }
}

/// Real waits at least this long show a countdown on a terminal.
const COUNTDOWN_FROM: Duration = Duration::from_secs(2);

/// What became of one scenario named on the command line.
enum Ran {
    Report(Box<SimulationReport>),
    /// It could not be read (exit 2).
    Unreadable {
        scenario: String,
        error: String,
    },
    /// It was read but could not run (its origin did not start).
    Broken {
        scenario: String,
        error: String,
    },
}

/// Runs `vxb simulate`; returns the exit code.
pub fn run(args: SimulateArgs) -> u8 {
    let files = match scenario_files(&args.scenarios) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vxb simulate: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(runtime) = runtime("simulate") else {
        return EXIT_FAILED;
    };
    let args = Rc::new(args);
    let live = args.jobs == 1;
    let mut results: Vec<Option<Ran>> = (0..files.len()).map(|_| None).collect();
    let mut groups: Vec<Vec<(usize, Loaded)>> = Vec::new();
    let mut shared: HashMap<PathBuf, usize> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        match load(file, &args) {
            Err(ran) => results[i] = Some(ran),
            Ok(loaded) => match loaded.shares_cache_as(&args) {
                Some(key) => match shared.get(&key) {
                    Some(&g) => groups[g].push((i, loaded)),
                    None => {
                        shared.insert(key, groups.len());
                        groups.push(vec![(i, loaded)]);
                    }
                },
                None => groups.push(vec![(i, loaded)]),
            },
        }
    }
    let results = Rc::new(RefCell::new(results));
    let local = tokio::task::LocalSet::new();
    let permits = Rc::new(tokio::sync::Semaphore::new(usize::from(args.jobs)));
    for group in groups {
        let (args, results, permits) = (Rc::clone(&args), Rc::clone(&results), Rc::clone(&permits));
        local.spawn_local(async move {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            run_group(group, &args, live, &results).await;
        });
    }
    runtime.block_on(local);
    let results: Vec<Ran> = results.take().into_iter().flatten().collect();
    finish(&args, &results)
}

/// A scenario read, with the configuration it runs with.
struct Loaded {
    name: String,
    scenario: Scenario,
    config: crate::config::Config,
}

impl Loaded {
    /// The configuration file whose scenarios share one browser, when this
    /// scenario's says `[simulate] share_cache = true`.
    fn shares_cache_as(&self, args: &SimulateArgs) -> Option<PathBuf> {
        let file = args.config.as_ref().or(self.scenario.config.as_ref())?;
        self.config
            .simulate
            .share_cache
            .then(|| std::fs::canonicalize(file).unwrap_or_else(|_| file.clone()))
    }
}

/// Reads a scenario and its configuration; what to report if it cannot.
fn load(file: &Path, args: &SimulateArgs) -> Result<Loaded, Ran> {
    let name = file.display().to_string();
    let unreadable = |error: String| Ran::Unreadable {
        scenario: name.clone(),
        error,
    };
    let scenario = Scenario::load(file).map_err(|e| unreadable(e.to_string()))?;
    let config = scenario
        .load_config(args.config.as_deref())
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(Loaded {
        config: crate::config::Config {
            strict: config.strict || args.strict,
            ..config
        },
        name,
        scenario,
    })
}

/// Runs a group of scenarios one after another through one browser: a
/// single scenario, or those sharing a cache. The browser is made from the
/// first one's configuration (so its file root is the configuration's, or
/// the first scenario's directory) on the first one's clock.
async fn run_group(
    group: Vec<(usize, Loaded)>,
    args: &SimulateArgs,
    live: bool,
    results: &RefCell<Vec<Option<Ran>>>,
) {
    let Some((_, first)) = group.first() else {
        return;
    };
    let mode = args.clock.unwrap_or_else(|| first.scenario.clock_mode());
    let clock: Arc<dyn Clock> = match mode {
        ClockMode::Real => Arc::new(SystemClock),
        ClockMode::Virtual => Arc::new(ManualClock::at_now()),
    };
    // load_config always sets fetch.file_root, so no fallback is needed.
    let browser = match Browser::new(first.config.clone(), Arc::clone(&clock), None) {
        Ok(b) => b,
        Err(e) => {
            for (i, loaded) in group {
                results.borrow_mut()[i] = Some(Ran::Broken {
                    scenario: loaded.name,
                    error: e.to_string(),
                });
            }
            return;
        }
    };
    let mut dialer = BrowserDialer {
        browser,
        clock,
        countdown: live && mode == ClockMode::Real && std::io::stderr().is_terminal(),
    };
    for (i, loaded) in group {
        let ran = run_one(loaded, mode, &mut dialer, args, live).await;
        results.borrow_mut()[i] = Some(ran);
    }
}

/// Runs one scenario through `dialer`, printing its steps (as they go when
/// `live`, else all at the end so parallel scenarios do not interleave).
async fn run_one(
    loaded: Loaded,
    mode: ClockMode,
    dialer: &mut BrowserDialer,
    args: &SimulateArgs,
    live: bool,
) -> Ran {
    let Loaded { name, scenario, .. } = loaded;
    let mut printed = String::new();
    if live {
        println!("{name} ({} clock)", mode.as_str());
    } else {
        printed.push_str(&format!("{name} ({} clock)\n", mode.as_str()));
    }
    let mut emit = |text: String| {
        if live {
            print!("{text}");
            let _ = std::io::stdout().flush();
        } else {
            printed.push_str(&text);
        }
    };
    let started = Instant::now();
    let result = simulate(&scenario, dialer, |p| match p {
        Progress::Starting {
            step,
            name,
            what: Step::Wait(w),
        } => emit(format!(
            "{}\n",
            wait_line(&WaitOutcome {
                step,
                line: w.line,
                name: name.to_string(),
                duration: w.duration,
            })
        )),
        Progress::Starting { .. } | Progress::Done(StepOutcome::Wait(_)) => {}
        Progress::Done(StepOutcome::Call(c)) => emit(call_summary(c)),
    })
    .await;
    let took = started.elapsed();
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            emit(format!("{name}: {e}\n"));
            if !live {
                print!("{printed}");
            }
            return Ran::Broken {
                scenario: name,
                error: e.to_string(),
            };
        }
    };
    report.clock = mode;
    emit(format!("{name}: {} in {:.2?}\n", totals(&report), took));
    if !live {
        print!("{printed}");
    }
    if args.show_cache {
        print_cache(&dialer.browser);
    }
    Ran::Report(Box::new(report))
}

/// `2 calls: 1 passed, 1 failed (1 could not start)`.
fn totals(r: &SimulationReport) -> String {
    let (passed, failed, errors) = (r.passed(), r.failed(), r.errors());
    let calls = passed + failed;
    let mut out = format!(
        "{calls} call{}: {passed} passed, {failed} failed",
        if calls == 1 { "" } else { "s" }
    );
    if errors > 0 {
        out.push_str(&format!(" ({errors} could not start)"));
    }
    out
}

/// Prints the total, writes the report files, and picks the exit code.
fn finish(args: &SimulateArgs, results: &[Ran]) -> u8 {
    let mut code = EXIT_OK;
    let (mut calls, mut passed, mut broken) = (0, 0, 0);
    for r in results {
        match r {
            Ran::Report(report) => {
                calls += report.calls().count();
                passed += report.passed();
                if !report.ok() {
                    code = code.max(EXIT_FAILED);
                }
            }
            Ran::Unreadable { error, .. } => {
                eprintln!("vxb simulate: {error}");
                broken += 1;
                code = EXIT_USAGE;
            }
            Ran::Broken { scenario, error } => {
                eprintln!("vxb simulate: {scenario}: {error}");
                broken += 1;
                code = code.max(EXIT_FAILED);
            }
        }
    }
    if results.len() > 1 {
        let mut line = format!(
            "{} scenarios, {calls} call{}: {passed} passed, {} failed",
            results.len(),
            if calls == 1 { "" } else { "s" },
            calls - passed
        );
        if broken > 0 {
            line.push_str(&format!(", {broken} scenario(s) could not run"));
        }
        println!("{line}");
    }
    if let Some(path) = &args.json
        && let Err(e) = write(path, &json(results))
    {
        eprintln!("vxb simulate: cannot write {}: {e}", path.display());
        code = code.max(EXIT_FAILED);
    }
    if let Some(path) = &args.junit {
        let suites: Vec<Suite<'_>> = results
            .iter()
            .map(|r| match r {
                Ran::Report(report) => Suite::Ran(report),
                Ran::Unreadable { scenario, error } | Ran::Broken { scenario, error } => {
                    Suite::Broken { scenario, error }
                }
            })
            .collect();
        if let Err(e) = write(path, &junit::to_junit_suites(&suites)) {
            eprintln!("vxb simulate: cannot write {}: {e}", path.display());
            code = code.max(EXIT_FAILED);
        }
    }
    code
}

/// The JSON report: one scenario's report as is; several as
/// `{"reports": [...]}`, a scenario that could not run as
/// `{"scenario": …, "error": …}`.
fn json(results: &[Ran]) -> String {
    let value = |r: &Ran| match r {
        Ran::Report(report) => serde_json::to_value(report).unwrap_or_default(),
        Ran::Unreadable { scenario, error } | Ran::Broken { scenario, error } => {
            serde_json::json!({ "scenario": scenario, "error": error })
        }
    };
    let doc = match results {
        [one] => value(one),
        many => serde_json::json!({ "reports": many.iter().map(value).collect::<Vec<_>>() }),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The scenario files the arguments name: files as given, directories as
/// every `*.toml` file under them that has a `[[step]]` (so a directory's
/// configuration and rules files are not taken for scenarios), sorted.
fn scenario_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let mut found = Vec::new();
            toml_files(arg, &mut found).map_err(|e| format!("{}: {e}", arg.display()))?;
            found.sort();
            let before = out.len();
            out.extend(found.into_iter().filter(|f| is_scenario(f)));
            if out.len() == before {
                return Err(format!(
                    "{}: no scenario (*.toml with [[step]])",
                    arg.display()
                ));
            }
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            toml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a TOML file is a scenario: it has a `step` array. A file that
/// is not TOML at all is taken, so its error is reported, not skipped.
fn is_scenario(path: &Path) -> bool {
    match std::fs::read_to_string(path).map(|t| t.parse::<toml::Table>()) {
        Ok(Ok(table)) => table.contains_key("step"),
        _ => true,
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| e.to_string())
}
