//! The replay state machine (REGISTRY.md R4), row by row of R4's table, positively and
//! negatively; the revocation clock; genesis pinning; invalid-entry handling; batched
//! verification; prechecked (parallel) verification, which every row also runs through (the
//! `Log` helper replays the log in every mode after each entry); and properties: chunked
//! replay equals whole replay, prechecked replay equals one-by-one replay wherever the bad
//! entries sit in a window, and no single-bit change to an entry's statement or signature
//! passes as the same verdict.
#![cfg(feature = "sign")]

use omega_core::entry::Entry;
use omega_core::manifest::{KeySet, Manifest};
use omega_core::registry::{
    check_genesis, genesis_hash, release_matches_manifest, replay, replay_log, replay_prechecked,
    replay_visit, OnInvalid, RegistryState, Replay, ReplayOptions, Verification, PRECHECK_WINDOW,
};
use omega_core::secret::SecretKey;
use omega_core::statement::{
    Mode, NoticeStatement, OwnersStatement, RegistryStatement, ReleaseStatement, RevokeStatement,
    SequenceRange, Severity, Statement, YankStatement,
};
use omega_core::tree::{FileEntry, FileKind, RelPath, TreeListing};
use omega_core::vkey::Vkey;
use omega_core::{ErrorCode, KeyId, TreeDigest};
use proptest::prelude::*;

const ORIGIN: &str = "registry.example/log";

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n, 0x6f, 0x6d, 0x65, 0x67, 0x61, 0x00, n]))
}

fn ks(threshold: u32, signers: &[&SecretKey], next: &[&SecretKey]) -> KeySet {
    KeySet {
        threshold,
        signers: signers.iter().map(|k| k.public_key()).collect(),
        next: next.iter().map(|k| k.public_key()).collect(),
    }
}

fn registry(serial: u64, janitors: KeySet, mode: Mode) -> Statement {
    Statement::Registry(RegistryStatement {
        origin: ORIGIN.into(),
        serial,
        janitors,
        log_key: Vkey::ed25519(ORIGIN, *key(200).public_key().as_bytes()).unwrap(),
        index_key: Vkey::ed25519("registry.example/index", *key(201).public_key().as_bytes())
            .unwrap(),
        mode,
    })
}

fn owners(name: &str, serial: u64, keys: KeySet) -> Statement {
    Statement::Owners(OwnersStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        serial,
        keys,
        reason: "maintainers".into(),
    })
}

fn release(name: &str, version: &str, sequence: u64, keys: KeySet) -> Statement {
    Statement::Release(ReleaseStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        version: version.into(),
        sequence,
        tree: TreeDigest([sequence as u8; 32]),
        manifest: [1; 32],
        tgz: [2; 32],
        size: 1234,
        keys,
    })
}

fn revoke(name: &str, k: &SecretKey) -> Statement {
    Statement::Revoke(RevokeStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        key: k.public_key(),
        reason: "key lost".into(),
    })
}

fn yank(name: &str, version: &str, sequence: u64) -> Statement {
    Statement::Yank(YankStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        version: version.into(),
        sequence,
        reason: "broken".into(),
    })
}

fn notice(name: &str, id: &str) -> Statement {
    Statement::Notice(NoticeStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        id: id.into(),
        severity: Severity::High,
        affected: vec![SequenceRange { from: 1, to: 2 }],
        fixed: Some(3),
        summary: "remote code execution".into(),
        url: Some("https://registry.example/notices/1".into()),
    })
}

fn sign(st: &Statement, by: &[&SecretKey]) -> Vec<u8> {
    Entry::sign(st, by, "omega-entry/v1").unwrap().to_bytes()
}

/// A log being built: each `ok`/`bad` appends an entry and checks its verdict; `bad` entries
/// are not kept (the registry appends only valid entries).
#[derive(Clone)]
struct Log {
    entries: Vec<Vec<u8>>,
    state: RegistryState,
}

impl Log {
    fn new(janitors: KeySet, signers: &[&SecretKey], mode: Mode) -> Log {
        let g = sign(&registry(0, janitors, mode), signers);
        let state = RegistryState::genesis(&g).unwrap();
        Log {
            entries: vec![g],
            state,
        }
    }
    /// janitors j1, j2, j3 (threshold 2); owners of left-pad: a (threshold 1, next b).
    fn standard(mode: Mode) -> Log {
        let mut log = Log::new(
            ks(2, &[&key(1), &key(2), &key(3)], &[]),
            &[&key(1), &key(2)],
            mode,
        );
        log.ok(
            &owners("left-pad", 0, ks(1, &[&key(10)], &[&key(11)])),
            &[&key(1), &key(3)],
        );
        log
    }
    fn ok(&mut self, st: &Statement, by: &[&SecretKey]) {
        let bytes = sign(st, by);
        if let Err(e) = self.state.apply(&bytes) {
            panic!("entry {} ({st}) refused: {e}", self.entries.len());
        }
        self.entries.push(bytes);
        // Every mode replays the log from its genesis to the same state.
        let refs: Vec<&[u8]> = self.entries.iter().map(Vec::as_slice).collect();
        let r = assert_modes_agree(&refs);
        assert_eq!(r.state.as_ref(), Some(&self.state));
    }
    fn bad(&mut self, st: &Statement, by: &[&SecretKey], code: ErrorCode) -> String {
        self.bad_bytes(&sign(st, by), code)
    }
    fn bad_bytes(&mut self, bytes: &[u8], code: ErrorCode) -> String {
        let before = self.state.clone();
        let err = self.state.apply(bytes).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(self.state, before, "a refused entry changed the state");
        let index = self.entries.len();
        assert!(
            err.message().contains(&format!("entry {index}")),
            "message names the entry index: {err}"
        );
        // Every mode replaying the log then this entry stops at it with the same error.
        let mut refs: Vec<&[u8]> = self.entries.iter().map(Vec::as_slice).collect();
        refs.push(bytes);
        let r = assert_modes_agree(&refs);
        assert_eq!(r.first_invalid(), Some((index as u64, &err)));
        err.message().to_string()
    }
}

