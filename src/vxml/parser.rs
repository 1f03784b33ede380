//! From a `roxmltree` tree to the typed model, checking what VoiceXML 2.0/2.1
//! requires of each element: required and mutually exclusive attributes,
//! attribute value grammars, and which children each element may have.
//!
//! Elements in a foreign namespace are skipped (VoiceXML allows them as
//! extensions); elements with no namespace or the VoiceXML/SSML namespace
//! must be known VoiceXML elements in an allowed place, else the document is
//! invalid (`error.badfetch`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::time::Duration;

use roxmltree::Node;

use super::attrs::{parse_bool, parse_list, parse_time};
use super::error::{ParseError, ParseErrorKind, Slip, SourceLine};
use super::exec::{
    Assign, Branch, Clear, Disconnect, Executable, Exit, ExitValue, Foreach, Goto, GotoTarget, If,
    Log, LogPart, Return, ReturnValue, Submit, Throw,
};
use super::model::*;
use super::prompt::{Audio, BargeInType, BreakStrength, Prompt, PromptNode, Ssml, SsmlKind};
use super::xml::XmlElement;

const VXML_NS: &str = "http://www.w3.org/2001/vxml";
const SSML_NS: &str = "http://www.w3.org/2001/10/synthesis";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const SRGS_NS: &str = "http://www.w3.org/2001/06/grammar";

/// Elements nested deeper than this are refused. Real documents nest a few
/// levels; the bound keeps the recursive descent within a 2 MiB thread stack.
pub const MAX_DEPTH: usize = 64;

/// At most this many XML nodes per document (memory bound for hostile input).
pub const MAX_NODES: u32 = 1_000_000;

/// Every element name VoiceXML 2.1 (with its SSML subset) defines: an element
/// named here but found in the wrong place is "misplaced", anything else is
/// "unknown".
pub(super) const KNOWN: &[&str] = &[
    "assign",
    "audio",
    "block",
    "break",
    "catch",
    "choice",
    "clear",
    "data",
    "desc",
    "disconnect",
    "else",
    "elseif",
    "emphasis",
    "enumerate",
    "error",
    "exit",
    "field",
    "filled",
    "foreach",
    "form",
    "goto",
    "grammar",
    "help",
    "if",
    "initial",
    "lexicon",
    "link",
    "log",
    "mark",
    "menu",
    "meta",
    "metadata",
    "noinput",
    "nomatch",
    "object",
    "option",
    "p",
    "paragraph",
    "param",
    "phoneme",
    "prompt",
    "property",
    "prosody",
    "record",
    "reprompt",
    "return",
    "s",
    "say-as",
    "script",
    "sentence",
    "sub",
    "subdialog",
    "submit",
    "throw",
    "transfer",
    "value",
    "var",
    "voice",
    "vxml",
];

type Result<T> = std::result::Result<T, ParseError>;

/// Parses decoded document text.
pub(crate) fn parse_text(text: &str, source_name: &str) -> Result<Document> {
    let p = Parser::new(text, source_name);
    let doc = crate::xml::parse(text, MAX_NODES).map_err(|e| {
        let pos = e.pos();
        let span = match e {
            // roxmltree reports these at 1:1; the problem is at the end.
            crate::xml::XmlError::Syntax(
                roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode,
            ) => p.span(text.len()),
            _ => Span {
                line: pos.row,
                column: pos.col,
            },
        };
        let kind = match e {
            crate::xml::XmlError::Syntax(e) => ParseErrorKind::Xml(e.to_string()),
            over @ crate::xml::XmlError::Expansion { .. } => {
                ParseErrorKind::OverBudget(over.to_string())
            }
        };
        p.error_at(span, kind)
    })?;
    p.check_depth(&doc)?;
    let root = doc.root_element();
    if root.tag_name().name() != "vxml" || !is_ours(root) {
        return Err(p.error(
            root,
            ParseErrorKind::NotVxmlRoot {
                found: root.tag_name().name().to_string(),
            },
        ));
    }
    if root.tag_name().namespace().is_none() {
        p.slip(root, Slip::NoNamespace);
    }
    let mut document = p.document(root)?;
    document.slips = p.slips.take();
    Ok(document)
}

/// Executable content production browsers run when a page puts it directly
/// in a `<form>` (`<var>`, `<script>` and `<data>` belong there already).
const STRAY_EXECUTABLE: &[&str] = &[
    "assign",
    "audio",
    "clear",
    "disconnect",
    "exit",
    "foreach",
    "goto",
    "if",
    "log",
    "prompt",
    "reprompt",
    "return",
    "submit",
    "throw",
    "value",
];

/// Whether an element belongs to VoiceXML (no namespace, or VoiceXML's, or
/// SSML's, which VoiceXML prompts embed). VoiceXML's `<grammar>` is SRGS's
/// element, so an inline grammar written in the SRGS namespace is ours too.
fn is_ours(node: Node<'_, '_>) -> bool {
    match node.tag_name().namespace() {
        None | Some(VXML_NS) | Some(SSML_NS) => true,
        Some(SRGS_NS) => node.tag_name().name() == "grammar",
        Some(_) => false,
    }
}

/// A child of an element, classified.
enum Child<'a, 'i> {
    /// A VoiceXML element, with its local name.
    El(&'a str, Node<'a, 'i>),
    /// Text (or CDATA) content.
    Text(&'a str, Node<'a, 'i>),
}

/// The children that matter: our elements and text; comments, processing
/// instructions and foreign-namespace elements are skipped.
fn children<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Child<'a, 'i>> {
    node.children().filter_map(|c| {
        if c.is_element() {
            is_ours(c).then(|| Child::El(c.tag_name().name(), c))
        } else if c.is_text() {
            c.text().map(|t| Child::Text(t, c))
        } else {
            None
        }
    })
}

fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Literal/expression attribute pairs.
const SRC: [&str; 2] = ["src", "srcexpr"];
const EVENT: [&str; 2] = ["event", "eventexpr"];
const MESSAGE: [&str; 2] = ["message", "messageexpr"];

struct Parser<'s> {
    source_name: &'s str,
    text: &'s str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// The slips tolerated so far (see [`Document::slips`]).
    slips: RefCell<Vec<ParseError>>,
}

impl<'s> Parser<'s> {
    fn new(text: &'s str, source_name: &'s str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Parser {
            source_name,
            text,
            line_starts,
            slips: RefCell::new(Vec::new()),
        }
    }

    /// Notes a tolerated slip at `node`.
    fn slip(&self, node: Node<'_, '_>, slip: Slip) {
        let e = self.error(node, ParseErrorKind::Slip(slip));
        self.slips.borrow_mut().push(e);
    }

