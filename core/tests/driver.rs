//! The sans-IO registry reader (core::driver) driven by a host loop over in-memory registries
//! (the fixture of core/tests/common) and over tests/vectors/client.json: first use, the
//! stored checkpoint and genesis, forward growth, fork (LOG_INCONSISTENT with evidence),
//! stale, not in log, a tampered object, a non-owner signer, a revoked key, yank, notices,
//! the full-tile fallback, byte caps, unasked paths, 404s, and final versus per-release errors.
#![cfg(feature = "sign")]

use std::collections::BTreeMap;

use crate::common::host::{served, URL};
use crate::common::registry::*;
use base64ct::{Base64, Encoding};
use omega_core::client;
use omega_core::driver::{Phase, Reader, ReleaseRequest};
use omega_core::report::KeyStyle;
use omega_core::statement::{
    NoticeStatement, RevokeStatement, SequenceRange, Severity, Statement, YankStatement,
};
use omega_core::{Error, ErrorCode};

/// The host loop: provides every needed path from `files` (absent = 404) until the reader
/// needs nothing. Returns the number of paths provided.
fn drive(r: &mut Reader, files: &BTreeMap<String, Vec<u8>>) -> Result<usize, Error> {
    let mut n = 0;
    loop {
        let needs = r.needs();
        if needs.is_empty() {
            return Ok(n);
        }
        for p in needs {
            n += 1;
            r.provide(&p, files.get(&p).cloned())?;
        }
    }
}

fn open(
    files: &BTreeMap<String, Vec<u8>>,
    held: Option<&str>,
    genesis: Option<[u8; 32]>,
) -> Result<Reader, Error> {
    let mut r = Reader::from_policy(
        URL,
        &policy_text(),
        3600,
        held.map(str::as_bytes),
        genesis,
        Some(NOW),
    )?;
    drive(&mut r, files)?;
    Ok(r)
}

fn release(
    r: &mut Reader,
    files: &BTreeMap<String, Vec<u8>>,
    name: &str,
    version: Option<&str>,
) -> Result<client::VerifiedRelease, Error> {
    r.want_release(ReleaseRequest {
        name: name.into(),
        version: version.map(str::to_string),
        ..ReleaseRequest::default()
    })?;
    drive(r, files)?;
    Ok(r.take_release().expect("a release after the loop").release)
}

fn code<T>(r: Result<T, Error>) -> ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.code(),
    }
}

#[test]
fn first_use_reads_a_release_and_gives_the_checkpoint_to_store() {
    let reg = sample();
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    assert_eq!(r.verified().unwrap().checkpoint.size, 4);
    assert_eq!(r.genesis(), Some(reg.state.genesis));
    let rel = release(&mut r, &files, "left-pad", None).unwrap();
    assert_eq!((rel.statement.version.as_str(), rel.entry), ("1.1.0", 3));
    assert_eq!(rel.report.signed_by, vec![key(10).public_key()]);
    assert_eq!(rel.tgz, files[&client::object_path(&rel.statement.tgz)]);
    // An explicit version, then the stored note and genesis reopen the registry.
    let old = release(&mut r, &files, "left-pad", Some("1.0.0")).unwrap();
    assert_eq!(old.statement.sequence, 1);
    let note = r.checkpoint_note().unwrap().to_string();
    assert_eq!(note, reg.checkpoint(Some(NOW)));
    assert!(r.witness_text().unwrap().contains("w1 at"));
    let cj = sj(&r.checkpoint_json(KeyStyle::Camel).unwrap());
    assert_eq!(cj["keep"], note.as_str());
    assert_eq!(cj["size"], 4);
    assert_eq!(cj["freshness"]["asOf"], NOW);
    assert_eq!(cj["logKey"], r.verified().unwrap().log_key.as_str());
    assert_eq!(
        sj(&r.checkpoint_json(KeyStyle::Snake).unwrap())["freshness"]["as_of"],
        NOW
    );
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        ..Default::default()
    })
    .unwrap();
    drive(&mut r, &files).unwrap();
    let j = sj(&r.take_release().unwrap().to_json(KeyStyle::Camel));
    assert_eq!(
        (j["version"].as_str(), j["entry"].as_u64()),
        (Some("1.1.0"), Some(3))
    );
    assert_eq!(j["report"]["ok"], true);
    assert_eq!(j["advisories"]["revokedSigners"], serde_json::json!([]));
    let again = open(&files, Some(&note), r.genesis()).unwrap();
    assert_eq!(again.checkpoint_note(), Some(note.as_str()));
}

