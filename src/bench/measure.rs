//! What a benchmark point measures, and how: CPU time (this process, a
//! child, one thread), peak memory, latency percentiles and hit rates.
//!
//! Linux only where the kernel is the source (`/proc`, `getrusage`): the
//! benchmark runs where voice platforms run.
//!
//! # Definitions (one each, used everywhere)
//!
//! - **CPU time**: user + system seconds. This process: `getrusage
//!   (RUSAGE_SELF)` (microseconds). A child or a thread: `/proc/…/stat`
//!   fields 14 and 15 in clock ticks (`sysconf(_SC_CLK_TCK)`, 10 ms on
//!   Linux) — coarse, so a point should run for seconds.
//! - **Peak memory**: `VmHWM` of `/proc/self/status`. The kernel keeps one
//!   high-water mark per process; [`reset_peak_rss`] lowers it to the current
//!   RSS (`echo 5 > /proc/self/clear_refs`, Linux 4.0+) at the start of each
//!   point. Where that is refused the figure is the peak since the process
//!   began, so it can only grow from point to point.
//! - **Hit rate**: the share of fetches whose body came from the cache —
//!   [`Decision::served_from_cache`]: hit, revalidated (304) and stale. A
//!   revalidation still costs an origin round trip, which the origin request
//!   count shows; failed fetches count as not served from the cache.
//! - **Latency percentiles**: nearest rank over the sorted call durations.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::BenchError;
use crate::cache::Decision;
use crate::fetch::FetchRecord;
use crate::resource::{PerType, ResourceType};

/// User + system CPU time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CpuTime(Duration);

impl CpuTime {
    pub fn from_duration(d: Duration) -> CpuTime {
        CpuTime(d)
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }

    /// `self - earlier`, 0 if the clock went backwards (it does not, but a
    /// reading of another process may be racing its exit).
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime(self.0.saturating_sub(earlier.0))
    }
}

/// This process's CPU time, every thread included.
pub fn process_cpu() -> Result<CpuTime, BenchError> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `struct rusage` into the valid, writable,
    // properly aligned buffer it is given, and reads nothing from it.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return Err(BenchError::Measure {
            what: "this process's CPU time (getrusage)".into(),
            cause: std::io::Error::last_os_error().to_string(),
        });
    }
    // SAFETY: getrusage returned 0, so it filled the struct (and it was
    // zeroed before, so every field is initialised either way).
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Ok(CpuTime(tv(usage.ru_utime) + tv(usage.ru_stime)))
}

/// The CPU time of process `pid` (a child, say), from `/proc/PID/stat`.
pub fn pid_cpu(pid: u32) -> Result<CpuTime, BenchError> {
    stat_cpu(&Path::new("/proc").join(pid.to_string()).join("stat"))
}

/// The CPU time of thread `tid` of this process, from
/// `/proc/self/task/TID/stat`.
pub fn thread_cpu(tid: u32) -> Result<CpuTime, BenchError> {
    stat_cpu(
        &Path::new("/proc/self/task")
            .join(tid.to_string())
            .join("stat"),
    )
}

/// The calling thread's id (`/proc/thread-self` names it).
pub fn current_tid() -> Result<u32, BenchError> {
    let link = std::fs::read_link("/proc/thread-self").map_err(|e| BenchError::Measure {
        what: "this thread's id (/proc/thread-self)".into(),
        cause: e.to_string(),
    })?;
    link.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| BenchError::Measure {
            what: "this thread's id".into(),
            cause: format!("unexpected /proc/thread-self target {}", link.display()),
        })
}

fn stat_cpu(path: &Path) -> Result<CpuTime, BenchError> {
    let error = |cause: String| BenchError::Measure {
        what: format!("CPU time ({})", path.display()),
        cause,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let ticks = parse_stat_ticks(&text).ok_or_else(|| error("unexpected format".into()))?;
    Ok(CpuTime(ticks_to_duration(ticks, clock_ticks_per_second())))
}

/// utime + stime (fields 14 and 15) of a `/proc/…/stat` line. The command
/// name (field 2) is in parentheses and may itself hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards: utime is the 12th of them.
    let mut fields = after_name.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    let per_second = per_second.max(1);
    Duration::from_secs(ticks / per_second)
        + Duration::from_nanos((ticks % per_second) * 1_000_000_000 / per_second)
}

/// `sysconf(_SC_CLK_TCK)`: the unit of `/proc/…/stat` times.
fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads its integer argument.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    // -1 (unknown) cannot happen on Linux; 100 is what it always is there.
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// This process's peak resident set size (`VmHWM`), in bytes.
pub fn peak_rss() -> Result<u64, BenchError> {
    status_kib("VmHWM")
}

/// This process's current resident set size (`VmRSS`), in bytes.
pub fn current_rss() -> Result<u64, BenchError> {
    status_kib("VmRSS")
}