    /// The line and column (in characters) of a byte offset.
    fn span(&self, pos: usize) -> Span {
        let pos = pos.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= pos).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..pos)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        Span {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    fn span_of(&self, node: Node<'_, '_>) -> Span {
        self.span(node.range().start)
    }

    /// Where a text node's characters start (after `<![CDATA[` for a CDATA section).
    fn text_start(&self, node: Node<'_, '_>) -> Span {
        let start = node.range().start;
        let cdata = self
            .text
            .get(start..)
            .is_some_and(|rest| rest.starts_with("<![CDATA["));
        self.span(if cdata {
            start + "<![CDATA[".len()
        } else {
            start
        })
    }

    fn error_at(&self, span: Span, kind: ParseErrorKind) -> ParseError {
        ParseError {
            source_name: self.source_name.to_string(),
            span,
            kind,
            line_text: self.line_text(span.line),
        }
    }

    /// The text of 1-based line `line`, without its line break.
    fn line_text(&self, line: u32) -> Option<Box<SourceLine>> {
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(i)?;
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |e| e - 1);
        self.text
            .get(start..end)
            .map(|l| Box::new(SourceLine(l.trim_end_matches('\r').to_string())))
    }

    fn error(&self, node: Node<'_, '_>, kind: ParseErrorKind) -> ParseError {
        self.error_at(self.span_of(node), kind)
    }

    /// Refuses documents nested deeper than [`MAX_DEPTH`] before the
    /// recursive descent starts.
    fn check_depth(&self, doc: &roxmltree::Document<'_>) -> Result<()> {
        // Depth per node id; the document node is 0, so `<vxml>` is 1.
        let mut depth = vec![0usize; doc.descendants().count() + 1];
        for node in doc.descendants().filter(|n| n.is_element()) {
            let d = node
                .parent()
                .and_then(|p| depth.get(p.id().get_usize()).copied())
                .unwrap_or(0)
                + 1;
            if d > MAX_DEPTH {
                return Err(self.error(node, ParseErrorKind::TooDeep(MAX_DEPTH)));
            }
            if let Some(slot) = depth.get_mut(node.id().get_usize()) {
                *slot = d;
            }
        }
        Ok(())
    }

    // ----- errors about children -------------------------------------------------

    /// An element that may not appear here: misplaced if VoiceXML knows it.
    fn unexpected(&self, name: &str, node: Node<'_, '_>, parent: Node<'_, '_>) -> ParseError {
        let element = name.to_string();
        let kind = if KNOWN.contains(&name) {
            ParseErrorKind::Misplaced {
                element,
                parent: parent.tag_name().name().to_string(),
            }
        } else {
            ParseErrorKind::UnknownElement { element }
        };
        self.error(node, kind)
    }

    /// Text where only elements may appear; whitespace is fine.
    fn text_only_blank(&self, text: &str, node: Node<'_, '_>, parent: Node<'_, '_>) -> Result<()> {
        if is_blank(text) {
            Ok(())
        } else {
            Err(self.error(
                node,
                ParseErrorKind::MisplacedText {
                    parent: parent.tag_name().name().to_string(),
                },
            ))
        }
    }

    /// The child elements of an element whose content is elements only
    /// (whitespace between them is fine, other text is an error).
    fn elements<'a, 'i>(
        &'a self,
        node: Node<'a, 'i>,
    ) -> impl Iterator<Item = Result<(&'a str, Node<'a, 'i>)>> + 'a {
        children(node).filter_map(move |child| match child {
            Child::El(name, c) => Some(Ok((name, c))),
            Child::Text(t, c) => self.text_only_blank(t, c, node).err().map(Err),
        })
    }

    /// For elements that have no content at all.
    fn empty(&self, node: Node<'_, '_>) -> Result<()> {
        match self.elements(node).next() {
            Some(Ok((name, c))) => Err(self.unexpected(name, c, node)),
            Some(Err(e)) => Err(e),
            None => Ok(()),
        }
    }

    // ----- attributes ------------------------------------------------------------

    fn attr<'a>(&self, node: Node<'a, '_>, name: &str) -> Option<&'a str> {
        node.attribute(name)
    }

    fn string(&self, node: Node<'_, '_>, name: &str) -> Option<String> {
        self.attr(node, name).map(str::to_string)
    }

    fn expr(&self, node: Node<'_, '_>, name: &str) -> Option<Expr> {
        self.attr(node, name).map(|s| Expr(s.to_string()))
    }

    fn required(&self, node: Node<'_, '_>, name: &'static str) -> Result<String> {
        self.string(node, name).ok_or_else(|| {
            self.error(
                node,
                ParseErrorKind::MissingAttribute {
                    element: node.tag_name().name().to_string(),
                    attribute: name,
                },
            )
        })
    }

    fn required_expr(&self, node: Node<'_, '_>, name: &'static str) -> Result<Expr> {
        self.required(node, name).map(Expr)
    }

    /// At most one of `names` is present.
    fn exclusive(&self, node: Node<'_, '_>, names: &[&'static str]) -> Result<()> {
        let present: Vec<&'static str> = names
            .iter()
            .copied()
            .filter(|n| node.has_attribute(*n))
            .collect();
        if present.len() > 1 {
            return Err(self.error(
                node,
                ParseErrorKind::Exclusive {
                    element: node.tag_name().name().to_string(),
                    attributes: present,
                },
            ));
        }
        Ok(())
    }

    /// A `literal`/`expr` pair, at most one of which may be given.
    fn value_or_expr(
        &self,
        node: Node<'_, '_>,
        pair: [&'static str; 2],
    ) -> Result<Option<ValueOrExpr>> {
        self.exclusive(node, &pair)?;
        Ok(
            match (self.string(node, pair[0]), self.expr(node, pair[1])) {
                (Some(v), _) => Some(ValueOrExpr::Literal(v)),
                (None, Some(e)) => Some(ValueOrExpr::Expr(e)),
                (None, None) => None,
            },
        )
    }

    /// A `literal`/`expr` pair, exactly one of which must be given.
    fn required_value_or_expr(
        &self,
        node: Node<'_, '_>,
        pair: &'static [&'static str; 2],
    ) -> Result<ValueOrExpr> {
        self.value_or_expr(node, *pair)?
            .ok_or_else(|| self.missing_one_of(node, pair))
    }

    fn missing_one_of(
        &self,
        node: Node<'_, '_>,
        attributes: &'static [&'static str],
    ) -> ParseError {
        self.error(
            node,
            ParseErrorKind::MissingOneOf {
                element: node.tag_name().name().to_string(),
                attributes,
            },
        )
    }

    fn bad_value(
        &self,
        node: Node<'_, '_>,
        attribute: &'static str,
        value: &str,
        expected: &'static str,
    ) -> ParseError {
        self.error(
            node,
            ParseErrorKind::BadValue {
                element: node.tag_name().name().to_string(),
                attribute,
                value: value.to_string(),
                expected,
            },
        )
    }

    /// An attribute whose value must parse with `parse`.
    fn typed<T>(
        &self,
        node: Node<'_, '_>,
        name: &'static str,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.attr(node, name) {
            None => Ok(None),
            Some(v) => parse(v)
                .map(Some)
                .ok_or_else(|| self.bad_value(node, name, v, expected)),
        }
    }

