//! `vxb lint`: an application loaded as a call would load it, checked
//! without placing a call.
//!
//! From each start document it follows every reference written literally —
//! `<vxml application>`, `next` of `<goto>`, `<submit>`, `<link>` and
//! `<choice>`, `src` of `<subdialog>`, `<script>`, `<grammar>`, `<audio>`
//! and `<data>`, and `fetchaudio` — fetching each resource through the
//! cache's fetcher (so `file:` confinement and HTTP behave as in a call),
//! and reports, each at file:line:column:
//!
//! - a document that does not parse as VoiceXML;
//! - a script (inline or fetched) with a syntax error, and an `expr`,
//!   `cond` or other `…expr` attribute that is not one ECMAScript
//!   expression;
//! - a grammar that does not compile;
//! - a `<data>` file that is not XML, an audio clip that cannot be decoded;
//! - a resource that cannot be fetched (at the reference naming it);
//! - a `#fragment` naming no dialog of its document;
//! - an `<assign>` to a variable declared nowhere in the application;
//! - under `strict` (`--strict`, `strict = true`), each schema slip a call
//!   would otherwise tolerate with a warning: a fetched grammar with no
//!   `root`, a `<log>` directly in a `<form>`, and the rest of the table in
//!   the docs.
//!
//! References made by expressions (`expr`, `srcexpr`, `namelist`) need a
//! running call and are not followed.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;

use url::Url;

use crate::fetch::location::{effective_base, resolve};
use crate::fetch::{CallFetcher, FetchRequest, Fetcher, Referrer};
use crate::grammar::{Grammar, GrammarError};
use crate::resource::ResourceType;
use crate::script::{ScriptError, check_expression_syntax, check_script_syntax};

/// One problem, where it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The file (a path for `file:` URLs) or URL.
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// `file:line:column: error: message`.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Where a reference was written.
#[derive(Clone, Debug)]
struct At {
    file: String,
    line: u32,
    column: u32,
}

