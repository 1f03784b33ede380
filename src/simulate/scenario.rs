//! The scenario file of `vxb simulate`: a scripted sequence of
//! calls and waits, with what each call is expected to do.
//!
//! ```toml
//! config = "vxb.toml"            # optional, relative to this file
//!
//! [origin]                       # optional (vxb extension): a `vxb serve` started in process
//! serve = "."                    #   the directory served, relative to this file
//! rules = "rules.toml"           #   optional rules file, relative to this file
//! listen = "127.0.0.1:0"         #   optional; the default picks a free port
//!
//! [[step]]
//! call = "{origin}/index.vxml"   # a URL, a path relative to this file, or `{origin}/PATH`
//! input = ["1", "say:chicago", "noinput"]
//! expect = ["Welcome", "You chose Chicago"]     # prompt substrings, in order
//! expect_end = "exit"            # exit | hangup | disconnect | error | an event name
//! expect_events = ["nomatch"]    # events thrown, in order (prefix matching)
//! expect_logs = ["order placed"] # <log> substrings, in order
//! expect_fetch = { "index.vxml" = "miss", "1.wav" = ["miss", "hit"], "3.wav" = [] }
//! record_audio = "calls/first.wav"  # what the caller heard, as one WAVE file
//! record_format = "pcm16"        # ulaw (the default) or pcm16
//!
//! [[step]]
//! wait = "20s"
//! ```
//!
//! Everything after `input` and `expect` is a vxb extension of the original format (see
//! [`super::expect`] for what each expectation means). Parsing is strict like
//! the configuration file: an unknown key, a bad input token, a step with
//! both `call` and `wait` (or neither), a path that does not exist, or
//! `{origin}` without an `[origin]` table is an error naming the file, the
//! line and the key.
//!
//! Paths are relative to the scenario file; a `call` path becomes a `file:`
//! URL. Without a `fetch.file_root` in the configuration, `file:` URLs are
//! confined to the scenario file's directory.

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;
use url::Url;

use super::expect::{
    DecisionExpectation, EndExpectation, Expectations, FetchExpectation, is_event_name,
};
use crate::audio::RecordFormat;
use crate::cache::Decision;
use crate::call::Token;
use crate::clock::Clock;
use crate::config::{
    Config, ConfigError, HumanDuration, KeyPrefix, ProxySetting, line_column, parse_strict_toml,
};
use crate::serve::{ServeError, ServeOptions, load_rules};
use crate::simulate::{Dialer, SimulateError, SimulationReport, simulate};

/// The placeholder a `call` URL starts with to name the scenario's origin.
pub const ORIGIN_PLACEHOLDER: &str = "{origin}";

/// A parsed, checked scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The scenario file, as given.
    pub path: PathBuf,
    /// Its directory (absolute): the base of relative paths and the default
    /// `fetch.file_root`.
    pub dir: PathBuf,
    /// `config`, made absolute.
    pub config: Option<PathBuf>,
    /// `[origin]`.
    pub origin: Option<OriginSpec>,
    /// `clock`, if written: which clock the calls, the cache and the
    /// origin run on (see [`Scenario::clock_mode`] for the default).
    pub clock: Option<ClockMode>,
    /// The steps, in order (at least one).
    pub steps: Vec<Step>,
}

/// Which clock a simulation runs on (`clock = "virtual"`, `--clock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// The system clock: a `wait` takes as long as it says.
    Real,
    /// One clock shared by the cache, the calls and the scenario's origin,
    /// which only moves when the scenario waits or a call spends time: a
    /// `wait = "3d"` takes no time at all.
    Virtual,
}

impl ClockMode {
    /// `real` or `virtual`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::Real => "real",
            ClockMode::Virtual => "virtual",
        }
    }
}

/// `[origin]`: a static origin `simulate` starts in process before the first
/// step and stops after the last; call URLs name it as `{origin}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginSpec {
    /// The directory served (absolute).
    pub root: PathBuf,
    /// The rules file (absolute), if any.
    pub rules: Option<PathBuf>,
    /// Where to listen; port 0 (the default) picks a free port.
    pub listen: SocketAddr,
}

