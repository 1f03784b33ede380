//! `vxb fetch`: fetch a URL through the cache like curl, and show for each
//! repetition what the cache decided and the headers that drove it — so an
//! application developer can see why their server's answers are (or are not)
//! cached.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use http::header::{self, HeaderName};
use url::Url;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::cache::policy::{self, RequestDirectives};
use crate::clock::SystemClock;
use crate::config::{Config, parse_duration};
use crate::fetch::tier::with_tier;
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher, Referrer, location};
use crate::resource::ResourceType;

/// The arguments of `vxb fetch`.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The URL to fetch (http, https or file; a local path is taken as a file).
    pub url: String,
    /// The resource type: selects the cache budget and per-type settings.
    #[arg(long = "type", default_value = "document", value_parser = resource_type())]
    pub rtype: ResourceType,
    /// The request's maxage, in seconds (or a duration such as `2m`).
    #[arg(long, value_parser = seconds)]
    pub maxage: Option<Duration>,
    /// The request's maxstale, in seconds (or a duration such as `30s`).
    #[arg(long, value_parser = seconds)]
    pub maxstale: Option<Duration>,
    /// How many times to fetch.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// How long to wait between repetitions (e.g. `2s`).
    #[arg(long, value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// The TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also print the body (as text, invalid UTF-8 replaced).
    #[arg(long)]
    pub body: bool,
}

fn resource_type() -> impl TypedValueParser<Value = ResourceType> {
    PossibleValuesParser::new(ResourceType::ALL.map(ResourceType::as_str))
        .try_map(|s| s.parse::<ResourceType>())
}

/// Whole seconds (`120`) or a duration (`2m`).
fn seconds(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u64>() {
        Ok(n) => Ok(Duration::from_secs(n)),
        Err(_) => parse_duration(s),
    }
}

/// Runs `vxb fetch`; returns the exit code.
pub fn run(args: FetchArgs) -> u8 {
    let config = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("vxb fetch: {e}");
                return EXIT_USAGE;
            }
        },
        None => Config::default(),
    };
    let url = match target(&args.url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("vxb fetch: {e}");
            return EXIT_FAILED;
        }
    };
    let start_dir = start_dir(&url);
    let fetcher = match Fetcher::new(
        Arc::new(config),
        Arc::new(SystemClock),
        start_dir.as_deref(),
    ) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vxb fetch: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(runtime) = runtime("fetch") else {
        return EXIT_FAILED;
    };
    runtime.block_on(repeat(&fetcher, &args, url))
}

/// The URL named on the command line: a URL, or an existing local path.
pub(crate) fn target(arg: &str) -> Result<Url, FetchError> {
    match location::parse(arg) {
        Ok(u) => Ok(u),
        Err(e) => std::fs::canonicalize(arg)
            .ok()
            .and_then(|p| Url::from_file_path(p).ok())
            .ok_or(e),
    }
}

/// Spec §2: `file:` URLs are confined to the start document's directory
/// unless `fetch.file_root` says otherwise.
pub(crate) fn start_dir(url: &Url) -> Option<PathBuf> {
    url.to_file_path()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

/// The single-threaded runtime a subcommand runs on, or `None` (said on
/// stderr, as `vxb CMD: …`) when it cannot be had.
pub(crate) fn runtime(cmd: &str) -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| eprintln!("vxb {cmd}: cannot start the async runtime: {e}"))
        .ok()
}

async fn repeat(fetcher: &Arc<Fetcher>, args: &FetchArgs, url: Url) -> u8 {
    let call = fetcher.call();
    let mut req = FetchRequest::get(url, args.rtype, Referrer::User);
    req.max_age = args.maxage;
    req.max_stale = args.maxstale;
    for n in 1..=args.repeat {
        if n > 1
            && let Some(wait) = args.wait
        {
            tokio::time::sleep(wait).await;
        }
        let started = std::time::Instant::now();
        let fetched = match call.fetch_response(&req, None).await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("vxb fetch: {e}");
                return EXIT_FAILED;
            }
        };
        print!(
            "{}",
            describe(n, &fetched, started.elapsed(), fetcher, &req)
        );
        if args.body {
            println!("{}", String::from_utf8_lossy(fetched.body()));
        }
        // Shown like any answer, but a 4xx/5xx is a failed fetch (it throws
        // error.badfetch.http.NNN in a call).
        if let Some(status) =
            Some(fetched.status()).filter(|s| s.is_client_error() || s.is_server_error())
        {
            eprintln!(
                "vxb fetch: {}",
                FetchError::status(&fetched.final_url, status)
            );
            return EXIT_FAILED;
        }
    }
    EXIT_OK
}

