//! Reading numbers as people say them in English: cardinals ("one hundred
//! and five"), decimals ("three point five"), digit strings ("one two oh",
//! "double four"), ordinals ("twenty first") and years ("nineteen oh five").
//!
//! Every function takes the whole slice of word keys and returns `None`
//! unless all of it reads as the thing asked for, so a builtin grammar never
//! matches part of an utterance. Arithmetic is checked: absurd inputs are
//! `None`, never an overflow.

/// A number read exactly: sign, integer part and fractional digits as said
/// (kept as digits so that currency keeps its cents exactly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    pub negative: bool,
    pub int: u64,
    pub frac: String,
}

impl Decimal {
    /// The number as JSON: an integer when there is no fractional part.
    pub fn to_json(&self) -> serde_json::Value {
        if self.frac.is_empty()
            && let Ok(i) = i64::try_from(self.int)
        {
            return serde_json::Value::from(if self.negative { -i } else { i });
        }
        let text = format!(
            "{}{}.{}",
            if self.negative { "-" } else { "" },
            self.int,
            if self.frac.is_empty() {
                "0"
            } else {
                &self.frac
            }
        );
        text.parse::<f64>()
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// The value of a single digit word: `zero`, `oh`, `o`, `one` … `nine`, or
/// a one-character numeral.
pub(crate) fn digit(word: &str) -> Option<u8> {
    Some(match word {
        "zero" | "oh" | "o" | "0" => 0,
        "one" | "1" => 1,
        "two" | "2" => 2,
        "three" | "3" => 3,
        "four" | "4" => 4,
        "five" | "5" => 5,
        "six" | "6" => 6,
        "seven" | "7" => 7,
        "eight" | "8" => 8,
        "nine" | "9" => 9,
        _ => return None,
    })
}

fn all_digits(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Unit(u64),
    Teen(u64),
    Tens(u64),
    Hundred,
    Scale(u64),
}

fn class(word: &str) -> Option<Class> {
    Some(match word {
        "one" => Class::Unit(1),
        "two" => Class::Unit(2),
        "three" => Class::Unit(3),
        "four" => Class::Unit(4),
        "five" => Class::Unit(5),
        "six" => Class::Unit(6),
        "seven" => Class::Unit(7),
        "eight" => Class::Unit(8),
        "nine" => Class::Unit(9),
        "ten" => Class::Teen(10),
        "eleven" => Class::Teen(11),
        "twelve" => Class::Teen(12),
        "thirteen" => Class::Teen(13),
        "fourteen" => Class::Teen(14),
        "fifteen" => Class::Teen(15),
        "sixteen" => Class::Teen(16),
        "seventeen" => Class::Teen(17),
        "eighteen" => Class::Teen(18),
        "nineteen" => Class::Teen(19),
        "twenty" => Class::Tens(20),
        "thirty" => Class::Tens(30),
        "forty" | "fourty" => Class::Tens(40),
        "fifty" => Class::Tens(50),
        "sixty" => Class::Tens(60),
        "seventy" => Class::Tens(70),
        "eighty" => Class::Tens(80),
        "ninety" => Class::Tens(90),
        "hundred" => Class::Hundred,
        "thousand" => Class::Scale(1_000),
        "million" => Class::Scale(1_000_000),
        "billion" => Class::Scale(1_000_000_000),
        _ => return None,
    })
}

/// A whole number: a numeral (`"105"`), `zero`, or cardinal words
/// (`one hundred and five`, `twelve hundred`, `a thousand`, `two million
/// three hundred thousand`). Rejects word salad such as `two three` or
/// `twenty thirty`.
pub(crate) fn cardinal(words: &[&str]) -> Option<u64> {
    match words {
        [] => return None,
        [w] if all_digits(w) => return w.parse().ok(),
        ["zero"] => return Some(0),
        _ => {}
    }
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Last {
        Start,
        A,
        Unit,
        Teen,
        Tens,
        Hundred,
        Scale,
        And,
    }
    let mut total: u64 = 0;
    let mut group: u64 = 0;
    let mut group_has_hundred = false;
    let mut last_scale = u64::MAX;
    let mut last = Last::Start;
    for (i, w) in words.iter().enumerate() {
        let after_separator = matches!(last, Last::Start | Last::Hundred | Last::Scale | Last::And);
        match *w {
            "a" => {
                let next_scales = matches!(
                    words.get(i + 1).and_then(|n| class(n)),
                    Some(Class::Hundred | Class::Scale(_))
                );
                if last != Last::Start || !next_scales {
                    return None;
                }
                group = 1;
                last = Last::A;
            }
            "and" => {
                if !matches!(last, Last::Hundred | Last::Scale) || i + 1 == words.len() {
                    return None;
                }
                last = Last::And;
            }
            _ => match class(w)? {
                Class::Unit(v) => {
                    if !(after_separator || last == Last::Tens) {
                        return None;
                    }
                    group += v;
                    last = Last::Unit;
                }
                Class::Teen(v) | Class::Tens(v) => {
                    if !after_separator {
                        return None;
                    }
                    group += v;
                    last = if v < 20 { Last::Teen } else { Last::Tens };
                }
                Class::Hundred => {
                    let ok = matches!(last, Last::A | Last::Unit | Last::Teen | Last::Tens);
                    if !ok || group_has_hundred || !(1..=99).contains(&group) {
                        return None;
                    }
                    group *= 100;
                    group_has_hundred = true;
                    last = Last::Hundred;
                }
                Class::Scale(s) => {
                    let ok = matches!(
                        last,
                        Last::A | Last::Unit | Last::Teen | Last::Tens | Last::Hundred
                    );
                    if !ok || group == 0 || s >= last_scale {
                        return None;
                    }
                    total = total.checked_add(group.checked_mul(s)?)?;
                    group = 0;
                    group_has_hundred = false;
                    last_scale = s;
                    last = Last::Scale;
                }
            },
        }
    }
    if matches!(last, Last::Start | Last::A | Last::And) {
        return None;
    }
    total.checked_add(group)
}

/// A number with optional sign (`minus`, `negative`) and fractional part
/// (`point five`, `point oh two`), or a numeral such as `3.5`.
pub(crate) fn number(words: &[&str]) -> Option<Decimal> {
    let (negative, words) = match words {
        ["minus" | "negative", rest @ ..] => (true, rest),
        ["plus" | "positive", rest @ ..] => (false, rest),
        _ => (false, words),
    };
    if let [w] = words
        && let Some((int, frac)) = w.split_once('.')
        && all_digits(int)
        && all_digits(frac)
    {
        return Some(Decimal {
            negative,
            int: int.parse().ok()?,
            frac: frac.to_string(),
        });
    }
    let (int_words, frac_words) = match words.iter().position(|w| *w == "point") {
        Some(p) => (&words[..p], Some(&words[p + 1..])),
        None => (words, None),
    };
    let int = if int_words.is_empty() && frac_words.is_some() {
        0
    } else {
        cardinal(int_words)?
    };
    let frac = match frac_words {
        None => String::new(),
        Some(f) => {
            let digits = digit_string(f)?;
            if digits.is_empty() {
                return None;
            }
            digits
        }
    };
    Some(Decimal {
        negative,
        int,
        frac,
    })
}

/// A string of digits said one by one: digit words, numerals (`"4 5"`,
/// `"45"`), and `double`/`triple` before a digit. Empty input gives `None`.
pub(crate) fn digit_string(words: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let times = match *w {
            "double" => 2,
            "triple" => 3,
            _ => 1,
        };
        if times > 1 {
            let d = words.get(i + 1).and_then(|n| digit(n))?;
            for _ in 0..times {
                out.push(char::from(b'0' + d));
            }
            i += 2;
        } else if all_digits(w) {
            out.push_str(w);
            i += 1;
        } else {
            out.push(char::from(b'0' + digit(w)?));
            i += 1;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// An ordinal such as `first`, `twenty first`, `thirtieth`, or a numeral
/// with an optional suffix (`15`, `15 th`, `1 st`), or a plain cardinal
/// (`fifteen`), as days of the month are said.
pub(crate) fn ordinal(words: &[&str]) -> Option<u64> {
    fn single(w: &str) -> Option<u64> {
        Some(match w {
            "first" => 1,
            "second" => 2,
            "third" => 3,
            "fourth" => 4,
            "fifth" => 5,
            "sixth" => 6,
            "seventh" => 7,
            "eighth" => 8,
            "ninth" => 9,
            "tenth" => 10,
            "eleventh" => 11,
            "twelfth" => 12,
            "thirteenth" => 13,
            "fourteenth" => 14,
            "fifteenth" => 15,
            "sixteenth" => 16,
            "seventeenth" => 17,
            "eighteenth" => 18,
            "nineteenth" => 19,
            "twentieth" => 20,
            "thirtieth" => 30,
            "fortieth" => 40,
            "fiftieth" => 50,
            _ => return None,
        })
    }
    match words {
        [w] if all_digits(w) => w.parse().ok(),
        [w, "st" | "nd" | "rd" | "th"] if all_digits(w) => w.parse().ok(),
        [w] => single(w).or_else(|| cardinal(words)),
        [tens, unit] => match (class(tens), single(unit)) {
            (Some(Class::Tens(t)), Some(u @ 1..=9)) => Some(t + u),
            _ => cardinal(words),
        },
        _ => cardinal(words),
    }
}

/// A year: a four-digit numeral, a cardinal from 1000 to 2999 (`two
/// thousand and five`), or the paired form (`nineteen ninety nine`,
/// `nineteen oh five`, `twenty twenty four`, `nineteen hundred`).
pub(crate) fn year(words: &[&str]) -> Option<u32> {
    if let [w] = words
        && w.len() == 4
        && all_digits(w)
    {
        return w.parse().ok();
    }
    if let Some(v) = cardinal(words)
        && (1000..=2999).contains(&v)
    {
        return u32::try_from(v).ok();
    }
    // Paired form: a first half of 10-99 said as one chunk, then the second half.
    for split in 1..words.len() {
        let (first, second) = words.split_at(split);
        let Some(hi) = cardinal(first).filter(|v| (10..=99).contains(v)) else {
            continue;
        };
        let lo = match second {
            ["hundred"] => Some(0),
            ["oh" | "o" | "zero", d] => digit(d).map(u64::from).filter(|d| *d > 0),
            _ => cardinal(second).filter(|v| (10..=99).contains(v)),
        };
        if let Some(lo) = lo {
            return u32::try_from(hi * 100 + lo).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn cardinals_read_as_said() {
        let cases = [
            ("zero", 0),
            ("seven", 7),
            ("twenty three", 23),
            ("one hundred", 100),
            ("a hundred and five", 105),
            ("one hundred twenty", 120),
            ("twelve hundred", 1200),
            ("two thousand and five", 2005),
            ("three million four hundred thousand", 3_400_000),
            ("a thousand", 1000),
            ("4711", 4711),
        ];
        for (text, want) in cases {
            assert_eq!(cardinal(&w(text)), Some(want), "{text}");
        }
    }

    #[test]
    fn word_salad_is_not_a_cardinal() {
        for text in [
            "two three",
            "twenty thirty",
            "thirteen five",
            "hundred",
            "one hundred hundred",
            "two thousand three million",
            "and five",
            "five and",
            "a",
            "a five",
            "zero zero",
            "three twenty",
            "",
        ] {
            assert_eq!(cardinal(&w(text)), None, "{text}");
        }
    }

    #[test]
    fn cardinals_do_not_overflow() {
        let many = "nine hundred ninety nine billion ".repeat(3);
        assert_eq!(cardinal(&w(&many)), None);
        assert_eq!(cardinal(&["99999999999999999999999"]), None);
    }

    #[test]
    fn numbers_take_a_sign_and_a_fraction() {
        let n = number(&w("minus three point five")).expect("parses");
        assert_eq!(n.to_json(), serde_json::json!(-3.5));
        assert_eq!(
            number(&w("point two five")).map(|n| n.to_json()),
            Some(serde_json::json!(0.25))
        );
        assert_eq!(
            number(&["3.5"]).map(|n| n.to_json()),
            Some(serde_json::json!(3.5))
        );
        assert_eq!(
            number(&w("forty two")).map(|n| n.to_json()),
            Some(serde_json::json!(42))
        );
        assert_eq!(number(&w("three point")), None);
        assert_eq!(number(&w("minus")), None);
    }

    #[test]
    fn digit_strings_expand_double_and_triple() {
        assert_eq!(digit_string(&w("one two oh")), Some("120".into()));
        assert_eq!(
            digit_string(&w("double four triple 2 9")),
            Some("442229".into())
        );
        assert_eq!(digit_string(&w("12 34")), Some("1234".into()));
        assert_eq!(digit_string(&w("double")), None);
        assert_eq!(digit_string(&w("one twenty")), None);
        assert_eq!(digit_string(&[]), None);
    }

    #[test]
    fn ordinals_and_days() {
        assert_eq!(ordinal(&w("first")), Some(1));
        assert_eq!(ordinal(&w("twenty first")), Some(21));
        assert_eq!(ordinal(&w("thirtieth")), Some(30));
        assert_eq!(ordinal(&w("15 th")), Some(15));
        assert_eq!(ordinal(&w("fifteen")), Some(15));
        assert_eq!(ordinal(&w("first second")), None);
    }

    #[test]
    fn years_in_their_spoken_forms() {
        assert_eq!(year(&w("nineteen ninety nine")), Some(1999));
        assert_eq!(year(&w("nineteen oh five")), Some(1905));
        assert_eq!(year(&w("twenty twenty four")), Some(2024));
        assert_eq!(year(&w("nineteen hundred")), Some(1900));
        assert_eq!(year(&w("two thousand and five")), Some(2005));
        assert_eq!(year(&["2024"]), Some(2024));
        assert_eq!(year(&w("twenty four")), None);
        assert_eq!(year(&w("five")), None);
    }
}
