//! The interpreter end to end, through the Rust API (`vxb::Browser`):
//! documents served by `vxb::serve::Origin` on 127.0.0.1 (or read from
//! `file:`), one test per element and behaviour of issue 4.

use std::path::Path;
use std::sync::Arc;

use vxb::clock::{Clock, SystemClock};
use vxb::config::Config;
use vxb::serve::Origin;
use vxb::{Browser, CallEnd, CallOptions, CallReport, CallerInput};

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/interp.rs"]
mod support;
use fixtures::origin;
use support::{error_of, events, logs, prompts, vxml, world, world_with};

// -------------------------------------------------------------- blocks ----

#[tokio::test]
async fn block_prompts_and_logs_reach_the_report() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form><block>
  <prompt>Hello   <value expr="'wor' + 'ld'"/>!</prompt>
  <log label="trace">x is <value expr="1 + 1"/></log>
  Bare text is a prompt too.
</block></form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        prompts(&r),
        vec!["Hello world!", "Bare text is a prompt too."]
    );
    assert_eq!(logs(&r), vec!["x is 2"]);
    assert_eq!(r.logs[0].label.as_deref(), Some("trace"));
    assert_eq!(r.fetches.len(), 1);
    assert_eq!(r.fetches[0].rtype, vxb::resource::ResourceType::Document);
}

fn fixture_dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/interp")
        .join(name)
}

/// A browser over one of the fixture directories.
async fn fixture_world(name: &str) -> (Origin, Browser) {
    let origin = origin(&fixture_dir(name), "").await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser = Browser::with_workers(Config::direct(), clock, None, 2).expect("browser");
    (origin, browser)
}

// ----------------------------------------------------- variables, if ----

#[tokio::test]
async fn var_assign_clear_and_if() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <var name="n" expr="1"/>
  <var name="visits" expr="0"/>
  <block name="b1">
    <assign name="n" expr="n + 1"/>
    <assign name="visits" expr="visits + 1"/>
    <if cond="n == 1"><log>one</log>
    <elseif cond="n == 2"/><log>two</log>
    <else/><log>many</log>
    </if>
    <var name="t" expr="'x'"/>
    <clear namelist="t"/>
    <log>t is <value expr="typeof t"/></log>
  </block>
  <block name="b2">
    <if cond="visits &lt; 3"><clear/></if>
  </block>
  <block><log>visits=<value expr="visits"/> b1=<value expr="b1"/></log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            "two",
            "t is undefined",
            "many",
            "t is undefined",
            "many",
            "t is undefined",
            "visits=3 b1=true"
        ]
    );
}

#[tokio::test]
async fn scopes_shadow_and_are_addressable() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<var name="x" expr="'document'"/>
<form>
  <var name="x" expr="'dialog'"/>
  <block>
    <var name="x" expr="'block'"/>
    <log>x=<value expr="x"/> dialog.x=<value expr="dialog.x"/> document.x=<value expr="document.x"/></log>
  </block>
  <block><log>second block sees <value expr="x"/></log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(
        logs(&r),
        vec![
            "x=block dialog.x=dialog document.x=document",
            "second block sees dialog"
        ]
    );
}

#[tokio::test]
async fn assignment_reaches_the_declaring_outer_scope() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<var name="count" expr="0"/>
<form>
  <block>
    <assign name="count" expr="count + 1"/>
    <assign name="document.count" expr="document.count + 10"/>
    <script>count = count + 100;</script>
  </block>
  <block><log>count=<value expr="count"/></log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(logs(&r), vec!["count=111"]);
}

#[tokio::test]
async fn assigning_an_undeclared_variable_is_a_semantic_error_with_position() {
    let w = world(&[(
        "a.vxml",
        &vxml("<form>\n  <block>\n    <assign name=\"nowhere\" expr=\"1\"/>\n  </block>\n</form>"),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("a.vxml:5:5: <assign>"), "{message}");
    assert!(
        message.contains("undeclared variable `nowhere`"),
        "{message}"
    );
    assert_eq!(events(&r), vec!["error.semantic"]);
    assert!(r.events[0].caught && r.events[0].default_handler);
}

#[tokio::test]
async fn application_scope_survives_leaves_of_one_root_and_resets_on_another() {
    let (origin, browser) = fixture_world("app").await;
    let url = origin.base_url().join("leaf1.vxml").expect("url");
    let r = browser
        .call(url.as_str(), CallerInput::default(), CallOptions::default())
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            "leaf1 hits=1 hello leaf1",
            "root caught app.custom in leaf1",
            "leaf2 hits=11",
            "other hits=undefined marker=root2-initialised",
            "root2 as document: marker=root2-initialised entries=1 same=true",
        ]
    );
    // Each root is fetched once, as a context; going on to a leaf of the
    // same root does not fetch it again.
    let contexts: Vec<&str> = r
        .fetches
        .iter()
        .filter(|f| f.rtype == vxb::resource::ResourceType::Context)
        .map(|f| f.url.as_str())
        .collect();
    assert_eq!(contexts.len(), 2, "{contexts:?}");
    assert!(contexts[0].ends_with("/root.vxml") && contexts[1].ends_with("/root2.vxml"));
}

// --------------------------------------------------------------- goto ----

#[tokio::test]
async fn goto_next_expr_and_dialog_fragments() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r##"<var name="trail" expr="'a'"/>
<form id="first">
  <block>
    <assign name="trail" expr="trail + '>first'"/>
    <goto next="#second"/>
  </block>
</form>
<form id="second">
  <block>
    <log>second keeps document variables: <value expr="trail"/></log>
    <goto expr="'b' + '.vxml#' + 'third'"/>
  </block>
</form>"##,
            ),
        ),
        (
            "b.vxml",
            &vxml(
                r#"<form id="unused"><block><log>wrong dialog</log></block></form>
<form id="third">
  <block>
    <log>b third, trail is <value expr="typeof trail"/></log>
    <goto next="c.vxml"/>
  </block>
</form>"#,
            ),
        ),
        (
            "c.vxml",
            &vxml("<form><block><log>c first dialog</log></block></form>"),
        ),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            "second keeps document variables: a>first",
            "b third, trail is undefined",
            "c first dialog"
        ]
    );
    // `#second` is not a fetch.
    let paths: Vec<String> = w
        .origin
        .log()
        .records()
        .iter()
        .map(|l| l.target.clone())
        .collect();
    assert_eq!(paths, vec!["/a.vxml", "/b.vxml", "/c.vxml"]);
}

