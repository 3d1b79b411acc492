//! A parallel replay's printed output (`read`, `check`, the TUI's event lists): each segment of the capture printed
//! into memory by its worker, written in order by the caller's thread.

use std::io::{self, Write};

use super::{Format, JsonSink, Sink, TextSink};
use crate::filter::Filter;
use crate::replay::context::EventCtx;
use crate::replay::fields::{Fid, Field};
use crate::replay::parallel::{SegmentSink, Take, needs_order};
use crate::replay::session::{Flow, Session};

/// Whether a run of `session` over `filter` printing `format` may be printed in parallel: the
/// session can split there ([`Session::can_split`]) and the output needs no earlier match.
pub fn splits(session: &Session, format: &Format, filter: Option<&Filter<Field>>) -> bool {
    session.can_split(filter) && !in_order(format, filter)
}

/// Whether the output needs every earlier match of the run, which a segment replayed on its
/// own does not see: the time since the previous match (`evt.deltatime`, `-t D`) and names
/// learned from DNS answers (they live past keyframes). Such runs read on one thread.
fn in_order(format: &Format, filter: Option<&Filter<Field>>) -> bool {
    let delta = crate::timefmt::output_time() == crate::timefmt::OutputTime::Delta;
    let prints = |f: &Field| needs_order(f) || (delta && f.fid == Fid::EvtOutputtime);
    format.uses_field(prints) || filter.is_some_and(|f| f.uses_field(&needs_order))
}

/// A printer into memory, one per segment of a parallel run.
pub enum Printer {
    /// Text lines.
    Text(TextSink<Vec<u8>>),
    /// JSON lines.
    Json(JsonSink<Vec<u8>>),
}

impl Printer {
    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> io::Result<()> {
        match self {
            Printer::Text(s) => s.event(ctx),
            Printer::Json(s) => s.event(ctx),
        }
    }

    fn buf(&mut self) -> &mut Vec<u8> {
        match self {
            Printer::Text(s) => s.writer(),
            Printer::Json(s) => s.writer(),
        }
    }
}

/// The output of one segment of a parallel run, handed back after each block; with `-n`, where
/// each event's output ends, so the main thread can stop part-way.
struct Segment {
    printer: Printer,
    ends: Option<Vec<usize>>,
    count: Option<u64>,
    n: u64,
}

/// What a segment printed for a block.
struct Chunk {
    bytes: Vec<u8>,
    /// Where the output of each event handed to the printer ends (with `-n` only).
    ends: Vec<usize>,
}

impl SegmentSink for Segment {
    type Out = Chunk;
    type Error = anyhow::Error;

    fn event(&mut self, ctx: &mut EventCtx<'_, '_>) -> anyhow::Result<Flow> {
        self.printer.event(ctx)?;
        self.n += 1;
        if let Some(e) = &mut self.ends {
            e.push(self.printer.buf().len());
        }
        // The whole run has printed at least as many by then.
        Ok(if self.count.is_some_and(|c| self.n >= c) {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn block_done(&mut self) -> Option<Chunk> {
        let ends = self.ends.as_mut().map(std::mem::take).unwrap_or_default();
        let buf = self.printer.buf();
        if buf.is_empty() && ends.is_empty() {
            return None;
        }
        Some(Chunk {
            bytes: std::mem::take(buf),
            ends,
        })
    }

    fn segment_done(&mut self) -> Option<Chunk> {
        None
    }

    fn weight(c: &Chunk) -> usize {
        c.bytes.capacity() + c.ends.capacity() * std::mem::size_of::<usize>()
    }
}

/// Replays `session` over `filter` on `threads` threads, each segment's lines printed by its
/// worker and written to `out` in order: the run stops after `count` matching events and at
/// most `print` of them are written (`check` looks one past what it prints). `progress` hears
/// how many of the capture's events are behind each block written, and stops the run with its
/// error. Returns how many matched, up to `count`.
pub fn print_parallel(
    session: &mut Session,
    (threads, filter): (usize, Option<&Filter<Field>>),
    (count, print): (Option<u64>, Option<u64>),
    progress: &mut dyn FnMut(u64) -> anyhow::Result<()>,
    printer: &(dyn Fn() -> Printer + Sync),
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let cap = session.capture();
    let reached: Vec<u64> = (cap.blocks().iter())
        .map(|b| b.first_event + u64::from(b.count))
        .collect();
    let new = || Segment {
        printer: printer(),
        ends: count.map(|_| Vec::new()),
        count,
        n: 0,
    };
    let mut n = 0u64;
    // The bytes of the first `k` events of a piece that may be written.
    let printable = |n: u64, c: &Chunk, k: usize| match print {
        Some(p) if n + k as u64 > p => {
            let w = usize::try_from(p.saturating_sub(n)).unwrap_or(usize::MAX);
            if w == 0 { 0 } else { c.ends[w - 1] }
        }
        _ if k == c.ends.len() || c.ends.is_empty() => c.bytes.len(),
        _ => c.ends[k - 1],
    };
    session.run_parallel(threads, filter, &new, count.is_some(), |block, c| {
        if let Some(i) = block {
            progress(reached[i])?;
        }
        if let Some(limit) = count
            && n + c.ends.len() as u64 >= limit
        {
            // The limit falls in this block: n < limit, or the run would have stopped.
            let k = usize::try_from(limit - n).unwrap_or(usize::MAX).max(1);
            out.write_all(&c.bytes[..printable(n, &c, k)])?;
            n += k as u64;
            return Ok(Take::First(k));
        }
        out.write_all(&c.bytes[..printable(n, &c, c.ends.len())])?;
        n += c.ends.len() as u64;
        Ok(Take::All)
    })?;
    Ok(n)
}
