//! Moving between documents (VoiceXML 2.0 §1.5.2, §5.3.7–§5.3.9): fetching
//! a document and its application root, entering it with the right scope
//! changes, and the loop that follows one transition after another.
//!
//! A fetch for a transition happens while the old dialog is still current,
//! so its failure (`error.badfetch…`) is thrown there, where the author's
//! handlers can catch it (§5.2.6). Only a document that arrived is entered.
//!
//! Entering (`ScriptEngine::enter_application` decides whether the
//! application scope survives):
//! - a leaf of the application we are in: its root's variables live on;
//!   only the leaf's declarations run;
//! - the root itself (a leaf went back to it, or it reloads): the
//!   application scope is kept and is the document scope; nothing re-runs;
//! - any other document: a fresh application scope, the root's
//!   declarations (when it has a separate root), then the document's.
//!
//! Loading a document also fetches what it marks `fetchhint="prefetch"`
//! (§6.1.1; the `audiofetchhint` / `scriptfetchhint` properties set the
//! default, which in vxb is `safe`: the spec's default `prefetch` only
//! permits early fetching): its literal `<audio>` and `<script src>`
//! sources, through the cache, before its declarations run, so using them
//! later is a hit. A failed prefetch is no event: the element reports it
//! when it is reached and fetches again.
//!
//! `#dialog` transitions stay in the document: no fetch, no
//! re-initialisation. Each document load counts towards
//! `limits.max_document_transitions`; beyond it the load fails with
//! `error.badfetch`, so a goto loop between two documents ends.

use std::rc::Rc;
use std::sync::Arc;

use url::Url;

use super::events::{Event, Layers, Owner};
use super::prompts::FetchAudioPlan;
use super::{At, Interpreter, Jump, Leave, Planned, Returned};
use super::{load, props};
use crate::call::CallEnd;
use crate::diagnostic::did_you_mean;
use crate::fetch::{BodyParser, FetchRequest, Referrer, effective_base, resolve};
use crate::resource::ResourceType;
use crate::script::{AppTransition, DocumentScope, Provenance, Value};
use crate::vxml::{Declaration, Dialog, Document, FetchAttrs, FetchHint, Span};

/// A loaded document and its separate application root, if any.
#[derive(Clone, Debug)]
pub(crate) struct Here {
    /// Where the document came from (after redirects, without fragment).
    pub url: Url,
    /// Its base for relative URIs (`xml:base` applied).
    pub base: Url,
    pub doc: Arc<Document>,
    /// The application root, when it is another document.
    pub root: Option<Root>,
}

#[derive(Clone, Debug)]
pub(crate) struct Root {
    pub url: Url,
    pub base: Url,
    pub doc: Arc<Document>,
}

impl Here {
    /// The application root's URL: the separate root's, or the document's own.
    pub fn app_url(&self) -> &Url {
        self.root.as_ref().map_or(&self.url, |r| &r.url)
    }

    pub fn at(&self) -> At {
        At {
            name: Rc::from(self.url.as_str()),
            base: self.base.clone(),
        }
    }

    pub fn root_at(&self) -> Option<At> {
        self.root.as_ref().map(|r| At {
            name: Rc::from(r.url.as_str()),
            base: r.base.clone(),
        })
    }

    /// The separate application root as a document of its own (no root
    /// above it), for running its content with its own properties and URL.
    pub fn root_here(&self) -> Option<Here> {
        self.root.as_ref().map(|r| Here {
            url: r.url.clone(),
            base: r.base.clone(),
            doc: Arc::clone(&r.doc),
            root: None,
        })
    }
}

/// Where to go next: a document (or the current one) and the dialog in it.
#[derive(Debug)]
pub(crate) struct Transition {
    pub here: Here,
    /// The `#fragment`: a dialog id; `None`: the first dialog.
    pub dialog: Option<String>,
    /// A `#dialog` jump inside the current document: nothing is re-entered.
    pub same_document: bool,
    /// A match of the target form's document-scope grammar, made in
    /// another dialog: it fills that form once the form is entered.
    pub carried: Option<crate::grammar::Interpretation>,
}