#[tokio::test]
async fn goto_nextitem_and_expritem_select_the_next_form_item() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <block name="b1"><log>b1</log><goto nextitem="b3"/><log>never</log></block>
  <block name="b2"><log>b2</log></block>
  <block name="b3"><log>b3</log><goto expritem="'b' + 2"/></block>
  <block name="b4"><log>b4</log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(logs(&r), vec!["b1", "b3", "b2", "b4"]);
}

#[tokio::test]
async fn goto_a_missing_item_or_dialog_is_badfetch() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r##"<form>
  <error><log><value expr="_event"/>: <value expr="_message"/></log></error>
  <block name="b1"><goto nextitem="nope"/></block>
  <block name="b2"><goto next="#nodialog"/></block>
</form>"##,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    let l = logs(&r);
    assert_eq!(l.len(), 2, "{l:?}");
    assert!(
        l[0].starts_with("error.badfetch:") && l[0].contains("nope"),
        "{l:?}"
    );
    assert!(
        l[1].starts_with("error.badfetch:") && l[1].contains("nodialog"),
        "{l:?}"
    );
}

// ------------------------------------------------------------- submit ----

#[tokio::test]
async fn submit_get_sends_the_namelist_in_the_query() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r#"<form>
  <var name="city" expr="'San José'"/>
  <var name="n" expr="3"/>
  <var name="unsent" expr="'x'"/>
  <block><submit next="echo.vxml" namelist="city n"/></block>
</form>"#,
            ),
        ),
        (
            "echo.vxml",
            &vxml("<form><block><log>echoed</log></block></form>"),
        ),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(logs(&r), vec!["echoed"]);
    let echo = w.origin.log().for_path("/echo.vxml");
    assert_eq!(echo.len(), 1);
    assert_eq!(echo[0].method, http::Method::GET);
    assert_eq!(echo[0].target, "/echo.vxml?city=San+Jos%C3%A9&n=3");
}

#[tokio::test]
async fn submit_post_sends_a_form_body_and_is_never_cached() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r#"<form>
  <var name="city" expr="'Paris'"/>
  <var name="order" expr="({size: 'large', n: 2})"/>
  <block><submit next="echo.vxml" method="post" namelist="city order"/></block>
</form>"#,
            ),
        ),
        (
            "m.vxml",
            &vxml(
                r#"<form>
  <var name="city" expr="'Oslo'"/>
  <block><submit next="echo.vxml" method="post" enctype="multipart/form-data" namelist="city"/></block>
</form>"#,
            ),
        ),
        ("echo.vxml", &vxml("<form><block><log>echoed</log></block></form>")),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(logs(&r), vec!["echoed"]);
    let post = &w.origin.log().for_path("/echo.vxml")[0];
    assert_eq!(post.method, http::Method::POST);
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        &post.body[..],
        b"city=Paris&order=%7B%22size%22%3A%22large%22%2C%22n%22%3A2%7D"
    );
    let record = r
        .fetches
        .iter()
        .find(|f| f.url.ends_with("/echo.vxml"))
        .expect("fetch");
    assert_eq!(record.method, "POST");
    assert_eq!(record.decision(), Some(vxb::cache::Decision::Bypass));

    let r = w.call("m.vxml", &[]).await;
    assert_eq!(logs(&r), vec!["echoed"]);
    let post = &w.origin.log().for_path("/echo.vxml")[1];
    assert!(
        post.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("multipart/form-data; boundary=")),
        "{post:?}"
    );
    let body = String::from_utf8_lossy(&post.body);
    assert!(
        body.contains("Content-Disposition: form-data; name=\"city\"\r\n\r\nOslo\r\n"),
        "{body}"
    );
}

// ---------------------------------------------------------- subdialog ----

#[tokio::test]
async fn subdialog_takes_params_and_returns_a_namelist() {
    let w = world(&[
        (
            "main.vxml",
            &vxml(
                r#"<var name="callerOnly" expr="'mine'"/>
<form>
  <subdialog name="res" src="sub.vxml#ask">
    <param name="greeting" expr="'hi'"/>
    <param name="n" value="41"/>
    <filled><log>got <value expr="res.answer"/> and <value expr="res.echo"/></log></filled>
  </subdialog>
  <block><log>after: <value expr="res.answer"/>, still <value expr="callerOnly"/></log></block>
</form>"#,
            ),
        ),
        (
            "sub.vxml",
            &vxml(
                r#"<var name="docvar" expr="'sub-doc'"/>
<form id="unused"><block><log>wrong</log></block></form>
<form id="ask">
  <var name="greeting"/>
  <var name="n" expr="0"/>
  <block>
    <var name="answer" expr="Number(n) + 1"/>
    <var name="echo" expr="greeting + ' ' + docvar + ' ' + typeof callerOnly"/>
    <return namelist="answer echo"/>
  </block>
</form>"#,
            ),
        ),
    ])
    .await;
    let r = w.call("main.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec!["got 42 and hi sub-doc undefined", "after: 42, still mine"]
    );
}

#[tokio::test]
async fn subdialog_return_event_is_thrown_in_the_caller() {
    let w = world(&[(
        "main.vxml",
        &vxml(
            r##"<form id="main">
  <subdialog name="res" src="#fails"/>
  <catch event="lookup"><log>caller caught <value expr="_event"/>: <value expr="_message"/></log><exit/></catch>
</form>
<form id="fails">
  <block><return event="lookup.failed" messageexpr="'no such account'"/></block>
</form>"##,
        ),
    )])
    .await;
    let r = w.call("main.vxml", &[]).await;
    assert_eq!(
        logs(&r),
        vec!["caller caught lookup.failed: no such account"]
    );
}

#[tokio::test]
async fn a_param_without_a_var_is_a_semantic_error_in_the_subdialog() {
    let w = world(&[(
        "main.vxml",
        &vxml(
            r##"<form id="main">
  <subdialog name="res" src="#sub"><param name="stray" expr="1"/></subdialog>
</form>
<form id="sub"><block><return/></block></form>"##,
        ),
    )])
    .await;
    let r = w.call("main.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(
        message.contains("stray") && message.contains("no matching <var>"),
        "{message}"
    );
}

#[tokio::test]
async fn return_outside_a_subdialog_is_a_semantic_error() {
    let w = world(&[("a.vxml", &vxml("<form><block><return/></block></form>"))]).await;
    let r = w.call("a.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(
        message.contains("<return> outside a subdialog"),
        "{message}"
    );
}

// ---------------------------------------------------- exit, disconnect ----

