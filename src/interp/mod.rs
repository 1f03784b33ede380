//! The VoiceXML interpreter: one call, from its first document to its end.
//!
//! `run_call` drives a call: it fetches the start document, enters it and
//! runs its dialogs by the form interpretation algorithm, following
//! transitions from document to document, until the call ends; it returns
//! the call's [`CallReport`]. It never talks HTTP itself: every document,
//! application root, script, data and audio fetch goes through the call's
//! [`CallFetcher`] with its resource type and fetch attributes, and the
//! parse hooks of `load` make what the cache keeps already parsed.
//!
//! One `Interpreter` per call, on the worker thread that created its
//! [`ScriptEngine`] (boa's values are not `Send`; see `browser`). Where
//! the running content is lives in one `Frame` (document, the document the
//! content was written in, the dialog's FIA state, document-level
//! counters); a subdialog runs in a frame of its own over its caller's.
//! Steps hand each other what they produce as values (`Planned`, `Ran`, a
//! `Transition`'s carried match), not through fields.
//!
//! Layout, one concern each:
//! - `load`: the parse hooks (documents, audio) and a document's references.
//! - `nav`: fetching documents and their application roots, entering them
//!   (the scope changes of §1.5.2), the per-call document transition limit,
//!   and the loop that follows transitions (`run_context`, which a
//!   subdialog runs again, nested).
//! - `fia`: Appendix C — form initialisation, select / collect / process,
//!   blocks, subdialogs, `<filled>`, the step limit, menus.
//! - `recognize`: the grammars active at a collection (§3.1.4 precedence),
//!   matching the caller's token, and what a match does — fill fields
//!   (mixed initiative included), follow a link or choice, go to another
//!   dialog.
//! - `grammars`: compiled grammars — the parse hook for `<grammar src>` and
//!   the per-document memo of grammars written inline, `type`s, options
//!   and choices.
//! - `exec`: executable content (§5.3 and 2.1's `<data>`, `<foreach>`).
//! - `events`: catch selection, counters, default handlers (pure).
//! - `handler`: running the handler an event selects (or the default one).
//! - `props`: properties by scope and fetch attributes → `FetchRequest`.
//! - `prompts`: the prompt queue (§4.1.8): rendering text, `<value>`,
//!   `<audio>` (fetched and decoded through the cache, fallback content on
//!   failure), `<enumerate>`, `<foreach>`; flushed to the sink at input
//!   collection and at the end of the call.
//! - `namelist`: variables into submitted data (`<submit>`, `<subdialog>`,
//!   `<data>`, `<exit>`, `<return>`).
//! - `dom`: `<data>`'s parsed XML and the read-only DOM scripts walk.
//!
//! # What a call does and does not do
//!
//! Works: every element of issue 4 — documents and application roots,
//! scopes, properties, blocks, prompts (text, `<value>`, `<audio>`),
//! variables, conditions, scripts, logs, goto/submit/subdialog/return/exit/
//! disconnect, throw/catch and the default handlers, `<data>` and
//! `<foreach>` — and caller input (issue 5): fields, `<initial>` and
//! menus take DTMF and `say:` tokens against their active grammars (inline
//! SRGS, fetched through the cache, builtin types, options, choices,
//! links), fill their variables and shadow variables and
//! `application.lastresult$`, and run `<filled>`; `noinput`, `nomatch`
//! and `hangup` throw their events (a noinput's message says the timeout
//! it stood for). Spec §1 has no token for a recording, so a DTMF or
//! spoken token at `<record>` ends the call with `error.unsupported.record`
//! (noinput and hangup work there). `<transfer>` throws
//! `error.unsupported.transfer` and `<object>` `error.unsupported.objectname`,
//! both catchable, as §2.3.5/§2.3.7 allow. There is no `help` token, so no
//! `help` event is ever thrown by the platform. `fetchhint`:
//! `<audio>` and `<script src>` marked `prefetch` (attribute or
//! `audiofetchhint` / `scriptfetchhint` property) are fetched when their
//! document is loaded (`nav`); every other fetch is made when it is needed.
//! `fetchaudio` plays while a slow document or `<data>` fetch is under way
//! (see `prompts`).
//!
//! # Choices the spec leaves open
//!
//! - A document without an `application` attribute is its own application
//!   root: its variables are application variables, so a leaf that names it
//!   as root later finds them, and going back to it keeps them (§1.5.2's
//!   leaf→root and root→leaf rows).
//! - An event thrown while a document's or form's declarations are
//!   initialised is handled by the handlers of that document (and root);
//!   if the handler neither exits nor leaves, initialisation continues with
//!   the next declaration.
//! - `error.*`, `connection.disconnect.*` and every other event without a
//!   handler end the call; the report's `ended` names the event (or says
//!   hangup / disconnect).
//! - After a hangup or `<disconnect>` the call is in final processing:
//!   handlers run, prompts are discarded, and the next input collection
//!   ends the call.
//! - Runaway applications: scripts are bounded by the engine's loop and
//!   recursion limits (`error.semantic`); document loads by
//!   `limits.max_document_transitions` (the next one is `error.badfetch`);
//!   form items visited and events handled without caller input by
//!   `limits.max_steps_without_input` (the call ends with `error.semantic`);
//!   subdialogs nest at most [`MAX_SUBDIALOG_DEPTH`] deep (`error.semantic`).

