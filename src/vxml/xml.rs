//! A small owned XML tree, for content VoiceXML carries without interpreting
//! it: inline SRGS grammars now, and later the DOM of `<data>` responses.
//!
//! `roxmltree` trees borrow their input; these own their strings, so they can
//! live in a cached, shared [`Document`](super::Document).

use std::fmt::Write as _;

use super::model::Span;

/// An element: expanded name, attributes in document order, children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlElement {
    pub name: String,
    pub namespace: Option<String>,
    pub attributes: Vec<XmlAttribute>,
    pub children: Vec<XmlNode>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlAttribute {
    pub name: String,
    pub namespace: Option<String>,
    pub value: String,
}

/// A child of an element. Comments and processing instructions are dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XmlNode {
    Element(XmlElement),
    Text(String),
}

impl XmlElement {
    /// The value of the attribute with this local name and no namespace.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &XmlElement> {
        self.children.iter().filter_map(|c| match c {
            XmlNode::Element(e) => Some(e),
            XmlNode::Text(_) => None,
        })
    }

    /// The concatenated text of this element and its descendants.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for child in &self.children {
            match child {
                XmlNode::Text(t) => out.push_str(t),
                XmlNode::Element(e) => e.collect_text(out),
            }
        }
    }

    /// Copies a `roxmltree` element. `span_of` maps a byte offset of the
    /// source to a position. The caller bounds the depth of the tree it hands
    /// over; this walk uses an explicit stack so it cannot overflow anyway.
    pub(crate) fn from_node(
        node: roxmltree::Node<'_, '_>,
        span_of: &dyn Fn(usize) -> Span,
    ) -> Self {
        fn shell(node: roxmltree::Node<'_, '_>, span_of: &dyn Fn(usize) -> Span) -> XmlElement {
            XmlElement {
                name: node.tag_name().name().to_string(),
                namespace: node.tag_name().namespace().map(str::to_string),
                attributes: node
                    .attributes()
                    .map(|a| XmlAttribute {
                        name: a.name().to_string(),
                        namespace: a.namespace().map(str::to_string),
                        value: a.value().to_string(),
                    })
                    .collect(),
                children: Vec::new(),
                span: span_of(node.range().start),
            }
        }

        // Each stack frame: the element being filled and its remaining children.
        let mut stack = vec![(shell(node, span_of), node.children())];
        while let Some((_, children)) = stack.last_mut() {
            match children.next() {
                Some(child) if child.is_element() => {
                    stack.push((shell(child, span_of), child.children()));
                }
                Some(child) => {
                    if let (Some(text), Some((parent, _))) = (child.text(), stack.last_mut())
                        && child.is_text()
                    {
                        parent.children.push(XmlNode::Text(text.to_string()));
                    }
                }
                None => {
                    if let Some((done, _)) = stack.pop() {
                        match stack.last_mut() {
                            Some((parent, _)) => parent.children.push(XmlNode::Element(done)),
                            None => return done,
                        }
                    }
                }
            }
        }
        // Not reached: the loop returns when it pops the root frame.
        shell(node, span_of)
    }
}

/// Escapes `s` for XML: an attribute value in double quotes (`attr`: tabs
/// and line feeds as references, so a parser keeps them) or character data
/// (they stay as they are). One escaping for everything vxb writes as XML —
/// JUnit reports, and grammars rebuilt from a document's inline SRGS.
pub fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, attr, &mut out);
    out
}

/// As [`escape`], appending to `out`.
///
/// Characters XML 1.0 does not allow at all (other C0 controls, U+FFFE,
/// U+FFFF) are written out as `\u{…}`: not even a character reference may
/// carry them. A carriage return is always a reference, since a parser
/// would otherwise fold it into a line feed.
pub fn escape_into(s: &str, attr: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}
