//! What the cache holds and how it has done (`--show-cache`), like the
//! `bam --cache` listing of 003: per entry its type, URL, size, age, how long
//! until it expires (negative: stale for that long) and its validators; per
//! type the entry and byte counts against the budget and every decision count.
//!
//! Expiry is the one *stored with the resource* — its own freshness
//! lifetime (headers, `<meta http-equiv>`, the type's `default_max_age`) —
//! never a request's `maxage`, which is not stored (003: "Cache directives
//! supplied on a per-request basis … are not stored or displayed").
//!
//! Pure: everything comes from [`Store::entries`], [`Store::stats`], the
//! cache configuration and a `now`, so the listing is testable to the second.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::cache::Decision;
use crate::cache::headers::CachingHeaders;
use crate::cache::policy::{current_age, freshness_lifetime};
use crate::cache::store::{ListedEntry, Store, TypeStats, Visibility};
use crate::config::CacheConfig;
use crate::resource::{PerType, ResourceType};

/// One line of the entry table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CacheRow {
    #[serde(rename = "type")]
    pub rtype: ResourceType,
    pub url: String,
    /// `shared`, or the call a private entry belongs to.
    pub visibility: Visibility,
    /// Bytes counted against the type's budget.
    pub size: u64,
    /// Current age (RFC 9111 §4.2.3), whole seconds.
    #[serde(rename = "age_s", serialize_with = "secs")]
    pub age: Duration,
    pub expiry: Expiry,
    /// The `ETag`, as sent.
    pub etag: Option<String>,
    /// The `Last-Modified` date, as sent.
    pub last_modified: Option<String>,
}

/// When a stored entry stops being fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Expiry {
    /// Fresh for this much longer.
    Fresh {
        #[serde(rename = "in_s", serialize_with = "secs")]
        remaining: Duration,
    },
    /// Stale by this much (shown as a negative "expires in").
    Stale {
        #[serde(rename = "by_s", serialize_with = "secs")]
        by: Duration,
    },
    /// A `file:` entry: reused for as long as the file's modification time
    /// and size are unchanged.
    WhileUnchanged,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// The rows of the entry table, in the store's order (by type, most
/// recently used first).
pub fn rows(entries: &[ListedEntry], config: &CacheConfig, now: SystemTime) -> Vec<CacheRow> {
    entries
        .iter()
        .map(|listed| {
            let e = &listed.entry;
            let response = &e.response;
            let age = current_age(response, now);
            let expiry = if e.file_stamp.is_some() {
                Expiry::WhileUnchanged
            } else {
                let lifetime = freshness_lifetime(response, config, e.rtype);
                match lifetime.checked_sub(age) {
                    Some(remaining) if !remaining.is_zero() => Expiry::Fresh { remaining },
                    _ => Expiry::Stale {
                        by: age.saturating_sub(lifetime),
                    },
                }
            };
            let h = CachingHeaders::parse(&response.headers, &config.targeted);
            let text = |name: http::header::HeaderName| {
                response
                    .headers
                    .get(name)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            };
            CacheRow {
                rtype: e.rtype,
                url: e.url.to_string(),
                visibility: listed.visibility,
                size: e.size(),
                age,
                expiry,
                etag: h.etag.and(text(http::header::ETAG)),
                last_modified: h.last_modified.and(text(http::header::LAST_MODIFIED)),
            }
        })
        .collect()
}

/// The fraction of a type's fetches whose body came from the cache (hit,
/// revalidated or stale: [`Decision::served_from_cache`]); `None` before
/// the first fetch.
pub fn hit_rate(stats: &TypeStats) -> Option<f64> {
    let total: u64 = Decision::ALL.iter().map(|d| stats.count(*d)).sum();
    let served: u64 = Decision::ALL
        .iter()
        .filter(|d| d.served_from_cache())
        .map(|d| stats.count(*d))
        .sum();
    (total > 0).then(|| served as f64 / total as f64)
}

