//! The caching fetcher: every byte a call reads comes through here.
//!
//! It is the one place where the pure cache policy (`cache::policy`), the
//! byte store (`cache::store`) and the I/O layer (`fetch::{http, file,
//! cookies}`) meet. The pieces:
//!
//! - [`Fetcher`]: one per process, shared by every call (`Arc`). It owns the
//!   configuration, the clock, the store, the HTTP client, the cookie jars,
//!   the `file:` root and the single-flight table.
//! - [`CallFetcher`]: one per call (or per proxied request). It carries the
//!   call's [`CallId`] (private responses are stored for it alone and dropped
//!   when it ends), its cookie jar, and the [`FetchRecord`]s of its fetches.
//! - [`FetchRequest`] in, [`Fetched`] out: the final response (stored or
//!   not) as a cache [`Entry`], the decision, the final URL, the redirects.
//!
//! # One fetch, step by step (http and https GET)
//!
//! Each hop (the URL, then each redirect target) is looked up under
//! `(type, URL without fragment)`; [`policy::decide`] with the request's
//! directives says what to do with a stored copy:
//! - fresh → **hit**; stale but within `maxstale` → **stale**; stale
//!   within the response's `stale-while-revalidate` (a shared entry) →
//!   **stale**, and one background task per URL revalidates it (RFC 5861);
//! - needs revalidation → a conditional request (`If-None-Match` /
//!   `If-Modified-Since`, plus `Cookie` and the request `Cache-Control`);
//!   304 → **revalidated** (headers merged, age reset, `<meta>` still wins);
//!   200 → **refreshed**;
//! - nothing usable, no validators → a plain request → **miss** when the
//!   answer is stored, **bypass** when it is not ([`policy::storability`]:
//!   `no-store`, too large, no freshness information, an error status…);
//! - the origin failing (connection, timeout, broken body, 5xx) with a stored
//!   copy → **stale** when [`policy::stale_if_error_allows`], else the error.
//!
//! A response that is stored but `private` (or carries `Set-Cookie` without
//! `public`) is stored for the fetching call only.
//!
//! `Vary` is matched against the caller's request headers (plus the
//! request `Cache-Control`), without the `Cookie` the call's jar adds, while
//! the stored key records the headers as sent: a `Vary: Cookie` response
//! fetched with a cookie is therefore never reused — conservative, and rare
//! for a voice application.
//!
//! # Why the parser is called by the fetcher
//!
//! A [`BodyParser`] passed with the request parses a new body *before* it is
//! stored: a body that does not parse is never stored (the fetch fails with
//! the parser's event), its `<meta http-equiv>` headers are merged over the
//! response's before storability and freshness are decided (spec §3,
//! precedence 2), and its parsed form is kept in [`Entry::parsed`] (as a
//! [`ParsedBody`], references included) so that a hit never parses again.
//! A stored body met without a parsed form (stored by a fetch that passed no
//! parser) is parsed on use and the form kept; its metas then only inform,
//! they no longer change how it was stored. One resource type is expected to
//! be parsed by one parser: the parsed form is per entry, not per parser.
//!
//! # Single flight
//!
//! While one request for `(type, URL)` is on its way to the origin (a miss
//! or a revalidation), other calls asking for it wait for that request
//! instead of sending their own (`singleflight`). When it lands:
//! - a response stored for every call is served to each waiting call as a
//!   **hit** — it did not contact the origin, and the statistics count it so
//!   (one origin request: one miss or revalidation, the rest hits);
//! - a private or unstored response is not theirs to reuse: each waiting
//!   call then asks the origin itself;
//! - an origin failure is shared: each waiting call falls back on its own
//!   stale copy if `stale_if_error` allows, else fails with the same error;
//! - a leader that vanished (its call hung up) wakes its followers, and one
//!   of them leads a new flight.
//!
//! A waiting call still honours its own timeout. POSTs never coalesce.
//!
//! # Redirects
//!
//! Followed here, hop by hop, up to `fetch.max_redirects`, each hop through
//! the cache: a storable redirect (301/308, or 302/307 with explicit
//! freshness) is stored under the URL that answered it, so the next fetch
//! follows it without asking the origin. 303 — and 301/302 after a POST, as
//! browsers do — continue as GET. The reported decision is the final
//! response's; the hops are listed in [`Fetched::redirects`].
//!
//! # Error statuses
//!
//! 4xx and 5xx are stored only when the origin gives them explicit
//! freshness (`max-age`, `s-maxage`, `Expires`; RFC 9111 §3), never with a
//! heuristic lifetime: without it, an application developer checking their
//! server sees each 404 go to the origin; with it, the origin is asked once
//! and every use of the stored 404 is still a 404.
//! [`CallFetcher::fetch_response`] returns them as responses (the proxy
//! passes them on); [`CallFetcher::fetch`], the VoiceXML path, turns them
//! into [`FetchError::Status`] (`error.badfetch.http.NNN`).
//!
//! # POST and forwarded methods
//!
//! Never stored, never coalesced; a POST removes every stored copy of its
//! URL (and of a same-origin `Location` / `Content-Location` of the answer),
//! whatever the answer (RFC 9111 §4.4, spec §3). Decision: **bypass**.
//! [`FetchMethod::Forward`] (the proxy's PUT, DELETE, PATCH, OPTIONS…) goes
//! the same way: other unsafe methods invalidate when the answer is 2xx or
//! 3xx, or when the exchange failed; safe ones never do.
//!
//! [`FetchMethod::Forward`]: super::request::FetchMethod::Forward
//!
//! # `file:` URLs
//!
//! Confined to the file root, refused when the referrer came over http(s).
//! Each use stats the file: the stored copy (and its parsed form) is a
//! **hit** while the (modification time, size) stamp is unchanged; a changed
//! file is read again (**refreshed**; **miss** the first time). `maxage` and
//! `maxstale` do not apply: a file's stamp is a better validator than any
//! lifetime, and reading it is cheap. Files are not coalesced for the same
//! reason.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::StatusCode;
use http::header::{HeaderMap, HeaderName};
use url::Url;

