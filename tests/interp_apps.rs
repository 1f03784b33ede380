//! Applications written for production platforms, end to end through the
//! Rust API with scripted callers: ABNF grammars (inline and fetched),
//! grammars in formats vxb cannot read, `error.unsupported.*` caught by
//! the page itself, and the `<data>` DOM as VoiceXML 2.1's own example
//! walks it.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/interp.rs"]
mod support;
use support::{error_of, events, logs, prompts, vxml, world};

// ------------------------------------------------------ schema slips ----

/// One tolerated schema slip: a page, the caller's input, what the call
/// does with the slip tolerated, and what the warning (or, under `strict`,
/// the refusal) says.
struct SlipCase {
    page: &'static str,
    input: &'static [&'static str],
    logs: &'static [&'static str],
    prompts: &'static [&'static str],
    says: &'static str,
    at: &'static str,
}

const SLIPS: &[SlipCase] = &[
    SlipCase {
        page: "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\">\n<form><block><log>ran</log></block></form>\n</vxml>\n",
        input: &[],
        logs: &["ran"],
        prompts: &[],
        says: "<vxml> has no namespace",
        at: ":2:1:",
    },
    SlipCase {
        page: "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\">\n<form><block><log>ran</log></block></form>\n</vxml>\n",
        input: &[],
        logs: &["ran"],
        prompts: &[],
        says: "<vxml> has no `version`",
        at: ":2:1:",
    },
    SlipCase {
        page: "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n<form>\n  <var name=\"n\" expr=\"1\"/>\n  <log>first <value expr=\"n\"/></log>\n  <assign name=\"n\" expr=\"n + 1\"/>\n  <block><log>then <value expr=\"n\"/></log></block>\n</form>\n</vxml>\n",
        input: &[],
        logs: &["first 1", "then 2"],
        prompts: &[],
        says: "<log> directly inside <form>",
        at: ":5:3:",
    },
    SlipCase {
        page: "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n<form><block>\n  <prompt>Hello <prompt>and welcome</prompt> caller.</prompt>\n</block></form>\n</vxml>\n",
        input: &[],
        logs: &[],
        prompts: &["Hello and welcome caller."],
        says: "<prompt> inside <prompt>",
        at: ":4:17:",
    },
    SlipCase {
        page: "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n<form><field name=\"f\">\n  <grammar mode=\"voice\"><rule id=\"private\">no</rule><rule id=\"yes\" scope=\"public\">yes</rule></grammar>\n  <filled><log>f=<value expr=\"f\"/></log></filled>\n</field></form>\n</vxml>\n",
        input: &["say:yes"],
        logs: &["f=yes"],
        prompts: &[],
        says: "<grammar> names no root rule",
        at: ":4:3:",
    },
    SlipCase {
        page: "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n<form><field name=\"f\">\n  <grammar type=\"application/srgs\">#ABNF 1.0; $private = no; public $yes = yes;</grammar>\n  <filled><log>f=<value expr=\"f\"/></log></filled>\n</field></form>\n</vxml>\n",
        input: &["say:yes"],
        logs: &["f=yes"],
        prompts: &[],
        says: "<grammar> names no root rule",
        at: ":4:36:",
    },
];

/// Each slip loads with a warning naming file, line and what the schema
/// says, and runs as production browsers run it; under `strict` the same
/// page is refused with `error.badfetch` at the same place.
#[tokio::test]
async fn tolerated_slips_load_with_a_warning_and_strict_refuses_them() {
    let files: Vec<(String, &str)> = SLIPS
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("slip{i}.vxml"), c.page))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let lenient = world(&files).await;
    let mut config = vxb::config::Config::direct();
    config.strict = true;
    let strict = support::world_with(&files, "", config).await;
    for (i, case) in SLIPS.iter().enumerate() {
        let page = format!("slip{i}.vxml");
        let r = lenient.call(&page, case.input).await;
        assert_eq!(r.ended, vxb::CallEnd::Exit, "{page}: {r:?}");
        assert_eq!(logs(&r), case.logs, "{page}: {r:?}");
        assert_eq!(prompts(&r), case.prompts, "{page}: {r:?}");
        let at = format!("/{page}{}", case.at);
        let Some(warning) = r.warnings.first() else {
            panic!("{page}: no warning")
        };
        assert!(
            warning.contains(&at)
                && warning.contains(case.says)
                && warning.contains("the schema")
                && warning.contains("tolerated"),
            "{page}: {warning}"
        );
        let r = strict.call(&page, case.input).await;
        let (event, message) = error_of(&r);
        assert_eq!(event, "error.badfetch", "{page}: {r:?}");
        assert!(
            message.contains(&at) && message.contains(case.says),
            "{page}: {message}"
        );
        assert!(r.logs.is_empty() && r.warnings.is_empty(), "{page}: {r:?}");
    }
}

