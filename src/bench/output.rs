//! What a sweep produces: one [`BenchPoint`] per cache budget, gathered in a
//! [`BenchReport`], written as JSON, CSV and an SVG plot, and shown as a
//! table on the terminal.
//!
//! CSV is written here rather than with the `csv` crate: every field is a
//! number or a fixed name, so quoting never arises, and the columns are
//! listed once, in [`CSV_COLUMNS`], next to the code that fills them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::BenchError;
use super::app::AppSpec;
use super::plot;
use super::sweep::SweepOptions;
use crate::resource::{PerType, ResourceType};

/// What one budget point measured (see `measure` for the definitions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchPoint {
    /// The budget as a share of "everything fits" (0 to 1), the same share
    /// for every type.
    pub budget_fraction: f64,
    /// The byte budget (`max_bytes`) each type had.
    pub budget_bytes: PerType<u64>,
    /// Calls that ended as planned.
    pub calls: u64,
    /// Calls that did not.
    pub errors: u64,
    /// What went wrong with the first failed call, if one failed.
    pub first_error: Option<String>,
    /// Wall time of the measured calls.
    pub wall_seconds: f64,
    /// Fetches made by every measured call.
    pub fetches: u64,
    /// Of `fetches`, those that failed (timeouts, errors). A call can end as
    /// planned in spite of one — a failed `<audio>` plays its fallback — so
    /// these are counted apart from `errors`.
    pub fetch_errors: u64,
    /// The first failed fetch, if one failed.
    pub first_fetch_error: Option<String>,
    /// Share of fetches served from the cache, every type together.
    pub hit_rate: Option<f64>,
    /// The same per type (`null` for a type that was never fetched).
    pub hit_rate_by_type: PerType<Option<f64>>,
    /// Requests the origin answered, 304s included.
    pub origin_requests: u64,
    /// Body bytes the origin sent.
    pub origin_bytes: u64,
    /// Of `origin_requests`, the 304s (revalidations).
    pub origin_not_modified: u64,
    /// This process's CPU time (user + system) for the measured calls,
    /// without the thread reading the origin's log.
    pub browser_cpu_seconds: f64,
    /// The origin process's CPU time for them.
    pub origin_cpu_seconds: f64,
    /// `browser_cpu_seconds` per finished call (ended as planned or not).
    pub browser_cpu_per_call: Option<f64>,
    /// `origin_cpu_seconds` per finished call.
    pub origin_cpu_per_call: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// This process's peak RSS during the point (see `measure::reset_peak_rss`).
    pub peak_rss_bytes: u64,
    /// Calls one core of browser CPU completes per second: `1 / browser_cpu_per_call`.
    pub calls_per_core_second: Option<f64>,
}

impl BenchPoint {
    /// The budget as a percentage label: `0%`, `2.5%`, `100%`.
    pub fn budget_label(&self) -> String {
        percent_label(self.budget_fraction)
    }
}

/// `0.025` → `2.5%`.
pub fn percent_label(fraction: f64) -> String {
    let p = fraction * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{}%", format!("{p:.3}").trim_end_matches('0'))
    }
}

/// The application a sweep ran against.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppSummary {
    pub spec: AppSpec,
    pub resources: PerType<u64>,
    /// Bytes per type: the budget at which everything fits.
    pub bytes: PerType<u64>,
}

/// A whole sweep: what ran and what it measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// The call driver (`fetch`: the cache-level benchmark).
    pub driver: String,
    pub app: AppSummary,
    pub options: SweepOptions,
    pub points: Vec<BenchPoint>,
}

/// Where [`BenchReport::write_files`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub json: PathBuf,
    pub csv: PathBuf,
    pub svg: PathBuf,
}

/// The CSV header, in column order.
pub const CSV_COLUMNS: &[&str] = &[
    "budget_percent",
    "budget_bytes",
    "calls",
    "errors",
    "wall_s",
    "fetches",
    "hit_rate",
    "hit_rate_document",
    "hit_rate_context",
    "hit_rate_script",
    "hit_rate_data",
    "hit_rate_audio",
    "hit_rate_grammar",
    "origin_requests",
    "origin_bytes",
    "origin_304",
    "browser_cpu_s",
    "origin_cpu_s",
    "browser_cpu_s_per_call",
    "origin_cpu_s_per_call",
    "latency_p50_ms",
    "latency_p99_ms",
    "peak_rss_bytes",
    "calls_per_core_s",
    "fetch_errors",
];

