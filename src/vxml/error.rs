//! Why a VoiceXML document was refused, and where.
//!
//! A document that is not well-formed or not valid VoiceXML is, to the
//! interpreter, a failed fetch: [`ParseError::event`] is `error.badfetch`
//! (VoiceXML 2.0 §5.2.6).

use std::fmt;

use super::model::Span;

/// A document could not be parsed: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{span}: {kind}")]
pub struct ParseError {
    /// The file name or URL given to the parser.
    pub source_name: String,
    pub span: Span,
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// The VoiceXML event this error raises.
    pub fn event(&self) -> &'static str {
        "error.badfetch"
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