#[test]
fn stored_checkpoint_moves_forward_and_never_back() {
    let old = sample();
    let note = old.checkpoint(Some(NOW));
    let mut new = old.clone();
    new.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let files = served(&new);
    let mut r = open(&files, Some(&note), Some(old.state.genesis)).unwrap();
    assert_eq!(r.latest().unwrap().checkpoint.size, 5);
    assert_eq!(
        release(&mut r, &files, "left-pad", None)
            .unwrap()
            .statement
            .version,
        "1.2.0"
    );
    // A stale mirror (the old registry) read with the newer note: the newer one is kept, and
    // the state covers the newer tree (threat model RR7/RB7: what was logged between the two
    // sizes is not hidden), from the newer tree's tiles and bundles, which this mirror also
    // serves (they are public); the release at entry 4, beyond the mirror's size, is read.
    let bare_mirror = served(&old);
    let mut mirror = bare_mirror.clone();
    for (k, v) in &new.files {
        if k.starts_with("tile/") || k.starts_with("objects/") {
            mirror.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let newer = new.checkpoint(Some(NOW));
    let mut r = open(&mirror, Some(&newer), Some(old.state.genesis)).unwrap();
    assert_eq!(r.checkpoint_note(), Some(newer.as_str()));
    assert_eq!(r.state().unwrap().size, 5);
    // (the mirror's own index note, as-of 4, is a true prefix of the state)
    let rel = release(&mut r, &mirror, "left-pad", None).unwrap();
    assert_eq!((rel.statement.version.as_str(), rel.entry), ("1.2.0", 4));
    // Without the newer tree's files the state cannot cover it: STALE, naming both sizes.
    let e = open(&bare_mirror, Some(&newer), Some(old.state.genesis)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Stale, "{e}");
    assert!(
        e.message()
            .contains("checkpoint 4, older than the stored 5"),
        "{e}"
    );
}

#[test]
fn fail_forked_log_is_final_with_evidence() {
    let base = sample();
    let note = base.checkpoint(Some(NOW));
    let mut fork = Reg::new();
    fork.owners("left-pad", 0, &key(10), &[&key(10)]);
    fork.release("left-pad", "1.0.0", 1, &key(10), b"other");
    fork.release("left-pad", "1.1.0", 2, &key(10), b"other two");
    fork.release("left-pad", "1.2.0", 3, &key(10), b"other three");
    let files = served(&fork);
    let mut r = Reader::from_policy(
        URL,
        &policy_text(),
        3600,
        Some(note.as_bytes()),
        Some(base.state.genesis),
        Some(NOW),
    )
    .unwrap();
    let e = drive(&mut r, &files).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent);
    assert!(e.message().contains(URL), "{}", e.message());
    assert_eq!(r.phase(), Phase::Failed);
    let ev = r.evidence().unwrap();
    assert!(ev.contains(&note) && ev.contains("LOG_INCONSISTENT"));
    // Final: every later call gives the same error; nothing more is needed.
    assert!(r.needs().is_empty());
    assert_eq!(
        code(r.want_release(ReleaseRequest {
            name: "left-pad".into(),
            ..Default::default()
        })),
        ErrorCode::LogInconsistent
    );
    assert_eq!(
        code(r.provide("checkpoint", Some(Vec::new()))),
        ErrorCode::LogInconsistent
    );
    // Same size, another root.
    let mut same = base.clone();
    same.release("left-pad", "1.2.0", 3, &key(10), b"a");
    let mut other = base.clone();
    other.release("left-pad", "1.2.0", 3, &key(10), b"b");
    assert_eq!(
        code(open(
            &served(&other),
            Some(&same.checkpoint(Some(NOW))),
            None
        )),
        ErrorCode::LogInconsistent
    );
}

#[test]
fn fail_stale_quorum_and_offline() {
    let reg = sample();
    let mut files = served(&reg);
    files.insert(
        "checkpoint".into(),
        reg.checkpoint(Some(NOW - 7200)).into_bytes(),
    );
    assert_eq!(code(open(&files, None, None)), ErrorCode::Stale);
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, None).unwrap();
    drive(&mut r, &files).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    files.insert("checkpoint".into(), reg.checkpoint(None).into_bytes());
    assert_eq!(code(open(&files, None, None)), ErrorCode::QuorumNotMet);
}

