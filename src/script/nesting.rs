//! A lexical upper bound on how deeply boa will recurse over a text, checked
//! before boa sees it.
//!
//! boa's parser and compiler recurse once per level of nesting — brackets,
//! `?:`, `=`, unary operators, `if` without braces — and once per link of a
//! left-deep chain (`a+b+…`, `a,b,…`, `a.b.c…`). On a 2 MiB thread a debug
//! build overflows the stack (aborting the whole process, every call with
//! it) at about 100 nested brackets or 10,000 chained terms. Compilation
//! therefore runs on a large stack (`compile.rs`), and this scanner refuses
//! texts whose estimate exceeds bounds that stack holds with room to spare.
//!
//! The estimate is conservative: per bracket level it counts the nesting
//! operators and chain links of the current statement (reset at `;`,
//! separating commas and statement-ending newlines). A text the scanner
//! cannot follow (unbalanced or crossed brackets, say from a regular
//! expression it misread) is refused too: a wrong count must never let a deep
//! text through.

/// How much nesting and chaining a text may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// Nesting levels (brackets plus nesting operators, summed).
    pub nesting: usize,
    /// Chain links, summed over the open levels.
    pub chain: usize,
}

/// Stack one counted nesting level may take in boa (parse and compile),
/// and one chain link: about three times the worst measured in a debug
/// build (a nested function expression, a `+` chain). Release builds use less.
const BYTES_PER_LEVEL: usize = 64 * 1024;
const BYTES_PER_LINK: usize = 4 * 1024;

impl Bounds {
    /// What `stack` bytes of stack hold.
    pub(crate) const fn for_stack(stack: usize) -> Bounds {
        Bounds {
            nesting: stack / 2 / BYTES_PER_LEVEL,
            chain: stack / 2 / BYTES_PER_LINK,
        }
    }
}

/// The bounds for texts compiled on the compilation stack (`compile.rs`),
/// well inside what its 256 MiB hold (2,048 levels, 32,768 links).
pub(crate) const COMPILE_BOUNDS: Bounds = Bounds {
    nesting: 400,
    chain: 20_000,
};

/// Why a text was refused, and where (1-based line and column in the text).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Paren,
    /// The parenthesised head of `if`/`while`/`for`/`with`: after its `)`
    /// a statement starts (so `/` begins a regular expression).
    HeadParen,
    /// A call's arguments or an array literal: commas separate elements.
    List(char),
    /// `[…]` after a value: a member access, whose commas are operators.
    Index,
    /// A block or function body.
    Block,
    /// An object literal.
    Object,
    /// `${ … }` inside a template literal.
    Template,
}

impl Open {
    /// The bracket that opens the level, as the author wrote it.
    fn opener(self) -> &'static str {
        match self {
            Open::Paren | Open::HeadParen => "(",
            Open::List(']') | Open::Index => "[",
            Open::List(_) => "(",
            Open::Block | Open::Object => "{",
            Open::Template => "${",
        }
    }

    fn closer(self) -> char {
        match self {
            Open::Paren | Open::HeadParen => ')',
            Open::List(c) => c,
            Open::Index => ']',
            Open::Block | Open::Object | Open::Template => '}',
        }
    }
}

struct Level {
    open: Open,
    /// Where the bracket that opened the level is (a char index), so an
    /// unclosed one is reported where the author wrote it.
    at: usize,
    nest: usize,
    chain: usize,
    /// `?` seen without its `:` yet (so `{` after `:` is an expression).
    ternaries: usize,
    /// A `function`/`class` in expression position whose body is still to come.
    function_expression: bool,
    /// For a block: it is a function expression's or arrow's body, so the
    /// statement around it goes on after it.
    in_expression: bool,
    /// A `var`/`let`/`const` statement: its commas separate declarators.
    declaration: bool,
}

impl Level {
    fn new(open: Open, at: usize) -> Level {
        Level {
            open,
            at,
            nest: 0,
            chain: 0,
            ternaries: 0,
            function_expression: false,
            in_expression: false,
            declaration: false,
        }
    }
}

/// What the previous token lets come next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// An operand ended (identifier, literal, closing bracket): `/` divides,
    /// `(`/`[` call or index, `{` cannot follow in an expression.
    Value,
    /// Inside an expression, expecting an operand: `/` starts a regex, `{`
    /// is an object literal.
    Operator,
    /// A statement may start: `/` starts a regex, `{` is a block.
    Statement,
    /// After `=>`: `{` is a body block, anything else an expression.
    Arrow,
}

