//! The parse hook: how the fetcher turns a body into the parsed form the
//! cache keeps, so that a hit never parses twice and a bad body never lives
//! in the cache.
//!
//! The fetcher knows nothing of VoiceXML, grammars or audio. A caller that
//! wants a parsed form passes a [`BodyParser`] with the request; on a miss or
//! refresh the fetcher parses the body *before* storing it, because the parse
//! decides three things the store must know:
//! - whether the body is stored at all (a body that does not parse is not,
//!   and the fetch fails with [`ParseFailure`]'s event and message);
//! - the `<meta http-equiv>` headers, which override the response's own
//!   and so change storability and freshness;
//! - the resources the body references, which preload follows (spec §3,
//!   "Preload").

use std::any::Any;
use std::sync::Arc;

use bytes::Bytes;
use url::Url;

use crate::cache::Parsed;
use crate::diagnostic::Diagnostic;
use crate::resource::ResourceType;

/// Parses fetched bodies of one kind (VoiceXML documents, say). Called at
/// most once per stored body: the result is kept with the cache entry.
pub trait BodyParser: Send + Sync {
    /// Parses `body`, fetched from `url` (the final URL, after redirects:
    /// resolve relative references against it).
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure>;

    /// Parses `body` knowing the response's `Content-Type` (for `file:`,
    /// the one its extension gives). Only formats the bytes cannot always
    /// tell need it — headerless G.711 audio has no magic — so by default
    /// the type is ignored.
    fn parse_typed(
        &self,
        url: &Url,
        content_type: Option<&str>,
        body: &Bytes,
    ) -> Result<ParsedBody, ParseFailure> {
        let _ = content_type;
        self.parse(url, body)
    }
}

/// What a parser makes of a body.
#[derive(Clone)]
pub struct ParsedBody {
    /// The parsed form (the caller downcasts it: see [`ParsedBody::parsed_as`]).
    pub parsed: Parsed,
    /// `<meta http-equiv>` name/content pairs, in document order.
    pub http_equiv: Vec<(String, String)>,
    /// The resources the body references, as absolute URLs (references as
    /// written, resolved against the body's URL). Preload follows the
    /// `context` and `script` ones.
    pub references: Vec<(ResourceType, String)>,
}

impl ParsedBody {
    /// A parsed form with no metas and no references.
    pub fn new(parsed: impl Any + Send + Sync) -> ParsedBody {
        ParsedBody {
            parsed: Arc::new(parsed),
            http_equiv: Vec::new(),
            references: Vec::new(),
        }
    }

    /// The parsed form as a `T`, if that is what it is.
    pub fn parsed_as<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(&self.parsed).downcast::<T>().ok()
    }
}

impl std::fmt::Debug for ParsedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedBody")
            .field("http_equiv", &self.http_equiv)
            .field("references", &self.references)
            .finish_non_exhaustive()
    }
}

/// Why a parser refused a body. The fetch fails with
/// [`FetchError::Parse`](super::FetchError::Parse), which adds the URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(*line, *column))]
pub struct ParseFailure {
    /// The VoiceXML event the failure throws (`error.badfetch` for a
    /// document that is not well formed).
    pub event: String,
    /// The 1-based line of the problem, when known.
    pub line: Option<u32>,
    /// The 1-based column (in characters) on `line`, when known.
    pub column: Option<u32>,
    /// What is wrong, for a person.
    pub message: String,
    /// The rustc-like form, with the source line and a caret, when the
    /// parser could make one.
    pub diagnostic: Option<Box<Diagnostic>>,
}

/// `line L: ` or `line L:C: `, or nothing.
fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}:{c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl ParseFailure {
    /// A failure throwing `error.badfetch`, at no particular line.
    pub fn new(message: impl Into<String>) -> ParseFailure {
        ParseFailure {
            event: "error.badfetch".to_string(),
            line: None,
            column: None,
            message: message.into(),
            diagnostic: None,
        }
    }

    /// The failure of `diagnostic`: its message, line and column, and its
    /// rendering.
    pub fn from_diagnostic(diagnostic: Diagnostic) -> ParseFailure {
        ParseFailure {
            line: Some(diagnostic.line),
            column: Some(diagnostic.column),
            event: diagnostic
                .event
                .clone()
                .unwrap_or_else(|| "error.badfetch".to_string()),
            message: diagnostic.message.clone(),
            diagnostic: Some(Box::new(diagnostic)),
        }
    }

    /// The same failure, at `line` and `column`.
    pub fn at(self, line: u32, column: u32) -> ParseFailure {
        ParseFailure {
            line: Some(line),
            column: Some(column),
            ..self
        }
    }

    /// The same failure, at `line`.
    pub fn at_line(self, line: u32) -> ParseFailure {
        ParseFailure {
            line: Some(line),
            ..self
        }
    }

    /// The same failure, throwing `event` instead.
    pub fn with_event(self, event: impl Into<String>) -> ParseFailure {
        ParseFailure {
            event: event.into(),
            ..self
        }
    }

    /// The fetch error for this failure of the body fetched from `url`.
    pub fn into_fetch_error(self, url: &Url) -> super::FetchError {
        super::FetchError::Parse {
            url: url.to_string(),
            line: self.line,
            column: self.column,
            event: self.event,
            message: self.message,
            diagnostic: self.diagnostic.map(|d| {
                // The parser named the document as it was asked; the fetch
                // names it by its URL.
                Box::new(Diagnostic {
                    origin: url.to_string(),
                    ..*d
                })
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_becomes_a_fetch_error_naming_url_line_and_event() {
        let url = Url::parse("http://127.0.0.1:1/app.vxml").expect("static URL");
        let f = ParseFailure::new("unclosed <form>")
            .at_line(12)
            .with_event("error.badfetch");
        assert_eq!(f.to_string(), "line 12: unclosed <form>");
        let e = f.into_fetch_error(&url);
        assert_eq!(e.event(), "error.badfetch");
        assert_eq!(e.url(), "http://127.0.0.1:1/app.vxml");
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:1/app.vxml:12: unclosed <form>"
        );
        let e = ParseFailure::new("empty")
            .with_event("error.semantic")
            .into_fetch_error(&url);
        assert_eq!(e.event(), "error.semantic");
        assert_eq!(e.to_string(), "http://127.0.0.1:1/app.vxml: empty");
    }

    #[test]
    fn parsed_forms_downcast_to_what_they_are() {
        let p = ParsedBody::new(vec![1u8, 2]);
        assert_eq!(p.parsed_as::<Vec<u8>>().as_deref(), Some(&vec![1u8, 2]));
        assert!(p.parsed_as::<String>().is_none());
    }
}
