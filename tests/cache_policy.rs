//! Behaviour of the pure cache policy: one test per row and step of spec §3 and
//! per configuration knob, the worked examples of the three seeds, and a
//! differential test against the `http-cache-semantics` crate.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use vxb::cache::StoredResponse;
use vxb::cache::headers::apply_meta;
use vxb::cache::policy::{
    LifetimeSource, MaxStale, NotStored, RequestDirectives, Reuse, Storability, Visibility,
    conditional_headers, current_age, decide, freshness, freshness_lifetime, invalidates,
    lifetime_in_force, merge_not_modified, not_modified_matches, stale_if_error_allows,
    storability, vary_key,
};
use vxb::clock::{Clock, ManualClock};
use vxb::config::{CacheConfig, MaxAgeMode, MustRevalidateMode, NoCacheMode};
use vxb::resource::ResourceType::{self, Audio, Document};

// ---- helpers ----

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// 2024-01-01T00:00:00Z: whole seconds, so HTTP dates round-trip.
fn t0() -> SystemTime {
    ManualClock::at_epoch_2024().now()
}

fn date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

fn h(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).expect("test header name"),
            HeaderValue::from_str(v).expect("test header value"),
        );
    }
    map
}

/// A status number as a `StatusCode`.
fn code(n: u16) -> StatusCode {
    StatusCode::from_u16(n).expect("test status")
}

fn stored_at(status: u16, headers: HeaderMap, at: SystemTime) -> StoredResponse {
    StoredResponse::new(code(status), headers, at)
}

/// A 200 received at t0.
fn resp(pairs: &[(&str, &str)]) -> StoredResponse {
    stored_at(200, h(pairs), t0())
}

fn cfg() -> CacheConfig {
    CacheConfig::default()
}

fn audio_default(d: Duration) -> CacheConfig {
    let mut c = cfg();
    c.types[Audio].default_max_age = d;
    c
}

fn none() -> RequestDirectives {
    RequestDirectives::default()
}

/// Storability of a 100-byte 200 to a plain GET for a document.
fn store(pairs: &[(&str, &str)], c: &CacheConfig) -> Storability {
    storability(
        &Method::GET,
        StatusCode::OK,
        &h(pairs),
        100,
        &none(),
        c,
        Document,
    )
}

fn lifetime(r: &StoredResponse, c: &CacheConfig, t: ResourceType) -> Duration {
    freshness_lifetime(r, c, t)
}

/// The decision for a document request `age` seconds after t0.
fn at(r: &StoredResponse, age: u64, req: &RequestDirectives, c: &CacheConfig) -> Reuse {
    decide(r, &HeaderMap::new(), req, t0() + secs(age), c, Document)
}

fn revalidate_with(pairs: &[(&str, &str)]) -> Reuse {
    Reuse::Revalidate(h(pairs))
}

const SHARED: Storability = Storability::Store(Visibility::Shared);
const PRIVATE: Storability = Storability::Store(Visibility::Private);

fn not_stored(reason: NotStored) -> Storability {
    Storability::NotStored(reason)
}

const ETAG: (&str, &str) = ("etag", "\"v1\"");

// ---- Storing (spec §3, first table) ----

#[test]
fn row_no_store_is_never_stored() {
    for cc in [
        "no-store",
        "max-age=600, no-store",
        "NO-STORE",
        "public, no-store",
    ] {
        assert_eq!(
            store(&[("cache-control", cc), ETAG], &cfg()),
            not_stored(NotStored::NoStore),
            "{cc}"
        );
    }
}

#[test]
fn row_no_cache_is_stored_and_revalidated_on_every_use() {
    let headers = [("cache-control", "no-cache, max-age=3600"), ETAG];
    assert_eq!(store(&headers, &cfg()), SHARED);
    let r = resp(&headers);
    for age in [0, 1, 3599, 3600, 100_000] {
        assert_eq!(
            at(&r, age, &none(), &cfg()),
            revalidate_with(&[("if-none-match", "\"v1\"")]),
            "age {age}"
        );
    }
    // Even a request allowing any staleness or overriding maxage cannot skip it.
    let lenient = RequestDirectives {
        max_age: Some(secs(9999)),
        max_stale: Some(MaxStale::Any),
        ..none()
    };
    assert!(matches!(at(&r, 10, &lenient, &cfg()), Reuse::Revalidate(_)));
    // Without validators there is nothing to revalidate with: fetch anew.
    let bare = [("cache-control", "no-cache, max-age=3600")];
    assert_eq!(store(&bare, &cfg()), SHARED);
    assert_eq!(at(&resp(&bare), 0, &none(), &cfg()), Reuse::Refetch);
}

#[test]
fn row_no_cache_is_not_stored_when_configured_no_store() {
    let mut c = cfg();
    c.no_cache = NoCacheMode::NoStore;
    for headers in [
        vec![("cache-control", "no-cache"), ETAG],
        vec![("cache-control", "max-age=60, no-cache=\"Set-Cookie\"")],
        vec![("pragma", "no-cache"), ETAG],
    ] {
        assert_eq!(
            store(&headers, &c),
            not_stored(NotStored::NoCacheConfiguredNoStore),
            "{headers:?}"
        );
    }
    // Pragma does not count next to a Cache-Control header.
    assert_eq!(
        store(
            &[("pragma", "no-cache"), ("cache-control", "max-age=60")],
            &c
        ),
        SHARED
    );
}

#[test]
fn row_pragma_no_cache_counts_only_without_cache_control() {
    let pragma_only = [
        ("pragma", "no-cache"),
        ETAG,
        ("expires", &date(t0() + secs(3600))),
    ];
    assert_eq!(store(&pragma_only, &cfg()), SHARED);
    assert_eq!(
        at(&resp(&pragma_only), 0, &none(), &cfg()),
        revalidate_with(&[("if-none-match", "\"v1\"")])
    );
    let with_cc = [
        ("pragma", "no-cache"),
        ("cache-control", "max-age=60"),
        ETAG,
    ];
    assert_eq!(at(&resp(&with_cc), 0, &none(), &cfg()), Reuse::Fresh);
}

#[test]
fn row_private_or_set_cookie_without_public_is_private() {
    let cases: [(&[(&str, &str)], Storability); 6] = [
        (&[("cache-control", "private, max-age=60")], PRIVATE),
        (
            &[("cache-control", "private=\"X-Secret\", max-age=60")],
            PRIVATE,
        ),
        (
            &[("cache-control", "max-age=60"), ("set-cookie", "s=1")],
            PRIVATE,
        ),
        (
            &[
                ("cache-control", "public, max-age=60"),
                ("set-cookie", "s=1"),
            ],
            SHARED,
        ),
        (&[("cache-control", "public, private, max-age=60")], PRIVATE),
        (&[("cache-control", "max-age=60")], SHARED),
    ];
    for (headers, expected) in cases {
        assert_eq!(store(headers, &cfg()), expected, "{headers:?}");
    }
}

#[test]
fn row_no_freshness_information_and_no_default_is_not_stored() {
    let nothing = not_stored(NotStored::NoFreshnessInformation);
    for headers in [
        vec![],
        vec![("content-type", "audio/wav")],
        vec![("cache-control", "public")],
        vec![("pragma", "no-cache")],
        vec![("last-modified", "not a date")],
        vec![("etag", "")],
    ] {
        assert_eq!(store(&headers, &cfg()), nothing, "{headers:?}");
    }
    let past = date(t0() - secs(60));
    let lm = date(t0() - secs(86_400));
    for headers in [
        vec![("cache-control", "max-age=0")],
        vec![("cache-control", "max-age=abc")],
        vec![("expires", "0")],
        vec![("expires", past.as_str())],
        vec![("last-modified", lm.as_str())],
        vec![ETAG],
        vec![("etag", "W/\"weak\"")],
    ] {
        assert_eq!(store(&headers, &cfg()), SHARED, "{headers:?}");
    }
    // A type's default_max_age makes an otherwise bare response storable, for
    // that type only.
    let c = audio_default(secs(180));
    let bare = h(&[]);
    assert_eq!(
        storability(&Method::GET, StatusCode::OK, &bare, 100, &none(), &c, Audio),
        SHARED
    );
    assert_eq!(
        storability(
            &Method::GET,
            StatusCode::OK,
            &bare,
            100,
            &none(),
            &c,
            Document
        ),
        nothing
    );
}

#[test]
fn row_body_larger_than_max_entry_bytes_is_not_stored() {
    let c = cfg();
    let limit = c.types[Document].max_entry_bytes;
    assert_eq!(limit, 500_000);
    let headers = h(&[("cache-control", "max-age=60")]);
    let get = |len, t| storability(&Method::GET, StatusCode::OK, &headers, len, &none(), &c, t);
    assert_eq!(
        get(limit, Document),
        SHARED,
        "exactly at the limit is stored"
    );
    assert_eq!(
        get(limit + 1, Document),
        not_stored(NotStored::TooLarge {
            size: limit + 1,
            limit
        })
    );
    assert_eq!(get(4_000_000, Audio), SHARED, "audio's limit is 4,000,000");
    assert!(matches!(
        get(4_000_001, Audio),
        Storability::NotStored(NotStored::TooLarge { .. })
    ));
}

#[test]
fn row_post_is_never_stored_and_invalidates() {
    let headers = h(&[("cache-control", "public, max-age=600"), ETAG]);
    for m in [Method::POST, Method::HEAD, Method::PUT] {
        assert_eq!(
            storability(&m, StatusCode::OK, &headers, 10, &none(), &cfg(), Document),
            not_stored(NotStored::Method(m.clone()))
        );
    }
    for status in [200, 201, 204, 303, 404, 500, 503] {
        assert!(invalidates(&Method::POST, code(status)), "POST {status}");
    }
}

#[test]
fn invalidation_by_unsafe_methods_follows_rfc9111_4_4() {
    for m in [Method::PUT, Method::DELETE, Method::PATCH] {
        assert!(invalidates(&m, code(200)));
        assert!(invalidates(&m, code(302)));
        assert!(!invalidates(&m, code(404)));
        assert!(!invalidates(&m, code(500)));
    }
    for m in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
        for status in [200, 302, 404] {
            assert!(!invalidates(&m, code(status)), "{m} {status}");
        }
    }
}

