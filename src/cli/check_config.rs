//! `vxb check-config`: the effective configuration written back as TOML —
//! every key, defaults filled in, durations as `"24h"` — so it can be pasted
//! into a file and parsed into the same configuration. A value that differs
//! from the default says so in a comment, with the default.

use std::fmt::Write as _;
use std::time::Duration;

use crate::config::{Config, TypeCacheConfig};
use crate::resource::ResourceType;

/// The configuration as a TOML document.
pub fn to_toml(c: &Config) -> String {
    let d = Config::default();
    let mut out = String::from(
        "# The effective vxb configuration: every key, defaults filled in.\n\
         # A value that differs from the default has a comment naming the default.\n",
    );
    key(&mut out, "strict", c.strict, d.strict);
    section(&mut out, "fetch");
    key(
        &mut out,
        "timeout",
        duration(c.fetch.timeout),
        duration(d.fetch.timeout),
    );
    key(
        &mut out,
        "max_redirects",
        c.fetch.max_redirects,
        d.fetch.max_redirects,
    );
    key(
        &mut out,
        "max_body_bytes",
        c.fetch.max_body_bytes,
        d.fetch.max_body_bytes,
    );
    match &c.fetch.file_root {
        Some(root) => key(
            &mut out,
            "file_root",
            string(&root.display().to_string()),
            "unset: the start document's directory".to_string(),
        ),
        None => out.push_str("# file_root: unset (the start document's directory)\n"),
    }

    section(&mut out, "cache");
    key(
        &mut out,
        "no_cache",
        name(c.cache.no_cache),
        name(d.cache.no_cache),
    );
    key(
        &mut out,
        "must_revalidate",
        name(c.cache.must_revalidate),
        name(d.cache.must_revalidate),
    );
    key(
        &mut out,
        "maxage",
        name(c.cache.maxage),
        name(d.cache.maxage),
    );
    key(
        &mut out,
        "stale_if_error",
        duration(c.cache.stale_if_error),
        duration(d.cache.stale_if_error),
    );
    let fields = |names: &[http::HeaderName]| {
        let quoted: Vec<String> = names.iter().map(|n| string(n.as_str())).collect();
        format!("[{}]", quoted.join(", "))
    };
    key(
        &mut out,
        "targeted_cache_control",
        fields(&c.cache.targeted),
        fields(&d.cache.targeted),
    );
    for t in ResourceType::ALL {
        section(&mut out, &format!("cache.{}", t.as_str()));
        type_cache(&mut out, &c.cache.types[t], &d.cache.types[t]);
    }

    section(&mut out, "preload");
    for (name, url) in &c.preload {
        let _ = writeln!(out, "{} = {}", bare_or_quoted(name), string(url));
    }

    section(&mut out, "cookies");
    key(
        &mut out,
        "scope",
        name(c.cookies.scope),
        name(d.cookies.scope),
    );
    let remove: Vec<String> = c.cookies.remove.iter().map(|r| string(r)).collect();
    key(
        &mut out,
        "remove",
        format!("[{}]", remove.join(", ")),
        "[]".to_string(),
    );

    section(&mut out, "limits");
    let (l, dl) = (&c.limits, &d.limits);
    key(
        &mut out,
        "max_document_transitions",
        l.max_document_transitions,
        dl.max_document_transitions,
    );
    key(
        &mut out,
        "max_steps_without_input",
        l.max_steps_without_input,
        dl.max_steps_without_input,
    );
    key(
        &mut out,
        "script_loop_iterations",
        l.script_loop_iterations,
        dl.script_loop_iterations,
    );
    key(
        &mut out,
        "script_recursion",
        l.script_recursion,
        dl.script_recursion,
    );
    section(&mut out, "simulate");
    key(
        &mut out,
        "share_cache",
        c.simulate.share_cache,
        d.simulate.share_cache,
    );
    out
}

fn type_cache(out: &mut String, t: &TypeCacheConfig, d: &TypeCacheConfig) {
    key(out, "max_bytes", t.max_bytes, d.max_bytes);
    key(out, "max_entry_bytes", t.max_entry_bytes, d.max_entry_bytes);
    key(
        out,
        "default_max_age",
        duration(t.default_max_age),
        duration(d.default_max_age),
    );
    key(
        out,
        "heuristic_fraction",
        float(t.heuristic_fraction),
        float(d.heuristic_fraction),
    );
    key(
        out,
        "max_heuristic_lifetime",
        duration(t.max_heuristic_lifetime),
        duration(d.max_heuristic_lifetime),
    );
}

