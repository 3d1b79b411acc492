//! Tests of the index's aggregates: what they answer equals a replay.

use std::path::Path;

use capture_format::BlockType;

use crate::replay::session::Session;
use crate::views::eval::Control;
use crate::views::overview::Totals;

use capture_format::{CaptureFile, WriterOptions};

use super::*;
use crate::replay::session::Options;
use crate::replay::testutil::rewrite;
use crate::views::eval::run_view;
use crate::views::overview::{run_overview, run_overview_with};

/// A copy of `cap` written with aggregates, in blocks of about `block_bytes`.
fn with_aggregates(cap: &CaptureFile, block_bytes: usize) -> CaptureFile {
    let info = cap.header().info.clone();
    rewrite(
        cap,
        block_bytes,
        Box::new(Aggregator::new(&info).expect("aggregator")),
    )
}

fn session(cap: &CaptureFile, from: Option<u64>, to: Option<u64>) -> Session {
    let opts = Options {
        from,
        to,
        ..Options::default()
    };
    Session::new(cap.clone(), opts).expect("session")
}

fn captures() -> Vec<(String, CaptureFile)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for (name, p) in [
        ("synth", crate::replay::testutil::synth_fixture()),
        ("state", crate::replay::testutil::state_fixture()),
        ("views", crate::views::tests::fixture()),
    ] {
        out.push((name.to_owned(), CaptureFile::read(&p).expect("open")));
    }
    out.push(("sendfile".to_owned(), sendfile_capture()));
    for scap in ["falco_run_as_user_0_container.scap", "curl_google.scap"] {
        let cap =
            crate::cmd::import::in_memory(&root.join("fixtures/scap").join(scap)).expect("import");
        out.push((scap.to_owned(), cap));
    }
    out
}

