//! The registry client's rules (core::client, REGISTRY.md R6 steps 1–6) over in-memory
//! registries built with core's publisher, entry signing and note signing: first use, the
//! checkpoint verdicts (quorum, stale, offline), consistency (forward, same, stale mirror,
//! fork with evidence), replay from scratch and from a saved state (at once and window by
//! window, `WindowedReplay`), the index as a hint,
//! release selection and verification (objects, manifest, tarball, signatures), advisories,
//! notices, owner changes, and the lock record.
#![cfg(feature = "sign")]

use std::collections::BTreeMap;

use base64ct::{Base64, Encoding};
use omega_core::client::{self, Direction, Held, SavedState, Trust};
use omega_core::index::IndexLine;
use omega_core::lock::LockEntry;
use omega_core::note::{self, Note};
use omega_core::registry::RegistryState;
use omega_core::statement::{
    NoticeStatement, RevokeStatement, SequenceRange, Severity, Statement, YankStatement,
};
use omega_core::ErrorCode;
use proptest::prelude::*;

use crate::common::registry::*;

/// The whole client flow on `reg` with `trust`: checkpoint, consistency with the pin, replay,
/// index, release; returns the verified release and the pin to record.
fn install(
    trust: &Trust,
    reg: &Reg,
    name: &str,
    now: Option<u64>,
) -> omega_core::Result<(client::VerifiedRelease, omega_core::lock::RegistryPin)> {
    let cp = reg
        .files
        .get("checkpoint")
        .cloned()
        .unwrap_or_else(|| reg.checkpoint(Some(NOW)).into_bytes());
    let v = trust.verify_checkpoint(&cp, now)?;
    let fetched = Held::from_verified(&v);
    let latest = match &trust.pinned {
        None => fetched.clone(),
        Some(p) => {
            let proof = client::consistency_proof(&p.checkpoint, &fetched.checkpoint, &reg.files)?;
            client::check_consistency(p, &fetched, &proof)?.latest
        }
    };
    // The state covers the largest proven tree (threat model RR7).
    let state = client::replay_to(
        None,
        trust.genesis.as_ref(),
        &latest.checkpoint,
        &v.log_key,
        &reg.files,
    )?;
    client::verify_index(&state, &reg.signed_index(&reg.index(name)), name, now)?;
    let (version, record) = client::choose_release(&state, name, None, false)?;
    let st = client::read_release_entry(&latest.checkpoint, name, version, record, &reg.files)?;
    let revoked: Vec<_> = state
        .name(name)
        .map(|n| n.revoked.iter().map(|r| r.key).collect())
        .unwrap_or_default();
    let rel = client::verify_release(
        &st,
        record.entry,
        &reg.files[&client::object_path(&st.manifest)],
        &reg.files[&client::object_path(&st.tgz)],
        &revoked,
    )?;
    Ok((rel, trust.pin(&state, &latest)))
}

