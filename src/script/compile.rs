//! Turning expression and script text into functions over the scope chain,
//! once per text.
//!
//! Every piece of text is compiled into a function whose parameters are the
//! scope objects, outermost first, and whose body evaluates the text inside
//! `with (scope0) with (scope1) … { … }`. Name lookup therefore walks the
//! VoiceXML scopes from the innermost outwards, and plain assignment updates
//! the nearest scope that declares the name (a prototype chain would create
//! the property on the innermost object instead). The function depends only
//! on the text and the number of scopes, so it is cached under both and
//! called with whichever scope objects are current. The wrapper is an arrow
//! function: it has no `arguments`, `callee` or `prototype` through which
//! a text could reach (and mark) the cached function itself, which outlives
//! the call when the engine is reused.
//!
//! Compiled code is a derived form of the resource its text came from, so
//! the cache is keyed by that resource too (a [`Provenance`]: the parsed
//! document the interpreter is running, held by its `Arc` so the identity
//! cannot be reused). A call whose documents come from the HTTP cache gets
//! the same `Arc`s again and finds its texts compiled; a call whose
//! documents were fetched and parsed afresh (caching disabled, or a changed
//! document) compiles them again. Entries go when nothing but this cache
//! holds their resource any more ([`Compiler::end_call`]); texts evaluated
//! with no provenance are kept for the current call only.
//!
//! Scripts need two more things to behave as VoiceXML says (§5.3.12: a
//! script's variables and functions land in the current scope):
//! - its top-level `var` names are declared on the innermost scope object
//!   before it runs, so `var x = 1` resolves `x` there through the `with`
//!   chain (the function-local `var` binding is shadowed by the `with`);
//! - its top-level function declarations (block-scoped inside the wrapper)
//!   are copied onto the innermost scope object at the start, and its
//!   top-level `let`/`const`/`class` names at the end.
//!
//! The text is first parsed on its own with `boa_parser`: that gives syntax
//! errors positioned in the author's text (not in the wrapper), the declared
//! names, and a guarantee the text cannot close the wrapper early.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

use boa_engine::ast::declaration::Declaration;
use boa_engine::ast::expression::Expression;
use boa_engine::ast::operations::{bound_names, lexically_declared_names, var_declared_names};
use boa_engine::ast::scope::Scope;
use boa_engine::ast::statement::Statement;
use boa_engine::ast::{Position, StatementListItem};
use boa_engine::interner::{Interner, Sym};
use boa_engine::parser::{Parser, Source};
use boa_engine::{Context, JsObject, JsString};

use super::error::{self, ScriptError};
use super::nesting;

/// The stack compilation runs on. boa's parser and compiler recurse per
/// nesting level; [`nesting`] bounds the levels so that this much stack
/// holds any text it lets through, whatever thread the engine runs on. The
/// memory is reserved, and only the pages a compilation touches are used.
pub(crate) const COMPILE_STACK: usize = 256 * 1024 * 1024;

/// What a text is compiled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An expression; the function returns its value.
    Expr,
    /// A `<script>` body.
    Script,
    /// An assignment target (`a`, `a.b.c`); the function takes the value as
    /// one more parameter.
    AssignTarget,
}

/// A compiled text.
#[derive(Clone)]
pub(crate) struct Compiled {
    pub function: JsObject,
    /// For scripts: the top-level `var` names, to declare before running.
    pub var_names: std::rc::Rc<[JsString]>,
}

/// Where the texts being evaluated come from: the parsed resource (a
/// VoiceXML document) that holds them. Compiled code is cached per
/// provenance; two provenances are the same when they hold the same
/// allocation.
#[derive(Clone)]
pub struct Provenance(Arc<dyn Any + Send + Sync>);

impl Provenance {
    /// The provenance of texts held by `resource`.
    pub fn of<T: Any + Send + Sync>(resource: &Arc<T>) -> Provenance {
        Provenance(Arc::clone(resource) as Arc<dyn Any + Send + Sync>)
    }

    /// The resource's address: equal for provenances of one resource, and
    /// never reused while a provenance holds it.
    pub(crate) fn key(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<()>() as usize
    }

    /// A name for the resource that does not hold it, for what an engine
    /// keeps after a call.
    pub(crate) fn remember(&self) -> Remembered {
        Remembered(Arc::downgrade(&self.0))
    }
}

/// A resource as an engine remembers it between calls: without holding it
/// (engines must not keep each other's documents alive once the HTTP cache
/// let go of them), yet keeping its address from being reused (a `Weak`
/// keeps the allocation).
pub(crate) struct Remembered(Weak<dyn Any + Send + Sync>);