/// The caching headers shown, in this order.
const SHOWN: [HeaderName; 8] = [
    header::CACHE_CONTROL,
    header::PRAGMA,
    header::EXPIRES,
    header::DATE,
    header::LAST_MODIFIED,
    header::ETAG,
    header::AGE,
    header::VARY,
];

/// One repetition: a summary line, then the redirects, the caching headers
/// and what the policy computes from them, indented.
pub fn describe(
    n: u32,
    f: &Fetched,
    elapsed: Duration,
    fetcher: &Fetcher,
    req: &FetchRequest,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#{n} {} {} {} bytes {:.1} ms {}",
        with_tier(f.decision().as_str(), f.tier().as_ref()),
        f.status().as_u16(),
        f.body().len(),
        elapsed.as_secs_f64() * 1000.0,
        f.final_url
    );
    for r in &f.redirects {
        let _ = writeln!(
            out,
            "    redirect: {} {} ({})",
            r.status.as_u16(),
            r.url,
            r.decision
        );
    }
    if let Some((modified, len)) = f.entry.file_stamp {
        let _ = writeln!(
            out,
            "    file: modified {}, {len} bytes (reused while both are unchanged)",
            httpdate::fmt_http_date(modified)
        );
    } else {
        for name in &SHOWN {
            for value in f.headers().get_all(name) {
                let _ = writeln!(
                    out,
                    "    {}: {}",
                    title_case(name),
                    String::from_utf8_lossy(value.as_bytes())
                );
            }
        }
        if f.headers().contains_key(header::SET_COOKIE) {
            let _ = writeln!(out, "    Set-Cookie: present");
        }
        if f.not_cached().is_none() {
            freshness(&mut out, f, fetcher, req);
        }
    }
    if let Some(why) = f.not_cached() {
        let _ = writeln!(out, "    not stored: {why}");
    }
    // What `vxb proxy` would say in its own `Cache-Status` (RFC 9211).
    let status = f.cache_status(fetcher.clock().now(), &fetcher.config().cache);
    let _ = writeln!(
        out,
        "    cache status: {}",
        String::from_utf8_lossy(status.to_header_value().as_bytes())
    );
    out
}

/// The stored lifetime, the one in force for this request, and the age.
fn freshness(out: &mut String, f: &Fetched, fetcher: &Fetcher, req: &FetchRequest) {
    let cache = &fetcher.config().cache;
    let response = &f.entry.response;
    let freshness = policy::freshness(response, cache, f.rtype);
    let stored = freshness.lifetime;
    let directives = RequestDirectives::voicexml(req.max_age, req.max_stale);
    let in_force = policy::lifetime_in_force(response, &directives, cache, f.rtype);
    let age = policy::current_age(response, fetcher.clock().now());
    let fraction = cache.types[f.rtype].heuristic_fraction;
    let source = freshness.source.describe(fraction);
    let _ = write!(
        out,
        "    freshness lifetime: {} from {source}",
        secs(stored)
    );
    if in_force != stored {
        let _ = write!(out, " (this request's maxage: {})", secs(in_force));
    }
    let _ = write!(out, "; age: {}", secs(age));
    if age < in_force {
        let _ = writeln!(out, "; fresh for {} more", secs(in_force - age));
    } else {
        let _ = writeln!(out, "; stale by {}", secs(age - in_force));
    }
}

/// A duration in whole seconds, the way people write it (`1m 30s`).
fn secs(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// `cache-control` → `Cache-Control`, `etag` → `ETag`.
fn title_case(name: &HeaderName) -> String {
    if *name == header::ETAG {
        return "ETag".to_string();
    }
    name.as_str()
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_read_as_people_write_them() {
        assert_eq!(title_case(&header::CACHE_CONTROL), "Cache-Control");
        assert_eq!(title_case(&header::ETAG), "ETag");
        assert_eq!(title_case(&header::LAST_MODIFIED), "Last-Modified");
        assert_eq!(title_case(&header::AGE), "Age");
    }

    #[test]
    fn maxage_takes_seconds_or_a_duration() {
        assert_eq!(seconds("120"), Ok(Duration::from_secs(120)));
        assert_eq!(seconds("2m"), Ok(Duration::from_secs(120)));
        assert!(seconds("soon").is_err());
        assert_eq!(secs(Duration::from_millis(90_500)), "1m 30s");
    }
}
