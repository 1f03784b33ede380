//! ECMAScript for VoiceXML documents: the variable scopes of VoiceXML 2.0
//! §5.1 over a boa engine, expression and script evaluation, and the values
//! that cross between Rust and JavaScript.
//!
//! One [`ScriptEngine`] per running call (it is not `Send`; see its docs),
//! reused by later calls on the same thread through an [`EngineShelf`]. The
//! interpreter drives the scope stack as the call moves between documents,
//! dialogs and handlers, and evaluates attribute expressions and `<script>`
//! bodies in it. Every failure is a [`ScriptError`], which raises
//! `error.semantic`; runaway scripts are stopped by [`Limits`].
//!
//! Layout: `engine` (the scope stack and evaluation), `compile` (texts into
//! cached functions over the scope chain — the how and why of scoping, and
//! how compiled code is kept per [`Provenance`], is documented there),
//! `derived` (host objects such as `<data>` DOMs, kept per cached
//! resource like compiled code), `shelf` (engines kept between calls), `baseline` (the check that a call
//! left the built-ins as it found them), `nesting` (the guard that keeps
//! boa's recursive parser from overflowing the stack), `session`
//! (`session.*`, `lastresult$`), `value` (JS ↔ Rust values), `error`.
//!
//! Known limits, all of boa 0.22 and all reachable only by a script written
//! to misbehave:
//! - memory is not bounded: doubling a string in a loop exhausts it before
//!   the loop limit stops the loop;
//! - time is bounded per call frame (the loop limit), not per evaluation;
//! - built-ins that recurse natively over data (`String(a)`/`join` of an
//!   array nested ~10,000 deep, `JSON.stringify` of such an object) overflow
//!   the thread's stack, because boa's recursion limit counts JavaScript
//!   frames only;
//! - `eval` and `new Function` texts may nest only as deeply as the remaining
//!   stack of the engine's thread holds (refused beyond): run the engine on
//!   a thread with a few MiB of stack to spare.

mod baseline;
pub(crate) mod compile;
mod derived;
mod engine;
mod error;
mod nesting;
mod session;
mod shelf;
mod value;

pub use compile::{Provenance, check_expression_syntax, check_script_syntax};
pub use derived::Helpers;
pub use engine::{AppTransition, DocumentScope, Limits, Origin, ScopeKind, ScriptEngine};
pub use error::{LimitKind, ScriptError};
pub use session::{
    Connection, InputMode, Originator, Recognition, Redirect, Session, UtteranceRecording,
};
pub use shelf::{EngineCounts, EngineShelf, ShelfStats};
pub use value::Value;

#[cfg(test)]
mod tests;
