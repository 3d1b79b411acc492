//! Unit tests of the view evaluator.

use super::*;
use crate::views::table::human_bytes;

#[test]
fn native_conditions_agree_with_their_filter_text() {
    let texts = [
        "evt.is_io_read = true",
        "evt.is_io_write = true",
        "evt.is_io = true",
        "evt.failed = true",
        "proc.pid > 0",
        "thread.tid > 0",
    ];
    let natives: Vec<Cond> = texts
        .iter()
        .map(|t| Cond::compile(t).expect("native"))
        .collect();
    assert!(natives.iter().all(|c| !matches!(c, Cond::Filter(_))));
    let filters: Vec<Filter<Field>> = texts
        .iter()
        .map(|t| crate::filter::compile(t, &Fields).expect("filter"))
        .collect();
    let mut hits = [0u32; 6];
    for path in [
        crate::replay::testutil::synth_fixture(),
        crate::replay::testutil::state_fixture(),
    ] {
        let cap = capture_format::CaptureFile::read(&path).expect("open");
        let mut s = Session::new(cap, crate::replay::session::Options::default()).expect("session");
        s.run(None, |ctx| -> Result<Flow, ReplayError> {
            for (i, (n, f)) in natives.iter().zip(&filters).enumerate() {
                let want = f.matches(ctx);
                assert_eq!(n.matches(ctx), want, "{} on event {}", texts[i], ctx.num);
                hits[i] += u32::from(want);
            }
            Ok(Flow::Continue)
        })
        .expect("run");
    }
    // Each condition holds somewhere in the fixtures (and the comparison covered it).
    assert!(hits.iter().all(|&h| h > 0), "{hits:?}");
}

#[test]
fn percentiles_nearest_rank_exact_and_histogram() {
    let mut s = Samples::default();
    for v in 1..=100 {
        s.push(v);
    }
    assert_eq!(s.percentile(50), Some(50));
    assert_eq!(s.percentile(95), Some(95));
    assert_eq!(s.percentile(99), Some(99));
    assert_eq!(s.percentile(100), Some(100));
    // Past EXACT_MAX values the histogram answers within 1/32 of the truth.
    let mut h = Samples::default();
    for v in 0..200_000i64 {
        h.push(1_000 + v * 10);
    }
    let p50 = h.percentile(50).expect("p50");
    let truth = 1_000 + 99_999 * 10;
    assert!((p50 - truth).abs() * 32 <= truth, "{p50} vs {truth}");
    assert_eq!(Samples::default().percentile(50), None);
}

#[test]
fn buckets_are_monotonic_and_cover_u64() {
    let mut last = 0;
    for v in [0u64, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, u64::MAX] {
        let b = bucket_of(v);
        assert!(b >= last && b < HIST_BUCKETS, "{v} → {b}");
        last = b;
    }
}

#[test]
fn quoting_and_units() {
    assert_eq!(quote(&Cell::Text("a \"b\\".into())), r#""a \"b\\""#);
    assert_eq!(quote(&Cell::Num(-3)), "-3");
    assert_eq!(human_bytes(1536), "1.5K");
    assert_eq!(human_bytes(12), "12");
    assert_eq!(human_ns(1_500_000), "1.50ms");
    assert_eq!(human_ns(999), "999ns");
    assert_eq!(
        combine(Some("a.b = 1"), Some(" c.d = 2 ")),
        Some("(a.b = 1) and (c.d = 2)".into())
    );
    assert_eq!(combine(None, Some("  ")), None);
}
