//! The ECMAScript engine a call runs on: one `boa_engine::Context`, the
//! VoiceXML scope stack over it, and the compiled-text cache. An engine
//! serves one call at a time and may serve many calls in turn (see
//! `shelf`): [`ScriptEngine::start_call`] and [`ScriptEngine::end_call`]
//! bracket each, and an engine whose built-ins a call changed is not reused.

use boa_engine::object::builtins::JsProxy;
use boa_engine::property::PropertyDescriptor;
use boa_engine::vm::RuntimeLimits;
use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsString, JsValue};

use super::baseline::Baseline;
use super::compile::{self, Compiler, Kind, Provenance, is_identifier};
use super::derived::{Derived, Helpers};
use super::error::{self, ScriptError, UNDECLARED};
use super::nesting;
use super::session::{self, Recognition, Session};
use super::value::{self, Value};

/// Bounds on what one evaluation may do. A script that exceeds one fails with
/// [`ScriptError::Limit`] (→ `error.semantic`); the call goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Loop iterations per function activation (boa counts per call frame,
    /// so nested loops in one function share the budget). Default 1,000,000:
    /// a fraction of a second in a release build.
    pub loop_iterations: u64,
    /// Nested calls. Default 400, which fits a 2 MiB thread stack even when
    /// the recursion goes through native functions (`[].map(f)`).
    pub recursion: usize,
    /// Values on the engine's operand stack. Default 10,240 (boa's default).
    pub stack_values: usize,
    /// Compiled texts kept per engine before the cache starts afresh.
    /// Default 4,096.
    pub compiled_texts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            loop_iterations: 1_000_000,
            recursion: 400,
            stack_values: 10 * 1024,
            compiled_texts: 4096,
        }
    }
}

/// The VoiceXML variable scopes (§5.1.2), outermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeKind {
    Session,
    Application,
    Document,
    Dialog,
    /// Blocks, `<filled>`, event handlers; these nest.
    Anonymous,
}

impl ScopeKind {
    /// The name that addresses this scope explicitly (`document.x`).
    pub fn name(self) -> Option<&'static str> {
        match self {
            ScopeKind::Session => Some("session"),
            ScopeKind::Application => Some("application"),
            ScopeKind::Document => Some("document"),
            ScopeKind::Dialog => Some("dialog"),
            ScopeKind::Anonymous => None,
        }
    }

    fn from_name(name: &str) -> Option<ScopeKind> {
        [
            ScopeKind::Session,
            ScopeKind::Application,
            ScopeKind::Document,
            ScopeKind::Dialog,
        ]
        .into_iter()
        .find(|k| k.name() == Some(name))
    }
}

/// What [`ScriptEngine::enter_application`] did with the application scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppTransition {
    /// Same application root: its variables live on. Do not re-run the
    /// root document's declarations.
    Kept,
    /// A new, empty application scope: run the root document's `<var>` and
    /// `<script>` into it now (while it is the innermost scope).
    Reset,
}

/// Which object a new document scope is (see [`ScriptEngine::enter_document`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentScope {
    /// A leaf document: a fresh, empty document scope.
    Own,
    /// The application root document itself is the current document: its
    /// variables are application variables, so `document` and
    /// `application` name the same scope.
    ApplicationRoot,
}

/// Where a script's text sits in its document, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    /// File name or URL.
    pub name: &'a str,
    /// Line and column of the script text's first character.
    pub line: u32,
    pub column: u32,
}

#[derive(Clone)]
struct Scope {
    kind: ScopeKind,
    object: JsObject,
}

/// The scopes of a calling dialog, set aside while a subdialog runs.
struct Saved {
    scopes: Vec<Scope>,
    app_root: Option<String>,
}

