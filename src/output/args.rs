//! The typed argument columns of the Parquet and JSON-lines exports: one column per parameter
//! name of the system call table (`evt.arg.fd`, `evt.arg.name`, `evt.arg.flags`, ...), the
//! same set in every export, `NULL` where the event's call has no such parameter.
//!
//! Values are the stored ones, typed by the table (`capture_format::schema::syscalls`):
//! integers (fds, flags, modes, ids, sizes, addresses) as 64-bit integers, paths and strings as
//! text exactly as the call was given them (relative paths stay relative: `fs.path.*` has them
//! made absolute), socket addresses and tuples as `ip:port->ip:port` text. `evt.arg.res` is the
//! return value. The symbolic renderings (`O_RDONLY|O_CLOEXEC`, `SIGKILL`) are in `evt.info`.
//!
//! The column list is fixed here, not derived at run time, so that a new call in the table
//! cannot move or retype a column silently: a unit test fails until the list (and
//! docs/parquet-schema.md) takes the new name.

use std::fmt::Write as _;
use std::sync::OnceLock;

use capture_format::schema::syscalls::{self, ParamType};
use capture_format::schema::{Body, Event, Value};

use crate::filter::{Registry, Source, Val};
use crate::replay::context::EventCtx;
use crate::replay::fields::{Field, Fields};

/// How an argument column is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// A 64-bit integer (unsigned quantities bit for bit).
    Int,
    /// UTF-8 text (invalid bytes replaced).
    Str,
}

/// Prefix of the argument columns' names.
pub const ARG_PREFIX: &str = "evt.arg.";

/// The argument columns in file order (names without [`ARG_PREFIX`]), alphabetical.
pub const ARG_COLUMNS: &[(&str, ArgType)] = &[
    ("addr", ArgType::Str),
    ("arg", ArgType::Int),
    ("backlog", ArgType::Int),
    ("cap_effective", ArgType::Int),
    ("cap_inheritable", ArgType::Int),
    ("cap_permitted", ArgType::Int),
    ("clockid", ArgType::Int),
    ("cmd", ArgType::Int),
    ("dev", ArgType::Str),
    ("dir", ArgType::Str),
    ("dirfd", ArgType::Int),
    ("domain", ArgType::Int),
    ("egid", ArgType::Int),
    ("euid", ArgType::Int),
    ("fd", ArgType::Int),
    ("fds", ArgType::Str),
    ("filename", ArgType::Str),
    ("flags", ArgType::Int),
    ("gid", ArgType::Int),
    ("how", ArgType::Int),
    ("initval", ArgType::Int),
    ("len", ArgType::Int),
    ("length", ArgType::Int),
    ("linkdirfd", ArgType::Int),
    ("linkpath", ArgType::Str),
    ("mode", ArgType::Int),
    ("name", ArgType::Str),
    ("newdir", ArgType::Int),
    ("newdirfd", ArgType::Int),
    ("newfd", ArgType::Int),
    ("newpath", ArgType::Str),
    ("nstype", ArgType::Int),
    ("offset", ArgType::Int),
    ("olddir", ArgType::Int),
    ("olddirfd", ArgType::Int),
    ("oldfd", ArgType::Int),
    ("oldpath", ArgType::Str),
    ("path", ArgType::Str),
    ("pathname", ArgType::Str),
    ("pid", ArgType::Int),
    ("pos", ArgType::Int),
    ("prot", ArgType::Int),
    ("proto", ArgType::Int),
    ("request", ArgType::Int),
    ("res", ArgType::Int),
    ("rgid", ArgType::Int),
    ("ruid", ArgType::Int),
    ("sgid", ArgType::Int),
    ("sig", ArgType::Int),
    ("size", ArgType::Int),
    ("status", ArgType::Int),
    ("suid", ArgType::Int),
    ("target", ArgType::Str),
    ("tid", ArgType::Int),
    ("tuple", ArgType::Str),
    ("type", ArgType::Str),
    ("uargs", ArgType::Str),
    ("uid", ArgType::Int),
];

