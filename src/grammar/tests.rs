//! Behaviour of the public API: compile, link, match, interpret.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use url::Url;

use super::*;

const SRGS: &str = r#"xmlns="http://www.w3.org/2001/06/grammar" version="1.0""#;

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL parses")
}

fn base() -> Url {
    url("http://example.com/app/g.grxml")
}

/// A voice grammar whose `<grammar>` element has `attrs` and holds `body`.
fn xml(attrs: &str, body: &str) -> String {
    format!(r#"<grammar {SRGS} {attrs}>{body}</grammar>"#)
}

fn compile(text: &str) -> Grammar {
    match Grammar::parse(text, &base(), None) {
        Ok(g) => g,
        Err(e) => panic!("grammar does not compile: {e}\n{text}"),
    }
}

fn active(text: &str) -> ActiveGrammar {
    ActiveGrammar::new(Arc::new(compile(text))).expect("grammar links")
}

fn error(text: &str) -> GrammarError {
    match Grammar::parse(text, &base(), None) {
        Ok(_) => panic!("grammar compiles but should not:\n{text}"),
        Err(e) => e,
    }
}

fn cause_and_line(e: &GrammarError) -> (Cause, u32) {
    match e {
        GrammarError::Invalid { cause, at, .. } => (cause.clone(), at.line),
        other => panic!("expected an invalid grammar, got {other}"),
    }
}

fn run(grammars: &[ActiveGrammar], input: Input) -> Option<(usize, Interpretation)> {
    match match_input(grammars, &input).expect("no semantic error") {
        MatchResult::Match {
            grammar,
            interpretation,
        } => Some((grammar, interpretation)),
        MatchResult::NoMatch => None,
    }
}

fn say(g: &ActiveGrammar, words: &str) -> Option<Value> {
    run(std::slice::from_ref(g), Input::Voice(words.into())).map(|(_, i)| i.interpretation)
}

fn press(g: &ActiveGrammar, keys: &str) -> Option<Value> {
    run(std::slice::from_ref(g), Input::Dtmf(keys.into())).map(|(_, i)| i.interpretation)
}

fn one_rule(body: &str) -> ActiveGrammar {
    active(&xml(
        r#"root="r""#,
        &format!(r#"<rule id="r">{body}</rule>"#),
    ))
}

// ---- tokens, items, one-of, repeat -------------------------------------------------

#[test]
fn the_whole_utterance_must_match_and_case_and_punctuation_do_not_matter() {
    let g = one_rule("hello world");
    assert_eq!(say(&g, "Hello, WORLD!"), Some(json!("Hello WORLD")));
    assert_eq!(say(&g, "hello"), None);
    assert_eq!(say(&g, "hello world again"), None);
    assert_eq!(say(&g, "say hello world"), None);
}

#[test]
fn one_of_matches_any_of_its_items() {
    let g = one_rule("<one-of><item>yes</item><item>no</item><item>maybe so</item></one-of>");
    assert_eq!(say(&g, "yes"), Some(json!("yes")));
    assert_eq!(say(&g, "maybe so"), Some(json!("maybe so")));
    assert_eq!(say(&g, "maybe"), None);
}

#[test]
fn repeat_exact_count() {
    let g = one_rule(r#"<item repeat="3">ha</item>"#);
    assert!(say(&g, "ha ha ha").is_some());
    assert!(say(&g, "ha ha").is_none());
    assert!(say(&g, "ha ha ha ha").is_none());
}

#[test]
fn repeat_range_has_inclusive_bounds() {
    let g = one_rule(r#"go <item repeat="1-3">on</item>"#);
    assert!(say(&g, "go").is_none());
    assert!(say(&g, "go on").is_some());
    assert!(say(&g, "go on on on").is_some());
    assert!(say(&g, "go on on on on").is_none());
}

#[test]
fn repeat_open_ended() {
    let g = one_rule(r#"<item repeat="2-">very</item> good"#);
    assert!(say(&g, "very good").is_none());
    assert!(say(&g, "very very good").is_some());
    assert!(say(&g, &format!("{} good", "very ".repeat(40))).is_some());
}

#[test]
fn optional_item_and_repeat_zero() {
    let g = one_rule(r#"<item repeat="0-1">please</item> stop <item repeat="0">never</item>"#);
    assert!(say(&g, "stop").is_some());
    assert!(say(&g, "please stop").is_some());
    assert!(say(&g, "stop never").is_none());
}

#[test]
fn weight_and_repeat_prob_are_ignored() {
    let g = one_rule(
        r#"<one-of><item weight="2">a</item><item weight="0.5">b</item></one-of>
           <item repeat="0-1" repeat-prob="0.3">c</item>"#,
    );
    assert!(say(&g, "b c").is_some());
    assert!(say(&g, "a").is_some());
}

#[test]
fn a_token_element_may_hold_several_words() {
    let g =
        one_rule("fly to <one-of><item><token>New York</token></item><item>Boston</item></one-of>");
    assert_eq!(say(&g, "fly to new york"), Some(json!("fly to new york")));
    assert!(say(&g, "fly to new").is_none());
}

#[test]
fn nested_sequences_and_alternatives() {
    let g = one_rule(
        r#"<one-of>
             <item><item repeat="0-1">the</item> <one-of><item>red</item><item>blue</item></one-of> one</item>
             <item>none <item repeat="1-2"><one-of><item>at</item><item>all</item></one-of></item></item>
           </one-of>"#,
    );
    for ok in ["the red one", "blue one", "none at all", "none all"] {
        assert!(say(&g, ok).is_some(), "{ok}");
    }
    for no in ["the one", "none", "none at all at", "red"] {
        assert!(say(&g, no).is_none(), "{no}");
    }
}

#[test]
fn comments_example_and_header_elements_are_read_past() {
    let g = active(&xml(
        r#"root="r""#,
        r#"<meta name="x" content="y"/><metadata><x/></metadata><lexicon uri="l.pls"/>
           <!-- a comment --><rule id="r"><example>hi</example>hi<!-- there --></rule>"#,
    ));
    assert!(say(&g, "hi").is_some());
}

#[test]
fn the_standard_prolog_and_doctype_are_accepted() {
    let text = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE grammar PUBLIC \"-//W3C//DTD GRAMMAR 1.0//EN\"\n  \
         \"http://www.w3.org/TR/speech-grammar/grammar.dtd\">\n{}",
        xml(
            r#"root="r" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
            r##"<rule id="r"><ruleref uri="#x" type="application/srgs+xml"/></rule><rule id="x">ok</rule>"##,
        )
    );
    assert!(say(&active(&text), "ok").is_some());
}

// ---- rule references -----------------------------------------------------------------

#[test]
fn local_rule_references_resolve_forward_and_backward() {
    let g = active(&xml(
        r#"root="main""#,
        r##"<rule id="colour"><one-of><item>red</item><item>green</item></one-of></rule>
            <rule id="main"><ruleref uri="#colour"/> <ruleref uri="#thing"/></rule>
            <rule id="thing">car</rule>"##,
    ));
    assert!(say(&g, "green car").is_some());
    assert!(say(&g, "car").is_none());
}

#[test]
fn without_a_root_attribute_the_first_rule_is_the_root() {
    let g = active(&xml(
        "",
        r#"<rule id="a">first</rule><rule id="b">second</rule>"#,
    ));
    assert!(say(&g, "first").is_some());
    assert!(say(&g, "second").is_none());
    assert_eq!(g.grammar().root_rule(), "a");
}

#[test]
fn a_reference_to_the_grammar_itself_by_url_is_local() {
    let g = active(&xml(
        r#"root="main""#,
        r#"<rule id="main">go <ruleref uri="g.grxml#where"/></rule><rule id="where">home</rule>"#,
    ));
    assert!(say(&g, "go home").is_some());
    assert!(g.grammar().external_refs().is_empty());
}

#[test]
fn right_recursion_is_fine() {
    let g = active(&xml(
        r#"root="digits" mode="dtmf""#,
        r##"<rule id="digits"><one-of><item>1</item><item>2</item></one-of>
              <item repeat="0-1"><ruleref uri="#digits"/></item></rule>"##,
    ));
    assert!(press(&g, "1212211").is_some());
    assert!(press(&g, "3").is_none());
}

fn cities() -> Grammar {
    Grammar::parse(
        &xml(
            r#"root="city" tag-format="semantics/1.0""#,
            r#"<rule id="city" scope="public"><one-of>
                 <item>boston<tag>out = "BOS";</tag></item>
                 <item>paris<tag>out = "CDG";</tag></item></one-of></rule>
               <rule id="secret" scope="private">hidden</rule>
               <rule id="airline" scope="public"><one-of><item>delta</item><item>air france</item></one-of></rule>"#,
        ),
        &url("http://example.com/common/cities.grxml"),
        None,
    )
    .expect("cities grammar compiles")
}

fn loader() -> HashMap<Url, Arc<Grammar>> {
    let mut m = HashMap::new();
    m.insert(
        url("http://example.com/common/cities.grxml"),
        Arc::new(cities()),
    );
    m
}

#[test]
fn external_references_resolve_through_the_loader() {
    let main = compile(&xml(
        r#"root="trip" tag-format="semantics/1.0""#,
        r#"<rule id="trip">fly <ruleref uri="../common/cities.grxml#airline"/> to <ruleref uri="../common/cities.grxml"/>
             <tag>out.to = rules.city; out.airline = rules.airline;</tag></rule>"#,
    ));
    assert_eq!(
        main.external_refs(),
        vec![url("http://example.com/common/cities.grxml")]
    );
    let g = ActiveGrammar::link(Arc::new(main), &loader()).expect("links");
    assert_eq!(
        say(&g, "fly air france to paris"),
        Some(json!({"to": "CDG", "airline": "air france"}))
    );
    assert_eq!(say(&g, "fly delta to rome"), None);
}

#[test]
fn a_grammar_with_external_references_needs_a_loader() {
    let main = Arc::new(compile(&xml(
        r#"root="r""#,
        r#"<rule id="r"><ruleref uri="http://example.com/common/cities.grxml"/></rule>"#,
    )));
    let e = ActiveGrammar::new(main.clone()).expect_err("nothing to load from");
    assert!(
        matches!(&e, GrammarError::Load { url: u, .. } if u == "http://example.com/common/cities.grxml")
    );
    assert_eq!(e.event(), "error.badfetch");
    assert!(ActiveGrammar::link(main, &loader()).is_ok());
}

#[test]
fn external_references_must_name_existing_public_rules_of_the_same_mode() {
    let link = |r: &str| {
        let main = compile(&xml(
            r#"root="r""#,
            &format!(r#"<rule id="r">x <ruleref uri="{r}"/></rule>"#),
        ));
        ActiveGrammar::link(Arc::new(main), &loader())
    };
    let (cause, line) = cause_and_line(
        &link("http://example.com/common/cities.grxml#secret").expect_err("private"),
    );
    assert!(
        matches!(cause, Cause::PrivateRule(ref r) if r.ends_with("#secret")),
        "{cause}"
    );
    assert_eq!(line, 1);
    let (cause, _) = cause_and_line(
        &link("http://example.com/common/cities.grxml#nowhere").expect_err("undefined"),
    );
    assert!(
        matches!(cause, Cause::UndefinedRule(ref r) if r.ends_with("#nowhere")),
        "{cause}"
    );

    let dtmf = compile(&xml(
        r#"root="r" mode="dtmf""#,
        r#"<rule id="r"><ruleref uri="http://example.com/common/cities.grxml"/></rule>"#,
    ));
    let (cause, _) =
        cause_and_line(&ActiveGrammar::link(Arc::new(dtmf), &loader()).expect_err("mode"));
    assert_eq!(
        cause,
        Cause::ModeMismatch {
            referrer: Mode::Dtmf,
            referenced: Mode::Voice
        }
    );
}

#[test]
fn left_recursion_across_grammars_is_found_when_linking() {
    let a_url = url("http://example.com/a.grxml");
    let b_url = url("http://example.com/b.grxml");
    let a = Grammar::parse(
        &xml(
            r#"root="a""#,
            r#"<rule id="a" scope="public"><ruleref uri="b.grxml#b"/> x</rule>"#,
        ),
        &a_url,
        None,
    )
    .expect("a compiles");
    let b = Grammar::parse(
        &xml(
            r#"root="b""#,
            r#"<rule id="b" scope="public"><ruleref uri="a.grxml#a"/> y</rule>"#,
        ),
        &b_url,
        None,
    )
    .expect("b compiles");
    let mut m = HashMap::new();
    m.insert(b_url, Arc::new(b));
    m.insert(
        a_url.clone(),
        Arc::new(Grammar::parse(&xml("", "<rule id=\"z\">z</rule>"), &a_url, None).expect("z")),
    );
    let e = ActiveGrammar::link(Arc::new(a), &m).expect_err("left-recursive");
    assert!(
        matches!(cause_and_line(&e).0, Cause::LeftRecursion(_)),
        "{e}"
    );
}

// ---- special rules ---------------------------------------------------------------

#[test]
fn null_matches_nothing_and_void_never_matches() {
    let g = one_rule(
        r#"<one-of><item>stop <ruleref special="NULL"/></item><item>go <ruleref special="VOID"/></item></one-of>"#,
    );
    assert!(say(&g, "stop").is_some());
    assert!(say(&g, "go").is_none());
}

#[test]
fn garbage_absorbs_any_words_and_prefers_fewer() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r##"<rule id="r"><ruleref special="GARBAGE"/> <ruleref uri="#t"/> <ruleref special="GARBAGE"/>
              <tag>out = rules.t;</tag></rule>
            <rule id="t"><one-of><item>pizza</item><item>pasta</item></one-of></rule>"##,
    ));
    assert_eq!(say(&g, "I want a pizza now"), Some(json!("pizza")));
    assert_eq!(say(&g, "pasta"), Some(json!("pasta")));
    // The leading GARBAGE takes as little as it can: the first dish wins.
    assert_eq!(say(&g, "pasta or pizza"), Some(json!("pasta")));
    assert_eq!(say(&g, "nothing to eat"), None);
}

// ---- semantic interpretation ---------------------------------------------------------

const PIZZA: &str = r##"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" xml:lang="en-US"
    mode="voice" root="order" tag-format="semantics/1.0">
  <rule id="order" scope="public">
    <item repeat="0-1">i would like</item>
    <item repeat="0-1">a</item>
    <ruleref uri="#size"/><tag>out.size = rules.size;</tag>
    <ruleref uri="#topping"/><tag>out.topping = rules.latest();</tag>
    pizza
    <item repeat="0-1">please</item>
  </rule>
  <rule id="size">
    <one-of>
      <item>small<tag>out = "small";</tag></item>
      <item>medium<tag>out = "medium";</tag></item>
      <item><one-of><item>large</item><item>big</item></one-of><tag>out = "large";</tag></item>
    </one-of>
  </rule>
  <rule id="topping">
    <one-of>
      <item>pepperoni</item>
      <item>mushroom</item>
      <item>extra cheese<tag>out = "cheese"</tag></item>
    </one-of>
  </rule>
</grammar>"##;

#[test]
fn pizza_order_builds_a_structured_result() {
    let g = active(PIZZA);
    assert_eq!(
        say(&g, "large pepperoni pizza"),
        Some(json!({"size": "large", "topping": "pepperoni"}))
    );
    assert_eq!(
        say(&g, "I would like a small extra cheese pizza, please"),
        Some(json!({"size": "small", "topping": "cheese"}))
    );
    assert_eq!(
        say(&g, "big mushroom pizza"),
        Some(json!({"size": "large", "topping": "mushroom"}))
    );
    assert_eq!(say(&g, "large pizza"), None);
}

#[test]
fn match_reports_utterance_confidence_and_mode() {
    let g = active(PIZZA);
    let (i, m) = run(&[g], Input::Voice("Large  Pepperoni pizza!".into())).expect("matches");
    assert_eq!(i, 0);
    assert_eq!(m.utterance, "Large Pepperoni pizza");
    assert_eq!(m.confidence, 1.0);
    assert_eq!(m.inputmode, Mode::Voice);
}

#[test]
fn a_rule_without_tags_is_worth_its_text() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r##"<rule id="r">go to <ruleref uri="#place"/><tag>out.where = rules.place;</tag></rule>
            <rule id="place"><item repeat="1-">very</item> far away</rule>"##,
    ));
    assert_eq!(
        say(&g, "go to very very far away"),
        Some(json!({"where": "very very far away"}))
    );
    // The root rule itself, without tags, is worth all of the utterance.
    assert_eq!(
        say(&one_rule("just words"), "Just words"),
        Some(json!("Just words"))
    );
}

