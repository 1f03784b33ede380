//! The Rust API that runs calls: [`Browser`]. The CLI and the tests run
//! every call through it.
//!
//! A browser is one process's worth of shared state — the caching
//! [`Fetcher`] (one cache for every call), the parse hooks (so their counts
//! are the process's) — and a pool of worker threads (`pool`) the calls run
//! on. [`Browser::call`] hands a call to a worker and awaits its report; it
//! can be called from any tokio runtime (or, blocking, from none), as many
//! times at once as the caller likes.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::observer::CallObserver;
use super::pool::{Job, Pool};
use super::report::{CallEnd, CallReport};
use super::source::InputSource;
use crate::audio::Sink;
use crate::clock::Clock;
use crate::config::Config;
use crate::fetch::{FetchError, Fetcher, PreloadOutcome};
use crate::interp::{self, CallParts, Parsers, VxmlParser};
use crate::script::{Connection, Session, ShelfStats};

/// Why a browser could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot start the call workers: {0}")]
    Workers(#[from] std::io::Error),
}

/// How one call runs, besides its start URL and caller.
#[derive(Default)]
pub struct CallOptions {
    /// Where prompts are played. `None`: nowhere; they are only recorded in
    /// the report (the fastest; what simulations want).
    pub sink: Option<Box<dyn Sink + Send>>,
    /// `session.*` as the document sees it (`session.connection.*`…).
    pub session: Session,
    /// Told of each report entry as it is made.
    pub observer: Option<Box<dyn CallObserver + Send>>,
}

impl CallOptions {
    /// With `session.connection` set to `connection`.
    pub fn connection(mut self, connection: Connection) -> CallOptions {
        self.session.connection = connection;
        self
    }
}

/// The voice browser: shared cache and workers. Dropping it cancels the
/// calls still running.
pub struct Browser {
    fetcher: Arc<Fetcher>,
    parsers: Arc<Parsers>,
    pool: Pool,
}

impl Browser {
    /// A browser with one worker thread per core. `file_root` confines
    /// `file:` URLs when the configuration sets no `fetch.file_root`.
    pub fn new(
        config: Config,
        clock: Arc<dyn Clock>,
        file_root: Option<&Path>,
    ) -> Result<Browser, BrowserError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Browser::with_workers(config, clock, file_root, threads)
    }

    /// A browser with `workers` worker threads (at least one).
    pub fn with_workers(
        config: Config,
        clock: Arc<dyn Clock>,
        file_root: Option<&Path>,
        workers: usize,
    ) -> Result<Browser, BrowserError> {
        let fetcher = Fetcher::new(Arc::new(config), clock, file_root)?;
        Browser::with_fetcher(fetcher, workers)
    }

    /// A browser whose calls share `fetcher` (its cache, configuration and
    /// clock), made elsewhere — so the cache can be set up, inspected or
    /// shared by the caller (the benchmark makes one per budget point) —
    /// with `workers` worker threads (at least one).
    pub fn with_fetcher(fetcher: Arc<Fetcher>, workers: usize) -> Result<Browser, BrowserError> {
        Ok(Browser {
            fetcher,
            parsers: Arc::new(Parsers::default()),
            pool: Pool::new(workers)?,
        })
    }

    /// The shared fetcher: its cache, statistics and configuration.
    pub fn fetcher(&self) -> &Arc<Fetcher> {
        &self.fetcher
    }

    /// The VoiceXML parse hook every call uses (its count of parses).
    pub fn parser(&self) -> &VxmlParser {
        &self.parsers.vxml
    }

    /// The `<audio>` decode hook every call uses (its count of decodes).
    pub fn audio_parser(&self) -> &crate::interp::AudioParser {
        &self.parsers.audio
    }

    /// How many worker threads run calls.
    pub fn workers(&self) -> usize {
        self.pool.threads()
    }

    /// How the call workers' script engines were used so far: made, reused
    /// by a later call, or dropped (a call changed their built-ins, they
    /// served their share of calls, or enough spares were kept).
    pub fn engine_stats(&self) -> ShelfStats {
        self.pool.engine_stats()
    }

    /// Preloads the `[preload]` documents with their application roots and
    /// scripts (spec §3), on a worker. One outcome per resource.
    pub async fn preload(&self) -> Vec<PreloadOutcome> {
        let fetcher = Arc::clone(&self.fetcher);
        let parsers = Arc::clone(&self.parsers);
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |_| {
            Box::pin(async move {
                let _ = tx.send(fetcher.preload(&parsers.vxml).await);
            })
        });
        if !self.pool.submit(job) {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Runs one call from `start` (an absolute URL) with `input` as the
    /// caller, and returns its report. Never fails: whatever goes wrong is
    /// in the report's `ended`.
    pub async fn call(
        &self,
        start: &str,
        input: impl InputSource + 'static,
        options: CallOptions,
    ) -> CallReport {
        match self.submit(start, Box::new(input), options) {
            Some(rx) => rx.await.unwrap_or_else(|_| lost(start)),
            None => lost(start),
        }
    }

    /// [`call`](Self::call) for code that is not async. Do not call it from
    /// inside a tokio runtime: it blocks the thread.
    pub fn call_blocking(
        &self,
        start: &str,
        input: impl InputSource + 'static,
        options: CallOptions,
    ) -> CallReport {
        match self.submit(start, Box::new(input), options) {
            Some(rx) => rx.blocking_recv().unwrap_or_else(|_| lost(start)),
            None => lost(start),
        }
    }

    fn submit(
        &self,
        start: &str,
        input: Box<dyn InputSource>,
        options: CallOptions,
    ) -> Option<oneshot::Receiver<CallReport>> {
        let (tx, rx) = oneshot::channel();
        let parts = CallParts {
            fetcher: Arc::clone(&self.fetcher),
            parsers: Arc::clone(&self.parsers),
            start: start.to_string(),
            input,
            sink: options.sink,
            observer: options.observer,
            session: options.session,
        };
        let job: Job = Box::new(move |engines| {
            Box::pin(async move {
                let _ = tx.send(interp::run_call(parts, &engines).await);
            })
        });
        self.pool.submit(job).then_some(rx)
    }
}

/// The report of a call whose worker went away (a bug, or the browser
/// being dropped): it says so rather than pretending.
fn lost(start: &str) -> CallReport {
    CallReport {
        start_url: start.to_string(),
        ended: CallEnd::Error {
            event: "error.noresource".into(),
            message: "the call's worker stopped before the call ended".into(),
        },
        ..CallReport::default()
    }
}
