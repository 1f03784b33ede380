//! Benchmarks of grammars: compiling and matching a medium grammar.
//!
//! The medium grammar is a travel request, `[i want to] (fly|go|travel) from
//! CITY to CITY [please]`, with 200 cities (about 1,000 nodes), in three
//! flavours: no tags, `semantics/1.0-literals` tags, and `semantics/1.0`
//! script tags building `{from, to}`.
//!
//! - `grammar_compile/medium`: XML text to a linked [`ActiveGrammar`].
//! - `grammar_match/{tagless,literals,script}`: a ten-word utterance that
//!   matches; `script` includes creating the one boa `Context` of the match.
//! - `grammar_match/nomatch`: an utterance the grammar rejects.
//! - `grammar_match/dtmf_pin`, `grammar_match/builtin_number`: small grammars.
//!
//! Measured at the first version (release, 2 cores shared with other work):
//! compile 0.5 ms; match tagless 59 µs, literals 147 µs, script 1.2 ms (about
//! 1 ms of it making the boa `Context`), nomatch 108 µs, dtmf_pin 2.1 µs,
//! builtin_number 5.7 µs.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use url::Url;
use vxb::grammar::{ActiveGrammar, Grammar, Input, MatchResult, match_input};

const CITIES: usize = 200;

fn travel(tags: &str) -> String {
    let tag = |i: usize| match tags {
        "literals" => format!("<tag>C{i}</tag>"),
        "script" => format!("<tag>out = \"C{i}\";</tag>"),
        _ => String::new(),
    };
    let cities: String = (0..CITIES)
        .map(|i| format!("<item>town number {i}{}</item>\n", tag(i)))
        .collect();
    let (format, root_tags) = match tags {
        "literals" => ("semantics/1.0-literals", ""),
        "script" => ("semantics/1.0", "<tag>out.from = rules.city;</tag>"),
        _ => ("semantics/1.0", ""),
    };
    let last = if tags == "script" {
        "<tag>out.to = rules.latest();</tag>"
    } else {
        ""
    };
    format!(
        r##"<?xml version="1.0"?>
<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" xml:lang="en-US" root="request" tag-format="{format}">
  <rule id="request" scope="public">
    <item repeat="0-1">i want to</item>
    <one-of><item>fly</item><item>go</item><item>travel</item></one-of>
    from <ruleref uri="#city"/>{root_tags} to <ruleref uri="#city"/>{last}
    <item repeat="0-1">please</item>
  </rule>
  <rule id="city"><one-of>
{cities}  </one-of></rule>
</grammar>"##
    )
}

fn url() -> Url {
    Url::parse("http://127.0.0.1:8080/travel.grxml").expect("bench URL parses")
}

fn linked(text: &str) -> ActiveGrammar {
    let g = Grammar::parse(text, &url(), None).expect("bench grammar compiles");
    ActiveGrammar::new(Arc::new(g)).expect("bench grammar links")
}

fn matches(g: &ActiveGrammar, input: &Input) -> bool {
    matches!(
        match_input(std::slice::from_ref(g), input),
        Ok(MatchResult::Match { .. })
    )
}

fn compile(c: &mut Criterion) {
    let text = travel("script");
    c.benchmark_group("grammar_compile")
        .bench_function("medium", |b| b.iter(|| linked(black_box(&text))));
}

fn matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("grammar_match");
    let utterance =
        Input::Voice("I want to fly from town number 17 to town number 150 please".into());
    for flavour in ["tagless", "literals", "script"] {
        let g = linked(&travel(flavour));
        assert!(
            matches(&g, &utterance),
            "{flavour} grammar matches the bench utterance"
        );
        group.bench_function(flavour, |b| b.iter(|| matches(&g, black_box(&utterance))));
    }
    let g = linked(&travel("script"));
    let wrong = Input::Voice("I want to fly from town number 17 to the moon".into());
    assert!(!matches(&g, &wrong));
    group.bench_function("nomatch", |b| b.iter(|| matches(&g, black_box(&wrong))));

    let pin = linked(
        r#"<grammar mode="dtmf" root="pin"><rule id="pin"><item repeat="4"><one-of>
           <item>0</item><item>1</item><item>2</item><item>3</item><item>4</item>
           <item>5</item><item>6</item><item>7</item><item>8</item><item>9</item>
           </one-of></item></rule></grammar>"#,
    );
    let keys = Input::Dtmf("4711".into());
    assert!(matches(&pin, &keys));
    group.bench_function("dtmf_pin", |b| b.iter(|| matches(&pin, black_box(&keys))));

    let number = ActiveGrammar::new(Arc::new(
        Grammar::builtin("builtin:voice/number").expect("builtin exists"),
    ))
    .expect("builtin links");
    let said = Input::Voice("two thousand four hundred and twelve point five".into());
    assert!(matches(&number, &said));
    group.bench_function("builtin_number", |b| {
        b.iter(|| matches(&number, black_box(&said)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = compile, matching
}
criterion_main!(benches);
