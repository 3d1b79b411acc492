//! Field values and comparisons against constants, and the traits through which a compiled
//! filter sees an event ([`Source`]) or a block summary ([`BlockOracle`]).

use std::borrow::Cow;
use std::net::IpAddr;

use memchr::memmem;

use super::ast::Op;
use super::glob::{Glob, PathPrefix};

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
    /// The verdict of the negation.
    pub(super) fn not(self) -> Tri {
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
    /// Bytes (also holds the number when the text is one, for [`FieldType::Any`](super::FieldType::Any)).
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
pub(super) fn icontains(hay: &[u8], needle_lower: &[u8]) -> bool {
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
pub(super) enum Num {
    /// A number that fits.
    Int(i64),
    /// A number too large (or too small) for 64 signed bits.
    TooBig,
    /// Not a number.
    Invalid,
}

pub(super) fn parse_num(s: &[u8]) -> Num {
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

pub(super) fn bool_text(b: bool) -> &'static [u8] {
    if b { b"true" } else { b"false" }
}
