//! The prompt queue (VoiceXML 2.0 §4.1, §4.1.8): prompts are rendered when
//! they are queued — `<value>`s evaluated, `<audio>` fetched and decoded —
//! and played (handed to the sink) when the interpreter next collects input
//! or the call ends.
//!
//! Text is what TTS would say: the text and values of the prompt with runs
//! of whitespace made one space; SSML containers contribute their content
//! (`<sub>` its `alias`; `<desc>`, `<metadata>`, `<lexicon>` nothing). It is
//! not synthesized but timed ([`Speech`]): 400 ms a word
//! ([`speech_duration`]), divided by the `<prosody rate>` in force, a
//! `<prosody duration>` replacing the time of its content, plus the silence
//! of each `<break>` (its `time`, else its `strength`: none 0, x-weak
//! 100 ms, weak 200 ms, medium — the default — 400 ms, strong 700 ms,
//! x-strong 1 s). A `<mark>` is recorded with its offset in the speech it
//! falls in. `<emphasis>`, `<say-as>`, `<voice>`, `<phoneme>`, `<s>` and
//! `<p>` shape speech only: their text counts, at the rate in force.
//!
//! An `<audio>` clip is fetched as `audio` with its fetch attributes (or the
//! `audiomaxage`… properties), decoded once by the cache's parse hook, and
//! queued as a clip. If it cannot be fetched or decoded its fallback
//! content is queued instead and the reason — with the event a fetch
//! failure names, `error.badfetch.http.404`… — goes to the report's
//! warnings. The event is not thrown: §4.1.3 has the alternate content
//! played instead, and with no alternate content nothing is played and no
//! error event is thrown (an audio failure is unrelated to the dialog the
//! author's handlers are written for). An `expr` that evaluates to
//! `undefined` or `null` leaves the element out (2.1 §4.1.3).
//! `<enumerate>` lists the menu's choices or the field's options
//! (`For <choice>, press <n>.` when there is no template).
//!
//! # Barge-in
//!
//! Every item carries whether the caller may barge in on it: the prompt's
//! `bargein` attribute, else the `bargein` property in force, else true
//! (§4.1.5, §6.3.2); `bargeintype` is parsed and does not change anything
//! here. A scripted caller (`--input`, scenarios) is a *patient* caller: its
//! token is taken once every queued prompt has played, bargeable or not, so
//! a scenario's expectations see every prompt the application queued; the
//! sink's records ([`Heard`]) say which items were bargeable. (A caller who
//! answers at once would cut every bargeable menu at its first word, which
//! makes the prompts untestable. Live barge-in — a person at `vxb run
//! --play` typing while a prompt plays — would need the interpreter to
//! listen for input while the sink plays, which it does not do yet: the
//! queue plays to its end, then the token is read.)
//!
//! # Fetch audio
//!
//! A document or `<data>` fetch made for an element with `fetchaudio` (or
//! under the `fetchaudio` property) waits `fetchaudiodelay` (default 2 s,
//! the spec's example, as is the minimum's);
//! if the fetch is still under way then, the clip is fetched as `audio`,
//! the queued prompts play, and the clip "plays" until the fetch ends but
//! at least `fetchaudiominimum` (default 5 s) — the fetch's result is held
//! back until then (§6.1.1). It is heard once, not repeated: the record
//! ([`Heard::FetchAudio`], `fetchaudio` in the report) has the time it
//! played, at most the clip's length. A fetch audio clip that cannot be
//! fetched is a warning; the fetch goes on.
//!
//! On virtual time (`vxb simulate`'s default) no real timer runs: the
//! fetch runs to its end, the clock says how long it took (an origin's
//! `delay` moves it), and fetch audio is heard from `fetchaudiodelay` on
//! for as long as it would have played, the clock moving on by what
//! `fetchaudiominimum` holds the result back. Played prompts move the
//! virtual clock by their length, `<break>`s included.
//!
//! A sink that plays in real time blocks; it runs on the blocking pool so
//! the worker's other calls go on meanwhile. With no sink, what is heard
//! is recorded directly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use super::exec::LocalFuture;
use super::{Interpreter, Jump};
use crate::audio::{
    DecodedAudio, Heard, Mark, Sink, Speech, Stretch, speak_document, speech_duration,
};
use crate::call::{CallObserver, CallReport, PromptRecord};
use crate::fetch::{BodyParser, FetchError, FetchRequest, Fetched};
use crate::resource::ResourceType;
use crate::script::{ScopeKind, Value};
use crate::vxml::prompt::{Audio, BreakStrength, Ssml, SsmlKind};
use crate::vxml::{FetchAttrs, Prompt, PromptNode, ValueOrExpr};

