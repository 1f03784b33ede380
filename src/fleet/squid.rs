//! Squid as vxb's shared caching tier: the configuration (`vxb tier
//! squid`) and a private Squid process started from it.
//!
//! The configuration keeps the whole cache in memory (`cache_mem`), turns on
//! `collapsed_forwarding` (many browsers missing the same URL at once make
//! one origin request), maps each resource type's `default_max_age` and
//! heuristic to a `refresh_pattern` on the URL extensions that type is
//! known by, and, given several tier nodes, spreads URLs over them as a
//! CARP parent array.
//!
//! A [`Squid`] runs in the foreground (`-N`) with its pid file, logs and
//! configuration in a temporary directory of its own — never the system
//! service's — on a loopback port, and is stopped when dropped.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use url::Url;

use crate::config::CacheConfig;
use crate::resource::ResourceType;

/// What `vxb tier squid` writes.
#[derive(Clone, Debug, PartialEq)]
pub struct SquidConfig {
    /// Where Squid listens for the browsers.
    pub listen: SocketAddr,
    /// The memory cache (`cache_mem`), in MiB.
    pub memory_mb: u64,
    /// The largest object kept (`maximum_object_size_in_memory`), in KiB.
    pub max_object_kb: u64,
    /// Freshness of responses without explicit lifetimes, per type.
    pub cache: CacheConfig,
    /// Other tier nodes: with any, this Squid forwards misses to them as a
    /// CARP parent array (each URL to one of them) instead of the origin.
    pub parents: Vec<Url>,
    /// Directory for the pid file, logs and core dumps; `None` leaves
    /// Squid's own defaults (the system locations).
    pub state_dir: Option<PathBuf>,
}

impl Default for SquidConfig {
    fn default() -> Self {
        SquidConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 3128)),
            memory_mb: 256,
            max_object_kb: 16 * 1024,
            cache: CacheConfig::default(),
            parents: Vec::new(),
            state_dir: None,
        }
    }
}

/// Squid could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SquidError {
    #[error("squid is not installed (Debian: apt-get install squid)")]
    NotInstalled,
    #[error("cannot prepare squid's directory {path}: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("squid exited before it listened on {listen} ({status}); its log says: {log}")]
    Exited {
        listen: SocketAddr,
        status: std::process::ExitStatus,
        log: String,
    },
    #[error("squid did not listen on {listen} within {waited:?}; its log says: {log}")]
    NotListening {
        listen: SocketAddr,
        waited: Duration,
        log: String,
    },
}

impl SquidConfig {
    /// The configuration file's text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line("# Squid as the shared caching tier of a vxb fleet (vxb tier squid).".into());
        line(format!("http_port {}", self.listen));
        line("acl vxb_clients src 127.0.0.0/8 ::1 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16".into());
        line("http_access allow vxb_clients".into());
        line("http_access deny all".into());
        line("visible_hostname vxb-tier".into());
        line(String::new());
        line("# The whole cache in memory: voice application resources are small".into());
        line("# and read again and again.".into());
        line(format!("cache_mem {} MB", self.memory_mb));
        line(format!(
            "maximum_object_size_in_memory {} KB",
            self.max_object_kb
        ));
        line(format!("maximum_object_size {} KB", self.max_object_kb));
        line("memory_replacement_policy lru".into());
        line("# Many browsers missing one URL at once make one origin request.".into());
        line("collapsed_forwarding on".into());
        line("# A revalidation answers every browser waiting for it.".into());
        line("cache_miss_revalidate on".into());
        line(String::new());
        line("# Freshness of responses that carry none: each resource type's".into());
        line("# default_max_age (min) and heuristic (percent of Last-Modified age, up".into());
        line("# to max), by the URL extensions the type is known by. Minutes.".into());
        for (rtype, exts) in ResourceType::EXTENSIONS {
            let t = &self.cache.types[rtype];
            line(format!(
                "refresh_pattern -i \\.({})(\\?.*)?$ {} {:.0}% {}",
                exts.join("|"),
                minutes(t.default_max_age),
                t.heuristic_fraction * 100.0,
                minutes(t.max_heuristic_lifetime),
            ));
        }
        let doc = &self.cache.types[ResourceType::Document];
        line(format!(
            "refresh_pattern . {} {:.0}% {}",
            minutes(doc.default_max_age),
            doc.heuristic_fraction * 100.0,
            minutes(doc.max_heuristic_lifetime),
        ));
        if !self.parents.is_empty() {
            line(String::new());
            line("# The other tier nodes, one URL to one node (CARP).".into());
            for (i, p) in self.parents.iter().enumerate() {
                let host = p.host_str().unwrap_or("127.0.0.1");
                let port = p.port_or_known_default().unwrap_or(3128);
                line(format!(
                    "cache_peer {host} parent {port} 0 carp no-query no-digest name=node{i}"
                ));
            }
            line("never_direct allow all".into());
        }
        line(String::new());
        match &self.state_dir {
            Some(dir) => {
                let d = dir.display();
                line(format!("pid_filename {d}/squid.pid"));
                line(format!("cache_log {d}/cache.log"));
                line(format!("access_log stdio:{d}/access.log"));
                line(format!("coredump_dir {d}"));
                line("netdb_filename none".into());
            }
            None => line("coredump_dir /var/spool/squid".into()),
        }
        line("cache_store_log none".into());
        line("pinger_enable off".into());
        line("logfile_rotate 0".into());
        line("# Stop at once: the fleet's browsers stop with it.".into());
        line("shutdown_lifetime 0 seconds".into());
        out
    }
}

