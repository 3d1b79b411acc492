//! Round trips, crash recovery, corruption and bad input, through every reader.

use std::borrow::Cow;
use std::io::Cursor;
use std::time::Duration;

use capture_format::schema::{Body, Event, Loss, Process, Sock, Syscall, Value, l4};
use capture_format::synth::Synth;
use capture_format::{CaptureFile, ErrorKind, HeaderInfo, Reader, Writer, WriterOptions};
use proptest::prelude::*;

fn info() -> HeaderInfo {
    HeaderInfo {
        created_ns: 1,
        hostname: "test-host".into(),
        kernel: "6.18.44".into(),
        cpus: 2,
        source: "synthetic".into(),
        ..HeaderInfo::default()
    }
}

fn small_blocks() -> WriterOptions {
    WriterOptions {
        block_bytes: 4096,
        ..WriterOptions::default()
    }
}

/// Writes the synthetic state and `n` events into memory.
fn synth_capture(n: usize, opts: WriterOptions, finish: bool) -> (Vec<u8>, Vec<Event<'static>>) {
    let synth = Synth::new(7);
    let state = synth.state();
    let events: Vec<_> = synth.take(n).collect();
    let mut w = Writer::new(Vec::new(), &info(), opts).expect("writer");
    w.write_state(&state).expect("state");
    for e in &events {
        w.append(e).expect("append");
    }
    let bytes = if finish {
        w.finish().expect("finish")
    } else {
        w.flush_block().expect("flush");
        w.get_ref().clone()
    };
    (bytes, events)
}

/// Every event of every event block, through the random-access reader.
fn read_all(cap: &CaptureFile) -> Vec<Event<'static>> {
    let mut out = Vec::new();
    for i in 0..cap.blocks().len() {
        let b = cap.read_block(i).expect("block");
        if !b.is_events() {
            continue;
        }
        for e in b.events().expect("events") {
            out.push(e.expect("event").into_owned());
        }
    }
    out
}

/// Every event through the streaming reader.
fn stream_all(bytes: &[u8]) -> (Vec<Event<'static>>, bool) {
    let mut r = Reader::new(Cursor::new(bytes)).expect("reader");
    let mut out = Vec::new();
    while let Some(b) = r.next_block() {
        let b = b.expect("block");
        if !b.is_events() {
            continue;
        }
        for e in b.events().expect("events") {
            out.push(e.expect("event").into_owned());
        }
    }
    (out, r.recovered())
}

#[test]
fn every_reader_yields_the_events_written() {
    let (bytes, events) = synth_capture(20_000, small_blocks(), true);
    let dir = tempdir();
    let path = dir.join("t.case");
    std::fs::write(&path, &bytes).expect("write");
    // SAFETY: the test owns the file and does not modify it while mapped.
    let mapped = unsafe { CaptureFile::open_mmap(&path) }.expect("mmap");
    let in_mem = CaptureFile::from_bytes(bytes.clone()).expect("bytes");
    assert!(mapped.recovery().is_none());
    assert_eq!(read_all(&mapped), events);
    assert_eq!(read_all(&in_mem), events);
    let (streamed, recovered) = stream_all(&bytes);
    assert_eq!(streamed, events);
    assert!(!recovered);
    assert_eq!(mapped.event_count(), 20_000);
    assert!(mapped.blocks().len() > 10, "small blocks make many blocks");
    // A mapped block leaves the resident set once read; read again (backwards, so that pages
    // shared with a released neighbour come back too), it holds the same events.
    assert_eq!(read_all(&mapped), events);
    let again: Vec<Vec<u8>> = (0..mapped.blocks().len())
        .rev()
        .map(|i| mapped.read_block(i).expect("block").raw)
        .collect();
    let first: Vec<Vec<u8>> = (0..in_mem.blocks().len())
        .rev()
        .map(|i| in_mem.read_block(i).expect("block").raw)
        .collect();
    assert_eq!(again, first);
}

