//! The reader as `omega install` drives it (core::driver; cli/src/install/session.rs is a host
//! loop over it): a saved state to resume from (only the entries after it are asked for; one
//! that does not hold is dropped and the log replayed from entry 0), checkpoints held besides
//! the pinned one (the user cache's), a second source for tiles a stale mirror lacks (bytes
//! that fail are dropped, named for the host to delete, and never taken from the cache
//! again), and releases picked by a lock's entry or a dependency's tree, with or without the
//! index note, and an owner change accepted.
#![cfg(feature = "sign")]

use crate::common::host::*;
use crate::common::registry::*;
use omega_core::client::{self, SavedState};
use omega_core::driver::{IndexCheck, Phase, Reader, ReleaseOptions, ReleasePick, ReleaseRequest};
use omega_core::{Error, ErrorCode};

/// The state a reader would save, as the CLI saves it.
fn saved_of(r: &Reader) -> SavedState {
    let (state, root) = r.state_to_save().unwrap();
    SavedState {
        state: state.clone(),
        root,
    }
}

fn owners_claims(reg: &mut Reg, from: usize, n: usize) {
    for i in from..from + n {
        reg.owners(&format!("pkg-{i}"), 0, &key(10), &[&key(10)]);
    }
}

/// RR8 (the saved state the lock names): a warm open replays only the entries after it. A
/// log of 262 entries: the bundle of entries 0..256 is not asked for again, and the state is
/// the whole replay's.
#[test]
fn resume_replays_only_after_the_saved_state() {
    let mut reg = sample();
    owners_claims(&mut reg, 0, 257);
    assert_eq!(reg.state.size, 261);
    let first = first_use_reader(&served(&reg));
    let saved = saved_of(&first);
    let note = first.checkpoint_note().unwrap().to_string();
    let genesis = first.genesis().unwrap();
    owners_claims(&mut reg, 257, 1);
    let files = served(&reg);
    let mut r = pinned(&note, genesis);
    r.resume(saved).unwrap();
    let asked = drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    assert_eq!(r.resumed_from(), Some(261));
    assert!(r.resume_refused().is_none());
    assert!(
        !asked.iter().any(|p| p == "tile/entries/000"),
        "the bundle before the saved state was fetched: {asked:?}"
    );
    assert!(
        asked.iter().any(|p| p == "tile/entries/001.p/6"),
        "{asked:?}"
    );
    let full = first_use_reader(&files);
    assert_eq!(
        r.state().unwrap().to_json_bytes(),
        full.state().unwrap().to_json_bytes()
    );
    assert_eq!(r.state().unwrap().size, 262);
}

/// The saved state is used as given (the host vouches for it by its digest: RR8), and one
/// whose root is not the log's at its size, or that is beyond the proven tree, is dropped:
/// the log is replayed from entry 0, and the reader says why.
#[test]
fn a_saved_state_that_does_not_hold_is_dropped_and_the_log_replayed() {
    let reg = sample();
    let files = served(&reg);
    let first = first_use_reader(&files);
    let note = first.checkpoint_note().unwrap().to_string();
    let genesis = first.genesis().unwrap();
    // Trusted as given: a name planted in it stays (nothing replayed below its size).
    let mut planted = saved_of(&first);
    let ns = planted.state.name("left-pad").unwrap().clone();
    planted.state.names.insert("planted".into(), ns);
    let mut r = pinned(&note, genesis);
    r.resume(planted.clone()).unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.resumed_from(), Some(4));
    assert!(r.state().unwrap().name("planted").is_some());
    // Another root at its size: LOG_INCONSISTENT inside, then a replay from entry 0.
    let mut wrong = planted;
    wrong.root = [7; 32];
    let mut r = pinned(&note, genesis);
    r.resume(wrong).unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    assert_eq!(r.resumed_from(), None);
    assert_eq!(
        r.resume_refused().map(Error::code),
        Some(ErrorCode::LogInconsistent)
    );
    assert!(r.state().unwrap().name("planted").is_none());
    assert_eq!(
        r.state().unwrap().to_json_bytes(),
        first.state().unwrap().to_json_bytes()
    );
    // Beyond the proven tree.
    let mut bigger = sample();
    bigger.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let big = first_use_reader(&served(&bigger));
    let mut r = pinned(&note, genesis);
    r.resume(saved_of(&big)).unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.state().unwrap().size, 4);
    assert!(r
        .resume_refused()
        .unwrap()
        .message()
        .contains("beyond the proven size 4"));
}

