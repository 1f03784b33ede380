//! What runs one simulated call: the [`CallDriver`] seam between the sweep
//! and whatever drives calls, and [`FetchDriver`], the driver that needs no
//! interpreter.
//!
//! The sweep owns concurrency, call numbering, stopping and measurement; a
//! driver only turns a [`CallPlan`] into a [`CallOutcome`]. Per budget point
//! the sweep builds a [`Fetcher`] (the point's cache) and hands it to
//! [`CallDriver::start_point`], which makes whatever every call of the point
//! shares — the fetcher itself here, a browser built around it for the
//! interpreter — as a voice browser's calls share one cache.
//!
//! # The fetch-level driver
//!
//! [`FetchDriver`] replays a plan's fetches in order through a
//! [`CallFetcher`](crate::fetch::CallFetcher), parsing each new body the way
//! the interpreter will — VoiceXML with [`crate::vxml::parse`], audio with
//! [`crate::audio::decode()`], data as XML — through the fetcher's parse hook,
//! so a cache hit skips the parse just as it will for the interpreter. It
//! runs no ECMAScript and no form interpretation: its CPU per call is the
//! cache and fetch layer's cost (HTTP, parsing, decoding, storing), an honest
//! cache-level benchmark and a lower bound for the full browser.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use url::Url;

use super::BenchError;
use super::app::CallPlan;
use crate::call::{CallEnd, CallReport};
use crate::fetch::{
    BodyParser, FetchRecord, FetchRequest, Fetcher, ParseFailure, ParsedBody, Referrer,
};
use crate::resource::ResourceType;

/// Runs simulated calls for the sweep.
pub trait CallDriver: Send + Sync + 'static {
    /// What the calls of one budget point share.
    type Point: Send + Sync + 'static;

    /// A short name for reports (`fetch`, …).
    fn name(&self) -> &'static str;

    /// Prepares a budget point around its `fetcher` (a fresh cache with the
    /// point's budgets). Not measured.
    fn start_point(&self, fetcher: Arc<Fetcher>) -> Result<Self::Point, BenchError>;

    /// Runs the call `plan` and says how it went. A call that fails is an
    /// outcome with an error, not a panic.
    fn run_call(
        &self,
        point: &Self::Point,
        plan: CallPlan,
    ) -> impl Future<Output = CallOutcome> + Send;
}

/// How one call went: all the sweep needs from it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallOutcome {
    /// Every fetch, with its cache decision.
    pub fetches: Vec<FetchRecord>,
    /// Wall time from the call's start to its end.
    pub elapsed: Duration,
    /// Why the call did not end as planned, if it did not.
    pub error: Option<String>,
}

impl CallOutcome {
    /// The outcome of an interpreted call. The benchmark application ends
    /// every call with `<exit/>`, so any other ending is an error.
    pub fn from_report(report: CallReport) -> CallOutcome {
        let error = match &report.ended {
            CallEnd::Exit => None,
            CallEnd::Error { event, message } => Some(format!("{event}: {message}")),
            other => Some(format!("the call ended by {}, not <exit>", other.kind())),
        };
        CallOutcome {
            fetches: report.fetches,
            elapsed: report.elapsed,
            error,
        }
    }
}

/// Replays a plan's fetches through the cache, parsing new bodies as the
/// interpreter would (see the module documentation).
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchDriver;

impl CallDriver for FetchDriver {
    type Point = Arc<Fetcher>;

    fn name(&self) -> &'static str {
        "fetch"
    }

    fn start_point(&self, fetcher: Arc<Fetcher>) -> Result<Arc<Fetcher>, BenchError> {
        Ok(fetcher)
    }

    fn run_call(
        &self,
        fetcher: &Arc<Fetcher>,
        plan: CallPlan,
    ) -> impl Future<Output = CallOutcome> + Send {
        let fetcher = Arc::clone(fetcher);
        async move {
            let started = Instant::now();
            let call = fetcher.call();
            let mut error = None;
            for (rtype, url) in plan.fetches {
                let request = FetchRequest::get(url, rtype, Referrer::User);
                // A failed fetch is error.badfetch for the interpreter, and
                // the benchmark application catches none: the call ends.
                if let Err(e) = call.fetch(&request, parser_for(rtype)).await {
                    error = Some(e.to_string());
                    break;
                }
            }
            CallOutcome {
                fetches: call.take_records(),
                elapsed: started.elapsed(),
                error,
            }
        }
    }
}

