//! The record codec: how a list of [`Event`]s becomes the uncompressed body of a block.
//!
//! Records are split into column streams, so that zstd sees similar bytes together (all the time
//! deltas, all the syscall numbers, all the paths). The body starts with the stream count and
//! each stream's length, then the streams in order:
//!
//! ```text
//! offset      size       field
//! 0           1          stream count S (15 in version 1; a reader ignores streams it does
//!                        not know and treats missing ones as empty)
//! 1           4*S        length of each stream, u32 little-endian
//! 1+4S        ...        the streams, back to back
//!
//! stream  name       one entry per            encoding
//! 0       kind       record                   u8 (schema::Kind)
//! 1       ts         record                   zigzag varint: ts - previous ts (first: ts itself)
//! 2       tid        record                   zigzag varint: tid - previous tid
//! 3       pid        record                   zigzag varint: pid - tid
//! 4       cpu        record                   varint
//! 5       container  record                   varint
//! 6       nr         syscall record           varint syscall number
//! 7       ret        syscall record           zigzag varint
//! 8       latency    syscall record           varint
//! 9       nvals      record                   varint: number of values that follow
//! 10      tag        value                    u8: 0 none, 1 int, 2 bytes, 3 sock
//! 11      int        int value                zigzag varint
//! 12      blen       bytes value              varint length
//! 13      bytes      bytes value              raw bytes
//! 14      sock       sock value               u8 family, u8 proto, src (4 or 16 bytes by
//!                                             family), u16le sport, dst, u16le dport
//! ```
//!
//! A syscall record's values are its parameters; any other record's values are its fields in
//! the order [`values_of`] lists them. Readers take the fields they know and default the rest,
//! so fields are appended in later versions and detected by count; an unknown kind is kept as
//! [`Body::Unknown`].

mod values;

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::schema::{Body, Event, Fork, Kind, Params, Sock, Syscall, Value, af, syscalls};
use crate::summary::Summary;

pub use self::values::{body_from_values, values_of};

/// Streams in a version-1 body.
pub const STREAMS: usize = 15;

const S_KIND: usize = 0;
const S_TS: usize = 1;
const S_TID: usize = 2;
const S_PID: usize = 3;
const S_CPU: usize = 4;
const S_CONTAINER: usize = 5;
const S_NR: usize = 6;
const S_RET: usize = 7;
const S_LATENCY: usize = 8;
const S_NVALS: usize = 9;
const S_TAG: usize = 10;
const S_INT: usize = 11;
const S_BLEN: usize = 12;
const S_BYTES: usize = 13;
const S_SOCK: usize = 14;

const TAG_NONE: u8 = 0;
const TAG_INT: u8 = 1;
const TAG_BYTES: u8 = 2;
const TAG_SOCK: u8 = 3;

/// Most values a record may hold; more is corruption.
const MAX_VALUES: u64 = 4096;

// ---------------------------------------------------------------------------------------------
// varints

#[inline]
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

// ---------------------------------------------------------------------------------------------
// encoding

/// Builds one block body from events, and the block's summary on the way.
#[derive(Debug, Default)]
pub struct Encoder {
    streams: [Vec<u8>; STREAMS],
    count: u32,
    first_ts: u64,
    last_ts: u64,
    prev_ts: u64,
    prev_tid: u32,
    summary: Summary,
}

impl Encoder {
    /// Records encoded so far.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Time of the first record.
    pub fn first_ts(&self) -> u64 {
        self.first_ts
    }

    /// Time of the last record.
    pub fn last_ts(&self) -> u64 {
        self.last_ts
    }

    /// Size of the body if finished now.
    pub fn raw_len(&self) -> usize {
        1 + 4 * STREAMS + self.streams.iter().map(Vec::len).sum::<usize>()
    }

