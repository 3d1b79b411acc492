//! Scales a sysdig `.scap` capture up for benchmarks: its metadata blocks once, then its event
//! blocks repeated with shifted times until there are at least MIN_EVENTS of them.
//!
//!     cargo run --release --example scap_scale -- IN.scap[.gz] OUT.scap MIN_EVENTS
//!
//! Each round shifts every event's timestamp by the span of the sample plus 1 ms, so time keeps
//! increasing. Container events (`PPME_CONTAINER_JSON_E` 272 and `PPME_CONTAINER_JSON_2_E` 324)
//! are kept in the first round only, as a real capture announces a container once. The event
//! mix and its state (pids, fds) repeat: the result measures a realistic event mix, not a
//! realistic process tree. The output is a plain (uncompressed) .scap created with mode 0600;
//! prints the number of event blocks written.
use std::fs::OpenOptions;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;

const SHB: u32 = 0x0A0D_0D0A;
/// Event blocks: V2, V2_LARGE, V1, pre-release V1 (no flags); then EVF V2, V2_LARGE, V1.
const EV_BLOCKS: [u32; 4] = [0x216, 0x221, 0x204, 0x8010_ABCD];
const EVF_BLOCKS: [u32; 3] = [0x217, 0x222, 0x208];
const CONTAINER_TYPES: [u16; 2] = [272, 324];

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One event block: its bytes and where its event header starts inside them.
struct EventBlock {
    start: usize,
    end: usize,
    event_at: usize,
}

fn scale(input: &[u8], min_events: u64, out: &mut impl Write) -> Result<u64, String> {
    if le32(input, 0) != Some(SHB) {
        return Err("not a .scap file (no section header block at offset 0)".into());
    }
    let mut at = 0usize;
    let mut first_event = None;
    let mut events = Vec::new();
    while at < input.len() {
        let (Some(kind), Some(len)) = (le32(input, at), le32(input, at + 4)) else {
            return Err(format!("truncated block header at offset {at}"));
        };
        let len = len as usize;
        if len < 12 || at + len > input.len() {
            return Err(format!("block at offset {at} has bad length {len}"));
        }
        let event_at = if EV_BLOCKS.contains(&kind) {
            Some(at + 10)
        } else if EVF_BLOCKS.contains(&kind) {
            Some(at + 14)
        } else {
            None
        };
        match (event_at, first_event) {
            (Some(e), _) => {
                if e + 22 > at + len {
                    return Err(format!("event block at offset {at} is too short"));
                }
                first_event.get_or_insert(at);
                events.push(EventBlock {
                    start: at,
                    end: at + len,
                    event_at: e,
                });
            }
            (None, Some(_)) => {
                return Err(format!(
                    "block type {kind:#x} at offset {at} after the first event (concatenated files are not scaled)"
                ));
            }
            (None, None) => {}
        }
        at += len;
    }
    let Some(first_event) = first_event else {
        return Err("no events in file".into());
    };
    let ts = |b: &EventBlock| {
        u64::from_le_bytes(
            input[b.event_at..b.event_at + 8]
                .try_into()
                .unwrap_or_default(),
        )
    };
    let kind = |b: &EventBlock| {
        u16::from_le_bytes(
            input[b.event_at + 20..b.event_at + 22]
                .try_into()
                .unwrap_or_default(),
        )
    };
    let min_ts = events.iter().map(ts).min().unwrap_or(0);
    let max_ts = events.iter().map(ts).max().unwrap_or(0);
    let shift = max_ts - min_ts + 1_000_000;
    let repeated = events
        .iter()
        .filter(|b| !CONTAINER_TYPES.contains(&kind(b)))
        .count() as u64;
    if repeated == 0 {
        return Err("the sample has only container events".into());
    }
    let io = |e: std::io::Error| e.to_string();
    out.write_all(&input[..first_event]).map_err(io)?;
    let mut written = 0u64;
    let mut round = 0u64;
    while written < min_events {
        for b in &events {
            if round > 0 && CONTAINER_TYPES.contains(&kind(b)) {
                continue;
            }
            let mut block = input[b.start..b.end].to_vec();
            let t = ts(b) + round * shift;
            let at = b.event_at - b.start;
            block[at..at + 8].copy_from_slice(&t.to_le_bytes());
            out.write_all(&block).map_err(io)?;
            written += 1;
        }
        round += 1;
    }
    out.flush().map_err(io)?;
    Ok(written)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, min] = args.as_slice() else {
        eprintln!("usage: scap_scale IN.scap[.gz] OUT.scap MIN_EVENTS");
        return ExitCode::from(2);
    };
    let run = || -> Result<u64, String> {
        let min: u64 = min.parse().map_err(|_| format!("not a number: {min}"))?;
        let raw = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut v = Vec::new();
            flate2::read::MultiGzDecoder::new(raw.as_slice())
                .read_to_end(&mut v)
                .map_err(|e| format!("{input}: {e}"))?;
            v
        } else {
            raw
        };
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(output)
            .map_err(|e| format!("{output}: {e}"))?;
        scale(&bytes, min, &mut BufWriter::new(file)).map_err(|e| format!("{input}: {e}"))
    };
    match run() {
        Ok(n) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scap_scale: {e}");
            ExitCode::from(2)
        }
    }
}
