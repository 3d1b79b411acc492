//! The flight recorder: keep the last minutes in a bounded ring in memory, and when a trigger
//! fires write a sealed capture of the window around it, one file per incident.
//!
//! [`FlightOutput`] is an [`Output`]: the session records into it exactly as into a capture
//! file. What it receives goes two ways:
//!
//! ```text
//! session ──append──► segment writer (Writer<Vec<u8>>, zstd) ──cut──► ring of segments
//!    │                                                                  │ from the oldest group
//!    └──► replay Engine (state) ─► trigger (filter | rules | SIGUSR1)   ▼
//!                                        └──open──► incident thread: re-encode into FILE.case,
//!                                                   sealed as `record` seals, finished when
//!                                                   the window (match + --after) closes
//! ```
//!
//! The ring is made of *groups*: a group starts with a state block (the session's snapshot of
//! `/proc` and the container runtimes, taken when [`Output::needs_keyframe`] asks) and goes on
//! with segments that hold events only. Segments are complete in-memory captures. Groups wholly
//! older than `--keep` are dropped, and so are the oldest while the ring is over its memory
//! bound; so the oldest group always overlaps the last `--keep`, and an incident starts with the
//! oldest group's snapshot: every process and container alive at the window's start is named.
//!
//! While an incident is open, the segment being filled is cut every [`HANDOVER_EVERY`] and
//! handed to the incident's thread, which re-encodes its blocks into the incident file; when
//! the window closes only the last cut remains to write, then the footer and the seal.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use capture_format::footer::StopReason;
use capture_format::schema::Event;
use capture_format::seal::Sealer;
use capture_format::{BlockType, HeaderInfo, Reader, Writer, WriterOptions};

use super::destination::{CaptureOutput, Output};
use super::incident::{TRIGGER_KEY, Trigger};
use super::procfs::Clock;
use crate::filter::Filter;
use crate::output::{Format, Sink, TextSink};
use crate::replay::engine::{Engine, Flow};
use crate::replay::fields::Field;
use crate::replay::render::BufMode;
use crate::rules::{Matcher, Ruleset, alert};

/// How often the segment being filled is handed to an open incident.
pub const HANDOVER_EVERY: Duration = Duration::from_millis(250);
/// How long after a window's end its incident is closed when no later event arrived: events
/// wait 50 ms in the session's reorder window and up to 20 ms more before they reach the
/// output, so a busy recorder has appended one long before; a quiet host may have none.
const QUIET_CLOSE: Duration = Duration::from_secs(1);
/// The least a ring may hold per second of `--keep`: what an idle host's recording takes
/// (measured on the test machine at about 20 KiB/s compressed, see the note of issue 20).
pub const MIN_BYTES_PER_SEC: u64 = 32 << 10;
/// Room a ring needs whatever the `--keep`: its groups' snapshots and blocks being filled.
pub const MIN_RING_BYTES: u64 = 16 << 20;

/// How a trigger's event is written in the incident's header: sysdig's container line without
/// the event number (which counts from the recorder's start, not the file's).
const TRIGGER_FORMAT: &str = "*%evt.outputtime %evt.cpu %container.name (%container.id) \
     %proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info";

/// What fires an incident (besides the signal, always listened to).
pub enum TriggerSpec {
    /// Only the signal.
    None,
    /// A filter, with its text.
    Filter(String, Filter<Field>),
    /// Falco rules.
    Rules(Box<Ruleset>),
}

