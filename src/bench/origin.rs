//! The benchmark's origin: `vxb serve` in a child process, so that its CPU
//! time is its own and not the browser's.
//!
//! # How its load is read
//!
//! `vxb serve` prints one line per request on stdout
//! (`2026-01-05T10:00:00.123Z GET /a.vxml 200 12B 0.41ms`, an
//! [`AccessLine`]), written before the response is sent. A
//! thread here reads that stream and counts requests, body bytes, 304s and
//! error statuses — so `vxb serve` itself is unchanged. Two consequences,
//! both handled:
//!
//! - That thread runs in *this* process. Its CPU time is read on its own
//!   ([`ChildOrigin::reader_cpu`]) so the benchmark can take it out of the
//!   browser's.
//! - Lines may still be in the pipe when the calls end. [`ChildOrigin::snapshot`]
//!   first sends a marker request (`/__vxb_bench_sync/N`, answered 404 and
//!   not counted) and waits for its line: every request answered before it
//!   was logged before it, so the counts are exact.
//!
//! CPU time comes from `/proc/PID/stat` (see `measure`). The child is killed
//! and reaped when the handle is dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use super::BenchError;
use super::measure::{self, CpuTime};
use crate::server::AccessLine;

/// The path prefix of the marker requests; nothing of the application lives there.
const SYNC_PATH: &str = "/__vxb_bench_sync/";
/// How long the origin may take to print its address, or to log a marker.
const WAIT: Duration = Duration::from_secs(20);
/// Lines of the child's stderr kept for an error message.
const STDERR_TAIL: usize = 20;

/// What the origin did, up to some moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct OriginSnapshot {
    /// Requests answered (marker requests excluded).
    pub requests: u64,
    /// Body bytes sent.
    pub bytes: u64,
    /// Of `requests`, those answered 304 Not Modified.
    pub not_modified: u64,
    /// Of `requests`, those answered with a status of 400 or above.
    pub error_statuses: u64,
    /// Log lines that did not read as request lines.
    pub unparsed_lines: u64,
    /// The child's CPU time (user + system).
    #[serde(rename = "cpu_seconds", serialize_with = "cpu_seconds")]
    pub cpu: CpuTime,
}

fn cpu_seconds<S: serde::Serializer>(c: &CpuTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(c.as_secs_f64())
}

impl OriginSnapshot {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &OriginSnapshot) -> OriginSnapshot {
        OriginSnapshot {
            requests: self.requests.saturating_sub(earlier.requests),
            bytes: self.bytes.saturating_sub(earlier.bytes),
            not_modified: self.not_modified.saturating_sub(earlier.not_modified),
            error_statuses: self.error_statuses.saturating_sub(earlier.error_statuses),
            unparsed_lines: self.unparsed_lines.saturating_sub(earlier.unparsed_lines),
            cpu: self.cpu.since(earlier.cpu),
        }
    }
}

/// Counted by the reader thread.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    bytes: AtomicU64,
    not_modified: AtomicU64,
    error_statuses: AtomicU64,
    unparsed: AtomicU64,
    /// The highest marker seen, and the stream's end, for [`ChildOrigin::sync`].
    marker: Mutex<MarkerState>,
    marker_seen: Condvar,
}

#[derive(Debug, Default)]
struct MarkerState {
    seen: u64,
    closed: bool,
}

/// A running `vxb serve` child.
#[derive(Debug)]
pub struct ChildOrigin {
    child: Child,
    base: Url,
    counters: Arc<Counters>,
    reader_tid: u32,
    threads: Vec<JoinHandle<()>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    next_marker: AtomicU64,
}

