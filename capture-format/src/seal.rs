//! Seals inside the stream: checkpoint blocks that authenticate the chain so far, so that a
//! recording killed at any point still proves what it holds, and the forward-secure keys that
//! make an attacker who becomes root later unable to re-seal anything sealed before.
//!
//! A checkpoint block (type 5, stored, no summary) is chained like any block. Its body:
//! ```text
//! 0   4   magic "CFCP"
//! 4   1   scheme: 1 = ed25519, 2 = forward-secure (keyed BLAKE3)
//! 5   3   reserved (zero)
//! 8   8   epoch (forward-secure) or sequence number (ed25519), u64le
//! 16  8   sealed at: the recorder's wall clock when it sealed, ns since the epoch
//! 24  8   through: every event before this time is in the blocks before the checkpoint
//! 32  8   events in the blocks before the checkpoint
//! 40  8   last event time in those blocks (0: none yet)
//! 48  32  the chain link sealed (equal to this block's `prev`)
//! 80  ... authenticator of bytes 0..80 with the domain "casefile checkpoint v1":
//!         ed25519: public key (32) and signature (64);
//!         forward-secure: key id (16) and BLAKE3 keyed hash (32) under the epoch's key
//! ```
//!
//! Forward-secure keys: `k[0]` is a random 32-byte secret, `k[i+1] = derive("casefile fss
//! evolve v1", k[i])`. Epoch `i` covers `[start + i*len, start + (i+1)*len)`. The recorder holds
//! only the key of the current epoch and erases the one before when it steps; whoever holds
//! `k[0]` (the verification key, kept elsewhere) computes any epoch's key. Someone who takes the
//! host in epoch `j` holds `k[j]` and cannot compute an earlier key, so cannot change or re-seal
//! anything a checkpoint of an earlier epoch covers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use zeroize::Zeroize;

use crate::integrity::unhex;

/// Checkpoint body magic.
pub const MAGIC: [u8; 4] = *b"CFCP";
/// Scheme id of ed25519 checkpoints.
pub const ED25519: u8 = 1;
/// Scheme id of forward-secure checkpoints.
pub const FORWARD_SECURE: u8 = 2;
/// Bytes covered by the authenticator.
pub const SIGNED_LEN: usize = 80;
const DOMAIN: &[u8] = b"casefile checkpoint v1";
const EVOLVE: &str = "casefile fss evolve v1";
const ID_DOMAIN: &[u8] = b"casefile fss id v1";
/// Shortest and longest epoch.
pub const EPOCH_RANGE_NS: (u64, u64) = (1_000_000_000, 60_000_000_000);

/// What a checkpoint claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Scheme id.
    pub scheme: u8,
    /// Epoch or sequence number.
    pub epoch: u64,
    /// Wall clock of the recorder when it sealed.
    pub sealed_at: u64,
    /// Every event before this time is in the blocks before the checkpoint.
    pub through: u64,
    /// Events before the checkpoint.
    pub events: u64,
    /// Last event time before the checkpoint (0: none).
    pub last_event: u64,
    /// The chain link sealed.
    pub link: [u8; 32],
}

impl Claim {
    fn encode(&self) -> [u8; SIGNED_LEN] {
        let mut b = [0u8; SIGNED_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4] = self.scheme;
        b[8..16].copy_from_slice(&self.epoch.to_le_bytes());
        b[16..24].copy_from_slice(&self.sealed_at.to_le_bytes());
        b[24..32].copy_from_slice(&self.through.to_le_bytes());
        b[32..40].copy_from_slice(&self.events.to_le_bytes());
        b[40..48].copy_from_slice(&self.last_event.to_le_bytes());
        b[48..80].copy_from_slice(&self.link);
        b
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// How a checkpoint or final seal is authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// An ed25519 signature by `public_key`.
    Ed25519 {
        /// The signer.
        public_key: [u8; 32],
        /// The signature.
        signature: [u8; 64],
    },
    /// A keyed hash under a forward-secure epoch key.
    ForwardSecure {
        /// Which key sequence (from its verification key).
        key_id: [u8; 16],
        /// The keyed hash.
        mac: [u8; 32],
    },
}

/// A parsed checkpoint body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// What it claims.
    pub claim: Claim,
    /// How the claim is authenticated.
    pub auth: Auth,
}

