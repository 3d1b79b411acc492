//! Percentiles of a column: exact for a few values, a log-linear histogram beyond.

/// Values kept exactly before switching to the histogram.
///
/// The same bound as each block's aggregates keep exactly, so that a percentile merged from the
/// index is the one a replay gives, whatever the blocks: a row of at most this many values has
/// every value in every block; past it, a replay and a merge fill the same histogram.
pub const EXACT_MAX: usize = 256;

/// Numbers for percentiles: exact up to [`EXACT_MAX`] values per row, then a log-linear
/// histogram (32 sub-buckets per power of two, each reported as its middle, so a percentile is
/// within 1/64, about 1.6%, of the true one).
#[derive(Clone, Debug, Default)]
pub struct Samples {
    pub(super) exact: Vec<i64>,
    pub(super) hist: Option<Box<[u64]>>,
    pub(super) n: u64,
}

fn bucket_value(i: usize) -> i64 {
    if i < 64 {
        return i as i64;
    }
    let e = (i - 64) / 32 + 6;
    let sub = ((i - 64) % 32) as u64;
    let lo = (32 + sub) << (e - 5);
    let width = 1u64 << (e - 5);
    (lo + width / 2) as i64
}

impl Samples {
    /// Adds a value (negative values count as 0 in the histogram).
    pub fn push(&mut self, v: i64) {
        self.n += 1;
        if let Some(h) = self.hist.as_mut() {
            h[bucket_of(v.max(0) as u64)] += 1;
            return;
        }
        self.exact.push(v);
        if self.exact.len() > EXACT_MAX {
            self.switch_to_hist();
        }
    }

    /// Moves the exact values into the histogram (no-op when already there).
    pub(super) fn switch_to_hist(&mut self) {
        if self.hist.is_some() {
            return;
        }
        let mut h = vec![0u64; HIST_BUCKETS].into_boxed_slice();
        for &x in &self.exact {
            h[bucket_of(x.max(0) as u64)] += 1;
        }
        self.exact = Vec::new();
        self.hist = Some(h);
    }

    /// The `q`th percentile by nearest rank (`q` in 1..=100), or `None` without values.
    pub fn percentile(&mut self, q: u32) -> Option<i64> {
        if self.n == 0 {
            return None;
        }
        let rank = (u64::from(q) * self.n).div_ceil(100).max(1);
        if let Some(h) = &self.hist {
            let mut seen = 0;
            for (i, &c) in h.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Some(bucket_value(i));
                }
            }
            return None;
        }
        self.exact.sort_unstable();
        self.exact.get(rank as usize - 1).copied()
    }
}

/// Histogram buckets: one per value below 64, then 32 per power of two.
pub(super) const HIST_BUCKETS: usize = 64 + 58 * 32;

/// The histogram bucket of `v`.
pub(super) fn bucket_of(v: u64) -> usize {
    if v < 64 {
        return v as usize;
    }
    let e = 63 - v.leading_zeros() as usize;
    let sub = ((v >> (e - 5)) & 31) as usize;
    64 + (e - 6) * 32 + sub
}
