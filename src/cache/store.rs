//! The byte store of the cache: per-type byte budgets, LRU eviction, the
//! per-call overlay for private responses, invalidation and statistics.
//!
//! It knows nothing of HTTP. The policy decides what may be stored and whether
//! a stored entry may be used; the store keeps entries, finds them, evicts
//! them and counts.
//!
//! How it is laid out, and why:
//! - **One shard per resource type**, each behind its own mutex. Audio traffic
//!   never waits for the document lock, and a type's budget is only touched
//!   under its own lock, so one type cannot evict another's entries.
//! - Inside a shard, **one [`lru::LruCache`]** orders every entry, shared
//!   and private alike (private entries hold memory too, so they compete for
//!   the same budget), keyed by visibility and URL. It is unbounded by count:
//!   the byte budget kept beside it decides what is evicted. A lookup by
//!   `(visibility, &str)` borrows the key (`KeyView`), so it neither
//!   allocates nor copies; a hit is a hash lookup, a relink and an `Arc`
//!   clone, whatever the body size. Beside it, an index of each call's
//!   private URLs lets a call without any skip the overlay, and ends a call
//!   without scanning the shard.
//! - **Decision counters** are atomics outside the lock (the fetcher records
//!   them after the lock is long released); entry, byte and eviction counts
//!   live inside it, where they are exact.
//! - Entries leaving the store (replaced, evicted, removed) are dropped
//!   **after** the lock is released: freeing a large body is not done while
//!   other calls wait.
//!
//! The LRU order was a hand-written slab list until it was replaced by the
//! `lru` crate, which the design names. The replacement cost nothing
//! measurable (`cargo bench --bench cache -- 'store_|fetcher_warm_hit'`,
//! criterion medians, release build):
//!
//! | benchmark | hand-written list | `lru` crate |
//! |---|---|---|
//! | `store_get_hit/1KB` | 324 ns | 46.7 ns |
//! | `store_get_hit/1MB` | 335 ns | 45.3 ns |
//! | `store_insert_evicting` | 2.2 µs | 167 ns |
//! | `fetcher_warm_hit` | 7.3 µs | 716 ns |
//!
//! The "after" column was taken on an idle 2-core machine (load 0.0); the
//! "before" one in an earlier session on a machine shared with other
//! builds, so most of the difference is load, not the crate: what the two
//! columns show is that the `lru` store is not slower, and a hit stays far
//! under 1 µs.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lru::LruCache;

use crate::cache::{Decision, Entry, PerDecision};
use crate::config::CacheConfig;
use crate::resource::{PerType, ResourceType};

/// Identifies one call, for the private overlay. Allocated by
/// [`Store::new_call`]; unique for the life of the process, so an id can never
/// be mistaken for another call's, even across stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CallId(u64);

impl CallId {
    /// The number, for logs and reports.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {}", self.0)
    }
}

/// Process-wide, so that ids stay unique however many stores exist.
static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

/// Who may see a stored entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Every call (a response a shared cache may store).
    Shared,
    /// Only this call (`Cache-Control: private`, or `Set-Cookie` without
    /// `public`): never served to another call, dropped by [`Store::end_call`].
    Call(CallId),
}

/// Why [`Store::insert`] refused an entry. Nothing was evicted for it, and
/// whatever was stored under its key before is still there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// The type's `max_bytes` is 0: the type is not cached at all.
    #[error("the {rtype} cache is disabled (max_bytes = 0)")]
    Disabled { rtype: ResourceType },
    /// The body is larger than the type's `max_entry_bytes`.
    #[error("{size}-byte {rtype} body is larger than max_entry_bytes ({max_entry_bytes})")]
    OverEntryLimit {
        rtype: ResourceType,
        size: u64,
        max_entry_bytes: u64,
    },
    /// The body is larger than the type's whole budget (possible when
    /// `max_entry_bytes` is configured above `max_bytes`).
    #[error("{size}-byte {rtype} body is larger than the type's max_bytes ({max_bytes})")]
    OverBudget {
        rtype: ResourceType,
        size: u64,
        max_bytes: u64,
    },
}

