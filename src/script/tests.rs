//! Scope, evaluation, error and limit behaviour of the script engine.

use super::*;

const ROOT: &str = "http://example.com/app/root.vxml";

fn session() -> Session {
    Session {
        connection: Connection {
            local_uri: Some("tel:+15555550100".into()),
            remote_uri: Some("sip:alice@example.com".into()),
            protocol_name: Some("sip".into()),
            protocol_version: Some("2.0".into()),
            redirect: vec![Redirect {
                uri: "tel:+15555550199".into(),
                pi: Some("allowed".into()),
                si: None,
                reason: Some("unconditional".into()),
            }],
            aai: Some("ticket=42".into()),
            originator: Some(Originator::Remote),
            channel: Some("7".into()),
        },
        variables: vec![("platform".into(), Value::from("vxb"))],
    }
}

/// An engine inside an application (rooted at [`ROOT`]) and a document.
fn engine_with(limits: Limits) -> ScriptEngine {
    let mut e = ScriptEngine::new(limits, &session()).expect("engine");
    assert_eq!(
        e.enter_application(Some(ROOT)).expect("app"),
        AppTransition::Reset
    );
    e.enter_document(DocumentScope::Own).expect("document");
    e
}

fn engine() -> ScriptEngine {
    engine_with(Limits::default())
}

fn num(e: &mut ScriptEngine, expr: &str) -> f64 {
    match e.eval(expr) {
        Ok(Value::Number(n)) => n,
        other => panic!("{expr} = {other:?}"),
    }
}

fn string(e: &mut ScriptEngine, expr: &str) -> String {
    match e.eval_string(expr) {
        Ok(s) => s,
        Err(err) => panic!("{expr}: {err}"),
    }
}

fn origin(line: u32, column: u32) -> Origin<'static> {
    Origin {
        name: "doc.vxml",
        line,
        column,
    }
}

fn run(e: &mut ScriptEngine, script: &str) {
    if let Err(err) = e.run_script(script, &origin(1, 1)) {
        panic!("{script}: {err}");
    }
}

fn is_reference_error(r: Result<Value, ScriptError>) -> bool {
    matches!(r, Err(ScriptError::Runtime { ref name, .. }) if name == "ReferenceError")
}

// ----- scopes ----------------------------------------------------------------------

#[test]
fn lookup_walks_outward_and_inner_declarations_shadow() {
    let mut e = engine();
    e.pop_scope();
    e.declare("x", Some("1")).unwrap();
    e.declare("onlyApp", Some("'app'")).unwrap();
    e.push_scope(ScopeKind::Document).unwrap();
    e.declare("x", Some("x + 1")).unwrap(); // the outer x, before shadowing
    e.enter_dialog().unwrap();
    e.declare("x", Some("30")).unwrap();
    e.push_scope(ScopeKind::Anonymous).unwrap();
    e.push_scope(ScopeKind::Anonymous).unwrap();
    assert_eq!(
        e.scopes(),
        [
            ScopeKind::Session,
            ScopeKind::Application,
            ScopeKind::Document,
            ScopeKind::Dialog,
            ScopeKind::Anonymous,
            ScopeKind::Anonymous
        ]
    );
    assert_eq!(num(&mut e, "x"), 30.0);
    assert_eq!(string(&mut e, "onlyApp"), "app");
    e.declare("x", Some("400")).unwrap();
    assert_eq!(num(&mut e, "x"), 400.0);
    assert_eq!(e.pop_scope(), Some(ScopeKind::Anonymous));
    assert_eq!(num(&mut e, "x"), 30.0);
    e.pop_scope();
    e.pop_scope();
    assert_eq!(num(&mut e, "x"), 2.0);
    assert_eq!(num(&mut e, "application.x"), 1.0);
    // A declaration without expr is undefined, even when re-declared.
    e.declare("x", None).unwrap();
    assert_eq!(e.eval("x").unwrap(), Value::Undefined);
}

#[test]
fn assignment_updates_the_nearest_declaring_scope() {
    let mut e = engine();
    e.pop_scope();
    e.declare("counter", Some("0")).unwrap();
    e.push_scope(ScopeKind::Document).unwrap();
    e.enter_dialog().unwrap();
    e.push_scope(ScopeKind::Anonymous).unwrap();
    e.assign("counter", "counter + 1").unwrap();
    assert_eq!(num(&mut e, "application.counter"), 1.0);
    assert!(
        !e.eval_bool("'counter' in dialog").unwrap(),
        "no copy in the dialog scope"
    );
    // Plain assignment inside an expression and inside a script too.
    e.eval("counter = counter + 10").unwrap();
    run(&mut e, "counter++;");
    assert_eq!(num(&mut e, "application.counter"), 12.0);
    assert!(!e.eval_bool("'counter' in document").unwrap());
}

