//! What the cache keeps for one URL: the response metadata the policy reasons
//! about, the body bytes, and optionally a parsed form of the body.

use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderMap, StatusCode};

use super::headers::CachingHeaders;
use crate::resource::ResourceType;

/// A parsed form of a body (a VoiceXML document, a compiled grammar, decoded
/// audio…), kept with the entry so that a hit skips parsing. The cache does
/// not know what it is; its owner downcasts.
pub type Parsed = Arc<dyn Any + Send + Sync>;

/// The response metadata the cache policy needs, frozen at storage time.
#[derive(Clone, Debug)]
pub struct StoredResponse {
    /// The HTTP status of the stored response (200 for a `file:` URL).
    pub status: StatusCode,
    /// The response headers, with any `<meta http-equiv>` of the document
    /// merged over them.
    pub headers: HeaderMap,
    /// When the request that produced this response was sent (RFC 9111 §4.2.3 `request_time`).
    pub request_time: SystemTime,
    /// When the response was received (RFC 9111 §4.2.3 `response_time`).
    pub response_time: SystemTime,
    /// For a response with `Vary`: each nominated request header and the value
    /// the original request carried (`None`: absent). Empty without `Vary`.
    pub vary: Vec<(HeaderName, Option<http::HeaderValue>)>,
    /// The headers set by the document's `<meta http-equiv>` (already merged
    /// into `headers`; empty for anything but a document). Kept apart so that
    /// a 304's headers, merged into `headers`, cannot undo them: the metas are
    /// re-applied after the merge (spec §3: "stored with the resource").
    pub meta: HeaderMap,
}

impl StoredResponse {
    /// A response received at `at` (request and response time alike), with no
    /// `Vary` key and no `<meta http-equiv>` headers.
    pub fn new(status: StatusCode, headers: HeaderMap, at: SystemTime) -> StoredResponse {
        StoredResponse {
            status,
            headers,
            request_time: at,
            response_time: at,
            vary: Vec::new(),
            meta: HeaderMap::new(),
        }
    }
}

/// One stored resource.
#[derive(Debug)]
pub struct Entry {
    /// The absolute URL without fragment: the cache key.
    pub url: Arc<str>,
    pub rtype: ResourceType,
    pub response: StoredResponse,
    /// Shared, immutable bytes: a hit clones the handle, never the body.
    pub body: Bytes,
    /// For `file:` URLs: the modification time and size the body was read at.
    pub file_stamp: Option<(SystemTime, u64)>,
    /// The parsed form of the body, filled at most once by whoever parses it.
    pub parsed: OnceLock<Parsed>,
    /// `response.headers` parsed for the policy, on first use: every later
    /// hit reads it instead of parsing the headers again.
    caching: OnceLock<CachingHeaders>,
}

impl Entry {
    /// A new entry with no parsed form yet.
    pub fn new(
        url: impl Into<Arc<str>>,
        rtype: ResourceType,
        response: StoredResponse,
        body: Bytes,
    ) -> Self {
        Entry {
            url: url.into(),
            rtype,
            response,
            body,
            file_stamp: None,
            parsed: OnceLock::new(),
            caching: OnceLock::new(),
        }
    }

    /// The caching headers of `response`, parsed once per entry (an entry's
    /// response does not change once it is shared; a 304 makes a new entry
    /// with [`Entry::with_response`]). `targets` are the cache's targeted
    /// fields (`cache.targeted`), the same for every use of one store.
    pub fn caching(&self, targets: &[HeaderName]) -> &CachingHeaders {
        self.caching
            .get_or_init(|| CachingHeaders::parse(&self.response.headers, targets))
    }

    /// The bytes this entry counts against its type's budget: the body length.
    /// (Headers and parsed forms are small and bounded by the body; counting
    /// only the body keeps `max_bytes` a number a developer can predict.)
    pub fn size(&self) -> u64 {
        self.body.len() as u64
    }

    /// The same entry with new metadata (after a 304), sharing the body and
    /// the parsed form.
    pub fn with_response(&self, response: StoredResponse) -> Entry {
        let parsed = OnceLock::new();
        if let Some(p) = self.parsed.get() {
            let _ = parsed.set(Arc::clone(p));
        }
        Entry {
            url: Arc::clone(&self.url),
            rtype: self.rtype,
            response,
            body: self.body.clone(),
            file_stamp: self.file_stamp,
            parsed,
            caching: OnceLock::new(),
        }
    }
}