/// A snapshot of one type's cache statistics.
///
/// `entries`, `private_entries`, `bytes`, `evictions` and `refused` are
/// counted by the store itself; the decision counts (`hits` … `bypasses`) are
/// whatever was passed to [`Store::record`], because only the policy knows
/// whether a stored entry was a hit, a revalidation or unusable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TypeStats {
    /// The configured budget (`max_bytes`), so a report is self-describing.
    pub max_bytes: u64,
    /// Entries held, shared and private.
    pub entries: u64,
    /// Of `entries`, those private to one call.
    pub private_entries: u64,
    /// Bytes held (the sum of the held entries' [`Entry::size`]).
    pub bytes: u64,
    /// How many fetches ended with each decision (`stale`: served stale,
    /// under `maxstale` or `stale_if_error`). Reported as `hits`, `misses`,
    /// `revalidated`, `refreshed`, `stale`, `bypasses`.
    #[serde(flatten)]
    pub decisions: PerDecision<u64>,
    /// Entries evicted to make room (not counting replacements and removals).
    pub evictions: u64,
    /// Inserts refused (see [`Rejected`]).
    pub refused: u64,
    /// Fetches that went past this cache and were answered by the shared
    /// tier without an origin request (see `fetch::tier`).
    pub tier_hits: u64,
}

impl TypeStats {
    /// How many fetches of this type ended with `decision`.
    pub fn count(&self, decision: Decision) -> u64 {
        self.decisions[decision]
    }
}

/// One line of the `--show-cache` listing.
#[derive(Clone, Debug)]
pub struct ListedEntry {
    pub visibility: Visibility,
    /// The entry itself (type, URL, size, response): shared, not copied.
    pub entry: Arc<Entry>,
}

/// The cache's byte store: shared by every call (`Arc<Store>`), safe to use
/// from any number of threads.
#[derive(Debug)]
pub struct Store {
    shards: PerType<Shard>,
}

impl Store {
    /// An empty store with the budgets of `config.types`.
    pub fn new(config: &CacheConfig) -> Store {
        Store {
            shards: PerType::from_fn(|t| Shard {
                max_bytes: config.types[t].max_bytes,
                max_entry_bytes: config.types[t].max_entry_bytes,
                state: Mutex::default(),
                counters: Counters::default(),
            }),
        }
    }

    /// A fresh call id, never handed out before in this process.
    pub fn new_call(&self) -> CallId {
        CallId(NEXT_CALL.fetch_add(1, Ordering::Relaxed))
    }

    /// The entry `call` sees for `(rtype, url)`: its own private entry if it
    /// has one, else the shared one. Marks it most recently used.
    ///
    /// Whether the entry may be *used* is the policy's business; record the
    /// outcome with [`Store::record`].
    pub fn get(&self, rtype: ResourceType, url: &str, call: CallId) -> Option<Arc<Entry>> {
        self.shards[rtype].lock().get(url, call)
    }

    /// Like [`Store::get`], without changing the LRU order.
    pub fn peek(&self, rtype: ResourceType, url: &str, call: CallId) -> Option<Arc<Entry>> {
        self.shards[rtype].lock().peek(url, call)
    }

    /// Stores `entry` under `(entry.rtype, entry.url)` for `vis`, replacing
    /// what that visibility held under the key, and evicts the type's least
    /// recently used entries until the type fits its budget.
    ///
    /// Returns the stored entry: fill its `parsed` form through this handle
    /// and later hits get it too.
    ///
    /// A `Shared` insert leaves private copies of the URL alone; a call
    /// whose private copy is superseded by a shareable response should drop
    /// its own with [`Store::remove_private`], or that copy keeps shadowing
    /// the shared one for it. Inserting for a call after its
    /// [`Store::end_call`] stores an entry nobody can see until it is evicted.
    pub fn insert(&self, entry: Entry, vis: Visibility) -> Result<Arc<Entry>, Rejected> {
        let rtype = entry.rtype;
        let shard = &self.shards[rtype];
        let size = entry.size();
        if let Err(why) = shard.admit(rtype, size) {
            shard.counters.refused.fetch_add(1, Ordering::Relaxed);
            return Err(why);
        }
        let entry = Arc::new(entry);
        // Declared before the guard so it is dropped after it: the bodies
        // leaving the store are freed outside the lock.
        let mut leaving: Vec<Arc<Entry>> = Vec::new();
        let mut st = shard.lock();
        leaving.extend(st.remove_key(vis, &entry.url));
        while st.bytes + size > shard.max_bytes {
            match st.evict_lru() {
                Some(old) => {
                    st.evictions += 1;
                    leaving.push(old);
                }
                // Unreachable while the accounting holds (an empty shard
                // holds 0 bytes and `admit` checked `size <= max_bytes`).
                None => break,
            }
        }
        st.add(Arc::clone(&entry), vis);
        drop(st);
        Ok(entry)
    }

