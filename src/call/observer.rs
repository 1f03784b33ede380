//! Watching a call as it happens: [`CallObserver`] is told of each fetch,
//! prompt heard, `<log>` and event the moment it is added to the report, so
//! `vxb run` can print them live. Every method has a no-op default.

use crate::fetch::FetchRecord;

use super::report::{EventRecord, LogRecord, PromptRecord};

/// Receives the call's report entries as they are made. Runs on the call's
/// worker thread, between interpreter steps: keep it quick.
pub trait CallObserver: Send {
    /// A fetch ended (from the cache, the origin, or in an error).
    fn fetch(&mut self, _record: &FetchRecord) {}
    /// The caller heard a prompt.
    fn prompt(&mut self, _prompt: &PromptRecord) {}
    /// The application wrote a `<log>`.
    fn log(&mut self, _log: &LogRecord) {}
    /// An event was thrown.
    fn event(&mut self, _event: &EventRecord) {}
}