#[test]
fn storable_statuses() {
    let lm = date(t0() - secs(3600));
    let validator = h(&[("last-modified", &lm)]);
    let get = |status, headers: &HeaderMap| {
        storability(
            &Method::GET,
            code(status),
            headers,
            10,
            &none(),
            &cfg(),
            Document,
        )
    };
    for status in [200, 203, 204, 300, 301, 308] {
        assert_eq!(get(status, &validator), SHARED, "{status}");
    }
    // Errors, heuristically cacheable or not, only with explicit freshness
    // (RFC 9111 §3: any final status may be stored with it).
    let fresh = h(&[("cache-control", "max-age=60")]);
    for status in [400, 403, 404, 405, 410, 414, 500, 501, 502, 503, 599] {
        assert_eq!(
            get(status, &validator),
            not_stored(NotStored::Status(code(status))),
            "{status}"
        );
        assert_eq!(get(status, &fresh), SHARED, "{status} with max-age");
    }
    assert_eq!(get(299, &fresh), SHARED, "an unknown 2xx with max-age");
    assert_eq!(
        get(299, &validator),
        not_stored(NotStored::Status(code(299)))
    );
    for status in [100, 103, 206, 304] {
        assert_eq!(
            get(status, &fresh),
            not_stored(NotStored::Status(code(status))),
            "{status} is never stored"
        );
    }
    // RFC 9111 §5.2.2.3: must-understand stores only a status this cache
    // knows, and then ignores the no-store that comes with it.
    let mu = h(&[("cache-control", "max-age=60, no-store, must-understand")]);
    assert_eq!(get(200, &mu), SHARED);
    assert_eq!(get(404, &mu), SHARED);
    assert_eq!(get(599, &mu), not_stored(NotStored::Status(code(599))));
    assert_eq!(
        get(200, &h(&[("cache-control", "max-age=60, no-store")])),
        not_stored(NotStored::NoStore)
    );
    // Temporary redirects only with explicit freshness or public.
    for status in [302, 303, 307] {
        assert_eq!(
            get(status, &validator),
            not_stored(NotStored::Status(code(status)))
        );
        let explicit = h(&[("cache-control", "max-age=60")]);
        assert_eq!(get(status, &explicit), SHARED, "{status} max-age");
        let expires = h(&[("expires", &date(t0() + secs(60)))]);
        assert_eq!(get(status, &expires), SHARED, "{status} Expires");
        let public = h(&[("cache-control", "public"), ("last-modified", &lm)]);
        assert_eq!(get(status, &public), SHARED, "{status} public");
    }
}

#[test]
fn vary_star_and_request_no_store_are_not_stored() {
    let headers = [("cache-control", "max-age=60"), ("vary", "Accept, *")];
    assert_eq!(store(&headers, &cfg()), not_stored(NotStored::VaryStar));
    let req = RequestDirectives {
        no_store: true,
        ..none()
    };
    let ok = h(&[("cache-control", "max-age=60")]);
    assert_eq!(
        storability(
            &Method::GET,
            StatusCode::OK,
            &ok,
            10,
            &req,
            &cfg(),
            Document
        ),
        not_stored(NotStored::RequestNoStore)
    );
}

#[test]
fn not_stored_reasons_read_well() {
    let shown = |r: NotStored| r.to_string();
    assert_eq!(shown(NotStored::NoStore), "Cache-Control: no-store");
    assert!(shown(NotStored::NoCacheConfiguredNoStore).contains("no_cache = \"no-store\""));
    assert!(shown(NotStored::NoFreshnessInformation).contains("default_max_age"));
    assert_eq!(
        shown(NotStored::Status(code(206))),
        "status 206 is not stored"
    );
    assert_eq!(
        shown(NotStored::Method(Method::POST)),
        "POST responses are never stored"
    );
    assert_eq!(
        shown(NotStored::TooLarge { size: 9, limit: 8 }),
        "9 bytes is over max_entry_bytes (8)"
    );
    assert_eq!(shown(NotStored::VaryStar), "Vary: *");
    assert!(shown(NotStored::RequestNoStore).contains("no-store"));
}

// ---- Freshness lifetime (spec §3, second paragraph) ----

#[test]
fn lifetime_max_age_comes_first() {
    let r = stored_at(
        200,
        h(&[
            ("cache-control", "max-age=30"),
            ("date", &date(t0())),
            ("expires", &date(t0() + secs(3600))),
            ("last-modified", &date(t0() - secs(100 * 86_400))),
        ]),
        t0(),
    );
    assert_eq!(lifetime(&r, &audio_default(secs(180)), Audio), secs(30));
}

#[test]
fn lifetime_meta_max_age_overrides_the_header() {
    let http = h(&[
        ("cache-control", "max-age=5"),
        ("expires", &date(t0() + secs(9))),
    ]);
    let meta = vec![("Cache-Control".to_string(), "max-age=60".to_string())];
    let (merged, skipped) = apply_meta(&http, &meta);
    assert!(skipped.is_empty());
    assert_eq!(
        lifetime(&stored_at(200, merged, t0()), &cfg(), Document),
        secs(60)
    );
    // A meta Expires replaces the header's too (max-age still comes first).
    let meta = vec![("expires".to_string(), date(t0() + secs(120)))];
    let (merged, _) = apply_meta(&h(&[("expires", &date(t0() + secs(9)))]), &meta);
    assert_eq!(
        lifetime(&stored_at(200, merged, t0()), &cfg(), Document),
        secs(120)
    );
}

#[test]
fn lifetime_invalid_or_conflicting_max_age_is_zero() {
    let expires = date(t0() + secs(3600));
    for cc in [
        "max-age=abc",
        "max-age=-1",
        "max-age",
        "max-age=10, max-age=20",
    ] {
        let r = resp(&[("cache-control", cc), ("expires", &expires)]);
        assert_eq!(
            lifetime(&r, &audio_default(secs(180)), Audio),
            Duration::ZERO,
            "{cc}"
        );
    }
    let r = resp(&[("cache-control", "max-age=99999999999999999999999")]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(2_147_483_648));
}

#[test]
fn lifetime_default_max_age_precedes_expires_and_heuristic() {
    let c = audio_default(secs(180));
    let expires = date(t0() + secs(3600));
    let old = date(t0() - secs(12 * 86_400));
    let with_expires = resp(&[("expires", &expires)]);
    assert_eq!(lifetime(&with_expires, &c, Audio), secs(180));
    assert_eq!(
        lifetime(&with_expires, &c, Document),
        secs(3600),
        "documents have no default"
    );
    let with_lm = resp(&[("last-modified", &old)]);
    assert_eq!(lifetime(&with_lm, &c, Audio), secs(180));
    let bare = resp(&[]);
    assert_eq!(lifetime(&bare, &c, Audio), secs(180));
    assert_eq!(lifetime(&bare, &c, Document), Duration::ZERO);
}

#[test]
fn lifetime_expires_minus_date() {
    let c = cfg();
    let r = resp(&[
        ("date", &date(t0() - secs(10))),
        ("expires", &date(t0() + secs(50))),
    ]);
    assert_eq!(lifetime(&r, &c, Document), secs(60));
    // No Date (or an invalid one): the time of receipt.
    let r = resp(&[("expires", &date(t0() + secs(50)))]);
    assert_eq!(lifetime(&r, &c, Document), secs(50));
    let r = resp(&[("date", "whenever"), ("expires", &date(t0() + secs(50)))]);
    assert_eq!(lifetime(&r, &c, Document), secs(50));
    // Expires before Date, or not a date: already expired.
    let r = resp(&[("date", &date(t0())), ("expires", &date(t0() - secs(50)))]);
    assert_eq!(lifetime(&r, &c, Document), Duration::ZERO);
    let lm = date(t0() - secs(10 * 86_400));
    for bad in ["0", "-1", "", "tomorrow"] {
        let r = resp(&[("expires", bad), ("last-modified", &lm)]);
        assert_eq!(
            lifetime(&r, &c, Document),
            Duration::ZERO,
            "Expires: {bad:?}"
        );
    }
    // The obsolete date formats count as much as IMF-fixdate.
    let r = resp(&[
        ("date", "Monday, 01-Jan-24 00:00:00 GMT"),
        ("expires", "Mon Jan  1 01:00:00 2024"),
    ]);
    assert_eq!(lifetime(&r, &c, Document), secs(3600));
}

#[test]
fn the_lifetime_names_the_rule_it_came_from() {
    let lm = date(t0() - secs(10 * 3600));
    let expires = date(t0() + secs(90));
    let now = date(t0());
    /// Response headers, configuration, the lifetime, its rule, its name.
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        CacheConfig,
        Duration,
        LifetimeSource,
        &'a str,
    );
    let cases: [Case; 6] = [
        (
            &[("cache-control", "max-age=60")],
            cfg(),
            secs(60),
            LifetimeSource::MaxAge,
            "max-age",
        ),
        (
            &[("cache-control", "max-age=60, s-maxage=30")],
            cfg(),
            secs(30),
            LifetimeSource::SMaxAge,
            "s-maxage",
        ),
        (
            &[("date", &now), ("expires", &expires)],
            cfg(),
            secs(90),
            LifetimeSource::Expires,
            "Expires − Date",
        ),
        (
            &[("date", &now), ("last-modified", &lm)],
            cfg(),
            secs(3600),
            LifetimeSource::Heuristic,
            "heuristic 10 % of Last-Modified age",
        ),
        (
            &[("date", &now), ("expires", &expires)],
            audio_default(secs(5)),
            secs(5),
            LifetimeSource::DefaultMaxAge,
            "default_max_age",
        ),
        (
            &[],
            cfg(),
            Duration::ZERO,
            LifetimeSource::None,
            "no freshness information",
        ),
    ];
    for (headers, config, lifetime, source, named) in cases {
        let f = freshness(&resp(headers), &config, Audio);
        assert_eq!((f.lifetime, f.source), (lifetime, source), "{headers:?}");
        assert_eq!(
            f.lifetime,
            freshness_lifetime(&resp(headers), &config, Audio)
        );
        let fraction = config.types[Audio].heuristic_fraction;
        assert_eq!(source.describe(fraction), named);
    }
}

#[test]
fn lifetime_heuristic_fraction_and_cap() {
    let lm = date(t0() - secs(10 * 3600));
    let r = resp(&[("date", &date(t0())), ("last-modified", &lm)]);
    let mut c = cfg();
    assert_eq!(lifetime(&r, &c, Document), secs(3600), "10% of 10 h");
    c.types[Document].heuristic_fraction = 0.25;
    assert_eq!(lifetime(&r, &c, Document), secs(9000));
    c.types[Document].max_heuristic_lifetime = secs(1800);
    assert_eq!(lifetime(&r, &c, Document), secs(1800), "capped");
    c.types[Document].heuristic_fraction = 0.0;
    assert_eq!(lifetime(&r, &c, Document), Duration::ZERO);
    // Per type: audio keeps the defaults.
    assert_eq!(lifetime(&r, &c, Audio), secs(3600));
    // Rounded down to whole seconds: 10% of 25 s is 2 s.
    let r = resp(&[
        ("date", &date(t0())),
        ("last-modified", &date(t0() - secs(25))),
    ]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(2));
    // No Date: time of receipt. Last-Modified after Date: zero.
    let r = resp(&[("last-modified", &lm)]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(3600));
    let r = resp(&[
        ("date", &date(t0())),
        ("last-modified", &date(t0() + secs(60))),
    ]);
    assert_eq!(lifetime(&r, &cfg(), Document), Duration::ZERO);
}