mod dom;
mod events;
mod exec;
mod fia;
mod grammars;
mod handler;
mod load;
mod namelist;
mod nav;
mod prompts;
mod props;
mod recognize;
mod record;
mod transfer;

use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use url::Url;

pub use dom::{DataParser, XmlTree};
pub use grammars::GrammarParser;
pub use load::{AudioParser, VxmlParser};

use crate::audio::Sink;
use crate::call::{CallEnd, CallObserver, CallReport, EventRecord, InputSource, LogRecord};
use crate::clock::Millis;
use crate::config::LimitsConfig;
use crate::fetch::{BodyParser, CallFetcher, FetchError, FetchRequest, Fetched, Fetcher};
use crate::script::{EngineShelf, Limits, ScriptEngine, ScriptError, Session};
use crate::vxml::Span;

use events::{Counters, Event};
use fia::FormState;
use nav::Here;
use prompts::{FetchAudioPlan, Queued};

/// Subdialogs nested deeper than this throw `error.semantic`: each level
/// keeps a calling context alive, and unbounded recursion must end.
pub const MAX_SUBDIALOG_DEPTH: u32 = 32;

/// The parse hooks every call shares (one set per process, so their
/// counters count the process's parses).
#[derive(Debug, Default)]
pub(crate) struct Parsers {
    pub vxml: VxmlParser,
    pub data: DataParser,
    pub audio: AudioParser,
    pub grammar: GrammarParser,
}

/// Everything one call starts from.
pub(crate) struct CallParts {
    pub fetcher: Arc<Fetcher>,
    pub parsers: Arc<Parsers>,
    /// The start URL (absolute).
    pub start: String,
    pub input: Box<dyn InputSource>,
    /// `None`: record what is heard without playing it.
    pub sink: Option<Box<dyn Sink + Send>>,
    pub observer: Option<Box<dyn CallObserver + Send>>,
    pub session: Session,
}