#[test]
fn fail_not_in_log_tampered_object_and_the_reader_stays_ready() {
    let reg = sample();
    let mut files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    assert_eq!(
        code(release(&mut r, &files, "right-pad", None)),
        ErrorCode::NotInLog
    );
    assert_eq!(
        code(release(&mut r, &files, "left-pad", Some("9.9.9"))),
        ErrorCode::NotInLog
    );
    let st = reg.state.name("left-pad").unwrap().releases["1.1.0"].clone();
    let tgz = client::object_path(&st.tgz);
    files.get_mut(&tgz).unwrap()[10] ^= 1;
    let e = release(&mut r, &files, "left-pad", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotInLog);
    assert!(e.message().contains(&tgz), "{}", e.message());
    // A refused release leaves the verified registry usable.
    assert_eq!(r.phase(), Phase::Ready);
    release(&mut r, &files, "left-pad", Some("1.0.0")).unwrap();
    // A tampered bundle is refused at replay.
    let mut bad = served(&reg);
    let b = bad.get_mut("tile/entries/000.p/4").unwrap();
    let last = b.len() - 3;
    b[last] ^= 1;
    assert_eq!(code(open(&bad, None, None)), ErrorCode::NotInLog);
}

#[test]
fn fail_non_owner_signer_and_revoked_key() {
    let mut reg = sample();
    let (st, _) = reg.pack("left-pad", "2.0.0", 3, &key(66), b"evil");
    reg.push_unchecked(&Statement::Release(st), &[&key(66)]);
    assert_eq!(
        code(open(&served(&reg), None, None)),
        ErrorCode::KeyNotTrusted
    );
    let mut reg = sample();
    reg.push(
        &Statement::Revoke(RevokeStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            key: key(10).public_key(),
            reason: "key lost".into(),
        }),
        &[&key(10)],
    );
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    assert_eq!(
        code(release(&mut r, &files, "left-pad", None)),
        ErrorCode::KeyRevoked
    );
}

#[test]
fn yank_and_notices() {
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
    reg.push(
        &Statement::Notice(NoticeStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            id: "OMEGA-1".into(),
            severity: Severity::Critical,
            affected: vec![SequenceRange { from: 1, to: 1 }],
            fixed: Some(2),
            summary: "bad".into(),
            url: None,
        }),
        &[&key(10)],
    );
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    // 1.1.0 is yanked: the latest unyanked is 1.0.0, which a critical notice blocks.
    let e = release(&mut r, &files, "left-pad", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted);
    assert!(e.message().contains("OMEGA-1"));
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        accept_notices: vec!["OMEGA-1".into()],
        ..Default::default()
    })
    .unwrap();
    drive(&mut r, &files).unwrap();
    let got = r.take_release().unwrap();
    assert_eq!(got.release.statement.version, "1.0.0");
    assert_eq!(got.advisories.notices.len(), 1);
    // Asked explicitly, the yanked release is refused unless allowed.
    assert_eq!(
        code(release(&mut r, &files, "left-pad", Some("1.1.0"))),
        ErrorCode::NotFound
    );
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        version: Some("1.1.0".into()),
        allow_yanked: true,
        ..Default::default()
    })
    .unwrap();
    drive(&mut r, &files).unwrap();
    let y = r.take_release().unwrap();
    assert_eq!(y.advisories.yanked.unwrap().reason, "broken");
    // Notices by name and sequence.
    assert_eq!(r.notices("left-pad", None).unwrap().len(), 1);
    assert_eq!(r.notices("left-pad", Some(1)).unwrap().len(), 1);
    assert_eq!(r.notices("left-pad", Some(2)).unwrap().len(), 0);
    assert_eq!(code(r.notices("right-pad", None)), ErrorCode::NotInLog);
}

#[test]
fn partial_tiles_fall_back_to_full_ones() {
    let mut reg = sample();
    let note = reg.checkpoint(Some(NOW));
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
    // The old checkpoint served by a registry that dropped the partial tiles of size 4.
    let mut files = served(&reg);
    files.retain(|k, _| !k.contains("000.p/"));
    files.insert("checkpoint".into(), note.into_bytes());
    files.insert(
        "index/left-pad".into(),
        sample().signed_index(&sample().index("left-pad")),
    );
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    drive(&mut r, &files).unwrap();
    assert_eq!(r.state().unwrap().size, 4);
    assert_eq!(release(&mut r, &files, "left-pad", None).unwrap().entry, 3);
}

