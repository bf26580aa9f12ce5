//! Merkle trees: RFC 6962 / RFC 9162 hashing, roots, inclusion and consistency proofs (verify
//! and build), over SHA-256 (REGISTRY.md R1, R2).
//!
//! Leaf hash = SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right); the empty
//! tree's root is SHA-256 of the empty string. Verification follows RFC 9162 §2.1.3.2 and
//! §2.1.4.2 in the decomposition transparency-dev/merkle uses (inner path + border), with the
//! proof length checked first: a proof of the wrong length is `MALFORMED`, a proof that does
//! not lead to the root is `NOT_IN_LOG` (inclusion) or `LOG_INCONSISTENT` (consistency).
//!
//! Proofs are built for a publisher or a tile-reading client from a [`HashSource`]: anything
//! that can return the hash of a complete subtree `(level, n)`, the subtree of the `2^level`
//! leaves `[n·2^level, (n+1)·2^level)`. The recursion is the one of Go's
//! `golang.org/x/mod/sumdb/tlog` (`leafProof`, `treeProof`, `subTreeHash`; BSD-3-Clause,
//! Copyright 2019 The Go Authors), as are the stored-hash indexes
//! ([`stored_hash_index`], [`split_stored_hash_index`]) a flat hash store can use.
//!
//! Nothing here allocates more than the proof it returns (at most 2·64 hashes).

use alloc::format;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::error::{fail, ErrorCode, Result};

/// A SHA-256 Merkle tree hash.
pub type Hash = [u8; 32];

/// Size of a [`Hash`](type@Hash) in bytes.
pub const HASH_SIZE: usize = 32;

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Largest tree level (a tree of `u64` leaves has levels 0..=63 below its root).
pub const MAX_LEVEL: u8 = 63;

/// The leaf hash of a log entry: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_SIZE];
    buf[0] = 0x01;
    buf[1..1 + HASH_SIZE].copy_from_slice(left);
    buf[1 + HASH_SIZE..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The Merkle tree hash (RFC 6962 `MTH`) of the given leaf hashes; [`EMPTY_ROOT`] for none.
///
/// Computed bottom-up with one stack entry per level (no recursion, `O(log n)` memory beyond
/// the input).
pub fn root(leaves: &[Hash]) -> Hash {
    // A stack of complete subtrees (level, hash), levels strictly decreasing: the compact
    // range of the leaves seen so far.
    let mut stack: Vec<(u32, Hash)> = Vec::new();
    for leaf in leaves {
        let mut cur = (0u32, *leaf);
        while let Some(&(level, left)) = stack.last() {
            if level != cur.0 {
                break;
            }
            stack.pop();
            cur = (level + 1, node_hash(&left, &cur.1));
        }
        stack.push(cur);
    }
    let mut iter = stack.into_iter().rev();
    let Some((_, mut acc)) = iter.next() else {
        return EMPTY_ROOT;
    };
    for (_, left) in iter {
        acc = node_hash(&left, &acc);
    }
    acc
}

/// The largest power of two strictly smaller than `n` (`n ≥ 2`).
fn split_point(n: u64) -> u64 {
    // n ≥ 2, so n - 1 ≥ 1 and the shift is at most 63.
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Number of bits needed to write `x` (0 for 0).
fn bit_len(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// RFC 9162 proof decomposition for leaf `index` in a tree of `size` (> index): the number of
/// inner proof hashes and of border hashes (transparency-dev/merkle `decompInclProof`).
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner as usize, border as usize)
}

fn chain_inner(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 0 {
            seed = node_hash(&seed, h);
        } else {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(mut seed: Hash, proof: &[Hash]) -> Hash {
    for h in proof {
        seed = node_hash(h, &seed);
    }
    seed
}

/// The number of hashes in an inclusion proof for leaf `index` of a tree of `size`, or `None`
/// when `index ≥ size`.
pub fn inclusion_proof_len(index: u64, size: u64) -> Option<usize> {
    if index >= size {
        return None;
    }
    let (inner, border) = decompose(index, size);
    Some(inner + border)
}

/// The root a tree of `size` must have if `proof` is the inclusion proof of `leaf` at `index`.
///
/// Errors: `NOT_IN_LOG` when `index ≥ size` (every proof for the empty tree), `MALFORMED`
/// when the proof has the wrong number of hashes.
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> Result<Hash> {
    let Some(want) = inclusion_proof_len(index, size) else {
        return fail(
            ErrorCode::NotInLog,
            format!("entry {index} is not in a log of size {size}"),
        );
    };
    if proof.len() != want {
        return fail(
            ErrorCode::Malformed,
            format!(
                "inclusion proof for entry {index} in a log of size {size} has {} hashes, expected {want}",
                proof.len()
            ),
        );
    }
    let (inner, _) = decompose(index, size);
    let (inner_p, border_p) = proof.split_at(inner);
    Ok(chain_border_right(
        chain_inner(*leaf, inner_p, index),
        border_p,
    ))
}

/// Checks that `proof` proves the leaf hash `leaf` is entry `index` of the tree of `size` with
/// root `root`.
///
/// Errors: `NOT_IN_LOG` (index ≥ size, or the proof leads to another root), `MALFORMED`
/// (wrong proof length). Messages name the index and size.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<()> {
    let got = root_from_inclusion(index, size, leaf, proof)?;
    if &got != root {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "inclusion proof for entry {index} does not lead to the root of the log of size {size}"
            ),
        );
    }
    Ok(())
}

