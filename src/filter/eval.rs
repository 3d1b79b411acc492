//! The compiled filter: its tree of checks and how it is evaluated per event, per block, and
//! through the functions a filter may call (`tolower`, `b64`, `getopt`, ...).

use std::borrow::Cow;

use memchr::memmem;

use super::ast::{Func, Literal, Modifier, Op, Span};
use super::compile::{FieldType, make_rhs};
use super::value::{BlockOracle, Cmp, Source, Tri, Val};

/// A compiled filter node.
#[derive(Clone, Debug)]
pub(super) enum Node<F> {
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
pub(super) enum CTerm<F> {
    Field(F),
    Lit(Vec<u8>),
    List(Vec<CTerm<F>>),
    Call(Func, Vec<CTerm<F>>, Option<u8>),
}

/// A compiled filter: evaluate it per event with a [`Source`], or per block with a
/// [`BlockOracle`].
#[derive(Clone, Debug)]
pub struct Filter<F> {
    pub(super) root: Node<F>,
    pub(super) text: String,
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
