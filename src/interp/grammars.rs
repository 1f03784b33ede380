//! Compiled grammars for the interpreter, made once and shared by every
//! call of the process:
//!
//! - [`GrammarParser`] is the fetcher's parse hook for `<grammar src>`: the
//!   cache keeps the compiled grammar with the entry, so a hit never
//!   compiles, and a grammar that does not compile is never stored (the
//!   fetch fails with `error.badfetch`, naming URL, line and cause).
//! - Grammars written in a document — inline SRGS, a field's `type`, its
//!   `<option>`s, a menu's `<choice>`s, `dtmf` attributes — are compiled the
//!   first time a call needs them and kept, per cached document, in the
//!   parser's memo. The memo holds its documents weakly: when the cache
//!   drops a document, its grammars go with the next clean-up.
//!
//! A grammar with external `<ruleref>`s cannot be linked until they are
//! fetched, so [`Prepared`] keeps it unlinked; the others are kept linked.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use url::Url;

use crate::fetch::{BodyParser, ParseFailure, ParsedBody};
use crate::grammar::{ActiveGrammar, Grammar, GrammarError, Mode, Pos};
use crate::resource::ResourceType;
use crate::vxml::xml::escape_into;
use crate::vxml::xml::{XmlElement, XmlNode};
use crate::vxml::{Document, GrammarMode};

use super::events::Event;

/// A compiled grammar, linked already when it references no other grammar.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub grammar: Arc<Grammar>,
    /// `None`: it has external references, to fetch and link per use.
    pub active: Option<ActiveGrammar>,
}

impl Prepared {
    pub fn new(grammar: Grammar) -> Result<Prepared, GrammarError> {
        let grammar = Arc::new(grammar);
        let active = if grammar.external_refs().is_empty() {
            Some(ActiveGrammar::new(Arc::clone(&grammar))?)
        } else {
            None
        };
        Ok(Prepared { grammar, active })
    }
}

/// What one element of a document compiles to: its grammars, or why not.
pub(crate) type Compiled = Result<Arc<[Prepared]>, GrammarError>;

/// The memo of one document: compiled grammars by element address and
/// type (a struct and its first field share an address: the type tells a
/// `<choice>` from the `<grammar>` inside it).
struct DocMemo {
    doc: Weak<Document>,
    elements: HashMap<(usize, TypeId), Compiled>,
}

/// The grammar parse hook and the memo of document grammars.
#[derive(Default)]
pub struct GrammarParser {
    memo: Mutex<HashMap<usize, DocMemo>>,
    compilations: AtomicU64,
}

impl std::fmt::Debug for GrammarParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrammarParser")
            .field("compilations", &self.compilations())
            .finish_non_exhaustive()
    }
}

impl GrammarParser {
    /// How many grammars (fetched or written in documents) this parser has
    /// compiled, successfully or not.
    pub fn compilations(&self) -> u64 {
        self.compilations.load(Ordering::Relaxed)
    }

    /// The grammars `element` (a part of `doc`) compiles to: from the memo,
    /// else made by `make` and kept.
    pub(crate) fn compiled<T: 'static>(
        &self,
        doc: &Arc<Document>,
        element: &T,
        make: impl FnOnce() -> Result<Vec<Prepared>, GrammarError>,
    ) -> Compiled {
        let doc_key = Arc::as_ptr(doc) as usize;
        let key = (element as *const T as usize, TypeId::of::<T>());
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = memo
            .get(&doc_key)
            .is_some_and(|m| m.doc.upgrade().is_some_and(|d| Arc::ptr_eq(&d, doc)));
        if !fresh {
            // A document seen for the first time (or one at the address of a
            // dropped one): forget what no cached document holds any more.
            memo.retain(|_, m| m.doc.strong_count() > 0);
            memo.insert(
                doc_key,
                DocMemo {
                    doc: Arc::downgrade(doc),
                    elements: HashMap::new(),
                },
            );
        }
        let Some(entry) = memo.get_mut(&doc_key) else {
            return make().map(Arc::from);
        };
        if let Some(c) = entry.elements.get(&key) {
            return c.clone();
        }
        self.compilations.fetch_add(1, Ordering::Relaxed);
        let c: Compiled = make().map(Arc::from);
        entry.elements.insert(key, c.clone());
        c
    }
}

impl BodyParser for GrammarParser {
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        self.compilations.fetch_add(1, Ordering::Relaxed);
        let text = std::str::from_utf8(body)
            .map_err(|e| ParseFailure::new(format!("grammar is not UTF-8: {e}")))?;
        let prepared = Grammar::parse(text, url, None)
            .and_then(Prepared::new)
            .map_err(|e| failure(&e))?;
        let references = prepared
            .grammar
            .external_refs()
            .into_iter()
            .map(|u| (ResourceType::Grammar, String::from(u)))
            .collect();
        Ok(ParsedBody {
            references,
            ..ParsedBody::new(prepared)
        })
    }
}

