//! The aggregate section of an events block (FORMAT.md, section 3.3): what it holds and its
//! bytes. Decoding checks every length against the bytes left, so a hostile section is an
//! error naming the byte where it goes wrong, never a panic or a huge allocation.
//!
//! This module depends on nothing but `std` (the fuzz target compiles it on its own).

#![expect(
    clippy::many_single_char_names,
    clippy::single_match_else,
    reason = "a decoder's short names (bytes, reader, counts) and its two-way matches"
)]

/// Layout version written in the first byte.
pub const VERSION: u8 = 1;

/// Flag: the block's aggregates must not be used (an event named a container the writer had
/// not yet seen, so the values it computed may differ from a reader's).
pub const FLAG_UNUSABLE: u32 = 1;

/// Most cells a block's time series is cut into.
pub const MAX_CELLS: u64 = 64;

/// One block's partial aggregates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    /// Which tiles and views the producer computed (readers with another catalog decode).
    pub fingerprint: [u8; 16],
    /// [`FLAG_UNUSABLE`]; unknown bits are ignored.
    pub flags: u32,
    /// Cells are `2^shift` ns wide, aligned to multiples of their width.
    pub shift: u8,
    /// Times seen are stored relative to this (the block's first event time).
    pub base_ts: u64,
    /// Values (identity bytes) the tiles' distinct sets point into, sorted.
    pub values: Vec<Vec<u8>>,
    /// Cells with events, ascending.
    pub cells: Vec<CellAgg>,
    /// Partial view tables.
    pub views: Vec<ViewPart>,
}

/// One time cell of a block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellAgg {
    /// Cell number: event time >> shift.
    pub cell: u64,
    /// Events in the cell.
    pub events: u64,
    /// (tile number, contribution), ascending by tile.
    pub tiles: Vec<(u16, TileVal)>,
}

/// A tile's contribution in one cell.
#[derive(Clone, Debug, PartialEq)]
pub enum TileVal {
    /// A count or a sum.
    Num(i64),
    /// Distinct values: indices into [`Section::values`].
    Set(Vec<u32>),
}

/// One view's partial table over the block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewPart {
    /// View id.
    pub id: String,
    /// Events the view counted.
    pub events: u64,
    /// Rows, in first-seen order.
    pub rows: Vec<RowPart>,
}

/// One row of a partial table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowPart {
    /// The key values' identity bytes.
    pub key: Vec<u8>,
    /// One accumulator per column.
    pub accs: Vec<AccPart>,
}

/// A column's partial accumulator.
#[derive(Clone, Debug, PartialEq)]
pub enum AccPart {
    /// Nothing kept (key columns, percentiles sharing another column's samples).
    None,
    /// A count.
    Count(u64),
    /// A sum (`None`: no value seen).
    Sum(Option<i64>),
    /// Sum and count of an average.
    Avg(i64, u64),
    /// A minimum.
    Min(Option<i64>),
    /// A maximum.
    Max(Option<i64>),
    /// First or last time seen (0: not seen).
    Seen(u64),
    /// The distinct values seen (identity bytes), sorted.
    Distinct(Vec<Vec<u8>>),
    /// First or last value seen (identity bytes).
    Val(Option<Vec<u8>>),
    /// An image column: the first value seen and the value of the last exec.
    Image {
        /// First value seen.
        first: Option<Vec<u8>>,
        /// Value at the last exec.
        exec: Option<Vec<u8>>,
    },
    /// Percentile samples: every value while few, else a histogram.
    Pct {
        /// Values counted.
        n: u64,
        /// Every value, when kept.
        exact: Option<Vec<i64>>,
        /// (histogram bucket, count), ascending, when the values were not kept.
        hist: Vec<(u32, u64)>,
    },
}

/// Why a section does not decode: what, at which byte of the raw section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionError {
    /// Byte offset in the raw section.
    pub at: usize,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for SectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "aggregate section byte {}: {}", self.at, self.what)
    }
}

fn put_var(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_int(out: &mut Vec<u8>, v: i64) {
    put_var(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_var(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_opt_int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            put_int(out, v);
        }
    }
}

fn put_opt_bytes(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_bytes(out, b);
        }
    }
}

