//! `vxb tier squid`: prints a Squid configuration for a shared caching
//! tier in front of a vxb fleet.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use url::Url;

use super::{EXIT_OK, EXIT_USAGE};
use crate::fleet::SquidConfig;

#[derive(Args, Debug)]
pub struct TierArgs {
    #[command(subcommand)]
    pub engine: TierEngine,
}

/// The caching engines vxb writes a configuration for.
#[derive(Subcommand, Debug)]
pub enum TierEngine {
    /// Squid: memory cache, collapsed forwarding, refresh_patterns from the
    /// cache configuration's per-type freshness, CARP parents.
    Squid(SquidArgs),
}

#[derive(Args, Debug)]
pub struct SquidArgs {
    /// The address Squid listens on for the browsers.
    #[arg(long, default_value = "127.0.0.1:3128")]
    pub listen: SocketAddr,
    /// The memory cache, in MiB (`cache_mem`).
    #[arg(long, default_value_t = 256)]
    pub memory_mb: u64,
    /// The largest object cached, in KiB.
    #[arg(long, default_value_t = 16 * 1024)]
    pub max_object_kb: u64,
    /// Another tier node (`http://host:port`); given several times, misses
    /// are spread over them as a CARP parent array.
    #[arg(long = "parent")]
    pub parents: Vec<Url>,
    /// Where Squid keeps its pid file and logs (default: the system's).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// The vxb configuration whose `[cache]` freshness the tier follows.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `vxb tier`; returns the exit code.
pub fn run(args: TierArgs) -> u8 {
    let TierEngine::Squid(args) = args.engine;
    let config = match super::run::load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vxb: {e}");
            return EXIT_USAGE;
        }
    };
    let state_dir = match args.state_dir.map(std::path::absolute).transpose() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("vxb: --state-dir: {e}");
            return EXIT_USAGE;
        }
    };
    let squid = SquidConfig {
        listen: args.listen,
        memory_mb: args.memory_mb,
        max_object_kb: args.max_object_kb,
        cache: config.cache,
        parents: args.parents,
        state_dir,
    };
    print!("{}", squid.render());
    EXIT_OK
}
