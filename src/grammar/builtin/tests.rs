//! Every builtin type in both modes, with its parameters and boundaries.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::grammar::tokens;
use crate::grammar::{ActiveGrammar, Grammar, GrammarError, Input, MatchResult, match_input};

/// The value of DTMF `keys` under `builtin:dtmf/<spec>`.
fn dtmf(spec: &str, keys: &str) -> Option<Value> {
    let b = Builtin::from_type(spec, Mode::Dtmf).expect("builtin spec is valid");
    b.interpret(&tokens::dtmf_keys(keys).expect("test keys are DTMF"))
}

/// The value of `words` under `builtin:voice/<spec>`.
fn voice(spec: &str, words: &str) -> Option<Value> {
    let b = Builtin::from_type(spec, Mode::Voice).expect("builtin spec is valid");
    b.interpret(&tokens::words(words))
}

fn spec_error(spec: &str) -> String {
    match Builtin::from_uri(spec) {
        Ok(b) => panic!("{spec} parsed as {b:?}"),
        Err(reason) => reason,
    }
}

#[test]
fn builtin_uris_name_mode_type_and_parameters() {
    let b = Builtin::from_uri("builtin:dtmf/digits?minlength=3;maxlength=5").expect("parses");
    assert_eq!(b.mode, Mode::Dtmf);
    assert_eq!(
        b.kind,
        Kind::Digits {
            min: 3,
            max: Some(5)
        }
    );
    for voice in ["builtin:voice/boolean", "builtin:grammar/boolean"] {
        let b = Builtin::from_uri(voice).expect("parses");
        assert_eq!((b.mode, b.name()), (Mode::Voice, "boolean"));
    }
    assert_eq!(
        Builtin::from_type("digits?length=4", Mode::Voice).map(|b| b.kind),
        Ok(Kind::Digits {
            min: 4,
            max: Some(4)
        })
    );
    assert_eq!(
        Builtin::from_type("boolean?y=7;n=9", Mode::Dtmf).map(|b| b.kind),
        Ok(Kind::Boolean { yes: '7', no: '9' })
    );
}

#[test]
fn bad_builtin_references_say_why() {
    for (spec, needle) in [
        ("builtin:dtmf/colour", "unknown builtin type"),
        ("builtin:keypad/digits", "unknown mode"),
        ("builtin:digits", "expected builtin:dtmf/TYPE"),
        (
            "builtin:dtmf/digits?length=4;minlength=2",
            "cannot be combined",
        ),
        (
            "builtin:dtmf/digits?minlength=5;maxlength=3",
            "below minlength",
        ),
        ("builtin:dtmf/digits?length=0", "at least 1"),
        ("builtin:dtmf/digits?length=four", "not a whole number"),
        ("builtin:dtmf/digits?size=4", "no parameter `size`"),
        ("builtin:dtmf/digits?length", "not name=value"),
        ("builtin:dtmf/boolean?y=1;n=1", "both"),
        ("builtin:dtmf/boolean?y=12", "one DTMF key"),
        ("builtin:dtmf/date?format=iso", "takes no parameter"),
    ] {
        let reason = spec_error(spec);
        assert!(reason.contains(needle), "{spec}: {reason}");
    }
}

#[test]
fn boolean_dtmf_defaults_and_parameters() {
    assert_eq!(dtmf("boolean", "1"), Some(json!(true)));
    assert_eq!(dtmf("boolean", "2"), Some(json!(false)));
    assert_eq!(dtmf("boolean", "3"), None);
    assert_eq!(dtmf("boolean", "12"), None);
    assert_eq!(dtmf("boolean?y=7;n=9", "7"), Some(json!(true)));
    assert_eq!(dtmf("boolean?y=7;n=9", "9"), Some(json!(false)));
    assert_eq!(dtmf("boolean?y=7;n=9", "1"), None);
    assert_eq!(dtmf("boolean?n=#", "#"), Some(json!(false)));
}

#[test]
fn boolean_voice_phrases() {
    for yes in ["yes", "Yeah", "sure", "true", "that's right", "Yes, please"] {
        assert_eq!(voice("boolean", yes), Some(json!(true)), "{yes}");
    }
    for no in ["no", "Nope", "false", "no thank you", "wrong"] {
        assert_eq!(voice("boolean", no), Some(json!(false)), "{no}");
    }
    for neither in ["maybe", "yes no", "1", "yes yes"] {
        assert_eq!(voice("boolean", neither), None, "{neither}");
    }
}

