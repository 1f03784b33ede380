//! Caller input end to end, through the Rust API (`vxb::Browser`) with
//! scripted tokens: recognition against fields' grammars and builtin types,
//! menus, links, mixed initiative, event counters and tapered prompts, the
//! timeout reaching the report, fetched grammars in the cache, and grammars
//! that are broken.

use vxb::cache::Decision;
use vxb::call::{CallEnd, CallReport};
use vxb::config::Config;
use vxb::resource::ResourceType;

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/interp.rs"]
mod support;
use fixtures::write;
use support::{World, error_of, events, logs, prompts, vxml, world, world_with};

/// A site of one page, `a.vxml`, holding `body`.
async fn page(body: &str) -> World {
    world(&[("a.vxml", &vxml(body))]).await
}

/// The decisions of the call's grammar fetches, by URL suffix.
fn grammar_fetches(r: &CallReport) -> Vec<(String, Option<Decision>)> {
    r.fetches
        .iter()
        .filter(|f| f.rtype == ResourceType::Grammar)
        .map(|f| {
            let name = f.url.rsplit('/').next().unwrap_or("").to_string();
            (name, f.decision())
        })
        .collect()
}

// ------------------------------------------------------- fields, events ----

#[tokio::test]
async fn a_reprompt_inside_if_or_foreach_in_a_handler_counts_and_none_means_no_prompt() {
    let w = page(
        r##"<form>
  <var name="twice" expr="[1, 2]"/>
  <field name="n" type="digits">
    <prompt>Number?</prompt>
    <noinput count="1"><if cond="true">Once. <reprompt/></if></noinput>
    <noinput count="2"><foreach item="i" array="twice"><log>i=<value expr="i"/></log></foreach><foreach item="i" array="twice"><if cond="i == 2"><reprompt/></if></foreach>Twice.</noinput>
    <noinput count="3">Quiet.</noinput>
  </field>
</form>"##,
    )
    .await;
    let r = w
        .call("a.vxml", &["noinput", "noinput", "noinput", "42"])
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    // The third handler has no <reprompt>: the field's prompt is not played
    // again before the next collection.
    assert_eq!(
        prompts(&r),
        vec!["Number?", "Once.", "Number?", "Twice.", "Number?", "Quiet."]
    );
    assert_eq!(logs(&r), vec!["i=1", "i=2"]);
}

#[tokio::test]
async fn a_field_reprompts_after_two_noinputs_and_a_nomatch_with_tapered_prompts() {
    let w = page(
            r##"<form>
  <property name="timeout" value="3s"/>
  <field name="color">
    <prompt count="1">What color?</prompt>
    <prompt count="2">Please say red, green or blue.</prompt>
    <prompt count="3" timeout="8s">Last try: red, green or blue.</prompt>
    <option>red</option>
    <option value="verde" dtmf="2">green</option>
    <option dtmf="3">blue</option>
    <noinput count="1">I did not hear you. <reprompt/></noinput>
    <noinput count="2">Still nothing. <reprompt/></noinput>
    <nomatch>Not a color. <log>nomatch <value expr="_message"/></log><reprompt/></nomatch>
    <filled><log>color=<value expr="color"/> via <value expr="color$.inputmode"/> said <value expr="color$.utterance"/></log></filled>
  </field>
</form>"##,
    )
    .await;
    let r = w
        .call(
            "a.vxml",
            &["noinput", "noinput", "say:purple", "noinput", "say:Green!"],
        )
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        prompts(&r),
        vec![
            "What color?",
            "I did not hear you.",
            "Please say red, green or blue.",
            "Still nothing.",
            "Last try: red, green or blue.",
            "Not a color.",
            "Last try: red, green or blue.",
            "Still nothing.",
            "Last try: red, green or blue.",
        ]
    );
    assert_eq!(events(&r), vec!["noinput", "noinput", "nomatch", "noinput"]);
    // The wait each noinput stood for: the property, then the prompt's own.
    let waits: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.name == "noinput")
        .map(|e| e.message.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        waits,
        vec![
            "no input within the timeout of 3s",
            "no input within the timeout of 3s",
            "no input within the timeout of 8s",
        ]
    );
    assert_eq!(
        logs(&r),
        vec!["nomatch undefined", "color=verde via voice said Green"]
    );

    // The option's key fills it too; termchar `#` is not part of the input.
    let r = w.call("a.vxml", &["3#"]).await;
    assert_eq!(logs(&r), vec!["color=blue via dtmf said 3"]);
}