fn status_kib(key: &str) -> Result<u64, BenchError> {
    let error = |cause: String| BenchError::Measure {
        what: format!("{key} (/proc/self/status)"),
        cause,
    };
    let text = std::fs::read_to_string("/proc/self/status").map_err(|e| error(e.to_string()))?;
    parse_status_kib(&text, key)
        .map(|kib| kib * 1024)
        .ok_or_else(|| error("not found".into()))
}

/// `VmHWM:     1234 kB` → 1234.
fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Lowers this process's peak RSS to its current RSS; `false` when the
/// kernel refused (the peak then covers the whole process life).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Nearest-rank percentile `p` (0 < p ≤ 100) of `sorted` (ascending).
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Fetches and how many were served from the cache, for one type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HitCount {
    pub fetches: u64,
    pub from_cache: u64,
}

impl HitCount {
    /// `from_cache / fetches`, `None` without fetches.
    pub fn rate(self) -> Option<f64> {
        (self.fetches > 0).then(|| self.from_cache as f64 / self.fetches as f64)
    }

    fn add(&mut self, other: HitCount) {
        self.fetches += other.fetches;
        self.from_cache += other.from_cache;
    }
}

/// Hit counts per type, built from fetch records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitCounts(pub PerType<HitCount>);

impl HitCounts {
    /// Counts one fetch.
    pub fn record(&mut self, r: &FetchRecord) {
        let c = &mut self.0[r.rtype];
        c.fetches += 1;
        if r.decision().is_some_and(Decision::served_from_cache) {
            c.from_cache += 1;
        }
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &HitCounts) {
        for t in ResourceType::ALL {
            self.0[t].add(other.0[t]);
        }
    }

    /// Every type together.
    pub fn overall(&self) -> HitCount {
        let mut all = HitCount::default();
        for (_, c) in self.0.iter() {
            all.add(*c);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{Failure, FetchResult};

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let line = "4242 (vxb serve) (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    250 75 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615";
        assert_eq!(parse_stat_ticks(line), Some(325));
        assert_eq!(parse_stat_ticks("garbage"), None);
        assert_eq!(parse_stat_ticks("1 (x) S 1 2"), None);
        assert_eq!(ticks_to_duration(325, 100), Duration::from_millis(3250));
        assert_eq!(ticks_to_duration(3, 1000), Duration::from_millis(3));
    }

    #[test]
    fn status_lines() {
        let status = "Name:\tvxb\nVmPeak:\t  9000 kB\nVmHWM:\t   1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(1234));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(1000));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_is_measurable() {
        let before = process_cpu().expect("getrusage");
        // Burn a little CPU so the second reading cannot be smaller.
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = process_cpu().expect("getrusage");
        assert!(after >= before);
        assert!(pid_cpu(std::process::id()).is_ok());
        let tid = current_tid().expect("tid");
        assert!(thread_cpu(tid).is_ok());
        assert!(pid_cpu(u32::MAX).is_err(), "no such process");
        let peak = peak_rss().expect("VmHWM");
        let now = current_rss().expect("VmRSS");
        assert!(peak >= now && now > 0, "{peak} {now}");
    }

    #[test]
    fn nearest_rank_percentiles() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        let v = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&v, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&v, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&v, 100.0), Some(Duration::from_millis(100)));
        let one = ms(&[7]);
        assert_eq!(percentile(&one, 50.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&one, 99.0), Some(Duration::from_millis(7)));
        assert_eq!(
            percentile(&ms(&[1, 2, 3]), 50.0),
            Some(Duration::from_millis(2))
        );
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&v, 0.0), None);
    }

    #[test]
    fn hit_counts_use_served_from_cache() {
        let record = |rtype, decision| FetchRecord {
            url: "http://h/x".into(),
            final_url: "http://h/x".into(),
            rtype,
            method: "GET",
            result: match decision {
                Some(decision) => FetchResult::Delivered {
                    decision,
                    status: 200,
                },
                None => FetchResult::Failed(Failure {
                    error: "connection refused".into(),
                    event: "error.badfetch".into(),
                    diagnostic: None,
                }),
            },
            tier: None,
            bytes: 1,
            elapsed: Duration::ZERO,
            redirects: 0,
        };
        let mut counts = HitCounts::default();
        for d in Decision::ALL {
            counts.record(&record(ResourceType::Audio, Some(d)));
        }
        counts.record(&record(ResourceType::Audio, None));
        counts.record(&record(ResourceType::Document, Some(Decision::Miss)));
        let audio = counts.0[ResourceType::Audio];
        // hit, revalidated, stale of 7 fetches.
        assert_eq!(
            audio,
            HitCount {
                fetches: 7,
                from_cache: 3
            }
        );
        assert_eq!(counts.0[ResourceType::Document].rate(), Some(0.0));
        assert_eq!(counts.0[ResourceType::Grammar].rate(), None);
        let mut twice = counts.clone();
        twice.merge(&counts);
        assert_eq!(
            twice.overall(),
            HitCount {
                fetches: 16,
                from_cache: 6
            }
        );
    }
}
