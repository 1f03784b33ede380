//! What both grammar compilers fill: the arena of a [`Grammar`] (rules,
//! nodes, tags, external references) and the steps every form shares —
//! a hidden rule for a builtin reference, sorting a rule reference's URI
//! into "this grammar" or "another one", and the final checks. The XML
//! form (`srgs.rs`) and the ABNF form (`abnf.rs`) differ in syntax only.

use url::Url;

use super::builtin::Builtin;
use super::error::{GrammarError, Pos};
use super::link;
use super::model::{ExternalRef, Grammar, Mode, Node, NodeId, Rule, RuleId, Tag, TagFormat};
use crate::fetch::{FetchError, location};

/// The arena a compiler fills, then turns into a [`Grammar`].
#[derive(Default)]
pub(super) struct Builder {
    rules: Vec<Rule>,
    nodes: Vec<Node>,
    tags: Vec<Tag>,
    externals: Vec<ExternalRef>,
}

/// Where a rule reference's URI leads.
pub(super) enum Target {
    /// This very grammar: the named rule, or (no fragment) its root.
    Own(Option<String>),
    /// Another grammar, to be fetched and linked.
    Other { url: Url, rule: Option<String> },
}

/// What a grammar says of itself besides its rules.
pub(super) struct Header {
    pub url: Url,
    pub mode: Mode,
    pub tag_format: TagFormat,
    pub lang: Option<Box<str>>,
    pub root: RuleId,
    pub root_missing: Option<Pos>,
    pub header_tags: Vec<u32>,
}

/// An arena index. A grammar cannot hold 2^32 of anything: each compiler
/// bounds its input (nodes, tokens) far below.
fn index(len: usize) -> u32 {
    u32::try_from(len - 1).unwrap_or(u32::MAX)
}

impl Builder {
    pub fn node(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        index(self.nodes.len())
    }

    /// A rule whose body is filled later ([`Builder::set_body`]): rules are
    /// declared before any is compiled, since references may point forward.
    pub fn rule(&mut self, name: &str, public: bool, at: Pos) -> RuleId {
        self.push_rule(name.into(), public, true, 0, at)
    }

    fn push_rule(
        &mut self,
        name: Box<str>,
        public: bool,
        declared: bool,
        body: NodeId,
        at: Pos,
    ) -> RuleId {
        self.rules.push(Rule {
            name,
            public,
            declared,
            body,
            at,
        });
        index(self.rules.len())
    }

    pub fn set_body(&mut self, rule: RuleId, body: NodeId) {
        if let Some(r) = self.rules.get_mut(rule as usize) {
            r.body = body;
        }
    }

    /// The first public rule, else the first rule: the root of a grammar
    /// that names none (as production platforms choose it).
    pub fn default_root(&self) -> Option<RuleId> {
        let first_public = self.rules.iter().position(|r| r.public);
        first_public
            .or((!self.rules.is_empty()).then_some(0))
            .map(|r| u32::try_from(r).unwrap_or(u32::MAX))
    }

    pub fn tag(&mut self, text: &str, at: Pos) -> u32 {
        self.tags.push(Tag {
            text: text.into(),
            at,
        });
        index(self.tags.len())
    }

    /// A reference to a builtin grammar: a hidden rule named after it, so
    /// that its value arrives as `rules.digits` (say).
    pub fn builtin(&mut self, b: Builtin, at: Pos) -> NodeId {
        let name = b.name();
        let body = self.node(Node::Builtin(Box::new(b)));
        let rule = self.push_rule(name.into(), false, false, body, at);
        self.node(Node::Rule(rule))
    }

    /// A reference to a rule of another grammar, linked later.
    pub fn external(&mut self, url: Url, rule: Option<String>, at: Pos) -> NodeId {
        self.externals.push(ExternalRef {
            url,
            rule: rule.map(Into::into),
            at,
        });
        let ext = index(self.externals.len());
        self.node(Node::External(ext))
    }

    /// The finished grammar, once its local references are checked.
    pub fn finish(self, h: Header) -> Result<Grammar, GrammarError> {
        let grammar = Grammar {
            url: h.url,
            mode: h.mode,
            tag_format: h.tag_format,
            lang: h.lang,
            root: h.root,
            root_missing: h.root_missing,
            rules: self.rules,
            nodes: self.nodes,
            tags: self.tags,
            header_tags: h.header_tags,
            externals: self.externals,
        };
        link::check_local(&grammar)?;
        Ok(grammar)
    }
}

/// Where `uri` (a rule reference, not `builtin:`) leads from a grammar at
/// `own` whose references resolve against `base`.
pub(super) fn target(base: &Url, own: &Url, uri: &str) -> Result<Target, FetchError> {
    let mut url = location::resolve(base, uri)?;
    let rule = url.fragment().map(str::to_string);
    url.set_fragment(None);
    let mut own = own.clone();
    own.set_fragment(None);
    Ok(if url == own {
        Target::Own(rule)
    } else {
        Target::Other { url, rule }
    })
}
