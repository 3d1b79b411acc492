//! One recording: load the probe, snapshot the state, drain the ring buffer into the output
//! until told to stop, then write the footer.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use capture_format::footer::StopReason;
use capture_format::schema::{Body, Event, Loss};

use super::RecordError;
use super::cgroup_dirs::CgroupDirs;
use super::child::{HeldChild, spawn_held};
use super::destination::{self, Output};
use super::loader::{self, Probe, ProbeConfig};
use super::order::{Item, Reorder};
use super::placement::{CgroupIndex, Placement};
use super::procfs::{self, Clock};
use super::usage;
use super::wire::{self, Decoder};
use crate::containers::{Resolver, Roots, Tracker};
use crate::filter::Filter;
use crate::replay::calls::{self, Action};
use crate::replay::context::EventCtx;
use crate::replay::engine::Engine;
use crate::replay::fields::{Field, Fields};
use crate::replay::session::Flow;

/// What to record and where.
#[derive(Clone, Debug)]
pub struct Options {
    /// Capture file (the first of a rotation).
    pub path: PathBuf,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Payload bytes per I/O buffer; 0 for none.
    pub snaplen: u32,
    /// Run this command and record only it and its descendants; empty for the whole host.
    pub command: Vec<OsString>,
    /// Start a new file once the current one reaches this many bytes.
    pub rotate_size: Option<u64>,
    /// Keep at most this many files of a rotation (0: keep all).
    pub rotate_count: u64,
    /// Ring buffer size in bytes.
    pub ring_bytes: u32,
    /// Print a status line on stderr once a second.
    pub status: bool,
    /// Attach the raw_tp programs instead of tp_btf (tests the fallback).
    pub force_raw_tp: bool,
    /// Hook syscalls at exit only: arguments from the registers there, no latency.
    pub no_latency: bool,
    /// Keep each new program's environment in its exec record.
    pub env: bool,
    /// Seal and anchor a checkpoint this often (with a key or an anchor log).
    pub checkpoint_every: Option<Duration>,
    /// Sample every recorded thread's CPU time, memory and page faults this often (`None`:
    /// never).
    pub usage_every: Option<Duration>,
    /// Record context switches (with the leaving thread's faults and memory).
    pub sched: bool,
    /// Capture filter (sysdig/Falco syntax): only matching events are written; what the others
    /// changed (processes, fds) is kept as state records, and their number as loss records
    /// ([`Loss::FILTERED`]).
    pub filter: Option<String>,
}

/// A capture filter at work: the filter, the state it is evaluated in, and the events it left
/// out since the last loss record (count, first and last time).
struct CaptureFilter {
    filter: Filter<Field>,
    engine: Engine,
    seen: u64,
    left_out: u64,
    from: u64,
    to: u64,
}

