//! Events (VoiceXML 2.0 §5.2): what is thrown, how a handler is chosen, and
//! what happens when no author handler is.
//!
//! Selection follows §5.2.4 over the handlers "as if copied" into the place
//! the event was thrown (§5.2.2): the form item's, then the dialog's, the
//! document's and the application root's, each in document order. A handler
//! matches when one of its event names is a token prefix of the event's
//! (`error` catches `error.badfetch.http.404`, not `errors`), and its `cond`
//! is true. Counts are per event name *and every prefix of it* (a second
//! `error.semantic` makes the `error` counter 2 as well), kept by the form
//! item being visited and reset when its form is entered again; among the
//! matching handlers whose `count` has been reached, the highest count
//! wins, and among those the first in scope order.
//!
//! [`default_action`] is §5.2.5's table. The interpreter runs the handler;
//! this module only decides.

use std::collections::HashMap;

use crate::fetch::FetchError;
use crate::vxml::Catch;

/// An event on its way to a handler: `_event` and `_message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub name: String,
    pub message: Option<String>,
}

/// The event a caller's (or the application's) hangup throws.
pub(crate) const HANGUP: &str = "connection.disconnect.hangup";

impl Event {
    pub fn new(name: impl Into<String>, message: Option<String>) -> Event {
        Event {
            name: name.into(),
            message,
        }
    }

    /// `error.semantic`: a script or expression failed, or the document asked
    /// for something impossible at run time.
    pub fn semantic(message: impl Into<String>) -> Event {
        Event::new("error.semantic", Some(message.into()))
    }

    /// `error.badfetch`: something could not be fetched or was not usable.
    pub fn badfetch(message: impl Into<String>) -> Event {
        Event::new("error.badfetch", Some(message.into()))
    }

    /// `error.unsupported.<what>`.
    pub fn unsupported(what: &str, message: impl Into<String>) -> Event {
        Event::new(format!("error.unsupported.{what}"), Some(message.into()))
    }

    /// The event of a failed fetch (`error.badfetch`, `error.badfetch.http.NNN`).
    pub fn from_fetch(e: &FetchError) -> Event {
        Event::new(e.event(), Some(e.to_string()))
    }

    /// The message, or the empty string.
    pub fn message_text(&self) -> String {
        self.message.clone().unwrap_or_default()
    }
}

/// Whether a handler's event name `pattern` catches `event`: equal, or a
/// prefix ending at a `.` boundary. An empty pattern (or `.`) catches all.
pub(crate) fn catches(pattern: &str, event: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    pattern.is_empty()
        || event == pattern
        || (event.starts_with(pattern) && event.as_bytes().get(pattern.len()) == Some(&b'.'))
}

/// Per-event-name counters of one form item (or form, or document).
#[derive(Clone, Debug, Default)]
pub(crate) struct Counters(HashMap<String, u32>);

impl Counters {
    /// Counts one occurrence of `event`: its own name, every prefix of it,
    /// and the catch-all (the empty name).
    pub fn bump(&mut self, event: &str) {
        let mut bump = |k: &str| *self.0.entry(k.to_string()).or_insert(0) += 1;
        bump("");
        for (i, _) in event.match_indices('.') {
            bump(&event[..i]);
        }
        if !event.is_empty() {
            bump(event);
        }
    }

    /// How often an event caught by `pattern` has occurred.
    pub fn get(&self, pattern: &str) -> u32 {
        let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
        self.0.get(pattern).copied().unwrap_or(0)
    }
}

/// Where a handler was found: which document's content it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The current document (item, dialog or document level).
    Document,
    /// The application root document.
    Root,
}

/// The handlers in force where an event was thrown, innermost scope first.
#[derive(Default)]
pub(crate) struct Layers<'d> {
    layers: Vec<(&'d [Catch], Owner)>,
}

impl<'d> Layers<'d> {
    pub fn push(&mut self, catches: &'d [Catch], owner: Owner) {
        if !catches.is_empty() {
            self.layers.push((catches, owner));
        }
    }

    /// The handler §5.2.4 selects for `event`, given the counters of the
    /// place it was thrown and a `cond` evaluator (a `cond` that fails to
    /// evaluate counts as false: a broken guard must not hijack the event).
    pub fn select(
        &self,
        event: &str,
        counters: &Counters,
        mut cond: impl FnMut(&str) -> bool,
    ) -> Option<(&'d Catch, Owner)> {
        let mut best: Option<(&'d Catch, Owner)> = None;
        for &(handlers, owner) in &self.layers {
            for c in handlers {
                // The most specific of the handler's names that matches.
                let matched = if c.events.is_empty() {
                    Some("")
                } else {
                    c.events
                        .iter()
                        .map(String::as_str)
                        .filter(|p| catches(p, event))
                        .max_by_key(|p| p.len())
                };
                let Some(pattern) = matched else { continue };
                if c.count > counters.get(pattern) {
                    continue;
                }
                if best.is_some_and(|(b, _)| b.count >= c.count) {
                    continue;
                }
                if c.cond.as_ref().is_some_and(|e| !cond(e.as_str())) {
                    continue;
                }
                best = Some((c, owner));
            }
        }
        best
    }
}

/// What the platform does with an event no author handler took (§5.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DefaultAction {
    /// Play the item's prompts again and collect again (help, noinput,
    /// nomatch, maxspeechtimeout).
    Reprompt,
    /// Carry on without reprompting (cancel).
    Continue,
    /// End the call (errors, hangup, and every other event).
    Exit,
}

