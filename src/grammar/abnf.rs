//! The SRGS 1.0 ABNF form (SRGS §4) compiled into the same [`Grammar`] as
//! the XML form, so one matcher and one cache entry type serve both.
//!
//! What is read: the self-identifying header (`#ABNF 1.0 [encoding];`),
//! the `language`, `mode`, `root`, `tag-format`, `base`, `lexicon`, `meta`
//! and `http-equiv` declarations and header tags; rules
//! (`[public|private] $name = …;`); alternatives (`|`) with weights
//! (`/2.5/`, read past like the XML `weight`); sequences; `( … )` groups,
//! `[ … ]` optionals and `<m-n>`/`<m->`/`<m>` repeats (with a repeat
//! probability, read past); tokens bare or `"quoted"`; `{tag}` and
//! `{!{ tag }!}`; references `$rule`, `$<uri>`, `$<uri#rule>` (a
//! `~<media-type>` after one is read past) and `$NULL`/`$VOID`/`$GARBAGE`;
//! `!lang` attachments (read past); `//` and `/* */` comments.
//!
//! Errors carry the line and column in the grammar's text (for an inline
//! grammar, in its document).

use std::collections::HashMap;

use url::Url;

use super::builder::{self, Builder, Header, Target};
use super::builtin::Builtin;
use super::error::{Cause, GrammarError, Pos};
use super::model::{Grammar, Mode, Node, NodeId, RuleId, TagFormat};
use super::srgs::MAX_DEPTH;
use super::tokens;
use crate::fetch::location;

/// The most lexical tokens a grammar may have: a bound on the work one
/// grammar can ask for, like the XML form's node limit.
const MAX_TOKENS: usize = 200_000;

/// Whether `text` is an ABNF grammar: it identifies itself with `#ABNF`.
pub(crate) fn is_abnf(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("#ABNF")
}

/// Compiles ABNF `text` found at `url`, whose references resolve against
/// `base` (`url`, or the `xml:base` of the document it is inline in) until a
/// `base` declaration says otherwise; `origin` is where the text starts in
/// its document (1:1 for a fetched grammar).
pub(crate) fn compile(
    text: &str,
    url: &Url,
    base: &Url,
    mode_hint: Option<Mode>,
    origin: Pos,
) -> Result<Grammar, GrammarError> {
    let lexed = lex(text).map_err(|(at, msg)| GrammarError::Invalid {
        url: url.to_string(),
        at: at.offset_by(origin),
        cause: Cause::Abnf(msg),
    })?;
    let mut p = Parser {
        toks: lexed,
        i: 0,
        url,
        origin,
        base: base.clone(),
        mode: mode_hint.unwrap_or(Mode::Voice),
        names: HashMap::new(),
        b: Builder::default(),
    };
    p.compile()
}

// ----- lexing ----------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// The header's `#ABNF 1.0 …` up to its `;` (without it).
    Header(String),
    Word(String),
    Quoted(String),
    /// `$name`.
    RuleRef(String),
    /// `$<uri>`.
    UriRef(String),
    /// `{…}` or `{!{…}!}`: the tag's text.
    Tag(String),
    /// `<…>`: a repeat in a rule, a URI or media type in a declaration.
    Angle(String),
    /// `/…/`: a weight or probability.
    Slash(String),
    /// `!lang` attached to the previous item.
    Lang,
    Sym(char),
}

type Lexed = Vec<(Tok, Pos)>;