/// How the flight recorder runs.
pub struct FlightConfig {
    /// How much history to keep before a trigger.
    pub keep: Duration,
    /// How long an incident goes on after its last trigger.
    pub after: Duration,
    /// Bound on the ring's memory, bytes.
    pub memory: u64,
    /// Directory the incident files go to.
    pub dir: PathBuf,
    /// What fires.
    pub trigger: TriggerSpec,
    /// Set by SIGUSR1 (`casefile trigger PID`): write the window now.
    pub manual: Arc<AtomicBool>,
    /// The pid of the `casefile trigger` that sent the last SIGUSR1 (0: a plain signal).
    pub manual_by: Arc<std::sync::atomic::AtomicU32>,
    /// The header every incident file starts from.
    pub header: HeaderInfo,
    /// Seals each incident file, as `record --sign-key/--seal-key` seals a capture.
    pub sealer: Option<Sealer>,
}

/// The minimum ring memory `--keep` needs (see [`MIN_BYTES_PER_SEC`]).
pub fn min_memory(keep: Duration) -> u64 {
    MIN_RING_BYTES + keep.as_secs().saturating_mul(MIN_BYTES_PER_SEC)
}

/// One finished segment of the ring.
struct Segment {
    bytes: Arc<Vec<u8>>,
    /// Starts a group (begins with a state block).
    group: bool,
    last_ts: u64,
}

/// An incident being written.
struct Open {
    tx: Sender<Msg>,
    /// Where its window ends (extended by later matches), ns since the epoch.
    end: u64,
    path: PathBuf,
    thread: JoinHandle<Done>,
    triggers: u64,
}

enum Msg {
    Segment(Arc<Vec<u8>>),
    /// A later trigger inside the window: written to the file as a note.
    Trigger(Trigger),
    /// The window ended at this time: finish the file.
    Finish(u64),
}

/// How an incident's writing went.
struct Done {
    path: PathBuf,
    events: u64,
    bytes: u64,
    /// From the window's end to the file sealed on disk.
    seal_lag: Option<Duration>,
    /// Events not written because the disk filled.
    cut: Option<u64>,
    error: Option<io::Error>,
}

/// The flight recorder's output (see the module doc).
pub struct FlightOutput {
    cfg: FlightConfig,
    ring: VecDeque<Segment>,
    ring_bytes: u64,
    cur: Writer<Vec<u8>>,
    cur_group: bool,
    cur_started: Instant,
    cur_events: u64,
    group_started: Instant,
    group_every: Duration,
    last_ts: u64,
    engine: Engine,
    matcher: Option<Matcher>,
    format: Format,
    num: u64,
    open: Option<Open>,
    closing: Vec<JoinHandle<Done>>,
    incidents: u64,
    warned_short: bool,
    pending_keyframe: bool,
    /// When the last event was appended.
    last_append: Instant,
}

fn ring_opts() -> WriterOptions {
    WriterOptions {
        level: 1,
        max_age: Duration::from_hours(1),
        keyframe_every: u32::MAX,
        ..WriterOptions::default()
    }
}

fn new_segment(header: &HeaderInfo) -> io::Result<Writer<Vec<u8>>> {
    Writer::new(Vec::with_capacity(256 << 10), header, ring_opts())
}

impl FlightOutput {
    /// A flight recorder with an empty ring.
    pub fn new(cfg: FlightConfig) -> io::Result<FlightOutput> {
        let mut engine = Engine::default();
        engine.set_hosts(&cfg.header);
        let matcher = match &cfg.trigger {
            TriggerSpec::Rules(set) => Some(Matcher::new(set, false)),
            _ => None,
        };
        let format = Format::parse(TRIGGER_FORMAT).map_err(|e| io::Error::other(e.message))?;
        let group_every = (cfg.keep / 8).max(Duration::from_secs(2));
        Ok(FlightOutput {
            cur: new_segment(&cfg.header)?,
            cfg,
            ring: VecDeque::new(),
            ring_bytes: 0,
            cur_group: true,
            cur_started: Instant::now(),
            cur_events: 0,
            group_started: Instant::now(),
            group_every,
            last_ts: 0,
            engine,
            matcher,
            format,
            num: 0,
            open: None,
            closing: Vec::new(),
            incidents: 0,
            warned_short: false,
            pending_keyframe: false,
            last_append: Instant::now(),
        })
    }

