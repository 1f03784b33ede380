//! Where a call's caller input comes from: [`InputSource`], one token per
//! input collection. [`CallerInput`] (a scripted list) is one; an
//! interactive terminal is another (a later issue).

use std::future::{Future, ready};
use std::pin::Pin;

use super::input::{CallerInput, Token};

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
}
