//! Golden fixtures: files written once by this version and kept forever, so every later
//! version proves it still reads them. A fixture is created only when missing; never rewritten.

use std::path::PathBuf;

use capture_format::schema::Event;
use capture_format::synth::Synth;
use capture_format::{CaptureFile, HeaderInfo, Reader, Writer, WriterOptions};

const EVENTS: usize = 3000;

fn dir() -> PathBuf {
    dir_of("v1")
}

fn dir_of(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/captures")
        .join(version)
}

fn header() -> HeaderInfo {
    HeaderInfo {
        created_ns: capture_format::synth::START_NS,
        hostname: "fixture-host".into(),
        kernel: "6.18.44".into(),
        boot_ns: capture_format::synth::START_NS - 86_400_000_000_000,
        cpus: 2,
        recorder: "casefile 0.1.0".into(),
        user: "root (uid 0)".into(),
        source: "synthetic".into(),
        snaplen: 80,
        ..HeaderInfo::default()
    }
}

fn expected() -> (Vec<Event<'static>>, Vec<Event<'static>>) {
    let s = Synth::new(1);
    (s.state(), s.take(EVENTS).collect())
}

fn write(finish: bool) -> Vec<u8> {
    let (state, events) = expected();
    let opts = WriterOptions {
        block_bytes: 16 << 10,
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), &header(), opts).expect("writer");
    w.write_state(&state).expect("state");
    for e in &events {
        w.append(e).expect("append");
    }
    if finish {
        w.finish().expect("finish")
    } else {
        w.flush_block().expect("flush");
        w.get_ref().clone()
    }
}

/// Creates the fixture if missing and returns its bytes.
fn fixture(name: &str, make: impl FnOnce() -> Vec<u8>, about: &str) -> Vec<u8> {
    fixture_in(&dir(), name, make, about)
}

fn fixture_in(
    d: &std::path::Path,
    name: &str,
    make: impl FnOnce() -> Vec<u8>,
    about: &str,
) -> Vec<u8> {
    let p = d.join(name);
    if !p.exists() {
        std::fs::create_dir_all(d).expect("mkdir");
        let bytes = make();
        std::fs::write(&p, &bytes).expect("write fixture");
        let txt = d.join(format!("{name}.txt"));
        std::fs::write(&txt, format!("{about}\n")).expect("write sidecar");
    }
    std::fs::read(&p).expect("read fixture")
}

fn events_of(cap: &CaptureFile) -> Vec<Event<'static>> {
    let mut out = Vec::new();
    for i in 0..cap.blocks().len() {
        let Ok(b) = cap.read_block(i) else { continue };
        if b.is_events() {
            out.extend(
                b.events()
                    .expect("events")
                    .map(|e| e.expect("event").into_owned()),
            );
        }
    }
    out
}

/// The events of every readable event block through the streaming reader, which reports a
/// damaged block once and goes on after it.
fn streamed_events(bytes: &[u8]) -> (Vec<Event<'static>>, usize) {
    let mut r = Reader::new(std::io::Cursor::new(bytes)).expect("stream");
    let (mut out, mut errors) = (Vec::new(), 0);
    while let Some(b) = r.next_block() {
        match b {
            Ok(b) if b.is_events() => {
                out.extend(b.events().expect("ev").map(|e| e.expect("e").into_owned()));
            }
            Ok(_) => {}
            Err(_) => errors += 1,
        }
        assert!(errors < 100, "the stream does not move on after errors");
    }
    (out, errors)
}

/// A damaged capture yields the same events through the mapped, the in-memory and the
/// streaming reader.
fn every_reader_agrees(name: &str, bytes: &[u8]) -> Vec<Event<'static>> {
    let path = dir().join(name);
    // SAFETY: fixtures are never modified while tests run.
    let mapped = events_of(&unsafe { CaptureFile::open_mmap(&path) }.expect("mmap"));
    let owned = events_of(&CaptureFile::from_bytes(bytes.to_vec()).expect("bytes"));
    let (streamed, _) = streamed_events(bytes);
    assert_eq!(mapped, owned, "{name}: mapped and in-memory readers differ");
    assert_eq!(streamed, owned, "{name}: streaming reader differs");
    owned
}