impl Section {
    /// The raw section bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.push(VERSION);
        out.extend_from_slice(&self.fingerprint);
        put_var(&mut out, u64::from(self.flags));
        out.push(self.shift);
        put_var(&mut out, self.base_ts);
        put_values(&mut out, &self.values);
        put_var(&mut out, self.cells.len() as u64);
        let mut prev = 0u64;
        for c in &self.cells {
            put_var(&mut out, c.cell.wrapping_sub(prev));
            prev = c.cell;
            put_var(&mut out, c.events);
            put_var(&mut out, c.tiles.len() as u64);
            let mut pt = 0u16;
            for (t, v) in &c.tiles {
                put_var(&mut out, u64::from(t.wrapping_sub(pt)));
                pt = *t;
                match v {
                    TileVal::Num(n) => {
                        out.push(0);
                        put_int(&mut out, *n);
                    }
                    TileVal::Set(s) => {
                        out.push(1);
                        put_var(&mut out, s.len() as u64);
                        for i in s {
                            put_var(&mut out, u64::from(*i));
                        }
                    }
                }
            }
        }
        put_var(&mut out, self.views.len() as u64);
        for v in &self.views {
            put_bytes(&mut out, v.id.as_bytes());
            let mut body = Vec::new();
            put_var(&mut body, v.events);
            put_var(&mut body, v.rows.len() as u64);
            for r in &v.rows {
                put_bytes(&mut body, &r.key);
                put_var(&mut body, r.accs.len() as u64);
                for a in &r.accs {
                    encode_acc(&mut body, a, self.base_ts);
                }
            }
            put_bytes(&mut out, &body);
        }
        out
    }

    /// Decodes raw section bytes.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the tests and the fuzz target decode whole sections"
        )
    )]
    pub fn decode(b: &[u8]) -> Result<Section, SectionError> {
        Section::decode_part(b, None)
    }

    /// Decodes raw section bytes, keeping of the views only the one named `view` (`Some("")`:
    /// none); the others are passed over unread.
    pub fn decode_part(b: &[u8], view: Option<&str>) -> Result<Section, SectionError> {
        let mut r = Rd { b, at: 0 };
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(r.err(format!(
                "layout version {version}, this reader knows {VERSION}"
            )));
        }
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(r.take(16, "fingerprint")?);
        let flags = r.var("flags")?;
        let flags = u32::try_from(flags).map_err(|_| r.err("flags out of range".into()))?;
        let shift = r.u8("cell shift")?;
        if shift > 63 {
            return Err(r.err(format!("cell shift {shift} is more than 63")));
        }
        let base_ts = r.var("base time")?;
        let values = r.values("values")?;
        let n = r.count(3, "cells")?;
        if n as u64 > MAX_CELLS {
            return Err(r.err(format!("{n} cells, at most {MAX_CELLS}")));
        }
        let mut cells = Vec::with_capacity(n);
        let mut prev = 0u64;
        for k in 0..n {
            let d = r.var("cell number")?;
            if k > 0 && d == 0 {
                return Err(r.err("cells out of order".into()));
            }
            let cell = prev
                .checked_add(d)
                .ok_or_else(|| r.err("cell number overflows".into()))?;
            prev = cell;
            let events = r.var("cell events")?;
            let nt = r.count(2, "cell tiles")?;
            let mut tiles = Vec::with_capacity(nt);
            let mut pt = 0u64;
            for j in 0..nt {
                let d = r.var("tile number")?;
                if j > 0 && d == 0 {
                    return Err(r.err("tiles out of order".into()));
                }
                pt = pt.saturating_add(d);
                let t = u16::try_from(pt).map_err(|_| r.err(format!("tile number {pt}")))?;
                let v = match r.u8("tile value tag")? {
                    0 => TileVal::Num(r.int("tile value")?),
                    1 => {
                        let m = r.count(1, "distinct set")?;
                        let mut s = Vec::with_capacity(m);
                        for _ in 0..m {
                            let i = r.var("value index")?;
                            if i >= values.len() as u64 {
                                return Err(r.err(format!(
                                    "value index {i}, the section has {} values",
                                    values.len()
                                )));
                            }
                            s.push(i as u32);
                        }
                        TileVal::Set(s)
                    }
                    t => return Err(r.err(format!("unknown tile value tag {t}"))),
                };
                tiles.push((t, v));
            }
            cells.push(CellAgg {
                cell,
                events,
                tiles,
            });
        }
        let n = r.count(3, "views")?;
        let mut views = Vec::with_capacity(n);
        for _ in 0..n {
            let id = String::from_utf8(r.bytes("view id")?.to_vec())
                .map_err(|_| r.err("view id is not UTF-8".into()))?;
            let body = r.bytes("view table")?;
            if view.is_some_and(|v| v != id) {
                // Not wanted: passed over whole.
                continue;
            }
            let end = r.at;
            let mut r = Rd {
                b: &b[..end],
                at: end - body.len(),
            };
            let events = r.var("view events")?;
            let nr = r.count(2, "rows")?;
            let mut rows = Vec::with_capacity(nr);
            for _ in 0..nr {
                let key = r.bytes("row key")?.to_vec();
                let na = r.count(1, "row columns")?;
                let mut accs = Vec::with_capacity(na);
                for _ in 0..na {
                    accs.push(decode_acc(&mut r, base_ts)?);
                }
                rows.push(RowPart { key, accs });
            }
            if r.at != end {
                return Err(r.err(format!("{} bytes after a view table", end - r.at)));
            }
            views.push(ViewPart { id, events, rows });
        }
        if r.at != b.len() {
            return Err(r.err(format!("{} bytes after the section", b.len() - r.at)));
        }
        Ok(Section {
            fingerprint,
            flags,
            shift,
            base_ts,
            values,
            cells,
            views,
        })
    }
}

