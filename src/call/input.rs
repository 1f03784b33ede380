//! Caller input tokens: a DTMF string such as `1` or `1234#`,
//! `say:<words>` or `say <words>` for an utterance, `noinput`, `nomatch`,
//! `help`, `hangup`, and what a simulated caller does at a `<record>`
//! (`record:3s`, `record:3s:#`, `record:path/to/message.wav`) or a
//! `<transfer>` (`transfer:busy`, `transfer:far_end_disconnect:30s`, …).
//! Keywords are case-insensitive (`Say`, `NOINPUT`), and so are the DTMF
//! letters (`a` is the key `A`). Tokens are consumed in order, one per input
//! collection.
//!
//! [`Token::from_str`] is the one parser of a token: `--input`, scenarios,
//! piped lines and the terminal all go through it, so a spelling accepted in
//! one place is accepted in all.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::vxml::parse_time;

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
    /// What the caller leaves at a `<record>`.
    Record(Recording),
    /// How a `<transfer>` the application makes turns out.
    Transfer(TransferOutcome),
    /// The caller hangs up.
    Hangup,
}

/// A simulated recording (`record:…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recording {
    /// The caller speaks for `length` (then falls silent), or presses
    /// `term` after it (`record:3s:#`).
    Speech {
        /// How long the caller speaks.
        length: Duration,
        /// The key pressed after speaking, if any.
        term: Option<char>,
    },
    /// The caller's message is this WAVE file (`record:msg.wav`).
    File(PathBuf),
}

/// The outcome of a `<transfer>` (`transfer:<outcome>[:<duration>]`), the
/// values of VoiceXML 2.0 §2.3.7 (`connection.disconnect.transfer` is what
/// a blind transfer does whatever the token says).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferResult {
    /// The far end was busy.
    Busy,
    /// Nobody answered within `connecttimeout`.
    NoAnswer,
    /// The network refused the call.
    NetworkBusy,
    /// Connected; the far end hung up.
    FarEndDisconnect,
    /// Connected; the caller ended it (hangup or hotword).
    NearEndDisconnect,
    /// Connected; `maxtime` ended it.
    MaxtimeDisconnect,
    /// Some other outcome.
    Unknown,
}

impl TransferResult {
    /// Every outcome.
    pub const ALL: [TransferResult; 7] = [
        TransferResult::Busy,
        TransferResult::NoAnswer,
        TransferResult::NetworkBusy,
        TransferResult::FarEndDisconnect,
        TransferResult::NearEndDisconnect,
        TransferResult::MaxtimeDisconnect,
        TransferResult::Unknown,
    ];

    /// The value the transfer's form item variable gets.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferResult::Busy => "busy",
            TransferResult::NoAnswer => "noanswer",
            TransferResult::NetworkBusy => "network_busy",
            TransferResult::FarEndDisconnect => "far_end_disconnect",
            TransferResult::NearEndDisconnect => "near_end_disconnect",
            TransferResult::MaxtimeDisconnect => "maxtime_disconnect",
            TransferResult::Unknown => "unknown",
        }
    }

    /// Whether the far end was connected (the call has a duration).
    pub fn connected(self) -> bool {
        matches!(
            self,
            TransferResult::FarEndDisconnect
                | TransferResult::NearEndDisconnect
                | TransferResult::MaxtimeDisconnect
        )
    }
}

/// A `transfer:` token: the outcome and, for a connected call, how long it
/// lasted (`None`: the transfer's `maxtime` for `maxtime_disconnect`, else 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferOutcome {
    /// How the transfer ended.
    pub result: TransferResult,
    /// How long a connected call lasted, if the token says.
    pub duration: Option<Duration>,
}

