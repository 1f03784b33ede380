//! The parse hooks the interpreter hands the fetcher, so that what the cache
//! keeps is already parsed and a hit never parses again:
//!
//! - [`VxmlParser`]: VoiceXML documents and application roots → an
//!   `Arc<vxml::Document>`, with the document's `<meta http-equiv>` pairs
//!   (which the fetcher lays over the response headers before it decides
//!   storability: spec §3, precedence 2) and the resources it references —
//!   its application root (`context`) and its literal `<script src>`s
//!   (`script`), resolved against the document URL and `xml:base` — which
//!   is what [`Fetcher::preload`](crate::fetch::Fetcher::preload) follows.
//! - [`AudioParser`]: WAVE bytes → decoded audio.
//!
//! Scripts are fetched without a parser: compiling is per script engine
//! (one per call), not something the shared cache can hold.
//!
//! A refused document fails the fetch with `error.badfetch`, its message
//! naming URL, line, column and cause.
//!
//! [`prefetches`] lists what a document marks `fetchhint="prefetch"`
//! (VoiceXML 2.0 §6.1.1): the `<audio>` and `<script>` sources `nav`
//! fetches when the document is loaded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use url::Url;

use crate::audio;
use crate::fetch::{BodyParser, ParseFailure, ParsedBody, effective_base, resolve};
use crate::resource::ResourceType;
use crate::vxml::{
    self, Catch, Declaration, Dialog, Document, Executable, FetchAttrs, FetchHint, Filled,
    FormChild, FormItem, InputParts, Prompt, PromptNode, Script, ScriptSource, ValueOrExpr,
};

/// Parses VoiceXML documents for the cache, counting its parses (a test of
/// the cache's "a hit never parses" reads the count).
#[derive(Debug, Default)]
pub struct VxmlParser {
    parses: AtomicU64,
}

impl VxmlParser {
    pub fn new() -> VxmlParser {
        VxmlParser::default()
    }

    /// How many bodies this parser has parsed (successfully or not).
    pub fn parses(&self) -> u64 {
        self.parses.load(Ordering::Relaxed)
    }
}

impl BodyParser for VxmlParser {
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        self.parses.fetch_add(1, Ordering::Relaxed);
        let doc = vxml::parse(body, url.as_str())
            .map_err(|e| ParseFailure::from_diagnostic(e.diagnostic()))?;
        let references = references(&doc, url);
        Ok(ParsedBody {
            http_equiv: doc.http_equiv.clone(),
            references,
            parsed: Arc::new(doc),
        })
    }
}

/// The application root and the literal `<script src>`s of the document and
/// its dialogs, resolved. A reference that does not resolve is left out:
/// the interpreter reports it when (if) the call reaches it.
fn references(doc: &Document, url: &Url) -> Vec<(ResourceType, String)> {
    let Ok(base) = effective_base(url, doc.base.as_deref()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |rtype: ResourceType, reference: &str| {
        if let Ok(mut u) = resolve(&base, reference) {
            u.set_fragment(None);
            let u = String::from(u);
            if !out.iter().any(|(t, x)| *t == rtype && *x == u) {
                out.push((rtype, u));
            }
        }
    };
    if let Some(app) = &doc.application {
        add(ResourceType::Context, app);
    }
    let form_scripts = doc.dialogs.iter().flat_map(|d| -> Vec<&Script> {
        match d {
            Dialog::Form(f) => f
                .children
                .iter()
                .filter_map(|c| match c {
                    FormChild::Declaration(Declaration::Script(s)) => Some(s),
                    _ => None,
                })
                .collect(),
            Dialog::Menu(m) => m.scripts.iter().collect(),
        }
    });
    let doc_scripts = doc.declarations.iter().filter_map(|d| match d {
        Declaration::Script(s) => Some(s),
        _ => None,
    });
    for script in doc_scripts.chain(form_scripts) {
        if let ScriptSource::Src(ValueOrExpr::Literal(src)) = &script.source {
            add(ResourceType::Script, src);
        }
    }
    out
}

/// A resource a document may fetch as soon as it is loaded.
#[derive(Debug, PartialEq)]
pub(crate) struct Prefetch<'a> {
    pub rtype: ResourceType,
    /// The URI as written (resolve against the document's base).
    pub src: &'a str,
    pub fetch: &'a FetchAttrs,
}

/// The `<audio>` and `<script>` elements of `doc` with a literal source
/// whose `fetchhint` — the attribute, else `default` for the element's
/// resource type (the `audiofetchhint` / `scriptfetchhint` property) — is
/// `prefetch`, in document order, each source once. Sources given by an
/// expression are left out: they need the call's state, so they are
/// fetched when needed, whatever the hint.
pub(crate) fn prefetches(
    doc: &Document,
    default: impl Fn(ResourceType) -> FetchHint,
) -> Vec<Prefetch<'_>> {
    let mut walk = Walk {
        default,
        out: Vec::new(),
    };
    walk.document(doc);
    walk.out
}

