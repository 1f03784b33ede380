//! One HTTP exchange: a request out, a complete response back, or a
//! [`FetchError`]. No cache, no redirect following, no cookies: the caching
//! fetcher above does those, hop by hop, so that each hop can be cached.
//!
//! What this layer guarantees:
//! - The body is complete. A body shorter than its Content-Length, or a
//!   connection that breaks mid-body, is an error, never a partial success.
//! - The timeout covers everything: connect, headers and body.
//! - Every status is a response, 3xx/4xx/5xx included (304 is normal);
//!   [`HttpResponse::error_for_status`] turns 4xx/5xx into an error when the
//!   caller wants that.
//! - Times come from the injected [`Clock`], for RFC 9111 age calculation.
//! - Unparsable header lines are dropped rather than failing the response,
//!   and header values are kept as bytes (RFC 9111 §4.2: a header that does
//!   not parse is treated as absent by the reader, not fatal here).
//!
//! TLS is rustls with the `ring` provider and the platform's certificate
//! verifier, handed to reqwest as a preconfigured `ClientConfig`, so the
//! build needs neither OpenSSL nor aws-lc and no process-global provider.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, HeaderMap, LOCATION};
use http::{Method, StatusCode};
use rustls_platform_verifier::BuilderVerifierExt;
use url::Url;

use super::error::{FetchError, causes, chain, io_cause};
use super::location::{Scheme, resolve};
use super::tier;
use crate::clock::Clock;
use crate::config::{FetchConfig, ProxySetting};

/// The `User-Agent` vxb sends.
pub const USER_AGENT: &str = concat!("vxb/", env!("CARGO_PKG_VERSION"));

/// The shared HTTP client. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct HttpClient {
    /// One client, or one per proxy of `nodes`, in the same order.
    clients: Arc<[reqwest::Client]>,
    /// With several proxies, their URLs ([`tier::pick_index`] chooses).
    nodes: Arc<[Url]>,
    clock: Arc<dyn Clock>,
    /// `fetch.max_body_bytes`: no body is read past it.
    max_body: u64,
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    /// The limit on the whole exchange (connect, headers and body).
    pub timeout: Duration,
}

/// A complete response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The URL requested (no redirect was followed).
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When the request was sent (RFC 9111 §4.2.3 `request_time`).
    pub request_time: SystemTime,
    /// When the complete response had arrived (`response_time`).
    pub response_time: SystemTime,
}

impl HttpRequest {
    /// A GET of `url` with no extra headers.
    pub fn get(url: Url, timeout: Duration) -> HttpRequest {
        HttpRequest {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout,
        }
    }
}

impl HttpResponse {
    /// Whether the status is a redirect this browser follows (301, 302, 303,
    /// 307, 308).
    pub fn is_redirect(&self) -> bool {
        is_redirect(self.status)
    }

    /// For a redirect, where it points: the Location resolved against the
    /// requested URL. `None` when the response is not a redirect; an error
    /// when the Location is missing, not text, or not a URL.
    pub fn redirect_location(&self) -> Option<Result<Url, FetchError>> {
        redirect_target(&self.url, self.status, &self.headers)
    }

    /// The response, or [`FetchError::Status`] for a 4xx or 5xx status.
    pub fn error_for_status(self) -> Result<HttpResponse, FetchError> {
        if self.status.is_client_error() || self.status.is_server_error() {
            Err(FetchError::status(&self.url, self.status))
        } else {
            Ok(self)
        }
    }
}

/// Whether `status` is a redirect this browser follows (301, 302, 303, 307,
/// 308).
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// Where a response to `url` with `status` and `headers` redirects: its
/// Location resolved against `url`. `None` when the status is not a redirect;
/// an error when the Location is missing, not text, or not a URL. A free
/// function so that a redirect served from the cache is read the same way as
/// one fresh from the network.
pub fn redirect_target(
    url: &Url,
    status: StatusCode,
    headers: &HeaderMap,
) -> Option<Result<Url, FetchError>> {
    if !is_redirect(status) {
        return None;
    }
    let bad = |problem: String| FetchError::BadRedirect {
        url: url.to_string(),
        status,
        problem,
    };
    let location = match headers.get(LOCATION).map(|v| v.to_str()) {
        None => return Some(Err(bad("no Location header".to_string()))),
        Some(Err(_)) => return Some(Err(bad("a Location that is not text".to_string()))),
        Some(Ok(l)) => l,
    };
    Some(resolve(url, location).map_err(|e| bad(format!("a bad Location: {e}"))))
}

