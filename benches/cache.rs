//! Benchmarks of the cache.
//!
//! - `store_get_hit/{1KB,1MB}`: a hit in the store (`Store::get`) among a
//!   thousand entries. The two sizes should cost the same: a hit clones an
//!   `Arc`, never the body. Goal: under 1 µs median.
//! - `store_insert_evicting`: storing into a full type budget, each insert
//!   evicting exactly one least recently used entry.
//! - `policy_decide_stale`: the policy's decision for a stale entry with both
//!   validators (header parsing, lifetime, age, the conditional headers).
//! - `fetcher_warm_hit`: a whole fetch answered from the cache — request
//!   set-up, store lookup, policy decision, parsed form, fetch record — on a
//!   current-thread runtime. What every hit of a call costs the browser.
//! - `document/{parse,parsed_hit}`: parsing a VoiceXML document with the
//!   interpreter's parse hook, against a hit returning it parsed before.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vxb::cache::Decision;
use vxb::cache::entry::{Entry, StoredResponse};
use vxb::cache::policy::{self, RequestDirectives, Reuse};
use vxb::cache::store::{Store, Visibility};
use vxb::clock::{Clock, ManualClock};
use vxb::config::{CacheConfig, Config};
use vxb::fetch::{BodyParser, FetchRequest, Fetcher, ParsedBody, Referrer};
use vxb::interp::VxmlParser;
use vxb::resource::ResourceType;

fn response() -> StoredResponse {
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CACHE_CONTROL, "max-age=60".parse().unwrap());
    headers.insert(http::header::ETAG, "\"v1\"".parse().unwrap());
    StoredResponse::new(http::StatusCode::OK, headers, SystemTime::UNIX_EPOCH)
}

fn url(i: usize) -> String {
    format!("http://127.0.0.1:8080/app/resource-{i}.vxml")
}

fn store_get_hit(c: &mut Criterion) {
    const OTHERS: usize = 1000;
    let mut group = c.benchmark_group("store_get_hit");
    for (name, size) in [("1KB", 1024), ("1MB", 1024 * 1024)] {
        let mut config = CacheConfig::default();
        config.types[ResourceType::Document].max_bytes = 1 << 30;
        config.types[ResourceType::Document].max_entry_bytes = 1 << 30;
        let store = Store::new(&config);
        let body = Bytes::from(vec![b'x'; size]);
        for i in 0..OTHERS {
            let e = Entry::new(url(i), ResourceType::Document, response(), body.clone());
            store.insert(e, Visibility::Shared).unwrap();
        }
        let target = url(OTHERS / 2);
        let call = store.new_call();
        group.bench_function(name, |b| {
            b.iter(|| store.get(ResourceType::Document, black_box(&target), black_box(call)))
        });
    }
    group.finish();
}

fn store_insert_evicting(c: &mut Criterion) {
    const SIZE: usize = 10_000;
    const FIT: usize = 100;
    let mut config = CacheConfig::default();
    config.types[ResourceType::Audio].max_bytes = (SIZE * FIT) as u64;
    config.types[ResourceType::Audio].max_entry_bytes = SIZE as u64;
    let store = Store::new(&config);
    let body = Bytes::from(vec![0u8; SIZE]);
    // More URLs than fit, cycled: every insert is a new key in a full budget.
    let urls: Vec<Arc<str>> = (0..FIT * 10).map(|i| url(i).into()).collect();
    let entry = |i: usize| {
        Entry::new(
            Arc::clone(&urls[i % urls.len()]),
            ResourceType::Audio,
            response(),
            body.clone(),
        )
    };
    for i in 0..FIT {
        store.insert(entry(i), Visibility::Shared).unwrap();
    }
    let evictions_before = store.stats()[ResourceType::Audio].evictions;
    let mut next = FIT;
    c.bench_function("store_insert_evicting", |b| {
        b.iter_batched(
            || {
                next += 1;
                entry(next)
            },
            |e| store.insert(e, Visibility::Shared),
            BatchSize::SmallInput,
        )
    });
    // Guards the benchmark's premise: it measured inserts that evict.
    let stats = store.stats()[ResourceType::Audio];
    assert_eq!(stats.entries, FIT as u64);
    assert_eq!(
        stats.evictions - evictions_before,
        (next - FIT) as u64,
        "every insert evicted one entry"
    );
}