    fn bool_attr(&self, node: Node<'_, '_>, name: &'static str, default: bool) -> Result<bool> {
        Ok(self
            .typed(node, name, "true or false", parse_bool)?
            .unwrap_or(default))
    }

    fn time_attr(&self, node: Node<'_, '_>, name: &'static str) -> Result<Option<Duration>> {
        self.typed(node, name, "a time such as 5s or 500ms", parse_time)
    }

    fn seconds_attr(&self, node: Node<'_, '_>, name: &'static str) -> Result<Option<u64>> {
        self.typed(node, name, "a whole number of seconds", |v| {
            v.trim().parse().ok()
        })
    }

    /// A positive count (`count` of prompts and handlers), default 1.
    fn count_attr(&self, node: Node<'_, '_>) -> Result<u32> {
        Ok(self
            .typed(node, "count", "a whole number of at least 1", |v| {
                v.trim().parse::<u32>().ok().filter(|n| *n >= 1)
            })?
            .unwrap_or(1))
    }

    /// One of a fixed set of keywords.
    fn keyword<T: Copy>(
        &self,
        node: Node<'_, '_>,
        name: &'static str,
        expected: &'static str,
        table: &[(&str, T)],
    ) -> Result<Option<T>> {
        self.typed(node, name, expected, |v| {
            table.iter().find(|(k, _)| *k == v.trim()).map(|(_, t)| *t)
        })
    }

    fn method(&self, node: Node<'_, '_>) -> Result<Method> {
        Ok(self
            .typed(node, "method", "get or post", |v| {
                match v.trim().to_ascii_lowercase().as_str() {
                    "get" => Some(Method::Get),
                    "post" => Some(Method::Post),
                    _ => None,
                }
            })?
            .unwrap_or_default())
    }

    fn scope(&self, node: Node<'_, '_>) -> Result<Option<Scope>> {
        self.keyword(
            node,
            "scope",
            "document or dialog",
            &[("document", Scope::Document), ("dialog", Scope::Dialog)],
        )
    }

    fn accept(&self, node: Node<'_, '_>) -> Result<Option<Accept>> {
        self.keyword(
            node,
            "accept",
            "exact or approximate",
            &[
                ("exact", Accept::Exact),
                ("approximate", Accept::Approximate),
            ],
        )
    }

    fn namelist(&self, node: Node<'_, '_>) -> Option<Vec<String>> {
        self.attr(node, "namelist").map(parse_list)
    }

    fn lang(&self, node: Node<'_, '_>) -> Option<String> {
        node.attribute((XML_NS, "lang")).map(str::to_string)
    }

    fn fetch_attrs(&self, node: Node<'_, '_>) -> Result<FetchAttrs> {
        Ok(FetchAttrs {
            fetchtimeout: self.time_attr(node, "fetchtimeout")?,
            fetchhint: self.keyword(
                node,
                "fetchhint",
                "prefetch or safe",
                &[("prefetch", FetchHint::Prefetch), ("safe", FetchHint::Safe)],
            )?,
            maxage: self.seconds_attr(node, "maxage")?,
            maxstale: self.seconds_attr(node, "maxstale")?,
            fetchaudio: self.string(node, "fetchaudio"),
            fetchaudiodelay: self.time_attr(node, "fetchaudiodelay")?,
            fetchaudiominimum: self.time_attr(node, "fetchaudiominimum")?,
        })
    }

    // ----- document level --------------------------------------------------------

    fn document(&self, root: Node<'_, '_>) -> Result<Document> {
        let version = match root.attribute("version").map(str::trim) {
            Some("2.0") => Version::V2_0,
            Some("2.1") => Version::V2_1,
            Some(other) => return Err(self.bad_value(root, "version", other, "2.0 or 2.1")),
            None => {
                self.slip(root, Slip::NoVersion);
                Version::V2_1
            }
        };
        let mut doc = Document {
            source: self.source_name.to_string(),
            version,
            application: self.string(root, "application"),
            base: root.attribute((XML_NS, "base")).map(str::to_string),
            lang: self.lang(root),
            metas: Vec::new(),
            http_equiv: Vec::new(),
            properties: Vec::new(),
            declarations: Vec::new(),
            catches: Vec::new(),
            links: Vec::new(),
            dialogs: Vec::new(),
            span: self.span_of(root),
            slips: Vec::new(),
        };
        let mut ids = HashSet::new();
        for child in self.elements(root) {
            let (name, node) = child?;
            match name {
                "meta" => {
                    self.exclusive(node, &["name", "http-equiv"])?;
                    let content = self.required(node, "content")?;
                    if let Some(header) = self.string(node, "http-equiv") {
                        doc.http_equiv.push((header, content));
                    } else if let Some(name) = self.string(node, "name") {
                        doc.metas.push(Meta { name, content });
                    } else {
                        return Err(self.missing_one_of(node, &["name", "http-equiv"]));
                    }
                    self.empty(node)?;
                }
                // RDF metadata is for search engines, not for the browser.
                "metadata" => {}
                "property" => doc.properties.push(self.property(node)?),
                "var" | "script" | "data" => doc.declarations.push(self.declaration(name, node)?),
                "form" | "menu" => {
                    let dialog = if name == "form" {
                        Dialog::Form(self.form(node)?)
                    } else {
                        Dialog::Menu(self.menu(node)?)
                    };
                    if let Some(id) = dialog.id()
                        && !ids.insert(id.to_string())
                    {
                        return Err(self.error(
                            node,
                            ParseErrorKind::Duplicate {
                                element: name.to_string(),
                                name: id.to_string(),
                            },
                        ));
                    }
                    doc.dialogs.push(dialog);
                }
                "link" => doc.links.push(self.link(node)?),
                _ => match self.catch(name, node)? {
                    Some(c) => doc.catches.push(c),
                    None => return Err(self.unexpected(name, node, root)),
                },
            }
        }
        Ok(doc)
    }

