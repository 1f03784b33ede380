//! The compiled form of a grammar: rules whose bodies are nodes in one flat
//! arena. Owned, immutable, `Send + Sync`: one compiled grammar is stored as
//! the parsed form of its cache entry and shared by every call.

use std::fmt;

use url::Url;

use super::builtin::Builtin;
use super::error::Pos;

/// The input mode a grammar matches (SRGS `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Voice,
    Dtmf,
}

impl Mode {
    /// `voice` or `dtmf`, as in SRGS and in `application.lastresult$.inputmode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Voice => "voice",
            Mode::Dtmf => "dtmf",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a grammar's `<tag>`s are read (SISR 1.0 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagFormat {
    /// `semantics/1.0`: tags are ECMAScript run with `out`, `rules` and `meta`.
    Script,
    /// `semantics/1.0-literals`: a tag's (trimmed) text is the rule's value.
    Literals,
}

/// Index of a node in [`Grammar::nodes`].
pub(crate) type NodeId = u32;
/// Index of a rule in [`Grammar::rules`].
pub(crate) type RuleId = u32;

/// A compiled grammar: an SRGS grammar, or a builtin one (whose root rule is
/// a single native matcher).
#[derive(Debug)]
pub struct Grammar {
    pub(crate) url: Url,
    pub(crate) mode: Mode,
    pub(crate) tag_format: TagFormat,
    pub(crate) lang: Option<Box<str>>,
    pub(crate) root: RuleId,
    /// Where the grammar starts when it named no root and the compiler
    /// chose one (a slip production browsers accept; the interpreter warns
    /// of it, or refuses it under `strict`); `None` when it named its root.
    pub(crate) root_missing: Option<Pos>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) tags: Vec<Tag>,
    /// Tags directly under `<grammar>`: run once, before the rules' tags.
    pub(crate) header_tags: Vec<u32>,
    pub(crate) externals: Vec<ExternalRef>,
}

#[derive(Debug)]
pub(crate) struct Rule {
    pub name: Box<str>,
    pub public: bool,
    /// False for the hidden rule that stands for a `<ruleref uri="builtin:…">`:
    /// it has a name (for `rules.digits`) but no `<rule id>` to be found by.
    pub declared: bool,
    pub body: NodeId,
    pub at: Pos,
}

#[derive(Debug)]
pub(crate) struct Tag {
    pub text: Box<str>,
    pub at: Pos,
}

/// A `<ruleref>` to another grammar, resolved when the grammar is linked.
#[derive(Debug)]
pub(crate) struct ExternalRef {
    /// The referenced grammar, without fragment.
    pub url: Url,
    /// The rule named by the fragment; `None`: the grammar's root rule.
    pub rule: Option<Box<str>>,
    pub at: Pos,
}

#[derive(Debug)]
pub(crate) enum Node {
    /// Consecutive tokens, by key; never empty.
    Words(Box<[Box<str>]>),
    Seq(Box<[NodeId]>),
    /// `<one-of>`: the items in document order.
    Alt(Box<[NodeId]>),
    /// `<item repeat>`; `max: None` is unbounded.
    Repeat {
        body: NodeId,
        min: u32,
        max: Option<u32>,
    },
    Rule(RuleId),
    External(u32),
    Tag(u32),
    Null,
    Void,
    Garbage,
    Builtin(Box<Builtin>),
}

impl Grammar {
    /// The grammar's URL (for an inline grammar, its document's URL).
    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn tag_format(&self) -> TagFormat {
        self.tag_format
    }

    /// The grammar's `xml:lang`, if it has one.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// Whether the grammar named its root rule (`root`), rather than the
    /// compiler taking the first rule.
    pub fn root_declared(&self) -> bool {
        self.root_missing.is_none()
    }

    /// Where a grammar that named no root starts (its `<grammar>` element
    /// or `#ABNF` header); `None` when it named its root.
    pub fn root_missing_at(&self) -> Option<Pos> {
        self.root_missing
    }

    /// The name of the root rule.
    pub fn root_rule(&self) -> &str {
        self.rules
            .get(self.root as usize)
            .map(|r| &*r.name)
            .unwrap_or("")
    }

    /// The grammars this one references by `<ruleref uri>` (absolute, without
    /// fragment, each once, in document order): what the interpreter fetches
    /// before linking (see [`super::ActiveGrammar::link`]). A fetched
    /// grammar's own references come from its own `external_refs`.
    pub fn external_refs(&self) -> Vec<Url> {
        let mut out: Vec<Url> = Vec::new();
        for e in &self.externals {
            if !out.contains(&e.url) {
                out.push(e.url.clone());
            }
        }
        out
    }

    /// The index of the public rule or root rule a reference names.
    pub(crate) fn find_rule(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.declared && &*r.name == name)
            .and_then(|i| u32::try_from(i).ok())
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        // Node ids are only ever made by the compiler for this grammar.
        &self.nodes[id as usize]
    }

    pub(crate) fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grammar_can_be_shared_across_threads() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<Grammar>();
        shared::<std::sync::Arc<Grammar>>();
    }
}
