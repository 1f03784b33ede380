//! Where a call's caller input comes from: [`InputSource`], one token per
//! input collection. [`CallerInput`] (a scripted list) is one; [`LineCaller`]
//! (a person at a terminal, or lines piped in) is another.

use std::future::{Future, ready};
use std::io::{BufRead, Write};
use std::pin::Pin;

use super::input::{CallerInput, InputError, Token};

/// The caller of one call. The interpreter asks for a token each time it
/// collects input, and waits for it. Moved to the worker thread that runs
/// the call, hence `Send`; its futures are polled there.
pub trait InputSource: Send {
    /// What the caller does at the next input collection. A source that has
    /// nothing more to give answers [`Token::Hangup`].
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>>;
}

impl InputSource for CallerInput {
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>> {
        Box::pin(ready(CallerInput::next_token(self)))
    }
}

/// What a line-reading caller may type, for the hint after a bad line.
pub const LINE_HINT: &str =
    "type DTMF keys (0-9 * # A-D), `say <words>`, `noinput`, `nomatch`, `help` or `hangup`";

/// Parses one typed line: a token, as everywhere else.
pub fn parse_line(line: &str) -> Result<Token, InputError> {
    line.parse()
}

/// The one line shown after a bad line: what was wrong, and what works.
fn hint(e: &InputError) -> String {
    match e {
        InputError::Unknown(line) => format!("not understood: `{line}`; {LINE_HINT}"),
        e => format!("{e}; {LINE_HINT}"),
    }
}

/// A caller who types a token a line: from a terminal (with a `> ` prompt
/// written before each read) or from a pipe (no prompt).
///
/// A line is read only when the call asks for input, so a terminal user
/// sees the prompts played so far before typing, and a pipe can follow the
/// call. Blank lines are skipped; a bad line gets a one-line hint on
/// `prompt_out` and is asked again; the end of input hangs up. Reading
/// blocks, which is fine: the call has its worker to itself and nothing else
/// to do until the caller answers.
pub struct LineCaller<R, W> {
    lines: R,
    prompt_out: W,
    /// Write `> ` before each read (a person is typing).
    interactive: bool,
}

impl<R: BufRead + Send, W: Write + Send> LineCaller<R, W> {
    /// Reads from `lines`; hints (and, when `interactive`, the `> ` prompt)
    /// go to `prompt_out`.
    pub fn new(lines: R, prompt_out: W, interactive: bool) -> LineCaller<R, W> {
        LineCaller {
            lines,
            prompt_out,
            interactive,
        }
    }

    /// Whether a person is typing (a `> ` prompt before each read).
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// The next token, as [`InputSource::next_token`] without the future.
    pub fn read_token(&mut self) -> Token {
        let mut line = String::new();
        loop {
            if self.interactive {
                // A prompt that cannot be shown does not stop the caller typing.
                let _ = write!(self.prompt_out, "> ");
                let _ = self.prompt_out.flush();
            }
            line.clear();
            match self.lines.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    if self.interactive {
                        // End the `> ` line the terminal left open.
                        let _ = writeln!(self.prompt_out, "hangup");
                    }
                    return Token::Hangup;
                }
                Ok(_) if line.trim().is_empty() => continue,
                Ok(_) => match parse_line(&line) {
                    Ok(token) => return token,
                    Err(e) => {
                        let _ = writeln!(self.prompt_out, "{}", hint(&e));
                    }
                },
            }
        }
    }
}

impl<R: BufRead + Send, W: Write + Send> InputSource for LineCaller<R, W> {
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>> {
        Box::pin(ready(self.read_token()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scripted_input_is_a_source_that_hangs_up_at_the_end() {
        let mut input = CallerInput::parse(&["1", "noinput"]).expect("tokens");
        let source: &mut dyn InputSource = &mut input;
        assert_eq!(source.next_token().await, Token::Dtmf("1".into()));
        assert_eq!(source.next_token().await, Token::NoInput);
        assert_eq!(source.next_token().await, Token::Hangup);
    }

    #[test]
    fn a_typed_line_is_a_token_or_say_with_a_space() {
        assert_eq!(parse_line(" 12# \n"), Ok(Token::Dtmf("12#".into())));
        assert_eq!(
            parse_line("say large pepperoni\n"),
            Ok(Token::Say("large pepperoni".into()))
        );
        assert_eq!(parse_line("say:yes"), Ok(Token::Say("yes".into())));
        assert_eq!(parse_line("nomatch"), Ok(Token::NoMatch));
        assert_eq!(parse_line("say "), Err(InputError::EmptyUtterance));
        // `sayyes` is not `say yes`.
        assert!(matches!(parse_line("sayyes"), Err(InputError::Unknown(_))));
    }

    #[tokio::test]
    async fn an_interactive_caller_is_prompted_hinted_and_hangs_up_at_eof() {
        let typed = "\n1\nbogus!\nsay two words\n";
        let mut out = Vec::new();
        let mut caller = LineCaller::new(typed.as_bytes(), &mut out, true);
        assert_eq!(caller.next_token().await, Token::Dtmf("1".into()));
        assert_eq!(caller.next_token().await, Token::Say("two words".into()));
        assert_eq!(caller.next_token().await, Token::Hangup);
        let shown = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            shown,
            format!("> > > not understood: `bogus!`; {LINE_HINT}\n> > hangup\n")
        );
    }

    #[test]
    fn a_piped_caller_gets_no_prompt_but_still_the_hint() {
        let mut out = Vec::new();
        let mut caller = LineCaller::new("x\nhangup\n".as_bytes(), &mut out, false);
        assert_eq!(caller.read_token(), Token::Hangup);
        let shown = String::from_utf8(out).expect("utf-8");
        assert_eq!(shown, format!("not understood: `x`; {LINE_HINT}\n"));
    }
}
