//! One fetch through the cache, hop by hop: the flow the [`fetcher`] module
//! documents (lookup and policy, single flight, revalidation, storing,
//! stale-if-error, redirects, POST invalidation, `file:` stamps).
//!
//! [`fetcher`]: super::fetcher

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    self, CACHE_CONTROL, CONTENT_LOCATION, CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, LOCATION,
};
use http::{Method, StatusCode};
use tokio::time::Instant;
use url::Url;

use super::cookies::CookieJar;
use super::error::FetchError;
use super::fetcher::{CallFetcher, Fetched, Fetcher, NotCached, Redirect};
use super::file::{self, FileBody};
use super::http::{HttpRequest, HttpResponse, redirect_target};
use super::location::{self, Scheme};
use super::outcome::{Forward, Kept, Outcome};
use super::parse::{BodyParser, ParsedBody};
use super::request::{FetchMethod, FetchRequest, Referrer};
use super::singleflight::Join;
use crate::cache::headers;
use crate::cache::policy::{self, MaxStale, NotStored, RequestDirectives, Reuse, Storability};
use crate::cache::store::{CallId, Visibility};
use crate::cache::{Entry, Parsed, StoredResponse};
use crate::resource::ResourceType;

/// What a single flight is keyed by: the cache key.
pub(super) type FlightKey = (ResourceType, Arc<str>);

/// What a single flight's leader hands its followers.
#[derive(Clone, Debug)]
pub(super) enum Landing {
    /// The response is stored for every call: serve it.
    Shared(Arc<Entry>),
    /// Private, not stored, or refused by the leader's parser: not theirs to
    /// reuse, each follower asks the origin itself.
    NotShared,
    /// The origin failed: each follower falls back on its own stale copy or
    /// fails the same way.
    Failed(FetchError),
}

/// One hop: the response served and what the cache did.
struct Hop {
    entry: Arc<Entry>,
    outcome: Outcome,
    parsed: Option<Arc<ParsedBody>>,
}

/// A request sent with a body as it is (a POST, or a forwarded method).
struct Outgoing<'a> {
    method: &'a Method,
    body: &'a Bytes,
    /// Set by the fetcher (a `<submit>`'s encoding); a forwarded request
    /// carries its own in the caller's headers.
    content_type: Option<&'a HeaderValue>,
}

impl<'a> Outgoing<'a> {
    fn new(method: &'a Method, body: &'a Bytes) -> Self {
        Outgoing {
            method,
            body,
            content_type: None,
        }
    }

    fn content_type(self, content_type: &'a HeaderValue) -> Self {
        Outgoing {
            content_type: Some(content_type),
            ..self
        }
    }
}

/// Everything one fetch needs, worked out once.
pub(super) struct Ctx<'a> {
    f: &'a Fetcher,
    /// The same fetcher, owned: what a background revalidation runs on.
    owner: &'a Arc<Fetcher>,
    call: CallId,
    /// Set when something is stored for `call` alone (its end sweeps it).
    kept_private: &'a AtomicBool,
    jar: Option<&'a CookieJar>,
    rtype: ResourceType,
    directives: RequestDirectives,
    /// The caller's headers without conditionals, with `Cache-Control`
    /// carrying the directives: what lookups match `Vary` against.
    headers: HeaderMap,
    /// The caller's conditional headers: sent only by a
    /// [`FetchMethod::Forward`], whose answer is not kept.
    conditionals: HeaderMap,
    parser: Option<&'a dyn BodyParser>,
    timeout: Duration,
    deadline: Instant,
}

/// Conditional request headers a caller may not set: the fetcher sends its
/// own when it revalidates, and a stray one could earn a 304 (or 412) for a
/// body it does not hold.
const CONDITIONAL: [header::HeaderName; 5] = [
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_MATCH,
    header::IF_UNMODIFIED_SINCE,
    header::IF_RANGE,
];

