//! The configuration file: every key optional, every default written
//! down once, here.
//!
//! Parsing is strict on purpose: a typo in a cache knob silently ignored is a
//! cache that behaves differently from what its owner believes. An unknown
//! key, a value of the wrong type or a bad duration is a [`ConfigError`] naming
//! the file, the line and the dotted key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::resource::{PerType, ResourceType};

/// The whole configuration, with defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `strict`: refuse the schema slips production browsers tolerate (a
    /// `<log>` directly in a `<form>`, a grammar with no root…) with
    /// `error.badfetch` instead of loading them with a warning.
    pub strict: bool,
    pub fetch: FetchConfig,
    pub cache: CacheConfig,
    /// `[preload]`: name → URL, fetched before the first call.
    pub preload: BTreeMap<String, String>,
    pub cookies: CookieConfig,
    pub limits: LimitsConfig,
    /// `[simulate]`: how `vxb simulate` runs the scenarios that use this
    /// file.
    pub simulate: SimulateConfig,
}

/// `[simulate]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimulateConfig {
    /// `share_cache`: the scenarios of one `vxb simulate` run that use this
    /// configuration file run one after another through one browser, so
    /// later ones find what earlier ones cached (a warm cache), instead of
    /// each through its own.
    pub share_cache: bool,
}

/// `[limits]`: what stops a runaway call. Each bound ends the misbehaving
/// step with an error event instead of a hang (see `interp`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Document loads (goto, submit, subdialog, application roots excepted)
    /// one call may make; the next one fails with `error.badfetch`.
    pub max_document_transitions: u32,
    /// Form items visited and events handled in a row without the caller
    /// saying anything: beyond it the call ends with `error.semantic`
    /// (a `<goto nextitem>` or a handler rethrowing its own event loops so).
    pub max_steps_without_input: u32,
    /// Loop iterations one script function activation may run.
    pub script_loop_iterations: u64,
    /// Nested script calls.
    pub script_recursion: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_document_transitions: 1000,
            max_steps_without_input: 10_000,
            script_loop_iterations: 1_000_000,
            script_recursion: 400,
        }
    }
}

/// `[fetch]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchConfig {
    /// `fetchtimeout` default.
    pub timeout: Duration,
    pub max_redirects: u32,
    /// `max_body_bytes`: a longer response body (or `file:` file) is a
    /// failed fetch, never buffered past this many bytes.
    pub max_body_bytes: u64,
    /// `file:` URLs outside this directory are refused. `None` means "the
    /// directory of the start document (or scenario file)", decided by the caller.
    pub file_root: Option<PathBuf>,
    /// `proxy`: the HTTP proxy (a shared caching tier) requests go through.
    pub proxy: ProxySetting,
    /// `no_proxy`: hosts, domains (`.example.com`), IP addresses or
    /// networks (`10.0.0.0/8`) reached directly, added to the environment's
    /// `NO_PROXY` when `proxy = "env"`.
    pub no_proxy: Vec<String>,
    /// `proxy_select`: how one of several proxies is chosen for a URL.
    pub proxy_select: ProxySelect,
}

/// `fetch.proxy`: where HTTP requests go.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawProxy")]
pub enum ProxySetting {
    /// `"env"` (the default): `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` from the environment, as curl reads them.
    Env,
    /// `"none"`: always straight to the origin, whatever the environment
    /// says. Tests and the in-process origins of `simulate` and `bench` use
    /// it, so a developer's `HTTP_PROXY` never captures loopback traffic.
    None,
    /// One proxy URL, or several (`proxy_select` picks one per URL).
    Urls(ProxyList),
}

/// One or more `http://` proxy URLs; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyList(Vec<url::Url>);

impl ProxyList {
    /// The list, or `None` when it is empty.
    pub fn new(urls: Vec<url::Url>) -> Option<ProxyList> {
        (!urls.is_empty()).then_some(ProxyList(urls))
    }

    pub fn urls(&self) -> &[url::Url] {
        &self.0
    }
}

/// `fetch.proxy_select`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxySelect {
    /// Rendezvous (highest random weight) hashing of the URL over the
    /// proxies — client-side CARP: each URL lives on one tier node, so the
    /// nodes' capacities add up, and removing a node moves only its URLs.
    #[default]
    Hash,
}

/// `proxy` as written: one string or a list of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawProxy {
    One(String),
    Many(Vec<String>),
}

impl TryFrom<RawProxy> for ProxySetting {
    type Error = String;

