//! The browser: what runs calls. [`Browser`] is the Rust API the CLI, the
//! benchmark and the tests run every call through.
//!
//! This layer sits above the interpreter: it owns the shared state of a
//! process and hands calls to the interpreter on its workers; `call/` (what
//! a call is made of) and `interp/` (what a call does) never import it.
//!
//! A browser is one process's worth of shared state — the caching
//! [`Fetcher`] (one cache for every call), the parse hooks (so their counts
//! are the process's) — and a pool of worker threads (`pool`) the calls run
//! on. [`Browser::call`] hands a call to a worker and awaits its report; it
//! can be called from any tokio runtime (or, blocking, from none), as many
//! times at once as the caller likes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use url::Url;

mod builder;
mod pool;
mod scenario;

pub use builder::BrowserBuilder;
pub use scenario::{SimulateFileError, simulate_file};

use pool::{Job, Pool};

use crate::audio::Sink;
use crate::call::{CallEnd, CallObserver, CallReport, InputSource};
use crate::clock::Clock;
use crate::config::Config;
use crate::fetch::{FetchError, Fetcher, PreloadOutcome};
use crate::interp::{self, CallParts, Parsers, VxmlParser};
use crate::script::{Connection, Session, ShelfStats};
use crate::simulate::{Dialer, ScriptedCaller};

/// Why a browser could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The fetcher could not be made: the HTTP client, or a `file_root`
    /// that is not a usable directory.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The worker threads could not be started.
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

/// Makes the observer of a call that brings none (see
/// [`BrowserBuilder::observer`]).
type ObserverFactory = Arc<dyn Fn() -> Box<dyn CallObserver + Send> + Send + Sync>;

/// The voice browser: shared cache and workers. Dropping it cancels the
/// calls still running.
///
/// Every call placed through one browser shares its cache (one budget per
/// resource type, statistics over all calls); calls run on its worker
/// threads, many at once, and [`call`](Browser::call) can be awaited from
/// any runtime. Made with [`Browser::builder`].
pub struct Browser {
    fetcher: Arc<Fetcher>,
    parsers: Arc<Parsers>,
    pool: Pool,
    observer: Option<ObserverFactory>,
}

impl Browser {
    /// Starts choosing how a browser is made; every choice has a default.
    pub fn builder() -> BrowserBuilder {
        BrowserBuilder::default()
    }

    /// A browser with one worker thread per core. `file_root` confines
    /// `file:` URLs when the configuration sets no `fetch.file_root`.
    /// (The builder is the front door; this stays for vxb's own callers.)
    ///
    /// # Errors
    ///
    /// As [`BrowserBuilder::build`].
    #[doc(hidden)]
    pub fn new(
        config: Config,
        clock: Arc<dyn Clock>,
        file_root: Option<&Path>,
    ) -> Result<Browser, BrowserError> {
        Browser::with_workers(config, clock, file_root, builder::default_workers())
    }

    /// A browser with `workers` worker threads (at least one).
    ///
    /// # Errors
    ///
    /// As [`BrowserBuilder::build`].
    #[doc(hidden)]
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
    #[doc(hidden)]
    pub fn with_fetcher(fetcher: Arc<Fetcher>, workers: usize) -> Result<Browser, BrowserError> {
        Ok(Browser {
            fetcher,
            parsers: Arc::new(Parsers::default()),
            pool: Pool::new(workers)?,
            observer: None,
        })
    }

    /// The shared fetcher: its cache, statistics and configuration.
    #[doc(hidden)]
    pub fn fetcher(&self) -> &Arc<Fetcher> {
        &self.fetcher
    }

    /// The VoiceXML parse hook every call uses (its count of parses).
    #[doc(hidden)]
    pub fn parser(&self) -> &VxmlParser {
        &self.parsers.vxml
    }

    /// The `<audio>` decode hook every call uses (its count of decodes).
    #[doc(hidden)]
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
    #[doc(hidden)]
    pub fn engine_stats(&self) -> ShelfStats {
        self.pool.engine_stats()
    }

    /// Preloads the `[preload]` documents with their application roots and
    /// scripts, on a worker. One outcome per resource.
    #[doc(hidden)]
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
            observer: options
                .observer
                .or_else(|| self.observer.as_ref().map(|make| make())),
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

/// A scenario's calls placed through the browser, so they share its cache:
/// `scenario.run(&browser)`. Waits sleep on the browser's clock: real time
/// on the system clock, none at all on a [`ManualClock`](crate::ManualClock)
/// (virtual time), which the scenario's origin then shares.
impl Dialer for &Browser {
    async fn call(
        &mut self,
        url: &Url,
        input: ScriptedCaller,
        sink: Option<Box<dyn Sink + Send>>,
    ) -> CallReport {
        let options = CallOptions {
            sink,
            ..CallOptions::default()
        };
        Browser::call(self, url.as_str(), input, options).await
    }

    async fn wait(&mut self, duration: Duration) {
        self.fetcher.clock().sleep(duration).await;
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(self.fetcher.clock())
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
