//! Reading ahead on a thread of its own: the stream is read and split into blocks there, its
//! event blocks parsed and each system call's enter event paired with its exit, a batch of
//! about a MiB at a time, while the caller converts the batch before. The batches travel
//! whole (the buffer the blocks were read into, no copy of them) and come back to be filled
//! again.
//!
//! What the caller sees is what [`ReadBlocks`] and the converter give on one thread: the same
//! blocks, events, records, counts and errors at the same offsets.
//! - A block that is not an event (or does not parse as one) is handed over as bytes and
//!   parsed again by the caller, so errors are made in one place. So is the first block, which
//!   tells whether this is a scap file at all.
//! - Enter events are kept here, in the converter's own [`Pairs`], until their exit: the caller
//!   gets each exit with its enter, and counts the enters kept once per batch. The first event
//!   of a file goes over on its own (the converter sets itself up then), as do calls that
//!   never return and `procexit` (which forgets its thread's enter).
//! - An event the caller's judge leaves out (a call, a switch, a sample) costs it the header
//!   only: parameters are cut from the batch when the event is converted.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::ParseError;
use super::block::{
    Block, id, is_event_block, parse_block_reusing, parse_event_block_into, peek_header,
};
use super::convert::{Facts, Pairs, TypeFacts};
use super::event::{self, ParamSink, RawEvent, ec};
use super::event_table::{EVENT_MAX, EVENTS};
use super::reader::{BlockSource, Bytes, Framed, ReadBlocks, Unit};
use super::{ErrorKind, source::reuse};

/// Batches on their way to the caller, at most: with the one being filled and the one being
/// converted, a few MiB of the file in memory.
const IN_FLIGHT: usize = 2;

/// The largest buffer kept from one batch for the next; one a huge block (a process list of
/// many MiB) grew is dropped once its batch is converted.
const KEPT_BUFFER: usize = 4 << 20;

/// Blocks read on another thread, in file order.
pub struct ReadAhead {
    batches: Receiver<Batch>,
    /// Batches converted, back to the reading thread.
    recycle: Sender<Batch>,
    cur: Batch,
    /// The next block of `cur`.
    next: usize,
    /// Offset after the last block handed out (for an error of the thread itself).
    offset: u64,
    done: bool,
    /// Enter events still waiting at the end.
    left: u64,
    /// Whether the kept enters of `cur` are still to be handed out (after its blocks).
    kept_pending: bool,
}

/// Blocks read into one buffer.
#[derive(Default)]
pub struct Batch {
    buf: Vec<u8>,
    blocks: Vec<Item>,
    /// Parameters of the parsed events: start in `buf` and length.
    spans: Vec<(u32, u32)>,
    /// Parameters of the enter events paired with exits of this batch, back to back.
    enters: Vec<u8>,
    /// Their starts in `enters` and lengths.
    enter_spans: Vec<(u32, u32)>,
    /// Enter events kept for their exits, not handed out one by one: how many of each block
    /// and event type.
    kept: Vec<(u32, u16, u64)>,
    /// How many of them replaced an enter whose exit never came.
    kept_stale: u64,
    /// After the last block: `None` while batches follow, then the end of the stream or the
    /// error that ended it, with the enters still waiting then (calls that never returned).
    end: Option<(Result<(), ParseError>, u64)>,
}

/// One block of a batch.
#[derive(Clone, Copy)]
struct Item {
    offset: u64,
    at: u32,
    len: u32,
    block_type: u32,
    kind: Kind,
    /// Pairing found an enter of the thread waiting for an exit that never came.
    stale: bool,
}

#[derive(Clone, Copy)]
enum Kind {
    /// Bytes for the caller to parse.
    Bytes,
    /// An event for the caller to convert.
    Event(Head),
    /// An enter event kept for its exit, the first event of a file: the converter sets
    /// itself up at its first event.
    Enter(u16),
    /// An exit, with its enter when it had one, and the facts of its type.
    Call(Head, Option<EnterHead>, TypeFacts),
}

/// A parsed event, its parameters in the batch's `spans`.
#[derive(Clone, Copy)]
struct Head {
    ts: u64,
    tid: u64,
    etype: u16,
    cpu: u16,
    dump_flags: u32,
    first: u32,
    params: u32,
}

/// A paired enter event, its parameters in the batch's `enter_spans`.
#[derive(Clone, Copy)]
struct EnterHead {
    ts: u64,
    etype: u16,
    first: u32,
    params: u32,
}

/// An event, and for an exit its enter, cut from their batch on demand.
pub struct Parsed<'a> {
    batch: &'a Batch,
    head: Head,
    enter: Option<EnterHead>,
    facts: TypeFacts,
}