/// A token that is none of the forms above.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// An empty token.
    #[error("empty input token")]
    Empty,
    /// `say` with no words.
    #[error("`say` needs words after it")]
    EmptyUtterance,
    #[error(
        "bad record token `{0}`: expected `record:<time>` (`record:3s`), `record:<time>:<key>` (`record:3s:#`) or `record:<file.wav>`"
    )]
    /// A `record:` token that is none of its forms.
    Record(String),
    #[error(
        "bad transfer token `{0}`: expected `transfer:<outcome>[:<time>]` with outcome busy, noanswer, network_busy, far_end_disconnect, near_end_disconnect, maxtime_disconnect or unknown"
    )]
    /// A `transfer:` token that is none of its forms.
    Transfer(String),
    #[error(
        "bad input token `{0}`: expected DTMF keys (0-9 * # A-D), `say <words>` (or `say:<words>`), `noinput`, `nomatch`, `help`, `record:<time>`, `transfer:<outcome>` or `hangup`"
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
        if let Some(words) = utterance(s) {
            return if words.is_empty() {
                Err(InputError::EmptyUtterance)
            } else {
                Ok(Token::Say(words.to_string()))
            };
        }
        if let Some(rest) = strip_keyword(s, "record:") {
            return parse_record(rest.trim())
                .map(Token::Record)
                .ok_or_else(|| InputError::Record(s.to_string()));
        }
        if let Some(rest) = strip_keyword(s, "transfer:") {
            return parse_transfer(rest.trim())
                .map(Token::Transfer)
                .ok_or_else(|| InputError::Transfer(s.to_string()));
        }
        let keyword = s.to_ascii_lowercase();
        match keyword.as_str() {
            "noinput" => return Ok(Token::NoInput),
            "nomatch" => return Ok(Token::NoMatch),
            "help" => return Ok(Token::Help),
            "hangup" => return Ok(Token::Hangup),
            _ => {}
        }
        if s.chars().all(is_dtmf_key) {
            Ok(Token::Dtmf(s.to_ascii_uppercase()))
        } else {
            Err(InputError::Unknown(s.to_string()))
        }
    }
}

/// The words of an utterance token — `say:<words>` or `say <words>`, `say`
/// in any case — trimmed (empty for a bare `say`); `None` for any other token.
/// `sayyes` is no utterance.
fn utterance(s: &str) -> Option<&str> {
    let head = s.get(..3)?;
    if !head.eq_ignore_ascii_case("say") {
        return None;
    }
    let rest = &s[3..];
    if let Some(words) = rest.strip_prefix(':') {
        Some(words.trim())
    } else if rest.is_empty() || rest.starts_with(char::is_whitespace) {
        Some(rest.trim())
    } else {
        None
    }
}

/// `s` without `prefix` (a keyword and its colon, in any case).
fn strip_keyword<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `3s`, `3s:#`, or a path (anything else that is not empty).
fn parse_record(rest: &str) -> Option<Recording> {
    if rest.is_empty() {
        return None;
    }
    if let Some(length) = parse_time(rest) {
        return Some(Recording::Speech { length, term: None });
    }
    if let Some((time, key)) = rest.rsplit_once(':')
        && let Some(length) = parse_time(time)
    {
        let mut keys = key.trim().chars();
        return match (keys.next(), keys.next()) {
            (Some(k), None) if is_dtmf_key(k) => Some(Recording::Speech {
                length,
                term: Some(k),
            }),
            _ => None,
        };
    }
    // What looks like a time but is none (`record:3x`) is a mistake, not a file.
    let stem = rest.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if !stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    Some(Recording::File(PathBuf::from(rest)))
}

/// `busy`, `far_end_disconnect:30s`, …
fn parse_transfer(rest: &str) -> Option<TransferOutcome> {
    let (name, time) = match rest.split_once(':') {
        Some((n, t)) => (n.trim(), Some(parse_time(t)?)),
        None => (rest, None),
    };
    let result = TransferResult::ALL
        .into_iter()
        .find(|r| r.as_str() == name)?;
    Some(TransferOutcome {
        result,
        duration: time,
    })
}

fn is_dtmf_key(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D' | 'a'..='d')
}

