//! The interpreter end to end, through the Rust API (`vxb::call::Browser`):
//! documents served by `vxb::serve::Origin` on 127.0.0.1 (or read from
//! `file:`), one test per element and behaviour of issue 4.

use std::path::Path;
use std::sync::Arc;

use tempfile::TempDir;
use vxb::call::{Browser, CallEnd, CallOptions, CallReport, CallerInput};
use vxb::clock::{Clock, SystemClock};
use vxb::config::Config;
use vxb::serve::{Origin, Rules, ServeOptions};

// ------------------------------------------------------------ harness ----

/// A site on a live origin and a browser to call it with.
struct World {
    _dir: TempDir,
    origin: Origin,
    browser: Browser,
}

fn write(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, body).expect("write fixture");
}

async fn world_with(files: &[(&str, &str)], rules: &str, config: Config) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        write(dir.path(), name, body);
    }
    let options = ServeOptions {
        rules: Rules::parse(rules, Path::new("rules.toml")).expect("rules"),
        ..ServeOptions::new(dir.path())
    };
    let origin = Origin::start(options).await.expect("origin");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser = Browser::with_workers(config, clock, Some(dir.path()), 2).expect("browser");
    World {
        _dir: dir,
        origin,
        browser,
    }
}

async fn world(files: &[(&str, &str)]) -> World {
    world_with(files, "", Config::default()).await
}

impl World {
    fn url(&self, path: &str) -> String {
        self.origin.base_url().join(path).expect("path").to_string()
    }

    async fn call(&self, path: &str, input: &[&str]) -> CallReport {
        let input = CallerInput::parse(input).expect("tokens");
        self.browser
            .call(&self.url(path), input, CallOptions::default())
            .await
    }
}

/// A VoiceXML 2.1 document around `body`.
fn vxml(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n{body}\n</vxml>\n"
    )
}

fn prompts(r: &CallReport) -> Vec<&str> {
    r.prompts.iter().map(|p| p.text()).collect()
}

fn logs(r: &CallReport) -> Vec<&str> {
    r.logs.iter().map(|l| l.message.as_str()).collect()
}

fn events(r: &CallReport) -> Vec<&str> {
    r.events.iter().map(|e| e.name.as_str()).collect()
}

fn error_of(r: &CallReport) -> (&str, &str) {
    match &r.ended {
        CallEnd::Error { event, message } => (event.as_str(), message.as_str()),
        other => panic!("expected an error end, got {other:?}"),
    }
}

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
    let origin = Origin::start(ServeOptions::new(fixture_dir(name)))
        .await
        .expect("origin");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser = Browser::with_workers(Config::default(), clock, None, 2).expect("browser");
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
    assert_eq!(record.decision, Some(vxb::cache::Decision::Bypass));

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
