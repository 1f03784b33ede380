//! ECMAScript for VoiceXML documents: the variable scopes of VoiceXML 2.0
//! §5.1 over a boa engine, expression and script evaluation, and the values
//! that cross between Rust and JavaScript.
//!
//! One [`ScriptEngine`] per call (it is not `Send`; see its docs). The
//! interpreter drives the scope stack as the call moves between documents,
//! dialogs and handlers, and evaluates attribute expressions and `<script>`
//! bodies in it. Every failure is a [`ScriptError`], which raises
//! `error.semantic`; runaway scripts are stopped by [`Limits`].
//!
//! Layout: `engine` (the scope stack and evaluation), `compile` (texts into
//! cached functions over the scope chain — the how and why of scoping is
//! documented there), `nesting` (the guard that keeps boa's recursive parser
//! from overflowing the stack), `session` (`session.*`, `lastresult$`),
//! `value` (JS ↔ Rust values), `error`.
//!
//! Known limits: boa 0.22 bounds loops, recursion and stack, not memory (a
//! script that doubles a string in a loop can exhaust memory before the loop
//! limit stops it), and not time across function calls (the loop limit is per
//! call frame). `eval` and `new Function` texts may only nest as deeply as the
//! remaining stack of the engine's thread holds: run the engine on a thread
//! with a few MiB of stack to spare.

pub(crate) mod compile;
mod engine;
mod error;
mod nesting;
mod session;
mod value;

pub use engine::{AppTransition, DocumentScope, Limits, Origin, ScopeKind, ScriptEngine};
pub use error::{LimitKind, ScriptError};
pub use session::{Connection, InputMode, Originator, Recognition, Redirect, Session};
pub use value::Value;

#[cfg(test)]
mod tests;