/// A call's ECMAScript state: the boa context, the scope stack
/// (session → application → document → dialog → anonymous…), and the
/// compiled-text cache.
///
/// **Not `Send`**: boa's values are reference-counted for one thread. Create
/// the engine on the thread (or `LocalSet` task) that runs the call, and keep
/// it there; the parsed documents it reads are shared, it is not.
///
/// The global object holds only the ECMAScript built-ins: document variables
/// live on the scope objects, and creating a global by assigning an
/// undeclared name fails with [`ScriptError::Undeclared`].
///
/// Reuse: after `end_call` says the engine is clean, the next call's
/// `start_call` finds no scope, variable or changed built-in of the last
/// one; only what was derived from cached resources is kept — compiled
/// texts (pure functions of their text, see `compile`) and deeply frozen
/// host objects such as `<data>` DOMs (see `derived`).
pub struct ScriptEngine {
    scopes: Vec<Scope>,
    /// The application root the application scope belongs to (`None`: a
    /// document without one).
    app_root: Option<String>,
    saved: Vec<Saved>,
    compiler: Compiler,
    /// `Object.keys`, captured before any script could replace it.
    object_keys: JsObject,
    limits: Limits,
    /// The built-ins as they were made, to refuse reuse after a change.
    baseline: Baseline,
    /// Calls started on this engine.
    calls: u32,
    /// Host objects made from cached resources (`derived`).
    derived: Derived,
    // Last, so every handle above is dropped before the context.
    context: Context,
}

/// Calls one engine serves at most. The context's string interner and the
/// compiler's grow with every new text; retiring an engine now and then
/// bounds them, at the cost of one new context (and its texts compiled
/// again, a few milliseconds) per this many calls.
const CALLS_PER_ENGINE: u32 = 10_000;

impl ScriptEngine {
    /// A fresh engine with the session scope filled from `session`.
    pub fn new(limits: Limits, session: &Session) -> Result<ScriptEngine, ScriptError> {
        let mut engine = ScriptEngine::blank(limits)?;
        engine.start_call(limits, session)?;
        Ok(engine)
    }

    /// A fresh engine with no call started.
    pub(crate) fn blank(limits: Limits) -> Result<ScriptEngine, ScriptError> {
        let mut context = Context::builder()
            .host_hooks(std::rc::Rc::new(Hooks))
            // Promise jobs were never run (the interpreter runs no event
            // loop); dropping them at once also keeps them from holding a
            // call's objects after it ended.
            .job_executor(std::rc::Rc::new(boa_engine::job::IdleJobExecutor))
            .build()
            .map_err(|e| ScriptError::Scope(format!("cannot create the script engine: {e}")))?;
        set_runtime_limits(&mut context, limits);
        trap_undeclared_assignment(&mut context)?;
        guard_json_parse(&mut context)?;
        let object_keys = context
            .intrinsics()
            .constructors()
            .object()
            .constructor()
            .get(JsString::from("keys"), &mut context)
            .map_err(|e| error::from_js(e, &mut context))?
            .as_callable()
            .ok_or_else(|| ScriptError::Scope("Object.keys is not callable".into()))?;
        let baseline = Baseline::take(&mut context);
        Ok(ScriptEngine {
            scopes: Vec::new(),
            app_root: None,
            saved: Vec::new(),
            compiler: Compiler::new(limits.compiled_texts),
            object_keys,
            limits,
            baseline,
            calls: 0,
            derived: Derived::default(),
            context,
        })
    }

    /// Starts a call: a new session scope filled from `session`, and nothing
    /// else. Call on a blank engine or after [`end_call`](Self::end_call)
    /// returned `true`.
    pub(crate) fn start_call(
        &mut self,
        limits: Limits,
        session: &Session,
    ) -> Result<(), ScriptError> {
        if limits != self.limits {
            set_runtime_limits(&mut self.context, limits);
            self.compiler.set_max_entries(limits.compiled_texts);
            self.limits = limits;
        }
        self.calls += 1;
        self.scopes.clear();
        let session_scope = new_scope(ScopeKind::Session, &mut self.context)?;
        session::fill_session(&session_scope, session, &mut self.context)?;
        self.scopes.push(Scope {
            kind: ScopeKind::Session,
            object: session_scope,
        });
        Ok(())
    }

