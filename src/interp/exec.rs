//! Executable content (VoiceXML 2.0 §5.3, 2.1's `<data>` and `<foreach>`):
//! what blocks, `<filled>` and handlers run, one element after another,
//! until one of them jumps (`<throw>`, `<goto>`, `<exit>`…) or the content
//! ends.
//!
//! Expressions are evaluated in the current scope chain; a failure is
//! `error.semantic` naming the document, line, column and element. URIs
//! resolve against the base of the document the content was written in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::events::{Event, HANGUP};
use super::{Interpreter, Jump, Leave, Planned, Ran, Returned};
use crate::call::{CallEnd, LogRecord};
use crate::fetch::{FetchRequest, Referrer, resolve};
use crate::resource::ResourceType;
use crate::script::{Origin, Provenance, ScopeKind, Value};
use crate::vxml::exec::{
    Assign, Clear, Disconnect, Exit, ExitValue, Foreach, Goto, GotoTarget, If, Log, LogPart,
    Return, ReturnValue, Submit, Throw,
};
use crate::vxml::{Executable, FetchAttrs, Script, ScriptSource, Span, ValueOrExpr, Var};

pub(crate) type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

impl Interpreter {
    /// Runs `content` in order until it ends or jumps.
    pub(crate) fn exec<'a>(
        &'a mut self,
        content: &'a [Executable],
    ) -> LocalFuture<'a, Result<Ran, Jump>> {
        Box::pin(async move {
            let mut ran = Ran::default();
            for e in content {
                ran = ran.and(self.exec_one(e).await?);
            }
            Ok(ran)
        })
    }

    /// Runs `content` in a new anonymous scope (a block, a `<filled>`).
    pub(crate) async fn scoped(&mut self, content: &[Executable]) -> Result<(), Jump> {
        self.engine
            .push_scope(ScopeKind::Anonymous)
            .map_err(|e| Jump::Throw(Event::semantic(e.to_string())))?;
        let result = self.exec(content).await;
        self.engine.pop_scope();
        result.map(|_| ())
    }

    async fn exec_one(&mut self, e: &Executable) -> Result<Ran, Jump> {
        match e {
            Executable::Reprompt(_) => return Ok(Ran { reprompted: true }),
            Executable::If(i) => return self.if_(i).await,
            Executable::Foreach(f) => return self.foreach(f).await,
            _ => {}
        }
        match e {
            Executable::Var(v) => self.var(v),
            Executable::Assign(a) => self.assign(a),
            Executable::Clear(c) => self.clear(c),
            Executable::Prompt(p) => self.queue_prompt(p).await,
            Executable::Goto(g) => self.goto(g).await,
            Executable::Submit(s) => self.submit(s).await,
            Executable::Exit(x) => self.exit(x),
            Executable::Return(r) => self.return_(r),
            Executable::Disconnect(d) => self.disconnect(d).await,
            Executable::Script(s) => self.script(s).await,
            Executable::Log(l) => self.log(l),
            Executable::Throw(t) => self.throw(t),
            Executable::Data(d) => self.data(d).await,
            Executable::Reprompt(_) | Executable::If(_) | Executable::Foreach(_) => Ok(()),
        }?;
        Ok(Ran::default())
    }

    /// `<var>`: declares in the innermost scope.
    pub(crate) fn var(&mut self, v: &Var) -> Result<(), Jump> {
        let expr = v.expr.as_ref().map(|e| e.as_str());
        self.engine
            .declare(&v.name, expr)
            .map_err(|e| self.script_event(v.span, "var", e).into())
    }

    fn assign(&mut self, a: &Assign) -> Result<(), Jump> {
        self.engine
            .assign(&a.name, a.expr.as_str())
            .map_err(|e| self.script_event(a.span, "assign", e).into())
    }

    /// `<clear>`: the named variables (default: every form item variable of
    /// the form) become undefined; form items among them get their prompt
    /// and event counters reset (§5.3.3).
    fn clear(&mut self, c: &Clear) -> Result<(), Jump> {
        let names: Vec<String> = match &c.namelist {
            Some(names) => names.clone(),
            None => self.form_item_names(),
        };
        for name in &names {
            self.engine
                .clear(name)
                .map_err(|e| self.script_event(c.span, "clear", e))?;
            self.reset_item(name);
        }
        Ok(())
    }

    async fn if_(&mut self, i: &If) -> Result<Ran, Jump> {
        for branch in &i.branches {
            let holds = self
                .engine
                .eval_bool(branch.cond.as_str())
                .map_err(|e| self.script_event(branch.span, "if", e))?;
            if holds {
                return self.exec(&branch.content).await;
            }
        }
        match &i.else_ {
            Some(content) => self.exec(content).await,
            None => Ok(Ran::default()),
        }
    }

    /// A `src`/`expr`-style pair: the literal, or the expression's string value.
    pub(crate) fn value_or_expr(
        &mut self,
        v: &ValueOrExpr,
        span: Span,
        element: &str,
    ) -> Result<String, Jump> {
        match v {
            ValueOrExpr::Literal(s) => Ok(s.clone()),
            ValueOrExpr::Expr(e) => self
                .engine
                .eval_string(e.as_str())
                .map_err(|err| self.script_event(span, element, err).into()),
        }
    }

    /// Resolves a URI written in the running content's document.
    pub(crate) fn resolve_uri(&self, reference: &str) -> Result<url::Url, Event> {
        let base = match &self.frame.at {
            Some(at) => at.base.clone(),
            None => crate::fetch::location::parse(&self.report.start_url)
                .map_err(|e| Event::from_fetch(&e))?,
        };
        resolve(&base, reference).map_err(|e| Event::from_fetch(&e))
    }

    async fn goto(&mut self, g: &Goto) -> Result<(), Jump> {
        match &g.target {
            GotoTarget::Item(item) => {
                let name = self.value_or_expr(item, g.span, "goto")?;
                Err(Jump::Item(name))
            }
            GotoTarget::Uri(uri) => {
                let uri = self.value_or_expr(uri, g.span, "goto")?;
                Err(self
                    .transition_to(&uri, &g.fetch, Some((g.span, "goto")))
                    .await)
            }
        }
    }

    /// `<submit>`: the namelist's values (default: the form's input item
    /// variables) sent by GET or POST; the answer is the next document.
    async fn submit(&mut self, s: &Submit) -> Result<(), Jump> {
        let next = self.value_or_expr(&s.next, s.span, "submit")?;
        let url = self.resolve_uri(&next)?;
        let names = match &s.namelist {
            Some(names) => names.clone(),
            None => self.input_item_names(),
        };
        let req = self.submission(
            url,
            ResourceType::Document,
            &names,
            s.method,
            s.enctype.as_deref(),
            &s.fetch,
            s.span,
            "submit",
        )?;
        let transition = self.load(req).await?;
        Err(Leave::Dialog(Box::new(transition)).into())
    }

    /// `<exit>`: the call ends; `expr` or `namelist` becomes its exit value.
    fn exit(&mut self, x: &Exit) -> Result<(), Jump> {
        let value = match &x.value {
            ExitValue::None => None,
            ExitValue::Expr(e) => Some(
                self.engine
                    .eval(e.as_str())
                    .map_err(|err| self.script_event(x.span, "exit", err))?,
            ),
            ExitValue::Namelist(names) => Some(Value::Object(self.values(names, x.span, "exit")?)),
        };
        self.report.exit_value = value.map(|v| super::namelist::json(&v));
        Err(Leave::End(CallEnd::Exit).into())
    }

    /// `<return>`: back to the calling subdialog, with variables or an event.
    fn return_(&mut self, r: &Return) -> Result<(), Jump> {
        if self.callers.is_empty() {
            return Err(Event::semantic(format!(
                "{}:{}: <return> outside a subdialog",
                self.source(),
                r.span
            ))
            .into());
        }
        let returned = match &r.value {
            ReturnValue::Namelist(names) => Returned::Values(self.values(names, r.span, "return")?),
            ReturnValue::Event { event, message } => {
                let name = self.value_or_expr(event, r.span, "return")?;
                let message = match message {
                    Some(m) => Some(self.value_or_expr(m, r.span, "return")?),
                    None => None,
                };
                Returned::Event(Event::new(name, message))
            }
        };
        Err(Leave::Return(returned).into())
    }

    /// `<disconnect>`: queued prompts play, the line drops, and
    /// `connection.disconnect.hangup` is thrown into final processing
    /// (§5.3.11). 2.1's `namelist` becomes the exit value.
    async fn disconnect(&mut self, d: &Disconnect) -> Result<(), Jump> {
        if !d.namelist.is_empty() {
            let values = self.values(&d.namelist, d.span, "disconnect")?;
            self.report.exit_value = Some(super::namelist::json(&Value::Object(values)));
        }
        self.flush().await;
        if self.hung_up.is_none() {
            self.hung_up = Some(CallEnd::Disconnect);
        }
        Err(Event::new(HANGUP, Some("the application disconnected".into())).into())
    }

    /// `<script>`, inline or fetched (as `script`, with `scriptmaxage`…).
    /// Its variables go to the innermost scope.
    pub(crate) async fn script(&mut self, s: &Script) -> Result<(), Jump> {
        match &s.source {
            ScriptSource::Inline { text, start } => {
                let name = self.source();
                let origin = Origin {
                    name: &name,
                    line: start.line,
                    column: start.column,
                };
                self.engine
                    .run_script(text, &origin)
                    .map_err(|e| self.script_event(s.span, "script", e).into())
            }
            ScriptSource::Src(src) => {
                let src = self.value_or_expr(src, s.span, "script")?;
                let url = self.resolve_uri(&src)?;
                let req = self.request(url, ResourceType::Script, &s.fetch)?;
                let fetched = self
                    .fetch(&req, None)
                    .await
                    .map_err(|e| Event::from_fetch(&e))?;
                let text = decode_script(fetched.body(), s.charset.as_deref())
                    .map_err(|why| Event::badfetch(format!("{}: {why}", fetched.final_url)))?;
                let name = fetched.final_url.to_string();
                let origin = Origin {
                    name: &name,
                    line: 1,
                    column: 1,
                };
                self.engine
                    .run_script(&text, &origin)
                    .map_err(|e| self.script_event(s.span, "script", e).into())
            }
        }
    }

    /// `<log>`: its content (text and `<value>`s), then 2.1's `expr`.
    fn log(&mut self, l: &Log) -> Result<(), Jump> {
        let mut message = String::new();
        for part in &l.content {
            match part {
                LogPart::Text(t) => message.push_str(t),
                LogPart::Value(e) => message.push_str(
                    &self
                        .engine
                        .eval_string(e.as_str())
                        .map_err(|err| self.script_event(l.span, "value", err))?,
                ),
            }
        }
        if let Some(e) = &l.expr {
            message.push_str(
                &self
                    .engine
                    .eval_string(e.as_str())
                    .map_err(|err| self.script_event(l.span, "log", err))?,
            );
        }
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        self.record_log(LogRecord {
            label: l.label.clone(),
            message,
        });
        Ok(())
    }

    fn throw(&mut self, t: &Throw) -> Result<(), Jump> {
        let name = self.value_or_expr(&t.event, t.span, "throw")?;
        let message = match &t.message {
            Some(m) => Some(self.value_or_expr(m, t.span, "throw")?),
            None => None,
        };
        Err(Event::new(name, message).into())
    }

    /// `<data>` (2.1): fetched as `data` (with `datamaxage`…), parsed once by
    /// the cache, and, when named, declared in the innermost scope as a DOM.
    pub(crate) async fn data(&mut self, d: &crate::vxml::Data) -> Result<(), Jump> {
        let src = self.value_or_expr(&d.src, d.span, "data")?;
        let url = self.resolve_uri(&src)?;
        let req = self.submission(
            url,
            ResourceType::Data,
            &d.namelist,
            d.method,
            d.enctype.as_deref(),
            &d.fetch,
            d.span,
            "data",
        )?;
        let parsers = Arc::clone(&self.parsers);
        let fetched = self
            .fetch_planned(req, Some(&parsers.data))
            .await
            .map_err(|e| Event::from_fetch(&e))?;
        let Some(name) = &d.name else { return Ok(()) };
        let tree = fetched
            .parsed_as::<super::XmlTree>()
            .ok_or_else(|| Event::badfetch(format!("{}: not XML", fetched.final_url)))?;
        self.engine
            .declare_derived(name, &Provenance::of(&tree), |ctx, helpers| {
                super::dom::build(&tree, helpers, ctx)
            })
            .map_err(|e| self.script_event(d.span, "data", e).into())
    }

    /// `<foreach>` (2.1): runs the content once per element of a shallow copy
    /// of the array, with `item` declared in the innermost scope.
    async fn foreach(&mut self, f: &Foreach<Executable>) -> Result<Ran, Jump> {
        let (slot, count) = self.foreach_start(f)?;
        let mut result = Ok(Ran::default());
        for i in 0..count {
            let step = match self.foreach_item(f, &slot, i) {
                Ok(()) => self.exec(&f.content).await,
                Err(j) => Err(j),
            };
            result = match (result, step) {
                (Ok(ran), Ok(next)) => Ok(ran.and(next)),
                (_, Err(j)) | (Err(j), _) => Err(j),
            };
            if result.is_err() {
                break;
            }
        }
        self.hidden -= 1;
        result
    }

    /// Copies a `<foreach>` array (evaluated once) into a hidden variable of
    /// the innermost scope, declares the item variable, and returns the
    /// copy's name and length. Hidden names go by nesting depth, so the
    /// texts evaluated repeat and stay compiled. The caller decrements
    /// `hidden` when the loop ends.
    pub(crate) fn foreach_start<T>(&mut self, f: &Foreach<T>) -> Result<(String, u32), Jump> {
        let slot = format!("$vxb_foreach_{}", self.hidden);
        let copy = format!(
            "(function (a) {{ if (!Array.isArray(a)) {{ throw new TypeError('<foreach array> is not an array'); }} return a.slice(); }})({})",
            f.array.as_str()
        );
        let declared = self
            .engine
            .declare(&slot, Some(&copy))
            .and_then(|()| self.engine.declare(&format!("{slot}_i"), None))
            .and_then(|()| self.engine.eval(&format!("{slot}.length")))
            .and_then(|len| self.engine.declare(&f.item, None).map(|()| len));
        let len = declared.map_err(|e| self.script_event(f.span, "foreach", e))?;
        self.hidden += 1;
        let n = match len {
            Value::Number(n) => n,
            _ => 0.0,
        };
        // An array longer than u32 cannot exist in memory anyway.
        Ok((slot, n.clamp(0.0, f64::from(u32::MAX)) as u32))
    }

    /// Sets the `<foreach>` item variable to element `i` of the copy.
    pub(crate) fn foreach_item<T>(
        &mut self,
        f: &Foreach<T>,
        slot: &str,
        i: u32,
    ) -> Result<(), Jump> {
        let index = format!("{slot}_i");
        self.engine
            .assign_value(&index, &Value::Number(f64::from(i)))
            .and_then(|()| self.engine.assign(&f.item, &format!("{slot}[{index}]")))
            .map_err(|e| self.script_event(f.span, "foreach", e).into())
    }

    /// A request for `url` as `rtype` from the running content, with the
    /// element's fetch attributes and the properties in force.
    pub(crate) fn request(
        &mut self,
        url: url::Url,
        rtype: ResourceType,
        attrs: &FetchAttrs,
    ) -> Result<FetchRequest, Event> {
        // Before the first document, the start URL is the user's.
        let referrer = match &self.frame.here {
            Some(here) => Referrer::Document(here.url.clone()),
            None => Referrer::User,
        };
        let mut req = FetchRequest::get(url, rtype, referrer);
        self.properties().apply(&mut req, attrs)?;
        Ok(req)
    }

    /// [`request`](Self::request) for a document or `<data>`, with the
    /// fetch audio to play while it is slow.
    pub(crate) fn planned(
        &mut self,
        url: url::Url,
        rtype: ResourceType,
        attrs: &FetchAttrs,
    ) -> Result<Planned, Event> {
        let req = self.request(url, rtype, attrs)?;
        let fetch_audio = self.plan_fetch_audio(&req, attrs)?;
        Ok(Planned { req, fetch_audio })
    }
}