#[test]
fn meta_gives_the_text_of_rules_and_of_the_current_rule() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r##"<rule id="r">call <ruleref uri="#who"/> at <ruleref uri="#where"/>
              <tag>out.who = meta.who.text; out.last = meta.latest().text; out.all = meta.current().text;
                   out.score = meta.who.score === 1 &amp;&amp; meta.current().score === 1;</tag></rule>
            <rule id="who"><one-of><item>John Smith<tag>out = 7;</tag></item><item>Mary</item></one-of></rule>
            <rule id="where"><one-of><item>home</item><item>the office</item></one-of></rule>"##,
    ));
    assert_eq!(
        say(&g, "Call John Smith at the office"),
        Some(
            json!({"who": "John Smith", "last": "the office", "all": "Call John Smith at the office", "score": true})
        )
    );
}

#[test]
fn tags_of_one_rule_share_variables_and_rules_hold_the_latest_match() {
    let g = active(&xml(
        r#"root="number" tag-format="semantics/1.0" mode="dtmf""#,
        r##"<rule id="number"><tag>var total = 0; var count = 0;</tag>
              <item repeat="1-"><ruleref uri="#digit"/><tag>total = total * 10 + rules.digit; count++;</tag></item>
              <tag>out = {value: total, digits: count, last: rules.digit};</tag></rule>
            <rule id="digit"><one-of>
              <item>0<tag>out = 0;</tag></item><item>1<tag>out = 1;</tag></item>
              <item>2<tag>out = 2;</tag></item><item>3<tag>out = 3;</tag></item></one-of></rule>"##,
    ));
    assert_eq!(
        press(&g, "1302"),
        Some(json!({"value": 1302, "digits": 4, "last": 2}))
    );
}

