//! Tokens: what an utterance, a DTMF string and a grammar's text are cut into
//! before matching.
//!
//! Grammar text and caller input go through the same functions, so that both
//! sides agree on what a word is: `Yes, please!` and `<item>yes please</item>`
//! both become `yes` `please`.

use super::model::Mode;

/// One token of input: its spelling as given (for `utterance` and
/// `meta.text`) and the key it is compared by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub text: Box<str>,
    pub key: Box<str>,
}

/// Cuts an utterance (or a voice grammar's text) into words.
///
/// Words are runs of letters and digits; an apostrophe inside a word
/// (`o'clock`, `don't`) and a point between digits (`3.5`) belong to it;
/// a change between letters and digits starts a new word (`3pm` is `3` `pm`,
/// `15th` is `15` `th`); everything else (spaces, punctuation, hyphens)
/// separates words. Keys are lower case.
pub(crate) fn words(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<Token>| {
        if !current.is_empty() {
            out.push(Token {
                key: current.to_lowercase().into(),
                text: std::mem::take(current).into(),
            });
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let joins = if c.is_alphanumeric() {
            if let Some(p) = current.chars().last()
                && p.is_alphanumeric()
                && p.is_numeric() != c.is_numeric()
            {
                flush(&mut current, &mut out);
            }
            true
        } else if c == '\'' || c == '\u{2019}' {
            prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphabetic)
        } else if c == '.' {
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit())
        } else {
            false
        };
        if joins {
            // A typographic apostrophe is kept as the ASCII one so both spell the same key.
            current.push(if c == '\u{2019}' { '\'' } else { c });
        } else {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Cuts a DTMF string (or a DTMF grammar's text) into keys, one per
/// character; whitespace is ignored and `a`-`d` are the keys `A`-`D`.
/// Returns the first character that is not a DTMF key as the error.
pub(crate) fn dtmf_keys(text: &str) -> Result<Vec<Token>, char> {
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let key = match c {
            '0'..='9' | '*' | '#' | 'A'..='D' => c,
            'a'..='d' => c.to_ascii_uppercase(),
            other => return Err(other),
        };
        let s: Box<str> = key.to_string().into();
        out.push(Token {
            text: s.clone(),
            key: s,
        });
    }
    Ok(out)
}

/// Tokens of `text` in `mode`.
pub(crate) fn tokens(text: &str, mode: Mode) -> Result<Vec<Token>, char> {
    match mode {
        Mode::Voice => Ok(words(text)),
        Mode::Dtmf => dtmf_keys(text),
    }
}

/// The text of a run of tokens as SISR's `meta.text` has it: tokens joined
/// by single spaces.
pub(crate) fn join(tokens: &[Token]) -> String {
    let mut s = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        words(text).into_iter().map(|t| t.key.into()).collect()
    }

    #[test]
    fn words_are_lower_cased_and_stripped_of_punctuation() {
        assert_eq!(keys("  Yes,   PLEASE! "), ["yes", "please"]);
        assert_eq!(keys("twenty-three"), ["twenty", "three"]);
        assert_eq!(keys("\"New York\" city."), ["new", "york", "city"]);
    }

    #[test]
    fn apostrophes_inside_words_and_decimal_points_are_kept() {
        assert_eq!(keys("seven o'clock"), ["seven", "o'clock"]);
        assert_eq!(keys("it\u{2019}s 'quoted'"), ["it's", "quoted"]);
        assert_eq!(keys("3.5 and 4. then .5"), ["3.5", "and", "4", "then", "5"]);
    }

    #[test]
    fn letters_and_digits_split_into_separate_words() {
        assert_eq!(
            keys("3pm on the 15th"),
            ["3", "pm", "on", "the", "15", "th"]
        );
        assert_eq!(keys("2:30"), ["2", "30"]);
    }

    #[test]
    fn original_spelling_is_kept_for_text() {
        let t = words("Large Pepperoni");
        assert_eq!(join(&t), "Large Pepperoni");
        assert_eq!(&*t[0].key, "large");
    }

    #[test]
    fn dtmf_keys_are_single_characters() {
        let k: Vec<String> = dtmf_keys("12 3*#ab")
            .expect("valid keys")
            .into_iter()
            .map(|t| t.key.into())
            .collect();
        assert_eq!(k, ["1", "2", "3", "*", "#", "A", "B"]);
        assert_eq!(dtmf_keys("12x"), Err('x'));
        assert_eq!(dtmf_keys("").map(|v| v.len()), Ok(0));
    }
}
