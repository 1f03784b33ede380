//! `vxb run`: one call to a VoiceXML application with a scripted caller,
//! printing what the caller hears, each fetch, logs and events as they
//! happen, and how the call ended.

use std::future::{Future, ready};
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use clap::Args;

use super::fetch::{runtime, start_dir, target};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::call::report::{EventRecord, LogRecord, PromptRecord};
use crate::call::{Browser, CallEnd, CallObserver, CallOptions, CallerInput, InputSource, Token};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::fetch::FetchRecord;
use crate::simulate::listing::cache_listing;

/// The arguments of `vxb run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The start document: a URL (http, https, file) or a local path.
    pub start: String,
    /// The caller's input, comma- or space-separated (spec §1). Without it,
    /// tokens are read from standard input one line at a time when it is not
    /// a terminal; from a terminal the caller hangs up when asked for input
    /// (an interactive mode comes later).
    #[arg(long)]
    pub input: Option<String>,
    /// The TOML configuration file (spec §2).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the call's report as JSON (spec §5) to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Print the cache's entries and statistics after the call.
    #[arg(long)]
    pub show_cache: bool,
    /// Play the prompts' audio on the speaker (a build with the `speaker`
    /// feature); when it cannot be opened, one line says why and the call
    /// goes on silently.
    #[arg(long)]
    pub play: bool,
    /// Without `--play` (or when the speaker is unavailable), take as long
    /// as each prompt would take to play.
    #[arg(long)]
    pub realtime: bool,
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
        None if !std::io::stdin().is_terminal() => Caller::Stdin,
        None => Caller::Script(CallerInput::new([])),
    };
    let config = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vxb run: {e}");
            return EXIT_USAGE;
        }
    };
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
    let Some(runtime) = runtime("run") else {
        return EXIT_FAILED;
    };
    let report = runtime.block_on(async {
        for outcome in browser.preload().await {
            if let Err(e) = &outcome.result {
                println!("preload {} failed: {} ({e})", outcome.name, outcome.url);
            }
        }
        let (sink, why) = crate::audio::open_sink(args.play, args.realtime);
        if let Some(why) = why {
            eprintln!("vxb run: {why}");
        }
        let options = CallOptions {
            observer: Some(Box::new(Printer)),
            // Only a sink that plays or takes time is worth driving.
            sink: (args.play || args.realtime).then_some(sink),
            ..CallOptions::default()
        };
        browser.call(url.as_str(), input, options).await
    });
    match &report.ended {
        CallEnd::Error { event, message } => println!("ended: error {event}: {message}"),
        ended => println!("ended: {}", ended.kind()),
    }
    if args.show_cache {
        print_cache(&browser);
    }
    if let Some(path) = &args.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json + "\n").map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("vxb run: cannot write {}: {e}", path.display());
            return EXIT_FAILED;
        }
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

/// Who the caller is: a script from `--input`, or lines of standard input.
enum Caller {
    Script(CallerInput),
    Stdin,
}

impl InputSource for Caller {
    fn next_token(&mut self) -> Pin<Box<dyn Future<Output = Token> + '_>> {
        match self {
            Caller::Script(script) => InputSource::next_token(script),
            Caller::Stdin => Box::pin(ready(stdin_token())),
        }
    }
}

/// The next token from standard input, read only when the call asks for
/// one (so a pipe can follow the call). Blocking is fine: the call has its
/// worker to itself and has nothing else to do until the caller answers.
/// Blank lines are skipped and a bad token is reported and skipped; the
/// end of input hangs up.
fn stdin_token() -> Token {
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => return Token::Hangup,
            Ok(_) if line.trim().is_empty() => continue,
            Ok(_) => match line.parse::<Token>() {
                Ok(token) => return token,
                Err(e) => eprintln!("vxb run: stdin: {e}"),
            },
        }
    }
}

/// Prints the call's report entries to stdout as they are made.
struct Printer;

impl CallObserver for Printer {
    fn fetch(&mut self, r: &FetchRecord) {
        let decision = r.decision.map_or("failed", |d| d.as_str());
        let status = r.status.map_or_else(|| "-".to_string(), |s| s.to_string());
        println!("fetch {decision} {status} {}", r.url);
    }

    fn prompt(&mut self, p: &PromptRecord) {
        match p {
            PromptRecord::Text { text, .. } => println!("prompt: {text}"),
            PromptRecord::Audio { src, .. } => println!("prompt: [audio {src}]"),
            PromptRecord::FetchAudio { src, .. } => println!("prompt: [fetch audio {src}]"),
        }
    }

    fn log(&mut self, l: &LogRecord) {
        match &l.label {
            Some(label) => println!("log [{label}]: {}", l.message),
            None => println!("log: {}", l.message),
        }
    }

    fn event(&mut self, e: &EventRecord) {
        match &e.message {
            Some(m) => println!("event {}: {m}", e.name),
            None => println!("event {}", e.name),
        }
    }
}