// ------------------------------------------------------- <data> DOM ----

/// VoiceXML 2.1's stock-quote example, unchanged: its absolute
/// `http://www.example.org/` URLs reach the test origin on 127.0.0.1
/// because the browser's HTTP proxy is that origin (which serves by path).
#[tokio::test]
async fn the_voicexml_21_stock_quote_example_runs_unchanged() {
    let dir = fixtures::site(&[
        ("quote.vxml", include_str!("fixtures/stockquote/quote.vxml")),
        ("getquote", include_str!("fixtures/stockquote/getquote")),
        (
            "grammars/nasdaq.grxml",
            include_str!("fixtures/stockquote/nasdaq.grxml"),
        ),
    ]);
    let origin = fixtures::origin(dir.path(), "").await;
    let mut config = vxb::config::Config::direct();
    config.fetch.proxy = vxb::config::ProxySetting::Urls(
        vxb::config::ProxyList::new(vec![origin.base_url()]).expect("one proxy"),
    );
    let clock: std::sync::Arc<dyn vxb::clock::Clock> = std::sync::Arc::new(vxb::clock::SystemClock);
    let browser = vxb::Browser::with_workers(config, clock, Some(dir.path()), 1).expect("browser");
    let input = vxb::CallerInput::parse(&["say:ford"]).expect("tokens");
    let r = browser
        .call(
            "http://www.example.org/quote.vxml",
            input,
            vxb::CallOptions::default(),
        )
        .await;
    assert_eq!(r.ended, vxb::CallEnd::Exit, "{r:?}");
    assert_eq!(
        prompts(&r),
        [
            "Say a company name.",
            "Ford Motor Company last traded at 30.00, 1.00 from yesterday."
        ],
        "{r:?}"
    );
    let asked: Vec<String> = origin
        .log()
        .for_path("/getquote")
        .into_iter()
        .map(|l| l.target)
        .collect();
    assert_eq!(asked, ["/getquote?ticker=F"]);
}

/// The namespace-aware half of the DOM subset, on a document that binds
/// one namespace as the default and another to a prefix.
#[tokio::test]
async fn the_data_dom_answers_the_namespace_methods() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r#"<data name="d" src="ns.xml"/>
<script><![CDATA[
  var Q = 'urn:example:quote', X = 'urn:example:extra';
  var root = d.documentElement;
  var last = d.getElementsByTagNameNS(Q, 'last').item(0);
  var extra = d.getElementsByTagNameNS(X, '*');
  var at = root.getAttributeNodeNS(X, 'source');
  function show(n) { return [n.nodeName, n.localName, n.prefix, n.namespaceURI].join('|'); }
]]></script>
<form><block>
  <log>root <value expr="show(root)"/></log>
  <log>last <value expr="show(last)"/> = <value expr="last.firstChild.data"/></log>
  <log>extra <value expr="extra.length"/> <value expr="show(extra.item(0))"/></log>
  <log>any <value expr="d.getElementsByTagNameNS('*', 'last').length"/> none <value expr="d.getElementsByTagNameNS('', 'last').length"/> plain <value expr="d.getElementsByTagNameNS(null, 'note').length"/></log>
  <log>attr <value expr="root.getAttributeNS(X, 'source')"/> <value expr="root.hasAttributeNS(X, 'source')"/> <value expr="root.hasAttributeNS(Q, 'source')"/> [<value expr="root.getAttributeNS(Q, 'source')"/>] <value expr="root.getAttribute('x:source')"/></log>
  <log>node <value expr="show(at)"/> <value expr="at.value"/> <value expr="at.specified"/> <value expr="at.ownerElement === root"/> <value expr="root.attributes.getNamedItemNS(X, 'source') === at"/></log>
  <log>xmlns <value expr="root.getAttributeNS('http://www.w3.org/2000/xmlns/', 'x')"/> <value expr="root.getAttribute('xmlns')"/> <value expr="root.attributes.length"/> <value expr="root.hasAttributes()"/> <value expr="last.hasAttributes()"/></log>
  <log>byid <value expr="d.getElementById('n1').nodeName"/> <value expr="d.getElementById('nope')"/> doctype <value expr="d.doctype"/></log>
  <log>text <value expr="last.firstChild.substringData(1, 3)"/> <value expr="last.firstChild.localName"/> <value expr="last.firstChild.attributes"/> <value expr="d.getAttributeNode('x')"/></log>