#[test]
fn assigning_an_undeclared_name_is_an_error_and_creates_nothing() {
    let mut e = engine();
    let undeclared = |r: Result<(), ScriptError>| matches!(r, Err(ScriptError::Undeclared { name, .. }) if name == "ghost");
    assert!(undeclared(e.assign("ghost", "1")));
    assert!(undeclared(e.eval("ghost = 1").map(|_| ())));
    assert!(undeclared(
        e.run_script("ghost = 1;", &origin(1, 1)).map(|_| ())
    ));
    assert!(undeclared(
        e.run_script("function f(){ ghost = 2 } f();", &origin(1, 1))
    ));
    assert!(undeclared(e.clear("ghost")));
    assert!(matches!(
        e.assign("document.ghost", "1"),
        Err(ScriptError::Undeclared { name, .. }) if name == "document.ghost"
    ));
    assert!(
        matches!(
            e.assign("dialog.x", "1"),
            Err(ScriptError::Undeclared { .. })
        ),
        "no dialog scope yet"
    );
    assert_eq!(
        e.assign("ghost", "1").unwrap_err().event(),
        "error.semantic"
    );
    // Nothing leaked into the global object.
    assert_eq!(string(&mut e, "typeof ghost"), "undefined");
    assert!(is_reference_error(e.eval("ghost")));
    assert!(matches!(
        e.eval("globalThis.ghost = 1"),
        Err(ScriptError::Undeclared { .. })
    ));
}

#[test]
fn explicit_scope_prefixes() {
    let mut e = engine();
    e.declare("x", Some("'doc'")).unwrap();
    e.enter_dialog().unwrap();
    e.declare("x", Some("'dialog'")).unwrap();
    e.assign("document.x", "'doc2'").unwrap();
    assert_eq!(string(&mut e, "document.x"), "doc2");
    assert_eq!(string(&mut e, "dialog.x"), "dialog");
    assert_eq!(string(&mut e, "x"), "dialog");
    e.assign("dialog.x", "'dialog2'").unwrap();
    assert_eq!(string(&mut e, "x"), "dialog2");
    assert_eq!(string(&mut e, "session.platform"), "vxb");
    // Assigning through a property path follows JavaScript.
    e.declare("o", Some("({a: {b: 1}})")).unwrap();
    e.assign("o.a.b", "2").unwrap();
    assert_eq!(num(&mut e, "o.a.b"), 2.0);
    e.assign("dialog.o", "5").unwrap();
    assert_eq!(num(&mut e, "o"), 5.0);
}

#[test]
fn application_scope_survives_documents_of_the_same_root_only() {
    let mut e = engine();
    e.pop_scope();
    e.declare("visits", Some("1")).unwrap();
    e.enter_document(DocumentScope::Own).unwrap();
    e.declare("page", Some("'one'")).unwrap();
    e.enter_dialog().unwrap();

    // Another leaf of the same application.
    assert_eq!(
        e.enter_application(Some(ROOT)).unwrap(),
        AppTransition::Kept
    );
    assert_eq!(e.scopes(), [ScopeKind::Session, ScopeKind::Application]);
    e.enter_document(DocumentScope::Own).unwrap();
    e.assign("visits", "visits + 1").unwrap();
    assert_eq!(num(&mut e, "visits"), 2.0);
    assert!(
        is_reference_error(e.eval("page")),
        "the old document scope is gone"
    );

    // A different root: a fresh application scope.
    assert_eq!(
        e.enter_application(Some("http://example.com/other/root.vxml"))
            .unwrap(),
        AppTransition::Reset
    );
    e.enter_document(DocumentScope::Own).unwrap();
    assert!(is_reference_error(e.eval("visits")));

    // Documents without a root never share.
    assert_eq!(e.enter_application(None).unwrap(), AppTransition::Reset);
    e.declare("y", Some("1")).ok();
    assert_eq!(e.enter_application(None).unwrap(), AppTransition::Reset);
    assert!(is_reference_error(e.eval("y")));
}

#[test]
fn the_root_document_as_current_document_shares_the_application_scope() {
    let mut e = ScriptEngine::new(Limits::default(), &Session::default()).unwrap();
    e.enter_application(Some(ROOT)).unwrap();
    e.enter_document(DocumentScope::ApplicationRoot).unwrap();
    e.declare("rootVar", Some("'r'")).unwrap();
    assert_eq!(string(&mut e, "application.rootVar"), "r");
    assert_eq!(string(&mut e, "document.rootVar"), "r");
    // On to a leaf of that root: the root's variables are application variables.
    assert_eq!(
        e.enter_application(Some(ROOT)).unwrap(),
        AppTransition::Kept
    );
    e.enter_document(DocumentScope::Own).unwrap();
    assert_eq!(string(&mut e, "rootVar"), "r");
    assert!(!e.eval_bool("'rootVar' in document").unwrap());
}

