//! Merging captures of several hosts into one timeline.
//!
//! Each input becomes one source host of the output (its index is the input's position), and
//! the header lists them ([`HostInfo`]). Every record of host `h` is rewritten on its way
//! through:
//!
//! - its container index becomes `with_host(h, local)`, so containers (and the users and
//!   groups that belong to them) of different hosts stay distinct, and `host_of` names the
//!   host of every event;
//! - its times (the event time, process start times, container start and exit times, loss
//!   intervals) get the host's clock correction added ([`super::clock`]).
//!
//! The output starts with one state block that holds every input's snapshot. The merge itself
//! is a k-way merge by time over the inputs' event blocks: each input holds one decoded block
//! at a time, so memory stays bounded whatever the sizes. The inputs' own keyframes are not
//! copied (they sit at unrelated places of the merged timeline); instead the merge keeps each
//! host's replay state current and, whenever the writer asks for a keyframe, writes the state
//! of every host as one merged state block, so replay can start anywhere in the output.
//!
//! Host boot times in the output header are corrected like the event times, so an event's
//! time minus its host's boot time is still that host's uptime.

use std::io::{self, Write};

use capture_format::schema::{Body, Event, host_of, with_host};
use capture_format::{BlockType, CaptureFile, HeaderInfo, HostInfo, Writer};

use super::clock::{self, Calls, Connections, Correction};
use crate::replay::state::State;

/// One host's capture to merge: one file, or the pieces of one rotated recording.
pub struct Input {
    /// The opened captures, in time order (never empty).
    pub pieces: Vec<CaptureFile>,
    /// Where it came from (recorded in the header).
    pub source: String,
}

impl Input {
    /// The first piece, whose header describes the recording.
    pub fn first(&self) -> &CaptureFile {
        &self.pieces[0]
    }
}

/// The recording a capture belongs to: the files of one `record --rotate-size` run share
/// their machine, boot and creation time. `None` when the header cannot tell.
fn recording_of(cap: &CaptureFile) -> Option<(String, String, u64, u64)> {
    let i = &cap.header().info;
    (i.created_ns != 0 && i.hosts.is_empty() && !(i.machine_id.is_empty() && i.hostname.is_empty()))
        .then(|| {
            (
                i.machine_id.clone(),
                i.hostname.clone(),
                i.boot_ns,
                i.created_ns,
            )
        })
}

fn first_event_ts(cap: &CaptureFile) -> u64 {
    cap.time_range().map_or(u64::MAX, |r| r.0)
}

/// Whether `cap` can join `pieces` as a further piece of their recording: pieces of a
/// rotation never overlap in time (a copy of a file, say, does and stays a host of its own).
fn continues(pieces: &[(CaptureFile, String)], cap: &CaptureFile) -> bool {
    let Some((a0, a1)) = cap.time_range() else {
        return true;
    };
    pieces
        .iter()
        .filter_map(|(p, _)| p.time_range())
        .all(|(b0, b1)| a1 < b0 || b1 < a0)
}

/// Groups opened captures into inputs: files of the same recording (the pieces of a rotated
/// one) become one input with its pieces in time order; every other file is an input of its
/// own. Inputs keep the order of their first file.
pub fn group(files: Vec<(CaptureFile, String)>) -> Vec<Input> {
    type Key = Option<(String, String, u64, u64)>;
    let mut groups: Vec<(Key, Vec<(CaptureFile, String)>)> = Vec::new();
    for (cap, source) in files {
        let key = recording_of(&cap);
        let joins = |(k, pieces): &&mut (Key, Vec<(CaptureFile, String)>)| {
            key.is_some() && *k == key && continues(pieces, &cap)
        };
        match groups.iter_mut().find(joins) {
            Some((_, pieces)) => pieces.push((cap, source)),
            None => groups.push((key, vec![(cap, source)])),
        }
    }
    groups
        .into_iter()
        .map(|(_, mut pieces)| {
            pieces.sort_by_key(|(cap, _)| first_event_ts(cap));
            let (pieces, sources): (Vec<_>, Vec<_>) = pieces.into_iter().unzip();
            Input {
                pieces,
                source: sources.join(" + "),
            }
        })
        .collect()
}

