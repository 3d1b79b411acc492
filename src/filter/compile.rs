//! Type check against a field registry, and the compiled predicate.
//!
//! The filter module knows nothing of events: a [`Registry`] resolves field names to the
//! caller's field ids and types, a [`Source`] produces a field's value for the event at hand,
//! and a [`BlockOracle`] judges one comparison against a block summary.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use memchr::memmem;

use super::ast::{Call, Check, Expr, Func, Literal, Modifier, Op, Operand, Span, Term};
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

    /// The smallest and largest value a number field holds; a literal outside is an error.
    fn num_range(&self, _field: &Self::Field) -> (i64, i64) {
        (i64::MIN, i64::MAX)
    }
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
    /// A regular expression, anchored at both ends (`regex`).
    Regex(Box<regex::bytes::Regex>),
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
        self.test_op(self.op, v)
    }

    /// The comparison with operator `op` in place of its own (for `!=` on lists).
    fn test_op(&self, op: Op, v: &Val<'_>) -> bool {
        match v {
            Val::List(items) => {
                if op == Op::Ne {
                    !items.iter().any(|i| self.test_op(Op::Eq, i))
                } else {
                    items.iter().any(|i| self.test_op(op, i))
                }
            }
            Val::Num(n) => self.test_num(op, *n),
            Val::Bool(b) => match (&self.rhs, op) {
                (Rhs::Bool(x), Op::Eq) => b == x,
                (Rhs::Bool(x), Op::Ne) => b != x,
                (Rhs::Strs(xs), Op::In | Op::Intersects) => {
                    xs.iter().any(|x| x.as_slice() == bool_text(*b))
                }
                (Rhs::None, _) => true,
                _ => false,
            },
            Val::Ip(ip) => match (&self.rhs, op) {
                (Rhs::Ips(nets), Op::Eq | Op::In | Op::Intersects) => {
                    nets.iter().any(|n| n.contains(*ip))
                }
                (Rhs::Ips(nets), Op::Ne) => !nets.iter().any(|n| n.contains(*ip)),
                (Rhs::None, _) => true,
                _ => self.test_str(op, ip.to_string().as_bytes()),
            },
            Val::Str(s) => self.test_str(op, s),
        }
    }

    fn test_num(&self, op: Op, n: i64) -> bool {
        let cmp = |x: i64| match op {
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
            _ => self.test_str(op, itoa::Buffer::new().format(n).as_bytes()),
        }
    }

    fn test_str(&self, op: Op, s: &[u8]) -> bool {
        match (&self.rhs, op) {
            (Rhs::None, _) => true,
            (Rhs::Str(x, _), Op::Eq) => s == x.as_slice(),
            (Rhs::Str(x, _), Op::Ne) => s != x.as_slice(),
            (Rhs::Str(x, num), Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                // Only `any` fields get here with text; compare numbers when both are.
                if let (Some(x), Some(n)) = (num, parse_int(s)) {
                    match op {
                        Op::Lt => n < *x,
                        Op::Le => n <= *x,
                        Op::Gt => n > *x,
                        _ => n >= *x,
                    }
                } else {
                    let o = s.cmp(x.as_slice());
                    match op {
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
            (Rhs::Regex(r), Op::Regex) => r.is_match(s),
            (Rhs::Num(_), _) => parse_int(s).is_some_and(|n| self.test_num(op, n)),
            (Rhs::Nums(xs), _) => parse_int(s).is_some_and(|n| xs.contains(&n)),
            _ => false,
        }
    }
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

/// Parses a decimal (optionally signed) or `0x` hex integer; `None` when it is not one or does
/// not fit in 64 signed bits.
pub fn parse_int(s: &[u8]) -> Option<i64> {
    match parse_num(s) {
        Num::Int(n) => Some(n),
        _ => None,
    }
}

/// What a literal is as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    /// A number that fits.
    Int(i64),
    /// A number too large (or too small) for 64 signed bits.
    TooBig,
    /// Not a number.
    Invalid,
}

fn parse_num(s: &[u8]) -> Num {
    let Ok(s) = std::str::from_utf8(s) else {
        return Num::Invalid;
    };
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (digits, radix) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Num::Invalid;
    }
    // Digits only: the one way to fail is overflow.
    let Ok(v) = i128::from_str_radix(digits, radix) else {
        return Num::TooBig;
    };
    let v = if neg { -v } else { v };
    i64::try_from(v).map_or(Num::TooBig, Num::Int)
}

/// A compiled filter node.
#[derive(Clone, Debug)]
enum Node<F> {
    And(Vec<Node<F>>),
    Or(Vec<Node<F>>),
    Not(Box<Node<F>>),
    /// A field against a constant: the fast path.
    Check {
        field: F,
        cmp: Cmp,
    },
    /// A function of fields against a constant (`tolower(proc.name) = bash`).
    Computed {
        lhs: Box<CTerm<F>>,
        cmp: Cmp,
    },
    /// `op oneof|anyof|allof (a, b, ...)`: one comparison per item, counted.
    Modified {
        lhs: Box<CTerm<F>>,
        modifier: Modifier,
        cmps: Vec<Cmp>,
    },
    /// Two values computed per event (`proc.name = val(proc.pname)`): the right side becomes
    /// the operand as if it had been written there, for the left side's type.
    Versus {
        lhs: Box<CTerm<F>>,
        op: Op,
        ty: FieldType,
        rhs: Box<CTerm<F>>,
    },
}

/// A compiled function argument or call.
#[derive(Clone, Debug)]
enum CTerm<F> {
    Field(F),
    Lit(Vec<u8>),
    List(Vec<CTerm<F>>),
    Call(Func, Vec<CTerm<F>>, Option<u8>),
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

    /// Whether some part of the filter reads a field `pred` accepts.
    pub fn uses_field(&self, pred: &impl Fn(&F) -> bool) -> bool {
        node_uses(&self.root, pred)
    }
}

fn node_uses<F>(n: &Node<F>, pred: &impl Fn(&F) -> bool) -> bool {
    match n {
        Node::And(v) | Node::Or(v) => v.iter().any(|c| node_uses(c, pred)),
        Node::Not(c) => node_uses(c, pred),
        Node::Check { field, .. } => pred(field),
        Node::Computed { lhs, .. } | Node::Modified { lhs, .. } => term_uses(lhs, pred),
        Node::Versus { lhs, rhs, .. } => term_uses(lhs, pred) || term_uses(rhs, pred),
    }
}

fn term_uses<F>(t: &CTerm<F>, pred: &impl Fn(&F) -> bool) -> bool {
    match t {
        CTerm::Field(f) => pred(f),
        CTerm::Lit(_) => false,
        CTerm::List(v) | CTerm::Call(_, v, _) => v.iter().any(|c| term_uses(c, pred)),
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
        Node::Computed { lhs, cmp } => match eval_term(lhs, src) {
            None => false,
            Some(v) => cmp.op == Op::Exists || cmp.test(&v),
        },
        Node::Modified {
            lhs,
            modifier,
            cmps,
        } => {
            let v = match &**lhs {
                CTerm::Field(f) => src.get(f),
                t => eval_term(t, src),
            };
            // An empty list matches nothing, whatever the modifier (as libs).
            let Some(v) = v.filter(|_| !cmps.is_empty()) else {
                return false;
            };
            match modifier {
                Modifier::Any => cmps.iter().any(|c| c.test(&v)),
                Modifier::All => cmps.iter().all(|c| c.test(&v)),
                Modifier::One => cmps.iter().filter(|c| c.test(&v)).take(2).count() == 1,
            }
        }
        Node::Versus { lhs, op, ty, rhs } => {
            let (Some(l), Some(r)) = (eval_term(lhs, src), eval_term(rhs, src)) else {
                return false;
            };
            if let Some(b) = versus_direct(*op, &l, &r) {
                return b;
            }
            let mut texts = Vec::new();
            flatten_text(&r, &mut texts);
            let lits: Vec<Literal> = texts
                .into_iter()
                .map(|t| Literal {
                    text: String::from_utf8_lossy(&t).into_owned(),
                    quoted: true,
                    span: Span::default(),
                })
                .collect();
            match make_rhs(*op, *ty, &lits, (i64::MIN, i64::MAX)) {
                Ok(rhs) => Cmp { op: *op, rhs }.test(&l),
                Err(_) => false,
            }
        }
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
        Node::Computed { .. } | Node::Modified { .. } | Node::Versus { .. } => Tri::Unknown,
    }
}

/// `l op r` for two scalars of the same kind and the common operators, without going through
/// a compiled operand; `None` for the rest.
fn versus_direct(op: Op, l: &Val<'_>, r: &Val<'_>) -> Option<bool> {
    Some(match (l, r) {
        (Val::Str(a), Val::Str(b)) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Contains => memmem::find(a, b).is_some(),
            Op::StartsWith => a.starts_with(b),
            Op::EndsWith => a.ends_with(b),
            _ => return None,
        },
        (Val::Num(a), Val::Num(b)) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            _ => return None,
        },
        (Val::Bool(a), Val::Bool(b)) if matches!(op, Op::Eq | Op::Ne) => (a == b) == (op == Op::Eq),
        _ => return None,
    })
}