/// Replays `entries` from the genesis in every mode — one by one, batched, prechecked in one
/// window and in windows of 1, 2, 3 and 7 entries — stopping at and skipping invalid
/// entries, and asserts the same verdicts (codes and messages) and the same state in all;
/// the visitor of a prechecked replay sees exactly the applied entries. Returns the
/// one-by-one replay that stops.
fn assert_modes_agree(entries: &[&[u8]]) -> Replay {
    let mut stop = None;
    for on_invalid in [OnInvalid::Stop, OnInvalid::Skip] {
        let opts = |verification| ReplayOptions {
            on_invalid,
            verification,
        };
        let one = replay(None, entries.iter().copied(), opts(Verification::OneByOne));
        let batch = replay(None, entries.iter().copied(), opts(Verification::Batch));
        assert_eq!(batch, one, "batched, {on_invalid:?}");
        let pre = replay(
            None,
            entries.iter().copied(),
            opts(Verification::Prechecked),
        );
        assert_eq!(pre, one, "prechecked, {on_invalid:?}");
        for window in [1, 2, 3, 7, PRECHECK_WINDOW] {
            let mut visited = Vec::new();
            let r = replay_visit(
                None,
                entries.iter().copied(),
                on_invalid,
                window,
                &mut |i, e| visited.push((i, e.to_bytes())),
            );
            assert_eq!(r, one, "prechecked in windows of {window}, {on_invalid:?}");
            let applied: Vec<(u64, Vec<u8>)> = one
                .verdicts
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_ok())
                .map(|(i, _)| (i as u64, entries[i].to_vec()))
                .collect();
            assert_eq!(visited, applied, "visited entries, window {window}");
        }
        if on_invalid == OnInvalid::Stop {
            stop = Some(one);
        }
    }
    stop.unwrap()
}

// ---- registry: genesis ----

#[test]
fn genesis_signed_by_its_own_janitors_threshold() {
    let j = ks(2, &[&key(1), &key(2), &key(3)], &[]);
    let g = sign(&registry(0, j.clone(), Mode::Open), &[&key(2), &key(3)]);
    let s = RegistryState::genesis(&g).unwrap();
    assert_eq!((s.size, s.serial, s.mode), (1, 0, Mode::Open));
    assert_eq!(s.origin, ORIGIN);
    assert_eq!(s.janitors, j);
    assert_eq!(s.genesis_hex(), genesis_hash(&g));
    check_genesis(&g, &genesis_hash(&g)).unwrap();
    let other = sign(&registry(0, j.clone(), Mode::Curated), &[&key(2), &key(3)]);
    assert_eq!(
        check_genesis(&other, &genesis_hash(&g)).unwrap_err().code(),
        ErrorCode::LogInconsistent
    );
    assert_eq!(
        check_genesis(&g, "XYZ").unwrap_err().code(),
        ErrorCode::Malformed
    );
    // A next key of the janitors counts toward the genesis threshold too.
    let jn = ks(1, &[&key(1)], &[&key(4)]);
    RegistryState::genesis(&sign(&registry(0, jn, Mode::Open), &[&key(4)])).unwrap();
}

#[test]
fn fail_genesis_bad_signers() {
    let j = ks(2, &[&key(1), &key(2), &key(3)], &[]);
    let cases: Vec<(Vec<u8>, ErrorCode)> = vec![
        (
            sign(&registry(0, j.clone(), Mode::Open), &[&key(9)]),
            ErrorCode::KeyNotTrusted,
        ),
        (
            sign(&registry(0, j.clone(), Mode::Open), &[&key(1)]),
            ErrorCode::ThresholdNotMet,
        ),
        (
            sign(&registry(0, j.clone(), Mode::Open), &[&key(1), &key(9)]),
            ErrorCode::KeyNotTrusted,
        ),
        (
            sign(&registry(1, j.clone(), Mode::Open), &[&key(1), &key(2)]),
            ErrorCode::Malformed,
        ),
        (
            sign(&owners("x", 0, j.clone()), &[&key(1), &key(2)]),
            ErrorCode::Malformed,
        ),
    ];
    for (bytes, code) in cases {
        let err = RegistryState::genesis(&bytes).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert!(err.message().contains("entry 0"), "{err}");
        let r = replay(None, [bytes.as_slice()], ReplayOptions::default());
        assert!(r.state.is_none());
        assert_eq!(r.first_invalid().unwrap().0, 0);
    }
}

// ---- registry: janitor rotation ----

#[test]
fn janitor_rotation_needs_both_quorums() {
    let new = ks(2, &[&key(5), &key(6), &key(7)], &[]);
    for (signers, want) in [
        (vec![key(1), key(2)], Some(ErrorCode::ThresholdNotMet)), // old only
        (vec![key(5), key(6)], Some(ErrorCode::ThresholdNotMet)), // new only
        (
            vec![key(1), key(5), key(6)],
            Some(ErrorCode::ThresholdNotMet),
        ), // one old
        (
            vec![key(1), key(2), key(5)],
            Some(ErrorCode::ThresholdNotMet),
        ), // one new
        (vec![key(1), key(2), key(5), key(6)], None),             // both
    ] {
        let mut log = Log::standard(Mode::Open);
        let st = registry(1, new.clone(), Mode::Curated);
        let by: Vec<&SecretKey> = signers.iter().collect();
        match want {
            Some(code) => {
                let msg = log.bad(&st, &by, code);
                assert!(msg.contains("janitors"), "{msg}");
            }
            None => {
                log.ok(&st, &by);
                assert_eq!(log.state.serial, 1);
                assert_eq!(log.state.janitors, new);
                assert_eq!(log.state.mode, Mode::Curated);
                assert_eq!(log.state.registry_entry, 2);
                // The old janitors no longer administer the registry.
                log.bad(
                    &owners("b", 0, ks(1, &[&key(20)], &[])),
                    &[&key(1), &key(2)],
                    ErrorCode::KeyNotTrusted,
                );
                log.ok(
                    &owners("b", 0, ks(1, &[&key(20)], &[])),
                    &[&key(5), &key(7)],
                );
            }
        }
    }
}

#[test]
fn janitor_rotation_to_next_keys_and_serial_and_origin_rules() {
    // Janitors with a pre-committed next key: the next key counts in the old quorum.
    let mut log = Log::new(ks(1, &[&key(1)], &[&key(2)]), &[&key(1)], Mode::Open);
    log.ok(&registry(1, ks(1, &[&key(2)], &[]), Mode::Open), &[&key(2)]);
    log.bad(
        &registry(1, ks(1, &[&key(3)], &[]), Mode::Open),
        &[&key(2), &key(3)],
        ErrorCode::Rollback,
    );
    log.bad(
        &registry(3, ks(1, &[&key(3)], &[]), Mode::Open),
        &[&key(2), &key(3)],
        ErrorCode::Malformed,
    );
    let mut moved = registry(2, ks(1, &[&key(3)], &[]), Mode::Open);
    if let Statement::Registry(r) = &mut moved {
        r.origin = "elsewhere.example/log".into();
        r.log_key =
            Vkey::ed25519("elsewhere.example/log", [9; 32]).unwrap_or_else(|_| unreachable!());
    }
    let msg = log.bad(&moved, &[&key(2), &key(3)], ErrorCode::Malformed);
    assert!(msg.contains("origin"), "{msg}");
    log.ok(
        &registry(2, ks(1, &[&key(3)], &[]), Mode::Open),
        &[&key(2), &key(3)],
    );
}

// ---- owners ----