impl BenchReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // Every field is a number, string, option or map of them: this
        // cannot fail, but an error is still not a panic.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// One CSV line per point, after the header.
    pub fn to_csv(&self) -> String {
        let mut out = CSV_COLUMNS.join(",");
        out.push('\n');
        for p in &self.points {
            let opt = |v: Option<f64>| v.map_or(String::new(), number);
            let mut fields = vec![
                number(p.budget_fraction * 100.0),
                p.budget_bytes
                    .iter()
                    .map(|(_, b)| b)
                    .sum::<u64>()
                    .to_string(),
                p.calls.to_string(),
                p.errors.to_string(),
                number(p.wall_seconds),
                p.fetches.to_string(),
                opt(p.hit_rate),
            ];
            fields.extend(ResourceType::ALL.map(|t| opt(p.hit_rate_by_type[t])));
            fields.extend([
                p.origin_requests.to_string(),
                p.origin_bytes.to_string(),
                p.origin_not_modified.to_string(),
                number(p.browser_cpu_seconds),
                number(p.origin_cpu_seconds),
                opt(p.browser_cpu_per_call),
                opt(p.origin_cpu_per_call),
                opt(p.latency_p50_ms),
                opt(p.latency_p99_ms),
                p.peak_rss_bytes.to_string(),
                opt(p.calls_per_core_second),
                p.fetch_errors.to_string(),
            ]);
            debug_assert_eq!(fields.len(), CSV_COLUMNS.len());
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    }

    /// The plot of hit rate and CPU per call against the budget.
    pub fn to_svg(&self) -> String {
        let title = format!(
            "vxb bench ({} driver): {} concurrent calls, Zipf s = {}",
            self.driver, self.options.concurrency, self.app.spec.zipf_s
        );
        plot::svg(&self.points, &title)
    }

    /// The table shown on the terminal.
    pub fn table(&self) -> String {
        table(&self.points)
    }

    /// Writes `bench.json`, `bench.csv` and `bench.svg` into `dir`
    /// (created if needed).
    pub fn write_files(&self, dir: &Path) -> Result<Written, BenchError> {
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir, e))?;
        let written = Written {
            json: dir.join("bench.json"),
            csv: dir.join("bench.csv"),
            svg: dir.join("bench.svg"),
        };
        for (path, text) in [
            (&written.json, self.to_json()),
            (&written.csv, self.to_csv()),
            (&written.svg, self.to_svg()),
        ] {
            std::fs::write(path, text).map_err(|e| BenchError::io(path, e))?;
        }
        Ok(written)
    }
}

/// A CSV number: rounded to the nanosecond (or a billionth), so float
/// noise (`1.8712330000000001`) does not reach the file.
fn number(v: f64) -> String {
    format!("{}", (v * 1e9).round() / 1e9)
}

