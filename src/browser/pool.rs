//! The worker pool calls run on: a few OS threads, each a current-thread
//! tokio runtime with a `LocalSet`, each driving many calls at once.
//!
//! Why this shape: boa's `Context` (inside every call's `ScriptEngine`) is
//! not `Send`, so a call must stay on the thread that created its engine;
//! a thread per call would cost a stack and a scheduler slot per call, and
//! 1,000 calls at once would be 1,000 threads. A job is a `Send` closure
//! that makes the call's (non-`Send`) future on the worker, where it is
//! `spawn_local`ed. New jobs go to the worker with the fewest calls running.
//!
//! Each worker's runtime drives its calls' HTTP too: the fetcher's reqwest
//! client is shared, its connections live on the runtime that opened them.
//! Worker threads get a large stack because the script engine recurses on
//! it (its recursion limit is set for a few MiB).
//!
//! Each worker has an [`EngineShelf`], which every job is handed: a call
//! takes its script engine from it and gives it back at the end, so the
//! worker's next call reuses the engine (its built-ins and compiled texts)
//! instead of making one.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::script::{EngineCounts, EngineShelf, ShelfStats};

/// A call to run: made into its future on the worker, with the worker's
/// engine shelf.
pub(crate) type Job = Box<dyn FnOnce(Rc<EngineShelf>) -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// Stack of each worker thread.
const WORKER_STACK: usize = 16 << 20;

struct Worker {
    jobs: mpsc::UnboundedSender<Job>,
    running: Arc<AtomicUsize>,
    engines: Arc<EngineCounts>,
    thread: Option<JoinHandle<()>>,
}

/// The workers. Dropping the pool cancels the calls still running and
/// joins the threads.
pub(crate) struct Pool {
    workers: Vec<Worker>,
}

impl Pool {
    pub(crate) fn new(threads: usize) -> io::Result<Pool> {
        let mut workers = Vec::new();
        for n in 0..threads.max(1) {
            let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
            let running = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&running);
            let engines = Arc::new(EngineCounts::new());
            let shelf_counts = Arc::clone(&engines);
            let thread = std::thread::Builder::new()
                .name(format!("vxb-calls-{n}"))
                .stack_size(WORKER_STACK)
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::error!(target: "vxb::call", "worker {n}: cannot start a runtime: {e}");
                            return;
                        }
                    };
                    let local = tokio::task::LocalSet::new();
                    let shelf = Rc::new(EngineShelf::with_counts(shelf_counts));
                    local.block_on(&runtime, async move {
                        while let Some(job) = queue.recv().await {
                            let counter = Arc::clone(&counter);
                            let shelf = Rc::clone(&shelf);
                            tokio::task::spawn_local(async move {
                                let _running = Running(counter);
                                job(shelf).await;
                            });
                        }
                    });
                })?;
            workers.push(Worker {
                jobs,
                running,
                engines,
                thread: Some(thread),
            });
        }
        Ok(Pool { workers })
    }

    /// How many worker threads there are.
    pub(crate) fn threads(&self) -> usize {
        self.workers.len()
    }

    /// What the workers' engine shelves did so far, summed.
    pub(crate) fn engine_stats(&self) -> ShelfStats {
        self.workers
            .iter()
            .map(|w| w.engines.stats())
            .fold(ShelfStats::default(), |a, b| a + b)
    }

    /// Hands `job` to the least busy worker. `false` when no worker takes it
    /// (they all stopped).
    pub(crate) fn submit(&self, job: Job) -> bool {
        let mut job = Some(job);
        let mut order: Vec<&Worker> = self.workers.iter().collect();
        order.sort_by_key(|w| w.running.load(Ordering::Relaxed));
        for w in order {
            let Some(j) = job.take() else { break };
            w.running.fetch_add(1, Ordering::Relaxed);
            match w.jobs.send(j) {
                Ok(()) => return true,
                Err(mpsc::error::SendError(j)) => {
                    w.running.fetch_sub(1, Ordering::Relaxed);
                    job = Some(j);
                }
            }
        }
        false
    }
}

/// Counts a call as running until it ends (or is cancelled).
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let threads: Vec<JoinHandle<()>> = self
            .workers
            .drain(..)
            .filter_map(|mut w| {
                drop(w.jobs);
                w.thread.take()
            })
            .collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc as std_mpsc;

    #[test]
    fn jobs_run_on_workers_many_at_a_time() {
        let pool = Pool::new(2).expect("pool");
        assert_eq!(pool.threads(), 2);
        let (tx, rx) = std_mpsc::channel();
        for i in 0..20 {
            let tx = tx.clone();
            let job: Job = Box::new(move |_| {
                Box::pin(async move {
                    // Not Send: lives on the worker only.
                    let local = std::rc::Rc::new(i);
                    tokio::task::yield_now().await;
                    let name = std::thread::current().name().map(str::to_string);
                    let _ = tx.send((*local, name));
                })
            });
            assert!(pool.submit(job));
        }
        drop(tx);
        let mut got: Vec<(i32, Option<String>)> = rx.iter().collect();
        got.sort();
        assert_eq!(got.len(), 20);
        assert!(
            got.iter()
                .all(|(_, n)| n.as_deref().is_some_and(|n| n.starts_with("vxb-calls-")))
        );
    }
}