impl<'a> Parsed<'a> {
    /// The event's type.
    pub fn etype(&self) -> u16 {
        self.head.etype
    }

    /// The facts of an exit's type.
    pub fn facts(&self) -> TypeFacts {
        self.facts
    }

    /// The event, with its parameters (into `params`, an empty list) when `all`.
    pub fn event(&self, mut params: Vec<&'a [u8]>, all: bool) -> RawEvent<'a> {
        params.clear();
        if all {
            params.extend(cut(self.head.of(&self.batch.spans), &self.batch.buf));
        }
        self.head.event(params)
    }

    /// The enter event, its parameters into `params` (an empty list), as the converter makes
    /// it from the enter it kept: the exit's thread and CPU.
    pub fn enter(&self, mut params: Vec<&'a [u8]>) -> Option<RawEvent<'a>> {
        let en = self.enter?;
        let spans = &self.batch.enter_spans[en.first as usize..(en.first + en.params) as usize];
        params.clear();
        params.extend(cut(spans, &self.batch.enters));
        Some(RawEvent {
            ts: en.ts,
            tid: self.head.tid,
            etype: en.etype,
            cpu: self.head.cpu,
            dump_flags: 0,
            params,
        })
    }
}

impl ReadAhead {
    /// Starts a thread that reads `blocks`.
    pub fn spawn(blocks: ReadBlocks<Bytes>) -> std::io::Result<ReadAhead> {
        let (tx, batches) = sync_channel(IN_FLIGHT);
        let (recycle, back) = channel();
        std::thread::Builder::new()
            .name("scap-read".into())
            .spawn(move || Reader::new(blocks).run(&tx, &back))?;
        Ok(ReadAhead {
            batches,
            recycle,
            cur: Batch::default(),
            next: 0,
            offset: 0,
            done: false,
            left: 0,
            kept_pending: false,
        })
    }

    /// The next step through the batches.
    fn advance(&mut self) -> Result<Step, ParseError> {
        loop {
            if let Some(item) = self.cur.blocks.get(self.next) {
                self.next += 1;
                self.offset = item.offset + u64::from(item.len);
                return Ok(Step::Block(self.next - 1));
            }
            if std::mem::take(&mut self.kept_pending) {
                return Ok(Step::Kept);
            }
            if self.done {
                return Ok(Step::End);
            }
            if let Some((end, waiting)) = self.cur.end.take() {
                self.done = true;
                self.left = waiting;
                return end.map(|()| Step::End);
            }
            let Ok(b) = self.batches.recv() else {
                // Only a panic ends the thread before it sent the end.
                self.done = true;
                return Err(ParseError::new(
                    self.offset,
                    ErrorKind::Io(std::io::Error::other("the reading thread stopped")),
                ));
            };
            let used = std::mem::replace(&mut self.cur, b);
            // The thread may have ended: then the buffer is simply dropped.
            let _ = self.recycle.send(used);
            self.next = 0;
            self.kept_pending = !self.cur.kept.is_empty();
        }
    }
}

/// A step of [`ReadAhead::advance`].
enum Step {
    /// The block at this index of the batch.
    Block(usize),
    /// The batch's kept enters, after its blocks.
    Kept,
    /// The end of the stream.
    End,
}

impl BlockSource for ReadAhead {
    fn next_block(&mut self) -> Result<Option<(u64, &[u8])>, ParseError> {
        let i = loop {
            match self.advance()? {
                Step::Block(i) => break i,
                Step::Kept => {}
                Step::End => return Ok(None),
            }
        };
        let item = self.cur.blocks[i];
        let at = item.at as usize;
        Ok(Some((
            item.offset,
            &self.cur.buf[at..at + item.len as usize],
        )))
    }

    fn next_unit<'a>(&'a mut self, spare: Vec<&'a [u8]>) -> Result<Option<Unit<'a>>, ParseError> {
        let i = match self.advance()? {
            Step::Block(i) => i,
            // After the batch's last block: its enters are counted at once.
            Step::Kept => {
                return Ok(Some(Unit::Enters {
                    kept: &self.cur.kept,
                    stale: self.cur.kept_stale,
                    spare,
                }));
            }
            Step::End => return Ok(None),
        };
        let item = self.cur.blocks[i];
        let batch = &self.cur;
        let (block_type, stale) = (item.block_type, item.stale);
        Ok(Some(match item.kind {
            Kind::Bytes => {
                let at = item.at as usize;
                Unit::Bytes {
                    offset: item.offset,
                    bytes: &batch.buf[at..at + item.len as usize],
                    spare,
                }
            }
            Kind::Event(head) => Unit::Event {
                offset: item.offset,
                block_type,
                event: Parsed {
                    batch,
                    head,
                    enter: None,
                    facts: TypeFacts::default(),
                },
                stale,
                spare,
            },
            Kind::Enter(etype) => Unit::Enter {
                block_type,
                etype,
                stale,
                spare,
            },
            Kind::Call(head, enter, facts) => Unit::Call {
                block_type,
                call: Parsed {
                    batch,
                    head,
                    enter,
                    facts,
                },
                stale,
                spare,
            },
        }))
    }

    fn enters_left(&self) -> u64 {
        self.left
    }
}

/// The reading thread's side.
struct Reader {
    blocks: ReadBlocks<Bytes>,
    /// Blocks framed so far.
    framed: u64,
    fill: Filling,
}

/// The batch being filled, and what pairing keeps.
#[derive(Default)]
struct Filling {
    batch: Batch,
    pairs: Pairs,
    facts: Facts,
    /// A parameter list, emptied, for the next generic enter.
    spare: Vec<&'static [u8]>,
    /// Whether no event of the file was handed out yet.
    before_events: bool,
}

impl Reader {
    fn new(blocks: ReadBlocks<Bytes>) -> Reader {
        Reader {
            blocks,
            framed: 0,
            fill: Filling {
                before_events: true,
                ..Filling::default()
            },
        }
    }

    /// Fills batches until the stream ends, an error ends it, or the caller is gone.
    fn run(mut self, tx: &SyncSender<Batch>, back: &Receiver<Batch>) {
        let end = loop {
            match self.blocks.frame() {
                Ok(Framed::Block { at, len }) => self.block(at, len),
                Ok(Framed::Need(n)) => {
                    // The blocks framed so far go before the buffer would move the bytes not
                    // yet framed to its start.
                    if self.blocks.moves(n) && !self.ship(tx, back) {
                        return;
                    }
                    match self.blocks.read_more(n) {
                        Ok(true) => {}
                        Ok(false) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                }
                Err(e) => break Err(e),
            }
        };
        // The converter counts the enters still waiting at the end as calls that never
        // returned.
        self.fill.batch.end = Some((end, self.fill.pairs.clear() as u64));
        self.ship(tx, back);
    }

    /// Adds the block at `buf[at..at + len]` to the batch, parsed and paired when it is an
    /// event.
    fn block(&mut self, at: usize, len: usize) {
        let offset = self.blocks.advance(len);
        let first = self.framed == 0;
        self.framed += 1;
        let buf = self.blocks.buffer();
        let bytes = &buf[at..at + len];
        let block_type = peek_header(bytes).map_or(0, |h| h.0);
        let mut item = Item {
            offset,
            at: at as u32,
            len: len as u32,
            block_type,
            kind: Kind::Bytes,
            stale: false,
        };
        if first {
            // Whether this is a scap file at all is the caller's to say.
        } else if is_event_block(block_type) {
            let spans = &mut self.fill.batch.spans;
            let first = spans.len();
            let mut sink = Spans {
                base: buf.as_ptr() as usize,
                spans,
            };
            match parse_event_block_into(bytes, offset, &mut sink) {
                Ok(Some(h)) if usize::from(h.etype) < EVENT_MAX => {
                    let head = Head {
                        ts: h.ts,
                        tid: h.tid,
                        etype: h.etype,
                        cpu: h.cpu,
                        dump_flags: h.dump_flags,
                        first: first as u32,
                        params: (self.fill.batch.spans.len() - first) as u32,
                    };
                    match self.fill.pair(head, buf, block_type) {
                        Some(kind) => (item.kind, item.stale) = kind,
                        // Kept for its exit, counted in the batch.
                        None => return,
                    }
                }
                // Parsed again by the caller, who makes the error or skips the type.
                _ => self.fill.batch.spans.truncate(first),
            }
        } else if block_type == id::SHB
            && let Ok(Block::Section(_)) = parse_block_reusing(bytes, offset, Vec::new())
        {
            // An appended file: the converter forgets the enters waiting, without counting
            // them, and sets itself up again at the file's first event.
            self.fill.pairs.clear();
            self.fill.before_events = true;
        }
        self.fill.batch.blocks.push(item);
    }

    /// Sends the batch with the buffer its blocks are in, and starts the next one in a batch
    /// the caller is done with. Whether the caller is still there.
    fn ship(&mut self, tx: &SyncSender<Batch>, back: &Receiver<Batch>) -> bool {
        let mut next = back.try_recv().unwrap_or_default();
        next.blocks.clear();
        next.spans.clear();
        next.enters.clear();
        next.enter_spans.clear();
        next.kept.clear();
        next.kept_stale = 0;
        next.end = None;
        if next.buf.len() > KEPT_BUFFER {
            // A buffer a huge block grew is not kept for the blocks after it.
            next.buf = Vec::new();
        }
        let batch = &mut self.fill.batch;
        batch.buf = self.blocks.swap_buffer(std::mem::take(&mut next.buf));
        tx.send(std::mem::replace(batch, next)).is_ok()
    }
}

/// The bytes of `spans` (start, length) of `buf`.
fn cut<'b>(spans: &[(u32, u32)], buf: &'b [u8]) -> impl Iterator<Item = &'b [u8]> {
    spans
        .iter()
        .map(move |&(s, l)| &buf[s as usize..(s + l) as usize])
}

/// Parameters as spans of the buffer at `base`.
struct Spans<'s> {
    base: usize,
    spans: &'s mut Vec<(u32, u32)>,
}