/// `fetchaudiodelay` when neither attribute nor property gives one (the
/// spec's example value).
pub(crate) const DEFAULT_FETCH_AUDIO_DELAY: Duration = Duration::from_secs(2);
/// `fetchaudiominimum` when neither attribute nor property gives one (the
/// spec's example value).
pub(crate) const DEFAULT_FETCH_AUDIO_MINIMUM: Duration = Duration::from_secs(5);

/// One thing queued to be heard, and whether the caller may barge in on it.
#[derive(Clone, Debug)]
pub(crate) struct Queued {
    item: Item,
    bargein: bool,
}

#[derive(Clone, Debug)]
enum Item {
    Speech(Speech),
    Audio { url: Url, audio: Arc<DecodedAudio> },
}

/// A prompt being rendered: finished items, and speech not yet cut into one.
struct Render {
    items: Vec<Queued>,
    bargein: bool,
    /// The text of the current speech item, segments already timed.
    text: String,
    /// Text since the last timing boundary, spoken at `rate`.
    segment: String,
    /// Speaking rate relative to the default (`<prosody rate>`).
    rate: f64,
    /// Time of the current speech item's timed segments and breaks.
    duration: Duration,
    marks: Vec<Mark>,
    /// The current speech item's words and silences, in order.
    timeline: Vec<Stretch>,
    /// The current speech item as SSML content (escaped text, breaks,
    /// marks and the shaping elements around them).
    ssml: String,
    /// The SSML elements open around the text (name, start tag): a speech
    /// cut by a clip closes them, and the next one opens them again.
    open: Vec<(&'static str, String)>,
}

impl Render {
    fn new(bargein: bool) -> Render {
        Render {
            items: Vec::new(),
            bargein,
            text: String::new(),
            segment: String::new(),
            rate: 1.0,
            duration: Duration::ZERO,
            marks: Vec::new(),
            timeline: Vec::new(),
            ssml: String::new(),
            open: Vec::new(),
        }
    }

    fn text(&mut self, t: &str) {
        self.segment.push_str(t);
        crate::vxml::xml::escape_into(t, false, &mut self.ssml);
    }

    /// Opens an SSML element that shapes speech, with those of `attrs` a
    /// synthesizer reads.
    fn open_ssml(&mut self, s: &Ssml) {
        let (name, read): (&'static str, &[&str]) = match s.kind {
            SsmlKind::Emphasis => ("emphasis", &["level"]),
            SsmlKind::SayAs => ("say-as", &["interpret-as", "format", "detail"]),
            SsmlKind::Voice => ("voice", &["gender", "age", "variant", "name"]),
            SsmlKind::Prosody => ("prosody", &["rate", "pitch", "range", "volume"]),
            _ => return,
        };
        let mut tag = format!("<{name}");
        for (attr, value) in s
            .attributes
            .iter()
            .filter(|(a, _)| read.contains(&a.as_str()))
        {
            tag.push_str(&format!(
                " {attr}=\"{}\"",
                crate::vxml::xml::escape(value, true)
            ));
        }
        tag.push('>');
        self.ssml.push_str(&tag);
        self.open.push((name, tag));
    }

    /// Closes what [`Render::open_ssml`] opened for `s`.
    fn close_ssml(&mut self, s: &Ssml) {
        if matches!(
            s.kind,
            SsmlKind::Emphasis | SsmlKind::SayAs | SsmlKind::Voice | SsmlKind::Prosody
        ) && let Some((name, _)) = self.open.pop()
        {
            self.ssml.push_str(&format!("</{name}>"));
        }
    }

