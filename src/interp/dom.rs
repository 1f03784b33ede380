//! `<data>` (VoiceXML 2.1 §2): fetched XML, kept parsed in the cache, and
//! handed to scripts as a read-only DOM.
//!
//! [`DataParser`] turns the body into an [`XmlTree`] (owned, `Send + Sync`:
//! the cache keeps it, so a hit neither reparses nor re-decodes). When a
//! `<data>` names a variable, [`build`] makes the DOM objects in the call's
//! script engine: a builder written in JavaScript (compiled once per engine)
//! walks a flat list of the tree's nodes, so neither side recurses over the
//! document's depth. Everything it makes is deeply frozen, which lets the
//! engine keep the DOM of a cached document for its later calls: a warm
//! call reading cached data builds nothing.
//!
//! What the DOM offers is the read-only subset of DOM Level 2 Core that
//! VoiceXML 2.1 names for `<data>`:
//! - every node: `nodeType`, `nodeName`, `nodeValue`, `parentNode`,
//!   `childNodes` (an array with `item(i)` and `length`), `firstChild`,
//!   `lastChild`, `previousSibling`, `nextSibling`, `attributes` (`null`
//!   but on elements), `ownerDocument`, `namespaceURI`, `prefix`,
//!   `localName` (`null` but on elements and attributes), `hasChildNodes()`,
//!   `hasAttributes()`, and `textContent`;
//! - the document: `documentElement`, `doctype` (`null`: the parser keeps no
//!   DTD node), `getElementsByTagName(name)`, `getElementsByTagNameNS(ns,
//!   local)` (`*` for any, in either) and `getElementById(id)` (an `id` or
//!   `xml:id` attribute: no DTD declares ID types here);
//! - elements: `tagName`, `getAttribute(name)` (`""` when absent),
//!   `getAttributeNS(ns, local)`, `getAttributeNode(name)`,
//!   `getAttributeNodeNS(ns, local)` (`null` when absent), `hasAttribute`,
//!   `hasAttributeNS`, `getElementsByTagName`, `getElementsByTagNameNS`;
//! - attributes (`Attr`): `name`, `value`, `specified`, `ownerElement`, and
//!   the node names above; namespace declarations are attributes too, in the
//!   `http://www.w3.org/2000/xmlns/` namespace, as DOM Level 2 has them
//!   (but for one repeating a binding its parent already has in scope, which
//!   the parser does not report);
//! - `attributes` (a `NamedNodeMap`): `item(i)`, `length`,
//!   `getNamedItem(name)`, `getNamedItemNS(ns, local)`;
//! - text and comments (`CharacterData`): `data`, `length`,
//!   `substringData(offset, count)`; processing instructions `target`, `data`.
//!
//! Names keep the prefix the document wrote (`nodeName` `q:last` has
//! `prefix` `q`, `localName` `last`). The links between nodes are not
//! enumerable, so converting a node to JSON-like data (an `<exit
//! namelist>`) sees a tree, not a cycle.

use boa_engine::object::builtins::JsArray;
use boa_engine::{Context, JsResult, JsString, JsValue};
use bytes::Bytes;
use url::Url;

use crate::fetch::{BodyParser, ParseFailure, ParsedBody};
use crate::script::Helpers;

/// Documents deeper than this are refused (`error.badfetch`): nothing a
/// voice application fetches nests so, and the bound keeps every walk cheap.
const MAX_DEPTH: usize = 256;
/// The most nodes a `<data>` document may have: every node costs the call
/// memory for as long as its DOM lives, and the largest `<data>` the cache
/// keeps (1 MB by default) has no more than a quarter million elements.
const MAX_NODES: u32 = 250_000;

/// A parsed XML document: its nodes in document order.
#[derive(Debug)]
pub struct XmlTree {
    nodes: Vec<Node>,
}

#[derive(Debug)]
struct Node {
    /// Index of the parent in `nodes`; `None` for children of the document.
    parent: Option<usize>,
    kind: Kind,
}