#[test]
fn scope_misuse_is_an_error_not_a_panic() {
    let mut e = ScriptEngine::new(Limits::default(), &Session::default()).unwrap();
    assert!(matches!(
        e.push_scope(ScopeKind::Dialog),
        Err(ScriptError::Scope(_))
    ));
    assert!(matches!(
        e.push_scope(ScopeKind::Session),
        Err(ScriptError::Scope(_))
    ));
    assert!(matches!(
        e.push_scope(ScopeKind::Anonymous),
        Err(ScriptError::Scope(_))
    ));
    assert!(matches!(
        e.enter_document(DocumentScope::Own),
        Err(ScriptError::Scope(_))
    ));
    assert!(matches!(e.enter_dialog(), Err(ScriptError::Scope(_))));
    assert!(
        matches!(e.declare("x", None), Err(ScriptError::Scope(_))),
        "session is read-only"
    );
    assert!(matches!(
        e.run_script("var x;", &origin(1, 1)),
        Err(ScriptError::Scope(_))
    ));
    assert!(matches!(e.leave_subdialog(), Err(ScriptError::Scope(_))));
    assert!(matches!(e.set_last_result(&[]), Err(ScriptError::Scope(_))));
    assert_eq!(e.pop_scope(), None, "the session scope stays");
    assert_eq!(e.current_scope(), ScopeKind::Session);
}

#[test]
fn a_subdialog_has_its_own_scopes_and_the_caller_gets_its_own_back() {
    let mut e = engine();
    e.declare("callerVar", Some("'mine'")).unwrap();
    e.enter_dialog().unwrap();
    e.enter_subdialog();
    assert_eq!(e.scopes(), [ScopeKind::Session]);
    // Even the same root starts a fresh application in the subdialog.
    assert_eq!(
        e.enter_application(Some(ROOT)).unwrap(),
        AppTransition::Reset
    );
    e.enter_document(DocumentScope::Own).unwrap();
    assert!(is_reference_error(e.eval("callerVar")));
    e.declare("result", Some("42")).unwrap();
    let returned = e.eval("({result: result})").unwrap();
    e.leave_subdialog().unwrap();
    assert_eq!(e.current_scope(), ScopeKind::Dialog);
    assert_eq!(string(&mut e, "callerVar"), "mine");
    e.declare_value("sub", &returned).unwrap();
    assert_eq!(num(&mut e, "sub.result"), 42.0);
    assert_eq!(
        e.enter_application(Some(ROOT)).unwrap(),
        AppTransition::Kept,
        "the caller's root is back"
    );
}

// ----- scripts -----------------------------------------------------------------------

#[test]
fn script_variables_and_functions_land_in_the_current_scope() {
    let mut e = engine();
    // Document level.
    run(
        &mut e,
        "var n = 5;\nfunction twice() { return n * 2; }\nvar unset;",
    );
    assert!(
        e.eval_bool("'n' in document && 'twice' in document && 'unset' in document")
            .unwrap()
    );
    assert_eq!(e.eval("unset").unwrap(), Value::Undefined);
    e.enter_dialog().unwrap();
    assert_eq!(num(&mut e, "twice()"), 10.0);
    e.assign("n", "6").unwrap();
    assert_eq!(
        num(&mut e, "twice()"),
        12.0,
        "the function reads the document variable"
    );

    // An anonymous scope: its vars and functions vanish with it.
    e.push_scope(ScopeKind::Anonymous).unwrap();
    run(
        &mut e,
        "var local = 1; function inc() { local += 1; return local; }",
    );
    assert_eq!(num(&mut e, "inc()"), 2.0);
    assert!(!e.eval_bool("'local' in dialog").unwrap());
    e.pop_scope();
    assert!(is_reference_error(e.eval("local")));
    assert!(is_reference_error(e.eval("inc")));
}

#[test]
fn script_var_shadows_and_plain_assignment_reaches_outer_scopes() {
    let mut e = engine();
    e.declare("x", Some("1")).unwrap();
    e.declare("y", Some("1")).unwrap();
    e.enter_dialog().unwrap();
    run(&mut e, "var x = 2; y = 3;");
    assert_eq!(num(&mut e, "dialog.x"), 2.0);
    assert_eq!(num(&mut e, "document.x"), 1.0);
    assert_eq!(num(&mut e, "document.y"), 3.0);
    assert!(!e.eval_bool("'y' in dialog").unwrap());
    // `var x;` again keeps the value, as in JavaScript.
    run(&mut e, "var x;");
    assert_eq!(num(&mut e, "x"), 2.0);
    // Loop variables, nested blocks and top-level let/const/class.
    run(
        &mut e,
        "for (var i = 0; i < 3; i++) { if (i == 1) { var seen = i; } }\nlet l = 'let'; const c = 'const'; class K { v() { return 7; } }",
    );
    assert_eq!(num(&mut e, "dialog.i"), 3.0);
    assert_eq!(num(&mut e, "seen"), 1.0);
    assert_eq!(string(&mut e, "l + c"), "letconst");
    assert_eq!(num(&mut e, "new K().v()"), 7.0);
}

