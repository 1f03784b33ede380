//! The typed, owned model of a VoiceXML document: documents, dialogs, form
//! items and the declarations around them.
//!
//! Everything here owns its data (no borrows of the source text), so a parsed
//! [`Document`] is `Send + Sync` and can sit in the shared cache behind an
//! `Arc`, reused by many calls on many threads. Every element keeps the
//! [`Span`] of its start tag so later errors can say `file:line:column`.
//!
//! Attribute pairs the spec makes mutually exclusive (`src`/`expr`,
//! `next`/`expr`…) are enums ([`ValueOrExpr`], [`GotoTarget`](crate::vxml::exec::GotoTarget)…): a value of
//! these types cannot hold both, nor neither where one is required.

use std::time::Duration;

use super::exec::Executable;
use super::prompt::{Prompt, PromptNode};
use super::xml::XmlElement;

/// Where an element starts in its source: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// An ECMAScript expression, as written in an attribute (`expr`, `cond`…).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr(pub String);

impl Expr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A value given either literally or as an expression to evaluate at run time:
/// the `src`/`expr`, `next`/`expr`, `event`/`eventexpr` pairs of VoiceXML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueOrExpr {
    Literal(String),
    Expr(Expr),
}

/// The VoiceXML version a document declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V2_0,
    V2_1,
}

/// A parsed VoiceXML document (`<vxml>`).
#[derive(Clone, Debug)]
pub struct Document {
    /// The file name or URL the document was parsed from (for messages).
    pub source: String,
    pub version: Version,
    /// The application root document's URI as written (unresolved).
    pub application: Option<String>,
    /// `xml:base`, as written.
    pub base: Option<String>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// `<meta name content>`.
    pub metas: Vec<Meta>,
    /// `<meta http-equiv content>` pairs, in document order, for the cache to
    /// merge over the response headers.
    pub http_equiv: Vec<(String, String)>,
    pub properties: Vec<Property>,
    /// Document-level `<var>`, `<script>` and `<data>`, in document order
    /// (they are initialised in that order, VoiceXML 2.0 §5.1.1).
    pub declarations: Vec<Declaration>,
    /// Document-level event handlers, in document order.
    pub catches: Vec<Catch>,
    pub links: Vec<Link>,
    pub dialogs: Vec<Dialog>,
    pub span: Span,
    /// The schema slips the parser tolerated, as production browsers do
    /// (each a [`ParseErrorKind::Slip`](super::ParseErrorKind::Slip), in
    /// document order): the interpreter warns of them, or under `strict`
    /// refuses the document with the first.
    pub slips: Vec<super::ParseError>,
}

impl Document {
    /// The dialog with this `id`.
    pub fn dialog(&self, id: &str) -> Option<&Dialog> {
        self.dialogs.iter().find(|d| d.id() == Some(id))
    }

    /// The `<script>` URIs given literally (for preloading; `srcexpr` needs a run time).
    pub fn script_srcs(&self) -> impl Iterator<Item = &str> {
        self.declarations.iter().filter_map(|d| match d {
            Declaration::Script(Script {
                source: ScriptSource::Src(ValueOrExpr::Literal(src)),
                ..
            }) => Some(src.as_str()),
            _ => None,
        })
    }
}

/// `<meta name="…" content="…">`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub name: String,
    pub content: String,
}

/// `<property name value>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub value: String,
    pub span: Span,
}

/// A declaration initialised in document order when its scope is entered.
#[derive(Clone, Debug)]
pub enum Declaration {
    Var(Var),
    Script(Script),
    Data(Data),
}

/// `<var name expr>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub expr: Option<Expr>,
    pub span: Span,
}

/// `<script>`: inline text or a fetched source.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub source: ScriptSource,
    pub charset: Option<String>,
    pub fetch: FetchAttrs,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// The script text, and where its first character is in the document, so
    /// script errors can be reported at document positions.
    Inline { text: String, start: Span },
    /// `src` or (VoiceXML 2.1) `srcexpr`.
    Src(ValueOrExpr),
}

