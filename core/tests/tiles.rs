//! tlog-tiles: path encoding (the spec's examples, strict parsing), which tiles a root or a
//! proof needs (the spec's 70,000-entry example), tiles verified against a root, proofs from
//! tiles, full-tile fallback, entry bundles, and the publisher (append in random chunks,
//! resume from stored tiles). Each attack of docs/threat-model.md "Registry: Merkle proofs
//! and tiles" (RM rows) is performed here.

use std::collections::BTreeMap;

use omega_core::bundle::{parse_bundle, parse_bundle_prefix, write_bundle};
use omega_core::merkle::{self, leaf_hash, root, verify_consistency, verify_inclusion, Hash};
use omega_core::tiles::{
    new_tiles, prove_consistency, prove_inclusion, tile_width, tiles_for_consistency,
    tiles_for_inclusion, tiles_for_root, tiles_for_root_at, Appended, Publisher, TileHashes,
    TileKind, TilePath,
};
use omega_core::ErrorCode;
use proptest::prelude::*;

type Store = BTreeMap<TilePath, Vec<u8>>;

fn entry(i: u64) -> Vec<u8> {
    format!("omega-entry/v1 test {i}").into_bytes()
}

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&entry(i))).collect()
}

fn keep(store: &mut Store, a: &Appended) {
    for f in &a.files {
        store.insert(f.path, f.bytes.clone());
    }
}

/// A log of `n` entries built by one publisher, with every file it ever wrote.
fn build(n: u64, chunk: usize) -> (Store, Hash) {
    let mut p = Publisher::new();
    let mut store = Store::new();
    let all: Vec<Vec<u8>> = (0..n).map(entry).collect();
    let mut r = merkle::EMPTY_ROOT;
    for c in all.chunks(chunk.max(1)) {
        let a = p.append(c).unwrap();
        keep(&mut store, &a);
        r = a.root;
    }
    assert_eq!(p.size(), n);
    (store, r)
}