#[test]
fn digits_dtmf_with_length_constraints() {
    assert_eq!(dtmf("digits", "0042"), Some(json!("0042")));
    assert_eq!(dtmf("digits", "12*3"), None);
    assert_eq!(dtmf("digits", "#"), None);
    assert_eq!(dtmf("digits?length=4", "1234"), Some(json!("1234")));
    assert_eq!(dtmf("digits?length=4", "123"), None);
    assert_eq!(dtmf("digits?length=4", "12345"), None);
    let ranged = "digits?minlength=3;maxlength=5";
    assert_eq!(dtmf(ranged, "12"), None);
    assert_eq!(dtmf(ranged, "123"), Some(json!("123")));
    assert_eq!(dtmf(ranged, "12345"), Some(json!("12345")));
    assert_eq!(dtmf(ranged, "123456"), None);
    assert_eq!(dtmf("digits?minlength=2", "1"), None);
    assert_eq!(
        dtmf("digits?minlength=2", &"9".repeat(60)),
        Some(json!("9".repeat(60)))
    );
    assert_eq!(dtmf("digits?maxlength=2", "12"), Some(json!("12")));
    assert_eq!(dtmf("digits?maxlength=2", "123"), None);
}

#[test]
fn digits_voice_said_one_by_one() {
    assert_eq!(voice("digits", "one two three"), Some(json!("123")));
    assert_eq!(voice("digits", "oh seven double five"), Some(json!("0755")));
    assert_eq!(voice("digits", "4 5 6"), Some(json!("456")));
    assert_eq!(voice("digits", "twenty three"), None);
    assert_eq!(
        voice("digits?length=4", "one two three four"),
        Some(json!("1234"))
    );
    assert_eq!(voice("digits?length=4", "one two three"), None);
    assert_eq!(voice("digits?minlength=2;maxlength=3", "nine"), None);
    assert_eq!(
        voice("digits?minlength=2;maxlength=3", "triple nine"),
        Some(json!("999"))
    );
    assert_eq!(
        voice("digits?minlength=2;maxlength=3", "triple nine one"),
        None
    );
}

#[test]
fn number_dtmf_uses_star_as_the_decimal_point() {
    assert_eq!(dtmf("number", "123"), Some(json!(123)));
    assert_eq!(dtmf("number", "007"), Some(json!(7)));
    assert_eq!(dtmf("number", "3*5"), Some(json!(3.5)));
    assert_eq!(dtmf("number", "12*05"), Some(json!(12.05)));
    for bad in ["*5", "5*", "1*2*3", "12#", "#"] {
        assert_eq!(dtmf("number", bad), None, "{bad}");
    }
}

#[test]
fn number_voice_in_words_and_numerals() {
    let cases = [
        ("twenty three", json!(23)),
        ("one hundred and five", json!(105)),
        ("two thousand nineteen", json!(2019)),
        ("minus five", json!(-5)),
        ("three point five", json!(3.5)),
        ("point two five", json!(0.25)),
        ("3.5", json!(3.5)),
        ("42", json!(42)),
        ("zero", json!(0)),
    ];
    for (words, want) in cases {
        assert_eq!(voice("number", words), Some(want), "{words}");
    }
    for bad in ["twenty thirty", "five apples", "point", "minus"] {
        assert_eq!(voice("number", bad), None, "{bad}");
    }
}

#[test]
fn currency_dtmf_has_no_code_and_two_decimals() {
    assert_eq!(dtmf("currency", "1250"), Some(json!("1250.00")));
    assert_eq!(dtmf("currency", "12*5"), Some(json!("12.50")));
    assert_eq!(dtmf("currency", "12*05"), Some(json!("12.05")));
    assert_eq!(dtmf("currency", "12*345"), None);
    assert_eq!(dtmf("currency", "*50"), None);
}

#[test]
fn currency_voice_names_the_currency() {
    let cases = [
        ("twelve dollars and fifty cents", "USD12.50"),
        ("twelve dollars fifty", "USD12.50"),
        ("one dollar", "USD1.00"),
        ("fifty cents", "USD0.50"),
        ("five euros", "EUR5.00"),
        ("three pounds twenty pence", "GBP3.20"),
        ("ten canadian dollars", "CAD10.00"),
        ("twelve point five dollars", "USD12.50"),
        ("twelve point five", "12.50"),
        ("1000 yen", "JPY1000.00"),
    ];
    for (words, want) in cases {
        assert_eq!(voice("currency", words), Some(json!(want)), "{words}");
    }
    for bad in [
        "twelve dollars and one hundred cents",
        "dollars",
        "minus five dollars",
        "five euros ten pence",
        "three point one two five",
    ] {
        assert_eq!(voice("currency", bad), None, "{bad}");
    }
}

#[test]
fn date_dtmf_is_yyyymmdd_and_checked() {
    assert_eq!(dtmf("date", "20240115"), Some(json!("20240115")));
    assert_eq!(dtmf("date", "20240229"), Some(json!("20240229")));
    assert_eq!(dtmf("date", "20000229"), Some(json!("20000229")));
    for bad in [
        "20230229",
        "19000229",
        "20241301",
        "20240100",
        "20240431",
        "2024011",
        "202401150",
        "2024*115",
    ] {
        assert_eq!(dtmf("date", bad), None, "{bad}");
    }
}

