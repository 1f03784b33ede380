//! Calls: what a caller says (input tokens), what a call leaves behind (its
//! report), and the [`Browser`] that runs calls — the Rust API the CLI and
//! the tests use.
//!
//! - [`input`]: the caller input tokens of spec §1.
//! - [`source`]: [`InputSource`], where a call's tokens come from.
//! - [`observer`]: [`CallObserver`], watching a call's report as it grows.
//! - [`report`]: the per-call report of spec §5.
//! - [`runner`]: [`Browser`] and [`CallOptions`].
//! - `pool`: the worker threads calls run on.

pub mod input;
pub mod observer;
mod pool;
pub mod report;
pub mod runner;
pub mod source;

pub use input::{CallerInput, InputError, Recording, Token, TransferOutcome, TransferResult};
pub use observer::CallObserver;
pub use report::{CallEnd, CallReport, EventRecord, LogRecord, PromptRecord};
pub use runner::{Browser, BrowserError, CallOptions};
pub use source::InputSource;
