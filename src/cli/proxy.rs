//! `vxb proxy`: the cache as a reverse proxy in front of an origin, with
//! `X-Cache` on every response (see [`crate::proxy`]).

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::proxy::{ProxyError, ProxyOptions, ProxyThreads, Upstream};

/// The arguments of `vxb proxy`.
#[derive(Args, Debug)]
pub struct ProxyArgs {
    /// The origin to stand in front of: `http(s)://host[:port][/prefix]`.
    #[arg(long)]
    pub origin: String,
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// The TOML configuration file: the cache's budgets and knobs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Do not log each request (for benchmarks).
    #[arg(long, short)]
    pub quiet: bool,
    /// Proxy threads, each with its own runtime, sharing the port and the
    /// cache (default: one per CPU).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    #[command(flatten)]
    pub server: super::server_args::ServerArgs,
}

/// Runs `vxb proxy` until interrupted; returns the exit code.
pub fn run(args: ProxyArgs) -> u8 {
    let upstream = match Upstream::parse(&args.origin) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("vxb proxy: {e}");
            return EXIT_USAGE;
        }
    };
    let config = match args.config.as_deref().map(Config::load).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            eprintln!("vxb proxy: {e}");
            return EXIT_USAGE;
        }
    };
    // The proxy never reads file: URLs, so no file root.
    let fetcher = match Fetcher::new(Arc::new(config), Arc::new(SystemClock), None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vxb proxy: {e}");
            return EXIT_USAGE;
        }
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        usize::from,
    );
    // Each thread serves its own share of the connection cap, so the
    // process as a whole keeps to it.
    let mut limits = args.server.limits();
    limits.max_connections = limits.max_connections.div_ceil(threads).max(1);
    let options = ProxyOptions {
        listen: args.listen,
        echo: !args.quiet,
        limits,
        ..ProxyOptions::new(upstream.clone())
    };
    let proxy = match ProxyThreads::start(options, fetcher, threads) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vxb proxy: {e}");
            return match e {
                ProxyError::Thread { .. } => EXIT_FAILED,
                ProxyError::Origin(_) | ProxyError::Bind { .. } => EXIT_USAGE,
            };
        }
    };
    println!("vxb proxy: {} -> {}", proxy.base_url(), upstream.url());
    let interrupted = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(tokio::signal::ctrl_c()));
    if !matches!(interrupted, Ok(Ok(()))) {
        // No signal handling here: proxy until killed.
        loop {
            std::thread::park();
        }
    }
    proxy.shutdown();
    EXIT_OK
}