/// Runs one call to its end, on an engine from `engines` (given back at the
/// end). Must run on the thread that polls it to the end (the script engine
/// is not `Send`).
pub(crate) async fn run_call(parts: CallParts, engines: &EngineShelf) -> CallReport {
    let started = Instant::now();
    let limits_config = parts.fetcher.config().limits.clone();
    let strict = parts.fetcher.config().strict;
    let mut report = CallReport {
        start_url: parts.start.clone(),
        ..CallReport::default()
    };
    let limits = Limits {
        loop_iterations: limits_config.script_loop_iterations,
        recursion: limits_config.script_recursion,
        ..Limits::default()
    };
    let engine = match engines.take(limits, &parts.session) {
        Ok(e) => e,
        Err(e) => {
            report.ended = CallEnd::Error {
                event: "error.noresource".into(),
                message: format!("cannot start the script engine: {e}"),
            };
            return report;
        }
    };
    let mut it = Interpreter {
        engine,
        fetcher: parts.fetcher.call(),
        parsers: parts.parsers,
        input: parts.input,
        sink: parts.sink,
        observer: parts.observer,
        report,
        queue: Vec::new(),
        limits: limits_config,
        strict,
        transitions: 0,
        steps: 0,
        hung_up: None,
        frame: Frame::default(),
        callers: Vec::new(),
        hidden: 0,
        recordings: Vec::new(),
    };
    let end = it.run(&parts.start).await;
    let report = it.finish(end, started).await;
    // The call's documents are let go first, so the engine forgets the
    // compiled code of those nothing else (the cache) holds.
    engines.give_back(it.into_engine());
    report
}

/// The document some content was written in: its name for messages and its
/// base URL for the URIs in it.
#[derive(Clone, Debug)]
pub(crate) struct At {
    pub name: Rc<str>,
    pub base: Url,
}

/// One call's interpreter state.
pub(crate) struct Interpreter {
    engine: ScriptEngine,
    fetcher: CallFetcher,
    parsers: Arc<Parsers>,
    input: Box<dyn InputSource>,
    /// `None`: record only (no blocking sink to drive).
    sink: Option<Box<dyn Sink + Send>>,
    observer: Option<Box<dyn CallObserver + Send>>,
    report: CallReport,
    /// Prompts queued and not yet played.
    queue: Vec<Queued>,
    limits: LimitsConfig,
    /// `strict`: schema slips are refused, not warned of.
    strict: bool,
    /// Document loads so far.
    transitions: u32,
    /// Form items visited and events handled since the caller last spoke.
    steps: u32,
    /// Set once the caller hung up or the application disconnected: how the
    /// call will end. The interpreter is then in final processing.
    hung_up: Option<CallEnd>,
    /// Where the running content is: its document, dialog and counters.
    frame: Frame,
    /// The frames of the subdialogs' callers, outermost first, suspended
    /// until the subdialog returns. Their number is the nesting depth.
    callers: Vec<Frame>,
    /// Counter for hidden helper variables (`<foreach>` arrays).
    hidden: u32,
    /// The recordings `<record>` made, which the call's variables name.
    recordings: Vec<Arc<record::Recorded>>,
}

/// One active execution context: the call's, or a subdialog's. A subdialog
/// runs in a frame of its own, pushed over its caller's and popped when it
/// returns, so nothing of the caller's place is saved and restored by hand.
#[derive(Default)]
pub(crate) struct Frame {
    /// The current document (and root).
    here: Option<Here>,
    /// The document of the content being executed (the root's, for a
    /// root-level handler).
    at: Option<At>,
    /// The FIA state of the current form or menu.
    form: Option<FormState>,
    /// Event counters for events thrown outside any dialog (document
    /// initialisation).
    counters: Counters,
}

/// A document or `<data>` request the running content made, with the fetch
/// audio to play while it is slow (none for the start document, or when no
/// `fetchaudio` applies).
#[derive(Debug)]
pub(crate) struct Planned {
    pub req: FetchRequest,
    pub fetch_audio: Option<FetchAudioPlan>,
}

impl Planned {
    /// A request with no fetch audio.
    fn silent(req: FetchRequest) -> Planned {
        Planned {
            req,
            fetch_audio: None,
        }
    }
}

/// What executable content that ran to its end did that its runner must
/// know: whether it executed `<reprompt>` (which matters to the FIA after
/// an event handler).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ran {
    pub reprompted: bool,
}

impl Ran {
    /// What `self` and then `next` did, together.
    fn and(self, next: Ran) -> Ran {
        Ran {
            reprompted: self.reprompted || next.reprompted,
        }
    }
}

/// How control leaves the executable content being run.
#[derive(Debug)]
pub(crate) enum Jump {
    /// An event to handle where it was thrown.
    Throw(Event),
    /// `<goto nextitem|expritem>`.
    Item(String),
    /// Leaves the dialog.
    Leave(Leave),
}