/// The number of hashes in a consistency proof from size `m` to size `n`, or `None` when the
/// sizes admit no proof (`m == 0` or `m > n`).
pub fn consistency_proof_len(m: u64, n: u64) -> Option<usize> {
    if m == 0 || m > n {
        return None;
    }
    if m == n {
        return Some(0);
    }
    let (inner, border) = decompose(m - 1, n);
    let shift = m.trailing_zeros() as usize;
    let start = usize::from(m != 1u64 << shift);
    Some(start + inner - shift + border)
}

/// Checks that `proof` proves the tree of size `n` with root `root_n` is an append-only
/// extension of the tree of size `m` with root `root_m` (RFC 9162 §2.1.4.2).
///
/// `m == n` needs an empty proof and equal roots. Errors: `LOG_INCONSISTENT` when `m > n` (a
/// log never shrinks) or the proof does not reproduce both roots; `MALFORMED` for a proof of
/// the wrong length or `m == 0` (a consistency proof from the empty tree proves nothing; the
/// transparency-dev vectors refuse it too). Messages name both sizes.
pub fn verify_consistency(
    m: u64,
    n: u64,
    root_m: &Hash,
    root_n: &Hash,
    proof: &[Hash],
) -> Result<()> {
    if m > n {
        return fail(
            ErrorCode::LogInconsistent,
            format!("log of size {n} cannot extend a log of size {m}: a log never shrinks"),
        );
    }
    if m == 0 {
        return fail(
            ErrorCode::Malformed,
            format!("consistency proof from size 0 to size {n}: the empty tree proves nothing"),
        );
    }
    let Some(want) = consistency_proof_len(m, n) else {
        return fail(
            ErrorCode::Malformed,
            format!("no consistency proof from {m} to {n}"),
        );
    };
    if proof.len() != want {
        return fail(
            ErrorCode::Malformed,
            format!(
                "consistency proof from size {m} to size {n} has {} hashes, expected {want}",
                proof.len()
            ),
        );
    }
    if m == n {
        if root_m != root_n {
            return fail(
                ErrorCode::LogInconsistent,
                format!("two different roots for the same log size {m}"),
            );
        }
        return Ok(());
    }
    let (inner, _) = decompose(m - 1, n);
    let shift = m.trailing_zeros() as usize;
    let inner = inner - shift;
    let (seed, rest) = if m == 1u64 << shift {
        (*root_m, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return fail(
                    ErrorCode::Malformed,
                    format!("empty consistency proof from size {m} to size {n}"),
                )
            }
        }
    };
    let (inner_p, border_p) = rest.split_at(inner.min(rest.len()));
    let mask = (m - 1) >> shift;
    let h1 = chain_border_right(chain_inner_right(seed, inner_p, mask), border_p);
    let h2 = chain_border_right(chain_inner(seed, inner_p, mask), border_p);
    if &h1 != root_m || &h2 != root_n {
        return fail(
            ErrorCode::LogInconsistent,
            format!("consistency proof from size {m} to size {n} does not reproduce both roots"),
        );
    }
    Ok(())
}

/// A store of complete-subtree hashes, from which proofs and roots are built: a publisher's
/// database, or verified tiles ([`crate::tiles::TileHashes`]).
pub trait HashSource {
    /// The hash of the complete subtree at `level` numbered `n`: the Merkle tree hash of the
    /// leaves `[n·2^level, (n+1)·2^level)` (level 0: the leaf hash of entry `n`). Callers only
    /// ask for subtrees that are complete in the tree being proven.
    fn subtree_hash(&self, level: u8, n: u64) -> Result<Hash>;
}