#[test]
fn date_voice_marks_what_was_not_said() {
    let cases = [
        ("march third", "????0303"),
        ("March the 3rd", "????0303"),
        ("the third of march nineteen ninety nine", "19990303"),
        ("january twenty first twenty twenty four", "20240121"),
        ("January 21st, 2024", "20240121"),
        ("3 march 2024", "20240303"),
        ("february twenty ninth", "????0229"),
        ("december thirty first two thousand", "20001231"),
    ];
    for (words, want) in cases {
        assert_eq!(voice("date", words), Some(json!(want)), "{words}");
    }
    for bad in [
        "february thirtieth",
        "february twenty ninth twenty twenty three",
        "march",
        "third",
        "march forty",
    ] {
        assert_eq!(voice("date", bad), None, "{bad}");
    }
}

#[test]
fn time_dtmf_is_24_hour_or_ambiguous() {
    assert_eq!(dtmf("time", "1330"), Some(json!("1330h")));
    assert_eq!(dtmf("time", "0000"), Some(json!("0000h")));
    assert_eq!(dtmf("time", "0230"), Some(json!("0230?")));
    assert_eq!(dtmf("time", "1200"), Some(json!("1200?")));
    for bad in ["2400", "1260", "930", "12345", "12*3"] {
        assert_eq!(dtmf("time", bad), None, "{bad}");
    }
}

#[test]
fn time_voice_forms() {
    let cases = [
        ("two thirty p m", "0230p"),
        ("2:30 pm", "0230p"),
        ("seven o'clock", "0700?"),
        ("seven fifteen in the morning", "0715a"),
        ("half past ten in the evening", "1030p"),
        ("quarter to three", "0245?"),
        ("twenty minutes past six", "0620?"),
        ("fourteen hundred hours", "1400h"),
        ("oh eight hundred", "0800h"),
        ("twenty three fifteen", "2315h"),
        ("two oh five", "0205?"),
        ("noon", "1200p"),
        ("midnight", "1200a"),
    ];
    for (words, want) in cases {
        assert_eq!(voice("time", words), Some(json!(want)), "{words}");
    }
    for bad in [
        "thirteen pm",
        "two sixty",
        "half to four",
        "o'clock",
        "twenty five hours",
    ] {
        assert_eq!(voice("time", bad), None, "{bad}");
    }
}

#[test]
fn phone_dtmf_star_starts_the_extension() {
    assert_eq!(dtmf("phone", "8005551234"), Some(json!("8005551234")));
    assert_eq!(dtmf("phone", "8005551234*12"), Some(json!("8005551234x12")));
    for bad in ["*12", "800*", "800*1*2", "800#"] {
        assert_eq!(dtmf("phone", bad), None, "{bad}");
    }
}

#[test]
fn phone_voice_digits_hundreds_and_extension() {
    assert_eq!(
        voice(
            "phone",
            "eight hundred five five five one two three four extension one two"
        ),
        Some(json!("8005551234x12"))
    );
    assert_eq!(
        voice("phone", "one eight hundred double five"),
        Some(json!("180055"))
    );
    assert_eq!(voice("phone", "555 0199"), Some(json!("5550199")));
    for bad in ["hundred", "extension five", "five extension", "call me"] {
        assert_eq!(voice("phone", bad), None, "{bad}");
    }
}

// ---- through the public API ------------------------------------------------------

fn first_match(grammars: &[Grammar], input: Input) -> Option<(usize, Value)> {
    let active: Vec<ActiveGrammar> = grammars
        .iter()
        .map(|g| {
            let copy = Grammar::builtin(g.url().as_str()).expect("builtin URL round-trips");
            ActiveGrammar::new(Arc::new(copy)).expect("builtins link")
        })
        .collect();
    match match_input(&active, &input).expect("builtins have no tags") {
        MatchResult::Match {
            grammar,
            interpretation,
        } => Some((grammar, interpretation.interpretation)),
        MatchResult::NoMatch => None,
    }
}

#[test]
fn a_field_type_activates_a_dtmf_and_a_voice_grammar() {
    let [d, v] = Grammar::for_field_type("boolean?y=5").expect("valid type");
    assert_eq!((d.mode(), v.mode()), (Mode::Dtmf, Mode::Voice));
    let both = [d, v];
    assert_eq!(
        first_match(&both, Input::Dtmf("5".into())),
        Some((0, json!(true)))
    );
    assert_eq!(
        first_match(&both, Input::Voice("no".into())),
        Some((1, json!(false)))
    );
    assert_eq!(first_match(&both, Input::Dtmf("1".into())), None);

    let [d, _] = Grammar::for_field_type("digits?length=4").expect("valid type");
    assert_eq!(
        first_match(&[d], Input::Dtmf("0042".into())),
        Some((0, json!("0042")))
    );
}

#[test]
fn builtin_grammar_errors_raise_unsupported_builtin() {
    let e = Grammar::builtin("builtin:dtmf/shoesize").expect_err("unknown");
    assert!(matches!(&e, GrammarError::Builtin { spec, .. } if spec == "builtin:dtmf/shoesize"));
    assert_eq!(e.event(), "error.unsupported.builtin");
    assert!(Grammar::for_field_type("digits?length=x").is_err());
    let g = Grammar::builtin("builtin:voice/number").expect("valid");
    assert_eq!(g.root_rule(), "number");
}
