//! A scap file as a stream of schema events: [`open`] → [`ScapSource`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use capture_format::HeaderInfo;
use capture_format::schema::Event;

use super::ahead::ReadAhead;
use super::block::{self, MachineInfo, SectionHeader, id, parse_block_reusing};
use super::convert::{Converter, Judge, KeepAll, Stats};
use super::reader::{BlockSource, CHUNK, ReadBlocks, Unit, sniff};
use super::{Error, ErrorKind, ParseError};

/// An open scap file, read sequentially.
///
/// Iterating yields the state records from the file's metadata blocks first (`Process`, `Fd`,
/// `Interface`, `User`, `Group`), then the converted events in file order. A block whose framing
/// is intact but whose contents are invalid is skipped and counted ([`ScapSource::corrupt`]); a
/// broken framing ends the stream with an error item. A file that ends inside a block ends the
/// stream normally after every complete block: [`ScapSource::truncation`] tells where.
pub struct ScapSource {
    path: PathBuf,
    compressed: bool,
    blocks: Box<dyn BlockSource>,
    conv: Converter,
    seen_first: bool,
    done: bool,
    truncation: Option<Error>,
    corrupt: u64,
    first_corrupt: Option<Error>,
    /// The parameter list of the last event, emptied, for the next one.
    spare: Vec<&'static [u8]>,
    /// The same for the enter of a call paired by the source.
    spare_enter: Vec<&'static [u8]>,
}

/// An emptied list whose allocation serves lists of another lifetime (an in-place collect of
/// nothing).
pub(super) fn reuse<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

/// Opens a `.scap` file, plain or gzip-compressed, and reads its metadata blocks.
pub fn open(path: impl AsRef<Path>) -> Result<ScapSource, Error> {
    open_with(path, 1)
}

/// As [`open`]; with `threads` above 1 the file is read, split and its events parsed on a
/// thread of their own, ahead of the conversion ([`ReadAhead`]).
pub fn open_with(path: impl AsRef<Path>, threads: usize) -> Result<ScapSource, Error> {
    let path = path.as_ref();
    let f = File::open(path).map_err(|e| Error {
        path: path.to_path_buf(),
        compressed: false,
        at: ParseError::new(0, ErrorKind::Io(e)),
    })?;
    open_reader_with(path, f, threads)
}

/// Whether `path` holds a scap capture: its first block (after gzip decompression, if it is
/// gzip) is a section header. For commands that take either a `.case` or a `.scap` file.
pub fn is_scap(path: impl AsRef<Path>) -> std::io::Result<bool> {
    let f = File::open(path)?;
    let mut head = [0u8; 4];
    let mut br = std::io::BufReader::new(f);
    let buf = std::io::BufRead::fill_buf(&mut br)?;
    let n = if buf.starts_with(&[0x1f, 0x8b]) {
        let mut gz = flate2::bufread::MultiGzDecoder::new(br);
        read_up_to(&mut gz, &mut head)
    } else {
        read_up_to(&mut br, &mut head)
    };
    Ok(n == 4 && u32::from_le_bytes(head) == id::SHB)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// Reads a scap stream from `r`; `name` names it in errors.
pub fn open_reader<R: Read + Send + 'static>(
    name: impl Into<PathBuf>,
    r: R,
) -> Result<ScapSource, Error> {
    open_reader_with(name, r, 1)
}

/// As [`open_reader`], reading ahead on a thread of its own when `threads` is above 1.
pub fn open_reader_with<R: Read + Send + 'static>(
    name: impl Into<PathBuf>,
    r: R,
    threads: usize,
) -> Result<ScapSource, Error> {
    open_stream(name.into(), r, (threads > 1).then_some(CHUNK))
}

/// As [`open_reader_with`] on more than one thread, reading `chunk` bytes at a time (small
/// ones put batch edges everywhere).
#[cfg(test)]
pub(super) fn open_reader_ahead<R: Read + Send + 'static>(
    name: impl Into<PathBuf>,
    r: R,
    chunk: usize,
) -> Result<ScapSource, Error> {
    open_stream(name.into(), r, Some(chunk))
}