    /// Times the text since the last boundary at the rate in force.
    fn close_segment(&mut self) {
        let at_default = speech_duration(&self.segment).as_secs_f64();
        // The rate is clamped (see `prosody_rate`), so this cannot fail.
        let at_rate = Duration::try_from_secs_f64(at_default / self.rate).unwrap_or(Duration::MAX);
        self.duration = self.duration.saturating_add(at_rate);
        if !at_rate.is_zero() {
            self.timeline.push(Stretch::Words(at_rate));
        }
        self.text.push_str(&self.segment);
        self.segment.clear();
    }

    /// `<break>`: silence, which also separates words.
    fn silence(&mut self, d: Duration) {
        self.close_segment();
        self.duration = self.duration.saturating_add(d);
        if !d.is_zero() {
            self.timeline.push(Stretch::Silence(d));
        }
        self.text.push(' ');
        self.ssml
            .push_str(&format!("<break time=\"{}ms\"/>", d.as_millis()));
    }

    fn mark(&mut self, name: String) {
        self.close_segment();
        self.ssml.push_str(&format!(
            "<mark name=\"{}\"/>",
            crate::vxml::xml::escape(&name, true)
        ));
        self.marks.push(Mark {
            name,
            at: self.duration,
        });
    }

    /// Ends the current speech (before a clip, and at the end). A break or
    /// mark alone is an item too: silence is heard, a mark is reached.
    fn cut(&mut self) {
        self.close_segment();
        let text = normalize(&self.text);
        self.text.clear();
        let duration = std::mem::take(&mut self.duration);
        let marks = std::mem::take(&mut self.marks);
        let timeline = std::mem::take(&mut self.timeline);
        // What is open goes on in the next speech.
        let reopened: String = self.open.iter().map(|(_, tag)| tag.as_str()).collect();
        let mut body = std::mem::replace(&mut self.ssml, reopened);
        for (name, _) in self.open.iter().rev() {
            body.push_str(&format!("</{name}>"));
        }
        if !text.is_empty() || !duration.is_zero() || !marks.is_empty() {
            self.items.push(Queued {
                item: Item::Speech(Speech {
                    text,
                    duration,
                    marks,
                    timeline,
                    ssml: speak_document(&body),
                    audio: None,
                }),
                bargein: self.bargein,
            });
        }
    }

    fn audio(&mut self, url: Url, audio: Arc<DecodedAudio>) {
        self.cut();
        self.items.push(Queued {
            item: Item::Audio { url, audio },
            bargein: self.bargein,
        });
    }
}

/// The silence of a `<break>` (SSML 1.0 §3.2.3): `time` wins, else the
/// strength, else medium.
fn break_time(time: Option<Duration>, strength: Option<BreakStrength>) -> Duration {
    if let Some(t) = time {
        return t;
    }
    Duration::from_millis(match strength.unwrap_or(BreakStrength::Medium) {
        BreakStrength::None => 0,
        BreakStrength::XWeak => 100,
        BreakStrength::Weak => 200,
        BreakStrength::Medium => 400,
        BreakStrength::Strong => 700,
        BreakStrength::XStrong => 1000,
    })
}

/// The speaking rate inside `<prosody rate>`, from the rate around it:
/// labels are absolute (x-slow 0.5, slow 0.75, medium/default 1, fast 1.5,
/// x-fast 2), a number multiplies (SSML 1.1), `N%` is N hundredths and
/// `+N%` / `-N%` a relative change (SSML 1.0). A value that is none of
/// these, or not above zero, leaves the rate as it was. Rates are kept
/// within [`MIN_RATE`, `MAX_RATE`]: beyond them a duration estimate means
/// nothing, and an absurd value must not overflow one.
fn prosody_rate(value: &str, around: f64) -> f64 {
    let v = value.trim();
    let rate = match v {
        "x-slow" => Some(0.5),
        "slow" => Some(0.75),
        "medium" | "default" => Some(1.0),
        "fast" => Some(1.5),
        "x-fast" => Some(2.0),
        _ => match v.strip_suffix('%') {
            Some(p) if p.starts_with(['+', '-']) => p
                .parse::<f64>()
                .ok()
                .map(|change| around * (1.0 + change / 100.0)),
            Some(p) => p.parse::<f64>().ok().map(|pct| around * pct / 100.0),
            None => v.parse::<f64>().ok().map(|m| around * m),
        },
    };
    rate.filter(|r| r.is_finite() && *r > 0.0)
        .map_or(around, |r| r.clamp(MIN_RATE, MAX_RATE))
}

/// The slowest speaking rate timed: a tenth of the default.
const MIN_RATE: f64 = 0.1;
/// The fastest speaking rate timed: ten times the default.
const MAX_RATE: f64 = 10.0;

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a document or `<data>` fetch plays while it is slow.
#[derive(Debug)]
pub(crate) struct FetchAudioPlan {
    /// The clip, as an `audio` request.
    clip: FetchRequest,
    delay: Duration,
    minimum: Duration,
}

/// The text of prompt content with no interpretation (choice labels).
pub(crate) fn plain_text(nodes: &[PromptNode]) -> String {
    fn walk(nodes: &[PromptNode], out: &mut String) {
        for n in nodes {
            match n {
                PromptNode::Text(t) => out.push_str(t),
                PromptNode::Ssml(s) => walk(&s.children, out),
                PromptNode::Audio(a) => walk(&a.fallback, out),
                _ => {}
            }
        }
    }
    let mut out = String::new();
    walk(nodes, &mut out);
    normalize(&out)
}

impl Interpreter {
    /// A `<prompt>` (or bare content) in executable content: queued when
    /// its `cond` holds.
    pub(crate) async fn queue_prompt(&mut self, p: &Prompt) -> Result<(), Jump> {
        if self.prompt_cond(p)? {
            self.render_prompt(p).await?;
        }
        Ok(())
    }

