//! The sweep: for each cache budget, a fresh cache, concurrent calls, and
//! one [`BenchPoint`] of measurements.
//!
//! Per point:
//! 1. a [`Config`] — the sweep's base configuration (`vxb bench --config`,
//!    else the defaults) — whose every type gets `ceil(fraction × its total bytes)`
//!    as `max_bytes` *and* `max_entry_bytes` (so at a small budget the
//!    largest prompts can still be stored when they fit: the budget, not the
//!    default `max_bytes / 4` entry cap, is what the sweep varies), and a new
//!    [`Fetcher`] (empty cache, new connections) built from it;
//! 2. optional warm-up calls, not measured;
//! 3. the measured calls: `concurrency` workers take call numbers in order
//!    until the point's call count is reached or its time is up (calls in
//!    progress then finish and count). Call `i` always has the same plan,
//!    so every point replays the same calls;
//! 4. the measurements, as differences between readings taken just before
//!    and just after the calls (see `measure` and `origin`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Serialize, Serializer};
use tokio::task::JoinSet;
use url::Url;

use super::BenchError;
use super::app::App;
use super::driver::{CallDriver, CallOutcome};
use super::measure::{self, HitCounts};
use super::origin::ChildOrigin;
use super::output::{BenchPoint, percent_label};
use super::progress::Progress;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::fetch::tier::TierDecision;
use crate::resource::{PerType, ResourceType};

/// Budget points used when none are given: from nothing cached to
/// everything fitting.
pub const DEFAULT_BUDGETS: [f64; 7] = [0.0, 0.01, 0.05, 0.10, 0.25, 0.50, 1.0];

/// When a point's measured calls stop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// After this many calls.
    Calls(u64),
    /// When this much time has passed (calls in progress finish).
    Seconds(#[serde(serialize_with = "seconds")] Duration),
}

fn seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// How a sweep runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepOptions {
    /// Calls in progress at once.
    pub concurrency: usize,
    /// When each point's measured calls stop.
    pub stop: Stop,
    /// Calls run before each point's measured ones, not measured.
    pub warmup_calls: u64,
    /// The budgets, as shares of "everything fits" (0 to 1), in order.
    pub budgets: Vec<f64>,
    /// Seeds the call plans.
    pub seed: u64,
    /// The browser's configuration at every point, but for the cache
    /// budgets the sweep sets.
    #[serde(skip)]
    pub base: Config,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            concurrency: 50,
            stop: Stop::Calls(500),
            warmup_calls: 0,
            budgets: DEFAULT_BUDGETS.to_vec(),
            seed: 1,
            base: Config::direct(),
        }
    }
}

impl SweepOptions {
    /// Refuses options no sweep can run with.
    pub fn check(&self) -> Result<(), BenchError> {
        let bad = |m: String| Err(BenchError::Option(m));
        if self.concurrency == 0 {
            return bad("concurrency must be at least 1".into());
        }
        match self.stop {
            Stop::Calls(0) => return bad("a point needs at least one call".into()),
            Stop::Seconds(d) if d.is_zero() => {
                return bad("a point needs a duration above 0".into());
            }
            _ => {}
        }
        if self.budgets.is_empty() {
            return bad("no budget points".into());
        }
        if let Some(b) = self
            .budgets
            .iter()
            .find(|b| !(b.is_finite() && (0.0..=1.0).contains(*b)))
        {
            return bad(format!(
                "budget {} is outside 0% to 100% of the application's bytes",
                percent_label(*b)
            ));
        }
        Ok(())
    }
}

/// The configuration of one budget point: `base` with every type's
/// `max_bytes` and `max_entry_bytes` at `ceil(fraction × total[type])`.
pub fn budget_config(base: &Config, total: &PerType<u64>, fraction: f64) -> Config {
    let mut config = base.clone();
    for t in ResourceType::ALL {
        // Totals are far below 2^53, so the product is exact enough; 1.0
        // gives the total itself.
        let budget = (total[t] as f64 * fraction.clamp(0.0, 1.0)).ceil() as u64;
        config.cache.types[t].max_bytes = budget;
        config.cache.types[t].max_entry_bytes = budget;
    }
    config
}

