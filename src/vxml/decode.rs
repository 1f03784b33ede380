//! Bytes to text for XML documents: UTF-8 (with or without BOM), UTF-16 with
//! a BOM, and the single-byte encodings VoiceXML servers still declare
//! (ISO-8859-1, US-ASCII, windows-1252).
//!
//! `roxmltree` only reads `&str`, so the declared encoding is honoured here.

use std::borrow::Cow;

/// The document's text, or why it cannot be decoded (with the byte offset of
/// the problem when there is one).
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, (String, usize)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest).map(Cow::Borrowed).map_err(|(m, at)| (m, at + 3));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    let declared = declared_encoding(bytes).map(|e| e.to_ascii_lowercase());
    match declared.as_deref() {
        None | Some("utf-8" | "utf8") => utf8(bytes).map(Cow::Borrowed),
        Some("iso-8859-1" | "latin1" | "latin-1" | "iso_8859-1" | "us-ascii" | "ascii") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()))
        }
        Some("windows-1252" | "cp1252") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect()))
        }
        Some(other) => Err((format!("unsupported encoding `{other}`"), 0)),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, (String, usize)> {
    std::str::from_utf8(bytes).map_err(|e| {
        (
            "the document is not valid UTF-8 (declare its encoding in the XML declaration)".into(),
            e.valid_up_to(),
        )
    })
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, (String, usize)> {
    let units = bytes.chunks(2).map(|c| match c {
        [a, b] => unit([*a, *b]),
        // An odd trailing byte: not a code unit; decode it as an error.
        _ => 0xDC00,
    });
    char::decode_utf16(units)
        .enumerate()
        .map(|(i, r)| r.map_err(|_| ("invalid UTF-16".to_string(), 2 + 2 * i)))
        .collect()
}

/// The `encoding` of an XML declaration at the very start of the bytes.
fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = bytes.strip_prefix(b"<?xml")?;
    let end = head.windows(2).take(512).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    Some(&value[..value.find(quote)?])
}

/// windows-1252 differs from ISO-8859-1 only in 0x80–0x9F.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("<a>é</a>".as_bytes()).unwrap(), "<a>é</a>");
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        let (msg, at) = decode(b"<a>\xFF</a>").unwrap_err();
        assert!(msg.contains("UTF-8"), "{msg}");
        assert_eq!(at, 3);
    }

    #[test]
    fn latin1_and_cp1252_declared() {
        let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9</a>";
        assert!(decode(latin).unwrap().ends_with("<a>é</a>"));
        let cp = b"<?xml version='1.0' encoding='windows-1252'?><a>\x80</a>";
        assert!(decode(cp).unwrap().ends_with("<a>€</a>"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "<a>é</a>".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&bytes).unwrap(), "<a>é</a>");
        bytes.push(b'x');
        assert!(decode(&bytes).is_err());
    }

    #[test]
    fn unknown_encoding_is_refused() {
        let (msg, _) = decode(b"<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>").unwrap_err();
        assert!(msg.contains("ebcdic"), "{msg}");
    }
}