</block></form>"#,
            ),
        ),
        (
            "ns.xml",
            r#"<?xml version="1.0"?>
<quote xmlns="urn:example:quote" xmlns:x="urn:example:extra" x:source="feed">
  <last>30.15</last>
  <x:volume>12</x:volume>
  <note xmlns="" id="n1">plain</note>
</quote>"#,
        ),
    ])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(
        logs(&r),
        [
            "root quote|quote||urn:example:quote",
            "last last|last||urn:example:quote = 30.15",
            "extra 1 x:volume|volume|x|urn:example:extra",
            "any 1 none 0 plain 1",
            "attr feed true false [] feed",
            "node x:source|source|x|urn:example:extra feed true true true",
            "xmlns urn:example:extra urn:example:quote 3 true false",
            "byid note null doctype null",
            "text 0.1 null null null",
        ],
        "{r:?}"
    );
}

// ------------------------------------------------------------- ABNF ----

#[tokio::test]
async fn inline_abnf_grammars_fill_fields_in_voice_and_dtmf() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r##"<form>
  <field name="drink">
    <grammar type="application/srgs" mode="voice"><![CDATA[
      #ABNF 1.0;
      root $drink;
      public $drink = [a] (coke {out = "cola";} | /2/ "ginger ale" {out = "ale";}) [please];
    ]]></grammar>
    <grammar mode="dtmf">#ABNF 1.0; mode dtmf; tag-format &lt;semantics/1.0-literals&gt;; root $k; $k = 1 {cola} | 2 {ale};</grammar>
  </field>
  <field name="count">
    <grammar type="application/srgs">#ABNF 1.0; mode dtmf; root $n; $n = (1|2|3)&lt;1-2&gt;;</grammar>
  </field>
  <block><log>drink=<value expr="drink"/> count=<value expr="count"/> mode=<value expr="count$.inputmode"/></log></block>
</form>"##,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["say:a ginger ale please", "23"]).await;
    assert_eq!(logs(&r), ["drink=ale count=2 3 mode=dtmf"], "{r:?}");
    let r = w.call("a.vxml", &["1", "1"]).await;
    assert_eq!(logs(&r), ["drink=cola count=1 mode=dtmf"], "{r:?}");
    let r = w.call("a.vxml", &["say:coke", "123", "4"]).await;
    assert_eq!(
        events(&r),
        ["nomatch", "nomatch", "connection.disconnect.hangup"],
        "{r:?}"
    );
}

#[tokio::test]
async fn fetched_abnf_grammars_and_their_external_rules() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r#"<form>
  <field name="city"><grammar src="cities.gram"/></field>
  <block><log>city=<value expr="city.code"/> via <value expr="city$.utterance"/></log></block>
</form>"#,
            ),
        ),
        (
            "cities.gram",
            "#ABNF 1.0 UTF-8;\nlanguage en-US;\nroot $trip;\ntag-format <semantics/1.0>;\npublic $trip = [to] $<names.abnf#name> {out.code = rules.name;};\n",
        ),
        (
            "names.abnf",
            "#ABNF 1.0;\npublic $name = boston {out = \"BOS\";} | paris {out = \"CDG\";};\n",
        ),
    ])
    .await;
    let r = w.call("a.vxml", &["say:to Paris"]).await;
    assert_eq!(logs(&r), ["city=CDG via to Paris"], "{r:?}");
}

/// An inline ABNF grammar's `$<uri#rule>` resolves against its document's
/// `xml:base`, as an inline XML grammar's `<ruleref uri>` does; a `base`
/// declaration in the grammar wins over it.
#[tokio::test]
async fn inline_abnf_references_resolve_against_the_documents_xml_base() {
    let page = |grammar: &str| {
        format!(
            r#"<?xml version="1.0"?>
<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" xml:base="grammars/">
<form>
  <field name="city"><grammar type="application/srgs">{grammar}</grammar></field>
  <block><log>city=<value expr="city"/></log></block>
</form>
</vxml>"#
        )
    };
    let w = world(&[
        (
            "a.vxml",
            &page("#ABNF 1.0; root $trip; public $trip = [to] $&lt;names.abnf#name&gt; {out = rules.name;};"),
        ),
        (
            "b.vxml",
            &page("#ABNF 1.0; base &lt;../other/&gt;; root $trip; public $trip = [to] $&lt;names.abnf#name&gt; {out = rules.name;};"),
        ),
        (
            "grammars/names.abnf",
            "#ABNF 1.0;\npublic $name = paris {out = \"CDG\";};\n",
        ),
        (
            "other/names.abnf",
            "#ABNF 1.0;\npublic $name = paris {out = \"ORY\";};\n",
        ),
    ])
    .await;
    let r = w.call("a.vxml", &["say:to Paris"]).await;
    assert_eq!(logs(&r), ["city=CDG"], "{r:?}");
    let names: Vec<_> = r.fetches.iter().map(|f| f.url.as_str()).collect();
    assert!(
        names.iter().any(|u| u.ends_with("/grammars/names.abnf")),
        "{names:?}"
    );
    let r = w.call("b.vxml", &["say:to Paris"]).await;
    assert_eq!(logs(&r), ["city=ORY"], "{r:?}");
}