#[test]
fn state_block_comes_first_and_tables_hold_containers_and_execs() {
    let (bytes, events) = synth_capture(5_000, small_blocks(), true);
    let cap = CaptureFile::from_bytes(bytes).expect("open");
    assert_eq!(cap.keyframe_for(cap.blocks().len() - 1), Some(0));
    let state = cap.read_block(0).expect("state");
    assert!(!state.is_events());
    let tables = cap.tables().expect("tables");
    let containers = tables
        .iter()
        .filter(|e| matches!(e.body, Body::Container(_)))
        .count();
    let execs_written = events
        .iter()
        .filter(|e| matches!(e.body, Body::Exec(_)))
        .count();
    let execs = tables
        .iter()
        .filter(|e| matches!(e.body, Body::Exec(_)))
        .count();
    assert_eq!(containers, 1);
    assert_eq!(execs, execs_written);
    assert!(execs > 0);
}

#[test]
fn seek_by_time_and_event_number_lands_in_the_right_block() {
    let (bytes, events) = synth_capture(30_000, small_blocks(), true);
    let cap = CaptureFile::from_bytes(bytes).expect("open");
    for &n in &[0u64, 1, 12_345, 29_999] {
        let i = cap.seek_event(n).expect("found");
        let b = cap.read_block(i).expect("block");
        let k = (n - b.header.first_event) as usize;
        let ev = b
            .events()
            .expect("events")
            .nth(k)
            .expect("in block")
            .expect("ok")
            .into_owned();
        assert_eq!(ev, events[n as usize]);
    }
    assert_eq!(cap.seek_event(30_000), None);
    let target = events[20_000].ts;
    let i = cap.seek_time(target).expect("found");
    let b = cap.read_block(i).expect("block");
    assert!(b.header.first_ts <= target && target <= b.header.last_ts);
    assert_eq!(cap.seek_time(u64::MAX), None);
}

#[test]
fn a_writer_that_died_leaves_every_complete_block_readable() {
    let (bytes, events) = synth_capture(20_000, small_blocks(), false);
    // Cut the file at many points, as a crash would.
    let full = CaptureFile::from_bytes(bytes.clone()).expect("unfinished file opens");
    let rec = full.recovery().expect("no footer means recovered");
    assert!(
        rec.reason.contains("writer did not finish"),
        "{}",
        rec.reason
    );
    assert_eq!(read_all(&full), events);
    for cut in [
        bytes.len() - 1,
        bytes.len() * 2 / 3,
        bytes.len() / 2 + 17,
        300,
    ] {
        let cap = CaptureFile::from_bytes(bytes[..cut].to_vec()).expect("opens");
        assert!(cap.recovery().is_some());
        let got = read_all(&cap);
        assert_eq!(
            got[..],
            events[..got.len()],
            "a prefix of the events, cut at {cut}"
        );
        let (streamed, recovered) = stream_all(&bytes[..cut]);
        assert_eq!(streamed, got);
        assert!(recovered);
        // Everything before the last complete block is there: the loss is at most one block.
        let last_block_events = 4096; // generous bound for a 4 KiB block
        assert!(
            got.len() + last_block_events >= (events.len() * cut / bytes.len()).saturating_sub(200),
            "cut {cut}: {} of {} events",
            got.len(),
            events.len()
        );
    }
}

#[test]
fn a_corrupt_block_in_the_middle_is_reported_and_skipped() {
    let (mut bytes, events) = synth_capture(20_000, small_blocks(), true);
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    let victim = cap.blocks().len() / 2;
    let e = cap.blocks()[victim];
    let victim_events = e.count as usize;
    // Flip a byte in the body.
    let at = (e.offset + u64::from(e.total_len) - 10) as usize;
    bytes[at] ^= 0x40;
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    let mut got = 0usize;
    let mut errors = Vec::new();
    for i in 0..cap.blocks().len() {
        match cap.read_block(i) {
            Ok(b) if b.is_events() => got += b.events().expect("ev").count(),
            Ok(_) => {}
            Err(e) => errors.push((i, e)),
        }
    }
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, victim);
    assert!(
        matches!(errors[0].1.kind, ErrorKind::Checksum { .. }),
        "{}",
        errors[0].1
    );
    assert_eq!(got + victim_events, events.len());
    let v = cap.verify();
    assert_eq!(v.failure.expect("verify notices").block, victim);

    // The streaming reader reports it once and goes on.
    let mut r = Reader::new(Cursor::new(&bytes)).expect("reader");
    let (mut ok, mut bad) = (0, 0);
    while let Some(b) = r.next_block() {
        match b {
            Ok(b) if b.is_events() => ok += b.events().expect("ev").count(),
            Ok(_) => {}
            Err(_) => bad += 1,
        }
    }
    assert_eq!((ok + victim_events, bad), (events.len(), 1));
}