#[tokio::test]
async fn exit_expr_and_namelist_become_the_exit_value() {
    let w = world(&[
        (
            "e.vxml",
            &vxml(r#"<form><block>Bye<exit expr="'done'"/><log>never</log></block></form>"#),
        ),
        (
            "n.vxml",
            &vxml(
                r#"<form><var name="a" expr="1"/><var name="b" expr="['x', 2.5]"/>
<block><exit namelist="a b"/></block></form>"#,
            ),
        ),
        ("p.vxml", &vxml("<form><block><exit/></block></form>")),
    ])
    .await;
    let r = w.call("e.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit);
    assert_eq!(r.exit_value, Some(serde_json::json!("done")));
    assert_eq!(prompts(&r), vec!["Bye"], "queued prompts play at exit");
    assert!(logs(&r).is_empty());
    let r = w.call("n.vxml", &[]).await;
    assert_eq!(
        r.exit_value,
        Some(serde_json::json!({"a": 1, "b": ["x", 2.5]}))
    );
    let r = w.call("p.vxml", &[]).await;
    assert_eq!(r.exit_value, None);
    assert_eq!(r.ended, CallEnd::Exit);
}

#[tokio::test]
async fn disconnect_plays_the_queue_then_final_processing_runs() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<catch event="connection.disconnect.hangup">
  <log>cleanup after <value expr="_event"/></log>
  <prompt>nobody hears this</prompt>
</catch>
<form>
  <var name="reason" expr="'done'"/>
  <block>Goodbye<disconnect namelist="reason"/><log>never</log></block>
  <field name="f"><prompt>never asked</prompt></field>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Disconnect, "{r:?}");
    assert_eq!(prompts(&r), vec!["Goodbye"]);
    assert_eq!(logs(&r), vec!["cleanup after connection.disconnect.hangup"]);
    assert_eq!(events(&r), vec!["connection.disconnect.hangup"]);
    assert_eq!(r.exit_value, Some(serde_json::json!({"reason": "done"})));
}

#[tokio::test]
async fn the_caller_hanging_up_throws_hangup_and_ends_the_call() {
    let w = world(&[(
        "a.vxml",
        &vxml(r#"<form><field name="f"><prompt>Your account number?</prompt></field></form>"#),
    )])
    .await;
    let r = w.call("a.vxml", &["hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup);
    assert_eq!(prompts(&r), vec!["Your account number?"]);
    assert_eq!(events(&r), vec!["connection.disconnect.hangup"]);
    assert!(r.events[0].default_handler);
}

// ------------------------------------------------------------- events ----

#[tokio::test]
async fn catch_selects_by_name_prefix_and_sees_event_and_message() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <catch event="com.example.other com.example"><log>prefix caught <value expr="_event"/> / <value expr="_message"/></log></catch>
  <catch event="com.example.oops.deeper"><log>too specific</log></catch>
  <catch event="com.exam"><log>not a token prefix</log></catch>
  <block><throw event="com.example.oops" messageexpr="'bad ' + 'thing'"/></block>
  <block><throw event="plain"/></block>
  <catch event="plain"><log>plain message is <value expr="typeof _message"/></log></catch>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            "prefix caught com.example.oops / bad thing",
            "plain message is undefined"
        ]
    );
    assert_eq!(events(&r), vec!["com.example.oops", "plain"]);
    assert!(r.events.iter().all(|e| e.caught && !e.default_handler));
}

#[tokio::test]
async fn catch_count_and_cond_choose_among_handlers() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <var name="allow" expr="false"/>
  <field name="f">
    <prompt>Say something.</prompt>
    <noinput count="1">First silence.</noinput>
    <noinput count="2">Second silence.<reprompt/></noinput>
    <noinput count="2" cond="allow">Never: a later handler with the same count.</noinput>
    <nomatch cond="allow">Not allowed.</nomatch>
    <nomatch>Allowed.<assign name="allow" expr="true"/></nomatch>
  </field>
</form>"#,
        ),
    )])
    .await;
    let r = w
        .call(
            "a.vxml",
            &[
                "noinput", "noinput", "noinput", "nomatch", "nomatch", "hangup",
            ],
        )
        .await;
    assert_eq!(r.ended, CallEnd::Hangup);
    assert_eq!(
        prompts(&r),
        vec![
            "Say something.",
            // count 1; no reprompt, so the field's prompt is not queued again
            "First silence.",
            // count 2, with <reprompt/>
            "Second silence.",
            "Say something.",
            // count 3: the highest count reached is 2
            "Second silence.",
            "Say something.",
            "Allowed.",
            "Not allowed.",
        ]
    );
}

#[tokio::test]
async fn handlers_are_inherited_as_if_copied_from_document_and_root() {
    let w = world(&[
        (
            "root.vxml",
            &vxml(
                r#"<catch event="app"><log>root handler sees <value expr="local"/> and <value expr="rootvar"/></log></catch>
<var name="rootvar" expr="'R'"/>"#,
            ),
        ),
        (
            "leaf.vxml",
            r#"<?xml version="1.0"?>
<vxml version="2.1" application="root.vxml">
  <catch event="doc"><log>document handler sees <value expr="local"/></log></catch>
  <form>
    <var name="local" expr="'dialog var'"/>
    <block><throw event="doc.one"/></block>
    <block><throw event="app.two"/></block>
  </form>
</vxml>"#,
        ),
    ])
    .await;
    let r = w.call("leaf.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            "document handler sees dialog var",
            "root handler sees dialog var and R"
        ]
    );
}