fn path(s: &str) -> TilePath {
    TilePath::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn paths(v: &[TilePath]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------------------------
// Paths

#[test]
fn spec_path_examples() {
    let t = TilePath::hashes(0, 1_234_067, 256).unwrap();
    assert_eq!(t.to_string(), "tile/0/x001/x234/067");
    assert_eq!(
        TilePath::entries(1_234_067, 8).unwrap().to_string(),
        "tile/entries/x001/x234/067.p/8"
    );
    assert_eq!(
        TilePath::hashes(3, 0, 1).unwrap().to_string(),
        "tile/3/000.p/1"
    );
    assert_eq!(
        TilePath::hashes(63, 999, 255).unwrap().to_string(),
        "tile/63/999.p/255"
    );
    assert_eq!(
        TilePath::hashes(1, 1000, 256).unwrap().to_string(),
        "tile/1/x001/000"
    );
    assert_eq!(
        TilePath::hashes(0, u64::MAX, 256).unwrap().to_string(),
        "tile/0/x018/x446/x744/x073/x709/x551/615"
    );
    for s in [
        "tile/0/000",
        "tile/0/x001/x234/067",
        "tile/entries/x001/x234/067.p/8",
        "tile/63/999.p/255",
        "tile/2/000.p/1",
        "tile/0/x018/x446/x744/x073/x709/x551/615",
        "tile/entries/000.p/1",
    ] {
        assert_eq!(path(s).to_string(), s);
    }
    let p = path("tile/entries/x001/x234/067.p/8");
    assert_eq!(
        (p.kind(), p.index(), p.width(), p.is_partial()),
        (TileKind::Entries, 1_234_067, 8, true)
    );
    assert_eq!(p.full().to_string(), "tile/entries/x001/x234/067");
    assert_eq!(
        path("tile/0/005.p/3").bundle().unwrap().to_string(),
        "tile/entries/005.p/3"
    );
    assert_eq!(path("tile/0/005.p/3").byte_len(), Some(96));
}

/// RM-7, RM-8: traversal, leading zeros, huge levels, bad widths, over-long strings.
#[test]
fn invalid_paths_are_refused() {
    for s in [
        "",
        "tile",
        "tile/",
        "tile/0",
        "tile/0/",
        "tile/../x",
        "tile/0/../000",
        "tile/0/./000",
        "/tile/0/000",
        "tile//0/000",
        "tile/0/000/",
        "tile/0//000",
        "tiles/0/000",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/255/000",
        "tile/18446744073709551616/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/data/000",
        "tile/entry/000",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/x001",
        "tile/0/001/002",
        "tile/0/x01/002",
        "tile/0/y001/002",
        "tile/0/xx001/002",
        "tile/0/x001/x002",
        "tile/0/00a",
        "tile/0/０００",
        "tile/0/000.p",
        "tile/0/000.p/",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/010",
        "tile/0/000.p/+5",
        "tile/0/000.p/5/",
        "tile/0/000.p/5/6",
        "tile/0/000.q/5",
        "tile/0/000p/5",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/entries/000.p/1x",
        "tile/0/000 ",
        " tile/0/000",
        "tile/0/000\n",
        "tile\\0\\000",
    ] {
        let e = TilePath::parse(s).unwrap_err();
        assert!(
            matches!(e.code(), ErrorCode::Malformed | ErrorCode::TooLarge),
            "{s:?}: {e}"
        );
        if e.code() == ErrorCode::Malformed {
            assert!(e.message().contains("tile path"), "{s:?}: {e}");
        }
    }
    let long = format!("tile/0/{}000", "x000/".repeat(20));
    assert_eq!(
        TilePath::parse(&long).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    assert!(TilePath::hashes(64, 0, 1).is_err());
    assert!(TilePath::hashes(0, 0, 0).is_err());
    assert!(TilePath::hashes(0, 0, 257).is_err());
}

// ---------------------------------------------------------------------------------------------
// Which tiles

#[test]
fn spec_example_70000() {
    assert_eq!(
        paths(&tiles_for_root(70_000)),
        ["tile/2/000.p/1", "tile/1/001.p/17", "tile/0/273.p/112"]
    );
    let all = new_tiles(0, 70_000);
    let full0 = all
        .iter()
        .filter(|t| t.level() == Some(0) && !t.is_partial())
        .count();
    assert_eq!(full0, 273);
    let rest: Vec<String> = all
        .iter()
        .filter(|t| t.level() != Some(0) || t.is_partial())
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        rest,
        [
            "tile/0/273.p/112",
            "tile/1/000",
            "tile/1/001.p/17",
            "tile/2/000.p/1"
        ]
    );
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    // tile of width 1".
    assert_eq!(paths(&new_tiles(0, 256)), ["tile/0/000", "tile/1/000.p/1"]);
    assert_eq!(paths(&tiles_for_root(256)), ["tile/1/000.p/1"]);
    assert!(tiles_for_root(0).is_empty());
    assert_eq!(tile_width(70_000, 0, 273), 112);
    assert_eq!(tile_width(70_000, 0, 272), 256);
    assert_eq!(tile_width(70_000, 0, 274), 0);
    assert_eq!(tile_width(70_000, 2, 0), 1);
    assert_eq!(tile_width(70_000, 3, 0), 0);
}

fn tile_bound(n: u64) -> usize {
    // 2·ceil(log256 n) + 2
    let mut levels = 0;
    let mut span = 1u128;
    while span < u128::from(n) {
        span *= 256;
        levels += 1;
    }
    2 * levels + 2
}

/// The spec's sizes, built by the publisher: the root from tiles equals the root from the
/// leaves, and proofs built from tiles verify.
#[test]
fn spec_sizes_root_and_proofs_from_tiles() {
    let (store, _) = build(70_000, 997);
    let l = leaves(70_000);
    for n in [1u64, 255, 256, 257, 65_535, 65_536, 70_000] {
        let r = root(&l[..n as usize]);
        // The publisher wrote the partial tiles of every size it passed through only at chunk
        // ends, so ask for this size's tiles with the full-tile fallback where needed.
        let th = TileHashes::verify(n, &r, &store).unwrap_or_else(|e| panic!("size {n}: {e}"));
        assert_eq!(th.root_at(n).unwrap(), r);
        for i in [0, n / 3, n / 2, n - 1] {
            let need = tiles_for_inclusion(i, n).unwrap();
            assert!(
                need.len() <= tile_bound(n),
                "size {n} index {i}: {}",
                need.len()
            );
            let (leaf, proof) = prove_inclusion(i, n, &r, &store).unwrap();
            assert_eq!(leaf, l[i as usize]);
            verify_inclusion(i, n, &leaf, &proof, &r).unwrap();
        }
        for m in [1, n / 2, n - 1, n] {
            if m == 0 {
                continue;
            }
            let need = tiles_for_consistency(m, n).unwrap();
            assert!(need.len() <= tile_bound(n), "{m}->{n}: {}", need.len());
            let rm = root(&l[..m as usize]);
            let p = prove_consistency(m, n, &rm, &r, &store).unwrap();
            verify_consistency(m, n, &rm, &r, &p).unwrap();
        }
    }
    // Size 0: no tiles, the empty root, no proofs.
    let th = TileHashes::verify(0, &merkle::EMPTY_ROOT, &Store::new()).unwrap();
    assert_eq!(th.leaf_hash(0).unwrap_err().code(), ErrorCode::NotInLog);
    assert_eq!(
        tiles_for_inclusion(0, 0).unwrap_err().code(),
        ErrorCode::NotInLog
    );
    assert_eq!(
        TileHashes::verify(0, &l[0], &Store::new())
            .unwrap_err()
            .code(),
        ErrorCode::LogInconsistent
    );
}

// ---------------------------------------------------------------------------------------------
// Attacks on tiles (RM rows)

fn small_log() -> (Store, Hash, u64) {
    let (store, r) = build(600, 600);
    (store, r, 600)
}

/// RM-1: a tile with extra (or missing) bytes.
#[test]
fn tile_of_wrong_length_is_malformed() {
    let (mut store, r, n) = small_log();
    let p = path("tile/0/002.p/88");
    store.get_mut(&p).unwrap().push(0);
    let e = TileHashes::verify(n, &r, &store).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(e.message().contains("tile/0/002.p/88"), "{e}");
    let (mut store, r, n) = small_log();
    store.get_mut(&path("tile/0/001")).unwrap().truncate(8160);
    let mut th = TileHashes::verify(n, &r, &store).unwrap();
    let e = th
        .load(&tiles_for_inclusion(300, n).unwrap(), &store)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(e.message().contains("tile/0/001"), "{e}");
}

/// RM-2, RM-3: a partial tile of the wrong width, a tile for another tree size.
#[test]
fn tile_of_another_size_is_refused() {
    let (store, r, n) = small_log();
    let mut th = TileHashes::verify(n, &r, &store).unwrap();
    // tile/0/002.p/87 belongs to size 599, not 600.
    let e = th.load(&[path("tile/0/002.p/87")], &store).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(e.message().contains("size 600"), "{e}");
    let e = th.load(&[path("tile/0/003")], &store).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    // The bytes of size 599's partial tile served under size 600's path: wrong length.
    let mut swapped = store.clone();
    let old = TilePath::hashes(0, 2, 87).unwrap();
    let mut p = Publisher::new();
    let a = p.append(&(0..599).map(entry).collect::<Vec<_>>()).unwrap();
    let bytes = a
        .files
        .iter()
        .find(|f| f.path == old)
        .unwrap()
        .bytes
        .clone();
    swapped.insert(path("tile/0/002.p/88"), bytes);
    assert_eq!(
        TileHashes::verify(n, &r, &swapped).unwrap_err().code(),
        ErrorCode::Malformed
    );
    // A different root for the same size (another tree): refused.
    let (other, other_root) = build(600, 7);
    assert_eq!(
        other_root, r,
        "same entries, same root whatever the chunking"
    );
    let mut forked = Publisher::new();
    let mut es: Vec<Vec<u8>> = (0..600).map(entry).collect();
    es[5] = b"forked".to_vec();
    let f = forked.append(&es).unwrap();
    assert_eq!(
        TileHashes::verify(n, &f.root, &other).unwrap_err().code(),
        ErrorCode::LogInconsistent
    );
}

/// Tampered tiles: a changed hash in a partial tile fails against the root, in a full tile
/// against its parent.
#[test]
fn tampered_tiles_fail() {
    let (store, r, n) = small_log();
    let mut bad = store.clone();
    bad.get_mut(&path("tile/0/002.p/88")).unwrap()[40] ^= 1;
    let e = TileHashes::verify(n, &r, &bad).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent);
    assert!(e.message().contains("tile/0/002.p/88"), "{e}");
    let mut bad = store.clone();
    bad.get_mut(&path("tile/0/000")).unwrap()[8191] ^= 0x80;
    let e = prove_inclusion(3, n, &r, &bad).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent);
    assert!(e.message().contains("tile/0/000"), "{e}");
    let mut missing = store.clone();
    missing.remove(&path("tile/0/000"));
    let e = prove_inclusion(3, n, &r, &missing).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.message().contains("tile/0/000"), "{e}");
}