/// Runs every budget point of `options` against `origin` (which serves
/// `app`), each call through `driver`.
pub async fn sweep<D: CallDriver>(
    app: &Arc<App>,
    origin: &ChildOrigin,
    driver: &Arc<D>,
    options: &SweepOptions,
    progress: &Progress,
) -> Result<Vec<BenchPoint>, BenchError> {
    options.check()?;
    let total = app.total_bytes();
    let mut points = Vec::with_capacity(options.budgets.len());
    for (i, &fraction) in options.budgets.iter().enumerate() {
        let label = format!(
            "budget {} ({}/{})",
            percent_label(fraction),
            i + 1,
            options.budgets.len()
        );
        let config = budget_config(&options.base, &total, fraction);
        let point = run_point(
            app, origin, driver, options, config, fraction, &label, progress,
        )
        .await?;
        progress.println(&format!(
            "{label}: {} calls, hit rate {}",
            point.calls,
            point
                .hit_rate
                .map_or("-".into(), |r| format!("{:.1}%", r * 100.0))
        ));
        points.push(point);
    }
    progress.finish();
    Ok(points)
}

#[allow(clippy::too_many_arguments)]
async fn run_point<D: CallDriver>(
    app: &Arc<App>,
    origin: &ChildOrigin,
    driver: &Arc<D>,
    options: &SweepOptions,
    config: Config,
    fraction: f64,
    label: &str,
    progress: &Progress,
) -> Result<BenchPoint, BenchError> {
    let budget_bytes = PerType::from_fn(|t| config.cache.types[t].max_bytes);
    let fetcher = Fetcher::new(Arc::new(config), Arc::new(SystemClock), None)?;
    let phase = Phase {
        app: Arc::clone(app),
        driver: Arc::clone(driver),
        point: Arc::new(driver.start_point(fetcher)?),
        base: origin.base_url().clone(),
        seed: options.seed,
        concurrency: options.concurrency,
        progress: progress.clone(),
        share: Share::ALL,
    };
    if options.warmup_calls > 0 {
        progress.start(format!("warm-up {label}"), options.warmup_calls, "calls");
        phase.run(Stop::Calls(options.warmup_calls), 0).await?;
    }
    match options.stop {
        Stop::Calls(n) => progress.start(label.to_string(), n, "calls"),
        Stop::Seconds(d) => progress.start(
            label.to_string(),
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            "ms",
        ),
    }

    let origin_before = origin.snapshot()?;
    measure::reset_peak_rss();
    let reader_before = origin.reader_cpu()?;
    let cpu_before = measure::process_cpu()?;
    let started = Instant::now();

    let tally = phase.run(options.stop, options.warmup_calls).await?;

    let wall = started.elapsed();
    let cpu_after = measure::process_cpu()?;
    let reader_after = origin.reader_cpu()?;
    let peak_rss_bytes = measure::peak_rss()?;
    let origin_delta = origin.snapshot()?.since(&origin_before);
    // The point's cache is freed here, outside the measured span.
    drop(phase);

    let browser_cpu = cpu_after
        .since(cpu_before)
        .as_duration()
        .saturating_sub(reader_after.since(reader_before).as_duration());
    Ok(tally.into_point(PointFigures {
        budget_fraction: fraction,
        budget_bytes,
        wall,
        browser_cpu,
        origin: origin_delta,
        peak_rss_bytes,
    }))
}

/// What one process of a fleet did in its measured phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ShareResult {
    /// Calls that ended as planned, and those that did not.
    pub calls: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub fetches: u64,
    pub fetch_errors: u64,
    pub first_fetch_error: Option<String>,
    /// Of `fetches`, those served from the process's own cache.
    pub from_cache: u64,
    /// Fetches the shared tier answered and said what it did; its hits.
    pub tier_answered: u64,
    pub tier_hits: u64,
    /// The process's CPU time (user + system) for the measured calls.
    pub cpu_seconds: f64,
}