/// How an execution context (the call, or one subdialog) ended.
#[derive(Debug)]
pub(crate) enum ContextEnd {
    Return(Returned),
    End(CallEnd),
}

/// `error.badfetch` for a transition to a dialog `doc` does not have: where
/// the transition was written when known, and the dialog the author may
/// have meant.
fn no_dialog(doc: &Document, url: &Url, dialog: &str, by: Option<(Span, &str)>) -> Event {
    let place = match by {
        Some((span, element)) => format!("{url}:{span}: <{element}>"),
        None => url.to_string(),
    };
    let ids = doc.dialogs.iter().filter_map(|d| d.id());
    let hint = did_you_mean(dialog, ids)
        .map(|id| format!(" (did you mean `#{id}`?)"))
        .unwrap_or_default();
    Event::badfetch(format!("{place}: no dialog with id `{dialog}`{hint}"))
}

impl Interpreter {
    /// Fetches the document of `req` (and its root) for a transition from
    /// the current place. The request's fragment names the dialog.
    pub(crate) async fn load(&mut self, planned: Planned) -> Result<Transition, Event> {
        let Planned { req, fetch_audio } = planned;
        self.transitions += 1;
        if self.transitions > self.limits.max_document_transitions {
            return Err(Event::badfetch(format!(
                "{}: refused: more than {} document loads in this call (limits.max_document_transitions)",
                req.url, self.limits.max_document_transitions
            )));
        }
        let fragment = req
            .url
            .fragment()
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        let (url, base, doc) = self.fetch_vxml(&req, fetch_audio).await?;
        let root = match &doc.application {
            None => None,
            Some(app) => {
                let mut root_url = resolve(&base, app).map_err(|e| Event::from_fetch(&e))?;
                root_url.set_fragment(None);
                if root_url == url {
                    None
                } else {
                    Some(self.load_root(root_url, &req, &url).await?)
                }
            }
        };
        if let Some(f) = &fragment
            && doc.dialog(f).is_none()
        {
            return Err(no_dialog(&doc, &url, f, None));
        }
        Ok(Transition {
            here: Here {
                url,
                base,
                doc,
                root,
            },
            dialog: fragment,
            same_document: false,
            carried: None,
        })
    }

    /// The application root at `url`: the one already loaded when it is the
    /// same, else fetched as `context` with the document request's
    /// freshness and timeout.
    async fn load_root(
        &mut self,
        url: Url,
        doc_req: &FetchRequest,
        leaf: &Url,
    ) -> Result<Root, Event> {
        if let Some(here) = &self.frame.here {
            if let Some(root) = here.root.as_ref().filter(|r| r.url == url) {
                return Ok(root.clone());
            }
            if here.url == url && here.doc.application.is_none() {
                return Ok(Root {
                    url,
                    base: here.base.clone(),
                    doc: Arc::clone(&here.doc),
                });
            }
        }
        let mut req =
            FetchRequest::get(url, ResourceType::Context, Referrer::Document(leaf.clone()));
        req.max_age = doc_req.max_age;
        req.max_stale = doc_req.max_stale;
        req.timeout = doc_req.timeout;
        let (url, base, doc) = self.fetch_vxml(&req, None).await?;
        if doc.application.is_some() {
            return Err(Event::badfetch(format!(
                "{url}: an application root document cannot name an application root itself (named by {leaf})"
            )));
        }
        Ok(Root { url, base, doc })
    }

