//! `vxb run`: one call to a VoiceXML application. The caller is a script
//! (`--input`), a person at a terminal (a `>` prompt; interactive), or lines
//! piped to standard input. What the caller hears, each fetch with its cache
//! decision, logs and events are printed as they happen, then how the call
//! ended.

use std::io::{BufReader, IsTerminal, Stderr, Stdin};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use clap::Args;

use super::fetch::{runtime, start_dir, target};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::audio::{RecordFormat, RecordingSink, open_sink};
use crate::browser::{Browser, CallOptions};
use crate::call::report::{EventRecord, LogRecord, PromptRecord};
use crate::call::source::LineCaller;
use crate::call::{CallEnd, CallObserver, CallerInput, InputSource, Token};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::fetch::FetchRecord;
use crate::fetch::tier::with_tier;
use crate::simulate::listing::cache_listing;
use crate::simulate::start_failure;

/// The arguments of `vxb run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The start document: a URL (http, https, file) or a local path.
    pub start: String,
    /// The caller's input, comma- or space-separated: DTMF keys,
    /// `say:<words>`, `noinput`, `nomatch`, `hangup`. The call runs
    /// unattended and the caller hangs up when the list runs out. Without
    /// it, a terminal is interactive (type a token at the `>` prompt; end of
    /// input hangs up) and a pipe is read one token a line.
    #[arg(long)]
    pub input: Option<String>,
    /// The TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Refuse the schema slips production browsers tolerate (a `<log>`
    /// directly in a `<form>`, a grammar with no root…) with
    /// `error.badfetch`, as `strict = true` in the configuration does.
    #[arg(long)]
    pub strict: bool,
    /// Write the call's report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Play the prompts through the speaker (needs a build with the
    /// `speaker` feature).
    #[arg(long)]
    pub play: bool,
    /// Without `--play` (or when the speaker cannot be used), take as long
    /// as each prompt would take to hear.
    #[arg(long)]
    pub realtime: bool,
    /// Print the cache's entries and statistics after the call.
    #[arg(long)]
    pub show_cache: bool,
    /// Write what the caller heard, in order, to this WAVE file (8 kHz mono;
    /// text as a quiet tone of its estimated length, breaks as silence).
    #[arg(long, value_name = "FILE")]
    pub record_audio: Option<PathBuf>,
    /// The recording's samples: `ulaw` (G.711 µ-law, as on the line) or
    /// `pcm16` (16-bit linear).
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "ulaw",
        requires = "record_audio"
    )]
    pub record_format: RecordFormat,
}

/// Loads `--config`, or the defaults.
pub(crate) fn load_config(path: Option<&Path>) -> Result<Config, String> {
    match path {
        Some(p) => Config::load(p).map_err(|e| e.to_string()),
        None => Ok(Config::default()),
    }
}

/// Runs `vxb run`; returns the exit code.
pub fn run(args: RunArgs) -> u8 {
    let input = match args.input.as_deref() {
        Some(list) => match CallerInput::parse_list(list) {
            Ok(i) => Caller::Script(i),
            Err(e) => {
                eprintln!("vxb run: --input: {e}");
                return EXIT_USAGE;
            }
        },
        None => {
            let stdin = std::io::stdin();
            let interactive = stdin.is_terminal();
            Caller::Lines(LineCaller::new(
                BufReader::new(stdin),
                std::io::stderr(),
                interactive,
            ))
        }
    };
    let config = match load_config(args.config.as_deref()) {
        Ok(c) => Config {
            strict: c.strict || args.strict,
            ..c
        },
        Err(e) => {
            eprintln!("vxb run: {e}");
            return EXIT_USAGE;
        }
    };
    if Path::new(&args.start).is_dir() {
        eprintln!(
            "vxb run: {}: is a directory, not a VoiceXML document",
            args.start
        );
        return EXIT_USAGE;
    }
    let url = match target(&args.start) {
        Ok(u) => u,
        Err(_) if !args.start.contains(':') && !Path::new(&args.start).exists() => {
            eprintln!("vxb run: {}: no such file", args.start);
            return EXIT_USAGE;
        }
        Err(e) => {
            eprintln!("vxb run: {}: {e}", args.start);
            return EXIT_USAGE;
        }
    };
    let start_dir = start_dir(&url);
    let browser = match Browser::new(config, Arc::new(SystemClock), start_dir.as_deref()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("vxb run: {e}");
            return EXIT_USAGE;
        }
    };
    let mut tape = None;
    let sink = (args.play || args.realtime || args.record_audio.is_some()).then(|| {
        let (sink, why_silent) = open_sink(args.play, args.realtime);
        if let Some(why) = why_silent {
            eprintln!("vxb run: --play: {why}");
        }
        if args.record_audio.is_none() {
            return sink;
        }
        let (recording, recorded) = RecordingSink::new(sink);
        tape = Some(recorded);
        Box::new(recording) as Box<dyn crate::audio::Sink + Send>
    });
    let Some(runtime) = runtime("run") else {
        return EXIT_FAILED;
    };
    let report = runtime.block_on(async {
        for outcome in browser.preload().await {
            if let Err(e) = &outcome.result {
                println!("preload {} failed: {} ({e})", outcome.name, outcome.url);
            }
        }
        let options = CallOptions {
            observer: Some(Box::new(Printer::default())),
            sink,
            ..CallOptions::default()
        };
        browser.call(url.as_str(), input, options).await
    });
    if let Some(path) = &args.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json + "\n").map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("vxb run: cannot write {}: {e}", path.display());
            return EXIT_FAILED;
        }
    }
    if let (Some(path), Some(tape)) = (&args.record_audio, &tape)
        && let Err(e) = tape.write(path, args.record_format)
    {
        eprintln!("vxb run: cannot write {}: {e}", path.display());
        return EXIT_FAILED;
    }
    if let Some(failed) = start_failure(&report) {
        // The call never began: bad input (exit 2), one line, like a
        // missing file.
        match &failed.diagnostic() {
            Some(diagnostic) => eprint!("vxb run: cannot start the call:\n{diagnostic}"),
            None => {
                let cause = failed.error().unwrap_or("cannot fetch");
                eprintln!("vxb run: cannot start the call: {cause}");
            }
        }
        return EXIT_USAGE;
    }
    match &report.ended {
        CallEnd::Error { event, message } => println!("ended: error {event}: {message}"),
        ended => println!("ended: {}", ended.kind()),
    }
    if args.show_cache {
        print_cache(&browser);
    }
    match report.ended {
        CallEnd::Error { .. } => EXIT_FAILED,
        CallEnd::Exit | CallEnd::Hangup | CallEnd::Disconnect => EXIT_OK,
    }
}