#[tokio::test]
async fn counters_are_per_item_and_start_again_when_the_form_is_entered() {
    let w = page(
            r##"<var name="rounds" expr="0"/>
<form id="f">
  <block><assign name="rounds" expr="rounds + 1"/></block>
  <field name="a" type="boolean">
    <prompt>A?</prompt>
    <nomatch count="1">a one</nomatch>
    <nomatch count="2">a two <goto next="#f"/></nomatch>
  </field>
  <field name="b" type="boolean">
    <prompt>B?</prompt>
    <nomatch count="1">b one</nomatch>
    <nomatch count="2">b two</nomatch>
    <filled><log>rounds=<value expr="rounds"/> a=<value expr="a"/> b=<value expr="b"/></log></filled>
  </field>
</form>"##,
    )
    .await;
    let r = w
        .call(
            "a.vxml",
            &[
                "say:maybe",
                "say:maybe",
                "say:maybe",
                "say:yes",
                "say:maybe",
                "2",
            ],
        )
        .await;
    assert_eq!(
        prompts(&r),
        vec![
            "A?", "a one", "a two", // the goto re-enters the form…
            "A?", "a one", // …so the count starts again
            "B?", "b one", // b has a counter of its own
        ],
        "{r:?}"
    );
    assert_eq!(logs(&r), vec!["rounds=2 a=true b=false"]);
}

#[tokio::test]
async fn saying_help_is_just_words_spec_tokens_have_no_help() {
    let w = page(
        r##"<form><field name="b" type="boolean">
  <prompt>Yes or no?</prompt>
  <help>Help text.</help>
  <nomatch><log>nomatch</log><exit/></nomatch>
</field></form>"##,
    )
    .await;
    let r = w.call("a.vxml", &["say:help"]).await;
    assert_eq!(events(&r), vec!["nomatch"]);
    assert_eq!(prompts(&r), vec!["Yes or no?"]);
}

#[tokio::test]
async fn shadow_variables_and_lastresult_describe_the_match() {
    let w = page(
            r##"<form>
  <field name="n" type="number">
    <prompt>How many?</prompt>
    <filled>
      <log>n=<value expr="n"/> type=<value expr="typeof n"/> conf=<value expr="n$.confidence"/> interp=<value expr="n$.interpretation"/></log>
      <log>last=<value expr="application.lastresult$.utterance"/> first=<value expr="application.lastresult$[0].utterance"/> mode=<value expr="application.lastresult$[0].inputmode"/> len=<value expr="application.lastresult$.length"/></log>
    </filled>
  </field>
</form>"##,
    )
    .await;
    let r = w.call("a.vxml", &["say:twenty three"]).await;
    assert_eq!(
        logs(&r),
        vec![
            "n=23 type=number conf=1 interp=23",
            "last=twenty three first=twenty three mode=voice len=1"
        ]
    );
}