/// A sorted list of values: a count, then each as the length of the prefix it shares with the
/// one before, the length of the rest and the rest.
fn put_values(out: &mut Vec<u8>, vals: &[Vec<u8>]) {
    put_var(out, vals.len() as u64);
    let mut prev: &[u8] = &[];
    for v in vals {
        let shared = prev.iter().zip(v).take_while(|(a, b)| a == b).count();
        put_var(out, shared as u64);
        put_bytes(out, &v[shared..]);
        prev = v;
    }
}

fn encode_acc(out: &mut Vec<u8>, a: &AccPart, base_ts: u64) {
    match a {
        AccPart::None => out.push(0),
        AccPart::Count(n) => {
            out.push(1);
            put_var(out, *n);
        }
        AccPart::Sum(s) => {
            out.push(2);
            put_opt_int(out, *s);
        }
        AccPart::Avg(s, n) => {
            out.push(3);
            put_int(out, *s);
            put_var(out, *n);
        }
        AccPart::Min(m) => {
            out.push(4);
            put_opt_int(out, *m);
        }
        AccPart::Max(m) => {
            out.push(5);
            put_opt_int(out, *m);
        }
        AccPart::Seen(t) => {
            // 0 none, else 1 + the time after the base (a time before it: 1 + the time, and
            // the base cannot be its own; written by no producer of this crate).
            out.push(6);
            put_var(
                out,
                if *t == 0 {
                    0
                } else {
                    t.wrapping_sub(base_ts).wrapping_add(1)
                },
            );
        }
        AccPart::Distinct(s) => {
            out.push(7);
            put_values(out, s);
        }
        AccPart::Val(v) => {
            out.push(8);
            put_opt_bytes(out, v.as_deref());
        }
        AccPart::Image { first, exec } => {
            out.push(9);
            put_opt_bytes(out, first.as_deref());
            put_opt_bytes(out, exec.as_deref());
        }
        AccPart::Pct { n, exact, hist } => {
            out.push(10);
            put_var(out, *n);
            match exact {
                Some(vals) => {
                    out.push(1);
                    put_var(out, vals.len() as u64);
                    for v in vals {
                        put_int(out, *v);
                    }
                }
                None => {
                    out.push(0);
                    put_var(out, hist.len() as u64);
                    let mut pb = 0u32;
                    for (b, c) in hist {
                        put_var(out, u64::from(b.wrapping_sub(pb)));
                        pb = *b;
                        put_var(out, *c);
                    }
                }
            }
        }
    }
}