/// A source over `r`, read ahead `chunk` bytes at a time on a thread of its own when given.
fn open_stream<R: Read + Send + 'static>(
    path: PathBuf,
    r: R,
    ahead: Option<usize>,
) -> Result<ScapSource, Error> {
    let io_error = |path: &PathBuf, e| Error {
        path: path.clone(),
        compressed: false,
        at: ParseError::new(0, ErrorKind::Io(e)),
    };
    let (bytes, compressed) = sniff(r).map_err(|e| io_error(&path, e))?;
    let blocks: Box<dyn BlockSource> = match ahead {
        Some(chunk) => Box::new(
            ReadAhead::spawn(ReadBlocks::with_chunk(bytes, chunk))
                .map_err(|e| io_error(&path, e))?,
        ),
        None => Box::new(ReadBlocks::new(bytes)),
    };
    from_blocks(path, blocks, compressed)
}

/// A source over `blocks`; reads the metadata blocks.
fn from_blocks(
    path: PathBuf,
    blocks: Box<dyn BlockSource>,
    compressed: bool,
) -> Result<ScapSource, Error> {
    let mut s = ScapSource {
        path,
        compressed,
        blocks,
        conv: Converter::new(),
        seen_first: false,
        done: false,
        truncation: None,
        corrupt: 0,
        first_corrupt: None,
        spare: Vec::new(),
        spare_enter: Vec::new(),
    };
    // Read the metadata, up to the first record of the event stream, so the header accessors
    // are filled in.
    while !s.done && !s.conv.seen_event() {
        s.pump()?;
    }
    Ok(s)
}

impl ScapSource {
    fn err(&self, error: ParseError) -> Error {
        Error {
            path: self.path.clone(),
            compressed: self.compressed,
            at: error,
        }
    }

    /// Reads and converts one block. Sets `done` at the end of the input.
    fn pump(&mut self) -> Result<(), Error> {
        self.pump_judged(&mut KeepAll)
    }

