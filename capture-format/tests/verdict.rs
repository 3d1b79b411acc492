//! The integrity verdict, exhaustively: every single-byte change of a small sealed capture,
//! every truncation, appended bytes, anchors, and forward-secure forgeries.

use capture_format::anchor::Anchor;
use capture_format::schema::Event;
use capture_format::seal::{FsVerifyKey, Sealer};
use capture_format::synth::{START_NS, Synth};
use capture_format::verdict::{Status, Trust, judge};
use capture_format::{BlockHeader, HeaderInfo, Writer, WriterOptions};

const SEC: u64 = 1_000_000_000;

fn fmt(ns: u64) -> String {
    capture_format::verdict::format_ns(ns)
}

fn info(created_ns: u64) -> HeaderInfo {
    HeaderInfo {
        created_ns,
        hostname: "test-host".into(),
        kernel: "6.18.44".into(),
        cpus: 2,
        source: "synthetic".into(),
        ..HeaderInfo::default()
    }
}

fn tiny_blocks() -> WriterOptions {
    WriterOptions {
        block_bytes: 2048,
        ..WriterOptions::default()
    }
}

/// `batches` batches of events, batch `k` one second after batch `k-1`.
fn batches(n: usize, per: usize) -> Vec<Vec<Event<'static>>> {
    let mut s = Synth::new(5);
    (0..n)
        .map(|k| {
            (0..per)
                .map(|i| {
                    let mut e = s.next().expect("synth never ends");
                    e.ts = START_NS + k as u64 * SEC + i as u64 * 1000;
                    e
                })
                .collect()
        })
        .collect()
}

/// A capture of `batches`, a checkpoint after each (at 0.9 s into its second), and the anchors
/// the writer reported.
fn write(
    created_ns: u64,
    batches: &[Vec<Event<'static>>],
    mut sealer: impl FnMut(usize) -> Option<Sealer>,
    finish: bool,
) -> (Vec<u8>, Vec<Anchor>) {
    let mut w = Writer::new(Vec::new(), &info(created_ns), tiny_blocks()).expect("writer");
    let synth = Synth::new(5);
    w.write_state(&synth.state()).expect("state");
    let mut anchors = Vec::new();
    for (k, batch) in batches.iter().enumerate() {
        if let Some(s) = sealer(k) {
            w.set_sealer(s);
        }
        for e in batch {
            w.append(e).expect("append");
        }
        let now = START_NS + k as u64 * SEC + 900_000_000;
        anchors.push(w.checkpoint(now, now - 100_000_000).expect("checkpoint"));
    }
    if !finish {
        return (w.get_ref().clone(), anchors);
    }
    let now = START_NS + batches.len() as u64 * SEC;
    let (bytes, a) = w.finish_anchored(now).expect("finish");
    anchors.push(a);
    (bytes, anchors)
}

/// Offsets where a block (or the trailer) starts.
fn boundaries(b: &[u8]) -> Vec<usize> {
    let hl = u32::from_le_bytes([b[12], b[13], b[14], b[15]]) as usize;
    let mut out = vec![hl];
    let mut p = hl;
    while p + 100 <= b.len() {
        let Ok(h) = BlockHeader::parse(&b[p..], p as u64) else {
            break;
        };
        p += h.total_len() as usize;
        out.push(p);
    }
    out
}

fn ed25519_capture() -> (Vec<u8>, Vec<Anchor>, [u8; 32]) {
    let key = capture_format::sign::key_from_seed(&[9; 32]);
    let public = *key.verifying_key().as_bytes();
    let b = batches(3, 60);
    let (bytes, anchors) = write(
        START_NS,
        &b,
        |k| (k == 0).then(|| Sealer::ed25519(key.clone())),
        true,
    );
    (bytes, anchors, public)
}

#[test]
fn a_sealed_signed_capture_is_intact_and_every_single_byte_change_is_caught() {
    let (bytes, _, public) = ed25519_capture();
    assert!(
        bytes.len() < 20_000,
        "keep the capture small: {}",
        bytes.len()
    );
    let v = judge(&bytes, &Trust::default());
    assert_eq!(v.status, Status::Intact, "{:?}", v.lines(&fmt));
    assert_eq!(v.events, 180);
    assert!(v.seals.final_seal);
    assert_eq!(v.seals.checkpoints, 3);
    let trusted = Trust {
        pubkey: Some(&public),
        ..Trust::default()
    };
    assert_eq!(judge(&bytes, &trusted).status, Status::Intact);
    let mut caught = 0;
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0xff] {
            let mut m = bytes.clone();
            m[at] ^= flip;
            let v = judge(&m, &Trust::default());
            assert_eq!(
                v.status,
                Status::Changed,
                "byte {at} ^ {flip:#x} of {}: {:?}",
                bytes.len(),
                v.lines(&fmt)
            );
            assert_eq!(v.exit_code(), 1);
            caught += 1;
        }
    }
    assert_eq!(caught, 2 * bytes.len());
    eprintln!(
        "{caught} single-byte changes of a {}-byte capture: all caught",
        bytes.len()
    );
}