    /// The summary of what was encoded.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Appends one record.
    pub fn push(&mut self, ev: &Event<'_>) {
        if self.count == 0 {
            self.first_ts = ev.ts;
            self.last_ts = ev.ts;
            self.prev_ts = 0;
        }
        self.first_ts = self.first_ts.min(ev.ts);
        self.last_ts = self.last_ts.max(ev.ts);
        self.count += 1;
        let kind = ev.body.kind_u8();
        self.summary.add(kind, ev);

        let s = &mut self.streams;
        s[S_KIND].push(kind);
        put_varint(
            &mut s[S_TS],
            zigzag(ev.ts.wrapping_sub(self.prev_ts) as i64),
        );
        self.prev_ts = ev.ts;
        put_varint(
            &mut s[S_TID],
            zigzag(i64::from(ev.tid) - i64::from(self.prev_tid)),
        );
        self.prev_tid = ev.tid;
        put_varint(&mut s[S_PID], zigzag(i64::from(ev.pid) - i64::from(ev.tid)));
        put_varint(&mut s[S_CPU], u64::from(ev.cpu));
        put_varint(&mut s[S_CONTAINER], u64::from(ev.container));

        if let Body::Syscall(sc) = &ev.body {
            put_varint(&mut s[S_NR], u64::from(sc.nr));
            put_varint(&mut s[S_RET], zigzag(sc.ret));
            put_varint(&mut s[S_LATENCY], sc.latency);
            put_varint(&mut s[S_NVALS], sc.params.len() as u64);
            for v in &sc.params {
                put_value(s, v);
            }
        } else {
            let mut vals = Params::new();
            values_of(&ev.body, &mut vals);
            put_varint(&mut s[S_NVALS], vals.len() as u64);
            for v in &vals {
                put_value(s, v);
            }
        }
    }

    /// Finishes the body and resets the encoder for the next block.
    pub fn finish(&mut self) -> (Vec<u8>, Summary) {
        let mut out = Vec::with_capacity(self.raw_len());
        out.push(STREAMS as u8);
        for st in &self.streams {
            out.extend_from_slice(&(st.len() as u32).to_le_bytes());
        }
        for st in &mut self.streams {
            out.extend_from_slice(st);
            st.clear();
        }
        let summary = std::mem::take(&mut self.summary);
        self.count = 0;
        self.prev_tid = 0;
        (out, summary)
    }
}

fn put_value(s: &mut [Vec<u8>; STREAMS], v: &Value<'_>) {
    match v {
        Value::None => s[S_TAG].push(TAG_NONE),
        Value::Int(i) => {
            s[S_TAG].push(TAG_INT);
            put_varint(&mut s[S_INT], zigzag(*i));
        }
        Value::Bytes(b) => {
            s[S_TAG].push(TAG_BYTES);
            put_varint(&mut s[S_BLEN], b.len() as u64);
            s[S_BYTES].extend_from_slice(b);
        }
        Value::Sock(k) => {
            s[S_TAG].push(TAG_SOCK);
            let out = &mut s[S_SOCK];
            out.push(k.family);
            out.push(k.proto);
            let n = addr_len(k.family);
            out.extend_from_slice(&k.src[..n]);
            out.extend_from_slice(&k.sport.to_le_bytes());
            out.extend_from_slice(&k.dst[..n]);
            out.extend_from_slice(&k.dport.to_le_bytes());
        }
    }
}

fn addr_len(family: u8) -> usize {
    if family == af::INET6 { 16 } else { 4 }
}

// ---------------------------------------------------------------------------------------------
// decoding

/// A cursor over one stream of a decoded body.
#[derive(Clone, Copy, Debug)]
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn u8(&mut self) -> Option<u8> {
        let v = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    #[inline]
    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = *self.data.get(self.pos)?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return None;
            }
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
}

/// Iterates the records of one uncompressed block body.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    st: [Cursor<'a>; STREAMS],
    remaining: u32,
    prev_ts: u64,
    prev_tid: u32,
    /// File offset of the block, for errors.
    offset: u64,
    /// Record schema version the block was written with.
    schema: u16,
}