    fn try_from(raw: RawProxy) -> Result<Self, String> {
        let urls = match raw {
            RawProxy::One(s) if s == "env" => return Ok(ProxySetting::Env),
            RawProxy::One(s) if s == "none" => return Ok(ProxySetting::None),
            RawProxy::One(s) => vec![s],
            RawProxy::Many(list) => list,
        };
        let urls = urls
            .iter()
            .map(|s| proxy_url(s))
            .collect::<Result<Vec<_>, _>>()?;
        ProxyList::new(urls)
            .map(ProxySetting::Urls)
            .ok_or_else(|| "an empty list of proxies (write \"none\" for no proxy)".to_string())
    }
}

/// A proxy URL: `http://host:port`, nothing after the authority.
fn proxy_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s).map_err(|e| {
        format!(
            "`{s}` is not \"env\", \"none\" or a proxy URL such as \"http://127.0.0.1:3128\" ({e})"
        )
    })?;
    if url.scheme() != "http" || url.host().is_none() {
        return Err(format!(
            "`{s}`: a proxy is reached over plain http://host:port (HTTPS origins are tunnelled through it)"
        ));
    }
    Ok(url)
}

/// How `Cache-Control: no-cache` (and `Pragma: no-cache`) responses are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoCacheMode {
    /// Stored, and revalidated on every use (RFC 9111).
    Revalidate,
    /// Not stored at all (as `004_5acf2660beb156be.txt`'s platform does).
    NoStore,
}

/// When a `must-revalidate` response is revalidated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MustRevalidateMode {
    /// Only once stale, and then never served stale (RFC 9111).
    WhenStale,
    /// On every use (as `004_5acf2660beb156be.txt`'s platform does).
    Always,
}

/// How a request's `maxage` combines with a stored freshness lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaxAgeMode {
    /// The request's maxage replaces the stored lifetime, longer or shorter
    /// (the worked example of `003_1ed39794a2726984.txt`).
    Overrides,
    /// The request's maxage can only shorten it (RFC 9111, VoiceXML 2.0 §6.1.2).
    Limits,
}

/// `[cache]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheConfig {
    pub no_cache: NoCacheMode,
    pub must_revalidate: MustRevalidateMode,
    pub maxage: MaxAgeMode,
    pub stale_if_error: Duration,
    /// `targeted_cache_control`: the targeted cache-control fields (RFC 9213)
    /// this cache obeys over `Cache-Control`, first present wins; `vxb proxy`
    /// does not pass them on. Default: `["CDN-Cache-Control"]`.
    pub targeted: Vec<http::HeaderName>,
    /// `[cache.<type>]`, with the `[cache]`-level heuristic knobs folded in.
    pub types: PerType<TypeCacheConfig>,
}

/// `[cache.<type>]`, resolved: the `[cache]` heuristic knobs apply where the
/// type does not set its own.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeCacheConfig {
    pub max_bytes: u64,
    pub max_entry_bytes: u64,
    /// `resource_max_age`: the lifetime of a response with no explicit
    /// freshness (zero: none).
    pub default_max_age: Duration,
    pub heuristic_fraction: f64,
    pub max_heuristic_lifetime: Duration,
}

/// Whose cookies a request sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CookieScope {
    PerCall,
    Shared,
}

/// `[cookies]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CookieConfig {
    pub scope: CookieScope,
    /// Names dropped from the jar whenever a request would read them.
    pub remove: Vec<String>,
}

/// The default `heuristic_fraction`.
pub const DEFAULT_HEURISTIC_FRACTION: f64 = 0.10;
/// The default `max_heuristic_lifetime`.
pub const DEFAULT_MAX_HEURISTIC_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The default byte budget of a type.
pub fn default_max_bytes(t: ResourceType) -> u64 {
    match t {
        ResourceType::Document => 2_000_000,
        ResourceType::Audio => 16_000_000,
        ResourceType::Context | ResourceType::Script | ResourceType::Data => 1_000_000,
        ResourceType::Grammar => 1_000_000,
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            strict: false,
            fetch: FetchConfig {
                timeout: Duration::from_secs(7),
                max_redirects: 5,
                max_body_bytes: 32 * 1024 * 1024,
                file_root: None,
                proxy: ProxySetting::Env,
                no_proxy: Vec::new(),
                proxy_select: ProxySelect::Hash,
            },
            cache: CacheConfig::default(),
            preload: BTreeMap::new(),
            cookies: CookieConfig {
                scope: CookieScope::PerCall,
                remove: Vec::new(),
            },
            limits: LimitsConfig::default(),
            simulate: SimulateConfig::default(),
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            no_cache: NoCacheMode::Revalidate,
            must_revalidate: MustRevalidateMode::WhenStale,
            maxage: MaxAgeMode::Overrides,
            stale_if_error: Duration::ZERO,
            targeted: vec![http::HeaderName::from_static("cdn-cache-control")],
            types: PerType::from_fn(|t| TypeCacheConfig {
                max_bytes: default_max_bytes(t),
                max_entry_bytes: default_max_bytes(t) / 4,
                default_max_age: Duration::ZERO,
                heuristic_fraction: DEFAULT_HEURISTIC_FRACTION,
                max_heuristic_lifetime: DEFAULT_MAX_HEURISTIC_LIFETIME,
            }),
        }
    }
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bad TOML, an unknown key, a value of the wrong type or out of range.
    #[error("{path}:{line}:{column}: {key}{message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        /// The dotted key, followed by ": ", or empty when the error is not
        /// about one key (a TOML syntax error).
        key: KeyPrefix,
        message: String,
    },
}