    /// Reads and converts one block, leaving out the calls `judge` says to.
    fn pump_judged(&mut self, judge: &mut dyn Judge) -> Result<(), Error> {
        let spare = reuse(std::mem::take(&mut self.spare));
        let next = match self.blocks.next_unit(spare) {
            Ok(n) => n,
            Err(e) if e.is_truncation() && self.seen_first => {
                self.truncation = Some(self.err(e));
                self.finish();
                return Ok(());
            }
            Err(e) => {
                self.finish();
                let e = if self.seen_first {
                    e
                } else {
                    // The first block is broken: say whether this is a scap file at all.
                    match e.kind {
                        ErrorKind::Truncated { available, .. } if available < 8 => {
                            ParseError::new(0, ErrorKind::TooShort { len: available })
                        }
                        ErrorKind::InvalidBlockLength { block_type, .. }
                            if block_type != id::SHB =>
                        {
                            ParseError::new(0, ErrorKind::NotScap { block_type })
                        }
                        _ => e,
                    }
                };
                return Err(self.err(e));
            }
        };
        let Some(unit) = next else {
            self.finish();
            if !self.seen_first {
                return Err(self.err(ParseError::new(0, ErrorKind::Empty)));
            }
            return Ok(());
        };
        let (offset, block_type, parsed, asked) = match unit {
            Unit::Bytes {
                offset,
                bytes,
                spare,
            } => (
                offset,
                block::peek_header(bytes).map_or(0, |h| h.0),
                parse_block_reusing(bytes, offset, spare),
                false,
            ),
            Unit::Event {
                offset,
                block_type,
                event,
                stale,
                spare,
            } => {
                self.conv.never_returned(u64::from(stale));
                // The header first: the judge may leave a switch or a sample out unseen.
                let head = event.event(spare, false);
                if self.conv.leaves_out_event(block_type, &head, judge) {
                    self.spare = reuse(head.params);
                    return Ok(());
                }
                let event = event.event(head.params, true);
                // The judge was asked already: not a second time.
                (offset, block_type, Ok(block::Block::Event(event)), true)
            }
            Unit::Enter {
                block_type,
                etype,
                stale,
                spare,
            } => {
                self.spare = reuse(spare);
                self.conv.set_up();
                self.conv.kept_enters(block_type, etype, 1);
                self.conv.never_returned(u64::from(stale));
                return Ok(());
            }
            Unit::Enters { kept, stale, spare } => {
                self.spare = reuse(spare);
                for &(block_type, etype, n) in kept {
                    self.conv.kept_enters(block_type, etype, n);
                }
                self.conv.never_returned(stale);
                return Ok(());
            }
            Unit::Call {
                block_type,
                call,
                stale,
                spare,
            } => {
                self.conv.count_event(block_type, call.etype());
                self.conv.never_returned(u64::from(stale));
                // The exit's header first: the judge may leave the call out unseen.
                let head = call.event(spare, false);
                if self.conv.leaves_out_as(&head, call.facts(), judge) {
                    self.spare = reuse(head.params);
                    return Ok(());
                }
                let x = call.event(head.params, true);
                let en = call.enter(reuse(std::mem::take(&mut self.spare_enter)));
                self.conv.call(en.as_ref(), &x);
                self.spare = reuse(x.params);
                if let Some(en) = en {
                    self.spare_enter = reuse(en.params);
                }
                return Ok(());
            }
        };
        if !self.seen_first {
            self.seen_first = true;
            if block_type != id::SHB {
                self.finish();
                return Err(self.err(ParseError::new(0, ErrorKind::NotScap { block_type })));
            }
        }
        match parsed {
            Ok(b) => {
                let judge: &mut dyn Judge = if asked { &mut KeepAll } else { judge };
                self.conv.block_judged(&b, block_type, judge);
                if let block::Block::Event(e) = b {
                    self.spare = reuse(e.params);
                }
            }
            Err(e) if offset == 0 => {
                // The section header itself is bad: this is not a file we can read.
                self.finish();
                return Err(self.err(e));
            }
            Err(e) => {
                self.corrupt += 1;
                if self.first_corrupt.is_none() {
                    self.first_corrupt = Some(self.err(e));
                }
                // Keep the block counted so per-type statistics still add up.
                self.conv.count_block(block_type);
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.conv.never_returned(self.blocks.enters_left());
            self.conv.finish();
        }
    }

    /// The file (or stream name).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The section header (format version).
    pub fn section(&self) -> Option<SectionHeader> {
        self.conv.section
    }

    /// The machine info block: host name, CPUs, memory, boot time.
    pub fn machine(&self) -> Option<&MachineInfo> {
        self.conv.machine.as_ref()
    }

    /// A casefile header describing this capture: host, boot time and CPUs from the machine
    /// info block, the first event's time as the creation time (0 before any event was read),
    /// and the scap version and file name as the source.
    pub fn header_info(&self) -> HeaderInfo {
        let machine = self.machine();
        let version = self
            .section()
            .map_or_else(String::new, |s| format!("{}.{}", s.major, s.minor));
        HeaderInfo {
            created_ns: self.conv.first_ts(),
            hostname: machine.map(|m| m.hostname.clone()).unwrap_or_default(),
            boot_ns: machine.map_or(0, |m| m.boot_ts),
            cpus: machine.map_or(0, |m| m.num_cpus),
            recorder: "sysdig/libscap".to_string(),
            source: format!(
                "scap {version}{}: {}",
                if self.compressed { " gzip" } else { "" },
                self.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ),
            ..HeaderInfo::default()
        }
    }

    /// A keyframe: the state (processes, fds, users, groups, interfaces, containers) after the
    /// records returned so far, stamped `ts`. `None` while records of the last block read are
    /// still waiting to be returned (the state would be ahead of them).
    pub fn snapshot(&self, ts: u64) -> Option<Vec<Event<'static>>> {
        (!self.conv.has_output()).then(|| self.conv.snapshot(ts))
    }

    /// Counts so far: blocks and events by type, records produced, events skipped by type.
    pub fn stats(&mut self) -> Stats {
        self.conv.fold_counts();
        self.conv.stats.clone()
    }

    /// Where the file ended inside a block, if it did.
    pub fn truncation(&self) -> Option<&Error> {
        self.truncation.as_ref()
    }

    /// How many blocks were skipped because their contents were invalid, and the first error.
    pub fn corrupt(&self) -> (u64, Option<&Error>) {
        (self.corrupt, self.first_corrupt.as_ref())
    }
}

impl ScapSource {
    /// The next record, as [`Iterator::next`], leaving out the calls `judge` says to (see
    /// [`super::convert::Probe`]): those give no record, and the judge counts them.
    pub fn next_judged(&mut self, judge: &mut dyn Judge) -> Option<Result<Event<'static>, Error>> {
        loop {
            if let Some(ev) = self.conv.pop() {
                return Some(Ok(ev));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.pump_judged(judge) {
                return Some(Err(e));
            }
        }
    }
}

impl Iterator for ScapSource {
    type Item = Result<Event<'static>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_judged(&mut KeepAll)
    }
}