#[test]
fn v1_complete_capture_reads_identically_through_every_reader() {
    let bytes = fixture(
        "synthetic.case",
        || write(true),
        &format!(
            "v1 capture of {EVENTS} synthetic events (Synth seed 1: web workers, app, shell \
         commands) after a state block of 9 processes, 4 fds and 1 container; 16 KiB blocks; \
         finished (footer + trailer)."
        ),
    );
    let (state, events) = expected();
    let path = dir().join("synthetic.case");
    // SAFETY: fixtures are never modified while tests run.
    let mapped = unsafe { CaptureFile::open_mmap(&path) }.expect("mmap");
    let owned = CaptureFile::read(&path).expect("read");
    assert!(mapped.recovery().is_none());
    assert_eq!(mapped.header().info, header());
    assert_eq!(events_of(&mapped), events);
    assert_eq!(events_of(&owned), events);
    let mut r = Reader::new(std::io::Cursor::new(&bytes)).expect("stream");
    let mut streamed = Vec::new();
    let mut streamed_state = Vec::new();
    while let Some(b) = r.next_block() {
        let b = b.expect("block");
        let target = if b.is_events() {
            &mut streamed
        } else {
            &mut streamed_state
        };
        target.extend(b.events().expect("ev").map(|e| e.expect("e").into_owned()));
    }
    assert_eq!(streamed, events);
    assert_eq!(streamed_state, state);
    assert!(mapped.verify().failure.is_none());
    // The calls record schema 1 stored as raw arguments read as today's parameters (Synth
    // writes today's), and nothing else changed: the header still says version 1.
    assert_eq!(mapped.header().schema_version, 1);
}

#[test]
fn v2_complete_capture_reads_identically_and_today_writes_the_same_bytes() {
    let d = dir_of("v2");
    let bytes = fixture_in(
        &d,
        "synthetic.case",
        || write(true),
        &format!(
            "record schema 2 capture of {EVENTS} synthetic events (Synth seed 1), as v1's \
             synthetic.case: every system call decoded (no raw arguments); finished."
        ),
    );
    let (_, events) = expected();
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    assert_eq!(cap.header().schema_version, 2);
    assert_eq!(events_of(&cap), events);
    assert_eq!(streamed_events(&bytes).0, events);
    // Today's writer still produces the same bytes: the format did not drift.
    assert_eq!(
        write(true),
        bytes,
        "writer output differs from the v2 fixture"
    );
}

#[test]
fn v1_recovered_capture_yields_its_complete_blocks() {
    let bytes = fixture(
        "recovered.case",
        || {
            let b = write(false);
            let cut = b.len() - 1000;
            b[..cut].to_vec()
        },
        "v1 capture whose writer died: the synthetic.case events without footer or trailer, \
        cut 1000 bytes before the end of the last block.",
    );
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("opens");
    let rec = cap.recovery().expect("recovered");
    assert!(rec.tail_bytes > 0);
    let got = events_of(&cap);
    let (_, events) = expected();
    assert!(!got.is_empty() && got.len() < events.len());
    assert_eq!(got[..], events[..got.len()]);
    assert_eq!(every_reader_agrees("recovered.case", &bytes), got);
}

#[test]
fn v1_corrupt_middle_block_is_skipped_and_the_rest_read() {
    let bytes = fixture(
        "corrupt-middle.case",
        || {
            let mut b = write(true);
            let cap = CaptureFile::from_bytes(b.clone()).expect("open");
            let e = cap.blocks()[cap.blocks().len() / 2];
            let at = (e.offset + u64::from(e.total_len) - 7) as usize;
            b[at] ^= 0xff;
            b
        },
        "v1 capture like synthetic.case with one byte of the middle event block's body flipped.",
    );
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("opens");
    let (_, stream_errors) = streamed_events(&bytes);
    assert_eq!(
        stream_errors, 1,
        "the streaming reader reports the damaged block once"
    );
    let bad: Vec<_> = (0..cap.blocks().len())
        .filter(|&i| cap.read_block(i).is_err())
        .collect();
    assert_eq!(bad, vec![cap.blocks().len() / 2]);
    let got = events_of(&cap);
    let (_, events) = expected();
    assert_eq!(
        got.len() + cap.blocks()[bad[0]].count as usize,
        events.len()
    );
    assert_eq!(cap.verify().failure.expect("broken").block, bad[0]);
    assert_eq!(every_reader_agrees("corrupt-middle.case", &bytes), got);
}
