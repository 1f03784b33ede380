//! The simulation report as JUnit XML (`--junit FILE`), the format CI
//! servers (Jenkins, GitLab, GitHub Actions) show test results from: one
//! `<testsuite>` per scenario, one `<testcase>` per call step named by the
//! step's stable name (never the origin's port, so names match across
//! runs), a `<failure>` for a call whose expectations did not all hold, an
//! `<error>` for a call that could not start, and the call's transcript
//! (prompts, fetches, events, how it ended) in `<system-out>`. A step that
//! records the call (`record_audio`) carries the file as the test case's
//! `record_audio` property and as an `[[ATTACHMENT|FILE]]` line.
//!
//! Written by hand rather than with an XML crate: the format is a handful
//! of elements, and the one thing to get right — escaping text that comes
//! from prompts, URLs and error messages — is [`escape_attr`] and
//! [`escape_text`], tested on their own.

use std::fmt::Write as _;
use std::path::Path;

use super::expect::Outcome;
use super::report::{CallOutcome, SimulationReport, call_transcript, failure_text};

/// One scenario of a run, as JUnit shows it.
#[derive(Clone, Copy, Debug)]
pub enum Suite<'a> {
    /// The scenario ran: a test case per call step.
    Ran(&'a SimulationReport),
    /// The scenario could not run (it cannot be read, or its origin cannot
    /// start): one test case in error, so CI shows it rather than nothing.
    Broken { scenario: &'a str, error: &'a str },
}

/// The report of one scenario as a JUnit XML document.
pub fn to_junit(report: &SimulationReport) -> String {
    to_junit_suites(&[Suite::Ran(report)])
}

/// Several scenarios' reports as one JUnit XML document.
pub fn to_junit_suites(suites: &[Suite<'_>]) -> String {
    let mut body = String::new();
    let (mut tests, mut failures, mut errors, mut seconds) = (0, 0, 0, 0.0);
    for suite in suites {
        let (t, f, e, s) = match suite {
            Suite::Ran(report) => ran(&mut body, report),
            Suite::Broken { scenario, error } => broken(&mut body, scenario, error),
        };
        tests += t;
        failures += f;
        errors += e;
        seconds += s;
    }
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">",
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}

/// The suite's name: the scenario file's name.
fn suite_name(scenario: &str) -> String {
    Path::new(scenario).file_name().map_or_else(
        || scenario.to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Writes one scenario's suite; returns (tests, failures, errors, seconds).
fn ran(out: &mut String, report: &SimulationReport) -> (usize, usize, usize, f64) {
    let calls: Vec<&CallOutcome> = report.calls().collect();
    let seconds: f64 = calls.iter().map(|c| c.report.elapsed.as_secs_f64()).sum();
    let errors = report.errors();
    let failures = report.failed() - errors;
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{seconds:.3}\">",
        escape_attr(&suite_name(&report.scenario)),
        calls.len(),
    );
    for c in calls {
        testcase(out, &report.scenario, c);
    }
    out.push_str("  </testsuite>\n");
    (report.calls().count(), failures, errors, seconds)
}

fn broken(out: &mut String, scenario: &str, error: &str) -> (usize, usize, usize, f64) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">",
        escape_attr(&suite_name(scenario)),
    );
    let _ = writeln!(
        out,
        "    <testcase name=\"scenario\" classname=\"{}\" time=\"0.000\">",
        escape_attr(scenario)
    );
    let _ = writeln!(
        out,
        "      <error type=\"scenario\" message=\"{}\">{}</error>",
        escape_attr(error),
        escape_text(error)
    );
    out.push_str("    </testcase>\n  </testsuite>\n");
    (1, 0, 1, 0.0)
}

fn testcase(out: &mut String, scenario: &str, c: &CallOutcome) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\">",
        escape_attr(&c.name),
        escape_attr(scenario),
        c.report.elapsed.as_secs_f64(),
    );
    if let Some(path) = &c.record_audio {
        // A test case's properties (GitLab and Jenkins read them) come first.
        let _ = writeln!(
            out,
            "      <properties><property name=\"record_audio\" value=\"{}\"/></properties>",
            escape_attr(path)
        );
    }
    if let Some(cause) = &c.start_error {
        let message = format!("cannot start the call: {cause}");
        let _ = writeln!(
            out,
            "      <error type=\"start\" message=\"{}\">{}</error>",
            escape_attr(&message),
            escape_text(&message),
        );
    } else {
        let failures: Vec<_> = c.failures().collect();
        if let Some(first) = failures.first() {
            let message = match &first.outcome {
                Outcome::Failed { message, .. } => {
                    format!("expected {}: {message}", first.expectation)
                }
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
    }
    let mut transcript = call_transcript(c);
    if let Some(path) = &c.record_audio {
        // The attachment convention of GitLab and Jenkins' JUnit plugin.
        let _ = writeln!(transcript, "[[ATTACHMENT|{path}]]");
    }
    let _ = writeln!(
        out,
        "      <system-out>{}</system-out>",
        escape_text(&transcript)
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
