//! Errors in an author's text, shown the way rustc shows them: the message,
//! `file:line:column`, the source line with a caret under the fault, and a
//! "did you mean" when a name is a near miss of a known one.
//!
//! Every module that refuses a text (the VoiceXML parser, scripts, grammars,
//! `vxb lint`) builds a [`Diagnostic`] and renders it here, so all of vxb's
//! messages about a document look alike. Rendering is `codespan-reporting`'s;
//! only the one line in question is kept, so a diagnostic is small to carry
//! and never holds a whole document.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Chars, Config};

/// One error in an author's text, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, for a person (one line).
    pub message: String,
    /// The VoiceXML event the error throws, shown as the error's code
    /// (`error[error.badfetch]`), when it throws one.
    pub event: Option<String>,
    /// The file name or URL of the text.
    pub origin: String,
    /// 1-based line of the fault.
    pub line: u32,
    /// 1-based column of the fault, in characters.
    pub column: u32,
    /// The whole source line, when known; without it only the location is
    /// shown.
    pub source_line: Option<String>,
    /// How many characters the caret covers (at least one).
    pub width: usize,
    /// A short label under the caret.
    pub label: Option<String>,
    /// `help:` lines, such as "did you mean `<prompt>`?".
    pub help: Vec<String>,
}

impl Diagnostic {
    /// An error at `origin:line:column`, with no source line yet.
    pub fn new(
        message: impl Into<String>,
        origin: impl Into<String>,
        line: u32,
        column: u32,
    ) -> Self {
        Diagnostic {
            message: message.into(),
            event: None,
            origin: origin.into(),
            line: line.max(1),
            column: column.max(1),
            source_line: None,
            width: 1,
            label: None,
            help: Vec::new(),
        }
    }

    /// The same diagnostic showing `line` (the text of line [`Self::line`])
    /// with a caret of `width` characters.
    pub fn with_source_line(mut self, line: &str, width: usize) -> Self {
        self.source_line = Some(line.trim_end_matches(['\r', '\n']).to_string());
        self.width = width.max(1);
        self
    }

    /// The same diagnostic, naming the event it throws.
    pub fn with_event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// The same diagnostic with a label under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The same diagnostic with one more `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// `origin:line:column`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.origin, self.line, self.column)
    }

    /// The rustc-like text, several lines, ending in a newline. Plain text:
    /// it goes into reports and logs as well as to terminals.
    pub fn render(&self) -> String {
        let Some(text) = &self.source_line else {
            return self.render_without_source();
        };
        let file = OneLine {
            name: &self.origin,
            line: self.line,
            text,
        };
        let range = char_range(text, self.column, self.width);
        let mut label = Label::primary((), range);
        if let Some(l) = &self.label {
            label = label.with_message(l);
        }
        let mut report = Report::error()
            .with_message(&self.message)
            .with_labels(vec![label])
            .with_notes(self.help.iter().map(|h| format!("help: {h}")).collect());
        if let Some(event) = &self.event {
            report = report.with_code(event);
        }
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut out = String::new();
        if term::emit_to_string(&mut out, &config, &file, &report).is_err() {
            return self.render_without_source();
        }
        out
    }

    fn render_without_source(&self) -> String {
        let mut out = match &self.event {
            Some(event) => format!("error[{event}]: {}\n", self.message),
            None => format!("error: {}\n", self.message),
        };
        out.push_str(&format!("  --> {}\n", self.location()));
        for h in &self.help {
            out.push_str(&format!("  = help: {h}\n"));
        }
        out
    }
}

impl std::fmt::Display for Diagnostic {
    /// One line: `origin:line:column: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

/// The byte range of `width` characters from the 1-based character
/// `column` of `text`, clamped to the line (an empty range at its end when
/// the fault is past the last character).
fn char_range(text: &str, column: u32, width: usize) -> Range<usize> {
    let skip = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    let byte_at = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    let start = byte_at(skip);
    let end = byte_at(skip.saturating_add(width));
    start..end.max(start)
}

/// The closest of `candidates` to `word`, when it is close enough to be a
/// typo of it (a Jaro-Winkler similarity of 0.8 or more), and none when
/// `word` is itself one of them: the "did you mean" of a diagnostic.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        if c == word {
            // A known name is no typo.
            return None;
        }
        let score = strsim::jaro_winkler(word, c);
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// A "file" of one line that knows its line number, so a diagnostic keeps
/// only the line it shows.
struct OneLine<'a> {
    name: &'a str,
    line: u32,
    text: &'a str,
}

impl<'a> Files<'a> for OneLine<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.text)
    }

    fn line_index(&'a self, (): (), _byte_index: usize) -> Result<usize, FilesError> {
        Ok(0)
    }

    fn line_number(&'a self, (): (), _line_index: usize) -> Result<usize, FilesError> {
        Ok(usize::try_from(self.line).unwrap_or(usize::MAX))
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, FilesError> {
        if line_index == 0 {
            Ok(0..self.text.len())
        } else {
            Err(FilesError::LineTooLarge {
                given: line_index,
                max: 0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_with_the_line_its_number_and_a_caret() {
        let d = Diagnostic::new("<promt> is not a VoiceXML element", "app.vxml", 12, 5)
            .with_source_line("    <promt>Hello</promt>\n", 6)
            .with_event("error.badfetch")
            .with_help("did you mean `<prompt>`?");
        assert_eq!(
            d.render(),
            "error[error.badfetch]: <promt> is not a VoiceXML element\n   \
             --> app.vxml:12:5\n   \
             |\n\
             12 |     <promt>Hello</promt>\n   \
             |     ^^^^^^\n   \
             |\n   \
             = help: did you mean `<prompt>`?\n\n"
        );
        assert_eq!(
            d.to_string(),
            "app.vxml:12:5: <promt> is not a VoiceXML element"
        );
    }

    #[test]
    fn columns_count_characters_and_a_fault_past_the_end_is_at_the_end() {
        assert_eq!(char_range("é<x>", 2, 3), 2..5);
        assert_eq!(char_range("abc", 9, 1), 3..3);
    }

    #[test]
    fn without_the_source_line_the_location_is_still_shown() {
        let d = Diagnostic::new("no dialog `b`", "https://h/app.vxml", 3, 7)
            .with_help("did you mean `a`?");
        assert_eq!(
            d.render(),
            "error: no dialog `b`\n  --> https://h/app.vxml:3:7\n  = help: did you mean `a`?\n"
        );
    }

    #[test]
    fn near_misses_are_suggested_and_strangers_are_not() {
        let known = ["prompt", "property", "param", "form"];
        assert_eq!(did_you_mean("promt", known), Some("prompt"));
        assert_eq!(did_you_mean("frm", known), Some("form"));
        assert_eq!(did_you_mean("zebra", known), None);
        assert_eq!(did_you_mean("prompt", known), None);
    }
}
