//! `vxb lint` through the real binary: each kind of problem at its file,
//! line and column, and every sample clean.

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/fixtures.rs"]
mod fixtures;

fn vxb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .output()
        .expect("vxb runs")
}

/// The 1-based line and column where `needle` first starts in `text`.
fn pos(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {text}"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

const INDEX: &str = r##"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1" application="root.vxml">
  <script src="bad.js"/>
  <form id="main">
    <block>
      <audio src="missing.wav"/>
      <assign name="undeclared" expr="1"/>
      <assign name="declared_in_root" expr="2"/>
      <goto next="#nowhere"/>
    </block>
  </form>
  <form id="second">
    <field name="f">
      <grammar src="bad.grxml"/>
      <filled><goto next="other.vxml#ask"/></filled>
    </field>
  </form>
  <form id="third">
    <var name="total" expr="price * * 2"/>
    <block cond="total &gt;"><submit next="broken.vxml"/></block>
    <block><if cond="total == 'a' || ok"><log expr="'fine, ' + total"/></if></block>
  </form>
</vxml>
"##;

const ROOT: &str = r#"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1">
  <var name="declared_in_root"/>
</vxml>
"#;

const OTHER: &str = r#"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1">
  <form id="ask"><block><prompt>Fine.</prompt></block></form>
</vxml>
"#;

const BROKEN: &str = r#"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1">
  <form><block></form>
</vxml>
"#;

const BAD_JS: &str = "var ok = 1;\nvar = 2;\n";

const BAD_GRAMMAR: &str = r#"<?xml version="1.0"?>
<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" root="missing" mode="voice">
  <rule id="r">yes</rule>
</grammar>
"#;

#[test]
fn lint_finds_each_kind_of_error_where_it_is() {
    let site = fixtures::site(&[
        ("index.vxml", INDEX),
        ("root.vxml", ROOT),
        ("other.vxml", OTHER),
        ("broken.vxml", BROKEN),
        ("bad.js", BAD_JS),
        ("bad.grxml", BAD_GRAMMAR),
    ]);
    let dir = std::fs::canonicalize(site.path()).expect("dir");
    let index = dir.join("index.vxml");
    let out = vxb(&["lint", index.to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}{err}");
    let lines: Vec<&str> = text.lines().collect();
    let at = |file: &str, (line, column): (usize, usize)| {
        format!("{}:{line}:{column}: error: ", dir.join(file).display())
    };
    let find = |prefix: &str, words: &str| {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(prefix) && l.contains(words)),
            "no `{prefix}…{words}` in\n{text}"
        );
    };
    find(
        &at("index.vxml", pos(INDEX, "missing.wav")),
        "cannot load audio",
    );
    find(
        &at("index.vxml", pos(INDEX, "undeclared")),
        "declared nowhere",
    );
    find(
        &at("index.vxml", pos(INDEX, "#nowhere")),
        "no dialog `nowhere`",
    );
    find(
        &format!("{}:2:", dir.join("bad.js").display()),
        "script syntax error",
    );
    find(&format!("{}:", dir.join("bad.grxml").display()), "grammar");
    find(&format!("{}:3:", dir.join("broken.vxml").display()), "");
    // Expressions are checked where they are written; good ones pass.
    let (line, column) = pos(INDEX, "price * * 2");
    find(
        &at("index.vxml", (line, column + "price * ".len())),
        "`expr` is not an expression",
    );
    find(
        &format!(
            "{}:{}:",
            dir.join("index.vxml").display(),
            pos(INDEX, "total &gt;").0
        ),
        "`cond` is not an expression",
    );
    assert_eq!(
        lines.len(),
        8,
        "nothing else: the root's variable, other.vxml#ask, the good expressions are fine\n{text}"
    );
    assert!(err.contains("8 errors"), "{err}");
}

#[test]
fn lint_passes_every_sample() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples");
    for name in ["hello", "pizza", "bank", "caching"] {
        let index = samples.join(name).join("index.vxml");
        let out = vxb(&["lint", index.to_str().expect("utf-8")]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
}

#[test]
fn lint_of_a_directory_is_bad_input() {
    let out = vxb(&["lint", "vxml-samples"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A page with a slip production browsers tolerate: clean by default,
/// a problem at its line under `--strict` or `strict = true`; a fetched
/// grammar with no `root` likewise.
#[test]
fn strict_lint_reports_each_tolerated_slip() {
    let page = r#"<?xml version="1.0"?>
<vxml xmlns="http://www.w3.org/2001/vxml" version="2.1">
  <form>
    <log>stray</log>
    <field name="f"><grammar src="noroot.grxml"/></field>
  </form>
</vxml>
"#;
    let grammar = r#"<?xml version="1.0"?>
<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" mode="voice">
  <rule id="r" scope="public">yes</rule>
</grammar>
"#;
    let site = fixtures::site(&[
        ("index.vxml", page),
        ("noroot.grxml", grammar),
        ("strict.toml", "strict = true\n"),
    ]);
    let dir = std::fs::canonicalize(site.path()).expect("dir");
    let index = dir.join("index.vxml");
    let index = index.to_str().expect("utf-8");
    let out = vxb(&["lint", index]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let config = dir.join("strict.toml");
    for args in [
        vec!["lint", "--strict", index],
        vec!["lint", "--config", config.to_str().expect("utf-8"), index],
    ] {
        let out = vxb(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{stdout}");
        assert!(
            lines.iter().any(|l| l.ends_with(
                "index.vxml:4:5: error: <log> directly inside <form>: the schema allows executable content only in <block>, <filled> and event handlers"
            )),
            "{stdout}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("noroot.grxml:2:1: error: <grammar> names no root rule")),
            "{stdout}"
        );
    }
}