/// First use replays the whole log (the genesis to pin comes from it); a saved state, a held
/// checkpoint after the checkpoint was provided, are refused (MALFORMED).
#[test]
fn fail_resume_on_first_use_and_late_calls() {
    let reg = sample();
    let files = served(&reg);
    let first = first_use_reader(&files);
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    let e = r.resume(saved_of(&first)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed);
    assert!(e.message().contains("first use"), "{e}");
    let mut r = pinned(first.checkpoint_note().unwrap(), first.genesis().unwrap());
    drive(&mut r, &files, &mut Files::new()).unwrap();
    let note = first.checkpoint_note().unwrap().as_bytes();
    assert_eq!(r.hold(note).unwrap_err().code(), ErrorCode::Malformed);
    assert_eq!(
        r.resume(saved_of(&first)).unwrap_err().code(),
        ErrorCode::Malformed
    );
}

/// RR7, RR22: a checkpoint held besides the pinned one (the user cache's) is verified by the
/// policy (a bad one is refused and nothing is held), proven consistent, and the state covers
/// it when it is the largest; a fork against it is LOG_INCONSISTENT with evidence.
#[test]
fn held_checkpoints_the_state_covers_the_largest() {
    let old = sample();
    let lock_note = old.checkpoint(Some(NOW));
    let mut new = old.clone();
    new.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let cache_note = new.checkpoint(Some(NOW));
    // A mirror at the lock's size that also serves the newer tree's files.
    let mut mirror = served(&old);
    for (k, v) in &new.files {
        if k.starts_with("tile/") || k.starts_with("objects/") {
            mirror.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let mut r = pinned(&lock_note, old.state.genesis);
    let mut bad = cache_note.clone().into_bytes();
    let i = bad.len() - 10;
    bad[i] ^= 1;
    assert!(r.hold(&bad).is_err());
    r.hold(cache_note.as_bytes()).unwrap();
    drive(&mut r, &mirror, &mut Files::new()).unwrap();
    assert_eq!(r.verified().unwrap().checkpoint.size, 4);
    assert_eq!(r.checkpoint_note(), Some(cache_note.as_str()));
    assert_eq!(r.state().unwrap().size, 5);
    // A fork of the held one: final, with evidence naming it.
    let mut fork = old.clone();
    fork.release("left-pad", "1.2.0", 3, &key(10), b"evil");
    let mut r = pinned(&lock_note, old.state.genesis);
    r.hold(cache_note.as_bytes()).unwrap();
    let e = drive(&mut r, &served(&fork), &mut Files::new()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent, "{e}");
    assert!(r.evidence().unwrap().contains(&cache_note));
}

/// RR7, RR13: a stale mirror lacks the newer tree's tiles; the host's cache has them. Good
/// cached bytes are used (the state covers the newer tree, and they count as verified); a
/// corrupted cached tile is dropped, named for the host to delete, not taken from the cache
/// again, and the open ends STALE (the tiles are nowhere), not LOG_INCONSISTENT.
#[test]
fn cached_tiles_fill_a_stale_mirror_and_bad_ones_are_refused() {
    let old = sample();
    let bare = served(&old);
    let mut new = old.clone();
    new.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let note = new.checkpoint(Some(NOW));
    let mut cache: Files = new
        .files
        .iter()
        .filter(|(k, _)| k.starts_with("tile/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut r = pinned(&note, old.state.genesis);
    drive(&mut r, &bare, &mut cache.clone()).unwrap();
    assert_eq!(r.state().unwrap().size, 5);
    assert!(r.verified_tiles().any(|(p, _)| p == "tile/0/000.p/5"));
    assert!(r.take_refused().is_empty());
    // The release at entry 4, beyond the mirror: its bundle from the cache too.
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        ..ReleaseRequest::default()
    })
    .unwrap();
    let mut objects = bare.clone();
    for (k, v) in &new.files {
        if k.starts_with("objects/") {
            objects.insert(k.clone(), v.clone());
        }
    }
    drive(&mut r, &objects, &mut cache.clone()).unwrap();
    assert_eq!(r.take_release().unwrap().release.entry, 4);
    // One cached tile corrupted.
    let tile = "tile/0/000.p/5".to_string();
    cache.get_mut(&tile).unwrap()[7] ^= 1;
    let mut r = pinned(&note, old.state.genesis);
    let mut asked = Vec::new();
    let e = loop {
        let needs = r.needs();
        assert!(!needs.is_empty(), "the reader must end with an error");
        let mut err = None;
        for p in needs {
            asked.push(p.clone());
            // A careless host that keeps offering its cached copy.
            let res = match (bare.get(&p), cache.get(&p)) {
                (Some(b), _) => r.provide(&p, Some(b.clone())),
                (None, Some(b)) => r.provide_cached(&p, b.clone()),
                (None, None) => r.provide(&p, None),
            };
            if let Err(e) = res {
                err = Some(e);
                break;
            }
        }
        if let Some(e) = err {
            break e;
        }
    };
    assert_eq!(e.code(), ErrorCode::Stale, "{e}");
    assert!(
        e.message().contains("size 4") && e.message().contains("size 5"),
        "{e}"
    );
    assert_eq!(r.take_refused(), vec![tile.clone()]);
    assert_eq!(asked.iter().filter(|p| **p == tile).count(), 2, "{asked:?}");
    assert!(r.evidence().is_none());
}

/// A lock's entry (its version and tree), a dependency's tree, and the index note only when
/// asked: `want_release_with` reads them in core's order; an edited entry is refused before
/// anything is fetched.
#[test]
fn releases_by_entry_and_tree_with_or_without_the_index() {
    let reg = sample();
    let files = served(&reg);
    let mut r = first_use_reader(&files);
    let rec = reg.state.name("left-pad").unwrap().releases["1.0.0"].clone();
    let req = |version: Option<&str>| ReleaseRequest {
        name: "left-pad".into(),
        version: version.map(str::to_string),
        ..ReleaseRequest::default()
    };
    let by_entry = |entry: u64, index: IndexCheck| ReleaseOptions {
        pick: ReleasePick::Entry {
            entry,
            tree: rec.tree,
        },
        index,
        accept_owner_change: false,
    };
    // The policy has a witness: IfNotWitnessed does not read the index; the entry's tiles
    // and bundle are still held from the replay, so only the objects are needed.
    r.want_release_with(
        req(Some("1.0.0")),
        by_entry(rec.entry, IndexCheck::IfNotWitnessed),
    )
    .unwrap();
    assert_eq!(r.phase(), Phase::Entry);
    let asked = drive(&mut r, &files, &mut Files::new()).unwrap();
    assert!(asked.iter().all(|p| p.starts_with("objects/")), "{asked:?}");
    let got = r.take_release().unwrap();
    assert_eq!(got.release.statement.version, "1.0.0");
    // Always reads the index (in the same round, checked first).
    r.want_release_with(req(Some("1.0.0")), by_entry(rec.entry, IndexCheck::Always))
        .unwrap();
    assert_eq!(r.phase(), Phase::Index);
    assert_eq!(r.needs()[0], "index/left-pad");
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert!(r.take_release().is_some());
    // An edited entry (another release of the name), an entry that is not a release, no
    // version: refused, the reader still ready.
    let e = r
        .want_release_with(req(Some("1.0.0")), by_entry(3, IndexCheck::Never))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::DigestMismatch, "{e}");
    assert!(e.message().contains("left-pad@1.0.0"), "{e}");
    let e = r
        .want_release_with(req(Some("1.0.0")), by_entry(1, IndexCheck::Never))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotInLog, "{e}");
    let e = r
        .want_release_with(req(None), by_entry(rec.entry, IndexCheck::Never))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
    assert_eq!(r.phase(), Phase::Ready);
    // By tree (a dependency's exact pin), and select() names it without reading.
    let by_tree = ReleaseOptions {
        pick: ReleasePick::Tree(rec.tree),
        index: IndexCheck::Never,
        accept_owner_change: false,
    };
    let (v, got) = r.select(&req(None), &by_tree).unwrap();
    assert_eq!((v.as_str(), got.entry), ("1.0.0", rec.entry));
    r.want_release_with(req(None), by_tree).unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.take_release().unwrap().release.entry, rec.entry);
    assert_eq!(
        client::release_by_entry(&reg.state, "left-pad", "1.1.0", 3, &rec.tree)
            .unwrap_err()
            .code(),
        ErrorCode::DigestMismatch
    );
}

