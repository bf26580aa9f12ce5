//! Attacks on the lock rules (docs/threat-model.md, "Review fixes: lock rules and CLI"): a new
//! install of a pinned name, keys learned for a digest pin, one key counted twice under two
//! key ids, `--trust` on a pinned name, and revocation of a key over a whole lock file.
#![cfg(feature = "sign")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use base64ct::{Base64, Encoding};
use omega_core::check::{check_package, MemoryPackage, Pins};
use omega_core::lock::{
    admit, admit_in_lock, revoke, Admission, Candidate, Change, FirstSight, LockEntry, LockIndex,
    Lockfile, PinMode, Release, Revocation,
};
use omega_core::manifest::{KeySet, Manifest};
use omega_core::secret::SecretKey;
use omega_core::tree::{FileEntry, FileKind, RelPath, TreeListing};
use omega_core::{ErrorCode, KeyId, LegacyPolicy, PublicKey, SignatureBlock};

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n; 8]))
}

/// The same public key under another key id (the id is a label no signature covers).
fn relabelled(k: &PublicKey, id: u8) -> PublicKey {
    PublicKey::from_parts(KeyId([id; 8]), k.as_bytes()).unwrap()
}

/// The signature block text with its key id replaced (the signature bytes are unchanged).
fn relabel_block(text: &str, id: u8) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut blob = Base64::decode_vec(&lines[1]).unwrap();
    blob[2..10].copy_from_slice(&[id; 8]);
    lines[1] = Base64::encode_string(&blob);
    lines.join("\n") + "\n"
}

/// A release of `name`: its files, manifest bytes and signature blocks.
struct Rel {
    listing: TreeListing,
    manifest: Manifest,
    bytes: Vec<u8>,
    blocks: Vec<SignatureBlock>,
    version: String,
}

fn release(
    name: &str,
    body: &str,
    version: &str,
    seq: u64,
    keys: KeySet,
    signers: &[&SecretKey],
) -> Rel {
    let listing = TreeListing::new(vec![FileEntry::from_contents(
        RelPath::new("index.js").unwrap(),
        FileKind::Regular,
        body.as_bytes(),
    )])
    .unwrap();
    let manifest = Manifest::new(name, version, seq, &listing, BTreeMap::new(), keys).unwrap();
    let bytes = manifest.to_json_bytes();
    let text: String = signers
        .iter()
        .map(|k| k.sign(&bytes, "t", "u").unwrap().to_text())
        .collect();
    let blocks = SignatureBlock::parse_all(text.as_bytes(), "sig").unwrap();
    Rel {
        listing,
        manifest,
        bytes,
        blocks,
        version: version.to_string(),
    }
}

fn ks(threshold: u32, signers: &[&SecretKey], next: &[&SecretKey]) -> KeySet {
    KeySet {
        threshold,
        signers: signers.iter().map(|k| k.public_key()).collect(),
        next: next.iter().map(|k| k.public_key()).collect(),
    }
}

fn candidate<'a>(name: &'a str, path: &'a str, r: &'a Rel) -> Candidate<'a> {
    Candidate {
        name,
        path,
        tree: r.listing.digest(),
        version: &r.version,
        release: Some(Release {
            manifest: &r.manifest,
            manifest_bytes: &r.bytes,
            signatures: &r.blocks,
        }),
    }
}

fn unsigned<'a>(name: &'a str, path: &'a str, listing: &'a TreeListing) -> Candidate<'a> {
    Candidate {
        name,
        path,
        tree: listing.digest(),
        version: "1.0.0",
        release: None,
    }
}

fn listing(body: &str) -> TreeListing {
    TreeListing::new(vec![FileEntry::from_contents(
        RelPath::new("index.js").unwrap(),
        FileKind::Regular,
        body.as_bytes(),
    )])
    .unwrap()
}

const TOP: &str = "node_modules/ms";
const NESTED: &str = "node_modules/foo/node_modules/ms";

