//! Ed25519 verification: the one strict rule of Ωpm (ed25519-dalek `verify_strict`: canonical
//! S, canonical and not-small-order A and R, cofactorless equation) and batch verification
//! whose verdicts equal one-by-one `verify_strict`. The rule is documented, vector by vector,
//! in docs/ed25519.md.
//!
//! One verification is ed25519-dalek's `verify_strict` with one step fewer: R is not
//! decompressed. dalek decompresses R only to refuse a small-order R; the signature holds only
//! when R's bytes equal the canonical compression of [S]B − [k]A, so an R that does not decode,
//! or decodes from a non-canonical encoding, can never pass, and a canonical R of small order
//! is one of the eight encodings in [`SMALL_ORDER_ENCODINGS`] (as libsodium checks it). Same
//! verdicts (tests: every public vector, and `same_verdicts_as_dalek_verify_strict`), one field
//! exponentiation less per signature.

use alloc::vec::Vec;

#[cfg(feature = "batch")]
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::{EdwardsPoint, Scalar};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};

use crate::keys::PublicKey;

/// The canonical encodings of the eight points of small order (the 8-torsion: orders 1, 2, 4
/// and 8), checked against curve25519-dalek's `EIGHT_TORSION` in the tests.
const SMALL_ORDER_ENCODINGS: [[u8; 32]; 8] = {
    const fn y(first: u8, last: u8, fill: u8, second: u8) -> [u8; 32] {
        let mut b = [fill; 32];
        b[0] = first;
        b[1] = second;
        b[31] = last;
        b
    }
    [
        // identity (0, 1)
        y(0x01, 0x00, 0x00, 0x00),
        // order 8
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ],
        // order 4: (sqrt(-1), 0) -> y = 0, sign bit of x
        y(0x00, 0x80, 0x00, 0x00),
        // order 8
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x85,
        ],
        // order 2: (0, -1)
        y(0xec, 0x7f, 0xff, 0xff),
        // order 8
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x05,
        ],
        // order 4: (-sqrt(-1), 0)
        y(0x00, 0x00, 0x00, 0x00),
        // order 8
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0xfa,
        ],
    ]
};

/// `verify_strict` for the decoded key `a` (its encoding `a_bytes`, as received).
fn verify_decoded(
    a: &EdwardsPoint,
    a_bytes: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> bool {
    let (r, s) = signature.split_at(32);
    let (Ok(r), Ok(s)) = (<[u8; 32]>::try_from(r), <[u8; 32]>::try_from(s)) else {
        return false;
    };
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)) else {
        return false;
    };
    if SMALL_ORDER_ENCODINGS.contains(&r) || a.is_small_order() {
        return false;
    }
    let mut h = Sha512::new();
    h.update(r);
    h.update(a_bytes);
    h.update(message);
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&h.finalize());
    let k = Scalar::from_bytes_mod_order_wide(&wide);
    EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s)
        .compress()
        .to_bytes()
        == r
}

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
        Ok(vk) => verify_decoded(&vk.to_edwards(), pk, message, sig),
        Err(_) => false,
    }
}

