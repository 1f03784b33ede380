//! What a whole call costs the browser, with a warm cache and with caching
//! disabled: the five-document flow of `tests/fixtures/interp/flow` (five
//! leaves and their application root; every document runs a block, root
//! variables, a script function and a goto), served by an in-process
//! `vxb::serve::Origin` with `Cache-Control: max-age=3600`.
//!
//! - `call/warm`: every fetch a hit (parsed documents from the cache).
//! - `call/uncached`: every `max_bytes = 0`, so each call fetches and
//!   parses all six documents from the origin.
//!
//! The measured quantity is **CPU time of the browser's call workers**
//! (the `vxb-calls-*` threads, which run the interpreter, the script
//! engine and the fetcher's HTTP), read per thread from
//! `/proc/self/task/*/schedstat` (nanoseconds) through `iter_custom`: so
//! criterion's "time" here is CPU per call, not wall time, and the
//! in-process origin's CPU is left out. After the criterion groups, a
//! summary prints both figures per call — workers only and the whole
//! process (`/proc/self/stat`, origin included) — and the warm/uncached
//! ratio. Goal: the warm call costs at most a tenth of the uncached one.
//!
//! Measured (release, 2-core VM, nothing else running, load ~1.2, 1
//! worker), five runs after the last changes: criterion warm 324–335 µs,
//! uncached 3.57–3.66 ms (ratio 0.091–0.092); the 300-call summary: workers
//! 0.092–0.094, whole process 0.072–0.080. **Under a tenth on every measure
//! in every run**, by about 8 %. It was 0.82 before engines were reused,
//! and 0.087–0.141 before the reuse check got cheaper. What got there:
//! - a script engine (boa `Context`, a fifth of the old warm call to make)
//!   serves many calls: each worker keeps engines on an `EngineShelf`;
//! - compiled texts (three quarters of the old warm call) stay with the
//!   engine, keyed by the cached document they came from, so a warm call
//!   compiles nothing and an uncached call — whose documents are fetched
//!   and parsed afresh — compiles all of them again (the comparison stays
//!   honest: no cache keyed only by text);
//! - texts shallow enough for the current stack compile in place instead of
//!   on a freshly mapped 256 MiB stack;
//! - the check that a call left the built-ins as they were compares 590
//!   properties instead of 1,650 (built-in methods frozen, read-only
//!   properties locked: `script::baseline`), literals evaluate outside the
//!   scope chain, and text prompts no longer carry an audio fetch's future.
//!
//! What a warm call's ~330 µs is now (callgrind, 1.73 M instructions): about
//! a fifth the reuse check (`cargo bench --bench script -- engine/reuse`,
//! 88 µs, nearly all of it boa property lookups), two fifths boa running
//! the call's texts (`with` environments, name lookup) and its GC
//! freeing what they allocated, the rest filling the session scope, six
//! cache hits, the FIA and the report. An uncached call's ~3.6 ms is
//! fetching and parsing six documents over loopback HTTP and compiling
//! their texts.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use vxb::clock::{Clock, SystemClock};
use vxb::config::Config;
use vxb::resource::ResourceType;
use vxb::serve::{Origin, Rules, ServeOptions};
use vxb::{Browser, CallEnd, CallOptions, CallerInput};

/// CPU time of the call worker threads so far.
fn worker_cpu() -> Duration {
    let mut total = 0u64;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("vxb-calls") {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(total)
}

/// CPU time of the whole process (user + system), in clock ticks of 10 ms
/// (Linux's fixed USER_HZ of 100).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after ") state".
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

struct Setup {
    _runtime: tokio::runtime::Runtime,
    _origin: Origin,
    start: String,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interp/flow");
    let rules = "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=3600\" }\n";
    let options = ServeOptions {
        rules: Rules::parse(rules, Path::new("rules.toml")).expect("rules"),
        ..ServeOptions::new(dir)
    };
    let origin = runtime
        .block_on(Origin::start(options))
        .expect("origin starts");
    let start = origin
        .base_url()
        .join("step1.vxml")
        .expect("url")
        .to_string();
    Setup {
        _runtime: runtime,
        _origin: origin,
        start,
    }
}

fn browser(cached: bool) -> Browser {
    let mut config = Config::direct();
    if !cached {
        for t in ResourceType::ALL {
            config.cache.types[t].max_bytes = 0;
            config.cache.types[t].max_entry_bytes = 0;
        }
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Browser::with_workers(config, clock, None, 1).expect("browser")
}

fn one_call(b: &Browser, start: &str) {
    let r = b.call_blocking(start, CallerInput::default(), CallOptions::default());
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(r.prompts.len(), 5);
}

/// Per-call CPU of `n` calls: (workers, whole process).
fn measure(b: &Browser, start: &str, n: u32) -> (Duration, Duration) {
    let (w0, p0) = (worker_cpu(), process_cpu());
    for _ in 0..n {
        one_call(b, start);
    }
    ((worker_cpu() - w0) / n, (process_cpu() - p0) / n)
}

fn calls(c: &mut Criterion) {
    let s = setup();
    let warm = browser(true);
    let cold = browser(false);
    one_call(&warm, &s.start);
    let mut group = c.benchmark_group("call");
    group.sample_size(30);
    for (name, b) in [("warm", &warm), ("uncached", &cold)] {
        group.bench_function(name, |bench| {
            bench.iter_custom(|iters| {
                let before = worker_cpu();
                for _ in 0..iters {
                    one_call(b, &s.start);
                }
                worker_cpu() - before
            })
        });
    }
    group.finish();

    let n = 300;
    let (warm_workers, warm_process) = measure(&warm, &s.start, n);
    let (cold_workers, cold_process) = measure(&cold, &s.start, n);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE);
    println!("\nCPU per call over {n} calls of the five-document flow:");
    println!(
        "  call workers:  warm {:>8.1} µs   uncached {:>8.1} µs   warm/uncached {:.3}",
        warm_workers.as_secs_f64() * 1e6,
        cold_workers.as_secs_f64() * 1e6,
        ratio(warm_workers, cold_workers)
    );
    println!(
        "  whole process: warm {:>8.1} µs   uncached {:>8.1} µs   warm/uncached {:.3}  (origin included; 10 ms ticks)",
        warm_process.as_secs_f64() * 1e6,
        cold_process.as_secs_f64() * 1e6,
        ratio(warm_process, cold_process)
    );
}

criterion_group!(benches, calls);
criterion_main!(benches);
