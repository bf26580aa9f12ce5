//! The per-name saved state (core::state_store, docs/registry.md "Per-name saved state
//! (state6)"): pieces round-trip; a tampered or missing piece is refused or reported; a name
//! that was not loaded is refused, never taken as unclaimed (in an open registry an unclaimed
//! name may be claimed by anyone); only changed pieces are given back; and the reader resumes
//! from a header, asking for the pieces the new entries need (`state/<hex>`), and replays from
//! entry 0 when one is missing or bad.
#![cfg(feature = "sign")]

use std::collections::BTreeMap;

use crate::common::host::{pinned, served, Files, URL};
use crate::common::registry::*;
use omega_core::client::{self, SavedState};
use omega_core::driver::{Phase, Reader, STATE_PIECE_PREFIX};
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::registry::{replay, RegistryState, ReplayOptions, Verification};
use omega_core::state_store::{
    bucket_of, delta_names, piece_hash, reachable_pieces, StatePieces, BUCKETS,
};
use omega_core::statement::{OwnersStatement, Statement};
use omega_core::ErrorCode;

type Store = BTreeMap<[u8; 32], Vec<u8>>;

fn store_of(p: &StatePieces) -> Store {
    p.pieces.iter().cloned().collect()
}

/// A registry with left-pad (2 releases) and `n` more names claimed.
fn reg_with(n: usize) -> Reg {
    let mut reg = sample();
    for i in 0..n {
        reg.owners(&format!("pkg-{i}"), 0, &key(10), &[&key(10)]);
    }
    reg
}

fn all_names(s: &RegistryState) -> Vec<String> {
    s.names.keys().cloned().collect()
}

#[test]
fn pieces_round_trip() {
    let reg = reg_with(40);
    let whole = &reg.state;
    let p = whole.to_pieces().unwrap();
    assert_eq!(p.digest, piece_hash(&p.header));
    assert_eq!(p.digest, client::state_digest(&p.header));
    // 41 records and the distinct buckets (empty ones share one piece).
    assert!(p.pieces.len() > 41 && p.pieces.len() <= 41 + BUCKETS);
    let store = store_of(&p);
    let mut partial = RegistryState::from_header(&p.header).unwrap();
    assert!(partial.is_partial());
    assert!(partial.names.is_empty());
    assert_eq!(partial.size, whole.size);
    assert_eq!(partial.origin, whole.origin);
    assert_eq!(partial.janitors, whole.janitors);
    let names = all_names(whole);
    let missing = partial
        .load_names(names.iter().map(String::as_str), &store)
        .unwrap();
    assert!(missing.is_empty());
    assert_eq!(partial.names, whole.names);
    // Nothing changed: the same digest, no piece to write.
    let again = partial.to_pieces().unwrap();
    assert_eq!(again.digest, p.digest);
    assert!(again.pieces.is_empty());
    // Deterministic: the whole state gives the same bytes again.
    assert_eq!(whole.to_pieces().unwrap(), p);
}

/// What a header reaches is exactly the pieces of its state (buckets and the records they
/// list); a bucket the store lacks is listed without its records; a tampered bucket is an
/// error (a host then collects nothing).
#[test]
fn reachable_pieces_are_the_states_pieces() {
    let reg = reg_with(40);
    let p = reg.state.to_pieces().unwrap();
    let store = store_of(&p);
    let all: std::collections::BTreeSet<[u8; 32]> = store.keys().copied().collect();
    assert_eq!(reachable_pieces(&p.header, &store).unwrap(), all);
    // left-pad's bucket gone: still listed, its records (left-pad's among them) are not.
    let lp_bucket = p
        .pieces
        .iter()
        .find(|(_, b)| {
            b.starts_with(b"{\"omega-state-bucket\"") && b.windows(10).any(|w| w == b"\"left-pad\"")
        })
        .map(|(h, _)| *h)
        .unwrap();
    let mut without = store.clone();
    without.remove(&lp_bucket);
    let reached = reachable_pieces(&p.header, &without).unwrap();
    assert!(reached.contains(&lp_bucket));
    assert!(reached.len() < all.len());
    // The same bucket replaced by other bytes under its hash: refused.
    let mut tampered = store.clone();
    tampered.insert(
        lp_bucket,
        b"{\"omega-state-bucket\":1,\"names\":{}}".to_vec(),
    );
    let e = reachable_pieces(&p.header, &tampered).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DigestMismatch, "{e}");
    // Not a header: refused.
    assert!(reachable_pieces(b"{}", &store).is_err());
}

