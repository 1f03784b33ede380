//! The typed multi-cache: what is stored, for how long, and what a fetch may
//! reuse.
//!
//! Three layers, each with one job:
//! - [`headers`]: parses the caching headers of a response or request (pure).
//! - [`policy`]: decides storability, freshness, age, reuse and revalidation
//!   from parsed headers, times and configuration (pure: no I/O, no clock).
//! - [`store`]: owns the bytes: per-type byte budgets, LRU eviction, the
//!   per-call overlay for private responses, statistics.
//!
//! The fetcher (`crate::fetch`) is the only place that combines them with I/O.

pub mod entry;
pub mod headers;
pub mod policy;
pub mod store;

pub use entry::{Entry, Parsed, StoredResponse};

use std::fmt;

/// What one fetch did with the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    // The discriminants are the slots of `PerDecision`, in `ALL` order.
    /// Not in the cache (or not usable and not revalidatable): fetched from the origin.
    Miss,
    /// Served from the cache without contacting the origin.
    Hit,
    /// Revalidated with the origin, which answered 304: the stored body was served.
    Revalidated,
    /// Revalidated with the origin, which answered with a new body.
    Refreshed,
    /// Served stale, under the request's `maxstale` or under `stale_if_error`.
    Stale,
    /// Not cacheable (or a POST): fetched from the origin, nothing stored or reused.
    Bypass,
}

impl Decision {
    /// Every decision, in a fixed order.
    pub const ALL: [Decision; 6] = [
        Decision::Miss,
        Decision::Hit,
        Decision::Revalidated,
        Decision::Refreshed,
        Decision::Stale,
        Decision::Bypass,
    ];

    /// The lower-case name used in reports, logs and `X-Cache`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Miss => "miss",
            Decision::Hit => "hit",
            Decision::Revalidated => "revalidated",
            Decision::Refreshed => "refreshed",
            Decision::Stale => "stale",
            Decision::Bypass => "bypass",
        }
    }

    /// The name of the decision's counter in statistics (`hits`, `misses`,
    /// `revalidated`, `refreshed`, `stale`, `bypasses`).
    pub fn stat_name(self) -> &'static str {
        match self {
            Decision::Miss => "misses",
            Decision::Hit => "hits",
            Decision::Revalidated => "revalidated",
            Decision::Refreshed => "refreshed",
            Decision::Stale => "stale",
            Decision::Bypass => "bypasses",
        }
    }

    /// Whether the body came from the cache (no new body crossed the network).
    pub fn served_from_cache(self) -> bool {
        matches!(
            self,
            Decision::Hit | Decision::Revalidated | Decision::Stale
        )
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `T` per [`Decision`]: the statistics' counters. Indexed by the
/// decision, so no code matches decisions to counters by hand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerDecision<T>([T; 6]);

impl<T> PerDecision<T> {
    /// Builds it by calling `f` once per decision, in [`Decision::ALL`] order.
    pub fn from_fn(f: impl FnMut(Decision) -> T) -> Self {
        PerDecision(Decision::ALL.map(f))
    }

    /// `(decision, value)` pairs in [`Decision::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Decision, &T)> {
        Decision::ALL.into_iter().zip(self.0.iter())
    }
}

impl<T> std::ops::Index<Decision> for PerDecision<T> {
    type Output = T;
    fn index(&self, d: Decision) -> &T {
        &self.0[d as usize]
    }
}

impl<T> std::ops::IndexMut<Decision> for PerDecision<T> {
    fn index_mut(&mut self, d: Decision) -> &mut T {
        &mut self.0[d as usize]
    }
}

/// Serialized as a map from [`Decision::stat_name`] to value (`{"hits": 3,
/// "misses": 1, …}`), the report's names for the counters.
impl<T: serde::Serialize> serde::Serialize for PerDecision<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().map(|(d, v)| (d.stat_name(), v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_decision_slots_follow_all_and_serialize_by_stat_name() {
        for (i, d) in Decision::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i, "{d} is slot {i}");
        }
        let mut counts = PerDecision::from_fn(|_| 0u64);
        counts[Decision::Hit] += 3;
        counts[Decision::Bypass] += 1;
        assert_eq!(counts[Decision::Hit], 3);
        assert_eq!(counts[Decision::Miss], 0);
        let v = serde_json::to_value(counts).expect("serializes");
        assert_eq!(
            v,
            serde_json::json!({"misses": 0, "hits": 3, "revalidated": 0,
                "refreshed": 0, "stale": 0, "bypasses": 1})
        );
    }
}
