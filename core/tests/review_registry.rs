//! Adversarial review of the registry modules (vkey, note, checkpoint, policy, index, merkle,
//! tiles, bundle, statement, entry, registry, lock v2). Each test states the behaviour
//! REGISTRY.md or the module docs require; tests named `finding_*` demonstrate a finding
//! (fixed in the same commit, or `#[ignore]`d with the fix described), tests named `held_*`
//! record an attack that was tried and is refused.
#![cfg(feature = "sign")]

use std::collections::BTreeMap;

use omega_core::checkpoint::Checkpoint;
use omega_core::entry::Entry;
use omega_core::manifest::KeySet;
use omega_core::merkle::{self, leaf_hash};
use omega_core::note::{self, sign_ed25519, Note};
use omega_core::policy::Policy;
use omega_core::registry::RegistryState;
use omega_core::secret::SecretKey;
use omega_core::statement::{Mode, OwnersStatement, RegistryStatement, Statement, YankStatement};
use omega_core::tiles::{self, Publisher, TileHashes, TilePath};
use omega_core::vkey::Vkey;
use omega_core::{ErrorCode, KeyId};

const ORIGIN: &str = "registry.example/log";

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, n]))
}

fn ks(threshold: u32, signers: &[&SecretKey]) -> KeySet {
    KeySet {
        threshold,
        signers: signers.iter().map(|k| k.public_key()).collect(),
        next: vec![],
    }
}

fn genesis(janitors: KeySet, by: &[&SecretKey]) -> Vec<u8> {
    let st = Statement::Registry(RegistryStatement {
        origin: ORIGIN.into(),
        serial: 0,
        janitors,
        log_key: Vkey::ed25519(ORIGIN, *key(200).public_key().as_bytes()).unwrap(),
        index_key: Vkey::ed25519("registry.example/index", *key(201).public_key().as_bytes())
            .unwrap(),
        mode: Mode::Open,
    });
    Entry::sign(&st, by, "omega-entry/v1").unwrap().to_bytes()
}

// ---- notes ----

const C2SP: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

#[test]
fn held_note_base64_with_nonzero_unused_bits_is_refused() {
    // 68 bytes: the last character before '=' carries 2 unused bits. 'M' -> 'N' sets one.
    let bad = C2SP.replace("yaQM=", "yaQN=");
    assert_eq!(
        Note::parse(bad.as_bytes()).unwrap_err().code(),
        ErrorCode::Malformed
    );
    let unpadded = C2SP.replace("yaQM=", "yaQM");
    assert_eq!(
        Note::parse(unpadded.as_bytes()).unwrap_err().code(),
        ErrorCode::Malformed
    );
}

#[test]
fn held_note_text_is_what_the_signature_covers() {
    // A second empty line inside the signature block moves the split: the first "signature"
    // becomes text, and the signature no longer verifies over it.
    let k = key(1);
    let v = note::signer_vkey("log.example", &k).unwrap();
    let text = "log.example\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    let sig = sign_ed25519(text, "log.example", &k).unwrap();
    let good = format!("{text}\n{}", sig.to_line());
    let (n, _) = note::open(good.as_bytes(), std::slice::from_ref(&v)).unwrap();
    assert_eq!(n.text(), text);
    assert_eq!(n.to_text(), good);
    let smuggled = format!("{text}\n{}\n{}", sig.to_line(), sig.to_line());
    let n2 = Note::parse(smuggled.as_bytes()).unwrap();
    assert_ne!(n2.text(), text);
    assert_eq!(
        note::verify(&n2, std::slice::from_ref(&v))
            .unwrap_err()
            .code(),
        ErrorCode::SignatureInvalid
    );
}

// ---- merkle and tiles at the edges of u64 ----