/// A grammar error as the fetcher reports a refused body: line, then column
/// and cause (the fetch error adds the URL).
fn failure(e: &GrammarError) -> ParseFailure {
    match e {
        GrammarError::Invalid { at, cause, .. } => {
            ParseFailure::new(cause.to_string()).at(at.line, at.column)
        }
        other => ParseFailure::new(other.to_string()).with_event(other.event()),
    }
}

/// The event a grammar error throws, its message naming where and why.
pub(crate) fn event(e: &GrammarError) -> Event {
    Event::new(e.event(), Some(e.to_string()))
}

pub(crate) fn mode(m: Option<GrammarMode>) -> Option<Mode> {
    m.map(|m| match m {
        GrammarMode::Voice => Mode::Voice,
        GrammarMode::Dtmf => Mode::Dtmf,
    })
}

/// Compiles an inline `<grammar>` of the document at `url`, whose base for
/// relative references is `base` (the document's `xml:base` applied);
/// errors name the document's line and column.
pub(crate) fn inline(
    element: &XmlElement,
    url: &Url,
    base: &Url,
    hint: Option<Mode>,
) -> Result<Grammar, GrammarError> {
    let mut text = String::new();
    // Cut out of its document, the element no longer sees the document's
    // `xml:base`: it is written onto the element (unless it has its own,
    // which the compiler applies over the document URL as it would have).
    let own_base = element
        .attributes
        .iter()
        .any(|a| a.name == "base" && a.namespace.as_deref() == Some(XML_NS));
    let base = (base != url && !own_base).then_some(base.as_str());
    write_xml(element, None, base, &mut text);
    let at = Pos::new(element.span.line, element.span.column);
    Grammar::parse_inline(&text, url, hint, at)
}

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Writes `e` back as XML text: the element was cut out of its document,
/// and the grammar compiler reads text. Namespaces are declared where they
/// change; attributes in a namespace other than `xml:` are left out (SRGS
/// has none).
fn write_xml(e: &XmlElement, parent_ns: Option<&str>, base: Option<&str>, out: &mut String) {
    out.push('<');
    out.push_str(&e.name);
    let ns = e.namespace.as_deref();
    if ns != parent_ns {
        out.push_str(" xmlns=\"");
        escape_into(ns.unwrap_or(""), true, out);
        out.push('"');
    }
    if let Some(base) = base {
        out.push_str(" xml:base=\"");
        escape_into(base, true, out);
        out.push('"');
    }
    for a in &e.attributes {
        let prefix = match a.namespace.as_deref() {
            None => "",
            Some(XML_NS) => "xml:",
            Some(_) => continue,
        };
        out.push(' ');
        out.push_str(prefix);
        out.push_str(&a.name);
        out.push_str("=\"");
        escape_into(&a.value, true, out);
        out.push('"');
    }
    out.push('>');
    for child in &e.children {
        match child {
            XmlNode::Text(t) => escape_into(t, false, out),
            XmlNode::Element(c) => write_xml(c, ns, None, out),
        }
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vxml::Span;
    use crate::vxml::xml::XmlAttribute;

    fn element(
        name: &str,
        ns: Option<&str>,
        attrs: &[(&str, Option<&str>, &str)],
        children: Vec<XmlNode>,
    ) -> XmlElement {
        XmlElement {
            name: name.into(),
            namespace: ns.map(str::to_string),
            attributes: attrs
                .iter()
                .map(|(n, ns, v)| XmlAttribute {
                    name: (*n).into(),
                    namespace: ns.map(str::to_string),
                    value: (*v).into(),
                })
                .collect(),
            children,
            span: Span { line: 7, column: 5 },
        }
    }

    #[test]
    fn inline_grammars_are_written_back_with_namespaces_and_escapes() {
        let vxml_ns = Some("http://www.w3.org/2001/vxml");
        let rule = element(
            "rule",
            vxml_ns,
            &[("id", None, "r"), ("scope", None, "public")],
            vec![
                XmlNode::Text("fish & chips ".into()),
                XmlNode::Element(element(
                    "tag",
                    vxml_ns,
                    &[],
                    vec![XmlNode::Text("out = 1 < 2;".into())],
                )),
            ],
        );
        let g = element(
            "grammar",
            vxml_ns,
            &[
                ("root", None, "r"),
                ("lang", Some(XML_NS), "en-US"),
                ("foo", Some("urn:other"), "dropped"),
                ("tag-format", None, "semantics/1.0"),
            ],
            vec![XmlNode::Element(rule)],
        );
        let mut text = String::new();
        write_xml(&g, None, None, &mut text);
        assert_eq!(
            text,
            r#"<grammar xmlns="http://www.w3.org/2001/vxml" root="r" xml:lang="en-US" tag-format="semantics/1.0"><rule id="r" scope="public">fish &amp; chips <tag>out = 1 &lt; 2;</tag></rule></grammar>"#
        );
        let url = Url::parse("http://h/app.vxml").expect("url");
        let compiled = inline(&g, &url, &url, None).expect("compiles");
        assert_eq!(compiled.root_rule(), "r");
    }

    #[test]
    fn inline_grammars_resolve_references_against_the_document_base() {
        let rule = element(
            "rule",
            None,
            &[("id", None, "r")],
            vec![XmlNode::Element(element(
                "ruleref",
                None,
                &[("uri", None, "lib/x.grxml#y")],
                vec![],
            ))],
        );
        let g = element(
            "grammar",
            None,
            &[("root", None, "r")],
            vec![XmlNode::Element(rule)],
        );
        let url = Url::parse("http://h/app/doc.vxml").expect("url");
        let base = Url::parse("http://cdn/grammars/").expect("url");
        let compiled = inline(&g, &url, &base, None).expect("compiles");
        assert_eq!(
            compiled.external_refs(),
            vec![Url::parse("http://cdn/grammars/lib/x.grxml").expect("url")]
        );
        assert_eq!(compiled.url(), &url, "messages still name the document");
    }

    #[test]
    fn inline_grammar_errors_name_the_document_position() {
        let g = element(
            "grammar",
            None,
            &[("root", None, "missing")],
            vec![XmlNode::Element(element(
                "rule",
                None,
                &[("id", None, "r")],
                vec![XmlNode::Text("x".into())],
            ))],
        );
        let url = Url::parse("http://h/app.vxml").expect("url");
        let e = inline(&g, &url, &url, None).expect_err("no such root");
        let m = event(&e);
        assert_eq!(m.name, "error.badfetch");
        assert!(
            m.message_text().starts_with("http://h/app.vxml:7:"),
            "{}",
            m.message_text()
        );
    }

    #[test]
    fn the_memo_compiles_once_per_element_and_forgets_dropped_documents() {
        let parser = GrammarParser::default();
        let doc = Arc::new(
            crate::vxml::parse(
                b"<vxml version=\"2.1\"><form><block/></form></vxml>",
                "a.vxml",
            )
            .expect("parses"),
        );
        let make = || {
            Ok(vec![Prepared::new(Grammar::builtin(
                "builtin:dtmf/boolean",
            )?)?])
        };
        let a = parser.compiled(&doc, &doc.dialogs, make).expect("compiles");
        let b = parser
            .compiled(&doc, &doc.dialogs, || panic!("compiled again"))
            .expect("memo");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(parser.compilations(), 1);
        // Another element of the same document is compiled on its own…
        parser.compiled(&doc, &doc.links, make).expect("compiles");
        assert_eq!(parser.compilations(), 2);
        // …and so is one at the same address but of another type (a struct
        // and its first field).
        #[repr(C)]
        struct Outer {
            inner: u64,
        }
        let outer = Outer { inner: 1 };
        parser.compiled(&doc, &outer, make).expect("compiles");
        parser.compiled(&doc, &outer.inner, make).expect("compiles");
        assert_eq!(parser.compilations(), 4);
        // A failure is remembered too.
        let bad = || {
            Grammar::builtin("builtin:dtmf/nonsense").map(|g| vec![Prepared::new(g).expect("fine")])
        };
        assert!(parser.compiled(&doc, &doc.metas, bad).is_err());
        assert!(
            parser
                .compiled(&doc, &doc.metas, || panic!("again"))
                .is_err()
        );
        drop(doc);
        let other = Arc::new(
            crate::vxml::parse(
                b"<vxml version=\"2.1\"><form><block/></form></vxml>",
                "b.vxml",
            )
            .expect("parses"),
        );
        parser
            .compiled(&other, &other.dialogs, make)
            .expect("compiles");
        let memo = parser.memo.lock().expect("lock");
        assert_eq!(memo.len(), 1, "the dropped document's grammars are gone");
    }

    #[test]
    fn fetched_grammars_are_compiled_or_refused_with_line_and_cause() {
        let parser = GrammarParser::default();
        let url = Url::parse("http://h/g.grxml").expect("url");
        let ok = parser
            .parse(&url, &Bytes::from_static(b"<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" root=\"r\"><rule id=\"r\" scope=\"public\">yes <ruleref uri=\"other.grxml#x\"/></rule></grammar>"))
            .expect("compiles");
        let p = ok.parsed_as::<Prepared>().expect("a grammar");
        assert!(
            p.active.is_none(),
            "it has an external reference to link per use"
        );
        assert_eq!(
            ok.references,
            vec![(ResourceType::Grammar, "http://h/other.grxml".to_string())]
        );
        let e = parser
            .parse(
                &url,
                &Bytes::from_static(
                    b"<grammar version=\"1.0\" root=\"r\">\n<rule id=\"r\">x</rulez>\n</grammar>",
                ),
            )
            .expect_err("not XML")
            .into_fetch_error(&url);
        assert_eq!(e.event(), "error.badfetch");
        assert!(e.to_string().starts_with("http://h/g.grxml:2:"), "{e}");
        assert_eq!(parser.compilations(), 2);
    }
}
