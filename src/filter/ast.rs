//! The syntax tree of a filter, with byte spans into the source text.
//!
//! The `Debug` form is a compact S-expression (`(and (= proc.name@0..9 "bash"@10..14) …)`) so
//! parser tests can compare a whole tree as one string.

use std::fmt;

/// A byte range `start..end` in the filter text.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `contains`: substring (or, on flag fields, flag set).
    Contains,
    /// `icontains`: case-insensitive substring.
    IContains,
    /// `bcontains`: the bytes given in hex occur in the value.
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith`: the value starts with the bytes given in hex.
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `glob`: the whole value matches a glob pattern.
    Glob,
    /// `iglob`: case-insensitive `glob`.
    IGlob,
    /// `in (a, b)`: the value equals one of the list.
    In,
    /// `intersects (a, b)`: like `in` for single-valued fields; any value in common otherwise.
    Intersects,
    /// `pmatch (p, q)`: path-prefix match by whole components.
    PMatch,
    /// `exists`: the field has a value.
    Exists,
    /// `regex`: the whole value matches a regular expression.
    Regex,
}

impl Op {
    /// The operator as written in a filter.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
            Op::Regex => "regex",
        }
    }

    /// The word operators, in the order the docs list them.
    pub const WORDS: &'static [Op] = &[
        Op::Contains,
        Op::IContains,
        Op::BContains,
        Op::StartsWith,
        Op::BStartsWith,
        Op::EndsWith,
        Op::Glob,
        Op::IGlob,
        Op::In,
        Op::Intersects,
        Op::PMatch,
        Op::Exists,
        Op::Regex,
    ];

    /// The operator for a word (`contains`, `in`, ...).
    pub fn from_word(w: &str) -> Option<Op> {
        Op::WORDS.iter().copied().find(|o| o.as_str() == w)
    }

    /// Whether the operator takes a parenthesised list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }
}

/// A field reference: `proc.name`, `proc.aname[2]`, `evt.arg.fd`.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// The dotted name as written, without the bracketed argument.
    pub name: String,
    /// The bracketed argument, if any.
    pub arg: Option<String>,
    /// Where the name (and argument) are.
    pub span: Span,
}

impl fmt::Debug for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(a) = &self.arg {
            write!(f, "[{a}]")?;
        }
        write!(f, "@{:?}", self.span)
    }
}

/// A modifier between an operator and a list: `proc.name startswith anyof (a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `oneof`: exactly one item satisfies the operator.
    One,
    /// `anyof`: at least one item does.
    Any,
    /// `allof`: every item does.
    All,
}

impl Modifier {
    /// The modifier as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::One => "oneof",
            Modifier::Any => "anyof",
            Modifier::All => "allof",
        }
    }

    /// The modifier named `w`.
    pub fn from_word(w: &str) -> Option<Modifier> {
        [Modifier::One, Modifier::Any, Modifier::All]
            .into_iter()
            .find(|m| m.as_str() == w)
    }
}

/// A function over field values: a transformer (`tolower(proc.name)`) or `val(field)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `tolower(x)`: ASCII lower case.
    ToLower,
    /// `toupper(x)`: ASCII upper case.
    ToUpper,
    /// `b64(x)`: base64-decoded bytes.
    B64,
    /// `basename(x)`: the last path component.
    Basename,
    /// `len(x)`: the length of a string, or the number of values of a list.
    Len,
    /// `join(sep, list)`: the values joined by `sep`.
    Join,
    /// `concat(a, b, ...)`: the values one after another.
    Concat,
    /// `getopt(args, optstring)[c]`: short options parsed the way getopt(3) does.
    GetOpt,
    /// `val(field)`: a field's value as the right-hand side of a comparison.
    Val,
}

impl Func {
    /// Every function, in the order the docs list them.
    pub const ALL: &'static [Func] = &[
        Func::ToLower,
        Func::ToUpper,
        Func::B64,
        Func::Basename,
        Func::Len,
        Func::Join,
        Func::Concat,
        Func::GetOpt,
        Func::Val,
    ];

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Func::ToLower => "tolower",
            Func::ToUpper => "toupper",
            Func::B64 => "b64",
            Func::Basename => "basename",
            Func::Len => "len",
            Func::Join => "join",
            Func::Concat => "concat",
            Func::GetOpt => "getopt",
            Func::Val => "val",
        }
    }

    /// The function named `w`.
    pub fn from_word(w: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.as_str() == w)
    }
}

