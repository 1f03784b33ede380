//! Parser tests: the sample documents in `tests/fixtures/vxml/`, every kind of
//! refusal with its position, and robustness against damaged input.

use std::sync::Arc;
use std::time::Duration;

use super::exec::{ExitValue, GotoTarget, LogPart, ReturnValue};
use super::prompt::SsmlKind;
use super::xml::XmlNode;
use super::*;

const HELLO: &str = include_str!("../../tests/fixtures/vxml/hello.vxml");
const DRINK: &str = include_str!("../../tests/fixtures/vxml/drink.vxml");
const ROOT: &str = include_str!("../../tests/fixtures/vxml/root.vxml");
const LEAF: &str = include_str!("../../tests/fixtures/vxml/leaf.vxml");
const MENU: &str = include_str!("../../tests/fixtures/vxml/menu.vxml");
const PIZZA: &str = include_str!("../../tests/fixtures/vxml/pizza.vxml");

const FIXTURES: [(&str, &str); 6] = [
    ("hello.vxml", HELLO),
    ("drink.vxml", DRINK),
    ("root.vxml", ROOT),
    ("leaf.vxml", LEAF),
    ("menu.vxml", MENU),
    ("pizza.vxml", PIZZA),
];

fn doc(text: &str) -> Document {
    match parse_str(text, "t.vxml") {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn form(d: &Document, i: usize) -> &Form {
    match &d.dialogs[i] {
        Dialog::Form(f) => f,
        Dialog::Menu(_) => panic!("dialog {i} is a menu"),
    }
}

fn err(text: &str) -> ParseError {
    match parse_str(text, "bad.vxml") {
        Ok(_) => panic!("parsed, expected an error:\n{text}"),
        Err(e) => e,
    }
}

/// Wraps executable content in a document.
fn in_block(content: &str) -> String {
    format!("<vxml version=\"2.0\"><form><block>{content}</block></form></vxml>")
}

fn texts(nodes: &[PromptNode]) -> String {
    nodes
        .iter()
        .map(|n| match n {
            PromptNode::Text(t) => t.as_str(),
            _ => "",
        })
        .collect()
}

#[test]
fn hello_world_is_one_anonymous_block_with_an_implicit_prompt() {
    let d = doc(HELLO);
    assert_eq!(d.version, Version::V2_0);
    let f = form(&d, 0);
    let items: Vec<_> = f.items().collect();
    assert_eq!(items.len(), 1);
    let FormItem::Block(b) = items[0] else {
        panic!("not a block")
    };
    assert!(b.common.anonymous);
    assert_eq!(b.common.name, "$vxb_block_1");
    assert_eq!(b.common.span, Span { line: 7, column: 5 });
    let [Executable::Prompt(p)] = b.content.as_slice() else {
        panic!("{:?}", b.content)
    };
    assert!(p.implicit);
    assert_eq!(texts(&p.content), "Hello World!");
}

#[test]
fn drink_field_grammar_and_submit() {
    let d = doc(DRINK);
    let f = form(&d, 0);
    let Some(FormItem::Field(field)) = f.item("drink") else {
        panic!("no field")
    };
    assert_eq!(field.input.prompts.len(), 1);
    assert_eq!(
        texts(&field.input.prompts[0].content),
        "Would you like coffee, tea, milk, or nothing?"
    );
    let g = &field.input.grammars[0];
    assert_eq!(
        g.source,
        GrammarSource::Src(ValueOrExpr::Literal("drink.grxml".into()))
    );
    assert_eq!(g.type_.as_deref(), Some("application/srgs+xml"));
    let Some(FormItem::Block(b)) = f.items().nth(1) else {
        panic!()
    };
    let [Executable::Submit(s)] = b.content.as_slice() else {
        panic!("{:?}", b.content)
    };
    assert_eq!(
        s.next,
        ValueOrExpr::Literal("http://www.drink.example.com/drink2.asp".into())
    );
    assert_eq!(s.method, Method::Get);
    assert_eq!(s.namelist, None);
}

#[test]
fn root_document_declarations_metas_links_and_handlers() {
    let d = doc(ROOT);
    assert_eq!(d.version, Version::V2_1);
    assert_eq!(d.lang.as_deref(), Some("en-US"));
    assert_eq!(d.application, None);
    assert_eq!(
        d.metas,
        vec![Meta {
            name: "author".into(),
            content: "vxb tests".into()
        }]
    );
    assert_eq!(
        d.http_equiv,
        vec![
            ("Cache-Control".to_string(), "max-age=3600".to_string()),
            (
                "Expires".to_string(),
                "Thu, 01 Dec 2094 16:00:00 GMT".to_string()
            ),
        ]
    );
    let props: Vec<_> = d
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(props, [("timeout", "5s"), ("documentmaxage", "60")]);
    // Declarations keep document order: var, script, var.
    let order: Vec<&str> = d
        .declarations
        .iter()
        .map(|x| match x {
            Declaration::Var(v) => v.name.as_str(),
            Declaration::Script(_) => "<script>",
            Declaration::Data(_) => "<data>",
        })
        .collect();
    assert_eq!(order, ["calls", "<script>", "greeting"]);
    let Declaration::Script(s) = &d.declarations[1] else {
        panic!()
    };
    assert_eq!(
        s.source,
        ScriptSource::Src(ValueOrExpr::Literal("lib/util.js".into()))
    );
    assert_eq!(
        s.fetch,
        FetchAttrs {
            fetchtimeout: Some(Duration::from_secs(3)),
            fetchhint: Some(FetchHint::Safe),
            maxage: Some(120),
            maxstale: Some(30),
            ..FetchAttrs::default()
        }
    );
    assert_eq!(d.script_srcs().collect::<Vec<_>>(), ["lib/util.js"]);

    assert_eq!(d.links.len(), 2);
    assert_eq!(
        d.links[0].target,
        LinkTarget::Goto(ValueOrExpr::Literal("operator.vxml".into()))
    );
    assert_eq!(d.links[0].dtmf.as_deref(), Some("0"));
    let GrammarSource::InlineXml(g) = &d.links[0].grammars[0].source else {
        panic!("{:?}", d.links[0].grammars[0].source)
    };
    assert_eq!(g.name, "grammar");
    assert_eq!(g.attribute("root"), Some("op"));
    let rule = g.elements().next().expect("a rule");
    assert_eq!(
        (rule.name.as_str(), rule.attribute("id")),
        ("rule", Some("op"))
    );
    let one_of = rule.elements().next().expect("one-of");
    assert_eq!(
        one_of.elements().map(|i| i.text()).collect::<Vec<_>>(),
        ["operator", "agent"]
    );
    assert_eq!(d.links[0].grammars[0].mode, Some(GrammarMode::Voice));
    assert_eq!(
        d.links[1].target,
        LinkTarget::Event {
            event: ValueOrExpr::Literal("help".into()),
            message: None
        }
    );

    let events: Vec<_> = d
        .catches
        .iter()
        .map(|c| (c.events.join(","), c.count))
        .collect();
    assert_eq!(
        events,
        [
            ("error.badfetch,error.semantic".to_string(), 2),
            ("noinput".to_string(), 1),
            ("help".to_string(), 3)
        ]
    );
    let [Executable::Log(log), Executable::Exit(exit)] = d.catches[0].content.as_slice() else {
        panic!("{:?}", d.catches[0].content)
    };
    assert_eq!(log.label.as_deref(), Some("root"));
    assert_eq!(
        log.content,
        [
            LogPart::Text("fatal: ".into()),
            LogPart::Value(Expr("_event".into()))
        ]
    );
    assert_eq!(exit.value, ExitValue::None);
    // Bare text then <reprompt/>: an implicit prompt, then the reprompt.
    let [Executable::Prompt(p), Executable::Reprompt(_)] = d.catches[1].content.as_slice() else {
        panic!("{:?}", d.catches[1].content)
    };
    assert_eq!(texts(&p.content), "I did not hear you. ");
}

#[test]
fn leaf_names_its_application_and_qualified_assign() {
    let d = doc(LEAF);
    assert_eq!(d.application.as_deref(), Some("root.vxml"));
    assert_eq!(
        d.dialog("city").map(Dialog::span),
        Some(Span {
            line: 10,
            column: 3
        })
    );
    let Some(FormItem::Block(b)) = form(&d, 0).items().next() else {
        panic!()
    };
    let [
        Executable::Assign(a),
        Executable::Prompt(p),
        Executable::Goto(g),
    ] = b.content.as_slice()
    else {
        panic!("{:?}", b.content)
    };
    assert_eq!(
        (a.name.as_str(), a.expr.as_str()),
        ("application.calls", "calls + 1")
    );
    assert!(!p.implicit);
    assert!(matches!(&p.content[0], PromptNode::Value { expr, .. } if expr.as_str() == "greeting"));
    assert_eq!(
        g.target,
        GotoTarget::Uri(ValueOrExpr::Literal("#city".into()))
    );
    let Some(FormItem::Field(f)) = form(&d, 1).item("city") else {
        panic!()
    };
    let [Executable::Goto(g)] = f.input.filled[0].content.as_slice() else {
        panic!()
    };
    assert_eq!(g.fetch.maxage, Some(0));
    assert_eq!(g.fetch.fetchaudio.as_deref(), Some("hold.wav"));
    assert_eq!(g.fetch.fetchaudiodelay, Some(Duration::from_secs(1)));
}

#[test]
fn menu_choices_enumerate_and_choice_grammar() {
    let d = doc(MENU);
    let Dialog::Menu(m) = &d.dialogs[0] else {
        panic!()
    };
    assert_eq!(m.id.as_deref(), Some("home"));
    assert!(m.dtmf);
    assert_eq!(m.choices.len(), 4);
    assert!(
        m.prompts[0]
            .content
            .iter()
            .any(|n| matches!(n, PromptNode::Enumerate { content, .. } if content.is_empty()))
    );
    assert_eq!(texts(&m.choices[1].content), "Weather");
    assert_eq!(m.choices[2].accept, Some(Accept::Approximate));
    assert_eq!(
        m.choices[3].target,
        LinkTarget::Event {
            event: ValueOrExpr::Literal("help".into()),
            message: None
        }
    );
    assert!(matches!(
        &m.choices[3].grammar,
        Some(Grammar {
            source: GrammarSource::InlineXml(_),
            ..
        })
    ));
    let [Executable::Prompt(p)] = m.catches[0].content.as_slice() else {
        panic!()
    };
    assert!(matches!(
        p.content.last(),
        Some(PromptNode::Enumerate { .. })
    ));
}

#[test]
fn pizza_covers_form_items_and_executable_content() {
    let d = doc(PIZZA);
    let Declaration::Script(s) = &d.declarations[0] else {
        panic!()
    };
    let ScriptSource::Inline { text, start } = &s.source else {
        panic!()
    };
    assert!(text.contains("function price(size, toppings)"));
    assert_eq!(start.line, 3, "the CDATA text starts on the script's line");
    let f = form(&d, 0);
    assert_eq!(f.scope, Scope::Document);
    let names: Vec<&str> = f.items().map(|i| i.common().name.as_str()).collect();
    assert_eq!(
        names,
        [
            "start",
            "size",
            "toppings",
            "payment",
            "message",
            "agent",
            "$vxb_block_9"
        ]
    );
    // Form-level declarations are interleaved in document order.
    assert!(
        matches!(f.children[0], FormChild::Declaration(Declaration::Var(ref v)) if v.name == "attempts")
    );
    assert!(
        matches!(f.children[7], FormChild::Declaration(Declaration::Data(ref x))
        if x.src == ValueOrExpr::Expr(Expr("'stock.xml?size=' + size".into())) && x.namelist == ["size"])
    );
    let g = &f.grammars[0];
    assert_eq!(g.weight, Some(1.5));
    let GrammarSource::InlineXml(x) = &g.source else {
        panic!()
    };
    assert_eq!(x.elements().count(), 2);
    assert!(x.elements().next().is_some_and(|r| r.children.iter().any(
        |c| matches!(c, XmlNode::Element(e) if e.name == "ruleref" && e.attribute("uri") == Some("#size"))
    )));

    let Some(FormItem::Initial(init)) = f.item("start") else {
        panic!()
    };
    assert_eq!(init.input.prompts[0].bargein, Some(false));
    assert_eq!(init.input.prompts[0].timeout, Some(Duration::from_secs(3)));
    assert_eq!(
        init.input
            .catches
            .iter()
            .map(|c| c.count)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let [Executable::Clear(c), Executable::Goto(g)] = init.input.catches[1].content.as_slice()
    else {
        panic!()
    };
    assert_eq!(c.namelist.as_deref(), Some(&["size".to_string()][..]));
    assert_eq!(
        g.target,
        GotoTarget::Item(ValueOrExpr::Literal("size".into()))
    );
    assert_eq!(init.input.properties[0].name, "confidencelevel");

    let Some(FormItem::Field(size)) = f.item("size") else {
        panic!()
    };
    assert_eq!(
        size.input
            .prompts
            .iter()
            .map(|p| p.count)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(size.options[0].value.as_deref(), Some("small"));
    assert_eq!(
        (
            size.options[1].dtmf.as_deref(),
            size.options[1].text.as_str()
        ),
        (Some("2"), "large")
    );
    let [Executable::If(branchy)] = size.input.filled[0].content.as_slice() else {
        panic!()
    };
    assert_eq!(branchy.branches.len(), 2);
    assert_eq!(branchy.branches[1].cond.as_str(), "size == 'small'");
    assert_eq!(branchy.branches[1].content.len(), 2);
    let Some([Executable::Throw(t)]) = branchy.else_.as_deref() else {
        panic!("{:?}", branchy.else_)
    };
    assert_eq!(t.event, ValueOrExpr::Literal("com.example.badsize".into()));
    assert_eq!(
        t.message,
        Some(ValueOrExpr::Expr(Expr("'unexpected ' + size".into())))
    );

    let Some(FormItem::Field(top)) = f.item("toppings") else {
        panic!()
    };
    assert!(top.modal);
    assert_eq!(top.type_.as_deref(), Some("digits?maxlength=2"));
    assert_eq!(
        top.common.cond.as_ref().map(Expr::as_str),
        Some("size == 'large'")
    );
    let content = &top.input.prompts[0].content;
    assert!(content.iter().any(
        |n| matches!(n, PromptNode::Break { time: Some(t), .. } if *t == Duration::from_millis(300))
    ));
    let audio = content.iter().find_map(|n| match n {
        PromptNode::Audio(a) => Some(a),
        _ => None,
    });
    let audio = audio.expect("audio");
    assert_eq!(audio.src, ValueOrExpr::Literal("toppings.wav".into()));
    assert_eq!(audio.fetch.maxage, Some(86400));
    assert_eq!(texts(&audio.fallback), "Say a number.");

    let Some(FormItem::Subdialog(pay)) = f.item("payment") else {
        panic!()
    };
    assert_eq!(pay.method, Method::Post);
    assert_eq!(pay.namelist, ["size", "toppings"]);
    assert_eq!(pay.fetch.fetchtimeout, Some(Duration::from_secs(10)));
    assert_eq!(
        pay.params[0].value,
        ValueOrExpr::Expr(Expr("price(size, [])".into()))
    );
    assert_eq!(pay.params[1].value, ValueOrExpr::Literal("EUR".into()));
    assert_eq!(pay.input.filled.len(), 1);

    let Some(FormItem::Record(rec)) = f.item("message") else {
        panic!()
    };
    assert!(rec.beep && rec.dtmfterm && rec.modal);
    assert_eq!(rec.maxtime, Some(Duration::from_secs(10)));
    assert_eq!(rec.finalsilence, Some(Duration::from_millis(1500)));

    let Some(FormItem::Transfer(tr)) = f.item("agent") else {
        panic!()
    };
    assert_eq!(tr.kind, TransferType::Bridge);
    assert_eq!(
        tr.dest,
        Some(ValueOrExpr::Literal("tel:+15555550100".into()))
    );

    let Some(FormItem::Block(b)) = f.items().last() else {
        panic!()
    };
    let [
        Executable::Foreach(each),
        Executable::Prompt(p),
        Executable::Submit(sub),
    ] = b.content.as_slice()
    else {
        panic!("{:?}", b.content)
    };
    assert_eq!((each.item.as_str(), each.array.as_str()), ("t", "orders"));
    assert!(matches!(each.content.as_slice(), [Executable::Prompt(_)]));
    assert!(p.content.iter().any(
        |n| matches!(n, PromptNode::Mark { name: ValueOrExpr::Literal(m), .. } if m == "total")
    ));
    let say_as = p.content.iter().find_map(|n| match n {
        PromptNode::Ssml(s) if s.kind == SsmlKind::SayAs => Some(s),
        _ => None,
    });
    let say_as = say_as.expect("say-as");
    assert_eq!(say_as.attribute("interpret-as"), Some("currency"));
    assert!(matches!(
        say_as.children.as_slice(),
        [PromptNode::Text(_), PromptNode::Value { .. }]
    ));
    assert_eq!(sub.method, Method::Post);

    let [Executable::Log(_), Executable::Return(r)] = f.catches[0].content.as_slice() else {
        panic!()
    };
    assert_eq!(
        r.value,
        ReturnValue::Event {
            event: ValueOrExpr::Literal("error.order".into()),
            message: Some(ValueOrExpr::Literal("bad size".into()))
        }
    );
    assert_eq!(f.catches[1].events, ["error"]);
    let [Executable::Exit(e)] = f.catches[1].content.as_slice() else {
        panic!()
    };
    assert_eq!(e.value, ExitValue::Namelist(vec!["size".into()]));
}

#[test]
fn parsed_documents_are_shared_across_threads() {
    let d = Arc::new(doc(PIZZA));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let d = Arc::clone(&d);
            std::thread::spawn(move || d.dialogs.len())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().ok(), Some(1));
    }
}

#[test]
fn bytes_in_declared_encodings() {
    let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<vxml version=\"2.0\"><form><block>Caf\xE9</block></form></vxml>";
    let d = parse(latin, "latin.vxml").expect("latin-1 parses");
    let Some(FormItem::Block(b)) = form(&d, 0).items().next() else {
        panic!()
    };
    let [Executable::Prompt(p)] = b.content.as_slice() else {
        panic!()
    };
    assert_eq!(texts(&p.content), "Café");

    let e = parse(
        b"<vxml version=\"2.0\">\n  <form>\xFF</form></vxml>",
        "u.vxml",
    )
    .unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::Encoding(_)));
    assert_eq!(e.span, Span { line: 2, column: 9 });
}