fn code<T: std::fmt::Debug>(r: omega_core::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

// ---- step 1 ----

#[test]
fn first_use_install_pins_policy_genesis_and_checkpoint() {
    let reg = sample();
    let trust = first_use();
    assert_eq!(trust.origin, ORIGIN);
    let (rel, pin) = install(&trust, &reg, "left-pad", Some(NOW)).unwrap();
    assert_eq!(rel.statement.version, "1.1.0");
    assert_eq!(rel.entry, 3);
    assert_eq!(rel.report.signed_by, vec![key(10).public_key()]);
    assert_eq!(pin.genesis, reg.state.genesis);
    assert_eq!(pin.policy, policy_text());
    assert_eq!(pin.checkpoint, reg.checkpoint(Some(NOW)));
    // The pin round-trips into a Trust that installs again.
    let again = Trust::from_pin(ORIGIN, &pin).unwrap();
    assert_eq!(again.pinned.as_ref().unwrap().checkpoint.size, 4);
    install(&again, &reg, "left-pad", Some(NOW)).unwrap();
}

#[test]
fn fail_checkpoint_quorum_stale_and_offline() {
    let trust = first_use();
    let reg = sample();
    // No cosignature: quorum not met.
    let mut r = reg.clone();
    r.files
        .insert("checkpoint".into(), r.checkpoint(None).into_bytes());
    assert_eq!(
        code(install(&trust, &r, "left-pad", Some(NOW))),
        ErrorCode::QuorumNotMet
    );
    // Cosigned two hours ago with max_age one hour: stale; offline it passes.
    let mut r = reg.clone();
    r.files.insert(
        "checkpoint".into(),
        r.checkpoint(Some(NOW - 7200)).into_bytes(),
    );
    assert_eq!(
        code(install(&trust, &r, "left-pad", Some(NOW))),
        ErrorCode::Stale
    );
    install(&trust, &r, "left-pad", None).unwrap();
    // Signed by another log key: not the policy's log.
    let text = reg.checkpoint_text();
    let mut n = Note::new(&text).unwrap();
    n.add_signature(note::sign_ed25519(&text, ORIGIN, &key(99)).unwrap())
        .unwrap();
    n.add_signature(note::cosign(&text, "w1", &witness_key(), NOW).unwrap())
        .unwrap();
    assert_eq!(
        code(trust.verify_checkpoint(n.to_text().as_bytes(), Some(NOW))),
        ErrorCode::QuorumNotMet
    );
}

#[test]
fn fail_policy_with_two_logs_or_pin_of_another_origin() {
    let two = format!(
        "{}log {}\n",
        policy_text(),
        note::signer_vkey("other.example/log", &key(98)).unwrap()
    );
    assert_eq!(code(Trust::first_use("u", &two, 60)), ErrorCode::Malformed);
    let (_, pin) = install(&first_use(), &sample(), "left-pad", Some(NOW)).unwrap();
    assert_eq!(
        code(Trust::from_pin("other.example/log", &pin)),
        ErrorCode::Malformed
    );
}

// ---- step 2 ----

#[test]
fn consistency_forward_same_behind_and_never_back() {
    let old = sample();
    let mut new = old.clone();
    new.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let (ho, hn) = (old.held(), new.held());
    // Forward: tiles of the new tree.
    let paths = client::consistency_tiles(&ho.checkpoint, &hn.checkpoint).unwrap();
    assert!(!paths.is_empty());
    let proof = client::consistency_proof(&ho.checkpoint, &hn.checkpoint, &new.files).unwrap();
    let c = client::check_consistency(&ho, &hn, &proof).unwrap();
    assert_eq!(
        (c.direction, c.latest.checkpoint.size),
        (Direction::Forward, 5)
    );
    // Same.
    let c = client::check_consistency(&hn, &hn, &[]).unwrap();
    assert_eq!(c.direction, Direction::Same);
    // Behind (stale mirror): proven from the newer tree's tiles, the newer one is kept.
    let proof = client::consistency_proof(&hn.checkpoint, &ho.checkpoint, &new.files).unwrap();
    let c = client::check_consistency(&hn, &ho, &proof).unwrap();
    assert_eq!(
        (c.direction, c.latest.checkpoint.size),
        (Direction::Behind, 5)
    );
    assert_eq!(c.latest, hn);
    // The stale mirror's own files lack the newer tree's tiles: NOT_FOUND, not a verdict.
    assert_eq!(
        code(client::consistency_proof(
            &hn.checkpoint,
            &ho.checkpoint,
            &old.files
        )),
        ErrorCode::NotFound
    );
}

#[test]
fn fail_fork_is_log_inconsistent_with_evidence() {
    let base = sample();
    let mut a = base.clone();
    a.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let mut b = base.clone();
    b.release("left-pad", "1.2.0", 3, &key(10), b"evil");
    let (ha, hb) = (a.held(), b.held());
    // Same size, different roots.
    let e = client::check_consistency(&ha, &hb, &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent);
    let ev = client::evidence_text(&ha, &hb, &[], &e);
    assert!(ev.contains(&ha.note) && ev.contains(&hb.note) && ev.contains("LOG_INCONSISTENT"));
    // Diverging at different sizes: the proof from b's tiles does not link a's checkpoint.
    let mut b2 = b.clone();
    b2.release("left-pad", "1.3.0", 4, &key(10), b"four");
    let hb2 = b2.held();
    let proof = client::consistency_proof(&ha.checkpoint, &hb2.checkpoint, &b2.files).unwrap();
    let e = client::check_consistency(&ha, &hb2, &proof).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent);
    let ev = client::evidence_text(&ha, &hb2, &proof, &e);
    for h in &proof {
        assert!(ev.contains(&Base64::encode_string(h)));
    }
    // Tiles that do not hash to the checkpoint's root: LOG_INCONSISTENT too.
    let mut bad = b2.files.clone();
    for (k, v) in bad.iter_mut() {
        if k.starts_with("tile/0/") {
            v[0] ^= 1;
        }
    }
    assert_eq!(
        code(client::consistency_proof(
            &ha.checkpoint,
            &hb2.checkpoint,
            &bad
        )),
        ErrorCode::LogInconsistent
    );
}