/// `cache.document.max_bytes: ` in an error message, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPrefix(pub String);

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}

impl Config {
    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::parse(&read_file(path)?, path)
    }

    /// Parses configuration text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = parse_strict_toml(text, path)?;
        Ok(raw.resolve())
    }

    /// The defaults, but straight to the origin whatever the environment
    /// says (`proxy = "none"`): for tests and in-process origins on
    /// loopback, which a developer's `HTTP_PROXY` must never capture.
    pub fn direct() -> Config {
        let mut c = Config::default();
        c.fetch.proxy = ProxySetting::None;
        c
    }
}

/// Deserializes TOML text into `T`, with the error reporting of the
/// configuration file (file, line, column, dotted key). Shared by every TOML
/// file vxb reads, so they all fail the same clear way; `T` should refuse
/// unknown keys (`#[serde(deny_unknown_fields)]`).
pub fn parse_strict_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    let invalid = |span: Option<std::ops::Range<usize>>, key: String, message: String| {
        let (line, column) = line_column(text, span.map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key: KeyPrefix(key),
            message,
        }
    };
    let de = toml::Deserializer::parse(text)
        .map_err(|e| invalid(e.span(), String::new(), e.message().to_string()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        // `toml::Spanned` shows in paths as a pseudo-field; it is no key the user wrote.
        let key = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "")
            .replace("$__serde_spanned_private_value", "");
        let key = if key == "." { String::new() } else { key };
        let inner = e.into_inner();
        invalid(inner.span(), key, inner.message().to_string())
    })
}

/// Reads a TOML file of ours (configuration, rules, scenario) as text, with
/// the one error every such file reports when it cannot be read.
pub fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// 1-based line and column of a byte offset (for errors about a TOML file
/// found after deserializing it, such as a scenario's semantic checks).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

