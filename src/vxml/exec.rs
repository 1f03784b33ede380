//! Executable content (VoiceXML 2.0 §5.3, 2.1 `<data>` and `<foreach>`): what
//! blocks, `<filled>` and event handlers run.
//!
//! Bare text, `<audio>`, `<value>` and `<enumerate>` inside executable content
//! are queued as prompts; the parser gathers each run of them into one
//! implicit [`Prompt`] so the interpreter has a single case.

use super::model::{Data, Expr, FetchAttrs, Method, Script, Span, ValueOrExpr, Var};
use super::prompt::Prompt;

/// One statement of executable content.
#[derive(Clone, Debug)]
pub enum Executable {
    Var(Var),
    Assign(Assign),
    Clear(Clear),
    If(If),
    Prompt(Prompt),
    Reprompt(Span),
    Goto(Goto),
    Submit(Submit),
    Exit(Exit),
    Return(Return),
    Disconnect(Disconnect),
    Script(Script),
    Log(Log),
    Throw(Throw),
    Data(Data),
    Foreach(Foreach<Executable>),
}

impl Executable {
    pub fn span(&self) -> Span {
        match self {
            Executable::Var(x) => x.span,
            Executable::Assign(x) => x.span,
            Executable::Clear(x) => x.span,
            Executable::If(x) => x.span,
            Executable::Prompt(x) => x.span,
            Executable::Reprompt(span) => *span,
            Executable::Goto(x) => x.span,
            Executable::Submit(x) => x.span,
            Executable::Exit(x) => x.span,
            Executable::Return(x) => x.span,
            Executable::Disconnect(x) => x.span,
            Executable::Script(x) => x.span,
            Executable::Log(x) => x.span,
            Executable::Throw(x) => x.span,
            Executable::Data(x) => x.span,
            Executable::Foreach(x) => x.span,
        }
    }
}

/// `<assign name expr>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assign {
    /// A variable, possibly scope-qualified (`document.x`).
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

/// `<clear namelist>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clear {
    /// `None`: every form item variable of the current form.
    pub namelist: Option<Vec<String>>,
    pub span: Span,
}

/// `<if>` with its `<elseif>`s and `<else>`: one or more guarded branches
/// and an optional final one.
#[derive(Clone, Debug)]
pub struct If {
    /// The `<if>` branch first, then each `<elseif>`, in order.
    pub branches: Vec<Branch>,
    pub else_: Option<Vec<Executable>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Branch {
    pub cond: Expr,
    pub content: Vec<Executable>,
    pub span: Span,
}

/// Where a `<goto>` goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GotoTarget {
    /// `next` or `expr`: a URI (document, or `#dialog`).
    Uri(ValueOrExpr),
    /// `nextitem` or `expritem`: a form item of the current form.
    Item(ValueOrExpr),
}

/// `<goto>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Goto {
    pub target: GotoTarget,
    pub fetch: FetchAttrs,
    pub span: Span,
}

/// `<submit>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Submit {
    pub next: ValueOrExpr,
    /// `None`: every form item variable (VoiceXML 2.0 §5.3.8).
    pub namelist: Option<Vec<String>>,
    pub method: Method,
    pub enctype: Option<String>,
    pub fetch: FetchAttrs,
    pub span: Span,
}

/// What `<exit>` returns to the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitValue {
    None,
    Expr(Expr),
    Namelist(Vec<String>),
}

/// `<exit>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    pub value: ExitValue,
    pub span: Span,
}

/// What `<return>` hands back to the calling subdialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReturnValue {
    /// A normal return with these variables (possibly none).
    Namelist(Vec<String>),
    /// Throw this event in the caller.
    Event {
        event: ValueOrExpr,
        message: Option<ValueOrExpr>,
    },
}

/// `<return>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Return {
    pub value: ReturnValue,
    pub span: Span,
}

/// `<disconnect>` (2.1 adds `namelist`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disconnect {
    pub namelist: Vec<String>,
    pub span: Span,
}

/// A piece of `<log>` content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogPart {
    Text(String),
    Value(Expr),
}

/// `<log>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    pub label: Option<String>,
    pub expr: Option<Expr>,
    pub content: Vec<LogPart>,
    pub span: Span,
}

/// `<throw>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Throw {
    pub event: ValueOrExpr,
    pub message: Option<ValueOrExpr>,
    pub span: Span,
}

/// `<foreach array item>` (VoiceXML 2.1), in executable content
/// (`T` = [`Executable`]) or inside a prompt (`T` = `PromptNode`).
#[derive(Clone, Debug, PartialEq)]
pub struct Foreach<T> {
    pub array: Expr,
    pub item: String,
    pub content: Vec<T>,
    pub span: Span,
}
