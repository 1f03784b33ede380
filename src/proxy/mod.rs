//! `vxb proxy`: the browser's cache as an HTTP reverse proxy in front of one
//! origin, so an application developer can check their server's caching
//! headers with curl: every response carries `X-Cache: <decision>` (`MISS`,
//! `HIT`, `REVALIDATED`, `REFRESHED`, `STALE`, `BYPASS`: the decisions of
//! spec §3 in the upper case Squid and the CDNs use), `Cache-Status` (RFC 9211)
//! and `Via: 1.1 vxb`.
//! Each request is one log line on stdout, in
//! the format `vxb serve` writes ([`crate::server::AccessLine`]).
//!
//! ```text
//! $ vxb proxy --origin http://127.0.0.1:8080 --listen 127.0.0.1:8081
//! $ curl -si http://127.0.0.1:8081/app.vxml | grep -i x-cache     # MISS, then HIT
//! ```
//!
//! # What crosses it
//!
//! - **GET and HEAD** go through the cache ([`Fetcher::proxy_call`], one
//!   per request, ended with it). A HEAD is looked up and fetched as a GET
//!   whose body is not sent, as nginx's `proxy_cache_convert_head` does, so
//!   a HEAD can be a hit and a miss fills the cache.
//! - **Every other method** is forwarded as it is, body and all
//!   ([`FetchMethod::Forward`](crate::fetch::FetchMethod::Forward)): never
//!   stored (`X-Cache: BYPASS`); POST always, and PUT, DELETE, PATCH (any
//!   unsafe method) answered 2xx/3xx, invalidate the stored copies of the
//!   URL (RFC 9111 §4.4).
//! - **Request headers**: all end-to-end ones, hop-by-hop ones dropped
//!   ([`headers`]); `Host` is the origin's; `Via: 1.1 vxb` and the client's
//!   address in `X-Forwarded-For` are added. The client's `Cookie` is
//!   forwarded (the proxy has no cookie jar), and its `Cache-Control`
//!   (`max-age`, `max-stale`, `min-fresh`, `no-cache`, `no-store`,
//!   `only-if-cached`, or `Pragma: no-cache` alone) is the request's
//!   directives; `only-if-cached` with nothing usable stored is a 504.
//! - **Responses**: the origin's status and end-to-end headers, unknown
//!   ones included, live or cached alike; `Age` (RFC 9111 §4.2.3) on a
//!   response served from the cache (hit, stale, revalidated); redirects are
//!   passed on, never followed (the fetcher still caches a storable one).
//!   A client's own `If-None-Match` / `If-Modified-Since` is answered here
//!   with 304 against the response it would get.
//! - **Cookies**: a response with `Set-Cookie` (without `public`) or
//!   `private` is private: passed to its client, never to another (see
//!   below why).
//! - **Failures**: the origin unreachable or a broken answer → 502, no
//!   complete answer within `fetch.timeout` → 504; either with a one-line
//!   text body naming the cause and `X-Cache: MISS` (`BYPASS` for methods
//!   that are never cached), as nginx reports `MISS` for an upstream error.
//!   With `stale_if_error` (or the response's `stale-if-error`) a stored
//!   copy is served instead, `X-Cache: STALE`. Malformed requests are
//!   answered by hyper.
//!
//! # Resource types
//!
//! A proxied request has no VoiceXML resource type, so one is picked from
//! the path's extension ([`route::resource_type`]): audio, script, grammar,
//! data, else document. It selects the budget (`[cache.<type>]`) and the
//! per-type knobs.
//!
//! # Configuration: as close to RFC 9111 as the knobs allow
//!
//! `--config` takes the browser's configuration file. These
//! values make the cache behave as RFC 9111 describes a cache:
//!
//! ```toml
//! [cache]
//! no_cache = "revalidate"         # default: store no-cache, revalidate on every use
//! must_revalidate = "when-stale"  # default: must-revalidate only binds a stale copy
//! maxage = "limits"               # NOT the default: a request max-age only shortens
//!                                 #   the lifetime (the default "overrides" lets a
//!                                 #   client's max-age=3600 revive a stale copy)
//! stale_if_error = "0s"           # default: stale only with the origin's permission
//! heuristic_fraction = 0.10       # default: RFC 9111 §4.2.2's typical 10%
//!
//! [cache.document]                # and every other type
//! default_max_age = "0s"          # default: no lifetime invented for a response
//!                                 #   that carries no freshness information
//! ```
//!
//! # Standards
//!
//! The cache is shared by every call of a process, so it is a *shared*
//! cache in RFC 9111's sense, and the proxy serves it as one:
//!
//! - **RFC 9111**: `s-maxage` over `max-age` and `Expires`, implying
//!   `proxy-revalidate` (§5.2.2.10); `proxy-revalidate` binds it (§5.2.2.8);
//!   a response to a request with `Authorization` is kept for that request
//!   alone unless `public`, `s-maxage` or `must-revalidate` allows sharing it
//!   (§3.5); `Age` with a list value uses its first member (§5.1);
//!   invalidation by unsafe methods, also of same-origin `Location` and
//!   `Content-Location` (§4.4); 304 header updates (§3.2); any final
//!   status stored with explicit freshness, `must-understand` (§3,
//!   §5.2.2.3).
//! - **RFC 8246** `immutable`: not revalidated while fresh when the
//!   configuration makes a request's `max-age` a limit (`maxage = "limits"`).
//! - **RFC 9110**: dates in all three formats, lenient in case (§5.6.7);
//!   interim (1xx) responses are never stored nor taken for the answer
//!   (§15.2); conditional requests answered here (§13).
//! - **RFC 9213** targeted cache-control: `CDN-Cache-Control` (or the fields
//!   listed in `cache.targeted_cache_control`, first present wins) replaces
//!   `Cache-Control` and `Expires` for this cache, and is not passed on.
//! - **RFC 5861**: `stale-while-revalidate` (a stale copy served at once
//!   within the window and refreshed in the background, one refresh per URL
//!   at a time, so no client waits on the origin); `stale-if-error` from the
//!   response, the request or the configuration.
//! - **RFC 9211** `Cache-Status` on every response
//!   ([`crate::fetch::status`]), after the members of caches nearer the
//!   origin: `vxb;hit;ttl=40`, `vxb;fwd=stale;fwd-status=304;ttl=60;stored`,
//!   `vxb;fwd=uri-miss;fwd-status=200;ttl=60;stored`.
//!
//! Where it still differs from a generic shared cache, on purpose: it
//! stores a 4xx/5xx answer only with explicit freshness (`max-age`,
//! `s-maxage`, `Expires`; RFC 9111 §3 allows any status then), never with a
//! heuristic lifetime (a developer wants to see errors reach the origin
//! unless it says otherwise), nor a response with neither freshness
//! information nor validators
//! (RFC 9111 would store one it could never reuse). The proxy does not pass
//! 1xx responses on to its client: hyper, its HTTP server, cannot send them.
//!
//! # Why `Set-Cookie` keeps a response private
//!
//! RFC 9111 lets a shared cache store and reuse a response that sets a
//! cookie. vxb does not, unless the response says `public`: the cookie
//! belongs to the caller whose request earned it. A voice application sets a
//! session cookie on the first document of a call and the cache is shared
//! by every call of the process; reusing that response would hand one
//! caller's session (and whatever the page says about them) to the next, or
//! make two calls share one session. So a response with `Set-Cookie` is kept
//! for its own call only (the per-call overlay of the store), exactly like
//! `private` — in the proxy, where every request is its own call, it reaches
//! its client and no other. An origin that means a cookie-setting response
//! for everyone says so with `public`.
//!
//! # Speed
//!
//! A hit costs a cache lookup (the stored response's caching headers were
//! parsed when it was first used) and the response's headers copied; the
//! body is the stored `Bytes`, never copied. Connections are kept alive
//! (hyper 1, HTTP/1.1), and per-connection work (the `X-Forwarded-For`
//! value) is done once per connection. `vxb proxy` runs one proxy per CPU,
//! each on its own thread and runtime, sharing one port and one cache
//! ([`ProxyThreads`], which says why). `benches/proxy_vs_nginx.sh` measures
//! a hit against nginx's `proxy_cache`.
//!
//! - [`route`]: the origin URL of a request and its resource type.
//! - [`headers`]: what crosses, what is added.
//! - [`threads`]: one proxy per thread on a shared port.
//! - `forward`: one request, its response and its log line.