#[test]
fn truncation_is_unsealed_at_every_boundary_and_changed_with_anchors() {
    let (bytes, anchors, public) = ed25519_capture();
    let bounds = boundaries(&bytes);
    assert!(bounds.len() > 10, "{bounds:?}");
    let anchored = Trust {
        anchors: Some(&anchors),
        ..Trust::default()
    };
    assert_eq!(judge(&bytes, &anchored).status, Status::Intact);
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        let v = judge(cut, &Trust::default());
        assert_ne!(v.status, Status::Intact, "cut at {len}");
        if len >= bounds[0] {
            assert_eq!(
                v.status,
                Status::Unsealed,
                "cut at {len}: {:?}",
                v.lines(&fmt)
            );
            assert_eq!(v.exit_code(), 3);
            // The anchor log proves the file went on.
            let a = judge(cut, &anchored);
            assert_eq!(
                a.status,
                Status::Changed,
                "anchored cut at {len}: {:?}",
                a.lines(&fmt)
            );
        }
        if bounds.contains(&len) && len > bounds[1] {
            // Signed through a time: the checkpoints before the cut verify.
            let t = Trust {
                pubkey: Some(&public),
                ..Trust::default()
            };
            let s = judge(cut, &t);
            if s.seals.checkpoints > 0 {
                assert_eq!(s.status, Status::Unsealed, "{:?}", s.lines(&fmt));
                assert!(s.lines(&fmt).iter().any(|l| l.contains("sealed through")));
            }
        }
    }
}

#[test]
fn appended_bytes_and_a_wrong_key_are_changes() {
    let (bytes, _, _) = ed25519_capture();
    for extra in [1usize, 55, 56, 5000] {
        let mut m = bytes.clone();
        m.extend((0..extra).map(|i| (i * 31 + 7) as u8));
        let v = judge(&m, &Trust::default());
        assert_eq!(v.status, Status::Changed, "+{extra}: {:?}", v.lines(&fmt));
    }
    // A copy of the trailer appended (so the file still ends in one).
    let mut m = bytes.clone();
    m.extend_from_slice(&bytes[bytes.len() - 56..]);
    assert_eq!(judge(&m, &Trust::default()).status, Status::Changed);
    let other = [3u8; 32];
    let v = judge(
        &bytes,
        &Trust {
            pubkey: Some(&other),
            ..Trust::default()
        },
    );
    assert_eq!(v.status, Status::Changed);
    // An unsigned file with a trusted key asked for.
    let (plain, _) = write(START_NS, &batches(2, 10), |_| None, true);
    assert_eq!(judge(&plain, &Trust::default()).status, Status::Intact);
    let v = judge(
        &plain,
        &Trust {
            pubkey: Some(&other),
            ..Trust::default()
        },
    );
    assert_eq!(v.status, Status::Changed, "{:?}", v.lines(&fmt));
    assert!(
        v.lines(&fmt)[0].contains("NOT signed"),
        "{:?}",
        v.lines(&fmt)
    );
}

#[test]
fn an_anchor_log_of_another_file_cannot_judge() {
    let (bytes, _, _) = ed25519_capture();
    let (_, other) = write(START_NS + 1, &batches(1, 5), |_| None, true);
    let v = judge(
        &bytes,
        &Trust {
            anchors: Some(&other),
            ..Trust::default()
        },
    );
    assert_eq!(v.status, Status::Unreadable, "{:?}", v.lines(&fmt));
}

fn fs_key() -> FsVerifyKey {
    FsVerifyKey::from_text(&format!(
        "casefile-fss-verify-v1 start={START_NS} epoch={SEC} key={}\n",
        "ab".repeat(32)
    ))
    .expect("key")
}

