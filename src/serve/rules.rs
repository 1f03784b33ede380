//! The rules file of `vxb serve --rules`: response headers and behaviours by
//! path pattern, so a test or sample can give each resource the caching
//! headers it needs.
//!
//! ```toml
//! [[rule]]
//! path = "/audio/*.wav"                         # glob on the decoded request path
//! headers = { "Cache-Control" = "max-age=10" }  # set (replacing) response headers
//! etag = false                                  # drop the default ETag
//! last_modified = false                         # drop the default Last-Modified
//! status = 503                                  # answer with this status
//! delay = "2s"                                  # wait before answering
//! expires = "3d"                                # Expires: this long after Date
//! ```
//!
//! **Every** matching rule applies, in file order; for the same header or
//! setting a later rule replaces an earlier one. So a broad rule first
//! (`path = "/**"`) and specific exceptions after it read naturally.
//!
//! Patterns: `*` matches within one path segment, `**` across segments, `?`
//! one character other than `/`; everything else is literal.
//!
//! Parsing is strict like the configuration file: unknown keys, bad header
//! names or values, out-of-range statuses and bad durations are errors naming
//! the file, line and key.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use http::StatusCode;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::config::{ConfigError, HumanDuration, parse_strict_toml};

/// The rules of one file, in order.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// One `[[rule]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    path: Glob,
    #[serde(default)]
    headers: HeaderList,
    etag: Option<bool>,
    last_modified: Option<bool>,
    status: Option<Status>,
    delay: Option<HumanDuration>,
    expires: Option<HumanDuration>,
}

/// What the matching rules, combined, ask of one response.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// Headers set on the response, replacing defaults of the same name.
    pub headers: HeaderMap,
    pub etag: bool,
    pub last_modified: bool,
    pub status: Option<StatusCode>,
    pub delay: Duration,
    /// `Expires` this long after the response's `Date` (read from the
    /// origin's clock, so it moves with virtual time).
    pub expires: Option<Duration>,
}