#[test]
fn owners_by_janitors_in_curated_and_first_come_in_open() {
    let mut c = Log::new(ks(1, &[&key(1)], &[]), &[&key(1)], Mode::Curated);
    let claim = owners("left-pad", 0, ks(1, &[&key(10)], &[]));
    c.bad(&claim, &[&key(10)], ErrorCode::KeyNotTrusted);
    c.ok(&claim, &[&key(1)]);

    let mut o = Log::new(ks(1, &[&key(1)], &[]), &[&key(1)], Mode::Open);
    let two = owners("left-pad", 0, ks(2, &[&key(10), &key(11)], &[]));
    o.bad(&two, &[&key(10)], ErrorCode::ThresholdNotMet);
    o.bad(&claim, &[&key(12)], ErrorCode::KeyNotTrusted);
    o.ok(&two, &[&key(10), &key(11)]);
    let ns = o.state.name("left-pad").unwrap();
    assert_eq!((ns.owners_serial, ns.owners_entry), (0, 1));
    // A racing second claim of the same name loses: serial 0 is taken.
    let msg = o.bad(&claim, &[&key(10)], ErrorCode::Rollback);
    assert!(msg.contains("left-pad"), "{msg}");
    // The claimants cannot change their own owners: that needs the janitors.
    let change = owners("left-pad", 1, ks(1, &[&key(12)], &[]));
    o.bad(&change, &[&key(10), &key(11)], ErrorCode::KeyNotTrusted);
    o.bad(
        &owners("left-pad", 2, ks(1, &[&key(12)], &[])),
        &[&key(1)],
        ErrorCode::Malformed,
    );
    o.bad(
        &owners("other", 1, ks(1, &[&key(12)], &[])),
        &[&key(1)],
        ErrorCode::Malformed,
    );
    o.ok(&change, &[&key(1)]);
    assert_eq!(
        o.state.name("left-pad").unwrap().owners,
        ks(1, &[&key(12)], &[])
    );
    // A mixed claim: one janitor signature is enough, whatever else signs (as long as every
    // block is by a key that may sign).
    o.ok(
        &owners("mixed", 0, ks(2, &[&key(30), &key(31)], &[])),
        &[&key(1), &key(30)],
    );
}

#[test]
fn fail_owners_listing_a_revoked_key() {
    let mut log = Log::standard(Mode::Open);
    log.ok(&revoke("left-pad", &key(11)), &[&key(11)]);
    let msg = log.bad(
        &owners("left-pad", 1, ks(1, &[&key(11)], &[])),
        &[&key(1), &key(2)],
        ErrorCode::KeyRevoked,
    );
    assert!(msg.contains(&key(11).public_key().to_base64()), "{msg}");
}

// ---- release ----

#[test]
fn release_rules() {
    let mut log = Log::standard(Mode::Open);
    let k = ks(1, &[&key(10)], &[&key(11)]);
    log.ok(&release("left-pad", "1.0.0", 1, k.clone()), &[&key(10)]);
    // By a `next` key of the owners.
    log.ok(&release("left-pad", "1.0.1", 2, k.clone()), &[&key(11)]);
    // By a stranger, or by a janitor (janitors do not publish).
    let msg = log.bad(
        &release("left-pad", "1.0.2", 3, k.clone()),
        &[&key(9)],
        ErrorCode::KeyNotTrusted,
    );
    assert!(msg.contains("left-pad"), "{msg}");
    log.bad(
        &release("left-pad", "1.0.2", 3, k.clone()),
        &[&key(1), &key(2)],
        ErrorCode::KeyNotTrusted,
    );
    // An owner plus a stranger: every block must be by a key that may sign.
    log.bad(
        &release("left-pad", "1.0.2", 3, k.clone()),
        &[&key(10), &key(9)],
        ErrorCode::KeyNotTrusted,
    );
    // Sequence rollback and replay of an equal sequence.
    log.bad(
        &release("left-pad", "0.9.0", 1, k.clone()),
        &[&key(10)],
        ErrorCode::Rollback,
    );
    log.bad(
        &release("left-pad", "1.0.2", 2, k.clone()),
        &[&key(10)],
        ErrorCode::Rollback,
    );
    // A version is released once.
    log.bad(
        &release("left-pad", "1.0.0", 9, k.clone()),
        &[&key(10)],
        ErrorCode::Malformed,
    );
    // Unclaimed name.
    log.bad(
        &release("right-pad", "1.0.0", 1, k.clone()),
        &[&key(10)],
        ErrorCode::NotFound,
    );
    // `keys` must be owners' keys.
    log.bad(
        &release("left-pad", "1.0.2", 3, ks(1, &[&key(9)], &[])),
        &[&key(10)],
        ErrorCode::KeyNotTrusted,
    );
    log.ok(
        &release("left-pad", "1.0.2", 3, ks(1, &[&key(11)], &[])),
        &[&key(10)],
    );
    let ns = log.state.name("left-pad").unwrap();
    assert_eq!(ns.last_sequence, Some(3));
    assert_eq!(ns.releases.len(), 3);
    assert_eq!(ns.releases["1.0.1"].entry, 3);
    assert_eq!(ns.release_by_sequence(2).unwrap().0, "1.0.1");
    assert!(ns.release_by_sequence(9).is_none());
    assert_eq!(ns.latest_unyanked().unwrap().0, "1.0.2");
}

#[test]
fn release_threshold_counts_distinct_keys() {
    let mut log = Log::new(ks(1, &[&key(1)], &[]), &[&key(1)], Mode::Curated);
    let two = ks(2, &[&key(10), &key(11)], &[]);
    log.ok(&owners("p", 0, two.clone()), &[&key(1)]);
    log.bad(
        &release("p", "1", 1, two.clone()),
        &[&key(10)],
        ErrorCode::ThresholdNotMet,
    );
    // The same key twice is refused, not counted twice.
    let mut twice = Entry::sign(&release("p", "1", 1, two.clone()), &[&key(10)], "t").unwrap();
    twice.signatures.push(twice.signatures[0].clone());
    log.bad_bytes(&twice.to_bytes(), ErrorCode::Malformed);
    log.ok(&release("p", "1", 1, two), &[&key(11), &key(10)]);
}

