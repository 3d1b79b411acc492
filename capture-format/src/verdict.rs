//! The integrity verdict on a capture: one walk over every byte, from the file header to the
//! trailer, that accounts for each of them.
//!
//! | status | exit | meaning |
//! |---|---|---|
//! | [`Status::Intact`] | 0 | complete and sealed; every byte accounted for and unchanged |
//! | [`Status::Changed`] | 1 | a byte changed, moved, vanished or was added |
//! | [`Status::Unreadable`] | 2 | not a capture, or the key or anchor log given does not fit it |
//! | [`Status::Unsealed`] | 3 | every byte there is intact, but the file ends before its seal (a crashed recorder, or a cut that cannot be told from one) |
//!
//! Damage is told from a crash wherever the file allows: a trailer at the end that the walk
//! does not reach intact, a footer or signature that does not fit the blocks, a block that does
//! not chain, bytes after the trailer, a signature block before the end, an anchored position
//! the file no longer reaches, a missing forward-secure epoch.

use crate::anchor::{Anchor, file_id};
use crate::block::{self, BlockHeader, BlockType};
use crate::footer::{self, Footer, IndexEntry, StopReason, Trailer};
use crate::header::FileHeader;
use crate::integrity::{first_link, hex, next_link};
use crate::seal::{Auth, Checkpoint, FsVerifyKey};
use crate::sign;

/// What the verifier trusts, beyond the file itself.
#[derive(Clone, Copy, Default)]
pub struct Trust<'a> {
    /// The ed25519 public key that must have signed the file.
    pub pubkey: Option<&'a [u8; 32]>,
    /// The forward-secure verification key that must have sealed it.
    pub fs_key: Option<&'a FsVerifyKey>,
    /// Anchors the recorder wrote elsewhere (any files; those of this one are used).
    pub anchors: Option<&'a [Anchor]>,
}

/// The verdict's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Complete, sealed and unchanged.
    Intact,
    /// Intact as far as it goes, but not sealed.
    Unsealed,
    /// Changed.
    Changed,
    /// Not judged: not a capture, or the trust given does not fit it.
    Unreadable,
}

impl Status {
    /// The exit code `verify` gives.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Intact => 0,
            Status::Changed => 1,
            Status::Unreadable => 2,
            Status::Unsealed => 3,
        }
    }
}

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset.
    pub offset: u64,
    /// Record blocks (events and state) intact before it: the index of the block at fault
    /// when it is one.
    pub block: usize,
    /// What is wrong, in words.
    pub what: String,
}

/// How the seals inside the file held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seals {
    /// Checkpoints that verified.
    pub checkpoints: u64,
    /// The last verified checkpoint's claim: (sealed at, through, events).
    pub last: Option<(u64, u64, u64)>,
    /// Who sealed: `ed25519 key HEX` or `forward-secure key ID`.
    pub by: Option<String>,
    /// Whether the seals were checked against a key the caller trusts.
    pub trusted: bool,
    /// The final seal (signature block) verified.
    pub final_seal: bool,
    /// The final seal verified against a key the caller trusts.
    pub final_trusted: bool,
    /// The last epoch seen (forward-secure).
    pub last_epoch: Option<u64>,
}

/// The verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Its class.
    pub status: Status,
    /// What is wrong (Changed, Unreadable).
    pub problem: Option<Problem>,
    /// Record blocks (events and state) that chained and matched their hashes.
    pub blocks: u64,
    /// Events in them.
    pub events: u64,
    /// Time of the last intact event.
    pub last_event: Option<u64>,
    /// Bytes of a block cut short at the end (Unsealed).
    pub cut_bytes: u64,
    /// The footer says the recording stopped early, and why.
    pub stopped: Option<StopReason>,
    /// Seals inside the stream and at the end.
    pub seals: Seals,
    /// The last anchor of this file that the file reaches: (position, time, sealed).
    pub anchored: Option<(u64, u64, bool)>,
    /// Facts worth saying that change no verdict.
    pub notes: Vec<String>,
}

impl Verdict {
    fn new() -> Verdict {
        Verdict {
            status: Status::Intact,
            problem: None,
            blocks: 0,
            events: 0,
            last_event: None,
            cut_bytes: 0,
            stopped: None,
            seals: Seals::default(),
            anchored: None,
            notes: Vec::new(),
        }
    }

    /// The exit code `verify` gives.
    pub fn exit_code(&self) -> u8 {
        self.status.exit_code()
    }