impl ChildOrigin {
    /// Starts `EXE serve SITE --listen 127.0.0.1:0 [--rules RULES]` and
    /// waits for the address it prints. `exe` is `vxb` itself:
    /// `std::env::current_exe()` in the binary, `env!("CARGO_BIN_EXE_vxb")`
    /// in tests.
    pub fn spawn(exe: &Path, site: &Path, rules: Option<&Path>) -> Result<ChildOrigin, BenchError> {
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .arg(site)
            .args(["--listen", "127.0.0.1:0"]);
        if let Some(rules) = rules {
            command.arg("--rules").arg(rules);
        }
        let start_error = |cause: String| BenchError::OriginStart {
            command: format!("{} serve {}", exe.display(), site.display()),
            cause,
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| start_error(e.to_string()))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(start_error("no pipe to its output".into()));
        };
        let counters = Arc::new(Counters::default());
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let (started_tx, started_rx) = mpsc::channel();
        let threads = vec![
            spawn_reader(stdout, Arc::clone(&counters), started_tx),
            spawn_stderr_tail(stderr, Arc::clone(&stderr_tail)),
        ];
        let mut origin = ChildOrigin {
            child,
            // Replaced below once the child has said where it listens.
            base: Url::parse("http://127.0.0.1/").map_err(|e| start_error(e.to_string()))?,
            counters,
            reader_tid: 0,
            threads,
            stderr_tail,
            next_marker: AtomicU64::new(1),
        };
        match started_rx.recv_timeout(WAIT) {
            Ok(Ok((tid, line))) => {
                origin.reader_tid = tid;
                origin.base = address_line_url(&line)
                    .ok_or_else(|| start_error(format!("unexpected first line `{line}`")))?;
                Ok(origin)
            }
            Ok(Err(e)) => Err(e),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(start_error(format!(
                "no address line within {}s",
                WAIT.as_secs()
            ))),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // It exited: its stderr says why. Reap it and drain the pipe.
                let status = origin
                    .child
                    .wait()
                    .map_err(|e| start_error(e.to_string()))?;
                for t in origin.threads.drain(..) {
                    let _ = t.join();
                }
                let tail = origin.stderr_text();
                Err(start_error(format!(
                    "it exited ({status}): {}",
                    tail.trim()
                )))
            }
        }
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The CPU time of this process's thread reading the origin's log: not
    /// the browser's work, so the benchmark subtracts it.
    pub fn reader_cpu(&self) -> Result<CpuTime, BenchError> {
        measure::thread_cpu(self.reader_tid)
    }

    /// The counts so far, exact up to this moment (after a marker round
    /// trip), and the child's CPU time.
    pub fn snapshot(&self) -> Result<OriginSnapshot, BenchError> {
        self.sync()?;
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Acquire);
        Ok(OriginSnapshot {
            requests: load(&c.requests),
            bytes: load(&c.bytes),
            not_modified: load(&c.not_modified),
            error_statuses: load(&c.error_statuses),
            unparsed_lines: load(&c.unparsed),
            cpu: measure::pid_cpu(self.pid())?,
        })
    }

    /// Sends a marker request and waits until the reader has seen its line.
    fn sync(&self) -> Result<(), BenchError> {
        let n = self.next_marker.fetch_add(1, Ordering::Relaxed);
        let addr = self
            .base
            .socket_addrs(|| None)
            .ok()
            .and_then(|a| a.into_iter().next())
            .ok_or_else(|| self.gone(format!("no address in {}", self.base)))?;
        let exchange = || -> std::io::Result<()> {
            let mut s = TcpStream::connect_timeout(&addr, WAIT)?;
            s.set_read_timeout(Some(WAIT))?;
            write!(
                s,
                "GET {SYNC_PATH}{n} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            )?;
            let mut sink = Vec::new();
            s.read_to_end(&mut sink)?;
            Ok(())
        };
        exchange().map_err(|e| self.gone(format!("marker request: {e}")))?;
        let state = self
            .counters
            .marker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (state, timeout) = self
            .counters
            .marker_seen
            .wait_timeout_while(state, WAIT, |s| s.seen < n && !s.closed)
            .unwrap_or_else(PoisonError::into_inner);
        if state.seen >= n {
            Ok(())
        } else if timeout.timed_out() {
            Err(self.gone(format!("marker {n} not logged within {}s", WAIT.as_secs())))
        } else {
            Err(self.gone("its log closed".into()))
        }
    }

    fn gone(&self, cause: String) -> BenchError {
        let tail = self.stderr_text();
        BenchError::OriginLost(if tail.trim().is_empty() {
            cause
        } else {
            format!("{cause}; it said: {}", tail.trim())
        })
    }

    fn stderr_text(&self) -> String {
        let tail = self
            .stderr_tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tail.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for ChildOrigin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes close with the child, so the threads end.
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

type Started = Result<(u32, String), BenchError>;

/// Reads the address line, reports it with the thread's id, then counts
/// request lines until the stream ends.
fn spawn_reader(
    stdout: ChildStdout,
    counters: Arc<Counters>,
    started: mpsc::Sender<Started>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(n) if n > 0 => {
                let _ =
                    started.send(measure::current_tid().map(|tid| (tid, line.trim().to_string())));
            }
            // Dropping `started` tells the spawner the child is gone.
            _ => return,
        }
        drop(started);
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => counters.count(line.trim_end()),
            }
        }
        let mut state = counters
            .marker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        counters.marker_seen.notify_all();
    })
}

