//! The file header: who recorded what, where and when.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "CASEFILE"
//! 8       2     format version, u16le
//! 10      2     record schema version, u16le
//! 12      4     header length H, u32le (whole header including CRC)
//! 16      ...   entries: u16le key, u32le length, value bytes; keys below; unknown keys kept
//! H-4     4     CRC-32 (IEEE) of bytes 0..H-4
//!
//! key  value                                  key  value
//! 1    created, ns since the epoch (u64le)    7    recorder options (text)
//! 2    hostname                               8    who recorded it (user name and uid)
//! 3    kernel release                         9    source: "probe", "scap", "synthetic", ...
//! 4    boot time, ns since the epoch (u64le)  10   machine id
//! 5    CPU count (u32le)                      11   redacted: what was removed (text)
//! 6    recorder name and version              12   snaplen in bytes (u32le)
//! 13   one source host of a merged capture (repeated; see `HostInfo::encode`)
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::{FORMAT_VERSION, check_compatible};

/// File magic.
pub const MAGIC: [u8; 8] = *b"CASEFILE";
/// Largest header a reader accepts.
pub const MAX_HEADER: u32 = 1 << 20;

/// What the header records. Strings are UTF-8 (lossy on read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    /// Creation time, ns since the epoch.
    pub created_ns: u64,
    /// Host name.
    pub hostname: String,
    /// Kernel release.
    pub kernel: String,
    /// Boot time, ns since the epoch.
    pub boot_ns: u64,
    /// CPUs.
    pub cpus: u32,
    /// Recorder name and version.
    pub recorder: String,
    /// Options the recorder ran with.
    pub options: String,
    /// Who recorded it.
    pub user: String,
    /// Where the events came from.
    pub source: String,
    /// Machine id.
    pub machine_id: String,
    /// What redaction removed, empty when none.
    pub redacted: String,
    /// Payload snippet length in bytes (0: no payloads).
    pub snaplen: u32,
    /// The source hosts of a merged capture (empty for a capture of one host).
    pub hosts: Vec<HostInfo>,
    /// Entries with keys this version does not know, kept as they were.
    pub unknown: Vec<(u16, Vec<u8>)>,
}

/// One source host of a merged capture. An event's host is the top 8 bits of its container
/// index ([`crate::schema::host_of`]); host 0 is described by the header's own fields when
/// `hosts` is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostInfo {
    /// Host index (the top 8 bits of container indices).
    pub index: u8,
    /// Host name.
    pub hostname: String,
    /// Kernel release.
    pub kernel: String,
    /// Boot time, ns since the epoch.
    pub boot_ns: u64,
    /// Machine id.
    pub machine_id: String,
    /// Correction added to this host's times when merging, in ns.
    pub offset_ns: i64,
    /// How the correction was found (or why there is none).
    pub offset_basis: String,
    /// The capture it came from.
    pub source: String,
}

impl HostInfo {
    /// Value bytes of a key-13 entry: u8 index, i64 offset, u64 boot time, then hostname,
    /// kernel, machine id, offset basis and source as NUL-terminated strings.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.index];
        v.extend_from_slice(&self.offset_ns.to_le_bytes());
        v.extend_from_slice(&self.boot_ns.to_le_bytes());
        for t in [
            &self.hostname,
            &self.kernel,
            &self.machine_id,
            &self.offset_basis,
            &self.source,
        ] {
            v.extend_from_slice(t.as_bytes());
            v.push(0);
        }
        v
    }

    /// Parses a key-13 entry; `None` when malformed.
    pub fn parse(v: &[u8]) -> Option<HostInfo> {
        let index = *v.first()?;
        let offset_ns = i64::from_le_bytes(v.get(1..9)?.try_into().ok()?);
        let boot_ns = u64::from_le_bytes(v.get(9..17)?.try_into().ok()?);
        let mut parts = v
            .get(17..)?
            .split(|&b| b == 0)
            .map(|p| String::from_utf8_lossy(p).into_owned());
        Some(HostInfo {
            index,
            offset_ns,
            boot_ns,
            hostname: parts.next()?,
            kernel: parts.next()?,
            machine_id: parts.next()?,
            offset_basis: parts.next()?,
            source: parts.next()?,
        })
    }
}