#[test]
fn a_corrupt_block_header_in_an_unfinished_file_is_skipped_by_resync() {
    let (mut bytes, events) = synth_capture(20_000, small_blocks(), false);
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    let victim = cap.blocks()[5];
    bytes[victim.offset as usize + 20] ^= 1;
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    assert_eq!(cap.damage().len(), 1, "damage reported");
    assert_eq!(cap.damage()[0].offset, victim.offset);
    let got = read_all(&cap);
    assert_eq!(got.len() + victim.count as usize, events.len());
    let mut r = Reader::new(Cursor::new(&bytes)).expect("reader");
    let (mut ok, mut bad) = (0, 0);
    while let Some(b) = r.next_block() {
        match b {
            Ok(b) if b.is_events() => ok += b.events().expect("ev").count(),
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.offset, victim.offset);
                bad += 1;
            }
        }
    }
    assert_eq!((ok, bad), (got.len(), 1));
}

#[test]
fn unchanged_files_verify_and_any_flipped_byte_is_detected() {
    let (bytes, _) = synth_capture(3_000, small_blocks(), true);
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    let v = cap.verify();
    assert!(v.failure.is_none(), "{v:?}");
    assert!(v.sealed);
    let step = bytes.len() / 97;
    for at in (0..bytes.len()).step_by(step.max(1)) {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let detected = match CaptureFile::from_bytes(b) {
            Err(_) => true,
            Ok(c) => {
                c.verify().failure.is_some() || c.recovery().is_some() || !c.damage().is_empty()
            }
        };
        assert!(detected, "flip at byte {at} went unnoticed");
    }
}