#[test]
fn fail_same_key_under_two_key_ids_counted_twice() {
    // Key 10 is a janitor under one key id and an owner under another: its two blocks (one
    // per id) verify with the same key bytes and must not count as two keys.
    let k10 = key(10);
    let alias = SecretKey::from_seed(&[10; 32], KeyId([0xaa; 8]));
    assert_eq!(alias.public_key(), k10.public_key());
    let janitors = KeySet {
        threshold: 1,
        signers: vec![alias.public_key()],
        next: vec![],
    };
    let mut log = Log::new(janitors, &[&alias], Mode::Curated);
    log.ok(&owners("p", 0, ks(2, &[&k10, &key(11)], &[])), &[&alias]);
    log.ok(
        &release("p", "1", 1, ks(2, &[&k10, &key(11)], &[])),
        &[&k10, &key(11)],
    );
    // A yank needs 2 owners or 1 janitor: the janitor alone suffices, but two blocks by the
    // same key bytes are refused whatever the ids.
    let mut both = Entry::sign(&yank("p", "1", 1), &[&k10], "t").unwrap();
    both.signatures.extend(
        Entry::sign(&yank("p", "1", 1), &[&alias], "t")
            .unwrap()
            .signatures,
    );
    let msg = log.bad_bytes(&both.to_bytes(), ErrorCode::Malformed);
    assert!(msg.contains("twice"), "{msg}");
    // A release (owners only) with the janitor id block plus one owner: the alias id is not an
    // owners key id, so the block is by no key that may sign.
    log.bad(
        &release("p", "2", 2, ks(2, &[&k10, &key(11)], &[])),
        &[&alias, &key(11)],
        ErrorCode::KeyNotTrusted,
    );
}

#[test]
fn fail_bad_signature_block() {
    let mut log = Log::standard(Mode::Open);
    let st = release("left-pad", "1.0.0", 1, ks(1, &[&key(10)], &[]));
    let good = Entry::sign(&st, &[&key(10)], "t").unwrap();
    // A block made over another statement, under the owner's key.
    let other = Entry::sign(
        &release("left-pad", "6.6.6", 1, ks(1, &[&key(10)], &[])),
        &[&key(10)],
        "t",
    )
    .unwrap();
    let forged = Entry {
        signatures: other.signatures.clone(),
        ..good.clone()
    };
    log.bad_bytes(&forged.to_bytes(), ErrorCode::SignatureInvalid);
    log.ok(&st, &[&key(10)]);
}

// ---- revoke and the revocation clock ----

#[test]
fn revocation_by_key_owners_janitors_not_stranger() {
    for (by, want) in [
        (vec![key(11)], None),                            // the key itself
        (vec![key(10)], None),                            // the owners' threshold
        (vec![key(2), key(3)], None),                     // the janitors' threshold
        (vec![key(2)], Some(ErrorCode::ThresholdNotMet)), // one janitor of two
        (vec![key(9)], Some(ErrorCode::KeyNotTrusted)),   // a stranger
    ] {
        let mut log = Log::standard(Mode::Open);
        let by: Vec<&SecretKey> = by.iter().collect();
        match want {
            None => {
                log.ok(&revoke("left-pad", &key(11)), &by);
                let r = log
                    .state
                    .name("left-pad")
                    .unwrap()
                    .revocation(&key(11).public_key())
                    .unwrap();
                assert_eq!(r.entry, 2);
            }
            Some(code) => {
                log.bad(&revoke("left-pad", &key(11)), &by, code);
            }
        }
    }
    let mut log = Log::standard(Mode::Open);
    log.bad(
        &revoke("left-pad", &key(9)),
        &[&key(9)],
        ErrorCode::NotFound,
    );
    log.bad(
        &revoke("right-pad", &key(10)),
        &[&key(10)],
        ErrorCode::NotFound,
    );
    log.ok(&revoke("left-pad", &key(11)), &[&key(11)]);
    log.bad(
        &revoke("left-pad", &key(11)),
        &[&key(11)],
        ErrorCode::KeyRevoked,
    );
    log.bad(
        &revoke("left-pad", &key(11)),
        &[&key(10)],
        ErrorCode::KeyRevoked,
    );
}

#[test]
fn revocation_clock_counts_before_and_never_after() {
    let mut log = Log::standard(Mode::Open);
    let k = ks(1, &[&key(10)], &[&key(11)]);
    // Before its revocation, key 11 (a next key) signs a release.
    log.ok(&release("left-pad", "1.0.0", 1, k.clone()), &[&key(11)]);
    // Key 11 signs its own revocation...
    log.ok(&revoke("left-pad", &key(11)), &[&key(11)]);
    // ...and is never counted again: release, yank, notice, revoke of another key.
    let msg = log.bad(
        &release("left-pad", "1.0.1", 2, ks(1, &[&key(10)], &[])),
        &[&key(11)],
        ErrorCode::KeyRevoked,
    );
    assert!(msg.contains("revoked for left-pad at entry 3"), "{msg}");
    log.bad(
        &yank("left-pad", "1.0.0", 1),
        &[&key(11)],
        ErrorCode::KeyRevoked,
    );
    log.bad(
        &notice("left-pad", "N-1"),
        &[&key(11)],
        ErrorCode::KeyRevoked,
    );
    log.bad(
        &revoke("left-pad", &key(10)),
        &[&key(11)],
        ErrorCode::KeyRevoked,
    );
    // A release may not declare it either.
    log.bad(
        &release("left-pad", "1.0.1", 2, k),
        &[&key(10)],
        ErrorCode::KeyRevoked,
    );
    // The entry before the revocation stays valid when the log is replayed.
    let state = replay_log(log.entries.iter().map(Vec::as_slice)).unwrap();
    assert_eq!(state, log.state);
    assert_eq!(state.name("left-pad").unwrap().releases["1.0.0"].entry, 2);
    // Remaining owners keep working.
    log.ok(
        &release("left-pad", "1.0.1", 2, ks(1, &[&key(10)], &[])),
        &[&key(10)],
    );
    assert_eq!(
        log.state.name("left-pad").unwrap().active_owner_keys(),
        vec![key(10).public_key()]
    );
}

// ---- yank, notice ----

#[test]
fn yank_rules() {
    let mut log = Log::standard(Mode::Open);
    log.ok(
        &release("left-pad", "1.0.0", 1, ks(1, &[&key(10)], &[])),
        &[&key(10)],
    );
    log.ok(
        &release("left-pad", "1.0.1", 2, ks(1, &[&key(10)], &[])),
        &[&key(10)],
    );
    log.bad(
        &yank("left-pad", "9.9.9", 1),
        &[&key(10)],
        ErrorCode::NotFound,
    );
    log.bad(
        &yank("left-pad", "1.0.0", 2),
        &[&key(10)],
        ErrorCode::NotFound,
    );
    log.bad(
        &yank("left-pad", "1.0.0", 1),
        &[&key(9)],
        ErrorCode::KeyNotTrusted,
    );
    log.bad(
        &yank("left-pad", "1.0.0", 1),
        &[&key(1)],
        ErrorCode::ThresholdNotMet,
    );
    log.ok(&yank("left-pad", "1.0.0", 1), &[&key(10)]);
    log.bad(
        &yank("left-pad", "1.0.0", 1),
        &[&key(10)],
        ErrorCode::Malformed,
    );
    log.ok(&yank("left-pad", "1.0.1", 2), &[&key(1), &key(2)]);
    let ns = log.state.name("left-pad").unwrap();
    assert_eq!(ns.releases["1.0.0"].yanked.as_ref().unwrap().entry, 4);
    assert!(ns.latest_unyanked().is_none());
}