#[test]
fn functions_defined_in_a_script_are_callable_later_and_recompile_nothing() {
    let mut e = engine();
    e.pop_scope();
    run(&mut e, "function greet(who) { return 'Hello ' + who; }");
    e.enter_document(DocumentScope::Own).unwrap();
    assert_eq!(string(&mut e, "greet('Bob')"), "Hello Bob");
    // Application functions survive a move to another leaf of the root.
    e.enter_application(Some(ROOT)).unwrap();
    e.enter_document(DocumentScope::Own).unwrap();
    e.enter_dialog().unwrap();
    assert_eq!(string(&mut e, "greet('Ann')"), "Hello Ann");
}

#[test]
fn an_expression_is_compiled_once_per_scope_depth() {
    let mut e = engine();
    e.declare("a", Some("1")).unwrap();
    let before = e.compilations();
    for _ in 0..5 {
        assert_eq!(num(&mut e, "a + 41"), 42.0);
    }
    assert_eq!(e.compilations(), before + 1);
    e.enter_dialog().unwrap();
    assert_eq!(num(&mut e, "a + 41"), 42.0);
    assert_eq!(
        e.compilations(),
        before + 2,
        "a deeper chain is another function"
    );
    run(&mut e, "a = a + 1;");
    run(&mut e, "a = a + 1;");
    assert_eq!(e.compilations(), before + 3);
    assert_eq!(num(&mut e, "a"), 3.0);
}

#[test]
fn a_full_compile_cache_starts_afresh_and_stays_correct() {
    let mut e = engine_with(Limits {
        compiled_texts: 3,
        ..Limits::default()
    });
    for i in 0..10 {
        assert_eq!(num(&mut e, &format!("{i} * 2")), f64::from(i * 2));
    }
    let before = e.compilations();
    assert_eq!(num(&mut e, "9 * 2"), 18.0);
    assert_eq!(
        e.compilations(),
        before,
        "the latest texts are still cached"
    );
}

// ----- platform variables ------------------------------------------------------------

#[test]
fn session_connection_variables_are_readable_and_read_only() {
    let mut e = engine();
    assert_eq!(
        string(&mut e, "session.connection.local.uri"),
        "tel:+15555550100"
    );
    assert_eq!(
        string(&mut e, "session.connection.remote.uri"),
        "sip:alice@example.com"
    );
    assert_eq!(string(&mut e, "session.connection.protocol.name"), "sip");
    assert_eq!(string(&mut e, "session.connection.protocol.version"), "2.0");
    assert_eq!(
        string(&mut e, "typeof session.connection.protocol.sip"),
        "object"
    );
    assert_eq!(
        string(&mut e, "session.connection.redirect[0].uri"),
        "tel:+15555550199"
    );
    assert_eq!(
        string(&mut e, "session.connection.redirect[0].reason"),
        "unconditional"
    );
    assert_eq!(
        e.eval("session.connection.redirect[0].si").unwrap(),
        Value::Undefined
    );
    assert!(
        e.eval_bool("session.connection.originator === session.connection.remote")
            .unwrap()
    );
    assert_eq!(string(&mut e, "session.connection.aai"), "ticket=42");
    assert_eq!(string(&mut e, "session.connection.channel"), "7");
    // Read-only: sloppy writes are ignored, <assign> to a session name fails.
    e.eval("session.connection.aai = 'changed'").unwrap();
    assert_eq!(string(&mut e, "session.connection.aai"), "ticket=42");
    assert!(
        matches!(e.assign("session.platform", "'x'"), Err(ScriptError::Runtime { ref name, .. }) if name == "TypeError")
    );
    assert_eq!(string(&mut e, "session.platform"), "vxb");

    let bare = ScriptEngine::new(Limits::default(), &Session::default());
    let mut bare = bare.unwrap();
    assert_eq!(
        bare.eval("session.connection.local.uri").unwrap(),
        Value::Undefined
    );
}