impl HashSource for [Hash] {
    /// Leaf hashes in a slice: subtrees are recomputed (fine for tests and small trees).
    fn subtree_hash(&self, level: u8, n: u64) -> Result<Hash> {
        let width = 1u64.checked_shl(u32::from(level)).unwrap_or(0);
        let start = n.checked_mul(width);
        let end = start.and_then(|s| s.checked_add(width));
        match (start, end) {
            (Some(s), Some(e)) if width != 0 && e <= self.len() as u64 => {
                Ok(root(self.get(s as usize..e as usize).unwrap_or(&[])))
            }
            _ => fail(
                ErrorCode::NotFound,
                format!("no subtree hash at level {level} index {n}"),
            ),
        }
    }
}

impl HashSource for Vec<Hash> {
    fn subtree_hash(&self, level: u8, n: u64) -> Result<Hash> {
        self.as_slice().subtree_hash(level, n)
    }
}

/// Appends the complete subtrees that make up the range `[lo, hi)` (left to right) to `out`,
/// as `(level, n)` coordinates (Go's `subTreeIndex`). `lo` must be aligned as it is in every
/// proof (a multiple of the largest power of two ≤ `hi - lo`).
fn subtree_coords(mut lo: u64, hi: u64, out: &mut Vec<(u8, u64)>) {
    while lo < hi {
        let span = hi - lo;
        // Largest power of two ≤ span.
        let level = 63 - span.leading_zeros();
        let k = 1u64 << level;
        out.push((level as u8, lo >> level));
        lo += k;
    }
}

/// The hash of the range `[lo, hi)` from its complete subtrees (Go's `subTreeHash`).
fn range_hash(lo: u64, hi: u64, src: &(impl HashSource + ?Sized)) -> Result<Hash> {
    let mut coords = Vec::new();
    subtree_coords(lo, hi, &mut coords);
    let mut iter = coords.iter().rev();
    let Some(&(level, n)) = iter.next() else {
        return Ok(EMPTY_ROOT);
    };
    let mut acc = src.subtree_hash(level, n)?;
    for &(level, n) in iter {
        acc = node_hash(&src.subtree_hash(level, n)?, &acc);
    }
    Ok(acc)
}

/// The complete subtrees whose hashes make the root of a tree of `size`, left to right.
pub fn root_coords(size: u64) -> Vec<(u8, u64)> {
    let mut out = Vec::new();
    subtree_coords(0, size, &mut out);
    out
}

/// The root of the tree of `size` leaves from its stored subtree hashes (Go's `TreeHash`).
pub fn root_from(size: u64, src: &(impl HashSource + ?Sized)) -> Result<Hash> {
    range_hash(0, size, src)
}

/// The sibling ranges of the inclusion proof of `index` in `[0, size)`, deepest first (Go's
/// `leafProof`). `index < size`.
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            ranges.push((lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push((lo, lo + k));
            lo += k;
        }
    }
    ranges.reverse();
    ranges
}

/// Which subtree hashes an inclusion proof for `index` in a tree of `size` is built from, in
/// the order [`inclusion_proof`] asks for them (each proof hash may take several).
pub fn inclusion_proof_coords(index: u64, size: u64) -> Result<Vec<(u8, u64)>> {
    if index >= size {
        return fail(
            ErrorCode::NotInLog,
            format!("entry {index} is not in a log of size {size}"),
        );
    }
    let mut out = Vec::new();
    for (a, b) in inclusion_ranges(index, size) {
        subtree_coords(a, b, &mut out);
    }
    Ok(out)
}

/// Builds the inclusion proof for entry `index` of the tree of `size` (RFC 6962 §2.1.1) from
/// stored subtree hashes. `NOT_IN_LOG` when `index ≥ size`; the source's errors pass through.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    src: &(impl HashSource + ?Sized),
) -> Result<Vec<Hash>> {
    if index >= size {
        return fail(
            ErrorCode::NotInLog,
            format!("entry {index} is not in a log of size {size}"),
        );
    }
    inclusion_ranges(index, size)
        .into_iter()
        .map(|(a, b)| range_hash(a, b, src))
        .collect()
}