#[test]
fn notice_rules() {
    let mut log = Log::standard(Mode::Open);
    log.bad(
        &notice("left-pad", "N-1"),
        &[&key(9)],
        ErrorCode::KeyNotTrusted,
    );
    log.bad(
        &notice("right-pad", "N-1"),
        &[&key(1), &key(2)],
        ErrorCode::NotFound,
    );
    log.ok(&notice("left-pad", "N-1"), &[&key(10)]);
    log.bad(
        &notice("left-pad", "N-1"),
        &[&key(10)],
        ErrorCode::Malformed,
    );
    log.ok(&notice("left-pad", "N-2"), &[&key(1), &key(3)]);
    let ns = log.state.name("left-pad").unwrap();
    assert_eq!(ns.notices["N-1"].entry, 2);
    assert_eq!(ns.notices["N-2"].notice.severity, Severity::High);
    // The sample notices affect sequences 1..=2.
    let ids = |seq| {
        ns.notices_for(seq)
            .map(|n| n.notice.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(2), ["N-1", "N-2"]);
    assert!(ids(3).is_empty());
}

// ---- replay modes ----

/// [`build_sample_log`], built (and checked in every mode) once per test binary.
fn sample_log() -> Log {
    static LOG: std::sync::OnceLock<Log> = std::sync::OnceLock::new();
    LOG.get_or_init(build_sample_log).clone()
}

fn build_sample_log() -> Log {
    let mut log = Log::standard(Mode::Open);
    let k = ks(1, &[&key(10)], &[&key(11)]);
    log.ok(
        &owners("right-pad", 0, ks(1, &[&key(20)], &[])),
        &[&key(20)],
    );
    log.ok(&release("left-pad", "1.0.0", 1, k.clone()), &[&key(10)]);
    log.ok(
        &release("right-pad", "0.1.0", 5, ks(1, &[&key(20)], &[])),
        &[&key(20)],
    );
    log.ok(&notice("left-pad", "N-1"), &[&key(10)]);
    log.ok(&revoke("left-pad", &key(11)), &[&key(11)]);
    log.ok(
        &release("left-pad", "1.1.0", 2, ks(1, &[&key(10)], &[])),
        &[&key(10)],
    );
    log.ok(&yank("left-pad", "1.0.0", 1), &[&key(1), &key(2)]);
    log.ok(
        &registry(1, ks(1, &[&key(4)], &[]), Mode::Curated),
        &[&key(1), &key(2), &key(4)],
    );
    log.ok(&owners("left-pad", 1, ks(1, &[&key(12)], &[])), &[&key(4)]);
    log.ok(
        &release("left-pad", "2.0.0", 3, ks(1, &[&key(12)], &[])),
        &[&key(12)],
    );
    log
}

#[test]
fn replay_whole_log_equals_incremental_state_and_json_round_trips() {
    let log = sample_log();
    let entries: Vec<&[u8]> = log.entries.iter().map(Vec::as_slice).collect();
    let state = replay_log(entries.iter().copied()).unwrap();
    assert_eq!(state, log.state);
    assert_eq!(state.size, entries.len() as u64);
    let json = state.to_json_bytes();
    let again = RegistryState::parse(&json).unwrap();
    assert_eq!(again, state);
    assert_eq!(again.to_json_bytes(), json);
    let batch = replay(
        None,
        entries.iter().copied(),
        ReplayOptions {
            verification: Verification::Batch,
            ..Default::default()
        },
    );
    assert_eq!(batch.state.as_ref(), Some(&state));
    assert!(batch.verdicts.iter().all(Result::is_ok));
}

#[test]
fn fail_saved_state_strictness() {
    let json = String::from_utf8(sample_log().state.to_json_bytes()).unwrap();
    for (bad, code) in [
        (
            json.replacen(
                "\"omega-registry-state\":1",
                "\"omega-registry-state\":2",
                1,
            ),
            ErrorCode::UnsupportedVersion,
        ),
        (
            json.replacen(
                "{\"omega-registry-state\":1,",
                "{\"omega-registry-state\":1,\"x\":1,",
                1,
            ),
            ErrorCode::Malformed,
        ),
        (
            json.replacen(
                "{\"omega-registry-state\":1,",
                "{\"omega-registry-state\":1,\"size\":0,",
                1,
            ),
            ErrorCode::Malformed,
        ),
        (format!("{json} {{}}"), ErrorCode::Malformed),
        (
            json.replacen("\"mode\":\"curated\"", "\"mode\":\"closed\"", 1),
            ErrorCode::Malformed,
        ),
    ] {
        assert_eq!(
            RegistryState::parse(bad.as_bytes()).unwrap_err().code(),
            code,
            "{bad}"
        );
    }
}

/// The saved state's members, one by one: every member must be there (an `Option` as `null`),
/// `null` is accepted only where the member is optional, unknown members are refused at every
/// level (the rules serde's derive applied before core read JSON itself).
#[test]
fn saved_state_members_are_required_and_nulls_only_where_optional() {
    let state = sample_log().state;
    let base: serde_json::Value = serde_json::from_slice(&state.to_json_bytes()).unwrap();
    let code = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        edit(&mut v);
        let bytes = serde_json::to_vec(&v).unwrap();
        RegistryState::parse(&bytes).err().map(|e| e.code())
    };
    fn name(v: &mut serde_json::Value) -> &mut serde_json::Map<String, serde_json::Value> {
        v["names"]["left-pad"].as_object_mut().unwrap()
    }
    let m = Some(ErrorCode::Malformed);
    assert_eq!(code(&|_| {}), None);
    assert_eq!(
        code(&|v| {
            name(v).remove("last_sequence");
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            name(v)["last_sequence"] = serde_json::Value::Null;
        }),
        None
    );
    assert_eq!(
        code(&|v| {
            name(v)["known_keys"] = serde_json::Value::Null;
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            name(v).insert("x".into(), 1.into());
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            v["skipped"] = serde_json::Value::Null;
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            v.as_object_mut().unwrap().remove("skipped");
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            v["janitors"].as_object_mut().unwrap().remove("next");
        }),
        m
    );
    fn release(v: &mut serde_json::Value) -> &mut serde_json::Map<String, serde_json::Value> {
        v["names"]["left-pad"]["releases"]["1.0.0"]
            .as_object_mut()
            .unwrap()
    }
    assert!(release(&mut base.clone())["yanked"].is_object());
    assert_eq!(
        code(&|v| {
            release(v).remove("yanked");
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            release(v)["yanked"] = serde_json::Value::Null;
        }),
        None
    );
    assert_eq!(
        code(&|v| {
            release(v)["yanked"]["x"] = 1.into();
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            release(v)["size"] = "1234".into();
        }),
        m
    );
    fn notice(v: &mut serde_json::Value) -> &mut serde_json::Map<String, serde_json::Value> {
        v["names"]["left-pad"]["notices"]["N-1"]
            .as_object_mut()
            .unwrap()
    }
    for key in ["fixed", "url"] {
        assert_eq!(
            code(&|v| {
                notice(v).remove(key);
            }),
            m,
            "{key}"
        );
        assert_eq!(
            code(&|v| {
                notice(v)[key] = serde_json::Value::Null;
            }),
            None,
            "{key}"
        );
    }
    assert_eq!(
        code(&|v| {
            notice(v)["affected"][0]["x"] = 1.into();
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            notice(v)["affected"] = serde_json::Value::Null;
        }),
        m
    );
    assert_eq!(
        code(&|v| {
            v["names"] = serde_json::json!([]);
        }),
        m
    );
}