/// How control leaves a dialog.
#[derive(Debug)]
pub(crate) enum Leave {
    /// To another dialog (same or another document).
    Dialog(Box<nav::Transition>),
    /// `<return>` from a subdialog.
    Return(Returned),
    /// The call ends.
    End(CallEnd),
}

/// What a subdialog returns.
#[derive(Debug)]
pub(crate) enum Returned {
    Values(Vec<(String, crate::script::Value)>),
    Event(Event),
}

impl From<Event> for Jump {
    fn from(e: Event) -> Jump {
        Jump::Throw(e)
    }
}

impl From<Leave> for Jump {
    fn from(l: Leave) -> Jump {
        Jump::Leave(l)
    }
}

impl Interpreter {
    /// Runs `f` as content written in the document `at` names — the root's
    /// for a root-level handler, the document a grammar or link was
    /// written in — and then returns to the frame's own document.
    async fn written_in<R>(
        &mut self,
        at: Option<At>,
        f: impl AsyncFnOnce(&mut Interpreter) -> R,
    ) -> R {
        let here = self.frame.here.clone();
        self.as_content_of(here, at, f).await
    }

    /// Runs `f` with `here` as the current document and `at` as the
    /// document of the content being executed, then puts the frame's own
    /// back — the one place either changes for a while and changes back.
    async fn as_content_of<R>(
        &mut self,
        here: Option<Here>,
        at: Option<At>,
        f: impl AsyncFnOnce(&mut Interpreter) -> R,
    ) -> R {
        let own_here = std::mem::replace(&mut self.frame.here, here);
        let own_at = std::mem::replace(&mut self.frame.at, at);
        let result = f(self).await;
        self.frame.here = own_here;
        self.frame.at = own_at;
        result
    }

    /// The whole call: the start document, then wherever it leads.
    async fn run(&mut self, start: &str) -> CallEnd {
        let req = match crate::fetch::location::parse(start) {
            Ok(url) => Planned::silent(FetchRequest::get(
                url,
                crate::resource::ResourceType::Document,
                crate::fetch::Referrer::User,
            )),
            Err(e) => return self.fatal(Event::from_fetch(&e)),
        };
        let first = match self.load(req).await {
            Ok(t) => t,
            Err(e) => return self.fatal(e),
        };
        match self.run_context(first, None).await {
            nav::ContextEnd::End(end) => end,
            // `<return>` outside a subdialog is refused where it is executed.
            nav::ContextEnd::Return(_) => CallEnd::Exit,
        }
    }

    /// Ends the report: prompts still queued are played (unless the caller
    /// is gone), and the outcome, fetches and time are filled in.
    async fn finish(&mut self, end: CallEnd, started: Instant) -> CallReport {
        self.flush().await;
        self.drain_fetch_records();
        self.report.ended = match self.hung_up.take() {
            Some(h) => h,
            None => end,
        };
        self.report.elapsed = started.elapsed();
        tracing::debug!(
            target: "vxb::call",
            call = %self.fetcher.label(),
            start = %self.report.start_url,
            elapsed = %Millis(self.report.elapsed),
            compilations = self.engine.compilations(),
            fetches = self.report.fetches.len(),
            "call ended"
        );
        std::mem::take(&mut self.report)
    }

    /// The engine, with everything else of the call dropped.
    fn into_engine(self) -> ScriptEngine {
        self.engine
    }

    /// An event that ends the call with no handler to run: recorded, uncaught.
    fn fatal(&mut self, e: Event) -> CallEnd {
        self.record_event(&e, false, false);
        CallEnd::Error {
            message: e.message_text(),
            event: e.name,
        }
    }

    // ----- report ------------------------------------------------------------------

    fn record_event(&mut self, e: &Event, caught: bool, default_handler: bool) {
        let record = EventRecord {
            name: e.name.clone(),
            message: e.message.clone(),
            caught,
            default_handler,
        };
        tracing::debug!(
            target: "vxb::event",
            call = %self.fetcher.label(),
            name = %record.name,
            message = record.message.as_deref().map(tracing::field::display),
            caught,
            "event"
        );
        if let Some(o) = self.observer.as_mut() {
            o.event(&record);
        }
        self.report.events.push(record);
    }