    fn fail(mut self, status: Status, offset: u64, what: impl Into<String>) -> Verdict {
        self.status = status;
        self.problem = Some(Problem {
            offset,
            block: self.blocks as usize,
            what: what.into(),
        });
        self
    }

    /// The report, one line each, in words; `t` formats a time (ns since the epoch).
    pub fn lines(&self, t: &dyn Fn(u64) -> String) -> Vec<String> {
        let mut out = Vec::new();
        match self.status {
            Status::Intact => out.push(format!(
                "complete and sealed: every byte accounted for; hash chain intact over {} blocks, {} events",
                self.blocks, self.events
            )),
            Status::Unsealed => out.push(format!(
                "NOT SEALED: the {} blocks there are intact ({} events, the last at {}), but the file ends \
                 before its footer{}: a recorder that crashed, or a file cut short; what came after cannot be accounted for",
                self.blocks,
                self.events,
                self.last_event.map_or_else(|| "-".into(), t),
                if self.cut_bytes > 0 {
                    format!(" ({} bytes of a block cut short)", self.cut_bytes)
                } else {
                    String::new()
                }
            )),
            Status::Changed => {
                let p = self.problem.as_ref();
                out.push(format!(
                    "CHANGED at byte {}: {}. The {} blocks before it are intact (events up to {}); from there on nothing can be trusted",
                    p.map_or(0, |p| p.offset),
                    p.map_or("", |p| p.what.as_str()),
                    self.blocks,
                    self.last_event.map_or_else(|| "-".into(), t),
                ));
            }
            Status::Unreadable => out.push(format!(
                "cannot be judged: {}",
                self.problem.as_ref().map_or("", |p| p.what.as_str())
            )),
        }
        if let Some(why) = self.stopped {
            out.push(format!(
                "the recording STOPPED EARLY: {} (the footer says so)",
                why.describe()
            ));
        }
        let s = &self.seals;
        match (&s.by, s.last) {
            (Some(by), Some((at, through, events))) => out.push(format!(
                "{} checkpoint{} by {by}{}; sealed through {} ({} events, sealed at {})",
                s.checkpoints,
                if s.checkpoints == 1 { "" } else { "s" },
                if s.trusted {
                    ", the trusted key"
                } else {
                    " (not checked against a trusted key: pass --pubkey or --verify-key)"
                },
                t(through),
                events,
                t(at),
            )),
            (Some(by), None) => out.push(format!(
                "sealed by {by}{}",
                if s.trusted {
                    ", the trusted key"
                } else {
                    " (not checked against a trusted key)"
                }
            )),
            (None, _) => out.push("not signed or sealed by a key".into()),
        }
        if s.final_seal {
            out.push("the final seal covers the whole file".into());
        }
        if let Some((pos, time, sealed)) = self.anchored {
            out.push(format!(
                "reaches its last anchor (block {pos}, {}{})",
                t(time),
                if sealed { ", the final seal" } else { "" }
            ));
        }
        out.extend(self.notes.iter().cloned());
        out
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` for a time in ns since the epoch.
pub fn format_ns(ns: u64) -> String {
    chrono::DateTime::from_timestamp_nanos(i64::try_from(ns).unwrap_or(i64::MAX))
        .format("%Y-%m-%d %H:%M:%S%.3f UTC")
        .to_string()
}

/// Whether bytes that are not a valid capture header still look like a capture (so a change,
/// not a different kind of file).
fn looks_like_capture(b: &[u8]) -> bool {
    b.ends_with(&footer::TRAILER_MAGIC)
        || b.get(..8).is_some_and(|m| {
            m.iter()
                .zip(crate::header::MAGIC.iter())
                .filter(|(x, y)| x != y)
                .count()
                <= 1
        })
        || b.len() > 20 && {
            let h = u32::from_le_bytes([b[12], b[13], b[14], b[15]]) as usize;
            b.get(h..h + 4) == Some(&block::MAGIC[..])
        }
}

/// How much later than its time a record may be sealed: one epoch plus this (the recorder seals
/// at least twice an epoch; the rest covers a drain that falls behind). Whoever holds a later
/// epoch's key can therefore re-seal only records this recent: the forward-secure window.
const SEAL_GRACE_NS: u64 = 2_000_000_000;

/// Judges a capture held in `b`.
pub fn judge(b: &[u8], trust: &Trust<'_>) -> Verdict {
    let v = Verdict::new();
    let header = match FileHeader::parse(b) {
        Ok(h) => h,
        Err(e) if looks_like_capture(b) => {
            return v.fail(
                Status::Changed,
                e.offset,
                format!("the file header was changed ({})", e.kind),
            );
        }
        Err(e) => return v.fail(Status::Unreadable, e.offset, e.kind.to_string()),
    };
    let hlen = header.len as usize;
    let link0 = first_link(&b[..hlen]);
    let mine: Vec<Anchor> = trust
        .anchors
        .map(|a| {
            let id = file_id(&link0);
            let mut m: Vec<Anchor> = a.iter().filter(|x| x.file_id == id).copied().collect();
            m.sort_by_key(|x| x.pos);
            m
        })
        .unwrap_or_default();
    if trust.anchors.is_some() && mine.is_empty() {
        return v.fail(
            Status::Unreadable,
            0,
            format!(
                "the anchor log holds no anchor of this file (its id is {})",
                hex(&file_id(&link0))
            ),
        );
    }
    Walk {
        b,
        trust,
        link: link0,
        pos: hlen,
        chained: 0,
        anchors: &mine,
        next_anchor: 0,
        index: Vec::new(),
        v,
        fs_keys: trust.fs_key.map(FsVerifyKey::keys),
        since_checkpoint_min_ts: None,
        raw_bytes: 0,
        stored_bytes: 0,
        claims_trailer: b.len() >= hlen + footer::TRAILER_LEN
            && b.ends_with(&footer::TRAILER_MAGIC),
    }
    .run()
}

struct Walk<'a> {
    b: &'a [u8],
    trust: &'a Trust<'a>,
    link: [u8; 32],
    pos: usize,
    chained: u64,
    anchors: &'a [Anchor],
    next_anchor: usize,
    index: Vec<IndexEntry>,
    v: Verdict,
    fs_keys: Option<crate::seal::EpochKeys>,
    /// Earliest record time since the last checkpoint (forward-secure timing check).
    since_checkpoint_min_ts: Option<u64>,
    raw_bytes: u64,
    stored_bytes: u64,
    /// The file ends in the trailer magic: it claims to be finished, so any shortfall is a
    /// change, not a crash.
    claims_trailer: bool,
}

/// A walk step: `Some` ends the walk with the verdict.
type Step = Option<Verdict>;

/// Why a seal was not accepted.
enum Fault {
    /// The file was changed.
    Changed(String),
    /// The key given is not the one that sealed the file.
    Unfit(String),
}

impl From<&str> for Fault {
    fn from(s: &str) -> Fault {
        Fault::Changed(s.into())
    }
}

impl From<String> for Fault {
    fn from(s: String) -> Fault {
        Fault::Changed(s)
    }
}

impl Walk<'_> {
    fn run(mut self) -> Verdict {
        loop {
            if let Some(v) = self.step() {
                return v;
            }
        }
    }

    fn take(&mut self) -> Verdict {
        std::mem::replace(&mut self.v, Verdict::new())
    }

    #[expect(
        clippy::unnecessary_wraps,
        reason = "every caller returns it as the walk's last step"
    )]
    fn fail(&mut self, offset: usize, what: impl Into<String>) -> Step {
        Some(self.take().fail(Status::Changed, offset as u64, what))
    }

    fn fault(&mut self, offset: usize, f: Fault) -> Step {
        match f {
            Fault::Changed(w) => self.fail(offset, w),
            Fault::Unfit(w) => Some(self.take().fail(Status::Unreadable, offset as u64, w)),
        }
    }

    /// The file ends at `self.pos` (or in a block cut short there): unsealed, unless something
    /// says the end was removed.
    fn end_unsealed(&mut self, cut: u64) -> Step {
        if self.claims_trailer {
            let at = self.pos;
            return self.fail(
                at,
                "the file ends in a trailer that its blocks do not reach intact",
            );
        }
        if let Some((pos, time, true)) = self.v.anchored {
            let at = self.pos;
            return self.fail(
                at,
                format!(
                    "the file was cut after block {pos}: the anchor log shows it was sealed at {}",
                    format_ns(time)
                ),
            );
        }
        if let Some(a) = self.anchors.get(self.next_anchor) {
            let what = format!(
                "the file was cut: it ends after block {} (byte {}), but the anchor log shows it reached block {} (byte {}, {} events) at {}",
                self.chained,
                self.pos,
                a.pos,
                a.offset,
                a.events,
                format_ns(a.time)
            );
            let at = self.pos;
            return self.fail(at, what);
        }
        self.v.cut_bytes = cut;
        self.v.status = Status::Unsealed;
        if let Some(wanted) = self.seal_missing(self.v.seals.trusted) {
            let at = self.pos;
            return self.fail(
                at,
                format!("NOT {wanted}: no seal of the trusted key covers any of it"),
            );
        }
        Some(self.take())
    }

    /// What a trusted key given demands of the file, in words, when `covered` says no seal of
    /// that key covers what it should; `None` when nothing is missing.
    fn seal_missing(&self, covered: bool) -> Option<&'static str> {
        if covered {
            None
        } else if self.trust.pubkey.is_some() {
            Some("signed")
        } else if self.trust.fs_key.is_some() {
            Some("sealed with a forward-secure key")
        } else {
            None
        }
    }

    /// Checks the anchors at the chain position now reached.
    fn check_anchors(&mut self) -> Result<(), String> {
        while let Some(a) = self.anchors.get(self.next_anchor) {
            if a.pos > self.chained {
                break;
            }
            if a.pos == self.chained && a.link != self.link {
                return Err(format!(
                    "the chain after block {} does not match the anchor taken at {}",
                    a.pos,
                    format_ns(a.time)
                ));
            }
            if a.pos == self.chained {
                self.v.anchored = Some((a.pos, a.time, a.sealed));
            }
            self.next_anchor += 1;
        }
        Ok(())
    }

    fn step(&mut self) -> Step {
        let b = self.b;
        let at = self.pos;
        if at == b.len() {
            return self.end_unsealed(0);
        }
        let rest = &b[at..];
        let h = match BlockHeader::parse(rest, at as u64) {
            Ok(h) => h,
            Err(e) => {
                // A header cut short by the end of the file is a crash; anything else a change.
                let cut = matches!(e.kind, crate::ErrorKind::Truncated { .. })
                    && rest.iter().zip(block::MAGIC.iter()).all(|(x, y)| x == y);
                if cut {
                    return self.end_unsealed(rest.len() as u64);
                }
                return self.fail(at, format!("not a valid block ({})", e.kind));
            }
        };
        let total = h.total_len() as usize;
        if h.prev != self.link {
            let what = if self.chained == 0 {
                "the first block does not chain to the file header: the header or the block was changed".to_string()
            } else {
                format!(
                    "block {} does not chain to the one before: a block before it was changed, removed, added or moved",
                    self.chained
                )
            };
            return self.fail(at, what);
        }
        if rest.len() < total {
            return self.end_unsealed(rest.len() as u64);
        }
        let hl = h.header_len as usize;
        let body = &rest[hl..total];
        if let Err(e) = h.check_body(body, (at + hl) as u64) {
            return self.fail(at + hl, format!("{}: the block's data was changed", e.kind));
        }
        let after = next_link(&self.link, &rest[..hl]);
        match h.block_type {
            BlockType::Footer => return self.footer(&h, body, after),
            BlockType::Signature => {
                return self.fail(
                    at,
                    "a signature block before the footer: blocks were removed or added",
                );
            }
            BlockType::Checkpoint => {
                if let Err(f) = self.checkpoint(body) {
                    return self.fault(at, f);
                }
            }
            t => {
                self.index.push(IndexEntry::of(&h, at as u64));
                self.raw_bytes += u64::from(h.raw_len);
                self.stored_bytes += u64::from(h.body_len);
                if t == BlockType::Events || t == BlockType::State {
                    self.v.blocks += 1;
                    let m = self.since_checkpoint_min_ts.get_or_insert(h.first_ts);
                    *m = (*m).min(h.first_ts);
                }
                if t == BlockType::Events {
                    self.v.events += u64::from(h.count);
                    if h.count > 0 {
                        self.v.last_event =
                            Some(self.v.last_event.map_or(h.last_ts, |l| l.max(h.last_ts)));
                    }
                }
            }
        }
        self.link = after;
        self.chained += 1;
        self.pos = at + total;
        if let Err(what) = self.check_anchors() {
            return self.fail(at, what);
        }
        None
    }

    /// Checks a checkpoint body against the chain and the trusted keys.
    fn checkpoint(&mut self, body: &[u8]) -> Result<(), Fault> {
        let cp = Checkpoint::parse(body).ok_or("a malformed checkpoint")?;
        let c = cp.claim;
        if c.link != self.link {
            return Err("a checkpoint seals another chain than the blocks before it".into());
        }
        if c.events != self.v.events {
            return Err(Fault::Changed(format!(
                "a checkpoint counts {} events before it, the blocks hold {}",
                c.events, self.v.events
            )));
        }
        match cp.auth {
            Auth::Ed25519 { public_key, .. } => {
                if cp.ed25519_valid() != Some(true) {
                    return Err("a checkpoint's signature does not match it".into());
                }
                if let Some(k) = self.trust.pubkey
                    && *k != public_key
                {
                    return Err(format!(
                        "a checkpoint is signed by key {}, which is NOT the trusted key",
                        &hex(&public_key)[..16]
                    )
                    .into());
                }
                self.v.seals.by = Some(format!("ed25519 key {}", &hex(&public_key)[..16]));
                self.v.seals.trusted = self.trust.pubkey.is_some();
            }
            Auth::ForwardSecure { key_id, mac } => {
                self.v.seals.by = Some(format!("forward-secure key {}", hex(&key_id)));
                if let (Some(key), Some(keys)) = (self.trust.fs_key, self.fs_keys.as_mut()) {
                    if key.key_id() != key_id {
                        return Err(Fault::Unfit(wrong_fs_key(&key_id, key)));
                    }
                    // Epochs may be skipped (a recorder that fell behind) but never go back.
                    if self.v.seals.last_epoch.is_some_and(|last| c.epoch < last) {
                        return Err("checkpoints go back in epochs: blocks were moved".into());
                    }
                    let start = key
                        .start_ns
                        .saturating_add(c.epoch.saturating_mul(key.epoch_ns));
                    if let Some(min) = self.since_checkpoint_min_ts
                        && min.saturating_add(key.epoch_ns + SEAL_GRACE_NS) < start
                    {
                        return Err(Fault::Changed(format!(
                            "records of {} are sealed only in epoch {} (from {}): they were re-sealed later",
                            format_ns(min),
                            c.epoch,
                            format_ns(start)
                        )));
                    }
                    let msg = {
                        let mut m = b"casefile checkpoint v1".to_vec();
                        m.extend_from_slice(&body[..crate::seal::SIGNED_LEN]);
                        m
                    };
                    if !keys.check(key, c.epoch, &msg, &mac) {
                        return Err(Fault::Changed(format!(
                            "a checkpoint of epoch {} does not match that epoch's key: forged or changed",
                            c.epoch
                        )));
                    }
                    self.v.seals.trusted = true;
                }
                self.v.seals.last_epoch = Some(c.epoch);
            }
        }
        self.v.seals.checkpoints += 1;
        self.v.seals.last = Some((c.sealed_at, c.through, c.events));
        self.since_checkpoint_min_ts = None;
        Ok(())
    }

    /// The footer, then the optional signature block and the trailer, which must end the file.
    fn footer(&mut self, fh: &BlockHeader, body: &[u8], seal: [u8; 32]) -> Step {
        let at = self.pos;
        let foot = match Footer::parse(body, (at + fh.header_len as usize) as u64) {
            Ok(parsed) => parsed,
            Err(e) => return self.fail(at, format!("the footer is malformed ({})", e.kind)),
        };
        if foot.root != self.link {
            return self.fail(at, "the footer's chain root does not match the blocks");
        }
        if foot.index != self.index {
            let n = foot
                .index
                .iter()
                .zip(&self.index)
                .position(|(a, b)| a != b)
                .unwrap_or(foot.index.len().min(self.index.len()));
            return self.fail(
                at,
                format!(
                    "the footer's index does not match the blocks (entry {n}; it lists {}, the file holds {})",
                    foot.index.len(),
                    self.index.len()
                ),
            );
        }
        if foot.events != self.v.events
            || foot.raw_bytes != self.raw_bytes
            || foot.stored_bytes != self.stored_bytes
        {
            return self.fail(at, "the footer's totals do not match the blocks");
        }
        self.v.stopped = StopReason::from_flags(fh.flags);
        self.link = seal;
        self.chained += 1;
        let footer_len = fh.total_len();
        self.pos = at + footer_len as usize;
        if let Err(what) = self.check_anchors() {
            return self.fail(at, what);
        }
        let b = self.b;
        let mut p = self.pos;
        // An optional signature block.
        if b.len() - p > footer::TRAILER_LEN || !self.claims_trailer && b.len() - p > 0 {
            match BlockHeader::parse(&b[p..], p as u64) {
                Ok(sh) if sh.block_type == BlockType::Signature && sh.prev == seal => {
                    let end = p + sh.total_len() as usize;
                    if end > b.len() {
                        self.pos = p;
                        return self.end_unsealed((b.len() - p) as u64);
                    }
                    let sbody = &b[p + sh.header_len as usize..end];
                    if sh.check_body(sbody, p as u64).is_err() {
                        return self.fail(p, "the signature block was changed");
                    }
                    if let Err(f) = self.final_seal(sbody, &seal) {
                        return self.fault(p, f);
                    }
                    p = end;
                }
                Err(e)
                    if matches!(e.kind, crate::ErrorKind::Truncated { .. })
                        && !self.claims_trailer =>
                {
                    self.pos = p;
                    return self.end_unsealed((b.len() - p) as u64);
                }
                _ => return self.fail(p, "unexpected bytes after the footer"),
            }
        }
        // The trailer.
        let left = b.len() - p;
        if left < footer::TRAILER_LEN {
            self.pos = p;
            if left == 0 || !self.claims_trailer {
                // Cut after the footer (or the signature): the file is not sealed.
                return self.end_unsealed(left as u64);
            }
            return self.fail(p, "the trailer was changed");
        }
        let Some(t) = Trailer::parse(
            &b[p..p + footer::TRAILER_LEN],
            (p + footer::TRAILER_LEN) as u64,
        ) else {
            return self.fail(p, "the trailer was changed");
        };
        if t.footer_offset != at as u64 || t.footer_len != footer_len || t.seal != seal {
            return self.fail(p, "the trailer does not match the footer");
        }
        let end = p + footer::TRAILER_LEN;
        if end != b.len() {
            return self.fail(
                end,
                format!("{} bytes were appended after the trailer", b.len() - end),
            );
        }
        if let Some(wanted) = self.seal_missing(self.v.seals.final_trusted) {
            let at = self.pos;
            return self.fail(
                at,
                format!("NOT {wanted} at its end, but a trusted key was given"),
            );
        }
        if let Some(a) = self.anchors.get(self.next_anchor) {
            let what = format!(
                "the anchor log shows block {} at {}, after the end of this sealed file",
                a.pos,
                format_ns(a.time)
            );
            return self.fail(end, what);
        }
        self.v.status = Status::Intact;
        Some(self.take())
    }

    /// Checks the signature block body of a finished file.
    fn final_seal(&mut self, body: &[u8], seal: &[u8; 32]) -> Result<(), Fault> {
        if let Some(sig) = sign::parse_body(body) {
            if !sig.is_valid_for(seal) {
                return Err("the signature does not match the file".into());
            }
            if let Some(k) = self.trust.pubkey
                && *k != sig.public_key
            {
                return Err(format!(
                    "signed by key {}, which is NOT the trusted key",
                    &hex(&sig.public_key)[..16]
                )
                .into());
            }
            self.v.seals.by = Some(format!("ed25519 key {}", &hex(&sig.public_key)[..16]));
            self.v.seals.trusted = self.trust.pubkey.is_some();
            self.v.seals.final_trusted = self.trust.pubkey.is_some();
        } else if let Some(fs) = sign::parse_fs_body(body) {
            self.v.seals.by = Some(format!("forward-secure key {}", hex(&fs.key_id)));
            if let (Some(key), Some(keys)) = (self.trust.fs_key, self.fs_keys.as_mut()) {
                if key.key_id() != fs.key_id {
                    return Err(Fault::Unfit(wrong_fs_key(&fs.key_id, key)));
                }
                if let Some(last) = self.v.seals.last_epoch
                    && fs.epoch < last
                {
                    return Err(format!(
                        "the final seal is of epoch {}, the last checkpoint of epoch {last}",
                        fs.epoch
                    )
                    .into());
                }
                if !keys.check(key, fs.epoch, &sign::fs_message(seal, fs.epoch), &fs.mac) {
                    return Err(format!(
                        "the final seal does not match epoch {}'s key: forged or changed",
                        fs.epoch
                    )
                    .into());
                }
                self.v.seals.final_trusted = true;
                self.v.seals.trusted = true;
            }
        } else {
            return Err("the signature block is malformed".into());
        }
        self.v.seals.final_seal = true;
        Ok(())
    }
}

fn wrong_fs_key(found: &[u8; 16], key: &FsVerifyKey) -> String {
    format!(
        "the verification key is not this recording's (the file is sealed by key {}, the key given is {})",
        hex(found),
        hex(&key.key_id())
    )
}