/// Errors of a merge.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// An input could not be read.
    #[error(transparent)]
    Capture(#[from] capture_format::Error),
    /// An input is itself a merged capture.
    #[error(
        "{source_name} is already a merged capture ({hosts} hosts); merge the original captures"
    )]
    AlreadyMerged {
        /// The input.
        source_name: String,
        /// Its hosts.
        hosts: usize,
    },
    /// More inputs than host indices.
    #[error("{count} inputs: a merged capture holds at most 256 hosts")]
    TooMany {
        /// Inputs given.
        count: usize,
    },
    /// Nothing to merge.
    #[error("no input captures")]
    NoInput,
    /// Writing the output failed.
    #[error("writing the merged capture: {0}")]
    Write(#[from] io::Error),
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Events written.
    pub events: u64,
    /// Events per host.
    pub per_host: Vec<u64>,
    /// Merged keyframes written (the initial snapshot excluded).
    pub keyframes: u64,
    /// Damaged input blocks skipped.
    pub damaged_blocks: u64,
    /// The damaged input blocks, each once (file and offset), for the caller to name.
    pub damage: crate::replay::session::Damage,
    /// Events of an input that came earlier than the one before them in the same input.
    pub out_of_order: u64,
}

fn shift(t: u64, off: i64) -> u64 {
    if t == 0 {
        return 0;
    }
    t.saturating_add_signed(off)
}

/// Rewrites a record of host `host` for the merged capture.
pub fn adjust(ev: &mut Event<'_>, host: u8, offset: i64) {
    ev.ts = shift(ev.ts, offset);
    ev.container = with_host(host, ev.container);
    match &mut ev.body {
        Body::Exec(p) | Body::Process(p) => p.start_ts = shift(p.start_ts, offset),
        Body::Container(c) => {
            c.start_ts = shift(c.start_ts, offset);
            c.exit_ts = shift(c.exit_ts, offset);
        }
        Body::Loss(l) => {
            l.from = shift(l.from, offset);
            l.to = shift(l.to, offset);
        }
        Body::User(u) => u.container = with_host(host, u.container),
        Body::Group(g) => g.container = with_host(host, g.container),
        _ => {}
    }
}

/// Reads every input's TCP connects and accepts (only blocks whose summary holds such calls
/// are decoded) and estimates the clock corrections; returns the host table of the output.
pub fn plan(inputs: &[Input]) -> Result<Vec<HostInfo>, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError::NoInput);
    }
    if inputs.len() > 256 {
        return Err(MergeError::TooMany {
            count: inputs.len(),
        });
    }
    let calls = Calls::new();
    let mut conns = Vec::with_capacity(inputs.len());
    let mut names = Vec::with_capacity(inputs.len());
    for input in inputs {
        let info = &input.first().header().info;
        if !info.hosts.is_empty() {
            return Err(MergeError::AlreadyMerged {
                source_name: input.source.clone(),
                hosts: info.hosts.len(),
            });
        }
        let mut name = if info.hostname.is_empty() {
            input.source.clone()
        } else {
            info.hostname.clone()
        };
        // Host names tell hosts apart in filters and views: a second capture of a host of the
        // same name (a copy, another boot) becomes `name#index`.
        if names.contains(&name) {
            name = format!("{name}#{}", names.len());
        }
        names.push(name);
        let mut c = Connections::default();
        for cap in &input.pieces {
            for i in 0..cap.blocks().len() {
                if cap.blocks()[i].block_type != BlockType::Events {
                    continue;
                }
                let Ok(h) = cap.block_header(i) else { continue };
                if !calls.all().iter().any(|&nr| h.summary.has_syscall(nr)) {
                    continue;
                }
                let Ok(b) = cap.read_block(i) else { continue };
                for ev in b.events()?.flatten() {
                    c.note(calls, &ev);
                }
            }
        }
        conns.push(c);
    }
    let corr = clock::estimate(&conns, &names);
    Ok(inputs
        .iter()
        .zip(corr)
        .zip(names)
        .enumerate()
        .map(|(i, ((input, c), name))| host_info(i as u8, input, &c, name))
        .collect())
}