/// A fixed-width table, one row per point.
pub fn table(points: &[BenchPoint]) -> String {
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}", v * 100.0));
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.3}", v * 1000.0));
    let fixed = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    let mut out = format!(
        "{:>7} {:>7} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8} {:>9} {:>8} {:>10} {:>10} {:>8} {:>8} {:>8}\n",
        "budget",
        "calls",
        "err",
        "f.err",
        "hit%",
        "doc%",
        "ctx%",
        "scr%",
        "data%",
        "audio%",
        "orig.req",
        "orig.MB",
        "orig.304",
        "cpu ms/c",
        "orig ms/c",
        "p50 ms",
        "p99 ms",
        "peak MB",
    );
    for p in points {
        let t = |rtype| pct(p.hit_rate_by_type[rtype]);
        let _ = writeln!(
            out,
            "{:>7} {:>7} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8} {:>9.2} {:>8} {:>10} {:>10} {:>8} {:>8} {:>8.1}",
            p.budget_label(),
            p.calls,
            p.errors,
            p.fetch_errors,
            pct(p.hit_rate),
            t(ResourceType::Document),
            t(ResourceType::Context),
            t(ResourceType::Script),
            t(ResourceType::Data),
            t(ResourceType::Audio),
            p.origin_requests,
            p.origin_bytes as f64 / 1e6,
            p.origin_not_modified,
            ms(p.browser_cpu_per_call),
            ms(p.origin_cpu_per_call),
            fixed(p.latency_p50_ms),
            fixed(p.latency_p99_ms),
            p.peak_rss_bytes as f64 / 1e6,
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A point with plausible figures, for output tests.
    pub(crate) fn point(fraction: f64, hit: Option<f64>, cpu: Option<f64>) -> BenchPoint {
        BenchPoint {
            budget_fraction: fraction,
            budget_bytes: PerType::from_fn(|t| if t == ResourceType::Audio { 1000 } else { 10 }),
            calls: 40,
            errors: 1,
            first_error: None,
            wall_seconds: 2.0,
            fetches: 900,
            fetch_errors: 2,
            first_fetch_error: Some("http://h/a.wav: timed out".into()),
            hit_rate: hit,
            hit_rate_by_type: PerType::from_fn(|t| (t != ResourceType::Grammar).then_some(0.5)),
            origin_requests: 450,
            origin_bytes: 2_500_000,
            origin_not_modified: 3,
            browser_cpu_seconds: 0.4,
            origin_cpu_seconds: 0.2,
            browser_cpu_per_call: cpu,
            origin_cpu_per_call: Some(0.005),
            latency_p50_ms: Some(12.5),
            latency_p99_ms: Some(40.0),
            peak_rss_bytes: 50_000_000,
            calls_per_core_second: cpu.map(|c| 1.0 / c),
        }
    }

    #[test]
    fn percent_labels() {
        assert_eq!(percent_label(0.0), "0%");
        assert_eq!(percent_label(0.01), "1%");
        assert_eq!(percent_label(0.025), "2.5%");
        assert_eq!(percent_label(1.0), "100%");
        assert_eq!(percent_label(0.001), "0.1%");
    }

    #[test]
    fn csv_rows_line_up_with_the_header() {
        let points = vec![point(0.0, Some(0.0), Some(0.01)), point(1.0, None, None)];
        let csv = csv_of(&points);
        let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], CSV_COLUMNS);
        for row in &rows[1..] {
            assert_eq!(row.len(), CSV_COLUMNS.len());
        }
        let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).expect("column");
        assert_eq!(rows[1][col("budget_percent")], "0");
        assert_eq!(rows[2][col("budget_percent")], "100");
        assert_eq!(rows[1][col("budget_bytes")], "1050");
        assert_eq!(rows[1][col("hit_rate_audio")], "0.5");
        assert_eq!(rows[1][col("hit_rate_grammar")], "", "no grammar fetches");
        assert_eq!(rows[2][col("hit_rate")], "", "no rate is an empty field");
        assert_eq!(rows[1][col("browser_cpu_s_per_call")], "0.01");
        assert_eq!(rows[1][col("calls_per_core_s")], "100");
        assert_eq!(rows[1][col("fetch_errors")], "2");
        assert_eq!(number(1.871_233_000_000_000_1), "1.871233");
        assert_eq!(number(0.000_012_5), "0.0000125");
    }

    fn csv_of(points: &[BenchPoint]) -> String {
        let report = BenchReport {
            driver: "fetch".into(),
            app: AppSummary {
                spec: AppSpec::default(),
                resources: PerType::default(),
                bytes: PerType::default(),
            },
            options: SweepOptions::default(),
            points: points.to_vec(),
        };
        report.to_csv()
    }

    #[test]
    fn table_has_a_row_per_point() {
        let t = table(&[
            point(0.0, Some(0.0), Some(0.0123)),
            point(0.5, Some(0.8), None),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("hit%") && lines[0].contains("p99 ms"));
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        let row: Vec<&str> = lines[1].split_whitespace().collect();
        let at = header.iter().position(|h| *h == "f.err").expect("f.err");
        assert_eq!(row[at], "2", "{}", lines[1]);
        assert!(lines[1].trim_start().starts_with("0%"), "{}", lines[1]);
        assert!(lines[1].contains("12.300"), "cpu ms per call: {}", lines[1]);
        assert!(lines[2].contains("80.0"), "{}", lines[2]);
        assert!(
            lines[2].contains(" - "),
            "missing figures are dashes: {}",
            lines[2]
        );
    }
}
