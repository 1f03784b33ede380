//! The HTTP/1.1 server plumbing `vxb serve` and `vxb proxy` share: bind,
//! accept, one hyper connection task per client with keep-alive, graceful
//! shutdown, and a handle that stops it all when dropped.
//!
//! What a server answers is its own business: [`Server::start`] takes a
//! function making one hyper service per accepted connection (given the
//! client's address), so per-connection work is done once, not per request.
//!
//! What every server owes the other clients is here, in [`ServerLimits`]: a
//! client that opens connections and never finishes a request (slowloris),
//! or keeps one idle, is cut off after the header timeout; at most
//! `max_connections` are served at once, the rest wait in the listen
//! backlog (back-pressure, not refusal) — so descriptors never run out for
//! the clients that behave. And a request without exactly one `Host` is
//! answered 400, as RFC 9112 §3.2 says, before the service sees it.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

use crate::clock::Millis;

/// One line of `vxb serve`'s and `vxb proxy`'s log, in the one format both
/// write: when the request came (UTC, milliseconds), what it asked, the
/// status, the body bytes sent, how long the answer took, and what the
/// server adds (the request's validators; the cache's decision).
///
/// `2026-01-05T10:00:00.123Z GET /app.vxml 304 0B 0.41ms if-none-match="\"3-5\""`
#[derive(Debug)]
pub struct AccessLine<'a> {
    /// When the request arrived, by the server's clock.
    pub at: SystemTime,
    pub method: &'a Method,
    /// The request target's path and query, as sent.
    pub target: &'a str,
    pub status: StatusCode,
    /// Body bytes sent (0 for HEAD and 304).
    pub bytes: u64,
    /// From the request's arrival to its answer.
    pub latency: Millis,
    /// What this server adds at the end of the line; may be empty.
    pub detail: String,
}

impl fmt::Display for AccessLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}B {}",
            humantime::format_rfc3339_millis(self.at),
            self.method,
            self.target,
            self.status.as_u16(),
            self.bytes,
            self.latency
        )?;
        if !self.detail.is_empty() {
            write!(f, " {}", self.detail)?;
        }
        Ok(())
    }
}

/// What a reader of the log (the benchmark counting its origin's load)
/// takes back from an [`AccessLine`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessFields<'a> {
    pub target: &'a str,
    pub status: u16,
    pub bytes: u64,
}

impl AccessLine<'_> {
    /// Reads back the target, status and bytes of a line written by
    /// [`AccessLine`]'s `Display`; `None` for any other line. The target
    /// holds no space (a request target cannot), so fields split on spaces.
    pub fn parse(line: &str) -> Option<AccessFields<'_>> {
        let mut fields = line.split(' ');
        humantime::parse_rfc3339(fields.next()?).ok()?;
        let _method = fields.next()?;
        let target = fields.next()?;
        let status = fields.next()?.parse().ok()?;
        let bytes = fields.next()?.strip_suffix('B')?.parse().ok()?;
        fields.next()?.strip_suffix("ms")?;
        Some(AccessFields {
            target,
            status,
            bytes,
        })
    }
}

/// What [`Server`] serves a connection with: a hyper service answering each
/// request with a complete body, that can move to the connection's task.
pub trait ConnectionService:
    Service<
        Request<Incoming>,
        Response = Response<Full<Bytes>>,
        Error = Infallible,
        Future: Send + 'static,
    > + Send
    + 'static
{
}

impl<S> ConnectionService for S where
    S: Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
            Future: Send + 'static,
        > + Send
        + 'static
{
}

/// What a server allows each client, so that none can lock out the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client has, from the moment the server is ready for its
    /// next request (a new connection, or a kept-alive one after a
    /// response), to finish sending that request's headers; then the
    /// connection is closed. It is both the header-read timeout and the
    /// idle keep-alive timeout: hyper starts it whenever it waits for a
    /// request head.
    pub header_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until
    /// one closes.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    /// 10 s, which no client on a working network needs for its headers;
    /// 512 connections, half of the usual 1,024-descriptor limit so the
    /// server keeps descriptors for its own files and upstream connections.
    fn default() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// A running server. Dropping it stops it at once (every connection
