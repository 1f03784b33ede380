//! Why an expression or script failed. Every failure raises `error.semantic`
//! in the interpreter (VoiceXML 2.0 §5.2.6).

use std::fmt;

/// Which runtime limit stopped a script (see [`Limits`](super::Limits)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// Too many loop iterations in one function activation.
    LoopIterations,
    /// Calls nested too deeply.
    Recursion,
    /// The engine's value stack overflowed.
    StackSize,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::LoopIterations => "loop iteration limit",
            LimitKind::Recursion => "recursion limit",
            LimitKind::StackSize => "stack size limit",
        })
    }
}

/// An expression or script failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScriptError {
    /// The text does not parse. `line`/`column` are 1-based, relative to the
    /// text given, or to the document when the script came with an
    /// [`Origin`](super::Origin) (then `origin` names the document).
    #[error("{}{line}:{column}: syntax error: {message}", position_prefix(.origin))]
    Syntax {
        origin: Option<String>,
        line: u32,
        column: u32,
        message: String,
    },
    /// An exception escaped: `name` is the error type (`TypeError`,
    /// `ReferenceError`…) or `exception` for a thrown non-Error value.
    #[error("{}{name}: {message}", prefix(.origin))]
    Runtime {
        origin: Option<String>,
        name: String,
        message: String,
    },
    /// Assignment to a variable no scope declares (VoiceXML 2.0 §5.1.1).
    #[error("{}assignment to undeclared variable `{name}`", prefix(.origin))]
    Undeclared {
        origin: Option<String>,
        name: String,
    },
    /// A runtime limit stopped the script.
    #[error("{}script stopped: {kind} exceeded", prefix(.origin))]
    Limit {
        origin: Option<String>,
        kind: LimitKind,
    },
    /// A variable name that cannot be declared or assigned as given.
    #[error("bad variable name `{name}`: {reason}")]
    BadName { name: String, reason: &'static str },
    /// A value that has no JSON-like form (a cycle, or nesting too deep).
    #[error("cannot convert value: {0}")]
    Conversion(String),
    /// The scope stack was used out of order (an interpreter bug, reported
    /// rather than panicking).
    #[error("scope misuse: {0}")]
    Scope(String),
}

/// `name: ` before a message.
fn prefix(origin: &Option<String>) -> String {
    origin
        .as_ref()
        .map(|o| format!("{o}: "))
        .unwrap_or_default()
}

/// `name:` before `line:column`, as compilers write positions.
fn position_prefix(origin: &Option<String>) -> String {
    origin.as_ref().map(|o| format!("{o}:")).unwrap_or_default()
}

impl ScriptError {
    /// The VoiceXML event this error raises.
    pub fn event(&self) -> &'static str {
        "error.semantic"
    }

    /// The same error, labelled with where the failing text came from.
    pub(crate) fn with_origin(mut self, name: &str) -> Self {
        match &mut self {
            ScriptError::Syntax { origin, .. }
            | ScriptError::Runtime { origin, .. }
            | ScriptError::Undeclared { origin, .. }
            | ScriptError::Limit { origin, .. } => *origin = Some(name.to_string()),
            ScriptError::BadName { .. } | ScriptError::Conversion(_) | ScriptError::Scope(_) => {}
        }
        self
    }
}

/// The message of a `ReferenceError` thrown for an assignment to an
/// undeclared name (by the trap on the global object's prototype).
pub(crate) const UNDECLARED: &str = "assignment to undeclared variable ";

/// Classifies an engine error.
pub(crate) fn from_js(err: boa_engine::JsError, ctx: &mut boa_engine::Context) -> ScriptError {
    use boa_engine::JsNativeErrorKind;
    use boa_engine::error::{EngineError, RuntimeLimitError};

    if let Some(engine) = err.as_engine() {
        return match engine {
            EngineError::RuntimeLimit(limit) => ScriptError::Limit {
                origin: None,
                kind: match limit {
                    RuntimeLimitError::LoopIteration => LimitKind::LoopIterations,
                    RuntimeLimitError::Recursion => LimitKind::Recursion,
                    RuntimeLimitError::StackSize => LimitKind::StackSize,
                },
            },
            other => ScriptError::Runtime {
                origin: None,
                name: "InternalError".into(),
                message: other.to_string(),
            },
        };
    }
    match err.try_native(ctx) {
        Ok(native) => {
            let message = native.message().to_string();
            if matches!(native.kind(), JsNativeErrorKind::Reference)
                && let Some(name) = message.strip_prefix(UNDECLARED)
            {
                return ScriptError::Undeclared {
                    origin: None,
                    name: name.to_string(),
                };
            }
            ScriptError::Runtime {
                origin: None,
                name: native.kind().to_string(),
                message,
            }
        }
        // A thrown value that is not an Error object (`throw "oops"`).
        Err(_) => ScriptError::Runtime {
            origin: None,
            name: "exception".into(),
            message: err
                .as_opaque()
                .map(|v| match v.as_string() {
                    Some(s) => s.to_std_string_lossy(),
                    None => v.display().to_string(),
                })
                .unwrap_or_else(|| err.to_string()),
        },
    }
}
