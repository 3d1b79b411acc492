//! The filter language: sysdig/Falco syntax and operators.
//!
//! Text goes through a pipeline: [`lexer`] → [`parser`] (an [`ast::Expr`] with byte spans) →
//! type check against a [`Registry`] of fields → a compiled [`Filter`] that is evaluated per
//! event through a [`Source`], or per block of events through a [`BlockOracle`] that reads a
//! block summary (three-valued: none / all / unknown).
//!
//! # Grammar
//!
//! ```text
//! filter      = or_expr ;
//! or_expr     = and_expr , { "or" , and_expr } ;
//! and_expr    = not_expr , { "and" , not_expr } ;
//! not_expr    = { "not" } , primary ;
//! primary     = "(" , or_expr , ")" | check ;
//! check       = lhs , ( "exists"
//!                     | cmp_op , ( value | call | modifier , list )
//!                     | list_op , ( list | call ) ) ;
//! lhs         = field | call ;
//! field       = field_name , [ "[" , argument , "]" ] ;
//! field_name  = ident , { "." , ident } ;             (* proc.name, evt.arg.fd *)
//! ident       = ( letter | "_" ) , { letter | digit | "_" } ;
//! argument    = quoted | { any char but whitespace, "[", "]", quotes } ;
//! call        = func , "(" , [ term , { "," , term } ] , ")" , [ "[" , argument , "]" ] ;
//! func        = "tolower" | "toupper" | "b64" | "basename" | "len"
//!             | "join" | "concat" | "getopt" | "val" ;  (* no space before "(" *)
//! term        = call | field | value | "(" , [ term , { "," , term } ] , ")" ;
//! cmp_op      = "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//!             | "contains" | "icontains" | "bcontains" | "startswith" | "bstartswith"
//!             | "endswith" | "glob" | "iglob" | "regex" ;
//! list_op     = "in" | "intersects" | "pmatch" ;
//! modifier    = "oneof" | "anyof" | "allof" ;
//! list        = "(" , [ value , { "," , value } ] , ")" ;
//! value       = quoted | bare ;
//! quoted      = '"' , { char | escape } , '"' | "'" , { char | escape } , "'" ;
//! escape      = "\\" , ( "\\" | "/" | " " | quote | "n" | "t" | "r" | "b" | "f"
//!                    | "x" , hex , hex ) ;            (* quote: the one around the string *)
//! bare        = { any char but whitespace, "(", ")", ",", "=", quotes } ;
//! ```
//!
//! Keywords (`and`, `or`, `not`) and word operators must be followed by whitespace, `(` or
//! `)`. Precedence, tightest first: a comparison, `not`, `and`, `or` (as in Falco).
//! Parentheses, `not` and function calls nest at most [`parser::MAX_DEPTH`] (100) deep.
//!
//! # Semantics
//!
//! A comparison on a field the event does not have is false (whatever the operator; use
//! `exists` to test presence, and `not` to negate). Numbers are decimal or `0x` hex and must
//! fit the field (64-bit signed at most; a literal out of range is an error). Booleans
//! are `true`/`false`. IP fields take addresses or `addr/prefix` networks. `glob` matches the
//! whole value (`*` crosses `/`); `pmatch` matches whole leading path components. On
//! multi-valued fields a comparison holds when it holds for any value, and `!=` when no value
//! is equal. `op anyof (a, b)` holds when `op` holds for at least one item, `allof` for every
//! item, `oneof` for exactly one (an empty list matches nothing); single-valued fields only.
//! `regex` matches the whole value (Rust `regex` syntax, a superset of the POSIX
//! syntax libs uses).
//!
//! Functions follow Falco/libs: `tolower`, `toupper`, `b64` (decode), `basename` and `len` take
//! one value (a list value by value; `len` of a list is its count); `join(sep, list)`,
//! `concat(a, b, ...)` and `getopt(args, optstring)[c]` build strings; `val(field)`, on the
//! right, compares with another field of the same event. A function of a missing value is
//! missing.