#[test]
fn lifetime_heuristics_only_for_heuristically_cacheable_statuses() {
    let c = audio_default(secs(180));
    let expires = date(t0() + secs(3600));
    let lm = date(t0() - secs(10 * 3600));
    // A 302 with Expires: default_max_age is a heuristic and does not apply.
    let r = stored_at(302, h(&[("expires", &expires)]), t0());
    assert_eq!(lifetime(&r, &c, Audio), secs(3600));
    let r = stored_at(302, h(&[("last-modified", &lm)]), t0());
    assert_eq!(lifetime(&r, &cfg(), Document), Duration::ZERO);
    let r = stored_at(
        302,
        h(&[("cache-control", "public"), ("last-modified", &lm)]),
        t0(),
    );
    assert_eq!(lifetime(&r, &cfg(), Document), secs(3600));
    let r = stored_at(301, h(&[("last-modified", &lm)]), t0());
    assert_eq!(lifetime(&r, &cfg(), Document), secs(3600));
    // An error gets no heuristic lifetime: it is stored only with explicit
    // freshness.
    let r = stored_at(404, h(&[("last-modified", &lm)]), t0());
    assert_eq!(lifetime(&r, &cfg(), Document), Duration::ZERO);
    let r = stored_at(404, h(&[("expires", &expires)]), t0());
    assert_eq!(lifetime(&r, &c, Audio), secs(3600), "not default_max_age");
}

/// RFC 9111 §5.2.2.10: the cache is shared by every call, so `s-maxage`
/// is its lifetime, over `max-age` and `Expires`.
#[test]
fn lifetime_takes_s_maxage_over_max_age_and_expires() {
    let r = resp(&[
        ("cache-control", "s-maxage=5"),
        ("expires", &date(t0() + secs(3600))),
    ]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(5));
    let r = resp(&[("cache-control", "max-age=3600, s-maxage=5")]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(5));
    let r = resp(&[("cache-control", "max-age=5, s-maxage=3600")]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(3600));
    let r = resp(&[("cache-control", "max-age=3600, s-maxage=abc")]);
    assert_eq!(
        lifetime(&r, &cfg(), Document),
        Duration::ZERO,
        "an invalid s-maxage makes it stale"
    );
}

// ---- Age (RFC 9111 §4.2.3) ----

#[test]
fn age_follows_rfc9111_4_2_3() {
    let request_time = t0();
    let response_time = t0() + secs(2);
    let mk = |pairs: &[(&str, &str)]| StoredResponse {
        request_time,
        response_time,
        ..stored_at(200, h(pairs), t0())
    };
    let later = response_time + secs(30);
    // apparent_age (12) beats corrected_age_value (5 + 2 delay).
    let r = mk(&[("date", &date(t0() - secs(10))), ("age", "5")]);
    assert_eq!(current_age(&r, later), secs(12 + 30));
    // corrected_age_value (100 + 2) beats apparent_age (12).
    let r = mk(&[("date", &date(t0() - secs(10))), ("age", "100")]);
    assert_eq!(current_age(&r, later), secs(102 + 30));
    // No Date and no Age: only the response delay and resident time.
    let r = mk(&[]);
    assert_eq!(current_age(&r, later), secs(2 + 30));
    // An invalid Age is ignored; a Date after receipt gives no apparent age.
    let r = mk(&[("date", &date(t0() + secs(60))), ("age", "-4")]);
    assert_eq!(current_age(&r, later), secs(32));
    // A clock before the receipt time adds no resident time.
    assert_eq!(current_age(&mk(&[]), t0()), secs(2));
}

#[test]
fn age_from_upstream_counts_against_freshness() {
    let r = resp(&[("cache-control", "max-age=60"), ("age", "50")]);
    assert_eq!(at(&r, 9, &none(), &cfg()), Reuse::Fresh);
    assert_eq!(at(&r, 10, &none(), &cfg()), Reuse::Refetch);
}

// ---- Using a stored copy (spec §3, steps 1–7) ----

#[test]
fn step1_must_revalidate_when_stale_by_default_always_when_configured() {
    let r = resp(&[("cache-control", "max-age=60, must-revalidate"), ETAG]);
    let when_stale = cfg();
    assert_eq!(when_stale.must_revalidate, MustRevalidateMode::WhenStale);
    assert_eq!(at(&r, 30, &none(), &when_stale), Reuse::Fresh);
    let any_staleness = RequestDirectives {
        max_stale: Some(MaxStale::Any),
        ..none()
    };
    assert!(
        matches!(
            at(&r, 61, &any_staleness, &when_stale),
            Reuse::Revalidate(_)
        ),
        "must-revalidate is never served stale"
    );
    let mut always = cfg();
    always.must_revalidate = MustRevalidateMode::Always;
    assert_eq!(
        at(&r, 0, &none(), &always),
        revalidate_with(&[("if-none-match", "\"v1\"")])
    );
    // Without must-revalidate, "always" changes nothing.
    let plain = resp(&[("cache-control", "max-age=60"), ETAG]);
    assert_eq!(at(&plain, 30, &none(), &always), Reuse::Fresh);
}

#[test]
fn step2_request_maxage_overrides_by_default() {
    let c = cfg();
    assert_eq!(c.maxage, MaxAgeMode::Overrides);
    let short = resp(&[("cache-control", "max-age=10"), ETAG]);
    let long = resp(&[("cache-control", "max-age=3600"), ETAG]);
    let maxage = |s| RequestDirectives::voicexml(Some(secs(s)), None);
    // Lengthens: stored 10 s, request accepts 120 s.
    assert_eq!(at(&short, 20, &maxage(120), &c), Reuse::Fresh);
    assert_eq!(
        lifetime_in_force(&short, &maxage(120), &c, Document),
        secs(120)
    );
    assert!(matches!(
        at(&short, 120, &maxage(120), &c),
        Reuse::Revalidate(_)
    ));
    // Shortens: stored 1 h, request accepts 60 s.
    assert_eq!(at(&long, 30, &maxage(60), &c), Reuse::Fresh);
    assert!(matches!(
        at(&long, 100, &maxage(60), &c),
        Reuse::Revalidate(_)
    ));
    // Even a response with no lifetime at all.
    let zero = resp(&[("cache-control", "max-age=0"), ETAG]);
    assert_eq!(at(&zero, 5, &maxage(120), &c), Reuse::Fresh);
}

#[test]
fn step2_request_maxage_only_limits_when_configured() {
    let mut c = cfg();
    c.maxage = MaxAgeMode::Limits;
    let short = resp(&[("cache-control", "max-age=10"), ETAG]);
    let long = resp(&[("cache-control", "max-age=3600"), ETAG]);
    let maxage = |s| RequestDirectives::voicexml(Some(secs(s)), None);
    assert!(matches!(
        at(&short, 20, &maxage(120), &c),
        Reuse::Revalidate(_)
    ));
    assert_eq!(
        lifetime_in_force(&short, &maxage(120), &c, Document),
        secs(10)
    );
    assert_eq!(at(&long, 30, &maxage(60), &c), Reuse::Fresh);
    assert!(matches!(
        at(&long, 100, &maxage(60), &c),
        Reuse::Revalidate(_)
    ));
}

#[test]
fn step3_usable_while_age_is_below_the_lifetime() {
    let r = resp(&[("cache-control", "max-age=60"), ETAG]);
    assert_eq!(at(&r, 0, &none(), &cfg()), Reuse::Fresh);
    assert_eq!(at(&r, 59, &none(), &cfg()), Reuse::Fresh);
    assert!(matches!(at(&r, 60, &none(), &cfg()), Reuse::Revalidate(_)));
    // maxage=0 always goes to the origin.
    let zero = RequestDirectives::voicexml(Some(Duration::ZERO), None);
    assert!(matches!(at(&r, 0, &zero, &cfg()), Reuse::Revalidate(_)));
}

#[test]
fn step4_past_the_lifetime_maxstale_allows_stale_use() {
    let r = resp(&[("cache-control", "max-age=60"), ETAG]);
    let maxstale = |s| RequestDirectives::voicexml(None, Some(secs(s)));
    assert_eq!(at(&r, 60, &maxstale(0), &cfg()), Reuse::Stale);
    assert_eq!(at(&r, 90, &maxstale(30), &cfg()), Reuse::Stale);
    assert!(matches!(
        at(&r, 91, &maxstale(30), &cfg()),
        Reuse::Revalidate(_)
    ));
    let any = RequestDirectives {
        max_stale: Some(MaxStale::Any),
        ..none()
    };
    assert_eq!(at(&r, 1_000_000, &any, &cfg()), Reuse::Stale);
    // maxstale counts from the lifetime in force (request maxage overriding).
    let both = RequestDirectives::voicexml(Some(secs(10)), Some(secs(5)));
    assert_eq!(at(&r, 15, &both, &cfg()), Reuse::Stale);
    assert!(matches!(at(&r, 16, &both, &cfg()), Reuse::Revalidate(_)));
    // Never with must-revalidate.
    let strict = resp(&[("cache-control", "max-age=60, must-revalidate"), ETAG]);
    assert!(matches!(
        at(&strict, 61, &any, &cfg()),
        Reuse::Revalidate(_)
    ));
}

#[test]
fn step5_revalidation_headers_follow_004s_table() {
    let lm = "Sat, 30 Dec 2023 10:00:00 GMT";
    let cases: [(&[(&str, &str)], Reuse); 4] = [
        (
            &[("last-modified", lm)],
            revalidate_with(&[("if-modified-since", lm)]),
        ),
        (&[ETAG], revalidate_with(&[("if-none-match", "\"v1\"")])),
        (
            &[ETAG, ("last-modified", lm)],
            revalidate_with(&[("if-none-match", "\"v1\""), ("if-modified-since", lm)]),
        ),
        (&[], Reuse::Refetch),
    ];
    for (headers, expected) in cases {
        let mut all = headers.to_vec();
        all.push(("cache-control", "max-age=60"));
        let r = resp(&all);
        assert_eq!(at(&r, 61, &none(), &cfg()), expected, "{headers:?}");
    }
    // Weak tags and obsolete date formats are sent back exactly as received.
    let r = resp(&[
        ("etag", "W/\"w\""),
        ("last-modified", "Saturday, 30-Dec-23 10:00:00 GMT"),
    ]);
    assert_eq!(
        conditional_headers(&r),
        h(&[
            ("if-none-match", "W/\"w\""),
            ("if-modified-since", "Saturday, 30-Dec-23 10:00:00 GMT"),
        ])
    );
    // An unparsable Last-Modified is no validator.
    assert!(conditional_headers(&resp(&[("last-modified", "yesterday")])).is_empty());
}