#[tokio::test]
async fn an_uncaught_event_ends_the_call_naming_it() {
    let w = world(&[(
        "a.vxml",
        &vxml(r#"<form><block>Before.<throw event="com.example.fatal" message="stop here"/></block></form>"#),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(
        r.ended,
        CallEnd::Error {
            event: "com.example.fatal".into(),
            message: "stop here".into()
        }
    );
    assert_eq!(prompts(&r), vec!["Before."]);
    assert!(r.events[0].default_handler);
}

#[tokio::test]
async fn default_handlers_reprompt_on_noinput_nomatch_and_help_and_continue_on_cancel() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <block><throw event="cancel"/><log>never</log></block>
  <block><throw event="help"/></block>
  <field name="f"><prompt>Which city?</prompt></field>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["noinput", "nomatch", "hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup, "{r:?}");
    assert_eq!(
        prompts(&r),
        vec!["Which city?", "Which city?", "Which city?"]
    );
    assert_eq!(
        events(&r),
        vec![
            "cancel",
            "help",
            "noinput",
            "nomatch",
            "connection.disconnect.hangup"
        ]
    );
    assert!(r.events.iter().all(|e| e.default_handler));
    assert!(logs(&r).is_empty());
}

#[tokio::test]
async fn default_handlers_end_the_call_on_each_error() {
    let w = world(&[
        (
            "semantic.vxml",
            &vxml("<form><block>\n<log><value expr=\"nosuchvar\"/></log></block></form>"),
        ),
        (
            "badfetch.vxml",
            &vxml(r#"<form><block><goto next="missing.vxml"/></block></form>"#),
        ),
        (
            "transfer.vxml",
            &vxml(r#"<form><transfer name="t" dest="tel:+15551234567"/></form>"#),
        ),
        (
            "object.vxml",
            &vxml(r#"<form><object name="o" classid="builtin://x"/></form>"#),
        ),
    ])
    .await;
    let r = w.call("semantic.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(
        message.contains("semantic.vxml:4:1: <value>: ReferenceError"),
        "{message}"
    );

    let r = w.call("badfetch.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch.http.404");
    assert!(message.contains("/missing.vxml: HTTP 404"), "{message}");

    // A blind transfer hands the caller over: the call is disconnected.
    let r = w.call("transfer.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Disconnect, "{r:?}");
    let r = w.call("object.vxml", &[]).await;
    assert_eq!(error_of(&r).0, "error.unsupported.objectname");
    assert!(error_of(&r).1.contains("builtin://x"));
}

#[tokio::test]
async fn badfetch_http_404_can_be_caught_specifically() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<catch event="error.badfetch.http.404"><log>404: <value expr="_message"/></log><exit expr="'recovered'"/></catch>
<error><log>generic</log></error>
<form><block><goto next="gone.vxml"/></block></form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit);
    assert_eq!(r.exit_value, Some(serde_json::json!("recovered")));
    let l = logs(&r);
    assert!(
        l[0].starts_with("404: http://127.0.0.1:")
            && l[0].ends_with("/gone.vxml: HTTP 404 Not Found"),
        "{l:?}"
    );
    let failed = r
        .fetches
        .iter()
        .find(|f| f.url.ends_with("/gone.vxml"))
        .expect("record");
    assert_eq!(failed.status(), Some(404));
    assert_eq!(failed.event(), Some("error.badfetch.http.404"));
}

#[tokio::test]
async fn input_items_reprompt_on_noinput_and_nomatch_then_fill() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <field name="f" type="digits">
    <prompt count="1">Enter your PIN.</prompt>
    <prompt count="2">Please enter your four digit PIN.</prompt>
    <catch event="noinput nomatch"><reprompt/></catch>
    <filled><log>PIN <value expr="f"/></log></filled>
  </field>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["noinput", "nomatch", "1234"]).await;
    assert_eq!(
        prompts(&r),
        vec![
            "Enter your PIN.",
            "Please enter your four digit PIN.",
            "Please enter your four digit PIN."
        ]
    );
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(logs(&r), vec!["PIN 1234"]);
    assert_eq!(events(&r), vec!["noinput", "nomatch"]);
}

#[tokio::test]
async fn menus_enumerate_their_choices_and_reprompt() {
    let w = world(&[(
        "m.vxml",
        &vxml(
            r#"<menu dtmf="true">
  <prompt>Main menu. <enumerate/></prompt>
  <choice next="sales.vxml">Sales</choice>
  <choice next="support.vxml" dtmf="9">Support</choice>
  <noinput>Please choose. <enumerate><value expr="_prompt"/> is <value expr="_dtmf"/>;</enumerate></noinput>
</menu>"#,
        ),
    )])
    .await;
    let r = w.call("m.vxml", &["noinput", "hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup);
    assert_eq!(
        prompts(&r),
        vec![
            "Main menu. For Sales, press 1. For Support, press 9.",
            "Please choose. Sales is 1; Support is 9;"
        ]
    );
}

// ---------------------------------------------------------- malformed ----

#[tokio::test]
async fn malformed_documents_are_badfetch_with_file_line_column_and_cause() {
    let w = world(&[
        ("unclosed.vxml", "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\">\n  <form>\n    <block>\n  </form>\n</vxml>\n"),
        ("unknown.vxml", &vxml("<form>\n  <blink/>\n</form>")),
        ("notvxml.vxml", "<html><body>hello</body></html>"),
        ("binary.vxml", "\u{0}\u{1}\u{2}garbage"),
        ("badattr.vxml", &vxml("<form>\n<block><prompt count=\"zero\">x</prompt></block>\n</form>")),
        ("missing.vxml", &vxml("<form><block><assign name=\"x\"/></block></form>")),
        ("empty.vxml", ""),
        (
            "caller.vxml",
            &vxml(r#"<error><log><value expr="_event"/> | <value expr="_message"/></log></error>
<form><block><goto next="unknown.vxml"/></block></form>"#),
        ),
    ])
    .await;
    let cases = [
        ("unclosed.vxml", "unclosed.vxml:5:", "malformed XML"),
        (
            "unknown.vxml",
            "unknown.vxml:4:3:",
            "<blink> is not a VoiceXML element",
        ),
        ("notvxml.vxml", "notvxml.vxml:1:", "not <vxml>"),
        ("binary.vxml", "binary.vxml:1:", "malformed XML"),
        ("badattr.vxml", "badattr.vxml:4:", "count=\"zero\""),
        ("missing.vxml", "missing.vxml:3:", "`expr`"),
        ("empty.vxml", "empty.vxml:1:", "malformed XML"),
    ];
    for (path, position, cause) in cases {
        let r = w.call(path, &[]).await;
        let (event, message) = error_of(&r);
        assert_eq!(event, "error.badfetch", "{path}: {message}");
        assert!(message.contains(position), "{path}: {message}");
        assert!(message.contains(cause), "{path}: {message}");
        assert!(!r.events[0].caught, "nothing could catch it: {path}");
    }
    // Reached by a goto, the same failure is the caller's to catch.
    let r = w.call("caller.vxml", &[]).await;
    let l = logs(&r);
    assert!(l[0].starts_with("error.badfetch | http://"), "{l:?}");
    assert!(l[0].contains("unknown.vxml:4:3: <blink>"), "{l:?}");
}

#[tokio::test]
async fn script_errors_are_semantic_with_document_positions() {
    let w = world(&[
        (
            "syntax.vxml",
            &vxml("<form>\n<block>\n<script>\nvar ok = 1;\nvar = broken;\n</script>\n</block>\n</form>"),
        ),
        (
            "runtime.vxml",
            &vxml("<script>\nfunction f() { return undefinedThing.x; }\n</script>\n<form><block><log><value expr=\"f()\"/></log></block></form>"),
        ),
        ("cond.vxml", &vxml("<form><block><if cond=\"1 +\"><log>x</log></if></block></form>")),
        ("ext.vxml", &vxml("<script src=\"lib.js\"/>\n<form><block/></form>")),
        ("lib.js", "var fine = 1;\nvar = 2;\n"),
    ])
    .await;
    let r = w.call("syntax.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("syntax.vxml:7:"), "{message}");
    assert!(message.contains("syntax error"), "{message}");

    let r = w.call("runtime.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("runtime.vxml:6:"), "{message}");
    assert!(message.contains("ReferenceError"), "{message}");

    let r = w.call("cond.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(
        message.contains("cond.vxml:3:") && message.contains("<if>"),
        "{message}"
    );

    let r = w.call("ext.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("/lib.js:2:"), "{message}");
}

#[tokio::test]
async fn each_broken_document_kind_is_named_at_its_line_and_column_in_the_authors_terms() {
    let w = world(&[
        (
            "goto.vxml",
            &vxml("<form id=\"main\">\n<block>\n  <goto next=\"#mian\"/>\n</block>\n</form>"),
        ),
        (
            "bracket.vxml",
            &vxml(
                "<script>\nfunction f(x) {\n  return (x + 1;\n}\n</script>\n<form><block/></form>",
            ),
        ),
        (
            "expr.vxml",
            &vxml("<form>\n<var name=\"x\" expr=\"1 +\"/>\n</form>"),
        ),
        (
            "sisr.vxml",
            &vxml(
                "<form><field name=\"f\">\n<grammar root=\"r\" mode=\"voice\" version=\"1.0\" \
                 xmlns=\"http://www.w3.org/2001/06/grammar\" tag-format=\"semantics/1.0\">\n\
                 <rule id=\"r\">yes<tag>out = nosuch.x;</tag></rule></grammar>\n</field></form>",
            ),
        ),
    ])
    .await;
    let message = |r: &CallReport| {
        let (event, message) = error_of(r);
        (event.to_string(), message.replace(&w.url(""), ""))
    };
    let r = w.call("goto.vxml", &[]).await;
    assert_eq!(
        message(&r),
        (
            "error.badfetch".to_string(),
            "goto.vxml:5:3: <goto>: no dialog with id `mian` (did you mean `#main`?)".to_string()
        )
    );
    let r = w.call("bracket.vxml", &[]).await;
    assert_eq!(
        message(&r),
        (
            "error.semantic".to_string(),
            "bracket.vxml:5:10: syntax error: unclosed `(`".to_string()
        )
    );
    let r = w.call("expr.vxml", &[]).await;
    assert_eq!(
        message(&r),
        (
            "error.semantic".to_string(),
            "expr.vxml:4:1: <var>: 1:4: syntax error: unexpected end of the expression".to_string()
        )
    );
    let r = w.call("sisr.vxml", &["say:yes"]).await;
    assert_eq!(
        message(&r),
        (
            "error.semantic".to_string(),
            "sisr.vxml:5:17: semantic interpretation tag failed: in rule `r`, \
             <tag>out = nosuch.x;</tag>: ReferenceError: nosuch is not defined"
                .to_string()
        )
    );
}

#[tokio::test]
async fn bad_urls_and_values_raise_the_right_events() {
    let w = world(&[
        ("badurl.vxml", &vxml(r#"<form><block><goto next="http://[::1"/></block></form>"#)),
        ("scheme.vxml", &vxml(r#"<form><block><goto next="ftp://example.com/x.vxml"/></block></form>"#)),
        (
            "prop.vxml",
            &vxml("<property name=\"documentmaxage\" value=\"soon\"/>\n<form><block><goto next=\"a.vxml\"/></block></form>"),
        ),
        ("foreach.vxml", &vxml(r#"<form><block><foreach array="42" item="x"><log>x</log></foreach></block></form>"#)),
        ("a.vxml", &vxml("<form><block/></form>")),
    ])
    .await;
    let r = w.call("badurl.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(message.contains("invalid URL"), "{message}");
    let r = w.call("scheme.vxml", &[]).await;
    assert!(error_of(&r).1.contains("unsupported scheme `ftp`"), "{r:?}");
    let r = w.call("prop.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(
        message.contains("prop.vxml:3:1: <property name=\"documentmaxage\""),
        "{message}"
    );
    let r = w.call("foreach.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("not an array"), "{message}");
    // A start URL that is not one.
    let r = w
        .browser
        .call("not a url", CallerInput::default(), CallOptions::default())
        .await;
    assert_eq!(error_of(&r).0, "error.badfetch");
}

// ------------------------------------------------- script, data, foreach ----

#[tokio::test]
async fn scripts_inline_and_fetched_declare_in_their_scope() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r#"<script src="lib/util.js"/>
<script>var docLevel = double(21);</script>
<form>
  <script>var inDialog = 'dialog';</script>
  <block>
    <script>var inBlock = docLevel + 1;</script>
    <log><value expr="docLevel"/> <value expr="inDialog"/> <value expr="inBlock"/> <value expr="typeof dialog.inBlock"/></log>
  </block>
</form>"#,
            ),
        ),
        ("lib/util.js", "function double(x) { return 2 * x; }"),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(logs(&r), vec!["42 dialog 43 undefined"]);
    let script = r
        .fetches
        .iter()
        .find(|f| f.url.ends_with("/lib/util.js"))
        .expect("script fetch");
    assert_eq!(script.rtype, vxb::resource::ResourceType::Script);
}

#[tokio::test]
async fn data_is_a_dom_the_spec_examples_walk_and_foreach_iterates() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r#"<data name="quote" src="quote.xml"/>
<script><![CDATA[
  function GetData(d, t, nodata) {
    try { return d.getElementsByTagName(t).item(0).firstChild.data; }
    catch (e) { return nodata; }
  }
  function names(d) {
    var out = [];
    var items = d.documentElement.getElementsByTagName('item');
    for (var i = 0; i < items.length; i++) { out.push(items.item(i).getAttribute('name')); }
    return out;
  }
]]></script>
<form>
  <block>
    <log>ticker <value expr="GetData(quote, 'ticker', '?')"/> last <value expr="GetData(quote, 'last', '?')"/> missing <value expr="GetData(quote, 'nope', 'none')"/></log>
    <log>root <value expr="quote.documentElement.nodeName"/>, <value expr="quote.documentElement.childNodes.length"/> children, first is <value expr="quote.documentElement.firstChild.nodeName"/></log>
    <foreach item="n" array="names(quote)">
      <log>item <value expr="n"/></log>
    </foreach>
    <prompt><foreach item="n" array="names(quote)"><value expr="n"/>, </foreach>done.</prompt>
    <data name="inner" src="quote.xml"/>
    <log>text <value expr="inner.documentElement.textContent.replace(/\s+/g, '')"/></log>
    <script>var frozen = true; try { quote.documentElement.nodeName = 'x'; } catch (e) { frozen = true; } frozen = quote.documentElement.nodeName === 'quote';</script>
    <log>read-only <value expr="frozen"/></log>
  </block>
</form>"#,
            ),
        ),
        (
            "quote.xml",
            r#"<?xml version="1.0"?>
<quote><ticker>F</ticker><name>Ford Motor Company</name><last>30.15</last>
  <list><item name="alpha"/><item name="beta"/></list></quote>"#,
        ),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            "ticker F last 30.15 missing none",
            "root quote, 5 children, first is ticker",
            "item alpha",
            "item beta",
            "text FFordMotorCompany30.15",
            "read-only true",
        ]
    );
    assert_eq!(prompts(&r), vec!["alpha, beta, done."]);
    let data: Vec<_> = r
        .fetches
        .iter()
        .filter(|f| f.rtype == vxb::resource::ResourceType::Data)
        .collect();
    assert_eq!(data.len(), 2);
}

#[tokio::test]
async fn data_that_is_not_xml_is_badfetch() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(r#"<form><block><data name="d" src="bad.xml"/></block></form>"#),
        ),
        ("bad.xml", "<a>\n<b></a>"),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(
        message.contains("/bad.xml:2:") && message.contains("not well-formed"),
        "{message}"
    );
}

#[tokio::test]
async fn session_connection_values_reach_the_document() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form><block><log><value expr="session.connection.remote.uri"/> to <value expr="session.connection.local.uri"/> via <value expr="session.connection.protocol.name"/></log></block></form>"#,
        ),
    )])
    .await;
    let options = CallOptions::default().connection(vxb::script::Connection {
        local_uri: Some("tel:+18005550100".into()),
        remote_uri: Some("tel:+15551234567".into()),
        protocol_name: Some("sip".into()),
        ..Default::default()
    });
    let r = w
        .browser
        .call(&w.url("a.vxml"), CallerInput::default(), options)
        .await;
    assert_eq!(
        logs(&r),
        vec!["tel:+15551234567 to tel:+18005550100 via sip"]
    );
}

// ------------------------------------------------------------- limits ----

fn tight_limits() -> Config {
    let mut config = Config::direct();
    config.limits.script_loop_iterations = 10_000;
    config.limits.script_recursion = 50;
    config.limits.max_document_transitions = 20;
    config.limits.max_steps_without_input = 200;
    config
}

#[tokio::test]
async fn runaway_scripts_documents_and_forms_are_stopped() {
    let w = world_with(
        &[
            ("loop.vxml", &vxml("<form><block><script>while (true) {}</script></block></form>")),
            (
                "recurse.vxml",
                &vxml("<script>function f(n) { return f(n + 1) + 1; }</script>\n<form><block><log><value expr=\"f(0)\"/></log></block></form>"),
            ),
            ("ping.vxml", &vxml(r#"<form><block><goto next="pong.vxml"/></block></form>"#)),
            ("pong.vxml", &vxml(r#"<form><block><goto next="ping.vxml"/></block></form>"#)),
            ("items.vxml", &vxml(r#"<form><block name="b"><goto nextitem="b"/></block></form>"#)),
            (
                "rethrow.vxml",
                &vxml(r#"<catch event="again"><throw event="again"/></catch><form><block><throw event="again"/></block></form>"#),
            ),
            ("self.vxml", &vxml(r##"<form id="f"><subdialog name="s" src="#f"/></form>"##)),
        ],
        "",
        tight_limits(),
    )
    .await;
    let started = std::time::Instant::now();
    let r = w.call("loop.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("loop iteration limit"), "{message}");

    let r = w.call("recurse.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("recursion limit"), "{message}");

    let r = w.call("ping.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(message.contains("max_document_transitions"), "{message}");
    assert_eq!(
        r.fetches.len(),
        20,
        "the 21st load is refused before it is fetched"
    );

    for path in ["items.vxml", "rethrow.vxml"] {
        let r = w.call(path, &[]).await;
        let (event, message) = error_of(&r);
        assert_eq!(event, "error.semantic", "{path}");
        assert!(
            message.contains("max_steps_without_input"),
            "{path}: {message}"
        );
    }

    let r = w.call("self.vxml", &[]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(message.contains("nested more than"), "{message}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "limits stop calls quickly"
    );
}

// ----------------------------------------------------------- observer ----

#[derive(Clone, Default)]
struct Seen(Arc<std::sync::Mutex<Vec<String>>>);

impl vxb::call::CallObserver for Seen {
    fn fetch(&mut self, r: &vxb::fetch::FetchRecord) {
        self.push(format!("fetch {}", r.url.rsplit('/').next().unwrap_or("")));
    }
    fn prompt(&mut self, p: &vxb::call::PromptRecord) {
        self.push(format!("prompt {}", p.text()));
    }
    fn log(&mut self, l: &vxb::call::LogRecord) {
        self.push(format!("log {}", l.message));
    }
    fn event(&mut self, e: &vxb::call::EventRecord) {
        self.push(format!("event {}", e.name));
    }
}

impl Seen {
    fn push(&self, s: String) {
        self.0.lock().expect("lock").push(s);
    }
}

#[tokio::test]
async fn the_observer_sees_each_entry_as_it_is_made() {
    let w = world(&[(
        "a.vxml",
        &vxml(r#"<form><block>Hi<log>one</log><throw event="x"/></block><catch event="x"><log>two</log></catch></form>"#),
    )])
    .await;
    let seen = Seen::default();
    let options = CallOptions {
        observer: Some(Box::new(seen.clone())),
        ..CallOptions::default()
    };
    let r = w
        .browser
        .call(&w.url("a.vxml"), CallerInput::default(), options)
        .await;
    assert_eq!(r.ended, CallEnd::Exit);
    assert_eq!(
        *seen.0.lock().expect("lock"),
        vec!["fetch a.vxml", "log one", "event x", "log two", "prompt Hi"]
    );
}

// ------------------------------------------------ xml:base, shorthands ----

#[tokio::test]
async fn xml_base_is_the_base_of_every_relative_uri() {
    let w = world(&[
        (
            "app/a.vxml",
            r#"<?xml version="1.0"?>
<vxml version="2.1" xml:base="../other/">
  <script src="lib.js"/>
  <form><block><log><value expr="where"/></log><goto next="b.vxml"/></block></form>
</vxml>"#,
        ),
        ("other/lib.js", "var where = 'lib from other';"),
        (
            "other/b.vxml",
            &vxml("<form><block><log>b from other</log></block></form>"),
        ),
    ])
    .await;
    let r = w.call("app/a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(logs(&r), vec!["lib from other", "b from other"]);
}

#[tokio::test]
async fn shorthand_handlers_catch_their_events() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<help><log>help: <value expr="_event"/></log></help>
<error><log>error: <value expr="_event"/></log></error>
<form>
  <block><throw event="help"/></block>
  <block><throw event="error.com.example.broken"/></block>
  <field name="f">
    <noinput><log>noinput</log></noinput>
    <nomatch><log>nomatch</log></nomatch>
  </field>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["noinput", "nomatch", "hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup);
    assert_eq!(
        logs(&r),
        vec![
            "help: help",
            "error: error.com.example.broken",
            "noinput",
            "nomatch"
        ]
    );
}

// ------------------------------------------------------ never a panic ----

/// Documents mangled at random (bytes flipped, cut short, elements
/// dropped) always end in a report saying what happened: the call's worker
/// never dies with it.
#[tokio::test]
async fn mangled_documents_never_bring_a_call_down() {
    let base = vxml(
        r##"<var name="n" expr="0"/>
<script>function inc(x) { return x + 1; }</script>
<catch event="error"><log><value expr="_event"/></log></catch>
<form id="f">
  <var name="v" expr="inc(n)"/>
  <block name="b"><prompt>Count <value expr="v"/>.</prompt>
    <if cond="v &lt; 3"><assign name="n" expr="v"/><clear namelist="b v"/></if>
    <foreach item="i" array="[1, 2]"><log><value expr="i"/></log></foreach>
  </block>
  <subdialog name="s" src="#sub"><param name="p" expr="v"/></subdialog>
  <field name="x"><prompt>Say it.</prompt><noinput><reprompt/></noinput></field>
  <block><goto next="#g"/></block>
</form>
<form id="sub"><var name="p"/><block><return namelist="p"/></block></form>
<form id="g"><block><exit expr="n"/></block></form>"##,
    );
    let mut files = vec![("base.vxml".to_string(), base.clone())];
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..60 {
        let mut bytes = base.clone().into_bytes();
        match i % 3 {
            0 => {
                for _ in 0..3 {
                    let at = rng.usize(..bytes.len());
                    bytes[at] = b"<>/\"'=&x 9;{}"[rng.usize(..13)];
                }
            }
            1 => bytes.truncate(rng.usize(..bytes.len())),
            _ => {
                let at = rng.usize(..bytes.len());
                let len = rng.usize(..40).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
        }
        files.push((
            format!("m{i}.vxml"),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_str()))
        .collect();
    let w = world(&refs).await;
    let r = w.call("base.vxml", &["noinput", "hangup"]).await;
    assert_eq!(
        r.ended,
        CallEnd::Hangup,
        "the unmangled document works: {r:?}"
    );
    for (name, _) in files.iter().skip(1) {
        let r = w.call(name, &["noinput", "hangup"]).await;
        if let CallEnd::Error { message, .. } = &r.ended {
            assert!(!message.contains("worker stopped"), "{name}: {message}");
            assert!(!message.is_empty(), "{name}: an error says why");
        }
    }
}

#[tokio::test]
async fn a_handler_without_reprompt_silences_only_its_own_items_next_prompts() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <catch event="x"><log>caught</log></catch>
  <block><throw event="x"/></block>
  <field name="f"><prompt>Next question?</prompt><noinput>Hello?</noinput></field>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["noinput", "hangup"]).await;
    assert_eq!(logs(&r), vec!["caught"]);
    // The block's handler does not silence the field; the field's own
    // noinput handler (no <reprompt>) does.
    assert_eq!(prompts(&r), vec!["Next question?", "Hello?"]);
}

// ------------------------------------------------------ engine reuse ----

/// A site and a browser with one worker, so consecutive calls share it.
async fn one_worker_world(files: &[(&str, &str)], rules: &str, config: Config) -> support::World {
    support::world_on(files, rules, config, 1).await
}

/// Logs `typeof` of what `leave.vxml` leaves behind, as the next call sees it.
const LOOK: &str = r#"<form><block>
  <log>doc <value expr="typeof secret"/></log>
  <log>app <value expr="typeof appsecret"/></log>
  <log>script <value expr="typeof s2 + ' ' + typeof f + ' ' + typeof lex"/></log>
  <log>lastresult <value expr="typeof application.lastresult$"/></log>
  <log>globals <value expr="typeof leaked + ' ' + typeof [].leak + ' ' + typeof Math.mine"/></log>
  <log>remote <value expr="session.connection.remote.uri"/></log>
</block></form>"#;

const SEEN_NOTHING: [&str; 6] = [
    "doc undefined",
    "app undefined",
    "script undefined undefined undefined",
    "lastresult undefined",
    "globals undefined undefined undefined",
    "remote undefined",
];

/// Runs `leave` and then [`LOOK`] on one worker, checks that the second call
/// saw nothing of the first, and returns the first call's report and the
/// engines made, reused and discarded.
async fn leave_then_look(leave: &str) -> (CallReport, (u64, u64, u64)) {
    let w = one_worker_world(
        &[("leave.vxml", leave), ("look.vxml", &vxml(LOOK))],
        "",
        Config::direct(),
    )
    .await;
    let a = w.call("leave.vxml", &[]).await;
    let b = w.call("look.vxml", &[]).await;
    assert_eq!(b.ended, CallEnd::Exit, "{b:?}");
    assert_eq!(logs(&b), SEEN_NOTHING, "{b:?}");
    let stats = w.browser.engine_stats();
    (a, (stats.made, stats.reused, stats.discarded))
}

#[tokio::test]
async fn consecutive_calls_reuse_an_engine_and_see_nothing_of_each_other() {
    let leave = vxml(
        r#"<var name="appsecret" expr="'A'"/>
<form>
  <var name="secret" expr="'A'"/>
  <block>
    <script>var s2 = 1; function f() { return s2; } let lex = 3;</script>
    <assign name="appsecret" expr="appsecret + f()"/>
    <log>set <value expr="appsecret"/></log>
  </block>
</form>"#,
    );
    let (a, engines) = leave_then_look(&leave).await;
    assert_eq!(logs(&a), ["set A1"], "{a:?}");
    assert_eq!(engines, (1, 1, 0));
}

/// Every way a call might leave a mark on a shared `<data>` DOM; in strict
/// functions, so each refused write throws.
const MARK_DOM: &str = r#"<data name="d" src="d.xml"/>
<form><block>
  <script><![CDATA[
    var tries = [
      function () { 'use strict'; d.documentElement.mark = 1; },
      function () { 'use strict'; d.mark = 1; },
      function () { 'use strict'; d.getElementsByTagName.mark = 1; },
      function () { 'use strict'; Object.getPrototypeOf(d).mark = 1; },
      function () { 'use strict'; d.documentElement.childNodes.item.mark = 1; },
      function () { 'use strict'; Object.getPrototypeOf(d.documentElement.childNodes).mark = 1; },
      function () { 'use strict'; Object.getPrototypeOf(d.documentElement.attributes).mark = 1; },
      function () { 'use strict'; d.documentElement.attributes.getNamedItem.mark = 1; },
      function () { 'use strict'; Object.getOwnPropertyDescriptor(Object.getPrototypeOf(d), 'textContent').get.mark = 1; },
      function () { 'use strict'; d.documentElement.attributes[0].mark = 1; },
      function () { 'use strict'; d.documentElement.childNodes.push(1); },
      function () { 'use strict'; d.documentElement.firstChild.data = 'changed'; }
    ];
    var refused = 0;
    for (var i = 0; i < tries.length; i++) { try { tries[i](); } catch (e) { refused++; } }
  ]]></script>
  <log>refused <value expr="refused"/> of <value expr="tries.length"/></log>
</block></form>"#;

/// What the next call finds on the DOM.
const READ_DOM: &str = r#"<data name="d" src="d.xml"/>
<form><block>
  <log>marks <value expr="[d.documentElement.mark, d.mark, d.getElementsByTagName.mark,
    Object.getPrototypeOf(d).mark, d.documentElement.childNodes.item.mark,
    Object.getPrototypeOf(d.documentElement.childNodes).mark,
    Object.getPrototypeOf(d.documentElement.attributes).mark,
    d.documentElement.attributes.getNamedItem.mark,
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(d), 'textContent').get.mark,
    d.documentElement.attributes[0].mark].map(function (m) { return typeof m; }).join(' ')"/></log>
  <log>walk <value expr="d.documentElement.getAttribute('id')"/> <value expr="d.getElementsByTagName('item').length"/> <value expr="d.documentElement.childNodes.item(0).data"/> <value expr="d.documentElement.childNodes.length"/></log>
</block></form>"#;

#[tokio::test]
async fn a_reused_engine_keeps_the_dom_of_cached_data_and_no_call_can_mark_it() {
    let rules = "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=3600\" }\n";
    let data = r#"<?xml version="1.0"?><list id="L">first<item/><item/></list>"#;
    let w = one_worker_world(
        &[
            ("mark.vxml", &vxml(MARK_DOM)),
            ("read.vxml", &vxml(READ_DOM)),
            ("d.xml", data),
        ],
        rules,
        Config::direct(),
    )
    .await;
    let a = w.call("mark.vxml", &[]).await;
    assert_eq!(logs(&a), ["refused 12 of 12"], "{a:?}");
    let built_by_a = w.browser.engine_stats().host_objects_built;
    assert_eq!(built_by_a, 1, "the first call builds the DOM");
    let b = w.call("read.vxml", &[]).await;
    assert_eq!(
        logs(&b),
        [
            "marks undefined undefined undefined undefined undefined undefined undefined undefined undefined undefined",
            "walk L 2 first 3",
        ],
        "{b:?}"
    );
    let stats = w.browser.engine_stats();
    assert_eq!((stats.made, stats.reused), (1, 1), "one engine served both");
    assert_eq!(
        stats.host_objects_built, 1,
        "the second call read the DOM the engine kept for the cached document"
    );
}

#[tokio::test]
async fn data_that_is_not_cached_gets_a_dom_built_per_call() {
    let rules = "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"no-store\" }\n";
    let data = r#"<?xml version="1.0"?><list id="L">first<item/><item/></list>"#;
    let w = one_worker_world(
        &[("read.vxml", &vxml(READ_DOM)), ("d.xml", data)],
        rules,
        Config::direct(),
    )
    .await;
    for _ in 0..2 {
        let r = w.call("read.vxml", &[]).await;
        assert_eq!(logs(&r)[1], "walk L 2 first 3", "{r:?}");
    }
    let stats = w.browser.engine_stats();
    assert_eq!((stats.made, stats.reused), (1, 1));
    assert_eq!(
        stats.host_objects_built, 2,
        "a fresh document is a fresh DOM"
    );
}

#[tokio::test]
async fn a_call_that_changes_built_ins_does_not_pass_its_engine_on() {
    let leave = vxml(
        r#"<form><block>
  <script>Array.prototype.leak = 'A'; Math.mine = 1; (0, eval)('var leaked = 1');</script>
  <log>set <value expr="typeof leaked + ' ' + [].leak"/></log>
</block></form>"#,
    );
    let (a, engines) = leave_then_look(&leave).await;
    assert_eq!(logs(&a), ["set number A"], "{a:?}");
    assert_eq!(engines, (2, 0, 1));
}

#[tokio::test]
async fn the_flow_fixture_runs_on_one_engine_call_after_call() {
    // As the `call` bench serves it.
    let rules = "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=3600\" }\n";
    let origin = origin(&fixture_dir("flow"), rules).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser = Browser::with_workers(Config::direct(), clock, None, 1).expect("browser");
    let start = origin
        .base_url()
        .join("step1.vxml")
        .expect("url")
        .to_string();
    for _ in 0..3 {
        let r = browser
            .call(&start, CallerInput::default(), CallOptions::default())
            .await;
        assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
        assert_eq!(r.prompts.len(), 5);
    }
    let stats = browser.engine_stats();
    assert_eq!((stats.made, stats.reused, stats.discarded), (1, 2, 0));
}
