//! Recursive-descent parser: text → [`Expr`] with spans. It keeps going after an error (the
//! broken part becomes [`Expr::Error`]) so every error in a filter is reported at once.

use super::ast::{Call, Check, Expr, FieldRef, Func, Modifier, Operand, Span, Term};
use super::error::{ErrorKind, FilterError};
use super::lexer::Lexer;

/// Parses a whole filter. Returns the tree (possibly with [`Expr::Error`] parts) and every error
/// found; the tree is `None` only for an empty filter.
pub fn parse(src: &str) -> (Option<Expr>, Vec<FilterError>) {
    let mut p = Parser {
        lx: Lexer::new(src),
        errors: Vec::new(),
        depth: 0,
        aborted: false,
    };
    p.lx.skip_ws();
    if p.lx.at_end() {
        return (
            None,
            vec![FilterError::new(ErrorKind::Empty, Span::new(0, src.len()))],
        );
    }
    let mut parts = vec![p.or_expr()];
    // Anything left is an error; report it and parse on so later errors show too.
    loop {
        p.lx.skip_ws();
        if p.lx.at_end() {
            break;
        }
        if p.lx.peek() == Some(')') {
            let s = p.lx.pos();
            p.lx.eat(')');
            p.push(FilterError::new(
                ErrorKind::UnmatchedParen,
                Span::new(s, s + 1),
            ));
            continue;
        }
        let e = FilterError::new(
            ErrorKind::ExpectedConnective {
                found: p.lx.describe_here(),
            },
            p.lx.here_span(),
        );
        p.push(e);
        // Skip the junk; go on after the next `and`/`or` if there is one.
        let _ = p.recover();
        p.lx.skip_ws();
        let kw = p.lx.at_keyword("and").or_else(|| p.lx.at_keyword("or"));
        if let Some(span) = kw {
            p.lx.set_pos(span.end);
            parts.push(p.or_expr());
        }
    }
    (Some(balance(parts, Expr::And)), p.errors)
}

/// How deep parentheses, `not` and function calls may nest (libs stops at 100 too). Chains of
/// `and`/`or` do not nest: they become balanced trees, so no step of compiling, evaluating or
/// printing a filter recurses deeper than a few hundred levels.
pub const MAX_DEPTH: usize = 100;

struct Parser<'a> {
    lx: Lexer<'a>,
    errors: Vec<FilterError>,
    /// Current nesting of parentheses, `not` and calls.
    depth: usize,
    /// Set once the nesting limit is hit: the rest of the text is skipped and no further
    /// errors are reported (they would only be echoes of that one).
    aborted: bool,
}

/// Joins `items` (at least one) into a balanced tree of `mk` nodes, left to right.
fn balance(mut items: Vec<Expr>, mk: fn(Box<Expr>, Box<Expr>) -> Expr) -> Expr {
    if items.len() <= 1 {
        return items.pop().unwrap_or(Expr::Error(Span::default()));
    }
    let right = items.split_off(items.len().div_ceil(2));
    mk(Box::new(balance(items, mk)), Box::new(balance(right, mk)))
}

/// A number as libs reads one in function arguments: an optional sign, digits, an optional
/// fraction and exponent, or `0x` hex.
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
}