fn host_info(index: u8, input: &Input, c: &Correction, hostname: String) -> HostInfo {
    let info = &input.first().header().info;
    HostInfo {
        index,
        hostname,
        kernel: info.kernel.clone(),
        boot_ns: shift(info.boot_ns, c.offset_ns),
        machine_id: info.machine_id.clone(),
        offset_ns: c.offset_ns,
        offset_basis: c.basis.clone(),
        source: input.source.clone(),
    }
}

/// The output header for `hosts`. One host (the pieces of one recording) keeps its own
/// header: the output is a capture of one host, as if never rotated.
pub fn header(inputs: &[Input], hosts: &[HostInfo], created_ns: u64) -> HeaderInfo {
    if let [input] = inputs {
        let mut info = input.first().header().info.clone();
        if input.pieces.len() > 1 {
            info.source = format!(
                "{} ({} files: {})",
                info.source,
                input.pieces.len(),
                input.source
            );
        }
        return info;
    }
    let infos: Vec<&HeaderInfo> = inputs.iter().map(|i| &i.first().header().info).collect();
    let kernel = match infos.first() {
        Some(f) if infos.iter().all(|i| i.kernel == f.kernel) => f.kernel.clone(),
        _ => String::new(),
    };
    let redacted: Vec<String> = infos
        .iter()
        .zip(hosts)
        .filter(|(i, _)| !i.redacted.is_empty())
        .map(|(i, h)| format!("{}: {}", h.hostname, i.redacted))
        .collect();
    HeaderInfo {
        created_ns,
        hostname: hosts
            .iter()
            .map(|h| h.hostname.as_str())
            .collect::<Vec<_>>()
            .join(","),
        kernel,
        boot_ns: hosts.first().map_or(0, |h| h.boot_ns),
        cpus: infos.iter().map(|i| i.cpus).max().unwrap_or(0),
        recorder: format!("casefile {} merge", env!("CARGO_PKG_VERSION")),
        source: format!("merge of {} captures", inputs.len()),
        snaplen: infos.iter().map(|i| i.snaplen).max().unwrap_or(0),
        redacted: redacted.join("; "),
        hosts: hosts.to_vec(),
        ..HeaderInfo::default()
    }
}

/// One input's position in the merge: the rest of its current block, in reverse order.
struct Cursor<'a> {
    pieces: &'a [CaptureFile],
    piece: usize,
    host: u8,
    offset: i64,
    next_block: usize,
    pending: Vec<Event<'static>>,
    last_ts: u64,
}

impl Cursor<'_> {
    /// The next event's time, decoding the next event block when the current one is used up.
    /// Later pieces' state blocks are passed over like keyframes: the replay state carried
    /// from the earlier pieces already holds what they repeat.
    fn head(&mut self, stats: &mut MergeStats) -> Option<u64> {
        while self.pending.is_empty() {
            let cap = self.pieces.get(self.piece)?;
            let Some(e) = cap.blocks().get(self.next_block).copied() else {
                self.piece += 1;
                self.next_block = 0;
                continue;
            };
            self.next_block += 1;
            if e.block_type != BlockType::Events {
                continue;
            }
            // A damaged block is skipped (its events up to the damage kept), as replay does.
            let mut damaged = |e| {
                stats.damaged_blocks += 1;
                stats.damage.note(e);
            };
            let b = match cap.read_block(self.next_block - 1) {
                Ok(b) => b,
                Err(e) => {
                    damaged(e);
                    continue;
                }
            };
            let mut v = Vec::with_capacity(b.header.count as usize);
            match b.events() {
                Ok(events) => {
                    for ev in events {
                        match ev {
                            Ok(ev) => {
                                let mut ev = ev.into_owned();
                                adjust(&mut ev, self.host, self.offset);
                                v.push(ev);
                            }
                            Err(e) => {
                                damaged(e);
                                break;
                            }
                        }
                    }
                }
                Err(e) => damaged(e),
            }
            v.reverse();
            self.pending = v;
        }
        self.pending.last().map(|e| e.ts)
    }
}