/// A name as the document wrote it, with the namespace it is bound to.
#[derive(Debug, PartialEq, Eq)]
struct QName {
    /// `prefix:local`, or `local` alone.
    qualified: String,
    local: String,
    namespace: Option<String>,
}

impl QName {
    fn prefix(&self) -> Option<&str> {
        self.qualified.split_once(':').map(|(p, _)| p)
    }
}

/// The namespace of namespace declarations (`xmlns`, `xmlns:p`) in DOM
/// Level 2.
const XMLNS: &str = "http://www.w3.org/2000/xmlns/";

#[derive(Debug)]
enum Kind {
    Element {
        name: QName,
        attributes: Vec<(QName, String)>,
    },
    Text(String),
    Comment(String),
    Instruction {
        target: String,
        data: String,
    },
}

impl XmlTree {
    /// Parses XML text. Errors name the line and column.
    pub fn parse(text: &str) -> Result<XmlTree, ParseFailure> {
        let doc = crate::xml::parse(text, MAX_NODES).map_err(|e| {
            let pos = e.pos();
            let why = match e {
                crate::xml::XmlError::Syntax(e) => format!("not well-formed XML: {e}"),
                over @ crate::xml::XmlError::Expansion { .. } => over.to_string(),
            };
            ParseFailure::new(why).at(pos.row, pos.col)
        })?;
        let mut nodes = Vec::new();
        // Iterative pre-order walk: (node, parent index, depth).
        let mut stack: Vec<(roxmltree::Node<'_, '_>, Option<usize>, usize)> =
            doc.root().children().rev().map(|c| (c, None, 1)).collect();
        while let Some((n, parent, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                let pos = doc.text_pos_at(n.range().start);
                return Err(ParseFailure::new(format!(
                    "elements nested more than {MAX_DEPTH} deep"
                ))
                .at(pos.row, pos.col));
            }
            let kind = match n.node_type() {
                roxmltree::NodeType::Element => Kind::Element {
                    name: element_name(&n),
                    attributes: attributes(&n),
                },
                roxmltree::NodeType::Text => Kind::Text(n.text().unwrap_or_default().to_string()),
                roxmltree::NodeType::Comment => {
                    Kind::Comment(n.text().unwrap_or_default().to_string())
                }
                roxmltree::NodeType::PI => match n.pi() {
                    Some(pi) => Kind::Instruction {
                        target: pi.target.to_string(),
                        data: pi.value.unwrap_or_default().to_string(),
                    },
                    None => continue,
                },
                roxmltree::NodeType::Root => continue,
            };
            let index = nodes.len();
            nodes.push(Node { parent, kind });
            for c in n.children().rev() {
                stack.push((c, Some(index), depth + 1));
            }
        }
        Ok(XmlTree { nodes })
    }

