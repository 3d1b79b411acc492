//! The payloads of reads and writes, reassembled per stream (process and fd), both directions
//! in the order they happened: what `casefile echo` prints and the TUI's echo screen shows.
//!
//! Payloads are the snippets the recorder kept (the snaplen); where a call moved more bytes
//! than were captured, a marker says how many are missing. [`Collector`] gathers the streams
//! from a replay; [`lines`] renders one stream as text, a header per stream and per run of one
//! direction:
//!
//! ```text
//! === nginx (1201) fd 12 <ipv4> 10.0.0.15:40001->10.0.0.5:80 ===
//! --- read 78 bytes in 1 call (78 captured) ---
//! GET /index.html HTTP/1.1
//! --- write 1200 bytes in 2 calls (160 captured) ---
//! HTTP/1.1 200 OK
//! [1040 more bytes not captured]
//! ```

use std::collections::HashMap;

use crate::filter::error::FilterErrors;
use crate::filter::{Filter, ResolveError, Source, Val};
use crate::replay::context::EventCtx;
use crate::replay::fields::Field;
use crate::replay::render::{BufMode, hex_dump};
use crate::replay::session::Session;

use super::eval::{compile_filters, resolve_field};

/// The events echo looks at: reads and writes that moved data.
const IO: &str = "evt.is_io = true and evt.buflen > 0";

/// The filter echo replays with: its own, and the user's when given.
pub fn filter(user: Option<&str>) -> Result<Option<Filter<Field>>, FilterErrors> {
    compile_filters(Some(IO), user)
}

/// Which way the bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// The process read them.
    Read,
    /// The process wrote them.
    Write,
}

impl Dir {
    /// `read` or `write`.
    pub fn name(self) -> &'static str {
        match self {
            Dir::Read => "read",
            Dir::Write => "write",
        }
    }
}

/// The payload of one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Which way.
    pub dir: Dir,
    /// The captured bytes (at most what the call moved).
    pub data: Vec<u8>,
    /// Bytes the call moved (may exceed the captured snippet).
    pub len: u64,
}

/// The calls of one process on one fd.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// `host: ` in a merged capture, else empty.
    pub host: String,
    /// The process.
    pub pid: u32,
    /// The fd.
    pub fd: i64,
    /// `proc.name`.
    pub proc_name: String,
    /// `fd.name`.
    pub fd_name: String,
    /// `fd.type`.
    pub fd_type: String,
    /// Its calls in order.
    pub chunks: Vec<Chunk>,
}

impl Stream {
    /// The runs of calls in one direction, in order.
    pub fn runs(&self) -> impl Iterator<Item = &[Chunk]> {
        self.chunks.chunk_by(|a, b| a.dir == b.dir)
    }
}

/// Gathers the streams of a replay: hand it every event of the run ([`Collector::event`]).
pub struct Collector {
    /// In a merged capture the same pid and fd on two hosts are two streams.
    merged: bool,
    fields: [Field; 5],
    streams: Vec<Stream>,
    index: HashMap<(u32, u32, i64, String), usize>,
    chunks: usize,
}

impl Collector {
    /// A collector for the events of `session`.
    pub fn new(session: &Session) -> Result<Collector, ResolveError> {
        Ok(Collector {
            merged: !session.capture().header().info.hosts.is_empty(),
            fields: [
                resolve_field("evt.is_io_read")?,
                resolve_field("fd.name")?,
                resolve_field("fd.type")?,
                resolve_field("proc.name")?,
                resolve_field("host.name")?,
            ],
            streams: Vec::new(),
            index: HashMap::new(),
            chunks: 0,
        })
    }

    /// Adds the event's payload to its stream (events without a buffer or an fd are passed
    /// over).
    pub fn event(&mut self, ctx: &mut EventCtx<'_, '_>) {
        let Some(mut buf) = ctx.buffer().map(<[u8]>::to_vec) else {
            return;
        };
        let Some(fd) = ctx.fd_num() else {
            return;
        };
        let [f_read, f_name, f_type, f_pname, f_host] = &self.fields;
        let text = |v: Option<Val<'_>>| match v {
            Some(Val::Str(b)) => String::from_utf8_lossy(&b).into_owned(),
            _ => String::new(),
        };
        let dir = if matches!(ctx.get(f_read), Some(Val::Bool(true))) {
            Dir::Read
        } else {
            Dir::Write
        };
        let len = match &ctx.ev.body {
            capture_format::schema::Body::Syscall(sc) => sc.ret.max(0) as u64,
            _ => 0,
        };
        // Only the first `len` bytes of a buffer are data (a read fills what it returns).
        buf.truncate(len as usize);
        let fd_name = text(ctx.get(f_name));
        let host = capture_format::schema::host_of(ctx.ev.container);
        let key = (host, ctx.ev.pid, fd, fd_name.clone());
        let i = if let Some(&i) = self.index.get(&key) {
            i
        } else {
            self.streams.push(Stream {
                host: if self.merged {
                    format!("{}: ", text(ctx.get(f_host)))
                } else {
                    String::new()
                },
                pid: ctx.ev.pid,
                fd,
                proc_name: text(ctx.get(f_pname)),
                fd_name,
                fd_type: text(ctx.get(f_type)),
                chunks: Vec::new(),
            });
            self.index.insert(key, self.streams.len() - 1);
            self.streams.len() - 1
        };
        self.streams[i].chunks.push(Chunk {
            dir,
            data: buf,
            len,
        });
        self.chunks += 1;
    }

    /// Payloads gathered so far.
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// The streams, in the order of their first payload.
    pub fn finish(self) -> Vec<Stream> {
        self.streams
    }
}