    /// Ends the call: drops every scope (and with them every variable of the
    /// call) and the compiled texts no later call can hit. Returns whether
    /// the engine may serve another call: its built-ins are as they were made
    /// and it has not served its share of calls.
    pub(crate) fn end_call(&mut self) -> bool {
        self.scopes.clear();
        self.saved.clear();
        self.app_root = None;
        self.compiler.end_call();
        self.derived.end_call();
        self.calls < CALLS_PER_ENGINE && self.baseline.unchanged(&mut self.context)
    }

    /// Texts evaluated from now on come from `provenance` (the document
    /// being run): their compiled code is kept with it (see `compile`).
    pub fn set_provenance(&mut self, provenance: Option<Provenance>) {
        self.compiler.set_provenance(provenance);
    }

    /// How many provenances have compiled texts kept.
    #[cfg(test)]
    pub(crate) fn provenances(&self) -> usize {
        self.compiler.provenances()
    }

    /// How many built-in objects the reuse check compares.
    #[cfg(test)]
    pub(crate) fn baseline_objects(&self) -> usize {
        self.baseline.len()
    }

    // ----- the scope stack ---------------------------------------------------------

    /// The scope kinds from outermost to innermost.
    pub fn scopes(&self) -> Vec<ScopeKind> {
        self.scopes.iter().map(|s| s.kind).collect()
    }

    /// The innermost scope: where `<var>` and `<script>` declare.
    pub fn current_scope(&self) -> ScopeKind {
        self.innermost().kind
    }

    fn innermost(&self) -> &Scope {
        // The session scope is never popped while a call runs.
        &self.scopes[self.scopes.len() - 1]
    }

    /// Pushes a new, empty scope. Scopes nest in the order of [`ScopeKind`]
    /// (each kind directly inside the one before it); anonymous scopes nest
    /// inside anything but the session.
    pub fn push_scope(&mut self, kind: ScopeKind) -> Result<(), ScriptError> {
        let inner = self.current_scope();
        let allowed = match kind {
            ScopeKind::Session => false,
            ScopeKind::Anonymous => inner != ScopeKind::Session,
            ScopeKind::Application => inner == ScopeKind::Session,
            ScopeKind::Document => inner == ScopeKind::Application,
            ScopeKind::Dialog => inner == ScopeKind::Document,
        };
        if !allowed {
            return Err(ScriptError::Scope(format!(
                "cannot push a {kind:?} scope inside a {inner:?} scope"
            )));
        }
        let object = new_scope(kind, &mut self.context)?;
        self.scopes.push(Scope { kind, object });
        Ok(())
    }

    /// Pops the innermost scope, never the session's. Returns what was popped.
    pub fn pop_scope(&mut self) -> Option<ScopeKind> {
        if self.scopes.len() <= 1 {
            return None;
        }
        let popped = self.scopes.pop().map(|s| s.kind);
        if popped == Some(ScopeKind::Application) {
            self.app_root = None;
        }
        popped
    }

    /// Pops every scope inside the innermost one of `kind` (keeping it).
    fn pop_inside(&mut self, kind: ScopeKind) {
        while self.current_scope() > kind {
            self.pop_scope();
        }
    }

    /// Moves to a document whose application root is `root` (its absolute
    /// URL; `None` for a document without one). Leaves only session and
    /// application scopes. The application scope is kept when `root` is the
    /// same root as before, else replaced by an empty one (§1.5.2).
    pub fn enter_application(&mut self, root: Option<&str>) -> Result<AppTransition, ScriptError> {
        let same = root.is_some()
            && root == self.app_root.as_deref()
            && self.scopes.iter().any(|s| s.kind == ScopeKind::Application);
        if same {
            self.pop_inside(ScopeKind::Application);
            return Ok(AppTransition::Kept);
        }
        self.pop_inside(ScopeKind::Session);
        // A new object per application: functions defined by the previous
        // root's scripts keep their own scope, and nothing leaks across.
        self.push_scope(ScopeKind::Application)?;
        self.app_root = root.map(str::to_string);
        Ok(AppTransition::Reset)
    }

