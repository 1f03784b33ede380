//! Grammars and matching: what a simulated caller's input means.
//!
//! The interpreter asks one question — given these active grammars and this
//! input, which grammar matched and what does the input mean? — and this
//! module answers it with no I/O of its own:
//!
//! 1. [`Grammar::parse`] / [`Grammar::parse_inline`] compile SRGS 1.0 XML
//!    (voice or DTMF) into an owned, `Send + Sync` form, the parsed form of
//!    a grammar cache entry; [`Grammar::builtin`] and
//!    [`Grammar::for_field_type`] make the builtin grammars of VoiceXML 2.0
//!    Appendix P; [`Grammar::from_phrases`] the grammars of a field's
//!    `<option>`s, a menu's `<choice>`s and `dtmf` attributes.
//! 2. [`ActiveGrammar::link`] resolves `<ruleref>`s to other grammars
//!    through a [`GrammarLoader`] over grammars the interpreter fetched
//!    (their URLs: [`Grammar::external_refs`]); [`ActiveGrammar::new`] for a
//!    grammar with none.
//! 3. [`match_input`] matches an [`Input`] against the active grammars and
//!    returns the first that matches with its SISR 1.0 interpretation.
//!
//! Input handling, as the interpreter should feed it:
//! - Voice (`say:<words>`): the utterance is cut into words (case,
//!   punctuation and hyphens ignored; see `tokens.rs`) and the root rule must
//!   cover all of them — there are no partial matches.
//! - DTMF: one token per key `0-9 * # A-D`. **The interpreter strips the
//!   terminating character** (the `termchar` property, `#` by default) before
//!   matching, as VoiceXML 2.0 §6.3.3 has it not be part of the input: `1234#`
//!   is matched as `1234`. A grammar that wants `#` as a token gets it when
//!   the interpreter leaves it in (with `termchar` set to another key or
//!   none).
//! - An empty input or one longer than [`MAX_INPUT_TOKENS`] tokens matches
//!   nothing (`noinput` is the interpreter's to raise, not this module's).
//!
//! The values come as `serde_json::Value` (string, number, bool, object,
//! array), for the interpreter to convert into its script engine.

mod abnf;
mod builder;
mod builtin;
mod error;
mod link;
mod matcher;
mod model;
mod phrases;
mod sisr;
mod srgs;
mod tokens;

use serde_json::Value;
use url::Url;

pub use error::{Cause, GrammarError, Pos};
pub use link::{ActiveGrammar, GrammarLoader};
pub use model::{Grammar, Mode, TagFormat};
pub use phrases::Phrase;

use builtin::Builtin;
use model::{Node, Rule};

/// Inputs with more tokens than this match no grammar. Callers are
/// simulated; a longer utterance is a mistake, and the bound keeps matching
/// cheap whatever the input.
pub const MAX_INPUT_TOKENS: usize = 100;

impl Grammar {
    /// Compiles a fetched SRGS grammar found at `url`, in the XML form or
    /// the ABNF form (which identifies itself with `#ABNF`); any other text
    /// is [`GrammarError::UnsupportedFormat`] (`error.unsupported.format`).
    ///
    /// `mode_hint` is the mode to assume when the grammar declares none
    /// (the VoiceXML `<grammar mode>`); the grammar's own `mode` wins when
    /// present; without either the grammar is a voice grammar. Other errors
    /// carry `url` with line and column and are `error.badfetch`.
    pub fn parse(text: &str, url: &Url, mode_hint: Option<Mode>) -> Result<Grammar, GrammarError> {
        Grammar::parse_inline(text, url, mode_hint, Pos::START)
    }

    /// Compiles an inline `<grammar>`'s text — an element's XML, or ABNF
    /// — cut out of the VoiceXML document at `url` where it starts at `at`:
    /// errors then name the document's line and column. An XML element may
    /// be in the SRGS namespace, the VoiceXML one, or none.
    pub fn parse_inline(
        text: &str,
        url: &Url,
        mode_hint: Option<Mode>,
        at: Pos,
    ) -> Result<Grammar, GrammarError> {
        Grammar::parse_inline_based(text, url, url, mode_hint, at)
    }

    /// As [`Grammar::parse_inline`], for a grammar whose document sets a
    /// base (`xml:base`) other than its URL: an ABNF grammar's `$<uri>`
    /// references resolve against `base` (unless the grammar declares its
    /// own `base`). An XML grammar's text carries its `xml:base` itself.
    pub(crate) fn parse_inline_based(
        text: &str,
        url: &Url,
        base: &Url,
        mode_hint: Option<Mode>,
        at: Pos,
    ) -> Result<Grammar, GrammarError> {
        let body = text.trim_start_matches('\u{feff}').trim_start();
        if abnf::is_abnf(body) {
            abnf::compile(text, url, base, mode_hint, at)
        } else if body.starts_with('<') {
            srgs::compile(text, url, mode_hint, at)
        } else {
            Err(GrammarError::UnsupportedFormat {
                url: url.to_string(),
                reason: "neither SRGS XML nor SRGS ABNF (which starts with `#ABNF 1.0;`)".into(),
            })
        }
    }