impl Default for Effect {
    fn default() -> Self {
        Effect {
            headers: HeaderMap::new(),
            etag: true,
            last_modified: true,
            status: None,
            delay: Duration::ZERO,
            expires: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    rule: Vec<Rule>,
}

impl Rules {
    /// Reads a rules file.
    pub fn load(path: &Path) -> Result<Rules, ConfigError> {
        Rules::parse(&crate::config::read_file(path)?, path)
    }

    /// Parses rules text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Rules, ConfigError> {
        let raw: RawRules = parse_strict_toml(text, path)?;
        Ok(Rules { rules: raw.rule })
    }

    /// The combined effect of every rule matching `path` (a decoded request
    /// path such as `/audio/a.wav`).
    pub fn effect(&self, path: &str) -> Effect {
        let mut effect = Effect::default();
        for rule in self.rules.iter().filter(|r| r.path.matches(path)) {
            for (name, value) in &rule.headers.0 {
                effect.headers.insert(name.clone(), value.clone());
            }
            effect.etag = rule.etag.unwrap_or(effect.etag);
            effect.last_modified = rule.last_modified.unwrap_or(effect.last_modified);
            effect.status = rule.status.map(|s| s.0).or(effect.status);
            effect.delay = rule.delay.map_or(effect.delay, |d| d.0);
            effect.expires = rule.expires.map(|d| d.0).or(effect.expires);
        }
        effect
    }
}

/// A compiled path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Glob {
    tokens: Vec<Token>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`
    One,
    /// `*`
    Segment,
    /// `**`
    Any,
}

impl Glob {
    fn parse(pattern: &str) -> Result<Glob, String> {
        if !pattern.starts_with('/') {
            return Err(format!("path pattern `{pattern}` must start with `/`"));
        }
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '?' => Token::One,
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    Token::Any
                }
                '*' => Token::Segment,
                c => Token::Literal(c),
            });
        }
        Ok(Glob { tokens })
    }

    fn matches(&self, path: &str) -> bool {
        let path: Vec<char> = path.chars().collect();
        matches_from(&self.tokens, &path)
    }
}

/// Backtracking match. Patterns come from the operator's rules file and are
/// short, so the worst case of nested stars does not matter in practice.
fn matches_from(tokens: &[Token], path: &[char]) -> bool {
    match tokens.split_first() {
        None => path.is_empty(),
        Some((Token::Literal(c), rest)) => {
            path.first() == Some(c) && matches_from(rest, &path[1..])
        }
        Some((Token::One, rest)) => {
            path.first().is_some_and(|&c| c != '/') && matches_from(rest, &path[1..])
        }
        Some((star @ (Token::Segment | Token::Any), rest)) => {
            // Try every length the star could take, shortest first.
            for taken in 0..=path.len() {
                if matches_from(rest, &path[taken..]) {
                    return true;
                }
                if *star == Token::Segment && path.get(taken) == Some(&'/') {
                    return false;
                }
            }
            false
        }
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Glob::parse(&s).map_err(de::Error::custom)
    }
}

/// A response status from the rules file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Status(StatusCode);

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u16::deserialize(d)?;
        match StatusCode::from_u16(n) {
            Ok(s) if (200..600).contains(&n) => Ok(Status(s)),
            _ => Err(de::Error::custom(format!(
                "{n} is not a final HTTP status (200 to 599)"
            ))),
        }
    }
}

/// `headers = { Name = "value", … }`, in file order, validated.
#[derive(Clone, Debug, Default, PartialEq)]
struct HeaderList(Vec<(HeaderName, HeaderValue)>);

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of header names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderList, A::Error> {
                let mut list = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        de::Error::custom(format!("`{name}` is not a valid header name"))
                    })?;
                    let value = HeaderValue::from_str(&value).map_err(|_| {
                        de::Error::custom(format!(
                            "the value of `{name}` is not a valid header value"
                        ))
                    })?;
                    list.push((header, value));
                }
                Ok(HeaderList(list))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Rules, ConfigError> {
        Rules::parse(s, Path::new("rules.toml"))
    }

    fn glob(p: &str) -> Glob {
        Glob::parse(p).expect("test glob parses")
    }

    #[test]
    fn globs() {
        assert!(glob("/audio/*.wav").matches("/audio/a.wav"));
        assert!(glob("/audio/*.wav").matches("/audio/.wav"));
        assert!(!glob("/audio/*.wav").matches("/audio/x/a.wav"));
        assert!(!glob("/audio/*.wav").matches("/audio/a.wav.txt"));
        assert!(glob("/**.wav").matches("/audio/x/a.wav"));
        assert!(glob("/**").matches("/"));
        assert!(glob("/app/**/end.vxml").matches("/app/a/b/end.vxml"));
        assert!(glob("/a?.vxml").matches("/ab.vxml"));
        assert!(!glob("/a?.vxml").matches("/a/.vxml"));
        assert!(glob("/exact.vxml").matches("/exact.vxml"));
        assert!(!glob("/exact.vxml").matches("/exact.vxmlx"));
        assert!(Glob::parse("audio/*.wav").is_err());
    }

    #[test]
    fn every_matching_rule_applies_and_later_ones_win() {
        let rules = parse(
            r#"
[[rule]]
path = "/**"
headers = { "Cache-Control" = "max-age=60", "X-Origin" = "vxb" }

[[rule]]
path = "/audio/*.wav"
headers = { "cache-control" = "max-age=10" }
etag = false
delay = "250ms"

[[rule]]
path = "/down.vxml"
status = 503
last_modified = false
"#,
        )
        .expect("rules parse");
        let wav = rules.effect("/audio/a.wav");
        assert_eq!(
            wav.headers.get("cache-control").map(|v| v.as_bytes()),
            Some(&b"max-age=10"[..])
        );
        assert_eq!(
            wav.headers.get("x-origin").map(|v| v.as_bytes()),
            Some(&b"vxb"[..])
        );
        assert!(!wav.etag);
        assert!(wav.last_modified);
        assert_eq!(wav.delay, Duration::from_millis(250));
        assert_eq!(wav.status, None);

        let down = rules.effect("/down.vxml");
        assert_eq!(down.status, Some(StatusCode::SERVICE_UNAVAILABLE));
        assert!(down.etag);
        assert!(!down.last_modified);
        assert_eq!(
            down.headers.get("cache-control").map(|v| v.as_bytes()),
            Some(&b"max-age=60"[..])
        );

        assert_eq!(parse("").expect("empty").effect("/x"), Effect::default());
    }

    fn error_text(s: &str) -> String {
        parse(s).expect_err("rules should be refused").to_string()
    }

    #[test]
    fn unknown_keys_and_bad_values_name_file_line_and_key() {
        let e = error_text("[[rule]]\npath = \"/a\"\netags = false\n");
        assert!(e.starts_with("rules.toml:3:"), "{e}");
        assert!(e.contains("etags"), "{e}");

        let e = error_text("[[rules]]\npath = \"/a\"\n");
        assert!(e.starts_with("rules.toml:1:"), "{e}");

        let e = error_text("[[rule]]\npath = \"/a\"\nstatus = 99\n");
        assert!(e.starts_with("rules.toml:3:"), "{e}");
        assert!(e.contains("rule[0].status"), "{e}");

        let e = error_text("[[rule]]\npath = \"/a\"\ndelay = \"soon\"\n");
        assert!(e.contains("rule[0].delay"), "{e}");
        assert!(e.contains("bad duration"), "{e}");

        let e = error_text("[[rule]]\npath = \"a\"\n");
        assert!(e.contains("must start with `/`"), "{e}");

        let e = error_text("[[rule]]\npath = \"/a\"\nheaders = { \"Bad Name\" = \"x\" }\n");
        assert!(e.starts_with("rules.toml:3:"), "{e}");
        assert!(e.contains("not a valid header name"), "{e}");

        let e = error_text("[[rule]]\nheaders = {}\n");
        assert!(e.contains("path"), "missing path is named: {e}");
    }
}
