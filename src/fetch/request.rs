//! What a caller asks the fetcher for: [`FetchRequest`].

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::resource::ResourceType;

/// How a resource is requested. A POST carries its body, so a GET with a
/// body, or a POST without a content type, cannot be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchMethod {
    /// Every fetch but a `<submit method="post">`: cached.
    Get,
    /// `<submit method="post">`: never cached, and it invalidates any stored
    /// copy of its URL.
    Post {
        content_type: HeaderValue,
        body: Bytes,
    },
    /// Any method sent as it is, with the caller's body and headers
    /// (Content-Type and conditionals such as `If-Match` included): what
    /// `vxb proxy` does with everything but GET and HEAD. Never stored, never
    /// coalesced; an unsafe method (POST, PUT, DELETE, PATCH…) invalidates
    /// the stored copies of its URL as [`policy::invalidates`] says (RFC 9111
    /// §4.4), and so does one whose exchange failed, which may still have
    /// changed the resource. A `Forward` of GET is not looked up either.
    ///
    /// [`policy::invalidates`]: crate::cache::policy::invalidates
    Forward { method: Method, body: Bytes },
}

impl FetchMethod {
    /// The method's name, for reports: an extension method (not one of
    /// RFC 9110's and PATCH) reads `OTHER`, so that the record stays a
    /// `&'static str`.
    pub fn name(&self) -> &'static str {
        const STANDARD: [&str; 9] = [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        ];
        match self {
            FetchMethod::Get => "GET",
            FetchMethod::Post { .. } => "POST",
            FetchMethod::Forward { method, .. } => STANDARD
                .into_iter()
                .find(|name| *name == method.as_str())
                .unwrap_or("OTHER"),
        }
    }
}

/// Who asks for a fetch. Every request names one, so that "a document
/// fetched over http(s) never reads a `file:` URL" holds because a request
/// cannot be made without saying who asks, not because each call site
/// remembers to set an optional field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Referrer {
    /// The person running vxb: a URL from the command line, a scenario, the
    /// configuration (`[preload]`), or the proxy's own origin. May read
    /// `file:` URLs under the file root.
    User,
    /// The document at this URL (for a redirect's target: the URL that
    /// redirected). When it came over http(s), `file:` URLs are refused.
    Document(Url),
}

impl Referrer {
    /// The document's URL, if a document asks.
    pub fn url(&self) -> Option<&Url> {
        match self {
            Referrer::User => None,
            Referrer::Document(url) => Some(url),
        }
    }
}

/// One fetch.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The absolute URL; a fragment is ignored for the fetch and the cache.
    pub url: Url,
    /// What the resource is for: selects the cache budget and statistics.
    pub rtype: ResourceType,
    pub method: FetchMethod,
    /// The request's `maxage` (attribute, else `*maxage` property): applies
    /// to this request only, and is also sent as `Cache-Control: max-age`.
    /// Ignored for `file:` URLs, which are reused while unchanged.
    pub max_age: Option<Duration>,
    /// The request's `maxstale`, likewise.
    pub max_stale: Option<Duration>,
    /// The whole fetch, redirects included; `None`: `fetch.timeout`.
    pub timeout: Option<Duration>,
    /// Who asks: a document fetched over http(s) may not read `file:` URLs.
    pub referrer: Referrer,
    /// Extra request headers. The proxy forwards its client's end-to-end
    /// headers here; their `Cache-Control` (and `Pragma`) then count as the
    /// request's directives. Conditional headers (`If-None-Match`, …) are
    /// dropped from a GET or POST: the fetcher sends its own when it
    /// revalidates, and a stray one could earn a 304 for a body it does not
    /// hold; a [`FetchMethod::Forward`] sends them (its answer is not kept).
    /// `Cookie` is replaced by the call's jar when the call has one.
    pub headers: HeaderMap,
    /// Whether redirects are followed (the VoiceXML path) or answered as
    /// they are (the proxy, whose client follows them itself). Redirects
    /// are cached either way.
    pub follow_redirects: bool,
}

impl FetchRequest {
    /// A GET of `url` as `rtype` asked for by `referrer`, with every option
    /// at its default.
    pub fn get(url: Url, rtype: ResourceType, referrer: Referrer) -> FetchRequest {
        FetchRequest {
            url,
            rtype,
            method: FetchMethod::Get,
            max_age: None,
            max_stale: None,
            timeout: None,
            referrer,
            headers: HeaderMap::new(),
            follow_redirects: true,
        }
    }

    /// A POST of `body` to `url` (a `<submit method="post">`).
    pub fn post(
        url: Url,
        rtype: ResourceType,
        referrer: Referrer,
        content_type: HeaderValue,
        body: Bytes,
    ) -> FetchRequest {
        FetchRequest {
            method: FetchMethod::Post { content_type, body },
            ..FetchRequest::get(url, rtype, referrer)
        }
    }

    /// `method` with `body` sent to `url` as it is ([`FetchMethod::Forward`]),
    /// for the user (the proxy's client).
    pub fn forward(url: Url, rtype: ResourceType, method: Method, body: Bytes) -> FetchRequest {
        FetchRequest {
            method: FetchMethod::Forward { method, body },
            ..FetchRequest::get(url, rtype, Referrer::User)
        }
    }

    /// With a `maxage`.
    pub fn max_age(mut self, max_age: Duration) -> FetchRequest {
        self.max_age = Some(max_age);
        self
    }

    /// With a `maxstale`.
    pub fn max_stale(mut self, max_stale: Duration) -> FetchRequest {
        self.max_stale = Some(max_stale);
        self
    }

    /// With a timeout other than `fetch.timeout`.
    pub fn timeout(mut self, timeout: Duration) -> FetchRequest {
        self.timeout = Some(timeout);
        self
    }

    /// With one more request header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> FetchRequest {
        self.headers.append(name, value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_static_and_extensions_read_other() {
        let forward = |m: &[u8]| FetchMethod::Forward {
            method: Method::from_bytes(m).expect("method"),
            body: Bytes::new(),
        };
        assert_eq!(FetchMethod::Get.name(), "GET");
        let post = FetchMethod::Post {
            content_type: HeaderValue::from_static("text/plain"),
            body: Bytes::new(),
        };
        assert_eq!(post.name(), "POST");
        assert_eq!(forward(b"PUT").name(), "PUT");
        assert_eq!(forward(b"PATCH").name(), "PATCH");
        assert_eq!(forward(b"DELETE").name(), "DELETE");
        assert_eq!(forward(b"PROPFIND").name(), "OTHER");
    }
}