/// `--show-cache`: the browser's cache entries and statistics, now.
pub(crate) fn print_cache(browser: &Browser) {
    let fetcher = browser.fetcher();
    let now = fetcher.clock().now();
    print!(
        "{}",
        cache_listing(fetcher.store(), &fetcher.config().cache, now)
    );
}

/// Who the caller is: a script from `--input`, or lines of standard input
/// (typed at a terminal, with hints on standard error, or piped).
enum Caller {
    Script(CallerInput),
    Lines(LineCaller<BufReader<Stdin>, Stderr>),
}

impl Caller {
    /// Whether the transcript shows each token as a `> ` line: yes, unless
    /// a person typed it at a terminal, which already shows it after its
    /// prompt.
    fn echoes(&self) -> bool {
        match self {
            Caller::Script(_) => true,
            Caller::Lines(lines) => !lines.is_interactive(),
        }
    }
}

impl InputSource for Caller {
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>> {
        let echo = self.echoes();
        Box::pin(async move {
            let token = match self {
                Caller::Script(script) => InputSource::next_token(script).await,
                Caller::Lines(lines) => lines.next_token().await,
            };
            if echo {
                // On stdout with the prompts (the `Printer`, on this same
                // thread), so the caller's turn sits where it came.
                println!("> {}", token.typed());
            }
            token
        })
    }
}

/// Prints the call's report entries to stdout as they are made, so a
/// person at the terminal sees them before the `>` prompt.
#[derive(Default)]
struct Printer {
    /// The start document could not be fetched: the call never began and
    /// `run` says so in one line at the end, so nothing is printed.
    silent: bool,
    /// A fetch has been seen (the first is the start document's).
    started: bool,
}

impl CallObserver for Printer {
    fn fetch(&mut self, r: &FetchRecord) {
        if !std::mem::replace(&mut self.started, true) && r.error().is_some() {
            self.silent = true;
        }
        if self.silent {
            return;
        }
        let decision = with_tier(
            r.decision().map_or("failed", |d| d.as_str()),
            r.tier.as_ref(),
        );
        let status = r
            .status()
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        println!("fetch {decision} {status} {}", r.url);
        if let Some(diagnostic) = &r.diagnostic() {
            print!("{diagnostic}");
        }
    }

    fn prompt(&mut self, p: &PromptRecord) {
        match p {
            PromptRecord::Text { text, .. } => println!("prompt: {text}"),
            PromptRecord::Audio { src, duration } => {
                println!("prompt: [audio {src}, {:.2}s]", duration.as_secs_f64());
            }
            PromptRecord::FetchAudio { src, duration } => {
                println!(
                    "prompt: [fetch audio {src}, {:.2}s]",
                    duration.as_secs_f64()
                );
            }
        }
    }

    fn log(&mut self, l: &LogRecord) {
        match &l.label {
            Some(label) => println!("log [{label}]: {}", l.message),
            None => println!("log: {}", l.message),
        }
    }

    fn event(&mut self, e: &EventRecord) {
        if self.silent {
            return;
        }
        match &e.message {
            Some(m) => println!("event {}: {m}", e.name),
            None => println!("event {}", e.name),
        }
    }
}