/// A fetched script's text: `charset` when given (UTF-8 and Latin-1 are
/// understood), else UTF-8 (a byte order mark is skipped).
fn decode_script(body: &[u8], charset: Option<&str>) -> Result<String, String> {
    let charset = charset.map(|c| c.trim().to_ascii_lowercase());
    match charset.as_deref() {
        None | Some("utf-8" | "utf8") => {
            let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
            String::from_utf8(body.to_vec()).map_err(|e| {
                format!(
                    "script is not valid UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                )
            })
        }
        Some("iso-8859-1" | "latin1" | "latin-1" | "us-ascii" | "ascii") => {
            Ok(body.iter().map(|&b| char::from(b)).collect())
        }
        Some(other) => Err(format!(
            "script charset `{other}` is not supported (use UTF-8)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_decode_by_charset() {
        assert_eq!(
            decode_script(b"\xEF\xBB\xBFvar a;", None).as_deref(),
            Ok("var a;")
        );
        assert_eq!(
            decode_script(b"var s = '\xe9';", Some("ISO-8859-1")).as_deref(),
            Ok("var s = 'é';")
        );
        assert!(decode_script(b"\xff", None).is_err());
        assert!(
            decode_script(b"x", Some("shift_jis"))
                .unwrap_err()
                .contains("shift_jis")
        );
    }
}
