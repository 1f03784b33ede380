//! What the interpreter's end-to-end tests share besides `fixtures.rs`:
//! wrapping a document, reading a report.

use vxb::call::CallReport;

/// A VoiceXML 2.1 document around `body` (which starts on line 3).
pub fn vxml(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n{body}\n</vxml>\n"
    )
}

/// The messages of the call's `<log>`s.
pub fn logs(r: &CallReport) -> Vec<&str> {
    r.logs.iter().map(|l| l.message.as_str()).collect()
}
