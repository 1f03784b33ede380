//! Engines kept between calls, one shelf per worker thread.
//!
//! Making a boa context (its built-ins) costs as much CPU as a whole call
//! that finds its documents cached, and the compiled texts live in the
//! context. So a worker keeps the engines its finished calls leave clean
//! and hands one to the next call. Many calls run on one worker at once,
//! each with an engine of its own; the shelf keeps a few spare. An engine is
//! put back only if [`ScriptEngine::end_call`] finds it clean (see
//! `baseline`); otherwise it is dropped and the next call gets a new one.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::engine::{Limits, ScriptEngine};
use super::error::ScriptError;
use super::session::Session;

/// Spare engines a shelf may keep even before its worker ran this many
/// calls at once. Beyond it the shelf keeps as many as the worker ever had
/// out at once (its peak): steady traffic at any concurrency then reuses
/// engines instead of making one per call, and the memory kept is what
/// the peak already took.
const SPARES: usize = 8;

/// The engines of one thread. Not `Send`, like the engines; its counts
/// ([`EngineShelf::with_counts`]) are, so other threads can read them.
#[derive(Default)]
pub struct EngineShelf {
    spare: RefCell<Vec<ScriptEngine>>,
    /// Engines out with running calls now, and the most there ever were.
    out: Cell<usize>,
    peak: Cell<usize>,
    counts: Arc<EngineCounts>,
}

/// What shelves did so far, readable from any thread.
#[derive(Debug, Default)]
pub struct EngineCounts {
    made: AtomicU64,
    reused: AtomicU64,
    discarded: AtomicU64,
    host_objects: AtomicU64,
}

impl EngineCounts {
    pub fn new() -> EngineCounts {
        EngineCounts::default()
    }

