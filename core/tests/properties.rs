//! Property tests: digest stability under file order, path rules, manifest and lock
//! round-trips, and the sequence rules of lock updates.

use std::collections::BTreeMap;

use omega_core::lock::{LockEntry, Lockfile};
use omega_core::manifest::{KeySet, Manifest};
use omega_core::tree::{validate_path, FileEntry, FileKind, RelPath, TreeListing};
use omega_core::{ErrorCode, KeyId, PublicKey};
use proptest::prelude::*;

fn component() -> impl Strategy<Value = String> {
    // Safe components: printable, no '/', '\\', not '.' or '..'.
    "[a-z0-9_\\-][a-zA-Z0-9_.\\- é]{0,12}".prop_filter("not dot names", |c| c != "." && c != "..")
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(component(), 1..4).prop_map(|v| v.join("/"))
}

fn entries() -> impl Strategy<Value = Vec<FileEntry>> {
    prop::collection::btree_map(
        path().prop_map(|p| p.to_ascii_lowercase()),
        (any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)),
        0..24,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(p, (x, data))| {
                FileEntry::from_contents(
                    RelPath::new(p).unwrap(),
                    if x {
                        FileKind::Executable
                    } else {
                        FileKind::Regular
                    },
                    &data,
                )
            })
            .collect()
    })
}

fn no_prefix_conflicts(v: &[FileEntry]) -> bool {
    // A path can't be both a file and a directory in a real tree; the digest itself doesn't
    // care, so only keep inputs that are listings (keeps the generated trees realistic).
    v.iter().all(|a| {
        v.iter()
            .all(|b| !b.path.starts_with(&format!("{}/", a.path)))
    })
}

