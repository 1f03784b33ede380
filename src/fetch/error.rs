//! Why a fetch failed, with enough context (URL, path, cause) for a one-line
//! message, and the VoiceXML event it raises.
//!
//! Causes from other crates (reqwest, `std::io`) are rendered to text when the
//! error is made: a failed fetch may be handed to every caller waiting on the
//! same URL, so the error is `Clone`, which those crates' errors are not.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use http::StatusCode;

/// A fetch that did not produce a complete response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL (or a relative reference) does not parse.
    #[error("invalid URL `{url}`: {cause}")]
    InvalidUrl { url: String, cause: String },

    /// A scheme other than http, https and file.
    #[error("{url}: unsupported scheme `{scheme}` (only http, https and file are fetched)")]
    UnsupportedScheme { url: String, scheme: String },

    /// No connection could be made (refused, unreachable, DNS failure, TLS).
    #[error("{url}: cannot connect: {cause}")]
    Connect { url: String, cause: String },

    /// No complete response (connect, headers and body) within `limit`.
    #[error("{url}: no complete response within {}", humantime::format_duration(*limit))]
    Timeout { url: String, limit: Duration },

    /// The origin answered with an error status (4xx or 5xx).
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: StatusCode },

    /// The connection ended cleanly before the body reached its Content-Length.
    #[error("{url}: body ended after {received} of {expected} bytes (Content-Length)")]
    ShortBody {
        url: String,
        expected: u64,
        received: u64,
    },

    /// The exchange broke: connection reset, a malformed response, a body cut
    /// mid-chunk. `received` counts the body bytes that arrived before it.
    #[error("{url}: connection broken after {received} body bytes: {cause}")]
    Broken {
        url: String,
        received: u64,
        cause: String,
    },

    /// A body longer than `fetch.max_body_bytes` (by its Content-Length, or
    /// by what arrived): refused without reading past the limit.
    #[error("{url}: body longer than fetch.max_body_bytes ({limit} bytes)")]
    TooLarge { url: String, limit: u64 },

    /// More redirects in a row than `fetch.max_redirects`.
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: u32 },

    /// A redirect status without a usable Location.
    #[error("{url}: HTTP {status} redirect with {problem}")]
    BadRedirect {
        url: String,
        status: StatusCode,
        problem: String,
    },

    /// A `file:` URL naming a file outside `fetch.file_root`.
    #[error("{url}: {} is outside the file root {}", path.display(), root.display())]
    OutsideRoot {
        url: String,
        path: PathBuf,
        root: PathBuf,
    },

    /// A `file:` URL referenced from a document fetched over http(s).
    #[error("{url}: refused: a document fetched from {referrer} cannot read file: URLs")]
    FileFromHttp { url: String, referrer: String },

    /// A `file:` URL that could not be read (or the file root itself).
    #[error("{url}: cannot read {}: {cause}", path.display())]
    File {
        url: String,
        path: PathBuf,
        kind: io::ErrorKind,
        cause: String,
    },

    /// A `file:` URL, and no file root to confine it to (none configured and
    /// none given by the caller).
    #[error("{url}: no file root is set, so file: URLs cannot be read (set fetch.file_root)")]
    NoFileRoot { url: String },

    /// The body arrived but its parser refused it (a VoiceXML document that is
    /// not well formed, say). `event` is the parser's event name.
    #[error("{url}{}{}: {message}",
        line.map(|l| format!(":{l}")).unwrap_or_default(),
        column.filter(|_| line.is_some()).map(|c| format!(":{c}")).unwrap_or_default())]
    Parse {
        url: String,
        line: Option<u32>,
        column: Option<u32>,
        event: String,
        message: String,
        /// The rustc-like form of the failure (source line, caret), when
        /// the parser made one.
        diagnostic: Option<Box<crate::diagnostic::Diagnostic>>,
    },

    /// `fetch.file_root` is not a usable directory.
    #[error("file root {}: {cause}", path.display())]
    BadFileRoot { path: PathBuf, cause: String },

    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {cause}")]
    Client { cause: String },
}