/// Index of the `res` column (the return value, which is not a parameter).
fn res_column() -> usize {
    ARG_COLUMNS
        .iter()
        .position(|(n, _)| *n == "res")
        .expect("res column")
}

/// Whether a parameter is exported as an argument column: every decoded parameter except the
/// payload (the `evt.buffer` column has it) and the raw `argN` of undecoded calls.
fn exported(ty: ParamType) -> bool {
    ty != ParamType::Buffer
}

/// Per system call number: (parameter index, column index, type) of its exported parameters.
fn table() -> &'static [Vec<(u8, u8, ParamType)>] {
    static T: OnceLock<Vec<Vec<(u8, u8, ParamType)>>> = OnceLock::new();
    T.get_or_init(|| {
        (0..capture_format::schema::syscall_names::SYSCALL_COUNT as u16)
            .map(|nr| {
                let spec = syscalls::spec(nr);
                if !spec.decoded {
                    return Vec::new();
                }
                spec.params
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| exported(p.ty))
                    .filter_map(|(i, p)| {
                        let col = ARG_COLUMNS.iter().position(|(n, _)| *n == p.name)?;
                        Some((i as u8, col as u8, p.ty))
                    })
                    .collect()
            })
            .collect()
    })
}

/// One value of an argument column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg<'a> {
    /// An integer.
    Int(i64),
    /// Text.
    Str(&'a str),
}

/// The argument columns of one event, reused from row to row.
pub struct ArgRow {
    ints: Vec<i64>,
    spans: Vec<(u32, u32)>,
    kinds: Vec<u8>,
    set: Vec<u8>,
    text: String,
    res: usize,
}

const NONE: u8 = 0;
const INT: u8 = 1;
const STR: u8 = 2;

impl Default for ArgRow {
    fn default() -> Self {
        ArgRow::new()
    }
}

impl ArgRow {
    /// An empty row.
    pub fn new() -> ArgRow {
        let n = ARG_COLUMNS.len();
        ArgRow {
            ints: vec![0; n],
            spans: vec![(0, 0); n],
            kinds: vec![NONE; n],
            set: Vec::with_capacity(8),
            text: String::with_capacity(256),
            res: res_column(),
        }
    }

    /// Takes the arguments of `ev` (none for records that are not system calls).
    pub fn fill(&mut self, ev: &Event<'_>) {
        for &c in &self.set {
            self.kinds[c as usize] = NONE;
        }
        self.set.clear();
        self.text.clear();
        let Body::Syscall(sc) = &ev.body else {
            return;
        };
        for &(pi, col, ty) in table().get(sc.nr as usize).map_or(&[][..], Vec::as_slice) {
            let ci = col as usize;
            let Some(val) = sc.params.get(pi as usize) else {
                continue;
            };
            let start = self.text.len();
            let is_fds = ARG_COLUMNS[ci].0 == "fds";
            let kind = match (ARG_COLUMNS[ci].1, val) {
                (ArgType::Int, Value::Int(n)) => {
                    self.ints[ci] = *n;
                    INT
                }
                (ArgType::Int, _) | (_, Value::None) => continue,
                (ArgType::Str, Value::Int(n)) if ty == ParamType::Hex => {
                    // An address where other calls have a socket address (mmap's `addr`).
                    let _ = write!(self.text, "{:#x}", *n as u64);
                    STR
                }
                (ArgType::Str, Value::Int(n)) => {
                    match crate::replay::state::fd_pair(val).filter(|_| is_fds) {
                        Some((a, b)) => {
                            let _ = write!(self.text, "{a},{b}");
                        }
                        None => {
                            let _ = write!(self.text, "{n}");
                        }
                    }
                    STR
                }
                (ArgType::Str, Value::Bytes(bytes)) => {
                    if is_fds {
                        match crate::replay::state::fd_pair(val) {
                            Some((a, b)) => {
                                let _ = write!(self.text, "{a},{b}");
                            }
                            None => continue,
                        }
                    } else {
                        // Strings are stored NUL-free; a trailing NUL would be the caller's.
                        let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
                        match std::str::from_utf8(bytes) {
                            Ok(t) => self.text.push_str(t),
                            Err(_) => self.text.push_str(&String::from_utf8_lossy(bytes)),
                        }
                    }
                    STR
                }
                (ArgType::Str, Value::Sock(sock)) => {
                    let _ = write!(self.text, "{sock}");
                    STR
                }
            };
            self.spans[ci] = (start as u32, self.text.len() as u32);
            self.kinds[ci] = kind;
            self.set.push(col);
        }
        if self.kinds[self.res] == NONE {
            self.ints[self.res] = sc.ret;
            self.kinds[self.res] = INT;
            self.set.push(self.res as u8);
        }
    }

