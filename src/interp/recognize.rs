//! Recognition: which grammars are active at an input collection, what the
//! caller's token matches, and what a match does (VoiceXML 2.0 §3.1.4–§3.1.6,
//! §2.5, Appendix C's process phase).
//!
//! The active grammars, in precedence order (the first that matches wins):
//! 1. the form item's own: its `<grammar>`s, its `type`'s builtin grammars,
//!    its `<option>`s (a menu: its `<choice>`s); then its `<link>`s;
//! 2. unless the field is `modal`: the form's grammars (dialog or document
//!    scope), then the form's `<link>`s;
//! 3. the document's `<link>`s, then the document-scope grammars of its
//!    other dialogs (a form with `scope="document"`, or a form grammar with
//!    it; a menu with `scope="document"`: its choices);
//! 4. the same two for the application root.
//!
//! A match of the item's own grammar fills the item: with the
//! interpretation's property named by the item's slot (`slot`, else the
//! name) when the interpretation is an object that has it, else with the
//! whole interpretation. A form grammar fills every field whose slot the
//! interpretation names (mixed initiative); a simple value fills the field
//! being collected; once a form grammar filled anything, every `<initial>`
//! counts as filled. A link or choice does what it says (go, or throw); a
//! grammar of another dialog goes to that dialog. Filling sets the item's
//! shadow variable `name$` (`utterance`, `inputmode`, `confidence`,
//! `interpretation`) and, for every match, `application.lastresult$`.
//!
//! DTMF input loses its terminating character (the `termchar` property,
//! `#` unless set) before matching.

use std::collections::HashMap;
use std::sync::Arc;

use url::Url;

use super::events::Event;
use super::grammars::{self, Prepared};
use super::{At, Interpreter, Jump, Leave};
use crate::call::Token;
use crate::fetch::{FetchRequest, resolve};
use crate::grammar::{
    ActiveGrammar, Grammar, GrammarError, Input, Interpretation, MatchResult, Mode, Phrase, Pos,
    match_input,
};
use crate::resource::ResourceType;
use crate::script::{InputMode, Recognition, Value};
use crate::vxml::{
    Accept, Choice, Dialog, Document, FetchAttrs, Field, Form, FormItem, GrammarSource, Link,
    LinkTarget, Menu, Scope, Span,
};

/// Grammars one `<ruleref>` chain may pull in through fetches.
const MAX_EXTERNALS: usize = 64;

/// Which document a grammar, link or choice is written in: URIs in it
/// resolve against that document's base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Document,
    Root,
}

/// What a match of one active grammar means.
#[derive(Clone, Copy, Debug)]
enum Meaning<'d> {
    /// A grammar of form item `i` of the current form.
    Item(usize),
    /// A form-level grammar of the current form.
    Form,
    Link(&'d Link, Origin),
    Choice(&'d Choice, Origin),
    /// A document-scope grammar of another dialog (by id).
    Dialog(&'d str, Origin),
}

/// The grammars active at one collection, each with what it means.
#[derive(Default)]
pub(crate) struct Active<'d> {
    grammars: Vec<ActiveGrammar>,
    meanings: Vec<Meaning<'d>>,
}

/// The documents a collection happens in.
#[derive(Clone, Copy)]
pub(crate) struct Scene<'d> {
    pub doc: &'d Arc<Document>,
    pub root: Option<&'d Arc<Document>>,
}

impl Interpreter {
    // ----- forms ---------------------------------------------------------------------

