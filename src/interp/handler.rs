//! Running the handler an event selects (VoiceXML 2.0 §5.2): counting the
//! event where it was thrown, choosing the handler (`events`), and running
//! it as if it were copied into that place — in a new anonymous scope of
//! the current dialog, with `_event` and `_message` declared — or, with no
//! author handler, doing what §5.2.5's default handler does.

use super::events::{self, DefaultAction, Event, Layers, Owner};
use super::{Interpreter, Jump, Leave};
use crate::call::CallEnd;
use crate::script::{ScopeKind, Value};

impl Interpreter {
    /// Handles `e`, thrown at form item `item` of the current form (or at
    /// the form, or outside any dialog). `Ok(reprompt)`: the handler
    /// finished; `reprompt` says whether the item's prompts play again.
    /// `Err`: the handler (or the default one) left: a new event, a goto,
    /// the end of the call.
    pub(crate) async fn handle(
        &mut self,
        e: Event,
        layers: &Layers<'_>,
        item: Option<usize>,
    ) -> Result<bool, Jump> {
        self.step()?;
        let counters = match self.frame.form.as_mut() {
            Some(form) => match item.and_then(|i| form.items.get_mut(i)) {
                Some(state) => &mut state.counters,
                None => &mut form.counters,
            },
            None => &mut self.frame.counters,
        };
        counters.bump(&e.name);
        let counters = counters.clone();
        let engine = &mut self.engine;
        let selected = layers.select(&e.name, &counters, |cond| {
            engine.eval_bool(cond).unwrap_or(false)
        });
        let Some((catch, owner)) = selected else {
            return self.default_handler(e);
        };
        self.record_event(&e, true, false);
        let at = match owner {
            Owner::Document => self.frame.here.as_ref().map(|h| h.at()),
            Owner::Root => self
                .frame
                .here
                .as_ref()
                .map(|h| h.root_at().unwrap_or_else(|| h.at())),
        };
        self.written_in(at, async |it| it.run_handler(&e, &catch.content).await)
            .await
    }

    async fn run_handler(
        &mut self,
        e: &Event,
        content: &[crate::vxml::Executable],
    ) -> Result<bool, Jump> {
        if let Err(err) = self.engine.push_scope(ScopeKind::Anonymous) {
            return Err(Leave::End(self.fatal(Event::semantic(format!(
                "cannot run the handler of {}: {err}",
                e.name
            ))))
            .into());
        }
        let message = e.message.clone().map_or(Value::Undefined, Value::String);
        let declared = self
            .engine
            .declare_value("_event", &Value::String(e.name.clone()))
            .and_then(|()| self.engine.declare_value("_message", &message));
        let result = match declared {
            Ok(()) => self.exec(content).await,
            Err(err) => Err(Jump::Throw(Event::semantic(err.to_string()))),
        };
        self.engine.pop_scope();
        result.map(|ran| ran.reprompted)
    }

    /// §5.2.5: reprompt, carry on, or end the call.
    fn default_handler(&mut self, e: Event) -> Result<bool, Jump> {
        self.record_event(&e, true, true);
        match events::default_action(&e.name) {
            DefaultAction::Reprompt => Ok(true),
            DefaultAction::Continue => Ok(false),
            DefaultAction::Exit => {
                let end = if events::catches("connection.disconnect", &e.name) {
                    self.hung_up.clone().unwrap_or(CallEnd::Hangup)
                } else {
                    CallEnd::Error {
                        message: e.message_text(),
                        event: e.name,
                    }
                };
                Err(Leave::End(end).into())
            }
        }
    }
}