/// `--accept-owner-change`: with the pinned owner keys and the change accepted, the release
/// is read and the owners entry named; without acceptance it is refused (KEY_NOT_TRUSTED)
/// with a message saying how to accept it.
#[test]
fn an_accepted_owner_change_is_read_and_named() {
    let mut reg = sample();
    let pinned_keys = vec![key(10).public_key()];
    let e = reg.owners("left-pad", 1, &key(20), &[&key(1), &key(3)]);
    reg.release("left-pad", "2.0.0", 3, &key(20), b"new owner");
    let files = served(&reg);
    let mut r = first_use_reader(&files);
    let req = ReleaseRequest {
        name: "left-pad".into(),
        owner_keys: pinned_keys,
        ..ReleaseRequest::default()
    };
    let err = r
        .want_release_with(req.clone(), ReleaseOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyNotTrusted);
    assert!(
        err.message().contains("--accept-owner-change left-pad"),
        "{err}"
    );
    r.want_release_with(
        req,
        ReleaseOptions {
            accept_owner_change: true,
            ..ReleaseOptions::default()
        },
    )
    .unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    let got = r.take_release().unwrap();
    assert_eq!(got.owners_changed, Some(e));
    assert_eq!(got.release.statement.version, "2.0.0");
    // Without pinned keys nothing is named.
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        ..ReleaseRequest::default()
    })
    .unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.take_release().unwrap().owners_changed, None);
}

