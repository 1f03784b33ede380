//! The SRGS 1.0 XML form compiled into a [`Grammar`].
//!
//! Elements are recognised by local name whatever their namespace, so an
//! inline grammar cut out of a VoiceXML document (SRGS namespace absent, or
//! the VoiceXML one inherited) compiles like a standalone one. `weight`,
//! `repeat-prob`, `<meta>`, `<metadata>`, `<lexicon>` and `<example>` are
//! read past; anything else SRGS does not allow is an error with its line and
//! column.

use std::collections::HashMap;

use roxmltree::{Document, Node as XmlNode};
use url::Url;

use super::builder::{self, Builder, Header, Target};
use super::builtin::Builtin;
use super::error::{Cause, GrammarError, Pos};
use super::model::{Grammar, Mode, Node, NodeId, RuleId, TagFormat};
use super::tokens;
use crate::fetch::location;

/// The largest repeat count accepted. SRGS sets none; a bound keeps a
/// `repeat="1000000-"` from costing a million empty iterations.
pub(crate) const MAX_REPEAT: u32 = 1000;
/// How deeply `<item>`s and `<one-of>`s may nest (the compiler recurses).
pub(crate) const MAX_DEPTH: usize = 100;
/// The most XML nodes a grammar may have.
const MAX_XML_NODES: u32 = 200_000;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Compiles SRGS XML `text` found at `url`; `origin` is where the text starts
/// in its document (1:1 for a fetched grammar).
pub(crate) fn compile(
    text: &str,
    url: &Url,
    mode_hint: Option<Mode>,
    origin: Pos,
) -> Result<Grammar, GrammarError> {
    let doc = crate::xml::parse(text, MAX_XML_NODES).map_err(|e| {
        let p = e.pos();
        GrammarError::Invalid {
            url: url.to_string(),
            at: Pos::new(p.row, p.col).offset_by(origin),
            cause: match e {
                crate::xml::XmlError::Syntax(e) => Cause::Xml(e.to_string()),
                over @ crate::xml::XmlError::Expansion { .. } => {
                    Cause::OverBudget(over.to_string())
                }
            },
        }
    })?;
    compile_element(doc.root_element(), url, mode_hint, origin)
}

