//! XML from outside — VoiceXML documents, `<data>` documents, SRGS
//! grammars — parsed within a budget, so that a small text cannot become a
//! large tree.
//!
//! roxmltree already refuses entity loops and bounds the nodes it makes,
//! but an internal DTD subset can still turn 100 KB into hundreds of
//! megabytes of text while every single reference stays small (each entity
//! ten times the one before, a few levels deep). So before roxmltree sees
//! the text, [`parse`] reads the internal subset's entity declarations,
//! works out how long each one expands to, and adds that up over every
//! reference in the document; past the budget the text is refused with the
//! position of the reference that crossed it. The budget is relative to the
//! text's size with a floor (small documents may use entities freely) and a
//! ceiling (no document may expand past it, whatever its size).

use std::collections::HashMap;

use roxmltree::{Document, ParsingOptions, TextPos};

/// However small the text, its entities may expand to this much.
const EXPANSION_FLOOR: u64 = 1024 * 1024;
/// How many times its own size a text may grow by entity expansion.
const EXPANSION_FACTOR: u64 = 16;
/// However large the text, its entities never expand past this.
const EXPANSION_CEILING: u64 = 64 * 1024 * 1024;

/// Why an XML text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed (or over roxmltree's own limits).
    #[error("{0}")]
    Syntax(#[from] roxmltree::Error),
    /// Its entity references expand past the budget.
    #[error(
        "its entity references expand to more than {limit} bytes (a text of {size} bytes may expand to at most {limit})"
    )]
    Expansion {
        /// Where the reference that crossed the budget is.
        pos: TextPos,
        /// The text's own size.
        size: usize,
        /// The budget.
        limit: u64,
    },
}

impl XmlError {
    /// Where the problem is (1-based line and column).
    pub fn pos(&self) -> TextPos {
        match self {
            XmlError::Syntax(e) => e.pos(),
            XmlError::Expansion { pos, .. } => *pos,
        }
    }
}

/// The expansion budget of a text of `size` bytes.
pub fn expansion_budget(size: usize) -> u64 {
    (size as u64)
        .saturating_mul(EXPANSION_FACTOR)
        .clamp(EXPANSION_FLOOR, EXPANSION_CEILING)
}

/// Parses `text` (DTDs allowed, as real pages carry them) with at most
/// `max_nodes` nodes, after checking its entity expansion against the
/// budget for its size.
pub fn parse(text: &str, max_nodes: u32) -> Result<Document<'_>, XmlError> {
    check_expansion(text, expansion_budget(text.len()))?;
    let options = ParsingOptions {
        allow_dtd: true,
        nodes_limit: max_nodes,
        ..ParsingOptions::default()
    };
    Ok(Document::parse_with_options(text, options)?)
}

/// Refuses `text` when its entity references expand to more than `limit`
/// bytes in all. A text without an internal DTD subset has nothing to
/// expand but the five predefined entities and character references, one
/// character each.
pub fn check_expansion(text: &str, limit: u64) -> Result<(), XmlError> {
    let Some((subset, body_start)) = internal_subset(text) else {
        return Ok(());
    };
    let declared = declarations(subset);
    if declared.is_empty() {
        return Ok(());
    }
    let mut sizes = Sizes {
        declared: &declared,
        known: HashMap::new(),
    };
    let mut total: u64 = 0;
    for (offset, name) in references(&text[body_start..], '&') {
        total = total.saturating_add(sizes.of(name, 0));
        if total > limit {
            return Err(XmlError::Expansion {
                pos: position(text, body_start + offset),
                size: text.len(),
                limit,
            });
        }
    }
    Ok(())
}

/// The internal subset of a `<!DOCTYPE … [ … ]>` and where the text after
/// the doctype starts, when there is one.
fn internal_subset(text: &str) -> Option<(&str, usize)> {
    let doctype = text.find("<!DOCTYPE")?;
    let open = doctype + text[doctype..].find('[')?;
    // The subset ends at the first `]` outside a quoted literal.
    let mut quote = None;
    for (i, c) in text[open + 1..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ']') => {
                let end = open + 1 + i;
                return Some((&text[open + 1..end], end + 1));
            }
            (None, _) => {}
        }
    }
    None
}

/// The entity declarations of an internal subset: name (parameter entities
/// with their `%`) and literal value. External entities are never read, so
/// they expand to nothing and are left out.
fn declarations(subset: &str) -> HashMap<String, &str> {
    let mut out = HashMap::new();
    let mut rest = subset;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = rest[at + "<!ENTITY".len()..].trim_start();
        let parameter = rest.starts_with('%');
        if parameter {
            rest = rest[1..].trim_start();
        }
        let name_len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        let name = &rest[..name_len];
        rest = rest[name_len..].trim_start();
        let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(close) = rest[1..].find(q) else {
            break;
        };
        let value = &rest[1..1 + close];
        rest = &rest[1 + close + 1..];
        let key = if parameter {
            format!("%{name}")
        } else {
            name.to_string()
        };
        out.entry(key).or_insert(value);
    }
    out
}