#[test]
fn fail_forked_registry_against_the_pin() {
    let base = sample();
    let (_, pin) = install(&first_use(), &base, "left-pad", Some(NOW)).unwrap();
    let trust = Trust::from_pin(ORIGIN, &pin).unwrap();
    let mut fork = Reg::new();
    fork.owners("left-pad", 0, &key(10), &[&key(10)]);
    fork.release("left-pad", "1.0.0", 1, &key(10), b"other");
    fork.release("left-pad", "1.1.0", 2, &key(10), b"other two");
    fork.release("left-pad", "1.2.0", 3, &key(10), b"other three");
    assert_eq!(
        code(install(&trust, &fork, "left-pad", Some(NOW))),
        ErrorCode::LogInconsistent
    );
}

// ---- step 3: replay and index ----

/// [`client::WindowedReplay`] of `bundles` bundles per window, each window fed only the
/// files its paths name (a partial path falls back to its full tile, as a host does).
fn windowed(
    saved: Option<SavedState>,
    genesis: Option<&[u8; 32]>,
    cp: &omega_core::checkpoint::Checkpoint,
    log_key: &str,
    files: &BTreeMap<String, Vec<u8>>,
    bundles: usize,
) -> omega_core::Result<RegistryState> {
    let mut r = client::WindowedReplay::new(saved, genesis, cp)?.with_window(bundles);
    let mut windows = 0;
    while let Some((b, t)) = r.paths()? {
        let mut window: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for p in b.iter().chain(&t) {
            for q in [*p, p.full()] {
                if let Some(bytes) = files.get(&q.to_string()) {
                    window.insert(q.to_string(), bytes.clone());
                }
            }
        }
        r.feed(&window)?;
        windows += 1;
        assert!(
            windows <= 1 + (cp.size as usize >> 8) / bundles + 1,
            "too many windows"
        );
    }
    r.finish(log_key)
}