    /// Whether a prompt's `cond` holds (no `cond`: it does).
    pub(crate) fn prompt_cond(&mut self, p: &Prompt) -> Result<bool, Jump> {
        match &p.cond {
            None => Ok(true),
            Some(cond) => self
                .engine
                .eval_bool(cond.as_str())
                .map_err(|e| self.script_event(p.span, "prompt", e).into()),
        }
    }

    /// Renders a prompt and queues what it says.
    pub(crate) async fn render_prompt(&mut self, p: &Prompt) -> Result<(), Jump> {
        let bargein = match p.bargein {
            Some(b) => b,
            None => self.bargein_property()?,
        };
        let mut out = Render::new(bargein);
        self.render(&p.content, &mut out).await?;
        out.cut();
        if self.hung_up.is_none() {
            self.queue.extend(out.items);
        }
        Ok(())
    }

    fn render<'a>(
        &'a mut self,
        nodes: &'a [PromptNode],
        out: &'a mut Render,
    ) -> LocalFuture<'a, Result<(), Jump>> {
        Box::pin(async move {
            for node in nodes {
                match node {
                    PromptNode::Text(t) => out.text(t),
                    PromptNode::Value { expr, span } => {
                        let v = self
                            .engine
                            .eval_string(expr.as_str())
                            .map_err(|e| self.script_event(*span, "value", e))?;
                        out.text(&v);
                    }
                    // Boxed: a clip's fetch is a large future, and kept
                    // inline it made every render — text ones too — copy
                    // and allocate kilobytes.
                    PromptNode::Audio(a) => Box::pin(self.audio(a, out)).await?,
                    PromptNode::Break { time, strength, .. } => {
                        out.silence(break_time(*time, *strength));
                    }
                    PromptNode::Mark { name, span } => {
                        let name = self.value_or_expr(name, *span, "mark")?;
                        out.mark(name);
                    }
                    PromptNode::Enumerate { content, span } => {
                        let choices = self
                            .frame
                            .form
                            .as_ref()
                            .map(|f| f.choices.clone())
                            .unwrap_or_default();
                        for (label, dtmf) in choices {
                            if content.is_empty() {
                                match &dtmf {
                                    Some(d) => out.text(&format!(" For {label}, press {d}. ")),
                                    None => out.text(&format!(" {label}. ")),
                                }
                                continue;
                            }
                            self.engine
                                .push_scope(ScopeKind::Anonymous)
                                .map_err(|e| self.script_event(*span, "enumerate", e))?;
                            let dtmf = dtmf.map_or(Value::Undefined, Value::String);
                            let declared = self
                                .engine
                                .declare_value("_prompt", &Value::String(label))
                                .and_then(|()| self.engine.declare_value("_dtmf", &dtmf));
                            let result = match declared {
                                Ok(()) => self.render(content, out).await,
                                Err(e) => Err(self.script_event(*span, "enumerate", e).into()),
                            };
                            self.engine.pop_scope();
                            result?;
                            out.text(" ");
                        }
                    }
                    PromptNode::Foreach(f) => {
                        let (slot, count) = self.foreach_start(f)?;
                        let mut result = Ok(());
                        for i in 0..count {
                            result = self.foreach_item(f, &slot, i);
                            if result.is_ok() {
                                result = self.render(&f.content, out).await;
                            }
                            if result.is_err() {
                                break;
                            }
                        }
                        self.hidden -= 1;
                        result?;
                    }
                    PromptNode::Ssml(s) => match s.kind {
                        SsmlKind::Desc | SsmlKind::Metadata | SsmlKind::Lexicon => {}
                        SsmlKind::Sub => match s.attribute("alias") {
                            Some(alias) => out.text(alias),
                            None => self.render(&s.children, out).await?,
                        },
                        SsmlKind::Sentence | SsmlKind::Paragraph => {
                            out.text(" ");
                            self.render(&s.children, out).await?;
                            out.text(" ");
                        }
                        SsmlKind::Prosody => self.prosody(s, out).await?,
                        SsmlKind::Emphasis | SsmlKind::SayAs | SsmlKind::Voice => {
                            out.open_ssml(s);
                            let result = self.render(&s.children, out).await;
                            out.close_ssml(s);
                            result?;
                        }
                        _ => self.render(&s.children, out).await?,
                    },
                }
            }
            Ok(())
        })
    }

    /// `<prosody>`: its content at its `rate`; with a `duration`, taking
    /// exactly that long (when it holds no clip, which has its own length).
    async fn prosody(&mut self, s: &Ssml, out: &mut Render) -> Result<(), Jump> {
        out.close_segment();
        let around = out.rate;
        if let Some(rate) = s.attribute("rate") {
            out.rate = prosody_rate(rate, around);
        }
        let items = out.items.len();
        let before = out.duration;
        out.open_ssml(s);
        let result = self.render(&s.children, out).await;
        out.close_ssml(s);
        out.close_segment();
        out.rate = around;
        let fixed = s.attribute("duration").and_then(crate::vxml::parse_time);
        if let Some(d) = fixed
            && out.items.len() == items
        {
            out.duration = before.saturating_add(d);
        }
        result
    }

    /// The `bargein` property in force (§6.3.2): true unless it says false.
    fn bargein_property(&mut self) -> Result<bool, Jump> {
        let found = self
            .properties()
            .get("bargein")
            .map(|(source, p)| (source.to_owned(), p.span, p.value.trim().to_owned()));
        match found {
            None => Ok(true),
            Some((_, _, v)) if v == "true" => Ok(true),
            Some((_, _, v)) if v == "false" => Ok(false),
            Some((source, span, v)) => Err(super::events::Event::semantic(format!(
                "{source}:{span}: <property name=\"bargein\" value=\"{v}\">: expected true or false"
            ))
            .into()),
        }
    }

    /// `<audio>`: the decoded clip, or its fallback content.
    async fn audio(&mut self, a: &Audio, out: &mut Render) -> Result<(), Jump> {
        let src = match &a.src {
            ValueOrExpr::Literal(s) => s.clone(),
            ValueOrExpr::Expr(e) => match self
                .engine
                .eval(e.as_str())
                .map_err(|err| self.script_event(a.span, "audio", err))?
            {
                Value::Undefined | Value::Null => return Ok(()),
                v => match self.recording_of(&v) {
                    // A `<record>`'s recording plays from the call's memory.
                    Some(rec) => {
                        out.audio(rec.url.clone(), Arc::clone(&rec.audio));
                        return Ok(());
                    }
                    None => super::namelist::text(&v),
                },
            },
        };
        match self.fetch_audio(&src, &a.fetch).await {
            Ok((url, audio)) => {
                out.audio(url, audio);
                Ok(())
            }
            Err(why) => {
                let instead = if a.fallback.is_empty() {
                    "it has no fallback content (no event is thrown, §4.1.3)"
                } else {
                    "playing its fallback content"
                };
                let warning = format!(
                    "{}:{}: <audio src=\"{src}\"> not played ({why}); {instead}",
                    self.source(),
                    a.span
                );
                self.warn(warning);
                // The fallback stands for a clip: it is a unit of its own.
                out.text(" ");
                self.render(&a.fallback, out).await?;
                out.text(" ");
                Ok(())
            }
        }
    }

    /// Fetches and decodes a clip; the error names the event a fetch
    /// failure would throw, and why.
    pub(crate) async fn fetch_audio(
        &mut self,
        src: &str,
        attrs: &FetchAttrs,
    ) -> Result<(Url, Arc<DecodedAudio>), String> {
        let why = |e: super::events::Event| format!("{}: {}", e.name, e.message_text());
        let url = self.resolve_uri(src).map_err(why)?;
        let req = self.request(url, ResourceType::Audio, attrs).map_err(why)?;
        let parsers = Arc::clone(&self.parsers);
        let fetched = self.fetch(&req, Some(&parsers.audio)).await;
        decoded(fetched)
    }

    /// Queues a clip made by the interpreter itself (a `<record>` beep).
    pub(crate) fn queue_clip(&mut self, url: Url, audio: Arc<DecodedAudio>) {
        self.queue.push(Queued {
            item: Item::Audio { url, audio },
            bargein: false,
        });
    }

    /// Plays everything queued. After a hangup (or disconnect) nothing is
    /// heard any more, and the queue is dropped.
    pub(crate) async fn flush(&mut self) {
        let items = std::mem::take(&mut self.queue);
        if items.is_empty() || self.hung_up.is_some() {
            return;
        }
        let (heard, failure) = play(&mut self.sink, items).await;
        if let Some(w) = failure {
            self.warn(w);
        }
        // On virtual time the caller listens for as long as the prompts
        // last, words and `<break>`s alike: the clock moves on by it (the
        // real clock does nothing; a real-time sink took the time itself).
        let listened = heard.iter().map(Heard::duration).sum::<Duration>();
        self.fetcher.fetcher().clock().elapse(listened);
        record(&mut self.report, &mut self.observer, &heard);
    }

    /// The fetch audio of a document or `<data>` request about to be made
    /// for an element with fetch attributes `attrs` (or under the
    /// `fetchaudio…` properties), if it has any;
    /// [`Interpreter::fetch_planned`] plays it.
    pub(crate) fn plan_fetch_audio(
        &mut self,
        req: &FetchRequest,
        attrs: &FetchAttrs,
    ) -> Result<Option<FetchAudioPlan>, super::events::Event> {
        if !matches!(req.rtype, ResourceType::Document | ResourceType::Data) {
            return Ok(None);
        }
        let props = self.properties();
        let src = match &attrs.fetchaudio {
            Some(s) => Some(s.clone()),
            None => props.get("fetchaudio").map(|(_, p)| p.value.clone()),
        };
        let Some(src) = src.filter(|s| !s.trim().is_empty()) else {
            return Ok(None);
        };
        let delay = match attrs.fetchaudiodelay {
            Some(d) => d,
            None => props
                .time("fetchaudiodelay")?
                .unwrap_or(DEFAULT_FETCH_AUDIO_DELAY),
        };
        let minimum = match attrs.fetchaudiominimum {
            Some(d) => d,
            None => props
                .time("fetchaudiominimum")?
                .unwrap_or(DEFAULT_FETCH_AUDIO_MINIMUM),
        };
        let url = self.resolve_uri(&src)?;
        let clip = self.request(url, ResourceType::Audio, &FetchAttrs::default())?;
        Ok(Some(FetchAudioPlan {
            clip,
            delay,
            minimum,
        }))
    }

    /// Fetches `req` with `plan`'s fetch audio playing if it is slow (see
    /// the module doc). Fetch records are drained by the caller.
    pub(crate) async fn fetch_playing(
        &mut self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
        plan: FetchAudioPlan,
    ) -> Result<Fetched, FetchError> {
        if self.fetcher.fetcher().clock().is_virtual() {
            return self.fetch_playing_virtually(req, parser, plan).await;
        }
        let parsers = Arc::clone(&self.parsers);
        // Split borrows: the fetch runs on `fetcher` while the queue plays.
        let Interpreter {
            fetcher,
            sink,
            queue,
            report,
            observer,
            hung_up,
            ..
        } = self;
        let main = fetcher.fetch(req, parser);
        tokio::pin!(main);
        tokio::select! {
            biased;
            r = &mut main => return r,
            () = tokio::time::sleep(plan.delay) => {}
        }
        if hung_up.is_some() {
            return main.await;
        }
        // Slow: fetch the clip while the fetch goes on.
        let clip = fetcher.fetch(&plan.clip, Some(&parsers.audio));
        tokio::pin!(clip);
        let clip = tokio::select! {
            biased;
            r = &mut main => return r,
            c = &mut clip => decoded(c),
        };
        let (url, audio) = match clip {
            Ok(c) => c,
            Err(why) => {
                let w = format!(
                    "fetchaudio {} not played while fetching {} ({why})",
                    plan.clip.url, req.url
                );
                tracing::warn!(target: "vxb::call", "{w}");
                report.warnings.push(w);
                return main.await;
            }
        };
        // The queued prompts play first, the fetch going on meanwhile.
        let mut done = None;
        let items = std::mem::take(queue);
        if !items.is_empty() {
            let playing = play(sink, items);
            tokio::pin!(playing);
            let (heard, failure) = loop {
                tokio::select! {
                    r = &mut main, if done.is_none() => done = Some(r),
                    played = &mut playing => break played,
                }
            };
            report.warnings.extend(failure);
            record(report, observer, &heard);
        }
        let started = Instant::now();
        let result = match done {
            Some(r) => r,
            None => main.await,
        };
        tokio::time::sleep(plan.minimum.saturating_sub(started.elapsed())).await;
        let played = started.elapsed();
        let heard = match sink {
            Some(s) => s.fetch_audio(&url, &audio, played),
            None => Heard::fetch_audio(&url, &audio, played),
        };
        record(report, observer, std::slice::from_ref(&heard));
        result
    }
}

