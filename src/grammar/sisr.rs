//! Semantic interpretation (SISR 1.0) of a derivation: each rule's value,
//! bottom-up, the root rule's being the result.
//!
//! - A rule starts with `out` an empty object. Its tags run in document
//!   order: `semantics/1.0` tags as ECMAScript that sees `out`, `rules.X`
//!   (the value of the latest match of rule X referenced from this rule),
//!   `rules.latest()`, `meta.X.text`, `meta.latest().text` and
//!   `meta.current().text` (`score` too, always 1); `var`s declared in one
//!   tag are seen by the rule's later tags. A `semantics/1.0-literals` tag
//!   sets `out` to its trimmed text.
//! - A rule in which no tag ran has its matched text as value (SISR default
//!   assignment): tokens joined by single spaces, as the caller said them.
//! - A builtin's value is its rule's value.
//! - Tags directly under `<grammar>` run first, in the global scope.
//!
//! When no script tag is on the path the values are computed here in Rust;
//! otherwise one boa `Context` is made for the whole derivation and every
//! tag runs in it. Each rule's tags run inside one generator whose scope
//! holds `out`, `rules` and `meta`, so a direct `eval` of each tag sees the
//! rule's earlier `var`s.

use boa_engine::{Context, JsObject, JsValue, Source, js_string};
use serde_json::Value;

use super::error::{GrammarError, Pos};
use super::link::Linked;
use super::matcher::Event;
use super::model::TagFormat;
use super::tokens::{Token, join};

/// Loop iterations a tag may run before it is stopped (a tag that never
/// ends must not hang the call).
const LOOP_LIMIT: u64 = 1_000_000;
/// Nested function calls a tag may make.
const RECURSION_LIMIT: usize = 256;

/// The value of the root rule of the derivation `events` over `tokens`.
pub(crate) fn interpret(
    linked: &Linked,
    tokens: &[Token],
    events: &[Event],
) -> Result<Value, GrammarError> {
    let scripted = events.iter().any(|e| match e {
        Event::Tag { grammar, .. } => linked.grammars[*grammar].tag_format == TagFormat::Script,
        _ => false,
    });
    if scripted {
        Script::new(linked)?.run(linked, tokens, events)
    } else {
        Ok(plain(linked, tokens, events))
    }
}

fn span_text(tokens: &[Token], start: usize, end: usize) -> String {
    tokens.get(start..end).map(join).unwrap_or_default()
}

/// Interpretation without script: literal tags and builtin values set `out`.
fn plain(linked: &Linked, tokens: &[Token], events: &[Event]) -> Value {
    let mut frames: Vec<Option<Value>> = Vec::new();
    let mut result = Value::Null;
    for event in events {
        match event {
            Event::Enter { .. } => frames.push(None),
            Event::Tag { grammar, tag } => {
                if let Some(top) = frames.last_mut() {
                    let text = linked.grammars[*grammar]
                        .tags
                        .get(*tag as usize)
                        .map_or("", |t| &*t.text);
                    *top = Some(Value::from(text.trim()));
                }
            }
            Event::Value(v) => {
                if let Some(top) = frames.last_mut() {
                    *top = Some(v.clone());
                }
            }
            Event::Exit { start, end, .. } => {
                let value = frames
                    .pop()
                    .flatten()
                    .unwrap_or_else(|| Value::from(span_text(tokens, *start, *end)));
                if frames.is_empty() {
                    result = value;
                }
            }
        }
    }
    result
}

/// The ECMAScript side: rule frames kept on a stack in the engine.
const PRELUDE: &str = r#"
(function () {
  var frames = [];
  function* body(rules, meta) {
    var out = {};
    var $sisr$src = yield out;
    while (true) {
      if (typeof $sisr$src === 'string') { eval($sisr$src); } else { out = $sisr$src.v; }
      $sisr$src = yield out;
    }
  }
  function hide(o, k, f) {
    Object.defineProperty(o, k, { value: f, enumerable: false, writable: true, configurable: true });
  }
  function top() { return frames[frames.length - 1]; }
  return {
    enter: function (text) {
      var f = { rules: {}, meta: {}, text: text, tagged: false, latest: undefined, latestMeta: undefined };
      var current = { text: text, score: 1.0 };
      hide(f.rules, 'latest', function () { return f.latest; });
      hide(f.meta, 'current', function () { return current; });
      hide(f.meta, 'latest', function () { return f.latestMeta; });
      f.gen = body(f.rules, f.meta);
      f.out = f.gen.next().value;
      frames.push(f);
    },
    tag: function (src) { var f = top(); f.tagged = true; f.out = f.gen.next(src).value; },
    assign: function (v) { var f = top(); f.tagged = true; f.out = f.gen.next({ v: v }).value; },
    exit: function (name) {
      var f = frames.pop();
      var value = f.tagged ? f.out : f.text;
      var p = top();
      if (p !== undefined) {
        var m = { text: f.text, score: 1.0 };
        p.rules[name] = value; p.latest = value;
        p.meta[name] = m; p.latestMeta = m;
      }
      return value;
    }
  };
})()
"#;

struct Script {
    context: Context,
    enter: JsObject,
    tag: JsObject,
    assign: JsObject,
    exit: JsObject,
}

