//! The flags `vxb serve` and `vxb proxy` share: what each client is allowed
//! (the server's [`ServerLimits`]).

use std::time::Duration;

use clap::Args;
use clap::builder::TypedValueParser;

use crate::config::parse_duration;
use crate::server::ServerLimits;

/// How long a client may take and how many are served at once.
#[derive(Args, Clone, Debug)]
pub struct ServerArgs {
    /// Close a connection whose request headers are not complete this long
    /// after the server is ready for them — a new connection, or a
    /// kept-alive one after its last response (so it is the idle timeout
    /// too).
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub header_timeout: Duration,
    /// Serve at most this many connections at once; more wait until one
    /// closes.
    #[arg(long, default_value_t = ServerLimits::default().max_connections,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    pub max_connections: usize,
}

impl ServerArgs {
    /// The limits these flags say.
    pub fn limits(&self) -> ServerLimits {
        ServerLimits {
            header_timeout: self.header_timeout,
            max_connections: self.max_connections,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
    }

    #[test]
    fn defaults_are_the_servers_and_flags_override_them() {
        let cli = Cli::try_parse_from(["x"]).expect("parses");
        assert_eq!(cli.server.limits(), ServerLimits::default());
        let cli = Cli::try_parse_from(["x", "--header-timeout", "2s", "--max-connections", "7"])
            .expect("parses");
        assert_eq!(
            cli.server.limits(),
            ServerLimits {
                header_timeout: Duration::from_secs(2),
                max_connections: 7
            }
        );
        assert!(Cli::try_parse_from(["x", "--max-connections", "0"]).is_err());
        assert!(Cli::try_parse_from(["x", "--header-timeout", "soon"]).is_err());
    }
}