impl<'a> Decoder<'a> {
    /// Reads the records as written under record schema version `v` (the file header's), so
    /// system calls an older version stored as raw arguments come out in today's layout.
    #[must_use]
    pub fn with_schema(mut self, v: u16) -> Decoder<'a> {
        self.schema = v;
        self
    }

    /// Reads the stream table of `body`, which holds `count` records. `offset` is the block's
    /// file offset, used in errors.
    pub fn new(body: &'a [u8], count: u32, offset: u64) -> Result<Decoder<'a>> {
        let bad = |d: String| Error::corrupt(offset, "block body", d);
        let n = *body.first().ok_or_else(|| bad("empty body".into()))? as usize;
        let table_end = 1 + 4 * n;
        if body.len() < table_end {
            return Err(bad(format!(
                "stream table needs {table_end} bytes, body has {}",
                body.len()
            )));
        }
        let empty = Cursor { data: &[], pos: 0 };
        let mut st = [empty; STREAMS];
        let mut pos = table_end;
        for (k, len_bytes) in body[1..table_end].chunks_exact(4).enumerate() {
            let len = u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]])
                as usize;
            let end = pos
                .checked_add(len)
                .filter(|&e| e <= body.len())
                .ok_or_else(|| {
                    bad(format!(
                        "stream {k} of {len} bytes overruns the body of {} bytes",
                        body.len()
                    ))
                })?;
            if k < STREAMS {
                st[k] = Cursor {
                    data: &body[pos..end],
                    pos: 0,
                };
            }
            pos = end;
        }
        if st[S_KIND].data.len() != count as usize {
            return Err(bad(format!(
                "header says {count} records, kind stream holds {}",
                st[S_KIND].data.len()
            )));
        }
        Ok(Decoder {
            st,
            remaining: count,
            prev_ts: 0,
            prev_tid: 0,
            offset,
            schema: crate::schema::SCHEMA_VERSION,
        })
    }

    fn err(&self, what: &str) -> Error {
        Error::corrupt(
            self.offset,
            "block body",
            format!("{what} stream ends early"),
        )
    }

    fn value(&mut self) -> Result<Value<'a>> {
        let tag = self.st[S_TAG].u8().ok_or_else(|| self.err("tag"))?;
        Ok(match tag {
            TAG_NONE => Value::None,
            TAG_INT => Value::Int(unzigzag(
                self.st[S_INT].varint().ok_or_else(|| self.err("int"))?,
            )),
            TAG_BYTES => {
                let n = self.st[S_BLEN].varint().ok_or_else(|| self.err("length"))?;
                let n = usize::try_from(n).map_err(|_| self.err("length"))?;
                Value::Bytes(Cow::Borrowed(
                    self.st[S_BYTES].take(n).ok_or_else(|| self.err("bytes"))?,
                ))
            }
            TAG_SOCK => {
                let c = &mut self.st[S_SOCK];
                let mut read = || -> Option<Sock> {
                    let family = c.u8()?;
                    let proto = c.u8()?;
                    let n = addr_len(family);
                    let mut k = Sock {
                        family,
                        proto,
                        ..Sock::default()
                    };
                    k.src[..n].copy_from_slice(c.take(n)?);
                    let p = c.take(2)?;
                    k.sport = u16::from_le_bytes([p[0], p[1]]);
                    k.dst[..n].copy_from_slice(c.take(n)?);
                    let p = c.take(2)?;
                    k.dport = u16::from_le_bytes([p[0], p[1]]);
                    Some(k)
                };
                Value::Sock(read().ok_or_else(|| self.err("sock"))?)
            }
            t => {
                return Err(Error::corrupt(
                    self.offset,
                    "block body",
                    format!("unknown value tag {t}"),
                ));
            }
        })
    }

    /// Decodes the next record into `ev`, reusing its storage (a syscall's parameter vector is
    /// refilled in place): the cheap way to walk a block. `None` at the end of the block.
    pub fn next_into(&mut self, ev: &mut Event<'a>) -> Option<Result<()>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let r = self.decode_into(ev);
        if r.is_err() {
            self.remaining = 0;
        }
        Some(r)
    }

    fn decode_into(&mut self, ev: &mut Event<'a>) -> Result<()> {
        let kind = self.st[S_KIND].u8().ok_or_else(|| self.err("kind"))?;
        let dts = self.st[S_TS].varint().ok_or_else(|| self.err("ts"))?;
        let ts = self.prev_ts.wrapping_add(unzigzag(dts) as u64);
        self.prev_ts = ts;
        let dtid = unzigzag(self.st[S_TID].varint().ok_or_else(|| self.err("tid"))?);
        let tid = (i64::from(self.prev_tid) + dtid) as u32;
        self.prev_tid = tid;
        let pid = (i64::from(tid)
            + unzigzag(self.st[S_PID].varint().ok_or_else(|| self.err("pid"))?))
            as u32;
        let cpu = self.st[S_CPU].varint().ok_or_else(|| self.err("cpu"))? as u16;
        let container = self.st[S_CONTAINER]
            .varint()
            .ok_or_else(|| self.err("container"))? as u32;
        let nvals = self.st[S_NVALS].varint().ok_or_else(|| self.err("nvals"))?;
        if nvals > MAX_VALUES {
            return Err(Error::corrupt(
                self.offset,
                "block body",
                format!("{nvals} values in a record"),
            ));
        }
        ev.ts = ts;
        ev.tid = tid;
        ev.pid = pid;
        ev.cpu = cpu;
        ev.container = container;
        if kind == Kind::Syscall as u8 {
            let nr = self.st[S_NR].varint().ok_or_else(|| self.err("nr"))? as u16;
            let ret = unzigzag(self.st[S_RET].varint().ok_or_else(|| self.err("ret"))?);
            let latency = self.st[S_LATENCY]
                .varint()
                .ok_or_else(|| self.err("latency"))?;
            if !matches!(ev.body, Body::Syscall(_)) {
                ev.body = Body::Syscall(Syscall {
                    nr,
                    ret,
                    latency,
                    params: Params::new(),
                });
            }
            if let Body::Syscall(sc) = &mut ev.body {
                sc.nr = nr;
                sc.ret = ret;
                sc.latency = latency;
                sc.params.clear();
                for _ in 0..nvals {
                    let v = self.value()?;
                    sc.params.push(v);
                }
                if self.schema < 2 {
                    sc.params = syscalls::from_v1_raw(nr, std::mem::take(&mut sc.params));
                }
            }
        } else {
            let mut vals: Params<'a> = Params::new();
            for _ in 0..nvals {
                vals.push(self.value()?);
            }
            ev.body = body_from_values(kind, vals);
        }
        Ok(())
    }

    fn next_event(&mut self) -> Result<Event<'a>> {
        let mut ev = Event {
            ts: 0,
            tid: 0,
            pid: 0,
            cpu: 0,
            container: 0,
            body: Body::Fork(Fork::default()),
        };
        self.decode_into(&mut ev)?;
        Ok(ev)
    }
}

