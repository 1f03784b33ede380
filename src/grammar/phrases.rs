//! Grammars made from phrases rather than written by an author: a field's
//! `<option>`s, a menu's `<choice>`s and the `dtmf` attributes of choices,
//! options and links (VoiceXML 2.0 §2.2, §2.3.1.3, §2.5).
//!
//! Each phrase becomes one alternative of the root rule whose value is the
//! phrase's `value` (a `semantics/1.0-literals` tag), so a match says which
//! phrase it was. The grammar is written as SRGS XML and compiled like any
//! other: one compiler, one matcher.

use std::fmt::Write as _;

use url::Url;

use super::error::{GrammarError, Pos};
use super::model::{Grammar, Mode};
use super::tokens;
use crate::vxml::xml::escape;

/// One alternative of a phrase grammar.
#[derive(Clone, Copy, Debug)]
pub struct Phrase<'a> {
    /// The words (voice) or keys (DTMF) to match.
    pub text: &'a str,
    /// What a match of this phrase means.
    pub value: &'a str,
    /// `accept="approximate"`: any of the words, in order, is enough
    /// ("pizza" matches "large pizza"); otherwise all of them.
    pub approximate: bool,
}

impl Grammar {
    /// The grammar of `phrases` in `mode`, named `url` in messages. `None`
    /// when no phrase has a word (or key) to match.
    pub fn from_phrases(
        url: &Url,
        mode: Mode,
        phrases: &[Phrase<'_>],
    ) -> Result<Option<Grammar>, GrammarError> {
        let mut items = String::new();
        for p in phrases {
            let words: Vec<String> = match mode {
                Mode::Voice => tokens::words(p.text)
                    .into_iter()
                    .map(|t| t.text.into())
                    .collect(),
                // A key that is not DTMF is the compiler's to report.
                Mode::Dtmf => p.text.split_whitespace().map(str::to_string).collect(),
            };
            if words.is_empty() {
                continue;
            }
            items.push_str("<item>");
            for w in &words {
                if p.approximate && mode == Mode::Voice {
                    let _ = write!(items, "<item repeat=\"0-1\">{}</item>", escape(w, false));
                } else {
                    let _ = write!(items, "{} ", escape(w, false));
                }
            }
            let _ = write!(items, "<tag>{}</tag></item>", escape(p.value, false));
        }
        if items.is_empty() {
            return Ok(None);
        }
        let text = format!(
            "<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" mode=\"{mode}\" \
             root=\"phrases\" tag-format=\"semantics/1.0-literals\"><rule id=\"phrases\" \
             scope=\"public\"><one-of>{items}</one-of></rule></grammar>"
        );
        super::srgs::compile(&text, url, Some(mode), Pos::START).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::grammar::{ActiveGrammar, Input, MatchResult, match_input};

    fn url() -> Url {
        Url::parse("http://h/menu.vxml").expect("url")
    }

    fn matches(mode: Mode, phrases: &[Phrase<'_>], input: Input) -> Option<serde_json::Value> {
        let g = Grammar::from_phrases(&url(), mode, phrases)
            .expect("compiles")
            .expect("has words");
        let active = ActiveGrammar::new(Arc::new(g)).expect("links");
        match match_input(&[active], &input).expect("no tag error") {
            MatchResult::Match { interpretation, .. } => Some(interpretation.interpretation),
            MatchResult::NoMatch => None,
        }
    }

    #[test]
    fn exact_phrases_need_every_word_and_say_which_matched() {
        let p = [
            Phrase {
                text: "Sports news",
                value: "0",
                approximate: false,
            },
            Phrase {
                text: "Weather & traffic",
                value: "1",
                approximate: false,
            },
        ];
        let say = |s: &str| Input::Voice(s.into());
        assert_eq!(
            matches(Mode::Voice, &p, say("sports news")),
            Some(json!("0"))
        );
        assert_eq!(
            matches(Mode::Voice, &p, say("Weather traffic")),
            Some(json!("1"))
        );
        assert_eq!(matches(Mode::Voice, &p, say("sports")), None);
    }

    #[test]
    fn approximate_phrases_take_any_of_their_words_in_order() {
        let p = [Phrase {
            text: "large pepperoni pizza",
            value: "big",
            approximate: true,
        }];
        let say = |s: &str| Input::Voice(s.into());
        assert_eq!(matches(Mode::Voice, &p, say("pizza")), Some(json!("big")));
        assert_eq!(
            matches(Mode::Voice, &p, say("large pizza")),
            Some(json!("big"))
        );
        assert_eq!(matches(Mode::Voice, &p, say("pizza large")), None);
    }

    #[test]
    fn dtmf_phrases_are_key_sequences() {
        let p = [
            Phrase {
                text: "1",
                value: "one",
                approximate: false,
            },
            Phrase {
                text: "*9",
                value: "star nine",
                approximate: false,
            },
        ];
        let dtmf = |s: &str| Input::Dtmf(s.into());
        assert_eq!(matches(Mode::Dtmf, &p, dtmf("1")), Some(json!("one")));
        assert_eq!(
            matches(Mode::Dtmf, &p, dtmf("*9")),
            Some(json!("star nine"))
        );
        assert_eq!(matches(Mode::Dtmf, &p, dtmf("9")), None);
    }

    #[test]
    fn no_words_no_grammar_and_bad_keys_are_errors() {
        let empty = [Phrase {
            text: " ,. ",
            value: "x",
            approximate: false,
        }];
        assert!(
            Grammar::from_phrases(&url(), Mode::Voice, &empty)
                .expect("fine")
                .is_none()
        );
        let bad = [Phrase {
            text: "1x",
            value: "x",
            approximate: false,
        }];
        let e = Grammar::from_phrases(&url(), Mode::Dtmf, &bad).expect_err("not DTMF");
        assert_eq!(e.event(), "error.badfetch");
        assert!(e.to_string().contains("`x` is not a DTMF key"), "{e}");
    }
}