    /// Ends the segment being filled, keeps it in the ring and hands it to an open incident;
    /// the next segment starts a group when `group`.
    fn cut(&mut self, group: bool) -> io::Result<()> {
        let next = new_segment(&self.cfg.header)?;
        let done = std::mem::replace(&mut self.cur, next);
        let bytes = Arc::new(done.finish()?);
        self.ring_bytes += bytes.len() as u64;
        if let Some(o) = &self.open {
            // A thread that stopped (its disk filled) no longer listens: nothing to do.
            let _ = o.tx.send(Msg::Segment(Arc::clone(&bytes)));
        }
        self.ring.push_back(Segment {
            bytes,
            group: self.cur_group,
            last_ts: self.last_ts,
        });
        self.cur_group = group;
        self.cur_started = Instant::now();
        self.cur_events = 0;
        self.prune();
        Ok(())
    }

    /// Drops the oldest groups: those wholly older than `--keep`, and while over the memory
    /// bound (never the newest group).
    fn prune(&mut self) {
        let cutoff = self.last_ts.saturating_sub(self.cfg.keep.as_nanos() as u64);
        loop {
            // The oldest group: the front segment and the non-group segments after it.
            let len = 1 + self.ring.iter().skip(1).take_while(|s| !s.group).count();
            if len >= self.ring.len() {
                return;
            }
            let group_last = self.ring[len - 1].last_ts;
            let over = self.ring_bytes > self.cfg.memory;
            if group_last >= cutoff && !over {
                return;
            }
            if over && group_last >= cutoff && !self.warned_short {
                self.warned_short = true;
                let held = self.last_ts.saturating_sub(self.ring[len].last_ts);
                eprintln!(
                    "casefile: warning: the ring reached its memory bound ({} MiB) holding {:.0} s; \
                     incidents start later than --keep {} s before their trigger",
                    self.cfg.memory >> 20,
                    held as f64 / 1e9,
                    self.cfg.keep.as_secs()
                );
            }
            for s in self.ring.drain(..len) {
                self.ring_bytes -= s.bytes.len() as u64;
            }
        }
    }

    /// A trigger fired at `t.ts`: opens an incident, or extends the one open.
    fn fire(&mut self, t: &Trigger) {
        let end = t.ts.saturating_add(self.cfg.after.as_nanos() as u64);
        if let Some(o) = self.open.as_mut() {
            o.end = o.end.max(end);
            o.triggers += 1;
            // A thread that stopped (its disk filled) no longer listens: nothing to do.
            let _ = o.tx.send(Msg::Trigger(t.clone()));
            eprintln!(
                "casefile: trigger ({}) extends the incident {} to {}",
                t.what,
                o.path.display(),
                short_time(o.end)
            );
            return;
        }
        if let Err(e) = self.open_incident(t, end) {
            eprintln!(
                "casefile: error: cannot write an incident for {}: {e}",
                t.what
            );
        }
    }

    fn open_incident(&mut self, t: &Trigger, end: u64) -> io::Result<()> {
        // Everything so far goes to the ring, so the incident gets it.
        self.cut(false)?;
        let (path, file) = create_incident(&self.cfg.dir, t)?;
        let mut header = self.cfg.header.clone();
        header.created_ns = Clock::wall_now();
        header.options = format!(
            "{} flight: keep={}s after={}s",
            header.options,
            self.cfg.keep.as_secs_f64(),
            self.cfg.after.as_secs_f64()
        );
        header.unknown.push((TRIGGER_KEY, t.encode()));
        let out = CaptureOutput::create(file, &header, self.cfg.sealer.clone(), None, None, false)?;
        let (tx, rx) = channel();
        let start = self.ring.iter().position(|s| s.group).unwrap_or(0);
        for s in self.ring.iter().skip(start) {
            let _ = tx.send(Msg::Segment(Arc::clone(&s.bytes)));
        }
        let p = path.clone();
        let thread = std::thread::Builder::new()
            .name("incident".into())
            .spawn(move || write_incident(Box::new(out), &rx, p))?;
        self.incidents += 1;
        eprintln!(
            "casefile: trigger ({}): writing {} (window until {})",
            t.what,
            path.display(),
            short_time(end)
        );
        self.open = Some(Open {
            tx,
            end,
            path,
            thread,
            triggers: 1,
        });
        Ok(())
    }