fn decode_acc(r: &mut Rd<'_>, base_ts: u64) -> Result<AccPart, SectionError> {
    Ok(match r.u8("column tag")? {
        0 => AccPart::None,
        1 => AccPart::Count(r.var("count")?),
        2 => AccPart::Sum(r.opt_int("sum")?),
        3 => AccPart::Avg(r.int("average sum")?, r.var("average count")?),
        4 => AccPart::Min(r.opt_int("minimum")?),
        5 => AccPart::Max(r.opt_int("maximum")?),
        6 => {
            let v = r.var("time seen")?;
            AccPart::Seen(if v == 0 {
                0
            } else {
                (v - 1).wrapping_add(base_ts)
            })
        }
        7 => AccPart::Distinct(r.values("distinct values")?),
        8 => AccPart::Val(r.opt_bytes("value")?),
        9 => AccPart::Image {
            first: r.opt_bytes("first value")?,
            exec: r.opt_bytes("exec value")?,
        },
        10 => {
            let n = r.var("samples")?;
            match r.u8("samples kind")? {
                1 => {
                    let m = r.count(1, "sample values")?;
                    if m as u64 != n {
                        return Err(r.err(format!("{m} sample values for {n} samples")));
                    }
                    let mut vals = Vec::with_capacity(m);
                    for _ in 0..m {
                        vals.push(r.int("sample")?);
                    }
                    AccPart::Pct {
                        n,
                        exact: Some(vals),
                        hist: Vec::new(),
                    }
                }
                0 => {
                    let m = r.count(2, "histogram buckets")?;
                    let mut hist = Vec::with_capacity(m);
                    let mut pb = 0u64;
                    let mut total = 0u64;
                    for j in 0..m {
                        let d = r.var("histogram bucket")?;
                        if j > 0 && d == 0 {
                            return Err(r.err("histogram buckets out of order".into()));
                        }
                        pb = pb.saturating_add(d);
                        let b = u32::try_from(pb)
                            .map_err(|_| r.err(format!("histogram bucket {pb}")))?;
                        let c = r.var("histogram count")?;
                        total = total.saturating_add(c);
                        hist.push((b, c));
                    }
                    if total != n {
                        return Err(r.err(format!("histogram holds {total} of {n} samples")));
                    }
                    AccPart::Pct {
                        n,
                        exact: None,
                        hist,
                    }
                }
                k => return Err(r.err(format!("unknown samples kind {k}"))),
            }
        }
        t => return Err(r.err(format!("unknown column tag {t}"))),
    })
}