/// One process's part of a fleet point: its share of `warmup` unmeasured
/// calls, then `between` (the fleet waits there until every process is
/// done), then its share of `calls` measured ones. Each phase has its own
/// cache, made from `config`: the warm-up warms the shared tier, and the
/// measured calls start from an empty cache, as a browser joining a fleet
/// does — what the tier is for.
#[allow(clippy::too_many_arguments)]
pub async fn run_share<D: CallDriver>(
    app: &Arc<App>,
    base: &Url,
    driver: &Arc<D>,
    config: Config,
    concurrency: usize,
    seed: u64,
    (warmup, calls): (u64, u64),
    share: Share,
    between: impl FnOnce() -> Result<(), BenchError>,
) -> Result<ShareResult, BenchError> {
    let config = Arc::new(config);
    let phase = || -> Result<Phase<D>, BenchError> {
        let fetcher = Fetcher::new(Arc::clone(&config), Arc::new(SystemClock), None)?;
        Ok(Phase {
            app: Arc::clone(app),
            driver: Arc::clone(driver),
            point: Arc::new(driver.start_point(fetcher)?),
            base: base.clone(),
            seed,
            concurrency,
            progress: Progress::hidden(),
            share,
        })
    };
    phase()?.run(Stop::Calls(share.of(warmup)), 0).await?;
    let measured = phase()?;
    between()?;
    let cpu_before = measure::process_cpu()?;
    let tally = measured.run(Stop::Calls(share.of(calls)), warmup).await?;
    let cpu = measure::process_cpu()?.since(cpu_before);
    let all = tally.hits.overall();
    Ok(ShareResult {
        calls: tally.ok,
        errors: tally.failed,
        first_error: tally.first_error,
        fetches: all.fetches,
        fetch_errors: tally.fetch_errors,
        first_fetch_error: tally.first_fetch_error,
        from_cache: all.from_cache,
        tier_answered: tally.tier_answered,
        tier_hits: tally.tier_hits,
        cpu_seconds: cpu.as_secs_f64(),
    })
}

/// What every worker of a phase shares.
struct Phase<D: CallDriver> {
    app: Arc<App>,
    driver: Arc<D>,
    point: Arc<D::Point>,
    base: Url,
    seed: u64,
    concurrency: usize,
    progress: Progress,
    /// This process's share of the calls (all of them but in a fleet).
    share: Share,
}

/// Which of a phase's calls one process of a fleet runs: call `k` of the
/// process is call `offset + k × stride` of the phase, so N processes with
/// offsets 0..N and stride N run every call exactly once between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub offset: u64,
    pub stride: u64,
}

impl Share {
    /// All the calls.
    pub const ALL: Share = Share {
        offset: 0,
        stride: 1,
    };

    /// How many of a phase's `total` calls are this share's.
    pub fn of(self, total: u64) -> u64 {
        total
            .saturating_sub(self.offset)
            .div_ceil(self.stride.max(1))
    }
}

impl<D: CallDriver> Phase<D> {
    /// Runs calls `first`, `first + 1`, … (of this process's share) on
    /// `concurrency` workers until `stop`.
    async fn run(&self, stop: Stop, first: u64) -> Result<Tally, BenchError> {
        let next = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut workers = JoinSet::new();
        for _ in 0..self.concurrency {
            let (app, driver, point) = (
                Arc::clone(&self.app),
                Arc::clone(&self.driver),
                Arc::clone(&self.point),
            );
            let (base, seed, progress, next, share) = (
                self.base.clone(),
                self.seed,
                self.progress.clone(),
                Arc::clone(&next),
                self.share,
            );
            workers.spawn(async move {
                let mut tally = Tally::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let more = match stop {
                        Stop::Calls(n) => i < n,
                        Stop::Seconds(d) => started.elapsed() < d,
                    };
                    if !more {
                        break;
                    }
                    let call = first + share.offset + i * share.stride;
                    let plan = app.plan(&base, seed, call)?;
                    tally.add(driver.run_call(&point, plan).await);
                    match stop {
                        Stop::Calls(_) => progress.call_done(),
                        Stop::Seconds(_) => progress.elapsed(started.elapsed()),
                    }
                }
                Ok::<_, BenchError>(tally)
            });
        }
        let mut all = Tally::default();
        while let Some(joined) = workers.join_next().await {
            let tally = joined.map_err(|e| BenchError::Worker(e.to_string()))??;
            all.merge(tally);
        }
        Ok(all)
    }
}

/// What the calls of a phase add up to.
#[derive(Debug, Default)]
struct Tally {
    hits: HitCounts,
    latencies: Vec<Duration>,
    ok: u64,
    failed: u64,
    first_error: Option<String>,
    fetch_errors: u64,
    first_fetch_error: Option<String>,
    /// Fetches the shared tier answered (it said what it did), and of
    /// those, its hits.
    tier_answered: u64,
    tier_hits: u64,
}