/// The parser the interpreter uses for a type, as far as the fetch-level
/// driver can stand in for it.
fn parser_for(rtype: ResourceType) -> Option<&'static dyn BodyParser> {
    match rtype {
        ResourceType::Document | ResourceType::Context => Some(&VxmlParser),
        ResourceType::Audio => Some(&AudioParser),
        ResourceType::Data => Some(&XmlParser),
        // Scripts are compiled by the script engine, grammars by the
        // grammar compiler: interpreter work, not cache work.
        ResourceType::Script | ResourceType::Grammar => None,
    }
}

struct VxmlParser;

impl BodyParser for VxmlParser {
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        let doc = crate::vxml::parse(body, url.as_str())
            .map_err(|e| ParseFailure::new(e.kind.to_string()).at_line(e.span.line))?;
        let http_equiv = doc.http_equiv.clone();
        let mut parsed = ParsedBody::new(doc);
        parsed.http_equiv = http_equiv;
        Ok(parsed)
    }
}

struct AudioParser;

impl BodyParser for AudioParser {
    fn parse(&self, _url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        // The benchmark's clips are WAVE: their magic says so.
        crate::audio::decode(body)
            .map(ParsedBody::new)
            .map_err(|e| ParseFailure::new(e.to_string()))
    }
}

/// `<data>` bodies: well-formed XML, kept as its element count (the DOM is
/// the interpreter's to build).
struct XmlParser;

impl BodyParser for XmlParser {
    fn parse(&self, _url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        let text = std::str::from_utf8(body).map_err(|e| ParseFailure::new(e.to_string()))?;
        let doc = roxmltree::Document::parse(text)
            .map_err(|e| ParseFailure::new(e.to_string()).at_line(e.pos().row))?;
        Ok(ParsedBody::new(
            doc.descendants().filter(|n| n.is_element()).count(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::PromptRecord;

    #[test]
    fn an_outcome_from_a_report() {
        let ok = CallReport {
            elapsed: Duration::from_millis(5),
            ..CallReport::default()
        };
        let outcome = CallOutcome::from_report(ok);
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.elapsed, Duration::from_millis(5));

        let failed = CallReport {
            ended: CallEnd::Error {
                event: "error.badfetch".into(),
                message: "main.vxml: HTTP 404".into(),
            },
            ..CallReport::default()
        };
        assert_eq!(
            CallOutcome::from_report(failed).error.as_deref(),
            Some("error.badfetch: main.vxml: HTTP 404")
        );
        let hung_up = CallReport {
            ended: CallEnd::Hangup,
            prompts: vec![PromptRecord::Text {
                text: "x".into(),
                duration: Duration::ZERO,
            }],
            ..CallReport::default()
        };
        assert!(
            CallOutcome::from_report(hung_up)
                .error
                .is_some_and(|e| e.contains("hangup"))
        );
    }

    #[test]
    fn parsers_keep_what_the_interpreter_needs_and_refuse_bad_bodies() {
        let url = Url::parse("http://h/x").expect("url");
        let doc = Bytes::from_static(
            br#"<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml"><meta http-equiv="Cache-Control" content="max-age=9"/><form><block/></form></vxml>"#,
        );
        let parsed = VxmlParser.parse(&url, &doc).expect("parses");
        assert!(parsed.parsed_as::<crate::vxml::Document>().is_some());
        assert_eq!(
            parsed.http_equiv,
            vec![("Cache-Control".to_string(), "max-age=9".to_string())]
        );
        assert!(
            VxmlParser
                .parse(&url, &Bytes::from_static(b"<vxml"))
                .is_err()
        );

        let data = XmlParser
            .parse(&url, &Bytes::from_static(b"<a><b/><c/></a>"))
            .expect("parses");
        assert_eq!(data.parsed_as::<usize>().as_deref(), Some(&3));
        assert!(XmlParser.parse(&url, &Bytes::from_static(b"<a>")).is_err());

        let mut rng = fastrand::Rng::with_seed(1);
        let wav = Bytes::from(super::super::wav::tone(800, 440.0, &mut rng));
        let audio = AudioParser.parse(&url, &wav).expect("decodes");
        assert_eq!(
            audio
                .parsed_as::<crate::audio::DecodedAudio>()
                .map(|a| a.frames()),
            Some(800)
        );
        assert!(
            AudioParser
                .parse(&url, &Bytes::from_static(b"RIFF"))
                .is_err()
        );
        assert!(parser_for(ResourceType::Script).is_none());
    }
}