#[test]
fn step6_stale_if_error() {
    let r = resp(&[("cache-control", "max-age=60"), ETAG]);
    let c0 = cfg();
    assert_eq!(c0.stale_if_error, Duration::ZERO);
    let now = |age| t0() + secs(age);
    assert!(stale_if_error_allows(&r, &none(), now(60), &c0, Document));
    assert!(!stale_if_error_allows(&r, &none(), now(61), &c0, Document));
    let mut c30 = cfg();
    c30.stale_if_error = secs(30);
    assert!(stale_if_error_allows(&r, &none(), now(90), &c30, Document));
    assert!(!stale_if_error_allows(&r, &none(), now(91), &c30, Document));
    // The origin may grant more (RFC 5861).
    let granted = resp(&[("cache-control", "max-age=60, stale-if-error=100")]);
    assert!(stale_if_error_allows(
        &granted,
        &none(),
        now(160),
        &c30,
        Document
    ));
    assert!(!stale_if_error_allows(
        &granted,
        &none(),
        now(161),
        &c30,
        Document
    ));
    // Never past must-revalidate, never for no-cache (response or request).
    let strict = resp(&[("cache-control", "max-age=60, must-revalidate")]);
    assert!(stale_if_error_allows(
        &strict,
        &none(),
        now(59),
        &c30,
        Document
    ));
    assert!(!stale_if_error_allows(
        &strict,
        &none(),
        now(61),
        &c30,
        Document
    ));
    let no_cache = resp(&[("cache-control", "max-age=60, no-cache"), ETAG]);
    assert!(!stale_if_error_allows(
        &no_cache,
        &none(),
        now(0),
        &c30,
        Document
    ));
    let req_no_cache = RequestDirectives {
        no_cache: true,
        ..none()
    };
    assert!(!stale_if_error_allows(
        &r,
        &req_no_cache,
        now(0),
        &c30,
        Document
    ));
    // Staleness is measured against the lifetime in force.
    let maxage = RequestDirectives::voicexml(Some(secs(10)), None);
    assert!(stale_if_error_allows(&r, &maxage, now(40), &c30, Document));
    assert!(!stale_if_error_allows(&r, &maxage, now(41), &c30, Document));
}

#[test]
fn step7_vary_reuse_only_for_matching_requests() {
    let response = h(&[
        ("cache-control", "max-age=60"),
        ("vary", "Accept-Language, X-Caller"),
    ]);
    let original = h(&[("accept-language", "en"), ("accept-language", "fr")]);
    let key = vary_key(&response, &original).expect("not Vary: *");
    assert_eq!(
        key,
        vec![
            (
                HeaderName::from_static("accept-language"),
                Some(HeaderValue::from_static("en, fr"))
            ),
            (HeaderName::from_static("x-caller"), None),
        ]
    );
    let r = StoredResponse {
        vary: key,
        ..stored_at(200, response, t0())
    };
    let ask = |req: &HeaderMap| decide(&r, req, &none(), t0() + secs(1), &cfg(), Document);
    assert_eq!(ask(&original), Reuse::Fresh);
    assert_eq!(ask(&h(&[("accept-language", "en, fr")])), Reuse::Fresh);
    assert_eq!(ask(&h(&[("accept-language", "en")])), Reuse::Refetch);
    assert_eq!(
        ask(&h(&[("accept-language", "en, fr"), ("x-caller", "1")])),
        Reuse::Refetch,
        "a header absent before must be absent now"
    );
    assert_eq!(vary_key(&h(&[("vary", "*")]), &original), None);
    assert_eq!(vary_key(&h(&[]), &original), Some(Vec::new()));
    let star = resp(&[("cache-control", "max-age=60"), ("vary", "*")]);
    assert_eq!(at(&star, 1, &none(), &cfg()), Reuse::Refetch);
}

#[test]
fn request_no_cache_and_min_fresh() {
    let r = resp(&[("cache-control", "max-age=60"), ETAG]);
    let no_cache = RequestDirectives {
        no_cache: true,
        ..none()
    };
    assert!(matches!(at(&r, 0, &no_cache, &cfg()), Reuse::Revalidate(_)));
    let min_fresh = RequestDirectives {
        min_fresh: Some(secs(20)),
        max_stale: Some(MaxStale::Any),
        ..none()
    };
    assert_eq!(at(&r, 39, &min_fresh, &cfg()), Reuse::Fresh);
    assert!(
        matches!(at(&r, 40, &min_fresh, &cfg()), Reuse::Revalidate(_)),
        "fresh but short of min-fresh is not served as stale"
    );
    assert_eq!(at(&r, 60, &min_fresh, &cfg()), Reuse::Stale);
}

// ---- 304 handling ----

#[test]
fn not_modified_merges_headers_keeps_meta_and_resets_age() {
    let old_date = date(t0());
    let mut r = resp(&[
        ("cache-control", "max-age=60"),
        ("date", &old_date),
        ("age", "30"),
        ETAG,
        ("content-length", "1234"),
        ("x-old", "kept"),
        ("x-both", "old"),
    ]);
    // The document's meta said max-age=600 (already merged into headers).
    let (merged, _) = apply_meta(
        &r.headers,
        &[("cache-control".into(), "max-age=600".into())],
    );
    r.headers = merged;
    r.meta = h(&[("cache-control", "max-age=600")]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(600));

    let request_time = t0() + secs(1000);
    let response_time = request_time + secs(1);
    let not_modified = h(&[
        ("cache-control", "no-cache"),
        ("x-both", "new"),
        ("x-both", "newer"),
        ("content-length", "0"),
        ("connection", "x-hop"),
        ("x-hop", "dropped"),
        ETAG,
    ]);
    assert!(not_modified_matches(&r, &not_modified));
    let m = merge_not_modified(&r, &not_modified, request_time, response_time);
    assert_eq!(m.status, 200);
    assert_eq!(m.request_time, request_time);
    assert_eq!(m.response_time, response_time);
    assert_eq!(m.meta, r.meta);
    let values = |name: &str| -> Vec<&str> {
        m.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("ascii"))
            .collect()
    };
    assert_eq!(
        values("cache-control"),
        ["max-age=600"],
        "meta keeps precedence"
    );
    assert_eq!(values("x-both"), ["new", "newer"]);
    assert_eq!(values("x-old"), ["kept"]);
    assert_eq!(
        values("content-length"),
        ["1234"],
        "describes the kept body"
    );
    assert!(values("x-hop").is_empty(), "Connection-nominated");
    assert!(values("date").is_empty() && values("age").is_empty());
    // The age starts again from the revalidation.
    assert_eq!(current_age(&m, response_time), secs(1));
    assert_eq!(
        decide(
            &m,
            &HeaderMap::new(),
            &none(),
            response_time + secs(10),
            &cfg(),
            Document
        ),
        Reuse::Fresh
    );
    // A 304 that carries Date and Age replaces them.
    let with_date = h(&[("date", &date(response_time)), ("age", "3")]);
    let m = merge_not_modified(&r, &with_date, request_time, response_time);
    assert_eq!(m.headers.get("age").map(|v| v.as_bytes()), Some(&b"3"[..]));
    assert_eq!(current_age(&m, response_time), secs(4));
}

#[test]
fn not_modified_must_match_the_stored_validators() {
    let strong = resp(&[ETAG, ("last-modified", "Sat, 30 Dec 2023 10:00:00 GMT")]);
    let weak = resp(&[("etag", "W/\"v1\"")]);
    let lm_only = resp(&[("last-modified", "Sat, 30 Dec 2023 10:00:00 GMT")]);
    assert!(not_modified_matches(&strong, &h(&[ETAG])));
    assert!(!not_modified_matches(&strong, &h(&[("etag", "\"v2\"")])));
    assert!(not_modified_matches(&strong, &h(&[("etag", "W/\"v1\"")])));
    assert!(
        !not_modified_matches(&weak, &h(&[ETAG])),
        "a strong tag selects only a strong stored tag"
    );
    assert!(not_modified_matches(&weak, &h(&[("etag", "W/\"v1\"")])));
    assert!(!not_modified_matches(&lm_only, &h(&[ETAG])));
    assert!(not_modified_matches(
        &lm_only,
        &h(&[("last-modified", "Sat, 30 Dec 2023 10:00:00 GMT")])
    ));
    assert!(!not_modified_matches(
        &lm_only,
        &h(&[("last-modified", "Sat, 30 Dec 2023 10:00:01 GMT")])
    ));
    assert!(
        not_modified_matches(&strong, &h(&[])),
        "no validators: ours"
    );
}

// ---- Request directives ----

#[test]
fn request_directives_from_headers() {
    let r = RequestDirectives::from_headers(&h(&[
        ("cache-control", "Max-Age=120, max-stale=30, min-fresh=5"),
        (
            "cache-control",
            "no-cache, no-store, only-if-cached, max-age=60",
        ),
    ]));
    assert_eq!(
        r,
        RequestDirectives {
            max_age: Some(secs(60)),
            max_stale: Some(MaxStale::Limit(secs(30))),
            min_fresh: Some(secs(5)),
            no_cache: true,
            no_store: true,
            only_if_cached: true,
            stale_if_error: None,
            authorized: false,
        }
    );
    let bare = RequestDirectives::from_headers(&h(&[("cache-control", "max-stale")]));
    assert_eq!(bare.max_stale, Some(MaxStale::Any));
    let both = RequestDirectives::from_headers(&h(&[("cache-control", "max-stale, max-stale=9")]));
    assert_eq!(both.max_stale, Some(MaxStale::Limit(secs(9))));
    let junk = RequestDirectives::from_headers(&h(&[(
        "cache-control",
        "max-age=abc, max-stale=-1, min-fresh=, unknown",
    )]));
    assert_eq!(junk, none());
    let pragma = RequestDirectives::from_headers(&h(&[("pragma", "no-cache")]));
    assert!(pragma.no_cache);
    let pragma_and_cc = RequestDirectives::from_headers(&h(&[
        ("pragma", "no-cache"),
        ("cache-control", "max-age=5"),
    ]));
    assert!(!pragma_and_cc.no_cache);
}

#[test]
fn overrides_is_sent_to_the_tier_as_max_age_and_max_stale() {
    let sent = |age: Option<u64>, stale: Option<u64>, mode: MaxAgeMode| {
        RequestDirectives::voicexml(age.map(secs), stale.map(secs))
            .for_tier(mode)
            .to_header()
            .map(|v| v.to_str().expect("ascii").to_string())
    };
    use MaxAgeMode::{Limits, Overrides};
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        sent(Some(60), None, Overrides),
        s("max-age=60, max-stale=60")
    );
    assert_eq!(
        sent(Some(60), Some(30), Overrides),
        s("max-age=60, max-stale=90")
    );
    assert_eq!(sent(Some(0), None, Overrides), s("max-age=0, max-stale=0"));
    assert_eq!(sent(None, Some(30), Overrides), s("max-stale=30"));
    assert_eq!(sent(Some(60), None, Limits), s("max-age=60"));
    assert_eq!(
        sent(Some(60), Some(30), Limits),
        s("max-age=60, max-stale=30")
    );
    assert_eq!(sent(None, None, Overrides), None);
}

