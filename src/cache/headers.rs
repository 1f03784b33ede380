//! Parsing of the HTTP headers that drive caching: `Cache-Control`, `Pragma`,
//! `Expires`, `Date`, `Age`, `Last-Modified`, `ETag`, `Vary`, and the
//! `<meta http-equiv>` overrides of a VoiceXML document.
//!
//! Everything here is pure and total: a header that does not parse is never a
//! panic, it is interpreted the way RFC 9111 says a cache must interpret it
//! (an unparsable `Expires` is "already expired", an invalid `Age` is ignored,
//! an invalid `max-age` makes the response stale). The *decisions* made from
//! these values live in [`super::policy`].

use std::time::{Duration, SystemTime};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// The value a delta-seconds field takes when it is too large to represent
/// (RFC 9111 §1.2.2): 2^31 seconds, about 68 years.
pub const DELTA_SECONDS_OVERFLOW: u64 = 2_147_483_648;

/// The argument of one `Cache-Control` directive, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectiveArg {
    /// `no-store`: no `=`.
    Absent,
    /// `max-age=10` or `max-age="10"` (unquoted, escapes resolved).
    Present(String),
    /// Something after `=` that is neither a token nor a complete quoted
    /// string (`max-age="10`, `max-age=1 0`).
    Malformed,
}

/// One `Cache-Control` (or `Pragma`) directive: the name lower-cased (RFC 9111
/// §5.2: directive names are case-insensitive), the argument unquoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub arg: DirectiveArg,
}

/// Splits every line of a `Cache-Control`-style header into directives, in
/// order. Several header lines combine as one comma-separated list (RFC 9110
/// §5.3). Empty list elements (`a,,b`) are skipped; so is an element without a
/// name (`=5`).
pub fn directives<'a>(lines: impl IntoIterator<Item = &'a HeaderValue>) -> Vec<Directive> {
    let mut out = Vec::new();
    for line in lines {
        // Header values may carry obs-text; a lossy view keeps the ASCII
        // directives around a stray byte readable.
        let text = String::from_utf8_lossy(line.as_bytes());
        parse_directive_list(&text, &mut out);
    }
    out
}

fn parse_directive_list(text: &str, out: &mut Vec<Directive>) {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return;
        }
        let name_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let arg = if let Some(after_eq) = rest.strip_prefix('=') {
            let (arg, after) = parse_arg(after_eq.trim_start());
            rest = after;
            arg
        } else {
            DirectiveArg::Absent
        };
        // Anything between the directive and the next comma makes the
        // argument unusable (`max-age=1 0`).
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let arg = if trimmed.is_empty() || trimmed.starts_with(',') {
            arg
        } else {
            DirectiveArg::Malformed
        };
        rest = trimmed.find(',').map_or("", |i| &trimmed[i..]);
        if !name.is_empty() {
            out.push(Directive { name, arg });
        }
    }
}

/// Reads a token or a quoted-string; returns it and the text after it.
fn parse_arg(text: &str) -> (DirectiveArg, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text
            .find(|c: char| c == ',' || c.is_ascii_whitespace())
            .unwrap_or(text.len());
        let token = &text[..end];
        let arg = if token.is_empty() || token.contains('"') {
            DirectiveArg::Malformed
        } else {
            DirectiveArg::Present(token.to_string())
        };
        return (arg, &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (DirectiveArg::Present(value), &quoted[i + 1..]),
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            c => value.push(c),
        }
    }
    // No closing quote: the rest of the line belongs to this argument.
    (DirectiveArg::Malformed, "")
}

/// A delta-seconds argument (`max-age`, `Age`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaSeconds {
    Valid(Duration),
    /// Absent where required, not a non-negative integer, or given twice with
    /// different values.
    Invalid,
}

impl DeltaSeconds {
    /// The duration, or zero for an invalid value: RFC 9111 §4.2.1 asks a cache
    /// to treat invalid freshness information as "stale".
    pub fn or_zero(self) -> Duration {
        match self {
            DeltaSeconds::Valid(d) => d,
            DeltaSeconds::Invalid => Duration::ZERO,
        }
    }

    /// The duration, if valid.
    pub fn valid(self) -> Option<Duration> {
        match self {
            DeltaSeconds::Valid(d) => Some(d),
            DeltaSeconds::Invalid => None,
        }
    }
}

/// Parses `1*DIGIT` (RFC 9111 §1.2.2). Values too large to represent become
/// [`DELTA_SECONDS_OVERFLOW`]; anything else (a sign, a fraction, a letter) is
/// `None`.
pub fn parse_delta_seconds(text: &str) -> Option<Duration> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = text.parse::<u64>().unwrap_or(DELTA_SECONDS_OVERFLOW);
    Some(Duration::from_secs(secs))
}

fn delta_arg(arg: &DirectiveArg) -> DeltaSeconds {
    match arg {
        DirectiveArg::Present(v) => {
            parse_delta_seconds(v).map_or(DeltaSeconds::Invalid, DeltaSeconds::Valid)
        }
        DirectiveArg::Absent | DirectiveArg::Malformed => DeltaSeconds::Invalid,
    }
}