/// An argument of a function, or a function call itself.
#[derive(Clone, PartialEq, Eq)]
pub enum Term {
    /// A field.
    Field(FieldRef),
    /// A literal (quoted, or a bare number or word).
    Lit(Literal),
    /// A parenthesised list of terms (`join("-", (proc.name, fd.name))`).
    List(Vec<Term>, Span),
    /// A function call.
    Call(Call),
}

impl Term {
    /// Where the term is.
    pub fn span(&self) -> Span {
        match self {
            Term::Field(f) => f.span,
            Term::Lit(l) => l.span,
            Term::List(_, s) => *s,
            Term::Call(c) => c.span,
        }
    }
}

impl fmt::Debug for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Field(x) => write!(f, "{x:?}"),
            Term::Lit(l) => write!(f, "{l:?}"),
            Term::List(items, _) => {
                f.write_str("(")?;
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{t:?}")?;
                }
                f.write_str(")")
            }
            Term::Call(c) => write!(f, "{c:?}"),
        }
    }
}

/// A function call: `name(args...)`, with an optional `[argument]` after it (`getopt`).
#[derive(Clone, PartialEq, Eq)]
pub struct Call {
    /// Which function.
    pub func: Func,
    /// Where its name is.
    pub name_span: Span,
    /// Its arguments.
    pub args: Vec<Term>,
    /// The bracketed argument after the call, if any.
    pub arg: Option<String>,
    /// The whole call.
    pub span: Span,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.func.as_str())?;
        for (i, t) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t:?}")?;
        }
        f.write_str(")")?;
        if let Some(a) = &self.arg {
            write!(f, "[{a}]")?;
        }
        write!(f, "@{:?}", self.span)
    }
}

/// A literal operand: a quoted or bare string, as written after unescaping.
#[derive(Clone, PartialEq, Eq)]
pub struct Literal {
    /// The text (escapes resolved for quoted strings).
    pub text: String,
    /// Whether it was quoted.
    pub quoted: bool,
    /// Where it is, quotes included.
    pub span: Span,
}

impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "{:?}@{:?}", self.text, self.span)
        } else {
            write!(f, "{}@{:?}", self.text, self.span)
        }
    }
}

/// What stands right of the operator.
#[derive(Clone, PartialEq, Eq)]
pub enum Operand {
    /// Nothing (`exists`).
    None,
    /// One value.
    One(Literal),
    /// A parenthesised list.
    List(Vec<Literal>, Span),
    /// A value computed per event: `val(field)` or a transformer.
    Call(Call),
}

impl fmt::Debug for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::None => Ok(()),
            Operand::One(l) => write!(f, " {l:?}"),
            Operand::List(items, span) => {
                f.write_str(" (")?;
                for (i, l) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{l:?}")?;
                }
                write!(f, ")@{span:?}")
            }
            Operand::Call(c) => write!(f, " {c:?}"),
        }
    }
}

/// One comparison: `field op operand`.
#[derive(Clone, PartialEq, Eq)]
pub struct Check {
    /// The field; when the left side is a function call, its text and span (for messages).
    pub field: FieldRef,
    /// The left side when it is a function call (`tolower(proc.name) = bash`).
    pub call: Option<Box<Call>>,
    /// The operator.
    pub op: Op,
    /// Where the operator is.
    pub op_span: Span,
    /// `oneof`/`anyof`/`allof` between the operator and a list.
    pub modifier: Option<Modifier>,
    /// The right-hand side.
    pub operand: Operand,
}

/// A filter expression.
#[derive(Clone, PartialEq, Eq)]
pub enum Expr {
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// It does not hold; the span covers the `not` keyword.
    Not(Box<Expr>, Span),
    /// A comparison.
    Check(Check),
    /// A part that did not parse (lenient mode keeps going past it).
    Error(Span),
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(a, b) => write!(f, "(and {a:?} {b:?})"),
            Expr::Or(a, b) => write!(f, "(or {a:?} {b:?})"),
            Expr::Not(e, s) => write!(f, "(not@{s:?} {e:?})"),
            Expr::Check(c) => {
                write!(f, "({}", c.op.as_str())?;
                if let Some(m) = c.modifier {
                    write!(f, " {}", m.as_str())?;
                }
                match &c.call {
                    Some(call) => write!(f, " {call:?}{:?})", c.operand),
                    None => write!(f, " {:?}{:?})", c.field, c.operand),
                }
            }
            Expr::Error(s) => write!(f, "(error@{s:?})"),
        }
    }
}