#[test]
fn replay_from_saved_state_equals_replay_from_scratch() {
    let mut reg = sample();
    let size0 = reg.publisher.size();
    let root0 = reg.publisher.root();
    let saved = RegistryState::parse(&reg.state.to_json_bytes()).unwrap();
    for i in 0..300u64 {
        reg.push(
            &Statement::Notice(NoticeStatement {
                origin: ORIGIN.into(),
                name: "left-pad".into(),
                id: format!("N-{i}"),
                severity: Severity::Low,
                affected: vec![SequenceRange { from: 1, to: 1 }],
                fixed: Some(2),
                summary: "minor".into(),
                url: None,
            }),
            &[&key(10)],
        );
    }
    let v = first_use()
        .verify_checkpoint(reg.checkpoint(Some(NOW)).as_bytes(), Some(NOW))
        .unwrap();
    let g = reg.state.genesis;
    let full = client::replay_to(None, Some(&g), &v.checkpoint, &v.log_key, &reg.files).unwrap();
    let delta = client::replay_to(
        Some(SavedState {
            state: saved.clone(),
            root: root0,
        }),
        Some(&g),
        &v.checkpoint,
        &v.log_key,
        &reg.files,
    )
    .unwrap();
    assert_eq!(full, delta);
    assert_eq!(full, reg.state);
    assert_eq!(saved.size, size0);
    // Window by window (1 bundle each: the log spans two bundles), from scratch and from the
    // saved state, each window fed only its own files: the same state.
    assert!(v.checkpoint.size > 256);
    let w = |saved: Option<SavedState>, bundles| {
        windowed(
            saved,
            Some(&g),
            &v.checkpoint,
            &v.log_key,
            &reg.files,
            bundles,
        )
    };
    for bundles in [1, 2, 256] {
        assert_eq!(w(None, bundles).unwrap(), full, "{bundles}");
        let from_saved = w(
            Some(SavedState {
                state: saved.clone(),
                root: root0,
            }),
            bundles,
        );
        assert_eq!(from_saved.unwrap(), full, "{bundles}");
        assert_eq!(
            code(w(
                Some(SavedState {
                    state: saved.clone(),
                    root: [7; 32],
                }),
                bundles
            )),
            ErrorCode::LogInconsistent
        );
    }
    // A saved state at the checkpoint's size: one window, no entry, its root still proven.
    let at_end = w(
        Some(SavedState {
            state: full.clone(),
            root: v.checkpoint.root,
        }),
        1,
    );
    assert_eq!(at_end.unwrap(), full);
    assert_eq!(
        code(w(
            Some(SavedState {
                state: full.clone(),
                root: [7; 32],
            }),
            1
        )),
        ErrorCode::LogInconsistent
    );
    // Feeding a window without its bundle, or finishing early, is refused.
    let mut r = client::WindowedReplay::new(None, Some(&g), &v.checkpoint)
        .unwrap()
        .with_window(1);
    assert_eq!(
        code(r.feed(&BTreeMap::<String, Vec<u8>>::new())),
        ErrorCode::NotFound
    );
    assert_eq!(code(r.clone().finish(&v.log_key)), ErrorCode::NotFound);
    // A bundle of the second window that the tiles do not prove: NOT_IN_LOG there.
    let (second, _) = {
        r.feed(&reg.files).unwrap();
        r.paths().unwrap().unwrap()
    };
    let mut tampered = reg.files.clone();
    let path = second[0].to_string();
    let mut bytes = tampered[&path].clone();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    tampered.insert(path, bytes);
    assert_eq!(code(r.feed(&tampered)), ErrorCode::NotInLog);
    // A saved state whose root is not the log's at its size is refused.
    assert_eq!(
        code(client::replay_to(
            Some(SavedState {
                state: saved.clone(),
                root: [7; 32],
            }),
            Some(&g),
            &v.checkpoint,
            &v.log_key,
            &reg.files,
        )),
        ErrorCode::LogInconsistent
    );
    // The wrong genesis pin.
    assert_eq!(
        code(client::replay_to(
            None,
            Some(&[1; 32]),
            &v.checkpoint,
            &v.log_key,
            &reg.files
        )),
        ErrorCode::LogInconsistent
    );
}