    fn property(&self, node: Node<'_, '_>) -> Result<Property> {
        self.empty(node)?;
        Ok(Property {
            name: self.required(node, "name")?,
            value: self.required(node, "value")?,
            span: self.span_of(node),
        })
    }

    /// `<var>`, `<script>` or `<data>` (the caller matched the name).
    fn declaration(&self, name: &str, node: Node<'_, '_>) -> Result<Declaration> {
        Ok(match name {
            "var" => Declaration::Var(self.var(node)?),
            "script" => Declaration::Script(self.script(node)?),
            _ => Declaration::Data(self.data(node)?),
        })
    }

    fn var(&self, node: Node<'_, '_>) -> Result<Var> {
        self.empty(node)?;
        Ok(Var {
            name: self.required(node, "name")?,
            expr: self.expr(node, "expr"),
            span: self.span_of(node),
        })
    }

    fn script(&self, node: Node<'_, '_>) -> Result<Script> {
        let src = self.value_or_expr(node, SRC)?;
        let mut text = String::new();
        let mut start = None;
        for child in children(node) {
            match child {
                Child::El(name, c) => return Err(self.unexpected(name, c, node)),
                Child::Text(t, c) => {
                    start.get_or_insert_with(|| self.text_start(c));
                    text.push_str(t);
                }
            }
        }
        let source = match (src, is_blank(&text)) {
            (Some(_), false) => {
                return Err(self.error(
                    node,
                    ParseErrorKind::Exclusive {
                        element: "script".into(),
                        attributes: vec!["src", "inline content"],
                    },
                ));
            }
            (Some(src), true) => ScriptSource::Src(src),
            (None, false) => ScriptSource::Inline {
                text,
                start: start.unwrap_or_default(),
            },
            (None, true) => {
                return Err(self.missing_one_of(node, &["src", "srcexpr", "inline content"]));
            }
        };
        Ok(Script {
            source,
            charset: self.string(node, "charset"),
            fetch: self.fetch_attrs(node)?,
            span: self.span_of(node),
        })
    }

    fn data(&self, node: Node<'_, '_>) -> Result<Data> {
        self.empty(node)?;
        Ok(Data {
            name: self.string(node, "name"),
            src: self.required_value_or_expr(node, &SRC)?,
            namelist: self.namelist(node).unwrap_or_default(),
            method: self.method(node)?,
            enctype: self.string(node, "enctype"),
            fetch: self.fetch_attrs(node)?,
            span: self.span_of(node),
        })
    }

    /// An event handler element, or `None` if `name` is not one.
    fn catch(&self, name: &str, node: Node<'_, '_>) -> Result<Option<Catch>> {
        let events = match name {
            "catch" => self.attr(node, "event").map(parse_list).unwrap_or_default(),
            "error" | "help" | "noinput" | "nomatch" => vec![name.to_string()],
            _ => return Ok(None),
        };
        Ok(Some(Catch {
            events,
            count: self.count_attr(node)?,
            cond: self.expr(node, "cond"),
            content: self.executable(node)?,
            span: self.span_of(node),
        }))
    }

    fn link(&self, node: Node<'_, '_>) -> Result<Link> {
        let mut grammars = Vec::new();
        for child in self.elements(node) {
            match child? {
                ("grammar", c) => grammars.push(self.grammar(c)?),
                (name, c) => return Err(self.unexpected(name, c, node)),
            }
        }
        Ok(Link {
            target: self.link_target(node)?,
            dtmf: self.string(node, "dtmf"),
            grammars,
            fetch: self.fetch_attrs(node)?,
            span: self.span_of(node),
        })
    }

    /// `next`/`expr`/`event`/`eventexpr` (+ message) of `<link>` and `<choice>`.
    fn link_target(&self, node: Node<'_, '_>) -> Result<LinkTarget> {
        const ALL: &[&str] = &["next", "expr", "event", "eventexpr"];
        self.exclusive(node, ALL)?;
        let message = self.value_or_expr(node, MESSAGE)?;
        if let Some(uri) = self.value_or_expr(node, ["next", "expr"])? {
            return Ok(LinkTarget::Goto(uri));
        }
        match self.value_or_expr(node, EVENT)? {
            Some(event) => Ok(LinkTarget::Event { event, message }),
            None => Err(self.missing_one_of(node, ALL)),
        }
    }