    /// The value of column `c`, if the event has it.
    pub fn get(&self, c: usize) -> Option<Arg<'_>> {
        match self.kinds.get(c).copied()? {
            INT => Some(Arg::Int(self.ints[c])),
            STR => {
                let (a, b) = self.spans[c];
                Some(Arg::Str(&self.text[a as usize..b as usize]))
            }
            _ => None,
        }
    }

    /// The columns the event has values in.
    pub fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.set.iter().map(|&c| usize::from(c))
    }
}

/// The argument keys of a JSON-lines export: `,"evt.arg.NAME":VALUE` for each argument the
/// event has, in column order, appended to `out`. Absent arguments are left out rather than
/// written as `null`: with every key on every line the file grew fivefold.
pub fn write_json(row: &ArgRow, out: &mut String) {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        ARG_COLUMNS
            .iter()
            .map(|(n, _)| format!(",\"{ARG_PREFIX}{n}\":"))
            .collect()
    });
    let mut cols: [u8; 16] = [0; 16];
    let n = row.set.len().min(cols.len());
    cols[..n].copy_from_slice(&row.set[..n]);
    cols[..n].sort_unstable();
    let mut last = None;
    for &c in &cols[..n] {
        if last == Some(c) {
            continue;
        }
        last = Some(c);
        let c = usize::from(c);
        match row.get(c) {
            Some(Arg::Int(v)) => {
                out.push_str(&keys[c]);
                out.push_str(itoa::Buffer::new().format(v));
            }
            Some(Arg::Str(t)) => {
                out.push_str(&keys[c]);
                crate::output::json_str(t, out);
            }
            None => {}
        }
    }
}

/// What a JSON-lines export adds to each object of `read --json`: `fs.path.name`,
/// `fs.path.source`, `fs.path.target` (`null` where absent, as `read --json` writes its
/// fields), then the `evt.arg.*` keys of the arguments the event has.
pub struct JsonExtra {
    paths: Vec<(Field, &'static str)>,
    row: ArgRow,
}

impl Default for JsonExtra {
    fn default() -> Self {
        JsonExtra::new()
    }
}

impl JsonExtra {
    /// The keys' writer.
    pub fn new() -> JsonExtra {
        let paths = PATH_FIELDS
            .iter()
            .map(|&n| {
                let spec = Fields
                    .resolve(n, None)
                    .expect("fs.path fields are registered");
                (spec.id, n)
            })
            .collect();
        JsonExtra {
            paths,
            row: ArgRow::new(),
        }
    }

    /// Appends the keys of the event in `ctx` to `out` (each `,"key":value`).
    pub fn write(&mut self, ctx: &mut EventCtx<'_, '_>, out: &mut String) {
        for (f, name) in &self.paths {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            match ctx.get(f) {
                Some(Val::Str(b)) => crate::output::json_bytes(&b, out),
                _ => out.push_str("null"),
            }
        }
        self.row.fill(ctx.ev);
        write_json(&self.row, out);
    }
}

/// The path columns (registry fields), in file order.
pub const PATH_FIELDS: &[&str] = &["fs.path.name", "fs.path.source", "fs.path.target"];

#[cfg(test)]
mod tests {
    use super::*;
    use capture_format::schema::Params;
    use capture_format::schema::Syscall;
    use capture_format::schema::syscalls::DECODED;
    use std::borrow::Cow;