#[test]
fn held_merkle_and_tile_math_near_u64_max_does_not_panic() {
    let max = u64::MAX;
    for (i, n) in [(max - 1, max), (0, max), (max >> 1, max), (1 << 63, max)] {
        let len = merkle::inclusion_proof_len(i, n).unwrap();
        assert!(len <= 128);
        let proof = vec![[0u8; 32]; len];
        assert!(merkle::verify_inclusion(i, n, &[1; 32], &proof, &[2; 32]).is_err());
        let coords = merkle::inclusion_proof_coords(i, n).unwrap();
        assert!(coords.len() <= 2 * 64);
        let tiles = tiles::tiles_for_inclusion(i, n).unwrap();
        assert!(tiles.len() <= 2 * 8 + 2, "{}", tiles.len());
    }
    for (m, n) in [(max - 1, max), (1, max), (1 << 63, max), (max, max)] {
        let len = merkle::consistency_proof_len(m, n).unwrap();
        let proof = vec![[0u8; 32]; len];
        let _ = merkle::verify_consistency(m, n, &[1; 32], &[2; 32], &proof);
        let _ = tiles::tiles_for_consistency(m, n).unwrap();
    }
    assert!(tiles::tile_for_hash(max, 63, 0).is_ok());
    assert!(tiles::tile_for_hash(max, 63, 1).is_err());
    assert!(tiles::tile_for_hash(max, 64, 0).is_err());
    assert!(tiles::tile_for_hash(max, 255, 0).is_err());
    let empty: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    assert_eq!(
        TileHashes::verify(max, &[0; 32], &empty)
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert!(tiles::bundle_for_entry(max - 1, max).is_ok());
    for index in [0, 999, 1000, 1_234_067, max] {
        for w in [1u16, 255, 256] {
            let p = TilePath::hashes(3, index, w).unwrap();
            assert_eq!(TilePath::parse(&p.to_string()).unwrap(), p);
            let e = TilePath::entries(index, w).unwrap();
            assert_eq!(TilePath::parse(&e.to_string()).unwrap(), e);
        }
    }
    for bad in [
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x000/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/01",
        "tile/64/001",
        "tile/0/01",
        "tile/0/001/",
        "tile/entries/x001/.p/3",
    ] {
        assert!(TilePath::parse(bad).is_err(), "{bad}");
    }
    for i in [0u64, 1, 2, 255, 256, 1 << 40, max >> 2] {
        for level in 0..8u8 {
            if let Some(idx) = merkle::stored_hash_index(level, i) {
                assert_eq!(merkle::split_stored_hash_index(idx), Some((level, i)));
            }
        }
    }
}

#[test]
fn held_tiles_from_another_tree_do_not_verify() {
    let mut a = Publisher::new();
    let entries: Vec<Vec<u8>> = (0..600u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let app = a.append(&entries).unwrap();
    let served: BTreeMap<String, Vec<u8>> = app
        .files
        .iter()
        .map(|f| (f.path.to_string(), f.bytes.clone()))
        .collect();
    // The same tiles against the root of a tree of another size (a prefix) do not verify.
    let mut b = Publisher::new();
    let app_b = b.append(&entries[..599]).unwrap();
    assert!(TileHashes::verify(600, &app_b.root, &served).is_err());
    assert!(TileHashes::verify(599, &app_b.root, &served).is_err());
    // Entry bundle: the entry read is the one the root commits to.
    for i in [0u64, 255, 256, 511, 512, 599] {
        let e = tiles::read_entry(i, 600, &app.root, &served).unwrap();
        assert_eq!(e, entries[i as usize]);
        let (leaf, _) = tiles::prove_inclusion(i, 600, &app.root, &served).unwrap();
        assert_eq!(leaf, leaf_hash(&entries[i as usize]));
    }
}

// ---- statements ----

#[test]
fn held_statement_with_escaped_version_has_one_byte_form() {
    let st = Statement::Yank(YankStatement {
        origin: ORIGIN.into(),
        name: "left-pad".into(),
        version: "1.0.0\"\\x".into(),
        sequence: 1,
        reason: "r".into(),
    });
    let b = st.to_bytes();
    assert_eq!(Statement::parse(&b).unwrap(), st);
    let alt = String::from_utf8(b.clone())
        .unwrap()
        .replace("1.0.0\\\"", "1.0.0\\u0022");
    assert_ne!(alt.as_bytes(), &b[..]);
    assert!(Statement::parse(alt.as_bytes()).is_err());
}

// ---- saved registry state ----

#[test]
fn finding_state_json_missing_optional_field_is_refused() {
    let j = key(1);
    let g = genesis(ks(1, &[&j]), &[&j]);
    let mut st = RegistryState::genesis(&g).unwrap();
    let o = Statement::Owners(OwnersStatement {
        origin: ORIGIN.into(),
        name: "left-pad".into(),
        serial: 0,
        keys: ks(1, &[&key(10)]),
        reason: String::new(),
    });
    st.apply(&Entry::sign(&o, &[&key(10)], "c").unwrap().to_bytes())
        .unwrap();
    let json = String::from_utf8(st.to_json_bytes()).unwrap();
    assert!(json.contains("\"last_sequence\":null,"), "{json}");
    assert_eq!(RegistryState::parse(json.as_bytes()).unwrap(), st);
    let missing = json.replace("\"last_sequence\":null,", "");
    assert_eq!(
        RegistryState::parse(missing.as_bytes())
            .map(|_| ())
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
}

// ---- mutation harness: every parser on mutated seeds, with its round-trip rule ----

mod mutate {
    use proptest::prelude::*;

    pub fn seeds(dir: &str) -> Vec<Vec<u8>> {
        let d = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/").to_string() + dir;
        let mut out: Vec<Vec<u8>> = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{d}: {e}"))
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        out.sort();
        assert!(!out.is_empty(), "no seeds in {d}");
        out
    }

    #[derive(Clone, Debug)]
    pub enum Op {
        Flip(usize, u8),
        Insert(usize, u8),
        Delete(usize),
        Dup(usize, usize),
        Truncate(usize),
    }

    pub fn ops() -> impl Strategy<Value = Vec<Op>> {
        let interesting = prop_oneof![
            Just(b'\n'),
            Just(b' '),
            Just(b'0'),
            Just(b'9'),
            Just(b'"'),
            Just(b'\\'),
            Just(b'{'),
            Just(b'}'),
            Just(b','),
            Just(b'+'),
            Just(b'='),
            Just(b'x'),
            Just(b'/'),
            Just(b'\t'),
            Just(0xe2),
            any::<u8>(),
        ];
        let op = prop_oneof![
            (any::<usize>(), interesting.clone()).prop_map(|(a, b)| Op::Flip(a, b)),
            (any::<usize>(), interesting).prop_map(|(a, b)| Op::Insert(a, b)),
            any::<usize>().prop_map(Op::Delete),
            (any::<usize>(), 1usize..40).prop_map(|(a, n)| Op::Dup(a, n)),
            any::<usize>().prop_map(Op::Truncate),
        ];
        proptest::collection::vec(op, 1..4)
    }

    pub fn apply(seed: &[u8], ops: &[Op]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for op in ops {
            let n = v.len().max(1);
            match *op {
                Op::Flip(i, b) if !v.is_empty() => v[i % n] = b,
                Op::Insert(i, b) => v.insert(i % (v.len() + 1), b),
                Op::Delete(i) if !v.is_empty() => {
                    v.remove(i % n);
                }
                Op::Dup(i, k) if !v.is_empty() => {
                    let s = i % n;
                    let e = (s + k).min(v.len());
                    let piece = v[s..e].to_vec();
                    let at = e;
                    v.splice(at..at, piece);
                }
                Op::Truncate(i) if !v.is_empty() => v.truncate(i % n),
                _ => {}
            }
        }
        v
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn held_mutated_notes_checkpoints_policies_round_trip(
        which in 0usize..16, ops in mutate::ops()
    ) {
        let notes = mutate::seeds("note");
        let cps = mutate::seeds("checkpoint");
        let pols = mutate::seeds("policy");
        let idx = mutate::seeds("index_note");
        let all: Vec<(u8, Vec<u8>)> = notes.into_iter().map(|s| (0, s))
            .chain(cps.into_iter().map(|s| (1, s)))
            .chain(pols.into_iter().map(|s| (2, s)))
            .chain(idx.into_iter().map(|s| (3, s)))
            .collect();
        let (kind, seed) = &all[which % all.len()];
        let data = mutate::apply(seed, &ops);
        // Every parser on every input: no panic.
        let note = Note::parse(&data);
        if let Ok(n) = &note {
            let t = n.to_text();
            prop_assert_eq!(t.as_bytes(), &data[..]);
            if let Ok(c) = Checkpoint::parse(n.text()) {
                prop_assert_eq!(c.to_text(), n.text());
            }
            if let Ok(i) = omega_core::index::IndexNote::parse(n.text()) {
                prop_assert_eq!(i.to_text(), n.text());
            }
        }
        if let Ok(text) = std::str::from_utf8(&data) {
            if let Ok(c) = Checkpoint::parse(text) {
                prop_assert_eq!(c.to_text(), text);
            }
            if let Ok(p) = Policy::parse(text) {
                let again = Policy::parse(&p.to_text()).unwrap();
                prop_assert_eq!(&again, &p);
            }
            if let Ok(i) = omega_core::index::IndexNote::parse(text) {
                prop_assert_eq!(i.to_text(), text);
            }
            let _ = Vkey::parse(text);
            if let Ok(t) = TilePath::parse(text) {
                prop_assert_eq!(t.to_string(), text);
            }
        }
        let _ = kind;
    }

    #[test]
    fn held_mutated_statements_entries_bundles_locks_round_trip(
        which in 0usize..32, ops in mutate::ops()
    ) {
        let all: Vec<Vec<u8>> = ["statement", "entry", "bundle", "tile", "lock"]
            .iter()
            .flat_map(|d| mutate::seeds(d))
            .collect();
        let seed = &all[which % all.len()];
        let data = mutate::apply(seed, &ops);
        if let Ok(s) = Statement::parse(&data) {
            prop_assert_eq!(s.to_bytes(), data.clone());
        }
        if let Ok(e) = Entry::parse(&data) {
            prop_assert_eq!(e.to_bytes(), data.clone());
            prop_assert_eq!(Statement::parse(&e.statement_bytes).unwrap(), e.statement);
        }
        for w in [1u16, 2, 3, 255, 256] {
            if let Ok(es) = omega_core::bundle::parse_bundle(&data, w) {
                prop_assert_eq!(omega_core::bundle::write_bundle(&es).unwrap(), data.clone());
            }
            let _ = omega_core::bundle::parse_bundle_prefix(&data, w);
        }
        if let Ok(l) = omega_core::lock::Lockfile::parse(&data) {
            let out = l.to_json_bytes();
            prop_assert_eq!(omega_core::lock::Lockfile::parse(&out).unwrap(), l);
        }
        let _ = RegistryState::parse(&data);
    }
}

// ---- lock v2 ----

#[test]
fn finding_registries_member_in_a_version_1_lock_is_refused_even_empty() {
    let tree = "b2tree:5b472f0ad42698f9db8c3aba09c982ce6621e3fa555a707403f1d015b1ae5d65";
    let lock = |v: u8, regs: &str| {
        format!(
            r#"{{"omega-lock": {v}, {regs}"packages": {{"left-pad": {{"version": "1.0.0", "sequence": 0, "tree": "{tree}", "path": "node_modules/left-pad"}}}}}}"#
        )
    };
    assert!(omega_core::Lockfile::parse(lock(1, "").as_bytes()).is_ok());
    assert!(omega_core::Lockfile::parse(lock(2, "").as_bytes()).is_ok());
    // docs/format.md §4.8: `registries` in a version-1 lock is MALFORMED.
    assert_eq!(
        omega_core::Lockfile::parse(lock(1, r#""registries": {}, "#).as_bytes())
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    // Written back as version 2 without the empty member.
    let l = omega_core::Lockfile::parse(lock(2, r#""registries": {}, "#).as_bytes()).unwrap();
    assert!(!String::from_utf8(l.to_json_bytes())
        .unwrap()
        .contains("registries"));
}

// ---- tiles: ranges a hostile checkpoint can ask for ----

#[test]
fn finding_bundle_range_of_a_huge_tree_is_refused_before_allocating() {
    let max = u64::MAX;
    // Without a bound this allocates 2^56 paths (about 1.7 EB) and aborts the process.
    assert_eq!(
        tiles::bundles_for_range(0, max, max).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    assert_eq!(
        tiles::tiles_for_range(0, max, max).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    // A window of MAX_DELTA_SCAN_BUNDLES bundles anywhere in the tree is fine.
    let w = omega_core::limits::MAX_DELTA_SCAN_BUNDLES as u64 * 256;
    assert_eq!(
        tiles::bundles_for_range(max - w + 1, max, max)
            .unwrap()
            .len(),
        omega_core::limits::MAX_DELTA_SCAN_BUNDLES
    );
    assert!(tiles::bundles_for_range(max - w, max, max).is_err());
    assert!(tiles::tiles_for_range(max - w + 1, max, max).is_ok());
}

/// A whole-log replay (first use, `omega log verify`, a binding opening a registry) is not a
/// delta scan: a log of more than 65,536 entries (256 bundles) must open (issue 14's benchmark
/// found every registry of 100,000 entries refused with TOO_LARGE), up to MAX_REPLAY_BUNDLES;
/// beyond that, and for a hostile size, TOO_LARGE before anything is allocated.
#[test]
fn finding_a_log_of_more_than_256_bundles_can_be_replayed() {
    use omega_core::limits::{MAX_DELTA_SCAN_BUNDLES, MAX_REPLAY_BUNDLES};
    let n = 100_000u64;
    assert_eq!(
        tiles::bundles_for_range(0, n, n).unwrap_err().code(),
        ErrorCode::TooLarge,
        "the delta scan keeps its bound"
    );
    let (bundles, tiles_needed) = omega_core::client::replay_paths(0, n).unwrap();
    assert_eq!(bundles.len(), 391);
    assert!(bundles.len() > MAX_DELTA_SCAN_BUNDLES);
    assert!(!tiles_needed.is_empty());
    let (b, _) = omega_core::client::replay_paths(50_000, n).unwrap();
    assert_eq!(b.len(), 391 - 195);
    let most = MAX_REPLAY_BUNDLES as u64 * 256;
    assert_eq!(
        omega_core::client::replay_paths(0, most).unwrap().0.len(),
        MAX_REPLAY_BUNDLES
    );
    for size in [most + 1, u64::MAX] {
        assert_eq!(
            omega_core::client::replay_paths(0, size)
                .unwrap_err()
                .code(),
            ErrorCode::TooLarge,
            "size {size}"
        );
    }
}

// ---- policies: two keys that one signature line cannot tell apart ----

/// Two different 32-byte keys whose cosigner key IDs under `name` collide (a birthday search:
/// about 2^16 tries; a witness that targets one given key needs about 2^32, minutes of CPU).
fn colliding_cosigner_keys(name: &str) -> ([u8; 32], [u8; 32]) {
    let mut seen = std::collections::HashMap::new();
    for i in 0u64.. {
        let mut k = [0x5a; 32];
        k[..8].copy_from_slice(&i.to_le_bytes());
        let id = omega_core::vkey::key_id(name, omega_core::vkey::TYPE_COSIGNATURE_V1, &k);
        if let Some(other) = seen.insert(id, k) {
            return (other, k);
        }
    }
    unreachable!()
}

#[test]
fn finding_policy_refuses_two_keys_with_one_name_and_key_id() {
    let name = "witness.example";
    let (a, b) = colliding_cosigner_keys(name);
    let va = Vkey::cosigner(name, a).unwrap();
    let vb = Vkey::cosigner(name, b).unwrap();
    assert_eq!(va.id(), vb.id());
    assert_ne!(va.key(), vb.key());
    let log = note::signer_vkey(ORIGIN, &key(1)).unwrap();
    let text = format!("log {log}\nwitness honest {va}\nwitness evil {vb}\nquorum honest\n");
    // Accepted today; then every checkpoint carrying the honest witness's cosignature is
    // MALFORMED ("ambiguous key"): the second witness silently disables the first, and with
    // it every update. The policy must be refused when it is read, naming the key.
    let err = Policy::parse(&text).map(|_| ()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Malformed, "{err}");
    assert!(err.message().contains(name), "{err}");
}

// ---- replay across registries ----

#[test]
fn finding_janitor_signed_owner_change_does_not_replay_into_another_registry() {
    // One janitor key for two registries (a staging and a production registry, say).
    let j = key(1);
    let regs = |origin: &str| {
        let st = Statement::Registry(RegistryStatement {
            origin: origin.into(),
            serial: 0,
            janitors: ks(1, &[&j]),
            log_key: Vkey::ed25519(origin, *key(200).public_key().as_bytes()).unwrap(),
            index_key: Vkey::ed25519("idx", *key(201).public_key().as_bytes()).unwrap(),
            mode: Mode::Curated,
        });
        let g = Entry::sign(&st, &[&j], "g").unwrap().to_bytes();
        let mut s = RegistryState::genesis(&g).unwrap();
        let o = Statement::Owners(OwnersStatement {
            origin: origin.into(),
            name: "left-pad".into(),
            serial: 0,
            keys: ks(1, &[&key(10)]),
            reason: String::new(),
        });
        s.apply(&Entry::sign(&o, &[&j], "o").unwrap().to_bytes())
            .unwrap();
        s
    };
    let mut staging = regs("staging.example/log");
    let mut prod = regs("registry.example/log");
    // In staging, the janitor hands left-pad to a test key.
    let handover = Statement::Owners(OwnersStatement {
        origin: "staging.example/log".into(),
        name: "left-pad".into(),
        serial: 1,
        keys: ks(1, &[&key(66)]),
        reason: "staging test".into(),
    });
    let entry = Entry::sign(&handover, &[&j], "staging").unwrap().to_bytes();
    staging.apply(&entry).unwrap();
    // Anyone who saw the staging log can submit the same entry to production: it must not
    // move production's left-pad to the test key.
    let err = prod.apply(&entry).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyNotTrusted, "{err}");
    assert!(err.message().contains("staging.example/log"), "{err}");
}

// ---- vkeys ----

#[test]
fn held_vkey_has_one_text_form() {
    const PETER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let v = Vkey::parse(PETER).unwrap();
    assert_eq!(v.to_string(), PETER);
    for bad in [
        format!("{PETER}="),
        format!("{PETER}\n"),
        format!(" {PETER}"),
        PETER.replace("c74f20a3", "C74F20A3"),
        PETER.replace("+ARpc", "+ ARpc"),
        PETER.replace("10TW", "10TX"),
        PETER.replace("PeterNeumann", "Peter\u{85}Neumann"),
    ] {
        assert!(Vkey::parse(&bad).is_err(), "{bad:?}");
    }
}