    /// Starts the current document's scope, dropping any previous document,
    /// dialog and anonymous scopes. Call [`enter_application`](Self::enter_application) first.
    pub fn enter_document(&mut self, which: DocumentScope) -> Result<(), ScriptError> {
        if !self.scopes.iter().any(|s| s.kind == ScopeKind::Application) {
            return Err(ScriptError::Scope(
                "enter_document before enter_application".into(),
            ));
        }
        self.pop_inside(ScopeKind::Application);
        match which {
            DocumentScope::Own => self.push_scope(ScopeKind::Document),
            DocumentScope::ApplicationRoot => {
                let app = self.innermost().object.clone();
                define_self_name(&app, ScopeKind::Document, &mut self.context)?;
                self.scopes.push(Scope {
                    kind: ScopeKind::Document,
                    object: app,
                });
                Ok(())
            }
        }
    }

    /// Starts a dialog's scope, dropping any previous dialog and anonymous scopes.
    pub fn enter_dialog(&mut self) -> Result<(), ScriptError> {
        if !self.scopes.iter().any(|s| s.kind == ScopeKind::Document) {
            return Err(ScriptError::Scope("enter_dialog outside a document".into()));
        }
        self.pop_inside(ScopeKind::Document);
        self.push_scope(ScopeKind::Dialog)
    }

    /// Sets the caller's scopes aside for a subdialog, which starts with the
    /// session scope only (a subdialog is a new execution context, §2.3.4).
    pub fn enter_subdialog(&mut self) {
        let scopes = self.scopes.split_off(1);
        self.saved.push(Saved {
            scopes,
            app_root: self.app_root.take(),
        });
    }

    /// Returns from a subdialog to the caller's scopes.
    pub fn leave_subdialog(&mut self) -> Result<(), ScriptError> {
        let saved = self
            .saved
            .pop()
            .ok_or_else(|| ScriptError::Scope("leave_subdialog without enter_subdialog".into()))?;
        self.scopes.truncate(1);
        self.scopes.extend(saved.scopes);
        self.app_root = saved.app_root;
        Ok(())
    }

    // ----- variables ---------------------------------------------------------------

    /// `<var name expr>`: declares `name` in the innermost scope (shadowing
    /// outer ones), initialised to `expr` evaluated first, or `undefined`.
    pub fn declare(&mut self, name: &str, expr: Option<&str>) -> Result<(), ScriptError> {
        let value = match expr {
            Some(e) => self.eval_js(e)?,
            None => JsValue::undefined(),
        };
        self.declare_js(name, value)
    }

    /// Declares `name` in the innermost scope with a value from Rust.
    pub fn declare_value(&mut self, name: &str, value: &Value) -> Result<(), ScriptError> {
        let value = value::to_js(value, &mut self.context)?;
        self.declare_js(name, value)
    }

    /// Declares `name` with a value built natively against the context (for
    /// host objects such as the DOM of `<data>`).
    pub fn declare_native(
        &mut self,
        name: &str,
        build: impl FnOnce(&mut Context) -> JsResult<JsValue>,
    ) -> Result<(), ScriptError> {
        let value = build(&mut self.context).map_err(|e| error::from_js(e, &mut self.context))?;
        self.declare_js(name, value)
    }