/// Writes the merged capture of `inputs` with the host table `hosts` (from [`plan`]) through
/// `w`; the caller finishes the writer.
pub fn merge<W: Write>(
    inputs: &[Input],
    hosts: &[HostInfo],
    w: &mut Writer<W>,
) -> Result<MergeStats, MergeError> {
    let mut stats = MergeStats {
        per_host: vec![0; inputs.len()],
        ..MergeStats::default()
    };
    // Per-host replay state, for keyframes.
    let mut states: Vec<State> = (0..inputs.len()).map(|_| State::default()).collect();
    let mut cursors = Vec::with_capacity(inputs.len());
    let mut snapshot = Vec::new();
    for (i, (input, h)) in inputs.iter().zip(hosts).enumerate() {
        let cap = input.first();
        // The snapshot: the state blocks before the first event block.
        for (k, e) in cap.blocks().iter().enumerate() {
            if e.block_type == BlockType::Events {
                break;
            }
            if e.block_type != BlockType::State {
                continue;
            }
            let b = cap.read_block(k)?;
            for ev in b.events()? {
                let mut ev = ev?.into_owned();
                adjust(&mut ev, h.index, h.offset_ns);
                let d = states[i].apply_before(&ev);
                states[i].apply_after(d);
                snapshot.push(ev);
            }
        }
        cursors.push(Cursor {
            pieces: &input.pieces,
            piece: 0,
            host: h.index,
            offset: h.offset_ns,
            next_block: 0,
            pending: Vec::new(),
            last_ts: 0,
        });
    }
    if !snapshot.is_empty() {
        w.write_state(&snapshot)?;
    }
    drop(snapshot);
    let mut heads: Vec<Option<u64>> = Vec::with_capacity(cursors.len());
    for c in &mut cursors {
        heads.push(c.head(&mut stats));
    }
    loop {
        // The input whose next event is earliest (the first input on ties).
        let mut best: Option<(u64, usize)> = None;
        for (i, h) in heads.iter().enumerate() {
            if let Some(t) = *h
                && best.is_none_or(|(bt, _)| t < bt)
            {
                best = Some((t, i));
            }
        }
        let Some((_, i)) = best else { break };
        let c = &mut cursors[i];
        let Some(ev) = c.pending.pop() else { break };
        if ev.ts < c.last_ts {
            stats.out_of_order += 1;
        }
        c.last_ts = ev.ts;
        let host = host_of(ev.container) as usize;
        if let Some(s) = states.get_mut(host) {
            let d = s.apply_before(&ev);
            s.apply_after(d);
        }
        w.append(&ev)?;
        stats.events += 1;
        stats.per_host[i] += 1;
        if w.needs_keyframe() {
            let mut records = Vec::new();
            for s in &states {
                records.extend(s.to_records(ev.ts));
            }
            w.write_state(&records)?;
            stats.keyframes += 1;
        }
        heads[i] = cursors[i].head(&mut stats);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use capture_format::{CaptureFile, Writer, WriterOptions};

    use super::*;
    use crate::filter::compile;
    use crate::output::{Format, Sink, TextSink};
    use crate::replay::fields::Fields;
    use crate::replay::render::BufMode;
    use crate::replay::session::{Flow, Options, ReplayError, Session};
    use crate::replay::testutil::synth_fixture;

    const FMT: &str = "*%evt.rawtime %host.index %host.name %proc.name %proc.pname \
                       %container.name %user.name %fd.name %evt.info";

    fn replay(cap: CaptureFile, filter: Option<&str>, from: Option<u64>) -> Vec<String> {
        let mut s = Session::new(
            cap,
            Options {
                from,
                ..Options::default()
            },
        )
        .expect("session");
        let f = filter.map(|t| compile(t, &Fields).expect("filter"));
        let mut out = Vec::new();
        {
            let mut sink = TextSink::new(
                &mut out,
                Format::parse(FMT).expect("format"),
                BufMode::Dotted,
            );
            s.run(f.as_ref(), |ctx| -> Result<Flow, ReplayError> {
                sink.event(ctx).expect("write");
                Ok(Flow::Continue)
            })
            .expect("run");
        }
        String::from_utf8(out)
            .expect("utf8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn input(path: &Path, name: &str) -> Input {
        Input {
            pieces: vec![CaptureFile::read(path).expect("open")],
            source: name.into(),
        }
    }

    /// The same capture merged with itself: two hosts with the same pids and containers.
    /// Each host's events replay exactly as the original does, and replay that starts at a
    /// merged keyframe sees what replay from the start sees.
    #[test]
    fn hosts_with_the_same_pids_replay_as_their_originals_and_keyframes_hold() {
        let fx = synth_fixture();
        let inputs = vec![input(&fx, "x.case"), input(&fx, "y.case")];
        let mut hosts = plan(&inputs).expect("plan");
        hosts[1].hostname = "other".into();
        // Same clock: the lines compare with the original's times.
        hosts[1].offset_ns = 0;
        let opts = WriterOptions {
            block_bytes: 4096,
            keyframe_every: 8,
            ..WriterOptions::default()
        };
        let info = header(&inputs, &hosts, 1);
        let mut w = Writer::new(Vec::new(), &info, opts).expect("writer");
        let stats = merge(&inputs, &hosts, &mut w).expect("merge");
        let merged = CaptureFile::from_bytes(w.finish().expect("finish")).expect("open merged");
        assert_eq!(stats.events, 12_000);
        assert_eq!(stats.per_host, [6000, 6000]);
        assert!(stats.keyframes > 5, "{stats:?}");
        assert_eq!(merged.header().info.hosts.len(), 2);

        // The original, as host 0 and host 1 would print it.
        let orig = replay(CaptureFile::read(&fx).expect("open"), None, None);
        let strip = |l: &str, prefix: &str| l.strip_prefix(prefix).map(str::to_owned);
        let want: Vec<String> = orig
            .iter()
            .map(|l| {
                let (t, rest) = l.split_once(' ').expect("time");
                // Single-host: host.index 0, host.name from the header.
                let rest = rest.split_once(' ').expect("index").1;
                let rest = rest.split_once(' ').expect("name").1;
                format!("{t} {rest}")
            })
            .collect();
        let bytes = merged.bytes().to_vec();
        let reopen = || CaptureFile::from_bytes(bytes.clone()).expect("reopen");
        let all = replay(reopen(), None, None);
        for (h, name) in [(0, hosts[0].hostname.as_str()), (1, "other")] {
            let got: Vec<String> = all
                .iter()
                .filter_map(|l| {
                    let (t, rest) = l.split_once(' ')?;
                    strip(rest, &format!("{h} {name} ")).map(|r| format!("{t} {r}"))
                })
                .collect();
            assert_eq!(got.len(), want.len(), "host {h}");
            assert_eq!(got, want, "host {h}");
        }
        // Starting mid-file at a merged keyframe gives the same lines as reading from the
        // start.
        let mid: u64 = all[all.len() / 2]
            .split(' ')
            .next()
            .and_then(|t| t.parse().ok())
            .expect("time");
        let from_mid = replay(reopen(), None, Some(mid));
        let tail: Vec<String> = all
            .iter()
            .filter(|l| l.split(' ').next().and_then(|t| t.parse::<u64>().ok()) >= Some(mid))
            .cloned()
            .collect();
        assert_eq!(from_mid, tail);
        // host.name filters.
        assert_eq!(replay(reopen(), Some("host.name=other"), None).len(), 6000);
    }
}
