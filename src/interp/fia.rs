//! The form interpretation algorithm (VoiceXML 2.0 Appendix C) for forms,
//! and its counterpart for menus.
//!
//! A form is entered by initialising, in document order, its `<var>`s,
//! `<script>`s, `<data>`s and form item variables (a subdialog's `<param>`s
//! take the place of the matching `<var>`s' `expr`). Then, until the form
//! is left:
//! - **select** the item named by the last `<goto nextitem>`, else the
//!   first whose variable is undefined and whose `cond` holds; none left:
//!   the call exits;
//! - **collect**: a block runs (its variable set to true first); a
//!   subdialog runs in a new execution context; an input item gathers its
//!   active grammars (`recognize`; a grammar that cannot be had is thrown
//!   at the item before anything plays), queues its prompts by count
//!   (§4.1.6) — unless the last iteration ended in a handler without
//!   `<reprompt>` run for this same item (a different item selected next
//!   gets its prompts: the rule is about not repeating a question, not
//!   about silencing the next one) — plays the queue, and takes a caller
//!   token;
//! - **process**: the token is matched; the items it filled (one, or
//!   several for a form grammar) run their own `<filled>`s in document
//!   order, then the form-level `<filled>`s whose namelist (mode
//!   `any`/`all`) names one of them. A link or choice that matched leaves
//!   or throws instead. An event is handled at the item (`handler`); the
//!   handler says whether prompts play again next time.
//!
//! A form reached by a match of its document-scope grammar in another
//! dialog is filled from that match right after its initialisation.

use std::sync::Arc;
use std::time::Duration;

use super::events::{Counters, Event, HANGUP, Layers, Owner};
use super::nav::ContextEnd;
use super::props::Properties;
use super::recognize::{Scene, menu_keys};
use super::{Interpreter, Jump, Leave, MAX_SUBDIALOG_DEPTH, Returned};
use crate::call::{CallEnd, Token};
use crate::grammar::Mode;
use crate::script::Value;
use crate::vxml::{
    Declaration, Dialog, Document, Form, FormChild, FormItem, Menu, Prompt, Subdialog,
};

/// How long the platform waits for input when neither a prompt's `timeout`
/// nor the `timeout` property says (VoiceXML leaves it to the platform).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A wait as the report says it: `5s`, `2.5s`.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The FIA's state for the form (or menu) being visited.
#[derive(Debug, Default)]
pub(crate) struct FormState {
    /// Index of the dialog in the current document.
    pub dialog: usize,
    /// Per form item, in document order.
    pub items: Vec<ItemState>,
    /// Form-level (and menu) event counters.
    pub counters: Counters,
    /// The menu's prompt counter.
    pub prompts: u32,
    /// The item being visited.
    pub current: Option<usize>,
    /// The last iteration ended in a handler without `<reprompt>`, run for
    /// this form item (`None`: for the form or menu itself).
    pub quiet: Option<Option<usize>>,
    /// What `<enumerate>` lists at the current collection: (text, dtmf).
    pub choices: Vec<(String, Option<String>)>,
}

#[derive(Debug)]
pub(crate) struct ItemState {
    /// The prompt counter (§4.1.6): 1 on entry.
    pub prompts: u32,
    pub counters: Counters,
}

impl Default for ItemState {
    fn default() -> Self {
        ItemState {
            prompts: 1,
            counters: Counters::default(),
        }
    }
}

impl FormState {
    fn new(dialog: usize, items: usize) -> FormState {
        FormState {
            dialog,
            items: (0..items).map(|_| ItemState::default()).collect(),
            prompts: 1,
            ..FormState::default()
        }
    }
}