/// busybox `cat FILE > /dev/null`: one sendfile reads FILE and writes /dev/null, a view
/// keyed by fd counts it on each.
fn sendfile_capture() -> CaptureFile {
    use crate::replay::testutil::{Cap, P, int};
    use capture_format::schema::FdType;
    let mut c = Cap::new();
    c.process(&P {
        pid: 300,
        ppid: 1,
        comm: "cat",
        exe: "/bin/busybox",
        args: "/etc/os-release\0",
        cwd: "/",
        uid: 0,
        container: 0,
    });
    c.fd(300, 1, FdType::File, "/dev/null");
    c.fd(300, 3, FdType::File, "/etc/os-release");
    for _ in 0..3 {
        c.sys(
            300,
            300,
            "sendfile",
            267,
            vec![int(1), int(3), int(0), int(16_777_216)],
        );
        c.sys(300, 300, "read", 12, vec![int(3)]);
    }
    let dir = std::env::temp_dir().join(format!("cf-sendfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("sendfile.case");
    let _ = std::fs::remove_file(&path);
    c.write(&path);
    let cap = CaptureFile::read(&path).expect("open");
    let _ = std::fs::remove_dir_all(&dir);
    cap
}

/// The overview and the views from the index equal those of a full replay, over the
/// whole capture and over time ranges that cut blocks, for several bucket counts.
#[test]
fn the_index_answers_as_a_replay_does() {
    for (name, plain) in captures() {
        let mut used_somewhere = false;
        for block_bytes in [2048, 1 << 20] {
            let cap = with_aggregates(&plain, block_bytes);
            let (lo, hi) = cap.time_range().expect("events");
            let third = (hi - lo) / 3;
            let ranges = [
                (None, None),
                (Some(lo + third), Some(hi - third)),
                (Some(lo + 1), None),
            ];
            for (from, to) in ranges {
                for buckets in [1, 9, 40] {
                    let fast = run_overview_with(
                        &mut session(&cap, from, to),
                        None,
                        buckets,
                        &mut Control::default(),
                        (std::time::Duration::MAX, &mut |_| {}),
                        true,
                    )
                    .expect("summary");
                    let slow = run_overview_with(
                        &mut session(&plain, from, to),
                        None,
                        buckets,
                        &mut Control::default(),
                        (std::time::Duration::MAX, &mut |_| {}),
                        false,
                    )
                    .expect("summary");
                    assert_eq!(
                        fast, slow,
                        "{name}, {block_bytes} B blocks, {from:?}..{to:?}, {buckets} buckets"
                    );
                    // The sections read on several threads add up the same.
                    let mut four = session(&cap, from, to);
                    four.set_threads(4);
                    let fast4 = run_overview_with(
                        &mut four,
                        None,
                        buckets,
                        &mut Control::default(),
                        (std::time::Duration::MAX, &mut |_| {}),
                        true,
                    )
                    .expect("summary");
                    assert_eq!(fast4, slow, "{name}, 4 threads");
                    let range = crate::views::eval::session_range(&session(&cap, from, to));
                    let (origin, w) = crate::views::overview::layout(range, buckets);
                    let bucket = |ts: u64| ((ts - origin) / w) as usize;
                    let mut t = Totals::new(buckets);
                    let used =
                        overview_from_index(&session(&cap, from, to), (origin, w), &mut t, &bucket);
                    used_somewhere |= !used.is_empty();
                    // On several threads: the same blocks, the same numbers.
                    let mut t4 = Totals::new(buckets);
                    four = session(&cap, from, to);
                    four.set_threads(4);
                    let used4 = overview_from_index(&four, (origin, w), &mut t4, &bucket);
                    assert_eq!(used4, used, "{name}, 4 threads");
                    assert_eq!(
                        t4.result(range, origin, w),
                        t.result(range, origin, w),
                        "{name}, 4 threads"
                    );
                }
                for id in VIEWS {
                    let spec = catalog::view(id).expect("view");
                    let c = Compiled::new(spec, None, false).expect("compile");
                    let fast = c
                        .run(&mut session(&cap, from, to), &mut Control::default())
                        .expect("view");
                    let slow = c
                        .run_decoding(&mut session(&plain, from, to), &mut Control::default())
                        .expect("view");
                    assert_eq!(
                        fast, slow,
                        "{name}, {block_bytes} B blocks, {from:?}..{to:?}, {id}"
                    );
                    used_somewhere |= from.is_none()
                        && view_from_index(
                            &c,
                            &mut session(&cap, from, to),
                            &mut Control::default(),
                        )
                        .is_some();
                }
            }
        }
        assert!(used_somewhere, "{name}: the index answered nothing");
    }
}

/// A user filter goes through replay; files without aggregates read as before.
#[test]
fn filtered_views_and_files_without_aggregates_replay() {
    let plain = CaptureFile::read(crate::views::tests::fixture()).expect("open");
    let cap = with_aggregates(&plain, 4096);
    let spec = catalog::view("procs").expect("procs");
    let c = Compiled::new(spec, Some("proc.name = nginx"), false).expect("compile");
    assert!(view_from_index(&c, &mut session(&cap, None, None), &mut Control::default()).is_none());
    let a = run_view(
        spec,
        &mut session(&cap, None, None),
        Some("proc.name = nginx"),
        &mut Control::default(),
    )
    .expect("view");
    let b = run_view(
        spec,
        &mut session(&plain, None, None),
        Some("proc.name = nginx"),
        &mut Control::default(),
    )
    .expect("view");
    assert_eq!(a, b);
    assert!(!a.rows.is_empty());
    let c = Compiled::new(spec, None, false).expect("compile");
    assert!(
        view_from_index(
            &c,
            &mut session(&plain, None, None),
            &mut Control::default()
        )
        .is_none()
    );
    let s = run_overview(
        &mut session(&plain, None, None),
        None,
        9,
        &mut Control::default(),
    )
    .expect("sum");
    assert!(s.events > 0);
}

/// A section that does not decode (written by something else) is replayed instead, with
/// the same result; a section of another catalog likewise.
#[test]
fn a_bad_section_is_replayed_not_trusted() {
    struct Fixed(Vec<u8>);
    impl BlockAggregator for Fixed {
        fn state(&mut self, _: &[Event<'_>]) {}
        fn event(&mut self, _: &Event<'_>) {}
        fn finish_block(&mut self) -> Vec<u8> {
            self.0.clone()
        }
    }
    let mut s = Section::decode(&Section::default().encode()).expect("empty decodes");
    s.fingerprint = [9; 16];
    assert_ne!(s.fingerprint, fingerprint());
    for bad in [vec![1u8, 2, 3], s.encode()] {
        let plain = CaptureFile::read(crate::views::tests::fixture()).expect("open");
        let block_bytes = WriterOptions::default().block_bytes;
        let cap = rewrite(&plain, block_bytes, Box::new(Fixed(bad)));
        assert!(
            cap.blocks()
                .iter()
                .any(|b| b.block_type == BlockType::Aggregates)
        );
        assert!(sections(&session(&cap, None, None)).is_empty());
        let spec = catalog::view("files").expect("files");
        let a = run_view(
            spec,
            &mut session(&cap, None, None),
            None,
            &mut Control::default(),
        )
        .expect("v");
        let b = run_view(
            spec,
            &mut session(&plain, None, None),
            None,
            &mut Control::default(),
        )
        .expect("v");
        assert_eq!(a, b);
        assert_names_not_trusted(&cap);
    }
    // This catalog's sections, but without a names table (written before there was one).
    let mut s = Section::decode(&Section::default().encode()).expect("empty decodes");
    s.fingerprint = fingerprint();
    let plain = CaptureFile::read(crate::views::tests::fixture()).expect("open");
    let block_bytes = WriterOptions::default().block_bytes;
    assert_names_not_trusted(&rewrite(&plain, block_bytes, Box::new(Fixed(s.encode()))));
}

/// A filter on `proc.name` skips no block of `cap` on its sections: every events block is read.
fn assert_names_not_trusted(cap: &CaptureFile) {
    let opts = Options {
        block_names: Some(block_names),
        ..Options::default()
    };
    let (_, stats) =
        crate::replay::testutil::lines_of(cap.clone(), Some("proc.name = doesnotexist"), opts);
    let events = (cap.blocks().iter())
        .filter(|b| b.block_type == BlockType::Events)
        .count() as u64;
    assert_eq!(
        stats.blocks_evaluated, events,
        "every block read: {stats:?}"
    );
}

/// Blocks are skipped on `proc.name` from the names each block's aggregates list, and what a
/// read gives is what reading every block gives.
#[test]
fn process_names_in_the_index_skip_blocks_and_change_nothing() {
    use crate::replay::testutil::lines_of;
    let mut skipped_by_names = 0;
    for (name, cap) in captures() {
        let cap = with_aggregates(&cap, 4096);
        let sample = lines_of(cap.clone(), None, Options::default()).0;
        // A name of this capture: the process column of the middle event.
        let present = sample
            .get(sample.len() / 2)
            .and_then(|l| l.split_whitespace().nth(3))
            .unwrap_or("bash")
            .to_owned();
        let filters = [
            "proc.name = doesnotexist".to_owned(),
            format!("proc.name = {present}"),
            format!("proc.name != {present}"),
            format!("not proc.name = {present}"),
            format!("proc.name in (doesnotexist, {present})"),
            format!("proc.name startswith {}", &present[..1]),
            "proc.name contains zzz or evt.type = close".to_owned(),
            "proc.name glob '*sh' and evt.type != close".to_owned(),
            "proc.name exists".to_owned(),
            "proc.name icontains ZZZ".to_owned(),
        ];
        for f in &filters {
            let all = lines_of(
                cap.clone(),
                Some(f),
                Options {
                    skip_blocks: false,
                    ..Options::default()
                },
            );
            let summaries = lines_of(cap.clone(), Some(f), Options::default());
            let names = lines_of(
                cap.clone(),
                Some(f),
                Options {
                    block_names: Some(block_names),
                    ..Options::default()
                },
            );
            assert_eq!(all.0, names.0, "{name}: {f}");
            assert_eq!(all.0, summaries.0, "{name}: {f}");
            assert!(
                names.1.blocks_skipped >= summaries.1.blocks_skipped,
                "{name}: {f}"
            );
            skipped_by_names += names.1.blocks_skipped - summaries.1.blocks_skipped;
            if f == "proc.name = doesnotexist" {
                assert_eq!(
                    names.1.blocks_evaluated, 0,
                    "{name}: {f}: every block skipped"
                );
            }
        }
    }
    assert!(skipped_by_names > 0);
}

/// Every other block without aggregates (as a recorder that could not keep up writes them):
/// the views add the sections up and replay the rest, and give what replaying all gives.
#[test]
fn blocks_with_and_without_aggregates_mix() {
    struct EveryOther(Aggregator, u64);
    impl BlockAggregator for EveryOther {
        fn state(&mut self, records: &[Event<'_>]) {
            self.0.state(records);
        }
        fn event(&mut self, ev: &Event<'_>) {
            self.0.event(ev);
        }
        fn finish_block(&mut self) -> Vec<u8> {
            self.1 += 1;
            let s = self.0.finish_block();
            if self.1.is_multiple_of(2) {
                Vec::new()
            } else {
                s
            }
        }
    }
    for (name, plain) in captures() {
        let mut used = false;
        // One event per block or so: a call and the open before it land in different blocks.
        for parity in [0, 1] {
            let info = plain.header().info.clone();
            let agg = EveryOther(Aggregator::new(&info).expect("aggregator"), parity);
            let cap = rewrite(&plain, 64, Box::new(agg));
            for id in VIEWS {
                let c =
                    Compiled::new(catalog::view(id).expect("view"), None, false).expect("compile");
                let slow = c
                    .run_decoding(&mut session(&plain, None, None), &mut Control::default())
                    .expect("view");
                if let Some(fast) =
                    view_from_index(&c, &mut session(&cap, None, None), &mut Control::default())
                {
                    assert_eq!(fast.expect("view"), slow, "{name}, parity {parity}: {id}");
                    used = true;
                }
            }
        }
        assert!(used, "{name}: the index answered nothing");
    }
}

/// Latency percentiles come from the index whatever the blocks hold: exact for a row of at
/// most `EXACT_MAX` calls, from the histogram a replay fills past it (within 1/64 of the
/// value), equal to a replay's either way.
#[test]
fn percentiles_come_from_the_index_as_a_replay_gives_them() {
    use crate::replay::testutil::{Cap, P, int};
    use crate::views::percentile::EXACT_MAX;
    use crate::views::table::{Cell, Table};
    use capture_format::schema::{Params, Syscall, syscalls::by_name};
    let mut c = Cap::new();
    c.process(&P {
        pid: 400,
        ppid: 1,
        comm: "worker",
        exe: "/bin/worker",
        args: "",
        cwd: "/",
        uid: 0,
        container: 0,
    });
    let (reads, writes) = (6 * EXACT_MAX, EXACT_MAX - 10);
    let latency = |i: usize| 1000 + (i as u64 * 7919) % 100_003;
    let mut lat: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    // And a row of one latency at the bottom of its bucket (100352 = 49 << 11), whose
    // percentiles would read as the bucket's middle, past the row's maximum.
    for i in 0..=(reads + writes + EXACT_MAX) {
        let (name, l) = if i >= reads + writes {
            ("close", 100_352)
        } else if i % 7 == 3 && i / 7 < writes {
            ("write", latency(i))
        } else {
            ("read", latency(i))
        };
        lat.entry(name).or_default().push(l as i64);
        let body = Body::Syscall(Syscall {
            nr: by_name(name).expect("syscall"),
            ret: 1,
            latency: l,
            params: Params::from_vec(vec![int(3)]),
        });
        c.event(400, 400, 0, body);
    }
    let dir = std::env::temp_dir().join(format!("cf-pct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("pct.case");
    let _ = std::fs::remove_file(&path);
    c.write(&path);
    let plain = CaptureFile::read(&path).expect("open");
    let _ = std::fs::remove_dir_all(&dir);
    let c = Compiled::new(catalog::view("syscalls").expect("view"), None, false).expect("compile");
    let col = |t: &Table, name: &str| t.columns.iter().position(|h| h.name == name).expect(name);
    let slow = c
        .run_decoding(&mut session(&plain, None, None), &mut Control::default())
        .expect("view");
    // Blocks of a few calls each (every block's samples exact), and one block of them all (the
    // read row a histogram).
    for block_bytes in [2048, 1 << 20] {
        let cap = with_aggregates(&plain, block_bytes);
        let fast = view_from_index(&c, &mut session(&cap, None, None), &mut Control::default())
            .expect("answered from the index")
            .expect("view");
        assert_eq!(fast, slow, "{block_bytes} B blocks");
    }
    for row in &slow.rows {
        let Cell::Text(name) = &row.cells[col(&slow, "SYSCALL")] else {
            panic!("a syscall name");
        };
        let mut exact = lat[name.as_str()].clone();
        exact.sort_unstable();
        for (q, h) in [(50, "P50"), (95, "P95"), (99, "P99")] {
            let want = exact[(q * exact.len()).div_ceil(100) - 1];
            let Cell::Num(got) = row.cells[col(&slow, h)] else {
                panic!("a number");
            };
            assert!(got <= *exact.last().expect("values"), "{name} {h} past MAX");
            if exact.len() <= EXACT_MAX || name == "close" {
                assert_eq!(got, want, "{name} {h}");
            } else {
                assert!(
                    (got - want).abs() * 64 <= want,
                    "{name} {h}: {got} not within 1/64 of {want}"
                );
            }
        }
    }
}