impl<'a> ParamSink<'a> for Spans<'_> {
    fn push(&mut self, p: &'a [u8]) {
        // Blocks are at most 512 MiB, their buffer a chunk more.
        let start = p.as_ptr() as usize - self.base;
        self.spans.push((start as u32, p.len() as u32));
    }
}

impl Head {
    /// The event, with `params`.
    fn event<'b>(&self, params: Vec<&'b [u8]>) -> RawEvent<'b> {
        RawEvent {
            ts: self.ts,
            tid: self.tid,
            etype: self.etype,
            cpu: self.cpu,
            dump_flags: self.dump_flags,
            params,
        }
    }

    /// Its parameters' spans in `spans`.
    fn of<'s>(&self, spans: &'s [(u32, u32)]) -> &'s [(u32, u32)] {
        &spans[self.first as usize..(self.first + self.params) as usize]
    }
}

impl Filling {
    /// What the caller gets for event `h` (its parameters in `buf`): enter and exit events
    /// paired as the converter pairs them (`Converter::enter`, `exit`, `procexit`), and
    /// whether an enter was stale.
    fn pair(&mut self, h: Head, buf: &[u8], block_type: u32) -> Option<(Kind, bool)> {
        let info = &EVENTS[usize::from(h.etype)];
        if info.category & ec::SYSCALL == 0 {
            if info.name == "procexit" {
                self.pairs.forget(h.tid);
            }
            self.before_events = false;
            return Some((Kind::Event(h), false));
        }
        // The facts of a generic event's call need its parameters.
        let mut params = reuse(std::mem::take(&mut self.spare));
        if h.etype <= 1 {
            params.extend(cut(h.of(&self.batch.spans), buf));
        }
        let e = h.event(params);
        let facts = self.facts.of(&e);
        self.spare = reuse(e.params);
        if event::is_enter(h.etype) {
            if facts.never_returns {
                // Converted from the enter, by the caller.
                let stale = self.pairs.forget(h.tid);
                self.before_events = false;
                return Some((Kind::Event(h), stale));
            }
            let params = cut(h.of(&self.batch.spans), buf);
            let stale = self.pairs.store((h.tid, h.etype, h.ts), params);
            // Its parameters are in the pairs now.
            self.batch.spans.truncate(h.first as usize);
            if std::mem::take(&mut self.before_events) {
                return Some((Kind::Enter(h.etype), stale));
            }
            self.batch.kept_stale += u64::from(stale);
            match self.batch.kept.last_mut() {
                Some((b, e, n)) if *b == block_type && *e == h.etype => *n += 1,
                _ => match self
                    .batch
                    .kept
                    .iter_mut()
                    .find(|(b, e, _)| *b == block_type && *e == h.etype)
                {
                    Some((_, _, n)) => *n += 1,
                    None => self.batch.kept.push((block_type, h.etype, 1)),
                },
            }
            return None;
        }
        self.before_events = false;
        let (slot, stale) = self.pairs.take(h.tid, h.etype);
        let enter = slot.map(|slot| {
            let en = self.pairs.get(slot);
            let b = &mut self.batch;
            let first = b.enter_spans.len() as u32;
            for p in en.params() {
                b.enter_spans.push((b.enters.len() as u32, p.len() as u32));
                b.enters.extend_from_slice(p);
            }
            let head = EnterHead {
                ts: en.ts,
                etype: en.etype,
                first,
                params: b.enter_spans.len() as u32 - first,
            };
            self.pairs.release(slot);
            head
        });
        Some((Kind::Call(h, enter, facts), stale))
    }
}