impl<'a> Ctx<'a> {
    pub(super) fn new(
        call: &'a CallFetcher,
        req: &FetchRequest,
        parser: Option<&'a dyn BodyParser>,
    ) -> Self {
        let f = &*call.fetcher;
        let mut headers = req.headers.clone();
        let mut conditionals = HeaderMap::new();
        for name in &CONDITIONAL {
            if let header::Entry::Occupied(e) = headers.entry(name) {
                let (name, values) = e.remove_entry_mult();
                for v in values {
                    conditionals.append(name.clone(), v);
                }
            }
        }
        let mut directives = RequestDirectives::from_headers(&headers);
        // reqwest turns a URL's user name and password into `Authorization`.
        directives.authorized |= !req.url.username().is_empty() || req.url.password().is_some();
        if req.max_age.is_some() {
            directives.max_age = req.max_age;
        }
        if let Some(s) = req.max_stale {
            directives.max_stale = Some(MaxStale::Limit(s));
        }
        // Spec §3: maxage/maxstale also go out as request Cache-Control, so a
        // caching proxy on the way honours them as this cache would; a
        // forwarded Cache-Control already says what the client wants.
        if !headers.contains_key(CACHE_CONTROL)
            && let Some(v) = directives.for_tier(f.config.cache.maxage).to_header()
        {
            headers.insert(CACHE_CONTROL, v);
        }
        let timeout = req.timeout.unwrap_or(f.config.fetch.timeout);
        Ctx {
            f,
            owner: &call.fetcher,
            call: call.call,
            kept_private: &call.kept_private,
            jar: call.jar.as_deref(),
            rtype: req.rtype,
            directives,
            headers,
            conditionals,
            parser,
            timeout,
            deadline: Instant::now() + timeout,
        }
    }

    /// The fetch: hops until a response that is not a redirect to follow.
    pub(super) async fn run(&self, req: &FetchRequest) -> Result<Fetched, FetchError> {
        let mut fragment = req.url.fragment().map(str::to_string);
        let mut url = without_fragment(&req.url);
        let mut method = req.method.clone();
        let mut referrer = req.referrer.clone();
        let mut redirects = Vec::new();
        loop {
            let scheme = location::check_access(&referrer, &url)?;
            let hop = match (&method, scheme) {
                // A static file answers a submit like a GET (as `vxb serve` does).
                (_, Scheme::File) => self.file_hop(&url).await?,
                (FetchMethod::Get, _) => self.get_hop(&url).await?,
                (FetchMethod::Post { content_type, body }, _) => {
                    let out = Outgoing::new(&Method::POST, body).content_type(content_type);
                    self.send_hop(&url, out).await?
                }
                (FetchMethod::Forward { method, body }, _) => {
                    self.send_hop(&url, Outgoing::new(method, body)).await?
                }
            };
            let status = hop.entry.response.status;
            let target = Some(status)
                .filter(|_| req.follow_redirects)
                .and_then(|s| redirect_target(&url, s, &hop.entry.response.headers));
            let Some(target) = target else {
                let mut final_url = url;
                final_url.set_fragment(fragment.as_deref());
                return Ok(Fetched {
                    url: req.url.clone(),
                    final_url,
                    rtype: self.rtype,
                    outcome: hop.outcome,
                    entry: hop.entry,
                    parsed: hop.parsed,
                    redirects,
                });
            };
            let target = target?;
            let limit = self.f.config.fetch.max_redirects;
            if redirects.len() >= limit as usize {
                return Err(FetchError::TooManyRedirects {
                    url: req.url.to_string(),
                    limit,
                });
            }
            redirects.push(Redirect {
                url: url.clone(),
                status,
                decision: hop.outcome.decision(),
            });
            let post = match &method {
                FetchMethod::Post { .. } => true,
                FetchMethod::Forward { method, .. } => *method == http::Method::POST,
                FetchMethod::Get => false,
            };
            if status == StatusCode::SEE_OTHER || (post && matches!(status.as_u16(), 301 | 302)) {
                method = FetchMethod::Get;
            }
            if target.fragment().is_some() {
                fragment = target.fragment().map(str::to_string);
            }
            referrer = Referrer::Document(url.clone());
            url = without_fragment(&target);
        }
    }