/// Compiles the `<grammar>` element `root` of an already parsed document
/// found at `url`; `origin` is where the document's text starts.
pub(crate) fn compile_element(
    root: XmlNode,
    url: &Url,
    mode_hint: Option<Mode>,
    origin: Pos,
) -> Result<Grammar, GrammarError> {
    let mut c = Compiler {
        doc: root.document(),
        url,
        origin,
        base: url.clone(),
        mode: Mode::Voice,
        names: HashMap::new(),
        b: Builder::default(),
        root: 0,
    };
    if root.tag_name().name() != "grammar" {
        return Err(c.error(root, Cause::NotAGrammar(root.tag_name().name().into())));
    }
    c.mode = match root.attribute("mode") {
        None => mode_hint.unwrap_or(Mode::Voice),
        Some(v) => match v.trim() {
            "voice" => Mode::Voice,
            "dtmf" => Mode::Dtmf,
            _ => return Err(c.bad_attribute(root, "mode", v, "expected voice or dtmf")),
        },
    };
    // SISR 1.0: tags are ECMAScript unless the grammar asks for literals.
    let tag_format = match root.attribute("tag-format") {
        Some(v) if v.trim().ends_with("-literals") => TagFormat::Literals,
        _ => TagFormat::Script,
    };
    // `xml:base` on the element or, for an element inside a VoiceXML
    // document, on its ancestors, outermost first.
    let mut bases: Vec<XmlNode> = root
        .ancestors()
        .filter(|n| n.attribute((XML_NS, "base")).is_some())
        .collect();
    bases.reverse();
    for element in bases {
        let b = element.attribute((XML_NS, "base")).unwrap_or_default();
        c.base = location::effective_base(&c.base, Some(b))
            .map_err(|e| c.bad_attribute(element, "xml:base", b, &e.to_string()))?;
    }

    // Declare every rule first: references may point forward.
    let mut rule_elements = Vec::new();
    let mut header_tags = Vec::new();
    for child in root.children() {
        if child.is_text() {
            c.whitespace_only(child, "grammar")?;
            continue;
        }
        if !child.is_element() {
            continue;
        }
        match child.tag_name().name() {
            "rule" => {
                let id = c.rule_id(child)?;
                let public = match child.attribute("scope").map(str::trim) {
                    None | Some("private") => false,
                    Some("public") => true,
                    Some(v) => {
                        return Err(c.bad_attribute(
                            child,
                            "scope",
                            v,
                            "expected public or private",
                        ));
                    }
                };
                let at = c.pos(child);
                let rid = c.b.rule(id, public, at);
                if c.names.insert(id, rid).is_some() {
                    return Err(c.error(child, Cause::DuplicateRule(id.into())));
                }
                rule_elements.push((rid, child));
            }
            "tag" => header_tags.push(c.tag(child)),
            "meta" | "metadata" | "lexicon" => {}
            other => {
                return Err(c.error(
                    child,
                    Cause::UnexpectedElement {
                        parent: "grammar".into(),
                        found: other.into(),
                    },
                ));
            }
        }
    }
    let root_missing = root.attribute("root").is_none().then(|| c.pos(root));
    c.root = match root.attribute("root").map(str::trim) {
        Some(name) => match c.names.get(name) {
            Some(&r) => r,
            None => return Err(c.error(root, Cause::MissingRoot(name.into()))),
        },
        // Lenient: without `root`, the first public rule (else the first
        // rule) is the root, in both forms, as most platforms have it.
        None => match c.b.default_root() {
            Some(r) => r,
            None => return Err(c.error(root, Cause::NoRules)),
        },
    };
    for (rid, element) in rule_elements {
        let body = c.sequence(element, 1)?;
        c.b.set_body(rid, body);
    }
    c.b.finish(Header {
        url: url.clone(),
        mode: c.mode,
        tag_format,
        lang: root.attribute((XML_NS, "lang")).map(Into::into),
        root: c.root,
        root_missing,
        header_tags,
    })
}

struct Compiler<'a, 'input> {
    doc: &'a Document<'input>,
    url: &'a Url,
    origin: Pos,
    /// The base external references resolve against (`xml:base` or the URL).
    base: Url,
    mode: Mode,
    names: HashMap<&'a str, RuleId>,
    b: Builder,
    root: RuleId,
}

impl<'a, 'input> Compiler<'a, 'input> {
    fn pos(&self, node: XmlNode) -> Pos {
        let p = self.doc.text_pos_at(node.range().start);
        Pos::new(p.row, p.col).offset_by(self.origin)
    }

    fn error(&self, node: XmlNode, cause: Cause) -> GrammarError {
        GrammarError::Invalid {
            url: self.url.to_string(),
            at: self.pos(node),
            cause,
        }
    }

    fn bad_attribute(
        &self,
        node: XmlNode,
        attribute: &'static str,
        value: &str,
        reason: &str,
    ) -> GrammarError {
        self.error(
            node,
            Cause::BadAttribute {
                element: static_name(node.tag_name().name()),
                attribute,
                value: value.into(),
                reason: reason.into(),
            },
        )
    }

    fn whitespace_only(&self, text: XmlNode, parent: &str) -> Result<(), GrammarError> {
        if text.text().unwrap_or("").trim().is_empty() {
            Ok(())
        } else {
            Err(self.error(text, Cause::UnexpectedText(parent.into())))
        }
    }

