//! Optional ed25519 signatures: a recorder holding a private key signs the seal (the chain link
//! after the footer), which covers every byte before the signature block.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};

/// Signature block magic.
pub const MAGIC: [u8; 4] = *b"CFSG";
/// Algorithm id of ed25519.
pub const ED25519: u8 = 1;
/// Algorithm id of a forward-secure seal (keyed BLAKE3 under an epoch key, see `seal`).
pub const FORWARD_SECURE: u8 = 2;
/// Forward-secure signature block body length.
pub const FS_BODY_LEN: usize = 64;
/// Signature block body length.
pub const BODY_LEN: usize = 104;
const DOMAIN: &[u8] = b"casefile signature v1";

/// A signature found in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSignature {
    /// The signer's public key.
    pub public_key: [u8; 32],
    /// The signature of the seal.
    pub signature: [u8; 64],
}

fn message(seal: &[u8; 32]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(seal);
    m
}

/// The signature block body for `seal`.
pub fn sign_body(key: &SigningKey, seal: &[u8; 32]) -> Vec<u8> {
    let sig = key.sign(&message(seal));
    let mut out = Vec::with_capacity(BODY_LEN);
    out.extend_from_slice(&MAGIC);
    out.push(ED25519);
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(key.verifying_key().as_bytes());
    out.extend_from_slice(&sig.to_bytes());
    out
}

/// A forward-secure final seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsSeal {
    /// The epoch whose key sealed the file.
    pub epoch: u64,
    /// The key sequence.
    pub key_id: [u8; 16],
    /// Keyed hash of [`fs_message`].
    pub mac: [u8; 32],
}

/// What a forward-secure final seal authenticates.
pub fn fs_message(seal: &[u8; 32], epoch: u64) -> Vec<u8> {
    let mut m = message(seal);
    m.extend_from_slice(&epoch.to_le_bytes());
    m
}

/// The signature block body of a forward-secure seal; `tag` is the epoch key's keyed hash.
pub fn fs_body(
    epoch: u64,
    key_id: &[u8; 16],
    tag: impl FnOnce(&[u8]) -> [u8; 32],
    seal: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(FS_BODY_LEN);
    out.extend_from_slice(&MAGIC);
    out.push(FORWARD_SECURE);
    out.extend_from_slice(&[0; 3]);
    out.extend_from_slice(&epoch.to_le_bytes());
    out.extend_from_slice(key_id);
    out.extend_from_slice(&tag(&fs_message(seal, epoch)));
    out
}

/// Parses a forward-secure signature block body.
pub fn parse_fs_body(b: &[u8]) -> Option<FsSeal> {
    if b.len() != FS_BODY_LEN || b[..4] != MAGIC || b[4] != FORWARD_SECURE || b[5..8] != [0; 3] {
        return None;
    }
    let mut e = [0u8; 8];
    e.copy_from_slice(&b[8..16]);
    let mut key_id = [0u8; 16];
    key_id.copy_from_slice(&b[16..32]);
    let mut mac = [0u8; 32];
    mac.copy_from_slice(&b[32..64]);
    Some(FsSeal {
        epoch: u64::from_le_bytes(e),
        key_id,
        mac,
    })
}

/// Parses an ed25519 signature block body.
pub fn parse_body(b: &[u8]) -> Option<FileSignature> {
    if b.len() != BODY_LEN || b[..4] != MAGIC || b[4] != ED25519 || b[5..8] != [0; 3] {
        return None;
    }
    let mut public_key = [0u8; 32];
    public_key.copy_from_slice(&b[8..40]);
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&b[40..104]);
    Some(FileSignature {
        public_key,
        signature,
    })
}

impl FileSignature {
    /// Whether the signature is a valid signature of `seal` by its own public key.
    pub fn is_valid_for(&self, seal: &[u8; 32]) -> bool {
        let Ok(vk) = VerifyingKey::from_bytes(&self.public_key) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        vk.verify(&message(seal), &sig).is_ok()
    }
}

/// A new random signing key, from the operating system's random source.
pub fn generate_key() -> std::io::Result<SigningKey> {
    let mut seed = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom")?;
    std::io::Read::read_exact(&mut f, &mut seed)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A signing key from its 32-byte seed.
pub fn key_from_seed(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}
