//! Caller input tokens (spec §1): a DTMF string such as `1` or `1234#`,
//! `say:<words>` for an utterance, `noinput`, `nomatch`, `help`, `hangup`.
//! Tokens are consumed in order, one per input collection.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

/// One thing the caller does at one input collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// Keys pressed: `0`–`9`, `*`, `#`, `A`–`D`.
    Dtmf(String),
    /// Words spoken, matched as text against the active speech grammars.
    Say(String),
    /// The caller says nothing until the timeout.
    NoInput,
    /// The caller says something no active grammar matches.
    NoMatch,
    /// The caller asks for help (VoiceXML 2.0 §5.2.2: the `help` event).
    Help,
    /// The caller hangs up.
    Hangup,
}

/// A token that is none of the forms of spec §1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// An empty token.
    #[error("empty input token")]
    Empty,
    /// `say:` with no words.
    #[error("`say:` needs words after it")]
    EmptyUtterance,
    #[error(
        "bad input token `{0}`: expected DTMF keys (0-9 * # A-D), `say:<words>`, `noinput`, `nomatch`, `help` or `hangup`"
    )]
    /// Something that is no token, as written.
    Unknown(String),
}

impl FromStr for Token {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Token, InputError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InputError::Empty);
        }
        if let Some(words) = s.strip_prefix("say:") {
            let words = words.trim();
            return if words.is_empty() {
                Err(InputError::EmptyUtterance)
            } else {
                Ok(Token::Say(words.to_string()))
            };
        }
        match s {
            "noinput" => return Ok(Token::NoInput),
            "nomatch" => return Ok(Token::NoMatch),
            "help" => return Ok(Token::Help),
            "hangup" => return Ok(Token::Hangup),
            _ => {}
        }
        if s.chars().all(is_dtmf_key) {
            Ok(Token::Dtmf(s.to_string()))
        } else {
            Err(InputError::Unknown(s.to_string()))
        }
    }
}

fn is_dtmf_key(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D')
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Dtmf(keys) => f.write_str(keys),
            Token::Say(words) => write!(f, "say:{words}"),
            Token::NoInput => f.write_str("noinput"),
            Token::NoMatch => f.write_str("nomatch"),
            Token::Help => f.write_str("help"),
            Token::Hangup => f.write_str("hangup"),
        }
    }
}

/// The scripted caller of one call: tokens consumed in order. When the
/// script runs out the caller hangs up, so an unattended call always ends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallerInput {
    tokens: VecDeque<Token>,
}

impl CallerInput {
    /// A caller who will do `tokens`, in order.
    pub fn new(tokens: impl IntoIterator<Item = Token>) -> CallerInput {
        CallerInput {
            tokens: tokens.into_iter().collect(),
        }
    }

    /// Parses each string as a token (the `--input` list, or a scenario's `input`).
    pub fn parse<S: AsRef<str>>(tokens: &[S]) -> Result<CallerInput, InputError> {
        tokens
            .iter()
            .map(|t| t.as_ref().parse())
            .collect::<Result<Vec<Token>, _>>()
            .map(CallerInput::new)
    }

    /// Parses a `--input` argument: tokens separated by commas or whitespace.
    /// When the argument has a comma only commas separate tokens
    /// (`1,say:two words`); without one, a word that is no token on its own
    /// continues the `say:` utterance before it, so `say:large deep dish 1`
    /// is an utterance of three words then the key `1`.
    pub fn parse_list(list: &str) -> Result<CallerInput, InputError> {
        if list.contains(',') {
            let parts: Vec<&str> = list.split(',').collect();
            return CallerInput::parse(&parts);
        }
        let mut parts: Vec<String> = Vec::new();
        for word in list.split_whitespace() {
            match parts.last_mut() {
                Some(last) if last.starts_with("say:") && word.parse::<Token>().is_err() => {
                    last.push(' ');
                    last.push_str(word);
                }
                _ => parts.push(word.to_string()),
            }
        }
        CallerInput::parse(&parts)
    }

    /// The next token; `Hangup` once the script is exhausted.
    pub fn next_token(&mut self) -> Token {
        self.tokens.pop_front().unwrap_or(Token::Hangup)
    }

    /// Tokens not consumed yet.
    pub fn remaining(&self) -> usize {
        self.tokens.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses() {
        assert_eq!("1".parse(), Ok(Token::Dtmf("1".into())));
        assert_eq!("1234#".parse(), Ok(Token::Dtmf("1234#".into())));
        assert_eq!("*9A".parse(), Ok(Token::Dtmf("*9A".into())));
        assert_eq!("say:chicago".parse(), Ok(Token::Say("chicago".into())));
        assert_eq!(
            "say: large pepperoni ".parse(),
            Ok(Token::Say("large pepperoni".into()))
        );
        assert_eq!("noinput".parse(), Ok(Token::NoInput));
        assert_eq!("nomatch".parse(), Ok(Token::NoMatch));
        assert_eq!("help".parse(), Ok(Token::Help));
        assert_eq!("hangup".parse(), Ok(Token::Hangup));
    }

    #[test]
    fn bad_tokens_are_refused_with_the_token() {
        assert_eq!("".parse::<Token>(), Err(InputError::Empty));
        assert_eq!("say:".parse::<Token>(), Err(InputError::EmptyUtterance));
        let e = "12x".parse::<Token>().expect_err("not DTMF");
        assert!(e.to_string().contains("`12x`"), "{e}");
    }

    #[test]
    fn display_round_trips() {
        for t in [
            "1#",
            "say:two words",
            "noinput",
            "nomatch",
            "help",
            "hangup",
        ] {
            assert_eq!(t.parse::<Token>().map(|t| t.to_string()).as_deref(), Ok(t));
        }
    }

    #[test]
    fn caller_hangs_up_when_the_script_runs_out() {
        let mut c = CallerInput::parse(&["1", "say:yes"]).expect("valid tokens");
        assert_eq!(c.remaining(), 2);
        assert_eq!(c.next_token(), Token::Dtmf("1".into()));
        assert_eq!(c.next_token(), Token::Say("yes".into()));
        assert_eq!(c.next_token(), Token::Hangup);
        assert_eq!(c.next_token(), Token::Hangup);
    }

    #[test]
    fn input_lists() {
        let c = CallerInput::parse_list("1,say:large pepperoni,noinput").expect("valid");
        assert_eq!(
            c,
            CallerInput::new([
                Token::Dtmf("1".into()),
                Token::Say("large pepperoni".into()),
                Token::NoInput
            ])
        );
        let c = CallerInput::parse_list("1 2 hangup").expect("valid");
        assert_eq!(c.remaining(), 3);
        assert!(CallerInput::parse_list("1,bogus!").is_err());
        // Without commas, words that are no token continue an utterance.
        let c = CallerInput::parse_list("say:large deep dish 1 say:yes noinput").expect("valid");
        assert_eq!(
            c,
            CallerInput::new([
                Token::Say("large deep dish".into()),
                Token::Dtmf("1".into()),
                Token::Say("yes".into()),
                Token::NoInput
            ])
        );
        assert!(CallerInput::parse_list("1 bogus!").is_err());
    }
}