/// aborted); [`Server::shutdown`] stops it gracefully.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `listen` and serves in the background of the current tokio
    /// runtime, each connection with the service `make(client address)`.
    pub async fn start<M, S>(
        listen: SocketAddr,
        limits: ServerLimits,
        make: M,
    ) -> std::io::Result<Server>
    where
        M: Fn(SocketAddr) -> S + Send + 'static,
        S: ConnectionService,
    {
        Server::serve(TcpListener::bind(listen).await?, limits, make)
    }

    /// Like [`Server::start`], on a port other servers of this process (one
    /// per thread, each on its own runtime) bind too: `SO_REUSEPORT`, so the
    /// kernel spreads the connections among them.
    pub fn start_on_shared_port<M, S>(
        listen: SocketAddr,
        limits: ServerLimits,
        make: M,
    ) -> std::io::Result<Server>
    where
        M: Fn(SocketAddr) -> S + Send + 'static,
        S: ConnectionService,
    {
        let socket = if listen.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(listen)?;
        Server::serve(socket.listen(1024)?, limits, make)
    }

    fn serve<M, S>(listener: TcpListener, limits: ServerLimits, make: M) -> std::io::Result<Server>
    where
        M: Fn(SocketAddr) -> S + Send + 'static,
        S: ConnectionService,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, limits, make, stopped));
        Ok(Server {
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`, to join request paths onto.
    pub fn base_url(&self) -> Url {
        base_url(self.addr)
    }

    /// Stops accepting, lets requests in progress finish, then returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// `http://ADDR/`.
pub fn base_url(addr: SocketAddr) -> Url {
    Url::parse(&format!("http://{addr}/")).expect("http://<socket address>/ is always a valid URL")
}

async fn accept_loop<M, S>(
    listener: TcpListener,
    limits: ServerLimits,
    make: M,
    mut stopped: watch::Receiver<bool>,
) where
    M: Fn(SocketAddr) -> S,
    S: ConnectionService,
{
    // Aborting this task drops the set, which aborts every connection.
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        // At the cap, stop accepting: new clients wait in the kernel's
        // backlog instead of taking descriptors from the ones being served.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let service = make(peer);
                    connections.spawn(serve_connection(stream, service, limits, slot, stopped.clone()));
                }
                // Out of descriptors and the like: pause instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = stopped.changed() => break,
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection<S>(
    stream: TcpStream,
    service: S,
    limits: ServerLimits,
    // Held until the connection is closed: its place under the cap.
    _slot: OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) where
    S: ConnectionService,
{
    // A response is written in one go; Nagle would only hold back the last
    // segment of a large one waiting for an ACK.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req: Request<Incoming>| {
        let answer = match host_problem(&req) {
            None => Ok(service.call(req)),
            Some(why) => Err(why),
        };
        async move {
            match answer {
                Ok(answer) => answer.await,
                Err(why) => Ok(bad_request(why)),
            }
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Why a request's `Host` is unacceptable (RFC 9112 §3.2: an HTTP/1.1
/// request has exactly one, and a server answers 400 to any other), or
/// `None` when it is fine. An HTTP/1.0 request may lack it.
fn host_problem<B>(req: &Request<B>) -> Option<&'static str> {
    let hosts = req.headers().get_all(http::header::HOST).iter().count();
    match hosts {
        1 => None,
        0 if req.version() < http::Version::HTTP_11 => None,
        0 => Some("an HTTP/1.1 request needs a Host header\n"),
        _ => Some("a request has one Host header, not several\n"),
    }
}

fn bad_request(why: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(why.as_bytes())));
    *response.status_mut() = http::StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_line_has_time_request_status_bytes_latency_and_detail() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_704_067_200_123);
        let mut line = AccessLine {
            at,
            method: &Method::GET,
            target: "/a.vxml?x=1",
            status: StatusCode::NOT_MODIFIED,
            bytes: 0,
            latency: Millis(Duration::from_micros(410)),
            detail: r#"if-none-match="\"3-5\"""#.into(),
        };
        assert_eq!(
            line.to_string(),
            r#"2024-01-01T00:00:00.123Z GET /a.vxml?x=1 304 0B 0.41ms if-none-match="\"3-5\"""#
        );
        line.detail.clear();
        assert_eq!(
            line.to_string(),
            "2024-01-01T00:00:00.123Z GET /a.vxml?x=1 304 0B 0.41ms"
        );
    }

    #[test]
    fn an_access_line_reads_back_and_nothing_else_does() {
        let line = AccessLine {
            at: SystemTime::UNIX_EPOCH,
            method: &Method::HEAD,
            target: "/p.wav",
            status: StatusCode::OK,
            bytes: 12,
            latency: Millis(Duration::from_millis(3)),
            detail: r#"if-none-match="\"a -> b\"" HIT"#.into(),
        };
        let fields = AccessFields {
            target: "/p.wav",
            status: 200,
            bytes: 12,
        };
        assert_eq!(AccessLine::parse(&line.to_string()), Some(fields));
        for other in [
            "vxb serve: serving x on http://h/",
            "GET /a -> 200 (12 bytes)",
            "2024-01-01T00:00:00.000Z GET /a 200 lots 0.41ms",
            "",
        ] {
            assert_eq!(AccessLine::parse(other), None, "{other}");
        }
    }
}
