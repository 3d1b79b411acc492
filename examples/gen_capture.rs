//! Writes a capture of synthetic but realistic activity, for benchmarks of `casefile read`.
//!
//! ```text
//! cargo run --release --example gen_capture -- OUT.case 10000000 [SEED]
//! ```
//!
//! The activity comes from `capture_format::synth` (web workers, an app talking to a database,
//! a shell running commands, background noise); the file starts with its state snapshot.

use std::process::ExitCode;

use capture_format::synth::Synth;
use capture_format::{HeaderInfo, Writer, WriterOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: gen_capture OUT.case EVENTS [SEED]");
        return ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    match write(out, n, seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_capture: {out}: {e}");
            ExitCode::from(2)
        }
    }
}

fn write(out: &str, n: u64, seed: u64) -> std::io::Result<()> {
    let synth = Synth::new(seed);
    let info = HeaderInfo {
        created_ns: capture_format::synth::START_NS,
        hostname: "bench".into(),
        kernel: "6.1.0".into(),
        cpus: 2,
        recorder: "gen_capture".into(),
        snaplen: 80,
        ..HeaderInfo::default()
    };
    let mut w = Writer::create(out, &info, WriterOptions::default())?;
    w.write_state(&synth.state())?;
    for ev in synth.take(n as usize) {
        w.append(&ev)?;
    }
    w.flush_block()?;
    let stats = w.stats();
    w.finish()?;
    eprintln!(
        "{out}: {} events, {} blocks, {} bytes",
        stats.events, stats.blocks, stats.bytes
    );
    Ok(())
}