// ---- The file as written: everything optional, unknown keys refused. ----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    strict: Option<bool>,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    cache: RawCache,
    #[serde(default)]
    preload: BTreeMap<String, String>,
    #[serde(default)]
    cookies: RawCookies,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    simulate: RawSimulate,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSimulate {
    share_cache: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_document_transitions: Option<u32>,
    max_steps_without_input: Option<u32>,
    script_loop_iterations: Option<u64>,
    script_recursion: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    timeout: Option<HumanDuration>,
    max_redirects: Option<u32>,
    max_body_bytes: Option<u64>,
    file_root: Option<PathBuf>,
    proxy: Option<ProxySetting>,
    no_proxy: Option<Vec<String>>,
    proxy_select: Option<ProxySelect>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCache {
    heuristic_fraction: Option<Fraction>,
    max_heuristic_lifetime: Option<HumanDuration>,
    no_cache: Option<NoCacheMode>,
    must_revalidate: Option<MustRevalidateMode>,
    maxage: Option<MaxAgeMode>,
    stale_if_error: Option<HumanDuration>,
    targeted_cache_control: Option<Vec<FieldName>>,
    document: Option<RawTypeCache>,
    context: Option<RawTypeCache>,
    script: Option<RawTypeCache>,
    data: Option<RawTypeCache>,
    audio: Option<RawTypeCache>,
    grammar: Option<RawTypeCache>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawTypeCache {
    max_bytes: Option<u64>,
    max_entry_bytes: Option<u64>,
    default_max_age: Option<HumanDuration>,
    heuristic_fraction: Option<Fraction>,
    max_heuristic_lifetime: Option<HumanDuration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCookies {
    scope: Option<CookieScope>,
    remove: Option<Vec<String>>,
}

impl RawConfig {
    fn resolve(self) -> Config {
        let d = Config::default();
        let c = self.cache;
        let fraction = c
            .heuristic_fraction
            .map_or(DEFAULT_HEURISTIC_FRACTION, |f| f.0);
        let max_heuristic = c
            .max_heuristic_lifetime
            .map_or(DEFAULT_MAX_HEURISTIC_LIFETIME, |h| h.0);
        let per_type = |t: ResourceType| -> Option<RawTypeCache> {
            match t {
                ResourceType::Document => c.document.clone(),
                ResourceType::Context => c.context.clone(),
                ResourceType::Script => c.script.clone(),
                ResourceType::Data => c.data.clone(),
                ResourceType::Audio => c.audio.clone(),
                ResourceType::Grammar => c.grammar.clone(),
            }
        };
        let types = PerType::from_fn(|t| {
            let raw = per_type(t).unwrap_or_default();
            let max_bytes = raw.max_bytes.unwrap_or_else(|| default_max_bytes(t));
            TypeCacheConfig {
                max_bytes,
                max_entry_bytes: raw.max_entry_bytes.unwrap_or(max_bytes / 4),
                default_max_age: raw.default_max_age.map_or(Duration::ZERO, |h| h.0),
                heuristic_fraction: raw.heuristic_fraction.map_or(fraction, |f| f.0),
                max_heuristic_lifetime: raw.max_heuristic_lifetime.map_or(max_heuristic, |h| h.0),
            }
        });
        Config {
            strict: self.strict.unwrap_or(d.strict),
            fetch: FetchConfig {
                timeout: self.fetch.timeout.map_or(d.fetch.timeout, |h| h.0),
                max_redirects: self.fetch.max_redirects.unwrap_or(d.fetch.max_redirects),
                max_body_bytes: self.fetch.max_body_bytes.unwrap_or(d.fetch.max_body_bytes),
                file_root: self.fetch.file_root,
                proxy: self.fetch.proxy.unwrap_or(d.fetch.proxy),
                no_proxy: self.fetch.no_proxy.unwrap_or_default(),
                proxy_select: self.fetch.proxy_select.unwrap_or_default(),
            },
            cache: CacheConfig {
                no_cache: c.no_cache.unwrap_or(d.cache.no_cache),
                must_revalidate: c.must_revalidate.unwrap_or(d.cache.must_revalidate),
                maxage: c.maxage.unwrap_or(d.cache.maxage),
                stale_if_error: c.stale_if_error.map_or(Duration::ZERO, |h| h.0),
                targeted: c.targeted_cache_control.map_or(d.cache.targeted, |names| {
                    names.into_iter().map(|n| n.0).collect()
                }),
                types,
            },
            preload: self.preload,
            cookies: CookieConfig {
                scope: self.cookies.scope.unwrap_or(d.cookies.scope),
                remove: self.cookies.remove.unwrap_or_default(),
            },
            limits: LimitsConfig {
                max_document_transitions: self
                    .limits
                    .max_document_transitions
                    .unwrap_or(d.limits.max_document_transitions),
                max_steps_without_input: self
                    .limits
                    .max_steps_without_input
                    .unwrap_or(d.limits.max_steps_without_input),
                script_loop_iterations: self
                    .limits
                    .script_loop_iterations
                    .unwrap_or(d.limits.script_loop_iterations),
                script_recursion: self
                    .limits
                    .script_recursion
                    .unwrap_or(d.limits.script_recursion),
            },
            simulate: SimulateConfig {
                share_cache: self.simulate.share_cache.unwrap_or(d.simulate.share_cache),
            },
        }
    }
}

/// A duration written as `7s`, `3m`, `24h`, `1h 30m` or `250ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(HumanDuration)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses a human duration (`7s`, `3m`, `24h`, `500ms`, `1h 30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("bad duration `{s}`: {e} (write it as e.g. `7s`, `3m`, `24h`)"))
}

/// A number between 0 and 1 inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Fraction(f64);

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Fraction(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "{v} is not a fraction between 0 and 1"
            )))
        }
    }
}

