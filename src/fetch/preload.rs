//! Preload (spec §3 "Preload", 004 "Pre-loading documents"): before the first
//! call, every `[preload]` document is fetched and parsed into the cache,
//! with the application root (`context`) and the scripts it references, and
//! the scripts of that root in turn. A call that then reaches them finds
//! them parsed and fresh, and the origin hears nothing.
//!
//! Preload runs as a call of its own, ended when it is done: a private
//! response (one setting a cookie, say) belongs to no real call and is not
//! kept. Failures are reported per resource and never stop the others.

use std::sync::Arc;

use super::error::FetchError;
use super::fetcher::{CallFetcher, Fetched, Fetcher};
use super::location;
use super::parse::BodyParser;
use super::request::{FetchRequest, Referrer};
use crate::cache::Decision;
use crate::resource::ResourceType;

/// What preloading one resource did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreloadOutcome {
    /// The `[preload]` name the resource was reached from.
    pub name: String,
    /// The URL as configured or referenced.
    pub url: String,
    pub rtype: ResourceType,
    /// The cache decision, or why it failed.
    pub result: Result<Decision, FetchError>,
}

impl Fetcher {
    /// Preloads every `[preload]` document with `parser` (which also finds
    /// their references), in name order. Returns one outcome per resource.
    pub async fn preload(self: &Arc<Self>, parser: &dyn BodyParser) -> Vec<PreloadOutcome> {
        let call = self.preload_call();
        let mut out = Vec::new();
        for (name, url) in &self.config().preload {
            let mut preload = Preload {
                call: &call,
                parser,
                name,
                out: &mut out,
            };
            preload.document(url).await;
        }
        call.end();
        out
    }
}

/// One `[preload]` entry being worked through.
struct Preload<'a> {
    call: &'a CallFetcher,
    parser: &'a dyn BodyParser,
    name: &'a str,
    out: &'a mut Vec<PreloadOutcome>,
}

impl Preload<'_> {
    async fn document(&mut self, url: &str) {
        let Some(doc) = self
            .fetch(ResourceType::Document, url, Referrer::User)
            .await
        else {
            return;
        };
        for (rtype, reference) in doc.references().to_vec() {
            match rtype {
                ResourceType::Context => {
                    let Some(root) = self
                        .fetch(ResourceType::Context, &reference, document(&doc))
                        .await
                    else {
                        continue;
                    };
                    for (t, script) in root.references().to_vec() {
                        if t == ResourceType::Script {
                            self.fetch(t, &script, document(&root)).await;
                        }
                    }
                }
                ResourceType::Script => {
                    self.fetch(rtype, &reference, document(&doc)).await;
                }
                // Audio, grammars and data are fetched when a call needs them.
                _ => {}
            }
        }
    }

    /// Fetches one resource (parsing documents and contexts, not scripts),
    /// reports it, and returns it when it succeeded.
    async fn fetch(
        &mut self,
        rtype: ResourceType,
        url: &str,
        referrer: Referrer,
    ) -> Option<super::fetcher::Fetched> {
        let parser = match rtype {
            ResourceType::Document | ResourceType::Context => Some(self.parser),
            _ => None,
        };
        let result = match location::parse(url) {
            Ok(u) => {
                let req = FetchRequest::get(u, rtype, referrer);
                self.call.fetch(&req, parser).await
            }
            Err(e) => Err(e),
        };
        self.out.push(PreloadOutcome {
            name: self.name.to_string(),
            url: url.to_string(),
            rtype,
            result: result.as_ref().map(Fetched::decision).map_err(Clone::clone),
        });
        result.ok()
    }
}

/// The document `fetched` as the referrer of what it references.
fn document(fetched: &Fetched) -> Referrer {
    Referrer::Document(fetched.final_url.clone())
}
