//! What the interpreter's end-to-end tests share: writing a site, serving
//! it, wrapping a document, reading a report.

use std::path::Path;

use vxb::call::CallReport;
use vxb::serve::{Origin, Rules, ServeOptions};

/// Writes `body` at `name` under `dir`, making directories as needed.
pub fn write(dir: &Path, name: &str, body: &[u8]) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, body).expect("write fixture");
}

/// Serves `dir` on 127.0.0.1 with the rules file text `rules`.
pub async fn origin(dir: &Path, rules: &str) -> Origin {
    let options = ServeOptions {
        rules: Rules::parse(rules, Path::new("rules.toml")).expect("rules"),
        ..ServeOptions::new(dir)
    };
    Origin::start(options).await.expect("origin")
}

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