impl CaptureFilter {
    /// Whether `ev` passes the capture filter, after applying the container `records` written
    /// before it. An event left out is counted, and what it changed (processes, fds) is written
    /// as state records a replay applies silently.
    fn judge(
        &mut self,
        ev: &Event<'_>,
        records: &[Event<'_>],
        out: &mut dyn Output,
    ) -> io::Result<bool> {
        for r in records {
            self.engine.apply(r);
        }
        self.seen += 1;
        let mut hit = false;
        let _ = self.engine.event(
            ev,
            self.seen,
            true,
            Some(&self.filter),
            &mut |_: &mut EventCtx<'_, '_>| {
                hit = true;
                Ok::<_, std::convert::Infallible>(Flow::Continue)
            },
        );
        if !hit {
            if self.left_out == 0 {
                self.from = ev.ts;
            }
            self.left_out += 1;
            self.to = ev.ts;
            // What it changed, as state records a replay applies silently.
            if shapes_state(ev)
                && let Err(e) = self
                    .engine
                    .state
                    .records_after(ev)
                    .iter()
                    .try_for_each(|r| out.append(r))
            {
                return Err(e);
            }
        }
        Ok(hit)
    }
}

/// Facts about the host and the recording, for the capture header.
#[derive(Clone, Debug)]
pub struct CaptureMeta {
    /// When recording started, ns since the epoch.
    pub created_ns: u64,
    /// Who recorded (user name or uid).
    pub user: String,
    /// `/etc/machine-id`.
    pub machine_id: String,
    /// Host name.
    pub hostname: String,
    /// Kernel release.
    pub kernel: String,
    /// Boot time, ns since the epoch.
    pub boot_ns: u64,
    /// Online CPUs.
    pub cpus: u32,
    /// Snaplen in force.
    pub snaplen: u32,
    /// The options, as text.
    pub options: String,
}

/// Opens an output file.
pub type OpenOutput<'a> = dyn Fn(&Path, &CaptureMeta) -> io::Result<Box<dyn Output>> + 'a;

/// How a recording went.
#[derive(Debug, Default)]
pub struct Summary {
    /// Events written (state records not included).
    pub events: u64,
    /// Records the probe could not hand over (ring buffer full).
    pub lost: u64,
    /// Bytes written, all files together.
    pub bytes: u64,
    /// Files written.
    pub files: u64,
    /// Wall time spent recording.
    pub elapsed: Duration,
    /// Events that arrived too late for their place in time order.
    pub late: u64,
    /// Records that could not be decoded.
    pub malformed: u64,
    /// Exit status of the recorded command.
    pub child: Option<ExitStatus>,
    /// Optional hooks that did not attach.
    pub degraded: Vec<(&'static str, String)>,
    /// Tracepoints attached through raw_tp instead of tp_btf.
    pub fallbacks: Vec<&'static str>,
    /// The file whose disk filled: recording stopped there, and the file was sealed.
    pub disk_full: Option<PathBuf>,
    /// Events not written because the disk filled (the refused block and what was queued).
    pub unwritten: u64,
    /// Resource samples written (`Usage` records).
    pub samples: u64,
    /// Time spent taking them.
    pub sampling: Duration,
    /// Events the capture filter left out.
    pub filtered: u64,
}

/// How long events wait to be put in time order.
const REORDER_WINDOW: Duration = Duration::from_millis(50);
/// Records decoded between two looks at the clock, the signals and the output.
const DRAIN_BATCH: usize = 65_536;
/// Release early when the reorder buffer holds this much.
const MAX_HELD_BYTES: usize = 64 << 20;
/// How often ready events are released to the output.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// How long the drain sleeps between looks at the ring, in ms per MiB of ring, at most
/// `POLL_MAX_MS`: the probe never wakes it (see `emit` in probe.bpf.c), so the ring must hold
/// what a storm writes meanwhile (~450 MB/s on this machine kind: a 1 MiB ring is looked at
/// every 1 ms, the default 64 MiB one every 10 ms).
const POLL_MS_PER_MIB: u32 = 1;
const POLL_MAX_MS: u32 = 10;
/// When a look finds the ring nearly empty (fewer than `QUIET_RECORDS`), the next sleep is
/// twice as long, up to what the ring still holds at a storm's rate (`POLL_MS_PER_MIB`) and
/// at most `POLL_IDLE_MAX_MS`: an idle host wakes the recorder 33 times a second, not 100.
/// With the probe's flush interval (twice, when its timer finds a stage in use), a record
/// still reaches the reorder buffer inside its window.
const POLL_IDLE_MAX_MS: u32 = 30;
const QUIET_RECORDS: usize = 1000;

/// Records until `stop` is set, the duration passes or the command exits.
pub fn record(
    opts: &Options,
    stop: &AtomicBool,
    open: &OpenOutput<'_>,
) -> Result<Summary, RecordError> {
    let meta = capture_meta(opts);
    let (mut rec, mut out, held) = start(opts, &meta, open)?;
    let start = Instant::now();
    let mut child = held.map(HeldChild::release).transpose()?;
    let mut last_status = Instant::now();
    let mut timers = Timers {
        checkpoint: Instant::now(),
        tick: Instant::now(),
        flush: Instant::now(),
        usage: None,
    };
    let mut sampler = opts
        .usage_every
        .map(|_| usage::Sampler::new(std::process::id(), child.as_ref().map(|c| c.pid as u32)));
    let mut events_at_status = 0;
    let mut child_done = false;
    let ring_ms = (opts.ring_bytes >> 20).saturating_mul(POLL_MS_PER_MIB);
    let busy_ms = ring_ms.clamp(1, POLL_MAX_MS) as i32;
    let idle_ms = ring_ms.clamp(1, POLL_IDLE_MAX_MS) as i32;
    let mut poll_ms = busy_ms;
    let mut drained = 0;
    loop {
        // The probe never wakes us: sleep the interval the ring is sized for, unless the last
        // look stopped at the batch limit. (Polling the ring's fd returned at once whenever a
        // record was waiting: on a busy host, tens of thousands of wake-ups a second.)
        if drained < DRAIN_BATCH {
            // SAFETY: no descriptors, a count of zero: a sleep that a signal interrupts.
            let r = unsafe { libc::poll(std::ptr::null_mut(), 0, poll_ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(RecordError::Poll(e));
                }
            }
        }
        drained = rec.drain_ring(DRAIN_BATCH);
        poll_ms = if drained < QUIET_RECORDS {
            (poll_ms * 2).min(idle_ms)
        } else {
            busy_ms
        };
        let step = rec.periodic(out.as_mut(), opts, &mut timers, sampler.as_mut());
        if let Err(e) = step {
            if out.is_full() {
                break;
            }
            // Seal what was recorded, saying in the file that it stopped early, then fail.
            let mut queued = 0;
            rec.reorder.drain(|_, _| queued += 1);
            out.stop_early(StopReason::Fatal, queued);
            let _ = out.finish();
            return Err(e);
        }
        out = rec.maybe_rotate(out, opts, &meta, open)?;
        if opts.status && last_status.elapsed() >= Duration::from_secs(1) {
            let secs = last_status.elapsed().as_secs_f64();
            let rate = (rec.summary.events - events_at_status) as f64 / secs;
            events_at_status = rec.summary.events;
            last_status = Instant::now();
            let _ = write!(
                io::stderr(),
                "\r\x1b[Krecording: {rate:.0} events/s, {} events, {:.1} MiB written, {} lost",
                rec.summary.events,
                (rec.summary.bytes + out.bytes()) as f64 / (1 << 20) as f64,
                rec.summary.lost
            );
        }
        if let Some(c) = child.as_mut()
            && !child_done
            && let Some(st) = c.try_wait()
        {
            rec.summary.child = Some(st);
            child_done = true;
        }
        if child_done
            || stop.load(Ordering::Relaxed)
            || opts.duration.is_some_and(|d| start.elapsed() >= d)
        {
            break;
        }
    }
    // What the probe staged before we stopped reaches the ring within two flush intervals;
    // then whatever is in the ring was produced before we stopped: take it all.
    std::thread::sleep(Duration::from_nanos(2 * wire::FLUSH_NS + 2_000_000));
    rec.drain_ring(usize::MAX);
    rec.check_loss()?;
    if !out.is_full()
        && let Err(e) = rec.flush_ready(out.as_mut(), &opts.path, true)
        && !out.is_full()
    {
        return Err(e);
    }
    if out.is_full() {
        // The disk filled: what is still queued cannot be written. Seal the file as it is.
        let mut queued = 0;
        rec.reorder.drain(|_, _| queued += 1);
        rec.summary.unwritten = out.dropped() + queued;
        rec.summary.events = rec.summary.events.saturating_sub(out.dropped());
        rec.summary.disk_full = Some(destination::rotated_path(&opts.path, rec.file_index));
        out.stop_early(StopReason::DiskFull, queued);
    }
    if opts.status {
        let _ = writeln!(io::stderr());
    }
    rec.summary.bytes += out.finish().map_err(|source| RecordError::Output {
        path: destination::rotated_path(&opts.path, rec.file_index),
        source,
    })?;
    if let Some(mut c) = child.filter(|_| !child_done) {
        // Stopped before the command finished: it keeps running, unrecorded.
        rec.summary.child = c.try_wait();
    }
    rec.summary.files = rec.file_index + 1;
    rec.summary.elapsed = start.elapsed();
    rec.summary.late = rec.reorder.late();
    Ok(rec.summary)
}

/// What [`start`] hands the loop: the recorder, its output, and the command it runs (held).
type Started = (Recorder, Box<dyn Output>, Option<HeldChild>);

/// Everything before the first event: the output (created before anything is loaded, so an
/// unwritable directory fails fast), the command held at its first instruction, the probe,
/// the /proc snapshot and a first seal. Until recording starts, a failure leaves no capture
/// behind.
fn start(
    opts: &Options,
    meta: &CaptureMeta,
    open: &OpenOutput<'_>,
) -> Result<Started, RecordError> {
    loader::preflight()?;
    let mut out = open(&opts.path, meta).map_err(|source| RecordError::Output {
        path: opts.path.clone(),
        source,
    })?;
    let abandon = |out: Box<dyn Output>, e: RecordError| {
        drop(out);
        let _ = std::fs::remove_file(&opts.path);
        e
    };
    let mut held = match opts.command.split_first() {
        Some((prog, args)) => match spawn_held(prog, args) {
            Ok(h) => Some(h),
            Err(e) => return Err(abandon(out, e)),
        },
        None => None,
    };
    let cfg = ProbeConfig {
        target_pid: held.as_ref().map_or(0, HeldChild::pid),
        self_pid: std::process::id(),
        snaplen: opts.snaplen,
        ring_bytes: opts.ring_bytes,
        force_raw_tp: opts.force_raw_tp,
        exit_only: opts.no_latency,
        capture_env: opts.env,
        sched: opts.sched,
    };
    let probe = match loader::load(&cfg) {
        Ok(p) => p,
        Err(e) => {
            if let Some(h) = held.take() {
                h.abandon();
            }
            return Err(abandon(out, e));
        }
    };
    let clock = Clock::now();
    let mut rec = Recorder {
        probe,
        decoder: Decoder::new(clock.boot_to_wall),
        cgroups: CgroupDirs::new(),
        containers: Tracker::new(Resolver::new(Roots::from_etc(Path::new("/etc")))),
        cgroup_index: CgroupIndex::default(),
        last_entered: None,
        reorder: Reorder::new(REORDER_WINDOW.as_nanos() as u64),
        caught_up: Some(Clock::wall_now()),
        last_drops: Vec::new(),
        last_loss_check: Clock::wall_now(),
        summary: Summary::default(),
        clock,
        file_index: 0,
        started: Clock::wall_now(),
        filter: match &opts.filter {
            None => None,
            Some(text) => Some(CaptureFilter {
                filter: crate::filter::compile(text, &Fields)
                    .map_err(|e| RecordError::Filter(format!("{e}")))?,
                engine: Engine::default(),
                seen: 0,
                left_out: 0,
                from: 0,
                to: 0,
            }),
        },
    };
    rec.summary.degraded.clone_from(&rec.probe.degraded);
    rec.summary.fallbacks.clone_from(&rec.probe.fallbacks);
    rec.last_drops = rec.probe.counters()?.iter().map(|c| c.0).collect();
    rec.write_state(out.as_mut(), &opts.path)?;
    // The first seal covers the header and the snapshot, so a recording killed at once still
    // proves what it holds.
    rec.checkpoint(out.as_mut(), &opts.path)?;

    Ok((rec, out, held))
}

/// When the recorder last did each periodic job.
struct Timers {
    checkpoint: Instant,
    tick: Instant,
    flush: Instant,
    usage: Option<Instant>,
}

impl Recorder {
    /// The periodic jobs between two looks at the ring: write what the reorder window
    /// released (and a keyframe when the output wants one), sample resource usage, check for
    /// loss, tick the output, seal a checkpoint.
    fn periodic(
        &mut self,
        out: &mut dyn Output,
        opts: &Options,
        timers: &mut Timers,
        sampler: Option<&mut usage::Sampler>,
    ) -> Result<(), RecordError> {
        if timers.flush.elapsed() >= FLUSH_EVERY || self.reorder.held_bytes() > MAX_HELD_BYTES {
            timers.flush = Instant::now();
            self.flush_ready(out, &opts.path, false)?;
            if out.needs_keyframe() {
                // A keyframe lets replay start mid-file: the state as /proc shows it now.
                self.write_state(out, &opts.path)?;
            }
        }
        if let (Some(s), Some(every)) = (sampler, opts.usage_every)
            && timers.usage.is_none_or(|t| t.elapsed() >= every)
        {
            timers.usage = Some(Instant::now());
            let t = Instant::now();
            let ts = match self.reorder.latest() {
                0 => Clock::wall_now(),
                t => t,
            };
            s.sample(ts, |e| {
                self.summary.samples += 1;
                // Its container is set when it is written (see `flush_ready`).
                self.reorder.push_event(e);
            });
            self.summary.sampling += t.elapsed();
        }
        if timers.tick.elapsed() >= Duration::from_millis(100) {
            timers.tick = Instant::now();
            self.check_loss()?;
            out.tick().map_err(|source| RecordError::Output {
                path: opts.path.clone(),
                source,
            })?;
        }
        if opts
            .checkpoint_every
            .is_some_and(|every| timers.checkpoint.elapsed() >= every)
        {
            timers.checkpoint = Instant::now();
            self.checkpoint(out, &opts.path)?;
        }
        Ok(())
    }
}

struct Recorder {
    probe: Probe,
    decoder: Decoder,
    cgroups: CgroupDirs,
    /// The capture's container table (indices, records, exits).
    containers: Tracker,
    /// cgroup id → container index, so an event costs one lookup.
    cgroup_index: CgroupIndex,
    /// The (pid, index) last counted with the tracker.
    last_entered: Option<(u32, u32)>,
    reorder: Reorder,
    /// When the last look found the ring empty (wall clock), `None` when it stopped with
    /// records still there. The reorder buffer releases by that time, never by the clock at
    /// release: a recorder that lags behind a storm, or is kept off the CPU between its look
    /// and its release, would otherwise release past records still in the ring.
    caught_up: Option<u64>,
    last_drops: Vec<u64>,
    last_loss_check: u64,
    summary: Summary,
    clock: Clock,
    file_index: u64,
    /// Wall clock when recording began: nothing before it is anyone's to record.
    started: u64,
    /// The capture filter, when given.
    filter: Option<CaptureFilter>,
}

impl Recorder {
    fn write_state(&mut self, out: &mut dyn Output, path: &Path) -> Result<(), RecordError> {
        let snap = procfs::snapshot(self.clock, &mut self.containers);
        if let Some(cf) = &mut self.filter {
            for r in &snap {
                cf.engine.apply(r);
            }
        }
        out.write_state(&snap)
            .map_err(|source| RecordError::Output {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Moves up to `max` records from the ring buffer into the reorder buffer.
    /// Seals and anchors the chain so far: everything released from the reorder window.
    fn checkpoint(&mut self, out: &mut dyn Output, path: &Path) -> Result<(), RecordError> {
        out.checkpoint(Clock::wall_now(), self.reorder.released().max(self.started))
            .map_err(|source| RecordError::Output {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Takes what the ring holds, up to about `max` records; returns the records taken.
    fn drain_ring(&mut self, max: usize) -> usize {
        let mut n = 0;
        let mut cgroups = Vec::new();
        while n < max
            && let Some(item) = self.probe.ring.next()
        {
            // A record the probe wrote in place into a fixed-size ring entry ends before the
            // entry does: `records` keeps what its header says it holds.
            let (decoder, reorder) = (&self.decoder, &mut self.reorder);
            let r = wire::records(&item, |h, rec| {
                n += 1;
                if h.kind == wire::kind::CGROUP {
                    cgroups.push((decoder.wall(h.ts), rec.to_vec()));
                } else {
                    reorder.push_raw(decoder.wall(h.ts), rec);
                }
            });
            if r.is_err() {
                self.summary.malformed += 1;
            }
        }
        self.caught_up = (n < max).then(Clock::wall_now);
        for (ts, raw) in cgroups {
            self.new_cgroup(ts, &raw);
        }
        n
    }

    /// A cgroup was just made: learn its path and, when it is a container's, resolve the
    /// container now, before it runs (its record goes through the reorder buffer at the
    /// cgroup's time). A container run with `--rm` that lives a few milliseconds may have its
    /// runtime state deleted before its first events leave the reorder window.
    fn new_cgroup(&mut self, ts: u64, raw: &[u8]) {
        let Ok((id, path)) = wire::parse_cgroup(raw) else {
            self.summary.malformed += 1;
            return;
        };
        self.cgroups.learn(id, path);
        let path = String::from_utf8_lossy(path);
        let s = self.containers.observe(&path, ts);
        self.cgroup_index.insert(id, s.index);
        for r in s.records {
            self.reorder.push_event(r);
        }
    }

    /// Turns new per-CPU reserve failures into loss records.
    fn check_loss(&mut self) -> Result<(), RecordError> {
        let now = Clock::wall_now();
        let counters = self.probe.counters()?;
        for (cpu, (dropped, last_ts)) in counters.iter().enumerate() {
            let before = self.last_drops.get(cpu).copied().unwrap_or(0);
            if *dropped > before {
                let count = dropped - before;
                // The latest drop on this CPU, kept inside the interval (clocks may disagree
                // by a little; `clamp` would panic if the wall clock stepped back).
                let from = self.last_loss_check;
                let to = self.decoder.wall(*last_ts).min(now).max(from);
                self.summary.lost += count;
                self.reorder.push_event(Event {
                    ts: to,
                    tid: 0,
                    pid: 0,
                    cpu: cpu as u16,
                    container: 0,
                    body: Body::Loss(Loss {
                        cpu: cpu as u16,
                        count,
                        from,
                        to,
                    }),
                });
            }
        }
        self.last_drops = counters.iter().map(|c| c.0).collect();
        self.last_loss_check = now;
        Ok(())
    }

    /// Decodes and writes the records that are ready (all of them when `all`).
    fn flush_ready(
        &mut self,
        out: &mut dyn Output,
        path: &Path,
        all: bool,
    ) -> Result<(), RecordError> {
        let Recorder {
            reorder,
            caught_up,
            decoder,
            cgroups,
            containers,
            cgroup_index,
            last_entered,
            summary,
            filter,
            ..
        } = self;
        let mut err = None;
        let mut last_ts = 0u64;
        let mut write = |ts: u64, item: Item<'_>| {
            if err.is_some() {
                return;
            }
            last_ts = last_ts.max(ts);
            let result = match item {
                Item::Event(mut ev) => {
                    if matches!(ev.body, Body::Usage(_)) {
                        // A sample belongs to the container its process is in at the sample's
                        // place among the events: known only now that those before it are
                        // placed (at sampling, some may still wait to be ordered).
                        ev.container = containers.container_of(ev.pid);
                    }
                    out.append(&ev).map(|()| true)
                }
                Item::Raw(raw) => {
                    let Ok(mut d) = decoder.decode(raw) else {
                        summary.malformed += 1;
                        return;
                    };
                    let mut keep = true;
                    // In place: an event is a few hundred bytes, and moving it cost more
                    // than placing it.
                    let ev = &mut d.event;
                    ev.ts = ts;
                    let records = Placement {
                        cgroups,
                        containers,
                        cgroup_index,
                        last_entered,
                    }
                    .place(d.cgroup_id, ev, ts);
                    for r in &records {
                        if let Err(e) = out.append(r) {
                            err = Some(e);
                            return;
                        }
                    }
                    if let Some(cf) = filter.as_mut() {
                        match cf.judge(ev, &records, out) {
                            Ok(hit) => keep = hit,
                            Err(e) => {
                                err = Some(e);
                                return;
                            }
                        }
                        if !keep {
                            summary.filtered += 1;
                        }
                    }
                    // The last process of a container: its record again, with the exit time.
                    let gone = match &ev.body {
                        Body::Exit(x) if x.group_dead => {
                            *last_entered = None;
                            containers.exit(ev.pid, ts)
                        }
                        _ => None,
                    };
                    let written = if keep { out.append(ev) } else { Ok(()) };
                    written
                        .and_then(|()| gone.map_or(Ok(()), |r| out.append(&r)))
                        .map(|()| keep)
                }
            };
            match result {
                Ok(true) => summary.events += 1,
                Ok(false) => {}
                Err(e) => err = Some(e),
            }
        };
        if all {
            reorder.drain(&mut write);
        } else {
            reorder.pop_ready(caught_up.unwrap_or(0), &mut write);
        }
        // What the filter left out, as a loss record after the events it was among.
        if err.is_none()
            && let Some(cf) = filter.as_mut()
            && cf.left_out > 0
        {
            let r = Event {
                ts: last_ts.max(cf.to),
                tid: 0,
                pid: 0,
                cpu: 0,
                container: 0,
                body: Body::Loss(Loss {
                    cpu: Loss::FILTERED,
                    count: cf.left_out,
                    from: cf.from,
                    to: cf.to,
                }),
            };
            cf.left_out = 0;
            if let Err(e) = out.append(&r) {
                err = Some(e);
            }
        }
        match err {
            Some(source) => Err(RecordError::Output {
                path: path.to_path_buf(),
                source,
            }),
            None => Ok(()),
        }
    }

    fn maybe_rotate(
        &mut self,
        out: Box<dyn Output>,
        opts: &Options,
        meta: &CaptureMeta,
        open: &OpenOutput<'_>,
    ) -> Result<Box<dyn Output>, RecordError> {
        let Some(limit) = opts.rotate_size else {
            return Ok(out);
        };
        if out.bytes() < limit {
            return Ok(out);
        }
        let done = destination::rotated_path(&opts.path, self.file_index);
        self.summary.bytes += out.bytes();
        out.finish()
            .map_err(|source| RecordError::Output { path: done, source })?;
        self.file_index += 1;
        let next = destination::rotated_path(&opts.path, self.file_index);
        destination::prune_rotated(&opts.path, self.file_index, opts.rotate_count).map_err(
            |source| RecordError::Output {
                path: opts.path.clone(),
                source,
            },
        )?;
        let mut out = open(&next, meta).map_err(|source| RecordError::Output {
            path: next.clone(),
            source,
        })?;
        // A new file stands alone: a fresh snapshot, which repeats every container's record
        // (their indices stay valid), sealed at once.
        self.write_state(out.as_mut(), &next)?;
        if opts.checkpoint_every.is_some() {
            self.checkpoint(out.as_mut(), &next)?;
        }
        Ok(out)
    }
}

fn capture_meta(opts: &Options) -> CaptureMeta {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let clock = Clock::now();
    // SAFETY: sysconf has no preconditions.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as u32;
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    CaptureMeta {
        created_ns: Clock::wall_now(),
        user: if uid == 0 {
            "root".into()
        } else {
            uid.to_string()
        },
        machine_id: read("/etc/machine-id"),
        hostname: read("/proc/sys/kernel/hostname"),
        kernel: read("/proc/sys/kernel/osrelease"),
        boot_ns: clock.boot_to_wall.max(0) as u64,
        cpus,
        snaplen: opts.snaplen,
        options: format!(
            "snaplen={} env={} duration={} rotate_size={} rotate_count={} force_raw_tp={} \
             command={:?} ring={}{}",
            opts.snaplen,
            opts.env,
            opts.duration
                .map_or_else(|| "none".into(), |d| format!("{}s", d.as_secs_f64())),
            opts.rotate_size
                .map_or_else(|| "none".into(), |b| b.to_string()),
            opts.rotate_count,
            opts.force_raw_tp,
            opts.command,
            opts.ring_bytes,
            if opts.no_latency { " latency=none" } else { "" }
        ) + &opts
            .filter
            .as_ref()
            .map_or(String::new(), |f| format!(" filter={f:?}")),
    }
}

/// Whether leaving `ev` out would lose something a replay needs to name later events: a
/// process's birth, image or end, or a call that creates, names or moves an fd.
fn shapes_state(ev: &Event<'_>) -> bool {
    match &ev.body {
        Body::Syscall(sc) => calls::info(sc.nr).action != Action::None,
        Body::Fork(_) | Body::Exec(_) | Body::Exit(_) => true,
        _ => false,
    }
}