impl Checkpoint {
    /// Parses a checkpoint body; `None` when malformed.
    pub fn parse(b: &[u8]) -> Option<Checkpoint> {
        if b.len() < SIGNED_LEN || b[..4] != MAGIC || b[5..8] != [0; 3] {
            return None;
        }
        let mut link = [0u8; 32];
        link.copy_from_slice(&b[48..80]);
        let claim = Claim {
            scheme: b[4],
            epoch: u64_at(b, 8),
            sealed_at: u64_at(b, 16),
            through: u64_at(b, 24),
            events: u64_at(b, 32),
            last_event: u64_at(b, 40),
            link,
        };
        let rest = &b[SIGNED_LEN..];
        let auth = match (claim.scheme, rest.len()) {
            (ED25519, 96) => {
                let mut public_key = [0u8; 32];
                public_key.copy_from_slice(&rest[..32]);
                let mut signature = [0u8; 64];
                signature.copy_from_slice(&rest[32..]);
                Auth::Ed25519 {
                    public_key,
                    signature,
                }
            }
            (FORWARD_SECURE, 48) => {
                let mut key_id = [0u8; 16];
                key_id.copy_from_slice(&rest[..16]);
                let mut mac = [0u8; 32];
                mac.copy_from_slice(&rest[16..]);
                Auth::ForwardSecure { key_id, mac }
            }
            _ => return None,
        };
        Some(Checkpoint { claim, auth })
    }

    /// Whether an ed25519 checkpoint's signature is valid for its own public key (who that key
    /// belongs to is the caller's question). `None` for other schemes.
    pub fn ed25519_valid(&self) -> Option<bool> {
        let Auth::Ed25519 {
            public_key,
            signature,
        } = self.auth
        else {
            return None;
        };
        let Ok(vk) = VerifyingKey::from_bytes(&public_key) else {
            return Some(false);
        };
        let sig = ed25519_dalek::Signature::from_bytes(&signature);
        Some(vk.verify(&message(&self.claim.encode()), &sig).is_ok())
    }
}

fn message(claim: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(claim);
    m
}

/// The verification half of a forward-secure key: the first epoch key and the schedule.
/// Whoever holds it can compute every epoch's key, so it is kept off the recording host.
#[derive(Clone)]
pub struct FsVerifyKey {
    seed: [u8; 32],
    /// Start of epoch 0, ns since the epoch.
    pub start_ns: u64,
    /// Epoch length in ns.
    pub epoch_ns: u64,
}

impl std::fmt::Debug for FsVerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsVerifyKey")
            .field("key_id", &crate::integrity::hex(&self.key_id()))
            .field("start_ns", &self.start_ns)
            .field("epoch_ns", &self.epoch_ns)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for FsSealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsSealingKey")
            .field("key_id", &crate::integrity::hex(&self.key_id))
            .field("epoch", &self.epoch)
            .field("start_ns", &self.start_ns)
            .field("epoch_ns", &self.epoch_ns)
            .finish_non_exhaustive()
    }
}

impl Drop for FsVerifyKey {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

/// The sealing half: the current epoch's key. It only moves forward.
pub struct FsSealingKey {
    key: [u8; 32],
    /// The epoch `key` belongs to.
    pub epoch: u64,
    /// Start of epoch 0.
    pub start_ns: u64,
    /// Epoch length in ns.
    pub epoch_ns: u64,
    /// Identifies the key sequence (a hash of the verification key).
    pub key_id: [u8; 16],
    /// Where the key is kept: rewritten, old key erased, at every step.
    path: Option<PathBuf>,
}

impl Drop for FsSealingKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// The id of the key sequence that starts with `seed`.
fn key_id(seed: &[u8; 32]) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(ID_DOMAIN);
    h.update(seed);
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    id
}

fn evolve(k: &mut [u8; 32]) {
    let mut next = blake3::derive_key(EVOLVE, k);
    k.copy_from_slice(&next);
    next.zeroize();
}

fn mac(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    *blake3::keyed_hash(key, msg).as_bytes()
}

const VERIFY_TAG: &str = "casefile-fss-verify-v1";
const SEALING_TAG: &str = "casefile-fss-seal-v1";

/// A forward-secure key file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

struct KeyLine {
    start: u64,
    epoch_ns: u64,
    at: u64,
    key: [u8; 32],
    id: Option<[u8; 16]>,
}