    pub fn stats(&self) -> ShelfStats {
        ShelfStats {
            made: self.made.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            discarded: self.discarded.load(Ordering::Relaxed),
            host_objects_built: self.host_objects.load(Ordering::Relaxed),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// What one or more shelves did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShelfStats {
    /// Engines made because none was spare.
    pub made: u64,
    /// Calls that got a spare engine.
    pub reused: u64,
    /// Engines given back and dropped: their built-ins changed, they served
    /// their share of calls, or the shelf already held its spares.
    pub discarded: u64,
    /// Host objects (`<data>` DOMs) built; a reused engine keeps those of
    /// cached documents, so a warm call builds none.
    pub host_objects_built: u64,
}

impl std::ops::Add for ShelfStats {
    type Output = ShelfStats;

    fn add(self, other: ShelfStats) -> ShelfStats {
        ShelfStats {
            made: self.made + other.made,
            reused: self.reused + other.reused,
            discarded: self.discarded + other.discarded,
            host_objects_built: self.host_objects_built + other.host_objects_built,
        }
    }
}

impl EngineShelf {
    pub fn new() -> EngineShelf {
        EngineShelf::default()
    }

    /// A shelf that counts into `counts` (which another thread may read).
    pub fn with_counts(counts: Arc<EngineCounts>) -> EngineShelf {
        EngineShelf {
            counts,
            ..EngineShelf::default()
        }
    }

    /// An engine for a new call, with `session` as its session scope: a
    /// spare one if there is one, else a new one.
    pub fn take(&self, limits: Limits, session: &Session) -> Result<ScriptEngine, ScriptError> {
        let spare = self.spare.borrow_mut().pop();
        let engine = match spare {
            Some(mut engine) => {
                engine.start_call(limits, session)?;
                bump(&self.counts.reused);
                engine
            }
            None => {
                let engine = ScriptEngine::new(limits, session)?;
                bump(&self.counts.made);
                engine
            }
        };
        let out = self.out.get() + 1;
        self.out.set(out);
        self.peak.set(self.peak.get().max(out));
        Ok(engine)
    }

    /// Ends the engine's call and keeps it for the next one if it is clean.
    pub fn give_back(&self, mut engine: ScriptEngine) {
        self.counts
            .host_objects
            .fetch_add(engine.take_derived_built(), Ordering::Relaxed);
        self.out.set(self.out.get().saturating_sub(1));
        let mut spare = self.spare.borrow_mut();
        if spare.len() < SPARES.max(self.peak.get()) && engine.end_call() {
            spare.push(engine);
        } else {
            bump(&self.counts.discarded);
        }
    }

    pub fn stats(&self) -> ShelfStats {
        self.counts.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{
        AppTransition, Connection, DocumentScope, Origin, Provenance, Recognition, Value,
    };

    const ROOT: &str = "http://example.com/app/root.vxml";

    fn session(remote: &str) -> Session {
        Session {
            connection: Connection {
                remote_uri: Some(remote.into()),
                ..Connection::default()
            },
            variables: Vec::new(),
        }
    }

    fn origin() -> Origin<'static> {
        Origin {
            name: "doc.vxml",
            line: 1,
            column: 1,
        }
    }

    /// An engine from `shelf`, inside an application and a document.
    fn call(shelf: &EngineShelf, remote: &str) -> ScriptEngine {
        let mut e = shelf
            .take(Limits::default(), &session(remote))
            .expect("engine");
        assert_eq!(
            e.enter_application(Some(ROOT)).expect("app"),
            AppTransition::Reset
        );
        e.enter_document(DocumentScope::Own).expect("document");
        e
    }

    #[test]
    fn a_shelf_keeps_as_many_spares_as_its_worker_had_calls_at_once() {
        let shelf = EngineShelf::new();
        let busy = SPARES * 3;
        let engines: Vec<ScriptEngine> = (0..busy).map(|_| call(&shelf, "sip:a@x")).collect();
        for e in engines {
            shelf.give_back(e);
        }
        let engines: Vec<ScriptEngine> = (0..busy).map(|_| call(&shelf, "sip:b@x")).collect();
        let stats = shelf.stats();
        assert_eq!(
            (stats.made, stats.reused, stats.discarded),
            (busy as u64, busy as u64, 0)
        );
        drop(engines);
    }

    fn typeof_(e: &mut ScriptEngine, name: &str) -> String {
        e.eval_string(&format!("typeof {name}")).expect("typeof")
    }

    #[test]
    fn a_reused_engine_shows_a_call_nothing_of_the_last() {
        let shelf = EngineShelf::new();
        let mut a = call(&shelf, "sip:a@example.com");
        a.declare("doc_var", Some("'a'")).unwrap();
        a.run_script(
            "var script_var = 1; function script_fn() { return 2; } let lexical = 3;",
            &origin(),
        )
        .unwrap();
        a.set_last_result(&[Recognition {
            utterance: "yes".into(),
            confidence: 0.9,
            interpretation: Value::from("yes"),
            inputmode: crate::script::InputMode::Voice,
            markname: None,
            marktime: None,
            recording: None,
        }])
        .unwrap();
        a.enter_dialog().unwrap();
        a.declare("dialog_var", Some("1")).unwrap();
        a.enter_subdialog();
        shelf.give_back(a);
        assert_eq!(
            shelf.stats(),
            ShelfStats {
                made: 1,
                reused: 0,
                discarded: 0,
                host_objects_built: 0
            }
        );

        let mut b = call(&shelf, "sip:b@example.com");
        assert_eq!(shelf.stats().reused, 1, "the clean engine was reused");
        for name in [
            "doc_var",
            "script_var",
            "script_fn",
            "lexical",
            "dialog_var",
            "application.lastresult$",
            "document.doc_var",
        ] {
            assert_eq!(typeof_(&mut b, name), "undefined", "{name}");
        }
        assert_eq!(
            b.eval_string("session.connection.remote.uri").unwrap(),
            "sip:b@example.com",
            "the session is the new call's"
        );
        assert_eq!(
            b.scopes(),
            vec![
                crate::script::ScopeKind::Session,
                crate::script::ScopeKind::Application,
                crate::script::ScopeKind::Document
            ]
        );
        assert!(b.leave_subdialog().is_err(), "no caller was kept");
    }

    #[test]
    fn an_engine_whose_built_ins_changed_is_not_reused() {
        // (mutation, what would show it in the next call)
        let cases = [
            ("Array.prototype.x = 1;", "typeof [].x"),
            ("Object.prototype.polluted = 1;", "typeof ({}).polluted"),
            (
                "Math.random = function () { return 4; };",
                "Math.random() === 4 ? 'x' : 'undefined'",
            ),
            (
                "String.prototype.trim = null;",
                "typeof ''.trim === 'function' ? 'undefined' : 'x'",
            ),
            (
                "delete String.prototype.padStart;",
                "typeof ''.padStart === 'function' ? 'undefined' : 'x'",
            ),
            ("[].push.call(Array.prototype, 7);", "typeof [][0]"),
            (
                "Object.defineProperty(Array.prototype, 'push', { enumerable: true });",
                "Object.keys(Array.prototype).length ? 'x' : 'undefined'",
            ),
            (
                "Object.defineProperty(Math, 'max', { value: Math.min });",
                "Math.max(1, 2) === 1 ? 'x' : 'undefined'",
            ),
            (
                "Object.preventExtensions(Math);",
                "Object.isExtensible(Math) ? 'undefined' : 'x'",
            ),
            (
                "Array.from = null;",
                "Array.from === null ? 'x' : 'undefined'",
            ),
            (
                "Object.freeze(JSON);",
                "Object.isFrozen(JSON) ? 'x' : 'undefined'",
            ),
            ("(0, eval)('var leaked = 1');", "typeof leaked"),
            ("(0, eval)('function leakedFn() {}');", "typeof leakedFn"),
            (
                "Object.defineProperty(globalThis, 'viaDefine', { value: 1 });",
                "typeof viaDefine",
            ),
            (
                "Object.setPrototypeOf(Date.prototype, Array.prototype);",
                "typeof new Date().push",
            ),
            ("Array = null;", "Array === null ? 'x' : 'undefined'"),
            // Intrinsics no global property holds: prototypes of what
            // syntax and built-ins make.
            (
                "Object.getPrototypeOf([][Symbol.iterator]()).x = 1;",
                "typeof [][Symbol.iterator]().x",
            ),
            (
                "Object.getPrototypeOf(''[Symbol.iterator]()).x = 1;",
                "typeof ''[Symbol.iterator]().x",
            ),
            (
                "Object.getPrototypeOf(new Map().entries()).x = 1;",
                "typeof new Map().entries().x",
            ),
            (
                "Object.getPrototypeOf(new Set().values()).x = 1;",
                "typeof new Set().values().x",
            ),
            (
                "Object.getPrototypeOf(/a/g[Symbol.matchAll]('a')).x = 1;",
                "typeof /a/g[Symbol.matchAll]('a').x",
            ),
            (
                "Object.getPrototypeOf(function* () {}).x = 1;",
                "typeof Object.getPrototypeOf(function* () {}).x",
            ),
            (
                "Object.getPrototypeOf(function* () {}.prototype).x = 1;",
                "typeof (function* () {})().x",
            ),
            (
                "Object.getPrototypeOf(async function () {}).x = 1;",
                "typeof Object.getPrototypeOf(async function () {}).x",
            ),
            (
                "Object.getPrototypeOf(async function* () {}).x = 1;",
                "typeof Object.getPrototypeOf(async function* () {}).x",
            ),
            (
                "Object.getPrototypeOf([].values().map(function (v) { return v; })).x = 1;",
                "typeof [].values().map(function (v) { return v; }).x",
            ),
        ];
        for (mutation, probe) in cases {
            let shelf = EngineShelf::new();
            let mut a = call(&shelf, "sip:a@example.com");
            a.run_script(mutation, &origin())
                .unwrap_or_else(|e| panic!("{mutation}: {e}"));
            assert_ne!(
                a.eval_string(probe).unwrap(),
                "undefined",
                "{mutation} shows in its own call"
            );
            shelf.give_back(a);
            assert_eq!(shelf.stats().discarded, 1, "{mutation}");
            let mut b = call(&shelf, "sip:b@example.com");
            assert_eq!(shelf.stats().made, 2, "{mutation}: a new engine");
            assert_eq!(b.eval_string(probe).unwrap(), "undefined", "{mutation}");
        }
    }

    #[test]
    fn compiled_texts_are_kept_with_the_resource_they_came_from() {
        let shelf = EngineShelf::new();
        let document = Arc::new(String::from("the parsed document"));
        let count = |e: &mut ScriptEngine| {
            e.set_provenance(Some(Provenance::of(&document)));
            assert_eq!(e.eval_string("'x' + 1").unwrap(), "x1");
            e.run_script("var s = 2;", &origin()).unwrap();
            e.compilations()
        };
        let mut a = call(&shelf, "sip:a@example.com");
        let first = count(&mut a);
        shelf.give_back(a);
        let mut b = call(&shelf, "sip:a@example.com");
        assert_eq!(shelf.stats().reused, 1);
        assert_eq!(
            count(&mut b),
            first,
            "the same document: nothing compiled again"
        );
        assert_eq!(b.provenances(), 1);

        // The same text from a document parsed afresh (nothing cached it):
        // compiled again, and the old document's code goes with it.
        let fresh = Arc::new(String::from("the parsed document"));
        b.set_provenance(Some(Provenance::of(&fresh)));
        assert_eq!(b.eval_string("'x' + 1").unwrap(), "x1");
        assert_eq!(b.compilations(), first + 1);
        drop(fresh);
        shelf.give_back(b);
        let mut c = call(&shelf, "sip:a@example.com");
        assert_eq!(c.provenances(), 1, "only the document still held elsewhere");
        drop(document);
        c.set_provenance(None);
        // Texts of no provenance are compiled per call.
        assert_eq!(c.eval_string("'y' + 2").unwrap(), "y2");
        let after = c.compilations();
        shelf.give_back(c);
        let mut d = call(&shelf, "sip:a@example.com");
        assert_eq!(d.provenances(), 0, "the dropped document's code is gone");
        assert_eq!(d.eval_string("'y' + 2").unwrap(), "y2");
        assert_eq!(d.compilations(), after + 1);
    }

    #[test]
    fn built_ins_refuse_the_changes_the_check_does_not_compare() {
        // What `baseline` prevents instead of detecting: built-in methods are
        // frozen, and read-only properties (names, lengths, tags) locked.
        let shelf = EngineShelf::new();
        let mut e = call(&shelf, "sip:a@example.com");
        for refused in [
            "Object.defineProperty(Math.max, 'name', { value: 'seen' });",
            "Object.defineProperty(Array, 'name', { value: 'List' });",
            "Object.defineProperty([].push, 'memo', { value: 1 });",
            "Object.defineProperty(Math, Symbol.toStringTag, { value: 'M' });",
        ] {
            let result = e.run_script(refused, &origin());
            assert!(
                matches!(&result, Err(crate::script::ScriptError::Runtime { name, .. }) if name == "TypeError"),
                "{refused}: {result:?}"
            );
        }
        // Author scripts are sloppy code: these fail silently.
        e.run_script(
            "Math.max.memo = 1; delete Array.name; delete JSON[Symbol.toStringTag];",
            &origin(),
        )
        .unwrap();
        assert_eq!(
            e.eval_string(
                "[typeof Math.max.memo, Math.max.name, Math.max.length, Array.name, \
                 String(JSON), Object.isFrozen(Math.max), Object.isFrozen(Math)].join()"
            )
            .unwrap(),
            "undefined,max,2,Array,[object JSON],true,false"
        );
        shelf.give_back(e);
        assert_eq!(shelf.stats().discarded, 0, "nothing changed");
    }

    #[test]
    fn a_text_cannot_reach_its_compiled_function() {
        let shelf = EngineShelf::new();
        let mut e = call(&shelf, "sip:a@example.com");
        assert_eq!(e.eval_string("typeof arguments").unwrap(), "undefined");
        e.run_script("var t = typeof arguments;", &origin())
            .unwrap();
        assert_eq!(e.eval_string("t").unwrap(), "undefined");
    }

    #[test]
    fn the_built_ins_checked_are_the_whole_reachable_graph() {
        let shelf = EngineShelf::new();
        let e = call(&shelf, "sip:a@example.com");
        // Every constructor, prototype and namespace (the built-in functions
        // that are not constructors are frozen, so not recorded).
        assert!(e.baseline_objects() > 100, "{}", e.baseline_objects());
    }
}
