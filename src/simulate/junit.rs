//! The simulation report as JUnit XML (`--junit FILE`), the format CI
//! servers (Jenkins, GitLab, GitHub actions) show test results from: one
//! `<testsuite>` per scenario, one `<testcase>` per call step, a `<failure>`
//! for a call whose expectations did not all hold, and the call's summary
//! (end, fetch decisions, what was heard) in `<system-out>`.
//!
//! Written by hand rather than with an XML crate: the format is five
//! elements, and the one thing to get right — escaping text that comes from
//! prompts, URLs and error messages — is [`escape_attr`] and [`escape_text`],
//! tested on their own.

use std::fmt::Write as _;
use std::path::Path;

use super::expect::Outcome;
use super::report::{CallOutcome, SimulationReport, call_summary, failure_text};

/// The report as a JUnit XML document.
pub fn to_junit(report: &SimulationReport) -> String {
    let suite = Path::new(&report.scenario).file_name().map_or_else(
        || report.scenario.clone(),
        |n| n.to_string_lossy().into_owned(),
    );
    let calls: Vec<&CallOutcome> = report.calls().collect();
    let seconds: f64 = calls.iter().map(|c| c.report.elapsed.as_secs_f64()).sum();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{seconds:.3}\">",
        calls.len(),
        report.failed(),
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{seconds:.3}\">",
        escape_attr(&suite),
        calls.len(),
        report.failed(),
    );
    for c in calls {
        testcase(&mut out, &report.scenario, c);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn testcase(out: &mut String, scenario: &str, c: &CallOutcome) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\">",
        escape_attr(&format!("step {}: {}", c.step, c.url)),
        escape_attr(scenario),
        c.report.elapsed.as_secs_f64(),
    );
    let failures: Vec<_> = c.failures().collect();
    if let Some(first) = failures.first() {
        let message = match &first.outcome {
            Outcome::Failed { message, .. } => format!("expected {}: {message}", first.expectation),
            Outcome::Passed { .. } => String::new(),
        };
        let message = match failures.len() {
            1 => message,
            n => format!("{message} (and {} more)", n - 1),
        };
        let body: String = failures.iter().map(|f| failure_text(f)).collect();
        let _ = writeln!(
            out,
            "      <failure type=\"expectation\" message=\"{}\">{}</failure>",
            escape_attr(&message),
            escape_text(&body),
        );
    }
    let _ = writeln!(
        out,
        "      <system-out>{}</system-out>",
        escape_text(&call_summary(c))
    );
    out.push_str("    </testcase>\n");
}

/// Escapes `s` for an XML attribute value (in double or single quotes):
/// the five special characters, and tabs and line breaks as character
/// references, so attribute-value normalization cannot turn them into spaces.
pub fn escape_attr(s: &str) -> String {
    crate::vxml::xml::escape(s, true)
}

/// Escapes `s` for XML character data: as [`escape_attr`], but tabs and
/// line feeds stay as they are, so multi-line text stays readable.
pub fn escape_text(s: &str) -> String {
    crate::vxml::xml::escape(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(
            escape_text(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;"
        );
        assert_eq!(escape_attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(escape_text("a\tb\nc\rd"), "a\tb\nc&#13;d");
        assert_eq!(escape_text("bell\u{7}nul\u{0}"), "bell\\u{7}nul\\u{0}");
        assert_eq!(escape_attr("\u{FFFF}"), "\\u{ffff}");
        assert_eq!(escape_text("café ]]> ✓"), "café ]]&gt; ✓");
    }

    #[test]
    fn escaped_text_round_trips_through_an_xml_parser() {
        let nasty = "x < y && \"q\" 'a' ]]> \n\ttab\r\n é 😀";
        let doc = format!("<r a=\"{}\">{}</r>", escape_attr(nasty), escape_text(nasty));
        let parsed = roxmltree::Document::parse(&doc).expect("well-formed");
        let root = parsed.root_element();
        assert_eq!(root.attribute("a"), Some(nasty));
        assert_eq!(root.text(), Some(nasty));
    }
}