#[tokio::test]
async fn builtin_types_understand_keys_and_words() {
    let cases: &[(&str, &str, &str)] = &[
        ("boolean", "1", "true"),
        ("boolean", "say:no", "false"),
        ("boolean?y=7;n=9", "9", "false"),
        ("digits?length=4", "1234#", "1234"),
        ("digits?length=4", "say:one two three four", "1234"),
        ("number", "12*5", "12.5"),
        ("number", "say:one hundred and five", "105"),
        ("currency", "say:three dollars and fifty cents", "USD3.50"),
        ("date", "20240315", "20240315"),
        (
            "date",
            "say:march fifteenth two thousand twenty four",
            "20240315",
        ),
        ("currency", "3*50", "3.50"),
        ("time", "0930", "0930?"),
        ("time", "say:nine thirty pm", "0930p"),
        ("time", "1745", "1745h"),
        ("phone", "8005551234", "8005551234"),
        (
            "phone",
            "say:eight hundred five five five one two three four",
            "8005551234",
        ),
    ];
    let w = world(
        &cases
            .iter()
            .enumerate()
            .map(|(i, (ty, _, _))| {
                (
                    format!("t{i}.vxml"),
                    vxml(&format!(
                        r##"<form><field name="v" type="{ty}"><prompt>Go.</prompt>
  <nomatch><exit expr="'nomatch'"/></nomatch>
  <filled><log><value expr="v"/></log></filled></field></form>"##,
                        ty = ty.replace('&', "&amp;")
                    )),
                )
            })
            .collect::<Vec<_>>()
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    for (i, (ty, token, want)) in cases.iter().enumerate() {
        let r = w.call(&format!("t{i}.vxml"), &[token]).await;
        assert_eq!(r.ended, CallEnd::Exit, "{ty} {token}: {r:?}");
        assert_eq!(logs(&r), vec![*want], "{ty} {token}");
    }
    // A DTMF answer of the wrong length is no match.
    let r = w.call("t3.vxml", &["123"]).await;
    assert_eq!(r.exit_value, Some(serde_json::json!("nomatch")));
}

#[tokio::test]
async fn builtin_grammar_uris_and_srcexpr_name_grammars_too() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r##"<var name="which" expr="'yes.grxml'"/>
<form>
  <field name="code"><prompt>Code?</prompt>
    <grammar src="builtin:dtmf/digits?length=2"/>
    <filled><log>code=<value expr="code"/></log></filled>
  </field>
  <field name="ok"><prompt>OK?</prompt>
    <grammar srcexpr="which"/>
    <filled><log>ok=<value expr="ok"/></log></filled>
  </field>
</form>"##,
            ),
        ),
        (
            "yes.grxml",
            r#"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="y" tag-format="semantics/1.0-literals"><rule id="y" scope="public">yes indeed<tag>sure</tag></rule></grammar>"#,
        ),
        (
            "bad-type.vxml",
            &vxml(r#"<form><field name="c" type="colour"><prompt>Colour?</prompt></field></form>"#),
        ),
    ])
    .await;
    let r = w.call("a.vxml", &["42", "say:yes indeed"]).await;
    assert_eq!(logs(&r), vec!["code=42", "ok=sure"]);
    let r = w.call("bad-type.vxml", &["say:red"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.unsupported.builtin");
    assert!(message.contains("colour"), "{message}");
}

// --------------------------------------------------------------- grammars ----

#[tokio::test]
async fn a_grammar_whose_tags_build_a_structured_result() {
    let w = page(
            r##"<form>
  <field name="order">
    <prompt>Your order?</prompt>
    <grammar version="1.0" root="order" tag-format="semantics/1.0" xmlns="http://www.w3.org/2001/06/grammar">
      <rule id="order" scope="public">
        <ruleref uri="#size"/> <ruleref uri="#crust"/> pizza
        <tag>out.size = rules.size; out.crust = rules.crust; out.slices = rules.size == "large" ? 8 : 6;</tag>
      </rule>
      <rule id="size"><one-of><item>small</item><item>large</item></one-of></rule>
      <rule id="crust"><one-of><item>thin <tag>out = "thin"</tag></item><item>deep dish <tag>out = "deep"</tag></item></one-of></rule>
    </grammar>
    <filled><log>size=<value expr="order.size"/> crust=<value expr="order.crust"/> slices=<value expr="order.slices + 0"/> json=<value expr="JSON.stringify(order$.interpretation)"/></log></filled>
  </field>
  <field name="size" slot="size">
    <prompt>Size again?</prompt>
    <grammar version="1.0" root="r" tag-format="semantics/1.0">
      <rule id="r" scope="public"><one-of><item>small</item><item>large</item></one-of>
        <tag>out.size = meta.current().text; out.other = 1;</tag></rule>
    </grammar>
    <filled><log>slot size=<value expr="size"/></log></filled>
  </field>
</form>"##,
    )
    .await;
    let r = w
        .call("a.vxml", &["say:large deep dish pizza", "say:small"])
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        logs(&r),
        vec![
            r##"size=large crust=deep slices=8 json={"size":"large","crust":"deep","slices":8}"##,
            "slot size=small",
        ]
    );
}