impl OriginSpec {
    /// What to start: the directory, the address and the rules file, read
    /// now, on `clock`.
    pub fn serve_options(&self, clock: Arc<dyn Clock>) -> Result<ServeOptions, ServeError> {
        Ok(ServeOptions {
            listen: self.listen,
            rules: load_rules(self.rules.as_deref())?,
            clock,
            ..ServeOptions::new(&self.root)
        })
    }
}

/// One `[[step]]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Place a call.
    Call(Box<CallStep>),
    /// Let time pass.
    Wait(WaitStep),
}

impl Step {
    /// The line of the scenario file the step starts at.
    pub fn line(&self) -> usize {
        match self {
            Step::Call(c) => c.line,
            Step::Wait(w) => w.line,
        }
    }

    /// `name`, if the step has one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Step::Call(c) => c.name.as_deref(),
            Step::Wait(w) => w.name.as_deref(),
        }
    }
}

/// A `call` step.
#[derive(Clone, Debug, PartialEq)]
pub struct CallStep {
    /// The scenario line the step starts at.
    pub line: usize,
    /// `name`: what reports call the step (else its number and target).
    pub name: Option<String>,
    /// Where the call starts.
    pub target: CallTarget,
    /// The scripted caller, in order.
    pub input: Vec<Token>,
    /// `allow_unused_input`: input the call never asked for is no failure.
    pub allow_unused_input: bool,
    /// What the call is expected to do.
    pub expect: Expectations,
    /// `record_audio`: where to write what the caller heard.
    pub record_audio: Option<RecordAudio>,
}

/// `record_audio = "…"` (with `record_format`): the call as a WAVE file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordAudio {
    /// The file to write (absolute; relative to the scenario as written).
    /// Its directory is made if it is missing.
    pub path: PathBuf,
    /// µ-law (the default) or 16-bit PCM.
    pub format: RecordFormat,
}

/// A `wait` step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitStep {
    /// The scenario line the step starts at.
    pub line: usize,
    /// `name`: what reports call the step.
    pub name: Option<String>,
    /// How long to wait.
    pub duration: Duration,
}

/// Where a call starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// A URL (a path in the file has become a `file:` URL).
    Url(Url),
    /// `{origin}/PATH`: PATH on the scenario's origin, known once it runs.
    Origin(String),
}

impl CallTarget {
    /// The URL to call, given the running origin's base URL
    /// (`http://127.0.0.1:PORT/`). `None` for an `{origin}` target without one.
    pub fn url(&self, origin: Option<&Url>) -> Option<Url> {
        match self {
            CallTarget::Url(u) => Some(u.clone()),
            CallTarget::Origin(path) => origin?.join(path).ok(),
        }
    }
}

/// The URL, or `{origin}/PATH`.
impl fmt::Display for CallTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallTarget::Url(u) => u.fmt(f),
            CallTarget::Origin(path) => write!(f, "{ORIGIN_PLACEHOLDER}/{path}"),
        }
    }
}