impl Interpreter {
    /// Runs a form until it is left.
    pub(crate) async fn run_form(
        &mut self,
        doc: &Arc<Document>,
        form: &Form,
        index: usize,
        params: Option<Vec<(String, Value)>>,
        carried: Option<crate::grammar::Interpretation>,
    ) -> Leave {
        let root_doc = match self.enter_dialog(index, form.items().count()) {
            Ok(root) => root,
            Err(leave) => return leave,
        };
        let scene = Scene {
            doc,
            root: root_doc.as_ref(),
        };
        let root = root_doc.as_deref();
        let items: Vec<&FormItem> = form.items().collect();

        // Initialisation.
        let mut params = params;
        for child in &form.children {
            let result = match child {
                FormChild::Declaration(Declaration::Var(v)) => {
                    let param = params.as_mut().and_then(|ps| {
                        ps.iter()
                            .position(|(n, _)| *n == v.name)
                            .map(|i| ps.remove(i))
                    });
                    match param {
                        Some((name, value)) => self
                            .engine
                            .declare_value(&name, &value)
                            .map_err(|e| self.script_event(v.span, "param", e).into()),
                        None => self.var(v),
                    }
                }
                FormChild::Declaration(Declaration::Script(s)) => self.script(s).await,
                FormChild::Declaration(Declaration::Data(d)) => self.data(d).await,
                FormChild::Item(item) => {
                    let c = item.common();
                    self.engine
                        .declare(&c.name, c.expr.as_ref().map(|e| e.as_str()))
                        .map_err(|e| self.script_event(c.span, item.element_name(), e).into())
                }
            };
            if let Err(jump) = result {
                let layers = layers(doc, root, Some(form), None);
                if let Err(leave) = self.settle(jump, &layers, None).await {
                    return leave;
                }
            }
        }
        if let Some(unused) = params.filter(|p| !p.is_empty()) {
            let names: Vec<&str> = unused.iter().map(|(n, _)| n.as_str()).collect();
            let e = Event::semantic(format!(
                "{}:{}: <param> {} has no matching <var> in the subdialog's form",
                self.source(),
                form.span,
                names.join(", ")
            ));
            let layers = layers(doc, root, Some(form), None);
            if let Err(leave) = self.settle(e.into(), &layers, None).await {
                return leave;
            }
        }

        // Arrived by a match of this form's document-scope grammar: its
        // slots are filled and processed before anything is selected.
        let carried = match self.fill_carried(&items, carried) {
            Ok(filled) if filled.is_empty() => Ok(()),
            Ok(filled) => self.filled(form, &items, &filled).await,
            Err(j) => Err(j),
        };
        let mut next: Option<usize> = None;
        if let Err(jump) = carried {
            let layers = layers(doc, root, Some(form), None);
            match self.resolve(jump, &layers, &items, None).await {
                Ok(n) => next = n,
                Err(leave) => return leave,
            }
        }

        // The main loop.
        loop {
            let quiet = match self.next_iteration() {
                Ok(quiet) => quiet,
                Err(leave) => return leave,
            };
            let selected = match next.take() {
                Some(i) => Ok(Some(i)),
                None => self.select(&items),
            };
            let result = match selected {
                Ok(None) => return Leave::End(CallEnd::Exit),
                Ok(Some(i)) => {
                    if let Some(f) = self.frame.form.as_mut() {
                        f.current = Some(i);
                    }
                    // Appendix C: no prompts after a handler without
                    // <reprompt> — when the FIA comes back to that same item.
                    let skip_prompts = quiet == Some(Some(i));
                    self.visit(scene, form, &items, i, skip_prompts)
                        .await
                        .map_err(|j| (j, Some(i)))
                }
                Err(j) => Err((j, None)),
            };
            if let Err((jump, at)) = result {
                let layers = layers(doc, root, Some(form), at.map(|i| items[i]));
                match self.resolve(jump, &layers, &items, at).await {
                    Ok(n) => next = n,
                    Err(leave) => return leave,
                }
            }
        }
    }

    /// Enters dialog `index` of the current document (with `items` form
    /// items): its scope, fresh FIA state and counters. Returns the
    /// application root, whose handlers apply too.
    fn enter_dialog(&mut self, index: usize, items: usize) -> Result<Option<Arc<Document>>, Leave> {
        if let Err(e) = self.engine.enter_dialog() {
            return Err(Leave::End(
                self.fatal(Event::semantic(format!("cannot enter the dialog: {e}"))),
            ));
        }
        self.frame.form = Some(FormState::new(index, items));
        self.frame.at = self.frame.here.as_ref().map(|h| h.at());
        Ok(self
            .frame
            .here
            .as_ref()
            .and_then(|h| h.root.as_ref().map(|r| Arc::clone(&r.doc))))
    }