use super::cookies::{CookieJar, Cookies};
use super::error::FetchError;
use super::file::FileRoot;
use super::hop::{Ctx, FlightKey, Landing};
use super::http::HttpClient;
use super::outcome::Outcome;
use super::parse::{BodyParser, ParsedBody};
use super::record::FetchRecord;
use super::record::{Failure, FetchResult};
use super::request::FetchRequest;
use super::singleflight::{Flights, Running};
use super::status::CacheStatus;
use super::tier::{TierDecision, TierStatus};
use crate::cache::policy::{self, NotStored};
use crate::cache::store::{CallId, Rejected, Store};
use crate::cache::{Decision, Entry};
use crate::clock::Clock;
use crate::clock::Millis;
use crate::config::{CacheConfig, Config};
use crate::resource::ResourceType;

/// The process's fetcher: shared by every call, safe to use from any number
/// of tasks.
#[derive(Debug)]
pub struct Fetcher {
    pub(super) config: Arc<Config>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) store: Arc<Store>,
    pub(super) http: HttpClient,
    pub(super) cookies: Cookies,
    pub(super) file_root: Option<FileRoot>,
    pub(super) flights: Flights<FlightKey, Landing>,
    /// Calls placed so far through [`Fetcher::call`], so each is traced
    /// with the number the user counts it by (the first call is call 1).
    calls: AtomicU64,
    /// The background revalidations running (stale-while-revalidate).
    pub(super) background: Running<FlightKey>,
}

/// Why a response was not stored (the decision was bypass).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotCached {
    /// The policy said no (`no-store`, too large, no freshness
    /// information, a POST…).
    #[error("{0}")]
    Policy(NotStored),
    /// The store refused it (the type's cache disabled, or the body larger
    /// than the type's whole budget).
    #[error("{0}")]
    Refused(Rejected),
    /// The request said `only-if-cached` and nothing stored could serve it:
    /// the answer is a 504 made here, the origin was not asked.
    #[error("only-if-cached, and no usable stored response")]
    OnlyIfCached,
}