impl HttpClient {
    /// A client whose request and response times come from `clock`, going
    /// through the proxies `fetch` names (`fetch.proxy`).
    pub fn new(clock: Arc<dyn Clock>, fetch: &FetchConfig) -> Result<HttpClient, FetchError> {
        let setup = |cause: String| FetchError::Client { cause };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| setup(e.to_string()))?
            .with_platform_verifier()
            .map_err(|e| setup(e.to_string()))?
            .with_no_client_auth();
        // reqwest only speaks HTTP/1 here (no http2 feature).
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let builder = || {
            reqwest::Client::builder()
                .tls_backend_preconfigured(tls.clone())
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(USER_AGENT)
                .http1_ignore_invalid_headers_in_responses(true)
                .http1_allow_spaces_after_header_name_in_responses(true)
                .http1_allow_obsolete_multiline_headers_in_responses(true)
        };
        let clients = tier::clients(builder, fetch)
            .map_err(|e| setup(format!("fetch.proxy: {}", chain(&e))))?
            .into_iter()
            .map(|b| b.build().map_err(|e| setup(chain(&e))))
            .collect::<Result<Vec<_>, _>>()?;
        let nodes = match &fetch.proxy {
            ProxySetting::Urls(list) => list.urls().to_vec(),
            ProxySetting::Env | ProxySetting::None => Vec::new(),
        };
        Ok(HttpClient {
            clients: clients.into(),
            nodes: nodes.into(),
            clock,
            max_body: fetch.max_body_bytes,
        })
    }

    /// The client for `url`: the one of the proxy the URL hashes to, when
    /// there are several.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        let i = tier::pick_index(&self.nodes, url).unwrap_or(0);
        &self.clients[i.min(self.clients.len() - 1)]
    }

    /// The clock this client stamps responses with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Sends `req` and reads the complete response.
    pub async fn send(&self, req: HttpRequest) -> Result<HttpResponse, FetchError> {
        if !Scheme::of(&req.url)?.is_http() {
            return Err(FetchError::UnsupportedScheme {
                url: req.url.to_string(),
                scheme: req.url.scheme().to_string(),
            });
        }
        let url = req.url.clone();
        let limit = req.timeout;
        let request_time = self.clock.now();
        let (status, headers, body) = tokio::time::timeout(limit, self.exchange(req))
            .await
            .map_err(|_| FetchError::Timeout {
                url: url.to_string(),
                limit,
            })??;
        let response_time = self.clock.now();
        // On virtual time the origin's delays move the clock rather than
        // taking real time: an answer later than the limit by the clock is
        // as much a timeout as one the timer above cut off.
        if response_time
            .duration_since(request_time)
            .is_ok_and(|took| took > limit)
        {
            return Err(FetchError::Timeout {
                url: url.to_string(),
                limit,
            });
        }
        Ok(HttpResponse {
            url,
            status,
            headers,
            body,
            request_time,
            response_time,
        })
    }

    async fn exchange(
        &self,
        req: HttpRequest,
    ) -> Result<(StatusCode, HeaderMap, Bytes), FetchError> {
        let url = req.url;
        let mut builder = self
            .client_for(&url)
            .request(req.method, url.clone())
            .headers(req.headers);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let mut resp = builder
            .send()
            .await
            .map_err(|e| classify(&url, &e, Stage::Head))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let expected = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit: self.max_body,
        };
        // Refused on its word before a byte is read; a body without a
        // length (or lying about it) is cut where it passes the limit.
        if expected.is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) if (body.len() + chunk.len()) as u64 > self.max_body => {
                    return Err(too_large());
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    let received = body.len() as u64;
                    return Err(classify(&url, &e, Stage::Body { expected, received }));
                }
            }
        }
        Ok((status, headers, body.freeze()))
    }
}

/// How far an exchange had got when it failed.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// Connecting, sending, or waiting for the response head.
    Head,
    /// Reading the body: the Content-Length (if any) and the bytes so far.
    Body {
        expected: Option<u64>,
        received: u64,
    },
}

/// Names what went wrong with an exchange.
fn classify(url: &Url, e: &reqwest::Error, stage: Stage) -> FetchError {
    let url_s = url.to_string();
    // reqwest's own message repeats the URL, and hyper-util's wrapper says
    // only "client error (Connect)": the causes under them say what happened.
    let parts: Vec<String> = causes(e)
        .into_iter()
        .skip(1)
        .filter(|part| !part.starts_with("client error ("))
        .collect();
    let cause = if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    };
    if e.is_connect() {
        return FetchError::Connect { url: url_s, cause };
    }
    let io_kind = io_cause(e).map(std::io::Error::kind);
    // A clean close shows up as end-of-file; a reset as ConnectionReset.
    let clean_eof = matches!(io_kind, None | Some(std::io::ErrorKind::UnexpectedEof));
    match stage {
        Stage::Body {
            expected: Some(expected),
            received,
        } if clean_eof && received < expected => FetchError::ShortBody {
            url: url_s,
            expected,
            received,
        },
        Stage::Body { received, .. } => FetchError::Broken {
            url: url_s,
            received,
            cause,
        },
        Stage::Head => FetchError::Broken {
            url: url_s,
            received: 0,
            cause,
        },
    }
}