#[test]
fn request_directives_to_header() {
    let v = RequestDirectives::voicexml(Some(secs(120)), Some(secs(30)));
    assert_eq!(
        v.to_header(),
        Some(HeaderValue::from_static("max-age=120, max-stale=30"))
    );
    let only_age = RequestDirectives::voicexml(Some(Duration::from_millis(1500)), None);
    assert_eq!(
        only_age.to_header(),
        Some(HeaderValue::from_static("max-age=1"))
    );
    assert_eq!(none().to_header(), None);
    let all = RequestDirectives {
        max_age: Some(secs(1)),
        max_stale: Some(MaxStale::Any),
        min_fresh: Some(secs(2)),
        no_cache: true,
        no_store: true,
        only_if_cached: true,
        stale_if_error: Some(secs(3)),
        authorized: false,
    };
    let header = all.to_header().expect("some");
    assert_eq!(
        header,
        "max-age=1, max-stale, min-fresh=2, stale-if-error=3, no-cache, no-store, only-if-cached"
    );
    // What the browser sends, the proxy reads back.
    assert_eq!(
        RequestDirectives::from_headers(&h(&[("cache-control", header.to_str().expect("ascii"))])),
        all
    );
}

// ---- The seeds' worked examples ----

/// 003_1ed39794a2726984.txt, "Example of Behaviour", exactly as written: the
/// document's meta says max-age=60; 1.wav and 2.wav are served with
/// max-age=10; 3.wav with no cache headers; audio resource_max_age is 3
/// minutes; 1.wav is requested with maxage=120. A second call 20 s later
/// reuses the document, 1.wav and 3.wav, and fetches 2.wav again.
#[test]
fn seed_003_worked_example() {
    let clock = ManualClock::at_epoch_2024();
    let c = audio_default(Duration::from_secs(3 * 60));
    let first_call = clock.now();
    let served = |pairs: &[(&str, &str)]| {
        let mut all = vec![("date", date(first_call))];
        all.extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h(&refs)
    };

    // First call: everything is fetched and stored.
    let meta = vec![("cache-control".to_string(), "max-age=60".to_string())];
    let (doc_headers, skipped) = apply_meta(
        &served(&[("content-type", "application/voicexml+xml")]),
        &meta,
    );
    assert!(skipped.is_empty());
    let wav1 = served(&[("cache-control", "max-age=10")]);
    let wav2 = served(&[("cache-control", "max-age=10")]);
    let wav3 = served(&[]);
    let maxage_120 = RequestDirectives::voicexml(Some(Duration::from_secs(120)), None);
    for (headers, req, t) in [
        (&doc_headers, none(), Document),
        (&wav1, maxage_120, Audio),
        (&wav2, none(), Audio),
        (&wav3, none(), Audio),
    ] {
        assert_eq!(
            storability(&Method::GET, StatusCode::OK, headers, 1000, &req, &c, t),
            SHARED
        );
    }
    let doc = stored_at(200, doc_headers, first_call);
    let wav1 = stored_at(200, wav1, first_call);
    let wav2 = stored_at(200, wav2, first_call);
    let wav3 = stored_at(200, wav3, first_call);
    assert_eq!(lifetime(&doc, &c, Document), Duration::from_secs(60));
    assert_eq!(
        lifetime(&wav1, &c, Audio),
        Duration::from_secs(10),
        "maxage is not stored"
    );
    assert_eq!(lifetime(&wav2, &c, Audio), Duration::from_secs(10));
    assert_eq!(lifetime(&wav3, &c, Audio), Duration::from_secs(180));
    assert_eq!(
        maxage_120.to_header(),
        Some(HeaderValue::from_static("max-age=120"))
    );

    // Second call, 20 seconds later.
    clock.advance(Duration::from_secs(20));
    let now = clock.now();
    let no_req_headers = HeaderMap::new();
    let use_ = |r: &StoredResponse, req: &RequestDirectives, t| {
        decide(r, &no_req_headers, req, now, &c, t)
    };
    assert_eq!(
        use_(&doc, &none(), Document),
        Reuse::Fresh,
        "document from the cache"
    );
    assert_eq!(
        use_(&wav1, &maxage_120, Audio),
        Reuse::Fresh,
        "1.wav from the cache"
    );
    assert_eq!(
        use_(&wav2, &none(), Audio),
        Reuse::Refetch,
        "2.wav from the server"
    );
    assert_eq!(
        use_(&wav3, &none(), Audio),
        Reuse::Fresh,
        "3.wav from the cache"
    );
    // Without its maxage, 1.wav would have been fetched like 2.wav.
    assert_eq!(use_(&wav1, &none(), Audio), Reuse::Refetch);
}

/// 004_5acf2660beb156be.txt: a document last modified 12 days before it was
/// served is fresh for 1.2 days by the fraction, capped at 24 hours.
#[test]
fn seed_004_heuristic_is_capped_at_24_hours() {
    let served = t0();
    let r = resp(&[
        ("date", &date(served)),
        ("last-modified", &date(served - secs(12 * 86_400))),
    ]);
    let c = cfg();
    assert_eq!(lifetime(&r, &c, Document), secs(86_400));
    let mut uncapped = cfg();
    uncapped.types[Document].max_heuristic_lifetime = secs(7 * 86_400);
    assert_eq!(lifetime(&r, &uncapped, Document), secs(103_680), "1.2 days");
    assert_eq!(at(&r, 86_399, &none(), &c), Reuse::Fresh);
    assert_eq!(
        at(&r, 86_400, &none(), &c),
        revalidate_with(&[("if-modified-since", &date(served - secs(12 * 86_400)))])
    );
}

/// 004: freshness fraction 0 → the resource is revalidated on every request.
#[test]
fn seed_004_fraction_zero_revalidates_every_request() {
    let mut c = cfg();
    c.types[Document].heuristic_fraction = 0.0;
    let lm = date(t0() - secs(365 * 86_400));
    let r = resp(&[("date", &date(t0())), ("last-modified", &lm)]);
    assert_eq!(store(&[("last-modified", &lm)], &c), SHARED);
    assert_eq!(lifetime(&r, &c, Document), Duration::ZERO);
    for age in [0, 1, 60] {
        assert_eq!(
            at(&r, age, &none(), &c),
            revalidate_with(&[("if-modified-since", &lm)])
        );
    }
}

/// 000_faec5ba6da9dadf9.txt: `Cache-Control: no-cache` with an ETag is stored
/// and checked with the origin (If-None-Match) on every use; max-age=259200
/// is used for three days.
#[test]
fn seed_000_no_cache_with_etag_and_three_day_max_age() {
    let headers = [("cache-control", "no-cache"), ("etag", "\"AAAA-1\"")];
    assert_eq!(
        storability(
            &Method::GET,
            StatusCode::OK,
            &h(&headers),
            5000,
            &none(),
            &cfg(),
            Audio
        ),
        SHARED
    );
    let r = resp(&headers);
    for age in [0, 1, 3600] {
        assert_eq!(
            decide(
                &r,
                &HeaderMap::new(),
                &none(),
                t0() + secs(age),
                &cfg(),
                Audio
            ),
            revalidate_with(&[("if-none-match", "\"AAAA-1\"")])
        );
    }
    let three_days = resp(&[("cache-control", "max-age=259200")]);
    let use_at = |age| {
        decide(
            &three_days,
            &HeaderMap::new(),
            &none(),
            t0() + secs(age),
            &cfg(),
            Audio,
        )
    };
    assert_eq!(use_at(259_199), Reuse::Fresh);
    assert_eq!(use_at(259_200), Reuse::Refetch);
}

// ---- Differential test against http-cache-semantics ----

mod differential {
    use super::*;
    use http_cache_semantics::{CacheOptions, CachePolicy};

    /// How a date header is written.
    #[derive(Clone, Copy)]
    enum Format {
        Imf,
        Rfc850,
        Asctime,
    }

    fn format_date(t: SystemTime, f: Format) -> String {
        let imf = httpdate::fmt_http_date(t); // "Sun, 06 Nov 1994 08:49:37 GMT"
        let (wday, day, mon, year, time) = (
            &imf[0..3],
            &imf[5..7],
            &imf[8..11],
            &imf[12..16],
            &imf[17..25],
        );
        match f {
            Format::Imf => imf.clone(),
            Format::Rfc850 => {
                let long = match wday {
                    "Mon" => "Monday",
                    "Tue" => "Tuesday",
                    "Wed" => "Wednesday",
                    "Thu" => "Thursday",
                    "Fri" => "Friday",
                    "Sat" => "Saturday",
                    _ => "Sunday",
                };
                format!("{long}, {day}-{mon}-{} {time} GMT", &year[2..])
            }
            Format::Asctime => {
                let day = day
                    .strip_prefix('0')
                    .map_or(day.to_string(), |d| format!(" {d}"));
                format!("{wday} {mon} {day} {time} {year}")
            }
        }
    }

    /// One generated `max-age` directive, by what it means.
    #[derive(Clone, Debug, PartialEq)]
    enum MaxAgeArg {
        Valid(u64),
        Invalid(String),
        Bare,
        Overflow,
        Unterminated(u64),
    }

    /// A date header as generated: its text for us and for the reference.
    struct DateHeader {
        ours: String,
        reference: String,
        valid: bool,
    }

    /// One generated exchange.
    struct Case {
        method: Method,
        status: u16,
        ours: HeaderMap,
        reference: HeaderMap,
        request_no_store: bool,
        /// The request carried `Authorization` (RFC 9111 §3.5).
        authorized: bool,
        cfg: CacheConfig,
        max_ages: Vec<MaxAgeArg>,
        s_maxages: Vec<MaxAgeArg>,
        private: bool,
        proxy_revalidate: bool,
        set_cookie: bool,
        no_cache: bool,
        public: bool,
        expires_conflict: bool,
        has_expires: bool,
        lm_valid: bool,
        has_etag: bool,
        vary_star: bool,
        description: Vec<(String, String)>,
    }

    const RT: u64 = 1_704_067_200; // response time: 2024-01-01T00:00:00Z

    fn pick<T: Clone>(rng: &mut fastrand::Rng, items: &[T]) -> T {
        items[rng.usize(..items.len())].clone()
    }

    fn gen_date(rng: &mut fastrand::Rng, at: SystemTime, invalid_one_in: usize) -> DateHeader {
        if rng.usize(..invalid_one_in) == 0 {
            let bad = pick(rng, &["0", "-1", "garbage", "", "Sun, 06 Nov 1994"]).to_string();
            return DateHeader {
                ours: bad.clone(),
                reference: bad,
                valid: false,
            };
        }
        let format = pick(
            rng,
            &[Format::Imf, Format::Imf, Format::Rfc850, Format::Asctime],
        );
        DateHeader {
            ours: format_date(at, format),
            // The reference parses only RFC 2822 dates, though RFC 9110
            // §5.6.7 requires all three formats: it gets the same instant as
            // IMF-fixdate.
            reference: format_date(at, Format::Imf),
            valid: true,
        }
    }