#[tokio::test]
async fn abnf_errors_are_badfetch_at_the_documents_line() {
    let w = world(&[
        (
            "inline.vxml",
            &vxml(
                "<form>\n<field name=\"f\">\n<grammar>#ABNF 1.0;\nroot $r;\n$r = (yes | no;</grammar>\n</field>\n</form>",
            ),
        ),
        (
            "fetched.vxml",
            &vxml(r#"<form><field name="f"><grammar src="bad.gram"/></field></form>"#),
        ),
        ("bad.gram", "#ABNF 1.0;\nroot $r;\n$r = yes | $missing;\n"),
    ])
    .await;
    let r = w.call("inline.vxml", &["say:yes"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(message.contains("inline.vxml:7:6"), "{message}");
    let r = w.call("fetched.vxml", &["say:yes"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(message.contains("bad.gram:3"), "{message}");
    assert!(message.contains("undefined rule `missing`"), "{message}");
}

#[tokio::test]
async fn grammars_in_other_formats_are_unsupported_inline_or_fetched() {
    let w = world(&[
        (
            "inline.vxml",
            &vxml(
                r#"<form><field name="f"><grammar type="application/x-jsgf">#JSGF V1.0; grammar g; public &lt;r&gt; = yes;</grammar></field></form>"#,
            ),
        ),
        (
            "fetched.vxml",
            &vxml(
                r#"<catch event="error.unsupported.format"><log>caught <value expr="_event"/></log><exit/></catch>
<form><field name="f"><grammar src="g.gsl"/></field></form>"#,
            ),
        ),
        ("g.gsl", "Yes [yes yeah]\n"),
    ])
    .await;
    let r = w.call("inline.vxml", &["say:yes"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.unsupported.format");
    assert!(message.contains("inline.vxml"), "{message}");
    let r = w.call("fetched.vxml", &["say:yes"]).await;
    assert_eq!(logs(&r), ["caught error.unsupported.format"], "{r:?}");
}

// ------------------------------------------------ error.unsupported.* ----

#[tokio::test]
async fn a_pages_own_catch_handles_error_unsupported_objectname() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <object name="o" classid="builtin://com.example.frobnicate">
    <catch event="error.unsupported.objectname"><log>no object: <value expr="_event"/></log><assign name="o" expr="'none'"/></catch>
  </object>
  <block><log>carried on, o=<value expr="o"/></log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(
        logs(&r),
        [
            "no object: error.unsupported.objectname",
            "carried on, o=none"
        ],
        "{r:?}"
    );
}

// ------------------------------------ slots, nomatch results, help ----

#[tokio::test]
async fn a_form_grammar_fills_fields_by_slot_path() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r##"<form>
  <grammar root="order" tag-format="semantics/1.0"><rule id="order" scope="public">
    <item repeat="0-1"><one-of><item>small<tag>out.order = {size: "S"};</tag></item><item>large<tag>out.order = {size: "L"};</tag></item></one-of></item>
    <item repeat="0-1">with <one-of><item>ham<tag>if (!out.order) out.order = {}; out.order.topping = {name: "ham"};</tag></item><item>olives<tag>if (!out.order) out.order = {}; out.order.topping = {name: "olives"};</tag></item></one-of></item>
    pizza
  </rule></grammar>
  <initial name="start"><prompt>What pizza?</prompt></initial>
  <field name="size" slot="order.size"><prompt>Size?</prompt><option value="M">medium</option></field>
  <field name="topping" slot="order.topping.name"><prompt>Topping?</prompt><option>cheese</option></field>
  <block><log>size=<value expr="size"/> topping=<value expr="topping"/></log></block>
</form>"##,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["say:large with olives pizza"]).await;
    assert_eq!(logs(&r), ["size=L topping=olives"], "{r:?}");
    // Only the paths that resolve are filled; the rest are asked for.
    let r = w.call("a.vxml", &["say:small pizza", "say:cheese"]).await;
    assert_eq!(logs(&r), ["size=S topping=cheese"], "{r:?}");
    assert_eq!(prompts(&r), ["What pizza?", "Topping?"], "{r:?}");
}

#[tokio::test]
async fn a_nomatch_is_a_recognition_with_no_interpretation() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <field name="b" type="boolean">
    <nomatch><log>u=<value expr="application.lastresult$.utterance"/> m=<value expr="application.lastresult$.inputmode"/> c=<value expr="application.lastresult$.confidence"/> i=<value expr="typeof application.lastresult$.interpretation"/> s=<value expr="b$.utterance"/>/<value expr="b$.inputmode"/> b=<value expr="typeof b"/></log></nomatch>
  </field>
  <block><log>b=<value expr="b"/> c=<value expr="application.lastresult$.confidence"/></log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w
        .call(
            "a.vxml",
            &["say:purple elephants", "7", "nomatch", "say:yes"],
        )
        .await;
    assert_eq!(
        logs(&r),
        [
            "u=purple elephants m=voice c=0 i=undefined s=purple elephants/voice b=undefined",
            "u=7 m=dtmf c=0 i=undefined s=7/dtmf b=undefined",
            "u= m=voice c=0 i=undefined s=7/dtmf b=undefined",
            "b=true c=1",
        ],
        "{r:?}"
    );
}

#[tokio::test]
async fn the_help_token_throws_help_with_its_own_counter() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form>
  <field name="b" type="boolean">
    <prompt>Yes or no?</prompt>
    <help count="1">Say yes or no.</help>
    <help count="2">Press 1 for yes, 2 for no.<reprompt/></help>
    <nomatch>Sorry.</nomatch>
  </field>
  <block><log>b=<value expr="b"/></log></block>
</form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["help", "nomatch", "help", "1"]).await;
    assert_eq!(events(&r), ["help", "nomatch", "help"], "{r:?}");
    assert_eq!(
        prompts(&r),
        [
            "Yes or no?",
            "Say yes or no.",
            "Sorry.",
            "Press 1 for yes, 2 for no.",
            "Yes or no?"
        ],
        "{r:?}"
    );
    assert_eq!(logs(&r), ["b=true"]);
}

#[tokio::test]
async fn without_a_help_handler_the_default_reprompts() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form><field name="b" type="boolean"><prompt>Yes or no?</prompt></field>
<block><log>b=<value expr="b"/></log></block></form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["help", "2"]).await;
    assert_eq!(events(&r), ["help"], "{r:?}");
    assert_eq!(prompts(&r), ["Yes or no?", "Yes or no?"], "{r:?}");
    assert_eq!(logs(&r), ["b=false"]);
}