#[test]
fn lastresult_is_an_array_with_the_best_result_on_top() {
    let mut e = engine();
    e.enter_dialog().unwrap();
    assert_eq!(e.eval("application.lastresult$").unwrap(), Value::Undefined);
    let results = [
        Recognition {
            utterance: "large pizza".into(),
            interpretation: Value::Object(vec![("size".into(), "large".into())]),
            confidence: 0.9,
            inputmode: InputMode::Voice,
            markname: Some("menu".into()),
            marktime: Some(1200.0),
            recording: None,
        },
        Recognition {
            utterance: "large piece".into(),
            interpretation: Value::from("piece"),
            confidence: 0.4,
            inputmode: InputMode::Voice,
            markname: None,
            marktime: None,
            recording: None,
        },
    ];
    e.set_last_result(&results).unwrap();
    assert_eq!(num(&mut e, "application.lastresult$.length"), 2.0);
    assert_eq!(string(&mut e, "lastresult$[1].utterance"), "large piece");
    assert_eq!(
        string(&mut e, "application.lastresult$.utterance"),
        "large pizza"
    );
    assert_eq!(string(&mut e, "lastresult$.interpretation.size"), "large");
    assert_eq!(string(&mut e, "lastresult$[0].inputmode"), "voice");
    assert_eq!(num(&mut e, "lastresult$.confidence"), 0.9);
    assert_eq!(string(&mut e, "lastresult$.markname"), "menu");
    assert_eq!(num(&mut e, "lastresult$.marktime"), 1200.0);
    e.set_last_result(&[]).unwrap();
    assert_eq!(e.eval("lastresult$").unwrap(), Value::Undefined);
}

// ----- values ------------------------------------------------------------------------

#[test]
fn values_convert_like_json_data() {
    let mut e = engine();
    let v = e
        .eval("({n: 1.5, i: 3, s: 'x', b: [true, null, function(){}], f: function(){}, u: undefined, o: {}})")
        .unwrap();
    assert_eq!(
        v,
        Value::Object(vec![
            ("n".into(), Value::Number(1.5)),
            ("i".into(), Value::Number(3.0)),
            ("s".into(), Value::from("x")),
            (
                "b".into(),
                Value::Array(vec![Value::Bool(true), Value::Null, Value::Null])
            ),
            ("u".into(), Value::Undefined),
            ("o".into(), Value::Object(vec![])),
        ])
    );
    assert_eq!(v.get("s"), Some(&Value::from("x")));
    assert_eq!(
        v.to_json(),
        serde_json::json!({"n": 1.5, "i": 3.0, "s": "x", "b": [true, null, null], "u": null, "o": {}})
    );
    assert_eq!(e.eval("(function(){})").unwrap(), Value::Undefined);
    assert!(matches!(
        e.eval("(function(){ var a = []; a.push(a); return a; })()"),
        Err(ScriptError::Conversion(_))
    ));
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    assert!(matches!(e.eval(&deep), Err(ScriptError::Conversion(_))));

    let mut deep_value = Value::Null;
    for _ in 0..100 {
        deep_value = Value::Array(vec![deep_value]);
    }
    assert!(matches!(
        e.declare_value("deep", &deep_value),
        Err(ScriptError::Conversion(_))
    ));

    // Rust values round-trip through a declaration.
    let original = Value::from_json(
        &serde_json::json!({"list": [1, "two", false, null], "nested": {"k": "v"}}),
    );
    e.declare_value("data", &original).unwrap();
    assert_eq!(e.eval("data").unwrap(), original);
    assert_eq!(num(&mut e, "data.list.length"), 4.0);
    e.assign_value("data", &Value::from("replaced")).unwrap();
    assert_eq!(string(&mut e, "data"), "replaced");
    e.clear("data").unwrap();
    assert_eq!(e.eval("data").unwrap(), Value::Undefined);
}

#[test]
fn strings_and_conditions_follow_ecmascript_conversions() {
    let mut e = engine();
    assert_eq!(string(&mut e, "3"), "3");
    assert_eq!(string(&mut e, "1 / 2"), "0.5");
    assert_eq!(string(&mut e, "[1, 2]"), "1,2");
    assert_eq!(string(&mut e, "({})"), "[object Object]");
    assert_eq!(string(&mut e, "undefined"), "undefined");
    for (cond, truth) in [
        ("''", false),
        ("'a'", true),
        ("0", false),
        ("[]", true),
        ("null", false),
        ("1 == 1", true),
    ] {
        assert_eq!(e.eval_bool(cond).unwrap(), truth, "{cond}");
    }
    // An object literal is an expression, not a block.
    assert_eq!(num(&mut e, "{a: 1}.a"), 1.0);
    // A trailing line comment does not swallow the wrapper.
    assert_eq!(num(&mut e, "2 // two"), 2.0);
}

#[test]
fn native_values_can_be_declared() {
    let mut e = engine();
    e.declare_native("host", |ctx| {
        let o = boa_engine::JsObject::with_object_proto(ctx.intrinsics());
        o.create_data_property_or_throw(
            boa_engine::js_string!("tag"),
            boa_engine::js_string!("root"),
            ctx,
        )?;
        Ok(o.into())
    })
    .unwrap();
    assert_eq!(string(&mut e, "host.tag"), "root");
}