impl Remembered {
    /// Whether something — the cache, or a call running it — still holds the
    /// resource.
    pub(crate) fn alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

/// Resources an engine keeps derived forms of (compiled texts, DOMs) after a
/// call, at most: the most recently used ones. Without a bound, an engine
/// would keep forms of every resource any concurrent call still holds (a
/// document evicted from the cache but still running elsewhere), and with
/// N engines per worker that grows as N × (calls × documents).
pub(crate) const KEPT_RESOURCES: usize = 32;

/// At the end of a call: of `map`'s entries (keyed by resource), keeps
/// those whose resource something else still holds, and of those the
/// [`KEPT_RESOURCES`] most recently `used`.
pub(crate) fn retain_kept<V>(
    map: &mut HashMap<usize, V>,
    provenance: impl Fn(&V) -> Option<&Remembered>,
    used: impl Fn(&V) -> u64,
) {
    map.retain(|_, v| provenance(v).is_some_and(Remembered::alive));
    if map.len() > KEPT_RESOURCES {
        let mut stamps: Vec<u64> = map.values().map(&used).collect();
        stamps.sort_unstable_by(|a, b| b.cmp(a));
        let oldest_kept = stamps[KEPT_RESOURCES - 1];
        map.retain(|_, v| used(v) >= oldest_kept);
    }
}

impl std::fmt::Debug for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provenance({:#x})", self.key())
    }
}

/// Text → the (kind, depth) variants compiled from it. Keyed by the text
/// alone so a lookup borrows it instead of allocating a key.
type Texts = HashMap<Box<str>, Vec<(Kind, usize, Compiled)>>;

/// The compiled texts of one provenance.
struct SourceTexts {
    provenance: Option<Remembered>,
    texts: Texts,
    /// When a call last ran texts of it (the compiler's `tick`).
    used: u64,
}

/// The per-engine cache of compiled texts.
pub(crate) struct Compiler {
    interner: Interner,
    /// Provenance key (0: none) → its compiled texts.
    cache: HashMap<usize, SourceTexts>,
    /// The key texts are compiled under now.
    current: usize,
    provenance: Option<Provenance>,
    entries: usize,
    max_entries: usize,
    compilations: u64,
    /// Counts `set_provenance` calls: the clock of `SourceTexts::used`.
    tick: u64,
}

/// Parameter names of the wrapper: `$vxb0…` are the scope objects, `$vxbv`
/// the value of an assignment. Authors' names never start with `$vxb` in
/// practice; the prefix is reserved.
fn scope_param(i: usize) -> String {
    format!("$vxb{i}")
}

impl Compiler {
    pub fn new(max_entries: usize) -> Self {
        Compiler {
            interner: Interner::default(),
            cache: HashMap::new(),
            current: 0,
            provenance: None,
            entries: 0,
            max_entries: max_entries.max(1),
            compilations: 0,
            tick: 0,
        }
    }

    pub fn set_max_entries(&mut self, max_entries: usize) {
        self.max_entries = max_entries.max(1);
    }

    /// How many texts have been compiled (cache misses) so far.
    pub fn compilations(&self) -> u64 {
        self.compilations
    }

    /// Texts evaluated from now on come from `provenance` (`None`: from
    /// nothing cached, e.g. before the first document).
    pub fn set_provenance(&mut self, provenance: Option<Provenance>) {
        self.current = provenance.as_ref().map_or(0, Provenance::key);
        self.provenance = provenance;
        self.tick += 1;
        if let Some(source) = self.cache.get_mut(&self.current) {
            source.used = self.tick;
        }
    }

    /// A call ended: forgets the texts of no provenance, those whose
    /// resource nothing else holds any more (evicted from the HTTP cache,
    /// or never in it), and all but the [`KEPT_RESOURCES`] most recently
    /// used, so what stays is what a later call is likely to hit.
    pub fn end_call(&mut self) {
        self.set_provenance(None);
        let before = self.cache.len();
        retain_kept(&mut self.cache, |s| s.provenance.as_ref(), |s| s.used);
        if self.cache.len() != before {
            self.entries = self
                .cache
                .values()
                .flat_map(|s| s.texts.values())
                .map(Vec::len)
                .sum();
        }
    }

    /// How many provenances have compiled texts kept.
    #[cfg(test)]
    pub fn provenances(&self) -> usize {
        self.cache.len()
    }