#[test]
fn variables_of_one_rule_are_not_seen_by_another() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r##"<rule id="r"><tag>var x = "outer";</tag><ruleref uri="#inner"/><tag>out = {x: x, inner: rules.inner};</tag></rule>
            <rule id="inner">word<tag>var x = "inner"; out = typeof y;</tag></rule>"##,
    ));
    assert_eq!(
        say(&g, "word"),
        Some(json!({"x": "outer", "inner": "undefined"}))
    );
}

#[test]
fn header_tags_declare_what_every_rule_sees() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r#"<tag>var codes = {red: 1, green: 2};</tag>
           <rule id="r"><one-of><item>red</item><item>green</item></one-of><tag>out = codes[meta.current().text];</tag></rule>"#,
    ));
    assert_eq!(say(&g, "green"), Some(json!(2)));
}

#[test]
fn literal_tags_set_the_rule_value_to_their_text() {
    let g = active(&xml(
        r#"root="airport" tag-format="semantics/1.0-literals""#,
        r#"<rule id="airport"><one-of>
             <item>new york <item repeat="0-1">city</item><tag> JFK </tag></item>
             <item>heathrow<tag>LHR</tag></item>
             <item>nowhere</item></one-of></rule>"#,
    ));
    assert_eq!(say(&g, "New York City"), Some(json!("JFK")));
    assert_eq!(say(&g, "heathrow"), Some(json!("LHR")));
    assert_eq!(say(&g, "Nowhere"), Some(json!("Nowhere")));
}