fn lex(text: &str) -> Result<Lexed, (Pos, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Lexed = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    // Advances over `n` characters, keeping line and column.
    let step = |i: &mut usize, line: &mut u32, col: &mut u32, n: usize| {
        for _ in 0..n {
            if chars.get(*i) == Some(&'\n') {
                *line += 1;
                *col = 1;
            } else {
                *col += 1;
            }
            *i += 1;
        }
    };
    if chars.first() == Some(&'\u{feff}') {
        i = 1;
    }
    // Everything up to the closing delimiter, as text.
    let until = |from: usize, close: &str| -> Option<(String, usize)> {
        let close: Vec<char> = close.chars().collect();
        let mut j = from;
        while j + close.len() <= chars.len() {
            if chars[j..j + close.len()] == close[..] {
                return Some((chars[from..j].iter().collect(), j + close.len() - from));
            }
            j += 1;
        }
        None
    };
    while i < chars.len() {
        if out.len() > MAX_TOKENS {
            return Err((
                Pos::new(line, col),
                format!("more than {MAX_TOKENS} tokens"),
            ));
        }
        let c = chars[i];
        let at = Pos::new(line, col);
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            step(&mut i, &mut line, &mut col, 1);
            continue;
        }
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                step(&mut i, &mut line, &mut col, 1);
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let Some((_, n)) = until(i + 2, "*/") else {
                return Err((at, "a /* comment is not closed".into()));
            };
            step(&mut i, &mut line, &mut col, n + 2);
            continue;
        }
        if out.is_empty() {
            // The self-identifying header comes first, before anything else.
            if c != '#' {
                return Err((at, "an ABNF grammar starts with `#ABNF 1.0;`".into()));
            }
            let Some((h, n)) = until(i, ";") else {
                return Err((at, "the `#ABNF` header has no `;`".into()));
            };
            out.push((Tok::Header(h), at));
            step(&mut i, &mut line, &mut col, n);
            continue;
        }
        match c {
            '"' => {
                let Some((s, n)) = until(i + 1, "\"") else {
                    return Err((at, "a quoted token is not closed".into()));
                };
                out.push((Tok::Quoted(s), at));
                step(&mut i, &mut line, &mut col, n + 1);
            }
            '{' => {
                let (s, n) = if next == Some('!') && chars.get(i + 2) == Some(&'{') {
                    until(i + 3, "}!}")
                        .map(|(s, n)| (s, n + 3))
                        .ok_or((at, "a {!{ tag is not closed with }!}".to_string()))?
                } else {
                    let n = balanced(&chars[i..]).ok_or((at, "a tag is not closed".to_string()))?;
                    (chars[i + 1..i + n - 1].iter().collect(), n)
                };
                out.push((Tok::Tag(s), at));
                step(&mut i, &mut line, &mut col, n);
            }
            '<' => {
                let Some((s, n)) = until(i + 1, ">") else {
                    return Err((at, "a `<` is not closed with `>`".into()));
                };
                out.push((Tok::Angle(s), at));
                step(&mut i, &mut line, &mut col, n + 1);
            }
            '/' => {
                let Some((s, n)) = until(i + 1, "/") else {
                    return Err((at, "a weight `/` is not closed".into()));
                };
                out.push((Tok::Slash(s), at));
                step(&mut i, &mut line, &mut col, n + 1);
            }
            '$' if next == Some('<') => {
                let Some((s, n)) = until(i + 2, ">") else {
                    return Err((at, "a `$<` reference is not closed with `>`".into()));
                };
                out.push((Tok::UriRef(s), at));
                step(&mut i, &mut line, &mut col, n + 2);
                // A media type (`~<application/srgs>`) is read past.
                if chars.get(i) == Some(&'~') && chars.get(i + 1) == Some(&'<') {
                    let Some((_, n)) = until(i + 2, ">") else {
                        return Err((Pos::new(line, col), "a `~<` is not closed".into()));
                    };
                    step(&mut i, &mut line, &mut col, n + 2);
                }
            }
            '$' => {
                let n = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
                    .count();
                if n == 0 {
                    return Err((at, "`$` is not followed by a rule name".into()));
                }
                let name = chars[i + 1..i + 1 + n].iter().collect();
                out.push((Tok::RuleRef(name), at));
                step(&mut i, &mut line, &mut col, n + 1);
            }
            '!' => {
                let n = 1 + chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '-')
                    .count();
                out.push((Tok::Lang, at));
                step(&mut i, &mut line, &mut col, n);
            }
            ';' | '|' | '(' | ')' | '[' | ']' | '=' => {
                out.push((Tok::Sym(c), at));
                step(&mut i, &mut line, &mut col, 1);
            }
            _ => {
                let n = chars[i..]
                    .iter()
                    .take_while(|c| !c.is_whitespace() && !is_reserved(**c))
                    .count()
                    .max(1);
                out.push((Tok::Word(chars[i..i + n].iter().collect()), at));
                step(&mut i, &mut line, &mut col, n);
            }
        }
    }
    Ok(out)
}

