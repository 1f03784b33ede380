//! [`simulate_file`]: a scenario file run from start to end in one call —
//! what `vxb simulate FILE` does, without the printing — for a test that
//! wants to assert on the result.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Browser, BrowserError};
use crate::config::ConfigError;
use crate::simulate::{Scenario, SimulateError, SimulationReport};

/// Why a scenario file could not be run at all. A call that misbehaves is
/// not one of these: it is a failed step in the [`SimulationReport`].
#[derive(Debug, thiserror::Error)]
pub enum SimulateFileError {
    /// The scenario file, or the configuration it names, is unreadable or
    /// invalid (the message names file, line and key).
    #[error(transparent)]
    Load(#[from] ConfigError),
    /// The browser could not be made.
    #[error(transparent)]
    Browser(#[from] BrowserError),
    /// The runtime the scenario runs on could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The scenario could not run: its `[origin]` could not be served, or a
    /// call's start document could not be fetched.
    #[error("{}: {error}", At(.path, .error.line()))]
    Simulate {
        /// The scenario file.
        path: PathBuf,
        /// What went wrong, at which step.
        #[source]
        error: SimulateError,
    },
}

/// `FILE` or `FILE:LINE`.
struct At<'a>(&'a Path, Option<usize>);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(line) => write!(f, "{}:{line}", self.0.display()),
            None => write!(f, "{}", self.0.display()),
        }
    }
}

/// Runs the scenario file at `path` as `vxb simulate` does: with the
/// configuration it names, `file:` URLs confined to its directory, its
/// `[origin]` served while it runs, its calls placed through one new
/// [`Browser`] (one shared cache) and checked against their expectations.
///
/// Blocks until the scenario has run, on a runtime of its own: call it
/// from a plain `#[test]`, not from inside an async runtime (there, make a
/// browser and await [`Scenario::run`]).
///
/// # Errors
///
/// [`SimulateFileError`] when the scenario cannot run at all; failed
/// expectations are in the report ([`SimulationReport::ok`]).
pub fn simulate_file(path: impl AsRef<Path>) -> Result<SimulationReport, SimulateFileError> {
    let path = path.as_ref();
    let scenario = Scenario::load(path)?;
    // load_config always sets fetch.file_root (the scenario's directory
    // unless the file says otherwise), so the builder needs none.
    let config = scenario.load_config(None)?;
    let browser = Browser::builder().config(config).build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SimulateFileError::Runtime)?;
    runtime
        .block_on(scenario.run(&browser))
        .map_err(|error| SimulateFileError::Simulate {
            path: path.to_path_buf(),
            error,
        })
}
