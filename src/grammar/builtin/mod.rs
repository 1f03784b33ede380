//! The builtin grammars of VoiceXML 2.0 Appendix P — boolean, date, digits,
//! currency, number, phone, time — in DTMF and voice forms, as native
//! matchers rather than SRGS text.
//!
//! A builtin is named `builtin:dtmf/TYPE[?PARAMS]` or `builtin:voice/TYPE…`
//! (`builtin:grammar/TYPE` is accepted for voice too), or by a field's
//! `type="TYPE[?PARAMS]"`, which activates both modes. Parameters are
//! `name=value` pairs separated by `;`: `digits?minlength=3;maxlength=5`,
//! `digits?length=4`, `boolean?y=1;n=2`.
//!
//! Values, as Appendix P gives them: boolean → `true`/`false`; digits →
//! string of digits; number → number; date → `yyyymmdd` with `?` for a part
//! not said; time → `hhmmx` (`a` am, `p` pm, `h` 24-hour, `?` ambiguous);
//! currency → `CCCmm.nn` (ISO 4217 code, omitted when no currency was said);
//! phone → digits, with `x` before an extension.
//!
//! Voice forms are English as spoken by a US caller: `dollars` are `USD`.

mod spoken;

use serde_json::Value;

use super::model::Mode;
use super::tokens::Token;

/// A builtin grammar type with its parameters, for one mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Builtin {
    pub kind: Kind,
    pub mode: Mode,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// DTMF keys for yes and no (defaults 1 and 2).
    Boolean {
        yes: char,
        no: char,
    },
    Date,
    /// Accepted lengths, in digits.
    Digits {
        min: u32,
        max: Option<u32>,
    },
    Currency,
    Number,
    Phone,
    Time,
}

impl Builtin {
    /// Parses a `builtin:` URI (`builtin:dtmf/digits?length=4`).
    pub fn from_uri(uri: &str) -> Result<Builtin, String> {
        let rest = uri
            .strip_prefix("builtin:")
            .ok_or_else(|| "does not start with `builtin:`".to_string())?;
        let (mode, spec) = rest
            .split_once('/')
            .ok_or_else(|| "expected builtin:dtmf/TYPE or builtin:voice/TYPE".to_string())?;
        let mode = match mode {
            "dtmf" => Mode::Dtmf,
            "voice" | "grammar" => Mode::Voice,
            other => return Err(format!("unknown mode `{other}` (dtmf or voice)")),
        };
        Builtin::from_type(spec, mode)
    }