pub(crate) fn default_action(event: &str) -> DefaultAction {
    let is = |p: &str| catches(p, event);
    if is("help") || is("noinput") || is("nomatch") || is("maxspeechtimeout") {
        DefaultAction::Reprompt
    } else if is("cancel") {
        DefaultAction::Continue
    } else {
        DefaultAction::Exit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vxml::{Expr, Span};

    fn catch(events: &[&str], count: u32, cond: Option<&str>) -> Catch {
        Catch {
            events: events.iter().map(|e| e.to_string()).collect(),
            count,
            cond: cond.map(|c| Expr(c.to_string())),
            content: Vec::new(),
            span: Span::default(),
        }
    }

    #[test]
    fn names_match_by_token_prefix() {
        assert!(catches("error", "error.badfetch.http.404"));
        assert!(catches("error.badfetch", "error.badfetch"));
        assert!(catches("error.badfetch.", "error.badfetch.http.404"));
        assert!(catches("", "anything"));
        assert!(catches(".", "anything"));
        assert!(!catches("error", "errors"));
        assert!(!catches("error.bad", "error.badfetch"));
        assert!(!catches("error.badfetch.http", "error.badfetch"));
    }

    #[test]
    fn counters_count_every_prefix() {
        let mut c = Counters::default();
        c.bump("error.semantic");
        c.bump("error.badfetch.http.404");
        assert_eq!(c.get("error"), 2);
        assert_eq!(c.get("error.semantic"), 1);
        assert_eq!(c.get("error.badfetch"), 1);
        assert_eq!(c.get("error.badfetch.http.404"), 1);
        assert_eq!(c.get(""), 2);
        assert_eq!(c.get("nomatch"), 0);
    }

    #[test]
    fn selection_prefers_the_highest_reached_count_then_scope_order() {
        let item = [catch(&["nomatch"], 1, None), catch(&["nomatch"], 3, None)];
        let doc = [catch(&["nomatch"], 2, None), catch(&[], 1, None)];
        let mut layers = Layers::default();
        layers.push(&item, Owner::Document);
        layers.push(&doc, Owner::Root);
        let mut counters = Counters::default();
        counters.bump("nomatch");
        let pick = |c: &Counters| {
            layers
                .select("nomatch", c, |_| true)
                .map(|(c, o)| (c.count, o))
        };
        assert_eq!(pick(&counters), Some((1, Owner::Document)));
        counters.bump("nomatch");
        assert_eq!(pick(&counters), Some((2, Owner::Root)));
        counters.bump("nomatch");
        assert_eq!(pick(&counters), Some((3, Owner::Document)));
        counters.bump("nomatch");
        assert_eq!(pick(&counters), Some((3, Owner::Document)));
        // The catch-all takes what nothing else names.
        let mut c = Counters::default();
        c.bump("help");
        assert_eq!(
            layers
                .select("help", &c, |_| true)
                .map(|(c, _)| c.events.len()),
            Some(0)
        );
    }

    #[test]
    fn a_false_cond_passes_the_event_on() {
        let item = [
            catch(&["error"], 1, Some("false")),
            catch(&["error"], 1, None),
        ];
        let mut layers = Layers::default();
        layers.push(&item, Owner::Document);
        let mut c = Counters::default();
        c.bump("error.semantic");
        let (picked, _) = layers
            .select("error.semantic", &c, |e| e != "false")
            .expect("second handler");
        assert!(picked.cond.is_none());
        assert!(layers.select("nomatch", &c, |_| true).is_none());
    }

    #[test]
    fn default_actions_follow_the_table() {
        assert_eq!(default_action("noinput"), DefaultAction::Reprompt);
        assert_eq!(default_action("nomatch"), DefaultAction::Reprompt);
        assert_eq!(default_action("help"), DefaultAction::Reprompt);
        assert_eq!(default_action("maxspeechtimeout"), DefaultAction::Reprompt);
        assert_eq!(default_action("cancel"), DefaultAction::Continue);
        assert_eq!(default_action("error.badfetch"), DefaultAction::Exit);
        assert_eq!(default_action(HANGUP), DefaultAction::Exit);
        assert_eq!(default_action("com.example.custom"), DefaultAction::Exit);
        assert_eq!(default_action("helpdesk"), DefaultAction::Exit);
    }
}