#[test]
fn bad_inputs_are_clear_errors_naming_file_and_offset() {
    let dir = tempdir();
    let cases: &[(&str, Vec<u8>, &str)] = &[
        ("empty.case", vec![], "at byte 0: truncated"),
        (
            "zip.case",
            b"PK\x03\x04 this is a zip file, honest".to_vec(),
            "not a casefile capture",
        ),
        ("short.case", b"CASEFILE\x01\x00".to_vec(), "truncated"),
        (
            "future.case",
            {
                let mut h = info().encode();
                h[8] = 9;
                h
            },
            "at byte 8: format version 9 is not supported",
        ),
        (
            "huge.case",
            {
                let mut h = info().encode();
                h[12..16].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
                h
            },
            "at byte 12: invalid length in file header",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write");
        let e = CaptureFile::read(&p).expect_err(name);
        let msg = e.to_string();
        assert!(msg.contains(name), "{msg}");
        assert!(msg.contains(want), "{name}: {msg}");
    }
}

#[test]
fn absurd_block_lengths_do_not_allocate_or_panic() {
    let (mut bytes, _) = synth_capture(1_000, small_blocks(), false);
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    let b = cap.blocks()[1];
    // Declare a 4 GiB raw length and fix the header CRC so only the limit catches it.
    let off = b.offset as usize;
    bytes[off + 12..off + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    let hl = u16::from_le_bytes([bytes[off + 6], bytes[off + 7]]) as usize;
    let crc = crc32fast_hash(&bytes[off..off + hl - 4]);
    bytes[off + hl - 4..off + hl].copy_from_slice(&crc.to_le_bytes());
    let cap = CaptureFile::from_bytes(bytes).expect("opens around it");
    assert!(
        cap.damage()
            .iter()
            .any(|e| matches!(e.kind, ErrorKind::InvalidLength { .. }))
    );
}

fn crc32fast_hash(b: &[u8]) -> u32 {
    // IEEE CRC-32, bitwise; the test does not trust the crate's own use of crc32fast.
    let mut crc = 0xffff_ffffu32;
    for &byte in b {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn old_blocks_are_flushed_by_tick() {
    let opts = WriterOptions {
        max_age: Duration::from_millis(30),
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), &info(), opts).expect("writer");
    let ev = Synth::new(1).next().expect("event");
    w.append(&ev).expect("append");
    w.tick().expect("tick");
    assert_eq!(w.stats().blocks, 0, "young block stays in memory");
    std::thread::sleep(Duration::from_millis(40));
    w.tick().expect("tick");
    assert_eq!(w.stats().blocks, 1, "block older than max_age is written");
}

#[test]
fn blocks_stay_near_the_size_limit() {
    let (bytes, _) = synth_capture(50_000, WriterOptions::default(), true);
    let cap = CaptureFile::from_bytes(bytes).expect("open");
    for e in cap.blocks() {
        assert!(
            e.raw_len < (1 << 20) + 4096,
            "raw block of {} bytes",
            e.raw_len
        );
    }
}

#[cfg(unix)]
#[test]
fn capture_files_are_created_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let p = dir.join("secret.case");
    let w = Writer::create(&p, &info(), WriterOptions::default()).expect("create");
    w.finish().expect("finish");
    let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn unknown_record_kinds_are_kept_not_fatal() {
    let ev = Event {
        ts: 5,
        tid: 1,
        pid: 1,
        cpu: 0,
        container: 0,
        body: Body::Unknown {
            kind: 200,
            values: vec![Value::Int(3), Value::Bytes(Cow::Borrowed(b"x"))],
        },
    };
    let mut w = Writer::new(Vec::new(), &info(), WriterOptions::default()).expect("w");
    w.append(&ev).expect("a");
    let cap = CaptureFile::from_bytes(w.finish().expect("f")).expect("open");
    assert_eq!(read_all(&cap), vec![ev.into_owned()]);
}

// ---------------------------------------------------------------------------------------------
// property: arbitrary event sequences round-trip

fn arb_value() -> impl Strategy<Value = Value<'static>> {
    prop_oneof![
        Just(Value::None),
        any::<i64>().prop_map(Value::Int),
        proptest::collection::vec(any::<u8>(), 0..100).prop_map(|v| Value::Bytes(Cow::Owned(v))),
        (
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<[u8; 4]>(),
            any::<u16>()
        )
            .prop_map(|(a, p, b, q)| Value::Sock(Sock::v4(l4::TCP, a, p, b, q))),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(a, p)| Value::Sock(Sock {
            family: capture_format::schema::af::INET6,
            proto: l4::UDP,
            src: a,
            sport: p,
            dst: a,
            dport: p,
        })),
    ]
}

fn arb_body() -> impl Strategy<Value = Body<'static>> {
    prop_oneof![
        (
            any::<u16>(),
            any::<i64>(),
            any::<u64>(),
            proptest::collection::vec(arb_value(), 0..9)
        )
            .prop_map(|(nr, ret, latency, p)| Body::Syscall(Syscall {
                nr,
                ret,
                latency,
                params: p.into_iter().collect()
            })),
        (
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(tid, uid, args)| Body::Exec(Process {
                tid,
                pid: tid,
                uid,
                args: Cow::Owned(args),
                ns: [1, 2, 3, 4, 5, 6, 7],
                ..Process::default()
            })),
        (any::<u16>(), any::<u64>(), any::<u64>()).prop_map(|(cpu, count, from)| Body::Loss(
            Loss {
                cpu,
                count,
                from,
                to: from
            }
        )),
    ]
}