#[tokio::test]
async fn mixed_initiative_fills_every_slot_a_form_grammar_names_and_skips_initial() {
    let form = r##"<form id="trip">
  <grammar version="1.0" root="trip" tag-format="semantics/1.0">
    <rule id="trip" scope="public">
      <item repeat="0-1">from <ruleref uri="#city"/><tag>out.from = rules.city;</tag></item>
      <item repeat="0-1">to <ruleref uri="#city"/><tag>out.to = rules.city;</tag></item>
    </rule>
    <rule id="city"><one-of><item>boston</item><item>denver</item><item>paris</item></one-of></rule>
  </grammar>
  <initial name="start">
    <prompt>Where from and where to?</prompt>
    <nomatch>Say from a city to a city. <reprompt/></nomatch>
  </initial>
  <field name="from">
    <prompt>Leaving from?</prompt>
    <grammar version="1.0" root="c" tag-format="semantics/1.0-literals"><rule id="c" scope="public"><one-of><item>boston</item><item>denver</item><item>paris</item></one-of></rule></grammar>
  </field>
  <field name="to">
    <prompt>Going to?</prompt>
    <grammar version="1.0" root="c" tag-format="semantics/1.0-literals"><rule id="c" scope="public"><one-of><item>boston</item><item>denver</item><item>paris</item></one-of></rule></grammar>
  </field>
  <filled mode="all" namelist="from to"><log>trip <value expr="from"/> to <value expr="to"/> start=<value expr="start"/></log></filled>
</form>"##;
    let w = world(&[("a.vxml", &vxml(form))]).await;

    // Both slots at once: the form is done.
    let r = w.call("a.vxml", &["say:from boston to paris"]).await;
    assert_eq!(prompts(&r), vec!["Where from and where to?"]);
    assert_eq!(logs(&r), vec!["trip boston to paris start=true"]);

    // One slot: <initial> counts as filled, the FIA asks for the other.
    let r = w.call("a.vxml", &["say:to denver", "say:boston"]).await;
    assert_eq!(
        prompts(&r),
        vec!["Where from and where to?", "Leaving from?"]
    );
    assert_eq!(logs(&r), vec!["trip boston to denver start=true"]);

    // In a field, the form grammar still fills both slots (the field's own
    // grammar does not match "from … to …").
    let r = w
        .call(
            "a.vxml",
            &["say:rome", "say:from boston", "say:from denver to paris"],
        )
        .await;
    assert_eq!(
        prompts(&r),
        vec![
            "Where from and where to?",
            "Say from a city to a city.",
            "Where from and where to?",
            "Going to?"
        ],
        "{r:?}"
    );
    assert_eq!(logs(&r), vec!["trip denver to paris start=true"]);
}

// ------------------------------------------------------------------ menus ----

