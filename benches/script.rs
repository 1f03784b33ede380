//! What the compiled-text cache saves: evaluating an expression or running a
//! script whose text the engine has compiled before, against a text it has
//! not (parse, nesting check and compile each time), making an engine against
//! reusing one from a shelf, and parsing a document.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vxb::script::{
    AppTransition, DocumentScope, EngineShelf, Limits, Origin, ScriptEngine, Session,
};

fn engine() -> ScriptEngine {
    let mut e = ScriptEngine::new(Limits::default(), &Session::default()).expect("engine");
    assert_eq!(
        e.enter_application(Some("http://x/root.vxml"))
            .expect("app"),
        AppTransition::Reset
    );
    e.enter_document(DocumentScope::Own).expect("document");
    e.declare("size", Some("'large'")).expect("declare");
    e.declare("toppings", Some("['ham', 'olives']"))
        .expect("declare");
    e.enter_dialog().expect("dialog");
    e
}

const COND: &str = "size == 'large' && toppings.length > 1";
const SCRIPT: &str = "var total = 0;\nfor (var i = 0; i < toppings.length; i++) { total += toppings[i].length; }\nfunction price() { return 9 + total * 0.5; }";

fn expressions(c: &mut Criterion) {
    let mut group = c.benchmark_group("script");
    let mut e = engine();
    group.bench_function("eval_bool/cached", |b| {
        b.iter(|| e.eval_bool(black_box(COND)).expect("eval"))
    });
    let mut n = 0u64;
    let mut e = engine();
    group.bench_function("eval_bool/first_time", |b| {
        b.iter(|| {
            // A text never seen before: the engine parses and compiles it.
            n += 1;
            e.eval_bool(black_box(&format!("{COND} && {n} > 0")))
                .expect("eval")
        })
    });
    let origin = Origin {
        name: "bench.vxml",
        line: 1,
        column: 1,
    };
    let mut e = engine();
    e.push_scope(vxb::script::ScopeKind::Anonymous)
        .expect("anonymous");
    group.bench_function("run_script/cached", |b| {
        b.iter(|| e.run_script(black_box(SCRIPT), &origin).expect("run"))
    });
    let mut e = engine();
    e.push_scope(vxb::script::ScopeKind::Anonymous)
        .expect("anonymous");
    group.bench_function("run_script/first_time", |b| {
        b.iter(|| {
            n += 1;
            e.run_script(black_box(&format!("{SCRIPT}\nvar v{n} = 1;")), &origin)
                .expect("run")
        })
    });
    group.bench_function("engine/new", |b| b.iter(engine));
    // What every call pays to borrow an engine from its worker's shelf and
    // give it back: a new session scope, and the check that the call left
    // the built-ins as they were (`script::baseline`).
    let shelf = EngineShelf::new();
    let session = Session::default();
    shelf.give_back(shelf.take(Limits::default(), &session).expect("engine"));
    group.bench_function("engine/reuse", |b| {
        b.iter(|| shelf.give_back(shelf.take(Limits::default(), &session).expect("engine")))
    });
    // An engine retires after 10,000 calls; no other was discarded.
    let stats = shelf.stats();
    assert!(stats.made <= 1 + stats.reused / 10_000, "{stats:?}");
    // The fixed cost compilation pays for its large stack.
    group.bench_function("stack/grow_256MiB", |b| {
        b.iter(|| stacker::grow(256 << 20, || black_box(1)))
    });
    group.finish();
}

fn documents(c: &mut Criterion) {
    let text = include_str!("../tests/fixtures/vxml/pizza.vxml");
    c.bench_function("vxml/parse_pizza", |b| {
        b.iter(|| vxb::vxml::parse(black_box(text.as_bytes()), "pizza.vxml").expect("parse"))
    });
}

criterion_group!(benches, expressions, documents);
criterion_main!(benches);