/// The `&name;` (or `%name;`) references in `text`, with their offsets;
/// character references (`&#…;`) are not entities and are skipped.
fn references(text: &str, sigil: char) -> impl Iterator<Item = (usize, &str)> {
    text.match_indices(sigil).filter_map(move |(at, _)| {
        let rest = &text[at + 1..];
        let end = rest.find(';')?;
        let name = &rest[..end];
        let is_name = !name.is_empty()
            && !name.starts_with('#')
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        is_name.then_some((at, name))
    })
}

/// Expanded sizes, worked out once per entity.
struct Sizes<'a> {
    declared: &'a HashMap<String, &'a str>,
    known: HashMap<String, u64>,
}

impl Sizes<'_> {
    /// How long the general entity `name` expands to. Undeclared names (the
    /// predefined five, or errors roxmltree will report) count one byte; so
    /// does a reference nested past any sane depth (a loop, which roxmltree
    /// refuses anyway).
    fn of(&mut self, name: &str, depth: usize) -> u64 {
        if let Some(n) = self.known.get(name) {
            return *n;
        }
        let Some(value) = self.declared.get(name).copied() else {
            return 1;
        };
        if depth > 32 {
            return 1;
        }
        // The literal text, each reference replaced by what it expands to.
        let mut size = value.len() as u64;
        let inner: Vec<(String, usize)> = references(value, '&')
            .map(|(_, n)| (n.to_string(), n.len()))
            .chain(references(value, '%').map(|(_, p)| (format!("%{p}"), p.len())))
            .collect();
        for (name, len) in inner {
            size = size
                .saturating_sub(len as u64 + 2)
                .saturating_add(self.of(&name, depth + 1));
        }
        self.known.insert(name.to_string(), size);
        size
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> TextPos {
    let before = &text[..offset.min(text.len())];
    let row = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before, |nl| &before[nl + 1..]);
    TextPos::new(row as u32, col.chars().count() as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten levels of "ten of the one before": 10^k bytes at level k.
    fn laughs(levels: usize, uses: usize) -> String {
        let mut dtd = String::from("<!ENTITY l0 \"xxxxxxxxxx\">\n");
        for k in 1..levels {
            dtd += &format!(
                "<!ENTITY l{k} \"{}\">\n",
                format!("&l{};", k - 1).repeat(10)
            );
        }
        let top = format!("&l{};", levels - 1);
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE vxml [\n{dtd}]>\n<vxml>\n  <form><block>{}</block></form>\n</vxml>\n",
            top.repeat(uses)
        )
    }

    #[test]
    fn an_expansion_under_the_budget_parses() {
        let text = laughs(3, 2); // 2 × 1,000 bytes
        let doc = parse(&text, 1_000).expect("parses");
        let block = doc
            .descendants()
            .find(|n| n.has_tag_name("block"))
            .expect("block");
        assert_eq!(block.text().map(str::len), Some(2_000));
    }

    #[test]
    fn an_expansion_past_the_budget_is_refused_at_the_crossing_reference() {
        // 10^6 bytes a reference: the second crosses the 1 MiB floor.
        let text = laughs(6, 3);
        let e = parse(&text, 1_000).expect_err("refused");
        let XmlError::Expansion { pos, size, limit } = &e else {
            panic!("{e:?}");
        };
        assert_eq!((*size, *limit), (text.len(), EXPANSION_FLOOR));
        let line = text.lines().nth(pos.row as usize - 1).expect("line");
        assert!(line.contains("<block>"), "{line}");
        // The first reference (10^6 bytes) fits; the second crosses.
        assert_eq!(pos.col as usize, line.find("&l5;").expect("ref") + 1 + 4);
        assert!(
            e.to_string().contains("expand to more than 1048576 bytes"),
            "{e}"
        );
    }

    #[test]
    fn parameter_entities_and_quotes_are_counted() {
        let text = "<!DOCTYPE a [\n<!ENTITY % p \"<!-- ] -->\">\n<!ENTITY big '&#120;0123456789'>\n<!ENTITY twice \"&big;&big;\">\n]>\n<a>&twice;&amp;&#65;</a>";
        let declared = declarations(internal_subset(text).expect("subset").0);
        assert_eq!(declared.get("%p"), Some(&"<!-- ] -->"));
        let mut sizes = Sizes {
            declared: &declared,
            known: HashMap::new(),
        };
        assert_eq!(sizes.of("big", 0), 16);
        assert_eq!(sizes.of("twice", 0), 32);
        assert_eq!(sizes.of("amp", 0), 1);
        assert!(check_expansion(text, 33).is_ok());
        assert!(check_expansion(text, 32).is_err());
    }

    #[test]
    fn the_budget_grows_with_the_text_between_a_floor_and_a_ceiling() {
        assert_eq!(expansion_budget(10), EXPANSION_FLOOR);
        assert_eq!(expansion_budget(1_000_000), 16_000_000);
        assert_eq!(expansion_budget(100_000_000), EXPANSION_CEILING);
    }

    #[test]
    fn texts_without_a_subset_are_not_scanned() {
        assert!(check_expansion("<a>&amp;&lt;</a>", 0).is_ok());
        assert!(parse("<a>&unknown;</a>", 10).is_err());
    }
}