    /// The grammars active at item `i` of `form`, gathered (and fetched)
    /// before its prompts play: a grammar that cannot be had is an error
    /// thrown at the item, not after the caller spoke.
    pub(crate) async fn item_grammars_active<'d>(
        &mut self,
        scene: Scene<'d>,
        form: &'d Form,
        items: &[&'d FormItem],
        i: usize,
    ) -> Result<Active<'d>, Jump> {
        let item = items[i];
        let mut set = Active::default();
        // After a hangup the collection ends the call: nothing to fetch.
        if self.hung_up.is_some() || matches!(item, FormItem::Record(r) if r.modal) {
            return Ok(set);
        }
        let modal = matches!(item, FormItem::Field(f) if f.modal);
        self.item_grammars(&mut set, scene.doc, item, i).await?;
        if let Some(input) = item.input() {
            for l in &input.links {
                self.link_grammars(&mut set, scene.doc, l, Origin::Document)
                    .await?;
            }
        }
        if !modal {
            for g in &form.grammars {
                self.add_grammar(&mut set, scene.doc, Origin::Document, g, Meaning::Form)
                    .await?;
            }
            for l in &form.links {
                self.link_grammars(&mut set, scene.doc, l, Origin::Document)
                    .await?;
            }
            let current = self.frame.form.as_ref().map(|f| f.dialog);
            self.document_grammars(&mut set, scene, current).await?;
        }
        Ok(set)
    }

    /// Matches `token`, taken at item `i` against `set`, and fills what the
    /// match names: `Ok` with the items filled, in document order; `Err`
    /// for `nomatch`, an error, or a link's transition or event.
    pub(crate) async fn recognize<'d>(
        &mut self,
        set: &Active<'d>,
        items: &[&'d FormItem],
        i: usize,
        token: Token,
    ) -> Result<Vec<usize>, Jump> {
        if let FormItem::Record(r) = items[i] {
            match &token {
                Token::Record(rec) => {
                    self.record(r, rec)?;
                    return Ok(vec![i]);
                }
                // A non-modal recording hears the form's and document's
                // grammars; a modal one only the recording.
                Token::Dtmf(_) | Token::Say(_) if !r.modal => {}
                _ => {
                    return Err(Leave::End(self.fatal(Event::unsupported(
                        "record",
                        format!(
                            "{}:{}: caller input `{token}` at <record>: a recording is `record:<time>`, `record:<time>:<key>` or `record:<file.wav>`",
                            self.source(),
                            r.common.span
                        ),
                    )))
                    .into());
                }
            }
        }
        let Some((k, result)) = self.match_token(set, &token)? else {
            let (utterance, mode) = match &token {
                Token::Dtmf(keys) => (self.strip_termchar(keys), Mode::Dtmf),
                Token::Say(words) => (words.clone(), Mode::Voice),
                _ => (String::new(), Mode::Voice),
            };
            let recognition = Recognition {
                recording: self.record_utterance(&token)?,
                ..no_match(&utterance, mode)
            };
            self.set_last_result(&recognition)?;
            if let Some(item) = items.get(i) {
                self.declare_shadow(item, &recognition)?;
            }
            return Err(Event::new("nomatch", None).into());
        };
        let recognition = Recognition {
            recording: self.record_utterance(&token)?,
            ..matched(&result)
        };
        self.set_last_result(&recognition)?;
        match set.meanings[k] {
            Meaning::Item(j) => match items[j] {
                FormItem::Field(f) => {
                    let slot = f.slot.as_deref().unwrap_or(&f.common.name);
                    let value = slot_value(&result.interpretation, slot);
                    self.fill(items[j], &value, &recognition)?;
                    Ok(vec![j])
                }
                _ => self.fill_form(items, i, &result, &recognition),
            },
            Meaning::Form => self.fill_form(items, i, &result, &recognition),
            other => {
                let carries = matches!(other, Meaning::Dialog(..));
                let mut jump = self.follow(other).await;
                // The match goes with the transition to fill the form it
                // names once that form is entered.
                if carries && let Jump::Leave(Leave::Dialog(t)) = &mut jump {
                    t.carried = Some(result);
                }
                Err(jump)
            }
        }
    }

    /// A form grammar's match at item `i`: what it fills; filling nothing
    /// is `nomatch`.
    fn fill_form(
        &mut self,
        items: &[&FormItem],
        i: usize,
        result: &Interpretation,
        recognition: &Recognition,
    ) -> Result<Vec<usize>, Jump> {
        let filled = self.fill_slots(items, Some(i), result, recognition)?;
        if filled.is_empty() {
            return Err(Event::new(
                "nomatch",
                Some(format!(
                    "`{}` matched a form grammar that names no field of the form",
                    result.utterance
                )),
            )
            .into());
        }
        Ok(filled)
    }

    /// On entering a form: fills it from a match of its document-scope
    /// grammar made in another dialog. `Ok` with the items filled.
    pub(crate) fn fill_carried(
        &mut self,
        items: &[&FormItem],
        carried: Option<Interpretation>,
    ) -> Result<Vec<usize>, Jump> {
        match carried {
            Some(result) => self.fill_slots(items, None, &result, &matched(&result)),
            None => Ok(Vec::new()),
        }
    }

    /// A form grammar's match: every field whose slot the interpretation
    /// names; a simple value fills the field being collected (if any).
    /// Filling anything fills every `<initial>`. `recognition` is the
    /// match as the shadow variables hold it.
    fn fill_slots(
        &mut self,
        items: &[&FormItem],
        current: Option<usize>,
        result: &Interpretation,
        recognition: &Recognition,
    ) -> Result<Vec<usize>, Jump> {
        let mut filled = Vec::new();
        match &result.interpretation {
            object @ serde_json::Value::Object(_) => {
                for (j, item) in items.iter().enumerate() {
                    if let FormItem::Field(f) = item {
                        let slot = f.slot.as_deref().unwrap_or(&f.common.name);
                        if let Some(v) = slot_path(object, slot) {
                            self.fill(item, v, recognition)?;
                            filled.push(j);
                        }
                    }
                }
            }
            scalar => {
                if let Some(c) = current
                    && let FormItem::Field(_) = items[c]
                {
                    self.fill(items[c], scalar, recognition)?;
                    filled.push(c);
                }
            }
        }
        if filled.is_empty() {
            return Ok(filled);
        }
        for item in items {
            if let FormItem::Initial(init) = item {
                self.engine
                    .assign(&init.common.name, "true")
                    .map_err(|e| self.script_event(init.common.span, "initial", e))?;
            }
        }
        Ok(filled)
    }

    /// Sets an input item's variable and its shadow variable `name$`.
    fn fill(
        &mut self,
        item: &FormItem,
        value: &serde_json::Value,
        recognition: &Recognition,
    ) -> Result<(), Jump> {
        let c = item.common();
        let element = item.element_name();
        let value = Value::from_json(value);
        self.engine
            .assign_value(&c.name, &value)
            .map_err(|e| self.script_event(c.span, element, e))?;
        self.declare_shadow(item, recognition)
    }

    /// An input item's shadow variable `name$`: the recognition that filled
    /// it, or (after a nomatch) the one that did not, its variable staying
    /// unfilled; with the utterance's recording when `recordutterance` made
    /// one.
    fn declare_shadow(&mut self, item: &FormItem, r: &Recognition) -> Result<(), Jump> {
        let c = item.common();
        let mut shadow = vec![
            ("utterance".into(), Value::String(r.utterance.clone())),
            (
                "inputmode".into(),
                Value::String(r.inputmode.as_str().into()),
            ),
            ("confidence".into(), Value::Number(r.confidence)),
            ("interpretation".into(), r.interpretation.clone()),
        ];
        for (k, v) in r.recording.iter().flat_map(|u| u.properties()) {
            shadow.push((k.into(), v));
        }
        let shadow = Value::Object(shadow);
        self.engine
            .declare_value(&format!("{}$", c.name), &shadow)
            .map_err(|e| self.script_event(c.span, item.element_name(), e).into())
    }

    /// The item's own grammars: `<grammar>`s, then `type`, then `<option>`s.
    async fn item_grammars<'d>(
        &mut self,
        set: &mut Active<'d>,
        doc: &Arc<Document>,
        item: &'d FormItem,
        i: usize,
    ) -> Result<(), Jump> {
        let Some(input) = item.input() else {
            return Ok(());
        };
        for g in &input.grammars {
            self.add_grammar(set, doc, Origin::Document, g, Meaning::Item(i))
                .await?;
        }
        if let FormItem::Field(f) = item {
            if let Some(spec) = &f.type_ {
                let parsers = Arc::clone(&self.parsers);
                let compiled = parsers.grammar.compiled(doc, &f.type_, || {
                    let [dtmf, voice] = Grammar::for_field_type(spec)?;
                    Ok(vec![Prepared::new(dtmf)?, Prepared::new(voice)?])
                });
                self.add_compiled(set, compiled, &FetchAttrs::default(), Meaning::Item(i))
                    .await?;
            }
            if !f.options.is_empty() {
                let url = self.doc_url(Origin::Document)?;
                let parsers = Arc::clone(&self.parsers);
                let compiled = parsers
                    .grammar
                    .compiled(doc, &f.options, || option_grammars(f, &url));
                self.add_compiled(set, compiled, &FetchAttrs::default(), Meaning::Item(i))
                    .await?;
            }
        }
        Ok(())
    }

    // ----- menus ---------------------------------------------------------------------

    /// The grammars active at `menu` (dialog `index`): its choices, then
    /// the document's and the root's.
    pub(crate) async fn menu_grammars_active<'d>(
        &mut self,
        scene: Scene<'d>,
        menu: &'d Menu,
        index: usize,
    ) -> Result<Active<'d>, Jump> {
        let mut set = Active::default();
        if self.hung_up.is_some() {
            return Ok(set);
        }
        self.menu_grammars(&mut set, scene.doc, menu, Origin::Document)
            .await?;
        self.document_grammars(&mut set, scene, Some(index)).await?;
        Ok(set)
    }

    /// Matches `token` at a menu: a choice, a link or a document grammar
    /// leaves or throws; nothing is `nomatch`.
    pub(crate) async fn recognize_menu(&mut self, set: &Active<'_>, token: Token) -> Jump {
        let (k, result) = match self.match_token(set, &token) {
            Ok(Some(m)) => m,
            Ok(None) => return Event::new("nomatch", None).into(),
            Err(j) => return j,
        };
        let recording = match self.record_utterance(&token) {
            Ok(r) => r,
            Err(j) => return j,
        };
        if let Err(j) = self.set_last_result(&Recognition {
            recording,
            ..matched(&result)
        }) {
            return j;
        }
        self.follow(set.meanings[k]).await
    }

    /// One grammar per choice: its own `<grammar>`, else its words (and,
    /// with `menu dtmf="true"`, a key for the first nine without `dtmf`).
    async fn menu_grammars<'d>(
        &mut self,
        set: &mut Active<'d>,
        doc: &Arc<Document>,
        menu: &'d Menu,
        origin: Origin,
    ) -> Result<(), Jump> {
        let keys = menu_keys(menu);
        let url = self.doc_url(origin)?;
        for (c, key) in menu.choices.iter().zip(keys) {
            let meaning = Meaning::Choice(c, origin);
            if let Some(g) = &c.grammar {
                self.add_grammar(set, doc, origin, g, meaning).await?;
            }
            let approximate = c.accept.unwrap_or(menu.accept) == Accept::Approximate;
            let words = match c.grammar {
                Some(_) => String::new(),
                None => super::prompts::plain_text(&c.content),
            };
            let parsers = Arc::clone(&self.parsers);
            let compiled = parsers.grammar.compiled(doc, c, || {
                phrase_grammars(&url, &words, approximate, key.as_deref())
            });
            self.add_compiled(set, compiled, &FetchAttrs::default(), meaning)
                .await?;
        }
        Ok(())
    }

    // ----- documents -----------------------------------------------------------------

    /// Document-level links and other dialogs' document-scope grammars, of
    /// the document (`current` is the dialog being visited) and then of the
    /// application root.
    async fn document_grammars<'d>(
        &mut self,
        set: &mut Active<'d>,
        scene: Scene<'d>,
        current: Option<usize>,
    ) -> Result<(), Jump> {
        let mut docs = vec![(scene.doc, Origin::Document, current)];
        if let Some(root) = scene.root {
            docs.push((root, Origin::Root, None));
        }
        for (doc, origin, current) in docs {
            for l in &doc.links {
                self.link_grammars(set, doc, l, origin).await?;
            }
            for (j, dialog) in doc.dialogs.iter().enumerate() {
                if Some(j) == current {
                    continue;
                }
                match dialog {
                    Dialog::Form(f) => {
                        let Some(id) = f.id.as_deref() else { continue };
                        for g in &f.grammars {
                            if g.scope.unwrap_or(f.scope) == Scope::Document {
                                self.add_grammar(set, doc, origin, g, Meaning::Dialog(id, origin))
                                    .await?;
                            }
                        }
                    }
                    Dialog::Menu(m) if m.scope == Scope::Document => {
                        self.menu_grammars(set, doc, m, origin).await?;
                    }
                    Dialog::Menu(_) => {}
                }
            }
        }
        Ok(())
    }

    /// A link's `<grammar>`s, then its `dtmf`.
    async fn link_grammars<'d>(
        &mut self,
        set: &mut Active<'d>,
        doc: &Arc<Document>,
        link: &'d Link,
        origin: Origin,
    ) -> Result<(), Jump> {
        let meaning = Meaning::Link(link, origin);
        for g in &link.grammars {
            self.add_grammar(set, doc, origin, g, meaning).await?;
        }
        if let Some(keys) = &link.dtmf {
            let url = self.doc_url(origin)?;
            let parsers = Arc::clone(&self.parsers);
            let compiled = parsers.grammar.compiled(doc, &link.dtmf, || {
                phrase_grammars(&url, "", false, Some(keys))
            });
            self.add_compiled(set, compiled, &link.fetch, meaning)
                .await?;
        }
        Ok(())
    }

    // ----- one grammar -----------------------------------------------------------------

    /// Adds what one `<grammar>` element activates: an inline or builtin
    /// grammar from the memo, a `src` one through the cache.
    async fn add_grammar<'d>(
        &mut self,
        set: &mut Active<'d>,
        doc: &Arc<Document>,
        origin: Origin,
        g: &crate::vxml::Grammar,
        meaning: Meaning<'d>,
    ) -> Result<(), Jump> {
        let hint = grammars::mode(g.mode);
        let parsers = Arc::clone(&self.parsers);
        match &g.source {
            GrammarSource::InlineXml(element) => {
                let url = self.doc_url(origin)?;
                let base = self
                    .origin_at(origin)
                    .map_or_else(|| url.clone(), |a| a.base);
                let compiled = parsers.grammar.compiled(doc, g, || {
                    Ok(vec![Prepared::new(grammars::inline(
                        element, &url, &base, hint,
                    )?)?])
                });
                self.add_compiled(set, compiled, &g.fetch, meaning).await
            }
            GrammarSource::InlineText { text, at } => {
                let url = self.doc_url(origin)?;
                let base = self
                    .origin_at(origin)
                    .map_or_else(|| url.clone(), |a| a.base);
                let compiled = parsers.grammar.compiled(doc, g, || {
                    let at = Pos::new(at.line, at.column);
                    Ok(vec![Prepared::new(Grammar::parse_inline_based(
                        text, &url, &base, hint, at,
                    )?)?])
                });
                self.add_compiled(set, compiled, &g.fetch, meaning).await
            }
            GrammarSource::Src(src) => {
                let at = self.origin_at(origin);
                let src = self
                    .written_in(at, async |it| it.value_or_expr(src, g.span, "grammar"))
                    .await?;
                if src.trim_start().starts_with("builtin:") {
                    let compiled = parsers
                        .grammar
                        .compiled(doc, g, || Ok(vec![Prepared::new(Grammar::builtin(&src)?)?]));
                    return self.add_compiled(set, compiled, &g.fetch, meaning).await;
                }
                let base = self.origin_at(origin).map(|a| a.base);
                let url = match base {
                    Some(base) => resolve(&base, &src).map_err(|e| Event::from_fetch(&e))?,
                    None => self.resolve_uri(&src)?,
                };
                let prepared = self.fetch_grammar(url, &g.fetch).await?;
                let active = self.activate(&prepared, &g.fetch).await?;
                set.grammars.push(active);
                set.meanings.push(meaning);
                Ok(())
            }
        }
    }

    async fn add_compiled<'d>(
        &mut self,
        set: &mut Active<'d>,
        compiled: grammars::Compiled,
        fetch: &FetchAttrs,
        meaning: Meaning<'d>,
    ) -> Result<(), Jump> {
        let compiled = compiled.map_err(|e| grammars::event(&e))?;
        for p in compiled.iter() {
            let active = self.activate(p, fetch).await?;
            set.grammars.push(active);
            set.meanings.push(meaning);
        }
        Ok(())
    }

    /// A prepared grammar, linked (its external references fetched first).
    async fn activate(&mut self, p: &Prepared, fetch: &FetchAttrs) -> Result<ActiveGrammar, Event> {
        if let Some(at) = p.grammar.root_missing_at() {
            let refusal = format!(
                "{}:{at}: <grammar> names no root rule: the schema requires `root` (`root $name;` in ABNF)",
                p.grammar.url()
            );
            let warning = format!(
                "{refusal} (tolerated: its first public rule, else its first rule, is the root; `--strict` refuses it)"
            );
            self.tolerate([(refusal, Some(warning))])?;
        }
        if let Some(a) = &p.active {
            return Ok(a.clone());
        }
        let mut loaded: HashMap<Url, Arc<Grammar>> = HashMap::new();
        let mut pending = p.grammar.external_refs();
        while let Some(url) = pending.pop() {
            if loaded.contains_key(&url) {
                continue;
            }
            if loaded.len() >= MAX_EXTERNALS {
                return Err(Event::badfetch(format!(
                    "{}: more than {MAX_EXTERNALS} grammars referenced",
                    p.grammar.url()
                )));
            }
            let fetched = self.fetch_grammar(url.clone(), fetch).await?;
            pending.extend(fetched.grammar.external_refs());
            loaded.insert(url, Arc::clone(&fetched.grammar));
        }
        ActiveGrammar::link(Arc::clone(&p.grammar), &loaded).map_err(|e| grammars::event(&e))
    }

    /// Fetches a grammar through the cache (as `grammar`, with
    /// `grammarmaxage`/`grammarmaxstale`), compiled by the parse hook.
    async fn fetch_grammar(
        &mut self,
        url: Url,
        fetch: &FetchAttrs,
    ) -> Result<Arc<Prepared>, Event> {
        let mut req: FetchRequest = self.request(url, ResourceType::Grammar, fetch)?;
        req.url.set_fragment(None);
        let parsers = Arc::clone(&self.parsers);
        let fetched = self
            .fetch(&req, Some(&parsers.grammar))
            .await
            .map_err(|e| Event::from_fetch(&e))?;
        fetched
            .parsed
            .as_ref()
            .and_then(|p| p.parsed_as::<Prepared>())
            .ok_or_else(|| Event::badfetch(format!("{}: not a grammar", fetched.final_url)))
    }

    // ----- matching ------------------------------------------------------------------

    /// The first active grammar the token matches, and what it means.
    fn match_token(
        &mut self,
        set: &Active<'_>,
        token: &Token,
    ) -> Result<Option<(usize, Interpretation)>, Jump> {
        let input = match token {
            Token::Dtmf(keys) => Input::Dtmf(self.strip_termchar(keys)),
            Token::Say(words) => Input::Voice(words.clone()),
            // The collect phase turns the others into events.
            Token::NoInput
            | Token::NoMatch
            | Token::Help
            | Token::Hangup
            | Token::Record(_)
            | Token::Transfer(_) => return Ok(None),
        };
        match match_input(&set.grammars, &input) {
            Ok(MatchResult::Match {
                grammar,
                interpretation,
            }) => Ok(Some((grammar, interpretation))),
            Ok(MatchResult::NoMatch) => Ok(None),
            Err(e) => Err(grammars::event(&e).into()),
        }
    }

    /// Whether `token` matches a grammar of item `i` itself (a
    /// `<transfer>`'s hotword): the words or keys and their mode. Input in
    /// a mode the `inputmodes` property leaves out is not heard.
    pub(crate) fn hotword(
        &mut self,
        set: &Active<'_>,
        i: usize,
        token: &Token,
    ) -> Result<Option<(String, Mode)>, Jump> {
        let mode = match token {
            Token::Dtmf(_) => Mode::Dtmf,
            Token::Say(_) => Mode::Voice,
            _ => return Ok(None),
        };
        if !self.properties().input_modes()?.contains(&mode) {
            return Ok(None);
        }
        let Some((k, r)) = self.match_token(set, token)? else {
            return Ok(None);
        };
        let own = matches!(set.meanings.get(k), Some(Meaning::Item(j)) if *j == i);
        Ok(own.then_some((r.utterance, r.inputmode)))
    }

    /// DTMF keys without the terminating character (`termchar`, `#` by
    /// default; an empty `termchar` has none).
    fn strip_termchar(&self, keys: &str) -> String {
        let props = self.properties();
        let term = match props.get("termchar") {
            Some((_, p)) => p.value.trim().chars().next(),
            None => Some('#'),
        };
        match term {
            Some(t) => keys.strip_suffix(t).unwrap_or(keys).to_string(),
            None => keys.to_string(),
        }
    }

    /// Sets `application.lastresult$` to the one recognition `r`.
    pub(crate) fn set_last_result(&mut self, r: &Recognition) -> Result<(), Jump> {
        self.engine
            .set_last_result(std::slice::from_ref(r))
            .map_err(|e| Event::semantic(format!("cannot set application.lastresult$: {e}")).into())
    }

    // ----- what a match does ---------------------------------------------------------

    /// A link's, a choice's or another dialog's match: the transition or
    /// event it makes.
    async fn follow(&mut self, meaning: Meaning<'_>) -> Jump {
        let (target, fetch, span, element, origin) = match meaning {
            Meaning::Link(l, o) => (&l.target, &l.fetch, l.span, "link", o),
            Meaning::Choice(c, o) => (&c.target, &c.fetch, c.span, "choice", o),
            Meaning::Dialog(id, origin) => {
                let uri = self.in_origin(format!("#{id}"), origin);
                return self.transition_to(&uri, &FetchAttrs::default(), None).await;
            }
            Meaning::Item(_) | Meaning::Form => {
                return Event::semantic("a field grammar has no target to follow").into();
            }
        };
        let at = self.origin_at(origin);
        self.written_in(at, async |it| {
            it.follow_target(target, fetch, span, element, origin).await
        })
        .await
    }

    async fn follow_target(
        &mut self,
        target: &LinkTarget,
        fetch: &FetchAttrs,
        span: Span,
        element: &str,
        origin: Origin,
    ) -> Jump {
        match target {
            LinkTarget::Goto(next) => match self.value_or_expr(next, span, element) {
                Ok(uri) => {
                    let uri = self.in_origin(uri, origin);
                    self.transition_to(&uri, fetch, Some((span, element))).await
                }
                Err(j) => j,
            },
            LinkTarget::Event { event, message } => {
                let name = match self.value_or_expr(event, span, element) {
                    Ok(n) => n,
                    Err(j) => return j,
                };
                let message = match message {
                    Some(m) => match self.value_or_expr(m, span, element) {
                        Ok(m) => Some(m),
                        Err(j) => return j,
                    },
                    None => None,
                };
                Event::new(name, message).into()
            }
        }
    }

    /// A `<goto next>`-like transition to `uri`, written in the running
    /// content's document: a `#dialog` stays in the document.
    pub(crate) async fn transition_to(
        &mut self,
        uri: &str,
        fetch: &FetchAttrs,
        by: Option<(Span, &str)>,
    ) -> Jump {
        let transition = match uri.strip_prefix('#') {
            Some(dialog) => self.same_document(dialog, by),
            None => match self.resolve_uri(uri) {
                Ok(url) => match self.planned(url, ResourceType::Document, fetch) {
                    Ok(req) => self.load(req).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
        };
        match transition {
            Ok(t) => Leave::Dialog(Box::new(t)).into(),
            Err(e) => e.into(),
        }
    }

    // ----- where ---------------------------------------------------------------------

    /// A `#dialog` URI written in the application root names a dialog of
    /// the root, not of the leaf being visited.
    fn in_origin(&self, uri: String, origin: Origin) -> String {
        match (
            origin,
            self.frame.here.as_ref().and_then(|h| h.root.as_ref()),
        ) {
            (Origin::Root, Some(root)) if uri.starts_with('#') => {
                let mut u = root.url.clone();
                u.set_fragment(Some(&uri[1..]));
                u.to_string()
            }
            _ => uri,
        }
    }

    /// The document (or root) a grammar is written in, as content runs there.
    fn origin_at(&self, origin: Origin) -> Option<At> {
        let here = self.frame.here.as_ref()?;
        match origin {
            Origin::Document => Some(here.at()),
            Origin::Root => here.root_at().or_else(|| Some(here.at())),
        }
    }

    /// The URL of the document a grammar is written in (errors name it).
    fn doc_url(&self, origin: Origin) -> Result<Url, Event> {
        let here = self
            .frame
            .here
            .as_ref()
            .ok_or_else(|| Event::semantic("input collected outside any document"))?;
        Ok(match (origin, &here.root) {
            (Origin::Root, Some(root)) => root.url.clone(),
            _ => here.url.clone(),
        })
    }
}

/// The DTMF key each choice of `menu` answers to: its `dtmf`, else with
/// `dtmf="true"` the next of 1–9 (§2.2.2: the first nine choices without one).
impl From<Mode> for InputMode {
    fn from(mode: Mode) -> InputMode {
        match mode {
            Mode::Dtmf => InputMode::Dtmf,
            Mode::Voice => InputMode::Voice,
        }
    }
}

/// A grammar's match as `lastresult$` and the shadow variables hold it.
fn matched(r: &Interpretation) -> Recognition {
    Recognition {
        utterance: r.utterance.clone(),
        interpretation: Value::from_json(&r.interpretation),
        confidence: r.confidence,
        inputmode: r.inputmode.into(),
        markname: None,
        marktime: None,
        recording: None,
    }
}

/// A nomatch as a recognition (§5.1.5: a nomatch is one): what was said and
/// how, with a confidence of 0 and no interpretation.
pub(crate) fn no_match(utterance: &str, mode: Mode) -> Recognition {
    Recognition {
        utterance: utterance.into(),
        interpretation: Value::Undefined,
        confidence: 0.0,
        inputmode: mode.into(),
        markname: None,
        marktime: None,
        recording: None,
    }
}

pub(crate) fn menu_keys(menu: &Menu) -> Vec<Option<String>> {
    let mut next = 1u32;
    menu.choices
        .iter()
        .map(|c| match &c.dtmf {
            Some(k) => Some(k.clone()),
            None if menu.dtmf && next <= 9 => {
                let k = next.to_string();
                next += 1;
                Some(k)
            }
            None => None,
        })
        .collect()
}

/// The value a field takes from an interpretation: the slot's property of
/// an object that has it, else the whole.
fn slot_value(interpretation: &serde_json::Value, slot: &str) -> serde_json::Value {
    match interpretation {
        serde_json::Value::Object(_) => slot_path(interpretation, slot)
            .cloned()
            .unwrap_or_else(|| interpretation.clone()),
        other => other.clone(),
    }
}

/// The property a `slot` names in an interpretation: a name (`size`) or a
/// path through nested objects (`order.size`, VoiceXML 2.0 §3.1.6). A
/// property that is itself named with a dot (`{"order.size": …}`) is found
/// too, as some grammars flatten their results that way.
fn slot_path<'v>(
    interpretation: &'v serde_json::Value,
    slot: &str,
) -> Option<&'v serde_json::Value> {
    let serde_json::Value::Object(props) = interpretation else {
        return None;
    };
    if let Some(v) = props.get(slot) {
        return Some(v);
    }
    let (head, rest) = slot.split_once('.')?;
    slot_path(props.get(head)?, rest)
}

