//! The prompt queue (VoiceXML 2.0 §4.1, §4.1.8): prompts are rendered when
//! they are queued — `<value>`s evaluated, `<audio>` fetched and decoded —
//! and played (handed to the sink) when the interpreter next collects input
//! or the call ends.
//!
//! Text is what TTS would say: the text and values of the prompt with runs
//! of whitespace made one space; SSML containers contribute their content
//! (`<sub>` its `alias`; `<desc>`, `<metadata>`, `<lexicon>` nothing). An
//! `<audio>` clip is fetched as `audio` with its fetch attributes (or the
//! `audiomaxage`… properties), decoded once by the cache's parse hook, and
//! queued as a clip; if it cannot be fetched or decoded its fallback
//! content is queued instead and the reason goes to the report's warnings
//! (§4.1.3). An `expr` that evaluates to `undefined` or `null` leaves the
//! element out (2.1 §4.1.3). `<enumerate>` lists the menu's choices or the
//! field's options (`For <choice>, press <n>.` when there is no template).
//!
//! A sink that plays in real time blocks; it runs on the blocking pool so
//! the worker's other calls go on meanwhile. With no sink, what is heard
//! is recorded directly.

use std::sync::Arc;

use url::Url;

use super::exec::LocalFuture;
use super::{Interpreter, Jump};
use crate::audio::{DecodedAudio, Heard};
use crate::call::PromptRecord;
use crate::resource::ResourceType;
use crate::script::{ScopeKind, Value};
use crate::vxml::prompt::{Audio, SsmlKind};
use crate::vxml::{Prompt, PromptNode, ValueOrExpr};

/// One thing queued to be heard.
#[derive(Clone, Debug)]
pub(crate) enum Queued {
    Speech(String),
    Audio { url: Url, audio: Arc<DecodedAudio> },
}

/// A prompt being rendered: finished items, and text not yet cut into one.
#[derive(Default)]
struct Render {
    items: Vec<Queued>,
    text: String,
}

impl Render {
    fn text(&mut self, t: &str) {
        self.text.push_str(t);
    }

    /// Ends the current run of text (before a clip, and at the end).
    fn cut(&mut self) {
        let text = normalize(&self.text);
        self.text.clear();
        if !text.is_empty() {
            self.items.push(Queued::Speech(text));
        }
    }

    fn audio(&mut self, url: Url, audio: Arc<DecodedAudio>) {
        self.cut();
        self.items.push(Queued::Audio { url, audio });
    }
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
        let mut out = Render::default();
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
                    PromptNode::Audio(a) => self.audio(a, out).await?,
                    PromptNode::Break { .. } => out.text(" "),
                    PromptNode::Mark { name, span } => {
                        // Evaluated for its errors; marks matter to barge-in only.
                        self.value_or_expr(name, *span, "mark")?;
                    }
                    PromptNode::Enumerate { content, span } => {
                        let choices = self
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
                        _ => self.render(&s.children, out).await?,
                    },
                }
            }
            Ok(())
        })
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
                v => super::namelist::text(&v),
            },
        };
        match self.fetch_audio(&src, a).await {
            Ok((url, audio)) => {
                out.audio(url, audio);
                Ok(())
            }
            Err(why) => {
                let warning = format!(
                    "{}:{}: <audio src=\"{src}\"> not played ({why}); playing its fallback content",
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

    async fn fetch_audio(
        &mut self,
        src: &str,
        a: &Audio,
    ) -> Result<(Url, Arc<DecodedAudio>), String> {
        let url = self.resolve_uri(src).map_err(|e| e.message_text())?;
        let req = self
            .request(url, ResourceType::Audio, &a.fetch)
            .map_err(|e| e.message_text())?;
        let parsers = Arc::clone(&self.parsers);
        let fetched = self
            .fetch(&req, Some(&parsers.audio))
            .await
            .map_err(|e| e.to_string())?;
        let audio = fetched
            .parsed_as::<DecodedAudio>()
            .ok_or_else(|| "not decoded".to_string())?;
        Ok((fetched.final_url.clone(), audio))
    }

    /// Plays everything queued. After a hangup (or disconnect) nothing is
    /// heard any more, and the queue is dropped.
    pub(crate) async fn flush(&mut self) {
        let items = std::mem::take(&mut self.queue);
        if items.is_empty() || self.hung_up.is_some() {
            return;
        }
        let heard: Vec<Heard> = match self.sink.take() {
            None => items
                .iter()
                .map(|item| match item {
                    Queued::Speech(t) => Heard::speech(t),
                    Queued::Audio { url, audio } => Heard::audio(url, audio),
                })
                .collect(),
            Some(mut sink) => {
                let played = tokio::task::spawn_blocking(move || {
                    let heard: Vec<Heard> = items
                        .iter()
                        .map(|item| match item {
                            Queued::Speech(t) => sink.speak(t),
                            Queued::Audio { url, audio } => sink.play(url, audio),
                        })
                        .collect();
                    (sink, heard)
                })
                .await;
                match played {
                    Ok((sink, heard)) => {
                        self.sink = Some(sink);
                        heard
                    }
                    Err(e) => {
                        self.warn(format!(
                            "the sink failed ({e}); prompts are only recorded from now on"
                        ));
                        Vec::new()
                    }
                }
            }
        };
        for h in &heard {
            let record = PromptRecord::from(h);
            if let Some(o) = self.observer.as_mut() {
                o.prompt(&record);
            }
            self.report.prompts.push(record);
        }
    }
}