/// `<data>` (VoiceXML 2.1): fetch XML into a variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    pub name: Option<String>,
    pub src: ValueOrExpr,
    pub namelist: Vec<String>,
    pub method: Method,
    pub enctype: Option<String>,
    pub fetch: FetchAttrs,
    pub span: Span,
}

/// HTTP method of `<submit>`, `<subdialog>`, `<data>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    #[default]
    Get,
    Post,
}

/// `fetchhint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchHint {
    Prefetch,
    Safe,
}

/// The fetch attributes of every fetching element, in one place.
/// `None` means "not given": the interpreter falls back to the property.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FetchAttrs {
    pub fetchtimeout: Option<Duration>,
    pub fetchhint: Option<FetchHint>,
    /// Seconds.
    pub maxage: Option<u64>,
    /// Seconds.
    pub maxstale: Option<u64>,
    pub fetchaudio: Option<String>,
    pub fetchaudiodelay: Option<Duration>,
    pub fetchaudiominimum: Option<Duration>,
}

/// `scope` of a form, menu or grammar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    Dialog,
    Document,
}

/// A dialog of a document.
#[derive(Clone, Debug)]
pub enum Dialog {
    Form(Form),
    Menu(Menu),
}

impl Dialog {
    pub fn id(&self) -> Option<&str> {
        match self {
            Dialog::Form(f) => f.id.as_deref(),
            Dialog::Menu(m) => m.id.as_deref(),
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Dialog::Form(f) => f.span,
            Dialog::Menu(m) => m.span,
        }
    }
}

/// `<form>`.
#[derive(Clone, Debug)]
pub struct Form {
    pub id: Option<String>,
    pub scope: Scope,
    /// Form-level declarations and form items, in document order: the order
    /// in which their variables are initialised.
    pub children: Vec<FormChild>,
    /// Form-level `<filled>`.
    pub filled: Vec<Filled>,
    pub catches: Vec<Catch>,
    pub links: Vec<Link>,
    pub grammars: Vec<Grammar>,
    pub properties: Vec<Property>,
    pub span: Span,
}

impl Form {
    /// The form items in document order (the order the FIA visits them).
    pub fn items(&self) -> impl Iterator<Item = &FormItem> {
        self.children.iter().filter_map(|c| match c {
            FormChild::Item(i) => Some(i),
            _ => None,
        })
    }

    /// The form item with this name.
    pub fn item(&self, name: &str) -> Option<&FormItem> {
        self.items().find(|i| i.common().name == name)
    }
}

/// A child of a form that the form initialises: a declaration or a form item.
// A form has a handful of children, built once and shared: boxing the larger
// variant would only add an indirection to every FIA step.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum FormChild {
    Declaration(Declaration),
    Item(FormItem),
}

/// What every form item has: its variable name, initial value and guard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemCommon {
    /// The form item variable. Anonymous items get a generated name
    /// (`$vxb_<kind>_<n>`) that no author-written identifier can take.
    pub name: String,
    /// Whether `name` was generated.
    pub anonymous: bool,
    pub expr: Option<Expr>,
    pub cond: Option<Expr>,
    pub span: Span,
}

/// What input-collecting items hold besides their own attributes.
#[derive(Clone, Debug, Default)]
pub struct InputParts {
    pub prompts: Vec<Prompt>,
    pub catches: Vec<Catch>,
    pub filled: Vec<Filled>,
    pub grammars: Vec<Grammar>,
    pub links: Vec<Link>,
    pub properties: Vec<Property>,
}

/// A form item (VoiceXML 2.0 §2.1.2).
#[derive(Clone, Debug)]
pub enum FormItem {
    Field(Field),
    Block(Block),
    Initial(Initial),
    Subdialog(Subdialog),
    Record(Record),
    Transfer(Transfer),
    Object(Object),
}