#[test]
fn fail_caps_unasked_paths_and_404() {
    let reg = sample();
    let files = served(&reg);
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    assert_eq!(r.needs(), vec!["checkpoint".to_string()]);
    assert_eq!(
        r.max_bytes("checkpoint"),
        Some(omega_core::limits::MAX_NOTE_BYTES as u64)
    );
    // Nothing is read before the registry is verified.
    assert_eq!(
        code(r.want_release(ReleaseRequest {
            name: "left-pad".into(),
            ..Default::default()
        })),
        ErrorCode::Malformed
    );
    assert_eq!(code(r.notices("left-pad", None)), ErrorCode::Malformed);
    // A path not asked for is refused without failing the reader.
    assert_eq!(
        code(r.provide("objects/00/00", Some(vec![1]))),
        ErrorCode::Malformed
    );
    assert_eq!(r.phase(), Phase::Checkpoint);
    // An oversize checkpoint is refused before parsing.
    let big = vec![b'a'; omega_core::limits::MAX_NOTE_BYTES + 1];
    assert_eq!(
        code(r.provide("checkpoint", Some(big))),
        ErrorCode::TooLarge
    );
    assert_eq!(r.phase(), Phase::Failed);
    // No checkpoint served.
    let mut none = files.clone();
    none.remove("checkpoint");
    let e = open(&none, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.message().contains("checkpoint"));
    // A missing bundle (and no full one): NOT_FOUND naming it.
    let mut gone = files.clone();
    gone.remove("tile/entries/000.p/4");
    let e = open(&gone, None, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.message().contains("tile/entries/000 "), "{}", e.message());
    // A tarball larger than the logged size is refused at its cap.
    let mut r = open(&files, None, None).unwrap();
    let st = reg.state.name("left-pad").unwrap().releases["1.1.0"].clone();
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        ..Default::default()
    })
    .unwrap();
    let tgz = client::object_path(&st.tgz);
    loop {
        let needs = r.needs();
        if needs.contains(&tgz) {
            assert_eq!(r.max_bytes(&tgz), Some(st.size));
            let mut more = files[&tgz].clone();
            more.push(0);
            assert_eq!(code(r.provide(&tgz, Some(more))), ErrorCode::TooLarge);
            break;
        }
        for p in needs {
            r.provide(&p, files.get(&p).cloned()).unwrap();
        }
    }
    assert_eq!(r.phase(), Phase::Ready);
    // A stored checkpoint the policy does not accept.
    assert_eq!(
        code(Reader::from_policy(
            URL,
            &policy_text(),
            3600,
            Some(reg.checkpoint(None).as_bytes()),
            None,
            None
        )),
        ErrorCode::QuorumNotMet
    );
}

/// tests/vectors/client.json: every case through the reader (the loop every binding runs).
#[test]
fn client_vectors_through_the_reader() {
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
    let genesis =
        omega_core::hash::parse_hex32(doc["genesis"].as_str().unwrap(), "genesis").unwrap();
    let mut n = 0;
    for case in doc["cases"].as_array().unwrap() {
        let mut files = decode(&doc["files"]);
        files.extend(decode(&case["replace"]));
        files.insert(
            "checkpoint".into(),
            case["checkpoint"].as_str().unwrap().as_bytes().to_vec(),
        );
        let run = || -> Result<serde_json::Value, Error> {
            let mut r = Reader::from_policy(
                "vectors",
                doc["policy"].as_str().unwrap(),
                case["max_age"].as_u64().unwrap(),
                case["pinned"].as_str().map(str::as_bytes),
                Some(genesis),
                case["now"].as_u64(),
            )?;
            drive(&mut r, &files)?;
            r.want_release(ReleaseRequest {
                name: case["package"].as_str().unwrap().into(),
                version: case["version"].as_str().map(str::to_string),
                accept_notices: case["accept_notices"]
                    .as_array()
                    .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                allow_yanked: false,
                owner_keys: Vec::new(),
            })?;
            drive(&mut r, &files)?;
            let got = r.take_release().unwrap();
            let rel = &got.release;
            Ok(serde_json::json!({
                "version": rel.statement.version,
                "sequence": rel.statement.sequence,
                "entry": rel.entry,
                "signed_by": rel.report.signed_by.iter().map(|k| k.to_base64()).collect::<Vec<_>>(),
                "checkpoint_size": r.latest().unwrap().checkpoint.size,
                "notices": got.advisories.notices.iter().map(|n| n.notice.id.clone()).collect::<Vec<_>>(),
            }))
        };
        let got = run().unwrap_or_else(|e| serde_json::json!({"error": e.code().as_str()}));
        assert_eq!(got, case["expect"], "{}", case["name"]);
        n += 1;
    }
    assert_eq!(n, 14);
}