impl<'a> Iterator for Decoder<'a> {
    type Item = Result<Event<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let r = self.next_event();
        if r.is_err() {
            self.remaining = 0;
        }
        Some(r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Container, Process};

    #[test]
    fn varint_round_trip_extremes() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut c = Cursor { data: &out, pos: 0 };
            assert_eq!(c.varint(), Some(v));
            assert_eq!(c.pos, out.len());
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }

    #[test]
    fn overlong_varint_is_rejected() {
        let bytes = [0xffu8; 11];
        let mut c = Cursor {
            data: &bytes,
            pos: 0,
        };
        assert_eq!(c.varint(), None);
    }

    #[test]
    fn later_fields_round_trip_and_default_when_absent() {
        let p = Process {
            pid: 7,
            cap_permitted: 1 << 21,
            vpgid: 7,
            exe_flags: crate::schema::exe::KNOWN | crate::schema::exe::FROM_MEMFD,
            ..Process::default()
        };
        let mut c = Container::default();
        c.push_mount(b"/src", b"/dst", b"ro", false, b"rprivate");
        for body in [Body::Exec(p.clone()), Body::Container(c.clone())] {
            let mut vals = Params::new();
            values_of(&body, &mut vals);
            assert_eq!(body_from_values(body.kind_u8(), vals), body);
        }
        let m: Vec<_> = c.mount_list().collect();
        assert_eq!(m, [[&b"/src"[..], b"/dst", b"ro", b"false", b"rprivate"]]);
        // An older writer's record: the fields are not written and read as unset.
        let old = Process {
            pid: 7,
            ..Process::default()
        };
        let mut vals = Params::new();
        values_of(&Body::Process(old.clone()), &mut vals);
        assert_eq!(vals.len(), 27);
        assert_eq!(
            body_from_values(Kind::Process as u8, vals),
            Body::Process(old)
        );
    }

    #[test]
    fn body_with_lying_stream_lengths_is_an_error() {
        let mut body = vec![STREAMS as u8];
        for _ in 0..STREAMS {
            body.extend_from_slice(&u32::MAX.to_le_bytes());
        }
        let e = Decoder::new(&body, 1, 77).expect_err("must fail");
        assert_eq!(e.offset, 77);
    }
}