/// A value with nothing borrowed.
fn owned_val(v: Val<'_>) -> Val<'static> {
    match v {
        Val::Num(n) => Val::Num(n),
        Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
        Val::Bool(b) => Val::Bool(b),
        Val::Ip(ip) => Val::Ip(ip),
        Val::List(items) => Val::List(items.into_iter().map(owned_val).collect()),
    }
}

/// The text of a value (a list's items one by one), as a function sees it.
fn flatten_text(v: &Val<'_>, out: &mut Vec<Vec<u8>>) {
    match v {
        Val::List(items) => items.iter().for_each(|i| flatten_text(i, out)),
        other => out.push(scalar_text(other)),
    }
}

fn scalar_text(v: &Val<'_>) -> Vec<u8> {
    match v {
        Val::Num(n) => itoa::Buffer::new().format(*n).as_bytes().to_vec(),
        Val::Str(s) => s.to_vec(),
        Val::Bool(b) => {
            if *b {
                b"true".to_vec()
            } else {
                b"false".to_vec()
            }
        }
        Val::Ip(ip) => ip.to_string().into_bytes(),
        Val::List(_) => {
            let mut parts = Vec::new();
            flatten_text(v, &mut parts);
            parts.join(&b","[..])
        }
    }
}

/// Applies `f` to every string of `v` (lists item by item); `None` when `f` fails on one.
fn map_str(v: Val<'static>, f: &dyn Fn(&[u8]) -> Option<Vec<u8>>) -> Option<Val<'static>> {
    Some(match v {
        Val::List(items) => Val::List(
            items
                .into_iter()
                .map(|i| map_str(i, f))
                .collect::<Option<_>>()?,
        ),
        other => Val::Str(Cow::Owned(f(&scalar_text(&other))?)),
    })
}

fn eval_term<F, S: Source<F>>(t: &CTerm<F>, src: &mut S) -> Option<Val<'static>> {
    match t {
        CTerm::Field(f) => src.get(f).map(owned_val),
        CTerm::Lit(b) => Some(Val::Str(Cow::Owned(b.clone()))),
        CTerm::List(items) => Some(Val::List(
            items
                .iter()
                .map(|i| eval_term(i, src))
                .collect::<Option<_>>()?,
        )),
        CTerm::Call(func, args, sel) => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval_term(a, src)?);
            }
            apply(*func, vals, *sel)
        }
    }
}