    /// One http(s) GET hop through the cache, coalesced with other calls'.
    async fn get_hop(&self, url: &Url) -> Result<Hop, FetchError> {
        let store = &self.f.store;
        let mut coalesce = true;
        loop {
            let stored = store.get(self.rtype, url.as_str(), self.call);
            let reuse = stored.as_ref().map(|e| {
                policy::decide_parsed(
                    e.caching(&self.f.config.cache.targeted),
                    &e.response,
                    &self.headers,
                    &self.directives,
                    self.f.clock.now(),
                    &self.f.config.cache,
                    self.rtype,
                )
            });
            match (stored, reuse) {
                (Some(e), Some(Reuse::Fresh)) => return self.served(e, Outcome::Hit),
                (Some(e), Some(Reuse::Stale)) => {
                    return self.served(e, Outcome::Stale { failed: None });
                }
                (Some(e), Some(Reuse::StaleWhileRevalidate)) if self.shared(&e) => {
                    self.revalidate_in_background(url);
                    return self.served(e, Outcome::Stale { failed: None });
                }
                (_, _) if self.directives.only_if_cached => {
                    return Ok(self.gateway_timeout(url.as_str().into()));
                }
                (stored, reuse) if !coalesce => {
                    return self
                        .ask_origin(url, &url.as_str().into(), stored, reuse)
                        .await;
                }
                (stored, reuse) => {
                    // Made only now: a hit needs no key of its own.
                    let key: Arc<str> = url.as_str().into();
                    match self.f.flights.join(&(self.rtype, Arc::clone(&key))) {
                        Join::Leader(leader) => {
                            let hop = self.ask_origin(url, &key, stored, reuse).await;
                            leader.land(match &hop {
                                Ok(Hop {
                                    outcome: Outcome::Stale { failed: Some(e) },
                                    ..
                                }) => Landing::Failed(e.clone()),
                                Ok(h) if h.outcome.stored_shared() => {
                                    Landing::Shared(Arc::clone(&h.entry))
                                }
                                Ok(_) | Err(FetchError::Parse { .. }) => Landing::NotShared,
                                Err(e) => Landing::Failed(e.clone()),
                            });
                            return hop;
                        }
                        Join::Follower(follower) => {
                            let landed = tokio::time::timeout_at(self.deadline, follower.landed())
                                .await
                                .map_err(|_| self.timed_out(url))?;
                            match landed {
                                Some(Landing::Shared(entry))
                                    if vary_matches(&entry, &self.headers) =>
                                {
                                    return self.served(entry, Outcome::Collapsed);
                                }
                                Some(Landing::Failed(e)) => {
                                    let own = stored.filter(|e| vary_matches(e, &self.headers));
                                    return self.stale_if_error(own, e);
                                }
                                Some(_) => coalesce = false,
                                // The leader went away: ask again, maybe leading.
                                None => {}
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether a stored entry is one every call may be served — the only
    /// kind a background revalidation, which runs as no call in particular,
    /// can refresh: not `private`, no `Set-Cookie` without `public`, not
    /// fetched with credentials.
    fn shared(&self, e: &Entry) -> bool {
        let h = e.caching(&self.f.config.cache.targeted);
        let cc = &h.cache_control;
        !self.directives.authorized && !cc.private && (!h.set_cookie || cc.public)
    }

    /// RFC 5861 §3: refreshes `url` behind the stale copy just served, as a
    /// task of its own that no call waits on, at most one per URL and type
    /// at a time (a second stale hit while it runs starts none). It
    /// revalidates as a request with `no-cache` would — conditionally when
    /// the copy has validators — and stores what comes back as any fetch
    /// does; a failure leaves the stale copy in place.
    fn revalidate_in_background(&self, url: &Url) {
        let key: FlightKey = (self.rtype, url.as_str().into());
        if !self.f.background.start(key.clone()) {
            return;
        }
        let fetcher = Arc::clone(self.owner);
        let mut headers = self.headers.clone();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let req = FetchRequest {
            headers,
            follow_redirects: false,
            ..FetchRequest::get(url.clone(), self.rtype, Referrer::User)
        };
        /// Frees the key however the task ends (a panic, a runtime shut down).
        struct Finish(Arc<Fetcher>, FlightKey);
        impl Drop for Finish {
            fn drop(&mut self) {
                self.0.background.finish(&self.1);
            }
        }
        tokio::spawn(async move {
            let done = Finish(fetcher, key);
            let call = done.0.proxy_call();
            if let Err(e) = call.fetch_response(&req, None).await {
                tracing::debug!(target: "vxb::fetch", url = %req.url, "background revalidation: {e}");
            }
            call.end();
        });
    }

    /// Asks the origin: a conditional request when `reuse` says revalidate,
    /// a plain one otherwise.
    async fn ask_origin(
        &self,
        url: &Url,
        key: &Arc<str>,
        stored: Option<Arc<Entry>>,
        reuse: Option<Reuse>,
    ) -> Result<Hop, FetchError> {
        // A copy stored for another variant (Vary) is not this request's to
        // fall back on, nor to replace.
        let stored_any = stored.is_some();
        let own = stored.filter(|e| vary_matches(e, &self.headers));
        let conditional = match reuse {
            Some(Reuse::Revalidate(h)) if own.is_some() => Some(h),
            _ => None,
        };
        let (resp, sent) = match self.exchange(url, None, conditional.as_ref()).await {
            Ok(r) => r,
            Err(e) => return self.stale_if_error(own, e),
        };
        if resp.status.is_server_error()
            && let Some(e) = &own
            && self.stale_allowed(e)
        {
            let failed = Some(FetchError::status(url, resp.status));
            return self.served(Arc::clone(e), Outcome::Stale { failed });
        }
        if let (StatusCode::NOT_MODIFIED, Some(old), Some(_)) = (resp.status, &own, &conditional) {
            if policy::not_modified_matches(&old.response, &resp.headers) {
                let merged = policy::merge_not_modified(
                    &old.response,
                    &resp.headers,
                    resp.request_time,
                    resp.response_time,
                );
                return self.keep_revalidated(old.with_response(merged));
            }
            // A 304 for a version not held here: ask again, unconditionally.
            let (resp, sent) = match self.exchange(url, None, None).await {
                Ok(r) => r,
                Err(e) => return self.stale_if_error(own, e),
            };
            return self.admit(key, resp, &sent, true, Forward::Revalidation);
        }
        let forward = match (&conditional, &own, &stored_any) {
            (Some(_), _, _) => Forward::Revalidation,
            (None, Some(_), _) => Forward::Stale,
            (None, None, true) => Forward::VaryMiss,
            (None, None, false) => Forward::UriMiss,
        };
        self.admit(key, resp, &sent, own.is_some(), forward)
    }

    /// A hop that is sent as it is, never stored: a POST, or a forwarded
    /// method. It invalidates the stored copies of its URL (and of a
    /// same-origin `Location` / `Content-Location` of the answer) as
    /// [`policy::invalidates`] says; an unsafe method whose exchange failed
    /// invalidates too, as it may have reached the origin.
    async fn send_hop(&self, url: &Url, out: Outgoing<'_>) -> Result<Hop, FetchError> {
        let method = out.method.clone();
        let result = self.exchange(url, Some(out), None).await;
        let invalidate = match &result {
            Ok((resp, _)) => policy::invalidates(&method, resp.status),
            Err(_) => !method.is_safe(),
        };
        if invalidate {
            self.f.store.remove_url(url.as_str());
        }
        let (resp, sent) = result?;
        if invalidate {
            for name in [LOCATION, CONTENT_LOCATION] {
                let named = resp
                    .headers
                    .get(&name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| location::resolve(url, v).ok());
                if let Some(named) = named
                    && named.origin() == url.origin()
                {
                    self.f.store.remove_url(without_fragment(&named).as_str());
                }
            }
        }
        let (entry, parsed) = self.response_entry(url.as_str().into(), resp, &sent)?;
        Ok(Hop {
            entry: Arc::new(entry),
            outcome: Outcome::Fetched {
                forward: Forward::Method,
                kept: Kept::No(NotCached::Policy(NotStored::Method(method))),
            },
            parsed,
        })
    }

    /// A `file:` hop: reused while the file's stamp is unchanged.
    async fn file_hop(&self, url: &Url) -> Result<Hop, FetchError> {
        let root = self
            .f
            .file_root
            .as_ref()
            .ok_or_else(|| FetchError::NoFileRoot {
                url: url.to_string(),
            })?;
        let path = root.confine(url)?;
        let stamp = file::stamp(&path).await?;
        let key: Arc<str> = url.as_str().into();
        let stored = self.f.store.get(self.rtype, &key, self.call);
        if let Some(e) = &stored
            && e.file_stamp == Some((stamp.modified, stamp.len))
        {
            return self.served(Arc::clone(e), Outcome::Hit);
        }
        if stored.is_some() {
            // Outdated: whatever happens next, it must not be served again.
            self.f.store.remove(self.rtype, &key);
        }
        let FileBody { body, stamp } =
            file::read(&path, self.f.config.fetch.max_body_bytes).await?;
        let now = self.f.clock.now();
        let mut h = HeaderMap::new();
        let content_type = crate::serve::files::content_type(path.path());
        h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(stamp.modified)) {
            h.insert(header::LAST_MODIFIED, v);
        }
        let (parsed, meta) = self.parse(url, Some(content_type), &body)?;
        let response = StoredResponse {
            status: StatusCode::OK,
            headers: headers::overlay(&h, &meta),
            meta,
            ..StoredResponse::new(StatusCode::OK, HeaderMap::new(), now)
        };
        let mut entry = Entry::new(key, self.rtype, response, body);
        entry.file_stamp = Some((stamp.modified, stamp.len));
        set_parsed(&entry, parsed.as_ref());
        let forward = if stored.is_some() {
            Forward::Revalidation
        } else {
            Forward::UriMiss
        };
        let fetched = |kept| Outcome::Fetched { forward, kept };
        Ok(self.settle(entry, parsed, Ok(policy::Visibility::Shared), fetched))
    }

    /// One exchange with the origin: a GET (conditional when `conditional`
    /// is given), or `out` with its body; the call's cookies added, its
    /// `Set-Cookie`s stored. Returns the response and the request headers
    /// sent (without the conditional ones and the content type), which the
    /// `Vary` key is taken from.
    async fn exchange(
        &self,
        url: &Url,
        out: Option<Outgoing<'_>>,
        conditional: Option<&HeaderMap>,
    ) -> Result<(HttpResponse, HeaderMap), FetchError> {
        let mut sent = self.headers.clone();
        if let Some(jar) = self.jar {
            sent.remove(COOKIE);
            if let Some(cookie) = jar.request_header(url) {
                sent.insert(COOKIE, cookie);
            }
        }
        let mut headers = sent.clone();
        for (name, value) in conditional.into_iter().flatten() {
            headers.insert(name, value.clone());
        }
        let (method, body) = match out {
            Some(out) => {
                if let Some(content_type) = out.content_type {
                    headers.insert(CONTENT_TYPE, content_type.clone());
                }
                for (name, value) in &self.conditionals {
                    headers.append(name, value.clone());
                }
                (out.method.clone(), Some(out.body.clone()))
            }
            None => (Method::GET, None),
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.timed_out(url));
        }
        let request = HttpRequest {
            method,
            url: url.clone(),
            headers,
            body,
            timeout: left,
        };
        let resp = self.f.http.send(request).await.map_err(|e| match e {
            // The limit that matters to the caller is the whole fetch's.
            FetchError::Timeout { .. } => self.timed_out(url),
            other => other,
        })?;
        if let Some(jar) = self.jar {
            jar.store_from_response(url, &resp.headers);
        }
        Ok((resp, sent))
    }

    /// A new response: parsed, judged, stored or not.
    fn admit(
        &self,
        key: &Arc<str>,
        resp: HttpResponse,
        sent: &HeaderMap,
        replaces: bool,
        forward: Forward,
    ) -> Result<Hop, FetchError> {
        let (entry, parsed) = self.response_entry(Arc::clone(key), resp, sent)?;
        let status = entry.response.status;
        let error = status.is_client_error() || status.is_server_error();
        let storability = self.storability(&entry);
        // An error not stored leaves the old copy: it may still serve under
        // stale-if-error, and the origin may recover.
        if storability.is_err() && replaces && !error {
            // The origin replaced the resource with something not to keep:
            // the old copy is obsolete.
            self.f.store.remove(self.rtype, key);
        }
        let fetched = |kept| Outcome::Fetched { forward, kept };
        Ok(self.settle(entry, parsed, storability, fetched))
    }

    /// A stored entry whose revalidation answered 304.
    fn keep_revalidated(&self, entry: Entry) -> Result<Hop, FetchError> {
        let storability = self.storability(&entry);
        if storability.is_err() {
            // The 304's headers made it unstorable (`no-store` now, say).
            self.f.store.remove(self.rtype, &entry.url);
        }
        let parsed = self.parsed_form(&entry)?;
        let revalidated = |kept| Outcome::Revalidated { kept };
        Ok(self.settle(entry, parsed, storability, revalidated))
    }

    fn storability(&self, entry: &Entry) -> Result<policy::Visibility, NotCached> {
        match policy::storability(
            &Method::GET,
            entry.response.status,
            &entry.response.headers,
            entry.size(),
            &self.directives,
            &self.f.config.cache,
            self.rtype,
        ) {
            Storability::Store(v) => Ok(v),
            Storability::NotStored(why) => Err(NotCached::Policy(why)),
        }
    }

    /// Stores `entry` as `storability` says, and makes the hop: `outcome`
    /// says what it was, given where the entry was kept.
    fn settle(
        &self,
        entry: Entry,
        parsed: Option<Arc<ParsedBody>>,
        storability: Result<policy::Visibility, NotCached>,
        outcome: impl FnOnce(Kept) -> Outcome,
    ) -> Hop {
        let vis = match storability {
            Ok(policy::Visibility::Shared) => Visibility::Shared,
            Ok(policy::Visibility::Private) => Visibility::Call(self.call),
            Err(why) => {
                return Hop {
                    entry: Arc::new(entry),
                    outcome: outcome(Kept::No(why)),
                    parsed,
                };
            }
        };
        // Kept aside in case the store refuses it (cheap: the body and the
        // parsed form are shared handles).
        let spare = entry.with_response(entry.response.clone());
        let url = Arc::clone(&entry.url);
        let (entry, kept) = match self.f.store.insert(entry, vis) {
            Ok(stored) if vis == Visibility::Shared => {
                // An old private copy would shadow the new shared one.
                self.f.store.remove_private(self.rtype, &url, self.call);
                (stored, Kept::Shared)
            }
            Ok(stored) => {
                self.kept_private.store(true, Ordering::Relaxed);
                (stored, Kept::Private)
            }
            Err(rejected) => (Arc::new(spare), Kept::No(NotCached::Refused(rejected))),
        };
        Hop {
            entry,
            outcome: outcome(kept),
            parsed,
        }
    }

    /// A stored entry served as it is.
    fn served(&self, entry: Arc<Entry>, outcome: Outcome) -> Result<Hop, FetchError> {
        let parsed = self.parsed_form(&entry)?;
        Ok(Hop {
            entry,
            outcome,
            parsed,
        })
    }

    /// The stored entry served stale if `stale_if_error` allows it, else `e`.
    fn stale_if_error(&self, own: Option<Arc<Entry>>, e: FetchError) -> Result<Hop, FetchError> {
        match own {
            Some(entry) if self.stale_allowed(&entry) => {
                self.served(entry, Outcome::Stale { failed: Some(e) })
            }
            _ => Err(e),
        }
    }

    fn stale_allowed(&self, entry: &Entry) -> bool {
        policy::stale_if_error_allows(
            &entry.response,
            &self.directives,
            self.f.clock.now(),
            &self.f.config.cache,
            self.rtype,
        )
    }

    /// The answer to an `only-if-cached` request nothing stored can serve.
    fn gateway_timeout(&self, key: Arc<str>) -> Hop {
        let response = StoredResponse::new(
            StatusCode::GATEWAY_TIMEOUT,
            HeaderMap::new(),
            self.f.clock.now(),
        );
        Hop {
            entry: Arc::new(Entry::new(key, self.rtype, response, Bytes::new())),
            outcome: Outcome::Unsatisfied,
            parsed: None,
        }
    }

    /// A response as an entry (not stored yet): parsed when it succeeded and
    /// a parser was given, its metas merged over its headers, its Vary key
    /// taken from the request headers sent.
    fn response_entry(
        &self,
        key: Arc<str>,
        resp: HttpResponse,
        sent: &HeaderMap,
    ) -> Result<(Entry, Option<Arc<ParsedBody>>), FetchError> {
        let (parsed, meta) = if resp.status.is_success() {
            self.parse(&resp.url, content_type_of(&resp.headers), &resp.body)?
        } else {
            (None, HeaderMap::new())
        };
        let headers = headers::overlay(&resp.headers, &meta);
        let response = StoredResponse {
            status: resp.status,
            vary: policy::vary_key(&headers, sent).unwrap_or_default(),
            headers,
            request_time: resp.request_time,
            response_time: resp.response_time,
            meta,
        };
        let entry = Entry::new(key, self.rtype, response, resp.body);
        set_parsed(&entry, parsed.as_ref());
        Ok((entry, parsed))
    }

    /// Parses a new body, if a parser was given: its form, and the headers
    /// its `<meta http-equiv>` set.
    fn parse(
        &self,
        url: &Url,
        content_type: Option<&str>,
        body: &Bytes,
    ) -> Result<(Option<Arc<ParsedBody>>, HeaderMap), FetchError> {
        let Some(parser) = self.parser else {
            return Ok((None, HeaderMap::new()));
        };
        let parsed = parser
            .parse_typed(url, content_type, body)
            .map_err(|failure| failure.into_fetch_error(url))?;
        let (meta, skipped) = headers::meta_headers(&parsed.http_equiv);
        for s in skipped {
            tracing::warn!(target: "vxb::fetch", url = %url, "{s}");
        }
        Ok((Some(Arc::new(parsed)), meta))
    }

    /// The parsed form of a stored entry: the one kept with it, else (when a
    /// parser was given and the response succeeded) parsed now and kept. A
    /// body that does not parse is removed from the cache.
    fn parsed_form(&self, entry: &Entry) -> Result<Option<Arc<ParsedBody>>, FetchError> {
        if let Some(p) = entry.parsed.get().and_then(as_parsed_body) {
            return Ok(Some(p));
        }
        let success = entry.response.status.is_success();
        if self.parser.is_none() || !success {
            return Ok(None);
        }
        let url = location::parse(&entry.url)?;
        let content_type = content_type_of(&entry.response.headers);
        match self.parse(&url, content_type, &entry.body) {
            Ok((parsed, _meta)) => {
                set_parsed(entry, parsed.as_ref());
                Ok(parsed)
            }
            Err(e) => {
                self.f.store.remove(self.rtype, &entry.url);
                Err(e)
            }
        }
    }

    fn timed_out(&self, url: &Url) -> FetchError {
        FetchError::Timeout {
            url: url.to_string(),
            limit: self.timeout,
        }
    }
}

/// A response's `Content-Type`, when it is readable text.
fn content_type_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// Keeps a parsed form with its entry (first writer wins: two calls parsing
/// the same body at once made the same form).
fn set_parsed(entry: &Entry, parsed: Option<&Arc<ParsedBody>>) {
    if let Some(p) = parsed {
        let form: Parsed = Arc::clone(p) as Parsed;
        let _ = entry.parsed.set(form);
    }
}

fn as_parsed_body(p: &Parsed) -> Option<Arc<ParsedBody>> {
    Arc::clone(p).downcast::<ParsedBody>().ok()
}

/// Whether a stored response was stored for a request whose `Vary`
/// headers matched these.
fn vary_matches(entry: &Entry, request_headers: &HeaderMap) -> bool {
    policy::vary_key(&entry.response.headers, request_headers)
        .is_some_and(|key| key == entry.response.vary)
}

/// The URL without its fragment: what is fetched, and the cache key.
fn without_fragment(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    u
}