impl Script {
    fn new(linked: &Linked) -> Result<Script, GrammarError> {
        let mut context = Context::default();
        context
            .runtime_limits_mut()
            .set_loop_iteration_limit(LOOP_LIMIT);
        context
            .runtime_limits_mut()
            .set_recursion_limit(RECURSION_LIMIT);
        let internal = |e: String| GrammarError::Script {
            url: linked.grammars[0].url.to_string(),
            at: Pos::START,
            message: format!("interpreter setup: {e}"),
        };
        let runtime = context
            .eval(Source::from_bytes(PRELUDE))
            .map_err(|e| internal(e.to_string()))?
            .as_object()
            .ok_or_else(|| internal("prelude is not an object".into()))?;
        let mut function = |name: &str| -> Result<JsObject, GrammarError> {
            runtime
                .get(js_string!(name), &mut context)
                .map_err(|e| internal(e.to_string()))?
                .as_callable()
                .ok_or_else(|| internal(format!("`{name}` is not callable")))
        };
        let (enter, tag, assign, exit) = (
            function("enter")?,
            function("tag")?,
            function("assign")?,
            function("exit")?,
        );
        let mut script = Script {
            context,
            enter,
            tag,
            assign,
            exit,
        };
        // Grammar header tags: declarations every rule of the grammar sees.
        for g in &linked.grammars {
            if g.tag_format != TagFormat::Script {
                continue;
            }
            for &t in &g.header_tags {
                let Some(tag) = g.tags.get(t as usize) else {
                    continue;
                };
                script
                    .context
                    .eval(Source::from_bytes(tag.text.as_bytes()))
                    .map_err(|e| GrammarError::Script {
                        url: g.url.to_string(),
                        at: tag.at,
                        message: e.to_string(),
                    })?;
            }
        }
        Ok(script)
    }

    /// Calls one of the runtime's functions; a failure is the author's
    /// error (`ReferenceError: x is not defined`), without the stack of the
    /// runtime's own frames around it.
    fn call(&mut self, f: &JsObject, arg: JsValue) -> Result<JsValue, String> {
        f.call(&JsValue::undefined(), &[arg], &mut self.context)
            .map_err(|e| match e.try_native(&mut self.context) {
                Ok(native) => format!("{}: {}", native.kind(), native.message()),
                // A thrown value that is no Error object (`throw "oops"`).
                Err(_) => format!("uncaught exception: {e}"),
            })
    }

    fn run(
        mut self,
        linked: &Linked,
        tokens: &[Token],
        events: &[Event],
    ) -> Result<Value, GrammarError> {
        let mut depth = 0usize;
        // The rules entered and not yet left, innermost last: a failing tag
        // names the rule it is in.
        let mut rules: Vec<(usize, u32)> = Vec::new();
        for event in events {
            // Where to blame a failure: the tag, else the rule.
            let (grammar, at, outcome) = match event {
                Event::Enter {
                    grammar,
                    rule,
                    start,
                    end,
                } => {
                    depth += 1;
                    rules.push((*grammar, *rule));
                    let text = js_string!(span_text(tokens, *start, *end));
                    let f = self.enter.clone();
                    (
                        *grammar,
                        rule_pos(linked, *grammar, *rule),
                        self.call(&f, text.into()).map(drop),
                    )
                }
                Event::Tag { grammar, tag } => {
                    let g = &linked.grammars[*grammar];
                    let (text, at) = g
                        .tags
                        .get(*tag as usize)
                        .map_or(("", Pos::START), |t| (&*t.text, t.at));
                    let src = match g.tag_format {
                        TagFormat::Script => text.to_string(),
                        // A literal is assigned as a JSON string, which is an ECMAScript string literal.
                        TagFormat::Literals => format!("out = {};", Value::from(text.trim())),
                    };
                    let f = self.tag.clone();
                    let rule = rules
                        .last()
                        .and_then(|&(g, r)| linked.grammars[g].rules.get(r as usize))
                        .map_or("", |r| &*r.name);
                    let outcome = self
                        .call(&f, js_string!(src).into())
                        .map(drop)
                        .map_err(|e| format!("in rule `{rule}`, <tag>{}</tag>: {e}", text.trim()));
                    (*grammar, at, outcome)
                }
                Event::Value(v) => {
                    let f = self.assign.clone();
                    let outcome = JsValue::from_json(v, &mut self.context)
                        .map_err(|e| e.to_string())
                        .and_then(|v| self.call(&f, v).map(drop));
                    (0, Pos::START, outcome)
                }
                Event::Exit { grammar, rule, .. } => {
                    depth = depth.saturating_sub(1);
                    rules.pop();
                    let name = linked.grammars[*grammar]
                        .rules
                        .get(*rule as usize)
                        .map_or("", |r| &*r.name);
                    let f = self.exit.clone();
                    let at = rule_pos(linked, *grammar, *rule);
                    match self.call(&f, js_string!(name).into()) {
                        Ok(value) if depth == 0 => {
                            return match value.to_json(&mut self.context) {
                                Ok(v) => Ok(whole_numbers_as_integers(v.unwrap_or(Value::Null))),
                                Err(e) => Err(GrammarError::Script {
                                    url: linked.grammars[*grammar].url.to_string(),
                                    at,
                                    message: format!("the result cannot be represented: {e}"),
                                }),
                            };
                        }
                        outcome => (*grammar, at, outcome.map(drop)),
                    }
                }
            };
            if let Err(message) = outcome {
                return Err(GrammarError::Script {
                    url: linked.grammars[grammar].url.to_string(),
                    at,
                    message,
                });
            }
        }
        Ok(Value::Null)
    }
}

/// ECMAScript has one number type; whether boa hands back `1302` as an
/// integer or a float depends on how it was computed. Integral values are
/// made integers so the interpreter (and JSON reports) see `1302`, not
/// `1302.0`.
fn whole_numbers_as_integers(v: Value) -> Value {
    /// Beyond 2^53 a float no longer holds every integer exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(whole_numbers_as_integers).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, whole_numbers_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

fn rule_pos(linked: &Linked, grammar: usize, rule: u32) -> Pos {
    linked.grammars[grammar]
        .rules
        .get(rule as usize)
        .map_or(Pos::START, |r| r.at)
}