struct Scanner<'a> {
    bounds: Bounds,
    chars: Vec<char>,
    pos: usize,
    levels: Vec<Level>,
    nest_total: usize,
    chain_total: usize,
    prev: Prev,
    newline: bool,
    /// The keyword that made the last `(` a statement head.
    head_keyword: bool,
    /// The previous token was `.` or `?.`: a word is a property name.
    after_dot: bool,
    text: &'a str,
}

/// Checks a script (`expression == false`) or an expression.
pub(crate) fn check(text: &str, expression: bool, bounds: Bounds) -> Result<(), Refusal> {
    let mut s = Scanner {
        bounds,
        chars: text.chars().collect(),
        pos: 0,
        levels: vec![Level::new(
            if expression { Open::Paren } else { Open::Block },
            0,
        )],
        nest_total: 0,
        chain_total: 0,
        prev: if expression {
            Prev::Operator
        } else {
            Prev::Statement
        },
        newline: false,
        head_keyword: false,
        after_dot: false,
        text,
    };
    s.run()?;
    if s.levels.len() != 1 {
        let level = s.level();
        let (at, opener) = (level.at, level.open.opener());
        return Err(s.refuse_at(at, format!("unclosed `{opener}`")));
    }
    Ok(())
}

fn position(text: &str, byte: usize) -> (u32, u32) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

const NEST_KEYWORDS: &[&str] = &[
    "typeof", "void", "delete", "new", "await", "yield", "if", "else", "for", "while", "do", "with",
];
const OPERATOR_KEYWORDS: &[&str] = &["in", "instanceof", "of"];
const VALUE_KEYWORDS: &[&str] = &["this", "null", "true", "false", "super"];
/// Keywords after which an expression (not a statement) follows.
const EXPRESSION_KEYWORDS: &[&str] = &["return", "throw", "case", "extends", "let", "var", "const"];
const HEAD_KEYWORDS: &[&str] = &["if", "while", "for", "with"];

/// Punctuators, longest first.
const PUNCTUATORS: &[&str] = &[
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=",
    "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "<<", ">>", "**",
];

