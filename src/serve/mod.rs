//! `vxb serve`: a static origin for samples, tests and the benchmark.
//!
//! It serves a directory (never anything outside it) over HTTP/1.1 with a
//! strong ETag and Last-Modified on every file, answers If-None-Match and
//! If-Modified-Since with 304, answers HEAD, and answers POST like GET (so a
//! `<submit method="post">` works against static samples). Other methods get
//! 405. A rules file ([`Rules`]) adds headers, drops validators, forces a
//! status or delays the answer by path pattern.
//!
//! In process, [`Origin::start`] returns a handle with the bound address, the
//! [`RequestLog`] of every request, and a graceful [`Origin::shutdown`].
//!
//! - [`files`]: answering one request from the directory.
//! - [`rules`]: the rules file.
//! - [`log`]: the request log.

pub mod files;
pub mod log;
pub mod rules;

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use url::Url;

pub use log::{LogRecord, RequestLog};
pub use rules::{Effect, Rules};

use crate::clock::{Clock, Millis, SystemClock};
use crate::config::ConfigError;
use crate::server::{AccessLine, Server, ServerLimits};

/// Request bodies up to this size are kept in the log.
const MAX_LOGGED_BODY: usize = 1 << 20;

/// What to serve and how.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The directory served.
    pub root: PathBuf,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    pub rules: Rules,
    /// Print each request's log line on stdout (what `vxb serve` does).
    pub echo: bool,
    /// Where `Date` comes from and what the rules' delays wait on (a
    /// simulation on virtual time shares its clock with the cache).
    pub clock: Arc<dyn Clock>,
    /// The header timeout and connection cap every client is held to.
    pub limits: ServerLimits,
}

impl ServeOptions {
    /// Serves `root` on an ephemeral port of 127.0.0.1, no rules, no echo.
    pub fn new(root: impl Into<PathBuf>) -> ServeOptions {
        ServeOptions {
            root: root.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            rules: Rules::default(),
            echo: false,
            clock: Arc::new(SystemClock),
            limits: ServerLimits::default(),
        }
    }
}

/// Why the origin could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{}: cannot serve: {cause}", path.display())]
    Root { path: PathBuf, cause: String },
    #[error(transparent)]
    Rules(#[from] ConfigError),
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: SocketAddr, cause: String },
}

/// A running origin. Dropping it stops it at once; [`Origin::shutdown`]
/// stops it gracefully.
#[derive(Debug)]
pub struct Origin {
    server: Server,
    log: Arc<RequestLog>,
}

/// What every connection shares.
#[derive(Debug)]
struct State {
    root: PathBuf,
    rules: Rules,
    log: Arc<RequestLog>,
    echo: bool,
    clock: Arc<dyn Clock>,
}

impl Origin {
    /// Binds and starts serving in the background of the current tokio runtime.
    pub async fn start(options: ServeOptions) -> Result<Origin, ServeError> {
        let root_error = |cause: String| ServeError::Root {
            path: options.root.clone(),
            cause,
        };
        let root = std::fs::canonicalize(&options.root).map_err(|e| root_error(e.to_string()))?;
        if !root.is_dir() {
            return Err(root_error("not a directory".to_string()));
        }
        let log = Arc::new(RequestLog::default());
        let state = Arc::new(State {
            root,
            rules: options.rules,
            log: log.clone(),
            echo: options.echo,
            clock: options.clock,
        });
        let server = Server::start(options.listen, options.limits, move |_peer| {
            let state = state.clone();
            service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(state.handle(req).await) }
            })
        })
        .await
        .map_err(|e| ServeError::Bind {
            addr: options.listen,
            cause: e.to_string(),
        })?;
        Ok(Origin { server, log })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://ADDR/`, to join request paths onto.
    pub fn base_url(&self) -> Url {
        self.server.base_url()
    }

    /// Every request answered so far.
    pub fn log(&self) -> &Arc<RequestLog> {
        &self.log
    }

    /// Stops accepting, lets requests in progress finish, then returns.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

impl State {
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let at = self.clock.now();
        let (parts, body) = req.into_parts();
        // Kept for the log (tests check what a submit sent); a body too large
        // or broken is logged as empty rather than failing the answer.
        let body =
            http_body_util::BodyExt::collect(http_body_util::Limited::new(body, MAX_LOGGED_BODY))
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
        let raw_path = parts.uri.path();
        let effect = self.rules.effect(&files::decoded_path(raw_path));
        if !effect.delay.is_zero() {
            self.clock.sleep(effect.delay).await;
        }
        let target = files::locate(&self.root, raw_path).await;
        let answer = files::answer(
            &parts.method,
            &parts.headers,
            target,
            &effect,
            self.clock.now(),
        )
        .await;
        let text =
            |v: Option<&HeaderValue>| v.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let sent = if parts.method == http::Method::HEAD {
            0
        } else {
            answer.body.len() as u64
        };
        let record = LogRecord {
            method: parts.method.clone(),
            target: parts
                .uri
                .path_and_query()
                .map_or_else(|| raw_path.to_string(), |pq| pq.to_string()),
            if_none_match: text(parts.headers.get(IF_NONE_MATCH)),
            if_modified_since: text(parts.headers.get(IF_MODIFIED_SINCE)),
            cookie: text(parts.headers.get(COOKIE)),
            content_type: text(parts.headers.get(CONTENT_TYPE)),
            body,
            status: answer.status,
            bytes: sent,
        };
        if self.echo {
            let line = AccessLine {
                at,
                method: &record.method,
                target: &record.target,
                status: record.status,
                bytes: record.bytes,
                latency: Millis(started.elapsed()),
                detail: record.validators(),
            };
            // A closed stdout (`vxb serve | head`) must not stop the server.
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
        self.log.push(record);
        let mut response = Response::new(Full::new(answer.body));
        *response.status_mut() = answer.status;
        *response.headers_mut() = answer.headers;
        response
    }
}

/// Loads the rules file if one is given.
pub fn load_rules(path: Option<&Path>) -> Result<Rules, ServeError> {
    Ok(match path {
        Some(p) => Rules::load(p)?,
        None => Rules::default(),
    })
}