impl Scenario {
    /// Reads, parses and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ConfigError> {
        Scenario::parse(&crate::config::read_file(path)?, path)
    }

    /// Parses scenario text read from `path` (which locates relative paths
    /// and labels errors; the files it names must exist).
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ConfigError> {
        Scenario::parse_raw(text, path).map_err(one_based_steps)
    }

    /// Which clock the scenario runs on: `clock` if written; else virtual
    /// when every call goes to its own `[origin]` or a file (time is then
    /// entirely the simulation's), real when a call goes to an outside
    /// server (whose `Date` headers are real time).
    pub fn clock_mode(&self) -> ClockMode {
        self.clock.unwrap_or_else(|| {
            let outside = self
                .calls()
                .any(|c| matches!(&c.target, CallTarget::Url(u) if u.scheme() != "file"));
            if outside {
                ClockMode::Real
            } else {
                ClockMode::Virtual
            }
        })
    }

    /// What reports call step `n` (1-based): its `name`, else its number
    /// and what it does, with `{origin}` as written, so the name is the same
    /// on every run whatever port the origin got.
    pub fn step_name(&self, n: usize) -> String {
        let Some(step) = n.checked_sub(1).and_then(|i| self.steps.get(i)) else {
            return format!("step {n}");
        };
        match (step.name(), step) {
            (Some(name), _) => name.to_string(),
            (None, Step::Call(c)) => format!("step {n}: call {}", c.target),
            (None, Step::Wait(w)) => {
                format!("step {n}: wait {}", humantime::format_duration(w.duration))
            }
        }
    }

    fn parse_raw(text: &str, path: &Path) -> Result<Scenario, ConfigError> {
        let raw: RawScenario = parse_strict_toml(text, path)?;
        let cx = Cx { text, path };
        let dir = absolute_dir(path).map_err(|e| cx.error(0..0, "", e))?;
        let config = raw
            .config
            .map(|c| cx.existing(&dir, &c, "config", false))
            .transpose()?;
        let origin = raw.origin.map(|o| cx.origin(&dir, o)).transpose()?;
        if raw.step.is_empty() {
            return Err(cx.error(0..0, "step", "a scenario needs at least one [[step]]"));
        }
        let steps = raw
            .step
            .into_iter()
            .enumerate()
            .map(|(i, s)| cx.step(&dir, i, s, origin.is_some()))
            .collect::<Result<Vec<Step>, _>>()?;
        Ok(Scenario {
            path: path.to_path_buf(),
            dir,
            config,
            origin,
            clock: raw.clock,
            steps,
        })
    }

    /// The configuration the scenario's calls run with: `over` (a `--config`
    /// given on the command line) if any, else the scenario's `config`, else
    /// the defaults. A relative `fetch.file_root` is taken relative to the
    /// configuration file; without one, `file:` URLs are confined to the
    /// scenario's directory. With an `[origin]`, `proxy = "env"`
    /// becomes `"none"`: the environment's proxy cannot reach an origin on
    /// this process's loopback, and must not capture it (a proxy named in
    /// the configuration is still used, as a tier in front of the origin).
    pub fn load_config(&self, over: Option<&Path>) -> Result<Config, ConfigError> {
        let file = over.or(self.config.as_deref());
        let mut config = match file {
            Some(f) => Config::load(f)?,
            None => Config::default(),
        };
        if self.origin.is_some() && config.fetch.proxy == ProxySetting::Env {
            config.fetch.proxy = ProxySetting::None;
        }
        let base = file.and_then(Path::parent).unwrap_or(&self.dir);
        config.fetch.file_root = Some(match config.fetch.file_root.take() {
            Some(root) => base.join(root),
            None => self.dir.clone(),
        });
        Ok(config)
    }

    /// Runs the scenario's steps in order through `dialer` — a
    /// [`&Browser`](crate::Browser), so every call shares its cache — with
    /// its `[origin]` served while they run, and checks each call against
    /// its expectations. A failed expectation is in the report
    /// ([`SimulationReport::ok`]); an error means the scenario could not
    /// run at all.
    ///
    /// # Errors
    ///
    /// [`SimulateError`] when the origin cannot be served or a call's start
    /// document cannot be fetched (unless the step expects an error).
    pub async fn run(&self, mut dialer: impl Dialer) -> Result<SimulationReport, SimulateError> {
        simulate(self, &mut dialer, |_| {}).await
    }

    /// The call steps, in order.
    pub fn calls(&self) -> impl Iterator<Item = &CallStep> {
        self.steps.iter().filter_map(|s| match s {
            Step::Call(c) => Some(&**c),
            Step::Wait(_) => None,
        })
    }
}

/// Step numbers are 1-based wherever a person reads them: the TOML path
/// `step[0].input[1]` of an error becomes `step 1: input[1]`.
fn one_based_steps(e: ConfigError) -> ConfigError {
    match e {
        ConfigError::Invalid {
            path,
            line,
            column,
            key,
            message,
        } => {
            let renamed = key
                .0
                .strip_prefix("step[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, rest)| {
                    let n = i.parse::<usize>().ok()? + 1;
                    let rest = rest.trim_start_matches('.');
                    Some(if rest.is_empty() {
                        format!("step {n}")
                    } else {
                        format!("step {n}: {rest}")
                    })
                });
            ConfigError::Invalid {
                path,
                line,
                column,
                key: renamed.map_or(key, KeyPrefix),
                message,
            }
        }
        other => other,
    }
}