#[tokio::test]
async fn a_menu_takes_dtmf_and_speech_choices() {
    let w = page(
            r##"<menu id="main" dtmf="true">
  <prompt>Say one of <enumerate/></prompt>
  <choice next="#sports">sports news</choice>
  <choice dtmf="9" next="#weather">weather</choice>
  <choice expr="'#' + 'traffic'" accept="approximate">traffic report today</choice>
  <choice event="app.operator" message="wants a person">operator</choice>
  <noinput>Please choose. <reprompt/></noinput>
  <nomatch>Sorry. <reprompt/></nomatch>
  <catch event="app.operator"><log>operator: <value expr="_message"/></log><exit/></catch>
</menu>
<form id="sports"><block><log>sports via <value expr="application.lastresult$.inputmode"/></log></block></form>
<form id="weather"><block><log>weather</log></block></form>
<form id="traffic"><block><log>traffic</log></block></form>"##,
    )
    .await;
    let menu = "Say one of For sports news, press 1. For weather, press 9. For traffic report today, press 2. For operator, press 3.";

    let r = w.call("a.vxml", &["1"]).await;
    assert_eq!(prompts(&r), vec![menu]);
    assert_eq!(logs(&r), vec!["sports via dtmf"]);

    let r = w.call("a.vxml", &["say:Sports News"]).await;
    assert_eq!(logs(&r), vec!["sports via voice"]);

    // `dtmf="9"` is the weather's key; automatic numbering skips it, so
    // the third choice is 2.
    let r = w.call("a.vxml", &["9"]).await;
    assert_eq!(logs(&r), vec!["weather"]);
    let r = w.call("a.vxml", &["2"]).await;
    assert_eq!(logs(&r), vec!["traffic"]);

    // Approximate: some of the words, in order; exact needs them all.
    let r = w.call("a.vxml", &["say:traffic today"]).await;
    assert_eq!(logs(&r), vec!["traffic"]);
    let r = w
        .call("a.vxml", &["say:news", "noinput", "say:operator"])
        .await;
    assert_eq!(
        prompts(&r),
        vec![menu, "Sorry.", menu, "Please choose.", menu]
    );
    assert_eq!(events(&r), vec!["nomatch", "noinput", "app.operator"]);
    assert_eq!(logs(&r), vec!["operator: wants a person"]);
}

#[tokio::test]
async fn a_choice_with_its_own_grammar_keeps_its_key() {
    let w = page(
        r##"<menu dtmf="true">
  <prompt>Pick.</prompt>
  <choice next="#a"><grammar version="1.0" root="g"><rule id="g" scope="public"><one-of><item>alpha</item><item>first</item></one-of></rule></grammar>Option A</choice>
  <choice next="#b">Option B</choice>
</menu>
<form id="a"><block><log>a</log></block></form>
<form id="b"><block><log>b</log></block></form>"##,
    )
    .await;
    for (token, want) in [
        ("say:first", "a"),
        ("1", "a"),
        ("2", "b"),
        ("say:option b", "b"),
    ] {
        let r = w.call("a.vxml", &[token]).await;
        assert_eq!(logs(&r), vec![want], "{token}");
    }
    // The explicit grammar replaces the choice's words.
    let r = w.call("a.vxml", &["say:option a"]).await;
    assert_eq!(events(&r)[0], "nomatch");
}

#[tokio::test]
async fn termchar_is_stripped_only_when_it_ends_the_keys() {
    let w = page(
        r##"<property name="termchar" value="*"/>
<form><field name="d" type="digits"><prompt>Digits?</prompt>
  <nomatch><log>nomatch</log><reprompt/></nomatch>
  <filled><log>d=<value expr="d"/></log></filled>
</field></form>"##,
    )
    .await;
    let r = w.call("a.vxml", &["12#", "12*"]).await;
    assert_eq!(logs(&r), vec!["nomatch", "d=12"]);
}

// ------------------------------------------------------------------ links ----

#[tokio::test]
async fn a_link_jumps_or_throws_from_inside_a_field() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r##"<link next="other.vxml#help">
  <grammar version="1.0" root="r"><rule id="r" scope="public">help me</rule></grammar>
</link>
<link dtmf="*" event="app.operator" message="star pressed"/>
<form>
  <link eventexpr="'app.' + 'cancel'"><grammar version="1.0" root="r"><rule id="r" scope="public">cancel</rule></grammar></link>
  <catch event="app.cancel"><log>cancelled</log><exit/></catch>
  <field name="pin" type="digits">
    <prompt>PIN?</prompt>
    <catch event="app.operator"><log>operator: <value expr="_message"/></log><reprompt/></catch>
    <filled><log>pin <value expr="pin"/></log></filled>
  </field>
  <field name="secret" type="digits" modal="true">
    <prompt>Secret?</prompt>
    <nomatch><log>modal: links are off</log><exit/></nomatch>
  </field>
