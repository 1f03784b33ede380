//! The progress bar of a sweep, on stderr: which budget point is running
//! and how far it is (calls done, or seconds elapsed for a timed point).
//!
//! Drawn only when asked for and stderr is a terminal, so logs and CI output
//! stay clean; a hidden bar costs next to nothing, so the sweep always has one.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The sweep's progress bar (cheap to clone: one shared bar).
#[derive(Clone, Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar on stderr when `wanted` and stderr is a terminal, else hidden.
    pub fn new(wanted: bool) -> Progress {
        if !(wanted && std::io::stderr().is_terminal()) {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:>22} [{bar:36}] {pos:>6}/{len:6} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress { bar }
    }

    /// Draws nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// A new phase: `label` (`budget 25% (4/7)`), `len` steps.
    pub(crate) fn start(&self, label: String, len: u64, unit: &'static str) {
        self.bar.reset();
        self.bar.set_prefix(label);
        self.bar.set_length(len);
        self.bar.set_position(0);
        self.bar.set_message(unit);
    }

    /// One more call done (a phase counted in calls).
    pub(crate) fn call_done(&self) {
        self.bar.inc(1);
    }

    /// Time elapsed in a timed phase (counted in milliseconds).
    pub(crate) fn elapsed(&self, elapsed: Duration) {
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self.bar
            .set_position(ms.min(self.bar.length().unwrap_or(ms)));
    }

    /// Prints a line above the bar (or plainly when hidden, nothing).
    pub(crate) fn println(&self, line: &str) {
        self.bar.println(line);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