    /// The function for `text` as `kind` over `depth` scopes, compiling it on
    /// first use.
    pub fn get(
        &mut self,
        kind: Kind,
        depth: usize,
        text: &str,
        ctx: &mut Context,
    ) -> Result<Compiled, ScriptError> {
        if let Some(found) = self
            .cache
            .get(&self.current)
            .and_then(|source| source.texts.get(text))
            .and_then(|v| v.iter().find(|(k, d, _)| *k == kind && *d == depth))
        {
            return Ok(found.2.clone());
        }
        let compiled = if fits_in_place(kind, text) {
            self.compile(kind, depth, text, ctx)
        } else {
            stacker::grow(COMPILE_STACK, || self.compile(kind, depth, text, ctx))
        }?;
        self.compilations += 1;
        if self.entries >= self.max_entries {
            // Documents have a bounded set of expressions; a text stream that
            // is not (generated expressions) just starts the cache afresh.
            self.cache.clear();
            self.entries = 0;
        }
        let (provenance, tick) = (&self.provenance, self.tick);
        self.cache
            .entry(self.current)
            .or_insert_with(|| SourceTexts {
                provenance: provenance.as_ref().map(Provenance::remember),
                texts: Texts::new(),
                used: tick,
            })
            .texts
            .entry(text.into())
            .or_default()
            .push((kind, depth, compiled.clone()));
        self.entries += 1;
        Ok(compiled)
    }

    fn compile(
        &mut self,
        kind: Kind,
        depth: usize,
        text: &str,
        ctx: &mut Context,
    ) -> Result<Compiled, ScriptError> {
        let params: Vec<String> = (0..depth).map(scope_param).collect();
        let withs: String = params.iter().map(|p| format!("with({p})")).collect();
        let innermost = scope_param(depth.saturating_sub(1));
        let mut var_names = Vec::new();
        // Line 1 of every wrapper is the header; the author's text starts on line 2.
        let wrapper = match kind {
            Kind::Expr => {
                self.check_expression(text)?;
                // A literal needs no scope chain; the scopes passed are ignored.
                let withs = if refers_to_no_name(text) { "" } else { &withs };
                format!(
                    "(({})=>{{{withs}{{return (\n{text}\n);}}}})",
                    params.join(",")
                )
            }
            Kind::AssignTarget => {
                check_assign_target(text)?;
                format!(
                    "(({},$vxbv)=>{{{withs}{{{text}=$vxbv;}}}})",
                    params.join(",")
                )
            }
            Kind::Script => {
                let shape = self.analyze_script(text)?;
                let export = |names: &[String]| -> String {
                    names
                        .iter()
                        .map(|n| format!("{innermost}[{}]={n};", quote(n)))
                        .collect()
                };
                let (functions, lexicals) = (export(&shape.functions), export(&shape.lexicals));
                var_names = shape
                    .vars
                    .iter()
                    .map(|v| JsString::from(v.as_str()))
                    .collect();
                format!(
                    "(({})=>{{{withs}{{{functions}\n{text}\n;{lexicals}}}}})",
                    params.join(",")
                )
            }
        };
        let function = ctx
            .eval(Source::from_bytes(&wrapper))
            .map_err(|e| error::from_js(e, ctx))
            .and_then(|f| {
                f.as_callable().ok_or_else(|| ScriptError::Runtime {
                    origin: None,
                    name: "InternalError".into(),
                    message: "the compiled wrapper is not a function".into(),
                })
            })
            .map_err(|e| match e {
                // The text parsed alone, so a wrapper syntax error is in the
                // text's relation to the wrapper; report it at the text start.
                ScriptError::Runtime { name, message, .. } if name == "SyntaxError" => {
                    ScriptError::Syntax {
                        origin: None,
                        line: 1,
                        column: 1,
                        message,
                    }
                }
                other => other,
            })?;
        Ok(Compiled {
            function,
            var_names: var_names.into(),
        })
    }

    /// Parses `text` as a script (for an expression, wrapped in parentheses on
    /// their own lines, so line `n + 1` of the parse is line `n` of the text).
    fn parse(
        &mut self,
        source: &str,
        line_offset: u32,
        text: &str,
    ) -> Result<boa_engine::ast::Script, ScriptError> {
        Parser::new(Source::from_bytes(source))
            .parse_script(&Scope::new_global(), &mut self.interner)
            .map_err(|e| syntax_error(&e, line_offset, text))
    }