/// Strict verification with a parsed key.
pub fn verify_strict(key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let vk = key.verifying_key();
    verify_decoded(&vk.to_edwards(), vk.as_bytes(), message, signature)
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

/// Whether a point encoding is canonical: its y coordinate (the low 255 bits) is below
/// p = 2^255 - 19. (The other non-canonical form, x = 0 with the sign bit set, only exists for
/// points of small order, which are refused separately.)
#[cfg(feature = "batch")]
fn y_is_canonical(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    !(top == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed)
}

/// The part of `verify_strict` that concerns the key alone: canonical, not of small order.
/// Returns the decompressed point. Computed once per distinct key in a batch.
#[cfg(feature = "batch")]
fn key_prechecks(key: &PublicKey) -> Option<curve25519_dalek::EdwardsPoint> {
    let vk = key.verifying_key();
    if vk.is_weak() || !y_is_canonical(vk.as_bytes()) {
        return None;
    }
    Some(vk.to_edwards())
}

/// The part of `verify_strict` that concerns the signature alone and needs no curve equation:
/// canonical S below L, R canonical, decodable and not of small order. Returns S and R.
#[cfg(feature = "batch")]
fn signature_prechecks(
    sig: &[u8; 64],
) -> Option<(curve25519_dalek::Scalar, curve25519_dalek::EdwardsPoint)> {
    let mut s = [0u8; 32];
    s.copy_from_slice(&sig[32..]);
    let s = Option::<curve25519_dalek::Scalar>::from(
        curve25519_dalek::Scalar::from_canonical_bytes(s),
    )?;
    let mut r = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    if !y_is_canonical(&r) {
        return None;
    }
    let point_r = CompressedEdwardsY(r).decompress()?;
    if point_r.is_small_order() {
        return None;
    }
    Some((s, point_r))
}

#[cfg(all(test, feature = "batch"))]
fn strict_prechecks(item: &BatchItem<'_>) -> bool {
    key_prechecks(item.key).is_some() && signature_prechecks(item.signature).is_some()
}

/// Verifies many signatures at once. The verdict of each item is that of [`verify_strict`]:
///
/// 1. every item first passes the strict checks that need no curve equation (canonical S,
///    canonical R and A, neither of small order); the others are rejected;
/// 2. the survivors are checked together with one multi-scalar multiplication of the
///    cofactorless equation `Σ zᵢ(Rᵢ + [kᵢ]Aᵢ − [Sᵢ]B) = 0`, with 128-bit coefficients `zᵢ`
///    derived from a hash of every input (deterministic, no RNG) and forced odd, so that a
///    single item whose discrepancy is a small-torsion point can never vanish from the sum
///    (dalek's own `verify_batch` would let it through with probability up to 1/2);
/// 3. when the batch equation fails, every survivor is verified one by one, naming the bad
///    ones; when it holds, each R is checked torsion-free. Odd coefficients alone cannot
///    make the batch exact: two signatures whose R carry cancelling torsion components (the
///    same order-2 point twice, or T and -T) vanish from the sum. Only a key holder can make
///    such signatures, but the verdicts must still equal one-by-one verification, so each R
///    pays one variable-time scalar multiplication. (Keys with a torsion component, checked
///    once per distinct key, send the batch one by one.)
///
/// Verdicts equal [`verify_strict`] on every item (up to a 2^-128 chance for the prime-order
/// part of the batch equation). The speed-up over one by one is modest (about 1.25×, see
/// docs/benchmarks.md): a batch that skipped the torsion check would be about 3.5× faster, and
/// would let a key holder's crafted signatures pass. Returns one verdict per item, in order.
///
/// Without the `batch` feature (the browser build), the items are verified one by one: the
/// same verdicts, without the batch equation's code.
pub fn verify_batch_strict(items: &[BatchItem<'_>]) -> Vec<bool> {
    #[cfg(feature = "batch")]
    {
        verify_batch_equation(items)
    }
    #[cfg(not(feature = "batch"))]
    {
        items
            .iter()
            .map(|it| verify_strict(it.key, it.message, it.signature))
            .collect()
    }
}

/// [`verify_batch_strict`] with the batch equation (feature `batch`).
#[cfg(feature = "batch")]
fn verify_batch_equation(items: &[BatchItem<'_>]) -> Vec<bool> {
    use curve25519_dalek::{EdwardsPoint, Scalar};
    // Key checks once per distinct key (an audit has many signatures, few keys).
    let mut keys: Vec<(&PublicKey, Option<EdwardsPoint>)> = Vec::new();
    let mut key_of: Vec<usize> = Vec::with_capacity(items.len());
    for it in items {
        let k = match keys.iter().position(|(k, _)| *k == it.key) {
            Some(k) => k,
            None => {
                keys.push((it.key, key_prechecks(it.key)));
                keys.len() - 1
            }
        };
        key_of.push(k);
    }
    let mut verdicts = alloc::vec![false; items.len()];
    let mut survivors: Vec<(usize, Scalar, EdwardsPoint)> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        if keys[key_of[i]].1.is_none() {
            continue;
        }
        if let Some((s, r)) = signature_prechecks(it.signature) {
            survivors.push((i, s, r));
        }
    }
    let batch_ok = survivors.len() >= 2 && batch_equation_holds(items, &survivors, &keys, &key_of);
    for (i, _, r) in &survivors {
        verdicts[*i] = if batch_ok {
            // The batch equation holds and every key is torsion-free, so each item's
            // discrepancy is a torsion point; it is zero exactly when R is torsion-free (the
            // one-by-one equation R = [S]B - [k]A has a torsion-free right-hand side).
            is_torsion_free_vartime(r)
        } else {
            verify_strict(items[*i].key, items[*i].message, items[*i].signature)
        };
    }
    verdicts
}

/// Whether `p` has no small-torsion component: [L]p = 0, computed as [L-1]p = -p with a
/// variable-time double-scalar multiplication (p is public).
#[cfg(feature = "batch")]
fn is_torsion_free_vartime(p: &curve25519_dalek::EdwardsPoint) -> bool {
    use curve25519_dalek::{EdwardsPoint, Scalar};
    EdwardsPoint::vartime_double_scalar_mul_basepoint(&-Scalar::ONE, p, &Scalar::ZERO) == -p
}

/// The batch equation over the `survivors` of the pre-checks (index, S, R).
#[cfg(feature = "batch")]
fn batch_equation_holds(
    items: &[BatchItem<'_>],
    survivors: &[(
        usize,
        curve25519_dalek::Scalar,
        curve25519_dalek::EdwardsPoint,
    )],
    keys: &[(&PublicKey, Option<curve25519_dalek::EdwardsPoint>)],
    key_of: &[usize],
) -> bool {
    use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::{Digest, Sha512};

    // A transcript of every input seeds the coefficients: deterministic, no RNG, and no
    // coefficient can be chosen without fixing every signature first.
    let mut transcript = crate::hash::Blake2b256::new();
    transcript.update(b"omega-batch-v1");
    for (i, _, _) in survivors {
        let it = &items[*i];
        transcript.update(it.key.as_bytes());
        transcript.update(it.signature);
        transcript.update(&(it.message.len() as u64).to_le_bytes());
        transcript.update(it.message);
    }
    let seed = transcript.finalize();

    let mut b_coeff = Scalar::ZERO;
    let mut key_coeff: Vec<Scalar> = alloc::vec![Scalar::ZERO; keys.len()];
    let mut scalars: Vec<Scalar> = Vec::with_capacity(survivors.len() + keys.len() + 1);
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(survivors.len() + keys.len() + 1);
    for (n, (i, s, r)) in survivors.iter().enumerate() {
        let it = &items[*i];
        // k = SHA-512(R || A || M) mod L.
        let mut h = Sha512::new();
        h.update(&it.signature[..32]);
        h.update(it.key.as_bytes());
        h.update(it.message);
        let wide: [u8; 64] = h.finalize().into();
        let k = Scalar::from_bytes_mod_order_wide(&wide);
        let mut zh = crate::hash::Blake2b256::new();
        zh.update(&seed);
        zh.update(&(n as u64).to_le_bytes());
        let zb = zh.finalize();
        let mut z16 = [0u8; 16];
        z16.copy_from_slice(&zb[..16]);
        // The R coefficient is z itself (odd, below 2^128 < L, never reduced), so it acts on
        // a torsion component as an odd integer; a negated scalar (L - z) would act as an even
        // one, since L = 5 mod 8.
        let z = Scalar::from(u128::from_le_bytes(z16) | 1);
        b_coeff += z * s;
        key_coeff[key_of[*i]] += z * k;
        scalars.push(z);
        points.push(*r);
    }
    for ((_, a), coeff) in keys.iter().zip(key_coeff) {
        let Some(a) = a else { continue };
        if coeff == Scalar::ZERO {
            continue;
        }
        // With a torsion component in A, coefficients reduced mod L would not act on it as in
        // one-by-one verification; such keys (never honest ones) go one by one.
        if !a.is_torsion_free() {
            return false;
        }
        scalars.push(coeff);
        points.push(*a);
    }
    scalars.push(-b_coeff);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    // Σ z(R + [k]A - [S]B) = 0
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

#[cfg(all(test, feature = "batch"))]
mod tests {
    use super::*;
    use crate::keys::KeyId;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use curve25519_dalek::Scalar;
    use sha2::{Digest, Sha512};

    /// A signature made with secret scalar `a` and nonce `r`, whose R is shifted by the torsion
    /// point `t` (index into EIGHT_TORSION; 0 = none) before hashing: only the key holder can
    /// make it, and strict verification rejects it when `t != 0`.
    fn crafted(a: u64, r: u64, t: usize, msg: &[u8]) -> (PublicKey, [u8; 64]) {
        let a = Scalar::from(a);
        let pk = PublicKey::from_parts(KeyId([1; 8]), &(B * a).compress().to_bytes()).unwrap();
        let big_r = (B * Scalar::from(r) + EIGHT_TORSION[t]).compress();
        let mut h = Sha512::new();
        h.update(big_r.as_bytes());
        h.update(pk.as_bytes());
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = Scalar::from(r) + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(big_r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        (pk, sig)
    }

    fn batch_holds(items: &[BatchItem<'_>]) -> bool {
        let keys: Vec<(&PublicKey, Option<curve25519_dalek::EdwardsPoint>)> = items
            .iter()
            .map(|i| (i.key, key_prechecks(i.key)))
            .collect();
        let key_of: Vec<usize> = (0..items.len()).collect();
        let survivors: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let (s, r) = signature_prechecks(it.signature).unwrap();
                (i, s, r)
            })
            .collect();
        batch_equation_holds(items, &survivors, &keys, &key_of)
    }

    /// Two signatures whose R carry torsion components that cancel in the batch sum (the same
    /// order-2 point twice; T and -T): only the key holder can make them, and the batch must
    /// still give one-by-one verdicts.
    #[test]
    fn cancelling_torsion_pairs_get_one_by_one_verdicts() {
        for t in 1..8 {
            let (k1, s1) = crafted(11, 101, t, b"one");
            let (k2, s2) = crafted(11, 102, t, b"two");
            let (k3, s3) = crafted(13, 103, 8 - t, b"three");
            let (k4, s4) = crafted(13, 104, 0, b"four");
            assert!(!verify_strict(&k1, b"one", &s1));
            let pair = [
                BatchItem {
                    key: &k1,
                    message: b"one",
                    signature: &s1,
                },
                BatchItem {
                    key: &k2,
                    message: b"two",
                    signature: &s2,
                },
            ];
            assert_eq!(
                verify_batch_strict(&pair),
                alloc::vec![false, false],
                "same torsion {t}"
            );
            let opposite = [
                BatchItem {
                    key: &k1,
                    message: b"one",
                    signature: &s1,
                },
                BatchItem {
                    key: &k3,
                    message: b"three",
                    signature: &s3,
                },
                BatchItem {
                    key: &k4,
                    message: b"four",
                    signature: &s4,
                },
            ];
            assert_eq!(
                verify_batch_strict(&opposite),
                alloc::vec![false, false, true],
                "opposite torsion {t}"
            );
        }
    }

    #[test]
    fn batch_equation_accepts_valid_and_rejects_torsion_discrepancies() {
        let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| alloc::vec![i; 10 + i as usize]).collect();
        let sigs: Vec<(PublicKey, [u8; 64])> = (0..6)
            .map(|i| crafted(11 + (i % 2) as u64, 100 + i as u64, 0, &msgs[i]))
            .collect();
        let items: Vec<BatchItem<'_>> = sigs
            .iter()
            .zip(&msgs)
            .map(|((k, s), m)| BatchItem {
                key: k,
                message: m,
                signature: s,
            })
            .collect();
        assert!(items
            .iter()
            .all(|i| verify_strict(i.key, i.message, i.signature)));
        assert!(
            batch_holds(&items),
            "valid signatures must pass the batch equation"
        );
        assert_eq!(verify_batch_strict(&items), alloc::vec![true; 6]);
        // Each torsion shift (orders 2, 4 and 8) in one signature: strict rejects it, and the
        // batch equation must fail too (odd coefficients), for every position in the batch.
        for t in 1..8 {
            for pos in 0..items.len() {
                let bad = crafted(11 + (pos % 2) as u64, 100 + pos as u64, t, &msgs[pos]);
                assert!(!verify_strict(&bad.0, &msgs[pos], &bad.1));
                let mut with_bad = items.clone();
                with_bad[pos] = BatchItem {
                    key: &bad.0,
                    message: &msgs[pos],
                    signature: &bad.1,
                };
                assert!(
                    strict_prechecks(&with_bad[pos]),
                    "mixed-order R passes the pre-checks"
                );
                assert!(
                    !batch_holds(&with_bad),
                    "torsion {t} at {pos} slipped through"
                );
                let mut want = alloc::vec![true; 6];
                want[pos] = false;
                assert_eq!(verify_batch_strict(&with_bad), want);
            }
        }
    }
}

#[cfg(test)]
mod strict_tests {
    use super::*;
    use crate::keys::KeyId;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use ed25519_dalek::Signature;

    fn dalek(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
        VerifyingKey::from_bytes(pk)
            .map(|vk| vk.verify_strict(msg, &Signature::from_bytes(sig)).is_ok())
            .unwrap_or(false)
    }

    #[test]
    fn small_order_encodings_are_the_eight_torsion_points() {
        let mut ours = SMALL_ORDER_ENCODINGS.to_vec();
        let mut theirs: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|p| p.compress().to_bytes())
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }

    /// Signatures made with key `a·B + T_ta` and nonce point `r·B + T_tr` (torsion points from
    /// EIGHT_TORSION), S computed by the signing equation or given, R in its canonical or a
    /// non-canonical encoding, the message or another: every verdict is dalek's `verify_strict`.
    #[test]
    fn same_verdicts_as_dalek_verify_strict() {
        let mut checked = 0;
        let mut accepted = 0;
        for a in [1u64, 7, 12345] {
            for (ta, t_a) in EIGHT_TORSION.iter().enumerate() {
                let a_point = B * Scalar::from(a) + t_a;
                let a_bytes = a_point.compress().to_bytes();
                for r in [0u64, 3, 99] {
                    for (tr, t_r) in EIGHT_TORSION.iter().enumerate() {
                        let r_point = B * Scalar::from(r) + t_r;
                        let r_bytes = r_point.compress().to_bytes();
                        let msg = b"omega";
                        let mut h = Sha512::new();
                        h.update(r_bytes);
                        h.update(a_bytes);
                        h.update(msg);
                        let mut wide = [0u8; 64];
                        wide.copy_from_slice(&h.finalize());
                        let k = Scalar::from_bytes_mod_order_wide(&wide);
                        let s = Scalar::from(r) + k * Scalar::from(a);
                        let mut sig = [0u8; 64];
                        sig[..32].copy_from_slice(&r_bytes);
                        sig[32..].copy_from_slice(s.as_bytes());
                        let mut variants = alloc::vec![sig];
                        // S + L (non-canonical S), S = 0, another S.
                        let mut big = sig;
                        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
                        let l: [u8; 32] = [
                            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
                            0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0x10,
                        ];
                        let mut carry = 0u16;
                        for i in 0..32 {
                            let v = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
                            big[32 + i] = v as u8;
                            carry = v >> 8;
                        }
                        variants.push(big);
                        let mut zero = sig;
                        zero[32..].fill(0);
                        variants.push(zero);
                        // R with the sign bit flipped; R with y + p (non-canonical when it fits).
                        let mut flipped = sig;
                        flipped[31] ^= 0x80;
                        variants.push(flipped);
                        let mut y_plus_p = sig;
                        let p: [u8; 32] = {
                            let mut p = [0xffu8; 32];
                            p[0] = 0xed;
                            p[31] = 0x7f;
                            p
                        };
                        let mut c = 0u16;
                        for i in 0..32 {
                            let v = u16::from(sig[i]) + u16::from(p[i]) + c;
                            y_plus_p[i] = v as u8;
                            c = v >> 8;
                        }
                        variants.push(y_plus_p);
                        for v in &variants {
                            for m in [&msg[..], b"other"] {
                                let want = dalek(&a_bytes, m, v);
                                assert_eq!(
                                    verify_strict_raw(&a_bytes, m, v),
                                    want,
                                    "a={a} ta={ta} r={r} tr={tr}"
                                );
                                if let Ok(pk) = PublicKey::from_parts(KeyId([1; 8]), &a_bytes) {
                                    assert_eq!(verify_strict(&pk, m, v), want);
                                }
                                checked += 1;
                                accepted += usize::from(want);
                            }
                        }
                    }
                }
            }
        }
        // Some pass (mixed-order keys and nonces with the exact equation), most do not.
        assert!(
            accepted > 0 && accepted < checked,
            "{accepted} of {checked}"
        );
    }

    #[test]
    fn garbage_never_panics_and_agrees() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            let mut pk = [0u8; 32];
            let mut sig = [0u8; 64];
            for b in pk.iter_mut().chain(sig.iter_mut()) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            sig[63] &= 0x0f; // often a canonical S
            assert_eq!(verify_strict_raw(&pk, b"m", &sig), dalek(&pk, b"m", &sig));
        }
        assert!(!verify_strict_raw(&[0; 31], b"m", &[0; 64]));
        assert!(!verify_strict_raw(&[0; 32], b"m", &[0; 63]));
    }
}
