//! Prompts and their mixed content: text, `<value>`, `<audio>` with fallback,
//! `<enumerate>`, `<foreach>`, `<mark>`, `<break>` and the SSML containers.
//!
//! The content is an owned tree of [`PromptNode`]s the audio/prompt layer
//! walks: nodes that need the interpreter (values, audio sources, marks,
//! enumerate, foreach) are typed; SSML containers that only shape speech are
//! kept generically with their attributes ([`Ssml`]).

use std::time::Duration;

use super::exec::Foreach;
use super::model::{Expr, FetchAttrs, Span, ValueOrExpr};

/// `bargeintype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BargeInType {
    Speech,
    Hotword,
}

/// `<prompt>`, or an implicit prompt made of bare content.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub bargein: Option<bool>,
    pub bargeintype: Option<BargeInType>,
    pub cond: Option<Expr>,
    /// Prompt selection count (≥ 1; VoiceXML 2.0 §4.1.6).
    pub count: u32,
    pub timeout: Option<Duration>,
    pub lang: Option<String>,
    pub content: Vec<PromptNode>,
    /// Made from bare text/audio/value outside any `<prompt>`.
    pub implicit: bool,
    pub span: Span,
}

/// One node of prompt content.
#[derive(Clone, Debug, PartialEq)]
pub enum PromptNode {
    /// Text as written (whitespace not normalised).
    Text(String),
    /// `<value expr>`.
    Value {
        expr: Expr,
        span: Span,
    },
    Audio(Audio),
    /// `<break>`.
    Break {
        time: Option<Duration>,
        strength: Option<BreakStrength>,
        span: Span,
    },
    /// `<mark name|nameexpr>`.
    Mark {
        name: ValueOrExpr,
        span: Span,
    },
    /// `<enumerate>`: empty content means the platform's default template.
    Enumerate {
        content: Vec<PromptNode>,
        span: Span,
    },
    /// `<foreach>` inside a prompt (VoiceXML 2.1).
    Foreach(Foreach<PromptNode>),
    /// An SSML container: emphasis, say-as, prosody, s, p, voice, sub…
    Ssml(Ssml),
}

/// `<audio>`: a recording, with fallback content spoken if it cannot be played.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub src: ValueOrExpr,
    pub fetch: FetchAttrs,
    pub fallback: Vec<PromptNode>,
    pub span: Span,
}

/// `strength` of `<break>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakStrength {
    None,
    XWeak,
    Weak,
    Medium,
    Strong,
    XStrong,
}

/// Which SSML container an [`Ssml`] node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsmlKind {
    Emphasis,
    SayAs,
    Prosody,
    /// `s` / `sentence`.
    Sentence,
    /// `p` / `paragraph`.
    Paragraph,
    Voice,
    Sub,
    Phoneme,
    Lexicon,
    Metadata,
    Desc,
}

impl SsmlKind {
    /// The kind of an SSML element name, if it is one.
    pub fn from_name(name: &str) -> Option<SsmlKind> {
        Some(match name {
            "emphasis" => SsmlKind::Emphasis,
            "say-as" => SsmlKind::SayAs,
            "prosody" => SsmlKind::Prosody,
            "s" | "sentence" => SsmlKind::Sentence,
            "p" | "paragraph" => SsmlKind::Paragraph,
            "voice" => SsmlKind::Voice,
            "sub" => SsmlKind::Sub,
            "phoneme" => SsmlKind::Phoneme,
            "lexicon" => SsmlKind::Lexicon,
            "metadata" => SsmlKind::Metadata,
            "desc" => SsmlKind::Desc,
            _ => return None,
        })
    }
}

/// An SSML container element with its attributes as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ssml {
    pub kind: SsmlKind,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<PromptNode>,
    pub span: Span,
}

impl Ssml {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