    /// Fetches a VoiceXML document through the parse hook: where it came
    /// from (after redirects, without fragment), its base, and its parsed form.
    async fn fetch_vxml(
        &mut self,
        req: &FetchRequest,
        fetch_audio: Option<FetchAudioPlan>,
    ) -> Result<(Url, Url, Arc<Document>), Event> {
        let parsers = Arc::clone(&self.parsers);
        let fetched = self
            .fetch_with_audio(req, Some(&parsers.vxml), fetch_audio)
            .await
            .map_err(|e| Event::from_fetch(&e))?;
        let doc = fetched
            .parsed_as::<Document>()
            .ok_or_else(|| Event::badfetch(format!("{}: not a VoiceXML document", fetched.url)))?;
        self.tolerate(doc.slips.iter().map(|s| (s.to_string(), s.slip_warning())))?;
        let mut url = fetched.final_url.clone();
        url.set_fragment(None);
        let base = effective_base(&url, doc.base.as_deref()).map_err(|e| Event::from_fetch(&e))?;
        Ok((url, base, doc))
    }

    /// A `#dialog` transition inside the current document, made by the
    /// element `by` (its position and name, to blame when there is no such
    /// dialog).
    pub(crate) fn same_document(
        &self,
        dialog: &str,
        by: Option<(Span, &str)>,
    ) -> Result<Transition, Event> {
        let here = self
            .frame
            .here
            .clone()
            .ok_or_else(|| Event::badfetch(format!("#{dialog}: no current document")))?;
        if here.doc.dialog(dialog).is_none() {
            return Err(no_dialog(&here.doc, &here.url, dialog, by));
        }
        Ok(Transition {
            here,
            dialog: Some(dialog.to_string()),
            same_document: true,
            carried: None,
        })
    }

