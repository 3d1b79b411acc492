//! `casefile info`: describe a capture without reading its events.
//!
//! Everything comes from the header, the footer (or the block headers of a recovered file) and
//! the footer tables, so `info` takes the same time on any size of capture; `--verify` (the
//! default) also judges the file's integrity as `verify` does (every byte read once, nothing
//! decompressed) and exits with the same code: 0 complete and intact, 1 changed, 3 not sealed,
//! 2 unreadable.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use capture_format::schema::Body;
use capture_format::verdict::{Status, Trust, Verdict};
use capture_format::{BlockType, CaptureFile};
use serde_json::json;

use crate::cli::InfoArgs;
use crate::timefmt::{datetime_ms, rfc3339};

/// Runs `casefile info`.
pub fn run(args: &InfoArgs) -> anyhow::Result<ExitCode> {
    let r = super::args::resolve(&args.reading)?;
    r.no_filter("info")?;
    r.no_range("info")?;
    let mut out = std::io::stdout().lock();
    let mut objects = Vec::new();
    let mut code = 0;
    for (i, file) in r.files.iter().enumerate() {
        let name = file.display().to_string();
        super::regular(file)?;
        let scap = crate::import::scap::is_scap(file).unwrap_or(false);
        let verdict = if args.no_verify || scap {
            None
        } else {
            Some(super::judge(file, &Trust::default())?)
        };
        code = code.max(verdict.as_ref().map_or(0, Verdict::exit_code));
        let cap = match super::open(file) {
            Ok(cap) => cap,
            // A file too changed to open still gets its verdict.
            Err(e)
                if verdict
                    .as_ref()
                    .is_some_and(|v| v.status == Status::Changed) =>
            {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(
                    out,
                    "file:        {name}
open:        {e:#}"
                )?;
                for l in verdict.iter().flat_map(|v| v.lines(&datetime_ms)) {
                    writeln!(out, "integrity:   {l}")?;
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        let report = Report::of(&cap, verdict, scap)?;
        if r.json {
            objects.push(report.json(&name));
        } else {
            if i > 0 {
                writeln!(out)?;
            }
            report.text(&mut out, &name)?;
        }
    }
    if r.json {
        // One object for one file; an array of them for several.
        match &objects[..] {
            [one] => serde_json::to_writer_pretty(&mut out, one)?,
            all => serde_json::to_writer_pretty(&mut out, all)?,
        }
        writeln!(out)?;
    }
    out.flush().context("writing the report")?;
    Ok(ExitCode::from(code))
}

struct Report {
    version: u16,
    schema: u16,
    info: capture_format::HeaderInfo,
    range: Option<(u64, u64)>,
    events: u64,
    event_blocks: usize,
    state_blocks: usize,
    /// Event blocks followed by aggregates.
    aggregated_blocks: usize,
    file_bytes: u64,
    raw_bytes: u64,
    stored_bytes: u64,
    /// Id, name, image and why metadata is missing, from each container's last record.
    containers: Vec<[String; 4]>,
    execs: usize,
    lost: u64,
    loss_intervals: usize,
    loss_cpus: std::collections::BTreeSet<u16>,
    /// Events a capture filter left out at record time.
    filtered: u64,
    recovered: Option<(String, u64)>,
    damage: Vec<String>,
    integrity: Integrity,
    /// What triggered an incident of the flight recorder: the header's, then the notes'.
    triggers: Vec<crate::record::incident::Trigger>,
}

enum Integrity {
    NotChecked {
        sealed: bool,
    },
    /// A .scap: no chain to check.
    NoChain,
    Judged(Box<Verdict>),
}

/// Records in event blocks that are not events: the process records an import writes among
/// the events for tasks it first saw there, and resource samples (sysdig's procinfo). Only an
/// imported capture (or a .scap) has the former; its blocks are few, so their headers are read.
fn records_not_events(cap: &CaptureFile, scap: bool) -> u64 {
    use capture_format::schema::Kind;
    if !scap && !cap.header().info.source.starts_with("scap ") {
        return 0;
    }
    let hidden = |k: Kind| k.is_state() || k == Kind::Usage;
    let mut n = 0;
    for (i, b) in cap.blocks().iter().enumerate() {
        if b.block_type != BlockType::Events {
            continue;
        }
        let Ok(h) = cap.block_header(i) else { continue };
        if ![
            Kind::Process,
            Kind::Fd,
            Kind::User,
            Kind::Group,
            Kind::Usage,
        ]
        .iter()
        .any(|&k| h.summary.has_kind(k as u8))
        {
            continue;
        }
        let Ok(block) = cap.read_block(i) else {
            continue;
        };
        let Ok(events) = block.events() else { continue };
        n += events
            .flatten()
            .filter(|e| e.body.kind().is_some_and(hidden))
            .count() as u64;
    }
    n
}

impl Report {
    fn of(cap: &CaptureFile, verdict: Option<Verdict>, scap: bool) -> anyhow::Result<Report> {
        let mut raw_bytes = 0;
        let mut stored_bytes = 0;
        let (mut event_blocks, mut state_blocks, mut aggregated_blocks) = (0, 0, 0);
        // From the index alone: reading each block's header would touch a page per block,
        // which on a cold cache is most of the file.
        for b in cap.blocks() {
            match b.block_type {
                BlockType::Events => event_blocks += 1,
                BlockType::State => state_blocks += 1,
                BlockType::Aggregates => aggregated_blocks += 1,
                _ => {}
            }
            raw_bytes += u64::from(b.raw_len);
            stored_bytes += u64::from(b.total_len);
        }
        let tables = cap.tables()?;
        let mut containers = Vec::new();
        let mut execs = 0;
        let (mut lost, mut loss_intervals) = (0, 0);
        let mut filtered = 0u64;
        let mut loss_cpus = std::collections::BTreeSet::new();
        for ev in &tables {
            match &ev.body {
                Body::Container(c) => {
                    // A container may have several records (first sighting, a better lookup,
                    // exit): each field comes from the latest record that knows it (sysdig
                    // writes "incomplete" for what it has not looked up yet).
                    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                    let id = text(&c.id);
                    if !containers.iter().any(|e: &[String; 4]| e[0] == id) {
                        containers.push([id.clone(), String::new(), String::new(), String::new()]);
                    }
                    let Some(e) = containers.iter_mut().find(|e| e[0] == id) else {
                        continue;
                    };
                    for (k, v) in [(1, &c.name), (2, &c.image)] {
                        if !v.is_empty() && v.as_ref() != b"incomplete" {
                            e[k] = text(v);
                        }
                    }
                    e[3] = text(&c.note);
                }
                Body::Exec(_) => execs += 1,
                Body::Loss(l) if l.cpu == capture_format::schema::Loss::FILTERED => {
                    filtered += l.count;
                }
                Body::Loss(l) => {
                    lost += l.count;
                    loss_intervals += 1;
                    loss_cpus.insert(l.cpu);
                }
                _ => {}
            }
        }
        let integrity = match verdict {
            _ if scap => Integrity::NoChain,
            Some(v) => Integrity::Judged(Box::new(v)),
            None => Integrity::NotChecked {
                sealed: cap.footer().is_some(),
            },
        };
        Ok(Report {
            version: cap.header().version,
            schema: cap.header().schema_version,
            info: cap.header().info.clone(),
            range: cap.time_range(),
            events: cap.event_count() - records_not_events(cap, scap),
            event_blocks,
            state_blocks,
            aggregated_blocks,
            file_bytes: cap.bytes().len() as u64,
            raw_bytes,
            stored_bytes,
            containers,
            execs,
            lost,
            loss_intervals,
            loss_cpus,
            filtered,
            recovered: cap.recovery().map(|r| (r.reason.clone(), r.tail_bytes)),
            damage: cap.damage().iter().map(ToString::to_string).collect(),
            integrity,
            triggers: crate::record::incident::Trigger::of_capture(cap)?,
        })
    }

    fn bytes_per_event(&self) -> f64 {
        if self.events == 0 {
            0.0
        } else {
            self.file_bytes as f64 / self.events as f64
        }
    }

    fn text(&self, out: &mut impl Write, file: &str) -> std::io::Result<()> {
        self.text_origin(out, file)?;
        self.text_contents(out)?;
        self.text_completeness(out)
    }

    /// Where the capture comes from: file, format, hosts, recorder, options and triggers.
    fn text_origin(&self, out: &mut impl Write, file: &str) -> std::io::Result<()> {
        let i = &self.info;
        writeln!(out, "file:        {file}")?;
        if matches!(self.integrity, Integrity::NoChain) {
            writeln!(
                out,
                "format:      sysdig .scap, read through casefile's record schema v{}",
                self.schema
            )?;
        } else {
            writeln!(
                out,
                "format:      casefile v{} (record schema v{})",
                self.version, self.schema
            )?;
        }
        writeln!(
            out,
            "host:        {} (kernel {}, {} CPUs, booted {})",
            or_unknown(&i.hostname),
            or_unknown(&i.kernel),
            i.cpus,
            if i.boot_ns == 0 {
                "?".into()
            } else {
                rfc3339(i.boot_ns)
            }
        )?;
        for h in &i.hosts {
            writeln!(
                out,
                "  host {}:    {} (kernel {}, from {}); clock correction {:+.3} ms: {}",
                h.index,
                or_unknown(&h.hostname),
                or_unknown(&h.kernel),
                h.source,
                h.offset_ns as f64 / 1e6,
                h.offset_basis
            )?;
        }
        writeln!(
            out,
            "recorded:    {} by {} with {} ({})",
            if i.created_ns == 0 {
                "?".into()
            } else {
                rfc3339(i.created_ns)
            },
            or_unknown(&i.user),
            or_unknown(&i.recorder),
            or_unknown(&i.source)
        )?;
        if !i.options.is_empty() {
            writeln!(out, "options:     {}", i.options)?;
        }
        if !i.redacted.is_empty() {
            writeln!(out, "redacted:    {}", i.redacted)?;
        }
        for t in &self.triggers {
            writeln!(out, "trigger:     {} {}", rfc3339(t.ts), t.what)?;
            if !t.event.is_empty() {
                writeln!(out, "  event:     {}", t.event)?;
            }
        }
        Ok(())
    }

    /// What the capture holds: time range, events, size, processes and containers.
    fn text_contents(&self, out: &mut impl Write) -> std::io::Result<()> {
        match self.range {
            Some((a, b)) => writeln!(
                out,
                "time range:  {} .. {} ({:.3} s)",
                rfc3339(a),
                rfc3339(b),
                (b.saturating_sub(a)) as f64 / 1e9
            )?,
            None => writeln!(out, "time range:  (no events)")?,
        }
        // Blocks with aggregates answer `summary`, `top` and name filters without decoding.
        let aggregated = if self.aggregated_blocks > 0 {
            format!(" ({} with aggregates)", self.aggregated_blocks)
        } else {
            String::new()
        };
        writeln!(
            out,
            "events:      {} in {} blocks{aggregated}, plus {} state block{}",
            group(self.events),
            self.event_blocks,
            self.state_blocks,
            if self.state_blocks == 1 { "" } else { "s" }
        )?;
        writeln!(
            out,
            "size:        {} bytes on disk, {} bytes compressed, {} raw ({:.1}x); {:.2} bytes/event",
            group(self.file_bytes),
            group(self.stored_bytes),
            group(self.raw_bytes),
            self.raw_bytes as f64 / self.stored_bytes.max(1) as f64,
            self.bytes_per_event()
        )?;
        writeln!(
            out,
            "processes:   {} execs recorded",
            group(self.execs as u64)
        )?;
        writeln!(out, "containers:  {}", self.containers.len())?;
        for [id, name, image, note] in &self.containers {
            let short = &id[..id.len().min(12)];
            writeln!(
                out,
                "  {short}  {}  {}{}",
                or_unknown(name),
                or_unknown(image),
                if note.is_empty() {
                    String::new()
                } else {
                    format!("  ({note})")
                }
            )?;
        }
        Ok(())
    }

    /// What the capture misses: loss, filtered events, an early stop or recovery, damage and
    /// the integrity verdict.
    fn text_completeness(&self, out: &mut impl Write) -> std::io::Result<()> {
        if self.lost == 0 {
            writeln!(out, "loss:        none")?;
        } else {
            writeln!(
                out,
                "loss:        {} events lost in {} intervals on {} CPU(s)",
                group(self.lost),
                self.loss_intervals,
                self.loss_cpus.len()
            )?;
        }
        if self.filtered > 0 {
            writeln!(
                out,
                "filtered:    {} events left out by the capture filter at record time (see \
                 options: filter=...)",
                group(self.filtered)
            )?;
        }
        let stopped = match &self.integrity {
            Integrity::Judged(v) => v.stopped,
            _ => None,
        };
        match (&self.recovered, stopped) {
            (_, Some(why)) => writeln!(
                out,
                "complete:    NO, the recording STOPPED EARLY: {} (the footer says so)",
                why.describe()
            )?,
            (None, None) => writeln!(out, "complete:    yes (footer present)")?,
            (Some((why, tail)), None) => writeln!(
                out,
                "complete:    no, RECOVERED: {why}; {tail} bytes at the end held no complete block"
            )?,
        }
        for d in &self.damage {
            writeln!(out, "damage:      {d}")?;
        }
        match &self.integrity {
            Integrity::NotChecked { sealed } => writeln!(
                out,
                "integrity:   not checked ({}); run without --no-verify",
                if *sealed { "sealed" } else { "unsealed" }
            )?,
            Integrity::NoChain => writeln!(
                out,
                "integrity:   none to check: a .scap file has no hash chain or seal"
            )?,
            Integrity::Judged(v) => {
                for l in v.lines(&datetime_ms) {
                    writeln!(out, "integrity:   {l}")?;
                }
            }
        }
        Ok(())
    }

    fn json(&self, file: &str) -> serde_json::Value {
        let i = &self.info;
        let mut v = json!({
            "file": file,
            "format_version": self.version,
            "schema_version": self.schema,
            "host": {
                "hostname": i.hostname, "kernel": i.kernel, "cpus": i.cpus, "boot_ns": i.boot_ns,
                "machine_id": i.machine_id,
            },
            "hosts": i.hosts.iter().map(|h| json!({
                "index": h.index, "hostname": h.hostname, "kernel": h.kernel,
                "boot_ns": h.boot_ns, "machine_id": h.machine_id, "offset_ns": h.offset_ns,
                "offset_basis": h.offset_basis, "source": h.source,
            })).collect::<Vec<_>>(),
            "recorder": {
                "created_ns": i.created_ns, "user": i.user, "recorder": i.recorder,
                "source": i.source, "options": i.options, "snaplen": i.snaplen,
                "redacted": i.redacted,
            },
            "first_ts": self.range.map(|r| r.0),
            "last_ts": self.range.map(|r| r.1),
            "events": self.events,
            "event_blocks": self.event_blocks,
            "state_blocks": self.state_blocks,
            "aggregated_blocks": self.aggregated_blocks,
            "file_bytes": self.file_bytes,
            "stored_bytes": self.stored_bytes,
            "raw_bytes": self.raw_bytes,
            "bytes_per_event": self.bytes_per_event(),
            "execs": self.execs,
            "containers": self.containers.iter().map(|[id, name, image, note]| json!({
                "id": id, "name": name, "image": image, "note": note,
            })).collect::<Vec<_>>(),
            "loss": { "events": self.lost, "intervals": self.loss_intervals,
                      "cpus": self.loss_cpus.iter().collect::<Vec<_>>(),
                      "filtered": self.filtered },
            "recovered": self.recovered.as_ref().map(|(why, tail)| json!({
                "reason": why, "tail_bytes": tail,
            })),
            "damage": self.damage,
            "integrity": match &self.integrity {
                Integrity::NotChecked { sealed } => json!({"checked": false, "sealed": sealed}),
                Integrity::NoChain => json!({"checked": false, "chain": false}),
                Integrity::Judged(v) => json!({
                    "checked": true,
                    "verdict": match v.status {
                        Status::Intact => "intact",
                        Status::Changed => "changed",
                        Status::Unsealed => "unsealed",
                        Status::Unreadable => "unreadable",
                    },
                    "exit_code": v.exit_code(),
                    "intact": v.status == Status::Intact,
                    "sealed": v.status == Status::Intact,
                    "blocks": v.blocks,
                    "events": v.events,
                    "last_event_ns": v.last_event,
                    "stopped_early": v.stopped.map(capture_format::footer::StopReason::describe),
                    "offset": v.problem.as_ref().map(|p| p.offset),
                    "what": v.problem.as_ref().map(|p| p.what.clone()),
                    "checkpoints": v.seals.checkpoints,
                    "sealed_by": v.seals.by,
                    "lines": v.lines(&datetime_ms),
                }),
            },
        });
        // An incident of the flight recorder says what triggered it.
        let triggers = &self.triggers;
        if !triggers.is_empty()
            && let Some(o) = v.as_object_mut()
        {
            o.insert(
                "triggers".into(),
                triggers
                    .iter()
                    .map(|t| json!({"ts": t.ts, "what": t.what, "event": t.event}))
                    .collect(),
            );
        }
        v
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "?" } else { s }
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(100), "100");
    }
}