    /// Compiles an inline `<grammar>` element of a VoiceXML document the
    /// interpreter parsed with roxmltree (the document at `url`): positions
    /// in errors are the document's, namespaces and `xml:base` are those in
    /// force at the element. Prefer this to [`Grammar::parse_inline`] when
    /// the element is at hand.
    pub fn from_element(
        element: roxmltree::Node<'_, '_>,
        url: &Url,
        mode_hint: Option<Mode>,
    ) -> Result<Grammar, GrammarError> {
        srgs::compile_element(element, url, mode_hint, Pos::START)
    }

    /// A builtin grammar by URI: `builtin:dtmf/digits?minlength=3;maxlength=5`,
    /// `builtin:voice/boolean` (`builtin:grammar/…` is voice too). An unknown
    /// type or parameter is [`GrammarError::Builtin`]
    /// (`error.unsupported.builtin`).
    pub fn builtin(uri: &str) -> Result<Grammar, GrammarError> {
        let b = Builtin::from_uri(uri.trim()).map_err(|reason| GrammarError::Builtin {
            spec: uri.into(),
            reason,
        })?;
        Grammar::from_builtin(b, uri)
    }

    /// The two grammars a field's `type` attribute activates (`boolean`,
    /// `digits?length=4`, `boolean?y=7;n=9`): `[dtmf, voice]`.
    pub fn for_field_type(spec: &str) -> Result<[Grammar; 2], GrammarError> {
        let spec = spec.trim();
        let make = |mode: Mode| {
            let b = Builtin::from_type(spec, mode).map_err(|reason| GrammarError::Builtin {
                spec: spec.into(),
                reason,
            })?;
            Grammar::from_builtin(b, &format!("builtin:{mode}/{spec}"))
        };
        Ok([make(Mode::Dtmf)?, make(Mode::Voice)?])
    }

    fn from_builtin(b: Builtin, uri: &str) -> Result<Grammar, GrammarError> {
        let url = Url::parse(uri.trim()).map_err(|e| GrammarError::Builtin {
            spec: uri.into(),
            reason: format!("not a URI: {e}"),
        })?;
        Ok(Grammar {
            url,
            mode: b.mode,
            tag_format: TagFormat::Literals,
            lang: None,
            root: 0,
            root_missing: None,
            rules: vec![Rule {
                name: b.name().into(),
                public: true,
                declared: true,
                body: 0,
                at: Pos::START,
            }],
            nodes: vec![Node::Builtin(Box::new(b))],
            tags: Vec::new(),
            header_tags: Vec::new(),
            externals: Vec::new(),
        })
    }
}

/// A caller's input for one collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// DTMF keys, without the terminating character.
    Dtmf(String),
    /// An utterance's words (`say:<words>`).
    Voice(String),
}

impl Input {
    pub fn mode(&self) -> Mode {
        match self {
            Input::Dtmf(_) => Mode::Dtmf,
            Input::Voice(_) => Mode::Voice,
        }
    }
}

/// What a match means (VoiceXML `application.lastresult$`).
#[derive(Clone, Debug, PartialEq)]
pub struct Interpretation {
    /// What was matched: the keys (`"1234"`) or the words as said, joined by
    /// single spaces (`"Large pepperoni pizza"`).
    pub utterance: String,
    /// The root rule's value (SISR): a string, number, bool or object.
    pub interpretation: Value,
    /// Always 1.0: callers are simulated.
    pub confidence: f64,
    pub inputmode: Mode,
}

/// The outcome of [`match_input`].
#[derive(Clone, Debug, PartialEq)]
pub enum MatchResult {
    /// `grammar` is the index, in the slice given, of the grammar that matched.
    Match {
        grammar: usize,
        interpretation: Interpretation,
    },
    NoMatch,
}

/// Matches `input` against `grammars`, taken in the order given — the
/// interpreter lists them by VoiceXML precedence (the field's own, then the
/// form's, the document's, the application's; document order within each)
/// — and returns the first whose root rule covers all of the input. Grammars
/// of the other mode are passed over.
///
/// An error is a semantic interpretation tag that failed
/// ([`GrammarError::Script`], `error.semantic`); a tag failing in one
/// grammar does not let a later grammar match instead.
pub fn match_input(grammars: &[ActiveGrammar], input: &Input) -> Result<MatchResult, GrammarError> {
    let mode = input.mode();
    let toks = match input {
        Input::Dtmf(keys) => match tokens::dtmf_keys(keys) {
            Ok(t) => t,
            Err(_) => return Ok(MatchResult::NoMatch),
        },
        Input::Voice(words) => tokens::words(words),
    };
    if toks.is_empty() || toks.len() > MAX_INPUT_TOKENS {
        return Ok(MatchResult::NoMatch);
    }
    for (i, g) in grammars.iter().enumerate() {
        if g.mode() != mode {
            continue;
        }
        let Some(events) = matcher::derive(&g.linked, &toks) else {
            continue;
        };
        let interpretation = sisr::interpret(&g.linked, &toks, &events)?;
        let utterance = match mode {
            Mode::Dtmf => toks.iter().map(|t| &*t.key).collect(),
            Mode::Voice => tokens::join(&toks),
        };
        return Ok(MatchResult::Match {
            grammar: i,
            interpretation: Interpretation {
                utterance,
                interpretation,
                confidence: 1.0,
                inputmode: mode,
            },
        });
    }
    Ok(MatchResult::NoMatch)
}

#[cfg(test)]
mod tests;