// ------------------------------------------------------------ record ----

const VOICEMAIL: &str = r#"<form id="leave">
  <record name="msg" beep="true" maxtime="10s" finalsilence="2s" dtmfterm="true" type="audio/x-wav">
    <prompt>Leave a message after the beep.</prompt>
    <noinput>I did not hear anything. <reprompt/></noinput>
    <filled>
      <log>duration=<value expr="msg$.duration"/> size=<value expr="msg$.size"/> termchar=<value expr="msg$.termchar"/> maxtime=<value expr="msg$.maxtime"/></log>
      <prompt>You said: <audio expr="msg"/></prompt>
    </filled>
  </record>
  <block><submit next="save.vxml" method="post" enctype="multipart/form-data" namelist="msg"/></block>
</form>"#;

const SAVED: &str = r#"<form><block><prompt>Saved.</prompt></block></form>"#;

async fn voicemail() -> support::World {
    world(&[("a.vxml", &vxml(VOICEMAIL)), ("save.vxml", &vxml(SAVED))]).await
}

#[tokio::test]
async fn a_recording_fills_the_item_plays_back_and_is_posted_as_multipart() {
    let w = voicemail().await;
    let r = w.call("a.vxml", &["record:3s"]).await;
    // 3 s of speech, then the 2 s of final silence that ended it; 8 kHz
    // 16-bit mono WAVE: 44 header bytes + 16,000 a second.
    assert_eq!(
        logs(&r),
        ["duration=5000 size=80044 termchar=undefined maxtime=false"],
        "{r:?}"
    );
    assert_eq!(
        prompts(&r),
        [
            "Leave a message after the beep.",
            "vxb-beep:",
            "You said:",
            "vxb-recording:0",
            "Saved."
        ],
        "{r:?}"
    );
    let posts: Vec<_> = w
        .origin
        .log()
        .for_path("/save.vxml")
        .into_iter()
        .filter(|l| l.method == http::Method::POST)
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let post = &posts[0];
    let ct = post.content_type.as_deref().unwrap_or("");
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    let body = &post.body[..];
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"msg\"; filename=\"msg.wav\"\r\nContent-Type: audio/x-wav\r\n\r\n"
    );
    assert!(
        body.starts_with(head.as_bytes()),
        "{:?}",
        &body[..200.min(body.len())]
    );
    let wav = &body[head.len()..];
    assert_eq!(&wav[..4], b"RIFF");
    let tail = format!("\r\n--{boundary}--\r\n");
    assert_eq!(body.len(), head.len() + 80_044 + tail.len());
    assert!(body.ends_with(tail.as_bytes()));
    let audio = vxb::audio::decode(&wav[..80_044]).expect("a WAVE file");
    assert_eq!(audio.duration(), std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_termination_key_ends_the_recording_at_once_and_maxtime_cuts_it() {
    let w = voicemail().await;
    let r = w.call("a.vxml", &["record:1500ms:#"]).await;
    assert_eq!(
        logs(&r),
        ["duration=1500 size=24044 termchar=# maxtime=false"],
        "{r:?}"
    );
    let r = w.call("a.vxml", &["record:30s"]).await;
    assert_eq!(
        logs(&r),
        ["duration=10000 size=160044 termchar=undefined maxtime=true"],
        "{r:?}"
    );
}

#[tokio::test]
async fn without_dtmfterm_the_key_is_not_heard_and_silence_ends_it() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<form><record name="m" dtmfterm="false" finalsilence="500ms"/>
<block><log><value expr="m$.duration"/> <value expr="m$.termchar"/></log></block></form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &["record:1s:#"]).await;
    assert_eq!(logs(&r), ["1500 undefined"], "{r:?}");
    // No beep unless asked for.
    assert!(!prompts(&r).contains(&"vxb-beep:"), "{r:?}");
}