#[test]
fn literal_grammar_referenced_from_a_script_grammar_keeps_its_format() {
    let lit = Grammar::parse(
        &xml(
            r#"root="yes" tag-format="semantics/1.0-literals""#,
            r#"<rule id="yes" scope="public"><one-of><item>yes<tag>Y</tag></item><item>yep<tag>Y</tag></item></one-of></rule>"#,
        ),
        &url("http://example.com/yes.grxml"),
        None,
    )
    .expect("compiles");
    let main = compile(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r#"<rule id="r"><ruleref uri="http://example.com/yes.grxml"/><tag>out = {answer: rules.yes};</tag></rule>"#,
    ));
    let mut m = HashMap::new();
    m.insert(url("http://example.com/yes.grxml"), Arc::new(lit));
    let g = ActiveGrammar::link(Arc::new(main), &m).expect("links");
    assert_eq!(say(&g, "yep"), Some(json!({"answer": "Y"})));
}

#[test]
fn a_failing_tag_is_a_semantic_error_at_its_line() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        "\n<rule id=\"r\">boom\n<tag>out = undefinedThing.x;</tag></rule>",
    ));
    let e = match_input(&[g], &Input::Voice("boom".into())).expect_err("tag throws");
    match &e {
        GrammarError::Script { at, message, .. } => {
            assert_eq!(at.line, 3);
            assert!(message.contains("undefinedThing"), "{message}");
        }
        other => panic!("expected a script error, got {other}"),
    }
    assert_eq!(e.event(), "error.semantic");
}

#[test]
fn a_tag_that_never_ends_is_stopped() {
    let g = one_rule(r#"x<tag>while (true) {}</tag>"#);
    let e = match_input(&[g], &Input::Voice("x".into())).expect_err("loop limit");
    assert!(matches!(e, GrammarError::Script { .. }), "{e}");
}

#[test]
fn builtin_rule_references_give_their_value() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r#"<rule id="r">pin <ruleref uri="builtin:grammar/digits?length=4"/> amount <ruleref uri="builtin:voice/number"/>
             <tag>out.pin = rules.digits; out.amount = rules.number;</tag></rule>"#,
    ));
    assert_eq!(
        say(&g, "pin one two three four amount twenty five"),
        Some(json!({"pin": "1234", "amount": 25}))
    );
    assert_eq!(say(&g, "pin one two three amount five"), None);
    let (cause, _) = cause_and_line(&error(&xml(
        r#"root="r""#,
        r#"<rule id="r"><ruleref uri="builtin:dtmf/digits"/></rule>"#,
    )));
    assert!(matches!(cause, Cause::ModeMismatch { .. }), "{cause}");
}

// ---- DTMF ------------------------------------------------------------------------------

fn pin() -> ActiveGrammar {
    active(&xml(
        r#"root="pin" mode="dtmf""#,
        r#"<rule id="pin"><item repeat="4"><one-of>
             <item>0</item><item>1</item><item>2</item><item>3</item><item>4</item>
             <item>5</item><item>6</item><item>7</item><item>8</item><item>9</item></one-of></item></rule>"#,
    ))
}

#[test]
fn dtmf_keys_are_tokens_and_the_default_value_is_their_text() {
    let g = pin();
    assert_eq!(press(&g, "1234"), Some(json!("1 2 3 4")));
    let (_, m) = run(std::slice::from_ref(&g), Input::Dtmf("1234".into())).expect("matches");
    assert_eq!(m.utterance, "1234");
    assert_eq!(m.inputmode, Mode::Dtmf);
    assert_eq!(press(&g, "123"), None);
    assert_eq!(press(&g, "12345"), None);
    assert_eq!(press(&g, "12x4"), None);
    assert_eq!(press(&g, ""), None);
}

#[test]
fn dtmf_grammar_text_may_run_keys_together() {
    let g = one_rule_dtmf(r#"<one-of><item>1 2 3</item><item>*9#</item></one-of>"#);
    assert!(press(&g, "123").is_some());
    assert!(press(&g, "*9#").is_some());
    assert!(press(&g, "*9").is_none());
}

fn one_rule_dtmf(body: &str) -> ActiveGrammar {
    active(&xml(
        r#"root="r" mode="dtmf""#,
        &format!(r#"<rule id="r">{body}</rule>"#),
    ))
}

#[test]
fn a_hash_token_matches_only_when_the_interpreter_leaves_it_in() {
    let g = one_rule_dtmf(
        r#"<item repeat="1-"><one-of><item>1</item><item>2</item></one-of></item> #"#,
    );
    assert!(press(&g, "121#").is_some());
    assert!(press(&g, "121").is_none());
    // The usual case: the termchar is stripped and the grammar does not mention it.
    assert!(press(&pin(), "1234").is_some());
}

#[test]
fn a_dtmf_grammar_with_letters_is_an_error() {
    let (cause, _) = cause_and_line(&error(&xml(
        r#"root="r" mode="dtmf""#,
        r#"<rule id="r">1 x</rule>"#,
    )));
    assert_eq!(cause, Cause::NotDtmf('x'));
}

#[test]
fn inputs_only_meet_grammars_of_their_mode_and_the_first_match_wins() {
    let voice = one_rule("one");
    let dtmf_any = one_rule_dtmf(r#"<one-of><item>1</item><item>2</item></one-of>"#);
    let dtmf_one = one_rule_dtmf("1");
    let all = [voice, dtmf_one, dtmf_any];
    assert_eq!(run(&all, Input::Dtmf("1".into())).map(|(i, _)| i), Some(1));
    assert_eq!(run(&all, Input::Dtmf("2".into())).map(|(i, _)| i), Some(2));
    assert_eq!(
        run(&all, Input::Voice("one".into())).map(|(i, _)| i),
        Some(0)
    );
    assert_eq!(run(&all, Input::Voice("1".into())).map(|(i, _)| i), None);
    assert_eq!(run(&[], Input::Voice("one".into())), None);
}

// ---- ambiguity ---------------------------------------------------------------------

#[test]
fn ambiguity_is_settled_longest_first_then_document_order() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r##"<rule id="r"><ruleref uri="#a"/><ruleref uri="#b"/><tag>out = [rules.a, rules.b];</tag></rule>
            <rule id="a"><one-of><item>x</item><item>x y</item></one-of></rule>
            <rule id="b"><one-of><item>y z</item><item>z</item></one-of></rule>"##,
    ));
    // The first element takes the longest span that leaves a match for the rest.
    assert_eq!(say(&g, "x y z"), Some(json!(["x y", "z"])));
    let h = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r#"<rule id="r"><one-of><item>same<tag>out = 1;</tag></item><item>same<tag>out = 2;</tag></item></one-of></rule>"#,
    ));
    assert_eq!(say(&h, "same"), Some(json!(1)));
    let opt = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r##"<rule id="r"><item repeat="0-1"><ruleref uri="#w"/><tag>out.first = rules.w;</tag></item>
              <item repeat="0-1"><ruleref uri="#w"/><tag>out.second = rules.w;</tag></item></rule>
            <rule id="w">word</rule>"##,
    ));
    assert_eq!(say(&opt, "word"), Some(json!({"first": "word"})));
}