/// An HTTP field name (`targeted_cache_control`), kept lower-case.
struct FieldName(http::HeaderName);

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        http::HeaderName::from_bytes(s.trim().as_bytes())
            .map(FieldName)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an HTTP field name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, ConfigError> {
        Config::parse(s, Path::new("vxb.toml"))
    }

    #[test]
    fn empty_file_gives_the_spec_defaults() {
        let c = parse("").expect("empty config parses");
        assert_eq!(c, Config::default());
        assert_eq!(c.fetch.timeout, Duration::from_secs(7));
        assert_eq!(c.fetch.max_redirects, 5);
        assert_eq!(c.cache.no_cache, NoCacheMode::Revalidate);
        assert_eq!(c.cache.must_revalidate, MustRevalidateMode::WhenStale);
        assert_eq!(c.cache.maxage, MaxAgeMode::Overrides);
        assert_eq!(c.cache.stale_if_error, Duration::ZERO);
        let expected = [
            (ResourceType::Document, 2_000_000),
            (ResourceType::Context, 1_000_000),
            (ResourceType::Script, 1_000_000),
            (ResourceType::Data, 1_000_000),
            (ResourceType::Audio, 16_000_000),
            (ResourceType::Grammar, 1_000_000),
        ];
        for (t, bytes) in expected {
            let tc = &c.cache.types[t];
            assert_eq!(tc.max_bytes, bytes, "{t}");
            assert_eq!(tc.max_entry_bytes, bytes / 4, "{t}");
            assert_eq!(tc.default_max_age, Duration::ZERO);
            assert_eq!(tc.heuristic_fraction, 0.10);
            assert_eq!(tc.max_heuristic_lifetime, Duration::from_secs(86_400));
        }
        assert_eq!(c.cookies.scope, CookieScope::PerCall);
        assert!(c.cookies.remove.is_empty());
        assert!(c.preload.is_empty());
    }

    #[test]
    fn proxy_is_env_none_one_url_or_several() {
        assert_eq!(parse("").expect("parses").fetch.proxy, ProxySetting::Env);
        assert_eq!(Config::direct().fetch.proxy, ProxySetting::None);
        let proxy = |v: &str| parse(&format!("[fetch]\nproxy = {v}\n")).map(|c| c.fetch.proxy);
        assert_eq!(proxy("\"env\"").expect("env"), ProxySetting::Env);
        assert_eq!(proxy("\"none\"").expect("none"), ProxySetting::None);
        let one = proxy("\"http://127.0.0.1:3128\"").expect("one URL");
        let ProxySetting::Urls(list) = one else {
            panic!("one URL, got {one:?}");
        };
        assert_eq!(list.urls().len(), 1);
        assert_eq!(list.urls()[0].port(), Some(3128));
        for (bad, says) in [
            ("\"squid\"", "not \"env\", \"none\" or a proxy URL"),
            ("\"https://p:3128\"", "plain http://host:port"),
            ("[]", "an empty list of proxies"),
            ("7", "proxy"),
        ] {
            let e = proxy(bad).expect_err(bad).to_string();
            assert!(e.contains("vxb.toml:2:"), "{bad}: {e}");
            assert!(e.contains("fetch.proxy") && e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn every_key_is_read() {
        let c = parse(
            r#"
[fetch]
timeout = "3s"
max_redirects = 2
max_body_bytes = 1000
file_root = "/srv/app"
proxy = ["http://10.0.0.1:3128", "http://10.0.0.2:3128"]
no_proxy = ["localhost", ".internal"]
proxy_select = "hash"

[cache]
heuristic_fraction = 0.2
max_heuristic_lifetime = "2h"
no_cache = "no-store"
must_revalidate = "always"
maxage = "limits"
stale_if_error = "30s"

[cache.audio]
max_bytes = 1000
default_max_age = "3m"
heuristic_fraction = 0.0

[cache.grammar]
max_entry_bytes = 10
max_heuristic_lifetime = "1m"

[preload]
"welcome" = "http://127.0.0.1:8080/welcome.vxml"

[cookies]
scope = "shared"
remove = ["JSESSIONID"]
"#,
        )
        .expect("full config parses");
        assert_eq!(c.fetch.timeout, Duration::from_secs(3));
        assert_eq!(c.fetch.max_redirects, 2);
        assert_eq!(c.fetch.max_body_bytes, 1000);
        assert_eq!(c.fetch.file_root.as_deref(), Some(Path::new("/srv/app")));
        let ProxySetting::Urls(list) = &c.fetch.proxy else {
            panic!("a list of proxies, got {:?}", c.fetch.proxy);
        };
        let hosts: Vec<_> = list.urls().iter().map(|u| u.authority()).collect();
        assert_eq!(hosts, ["10.0.0.1:3128", "10.0.0.2:3128"]);
        assert_eq!(c.fetch.no_proxy, ["localhost", ".internal"]);
        assert_eq!(c.fetch.proxy_select, ProxySelect::Hash);
        assert_eq!(c.cache.no_cache, NoCacheMode::NoStore);
        assert_eq!(c.cache.must_revalidate, MustRevalidateMode::Always);
        assert_eq!(c.cache.maxage, MaxAgeMode::Limits);
        assert_eq!(c.cache.stale_if_error, Duration::from_secs(30));
        let audio = &c.cache.types[ResourceType::Audio];
        assert_eq!(audio.max_bytes, 1000);
        assert_eq!(
            audio.max_entry_bytes, 250,
            "defaults to a quarter of max_bytes"
        );
        assert_eq!(audio.default_max_age, Duration::from_secs(180));
        assert_eq!(audio.heuristic_fraction, 0.0, "per-type value wins");
        assert_eq!(audio.max_heuristic_lifetime, Duration::from_secs(7200));
        let grammar = &c.cache.types[ResourceType::Grammar];
        assert_eq!(grammar.max_entry_bytes, 10);
        assert_eq!(grammar.heuristic_fraction, 0.2, "inherits [cache]");
        assert_eq!(grammar.max_heuristic_lifetime, Duration::from_secs(60));
        assert_eq!(
            c.preload.get("welcome").map(String::as_str),
            Some("http://127.0.0.1:8080/welcome.vxml")
        );
        assert_eq!(c.cookies.scope, CookieScope::Shared);
        assert_eq!(c.cookies.remove, vec!["JSESSIONID".to_string()]);
    }

    fn error_text(s: &str) -> String {
        parse(s).expect_err("config should be refused").to_string()
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = error_text("[cache]\nno_cache = \"revalidate\"\nmax_age = \"3s\"\n");
        assert!(e.starts_with("vxb.toml:3:"), "{e}");
        assert!(e.contains("max_age"), "{e}");
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn unknown_type_table_is_refused() {
        let e = error_text("[cache.video]\nmax_bytes = 1\n");
        assert!(e.starts_with("vxb.toml:1:"), "{e}");
        assert!(e.contains("video"), "{e}");
    }

    #[test]
    fn bad_duration_names_the_key() {
        let e = error_text("[fetch]\n\ntimeout = \"seven seconds\"\n");
        assert!(e.starts_with("vxb.toml:3:"), "{e}");
        assert!(e.contains("fetch.timeout"), "{e}");
        assert!(e.contains("bad duration"), "{e}");
    }

    #[test]
    fn wrong_type_and_range_name_the_key() {
        let e = error_text("[cache.document]\nmax_bytes = \"lots\"\n");
        assert!(e.starts_with("vxb.toml:2:"), "{e}");
        assert!(e.contains("cache.document.max_bytes"), "{e}");

        let e = error_text("[cache]\nheuristic_fraction = 1.5\n");
        assert!(e.starts_with("vxb.toml:2:"), "{e}");
        assert!(e.contains("cache.heuristic_fraction"), "{e}");

        let e = error_text("[cache]\nmaxage = \"sometimes\"\n");
        assert!(e.contains("cache.maxage"), "{e}");
        assert!(e.contains("overrides"), "lists the accepted values: {e}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let e = error_text("[fetch]\ntimeout = \n");
        assert!(e.starts_with("vxb.toml:2:"), "{e}");
    }

    #[test]
    fn limits_are_read_and_default() {
        let c = parse("").expect("empty config");
        assert_eq!(c.limits, LimitsConfig::default());
        assert_eq!(c.limits.max_document_transitions, 1000);
        assert_eq!(c.limits.script_loop_iterations, 1_000_000);
        let c = parse(
            "[limits]\nmax_document_transitions = 5\nmax_steps_without_input = 50\nscript_loop_iterations = 1000\nscript_recursion = 20\n",
        )
        .expect("limits parse");
        assert_eq!(
            c.limits,
            LimitsConfig {
                max_document_transitions: 5,
                max_steps_without_input: 50,
                script_loop_iterations: 1000,
                script_recursion: 20,
            }
        );
        let e = error_text("[limits]\nmax_transitions = 5\n");
        assert!(e.starts_with("vxb.toml:2:"), "{e}");
        assert!(e.contains("max_transitions"), "{e}");
        let e = error_text("[limits]\nscript_recursion = -1\n");
        assert!(e.contains("limits.script_recursion"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7s"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("3 fortnights please").is_err());
        assert!(parse_duration("").is_err());
    }
}