    fn grammar(&self, node: Node<'_, '_>) -> Result<Grammar> {
        let src = self.value_or_expr(node, SRC)?;
        let has_elements = node.children().any(|c| c.is_element());
        // A textual grammar (ABNF) starts at its first text that is not
        // blank: where its line and column numbers count from.
        let first = node
            .children()
            .find(|c| c.text().is_some_and(|t| !is_blank(t)));
        let text: String = node
            .children()
            .skip_while(|c| Some(*c) != first)
            .filter_map(|c| c.text())
            .collect();
        let inline = if has_elements {
            Some(GrammarSource::InlineXml(XmlElement::from_node(
                node,
                &|pos| self.span(pos),
            )))
        } else {
            first.map(|first| GrammarSource::InlineText {
                text,
                at: self.text_start(first),
            })
        };
        let source = match (src, inline) {
            (Some(_), Some(_)) => {
                return Err(self.error(
                    node,
                    ParseErrorKind::Exclusive {
                        element: "grammar".into(),
                        attributes: vec!["src", "inline content"],
                    },
                ));
            }
            (Some(src), None) => GrammarSource::Src(src),
            (None, Some(inline)) => inline,
            (None, None) => {
                return Err(self.missing_one_of(node, &["src", "srcexpr", "inline content"]));
            }
        };
        Ok(Grammar {
            source,
            type_: self.string(node, "type"),
            mode: self.keyword(
                node,
                "mode",
                "voice or dtmf",
                &[("voice", GrammarMode::Voice), ("dtmf", GrammarMode::Dtmf)],
            )?,
            scope: self.scope(node)?,
            weight: self.typed(node, "weight", "a non-negative number", |v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|w| w.is_finite() && *w >= 0.0)
            })?,
            root: self.string(node, "root"),
            lang: self.lang(node),
            fetch: self.fetch_attrs(node)?,
            span: self.span_of(node),
        })
    }

    // ----- dialogs -----------------------------------------------------------------

    fn form(&self, node: Node<'_, '_>) -> Result<Form> {
        let mut form = Form {
            id: self.string(node, "id"),
            scope: self.scope(node)?.unwrap_or_default(),
            children: Vec::new(),
            filled: Vec::new(),
            catches: Vec::new(),
            links: Vec::new(),
            grammars: Vec::new(),
            properties: Vec::new(),
            span: self.span_of(node),
        };
        let mut names = HashSet::new();
        let mut stray = StrayBlock::default();
        for child in self.elements(node) {
            let (name, c) = child?;
            if STRAY_EXECUTABLE.contains(&name) {
                self.slip(
                    c,
                    Slip::ExecutableInForm {
                        element: name.to_string(),
                    },
                );
                let (out, bare) = stray.open(self.span_of(c));
                self.executable_child(Child::El(name, c), node, out, bare)?;
                continue;
            }
            stray.close_into(&mut form.children);
            match name {
                "var" | "script" | "data" => {
                    form.children
                        .push(FormChild::Declaration(self.declaration(name, c)?));
                }
                "filled" => form.filled.push(self.filled(c)?),
                "link" => form.links.push(self.link(c)?),
                "grammar" => form.grammars.push(self.grammar(c)?),
                "property" => form.properties.push(self.property(c)?),
                _ => {
                    if let Some(item) = self.form_item(name, c)? {
                        let common = item.common();
                        if !common.anonymous && !names.insert(common.name.clone()) {
                            return Err(self.error(
                                c,
                                ParseErrorKind::Duplicate {
                                    element: name.to_string(),
                                    name: common.name.clone(),
                                },
                            ));
                        }
                        form.children.push(FormChild::Item(item));
                    } else if let Some(h) = self.catch(name, c)? {
                        form.catches.push(h);
                    } else {
                        return Err(self.unexpected(name, c, node));
                    }
                }
            }
        }
        stray.close_into(&mut form.children);
        name_anonymous_items(&mut form.children, &names);
        Ok(form)
    }

    /// A form item, or `None` if `name` is not one.
    fn form_item(&self, name: &str, node: Node<'_, '_>) -> Result<Option<FormItem>> {
        Ok(Some(match name {
            "field" => FormItem::Field(self.field(node)?),
            "block" => FormItem::Block(Block {
                common: self.item_common(node),
                content: self.executable(node)?,
            }),
            "initial" => FormItem::Initial(Initial {
                common: self.item_common(node),
                input: self.input_parts(node, &["link"], |_, _, _| Ok(false))?,
            }),
            "subdialog" => FormItem::Subdialog(self.subdialog(node)?),
            "record" => FormItem::Record(self.record(node)?),
            "transfer" => FormItem::Transfer(self.transfer(node)?),
            "object" => FormItem::Object(self.object(node)?),
            _ => return Ok(None),
        }))
    }

    fn item_common(&self, node: Node<'_, '_>) -> ItemCommon {
        let name = self.string(node, "name");
        ItemCommon {
            anonymous: name.is_none(),
            // Filled in by `name_anonymous_items` once every explicit name is known.
            name: name.unwrap_or_default(),
            expr: self.expr(node, "expr"),
            cond: self.expr(node, "cond"),
            span: self.span_of(node),
        }
    }

    /// The children of an input item. Prompts (explicit or bare), event
    /// handlers and properties are always allowed; `allowed` adds any of
    /// `filled`, `grammar`, `link`; `extra` handles the item's own children
    /// (`option`, `param`) and says whether it took the element.
    fn input_parts(
        &self,
        node: Node<'_, '_>,
        allowed: &[&str],
        mut extra: impl FnMut(&Self, &str, Node<'_, '_>) -> Result<bool>,
    ) -> Result<InputParts> {
        let mut parts = InputParts::default();
        let mut bare = BarePrompt::default();
        for child in children(node) {
            if self.bare_prompt_child(&child, &mut bare)? {
                continue;
            }
            let Child::El(name, c) = child else { continue };
            if let Some(p) = bare.take() {
                parts.prompts.push(p);
            }
            match name {
                "prompt" => parts.prompts.push(self.prompt(c)?),
                "property" => parts.properties.push(self.property(c)?),
                "filled" if allowed.contains(&"filled") => parts.filled.push(self.filled(c)?),
                "grammar" if allowed.contains(&"grammar") => parts.grammars.push(self.grammar(c)?),
                "link" if allowed.contains(&"link") => parts.links.push(self.link(c)?),
                _ => {
                    if let Some(h) = self.catch(name, c)? {
                        parts.catches.push(h);
                    } else if !extra(self, name, c)? {
                        return Err(self.unexpected(name, c, node));
                    }
                }
            }
        }
        if let Some(p) = bare.take() {
            parts.prompts.push(p);
        }
        Ok(parts)
    }

    fn field(&self, node: Node<'_, '_>) -> Result<Field> {
        let mut options = Vec::new();
        let input = self.input_parts(node, &["filled", "grammar", "link"], |p, name, c| {
            if name != "option" {
                return Ok(false);
            }
            options.push(p.option(c)?);
            Ok(true)
        })?;
        Ok(Field {
            common: self.item_common(node),
            type_: self.string(node, "type"),
            slot: self.string(node, "slot"),
            modal: self.bool_attr(node, "modal", false)?,
            options,
            input,
        })
    }

    fn option(&self, node: Node<'_, '_>) -> Result<FieldOption> {
        let mut text = String::new();
        for child in children(node) {
            match child {
                Child::El(name, c) => return Err(self.unexpected(name, c, node)),
                Child::Text(t, _) => text.push_str(t),
            }
        }
        Ok(FieldOption {
            dtmf: self.string(node, "dtmf"),
            accept: self.accept(node)?,
            value: self.string(node, "value"),
            text: text.trim().to_string(),
            span: self.span_of(node),
        })
    }

    /// `<param>` children, for subdialog and object.
    fn params_taker<'v>(
        params: &'v mut Vec<Param>,
    ) -> impl FnMut(&Self, &str, Node<'_, '_>) -> Result<bool> + 'v {
        move |p, name, c| {
            if name != "param" {
                return Ok(false);
            }
            params.push(p.param(c)?);
            Ok(true)
        }
    }

    fn param(&self, node: Node<'_, '_>) -> Result<Param> {
        self.empty(node)?;
        Ok(Param {
            name: self.required(node, "name")?,
            value: self.required_value_or_expr(node, &["value", "expr"])?,
            valuetype: self.string(node, "valuetype"),
            type_: self.string(node, "type"),
            span: self.span_of(node),
        })
    }

    fn subdialog(&self, node: Node<'_, '_>) -> Result<Subdialog> {
        let mut params = Vec::new();
        let input = self.input_parts(node, &["filled"], Self::params_taker(&mut params))?;
        Ok(Subdialog {
            common: self.item_common(node),
            src: self.required_value_or_expr(node, &SRC)?,
            namelist: self.namelist(node).unwrap_or_default(),
            method: self.method(node)?,
            enctype: self.string(node, "enctype"),
            fetch: self.fetch_attrs(node)?,
            params,
            input,
        })
    }

    fn record(&self, node: Node<'_, '_>) -> Result<Record> {
        Ok(Record {
            common: self.item_common(node),
            modal: self.bool_attr(node, "modal", true)?,
            beep: self.bool_attr(node, "beep", false)?,
            maxtime: self.time_attr(node, "maxtime")?,
            finalsilence: self.time_attr(node, "finalsilence")?,
            dtmfterm: self.bool_attr(node, "dtmfterm", true)?,
            type_: self.string(node, "type"),
            input: self.input_parts(node, &["filled", "grammar"], |_, _, _| Ok(false))?,
        })
    }

    fn transfer(&self, node: Node<'_, '_>) -> Result<Transfer> {
        self.exclusive(node, &["bridge", "type"])?;
        let kind = match self.keyword(
            node,
            "type",
            "blind, bridge or consultation",
            &[
                ("blind", TransferType::Blind),
                ("bridge", TransferType::Bridge),
                ("consultation", TransferType::Consultation),
            ],
        )? {
            Some(kind) => kind,
            None if self.bool_attr(node, "bridge", false)? => TransferType::Bridge,
            None => TransferType::Blind,
        };
        Ok(Transfer {
            common: self.item_common(node),
            dest: self.value_or_expr(node, ["dest", "destexpr"])?,
            kind,
            connecttimeout: self.time_attr(node, "connecttimeout")?,
            maxtime: self.time_attr(node, "maxtime")?,
            transferaudio: self.string(node, "transferaudio"),
            aai: self.value_or_expr(node, ["aai", "aaiexpr"])?,
            input: self.input_parts(node, &["filled", "grammar"], |_, _, _| Ok(false))?,
        })
    }

    fn object(&self, node: Node<'_, '_>) -> Result<Object> {
        let mut params = Vec::new();
        let input = self.input_parts(node, &["filled"], Self::params_taker(&mut params))?;
        Ok(Object {
            common: self.item_common(node),
            classid: self.string(node, "classid"),
            codebase: self.string(node, "codebase"),
            codetype: self.string(node, "codetype"),
            data: self.string(node, "data"),
            type_: self.string(node, "type"),
            archive: self.string(node, "archive"),
            fetch: self.fetch_attrs(node)?,
            params,
            input,
        })
    }

    fn filled(&self, node: Node<'_, '_>) -> Result<Filled> {
        Ok(Filled {
            mode: self
                .keyword(
                    node,
                    "mode",
                    "all or any",
                    &[("all", FilledMode::All), ("any", FilledMode::Any)],
                )?
                .unwrap_or_default(),
            namelist: self.namelist(node),
            content: self.executable(node)?,
            span: self.span_of(node),
        })
    }

    fn menu(&self, node: Node<'_, '_>) -> Result<Menu> {
        let mut menu = Menu {
            id: self.string(node, "id"),
            scope: self.scope(node)?.unwrap_or_default(),
            dtmf: self.bool_attr(node, "dtmf", false)?,
            accept: self.accept(node)?.unwrap_or_default(),
            prompts: Vec::new(),
            choices: Vec::new(),
            catches: Vec::new(),
            properties: Vec::new(),
            scripts: Vec::new(),
            span: self.span_of(node),
        };
        let mut bare = BarePrompt::default();
        for child in children(node) {
            if self.bare_prompt_child(&child, &mut bare)? {
                continue;
            }
            let Child::El(name, c) = child else { continue };
            if let Some(p) = bare.take() {
                menu.prompts.push(p);
            }
            match name {
                "prompt" => menu.prompts.push(self.prompt(c)?),
                "choice" => menu.choices.push(self.choice(c)?),
                "property" => menu.properties.push(self.property(c)?),
                "script" => menu.scripts.push(self.script(c)?),
                _ => match self.catch(name, c)? {
                    Some(h) => menu.catches.push(h),
                    None => return Err(self.unexpected(name, c, node)),
                },
            }
        }
        if let Some(p) = bare.take() {
            menu.prompts.push(p);
        }
        Ok(menu)
    }

    fn choice(&self, node: Node<'_, '_>) -> Result<Choice> {
        let mut grammar = None;
        let mut content = Vec::new();
        for child in children(node) {
            match child {
                Child::El("grammar", c) => {
                    if grammar.is_some() {
                        return Err(self.error(
                            c,
                            ParseErrorKind::Duplicate {
                                element: "grammar".into(),
                                name: "(a choice has at most one)".into(),
                            },
                        ));
                    }
                    grammar = Some(self.grammar(c)?);
                }
                Child::El(name @ ("audio" | "value" | "enumerate"), c) => {
                    content.push(self.prompt_node(name, c)?);
                }
                Child::El(name, c) => return Err(self.unexpected(name, c, node)),
                Child::Text(t, _) => content.push(PromptNode::Text(t.to_string())),
            }
        }
        Ok(Choice {
            target: self.link_target(node)?,
            dtmf: self.string(node, "dtmf"),
            accept: self.accept(node)?,
            fetch: self.fetch_attrs(node)?,
            grammar,
            content,
            span: self.span_of(node),
        })
    }

    // ----- prompts -----------------------------------------------------------------

    /// Collects bare text, `<audio>`, `<value>` and `<enumerate>` (the
    /// `%audio;` content of VoiceXML's DTD) into `bare`; returns whether it did.
    fn bare_prompt_child(&self, child: &Child<'_, '_>, bare: &mut BarePrompt) -> Result<bool> {
        match *child {
            Child::Text(t, c) => {
                bare.push_text(t, self.span_of(c));
                Ok(true)
            }
            Child::El(name @ ("audio" | "value" | "enumerate"), c) => {
                bare.push(self.prompt_node(name, c)?, self.span_of(c));
                Ok(true)
            }
            Child::El(..) => Ok(false),
        }
    }

    fn prompt(&self, node: Node<'_, '_>) -> Result<Prompt> {
        Ok(Prompt {
            bargein: self.typed(node, "bargein", "true or false", parse_bool)?,
            bargeintype: self.keyword(
                node,
                "bargeintype",
                "speech or hotword",
                &[
                    ("speech", BargeInType::Speech),
                    ("hotword", BargeInType::Hotword),
                ],
            )?,
            cond: self.expr(node, "cond"),
            count: self.count_attr(node)?,
            timeout: self.time_attr(node, "timeout")?,
            lang: self.lang(node),
            content: self.prompt_content(node)?,
            implicit: false,
            span: self.span_of(node),
        })
    }

    /// The mixed content of a prompt (or of audio fallback, SSML containers…).
    /// A `<prompt>` inside it is a tolerated slip: its content is spoken in
    /// place.
    fn prompt_content(&self, node: Node<'_, '_>) -> Result<Vec<PromptNode>> {
        let mut out = Vec::new();
        for child in children(node) {
            match child {
                Child::Text(t, _) => out.push(PromptNode::Text(t.to_string())),
                Child::El("prompt", c) => {
                    let parent = node.tag_name().name().to_string();
                    self.slip(c, Slip::NestedPrompt { parent });
                    out.extend(self.prompt_content(c)?);
                }
                Child::El(name, c) => out.push(self.prompt_node(name, c)?),
            }
        }
        Ok(out)
    }

    /// One element of prompt content.
    fn prompt_node(&self, name: &str, node: Node<'_, '_>) -> Result<PromptNode> {
        let span = self.span_of(node);
        Ok(match name {
            "value" => {
                self.empty(node)?;
                PromptNode::Value {
                    expr: self.required_expr(node, "expr")?,
                    span,
                }
            }
            "audio" => {
                // VoiceXML 2.0 names the pair src/expr.
                PromptNode::Audio(Audio {
                    src: self.required_value_or_expr(node, &["src", "expr"])?,
                    fetch: self.fetch_attrs(node)?,
                    fallback: self.prompt_content(node)?,
                    span,
                })
            }
            "break" => {
                self.empty(node)?;
                PromptNode::Break {
                    time: self.time_attr(node, "time")?,
                    strength: self.keyword(
                        node,
                        "strength",
                        "none, x-weak, weak, medium, strong or x-strong",
                        &[
                            ("none", BreakStrength::None),
                            ("x-weak", BreakStrength::XWeak),
                            ("weak", BreakStrength::Weak),
                            ("medium", BreakStrength::Medium),
                            ("strong", BreakStrength::Strong),
                            ("x-strong", BreakStrength::XStrong),
                        ],
                    )?,
                    span,
                }
            }
            "mark" => {
                self.empty(node)?;
                PromptNode::Mark {
                    name: self.required_value_or_expr(node, &["name", "nameexpr"])?,
                    span,
                }
            }
            "enumerate" => PromptNode::Enumerate {
                content: self.prompt_content(node)?,
                span,
            },
            "foreach" => PromptNode::Foreach(Foreach {
                array: self.required_expr(node, "array")?,
                item: self.required(node, "item")?,
                content: self.prompt_content(node)?,
                span,
            }),
            _ => match SsmlKind::from_name(name) {
                Some(kind) => PromptNode::Ssml(Ssml {
                    kind,
                    attributes: node
                        .attributes()
                        .map(|a| (a.name().to_string(), a.value().to_string()))
                        .collect(),
                    children: self.prompt_content(node)?,
                    span,
                }),
                None => {
                    let parent = node.parent_element().unwrap_or(node);
                    return Err(self.unexpected(name, node, parent));
                }
            },
        })
    }

    // ----- executable content ------------------------------------------------------

    /// The executable content of `node` (block, filled, catch, if branch…).
    fn executable(&self, node: Node<'_, '_>) -> Result<Vec<Executable>> {
        let mut out = Vec::new();
        let mut bare = BarePrompt::default();
        for child in children(node) {
            self.executable_child(child, node, &mut out, &mut bare)?;
        }
        bare.flush_into(&mut out);
        Ok(out)
    }

    fn executable_child(
        &self,
        child: Child<'_, '_>,
        parent: Node<'_, '_>,
        out: &mut Vec<Executable>,
        bare: &mut BarePrompt,
    ) -> Result<()> {
        if self.bare_prompt_child(&child, bare)? {
            return Ok(());
        }
        let Child::El(name, node) = child else {
            return Ok(());
        };
        bare.flush_into(out);
        let span = self.span_of(node);
        let statement = match name {
            "var" => Executable::Var(self.var(node)?),
            "assign" => {
                self.empty(node)?;
                Executable::Assign(Assign {
                    name: self.required(node, "name")?,
                    expr: self.required_expr(node, "expr")?,
                    span,
                })
            }
            "clear" => {
                self.empty(node)?;
                Executable::Clear(Clear {
                    namelist: self.namelist(node),
                    span,
                })
            }
            "if" => Executable::If(self.if_(node)?),
            "prompt" => Executable::Prompt(self.prompt(node)?),
            "reprompt" => {
                self.empty(node)?;
                Executable::Reprompt(span)
            }
            "goto" => Executable::Goto(self.goto(node)?),
            "submit" => Executable::Submit(self.submit(node)?),
            "exit" => {
                self.empty(node)?;
                self.exclusive(node, &["expr", "namelist"])?;
                let value = match (self.expr(node, "expr"), self.namelist(node)) {
                    (Some(e), _) => ExitValue::Expr(e),
                    (None, Some(names)) => ExitValue::Namelist(names),
                    (None, None) => ExitValue::None,
                };
                Executable::Exit(Exit { value, span })
            }
            "return" => Executable::Return(self.return_(node)?),
            "disconnect" => {
                self.empty(node)?;
                Executable::Disconnect(Disconnect {
                    namelist: self.namelist(node).unwrap_or_default(),
                    span,
                })
            }
            "script" => Executable::Script(self.script(node)?),
            "log" => Executable::Log(self.log(node)?),
            "throw" => {
                self.empty(node)?;
                Executable::Throw(Throw {
                    event: self.required_value_or_expr(node, &EVENT)?,
                    message: self.value_or_expr(node, MESSAGE)?,
                    span,
                })
            }
            "data" => Executable::Data(self.data(node)?),
            "foreach" => Executable::Foreach(Foreach {
                array: self.required_expr(node, "array")?,
                item: self.required(node, "item")?,
                content: self.executable(node)?,
                span,
            }),
            _ => return Err(self.unexpected(name, node, parent)),
        };
        out.push(statement);
        Ok(())
    }

    /// `<if>`: its children up to each `<elseif>`/`<else>` form one branch.
    fn if_(&self, node: Node<'_, '_>) -> Result<If> {
        let mut branches = Vec::new();
        let mut current = Branch {
            cond: self.required_expr(node, "cond")?,
            content: Vec::new(),
            span: self.span_of(node),
        };
        let mut else_: Option<Vec<Executable>> = None;
        let mut bare = BarePrompt::default();
        for child in children(node) {
            match child {
                Child::El(sep @ ("elseif" | "else"), c) => {
                    self.empty(c)?;
                    if else_.is_some() {
                        return Err(self.error(
                            c,
                            ParseErrorKind::Misplaced {
                                element: sep.to_string(),
                                parent: "if (after <else>)".into(),
                            },
                        ));
                    }
                    bare.flush_into(&mut current.content);
                    if sep == "elseif" {
                        let next = Branch {
                            cond: self.required_expr(c, "cond")?,
                            content: Vec::new(),
                            span: self.span_of(c),
                        };
                        branches.push(std::mem::replace(&mut current, next));
                    } else {
                        else_ = Some(Vec::new());
                    }
                }
                child => {
                    let target = else_.as_mut().unwrap_or(&mut current.content);
                    self.executable_child(child, node, target, &mut bare)?;
                }
            }
        }
        match else_.as_mut() {
            Some(content) => bare.flush_into(content),
            None => bare.flush_into(&mut current.content),
        }
        branches.push(current);
        Ok(If {
            branches,
            else_,
            span: self.span_of(node),
        })
    }

    fn goto(&self, node: Node<'_, '_>) -> Result<Goto> {
        const ALL: &[&str] = &["next", "expr", "nextitem", "expritem"];
        self.empty(node)?;
        self.exclusive(node, ALL)?;
        let target = match (
            self.value_or_expr(node, ["next", "expr"])?,
            self.value_or_expr(node, ["nextitem", "expritem"])?,
        ) {
            (Some(uri), _) => GotoTarget::Uri(uri),
            (None, Some(item)) => GotoTarget::Item(item),
            (None, None) => return Err(self.missing_one_of(node, ALL)),
        };
        Ok(Goto {
            target,
            fetch: self.fetch_attrs(node)?,
            span: self.span_of(node),
        })
    }

    fn submit(&self, node: Node<'_, '_>) -> Result<Submit> {
        self.empty(node)?;
        Ok(Submit {
            next: self.required_value_or_expr(node, &["next", "expr"])?,
            namelist: self.namelist(node),
            method: self.method(node)?,
            enctype: self.string(node, "enctype"),
            fetch: self.fetch_attrs(node)?,
            span: self.span_of(node),
        })
    }

    fn return_(&self, node: Node<'_, '_>) -> Result<Return> {
        self.empty(node)?;
        self.exclusive(node, &["event", "eventexpr", "namelist"])?;
        let message = self.value_or_expr(node, MESSAGE)?;
        let value = match self.value_or_expr(node, EVENT)? {
            Some(event) => ReturnValue::Event { event, message },
            None => {
                if message.is_some() {
                    return Err(self.error(
                        node,
                        ParseErrorKind::MissingOneOf {
                            element: "return".into(),
                            attributes: &["event", "eventexpr"],
                        },
                    ));
                }
                ReturnValue::Namelist(self.namelist(node).unwrap_or_default())
            }
        };
        Ok(Return {
            value,
            span: self.span_of(node),
        })
    }

    fn log(&self, node: Node<'_, '_>) -> Result<Log> {
        let mut content = Vec::new();
        for child in children(node) {
            match child {
                Child::Text(t, _) => content.push(LogPart::Text(t.to_string())),
                Child::El("value", c) => {
                    self.empty(c)?;
                    content.push(LogPart::Value(self.required_expr(c, "expr")?));
                }
                Child::El(name, c) => return Err(self.unexpected(name, c, node)),
            }
        }
        Ok(Log {
            label: self.string(node, "label"),
            expr: self.expr(node, "expr"),
            content,
            span: self.span_of(node),
        })
    }
}