impl Scanner<'_> {
    /// A refusal for exceeding the bounds, where the scanner is.
    fn refuse(&self, what: &str) -> Refusal {
        self.refuse_at(
            self.pos,
            format!("{what} (the script nests or chains too deeply to be compiled safely)"),
        )
    }

    /// A refusal at char index `at` (a bracket's own position).
    fn refuse_at(&self, at: usize, message: String) -> Refusal {
        let byte = self.chars[..at.min(self.chars.len())]
            .iter()
            .map(|c| c.len_utf8())
            .sum::<usize>();
        let (line, column) = position(self.text, byte.min(self.text.len()));
        Refusal {
            line,
            column,
            message,
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn level(&mut self) -> &mut Level {
        let last = self.levels.len() - 1;
        &mut self.levels[last]
    }

    fn add_nest(&mut self) -> Result<(), Refusal> {
        self.level().nest += 1;
        self.nest_total += 1;
        self.bounds()
    }

    fn add_chain(&mut self) -> Result<(), Refusal> {
        self.level().chain += 1;
        self.chain_total += 1;
        self.bounds()
    }

    fn bounds(&self) -> Result<(), Refusal> {
        if self.nest_total > self.bounds.nesting {
            return Err(self.refuse(&format!(
                "more than {} levels of nesting",
                self.bounds.nesting
            )));
        }
        if self.chain_total > self.bounds.chain {
            return Err(self.refuse(&format!(
                "more than {} chained operations",
                self.bounds.chain
            )));
        }
        Ok(())
    }

    /// A statement (or list element) of the current level ended.
    fn end_statement(&mut self) {
        self.end_operand();
        let level = self.level();
        let chain = level.chain;
        level.chain = 0;
        level.declaration = false;
        self.chain_total -= chain;
    }

    /// An assignment expression of the current level ended (at a comma):
    /// its nesting operators are done, the comma chain goes on.
    fn end_operand(&mut self) {
        let level = self.level();
        let nest = level.nest;
        level.nest = 0;
        level.ternaries = 0;
        level.function_expression = false;
        self.nest_total -= nest;
    }

    /// Before a token that can start a statement: a newline after a
    /// complete operand ends the statement (automatic semicolon insertion).
    fn maybe_asi(&mut self) {
        if self.newline && self.prev == Prev::Value {
            self.end_statement();
        }
    }

    fn push(&mut self, open: Open) -> Result<(), Refusal> {
        // The bracket has just been consumed.
        self.levels
            .push(Level::new(open, self.pos.saturating_sub(1)));
        self.nest_total += 1;
        self.prev = match open {
            Open::Block => Prev::Statement,
            _ => Prev::Operator,
        };
        self.bounds()
    }

    fn pop(&mut self, closer: char) -> Result<Open, Refusal> {
        // The closer has just been consumed.
        let here = self.pos.saturating_sub(1);
        if self.levels.len() <= 1 {
            return Err(self.refuse_at(here, format!("`{closer}` closes nothing")));
        }
        let level = self.level();
        if level.open.closer() != closer {
            // A closer of another kind: the bracket left open is the fault.
            let (at, opener) = (level.at, level.open.opener());
            return Err(self.refuse_at(at, format!("unclosed `{opener}`")));
        }
        let Some(level) = self.levels.pop() else {
            return Err(self.refuse_at(here, format!("`{closer}` closes nothing")));
        };
        self.nest_total -= level.nest + 1;
        self.chain_total -= level.chain;
        Ok(level.open)
    }

    fn run(&mut self) -> Result<(), Refusal> {
        while let Some(c) = self.peek(0) {
            match c {
                '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                    self.newline = true;
                    self.pos += 1;
                    continue;
                }
                c if c.is_whitespace() => {
                    self.pos += 1;
                    continue;
                }
                '/' if self.peek(1) == Some('/') => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                    continue;
                }
                '/' if self.peek(1) == Some('*') => {
                    self.pos += 2;
                    while let Some(c) = self.peek(0) {
                        if c == '*' && self.peek(1) == Some('/') {
                            self.pos += 2;
                            break;
                        }
                        self.newline |= c == '\n';
                        self.pos += 1;
                    }
                    continue;
                }
                _ => {}
            }
            self.token(c)?;
            self.newline = false;
        }
        Ok(())
    }

    fn token(&mut self, c: char) -> Result<(), Refusal> {
        let after_dot = std::mem::take(&mut self.after_dot);
        if c == '\'' || c == '"' {
            self.maybe_asi();
            self.skip_string(c);
            self.prev = Prev::Value;
            return Ok(());
        }
        if c == '`' {
            self.maybe_asi();
            self.pos += 1;
            return self.template();
        }
        if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            self.maybe_asi();
            while self
                .peek(0)
                .is_some_and(|d| d.is_alphanumeric() || d == '.' || d == '_')
            {
                self.pos += 1;
            }
            self.prev = Prev::Value;
            return Ok(());
        }
        if c.is_alphabetic() || c == '_' || c == '$' || c == '\\' || c == '#' {
            return self.word(after_dot);
        }
        if c == '/' && self.prev != Prev::Value {
            self.maybe_asi();
            self.skip_regex();
            self.prev = Prev::Value;
            return Ok(());
        }
        self.punctuator()
    }

    fn skip_string(&mut self, quote: char) {
        self.pos += 1;
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => self.pos += 1,
                c if c == quote || c == '\n' => return,
                _ => {}
            }
        }
    }

    fn skip_regex(&mut self) {
        self.pos += 1;
        let mut class = false;
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => self.pos += 1,
                '[' => class = true,
                ']' => class = false,
                '/' if !class => break,
                '\n' => return,
                _ => {}
            }
        }
        while self.peek(0).is_some_and(char::is_alphanumeric) {
            self.pos += 1;
        }
    }

    /// Template text up to its end or to a `${`, which opens a level.
    fn template(&mut self) -> Result<(), Refusal> {
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => self.pos += 1,
                '`' => {
                    self.prev = Prev::Value;
                    return Ok(());
                }
                '$' if self.peek(0) == Some('{') => {
                    self.pos += 1;
                    return self.push(Open::Template);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn word(&mut self, after_dot: bool) -> Result<(), Refusal> {
        let start = self.pos;
        while self
            .peek(0)
            .is_some_and(|d| d.is_alphanumeric() || d == '_' || d == '$' || d == '\\' || d == '#')
        {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        let word = word.as_str();
        // `a.if` is a property name, not a keyword.
        if after_dot {
            self.prev = Prev::Value;
            return Ok(());
        }
        if OPERATOR_KEYWORDS.contains(&word) && self.prev == Prev::Value {
            self.prev = Prev::Operator;
            return self.add_chain();
        }
        self.maybe_asi();
        let was = self.prev;
        if NEST_KEYWORDS.contains(&word) {
            self.head_keyword = HEAD_KEYWORDS.contains(&word);
            self.prev = if matches!(word, "else" | "do") {
                Prev::Statement
            } else {
                Prev::Operator
            };
            return self.add_nest();
        }
        self.head_keyword = false;
        if matches!(word, "function" | "class") && matches!(was, Prev::Operator | Prev::Arrow) {
            self.level().function_expression = true;
        }
        if matches!(word, "var" | "let" | "const") && was == Prev::Statement {
            self.level().declaration = true;
        }
        self.prev = if VALUE_KEYWORDS.contains(&word) {
            Prev::Value
        } else if EXPRESSION_KEYWORDS.contains(&word) {
            Prev::Operator
        } else if matches!(word, "try" | "finally") {
            Prev::Statement
        } else {
            Prev::Value
        };
        Ok(())
    }

    fn punctuator(&mut self) -> Result<(), Refusal> {
        let rest: String = self.chars[self.pos..self.chars.len().min(self.pos + 4)]
            .iter()
            .collect();
        let op = PUNCTUATORS
            .iter()
            .find(|p| rest.starts_with(*p))
            .map_or_else(
                || rest.chars().next().map(String::from).unwrap_or_default(),
                |p| p.to_string(),
            );
        self.pos += op.chars().count().max(1);
        let was = self.prev;
        let head = std::mem::take(&mut self.head_keyword);
        match op.as_str() {
            "(" => {
                if was == Prev::Value {
                    self.add_chain()?;
                    self.push(Open::List(')'))
                } else if head {
                    self.push(Open::HeadParen)
                } else {
                    self.maybe_asi();
                    self.push(Open::Paren)
                }
            }
            "[" => {
                if was == Prev::Value && !self.newline {
                    self.add_chain()?;
                    self.push(Open::Index)
                } else {
                    self.maybe_asi();
                    self.push(Open::List(']'))
                }
            }
            "{" => {
                let expression = match was {
                    Prev::Operator => true,
                    Prev::Statement | Prev::Arrow | Prev::Value => false,
                };
                if expression {
                    return self.push(Open::Object);
                }
                let level = self.level();
                let body_of_expression =
                    was == Prev::Arrow || std::mem::take(&mut level.function_expression);
                if !body_of_expression {
                    self.maybe_asi();
                }
                self.push(Open::Block)?;
                self.level().in_expression = body_of_expression;
                Ok(())
            }
            ")" | "]" | "}" => {
                let closer = op.chars().next().unwrap_or(')');
                let in_expression = self.level().in_expression;
                let open = self.pop(closer)?;
                self.prev = match open {
                    Open::HeadParen => Prev::Statement,
                    Open::Block if in_expression => Prev::Value,
                    Open::Block => {
                        // A statement block ends the statement around it.
                        self.end_statement();
                        Prev::Statement
                    }
                    Open::Template => return self.template(),
                    _ => Prev::Value,
                };
                Ok(())
            }
            ";" => {
                self.end_statement();
                self.prev = Prev::Statement;
                Ok(())
            }
            "," => {
                self.prev = Prev::Operator;
                let level = self.level();
                if matches!(level.open, Open::List(_) | Open::Object) || level.declaration {
                    // Elements, properties, declarators: separate trees.
                    let declaration = level.declaration;
                    self.end_statement();
                    self.level().declaration = declaration;
                    Ok(())
                } else {
                    self.end_operand();
                    self.add_chain()
                }
            }
            "?" => {
                self.level().ternaries += 1;
                self.prev = Prev::Operator;
                self.add_nest()
            }
            ":" => {
                let level = self.level();
                let in_expression = level.ternaries > 0 || level.open == Open::Object;
                level.ternaries = level.ternaries.saturating_sub(1);
                // After a label or `case x:` a statement follows.
                self.prev = if in_expression {
                    Prev::Operator
                } else {
                    Prev::Statement
                };
                self.add_nest()
            }
            "=>" => {
                self.prev = Prev::Arrow;
                self.add_nest()
            }
            "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "**=" | "<<=" | ">>=" | ">>>=" | "&="
            | "|=" | "^=" | "&&=" | "||=" | "??=" | "**" => {
                self.prev = Prev::Operator;
                self.add_nest()
            }
            "!" | "~" => {
                self.maybe_asi();
                self.prev = Prev::Operator;
                self.add_nest()
            }
            "++" | "--" if was == Prev::Value && !self.newline => Ok(()),
            "+" | "-" | "++" | "--" if was != Prev::Value => {
                self.prev = Prev::Operator;
                self.add_nest()
            }
            "++" | "--" => {
                self.maybe_asi();
                self.prev = Prev::Operator;
                self.add_nest()
            }
            "." | "?." => {
                self.prev = Prev::Operator;
                self.after_dot = true;
                self.add_chain()
            }
            "..." => {
                self.prev = Prev::Operator;
                Ok(())
            }
            _ => {
                // Any other binary operator.
                self.prev = Prev::Operator;
                self.add_chain()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_NESTING: usize = COMPILE_BOUNDS.nesting;
    const MAX_CHAIN: usize = COMPILE_BOUNDS.chain;

    fn check(text: &str, expression: bool) -> Result<(), Refusal> {
        super::check(text, expression, COMPILE_BOUNDS)
    }

    fn ok(text: &str, expression: bool) {
        if let Err(r) = check(text, expression) {
            panic!("{text:?} refused: {r:?}");
        }
    }

    #[test]
    fn ordinary_code_passes() {
        ok("a + b * (c - 1)", true);
        ok("{a: 1, b: [1, 2, {c: 3}]}.b", true);
        ok("x ? y : z", true);
        ok(
            "function f(a) {\n  if (a) { for (var i = 0; i < 3; i++) { x = a[i] ? g(a[i].b) : h(-1); } }\n  return /[)}\\]]/.test(s) && `t${a + `${b}`}`;\n}\nvar o = {if: 1}\nx = 1\ny = 2",
            false,
        );
        // Long but flat: arrays, argument lists and statements are lists.
        let array = format!("[{}]", vec!["1"; 30_000].join(","));
        ok(&array, true);
        let statements = "a = a + 1\n".repeat(30_000);
        ok(&statements, false);
        // A regex full of brackets after a statement head.
        ok("if (x) /[(\\[{]/.test(y); while (z) /)/.exec(w)", false);
    }

    #[test]
    fn deep_or_long_texts_are_refused() {
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert!(check(&deep, true).is_err());
        let ternary = format!("{}0", "1?1:".repeat(MAX_NESTING));
        assert!(check(&ternary, true).is_err());
        let unary = format!("{}1", "!".repeat(MAX_NESTING + 1));
        assert!(check(&unary, true).is_err());
        let ifs = format!("{}x;", "if (1) ".repeat(MAX_NESTING + 1));
        assert!(check(&ifs, false).is_err());
        let sum = format!("1{}", "+1".repeat(MAX_CHAIN + 1));
        assert!(check(&sum, true).is_err());
        let commas = format!("1{}", ",1".repeat(MAX_CHAIN + 1));
        assert!(check(&commas, true).is_err());
        let index_commas = format!("a[1{}]", ",1".repeat(MAX_CHAIN + 1));
        assert!(check(&index_commas, true).is_err());
        let members = format!("a{}", ".b".repeat(MAX_CHAIN + 1));
        assert!(check(&members, true).is_err());
        let template = format!(
            "{}1{}",
            "`${".repeat(MAX_NESTING + 1),
            "}`".repeat(MAX_NESTING + 1)
        );
        assert!(check(&template, true).is_err());
    }

    #[test]
    fn bounds_follow_the_stack_and_the_compile_bounds_fit_their_stack() {
        let small = Bounds::for_stack(2 * 1024 * 1024);
        assert_eq!((small.nesting, small.chain), (16, 256));
        let text = format!("{}1{}", "[".repeat(20), "]".repeat(20));
        assert!(super::check(&text, true, small).is_err());
        assert!(super::check(&text, true, COMPILE_BOUNDS).is_ok());
        let fits = Bounds::for_stack(crate::script::compile::COMPILE_STACK);
        assert!(COMPILE_BOUNDS.nesting <= fits.nesting && COMPILE_BOUNDS.chain <= fits.chain);
    }

    #[test]
    fn texts_the_scanner_cannot_follow_are_refused() {
        for text in ["a)", "(a", "[a)", "x = /]/ ]"] {
            assert!(check(text, true).is_err(), "{text}");
        }
    }
}