    /// Removes every entry for `(rtype, url)`: the shared one and every
    /// call's private one. Returns how many were removed.
    pub fn remove(&self, rtype: ResourceType, url: &str) -> usize {
        let mut leaving = Vec::new();
        self.shards[rtype]
            .lock()
            .remove_everywhere(url, &mut leaving);
        leaving.len()
    }

    /// Removes every entry for `url` in every type, shared and private (after
    /// an unsafe request such as a POST to it). Returns how many were removed.
    pub fn remove_url(&self, url: &str) -> usize {
        let mut leaving = Vec::new();
        for t in ResourceType::ALL {
            self.shards[t].lock().remove_everywhere(url, &mut leaving);
        }
        leaving.len()
    }

    /// Removes `call`'s private entry for `(rtype, url)`, if it has one.
    pub fn remove_private(&self, rtype: ResourceType, url: &str, call: CallId) -> bool {
        let old = self.shards[rtype]
            .lock()
            .remove_key(Visibility::Call(call), url);
        old.is_some()
    }

    /// Drops every private entry of `call`, in every type. Returns how many.
    pub fn end_call(&self, call: CallId) -> usize {
        let mut leaving = Vec::new();
        for t in ResourceType::ALL {
            self.shards[t].lock().end_call(call, &mut leaving);
        }
        leaving.len()
    }