/// The `Cache-Control` directives of a response that this cache obeys.
///
/// vxb's cache is shared by every call of a process (and `vxb proxy` exposes
/// it as an HTTP cache), so it is a *shared* cache in RFC 9111's sense: it
/// obeys `s-maxage` (§5.2.2.10, which also implies `proxy-revalidate`) and
/// `proxy-revalidate` (§5.2.2.8) as well as the directives every cache obeys.
///
/// Deliberate simplifications, each safe in the "cache less" direction:
/// - `no-cache="Set-Cookie"` and `private="X"` (field-named forms) count as
///   plain `no-cache` / `private`: the whole response is revalidated / kept
///   private rather than only the named fields.
/// - A delta-seconds directive given twice with different values is
///   [`DeltaSeconds::Invalid`], which makes the response stale: RFC 9111 §4.2.1
///   allows "use the first" or "consider it stale"; stale is the choice that
///   never serves content its origin may not have meant to be reused.
///
/// `immutable` (RFC 8246) keeps a fresh response from being revalidated by a
/// request's `max-age` under `maxage = "limits"` ([`super::policy::decide`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseCacheControl {
    pub max_age: Option<DeltaSeconds>,
    pub s_maxage: Option<DeltaSeconds>,
    /// RFC 5861: how long past expiry a stale copy may be served when the
    /// origin fails.
    pub stale_if_error: Option<DeltaSeconds>,
    /// RFC 5861 §3: how long past expiry a stale copy may be served while
    /// it is revalidated in the background.
    pub stale_while_revalidate: Option<DeltaSeconds>,
    pub no_store: bool,
    /// `no-cache` in `Cache-Control`, or `Pragma: no-cache` when the response
    /// has no `Cache-Control` header at all (RFC 9111 §5.4).
    pub no_cache: bool,
    pub private: bool,
    pub public: bool,
    pub must_revalidate: bool,
    pub proxy_revalidate: bool,
    pub immutable: bool,
    /// RFC 9111 §5.2.2.3: store only if the status is understood.
    pub must_understand: bool,
    /// Read from a targeted field (RFC 9213, e.g. `CDN-Cache-Control`)
    /// instead of `Cache-Control`: `Expires` then does not count either.
    pub targeted: bool,
}

impl ResponseCacheControl {
    /// Interprets a response's caching directives: the first of `targets`
    /// (targeted fields, RFC 9213 §2.2, in precedence order) that the response
    /// carries as a valid, non-empty structured dictionary; else its
    /// `Cache-Control` lines; else its `Pragma` lines.
    pub fn parse(headers: &HeaderMap, targets: &[HeaderName]) -> Self {
        if let Some(list) = targets.iter().find_map(|t| targeted_directives(headers, t)) {
            return ResponseCacheControl {
                targeted: true,
                ..Self::from_directives(list)
            };
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            return ResponseCacheControl {
                no_cache: pragma_no_cache(headers),
                ..ResponseCacheControl::default()
            };
        }
        Self::from_directives(directives(headers.get_all(header::CACHE_CONTROL)))
    }

    fn from_directives(list: Vec<Directive>) -> Self {
        let mut cc = ResponseCacheControl::default();
        for d in list {
            match d.name.as_str() {
                "max-age" => merge_delta(&mut cc.max_age, delta_arg(&d.arg)),
                "s-maxage" => merge_delta(&mut cc.s_maxage, delta_arg(&d.arg)),
                "stale-if-error" => merge_delta(&mut cc.stale_if_error, delta_arg(&d.arg)),
                "stale-while-revalidate" => {
                    merge_delta(&mut cc.stale_while_revalidate, delta_arg(&d.arg))
                }
                "no-store" => cc.no_store = true,
                "no-cache" => cc.no_cache = true,
                "private" => cc.private = true,
                "public" => cc.public = true,
                "must-revalidate" => cc.must_revalidate = true,
                "proxy-revalidate" => cc.proxy_revalidate = true,
                "immutable" => cc.immutable = true,
                "must-understand" => cc.must_understand = true,
                // RFC 9111 §5.2.3: unknown directives are ignored.
                _ => {}
            }
        }
        cc
    }

    /// The lifetime the origin gave this (shared) cache: `s-maxage` over
    /// `max-age` (RFC 9111 §5.2.2.10); `None` when it gave neither.
    pub fn shared_max_age(&self) -> Option<DeltaSeconds> {
        self.s_maxage.or(self.max_age)
    }

    /// Whether a stale copy must not be served without revalidation:
    /// `must-revalidate`, `proxy-revalidate` (which binds shared caches,
    /// §5.2.2.8), or `s-maxage` (which implies it, §5.2.2.10).
    pub fn revalidate_when_stale(&self) -> bool {
        self.must_revalidate || self.proxy_revalidate || self.s_maxage.is_some()
    }
}