    fn offset(base: SystemTime, delta: i64) -> SystemTime {
        if delta >= 0 {
            base + secs(delta as u64)
        } else {
            base - secs(delta.unsigned_abs())
        }
    }

    fn generate(rng: &mut fastrand::Rng) -> Case {
        let rt = SystemTime::UNIX_EPOCH + secs(RT);
        let mut pairs: Vec<(String, String, String)> = Vec::new(); // name, ours, reference
        let mut max_ages = Vec::new();
        let mut s_maxages = Vec::new();
        let mut no_cache = false;
        let mut public = false;
        let mut private = false;
        let mut proxy_revalidate = false;

        // Cache-Control: 0–2 lines of 0–3 directives.
        let mut has_cc = false;
        for _ in 0..rng.usize(0..3) {
            has_cc = true;
            let n = rng.usize(0..4);
            let mut items: Vec<String> = Vec::new();
            for i in 0..n {
                let num = pick(rng, &[0u64, 5, 10, 60, 3600, 86_400, 2_592_000]);
                let item = match rng.usize(0..24) {
                    0..=3 => {
                        max_ages.push(MaxAgeArg::Valid(num));
                        format!("max-age={num}")
                    }
                    4 => {
                        max_ages.push(MaxAgeArg::Valid(num));
                        format!("max-age=\"{num}\"")
                    }
                    5 => {
                        max_ages.push(MaxAgeArg::Valid(num));
                        format!("MAX-AGE={num}")
                    }
                    6 => {
                        let bad = pick(rng, &["abc", "-5", "1.5", "", "ABC"]);
                        max_ages.push(MaxAgeArg::Invalid(bad.to_ascii_lowercase()));
                        format!("max-age={bad}")
                    }
                    7 => {
                        max_ages.push(MaxAgeArg::Bare);
                        "max-age".into()
                    }
                    8 => {
                        max_ages.push(MaxAgeArg::Overflow);
                        "max-age=99999999999999999999".into()
                    }
                    9 if i == n - 1 => {
                        // Only last on its line: an unterminated quote runs to
                        // the end of the line.
                        max_ages.push(MaxAgeArg::Unterminated(num));
                        format!("max-age=\"{num}")
                    }
                    10 => {
                        s_maxages.push(MaxAgeArg::Valid(num));
                        format!("s-maxage={num}")
                    }
                    11 => "no-store".into(),
                    12 => {
                        no_cache = true;
                        "no-cache".into()
                    }
                    13 => {
                        no_cache = true;
                        "no-cache=\"Set-Cookie\"".into()
                    }
                    14 => {
                        private = true;
                        "private".into()
                    }
                    15 => {
                        private = true;
                        "private=\"X-Foo\"".into()
                    }
                    16 => {
                        public = true;
                        "public".into()
                    }
                    17 => "must-revalidate".into(),
                    18 => {
                        proxy_revalidate = true;
                        "proxy-revalidate".into()
                    }
                    19 => "immutable".into(),
                    20 => format!("stale-if-error={num}"),
                    21 => "x-unknown".into(),
                    22 => "NO-STORE".into(),
                    _ => "ext=\"a b\"".into(),
                };
                items.push(item);
            }
            let line = items.join(", ");
            // The reference compares directive names case-sensitively (RFC
            // 9111 §5.2: they are case-insensitive): it gets them lower-cased.
            pairs.push((
                "cache-control".into(),
                line.clone(),
                line.to_ascii_lowercase(),
            ));
        }

        // Pragma.
        match rng.usize(0..8) {
            0 => pairs.push(("pragma".into(), "no-cache".into(), "no-cache".into())),
            1 => pairs.push(("pragma".into(), "No-Cache".into(), "no-cache".into())),
            2 => pairs.push(("pragma".into(), "x-foo".into(), "x-foo".into())),
            _ => {}
        }
        let pragma_no_cache = pairs
            .iter()
            .any(|(n, _, r)| n == "pragma" && r == "no-cache");
        if pragma_no_cache && !has_cc {
            no_cache = true;
        }

        // Date.
        let mut server_date = rt;
        if rng.usize(0..4) != 0 {
            let d = offset(rt, pick(rng, &[0i64, 0, -10, -3600, -3 * 86_400, 300]));
            let header = gen_date(rng, d, 12);
            if header.valid {
                server_date = d;
            }
            pairs.push(("date".into(), header.ours, header.reference));
        }

        // Expires, relative to Date; sometimes twice, disagreeing.
        let mut has_expires = false;
        let mut expires_conflict = false;
        if rng.usize(0..3) == 0 {
            has_expires = true;
            let rel = [-3600i64, 0, 30, 3600, 10 * 86_400, 400 * 86_400];
            let e = offset(server_date, pick(rng, &rel));
            let header = gen_date(rng, e, 5);
            pairs.push(("expires".into(), header.ours, header.reference));
            if rng.usize(0..15) == 0 {
                expires_conflict = true;
                let other = format_date(offset(e, 77), Format::Imf);
                pairs.push(("expires".into(), other.clone(), other));
            }
        }

        // Last-Modified, relative to Date.
        let mut lm_valid = false;
        if rng.usize(0..2) == 0 {
            let rel = [-10i64, -3600, -36_000, -12 * 86_400, -400 * 86_400, 3600];
            let lm = offset(server_date, pick(rng, &rel));
            let header = gen_date(rng, lm, 10);
            lm_valid = header.valid;
            pairs.push(("last-modified".into(), header.ours, header.reference));
        }

        let has_etag = rng.usize(0..3) == 0;
        if has_etag {
            let tag = pick(rng, &["\"abc\"", "W/\"abc\""]).to_string();
            pairs.push(("etag".into(), tag.clone(), tag));
        }
        let set_cookie = rng.usize(0..6) == 0;
        if set_cookie {
            pairs.push(("set-cookie".into(), "s=1".into(), "s=1".into()));
        }
        let mut vary_star = false;
        match rng.usize(0..12) {
            0 => pairs.push(("vary".into(), "Accept".into(), "Accept".into())),
            1 => {
                vary_star = true;
                pairs.push(("vary".into(), "*".into(), "*".into()));
            }
            _ => {}
        }

        let status = if rng.bool() {
            200
        } else {
            pick(
                rng,
                &[
                    200, 203, 204, 206, 300, 301, 302, 303, 304, 307, 308, 404, 405, 410, 414, 500,
                    501, 503,
                ],
            )
        };
        let method = match rng.usize(0..20) {
            0 => Method::POST,
            1 => Method::HEAD,
            _ => Method::GET,
        };
        let mut cfg = CacheConfig::default();
        let fraction = pick(rng, &[0.1, 0.1, 0.1, 0.0, 0.25]);
        let default_max_age = if rng.usize(0..8) == 0 {
            secs(180)
        } else {
            Duration::ZERO
        };
        for (t, _) in CacheConfig::default().types.iter() {
            cfg.types[t].heuristic_fraction = fraction;
            cfg.types[t].default_max_age = default_max_age;
        }
        if rng.usize(0..7) == 0 {
            cfg.no_cache = NoCacheMode::NoStore;
        }

        let mut ours = HeaderMap::new();
        let mut reference = HeaderMap::new();
        let mut description = Vec::new();
        for (name, o, r) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("generated name");
            ours.append(
                name.clone(),
                HeaderValue::from_str(&o).expect("generated value"),
            );
            reference.append(
                name.clone(),
                HeaderValue::from_str(&r).expect("generated value"),
            );
            description.push((name.to_string(), o));
        }
        Case {
            method,
            status,
            ours,
            reference,
            request_no_store: rng.usize(0..25) == 0,
            authorized: rng.usize(0..10) == 0,
            cfg,
            max_ages,
            s_maxages,
            private,
            proxy_revalidate,
            set_cookie,
            no_cache,
            public,
            expires_conflict,
            has_expires,
            lm_valid,
            has_etag,
            vary_star,
            description,
        }
    }

    /// What the reference concludes.
    struct Theirs {
        storable: bool,
        lifetime: Duration,
    }

    fn theirs(case: &Case) -> Theirs {
        let rt = SystemTime::UNIX_EPOCH + secs(RT);
        let mut req = http::Request::builder()
            .method(case.method.clone())
            .uri("http://origin.test/r");
        if case.request_no_store {
            req = req.header("cache-control", "no-store");
        }
        if case.authorized {
            req = req.header("authorization", "Basic dTpw");
        }
        let req = req.body(()).expect("request");
        let mut res = http::Response::builder().status(case.status);
        if let Some(h) = res.headers_mut() {
            *h = case.reference.clone();
        }
        let res = res.body(()).expect("response");
        // vxb's cache is shared by every call of a process (and `vxb proxy`
        // serves it to many clients): a shared cache, as RFC 9111 means it.
        let opts = CacheOptions {
            shared: true,
            cache_heuristic: case.cfg.types[Document].heuristic_fraction as f32,
            immutable_min_time_to_live: Duration::ZERO,
            ignore_cargo_cult: false,
        };
        let policy = CachePolicy::new_options(&req, &res, rt, opts);
        Theirs {
            storable: policy.is_storable(),
            // No Age header is generated, so at the time of receipt the time
            // to live is the whole freshness lifetime.
            lifetime: policy.time_to_live(rt),
        }
    }

    /// A difference spec §3 makes on purpose: its name, why, and when it
    /// applies. `applies` also checks that our side did what the spec says.
    struct Exclusion {
        name: &'static str,
        why: &'static str,
        applies: fn(&Case, &Ours, &Theirs) -> bool,
    }

    struct Ours {
        storability: Storability,
        lifetime: Duration,
        /// The decision at age 0 for a request without directives.
        at_receipt: Reuse,
    }

    /// The directives the lifetime is read from: `s-maxage` when there is
    /// one (a shared cache, RFC 9111 §5.2.2.10), else `max-age`.
    fn lifetime_args(case: &Case) -> &[MaxAgeArg] {
        if case.s_maxages.is_empty() {
            &case.max_ages
        } else {
            &case.s_maxages
        }
    }

    fn distinct_max_ages(case: &Case) -> Vec<MaxAgeArg> {
        let mut seen: Vec<MaxAgeArg> = Vec::new();
        for a in lifetime_args(case) {
            if !seen.contains(a) {
                seen.push(a.clone());
            }
        }
        seen
    }

    fn only_max_age(case: &Case) -> Option<MaxAgeArg> {
        match distinct_max_ages(case).as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// RFC 9111 §4.2.2: heuristics (default_max_age is one) only for these
    /// statuses or a `public` response.
    fn heuristics_allowed(case: &Case) -> bool {
        case.public
            || [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501].contains(&case.status)
    }

    const STORABILITY_EXCLUSIONS: &[Exclusion] = &[
        Exclusion {
            name: "no freshness information",
            why: "spec §3: no max-age, Expires, Last-Modified or ETag and default_max_age 0 \
                  → not stored; RFC 9111 stores it and never reuses it",
            applies: |c, o, t| {
                t.storable
                    && o.storability == Storability::NotStored(NotStored::NoFreshnessInformation)
                    && lifetime_args(c).is_empty()
                    && !c.has_expires
                    && !c.lm_valid
                    && !c.has_etag
                    && c.cfg.types[Document].default_max_age.is_zero()
            },
        },
        Exclusion {
            name: "Vary: *",
            why: "a Vary: * response can never be reused, so vxb does not store it; the \
                  reference stores it with lifetime 0",
            applies: |c, o, _| {
                c.vary_star && o.storability == Storability::NotStored(NotStored::VaryStar)
            },
        },
        Exclusion {
            name: "GET only",
            why: "spec §3: POST is never stored; a HEAD response has no body to serve a \
                  URL's GETs with",
            applies: |c, o, _| {
                c.method != Method::GET
                    && o.storability == Storability::NotStored(NotStored::Method(c.method.clone()))
            },
        },
        Exclusion {
            name: "private, kept per call",
            why: "spec §3: a private response is stored for the call that fetched it and \
                  never served to another; a shared cache (the reference) does not store it",
            applies: |c, o, t| {
                c.private && !t.storable && o.storability == Storability::Store(Visibility::Private)
            },
        },
        Exclusion {
            name: "any status with explicit freshness",
            why: "RFC 9111 §3: a response with explicit freshness may be stored whatever its \
                  final status; the reference stores only the statuses on its list",
            applies: |c, o, t| {
                !t.storable
                    && matches!(o.storability, Storability::Store(_))
                    && ![
                        200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501,
                    ]
                    .contains(&c.status)
                    && (c.has_expires || !lifetime_args(c).is_empty())
            },
        },
        Exclusion {
            name: "errors need explicit freshness",
            why: "a 4xx/5xx is stored only with max-age, s-maxage or Expires (a developer \
                  wants to see errors reach the origin); the reference gives 404, 410, … \
                  heuristic freshness",
            applies: |c, o, t| {
                t.storable
                    && c.status >= 400
                    && o.storability == Storability::NotStored(NotStored::Status(code(c.status)))
                    && !c.has_expires
                    && lifetime_args(c).is_empty()
            },
        },
        Exclusion {
            name: "Authorization, kept per call",
            why: "RFC 9111 §3.5: without public, s-maxage or must-revalidate a response to \
                  a request with credentials is never shared; vxb keeps it for the call \
                  that made the request (a private cache may store it), the reference \
                  does not store it",
            applies: |c, o, t| {
                c.authorized
                    && !t.storable
                    && o.storability == Storability::Store(Visibility::Private)
            },
        },
        Exclusion {
            name: "no_cache = no-store",
            why: "spec §3 knob: no-cache responses are not stored at all",
            applies: |c, o, _| {
                c.no_cache
                    && c.cfg.no_cache == NoCacheMode::NoStore
                    && o.storability == Storability::NotStored(NotStored::NoCacheConfiguredNoStore)
            },
        },
    ];

    const LIFETIME_EXCLUSIONS: &[Exclusion] = &[
        Exclusion {
            name: "Set-Cookie, kept per call",
            why: "spec §3: a response with Set-Cookie (without public) is stored for its \
                  call only, with its own lifetime; the reference gives it lifetime 0 in a \
                  shared cache",
            applies: |c, o, t| {
                c.set_cookie
                    && !c.public
                    && t.lifetime.is_zero()
                    && o.storability == Storability::Store(Visibility::Private)
            },
        },
        Exclusion {
            name: "proxy-revalidate",
            why: "RFC 9111 §5.2.2.8: proxy-revalidate is must-revalidate for a shared cache \
                  — the lifetime stands and a stale copy is revalidated; the reference \
                  makes the lifetime 0",
            applies: |c, _, t| c.proxy_revalidate && t.lifetime.is_zero(),
        },
        Exclusion {
            name: "no-cache lifetime",
            why: "the reference reports lifetime 0 for no-cache; vxb keeps the header \
                  lifetime and revalidates on every use (checked: never Fresh at age 0)",
            applies: |c, o, t| {
                c.no_cache
                    && t.lifetime.is_zero()
                    && matches!(o.at_receipt, Reuse::Revalidate(_) | Reuse::Refetch)
            },
        },
        Exclusion {
            name: "default_max_age",
            why: "spec §3: the type's default_max_age comes after max-age and before \
                  Expires and the heuristic; the reference has no such knob",
            applies: |c, o, _| {
                let d = c.cfg.types[Document].default_max_age;
                !d.is_zero()
                    && lifetime_args(c).is_empty()
                    && heuristics_allowed(c)
                    && o.lifetime == d
            },
        },
        Exclusion {
            name: "24 h heuristic cap",
            why: "spec §3 / 004: the Last-Modified heuristic is capped at \
                  max_heuristic_lifetime; the reference has no cap",
            applies: |c, o, t| {
                let cap = c.cfg.types[Document].max_heuristic_lifetime;
                c.lm_valid && !c.has_expires && o.lifetime == cap && t.lifetime > cap
            },
        },
        Exclusion {
            name: "conflicting max-age",
            why: "RFC 9111 §4.2.1: a directive given twice with different values makes the \
                  response stale (vxb's choice); the reference uses the first value",
            applies: |c, o, _| distinct_max_ages(c).len() > 1 && o.lifetime.is_zero(),
        },
        Exclusion {
            name: "bare max-age",
            why: "`max-age` without a value is invalid → stale (RFC 9111 §4.2.1); the \
                  reference skips it and uses Expires or the heuristic",
            applies: |c, o, _| only_max_age(c) == Some(MaxAgeArg::Bare) && o.lifetime.is_zero(),
        },
        Exclusion {
            name: "delta-seconds overflow",
            why: "RFC 9111 §1.2.2: a too-large delta-seconds means 2^31 s; the reference \
                  fails to parse it and uses 0",
            applies: |c, o, _| {
                only_max_age(c) == Some(MaxAgeArg::Overflow) && o.lifetime == secs(2_147_483_648)
            },
        },
        Exclusion {
            name: "unterminated quoted max-age",
            why: "`max-age=\"10` is not a quoted-string → invalid → stale; the reference \
                  strips the stray quote",
            applies: |c, o, _| {
                matches!(only_max_age(c), Some(MaxAgeArg::Unterminated(_))) && o.lifetime.is_zero()
            },
        },
        Exclusion {
            name: "conflicting Expires",
            why: "RFC 9111 §4.2.1: two different Expires values → stale (vxb's choice); the \
                  reference uses the first",
            applies: |c, o, _| {
                c.expires_conflict && lifetime_args(c).is_empty() && o.lifetime.is_zero()
            },
        },
    ];

    #[derive(Default)]
    struct Tally {
        cases: usize,
        storability_agree: usize,
        both_stored: usize,
        lifetime_agree: usize,
        excluded: std::collections::BTreeMap<&'static str, usize>,
        unexplained: usize,
        examples: Vec<String>,
    }

    impl Tally {
        fn check(
            &mut self,
            case: &Case,
            ours: &Ours,
            theirs: &Theirs,
            exclusions: &[Exclusion],
            what: &str,
        ) {
            if let Some(e) = exclusions.iter().find(|e| (e.applies)(case, ours, theirs)) {
                *self.excluded.entry(e.name).or_default() += 1;
                return;
            }
            self.unexplained += 1;
            if self.examples.len() < 10 {
                self.examples.push(format!(
                    "{what} differs: {} {} {:?}, request no-store {}, no_cache {:?}, \
                     default_max_age {:?}, fraction {}: ours {:?} / {:?}, theirs storable \
                     {} / {:?}",
                    case.method,
                    case.status,
                    case.description,
                    case.request_no_store,
                    case.cfg.no_cache,
                    case.cfg.types[Document].default_max_age,
                    case.cfg.types[Document].heuristic_fraction,
                    ours.storability,
                    ours.lifetime,
                    theirs.storable,
                    theirs.lifetime,
                ));
            }
        }
    }

    #[test]
    fn storability_and_lifetime_agree_with_http_cache_semantics() {
        const CASES: usize = 20_000;
        let mut rng = fastrand::Rng::with_seed(0x5eed_cafe);
        let mut tally = Tally::default();
        let rt = SystemTime::UNIX_EPOCH + secs(RT);
        let req = |c: &Case| RequestDirectives {
            no_store: c.request_no_store,
            authorized: c.authorized,
            ..RequestDirectives::default()
        };
        for _ in 0..CASES {
            let case = generate(&mut rng);
            tally.cases += 1;
            let stored = stored_at(case.status, case.ours.clone(), rt);
            let ours = Ours {
                storability: storability(
                    &case.method,
                    code(case.status),
                    &case.ours,
                    100,
                    &req(&case),
                    &case.cfg,
                    Document,
                ),
                lifetime: freshness_lifetime(&stored, &case.cfg, Document),
                at_receipt: decide(&stored, &HeaderMap::new(), &none(), rt, &case.cfg, Document),
            };
            let theirs = theirs(&case);
            let we_store = matches!(ours.storability, Storability::Store(_));
            if we_store == theirs.storable {
                tally.storability_agree += 1;
            } else {
                tally.check(&case, &ours, &theirs, STORABILITY_EXCLUSIONS, "storability");
                continue;
            }
            if !we_store {
                continue;
            }
            tally.both_stored += 1;
            if ours.lifetime == theirs.lifetime {
                tally.lifetime_agree += 1;
            } else {
                tally.check(&case, &ours, &theirs, LIFETIME_EXCLUSIONS, "lifetime");
            }
        }
        let mut report = format!(
            "{} cases: storability agrees in {}, both store {}, lifetime agrees in {} of those\n",
            tally.cases, tally.storability_agree, tally.both_stored, tally.lifetime_agree
        );
        for e in STORABILITY_EXCLUSIONS.iter().chain(LIFETIME_EXCLUSIONS) {
            let n = tally.excluded.get(e.name).copied().unwrap_or(0);
            report.push_str(&format!("  excluded {n:>5}: {} — {}\n", e.name, e.why));
        }
        println!("{report}");
        assert_eq!(
            tally.unexplained,
            0,
            "unexplained disagreements, for example:\n{}\n{report}",
            tally.examples.join("\n")
        );
        // The generator must exercise what it claims to: most cases agree
        // outright, and every exclusion is actually needed.
        assert!(tally.storability_agree > CASES * 6 / 10, "{report}");
        assert!(tally.both_stored > CASES / 4, "{report}");
        assert!(
            tally.lifetime_agree > tally.both_stored * 6 / 10,
            "{report}"
        );
        for e in STORABILITY_EXCLUSIONS.iter().chain(LIFETIME_EXCLUSIONS) {
            assert!(
                tally.excluded.get(e.name).copied().unwrap_or(0) > 0,
                "exclusion `{}` never used\n{report}",
                e.name
            );
        }
    }

    #[test]
    fn generated_dates_round_trip_in_every_format() {
        let t = SystemTime::UNIX_EPOCH + secs(RT + 3 * 86_400 + 3661);
        assert_eq!(format_date(t, Format::Imf), "Thu, 04 Jan 2024 01:01:01 GMT");
        assert_eq!(
            format_date(t, Format::Rfc850),
            "Thursday, 04-Jan-24 01:01:01 GMT"
        );
        assert_eq!(format_date(t, Format::Asctime), "Thu Jan  4 01:01:01 2024");
        for f in [Format::Imf, Format::Rfc850, Format::Asctime] {
            assert_eq!(httpdate::parse_http_date(&format_date(t, f)).ok(), Some(t));
        }
    }
}

