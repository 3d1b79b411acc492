//! Type check against a field registry, and the compiled predicate.
//!
//! The filter module knows nothing of events: a [`Registry`] resolves field names to the
//! caller's field ids and types, a [`Source`] produces a field's value for the event at hand,
//! and a [`BlockOracle`] judges one comparison against a block summary.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use memchr::memmem;

use super::ast::{Check, Expr, Literal, Op, Operand};
use super::error::{ErrorKind, FilterError, FilterErrors, suggest};
use super::glob::{Glob, PathPrefix};
use super::parser::parse;

/// The type of a field's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// An integer: ids, counts, sizes, times and durations in nanoseconds.
    Num,
    /// Text.
    Str,
    /// `true` or `false`.
    Bool,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A payload buffer: text operators plus `bcontains`/`bstartswith`.
    Bytes,
    /// Known only per event (syscall arguments): compared as a number when both sides are
    /// numbers, as text otherwise.
    Any,
}

impl FieldType {
    /// The type in words, for messages and the field list.
    pub fn describe(self) -> &'static str {
        match self {
            FieldType::Num => "a number",
            FieldType::Str => "a string",
            FieldType::Bool => "a boolean",
            FieldType::Ip => "an IP address",
            FieldType::Bytes => "a byte buffer",
            FieldType::Any => "an argument",
        }
    }

    /// Short name for the field list.
    pub fn short(self) -> &'static str {
        match self {
            FieldType::Num => "num",
            FieldType::Str => "str",
            FieldType::Bool => "bool",
            FieldType::Ip => "ip",
            FieldType::Bytes => "bytes",
            FieldType::Any => "any",
        }
    }
}

/// A resolved field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec<F> {
    /// The registry's id for it (with its argument folded in).
    pub id: F,
    /// Its type.
    pub ty: FieldType,
    /// Whether it has several values per event (like `proc.aname` without an index); a
    /// comparison then holds when it holds for any value (`!=`: for none).
    pub multi: bool,
}

/// Why a field did not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// No such field.
    Unknown,
    /// The argument is missing, not allowed, or invalid; the text says which.
    Arg(String),
}

/// Field names and types, as the filter sees them. `replay` implements it.
pub trait Registry {
    /// The caller's field id.
    type Field: Clone + fmt::Debug;

    /// Resolves `name` (and its bracketed argument) to a field.
    fn resolve(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Result<FieldSpec<Self::Field>, ResolveError>;

    /// Every field name, for suggestions.
    fn names(&self) -> Vec<&str>;
}

/// A field's value for one event.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// A number.
    Num(i64),
    /// Text or bytes.
    Str(Cow<'a, [u8]>),
    /// A boolean.
    Bool(bool),
    /// An address.
    Ip(IpAddr),
    /// Several values (multi-valued fields).
    List(Vec<Val<'a>>),
}

/// Produces field values for the event being evaluated.
pub trait Source<F> {
    /// The value of `field`, or `None` when the event has none.
    fn get(&mut self, field: &F) -> Option<Val<'_>>;
}

/// Three-valued verdict for a block of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    /// No event in the block can match.
    NoneMatch,
    /// Every event in the block matches.
    AllMatch,
    /// Only evaluating the events tells.
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::NoneMatch => Tri::AllMatch,
            Tri::AllMatch => Tri::NoneMatch,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// Judges single comparisons against what a block summary says.
pub trait BlockOracle<F> {
    /// The verdict of `field cmp` for every event of the block.
    fn verdict(&self, field: &F, cmp: &Cmp) -> Tri;
}

/// An IP address with a prefix length (a plain address has the full length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length in bits.
    pub prefix: u8,
}

impl IpNet {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let m = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(a) & m == u32::from(b) & m
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(a) & m == u128::from(b) & m
            }
            (IpAddr::V6(a), IpAddr::V4(b)) | (IpAddr::V4(b), IpAddr::V6(a)) => {
                a.to_ipv4_mapped() == Some(b)
            }
        }
    }
}