fn arb_event() -> impl Strategy<Value = Event<'static>> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u32>(),
        arb_body(),
    )
        .prop_map(|(ts, tid, pid, cpu, container, body)| Event {
            ts,
            tid,
            pid,
            cpu,
            container,
            body,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_events_round_trip(events in proptest::collection::vec(arb_event(), 0..300),
                                   block in 256usize..20_000) {
        let opts = WriterOptions { block_bytes: block, ..WriterOptions::default() };
        let mut w = Writer::new(Vec::new(), &info(), opts).expect("w");
        for e in &events {
            w.append(e).expect("append");
        }
        let bytes = w.finish().expect("finish");
        let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
        prop_assert_eq!(&read_all(&cap), &events);
        prop_assert_eq!(&stream_all(&bytes).0, &events);
        prop_assert!(cap.verify().failure.is_none());
    }

    #[test]
    fn random_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut with_magic = info().encode();
        with_magic.extend_from_slice(&bytes);
        for input in [bytes, with_magic] {
            if let Ok(cap) = CaptureFile::from_bytes(input.clone()) {
                for i in 0..cap.blocks().len() {
                    if let Ok(b) = cap.read_block(i)
                        && let Ok(d) = b.events() { d.for_each(drop); }
                }
                let _ = cap.verify();
                let _ = cap.tables();
            }
            if let Ok(mut r) = Reader::new(Cursor::new(&input)) {
                while let Some(b) = r.next_block() {
                    if let Ok(b) = b && let Ok(d) = b.events() { d.for_each(drop); }
                }
            }
        }
    }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "capfmt-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}

#[test]
fn signed_captures_verify_and_a_changed_byte_breaks_the_signature_or_chain() {
    let key = capture_format::sign::key_from_seed(&[7; 32]);
    let mut w = Writer::new(Vec::new(), &info(), small_blocks()).expect("w");
    for e in Synth::new(3).take(2000) {
        w.append(&e).expect("append");
    }
    let bytes = w.finish_signed(&key).expect("finish");
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    let sig = cap.signature().expect("signed");
    assert_eq!(&sig.public_key, key.verifying_key().as_bytes());
    assert!(cap.recovery().is_none());
    assert!(cap.verify().failure.is_none());
    assert_eq!(read_all(&cap).len(), 2000);
    // A forged signature (valid block, wrong bytes) is caught by verify.
    let mut forged = bytes.clone();
    let sig_at = bytes.len() - 56 - 64 + 3;
    forged[sig_at] ^= 1;
    let hl_start = bytes.len() - 56 - 104 - (96 + 4);
    // Recompute the body hash and CRC of the signature block so only the signature is wrong.
    let body = forged[hl_start + 100..bytes.len() - 56].to_vec();
    let h = blake3::hash(&body);
    forged[hl_start + 48..hl_start + 64].copy_from_slice(&h.as_bytes()[..16]);
    let crc = crc32fast_hash(&forged[hl_start..hl_start + 96]);
    forged[hl_start + 96..hl_start + 100].copy_from_slice(&crc.to_le_bytes());
    let cap = CaptureFile::from_bytes(forged).expect("open");
    let f = cap.verify().failure.expect("forgery detected");
    assert!(f.what.contains("signature"), "{}", f.what);
}

#[test]
fn a_refused_reservation_drops_the_block_and_still_ends_in_a_sealed_file() {
    use std::sync::{Arc, Mutex};
    // A "disk" of 60 KiB: the reserve check refuses anything that would end beyond it.
    const DISK: u64 = 60 << 10;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let mut w = Writer::new(Vec::new(), &info(), small_blocks()).expect("w");
    w.set_reserve(Box::new(move |offset, len| {
        log.lock().expect("lock").push((offset, len));
        if offset + len > DISK {
            Err(std::io::ErrorKind::StorageFull.into())
        } else {
            Ok(())
        }
    }));
    let synth = Synth::new(11);
    w.write_state(&synth.state()).expect("state");
    let mut refused = None;
    for (i, e) in synth.take(50_000).enumerate() {
        if let Err(e) = w.append(&e) {
            assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e}");
            refused = Some(i);
            break;
        }
    }
    assert!(refused.is_some(), "the disk never filled");
    assert!(w.is_full());
    let dropped = w.stats().dropped;
    let written = w.stats().events;
    assert!(dropped > 0);
    // Further writes are refused the same way, and nothing more is written.
    let next = Synth::new(12).take(1).next().expect("event");
    let e = w.append(&next).expect_err("full");
    assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
    let key = capture_format::sign::key_from_seed(&[9; 32]);
    let bytes = w.finish_signed(&key).expect("finish");
    assert!(
        bytes.len() as u64 <= DISK,
        "{} bytes: the footer did not fit in the reserve",
        bytes.len()
    );
    let cap = CaptureFile::from_bytes(bytes).expect("open");
    assert!(cap.recovery().is_none(), "no footer");
    assert!(cap.verify().failure.is_none());
    assert!(cap.signature().is_some());
    assert_eq!(cap.event_count(), written);
    assert_eq!(read_all(&cap).len() as u64, written);
    // The footer's times and tables hold only what the blocks hold.
    let (_, last) = cap.time_range().expect("times");
    assert_eq!(
        last,
        read_all(&cap).iter().map(|e| e.ts).max().expect("events")
    );
    let tables = cap.tables().expect("tables");
    assert!(
        tables
            .iter()
            .all(|t| t.ts <= last || matches!(t.body, Body::Process(_)))
    );
    // Every block was checked with room for itself and the footer.
    assert!(asked.lock().expect("lock").len() as u64 >= cap.blocks().len() as u64);
}