#[test]
fn fail_tampered_piece() {
    let reg = reg_with(3);
    let p = reg.state.to_pieces().unwrap();
    let mut partial = RegistryState::from_header(&p.header).unwrap();
    // left-pad's bucket, then its record, each replaced by other bytes under the same hash.
    let mut store = store_of(&p);
    let mut probe = partial.clone();
    let missing = probe.load_names(["left-pad"], &Store::new()).unwrap();
    let bucket = missing[0];
    store.insert(
        bucket,
        b"{\"omega-state-bucket\":1,\"names\":{}}\n".to_vec(),
    );
    let e = partial.load_names(["left-pad"], &store).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DigestMismatch, "{e}");
    let mut store = store_of(&p);
    let mut probe = RegistryState::from_header(&p.header).unwrap();
    let mut only_bucket = Store::new();
    only_bucket.insert(bucket, store[&bucket].clone());
    let record = probe.load_names(["left-pad"], &only_bucket).unwrap()[0];
    let mut bytes = store[&record].clone();
    let at = bytes.len() - 3;
    bytes[at] ^= 1;
    store.insert(record, bytes);
    let mut partial = RegistryState::from_header(&p.header).unwrap();
    let e = partial.load_names(["left-pad"], &store).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DigestMismatch, "{e}");
    // A tampered header is another digest (the host's lookup by the lock's digest misses);
    // one with a wrong bucket count, an unknown field or trailing data is refused.
    let text = String::from_utf8(p.header.clone()).unwrap();
    let at = text.find("\"buckets\":[").unwrap() + "\"buckets\":[".len();
    let cut = format!("{}{}", &text[..at], &text[at + 67..]);
    assert_eq!(
        RegistryState::from_header(cut.as_bytes())
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    let extra = text.replacen("\"size\":", "\"x\":1,\"size\":", 1);
    assert_eq!(
        RegistryState::from_header(extra.as_bytes())
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    let mut trailing = p.header.clone();
    trailing.extend_from_slice(b"{}");
    assert!(RegistryState::from_header(&trailing).is_err());
    let v2 = text.replacen("\"omega-state-header\":1", "\"omega-state-header\":2", 1);
    assert_eq!(
        RegistryState::from_header(v2.as_bytes())
            .unwrap_err()
            .code(),
        ErrorCode::UnsupportedVersion
    );
    // The whole form is not a header, nor the header a whole state.
    assert!(RegistryState::from_header(&reg.state.to_json_bytes()).is_err());
    assert!(RegistryState::parse(&p.header).is_err());
}

#[test]
fn missing_piece_is_reported_and_loads_once_given() {
    let reg = reg_with(3);
    let p = reg.state.to_pieces().unwrap();
    let store = store_of(&p);
    let mut partial = RegistryState::from_header(&p.header).unwrap();
    let empty = Store::new();
    // First the bucket is asked for, then (once given) the record.
    let m1 = partial.load_names(["left-pad"], &empty).unwrap();
    assert_eq!(m1.len(), 1);
    assert!(!partial.is_loaded("left-pad"));
    let mut some = Store::new();
    some.insert(m1[0], store[&m1[0]].clone());
    let m2 = partial.load_names(["left-pad"], &some).unwrap();
    assert_eq!(m2.len(), 1);
    assert_ne!(m2[0], m1[0]);
    assert!(!partial.is_loaded("left-pad"));
    assert_eq!(
        partial.try_name("left-pad").unwrap_err().code(),
        ErrorCode::Malformed
    );
    some.insert(m2[0], store[&m2[0]].clone());
    assert!(partial.load_names(["left-pad"], &some).unwrap().is_empty());
    assert_eq!(
        partial.try_name("left-pad").unwrap(),
        reg.state.name("left-pad")
    );
}

/// The security property: on a state opened from its header, a name that was not loaded is
/// refused (`MALFORMED`), not answered "absent". In an open registry an absent name is
/// unclaimed, so a wrong "absent" would let anyone's first claim take an owned name.
#[test]
fn fail_name_not_loaded_is_refused_not_unclaimed() {
    let mut reg = sample();
    let p = reg.state.to_pieces().unwrap();
    let store = store_of(&p);
    // An attacker's first-come claim of the owned left-pad, signed by its own key.
    let claim = Statement::Owners(OwnersStatement {
        origin: ORIGIN.into(),
        name: "left-pad".into(),
        serial: 0,
        keys: ks(1, &[&key(66)], &[]),
        reason: "mine".into(),
    });
    reg.push_unchecked(&claim, &[&key(66)]);
    let attack = reg.entries.last().unwrap().clone();
    let opts = ReplayOptions::default();
    // The whole state refuses it: left-pad is owned.
    let whole = replay(Some(reg.state.clone()), [attack.as_slice()], opts);
    assert!(whole.first_invalid().is_some());
    // Opened from its header without left-pad: refused too (not loaded), never applied.
    let partial = RegistryState::from_header(&p.header).unwrap();
    for verification in [
        Verification::OneByOne,
        Verification::Batch,
        Verification::Prechecked,
    ] {
        let r = replay(
            Some(partial.clone()),
            [attack.as_slice()],
            ReplayOptions {
                verification,
                ..Default::default()
            },
        );
        let (_, e) = r.first_invalid().expect("the claim must be refused");
        assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
        assert!(e.message().contains("not loaded"), "{e}");
    }
    // The client's lookups refuse as well, rather than "not in the log".
    assert_eq!(
        client::choose_release(&partial, "left-pad", None, false)
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        client::checked_advisories(&partial, "left-pad", "1.0.0", 1, &[])
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    // With left-pad loaded the verdict is the whole state's.
    let mut loaded = partial.clone();
    assert!(loaded.load_names(["left-pad"], &store).unwrap().is_empty());
    let r = replay(Some(loaded), [attack.as_slice()], opts);
    assert_eq!(
        r.first_invalid().map(|(_, e)| e.code()),
        whole.first_invalid().map(|(_, e)| e.code())
    );
    // A name whose bucket is loaded and does not list it is known unclaimed.
    let mut other = partial;
    let absent = (0..10_000)
        .map(|i| format!("absent-{i}"))
        .find(|n| bucket_of(n) == bucket_of("left-pad"))
        .unwrap();
    assert!(other.load_names(["left-pad"], &store).unwrap().is_empty());
    assert_eq!(other.try_name(&absent).unwrap(), None);
}

/// Replaying onto a state opened from its header gives back only the changed name's record
/// and its bucket, and the same digest as the whole replay.
#[test]
fn only_changed_pieces_are_given_back() {
    let mut reg = reg_with(30);
    let p = reg.state.to_pieces().unwrap();
    let store = store_of(&p);
    let before = reg.entries.len();
    reg.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let new: Vec<&[u8]> = reg.entries[before..].iter().map(Vec::as_slice).collect();
    let mut partial = RegistryState::from_header(&p.header).unwrap();
    assert!(partial.load_names(["left-pad"], &store).unwrap().is_empty());
    let after = replay(Some(partial), new.iter().copied(), ReplayOptions::default())
        .into_result()
        .unwrap();
    let q = after.to_pieces().unwrap();
    assert_eq!(q.digest, reg.state.to_pieces().unwrap().digest);
    assert_eq!(q.pieces.len(), 2, "a record and its bucket");
    assert_ne!(q.digest, p.digest);
}

/// The names a delta touches, read from unverified bundles.
#[test]
fn delta_names_lists_the_new_entries_names() {
    let mut reg = reg_with(2);
    let from = reg.entries.len() as u64;
    reg.owners("fresh", 0, &key(11), &[&key(11)]);
    reg.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let size = reg.entries.len() as u64;
    let names = delta_names(from, size, &reg.files).unwrap();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec!["fresh".to_string(), "left-pad".to_string()]
    );
    assert!(delta_names(size, size, &reg.files).unwrap().is_empty());
}

// ---- the reader, resumed from a header ----

/// The host loop: registry paths from `files`, `state/<hex>` from `store`. Returns the state
/// pieces asked for.
fn drive(r: &mut Reader, files: &Files, store: &Store) -> Result<Vec<String>, omega_core::Error> {
    let mut pieces = Vec::new();
    loop {
        let needs = r.needs();
        if needs.is_empty() {
            return Ok(pieces);
        }
        for p in needs {
            let bytes = match p.strip_prefix(STATE_PIECE_PREFIX) {
                Some(hex) => {
                    pieces.push(p.clone());
                    store.get(&parse_hex32(hex, "piece").unwrap()).cloned()
                }
                None => files.get(&p).cloned(),
            };
            r.provide(&p, bytes)?;
        }
    }
}

fn open_first(files: &Files) -> Reader {
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    drive(&mut r, files, &Store::new()).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    r
}

/// A reader resumed from a header asks for the pieces of the names the new entries touch
/// (bucket, then record), replays them, and ends with the whole replay's state; the lock's
/// other names load from the store afterwards; a missing or bad piece means a replay from
/// entry 0, said by `resume_refused`.
#[test]
fn reader_resumes_from_a_header_and_loads_pieces_on_demand() {
    let mut reg = reg_with(20);
    let first = open_first(&served(&reg));
    let (state, root) = first.state_to_save().unwrap();
    let p = state.to_pieces().unwrap();
    let store = store_of(&p);
    let note = first.checkpoint_note().unwrap().to_string();
    let genesis = first.genesis().unwrap();
    reg.release("left-pad", "1.2.0", 3, &key(10), b"three");
    let files = served(&reg);
    let whole = open_first(&files);
    let saved = || SavedState {
        state: RegistryState::from_header(&p.header).unwrap(),
        root,
    };

    let mut r = pinned(&note, genesis);
    r.resume(saved()).unwrap();
    let asked = drive(&mut r, &files, &store).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    assert!(r.resume_refused().is_none(), "{:?}", r.resume_refused());
    assert_eq!(r.resumed_from(), Some(p_size(&p)));
    assert_eq!(asked.len(), 2, "left-pad's bucket and record: {asked:?}");
    let s = r.state().unwrap();
    assert!(s.is_partial());
    assert_eq!(
        s.to_pieces().unwrap().digest,
        whole.state().unwrap().to_pieces().unwrap().digest
    );
    // Not loaded: the reader refuses rather than says "not in the log".
    assert_eq!(
        r.notices("pkg-3", None).unwrap_err().code(),
        ErrorCode::Malformed
    );
    r.load_names(&["pkg-3"], &store).unwrap();
    assert_eq!(r.notices("pkg-3", None).unwrap(), vec![]);
    assert_eq!(
        r.load_names(&["pkg-4"], &Store::new()).unwrap_err().code(),
        ErrorCode::NotFound
    );

    // A piece the host lacks: replayed from entry 0.
    let mut partial_store = store.clone();
    partial_store.retain(|h, _| {
        !asked.iter().any(|a| a.ends_with(&to_hex(h))) || asked[0].ends_with(&to_hex(h))
    });
    let mut r = pinned(&note, genesis);
    r.resume(saved()).unwrap();
    drive(&mut r, &files, &partial_store).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    assert_eq!(r.resumed_from(), None);
    assert_eq!(
        r.resume_refused().map(|e| e.code()),
        Some(ErrorCode::NotFound)
    );
    assert!(!r.state().unwrap().is_partial());
    assert_eq!(r.state().unwrap(), whole.state().unwrap());

    // A piece that does not hash to its name: replayed from entry 0.
    let mut bad_store = store.clone();
    for v in bad_store.values_mut() {
        v.push(b' ');
    }
    let mut r = pinned(&note, genesis);
    r.resume(saved()).unwrap();
    drive(&mut r, &files, &bad_store).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    assert_eq!(r.resumed_from(), None);
    assert_eq!(
        r.resume_refused().map(|e| e.code()),
        Some(ErrorCode::DigestMismatch)
    );
    assert_eq!(r.state().unwrap(), whole.state().unwrap());
}

/// The attack of `fail_name_not_loaded_is_refused_not_unclaimed` through the reader: the
/// claim's name is loaded from the pieces (the delta hint) and the claim refused, as by a
/// whole replay; the registry is not trusted.
#[test]
fn fail_reader_refuses_a_claim_of_an_owned_name_after_a_header() {
    let mut reg = reg_with(5);
    let first = open_first(&served(&reg));
    let (state, root) = first.state_to_save().unwrap();
    let p = state.to_pieces().unwrap();
    let store = store_of(&p);
    let note = first.checkpoint_note().unwrap().to_string();
    let genesis = first.genesis().unwrap();
    reg.push_unchecked(
        &Statement::Owners(OwnersStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            serial: 0,
            keys: ks(1, &[&key(66)], &[]),
            reason: "mine".into(),
        }),
        &[&key(66)],
    );
    let mut files = reg.files.clone();
    files.insert("checkpoint".into(), reg.checkpoint(Some(NOW)).into_bytes());
    let mut r = pinned(&note, genesis);
    r.resume(SavedState {
        state: RegistryState::from_header(&p.header).unwrap(),
        root,
    })
    .unwrap();
    let e = drive(&mut r, &files, &store).unwrap_err();
    assert_eq!(r.phase(), Phase::Failed);
    assert_ne!(e.code(), ErrorCode::Malformed, "{e}");
    assert!(e.message().contains("entry 9"), "{e}");
}

fn p_size(p: &StatePieces) -> u64 {
    RegistryState::from_header(&p.header).unwrap().size
}