pub mod headers;
pub mod route;
pub mod threads;

mod forward;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::header::HeaderValue;
use hyper::service::service_fn;
use url::Url;

pub use route::{BadOrigin, Upstream};
pub use threads::ProxyThreads;

use crate::fetch::Fetcher;
use crate::server::{Server, ServerLimits};
use forward::Forwarder;

/// Where the proxy listens and what it stands in front of.
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    pub upstream: Upstream,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Print one line per request on stdout (method, target, status,
    /// decision), as `vxb proxy` does without `--quiet`.
    pub echo: bool,
    /// Bind with `SO_REUSEPORT`, so that one proxy per thread can listen on
    /// the same port ([`ProxyThreads`]).
    pub shared_port: bool,
    /// The header timeout and connection cap every client is held to.
    pub limits: ServerLimits,
}

impl ProxyOptions {
    /// In front of `upstream`, on an ephemeral port of 127.0.0.1, silent.
    pub fn new(upstream: Upstream) -> ProxyOptions {
        ProxyOptions {
            upstream,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            echo: false,
            shared_port: false,
            limits: ServerLimits::default(),
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(transparent)]
    Origin(#[from] BadOrigin),
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: SocketAddr, cause: String },
    /// A proxy thread or its runtime could not be started.
    #[error("{cause}")]
    Thread { cause: String },
}

/// A running proxy. Dropping it stops it at once; [`Proxy::shutdown`] stops
/// it gracefully.
#[derive(Debug)]
pub struct Proxy {
    server: Server,
    forwarder: Arc<Forwarder>,
}

impl Proxy {
    /// Binds and starts proxying in the background of the current tokio
    /// runtime, caching through `fetcher` (its configuration, clock and
    /// store).
    pub async fn start(options: ProxyOptions, fetcher: Arc<Fetcher>) -> Result<Proxy, ProxyError> {
        let forwarder = Arc::new(Forwarder {
            fetcher,
            upstream: options.upstream,
            echo: options.echo,
        });
        let shared = Arc::clone(&forwarder);
        let make = move |peer: SocketAddr| {
            let forwarder = Arc::clone(&shared);
            let client = client_value(peer);
            service_fn(move |req| {
                let forwarder = Arc::clone(&forwarder);
                let client = client.clone();
                async move { Ok::<_, Infallible>(forwarder.handle(req, &client).await) }
            })
        };
        let server = if options.shared_port {
            Server::start_on_shared_port(options.listen, options.limits, make)
        } else {
            Server::start(options.listen, options.limits, make).await
        }
        .map_err(|e| ProxyError::Bind {
            addr: options.listen,
            cause: e.to_string(),
        })?;
        Ok(Proxy { server, forwarder })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://ADDR/`, to join request paths onto.
    pub fn base_url(&self) -> Url {
        self.server.base_url()
    }

    /// The origin it stands in front of.
    pub fn upstream(&self) -> &Upstream {
        &self.forwarder.upstream
    }

    /// The fetcher (and so the cache) it answers through.
    pub fn fetcher(&self) -> &Arc<Fetcher> {
        &self.forwarder.fetcher
    }

    /// Stops accepting, lets requests in progress finish, then returns.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The `X-Forwarded-For` value for a client: its IP address.
fn client_value(peer: SocketAddr) -> HeaderValue {
    // An IP address is always a valid header value; the fallback is never
    // taken but keeps a panic out of the accept loop.
    HeaderValue::from_str(&peer.ip().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}