#[test]
fn invalid_entry_stops_or_is_skipped() {
    let log = sample_log();
    let mut entries: Vec<Vec<u8>> = log.entries.clone();
    let stranger = sign(
        &release("left-pad", "6.6.6", 99, ks(1, &[&key(10)], &[])),
        &[&key(9)],
    );
    entries.insert(4, stranger);
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let stop = replay(None, refs.iter().copied(), ReplayOptions::default());
    let (index, err) = stop.first_invalid().unwrap();
    assert_eq!((index, err.code()), (4, ErrorCode::KeyNotTrusted));
    assert!(err.message().contains("entry 4"), "{err}");
    assert_eq!(stop.verdicts.len(), 5);
    assert_eq!(stop.state.as_ref().unwrap().size, 4);
    assert_eq!(
        replay_log(refs.iter().copied()).unwrap_err().code(),
        ErrorCode::KeyNotTrusted
    );

    let skip = replay(
        None,
        refs.iter().copied(),
        ReplayOptions {
            on_invalid: OnInvalid::Skip,
            ..Default::default()
        },
    );
    assert_eq!(skip.verdicts.len(), refs.len());
    let bad: Vec<usize> = skip
        .verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(bad, vec![4]);
    let s = skip.state.unwrap();
    assert_eq!(s.skipped, vec![4]);
    assert_eq!(s.size, refs.len() as u64);
    // Entry indexes after the skipped one moved by one; the same names and releases.
    let shape = |st: &RegistryState| -> Vec<(String, Vec<String>)> {
        st.names
            .iter()
            .map(|(n, ns)| (n.clone(), ns.releases.keys().cloned().collect()))
            .collect()
    };
    assert_eq!(shape(&s), shape(&log.state));
    assert!(!s.name("left-pad").unwrap().releases.contains_key("6.6.6"));

    // Batched: the same verdicts and state as one by one, with an invalid entry inside.
    for on_invalid in [OnInvalid::Stop, OnInvalid::Skip] {
        let one = replay(
            None,
            refs.iter().copied(),
            ReplayOptions {
                on_invalid,
                verification: Verification::OneByOne,
            },
        );
        let batch = replay(
            None,
            refs.iter().copied(),
            ReplayOptions {
                on_invalid,
                verification: Verification::Batch,
            },
        );
        assert_eq!(one, batch);
    }
}

#[test]
fn batched_replay_catches_a_bad_signature() {
    let log = sample_log();
    let mut entries = log.entries.clone();
    // Corrupt the signature of entry 5 so that only Ed25519 verification can notice.
    let mut e = Entry::parse(&entries[5]).unwrap();
    let mut text = e.signature_text();
    let line = text.lines().nth(1).unwrap().to_string();
    let mut blob = base64_decode(&line);
    blob[20] ^= 1;
    text = text.replacen(&line, &base64_encode(&blob), 1);
    e = Entry::assemble(&e.statement_bytes, text.as_bytes()).unwrap();
    entries[5] = e.to_bytes();
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let batch = replay(
        None,
        refs.iter().copied(),
        ReplayOptions {
            verification: Verification::Batch,
            ..Default::default()
        },
    );
    let (i, err) = batch.first_invalid().unwrap();
    assert_eq!((i, err.code()), (5, ErrorCode::SignatureInvalid));
    assert_eq!(
        batch,
        replay(None, refs.iter().copied(), ReplayOptions::default())
    );
}

// ---- prechecked (parallel) replay: bad entries anywhere in a window ----

/// A valid open-mode log of 14 entries for the window tests. Entry [`REVOKE_AT`] revokes
/// key 11 (one of left-pad's owners' keys until then), entry [`KEY12_AT`] makes key 12 an
/// owner of left-pad: a notice signed by key 11 is valid before the first and `KEY_REVOKED`
/// after it; one signed by key 12 is `KEY_NOT_TRUSTED` before the second and valid after.
fn window_log() -> Vec<Vec<u8>> {
    static LOG: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    LOG.get_or_init(build_window_log).clone()
}

fn build_window_log() -> Vec<Vec<u8>> {
    let mut log = Log::standard(Mode::Open);
    let k10 = || ks(1, &[&key(10)], &[]);
    log.ok(&release("left-pad", "1.0.0", 1, k10()), &[&key(10)]);
    log.ok(
        &owners("right-pad", 0, ks(1, &[&key(20)], &[])),
        &[&key(20)],
    );
    log.ok(
        &release("right-pad", "0.1.0", 1, ks(1, &[&key(20)], &[])),
        &[&key(20)],
    );
    log.ok(&release("left-pad", "1.1.0", 2, k10()), &[&key(11)]);
    log.ok(&revoke("left-pad", &key(11)), &[&key(10)]);
    assert_eq!(log.entries.len() - 1, REVOKE_AT);
    log.ok(&release("left-pad", "1.2.0", 3, k10()), &[&key(10)]);
    log.ok(
        &owners("left-pad", 1, ks(1, &[&key(10), &key(12)], &[])),
        &[&key(1), &key(2)],
    );
    assert_eq!(log.entries.len() - 1, KEY12_AT);
    log.ok(
        &release("left-pad", "1.3.0", 4, ks(1, &[&key(12)], &[])),
        &[&key(12)],
    );
    log.ok(&yank("left-pad", "1.0.0", 1), &[&key(12)]);
    log.ok(
        &release("right-pad", "0.2.0", 2, ks(1, &[&key(20)], &[])),
        &[&key(20)],
    );
    log.ok(&notice("right-pad", "N-1"), &[&key(20)]);
    log.ok(&release("left-pad", "1.4.0", 5, k10()), &[&key(10)]);
    log.entries
}
const REVOKE_AT: usize = 6;
const KEY12_AT: usize = 8;

/// The entry with its first block's signature (`global` false) or global signature (true)
/// changed by one bit: only Ed25519 verification can notice.
fn corrupt(bytes: &[u8], global: bool) -> Vec<u8> {
    let e = Entry::parse(bytes).unwrap();
    let text = e.signature_text();
    let line = text
        .lines()
        .nth(if global { 3 } else { 1 })
        .unwrap()
        .to_string();
    let mut blob = base64_decode(&line);
    // The signature line is alg (2) || key id (8) || signature (64); the global line is the
    // bare signature.
    let at = if global { 5 } else { 20 };
    blob[at] ^= 1;
    let text = text.replacen(&line, &base64_encode(&blob), 1);
    Entry::assemble(&e.statement_bytes, text.as_bytes())
        .unwrap()
        .to_bytes()
}