/// Full-tile fallback: the partial tile of an older size is gone; its full tile is given
/// instead, under the partial path or under its own path. Only the prefix is used.
#[test]
fn full_tile_fallback() {
    let (store, _, _) = small_log();
    let m = 300u64; // partial tile tile/0/001.p/44, long since full in the store
    let rm = root(&leaves(m));
    let mut only_full = store.clone();
    only_full.retain(|p, _| !p.is_partial() || p.level() == Some(1));
    // tile/1/000.p/1 is also a root tile of size 300, and is in the store (size 600 wrote
    // tile/1/000.p/2 only, so keep what the publisher wrote at size 300).
    let mut p = Publisher::new();
    let a = p.append(&(0..m).map(entry).collect::<Vec<_>>()).unwrap();
    for f in a.files.iter().filter(|f| f.path.level() == Some(1)) {
        only_full.insert(f.path, f.bytes.clone());
    }
    assert!(!only_full.contains_key(&path("tile/0/001.p/44")));
    let th = TileHashes::verify(m, &rm, &only_full).unwrap();
    assert_eq!(th.leaf_hash(299).unwrap(), leaf_hash(&entry(299)));
    // Hashes beyond the width are not kept: entry 300 is not in the tree of size 300.
    assert_eq!(th.leaf_hash(300).unwrap_err().code(), ErrorCode::NotInLog);
    // The full tile's bytes under the partial path.
    let mut under_partial = only_full.clone();
    let full = only_full[&path("tile/0/001")].clone();
    under_partial.insert(path("tile/0/001.p/44"), full);
    TileHashes::verify(m, &rm, &under_partial).unwrap();
    // Only a full tile can stand in: 45 hashes under a width-44 path are refused.
    let mut wrong = only_full.clone();
    wrong.insert(path("tile/0/001.p/44"), vec![0; 45 * 32]);
    assert_eq!(
        TileHashes::verify(m, &rm, &wrong).unwrap_err().code(),
        ErrorCode::Malformed
    );
}