/// A choice's or link's grammars: its words (voice) and its key (DTMF),
/// both meaning the same thing.
fn phrase_grammars(
    url: &Url,
    words: &str,
    approximate: bool,
    keys: Option<&str>,
) -> Result<Vec<Prepared>, GrammarError> {
    let mut out = Vec::new();
    let voice = [Phrase {
        text: words,
        value: words,
        approximate,
    }];
    if let Some(g) = Grammar::from_phrases(url, Mode::Voice, &voice)? {
        out.push(Prepared::new(g)?);
    }
    if let Some(keys) = keys {
        let dtmf = [Phrase {
            text: keys,
            value: keys,
            approximate: false,
        }];
        if let Some(g) = Grammar::from_phrases(url, Mode::Dtmf, &dtmf)? {
            out.push(Prepared::new(g)?);
        }
    }
    Ok(out)
}

/// A field's `<option>`s as a voice and a DTMF grammar whose value is the
/// option's `value` (else its text).
fn option_grammars(f: &Field, url: &Url) -> Result<Vec<Prepared>, GrammarError> {
    let values: Vec<String> = f
        .options
        .iter()
        .map(|o| {
            o.value
                .clone()
                .unwrap_or_else(|| o.text.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect();
    let voice: Vec<Phrase<'_>> = f
        .options
        .iter()
        .zip(&values)
        .map(|(o, v)| Phrase {
            text: &o.text,
            value: v,
            approximate: o.accept == Some(Accept::Approximate),
        })
        .collect();
    let dtmf: Vec<Phrase<'_>> = f
        .options
        .iter()
        .zip(&values)
        .filter_map(|(o, v)| {
            o.dtmf.as_deref().map(|k| Phrase {
                text: k,
                value: v,
                approximate: false,
            })
        })
        .collect();
    let mut out = Vec::new();
    for (mode, phrases) in [(Mode::Voice, voice), (Mode::Dtmf, dtmf)] {
        if let Some(g) = Grammar::from_phrases(url, mode, &phrases)? {
            out.push(Prepared::new(g)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_menus_number_the_first_nine_choices_without_a_key() {
        let choices: String = (1..=11)
            .map(|n| match n {
                2 => r##"<choice dtmf="0" next="#x">two</choice>"##.to_string(),
                n => format!(r##"<choice next="#x">c{n}</choice>"##),
            })
            .collect();
        let text = format!(
            r##"<vxml version="2.1"><menu dtmf="true">{choices}</menu><form id="x"><block/></form></vxml>"##
        );
        let doc = crate::vxml::parse(text.as_bytes(), "m.vxml").expect("parses");
        let Dialog::Menu(menu) = &doc.dialogs[0] else {
            panic!("a menu first");
        };
        let keys = menu_keys(menu);
        let keys: Vec<Option<&str>> = keys.iter().map(|k| k.as_deref()).collect();
        assert_eq!(
            keys,
            vec![
                Some("1"),
                Some("0"),
                Some("2"),
                Some("3"),
                Some("4"),
                Some("5"),
                Some("6"),
                Some("7"),
                Some("8"),
                Some("9"),
                None
            ]
        );
    }

    #[test]
    fn a_field_takes_its_slot_from_an_object_that_has_it() {
        let v = serde_json::json!({"size": "large", "crust": "thin"});
        assert_eq!(slot_value(&v, "size"), serde_json::json!("large"));
        assert_eq!(slot_value(&v, "order"), v);
        assert_eq!(slot_value(&serde_json::json!(7), "n"), serde_json::json!(7));
    }
}