    fn rule_id(&self, rule: XmlNode<'a, 'input>) -> Result<&'a str, GrammarError> {
        let Some(id) = rule.attribute("id") else {
            return Err(self.error(
                rule,
                Cause::MissingAttribute {
                    element: "rule",
                    attribute: "id",
                },
            ));
        };
        let reason = if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c == '#') {
            "not a rule name"
        } else if matches!(id, "NULL" | "VOID" | "GARBAGE") {
            "reserved for the special rules"
        } else {
            return Ok(id);
        };
        Err(self.bad_attribute(rule, "id", id, reason))
    }

    /// The children of `parent` in order, as one node.
    fn sequence(&mut self, parent: XmlNode, depth: usize) -> Result<NodeId, GrammarError> {
        if depth > MAX_DEPTH {
            return Err(self.error(parent, Cause::TooDeep(MAX_DEPTH)));
        }
        let mut parts = Vec::new();
        for child in parent.children() {
            if child.is_text() {
                if let Some(words) = self.words(child, child.text().unwrap_or(""))? {
                    parts.push(words);
                }
                continue;
            }
            if !child.is_element() {
                continue;
            }
            let part = match child.tag_name().name() {
                "item" => self.item(child, depth + 1)?,
                "one-of" => self.one_of(child, depth + 1)?,
                "ruleref" => self.ruleref(child)?,
                "token" => match self.words(child, &text_of(child))? {
                    Some(w) => w,
                    None => continue,
                },
                "tag" => {
                    let t = self.tag(child);
                    self.b.node(Node::Tag(t))
                }
                "example" => continue,
                other => {
                    return Err(self.error(
                        child,
                        Cause::UnexpectedElement {
                            parent: parent.tag_name().name().into(),
                            found: other.into(),
                        },
                    ));
                }
            };
            parts.push(part);
        }
        Ok(match parts.len() {
            0 => self.b.node(Node::Null),
            1 => parts[0],
            _ => self.b.node(Node::Seq(parts.into())),
        })
    }

    /// A words node for `text`, or `None` when it holds no token.
    fn words(&mut self, at: XmlNode, text: &str) -> Result<Option<NodeId>, GrammarError> {
        let toks =
            tokens::tokens(text, self.mode).map_err(|c| self.error(at, Cause::NotDtmf(c)))?;
        if toks.is_empty() {
            return Ok(None);
        }
        let keys = toks.into_iter().map(|t| t.key).collect();
        Ok(Some(self.b.node(Node::Words(keys))))
    }

    fn tag(&mut self, element: XmlNode) -> u32 {
        let at = self.pos(element);
        self.b.tag(&text_of(element), at)
    }

    fn item(&mut self, item: XmlNode, depth: usize) -> Result<NodeId, GrammarError> {
        let body = self.sequence(item, depth)?;
        let Some(repeat) = item.attribute("repeat") else {
            return Ok(body);
        };
        let Some((min, max)) = parse_repeat(repeat) else {
            return Err(self.error(item, Cause::BadRepeat(repeat.into())));
        };
        Ok(self.b.node(Node::Repeat { body, min, max }))
    }

    fn one_of(&mut self, one_of: XmlNode, depth: usize) -> Result<NodeId, GrammarError> {
        let mut items = Vec::new();
        for child in one_of.children() {
            if child.is_text() {
                self.whitespace_only(child, "one-of")?;
            } else if child.is_element() {
                if child.tag_name().name() != "item" {
                    return Err(self.error(
                        child,
                        Cause::UnexpectedElement {
                            parent: "one-of".into(),
                            found: child.tag_name().name().into(),
                        },
                    ));
                }
                items.push(self.item(child, depth)?);
            }
        }
        if items.is_empty() {
            return Err(self.error(one_of, Cause::EmptyOneOf));
        }
        Ok(self.b.node(Node::Alt(items.into())))
    }

    fn ruleref(&mut self, element: XmlNode) -> Result<NodeId, GrammarError> {
        match (element.attribute("special"), element.attribute("uri")) {
            (Some(special), None) => {
                let node = match special.trim() {
                    "NULL" => Node::Null,
                    "VOID" => Node::Void,
                    "GARBAGE" => Node::Garbage,
                    _ => {
                        return Err(self.bad_attribute(
                            element,
                            "special",
                            special,
                            "expected NULL, VOID or GARBAGE",
                        ));
                    }
                };
                Ok(self.b.node(node))
            }
            (None, Some(uri)) => self.reference(element, uri.trim()),
            (Some(special), Some(_)) => Err(self.bad_attribute(
                element,
                "special",
                special,
                "a <ruleref> has either `uri` or `special`, not both",
            )),
            (None, None) => Err(self.error(
                element,
                Cause::MissingAttribute {
                    element: "ruleref",
                    attribute: "uri",
                },
            )),
        }
    }

    fn reference(&mut self, element: XmlNode, uri: &str) -> Result<NodeId, GrammarError> {
        if let Some(name) = uri.strip_prefix('#') {
            return self.local(element, name);
        }
        if uri.starts_with("builtin:") {
            let b = Builtin::from_uri(uri)
                .map_err(|reason| self.error(element, Cause::Builtin(reason)))?;
            if b.mode != self.mode {
                return Err(self.error(
                    element,
                    Cause::ModeMismatch {
                        referrer: self.mode,
                        referenced: b.mode,
                    },
                ));
            }
            let at = self.pos(element);
            return Ok(self.b.builtin(b, at));
        }
        let target = builder::target(&self.base, self.url, uri)
            .map_err(|e| self.bad_attribute(element, "uri", uri, &e.to_string()))?;
        match target {
            Target::Own(Some(name)) => self.local(element, &name),
            Target::Own(None) => Ok(self.b.node(Node::Rule(self.root))),
            Target::Other { url, rule } => {
                let at = self.pos(element);
                Ok(self.b.external(url, rule, at))
            }
        }
    }

    fn local(&mut self, element: XmlNode, name: &str) -> Result<NodeId, GrammarError> {
        match self.names.get(name) {
            Some(&r) => Ok(self.b.node(Node::Rule(r))),
            None => Err(self.error(element, Cause::UndefinedRule(name.into()))),
        }
    }
}

