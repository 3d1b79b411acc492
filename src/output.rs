//! Printers for replayed events: sysdig-like text lines (`-p` formats) and JSON lines, behind
//! one [`Sink`] trait. Printers write into a buffered writer; the caller flushes at the end.

#![forbid(unsafe_code)]

pub mod args;
pub mod ordered;
pub mod parquet;
pub mod progress;
pub mod table;
pub mod term;

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::filter::error::suggest;
use crate::filter::{Registry, ResolveError, Source, Val};
use crate::replay::context::EventCtx;
use crate::replay::fields::{Fid, Field, Fields, field_ref};
use crate::replay::render::{BufMode, hex_dump};

/// sysdig's default line format.
pub const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";

/// `-pc` / `-pcontainer`: the default line with the container.
pub const CONTAINER_FORMAT: &str = "*%evt.num %evt.outputtime %evt.cpu %container.name \
     (%container.id) %proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info";

/// `-pk` / `-pkubernetes`: the default line with the pod.
pub const K8S_FORMAT: &str = "*%evt.num %evt.outputtime %evt.cpu %k8s.pod.name \
     (%container.id) %proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info";

/// The format for a `-p` argument: sysdig's presets (`c`, `container`, `k`, `kubernetes`,
/// which is what `-pc` and `-pk` parse as), or the format itself.
pub fn format_arg(p: Option<&str>) -> &str {
    match p {
        None => DEFAULT_FORMAT,
        Some("c" | "container") => CONTAINER_FORMAT,
        Some("k" | "kubernetes") => K8S_FORMAT,
        Some(f) => f,
    }
}

/// A `-p` format that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid format at column {column}: {message}")]
pub struct FormatError {
    /// 1-based column of the `%` token.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Field(Field, String),
}

/// A parsed `-p` format: text with `%field` tokens.
#[derive(Clone, Debug)]
pub struct Format {
    pieces: Vec<Piece>,
    /// With a leading `*`, events are printed even when a field has no value (shown as
    /// `<NA>`); without it, such events are skipped, as sysdig does.
    pub print_incomplete: bool,
}

impl Format {
    /// Whether a `%field` of the format satisfies `pred`.
    pub fn uses_field(&self, pred: impl Fn(&Field) -> bool) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(f, _) if pred(f)))
    }

    /// Parses a format such as `%evt.num %proc.name %fd.name` (`%%` is a literal `%`).
    pub fn parse(text: &str) -> Result<Format, FormatError> {
        let (print_incomplete, body) = match text.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let offset = text.len() - body.len();
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let b = body.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                let ch = body[i..].chars().next().unwrap_or(' ');
                lit.push(ch);
                i += ch.len_utf8();
                continue;
            }
            if b.get(i + 1) == Some(&b'%') {
                lit.push('%');
                i += 2;
                continue;
            }
            let start = i + 1;
            let (end, arg, next) = field_ref(body, start);
            let name = &body[start..end];
            let column = body[..i].chars().count() + offset + 1;
            let field = Fields.resolve(name, arg).map_err(|e| FormatError {
                column,
                message: match e {
                    ResolveError::Unknown => match suggest(name, Fields.names()) {
                        Some(s) => format!("unknown field '{name}' (did you mean '{s}'?)"),
                        None => format!("unknown field '{name}'"),
                    },
                    ResolveError::Arg(m) => m,
                },
            })?;
            if !lit.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut lit)));
            }
            pieces.push(Piece::Field(field.id, body[start..next].to_owned()));
            i = next;
        }
        if !lit.is_empty() {
            pieces.push(Piece::Text(lit));
        }
        Ok(Format {
            pieces,
            print_incomplete,
        })
    }

    /// The fields the format prints, with their names as written.
    fn fields(&self) -> impl Iterator<Item = (&Field, &str)> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field(f, n) => Some((f, n.as_str())),
            Piece::Text(_) => None,
        })
    }
}

/// Receives matching events.
pub trait Sink {
    /// Prints one event.
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> io::Result<()>;
    /// Flushes buffered output.
    fn flush(&mut self) -> io::Result<()>;
}

/// Text lines.
pub struct TextSink<W: Write> {
    out: W,
    format: Format,
    line: String,
    buf_mode: BufMode,
}

impl<W: Write> TextSink<W> {
    /// A printer of `format` lines into `out`.
    pub fn new(out: W, format: Format, buf_mode: BufMode) -> TextSink<W> {
        TextSink {
            out,
            format,
            line: String::with_capacity(256),
            buf_mode,
        }
    }
}