    /// Parses a type with parameters (`digits?minlength=3;maxlength=5`) for `mode`.
    pub fn from_type(spec: &str, mode: Mode) -> Result<Builtin, String> {
        let (name, params) = match spec.split_once('?') {
            Some((n, p)) => (n, p),
            None => (spec, ""),
        };
        let params: Vec<(&str, &str)> = params
            .split([';', '&'])
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim(), v.trim()))
                    .ok_or_else(|| format!("parameter `{p}` is not name=value"))
            })
            .collect::<Result<_, _>>()?;
        let kind = match name.trim() {
            "boolean" => boolean(&params)?,
            "digits" => digits(&params)?,
            other @ ("date" | "currency" | "number" | "phone" | "time") => {
                if let Some((k, _)) = params.first() {
                    return Err(format!("`{other}` takes no parameter `{k}`"));
                }
                match other {
                    "date" => Kind::Date,
                    "currency" => Kind::Currency,
                    "number" => Kind::Number,
                    "phone" => Kind::Phone,
                    _ => Kind::Time,
                }
            }
            other => return Err(format!("unknown builtin type `{other}`")),
        };
        Ok(Builtin { kind, mode })
    }

    /// The type's name (`digits`), used as its rule name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Boolean { .. } => "boolean",
            Kind::Date => "date",
            Kind::Digits { .. } => "digits",
            Kind::Currency => "currency",
            Kind::Number => "number",
            Kind::Phone => "phone",
            Kind::Time => "time",
        }
    }

    /// The value of `tokens` (all of them), or `None` when they do not
    /// read as this type.
    pub fn interpret(&self, tokens: &[Token]) -> Option<Value> {
        if tokens.is_empty() {
            return None;
        }
        match self.mode {
            Mode::Dtmf => {
                let keys: String = tokens.iter().map(|t| &*t.key).collect();
                self.dtmf(&keys)
            }
            Mode::Voice => {
                let words: Vec<&str> = tokens.iter().map(|t| &*t.key).collect();
                self.voice(&words)
            }
        }
    }

    fn dtmf(&self, keys: &str) -> Option<Value> {
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match &self.kind {
            Kind::Boolean { yes, no } => {
                let mut k = keys.chars();
                match (k.next(), k.next()) {
                    (Some(c), None) if c == *yes => Some(Value::Bool(true)),
                    (Some(c), None) if c == *no => Some(Value::Bool(false)),
                    _ => None,
                }
            }
            Kind::Digits { min, max } => {
                digits_only(keys).then_some(())?;
                length_ok(keys, *min, *max).then(|| Value::from(keys))
            }
            Kind::Number => {
                let (int, frac) = split_decimal_key(keys)?;
                let n = spoken::Decimal {
                    negative: false,
                    int: int.parse().ok()?,
                    frac: frac.to_string(),
                };
                Some(n.to_json())
            }
            Kind::Currency => {
                let (int, frac) = split_decimal_key(keys)?;
                let int: u64 = int.parse().ok()?;
                Some(Value::from(money("", int, frac)?))
            }
            Kind::Phone => {
                let (number, extension) = match keys.split_once('*') {
                    Some((n, e)) => (n, Some(e)),
                    None => (keys, None),
                };
                digits_only(number).then_some(())?;
                match extension {
                    None => Some(Value::from(number)),
                    Some(e) if digits_only(e) => Some(Value::from(format!("{number}x{e}"))),
                    Some(_) => None,
                }
            }
            Kind::Date => {
                if keys.len() != 8 || !digits_only(keys) {
                    return None;
                }
                let year: u32 = keys.get(..4)?.parse().ok()?;
                let month: u32 = keys.get(4..6)?.parse().ok()?;
                let day: u32 = keys.get(6..)?.parse().ok()?;
                date(Some(year), month, day)
            }
            Kind::Time => {
                if keys.len() != 4 || !digits_only(keys) {
                    return None;
                }
                let hour: u32 = keys.get(..2)?.parse().ok()?;
                let minute: u32 = keys.get(2..)?.parse().ok()?;
                // DTMF cannot say am or pm (Appendix P): 24-hour when it shows, else ambiguous.
                time(hour, minute, None)
            }
        }
    }

    fn voice(&self, words: &[&str]) -> Option<Value> {
        match &self.kind {
            Kind::Boolean { .. } => boolean_phrase(words).map(Value::Bool),
            Kind::Digits { min, max } => {
                let d = spoken::digit_string(words)?;
                length_ok(&d, *min, *max).then(|| Value::from(d))
            }
            Kind::Number => spoken::number(words).map(|n| n.to_json()),
            Kind::Currency => spoken_currency(words).map(Value::from),
            Kind::Phone => spoken_phone(words).map(Value::from),
            Kind::Date => spoken_date(words),
            Kind::Time => spoken_time(words),
        }
    }
}

fn boolean(params: &[(&str, &str)]) -> Result<Kind, String> {
    let (mut yes, mut no) = ('1', '2');
    for (k, v) in params {
        let mut chars = v.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c @ ('0'..='9' | '*' | '#')), None) => c,
            _ => return Err(format!("boolean `{k}={v}` must be one DTMF key")),
        };
        match *k {
            "y" => yes = key,
            "n" => no = key,
            other => return Err(format!("`boolean` takes no parameter `{other}`")),
        }
    }
    if yes == no {
        return Err(format!("boolean y and n are both `{yes}`"));
    }
    Ok(Kind::Boolean { yes, no })
}