    /// Starts an iteration of the main loop: counts the step, and says
    /// whether (and where) the last one ended in a handler without
    /// `<reprompt>`, whose item's prompts are then not queued again.
    fn next_iteration(&mut self) -> Result<Option<Option<usize>>, Leave> {
        self.step()?;
        Ok(self.frame.form.as_mut().and_then(|f| f.quiet.take()))
    }

    /// Settles a jump out of a form item's visit: `Ok(Some(i))` goes to item
    /// `i` next, `Ok(None)` back to selection.
    async fn resolve(
        &mut self,
        mut jump: Jump,
        layers: &Layers<'_>,
        items: &[&FormItem],
        at: Option<usize>,
    ) -> Result<Option<usize>, Leave> {
        loop {
            match jump {
                Jump::Leave(l) => return Err(l),
                Jump::Item(name) => match items.iter().position(|i| i.common().name == name) {
                    Some(i) => return Ok(Some(i)),
                    None => {
                        jump = Event::badfetch(format!(
                            "{}: <goto nextitem=\"{name}\">: the form has no such item",
                            self.source()
                        ))
                        .into();
                    }
                },
                Jump::Throw(e) => match self.handle(e, layers, at).await {
                    Ok(reprompt) => {
                        if let Some(f) = self.frame.form.as_mut() {
                            f.quiet = (!reprompt).then_some(at);
                        }
                        return Ok(None);
                    }
                    Err(j) => jump = j,
                },
            }
        }
    }

    /// The first item whose variable is undefined and whose `cond` holds.
    fn select(&mut self, items: &[&FormItem]) -> Result<Option<usize>, Jump> {
        for (i, item) in items.iter().enumerate() {
            let c = item.common();
            let unset = self
                .engine
                .eval_bool(&format!("{} === void 0", c.name))
                .map_err(|e| self.script_event(c.span, item.element_name(), e))?;
            if !unset {
                continue;
            }
            if let Some(cond) = &c.cond {
                let holds = self
                    .engine
                    .eval_bool(cond.as_str())
                    .map_err(|e| self.script_event(c.span, item.element_name(), e))?;
                if !holds {
                    continue;
                }
            }
            return Ok(Some(i));
        }
        Ok(None)
    }