    /// Counts one fetch of type `rtype` that ended with `decision`.
    pub fn record(&self, rtype: ResourceType, decision: Decision) {
        self.shards[rtype].counters.decisions[decision].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a fetch this cache could not serve that the shared tier (a
    /// caching proxy on the way) answered without asking the origin.
    pub fn record_tier_hit(&self, rtype: ResourceType) {
        self.shards[rtype]
            .counters
            .tier_hits
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot of every type's statistics. Each type's entry and byte
    /// counts are read under its lock, so they agree with each other.
    pub fn stats(&self) -> PerType<TypeStats> {
        PerType::from_fn(|t| {
            let shard = &self.shards[t];
            let c = &shard.counters;
            let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
            let st = shard.lock();
            TypeStats {
                max_bytes: shard.max_bytes,
                entries: st.lru.len() as u64,
                private_entries: st.private_entries(),
                bytes: st.bytes,
                decisions: PerDecision::from_fn(|d| load(&c.decisions[d])),
                evictions: st.evictions,
                refused: load(&c.refused),
                tier_hits: load(&c.tier_hits),
            }
        })
    }

    /// Every held entry, by type (in [`ResourceType::ALL`] order), most
    /// recently used first. Does not change the LRU order.
    pub fn entries(&self) -> Vec<ListedEntry> {
        let mut out = Vec::new();
        for t in ResourceType::ALL {
            let st = self.shards[t].lock();
            out.extend(st.lru.iter().map(|(key, entry)| ListedEntry {
                visibility: key.vis,
                entry: Arc::clone(entry),
            }));
        }
        out
    }
}

/// One type's part of the store.
///
/// Aligned to a cache line so that one type's lock and counters never share
/// a line with another's (no false sharing between audio and documents).
#[derive(Debug)]
#[repr(align(64))]
struct Shard {
    max_bytes: u64,
    max_entry_bytes: u64,
    state: Mutex<ShardState>,
    counters: Counters,
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, ShardState> {
        // Nothing under the lock can panic half-way through an update (only
        // allocation failure, which aborts), so a poisoned lock still guards
        // consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an entry of `size` bytes may be stored at all.
    fn admit(&self, rtype: ResourceType, size: u64) -> Result<(), Rejected> {
        if self.max_bytes == 0 {
            Err(Rejected::Disabled { rtype })
        } else if size > self.max_entry_bytes {
            Err(Rejected::OverEntryLimit {
                rtype,
                size,
                max_entry_bytes: self.max_entry_bytes,
            })
        } else if size > self.max_bytes {
            Err(Rejected::OverBudget {
                rtype,
                size,
                max_bytes: self.max_bytes,
            })
        } else {
            Ok(())
        }
    }

    /// Checks the shard's invariants, the budget among them; for tests.
    #[cfg(test)]
    fn audit(&self) {
        let st = self.lock();
        st.audit();
        assert!(
            st.bytes <= self.max_bytes,
            "{} > {}",
            st.bytes,
            self.max_bytes
        );
    }
}

/// Decision counters of one type, bumped without taking the lock.
#[derive(Debug, Default)]
struct Counters {
    decisions: PerDecision<AtomicU64>,
    refused: AtomicU64,
    tier_hits: AtomicU64,
}

/// The LRU key: who sees the entry, and its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Key {
    vis: Visibility,
    url: Arc<str>,
}

/// A key seen as its parts, so that the LRU is searched by
/// `(Visibility, &str)` without making a [`Key`] (no `Arc` allocated on a
/// hit). `Key` and `(Visibility, &str)` hash and compare through it alike.
trait KeyView {
    fn parts(&self) -> (Visibility, &str);
}

impl KeyView for Key {
    fn parts(&self) -> (Visibility, &str) {
        (self.vis, &self.url)
    }
}

impl KeyView for (Visibility, &str) {
    fn parts(&self) -> (Visibility, &str) {
        (self.0, self.1)
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyView + '_ {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The same hash as the view's, as `Borrow` requires.
        (self as &dyn KeyView).hash(state);
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for Key {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

/// One type's entries, guarded by the shard's lock.
///
/// Invariants: `private[call]` holds exactly the URLs of the LRU's
/// `Visibility::Call(call)` keys, and no set of it is empty; `bytes` is the
/// sum of the entries' sizes.
#[derive(Debug)]
struct ShardState {
    bytes: u64,
    evictions: u64,
    /// Every entry of the type, most recently used first. Unbounded by
    /// count: the shard's byte budget evicts.
    lru: LruCache<Key, Arc<Entry>>,
    /// Each call's private URLs.
    private: HashMap<CallId, HashSet<Arc<str>>>,
}

impl Default for ShardState {
    fn default() -> Self {
        ShardState {
            bytes: 0,
            evictions: 0,
            lru: LruCache::unbounded(),
            private: HashMap::new(),
        }
    }
}

impl ShardState {
    /// Who `call` sees `url` as: its private entry if it has one, else the
    /// shared one.
    fn visibility(&self, url: &str, call: CallId) -> Visibility {
        // Most calls have no private entries: skip hashing the call id then.
        if !self.private.is_empty()
            && self
                .private
                .get(&call)
                .is_some_and(|urls| urls.contains(url))
        {
            Visibility::Call(call)
        } else {
            Visibility::Shared
        }
    }

    /// `call`'s view of `url`, marked most recently used.
    fn get(&mut self, url: &str, call: CallId) -> Option<Arc<Entry>> {
        let view: &dyn KeyView = &(self.visibility(url, call), url);
        self.lru.get(view).map(Arc::clone)
    }

    /// `call`'s view of `url`, the order left alone.
    fn peek(&self, url: &str, call: CallId) -> Option<Arc<Entry>> {
        let view: &dyn KeyView = &(self.visibility(url, call), url);
        self.lru.peek(view).map(Arc::clone)
    }

    /// Adds `entry` as most recently used. The key must be free.
    fn add(&mut self, entry: Arc<Entry>, vis: Visibility) {
        let url = Arc::clone(&entry.url);
        self.bytes += entry.size();
        if let Visibility::Call(call) = vis {
            self.private
                .entry(call)
                .or_default()
                .insert(Arc::clone(&url));
        }
        self.lru.put(Key { vis, url }, entry);
    }

    /// Drops `url` from `call`'s index.
    fn unindex(&mut self, call: CallId, url: &str) {
        if let Some(urls) = self.private.get_mut(&call) {
            urls.remove(url);
            if urls.is_empty() {
                self.private.remove(&call);
            }
        }
    }

    /// Removes what `vis` holds under `url`.
    fn remove_key(&mut self, vis: Visibility, url: &str) -> Option<Arc<Entry>> {
        let view: &dyn KeyView = &(vis, url);
        let entry = self.lru.pop(view)?;
        self.bytes -= entry.size();
        if let Visibility::Call(call) = vis {
            self.unindex(call, url);
        }
        Some(entry)
    }

    /// Removes `url` from the shared entries and from every call's overlay.
    fn remove_everywhere(&mut self, url: &str, leaving: &mut Vec<Arc<Entry>>) {
        leaving.extend(self.remove_key(Visibility::Shared, url));
        let calls: Vec<CallId> = self
            .private
            .iter()
            .filter(|(_, urls)| urls.contains(url))
            .map(|(call, _)| *call)
            .collect();
        for call in calls {
            leaving.extend(self.remove_key(Visibility::Call(call), url));
        }
    }

    /// Removes every private entry of `call`.
    fn end_call(&mut self, call: CallId, leaving: &mut Vec<Arc<Entry>>) {
        for url in self.private.remove(&call).into_iter().flatten() {
            let view: &dyn KeyView = &(Visibility::Call(call), &*url);
            if let Some(entry) = self.lru.pop(view) {
                self.bytes -= entry.size();
                leaving.push(entry);
            }
        }
    }

    /// Removes the least recently used entry.
    fn evict_lru(&mut self) -> Option<Arc<Entry>> {
        let (key, entry) = self.lru.pop_lru()?;
        self.bytes -= entry.size();
        if let Visibility::Call(call) = key.vis {
            self.unindex(call, &key.url);
        }
        Some(entry)
    }

    fn private_entries(&self) -> u64 {
        self.private.values().map(|urls| urls.len() as u64).sum()
    }

    /// Checks every invariant of the shard; for tests.
    #[cfg(test)]
    fn audit(&self) {
        let mut bytes = 0;
        let mut private = 0;
        for (key, entry) in self.lru.iter() {
            bytes += entry.size();
            assert_eq!(key.url, entry.url, "keyed by its own URL");
            if let Visibility::Call(call) = key.vis {
                private += 1;
                assert!(
                    self.private
                        .get(&call)
                        .is_some_and(|urls| urls.contains(&key.url)),
                    "every private entry is indexed"
                );
            }
        }
        assert_eq!(
            private,
            self.private_entries(),
            "every index slot is an entry"
        );
        assert!(self.private.values().all(|urls| !urls.is_empty()));
        assert_eq!(bytes, self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::StoredResponse;
    use crate::config::CacheConfig;
    use bytes::Bytes;
    use std::time::SystemTime;

    /// A store where every type has `max_bytes` and `max_entry_bytes`.
    fn store(max_bytes: u64, max_entry_bytes: u64) -> Store {
        let mut config = CacheConfig::default();
        for t in ResourceType::ALL {
            config.types[t].max_bytes = max_bytes;
            config.types[t].max_entry_bytes = max_entry_bytes;
        }
        Store::new(&config)
    }

    fn entry(rtype: ResourceType, url: &str, size: usize) -> Entry {
        let response = StoredResponse::new(
            http::StatusCode::OK,
            http::HeaderMap::new(),
            SystemTime::UNIX_EPOCH,
        );
        Entry::new(url, rtype, response, Bytes::from(vec![b'x'; size]))
    }

    fn audit(s: &Store) {
        for t in ResourceType::ALL {
            s.shards[t].audit();
        }
    }

    /// The public-API workout lives in `tests/cache_store.rs`; this one also
    /// checks what only the inside can see: after every operation, the maps
    /// and the LRU agree, no overlay set is left empty, and the bytes add
    /// up.
    #[test]
    fn concurrent_mixed_operations_keep_every_invariant() {
        let s = Arc::new(store(4000, 1500));
        let threads: Vec<_> = (0..4u64)
            .map(|seed| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(seed);
                    let mut call = s.new_call();
                    for _ in 0..2000 {
                        let t = ResourceType::ALL[rng.usize(0..2)];
                        let url = format!("u{}", rng.u8(0..20));
                        match rng.u8(0..10) {
                            0..=3 => {
                                let vis = if rng.bool() {
                                    Visibility::Shared
                                } else {
                                    Visibility::Call(call)
                                };
                                let _ = s.insert(entry(t, &url, rng.usize(0..1600)), vis);
                            }
                            4..=6 => {
                                let _ = s.get(t, &url, call);
                            }
                            7 => {
                                s.remove(t, &url);
                            }
                            8 => {
                                s.end_call(call);
                                call = s.new_call();
                            }
                            _ if rng.bool() => {
                                s.remove_url(&url);
                            }
                            _ => {
                                s.remove_private(t, &url, call);
                            }
                        }
                        s.shards[t].audit();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        audit(&s);
    }
}
