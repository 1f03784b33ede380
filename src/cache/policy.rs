//! The cache decision table of spec §3 as pure functions: whether a response
//! is stored, how long it stays fresh, how old it is, whether a stored copy may
//! be reused for a request, how to revalidate it and how a 304 updates it.
//!
//! Nothing here does I/O, reads a clock or takes a lock: every input (headers,
//! times, configuration) is an argument, so each rule is one unit test. Where
//! spec §3 is silent, RFC 9111 decides; the choices RFC 9111 leaves open are
//! written down on the function that makes them.
//!
//! Times are wall-clock [`SystemTime`]s because HTTP dates are. Lifetimes and
//! ages are [`Duration`]s; a response is fresh while `age < lifetime`
//! (RFC 9111 §4.2: "fresh if freshness_lifetime > current_age"), so a lifetime
//! of zero, and a request `maxage` of 0, always go back to the origin.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use super::entry::StoredResponse;
use super::headers::{
    self, CachingHeaders, DeltaSeconds, DirectiveArg, Expires, Vary, parse_delta_seconds,
};
use crate::config::{CacheConfig, MaxAgeMode, MustRevalidateMode, NoCacheMode, TypeCacheConfig};
use crate::resource::ResourceType;

/// Statuses whose responses may be stored without explicit freshness and
/// given a heuristic (or `default_max_age`) lifetime: RFC 9110 §15.1's
/// "heuristically cacheable" codes, without 206 because this cache cannot
/// combine partial content — and, among them, the errors (404, 405, 410,
/// 414, 501) only with explicit freshness (see [`storability`]).
pub const HEURISTICALLY_CACHEABLE: [StatusCode; 11] = [
    StatusCode::OK,
    StatusCode::NON_AUTHORITATIVE_INFORMATION,
    StatusCode::NO_CONTENT,
    StatusCode::MULTIPLE_CHOICES,
    StatusCode::MOVED_PERMANENTLY,
    StatusCode::PERMANENT_REDIRECT,
    StatusCode::NOT_FOUND,
    StatusCode::METHOD_NOT_ALLOWED,
    StatusCode::GONE,
    StatusCode::URI_TOO_LONG,
    StatusCode::NOT_IMPLEMENTED,
];

/// Statuses this cache never stores whatever the response says: interim
/// (1xx) answers are not responses to store (RFC 9110 §15.2), a 206 is part
/// of a representation this cache cannot combine, a 304 only validates.
fn never_stored(status: StatusCode) -> bool {
    status.is_informational()
        || status == StatusCode::PARTIAL_CONTENT
        || status == StatusCode::NOT_MODIFIED
}

/// Whether this cache understands a status (RFC 9111 §5.2.2.3,
/// `must-understand`): a registered final status it can store and serve as
/// it is.
fn understood(status: StatusCode) -> bool {
    !never_stored(status) && status.canonical_reason().is_some()
}

/// A request's `max-stale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxStale {
    /// `max-stale` without a value: any staleness is acceptable.
    Any,
    /// `max-stale=N` (VoiceXML `maxstale`): stale by at most this much.
    Limit(Duration),
}

impl MaxStale {
    fn covers(self, staleness: Duration) -> bool {
        match self {
            MaxStale::Any => true,
            MaxStale::Limit(limit) => staleness <= limit,
        }
    }
}

/// The cache directives of one request: they apply to
/// this request only and are never stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestDirectives {
    /// VoiceXML `maxage` / `*maxage`, or `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// VoiceXML `maxstale` / `*maxstale`, or `Cache-Control: max-stale`.
    pub max_stale: Option<MaxStale>,
    pub min_fresh: Option<Duration>,
    pub no_cache: bool,
    pub no_store: bool,
    /// The caller answers 504 itself when [`decide`] says the origin is needed;
    /// the policy does not second-guess it.
    pub only_if_cached: bool,
    /// RFC 5861 §4 `stale-if-error=N` on the request: the client accepts a
    /// copy this stale when the origin fails.
    pub stale_if_error: Option<Duration>,
    /// Not a directive: the request carried credentials (`Authorization`,
    /// or a user name in its URL), which decides whether its response may
    /// be shared (RFC 9111 §3.5, [`storability`]). Never sent on.
    pub authorized: bool,
}