    /// Closes the open incident: its last segment, then the footer.
    fn close(&mut self) -> io::Result<()> {
        if self.open.is_none() {
            return Ok(());
        }
        self.cut(false)?;
        if let Some(o) = self.open.take() {
            let _ = o.tx.send(Msg::Finish(o.end));
            if o.triggers > 1 {
                eprintln!(
                    "casefile: {} holds {} triggers (`casefile info` lists them)",
                    o.path.display(),
                    o.triggers
                );
            }
            self.closing.push(o.thread);
        }
        Ok(())
    }

    /// Reports the incidents whose thread finished (all of them when `wait`).
    fn reap(&mut self, wait: bool) {
        let mut i = 0;
        while i < self.closing.len() {
            if wait || self.closing[i].is_finished() {
                let h = self.closing.swap_remove(i);
                match h.join() {
                    Ok(d) => report(&d),
                    Err(_) => eprintln!("casefile: error: an incident writer failed"),
                }
            } else {
                i += 1;
            }
        }
    }

    /// Evaluates the trigger on one event, after the engine applied it.
    fn evaluate(&mut self, ev: &Event<'_>) -> Option<Trigger> {
        self.num += 1;
        let FlightOutput {
            engine,
            matcher,
            cfg,
            format,
            num,
            ..
        } = self;
        let mut fired = None;
        let _ = engine.event::<()>(ev, *num, true, None, &mut |ctx| {
            match &cfg.trigger {
                TriggerSpec::None => {}
                TriggerSpec::Filter(text, f) => {
                    if f.matches(ctx) {
                        let mut line = Vec::new();
                        let mut sink = TextSink::new(&mut line, format.clone(), BufMode::Dotted);
                        let _ = sink.event(ctx);
                        fired = Some(Trigger {
                            ts: ctx.ev.ts,
                            what: format!("filter {text}"),
                            event: String::from_utf8_lossy(&line).trim_end().to_owned(),
                        });
                    }
                }
                TriggerSpec::Rules(set) => {
                    if let Some(m) = matcher.as_mut() {
                        let _ = m.event::<()>(set, ctx, |i, ctx| {
                            if let Some(rule) = set.rules.get(i) {
                                let mut line = String::new();
                                alert::text_line(rule, ctx, &mut line);
                                fired = Some(Trigger {
                                    ts: ctx.ev.ts,
                                    what: format!("rule {} ({})", rule.name, rule.priority),
                                    event: line.trim_end().to_owned(),
                                });
                            }
                            Ok(())
                        });
                    }
                }
            }
            Ok(Flow::Continue)
        });
        fired
    }
}

