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
        }
    }
}

/// One comparison: `field op operand`.
#[derive(Clone, PartialEq, Eq)]
pub struct Check {
    /// The field.
    pub field: FieldRef,
    /// The operator.
    pub op: Op,
    /// Where the operator is.
    pub op_span: Span,
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
            Expr::Check(c) => write!(f, "({} {:?}{:?})", c.op.as_str(), c.field, c.operand),
            Expr::Error(s) => write!(f, "(error@{s:?})"),
        }
    }
}