/// RM-11: a stale mirror serves an older checkpoint (size m < n the client holds): the
/// client proves the mirror's root from its own verified tiles of size n and keeps n.
#[test]
fn stale_mirror_root_from_newer_tiles() {
    let (store, r, n) = small_log();
    let m = 333u64;
    let mut th = TileHashes::verify(n, &r, &store).unwrap();
    th.load(&tiles_for_root_at(m, n).unwrap(), &store).unwrap();
    assert_eq!(th.root_at(m).unwrap(), root(&leaves(m)));
    assert_eq!(
        tiles_for_root_at(n + 1, n).unwrap_err().code(),
        ErrorCode::LogInconsistent
    );
}

// ---------------------------------------------------------------------------------------------
// Bundles (RM-9, RM-10)

#[test]
fn bundles_read_and_write() {
    let es: Vec<&[u8]> = vec![b"a", b"", b"ccc"];
    let b = write_bundle(&es).unwrap();
    assert_eq!(b, [0, 1, b'a', 0, 0, 0, 3, b'c', b'c', b'c']);
    assert_eq!(parse_bundle(&b, 3).unwrap(), es);
    // More, fewer, overrun, trailing, width out of range.
    assert_eq!(
        parse_bundle(&b, 2).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        parse_bundle(&b, 4).unwrap_err().code(),
        ErrorCode::Malformed
    );
    let e = parse_bundle(&[0, 5, 1, 2], 1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(e.message().contains("entry 0"), "{e}");
    assert_eq!(
        parse_bundle(&[0], 1).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        parse_bundle(&[], 1).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        parse_bundle(&b, 0).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        parse_bundle(&b, 257).unwrap_err().code(),
        ErrorCode::Malformed
    );
    let mut trailing = b.clone();
    trailing.push(0);
    assert_eq!(
        parse_bundle(&trailing, 3).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        parse_bundle_prefix(&trailing, 3).unwrap_err().code(),
        ErrorCode::Malformed
    );
    // The maximum entry fits; one more byte does not.
    let big = vec![7u8; 65_535];
    let bb = write_bundle(&[&big[..]]).unwrap();
    assert_eq!(parse_bundle(&bb, 1).unwrap(), [&big[..]]);
    let too_big = vec![7u8; 65_536];
    assert_eq!(
        write_bundle(&[&too_big[..]]).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    assert_eq!(
        write_bundle::<&[u8]>(&[]).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        write_bundle(&vec![&b"x"[..]; 257]).unwrap_err().code(),
        ErrorCode::Malformed
    );
    // Full-bundle fallback: 256 entries read as a prefix of 3.
    let full: Vec<Vec<u8>> = (0..256).map(entry).collect();
    let fb = write_bundle(&full).unwrap();
    let prefix = parse_bundle_prefix(&fb, 3).unwrap();
    assert_eq!(
        prefix,
        full[..3].iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    assert_eq!(
        parse_bundle(&fb, 3).unwrap_err().code(),
        ErrorCode::Malformed
    );
}

#[test]
fn bundles_are_checked_against_tiles() {
    let (store, r, n) = small_log();
    let mut th = TileHashes::verify(n, &r, &store).unwrap();
    th.load(&tiles_for_inclusion(10, n).unwrap(), &store)
        .unwrap();
    let bp = path("tile/entries/000");
    let got = th.verify_bundle(&bp, &store[&bp]).unwrap();
    assert_eq!(got.len(), 256);
    assert_eq!(got[10], entry(10));
    let bp2 = path("tile/entries/002.p/88");
    assert_eq!(th.verify_bundle(&bp2, &store[&bp2]).unwrap().len(), 88);
    // A changed entry: NOT_IN_LOG naming its index.
    let mut es: Vec<Vec<u8>> = (0..256).map(entry).collect();
    es[10] = b"evil".to_vec();
    let e = th
        .verify_bundle(&bp, &write_bundle(&es).unwrap())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotInLog);
    assert!(e.message().contains("entry 10"), "{e}");
    // A bundle path of another size, a hash-tile path, a bundle whose tile is not loaded.
    assert_eq!(
        th.verify_bundle(&path("tile/entries/002.p/87"), &store[&bp2])
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        th.verify_bundle(&path("tile/0/000"), &store[&bp])
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        th.verify_bundle(&path("tile/entries/001"), &store[&path("tile/entries/001")])
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------------------------------------
// Publisher

#[test]
fn publisher_resumes_from_stored_tiles() {
    let (store, r) = build(1000, 1000);
    let mut p = Publisher::resume(1000, &r, &store).unwrap();
    assert_eq!((p.size(), p.root()), (1000, r));
    let more: Vec<Vec<u8>> = (1000..1300).map(entry).collect();
    let a = p.append(&more).unwrap();
    assert_eq!(a.root, root(&leaves(1300)));
    assert_eq!(a.size, 1300);
    let written: Vec<TilePath> = a.files.iter().map(|f| f.path).collect();
    let hash_tiles: Vec<TilePath> = written
        .iter()
        .copied()
        .filter(|t| t.level().is_some())
        .collect();
    let mut want = new_tiles(1000, 1300);
    want.sort();
    let mut got = hash_tiles.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(
        written
            .iter()
            .filter(|t| t.kind() == TileKind::Entries)
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "tile/entries/003",
            "tile/entries/004",
            "tile/entries/005.p/20"
        ]
    );
    // Resume refuses a wrong root, a tampered partial bundle, a missing bundle.
    let mut bad_root = r;
    bad_root[0] ^= 1;
    assert_eq!(
        Publisher::resume(1000, &bad_root, &store)
            .unwrap_err()
            .code(),
        ErrorCode::LogInconsistent
    );
    let mut bad = store.clone();
    let bp = path("tile/entries/003.p/232");
    let mut es: Vec<Vec<u8>> = parse_bundle(&store[&bp], 232)
        .unwrap()
        .iter()
        .map(|e| e.to_vec())
        .collect();
    es[0] = b"x".to_vec();
    bad.insert(bp, write_bundle(&es).unwrap());
    assert_eq!(
        Publisher::resume(1000, &r, &bad).unwrap_err().code(),
        ErrorCode::NotInLog
    );
    bad.remove(&bp);
    assert_eq!(
        Publisher::resume(1000, &r, &bad).unwrap_err().code(),
        ErrorCode::NotFound
    );
    // Oversized entry refused before anything changes.
    let before = p.root();
    assert_eq!(
        p.append(&[vec![0u8; 65_536]]).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    assert_eq!((p.size(), p.root()), (1300, before));
    // Appending nothing writes nothing.
    assert!(p.append::<&[u8]>(&[]).unwrap().files.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any log built by appending in random chunks (resuming from the stored tiles between
    /// chunks) verifies; any inclusion and consistency proof from its tiles verifies.
    #[test]
    fn random_chunks_verify(chunks in proptest::collection::vec(1usize..400, 1..8), i_seed in any::<u64>(), m_seed in any::<u64>()) {
        let mut store = Store::new();
        let mut size = 0u64;
        let mut r = merkle::EMPTY_ROOT;
        for c in chunks {
            let mut p = Publisher::resume(size, &r, &store).unwrap();
            let es: Vec<Vec<u8>> = (size..size + c as u64).map(entry).collect();
            let a = p.append(&es).unwrap();
            keep(&mut store, &a);
            size = a.size;
            r = a.root;
            prop_assert_eq!(r, root(&leaves(size)));
        }
        let i = i_seed % size;
        let (leaf, proof) = prove_inclusion(i, size, &r, &store).unwrap();
        prop_assert_eq!(leaf, leaf_hash(&entry(i)));
        prop_assert_eq!(&proof, &merkle::inclusion_proof(i, size, &leaves(size)[..]).unwrap());
        verify_inclusion(i, size, &leaf, &proof, &r).unwrap();
        prop_assert!(tiles_for_inclusion(i, size).unwrap().len() <= tile_bound(size));
        let m = 1 + m_seed % size;
        let rm = root(&leaves(m));
        let c = prove_consistency(m, size, &rm, &r, &store).unwrap();
        verify_consistency(m, size, &rm, &r, &c).unwrap();
        prop_assert!(tiles_for_consistency(m, size).unwrap().len() <= tile_bound(size));
    }

    /// Any single-bit change to a tile or bundle a proof uses makes it fail.
    #[test]
    fn flipped_bit_in_tile_or_bundle_fails(n in 257u64..1200, i_seed in any::<u64>(), bit in any::<u32>()) {
        let (store, r) = build(n, 100);
        let i = i_seed % n;
        let need = tiles_for_inclusion(i, n).unwrap();
        let t = need[(bit as usize) % need.len()];
        let mut bad = store.clone();
        let bytes = bad.get_mut(&t).unwrap();
        let k = (bit as usize / need.len()) % (bytes.len() * 8);
        bytes[k / 8] ^= 1 << (k % 8);
        prop_assert!(prove_inclusion(i, n, &r, &bad).is_err(), "flip in {} passed", t);
        // The bundle of entry i.
        let bp = TilePath::entries(i / 256, tile_width(n, 0, i / 256)).unwrap();
        let mut bb = store[&bp].clone();
        let k = (bit as usize) % (bb.len() * 8);
        bb[k / 8] ^= 1 << (k % 8);
        let mut th = TileHashes::verify(n, &r, &store).unwrap();
        th.load(&tiles_for_inclusion(i, n).unwrap(), &store).unwrap();
        prop_assert!(th.verify_bundle(&bp, &bb).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// The cross-language vectors (tests/vectors/log_proofs.json), every case.

mod vectors {
    use super::*;
    use omega_core::hash::{parse_hex, to_hex};
    use serde_json::{json, Value};

    fn h32(v: &Value) -> Hash {
        omega_core::hash::parse_hex32(v.as_str().expect("hex"), "hash").expect("hex32")
    }

    fn hs(v: &Value) -> Vec<Hash> {
        v.as_array().expect("array").iter().map(h32).collect()
    }

    fn bytes(v: &Value) -> Vec<u8> {
        parse_hex(v.as_str().expect("hex")).expect("hex")
    }

    fn hex_list<T: AsRef<[u8]>>(v: &[T]) -> Value {
        Value::Array(
            v.iter()
                .map(|e| Value::String(to_hex(e.as_ref())))
                .collect(),
        )
    }

    fn outcome(got: omega_core::Result<Value>) -> Value {
        match got {
            Ok(v) => v,
            Err(e) => json!({"error": e.code().as_str()}),
        }
    }

    fn path_strings(v: omega_core::Result<Vec<TilePath>>) -> omega_core::Result<Value> {
        v.map(|ps| json!({"paths": ps.iter().map(ToString::to_string).collect::<Vec<_>>()}))
    }

    fn run_request(size: u64, root_h: &Hash, files: &Store, req: &Value) -> Value {
        outcome(match req["proof"].as_str().expect("proof") {
            "inclusion" => {
                let i = req["index"].as_u64().expect("index");
                prove_inclusion(i, size, root_h, files)
                    .map(|(leaf, p)| json!({"leaf_hash": to_hex(&leaf), "proof": hex_list(&p)}))
            }
            "consistency" => {
                let m = req["size1"].as_u64().expect("size1");
                prove_consistency(m, size, &h32(&req["root1"]), root_h, files)
                    .map(|p| json!({"proof": hex_list(&p)}))
            }
            "bundle" => {
                let p = TilePath::parse(req["path"].as_str().expect("path")).expect("path");
                TileHashes::verify(size, root_h, files).and_then(|mut th| {
                    th.load(&tiles_for_inclusion(p.index() * 256, size)?, files)?;
                    let b = files.get(&p).map_or(&[][..], Vec::as_slice);
                    th.verify_bundle(&p, b)
                        .map(|es| json!({"entries": hex_list(&es)}))
                })
            }
            other => panic!("unknown request {other}"),
        })
    }

    #[test]
    fn log_proofs_json() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/log_proofs.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let doc: Value = serde_json::from_str(&text).expect("json");
        let cases = doc["cases"].as_array().expect("cases");
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut requests = 0;
        for c in cases {
            let name = c["name"].as_str().expect("name");
            let kind = c["kind"].as_str().expect("kind");
            *counts.entry(kind.to_string()).or_default() += 1;
            let want = &c["expect"];
            let got = match kind {
                "leaf_hash" => json!({"hash": to_hex(&leaf_hash(&bytes(&c["entry"])))}),
                "root" => {
                    let ls: Vec<Hash> = c["entries"]
                        .as_array()
                        .expect("entries")
                        .iter()
                        .map(|e| leaf_hash(&bytes(e)))
                        .collect();
                    json!({"root": to_hex(&root(&ls))})
                }
                "inclusion" => outcome(
                    verify_inclusion(
                        c["index"].as_u64().expect("index"),
                        c["size"].as_u64().expect("size"),
                        &h32(&c["leaf_hash"]),
                        &hs(&c["proof"]),
                        &h32(&c["root"]),
                    )
                    .map(|()| json!({"valid": true})),
                ),
                "consistency" => outcome(
                    verify_consistency(
                        c["size1"].as_u64().expect("size1"),
                        c["size2"].as_u64().expect("size2"),
                        &h32(&c["root1"]),
                        &h32(&c["root2"]),
                        &hs(&c["proof"]),
                    )
                    .map(|()| json!({"valid": true})),
                ),
                "tile_path" => {
                    let s = c["path"].as_str().expect("path");
                    let got = outcome(TilePath::parse(s).map(|p| match p.kind() {
                        TileKind::Hashes(l) => json!({"kind": "hashes", "level": l, "index": p.index(), "width": p.width()}),
                        TileKind::Entries => json!({"kind": "entries", "index": p.index(), "width": p.width()}),
                    }));
                    if want.get("error").is_none() {
                        // And back: the fields format to the same string.
                        let p = match want["kind"].as_str() {
                            Some("hashes") => TilePath::hashes(
                                want["level"].as_u64().expect("level") as u8,
                                want["index"].as_u64().expect("index"),
                                want["width"].as_u64().expect("width") as u16,
                            ),
                            _ => TilePath::entries(
                                want["index"].as_u64().expect("index"),
                                want["width"].as_u64().expect("width") as u16,
                            ),
                        }
                        .expect("path");
                        assert_eq!(p.to_string(), s, "{name}");
                    }
                    got
                }
                "tiles_for_root" => {
                    json!({"paths": tiles_for_root(c["size"].as_u64().expect("size")).iter().map(ToString::to_string).collect::<Vec<_>>()})
                }
                "tiles_for_inclusion" => outcome(path_strings(tiles_for_inclusion(
                    c["index"].as_u64().expect("index"),
                    c["size"].as_u64().expect("size"),
                ))),
                "tiles_for_consistency" => outcome(path_strings(tiles_for_consistency(
                    c["size1"].as_u64().expect("size1"),
                    c["size2"].as_u64().expect("size2"),
                ))),
                "bundle" => outcome(
                    parse_bundle(
                        &bytes(&c["bundle"]),
                        c["width"].as_u64().expect("width") as u16,
                    )
                    .map(|es| json!({"entries": hex_list(&es)})),
                ),
                "publish" => {
                    let es: Vec<Vec<u8>> = c["entries"]
                        .as_array()
                        .expect("entries")
                        .iter()
                        .map(bytes)
                        .collect();
                    let a = Publisher::new().append(&es).expect("append");
                    json!({"size": a.size, "root": to_hex(&a.root), "files": a.files.iter().map(|f| json!({"path": f.path.to_string(), "bytes": to_hex(&f.bytes)})).collect::<Vec<_>>()})
                }
                "tile_log" => {
                    let size = c["size"].as_u64().expect("size");
                    let root_h = h32(&c["root"]);
                    let files: Store = c["tiles"]
                        .as_object()
                        .expect("tiles")
                        .iter()
                        .map(|(p, b)| (TilePath::parse(p).expect("path"), bytes(b)))
                        .collect();
                    for req in c["requests"].as_array().expect("requests") {
                        requests += 1;
                        assert_eq!(
                            run_request(size, &root_h, &files, req),
                            req["expect"],
                            "{name}: {req}"
                        );
                    }
                    want.clone()
                }
                other => panic!("{name}: unknown kind {other}"),
            };
            assert_eq!(&got, want, "{name}");
        }
        assert_eq!(cases.len(), 89);
        assert_eq!(requests, 15);
        assert_eq!(counts["tile_log"], 6);
        assert_eq!(counts["tile_path"], 23);
    }
}

#[test]
fn entries_read_and_ranges() {
    use omega_core::tiles::{bundle_for_entry, bundles_for_range, read_entry, tiles_for_range};
    let (store, r, n) = small_log();
    for i in [0u64, 255, 256, 511, 512, 599] {
        assert_eq!(read_entry(i, n, &r, &store).unwrap(), entry(i), "{i}");
    }
    assert_eq!(
        read_entry(600, n, &r, &store).unwrap_err().code(),
        ErrorCode::NotInLog
    );
    assert_eq!(
        bundle_for_entry(599, n).unwrap().to_string(),
        "tile/entries/002.p/88"
    );
    assert_eq!(
        paths(&bundles_for_range(200, 600, n).unwrap()),
        [
            "tile/entries/000",
            "tile/entries/001",
            "tile/entries/002.p/88"
        ]
    );
    assert!(bundles_for_range(5, 5, n).unwrap().is_empty());
    assert_eq!(
        bundles_for_range(0, 601, n).unwrap_err().code(),
        ErrorCode::NotInLog
    );
    assert_eq!(
        bundles_for_range(7, 5, n).unwrap_err().code(),
        ErrorCode::Malformed
    );
    // Every bundle of a range verifies against tiles loaded for the range.
    let mut th = TileHashes::verify(n, &r, &store).unwrap();
    th.load(&tiles_for_range(0, n, n).unwrap(), &store).unwrap();
    let mut all = Vec::new();
    for b in bundles_for_range(0, n, n).unwrap() {
        all.extend(
            th.verify_bundle(&b, &store[&b])
                .unwrap()
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    assert_eq!(all, (0..n).map(entry).collect::<Vec<_>>());
    // Entry of an older size read with the full-bundle fallback (its partial bundle gone).
    let m = 300u64;
    let rm = root(&leaves(m));
    let mut older = store.clone();
    let mut p = Publisher::new();
    let a = p.append(&(0..m).map(entry).collect::<Vec<_>>()).unwrap();
    for f in a.files.iter().filter(|f| f.path.level() == Some(1)) {
        older.insert(f.path, f.bytes.clone());
    }
    assert!(!older.contains_key(&path("tile/entries/001.p/44")));
    assert_eq!(read_entry(299, m, &rm, &older).unwrap(), entry(299));
}

/// Every hash the publisher writes is the spec's formula:
/// tile (L, N), hash i = MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]).
#[test]
fn publisher_tiles_match_the_spec_formula() {
    let (store, _) = build(70_000, 4_099);
    let l = leaves(70_000);
    let mut checked = 0;
    for (p, bytes) in &store {
        match p.kind() {
            TileKind::Hashes(level) => {
                assert_eq!(bytes.len(), usize::from(p.width()) * 32, "{p}");
                let span = 256u64.pow(u32::from(level));
                for (i, h) in bytes.chunks_exact(32).enumerate() {
                    let lo = (p.index() * 256 + i as u64) * span;
                    let hi = lo + span;
                    assert_eq!(h, root(&l[lo as usize..hi as usize]), "{p} hash {i}");
                    checked += 1;
                }
            }
            TileKind::Entries => {
                let es = parse_bundle(bytes, p.width()).unwrap();
                for (i, e) in es.iter().enumerate() {
                    assert_eq!(
                        e.to_vec(),
                        entry(p.index() * 256 + i as u64),
                        "{p} entry {i}"
                    );
                }
            }
        }
    }
    assert!(checked > 70_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The fuzz target `bundle`'s properties on random inputs: an accepted bundle has exactly
    /// its width of entries and writes back to the same bytes; the prefix reader agrees.
    #[test]
    fn bundle_round_trip(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..20), cut in any::<usize>(), extra in any::<u8>()) {
        let b = write_bundle(&entries).unwrap();
        let w = entries.len() as u16;
        prop_assert_eq!(parse_bundle(&b, w).unwrap(), entries.iter().map(Vec::as_slice).collect::<Vec<_>>());
        prop_assert_eq!(parse_bundle_prefix(&b, w).unwrap().len(), entries.len());
        // Truncated anywhere, or one byte longer: refused.
        let k = cut % b.len();
        prop_assert!(parse_bundle(&b[..k], w).is_err());
        let mut longer = b.clone();
        longer.push(extra);
        prop_assert!(parse_bundle(&longer, w).is_err());
    }

    /// The fuzz target `tile`'s property: served as the partial tile of a fixed log, bytes are
    /// accepted iff their first `W` hashes are the real ones (exact length, or a full tile).
    #[test]
    fn partial_tile_accepted_iff_prefix_is_real(len_choice in 0usize..4, flip in any::<Option<u16>>(), tail in any::<u8>()) {
        let (store, r, n) = small_log();
        let p = path("tile/0/002.p/88");
        let real = store[&p].clone();
        let mut data = match len_choice {
            0 => real.clone(),
            1 => { let mut d = real.clone(); d.resize(8192, tail); d }
            2 => { let mut d = real.clone(); d.push(tail); d }
            _ => real[..real.len() - 1 - usize::from(tail) % 32].to_vec(),
        };
        if let Some(f) = flip {
            let k = usize::from(f) % (data.len() * 8);
            data[k / 8] ^= 1 << (k % 8);
        }
        let mut served = store.clone();
        served.insert(p, data.clone());
        let ok = TileHashes::verify(n, &r, &served).is_ok();
        let want = (data.len() == real.len() || data.len() == 8192) && data.starts_with(&real);
        prop_assert_eq!(ok, want);
    }

    /// Parse ∘ format is the identity on every path the constructors can make.
    #[test]
    fn path_round_trip(level in proptest::option::of(0u8..=63), index in any::<u64>(), width in 1u16..=256) {
        let p = match level {
            Some(l) => TilePath::hashes(l, index, width).unwrap(),
            None => TilePath::entries(index, width).unwrap(),
        };
        let s = p.to_string();
        prop_assert!(s.len() <= omega_core::limits::MAX_TILE_PATH_BYTES);
        prop_assert_eq!(TilePath::parse(&s).unwrap(), p);
    }
}

/// Hashes recomputed from verified tiles at every height 0..=16 equal the hashes of the
/// leaves they cover (levels inside a tile are rebuilt from its hashes).
#[test]
fn hashes_at_any_height_from_tiles() {
    use omega_core::merkle::HashSource;
    let n = 70_000u64;
    let (store, r) = build(n, 70_000);
    let l = leaves(n);
    let mut th = TileHashes::verify(n, &r, &store).unwrap();
    let mut checked = 0;
    for level in 0u8..=16 {
        let count = n >> level;
        for k in [0, count / 3, count.saturating_sub(1)] {
            if count == 0 {
                continue;
            }
            th.load_hashes(&[(level, k)], &store).unwrap();
            let lo = (k << level) as usize;
            let hi = ((k + 1) << level) as usize;
            assert_eq!(
                th.subtree_hash(level, k).unwrap(),
                root(&l[lo..hi]),
                "({level}, {k})"
            );
            checked += 1;
        }
        // A subtree that is not complete in this tree is not a hash of it.
        assert_eq!(
            th.subtree_hash(level, count).unwrap_err().code(),
            ErrorCode::NotInLog
        );
    }
    assert_eq!(checked, 3 * 17);
}
