//! Anchors: chain positions written outside the capture (another disk, a pipe to a remote
//! logger), so that a capture cut short is caught even without keys.
//!
//! One line per anchor:
//! ```text
//! casefile-anchor v1 file=<32 hex> pos=<blocks> offset=<bytes> time=<ns> events=<n> link=<64 hex> [sealed]
//! ```
//! `file` is the first 16 bytes of the file's first chain link (a hash of its header), `pos` the
//! number of blocks chained before `link` (every block type, the footer included when
//! `sealed`), `offset` the file size at that point.

use crate::integrity::hex;
use crate::integrity::unhex;

const TAG: &str = "casefile-anchor";

/// A chain position of one capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// Which file (see [`file_id`]).
    pub file_id: [u8; 16],
    /// Blocks chained before `link`.
    pub pos: u64,
    /// File size at that point.
    pub offset: u64,
    /// Wall clock when it was taken.
    pub time: u64,
    /// Events in the file at that point.
    pub events: u64,
    /// The chain link after `pos` blocks.
    pub link: [u8; 32],
    /// Whether `link` is the seal of the finished file.
    pub sealed: bool,
}

/// The id of a capture in anchors: the first 16 bytes of its first chain link.
pub fn file_id(first_link: &[u8; 32]) -> [u8; 16] {
    let mut id = [0u8; 16];
    id.copy_from_slice(&first_link[..16]);
    id
}

impl Anchor {
    /// The log line (with its newline).
    pub fn to_line(&self) -> String {
        format!(
            "{TAG} v1 file={} pos={} offset={} time={} events={} link={}{}\n",
            hex(&self.file_id),
            self.pos,
            self.offset,
            self.time,
            self.events,
            hex(&self.link),
            if self.sealed { " sealed" } else { "" }
        )
    }

    /// Parses one log line; `Err` says what is wrong with it.
    pub fn parse_line(line: &str) -> Result<Anchor, String> {
        let mut w = line.split_whitespace();
        if w.next() != Some(TAG) || w.next() != Some("v1") {
            return Err("not a casefile-anchor v1 line".into());
        }
        let mut a = Anchor {
            file_id: [0; 16],
            pos: 0,
            offset: 0,
            time: 0,
            events: 0,
            link: [0; 32],
            sealed: false,
        };
        let mut seen = 0u8;
        for word in w {
            if word == "sealed" {
                a.sealed = true;
                continue;
            }
            let (k, v) = word
                .split_once('=')
                .ok_or_else(|| format!("malformed field {word:?}"))?;
            let num = || v.parse::<u64>().map_err(|_| format!("{k} is not a number"));
            match k {
                "file" => a.file_id = unhex(v).ok_or("file is not 32 hex digits")?,
                "pos" => a.pos = num()?,
                "offset" => a.offset = num()?,
                "time" => a.time = num()?,
                "events" => a.events = num()?,
                "link" => a.link = unhex(v).ok_or("link is not 64 hex digits")?,
                _ => return Err(format!("unknown field {k:?}")),
            }
            seen |= match k {
                "file" => 1,
                "pos" => 2,
                "link" => 4,
                _ => 0,
            };
        }
        if seen != 7 {
            return Err("a field is missing (file, pos, link)".into());
        }
        Ok(a)
    }
}

/// Reads an anchor log: every line that parses, with the 1-based numbers of lines that do not
/// (a log that a crash cut mid-line ends in one).
pub fn parse_log(text: &str) -> (Vec<Anchor>, Vec<(usize, String)>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Anchor::parse_line(line) {
            Ok(a) => good.push(a),
            Err(e) => bad.push((i + 1, e)),
        }
    }
    (good, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back() {
        let a = Anchor {
            file_id: [7; 16],
            pos: 12,
            offset: 4096,
            time: 1_700_000_000_000_000_000,
            events: 99,
            link: [0xab; 32],
            sealed: true,
        };
        assert_eq!(Anchor::parse_line(&a.to_line()), Ok(a));
        let (good, bad) = parse_log(&format!("{}garbage\n{}", a.to_line(), a.to_line()));
        assert_eq!(good.len(), 2);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 2);
        assert!(Anchor::parse_line("casefile-anchor v1 file=00 pos=1").is_err());
    }
}
