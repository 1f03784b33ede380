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
//! - Inside a shard, **one recency list** orders every entry, shared and
//!   private alike (private entries hold memory too, so they compete for the
//!   same budget). Two maps find a node: `shared` by URL, `private` by call
//!   then URL. Both are keyed by `Arc<str>` so a lookup by `&str` neither
//!   allocates nor copies; a hit is a hash lookup, a relink and an `Arc`
//!   clone, whatever the body size.
//! - **Decision counters** are atomics outside the lock (the fetcher records
//!   them after the lock is long released); entry, byte and eviction counts
//!   live inside it, where they are exact.
//! - Entries leaving the store (replaced, evicted, removed) are dropped
//!   **after** the lock is released: freeing a large body is not done while
//!   other calls wait.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::cache::{Decision, Entry};
use crate::config::CacheConfig;
use crate::resource::{PerType, ResourceType};

use recency::{NodeId, Recency};

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
    pub hits: u64,
    pub misses: u64,
    pub revalidated: u64,
    pub refreshed: u64,
    /// Served stale (under `maxstale` or `stale_if_error`).
    pub stale: u64,
    pub bypasses: u64,
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
        match decision {
            Decision::Hit => self.hits,
            Decision::Miss => self.misses,
            Decision::Revalidated => self.revalidated,
            Decision::Refreshed => self.refreshed,
            Decision::Stale => self.stale,
            Decision::Bypass => self.bypasses,
        }
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
        let mut st = self.shards[rtype].lock();
        let id = st.find(url, call)?;
        st.recency.touch(id);
        st.recency.get(id).map(|held| Arc::clone(&held.entry))
    }

    /// Like [`Store::get`], without changing the LRU order.
    pub fn peek(&self, rtype: ResourceType, url: &str, call: CallId) -> Option<Arc<Entry>> {
        let st = self.shards[rtype].lock();
        let id = st.find(url, call)?;
        st.recency.get(id).map(|held| Arc::clone(&held.entry))
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
            let mut st = self.shards[t].lock();
            if let Some(map) = st.private.remove(&call) {
                for id in map.into_values() {
                    leaving.extend(st.take_node(id));
                }
            }
        }
        leaving.len()
    }

    /// Counts one fetch of type `rtype` that ended with `decision`.
    pub fn record(&self, rtype: ResourceType, decision: Decision) {
        let c = &self.shards[rtype].counters;
        let counter = match decision {
            Decision::Hit => &c.hits,
            Decision::Miss => &c.misses,
            Decision::Revalidated => &c.revalidated,
            Decision::Refreshed => &c.refreshed,
            Decision::Stale => &c.stale,
            Decision::Bypass => &c.bypasses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
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
                entries: st.recency.len() as u64,
                private_entries: st.private.values().map(|m| m.len() as u64).sum(),
                bytes: st.bytes,
                hits: load(&c.hits),
                misses: load(&c.misses),
                revalidated: load(&c.revalidated),
                refreshed: load(&c.refreshed),
                stale: load(&c.stale),
                bypasses: load(&c.bypasses),
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
            out.extend(st.recency.iter().map(|held| ListedEntry {
                visibility: held.vis,
                entry: Arc::clone(&held.entry),
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
    hits: AtomicU64,
    misses: AtomicU64,
    revalidated: AtomicU64,
    refreshed: AtomicU64,
    stale: AtomicU64,
    bypasses: AtomicU64,
    refused: AtomicU64,
    tier_hits: AtomicU64,
}

/// What a recency node holds.
#[derive(Debug)]
struct Held {
    entry: Arc<Entry>,
    vis: Visibility,
}

/// One type's entries, guarded by the shard's lock.
///
/// Invariants: every node of `recency` is in exactly one of the maps, under
/// its entry's URL (in `private[call]` for `Visibility::Call(call)`); no map
/// of `private` is empty; `bytes` is the sum of the nodes' sizes.
#[derive(Debug, Default)]
struct ShardState {
    bytes: u64,
    evictions: u64,
    recency: Recency<Held>,
    shared: HashMap<Arc<str>, NodeId>,
    private: HashMap<CallId, HashMap<Arc<str>, NodeId>>,
}

impl ShardState {
    /// `call`'s view of `url`: its private entry first, then the shared one.
    fn find(&self, url: &str, call: CallId) -> Option<NodeId> {
        // Most calls have no private entries: skip hashing the call id then.
        if !self.private.is_empty()
            && let Some(id) = self.private.get(&call).and_then(|m| m.get(url))
        {
            return Some(*id);
        }
        self.shared.get(url).copied()
    }

    /// Links `entry` in as most recently used. The key must be free.
    fn add(&mut self, entry: Arc<Entry>, vis: Visibility) {
        let url = Arc::clone(&entry.url);
        self.bytes += entry.size();
        let id = self.recency.push_front(Held { entry, vis });
        match vis {
            Visibility::Shared => self.shared.insert(url, id),
            Visibility::Call(call) => self.private.entry(call).or_default().insert(url, id),
        };
    }

    /// Unlinks a node whose map slot is already gone, and un-counts its bytes.
    fn take_node(&mut self, id: NodeId) -> Option<Arc<Entry>> {
        let held = self.recency.remove(id)?;
        self.bytes -= held.entry.size();
        Some(held.entry)
    }

    /// Removes what `vis` holds under `url`.
    fn remove_key(&mut self, vis: Visibility, url: &str) -> Option<Arc<Entry>> {
        let id = match vis {
            Visibility::Shared => self.shared.remove(url)?,
            Visibility::Call(call) => {
                let map = self.private.get_mut(&call)?;
                let id = map.remove(url)?;
                if map.is_empty() {
                    self.private.remove(&call);
                }
                id
            }
        };
        self.take_node(id)
    }

    /// Removes `url` from the shared map and from every call's overlay.
    fn remove_everywhere(&mut self, url: &str, leaving: &mut Vec<Arc<Entry>>) {
        leaving.extend(self.remove_key(Visibility::Shared, url));
        let mut ids = Vec::new();
        self.private.retain(|_, map| {
            ids.extend(map.remove(url));
            !map.is_empty()
        });
        for id in ids {
            leaving.extend(self.take_node(id));
        }
    }

    /// Removes the least recently used entry.
    fn evict_lru(&mut self) -> Option<Arc<Entry>> {
        let held = self.recency.get(self.recency.back()?)?;
        let (vis, url) = (held.vis, Arc::clone(&held.entry.url));
        self.remove_key(vis, &url)
    }

    /// Checks every invariant of the shard; for tests.
    #[cfg(test)]
    fn audit(&self) {
        let mut bytes = 0;
        let mut n = 0;
        for held in self.recency.iter() {
            bytes += held.entry.size();
            n += 1;
            let id = match held.vis {
                Visibility::Shared => self.shared.get(&*held.entry.url),
                Visibility::Call(c) => self.private.get(&c).and_then(|m| m.get(&*held.entry.url)),
            };
            let id = id.copied().expect("every node is in its map");
            assert!(Arc::ptr_eq(
                &self.recency.get(id).expect("live node").entry,
                &held.entry
            ));
        }
        assert_eq!(n, self.recency.len());
        let mapped: usize =
            self.shared.len() + self.private.values().map(HashMap::len).sum::<usize>();
        assert_eq!(mapped, n, "every map slot is a node");
        assert!(self.private.values().all(|m| !m.is_empty()));
        assert_eq!(bytes, self.bytes);
        self.recency.audit();
    }
}

/// An LRU order without allocation on use: a doubly linked list whose nodes
/// live in a slab (`Vec`), addressed by index. Touching a node relinks two
/// indices; freed slots are reused.
mod recency {
    /// A node's address in its list. Only meaningful for the list that
    /// issued it, and only until the node is removed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) struct NodeId(usize);

    #[derive(Debug)]
    enum Node<T> {
        Used {
            value: T,
            /// Towards the most recent end.
            prev: Option<usize>,
            /// Towards the least recent end.
            next: Option<usize>,
        },
        Free,
    }

    #[derive(Debug)]
    pub(super) struct Recency<T> {
        nodes: Vec<Node<T>>,
        free: Vec<usize>,
        /// Most recently used.
        head: Option<usize>,
        /// Least recently used.
        tail: Option<usize>,
        len: usize,
    }

    impl<T> Default for Recency<T> {
        fn default() -> Self {
            Recency {
                nodes: Vec::new(),
                free: Vec::new(),
                head: None,
                tail: None,
                len: 0,
            }
        }
    }

    impl<T> Recency<T> {
        pub(super) fn len(&self) -> usize {
            self.len
        }

        /// Adds `value` as the most recent.
        pub(super) fn push_front(&mut self, value: T) -> NodeId {
            let node = Node::Used {
                value,
                prev: None,
                next: self.head,
            };
            let i = match self.free.pop() {
                Some(i) => {
                    self.nodes[i] = node;
                    i
                }
                None => {
                    self.nodes.push(node);
                    self.nodes.len() - 1
                }
            };
            match self.head {
                Some(h) => self.set_prev(h, Some(i)),
                None => self.tail = Some(i),
            }
            self.head = Some(i);
            self.len += 1;
            NodeId(i)
        }

        pub(super) fn get(&self, id: NodeId) -> Option<&T> {
            match self.nodes.get(id.0) {
                Some(Node::Used { value, .. }) => Some(value),
                _ => None,
            }
        }

        /// The least recently used node.
        pub(super) fn back(&self) -> Option<NodeId> {
            self.tail.map(NodeId)
        }

        /// Makes `id` the most recent.
        pub(super) fn touch(&mut self, id: NodeId) {
            if self.head == Some(id.0) || self.get(id).is_none() {
                return;
            }
            self.unlink(id.0);
            let old_head = self.head;
            if let Some(Node::Used { prev, next, .. }) = self.nodes.get_mut(id.0) {
                *prev = None;
                *next = old_head;
            }
            match old_head {
                Some(h) => self.set_prev(h, Some(id.0)),
                None => self.tail = Some(id.0),
            }
            self.head = Some(id.0);
        }

        pub(super) fn remove(&mut self, id: NodeId) -> Option<T> {
            self.get(id)?;
            self.unlink(id.0);
            let node = std::mem::replace(self.nodes.get_mut(id.0)?, Node::Free);
            self.free.push(id.0);
            self.len -= 1;
            match node {
                Node::Used { value, .. } => Some(value),
                Node::Free => None,
            }
        }

        /// Most recent first.
        pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
            let mut at = self.head;
            std::iter::from_fn(move || {
                let Some(Node::Used { value, next, .. }) = self.nodes.get(at?) else {
                    return None;
                };
                at = *next;
                Some(value)
            })
        }

        /// Joins `i`'s neighbours to each other (leaves `i`'s own links stale).
        fn unlink(&mut self, i: usize) {
            let Some(&Node::Used { prev, next, .. }) = self.nodes.get(i) else {
                return;
            };
            match prev {
                Some(p) => self.set_next(p, next),
                None => self.head = next,
            }
            match next {
                Some(n) => self.set_prev(n, prev),
                None => self.tail = prev,
            }
        }

        fn set_prev(&mut self, i: usize, to: Option<usize>) {
            if let Some(Node::Used { prev, .. }) = self.nodes.get_mut(i) {
                *prev = to;
            }
        }

        fn set_next(&mut self, i: usize, to: Option<usize>) {
            if let Some(Node::Used { next, .. }) = self.nodes.get_mut(i) {
                *next = to;
            }
        }

        /// Checks the links both ways and the free list; for tests.
        #[cfg(test)]
        pub(super) fn audit(&self) {
            let mut forward = Vec::new();
            let mut at = self.head;
            let mut prev = None;
            while let Some(i) = at {
                let Some(Node::Used { prev: p, next, .. }) = self.nodes.get(i) else {
                    panic!("link to a free slot {i}");
                };
                assert_eq!(*p, prev, "back link of {i}");
                forward.push(i);
                assert!(forward.len() <= self.nodes.len(), "cycle");
                prev = Some(i);
                at = *next;
            }
            assert_eq!(self.tail, prev);
            assert_eq!(forward.len(), self.len);
            assert_eq!(self.len + self.free.len(), self.nodes.len());
            for &f in &self.free {
                assert!(matches!(self.nodes[f], Node::Free));
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn order(r: &Recency<u32>) -> Vec<u32> {
            r.iter().copied().collect()
        }

        #[test]
        fn push_touch_remove_keep_order_and_reuse_slots() {
            let mut r = Recency::default();
            let a = r.push_front(1);
            let b = r.push_front(2);
            let c = r.push_front(3);
            assert_eq!(order(&r), [3, 2, 1]);
            assert_eq!(r.back(), Some(a));
            r.touch(a);
            assert_eq!(order(&r), [1, 3, 2]);
            assert_eq!(r.back(), Some(b));
            r.touch(b);
            r.touch(b); // touching the head is a no-op
            assert_eq!(order(&r), [2, 1, 3]);
            assert_eq!(r.remove(a), Some(1));
            assert_eq!(r.remove(a), None, "a removed id is dead");
            assert_eq!(r.get(a), None);
            r.touch(a); // and touching it changes nothing
            assert_eq!(order(&r), [2, 3]);
            r.audit();
            let d = r.push_front(4);
            assert_eq!(d, a, "the freed slot is reused");
            assert_eq!(order(&r), [4, 2, 3]);
            assert_eq!(r.remove(c), Some(3));
            assert_eq!(r.remove(d), Some(4));
            assert_eq!(r.remove(b), Some(2));
            assert_eq!(r.len(), 0);
            assert_eq!(r.back(), None);
            r.audit();
        }
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
        let response = StoredResponse::new(200, http::HeaderMap::new(), SystemTime::UNIX_EPOCH);
        Entry::new(url, rtype, response, Bytes::from(vec![b'x'; size]))
    }

    fn audit(s: &Store) {
        for t in ResourceType::ALL {
            s.shards[t].audit();
        }
    }

    /// The public-API workout lives in `tests/cache_store.rs`; this one also
    /// checks what only the inside can see: after every operation, the maps
    /// and the recency list agree, no overlay map is left empty, and the
    /// links hold both ways.
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