    /// Runs an execution context from `first` until it returns (a subdialog)
    /// or the call ends. `params` go to the first dialog (a subdialog's).
    pub(crate) fn run_context<'a>(
        &'a mut self,
        first: Transition,
        params: Option<Vec<(String, Value)>>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ContextEnd> + 'a>> {
        Box::pin(async move {
            let mut next = first;
            let mut params = params;
            loop {
                if !next.same_document {
                    match self.enter(next.here.clone()).await {
                        Ok(()) => {}
                        Err(Leave::Dialog(t)) => {
                            next = *t;
                            continue;
                        }
                        Err(Leave::Return(r)) => return ContextEnd::Return(r),
                        Err(Leave::End(e)) => return ContextEnd::End(e),
                    }
                }
                let doc = Arc::clone(&next.here.doc);
                let index = match &next.dialog {
                    Some(id) => doc.dialogs.iter().position(|d| d.id() == Some(id.as_str())),
                    None => (!doc.dialogs.is_empty()).then_some(0),
                };
                // A document with no dialog (or a vanished one, which `load`
                // rules out) has nothing to run: the call exits.
                let Some(index) = index else {
                    return ContextEnd::End(CallEnd::Exit);
                };
                let leave = match &doc.dialogs[index] {
                    Dialog::Form(form) => {
                        let carried = next.carried.take();
                        self.run_form(&doc, form, index, params.take(), carried)
                            .await
                    }
                    Dialog::Menu(menu) => self.run_menu(&doc, menu, index).await,
                };
                match leave {
                    Leave::Dialog(t) => next = *t,
                    Leave::Return(r) => return ContextEnd::Return(r),
                    Leave::End(e) => return ContextEnd::End(e),
                }
            }
        })
    }

    /// Makes `here` the current document: scopes, then declarations.
    async fn enter(&mut self, here: Here) -> Result<(), Leave> {
        let setup = |e: crate::script::ScriptError| {
            Leave::End(CallEnd::Error {
                event: "error.semantic".into(),
                message: format!("{}: cannot set up the document's scopes: {e}", here.url),
            })
        };
        // Compiled code is kept with the document its texts come from.
        self.engine.set_provenance(Some(Provenance::of(&here.doc)));
        let transition = self
            .engine
            .enter_application(Some(here.app_url().as_str()))
            .map_err(setup)?;
        self.frame.here = Some(here.clone());
        self.frame.form = None;
        self.frame.counters = Default::default();
        let doc = Arc::clone(&here.doc);
        let root = here.root.as_ref().map(|r| Arc::clone(&r.doc));
        match (transition, &root) {
            (AppTransition::Reset, Some(root_doc)) => {
                // The root's declarations run as the root's content: its
                // properties and its URL (the referrer) apply, not the leaf's.
                let as_root = here.root_here();
                let root_at = here.root_at();
                self.as_content_of(as_root, root_at, async |it| {
                    it.prefetch(root_doc).await;
                    it.declare_all(&root_doc.declarations, &doc, root.as_deref())
                        .await
                })
                .await?;
                self.engine
                    .enter_document(DocumentScope::Own)
                    .map_err(setup)?;
            }
            (AppTransition::Reset, None) => {
                self.engine
                    .enter_document(DocumentScope::ApplicationRoot)
                    .map_err(setup)?;
            }
            (AppTransition::Kept, Some(_)) => {
                self.engine
                    .enter_document(DocumentScope::Own)
                    .map_err(setup)?;
            }
            (AppTransition::Kept, None) => {
                // Back at the root: its variables are the application's, kept.
                self.engine
                    .enter_document(DocumentScope::ApplicationRoot)
                    .map_err(setup)?;
                self.frame.at = Some(here.at());
                return Ok(());
            }
        }
        self.frame.at = Some(here.at());
        self.prefetch(&doc).await;
        self.declare_all(&doc.declarations, &doc, root.as_deref())
            .await
    }

    /// Fetches what `doc` (the document being entered, whose properties are
    /// in force) marks for prefetching, keeping nothing but what the cache
    /// keeps.
    async fn prefetch(&mut self, doc: &Document) {
        let wanted: Vec<(ResourceType, String, FetchAttrs)> = {
            let props = self.properties();
            let default = |rtype| match props.get(&format!("{}fetchhint", props::prefix(rtype))) {
                Some((_, p)) if p.value.trim() == "prefetch" => FetchHint::Prefetch,
                _ => FetchHint::Safe,
            };
            load::prefetches(doc, default)
                .into_iter()
                .map(|p| (p.rtype, p.src.to_string(), p.fetch.clone()))
                .collect()
        };
        let parsers = Arc::clone(&self.parsers);
        for (rtype, src, attrs) in wanted {
            let req = self
                .resolve_uri(&src)
                .and_then(|url| self.request(url, rtype, &attrs));
            let Ok(req) = req else { continue };
            let parser: Option<&dyn BodyParser> = match rtype {
                ResourceType::Audio => Some(&parsers.audio),
                _ => None,
            };
            if let Err(e) = self.fetch(&req, parser).await {
                tracing::debug!(target: "vxb::call", url = %req.url, "prefetch failed: {e}");
            }
        }
    }

    /// Runs document-level declarations in order, handling their events with
    /// the document's (and root's) handlers.
    async fn declare_all(
        &mut self,
        decls: &[Declaration],
        doc: &Document,
        root: Option<&Document>,
    ) -> Result<(), Leave> {
        for d in decls {
            let result = match d {
                Declaration::Var(v) => self.var(v),
                Declaration::Script(s) => self.script(s).await,
                Declaration::Data(data) => self.data(data).await,
            };
            let Err(jump) = result else { continue };
            let mut layers = Layers::default();
            layers.push(&doc.catches, Owner::Document);
            if let Some(r) = root {
                layers.push(&r.catches, Owner::Root);
            }
            self.settle(jump, &layers, None).await?;
        }
        Ok(())
    }

    /// Handles a jump outside any form item: events go to `layers`' handlers
    /// until one completes; `<goto nextitem>` here is an error.
    pub(crate) async fn settle(
        &mut self,
        mut jump: Jump,
        layers: &Layers<'_>,
        item: Option<usize>,
    ) -> Result<bool, Leave> {
        loop {
            match jump {
                Jump::Leave(l) => return Err(l),
                Jump::Item(name) => {
                    jump = Jump::Throw(Event::badfetch(format!(
                        "{}: <goto nextitem=\"{name}\"> outside a form",
                        self.source()
                    )));
                }
                Jump::Throw(e) => match self.handle(e, layers, item).await {
                    Ok(reprompt) => return Ok(reprompt),
                    Err(j) => jump = j,
                },
            }
        }
    }
}