/// The name of an element that carries attributes SRGS defines.
fn static_name(local: &str) -> &'static str {
    match local {
        "grammar" => "grammar",
        "rule" => "rule",
        "ruleref" => "ruleref",
        "item" => "item",
        _ => "element",
    }
}

/// All the text inside an element (a `<tag>` or `<token>`), CDATA included.
fn text_of(element: XmlNode) -> String {
    element
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// `n`, `n-m` or `n-` (SRGS §2.5), bounded by [`MAX_REPEAT`].
pub(crate) fn parse_repeat(value: &str) -> Option<(u32, Option<u32>)> {
    let count = |s: &str| -> Option<u32> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|n| *n <= MAX_REPEAT)
    };
    match value.split_once('-') {
        None => count(value).map(|n| (n, Some(n))),
        Some((min, max)) if max.trim().is_empty() => Some((count(min)?, None)),
        Some((min, max)) => {
            let (min, max) = (count(min)?, count(max)?);
            (min <= max).then_some((min, Some(max)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_forms() {
        assert_eq!(parse_repeat("3"), Some((3, Some(3))));
        assert_eq!(parse_repeat("0-1"), Some((0, Some(1))));
        assert_eq!(parse_repeat(" 2 - 5 "), Some((2, Some(5))));
        assert_eq!(parse_repeat("1-"), Some((1, None)));
        assert_eq!(parse_repeat("0"), Some((0, Some(0))));
        for bad in [
            "",
            "-",
            "-3",
            "5-2",
            "a",
            "1-b",
            "1.5",
            "1-2-3",
            "+1",
            "1001",
            "99999999999",
        ] {
            assert_eq!(parse_repeat(bad), None, "{bad:?}");
        }
    }
}
