//! One proxied request: the client's request as a fetch through the cache,
//! the fetch's answer (or failure) as the client's response, and the log
//! line.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{AGE, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use super::headers::{self, X_CACHE};
use super::route::{self, Upstream};
use crate::cache::Decision;
use crate::clock::Millis;
use crate::fetch::status::CACHE_STATUS;
use crate::fetch::{
    CacheStatus, FetchError, FetchMethod, FetchRequest, Fetched, Fetcher, NotCached, Outcome,
    Referrer,
};
use crate::serve::files::not_modified;
use crate::server::AccessLine;

/// What every connection of a proxy shares.
#[derive(Debug)]
pub(super) struct Forwarder {
    pub(super) fetcher: Arc<Fetcher>,
    pub(super) upstream: Upstream,
    /// Print one line per request on stdout.
    pub(super) echo: bool,
}

/// The answer to one request, before it is logged.
struct Answer {
    response: Response<Full<Bytes>>,
    decision: Decision,
    /// Why the proxy answered with an error of its own.
    failure: Option<String>,
}

impl Forwarder {
    /// Answers one request from `client` (its `X-Forwarded-For` value).
    pub(super) async fn handle(
        &self,
        req: Request<Incoming>,
        client: &HeaderValue,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let at = self.fetcher.clock().now();
        let (parts, body) = req.into_parts();
        let answer = self.answer(&parts, body, client).await;
        if self.echo {
            let decision = headers::x_cache_name(answer.decision);
            let line = AccessLine {
                at,
                method: &parts.method,
                target: parts.uri.path_and_query().map_or("", |pq| pq.as_str()),
                status: answer.response.status(),
                bytes: sent_bytes(&parts.method, &answer.response),
                latency: Millis(started.elapsed()),
                detail: match &answer.failure {
                    None => decision.to_string(),
                    Some(why) => format!("{decision}: {why}"),
                },
            };
            // A closed stdout (`vxb proxy | head`) must not stop the proxy.
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
        answer.response
    }

    async fn answer(&self, parts: &Parts, body: Incoming, client: &HeaderValue) -> Answer {
        // GET and HEAD go through the cache, a HEAD as a GET whose body hyper
        // leaves unsent (as nginx's `proxy_cache_convert_head`); everything
        // else is forwarded as it is.
        let cached = matches!(parts.method, Method::GET | Method::HEAD);
        let decision = if cached {
            Decision::Miss
        } else {
            Decision::Bypass
        };
        let Some(url) = self.upstream.target(&parts.uri) else {
            let why = format!("request target `{}` names no origin path", parts.uri);
            return failure(StatusCode::BAD_REQUEST, Decision::Bypass, why);
        };
        let method = if cached {
            FetchMethod::Get
        } else {
            match body.collect().await {
                Ok(b) => FetchMethod::Forward {
                    method: parts.method.clone(),
                    body: b.to_bytes(),
                },
                Err(e) => {
                    let why = format!("cannot read the request body: {e}");
                    return failure(StatusCode::BAD_REQUEST, decision, why);
                }
            }
        };
        let rtype = route::resource_type(url.path());
        let req = FetchRequest {
            method,
            headers: headers::request(&parts.headers, client),
            follow_redirects: false,
            ..FetchRequest::get(url, rtype, Referrer::User)
        };
        let call = self.fetcher.proxy_call();
        let result = call.fetch_response(&req, None).await;
        // Ends the request's "call": a private answer stored for it goes too.
        call.end();
        match result {
            Ok(fetched) => self.respond(&parts.headers, &fetched),
            Err(e) => {
                let status = match e {
                    FetchError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                    _ => StatusCode::BAD_GATEWAY,
                };
                failure(status, decision, e.to_string())
            }
        }
    }

    /// The client's response: the origin's status, its end-to-end headers,
    /// `Age` when it came from the cache, `X-Cache`, the body as a shared
    /// handle — or a 304 when the client's own validators match.
    fn respond(&self, request: &HeaderMap, fetched: &Fetched) -> Answer {
        let decision = fetched.decision();
        let cache = &self.fetcher.config().cache;
        let now = self.fetcher.clock().now();
        if let Outcome::Unsatisfied = fetched.outcome {
            let why = NotCached::OnlyIfCached.to_string();
            let mut answer = failure(StatusCode::GATEWAY_TIMEOUT, decision, why);
            let status = fetched.cache_status(now, cache).to_header_value();
            answer.response.headers_mut().insert(CACHE_STATUS, status);
            return answer;
        }
        let mut status = fetched.status();
        let mut h = headers::response(fetched.headers());
        if decision.served_from_cache() {
            let age = fetched.age(now, &cache.targeted);
            h.insert(AGE, HeaderValue::from(age.as_secs()));
        }
        // The targeted fields addressed this cache (RFC 9213): not passed on.
        for name in &cache.targeted {
            h.remove(name);
        }
        h.insert(X_CACHE, headers::x_cache(decision));
        // After any upstream cache's members: RFC 9211 lists the caches from
        // the origin towards the client.
        h.append(
            CACHE_STATUS,
            fetched.cache_status(now, cache).to_header_value(),
        );
        // The fetcher asks the origin without the client's validators (it
        // wants a body it can keep), so they are answered here, against the
        // response the client would get (RFC 9111 §4.3.2).
        let mut body = fetched.body().clone();
        if status == StatusCode::OK && not_modified(request, &h) {
            status = StatusCode::NOT_MODIFIED;
            body = Bytes::new();
        }
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        *response.headers_mut() = h;
        Answer {
            response,
            decision,
            failure: None,
        }
    }
}

/// Body bytes the client is sent (none for a HEAD, which hyper answers
/// without its body).
fn sent_bytes(method: &Method, response: &Response<Full<Bytes>>) -> u64 {
    if *method == Method::HEAD {
        return 0;
    }
    hyper::body::Body::size_hint(response.body())
        .exact()
        .unwrap_or_default()
}

/// An error of the proxy's own: one line of text naming the cause.
fn failure(status: StatusCode, decision: Decision, why: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(format!("vxb proxy: {why}\n"))));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(X_CACHE, headers::x_cache(decision));
    let (via, vxb) = headers::via();
    h.insert(via, vxb);
    let bypass = decision == Decision::Bypass;
    h.insert(CACHE_STATUS, CacheStatus::failed(bypass).to_header_value());
    Answer {
        response,
        decision,
        failure: Some(why),
    }
}