    /// Declares `name` with the host object made from the cached resource
    /// `source` by `build` — built once per engine and kept for later calls
    /// while the cache holds the resource (see `derived`). What `build`
    /// returns must be deeply frozen: later calls share it.
    pub fn declare_derived(
        &mut self,
        name: &str,
        source: &Provenance,
        build: impl FnOnce(&mut Context, &mut Helpers<'_>) -> JsResult<JsValue>,
    ) -> Result<(), ScriptError> {
        let value = self
            .derived
            .get_or_build(source, &mut self.context, build)
            .map_err(|e| error::from_js(e, &mut self.context))?;
        self.declare_js(name, value)
    }

    /// Host objects built (`declare_derived`) since this was last asked:
    /// the shelf counts them, so tests and benchmarks can see that a call
    /// reading a cached `<data>` document on a reused engine builds none.
    pub(crate) fn take_derived_built(&mut self) -> u64 {
        self.derived.take_made()
    }

    fn declare_js(&mut self, name: &str, value: JsValue) -> Result<(), ScriptError> {
        if !is_identifier(name) {
            return Err(ScriptError::BadName {
                name: name.to_string(),
                reason: "a declared name is a plain identifier, without scope prefix (§5.3.1)",
            });
        }
        let scope = self.writable_innermost()?;
        scope
            .create_data_property_or_throw(JsString::from(name), value, &mut self.context)
            .map(|_| ())
            .map_err(|e| error::from_js(e, &mut self.context))
    }

    /// The innermost scope, unless it is the read-only session.
    fn writable_innermost(&self) -> Result<JsObject, ScriptError> {
        match self.innermost() {
            s if s.kind == ScopeKind::Session => Err(ScriptError::Scope(
                "the session scope is read-only; enter an application first".into(),
            )),
            s => Ok(s.object.clone()),
        }
    }

    /// `<assign name expr>`: sets the nearest declaration of `name` (which
    /// may be scope-qualified, `document.x`, or a property path `o.a`).
    /// An undeclared name is [`ScriptError::Undeclared`].
    pub fn assign(&mut self, name: &str, expr: &str) -> Result<(), ScriptError> {
        let value = self.eval_js(expr)?;
        self.set_js(name, value)
    }

    /// Assigns a value from Rust, with [`assign`](Self::assign)'s rules.
    pub fn assign_value(&mut self, name: &str, value: &Value) -> Result<(), ScriptError> {
        let value = value::to_js(value, &mut self.context)?;
        self.set_js(name, value)
    }

    /// `<clear>` of one variable: sets it to `undefined`.
    pub fn clear(&mut self, name: &str) -> Result<(), ScriptError> {
        self.set_js(name, JsValue::undefined())
    }

    fn set_js(&mut self, path: &str, value: JsValue) -> Result<(), ScriptError> {
        // `scope.name`: the scope must declare `name` itself; JavaScript would
        // quietly create the property instead.
        if let Some((prefix, rest)) = path.split_once('.')
            && !rest.contains('.')
            && let Some(kind) = ScopeKind::from_name(prefix)
        {
            let Some(scope) = self
                .scopes
                .iter()
                .rev()
                .find(|s| s.kind == kind)
                .map(|s| s.object.clone())
            else {
                return Err(ScriptError::Undeclared {
                    origin: None,
                    name: path.to_string(),
                });
            };
            let ctx = &mut self.context;
            let key = JsString::from(rest);
            let declared = scope
                .has_own_property(key.clone(), ctx)
                .map_err(|e| error::from_js(e, ctx))?;
            if !declared {
                return Err(ScriptError::Undeclared {
                    origin: None,
                    name: path.to_string(),
                });
            }
            return scope
                .set(key, value, true, ctx)
                .map(|_| ())
                .map_err(|e| error::from_js(e, ctx));
        }
        let compiled = self.compiler.get(
            Kind::AssignTarget,
            self.scopes.len(),
            path,
            &mut self.context,
        )?;
        let mut args = self.scope_args();
        args.push(value);
        self.call(&compiled.function, &args).map(|_| ())
    }

    /// Sets `application.lastresult$` (§5.1.5) from the latest recognition.
    pub fn set_last_result(&mut self, results: &[Recognition]) -> Result<(), ScriptError> {
        let app = self
            .scopes
            .iter()
            .rev()
            .find(|s| s.kind == ScopeKind::Application)
            .map(|s| s.object.clone())
            .ok_or_else(|| ScriptError::Scope("no application scope for lastresult$".into()))?;
        session::set_last_result(&app, results, &mut self.context)
    }

    // ----- evaluation --------------------------------------------------------------

    /// Evaluates an expression in the current scope chain.
    pub fn eval(&mut self, expr: &str) -> Result<Value, ScriptError> {
        let v = self.eval_js(expr)?;
        value::from_js(&v, &self.object_keys, &mut self.context)
    }

    /// Evaluates a condition (`cond`): ECMAScript truthiness.
    pub fn eval_bool(&mut self, cond: &str) -> Result<bool, ScriptError> {
        Ok(self.eval_js(cond)?.to_boolean())
    }

    /// Evaluates an expression to a string, as `<value>` and `<log>` show it
    /// (ECMAScript `ToString`).
    pub fn eval_string(&mut self, expr: &str) -> Result<String, ScriptError> {
        let v = self.eval_js(expr)?;
        v.to_string(&mut self.context)
            .map(|s| s.to_std_string_lossy())
            .map_err(|e| error::from_js(e, &mut self.context))
    }

    fn eval_js(&mut self, expr: &str) -> Result<JsValue, ScriptError> {
        let compiled = self
            .compiler
            .get(Kind::Expr, self.scopes.len(), expr, &mut self.context)?;
        let args = self.scope_args();
        self.call(&compiled.function, &args)
    }

    /// Runs a `<script>` body in the innermost scope: its top-level `var`s and
    /// functions become variables of that scope. Errors name `origin` and
    /// give document positions.
    pub fn run_script(&mut self, source: &str, origin: &Origin<'_>) -> Result<(), ScriptError> {
        self.run_script_inner(source).map_err(|e| {
            let e = match e {
                ScriptError::Syntax {
                    line,
                    column,
                    message,
                    ..
                } => ScriptError::Syntax {
                    origin: None,
                    line: origin.line.saturating_add(line.saturating_sub(1)),
                    column: if line == 1 {
                        origin.column.saturating_add(column.saturating_sub(1))
                    } else {
                        column
                    },
                    message,
                },
                other => other,
            };
            e.with_origin(origin.name)
        })
    }

    fn run_script_inner(&mut self, source: &str) -> Result<(), ScriptError> {
        let scope = self.writable_innermost()?;
        let compiled =
            self.compiler
                .get(Kind::Script, self.scopes.len(), source, &mut self.context)?;
        let ctx = &mut self.context;
        for name in compiled.var_names.iter() {
            let declared = scope
                .has_own_property(name.clone(), ctx)
                .map_err(|e| error::from_js(e, ctx))?;
            if !declared {
                scope
                    .create_data_property_or_throw(name.clone(), JsValue::undefined(), ctx)
                    .map_err(|e| error::from_js(e, ctx))?;
            }
        }
        let args = self.scope_args();
        self.call(&compiled.function, &args).map(|_| ())
    }

    /// How many texts this engine has compiled (each text once per scope
    /// depth; repeated evaluations reuse the compiled function).
    pub fn compilations(&self) -> u64 {
        self.compiler.compilations()
    }

    fn scope_args(&self) -> Vec<JsValue> {
        self.scopes
            .iter()
            .map(|s| s.object.clone().into())
            .collect()
    }

    fn call(&mut self, function: &JsObject, args: &[JsValue]) -> Result<JsValue, ScriptError> {
        function
            .call(&JsValue::undefined(), args, &mut self.context)
            .map_err(|e| error::from_js(e, &mut self.context))
    }
}

fn set_runtime_limits(context: &mut Context, limits: Limits) {
    let mut runtime = RuntimeLimits::default();
    runtime.set_loop_iteration_limit(limits.loop_iterations);
    runtime.set_recursion_limit(limits.recursion);
    runtime.set_stack_size_limit(limits.stack_values);
    context.set_runtime_limits(runtime);
}

/// A new scope object: no prototype (so `toString` and friends resolve to the
/// globals, not to `Object.prototype` through every `with`), and, for named
/// scopes, a property naming the scope itself.
fn new_scope(kind: ScopeKind, ctx: &mut Context) -> Result<JsObject, ScriptError> {
    let object = JsObject::with_null_proto();
    define_self_name(&object, kind, ctx)?;
    Ok(object)
}

fn define_self_name(
    object: &JsObject,
    kind: ScopeKind,
    ctx: &mut Context,
) -> Result<(), ScriptError> {
    let Some(name) = kind.name() else {
        return Ok(());
    };
    object
        .define_property_or_throw(
            JsString::from(name),
            PropertyDescriptor::builder()
                .value(object.clone())
                .writable(false)
                .enumerable(false)
                .configurable(false),
            ctx,
        )
        .map(|_| ())
        .map_err(|e| error::from_js(e, ctx))
}

/// The host hooks of the engine: the defaults, except that `eval` and the
/// `Function` constructor refuse text nested deeper than the stack left on
/// this thread holds (they parse on the current stack, and boa's parser
/// would overflow it, aborting the process).
struct Hooks;

/// Stack kept free below what `eval`'d text may use.
const EVAL_STACK_RESERVE: usize = 256 * 1024;

impl boa_engine::context::HostHooks for Hooks {
    fn ensure_can_compile_strings(
        &self,
        _realm: boa_engine::realm::Realm,
        parameters: &[JsString],
        body: &JsString,
        _direct: bool,
        _context: &mut Context,
    ) -> JsResult<()> {
        let remaining = stacker::remaining_stack().unwrap_or(0);
        let bounds = nesting::Bounds::for_stack(remaining.saturating_sub(EVAL_STACK_RESERVE));
        let texts = parameters
            .iter()
            .map(|p| (p, true))
            .chain(std::iter::once((body, false)));
        for (text, expression) in texts {
            if let Err(r) = nesting::check(&text.to_std_string_lossy(), expression, bounds) {
                return Err(JsNativeError::syntax()
                    .with_message(format!(
                        "{} at line {}, column {}",
                        r.message, r.line, r.column
                    ))
                    .into());
            }
        }
        Ok(())
    }
}

/// Makes `JSON.parse` run on a large stack: boa bounds the JSON depth (128)
/// but builds the result recursively, which overflows a 2 MiB thread in a
/// debug build at about 100 levels.
fn guard_json_parse(ctx: &mut Context) -> Result<(), ScriptError> {
    use boa_engine::native_function::NativeFunction;

    fn on_large_stack(
        this: &JsValue,
        args: &[JsValue],
        original: &JsObject,
        ctx: &mut Context,
    ) -> JsResult<JsValue> {
        stacker::grow(compile::COMPILE_STACK, || original.call(this, args, ctx))
    }
    let json = ctx
        .global_object()
        .get(JsString::from("JSON"), ctx)
        .map_err(|e| error::from_js(e, ctx))?
        .as_object()
        .ok_or_else(|| ScriptError::Scope("no JSON object".into()))?;
    let original = json
        .get(JsString::from("parse"), ctx)
        .map_err(|e| error::from_js(e, ctx))?
        .as_callable()
        .ok_or_else(|| ScriptError::Scope("JSON.parse is not callable".into()))?;
    let function = NativeFunction::from_copy_closure_with_captures(on_large_stack, original)
        .to_js_function(ctx.realm());
    json.set(JsString::from("parse"), function, true, ctx)
        .map(|_| ())
        .map_err(|e| error::from_js(e, ctx))
}

/// Makes the global object's prototype a proxy whose `set` trap throws: a
/// sloppy-mode assignment to a name no scope declares reaches the global
/// object's [[Set]], finds no own property and asks the prototype, which now
/// refuses. Reads of undeclared names still throw the usual ReferenceError,
/// and `typeof undeclared` is still `"undefined"`.
fn trap_undeclared_assignment(ctx: &mut Context) -> Result<(), ScriptError> {
    fn refuse(_this: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
        let name = match args.get(1) {
            Some(key) => key.to_string(ctx)?.to_std_string_lossy(),
            None => String::new(),
        };
        Err(JsNativeError::reference()
            .with_message(format!("{UNDECLARED}{name}"))
            .into())
    }
    let global = ctx.global_object();
    let target = global.prototype().unwrap_or_else(JsObject::with_null_proto);
    let proxy = JsProxy::builder(target)
        .set(refuse)
        .build(ctx)
        .map_err(|e| error::from_js(e, ctx))?;
    if global.set_prototype(Some(proxy.into())) {
        Ok(())
    } else {
        Err(ScriptError::Scope(
            "cannot install the undeclared-assignment trap".into(),
        ))
    }
}