impl Tally {
    fn add(&mut self, outcome: CallOutcome) {
        for r in &outcome.fetches {
            self.hits.record(r);
            if let Some(t) = &r.tier {
                self.tier_answered += 1;
                self.tier_hits += u64::from(t.decision == TierDecision::Hit);
            }
            if let Some(e) = &r.error() {
                self.fetch_errors += 1;
                self.first_fetch_error
                    .get_or_insert_with(|| format!("{}: {e}", r.url));
            }
        }
        self.latencies.push(outcome.elapsed);
        match outcome.error {
            None => self.ok += 1,
            Some(e) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.hits.merge(&other.hits);
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        self.failed += other.failed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.fetch_errors += other.fetch_errors;
        self.tier_answered += other.tier_answered;
        self.tier_hits += other.tier_hits;
        if self.first_fetch_error.is_none() {
            self.first_fetch_error = other.first_fetch_error;
        }
    }

    fn into_point(mut self, f: PointFigures) -> BenchPoint {
        self.latencies.sort_unstable();
        let finished = self.ok + self.failed;
        let per_call = |s: f64| (finished > 0).then(|| s / finished as f64);
        let ms = |p| measure::percentile(&self.latencies, p).map(|d| d.as_secs_f64() * 1000.0);
        let browser_cpu_seconds = f.browser_cpu.as_secs_f64();
        let browser_cpu_per_call = per_call(browser_cpu_seconds);
        BenchPoint {
            budget_fraction: f.budget_fraction,
            budget_bytes: f.budget_bytes,
            calls: self.ok,
            errors: self.failed,
            first_error: self.first_error.take(),
            wall_seconds: f.wall.as_secs_f64(),
            fetches: self.hits.overall().fetches,
            fetch_errors: self.fetch_errors,
            first_fetch_error: self.first_fetch_error.take(),
            hit_rate: self.hits.overall().rate(),
            hit_rate_by_type: PerType::from_fn(|t| self.hits.0[t].rate()),
            origin_requests: f.origin.requests,
            origin_bytes: f.origin.bytes,
            origin_not_modified: f.origin.not_modified,
            browser_cpu_seconds,
            origin_cpu_seconds: f.origin.cpu.as_secs_f64(),
            browser_cpu_per_call,
            origin_cpu_per_call: per_call(f.origin.cpu.as_secs_f64()),
            latency_p50_ms: ms(50.0),
            latency_p99_ms: ms(99.0),
            peak_rss_bytes: f.peak_rss_bytes,
            calls_per_core_second: browser_cpu_per_call.filter(|&c| c > 0.0).map(|c| 1.0 / c),
        }
    }
}

/// The readings of a point that do not come from the calls themselves.
struct PointFigures {
    budget_fraction: f64,
    budget_bytes: PerType<u64>,
    wall: Duration,
    browser_cpu: Duration,
    origin: super::origin::OriginSnapshot,
    peak_rss_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Decision;
    use crate::fetch::{Failure, FetchRecord, FetchResult};

    #[test]
    fn budgets_are_shares_of_each_types_total() {
        let total = PerType::from_fn(|t| match t {
            ResourceType::Audio => 1_000_001,
            ResourceType::Document => 999,
            _ => 0,
        });
        let c = budget_config(&Config::default(), &total, 0.1);
        let audio = &c.cache.types[ResourceType::Audio];
        assert_eq!(audio.max_bytes, 100_001, "rounded up");
        assert_eq!(audio.max_entry_bytes, audio.max_bytes);
        assert_eq!(c.cache.types[ResourceType::Document].max_bytes, 100);
        assert_eq!(c.cache.types[ResourceType::Grammar].max_bytes, 0);
        let all = budget_config(&Config::default(), &total, 1.0);
        assert_eq!(all.cache.types[ResourceType::Audio].max_bytes, 1_000_001);
        let none = budget_config(&Config::default(), &total, 0.0);
        assert!(
            ResourceType::ALL
                .iter()
                .all(|&t| none.cache.types[t].max_bytes == 0)
        );
        // Everything else is the base configuration.
        assert_eq!(none.fetch, Config::default().fetch);
        assert_eq!(none.cache.no_cache, Config::default().cache.no_cache);
        let mut base = Config::default();
        base.fetch.timeout = Duration::from_secs(90);
        base.cache.types[ResourceType::Audio].default_max_age = Duration::from_secs(5);
        let c = budget_config(&base, &total, 0.5);
        assert_eq!(c.fetch.timeout, Duration::from_secs(90));
        let audio = &c.cache.types[ResourceType::Audio];
        assert_eq!(audio.default_max_age, Duration::from_secs(5));
        assert_eq!((audio.max_bytes, audio.max_entry_bytes), (500_001, 500_001));
    }

