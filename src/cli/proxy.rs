//! `vxb proxy`: the cache as a reverse proxy in front of an origin, with
//! `X-Cache` on every response (see [`crate::proxy`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::proxy::{Proxy, ProxyOptions, Upstream};

/// The arguments of `vxb proxy`.
#[derive(Args, Debug)]
pub struct ProxyArgs {
    /// The origin to stand in front of: http(s)://host[:port][/prefix].
    #[arg(long)]
    pub origin: String,
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// The TOML configuration file (spec §2): the cache's budgets and knobs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Do not log each request (for benchmarks).
    #[arg(long, short)]
    pub quiet: bool,
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
    // One worker thread per core: hits are served on every core.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vxb proxy: cannot start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    runtime.block_on(async {
        let options = ProxyOptions {
            listen: args.listen,
            echo: !args.quiet,
            ..ProxyOptions::new(upstream)
        };
        let proxy = match Proxy::start(options, fetcher).await {
            Ok(p) => p,
            Err(e) => {
                eprintln!("vxb proxy: {e}");
                return EXIT_USAGE;
            }
        };
        println!(
            "vxb proxy: {} -> {}",
            proxy.base_url(),
            proxy.upstream().url()
        );
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: proxy until killed.
            std::future::pending::<()>().await;
        }
        proxy.shutdown().await;
        EXIT_OK
    })
}
