//! Type check against a field registry, and lowering into the compiled filter
//! ([`super::eval`]).
//!
//! The filter module knows nothing of events: a [`Registry`] resolves field names to the
//! caller's field ids and types, a [`Source`](super::Source) produces a field's value for the
//! event at hand, and a [`BlockOracle`](super::BlockOracle) judges one comparison against a
//! block summary.

use std::fmt;
use std::net::IpAddr;

use memchr::memmem;

use super::ast::{Call, Check, Expr, Func, Literal, Op, Operand, Span, Term};
use super::error::{ErrorKind, FilterError, FilterErrors, suggest};
use super::glob::{Glob, PathPrefix};
use super::parser::parse;

use super::eval::{CTerm, Filter, Node};
use super::value::{Cmp, IpNet, Num, Rhs, bool_text, parse_int, parse_num};

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
    if !op_allowed(ty, op) {
        return Err(op_err());
    }
    // A value computed per event on the right.
    if let Operand::Call(rc) = &c.operand {
        let lhs = lhs.unwrap_or_else(CTerm::Field);
        return lower_versus(c, rc, reg, lhs, ty, &full_name);
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
        let lhs = lhs.unwrap_or_else(CTerm::Field);
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

/// Which operators each type takes.
fn op_allowed(ty: FieldType, op: Op) -> bool {
    match ty {
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
    }
}

/// `lhs op f(...)`: a value computed per event on the right, of a type that compares with
/// the left side's.
fn lower_versus<R: Registry>(
    c: &Check,
    rc: &Call,
    reg: &R,
    lhs: CTerm<R::Field>,
    ty: FieldType,
    full_name: &str,
) -> Result<Node<R::Field>, FilterError> {
    let op = c.op;
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
    Ok(Node::Versus {
        lhs: Box::new(lhs),
        op,
        ty,
        rhs: Box::new(rhs.term),
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
pub(super) enum RhsErr {
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
pub(super) fn make_rhs(
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
