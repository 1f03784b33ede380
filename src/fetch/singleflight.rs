//! Single flight: while one request for a key is on its way to the origin,
//! later requests for the same key wait for it instead of sending their own.
//!
//! This is what keeps a hundred calls that reach the same missing (or stale)
//! page at once from becoming a hundred origin requests. The first to ask is
//! the *leader* and does the work; the others are *followers* and receive
//! what the leader [`Leader::land`]s.
//!
//! The slot of a key lives exactly as long as its leader: the leader's guard
//! removes it when it lands, fails or is dropped half-way (a call hung up, a
//! task cancelled). A follower whose leader vanished without landing is told
//! so ([`Follower::landed`] returns `None`) and can ask again — it may become
//! the next leader — so a cancelled leader never wedges anyone.
//!
//! The lock guards only the map (no await under it); waiting is on a
//! `tokio::sync::watch` channel per flight.
//!
//! [`Running`] is the same rule for work nobody waits on: one background
//! revalidation per key at a time.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// The flights in progress, by key.
#[derive(Debug)]
pub struct Flights<K, T> {
    slots: Mutex<HashMap<K, Slot<T>>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Slot<T> {
    /// Tells this flight from a later one under the same key.
    id: u64,
    landing: watch::Receiver<Option<T>>,
}

/// What [`Flights::join`] makes of the caller.
#[derive(Debug)]
pub enum Join<'a, K: Hash + Eq + Clone, T: Clone> {
    /// Nobody was asking: go to the origin and [`Leader::land`] the result.
    Leader(Leader<'a, K, T>),
    /// Someone is already asking: wait for their result.
    Follower(Follower<T>),
}

/// The one request in flight for a key. Dropping it without landing (an
/// error path, a cancelled task) releases the key and wakes the followers
/// with `None`.
#[derive(Debug)]
pub struct Leader<'a, K: Hash + Eq + Clone, T> {
    flights: &'a Flights<K, T>,
    key: K,
    id: u64,
    landing: watch::Sender<Option<T>>,
}

/// A request waiting for a leader.
#[derive(Debug)]
pub struct Follower<T> {
    landing: watch::Receiver<Option<T>>,
}

impl<K: Hash + Eq + Clone, T: Clone> Default for Flights<K, T> {
    fn default() -> Self {
        Flights {
            slots: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }
}

impl<K: Hash + Eq + Clone, T: Clone> Flights<K, T> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot<T>>> {
        // Nothing under the lock panics half-way through an update.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Becomes the leader for `key`, or a follower of the flight in progress.
    pub fn join(&self, key: &K) -> Join<'_, K, T> {
        let mut slots = self.lock();
        if let Some(slot) = slots.get(key) {
            return Join::Follower(Follower {
                landing: slot.landing.clone(),
            });
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = watch::channel(None);
        slots.insert(key.clone(), Slot { id, landing: rx });
        Join::Leader(Leader {
            flights: self,
            key: key.clone(),
            id,
            landing: tx,
        })
    }

    /// How many keys have a request in flight (for diagnostics and tests).
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }
}

impl<K: Hash + Eq + Clone, T> Leader<'_, K, T> {
    /// Hands `result` to every follower and releases the key: whoever asks
    /// next starts a new flight.
    pub fn land(self, result: T) {
        self.landing.send_replace(Some(result));
        // Drop releases the key.
    }
}

impl<K: Hash + Eq + Clone, T> Drop for Leader<'_, K, T> {
    fn drop(&mut self) {
        let mut slots = self
            .flights
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only our own slot: never a later flight's under the same key.
        if slots.get(&self.key).is_some_and(|s| s.id == self.id) {
            slots.remove(&self.key);
        }
    }
}

impl<T: Clone> Follower<T> {
    /// Waits for the leader: its result, or `None` when it went away without
    /// landing one.
    pub async fn landed(mut self) -> Option<T> {
        match self.landing.wait_for(Option::is_some).await {
            Ok(value) => value.clone(),
            Err(_) => None,
        }
    }
}

/// Keys with a background task running (a stale-while-revalidate refresh):
/// at most one per key. Unlike a flight, nobody waits for it.
#[derive(Debug)]
pub struct Running<K> {
    keys: Mutex<HashSet<K>>,
}

impl<K> Default for Running<K> {
    fn default() -> Self {
        Running {
            keys: Mutex::new(HashSet::new()),
        }
    }
}

impl<K: Hash + Eq> Running<K> {
    /// Marks `key` running; `false` when it already was.
    pub fn start(&self, key: K) -> bool {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key)
    }

    /// Marks `key` done.
    pub fn finish(&self, key: &K) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    type F = Flights<&'static str, u32>;

    #[tokio::test]
    async fn followers_get_what_the_leader_lands() {
        let flights = F::default();
        let Join::Leader(leader) = flights.join(&"a") else {
            panic!("first is the leader");
        };
        let Join::Follower(f1) = flights.join(&"a") else {
            panic!("second follows");
        };
        let Join::Follower(f2) = flights.join(&"a") else {
            panic!("third follows");
        };
        assert!(
            matches!(flights.join(&"b"), Join::Leader(_)),
            "other keys fly alone"
        );
        assert_eq!(flights.in_flight(), 1, "b's leader was dropped at once");
        leader.land(7);
        assert_eq!(flights.in_flight(), 0, "landing releases the key");
        assert_eq!(f1.landed().await, Some(7));
        assert_eq!(f2.landed().await, Some(7));
        assert!(
            matches!(flights.join(&"a"), Join::Leader(_)),
            "the next request starts a new flight"
        );
    }

    #[tokio::test]
    async fn a_leader_dropped_without_landing_releases_its_followers() {
        let flights = Arc::new(F::default());
        let Join::Leader(leader) = flights.join(&"a") else {
            panic!("leader");
        };
        let Join::Follower(f) = flights.join(&"a") else {
            panic!("follower");
        };
        let waiting = tokio::spawn(f.landed());
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(leader);
        let got = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the follower is not wedged")
            .expect("task");
        assert_eq!(got, None);
        assert_eq!(flights.in_flight(), 0);
    }

    #[test]
    fn an_old_leader_never_releases_a_newer_flight() {
        let flights = F::default();
        let Join::Leader(old) = flights.join(&"a") else {
            panic!("leader");
        };
        // Simulate the old flight's slot having been replaced.
        flights.lock().remove(&"a");
        let Join::Leader(_new) = flights.join(&"a") else {
            panic!("new leader");
        };
        drop(old);
        assert_eq!(flights.in_flight(), 1, "the new flight is still there");
    }

    #[test]
    fn running_admits_one_task_per_key_until_it_finishes() {
        let r: Running<&str> = Running::default();
        assert!(r.start("a"));
        assert!(!r.start("a"), "already running");
        assert!(r.start("b"));
        r.finish(&"a");
        assert!(r.start("a"), "free again");
    }
}