impl FormItem {
    pub fn common(&self) -> &ItemCommon {
        match self {
            FormItem::Field(x) => &x.common,
            FormItem::Block(x) => &x.common,
            FormItem::Initial(x) => &x.common,
            FormItem::Subdialog(x) => &x.common,
            FormItem::Record(x) => &x.common,
            FormItem::Transfer(x) => &x.common,
            FormItem::Object(x) => &x.common,
        }
    }

    pub(crate) fn common_mut(&mut self) -> &mut ItemCommon {
        match self {
            FormItem::Field(x) => &mut x.common,
            FormItem::Block(x) => &mut x.common,
            FormItem::Initial(x) => &mut x.common,
            FormItem::Subdialog(x) => &mut x.common,
            FormItem::Record(x) => &mut x.common,
            FormItem::Transfer(x) => &mut x.common,
            FormItem::Object(x) => &mut x.common,
        }
    }

    /// The element name of the item.
    pub fn element_name(&self) -> &'static str {
        match self {
            FormItem::Field(_) => "field",
            FormItem::Block(_) => "block",
            FormItem::Initial(_) => "initial",
            FormItem::Subdialog(_) => "subdialog",
            FormItem::Record(_) => "record",
            FormItem::Transfer(_) => "transfer",
            FormItem::Object(_) => "object",
        }
    }

    /// The prompts, handlers, grammars… of an input item; `None` for a block.
    pub fn input(&self) -> Option<&InputParts> {
        match self {
            FormItem::Field(x) => Some(&x.input),
            FormItem::Block(_) => None,
            FormItem::Initial(x) => Some(&x.input),
            FormItem::Subdialog(x) => Some(&x.input),
            FormItem::Record(x) => Some(&x.input),
            FormItem::Transfer(x) => Some(&x.input),
            FormItem::Object(x) => Some(&x.input),
        }
    }
}

/// `<field>`.
#[derive(Clone, Debug)]
pub struct Field {
    pub common: ItemCommon,
    /// Built-in grammar type, e.g. `digits?length=4`.
    pub type_: Option<String>,
    pub slot: Option<String>,
    pub modal: bool,
    pub options: Vec<FieldOption>,
    pub input: InputParts,
}

/// `<option>` of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldOption {
    pub dtmf: Option<String>,
    pub accept: Option<Accept>,
    /// The value the field takes; defaults to the text content.
    pub value: Option<String>,
    pub text: String,
    pub span: Span,
}

/// `<block>`.
#[derive(Clone, Debug)]
pub struct Block {
    pub common: ItemCommon,
    pub content: Vec<Executable>,
}

/// `<initial>` (mixed-initiative forms).
#[derive(Clone, Debug)]
pub struct Initial {
    pub common: ItemCommon,
    pub input: InputParts,
}

/// `<subdialog>`.
#[derive(Clone, Debug)]
pub struct Subdialog {
    pub common: ItemCommon,
    pub src: ValueOrExpr,
    pub namelist: Vec<String>,
    pub method: Method,
    pub enctype: Option<String>,
    pub fetch: FetchAttrs,
    pub params: Vec<Param>,
    pub input: InputParts,
}

/// `<param>` of a subdialog or object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: ValueOrExpr,
    pub valuetype: Option<String>,
    pub type_: Option<String>,
    pub span: Span,
}

/// `<record>`.
#[derive(Clone, Debug)]
pub struct Record {
    pub common: ItemCommon,
    pub modal: bool,
    pub beep: bool,
    pub maxtime: Option<Duration>,
    pub finalsilence: Option<Duration>,
    pub dtmfterm: bool,
    pub type_: Option<String>,
    pub input: InputParts,
}

/// How a `<transfer>` connects the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferType {
    Blind,
    Bridge,
    /// VoiceXML 2.1.
    Consultation,
}

/// `<transfer>`.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub common: ItemCommon,
    pub dest: Option<ValueOrExpr>,
    /// From `type` (2.1) or `bridge` (2.0); the two are exclusive.
    pub kind: TransferType,
    pub connecttimeout: Option<Duration>,
    pub maxtime: Option<Duration>,
    pub transferaudio: Option<String>,
    pub aai: Option<ValueOrExpr>,
    pub input: InputParts,
}