fn is_reserved(c: char) -> bool {
    matches!(
        c,
        ';' | '|' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '$' | '"' | '=' | '/' | '!'
    )
}

/// The length of a `{…}` tag starting at `chars[0]`, braces balanced and
/// ECMAScript string literals skipped (a liberal reading: SRGS ends a plain
/// tag at its first `}`, and every grammar that does so reads the same).
fn balanced(chars: &[char]) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == '\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

// ----- parsing ---------------------------------------------------------------------

struct Parser<'a> {
    toks: Lexed,
    i: usize,
    url: &'a Url,
    origin: Pos,
    base: Url,
    mode: Mode,
    names: HashMap<String, RuleId>,
    b: Builder,
}

type Res<T> = Result<T, GrammarError>;

impl Parser<'_> {
    fn compile(&mut self) -> Res<Grammar> {
        let (header, at) = match self.toks.first() {
            Some((Tok::Header(h), at)) => (h.clone(), *at),
            _ => return Err(self.err_at(Pos::START, "an ABNF grammar starts with `#ABNF 1.0;`")),
        };
        self.i = 1;
        let mut words = header.split_whitespace();
        words.next();
        if words.next() != Some("1.0") {
            return Err(self.err_at(at, "the header is `#ABNF 1.0 [encoding];`"));
        }

        // Declarations, then rules.
        let mut lang = None;
        let mut root_name: Option<(String, Pos)> = None;
        let mut tag_format = TagFormat::Script;
        let mut header_tags = Vec::new();
        while let Some((tok, at)) = self.peek().cloned() {
            match tok {
                Tok::Word(w) if w == "language" => {
                    self.i += 1;
                    lang = Some(self.word("a language tag")?.into_boxed_str());
                }
                Tok::Word(w) if w == "mode" => {
                    self.i += 1;
                    let m = self.word("voice or dtmf")?;
                    self.mode = match m.as_str() {
                        "voice" => Mode::Voice,
                        "dtmf" => Mode::Dtmf,
                        _ => {
                            return Err(
                                self.err_at(at, format!("mode {m}: expected voice or dtmf"))
                            );
                        }
                    };
                }
                Tok::Word(w) if w == "root" => {
                    self.i += 1;
                    match self.next() {
                        Some((Tok::RuleRef(name), at)) => root_name = Some((name, at)),
                        _ => return Err(self.err_at(at, "`root` names a rule: `root $name;`")),
                    }
                }
                Tok::Word(w) if w == "tag-format" => {
                    self.i += 1;
                    let v = self.angle_or_word("a tag format")?;
                    if v.trim().ends_with("-literals") {
                        tag_format = TagFormat::Literals;
                    }
                }
                Tok::Word(w) if w == "base" => {
                    self.i += 1;
                    let v = self.angle_or_word("a base URI")?;
                    self.base = location::effective_base(&self.base, Some(v.trim()))
                        .map_err(|e| self.err_at(at, format!("base <{v}>: {e}")))?;
                }
                Tok::Word(w) if w == "lexicon" => {
                    self.i += 1;
                    self.angle_or_word("a lexicon URI")?;
                }
                Tok::Word(w) if w == "meta" || w == "http-equiv" => {
                    self.i += 1;
                    self.quoted("a quoted name")?;
                    if !matches!(self.next(), Some((Tok::Word(ref is), _)) if is == "is") {
                        return Err(self.err_at(at, format!("{w} \"name\" is \"value\";")));
                    }
                    self.quoted("a quoted value")?;
                }
                Tok::Tag(t) => {
                    self.i += 1;
                    let at = self.pos(at);
                    header_tags.push(self.b.tag(&t, at));
                }
                _ => break,
            }
            self.semi()?;
        }

        // Declare every rule first: references may point forward.
        let mut bodies = Vec::new();
        while let Some((tok, at)) = self.next() {
            let (public, name_tok) = match tok {
                Tok::Word(w) if w == "public" || w == "private" => (w == "public", self.next()),
                other => (false, Some((other, at))),
            };
            let Some((Tok::RuleRef(name), at)) = name_tok else {
                return Err(self.err_at(at, "expected a rule: `[public] $name = …;`"));
            };
            if matches!(name.as_str(), "NULL" | "VOID" | "GARBAGE") {
                return Err(self.err_at(at, format!("${name} is a special rule")));
            }
            if !matches!(self.next(), Some((Tok::Sym('='), _))) {
                return Err(self.err_at(at, format!("${name} is not followed by `=`")));
            }
            let rule_at = self.pos(at);
            let rid = self.b.rule(&name, public, rule_at);
            if self.names.insert(name.clone(), rid).is_some() {
                return Err(GrammarError::Invalid {
                    url: self.url.to_string(),
                    at: self.pos(at),
                    cause: Cause::DuplicateRule(name),
                });
            }
            let body_start = self.i;
            self.skip_to_semi(at)?;
            bodies.push((rid, body_start));
        }
        for (rid, body_start) in bodies {
            self.i = body_start;
            let body = self.alternatives(1)?;
            match self.next() {
                Some((Tok::Sym(';'), _)) => {}
                Some((_, at)) => return Err(self.err_at(at, "unexpected symbol in a rule")),
                None => return Err(self.err_at(Pos::START, "a rule has no `;`")),
            }
            self.b.set_body(rid, body);
        }

        // Without `root`, the first public rule (else the first rule) is
        // the root, as the XML form and most platforms have it.
        let (root, root_missing) = match root_name {
            Some((name, at)) => match self.names.get(&name) {
                Some(&r) => (r, None),
                None => {
                    return Err(GrammarError::Invalid {
                        url: self.url.to_string(),
                        at: self.pos(at),
                        cause: Cause::MissingRoot(name),
                    });
                }
            },
            None => match self.b.default_root() {
                Some(r) => (r, Some(self.pos(at))),
                None => {
                    return Err(GrammarError::Invalid {
                        url: self.url.to_string(),
                        at: self.pos(Pos::START),
                        cause: Cause::NoRules,
                    });
                }
            },
        };
        std::mem::take(&mut self.b).finish(Header {
            url: self.url.clone(),
            mode: self.mode,
            tag_format,
            lang,
            root,
            root_missing,
            header_tags,
        })
    }

    // ----- rule expansions -----

    /// `a | /2/ b | c`.
    fn alternatives(&mut self, depth: usize) -> Res<NodeId> {
        let at = self.here();
        if depth > MAX_DEPTH {
            return Err(GrammarError::Invalid {
                url: self.url.to_string(),
                at,
                cause: Cause::TooDeep(MAX_DEPTH),
            });
        }
        let mut alts = vec![self.sequence(depth)?];
        while matches!(self.peek(), Some((Tok::Sym('|'), _))) {
            self.i += 1;
            alts.push(self.sequence(depth)?);
        }
        Ok(if alts.len() == 1 {
            alts[0]
        } else {
            self.b.node(Node::Alt(alts.into()))
        })
    }

    /// Items up to `|`, `;`, `)` or `]`; an alternative's weight first.
    fn sequence(&mut self, depth: usize) -> Res<NodeId> {
        if let Some((Tok::Slash(w), at)) = self.peek().cloned() {
            if w.trim()
                .parse::<f64>()
                .map_or(true, |w| !w.is_finite() || w < 0.0)
            {
                return Err(self.err_at(at, format!("/{w}/ is not a weight")));
            }
            self.i += 1;
        }
        let mut parts: Vec<NodeId> = Vec::new();
        while let Some((tok, at)) = self.peek().cloned() {
            let node = match tok {
                Tok::Sym('|' | ';' | ')' | ']') => break,
                Tok::Sym('(') => {
                    self.i += 1;
                    let n = self.alternatives(depth + 1)?;
                    self.close(')', at)?;
                    n
                }
                Tok::Sym('[') => {
                    self.i += 1;
                    let body = self.alternatives(depth + 1)?;
                    self.close(']', at)?;
                    self.b.node(Node::Repeat {
                        body,
                        min: 0,
                        max: Some(1),
                    })
                }
                Tok::Word(w) => {
                    self.i += 1;
                    self.words(&w, at)?
                }
                Tok::Quoted(w) => {
                    self.i += 1;
                    self.words(&w, at)?
                }
                Tok::RuleRef(name) => {
                    self.i += 1;
                    self.rule_ref(&name, at)?
                }
                Tok::UriRef(uri) => {
                    self.i += 1;
                    self.uri_ref(&uri, at)?
                }
                Tok::Tag(t) => {
                    self.i += 1;
                    let id = self.b.tag(&t, self.pos(at));
                    self.b.node(Node::Tag(id))
                }
                Tok::Angle(_) | Tok::Lang => {
                    return Err(self.err_at(at, "a repeat or language with no item before it"));
                }
                Tok::Slash(_) => {
                    return Err(self.err_at(at, "a weight goes before an alternative"));
                }
                Tok::Sym(c) => return Err(self.err_at(at, format!("unexpected `{c}`"))),
                Tok::Header(_) => return Err(self.err_at(at, "unexpected header")),
            };
            let node = self.postfix(node)?;
            parts.push(node);
        }
        Ok(match parts.len() {
            0 => self.b.node(Node::Null),
            1 => parts[0],
            _ => self.b.node(Node::Seq(parts.into())),
        })
    }

    /// `<m-n>` repeats and `!lang` attachments after an item.
    fn postfix(&mut self, mut node: NodeId) -> Res<NodeId> {
        loop {
            match self.peek().cloned() {
                Some((Tok::Angle(r), at)) => {
                    self.i += 1;
                    let Some((min, max)) = parse_repeat(&r) else {
                        return Err(GrammarError::Invalid {
                            url: self.url.to_string(),
                            at: self.pos(at),
                            cause: Cause::BadRepeat(r),
                        });
                    };
                    node = self.b.node(Node::Repeat {
                        body: node,
                        min,
                        max,
                    });
                }
                Some((Tok::Lang, _)) => self.i += 1,
                _ => return Ok(node),
            }
        }
    }

    fn words(&mut self, text: &str, at: Pos) -> Res<NodeId> {
        let toks = tokens::tokens(text, self.mode).map_err(|c| GrammarError::Invalid {
            url: self.url.to_string(),
            at: self.pos(at),
            cause: Cause::NotDtmf(c),
        })?;
        if toks.is_empty() {
            // Punctuation only: it says nothing, as in the XML form.
            return Ok(self.b.node(Node::Null));
        }
        let keys = toks.into_iter().map(|t| t.key).collect();
        Ok(self.b.node(Node::Words(keys)))
    }

    fn rule_ref(&mut self, name: &str, at: Pos) -> Res<NodeId> {
        let node = match name {
            "NULL" => Node::Null,
            "VOID" => Node::Void,
            "GARBAGE" => Node::Garbage,
            _ => match self.names.get(name) {
                Some(&r) => Node::Rule(r),
                None => {
                    return Err(GrammarError::Invalid {
                        url: self.url.to_string(),
                        at: self.pos(at),
                        cause: Cause::UndefinedRule(name.into()),
                    });
                }
            },
        };
        Ok(self.b.node(node))
    }

    fn uri_ref(&mut self, uri: &str, at: Pos) -> Res<NodeId> {
        let uri = uri.trim();
        if let Some(name) = uri.strip_prefix('#') {
            return self.rule_ref(name, at);
        }
        if uri.starts_with("builtin:") {
            let b = Builtin::from_uri(uri).map_err(|reason| GrammarError::Invalid {
                url: self.url.to_string(),
                at: self.pos(at),
                cause: Cause::Builtin(reason),
            })?;
            if b.mode != self.mode {
                return Err(GrammarError::Invalid {
                    url: self.url.to_string(),
                    at: self.pos(at),
                    cause: Cause::ModeMismatch {
                        referrer: self.mode,
                        referenced: b.mode,
                    },
                });
            }
            let at = self.pos(at);
            return Ok(self.b.builtin(b, at));
        }
        let target = builder::target(&self.base, self.url, uri)
            .map_err(|e| self.err_at(at, format!("$<{uri}>: {e}")))?;
        match target {
            Target::Own(Some(name)) => self.rule_ref(&name, at),
            // Its root when unnamed is not known yet, so only named rules
            // of this very grammar may be referenced by URI.
            Target::Own(None) => Err(self.err_at(at, "a grammar cannot reference itself by URI")),
            Target::Other { url, rule } => {
                let at = self.pos(at);
                Ok(self.b.external(url, rule, at))
            }
        }
    }

    // ----- helpers -----

    fn peek(&self) -> Option<&(Tok, Pos)> {
        self.toks.get(self.i)
    }

    fn next(&mut self) -> Option<(Tok, Pos)> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    /// Where the next token is (or the last one, at the end), in the document.
    fn here(&self) -> Pos {
        let at = self
            .toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(Pos::START, |t| t.1);
        self.pos(at)
    }

    fn pos(&self, at: Pos) -> Pos {
        at.offset_by(self.origin)
    }

    fn err_at(&self, at: Pos, msg: impl Into<String>) -> GrammarError {
        GrammarError::Invalid {
            url: self.url.to_string(),
            at: self.pos(at),
            cause: Cause::Abnf(msg.into()),
        }
    }

    fn semi(&mut self) -> Res<()> {
        match self.next() {
            Some((Tok::Sym(';'), _)) => Ok(()),
            Some((_, at)) => Err(self.err_at(at, "expected `;` after a declaration")),
            None => Err(self.err_at(Pos::START, "a declaration has no `;`")),
        }
    }

    fn close(&mut self, c: char, open: Pos) -> Res<()> {
        match self.next() {
            Some((Tok::Sym(x), _)) if x == c => Ok(()),
            _ => Err(self.err_at(open, format!("not closed with `{c}`"))),
        }
    }

    fn skip_to_semi(&mut self, rule: Pos) -> Res<()> {
        while let Some((t, _)) = self.next() {
            if t == Tok::Sym(';') {
                return Ok(());
            }
        }
        Err(self.err_at(rule, "the rule has no `;`"))
    }

    fn word(&mut self, what: &str) -> Res<String> {
        match self.next() {
            Some((Tok::Word(w), _)) => Ok(w),
            Some((_, at)) => Err(self.err_at(at, format!("expected {what}"))),
            None => Err(self.err_at(Pos::START, format!("expected {what}"))),
        }
    }

    fn quoted(&mut self, what: &str) -> Res<String> {
        match self.next() {
            Some((Tok::Quoted(w), _)) => Ok(w),
            Some((_, at)) => Err(self.err_at(at, format!("expected {what}"))),
            None => Err(self.err_at(Pos::START, format!("expected {what}"))),
        }
    }

    fn angle_or_word(&mut self, what: &str) -> Res<String> {
        match self.next() {
            Some((Tok::Angle(w) | Tok::Word(w), _)) => Ok(w),
            Some((_, at)) => Err(self.err_at(at, format!("expected {what} in `<…>`"))),
            None => Err(self.err_at(Pos::START, format!("expected {what}"))),
        }
    }
}

