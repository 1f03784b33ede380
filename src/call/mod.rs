//! What a call is made of: what a caller says (input tokens and where they
//! come from), and what a call leaves behind (its report, and the observer
//! that watches it grow). The [`Browser`](crate::Browser) runs calls; this
//! module never imports it nor the interpreter.
//!
//! - [`input`]: the caller input tokens.
//! - [`source`]: [`InputSource`], where a call's tokens come from.
//! - [`observer`]: [`CallObserver`], watching a call's report as it grows.
//! - [`report`]: the per-call report.

pub mod input;
pub mod observer;
pub mod report;
pub mod source;

pub use input::{CallerInput, InputError, Token};
pub use observer::CallObserver;
pub use report::{CallEnd, CallReport, EventRecord, LogRecord, PromptRecord};
pub use source::InputSource;