// ---- errors ----------------------------------------------------------------------------

#[test]
fn bad_xml_reports_line_and_column() {
    let e = error("<grammar>\n  <rule id=\"r\">\n  hello</rul>\n</grammar>");
    let (cause, line) = cause_and_line(&e);
    assert!(matches!(cause, Cause::Xml(_)), "{cause}");
    assert_eq!(line, 3);
    assert_eq!(e.event(), "error.badfetch");
    assert!(
        e.to_string()
            .starts_with("http://example.com/app/g.grxml:3:"),
        "{e}"
    );
}

#[test]
fn structural_errors_name_their_cause_and_line() {
    // The error of a grammar whose root rule `r` holds `body`, and of a whole text.
    let rule = |body: &str| {
        cause_and_line(&error(&xml(
            r#"root="r""#,
            &format!(r#"<rule id="r">{body}</rule>"#),
        )))
    };
    let whole = |text: &str| cause_and_line(&error(text));

    assert_eq!(whole("<vxml/>"), (Cause::NotAGrammar("vxml".into()), 1));
    assert_eq!(
        whole(&xml(r#"root="main""#, "\n<rule id=\"other\">x</rule>")),
        (Cause::MissingRoot("main".into()), 1)
    );
    assert_eq!(whole(&xml("", "")), (Cause::NoRules, 1));
    assert_eq!(
        rule("\n\n<ruleref uri=\"#missing\"/>"),
        (Cause::UndefinedRule("missing".into()), 3)
    );
    assert_eq!(
        rule("\n<item repeat=\"3-1\">x</item>"),
        (Cause::BadRepeat("3-1".into()), 2)
    );
    assert_eq!(
        rule(r#"<item repeat="many">x</item>"#).0,
        Cause::BadRepeat("many".into())
    );
    assert_eq!(rule("<one-of></one-of>").0, Cause::EmptyOneOf);
    assert_eq!(
        rule("<one-of>stray<item>x</item></one-of>").0,
        Cause::UnexpectedText("one-of".into())
    );
    let unexpected = |parent: &str, found: &str| Cause::UnexpectedElement {
        parent: parent.into(),
        found: found.into(),
    };
    assert_eq!(
        rule(r#"<one-of><ruleref special="NULL"/></one-of>"#).0,
        unexpected("one-of", "ruleref")
    );
    assert_eq!(rule("<bogus/>").0, unexpected("rule", "bogus"));
    assert_eq!(
        whole(&xml(
            r#"root="r""#,
            r#"<rule id="r">x</rule><rule id="r">y</rule>"#
        ))
        .0,
        Cause::DuplicateRule("r".into())
    );
    assert_eq!(
        whole(&xml(r#"root="r""#, r#"<rule id="r">x</rule> loose text"#)).0,
        Cause::UnexpectedText("grammar".into())
    );
    assert_eq!(
        whole(&xml(r#"root="r""#, "<rule>x</rule>")).0,
        Cause::MissingAttribute {
            element: "rule",
            attribute: "id"
        }
    );
    assert_eq!(
        rule("<ruleref/>").0,
        Cause::MissingAttribute {
            element: "ruleref",
            attribute: "uri"
        }
    );
    let bad_attribute = |text: &str| match whole(text).0 {
        Cause::BadAttribute {
            element, attribute, ..
        } => (element, attribute),
        other => panic!("expected a bad attribute, got {other:?} for {text}"),
    };
    assert_eq!(
        bad_attribute(&xml(r#"root="VOID""#, r#"<rule id="VOID">x</rule>"#)),
        ("rule", "id")
    );
    assert_eq!(
        bad_attribute(&xml(r#"mode="keypad""#, r#"<rule id="r">x</rule>"#)),
        ("grammar", "mode")
    );
    assert_eq!(
        bad_attribute(&xml("", r#"<rule id="r" scope="global">x</rule>"#)),
        ("rule", "scope")
    );
    let special = |body: &str| {
        bad_attribute(&xml(
            r#"root="r""#,
            &format!(r#"<rule id="r">{body}</rule>"#),
        ))
    };
    assert_eq!(
        special(r##"<ruleref uri="#r" special="NULL"/>"##),
        ("ruleref", "special")
    );
    assert_eq!(
        special(r#"<ruleref special="ANY"/>"#),
        ("ruleref", "special")
    );
    assert!(matches!(
        rule(r#"<ruleref uri="builtin:voice/colour"/>"#).0,
        Cause::Builtin(_)
    ));
}

#[test]
fn left_recursion_is_an_error_not_a_loop() {
    let direct = xml(
        r#"root="r""#,
        "<rule id=\"r\"><ruleref uri=\"#r\"/> x</rule>",
    );
    let indirect = xml(
        r#"root="a""#,
        "<rule id=\"a\"><ruleref uri=\"#b\"/> x</rule>\n<rule id=\"b\"><one-of><item>y</item><item><ruleref uri=\"#a\"/> z</item></one-of></rule>",
    );
    // Behind something that can match nothing, a reference is still on the left.
    let hidden = xml(
        r#"root="r""#,
        "<rule id=\"r\"><item repeat=\"0-1\">maybe</item><tag>out=1</tag><ruleref special=\"NULL\"/><ruleref uri=\"#r\"/> x</rule>",
    );
    let unused = xml(
        r#"root="ok""#,
        "<rule id=\"ok\">fine</rule>\n<rule id=\"bad\"><ruleref uri=\"#bad\"/></rule>",
    );
    for (text, rule, line) in [
        (direct, "r", 1),
        (indirect, "a", 1),
        (hidden, "r", 1),
        (unused, "bad", 2),
    ] {
        let (cause, at) = cause_and_line(&error(&text));
        assert_eq!(cause, Cause::LeftRecursion(rule.into()), "{text}");
        assert_eq!(at, line, "{text}");
    }
}

#[test]
fn nesting_beyond_the_limit_is_an_error() {
    let deep = format!(
        r#"<grammar root="r"><rule id="r">{}x{}</rule></grammar>"#,
        "<item>".repeat(srgs::MAX_DEPTH + 5),
        "</item>".repeat(srgs::MAX_DEPTH + 5)
    );
    assert_eq!(
        cause_and_line(&error(&deep)).0,
        Cause::TooDeep(srgs::MAX_DEPTH)
    );
    let fine = format!(
        r#"<grammar root="r"><rule id="r">{}x{}</rule></grammar>"#,
        "<item>".repeat(50),
        "</item>".repeat(50)
    );
    assert!(say(&active(&fine), "x").is_some());
}

// ---- inline grammars ----------------------------------------------------------------

#[test]
fn inline_grammars_are_read_whatever_their_namespace() {
    let vxml_ns = r#"<grammar xmlns="http://www.w3.org/2001/vxml" root="r"><rule id="r">hi there</rule></grammar>"#;
    let no_ns = r#"<grammar root="r" mode="dtmf"><rule id="r">1</rule></grammar>"#;
    let doc = url("http://example.com/app/start.vxml");
    let g = Grammar::parse_inline(vxml_ns, &doc, None, Pos::new(10, 5)).expect("compiles");
    assert_eq!(g.url(), &doc);
    assert!(say(&ActiveGrammar::new(Arc::new(g)).expect("links"), "hi there").is_some());
    let d = Grammar::parse_inline(no_ns, &doc, Some(Mode::Voice), Pos::START).expect("compiles");
    assert_eq!(
        d.mode(),
        Mode::Dtmf,
        "the mode attribute wins over the hint"
    );
    let hinted = Grammar::parse_inline(
        r#"<grammar><rule id="r">1</rule></grammar>"#,
        &doc,
        Some(Mode::Dtmf),
        Pos::START,
    )
    .expect("compiles");
    assert_eq!(hinted.mode(), Mode::Dtmf);
}

#[test]
fn inline_grammar_errors_are_placed_in_the_document() {
    let doc = url("http://example.com/app/start.vxml");
    let text = "<grammar root=\"r\"><rule id=\"r\"><ruleref uri=\"#nope\"/></rule>\n<rule id=\"s\"><item repeat=\"x\"/></rule></grammar>";
    let e = Grammar::parse_inline(text, &doc, None, Pos::new(20, 7)).expect_err("undefined rule");
    assert_eq!(
        e,
        GrammarError::Invalid {
            url: doc.to_string(),
            at: Pos::new(20, 7 + 31),
            cause: Cause::UndefinedRule("nope".into())
        }
    );
    let e = Grammar::parse_inline(&text.replace("#nope", "#s"), &doc, None, Pos::new(20, 7))
        .expect_err("bad repeat");
    assert!(
        matches!(e, GrammarError::Invalid { at, .. } if at == Pos::new(21, 14)),
        "{e:?}"
    );
}

#[test]
fn a_grammar_element_of_a_parsed_document_compiles_in_place() {
    let doc_text = r##"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1" xml:base="http://other.example/app/">
  <form><field name="f">
    <grammar root="r" mode="voice">
      <rule id="r">hello <ruleref uri="people.grxml#name"/></rule>
    </grammar>
    <grammar root="s"><rule id="s"><ruleref uri="#nobody"/></rule></grammar>
  </field></form>
</vxml>"##;
    let doc = roxmltree::Document::parse(doc_text).expect("test document parses");
    let mut grammars = doc.descendants().filter(|n| n.has_tag_name("grammar"));
    let (first, second) = (
        grammars.next().expect("first"),
        grammars.next().expect("second"),
    );
    let doc_url = url("http://example.com/app/start.vxml");
    let g = Grammar::from_element(first, &doc_url, None).expect("compiles");
    assert_eq!(
        g.external_refs(),
        vec![url("http://other.example/app/people.grxml")]
    );
    let e = Grammar::from_element(second, &doc_url, None).expect_err("undefined rule");
    assert_eq!(
        e,
        GrammarError::Invalid {
            url: doc_url.to_string(),
            at: Pos::new(7, 36),
            cause: Cause::UndefinedRule("nobody".into())
        }
    );
}

#[test]
fn grammar_attributes_are_exposed() {
    let g = compile(PIZZA);
    assert_eq!(g.mode(), Mode::Voice);
    assert_eq!(g.tag_format(), TagFormat::Script);
    assert_eq!(g.lang(), Some("en-US"));
    assert_eq!(g.root_rule(), "order");
    let lit = compile(&xml(
        r#"tag-format="semantics/1.0-literals""#,
        r#"<rule id="r">x</rule>"#,
    ));
    assert_eq!(lit.tag_format(), TagFormat::Literals);
}

#[test]
fn external_refs_resolve_against_xml_base() {
    let g = compile(&xml(
        r#"root="r" xml:base="http://other.example/grammars/""#,
        r##"<rule id="r"><ruleref uri="colours.grxml#c"/> <ruleref uri="colours.grxml"/> <ruleref uri="#r2"/></rule>
            <rule id="r2">x</rule>"##,
    ));
    assert_eq!(
        g.external_refs(),
        vec![url("http://other.example/grammars/colours.grxml")]
    );
}

// ---- limits and robustness ---------------------------------------------------------

#[test]
fn overlong_input_matches_nothing() {
    let g = one_rule(r#"<ruleref special="GARBAGE"/>"#);
    assert!(say(&g, &"blah ".repeat(MAX_INPUT_TOKENS)).is_some());
    assert!(say(&g, &"blah ".repeat(MAX_INPUT_TOKENS + 1)).is_none());
    assert!(
        say(&g, " ,.! ").is_none(),
        "an utterance of no words is not input"
    );
}

#[test]
fn active_grammars_are_shared_across_threads() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<ActiveGrammar>();
    let g = active(PIZZA);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let g = g.clone();
            std::thread::spawn(move || say(&g, "small mushroom pizza"))
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.join().expect("thread ends"),
            Some(json!({"size": "small", "topping": "mushroom"}))
        );
    }
}

#[test]
fn nested_repeats_of_things_that_match_nothing_terminate() {
    let g = active(&xml(
        r#"root="r" tag-format="semantics/1.0""#,
        r#"<rule id="r"><item repeat="2-"><item repeat="0-"><ruleref special="GARBAGE"/><tag>out.n = (out.n || 0) + 1;</tag></item>
             <item repeat="0-1"><ruleref special="NULL"/></item></item> end</rule>"#,
    ));
    let long = format!("{} end", "word ".repeat(MAX_INPUT_TOKENS - 1));
    let value = say(&g, &long).expect("matches");
    // Longest first: one outer iteration takes every word, an empty one makes up the
    // two; inside, a single GARBAGE run covers them all, so the tag ran once.
    assert_eq!(value, json!({"n": 1}));
    assert!(say(&g, "end").is_some());
    assert!(say(&g, "word").is_none());
}

/// Grammars made by cutting and mutating a valid one: compiling never
/// panics, and whatever compiles links and matches without panicking.
#[test]
fn mutated_and_truncated_grammars_never_panic() {
    let sources = [PIZZA.to_string(), cities_text(), dtmf_text()];
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    let inputs = [
        Input::Voice("large pepperoni pizza".into()),
        Input::Voice("i would like a small extra cheese pizza please".into()),
        Input::Voice("boston".into()),
        Input::Dtmf("1234#".into()),
        Input::Dtmf("*".into()),
    ];
    let pieces = [
        "<item>",
        "</item>",
        "<one-of>",
        "</one-of>",
        "repeat=\"0-\"",
        "<ruleref uri=\"#size\"/>",
        "<ruleref special=\"GARBAGE\"/>",
        "<tag>out=",
        "</tag>",
        "\"",
        "<",
        ">",
        "&amp;",
        "&",
        "#",
        "-",
        "<rule id=\"x\">",
        "</rule>",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE g [<!ENTITY e \"x\">]>",
        "&e;",
    ];
    let mut compiled = 0;
    for round in 0..1500 {
        let src = &sources[round % sources.len()];
        let mut bytes: Vec<char> = src.chars().collect();
        match round % 4 {
            0 => bytes.truncate(rng.usize(0..=bytes.len())),
            1 => {
                for _ in 0..rng.usize(1..4) {
                    if !bytes.is_empty() {
                        let i = rng.usize(0..bytes.len());
                        bytes.remove(i);
                    }
                }
            }
            _ => {
                for _ in 0..rng.usize(1..4) {
                    let at = rng.usize(0..=bytes.len());
                    let piece = pieces[rng.usize(0..pieces.len())];
                    for (k, c) in piece.chars().enumerate() {
                        bytes.insert(at + k, c);
                    }
                }
            }
        }
        let text: String = bytes.into_iter().collect();
        let Ok(g) = Grammar::parse(&text, &base(), None) else {
            continue;
        };
        compiled += 1;
        let Ok(a) = ActiveGrammar::link(Arc::new(g), &loader()) else {
            continue;
        };
        for input in &inputs {
            let _ = match_input(std::slice::from_ref(&a), input);
        }
    }
    assert!(
        compiled > 50,
        "too few mutants compiled ({compiled}) to exercise matching"
    );
}

/// Random inputs against fixed grammars: matching never panics.
#[test]
fn random_inputs_never_panic() {
    let grammars = [active(PIZZA), pin(), active(&cities_text())];
    let words = [
        "large",
        "pizza",
        "pepperoni",
        "a",
        "please",
        "extra",
        "cheese",
        "1",
        "#",
        "*",
        "",
        "é",
        "'",
        "3.5",
    ];
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..500 {
        let n = rng.usize(0..12);
        let text: Vec<&str> = (0..n).map(|_| words[rng.usize(0..words.len())]).collect();
        let text = text.join(" ");
        for input in [
            Input::Voice(text.clone()),
            Input::Dtmf(text.replace(' ', "")),
        ] {
            let _ = match_input(&grammars, &input).expect("no tag fails here");
        }
    }
}

fn cities_text() -> String {
    xml(
        r#"root="city" tag-format="semantics/1.0""#,
        r#"<rule id="city" scope="public"><one-of>
             <item>boston<tag>out = "BOS";</tag></item>
             <item>paris<tag>out = "CDG";</tag></item></one-of></rule>"#,
    )
}

fn dtmf_text() -> String {
    xml(
        r#"root="r" mode="dtmf""#,
        r#"<rule id="r"><item repeat="1-4"><one-of><item>1</item><item>2</item><item>3</item><item>4</item></one-of></item>
             <item repeat="0-1">#</item></rule>"#,
    )
}

// ---- the ABNF form ----------------------------------------------------------------

/// The pizza grammar, once in each form: they must compile to grammars that
/// match identically.
const PIZZA_XML: &str = r##"<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="order" tag-format="semantics/1.0">
  <rule id="order" scope="public">
    <item repeat="0-1">i want</item>
    <item repeat="0-1"><ruleref uri="#count"/><tag>out.count = rules.count;</tag></item>
    <ruleref uri="#size"/><tag>out.size = rules.size;</tag>
    <one-of><item weight="2">pizza</item><item>pizzas</item></one-of>
    <item repeat="0-1">please</item>
  </rule>
  <rule id="size"><one-of>
    <item>small<tag>out = "S";</tag></item>
    <item>large<tag>out = "L";</tag></item>
    <item>extra large<tag>out = "XL";</tag></item>
  </one-of></rule>
  <rule id="count"><item repeat="1-3">very</item><tag>out = meta.current().text.split(" ").length;</tag></rule>
</grammar>"##;

const PIZZA_ABNF: &str = r##"#ABNF 1.0 UTF-8;
language en-US;
mode voice;
root $order;
tag-format <semantics/1.0>;
// a comment
public $order = [i want] [$count {out.count = rules.count;}]
    $size {out.size = rules.size;} (/2/ pizza | pizzas) [please];
$size = small {out = "S";} | large {out = "L";} | "extra large" {out = "XL";};
/* repeats */
$count = very<1-3> {out = meta.current().text.split(" ").length;};
"##;

#[test]
fn abnf_and_xml_forms_of_one_grammar_match_identically() {
    let x = active(PIZZA_XML);
    let a = active(PIZZA_ABNF);
    assert_eq!(a.grammar().root_rule(), "order");
    assert_eq!(a.grammar().lang(), Some("en-US"));
    for utterance in [
        "large pizza",
        "I want very very large pizzas please",
        "extra large pizza",
        "small pizzas",
        "very very very very small pizza",
        "medium pizza",
        "pizza",
        "large",
    ] {
        assert_eq!(say(&a, utterance), say(&x, utterance), "{utterance}");
    }
    assert_eq!(
        say(&a, "i want very very large pizza"),
        Some(json!({"count": 2, "size": "L"}))
    );
    assert_eq!(say(&a, "small pizza"), Some(json!({"size": "S"})));
    assert_eq!(say(&a, "very very very very small pizza"), None);
}

#[test]
fn abnf_dtmf_grammars_with_literal_tags_and_specials() {
    let g = active(
        "#ABNF 1.0;\nmode dtmf;\ntag-format <semantics/1.0-literals>;\nroot $menu;\n\
         public $menu = 1 {sales} | 2 {support} | 0 $NULL {operator} | * 9 {back} | $pin;\n\
         $pin = # <4> $GARBAGE;\n\
         $never = $VOID;\n",
    );
    assert_eq!(g.mode(), Mode::Dtmf);
    assert_eq!(press(&g, "1"), Some(json!("sales")));
    assert_eq!(press(&g, "2"), Some(json!("support")));
    assert_eq!(press(&g, "0"), Some(json!("operator")));
    assert_eq!(press(&g, "*9"), Some(json!("back")));
    assert_eq!(press(&g, "3"), None);
    // A voice input never meets a DTMF grammar.
    assert_eq!(say(&g, "one"), None);
}

#[test]
fn abnf_mode_comes_from_the_hint_unless_declared() {
    let text = "#ABNF 1.0; root $r; $r = 1 2;";
    let g = Grammar::parse(text, &base(), Some(Mode::Dtmf)).expect("compiles");
    assert_eq!(g.mode(), Mode::Dtmf);
    let e = Grammar::parse(text, &base(), Some(Mode::Voice)).map(|g| g.mode());
    assert_eq!(e, Ok(Mode::Voice), "digits are words in voice");
}

#[test]
fn abnf_external_rule_references_resolve_through_the_loader() {
    let g = Grammar::parse(
        "#ABNF 1.0;\nroot $trip;\npublic $trip = from $<../common/cities.grxml#city> {out.from = rules.city;}\n  to $<../common/cities.grxml> {out.to = rules.latest();};",
        &base(),
        None,
    )
    .expect("compiles");
    assert_eq!(
        g.external_refs(),
        vec![url("http://example.com/common/cities.grxml")]
    );
    let g = ActiveGrammar::link(Arc::new(g), &loader()).expect("links");
    assert_eq!(
        say(&g, "from boston to paris"),
        Some(json!({"from": "BOS", "to": "CDG"}))
    );
    assert_eq!(say(&g, "from boston to delta"), None);
}

#[test]
fn abnf_without_root_takes_the_first_public_rule_and_says_so() {
    let g = compile("#ABNF 1.0;\n$helper = big;\npublic $main = $helper dog;");
    assert_eq!(g.root_rule(), "main");
    assert!(!g.root_declared());
    assert!(compile(PIZZA_ABNF).root_declared());
    let g = compile(&xml("", "<rule id=\"r\">x</rule>"));
    assert!(!g.root_declared());
}

#[test]
fn abnf_errors_name_line_column_and_cause() {
    for (text, line, needle) in [
        ("#ABNF 2.0;\n$r = x;", 1, "#ABNF 1.0"),
        ("#ABNF 1.0;\nroot $r;\n$r = (a | b;", 3, "not closed"),
        (
            "#ABNF 1.0;\nroot $r;\n$r = a\n  | $nope;",
            4,
            "undefined rule `nope`",
        ),
        ("#ABNF 1.0;\nroot $r;\n$r = a <3-1>;", 3, "repeat=\"3-1\""),
        ("#ABNF 1.0;\nroot $x;\n$r = a;", 2, "root rule `x`"),
        ("#ABNF 1.0;\n$r = a;\n$r = b;", 3, "defined twice"),
        ("#ABNF 1.0;\nmode dtmf;\n$r = 1 x;", 3, "not a DTMF key"),
        ("#ABNF 1.0;\n$r = a {out = 1;", 2, "tag is not closed"),
        ("#ABNF 1.0;\n$r = $r x;", 2, "left-recursive"),
        ("#ABNF 1.0;\n$r = a", 2, "no `;`"),
        ("#ABNF 1.0;\nmode fax;\n$r = a;", 2, "voice or dtmf"),
    ] {
        let e = error(text);
        let GrammarError::Invalid { at, .. } = &e else {
            panic!("{text}: {e}");
        };
        assert_eq!(at.line, line, "{text}: {e}");
        assert!(e.to_string().contains(needle), "{text}: {e}");
        assert_eq!(e.event(), "error.badfetch");
    }
    let e = error("#ABNF 1.0;\nroot $r;\n$r = a (b c;");
    let GrammarError::Invalid { at, .. } = e else {
        panic!("invalid")
    };
    assert_eq!((at.line, at.column), (3, 8), "the unclosed `(`");
}

#[test]
fn inline_abnf_errors_are_placed_in_the_document() {
    let e = Grammar::parse_inline("#ABNF 1.0;\n$r = (a;", &base(), None, Pos::new(10, 30))
        .expect_err("unclosed");
    let GrammarError::Invalid { at, .. } = e else {
        panic!("invalid")
    };
    assert_eq!((at.line, at.column), (11, 6));
}

#[test]
fn text_in_no_grammar_format_is_unsupported_not_badfetch() {
    for text in ["#JSGF V1.0; grammar x; public <r> = yes;", "(yes no)", ""] {
        let e = error(text);
        assert!(
            matches!(e, GrammarError::UnsupportedFormat { .. }),
            "{text}: {e}"
        );
        assert_eq!(e.event(), "error.unsupported.format");
    }
}