/// A walk over every place a document can hold `<audio>` or `<script>`.
struct Walk<'a, F> {
    default: F,
    out: Vec<Prefetch<'a>>,
}

impl<'a, F: Fn(ResourceType) -> FetchHint> Walk<'a, F> {
    fn add(&mut self, rtype: ResourceType, src: &'a ValueOrExpr, fetch: &'a FetchAttrs) {
        let hint = fetch.fetchhint.unwrap_or_else(|| (self.default)(rtype));
        if let (FetchHint::Prefetch, ValueOrExpr::Literal(src)) = (hint, src)
            && !self.out.iter().any(|p| p.rtype == rtype && p.src == src)
        {
            self.out.push(Prefetch { rtype, src, fetch });
        }
    }

    fn document(&mut self, doc: &'a Document) {
        self.declarations(&doc.declarations);
        self.catches(&doc.catches);
        for dialog in &doc.dialogs {
            match dialog {
                Dialog::Form(f) => {
                    for child in &f.children {
                        match child {
                            FormChild::Declaration(d) => self.declarations(std::slice::from_ref(d)),
                            FormChild::Item(item) => self.item(item),
                        }
                    }
                    self.filled(&f.filled);
                    self.catches(&f.catches);
                }
                Dialog::Menu(m) => {
                    for script in &m.scripts {
                        self.script(script);
                    }
                    self.prompts(&m.prompts);
                    for choice in &m.choices {
                        self.nodes(&choice.content);
                    }
                    self.catches(&m.catches);
                }
            }
        }
    }

    fn declarations(&mut self, decls: &'a [Declaration]) {
        for d in decls {
            if let Declaration::Script(s) = d {
                self.script(s);
            }
        }
    }

    fn script(&mut self, s: &'a Script) {
        if let ScriptSource::Src(src) = &s.source {
            self.add(ResourceType::Script, src, &s.fetch);
        }
    }

    fn item(&mut self, item: &'a FormItem) {
        if let FormItem::Block(b) = item {
            self.content(&b.content);
        }
        if let Some(input) = item.input() {
            self.input(input);
        }
    }

    fn input(&mut self, input: &'a InputParts) {
        self.prompts(&input.prompts);
        self.catches(&input.catches);
        self.filled(&input.filled);
    }

    fn catches(&mut self, catches: &'a [Catch]) {
        for c in catches {
            self.content(&c.content);
        }
    }

    fn filled(&mut self, filled: &'a [Filled]) {
        for f in filled {
            self.content(&f.content);
        }
    }

    fn prompts(&mut self, prompts: &'a [Prompt]) {
        for p in prompts {
            self.nodes(&p.content);
        }
    }

    fn content(&mut self, content: &'a [Executable]) {
        for e in content {
            match e {
                Executable::Script(s) => self.script(s),
                Executable::Prompt(p) => self.nodes(&p.content),
                Executable::If(i) => {
                    for branch in &i.branches {
                        self.content(&branch.content);
                    }
                    if let Some(otherwise) = &i.else_ {
                        self.content(otherwise);
                    }
                }
                Executable::Foreach(f) => self.content(&f.content),
                _ => {}
            }
        }
    }

    fn nodes(&mut self, nodes: &'a [PromptNode]) {
        for n in nodes {
            match n {
                PromptNode::Audio(a) => {
                    self.add(ResourceType::Audio, &a.src, &a.fetch);
                    self.nodes(&a.fallback);
                }
                PromptNode::Enumerate { content, .. } => self.nodes(content),
                PromptNode::Foreach(f) => self.nodes(&f.content),
                PromptNode::Ssml(s) => self.nodes(&s.children),
                _ => {}
            }
        }
    }
}

/// Decodes `<audio>` clips for the cache: the decoded samples are kept with
/// the entry, so a clip is decoded once however often it plays. Counts its
/// decodes, as [`VxmlParser`] counts its parses.
#[derive(Debug, Default)]
pub struct AudioParser {
    decodes: AtomicU64,
}

impl AudioParser {
    /// How many bodies this parser has decoded (successfully or not).
    pub fn decodes(&self) -> u64 {
        self.decodes.load(Ordering::Relaxed)
    }
}