#[test]
fn foreign_namespace_elements_are_skipped() {
    let d = doc(
        r#"<vxml version="2.0" xmlns="http://www.w3.org/2001/vxml" xmlns:x="urn:example">
        <x:extension a="1"><x:whatever/></x:extension>
        <form><block><x:note/>Hi</block></form></vxml>"#,
    );
    assert_eq!(d.dialogs.len(), 1);
}

#[test]
fn ssml_namespace_elements_are_prompt_content() {
    let d = doc(&in_block(
        r#"<prompt xmlns:ssml="http://www.w3.org/2001/10/synthesis">a<ssml:break strength="weak"/>b</prompt>"#,
    ));
    let Some(FormItem::Block(b)) = form(&d, 0).items().next() else {
        panic!()
    };
    let [Executable::Prompt(p)] = b.content.as_slice() else {
        panic!()
    };
    assert!(matches!(
        p.content[1],
        PromptNode::Break {
            strength: Some(prompt::BreakStrength::Weak),
            ..
        }
    ));
}

#[test]
fn anonymous_names_avoid_explicit_ones() {
    let d = doc(r#"<vxml version="2.0"><form>
        <field name="$vxb_block_2"><grammar src="g.grxml"/></field><block/></form></vxml>"#);
    let names: Vec<_> = form(&d, 0)
        .items()
        .map(|i| i.common().name.clone())
        .collect();
    assert_eq!(names, ["$vxb_block_2", "$vxb_block_2_"]);
}

// ----- refusals ---------------------------------------------------------------------

#[test]
fn malformed_xml_reports_the_position() {
    let e = err("<vxml version=\"2.0\">\n  <form>\n    <block>\n  </form>\n</vxml>");
    assert!(matches!(e.kind, ParseErrorKind::Xml(_)), "{e}");
    assert_eq!(e.span.line, 4);
    assert_eq!(e.event(), "error.badfetch");
    assert!(e.to_string().starts_with("bad.vxml:4:"), "{e}");

    let e = err("<vxml version=\"2.0\">\n<form>");
    assert!(matches!(e.kind, ParseErrorKind::Xml(_)), "{e}");
    assert_eq!(
        e.span.line, 2,
        "an unexpected end is reported at the end: {e}"
    );
}

#[test]
fn root_must_be_vxml() {
    let e = err("<html><body/></html>");
    assert_eq!(
        e.kind,
        ParseErrorKind::NotVxmlRoot {
            found: "html".into()
        }
    );
    let e = err(r#"<vxml xmlns="urn:other" version="2.0"/>"#);
    assert!(matches!(e.kind, ParseErrorKind::NotVxmlRoot { .. }));
}

#[test]
fn version_is_checked_and_a_missing_one_is_a_tolerated_slip() {
    let d = doc("<vxml><form/></vxml>");
    assert_eq!(d.version, Version::V2_1);
    let kinds: Vec<_> = d.slips.iter().map(|s| (&s.kind, s.span.line)).collect();
    assert_eq!(
        kinds,
        [
            (&ParseErrorKind::Slip(Slip::NoNamespace), 1),
            (&ParseErrorKind::Slip(Slip::NoVersion), 1)
        ]
    );
    let e = err(r#"<vxml version="3.0"/>"#);
    assert!(
        matches!(
            e.kind,
            ParseErrorKind::BadValue {
                attribute: "version",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn exclusive_and_missing_target_attributes() {
    let e = err(&in_block(r#"<goto next="a.vxml" expr="'b.vxml'"/>"#));
    assert_eq!(
        e.kind,
        ParseErrorKind::Exclusive {
            element: "goto".into(),
            attributes: vec!["next", "expr"]
        }
    );
    assert_eq!(
        e.span,
        Span {
            line: 1,
            column: 34
        }
    );
    assert!(
        e.to_string().contains("only one of `next` or `expr`"),
        "{e}"
    );

    let e = err(&in_block(r#"<goto next="a.vxml" nextitem="x"/>"#));
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }), "{e}");
    let e = err(&in_block("<goto/>"));
    assert!(matches!(e.kind, ParseErrorKind::MissingOneOf { element, .. } if element == "goto"));
    let e = err(&in_block(r#"<submit next="a" expr="b"/>"#));
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let e = err(&in_block(r#"<audio src="a.wav" expr="b"/>"#));
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let e = err(&in_block(r#"<throw/>"#));
    assert!(matches!(e.kind, ParseErrorKind::MissingOneOf { .. }));
    let e = err(&in_block(r#"<return event="x" namelist="a"/>"#));
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let e = err(&in_block(r#"<exit expr="1" namelist="a"/>"#));
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let e = err(r#"<vxml version="2.0"><meta name="a" http-equiv="b" content="c"/></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let e = err(r#"<vxml version="2.0"><meta name="a"/></vxml>"#);
    assert!(matches!(
        e.kind,
        ParseErrorKind::MissingAttribute {
            attribute: "content",
            ..
        }
    ));
    let e =
        err(r#"<vxml version="2.0"><form><transfer bridge="true" type="blind"/></form></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
}

#[test]
fn missing_required_attributes() {
    for (content, element, attribute) in [
        (r#"<assign expr="1"/>"#, "assign", "name"),
        (r#"<assign name="x"/>"#, "assign", "expr"),
        (r#"<if><exit/></if>"#, "if", "cond"),
        (r#"<var/>"#, "var", "name"),
        (r#"<foreach array="a"/>"#, "foreach", "item"),
        (r#"<prompt><value/></prompt>"#, "value", "expr"),
    ] {
        let e = err(&in_block(content));
        assert_eq!(
            e.kind,
            ParseErrorKind::MissingAttribute {
                element: element.into(),
                attribute
            },
            "{content}"
        );
    }
}

#[test]
fn bad_attribute_values() {
    for (content, attribute) in [
        (r#"<submit next="x" method="put"/>"#, "method"),
        (r#"<goto next="x" fetchtimeout="soon"/>"#, "fetchtimeout"),
        (r#"<goto next="x" maxage="-1"/>"#, "maxage"),
        (r#"<goto next="x" fetchhint="always"/>"#, "fetchhint"),
        (r#"<prompt bargein="maybe">x</prompt>"#, "bargein"),
        (r#"<prompt count="0">x</prompt>"#, "count"),
        (r#"<prompt><break strength="loud"/></prompt>"#, "strength"),
    ] {
        let e = err(&in_block(content));
        assert!(
            matches!(&e.kind, ParseErrorKind::BadValue { attribute: a, .. } if *a == attribute),
            "{content}: {e}"
        );
    }
    let e = err(&in_block(r#"<submit next="x" method="put"/>"#));
    assert!(
        e.to_string()
            .contains(r#"method="put": expected get or post"#),
        "{e}"
    );
    let e = err(r#"<vxml version="2.0"><form scope="global"/></vxml>"#);
    assert!(matches!(
        e.kind,
        ParseErrorKind::BadValue {
            attribute: "scope",
            ..
        }
    ));
}

#[test]
fn unknown_and_misplaced_elements() {
    let e = err("<vxml version=\"2.0\">\n<form>\n  <frobnicate/>\n</form></vxml>");
    assert_eq!(
        e.kind,
        ParseErrorKind::UnknownElement {
            element: "frobnicate".into()
        }
    );
    assert_eq!(e.span, Span { line: 3, column: 3 });
    assert!(e.to_string().contains("<frobnicate>"));

    let e = err(&in_block(r#"<field name="x"/>"#));
    assert_eq!(
        e.kind,
        ParseErrorKind::Misplaced {
            element: "field".into(),
            parent: "block".into()
        }
    );
    let e = err(&in_block(r#"<elseif cond="x"/>"#));
    assert!(matches!(e.kind, ParseErrorKind::Misplaced { ref element, .. } if element == "elseif"));
    let e = err(&in_block(r#"<if cond="a"><else/><elseif cond="b"/></if>"#));
    assert!(matches!(e.kind, ParseErrorKind::Misplaced { ref element, .. } if element == "elseif"));
    let e = err(&in_block(r#"<if cond="a"><else/><else/></if>"#));
    assert!(matches!(e.kind, ParseErrorKind::Misplaced { ref element, .. } if element == "else"));
    let e = err(&in_block("<emphasis>loud</emphasis>"));
    assert!(
        matches!(e.kind, ParseErrorKind::Misplaced { .. }),
        "SSML only inside prompts: {e}"
    );
    let e = err(
        r#"<vxml version="2.0"><form><field name="a"><param name="p" value="1"/></field></form></vxml>"#,
    );
    assert!(matches!(e.kind, ParseErrorKind::Misplaced { ref parent, .. } if parent == "field"));
    let e = err(r#"<vxml version="2.0"><form>stray text</form></vxml>"#);
    assert_eq!(
        e.kind,
        ParseErrorKind::MisplacedText {
            parent: "form".into()
        }
    );
}

#[test]
fn duplicate_names() {
    let e = err(r#"<vxml version="2.0"><form id="a"/><menu id="a"/></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::Duplicate { ref name, .. } if name == "a"));
    let e = err(r#"<vxml version="2.0"><form><block name="b"/><field name="b"/></form></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::Duplicate { ref element, .. } if element == "field"));
}

#[test]
fn script_and_grammar_sources() {
    let e = err(&in_block(r#"<script src="a.js">var x;</script>"#));
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let e = err(&in_block("<script>  </script>"));
    assert!(matches!(e.kind, ParseErrorKind::MissingOneOf { .. }));
    let e = err(r#"<vxml version="2.0"><form><grammar/></form></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::MissingOneOf { .. }));
    let e =
        err(r#"<vxml version="2.0"><form><grammar src="a"><rule id="r"/></grammar></form></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::Exclusive { .. }));
    let d = doc(
        r#"<vxml version="2.0"><form><grammar type="application/srgs"><![CDATA[#ABNF 1.0; root $r; $r = yes | no;]]></grammar></form></vxml>"#,
    );
    assert!(
        matches!(&form(&d, 0).grammars[0].source, GrammarSource::InlineText { text, at } if text.contains("$r = yes") && at.column == 69)
    );
}

#[test]
fn nesting_up_to_the_limit_parses_and_beyond_is_refused() {
    // vxml > form > block = 3 levels, then nested <if>s.
    let nest = |levels: usize| {
        let ifs = MAX_DEPTH.min(levels);
        in_block(&format!(
            "{}<exit/>{}",
            "<if cond=\"true\">".repeat(ifs),
            "</if>".repeat(ifs)
        ))
    };
    assert!(parse_str(&nest(MAX_DEPTH - 4), "deep.vxml").is_ok());
    // vxml > form > block > prompt, then nested SSML and audio fallback.
    let levels = (MAX_DEPTH - 4) / 2;
    let prompt = in_block(&format!(
        "<prompt>{}deep{}</prompt>",
        "<emphasis><audio src=\"a.wav\">".repeat(levels),
        "</audio></emphasis>".repeat(levels)
    ));
    assert!(parse_str(&prompt, "deep.vxml").is_ok());
    let too_deep = format!(
        "<vxml version=\"2.0\"><form><block>{}{}</block></form></vxml>",
        "<if cond=\"1\">".repeat(10_000),
        "</if>".repeat(10_000)
    );
    let e = err(&too_deep);
    assert_eq!(e.kind, ParseErrorKind::TooDeep(MAX_DEPTH));
    // Deep inline grammars are bounded the same way.
    let deep_grammar = format!(
        "<vxml version=\"2.0\"><form><grammar>{}{}</grammar></form></vxml>",
        "<item>".repeat(10_000),
        "</item>".repeat(10_000)
    );
    assert_eq!(err(&deep_grammar).kind, ParseErrorKind::TooDeep(MAX_DEPTH));
}

// ----- robustness -------------------------------------------------------------------

/// Every prefix of every sample is parsed without panicking; a prefix that
/// lacks the closing `</vxml>` can only be refused.
#[test]
fn truncated_documents_never_panic() {
    for (name, text) in FIXTURES {
        let end = text.rfind("</vxml>").expect("fixture closes vxml");
        for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            let result = parse(&text.as_bytes()[..cut], name);
            if cut < end {
                assert!(result.is_err(), "{name} cut at {cut} parsed");
            }
        }
        assert!(parse(text.as_bytes(), name).is_ok(), "{name} parses whole");
    }
}

/// Random byte edits (delete, duplicate, replace with markup characters) at
/// many positions: the parser answers Ok or Err, never panics, and what it
/// refuses has a position inside the input.
#[test]
fn mutated_documents_never_panic() {
    const MARKUP: &[u8] = b"<>/\"'=&;![]- \n\xFF\x00ax";
    let mut rng = fastrand::Rng::with_seed(0x005e_ed0f_7e57);
    let mut outcomes = [0usize; 2];
    for (name, text) in FIXTURES {
        for _ in 0..400 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(0..bytes.len());
                match rng.u8(0..3) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => {
                        let chunk: Vec<u8> =
                            bytes[at..bytes.len().min(at + rng.usize(1..40))].to_vec();
                        bytes.splice(at..at, chunk);
                    }
                    _ => bytes[at] = MARKUP[rng.usize(0..MARKUP.len())],
                }
            }
            match parse(&bytes, name) {
                Ok(_) => outcomes[0] += 1,
                Err(e) => {
                    outcomes[1] += 1;
                    let lines = bytes.split(|&b| b == b'\n').count() as u32;
                    assert!(
                        e.span.line >= 1 && e.span.line <= lines,
                        "{e} (of {lines} lines)"
                    );
                }
            }
        }
    }
    // Both outcomes occur: the mutations exercise the checks, not just the XML parser.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn input_items_accept_exactly_their_children() {
    let d = doc(
        r#"<vxml version="2.0"><form><initial><link next="x.vxml"/><prompt>Hi</prompt></initial></form></vxml>"#,
    );
    let Some(FormItem::Initial(i)) = form(&d, 0).items().next() else {
        panic!()
    };
    assert_eq!(i.input.links.len(), 1);
    // A grammar belongs to the form, not to <initial>; a record has no <option>.
    let e = err(r#"<vxml version="2.0"><form><initial><grammar src="g"/></initial></form></vxml>"#);
    assert!(matches!(e.kind, ParseErrorKind::Misplaced { ref parent, .. } if parent == "initial"));
    let e = err(
        r#"<vxml version="2.0"><form><record name="r"><option>a</option></record></form></vxml>"#,
    );
    assert!(matches!(e.kind, ParseErrorKind::Misplaced { ref parent, .. } if parent == "record"));
}

#[test]
fn inline_script_text_start_is_where_the_code_starts() {
    let d = doc(
        "<vxml version=\"2.0\">\n  <script>var a;</script>\n  <script><![CDATA[var b;]]></script>\n</vxml>",
    );
    let starts: Vec<Span> = d
        .declarations
        .iter()
        .map(|x| match x {
            Declaration::Script(Script {
                source: ScriptSource::Inline { start, .. },
                ..
            }) => *start,
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        starts,
        [
            Span {
                line: 2,
                column: 11
            },
            Span {
                line: 3,
                column: 20
            }
        ]
    );
}