/// A left-pad notice signed by `by` (ids unique per test).
fn hazard(id: usize, by: u8) -> Vec<u8> {
    sign(&notice("left-pad", &format!("H-{id}")), &[&key(by)])
}

/// What a one-by-one replay must report first: the first entry that is corrupted, or that
/// is signed by key 11 after its revocation, or by key 12 before it became an owner.
#[derive(Clone, Copy, Debug)]
enum Item {
    Base(usize, Option<bool>),
    Hazard(usize, u8),
}

fn build(items: &[Item], base: &[Vec<u8>]) -> (Vec<Vec<u8>>, Option<(u64, ErrorCode)>) {
    let mut out = Vec::new();
    let mut first_bad = None;
    let (mut revoked, mut k12) = (false, false);
    for (i, item) in items.iter().enumerate() {
        let bad = match *item {
            Item::Base(b, corrupted) => {
                out.push(match corrupted {
                    Some(global) => corrupt(&base[b], global),
                    None => base[b].clone(),
                });
                let bad = corrupted.map(|_| ErrorCode::SignatureInvalid);
                if bad.is_none() {
                    revoked |= b == REVOKE_AT;
                    k12 |= b == KEY12_AT;
                }
                bad
            }
            Item::Hazard(id, by) => {
                out.push(hazard(id, by));
                match by {
                    11 if revoked => Some(ErrorCode::KeyRevoked),
                    12 if !k12 => Some(ErrorCode::KeyNotTrusted),
                    _ => None,
                }
            }
        };
        if let (None, Some(code)) = (first_bad, bad) {
            first_bad = Some((i as u64, code));
        }
    }
    (out, first_bad)
}

#[test]
fn prechecked_replay_judges_each_entry_by_the_state_at_its_position() {
    let base = window_log();
    // In one window: a notice by key 11 just before and just after its revocation, one by
    // key 12 just before and just after its authorisation, and two corrupted signatures
    // (a block's signature, a global signature) before and between them.
    use Item::*;
    let items = [
        Base(0, None),
        Base(1, None),
        Base(2, None),
        Base(3, Some(false)),
        Base(4, None),
        Base(5, None),
        Hazard(1, 11),
        Base(6, None),
        Hazard(2, 11),
        Base(7, Some(true)),
        Hazard(3, 12),
        Base(8, None),
        Hazard(4, 12),
        Base(9, None),
        Base(10, None),
        Base(11, None),
        Base(12, None),
        Base(13, None),
    ];
    let (entries, first_bad) = build(&items, &base);
    assert_eq!(first_bad, Some((3, ErrorCode::SignatureInvalid)));
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let stop = assert_modes_agree(&refs);
    let (i, e) = stop.first_invalid().unwrap();
    assert_eq!((i, e.code()), (3, ErrorCode::SignatureInvalid));
    assert!(e.message().contains("entry 3"), "{e}");
    // Skipping: each is judged against the state as of its position (the corrupted entry 3
    // is skipped, so right-pad is never claimed and its release at 4 is NOT_FOUND).
    let skip = replay_prechecked(None, refs.iter().copied(), OnInvalid::Skip, PRECHECK_WINDOW);
    let codes: Vec<&str> = skip
        .verdicts
        .iter()
        .map(|v| v.as_ref().map_or_else(|e| e.code().as_str(), |()| "ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "ok",
            "SIGNATURE_INVALID",
            "NOT_FOUND",
            "ok",
            "ok",
            "ok",
            "KEY_REVOKED",
            "SIGNATURE_INVALID",
            "KEY_NOT_TRUSTED",
            "ok",
            "ok",
            "ok",
            "ok",
            "NOT_FOUND",
            "NOT_FOUND",
            "ok",
        ]
    );
    // The same log without the corrupted entries: the first refusal is the notice signed by
    // the key revoked two entries earlier, in the same window.
    let clean: Vec<Item> = items
        .iter()
        .map(|i| match *i {
            Base(b, Some(_)) => Base(b, None),
            other => other,
        })
        .collect();
    let (entries, first_bad) = build(&clean, &base);
    assert_eq!(first_bad, Some((8, ErrorCode::KeyRevoked)));
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let stop = assert_modes_agree(&refs);
    let (i, e) = stop.first_invalid().unwrap();
    assert_eq!((i, e.code()), (8, ErrorCode::KeyRevoked));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Corrupted signatures and notices whose signer is trusted or not depending on where
    /// they sit, anywhere in the log: every mode and window size reports the same verdicts,
    /// and the first bad entry in log order is the one reported.
    #[test]
    fn prechecked_replay_reports_the_first_bad_entry_wherever_it_sits(
        corrupted in prop::collection::btree_map(1usize..14, any::<bool>(), 0..4),
        hazards in prop::collection::vec((2usize..=14, any::<bool>()), 0..4),
    ) {
        let base = window_log();
        let mut items: Vec<Item> = Vec::new();
        let mut next_id = 0;
        for b in 0..=base.len() {
            for (at, k12) in &hazards {
                if *at == b {
                    next_id += 1;
                    items.push(Item::Hazard(next_id, if *k12 { 12 } else { 11 }));
                }
            }
            if b < base.len() {
                items.push(Item::Base(b, corrupted.get(&b).copied()));
            }
        }
        let (entries, first_bad) = build(&items, &base);
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let stop = assert_modes_agree(&refs);
        let got = stop.first_invalid().map(|(i, e)| (i, e.code()));
        prop_assert_eq!(got, first_bad);
        if let Some((i, e)) = stop.first_invalid() {
            prop_assert!(e.message().contains(&format!("entry {i}")), "{}", e);
        }
    }
}