#[test]
fn forward_secure_seals_verify_and_truncations_say_sealed_through() {
    let vk = fs_key();
    let b = batches(8, 20);
    let (bytes, _) = write(
        START_NS,
        &b,
        |k| (k == 0).then(|| Sealer::forward_secure(vk.sealing_key())),
        true,
    );
    let trust = Trust {
        fs_key: Some(&vk),
        ..Trust::default()
    };
    let v = judge(&bytes, &trust);
    assert_eq!(v.status, Status::Intact, "{:?}", v.lines(&fmt));
    assert_eq!(v.seals.last_epoch, Some(7));
    assert!(v.seals.trusted && v.seals.final_trusted);
    // Every cut at a block boundary: unsealed, sealed through the last checkpoint before it,
    // which is never more than one epoch before the cut's last event.
    let first_checkpoint = boundaries(&bytes)
        .into_iter()
        .find(|&p| p + 100 <= bytes.len() && bytes[p + 4] == 5)
        .expect("a checkpoint");
    for &len in &boundaries(&bytes) {
        if len >= bytes.len() - 56 || len <= first_checkpoint {
            // Before the first checkpoint nothing is sealed: a trusted key then fails it.
            if len <= first_checkpoint {
                assert_eq!(judge(&bytes[..len], &trust).status, Status::Changed);
            }
            continue;
        }
        let v = judge(&bytes[..len], &trust);
        assert_eq!(
            v.status,
            Status::Unsealed,
            "cut at {len}: {:?}",
            v.lines(&fmt)
        );
        if let (Some((_, through, _)), Some(last)) = (v.seals.last, v.last_event) {
            assert!(
                last <= through + SEC,
                "cut at {len}: through {through}, last {last}"
            );
        }
    }
    // A key of another sequence cannot judge it.
    let other = FsVerifyKey::from_text(&format!(
        "casefile-fss-verify-v1 start={START_NS} epoch={SEC} key={}\n",
        "cd".repeat(32)
    ))
    .expect("key");
    let v = judge(
        &bytes,
        &Trust {
            fs_key: Some(&other),
            ..Trust::default()
        },
    );
    assert_eq!(v.status, Status::Unreadable, "{:?}", v.lines(&fmt));
    assert!(
        v.lines(&fmt)[0].contains("not this recording's"),
        "{:?}",
        v.lines(&fmt)
    );
}

#[test]
fn holding_a_later_epoch_key_cannot_forge_an_earlier_change() {
    let vk = fs_key();
    let trust = Trust {
        fs_key: Some(&vk),
        ..Trust::default()
    };
    let original = batches(16, 20);
    // The attacker takes the host in epoch 15: it holds k[15] and the events, and changes one
    // event of epoch 3.
    let mut stolen = vk.sealing_key();
    stolen.advance(START_NS + 15 * SEC).expect("step");
    assert_eq!(stolen.epoch, 15);
    let stolen_text = stolen.to_text();
    let thief = || {
        Sealer::forward_secure(
            capture_format::seal::FsSealingKey::from_text(&stolen_text, None).expect("key"),
        )
    };
    let mut forged = original.clone();
    forged[3][4].ts += 1;

    // 1. Re-seal everything with k[15]: its records are sealed 15 epochs after their time.
    let (f1, _) = write(START_NS, &forged, |k| (k == 0).then(thief), true);
    let v = judge(&f1, &trust);
    assert_eq!(v.status, Status::Changed, "{:?}", v.lines(&fmt));
    // 2. Also claim the file began in epoch 15: its records are sealed far too late.
    let (f2, _) = write(START_NS + 15 * SEC, &forged, |k| (k == 0).then(thief), true);
    let v = judge(&f2, &trust);
    assert_eq!(v.status, Status::Changed, "{:?}", v.lines(&fmt));
    assert!(
        v.lines(&fmt)[0].contains("re-sealed"),
        "{:?}",
        v.lines(&fmt)
    );
    // 3. Keep the honest prefix (sealed through epoch 2) and re-seal from the change on.
    let (f3, _) = write(
        START_NS,
        &forged,
        |k| match k {
            0 => Some(Sealer::forward_secure(vk.sealing_key())),
            3 => Some(thief()),
            _ => None,
        },
        true,
    );
    let v = judge(&f3, &trust);
    assert_eq!(v.status, Status::Changed, "{:?}", v.lines(&fmt));
    assert!(
        v.lines(&fmt)[0].contains("re-sealed"),
        "{:?}",
        v.lines(&fmt)
    );
    // 4. Keep the honest checkpoints' bytes: the chain they seal no longer matches.
    let (honest, _) = write(
        START_NS,
        &original,
        |k| (k == 0).then(|| Sealer::forward_secure(vk.sealing_key())),
        true,
    );
    assert_eq!(judge(&honest, &trust).status, Status::Intact);
    let (f4, _) = write(
        START_NS,
        &forged,
        |k| (k == 0).then(|| Sealer::forward_secure(vk.sealing_key())),
        true,
    );
    // (Only possible with k[3]; without it the checkpoint of epoch 3 cannot be recomputed,
    // so splice the honest checkpoint into the forged chain.)
    let splice = splice_checkpoints(&f4, &honest);
    let v = judge(&splice, &trust);
    assert_eq!(v.status, Status::Changed, "{:?}", v.lines(&fmt));
    // What k[15] may do: seal epoch 15 itself, as the recorder would.
    let mut fine = original.clone();
    fine[15][0].ts += 1;
    let (f5, _) = write(
        START_NS,
        &fine,
        |k| match k {
            0 => Some(Sealer::forward_secure(vk.sealing_key())),
            15 => Some(thief()),
            _ => None,
        },
        true,
    );
    assert_eq!(judge(&f5, &trust).status, Status::Intact);
}