/// The compiled right-hand side of a comparison.
#[derive(Clone, Debug)]
pub enum Rhs {
    /// `exists`.
    None,
    /// A number.
    Num(i64),
    /// Numbers (`in`).
    Nums(Vec<i64>),
    /// Bytes (also holds the number when the text is one, for [`FieldType::Any`]).
    Str(Vec<u8>, Option<i64>),
    /// A list of byte strings (`in`, `intersects`).
    Strs(Vec<Vec<u8>>),
    /// A boolean.
    Bool(bool),
    /// Addresses or networks.
    Ips(Vec<IpNet>),
    /// A glob.
    Glob(Glob),
    /// Path prefixes (`pmatch`).
    Paths(Vec<PathPrefix>),
    /// A substring searcher (`contains`, `bcontains`).
    Finder(Box<memmem::Finder<'static>>),
}

/// One compiled comparison: an operator and its operand.
#[derive(Clone, Debug)]
pub struct Cmp {
    /// The operator.
    pub op: Op,
    /// The operand.
    pub rhs: Rhs,
}

impl Cmp {
    /// Whether `v` satisfies the comparison.
    pub fn test(&self, v: &Val<'_>) -> bool {
        match v {
            Val::List(items) => {
                if self.op == Op::Ne {
                    let eq = Cmp {
                        op: Op::Eq,
                        rhs: self.rhs.clone(),
                    };
                    !items.iter().any(|i| eq.test(i))
                } else {
                    items.iter().any(|i| self.test(i))
                }
            }
            Val::Num(n) => self.test_num(*n),
            Val::Bool(b) => match (&self.rhs, self.op) {
                (Rhs::Bool(x), Op::Eq) => b == x,
                (Rhs::Bool(x), Op::Ne) => b != x,
                (Rhs::None, _) => true,
                _ => false,
            },
            Val::Ip(ip) => match (&self.rhs, self.op) {
                (Rhs::Ips(nets), Op::Eq | Op::In | Op::Intersects) => {
                    nets.iter().any(|n| n.contains(*ip))
                }
                (Rhs::Ips(nets), Op::Ne) => !nets.iter().any(|n| n.contains(*ip)),
                (Rhs::None, _) => true,
                _ => self.test_str(ip.to_string().as_bytes()),
            },
            Val::Str(s) => self.test_str(s),
        }
    }

    fn test_num(&self, n: i64) -> bool {
        let cmp = |x: i64| match self.op {
            Op::Eq => n == x,
            Op::Ne => n != x,
            Op::Lt => n < x,
            Op::Le => n <= x,
            Op::Gt => n > x,
            Op::Ge => n >= x,
            _ => false,
        };
        match &self.rhs {
            Rhs::None => true,
            Rhs::Num(x) | Rhs::Str(_, Some(x)) => cmp(*x),
            Rhs::Nums(xs) => xs.contains(&n),
            // A number against text (an `any` field holding a number): compare as text.
            _ => {
                let mut buf = itoa_buf(n);
                self.test_str(buf.as_mut_slice())
            }
        }
    }

