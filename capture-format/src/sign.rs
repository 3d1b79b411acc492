//! Optional ed25519 signatures: a recorder holding a private key signs the seal (the chain link
//! after the footer), which covers every byte before the signature block.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};

/// Signature block magic.
pub const MAGIC: [u8; 4] = *b"CFSG";
/// Algorithm id of ed25519.
pub const ED25519: u8 = 1;
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

/// Parses a signature block body.
pub fn parse_body(b: &[u8]) -> Option<FileSignature> {
    if b.len() != BODY_LEN || b[..4] != MAGIC || b[4] != ED25519 {
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