impl RequestDirectives {
    /// A VoiceXML request's `maxage` / `maxstale` (attribute, else property).
    pub fn voicexml(max_age: Option<Duration>, max_stale: Option<Duration>) -> Self {
        RequestDirectives {
            max_age,
            max_stale: max_stale.map(MaxStale::Limit),
            ..RequestDirectives::default()
        }
    }

    /// Reads an HTTP request's `Cache-Control` (used by `vxb proxy`), and
    /// `Pragma: no-cache` when there is no `Cache-Control` (RFC 9111 §5.4);
    /// notes whether it carries `Authorization`.
    ///
    /// A directive repeated with different values keeps the most restrictive
    /// one (smallest `max-age` and `max-stale`, largest `min-fresh`); a value
    /// that is not a number is ignored, as if the directive were absent.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut r = RequestDirectives {
            authorized: headers.contains_key(header::AUTHORIZATION),
            ..RequestDirectives::default()
        };
        if !headers.contains_key(header::CACHE_CONTROL) {
            r.no_cache = headers::pragma_no_cache(headers);
            return r;
        }
        for d in headers::directives(headers.get_all(header::CACHE_CONTROL)) {
            let value = match &d.arg {
                DirectiveArg::Present(v) => parse_delta_seconds(v),
                DirectiveArg::Absent | DirectiveArg::Malformed => None,
            };
            match (d.name.as_str(), value) {
                ("max-age", Some(v)) => r.max_age = Some(r.max_age.map_or(v, |old| old.min(v))),
                ("min-fresh", Some(v)) => {
                    r.min_fresh = Some(r.min_fresh.map_or(v, |old| old.max(v)))
                }
                ("max-stale", _) => {
                    let new = match (&d.arg, value) {
                        (DirectiveArg::Absent, _) => MaxStale::Any,
                        (_, Some(v)) => MaxStale::Limit(v),
                        (_, None) => continue,
                    };
                    r.max_stale = Some(match (r.max_stale, new) {
                        (Some(MaxStale::Limit(a)), MaxStale::Limit(b)) => MaxStale::Limit(a.min(b)),
                        (Some(MaxStale::Limit(a)), MaxStale::Any) => MaxStale::Limit(a),
                        (None | Some(MaxStale::Any), new) => new,
                    });
                }
                ("stale-if-error", Some(v)) => {
                    r.stale_if_error = Some(r.stale_if_error.map_or(v, |old| old.min(v)))
                }
                ("no-cache", _) => r.no_cache = true,
                ("no-store", _) => r.no_store = true,
                ("only-if-cached", _) => r.only_if_cached = true,
                _ => {}
            }
        }
        r
    }

    /// The directives to send to a caching proxy (the shared tier) so that
    /// it answers as this cache would. Under `maxage = "overrides"` a
    /// request `max-age=M` also accepts a stored response older than its
    /// own lifetime, up to age M; an RFC 9111 cache reads `max-age=M` only as
    /// a limit, so the request also says `max-stale=M` (with a `maxstale` S,
    /// `max-stale=M+S`): age ≤ M is then exactly what both accept. Under
    /// `"limits"` the directives already mean the same thing at the tier.
    pub fn for_tier(self, mode: MaxAgeMode) -> RequestDirectives {
        match (mode, self.max_age, self.max_stale) {
            (MaxAgeMode::Overrides, Some(age), None) => RequestDirectives {
                max_stale: Some(MaxStale::Limit(age)),
                ..self
            },
            (MaxAgeMode::Overrides, Some(age), Some(MaxStale::Limit(stale))) => RequestDirectives {
                max_stale: Some(MaxStale::Limit(age.saturating_add(stale))),
                ..self
            },
            _ => self,
        }
    }

    /// The `Cache-Control` request header carrying these directives (spec §3,
    /// last paragraph: a caching proxy between browser and origin honours them
    /// too), e.g. `max-age=120, max-stale=30`; `None` when there are none.
    /// Durations are sent in whole seconds, rounded down.
    pub fn to_header(&self) -> Option<HeaderValue> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(a) = self.max_age {
            parts.push(format!("max-age={}", a.as_secs()));
        }
        match self.max_stale {
            Some(MaxStale::Any) => parts.push("max-stale".into()),
            Some(MaxStale::Limit(s)) => parts.push(format!("max-stale={}", s.as_secs())),
            None => {}
        }
        if let Some(f) = self.min_fresh {
            parts.push(format!("min-fresh={}", f.as_secs()));
        }
        if let Some(s) = self.stale_if_error {
            parts.push(format!("stale-if-error={}", s.as_secs()));
        }
        for (set, name) in [
            (self.no_cache, "no-cache"),
            (self.no_store, "no-store"),
            (self.only_if_cached, "only-if-cached"),
        ] {
            if set {
                parts.push(name.into());
            }
        }
        if parts.is_empty() {
            return None;
        }
        HeaderValue::from_str(&parts.join(", ")).ok()
    }
}

