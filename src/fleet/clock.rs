//! Clock offsets between hosts, estimated from TCP connections seen on both sides.
//!
//! Each host stamps its events with its own wall clock. When host A connects to host B and both
//! were recorded, the same connection appears twice: A's `connect` and B's `accept`, with the
//! same tuple (client address and port → server address and port). The server's `accept`
//! returns only after the handshake's last ACK left the client, which happens when the
//! client's `connect` returns; so in true time
//!
//! ```text
//! accept exit (B)  ≥  connect exit (A)  >  connect enter (A)
//! ```
//!
//! With `c_h` the correction added to host h's times, `connect exit − accept exit` measured
//! on each host's own clock is at most `c_B − c_A` (it falls short by the one-way delay of the
//! ACK plus B's wake-up), and connections the other way (B connects to A) bound it from
//! above. The estimate is the 90th percentile of the lower values (robust to a few wrongly
//! matched tuples, e.g. ports reused or NAT), the 10th percentile of the upper values, or the
//! midpoint of both when connections go both ways. Hosts are linked to the reference (the
//! first input) through a chain of such pairs; a host no connection links keeps its clock.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use capture_format::schema::syscalls::by_name;
use capture_format::schema::{Body, Event, Sock, Value, af, l4};

/// A connection's identity: family, client address and port, server address and port.
pub type Tuple = (u8, [u8; 16], u16, [u8; 16], u16);

/// What one host's capture says about its TCP connections.
#[derive(Debug, Default)]
pub struct Connections {
    /// Client side: `connect` enter and exit times by tuple.
    pub connects: HashMap<Tuple, (u64, u64)>,
    /// Server side: `accept` exit time by tuple.
    pub accepts: HashMap<Tuple, u64>,
}

/// The syscall numbers the scan looks at.
#[derive(Clone, Copy, Debug)]
pub struct Calls {
    connect: u16,
    accept: u16,
    accept4: u16,
}

impl Calls {
    /// Looks the numbers up in the syscall table.
    pub fn new() -> Calls {
        Calls {
            connect: by_name("connect").unwrap_or(42),
            accept: by_name("accept").unwrap_or(43),
            accept4: by_name("accept4").unwrap_or(288),
        }
    }

    /// The numbers, for block summaries.
    pub fn all(self) -> [u16; 3] {
        [self.connect, self.accept, self.accept4]
    }
}

impl Default for Calls {
    fn default() -> Self {
        Calls::new()
    }
}

fn tuple(v: Option<&Value<'_>>) -> Option<Tuple> {
    let Some(Value::Sock(s)) = v else {
        return None;
    };
    let s: &Sock = s;
    let inet = s.family == af::INET || s.family == af::INET6;
    // Tuples without a protocol are taken as TCP: accept only ever returns stream sockets.
    let tcp = s.proto == l4::TCP || s.proto == l4::UNKNOWN;
    (inet && tcp && s.sport != 0 && s.dport != 0)
        .then_some((s.family, s.src, s.sport, s.dst, s.dport))
}

/// `EINPROGRESS`: a non-blocking connect that completes later.
const EINPROGRESS: i64 = -115;

impl Connections {
    /// Notes an event of this host.
    pub fn note(&mut self, calls: Calls, ev: &Event<'_>) {
        let Body::Syscall(sc) = &ev.body else {
            return;
        };
        if sc.nr == calls.connect && (sc.ret == 0 || sc.ret == EINPROGRESS) {
            // connect(fd, addr, tuple): the tuple is read at exit.
            if let Some(t) = tuple(sc.params.get(2)) {
                self.connects
                    .entry(t)
                    .or_insert((ev.ts.saturating_sub(sc.latency), ev.ts));
            }
        } else if (sc.nr == calls.accept || sc.nr == calls.accept4)
            && sc.ret >= 0
            && let Some(t) = tuple(sc.params.get(1))
        {
            self.accepts.entry(t).or_insert(ev.ts);
        }
    }
}

/// What is known about `c_b − c_a` for one pair of hosts.
#[derive(Clone, Debug, Default)]
struct Pair {
    /// Values that can only fall short of `c_b − c_a` (a connects to b).
    lows: Vec<i64>,
    /// Values that can only exceed it (b connects to a).
    highs: Vec<i64>,
    /// Hard lower bounds: connect enter (a) − accept exit (b).
    floors: Vec<i64>,
    /// Hard upper bounds: accept exit (a) − connect enter (b).
    ceilings: Vec<i64>,
}

impl Pair {
    fn count(&self) -> usize {
        self.lows.len() + self.highs.len()
    }

    fn estimate(&mut self) -> Option<i64> {
        let pct = |v: &mut Vec<i64>, p: usize| -> Option<i64> {
            if v.is_empty() {
                return None;
            }
            v.sort_unstable();
            // Nearest rank.
            let rank = (v.len() * p).div_ceil(100).clamp(1, v.len());
            Some(v[rank - 1])
        };
        match (pct(&mut self.lows, 90), pct(&mut self.highs, 10)) {
            (Some(l), Some(h)) => Some(l + (h - l) / 2),
            (Some(l), None) => Some(l),
            (None, Some(h)) => Some(h),
            (None, None) => None,
        }
    }

    /// Connections whose causality the correction `d` (of b relative to a) breaks.
    fn violations(&self, d: i64) -> usize {
        self.floors.iter().filter(|&&f| d < f).count()
            + self.ceilings.iter().filter(|&&c| d > c).count()
    }
}

