//! Block summaries: what a block holds, so a reader can skip it without decompressing.
//!
//! ```text
//! offset  size    field
//! 0       4       record kinds present: bit k set when a record of kind k (1..=31) is present
//! 4       64      syscall numbers present: bit n of the 512-bit map (n >= 511 sets bit 511)
//! 68      128     pid bloom filter: 1024 bits, two bits per pid (see `pid_bits`)
//! 196     2       number of container indices N, or 0xffff when the block holds more than
//!                 MAX_CONTAINERS distinct containers (then any container may be present)
//! 198     4*N     container indices present, u32 little-endian, ascending
//! ```

use crate::le::u64_at;
use crate::schema::{Body, Event};

/// Encoded size of a summary without its container list.
pub const FIXED_LEN: usize = 4 + 64 + 128 + 2;

/// Most container indices listed before the list overflows.
pub const MAX_CONTAINERS: usize = 64;

const OVERFLOW: u16 = 0xffff;

/// What one block holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Bit k: a record of kind k is present.
    pub kinds: u32,
    /// Bit n: syscall n is present (n >= 511 maps to bit 511).
    pub syscalls: [u64; 8],
    /// Bloom filter over pids.
    pub pids: [u64; 16],
    /// Container indices present, ascending; `None` when too many to list.
    pub containers: Option<Vec<u32>>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            kinds: 0,
            syscalls: [0; 8],
            pids: [0; 16],
            containers: Some(Vec::new()),
        }
    }
}

/// The two bloom bit positions of a pid.
#[inline]
fn pid_bits(pid: u32) -> (usize, usize) {
    let a = (pid.wrapping_mul(0x9E37_79B1) >> 22) as usize;
    let b = (pid
        .wrapping_mul(0x85EB_CA77)
        .rotate_left(13)
        .wrapping_mul(0xC2B2_AE3D)
        >> 22) as usize;
    (a, b)
}

impl Summary {
    /// Records one event.
    pub fn add(&mut self, kind: u8, ev: &Event<'_>) {
        if kind < 32 {
            self.kinds |= 1 << kind;
        }
        if let Body::Syscall(s) = &ev.body {
            let n = (s.nr as usize).min(511);
            self.syscalls[n / 64] |= 1 << (n % 64);
        }
        let (a, b) = pid_bits(ev.pid);
        self.pids[a / 64] |= 1 << (a % 64);
        self.pids[b / 64] |= 1 << (b % 64);
        if let Some(list) = &mut self.containers
            && let Err(at) = list.binary_search(&ev.container)
        {
            if list.len() >= MAX_CONTAINERS {
                self.containers = None;
            } else {
                list.insert(at, ev.container);
            }
        }
    }

    /// Whether a record of this kind may be present.
    pub fn has_kind(&self, kind: u8) -> bool {
        kind < 32 && self.kinds & (1 << kind) != 0
    }

    /// Whether syscall `nr` may be present.
    pub fn has_syscall(&self, nr: u16) -> bool {
        let n = (nr as usize).min(511);
        self.syscalls[n / 64] & (1 << (n % 64)) != 0
    }

    /// Whether events of `pid` may be present (false positives possible, no false negatives).
    pub fn may_have_pid(&self, pid: u32) -> bool {
        let (a, b) = pid_bits(pid);
        self.pids[a / 64] & (1 << (a % 64)) != 0 && self.pids[b / 64] & (1 << (b % 64)) != 0
    }

    /// Whether events of container index `c` may be present.
    pub fn may_have_container(&self, c: u32) -> bool {
        self.containers
            .as_ref()
            .is_none_or(|l| l.binary_search(&c).is_ok())
    }

    /// Number of distinct syscalls present.
    pub fn syscall_count(&self) -> u32 {
        self.syscalls.iter().map(|w| w.count_ones()).sum()
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        FIXED_LEN + 4 * self.containers.as_ref().map_or(0, Vec::len)
    }

    /// Appends the encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.kinds.to_le_bytes());
        for w in &self.syscalls {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for w in &self.pids {
            out.extend_from_slice(&w.to_le_bytes());
        }
        match &self.containers {
            None => out.extend_from_slice(&OVERFLOW.to_le_bytes()),
            Some(l) => {
                out.extend_from_slice(&(l.len() as u16).to_le_bytes());
                for c in l {
                    out.extend_from_slice(&c.to_le_bytes());
                }
            }
        }
    }

    /// Decodes from `b`, returning the summary and the bytes used; `None` when `b` is too short
    /// or the container count is out of range.
    pub fn decode(b: &[u8]) -> Option<(Summary, usize)> {
        let fixed = b.get(..FIXED_LEN)?;
        let mut s = Summary {
            kinds: u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]),
            ..Summary::default()
        };
        for (k, w) in s.syscalls.iter_mut().enumerate() {
            *w = u64_at(fixed, 4 + 8 * k);
        }
        for (k, w) in s.pids.iter_mut().enumerate() {
            *w = u64_at(fixed, 68 + 8 * k);
        }
        let n = u16::from_le_bytes([fixed[196], fixed[197]]);
        if n == OVERFLOW {
            s.containers = None;
            return Some((s, FIXED_LEN));
        }
        let n = n as usize;
        if n > MAX_CONTAINERS {
            return None;
        }
        let list = b.get(FIXED_LEN..FIXED_LEN + 4 * n)?;
        s.containers = Some(
            list.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        );
        Some((s, FIXED_LEN + 4 * n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Exit, Syscall};

    fn ev(pid: u32, container: u32, nr: Option<u16>) -> Event<'static> {
        let body = match nr {
            Some(nr) => Body::Syscall(Syscall {
                nr,
                ret: 0,
                latency: 0,
                params: smallvec::SmallVec::default(),
            }),
            None => Body::Exit(Exit::default()),
        };
        Event {
            ts: 0,
            tid: pid,
            pid,
            cpu: 0,
            container,
            body,
        }
    }

    #[test]
    fn summary_round_trips_and_answers() {
        let mut s = Summary::default();
        s.add(1, &ev(42, 3, Some(257)));
        s.add(4, &ev(7, 0, None));
        let mut out = Vec::new();
        s.encode(&mut out);
        assert_eq!(out.len(), s.encoded_len());
        let (d, used) = Summary::decode(&out).expect("decodes");
        assert_eq!(used, out.len());
        assert_eq!(d, s);
        assert!(d.has_syscall(257) && !d.has_syscall(0));
        assert!(d.has_kind(1) && d.has_kind(4) && !d.has_kind(2));
        assert!(d.may_have_pid(42) && d.may_have_pid(7));
        assert!(d.may_have_container(3) && d.may_have_container(0) && !d.may_have_container(1));
    }

    #[test]
    fn bloom_rejects_most_absent_pids() {
        let mut s = Summary::default();
        for pid in 1000..1100 {
            s.add(1, &ev(pid, 0, Some(0)));
        }
        let false_pos = (5000..15000).filter(|&p| s.may_have_pid(p)).count();
        assert!(false_pos < 1000, "{false_pos} false positives in 10000");
    }

    #[test]
    fn container_list_overflows_to_any() {
        let mut s = Summary::default();
        for c in 0..=MAX_CONTAINERS as u32 {
            s.add(1, &ev(1, c, Some(0)));
        }
        assert!(s.containers.is_none());
        assert!(s.may_have_container(9999));
        let mut out = Vec::new();
        s.encode(&mut out);
        assert_eq!(Summary::decode(&out).expect("decodes").0, s);
    }
}
