//! The cache store through its public API: budgets and LRU eviction per type,
//! refusals, the private overlay, invalidation, statistics, and a concurrent
//! workout that checks the accounting under contention.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use vxb::cache::Decision;
use vxb::cache::entry::{Entry, StoredResponse};
use vxb::cache::store::{CallId, Rejected, Store, TypeStats, Visibility};
use vxb::config::CacheConfig;
use vxb::resource::{PerType, ResourceType};

const DOC: ResourceType = ResourceType::Document;
const AUDIO: ResourceType = ResourceType::Audio;
const SCRIPT: ResourceType = ResourceType::Script;

/// A store where every type has the same `max_bytes` and `max_entry_bytes`.
fn store(max_bytes: u64, max_entry_bytes: u64) -> Store {
    let mut config = CacheConfig::default();
    for t in ResourceType::ALL {
        config.types[t].max_bytes = max_bytes;
        config.types[t].max_entry_bytes = max_entry_bytes;
    }
    Store::new(&config)
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

fn entry(rtype: ResourceType, url: &str, size: usize) -> Entry {
    let response = StoredResponse::new(
        http::StatusCode::OK,
        http::HeaderMap::new(),
        SystemTime::UNIX_EPOCH,
    );
    Entry::new(url, rtype, response, Bytes::from_static(&ZEROS[..size]))
}

fn shared(s: &Store, rtype: ResourceType, url: &str, size: usize) -> Arc<Entry> {
    match s.insert(entry(rtype, url, size), Visibility::Shared) {
        Ok(e) => e,
        Err(why) => panic!("{url} refused: {why}"),
    }
}

/// The URLs of `rtype` held, most recently used first.
fn urls(s: &Store, rtype: ResourceType) -> Vec<String> {
    s.entries()
        .into_iter()
        .filter(|l| l.entry.rtype == rtype)
        .map(|l| l.entry.url.to_string())
        .collect()
}

fn bytes(s: &Store, rtype: ResourceType) -> u64 {
    s.stats()[rtype].bytes
}

#[test]
fn over_budget_evicts_least_recently_used_first() {
    let s = store(100, 100);
    let call = s.new_call();
    for u in ["a", "b", "c", "d"] {
        shared(&s, DOC, u, 25);
    }
    assert_eq!(urls(&s, DOC), ["d", "c", "b", "a"]);
    // `get` makes `a` the most recent, so `b` is next out.
    assert!(s.get(DOC, "a", call).is_some());
    assert_eq!(urls(&s, DOC), ["a", "d", "c", "b"]);
    shared(&s, DOC, "e", 25);
    assert_eq!(urls(&s, DOC), ["e", "a", "d", "c"]);
    // Room for 60 needs three 25-byte entries out: c, d, a in that order.
    shared(&s, DOC, "f", 60);
    assert_eq!(urls(&s, DOC), ["f", "e"]);
    let st = s.stats()[DOC];
    assert_eq!((st.entries, st.bytes, st.evictions), (2, 85, 4));
}

#[test]
fn a_hit_shares_the_body_and_the_parsed_form() {
    let s = store(1000, 1000);
    let call = s.new_call();
    let stored = shared(&s, DOC, "u", 10);
    stored.parsed.set(Arc::new(7u32)).unwrap();
    let hit = s.get(DOC, "u", call).unwrap();
    assert!(Arc::ptr_eq(&stored, &hit));
    assert_eq!(hit.parsed.get().unwrap().downcast_ref::<u32>(), Some(&7));
    // After a 304 the replacement keeps the parsed form and the body.
    let refreshed = hit.with_response(hit.response.clone());
    s.insert(refreshed, Visibility::Shared).unwrap();
    let again = s.get(DOC, "u", call).unwrap();
    assert!(!Arc::ptr_eq(&again, &hit));
    assert_eq!(again.parsed.get().unwrap().downcast_ref::<u32>(), Some(&7));
    assert_eq!(again.body.as_ptr(), hit.body.as_ptr());
    let st = s.stats()[DOC];
    assert_eq!((st.entries, st.bytes), (1, 10));
}

#[test]
fn peek_and_listing_leave_the_lru_order_alone() {
    let s = store(50, 50);
    let call = s.new_call();
    shared(&s, DOC, "a", 25);
    shared(&s, DOC, "b", 25);
    assert!(s.peek(DOC, "a", call).is_some());
    assert_eq!(s.entries().len(), 2);
    shared(&s, DOC, "c", 25);
    assert_eq!(urls(&s, DOC), ["c", "b"]);
}

#[test]
fn replacing_an_entry_adjusts_the_accounting_exactly() {
    let s = store(100, 100);
    let call = s.new_call();
    shared(&s, DOC, "a", 30);
    shared(&s, DOC, "b", 30);
    assert_eq!(bytes(&s, DOC), 60);
    shared(&s, DOC, "a", 10);
    assert_eq!(bytes(&s, DOC), 40);
    assert_eq!(s.stats()[DOC].entries, 2);
    assert_eq!(s.get(DOC, "a", call).map(|e| e.size()), Some(10));
    // Growing `a` to 70 fits without eviction: its own 10 bytes are freed first.
    shared(&s, DOC, "a", 70);
    assert_eq!(bytes(&s, DOC), 100);
    assert_eq!(s.stats()[DOC].evictions, 0);
    // The replacement is the most recent; growing it further evicts `b`.
    shared(&s, DOC, "a", 80);
    assert_eq!(urls(&s, DOC), ["a"]);
    let st = s.stats()[DOC];
    assert_eq!((st.entries, st.bytes, st.evictions), (1, 80, 1));
}

#[test]
fn accounting_after_eviction_is_the_sum_of_what_is_left() {
    let s = store(1000, 1000);
    for i in 0..40 {
        shared(&s, DOC, &format!("u{i}"), 37 + i);
    }
    let st = s.stats()[DOC];
    let held: u64 = s
        .entries()
        .iter()
        .filter(|l| l.entry.rtype == DOC)
        .map(|l| l.entry.size())
        .sum();
    assert_eq!(st.bytes, held);
    assert!(st.bytes <= 1000);
    assert!(st.evictions > 0);
    assert_eq!(st.entries + st.evictions, 40);
}

#[test]
fn an_entry_over_max_entry_bytes_is_refused_and_nothing_is_evicted() {
    let s = store(100, 40);
    shared(&s, DOC, "a", 40);
    shared(&s, DOC, "b", 40);
    let refused = s.insert(entry(DOC, "big", 41), Visibility::Shared);
    assert_eq!(
        refused.unwrap_err(),
        Rejected::OverEntryLimit {
            rtype: DOC,
            size: 41,
            max_entry_bytes: 40
        }
    );
    assert_eq!(urls(&s, DOC), ["b", "a"]);
    // A refused replacement leaves the old entry in place.
    assert!(s.insert(entry(DOC, "a", 41), Visibility::Shared).is_err());
    assert_eq!(bytes(&s, DOC), 80);
    let st = s.stats()[DOC];
    assert_eq!((st.evictions, st.refused), (0, 2));
}

#[test]
fn an_entry_over_the_whole_budget_is_refused_and_nothing_is_evicted() {
    // max_entry_bytes configured above max_bytes: the budget still wins.
    let s = store(100, 1000);
    shared(&s, DOC, "a", 60);
    let refused = s.insert(entry(DOC, "big", 101), Visibility::Shared);
    assert_eq!(
        refused.unwrap_err(),
        Rejected::OverBudget {
            rtype: DOC,
            size: 101,
            max_bytes: 100
        }
    );
    assert_eq!(urls(&s, DOC), ["a"]);
    // Exactly the budget is fine (and evicts what is there).
    shared(&s, DOC, "whole", 100);
    assert_eq!(urls(&s, DOC), ["whole"]);
}

#[test]
fn a_zero_budget_stores_nothing() {
    let mut config = CacheConfig::default();
    config.types[AUDIO].max_bytes = 0;
    let s = Store::new(&config);
    let call = s.new_call();
    for size in [0, 1, 1000] {
        let refused = s.insert(entry(AUDIO, "a.wav", size), Visibility::Shared);
        assert_eq!(refused.unwrap_err(), Rejected::Disabled { rtype: AUDIO });
    }
    let private = s.insert(entry(AUDIO, "a.wav", 0), Visibility::Call(call));
    assert_eq!(private.unwrap_err(), Rejected::Disabled { rtype: AUDIO });
    assert!(s.get(AUDIO, "a.wav", call).is_none());
    let st = s.stats()[AUDIO];
    assert_eq!((st.entries, st.bytes, st.refused), (0, 0, 4));
    // Other types are unaffected.
    shared(&s, DOC, "a.wav", 10);
    assert_eq!(s.stats()[DOC].entries, 1);
}

#[test]
fn one_type_never_evicts_another() {
    let s = store(100, 100);
    let call = s.new_call();
    shared(&s, SCRIPT, "s", 90);
    for i in 0..50 {
        shared(&s, AUDIO, &format!("a{i}"), 60);
    }
    assert!(s.get(SCRIPT, "s", call).is_some());
    assert_eq!(s.stats()[SCRIPT].evictions, 0);
    assert_eq!(s.stats()[AUDIO].evictions, 49);
}

#[test]
fn the_same_url_as_two_types_lives_in_two_budgets() {
    let s = store(100, 100);
    let call = s.new_call();
    shared(&s, DOC, "http://h/x", 70);
    shared(&s, SCRIPT, "http://h/x", 80);
    assert_eq!(s.get(DOC, "http://h/x", call).map(|e| e.size()), Some(70));
    assert_eq!(
        s.get(SCRIPT, "http://h/x", call).map(|e| e.size()),
        Some(80)
    );
    assert_eq!((bytes(&s, DOC), bytes(&s, SCRIPT)), (70, 80));
    assert_eq!(s.remove(DOC, "http://h/x"), 1);
    assert!(s.get(SCRIPT, "http://h/x", call).is_some());
}

#[test]
fn private_entries_are_seen_only_by_their_call() {
    let s = store(1000, 1000);
    let (a, b) = (s.new_call(), s.new_call());
    assert_ne!(a, b);
    let mine = s.insert(entry(DOC, "u", 11), Visibility::Call(a)).unwrap();
    assert!(s.get(DOC, "u", b).is_none(), "another call never sees it");
    assert!(s.peek(DOC, "u", b).is_none());
    assert!(Arc::ptr_eq(&s.get(DOC, "u", a).unwrap(), &mine));

    // With a shared copy too, each call sees its own first, then the shared one.
    let public = shared(&s, DOC, "u", 22);
    assert!(Arc::ptr_eq(&s.get(DOC, "u", a).unwrap(), &mine));
    assert!(Arc::ptr_eq(&s.get(DOC, "u", b).unwrap(), &public));

    // Another call's private copy of the same URL is a separate entry.
    let theirs = s.insert(entry(DOC, "u", 33), Visibility::Call(b)).unwrap();
    assert!(Arc::ptr_eq(&s.get(DOC, "u", b).unwrap(), &theirs));
    assert!(Arc::ptr_eq(&s.get(DOC, "u", a).unwrap(), &mine));
    let st = s.stats()[DOC];
    assert_eq!((st.entries, st.private_entries, st.bytes), (3, 2, 66));

    let listed: Vec<_> = s
        .entries()
        .into_iter()
        .map(|l| (l.visibility, l.entry.size()))
        .collect();
    assert_eq!(
        listed,
        [
            (Visibility::Call(a), 11),
            (Visibility::Call(b), 33),
            (Visibility::Shared, 22)
        ],
        "most recently used first"
    );

    // end_call drops that call's entries only.
    assert_eq!(s.end_call(a), 1);
    assert!(Arc::ptr_eq(&s.get(DOC, "u", a).unwrap(), &public));
    assert!(Arc::ptr_eq(&s.get(DOC, "u", b).unwrap(), &theirs));
    assert_eq!(bytes(&s, DOC), 55);
    assert_eq!(s.end_call(a), 0);
}

#[test]
fn private_entries_compete_for_the_same_budget() {
    let s = store(20, 20);
    let call = s.new_call();
    s.insert(entry(DOC, "p", 10), Visibility::Call(call))
        .unwrap();
    shared(&s, DOC, "x", 10);
    shared(&s, DOC, "y", 10);
    assert!(
        s.peek(DOC, "p", call).is_none(),
        "the private entry was LRU"
    );
    let st = s.stats()[DOC];
    assert_eq!((st.entries, st.private_entries, st.bytes), (2, 0, 20));
    assert_eq!(st.evictions, 1);
}

#[test]
fn end_call_drops_private_entries_of_every_type() {
    let s = store(1000, 1000);
    let call = s.new_call();
    for t in [DOC, AUDIO, SCRIPT] {
        s.insert(entry(t, "u", 5), Visibility::Call(call)).unwrap();
    }
    assert_eq!(s.end_call(call), 3);
    for t in ResourceType::ALL {
        assert_eq!(s.stats()[t], empty_stats(1000));
    }
}

#[test]
fn remove_private_unshadows_the_shared_copy() {
    let s = store(1000, 1000);
    let call = s.new_call();
    s.insert(entry(DOC, "u", 5), Visibility::Call(call))
        .unwrap();
    let public = shared(&s, DOC, "u", 6);
    assert_eq!(s.get(DOC, "u", call).map(|e| e.size()), Some(5));
    assert!(s.remove_private(DOC, "u", call));
    assert!(Arc::ptr_eq(&s.get(DOC, "u", call).unwrap(), &public));
    assert!(!s.remove_private(DOC, "u", call));
}

#[test]
fn remove_url_clears_every_type_and_every_overlay() {
    let s = store(1000, 1000);
    let (a, b) = (s.new_call(), s.new_call());
    let url = "http://h/form";
    shared(&s, DOC, url, 10);
    shared(&s, ResourceType::Data, url, 10);
    s.insert(entry(DOC, url, 10), Visibility::Call(a)).unwrap();
    s.insert(entry(SCRIPT, url, 10), Visibility::Call(b))
        .unwrap();
    shared(&s, DOC, "http://h/other", 10);
    assert_eq!(s.remove_url(url), 4);
    for t in ResourceType::ALL {
        for call in [a, b] {
            assert!(s.get(t, url, call).is_none(), "{t} still has it");
        }
    }
    assert_eq!(urls(&s, DOC), ["http://h/other"]);
    let total: u64 = ResourceType::ALL.iter().map(|&t| bytes(&s, t)).sum();
    assert_eq!(total, 10);
    assert_eq!(s.remove_url(url), 0);
}

#[test]
fn remove_drops_shared_and_private_copies_of_one_type() {
    let s = store(1000, 1000);
    let call = s.new_call();
    shared(&s, DOC, "u", 10);
    s.insert(entry(DOC, "u", 10), Visibility::Call(call))
        .unwrap();
    shared(&s, AUDIO, "u", 10);
    assert_eq!(s.remove(DOC, "u"), 2);
    assert!(s.get(DOC, "u", call).is_none());
    assert!(s.get(AUDIO, "u", call).is_some());
    assert_eq!(s.stats()[DOC].private_entries, 0);
}

fn empty_stats(max_bytes: u64) -> TypeStats {
    TypeStats {
        max_bytes,
        ..TypeStats::default()
    }
}

#[test]
fn statistics_count_decisions_per_type() {
    let s = store(1000, 1000);
    let plan = [
        (DOC, Decision::Hit, 3),
        (DOC, Decision::Miss, 2),
        (DOC, Decision::Revalidated, 1),
        (AUDIO, Decision::Refreshed, 4),
        (AUDIO, Decision::Stale, 5),
        (SCRIPT, Decision::Bypass, 6),
        (SCRIPT, Decision::Hit, 7),
    ];
    for (t, d, n) in plan {
        for _ in 0..n {
            s.record(t, d);
        }
    }
    let stats = s.stats();
    for t in ResourceType::ALL {
        for d in Decision::ALL {
            let want = plan
                .iter()
                .find(|(pt, pd, _)| *pt == t && *pd == d)
                .map_or(0, |p| p.2);
            assert_eq!(stats[t].count(d), want, "{t} {d}");
        }
    }
    assert_eq!(stats[DOC].count(Decision::Hit), 3);
    assert_eq!(stats[AUDIO].count(Decision::Stale), 5);
    assert_eq!(stats[SCRIPT].count(Decision::Bypass), 6);
}

#[test]
fn statistics_serialize_by_type_name() {
    let s = store(1000, 1000);
    shared(&s, AUDIO, "a", 12);
    s.record(AUDIO, Decision::Hit);
    let json = serde_json::to_value(s.stats()).unwrap();
    assert_eq!(json["audio"]["bytes"], 12);
    assert_eq!(json["audio"]["entries"], 1);
    assert_eq!(json["audio"]["hits"], 1);
    assert_eq!(json["audio"]["max_bytes"], 1000);
    assert_eq!(json["document"]["entries"], 0);
    let vis = serde_json::to_value(Visibility::Call(s.new_call())).unwrap();
    assert!(vis["call"].is_u64());
    assert_eq!(serde_json::to_value(Visibility::Shared).unwrap(), "shared");
}

/// Bytes held per type according to the listing, and entries per type.
fn held(s: &Store) -> PerType<(u64, u64)> {
    let mut out = PerType::<(u64, u64)>::default();
    for l in s.entries() {
        let slot = &mut out[l.entry.rtype];
        slot.0 += l.entry.size();
        slot.1 += 1;
    }
    out
}

#[test]
fn concurrent_calls_never_exceed_a_budget_and_keep_exact_accounting() {
    const THREADS: u64 = 8;
    const OPS: usize = 3000;
    const TYPES: [ResourceType; 3] = [DOC, AUDIO, SCRIPT];
    let mut config = CacheConfig::default();
    for (i, t) in TYPES.into_iter().enumerate() {
        config.types[t].max_bytes = 20_000 * (i as u64 + 1);
        config.types[t].max_entry_bytes = 8_000;
    }
    let budgets = PerType::from_fn(|t| config.types[t].max_bytes);
    let s = Arc::new(Store::new(&config));
    let workers: Vec<_> = (0..THREADS)
        .map(|seed| {
            let s = Arc::clone(&s);
            let budgets = budgets.clone();
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut call: CallId = s.new_call();
                let mut stored = 0u32;
                for _ in 0..OPS {
                    let t = TYPES[rng.usize(..TYPES.len())];
                    // Few URLs, so replacements and collisions are common.
                    let url = format!("http://h/{}", rng.u8(0..32));
                    match rng.u8(0..20) {
                        0..=7 => {
                            let vis = if rng.u8(0..4) == 0 {
                                Visibility::Call(call)
                            } else {
                                Visibility::Shared
                            };
                            // Some sizes over max_entry_bytes, to mix in refusals.
                            if s.insert(entry(t, &url, rng.usize(0..9_000)), vis).is_ok() {
                                stored += 1;
                            }
                            let st = s.stats()[t];
                            assert!(st.bytes <= budgets[t], "{t}: {} bytes", st.bytes);
                        }
                        8..=15 => {
                            if let Some(e) = s.get(t, &url, call) {
                                assert_eq!(e.rtype, t);
                                assert_eq!(&*e.url, url.as_str());
                            }
                        }
                        16 => {
                            s.remove(t, &url);
                        }
                        17 => {
                            s.remove_url(&url);
                        }
                        _ => {
                            s.end_call(call);
                            call = s.new_call();
                        }
                    }
                }
                stored
            })
        })
        .collect();
    let mut stored = 0;
    for w in workers {
        stored += w.join().expect("worker panicked");
    }
    assert!(stored > 1000, "the workout stored things ({stored})");
    let stats = s.stats();
    let held = held(&s);
    for t in ResourceType::ALL {
        assert!(stats[t].bytes <= budgets[t]);
        assert_eq!(stats[t].bytes, held[t].0, "{t}: bytes = sum of entries");
        assert_eq!(stats[t].entries, held[t].1, "{t}: entry count");
    }
    assert!(stats[AUDIO].evictions > 0 && stats[AUDIO].refused > 0);
}
