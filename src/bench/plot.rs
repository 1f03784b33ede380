//! The sweep's plot, as a small hand-written SVG: hit rate (left axis,
//! 0–100 %) and CPU per call, browser and origin (right axis, ms), against
//! the cache budget (x axis, one evenly spaced category per point, since
//! budgets such as 0, 1, 5, 25, 100 % suit neither a linear nor a log scale).
//!
//! Written by hand rather than with a plotting crate: it is three polylines,
//! two axes and a legend, and the build stays lean.

use std::fmt::Write as _;

use super::output::BenchPoint;

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 90.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 70.0;
const HIT_COLOUR: &str = "#1f77b4";
const CPU_COLOUR: &str = "#d62728";
const ORIGIN_COLOUR: &str = "#ff7f0e";
/// The right axis serves both CPU series.
const AXIS_COLOUR: &str = "#444444";

/// The SVG document for `points`, titled `title`.
pub fn svg(points: &[BenchPoint], title: &str) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bottom = TOP + plot_h;
    let n = points.len().max(1) as f64;
    let x = |i: usize| LEFT + (i as f64 + 0.5) * plot_w / n;
    let cpu_ms = |v: Option<f64>| v.map(|s| s * 1000.0);
    let cpu_max = nice_ceiling(
        points
            .iter()
            .flat_map(|p| {
                [
                    cpu_ms(p.browser_cpu_per_call),
                    cpu_ms(p.origin_cpu_per_call),
                ]
            })
            .flatten()
            .fold(0.0, f64::max),
    );
    let y_hit = |rate: f64| bottom - rate.clamp(0.0, 1.0) * plot_h;
    let y_cpu = |ms: f64| bottom - (ms / cpu_max).clamp(0.0, 1.0) * plot_h;

    let mut s = head(title);

    // Grid and left axis: hit rate every 20 %.
    for i in 0..=5 {
        let rate = f64::from(i) / 5.0;
        let y = y_hit(rate);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#e0e0e0"/>"##,
            LEFT + plot_w
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{HIT_COLOUR}">{}%</text>"#,
            LEFT - 8.0,
            y + 4.0,
            i * 20
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="start" fill="{AXIS_COLOUR}">{}</text>"#,
            LEFT + plot_w + 8.0,
            y + 4.0,
            tick_label(cpu_max * rate, cpu_max / 5.0)
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(24 {}) rotate(-90)" text-anchor="middle" fill="{HIT_COLOUR}">hit rate (served from cache)</text>"#,
        TOP + plot_h / 2.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate({} {}) rotate(90)" text-anchor="middle" fill="{AXIS_COLOUR}">CPU per call (ms)</text>"#,
        WIDTH - 24.0,
        TOP + plot_h / 2.0
    );

    // x axis: one category per budget.
    for (i, p) in points.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            x(i),
            bottom + 18.0,
            escape(&p.budget_label())
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">cache budget (share of the application's bytes, per type)</text>"#,
        LEFT + plot_w / 2.0,
        bottom + 44.0
    );

    series(&mut s, "hit rate", HIT_COLOUR, "", points, |i, p| {
        p.hit_rate.map(|r| (x(i), y_hit(r)))
    });
    series(
        &mut s,
        "browser CPU per call",
        CPU_COLOUR,
        "",
        points,
        |i, p| cpu_ms(p.browser_cpu_per_call).map(|ms| (x(i), y_cpu(ms))),
    );
    series(
        &mut s,
        "origin CPU per call",
        ORIGIN_COLOUR,
        "6 4",
        points,
        |i, p| cpu_ms(p.origin_cpu_per_call).map(|ms| (x(i), y_cpu(ms))),
    );

    // Legend, above the plot.
    let legend = [
        ("hit rate", HIT_COLOUR, ""),
        ("browser CPU per call", CPU_COLOUR, ""),
        ("origin CPU per call", ORIGIN_COLOUR, "6 4"),
    ];
    for (i, (name, colour, dash)) in legend.iter().enumerate() {
        let lx = LEFT + 10.0 + i as f64 * 200.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="48" x2="{}" y2="48" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
            lx + 24.0
        );
        let _ = writeln!(s, r#"<text x="{}" y="52">{name}</text>"#, lx + 30.0);
    }
    s.push_str("</svg>\n");
    s
}

/// One polyline with a marker per point; points without a value are left out.
fn series(
    s: &mut String,
    name: &str,
    colour: &str,
    dash: &str,
    points: &[BenchPoint],
    at: impl Fn(usize, &BenchPoint) -> Option<(f64, f64)>,
) {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| at(i, p))
        .collect();
    let coords: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = writeln!(
        s,
        r#"<polyline class="series" data-name="{name}" points="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
        coords.join(" ")
    );
    for (x, y) in xy {
        let _ = writeln!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"/>"#
        );
    }
}