fn section(out: &mut String, name: &str) {
    let _ = write!(out, "\n[{name}]\n");
}

/// `name = value`, with `# default: …` when the value is not the default.
fn key<T: ToString + PartialEq>(out: &mut String, name: &str, value: T, default: T) {
    let value_text = value.to_string();
    if value == default {
        let _ = writeln!(out, "{name} = {value_text}");
    } else {
        let _ = writeln!(
            out,
            "{name} = {value_text}  # default: {}",
            default.to_string()
        );
    }
}

/// A TOML string literal.
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A key as TOML writes it: bare when it can be, else quoted.
fn bare_or_quoted(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { k.to_string() } else { string(k) }
}

/// An enum value by its configuration name (`"no-store"`).
fn name<T: serde::Serialize>(v: T) -> String {
    match toml::Value::try_from(v) {
        Ok(v) => v.to_string(),
        Err(_) => "\"?\"".to_string(),
    }
}

/// A float as TOML reads it back (always with a decimal point).
fn float(f: f64) -> String {
    toml::Value::Float(f).to_string()
}

/// A duration as the configuration writes it: `"24h"`, `"1m 30s"`,
/// `"250ms"`, `"0s"`.
pub fn duration(d: Duration) -> String {
    let mut parts = Vec::new();
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let ms = d.subsec_millis();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s"), (u64::from(ms), "ms")] {
        if n > 0 {
            parts.push(format!("{n}{unit}"));
        }
    }
    if parts.is_empty() {
        parts.push("0s".to_string());
    }
    string(&parts.join(" "))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn durations_are_written_as_people_write_them() {
        assert_eq!(duration(Duration::from_secs(86_400)), "\"24h\"");
        assert_eq!(duration(Duration::from_secs(90)), "\"1m 30s\"");
        assert_eq!(duration(Duration::from_millis(250)), "\"250ms\"");
        assert_eq!(duration(Duration::ZERO), "\"0s\"");
    }

    #[test]
    fn the_defaults_parse_back_into_the_defaults_with_no_comment() {
        let text = to_toml(&Config::default());
        assert!(!text.contains("# default:"), "{text}");
        assert!(text.contains("\n[cache.audio]\n"), "{text}");
        assert!(text.contains("timeout = \"7s\"\n"), "{text}");
        let back = Config::parse(&text, Path::new("back.toml")).expect("parses back");
        assert_eq!(back, Config::default());
    }

    #[test]
    fn a_changed_configuration_parses_back_the_same_and_marks_its_changes() {
        let written = "strict = true\n[fetch]\ntimeout = \"1m 30s\"\nfile_root = \"/srv/app\"\n\
                       [cache]\nno_cache = \"no-store\"\nheuristic_fraction = 0.25\n\
                       [cache.audio]\nmax_bytes = 1000\ndefault_max_age = \"24h\"\n\
                       [preload]\nmain = \"http://127.0.0.1:8080/index.vxml\"\n\"odd key\" = \"x.vxml\"\n\
                       [cookies]\nscope = \"shared\"\nremove = [\"sid\"]\n\
                       [limits]\nscript_recursion = 50\n[simulate]\nshare_cache = true\n";
        let c = Config::parse(written, Path::new("vxb.toml")).expect("valid");
        let text = to_toml(&c);
        assert_eq!(
            Config::parse(&text, Path::new("back.toml")).expect("parses back"),
            c,
            "{text}"
        );
        for line in [
            "strict = true  # default: false\n",
            "share_cache = true  # default: false\n",
            "timeout = \"1m 30s\"  # default: \"7s\"\n",
            "no_cache = \"no-store\"  # default: \"revalidate\"\n",
            "max_bytes = 1000  # default: ",
            "default_max_age = \"24h\"  # default: \"0s\"\n",
            "heuristic_fraction = 0.25  # default: 0.1\n",
            "\"odd key\" = \"x.vxml\"\n",
            "scope = \"shared\"  # default: \"per-call\"\n",
            "remove = [\"sid\"]  # default: []\n",
            "script_recursion = 50  # default: 400\n",
        ] {
            assert!(text.contains(line), "no `{line}` in:\n{text}");
        }
    }
}
