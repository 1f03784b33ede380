//! The command line (spec §1). Thin on purpose: each subcommand parses its
//! arguments, calls the library, prints, and maps the outcome to an exit code
//! (0 success, 1 a call or expectation failed, 2 usage or input error).

pub mod bench;
pub mod fetch;
pub mod proxy;
pub mod run;
pub mod simulate;
pub mod tier;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::serve::{Origin, ServeOptions, load_rules};

/// A miniature but complete VoiceXML voice browser with an HTTP-correct cache.
#[derive(Parser, Debug)]
#[command(name = "vxb", version, about, long_about = None)]
pub struct Cli {
    /// Trace on stderr: `-v` each fetch and log, `-vv` debug, `-vvv` trace.
    /// `RUST_LOG` (an env-filter, e.g. `vxb::fetch=debug`), when set, wins.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a configuration file and print it with every default filled in.
    CheckConfig {
        /// The TOML configuration file (spec §2).
        file: PathBuf,
    },
    /// The load benchmark: cache hit rate against CPU load, swept over
    /// cache budgets (spec §6).
    Bench(Box<bench::BenchArgs>),
    /// Fetch a URL through the cache like curl: the cache decision of each
    /// repetition and the headers that drove it.
    Fetch(fetch::FetchArgs),
    /// The cache as a reverse proxy in front of an origin, with an `X-Cache`
    /// header naming the cache's decision on every response.
    Proxy(proxy::ProxyArgs),
    /// Place one call to a VoiceXML application — interactive at a
    /// terminal, else scripted (`--input`) or read from a pipe — printing
    /// prompts, fetches, logs and events as they happen.
    Run(run::RunArgs),
    /// Run a scenario's calls through one shared cache and check their
    /// expectations (spec §4).
    Simulate(simulate::SimulateArgs),
    /// Print the configuration of a shared caching tier (Squid) for a fleet
    /// of vxb browsers.
    Tier(tier::TierArgs),
    /// Serve a directory as a static origin: ETag, Last-Modified, 304s,
    /// headers by path pattern, one log line per request.
    Serve {
        /// The directory to serve.
        dir: PathBuf,
        /// The address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// A TOML rules file adding headers by path pattern.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a call or an expectation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_USAGE: u8 = 2;

/// Parses the process arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout and errors to stderr itself.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    init_tracing(cli.verbose);
    ExitCode::from(run(cli))
}

/// Tracing goes to stderr, so stdout (and `--json` files) stay clean:
/// `RUST_LOG` when set, else warnings only, or more with each `-v`.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(match verbose {
            0 => "warn",
            1 => "warn,vxb=info",
            2 => "warn,vxb=debug",
            _ => "info,vxb=trace",
        }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::CheckConfig { file } => match Config::load(&file) {
            Ok(config) => {
                println!("{config:#?}");
                EXIT_OK
            }
            Err(e) => {
                eprintln!("vxb: {e}");
                EXIT_USAGE
            }
        },
        Command::Bench(args) => bench::run(*args),
        Command::Fetch(args) => fetch::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Run(args) => run::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Tier(args) => tier::run(args),
        Command::Serve { dir, listen, rules } => serve(dir, listen, rules),
    }
}

/// `vxb serve`: runs until interrupted.
fn serve(dir: PathBuf, listen: SocketAddr, rules: Option<PathBuf>) -> u8 {
    let rules = match load_rules(rules.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vxb serve: {e}");
            return EXIT_USAGE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vxb serve: cannot start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    runtime.block_on(async {
        let options = ServeOptions {
            listen,
            rules,
            echo: true,
            ..ServeOptions::new(&dir)
        };
        let origin = match Origin::start(options).await {
            Ok(o) => o,
            Err(e) => {
                eprintln!("vxb serve: {e}");
                return EXIT_USAGE;
            }
        };
        println!(
            "vxb serve: serving {} on {}",
            dir.display(),
            origin.base_url()
        );
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: serve until killed.
            std::future::pending::<()>().await;
        }
        origin.shutdown().await;
        EXIT_OK
    })
}