    fn check_expression(&mut self, text: &str) -> Result<(), ScriptError> {
        nesting::check(text, true, nesting::COMPILE_BOUNDS).map_err(refusal)?;
        let script = self.parse(&format!("(\n{text}\n)"), 1, text)?;
        // One statement, the parenthesised expression: anything else means the
        // text closed the parenthesis itself (`1); (2`).
        match script.statements().statements() {
            [StatementListItem::Statement(s)]
                if matches!(&**s, Statement::Expression(Expression::Parenthesized(_))) =>
            {
                Ok(())
            }
            _ => Err(ScriptError::Syntax {
                origin: None,
                line: 1,
                column: 1,
                message: "expected a single expression".into(),
            }),
        }
    }

    fn analyze_script(&mut self, text: &str) -> Result<ScriptShape, ScriptError> {
        nesting::check(text, false, nesting::COMPILE_BOUNDS).map_err(refusal)?;
        let script = self.parse(text, 0, text)?;
        let name = |interner: &Interner, sym: Sym| interner.resolve_expect(sym).to_string();
        let mut functions = Vec::new();
        for item in script.statements().statements() {
            if let StatementListItem::Declaration(d) = item
                && matches!(
                    &**d,
                    Declaration::FunctionDeclaration(_)
                        | Declaration::GeneratorDeclaration(_)
                        | Declaration::AsyncFunctionDeclaration(_)
                        | Declaration::AsyncGeneratorDeclaration(_)
                )
            {
                functions.extend(
                    bound_names(&**d)
                        .into_iter()
                        .map(|s| name(&self.interner, s)),
                );
            }
        }
        let mut vars: Vec<String> = var_declared_names(&script)
            .into_iter()
            .map(|s| name(&self.interner, s))
            .collect();
        // Deterministic order (the set is a hash set) for reproducible runs.
        vars.sort();
        let lexicals = lexically_declared_names(&script)
            .into_iter()
            .map(|s| name(&self.interner, s))
            .collect();
        Ok(ScriptShape {
            vars,
            functions,
            lexicals,
        })
    }
}

/// The names a script declares at its top level.
struct ScriptShape {
    vars: Vec<String>,
    functions: Vec<String>,
    lexicals: Vec<String>,
}

/// Stack kept free below what an in-place compilation may use: the wrapper
/// adds a few levels to the text's, and the engine's own frames sit on top.
const IN_PLACE_RESERVE: usize = 1 << 20;

/// Whether an expression names nothing — a literal such as `'step1'`, `[]`
/// or `2 * 30` — so its value does not depend on any scope. A quarter of a
/// typical document's expressions are such literals (`<var>` initial
/// values), and evaluating one inside the scope chain's `with` blocks cost
/// as much as an expression that looks names up. Conservative: any letter,
/// `$`, `_`, backslash, backtick, slash or non-ASCII character outside a
/// quoted string counts as a name (so `true`, `1e3` and `/re/` do too).
fn refers_to_no_name(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => loop {
                match chars.next() {
                    None | Some('\n' | '\r') => return false,
                    Some('\\') => {
                        chars.next();
                    }
                    Some(q) if q == c => break,
                    Some(_) => {}
                }
            },
            c if !c.is_ascii()
                || c.is_ascii_alphabetic()
                || matches!(c, '$' | '_' | '\\' | '`' | '/') =>
            {
                return false;
            }
            _ => {}
        }
    }
    true
}

/// Whether `text` is shallow enough to compile on the current stack. Most
/// texts are (`a + 1`, a short script): compiling them in place spares
/// mapping a fresh [`COMPILE_STACK`], which costs more than the compilation.
/// The rest — and any text on a thread whose stack is unknown — go to the
/// large stack, where [`nesting::COMPILE_BOUNDS`] decides.
fn fits_in_place(kind: Kind, text: &str) -> bool {
    let remaining = stacker::remaining_stack().unwrap_or(0);
    let bounds = nesting::Bounds::for_stack(remaining.saturating_sub(IN_PLACE_RESERVE));
    bounds.nesting > 0 && nesting::check(text, kind != Kind::Script, bounds).is_ok()
}

pub(crate) fn refusal(r: nesting::Refusal) -> ScriptError {
    ScriptError::Syntax {
        origin: None,
        line: r.line,
        column: r.column,
        message: r.message,
    }
}

/// A JavaScript string literal for `s`.
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Whether `s` is an identifier as the wrapper can use it unquoted.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&s)
}

const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "await",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
];

/// An assignment target: identifiers joined by dots (`x`, `document.x`, `o.a.b`).
fn check_assign_target(text: &str) -> Result<(), ScriptError> {
    if text.split('.').count() <= 32 && text.split('.').all(is_identifier) {
        Ok(())
    } else {
        Err(ScriptError::BadName {
            name: text.to_string(),
            reason: "expected a variable name, optionally scope-qualified or a property path",
        })
    }
}

