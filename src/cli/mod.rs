//! The command line. Thin on purpose: each subcommand parses its
//! arguments, calls the library, prints, and maps the outcome to an exit code
//! (0 success, 1 a call or expectation failed, 2 usage or input error).

pub mod bench;
pub mod check_config;
pub mod docs;
pub mod fetch;
pub mod lint;
pub mod proxy;
pub mod run;
pub mod server_args;
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
#[command(name = "vxb", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// Trace on stderr: `-v` each fetch and log, `-vv` debug, `-vvv` trace.
    /// `RUST_LOG` (an env-filter, e.g. `vxb::fetch=debug`), when set, wins.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Errors only on stderr: no warnings or traces.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. `--help` lists them by `display_order`: the call
/// first, then the tools around it.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a configuration file and print it as TOML with every default
    /// filled in, marking the values that differ from the default.
    #[command(display_order = 7)]
    CheckConfig {
        /// The TOML configuration file.
        file: PathBuf,
    },
    /// The load benchmark: cache hit rate against CPU load, swept over
    /// cache budgets.
    #[command(display_order = 6)]
    Bench(Box<bench::BenchArgs>),
    /// Fetch a URL through the cache like curl: the cache decision of each
    /// repetition and the headers that drove it.
    #[command(display_order = 3)]
    Fetch(fetch::FetchArgs),
    /// Check an application without placing a call: every document,
    /// script, grammar, data file and clip it references statically,
    /// each problem at file:line:column.
    #[command(display_order = 3)]
    Lint(lint::LintArgs),
    /// The cache as a reverse proxy in front of an origin, with an `X-Cache`
    /// header naming the cache's decision on every response.
    ///
    /// It is a shared HTTP cache as RFC 9111 describes one: `s-maxage` and
    /// `proxy-revalidate`, responses to requests with `Authorization` kept
    /// private, `Age` lists and lenient dates; targeted cache-control
    /// (RFC 9213: `CDN-Cache-Control`, or the fields named by
    /// `cache.targeted_cache_control`), which it does not pass on;
    /// `stale-while-revalidate` and `stale-if-error` (RFC 5861); `immutable`
    /// (RFC 8246); conditional requests (RFC 9110); and
    /// `Cache-Status` (RFC 9211) on every response, e.g.
    /// `vxb;fwd=uri-miss;fwd-status=200;ttl=60;stored`, then `vxb;hit;ttl=55`.
    #[command(display_order = 5)]
    Proxy(proxy::ProxyArgs),
    /// Place one call to a VoiceXML application — interactive at a
    /// terminal, else scripted (`--input`) or read from a pipe — printing
    /// prompts, fetches, logs and events as they happen.
    #[command(display_order = 1)]
    Run(run::RunArgs),
    /// Run scenarios' calls, each scenario through one shared cache, and
    /// check their expectations.
    #[command(display_order = 2)]
    Simulate(simulate::SimulateArgs),
    /// Print the configuration of a shared caching tier (Squid) for a fleet
    /// of vxb browsers.
    #[command(display_order = 8)]
    Tier(tier::TierArgs),
    /// Serve a directory as a static origin: ETag, Last-Modified, 304s,
    /// headers by path pattern, one log line per request.
    #[command(display_order = 4)]
    Serve {
        /// The directory to serve.
        dir: PathBuf,
        /// The address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// A TOML rules file adding headers by path pattern.
        #[arg(long)]
        rules: Option<PathBuf>,
        #[command(flatten)]
        server: server_args::ServerArgs,
    },
    /// Print the shell completion script for `vxb` (e.g. `vxb completions
    /// bash > /etc/bash_completion.d/vxb`).
    #[command(display_order = 20)]
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
    /// Print the man page `vxb(1)`, or write one page per command into a
    /// directory.
    #[command(display_order = 21)]
    Manpage {
        /// Write `vxb.1`, `vxb-run.1`, … into this directory instead.
        #[arg(long)]
        dir: Option<PathBuf>,
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
    init_tracing(cli.verbose, cli.quiet);
    ExitCode::from(run(cli))
}

/// `vxb --version`: the package version and, when built from a git checkout,
/// the commit (`0.1.0 (3f2c1ab)`), as the build script wrote it.
const VERSION: &str = env!("VXB_VERSION");

/// Whether to colour what goes to a stream: only a terminal, and never when
/// `NO_COLOR` is set (to anything but the empty string).
pub fn use_colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Tracing goes to stderr, so stdout (and `--json` files) stay clean:
/// `RUST_LOG` when set, else warnings only (errors only with `--quiet`), or
/// more with each `-v`.
fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ if quiet => EnvFilter::new("error"),
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
        .with_ansi(use_colour(std::io::stderr().is_terminal()))
        .try_init();
}

fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::CheckConfig { file } => match Config::load(&file) {
            Ok(config) => {
                print!("{}", check_config::to_toml(&config));
                EXIT_OK
            }
            Err(e) => {
                eprintln!("vxb: {e}");
                EXIT_USAGE
            }
        },
        Command::Bench(args) => bench::run(*args),
        Command::Fetch(args) => fetch::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Run(args) => run::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Tier(args) => tier::run(args),
        Command::Serve {
            dir,
            listen,
            rules,
            server,
        } => serve(dir, listen, rules, server.limits()),
        Command::Completions { shell } => docs::completions(shell),
        Command::Manpage { dir } => docs::manpage(dir.as_deref()),
    }
}

/// `vxb serve`: runs until interrupted.
fn serve(
    dir: PathBuf,
    listen: SocketAddr,
    rules: Option<PathBuf>,
    limits: crate::server::ServerLimits,
) -> u8 {
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
            limits,
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
