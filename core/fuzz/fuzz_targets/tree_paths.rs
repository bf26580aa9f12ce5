//! Tree listings from fuzzed paths. The input is a list of NUL-separated strings; the valid
//! UTF-8 ones become file entries (kind, size and hash derived from the piece) for
//! `TreeListing::new`, which never panics; an accepted listing is sorted by path bytes without
//! duplicates or case collisions, every path passes `validate_path`, and its digest is
//! deterministic and independent of the input order. `validate_path` also runs on the whole
//! input (lossy UTF-8) and on each piece. An accepted listing also goes through a manifest
//! (`Manifest::new` → `to_json_bytes` → `Manifest::parse`), which exercises the JSON escaping
//! of arbitrary paths: the `manifest` target rarely gets there, as a mutated path no longer
//! matches the manifest's tree digest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::tree::{is_metadata_path, validate_path, RelPath, TREE_HEADER};
use omega_core::{
    ErrorCode, FileEntry, FileKind, KeySet, Manifest, PublicKey, TreeDigest, TreeListing,
};

mod common;

/// The file entries of the valid UTF-8 pieces of `data`, split at NUL bytes (each piece is
/// also run through `check_path`); `None` when one of them is not a valid path: `RelPath::new`
/// refuses it (`UNSAFE_PATH`), so no entry can hold it (`TreeListing::new` refused such a
/// listing when entries held plain strings).
fn entries_of(data: &[u8]) -> Option<Vec<FileEntry>> {
    let mut entries = Vec::new();
    let mut all_valid = true;
    for (i, piece) in data.split(|&b| b == 0).enumerate() {
        let Ok(path) = core::str::from_utf8(piece) else {
            continue;
        };
        check_path(path);
        let kind = if i % 2 == 0 {
            FileKind::Regular
        } else {
            FileKind::Executable
        };
        match RelPath::new(path) {
            Ok(path) => entries.push(FileEntry::from_contents(path, kind, piece)),
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::UnsafePath);
                all_valid = false;
            }
        }
    }
    all_valid.then_some(entries)
}

fn check_path(path: &str) {
    if validate_path(path).is_ok() {
        assert!(!path.is_empty() && path.len() <= omega_core::limits::MAX_PATH_BYTES);
        assert!(!path.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\'));
        assert!(path.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.len() <= omega_core::limits::MAX_COMPONENT_BYTES
        }));
    }
}

fuzz_target!(init: {
    common::check_seeds(|d| entries_of(d).is_some_and(|e| TreeListing::new(e).is_ok()));
}, |data: &[u8]| {
    check_path(&String::from_utf8_lossy(data));
    let Some(entries) = entries_of(data) else {
        return;
    };

    let Ok(listing) = TreeListing::new(entries.clone()) else {
        return;
    };
    let sorted = listing.entries();
    assert_eq!(sorted.len(), entries.len());
    for w in sorted.windows(2) {
        assert!(w[0].path.as_bytes() < w[1].path.as_bytes(), "not sorted, or a duplicate");
        assert_ne!(w[0].path.to_ascii_lowercase(), w[1].path.to_ascii_lowercase());
    }
    for e in sorted {
        assert!(validate_path(&e.path).is_ok(), "accepted path {:?} fails validate_path", e.path);
        assert!(!is_metadata_path(&e.path));
        assert!(entries.contains(e));
    }
    let digest = listing.digest();
    assert_eq!(listing.digest(), digest);
    // The digest is BLAKE2b-256 of the header and the listing text, and its text parses back.
    let mut text = Vec::from(TREE_HEADER);
    text.extend_from_slice(listing.listing_text().as_bytes());
    assert_eq!(omega_core::hash::blake2b256(&text), digest.0);
    assert_eq!(TreeDigest::parse(&digest.to_string()).ok(), Some(digest));
    // The order of the input does not matter.
    let mut reversed = entries;
    reversed.reverse();
    let again = TreeListing::new(reversed).expect("the same entries in another order");
    assert_eq!(again.digest(), digest);
    assert_eq!(again, listing);

    let key = PublicKey::parse(include_bytes!("../fixtures/signer.pub")).expect("fixtures/signer.pub");
    let keys = KeySet { threshold: 1, signers: vec![key], next: Vec::new() };
    let manifest = Manifest::new("fuzz", "1.0.0", 1, &listing, Default::default(), keys)
        .expect("a manifest of a valid listing");
    let bytes = manifest.to_json_bytes();
    let parsed = Manifest::parse(&bytes).expect("to_json_bytes of a new manifest must parse");
    assert_eq!(parsed, manifest);
    assert_eq!(parsed.tree, digest);
});