impl<W: Write> TextSink<W> {
    /// The writer lines go to.
    pub fn writer(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> io::Result<()> {
        self.line.clear();
        for p in &self.format.pieces {
            match p {
                Piece::Text(t) => self.line.push_str(t),
                Piece::Field(f, _) => {
                    if !ctx.write_text(f, &mut self.line) {
                        if !self.format.print_incomplete {
                            return Ok(());
                        }
                        self.line.push_str("<NA>");
                    }
                }
            }
        }
        self.line.push('\n');
        if self.buf_mode == BufMode::Hex
            && let Some(b) = ctx.buffer()
        {
            hex_dump(b, &mut self.line);
        }
        self.out.write_all(self.line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One JSON object per line, keyed by field name (sorted, as sysdig prints them).
pub struct JsonSink<W: Write> {
    out: W,
    fields: Vec<(Field, String)>,
    line: String,
    scratch: String,
}

impl<W: Write> JsonSink<W> {
    /// A JSON printer of the fields of `format`.
    pub fn new(out: W, format: &Format) -> JsonSink<W> {
        let mut fields: Vec<(Field, String)> = format
            .fields()
            .map(|(f, n)| (f.clone(), n.to_owned()))
            .collect();
        fields.sort_by(|a, b| a.1.cmp(&b.1));
        fields.dedup_by(|a, b| a.1 == b.1);
        JsonSink {
            out,
            fields,
            line: String::with_capacity(512),
            scratch: String::with_capacity(256),
        }
    }
}

/// Bytes that JSON strings must escape: controls, `"` and `\\`.
static ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` as a JSON string. Runs of bytes that need no escape are copied whole.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if !ESCAPE[c as usize] {
            i += 1;
            continue;
        }
        // Escaped bytes are ASCII, so these are char boundaries.
        out.push_str(&s[start..i]);
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{c:04x}");
            }
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends bytes as a JSON string (invalid UTF-8 replaced).
pub fn json_bytes(b: &[u8], out: &mut String) {
    match std::str::from_utf8(b) {
        Ok(s) => json_str(s, out),
        Err(_) => json_str(&String::from_utf8_lossy(b), out),
    }
}

fn json_val(v: &Val<'_>, out: &mut String) {
    match v {
        Val::Num(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Str(b) => json_bytes(b, out),
        Val::Ip(ip) => json_str(&ip.to_string(), out),
        Val::List(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_val(it, out);
            }
            out.push(']');
        }
    }
}

impl<W: Write> JsonSink<W> {
    /// Writes the object of one event, with `more` adding keys (`,"key":value` each) after
    /// the format's.
    pub fn event_with(
        &mut self,
        ctx: &mut EventCtx<'_, '_>,
        more: impl FnOnce(&mut EventCtx<'_, '_>, &mut String),
    ) -> io::Result<()> {
        self.line.clear();
        self.line.push('{');
        for (i, (f, name)) in self.fields.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            json_str(name, &mut self.line);
            self.line.push(':');
            if f.fid == Fid::EvtOutputtime {
                // As sysdig: the raw time in JSON.
                self.line.push_str(itoa::Buffer::new().format(ctx.ev.ts));
                continue;
            }
            if matches!(f.fid, Fid::EvtInfo | Fid::EvtArgs | Fid::EvtTime) {
                // Rendered text: build it in a reused buffer, then escape it.
                self.scratch.clear();
                ctx.write_text(f, &mut self.scratch);
                json_str(&self.scratch, &mut self.line);
                continue;
            }
            match ctx.get(f) {
                Some(v) => json_val(&v, &mut self.line),
                None => self.line.push_str("null"),
            }
        }
        more(ctx, &mut self.line);
        self.line.push_str("}\n");
        self.out.write_all(self.line.as_bytes())
    }
}

impl<W: Write> JsonSink<W> {
    /// The writer objects go to.
    pub fn writer(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> io::Result<()> {
        self.event_with(ctx, |_, _| {})
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_report_columns() {
        let f = Format::parse("*%evt.num %proc.aname[2] %evt.arg.fd 100%% done.").expect("ok");
        assert!(f.print_incomplete);
        let names: Vec<&str> = f.fields().map(|(_, n)| n).collect();
        assert_eq!(names, ["evt.num", "proc.aname[2]", "evt.arg.fd"]);
        let e = Format::parse("%evt.num %proc.nme").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "invalid format at column 10: unknown field 'proc.nme' (did you mean 'proc.name'?)"
        );
    }

    #[test]
    fn json_strings_escape() {
        let mut s = String::new();
        json_str("a\"b\\c\n\u{1}", &mut s);
        assert_eq!(s, r#""a\"b\\c\n\u0001""#);
    }
}
