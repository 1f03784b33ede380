//! [`BrowserBuilder`]: a [`Browser`] with its configuration, clock, file
//! root, worker count and observer chosen, every one optional.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Browser, BrowserError, ObserverFactory};
use crate::call::CallObserver;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::fetch::Fetcher;

/// Chooses how a [`Browser`] is made; [`Browser::builder`] starts one.
///
/// Unset, a browser has the default configuration (every key's default),
/// the system clock, no `file:` URLs (no file root), one
/// worker thread per core and no observer.
#[must_use = "a builder does nothing until `build` is called"]
#[derive(Default)]
pub struct BrowserBuilder {
    config: Option<Config>,
    clock: Option<Arc<dyn Clock>>,
    file_root: Option<PathBuf>,
    workers: Option<usize>,
    observer: Option<ObserverFactory>,
}

impl BrowserBuilder {
    /// The configuration every call runs with (budgets, timeouts,
    /// properties): see [`Config::load`].
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// The clock freshness, ages and timeouts are read from. A
    /// [`ManualClock`](crate::ManualClock) lets a test age the cache without
    /// sleeping.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The directory `file:` URLs are confined to when the configuration
    /// sets no `fetch.file_root`. Without either, a call reads no `file:`
    /// URL (`error.badfetch`).
    pub fn file_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_root = Some(dir.into());
        self
    }

    /// How many worker threads run calls (at least one; each runs many
    /// calls at once). Without it, one per core.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// Watches every call whose [`CallOptions`](crate::CallOptions) bring no
    /// observer of their own: `make` is called once per such call, on the
    /// thread that places it, for the observer that call reports to.
    pub fn observer<O: CallObserver + Send + 'static>(
        mut self,
        make: impl Fn() -> O + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(move || Box::new(make())));
        self
    }

    /// Makes the browser: its cache, HTTP client and worker threads.
    ///
    /// # Errors
    ///
    /// [`BrowserError`] when the HTTP client or the worker threads cannot be
    /// started.
    pub fn build(self) -> Result<Browser, BrowserError> {
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let config = Arc::new(self.config.unwrap_or_default());
        let fetcher = Fetcher::new(config, clock, self.file_root.as_deref())?;
        let workers = self.workers.unwrap_or_else(default_workers);
        let mut browser = Browser::with_fetcher(fetcher, workers)?;
        browser.observer = self.observer;
        Ok(browser)
    }
}

/// One worker per core (one when that cannot be known).
pub(super) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
