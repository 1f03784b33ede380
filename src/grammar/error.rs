//! Why a grammar could not be used: where (URL, line, column) and what is
//! wrong, plus the VoiceXML event each failure raises.
//!
//! Errors are `Clone` because a grammar's parse failure may be stored with its
//! cache entry and handed to every call that uses the grammar.

use std::fmt;

use super::model::Mode;

/// A position in a grammar's text, 1-based. For an inline grammar it is the
/// position in the VoiceXML document that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub fn new(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    /// This position (relative to a snippet) moved to where the snippet
    /// starts in its document: only the snippet's first line is shifted
    /// sideways.
    pub(crate) fn offset_by(self, origin: Pos) -> Pos {
        let column = if self.line <= 1 {
            self.column.saturating_add(origin.column.saturating_sub(1))
        } else {
            self.column
        };
        Pos {
            line: self.line.saturating_add(origin.line.saturating_sub(1)),
            column,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A grammar that cannot be compiled, linked or interpreted.
///
/// The VoiceXML event for each variant is given by [`GrammarError::event`]:
///
/// | variant | event | when |
/// |---|---|---|
/// | `Invalid` | `error.badfetch` | malformed XML or SRGS, undefined or private rule, left recursion, bad `repeat`, mode mismatch — for a fetched grammar and for an inline one alike (an inline grammar that is malformed makes its document malformed) |
/// | `Load` | `error.badfetch` | a loader could not supply an externally referenced grammar |
/// | `Builtin` | `error.unsupported.builtin` | an unknown builtin type or a parameter it does not take |
/// | `UnsupportedFormat` | `error.unsupported.format` | a grammar that is neither SRGS XML nor SRGS ABNF, or a `type` vxb does not read |
/// | `Script` | `error.semantic` | a `semantics/1.0` tag threw while interpreting a match |
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GrammarError {
    /// The grammar text is not a usable SRGS grammar.
    #[error("{url}:{at}: {cause}")]
    Invalid { url: String, at: Pos, cause: Cause },

    /// A loader could not supply the grammar at `url` (fetch failure, or the
    /// URL is not in the set the interpreter pre-fetched).
    #[error("{url}: cannot load grammar: {reason}")]
    Load { url: String, reason: String },

    /// A builtin grammar reference (`builtin:dtmf/digits?length=4`,
    /// `type="boolean"`) the platform does not support as written.
    #[error("builtin grammar `{spec}`: {reason}")]
    Builtin { spec: String, reason: String },

    /// A grammar in a format vxb cannot read (not SRGS XML or ABNF).
    #[error("{url}: unsupported grammar format: {reason}")]
    UnsupportedFormat { url: String, reason: String },

    /// A semantic interpretation tag failed while interpreting a match.
    #[error("{url}:{at}: semantic interpretation tag failed: {message}")]
    Script {
        url: String,
        at: Pos,
        message: String,
    },
}

impl GrammarError {
    /// The VoiceXML event this error raises (see the table on the type).
    pub fn event(&self) -> &'static str {
        match self {
            GrammarError::Invalid { .. } | GrammarError::Load { .. } => "error.badfetch",
            GrammarError::Builtin { .. } => "error.unsupported.builtin",
            GrammarError::UnsupportedFormat { .. } => "error.unsupported.format",
            GrammarError::Script { .. } => "error.semantic",
        }
    }
}

/// What is wrong with a grammar (the cause of [`GrammarError::Invalid`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Cause {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// Well-formed, but over a parse budget (entity expansion).
    #[error("{0}")]
    OverBudget(String),
    #[error("the root element is <{0}>, not <grammar>")]
    NotAGrammar(String),
    #[error("unexpected element <{found}> inside <{parent}>")]
    UnexpectedElement { parent: String, found: String },
    #[error("text is not allowed directly inside <{0}>")]
    UnexpectedText(String),
    #[error("<{element}> needs a `{attribute}` attribute")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("<{element}> {attribute}=\"{value}\": {reason}")]
    BadAttribute {
        element: &'static str,
        attribute: &'static str,
        value: String,
        reason: String,
    },
    #[error("repeat=\"{0}\" is not `n`, `n-m` or `n-` with 0 <= n <= m <= {max}", max = super::srgs::MAX_REPEAT)]
    BadRepeat(String),
    #[error("the grammar has no rules")]
    NoRules,
    #[error("the root rule `{0}` is not defined")]
    MissingRoot(String),
    #[error("rule `{0}` is defined twice")]
    DuplicateRule(String),
    #[error("reference to undefined rule `{0}`")]
    UndefinedRule(String),
    #[error("rule `{0}` is private to its grammar and cannot be referenced from another")]
    PrivateRule(String),
    #[error("rule `{0}` is left-recursive (it can reach itself without consuming input)")]
    LeftRecursion(String),
    #[error("`{0}` is not a DTMF key (0-9, *, #, A-D)")]
    NotDtmf(char),
    #[error("<one-of> has no <item>")]
    EmptyOneOf,
    #[error("a {referenced} grammar cannot be referenced from a {referrer} grammar")]
    ModeMismatch { referrer: Mode, referenced: Mode },
    #[error("elements are nested more than {0} deep")]
    TooDeep(usize),
    #[error("{0}")]
    Builtin(String),
    #[error("ABNF: {0}")]
    Abnf(String),
}