/// Parses `TAG start=NS epoch=NS [at=N] [id=HEX] key=HEX`.
fn parse_line(text: &str, tag: &str) -> Result<KeyLine, KeyError> {
    let mut words = text.split_whitespace();
    if words.next() != Some(tag) {
        return Err(KeyError(format!(
            "not a {} (it should start with {tag:?})",
            if tag == VERIFY_TAG {
                "forward-secure verification key"
            } else {
                "forward-secure sealing key"
            }
        )));
    }
    let (mut start, mut epoch, mut at, mut key, mut id) = (None, None, None, None, None);
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| KeyError(format!("malformed field {w:?}")))?;
        let num = || {
            v.parse::<u64>()
                .map_err(|_| KeyError(format!("{k} is not a number")))
        };
        match k {
            "start" => start = Some(num()?),
            "epoch" => epoch = Some(num()?),
            "at" => at = Some(num()?),
            "key" => {
                key = Some(unhex(v).ok_or_else(|| KeyError("key is not 64 hex digits".into()))?);
            }
            "id" => {
                id = Some(unhex(v).ok_or_else(|| KeyError("id is not 32 hex digits".into()))?);
            }
            _ => return Err(KeyError(format!("unknown field {k:?}"))),
        }
    }
    let (Some(start), Some(epoch_ns), Some(key)) = (start, epoch, key) else {
        return Err(KeyError("a field is missing (start, epoch, key)".into()));
    };
    if !(EPOCH_RANGE_NS.0..=EPOCH_RANGE_NS.1).contains(&epoch_ns) {
        return Err(KeyError(format!(
            "epoch of {epoch_ns} ns is outside 1 s to 60 s"
        )));
    }
    Ok(KeyLine {
        start,
        epoch_ns,
        at: at.unwrap_or(0),
        key,
        id,
    })
}

impl FsVerifyKey {
    /// A new random key sequence starting at `start_ns` with epochs of `epoch_ns`.
    pub fn generate(start_ns: u64, epoch_ns: u64) -> std::io::Result<FsVerifyKey> {
        let mut seed = [0u8; 32];
        let mut f = std::fs::File::open("/dev/urandom")?;
        std::io::Read::read_exact(&mut f, &mut seed)?;
        Ok(FsVerifyKey {
            seed,
            start_ns,
            epoch_ns,
        })
    }

    /// The key file text.
    pub fn to_text(&self) -> String {
        format!(
            "{VERIFY_TAG} start={} epoch={} key={}\n",
            self.start_ns,
            self.epoch_ns,
            crate::integrity::hex(&self.seed)
        )
    }

    /// Parses a key file's text.
    pub fn from_text(text: &str) -> Result<FsVerifyKey, KeyError> {
        let l = parse_line(text, VERIFY_TAG)?;
        Ok(FsVerifyKey {
            seed: l.key,
            start_ns: l.start,
            epoch_ns: l.epoch_ns,
        })
    }

    /// The id of this key sequence.
    pub fn key_id(&self) -> [u8; 16] {
        key_id(&self.seed)
    }

    /// The sealing key for epoch 0 (what `keygen` leaves on the host).
    pub fn sealing_key(&self) -> FsSealingKey {
        FsSealingKey {
            key: self.seed,
            epoch: 0,
            start_ns: self.start_ns,
            epoch_ns: self.epoch_ns,
            key_id: self.key_id(),
            path: None,
        }
    }

    /// Epoch keys computed on demand, each step from the previous one.
    pub fn keys(&self) -> EpochKeys {
        EpochKeys {
            key: self.seed,
            epoch: 0,
        }
    }
}

/// Walks a key sequence forward for verification.
pub struct EpochKeys {
    key: [u8; 32],
    epoch: u64,
}

impl Drop for EpochKeys {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// Epochs a verifier will step through (a year of 1 s epochs); a claim beyond is refused.
const MAX_EPOCH: u64 = 366 * 86_400;

impl EpochKeys {
    /// Whether `mac` is the keyed hash of `msg` under epoch `epoch`'s key. Epochs must be asked
    /// for in order (a verifier walks a file forward); an earlier epoch is recomputed.
    pub fn check(&mut self, seed: &FsVerifyKey, epoch: u64, msg: &[u8], tag: &[u8; 32]) -> bool {
        if epoch > MAX_EPOCH {
            return false;
        }
        if epoch < self.epoch {
            *self = seed.keys();
        }
        while self.epoch < epoch {
            evolve(&mut self.key);
            self.epoch += 1;
        }
        mac(&self.key, msg) == *tag
    }
}

impl FsSealingKey {
    /// The key file text.
    pub fn to_text(&self) -> String {
        format!(
            "{SEALING_TAG} start={} epoch={} at={} id={} key={}\n",
            self.start_ns,
            self.epoch_ns,
            self.epoch,
            crate::integrity::hex(&self.key_id),
            crate::integrity::hex(&self.key)
        )
    }

    /// Parses a key file's text; `path` is where the key is rewritten as it steps.
    pub fn from_text(text: &str, path: Option<&Path>) -> Result<FsSealingKey, KeyError> {
        let l = parse_line(text, SEALING_TAG)?;
        // The id names the verification key, which the host does not hold: it is kept beside
        // the sealing key.
        let key_id =
            l.id.ok_or_else(|| KeyError("the sealing key has no id field".into()))?;
        Ok(FsSealingKey {
            key: l.key,
            epoch: l.at,
            start_ns: l.start,
            epoch_ns: l.epoch_ns,
            key_id,
            path: path.map(Path::to_path_buf),
        })
    }