impl BodyParser for AudioParser {
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        self.parse_typed(url, None, body)
    }

    /// The type tells headerless G.711 apart; the URL's extension stands in
    /// when there is no type worth reading.
    fn parse_typed(
        &self,
        url: &Url,
        content_type: Option<&str>,
        body: &Bytes,
    ) -> Result<ParsedBody, ParseFailure> {
        self.decodes.fetch_add(1, Ordering::Relaxed);
        let hint = audio::Hint {
            content_type,
            path: Some(url.path()),
        };
        audio::decode_clip(body, hint)
            .map(ParsedBody::new)
            .map_err(|e| ParseFailure::new(format!("cannot play: {e}")).with_event(e.event()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn parses_documents_with_metas_and_references() {
        let p = VxmlParser::new();
        let body = Bytes::from_static(
            br#"<vxml version="2.1" application="../root.vxml" xml:base="http://h/app/sub/">
  <meta http-equiv="Cache-Control" content="max-age=60"/>
  <script src="lib.js"/>
  <script>var inline = 1;</script>
  <form><script src="/form.js#x"/><block/></form>
  <form id="b"><script src="lib.js"/><block/></form>
</vxml>"#,
        );
        let parsed = p
            .parse(&url("http://h/app/leaf.vxml"), &body)
            .expect("parses");
        assert_eq!(p.parses(), 1);
        assert_eq!(
            parsed.http_equiv,
            vec![("Cache-Control".to_string(), "max-age=60".to_string())]
        );
        assert_eq!(
            parsed.references,
            vec![
                (ResourceType::Context, "http://h/app/root.vxml".to_string()),
                (ResourceType::Script, "http://h/app/sub/lib.js".to_string()),
                (ResourceType::Script, "http://h/form.js".to_string()),
            ]
        );
        let doc = parsed.parsed_as::<Document>().expect("a Document");
        assert_eq!(doc.dialogs.len(), 2);
    }

    #[test]
    fn refusals_name_line_column_and_cause() {
        let p = VxmlParser::new();
        let body = Bytes::from_static(b"<vxml version=\"2.1\">\n  <form>\n    <blink/>\n");
        let e = p
            .parse(&url("http://h/bad.vxml"), &body)
            .expect_err("malformed")
            .into_fetch_error(&url("http://h/bad.vxml"));
        assert_eq!(e.event(), "error.badfetch");
        let m = e.to_string();
        assert!(m.starts_with("http://h/bad.vxml:"), "{m}");
        assert!(m.starts_with("http://h/bad.vxml:4:1: malformed XML"), "{m}");
        let body = Bytes::from_static(
            b"<vxml version=\"2.1\">\n  <form>\n    <blink/>\n  </form>\n</vxml>",
        );
        let f = p
            .parse(&url("http://h/bad.vxml"), &body)
            .expect_err("unknown element");
        assert_eq!(f.to_string(), "line 3:5: <blink> is not a VoiceXML element");
        // The fetch error keeps the rustc-like form, named by the URL.
        let e = f.into_fetch_error(&url("http://h/bad.vxml"));
        assert_eq!(
            e.diagnostic().map(|d| d.render()).as_deref(),
            Some(
                "error[error.badfetch]: <blink> is not a VoiceXML element\n  \
                 --> http://h/bad.vxml:3:5\n  \
                 |\n\
                 3 |     <blink/>\n  \
                 |     ^^^^^^\n  \
                 |\n  \
                 = help: did you mean `<link>`?\n\n"
            )
        );
        assert_eq!(p.parses(), 2);
    }

    #[test]
    fn prefetches_are_the_literal_audio_and_scripts_whose_hint_says_so() {
        let doc = vxml::parse_str(
            r##"<vxml version="2.1">
  <script src="doc.js" fetchhint="prefetch"/>
  <script src="safe.js"/>
  <catch event="x"><audio src="catch.wav" fetchhint="prefetch"/></catch>
  <form>
    <block>
      <if cond="true"><prompt><emphasis><audio src="deep.wav" fetchhint="prefetch">
        <audio src="fallback.wav"/></audio></emphasis></prompt></if>
      <audio expr="'expr.wav'" fetchhint="prefetch"/>
      <audio src="doc.js" fetchhint="prefetch"/>
    </block>
    <field name="f"><prompt><audio src="field.wav" fetchhint="safe"/></prompt>
      <filled><script src="filled.js" fetchhint="prefetch"/></filled></field>
  </form>
  <menu><prompt><audio src="menu.wav"/></prompt><choice next="#x">c</choice></menu>
</vxml>"##,
            "t.vxml",
        )
        .expect("parses");
        let list = |default: FetchHint| -> Vec<(ResourceType, String)> {
            prefetches(&doc, |_| default)
                .into_iter()
                .map(|p| (p.rtype, p.src.to_string()))
                .collect()
        };
        let a = |s: &str| (ResourceType::Audio, s.to_string());
        let sc = |s: &str| (ResourceType::Script, s.to_string());
        assert_eq!(
            list(FetchHint::Safe),
            vec![
                sc("doc.js"),
                a("catch.wav"),
                a("deep.wav"),
                a("doc.js"),
                sc("filled.js")
            ]
        );
        // With `prefetch` as the default, only an explicit `safe` holds back.
        assert_eq!(
            list(FetchHint::Prefetch),
            vec![
                sc("doc.js"),
                sc("safe.js"),
                a("catch.wav"),
                a("deep.wav"),
                a("fallback.wav"),
                a("doc.js"),
                sc("filled.js"),
                a("menu.wav")
            ]
        );
    }

    #[test]
    fn audio_is_decoded_or_refused() {
        let p = AudioParser::default();
        let e = p
            .parse(&url("http://h/a.wav"), &Bytes::from_static(b"not a wave"))
            .expect_err("not audio");
        assert_eq!(e.event, "error.badfetch");
        assert!(e.message.starts_with("cannot play"), "{}", e.message);
        assert_eq!(p.decodes(), 1);
    }
}