impl Interpreter {
    /// [`Interpreter::fetch_playing`] on virtual time, where no real timer
    /// may run: the fetch runs to its end and the clock says how long it
    /// took (an origin's delay moves it). Slower than `fetchaudiodelay`,
    /// the queued prompts play and the clip is heard from the delay on
    /// until the fetch ended, at least `fetchaudiominimum` — the clock
    /// moving on by what the minimum holds the result back.
    async fn fetch_playing_virtually(
        &mut self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
        plan: FetchAudioPlan,
    ) -> Result<Fetched, FetchError> {
        let clock = Arc::clone(self.fetcher.fetcher().clock());
        let started = clock.now();
        let result = self.fetcher.fetch(req, parser).await;
        let took = clock.now().duration_since(started).unwrap_or_default();
        if took <= plan.delay || self.hung_up.is_some() {
            return result;
        }
        let parsers = Arc::clone(&self.parsers);
        let clip = self.fetcher.fetch(&plan.clip, Some(&parsers.audio)).await;
        let (url, audio) = match decoded(clip) {
            Ok(c) => c,
            Err(why) => {
                self.warn(format!(
                    "fetchaudio {} not played while fetching {} ({why})",
                    plan.clip.url, req.url
                ));
                return result;
            }
        };
        self.flush().await;
        let slow = took - plan.delay;
        let played = slow.max(plan.minimum);
        clock.elapse(played - slow);
        let heard = match &mut self.sink {
            Some(s) => s.fetch_audio(&url, &audio, played),
            None => Heard::fetch_audio(&url, &audio, played),
        };
        record(
            &mut self.report,
            &mut self.observer,
            std::slice::from_ref(&heard),
        );
        result
    }
}