/// The forged file with each checkpoint body replaced by the honest file's (same lengths).
fn splice_checkpoints(forged: &[u8], honest: &[u8]) -> Vec<u8> {
    let mut out = forged.to_vec();
    let cps = |b: &[u8]| {
        boundaries(b)
            .into_iter()
            .filter(|&p| p + 100 <= b.len() && b[p + 4] == 5)
            .collect::<Vec<_>>()
    };
    for (f, h) in cps(forged).into_iter().zip(cps(honest)) {
        let hh = BlockHeader::parse(&honest[h..], h as u64).expect("header");
        let len = hh.total_len() as usize;
        // Keep the forged block's header (its link) but the honest body and hash.
        out[f + 48..f + 64].copy_from_slice(&honest[h + 48..h + 64]);
        out[f + 100..f + len].copy_from_slice(&honest[h + 100..h + len]);
        let crc = crc32(&out[f..f + 96]);
        out[f + 96..f + 100].copy_from_slice(&crc.to_le_bytes());
    }
    out
}

fn crc32(b: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &x in b {
        crc ^= u32::from(x);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An aggregator that writes a few bytes derived from the block's events.
struct Counting(Vec<u8>);

impl capture_format::BlockAggregator for Counting {
    fn state(&mut self, _: &[Event<'_>]) {}
    fn event(&mut self, ev: &Event<'_>) {
        self.0.extend_from_slice(&ev.ts.to_le_bytes()[..2]);
    }
    fn finish_block(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

#[test]
fn aggregates_blocks_are_accounted_for_like_any_block() {
    let batch = batches(2, 60);
    let mut w = Writer::new(Vec::new(), &info(START_NS), tiny_blocks()).expect("writer");
    w.set_aggregator(Box::new(Counting(Vec::new())));
    w.write_state(&Synth::new(5).state()).expect("state");
    for ev in batch.iter().flatten() {
        w.append(ev).expect("append");
    }
    let bytes = w.finish().expect("finish");
    let cap = capture_format::CaptureFile::from_bytes(bytes.clone()).expect("open");
    let aggs: Vec<usize> = (0..cap.blocks().len())
        .filter(|&i| cap.blocks()[i].block_type == capture_format::BlockType::Aggregates)
        .collect();
    assert!(aggs.len() >= 2, "{} aggregates blocks", aggs.len());
    // Each follows its events block and reads back through it.
    for &i in &aggs {
        let raw = cap.aggregates(i - 1).expect("reads").expect("present");
        assert!(!raw.is_empty() && raw.len().is_multiple_of(2));
    }
    assert_eq!(cap.aggregates(aggs[0]).expect("not events"), None);
    assert_eq!(cap.event_count(), 120);
    assert_eq!(
        cap.seek_event(119).map(|i| cap.blocks()[i].block_type),
        Some(capture_format::BlockType::Events)
    );
    let v = judge(&bytes, &Trust::default());
    assert_eq!(v.status, Status::Intact, "{:?}", v.lines(&fmt));
    assert_eq!(v.events, 120);
    // Every byte of every block before the footer is covered: a change there is caught.
    // (Past it, an unsigned file whose trailer is changed reads as one cut short: unsealed.)
    let t = bytes.len() - 56;
    let footer = u64::from_le_bytes(bytes[t..t + 8].try_into().expect("8")) as usize;
    for at in 0..footer {
        let mut m = bytes.clone();
        m[at] ^= 0x01;
        assert_eq!(
            judge(&m, &Trust::default()).status,
            Status::Changed,
            "byte {at}"
        );
    }
    // A cut at any block boundary before the footer is unsealed, never intact.
    let bounds = boundaries(&bytes);
    for &cut in &bounds[..bounds.len() - 2] {
        assert_eq!(
            judge(&bytes[..cut], &Trust::default()).status,
            Status::Unsealed,
            "cut at {cut}"
        );
    }
    // Removing one aggregates block breaks the chain.
    let e = cap.blocks()[aggs[0]];
    let mut removed = bytes[..e.offset as usize].to_vec();
    removed.extend_from_slice(&bytes[(e.offset + u64::from(e.total_len)) as usize..]);
    assert_eq!(judge(&removed, &Trust::default()).status, Status::Changed);
}