</form>"##,
            ),
        ),
        (
            "other.vxml",
            &vxml(r##"<form id="help"><block><log>help page</log></block></form>"##),
        ),
    ])
    .await;
    let r = w.call("a.vxml", &["say:help me"]).await;
    assert_eq!(logs(&r), vec!["help page"]);
    assert_eq!(r.ended, CallEnd::Exit);

    let r = w.call("a.vxml", &["*", "say:cancel"]).await;
    assert_eq!(prompts(&r), vec!["PIN?", "PIN?"]);
    assert_eq!(logs(&r), vec!["operator: star pressed", "cancelled"]);

    let r = w.call("a.vxml", &["42", "*"]).await;
    assert_eq!(logs(&r), vec!["pin 42", "modal: links are off"]);
}

#[tokio::test]
async fn a_document_scope_grammar_of_another_dialog_goes_there() {
    let w = world(&[
        (
            "root.vxml",
            &vxml(
                r##"<link next="#bye"><grammar version="1.0" root="r"><rule id="r" scope="public">goodbye</rule></grammar></link>
<form id="bye"><block><log>bye from root</log></block></form>"##,
            ),
        ),
        (
            "a.vxml",
            r##"<?xml version="1.0"?>
<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" application="root.vxml">
<form id="ask">
  <field name="x" type="boolean"><prompt>Yes or no?</prompt></field>
</form>
<form id="shop" scope="document">
  <grammar version="1.0" root="r" tag-format="semantics/1.0"><rule id="r" scope="public"><one-of>
    <item>shopping</item>
    <item>buy <one-of><item>milk<tag>out.item = "milk"</tag></item><item>bread<tag>out.item = "bread"</tag></item></one-of></item>
  </one-of></rule></grammar>
  <field name="item">
    <prompt>What to buy?</prompt>
    <grammar version="1.0" root="i" tag-format="semantics/1.0-literals"><rule id="i" scope="public"><one-of><item>milk</item><item>bread</item></one-of></rule></grammar>
    <filled><log>buying <value expr="item"/></log></filled>
  </field>
</form>
<menu id="m" scope="document"><choice next="#ask">start over</choice></menu>
</vxml>"##,
        ),
    ])
    .await;
    // The other form's grammar leads there; what it names is filled on arrival.
    let r = w.call("a.vxml", &["say:buy bread"]).await;
    assert_eq!(prompts(&r), vec!["Yes or no?"]);
    assert_eq!(logs(&r), vec!["buying bread"]);
    let r = w.call("a.vxml", &["say:shopping", "say:milk"]).await;
    assert_eq!(prompts(&r), vec!["Yes or no?", "What to buy?"]);
    assert_eq!(logs(&r), vec!["buying milk"]);
    let r = w.call("a.vxml", &["say:start over", "say:goodbye"]).await;
    assert_eq!(prompts(&r), vec!["Yes or no?", "Yes or no?"]);
    assert_eq!(logs(&r), vec!["bye from root"]);
}

// ----------------------------------------------------- fetched grammars ----