/// Core's JSON value as serde_json's, to index it in assertions.
fn sj(v: &omega_core::json::Value<'_>) -> serde_json::Value {
    serde_json::from_str(&omega_core::json::to_text(v)).unwrap()
}

fn want(r: &mut Reader, name: &str) -> Result<(), Error> {
    r.want_release(ReleaseRequest {
        name: name.into(),
        ..ReleaseRequest::default()
    })
}

/// RD10: the clock is given per operation. A reader opened at NOW refuses releases and
/// notices (STALE) once its checkpoint is older than max_age at the clock it is given; a
/// reader opened offline refuses once a clock is given; a new reader opened later with the
/// stored note sees what the log added since (a yank).
#[test]
fn fail_stale_checkpoint_at_a_later_now_and_reopen_sees_the_yank() {
    let mut reg = sample();
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    assert_eq!(r.now(), Some(NOW));
    r.set_now(Some(NOW + 3000));
    release(&mut r, &files, "left-pad", None).unwrap();
    r.set_now(Some(NOW + 3601));
    assert_eq!(code(want(&mut r, "left-pad")), ErrorCode::Stale);
    assert_eq!(code(r.notices("left-pad", None)), ErrorCode::Stale);
    assert_eq!(
        r.phase(),
        Phase::Ready,
        "STALE ends nothing: the host opens again"
    );
    // Index notes are checked at the given clock too: fine again at NOW.
    r.set_now(Some(NOW));
    release(&mut r, &files, "left-pad", None).unwrap();
    // Offline open, then a clock: STALE (freshness never checked).
    let mut off = Reader::from_policy(URL, &policy_text(), 3600, None, None, None).unwrap();
    drive(&mut off, &files).unwrap();
    release(&mut off, &files, "left-pad", None).unwrap();
    off.set_now(Some(NOW));
    assert_eq!(code(want(&mut off, "left-pad")), ErrorCode::Stale);
    // The log yanks 1.1.0; a later reader (cosigned again) opened with the stored note sees it.
    let note = r.checkpoint_note().unwrap().to_string();
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
    let later = NOW + 7200;
    let mut files2 = served(&reg);
    files2.insert(
        "checkpoint".into(),
        reg.checkpoint(Some(later)).into_bytes(),
    );
    for name in reg.state.names.keys() {
        let mut idx = reg.index(name);
        idx.expires = later + 3600;
        files2.insert(format!("index/{name}"), reg.signed_index(&idx));
    }
    let mut r2 = Reader::from_policy(
        URL,
        &policy_text(),
        3600,
        Some(note.as_bytes()),
        r.genesis(),
        Some(later),
    )
    .unwrap();
    drive(&mut r2, &files2).unwrap();
    let rel = release(&mut r2, &files2, "left-pad", None).unwrap();
    assert_eq!(rel.statement.version, "1.0.0", "1.1.0 is yanked");
}

/// RD11: a fetch that fails mid-release leaves the reader mid-release; abandon_release goes
/// back to Ready and the next release reads; it does nothing when Ready or Failed.
#[test]
fn abandon_release_after_a_failed_fetch() {
    let reg = sample();
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    want(&mut r, "left-pad").unwrap();
    // One round asks for the index note, the entry (held from the replay) and both objects.
    let needs = r.needs();
    assert!(needs.contains(&"index/left-pad".to_string()), "{needs:?}");
    assert_eq!(
        needs.iter().filter(|p| p.starts_with("objects/")).count(),
        2,
        "{needs:?}"
    );
    // The host provides the index, then its fetch of the objects fails.
    for p in needs.iter().filter(|p| !p.starts_with("objects/")) {
        r.provide(p, files.get(p).cloned()).unwrap();
    }
    assert!(r.needs().iter().all(|p| p.starts_with("objects/")));
    assert_eq!(r.phase(), Phase::Index, "checked only when the round is in");
    assert_eq!(
        code(want(&mut r, "left-pad")),
        ErrorCode::Malformed,
        "jammed"
    );
    r.abandon_release();
    assert_eq!((r.phase(), r.needs().len()), (Phase::Ready, 0));
    r.abandon_release();
    assert_eq!(r.phase(), Phase::Ready);
    release(&mut r, &files, "left-pad", Some("1.0.0")).unwrap();
    // A failed open stays failed.
    let mut bad = files.clone();
    bad.insert("checkpoint".into(), b"garbage".to_vec());
    let mut f = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    assert!(drive(&mut f, &bad).is_err());
    f.abandon_release();
    assert_eq!(f.phase(), Phase::Failed);
}