/// Executable content found directly in a `<form>` (a tolerated slip),
/// gathered into the anonymous `<block>` it runs as.
#[derive(Default)]
struct StrayBlock {
    open: Option<(Span, Vec<Executable>, BarePrompt)>,
}

impl StrayBlock {
    /// The block's content so far, opening it at `span` if need be.
    fn open(&mut self, span: Span) -> (&mut Vec<Executable>, &mut BarePrompt) {
        let (_, out, bare) = self
            .open
            .get_or_insert_with(|| (span, Vec::new(), BarePrompt::default()));
        (out, bare)
    }

    /// Ends the block, if one is open, as the form's next item.
    fn close_into(&mut self, children: &mut Vec<FormChild>) {
        if let Some((span, mut content, mut bare)) = self.open.take() {
            bare.flush_into(&mut content);
            children.push(FormChild::Item(FormItem::Block(Block {
                common: ItemCommon {
                    name: String::new(),
                    anonymous: true,
                    expr: None,
                    cond: None,
                    span,
                },
                content,
            })));
        }
    }
}

/// A run of bare prompt content being gathered into one implicit prompt.
#[derive(Default)]
struct BarePrompt {
    nodes: Vec<PromptNode>,
    span: Option<Span>,
}

impl BarePrompt {
    fn push(&mut self, node: PromptNode, span: Span) {
        self.span.get_or_insert(span);
        self.nodes.push(node);
    }