/// The directory of `path`, absolute (it need not exist yet for this).
fn absolute_dir(path: &Path) -> Result<PathBuf, String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&dir)
        .or_else(|_| std::path::absolute(&dir))
        .map_err(|e| format!("cannot locate the directory {}: {e}", dir.display()))
}

// ---- The file as written. ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    config: Option<Spanned<PathBuf>>,
    clock: Option<ClockMode>,
    origin: Option<RawOrigin>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrigin {
    serve: Spanned<PathBuf>,
    rules: Option<Spanned<PathBuf>>,
    listen: Option<SocketAddr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<Spanned<String>>,
    call: Option<Spanned<String>>,
    wait: Option<HumanDuration>,
    input: Option<Vec<Spanned<String>>>,
    allow_unused_input: Option<bool>,
    expect: Option<Vec<Spanned<String>>>,
    expect_end: Option<Spanned<String>>,
    expect_events: Option<Vec<Spanned<String>>>,
    expect_logs: Option<Vec<Spanned<String>>>,
    expect_fetch: Option<FetchTable>,
    record_audio: Option<Spanned<PathBuf>>,
    record_format: Option<Spanned<String>>,
}

/// `expect_fetch = { "URL" = "decision" | ["decision", …], … }`, in the
/// order written.
struct FetchTable(Vec<FetchExpectation>);

impl<'de> Deserialize<'de> for FetchTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FetchTable;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a table of URL = "decision" or URL = ["decision", ...]"#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FetchTable, A::Error> {
                let mut out = Vec::new();
                while let Some((url, d)) = map.next_entry::<String, Spanned<DecisionsValue>>()? {
                    let at = d.span().start;
                    let d = d.into_inner();
                    if url.trim().is_empty() {
                        return Err(de::Error::custom("a fetch expectation needs a URL"));
                    }
                    out.push((
                        at,
                        FetchExpectation {
                            url: url.trim().to_string(),
                            decisions: d.0,
                        },
                    ));
                }
                // The TOML layer hands keys over sorted; results read best
                // in the order the author wrote them.
                out.sort_by_key(|(at, _)| *at);
                Ok(FetchTable(out.into_iter().map(|(_, x)| x).collect()))
            }
        }
        d.deserialize_map(V)
    }
}

/// `"hit"` or `["miss", "hit"]`.
struct DecisionsValue(DecisionExpectation);

impl<'de> Deserialize<'de> for DecisionsValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DecisionsValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a cache decision or a list of them")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DecisionsValue, E> {
                decision(s)
                    .map(|d| DecisionsValue(DecisionExpectation::Every(d)))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DecisionsValue, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(decision(&s).map_err(de::Error::custom)?);
                }
                Ok(DecisionsValue(DecisionExpectation::Sequence(out)))
            }
        }
        d.deserialize_any(V)
    }
}

fn decision(s: &str) -> Result<Decision, String> {
    Decision::ALL
        .into_iter()
        .find(|d| d.as_str() == s.trim())
        .ok_or_else(|| {
            format!(
                "unknown cache decision `{s}` (expected one of {})",
                Decision::ALL.map(Decision::as_str).join(", ")
            )
        })
}

// ---- Checks that need more than the types: with file, line and key. ----

