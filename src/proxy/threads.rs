//! One proxy per thread, each on its own single-threaded tokio runtime, all
//! listening on one port (`SO_REUSEPORT`, the kernel spreading connections
//! among them) and answering through one shared [`Fetcher`]: how `vxb proxy`
//! runs.
//!
//! Why not tokio's multi-threaded runtime: measured on a cached 4 KB hit
//! (`benches/proxy_vs_nginx.sh`, 2 cores), it cost 15.7 µs of CPU per
//! request against 13.8 µs here, and served fewer requests per second: its
//! workers share one I/O driver and hand tasks to each other, where a hit
//! needs neither. This is nginx's model (a worker per core, each with its
//! own event loop) with one cache in memory for all. What the threads share
//! (the store, the single flights, the HTTP client's connection pool) is
//! `Sync` and runtime-agnostic; a pooled origin connection is driven by the
//! runtime that opened it, which any thread may use.

use std::net::SocketAddr;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use tokio::sync::watch;
use url::Url;

use super::{Proxy, ProxyError, ProxyOptions};
use crate::fetch::Fetcher;

/// Running proxy threads. Dropping the handle stops them (as
/// [`ProxyThreads::shutdown`] does).
#[derive(Debug)]
pub struct ProxyThreads {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    threads: Vec<JoinHandle<()>>,
}

impl ProxyThreads {
    /// Starts `threads` proxies (at least one) as `options` say, sharing
    /// `fetcher` and one port: the first binds `options.listen` (port 0
    /// picks one), the others its port. Returns once all listen; blocks, so
    /// call it outside any async runtime.
    pub fn start(
        options: ProxyOptions,
        fetcher: Arc<Fetcher>,
        threads: usize,
    ) -> Result<ProxyThreads, ProxyError> {
        let (stop, stopped) = watch::channel(false);
        let mut running = ProxyThreads {
            addr: options.listen,
            stop,
            threads: Vec::with_capacity(threads),
        };
        for i in 0..threads.max(1) {
            let options = ProxyOptions {
                listen: running.addr,
                shared_port: true,
                ..options.clone()
            };
            let (ready, started) = mpsc::channel();
            let (fetcher, stopped) = (Arc::clone(&fetcher), stopped.clone());
            let handle = std::thread::Builder::new()
                .name(format!("vxb-proxy-{i}"))
                .spawn(move || serve(options, fetcher, &ready, stopped))
                .map_err(|e| ProxyError::Thread {
                    cause: e.to_string(),
                })?;
            running.threads.push(handle);
            // A thread that died before answering dropped its sender.
            running.addr = started.recv().unwrap_or_else(|_| {
                Err(ProxyError::Thread {
                    cause: "a proxy thread ended while starting".to_string(),
                })
            })?;
        }
        Ok(running)
    }

    /// The address they listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`, to join request paths onto.
    pub fn base_url(&self) -> Url {
        crate::server::base_url(self.addr)
    }

    /// How many proxy threads run.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// Stops every thread gracefully (requests in progress finish) and waits
    /// for them.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let _ = self.stop.send(true);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for ProxyThreads {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// One thread's life: a runtime, a proxy, until told to stop.
fn serve(
    options: ProxyOptions,
    fetcher: Arc<Fetcher>,
    ready: &mpsc::Sender<Result<SocketAddr, ProxyError>>,
    mut stopped: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let cause = format!("cannot start the async runtime: {e}");
            let _ = ready.send(Err(ProxyError::Thread { cause }));
            return;
        }
    };
    runtime.block_on(async move {
        match Proxy::start(options, fetcher).await {
            Ok(proxy) => {
                let _ = ready.send(Ok(proxy.addr()));
                let _ = stopped.wait_for(|stop| *stop).await;
                proxy.shutdown().await;
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        }
    });
}