fn digits(params: &[(&str, &str)]) -> Result<Kind, String> {
    let (mut length, mut min, mut max) = (None, None, None);
    for (k, v) in params {
        let n: u32 = v
            .parse()
            .map_err(|_| format!("digits `{k}={v}` is not a whole number"))?;
        match *k {
            "length" => length = Some(n),
            "minlength" => min = Some(n),
            "maxlength" => max = Some(n),
            other => return Err(format!("`digits` takes no parameter `{other}`")),
        }
    }
    if let Some(l) = length {
        if min.is_some() || max.is_some() {
            return Err("digits `length` cannot be combined with minlength or maxlength".into());
        }
        if l == 0 {
            return Err("digits length must be at least 1".into());
        }
        return Ok(Kind::Digits {
            min: l,
            max: Some(l),
        });
    }
    let min = min.unwrap_or(1).max(1);
    if let Some(max) = max
        && max < min
    {
        return Err(format!("digits maxlength {max} is below minlength {min}"));
    }
    Ok(Kind::Digits { min, max })
}

fn length_ok(digits: &str, min: u32, max: Option<u32>) -> bool {
    let len = u32::try_from(digits.len()).unwrap_or(u32::MAX);
    len >= min && max.is_none_or(|m| len <= m)
}

/// Splits DTMF keys at `*`, the decimal point (Appendix P): digits before it
/// and up to the end, both non-empty when the point is there.
fn split_decimal_key(keys: &str) -> Option<(&str, &str)> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match keys.split_once('*') {
        Some((i, f)) if digits(i) && digits(f) => Some((i, f)),
        Some(_) => None,
        None if digits(keys) => Some((keys, "")),
        None => None,
    }
}

/// `CCCmm.nn`: the currency code (may be empty), the amount with exactly two
/// decimals. More than two decimal digits is not money.
fn money(code: &str, int: u64, frac: &str) -> Option<String> {
    if frac.len() > 2 {
        return None;
    }
    Some(format!("{code}{int}.{frac:0<2}"))
}

fn boolean_phrase(words: &[&str]) -> Option<bool> {
    const YES: &[&[&str]] = &[
        &["yes"],
        &["yeah"],
        &["yep"],
        &["yup"],
        &["sure"],
        &["true"],
        &["correct"],
        &["right"],
        &["affirmative"],
        &["ok"],
        &["okay"],
        &["yes", "please"],
        &["that's", "right"],
        &["that", "is", "right"],
        &["that's", "correct"],
        &["that", "is", "correct"],
    ];
    const NO: &[&[&str]] = &[
        &["no"],
        &["nope"],
        &["nah"],
        &["false"],
        &["negative"],
        &["wrong"],
        &["incorrect"],
        &["no", "thanks"],
        &["no", "thank", "you"],
        &["that's", "wrong"],
        &["that", "is", "wrong"],
    ];
    if YES.contains(&words) {
        Some(true)
    } else if NO.contains(&words) {
        Some(false)
    } else {
        None
    }
}

/// `twelve dollars and fifty cents`, `twelve dollars fifty`, `fifty cents`,
/// `twelve euros`, `3.50` (no currency said: no code).
fn spoken_currency(words: &[&str]) -> Option<String> {
    // (unit word, code, minor unit words)
    const UNITS: &[(&str, &str, &[&str])] = &[
        ("dollar", "USD", &["cent", "cents"]),
        ("dollars", "USD", &["cent", "cents"]),
        ("euro", "EUR", &["cent", "cents"]),
        ("euros", "EUR", &["cent", "cents"]),
        ("pound", "GBP", &["penny", "pence"]),
        ("pounds", "GBP", &["penny", "pence"]),
        ("yen", "JPY", &[]),
    ];
    let qualified = |qualifier: Option<&str>, code: &'static str| -> Option<&'static str> {
        match (qualifier, code) {
            (None, c) => Some(c),
            (Some("us" | "american"), "USD") => Some("USD"),
            (Some("canadian"), "USD") => Some("CAD"),
            (Some("australian"), "USD") => Some("AUD"),
            _ => None,
        }
    };
    let unit_at = words
        .iter()
        .position(|w| UNITS.iter().any(|(u, _, _)| u == w));
    let Some(u) = unit_at else {
        // Only a minor unit (`fifty cents`), or no unit at all.
        return match words {
            [amount @ .., "cent" | "cents"] => {
                let cents = spoken::cardinal(amount).filter(|c| *c < 100)?;
                Some(format!("USD0.{cents:02}"))
            }
            _ => {
                let n = spoken::number(words).filter(|n| !n.negative)?;
                money("", n.int, &n.frac)
            }
        };
    };
    let (_, code, minor) = UNITS.iter().find(|(w, _, _)| *w == words[u])?;
    let (amount, qualifier) = match &words[..u] {
        [
            amount @ ..,
            q @ ("us" | "american" | "canadian" | "australian"),
        ] => (amount, Some(*q)),
        amount => (amount, None),
    };
    let code = qualified(qualifier, code)?;
    let major = spoken::number(amount).filter(|n| !n.negative)?;
    let rest = &words[u + 1..];
    let rest = rest.strip_prefix(&["and"]).unwrap_or(rest);
    if rest.is_empty() {
        return money(code, major.int, &major.frac);
    }
    if !major.frac.is_empty() {
        return None;
    }
    let cent_words = match rest.split_last() {
        Some((last, before)) if minor.contains(last) => before,
        _ => rest,
    };
    let cents = spoken::cardinal(cent_words).filter(|c| *c < 100)?;
    money(code, major.int, &format!("{cents:02}"))
}