impl Parser<'_> {
    fn push(&mut self, e: FilterError) {
        if !self.aborted {
            self.errors.push(e);
        }
    }

    /// Enters one nesting level at `span`; false (and the parse is abandoned) past the limit.
    fn enter(&mut self, span: Span) -> bool {
        if self.aborted {
            return false;
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.push(FilterError::new(
                ErrorKind::TooDeep { max: MAX_DEPTH },
                span,
            ));
            self.aborted = true;
            self.lx.skip_to_end();
            return false;
        }
        true
    }

    fn or_expr(&mut self) -> Expr {
        self.joined("or", Self::and_expr, Expr::Or)
    }

    fn and_expr(&mut self) -> Expr {
        self.joined("and", Self::not_expr, Expr::And)
    }

    /// One or more `operand`s joined by the keyword `kw`, balanced into a tree of `mk` nodes.
    fn joined(
        &mut self,
        kw: &str,
        operand: fn(&mut Self) -> Expr,
        mk: fn(Box<Expr>, Box<Expr>) -> Expr,
    ) -> Expr {
        let mut items = vec![operand(self)];
        loop {
            self.lx.skip_ws();
            let Some(span) = self.lx.at_keyword(kw) else {
                break;
            };
            self.lx.set_pos(span.end);
            items.push(operand(self));
        }
        balance(items, mk)
    }

    fn not_expr(&mut self) -> Expr {
        let outer = self.depth;
        let mut nots = Vec::new();
        loop {
            self.lx.skip_ws();
            let Some(span) = self.lx.at_keyword("not") else {
                break;
            };
            if !self.enter(span) {
                break;
            }
            self.lx.set_pos(span.end);
            nots.push(span);
        }
        let mut e = if self.aborted {
            Expr::Error(Span::new(self.lx.pos(), self.lx.pos()))
        } else {
            self.primary()
        };
        for span in nots.into_iter().rev() {
            e = Expr::Not(Box::new(e), span);
        }
        self.depth = outer;
        e
    }

    fn primary(&mut self) -> Expr {
        self.lx.skip_ws();
        let start = self.lx.pos();
        if self.lx.peek() == Some('(') {
            if !self.enter(Span::new(start, start + 1)) {
                return Expr::Error(Span::new(start, start + 1));
            }
            self.lx.eat('(');
            let inner = self.or_expr();
            self.depth -= 1;
            self.lx.skip_ws();
            if self.lx.eat(')') {
                return inner;
            }
            // A missing ')' at the end, or junk inside the parentheses.
            if self.lx.at_end() {
                self.push(FilterError::new(
                    ErrorKind::UnclosedParen,
                    Span::new(start, start + 1),
                ));
            } else {
                let e = FilterError::new(
                    ErrorKind::ExpectedConnective {
                        found: self.lx.describe_here(),
                    },
                    self.lx.here_span(),
                );
                self.push(e);
                let _ = self.recover();
                self.lx.eat(')');
            }
            return inner;
        }
        match self.check() {
            Ok(c) => Expr::Check(c),
            Err(e) => {
                self.push(e);
                let end = self.recover();
                Expr::Error(Span::new(start, end.max(start)))
            }
        }
    }

    fn check(&mut self) -> Result<Check, FilterError> {
        let (field, call) = match self.lx.peek_call() {
            Some((Func::Val, span)) => {
                return Err(FilterError::new(
                    ErrorKind::Func(
                        "val() stands on the right of an operator (proc.name = val(proc.pname))"
                            .into(),
                    ),
                    span,
                ));
            }
            Some(_) => {
                let call = self.call()?;
                let text = self
                    .lx
                    .src()
                    .get(call.span.start..call.span.end)
                    .unwrap_or("")
                    .to_owned();
                (
                    FieldRef {
                        name: text,
                        arg: None,
                        span: call.span,
                    },
                    Some(Box::new(call)),
                )
            }
            None => (self.lx.field()?, None),
        };
        self.lx.skip_ws();
        let (op, op_span) = self.lx.operator()?;
        self.lx.skip_ws();
        // `== anyof (a, b)`: a modifier, when a list follows it.
        // libs wants white space on both sides of the modifier.
        let spaced = self
            .lx
            .src()
            .get(..self.lx.pos())
            .and_then(|b| b.chars().next_back())
            .is_some_and(char::is_whitespace);
        let mut modifier = None;
        if spaced
            && !op.takes_list()
            && op != super::ast::Op::Exists
            && let Some((w, span)) = self.lx.peek_word()
            && let Some(m) = Modifier::from_word(w)
            && self.lx.at_keyword(w).is_some()
        {
            let after = self.lx.src().get(span.end..).unwrap_or("");
            if after.starts_with(char::is_whitespace) && after.trim_start().starts_with('(') {
                self.lx.set_pos(span.end);
                self.lx.skip_ws();
                modifier = Some(m);
            }
        }
        let operand = if op == super::ast::Op::Exists {
            Operand::None
        } else if modifier.is_none() && self.lx.peek_call().is_some() {
            Operand::Call(self.call()?)
        } else if op.takes_list() || modifier.is_some() {
            let list_start = self.lx.pos();
            if !self.lx.eat('(') {
                return Err(FilterError::new(
                    ErrorKind::ExpectedList {
                        op: op.as_str(),
                        found: self.lx.describe_here(),
                    },
                    self.lx.here_span(),
                ));
            }
            let items = self.list_items(op).inspect_err(|_| self.skip_list_rest())?;
            Operand::List(items, Span::new(list_start, self.lx.pos()))
        } else {
            match self.lx.value()? {
                Some(v) => Operand::One(v),
                None => {
                    return Err(FilterError::new(
                        ErrorKind::ExpectedValue {
                            op: op.as_str(),
                            found: self.lx.describe_here(),
                        },
                        self.lx.here_span(),
                    ));
                }
            }
        };
        Ok(Check {
            field,
            call,
            op,
            op_span,
            modifier,
            operand,
        })
    }

    /// A function call at the cursor: `name(arg, ...)`, then an optional `[argument]`.
    fn call(&mut self) -> Result<Call, FilterError> {
        let Some((func, name_span)) = self.lx.peek_call() else {
            return Err(FilterError::new(
                ErrorKind::ExpectedField {
                    found: self.lx.describe_here(),
                },
                self.lx.here_span(),
            ));
        };
        if !self.enter(name_span) {
            return Err(FilterError::new(
                ErrorKind::TooDeep { max: MAX_DEPTH },
                name_span,
            ));
        }
        let r = self.call_rest(func, name_span);
        self.depth -= 1;
        r
    }

    fn call_rest(&mut self, func: Func, name_span: Span) -> Result<Call, FilterError> {
        self.lx.set_pos(name_span.end);
        self.lx.eat('(');
        let args = self.terms(')', func.as_str())?;
        let arg = self.lx.bracket_arg()?;
        Ok(Call {
            func,
            name_span,
            args,
            arg,
            span: Span::new(name_span.start, self.lx.pos()),
        })
    }

    /// Terms separated by commas up to `close` (the opening parenthesis is already read).
    fn terms(&mut self, close: char, what: &str) -> Result<Vec<Term>, FilterError> {
        let mut items = Vec::new();
        loop {
            self.lx.skip_ws();
            if self.lx.eat(close) {
                return Ok(items);
            }
            if !items.is_empty() {
                if !self.lx.eat(',') {
                    return Err(FilterError::new(
                        ErrorKind::ExpectedListSep {
                            found: self.lx.describe_here(),
                        },
                        self.lx.here_span(),
                    ));
                }
                self.lx.skip_ws();
            }
            items.push(self.term(what)?);
        }
    }

    /// One function argument: a call, a parenthesised list, a field, or a literal.
    fn term(&mut self, what: &str) -> Result<Term, FilterError> {
        if self.lx.peek_call().is_some() {
            return self.call().map(Term::Call);
        }
        let start = self.lx.pos();
        if self.lx.peek() == Some('(') {
            if !self.enter(Span::new(start, start + 1)) {
                return Err(FilterError::new(
                    ErrorKind::TooDeep { max: MAX_DEPTH },
                    Span::new(start, start + 1),
                ));
            }
            self.lx.eat('(');
            let items = self.terms(')', what);
            self.depth -= 1;
            return Ok(Term::List(items?, Span::new(start, self.lx.pos())));
        }
        if self.lx.at_field_name() {
            return self.lx.field().map(Term::Field);
        }
        match self.lx.value()? {
            // As in libs, a function takes quoted strings and numbers, not bare words.
            Some(v) if !v.quoted && !looks_numeric(&v.text) => Err(FilterError::new(
                ErrorKind::Func(format!(
                    "'{}' is neither a field nor a quoted string or a number",
                    v.text
                )),
                v.span,
            )),
            Some(v) => Ok(Term::Lit(v)),
            None => Err(FilterError::new(
                ErrorKind::ExpectedValue {
                    op: Func::from_word(what).map_or("(", Func::as_str),
                    found: self.lx.describe_here(),
                },
                self.lx.here_span(),
            )),
        }
    }

    fn list_items(&mut self, op: super::ast::Op) -> Result<Vec<super::ast::Literal>, FilterError> {
        let mut items = Vec::new();
        loop {
            self.lx.skip_ws();
            if self.lx.eat(')') {
                break;
            }
            if !items.is_empty() {
                if !self.lx.eat(',') {
                    return Err(FilterError::new(
                        ErrorKind::ExpectedListSep {
                            found: self.lx.describe_here(),
                        },
                        self.lx.here_span(),
                    ));
                }
                self.lx.skip_ws();
            }
            match self.lx.value()? {
                Some(v) => items.push(v),
                None => {
                    return Err(FilterError::new(
                        ErrorKind::ExpectedValue {
                            op: op.as_str(),
                            found: self.lx.describe_here(),
                        },
                        self.lx.here_span(),
                    ));
                }
            }
        }
        Ok(items)
    }

    /// After an error inside a list: skips to just past the `)` that closes it.
    fn skip_list_rest(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.lx.peek() {
                None => return,
                Some(')') => {
                    self.lx.eat(')');
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                Some('(') => {
                    depth += 1;
                    self.lx.eat('(');
                }
                Some('"' | '\'') => {
                    if self.lx.value().is_err() {
                        self.lx.skip_to_end();
                    }
                }
                Some(c) => self.lx.set_pos(self.lx.pos() + c.len_utf8()),
            }
        }
    }

    /// Skips to the next `and`/`or` at this nesting level, a `)` that closes it, or the end.
    /// Returns the end of the last thing skipped.
    fn recover(&mut self) -> usize {
        let mut depth = 0usize;
        let mut end = self.lx.pos();
        loop {
            self.lx.skip_ws();
            if self.lx.at_end() {
                return end;
            }
            if depth == 0
                && (self.lx.at_keyword("and").is_some() || self.lx.at_keyword("or").is_some())
            {
                return end;
            }
            match self.lx.peek() {
                Some('(') => {
                    depth += 1;
                    self.lx.eat('(');
                }
                Some(')') => {
                    if depth == 0 {
                        // Closes an enclosing group, or is stray (the caller reports it).
                        return end;
                    }
                    depth -= 1;
                    self.lx.eat(')');
                }
                Some('"' | '\'') => {
                    if self.lx.value().is_err() {
                        self.lx.skip_to_end();
                    }
                }
                Some(c) => {
                    // Skip one bare run or one character.
                    let pos = self.lx.pos();
                    if !matches!(self.lx.value(), Ok(Some(_))) {
                        self.lx.set_pos(pos + c.len_utf8());
                    }
                }
                None => return end,
            }
            end = self.lx.pos();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> String {
        let (e, errs) = parse(src);
        assert!(errs.is_empty(), "{src}: {errs:?}");
        format!("{:?}", e.expect("tree"))
    }

    fn errs(src: &str) -> Vec<String> {
        parse(src).1.iter().map(|e| e.render(src)).collect()
    }

    #[test]
    fn simple_comparison() {
        assert_eq!(ok("proc.name=bash"), "(= proc.name@0..9 bash@10..14)");
        assert_eq!(
            ok("proc.name == 'ba sh'"),
            r#"(= proc.name@0..9 "ba sh"@13..20)"#
        );
        assert_eq!(ok("evt.dir=<"), "(= evt.dir@0..7 <@8..9)");
        assert_eq!(ok("evt.rawres<0"), "(< evt.rawres@0..10 0@11..12)");
        assert_eq!(ok("proc.pid >= 100"), "(>= proc.pid@0..8 100@12..15)");
        assert_eq!(ok("proc.pid!=1"), "(!= proc.pid@0..8 1@10..11)");
        assert_eq!(ok("proc.pid<=1"), "(<= proc.pid@0..8 1@10..11)");
        assert_eq!(ok("proc.pid>1"), "(> proc.pid@0..8 1@9..10)");
    }

    #[test]
    fn word_operators() {
        assert_eq!(
            ok("fd.name contains /etc"),
            "(contains fd.name@0..7 /etc@17..21)"
        );
        assert_eq!(
            ok("fd.name icontains /ETC"),
            "(icontains fd.name@0..7 /ETC@18..22)"
        );
        assert_eq!(
            ok("fd.name startswith /lib"),
            "(startswith fd.name@0..7 /lib@19..23)"
        );
        assert_eq!(
            ok("fd.name endswith .conf"),
            "(endswith fd.name@0..7 .conf@17..22)"
        );
        assert_eq!(
            ok("fd.name glob '/etc/*.conf'"),
            r#"(glob fd.name@0..7 "/etc/*.conf"@13..26)"#
        );
        assert_eq!(ok("container.name exists"), "(exists container.name@0..14)");
        assert_eq!(
            ok("evt.type in (open, openat)"),
            "(in evt.type@0..8 (open@13..17 openat@19..25)@12..26)"
        );
        assert_eq!(
            ok("fd.name pmatch (/etc,/lib)"),
            "(pmatch fd.name@0..7 (/etc@16..20 /lib@21..25)@15..26)"
        );
        assert_eq!(ok("evt.type in ()"), "(in evt.type@0..8 ()@12..14)");
    }

    #[test]
    fn field_arguments() {
        assert_eq!(
            ok("proc.aname[2]=sshd"),
            "(= proc.aname[2]@0..13 sshd@14..18)"
        );
        assert_eq!(ok("evt.arg.name=x"), "(= evt.arg.name@0..12 x@13..14)");
        assert_eq!(ok("evt.arg[0]=x"), "(= evt.arg[0]@0..10 x@11..12)");
        assert_eq!(
            ok("container.label[io.kubernetes.pod.name] = web"),
            "(= container.label[io.kubernetes.pod.name]@0..39 web@42..45)"
        );
        assert_eq!(
            ok(r#"container.label["a b"] exists"#),
            "(exists container.label[a b]@0..22)"
        );
    }

    #[test]
    fn precedence_and_grouping() {
        assert_eq!(
            ok("a.b=1 or c.d=2 and e.f=3"),
            "(or (= a.b@0..3 1@4..5) (and (= c.d@9..12 2@13..14) (= e.f@19..22 3@23..24)))"
        );
        assert_eq!(
            ok("(a.b=1 or c.d=2) and e.f=3"),
            "(and (or (= a.b@1..4 1@5..6) (= c.d@10..13 2@14..15)) (= e.f@21..24 3@25..26))"
        );
        assert_eq!(
            ok("not a.b=1 and not not c.d exists"),
            "(and (not@0..3 (= a.b@4..7 1@8..9)) (not@14..17 (not@18..21 (exists c.d@22..25))))"
        );
        assert_eq!(ok("not(a.b=1)"), "(not@0..3 (= a.b@4..7 1@8..9))");
        assert_eq!(
            ok("a.b=1 and(c.d=2)"),
            "(and (= a.b@0..3 1@4..5) (= c.d@10..13 2@14..15))"
        );
    }

    #[test]
    fn quoted_strings_and_escapes() {
        assert_eq!(
            ok(r#"evt.buffer contains "a\"b\\c\x41\n""#),
            r#"(contains evt.buffer@0..10 "a\"b\\cA\n"@20..35)"#
        );
        assert_eq!(ok("a.b = \"and\""), r#"(= a.b@0..3 "and"@6..11)"#);
    }

    #[test]
    fn keywords_need_a_separator() {
        // `andx` is not `and`: it is junk after a complete check.
        assert_eq!(
            errs("a.b=1 andx c.d=2"),
            vec![
                "column 7: expected 'and', 'or' or the end of the filter, found 'andx'\n  a.b=1 andx c.d=2\n        ^^^^"
            ]
        );
        // A word operator needs a space after it.
        assert_eq!(
            errs("a.b containsx"),
            vec![
                "column 5: expected an operator after the field (=, !=, <, contains, in, exists, ...), found 'containsx'\n  a.b containsx\n      ^^^^^^^^^"
            ]
        );
    }

    #[test]
    fn syntax_errors_carry_columns() {
        assert_eq!(errs(""), vec!["column 1: empty filter\n  \n  ^"]);
        assert_eq!(
            errs("proc.name ="),
            vec![
                "column 12: expected a value after '=', found the end of the filter\n  proc.name =\n             ^"
            ]
        );
        assert_eq!(
            errs("(proc.name=a"),
            vec!["column 1: this '(' is never closed\n  (proc.name=a\n  ^"]
        );
        assert_eq!(
            errs("proc.name=a)"),
            vec!["column 12: unmatched ')'\n  proc.name=a)\n             ^"]
        );
        assert_eq!(
            errs("evt.type in open"),
            vec![
                "column 13: expected '(' after 'in', found 'open'\n  evt.type in open\n              ^^^^"
            ]
        );
        assert_eq!(
            errs("evt.type in (a b)"),
            vec![
                "column 16: expected ',' or ')' in the list, found 'b'\n  evt.type in (a b)\n                 ^"
            ]
        );
        assert_eq!(
            errs("a.b = 'x"),
            vec!["column 7: unterminated string\n  a.b = 'x\n        ^^"]
        );
        assert_eq!(
            errs("a.b = 'x\\q'"),
            vec!["column 9: unknown escape '\\q' in string\n  a.b = 'x\\q'\n          ^^"]
        );
        assert_eq!(
            errs("proc.aname[2 = x"),
            vec![
                "column 11: field argument is not closed by ']'\n  proc.aname[2 = x\n            ^^"
            ]
        );
        assert_eq!(
            errs("= x"),
            vec!["column 1: expected a field name (like proc.name), found '='\n  = x\n  ^"]
        );
    }

    #[test]
    fn lenient_parse_reports_every_error_and_keeps_the_rest() {
        let src = "proc.name bogus x and fd.name contains /etc or evt.type in x";
        let (tree, errors) = parse(src);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            format!("{:?}", tree.expect("tree")),
            "(or (and (error@0..17) (contains fd.name@22..29 /etc@39..43)) (error@47..60))"
        );
    }
}