/// The directives of a targeted cache-control field (RFC 9213): a structured
/// dictionary (RFC 9651) whose members are the directives — `max-age=60` an
/// integer, `no-store` a boolean `true`, `private="x"` a string. `None` when
/// absent, empty or not a valid dictionary: the cache then falls back on
/// `Cache-Control` (§2.2). A member set to `?0` is absent.
fn targeted_directives(headers: &HeaderMap, name: &HeaderName) -> Option<Vec<Directive>> {
    let lines: Vec<&str> = headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str())
        .collect::<Result<_, _>>()
        .ok()?;
    if lines.is_empty() {
        return None;
    }
    let dict: sfv::Dictionary = sfv::Parser::new(&lines.join(", ")).parse().ok()?;
    if dict.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(dict.len());
    for (key, member) in &dict {
        let arg = match member {
            sfv::ListEntry::Item(item) => match &item.bare_item {
                sfv::BareItem::Boolean(true) => DirectiveArg::Absent,
                sfv::BareItem::Boolean(false) => continue,
                sfv::BareItem::Integer(i) => DirectiveArg::Present(i64::from(*i).to_string()),
                sfv::BareItem::Token(t) => DirectiveArg::Present(t.as_str().to_string()),
                sfv::BareItem::String(t) => DirectiveArg::Present(t.as_str().to_string()),
                _ => DirectiveArg::Malformed,
            },
            sfv::ListEntry::InnerList(_) => DirectiveArg::Malformed,
        };
        out.push(Directive {
            name: key.as_str().to_string(),
            arg,
        });
    }
    Some(out)
}

/// A second occurrence that disagrees with the first makes the value invalid.
fn merge_delta(slot: &mut Option<DeltaSeconds>, new: DeltaSeconds) {
    *slot = match *slot {
        None => Some(new),
        Some(old) if old == new => Some(old),
        Some(_) => Some(DeltaSeconds::Invalid),
    };
}

/// Whether any `Pragma` line carries `no-cache` (case-insensitive). Callers
/// decide whether it counts: only without `Cache-Control` (RFC 9111 §5.4).
pub fn pragma_no_cache(headers: &HeaderMap) -> bool {
    directives(headers.get_all(header::PRAGMA))
        .iter()
        .any(|d| d.name == "no-cache")
}

/// Parses an HTTP date in any of the three formats of RFC 9110 §5.6.7
/// (IMF-fixdate, obsolete RFC 850, asctime), leniently as §5.6.7 allows a
/// recipient to be: the case of the weekday, the month and `GMT` does not
/// matter (`sun, 06 nov 1994 08:49:37 gmt`), and neither does surrounding
/// white space. A weekday that does not match the date still rejects it.
pub fn parse_http_date(value: &HeaderValue) -> Option<SystemTime> {
    let text = value.to_str().ok()?.trim();
    if let Ok(t) = httpdate::parse_http_date(text) {
        return Some(t);
    }
    httpdate::parse_http_date(&canonical_date_words(text)).ok()
}

/// `text` with each alphabetic word that names a weekday, a month or GMT
/// (in any case) written as RFC 9110 spells it.
fn canonical_date_words(text: &str) -> String {
    const WORDS: [&str; 27] = [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
        "GMT",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        out.push_str(
            WORDS
                .iter()
                .find(|w| w.eq_ignore_ascii_case(word))
                .copied()
                .unwrap_or(word),
        );
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A header that must appear once: absent, one value (repeated identical lines
/// count as one), or several that disagree.
enum Single<'a> {
    Absent,
    One(&'a HeaderValue),
    Conflicting,
}

fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Single<'a> {
    let mut all = headers.get_all(name).iter();
    let Some(first) = all.next() else {
        return Single::Absent;
    };
    if all.all(|v| v == first) {
        Single::One(first)
    } else {
        Single::Conflicting
    }
}

fn single_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a HeaderValue> {
    match single(headers, name) {
        Single::One(v) => Some(v),
        Single::Absent | Single::Conflicting => None,
    }
}

/// The `Expires` header of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expires {
    At(SystemTime),
    /// Present but not a date (e.g. `0`), or several disagreeing values: RFC
    /// 9111 §5.3 says "already expired".
    Invalid,
}

/// An entity tag (RFC 9110 §8.8.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityTag {
    /// `W/"x"`.
    pub weak: bool,
    /// The tag without quotes or `W/`.
    pub opaque: String,
    /// The header value exactly as received: what goes into `If-None-Match`.
    pub raw: HeaderValue,
}

impl EntityTag {
    /// Parses `"x"` or `W/"x"`. An unquoted tag (`ETag: abc`, sent by some
    /// misconfigured servers) is accepted as a strong tag: sending it back
    /// verbatim lets such a server still answer 304.
    pub fn parse(value: &HeaderValue) -> Option<EntityTag> {
        let text = value.to_str().ok()?.trim();
        let (weak, rest) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let opaque = match rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if !inner.contains('"') => inner,
            Some(_) => return None,
            None if !weak && !rest.is_empty() && !rest.contains(['"', ',', ' ']) => rest,
            None => return None,
        };
        Some(EntityTag {
            weak,
            opaque: opaque.to_string(),
            raw: value.clone(),
        })
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): the opaque tags match.
    pub fn weak_eq(&self, other: &EntityTag) -> bool {
        self.opaque == other.opaque
    }

    /// Strong comparison: both strong and the opaque tags match.
    pub fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }
}

/// The `Vary` header of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vary {
    /// `Vary: *`: no later request can be known to match.
    Any,
    /// The nominated request headers (lower-case, in order, without duplicates).
    Headers(Vec<HeaderName>),
}