/// Digits said one by one (`eight hundred` gives `800`), then optionally
/// `extension` and more digits.
fn spoken_phone(words: &[&str]) -> Option<String> {
    let ext = words
        .iter()
        .position(|w| matches!(*w, "extension" | "ext" | "x"));
    let (number, extension) = match ext {
        Some(i) => (&words[..i], Some(&words[i + 1..])),
        None => (words, None),
    };
    let phone_digits = |part: &[&str]| -> Option<String> {
        let mut out = String::new();
        let mut run: Vec<&str> = Vec::new();
        for w in part {
            let zeros = match *w {
                "hundred" => 2,
                "thousand" => 3,
                _ => {
                    run.push(w);
                    continue;
                }
            };
            // `hundred` and `thousand` multiply the digit said just before.
            if run.is_empty() && !out.ends_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            if !run.is_empty() {
                out.push_str(&spoken::digit_string(&run)?);
                run.clear();
            }
            out.push_str(&"0".repeat(zeros));
        }
        if !run.is_empty() {
            out.push_str(&spoken::digit_string(&run)?);
        }
        if out.is_empty() { None } else { Some(out) }
    };
    let number = phone_digits(number)?;
    match extension {
        None => Some(number),
        Some(e) => Some(format!("{number}x{}", phone_digits(e)?)),
    }
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

fn month(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(m, _)| *m == word).map(|(_, n)| *n)
}

/// `yyyymmdd` for a valid date; `????` when the year was not said.
fn date(year: Option<u32>, month: u32, day: u32) -> Option<Value> {
    let leap = |y: u32| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let last = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_none_or(leap) => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=last).contains(&day) {
        return None;
    }
    let year = match year {
        Some(y) if (1..=9999).contains(&y) => format!("{y:04}"),
        Some(_) => return None,
        None => "????".to_string(),
    };
    Some(Value::from(format!("{year}{month:02}{day:02}")))
}

/// `march third`, `march the third twenty twenty four`, `the third of march
/// nineteen ninety nine`, `3 march 2024`.
fn spoken_date(words: &[&str]) -> Option<Value> {
    let words = words.strip_prefix(&["the"]).unwrap_or(words);
    let day_then_year = |rest: &[&str], m: u32| -> Option<Value> {
        let rest = rest.strip_prefix(&["the"]).unwrap_or(rest);
        // The day is one to three words; the shortest reading that leaves a year (or nothing) wins.
        (1..=rest.len().min(3)).find_map(|k| {
            let d = u32::try_from(spoken::ordinal(&rest[..k])?).ok()?;
            let y = match &rest[k..] {
                [] => None,
                tail => Some(spoken::year(tail)?),
            };
            date(y, m, d)
        })
    };
    if let Some((first, rest)) = words.split_first()
        && let Some(m) = month(first)
    {
        return day_then_year(rest, m);
    }
    // Day first: `the third of march [year]` or `3 march [year]`.
    let m_at = words.iter().position(|w| month(w).is_some())?;
    let m = month(words[m_at])?;
    let day_words = words[..m_at]
        .strip_suffix(&["of"])
        .unwrap_or(&words[..m_at]);
    let d = u32::try_from(spoken::ordinal(day_words)?).ok()?;
    let y = match &words[m_at + 1..] {
        [] => None,
        tail => Some(spoken::year(tail)?),
    };
    date(y, m, d)
}

