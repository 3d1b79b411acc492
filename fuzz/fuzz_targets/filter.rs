//! Fuzzes the filter language: lexing, parsing, type checking against a small registry (one
//! field of each type, one multi-valued, one with an argument), rendering every error, and
//! evaluating what compiles against one event and a block oracle. Nothing may panic, whatever
//! the text (error spans point into it, so rendering slices it at those offsets).

#![no_main]

use std::borrow::Cow;

// The filter module lives in the binary crate and depends only on memchr, itoa, regex and
// thiserror; its sources are compiled in here as they are (as the scap target does with the
// importer), so no library target has to be carved out of the binary for the fuzzer's sake.
#[path = "../../src"]
#[allow(dead_code, unused_imports, unfulfilled_lint_expectations)]
mod src {
    pub mod filter;
}

use libfuzzer_sys::fuzz_target;
use src::filter::{
    BlockOracle, Cmp, FieldSpec, FieldType, Registry, ResolveError, Source, Tri, Val, compile,
    diagnose,
};

struct Reg;

const FIELDS: [(&str, FieldType); 6] = [
    ("f.num", FieldType::Num),
    ("f.str", FieldType::Str),
    ("f.bool", FieldType::Bool),
    ("f.ip", FieldType::Ip),
    ("f.buf", FieldType::Bytes),
    ("f.arg", FieldType::Any),
];

impl Registry for Reg {
    type Field = (usize, Option<usize>);
    fn resolve(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Result<FieldSpec<Self::Field>, ResolveError> {
        if name == "f.list" {
            let idx = match arg {
                Some(a) => Some(
                    a.parse()
                        .map_err(|_| ResolveError::Arg(format!("bad '{a}'")))?,
                ),
                None => None,
            };
            return Ok(FieldSpec {
                id: (FIELDS.len(), idx),
                ty: FieldType::Str,
                multi: idx.is_none(),
            });
        }
        let i = FIELDS
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or(ResolveError::Unknown)?;
        if arg.is_some() {
            return Err(ResolveError::Arg(format!("{name} takes no argument")));
        }
        Ok(FieldSpec {
            id: (i, None),
            ty: FIELDS[i].1,
            multi: false,
        })
    }
    fn names(&self) -> Vec<&str> {
        FIELDS.iter().map(|f| f.0).chain(["f.list"]).collect()
    }
}

struct Ev;

impl Source<(usize, Option<usize>)> for Ev {
    fn get(&mut self, f: &(usize, Option<usize>)) -> Option<Val<'_>> {
        let list = ["/usr/bin/bash", "sshd", ""];
        Some(match *f {
            (0, _) => Val::Num(-42),
            (1, _) => Val::Str(Cow::Borrowed(b"/etc/passwd")),
            (2, _) => Val::Bool(true),
            (3, _) => Val::Ip("fe80::1".parse().ok()?),
            (4, _) => Val::Str(Cow::Borrowed(b"GET / HTTP/1.1\r\n\xff\x00")),
            (5, _) => Val::Str(Cow::Borrowed(b"17")),
            (_, Some(i)) => Val::Str(Cow::Borrowed(list.get(i)?.as_bytes())),
            (_, None) => Val::List(
                list.iter()
                    .map(|s| Val::Str(Cow::Borrowed(s.as_bytes())))
                    .collect(),
            ),
        })
    }
}

struct Oracle;

impl BlockOracle<(usize, Option<usize>)> for Oracle {
    fn verdict(&self, f: &(usize, Option<usize>), cmp: &Cmp) -> Tri {
        let mut ev = Ev;
        match ev.get(f) {
            Some(v) if cmp.test(&v) => Tri::Unknown,
            _ => Tri::NoneMatch,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_, errors) = src::filter::parser::parse(text);
    for e in &errors {
        let _ = e.render(text);
    }
    for e in diagnose(text, &Reg) {
        let _ = e.render(text);
    }
    match compile(text, &Reg) {
        Ok(f) => {
            let _ = f.matches(&mut Ev);
            let _ = f.block_verdict(&Oracle);
            let _ = f.text();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