/// Whole minutes, rounded up (Squid's `refresh_pattern` unit): a lifetime
/// below a minute is still a lifetime.
fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60)
}

/// The `squid` program: on `PATH`, or where Debian installs it.
pub fn program() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("squid"))
            .collect::<Vec<_>>()
    });
    on_path
        .chain([PathBuf::from("/usr/sbin/squid")])
        .find(|p| p.is_file())
}

/// A private Squid: its own directory, a loopback port; stopped on drop.
#[derive(Debug)]
pub struct Squid {
    child: Child,
    listen: SocketAddr,
    dir: tempfile::TempDir,
}

impl Squid {
    /// Starts Squid from `config` (its `listen` port 0: a free loopback
    /// port; its `state_dir` is replaced by a temporary one) and waits until
    /// it accepts connections.
    pub fn start(config: &SquidConfig) -> Result<Squid, SquidError> {
        let program = program().ok_or(SquidError::NotInstalled)?;
        let dir = tempfile::Builder::new()
            .prefix("vxb-squid-")
            .tempdir()
            .map_err(|source| SquidError::Dir {
                path: std::env::temp_dir(),
                source,
            })?;
        // Run as root, Squid drops to its `proxy` user, which must still
        // write its logs and pid file here.
        let dir_error = |source| SquidError::Dir {
            path: dir.path().to_path_buf(),
            source,
        };
        set_mode(dir.path(), 0o777).map_err(dir_error)?;
        let mut config = config.clone();
        config.state_dir = Some(dir.path().to_path_buf());
        if config.listen.port() == 0 {
            // Squid cannot be told "any port": take one the kernel picked.
            let probe = TcpListener::bind((config.listen.ip(), 0)).map_err(dir_error)?;
            config.listen = probe.local_addr().map_err(dir_error)?;
        }
        let conf = dir.path().join("squid.conf");
        std::fs::write(&conf, config.render()).map_err(dir_error)?;
        set_mode(&conf, 0o644).map_err(dir_error)?;
        let child = Command::new(&program)
            .arg("-N") // no daemon: this process is Squid, stopped by us
            .arg("-f")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| SquidError::Spawn { program, source })?;
        let mut squid = Squid {
            child,
            listen: config.listen,
            dir,
        };
        squid.wait_listening(Duration::from_secs(20))?;
        Ok(squid)
    }

    fn wait_listening(&mut self, limit: Duration) -> Result<(), SquidError> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(SquidError::Exited {
                    listen: self.listen,
                    status,
                    log: self.log_tail(),
                });
            }
            if TcpStream::connect_timeout(&self.listen, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(SquidError::NotListening {
                    listen: self.listen,
                    waited: limit,
                    log: self.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The proxy URL browsers use (`fetch.proxy`).
    pub fn url(&self) -> Url {
        // An IP and a port always make a URL.
        Url::parse(&format!("http://{}/", self.listen)).unwrap_or_else(|_| unreachable!())
    }

    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// Squid's process id (its CPU time is `/proc/PID/stat`'s).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The directory with `squid.conf`, `cache.log` and `access.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last lines of Squid's `cache.log`, for error messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("cache.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().rev().take(5).collect();
        if lines.is_empty() {
            return "(nothing)".into();
        }
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// The access log's lines: one per request Squid answered, with its
    /// decision (`TCP_MISS/200`, `TCP_MEM_HIT/200`, …).
    pub fn access_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Stops Squid (SIGTERM; SIGKILL if it lingers) and waits for it.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child's pid, which we have not
            // reaped yet, so it cannot name another process.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        self.terminate();
    }
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_what_a_fleet_needs() {
        let mut cache = CacheConfig::default();
        cache.types[ResourceType::Audio].default_max_age = Duration::from_secs(90);
        let text = SquidConfig {
            memory_mb: 64,
            cache,
            ..SquidConfig::default()
        }
        .render();
        assert!(text.contains("http_port 127.0.0.1:3128\n"), "{text}");
        assert!(text.contains("cache_mem 64 MB\n"), "{text}");
        assert!(text.contains("collapsed_forwarding on\n"), "{text}");
        // 90 s of audio default_max_age is 2 minutes; 10 % heuristic, 24 h cap.
        let audio = text
            .lines()
            .find(|l| l.contains("wav"))
            .expect("an audio refresh_pattern");
        assert!(audio.ends_with(" 2 10% 1440"), "{audio}");
        assert!(!text.contains("cache_peer"), "{text}");
    }

    #[test]
    fn several_nodes_make_a_carp_parent_array() {
        let parents = ["http://10.0.0.1:3128", "http://10.0.0.2:3129"]
            .iter()
            .map(|s| Url::parse(s).expect("URL"))
            .collect();
        let text = SquidConfig {
            parents,
            ..SquidConfig::default()
        }
        .render();
        assert!(
            text.contains("cache_peer 10.0.0.1 parent 3128 0 carp"),
            "{text}"
        );
        assert!(
            text.contains("cache_peer 10.0.0.2 parent 3129 0 carp"),
            "{text}"
        );
        assert!(text.contains("never_direct allow all"), "{text}");
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(minutes(Duration::ZERO), 0);
        assert_eq!(minutes(Duration::from_secs(1)), 1);
        assert_eq!(minutes(Duration::from_secs(120)), 2);
    }
}