    fn record_log(&mut self, record: LogRecord) {
        tracing::info!(
            target: "vxb::log",
            call = %self.fetcher.label(),
            label = record.label.as_deref().map(tracing::field::display),
            "{}",
            record.message
        );
        if let Some(o) = self.observer.as_mut() {
            o.log(&record);
        }
        self.report.logs.push(record);
    }

    fn warn(&mut self, warning: String) {
        tracing::warn!(target: "vxb::call", call = %self.fetcher.label(), "{warning}");
        self.report.warnings.push(warning);
    }

    /// The schema slips of something just loaded, each as (the refusal,
    /// the warning): under `strict` the first is `error.badfetch`;
    /// otherwise each is warned of once a call.
    fn tolerate(
        &mut self,
        slips: impl IntoIterator<Item = (String, Option<String>)>,
    ) -> Result<(), Event> {
        for (refusal, warning) in slips {
            if self.strict {
                return Err(Event::badfetch(refusal));
            }
            if let Some(w) = warning
                && !self.report.warnings.contains(&w)
            {
                self.warn(w);
            }
        }
        Ok(())
    }

    fn drain_fetch_records(&mut self) {
        for record in self.fetcher.take_records() {
            if let Some(o) = self.observer.as_mut() {
                o.fetch(&record);
            }
            self.report.fetches.push(record);
        }
    }

    /// Fetches through the call's fetcher, reporting the fetch at once.
    async fn fetch(
        &mut self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_with_audio(req, parser, None).await
    }

    /// Fetches a planned document or `<data>` request, playing its fetch
    /// audio while it is slow.
    async fn fetch_planned(
        &mut self,
        planned: Planned,
        parser: Option<&dyn BodyParser>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_with_audio(&planned.req, parser, planned.fetch_audio)
            .await
    }

    async fn fetch_with_audio(
        &mut self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
        fetch_audio: Option<FetchAudioPlan>,
    ) -> Result<Fetched, FetchError> {
        let result = match fetch_audio {
            Some(plan) => self.fetch_playing(req, parser, plan).await,
            None => self.fetcher.fetch(req, parser).await,
        };
        self.drain_fetch_records();
        result
    }

    // ----- where we are ------------------------------------------------------------

    /// The document the running content belongs to, for messages.
    fn source(&self) -> Rc<str> {
        match &self.frame.at {
            Some(at) => Rc::clone(&at.name),
            None => Rc::from(self.report.start_url.as_str()),
        }
    }

    /// `error.semantic` for a failed expression or script of the element at
    /// `span`: `file:line:column: <element>: cause`.
    fn script_event(&self, span: Span, element: &str, e: ScriptError) -> Event {
        let e = match e {
            // A script error that already names its document and position.
            e @ ScriptError::Syntax {
                origin: Some(_), ..
            } => return Event::semantic(e.to_string()),
            ScriptError::Runtime { name, message, .. } => ScriptError::Runtime {
                origin: None,
                name,
                message,
            },
            ScriptError::Undeclared { name, .. } => ScriptError::Undeclared { origin: None, name },
            ScriptError::Limit { kind, .. } => ScriptError::Limit { origin: None, kind },
            other => other,
        };
        Event::semantic(format!("{}:{span}: <{element}>: {e}", self.source()))
    }

    /// Counts one step (a form item visited, an event handled) towards
    /// `limits.max_steps_without_input`.
    fn step(&mut self) -> Result<(), Leave> {
        self.steps += 1;
        if self.steps > self.limits.max_steps_without_input {
            let e = Event::semantic(format!(
                "{}: {} form items and events in a row without caller input (limits.max_steps_without_input): the application loops",
                self.source(),
                self.limits.max_steps_without_input
            ));
            return Err(Leave::End(self.fatal(e)));
        }
        Ok(())
    }
}
