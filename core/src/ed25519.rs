//! Ed25519 verification: the one strict rule of Ωpm (ed25519-dalek `verify_strict`: canonical
//! S, canonical and not-small-order A and R, cofactorless equation) and batch verification
//! whose verdicts equal one-by-one `verify_strict`. The rule is documented, vector by vector,
//! in docs/ed25519.md.

use alloc::vec::Vec;

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::keys::PublicKey;

/// Strict verification of a raw 32-byte key, message and 64-byte signature. Returns `false`
/// for any malformed input; never panics.
pub fn verify_strict_raw(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (
        <&[u8; 32]>::try_from(public_key),
        <&[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    match VerifyingKey::from_bytes(pk) {
        Ok(vk) => vk
            .verify_strict(message, &Signature::from_bytes(sig))
            .is_ok(),
        Err(_) => false,
    }
}

/// Strict verification with a parsed key.
pub fn verify_strict(key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
    key.verifying_key()
        .verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

/// One signature to verify in a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// The key.
    pub key: &'a PublicKey,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a [u8; 64],
}

/// Whether `item` passes every check of `verify_strict` that does not involve the curve
/// equation: canonical S, R decodes canonically, neither A nor R has small order, A canonical.
fn strict_prechecks(item: &BatchItem<'_>) -> bool {
    let sig = item.signature;
    // S must be canonical (< L); dalek's batch checks this too, but be explicit.
    let mut s = [0u8; 32];
    s.copy_from_slice(&sig[32..]);
    if Option::<curve25519_dalek::Scalar>::from(curve25519_dalek::Scalar::from_canonical_bytes(s))
        .is_none()
    {
        return false;
    }
    let mut r = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    let compressed_r = CompressedEdwardsY(r);
    let Some(point_r) = compressed_r.decompress() else {
        return false;
    };
    if point_r.is_small_order() || point_r.compress() != compressed_r {
        return false;
    }
    let vk = item.key.verifying_key();
    if vk.is_weak() {
        return false;
    }
    let compressed_a = CompressedEdwardsY(*vk.as_bytes());
    match compressed_a.decompress() {
        Some(a) => a.compress() == compressed_a,
        None => false,
    }
}

/// Verifies many signatures at once. The verdict of each item is exactly that of
/// [`verify_strict`]: the strict pre-checks run on every item first; the survivors are checked
/// together with dalek's batch equation; when the batch fails, each item is verified one by
/// one so the bad ones are named. Returns one verdict per item, in order.
pub fn verify_batch_strict(items: &[BatchItem<'_>]) -> Vec<bool> {
    let mut verdicts: Vec<bool> = items.iter().map(strict_prechecks).collect();
    let idx: Vec<usize> = (0..items.len()).filter(|&i| verdicts[i]).collect();
    if idx.len() < 2 {
        for &i in &idx {
            verdicts[i] = verify_strict(items[i].key, items[i].message, items[i].signature);
        }
        return verdicts;
    }
    let messages: Vec<&[u8]> = idx.iter().map(|&i| items[i].message).collect();
    let signatures: Vec<Signature> = idx
        .iter()
        .map(|&i| Signature::from_bytes(items[i].signature))
        .collect();
    let keys: Vec<VerifyingKey> = idx.iter().map(|&i| *items[i].key.verifying_key()).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_err() {
        for &i in &idx {
            verdicts[i] = verify_strict(items[i].key, items[i].message, items[i].signature);
        }
    }
    verdicts
}