#[tokio::test]
async fn a_src_grammar_is_fetched_once_and_hit_on_the_next_call() {
    let w = world_with(
        &[
            (
                "a.vxml",
                &vxml(
                    r##"<form><field name="drink">
  <prompt>Drink?</prompt>
  <grammar src="drinks.grxml"/>
  <grammar src="keys.grxml" mode="dtmf"/>
  <filled><log>drink=<value expr="drink"/></log></filled>
</field></form>"##,
                ),
            ),
            (
                "drinks.grxml",
                r##"<?xml version="1.0"?>
<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="d" tag-format="semantics/1.0">
  <rule id="d" scope="public"><one-of><item>coffee</item><item><ruleref uri="teas.grxml#tea"/><tag>out = "tea:" + rules.tea</tag></item></one-of></rule>
</grammar>"##,
            ),
            (
                "teas.grxml",
                r##"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="tea" tag-format="semantics/1.0-literals">
  <rule id="tea" scope="public"><one-of><item>green tea<tag>green</tag></item><item>black tea<tag>black</tag></item></one-of></rule>
</grammar>"##,
            ),
            (
                "keys.grxml",
                r##"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" mode="dtmf" root="k" tag-format="semantics/1.0-literals">
  <rule id="k" scope="public"><one-of><item>1<tag>coffee</tag></item></one-of></rule>
</grammar>"##,
            ),
        ],
        "[[rule]]\npath = \"/*.grxml\"\nheaders = { \"Cache-Control\" = \"max-age=60\" }\n",
        Config::direct(),
    )
    .await;
    let r = w.call("a.vxml", &["say:black tea"]).await;
    assert_eq!(logs(&r), vec!["drink=tea:black"], "{r:?}");
    assert_eq!(
        grammar_fetches(&r),
        vec![
            ("drinks.grxml".to_string(), Some(Decision::Miss)),
            ("teas.grxml".to_string(), Some(Decision::Miss)),
            ("keys.grxml".to_string(), Some(Decision::Miss)),
        ]
    );
    let r = w.call("a.vxml", &["1"]).await;
    assert_eq!(logs(&r), vec!["drink=coffee"]);
    assert_eq!(
        grammar_fetches(&r),
        vec![
            ("drinks.grxml".to_string(), Some(Decision::Hit)),
            ("teas.grxml".to_string(), Some(Decision::Hit)),
            ("keys.grxml".to_string(), Some(Decision::Hit)),
        ]
    );
}

#[tokio::test]
async fn grammarmaxage_from_attribute_or_property_reaches_the_request() {
    let w = world_with(
        &[
            (
                "a.vxml",
                &vxml(
                    r##"<property name="grammarmaxage" value="0"/>
<form><field name="d"><prompt>Drink?</prompt>
  <grammar src="d.grxml"/>
  <filled><log><value expr="d"/></log></filled>
</field></form>"##,
                ),
            ),
            (
                "b.vxml",
                &vxml(
                    r##"<form><field name="d"><prompt>Drink?</prompt>
  <grammar src="d.grxml" maxage="0"/>
  <filled><log><value expr="d"/></log></filled>
</field></form>"##,
                ),
            ),
            (
                "d.grxml",
                r##"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="d"><rule id="d" scope="public">coffee</rule></grammar>"##,
            ),
        ],
        "[[rule]]\npath = \"/*.grxml\"\nheaders = { \"Cache-Control\" = \"max-age=60\" }\n",
        Config::direct(),
    )
    .await;
    let r = w.call("a.vxml", &["say:coffee"]).await;
    assert_eq!(logs(&r), vec!["coffee"]);
    assert_eq!(
        grammar_fetches(&r),
        vec![("d.grxml".to_string(), Some(Decision::Miss))]
    );
    for page in ["a.vxml", "b.vxml"] {
        let r = w.call(page, &["say:coffee"]).await;
        assert_eq!(
            grammar_fetches(&r),
            vec![("d.grxml".to_string(), Some(Decision::Revalidated))],
            "{page}: maxage 0 revalidates"
        );
    }
}

// ------------------------------------------------------ broken grammars ----

