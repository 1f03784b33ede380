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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use url::Url;

use crate::audio;
use crate::fetch::{BodyParser, ParseFailure, ParsedBody, effective_base, resolve};
use crate::resource::ResourceType;
use crate::vxml::{
    self, Declaration, Dialog, Document, FormChild, Script, ScriptSource, ValueOrExpr,
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
        let doc = vxml::parse(body, url.as_str()).map_err(|e| {
            ParseFailure::new(format!("column {}: {}", e.span.column, e.kind)).at_line(e.span.line)
        })?;
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
    fn parse(&self, _url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        self.decodes.fetch_add(1, Ordering::Relaxed);
        audio::decode(body)
            .map(ParsedBody::new)
            .map_err(|e| ParseFailure::new(format!("cannot play: {e}")))
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
        assert!(m.contains("column"), "{m}");
        let body = Bytes::from_static(
            b"<vxml version=\"2.1\">\n  <form>\n    <blink/>\n  </form>\n</vxml>",
        );
        let m = p
            .parse(&url("http://h/bad.vxml"), &body)
            .expect_err("unknown element")
            .to_string();
        assert_eq!(m, "line 3: column 5: <blink> is not a VoiceXML element");
        assert_eq!(p.parses(), 2);
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