#[test]
fn fail_release_not_authorised_or_not_in_log() {
    // A release signed by a non-owner, appended by a misbehaving registry: replay refuses.
    let mut reg = sample();
    let (st, _) = reg.pack("left-pad", "2.0.0", 3, &key(66), b"evil");
    reg.push_unchecked(&Statement::Release(st), &[&key(66)]);
    assert_eq!(
        code(install(&first_use(), &reg, "left-pad", Some(NOW))),
        ErrorCode::KeyNotTrusted
    );
    // A package that is not in the log.
    let reg = sample();
    assert_eq!(
        code(install(&first_use(), &reg, "right-pad", Some(NOW))),
        ErrorCode::NotInLog
    );
    // A version not in the log.
    let state = reg.state.clone();
    assert_eq!(
        code(client::choose_release(
            &state,
            "left-pad",
            Some("9.9.9"),
            false
        )),
        ErrorCode::NotInLog
    );
    // A bundle whose entry differs from the tile's leaf hash.
    let mut r = sample();
    let path = "tile/entries/000.p/4".to_string();
    let b = r.files.get_mut(&path).unwrap();
    let last = b.len() - 3;
    b[last] ^= 1;
    assert_eq!(
        code(install(&first_use(), &r, "left-pad", Some(NOW))),
        ErrorCode::NotInLog
    );
}

#[test]
fn index_is_a_hint_checked_against_the_state() {
    let mut reg = sample();
    reg.push(
        &Statement::Yank(YankStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            version: "1.1.0".into(),
            sequence: 2,
            reason: "broken".into(),
        }),
        &[&key(10)],
    );
    let state = reg.state.clone();
    let good = reg.index("left-pad");
    client::verify_index(&state, &reg.signed_index(&good), "left-pad", Some(NOW)).unwrap();
    // Leaving out the yank: provable misbehaviour.
    let mut omit = good.clone();
    omit.lines.retain(|l| !matches!(l, IndexLine::Yank { .. }));
    assert_eq!(
        code(client::verify_index(
            &state,
            &reg.signed_index(&omit),
            "left-pad",
            Some(NOW)
        )),
        ErrorCode::LogInconsistent
    );
    // An as-of below the yank may leave it out.
    let mut early = omit.clone();
    early.as_of = 4;
    client::verify_index(&state, &reg.signed_index(&early), "left-pad", Some(NOW)).unwrap();
    // A line the log refutes (another tgz).
    let mut wrong = good.clone();
    for l in &mut wrong.lines {
        if let IndexLine::Release { tgz, .. } = l {
            *tgz = [9; 32];
        }
    }
    assert_eq!(
        code(client::verify_index(
            &state,
            &reg.signed_index(&wrong),
            "left-pad",
            Some(NOW)
        )),
        ErrorCode::LogInconsistent
    );
    // Expired, or signed by the log key.
    assert_eq!(
        code(client::verify_index(
            &state,
            &reg.signed_index(&good),
            "left-pad",
            Some(NOW + 7200)
        )),
        ErrorCode::Stale
    );
    let by_log = good.sign(ORIGIN, &log_key()).unwrap();
    assert_eq!(
        code(client::verify_index(
            &state,
            by_log.as_bytes(),
            "left-pad",
            Some(NOW)
        )),
        ErrorCode::KeyNotTrusted
    );
    // The yank: not chosen for a new install; allowed when locked.
    let (v, _) = client::choose_release(&state, "left-pad", None, false).unwrap();
    assert_eq!(v, "1.0.0");
    assert_eq!(
        code(client::choose_release(
            &state,
            "left-pad",
            Some("1.1.0"),
            false
        )),
        ErrorCode::NotFound
    );
    client::choose_release(&state, "left-pad", Some("1.1.0"), true).unwrap();
    let adv = client::advisories(&state, "left-pad", "1.1.0", 2, &[]);
    assert_eq!(adv.yanked.map(|y| y.entry), Some(4));
}

// ---- step 4: objects ----

#[test]
fn fail_object_bytes_changed() {
    let reg = sample();
    let st = reg.state.name("left-pad").unwrap().releases["1.1.0"].clone();
    for which in [st.tgz, st.manifest] {
        let mut r = reg.clone();
        let p = client::object_path(&which);
        let b = r.files.get_mut(&p).unwrap();
        let n = b.len() / 2;
        b[n] ^= 0x20;
        assert_eq!(
            code(install(&first_use(), &r, "left-pad", Some(NOW))),
            ErrorCode::NotInLog,
            "{p}"
        );
    }
    assert!(client::object_path(&st.tgz).starts_with(&format!("objects/{:02x}/", st.tgz[0])));
}