/// Who may be served a stored response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Any call in the process.
    Shared,
    /// Only the call that fetched it: `Cache-Control: private` (also the
    /// field-named form), or `Set-Cookie` without `public`.
    Private,
}

/// Why a response is not stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotStored {
    /// `Cache-Control: no-store`.
    NoStore,
    /// `no-cache` (or `Pragma: no-cache`) with `no_cache = "no-store"`.
    NoCacheConfiguredNoStore,
    /// No `max-age`, `Expires`, `Last-Modified` or `ETag`, and the type's
    /// `default_max_age` is 0: it could never be reused or revalidated.
    NoFreshnessInformation,
    /// A status this cache does not store, or not without explicit
    /// freshness (see [`storability`]).
    Status(StatusCode),
    /// Anything but GET (a POST from `<submit>`, notably).
    Method(Method),
    /// The body exceeds the type's `max_entry_bytes`.
    TooLarge { size: u64, limit: u64 },
    /// `Vary: *`: no later request could be shown to match.
    VaryStar,
    /// The request said `Cache-Control: no-store`.
    RequestNoStore,
}

impl fmt::Display for NotStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotStored::NoStore => f.write_str("Cache-Control: no-store"),
            NotStored::NoCacheConfiguredNoStore => {
                f.write_str("no-cache, and the configuration says no_cache = \"no-store\"")
            }
            NotStored::NoFreshnessInformation => {
                f.write_str("no max-age, Expires, Last-Modified or ETag, and default_max_age is 0")
            }
            NotStored::Status(s) if is_error(*s) => write!(
                f,
                "status {} is stored only with explicit freshness (max-age, s-maxage or Expires)",
                s.as_u16()
            ),
            NotStored::Status(s) => write!(f, "status {} is not stored", s.as_u16()),
            NotStored::Method(m) => write!(f, "{m} responses are never stored"),
            NotStored::TooLarge { size, limit } => {
                write!(f, "{size} bytes is over max_entry_bytes ({limit})")
            }
            NotStored::VaryStar => f.write_str("Vary: *"),
            NotStored::RequestNoStore => f.write_str("the request said no-store"),
        }
    }
}

/// Whether (and for whom) a response may be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storability {
    Store(Visibility),
    NotStored(NotStored),
}