    /// How many nodes (elements, text, comments…) the document has.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The flat form the JavaScript builder reads: one array per node,
    /// `[parent index or -1, nodeType, nodeName, nodeValue, attributes,
    /// localName, namespaceURI, prefix]`, where `attributes` holds five
    /// entries per attribute: name, value, namespaceURI, localName, prefix.
    fn flat(&self, ctx: &mut Context) -> JsValue {
        let s = |v: &str| JsValue::new(JsString::from(v));
        let opt = |v: Option<&str>| v.map_or(JsValue::null(), s);
        let items: Vec<JsValue> = self
            .nodes
            .iter()
            .map(|n| {
                let parent = n.parent.map_or(-1.0, |p| p as f64);
                let (node_type, value, name) = match &n.kind {
                    Kind::Element { name, .. } => (1, JsValue::null(), Some(name)),
                    Kind::Text(t) => (3, s(t), None),
                    Kind::Comment(t) => (8, s(t), None),
                    Kind::Instruction { data, .. } => (7, s(data), None),
                };
                let node_name = match &n.kind {
                    Kind::Element { name, .. } => s(&name.qualified),
                    Kind::Text(_) => s("#text"),
                    Kind::Comment(_) => s("#comment"),
                    Kind::Instruction { target, .. } => s(target),
                };
                let attrs: Vec<JsValue> = match &n.kind {
                    Kind::Element { attributes, .. } => attributes
                        .iter()
                        .flat_map(|(k, v)| {
                            [
                                s(&k.qualified),
                                s(v),
                                opt(k.namespace.as_deref()),
                                s(&k.local),
                                opt(k.prefix()),
                            ]
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let attrs: JsValue = JsArray::from_iter(attrs, ctx).into();
                JsArray::from_iter(
                    [
                        JsValue::new(parent),
                        JsValue::new(node_type),
                        node_name,
                        value,
                        attrs,
                        opt(name.map(|q| q.local.as_str())),
                        opt(name.and_then(|q| q.namespace.as_deref())),
                        opt(name.and_then(QName::prefix)),
                    ],
                    ctx,
                )
                .into()
            })
            .collect();
        JsArray::from_iter(items, ctx).into()
    }
}

/// The element's name as written: the start tag's text after `<`, which
/// `roxmltree` resolves but does not keep (a namespace may be bound to more
/// than one prefix, so looking the prefix up could name another).
fn element_name(n: &roxmltree::Node<'_, '_>) -> QName {
    let tag = n.tag_name();
    let text = n.document().input_text();
    let qualified = text
        .get(n.range().start + 1..)
        .and_then(|rest| {
            rest.split(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .next()
        })
        .filter(|q| q.ends_with(tag.name()))
        .unwrap_or(tag.name());
    QName {
        qualified: qualified.to_string(),
        local: tag.name().to_string(),
        namespace: tag
            .namespace()
            .filter(|ns| !ns.is_empty())
            .map(str::to_string),
    }
}

/// The element's attributes in DOM Level 2's sense: the namespace
/// declarations it makes (those its parent has not in scope), then its own
/// attributes under the names the document wrote.
fn attributes(n: &roxmltree::Node<'_, '_>) -> Vec<(QName, String)> {
    let inherited: Vec<(Option<&str>, &str)> = n
        .parent_element()
        .map(|p| p.namespaces().map(|ns| (ns.name(), ns.uri())).collect())
        .unwrap_or_default();
    let declared = n
        .namespaces()
        .filter(|ns| ns.name() != Some("xml") && !inherited.contains(&(ns.name(), ns.uri())))
        .map(|ns| {
            let (qualified, local) = match ns.name() {
                Some(p) => (format!("xmlns:{p}"), p.to_string()),
                None => ("xmlns".to_string(), "xmlns".to_string()),
            };
            let name = QName {
                qualified,
                local,
                namespace: Some(XMLNS.to_string()),
            };
            (name, ns.uri().to_string())
        });
    let text = n.document().input_text();
    let own = n.attributes().map(|a| {
        let qualified = text.get(a.range_qname()).unwrap_or(a.name());
        let name = QName {
            qualified: qualified.to_string(),
            local: a.name().to_string(),
            namespace: a.namespace().map(str::to_string),
        };
        (name, a.value().to_string())
    });
    declared.chain(own).collect()
}

/// Parses `<data>` bodies for the cache (UTF-8, or UTF-16 with a BOM).
#[derive(Debug, Default)]
pub struct DataParser;

impl BodyParser for DataParser {
    fn parse(&self, _url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        let text = decode(body)?;
        XmlTree::parse(&text).map(ParsedBody::new)
    }
}

fn decode(body: &[u8]) -> Result<String, ParseFailure> {
    let utf16 = |bytes: &[u8], be: bool| {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| ParseFailure::new("not valid UTF-16"))
    };
    match body {
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest),
        _ => utf8(body),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, ParseFailure> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let before = &bytes[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        ParseFailure::new("not valid UTF-8").at_line(u32::try_from(line).unwrap_or(u32::MAX))
    })
}

/// Makes the DOM objects of `tree` in `ctx` (through a builder written in
/// JavaScript, compiled once per engine). Everything it returns is deeply
/// frozen — nodes, node lists, attributes, their shared prototypes and
/// methods — so the engine can keep the DOM for later calls that read the
/// same cached document (`script::ScriptEngine::declare_derived`).
pub(crate) fn build(
    tree: &XmlTree,
    helpers: &mut Helpers<'_>,
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let function = helpers.function("DOM builder", BUILDER, ctx)?;
    let flat = tree.flat(ctx);
    function.call(&JsValue::undefined(), &[flat], ctx)
}

/// The DOM builder: iterative, so the document's depth never becomes the
/// script's recursion depth. Methods live on three shared prototypes
/// (nodes, node lists, attribute lists) rather than as closures per node:
/// fewer objects to make, and only those to freeze. They are written as
/// method definitions, which have no `prototype` object that would stay
/// writable after `Object.freeze`.
const BUILDER: &str = r#"(function (flat) {
  'use strict';
  function hide(o, k, v) { Object.defineProperty(o, k, { value: v, enumerable: false }); }
  function methods(target, defs) {
    var names = Object.getOwnPropertyNames(defs);
    for (var i = 0; i < names.length; i++) {
      var d = Object.getOwnPropertyDescriptor(defs, names[i]);
      if (d.value) { Object.freeze(d.value); }
      if (d.get) { Object.freeze(d.get); }
      d.enumerable = false;
      Object.defineProperty(target, names[i], d);
    }
    return Object.freeze(target);
  }
  // DOM Level 2: a null or empty namespace is no namespace; '*' is any.
  function nsMatches(want, have) {
    if (want === '*') { return true; }
    var w = want === null || want === undefined || want === '' ? null : String(want);
    return w === (have === '' ? null : have);
  }
  function nameMatches(want, have) { return want === '*' || String(want) === have; }
  var listProto = methods(Object.create(Array.prototype), {
    item(i) { return i >= 0 && i < this.length ? this[i] : null; }
  });
  var attrProto = methods(Object.create(listProto), {
    getNamedItem(name) {
      for (var k = 0; k < this.length; k++) { if (this[k].name === String(name)) { return this[k]; } }
      return null;
    },
    getNamedItemNS(ns, local) {
      for (var k = 0; k < this.length; k++) {
        if (nsMatches(ns, this[k].namespaceURI) && this[k].localName === String(local)) { return this[k]; }
      }
      return null;
    }
  });
  function nodeList(items, proto) {
    Object.setPrototypeOf(items, proto);
    return Object.freeze(items);
  }
  function descendants(node, keep) {
    var out = [];
    var stack = node.childNodes.slice().reverse();
    while (stack.length > 0) {
      var n = stack.pop();
      if (n.nodeType === 1) {
        if (keep(n)) { out.push(n); }
        for (var i = n.childNodes.length - 1; i >= 0; i--) { stack.push(n.childNodes[i]); }
      }
    }
    return nodeList(out, listProto);
  }
  function attributeOf(node, found) {
    return node.attributes ? found(node.attributes) : null;
  }
  var proto = methods({}, {
    hasChildNodes() { return this.childNodes.length > 0; },
    hasAttributes() { return this.attributes ? this.attributes.length > 0 : false; },
    getElementsByTagName(name) {
      return descendants(this, function (n) { return nameMatches(name, n.nodeName); });
    },
    getElementsByTagNameNS(ns, local) {
      return descendants(this, function (n) {
        return nsMatches(ns, n.namespaceURI) && nameMatches(local, n.localName);
      });
    },
    getElementById(id) {
      var found = descendants(this, function (n) {
        return n.getAttribute('id') === String(id) || n.getAttribute('xml:id') === String(id);
      });
      return found.length > 0 ? found[0] : null;
    },
    getAttributeNode(name) {
      return attributeOf(this, function (a) { return a.getNamedItem(name); });
    },
    getAttributeNodeNS(ns, local) {
      return attributeOf(this, function (a) { return a.getNamedItemNS(ns, local); });
    },
    getAttribute(name) {
      var a = this.getAttributeNode(name);
      return a === null ? '' : a.value;
    },
    getAttributeNS(ns, local) {
      var a = this.getAttributeNodeNS(ns, local);
      return a === null ? '' : a.value;
    },
    hasAttribute(name) { return this.getAttributeNode(name) !== null; },
    hasAttributeNS(ns, local) { return this.getAttributeNodeNS(ns, local) !== null; },
    substringData(offset, count) {
      if (typeof this.data !== 'string') { return undefined; }
      var from = Math.max(0, Number(offset) || 0);
      return this.data.substring(from, from + Math.max(0, Number(count) || 0));
    },
    get textContent() {
      if (this.nodeType === 3 || this.nodeType === 4 || this.nodeType === 8) { return this.nodeValue; }
      var text = '';
      var stack = this.childNodes.slice().reverse();
      while (stack.length > 0) {
        var n = stack.pop();
        if (n.nodeType === 3 || n.nodeType === 4) { text += n.nodeValue; }
        else if (n.nodeType === 1) {
          for (var i = n.childNodes.length - 1; i >= 0; i--) { stack.push(n.childNodes[i]); }
        }
      }
      return text;
    }
  });

  var doc = Object.create(proto);
  doc.nodeType = 9; doc.nodeName = '#document'; doc.nodeValue = null;
  doc.namespaceURI = null; doc.prefix = null; doc.localName = null; doc.attributes = null;
  doc.doctype = null;
  var all = [];
  var kids = [[]];
  var noChildren = nodeList([], listProto);
  for (var i = 0; i < flat.length; i++) {
    var f = flat[i];
    var n = Object.create(proto);
    n.nodeType = f[1]; n.nodeName = f[2]; n.nodeValue = f[3];
    n.localName = f[5]; n.namespaceURI = f[6]; n.prefix = f[7];
    if (f[1] === 1) {
      n.tagName = f[2];
      var attrs = [];
      for (var j = 0; j + 4 < f[4].length; j += 5) {
        var a = { nodeType: 2, nodeName: f[4][j], name: f[4][j], nodeValue: f[4][j + 1],
          value: f[4][j + 1], specified: true, namespaceURI: f[4][j + 2], localName: f[4][j + 3],
          prefix: f[4][j + 4], attributes: null };
        hide(a, 'ownerElement', n);
        hide(a, 'parentNode', null);
        hide(a, 'childNodes', noChildren);
        attrs.push(Object.freeze(a));
      }
      n.attributes = nodeList(attrs, attrProto);
    } else {
      n.attributes = null;
      n.data = f[3]; n.length = f[3].length;
      if (f[1] === 7) { n.target = f[2]; }
    }
    all.push(n);
    kids.push([]);
    kids[f[0] + 1].push(n);
  }
  var parents = [doc].concat(all);
  for (var p = 0; p < parents.length; p++) {
    var node = parents[p];
    var children = kids[p];
    for (var c = 0; c < children.length; c++) {
      hide(children[c], 'parentNode', node);
      hide(children[c], 'previousSibling', c > 0 ? children[c - 1] : null);
      hide(children[c], 'nextSibling', c + 1 < children.length ? children[c + 1] : null);
    }
    hide(node, 'childNodes', nodeList(children, listProto));
    hide(node, 'firstChild', children.length > 0 ? children[0] : null);
    hide(node, 'lastChild', children.length > 0 ? children[children.length - 1] : null);
    hide(node, 'ownerDocument', p === 0 ? null : doc);
  }
  var root = null;
  for (var r = 0; r < kids[0].length; r++) { if (kids[0][r].nodeType === 1) { root = kids[0][r]; } }
  hide(doc, 'documentElement', root);
  for (var q = 0; q < parents.length; q++) { Object.freeze(parents[q]); }
  return doc;
})"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_into_document_order_with_parents() {
        let t = XmlTree::parse("<?xml version='1.0'?><a x='1'><b>hi</b><!--c--><b/></a>")
            .expect("parses");
        assert_eq!(t.len(), 5);
        assert!(
            matches!(&t.nodes[0].kind, Kind::Element { name, attributes }
            if name.qualified == "a" && attributes.len() == 1
                && attributes[0].0.qualified == "x" && attributes[0].1 == "1")
        );
        assert_eq!(t.nodes[1].parent, Some(0));
        assert!(matches!(&t.nodes[2].kind, Kind::Text(s) if s == "hi"));
        assert_eq!(t.nodes[2].parent, Some(1));
        assert!(matches!(&t.nodes[3].kind, Kind::Comment(s) if s == "c"));
    }

    #[test]
    fn names_keep_their_prefix_and_declarations_are_attributes() {
        let t = XmlTree::parse(
            "<q:quote xmlns:q='urn:q' xmlns='urn:d' q:at='1' plain='2'>\
             <q:last/><name xmlns:q='urn:q'/><x:y xmlns:x='urn:q'/></q:quote>",
        )
        .expect("parses");
        let Kind::Element { name, attributes } = &t.nodes[0].kind else {
            panic!("root is an element")
        };
        assert_eq!(name.qualified, "q:quote");
        assert_eq!(name.local, "quote");
        assert_eq!(name.prefix(), Some("q"));
        assert_eq!(name.namespace.as_deref(), Some("urn:q"));
        let names: Vec<(&str, Option<&str>, &str)> = attributes
            .iter()
            .map(|(k, v)| (k.qualified.as_str(), k.namespace.as_deref(), v.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("xmlns:q", Some(XMLNS), "urn:q"),
                ("xmlns", Some(XMLNS), "urn:d"),
                ("q:at", Some("urn:q"), "1"),
                ("plain", None, "2"),
            ]
        );
        let Kind::Element { name, attributes } = &t.nodes[2].kind else {
            panic!("second child is an element")
        };
        assert_eq!((name.qualified.as_str(), name.prefix()), ("name", None));
        assert_eq!(name.namespace.as_deref(), Some("urn:d"));
        assert!(attributes.is_empty(), "a repeated declaration is inherited");
        let Kind::Element { name, .. } = &t.nodes[3].kind else {
            panic!("third child is an element")
        };
        assert_eq!((name.qualified.as_str(), name.prefix()), ("x:y", Some("x")));
    }

    #[test]
    fn malformed_and_too_deep_documents_are_refused_with_a_line() {
        let e = XmlTree::parse("<a>\n<b></a>").expect_err("malformed");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not well-formed"), "{}", e.message);
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        let e = XmlTree::parse(&deep).expect_err("too deep");
        assert!(e.message.contains("nested more than"), "{}", e.message);
        let e = DataParser
            .parse(
                &Url::parse("http://h/d.xml").expect("url"),
                &Bytes::from_static(b"<a>\xff</a>"),
            )
            .expect_err("bad UTF-8");
        assert!(e.message.contains("UTF-8"), "{}", e.message);
    }

    #[test]
    fn utf16_with_a_bom_is_read() {
        let mut body = vec![0xFF, 0xFE];
        for u in "<a>é</a>".encode_utf16() {
            body.extend_from_slice(&u.to_le_bytes());
        }
        let p = DataParser
            .parse(
                &Url::parse("http://h/d.xml").expect("url"),
                &Bytes::from(body),
            )
            .expect("parses");
        let t = p.parsed_as::<XmlTree>().expect("tree");
        assert!(matches!(&t.nodes[1].kind, Kind::Text(s) if s == "é"));
    }
}