    /// The column type a parameter type needs: text for paths, strings and sockets.
    fn column_type(name: &str, ty: ParamType) -> ArgType {
        match ty {
            ParamType::Path | ParamType::Str | ParamType::Sock | ParamType::Buffer => ArgType::Str,
            // pipe/socketpair's pair of fds, shown as `6,7`.
            ParamType::Fd if name == "fds" => ArgType::Str,
            _ => ArgType::Int,
        }
    }

    /// Every parameter name of the table has its column, of a type that holds each of its
    /// uses; and every column is some parameter's (or `res`).
    #[test]
    fn the_columns_are_the_tables_parameters() {
        let mut names: Vec<&str> = ARG_COLUMNS.iter().map(|(n, _)| *n).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort_unstable();
            s.dedup();
            s
        };
        assert_eq!(names, sorted, "ARG_COLUMNS: alphabetical, no repeats");
        for s in DECODED {
            for p in s.params.iter().filter(|p| exported(p.ty)) {
                let (_, ty) = ARG_COLUMNS
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: parameter {} has no column: add it to ARG_COLUMNS and to \
                             docs/parquet-schema.md, and raise the schema version",
                            s.name, p.name
                        )
                    });
                if column_type(p.name, p.ty) == ArgType::Str {
                    assert_eq!(
                        *ty,
                        ArgType::Str,
                        "{}.{} ({:?}) needs a text column",
                        s.name,
                        p.name,
                        p.ty
                    );
                }
            }
        }
        names.retain(|n| {
            *n != "res"
                && !DECODED
                    .iter()
                    .any(|s| s.params.iter().any(|p| exported(p.ty) && p.name == *n))
        });
        assert!(names.is_empty(), "columns no call has: {names:?}");
    }

    fn call(name: &str, ret: i64, params: Vec<Value<'static>>) -> Event<'static> {
        Event {
            ts: 1,
            tid: 1,
            pid: 1,
            cpu: 0,
            container: 0,
            body: Body::Syscall(Syscall {
                nr: syscalls::by_name(name).expect(name),
                ret,
                latency: 0,
                params: Params::from_vec(params),
            }),
        }
    }

    fn col(name: &str) -> usize {
        ARG_COLUMNS
            .iter()
            .position(|(n, _)| *n == name)
            .expect(name)
    }

    #[test]
    fn values_are_typed_and_the_row_is_reset() {
        let mut row = ArgRow::new();
        row.fill(&call(
            "unlinkat",
            0,
            vec![
                Value::Int(-100),
                Value::Bytes(Cow::Borrowed(b"tmp/x")),
                Value::Int(0x200),
            ],
        ));
        assert_eq!(row.get(col("dirfd")), Some(Arg::Int(-100)));
        assert_eq!(row.get(col("name")), Some(Arg::Str("tmp/x")));
        assert_eq!(row.get(col("flags")), Some(Arg::Int(0x200)));
        assert_eq!(row.get(col("res")), Some(Arg::Int(0)));
        assert_eq!(row.get(col("path")), None);
        row.fill(&call(
            "read",
            -9,
            vec![
                Value::Int(7),
                Value::Bytes(Cow::Borrowed(b"payload")),
                Value::Int(64),
            ],
        ));
        assert_eq!(row.get(col("fd")), Some(Arg::Int(7)));
        assert_eq!(row.get(col("size")), Some(Arg::Int(64)));
        assert_eq!(row.get(col("res")), Some(Arg::Int(-9)));
        // The payload is evt.buffer's, and the last row's values are gone.
        assert_eq!(row.get(col("name")), None);
        assert_eq!(row.get(col("dirfd")), None);
        row.fill(&Event {
            body: Body::Exit(capture_format::schema::Exit::default()),
            ..call("read", 0, vec![])
        });
        assert!(row.columns().next().is_none());
        assert!((0..ARG_COLUMNS.len()).all(|c| row.get(c).is_none()));
    }
}
