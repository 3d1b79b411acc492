//! Format benchmark: size per event, write and decode throughput, open + seek latency.
//!
//! `cargo bench -p capture-format --bench format [-- EVENTS]` (default 10 million events).
//! Each figure is printed with a baseline measured in the same run, and their ratio, because
//! these machines are noisy:
//! - size: the same events in a naive row layout (fixed 40-byte header, tagged values),
//!   compressed in 1 MiB pieces with the same zstd level;
//! - write: generating the events without writing them (the generator's own cost);
//! - decode: the same zstd decompression without record decoding.

#![expect(clippy::many_single_char_names, reason = "short-lived timing locals")]

use std::hint::black_box;
use std::time::Instant;

use capture_format::schema::{Body, Event, Value};
use capture_format::synth::Synth;
use capture_format::{CaptureFile, HeaderInfo, Writer, WriterOptions};

fn naive_row(ev: &Event<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(&ev.ts.to_le_bytes());
    out.extend_from_slice(&ev.tid.to_le_bytes());
    out.extend_from_slice(&ev.pid.to_le_bytes());
    out.extend_from_slice(&ev.cpu.to_le_bytes());
    out.extend_from_slice(&ev.container.to_le_bytes());
    out.push(ev.body.kind_u8());
    let mut vals = capture_format::schema::Params::new();
    if let Body::Syscall(s) = &ev.body {
        out.extend_from_slice(&s.nr.to_le_bytes());
        out.extend_from_slice(&s.ret.to_le_bytes());
        out.extend_from_slice(&s.latency.to_le_bytes());
    }
    capture_format::codec::values_of(&ev.body, &mut vals);
    out.push(vals.len() as u8);
    for v in &vals {
        match v {
            Value::None => out.push(0),
            Value::Int(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Bytes(b) => {
                out.push(2);
                out.extend_from_slice(&(b.len() as u16).to_le_bytes());
                out.extend_from_slice(b);
            }
            Value::Sock(s) => {
                out.push(3);
                out.extend_from_slice(&s.src);
                out.extend_from_slice(&s.dst);
                out.extend_from_slice(&s.sport.to_le_bytes());
                out.extend_from_slice(&s.dport.to_le_bytes());
            }
        }
    }
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b)
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let dir = std::env::temp_dir().join(format!("casefile-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    let path = dir.join("bench.case");

    // Baseline 1: generating only.
    let t = Instant::now();
    let mut sink = 0u64;
    for ev in Synth::new(42).take(n as usize) {
        sink = sink.wrapping_add(ev.ts);
    }
    black_box(sink);
    let gen_s = t.elapsed().as_secs_f64();

    // Write.
    let t = Instant::now();
    let synth = Synth::new(42);
    let mut w = Writer::create(&path, &HeaderInfo::default(), WriterOptions::default()).expect("w");
    w.write_state(&synth.state()).expect("state");
    for ev in synth.take(n as usize) {
        w.append(&ev).expect("append");
    }
    w.finish().expect("finish");
    let write_s = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).expect("meta").len();

    // Baseline 2: naive rows + zstd.
    let mut naive_size = 0u64;
    let mut buf = Vec::with_capacity(1 << 21);
    let mut comp = zstd::bulk::Compressor::new(3).expect("zstd");
    for ev in Synth::new(42).take(n as usize) {
        naive_row(&ev, &mut buf);
        if buf.len() >= 1 << 20 {
            naive_size += comp.compress(&buf).expect("c").len() as u64;
            buf.clear();
        }
    }
    naive_size += comp.compress(&buf).expect("c").len() as u64;

    // Open + seek to the middle.
    let t = Instant::now();
    // SAFETY: the benchmark owns the file and leaves it alone while mapped.
    let cap = unsafe { CaptureFile::open_mmap(&path) }.expect("open");
    let mid = n / 2;
    let i = cap.seek_event(mid).expect("seek");
    let b = cap.read_block(i).expect("block");
    let k = (mid - b.header.first_event) as usize;
    let ev = b.events().expect("ev").nth(k).expect("nth").expect("ok");
    black_box(&ev);
    let open_seek = t.elapsed().as_secs_f64();

    // Decode everything.
    let t = Instant::now();
    let mut count = 0u64;
    let mut bytes = 0u64;
    for i in 0..cap.blocks().len() {
        let b = cap.read_block(i).expect("block");
        if !b.is_events() {
            continue;
        }
        for ev in b.events().expect("events") {
            let ev = ev.expect("event");
            count += 1;
            if let Body::Syscall(s) = &ev.body {
                bytes += s.params.len() as u64;
            }
        }
    }
    black_box(bytes);
    let read_s = t.elapsed().as_secs_f64();
    assert_eq!(count, n);

    // Baseline 3: decompression alone.
    let t = Instant::now();
    let mut raw = 0u64;
    for i in 0..cap.blocks().len() {
        let h = cap.block_header(i).expect("h");
        let e = cap.blocks()[i];
        let start = e.offset as usize + h.header_len as usize;
        let body = &cap.bytes()[start..start + h.body_len as usize];
        raw += h.decompress(body, 0).expect("d").len() as u64;
    }
    black_box(raw);
    let unzstd_s = t.elapsed().as_secs_f64();

    let nf = n as f64;
    println!(
        "events: {n}, blocks: {}, file: {size} bytes",
        cap.blocks().len()
    );
    println!(
        "{:<34} {:>14} {:>14} {:>8}",
        "measure", "casefile", "baseline", "ratio"
    );
    println!(
        "{:<34} {:>14.2} {:>14.2} {:>8}   (baseline: naive rows + zstd-3)",
        "bytes per event",
        size as f64 / nf,
        naive_size as f64 / nf,
        ratio(size as f64, naive_size as f64)
    );
    let write_only = (write_s - gen_s).max(1e-9);
    println!(
        "{:<34} {:>14.0} {:>14.0} {:>8}   (baseline: generating alone)",
        "write, events/s (generation excl.)",
        nf / write_only,
        nf / gen_s,
        ratio(nf / write_only, nf / gen_s)
    );
    println!(
        "{:<34} {:>14.0} {:>14.0} {:>8}   (baseline: zstd decompression alone)",
        "full decode, events/s",
        nf / read_s,
        nf / unzstd_s,
        ratio(nf / read_s, nf / unzstd_s)
    );
    println!(
        "{:<34} {:>14.3}",
        "open + seek to middle, ms",
        open_seek * 1e3
    );
    std::fs::remove_dir_all(&dir).ok();
}
