//! Why a VoiceXML document was refused, and where.
//!
//! A document that is not well-formed or not valid VoiceXML is, to the
//! interpreter, a failed fetch: [`ParseError::event`] is `error.badfetch`
//! (VoiceXML 2.0 §5.2.6).

use std::fmt;

use super::model::Span;
use crate::diagnostic::{Diagnostic, did_you_mean};

/// A document could not be parsed: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{span}: {kind}")]
pub struct ParseError {
    /// The file name or URL given to the parser.
    pub source_name: String,
    pub span: Span,
    pub kind: ParseErrorKind,
    /// The text of the line at `span`, for the caret of [`Self::diagnostic`]
    /// (absent when the line could not be decoded). Boxed: errors travel in
    /// every parser `Result`, so they are kept small.
    pub line_text: Option<Box<SourceLine>>,
}

/// The text of one source line, without its line break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine(pub String);

impl ParseError {
    /// The VoiceXML event this error raises.
    pub fn event(&self) -> &'static str {
        "error.badfetch"
    }

    /// The error as a rustc-like diagnostic: the source line, a caret under
    /// the element (`<promt`), and "did you mean" for a misspelt element.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::new(
            self.kind.to_string(),
            &self.source_name,
            self.span.line,
            self.span.column,
        )
        .with_event(self.event());
        if let Some(line) = &self.line_text {
            d = d.with_source_line(&line.0, self.caret_width(&line.0));
        }
        if let ParseErrorKind::UnknownElement { element } = &self.kind
            && let Some(known) = did_you_mean(element, super::parser::KNOWN.iter().copied())
        {
            d = d.with_help(format!("did you mean `<{known}>`?"));
        }
        d
    }

    /// `<name` when the error is at a start tag, else one character.
    fn caret_width(&self, line: &str) -> usize {
        let skip = usize::try_from(self.span.column.saturating_sub(1)).unwrap_or(usize::MAX);
        let rest: String = line.chars().skip(skip).collect();
        match rest.strip_prefix('<') {
            Some(tag) => {
                1 + tag
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '/'))
                    .count()
            }
            None => 1,
        }
    }
}

/// The cause of a [`ParseError`]. Element and attribute names are kept so the
/// message names what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("{0}")]
    Encoding(String),
    #[error("malformed XML: {0}")]
    Xml(String),
    /// Well-formed, but over a parse budget (entity expansion).
    #[error("{0}")]
    OverBudget(String),
    #[error("the root element is <{found}>, not <vxml>")]
    NotVxmlRoot { found: String },
    #[error("<{element}> needs the `{attribute}` attribute")]
    MissingAttribute {
        element: String,
        attribute: &'static str,
    },
    #[error("<{element}> needs one of {}", list(.attributes))]
    MissingOneOf {
        element: String,
        attributes: &'static [&'static str],
    },
    #[error("<{element}> may have only one of {}", list(.attributes))]
    Exclusive {
        element: String,
        attributes: Vec<&'static str>,
    },
    #[error("<{element}> {attribute}=\"{value}\": expected {expected}")]
    BadValue {
        element: String,
        attribute: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("<{element}> is not a VoiceXML element")]
    UnknownElement { element: String },
    #[error("<{element}> is not allowed inside <{parent}>")]
    Misplaced { element: String, parent: String },
    #[error("<{element}> name `{name}` is used twice")]
    Duplicate { element: String, name: String },
    #[error("text is not allowed inside <{parent}>")]
    MisplacedText { parent: String },
    #[error("elements are nested more than {0} deep")]
    TooDeep(usize),
    /// A slip production browsers accept; vxb accepts it with a warning,
    /// and refuses it only under `strict`.
    #[error("{0}")]
    Slip(Slip),
}

/// A schema slip real pages make and production browsers run. Its message
/// says what the schema says; [`Slip::tolerance`] what vxb does instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Slip {
    #[error(
        "<vxml> has no namespace: the schema puts VoiceXML in xmlns=\"http://www.w3.org/2001/vxml\""
    )]
    NoNamespace,
    #[error("<vxml> has no `version`: the schema requires version=\"2.0\" or \"2.1\"")]
    NoVersion,
    #[error(
        "<{element}> directly inside <form>: the schema allows executable content only in <block>, <filled> and event handlers"
    )]
    ExecutableInForm { element: String },
    #[error("<prompt> inside <{parent}>: the schema allows no prompt inside prompt content")]
    NestedPrompt { parent: String },
}

impl Slip {
    /// What vxb does with the slip when not strict (what production
    /// browsers do).
    pub fn tolerance(&self) -> &'static str {
        match self {
            Slip::NoNamespace => "read as VoiceXML",
            Slip::NoVersion => "read as version 2.1",
            Slip::ExecutableInForm { .. } => "run as if in a <block> at this place",
            Slip::NestedPrompt { .. } => "its content is spoken in place",
        }
    }
}

impl ParseError {
    /// For a tolerated slip: the warning a call gives (where, what the
    /// schema says, what vxb does instead).
    pub fn slip_warning(&self) -> Option<String> {
        match &self.kind {
            ParseErrorKind::Slip(slip) => Some(format!(
                "{self} (tolerated: {}; `--strict` refuses it)",
                slip.tolerance()
            )),
            _ => None,
        }
    }
}

fn list<'a>(attributes: &'a [&'static str]) -> ListDisplay<'a> {
    ListDisplay(attributes)
}

struct ListDisplay<'a>(&'a [&'static str]);

impl fmt::Display for ListDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(if i + 1 == self.0.len() { " or " } else { ", " })?;
            }
            write!(f, "`{a}`")?;
        }
        Ok(())
    }
}