#[test]
fn fail_tarball_whose_manifest_differs_from_the_logged_one() {
    let mut reg = sample();
    let st = reg.release("left-pad", "1.2.0", 3, &key(10), b"three");
    // A well-formed tarball with other contents under the logged names: the hash catches it.
    let other =
        omega_core::tarball::write_tgz(&[("index.js".into(), false, b"x".to_vec())]).unwrap();
    let e = client::verify_release(
        &st,
        4,
        &reg.files[&client::object_path(&st.manifest)],
        &other,
        &[],
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotInLog);
    // A revoked signer: the package check finds no valid signer.
    let e = client::verify_release(
        &st,
        4,
        &reg.files[&client::object_path(&st.manifest)],
        &reg.files[&client::object_path(&st.tgz)],
        &[key(10).public_key()],
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyRevoked);
    reg.files.clear();
}

// ---- step 5 ----

#[test]
fn notices_revocations_and_owner_changes() {
    let mut reg = sample();
    reg.push(
        &Statement::Notice(NoticeStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            id: "OMEGA-2026-1".into(),
            severity: Severity::Critical,
            affected: vec![SequenceRange { from: 1, to: 2 }],
            fixed: None,
            summary: "remote code execution".into(),
            url: None,
        }),
        &[&key(10)],
    );
    reg.push(
        &Statement::Revoke(RevokeStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            key: key(10).public_key(),
            reason: "key lost".into(),
        }),
        &[&key(10)],
    );
    let state = reg.state.clone();
    let adv = client::advisories(&state, "left-pad", "1.1.0", 2, &[key(10).public_key()]);
    assert_eq!(adv.notices.len(), 1);
    assert_eq!(adv.revoked_signers.len(), 1);
    let e = client::check_notices("left-pad", &adv, &[]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted);
    assert!(e.message().contains("OMEGA-2026-1"));
    client::check_notices("left-pad", &adv, &["OMEGA-2026-1".into()]).unwrap();
    // Janitors move the name to key 20.
    let pinned = LockEntry {
        version: "1.1.0".into(),
        sequence: 2,
        tree: state.name("left-pad").unwrap().releases["1.1.0"].tree,
        keys: Some(ks(1, &[&key(10)], &[])),
        revoked: Vec::new(),
        signed_by: vec![key(10).public_key()],
        path: omega_core::RelPath::new("node_modules/left-pad").unwrap(),
        retired: false,
        registry: None,
    };
    assert_eq!(
        client::owner_change(&pinned, &reg.state, "left-pad"),
        Some(1)
    );
    let e = reg.owners("left-pad", 1, &key(20), &[&key(1), &key(3)]);
    assert_eq!(
        client::owner_change(&pinned, &reg.state, "left-pad"),
        Some(e)
    );
    let mut p2 = pinned.clone();
    p2.keys = Some(ks(1, &[&key(20)], &[]));
    assert_eq!(client::owner_change(&p2, &reg.state, "left-pad"), None);
    let r = client::registry_ref(&reg.state, 3);
    assert_eq!((r.origin.as_str(), r.entry), (ORIGIN, 3));
}

#[test]
fn release_by_tree_finds_dependency_pins() {
    let reg = sample();
    let r = &reg.state.name("left-pad").unwrap().releases["1.0.0"];
    let (v, got) = client::release_by_tree(&reg.state, "left-pad", &r.tree).unwrap();
    assert_eq!((v, got.entry), ("1.0.0", 2));
    assert_eq!(
        code(client::release_by_tree(
            &reg.state,
            "left-pad",
            &omega_core::TreeDigest([0; 32])
        )),
        ErrorCode::NotInLog
    );
}