#[tokio::test]
async fn a_caller_supplied_file_is_the_recording_and_silence_is_noinput() {
    let w = voicemail().await;
    let path = w.dir.path().join("hello.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&path, spec).expect("wav");
    for i in 0..8_000 {
        writer.write_sample((i % 100) as i16).expect("sample");
    }
    writer.finalize().expect("wav");
    let token = format!("record:{}", path.display());
    let r = w.call("a.vxml", &["noinput", &token]).await;
    assert_eq!(events(&r), ["noinput"], "{r:?}");
    assert_eq!(
        logs(&r),
        ["duration=500 size=16044 termchar=undefined maxtime=false"],
        "{r:?}"
    );
    let r = w.call("a.vxml", &["record:0s"]).await;
    assert_eq!(events(&r)[0], "noinput", "{r:?}");
    let r = w.call("a.vxml", &["record:/no/such/file.wav"]).await;
    assert_eq!(error_of(&r).0, "error.badfetch", "{r:?}");
    assert!(error_of(&r).1.contains("/no/such/file.wav"), "{r:?}");
}

#[tokio::test]
async fn a_record_type_vxb_cannot_make_is_unsupported_format() {
    let w = world(&[(
        "a.vxml",
        &vxml(r#"<form><record name="m" type="audio/ogg"/></form>"#),
    )])
    .await;
    let r = w.call("a.vxml", &["record:1s"]).await;
    assert_eq!(error_of(&r).0, "error.unsupported.format", "{r:?}");
}

// ---------------------------------------------------------- transfer ----

/// VoiceXML 2.1 `recordutterance`: with the property on, each recognition
/// is recorded (400 ms a word, 200 ms a key, 8 kHz 16-bit WAVE), and the
/// field's shadow variable and `application.lastresult$` name the
/// recording, its size and its length; the recording plays back.
#[tokio::test]
async fn recordutterance_records_what_was_recognised() {
    let page = |property: &str| {
        vxml(&format!(
            r#"<form>
  {property}
  <field name="f">
    <grammar mode="voice" root="r"><rule id="r">large pizza</rule></grammar>
    <grammar mode="dtmf" root="k"><rule id="k">1 2 3</rule></grammar>
    <nomatch><log>nomatch <value expr="f$.recordingduration"/> <value expr="application.lastresult$.recordingsize"/></log><reprompt/></nomatch>
    <filled>
      <log>f <value expr="f$.recordingduration"/> <value expr="f$.recordingsize"/> <value expr="f$.recording &amp;&amp; f$.recording.type"/></log>
      <log>last <value expr="application.lastresult$.recordingduration"/> <value expr="application.lastresult$.recordingsize"/> <value expr="application.lastresult$[0].recordingduration"/></log>
      <if cond="f$.recording"><prompt>You said <audio expr="f$.recording"/></prompt></if>
    </filled>
  </field>
</form>"#
        ))
    };
    let w = world(&[
        (
            "on.vxml",
            &page(r#"<property name="recordutterance" value="true"/>"#),
        ),
        ("off.vxml", &page("")),
        (
            "mp3.vxml",
            &page(r#"<property name="recordutterance" value="true"/><property name="recordutterancetype" value="audio/mpeg"/>"#),
        ),
    ])
    .await;
    let r = w.call("on.vxml", &["say:small", "say:large pizza"]).await;
    assert_eq!(
        logs(&r),
        [
            "nomatch 400 6444",
            "f 800 12844 audio/x-wav",
            "last 800 12844 800",
        ],
        "{r:?}"
    );
    assert_eq!(prompts(&r), ["You said", "vxb-recording:1"], "{r:?}");
    let r = w.call("on.vxml", &["123"]).await;
    assert_eq!(
        logs(&r),
        ["f 600 9644 audio/x-wav", "last 600 9644 600"],
        "{r:?}"
    );
    let r = w.call("off.vxml", &["say:large pizza"]).await;
    assert_eq!(
        logs(&r),
        [
            "f undefined undefined undefined",
            "last undefined undefined undefined"
        ],
        "{r:?}"
    );
    assert!(prompts(&r).is_empty(), "{r:?}");
    let r = w.call("mp3.vxml", &["say:large pizza"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.unsupported.format", "{r:?}");
    assert!(message.contains("audio/mpeg"), "{message}");
}

fn transfer_page(attrs: &str) -> String {
    vxml(&format!(
        r#"<var name="who" expr="'sales'"/>
<form>
  <transfer name="t" destexpr="'tel:+1555' + '0100'" aaiexpr="'from ' + who" transferaudio="ring.wav" {attrs}>
    <prompt>Connecting you.</prompt>
    <grammar mode="voice" root="r"><rule id="r">cancel</rule></grammar>
    <filled><log>t=<value expr="t"/> d=<value expr="t$.duration"/> u=<value expr="t$.utterance"/> m=<value expr="t$.inputmode"/></log></filled>
  </transfer>
  <block><log>after</log></block>
</form>"#
    ))
}

async fn transfer_world(attrs: &str) -> support::World {
    let ring = fixtures_wav();
    let w = world(&[("a.vxml", &transfer_page(attrs))]).await;
    std::fs::write(w.dir.path().join("ring.wav"), ring).expect("ring");
    w
}

/// Half a second of 8 kHz 16-bit silence.
fn fixtures_wav() -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).expect("wav");
    for _ in 0..4000 {
        w.write_sample(0i16).expect("sample");
    }
    w.finalize().expect("wav");
    out.into_inner()
}

#[tokio::test]
async fn every_bridge_transfer_outcome_fills_the_item() {
    let w = transfer_world(r#"bridge="true" maxtime="60s" connecttimeout="20s""#).await;
    for (token, log) in [
        ("transfer:busy", "t=busy d=0"),
        ("transfer:noanswer", "t=noanswer d=0"),
        ("transfer:network_busy", "t=network_busy d=0"),
        ("transfer:unknown", "t=unknown d=0"),
        (
            "transfer:far_end_disconnect:42s",
            "t=far_end_disconnect d=42",
        ),
        ("transfer:far_end_disconnect", "t=far_end_disconnect d=0"),
        (
            "transfer:near_end_disconnect:7s",
            "t=near_end_disconnect d=7",
        ),
        ("transfer:maxtime_disconnect", "t=maxtime_disconnect d=60"),
        // A call longer than maxtime is cut at maxtime.
        (
            "transfer:far_end_disconnect:90s",
            "t=maxtime_disconnect d=60",
        ),
    ] {
        let r = w.call("a.vxml", &[token]).await;
        assert_eq!(
            logs(&r),
            [format!("{log} u=undefined m=undefined").as_str(), "after"],
            "{token}: {r:?}"
        );
        assert_eq!(prompts(&r)[..1], ["Connecting you."], "{token}: {r:?}");
        assert!(
            prompts(&r)[1].ends_with("/ring.wav"),
            "transferaudio plays: {r:?}"
        );
    }
}

#[tokio::test]
async fn a_hotword_of_the_transfer_ends_it_near_end() {
    let w = transfer_world(r#"type="bridge""#).await;
    let r = w.call("a.vxml", &["say:cancel"]).await;
    assert_eq!(
        logs(&r),
        ["t=near_end_disconnect d=0 u=cancel m=voice", "after"],
        "{r:?}"
    );
}

/// The `inputmodes` property decides which of the transfer's grammars can
/// end it: input in a mode it leaves out is not heard (the transfer then
/// ends as one with no outcome token does, `noanswer`).
#[tokio::test]
async fn only_the_input_modes_in_force_can_end_a_transfer() {
    let page = |modes: &str| {
        vxml(&format!(
            r#"<form>
  {modes}
  <transfer name="t" dest="tel:+15550100" type="bridge">
    <grammar mode="voice" root="r"><rule id="r">cancel</rule></grammar>
    <grammar mode="dtmf" root="k"><rule id="k">9</rule></grammar>
    <filled><log>t=<value expr="t"/> m=<value expr="t$.inputmode"/></log></filled>
  </transfer>
</form>"#
        ))
    };
    let w = world(&[
        ("both.vxml", &page("")),
        (
            "dtmf.vxml",
            &page(r#"<property name="inputmodes" value="dtmf"/>"#),
        ),
        (
            "voice.vxml",
            &page(r#"<property name="inputmodes" value="voice"/>"#),
        ),
        (
            "bad.vxml",
            &page(r#"<property name="inputmodes" value="dtmf touch"/>"#),
        ),
    ])
    .await;
    let heard = "t=near_end_disconnect m=";
    for (page, token, expected) in [
        ("both.vxml", "say:cancel", format!("{heard}voice")),
        ("both.vxml", "9", format!("{heard}dtmf")),
        ("dtmf.vxml", "9", format!("{heard}dtmf")),
        ("dtmf.vxml", "say:cancel", "t=noanswer m=undefined".into()),
        ("voice.vxml", "say:cancel", format!("{heard}voice")),
        ("voice.vxml", "9", "t=noanswer m=undefined".into()),
    ] {
        let r = w.call(page, &[token]).await;
        assert_eq!(logs(&r), [expected.as_str()], "{page} {token}: {r:?}");
    }
    let r = w.call("bad.vxml", &["9"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic", "{r:?}");
    assert!(
        message.contains("inputmodes") && message.contains("dtmf touch"),
        "{message}"
    );
}

#[tokio::test]
async fn without_an_outcome_token_a_transfer_is_not_answered() {
    let w = transfer_world(r#"bridge="true" connecttimeout="15s""#).await;
    let r = w.call("a.vxml", &["1"]).await;
    assert_eq!(
        logs(&r),
        ["t=noanswer d=0 u=undefined m=undefined", "after"],
        "{r:?}"
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("noanswer after the connecttimeout of 15s")
                && w.contains("dest \"tel:+15550100\", aai \"from sales\"")),
        "{:?}",
        r.warnings
    );
    // A caller who hangs up during the transfer hangs up.
    let r = w.call("a.vxml", &["hangup"]).await;
    assert_eq!(r.ended, vxb::call::CallEnd::Hangup, "{r:?}");
}

#[tokio::test]
async fn a_blind_transfer_hands_the_caller_over() {
    let w = transfer_world("").await;
    let r = w.call("a.vxml", &["transfer:busy"]).await;
    assert_eq!(events(&r), ["connection.disconnect.transfer"], "{r:?}");
    assert_eq!(r.ended, vxb::call::CallEnd::Disconnect, "{r:?}");
    assert!(logs(&r).is_empty(), "{r:?}");
    assert_eq!(prompts(&r), ["Connecting you."], "no transferaudio: {r:?}");
    let message = r.events[0].message.as_deref().unwrap_or("");
    assert!(message.contains("aai \"from sales\""), "{message}");
}

#[tokio::test]
async fn a_consultation_transfer_fills_on_failure_and_hands_over_once_connected() {
    let w = transfer_world(r#"type="consultation""#).await;
    let r = w.call("a.vxml", &["transfer:noanswer"]).await;
    assert_eq!(
        logs(&r),
        ["t=noanswer d=0 u=undefined m=undefined", "after"],
        "{r:?}"
    );
    let r = w.call("a.vxml", &["transfer:far_end_disconnect:10s"]).await;
    assert_eq!(events(&r), ["connection.disconnect.transfer"], "{r:?}");
}

#[tokio::test]
async fn the_page_can_catch_the_transfer_disconnect() {
    let w = world(&[(
        "a.vxml",
        &vxml(
            r#"<catch event="connection.disconnect.transfer"><log>transferred: <value expr="_event"/></log></catch>
<form><transfer name="t" dest="tel:+15550100"/></form>"#,
        ),
    )])
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(
        logs(&r),
        ["transferred: connection.disconnect.transfer"],
        "{r:?}"
    );
}