/// Text of a payload: printable ASCII, tabs and line ends kept (CRLF line ends print as LF);
/// other bytes shown as `.` (dotted, the default) or dropped (`Ascii`, csysdig's "Printable
/// ASCII").
fn render(b: &[u8], mode: BufMode, out: &mut String) {
    for &c in b {
        if (0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t' {
            out.push(c as char);
        } else if c == b'\r' {
            // CRLF line ends print as LF.
        } else if mode != BufMode::Ascii {
            out.push('.');
        }
    }
}

/// One stream as lines of text (without line ends), `true` marking the headers: the stream's,
/// then per run of one direction its header, its data (text or a hex dump) and, when the calls
/// moved more than was captured, how much more.
pub fn lines(st: &Stream, mode: BufMode) -> Vec<(bool, String)> {
    let name = if st.fd_name.is_empty() {
        String::new()
    } else {
        format!(" {}", st.fd_name)
    };
    let mut out = vec![(
        true,
        format!(
            "=== {}{} ({}) fd {} <{}>{name} ===",
            st.host,
            if st.proc_name.is_empty() {
                "?"
            } else {
                &st.proc_name
            },
            st.pid,
            st.fd,
            st.fd_type
        ),
    )];
    let mut text = String::new();
    for run in st.runs() {
        let total: u64 = run.iter().map(|c| c.len).sum();
        let captured: usize = run.iter().map(|c| c.data.len()).sum();
        out.push((
            true,
            format!(
                "--- {} {total} bytes in {} call{} ({captured} captured) ---",
                run[0].dir.name(),
                run.len(),
                if run.len() == 1 { "" } else { "s" }
            ),
        ));
        let mut data = Vec::with_capacity(captured);
        for c in run {
            data.extend_from_slice(&c.data);
        }
        text.clear();
        if mode == BufMode::Hex {
            hex_dump(&data, &mut text);
        } else {
            render(&data, mode, &mut text);
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        out.extend(text.lines().map(|l| (false, l.to_owned())));
        let missing = total.saturating_sub(captured as u64);
        if missing > 0 {
            out.push((false, format!("[{missing} more bytes not captured]")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(chunks: Vec<Chunk>) -> Stream {
        Stream {
            host: String::new(),
            pid: 7,
            fd: 3,
            proc_name: "cat".into(),
            fd_name: String::new(),
            fd_type: "file".into(),
            chunks,
        }
    }

    #[test]
    fn runs_get_headers_tabs_stay_cr_goes_and_missing_bytes_are_named() {
        let st = stream(vec![
            Chunk {
                dir: Dir::Read,
                data: b"a\tb\r\n".to_vec(),
                len: 5,
            },
            Chunk {
                dir: Dir::Read,
                data: b"c\x01".to_vec(),
                len: 10,
            },
            Chunk {
                dir: Dir::Write,
                data: Vec::new(),
                len: 4,
            },
        ]);
        let text: Vec<String> = lines(&st, BufMode::Dotted)
            .into_iter()
            .map(|(h, l)| format!("{}{l}", if h { "H " } else { "" }))
            .collect();
        assert_eq!(
            text,
            [
                "H === cat (7) fd 3 <file> ===",
                "H --- read 15 bytes in 2 calls (7 captured) ---",
                "a\tb",
                "c.",
                "[8 more bytes not captured]",
                "H --- write 4 bytes in 1 call (0 captured) ---",
                "",
                "[4 more bytes not captured]",
            ]
        );
        let ascii = lines(&st, BufMode::Ascii);
        assert_eq!(ascii[3].1, "c");
        let hex = lines(&st, BufMode::Hex);
        assert!(
            hex[2].1.starts_with("\t0x0000: 6109 620d 0a63 01"),
            "{hex:?}"
        );
        assert_eq!(hex[4].1, "--- write 4 bytes in 1 call (0 captured) ---");
        assert_eq!(hex[5].1, "[4 more bytes not captured]");
    }
}