/// The whole listing: the entry table, a blank line, the statistics table.
pub fn cache_listing(store: &Store, config: &CacheConfig, now: SystemTime) -> String {
    let mut out = entry_table(&rows(&store.entries(), config, now));
    out.push('\n');
    out.push_str(&stats_table(&store.stats()));
    out
}

/// The entry table (or a line saying the cache is empty).
pub fn entry_table(rows: &[CacheRow]) -> String {
    if rows.is_empty() {
        return "the cache is empty\n".to_string();
    }
    let header = ["TYPE", "URL", "SIZE", "AGE", "EXPIRES IN", "VALIDATORS"];
    let body = rows
        .iter()
        .map(|r| {
            let url = match r.visibility {
                Visibility::Shared => r.url.clone(),
                Visibility::Call(call) => format!("{} ({call} only)", r.url),
            };
            let expires = match r.expiry {
                Expiry::Fresh { remaining } => seconds(remaining),
                Expiry::Stale { by } => format!("-{}", seconds(by)),
                Expiry::WhileUnchanged => "on change".to_string(),
            };
            vec![
                r.rtype.to_string(),
                url,
                r.size.to_string(),
                seconds(r.age),
                expires,
                validators(r),
            ]
        })
        .collect();
    table(&header, body, &[false, false, true, true, true, false])
}

fn validators(r: &CacheRow) -> String {
    let mut parts = Vec::new();
    if let Some(etag) = &r.etag {
        parts.push(format!("ETag {etag}"));
    }
    if let Some(lm) = &r.last_modified {
        parts.push(format!("Last-Modified {lm}"));
    }
    if r.expiry == Expiry::WhileUnchanged {
        parts.push("file time and size".to_string());
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(", ")
    }
}

/// The decision columns of the statistics table, hits first.
const STATS_DECISIONS: [Decision; 6] = [
    Decision::Hit,
    Decision::Miss,
    Decision::Revalidated,
    Decision::Refreshed,
    Decision::Stale,
    Decision::Bypass,
];

/// The per-type statistics, with a total line.
pub fn stats_table(stats: &PerType<TypeStats>) -> String {
    let mut header: Vec<String> = ["TYPE", "ENTRIES", "BYTES/BUDGET"].map(String::from).into();
    header.extend(STATS_DECISIONS.map(|d| d.stat_name().to_uppercase()));
    header.extend(["EVICTIONS", "HIT RATE", "TIER HITS"].map(String::from));
    let mut total = TypeStats::default();
    let mut body: Vec<Vec<String>> = stats
        .iter()
        .map(|(t, s)| {
            add(&mut total, s);
            stats_row(t.as_str(), s)
        })
        .collect();
    body.push(stats_row("all", &total));
    let mut right = [true; 12];
    right[0] = false;
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(&header, body, &right)
}

fn add(total: &mut TypeStats, s: &TypeStats) {
    total.max_bytes += s.max_bytes;
    total.entries += s.entries;
    total.private_entries += s.private_entries;
    total.bytes += s.bytes;
    for d in Decision::ALL {
        total.decisions[d] += s.decisions[d];
    }
    total.evictions += s.evictions;
    total.refused += s.refused;
    total.tier_hits += s.tier_hits;
}

fn stats_row(name: &str, s: &TypeStats) -> Vec<String> {
    let mut row = vec![
        name.to_string(),
        s.entries.to_string(),
        format!("{}/{}", s.bytes, s.max_bytes),
    ];
    // The header names the decisions in this order, hits first.
    row.extend(STATS_DECISIONS.map(|d| s.decisions[d].to_string()));
    row.push(s.evictions.to_string());
    row.push(hit_rate(s).map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0)));
    row.push(s.tier_hits.to_string());
    row
}

/// Whole seconds, as people write them (`40s`, `2m 40s`, `0s`).
fn seconds(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// Columns padded to their widest cell (counted in characters), separated
/// by two spaces; `right[i]` right-aligns column `i` (numbers). The last
/// column is not padded, so lines carry no trailing blanks.
fn table(header: &[&str], rows: Vec<Vec<String>>, right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let last = row.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            if right.get(i).copied().unwrap_or(false) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else if i == last {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}