/// A parse error as a [`ScriptError::Syntax`] positioned in `text`. The parse
/// saw `line_offset` extra lines before the text.
fn syntax_error(e: &boa_engine::parser::Error, line_offset: u32, text: &str) -> ScriptError {
    use boa_engine::parser::Error as E;
    use boa_engine::parser::lexer::Error as Lex;
    let (message, position): (String, Option<Position>) = match e {
        E::Expected {
            expected,
            found,
            context,
            span,
        } => (
            format!(
                "expected {}, got '{found}' in {context}",
                expected.join(" or ")
            ),
            Some(span.start()),
        ),
        E::Unexpected {
            message,
            found,
            span,
        } => (
            format!("unexpected token '{found}', {message}"),
            Some(span.start()),
        ),
        E::General { message, position } => (message.to_string(), Some(*position)),
        E::Lex {
            err: Lex::Syntax(message, position),
        } => (message.to_string(), Some(*position)),
        E::AbruptEnd => ("unexpected end of input".into(), None),
        other => (other.to_string(), None),
    };
    let end = end_position(text);
    let (line, column, message) = match position {
        Some(p) => {
            let line = p.line_number().saturating_sub(line_offset);
            if line == 0 {
                (1, 1, message)
            } else if line > end.0 {
                // The parser stopped on the bracket vxb wrapped the text in,
                // which the author never wrote: the text ended too soon.
                (end.0, end.1, "unexpected end of the expression".to_string())
            } else {
                (line, p.column_number(), message)
            }
        }
        None => (end.0, end.1, message),
    };
    ScriptError::Syntax {
        origin: None,
        line,
        column,
        message,
    }
}

/// The line and column just past the end of `text`.
fn end_position(text: &str) -> (u32, u32) {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Whether `text` parses as a script, without running it: the syntax error
/// with its line and column (within `text`) if not. `vxb lint` checks every
/// script it can see with this.
/// Whether `text` parses as one ECMAScript expression, as an `expr` or
/// `cond` attribute must (without running it): what `vxb lint` asks of
/// every such attribute. Positions are the expression's own.
pub fn check_expression_syntax(text: &str) -> Result<(), ScriptError> {
    Compiler::new(1).check_expression(text)
}

/// Whether `text` parses as a script (without running it): what `vxb lint`
/// asks of every `<script>`.
pub fn check_script_syntax(text: &str) -> Result<(), ScriptError> {
    nesting::check(text, false, nesting::COMPILE_BOUNDS).map_err(refusal)?;
    let mut interner = Interner::default();
    Parser::new(Source::from_bytes(text))
        .parse_script(&Scope::new_global(), &mut interner)
        .map(|_| ())
        .map_err(|e| syntax_error(&e, 0, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_told_from_expressions_that_name_something() {
        for literal in [
            "'step1'",
            "\"a\\\"b\"",
            "[]",
            "[1, 'two', [3]]",
            "2 * (30 + 1)",
            "'it\\'s' + \"x\"",
        ] {
            assert!(refers_to_no_name(literal), "{literal}");
        }
        for named in [
            "caller",
            "'a' + b",
            "true",
            "1e3",
            "({ a: 1 })",
            "this",
            "`x${y}`",
            "/re/.source",
            "'a' // c",
            "\\u0061",
            "é",
            "'unterminated",
        ] {
            assert!(!refers_to_no_name(named), "{named}");
        }
    }

    #[test]
    fn kept_resources_are_remembered_not_held_and_only_the_most_recent_stay() {
        let docs: Vec<Arc<String>> = (0..KEPT_RESOURCES + 8)
            .map(|i| Arc::new(format!("document {i}")))
            .collect();
        let mut kept: HashMap<usize, (Remembered, u64)> = HashMap::new();
        for (used, doc) in docs.iter().enumerate() {
            let p = Provenance::of(doc);
            kept.insert(p.key(), (p.remember(), used as u64));
        }
        // Remembering holds nothing: each document has its one owner.
        assert!(docs.iter().all(|d| Arc::strong_count(d) == 1));

        retain_kept(&mut kept, |v| Some(&v.0), |v| v.1);
        assert_eq!(kept.len(), KEPT_RESOURCES);
        assert!(kept.values().all(|v| v.1 >= 8), "the 8 least recent went");

        // Once the cache (here: `docs`) lets go, nothing is kept.
        drop(docs);
        retain_kept(&mut kept, |v| Some(&v.0), |v| v.1);
        assert!(kept.is_empty());
    }
}