/// Decides whether a response is stored. `headers` are
/// the response headers with `<meta http-equiv>` already applied.
///
/// Statuses (RFC 9111 §3, §4.2.2): any final status may be stored with
/// explicit freshness (`max-age`, `s-maxage`, `Expires`), the
/// [`HEURISTICALLY_CACHEABLE`] ones and a `public` response without it —
/// except 4xx and 5xx, which need explicit freshness: an origin that says
/// how long its 404 holds is asked once, not once per call, while one that
/// says nothing sees every request (a developer wants to see errors reach
/// the origin). 1xx, 206 and 304 are never stored; with `must-understand`
/// only a registered status is, and `no-store` is then ignored.
///
/// Checked in this order, the first that applies giving the reason: method
/// (GET only: HEAD has no body to store under the URL, POST never), request
/// `no-store`, response `no-store`, status, `Vary: *`, `no-cache` under
/// `no_cache = "no-store"`, no freshness information, size.
///
/// Stored for the fetching call alone ([`Visibility::Private`]): `private`,
/// `Set-Cookie` without `public`, and the response to a request with
/// `Authorization` (or credentials in its URL) unless `public`, `s-maxage` or
/// `must-revalidate` allows sharing it (RFC 9111 §3.5).
///
/// "No freshness information" is the spec's rule, stricter than RFC 9111 (which
/// would store such a response and never reuse it): an invalid `max-age`
/// (`max-age=abc`) or `Expires` still counts as present — the response is
/// stored as stale, and a request `maxage`/`maxstale` can still reuse it.
pub fn storability(
    method: &Method,
    status: StatusCode,
    headers: &HeaderMap,
    body_len: u64,
    req: &RequestDirectives,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Storability {
    use Storability::NotStored as No;
    if *method != Method::GET {
        return No(NotStored::Method(method.clone()));
    }
    if req.no_store {
        return No(NotStored::RequestNoStore);
    }
    let h = CachingHeaders::parse(headers, &cfg.targeted);
    let cc = &h.cache_control;
    if never_stored(status) || (cc.must_understand && !understood(status)) {
        return No(NotStored::Status(status));
    }
    // RFC 9111 §5.2.2.3: `must-understand` comes with `no-store` for the
    // caches that do not know the status; one that does ignores `no-store`.
    if cc.no_store && !cc.must_understand {
        return No(NotStored::NoStore);
    }
    let freshness = cc.shared_max_age().is_some() || h.expires.is_some();
    let status_ok = if is_error(status) {
        freshness
    } else {
        HEURISTICALLY_CACHEABLE.contains(&status) || freshness || cc.public
    };
    if !status_ok {
        return No(NotStored::Status(status));
    }
    if h.vary == Some(Vary::Any) {
        return No(NotStored::VaryStar);
    }
    if cc.no_cache && cfg.no_cache == NoCacheMode::NoStore {
        return No(NotStored::NoCacheConfiguredNoStore);
    }
    let t = &cfg.types[rtype];
    if cc.shared_max_age().is_none()
        && h.expires.is_none()
        && !h.has_validators()
        && t.default_max_age.is_zero()
    {
        return No(NotStored::NoFreshnessInformation);
    }
    if body_len > t.max_entry_bytes {
        return No(NotStored::TooLarge {
            size: body_len,
            limit: t.max_entry_bytes,
        });
    }
    // RFC 9111 §3.5: a response to a request with credentials is shared only
    // when the origin says so (`public`, `s-maxage`, `must-revalidate`).
    let authorized_shared = cc.public || cc.s_maxage.is_some() || cc.must_revalidate;
    if cc.private || (h.set_cookie && !cc.public) || (req.authorized && !authorized_shared) {
        Storability::Store(Visibility::Private)
    } else {
        Storability::Store(Visibility::Shared)
    }
}

/// A client or server error.
fn is_error(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

/// The stored freshness lifetime, first that
/// applies:
/// 1. `s-maxage`, else `max-age` (this is a shared cache, RFC 9111
///    §5.2.2.10; an invalid or conflicting value: zero, §4.2.1);
/// 2. the type's `default_max_age` when above zero — before `Expires`, as in
///    003's platform;
/// 3. `Expires − Date` (no valid `Date`: the time of receipt; an `Expires`
///    that does not parse: zero);
/// 4. `(Date − Last-Modified) × heuristic_fraction`, rounded down to whole
///    seconds and capped at `max_heuristic_lifetime`;
/// 5. zero.
///
/// Steps 2 and 4 are heuristics, which RFC 9111 §4.2.2 allows only for the
/// [`HEURISTICALLY_CACHEABLE`] statuses or a `public` response, never an
/// error (4xx, 5xx: stored only with explicit freshness); a 302 with
/// `Expires` goes straight to step 3. A targeted field (RFC 9213, the
/// configured `targeted_cache_control`) stands in for `Cache-Control` and
/// hides `Expires`. `no-cache` and `must-revalidate` do not change the
/// lifetime; [`decide`] applies them.
pub fn freshness_lifetime(
    resp: &StoredResponse,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Duration {
    freshness(resp, cfg, rtype).lifetime
}

/// Which rule of [`freshness_lifetime`] gave a stored response its
/// lifetime, so `vxb fetch` can say where a lifetime came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifetimeSource {
    /// `s-maxage` (step 1).
    SMaxAge,
    /// `max-age` (step 1).
    MaxAge,
    /// The type's `default_max_age` (step 2).
    DefaultMaxAge,
    /// `Expires − Date` (step 3).
    Expires,
    /// A fraction of the `Last-Modified` age (step 4).
    Heuristic,
    /// Nothing applied: zero (step 5).
    None,
}

impl LifetimeSource {
    /// How `vxb fetch` names it; `fraction` is the type's
    /// `heuristic_fraction`.
    pub fn describe(self, fraction: f64) -> String {
        match self {
            LifetimeSource::SMaxAge => "s-maxage".into(),
            LifetimeSource::MaxAge => "max-age".into(),
            LifetimeSource::DefaultMaxAge => "default_max_age".into(),
            LifetimeSource::Expires => "Expires − Date".into(),
            LifetimeSource::Heuristic => {
                format!("heuristic {} % of Last-Modified age", fraction * 100.0)
            }
            LifetimeSource::None => "no freshness information".into(),
        }
    }
}

/// A stored response's freshness lifetime and the rule it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    pub lifetime: Duration,
    pub source: LifetimeSource,
}

/// [`freshness_lifetime`] with the rule that gave it.
pub fn freshness(resp: &StoredResponse, cfg: &CacheConfig, rtype: ResourceType) -> Freshness {
    let h = CachingHeaders::parse(&resp.headers, &cfg.targeted);
    lifetime_of(&h, resp, &cfg.types[rtype])
}

/// [`freshness_lifetime`] with `resp`'s headers already parsed (as
/// [`Entry::caching`](super::Entry::caching) keeps them).
pub fn lifetime_parsed(
    h: &CachingHeaders,
    resp: &StoredResponse,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Duration {
    lifetime_of(h, resp, &cfg.types[rtype]).lifetime
}

fn lifetime_of(h: &CachingHeaders, resp: &StoredResponse, t: &TypeCacheConfig) -> Freshness {
    let of = |lifetime, source| Freshness { lifetime, source };
    let cc = &h.cache_control;
    if let Some(max_age) = cc.shared_max_age() {
        let source = if cc.s_maxage.is_some() {
            LifetimeSource::SMaxAge
        } else {
            LifetimeSource::MaxAge
        };
        return of(max_age.or_zero(), source);
    }
    let heuristic_allowed =
        !is_error(resp.status) && (HEURISTICALLY_CACHEABLE.contains(&resp.status) || cc.public);
    if heuristic_allowed && !t.default_max_age.is_zero() {
        return of(t.default_max_age, LifetimeSource::DefaultMaxAge);
    }
    let date = h.date.unwrap_or(resp.response_time);
    match h.expires {
        Some(Expires::At(at)) => {
            let lifetime = at.duration_since(date).unwrap_or(Duration::ZERO);
            return of(lifetime, LifetimeSource::Expires);
        }
        Some(Expires::Invalid) => return of(Duration::ZERO, LifetimeSource::Expires),
        None => {}
    }
    match h.last_modified {
        Some(lm) if heuristic_allowed => {
            let since = date.duration_since(lm).unwrap_or(Duration::ZERO);
            // A float-to-int `as` saturates (and maps NaN to 0): no overflow.
            let secs = (since.as_secs() as f64 * t.heuristic_fraction).floor() as u64;
            let lifetime = Duration::from_secs(secs).min(t.max_heuristic_lifetime);
            of(lifetime, LifetimeSource::Heuristic)
        }
        _ => of(Duration::ZERO, LifetimeSource::None),
    }
}

/// The current age of a stored response, exactly RFC 9111 §4.2.3:
/// `apparent_age = max(0, response_time − date_value)`,
/// `corrected_age_value = age_value + (response_time − request_time)`,
/// `corrected_initial_age = max(apparent_age, corrected_age_value)`,
/// `current_age = corrected_initial_age + (now − response_time)`.
/// A missing or invalid `Date` or `Age` contributes zero; a clock that went
/// backwards (now before response_time) contributes zero resident time.
pub fn current_age(resp: &StoredResponse, now: SystemTime) -> Duration {
    age_of(&CachingHeaders::parse(&resp.headers, &[]), resp, now)
}

/// [`current_age`] with `resp`'s headers already parsed (as
/// [`Entry::caching`](super::Entry::caching) keeps them), so that a hit does
/// not parse them again.
pub fn age_of(h: &CachingHeaders, resp: &StoredResponse, now: SystemTime) -> Duration {
    let since = |later: SystemTime, earlier: SystemTime| {
        later.duration_since(earlier).unwrap_or(Duration::ZERO)
    };
    let apparent_age = h
        .date
        .map_or(Duration::ZERO, |d| since(resp.response_time, d));
    let response_delay = since(resp.response_time, resp.request_time);
    let corrected_age_value = h
        .age
        .unwrap_or(Duration::ZERO)
        .saturating_add(response_delay);
    let corrected_initial_age = apparent_age.max(corrected_age_value);
    corrected_initial_age.saturating_add(since(now, resp.response_time))
}

/// The lifetime a request judges a stored response by: the request's `maxage` when it has one — replacing the stored lifetime
/// under `maxage = "overrides"`, only shortening it under `"limits"` — else
/// the stored [`freshness_lifetime`].
pub fn lifetime_in_force(
    resp: &StoredResponse,
    req: &RequestDirectives,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Duration {
    let h = CachingHeaders::parse(&resp.headers, &cfg.targeted);
    in_force(&h, resp, req, cfg, rtype)
}

fn in_force(
    h: &CachingHeaders,
    resp: &StoredResponse,
    req: &RequestDirectives,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Duration {
    let stored = lifetime_of(h, resp, &cfg.types[rtype]).lifetime;
    match (req.max_age, cfg.maxage) {
        (None, _) => stored,
        (Some(m), MaxAgeMode::Overrides) => m,
        (Some(m), MaxAgeMode::Limits) => m.min(stored),
    }
}

/// What a request may do with a stored response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reuse {
    /// Serve it: fresh for this request.
    Fresh,
    /// Serve it although stale: the request's `max-stale` allows it.
    Stale,
    /// Serve it although stale, and revalidate it in the background: the
    /// response's `stale-while-revalidate` allows it (RFC 5861 §3).
    StaleWhileRevalidate,
    /// Ask the origin with these conditional headers (`If-None-Match`,
    /// `If-Modified-Since`); a 304 keeps the body.
    Revalidate(HeaderMap),
    /// Fetch anew: no validators to revalidate with, or a `Vary` mismatch.
    Refetch,
}

/// Decides whether a stored response serves a request:
///
/// 0. `Vary`: the nominated request headers must equal those stored
///    ([`StoredResponse::vary`]); otherwise, or with `Vary: *`, refetch.
/// 1. Response `no-cache` (or `Pragma: no-cache`), request `no-cache`, or
///    `must-revalidate` under `must_revalidate = "always"` → revalidate.
/// 2. The lifetime in force: see [`lifetime_in_force`]. Under
///    `maxage = "limits"` an `immutable` response (RFC 8246) is fresh for its
///    whole stored lifetime whatever the request's `max-age`/`min-fresh`.
/// 3. Fresh while `age + min-fresh < lifetime in force` (strict, as RFC 9111
///    §4.2: a `maxage` of 0 always revalidates, as VoiceXML authors intend).
/// 4. Past it, [`Reuse::Stale`] when the request's `max-stale` covers
///    `age − lifetime` (inclusive) and the response has no `must-revalidate`,
///    `proxy-revalidate` or `s-maxage` (which implies it: this is a shared
///    cache, RFC 9111 §5.2.2.10).
/// 5. Within the response's `stale-while-revalidate` window (a request
///    without `max-age` or `min-fresh`, no `must-revalidate` or kin),
///    [`Reuse::StaleWhileRevalidate`].
/// 6. Otherwise revalidate when the response has an `ETag` or a valid
///    `Last-Modified`, else refetch.
pub fn decide(
    resp: &StoredResponse,
    request_headers: &HeaderMap,
    req: &RequestDirectives,
    now: SystemTime,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Reuse {
    let h = CachingHeaders::parse(&resp.headers, &cfg.targeted);
    decide_parsed(&h, resp, request_headers, req, now, cfg, rtype)
}

/// [`decide`] with `resp`'s headers already parsed (as
/// [`Entry::caching`](super::Entry::caching) keeps them), so that a hit does
/// not parse them again.
pub fn decide_parsed(
    h: &CachingHeaders,
    resp: &StoredResponse,
    request_headers: &HeaderMap,
    req: &RequestDirectives,
    now: SystemTime,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> Reuse {
    if !vary_matches(h, resp, request_headers) {
        return Reuse::Refetch;
    }
    let go_to_origin = || {
        let conditional = conditional_from(h, resp);
        if conditional.is_empty() {
            Reuse::Refetch
        } else {
            Reuse::Revalidate(conditional)
        }
    };
    let cc = &h.cache_control;
    if cc.no_cache
        || req.no_cache
        || (cc.must_revalidate && cfg.must_revalidate == MustRevalidateMode::Always)
    {
        return go_to_origin();
    }
    let lifetime = in_force(h, resp, req, cfg, rtype);
    let age = age_of(h, resp, now);
    // RFC 8246: an `immutable` response is not revalidated while fresh, even
    // when a request's max-age would have it (a reload); under
    // `maxage = "overrides"` the request's maxage is the author's word and
    // still decides.
    if cc.immutable
        && cfg.maxage == MaxAgeMode::Limits
        && age < lifetime_of(h, resp, &cfg.types[rtype]).lifetime
    {
        return Reuse::Fresh;
    }
    let min_fresh = req.min_fresh.unwrap_or(Duration::ZERO);
    if age.saturating_add(min_fresh) < lifetime {
        return Reuse::Fresh;
    }
    // Fresh but short of min-fresh is not "stale": max-stale does not apply.
    if age >= lifetime
        && !cc.revalidate_when_stale()
        && req.max_stale.is_some_and(|ms| ms.covers(age - lifetime))
    {
        return Reuse::Stale;
    }
    // RFC 5861 §3, for a request that set no freshness limit of its own (a
    // VoiceXML `maxage` is the author's explicit word).
    let window = cc
        .stale_while_revalidate
        .and_then(DeltaSeconds::valid)
        .unwrap_or(Duration::ZERO);
    if age >= lifetime
        && !cc.revalidate_when_stale()
        && req.max_age.is_none()
        && req.min_fresh.is_none()
        && age - lifetime < window
    {
        return Reuse::StaleWhileRevalidate;
    }
    go_to_origin()
}

fn vary_matches(h: &CachingHeaders, resp: &StoredResponse, request_headers: &HeaderMap) -> bool {
    match &h.vary {
        None => true,
        Some(Vary::Any) => false,
        Some(Vary::Headers(names)) => names.iter().all(|name| {
            let stored = resp
                .vary
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| v.as_ref());
            stored == headers::combined_value(request_headers, name).as_ref()
        }),
    }
}

/// The headers nominated by a response's `Vary`, with the values the request
/// carried (all lines joined; `None`: absent) — what [`StoredResponse::vary`]
/// holds. Empty without `Vary`; `None` for `Vary: *`, which is never stored.
pub fn vary_key(
    response_headers: &HeaderMap,
    request_headers: &HeaderMap,
) -> Option<Vec<(HeaderName, Option<HeaderValue>)>> {
    match headers::parse_vary(response_headers) {
        None => Some(Vec::new()),
        Some(Vary::Any) => None,
        Some(Vary::Headers(names)) => Some(
            names
                .into_iter()
                .map(|n| {
                    let v = headers::combined_value(request_headers, &n);
                    (n, v)
                })
                .collect(),
        ),
    }
}

/// The conditional request headers that revalidate a stored response (004's
/// table): `If-None-Match` with the `ETag` as received, `If-Modified-Since`
/// with the `Last-Modified` as received (RFC 9110 §13.1.3: an exact copy), both
/// when both. Empty when the response has no validators.
pub fn conditional_headers(resp: &StoredResponse) -> HeaderMap {
    conditional_from(&CachingHeaders::parse(&resp.headers, &[]), resp)
}

fn conditional_from(h: &CachingHeaders, resp: &StoredResponse) -> HeaderMap {
    let mut out = HeaderMap::new();
    if let Some(etag) = &h.etag {
        out.insert(header::IF_NONE_MATCH, etag.raw.clone());
    }
    if h.last_modified.is_some()
        && let Some(lm) = resp.headers.get(header::LAST_MODIFIED)
    {
        out.insert(header::IF_MODIFIED_SINCE, lm.clone());
    }
    out
}

/// Headers of a 304 that never replace the stored ones: hop-by-hop fields
/// (RFC 9111 §3.1) and those describing the stored bytes, which a 304 does
/// not change (RFC 9111 §3.2 names Content-Length).
const NOT_UPDATED_BY_304: [HeaderName; 11] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_RANGE,
];

/// Whether a 304 may update this stored response (RFC 9111 §4.3.4): when it
/// carries an `ETag`, that tag must match the stored one (strongly if the 304's
/// is strong, weakly if weak); otherwise, when both carry `Last-Modified`,
/// the dates must be equal. A 304 without validators matches — vxb keeps one
/// response per URL and sent the conditional request itself (RFC 9111 would
/// select only a stored response that also lacks validators; servers often
/// omit them from 304s). When this is false, fetch the resource anew.
pub fn not_modified_matches(stored: &StoredResponse, not_modified: &HeaderMap) -> bool {
    let new = CachingHeaders::parse(not_modified, &[]);
    let old = CachingHeaders::parse(&stored.headers, &[]);
    match (&new.etag, &old.etag) {
        (Some(n), Some(o)) if n.weak => n.weak_eq(o),
        (Some(n), Some(o)) => n.strong_eq(o),
        (Some(_), None) => false,
        (None, _) => match (new.last_modified, old.last_modified) {
            (Some(n), Some(o)) => n == o,
            _ => true,
        },
    }
}

/// The stored response updated by a 304 (RFC 9111 §3.2, §4.3.4; spec §3 step
/// 5): every header the 304 carries replaces the stored one, except those in
/// `NOT_UPDATED_BY_304` and those the 304's `Connection` nominates; the
/// document's `<meta http-equiv>` headers are then applied again so that they
/// keep precedence; request and response times become those of the
/// revalidation, which resets the age. A stored `Date` or `Age` the 304 does
/// not replace is dropped: it described the old exchange, and keeping it would
/// make the revalidated copy look as old as before (without `Date`, the time of
/// receipt stands in for it, RFC 9110 §6.6.1).
pub fn merge_not_modified(
    stored: &StoredResponse,
    not_modified: &HeaderMap,
    request_time: SystemTime,
    response_time: SystemTime,
) -> StoredResponse {
    let nominated: Vec<String> = headers::directives(not_modified.get_all(header::CONNECTION))
        .into_iter()
        .map(|d| d.name)
        .collect();
    let mut update = HeaderMap::new();
    for (name, value) in not_modified {
        if !NOT_UPDATED_BY_304.contains(name) && !nominated.iter().any(|n| n == name.as_str()) {
            update.append(name.clone(), value.clone());
        }
    }
    let mut merged = headers::overlay(&stored.headers, &update);
    for stale in [header::DATE, header::AGE] {
        if !update.contains_key(&stale) {
            merged.remove(&stale);
        }
    }
    StoredResponse {
        status: stored.status,
        headers: headers::overlay(&merged, &stored.meta),
        request_time,
        response_time,
        vary: stored.vary.clone(),
        meta: stored.meta.clone(),
    }
}

/// Whether a stored copy may be served because revalidating it failed (the
/// origin unreachable or answering 5xx; spec §3 step 6). Yes when:
/// - neither the response nor the request says `no-cache` (RFC 9111 §4.2.4:
///   never serve without validation what must be validated), and
/// - it is still fresh for this request (it was sent to the origin only
///   because of `must_revalidate = "always"` or `min-fresh`), or it has no
///   `must-revalidate` (RFC 9111 §5.2.2.2) and is stale by no more than the
///   largest of the configured `stale_if_error`, the response's own
///   `stale-if-error` directive (RFC 5861: the origin's explicit permission)
///   and the request's (RFC 5861 §4: the client's).
pub fn stale_if_error_allows(
    resp: &StoredResponse,
    req: &RequestDirectives,
    now: SystemTime,
    cfg: &CacheConfig,
    rtype: ResourceType,
) -> bool {
    let h = CachingHeaders::parse(&resp.headers, &cfg.targeted);
    let cc = &h.cache_control;
    if cc.no_cache || req.no_cache {
        return false;
    }
    let lifetime = in_force(&h, resp, req, cfg, rtype);
    let age = age_of(&h, resp, now);
    if age < lifetime {
        return true;
    }
    if cc.revalidate_when_stale() {
        return false;
    }
    let granted = cc
        .stale_if_error
        .and_then(DeltaSeconds::valid)
        .unwrap_or(Duration::ZERO);
    let asked = req.stale_if_error.unwrap_or(Duration::ZERO);
    age - lifetime <= cfg.stale_if_error.max(granted).max(asked)
}

/// Whether a request invalidates the stored copy of its URL: a POST always
/// (spec §3: a `<submit method="post">` invalidates, whatever the answer);
/// any other unsafe method when the answer is not an error (2xx or 3xx,
/// RFC 9111 §4.4). GET, HEAD, OPTIONS and TRACE never do.
pub fn invalidates(method: &Method, status: StatusCode) -> bool {
    if *method == Method::POST {
        return true;
    }
    let safe = [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method);
    !safe && (status.is_success() || status.is_redirection())
}