#![forbid(unsafe_code)]

/// The grammar in the module documentation above, for the man page (a test keeps them equal).
pub const GRAMMAR: &str = r#"filter      = or_expr ;
or_expr     = and_expr , { "or" , and_expr } ;
and_expr    = not_expr , { "and" , not_expr } ;
not_expr    = { "not" } , primary ;
primary     = "(" , or_expr , ")" | check ;
check       = lhs , ( "exists"
                    | cmp_op , ( value | call | modifier , list )
                    | list_op , ( list | call ) ) ;
lhs         = field | call ;
field       = field_name , [ "[" , argument , "]" ] ;
field_name  = ident , { "." , ident } ;             (* proc.name, evt.arg.fd *)
ident       = ( letter | "_" ) , { letter | digit | "_" } ;
argument    = quoted | { any char but whitespace, "[", "]", quotes } ;
call        = func , "(" , [ term , { "," , term } ] , ")" , [ "[" , argument , "]" ] ;
func        = "tolower" | "toupper" | "b64" | "basename" | "len"
            | "join" | "concat" | "getopt" | "val" ;  (* no space before "(" *)
term        = call | field | value | "(" , [ term , { "," , term } ] , ")" ;
cmp_op      = "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
            | "contains" | "icontains" | "bcontains" | "startswith" | "bstartswith"
            | "endswith" | "glob" | "iglob" | "regex" ;
list_op     = "in" | "intersects" | "pmatch" ;
modifier    = "oneof" | "anyof" | "allof" ;
list        = "(" , [ value , { "," , value } ] , ")" ;
value       = quoted | bare ;
quoted      = '"' , { char | escape } , '"' | "'" , { char | escape } , "'" ;
escape      = "\\" , ( "\\" | "/" | " " | quote | "n" | "t" | "r" | "b" | "f"
                   | "x" , hex , hex ) ;            (* quote: the one around the string *)
bare        = { any char but whitespace, "(", ")", ",", "=", quotes } ;
"#;

pub mod ast;
mod compile;
pub mod error;
mod eval;
mod glob;
pub mod lexer;
pub mod parser;
mod value;