fn policy_decide_stale(c: &mut Criterion) {
    let t0 = ManualClock::at_epoch_2024().now();
    let mut headers = http::HeaderMap::new();
    let date = httpdate::fmt_http_date(t0);
    headers.insert(http::header::CACHE_CONTROL, "max-age=60".parse().unwrap());
    headers.insert(http::header::DATE, date.parse().unwrap());
    headers.insert(
        http::header::ETAG,
        "\"5-18ea4102866761e8\"".parse().unwrap(),
    );
    headers.insert(http::header::LAST_MODIFIED, date.parse().unwrap());
    headers.insert(http::header::CONTENT_TYPE, "audio/wav".parse().unwrap());
    let stored = StoredResponse::new(http::StatusCode::OK, headers, t0);
    let cfg = CacheConfig::default();
    let request = http::HeaderMap::new();
    let req = RequestDirectives::voicexml(None, None);
    let now = t0 + Duration::from_secs(120);
    let decide = || {
        policy::decide(
            black_box(&stored),
            &request,
            &req,
            now,
            &cfg,
            ResourceType::Audio,
        )
    };
    // Guards the premise: stale, and revalidated with both validators.
    match decide() {
        Reuse::Revalidate(h) => assert_eq!(h.len(), 2),
        other => panic!("expected a revalidation, got {other:?}"),
    }
    c.bench_function("policy_decide_stale", |b| b.iter(decide));
}

/// A fetcher whose cache holds `body` at `url`, fresh for an hour, with
/// `parsed` as its parsed form; and a current-thread runtime to fetch on.
fn warm_fetcher(
    url: &url::Url,
    rtype: ResourceType,
    body: Bytes,
    parsed: ParsedBody,
) -> (Arc<Fetcher>, tokio::runtime::Runtime) {
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let fetcher = Fetcher::new(Arc::new(Config::direct()), clock.clone(), None).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CACHE_CONTROL, "max-age=3600".parse().unwrap());
    headers.insert(http::header::ETAG, "\"v1\"".parse().unwrap());
    let response = StoredResponse::new(http::StatusCode::OK, headers, clock.now());
    let entry = Entry::new(url.as_str(), rtype, response, body);
    let _ = entry.parsed.set(Arc::new(parsed));
    fetcher.store().insert(entry, Visibility::Shared).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (fetcher, runtime)
}

fn fetcher_warm_hit(c: &mut Criterion) {
    // Nothing listens there: a hit must not need the origin.
    let url = url::Url::parse("http://127.0.0.1:9/app/main.vxml").unwrap();
    let (fetcher, runtime) = warm_fetcher(
        &url,
        ResourceType::Document,
        Bytes::from(vec![b'x'; 4096]),
        ParsedBody::new(42u32),
    );
    let call = fetcher.call();
    let req = FetchRequest::get(url, ResourceType::Document, Referrer::User);
    let fetch = || {
        let f = runtime.block_on(call.fetch(black_box(&req), None)).unwrap();
        // The record list would otherwise grow with every iteration.
        call.take_records();
        f
    };
    let first = fetch();
    assert_eq!(first.decision(), Decision::Hit);
    assert_eq!(first.parsed_as::<u32>().as_deref(), Some(&42));
    c.bench_function("fetcher_warm_hit", |b| b.iter(fetch));
}

/// What the parsed-document cache saves: parsing a VoiceXML document with
/// the interpreter's parse hook (`document/parse`), against a cache hit
/// that hands back the document parsed before (`document/parsed_hit`).
fn document_parse_vs_parsed_hit(c: &mut Criterion) {
    let body = Bytes::from_static(include_bytes!("../tests/fixtures/vxml/pizza.vxml"));
    let url = url::Url::parse("http://127.0.0.1:9/app/pizza.vxml").unwrap();
    let parser = VxmlParser::new();
    let parsed = parser.parse(&url, &body).unwrap();
    let (fetcher, runtime) = warm_fetcher(&url, ResourceType::Document, body.clone(), parsed);
    let call = fetcher.call();
    let req = FetchRequest::get(url.clone(), ResourceType::Document, Referrer::User);
    let hit = || {
        let f = runtime
            .block_on(call.fetch(black_box(&req), Some(&parser)))
            .unwrap();
        call.take_records();
        f
    };
    // Guards the premise: a hit, the parsed document, and no parse.
    let first = hit();
    assert_eq!(first.decision(), Decision::Hit);
    assert!(first.parsed_as::<vxb::vxml::Document>().is_some());
    assert_eq!(parser.parses(), 1, "only the set-up parsed");

    let mut group = c.benchmark_group("document");
    group.bench_function("parse", |b| {
        b.iter(|| parser.parse(black_box(&url), black_box(&body)).unwrap())
    });
    group.bench_function("parsed_hit", |b| b.iter(hit));
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the machine is shared; these figures are stable well within them.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = store_get_hit, store_insert_evicting, policy_decide_stale, fetcher_warm_hit,
        document_parse_vs_parsed_hit
}
criterion_main!(benches);