/// RD12: partial tiles and bundles are capped by their width, not by the full size.
#[test]
fn fail_partial_files_over_their_width() {
    use omega_core::driver::cap_of;
    use omega_core::tiles::TilePath;
    let b = TilePath::parse("tile/entries/000.p/4").unwrap();
    assert_eq!(cap_of(&b), 4 * (2 + 65_535));
    assert_eq!(cap_of(&TilePath::parse("tile/0/000.p/4").unwrap()), 4 * 32);
    assert_eq!(cap_of(&TilePath::parse("tile/0/000").unwrap()), 8192);
    let reg = sample();
    let files = served(&reg);
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    r.provide("checkpoint", files.get("checkpoint").cloned())
        .unwrap();
    let bundle = "tile/entries/000.p/4";
    assert!(r.needs().iter().any(|p| p == bundle));
    assert_eq!(r.max_bytes(bundle), Some(4 * (2 + 65_535)));
    assert_eq!(r.max_bytes("tile/0/000.p/4"), Some(4 * 32));
    // A mirror serving a partial bundle of 1 MiB is refused at it.
    assert_eq!(
        code(r.provide(bundle, Some(vec![0; 1 << 20]))),
        ErrorCode::TooLarge
    );
}

/// RD13 and RD12: a log of more than 65,536 entries opens (the full replay has its own
/// limit, MAX_REPLAY_BUNDLES), and the reader asks for at most MAX_READER_ROUND_PATHS paths
/// at a time. The checkpoint claims 100,000 entries (signed by the log key; its tiles are
/// never served here).
#[test]
fn a_log_over_65536_entries_is_asked_for_in_bounded_rounds() {
    use omega_core::checkpoint::Checkpoint;
    use omega_core::limits::{MAX_READER_ROUND_PATHS, MAX_REPLAY_BUNDLES};
    use omega_core::note::{self, Note};
    use omega_core::tiles::{bundles_for_range, bundles_for_replay};
    let text = Checkpoint {
        origin: ORIGIN.into(),
        size: 100_000,
        root: [7; 32],
        extensions: Vec::new(),
    }
    .to_text();
    let mut n = Note::new(&text).unwrap();
    n.add_signature(note::sign_ed25519(&text, ORIGIN, &log_key()).unwrap())
        .unwrap();
    n.add_signature(note::cosign(&text, "w1", &witness_key(), NOW).unwrap())
        .unwrap();
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    r.provide("checkpoint", Some(n.to_text().into_bytes()))
        .unwrap();
    assert_eq!(r.phase(), Phase::Replay);
    let needs = r.needs();
    assert_eq!(needs.len(), MAX_READER_ROUND_PATHS);
    // 391 bundles and their tiles in all: after the first round, the next ones follow.
    for p in &needs {
        assert!(r.max_bytes(p).is_some());
    }
    let first = needs[0].clone();
    r.provide(&first, Some(Vec::new())).unwrap_or(());
    assert!(!r.needs().contains(&first));
    assert_eq!(r.needs().len(), MAX_READER_ROUND_PATHS);
    // The limit itself: a whole-log replay spans MAX_REPLAY_BUNDLES bundles (from any start);
    // a delta scan 256.
    let most = MAX_REPLAY_BUNDLES as u64 * 256;
    assert_eq!(
        bundles_for_replay(0, most, most).unwrap().len() as u64,
        most / 256
    );
    assert_eq!(
        code(bundles_for_replay(0, most + 1, most + 1)),
        ErrorCode::TooLarge
    );
    assert_eq!(
        code(bundles_for_range(0, 256 * 257, 256 * 257)),
        ErrorCode::TooLarge
    );
    assert_eq!(
        code(bundles_for_range(1, 256 * 257 + 1, 256 * 300)),
        ErrorCode::TooLarge
    );
}