    /// Whitespace only counts between bare items, never to start a prompt.
    fn push_text(&mut self, text: &str, span: Span) {
        if !self.nodes.is_empty() || !is_blank(text) {
            self.push(PromptNode::Text(text.to_string()), span);
        }
    }

    /// The gathered prompt, if any, leaving this empty.
    fn take(&mut self) -> Option<Prompt> {
        while matches!(self.nodes.last(), Some(PromptNode::Text(t)) if is_blank(t)) {
            self.nodes.pop();
        }
        let span = self.span.take()?;
        if self.nodes.is_empty() {
            return None;
        }
        Some(Prompt {
            bargein: None,
            bargeintype: None,
            cond: None,
            count: 1,
            timeout: None,
            lang: None,
            content: std::mem::take(&mut self.nodes),
            implicit: true,
            span,
        })
    }

    fn flush_into(&mut self, out: &mut Vec<Executable>) {
        if let Some(p) = self.take() {
            out.push(Executable::Prompt(p));
        }
    }
}

/// Gives every anonymous form item a name no explicit name takes:
/// `$vxb_<kind>_<position>` (VoiceXML 2.0 §2.1.2: "an internal name is generated").
fn name_anonymous_items(children: &mut [FormChild], explicit: &HashSet<String>) {
    for (position, child) in children.iter_mut().enumerate() {
        let FormChild::Item(item) = child else {
            continue;
        };
        let kind = item.element_name();
        let common = item.common_mut();
        if !common.anonymous {
            continue;
        }
        let mut name = format!("$vxb_{kind}_{}", position + 1);
        while explicit.contains(&name) {
            name.push('_');
        }
        common.name = name;
    }
}