/// Six janitor keys under one key id (anyone can relabel a key): the precheck tries at most
/// four keys per id, and the blocks by the fifth and sixth are verified when the replay
/// reaches them; every mode gives the same verdicts (the `Log` helper checks each entry).
#[test]
fn many_keys_under_one_key_id_get_the_same_verdicts() {
    let same_id = |n: u8| SecretKey::from_seed(&[n; 32], KeyId([9; 8]));
    let keys: Vec<SecretKey> = (40..46).map(same_id).collect();
    let refs: Vec<&SecretKey> = keys.iter().collect();
    let mut log = Log::new(ks(1, &refs, &[]), &[&keys[5]], Mode::Curated);
    log.ok(&owners("left-pad", 0, ks(1, &[&key(10)], &[])), &[&keys[5]]);
    log.ok(
        &owners("right-pad", 0, ks(1, &[&key(10)], &[])),
        &[&keys[0]],
    );
    log.ok(&owners("up-pad", 0, ks(1, &[&key(10)], &[])), &[&keys[4]]);
    let claim = sign(&owners("down-pad", 0, ks(1, &[&key(10)], &[])), &[&keys[5]]);
    let claim = String::from_utf8(corrupt(&claim, false)).unwrap();
    log.bad_bytes(claim.as_bytes(), ErrorCode::SignatureInvalid);
    // A stranger's key under the same id verifies under none of the six.
    log.bad(
        &owners("down-pad", 0, ks(1, &[&key(10)], &[])),
        &[&same_id(47)],
        ErrorCode::SignatureInvalid,
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64ct::{Base64, Encoding};
    Base64::decode_vec(s).unwrap()
}
fn base64_encode(b: &[u8]) -> String {
    use base64ct::{Base64, Encoding};
    Base64::encode_string(b)
}

// ---- release vs manifest ----

#[test]
fn release_matches_its_manifest_field_by_field() {
    let listing = TreeListing::new(vec![FileEntry::from_contents(
        RelPath::new("index.js").unwrap(),
        FileKind::Regular,
        b"x",
    )])
    .unwrap();
    let keys = ks(1, &[&key(10)], &[&key(11)]);
    let m = Manifest::new(
        "left-pad",
        "1.0.0",
        7,
        &listing,
        Default::default(),
        keys.clone(),
    )
    .unwrap();
    let bytes = m.to_json_bytes();
    let good = ReleaseStatement {
        origin: ORIGIN.into(),
        name: "left-pad".into(),
        version: "1.0.0".into(),
        sequence: 7,
        tree: m.tree,
        manifest: omega_core::hash::blake2b256(&bytes),
        tgz: [3; 32],
        size: 10,
        keys: keys.clone(),
    };
    release_matches_manifest(&good, &bytes, &m).unwrap();
    let mut variants = Vec::new();
    let mut v = good.clone();
    v.name = "right-pad".into();
    variants.push(v);
    let mut v = good.clone();
    v.version = "1.0.1".into();
    variants.push(v);
    let mut v = good.clone();
    v.sequence = 8;
    variants.push(v);
    let mut v = good.clone();
    v.tree = TreeDigest([0; 32]);
    variants.push(v);
    let mut v = good.clone();
    v.keys = ks(1, &[&key(10)], &[]);
    variants.push(v);
    let mut v = good.clone();
    v.manifest = [0; 32];
    variants.push(v);
    for v in variants {
        assert_eq!(
            release_matches_manifest(&v, &bytes, &m).unwrap_err().code(),
            ErrorCode::NotInLog
        );
    }
    let mut other = bytes.clone();
    other.push(b'\n');
    assert_eq!(
        release_matches_manifest(&good, &other, &m)
            .unwrap_err()
            .code(),
        ErrorCode::NotInLog
    );
}

// ---- properties ----

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Replaying in two chunks (through the saved JSON state, and through per-name pieces)
    /// equals replaying at once.
    #[test]
    fn chunked_replay_equals_whole_replay(split in 0usize..=12, batch in any::<bool>()) {
        let log = sample_log();
        let refs: Vec<&[u8]> = log.entries.iter().map(Vec::as_slice).collect();
        let split = split.min(refs.len());
        let verification = if batch { Verification::Batch } else { Verification::OneByOne };
        let opts = ReplayOptions { verification, ..Default::default() };
        let whole = replay(None, refs.iter().copied(), opts).into_result().unwrap();
        let first = replay(None, refs[..split].iter().copied(), opts);
        let saved = first.state.as_ref().map(|s| RegistryState::parse(&s.to_json_bytes()).unwrap());
        let second = replay(saved, refs[split..].iter().copied(), opts);
        prop_assert_eq!(second.start, split as u64);
        prop_assert_eq!(second.into_result().unwrap(), whole.clone());
        // The same through per-name pieces (state6): the first chunk's state saved as pieces,
        // opened from its header with only the names the second chunk touches loaded.
        if let Some(s) = &first.state {
            let pieces = s.to_pieces().unwrap();
            let store: std::collections::BTreeMap<[u8; 32], Vec<u8>> =
                pieces.pieces.iter().cloned().collect();
            let mut partial = RegistryState::from_header(&pieces.header).unwrap();
            let touched: Vec<String> = refs[split..]
                .iter()
                .filter_map(|e| Entry::parse(e).ok()?.statement.name().map(str::to_string))
                .collect();
            let missing = partial
                .load_names(touched.iter().map(String::as_str), &store)
                .unwrap();
            prop_assert!(missing.is_empty());
            let third = replay(Some(partial), refs[split..].iter().copied(), opts)
                .into_result()
                .unwrap();
            prop_assert!(third.is_partial());
            prop_assert_eq!(
                third.to_pieces().unwrap().digest,
                whole.to_pieces().unwrap().digest
            );
            for (name, ns) in &third.names {
                prop_assert_eq!(Some(ns), whole.name(name));
            }
        }
    }

    /// No single-bit change to an entry's statement or signature blocks' authenticated parts
    /// passes with the same verdict: it is refused, or (never seen) changes the outcome.
    #[test]
    fn single_bit_flip_never_passes(which in 1usize..12, pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let log = sample_log();
        let which = which.min(log.entries.len() - 1);
        let refs: Vec<&[u8]> = log.entries.iter().map(Vec::as_slice).collect();
        let before = replay_log(refs[..which].iter().copied()).unwrap();
        let original = &log.entries[which];
        // The authenticated region: header, statement, and every signature block but the
        // untrusted comment lines (minisign never authenticates those).
        let text = std::str::from_utf8(original).unwrap();
        let mut spans = Vec::new();
        let mut off = 0;
        for line in text.split_inclusive('\n') {
            if !line.starts_with("untrusted comment: ") {
                spans.push(off..off + line.len());
            }
            off += line.len();
        }
        let positions: Vec<usize> = spans.into_iter().flatten().collect();
        let p = positions[pos.index(positions.len())];
        let mut flipped = original.clone();
        flipped[p] ^= 1 << bit;
        let mut s = before.clone();
        let verdict = s.apply(&flipped);
        let mut same = before.clone();
        same.apply(original).unwrap();
        prop_assert!(verdict.is_err() || s != same, "a flipped bit at {} passed unnoticed", p);
    }
}

#[test]
fn untrusted_comment_is_not_authenticated_but_changes_the_entry() {
    let mut log = Log::standard(Mode::Open);
    let st = release("left-pad", "1.0.0", 1, ks(1, &[&key(10)], &[]));
    let bytes = sign(&st, &[&key(10)]);
    let edited = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("signature from omega secret key", "edited by a relay");
    assert_ne!(edited.as_bytes(), bytes.as_slice());
    log.state.clone().apply(edited.as_bytes()).unwrap();
    log.ok(&st, &[&key(10)]);
}