/// A completed fetch.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL asked for, as given.
    pub url: Url,
    /// Where the body came from, after redirects: resolve the body's relative
    /// references against it. Carries the request's fragment unless a
    /// redirect named its own (RFC 9110 §10.2.2).
    pub final_url: Url,
    pub rtype: ResourceType,
    /// What the cache did for the final response: its decision, and why it
    /// was not stored if it was not.
    pub outcome: Outcome,
    /// The final response: status, headers (with `<meta http-equiv>`
    /// merged), times, body. The very entry the cache holds unless the
    /// decision is bypass.
    pub entry: Arc<Entry>,
    /// The parser's form of the body, with its references and metas (from
    /// the cache on a hit).
    pub parsed: Option<Arc<ParsedBody>>,
    /// The redirects followed, in order.
    pub redirects: Vec<Redirect>,
}

/// One redirect followed on the way to the final response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The URL that answered with the redirect.
    pub url: Url,
    pub status: StatusCode,
    /// Whether the redirect itself came from the cache.
    pub decision: Decision,
}

impl Fetched {
    /// The cache decision for the final response.
    pub fn decision(&self) -> Decision {
        self.outcome.decision()
    }

    /// Why the final response was not stored, if it was not.
    pub fn not_cached(&self) -> Option<&NotCached> {
        self.outcome.not_cached()
    }

    /// The final HTTP status (200 for `file:`).
    pub fn status(&self) -> StatusCode {
        self.entry.response.status
    }

    /// The final response's headers, `<meta http-equiv>` merged over them.
    pub fn headers(&self) -> &HeaderMap {
        &self.entry.response.headers
    }

    /// The body: a shared handle, never a copy.
    pub fn body(&self) -> &Bytes {
        &self.entry.body
    }

    /// The parser's form, as a `T` if that is what it is.
    pub fn parsed_as<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.parsed.as_ref()?.parsed_as::<T>()
    }

    /// The resources the body references, as the parser resolved them.
    pub fn references(&self) -> &[(ResourceType, String)] {
        self.parsed.as_ref().map_or(&[], |p| &p.references)
    }

    /// What the shared tier (a caching proxy on the way) did, when this
    /// fetch went to the network and the response says. A response from
    /// this cache (hit, stale) carries the tier's word from when it was
    /// stored, which is not about this fetch.
    pub fn tier(&self) -> Option<TierStatus> {
        match self.decision() {
            Decision::Miss | Decision::Revalidated | Decision::Refreshed | Decision::Bypass => {
                TierStatus::from_headers(self.headers())
            }
            Decision::Hit | Decision::Stale => None,
        }
    }

    /// The response's current age (RFC 9111 §4.2.3) at `now`: the proxy's
    /// `Age` header. `targets`: the cache's `targeted` fields, with which the
    /// entry's headers are parsed once for every later use.
    pub fn age(&self, now: SystemTime, targets: &[HeaderName]) -> Duration {
        policy::age_of(self.entry.caching(targets), &self.entry.response, now)
    }

    /// This cache's `Cache-Status` member (RFC 9211) for the final response
    /// at `now`: derived from the outcome, with the remaining freshness
    /// (`ttl`, negative when stale) when the cache holds or served it.
    pub fn cache_status(&self, now: SystemTime, cache: &CacheConfig) -> CacheStatus {
        let held = self.outcome.stored() || self.decision().served_from_cache();
        let ttl = held.then(|| {
            let h = self.entry.caching(&cache.targeted);
            let response = &self.entry.response;
            let lifetime = policy::lifetime_parsed(h, response, cache, self.rtype);
            let age = policy::age_of(h, response, now);
            let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            secs(lifetime).saturating_sub(secs(age))
        });
        CacheStatus::of(&self.outcome, self.status(), ttl)
    }
}

