//! Peak memory with many calls running at once in one process.
//!
//! ```text
//! cargo run --release --example concurrent_calls -- [CALLS] [WORKERS]
//! ```
//!
//! Serves a small application (an application root with variables and a
//! script function, a document with `<data>`, a `<foreach>` and prompts,
//! then a field) from an in-process origin, starts CALLS calls (default
//! 1,000) on WORKERS worker threads (default: one per core), and holds every
//! call at its field until all of them are there — so they are all alive at
//! once, each with its own script engine and scopes — then lets them all
//! hang up. Prints the resident set when all calls were alive (VmRSS) and
//! the peak over the run (VmHWM), both from /proc/self/status.
//!
//! Measured (release, 2 workers): with 1,000 calls alive at once 662 MiB
//! resident (about 670 KiB a call, nearly all of it each call's script
//! engine: its boa `Context` and, since engines are reused between calls,
//! the snapshot of its built-ins the reuse check compares — 110 objects
//! and 590 properties since built-in methods are frozen); peak (VmHWM)
//! 663 MiB — under the 1 GiB goal. All 1,000 engines are made (every call
//! is alive at once); afterwards each worker keeps as many spares as it had
//! calls at once. Before engines were reused: 587 MiB; before the methods
//! were frozen: 684 MiB.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use vxb::clock::{Clock, SystemClock};
use vxb::config::Config;
use vxb::serve::{Origin, Rules, ServeOptions};
use vxb::{Browser, CallEnd, CallOptions, InputSource, Token};

/// A caller who waits at the first input collection until the gate opens,
/// then hangs up.
struct Gate {
    open: watch::Receiver<bool>,
    waiting: Arc<AtomicUsize>,
}

impl InputSource for Gate {
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>> {
        Box::pin(async move {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let _ = self.open.wait_for(|open| *open).await;
            Token::Hangup
        })
    }
}

/// A line of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

const ROOT: &str = r#"<?xml version="1.0"?>
<vxml version="2.1">
  <var name="caller" expr="'friend'"/>
  <var name="history" expr="[]"/>
  <script>function remember(x) { history.push(x); return history.length; }</script>
</vxml>"#;

const HOLD: &str = r#"<?xml version="1.0"?>
<vxml version="2.1" application="root.vxml">
  <data name="menu" src="menu.xml"/>
  <form>
    <var name="items" expr="[]"/>
    <block>
      <script><![CDATA[
        var list = menu.documentElement.getElementsByTagName('item');
        for (var i = 0; i < list.length; i++) { items.push(list.item(i).getAttribute('name')); }
      ]]></script>
      <foreach item="i" array="items"><log>item <value expr="i"/> <value expr="remember(i)"/></log></foreach>
      <prompt>Hello <value expr="caller"/>, today we have <value expr="items.join(', ')"/>.</prompt>
    </block>
    <field name="choice"><prompt>What would you like?</prompt></field>
  </form>
</vxml>"#;

const MENU: &str = r#"<?xml version="1.0"?>
<menu><item name="soup"/><item name="salad"/><item name="bread"/><item name="cake"/></menu>"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let workers: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [("root.vxml", ROOT), ("hold.vxml", HOLD), ("menu.xml", MENU)] {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    let rules = "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=3600\" }\n";
    let options = ServeOptions {
        rules: Rules::parse(rules, Path::new("rules.toml")).expect("rules"),
        ..ServeOptions::new(dir.path())
    };
    let origin = runtime.block_on(Origin::start(options)).expect("origin");
    let start = origin
        .base_url()
        .join("hold.vxml")
        .expect("url")
        .to_string();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser =
        Arc::new(Browser::with_workers(Config::direct(), clock, None, workers).expect("browser"));
    let before = status_kib("VmRSS:");

    let started = Instant::now();
    let (open, gate) = watch::channel(false);
    let waiting = Arc::new(AtomicUsize::new(0));
    let reports = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..calls {
            let b = Arc::clone(&browser);
            let start = start.clone();
            let input = Gate {
                open: gate.clone(),
                waiting: Arc::clone(&waiting),
            };
            set.spawn(async move { b.call(&start, input, CallOptions::default()).await });
        }
        while waiting.load(Ordering::SeqCst) < calls {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let all_alive = status_kib("VmRSS:");
        let at = started.elapsed();
        let _ = open.send(true);
        let mut reports = Vec::new();
        while let Some(r) = set.join_next().await {
            reports.push(r.expect("call task"));
        }
        (all_alive, at, reports)
    });
    let (all_alive, at, reports) = reports;
    let hung_up = reports
        .iter()
        .filter(|r| r.ended == CallEnd::Hangup)
        .count();
    let peak = status_kib("VmHWM:");
    println!(
        "{calls} calls on {workers} worker threads; {hung_up} ended as expected (hangup at the field)"
    );
    println!("all {calls} calls alive after {:.2} s", at.as_secs_f64());
    println!("resident before the calls:    {:>8} KiB", before);
    println!("resident with all calls alive: {:>8} KiB", all_alive);
    println!(
        "peak resident (VmHWM):         {:>8} KiB ({:.1} MiB)",
        peak,
        peak as f64 / 1024.0
    );
    println!(
        "per call (alive - before):     {:>8.1} KiB",
        (all_alive.saturating_sub(before)) as f64 / calls as f64
    );
    println!("origin requests: {}", origin.log().total());
    let engines = browser.engine_stats();
    println!(
        "script engines: {} made, {} reused, {} dropped",
        engines.made, engines.reused, engines.discarded
    );
    if hung_up != calls {
        std::process::exit(1);
    }
}
