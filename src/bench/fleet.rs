//! The fleet benchmark, `vxb bench --workers 1,2,4,8 --tier squid`: many
//! browser processes, each with its own small cache, in front of one origin,
//! with and without a shared caching tier between them.
//!
//! The parent keeps the origin child (and its exact request count, see
//! `origin`), starts the tier for each point (a fresh, cold Squid, see
//! `fleet::squid`), and spawns N worker processes (`vxb bench --worker
//! I/N …`) that split the call plan between them (`sweep::Share`: the same
//! calls whatever N). Each point has two phases, kept apart over the
//! workers' pipes:
//!
//! 1. warm-up: every worker runs its share of the warm-up calls and prints
//!    `warm`; the parent waits for all of them. This warms the tier; each
//!    worker then starts the measured calls with an empty cache of its own,
//!    as a browser joining a fleet does (so without a tier the origin sees
//!    every worker's misses);
//! 2. measured: the parent reads the origin's count and the tier's CPU
//!    time, writes `go` to every worker, and each runs its share of the
//!    measured calls and prints one `result {json}` line ([`ShareResult`]).
//!
//! Per point: workers, tier hit %, origin requests and bytes per call,
//! browser CPU per call (every worker's), tier CPU per call, origin CPU per
//! call.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::Serialize;
use url::Url;

use super::BenchError;
use super::measure::{self, CpuTime};
use super::origin::ChildOrigin;
use super::plot;
use super::sweep::ShareResult;
use crate::fleet::{Squid, SquidConfig};

/// The tier a fleet point runs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum TierChoice {
    /// Straight to the origin.
    None,
    /// A private Squid started for each point.
    Squid,
    /// A tier already running there.
    Url(Url),
}

impl TierChoice {
    /// `none`, `squid` or a proxy URL.
    pub fn parse(s: &str) -> Result<TierChoice, String> {
        match s {
            "none" => Ok(TierChoice::None),
            "squid" => Ok(TierChoice::Squid),
            url => Url::parse(url)
                .ok()
                .filter(|u| u.scheme() == "http")
                .map(TierChoice::Url)
                .ok_or_else(|| format!("`{s}` is not squid, none or an http:// proxy URL")),
        }
    }
}

impl From<TierChoice> for String {
    fn from(t: TierChoice) -> String {
        match t {
            TierChoice::None => "none".into(),
            TierChoice::Squid => "squid".into(),
            TierChoice::Url(u) => u.to_string(),
        }
    }
}

/// How a fleet benchmark runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetOptions {
    /// Worker counts, one point each (per tier).
    pub workers: Vec<u64>,
    /// The tiers compared.
    pub tiers: Vec<TierChoice>,
    /// Calls in progress at once, all workers together (each worker runs
    /// its share, at least 1).
    pub concurrency: u64,
    /// Warm-up and measured calls per point, split over the workers.
    pub warmup: u64,
    pub calls: u64,
    /// Each worker's cache budget, as a share of the application's bytes.
    pub budget: f64,
    /// Squid's memory cache when the tier is `squid`, in MiB.
    pub squid_memory_mb: u64,
}

/// How to start one worker: `vxb bench` with these arguments, followed by
/// `--worker I/N --origin-url URL [--tier-url URL] --out DIR`.
#[derive(Clone, Debug)]
pub struct WorkerCommand {
    pub exe: PathBuf,
    pub args: Vec<String>,
    /// Each worker generates the (deterministic) application under here.
    pub dir: PathBuf,
}

/// What one point measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetPoint {
    pub tier: String,
    pub workers: u64,
    pub calls: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub fetches: u64,
    pub fetch_errors: u64,
    /// Share of fetches the workers' own caches served.
    pub browser_hit_rate: Option<f64>,
    /// Share of the fetches that reached the tier which it answered itself.
    pub tier_hit_rate: Option<f64>,
    pub origin_requests: u64,
    pub origin_bytes: u64,
    pub origin_requests_per_call: Option<f64>,
    pub origin_bytes_per_call: Option<f64>,
    /// Every worker's CPU time for the measured calls, per call.
    pub browser_cpu_per_call: Option<f64>,
    /// The tier's (Squid's) CPU time per call; `None` without a Squid of ours.
    pub tier_cpu_per_call: Option<f64>,
    pub origin_cpu_per_call: Option<f64>,
}