    /// The collect and process phases for item `i`.
    async fn visit<'d>(
        &mut self,
        scene: Scene<'d>,
        form: &'d Form,
        items: &[&'d FormItem],
        i: usize,
        skip_prompts: bool,
    ) -> Result<(), Jump> {
        let item = items[i];
        match item {
            FormItem::Block(b) => {
                self.engine
                    .assign(&b.common.name, "true")
                    .map_err(|e| self.script_event(b.common.span, "block", e))?;
                self.scoped(&b.content).await
            }
            FormItem::Subdialog(s) => {
                self.subdialog(s).await?;
                self.filled(form, items, &[i]).await
            }
            FormItem::Object(o) => Err(Event::unsupported(
                "objectname",
                format!(
                    "{}:{}: <object classid=\"{}\"> is not supported",
                    self.source(),
                    o.common.span,
                    o.classid.as_deref().unwrap_or("")
                ),
            )
            .into()),
            FormItem::Field(_)
            | FormItem::Initial(_)
            | FormItem::Record(_)
            | FormItem::Transfer(_) => {
                let active = self.item_grammars_active(scene, form, items, i).await?;
                let prompts = item.input().map_or(&[][..], |p| &p.prompts[..]);
                let choices = match item {
                    FormItem::Field(f) => f
                        .options
                        .iter()
                        .map(|o| {
                            (
                                o.text.split_whitespace().collect::<Vec<_>>().join(" "),
                                o.dtmf.clone(),
                            )
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let count = self
                    .frame
                    .form
                    .as_ref()
                    .and_then(|f| f.items.get(i))
                    .map_or(1, |s| s.prompts);
                if !skip_prompts
                    && let Some(s) = self.frame.form.as_mut().and_then(|f| f.items.get_mut(i))
                {
                    s.prompts += 1;
                }
                if let FormItem::Transfer(t) = item {
                    self.transfer(t, &active, i, prompts, count, skip_prompts)
                        .await?;
                    return self.filled(form, items, &[i]).await;
                }
                let beep = matches!(item, FormItem::Record(r) if r.beep);
                let token = self
                    .collect(prompts, count, choices, skip_prompts, beep)
                    .await?;
                let filled = self.recognize(&active, items, i, token).await?;
                self.filled(form, items, &filled).await
            }
        }
    }

    /// The collect phase of an input item or menu: queue the prompts the
    /// counter selects (unless told not to), play the queue, and take the
    /// caller's token. Hangup, noinput and nomatch become their events.
    async fn collect(
        &mut self,
        prompts: &[Prompt],
        count: u32,
        choices: Vec<(String, Option<String>)>,
        skip_prompts: bool,
        beep: bool,
    ) -> Result<Token, Jump> {
        if let Some(end) = &self.hung_up {
            return Err(Leave::End(end.clone()).into());
        }
        if let Some(f) = self.frame.form.as_mut() {
            f.choices = choices;
        }
        let prompted = match skip_prompts {
            false => self.queue_by_count(prompts, count).await?,
            true => None,
        };
        let timeout = match prompted {
            Some(t) => t,
            None => self.timeout_property()?,
        };
        if beep {
            self.beep()?;
        }
        self.flush().await;
        self.steps = 0;
        match self.input.next_token().await {
            Token::Hangup => {
                self.hung_up = Some(CallEnd::Hangup);
                Err(Event::new(HANGUP, Some("the caller hung up".into())).into())
            }
            Token::NoInput => {
                // The caller let the whole timeout run out: on virtual time
                // the call (and the cache's ages) move on by it.
                self.fetcher.fetcher().clock().elapse(timeout);
                Err(Event::new(
                    "noinput",
                    Some(format!(
                        "no input within the timeout of {}",
                        seconds(timeout)
                    )),
                )
                .into())
            }
            Token::NoMatch => {
                // §5.1.5: a nomatch is a recognition, though of nothing vxb
                // can spell: no words, no interpretation.
                self.set_last_result(&super::recognize::no_match("", Mode::Voice))?;
                Err(Event::new("nomatch", None).into())
            }
            Token::Help => Err(Event::new("help", Some("the caller asked for help".into())).into()),
            token => Ok(token),
        }
    }

    /// §4.1.6: of the prompts whose `cond` holds, those with the highest
    /// `count` not above the counter, in document order. Returns the
    /// `timeout` of the last of them that has one (§4.1.7: it sets the wait
    /// for the input that follows).
    pub(crate) async fn queue_by_count(
        &mut self,
        prompts: &[Prompt],
        counter: u32,
    ) -> Result<Option<Duration>, Jump> {
        let mut eligible = Vec::new();
        for p in prompts {
            if p.count <= counter && self.prompt_cond(p)? {
                eligible.push(p);
            }
        }
        let best = eligible.iter().map(|p| p.count).max();
        let mut timeout = None;
        for p in eligible.into_iter().filter(|p| Some(p.count) == best) {
            self.render_prompt(p).await?;
            timeout = p.timeout.or(timeout);
        }
        Ok(timeout)
    }

    /// The `timeout` property in force, else [`DEFAULT_TIMEOUT`].
    fn timeout_property(&self) -> Result<Duration, Event> {
        Ok(self
            .properties()
            .time("timeout")?
            .unwrap_or(DEFAULT_TIMEOUT))
    }

    /// The process phase after items `just` (in document order) got values:
    /// their own `<filled>`s, then the form's whose namelist names one of
    /// them (§2.4). A form-level `<filled>`'s events are the form's.
    async fn filled(
        &mut self,
        form: &Form,
        items: &[&FormItem],
        just: &[usize],
    ) -> Result<(), Jump> {
        for &i in just {
            if let Some(input) = items[i].input() {
                for f in &input.filled {
                    self.scoped(&f.content).await?;
                }
            }
        }
        let just: Vec<&str> = just
            .iter()
            .map(|&i| items[i].common().name.as_str())
            .collect();
        for f in &form.filled {
            let names: Vec<&str> = match &f.namelist {
                Some(n) => n.iter().map(String::as_str).collect(),
                None => items
                    .iter()
                    .filter(|i| i.input().is_some())
                    .map(|i| i.common().name.as_str())
                    .collect(),
            };
            if !names.iter().any(|n| just.contains(n)) {
                continue;
            }
            if f.mode == crate::vxml::FilledMode::All {
                let mut all = true;
                for n in &names {
                    let set = self
                        .engine
                        .eval_bool(&format!("{n} !== void 0"))
                        .map_err(|e| self.script_event(f.span, "filled", e))?;
                    all &= set;
                }
                if !all {
                    continue;
                }
            }
            if let Err(jump) = self.scoped(&f.content).await {
                let here = self.frame.here.clone();
                let Some(here) = here else { return Err(jump) };
                let root = here.root.as_ref().map(|r| Arc::clone(&r.doc));
                let layers = layers(&here.doc, root.as_deref(), Some(form), None);
                match self.resolve(jump, &layers, items, None).await {
                    Ok(Some(next)) => return Err(Jump::Item(items[next].common().name.clone())),
                    Ok(None) => {}
                    Err(leave) => return Err(leave.into()),
                }
            }
        }
        Ok(())
    }

    /// Runs a subdialog in a new execution context (§2.3.4) and sets the
    /// item's variable to what it returns.
    async fn subdialog(&mut self, s: &Subdialog) -> Result<(), Jump> {
        let span = s.common.span;
        let src = self.value_or_expr(&s.src, span, "subdialog")?;
        let mut params = Vec::new();
        for p in &s.params {
            let v = match &p.value {
                crate::vxml::ValueOrExpr::Literal(t) => Value::String(t.clone()),
                crate::vxml::ValueOrExpr::Expr(e) => self
                    .engine
                    .eval(e.as_str())
                    .map_err(|err| self.script_event(p.span, "param", err))?,
            };
            params.push((p.name.clone(), v));
        }
        let target = match src.strip_prefix('#') {
            Some(dialog) => {
                let mut t = self.same_document(dialog, Some((span, "subdialog")))?;
                // A new execution context: the document is entered afresh.
                t.same_document = false;
                t
            }
            None => {
                let url = self.resolve_uri(&src)?;
                let req = self.submission(
                    url,
                    crate::resource::ResourceType::Document,
                    &s.namelist,
                    s.method,
                    s.enctype.as_deref(),
                    &s.fetch,
                    span,
                    "subdialog",
                )?;
                self.load(req).await?
            }
        };
        if self.callers.len() >= MAX_SUBDIALOG_DEPTH as usize {
            return Err(Event::semantic(format!(
                "{}:{span}: subdialogs nested more than {MAX_SUBDIALOG_DEPTH} deep",
                self.source()
            ))
            .into());
        }
        let caller = std::mem::take(&mut self.frame);
        self.callers.push(caller);
        self.engine.enter_subdialog();
        let end = self.run_context(target, Some(params)).await;
        let restored = self.engine.leave_subdialog();
        if let Some(caller) = self.callers.pop() {
            self.frame = caller;
        }
        if let Err(e) = restored {
            return Err(Leave::End(self.fatal(Event::semantic(e.to_string()))).into());
        }
        match end {
            ContextEnd::Return(Returned::Values(values)) => self
                .engine
                .assign_value(&s.common.name, &Value::Object(values))
                .map_err(|e| self.script_event(span, "subdialog", e).into()),
            ContextEnd::Return(Returned::Event(e)) => Err(e.into()),
            ContextEnd::End(end) => Err(Leave::End(end).into()),
        }
    }

    /// Runs a menu until it is left: prompts (with `<enumerate>` listing the
    /// choices), then a caller token.
    pub(crate) async fn run_menu(
        &mut self,
        doc: &Arc<Document>,
        menu: &Menu,
        index: usize,
    ) -> Leave {
        let root_doc = match self.enter_dialog(index, 0) {
            Ok(root) => root,
            Err(leave) => return leave,
        };
        let scene = Scene {
            doc,
            root: root_doc.as_ref(),
        };
        let root = root_doc.as_deref();
        let mut layers = Layers::default();
        layers.push(&menu.catches, Owner::Document);
        layers.push(&doc.catches, Owner::Document);
        if let Some(r) = root {
            layers.push(&r.catches, Owner::Root);
        }
        for s in &menu.scripts {
            if let Err(jump) = self.script(s).await
                && let Err(leave) = self.settle(jump, &layers, None).await
            {
                return leave;
            }
        }
        let choices: Vec<(String, Option<String>)> = menu
            .choices
            .iter()
            .zip(menu_keys(menu))
            .map(|(c, dtmf)| (super::prompts::plain_text(&c.content), dtmf))
            .collect();
        loop {
            let skip = match self.next_iteration() {
                Ok(quiet) => quiet.is_some(),
                Err(leave) => return leave,
            };
            let count = self.frame.form.as_ref().map_or(1, |f| f.prompts);
            if !skip && let Some(f) = self.frame.form.as_mut() {
                f.prompts += 1;
            }
            let result = match self.menu_grammars_active(scene, menu, index).await {
                Ok(active) => match self
                    .collect(&menu.prompts, count, choices.clone(), skip, false)
                    .await
                {
                    Ok(token) => self.recognize_menu(&active, token).await,
                    Err(j) => j,
                },
                Err(j) => j,
            };
            match self.settle(result, &layers, None).await {
                Ok(reprompt) => {
                    if let Some(f) = self.frame.form.as_mut() {
                        f.quiet = (!reprompt).then_some(None);
                    }
                }
                Err(leave) => return leave,
            }
        }
    }

    /// The current form, if a form (not a menu) is being visited.
    pub(crate) fn current_form(&self) -> Option<&Form> {
        let index = self.frame.form.as_ref()?.dialog;
        match self.frame.here.as_ref()?.doc.dialogs.get(index)? {
            Dialog::Form(f) => Some(f),
            Dialog::Menu(_) => None,
        }
    }

    /// Resets the prompt and event counters of the form item `name` (after
    /// `<clear>`).
    pub(crate) fn reset_item(&mut self, name: &str) {
        let Some(position) = self
            .current_form()
            .and_then(|f| f.items().position(|i| i.common().name == name))
        else {
            return;
        };
        if let Some(state) = self
            .frame
            .form
            .as_mut()
            .and_then(|f| f.items.get_mut(position))
        {
            *state = ItemState::default();
        }
    }

    /// The properties in force where content runs: the form item being
    /// visited, the dialog, the document, the application root.
    pub(crate) fn properties(&self) -> Properties<'_> {
        let mut p = Properties::default();
        let Some(here) = &self.frame.here else {
            return p;
        };
        let name = here.url.as_str();
        if let Some(state) = &self.frame.form
            && let Some(dialog) = here.doc.dialogs.get(state.dialog)
        {
            match dialog {
                Dialog::Form(f) => {
                    if let Some(item) = state.current.and_then(|i| f.items().nth(i))
                        && let Some(input) = item.input()
                    {
                        p.push(name, &input.properties);
                    }
                    p.push(name, &f.properties);
                }
                Dialog::Menu(m) => p.push(name, &m.properties),
            }
        }
        p.push(name, &here.doc.properties);
        if let Some(root) = &here.root {
            p.push(root.url.as_str(), &root.doc.properties);
        }
        p
    }
}

/// The handlers in force at `item` of `form` (innermost first).
fn layers<'d>(
    doc: &'d Document,
    root: Option<&'d Document>,
    form: Option<&'d Form>,
    item: Option<&'d FormItem>,
) -> Layers<'d> {
    let mut l = Layers::default();
    if let Some(input) = item.and_then(FormItem::input) {
        l.push(&input.catches, Owner::Document);
    }
    if let Some(form) = form {
        l.push(&form.catches, Owner::Document);
    }
    l.push(&doc.catches, Owner::Document);
    if let Some(root) = root {
        l.push(&root.catches, Owner::Root);
    }
    l
}