    #[test]
    fn options_are_checked() {
        assert!(SweepOptions::default().check().is_ok());
        for bad in [
            SweepOptions {
                concurrency: 0,
                ..SweepOptions::default()
            },
            SweepOptions {
                stop: Stop::Calls(0),
                ..SweepOptions::default()
            },
            SweepOptions {
                stop: Stop::Seconds(Duration::ZERO),
                ..SweepOptions::default()
            },
            SweepOptions {
                budgets: vec![],
                ..SweepOptions::default()
            },
            SweepOptions {
                budgets: vec![0.0, 1.5],
                ..SweepOptions::default()
            },
            SweepOptions {
                budgets: vec![f64::NAN],
                ..SweepOptions::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        let json = serde_json::to_value(SweepOptions {
            stop: Stop::Seconds(Duration::from_millis(2500)),
            ..SweepOptions::default()
        })
        .expect("serializes");
        assert_eq!(json["stop"]["seconds"], 2.5);
    }

    fn outcome(ms: u64, decisions: &[Decision], error: Option<&str>) -> CallOutcome {
        CallOutcome {
            fetches: decisions
                .iter()
                .map(|&d| FetchRecord {
                    url: "http://h/a.wav".into(),
                    final_url: "http://h/a.wav".into(),
                    rtype: ResourceType::Audio,
                    method: "GET",
                    result: FetchResult::Delivered {
                        decision: d,
                        status: 200,
                    },
                    tier: None,
                    bytes: 10,
                    elapsed: Duration::ZERO,
                    redirects: 0,
                })
                .collect(),
            elapsed: Duration::from_millis(ms),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn a_tally_becomes_a_point() {
        let mut a = Tally::default();
        a.add(outcome(10, &[Decision::Miss, Decision::Hit], None));
        a.add(outcome(30, &[Decision::Hit], Some("boom")));
        let mut b = Tally::default();
        // The call ends as planned though one of its fetches failed.
        let mut timed_out = outcome(20, &[Decision::Revalidated, Decision::Miss], None);
        timed_out.fetches[1].result = FetchResult::Failed(Failure {
            error: "no complete response within 7s".into(),
            event: "error.badfetch".into(),
            diagnostic: None,
        });
        b.add(timed_out);
        b.add(outcome(40, &[], Some("later")));
        a.merge(b);
        let p = a.into_point(PointFigures {
            budget_fraction: 0.5,
            budget_bytes: PerType::default(),
            wall: Duration::from_secs(2),
            browser_cpu: Duration::from_millis(400),
            origin: super::super::origin::OriginSnapshot {
                requests: 2,
                bytes: 20,
                cpu: measure::CpuTime::from_duration(Duration::from_millis(100)),
                ..Default::default()
            },
            peak_rss_bytes: 7,
        });
        assert_eq!((p.calls, p.errors), (2, 2));
        assert_eq!(p.first_error.as_deref(), Some("boom"));
        assert_eq!(p.fetches, 5);
        assert_eq!(p.fetch_errors, 1);
        assert_eq!(
            p.first_fetch_error.as_deref(),
            Some("http://h/a.wav: no complete response within 7s")
        );
        assert_eq!(p.hit_rate, Some(0.6));
        assert_eq!(p.hit_rate_by_type[ResourceType::Audio], Some(0.6));
        assert_eq!(p.hit_rate_by_type[ResourceType::Document], None);
        assert_eq!(p.browser_cpu_per_call, Some(0.1));
        assert_eq!(p.origin_cpu_per_call, Some(0.025));
        assert_eq!(p.calls_per_core_second, Some(10.0));
        assert_eq!(p.latency_p50_ms, Some(20.0));
        assert_eq!(p.latency_p99_ms, Some(40.0));
        assert_eq!(
            (p.origin_requests, p.origin_bytes, p.peak_rss_bytes),
            (2, 20, 7)
        );

        let empty = Tally::default().into_point(PointFigures {
            budget_fraction: 0.0,
            budget_bytes: PerType::default(),
            wall: Duration::ZERO,
            browser_cpu: Duration::ZERO,
            origin: Default::default(),
            peak_rss_bytes: 0,
        });
        assert_eq!(empty.hit_rate, None);
        assert_eq!((empty.fetch_errors, empty.first_fetch_error), (0, None));
        assert_eq!(empty.browser_cpu_per_call, None);
        assert_eq!(empty.latency_p50_ms, None);
    }
}