impl At {
    fn finding(&self, message: impl Into<String>) -> Finding {
        Finding {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

/// What a lint run found, and what it looked at.
#[derive(Clone, Debug, Default)]
pub struct LintReport {
    /// Every problem, sorted by file and position.
    pub findings: Vec<Finding>,
    /// Every resource loaded, in the order loaded.
    pub loaded: Vec<(ResourceType, Url)>,
}

/// Loads the applications starting at `starts` and checks everything they
/// reference statically.
pub async fn lint(fetcher: &Arc<Fetcher>, starts: &[Url]) -> LintReport {
    let mut l = Linter {
        call: fetcher.call(),
        queue: VecDeque::new(),
        seen: HashSet::new(),
        dialogs: HashMap::new(),
        fragments: Vec::new(),
        declared: HashSet::new(),
        assigned: Vec::new(),
        report: LintReport::default(),
        strict: fetcher.config().strict,
    };
    for start in starts {
        l.enqueue(start.clone(), ResourceType::Document, None, Referrer::User);
    }
    while let Some((url, rtype, at, from)) = l.queue.pop_front() {
        l.load(url, rtype, at, from).await;
    }
    l.finish()
}

struct Linter {
    call: CallFetcher,
    queue: VecDeque<(Url, ResourceType, Option<At>, Referrer)>,
    seen: HashSet<(ResourceType, Url)>,
    /// The dialog ids of each VoiceXML document loaded.
    dialogs: HashMap<Url, BTreeSet<String>>,
    /// `doc#id` references to check once every document is loaded.
    fragments: Vec<(Url, String, At)>,
    /// Every variable name declared anywhere in the application.
    declared: HashSet<String>,
    /// Every `<assign name>`, with where it is.
    assigned: Vec<(String, At)>,
    report: LintReport,
    /// Schema slips are findings (`strict`), not tolerated.
    strict: bool,
}

/// What a file is called in findings: its path for `file:`, else its URL.
fn label(url: &Url) -> String {
    if url.scheme() == "file"
        && let Ok(path) = url.to_file_path()
    {
        let cwd = std::env::current_dir().unwrap_or_default();
        return path
            .strip_prefix(&cwd)
            .unwrap_or(&path)
            .display()
            .to_string();
    }
    url.to_string()
}

impl Linter {
    fn enqueue(&mut self, mut url: Url, rtype: ResourceType, at: Option<At>, from: Referrer) {
        url.set_fragment(None);
        if self.seen.insert((rtype, url.clone())) {
            self.queue.push_back((url, rtype, at, from));
        }
    }

    async fn load(&mut self, url: Url, rtype: ResourceType, at: Option<At>, from: Referrer) {
        let file = label(&url);
        let at = at.unwrap_or(At {
            file: file.clone(),
            line: 1,
            column: 1,
        });
        let fetched = self
            .call
            .fetch(&FetchRequest::get(url.clone(), rtype, from), None)
            .await;
        let fetched = match fetched {
            Ok(f) => f,
            Err(e) => {
                let finding = at.finding(format!("cannot load {rtype} {url}: {e} ({})", e.event()));
                self.report.findings.push(finding);
                return;
            }
        };
        self.report.loaded.push((rtype, url.clone()));
        let body = fetched.body().clone();
        let base = fetched.final_url.clone();
        match rtype {
            ResourceType::Document | ResourceType::Context => self.document(&base, &file, &body),
            ResourceType::Script => {
                let text = String::from_utf8_lossy(&body);
                self.script(&text, &file, 1, 1);
                self.declare_script_names(&text);
            }
            ResourceType::Grammar => {
                let text = String::from_utf8_lossy(&body);
                let compiled = Grammar::parse(&text, &base, None);
                if let Ok(g) = &compiled
                    && self.strict
                    && let Some(pos) = g.root_missing_at()
                {
                    self.report.findings.push(Finding {
                        file: file.clone(),
                        line: pos.line,
                        column: pos.column,
                        message: "<grammar> names no root rule: the schema requires `root` (`root $name;` in ABNF)".into(),
                    });
                }
                if let Err(e) = compiled {
                    let finding = match e {
                        GrammarError::Invalid { at: pos, cause, .. } => Finding {
                            file,
                            line: pos.line,
                            column: pos.column,
                            message: format!("grammar: {cause}"),
                        },
                        other => at.finding(format!("grammar {url}: {other}")),
                    };
                    self.report.findings.push(finding);
                }
            }
            ResourceType::Data => {
                let text = String::from_utf8_lossy(&body);
                if let Err(e) = roxmltree::Document::parse(&text) {
                    let pos = e.pos();
                    self.report.findings.push(Finding {
                        file,
                        line: pos.row,
                        column: pos.col,
                        message: format!("data is not XML: {e}"),
                    });
                }
            }
            ResourceType::Audio => {
                if let Err(e) = crate::audio::decode(&body) {
                    self.report
                        .findings
                        .push(at.finding(format!("audio {url} cannot be played: {e}")));
                }
            }
        }
    }

    /// A VoiceXML document: parsed as a call parses it, then walked for
    /// references, inline scripts, dialog ids and variables.
    fn document(&mut self, url: &Url, file: &str, body: &[u8]) {
        let refused = match crate::vxml::parse(body, url.as_str()) {
            Err(e) => vec![e],
            Ok(doc) if self.strict => doc.slips,
            Ok(_) => Vec::new(),
        };
        let parsed = !matches!(refused.first(), Some(e) if !matches!(e.kind, crate::vxml::ParseErrorKind::Slip(_)));
        for e in refused {
            self.report.findings.push(Finding {
                file: file.to_string(),
                line: e.span.line,
                column: e.span.column,
                message: e.kind.to_string(),
            });
        }
        if !parsed {
            return;
        }
        let text = String::from_utf8_lossy(body);
        // The VoiceXML parser accepted it, so it is well-formed XML within
        // the same budget.
        let Ok(xml) = crate::xml::parse(&text, crate::vxml::MAX_NODES) else {
            return;
        };
        let root = xml.root_element();
        let xml_base = root.attribute(("http://www.w3.org/XML/1998/namespace", "base"));
        let base = effective_base(url, xml_base).unwrap_or_else(|_| url.clone());
        let ids: BTreeSet<String> = root
            .children()
            .filter(|n| n.has_tag_name("form") || n.has_tag_name("menu"))
            .filter_map(|n| n.attribute("id").map(String::from))
            .collect();
        self.dialogs.insert(url.clone(), ids);
        let at = |node: roxmltree::Node, attr: Option<&str>| {
            let offset = attr
                .and_then(|a| node.attribute_node(a))
                .map_or(node.range().start, |a| a.range_value().start);
            let pos = xml.text_pos_at(offset);
            At {
                file: file.to_string(),
                line: pos.row,
                column: pos.col,
            }
        };
        for node in root.descendants().filter(|n| n.is_element()) {
            let tag = node.tag_name().name();
            let references: &[(&str, ResourceType)] = match tag {
                "vxml" => &[("application", ResourceType::Context)],
                "goto" | "submit" | "link" | "choice" => &[("next", ResourceType::Document)],
                "subdialog" => &[("src", ResourceType::Document)],
                "script" => &[("src", ResourceType::Script)],
                "grammar" => &[("src", ResourceType::Grammar)],
                "audio" => &[("src", ResourceType::Audio)],
                "data" => &[("src", ResourceType::Data)],
                _ => &[],
            };
            for (attr, rtype) in references {
                if let Some(value) = node.attribute(*attr) {
                    self.reference(&base, url, value, *rtype, at(node, Some(attr)));
                }
            }
            // Every attribute the interpreter evaluates as an expression:
            // `expr`, `cond`, and the `…expr` forms of the others.
            for attr in node.attributes() {
                let name = attr.name();
                if attr.namespace().is_none() && (name == "cond" || name.ends_with("expr")) {
                    let pos = xml.text_pos_at(attr.range_value().start);
                    self.expression(attr.value(), name, file, pos.row, pos.col);
                }
            }
            if let Some(value) = node.attribute("fetchaudio") {
                self.reference(
                    &base,
                    url,
                    value,
                    ResourceType::Audio,
                    at(node, Some("fetchaudio")),
                );
            }
            match tag {
                "script" if node.attribute("src").is_none() => {
                    let body: String = node
                        .children()
                        .filter_map(|c| c.text())
                        .collect::<Vec<_>>()
                        .concat();
                    if let Some(first) = node.first_child() {
                        let pos = xml.text_pos_at(first.range().start);
                        self.script(&body, file, pos.row, pos.col);
                    }
                    self.declare_script_names(&body);
                }
                "var" | "field" | "block" | "initial" | "subdialog" | "object" | "record"
                | "transfer" | "param" => {
                    if let Some(name) = node.attribute("name") {
                        self.declared.insert(name.to_string());
                    }
                }
                "foreach" => {
                    if let Some(item) = node.attribute("item") {
                        self.declared.insert(item.to_string());
                    }
                }
                "assign" => {
                    if let Some(name) = node.attribute("name") {
                        self.assigned
                            .push((name.to_string(), at(node, Some("name"))));
                    }
                }
                _ => {}
            }
        }
    }

    /// A reference as written: a `#fragment` of this document, or a URL
    /// to load (and, for a document, a fragment to check).
    fn reference(&mut self, base: &Url, doc: &Url, value: &str, rtype: ResourceType, at: At) {
        let value = value.trim();
        if rtype == ResourceType::Grammar && value.starts_with("builtin:") {
            return;
        }
        if let Some(id) = value.strip_prefix('#') {
            self.fragments.push((doc.clone(), id.to_string(), at));
            return;
        }
        match resolve(base, value) {
            Ok(target) => {
                if let Some(id) = target.fragment().filter(|f| !f.is_empty())
                    && rtype == ResourceType::Document
                {
                    let mut doc_url = target.clone();
                    doc_url.set_fragment(None);
                    self.fragments.push((doc_url, id.to_string(), at.clone()));
                }
                self.enqueue(target, rtype, Some(at), Referrer::Document(doc.clone()));
            }
            Err(e) => self
                .report
                .findings
                .push(at.finding(format!("bad reference `{value}`: {e}"))),
        }
    }

    /// A script's syntax, its positions made those of `file` (the script
    /// starts at `line`:`column` there).
    fn script(&mut self, text: &str, file: &str, line: u32, column: u32) {
        let checked = check_script_syntax(text);
        self.syntax(checked, "script syntax error", file, line, column);
    }

    /// An attribute's expression, its positions made those of `file` (its
    /// value starts at `line`:`column` there; exact for one-line values).
    fn expression(&mut self, text: &str, attr: &str, file: &str, line: u32, column: u32) {
        let checked = check_expression_syntax(text);
        let what = format!("`{attr}` is not an expression");
        self.syntax(checked, &what, file, line, column);
    }

    /// A syntax check's failure as a finding at its place in `file`.
    fn syntax(
        &mut self,
        checked: Result<(), ScriptError>,
        what: &str,
        file: &str,
        line: u32,
        column: u32,
    ) {
        let Err(e) = checked else {
            return;
        };
        let (l, c, message) = match e {
            ScriptError::Syntax {
                line: l,
                column: c,
                message,
                ..
            } => (l.max(1), c.max(1), message),
            other => (1, 1, other.to_string()),
        };
        let column = if l == 1 { column + c - 1 } else { c };
        self.report.findings.push(Finding {
            file: file.to_string(),
            line: line + l - 1,
            column,
            message: format!("{what}: {message}"),
        });
    }

    /// Names a script declares at its top: `var x`, `let x`, `const x`,
    /// `function f`. Enough to know an `<assign>` to them is no typo.
    fn declare_script_names(&mut self, text: &str) {
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            if matches!(pair[0], "var" | "let" | "const" | "function") {
                self.declared.insert(pair[1].to_string());
            }
        }
    }

    fn finish(mut self) -> LintReport {
        for (doc, id, at) in std::mem::take(&mut self.fragments) {
            // A document that did not load has its own finding already.
            if let Some(ids) = self.dialogs.get(&doc)
                && !ids.contains(&id)
            {
                let known: Vec<&str> = ids.iter().map(String::as_str).collect();
                self.report.findings.push(at.finding(format!(
                    "no dialog `{id}` in {} (its dialogs: {})",
                    label(&doc),
                    if known.is_empty() {
                        "none with an id".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        for (name, at) in std::mem::take(&mut self.assigned) {
            let bare = ["application.", "document.", "dialog.", "session."]
                .iter()
                .find_map(|scope| name.strip_prefix(scope))
                .unwrap_or(&name);
            let first = bare.split('.').next().unwrap_or(bare);
            if !self.declared.contains(first) && !is_platform_name(first) {
                self.report.findings.push(at.finding(format!(
                    "<assign> to `{name}`, which is declared nowhere (a <var>, form item or script declares a variable)"
                )));
            }
        }
        self.report.findings.sort();
        self.report.findings.dedup();
        self.report
    }
}

/// Variables the platform declares: `lastresult$` and the shadow
/// variables' owners are form items already; these are the rest.
fn is_platform_name(name: &str) -> bool {
    matches!(name, "lastresult$" | "_event" | "_message")
}
