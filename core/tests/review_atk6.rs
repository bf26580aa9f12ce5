//! Session 6 adversarial review (atk6) of core's reader as `omega install` drives it
//! (core::driver: `hold`, `resume`, `provide_cached`/`take_refused`, the one-round release
//! read): `finding_*` tests perform an attack the code let through before its fix (threat
//! model, "Session 6 review (atk6)"); `held_*` tests perform attacks the code already refused
//! and guard the rule.
#![cfg(feature = "sign")]

use crate::common::host::*;
use crate::common::registry::*;
use omega_core::client::SavedState;
use omega_core::driver::{Phase, ReleaseRequest};
use omega_core::{Error, ErrorCode};

/// Its tiles and bundles: what a user cache holds after a run against it.
fn tiles_of(reg: &Reg) -> Files {
    reg.files
        .iter()
        .filter(|(k, _)| k.starts_with("tile/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An honest log of 6 entries (the user's cache and lock hold its checkpoint and tiles) and a
/// fork of it at 5 entries (the same first 4, another entry 4), signed by the same log key and
/// cosigned: a split view served by a mirror that looks merely behind.
/// Also returns the log at 4 entries they share.
fn honest_and_fork() -> (Reg, Reg, Reg) {
    let base = sample();
    let mut honest = base.clone();
    honest.release("left-pad", "1.2.0", 3, &key(10), b"three");
    honest.release("left-pad", "1.3.0", 4, &key(10), b"four");
    let mut fork = base.clone();
    fork.release("left-pad", "1.2.0", 3, &key(10), b"evil");
    assert_eq!((honest.state.size, fork.state.size), (6, 5));
    (base, honest, fork)
}

/// AT1: a split view (a fork at 5 entries of the log the user holds at 6) served by a mirror
/// that lacks the tiles of 6; the user cache has them (genuine: they hash to the held signed
/// root). The consistency proof 5 → 6 built from them fails: that is proof of the fork. Before
/// the fix the reader blamed the cached tiles for it (RR13's retry): it dropped them, told the
/// host to delete them, forgot the evidence and ended `STALE` ("use an up-to-date source"), so
/// the fork went unreported and the user's copy of the honest tree was deleted. It must be
/// `LOG_INCONSISTENT`, final, with the evidence, and the genuine cached tiles kept. Both with
/// the lock's checkpoint and with the user cache's (`hold`).
#[test]
fn finding_a_fork_proven_by_genuine_cached_tiles_is_log_inconsistent_not_stale() {
    let (base, honest, fork) = honest_and_fork();
    let held = honest.checkpoint(Some(NOW));
    let mirror = served(&fork);
    assert!(!mirror.contains_key("tile/0/000.p/6"));
    // The lock pins 6.
    let mut cache = tiles_of(&honest);
    let mut r = pinned(&held, honest.state.genesis);
    let e = drive(&mut r, &mirror, &mut cache).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent, "{e}");
    assert_eq!(r.phase(), Phase::Failed);
    let evidence = r.evidence().expect("the evidence of the fork");
    assert!(evidence.contains(&held), "{evidence}");
    assert!(evidence.contains(&fork.checkpoint(Some(NOW))), "{evidence}");
    assert!(r.take_refused().is_empty());
    assert_eq!(
        cache,
        tiles_of(&honest),
        "genuine cached tiles were deleted"
    );
    // The lock pins 4 (before the fork); the user cache holds 6.
    let lock_note = base.checkpoint(Some(NOW));
    let mut cache = tiles_of(&honest);
    let mut r = pinned(&lock_note, honest.state.genesis);
    r.hold(held.as_bytes()).unwrap();
    let e = drive(&mut r, &mirror, &mut cache).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LogInconsistent, "{e}");
    assert!(r.evidence().unwrap().contains(&held));
    assert_eq!(cache, tiles_of(&honest));
}

/// RR13 still holds where the cached bytes are to blame: a corrupted cached tile (it does not
/// hash to the held root) against the same fork mirror is dropped, named and the open ends
/// `STALE` (no false `LOG_INCONSISTENT`), as before the fix.
#[test]
fn held_a_corrupted_cached_tile_against_a_stale_mirror_is_still_dropped() {
    let (_, honest, fork) = honest_and_fork();
    let held = honest.checkpoint(Some(NOW));
    let mirror = served(&fork);
    let mut cache = tiles_of(&honest);
    cache.get_mut("tile/0/000.p/6").unwrap()[3] ^= 1;
    let mut r = pinned(&held, honest.state.genesis);
    let e = drive(&mut r, &mirror, &mut cache).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Stale, "{e}");
    assert!(r.evidence().is_none());
    assert!(!cache.contains_key("tile/0/000.p/6"));
}