/// The text and name of the file being checked.
struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Cx<'_> {
    fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_column(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            key: KeyPrefix(key.to_string()),
            message: message.into(),
        }
    }

    fn line(&self, span: &Range<usize>) -> usize {
        line_column(self.text, span.start).0
    }

    /// `rel` joined to `dir`, which must exist (as a directory when `dir_wanted`).
    fn existing(
        &self,
        dir: &Path,
        rel: &Spanned<PathBuf>,
        key: &str,
        dir_wanted: bool,
    ) -> Result<PathBuf, ConfigError> {
        let path = dir.join(rel.get_ref());
        let what = if dir_wanted { "directory" } else { "file" };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() == dir_wanted => Ok(path),
            Ok(_) => Err(self.error(
                rel.span(),
                key,
                format!("{} is not a {what}", path.display()),
            )),
            Err(e) => Err(self.error(
                rel.span(),
                key,
                format!("no such {what}: {} ({e})", path.display()),
            )),
        }
    }

    fn origin(&self, dir: &Path, o: RawOrigin) -> Result<OriginSpec, ConfigError> {
        Ok(OriginSpec {
            root: self.existing(dir, &o.serve, "origin.serve", true)?,
            rules: o
                .rules
                .map(|r| self.existing(dir, &r, "origin.rules", false))
                .transpose()?,
            listen: o
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        })
    }

    fn step(
        &self,
        dir: &Path,
        i: usize,
        raw: Spanned<RawStep>,
        has_origin: bool,
    ) -> Result<Step, ConfigError> {
        let span = raw.span();
        let line = self.line(&span);
        let key = format!("step[{i}]");
        let RawStep {
            name,
            call,
            wait,
            input,
            allow_unused_input,
            expect,
            expect_end,
            expect_events,
            expect_logs,
            expect_fetch,
            record_audio,
            record_format,
        } = raw.into_inner();
        let name = match name {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(self.error(n.span(), &format!("{key}.name"), "an empty name"));
            }
            n => n.map(|n| n.into_inner().trim().to_string()),
        };
        let call = match (call, wait) {
            (Some(_), Some(_)) => {
                return Err(self.error(
                    span,
                    &key,
                    "a step is either a `call` or a `wait`, not both",
                ));
            }
            (None, None) => {
                return Err(self.error(span, &key, "a step needs a `call` or a `wait`"));
            }
            (Some(call), None) => call,
            (None, Some(wait)) => {
                let call_only = [
                    ("input", input.is_some()),
                    ("allow_unused_input", allow_unused_input.is_some()),
                    ("expect", expect.is_some()),
                    ("expect_end", expect_end.is_some()),
                    ("expect_events", expect_events.is_some()),
                    ("expect_logs", expect_logs.is_some()),
                    ("expect_fetch", expect_fetch.is_some()),
                    ("record_audio", record_audio.is_some()),
                    ("record_format", record_format.is_some()),
                ];
                return match call_only.iter().find(|(_, present)| *present) {
                    Some((k, _)) => Err(self.error(
                        span,
                        &format!("{key}.{k}"),
                        "a `wait` step takes no input or expectations",
                    )),
                    None => Ok(Step::Wait(WaitStep {
                        line,
                        name,
                        duration: wait.0,
                    })),
                };
            }
        };
        let target = self.target(dir, &call, &format!("{key}.call"), has_origin)?;
        let input = input
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(j, t)| {
                t.get_ref()
                    .parse::<Token>()
                    .map_err(|e| self.error(t.span(), &format!("{key}.input[{j}]"), e.to_string()))
            })
            .collect::<Result<Vec<Token>, _>>()?;
        let events = self.texts(expect_events, &format!("{key}.expect_events"), |e| {
            (!is_event_name(e.trim())).then(|| format!("`{e}` is not an event name"))
        })?;
        let end = expect_end
            .map(|e| {
                e.get_ref()
                    .parse::<EndExpectation>()
                    .map_err(|m| self.error(e.span(), &format!("{key}.expect_end"), m))
            })
            .transpose()?;
        let record_audio = self.record_audio(dir, &key, record_audio, record_format)?;
        let expect = Expectations {
            prompts: self.texts(expect, &format!("{key}.expect"), not_empty)?,
            end,
            events: events.iter().map(|e| e.trim().to_string()).collect(),
            logs: self.texts(expect_logs, &format!("{key}.expect_logs"), not_empty)?,
            fetches: expect_fetch.map(|t| t.0).unwrap_or_default(),
        };
        Ok(Step::Call(Box::new(CallStep {
            line,
            name,
            target,
            input,
            allow_unused_input: allow_unused_input.unwrap_or(false),
            expect,
            record_audio,
        })))
    }

    /// `record_audio` and `record_format`: the file (relative to the
    /// scenario) and how its samples are stored; a format without a file
    /// is a mistake.
    fn record_audio(
        &self,
        dir: &Path,
        key: &str,
        path: Option<Spanned<PathBuf>>,
        format: Option<Spanned<String>>,
    ) -> Result<Option<RecordAudio>, ConfigError> {
        let format = format
            .map(|f| {
                f.get_ref()
                    .trim()
                    .parse::<RecordFormat>()
                    .map_err(|m| self.error(f.span(), &format!("{key}.record_format"), m))
                    .map(|parsed| (f.span(), parsed))
            })
            .transpose()?;
        match (path, format) {
            (None, None) => Ok(None),
            (None, Some((span, _))) => Err(self.error(
                span,
                &format!("{key}.record_format"),
                "`record_format` needs a `record_audio` file to write",
            )),
            (Some(p), format) => {
                if p.get_ref().as_os_str().is_empty() || dir.join(p.get_ref()).is_dir() {
                    return Err(self.error(
                        p.span(),
                        &format!("{key}.record_audio"),
                        "`record_audio` names the WAVE file to write",
                    ));
                }
                Ok(Some(RecordAudio {
                    path: dir.join(p.get_ref()),
                    format: format.map(|(_, f)| f).unwrap_or_default(),
                }))
            }
        }
    }

    fn target(
        &self,
        dir: &Path,
        call: &Spanned<String>,
        key: &str,
        has_origin: bool,
    ) -> Result<CallTarget, ConfigError> {
        let s = call.get_ref().trim();
        if let Some(rest) = s.strip_prefix(ORIGIN_PLACEHOLDER) {
            if !has_origin {
                return Err(self.error(
                    call.span(),
                    key,
                    "`{origin}` needs an [origin] table naming the directory to serve",
                ));
            }
            let path = rest.trim_start_matches('/').to_string();
            // Checked against any origin now, so `CallTarget::url` cannot fail later.
            let probe = Url::parse("http://127.0.0.1/").map(|base| base.join(&path));
            return match probe {
                Ok(Ok(_)) => Ok(CallTarget::Origin(path)),
                _ => Err(self.error(
                    call.span(),
                    key,
                    format!("bad path after {{origin}}: `{rest}`"),
                )),
            };
        }
        if s.contains(ORIGIN_PLACEHOLDER) {
            return Err(self.error(
                call.span(),
                key,
                "`{origin}` may only start a call URL (`{origin}/index.vxml`)",
            ));
        }
        if s.is_empty() {
            return Err(self.error(call.span(), key, "empty call target"));
        }
        // A URL has a scheme of two letters or more (`C:\…` is a path).
        if let Ok(url) = Url::parse(s)
            && url.scheme().len() > 1
        {
            return Ok(CallTarget::Url(url));
        }
        let path = dir.join(s);
        let file = std::fs::canonicalize(&path).map_err(|e| {
            self.error(
                call.span(),
                key,
                format!("no such file: {} ({e})", path.display()),
            )
        })?;
        Url::from_file_path(&file)
            .map(CallTarget::Url)
            .map_err(|()| {
                self.error(
                    call.span(),
                    key,
                    format!("{} cannot be a file: URL", file.display()),
                )
            })
    }

    /// The strings of a list key, each checked by `bad` (which says what is
    /// wrong with one, if anything).
    fn texts(
        &self,
        list: Option<Vec<Spanned<String>>>,
        key: &str,
        bad: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<String>, ConfigError> {
        list.unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(j, s)| match bad(s.get_ref()) {
                Some(why) => Err(self.error(s.span(), &format!("{key}[{j}]"), why)),
                None => Ok(s.into_inner()),
            })
            .collect()
    }
}

/// An empty substring expectation would match anything: surely a mistake.
fn not_empty(s: &str) -> Option<String> {
    s.trim()
        .is_empty()
        .then(|| "an empty expectation matches anything; remove it or fill it in".to_string())
}