impl FetchError {
    /// The rustc-like rendering of a body the parser refused, when it made
    /// one.
    pub fn diagnostic(&self) -> Option<&crate::diagnostic::Diagnostic> {
        match self {
            FetchError::Parse { diagnostic, .. } => diagnostic.as_deref(),
            _ => None,
        }
    }

    /// The VoiceXML event this failure throws: `error.badfetch.http.NNN` for an
    /// HTTP error status (VoiceXML 2.1 §5.2.6), the parser's event for a body
    /// it refused, `error.badfetch` otherwise.
    pub fn event(&self) -> String {
        match self {
            FetchError::Status { status, .. } => format!("error.badfetch.http.{}", status.as_u16()),
            FetchError::Parse { event, .. } => event.clone(),
            _ => "error.badfetch".to_string(),
        }
    }

    /// The URL the failure is about (empty when it is about no URL).
    pub fn url(&self) -> &str {
        match self {
            FetchError::InvalidUrl { url, .. }
            | FetchError::UnsupportedScheme { url, .. }
            | FetchError::Connect { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::ShortBody { url, .. }
            | FetchError::Broken { url, .. }
            | FetchError::TooManyRedirects { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::BadRedirect { url, .. }
            | FetchError::OutsideRoot { url, .. }
            | FetchError::FileFromHttp { url, .. }
            | FetchError::File { url, .. }
            | FetchError::NoFileRoot { url }
            | FetchError::Parse { url, .. } => url,
            FetchError::BadFileRoot { .. } | FetchError::Client { .. } => "",
        }
    }

    /// The error for an HTTP error status.
    pub fn status(url: &url::Url, status: StatusCode) -> FetchError {
        FetchError::Status {
            url: url.to_string(),
            status,
        }
    }

    /// The error for a file that could not be read.
    pub(crate) fn file(url: &url::Url, path: PathBuf, e: &io::Error) -> FetchError {
        FetchError::File {
            url: url.to_string(),
            path,
            kind: e.kind(),
            cause: e.to_string(),
        }
    }
}

/// An error and its chain of causes on one line ("a: b: c").
pub(crate) fn chain(e: &(dyn StdError + 'static)) -> String {
    causes(e).join(": ")
}

/// The messages of an error and its causes, outermost first, leaving out a
/// cause whose text its parent already includes (reqwest and hyper repeat
/// themselves).
pub(crate) fn causes(e: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.iter().any(|o| o.contains(&text)) {
            out.push(text);
        }
        source = s.source();
    }
    out
}

/// The first `io::Error` in an error's chain of causes.
pub(crate) fn io_cause<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> url::Url {
        url::Url::parse("http://127.0.0.1:1/a.vxml").expect("static URL")
    }

    #[test]
    fn status_errors_name_the_code_in_the_event() {
        let e = FetchError::status(&url(), StatusCode::NOT_FOUND);
        assert_eq!(e.event(), "error.badfetch.http.404");
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:1/a.vxml: HTTP 404 Not Found"
        );
        let e = FetchError::status(&url(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.event(), "error.badfetch.http.503");
    }

    #[test]
    fn other_errors_are_plain_badfetch() {
        let e = FetchError::Timeout {
            url: url().to_string(),
            limit: Duration::from_millis(1500),
        };
        assert_eq!(e.event(), "error.badfetch");
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:1/a.vxml: no complete response within 1s 500ms"
        );
        let e = FetchError::ShortBody {
            url: url().to_string(),
            expected: 100,
            received: 10,
        };
        assert_eq!(e.event(), "error.badfetch");
        assert!(e.to_string().contains("10 of 100 bytes"), "{e}");
        assert_eq!(e.url(), "http://127.0.0.1:1/a.vxml");
    }

    #[test]
    fn chain_joins_causes_without_repeating() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] io::Error);
        let e = Outer(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "reset by peer",
        ));
        assert_eq!(chain(&e), "outer: reset by peer");
        assert_eq!(
            io_cause(&e).map(io::Error::kind),
            Some(io::ErrorKind::ConnectionReset)
        );
    }
}