/// AT2: a user-cache file longer than the reader's cap for its path (a tampered cache, or a
/// host that reads its cache without the cap). Before the fix the reader failed for good
/// (`TOO_LARGE`, the open ended) and never named the file, so a host deleting what the reader
/// names kept it and failed the same way on every run. Bytes from the cache that fail any
/// check are dropped, named, and the path is taken as not in the cache (RR13): here the
/// stale mirror then lacks it too, so `STALE`, and the file is deleted.
#[test]
fn finding_an_oversized_cached_tile_is_named_and_dropped_not_a_final_too_large() {
    let old = sample();
    let bare = served(&old);
    let mut new = old.clone();
    new.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let note = new.checkpoint(Some(NOW));
    let tile = "tile/0/000.p/5".to_string();
    let mut cache = tiles_of(&new);
    cache.get_mut(&tile).unwrap().push(0);
    let mut r = pinned(&note, old.state.genesis);
    let e = drive(&mut r, &bare, &mut cache).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Stale, "{e}");
    assert!(
        !cache.contains_key(&tile),
        "the oversized file was not named"
    );
    // A second reader refuses it at once (no check run) and names it.
    let mut again = tiles_of(&new);
    again.get_mut(&tile).unwrap().push(0);
    let mut r = pinned(&note, old.state.genesis);
    r.provide("checkpoint", bare.get("checkpoint").cloned())
        .unwrap();
    assert!(r.needs().contains(&tile), "{:?}", r.needs());
    let _ = r.provide_cached(&tile, again[&tile].clone());
    assert_eq!(r.take_refused(), vec![tile.clone()]);
    // The good cached copy alone is enough for a second reader.
    let mut good = tiles_of(&new);
    let mut r = pinned(&note, old.state.genesis);
    drive(&mut r, &bare, &mut good).unwrap();
    assert_eq!(r.state().unwrap().size, 5);
}

/// Held: a saved state of another registry (another genesis) is dropped and the log replayed
/// from entry 0 (RR8); an unasked path offered as cached is refused and changes nothing (RD7);
/// a corrupted note given to `hold` is refused by the policy and nothing is held.
#[test]
fn held_foreign_saved_states_unasked_cached_paths_and_bad_held_notes_are_refused() {
    let reg = sample();
    let files = served(&reg);
    let first = first_use_reader(&files);
    let note = first.checkpoint_note().unwrap().to_string();
    let genesis = first.genesis().unwrap();
    let (state, root) = first.state_to_save().unwrap();
    let mut foreign = SavedState {
        state: state.clone(),
        root,
    };
    foreign.state.genesis = [9; 32];
    let mut r = pinned(&note, genesis);
    r.resume(foreign).unwrap();
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.resumed_from(), None);
    assert_eq!(
        r.resume_refused().map(Error::code),
        Some(ErrorCode::LogInconsistent)
    );
    assert_eq!(
        r.state().unwrap().to_json_bytes(),
        first.state().unwrap().to_json_bytes()
    );
    // An unasked path offered from the cache.
    let mut r = pinned(&note, genesis);
    let e = r
        .provide_cached("tile/0/000.p/4", files["tile/0/000.p/4"].clone())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
    assert_eq!(r.phase(), Phase::Checkpoint);
    assert!(r.take_refused().is_empty());
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    // A corrupted checkpoint note (its log signature fails): nothing is held.
    let mut r = pinned(&note, genesis);
    let mut other = note.clone().into_bytes();
    let i = other.len() - 5;
    other[i] ^= 1;
    assert!(r.hold(&other).is_err());
    drive(&mut r, &files, &mut Files::new()).unwrap();
    assert_eq!(r.checkpoint_note(), Some(note.as_str()));
}