    /// The epoch that `now_ns` falls in.
    pub fn epoch_at(&self, now_ns: u64) -> u64 {
        now_ns.saturating_sub(self.start_ns) / self.epoch_ns
    }

    /// Steps the key forward to the epoch of `now_ns` (never back), erasing the old key and
    /// rewriting the key file. Fails when the file cannot be rewritten: a key that stays on disk
    /// would defeat forward security.
    pub fn advance(&mut self, now_ns: u64) -> std::io::Result<()> {
        let target = self.epoch_at(now_ns);
        if target <= self.epoch {
            return Ok(());
        }
        if target - self.epoch > MAX_EPOCH {
            return Err(std::io::Error::other(
                "the clock is more than a year past the key's epoch",
            ));
        }
        while self.epoch < target {
            evolve(&mut self.key);
            self.epoch += 1;
        }
        self.persist()
    }

    /// Rewrites the key file with the current key (a new file renamed over the old one).
    pub fn persist(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".step");
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        let mut text = self.to_text();
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        text.zeroize();
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    }

    /// The authenticator of `claim` under the current epoch's key.
    fn tag(&self, msg: &[u8]) -> [u8; 32] {
        mac(&self.key, msg)
    }
}

/// A key that seals a recording.
pub enum SealKey {
    /// Signs with an ed25519 key (checkpoints and the final signature block).
    Ed25519(SigningKey),
    /// Seals with a forward-secure key, stepping it every epoch.
    ForwardSecure(FsSealingKey),
}

/// Who seals a recording: a handle shared by the files of a rotation, so that a forward-secure
/// key exists once in memory and only moves forward.
#[derive(Clone)]
pub struct Sealer(Arc<Mutex<SealKey>>);

impl Sealer {
    /// A sealer holding `key`.
    pub fn new(key: SealKey) -> Sealer {
        Sealer(Arc::new(Mutex::new(key)))
    }

    /// An ed25519 sealer.
    pub fn ed25519(key: SigningKey) -> Sealer {
        Sealer::new(SealKey::Ed25519(key))
    }

    /// A forward-secure sealer.
    pub fn forward_secure(key: FsSealingKey) -> Sealer {
        Sealer::new(SealKey::ForwardSecure(key))
    }

    fn key(&self) -> MutexGuard<'_, SealKey> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The checkpoint body sealing `claim` (its scheme and epoch are filled in here).
    pub fn checkpoint(&self, mut claim: Claim, seq: u64) -> std::io::Result<Vec<u8>> {
        match &mut *self.key() {
            SealKey::Ed25519(k) => {
                claim.scheme = ED25519;
                claim.epoch = seq;
                let c = claim.encode();
                let sig = k.sign(&message(&c));
                let mut out = c.to_vec();
                out.extend_from_slice(k.verifying_key().as_bytes());
                out.extend_from_slice(&sig.to_bytes());
                Ok(out)
            }
            SealKey::ForwardSecure(k) => {
                k.advance(claim.sealed_at)?;
                claim.scheme = FORWARD_SECURE;
                claim.epoch = k.epoch;
                let c = claim.encode();
                let mut out = c.to_vec();
                out.extend_from_slice(&k.key_id);
                out.extend_from_slice(&k.tag(&message(&c)));
                Ok(out)
            }
        }
    }

    /// The body of the signature block that seals a finished file (`seal`: the chain link after
    /// the footer).
    pub fn final_seal(&self, seal: &[u8; 32], now_ns: u64) -> std::io::Result<Vec<u8>> {
        match &mut *self.key() {
            SealKey::Ed25519(k) => Ok(crate::sign::sign_body(k, seal)),
            SealKey::ForwardSecure(k) => {
                k.advance(now_ns)?;
                Ok(crate::sign::fs_body(k.epoch, &k.key_id, |m| k.tag(m), seal))
            }
        }
    }

    /// Steps a forward-secure key to the epoch of `now_ns` (nothing for other keys): the
    /// recorder calls it as time passes, so the key of an ended epoch is erased even while no
    /// checkpoint is due.
    pub fn advance(&self, now_ns: u64) -> std::io::Result<()> {
        match &mut *self.key() {
            SealKey::Ed25519(_) => Ok(()),
            SealKey::ForwardSecure(k) => k.advance(now_ns),
        }
    }

    /// The epoch length of a forward-secure key.
    pub fn epoch_ns(&self) -> Option<u64> {
        match &*self.key() {
            SealKey::Ed25519(_) => None,
            SealKey::ForwardSecure(k) => Some(k.epoch_ns),
        }
    }
}