// ----- errors ------------------------------------------------------------------------

#[test]
fn syntax_errors_are_positioned_in_the_authors_text() {
    let mut e = engine();
    let Err(ScriptError::Syntax { line, column, .. }) = e.eval("1 +") else {
        panic!("no syntax error")
    };
    assert_eq!((line, column), (1, 4), "at the end of the expression");
    let Err(ScriptError::Syntax {
        line,
        column,
        message,
        ..
    }) = e.eval("a +\n  * 2")
    else {
        panic!("no syntax error")
    };
    assert_eq!((line, column), (2, 3), "{message}");
    assert!(
        matches!(e.eval("1); (2"), Err(ScriptError::Syntax { .. })),
        "an expression cannot close the wrapper"
    );
    assert!(matches!(e.eval(""), Err(ScriptError::Syntax { .. })));
    assert!(matches!(e.eval("x; y"), Err(ScriptError::Syntax { .. })));

    // A script's errors are placed in the document.
    let err = e
        .run_script("var a = 1;\nvar = 2;", &origin(10, 5))
        .unwrap_err();
    let ScriptError::Syntax {
        origin: Some(ref name),
        line,
        column,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((name.as_str(), line, column), ("doc.vxml", 11, 5));
    assert!(
        err.to_string().starts_with("doc.vxml:11:5: syntax error"),
        "{err}"
    );
    let err = e.run_script("var = 2;", &origin(10, 5)).unwrap_err();
    assert!(
        matches!(
            err,
            ScriptError::Syntax {
                line: 10,
                column: 9,
                ..
            }
        ),
        "first-line columns are offset: {err:?}"
    );
    assert!(
        matches!(
            e.run_script("}", &origin(1, 1)),
            Err(ScriptError::Syntax { .. })
        ),
        "a script cannot close the wrapper"
    );
    assert!(matches!(
        e.run_script("return 1;", &origin(1, 1)),
        Err(ScriptError::Syntax { .. })
    ));
    assert_eq!(e.eval("1 +").unwrap_err().event(), "error.semantic");
}

#[test]
fn syntax_errors_speak_of_the_authors_text_not_the_wrapper() {
    let mut e = engine();
    // The wrapper's `)` is never mentioned.
    assert_eq!(
        e.eval("1 +").unwrap_err().to_string(),
        "1:4: syntax error: unexpected end of the expression"
    );
    // An unclosed bracket is blamed where it was opened, with no note about
    // nesting depth.
    let err = e
        .run_script("function f(x) {\n  return (x + 1;\n}", &origin(5, 1))
        .unwrap_err();
    assert_eq!(err.to_string(), "doc.vxml:6:10: syntax error: unclosed `(`");
    let err = e.run_script("var a = [1, 2;", &origin(1, 1)).unwrap_err();
    assert_eq!(err.to_string(), "doc.vxml:1:9: syntax error: unclosed `[`");
    let err = e.run_script("a = 1;\n}", &origin(1, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "doc.vxml:2:1: syntax error: `}` closes nothing"
    );
}

#[test]
fn exceptions_become_runtime_errors() {
    let mut e = engine();
    let err = e
        .run_script("throw new TypeError('bad size');", &origin(3, 1))
        .unwrap_err();
    assert_eq!(
        err,
        ScriptError::Runtime {
            origin: Some("doc.vxml".into()),
            name: "TypeError".into(),
            message: "bad size".into()
        }
    );
    assert_eq!(err.to_string(), "doc.vxml: TypeError: bad size");
    assert!(matches!(e.eval("(function(){ throw 'oops'; })()"),
        Err(ScriptError::Runtime { ref name, ref message, .. }) if name == "exception" && message == "oops"));
    assert!(
        matches!(e.eval("null.x"), Err(ScriptError::Runtime { ref name, .. }) if name == "TypeError")
    );
    assert!(is_reference_error(e.eval("notDeclared + 1")));
    // A script that catches its own exception is fine.
    run(
        &mut e,
        "var r; try { null.x; } catch (err) { r = 'caught'; }",
    );
    assert_eq!(string(&mut e, "r"), "caught");
}

#[test]
fn bad_variable_names() {
    let mut e = engine();
    for name in ["document.x", "a.b", "1x", "", "if", "a-b"] {
        assert!(
            matches!(e.declare(name, None), Err(ScriptError::BadName { .. })),
            "{name}"
        );
    }
    for name in ["1x", "a..b", "a[0]", "x = 3, y"] {
        assert!(
            matches!(e.assign(name, "1"), Err(ScriptError::BadName { .. })),
            "{name}"
        );
    }
}

#[test]
fn runaway_scripts_are_stopped_and_the_engine_goes_on() {
    let mut e = engine_with(Limits {
        loop_iterations: 10_000,
        recursion: 50,
        ..Limits::default()
    });
    let limit = |r: Result<(), ScriptError>| match r {
        Err(ScriptError::Limit { kind, .. }) => Some(kind),
        _ => None,
    };
    assert_eq!(
        limit(e.run_script("while (true) {}", &origin(1, 1))),
        Some(LimitKind::LoopIterations)
    );
    assert_eq!(
        limit(e.run_script("try { for (;;) {} } catch (e) {}", &origin(1, 1))),
        Some(LimitKind::LoopIterations),
        "a limit cannot be caught by the script"
    );
    assert_eq!(
        limit(e.run_script(
            "function down(n) { return down(n + 1); } down(0);",
            &origin(1, 1)
        )),
        Some(LimitKind::Recursion)
    );
    assert_eq!(
        limit(e.eval("(function r(){ return [1].map(r); })()").map(|_| ())),
        Some(LimitKind::Recursion),
        "recursion through native functions too"
    );
    let err = e.run_script("while (true) {}", &origin(1, 1)).unwrap_err();
    assert_eq!(err.event(), "error.semantic");
    assert!(err.to_string().contains("loop iteration limit"), "{err}");
    // Within the limits, work gets done, and the engine is still usable.
    run(
        &mut e,
        "var total = 0; for (var k = 0; k < 5000; k++) { total += k; }",
    );
    assert_eq!(num(&mut e, "total"), 12_497_500.0);
}

/// Random JavaScript-ish text: every evaluation returns Ok or Err, never panics.
#[test]
fn arbitrary_text_never_panics() {
    const PIECES: &[&str] = &[
        "a",
        "x",
        "1",
        "'s'",
        "\"",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ";",
        ",",
        ".",
        "+",
        "=",
        "==",
        "var ",
        "function ",
        "return ",
        "with",
        "document",
        "session",
        "$vxb0",
        "/*",
        "*/",
        "//",
        "\n",
        "`",
        "${",
        "\\",
        "=>",
        "new ",
        "this",
        "lastresult$",
        "throw ",
        "class ",
        "let ",
        "?",
    ];
    let mut e = engine_with(Limits {
        loop_iterations: 1_000,
        recursion: 30,
        ..Limits::default()
    });
    e.declare("a", Some("1")).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut outcomes = [0usize; 2];
    for _ in 0..400 {
        let text: String = (0..rng.usize(1..12))
            .map(|_| PIECES[rng.usize(0..PIECES.len())])
            .collect();
        for r in [
            e.eval(&text).map(|_| ()),
            e.run_script(&text, &origin(1, 1)),
            e.assign("a", &text),
        ] {
            outcomes[usize::from(r.is_err())] += 1;
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    assert_eq!(e.scopes().len(), 3, "the scope stack is untouched");
}

/// Deeply nested or long texts within the bounds compile and run on an
/// ordinary 2 MiB test thread; beyond them they are syntax errors, never a
/// stack overflow (which would abort the process and every call in it).
#[test]
fn deep_texts_are_compiled_safely_or_refused() {
    let mut e = engine();
    e.declare("a", Some("1")).unwrap();
    let n = 380;
    let within = [
        format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}0", "1?1:".repeat(n / 2)),
        format!("{}a", "!".repeat(n)),
        format!(
            "{}1{}",
            "(function(){return ".repeat(n / 3),
            "})()".repeat(n / 3)
        ),
        format!("{}1{}", "`${".repeat(n), "}`".repeat(n)),
        format!("1{}", "+1".repeat(19_000)),
        format!("a{}", ",a".repeat(19_000)),
    ];
    for text in &within {
        let r = e.eval_bool(text);
        assert!(r.is_ok(), "{}…: {r:?}", &text[..40.min(text.len())]);
    }
    let script = format!(
        "var deep = {}1{};\n{}x = 1;",
        "[".repeat(n),
        "]".repeat(n),
        "if (a) ".repeat(n)
    );
    e.declare("x", None).unwrap();
    run(&mut e, &script);
    let beyond = [
        format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("{}0", "1?1:".repeat(100_000)),
        format!("{}a", "-".repeat(100_000)),
        format!("1{}", "+1".repeat(100_000)),
        format!("a{}", ".b".repeat(100_000)),
    ];
    for text in &beyond {
        assert!(
            matches!(e.eval(text), Err(ScriptError::Syntax { .. })),
            "{}…",
            &text[..40]
        );
    }
    assert!(matches!(
        e.run_script(&"if (a) ".repeat(100_000), &origin(1, 1)),
        Err(ScriptError::Syntax { .. })
    ));
    // eval and Function parse on this thread's stack: what it cannot hold is refused.
    let deep_eval = format!("eval('{}1{}')", "[".repeat(100_000), "]".repeat(100_000));
    assert!(
        matches!(e.eval_bool(&deep_eval), Err(ScriptError::Runtime { ref name, .. }) if name == "SyntaxError")
    );
    let deep_function = format!("Function('return {}1')", "-".repeat(100_000));
    assert!(
        matches!(e.eval_bool(&deep_function), Err(ScriptError::Runtime { ref name, .. }) if name == "SyntaxError")
    );
    assert_eq!(
        num(&mut e, "eval('a + [1, 2].length')"),
        3.0,
        "direct eval still sees the scopes"
    );
    assert_eq!(num(&mut e, "new Function('p', 'return p * 2')(21)"), 42.0);
    // boa's JSON.parse bounds its own depth (at 128).
    assert_eq!(
        num(
            &mut e,
            &format!(
                "JSON.parse('{}1{}').length",
                "[".repeat(100),
                "]".repeat(100)
            )
        ),
        1.0
    );
    assert!(matches!(
        e.eval(&format!("JSON.parse('{}')", "[".repeat(100_000))),
        Err(ScriptError::Runtime { ref name, .. }) if name == "SyntaxError"
    ));
    assert_eq!(num(&mut e, "JSON.parse('{\"k\": [1, 2]}').k[1]"), 2.0);
}

/// Ordinary library-style code — ASI, regular expressions after every kind
/// of token, closures, methods, classes, templates, labels, switch — passes
/// the nesting guard and runs.
#[test]
fn library_style_code_compiles_and_runs() {
    let mut e = engine();
    let library = r#"
var util = (function () {
  'use strict'
  var pad = function (n) { return n < 10 ? '0' + n : '' + n }
  function digits(s) {
    if (/^\d+$/.test(s)) return s.split('').map(Number)
    return s.replace(/[^0-9]/g, '').split('').map(function (d) { return +d })
  }
  var table = { one: 1, two: 2, 'three': 3, four: [4, { five: 5 }], six() { return 6 } }
  class Counter {
    constructor() { this.n = 0 }
    inc(by = 1) { this.n += by; return this }
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0)
  let total = 0
  outer: for (var i = 0; i < 3; i++) {
    for (var j = 0; j < 3; j++) {
      if (j == 2) continue outer
      total += i * j
    }
  }
  switch (total) {
    case 3: total = total / 1; break
    default: total = -1
  }
  var re = total > 0 ? /x/ : /y/
  var s = `total ${total} and ${sum([1, 2, 3])} ${`nested ${pad(7)}`}`
  return { pad: pad, digits: digits, table: table, Counter: Counter, sum: sum, total: total, s: s, re: re }
})()
"#;
    run(&mut e, library);
    assert_eq!(string(&mut e, "util.pad(5)"), "05");
    assert_eq!(string(&mut e, "util.digits('4-2').join(',')"), "4,2");
    assert_eq!(
        num(&mut e, "util.table.four[1].five + util.table.six()"),
        11.0
    );
    assert_eq!(num(&mut e, "new util.Counter().inc().inc(2).n"), 3.0);
    assert_eq!(num(&mut e, "util.total"), 3.0);
    assert_eq!(string(&mut e, "util.s"), "total 3 and 6 nested 07");
    assert!(e.eval_bool("util.re.test('x')").unwrap());
}

/// A document's inline script runs with its position, so its errors point
/// into the document.
#[test]
fn document_scripts_report_document_positions() {
    use crate::vxml::{Declaration, Script, ScriptSource};
    let inline = |d: &crate::vxml::Document| match &d.declarations[0] {
        Declaration::Script(Script {
            source: ScriptSource::Inline { text, start },
            ..
        }) => (text.clone(), *start),
        other => panic!("{other:?}"),
    };
    let pizza = crate::vxml::parse(
        include_bytes!("../../tests/fixtures/vxml/pizza.vxml"),
        "pizza.vxml",
    )
    .unwrap();
    let (text, start) = inline(&pizza);
    let mut e = engine();
    e.run_script(
        &text,
        &Origin {
            name: &pizza.source,
            line: start.line,
            column: start.column,
        },
    )
    .unwrap();
    assert_eq!(num(&mut e, "price('large', ['ham', 'olives'])"), 15.0);

    let bad = crate::vxml::parse_str(
        "<vxml version=\"2.0\">\n<script>\nvar ok = 1;\n  var = 2;\n</script></vxml>",
        "bad.vxml",
    )
    .unwrap();
    let (text, start) = inline(&bad);
    let err = e
        .run_script(
            &text,
            &Origin {
                name: &bad.source,
                line: start.line,
                column: start.column,
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().starts_with("bad.vxml:4:7: syntax error"),
        "{err}"
    );
}