/// A lock with `ms` pinned at sequence 5 by alice (next: bob).
fn ms_pinned(alice: &SecretKey, bob: &SecretKey) -> (Lockfile, Rel) {
    let r5 = release("ms", "v5", "2.1.3", 5, ks(1, &[alice], &[bob]), &[alice]);
    let adm = admit(None, &candidate("ms", TOP, &r5), &[], LegacyPolicy::Refuse).unwrap();
    let mut lock = Lockfile::default();
    lock.packages.insert("ms".into(), adm.entry);
    (lock, r5)
}

fn at_nested(
    lock: &Lockfile,
    c: &Candidate<'_>,
    trust: &[PublicKey],
) -> omega_core::Result<Admission> {
    admit_in_lock(
        &LockIndex::new(lock),
        NESTED,
        c,
        trust,
        PinMode::Update,
        LegacyPolicy::Refuse,
    )
}

#[test]
fn fail_new_install_of_pinned_name_older_release_is_rollback() {
    let (alice, bob) = (key(1), key(2));
    let (lock, _) = ms_pinned(&alice, &bob);
    let old = release("ms", "v1", "0.7.0", 1, ks(1, &[&alice], &[]), &[&alice]);
    let e = at_nested(&lock, &candidate("ms", NESTED, &old), &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rollback, "{e}");
    assert!(
        e.message().contains(NESTED) && e.message().contains("sequence 5"),
        "{e}"
    );
    // Before the fix, the same install with no entry of its own was a first sight:
    let first = admit(
        None,
        &candidate("ms", NESTED, &old),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert_eq!(first.change, Change::New(FirstSight::TrustOnFirstUse));
}

#[test]
fn fail_new_install_of_pinned_name_signed_by_another_key() {
    let (alice, bob, mallory) = (key(1), key(2), key(9));
    let (lock, _) = ms_pinned(&alice, &bob);
    let evil = release(
        "ms",
        "evil",
        "9.0.0",
        9,
        ks(1, &[&mallory], &[]),
        &[&mallory],
    );
    let e = at_nested(&lock, &candidate("ms", NESTED, &evil), &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
    // Unsigned at a new install of a name pinned with keys: refused as an unsigned update.
    let l = listing("plain");
    let e = at_nested(&lock, &unsigned("ms", NESTED, &l), &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ThresholdNotMet, "{e}");
    // Equal sequence with other files: rollback (equivocation), as for an update.
    let twin = release("ms", "twin", "2.1.3", 5, ks(1, &[&alice], &[]), &[&alice]);
    let e = at_nested(&lock, &candidate("ms", NESTED, &twin), &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rollback, "{e}");
}

#[test]
fn new_install_of_pinned_name_admitted_by_its_pins() {
    let (alice, bob) = (key(1), key(2));
    let (lock, r5) = ms_pinned(&alice, &bob);
    // The same release (npm installs duplicates): admitted.
    let same = at_nested(&lock, &candidate("ms", NESTED, &r5), &[]).unwrap();
    assert_eq!(same.change, Change::New(FirstSight::PinnedName));
    assert_eq!(same.entry.path, NESTED);
    // A newer release signed by the pinned next key: admitted.
    let r6 = release("ms", "v6", "3.0.0", 6, ks(1, &[&bob], &[]), &[&bob]);
    let newer = at_nested(&lock, &candidate("ms", NESTED, &r6), &[]).unwrap();
    assert_eq!(newer.change.as_str(), "new-pinned-name");
    assert_eq!(newer.entry.sequence, 6);
    // An older release named deliberately with a pinned key: admitted explicitly.
    let old = release("ms", "v1", "0.7.0", 1, ks(1, &[&alice], &[]), &[&alice]);
    let explicit = at_nested(&lock, &candidate("ms", NESTED, &old), &[alice.public_key()]).unwrap();
    assert_eq!(explicit.change, Change::New(FirstSight::Explicit));
    // ... but not with a key that is not pinned for the name.
    let mallory = key(9);
    let evil = release(
        "ms",
        "evil",
        "0.7.1",
        1,
        ks(1, &[&mallory], &[]),
        &[&mallory],
    );
    let e = at_nested(
        &lock,
        &candidate("ms", NESTED, &evil),
        &[mallory.public_key()],
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
    // Re-pinning the name deliberately sets its pins aside.
    let repinned = admit_in_lock(
        &LockIndex::new(&lock),
        NESTED,
        &candidate("ms", NESTED, &evil),
        &[mallory.public_key()],
        PinMode::Repin,
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert_eq!(repinned.change, Change::New(FirstSight::Explicit));
}

#[test]
fn highest_pin_of_the_name_is_the_floor() {
    // ms pinned twice: at the top at sequence 5, nested under foo at sequence 2. A third
    // install must not be older than 5, whichever pin's keys sign it.
    let (alice, bob) = (key(1), key(2));
    let (mut lock, _) = ms_pinned(&alice, &bob);
    let r2 = release("ms", "v2", "1.0.0", 2, ks(1, &[&alice], &[]), &[&alice]);
    let e2 = admit(
        None,
        &candidate("ms", NESTED, &r2),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    lock.packages.insert(NESTED.into(), e2.entry);
    let third = "node_modules/bar/node_modules/ms";
    let r3 = release("ms", "v3", "1.1.0", 3, ks(1, &[&alice], &[]), &[&alice]);
    let e = admit_in_lock(
        &LockIndex::new(&lock),
        third,
        &candidate("ms", third, &r3),
        &[],
        PinMode::Update,
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Rollback, "{e}");
    // The nested pin itself still updates by its own rule (sequence above 2).
    let ok = admit_in_lock(
        &LockIndex::new(&lock),
        NESTED,
        &candidate("ms", NESTED, &r3),
        &[],
        PinMode::Update,
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert!(matches!(ok.change, Change::Updated { .. }));
}

#[test]
fn fail_digest_pin_learns_keys_of_added_omega() {
    // `left-pad` pinned by digest only; mallory adds .omega/ signed by her over the same files.
    let mallory = key(9);
    let r = release(
        "left-pad",
        "v1",
        "1.0.0",
        1,
        ks(1, &[&mallory], &[]),
        &[&mallory],
    );
    let plain = admit(
        None,
        &unsigned("left-pad", "node_modules/left-pad", &r.listing),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert_eq!(plain.change, Change::New(FirstSight::Unsigned));
    let c = candidate("left-pad", "node_modules/left-pad", &r);
    let e = admit(Some(&plain.entry), &c, &[], LegacyPolicy::Refuse).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
    assert!(e.message().contains("--trust left-pad="), "{e}");
    // With the key named by the user, it is learned (explicitly).
    let learned = admit(
        Some(&plain.entry),
        &c,
        &[mallory.public_key()],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert_eq!(learned.change, Change::New(FirstSight::Explicit));
    // A new install of a name pinned by digest only does not learn keys either.
    let mut lock = Lockfile::default();
    lock.packages.insert("left-pad".into(), plain.entry.clone());
    let nested = "node_modules/x/node_modules/left-pad";
    let e = admit_in_lock(
        &LockIndex::new(&lock),
        nested,
        &candidate("left-pad", nested, &r),
        &[],
        PinMode::Update,
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
}

#[test]
fn fail_trust_on_pinned_name_names_another_key() {
    let (alice, mallory) = (key(1), key(9));
    // First sight signed by mallory (the attacker's key was pinned on first use).
    let r = release(
        "foo",
        "v1",
        "1.0.0",
        1,
        ks(1, &[&mallory], &[]),
        &[&mallory],
    );
    let c = candidate("foo", "node_modules/foo", &r);
    let pinned = admit(None, &c, &[], LegacyPolicy::Refuse).unwrap();
    let e = admit(
        Some(&pinned.entry),
        &c,
        &[alice.public_key()],
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
    assert!(e.message().contains("--repin foo"), "{e}");
    // Naming a pinned key is accepted.
    let ok = admit(
        Some(&pinned.entry),
        &c,
        &[mallory.public_key()],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert_eq!(ok.change, Change::Unchanged);
    // On an unsigned pin, a named key is refused too (the package is unsigned).
    let l = listing("plain");
    let u = unsigned("bar", "node_modules/bar", &l);
    let up = admit(None, &u, &[], LegacyPolicy::Refuse).unwrap();
    let e = admit(
        Some(&up.entry),
        &u,
        &[alice.public_key()],
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
}

#[test]
fn fail_relabelled_signature_counts_twice_for_threshold() {
    // One real signature by alice, copied with another key id; pins {alice, alice-as-id-7}.
    let alice = key(1);
    let pk = alice.public_key();
    let files = [("index.js", false, &b"x"[..])];
    let mem = MemoryPackage::from_files(files.iter().copied()).unwrap();
    let m = Manifest::new(
        "p",
        "1.0.0",
        1,
        &mem.listing,
        BTreeMap::new(),
        ks(1, &[&alice], &[]),
    )
    .unwrap();
    let bytes = m.to_json_bytes();
    let block = alice.sign(&bytes, "t", "u").unwrap().to_text();
    let sig = format!("{block}{}", relabel_block(&block, 7));
    let pkg = MemoryPackage::from_files(files.iter().copied().chain([
        (".omega/manifest.json", false, bytes.as_slice()),
        (".omega/manifest.json.minisig", false, sig.as_bytes()),
    ]))
    .unwrap();
    let pins = Pins::keys(vec![pk, relabelled(&pk, 7)], 2);
    let e = check_package(pkg.input("p"), &pins).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
    assert!(e.message().contains("pinned twice"), "{e}");
    // And keys compare by their bytes.
    assert_eq!(pk, relabelled(&pk, 7));
}

#[test]
fn fail_revoked_key_comes_back_under_another_id() {
    let (alice, bob) = (key(1), key(2));
    let (lock, _) = ms_pinned(&alice, &bob);
    let stmt = Revocation {
        name: "ms".into(),
        key: alice.public_key(),
        reason: "stolen".into(),
    }
    .to_json_bytes();
    let sig = alice.sign(&stmt, "t", "u").unwrap().to_text();
    let out = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap();
    let lock = Lockfile::parse(&out.lock).unwrap();
    let pinned = &lock.packages["ms"];
    // A release by bob (pinned next key) that declares alice again under another key id.
    let mut keys = ks(1, &[&bob], &[]);
    keys.next.push(relabelled(&alice.public_key(), 7));
    let r6 = release("ms", "v6", "3.0.0", 6, keys, &[&bob]);
    let e = admit(
        Some(pinned),
        &candidate("ms", TOP, &r6),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyRevoked, "{e}");
    // A lock that pins and revokes one key under two ids is malformed.
    let mut bad = pinned.clone();
    if let Some(k) = bad.keys.as_mut() {
        k.next.push(relabelled(&alice.public_key(), 7));
    }
    let mut lf = Lockfile::default();
    lf.packages.insert("ms".into(), bad);
    let e = Lockfile::parse(&lf.to_json_bytes()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
}

fn two_installs(alice: &SecretKey, bob: &SecretKey, carol: &SecretKey) -> Lockfile {
    let (mut lock, _) = ms_pinned(alice, bob);
    let r2 = release(
        "ms",
        "v2",
        "1.0.0",
        2,
        ks(1, &[carol, alice], &[]),
        &[carol],
    );
    let e2 = admit(
        None,
        &candidate("ms", NESTED, &r2),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    lock.packages.insert(NESTED.into(), e2.entry);
    let other = release("other", "o", "1.0.0", 1, ks(1, &[alice], &[]), &[alice]);
    let eo = admit(
        None,
        &candidate("other", "node_modules/other", &other),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    lock.packages.insert("other".into(), eo.entry);
    lock
}

fn statement(name: &str, k: &PublicKey) -> Vec<u8> {
    Revocation {
        name: name.into(),
        key: *k,
        reason: "stolen".into(),
    }
    .to_json_bytes()
}

#[test]
fn revoke_applies_to_every_install_of_the_name() {
    let (alice, bob, carol) = (key(1), key(2), key(3));
    let lock = two_installs(&alice, &bob, &carol);
    let stmt = statement("ms", &alice.public_key());
    let sig = alice.sign(&stmt, "t", "u").unwrap().to_text();
    let out = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap();
    assert_eq!(out.entries, vec!["ms".to_string(), NESTED.to_string()]);
    let after = Lockfile::parse(&out.lock).unwrap();
    for k in ["ms", NESTED] {
        let e: &LockEntry = &after.packages[k];
        assert!(e.revoked.contains(&alice.public_key()), "{k}");
        assert!(!e.keys.as_ref().unwrap().allows(&alice.public_key()), "{k}");
    }
    // Another package pinned with the same key is not touched.
    assert!(after.packages["other"].revoked.is_empty());
    // A new install of ms signed by alice is now refused, whatever its sequence.
    let r9 = release("ms", "v9", "9.0.0", 9, ks(1, &[&alice], &[]), &[&alice]);
    let third = "node_modules/bar/node_modules/ms";
    let e = admit_in_lock(
        &LockIndex::new(&after),
        third,
        &candidate("ms", third, &r9),
        &[],
        PinMode::Update,
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyRevoked, "{e}");
    // Applying it again: KEY_REVOKED (already revoked).
    let e = revoke(&out.lock, &stmt, sig.as_bytes(), LegacyPolicy::Refuse).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyRevoked, "{e}");
}

#[test]
fn fail_revoke_not_authorised_for_every_entry_changes_nothing() {
    let (alice, bob, carol) = (key(1), key(2), key(3));
    let lock = two_installs(&alice, &bob, &carol);
    // Signed by bob: not alice, not a pinned signer of the top pin (bob is only its next key)
    // nor of the nested one.
    let stmt = statement("ms", &alice.public_key());
    let sig = bob.sign(&stmt, "t", "u").unwrap().to_text();
    let e = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
    assert!(e.message().contains("omega.lock entry \"ms\""), "{e}");
    // Carol may revoke alice for the nested pin (1 of its signers) but not for the top one:
    // all or nothing.
    let sig = carol.sign(&stmt, "t", "u").unwrap().to_text();
    let e = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap_err();
    assert!(
        matches!(
            e.code(),
            ErrorCode::KeyNotTrusted | ErrorCode::ThresholdNotMet
        ),
        "{e}"
    );
    // Unknown package, unpinned key, malformed inputs.
    let stmt_x = statement("nope", &alice.public_key());
    let sig_x = alice.sign(&stmt_x, "t", "u").unwrap().to_text();
    assert_eq!(
        revoke(
            &lock.to_json_bytes(),
            &stmt_x,
            sig_x.as_bytes(),
            LegacyPolicy::Refuse
        )
        .unwrap_err()
        .code(),
        ErrorCode::NotFound
    );
    let dave = key(4);
    let stmt_d = statement("ms", &dave.public_key());
    let sig_d = dave.sign(&stmt_d, "t", "u").unwrap().to_text();
    assert_eq!(
        revoke(
            &lock.to_json_bytes(),
            &stmt_d,
            sig_d.as_bytes(),
            LegacyPolicy::Refuse
        )
        .unwrap_err()
        .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        revoke(b"{", &stmt, sig.as_bytes(), LegacyPolicy::Refuse)
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        revoke(
            &lock.to_json_bytes(),
            b"[]",
            sig.as_bytes(),
            LegacyPolicy::Refuse
        )
        .unwrap_err()
        .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        revoke(
            &lock.to_json_bytes(),
            &stmt,
            b"garbage",
            LegacyPolicy::Refuse
        )
        .unwrap_err()
        .code(),
        ErrorCode::Malformed
    );
}

#[test]
fn node_resolution_paths_follow_node() {
    use omega_core::lock::node_resolution_paths;
    assert_eq!(
        node_resolution_paths("node_modules/a/node_modules/foo", "dep"),
        [
            "node_modules/a/node_modules/foo/node_modules/dep",
            "node_modules/a/node_modules/dep",
            "node_modules/dep",
        ]
    );
    assert_eq!(
        node_resolution_paths("node_modules/@s/foo", "@t/dep"),
        [
            "node_modules/@s/foo/node_modules/@t/dep",
            "node_modules/@s/node_modules/@t/dep",
            "node_modules/@t/dep",
        ]
    );
}

#[test]
fn fail_signed_pin_whose_signers_are_all_revoked_is_not_a_digest_pin() {
    // t_revoke_still_loads.sh: after revocation, `signed_by` is empty; the audit pins (and the
    // loader's, through entries_json) refuse the entry instead of checking its digest only.
    let (alice, bob, carol) = (key(1), key(2), key(3));
    let lock = two_installs(&alice, &bob, &carol);
    let stmt = statement("ms", &alice.public_key());
    let sig = alice.sign(&stmt, "t", "u").unwrap().to_text();
    let out = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap();
    let after = Lockfile::parse(&out.lock).unwrap();
    let e = after.packages["ms"].audit_pins("ms").unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyRevoked, "{e}");
    assert!(e.message().contains("ms@2.1.3"), "{e}");
    assert!(e.message().contains(&alice.public_key().to_base64()), "{e}");
    // The nested install was signed by carol, who is not revoked: still checked by her key.
    let pins = after.packages[NESTED].audit_pins(NESTED).unwrap();
    assert_eq!(pins.keys, vec![carol.public_key()]);
    assert_eq!(pins.threshold, 1);
    // A digest pin stays a digest pin.
    let mut plain = after.packages["other"].clone();
    plain.keys = None;
    plain.signed_by.clear();
    assert!(plain.audit_pins("other").unwrap().keys.is_empty());
    // The loaders read exactly this.
    let json = sj(&after.entries_json());
    let of = |k: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == k)
            .unwrap()["audit"]
            .clone()
    };
    assert_eq!(of("ms")["error"]["code"], "KEY_REVOKED");
    assert_eq!(
        of(NESTED)["keys"],
        serde_json::json!([carol.public_key().to_base64()])
    );
    assert_eq!(of(NESTED)["threshold"], 1);
}

#[test]
fn threshold_two_pin_with_one_signer_revoked_keeps_the_other() {
    let (alice, bob) = (key(1), key(2));
    let r = release(
        "tt",
        "v1",
        "1.0.0",
        1,
        ks(2, &[&alice, &bob], &[]),
        &[&alice, &bob],
    );
    let adm = admit(
        None,
        &candidate("tt", "node_modules/tt", &r),
        &[],
        LegacyPolicy::Refuse,
    )
    .unwrap();
    let mut lock = Lockfile::default();
    lock.packages.insert("tt".into(), adm.entry);
    let stmt = statement("tt", &alice.public_key());
    let sig = alice.sign(&stmt, "t", "u").unwrap().to_text();
    let out = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap();
    let after = Lockfile::parse(&out.lock).unwrap();
    let pins = after.packages["tt"].audit_pins("tt").unwrap();
    assert_eq!(pins.keys, vec![bob.public_key()]);
    assert_eq!(pins.threshold, 1);
    // The pinned release verifies against bob's signature, which is still required.
    let with = |sig: String| MemoryPackage {
        listing: r.listing.clone(),
        manifest: Some(r.bytes.clone()),
        signatures: Some(sig.into_bytes()),
    };
    let bob_sig = bob.sign(&r.bytes, "t", "u").unwrap().to_text();
    let alice_sig = alice.sign(&r.bytes, "t", "u").unwrap().to_text();
    check_package(with(bob_sig).input("tt"), &pins).unwrap();
    let e = check_package(with(alice_sig).input("tt"), &pins).unwrap_err();
    assert_ne!(e.code(), ErrorCode::Malformed, "{e}");
}

#[test]
fn retired_entry_keeps_the_name_pins_for_its_return() {
    // t_revoke_forget.sh / t_repin_by_absence.sh in core: the pins of a name no longer
    // installed are kept as one retired entry; a returning install is an update against it.
    let (alice, bob, carol) = (key(1), key(2), key(3));
    let lock = two_installs(&alice, &bob, &carol);
    let stmt = statement("ms", &carol.public_key());
    let sig = carol.sign(&stmt, "t", "u").unwrap().to_text();
    let out = revoke(
        &lock.to_json_bytes(),
        &stmt,
        sig.as_bytes(),
        LegacyPolicy::Refuse,
    )
    .unwrap();
    let after = Lockfile::parse(&out.lock).unwrap();
    let e = after.retired_entry("ms").unwrap();
    assert!(e.retired);
    assert_eq!(e.sequence, 5, "the highest sequence is the floor");
    assert_eq!(e.revoked, vec![carol.public_key()]);
    assert!(after.retired_entry("nope").is_none());
    let mut retired = Lockfile::default();
    retired.packages.insert("ms".into(), e);
    retired
        .packages
        .insert("other".into(), after.packages["other"].clone());
    let bytes = retired.to_json_bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("\"retired\": true"));
    let parsed = Lockfile::parse(&bytes).unwrap();
    assert_eq!(parsed, retired);
    // Loaders never see a retired entry.
    assert!(sj(&parsed.entries_json())
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["key"] != "ms"));
    let index = LockIndex::new(&parsed);
    let at_top = |r: &Rel| {
        admit_in_lock(
            &index,
            "ms",
            &candidate("ms", TOP, r),
            &[],
            PinMode::Update,
            LegacyPolicy::Refuse,
        )
    };
    // Signed by the revoked key: KEY_REVOKED. By another key: KEY_NOT_TRUSTED. Older: ROLLBACK.
    let by_carol = release("ms", "c", "9.0.0", 9, ks(1, &[&carol], &[]), &[&carol]);
    assert_eq!(at_top(&by_carol).unwrap_err().code(), ErrorCode::KeyRevoked);
    let mallory = key(9);
    let by_mallory = release("ms", "m", "9.0.0", 9, ks(1, &[&mallory], &[]), &[&mallory]);
    assert_eq!(
        at_top(&by_mallory).unwrap_err().code(),
        ErrorCode::KeyNotTrusted
    );
    let old = release("ms", "o", "1.0.0", 4, ks(1, &[&alice], &[]), &[&alice]);
    assert_eq!(at_top(&old).unwrap_err().code(), ErrorCode::Rollback);
    // A newer release by the pinned key: an update, no longer retired.
    let new = release("ms", "n", "3.0.0", 6, ks(1, &[&alice], &[]), &[&alice]);
    let adm = at_top(&new).unwrap();
    assert!(matches!(adm.change, Change::Updated { .. }));
    assert!(!adm.entry.retired);
    assert_eq!(adm.entry.revoked, vec![carol.public_key()]);
}

#[test]
fn fail_package_names_npm_reserves() {
    use omega_core::manifest::validate_name;
    for bad in ["node_modules", "favicon.ico", "@s/node_modules", ".x", "_x"] {
        let e = validate_name(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed, "{bad}");
    }
    for good in ["node-modules", "favicon", "@node_modules/x", "x.ico"] {
        validate_name(good).unwrap();
    }
    // A lock key naming such a package is refused too.
    assert!(omega_core::lock::validate_lock_key("node_modules/node_modules").is_err());
}

/// Core's JSON value as serde_json's, to index it in assertions.
fn sj(v: &omega_core::json::Value<'_>) -> serde_json::Value {
    serde_json::from_str(&omega_core::json::to_text(v)).unwrap()
}

/// RelPath review (issue 11): a new install of a name pinned elsewhere went to
/// `admit_new_install` without the path check `admit` makes, so a candidate path with `..`
/// could become a new lock entry's `path`. Now every admission parses the path (`RelPath`).
#[test]
fn fail_new_install_of_pinned_name_with_an_unsafe_path() {
    let (alice, bob) = (key(1), key(2));
    let (lock, _) = ms_pinned(&alice, &bob);
    let r6 = release("ms", "v6", "2.1.4", 6, ks(1, &[&alice], &[&bob]), &[&alice]);
    for bad in [
        "node_modules/foo/node_modules/../../ms",
        "node_modules/foo//node_modules/ms",
        "node_modules\\foo\\node_modules\\ms",
    ] {
        let e = at_nested(&lock, &candidate("ms", bad, &r6), &[]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsafePath, "{bad}: {e}");
    }
    // The same release at the right path is admitted by the name's pins.
    let ok = at_nested(&lock, &candidate("ms", NESTED, &r6), &[]).unwrap();
    assert_eq!(ok.entry.path, NESTED);
}
