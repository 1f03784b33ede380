//! vxb: a miniature but complete VoiceXML 2.0/2.1 voice browser, as a
//! library for placing scripted calls from Rust tests.
//!
//! A [`Browser`] runs calls: it fetches each VoiceXML page, grammar,
//! script, data file and audio clip through one shared cache (a byte budget
//! per resource type, HTTP freshness and revalidation), interprets the
//! pages, and returns a [`CallReport`] of everything the call did — the
//! prompts the caller heard, `<log>` lines, events, every fetch with its
//! cache decision, and how the call ended. Calls run on the browser's
//! worker threads, many at once, all sharing its cache.
//!
//! # Placing a scripted call
//!
//! The caller is a list of [`Token`]s — DTMF keys, `say:<words>`,
//! `noinput`, `nomatch`, `hangup` — and hangs up when they run out.
//!
//! ```
//! use vxb::{Browser, CallEnd, CallOptions, CallerInput};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("pin.vxml"),
//!     r#"<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1">
//!          <form>
//!            <field name="pin" type="digits">
//!              <prompt>Please enter your PIN.</prompt>
//!              <filled><prompt>You entered <value expr="pin"/>.</prompt></filled>
//!            </field>
//!          </form>
//!        </vxml>"#,
//! )?;
//!
//! // `file:` URLs are read only below the file root.
//! let browser = Browser::builder().file_root(dir.path()).build()?;
//! let start = format!("file://{}/pin.vxml", dir.path().display());
//! let report = browser.call_blocking(
//!     &start,
//!     CallerInput::parse_list("1234")?,
//!     CallOptions::default(),
//! );
//!
//! let heard: Vec<&str> = report.prompts.iter().map(|p| p.text()).collect();
//! assert_eq!(heard, ["Please enter your PIN.", "You entered 1234."]);
//! assert_eq!(report.ended, CallEnd::Exit);
//! # Ok(())
//! # }
//! ```
//!
//! [`Browser::call`] is the same for async code. [`CallOptions`] chooses a
//! sink the prompts are played to, the `session.connection` the page sees,
//! and a [`CallObserver`] told of each prompt, log, event and fetch as it
//! happens.
//!
//! # Running a scenario file
//!
//! A scenario file (the one `vxb simulate` runs) is a sequence of calls and
//! waits sharing one cache, each call with the prompts, end, events, logs
//! and cache decisions it is expected to produce. From a test:
//!
//! ```
//! let report = vxb::simulate_file("vxml-samples/hello/scenario.toml")?;
//! assert!(report.ok(), "{}", report.summary());
//! # Ok::<(), vxb::SimulateFileError>(())
//! ```
//!
//! With a browser of your own (a [`ManualClock`], other workers), load the
//! [`Scenario`] and await [`Scenario::run`] with `&browser`.
//!
//! # What is public
//!
//! The names re-exported here, and the modules [`call`] and [`simulate`]
//! they come from, are the library's interface. Everything else — the
//! cache, the fetcher, the interpreter, the command line — is the
//! implementation: reachable (the binary, benchmarks and tests use it) but
//! hidden from these docs, and free to change in any release.
//!
//! See `ARCHITECTURE.md` for the bird's-eye view and the code map. The user
//! guide — installing, the caller's input, scenarios, the JSON report and its
//! schema, the configuration, `vxb lint`, a CI recipe — is in the
//! repository's `docs/` (start at `docs/README.md`).

#![warn(missing_docs)]

pub mod browser;
pub mod call;
pub mod simulate;

#[doc(hidden)]
pub mod audio;
#[doc(hidden)]
pub mod bench;
#[doc(hidden)]
pub mod cache;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod clock;
#[doc(hidden)]
pub mod config;
pub mod diagnostic;
#[doc(hidden)]
pub mod fetch;
#[doc(hidden)]
pub mod fleet;
#[doc(hidden)]
pub mod grammar;
#[doc(hidden)]
pub mod interp;
#[doc(hidden)]
pub mod lint;
#[doc(hidden)]
pub mod proxy;
#[doc(hidden)]
pub mod resource;
#[doc(hidden)]
pub mod script;
#[doc(hidden)]
pub mod serve;
#[doc(hidden)]
pub mod server;
#[doc(hidden)]
pub mod vxml;
#[doc(hidden)]
pub mod xml;

pub use browser::{
    Browser, BrowserBuilder, BrowserError, CallOptions, SimulateFileError, simulate_file,
};
pub use cache::Decision;
pub use call::{
    CallEnd, CallObserver, CallReport, CallerInput, EventRecord, InputSource, LogRecord,
    PromptRecord, Token,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigError};
pub use fetch::{Failure, FetchRecord, FetchResult};
pub use resource::ResourceType;
pub use script::{Connection, Originator, Redirect, Session};
pub use simulate::{Dialer, Scenario, SimulationReport};
