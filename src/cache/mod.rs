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

/// What one fetch did with the cache (spec §3, last paragraph).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
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