/// `hhmmx` for a valid time; `period` is `Some('a' | 'p')` when am or pm was said.
fn time(hour: u32, minute: u32, period: Option<char>) -> Option<Value> {
    if minute > 59 {
        return None;
    }
    let x = match period {
        Some(p) if (1..=12).contains(&hour) => p,
        Some(_) => return None,
        None if hour == 0 || (13..=23).contains(&hour) => 'h',
        None if hour <= 12 => '?',
        None => return None,
    };
    Some(Value::from(format!("{hour:02}{minute:02}{x}")))
}

/// `two thirty p m`, `seven o'clock`, `half past ten in the evening`,
/// `quarter to three`, `fourteen hundred hours`, `noon`, `2 30 pm`.
fn spoken_time(words: &[&str]) -> Option<Value> {
    match words {
        ["noon" | "midday"] => return time(12, 0, Some('p')),
        ["midnight"] => return time(12, 0, Some('a')),
        _ => {}
    }
    const PERIODS: &[(&[&str], char)] = &[
        (&["am"], 'a'),
        (&["a", "m"], 'a'),
        (&["in", "the", "morning"], 'a'),
        (&["pm"], 'p'),
        (&["p", "m"], 'p'),
        (&["in", "the", "afternoon"], 'p'),
        (&["in", "the", "evening"], 'p'),
        (&["at", "night"], 'p'),
    ];
    let (words, period) = PERIODS
        .iter()
        .find_map(|(suffix, p)| words.strip_suffix(*suffix).map(|w| (w, Some(*p))))
        .unwrap_or((words, None));
    let hour_of = |w: &[&str]| {
        spoken::cardinal(w)
            .and_then(|h| u32::try_from(h).ok())
            .filter(|h| *h <= 23)
    };
    // Minutes before or after an hour: `half past ten`, `twenty to six`.
    for (i, w) in words.iter().enumerate() {
        let before = match *w {
            "past" | "after" => false,
            "to" | "till" | "before" | "of" => true,
            _ => continue,
        };
        let minutes_words = words[..i].strip_suffix(&["minutes"]).unwrap_or(&words[..i]);
        let minutes = match minutes_words {
            ["half"] | ["a", "half"] => 30,
            ["quarter"] | ["a", "quarter"] => 15,
            other => u32::try_from(spoken::cardinal(other)?)
                .ok()
                .filter(|m| (1..=59).contains(m))?,
        };
        let hour = hour_of(&words[i + 1..])?;
        if !before {
            return time(hour, minutes, period);
        }
        if minutes == 30 {
            return None;
        }
        // `quarter to one` is 12:45: a 12-hour clock has no hour zero.
        let earlier = match hour {
            0 => 23,
            1 => 12,
            h => h - 1,
        };
        return time(earlier, 60 - minutes, period);
    }
    match words {
        [hour @ .., "o'clock"] => time(hour_of(hour)?, 0, period),
        [hour @ .., "hundred"] | [hour @ .., "hundred", "hours"] if period.is_none() => {
            let hour = match hour {
                ["oh" | "o" | "zero", d] => spoken::digit(d).map(u32::from),
                _ => hour_of(hour),
            }?;
            // A time said in hundreds is on the 24-hour clock.
            Some(Value::from(format!("{hour:02}00h")))
        }
        _ => {
            // The hour is the first one or two words, the rest are minutes.
            (1..=words.len().min(2)).find_map(|k| {
                let hour = hour_of(&words[..k])?;
                let minute = match &words[k..] {
                    [] => 0,
                    ["oh" | "o" | "zero", d] => u32::from(spoken::digit(d)?),
                    [m] if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => {
                        m.parse().ok()?
                    }
                    m => u32::try_from(spoken::cardinal(m)?)
                        .ok()
                        .filter(|m| (10..=59).contains(m))?,
                };
                time(hour, minute, period)
            })
        }
    }
}

#[cfg(test)]
mod tests;