impl Fetcher {
    /// A fetcher with an empty cache. `file:` URLs are confined to
    /// `fetch.file_root` when the configuration sets one, else to
    /// `default_file_root` (the directory of the start document or scenario),
    /// else refused.
    pub fn new(
        config: Arc<Config>,
        clock: Arc<dyn Clock>,
        default_file_root: Option<&std::path::Path>,
    ) -> Result<Arc<Fetcher>, FetchError> {
        let root = config.fetch.file_root.as_deref().or(default_file_root);
        let file_root = root.map(FileRoot::new).transpose()?;
        Ok(Arc::new(Fetcher {
            store: Arc::new(Store::new(&config.cache)),
            http: HttpClient::new(Arc::clone(&clock), &config.fetch)?,
            cookies: Cookies::new(&config.cookies),
            file_root,
            flights: Flights::default(),
            calls: AtomicU64::new(0),
            background: Running::default(),
            clock,
            config,
        }))
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The cache: statistics, listing, invalidation.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The directory `file:` URLs are confined to, if any.
    pub fn file_root(&self) -> Option<&FileRoot> {
        self.file_root.as_ref()
    }

    /// How many `(type, URL)`s have a request in flight right now.
    pub fn in_flight(&self) -> usize {
        self.flights.in_flight()
    }

    /// The fetcher of a new call, with the call's cookie jar (a fresh one,
    /// or the process's with `cookies.scope = "shared"`).
    pub fn call(self: &Arc<Self>) -> CallFetcher {
        let number = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let jar = self.cookies.for_call();
        self.call_with(CallLabel::Call(number), Some(jar))
    }

    /// The fetcher of the `[preload]` pass: a call of its own, not counted
    /// among the calls the user places.
    pub(super) fn preload_call(self: &Arc<Self>) -> CallFetcher {
        let jar = self.cookies.for_call();
        self.call_with(CallLabel::Preload, Some(jar))
    }

    /// The fetcher of one proxied request: no cookie jar (the proxy forwards
    /// its client's `Cookie` and returns `Set-Cookie` to it), and private
    /// responses die with the request — a shared cache stores none.
    pub fn proxy_call(self: &Arc<Self>) -> CallFetcher {
        self.call_with(CallLabel::Proxy, None)
    }

    fn call_with(self: &Arc<Self>, label: CallLabel, jar: Option<Arc<CookieJar>>) -> CallFetcher {
        CallFetcher {
            call: self.store.new_call(),
            label,
            fetcher: Arc::clone(self),
            jar,
            records: Mutex::new(Vec::new()),
            kept_private: AtomicBool::new(false),
        }
    }
}

/// How a trace names the call a fetch was made for. The store's
/// [`CallId`] is unique in the process (so private entries never mix);
/// this is the number a user counts calls by — `vxb run`'s call is call 1,
/// a scenario's calls are 1, 2, … in step order — or, for fetches made for
/// no call of the user's, what they were made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallLabel {
    /// The n-th call placed through this fetcher, from 1.
    Call(u64),
    /// The `[preload]` pass before any call.
    Preload,
    /// One request through `vxb proxy`.
    Proxy,
}

impl fmt::Display for CallLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallLabel::Call(n) => write!(f, "{n}"),
            CallLabel::Preload => f.write_str("preload"),
            CallLabel::Proxy => f.write_str("proxy"),
        }
    }
}

/// One call's view of the fetcher. Dropping it ends the call: its private
/// cache entries are dropped with it.
#[derive(Debug)]
pub struct CallFetcher {
    pub(super) fetcher: Arc<Fetcher>,
    pub(super) call: CallId,
    /// How traces name the call.
    label: CallLabel,
    pub(super) jar: Option<Arc<CookieJar>>,
    records: Mutex<Vec<FetchRecord>>,
    /// Whether anything was stored for this call alone. A call that kept
    /// nothing private ends without the store's sweep of every type (a lock
    /// per type), which a proxied request, one call each, would otherwise
    /// pay on every hit.
    pub(super) kept_private: AtomicBool,
}

impl Drop for CallFetcher {
    fn drop(&mut self) {
        if *self.kept_private.get_mut() {
            self.fetcher.store.end_call(self.call);
        }
    }
}

impl CallFetcher {
    /// Ends the call now (as dropping it does).
    pub fn end(self) {}

    /// The call's id (private entries are stored under it).
    pub fn id(&self) -> CallId {
        self.call
    }

    /// How traces name the call: its number among the calls placed through
    /// this fetcher, or what it fetches for.
    pub fn label(&self) -> CallLabel {
        self.label
    }