// ---- properties ----

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    /// Any two honest checkpoints of one growing log are consistent in both orders, and the
    /// kept checkpoint is always the larger one (never backwards).
    #[test]
    fn honest_growth_is_consistent_and_never_moves_back(a in 1usize..40, b in 1usize..40) {
        let mut reg = Reg::new();
        reg.owners("p", 0, &key(10), &[&key(10)]);
        let mut held = Vec::new();
        for i in 0..a.max(b) {
            reg.push(&Statement::Notice(NoticeStatement {
                origin: ORIGIN.into(),
                name: "p".into(), id: format!("N{i}"), severity: Severity::Low,
                affected: vec![SequenceRange { from: 1, to: 1 }], fixed: None,
                summary: "s".into(), url: None,
            }), &[&key(10)]);
            held.push(reg.held());
        }
        let (x, y) = (&held[a - 1], &held[b - 1]);
        let proof = client::consistency_proof(&x.checkpoint, &y.checkpoint, &reg.files).unwrap();
        let c = client::check_consistency(x, y, &proof).unwrap();
        prop_assert_eq!(c.latest.checkpoint.size, x.checkpoint.size.max(y.checkpoint.size));
    }

    /// An index that leaves out any one of its lines (every line is below `as-of`) is
    /// refused as misbehaviour; the full one is accepted.
    #[test]
    fn index_omitting_any_line_is_refused(which in any::<prop::sample::Index>()) {
        let mut reg = sample();
        reg.push(&Statement::Yank(YankStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(), version: "1.0.0".into(), sequence: 1, reason: "old".into(),
        }), &[&key(10)]);
        reg.push(&Statement::Notice(NoticeStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(), id: "N-1".into(), severity: Severity::High,
            affected: vec![SequenceRange { from: 1, to: 2 }], fixed: None,
            summary: "s".into(), url: None,
        }), &[&key(10)]);
        let full = reg.index("left-pad");
        client::check_index(&reg.state, &full).unwrap();
        let mut cut = full.clone();
        let i = which.index(cut.lines.len());
        cut.lines.remove(i);
        prop_assert_eq!(
            client::check_index(&reg.state, &cut).unwrap_err().code(),
            ErrorCode::LogInconsistent
        );
    }

    /// Flipping any byte of the served tiles or bundles never yields an accepted install of
    /// different bytes: either the install fails or it returns the honest release.
    #[test]
    fn tampered_log_files_never_pass(which in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>()) {
        let reg = sample();
        let honest = install(&first_use(), &reg, "left-pad", Some(NOW)).unwrap().0;
        let mut r = reg.clone();
        let keys: Vec<String> = r.files.keys().filter(|k| k.starts_with("tile/")).cloned().collect();
        let k = which.get(&keys).clone();
        let b = r.files.get_mut(&k).unwrap();
        let i = pos.index(b.len());
        b[i] ^= 0x01;
        if let Ok((rel, _)) = install(&first_use(), &r, "left-pad", Some(NOW)) {
            prop_assert_eq!(rel.statement, honest.statement);
        }
    }
}

// ---- tests/vectors/client.json: every case ----