/// Held (RD21): in a release's one round, a tampered tarball and a forged index note together
/// are reported as the index note's refusal (the first check), and the reader stays usable.
#[test]
fn held_one_round_release_reports_the_index_before_the_objects() {
    let reg = sample();
    let mut files = served(&reg);
    let mut r = first_use_reader(&files);
    let rec = reg.state.name("left-pad").unwrap().releases["1.1.0"].clone();
    let tgz = omega_core::client::object_path(&rec.tgz);
    files.get_mut(&tgz).unwrap()[0] ^= 1;
    files.insert("index/left-pad".into(), b"forged".to_vec());
    r.want_release(ReleaseRequest {
        name: "left-pad".into(),
        ..ReleaseRequest::default()
    })
    .unwrap();
    let e = drive(&mut r, &files, &mut Files::new()).unwrap_err();
    assert!(e.message().contains("index/left-pad"), "{e}");
    assert_eq!(r.phase(), Phase::Ready);
    assert!(r.take_release().is_none());
}

/// AT3: `WindowedReplay` (a host that must not hold the whole log replays window by window)
/// lost its state when a window held an invalid entry, and a second `feed` of that window — a
/// host retrying a window from another mirror, as it may for a window whose files are missing
/// or do not prove — replayed it from no state: its first entry became the genesis. A log
/// (the registry, holding the log key) that puts a self-signed registry statement of serial 0
/// at entry 256, with its own janitors, then claims `left-pad` with its own key, got that
/// state accepted by `finish` (same origin and log key), `left-pad` owned by the attacker and
/// 256 entries gone. After an invalid entry, `feed` and `finish` give that entry's error
/// again.
#[test]
fn finding_a_windowed_replay_fed_again_after_an_invalid_entry_does_not_restart_there() {
    use omega_core::client::WindowedReplay;
    use omega_core::note;
    use omega_core::statement::{Mode, OwnersStatement, RegistryStatement, Statement};
    use omega_core::vkey::Vkey;

    let mut reg = Reg::new();
    reg.owners("left-pad", 0, &key(10), &[&key(10)]);
    for i in 0..254 {
        reg.owners(&format!("pkg-{i}"), 0, &key(10), &[&key(10)]);
    }
    assert_eq!(reg.state.size, 256);
    let fake = Statement::Registry(RegistryStatement {
        origin: ORIGIN.into(),
        serial: 0,
        janitors: ks(1, &[&key(20)], &[]),
        log_key: note::signer_vkey(ORIGIN, &log_key()).unwrap(),
        index_key: Vkey::ed25519(INDEX, *index_key().public_key().as_bytes()).unwrap(),
        mode: Mode::Open,
    });
    reg.push_unchecked(&fake, &[&key(20)]);
    reg.push_unchecked(
        &Statement::Owners(OwnersStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            serial: 0,
            keys: ks(1, &[&key(20)], &[]),
            reason: "mine now".into(),
        }),
        &[&key(20)],
    );
    let v = first_use()
        .verify_checkpoint(reg.checkpoint(Some(NOW)).as_bytes(), Some(NOW))
        .unwrap();
    assert_eq!(v.checkpoint.size, 258);
    let g = reg.state.genesis;
    // One by one, at once: entry 256 stops the replay.
    let once = omega_core::client::replay_to(None, Some(&g), &v.checkpoint, &v.log_key, &reg.files)
        .unwrap_err();
    assert!(once.message().contains("entry 256"), "{once}");
    let mut r = WindowedReplay::new(None, Some(&g), &v.checkpoint)
        .unwrap()
        .with_window(1);
    r.feed(&reg.files).unwrap();
    let e = r.feed(&reg.files).unwrap_err();
    assert_eq!(e.code(), once.code(), "{e}");
    // Fed again (a retry): the same refusal, never a state from entry 256 on.
    let again = r.feed(&reg.files);
    assert_eq!(again.as_ref().map_err(Error::code), Err(once.code()));
    let end = r.finish(&v.log_key);
    assert_eq!(
        end.as_ref().map(|s| s.size).map_err(Error::code),
        Err(once.code()),
        "a state from the fake genesis was accepted"
    );
}