/// A line plot of several series over a numeric x axis (the points' own x
/// values as categories, evenly spaced), y from 0: the fleet benchmark's
/// origin requests per call against browser processes, one line per tier.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> String {
    const COLOURS: [&str; 4] = [HIT_COLOUR, CPU_COLOUR, ORIGIN_COLOUR, AXIS_COLOUR];
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bottom = TOP + plot_h;
    let mut xs: Vec<f64> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(x, _)| x))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let n = xs.len().max(1) as f64;
    let x_of = |x: f64| {
        let i = xs.iter().position(|&v| v == x).unwrap_or(0);
        LEFT + (i as f64 + 0.5) * plot_w / n
    };
    let y_max = nice_ceiling(
        series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
            .fold(0.0, f64::max),
    );
    let y_of = |y: f64| bottom - (y / y_max).clamp(0.0, 1.0) * plot_h;
    let mut s = head(title);
    for i in 0..=5 {
        let v = y_max * f64::from(i) / 5.0;
        let y = y_of(v);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#e0e0e0"/>"##,
            LEFT + plot_w
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LEFT - 8.0,
            y + 4.0,
            tick_label(v, y_max / 5.0)
        );
    }
    for &x in &xs {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{x}</text>"#,
            x_of(x),
            bottom + 18.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        bottom + 40.0,
        escape(x_label)
    );
    let _ = writeln!(
        s,
        r#"<text x="20" y="{}" text-anchor="middle" transform="rotate(-90 20 {})">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(y_label)
    );
    for (k, (name, points)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let xy: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x_of(x), y_of(y))).collect();
        let attr: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            attr.join(" ")
        );
        for (x, y) in &xy {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"/>"#
            );
        }
        let ly = TOP - 20.0 + 16.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{ly}" fill="{colour}">{}</text>"#,
            LEFT + 10.0,
            escape(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The document's start: the `<svg>` element, a white page, the title.
fn head(title: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    s
}

/// The smallest 1, 2 or 5 × 10^k at or above `v` (1 for nothing to plot).
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|&c| c >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * magnitude)
}

/// An axis value with the decimals its tick `step` needs.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = if !step.is_finite() || step <= 0.0 || step >= 1.0 {
        0
    } else {
        // A step of 0.4 needs 1 decimal, 0.02 needs 2, 0.004 needs 3.
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::super::output::tests::point;
    use super::*;

    fn parse_points(attr: &str) -> Vec<(f64, f64)> {
        attr.split_whitespace()
            .map(|pair| {
                let (x, y) = pair.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn the_plot_is_well_formed_and_places_the_series() {
        let points = vec![
            point(0.0, Some(0.0), Some(0.004)),
            point(0.1, Some(0.5), Some(0.002)),
            point(1.0, Some(1.0), None),
        ];
        let text = svg(&points, "a <title> & more");
        let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
        let series: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .collect();
        assert_eq!(series.len(), 3);
        let hit = parse_points(series[0].attribute("points").expect("points"));
        assert_eq!(series[0].attribute("data-name"), Some("hit rate"));
        assert_eq!(hit.len(), 3);
        assert!(hit.windows(2).all(|w| w[0].0 < w[1].0), "x increases");
        // 0 % at the bottom of the plot, 100 % at the top.
        assert!((hit[0].1 - (HEIGHT - BOTTOM)).abs() < 0.1, "{hit:?}");
        assert!((hit[2].1 - TOP).abs() < 0.1, "{hit:?}");
        let cpu = parse_points(series[1].attribute("points").expect("points"));
        assert_eq!(cpu.len(), 2, "the point without CPU is left out");
        // 4 ms on an axis up to 5 ms.
        let expected = HEIGHT - BOTTOM - 0.8 * (HEIGHT - TOP - BOTTOM);
        assert!((cpu[0].1 - expected).abs() < 0.1, "{cpu:?}");
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains(&"a <title> & more"));
        assert!(texts.contains(&"10%") && texts.contains(&"100%"));
        assert!(svg(&[], "empty").contains("</svg>"));
    }

    #[test]
    fn nice_axis_ends() {
        assert_eq!(nice_ceiling(4.0), 5.0);
        assert_eq!(nice_ceiling(5.0), 5.0);
        assert_eq!(nice_ceiling(0.013), 0.02);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(tick_label(0.004, 0.004), "0.004");
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(2.0, 0.4), "2.0");
        assert_eq!(tick_label(8.0, 2.0), "8");
        assert_eq!(tick_label(0.0, 0.02), "0.00");
        assert_eq!(tick_label(40.0, 20.0), "40");
    }
}