/// A fetched clip's decoded audio, or why there is none.
fn decoded(fetched: Result<Fetched, FetchError>) -> Result<(Url, Arc<DecodedAudio>), String> {
    let fetched = fetched.map_err(|e| format!("{}: {e}", e.event()))?;
    let audio = fetched
        .parsed_as::<DecodedAudio>()
        .ok_or_else(|| "error.badfetch: not decoded".to_string())?;
    Ok((fetched.final_url.clone(), audio))
}

/// Plays `items` on `sink` (on the blocking pool), or records them when
/// there is none. A sink that panicked is dropped; the second value says so.
async fn play(
    sink: &mut Option<Box<dyn Sink + Send>>,
    items: Vec<Queued>,
) -> (Vec<Heard>, Option<String>) {
    let Some(mut s) = sink.take() else {
        let heard = items
            .iter()
            .map(|q| match &q.item {
                Item::Speech(speech) => Heard::speech(speech, q.bargein),
                Item::Audio { url, audio } => Heard::audio(url, audio, q.bargein),
            })
            .collect();
        return (heard, None);
    };
    let played = tokio::task::spawn_blocking(move || {
        let heard: Vec<Heard> = items
            .iter()
            .map(|q| match &q.item {
                Item::Speech(speech) => s.speak(speech, q.bargein),
                Item::Audio { url, audio } => s.play(url, audio, q.bargein),
            })
            .collect();
        (s, heard)
    })
    .await;
    match played {
        Ok((s, heard)) => {
            *sink = Some(s);
            (heard, None)
        }
        Err(e) => (
            Vec::new(),
            Some(format!(
                "the sink failed ({e}); prompts are only recorded from now on"
            )),
        ),
    }
}