/// The sibling ranges of a consistency proof from `m` to `n`, deepest first (Go's
/// `treeProof`). `0 < m < n`.
fn consistency_ranges(m: u64, n: u64) -> Vec<(u64, u64)> {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let (mut lo, mut hi) = (0u64, n);
    loop {
        if m == hi {
            if lo != 0 {
                ranges.push((lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if m <= lo + k {
            ranges.push((lo + k, hi));
            hi = lo + k;
        } else {
            ranges.push((lo, lo + k));
            lo += k;
        }
    }
    ranges.reverse();
    ranges
}

/// Which subtree hashes a consistency proof from `m` to `n` is built from (see
/// [`inclusion_proof_coords`]).
pub fn consistency_proof_coords(m: u64, n: u64) -> Result<Vec<(u8, u64)>> {
    check_consistency_sizes(m, n)?;
    let mut out = Vec::new();
    if m < n {
        for (a, b) in consistency_ranges(m, n) {
            subtree_coords(a, b, &mut out);
        }
    }
    Ok(out)
}

fn check_consistency_sizes(m: u64, n: u64) -> Result<()> {
    if m > n {
        return fail(
            ErrorCode::LogInconsistent,
            format!("log of size {n} cannot extend a log of size {m}: a log never shrinks"),
        );
    }
    if m == 0 {
        return fail(
            ErrorCode::Malformed,
            format!("consistency proof from size 0 to size {n}: the empty tree proves nothing"),
        );
    }
    Ok(())
}

/// Builds the consistency proof from size `m` to size `n` (RFC 6962 §2.1.2) from the stored
/// subtree hashes of the tree of size `n`. Empty when `m == n`. Errors as
/// [`verify_consistency`] for impossible sizes.
pub fn consistency_proof(m: u64, n: u64, src: &(impl HashSource + ?Sized)) -> Result<Vec<Hash>> {
    check_consistency_sizes(m, n)?;
    if m == n {
        return Ok(Vec::new());
    }
    consistency_ranges(m, n)
        .into_iter()
        .map(|(a, b)| range_hash(a, b, src))
        .collect()
}

/// Go's `StoredHashIndex`: the position of hash `(level, n)` in the dense append-order of a
/// flat hash store (Crosby and Wallach §3.3). `None` on overflow.
pub fn stored_hash_index(level: u8, n: u64) -> Option<u64> {
    let mut n = n;
    for _ in 0..level {
        n = n.checked_mul(2)?.checked_add(1)?;
    }
    let mut i: u64 = 0;
    let mut x = n;
    while x > 0 {
        i = i.checked_add(x)?;
        x >>= 1;
    }
    i.checked_add(u64::from(level))
}

/// Go's `SplitStoredHashIndex`, the inverse of [`stored_hash_index`]; `None` for an index
/// no `u64`-sized tree reaches.
pub fn split_stored_hash_index(index: u64) -> Option<(u8, u64)> {
    // StoredHashIndex(0, n) ≤ index for n = index/2, and the record n holding `index` is in
    // [index/2, index/2 + log2(index)].
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n)?;
    if index_n > index {
        return None;
    }
    loop {
        // Record n+1 starts after record n's leaf and the subtrees it completes.
        let next = index_n
            .checked_add(1)?
            .checked_add(u64::from(n.checked_add(1)?.trailing_zeros()))?;
        if next > index {
            break;
        }
        n += 1;
        index_n = next;
    }
    let level = u8::try_from(index - index_n).ok()?;
    Some((level, n.checked_shr(u32::from(level))?))
}

/// The hashes a publisher stores when appending entry `n` with leaf hash `leaf` (Go's
/// `StoredHashesForRecordHash`): the leaf hash, then the hash of every subtree the new leaf
/// completes, as `(level, n, hash)`.
pub fn stored_hashes(
    n: u64,
    leaf: &Hash,
    src: &(impl HashSource + ?Sized),
) -> Result<Vec<(u8, u64, Hash)>> {
    let mut out = Vec::with_capacity(1 + (n.wrapping_add(1)).trailing_zeros() as usize);
    out.push((0u8, n, *leaf));
    let mut h = *leaf;
    let completed = n.wrapping_add(1).trailing_zeros().min(63);
    for i in 0..completed {
        let left = src.subtree_hash(i as u8, (n >> i) - 1)?;
        h = node_hash(&left, &h);
        out.push(((i + 1) as u8, n >> (i + 1), h));
    }
    Ok(out)
}