/// RR13 with a release's one round (RD21): a corrupted cached entry bundle is refused, named
/// and asked again (then `STALE`: the mirror is behind and the cache has nothing else); an
/// index note refused in the same round does not blame the cached bundle, which is kept.
#[test]
fn a_bad_cached_bundle_of_a_release_is_refused_and_an_index_refusal_keeps_it() {
    let old = sample();
    let bare = served(&old);
    let mut new = old.clone();
    new.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let full = first_use_reader(&served(&new));
    let (note, genesis) = (
        full.checkpoint_note().unwrap().to_string(),
        full.genesis().unwrap(),
    );
    let mut mirror = bare.clone();
    for (k, v) in &new.files {
        if k.starts_with("objects/") {
            mirror.insert(k.clone(), v.clone());
        }
    }
    let cache: Files = new
        .files
        .iter()
        .filter(|(k, _)| k.starts_with("tile/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Resumed at 5: the replay needs no bundle, so the release asks for entry 4's.
    let open = |cache: &mut Files| {
        let mut r = pinned(&note, genesis);
        r.resume(saved_of(&full)).unwrap();
        drive(&mut r, &mirror, cache).unwrap();
        assert_eq!(r.resumed_from(), Some(5));
        r
    };
    let want = |r: &mut Reader| {
        r.want_release(ReleaseRequest {
            name: "left-pad".into(),
            ..ReleaseRequest::default()
        })
        .unwrap()
    };
    let bundle = "tile/entries/000.p/5".to_string();
    let mut good = cache.clone();
    let mut r = open(&mut good);
    want(&mut r);
    assert!(r.needs().contains(&bundle), "{:?}", r.needs());
    drive(&mut r, &mirror, &mut good).unwrap();
    assert_eq!(r.take_release().unwrap().release.entry, 4);
    // Corrupted: refused, removed by the host, asked again, then STALE.
    let mut bad = cache.clone();
    let b = bad.get_mut(&bundle).unwrap();
    let i = b.len() - 3;
    b[i] ^= 1;
    let mut r = open(&mut bad);
    want(&mut r);
    let e = drive(&mut r, &mirror, &mut bad).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Stale, "{e}");
    assert!(!bad.contains_key(&bundle));
    assert_eq!(r.phase(), Phase::Ready);
    // A forged index note in the same round as a good cached bundle: the index is refused,
    // the bundle is not blamed.
    let mut forged = mirror.clone();
    forged.insert("index/left-pad".into(), b"not an index note".to_vec());
    let mut kept = cache.clone();
    let mut r = open(&mut kept);
    want(&mut r);
    let e = drive(&mut r, &forged, &mut kept).unwrap_err();
    assert_ne!(e.code(), ErrorCode::Stale, "{e}");
    assert!(e.message().contains("index/left-pad"), "{e}");
    assert!(kept.contains_key(&bundle));
    assert!(r.take_refused().is_empty());
}