/// RD19 (L5): checkpoint_json gives the proven tree: the stored one when the mirror is behind.
#[test]
fn checkpoint_json_names_the_proven_tree_when_a_mirror_is_behind() {
    let mut reg = sample();
    let old = served(&reg);
    reg.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let new = served(&reg);
    let r = open(&new, None, None).unwrap();
    let note = r.checkpoint_note().unwrap().to_string();
    let cj = sj(&r.checkpoint_json(KeyStyle::Camel).unwrap());
    assert_eq!(cj["proven"]["size"], cj["size"]);
    assert_eq!(cj["proven"]["root"], cj["root"]);
    // A mirror still at the old checkpoint, with the newer tree's tiles.
    let mut behind = new.clone();
    behind.insert("checkpoint".into(), old["checkpoint"].clone());
    let b = open(&behind, Some(&note), r.genesis()).unwrap();
    let cj = sj(&b.checkpoint_json(KeyStyle::Camel).unwrap());
    assert_eq!(cj["size"], 4);
    assert_eq!(cj["proven"]["size"], reg.state.size);
    assert_ne!(cj["proven"]["root"], cj["root"]);
}

/// RD20 (L4): the owners entry and keys come with the release; pinned owner keys refuse a
/// release after a janitor-made owner change (KEY_NOT_TRUSTED), like `omega install`.
#[test]
fn fail_owner_change_against_pinned_owner_keys() {
    let mut reg = sample();
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    want(&mut r, "left-pad").unwrap();
    drive(&mut r, &files).unwrap();
    let got = r.take_release().unwrap();
    assert_eq!((got.owners_entry, got.owners_serial), (1, 0));
    assert_eq!(got.owner_keys, vec![key(10).public_key()]);
    let j = sj(&got.to_json(KeyStyle::Camel));
    assert_eq!(j["owners"]["entry"], 1);
    assert_eq!(j["owners"]["keys"][0], key(10).public_key().to_base64());
    let pinned = got.owner_keys.clone();
    // The janitors hand the name to key 20, which publishes 2.0.0.
    let e = reg.owners("left-pad", 1, &key(20), &[&key(1), &key(3)]);
    reg.release("left-pad", "2.0.0", 3, &key(20), b"new owner");
    let files = served(&reg);
    let mut r = open(&files, None, None).unwrap();
    let ask = |keys: Vec<_>| ReleaseRequest {
        name: "left-pad".into(),
        owner_keys: keys,
        ..ReleaseRequest::default()
    };
    let err = r.want_release(ask(pinned.clone())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyNotTrusted);
    assert!(
        err.message().contains(&format!("owners entry {e}")),
        "{err:?}"
    );
    assert_eq!(r.phase(), Phase::Ready);
    // Pinning the new keys (or none: accepting the change) reads it.
    r.want_release(ask(vec![key(20).public_key()])).unwrap();
    drive(&mut r, &files).unwrap();
    let got = r.take_release().unwrap();
    assert_eq!(
        (
            got.release.statement.version.as_str(),
            got.owners_entry,
            got.owners_serial
        ),
        ("2.0.0", e, 1)
    );
}

/// The release's files arrive in one round, but their checks keep their order: with a forged
/// index note and changed objects both served, the refusal is the index note's; with only the
/// objects changed, it is theirs (their hashes are not the logged ones).
#[test]
fn one_round_release_keeps_the_order_of_its_checks() {
    let reg = sample();
    let files = served(&reg);
    let mut both = files.clone();
    let mut objects = 0;
    for (k, v) in both.iter_mut() {
        if k.starts_with("objects/") && !v.is_empty() {
            let last = v.len() - 1;
            v[last] ^= 1;
            objects += 1;
        }
    }
    assert!(objects >= 2, "no objects in the sample");
    let only_object = both.clone();
    both.insert("index/left-pad".into(), b"not an index note".to_vec());
    let mut r = open(&files, None, None).unwrap();
    let e = release(&mut r, &both, "left-pad", None).unwrap_err();
    assert!(e.message().contains("index/left-pad"), "{e}");
    let mut r = open(&files, None, None).unwrap();
    let e = release(&mut r, &only_object, "left-pad", None).unwrap_err();
    assert!(!e.message().contains("index/left-pad"), "{e}");
    assert_eq!(e.code(), ErrorCode::NotInLog, "{e}");
}