#[cfg(feature = "sign")]
fn key(n: u8) -> omega_core::secret::SecretKey {
    omega_core::secret::SecretKey::from_seed(&[n; 32], KeyId([n; 8]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn digest_ignores_input_order(v in entries(), seed in any::<u64>()) {
        prop_assume!(no_prefix_conflicts(&v));
        let a = TreeListing::new(v.clone()).unwrap();
        let mut shuffled = v;
        // Deterministic shuffle from the seed.
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = TreeListing::new(shuffled).unwrap();
        prop_assert_eq!(a.digest(), b.digest());
        prop_assert_eq!(a.listing_text(), b.listing_text());
    }

    #[test]
    fn digest_changes_with_any_file_change(v in entries(), which in any::<prop::sample::Index>(), flip in 0u8..3) {
        prop_assume!(!v.is_empty() && no_prefix_conflicts(&v));
        let a = TreeListing::new(v.clone()).unwrap().digest();
        let mut w = v;
        let i = which.index(w.len());
        match flip {
            0 => w[i].hash[0] ^= 1,
            1 => w[i].size += 1,
            _ => w[i].kind = if w[i].kind == FileKind::Regular { FileKind::Executable } else { FileKind::Regular },
        }
        prop_assert_ne!(a, TreeListing::new(w).unwrap().digest());
    }

    #[test]
    fn safe_paths_are_accepted(p in path()) {
        prop_assert!(validate_path(&p).is_ok(), "{p:?}");
    }

    #[test]
    fn unsafe_paths_are_refused(p in path(), bad in prop::sample::select(vec!["..", ".", "", "a\\b", "a\u{0}b", "x\ny", "\u{7f}", "tab\there"]), at in any::<prop::sample::Index>()) {
        let mut parts: Vec<String> = p.split('/').map(str::to_string).collect();
        let i = at.index(parts.len() + 1);
        parts.insert(i, bad.to_string());
        let q = parts.join("/");
        let err = validate_path(&q).unwrap_err();
        prop_assert_eq!(err.code(), ErrorCode::UnsafePath);
    }

    #[test]
    fn case_collisions_are_refused(p in path()) {
        let upper = p.to_ascii_uppercase();
        prop_assume!(upper != p);
        let v = vec![FileEntry::from_contents(RelPath::new(p.clone()).unwrap(), FileKind::Regular, b"1"), FileEntry::from_contents(RelPath::new(upper).unwrap(), FileKind::Regular, b"2")];
        prop_assert_eq!(TreeListing::new(v).unwrap_err().code(), ErrorCode::UnsafePath);
    }

    #[test]
    fn manifest_round_trips(v in entries(), seq in any::<u64>(), version in "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z]{1,5})?", threshold in 1u32..4, nkeys in 3usize..5) {
        prop_assume!(no_prefix_conflicts(&v));
        let listing = TreeListing::new(v).unwrap();
        let keys: Vec<PublicKey> = (0..nkeys).map(|i| test_key(i as u8)).collect();
        let ks = KeySet { threshold, signers: keys[..3].to_vec(), next: keys[3..].to_vec() };
        let mut deps = BTreeMap::new();
        deps.insert("dep-a".to_string(), listing.digest());
        let m = Manifest::new("@scope/pkg", &version, seq, &listing, deps, ks).unwrap();
        let bytes = m.to_json_bytes();
        let back = Manifest::parse(&bytes).unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_json_bytes(), bytes);
    }

    #[test]
    fn lockfile_round_trips(seq in any::<u64>(), n in 0usize..5, signed in any::<bool>()) {
        let mut lf = Lockfile::default();
        for i in 0..n {
            let listing = TreeListing::new(vec![FileEntry::from_contents(RelPath::new(format!("f{i}")).unwrap(), FileKind::Regular, b"x")]).unwrap();
            let keys = signed.then(|| KeySet { threshold: 1, signers: vec![test_key(i as u8)], next: vec![] });
            lf.packages.insert(format!("pkg-{i}"), LockEntry {
                version: format!("1.0.{i}"),
                sequence: seq,
                tree: listing.digest(),
                signed_by: keys.as_ref().map(|k| k.signers.clone()).unwrap_or_default(),
                keys,
                revoked: vec![],
                path: RelPath::new(format!("node_modules/pkg-{i}")).unwrap(),
                retired: false,
                registry: None,
            });
        }
        let bytes = lf.to_json_bytes();
        let back = Lockfile::parse(&bytes).unwrap();
        prop_assert_eq!(&back, &lf);
        prop_assert_eq!(back.to_json_bytes(), bytes);
    }
}

fn test_key(n: u8) -> PublicKey {
    // Valid points: derived keys from fixed seeds, without needing the `sign` feature.
    use ed25519_point::point;
    PublicKey::from_parts(KeyId([n; 8]), &point(n)).unwrap()
}

mod ed25519_point {
    /// A valid Ed25519 public key: a multiple of the basepoint.
    pub fn point(n: u8) -> [u8; 32] {
        let s = curve25519_dalek::Scalar::from(u64::from(n) + 2);
        (curve25519_dalek::constants::ED25519_BASEPOINT_POINT * s)
            .compress()
            .to_bytes()
    }
}

#[cfg(feature = "sign")]
mod lock_rules {
    use super::*;
    use omega_core::lock::{admit, Candidate, Change, Release};
    use omega_core::signature::{LegacyPolicy, SignatureBlock};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Sequence rule: a signed release is accepted iff its sequence is greater than the pinned
        /// one, or equal with the identical tree (unchanged); otherwise ROLLBACK.
        #[test]
        fn sequence_rule(pinned_seq in 0u64..6, cand_seq in 0u64..6, same_tree in any::<bool>()) {
            let a = key(1);
            let make = |seq: u64, body: &str| {
                let listing = TreeListing::new(vec![FileEntry::from_contents(RelPath::new("index.js").unwrap(), FileKind::Regular, body.as_bytes())]).unwrap();
                let m = Manifest::new("left-pad", "1.0.0", seq, &listing, BTreeMap::new(), KeySet { threshold: 1, signers: vec![a.public_key()], next: vec![] }).unwrap();
                let bytes = m.to_json_bytes();
                let sig = a.sign(&bytes, "t", "u").unwrap().to_text();
                (listing, m, bytes, SignatureBlock::parse_all(sig.as_bytes(), "s").unwrap())
            };
            let (l0, m0, b0, s0) = make(pinned_seq, "v0");
            let first = admit(None, &Candidate { name: "left-pad", path: "node_modules/left-pad", tree: l0.digest(), version: "1.0.0", release: Some(Release { manifest: &m0, manifest_bytes: &b0, signatures: &s0 }) }, &[], LegacyPolicy::Refuse).unwrap();
            let (l1, m1, b1, s1) = make(cand_seq, if same_tree { "v0" } else { "v1" });
            let got = admit(Some(&first.entry), &Candidate { name: "left-pad", path: "node_modules/left-pad", tree: l1.digest(), version: "1.0.0", release: Some(Release { manifest: &m1, manifest_bytes: &b1, signatures: &s1 }) }, &[], LegacyPolicy::Refuse);
            if cand_seq > pinned_seq {
                let updated = matches!(got.unwrap().change, Change::Updated { .. });
                prop_assert!(updated);
            } else if cand_seq == pinned_seq && same_tree {
                prop_assert_eq!(got.unwrap().change, Change::Unchanged);
            } else {
                prop_assert_eq!(got.unwrap_err().code(), ErrorCode::Rollback);
            }
        }
    }
}