fn vector_case(
    files: &BTreeMap<String, Vec<u8>>,
    policy: &str,
    genesis: &str,
    case: &serde_json::Value,
) -> omega_core::Result<serde_json::Value> {
    let s = |k: &str| case[k].as_str().map(str::to_string);
    let now = case["now"].as_u64();
    let trust = Trust::first_use("vectors", policy, case["max_age"].as_u64().unwrap())?;
    let v = trust.verify_checkpoint(s("checkpoint").unwrap().as_bytes(), now)?;
    let fetched = Held::from_verified(&v);
    let mut latest = fetched.clone();
    if let Some(p) = s("pinned") {
        let held = trust.verify_cached(p.as_bytes())?;
        let proof = client::consistency_proof(&held.checkpoint, &fetched.checkpoint, files)?;
        latest = client::check_consistency(&held, &fetched, &proof)?.latest;
    }
    let g = omega_core::hash::parse_hex32(genesis, "genesis")?;
    let replayed = client::replay_to(None, Some(&g), &latest.checkpoint, &v.log_key, files);
    // Window by window (one bundle per window, and the default): the same state or error.
    for bundles in [1, 256] {
        let w = windowed(
            None,
            Some(&g),
            &latest.checkpoint,
            &v.log_key,
            files,
            bundles,
        );
        assert_eq!(
            w.as_ref().map_err(|e| e.code()),
            replayed.as_ref().map_err(|e| e.code()),
            "windows of {bundles} bundles"
        );
    }
    let state = replayed?;
    let name = s("package").unwrap();
    let version = s("version");
    let (ver, record) = client::choose_release(&state, &name, version.as_deref(), false)?;
    let index = files
        .get(&format!("index/{name}"))
        .cloned()
        .unwrap_or_default();
    client::verify_index(&state, &index, &name, now)?;
    let st = client::read_release_entry(&latest.checkpoint, &name, ver, record, files)?;
    let get = |h: &[u8; 32]| {
        files
            .get(&client::object_path(h))
            .cloned()
            .unwrap_or_default()
    };
    let revoked: Vec<_> = state
        .name(&name)
        .map(|n| n.revoked.iter().map(|r| r.key).collect())
        .unwrap_or_default();
    let rel = client::verify_release(
        &st,
        record.entry,
        &get(&st.manifest),
        &get(&st.tgz),
        &revoked,
    )?;
    let adv = client::advisories(&state, &name, ver, st.sequence, &rel.report.signed_by);
    let accepted: Vec<String> = case["accept_notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    client::check_notices(&name, &adv, &accepted)?;
    Ok(serde_json::json!({
        "checkpoint_size": latest.checkpoint.size,
        "entry": record.entry,
        "notices": adv.notices.iter().map(|n| n.notice.id.clone()).collect::<Vec<_>>(),
        "sequence": st.sequence,
        "signed_by": rel.report.signed_by.iter().map(|k| k.to_base64()).collect::<Vec<_>>(),
        "version": ver,
    }))
}

#[test]
fn client_vectors_every_case() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/client.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let decode = |v: &serde_json::Value| -> BTreeMap<String, Vec<u8>> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, b)| (k.clone(), Base64::decode_vec(b.as_str().unwrap()).unwrap()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let files = decode(&doc["files"]);
    let mut n = 0;
    for case in doc["cases"].as_array().unwrap() {
        let mut f = files.clone();
        f.extend(decode(&case["replace"]));
        let got = vector_case(
            &f,
            doc["policy"].as_str().unwrap(),
            doc["genesis"].as_str().unwrap(),
            case,
        );
        let got = match got {
            Ok(v) => v,
            Err(e) => serde_json::json!({"error": e.code().as_str()}),
        };
        assert_eq!(got, case["expect"], "{}", case["name"]);
        n += 1;
    }
    assert_eq!(n, 14);
}

/// RR25: a tarball shipping a top-level `node_modules/` in any case (`Node_Modules/` is the
/// same folder on a case-insensitive disk) is refused (`UNSAFE_PATH`).
#[test]
fn fail_tarball_with_node_modules_in_any_case() {
    let mut reg = sample();
    let st = reg.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let manifest = reg.files[&client::object_path(&st.manifest)].clone();
    for top in ["node_modules", "Node_Modules", "NODE_MODULES"] {
        let tgz = omega_core::tarball::write_tgz(&[
            ("index.js".into(), false, b"three".to_vec()),
            (
                format!("{top}/right-pad/index.js"),
                false,
                b"planted".to_vec(),
            ),
            (".omega/manifest.json".into(), false, manifest.clone()),
        ])
        .unwrap();
        let mut st2 = st.clone();
        st2.tgz = omega_core::hash::blake2b256(&tgz);
        st2.size = tgz.len() as u64;
        let e = client::verify_release(&st2, 4, &manifest, &tgz, &[]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsafePath, "{top}: {e}");
        assert!(e.message().contains(top), "{e}");
    }
}