/// The paths of entry bundles among `paths`, as bundle indexes.
fn bundle_indexes<'a>(paths: impl IntoIterator<Item = &'a str>) -> std::collections::BTreeSet<u64> {
    paths
        .into_iter()
        .filter_map(|p| p.strip_prefix("tile/entries/"))
        .map(|p| {
            let digits: String = p
                .split(".p/")
                .next()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            digits.parse().unwrap()
        })
        .collect()
}

/// A registry of `n` entries: the sample, then owners entries claiming `pkg-…` (first come).
fn long_registry(n: usize) -> Reg {
    let mut reg = sample();
    let mut i = 0;
    while reg.entries.len() < n {
        reg.owners(&format!("pkg-{i}"), 0, &key(11), &[&key(11)]);
        i += 1;
    }
    reg
}

/// RW6: a first-use replay goes window by window: no round asks for the bundles of two
/// windows, a window's bundles are dropped once replayed (memory does not grow with the log),
/// the state and verdicts equal the one-window replay's, and a release whose entry bundle was
/// dropped has it fetched again.
#[test]
fn first_use_replays_window_by_window_and_drops_replayed_bundles() {
    let reg = long_registry(600); // bundles 0 and 1 full, 2 partial
    let files = served(&reg);
    let whole = open(&files, None, None).unwrap();
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW))
        .unwrap()
        .with_replay_window(1);
    let mut asked = Vec::new();
    loop {
        let needs = r.needs();
        if needs.is_empty() {
            break;
        }
        asked.push(bundle_indexes(needs.iter().map(String::as_str)));
        for p in needs {
            r.provide(&p, files.get(&p).cloned()).unwrap();
        }
        let held = bundle_indexes(r.verified_tiles().map(|(p, _)| p));
        assert!(held.len() <= 1, "bundles held after a window: {held:?}");
    }
    assert_eq!(r.phase(), Phase::Ready);
    assert_eq!(r.state().unwrap(), whole.state().unwrap());
    let rounds: Vec<_> = asked.into_iter().filter(|b| !b.is_empty()).collect();
    assert_eq!(
        rounds,
        vec![[0].into(), [1].into(), [2].into()],
        "one bundle (window) per round"
    );
    // left-pad 1.0.0 is entry 2, in the dropped bundle 0: asked for again, and read.
    let rel = release(&mut r, &files, "left-pad", Some("1.0.0")).unwrap();
    assert_eq!(rel.entry, 2);
    assert_eq!(
        release(&mut r, &files, "left-pad", None).unwrap().entry,
        whole_release_entry(&files)
    );
}

fn whole_release_entry(files: &BTreeMap<String, Vec<u8>>) -> u64 {
    let mut w = open(files, None, None).unwrap();
    release(&mut w, files, "left-pad", None).unwrap().entry
}

/// RW6: an invalid entry in a later window stops the windowed first use with the verdict
/// (code and entry) of the one-window replay, and a bundle that fails its proof there is
/// refused the same way.
#[test]
fn fail_windowed_first_use_gives_the_one_window_verdicts() {
    let mut reg = long_registry(300);
    // Entry 300 (window 2 of 1-bundle windows): left-pad released by a key that is not its owner.
    let k12 = key(12);
    let (st, by) = reg.pack("left-pad", "9.0.0", 9, &k12, b"nine");
    reg.push_unchecked(&Statement::Release(st), &[by]);
    let files = served(&reg);
    let one = code(open(&files, None, None));
    let err = {
        let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW))
            .unwrap()
            .with_replay_window(1);
        drive(&mut r, &files).unwrap_err()
    };
    assert_eq!(err.code(), one);
    assert!(err.to_string().contains("300"), "{err}");
    // A changed bundle of window 2.
    let reg = long_registry(600);
    let mut files = served(&reg);
    let b1 = files
        .keys()
        .find(|p| p.starts_with("tile/entries/001"))
        .unwrap()
        .clone();
    let mut bad = files[&b1].clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    files.insert(b1, bad);
    let one = code(open(&files, None, None));
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW))
        .unwrap()
        .with_replay_window(1);
    assert_eq!(drive(&mut r, &files).unwrap_err().code(), one);
}