/// Adds what was heard to the report (a mark alone, no text and no time,
/// is the sink's record only) and tells the observer.
fn record(
    report: &mut CallReport,
    observer: &mut Option<Box<dyn CallObserver + Send>>,
    heard: &[Heard],
) {
    for h in heard {
        if let Heard::Speech { text, duration, .. } = h
            && text.is_empty()
            && duration.is_zero()
        {
            continue;
        }
        let r = PromptRecord::from(h);
        if let Some(o) = observer.as_mut() {
            o.prompt(&r);
        }
        report.prompts.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prosody_rates_by_label_number_and_percentage() {
        assert_eq!(prosody_rate("x-slow", 1.0), 0.5);
        assert_eq!(prosody_rate("fast", 0.5), 1.5, "labels are absolute");
        assert_eq!(prosody_rate("default", 2.0), 1.0);
        assert_eq!(prosody_rate("1.5", 2.0), 3.0, "numbers multiply");
        assert_eq!(prosody_rate("50%", 2.0), 1.0);
        assert_eq!(prosody_rate("+10%", 1.0), 1.1);
        assert_eq!(prosody_rate("-50%", 1.0), 0.5);
        for bad in ["", "quick", "-1", "0", "-100%", "NaN", "inf"] {
            assert_eq!(prosody_rate(bad, 1.25), 1.25, "{bad:?} leaves the rate");
        }
        assert_eq!(prosody_rate("1e-300", 1.0), MIN_RATE);
        assert_eq!(prosody_rate("1e300", 1.0), MAX_RATE);
    }

    #[test]
    fn break_time_wins_over_strength_and_medium_is_the_default() {
        let ms = Duration::from_millis;
        assert_eq!(
            break_time(Some(ms(30)), Some(BreakStrength::XStrong)),
            ms(30)
        );
        assert_eq!(break_time(None, None), ms(400));
        assert_eq!(break_time(None, Some(BreakStrength::None)), Duration::ZERO);
        assert_eq!(break_time(None, Some(BreakStrength::Weak)), ms(200));
    }

    #[test]
    fn extreme_timing_saturates_instead_of_panicking() {
        let mut r = Render::new(true);
        r.rate = MIN_RATE;
        r.text("one two three");
        r.silence(Duration::MAX);
        r.text("four");
        r.cut();
        let [
            Queued {
                item: Item::Speech(s),
                ..
            },
        ] = &r.items[..]
        else {
            panic!("one speech item: {:?}", r.items);
        };
        assert_eq!(s.duration, Duration::MAX);
        assert_eq!(s.text, "one two three four");
    }
}