struct Rd<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Rd<'a> {
    fn err(&self, what: String) -> SectionError {
        SectionError { at: self.at, what }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SectionError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        match end {
            Some(e) => {
                let s = &self.b[self.at..e];
                self.at = e;
                Ok(s)
            }
            None => Err(self.err(format!("{what}: section ends early"))),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, SectionError> {
        Ok(self.take(1, what)?[0])
    }

    fn var(&mut self, what: &str) -> Result<u64, SectionError> {
        let mut v = 0u64;
        for i in 0..10 {
            let c = self.u8(what)?;
            if i == 9 && c > 1 {
                return Err(self.err(format!("{what}: varint overflows")));
            }
            v |= u64::from(c & 0x7f) << (7 * i);
            if c & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err(format!("{what}: varint longer than 10 bytes")))
    }

    fn int(&mut self, what: &str) -> Result<i64, SectionError> {
        let u = self.var(what)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A count of items of at least `min` bytes each, checked against the bytes left.
    fn count(&mut self, min: usize, what: &str) -> Result<usize, SectionError> {
        let n = self.var(what)?;
        let left = (self.b.len() - self.at) as u64;
        if n.saturating_mul(min as u64) > left {
            return Err(self.err(format!("{what}: {n} declared, {left} bytes left")));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self, what: &str) -> Result<&'a [u8], SectionError> {
        let n = self.count(1, what)?;
        self.take(n, what)
    }

    /// Values written by `put_values`: sorted, each sharing a prefix with the one before.
    fn values(&mut self, what: &str) -> Result<Vec<Vec<u8>>, SectionError> {
        let n = self.count(2, what)?;
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(n);
        for _ in 0..n {
            let shared = self.var(what)?;
            let prev = out.last().map_or(&[][..], Vec::as_slice);
            if shared > prev.len() as u64 {
                return Err(self.err(format!(
                    "{what}: shares {shared} bytes with a value of {}",
                    prev.len()
                )));
            }
            let mut v = prev[..shared as usize].to_vec();
            v.extend_from_slice(self.bytes(what)?);
            if out.last().is_some_and(|p| *p >= v) {
                return Err(self.err(format!("{what}: not sorted")));
            }
            out.push(v);
        }
        Ok(out)
    }

    fn opt_int(&mut self, what: &str) -> Result<Option<i64>, SectionError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => Ok(Some(self.int(what)?)),
            t => Err(self.err(format!("{what}: presence byte {t}"))),
        }
    }

    fn opt_bytes(&mut self, what: &str) -> Result<Option<Vec<u8>>, SectionError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => Ok(Some(self.bytes(what)?.to_vec())),
            t => Err(self.err(format!("{what}: presence byte {t}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Section {
        Section {
            fingerprint: [3; 16],
            flags: 0,
            shift: 20,
            base_ts: 1_000,
            values: vec![vec![1, 7], b"/etc/hosts".to_vec(), b"/etc/passwd".to_vec()],
            cells: vec![
                CellAgg {
                    cell: 1_000_000,
                    events: 7,
                    tiles: vec![(0, TileVal::Num(-5)), (4, TileVal::Set(vec![0, 2]))],
                },
                CellAgg {
                    cell: 1_000_003,
                    events: 1,
                    tiles: vec![(2, TileVal::Num(9))],
                },
            ],
            views: vec![ViewPart {
                id: "procs".into(),
                events: 8,
                rows: vec![RowPart {
                    key: vec![1, 2, 3],
                    accs: vec![
                        AccPart::None,
                        AccPart::Count(4),
                        AccPart::Sum(Some(-3)),
                        AccPart::Avg(10, 2),
                        AccPart::Min(None),
                        AccPart::Max(Some(8)),
                        AccPart::Seen(1_099),
                        AccPart::Distinct(vec![vec![1, 5], vec![1, 6]]),
                        AccPart::Val(Some(b"x".to_vec())),
                        AccPart::Image {
                            first: None,
                            exec: Some(b"bash".to_vec()),
                        },
                        AccPart::Pct {
                            n: 2,
                            exact: Some(vec![1, 2]),
                            hist: Vec::new(),
                        },
                        AccPart::Pct {
                            n: 5,
                            exact: None,
                            hist: vec![(3, 2), (70, 3)],
                        },
                    ],
                }],
            }],
        }
    }

    #[test]
    fn section_round_trips() {
        let s = sample();
        let b = s.encode();
        assert_eq!(Section::decode(&b).expect("decodes"), s);
    }

    #[test]
    fn every_cut_and_flip_is_an_error_or_a_section_never_a_panic() {
        let b = sample().encode();
        for cut in 0..b.len() {
            let e = Section::decode(&b[..cut]).expect_err("cut short");
            assert!(e.at <= cut, "{e}");
        }
        for i in 0..b.len() {
            for bit in 0..8 {
                let mut c = b.clone();
                c[i] ^= 1 << bit;
                let _ = Section::decode(&c);
            }
        }
        let mut extra = b.clone();
        extra.push(0);
        assert!(
            Section::decode(&extra)
                .expect_err("trailing")
                .what
                .contains("after")
        );
    }

    #[test]
    fn absurd_counts_are_refused_before_allocating() {
        let mut b = vec![VERSION];
        b.extend_from_slice(&[0; 16]);
        b.push(0); // flags
        b.push(10); // shift
        b.push(0); // base time
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // values: 2^32-1
        let e = Section::decode(&b).expect_err("too many");
        assert!(e.what.contains("declared"), "{e}");
    }
}