/// Notes blocks (type 7) added while writing read back in order from a finished file and from
/// one whose writer died; the file verifies, readers of events see the same events, and a
/// notes block's header is byte for byte what a reader that does not know the type parses as
/// an unknown block (with a summary), so older readers skip it.
#[test]
fn notes_written_while_writing_read_back_and_older_readers_skip_them() {
    let synth = Synth::new(9);
    let state = synth.state();
    let events: Vec<_> = synth.take(3_000).collect();
    let mut w = Writer::new(Vec::new(), &info(), small_blocks()).expect("writer");
    w.write_state(&state).expect("state");
    for e in &events[..1_000] {
        w.append(e).expect("append");
    }
    w.write_notes(&[(14, b"first".to_vec()), (900, b"other".to_vec())])
        .expect("notes");
    for e in &events[1_000..2_000] {
        w.append(e).expect("append");
    }
    w.write_notes(&[(14, b"second".to_vec())]).expect("notes");
    w.flush_block().expect("flush");
    let unfinished = w.get_ref().clone();
    for e in &events[2_000..] {
        w.append(e).expect("append");
    }
    let bytes = w.finish().expect("finish");
    let want = vec![
        (14u16, b"first".to_vec()),
        (900, b"other".to_vec()),
        (14, b"second".to_vec()),
    ];
    let cap = CaptureFile::from_bytes(bytes.clone()).expect("open");
    assert!(cap.recovery().is_none());
    assert_eq!(cap.notes().expect("notes"), want);
    assert_eq!(read_all(&cap), events);
    assert_eq!(stream_all(&bytes).0, events);
    let v = cap.verify();
    assert!(v.failure.is_none() && v.sealed, "{v:?}");
    let crashed = CaptureFile::from_bytes(unfinished).expect("open");
    assert!(crashed.recovery().is_some());
    assert_eq!(crashed.notes().expect("notes"), want);
    assert!(crashed.verify().failure.is_none());
    // The header an older reader parses: type 7 unknown to it, everything else the same.
    let i = (0..cap.blocks().len())
        .find(|&i| cap.blocks()[i].block_type == capture_format::BlockType::Notes)
        .expect("a notes block");
    let h = cap.block_header(i).expect("header");
    let unknown = capture_format::BlockHeader {
        block_type: capture_format::BlockType::Unknown(7),
        ..h.clone()
    };
    assert_eq!(unknown.encode(), h.encode());
    let off = cap.blocks()[i].offset;
    let again = capture_format::BlockHeader::parse(&bytes[off as usize..], off).expect("parse");
    assert_eq!(again, h);
}