#[cfg_attr(
    not(test),
    expect(
        unused_imports,
        reason = "the TUI filter bar's entry point; tested here"
    )
)]
pub use compile::diagnose;
pub use compile::{FieldSpec, FieldType, Registry, ResolveError, compile};
pub use eval::Filter;
pub use glob::Glob;
pub use value::{BlockOracle, Cmp, Rhs, Source, Tri, Val};

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::net::IpAddr;

    use super::ast::Op;
    use super::*;

    /// A tiny registry for testing the language apart from replay's fields.
    struct Reg;

    #[derive(Clone, Debug, PartialEq)]
    enum F {
        Name,
        Path,
        Pid,
        Failed,
        Ip,
        Buf,
        Arg,
        Anc(Option<usize>),
        Missing,
    }

    impl Registry for Reg {
        type Field = F;
        fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldSpec<F>, ResolveError> {
            let (id, ty) = match (name, arg) {
                ("t.name", None) => (F::Name, FieldType::Str),
                ("t.path", None) => (F::Path, FieldType::Str),
                ("t.pid", None) => (F::Pid, FieldType::Num),
                ("t.failed", None) => (F::Failed, FieldType::Bool),
                ("t.ip", None) => (F::Ip, FieldType::Ip),
                ("t.buf", None) => (F::Buf, FieldType::Bytes),
                ("t.arg", None) => (F::Arg, FieldType::Any),
                ("t.missing", None) => (F::Missing, FieldType::Str),
                ("t.anc", None) => {
                    return Ok(FieldSpec {
                        id: F::Anc(None),
                        ty: FieldType::Str,
                        multi: true,
                    });
                }
                ("t.anc", Some(a)) => (
                    F::Anc(Some(
                        a.parse()
                            .map_err(|_| ResolveError::Arg(format!("bad index '{a}'")))?,
                    )),
                    FieldType::Str,
                ),
                (n, Some(_)) if n.starts_with("t.") && n != "t.anc" => {
                    return Err(ResolveError::Arg(format!("{n} takes no argument")));
                }
                _ => return Err(ResolveError::Unknown),
            };
            Ok(FieldSpec {
                id,
                ty,
                multi: false,
            })
        }
        fn names(&self) -> Vec<&str> {
            vec![
                "t.name", "t.path", "t.pid", "t.failed", "t.ip", "t.buf", "t.arg", "t.anc",
            ]
        }
    }

    struct Ev {
        name: &'static str,
        path: &'static str,
        pid: i64,
        failed: bool,
        ip: IpAddr,
        buf: &'static [u8],
        arg: &'static str,
        anc: Vec<&'static str>,
    }

    impl Source<F> for Ev {
        fn get(&mut self, f: &F) -> Option<Val<'_>> {
            Some(match f {
                F::Name => Val::Str(Cow::Borrowed(self.name.as_bytes())),
                F::Path => Val::Str(Cow::Borrowed(self.path.as_bytes())),
                F::Pid => Val::Num(self.pid),
                F::Failed => Val::Bool(self.failed),
                F::Ip => Val::Ip(self.ip),
                F::Buf => Val::Str(Cow::Borrowed(self.buf)),
                F::Arg => Val::Str(Cow::Borrowed(self.arg.as_bytes())),
                F::Anc(None) => Val::List(
                    self.anc
                        .iter()
                        .map(|a| Val::Str(Cow::Borrowed(a.as_bytes())))
                        .collect(),
                ),
                F::Anc(Some(i)) => Val::Str(Cow::Borrowed(self.anc.get(*i)?.as_bytes())),
                F::Missing => return None,
            })
        }
    }

    fn ev() -> Ev {
        Ev {
            name: "Bash",
            path: "/etc/nsswitch.conf",
            pid: 42,
            failed: true,
            ip: "10.1.2.3".parse().expect("ip"),
            buf: b"GET /x HTTP/1.1\r\n\xca\xfe",
            arg: "3",
            anc: vec!["sshd", "systemd"],
        }
    }

    fn m(filter: &str) -> bool {
        let f = compile(filter, &Reg).unwrap_or_else(|e| panic!("{e}"));
        f.matches(&mut ev())
    }

    fn err(filter: &str) -> String {
        compile(filter, &Reg)
            .map(|_| ())
            .expect_err("should not compile")
            .to_string()
    }

    #[test]
    fn every_operator() {
        // (filter, expected) for the event above: each operator both ways.
        let cases: &[(&str, bool)] = &[
            ("t.name = Bash", true),
            ("t.name == bash", false),
            ("t.name != bash", true),
            ("t.name != Bash", false),
            ("t.pid = 42", true),
            ("t.pid = 0x2a", true),
            ("t.pid < 43", true),
            ("t.pid < 42", false),
            ("t.pid <= 42", true),
            ("t.pid > 41", true),
            ("t.pid > 42", false),
            ("t.pid >= 42", true),
            ("t.pid >= -1", true),
            ("t.path contains /etc", true),
            ("t.path contains /ETC", false),
            ("t.path icontains /ETC", true),
            ("t.path icontains /usr", false),
            ("t.path startswith /etc/", true),
            ("t.path startswith etc", false),
            ("t.path endswith .conf", true),
            ("t.path endswith .con", false),
            ("t.path glob '/etc/*.conf'", true),
            ("t.path glob '/etc/*.cnf'", false),
            ("t.path iglob '/ETC/*.CONF'", true),
            ("t.path pmatch (/usr, /etc)", true),
            ("t.path pmatch (/et)", false),
            ("t.name in (zsh, Bash)", true),
            ("t.name in (zsh, bash)", false),
            ("t.pid in (1, 42)", true),
            ("t.pid in (1, 2)", false),
            ("t.name intersects (Bash)", true),
            ("t.name exists", true),
            ("t.missing exists", false),
            ("t.failed = true", true),
            ("t.failed = false", false),
            ("t.failed != false", true),
            ("t.failed in (false, true)", true),
            ("t.failed in (0)", false),
            ("t.name < C", true),
            ("t.name >= C", false),
            ("t.pid < 5", false),
            ("t.ip = 10.1.2.3", true),
            ("t.ip = 10.0.0.0/8", true),
            ("t.ip = 192.168.0.0/16", false),
            ("t.ip != 10.1.2.4", true),
            ("t.ip in (1.1.1.1, 10.1.2.3)", true),
            ("t.buf contains 'HTTP/'", true),
            ("t.buf bcontains CAFE", true),
            ("t.buf bcontains CAFF", false),
            ("t.buf bstartswith 474554", true),
            ("t.buf bstartswith 4745", true),
            ("t.buf bstartswith 4845", false),
            ("t.arg = 3", true),
            ("t.arg > 2", true),
            ("t.arg < 3", false),
            ("t.anc = systemd", true),
            ("t.anc != systemd", false),
            ("t.anc != init", true),
            ("t.anc[0] = sshd", true),
            ("t.anc[1] startswith sys", true),
            ("t.anc[5] = x", false),
            ("t.anc[5] exists", false),
        ];
        let mut wrong = Vec::new();
        for (f, want) in cases {
            if m(f) != *want {
                wrong.push(*f);
            }
        }
        assert!(wrong.is_empty(), "wrong results for {wrong:?}");
    }

    #[test]
    fn missing_fields_are_false_for_every_operator() {
        assert!(!m("t.missing = x"));
        assert!(!m("t.missing != x"));
        assert!(m("not t.missing = x"));
        assert!(!m("t.missing contains x"));
    }

    #[test]
    fn boolean_logic() {
        assert!(m("t.pid = 42 and t.name = Bash"));
        assert!(!m("t.pid = 42 and t.name = zsh"));
        assert!(m("t.pid = 1 or t.name = Bash"));
        assert!(!m("not (t.pid = 1 or t.name = Bash)"));
        assert!(m("not not t.pid = 42"));
        assert!(m("(t.pid = 1 or t.pid = 42) and not t.name = x"));
    }

    #[test]
    fn type_errors_name_the_column() {
        assert_eq!(
            err("t.pid = abc"),
            "invalid filter: column 9: 'abc' is not a number (the type of t.pid)\n  t.pid = abc\n          ^^^"
        );
        assert_eq!(
            err("t.pid contains 4"),
            "invalid filter: column 7: operator 'contains' does not apply to t.pid, which is a number\n  t.pid contains 4\n        ^^^^^^^^"
        );
        assert_eq!(
            err("t.name bcontains 41"),
            "invalid filter: column 8: operator 'bcontains' does not apply to t.name, which is a string\n  t.name bcontains 41\n         ^^^^^^^^^"
        );
        assert_eq!(
            err("t.failed = maybe"),
            "invalid filter: column 12: 'maybe' is not true or false (the type of t.failed)\n  t.failed = maybe\n             ^^^^^"
        );
        assert_eq!(
            err("t.ip = 10.1"),
            "invalid filter: column 8: '10.1' is not an IP address (the type of t.ip)\n  t.ip = 10.1\n         ^^^^"
        );
        assert_eq!(
            err("t.buf bcontains XYZ"),
            "invalid filter: column 17: 'XYZ' is not hex bytes (the type of t.buf)\n  t.buf bcontains XYZ\n                  ^^^"
        );
    }

    /// As libs' filter tests have it, a string value holds no NUL byte (a buffer's may); a
    /// buffer keeps sysdig's text operators (libs refuses them, Sysdig Inspect's views use
    /// `evt.buffer icontains`).
    #[test]
    fn strings_hold_no_nul_and_buffers_keep_text_operators() {
        for op in [
            "icontains x",
            "glob x",
            "= x",
            "contains x",
            "in (x)",
            "bcontains 41",
        ] {
            compile(&format!("t.buf {op}"), &Reg).unwrap_or_else(|e| panic!("{op}: {e}"));
        }
        assert!(err(r#"t.name = "a\x00""#).contains("is not text without a NUL byte"));
        assert!(compile(r#"t.buf = "\x00""#, &Reg).is_ok());
    }

    #[test]
    fn unknown_fields_suggest_the_nearest_name() {
        assert_eq!(
            err("t.nmae = x"),
            "invalid filter: column 1: unknown field 't.nmae' (did you mean 't.name'?)\n  t.nmae = x\n  ^^^^^^"
        );
        assert_eq!(
            err("zz.top = x"),
            "invalid filter: column 1: unknown field 'zz.top'\n  zz.top = x\n  ^^^^^^"
        );
        assert_eq!(
            err("t.name[1] = x"),
            "invalid filter: column 1: t.name takes no argument\n  t.name[1] = x\n  ^^^^^^^^^"
        );
    }

    #[test]
    fn all_errors_are_reported_in_order() {
        let e = diagnose("t.nmae = x and t.pid = y or (t.name =", &Reg);
        let cols: Vec<usize> = e
            .iter()
            .map(|x| x.column("t.nmae = x and t.pid = y or (t.name ="))
            .collect();
        assert_eq!(cols, vec![1, 24, 29, 38], "{e:?}");
        assert!(diagnose("t.name = x", &Reg).is_empty());
    }

    /// A filter from an untrusted source cannot exhaust the stack: nesting stops at
    /// [`parser::MAX_DEPTH`] with an error at the column where it went too deep, and long
    /// `and`/`or` chains (which do not nest) compile, evaluate and print.
    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let parens = format!("{}t.pid = 42{}", "(".repeat(7000), ")".repeat(7000));
        let e = compile(&parens, &Reg).expect_err("too deep");
        assert_eq!(e.errors.len(), 1, "{e}");
        assert_eq!(e.errors[0].column(&parens), 101);
        assert!(
            e.to_string().starts_with(
                "invalid filter: column 101: the filter nests deeper than 100 levels (parentheses, 'not' and function calls)"
            ),
            "{e}"
        );
        let nots = format!("{}t.pid = 42", "not ".repeat(30_000));
        let e = compile(&nots, &Reg).expect_err("too deep");
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].column(&nots), 401);
        let calls = format!("{}t.name{} = x", "tolower(".repeat(5000), ")".repeat(5000));
        assert_eq!(compile(&calls, &Reg).expect_err("too deep").errors.len(), 1);
        // Right at the limit is fine.
        assert!(m(&format!(
            "{}t.pid = 42{}",
            "(".repeat(100),
            ")".repeat(100)
        )));
        assert!(m(&format!("{}t.pid = 42", "not not ".repeat(50))));
        // 100,000 terms in a chain, in parentheses, with junk: no recursion that deep.
        let chain = vec!["t.pid = 1"; 100_000].join(" or ");
        assert!(!m(&chain));
        assert!(m(&format!("({chain}) or t.pid = 42")));
        let (tree, errs) = parser::parse(&chain);
        assert!(errs.is_empty());
        assert!(format!("{:?}", tree.expect("tree")).len() > 100_000);
        let junk = vec!["t.pid = 1 x"; 20_000].join(" and ");
        assert_eq!(compile(&junk, &Reg).expect_err("junk").errors.len(), 20_000);
    }

    #[test]
    fn number_literals_out_of_range_are_errors() {
        assert_eq!(
            err("t.pid > 18446744073709551615"),
            "invalid filter: column 9: 18446744073709551615 is out of range for t.pid (-9223372036854775808 to 9223372036854775807)\n  t.pid > 18446744073709551615\n          ^^^^^^^^^^^^^^^^^^^^"
        );
        assert!(
            err("t.pid in (1, 0x10000000000000000)")
                .contains("column 14: 0x10000000000000000 is out of range")
        );
        assert!(m("t.pid > -9223372036854775808"));
        assert!(m("t.pid < 9223372036854775807"));
        assert!(m("t.pid < 0x7fffffffffffffff"));
    }

    #[test]
    fn exists_before_a_closing_parenthesis() {
        assert!(m("(t.name exists)"));
        assert!(m("(t.pid = 1 or t.name exists)"));
        assert!(m("not (t.missing exists)"));
    }

    #[test]
    fn falco_string_escapes() {
        let lit = |f: &str| {
            let (e, errs) = parser::parse(f);
            assert!(errs.is_empty(), "{f}: {errs:?}");
            format!("{:?}", e.expect("tree"))
        };
        assert_eq!(lit(r#"t.name = "a\/b""#), r#"(= t.name@0..6 "a/b"@9..15)"#);
        assert_eq!(lit(r#"t.name = "a\ b""#), r#"(= t.name@0..6 "a\\b"@9..15)"#);
        assert_eq!(
            lit(r#"t.name = "\b\f""#),
            r#"(= t.name@0..6 "\u{8}\u{c}"@9..15)"#
        );
        assert_eq!(
            err(r#"t.name = 'a\"b'"#),
            "invalid filter: column 12: '\\\"' is not an escape in a '-quoted string (write \" alone)\n  t.name = 'a\\\"b'\n             ^^"
        );
        assert!(err(r#"t.name = "a\'b""#).contains("column 12: '\\'' is not an escape"));
        assert!(m(r"t.name = 'B\x61sh'"));
    }

    #[test]
    fn regex_matches_the_whole_value() {
        // As in Falco, a backslash for the regex is written twice in a quoted string.
        assert!(m(r"t.path regex '/etc/[a-z]+\\.conf'"));
        assert!(!m(r"t.path regex '/etc/[a-z]+\\.con'"));
        assert!(!m("t.path regex 'etc'"));
        assert!(m("t.path regex '.*etc.*'"));
        assert!(m("t.name regex 'B(a|o)sh'"));
        assert!(m("t.anc regex 'sys.*'"));
        assert!(!m("t.missing regex '.*'"));
        let e = err("t.name regex 'a('");
        assert!(
            e.starts_with("invalid filter: column 14: invalid regular expression:"),
            "{e}"
        );
        assert!(err("t.pid regex '4.*'").contains("operator 'regex' does not apply to t.pid"));
    }

    #[test]
    fn transformers() {
        let cases: &[(&str, bool)] = &[
            ("tolower(t.name) = bash", true),
            ("toupper(t.name) = BASH", true),
            ("tolower(t.name) = Bash", false),
            ("toupper(tolower(t.name)) = BASH", true),
            ("b64(t.arg) exists", false),
            ("basename(t.path) = nsswitch.conf", true),
            ("basename(t.name) = Bash", true),
            ("len(t.name) = 4", true),
            ("len(t.anc) = 2", true),
            ("len(t.path) > 10", true),
            ("tolower(t.anc) = systemd", true),
            ("len(t.missing) exists", false),
            ("t.name = val(t.name)", true),
            ("t.name = val(t.path)", false),
            ("t.name != val(t.path)", true),
            ("t.pid = val(t.pid)", true),
            ("t.pid > val(t.arg)", true),
            ("t.name in val(t.anc)", false),
            ("t.anc[0] in val(t.anc)", true),
            ("t.path startswith val(t.missing)", false),
            ("tolower(t.name) = tolower(t.name)", true),
            ("t.path contains basename(t.path)", true),
            ("join('-', (t.name, t.pid)) = Bash-42", true),
            ("join(',', t.anc) = 'sshd,systemd'", true),
            ("join('-', ('aaa', \"bbb\")) = aaa-bbb", true),
            ("join('-', (t.name, t.missing)) exists", false),
            ("concat(t.name, '-', t.arg) = Bash-3", true),
            ("concat(t.name, t.path) endswith .conf", true),
            ("getopt(('-n', '-t', 'x', 'y'), 'nt:') = x", true),
            (
                "getopt(('-n', '-t', 'x', 'y'), 'nt:') intersects (y)",
                false,
            ),
            ("getopt(('-n', '-t', 'x', 'y'), 'nt:')[t] = x", true),
            ("getopt(('-ntval'), 'nt:')[t] = val", true),
            ("getopt(('-q', '-n'), 'n')[n] = n", true),
            ("getopt(('-q'), 'n') = '?'", true),
            ("getopt(('-n', '--', '-t', 'x'), 'nt:')[t] exists", false),
            ("getopt(('-t'), 'nt:')[t] = ''", true),
            (
                "len(getopt(('-a', '--long', '-b', 'file', '-c'), 'ab')) = 2",
                true,
            ),
        ];
        let mut wrong = Vec::new();
        for (f, want) in cases {
            if m(f) != *want {
                wrong.push(*f);
            }
        }
        assert!(wrong.is_empty(), "wrong results for {wrong:?}");
    }

    #[test]
    fn operator_modifiers() {
        let cases: &[(&str, bool)] = &[
            ("t.name = anyof (zsh, Bash)", true),
            ("t.name == anyof (zsh, fish)", false),
            ("t.name != allof (zsh, fish)", true),
            ("t.name != allof (zsh, Bash)", false),
            ("t.path startswith oneof (/etc, /usr)", true),
            ("t.path startswith oneof (/etc, /etc/n)", false),
            ("t.path contains allof (etc, conf)", true),
            ("t.path glob anyof ('/usr/*', '/etc/*')", true),
            ("t.ip = anyof (10.0.0.0/8, 1.1.1.1)", true),
            ("t.ip = oneof (10.0.0.0/8, 10.1.0.0/16)", false),
            ("t.name = allof ()", false),
            ("t.missing != allof (x)", false),
            ("tolower(t.name) = anyof (bash)", true),
            // Without a list after it, or without white space around it, the word is a value.
            ("t.name = anyof", false),
        ];
        let mut wrong = Vec::new();
        for (f, want) in cases {
            if m(f) != *want {
                wrong.push(*f);
            }
        }
        assert!(wrong.is_empty(), "wrong results for {wrong:?}");
        assert!(err("t.anc = anyof (a)").contains("'anyof' compares a single value"));
        assert!(err("t.name ==anyof (a)").contains("column 16: expected 'and'"));
        assert!(err("t.name = anyof(a)").contains("column 15: expected 'and'"));
        assert!(err("t.pid = anyof (1, x)").contains("column 19: 'x' is not a number"));
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(eval::b64_decode(b"aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(eval::b64_decode(b"aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(eval::b64_decode(b""), Some(Vec::new()));
        assert_eq!(eval::b64_decode(b"a"), None);
        assert_eq!(eval::b64_decode(b"a=b="), None);
        assert_eq!(eval::b64_decode(b"!!!!"), None);
    }

    #[test]
    fn transformer_errors_name_the_column() {
        assert_eq!(
            err("tolower(t.pid) = x"),
            "invalid filter: column 9: tolower() takes a string, not a number\n  tolower(t.pid) = x\n          ^^^^^"
        );
        assert!(
            err("val(t.name) = x")
                .starts_with("invalid filter: column 1: val() stands on the right")
        );
        assert!(
            err("t.pid = val(t.name)")
                .contains("column 9: val(...) is a string, which does not compare with t.pid")
        );
        assert!(err("t.name = val(t.anc)").contains("has several values"));
        assert!(err("join('-', t.name) = x").contains("column 11: join() takes a list second"));
        assert!(err("concat(t.name) = x").contains("concat() takes at least two arguments, not 1"));
        assert!(err("getopt(t.name, 'a') = x").contains("getopt() takes a list of strings first"));
        assert!(err("getopt(t.anc, 'a')[ab] = x").contains("one option letter"));
        assert!(err("tolower(t.name)[1] = x").contains("takes no [argument]"));
        assert!(
            err("len(t.name) contains 3")
                .contains("operator 'contains' does not apply to len(t.name), which is a number")
        );
        assert!(err("tolower(t.nmae) = x").contains("column 9: unknown field 't.nmae'"));
        assert!(err("tolower(t.name = x").contains("column 16:"));
        assert!(
            err("join('-', (t.name, bare)) = x")
                .contains("column 20: 'bare' is neither a field nor a quoted string or a number")
        );
        assert!(m("join('-', (t.name, 42, -1.5)) = Bash-42--1.5"));
    }

    struct Oracle;
    impl BlockOracle<F> for Oracle {
        fn verdict(&self, field: &F, cmp: &Cmp) -> Tri {
            match (field, &cmp.rhs, cmp.op) {
                // The block only holds pid 42.
                (F::Pid, Rhs::Num(42), Op::Eq) => Tri::AllMatch,
                (F::Pid, Rhs::Num(_), Op::Eq) => Tri::NoneMatch,
                _ => Tri::Unknown,
            }
        }
    }

    /// Random token soup (with multi-byte characters) never panics the lexer, the parser, the
    /// type check or the error rendering, and error spans stay inside the text.
    #[test]
    fn random_filters_never_panic() {
        let pieces = [
            "t.name",
            "t.pid",
            "t.anc[",
            "]",
            "t.anc[2]",
            "=",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "contains",
            "in",
            "pmatch",
            "exists",
            "glob",
            "bcontains",
            "and",
            "or",
            "not",
            "(",
            ")",
            ",",
            "'",
            "\"",
            "\\",
            "\\x4",
            "é",
            "漢",
            "0x1f",
            "-3",
            "10.0.0.0/8",
            " ",
            " ",
            "x",
            "*",
            ".",
            "[",
            "t.",
            "tolower(",
            "val(",
            "getopt(",
            "join(",
            "len(",
            "regex",
            "\\ ",
        ];
        let mut rng = capture_format::synth::Rng::new(42);
        for _ in 0..20_000 {
            let n = 1 + rng.below(12) as usize;
            let text: String = (0..n).map(|_| *rng.pick(&pieces)).collect();
            match compile(&text, &Reg) {
                Ok(f) => {
                    let _ = f.matches(&mut ev());
                }
                Err(e) => {
                    assert!(!e.errors.is_empty());
                    for err in &e.errors {
                        assert!(err.span.start <= err.span.end, "{text:?}: {err:?}");
                        assert!(err.span.end <= text.len(), "{text:?}: {err:?}");
                        let _ = err.render(&text);
                    }
                }
            }
        }
    }

    #[test]
    fn grammar_constant_matches_the_module_doc() {
        let src = include_str!("filter.rs");
        for line in GRAMMAR.lines() {
            let doc = if line.is_empty() {
                "//!".to_owned()
            } else {
                format!("//! {line}")
            };
            assert!(src.lines().any(|l| l == doc), "module doc lacks: {line}");
        }
    }

    #[test]
    fn block_verdicts_combine_three_valued() {
        let v = |s: &str| compile(s, &Reg).expect("compiles").block_verdict(&Oracle);
        assert_eq!(v("t.pid = 42"), Tri::AllMatch);
        assert_eq!(v("t.pid = 7"), Tri::NoneMatch);
        assert_eq!(v("not t.pid = 7"), Tri::AllMatch);
        assert_eq!(v("t.pid = 7 and t.name = x"), Tri::NoneMatch);
        assert_eq!(v("t.pid = 42 and t.name = x"), Tri::Unknown);
        assert_eq!(v("t.pid = 7 or t.name = x"), Tri::Unknown);
        assert_eq!(v("t.pid = 42 or t.name = x"), Tri::AllMatch);
        assert_eq!(v("t.pid = 7 or t.pid = 8"), Tri::NoneMatch);
        assert_eq!(v("not (t.pid = 7 or t.name = x)"), Tri::Unknown);
        assert_eq!(v("t.name = x"), Tri::Unknown);
    }
}