/// The correction of one host and how it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// Nanoseconds added to the host's times.
    pub offset_ns: i64,
    /// Connections the estimate rests on (0: none).
    pub connections: usize,
    /// How it was found, in words.
    pub basis: String,
}

fn diff(a: u64, b: u64) -> i64 {
    (i128::from(a) - i128::from(b)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Milliseconds with microsecond precision, signed.
pub fn ms(ns: i64) -> String {
    format!("{:+.3} ms", ns as f64 / 1e6)
}

/// Corrections for every host (index = position in `hosts`), relative to host 0; `names` name
/// the hosts in the bases.
pub fn estimate(hosts: &[Connections], names: &[String]) -> Vec<Correction> {
    let n = hosts.len();
    // pairs[(a, b)] with a < b: what is known about c_b − c_a.
    let mut pairs: HashMap<(usize, usize), Pair> = HashMap::new();
    for a in 0..n {
        for b in 0..n {
            if a == b {
                continue;
            }
            // a is the client, b the server.
            for (t, &(enter, exit)) in &hosts[a].connects {
                let Some(&acc) = hosts[b].accepts.get(t) else {
                    continue;
                };
                let (lo, hi) = (a.min(b), a.max(b));
                let p = pairs.entry((lo, hi)).or_default();
                if a == lo {
                    // c_b − c_a ≥ exit − acc (soft) and ≥ enter − acc (hard).
                    p.lows.push(diff(exit, acc));
                    p.floors.push(diff(enter, acc));
                } else {
                    // c_a − c_b ≥ exit − acc, so c_b − c_a ≤ acc − exit.
                    p.highs.push(diff(acc, exit));
                    p.ceilings.push(diff(acc, enter));
                }
            }
        }
    }
    let mut est: HashMap<(usize, usize), (i64, usize, usize)> = HashMap::new();
    for (&k, p) in &mut pairs {
        if let Some(d) = p.estimate() {
            est.insert(k, (d, p.count(), p.violations(d)));
        }
    }
    let mut out: Vec<Option<Correction>> = vec![None; n];
    if n == 0 {
        return Vec::new();
    }
    out[0] = Some(Correction {
        offset_ns: 0,
        connections: 0,
        basis: "reference clock".into(),
    });
    let mut queue = VecDeque::from([0usize]);
    while let Some(a) = queue.pop_front() {
        let base = out[a].as_ref().map_or(0, |c| c.offset_ns);
        for b in 0..n {
            if out[b].is_some() {
                continue;
            }
            let (d, count, bad) = match (est.get(&(a.min(b), a.max(b))), a < b) {
                (Some(&(d, c, v)), true) => (d, c, v),
                (Some(&(d, c, v)), false) => (-d, c, v),
                (None, _) => continue,
            };
            let mut basis = format!(
                "{count} TCP connection{} seen on both {} and {}",
                if count == 1 { "" } else { "s" },
                names[a],
                names[b]
            );
            if bad > 0 {
                let _ = write!(basis, "; {bad} still out of order after the correction");
            }
            out[b] = Some(Correction {
                offset_ns: base + d,
                connections: count,
                basis,
            });
            queue.push_back(b);
        }
    }
    out.into_iter()
        .map(|c| {
            c.unwrap_or_else(|| Correction {
                offset_ns: 0,
                connections: 0,
                basis: "none: no TCP connection links this host's capture to the others; \
                        times are as its own wall clock recorded them"
                    .into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(port: u16) -> Tuple {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[10, 0, 0, 1]);
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&[10, 0, 0, 2]);
        (af::INET, a, port, b, 80)
    }

    #[test]
    fn one_direction_estimates_the_skew() {
        // b's clock is 250 ms ahead: its times read 250 ms late, so c_b = −250 ms.
        let skew = 250_000_000u64;
        let mut a = Connections::default();
        let mut b = Connections::default();
        for i in 0..20u16 {
            let t = 1_000_000_000_000 + u64::from(i) * 1_000_000;
            a.connects.insert(conn(40000 + i), (t, t + 100_000));
            // The ACK arrives 50 µs after connect returns; accept returns 20 µs later.
            b.accepts.insert(conn(40000 + i), t + 170_000 + skew);
        }
        let c = estimate(&[a, b], &["a".into(), "b".into()]);
        assert_eq!(c[0].offset_ns, 0);
        assert_eq!(c[1].connections, 20);
        assert!((c[1].offset_ns + 250_000_000).abs() < 100_000, "{c:?}");
        assert!(c[1].basis.contains("20 TCP connections"), "{c:?}");
    }

    #[test]
    fn both_directions_take_the_midpoint_and_unlinked_hosts_keep_their_clock() {
        let mut a = Connections::default();
        let mut b = Connections::default();
        let c = Connections::default();
        // a → b: low value −1000; b → a: high value +1000 (b's clock agrees with a's).
        a.connects.insert(conn(1), (9_000, 10_000));
        b.accepts.insert(conn(1), 11_000);
        b.connects.insert(conn(2), (19_000, 20_000));
        a.accepts.insert(conn(2), 21_000);
        let r = estimate(&[a, b, c], &["a".into(), "b".into(), "c".into()]);
        assert_eq!(r[1].offset_ns, 0);
        assert_eq!(r[1].connections, 2);
        assert_eq!(r[2].connections, 0);
        assert!(r[2].basis.starts_with("none"), "{r:?}");
    }
}
