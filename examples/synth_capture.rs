//! Writes a capture of N synthetic events (`capture_format::synth::Synth`, seed 42) through the
//! `Writer` with its default options, for the benchmarks that need a large capture:
//!
//!     cargo run --release --example synth_capture -- OUT.case N
//!
//! The capture starts with Synth's state snapshot; it has no periodic keyframes (those come
//! from replay's state tracker, which is not part of the format crate).
use std::process::ExitCode;

use capture_format::synth::Synth;
use capture_format::{HeaderInfo, Writer, WriterOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, n] = args.as_slice() else {
        eprintln!("usage: synth_capture OUT.case N");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("synth_capture: not a number: {n}");
        return ExitCode::from(2);
    };
    let run = || -> std::io::Result<()> {
        let synth = Synth::new(42);
        let mut w = Writer::create(out, &HeaderInfo::default(), WriterOptions::default())?;
        w.write_state(&synth.state())?;
        for ev in synth.take(n) {
            w.append(&ev)?;
        }
        w.finish()?;
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth_capture: {out}: {e}");
            ExitCode::from(2)
        }
    }
}