impl Token {
    /// The token as a person types it at the `>` prompt, for transcripts:
    /// `say large` rather than the list form `say:large`.
    pub fn typed(&self) -> String {
        match self {
            Token::Say(words) => format!("say {words}"),
            token => token.to_string(),
        }
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Dtmf(keys) => f.write_str(keys),
            Token::Say(words) => write!(f, "say:{words}"),
            Token::NoInput => f.write_str("noinput"),
            Token::NoMatch => f.write_str("nomatch"),
            Token::Help => f.write_str("help"),
            Token::Record(Recording::Speech { length, term }) => {
                write!(f, "record:{}ms", length.as_millis())?;
                match term {
                    Some(k) => write!(f, ":{k}"),
                    None => Ok(()),
                }
            }
            Token::Record(Recording::File(path)) => write!(f, "record:{}", path.display()),
            Token::Transfer(t) => {
                write!(f, "transfer:{}", t.result.as_str())?;
                match t.duration {
                    Some(d) => write!(f, ":{}ms", d.as_millis()),
                    None => Ok(()),
                }
            }
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
    /// (`1,say two words`); without one, a word that is no token on its own
    /// continues the utterance before it, so `say large deep dish 1` (or
    /// `say:large deep dish 1`) is an utterance of three words then the key
    /// `1`. The first word after a bare `say` always belongs to it.
    pub fn parse_list(list: &str) -> Result<CallerInput, InputError> {
        if list.contains(',') {
            let parts: Vec<&str> = list.split(',').collect();
            return CallerInput::parse(&parts);
        }
        let mut parts: Vec<String> = Vec::new();
        for word in list.split_whitespace() {
            match parts.last_mut() {
                Some(last)
                    if utterance(last).is_some_and(str::is_empty)
                        || (utterance(last).is_some() && word.parse::<Token>().is_err()) =>
                {
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
    fn say_with_a_space_and_keywords_in_any_case() {
        assert_eq!("say large".parse(), Ok(Token::Say("large".into())));
        assert_eq!("Say delivery".parse(), Ok(Token::Say("delivery".into())));
        assert_eq!(
            "SAY:Yes please".parse(),
            Ok(Token::Say("Yes please".into()))
        );
        assert_eq!("NoInput".parse(), Ok(Token::NoInput));
        assert_eq!("NOMATCH".parse(), Ok(Token::NoMatch));
        assert_eq!("Hangup".parse(), Ok(Token::Hangup));
        assert_eq!("1a#".parse(), Ok(Token::Dtmf("1A#".into())));
        assert_eq!("say".parse::<Token>(), Err(InputError::EmptyUtterance));
        assert!(matches!(
            "sayyes".parse::<Token>(),
            Err(InputError::Unknown(_))
        ));
    }

    #[test]
    fn record_and_transfer_tokens_parse() {
        let secs = Duration::from_secs;
        assert_eq!(
            "record:3s".parse(),
            Ok(Token::Record(Recording::Speech {
                length: secs(3),
                term: None
            }))
        );
        assert_eq!(
            "record:2500ms:#".parse(),
            Ok(Token::Record(Recording::Speech {
                length: Duration::from_millis(2500),
                term: Some('#')
            }))
        );
        assert_eq!(
            "record:msgs/hello.wav".parse(),
            Ok(Token::Record(Recording::File("msgs/hello.wav".into())))
        );
        for bad in ["record:", "record:3x", "record:3s:xy", "record:3s:z"] {
            assert!(
                matches!(bad.parse::<Token>(), Err(InputError::Record(_))),
                "{bad}"
            );
        }
        for r in TransferResult::ALL {
            assert_eq!(
                format!("transfer:{}", r.as_str()).parse(),
                Ok(Token::Transfer(TransferOutcome {
                    result: r,
                    duration: None
                }))
            );
        }
        assert_eq!(
            "transfer:far_end_disconnect:30s".parse(),
            Ok(Token::Transfer(TransferOutcome {
                result: TransferResult::FarEndDisconnect,
                duration: Some(secs(30))
            }))
        );
        for bad in ["transfer:", "transfer:ringing", "transfer:busy:soon"] {
            assert!(
                matches!(bad.parse::<Token>(), Err(InputError::Transfer(_))),
                "{bad}"
            );
        }
        for t in [
            "record:3000ms",
            "record:1500ms:#",
            "record:a.wav",
            "transfer:busy",
            "transfer:near_end_disconnect:2000ms",
        ] {
            assert_eq!(t.parse::<Token>().map(|t| t.to_string()).as_deref(), Ok(t));
        }
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
        // `say <words>` in a list, with or without commas.
        let c = CallerInput::parse_list("say large deep dish 1 Say 2 noinput").expect("valid");
        assert_eq!(
            c,
            CallerInput::new([
                Token::Say("large deep dish".into()),
                Token::Dtmf("1".into()),
                Token::Say("2".into()),
                Token::NoInput
            ])
        );
        let c = CallerInput::parse_list("1,say large pepperoni").expect("valid");
        assert_eq!(
            c,
            CallerInput::new([
                Token::Dtmf("1".into()),
                Token::Say("large pepperoni".into())
            ])
        );
    }
}
