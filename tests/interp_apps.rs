//! Applications written for production platforms, end to end through the
//! Rust API with scripted callers: ABNF grammars (inline and fetched),
//! grammars in formats vxb cannot read, and `error.unsupported.*` caught by
//! the page itself.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/interp.rs"]
mod support;
use support::{error_of, events, logs, prompts, vxml, world};

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