fn apply(func: Func, mut vals: Vec<Val<'static>>, sel: Option<u8>) -> Option<Val<'static>> {
    let first = if vals.is_empty() {
        return None;
    } else {
        vals.remove(0)
    };
    match func {
        Func::Val => Some(first),
        Func::ToLower => map_str(first, &|s| Some(s.to_ascii_lowercase())),
        Func::ToUpper => map_str(first, &|s| Some(s.to_ascii_uppercase())),
        Func::B64 => map_str(first, &b64_decode),
        Func::Basename => map_str(first, &|s| {
            let start = s.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
            Some(s[start..].to_vec())
        }),
        Func::Len => Some(Val::Num(match &first {
            Val::List(items) => items.len() as i64,
            other => scalar_text(other).len() as i64,
        })),
        Func::Join => {
            let sep = scalar_text(&first);
            let mut parts = Vec::new();
            flatten_text(vals.first()?, &mut parts);
            Some(Val::Str(Cow::Owned(parts.join(sep.as_slice()))))
        }
        Func::Concat => {
            let mut out = scalar_text(&first);
            for v in &vals {
                out.extend_from_slice(&scalar_text(v));
            }
            Some(Val::Str(Cow::Owned(out)))
        }
        Func::GetOpt => {
            let mut args = Vec::new();
            flatten_text(&first, &mut args);
            let optstring = scalar_text(vals.first()?);
            getopt(&args, &optstring, sel)
        }
    }
}

/// Base64 decoding (standard alphabet; padding optional, as libs' `b64`); `None` on anything
/// else.
pub(super) fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let body = match s.iter().position(|&c| c == b'=') {
        Some(i) if s[i..].iter().all(|&c| c == b'=') && s.len() - i <= 2 => &s[..i],
        Some(_) => return None,
        None => s,
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Short options of `args` (argv without the program name) the way getopt(3) reads them with
/// `optstring`: stops at `--` or the first non-option, skips long options, an unknown option
/// gives `?`. Without a selector: the options and their values in order. With one: the value
/// (or the letter, for an option without value) of its last occurrence, `None` when absent.
fn getopt(args: &[Vec<u8>], optstring: &[u8], sel: Option<u8>) -> Option<Val<'static>> {
    let spec = optstring.strip_prefix(b":").unwrap_or(optstring);
    let mut valid = [false; 256];
    let mut takes = [false; 256];
    let mut at = 0;
    while at < spec.len() {
        let c = spec[at];
        if c != b':' {
            valid[usize::from(c)] = true;
            if spec.get(at + 1) == Some(&b':') {
                takes[usize::from(c)] = true;
                at += 1;
            }
        }
        at += 1;
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut selected = None;
    let mut emit = |name: &[u8], value: Option<&[u8]>| {
        if sel.is_some() {
            selected = Some(value.unwrap_or(name).to_vec());
        } else {
            out.push(name.to_vec());
            out.extend(value.map(<[u8]>::to_vec));
        }
    };
    let mut word = 0;
    while word < args.len() {
        let arg = args[word].as_slice();
        if arg == b"--" {
            break;
        }
        if arg.len() > 2 && arg.starts_with(b"--") {
            word += 1;
            continue;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            break;
        }
        let mut pos = 1;
        while pos < arg.len() {
            let c = arg[pos];
            let matched = sel.is_none_or(|s| s == c);
            if c == b':' || !valid[usize::from(c)] {
                if sel.is_none() {
                    emit(b"?", None);
                }
                pos += 1;
                continue;
            }
            if !takes[usize::from(c)] {
                if matched {
                    emit(&arg[pos..=pos], None);
                }
                pos += 1;
                continue;
            }
            // The value is the rest of this word, or the next word.
            let value = if pos + 1 < arg.len() {
                Some(arg[pos + 1..].to_vec())
            } else if word + 1 < args.len() {
                word += 1;
                Some(args[word].clone())
            } else {
                None
            };
            if matched {
                match &value {
                    Some(v) => emit(&arg[pos..=pos], Some(v)),
                    None => emit(b"", None),
                }
            }
            break;
        }
        word += 1;
    }
    match sel {
        Some(_) => selected.map(|v| Val::Str(Cow::Owned(v))),
        None => Some(Val::List(
            out.into_iter().map(|v| Val::Str(Cow::Owned(v))).collect(),
        )),
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

/// Lowers the tree. It recurses once per level of the tree, which the parser keeps shallow
/// (nesting is limited and `and`/`or` chains are balanced).
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

fn resolve<R: Registry>(
    f: &super::ast::FieldRef,
    reg: &R,
) -> Result<FieldSpec<R::Field>, FilterError> {
    reg.resolve(&f.name, f.arg.as_deref()).map_err(|e| match e {
        ResolveError::Unknown => FilterError::new(
            ErrorKind::UnknownField {
                name: f.name.clone(),
                suggestion: suggest(&f.name, reg.names()),
            },
            f.span,
        ),
        ResolveError::Arg(msg) => FilterError::new(ErrorKind::FieldArg(msg), f.span),
    })
}

/// A checked term: compiled, with its type and whether it has several values.
struct Typed<F> {
    term: CTerm<F>,
    ty: FieldType,
    multi: bool,
}

fn is_text(ty: FieldType) -> bool {
    matches!(ty, FieldType::Str | FieldType::Bytes | FieldType::Any)
}

fn func_err(msg: String, span: Span) -> FilterError {
    FilterError::new(ErrorKind::Func(msg), span)
}

fn check_term<R: Registry>(t: &Term, reg: &R) -> Result<Typed<R::Field>, FilterError> {
    match t {
        Term::Field(f) => {
            let spec = resolve(f, reg)?;
            Ok(Typed {
                term: CTerm::Field(spec.id),
                ty: spec.ty,
                multi: spec.multi,
            })
        }
        Term::Lit(l) => Ok(Typed {
            term: CTerm::Lit(l.text.as_bytes().to_vec()),
            ty: FieldType::Str,
            multi: false,
        }),
        Term::List(items, _) => Ok(Typed {
            term: CTerm::List(
                items
                    .iter()
                    .map(|i| {
                        let t = check_term(i, reg)?;
                        if t.multi {
                            return Err(func_err(
                                "a list cannot hold a value that is itself a list".into(),
                                i.span(),
                            ));
                        }
                        Ok(t.term)
                    })
                    .collect::<Result<_, _>>()?,
            ),
            ty: FieldType::Str,
            multi: true,
        }),
        Term::Call(c) => check_call(c, reg),
    }
}

fn check_call<R: Registry>(c: &Call, reg: &R) -> Result<Typed<R::Field>, FilterError> {
    let name = c.func.as_str();
    let args = c
        .args
        .iter()
        .map(|a| check_term(a, reg))
        .collect::<Result<Vec<_>, _>>()?;
    let count_err = |want: &str| {
        func_err(
            format!("{name}() takes {want}, not {}", c.args.len()),
            c.span,
        )
    };
    if c.arg.is_some() && c.func != Func::GetOpt {
        return Err(func_err(
            format!("{name}() takes no [argument] after it"),
            c.span,
        ));
    }
    let arg_span = |i: usize| c.args.get(i).map_or(c.span, Term::span);
    let (ty, multi) = match c.func {
        Func::ToLower | Func::ToUpper | Func::B64 | Func::Basename | Func::Len | Func::Val => {
            let [a] = args.as_slice() else {
                return Err(count_err("one argument"));
            };
            if c.func == Func::Val {
                if !matches!(c.args.first(), Some(Term::Field(_))) {
                    return Err(func_err(
                        "val() takes a field, like val(proc.pname)".into(),
                        arg_span(0),
                    ));
                }
                (a.ty, a.multi)
            } else if c.func == Func::Len {
                if !a.multi && !is_text(a.ty) {
                    return Err(func_err(
                        format!("len() takes a string or a list, not {}", a.ty.describe()),
                        arg_span(0),
                    ));
                }
                (FieldType::Num, false)
            } else {
                if !is_text(a.ty) {
                    return Err(func_err(
                        format!("{name}() takes a string, not {}", a.ty.describe()),
                        arg_span(0),
                    ));
                }
                let ty = if c.func == Func::B64 {
                    FieldType::Bytes
                } else {
                    FieldType::Str
                };
                (ty, a.multi)
            }
        }
        Func::Join => {
            let [sep, list] = args.as_slice() else {
                return Err(count_err("two arguments: a separator and a list"));
            };
            if sep.multi {
                return Err(func_err(
                    "join() takes a single separator, not a list".into(),
                    arg_span(0),
                ));
            }
            if !list.multi {
                return Err(func_err(
                    "join() takes a list second, like (proc.name, fd.name)".into(),
                    arg_span(1),
                ));
            }
            (FieldType::Str, false)
        }
        Func::Concat => {
            if args.len() < 2 {
                return Err(count_err("at least two arguments"));
            }
            for (i, a) in args.iter().enumerate() {
                if a.multi || !is_text(a.ty) {
                    return Err(func_err(
                        "concat() takes strings, not lists or other values".into(),
                        arg_span(i),
                    ));
                }
            }
            (FieldType::Str, false)
        }
        Func::GetOpt => {
            let [list, opts] = args.as_slice() else {
                return Err(count_err(
                    "two arguments: an argument list and an optstring",
                ));
            };
            if !list.multi || !is_text(list.ty) {
                return Err(func_err(
                    "getopt() takes a list of strings first".into(),
                    arg_span(0),
                ));
            }
            if opts.multi || !is_text(opts.ty) {
                return Err(func_err(
                    "getopt() takes a single optstring second".into(),
                    arg_span(1),
                ));
            }
            (FieldType::Str, c.arg.is_none())
        }
    };
    let sel = match (&c.arg, c.func) {
        (Some(a), _) => match a.as_bytes() {
            [b] => Some(*b),
            _ => {
                return Err(func_err(
                    "getopt()[...] takes one option letter".into(),
                    c.span,
                ));
            }
        },
        _ => None,
    };
    Ok(Typed {
        term: CTerm::Call(c.func, args.into_iter().map(|a| a.term).collect(), sel),
        ty,
        multi,
    })
}

fn lower_check<R: Registry>(c: &Check, reg: &R) -> Result<Node<R::Field>, FilterError> {
    // The left side: a field, or a function of fields.
    let (lhs, ty, multi, range) = match &c.call {
        None => {
            let spec = resolve(&c.field, reg)?;
            let range = reg.num_range(&spec.id);
            (Err(spec.id), spec.ty, spec.multi, range)
        }
        Some(call) => {
            if call.func == Func::Val {
                return Err(func_err(
                    "val() stands on the right of an operator (proc.name = val(proc.pname))".into(),
                    call.name_span,
                ));
            }
            let t = check_call(call, reg)?;
            (Ok(t.term), t.ty, t.multi, (i64::MIN, i64::MAX))
        }
    };
    let f = &c.field;
    let full_name = match &f.arg {
        Some(a) => format!("{}[{a}]", f.name),
        None => f.name.clone(),
    };
    let op = c.op;
    let op_err = || {
        FilterError::new(
            ErrorKind::OpType {
                op: op.as_str(),
                field: full_name.clone(),
                ty: ty.describe(),
            },
            c.op_span,
        )
    };
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
        FieldType::Bool => matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects | Op::Exists),
        FieldType::Ip => matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects | Op::Exists),
        // `<` and friends compare strings byte by byte, as libs does.
        FieldType::Str => !matches!(op, Op::BContains | Op::BStartsWith),
        // Current libs refuses icontains, glob, pmatch and regex on a byte buffer; sysdig
        // (and Sysdig Inspect's log tiles: `evt.buffer icontains warn`) use them, so they stay.
        FieldType::Bytes | FieldType::Any => true,
    };
    if !allowed {
        return Err(op_err());
    }
    // A value computed per event on the right.
    if let Operand::Call(rc) = &c.operand {
        let rhs = check_call(rc, reg)?;
        let compatible = match ty {
            FieldType::Num => matches!(rhs.ty, FieldType::Num | FieldType::Any),
            FieldType::Bool => rhs.ty == FieldType::Bool,
            FieldType::Ip => matches!(rhs.ty, FieldType::Ip | FieldType::Any),
            FieldType::Str | FieldType::Bytes | FieldType::Any => {
                is_text(rhs.ty) || ty == FieldType::Any
            }
        };
        if !compatible {
            return Err(func_err(
                format!(
                    "{} is {}, which does not compare with {full_name} ({})",
                    c.operand_text(),
                    rhs.ty.describe(),
                    ty.describe()
                ),
                rc.span,
            ));
        }
        if rhs.multi && !op.takes_list() {
            return Err(func_err(
                format!(
                    "{} has several values; compare it with 'in' or 'intersects'",
                    c.operand_text()
                ),
                rc.span,
            ));
        }
        let lhs = match lhs {
            Ok(t) => t,
            Err(id) => CTerm::Field(id),
        };
        return Ok(Node::Versus {
            lhs: Box::new(lhs),
            op,
            ty,
            rhs: Box::new(rhs.term),
        });
    }
    if let Some(modifier) = c.modifier {
        if multi {
            return Err(func_err(
                format!(
                    "'{}' compares a single value; {full_name} has several",
                    modifier.as_str()
                ),
                c.op_span,
            ));
        }
        let items = match &c.operand {
            Operand::List(items, _) => items.as_slice(),
            _ => &[],
        };
        let cmps = items
            .iter()
            .map(|l| {
                make_rhs(op, ty, std::slice::from_ref(l), range)
                    .map(|rhs| Cmp { op, rhs })
                    .map_err(|(_, kind)| rhs_error(kind, l, &full_name, range, &op_err))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let lhs = match lhs {
            Ok(t) => t,
            Err(id) => CTerm::Field(id),
        };
        return Ok(Node::Modified {
            lhs: Box::new(lhs),
            modifier,
            cmps,
        });
    }
    let items: Vec<Literal> = match &c.operand {
        Operand::One(l) => vec![l.clone()],
        Operand::List(items, _) => items.clone(),
        // The parser gives each operator its operand shape; a tree built by hand with another
        // shape compares against an empty value rather than panicking.
        _ if op == Op::Exists => Vec::new(),
        _ => vec![Literal {
            text: String::new(),
            quoted: false,
            span: c.op_span,
        }],
    };
    let rhs = make_rhs(op, ty, &items, range).map_err(|(i, kind)| {
        let l = items.get(i).cloned().unwrap_or(Literal {
            text: String::new(),
            quoted: false,
            span: c.op_span,
        });
        rhs_error(kind, &l, &full_name, range, &op_err)
    })?;
    let cmp = Cmp { op, rhs };
    Ok(match lhs {
        Err(field) => Node::Check { field, cmp },
        Ok(t) => Node::Computed {
            lhs: Box::new(t),
            cmp,
        },
    })
}

/// The error for an operand item `l` that did not compile.
fn rhs_error(
    kind: RhsErr,
    l: &Literal,
    field: &str,
    range: (i64, i64),
    op_err: &dyn Fn() -> FilterError,
) -> FilterError {
    let kind = match kind {
        RhsErr::Expected(expected) => ErrorKind::BadValue {
            // Control characters (a NUL) shown escaped, so the message says what it holds.
            value: if l.text.contains(char::is_control) {
                l.text.escape_default().to_string()
            } else {
                l.text.clone()
            },
            expected,
            field: field.to_owned(),
        },
        RhsErr::Range => ErrorKind::OutOfRange {
            value: l.text.clone(),
            field: field.to_owned(),
            min: range.0,
            max: range.1,
        },
        RhsErr::Regex(e) => ErrorKind::BadRegex(e),
        RhsErr::Op => return op_err(),
    };
    FilterError::new(kind, l.span)
}

impl Check {
    /// The text of the right-hand side, for messages.
    fn operand_text(&self) -> String {
        match &self.operand {
            Operand::Call(c) => format!("{}(...)", c.func.as_str()),
            Operand::One(l) => l.text.clone(),
            _ => "the value".into(),
        }
    }
}

/// Why an operand does not compile.
enum RhsErr {
    /// Not a value of the type (the type in words).
    Expected(&'static str),
    /// A number outside the field's range.
    Range,
    /// A regular expression that does not compile.
    Regex(String),
    /// The operator does not apply.
    Op,
}

/// Compiles the operand `items` (one for single-value operators) of `op` for a value of type
/// `ty`; on failure, which item and why.
fn make_rhs(
    op: Op,
    ty: FieldType,
    items: &[Literal],
    range: (i64, i64),
) -> Result<Rhs, (usize, RhsErr)> {
    let num = |i: usize, l: &Literal| match parse_num(l.text.as_bytes()) {
        Num::Int(n) if n >= range.0 && n <= range.1 => Ok(n),
        Num::Int(_) | Num::TooBig => Err((i, RhsErr::Range)),
        Num::Invalid => Err((i, RhsErr::Expected("a number"))),
    };
    let empty = Literal {
        text: String::new(),
        quoted: false,
        span: Span::default(),
    };
    let one = items.first().unwrap_or(&empty);
    let text = one.text.as_bytes();
    // A string field never holds a NUL byte (libs refuses one in its operand too).
    if ty == FieldType::Str
        && let Some(i) = items.iter().position(|l| l.text.contains('\0'))
    {
        return Err((i, RhsErr::Expected("text without a NUL byte")));
    }
    Ok(match (op, ty) {
        (Op::Exists, _) => Rhs::None,
        (Op::In | Op::Intersects, FieldType::Num) => Rhs::Nums(
            items
                .iter()
                .enumerate()
                .map(|(i, l)| num(i, l))
                .collect::<Result<_, _>>()?,
        ),
        (_, FieldType::Num) => Rhs::Num(num(0, one)?),
        (Op::In | Op::Intersects, FieldType::Bool) => Rhs::Strs(
            items
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    parse_bool(&l.text)
                        .map(|b| bool_text(b).to_vec())
                        .ok_or((i, RhsErr::Expected("true or false")))
                })
                .collect::<Result<_, _>>()?,
        ),
        (_, FieldType::Bool) => {
            Rhs::Bool(parse_bool(&one.text).ok_or((0, RhsErr::Expected("true or false")))?)
        }
        (Op::In | Op::Intersects, FieldType::Ip) => Rhs::Ips(
            items
                .iter()
                .enumerate()
                .map(|(i, l)| parse_net(&l.text).ok_or((i, RhsErr::Expected("an IP address"))))
                .collect::<Result<_, _>>()?,
        ),
        (_, FieldType::Ip) => Rhs::Ips(vec![
            parse_net(&one.text).ok_or((0, RhsErr::Expected("an IP address")))?,
        ]),
        (Op::In | Op::Intersects, _) => {
            Rhs::Strs(items.iter().map(|l| l.text.as_bytes().to_vec()).collect())
        }
        (Op::PMatch, _) => Rhs::Paths(
            items
                .iter()
                .map(|l| PathPrefix::new(l.text.as_bytes()))
                .collect(),
        ),
        (Op::Glob, _) => Rhs::Glob(Glob::new(text, false)),
        (Op::IGlob, _) => Rhs::Glob(Glob::new(text, true)),
        (Op::Contains, _) => Rhs::Finder(Box::new(memmem::Finder::new(text).into_owned())),
        (Op::Regex, _) => Rhs::Regex(Box::new(
            regex::bytes::RegexBuilder::new(&format!("^(?:{})$", one.text))
                .size_limit(1 << 20)
                .build()
                .map_err(|e| (0, RhsErr::Regex(regex_msg(&e))))?,
        )),
        (Op::BContains | Op::BStartsWith, _) => {
            let bytes = parse_hex(&one.text).ok_or((0, RhsErr::Expected("hex bytes")))?;
            if op == Op::BContains {
                Rhs::Finder(Box::new(memmem::Finder::new(&bytes).into_owned()))
            } else {
                Rhs::Str(bytes, None)
            }
        }
        (Op::IContains, _) => Rhs::Str(one.text.to_ascii_lowercase().into_bytes(), None),
        (_, _) => {
            if !matches!(ty, FieldType::Any | FieldType::Str)
                && matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge)
            {
                return Err((0, RhsErr::Op));
            }
            // Only `any` fields compare as numbers when both sides are numbers.
            let num = if ty == FieldType::Any {
                parse_int(text)
            } else {
                None
            };
            Rhs::Str(text.to_vec(), num)
        }
    })
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn bool_text(b: bool) -> &'static [u8] {
    if b { b"true" } else { b"false" }
}

/// The regex crate's message, on one line (it draws its own caret over the pattern otherwise).
fn regex_msg(e: &regex::Error) -> String {
    let s = e.to_string();
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or_else(
            || s.lines().last().unwrap_or("").to_owned(),
            |l| l.trim_start_matches("error:").trim().to_owned(),
        )
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