    pub fn fetcher(&self) -> &Arc<Fetcher> {
        &self.fetcher
    }

    /// The call's cookie jar (`None` for a proxied request).
    pub fn jar(&self) -> Option<&Arc<CookieJar>> {
        self.jar.as_ref()
    }

    /// The records of every fetch so far, in order.
    pub fn records(&self) -> Vec<FetchRecord> {
        self.lock_records().clone()
    }

    /// The records so far, leaving none behind.
    pub fn take_records(&self) -> Vec<FetchRecord> {
        std::mem::take(&mut *self.lock_records())
    }

    fn lock_records(&self) -> MutexGuard<'_, Vec<FetchRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fetches for the VoiceXML interpreter: a 4xx or 5xx answer is an error
    /// ([`FetchError::Status`], `error.badfetch.http.NNN`).
    pub async fn fetch(
        &self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_recorded(req, parser, true).await
    }

    /// Fetches and returns whatever status the origin answered (the proxy's
    /// path). Only a fetch that produced no response is an error.
    pub async fn fetch_response(
        &self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_recorded(req, parser, false).await
    }

    async fn fetch_recorded(
        &self,
        req: &FetchRequest,
        parser: Option<&dyn BodyParser>,
        statuses_are_errors: bool,
    ) -> Result<Fetched, FetchError> {
        let started = std::time::Instant::now();
        let cx = Ctx::new(self, req, parser);
        let result = cx.run(req).await;
        let elapsed = started.elapsed();
        // A 4xx/5xx on the VoiceXML path is a failure, but its record still
        // says what the cache did with it.
        let result = match result {
            Ok(f)
                if statuses_are_errors
                    && (f.status().is_client_error() || f.status().is_server_error()) =>
            {
                let e = FetchError::status(&f.final_url, f.status());
                Err((Some(f), e))
            }
            Ok(f) => Ok(f),
            Err(e) => Err((None, e)),
        };
        let failure = |e: &FetchError| Failure {
            error: e.to_string(),
            event: e.event(),
            diagnostic: e.diagnostic().map(|d| d.render()),
        };
        let (fetched, outcome) = match &result {
            Ok(f) => (
                Some(f),
                FetchResult::Delivered {
                    decision: f.decision(),
                    status: f.status().as_u16(),
                },
            ),
            Err((Some(f), e)) => (
                Some(f),
                FetchResult::Refused {
                    decision: f.decision(),
                    status: f.status().as_u16(),
                    failure: failure(e),
                },
            ),
            Err((None, e)) => (None, FetchResult::Failed(failure(e))),
        };
        let record = FetchRecord {
            url: req.url.to_string(),
            final_url: fetched.map_or_else(|| req.url.to_string(), |f| f.final_url.to_string()),
            rtype: req.rtype,
            method: req.method.name(),
            result: outcome,
            tier: fetched.and_then(Fetched::tier),
            bytes: fetched.map_or(0, |f| f.body().len() as u64),
            elapsed,
            redirects: fetched.map_or(0, |f| f.redirects.len() as u32),
        };
        if let Some(decision) = record.decision() {
            self.fetcher.store.record(req.rtype, decision);
        }
        if record.tier.as_ref().map(|t| t.decision) == Some(TierDecision::Hit) {
            self.fetcher.store.record_tier_hit(req.rtype);
        }
        // Fields a fetch does not have (no tier, no status, no error) are
        // left out rather than written empty.
        let final_url = (record.final_url != record.url).then_some(&record.final_url);
        tracing::info!(
            target: "vxb::fetch",
            call = %self.label,
            url = %record.url,
            final_url = final_url.map(tracing::field::display),
            rtype = %record.rtype,
            decision = record.decision().map(|d| tracing::field::display(d.as_str())),
            tier = record.tier.as_ref().map(|t| tracing::field::display(t.decision.as_str())),
            status = record.status(),
            bytes = record.bytes,
            elapsed = %Millis(record.elapsed),
            error = record.error().map(tracing::field::display),
            "fetch"
        );
        self.lock_records().push(record);
        result.map_err(|(_, e)| e)
    }
}