// ---- Shared-cache rules (RFC 9111 §3.5, §5.2.2.8, §5.2.2.10; RFC 9213) ----

/// `s-maxage` implies `proxy-revalidate`: past it, a request's `max-stale`
/// does not serve the stale copy, and neither does `stale_if_error`.
#[test]
fn s_maxage_and_proxy_revalidate_forbid_serving_stale() {
    let mut c = cfg();
    c.stale_if_error = secs(3600);
    let stale_ok = RequestDirectives {
        max_stale: Some(MaxStale::Any),
        ..none()
    };
    for cc in ["max-age=600, s-maxage=10", "max-age=10, proxy-revalidate"] {
        let r = resp(&[("cache-control", cc), ETAG]);
        assert_eq!(at(&r, 5, &none(), &c), Reuse::Fresh, "{cc}");
        assert_eq!(
            at(&r, 20, &stale_ok, &c),
            revalidate_with(&[("if-none-match", "\"v1\"")]),
            "{cc}: stale, and max-stale may not serve it"
        );
        assert!(
            !stale_if_error_allows(&r, &none(), t0() + secs(20), &c, Document),
            "{cc}"
        );
    }
    // Without them, the same staleness is served.
    let r = resp(&[("cache-control", "max-age=10"), ETAG]);
    assert_eq!(at(&r, 20, &stale_ok, &c), Reuse::Stale);
    assert!(stale_if_error_allows(
        &r,
        &none(),
        t0() + secs(20),
        &c,
        Document
    ));
}