fn spawn_stderr_tail(stderr: ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
            if tail.len() == STDERR_TAIL {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    })
}

impl Counters {
    fn count(&self, line: &str) {
        match parse_request_line(line) {
            Some(LogLine::Marker(n)) => {
                let mut state = self.marker.lock().unwrap_or_else(PoisonError::into_inner);
                state.seen = state.seen.max(n);
                self.marker_seen.notify_all();
            }
            Some(LogLine::Request { status, bytes }) => {
                self.bytes.fetch_add(bytes, Ordering::Relaxed);
                if status == 304 {
                    self.not_modified.fetch_add(1, Ordering::Relaxed);
                } else if status >= 400 {
                    self.error_statuses.fetch_add(1, Ordering::Relaxed);
                }
                // Last, with Release: a reader that sees the count sees the rest.
                self.requests.fetch_add(1, Ordering::Release);
            }
            None => {
                self.unparsed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum LogLine {
    Request { status: u16, bytes: u64 },
    Marker(u64),
}

/// A request line of `vxb serve`'s log ([`AccessLine`]): a marker, or a
/// request with its status and bytes.
fn parse_request_line(line: &str) -> Option<LogLine> {
    let fields = AccessLine::parse(line)?;
    if let Some(n) = fields.target.strip_prefix(SYNC_PATH) {
        return n.parse().ok().map(LogLine::Marker);
    }
    Some(LogLine::Request {
        status: fields.status,
        bytes: fields.bytes,
    })
}

/// `vxb serve: serving DIR on http://127.0.0.1:PORT/` → the URL.
fn address_line_url(line: &str) -> Option<Url> {
    let url = Url::parse(line.rsplit(" on ").next()?.trim()).ok()?;
    (url.scheme() == "http" && url.port().is_some()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as `vxb serve` writes it.
    fn line(target: &str, status: u16, bytes: u64, detail: &str) -> String {
        AccessLine {
            at: std::time::SystemTime::now(),
            method: &http::Method::GET,
            target,
            status: http::StatusCode::from_u16(status).expect("status"),
            bytes,
            latency: crate::clock::Millis(std::time::Duration::from_micros(410)),
            detail: detail.into(),
        }
        .to_string()
    }

    #[test]
    fn request_lines() {
        assert_eq!(
            parse_request_line(&line("/a.vxml", 200, 12, "")),
            Some(LogLine::Request {
                status: 200,
                bytes: 12
            })
        );
        assert_eq!(
            parse_request_line(&line(
                "/audio/p1.wav",
                304,
                0,
                r#"if-none-match="\"a -> b\"""#
            )),
            Some(LogLine::Request {
                status: 304,
                bytes: 0
            })
        );
        assert_eq!(
            parse_request_line(&line("/__vxb_bench_sync/17", 404, 14, "")),
            Some(LogLine::Marker(17))
        );
        assert_eq!(
            parse_request_line("vxb serve: serving x on http://h/"),
            None
        );
    }

    #[test]
    fn address_lines() {
        let url = address_line_url("vxb serve: serving /tmp/x on http://127.0.0.1:4321/");
        assert_eq!(
            url.map(|u| u.to_string()),
            Some("http://127.0.0.1:4321/".into())
        );
        assert_eq!(address_line_url("something else"), None);
    }

    #[test]
    fn counters_count() {
        let c = Counters::default();
        c.count(&line("/a", 200, 10, ""));
        c.count(&line("/a", 304, 0, ""));
        c.count(&line("/b", 404, 5, ""));
        c.count("noise");
        c.count(&line("/__vxb_bench_sync/3", 404, 14, ""));
        assert_eq!(c.requests.load(Ordering::Relaxed), 3);
        assert_eq!(c.bytes.load(Ordering::Relaxed), 15);
        assert_eq!(c.not_modified.load(Ordering::Relaxed), 1);
        assert_eq!(c.error_statuses.load(Ordering::Relaxed), 1);
        assert_eq!(c.unparsed.load(Ordering::Relaxed), 1);
        assert_eq!(c.marker.lock().map(|m| m.seen).unwrap_or(0), 3);
    }
}