/// A fleet benchmark's points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetReport {
    pub options: FleetOptions,
    pub points: Vec<FleetPoint>,
}

/// Runs every (tier, worker count) point against `origin`.
pub fn run_fleet(
    origin: &ChildOrigin,
    worker: &WorkerCommand,
    options: &FleetOptions,
    mut progress: impl FnMut(&FleetPoint),
) -> Result<FleetReport, BenchError> {
    if options.workers.is_empty() || options.workers.contains(&0) {
        return Err(BenchError::Option(
            "--workers needs counts of at least 1".into(),
        ));
    }
    let mut points = Vec::new();
    for tier in &options.tiers {
        for &n in &options.workers {
            let point = run_point(origin, worker, options, tier, n)?;
            progress(&point);
            points.push(point);
        }
    }
    Ok(FleetReport {
        options: options.clone(),
        points,
    })
}

fn run_point(
    origin: &ChildOrigin,
    worker: &WorkerCommand,
    options: &FleetOptions,
    tier: &TierChoice,
    n: u64,
) -> Result<FleetPoint, BenchError> {
    // A fresh Squid per point: every point starts from a cold tier.
    let squid = match tier {
        TierChoice::Squid => Some(
            Squid::start(&SquidConfig {
                listen: "127.0.0.1:0".parse().map_err(|_| tier_error("address"))?,
                memory_mb: options.squid_memory_mb,
                ..SquidConfig::default()
            })
            .map_err(|e| tier_error(&e.to_string()))?,
        ),
        TierChoice::None | TierChoice::Url(_) => None,
    };
    let tier_url = match (tier, &squid) {
        (_, Some(s)) => Some(s.url()),
        (TierChoice::Url(u), None) => Some(u.clone()),
        _ => None,
    };
    let mut workers = (0..n)
        .map(|i| {
            let concurrency = (options.concurrency / n).max(1);
            Worker::spawn(
                worker,
                origin.base_url(),
                tier_url.as_ref(),
                (i, n),
                concurrency,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    for w in &mut workers {
        w.expect("warm")?;
    }
    let origin_before = origin.snapshot()?;
    let tier_before = squid
        .as_ref()
        .map(|s| measure::pid_cpu(s.pid()))
        .transpose()?;
    for w in &mut workers {
        w.go()?;
    }
    let mut results = Vec::new();
    for w in &mut workers {
        results.push(w.result()?);
    }
    let tier_cpu = squid
        .as_ref()
        .zip(tier_before)
        .map(|(s, before)| measure::pid_cpu(s.pid()).map(|after| after.since(before)))
        .transpose()?;
    let origin_delta = origin.snapshot()?.since(&origin_before);
    for w in workers {
        w.finish()?;
    }
    drop(squid);

    let sum = |f: fn(&ShareResult) -> u64| results.iter().map(f).sum::<u64>();
    let calls = sum(|r| r.calls);
    let errors = sum(|r| r.errors);
    let finished = calls + errors;
    let per_call = |v: f64| (finished > 0).then(|| v / finished as f64);
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    let fetches = sum(|r| r.fetches);
    Ok(FleetPoint {
        tier: String::from(tier.clone()),
        workers: n,
        calls,
        errors,
        first_error: results.iter().find_map(|r| r.first_error.clone()),
        fetches,
        fetch_errors: sum(|r| r.fetch_errors),
        browser_hit_rate: ratio(sum(|r| r.from_cache), fetches),
        tier_hit_rate: ratio(sum(|r| r.tier_hits), sum(|r| r.tier_answered)),
        origin_requests: origin_delta.requests,
        origin_bytes: origin_delta.bytes,
        origin_requests_per_call: per_call(origin_delta.requests as f64),
        origin_bytes_per_call: per_call(origin_delta.bytes as f64),
        browser_cpu_per_call: per_call(results.iter().map(|r| r.cpu_seconds).sum()),
        tier_cpu_per_call: tier_cpu.and_then(|c: CpuTime| per_call(c.as_secs_f64())),
        origin_cpu_per_call: per_call(origin_delta.cpu.as_secs_f64()),
    })
}

fn tier_error(cause: &str) -> BenchError {
    BenchError::Measure {
        what: "the tier".into(),
        cause: cause.into(),
    }
}

/// One worker process and its pipes.
struct Worker {
    index: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn spawn(
        cmd: &WorkerCommand,
        origin: &Url,
        tier: Option<&Url>,
        (index, count): (u64, u64),
        concurrency: u64,
    ) -> Result<Worker, BenchError> {
        let mut command = Command::new(&cmd.exe);
        command
            .arg("bench")
            .args(&cmd.args)
            .arg("--worker")
            .arg(format!("{index}/{count}"))
            .arg("--concurrency")
            .arg(concurrency.to_string())
            .arg("--origin-url")
            .arg(origin.as_str())
            .arg("--out")
            .arg(cmd.dir.join(format!("worker-{index}")));
        if let Some(t) = tier {
            command.arg("--tier-url").arg(t.as_str());
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| BenchError::Worker(format!("cannot start worker {index}: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(BenchError::Worker(format!("worker {index}: no pipes")));
        };
        Ok(Worker {
            index,
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    fn line(&mut self) -> Result<String, BenchError> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err(BenchError::Worker(format!(
                "worker {} exited early ({})",
                self.index,
                self.child
                    .wait()
                    .map_or_else(|e| e.to_string(), |s| s.to_string())
            ))),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) => Err(BenchError::Worker(format!("worker {}: {e}", self.index))),
        }
    }

    fn expect(&mut self, word: &str) -> Result<(), BenchError> {
        let line = self.line()?;
        if line == word {
            Ok(())
        } else {
            Err(BenchError::Worker(format!(
                "worker {} said `{line}`, not `{word}`",
                self.index
            )))
        }
    }

    fn go(&mut self) -> Result<(), BenchError> {
        let index = self.index;
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| BenchError::Worker(format!("worker {index}: stdin closed")))?;
        writeln!(stdin, "go")
            .and_then(|()| stdin.flush())
            .map_err(|e| BenchError::Worker(format!("worker {index}: {e}")))
    }

    fn result(&mut self) -> Result<ShareResult, BenchError> {
        let line = self.line()?;
        let json = line
            .strip_prefix("result ")
            .ok_or_else(|| BenchError::Worker(format!("worker {} said `{line}`", self.index)))?;
        serde_json::from_str(json)
            .map_err(|e| BenchError::Worker(format!("worker {}: bad result: {e}", self.index)))
    }

    fn finish(mut self) -> Result<(), BenchError> {
        self.stdin.take();
        let status = self
            .child
            .wait()
            .map_err(|e| BenchError::Worker(format!("worker {}: {e}", self.index)))?;
        if status.success() {
            Ok(())
        } else {
            Err(BenchError::Worker(format!(
                "worker {} exited with {status}",
                self.index
            )))
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The worker's side of the protocol: `warm` once warm, wait for `go`.
pub fn worker_between() -> Result<(), BenchError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "warm")
        .and_then(|()| out.flush())
        .map_err(|e| BenchError::Worker(format!("stdout: {e}")))?;
    drop(out);
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| BenchError::Worker(format!("stdin: {e}")))?;
    if line.trim() == "go" {
        Ok(())
    } else {
        Err(BenchError::Worker("the parent went away".into()))
    }
}

/// The worker's last line.
pub fn worker_result(result: &ShareResult) -> Result<(), BenchError> {
    let json = serde_json::to_string(result).map_err(|e| BenchError::Worker(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "result {json}")
        .and_then(|()| out.flush())
        .map_err(|e| BenchError::Worker(format!("stdout: {e}")))
}

const COLUMNS: [&str; 11] = [
    "tier",
    "workers",
    "calls",
    "errors",
    "browser_hit",
    "tier_hit",
    "origin_req_per_call",
    "origin_kb_per_call",
    "browser_cpu_ms_per_call",
    "tier_cpu_ms_per_call",
    "origin_cpu_ms_per_call",
];

impl FleetPoint {
    fn cells(&self) -> [String; 11] {
        let pct = |v: Option<f64>| v.map_or("-".into(), |r| format!("{:.1}", r * 100.0));
        let num = |v: Option<f64>, scale: f64, digits: usize| {
            v.map_or("-".into(), |x| format!("{:.digits$}", x * scale))
        };
        [
            self.tier.clone(),
            self.workers.to_string(),
            self.calls.to_string(),
            self.errors.to_string(),
            pct(self.browser_hit_rate),
            pct(self.tier_hit_rate),
            num(self.origin_requests_per_call, 1.0, 2),
            num(self.origin_bytes_per_call, 1.0 / 1000.0, 1),
            num(self.browser_cpu_per_call, 1000.0, 2),
            num(self.tier_cpu_per_call, 1000.0, 2),
            num(self.origin_cpu_per_call, 1000.0, 2),
        ]
    }
}

impl FleetReport {
    /// The terminal table.
    pub fn table(&self) -> String {
        let header = [
            "tier",
            "workers",
            "calls",
            "err",
            "own hit%",
            "tier hit%",
            "orig req/c",
            "orig kB/c",
            "cpu ms/c",
            "tier ms/c",
            "orig ms/c",
        ];
        let rows: Vec<[String; 11]> = self.points.iter().map(FleetPoint::cells).collect();
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        };
        let mut out = String::new();
        let line = |cells: &[&str], out: &mut String| {
            let text: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:>w$}", w = width(i)))
                .collect();
            let _ = writeln!(out, "{}", text.join("  "));
        };
        line(&header, &mut out);
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            line(&cells, &mut out);
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        out.push('\n');
        for p in &self.points {
            out.push_str(&p.cells().join(","));
            out.push('\n');
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Origin requests per call against workers, one line per tier.
    pub fn to_svg(&self) -> String {
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for p in &self.points {
            let Some(y) = p.origin_requests_per_call else {
                continue;
            };
            let name = format!("tier: {}", p.tier);
            match series.iter_mut().find(|(n, _)| *n == name) {
                Some((_, xy)) => xy.push((p.workers as f64, y)),
                None => series.push((name, vec![(p.workers as f64, y)])),
            }
        }
        plot::lines(
            "Origin requests per call against browser processes",
            "browser processes (each with its own small cache)",
            "origin requests per call",
            &series,
        )
    }

    /// Writes `fleet.csv`, `fleet.json` and `fleet.svg` in `dir`.
    pub fn write_files(&self, dir: &Path) -> Result<[PathBuf; 3], BenchError> {
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir, e))?;
        let files = [
            (dir.join("fleet.csv"), self.to_csv()),
            (dir.join("fleet.json"), self.to_json()),
            (dir.join("fleet.svg"), self.to_svg()),
        ];
        for (path, text) in &files {
            std::fs::write(path, text).map_err(|e| BenchError::io(path, e))?;
        }
        let [(a, _), (b, _), (c, _)] = files;
        Ok([a, b, c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_parse() {
        assert_eq!(TierChoice::parse("none"), Ok(TierChoice::None));
        assert_eq!(TierChoice::parse("squid"), Ok(TierChoice::Squid));
        assert!(matches!(
            TierChoice::parse("http://127.0.0.1:3128"),
            Ok(TierChoice::Url(_))
        ));
        assert!(TierChoice::parse("varnish").is_err());
    }
}