#[test]
fn s_maxage_counts_as_explicit_freshness_for_storing() {
    assert_eq!(store(&[("cache-control", "s-maxage=600")], &cfg()), SHARED);
    let r = storability(
        &Method::GET,
        StatusCode::FOUND,
        &h(&[("cache-control", "s-maxage=600")]),
        100,
        &none(),
        &cfg(),
        Document,
    );
    assert_eq!(r, SHARED, "a 302 with s-maxage has explicit freshness");
}

/// RFC 9111 §3.5: the response to a request with `Authorization` is shared
/// only with `public`, `s-maxage` or `must-revalidate`; otherwise it stays
/// with the call that asked.
#[test]
fn a_response_to_a_request_with_credentials_is_private_unless_allowed() {
    let authorized = RequestDirectives {
        authorized: true,
        ..none()
    };
    let with = |cc: &str| {
        storability(
            &Method::GET,
            StatusCode::OK,
            &h(&[("cache-control", cc)]),
            100,
            &authorized,
            &cfg(),
            Document,
        )
    };
    assert_eq!(with("max-age=600"), PRIVATE);
    assert_eq!(with("max-age=600, private"), PRIVATE);
    assert_eq!(with("max-age=600, public"), SHARED);
    assert_eq!(with("s-maxage=600"), SHARED);
    assert_eq!(with("max-age=600, must-revalidate"), SHARED);
    assert_eq!(with("no-store"), not_stored(NotStored::NoStore));
    let r = RequestDirectives::from_headers(&h(&[("authorization", "Basic dTpw")]));
    assert!(r.authorized && r.to_header().is_none(), "never sent on");
    assert!(!RequestDirectives::from_headers(&HeaderMap::new()).authorized);
}

/// RFC 9213: a targeted field in the configured list replaces
/// `Cache-Control` (and `Expires`) for this cache.
#[test]
fn cdn_cache_control_takes_precedence_for_this_cache() {
    let r = resp(&[
        ("cache-control", "no-store"),
        ("cdn-cache-control", "max-age=60"),
    ]);
    assert_eq!(lifetime(&r, &cfg(), Document), secs(60));
    assert_eq!(
        store(
            &[
                ("cache-control", "no-store"),
                ("cdn-cache-control", "max-age=60")
            ],
            &cfg()
        ),
        SHARED
    );
    assert_eq!(
        store(
            &[
                ("cache-control", "max-age=60"),
                ("cdn-cache-control", "no-store")
            ],
            &cfg()
        ),
        not_stored(NotStored::NoStore)
    );
    let expires = resp(&[
        ("expires", &date(t0() + secs(3600))),
        ("cdn-cache-control", "must-revalidate"),
    ]);
    assert_eq!(
        lifetime(&expires, &cfg(), Document),
        Duration::ZERO,
        "Expires yields to the targeted field"
    );
    // A field this cache is not configured to obey changes nothing.
    let mut own = cfg();
    own.targeted = vec![HeaderName::from_static("vxb-cache-control")];
    let r = resp(&[
        ("cache-control", "max-age=5"),
        ("cdn-cache-control", "max-age=60"),
        ("vxb-cache-control", "max-age=600"),
    ]);
    assert_eq!(lifetime(&r, &own, Document), secs(600));
    own.targeted.clear();
    assert_eq!(lifetime(&r, &own, Document), secs(5));
}

/// RFC 9111 §5.1: `Age: 10, 20` and repeated lines use the first value.
#[test]
fn age_with_a_list_value_uses_the_first_member() {
    for pairs in [vec![("age", "10, 20")], vec![("age", "10"), ("age", "20")]] {
        let r = resp(&pairs);
        assert_eq!(current_age(&r, t0()), secs(10), "{pairs:?}");
    }
}

/// RFC 9110 §5.6.7: dates are read leniently in case; an invalid `Expires`
/// means already expired.
#[test]
fn expires_in_any_case_and_invalid_expires() {
    let e = date(t0() + secs(3600)).to_ascii_lowercase();
    assert_eq!(
        lifetime(&resp(&[("expires", &e)]), &cfg(), Document),
        secs(3600)
    );
    let upper = date(t0() + secs(3600)).to_ascii_uppercase();
    assert_eq!(
        lifetime(&resp(&[("expires", &upper)]), &cfg(), Document),
        secs(3600)
    );
    assert_eq!(
        lifetime(&resp(&[("expires", "tomorrow")]), &cfg(), Document),
        Duration::ZERO
    );
}

/// RFC 8246: while fresh, an `immutable` response is not revalidated by a
/// request `max-age=0` (a reload) where `maxage = "limits"` makes the
/// request's max-age a mere limit; under the default `"overrides"` the
/// VoiceXML author's `maxage` still decides. `no-cache` is a forced reload.
#[test]
fn immutable_is_not_revalidated_while_fresh() {
    let mut limits = cfg();
    limits.maxage = MaxAgeMode::Limits;
    let reload = RequestDirectives {
        max_age: Some(Duration::ZERO),
        ..none()
    };
    let immutable = resp(&[("cache-control", "max-age=600, immutable"), ETAG]);
    assert_eq!(at(&immutable, 10, &reload, &limits), Reuse::Fresh);
    assert_eq!(
        at(&immutable, 700, &reload, &limits),
        revalidate_with(&[("if-none-match", "\"v1\"")]),
        "stale: revalidated as any"
    );
    assert_eq!(
        at(&immutable, 10, &reload, &cfg()),
        revalidate_with(&[("if-none-match", "\"v1\"")]),
        "overrides: the request's maxage=0 decides"
    );
    let forced = RequestDirectives {
        no_cache: true,
        ..none()
    };
    assert_eq!(
        at(&immutable, 10, &forced, &limits),
        revalidate_with(&[("if-none-match", "\"v1\"")])
    );
    let plain = resp(&[("cache-control", "max-age=600"), ETAG]);
    assert_eq!(
        at(&plain, 10, &reload, &limits),
        revalidate_with(&[("if-none-match", "\"v1\"")])
    );
}

/// RFC 5861 §3: within `stale-while-revalidate` past expiry, a stale copy is
/// served and revalidated behind it — not for a request with its own
/// `max-age`/`min-fresh`, not under `must-revalidate` or `s-maxage`.
#[test]
fn stale_while_revalidate_window() {
    let r = resp(&[
        ("cache-control", "max-age=10, stale-while-revalidate=60"),
        ETAG,
    ]);
    assert_eq!(at(&r, 5, &none(), &cfg()), Reuse::Fresh);
    assert_eq!(at(&r, 10, &none(), &cfg()), Reuse::StaleWhileRevalidate);
    assert_eq!(at(&r, 69, &none(), &cfg()), Reuse::StaleWhileRevalidate);
    let revalidate = revalidate_with(&[("if-none-match", "\"v1\"")]);
    assert_eq!(at(&r, 70, &none(), &cfg()), revalidate, "past the window");
    let own_limit = RequestDirectives {
        max_age: Some(secs(30)),
        ..none()
    };
    assert_eq!(at(&r, 40, &own_limit, &cfg()), revalidate);
    for cc in [
        "max-age=10, stale-while-revalidate=60, must-revalidate",
        "s-maxage=10, stale-while-revalidate=60",
        "max-age=10, stale-while-revalidate=60, no-cache",
    ] {
        let r = resp(&[("cache-control", cc), ETAG]);
        assert_eq!(at(&r, 20, &none(), &cfg()), revalidate, "{cc}");
    }
}

/// RFC 5861 §4: a request's own `stale-if-error` widens what an origin
/// failure may be answered with.
#[test]
fn request_stale_if_error_allows_a_stale_copy() {
    let r = resp(&[("cache-control", "max-age=10")]);
    let later = t0() + secs(40);
    assert!(!stale_if_error_allows(&r, &none(), later, &cfg(), Document));
    let asked = RequestDirectives::from_headers(&h(&[("cache-control", "stale-if-error=60")]));
    assert_eq!(asked.stale_if_error, Some(secs(60)));
    assert!(stale_if_error_allows(&r, &asked, later, &cfg(), Document));
    let short = RequestDirectives::from_headers(&h(&[("cache-control", "stale-if-error=5")]));
    assert!(!stale_if_error_allows(&r, &short, later, &cfg(), Document));
}