/// A parsed header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// Format version of the file.
    pub version: u16,
    /// Record schema version.
    pub schema_version: u16,
    /// Contents.
    pub info: HeaderInfo,
    /// Length in bytes; the first block starts here.
    pub len: u32,
}

pub(crate) fn put(out: &mut Vec<u8>, key: u16, v: &[u8]) {
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    out.extend_from_slice(v);
}

impl HeaderInfo {
    /// Serializes a header for this format version.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&crate::schema::SCHEMA_VERSION.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        put(&mut out, 1, &self.created_ns.to_le_bytes());
        put(&mut out, 2, self.hostname.as_bytes());
        put(&mut out, 3, self.kernel.as_bytes());
        put(&mut out, 4, &self.boot_ns.to_le_bytes());
        put(&mut out, 5, &self.cpus.to_le_bytes());
        put(&mut out, 6, self.recorder.as_bytes());
        put(&mut out, 7, self.options.as_bytes());
        put(&mut out, 8, self.user.as_bytes());
        put(&mut out, 9, self.source.as_bytes());
        put(&mut out, 10, self.machine_id.as_bytes());
        put(&mut out, 11, self.redacted.as_bytes());
        put(&mut out, 12, &self.snaplen.to_le_bytes());
        for h in &self.hosts {
            put(&mut out, 13, &h.encode());
        }
        for (k, v) in &self.unknown {
            put(&mut out, *k, v);
        }
        let len = (out.len() + 4) as u32;
        out[12..16].copy_from_slice(&len.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

impl FileHeader {
    /// Parses the header at the start of a file. `available` is the file size when known
    /// (for the error when the file is shorter than the header says).
    pub fn parse(b: &[u8]) -> Result<FileHeader> {
        if b.len() < 8 {
            return Err(if b.is_empty() {
                Error::at(
                    0,
                    ErrorKind::Truncated {
                        what: "file header",
                        needed: 20,
                        available: 0,
                    },
                )
            } else if b[..] != MAGIC[..b.len()] {
                Error::at(0, ErrorKind::BadMagic { found: b.to_vec() })
            } else {
                Error::truncated(0, "file header", 20, b.len() as u64)
            });
        }
        if b[..8] != MAGIC {
            return Err(Error::at(
                0,
                ErrorKind::BadMagic {
                    found: b[..8].to_vec(),
                },
            ));
        }
        if b.len() < 20 {
            return Err(Error::truncated(0, "file header", 20, b.len() as u64));
        }
        let version = u16::from_le_bytes([b[8], b[9]]);
        check_compatible(version).map_err(|e| {
            Error::at(
                8,
                ErrorKind::Version {
                    found: e.found,
                    oldest: e.oldest,
                    newest: e.newest,
                },
            )
        })?;
        let schema_version = u16::from_le_bytes([b[10], b[11]]);
        let len = u32::from_le_bytes([b[12], b[13], b[14], b[15]]);
        if !(20..=MAX_HEADER).contains(&len) {
            return Err(Error::at(
                12,
                ErrorKind::InvalidLength {
                    what: "file header",
                    declared: u64::from(len),
                    limit: u64::from(MAX_HEADER),
                },
            ));
        }
        let l = len as usize;
        if b.len() < l {
            return Err(Error::truncated(
                0,
                "file header",
                u64::from(len),
                b.len() as u64,
            ));
        }
        let crc = u32::from_le_bytes([b[l - 4], b[l - 3], b[l - 2], b[l - 1]]);
        if crc32fast::hash(&b[..l - 4]) != crc {
            return Err(Error::at(
                l as u64 - 4,
                ErrorKind::Checksum {
                    what: "file header",
                },
            ));
        }
        let mut info = HeaderInfo::default();
        let mut pos = 16;
        while pos < l - 4 {
            if pos + 6 > l - 4 {
                return Err(Error::corrupt(
                    pos as u64,
                    "file header",
                    "entry header runs past the end",
                ));
            }
            let key = u16::from_le_bytes([b[pos], b[pos + 1]]);
            let vlen =
                u32::from_le_bytes([b[pos + 2], b[pos + 3], b[pos + 4], b[pos + 5]]) as usize;
            let start = pos + 6;
            let end = start
                .checked_add(vlen)
                .filter(|&e| e <= l - 4)
                .ok_or_else(|| {
                    Error::corrupt(
                        pos as u64 + 2,
                        "file header",
                        format!("entry of {vlen} bytes runs past the end"),
                    )
                })?;
            let v = &b[start..end];
            let text = || String::from_utf8_lossy(v).into_owned();
            let u64v = || v.try_into().map_or(0, u64::from_le_bytes);
            let u32v = || v.try_into().map_or(0, u32::from_le_bytes);
            match key {
                1 => info.created_ns = u64v(),
                2 => info.hostname = text(),
                3 => info.kernel = text(),
                4 => info.boot_ns = u64v(),
                5 => info.cpus = u32v(),
                6 => info.recorder = text(),
                7 => info.options = text(),
                8 => info.user = text(),
                9 => info.source = text(),
                10 => info.machine_id = text(),
                11 => info.redacted = text(),
                12 => info.snaplen = u32v(),
                13 => match HostInfo::parse(v) {
                    Some(h) => info.hosts.push(h),
                    None => info.unknown.push((key, v.to_vec())),
                },
                k => info.unknown.push((k, v.to_vec())),
            }
            pos = end;
        }
        Ok(FileHeader {
            version,
            schema_version,
            info,
            len,
        })
    }
}

/// Parses key/value entries (u16 key, u32 length, value) filling `b`, as the header's and a
/// notes block's body hold them; `base` is the file offset of `b`, for errors.
pub(crate) fn parse_entries(
    b: &[u8],
    base: u64,
    what: &'static str,
) -> Result<Vec<(u16, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < b.len() {
        let Some(h) = b.get(pos..pos + 6) else {
            return Err(Error::corrupt(
                base + pos as u64,
                what,
                "entry header runs past the end",
            ));
        };
        let key = u16::from_le_bytes([h[0], h[1]]);
        let vlen = u32::from_le_bytes([h[2], h[3], h[4], h[5]]) as usize;
        let start = pos + 6;
        let Some(v) = start.checked_add(vlen).and_then(|e| b.get(start..e)) else {
            return Err(Error::corrupt(
                base + pos as u64 + 2,
                what,
                format!("entry of {vlen} bytes runs past the end"),
            ));
        };
        out.push((key, v.to_vec()));
        pos = start + vlen;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> HeaderInfo {
        HeaderInfo {
            created_ns: 1_700_000_000_000_000_000,
            hostname: "web-1".into(),
            kernel: "6.18.44".into(),
            boot_ns: 1_699_000_000_000_000_000,
            cpus: 2,
            unknown: vec![(900, b"future".to_vec())],
            hosts: vec![HostInfo {
                index: 1,
                hostname: "db-2".into(),
                offset_ns: -1500,
                offset_basis: "3 connections".into(),
                ..HostInfo::default()
            }],
            ..HeaderInfo::default()
        }
    }

    #[test]
    fn header_round_trips_and_keeps_unknown_keys() {
        let enc = info().encode();
        let h = FileHeader::parse(&enc).expect("parses");
        assert_eq!(h.info, info());
        assert_eq!(h.len as usize, enc.len());
        assert_eq!(h.version, FORMAT_VERSION);
    }

    #[test]
    fn future_version_is_a_clear_error() {
        let mut enc = info().encode();
        enc[8..10].copy_from_slice(&99u16.to_le_bytes());
        let e = FileHeader::parse(&enc).expect_err("version");
        assert_eq!(e.offset, 8);
        assert!(
            e.to_string().contains("format version 99 is not supported"),
            "{e}"
        );
    }

    #[test]
    fn wrong_magic_and_empty_input() {
        assert!(matches!(
            FileHeader::parse(b"PK\x03\x04hello world!!!!!")
                .expect_err("magic")
                .kind,
            ErrorKind::BadMagic { .. }
        ));
        assert!(matches!(
            FileHeader::parse(b"").expect_err("empty").kind,
            ErrorKind::Truncated { .. }
        ));
        assert!(matches!(
            FileHeader::parse(b"CASE").expect_err("short").kind,
            ErrorKind::Truncated { .. }
        ));
    }

    #[test]
    fn absurd_header_length_is_rejected() {
        let mut enc = info().encode();
        enc[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = FileHeader::parse(&enc).expect_err("length");
        assert!(matches!(e.kind, ErrorKind::InvalidLength { .. }));
        assert_eq!(e.offset, 12);
    }
}