#[tokio::test]
async fn malformed_grammars_are_errors_with_place_and_cause_and_never_cached() {
    let w = world_with(
        &[
            (
                "bad-xml.vxml",
                &vxml(
                    r##"<form><field name="d"><prompt>Drink?</prompt><grammar src="bad.grxml"/></field></form>"##,
                ),
            ),
            (
                "bad.grxml",
                "<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" root=\"d\">\n  <rule id=\"d\">coffee</rul>\n</grammar>",
            ),
            (
                "unknown-rule.vxml",
                &vxml(
                    r##"<form><field name="d"><prompt>Drink?</prompt>
<grammar version="1.0" root="d"><rule id="d" scope="public"><ruleref uri="#nope"/></rule></grammar>
</field></form>"##,
                ),
            ),
            (
                "bad-tag.vxml",
                &vxml(
                    r##"<form><field name="d"><prompt>Drink?</prompt>
<grammar version="1.0" root="d" tag-format="semantics/1.0"><rule id="d" scope="public">coffee <tag>out = nosuch.thing;</tag></rule></grammar>
</field></form>"##,
                ),
            ),
            (
                "caught.vxml",
                &vxml(
                    r##"<catch event="error.badfetch"><log>caught <value expr="_event"/></log><exit/></catch>
<form><field name="d"><prompt>Drink?</prompt><grammar src="bad.grxml"/></field></form>"##,
                ),
            ),
        ],
        "[[rule]]\npath = \"/*.grxml\"\nheaders = { \"Cache-Control\" = \"max-age=60\" }\n",
        Config::direct(),
    )
    .await;

    let r = w.call("bad-xml.vxml", &["say:coffee"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(
        message.contains("/bad.grxml:2:") && message.contains("not well-formed XML"),
        "{message}"
    );
    assert!(
        prompts(&r).is_empty(),
        "the error comes before the prompt plays"
    );

    let r = w.call("unknown-rule.vxml", &["say:coffee"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.badfetch");
    assert!(
        message.contains("/unknown-rule.vxml:4:") && message.contains("undefined rule `nope`"),
        "{message}"
    );

    let r = w.call("bad-tag.vxml", &["say:coffee"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.semantic");
    assert!(
        message.contains("/bad-tag.vxml:4:")
            && message.contains("semantic interpretation tag failed"),
        "{message}"
    );
    // A wrong word is just no match: the broken tag never ran.
    let r = w.call("bad-tag.vxml", &["say:tea"]).await;
    assert_eq!(events(&r)[0], "nomatch");

    // The author can catch it; the broken grammar was never stored, so it
    // is fetched again — and once fixed, it works.
    let r = w.call("caught.vxml", &["say:coffee"]).await;
    assert_eq!(logs(&r), vec!["caught error.badfetch"]);
    let f = r
        .fetches
        .iter()
        .find(|f| f.rtype == ResourceType::Grammar)
        .expect("the grammar fetch is reported");
    assert!(
        f.error().is_some_and(|e| e.contains("/bad.grxml:2:")),
        "{f:?}"
    );
    assert_eq!(f.event(), Some("error.badfetch"), "{f:?}");
    write(
        w.dir.path(),
        "bad.grxml",
        "<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" root=\"d\"><rule id=\"d\">coffee</rule></grammar>",
    );
    let r = w.call("bad-xml.vxml", &["say:coffee"]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        grammar_fetches(&r),
        vec![("bad.grxml".to_string(), Some(Decision::Miss))]
    );
}

#[tokio::test]
async fn after_a_hangup_no_grammar_is_fetched_for_a_collection_that_cannot_happen() {
    let w = world(&[
        (
            "a.vxml",
            &vxml(
                r##"<form>
  <catch event="connection.disconnect.hangup"><log>bye</log><goto nextitem="g"/></catch>
  <field name="f" type="boolean"><prompt>First?</prompt></field>
  <field name="g"><prompt>Second?</prompt><grammar src="g.grxml"/></field>
</form>"##,
            ),
        ),
        (
            "g.grxml",
            r#"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="r"><rule id="r" scope="public">x</rule></grammar>"#,
        ),
    ])
    .await;
    let r = w.call("a.vxml", &["hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup);
    assert_eq!(logs(&r), vec!["bye"]);
    assert!(grammar_fetches(&r).is_empty(), "{:?}", r.fetches);
}

#[tokio::test]
async fn record_has_no_caller_token_and_says_so() {
    let w = page(
        r##"<form><record name="msg"><prompt>Speak after the tone.</prompt></record></form>"##,
    )
    .await;
    let r = w.call("a.vxml", &["say:hello"]).await;
    let (event, message) = error_of(&r);
    assert_eq!(event, "error.unsupported.record");
    assert!(message.contains("`say:hello`"), "{message}");
    assert_eq!(prompts(&r), vec!["Speak after the tone."]);
}