    fn test_str(&self, s: &[u8]) -> bool {
        match (&self.rhs, self.op) {
            (Rhs::None, _) => true,
            (Rhs::Str(x, _), Op::Eq) => s == x.as_slice(),
            (Rhs::Str(x, _), Op::Ne) => s != x.as_slice(),
            (Rhs::Str(x, num), Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                // Only `any` fields get here with text; compare numbers when both are.
                if let (Some(x), Some(n)) = (num, parse_int(s)) {
                    match self.op {
                        Op::Lt => n < *x,
                        Op::Le => n <= *x,
                        Op::Gt => n > *x,
                        _ => n >= *x,
                    }
                } else {
                    let o = s.cmp(x.as_slice());
                    match self.op {
                        Op::Lt => o.is_lt(),
                        Op::Le => o.is_le(),
                        Op::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }
                }
            }
            (Rhs::Finder(f), Op::Contains | Op::BContains) => f.find(s).is_some(),
            (Rhs::Str(x, _), Op::IContains) => icontains(s, x),
            (Rhs::Str(x, _), Op::StartsWith | Op::BStartsWith) => s.starts_with(x),
            (Rhs::Str(x, _), Op::EndsWith) => s.ends_with(x),
            (Rhs::Glob(g), Op::Glob | Op::IGlob) => g.matches(s),
            (Rhs::Strs(xs), Op::In | Op::Intersects) => xs.iter().any(|x| x.as_slice() == s),
            (Rhs::Paths(ps), Op::PMatch) => ps.iter().any(|p| p.matches(s)),
            (Rhs::Num(x), _) => parse_int(s).is_some_and(|n| {
                let c = Cmp {
                    op: self.op,
                    rhs: Rhs::Num(*x),
                };
                c.test_num(n)
            }),
            (Rhs::Nums(xs), _) => parse_int(s).is_some_and(|n| xs.contains(&n)),
            _ => false,
        }
    }
}

/// Decimal digits of `n`.
fn itoa_buf(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// ASCII case-insensitive substring test; the needle is already lower-case.
fn icontains(hay: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    hay.windows(needle_lower.len()).any(|w| {
        w.iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// Parses a decimal (optionally signed) or `0x` hex integer.
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?;
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()? as i64
    } else {
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        body.parse::<u64>().ok()? as i64
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// A compiled filter node.
#[derive(Clone, Debug)]
enum Node<F> {
    And(Vec<Node<F>>),
    Or(Vec<Node<F>>),
    Not(Box<Node<F>>),
    Check { field: F, cmp: Cmp },
}

/// A compiled filter: evaluate it per event with a [`Source`], or per block with a
/// [`BlockOracle`].
#[derive(Clone, Debug)]
pub struct Filter<F> {
    root: Node<F>,
    text: String,
}

impl<F> Filter<F> {
    /// Whether the event `src` describes matches.
    pub fn matches<S: Source<F>>(&self, src: &mut S) -> bool {
        eval(&self.root, src)
    }

    /// What the filter can say about a whole block, given an oracle over its summary.
    pub fn block_verdict<O: BlockOracle<F>>(&self, oracle: &O) -> Tri {
        verdict(&self.root, oracle)
    }

    /// The filter text it was compiled from.
    pub fn text(&self) -> &str {
        &self.text
    }
}

fn eval<F, S: Source<F>>(n: &Node<F>, src: &mut S) -> bool {
    match n {
        Node::And(v) => v.iter().all(|c| eval(c, src)),
        Node::Or(v) => v.iter().any(|c| eval(c, src)),
        Node::Not(c) => !eval(c, src),
        Node::Check { field, cmp } => match src.get(field) {
            None => false,
            Some(v) => cmp.op == Op::Exists || cmp.test(&v),
        },
    }
}

fn verdict<F, O: BlockOracle<F>>(n: &Node<F>, o: &O) -> Tri {
    match n {
        Node::And(v) => {
            let mut all = true;
            for c in v {
                match verdict(c, o) {
                    Tri::NoneMatch => return Tri::NoneMatch,
                    Tri::Unknown => all = false,
                    Tri::AllMatch => {}
                }
            }
            if all { Tri::AllMatch } else { Tri::Unknown }
        }
        Node::Or(v) => {
            let mut none = true;
            for c in v {
                match verdict(c, o) {
                    Tri::AllMatch => return Tri::AllMatch,
                    Tri::Unknown => none = false,
                    Tri::NoneMatch => {}
                }
            }
            if none { Tri::NoneMatch } else { Tri::Unknown }
        }
        Node::Not(c) => verdict(c, o).not(),
        Node::Check { field, cmp } => o.verdict(field, cmp),
    }
}

/// Parses, type-checks and compiles `text` against `reg`. On failure, every error found is
/// returned (syntax errors and type errors alike).
pub fn compile<R: Registry>(text: &str, reg: &R) -> Result<Filter<R::Field>, FilterErrors> {
    let (tree, mut errors) = parse(text);
    let root = tree.and_then(|t| lower(&t, reg, &mut errors));
    errors.sort_by_key(|e| e.span.start);
    match root {
        Some(root) if errors.is_empty() => Ok(Filter {
            root,
            text: text.to_owned(),
        }),
        _ => Err(FilterErrors {
            source: text.to_owned(),
            errors,
        }),
    }
}

/// Lenient analysis for a filter bar: every syntax and type error, in source order, without
/// stopping at the first. An empty list means the filter compiles.
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "the TUI filter bar's entry point; tested here")
)]
pub fn diagnose<R: Registry>(text: &str, reg: &R) -> Vec<FilterError> {
    match compile(text, reg) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors,
    }
}

fn lower<R: Registry>(e: &Expr, reg: &R, errors: &mut Vec<FilterError>) -> Option<Node<R::Field>> {
    match e {
        Expr::And(a, b) => {
            let (a, b) = (lower(a, reg, errors), lower(b, reg, errors));
            Some(join(a?, b?, true))
        }
        Expr::Or(a, b) => {
            let (a, b) = (lower(a, reg, errors), lower(b, reg, errors));
            Some(join(a?, b?, false))
        }
        Expr::Not(inner, _) => Some(Node::Not(Box::new(lower(inner, reg, errors)?))),
        Expr::Error(_) => None,
        Expr::Check(c) => match lower_check(c, reg) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    }
}

/// Joins two nodes under `and` (or `or`), flattening chains.
fn join<F>(a: Node<F>, b: Node<F>, and: bool) -> Node<F> {
    let mut v = Vec::new();
    for n in [a, b] {
        match (n, and) {
            (Node::And(mut xs), true) | (Node::Or(mut xs), false) => v.append(&mut xs),
            (n, _) => v.push(n),
        }
    }
    if and { Node::And(v) } else { Node::Or(v) }
}

fn lower_check<R: Registry>(c: &Check, reg: &R) -> Result<Node<R::Field>, FilterError> {
    let f = &c.field;
    let spec = reg
        .resolve(&f.name, f.arg.as_deref())
        .map_err(|e| match e {
            ResolveError::Unknown => FilterError::new(
                ErrorKind::UnknownField {
                    name: f.name.clone(),
                    suggestion: suggest(&f.name, reg.names()),
                },
                f.span,
            ),
            ResolveError::Arg(msg) => FilterError::new(ErrorKind::FieldArg(msg), f.span),
        })?;
    let full_name = match &f.arg {
        Some(a) => format!("{}[{a}]", f.name),
        None => f.name.clone(),
    };
    let op_err = || {
        FilterError::new(
            ErrorKind::OpType {
                op: c.op.as_str(),
                field: full_name.clone(),
                ty: spec.ty.describe(),
            },
            c.op_span,
        )
    };
    let bad = |l: &Literal, expected: &'static str| {
        FilterError::new(
            ErrorKind::BadValue {
                value: l.text.clone(),
                expected,
                field: full_name.clone(),
            },
            l.span,
        )
    };
    let ty = spec.ty;
    let op = c.op;
    // Which operators each type takes.
    let allowed = match ty {
        FieldType::Num => matches!(
            op,
            Op::Eq
                | Op::Ne
                | Op::Lt
                | Op::Le
                | Op::Gt
                | Op::Ge
                | Op::In
                | Op::Intersects
                | Op::Exists
        ),
        FieldType::Bool => matches!(op, Op::Eq | Op::Ne | Op::Exists),
        FieldType::Ip => matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects | Op::Exists),
        FieldType::Str => !matches!(
            op,
            Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::BContains | Op::BStartsWith
        ),
        FieldType::Bytes | FieldType::Any => true,
    };
    if !allowed {
        return Err(op_err());
    }
    // The parser gives each operator its operand shape; a tree built by hand with another
    // shape compares against an empty value rather than panicking.
    let empty = Literal {
        text: String::new(),
        quoted: false,
        span: c.op_span,
    };
    let one = || match &c.operand {
        Operand::One(l) => l,
        _ => &empty,
    };
    let list = || match &c.operand {
        Operand::List(items, _) => items.as_slice(),
        _ => &[],
    };
    let rhs = match (op, ty) {
        (Op::Exists, _) => Rhs::None,
        (Op::In | Op::Intersects, FieldType::Num) => Rhs::Nums(
            list()
                .iter()
                .map(|l| parse_int(l.text.as_bytes()).ok_or_else(|| bad(l, "a number")))
                .collect::<Result<_, _>>()?,
        ),
        (_, FieldType::Num) => {
            let l = one();
            Rhs::Num(parse_int(l.text.as_bytes()).ok_or_else(|| bad(l, "a number"))?)
        }
        (_, FieldType::Bool) => {
            let l = one();
            Rhs::Bool(match l.text.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad(l, "true or false")),
            })
        }
        (Op::In | Op::Intersects, FieldType::Ip) => Rhs::Ips(
            list()
                .iter()
                .map(|l| parse_net(&l.text).ok_or_else(|| bad(l, "an IP address")))
                .collect::<Result<_, _>>()?,
        ),
        (_, FieldType::Ip) => {
            let l = one();
            Rhs::Ips(vec![
                parse_net(&l.text).ok_or_else(|| bad(l, "an IP address"))?,
            ])
        }
        (Op::In | Op::Intersects, _) => {
            Rhs::Strs(list().iter().map(|l| l.text.as_bytes().to_vec()).collect())
        }
        (Op::PMatch, _) => Rhs::Paths(
            list()
                .iter()
                .map(|l| PathPrefix::new(l.text.as_bytes()))
                .collect(),
        ),
        (Op::Glob, _) => Rhs::Glob(Glob::new(one().text.as_bytes(), false)),
        (Op::IGlob, _) => Rhs::Glob(Glob::new(one().text.as_bytes(), true)),
        (Op::Contains, _) => Rhs::Finder(Box::new(
            memmem::Finder::new(one().text.as_bytes()).into_owned(),
        )),
        (Op::BContains | Op::BStartsWith, _) => {
            let l = one();
            let bytes = parse_hex(&l.text).ok_or_else(|| bad(l, "hex bytes"))?;
            if op == Op::BContains {
                Rhs::Finder(Box::new(memmem::Finder::new(&bytes).into_owned()))
            } else {
                Rhs::Str(bytes, None)
            }
        }
        (Op::IContains, _) => Rhs::Str(one().text.to_ascii_lowercase().into_bytes(), None),
        (_, _) => {
            let l = one();
            let num = parse_int(l.text.as_bytes());
            if ty != FieldType::Any && matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) {
                return Err(op_err());
            }
            Rhs::Str(l.text.as_bytes().to_vec(), num)
        }
    };
    Ok(Node::Check {
        field: spec.id,
        cmp: Cmp { op, rhs },
    })
}

fn parse_net(s: &str) -> Option<IpNet> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = p.unwrap_or(max);
    (prefix <= max).then_some(IpNet { addr, prefix })
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}