/// `<m-n>`, `<m->`, `<m>`, each optionally followed by a repeat probability
/// (`<0-1 /0.6/>`), bounded by `srgs::MAX_REPEAT`.
fn parse_repeat(value: &str) -> Option<(u32, Option<u32>)> {
    let range = match value.split_once('/') {
        Some((r, prob)) => {
            let p = prob.trim().strip_suffix('/')?.trim().parse::<f64>().ok()?;
            if !(0.0..=1.0).contains(&p) {
                return None;
            }
            r
        }
        None => value,
    };
    super::srgs::parse_repeat(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_take_an_optional_probability() {
        assert_eq!(parse_repeat("0-1"), Some((0, Some(1))));
        assert_eq!(parse_repeat("2-"), Some((2, None)));
        assert_eq!(parse_repeat("3 /0.5/"), Some((3, Some(3))));
        assert_eq!(parse_repeat("1-2 /2/"), None);
        assert_eq!(parse_repeat("x"), None);
    }

    #[test]
    fn tags_balance_braces_and_skip_strings() {
        let t: Vec<char> = "{ out = {a: '}'}; } rest".chars().collect();
        assert_eq!(balanced(&t), Some(19));
    }

    #[test]
    fn only_self_identifying_text_is_abnf() {
        assert!(is_abnf("\u{feff}  #ABNF 1.0;"));
        assert!(!is_abnf("<grammar/>"));
        assert!(!is_abnf("$x = y;"));
    }
}