/// Parses every `Vary` line; `None` without one (or with only empty ones).
/// Names that are not valid header names are skipped: they cannot be present
/// on any request, so they never distinguish two requests.
pub fn parse_vary(headers: &HeaderMap) -> Option<Vary> {
    let mut names: Vec<HeaderName> = Vec::new();
    let mut any_line = false;
    for line in headers.get_all(header::VARY) {
        let text = String::from_utf8_lossy(line.as_bytes());
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            any_line = true;
            if item == "*" {
                return Some(Vary::Any);
            }
            if let Ok(name) = HeaderName::from_bytes(item.as_bytes())
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
    }
    any_line.then_some(Vary::Headers(names))
}

/// A request header's value as `Vary` compares it (RFC 9111 §4.1: a cache
/// may normalise what the field's syntax lets it): all lines joined as one
/// list (RFC 9110 §5.3), each member trimmed, empty members dropped. For
/// `Accept-Language`, `Accept-Encoding` and `Accept-Charset`, whose members
/// are case-insensitive tokens, members are lower-cased with their inner
/// white space removed; `Accept-Language` members are also sorted, as the
/// order of equally weighted languages (and the q-values carry the rest)
/// does not change the selection. `None` when absent.
pub fn combined_value(headers: &HeaderMap, name: &HeaderName) -> Option<HeaderValue> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    let tokens = [
        header::ACCEPT_LANGUAGE,
        header::ACCEPT_ENCODING,
        header::ACCEPT_CHARSET,
    ]
    .contains(name);
    let mut members: Vec<String> = Vec::new();
    for line in lines {
        let text = String::from_utf8_lossy(line.as_bytes());
        for member in text.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            members.push(if tokens {
                member
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase()
            } else {
                member.to_string()
            });
        }
    }
    if *name == header::ACCEPT_LANGUAGE {
        members.sort();
    }
    // Joined from parts of valid values (lossy text only replaces bytes a
    // valid value may hold): a failure is not expected, and an empty value
    // stands for "present, nothing in it" rather than a panic.
    Some(HeaderValue::from_str(&members.join(", ")).unwrap_or(HeaderValue::from_static("")))
}

/// The `Age` of a response: the first member of its first line (RFC 9111
/// §5.1: a list value or several lines are invalid, and a cache should use
/// the first value rather than ignore the field); not a non-negative integer:
/// ignored.
fn first_age(headers: &HeaderMap) -> Option<Duration> {
    let line = headers.get(header::AGE)?.to_str().ok()?;
    let first = line.split(',').next().unwrap_or_default();
    parse_delta_seconds(first.trim())
}

/// The caching-relevant headers of a response, parsed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachingHeaders {
    pub cache_control: ResponseCacheControl,
    pub expires: Option<Expires>,
    /// `Date`; an unparsable or conflicting one counts as absent (the time of
    /// receipt is used instead, RFC 9110 §6.6.1).
    pub date: Option<SystemTime>,
    /// `Age`, its first value; invalid values are ignored (RFC 9111 §5.1).
    pub age: Option<Duration>,
    /// `Last-Modified`; unparsable counts as absent.
    pub last_modified: Option<SystemTime>,
    /// `ETag`; several disagreeing values count as absent.
    pub etag: Option<EntityTag>,
    pub vary: Option<Vary>,
    pub set_cookie: bool,
}

impl CachingHeaders {
    /// Parses a response's headers; `targets` are the targeted cache-control
    /// fields this cache obeys ([`ResponseCacheControl::parse`]). When one of
    /// them applies, `Expires` is ignored too (RFC 9213 §2.2).
    pub fn parse(headers: &HeaderMap, targets: &[HeaderName]) -> Self {
        let cache_control = ResponseCacheControl::parse(headers, targets);
        let expires = match single(headers, &header::EXPIRES) {
            _ if cache_control.targeted => None,
            Single::Absent => None,
            Single::One(v) => Some(parse_http_date(v).map_or(Expires::Invalid, Expires::At)),
            Single::Conflicting => Some(Expires::Invalid),
        };
        let date_of = |name: &HeaderName| single_value(headers, name).and_then(parse_http_date);
        CachingHeaders {
            cache_control,
            expires,
            date: date_of(&header::DATE),
            age: first_age(headers),
            last_modified: date_of(&header::LAST_MODIFIED),
            etag: single_value(headers, &header::ETAG).and_then(EntityTag::parse),
            vary: parse_vary(headers),
            set_cookie: headers.contains_key(header::SET_COOKIE),
        }
    }

    /// Whether a conditional request is possible: an entity tag or a
    /// `Last-Modified` date.
    pub fn has_validators(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

/// A `<meta http-equiv>` of a document that could not become a header. The
/// interpreter reports these; they never stop a fetch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMeta {
    #[error("<meta http-equiv=\"{name}\">: not a valid HTTP header name; ignored")]
    Name { name: String },
    #[error(
        "<meta http-equiv=\"{name}\" content=\"{content}\">: not a valid HTTP header value; ignored"
    )]
    Value { name: String, content: String },
}

/// The headers a document's `<meta http-equiv>` elements set, in document
/// order, and those that could not be used. Several metas with the same name
/// add up like several header lines.
pub fn meta_headers(meta: &[(String, String)]) -> (HeaderMap, Vec<InvalidMeta>) {
    let mut headers = HeaderMap::new();
    let mut skipped = Vec::new();
    for (name, content) in meta {
        let Ok(header_name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
            skipped.push(InvalidMeta::Name { name: name.clone() });
            continue;
        };
        match HeaderValue::from_str(content.trim()) {
            Ok(value) => {
                headers.append(header_name, value);
            }
            Err(_) => skipped.push(InvalidMeta::Value {
                name: name.clone(),
                content: content.clone(),
            }),
        }
    }
    (headers, skipped)
}

