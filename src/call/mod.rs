//! Calls: what a caller says (input tokens) and what a call leaves behind
//! (its report). The runner that drives a call through the interpreter lives
//! here too once the interpreter exists; the CLI and the tests use only this
//! module's API.
//!
//! - [`input`]: the caller input tokens of spec §1.
//! - [`report`]: the per-call report of spec §5.

pub mod input;
pub mod report;

pub use input::{CallerInput, InputError, Token};
pub use report::{CallEnd, CallReport, EventRecord, LogRecord, PromptRecord};
