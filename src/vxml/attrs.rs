//! Attribute value grammars of VoiceXML that are not plain strings.

use std::time::Duration;

/// A CSS2 time designation as VoiceXML uses it for `fetchtimeout`, `timeout`,
/// `maxtime`…: a non-negative real number followed by `s` or `ms`
/// (`"7s"`, `"500ms"`, `"2.5s"`). This is not the configuration file's
/// duration syntax (`config::parse_duration` takes `1h 30m` and no fractions),
/// hence its own parser.
pub fn parse_time(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else {
        (s.strip_suffix('s')?, 1.0)
    };
    let valid = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().filter(|&c| c == '.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Duration::try_from_secs_f64(value * scale).ok()
}

/// `true` / `false`, as VoiceXML boolean attributes are written.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A whitespace-separated list of names (`namelist`, catch `event`).
pub fn parse_list(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_designations() {
        assert_eq!(parse_time("7s"), Some(Duration::from_secs(7)));
        assert_eq!(parse_time("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_time(" 2.5s "), Some(Duration::from_millis(2500)));
        assert_eq!(parse_time("0s"), Some(Duration::ZERO));
        for bad in [
            "", "s", "ms", "7", "-1s", "1.2.3s", "1e3s", "five s", ".s", "1h",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        // Absurdly large values are refused, not a panic.
        assert_eq!(parse_time(&format!("{}s", "9".repeat(400))), None);
    }

    #[test]
    fn booleans_and_lists() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_list(" a  b\tc "), vec!["a", "b", "c"]);
    }
}