/// `base` with every header named in `over` replaced by `over`'s values.
pub fn overlay(base: &HeaderMap, over: &HeaderMap) -> HeaderMap {
    let mut out = base.clone();
    for name in over.keys() {
        out.remove(name);
        for v in over.get_all(name) {
            out.append(name.clone(), v.clone());
        }
    }
    out
}

/// A response's headers with its document's `<meta http-equiv>` overrides
/// applied, and the metas that were skipped because they are not valid headers.
/// (`StoredResponse::meta` wants the overrides alone: [`meta_headers`].)
pub fn apply_meta(headers: &HeaderMap, meta: &[(String, String)]) -> (HeaderMap, Vec<InvalidMeta>) {
    let (over, skipped) = meta_headers(meta);
    (overlay(headers, &over), skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).expect("test header name"),
                HeaderValue::from_str(v).expect("test header value"),
            );
        }
        h
    }

    fn cc(value: &str) -> ResponseCacheControl {
        ResponseCacheControl::parse(&map(&[("cache-control", value)]), &[])
    }

    fn secs(s: u64) -> Option<DeltaSeconds> {
        Some(DeltaSeconds::Valid(Duration::from_secs(s)))
    }

    fn present(name: &str, v: &str) -> Directive {
        Directive {
            name: name.into(),
            arg: DirectiveArg::Present(v.into()),
        }
    }

    fn absent(name: &str) -> Directive {
        Directive {
            name: name.into(),
            arg: DirectiveArg::Absent,
        }
    }

    #[test]
    fn directive_list_tokens_quotes_case_and_empty_elements() {
        let h = map(&[(
            "cache-control",
            r#" Max-Age=10 ,, NO-CACHE="Set-Cookie, X-Foo", private , ext="a\"b""#,
        )]);
        assert_eq!(
            directives(h.get_all("cache-control")),
            vec![
                present("max-age", "10"),
                present("no-cache", "Set-Cookie, X-Foo"),
                absent("private"),
                present("ext", "a\"b"),
            ]
        );
    }

    #[test]
    fn malformed_arguments_are_flagged_not_guessed() {
        let h = map(&[(
            "cache-control",
            r#"max-age=1 0, s-maxage=, a="unterminated, b"#,
        )]);
        let m = DirectiveArg::Malformed;
        assert_eq!(
            directives(h.get_all("cache-control")),
            vec![
                Directive {
                    name: "max-age".into(),
                    arg: m.clone()
                },
                Directive {
                    name: "s-maxage".into(),
                    arg: m.clone()
                },
                // The unterminated quote swallows the rest of the line.
                Directive {
                    name: "a".into(),
                    arg: m
                },
            ]
        );
        let h = map(&[("cache-control", "=5, no-store")]);
        assert_eq!(
            directives(h.get_all("cache-control")),
            vec![absent("no-store")]
        );
    }

    /// Whatever bytes a server sends, parsing yields well-formed directive
    /// names and never panics.
    #[test]
    fn arbitrary_header_bytes_parse_without_panic() {
        let alphabet: &[u8] = b"aZ09 =,\"\\-/;\t\x80\xff";
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5_000 {
            let len = rng.usize(0..24);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            let mut h = HeaderMap::new();
            for name in [
                header::CACHE_CONTROL,
                header::PRAGMA,
                header::EXPIRES,
                header::DATE,
                header::AGE,
                header::LAST_MODIFIED,
                header::ETAG,
                header::VARY,
            ] {
                h.insert(name, value.clone());
            }
            for d in directives(h.get_all(header::CACHE_CONTROL)) {
                assert!(!d.name.is_empty(), "{bytes:?}");
                assert!(
                    !d.name.contains([',', '=', ' ', '\t']),
                    "{bytes:?} gave {d:?}"
                );
                assert_eq!(d.name, d.name.to_lowercase());
            }
            let parsed = CachingHeaders::parse(&h, &[]);
            assert!(parsed.expires.is_some(), "present, valid or not");
        }
    }

    #[test]
    fn multiple_cache_control_lines_combine() {
        let h = map(&[
            ("cache-control", "max-age=60"),
            ("cache-control", "must-revalidate, private"),
        ]);
        let c = ResponseCacheControl::parse(&h, &[]);
        assert_eq!(c.max_age, secs(60));
        assert!(c.must_revalidate && c.private);
        assert!(!c.no_cache && !c.no_store && !c.public);
    }

    #[test]
    fn every_response_directive_is_recognised() {
        let c = cc(
            "max-age=1, s-maxage=2, stale-if-error=3, stale-while-revalidate=4, no-store, \
                    no-cache, private, \
                    public, must-revalidate, proxy-revalidate, immutable, must-understand, \
                    unknown=9, x",
        );
        assert_eq!(
            c,
            ResponseCacheControl {
                max_age: secs(1),
                s_maxage: secs(2),
                stale_if_error: secs(3),
                stale_while_revalidate: secs(4),
                no_store: true,
                no_cache: true,
                private: true,
                public: true,
                must_revalidate: true,
                proxy_revalidate: true,
                immutable: true,
                must_understand: true,
                targeted: false,
            }
        );
        assert_eq!(cc("unknown, x=1"), ResponseCacheControl::default());
    }

    #[test]
    fn field_named_no_cache_and_private_count_as_plain() {
        assert!(cc(r#"no-cache="Set-Cookie""#).no_cache);
        assert!(cc(r#"private="Authorization""#).private);
    }

    #[test]
    fn max_age_values() {
        assert_eq!(cc("max-age=10").max_age, secs(10));
        assert_eq!(cc(r#"max-age="10""#).max_age, secs(10), "quoted tolerated");
        assert_eq!(cc("max-age = 10").max_age, secs(10), "spaces tolerated");
        assert_eq!(cc("max-age=0").max_age, secs(0));
        let invalid = Some(DeltaSeconds::Invalid);
        assert_eq!(cc("max-age=abc").max_age, invalid);
        assert_eq!(cc("max-age=-5").max_age, invalid);
        assert_eq!(cc("max-age=1.5").max_age, invalid);
        assert_eq!(cc("max-age=+5").max_age, invalid);
        assert_eq!(cc("max-age").max_age, invalid, "bare max-age");
        assert_eq!(cc("max-age=").max_age, invalid);
        assert_eq!(cc(r#"max-age="10"#).max_age, invalid, "unterminated quote");
        assert_eq!(cc("no-store").max_age, None);
        assert_eq!(
            cc("max-age=99999999999999999999999").max_age,
            secs(DELTA_SECONDS_OVERFLOW),
            "overflow is 2^31 (RFC 9111 §1.2.2)"
        );
        assert_eq!(DeltaSeconds::Invalid.or_zero(), Duration::ZERO);
        assert_eq!(DeltaSeconds::Invalid.valid(), None);
    }

    #[test]
    fn duplicate_directives_agreeing_or_conflicting() {
        assert_eq!(cc("max-age=10, max-age=10").max_age, secs(10));
        assert_eq!(cc(r#"max-age=10, max-age="10""#).max_age, secs(10));
        assert_eq!(
            cc("max-age=10, max-age=20").max_age,
            Some(DeltaSeconds::Invalid)
        );
        let two_lines = map(&[
            ("cache-control", "max-age=10"),
            ("cache-control", "max-age=5"),
        ]);
        assert_eq!(
            ResponseCacheControl::parse(&two_lines, &[]).max_age,
            Some(DeltaSeconds::Invalid)
        );
        assert!(cc("no-cache, no-cache").no_cache);
    }

    #[test]
    fn s_maxage_is_the_shared_lifetime_and_implies_proxy_revalidate() {
        let c = cc("max-age=60, s-maxage=10");
        assert_eq!(c.shared_max_age(), secs(10));
        assert!(c.revalidate_when_stale() && !c.must_revalidate);
        let c = cc("max-age=60");
        assert_eq!(c.shared_max_age(), secs(60));
        assert!(!c.revalidate_when_stale());
        assert!(cc("proxy-revalidate").revalidate_when_stale());
        assert!(cc("must-revalidate").revalidate_when_stale());
    }

    #[test]
    fn a_targeted_field_replaces_cache_control_and_expires() {
        let cdn = HeaderName::from_static("cdn-cache-control");
        let vxb = HeaderName::from_static("vxb-cache-control");
        let targets = [vxb.clone(), cdn.clone()];
        let h = map(&[
            ("cache-control", "no-store"),
            ("expires", "Sun, 06 Nov 1994 08:49:37 GMT"),
            (
                "cdn-cache-control",
                "max-age=60, must-revalidate, private=\"x\"",
            ),
        ]);
        let parsed = CachingHeaders::parse(&h, &targets);
        let c = parsed.cache_control;
        assert!(c.targeted);
        assert_eq!(c.max_age, secs(60));
        assert!(c.must_revalidate && c.private && !c.no_store);
        assert_eq!(parsed.expires, None, "Expires yields to the targeted field");
        // Not a target of this cache: Cache-Control and Expires count.
        let plain = CachingHeaders::parse(&h, &[]);
        assert!(plain.cache_control.no_store && !plain.cache_control.targeted);
        assert!(plain.expires.is_some());
        // The first target in the list that is present wins.
        let both = map(&[
            ("cdn-cache-control", "max-age=60"),
            ("vxb-cache-control", "max-age=5, ?0"),
        ]);
        assert_eq!(
            ResponseCacheControl::parse(&both, &targets).max_age,
            secs(60),
            "`?0` is not a dictionary member name: invalid, so CDN's applies"
        );
        let both = map(&[
            ("cdn-cache-control", "max-age=60"),
            ("vxb-cache-control", "max-age=5, no-cache=?0"),
        ]);
        let c = ResponseCacheControl::parse(&both, &targets);
        assert_eq!(c.max_age, secs(5));
        assert!(!c.no_cache, "a member set to false is absent");
        // Invalid or empty targeted fields fall back on Cache-Control.
        for bad in ["max-age=", "max-age=\"unterminated", "", "max-age=(1 2)"] {
            let h = map(&[("cdn-cache-control", bad), ("cache-control", "max-age=7")]);
            let c = ResponseCacheControl::parse(&h, &targets);
            if bad == "max-age=(1 2)" {
                assert!(c.targeted, "a valid dictionary with an unusable member");
                assert_eq!(c.max_age, Some(DeltaSeconds::Invalid));
            } else {
                assert!(!c.targeted, "{bad:?}");
                assert_eq!(c.max_age, secs(7), "{bad:?}");
            }
        }
        let negative = map(&[("cdn-cache-control", "max-age=-1")]);
        assert_eq!(
            ResponseCacheControl::parse(&negative, &targets).max_age,
            Some(DeltaSeconds::Invalid)
        );
    }

    #[test]
    fn pragma_counts_only_without_cache_control() {
        let p = ResponseCacheControl::parse(&map(&[("pragma", "No-Cache")]), &[]);
        assert!(p.no_cache);
        let both = map(&[("pragma", "no-cache"), ("cache-control", "max-age=5")]);
        assert!(!ResponseCacheControl::parse(&both, &[]).no_cache);
        let empty_cc = map(&[("pragma", "no-cache"), ("cache-control", "")]);
        assert!(
            !ResponseCacheControl::parse(&empty_cc, &[]).no_cache,
            "an empty Cache-Control is still a Cache-Control"
        );
        assert!(!ResponseCacheControl::parse(&map(&[("pragma", "x-other")]), &[]).no_cache);
        assert!(pragma_no_cache(&map(&[("pragma", "foo, no-cache")])));
    }

    #[test]
    fn http_dates_in_all_three_formats() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            // RFC 9110 §5.6.7 lets a recipient be lenient in case.
            "sun, 06 nov 1994 08:49:37 gmt",
            "SUNDAY, 06-NOV-94 08:49:37 GMT",
            "sun nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(
                parse_http_date(&HeaderValue::from_static(s)),
                Some(t),
                "{s}"
            );
        }
        for s in [
            "0",
            "-1",
            "",
            "yesterday",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "mon, 06 nov 1994 08:49:37 gmt", // wrong weekday, any case
            "Sun, 06 Nov 1994 08:49:37 XYZ",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 06 Nov 1960 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(&HeaderValue::from_static(s)), None, "{s}");
        }
    }

    #[test]
    fn expires_valid_invalid_and_conflicting() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let e = |pairs: &[(&str, &str)]| CachingHeaders::parse(&map(pairs), &[]).expires;
        assert_eq!(e(&[]), None);
        assert_eq!(
            e(&[("expires", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            Some(Expires::At(at))
        );
        assert_eq!(e(&[("expires", "0")]), Some(Expires::Invalid));
        assert_eq!(
            e(&[
                ("expires", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("expires", "Sun, 06 Nov 1994 08:49:38 GMT")
            ]),
            Some(Expires::Invalid)
        );
        assert_eq!(
            e(&[
                ("expires", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("expires", "Sun, 06 Nov 1994 08:49:37 GMT")
            ]),
            Some(Expires::At(at))
        );
    }

    #[test]
    fn age_is_non_negative_integer_or_ignored() {
        let age = |v: &str| CachingHeaders::parse(&map(&[("age", v)]), &[]).age;
        assert_eq!(age("30"), Some(Duration::from_secs(30)));
        assert_eq!(age(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(age("0"), Some(Duration::ZERO));
        assert_eq!(age("-3"), None);
        assert_eq!(age("3.5"), None);
        assert_eq!(age("abc"), None);
        // RFC 9111 §5.1: a list (or several lines) is invalid, and the
        // first value is used.
        assert_eq!(age("1, 2"), Some(Duration::from_secs(1)));
        assert_eq!(age("x, 2"), None);
        assert_eq!(
            age("123456789012345678901234567890"),
            Some(Duration::from_secs(DELTA_SECONDS_OVERFLOW))
        );
        assert_eq!(
            CachingHeaders::parse(&map(&[("age", "3"), ("age", "4")]), &[]).age,
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn date_and_last_modified_invalid_means_absent() {
        let h = CachingHeaders::parse(&map(&[("date", "soon"), ("last-modified", "0")]), &[]);
        assert_eq!(h.date, None);
        assert_eq!(h.last_modified, None);
        assert!(!h.has_validators());
    }

    #[test]
    fn entity_tags() {
        let t = |s: &str| EntityTag::parse(&HeaderValue::from_str(s).expect("value"));
        let strong = t(r#""abc""#).expect("strong");
        assert!(!strong.weak);
        assert_eq!(strong.opaque, "abc");
        assert_eq!(strong.raw, r#""abc""#);
        let weak = t(r#"W/"abc""#).expect("weak");
        assert!(weak.weak);
        assert_eq!(weak.opaque, "abc");
        assert_eq!(weak.raw, r#"W/"abc""#, "raw value kept for If-None-Match");
        assert!(weak.weak_eq(&strong) && strong.weak_eq(&weak));
        assert!(!weak.strong_eq(&strong));
        assert!(strong.strong_eq(&t(r#""abc""#).expect("strong")));
        assert!(!strong.strong_eq(&t(r#""abd""#).expect("strong")));
        assert_eq!(t(r#""""#).map(|e| e.opaque), Some(String::new()));
        let lenient = t("abc123").expect("unquoted accepted");
        assert!(!lenient.weak);
        assert_eq!(lenient.opaque, "abc123");
        assert_eq!(t(""), None);
        assert_eq!(t(r#""a"b""#), None);
        assert_eq!(t(r#"W/abc"#), None);
        assert_eq!(t(r#""abc"#), None);
        assert_eq!(t("a, b"), None);
    }

    #[test]
    fn vary_lists_and_star() {
        assert_eq!(parse_vary(&map(&[])), None);
        assert_eq!(parse_vary(&map(&[("vary", " ")])), None);
        assert_eq!(parse_vary(&map(&[("vary", "Accept, *")])), Some(Vary::Any));
        assert_eq!(
            parse_vary(&map(&[
                ("vary", "Accept-Language, accept"),
                ("vary", "ACCEPT, bad name")
            ])),
            Some(Vary::Headers(vec![header::ACCEPT_LANGUAGE, header::ACCEPT]))
        );
    }

    #[test]
    fn combined_value_joins_lines() {
        let h = map(&[("accept", "a"), ("accept", "b")]);
        assert_eq!(
            combined_value(&h, &header::ACCEPT),
            Some(HeaderValue::from_static("a, b"))
        );
        assert_eq!(combined_value(&h, &header::COOKIE), None);
    }

    #[test]
    fn selecting_values_are_normalised_for_vary() {
        let v = |pairs: &[(&str, &str)], name: &str| {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("name");
            combined_value(&map(pairs), &name).map(|v| v.to_str().expect("text").to_string())
        };
        let foo = Some("1, 2".to_string());
        assert_eq!(v(&[("foo", "1, 2")], "foo"), foo);
        assert_eq!(
            v(&[("foo", "1"), ("foo", "2")], "foo"),
            foo,
            "lines combine"
        );
        assert_eq!(v(&[("foo", " 1 ,  2 ")], "foo"), foo, "white space");
        assert_eq!(v(&[("foo", "1,,2")], "foo"), foo, "empty members");
        assert_ne!(
            v(&[("foo", "2, 1")], "foo"),
            foo,
            "order matters by default"
        );
        assert_ne!(v(&[("foo", "A")], "foo"), v(&[("foo", "a")], "foo"));
        let en_de = v(&[("accept-language", "en, de")], "accept-language");
        for same in ["de, en", "eN, De", " en ,   de", "EN,DE"] {
            assert_eq!(
                v(&[("accept-language", same)], "accept-language"),
                en_de,
                "{same:?}"
            );
        }
        assert_ne!(
            v(&[("accept-language", "en, fr")], "accept-language"),
            en_de
        );
        assert_eq!(
            v(&[("accept-encoding", "GZip , br")], "accept-encoding"),
            Some("gzip, br".to_string())
        );
        assert_eq!(
            v(&[("foo", "")], "foo"),
            Some(String::new()),
            "present, empty"
        );
    }

    #[test]
    fn caching_headers_set_cookie_and_validators() {
        let h = CachingHeaders::parse(
            &map(&[
                ("set-cookie", "a=b"),
                ("etag", r#""x""#),
                ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ]),
            &[],
        );
        assert!(h.set_cookie && h.has_validators());
        assert!(CachingHeaders::parse(&map(&[("etag", r#""x""#)]), &[]).has_validators());
    }

    #[test]
    fn meta_replaces_the_same_header_and_keeps_others() {
        let headers = map(&[
            ("cache-control", "no-cache"),
            ("cache-control", "private"),
            ("etag", r#""v1""#),
        ]);
        let meta = vec![
            ("Cache-Control".to_string(), " max-age=60 ".to_string()),
            ("Expires".to_string(), "0".to_string()),
        ];
        let (merged, skipped) = apply_meta(&headers, &meta);
        assert!(skipped.is_empty());
        let cc: Vec<_> = merged.get_all("cache-control").iter().collect();
        assert_eq!(cc, vec!["max-age=60"]);
        assert_eq!(merged.get("expires").map(|v| v.as_bytes()), Some(&b"0"[..]));
        assert_eq!(
            merged.get("etag").map(|v| v.as_bytes()),
            Some(&br#""v1""#[..])
        );
    }

    #[test]
    fn several_metas_with_one_name_add_up() {
        let meta = vec![
            ("cache-control".to_string(), "max-age=60".to_string()),
            ("CACHE-CONTROL".to_string(), "must-revalidate".to_string()),
        ];
        let (merged, _) = apply_meta(&map(&[("cache-control", "no-store")]), &meta);
        let c = ResponseCacheControl::parse(&merged, &[]);
        assert_eq!(c.max_age, secs(60));
        assert!(c.must_revalidate && !c.no_store);
    }

    #[test]
    fn invalid_metas_are_skipped_and_reported() {
        let meta = vec![
            ("bad name".to_string(), "x".to_string()),
            ("".to_string(), "x".to_string()),
            ("expires".to_string(), "line\nbreak".to_string()),
            ("cache-control".to_string(), "max-age=5".to_string()),
        ];
        let (merged, skipped) = apply_meta(&HeaderMap::new(), &meta);
        assert_eq!(
            skipped,
            vec![
                InvalidMeta::Name {
                    name: "bad name".into()
                },
                InvalidMeta::Name { name: "".into() },
                InvalidMeta::Value {
                    name: "expires".into(),
                    content: "line\nbreak".into()
                },
            ]
        );
        assert_eq!(merged.len(), 1);
        assert!(skipped[0].to_string().contains("bad name"));
        assert!(merged.get("expires").is_none());
    }
}