/// `<object>`.
#[derive(Clone, Debug)]
pub struct Object {
    pub common: ItemCommon,
    pub classid: Option<String>,
    pub codebase: Option<String>,
    pub codetype: Option<String>,
    pub data: Option<String>,
    pub type_: Option<String>,
    pub archive: Option<String>,
    pub fetch: FetchAttrs,
    pub params: Vec<Param>,
    pub input: InputParts,
}

/// `mode` of a form-level `<filled>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FilledMode {
    #[default]
    All,
    Any,
}

/// `<filled>`.
#[derive(Clone, Debug)]
pub struct Filled {
    pub mode: FilledMode,
    /// `None`: every input item of the form (form level) or the item itself.
    pub namelist: Option<Vec<String>>,
    pub content: Vec<Executable>,
    pub span: Span,
}

/// An event handler: `<catch>`, or the shorthands `<error>`, `<help>`,
/// `<noinput>`, `<nomatch>` (whose event name is filled in).
#[derive(Clone, Debug)]
pub struct Catch {
    /// Event names (prefixes) this handler catches; empty catches everything.
    pub events: Vec<String>,
    /// Minimum count of the event for this handler to be selected (≥ 1).
    pub count: u32,
    pub cond: Option<Expr>,
    pub content: Vec<Executable>,
    pub span: Span,
}

/// What a `<link>` or `<choice>` does when matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// `next` or `expr`: go to a URI.
    Goto(ValueOrExpr),
    /// `event` or `eventexpr`, with optional `message`/`messageexpr`.
    Event {
        event: ValueOrExpr,
        message: Option<ValueOrExpr>,
    },
}

/// `<link>`.
#[derive(Clone, Debug)]
pub struct Link {
    pub target: LinkTarget,
    pub dtmf: Option<String>,
    pub grammars: Vec<Grammar>,
    pub fetch: FetchAttrs,
    pub span: Span,
}

/// `accept` of a menu, choice or option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Accept {
    #[default]
    Exact,
    Approximate,
}

/// `<menu>`.
#[derive(Clone, Debug)]
pub struct Menu {
    pub id: Option<String>,
    pub scope: Scope,
    /// `dtmf="true"`: choices without `dtmf` get 1, 2, 3… in order.
    pub dtmf: bool,
    pub accept: Accept,
    pub prompts: Vec<Prompt>,
    pub choices: Vec<Choice>,
    pub catches: Vec<Catch>,
    pub properties: Vec<Property>,
    pub scripts: Vec<Script>,
    pub span: Span,
}

/// `<choice>` of a menu.
#[derive(Clone, Debug)]
pub struct Choice {
    pub target: LinkTarget,
    pub dtmf: Option<String>,
    pub accept: Option<Accept>,
    pub fetch: FetchAttrs,
    /// An explicit grammar; otherwise one is built from the text.
    pub grammar: Option<Grammar>,
    /// The choice's text content (used by `<enumerate>` and for the grammar).
    pub content: Vec<PromptNode>,
    pub span: Span,
}

/// `mode` of a grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrammarMode {
    Voice,
    Dtmf,
}

/// Where a grammar's rules come from.
#[derive(Clone, Debug, PartialEq)]
pub enum GrammarSource {
    /// `src` or (VoiceXML 2.1) `srcexpr`.
    Src(ValueOrExpr),
    /// An inline XML (SRGS) grammar: the whole `<grammar>` element, attributes
    /// and all, so the grammar layer reads it as it would a fetched one.
    InlineXml(XmlElement),
    /// An inline grammar in a textual form (e.g. ABNF in CDATA), and where
    /// its text starts in the document.
    InlineText { text: String, at: Span },
}

/// `<grammar>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grammar {
    pub source: GrammarSource,
    pub type_: Option<String>,
    pub mode: Option<GrammarMode>,
    pub scope: Option<Scope>,
    pub weight: Option<f64>,
    pub root: Option<String>,
    pub lang: Option<String>,
    pub fetch: FetchAttrs,
    pub span: Span,
}
