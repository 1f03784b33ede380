//! VoiceXML documents: parsing bytes into an owned, typed model.
//!
//! [`parse`] turns the bytes of a fetched document into a [`Document`] that
//! owns all its data (it is `Send + Sync`, so the cache keeps it as the parsed
//! form of the resource behind an `Arc` and many calls share it). Every
//! element carries the [`Span`] of its start tag; every refusal is a
//! [`ParseError`] naming the source, line, column and cause, and raises
//! `error.badfetch` in the interpreter.
//!
//! Layout: [`model`] (documents, dialogs, form items), [`exec`] (executable
//! content), [`prompt`] (prompts and SSML), [`xml`] (owned XML subtrees for
//! inline grammars), `parser` (the checks), `decode` (bytes to text).

mod attrs;
mod decode;
mod error;
pub mod exec;
pub mod model;
mod parser;
pub mod prompt;
pub mod xml;

pub use attrs::parse_time;
pub use error::{ParseError, ParseErrorKind, Slip};
pub use exec::Executable;
pub use model::*;
pub use parser::{MAX_DEPTH, MAX_NODES};
pub use prompt::{Prompt, PromptNode};

/// Parses a VoiceXML document from its bytes. `source_name` (file name or
/// URL) only labels errors and [`Document::source`].
pub fn parse(bytes: &[u8], source_name: &str) -> Result<Document, ParseError> {
    let text = decode::decode(bytes).map_err(|(message, offset)| {
        // Everything before the offending byte decoded, so it locates the error.
        let prefix = bytes
            .get(..offset)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("");
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ParseError {
            source_name: source_name.to_string(),
            span: Span {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            },
            kind: ParseErrorKind::Encoding(message),
            line_text: None,
        }
    })?;
    parser::parse_text(&text, source_name)
}

/// Parses a VoiceXML document already held as text.
pub fn parse_str(text: &str, source_name: &str) -> Result<Document, ParseError> {
    parser::parse_text(text, source_name)
}

// The cache shares parsed documents across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Document>();
};

#[cfg(test)]
mod tests;