impl Output for FlightOutput {
    fn write_state(&mut self, records: &[Event<'_>]) -> io::Result<()> {
        for r in records {
            self.engine.apply(r);
        }
        // The first state block begins the first segment; a keyframe begins a group.
        if self.cur_events > 0 || !self.cur_group {
            self.cut(true)?;
        } else if self.ring.is_empty() {
            eprintln!(
                "casefile: flight recorder recording: the probe is attached and the host's \
                 state taken"
            );
        }
        self.pending_keyframe = false;
        self.group_started = Instant::now();
        self.cur.write_state(records)
    }

    fn append(&mut self, ev: &Event<'_>) -> io::Result<()> {
        self.cur.append(ev)?;
        self.cur_events += 1;
        self.last_append = Instant::now();
        self.last_ts = self.last_ts.max(ev.ts);
        if let Some(t) = self.evaluate(ev) {
            self.fire(&t);
        }
        Ok(())
    }

    fn tick(&mut self) -> io::Result<()> {
        if self.cfg.manual.swap(false, Ordering::SeqCst) {
            let ts = Clock::wall_now();
            let by = self.cfg.manual_by.swap(0, Ordering::SeqCst);
            self.fire(&Trigger {
                ts,
                what: "signal SIGUSR1".into(),
                event: if by == 0 {
                    String::new()
                } else {
                    format!("sent by casefile trigger (pid {by})")
                },
            });
        }
        if let Some(o) = &self.open {
            // The window is complete once an event past its end was appended (the session
            // appends in time order). A recorder behind the clock still appends: wait for it.
            // On a host too quiet for that, close a while after the end.
            let quiet = o.end.saturating_add(QUIET_CLOSE.as_nanos() as u64);
            if self.last_ts > o.end
                || (Clock::wall_now() >= quiet && self.last_append.elapsed() >= QUIET_CLOSE)
            {
                self.close()?;
            } else if self.cur_started.elapsed() >= HANDOVER_EVERY {
                self.cut(false)?;
            }
        }
        if self.group_started.elapsed() >= self.group_every {
            self.pending_keyframe = true;
        }
        self.reap(false);
        Ok(())
    }

    fn bytes(&self) -> u64 {
        self.ring_bytes + self.cur.stats().bytes
    }

    fn needs_keyframe(&self) -> bool {
        self.pending_keyframe
    }

    fn finish(mut self: Box<Self>) -> io::Result<u64> {
        // An incident still open ends with the recording.
        self.close()?;
        self.reap(true);
        eprintln!(
            "casefile: flight recorder: {} incident{} written; the ring held {:.1} MiB at the end",
            self.incidents,
            if self.incidents == 1 { "" } else { "s" },
            self.bytes() as f64 / f64::from(1 << 20)
        );
        Ok(0)
    }
}

/// Creates the incident's file, new and 0600: `incident-<UTC time>-<trigger>.case` (with `-N`
/// added when that exists).
fn create_incident(dir: &Path, t: &Trigger) -> io::Result<(PathBuf, std::fs::File)> {
    let slug: String = t
        .what
        .split_once(' ')
        .map_or(t.what.as_str(), |(kind, rest)| {
            if kind == "filter" { "filter" } else { rest }
        })
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(48)
        .collect();
    let slug = slug.trim_matches('-').to_owned();
    let base = format!("incident-{}-{slug}", crate::timefmt::compact_utc(t.ts));
    for n in 0..100 {
        let name = if n == 0 {
            format!("{base}.case")
        } else {
            format!("{base}-{n}.case")
        };
        let path = dir.join(name);
        match crate::outfile::create_growing(&path, false) {
            Ok(f) => return Ok((path, f)),
            Err(crate::outfile::OutfileError::Exists { .. }) => {}
            Err(e) => return Err(io::Error::other(e)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{base}.case and 99 others exist"),
    ))
}

fn short_time(ts: u64) -> String {
    let mut s = String::new();
    crate::replay::render::time_of_day(ts, &mut s);
    s.truncate(12);
    s
}

fn report(d: &Done) {
    if let Some(e) = &d.error {
        eprintln!(
            "casefile: error: incident {}: {e}; the file was closed as far as it was written",
            d.path.display()
        );
        return;
    }
    let lag = d.seal_lag.map_or_else(String::new, |l| {
        format!(", sealed {} ms after its window closed", l.as_millis())
    });
    match d.cut {
        Some(n) => eprintln!(
            "casefile: error: the disk holding {} is full: the incident was cut, {n} events not \
             written; the file was closed with its footer and says it was cut ({} events, {:.1} MiB{lag})",
            d.path.display(),
            d.events,
            d.bytes as f64 / f64::from(1 << 20)
        ),
        None => eprintln!(
            "casefile: incident written: {} ({} events, {:.1} MiB{lag})",
            d.path.display(),
            d.events,
            d.bytes as f64 / f64::from(1 << 20)
        ),
    }
}

/// The incident thread: copies each segment's blocks into `out`, then finishes it.
fn write_incident(mut out: Box<dyn Output + Send>, rx: &Receiver<Msg>, path: PathBuf) -> Done {
    let mut done = Done {
        path,
        events: 0,
        bytes: 0,
        seal_lag: None,
        cut: None,
        error: None,
    };
    let mut window_end = None;
    let mut failed = None;
    for msg in rx {
        match msg {
            Msg::Segment(bytes) => {
                if failed.is_none() {
                    let mut copied = 0;
                    let r = copy_segment(&bytes, out.as_mut(), &mut copied);
                    done.events += copied;
                    if let Err(e) = r {
                        failed = Some(e);
                        done.cut = Some(count_events(&bytes).saturating_sub(copied));
                    }
                } else {
                    // Not written: the disk filled (or a write failed) before.
                    done.cut = Some(done.cut.unwrap_or(0) + count_events(&bytes));
                }
            }
            Msg::Trigger(t) => {
                if failed.is_none()
                    && let Err(e) = out.notes(&[(TRIGGER_KEY, t.encode())])
                {
                    failed = Some(e);
                }
            }
            Msg::Finish(end) => {
                window_end = Some(end);
                break;
            }
        }
    }
    if let Some(e) = failed {
        if out.is_full() {
            // The block the disk refused was counted as copied.
            let dropped = out.dropped();
            done.events = done.events.saturating_sub(dropped);
            out.stop_early(StopReason::DiskFull, done.cut.unwrap_or(0));
            done.cut = Some(done.cut.unwrap_or(0) + dropped);
        } else {
            out.stop_early(StopReason::WriteError, done.cut.unwrap_or(0));
            done.error = Some(e);
        }
    }
    match out.finish() {
        Ok(b) => done.bytes = b,
        Err(e) => done.error = Some(e),
    }
    // Measured only for a window that ran to its end (not one the recording's stop cut).
    if let Some(end) = window_end {
        let now = Clock::wall_now();
        done.seal_lag = (now > end).then(|| Duration::from_nanos(now - end));
    }
    done
}

/// Events in a segment (for counting what a full disk kept out).
fn count_events(bytes: &[u8]) -> u64 {
    let Ok(mut r) = Reader::new(bytes) else {
        return 0;
    };
    let mut n = 0;
    while let Some(b) = r.next_block() {
        if let Ok(b) = b
            && b.is_events()
        {
            n += u64::from(b.header.count);
        }
    }
    n
}

/// Re-encodes one segment's state and event blocks into `out`.
fn copy_segment(bytes: &[u8], out: &mut dyn Output, events: &mut u64) -> io::Result<()> {
    let bad = |e: capture_format::Error| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    let mut r = Reader::new(bytes).map_err(bad)?;
    while let Some(b) = r.next_block() {
        let b = b.map_err(bad)?;
        match b.header.block_type {
            BlockType::State => {
                let recs: Vec<Event<'_>> = b
                    .events()
                    .map_err(bad)?
                    .collect::<Result<_, _>>()
                    .map_err(bad)?;
                out.write_state(&recs)?;
            }
            BlockType::Events => {
                for ev in b.events().map_err(bad)? {
                    out.append(&ev.map_err(bad)?)?;
                    *events += 1;
                }
            }
            _ => {}
        }
    }
    out.tick()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flight recorder into `dir` that fires on `text`, keeping an hour, closing a window
    /// at the next tick after the trigger.
    fn filter_flight(dir: &Path, text: &str) -> Box<dyn Output> {
        let filter = crate::filter::compile(text, &crate::replay::fields::Fields).expect("filter");
        let cfg = FlightConfig {
            keep: Duration::from_hours(1),
            after: Duration::from_nanos(1),
            memory: 64 << 20,
            dir: dir.to_path_buf(),
            trigger: TriggerSpec::Filter(text.into(), filter),
            manual: Arc::new(AtomicBool::new(false)),
            manual_by: Arc::default(),
            header: HeaderInfo::default(),
            sealer: None,
        };
        Box::new(FlightOutput::new(cfg).expect("flight"))
    }

    /// Synthetic events through the output as the session feeds it: a filter fires on event
    /// 1500, and the incident holds everything from the first snapshot, sealed, naming it.
    #[test]
    fn a_filter_trigger_writes_a_sealed_incident_from_the_ring() {
        use capture_format::synth::Synth;
        let dir = std::env::temp_dir().join(format!("cf-flight-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let text = "evt.num = 1500";
        let mut out = filter_flight(&dir, text);
        let synth = Synth::new(11);
        let state = synth.state();
        let events: Vec<_> = synth.take(3000).collect();
        out.write_state(&state).expect("state");
        for ev in &events[..1000] {
            out.append(ev).expect("append");
        }
        out.write_state(&state).expect("keyframe");
        for ev in &events[1000..2000] {
            out.append(ev).expect("append");
        }
        // Events past the window were appended: it is closed at the next tick.
        out.tick().expect("tick");
        for ev in &events[2000..] {
            out.append(ev).expect("append");
        }
        out.finish().expect("finish");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("read dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            name.starts_with("incident-") && name.ends_with("-filter.case"),
            "{name}"
        );
        let cap = capture_format::CaptureFile::read(&files[0]).expect("read");
        let v = cap.verify();
        assert!(v.failure.is_none() && v.sealed, "{v:?}");
        let t = Trigger::of(&cap.header().info);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].what, "filter evt.num = 1500");
        assert_eq!(t[0].ts, events[1499].ts);
        // From the first snapshot to the window's close: 2000 events, the first state first.
        assert_eq!(cap.blocks()[0].block_type, BlockType::State);
        assert_eq!(cap.event_count(), 2000);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A second match inside the open window extends it and is written into the file as a
    /// note: the incident lists both triggers, the header's first.
    #[test]
    fn a_later_trigger_inside_the_window_is_written_into_the_incident() {
        use capture_format::synth::Synth;
        let dir = std::env::temp_dir().join(format!("cf-flight2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let text = "evt.num = 1500 or evt.num = 1600";
        let mut out = filter_flight(&dir, text);
        let synth = Synth::new(12);
        let state = synth.state();
        let events: Vec<_> = synth.take(2500).collect();
        out.write_state(&state).expect("state");
        // Both matches come before the next tick, which closes the window.
        for ev in &events[..2000] {
            out.append(ev).expect("append");
        }
        out.tick().expect("tick");
        for ev in &events[2000..] {
            out.append(ev).expect("append");
        }
        out.finish().expect("finish");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("read dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let cap = capture_format::CaptureFile::read(&files[0]).expect("read");
        let v = cap.verify();
        assert!(v.failure.is_none() && v.sealed, "{v:?}");
        assert_eq!(Trigger::of(&cap.header().info).len(), 1);
        let t = Trigger::of_capture(&cap).expect("triggers");
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[0].ts, events[1499].ts);
        assert_eq!(t[1].ts, events[1599].ts);
        assert!(
            t.iter().all(|t| t.what == format!("filter {text}")),
            "{t:?}"
        );
        assert!(!t[1].event.is_empty(), "{t:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn incident_names_carry_time_and_trigger() {
        assert_eq!(
            crate::timefmt::compact_utc(1_764_826_212_345_000_000),
            "20251204T053012.345Z"
        );
        assert_eq!(
            min_memory(Duration::from_mins(5)),
            (16 << 20) + 300 * (32 << 10)
        );
    }
}
