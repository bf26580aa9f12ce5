//! Signed notes, checkpoints, policies and index notes (core/src/note.rs, checkpoint.rs,
//! policy.rs, index.rs): the public signed-note vectors (Go's sumdb/note and tlog tests, the
//! C2SP spec examples, transparency-dev/formats) run whole with counted cases, our own
//! cross-language vectors (tests/vectors/notes.json), attacks from docs/threat-model.md
//! ("Registry: notes and checkpoints"), and property tests.
//!
//! The public vectors are read from `$OMEGA_SHARED_VECTORS` if set, else from `shared/vectors`
//! beside the repository; a missing file fails the test, it is never skipped.
//!
//! The tests sign notes, so the file needs the `sign` feature (`make test` builds omega-core's
//! feature combinations with and without it; these run in the `sign` ones).
#![cfg(feature = "sign")]

use std::path::PathBuf;

use base64ct::{Base64, Encoding};
use omega_core::checkpoint::Checkpoint;
use omega_core::index::{IndexLine, IndexNote, Severity};
use omega_core::note::{self, cosign, sign_ed25519, Note, NoteSignature};
use omega_core::policy::{Freshness, Policy};
use omega_core::secret::SecretKey;
use omega_core::vkey::{Vkey, TYPE_COSIGNATURE_V1, TYPE_ED25519};
use omega_core::{ErrorCode, KeyId};
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Loading

fn shared_dir() -> PathBuf {
    match std::env::var_os("OMEGA_SHARED_VECTORS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors")),
    }
}

fn load(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "vector file {} cannot be read: {e} (set OMEGA_SHARED_VECTORS; missing vectors fail)",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("vector file {} is not JSON: {e}", path.display()))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("field {k} is not a string in {v}"))
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a Vec<Value> {
    v[k].as_array()
        .unwrap_or_else(|| panic!("field {k} is not an array in {v}"))
}

fn vkeys(case: &Value) -> Vec<Vkey> {
    arr(case, "verifier_keys")
        .iter()
        .map(|k| Vkey::parse(k.as_str().unwrap()).unwrap_or_else(|e| panic!("vkey {k}: {e}")))
        .collect()
}

fn note_bytes(case: &Value) -> Vec<u8> {
    match case.get("note_hex") {
        Some(h) => omega_core::hash::parse_hex(h.as_str().unwrap()).unwrap(),
        None => s(case, "note").as_bytes().to_vec(),
    }
}

fn signer_ids(v: &[note::Verified]) -> Vec<String> {
    v.iter()
        .map(|v| format!("{}+{}", v.name, omega_core::hash::to_hex(&v.key_id)))
        .collect()
}

/// Checks one note case of the public file against omega-core; returns its id.
fn run_note_case(case: &Value) -> String {
    let id = s(case, "id").to_string();
    let bytes = note_bytes(case);
    let keys = vkeys(case);
    let expect = s(case, "expect");
    let got = note::open(&bytes, &keys);
    if expect == "valid" {
        let (note, verified) = got.unwrap_or_else(|e| panic!("{id}: expected valid, got {e}"));
        let want: Vec<&str> = arr(case, "verified_signers")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(signer_ids(&verified), want, "{id}");
        assert_eq!(note.to_text().as_bytes(), &bytes[..], "{id}: format");
        if let Some(expected_origin) = case.get("expected_origin") {
            let c = Checkpoint::parse(note.text()).unwrap();
            assert_ne!(c.origin, expected_origin.as_str().unwrap(), "{id}");
        }
    } else if expect == "invalid" {
        if let Some(expected_origin) = case.get("expected_origin") {
            // The signature is fine; the checkpoint is another origin's.
            let (note, _) = got.unwrap_or_else(|e| panic!("{id}: {e}"));
            let c = Checkpoint::parse(note.text()).unwrap();
            assert_ne!(c.origin, expected_origin.as_str().unwrap(), "{id}");
            return id;
        }
        let err = match got {
            Ok(_) => panic!("{id}: expected invalid, got valid"),
            Err(e) => e,
        };
        let go = case.get("go_error").and_then(Value::as_str);
        match go {
            Some("malformed note") => assert!(
                matches!(err.code(), ErrorCode::Malformed | ErrorCode::TooLarge),
                "{id}: {err}"
            ),
            Some("note has no verifiable signatures") | None => {
                assert_eq!(err.code(), ErrorCode::KeyNotTrusted, "{id}: {err}")
            }
            Some(g) if g.starts_with("invalid signature for key ") => {
                assert_eq!(err.code(), ErrorCode::SignatureInvalid, "{id}: {err}");
                assert!(
                    err.message()
                        .contains(&g["invalid signature for key ".len()..]),
                    "{id}: {err}"
                );
            }
            Some(g) if g.starts_with("ambiguous key ") => {
                assert_eq!(err.code(), ErrorCode::Malformed, "{id}: {err}");
                assert!(err.message().contains(g), "{id}: {err}");
            }
            Some(g) => panic!("{id}: unknown go_error {g}"),
        }
    } else if expect.starts_with("unverifiable") {
        // Parse-only examples: parse, format back identically, and no key → KEY_NOT_TRUSTED.
        let note = Note::parse(&bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(note.to_text().as_bytes(), &bytes[..], "{id}");
        assert_eq!(
            note::verify(&note, &keys).unwrap_err().code(),
            ErrorCode::KeyNotTrusted
        );
    } else {
        panic!("{id}: unknown expectation {expect}");
    }
    if let Some(cp) = case.get("checkpoint") {
        let note = Note::parse(&bytes).unwrap();
        let c = Checkpoint::parse(note.text()).unwrap();
        assert_eq!(c.origin, s(cp, "origin"), "{id}");
        assert_eq!(c.size, cp["size"].as_u64().unwrap(), "{id}");
        assert_eq!(
            Base64::encode_string(&c.root),
            s(cp, "root_hash_b64"),
            "{id}"
        );
    }
    if let Some(d) = case.get("cosignature_decoded") {
        let note = Note::parse(&bytes).unwrap();
        let sig = &note.signatures()[1];
        assert_eq!(omega_core::hash::to_hex(&sig.key_id()), s(d, "key_id_hex"));
        assert_eq!(sig.cosignature_time(), d["timestamp"].as_u64());
        assert_eq!(
            4 + sig.bytes().len() as u64,
            d["total_bytes"].as_u64().unwrap()
        );
    }
    id
}

// ---------------------------------------------------------------------------------------------
// Public vectors: shared/vectors/signed-notes/signed_notes.json, every case.

#[test]
fn public_signed_notes_every_case() {
    let doc = load(shared_dir().join("signed-notes/signed_notes.json"));
    let mut ran = 0;

    // golang/mod sumdb/note: verifier keys.
    let go = &doc["golang_mod_sumdb_note"];
    for k in arr(go, "valid_verifier_keys") {
        let text = k.as_str().unwrap();
        assert_eq!(Vkey::parse(text).unwrap().to_string(), text);
        ran += 1;
    }
    for k in arr(go, "invalid_verifier_keys") {
        assert!(Vkey::parse(s(k, "vkey")).is_err(), "{k}");
        ran += 1;
    }
    let mangled = &go["invalid_verifier_keys_mangled"];
    let list = arr(mangled, "vkeys");
    assert_eq!(list.len() as u64, mangled["count"].as_u64().unwrap());
    assert_eq!(list.len(), 2276);
    for k in list {
        assert!(Vkey::parse(k.as_str().unwrap()).is_err(), "{k}");
        ran += 1;
    }
    // Go's test signer key (PRIVATE+KEY+name+hash+base64(0x01 || seed)) signs `text` to exactly
    // the PeterNeumann line of go-open-one-sig.
    let sk_text = s(go, "signer_key_PeterNeumann");
    let b64 = sk_text.splitn(5, '+').nth(4).unwrap();
    let raw = Base64::decode_vec(b64).unwrap();
    assert_eq!(raw[0], 1);
    let seed: [u8; 32] = raw[1..].try_into().unwrap();
    let key = SecretKey::from_seed(&seed, KeyId([0; 8]));
    let first = &arr(go, "notes")[0];
    assert_eq!(s(first, "id"), "go-open-one-sig");
    let mut n = Note::new(Note::parse(s(first, "note").as_bytes()).unwrap().text()).unwrap();
    n.add_signature(sign_ed25519(n.text(), "PeterNeumann", &key).unwrap())
        .unwrap();
    assert_eq!(n.to_text(), s(first, "note"));
    assert_eq!(
        note::signer_vkey("PeterNeumann", &key).unwrap().to_string(),
        arr(go, "valid_verifier_keys")[0].as_str().unwrap()
    );
    ran += 1;

    let mut ids = Vec::new();
    for case in arr(go, "notes") {
        ids.push(run_note_case(case));
        ran += 1;
    }
    assert_eq!(ids.len(), 19);

    // golang/mod sumdb/tlog tree bodies: Go's ParseTree with its fixed origin. Ours is
    // Checkpoint::parse plus an origin check. One case differs on purpose: a body whose last
    // line lacks its newline ("…\nJOE") is not a note text (C2SP: a text ends in LF), so
    // Checkpoint::parse refuses it where Go's ParseTree ignores the junk.
    let trees = &doc["golang_mod_sumdb_tlog_tree_bodies"];
    let mut deviations = 0;
    for case in arr(trees, "cases") {
        let body = match case.get("body") {
            Some(b) => b.as_str().unwrap().to_string(),
            None => {
                let r = &case["body_suffix_repeat"];
                s(case, "body_prefix").to_string()
                    + &s(r, "string").repeat(r["times"].as_u64().unwrap() as usize)
            }
        };
        let ours = Checkpoint::parse(&body)
            .map(|c| c.origin == "go.sum database tree")
            .unwrap_or(false);
        let go_valid = s(case, "expect") == "valid";
        if !body.ends_with('\n') && go_valid {
            assert!(!ours, "{body:?}");
            deviations += 1;
        } else {
            assert_eq!(ours, go_valid, "{body:?}");
        }
        if let (true, Some(size)) = (go_valid && ours, case.get("size")) {
            let c = Checkpoint::parse(&body).unwrap();
            assert_eq!(c.size, size.as_u64().unwrap());
            assert_eq!(Base64::encode_string(&c.root), s(case, "root_hash_b64"));
        }
        ran += 1;
    }
    assert_eq!(deviations, 1);

    // C2SP spec examples and transparency-dev/formats.
    for case in arr(&doc, "c2sp_spec_examples") {
        run_note_case(case);
        ran += 1;
    }
    for case in arr(&doc["transparency_dev_formats"], "cases") {
        run_note_case(case);
        ran += 1;
    }

    // ECDSA (type 0x02) notes: the key is refused as unsupported, the note parses (or not, for
    // the corrupted one) and without a key nothing verifies.
    for case in arr(&doc["non_ed25519_notes"], "cases") {
        // A type 0x02 key (a DER SPKI, longer than an Ed25519 key): refused, as malformed
        // for vkey.rs (its buffer holds type || 32 bytes) or unsupported.
        let err = Vkey::parse(s(case, "verifier_key")).unwrap_err();
        assert!(
            matches!(
                err.code(),
                ErrorCode::UnsupportedVersion | ErrorCode::Malformed
            ),
            "{err}"
        );
        let got = note::open(s(case, "note").as_bytes(), &[]);
        let code = got.unwrap_err().code();
        assert!(
            matches!(code, ErrorCode::KeyNotTrusted | ErrorCode::Malformed),
            "{code}"
        );
        ran += 1;
    }

    assert_eq!(ran, 2 + 2 + 2276 + 1 + 19 + 7 + 4 + 4 + 3);
}

// ---------------------------------------------------------------------------------------------
// Keys and helpers

fn sk(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n; 8]))
}

const ORIGIN: &str = "registry.example/log";
const ROOT: [u8; 32] = [7; 32];

fn checkpoint_text(size: u64) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: ROOT,
        extensions: vec![],
    }
    .to_text()
}

fn signed_checkpoint(size: u64, cosigs: &[(u8, u64)]) -> String {
    let text = checkpoint_text(size);
    let mut n = Note::new(&text).unwrap();
    n.add_signature(sign_ed25519(&text, ORIGIN, &sk(1)).unwrap())
        .unwrap();
    for &(w, t) in cosigs {
        n.add_signature(cosign(&text, &format!("w{w}.example"), &sk(w), t).unwrap())
            .unwrap();
    }
    n.to_text()
}

fn policy_text(quorum_lines: &str) -> String {
    let log = note::signer_vkey(ORIGIN, &sk(1)).unwrap();
    let mut p = format!("# test policy\nlog {log}\n\n");
    for w in 11..=13 {
        let v = note::cosigner_vkey(&format!("w{w}.example"), &sk(w)).unwrap();
        p.push_str(&format!("witness W{w} {v}\n"));
    }
    p.push_str(quorum_lines);
    p
}

const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

// ---------------------------------------------------------------------------------------------
// Notes

#[test]
fn cosignature_round_trip_and_message() {
    let text = checkpoint_text(5);
    let sig = cosign(&text, "w.example", &sk(9), 1_679_315_147).unwrap();
    assert_eq!(sig.cosignature_time(), Some(1_679_315_147));
    let v = note::cosigner_vkey("w.example", &sk(9)).unwrap();
    assert_eq!(v.key_type(), TYPE_COSIGNATURE_V1);
    let mut n = Note::new(&text).unwrap();
    n.add_signature(sig).unwrap();
    let got = note::open(n.to_text().as_bytes(), std::slice::from_ref(&v))
        .unwrap()
        .1;
    assert_eq!(got[0].timestamp, Some(1_679_315_147));
    assert_eq!(got[0].key_type, TYPE_COSIGNATURE_V1);
    // The same key as an Ed25519 signer has another key ID: the cosignature is not its.
    let as_ed = note::signer_vkey("w.example", &sk(9)).unwrap();
    assert_eq!(
        note::open(n.to_text().as_bytes(), &[as_ed])
            .unwrap_err()
            .code(),
        ErrorCode::KeyNotTrusted
    );
    // A message with the wrong time does not verify: flip the timestamp.
    let mut bytes = n.signatures()[0].bytes().to_vec();
    bytes[7] ^= 1;
    let mut m = Note::new(&text).unwrap();
    m.add_signature(NoteSignature::new("w.example", v.id(), bytes).unwrap())
        .unwrap();
    assert_eq!(
        note::open(m.to_text().as_bytes(), &[v]).unwrap_err().code(),
        ErrorCode::SignatureInvalid
    );
}

/// RN1: two lines of one trusted key. Identical lines collapse (Go); a second, different and
/// bad line is verified and rejects the note (Go skips it unverified).
#[test]
fn fail_duplicate_signature_lines_of_one_key() {
    let text = "hello\n";
    let good = sign_ed25519(text, "k", &sk(3)).unwrap();
    let v = note::signer_vkey("k", &sk(3)).unwrap();
    let twice = format!("{text}\n{}{}", good.to_line(), good.to_line());
    let got = note::open(twice.as_bytes(), std::slice::from_ref(&v))
        .unwrap()
        .1;
    assert_eq!(got.len(), 1);
    let mut bad = good.bytes().to_vec();
    bad[0] ^= 1;
    let bad = NoteSignature::new("k", v.id(), bad).unwrap();
    let mixed = format!("{text}\n{}{}", good.to_line(), bad.to_line());
    let err = note::open(mixed.as_bytes(), &[v]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureInvalid);
    assert!(err.message().contains("k+"), "{err}");
}

/// RN3: an attacker key with the same key ID but another name (or the same name and another
/// ID) is an unknown key: ignored. With both name and ID equal (a computed 32-bit collision)
/// the line is the trusted key's and fails to verify: the note is refused, never accepted.
#[test]
fn fail_key_id_collisions() {
    let text = "hello\n";
    let v = note::signer_vkey("k", &sk(3)).unwrap();
    let good = sign_ed25519(text, "k", &sk(3)).unwrap();
    let forged = sign_ed25519(text, "k", &sk(4)).unwrap();
    let other_name = NoteSignature::new("k2", v.id(), forged.bytes().to_vec()).unwrap();
    let same_pair = NoteSignature::new("k", v.id(), forged.bytes().to_vec()).unwrap();
    let n = format!("{text}\n{}{}", other_name.to_line(), good.to_line());
    assert_eq!(
        note::open(n.as_bytes(), std::slice::from_ref(&v))
            .unwrap()
            .1
            .len(),
        1
    );
    let n = format!("{text}\n{}", other_name.to_line());
    assert_eq!(
        note::open(n.as_bytes(), std::slice::from_ref(&v))
            .unwrap_err()
            .code(),
        ErrorCode::KeyNotTrusted
    );
    let n = format!("{text}\n{}{}", good.to_line(), same_pair.to_line());
    assert_eq!(
        note::open(n.as_bytes(), &[v]).unwrap_err().code(),
        ErrorCode::SignatureInvalid
    );
}

#[test]
fn fail_note_shapes() {
    let text = "hello\n";
    let line = sign_ed25519(text, "k", &sk(3)).unwrap().to_line();
    let ok = format!("{text}\n{line}");
    assert!(Note::parse(ok.as_bytes()).is_ok());
    let many = format!("{text}\n{}", line.repeat(65));
    assert_eq!(
        Note::parse(many.as_bytes()).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    let sixty_four = format!("{text}\n{}", line.repeat(64));
    assert!(Note::parse(sixty_four.as_bytes()).is_ok());
    let big = format!("{}\n\n{line}", "a".repeat(70_000));
    assert_eq!(
        Note::parse(big.as_bytes()).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    for bad in [
        format!("{text}{line}"),                                // no empty line
        format!("{text}\n"),                                    // no signatures
        format!("{text}\n{}", line.trim_end()),                 // no final LF
        format!("{text}\n{line}junk\n"),                        // a non-signature line
        format!("hel\rlo\n\n{line}"),                           // a control character
        format!("hel\tlo\n\n{line}"),                           // a tab is a control character
        format!("{text}\n{}", line.replace(" k ", " k\u{a0}")), // no-break space in the name
        format!("{text}\n{}", line.replace(" k ", " k+x ")),    // plus in the name
        format!("{text}\n\u{2014}  {}", &line[4..]),            // empty name
        format!("{text}\n\u{2014} k AAAAAA==\n"),               // 4 bytes: no signature
        format!("{text}\n\u{2014} k AAAAAAB=\n"),               // non-canonical base64
        format!("{text}\n\u{2014} k AAAAAAA\n"),                // missing padding
    ] {
        let e = Note::parse(bad.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed, "{bad:?}: {e}");
    }
    let mut bytes = ok.clone().into_bytes();
    bytes[1] = 0xff;
    assert_eq!(
        Note::parse(&bytes).unwrap_err().code(),
        ErrorCode::Malformed
    );
    // DEL (0x7f) is not below U+0020: allowed, like Go.
    assert!(Note::parse(format!("a\u{7f}\n\n{line}").as_bytes()).is_ok());
    // The text may hold empty lines; the LAST empty line splits.
    let multi = "a\n\nb\n";
    let l2 = sign_ed25519(multi, "k", &sk(3)).unwrap().to_line();
    let n = Note::parse(format!("{multi}\n{l2}").as_bytes()).unwrap();
    assert_eq!(n.text(), multi);
    assert!(note::verify(&n, &[note::signer_vkey("k", &sk(3)).unwrap()]).is_ok());
}

#[test]
fn add_signature_replaces_the_same_key() {
    let text = checkpoint_text(3);
    let mut n = Note::new(&text).unwrap();
    n.add_signature(cosign(&text, "w", &sk(5), 10).unwrap())
        .unwrap();
    n.add_signature(sign_ed25519(&text, ORIGIN, &sk(1)).unwrap())
        .unwrap();
    n.add_signature(cosign(&text, "w", &sk(5), 20).unwrap())
        .unwrap();
    assert_eq!(n.signatures().len(), 2);
    assert_eq!(n.signatures()[1].cosignature_time(), Some(20));
    assert_eq!(
        Note::new("no newline").unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert!(cosign(&text, "w", &sk(5), 1 << 63).is_err());
}

// ---------------------------------------------------------------------------------------------
// Policies

#[test]
fn policy_grammar() {
    let p = Policy::parse(&policy_text("group G 2 W11 W12 W13\nquorum G\n")).unwrap();
    assert_eq!(p.witnesses().len(), 3);
    assert_eq!(p.groups()[0].threshold, 2);
    assert_eq!(Policy::parse(&p.to_text()).unwrap(), p);
    // Whitespace, tabs, comments, `any`/`all`, URLs, no final newline.
    let log = note::signer_vkey(ORIGIN, &sk(1)).unwrap();
    let w = note::cosigner_vkey("w", &sk(11)).unwrap();
    let w2 = note::cosigner_vkey("w2", &sk(12)).unwrap();
    let text = format!(
        "  # comment\n\t\nlog\t{log}  https://r.example/\nwitness A {w}\nwitness B\t{w2} https://w.example/\n group X any A\ngroup Y all X B  \n   quorum Y"
    );
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.groups()[0].threshold, 1);
    assert_eq!(p.groups()[1].threshold, 2);
    assert_eq!(p.logs()[0].url.as_deref(), Some("https://r.example/"));
    assert_eq!(Policy::parse(&p.to_text()).unwrap(), p);
    assert!(Policy::parse(&policy_text("quorum none\n"))
        .unwrap()
        .quorum()
        .is_none());

    let w14 = note::cosigner_vkey("w14.example", &sk(14)).unwrap();
    let same_as_log = note::cosigner_vkey("self", &sk(1)).unwrap();
    let ed_witness = note::signer_vkey("edw", &sk(15)).unwrap();
    let cos_log = note::cosigner_vkey(ORIGIN, &sk(16)).unwrap();
    for (tail, why) in [
        ("", "no quorum"),
        ("quorum W11\nquorum W12\n", "two quorums"),
        ("quorum X\n", "undefined quorum"),
        ("quorum G\ngroup G 1 W11\n", "quorum before its group"),
        ("group G 0 W11\nquorum G\n", "k = 0"),
        ("group G 2 W11\nquorum G\n", "k > n"),
        ("group G 01 W11\nquorum G\n", "leading zero"),
        ("group G 1\nquorum G\n", "no members"),
        ("group G 1 W11 W11\nquorum G\n", "member twice"),
        (
            "group G 1 W11\ngroup H 1 W11\nquorum H\n",
            "member of two groups",
        ),
        (
            "group G 1 H\ngroup H 1 G\nquorum H\n",
            "cycle / forward reference",
        ),
        ("group G 1 G\nquorum G\n", "self reference"),
        ("group W11 1 W12\nquorum W11\n", "duplicate name"),
        ("group none 1 W12\nquorum none\n", "reserved name"),
        ("group G 1 none\nquorum G\n", "none as member"),
        ("group g 1 W11\nquorum G\n", "names are case-sensitive"),
        ("quorum W11 W12\n", "extra item"),
        ("frobnicate\nquorum none\n", "unknown statement"),
        ("witness W14 x\nquorum none\n", "bad vkey"),
        ("quorum none\nwitness W12 ZZ\n", "bad vkey after quorum"),
    ] {
        let e = Policy::parse(&policy_text(tail)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed, "{why}: {e}");
    }
    for (text, why) in [
        (format!("witness A {w14}\nquorum A\n"), "no log"),
        (format!("log {log}\nlog {log}\nquorum none\n"), "log twice"),
        (
            format!("log {log}\nwitness A {w14}\nwitness B {w14}\nquorum none\n"),
            "witness key twice",
        ),
        (
            format!("log {log}\nwitness A {same_as_log}\nquorum A\n"),
            "witness = log key",
        ),
        (
            format!("log {log}\nwitness A {ed_witness}\nquorum A\n"),
            "witness key type 0x01",
        ),
        (format!("log {cos_log}\nquorum none\n"), "log key type 0x04"),
        (
            format!("log {log}\nwitness A {w14}\nwitness A {w}\nquorum A\n"),
            "witness name twice",
        ),
        (
            format!("log {log}\nquorum none\u{1}\n"),
            "control character",
        ),
    ] {
        let e = Policy::parse(&text).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed, "{why}: {e}");
    }
    let huge = "#".repeat(70_000);
    assert_eq!(
        Policy::parse(&huge).unwrap_err().code(),
        ErrorCode::TooLarge
    );
}

/// The tlog-policy spec's example (two levels of groups), with real keys in place of the
/// elided ones: 2 of the X witnesses and 1 of the Y witnesses.
#[test]
fn tlog_policy_spec_example() {
    let example = "log <vkey>\n\nwitness X1 <vkey>\nwitness X2 <vkey>\nwitness X3 <vkey>\ngroup X-witnesses 2 X1 X2 X3\n\nwitness Y1 <vkey>\nwitness Y2 <vkey>\nwitness Y3 <vkey>\ngroup Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n";
    let mut text = String::new();
    let mut n = 50u8;
    for line in example.lines() {
        let mut l = line.to_string();
        if l.starts_with("log ") {
            l = l.replace(
                "<vkey>",
                &note::signer_vkey(ORIGIN, &sk(1)).unwrap().to_string(),
            );
        } else if let Some(rest) = l.strip_prefix("witness ") {
            let name = rest.split(' ').next().unwrap().to_string();
            let v = note::cosigner_vkey(&format!("{name}.example"), &sk(n)).unwrap();
            n += 1;
            l = l.replace("<vkey>", &v.to_string());
        }
        text.push_str(&l);
        text.push('\n');
    }
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.witnesses().len(), 6);
    assert_eq!(p.groups().len(), 3);
    assert_eq!(p.groups()[1].threshold, 1);
    assert_eq!(p.groups()[2].threshold, 2);
    let idx = |names: &[&str]| -> Vec<bool> {
        p.witnesses()
            .iter()
            .map(|w| names.contains(&w.name.as_str()))
            .collect()
    };
    assert!(p.quorum_met(&idx(&["X1", "X3", "Y2"])));
    assert!(p.quorum_met(&idx(&["X1", "X2", "X3", "Y1", "Y2", "Y3"])));
    assert!(!p.quorum_met(&idx(&["X1", "Y1", "Y2", "Y3"])));
    assert!(!p.quorum_met(&idx(&["X1", "X2", "X3"])));
    assert!(!p.quorum_met(&idx(&[])));
    assert_eq!(Policy::parse(&p.to_text()).unwrap(), p);
}

#[test]
fn checkpoint_quorum_and_freshness() {
    let two_of_three = Policy::parse(&policy_text("group G 2 W11 W12 W13\nquorum G\n")).unwrap();
    let fresh = NOW - 60;
    // Met by two fresh cosignatures.
    let note = signed_checkpoint(10, &[(11, fresh), (13, fresh - 10)]);
    let v = two_of_three
        .verify_checkpoint(note.as_bytes(), Some(NOW), DAY)
        .unwrap();
    assert_eq!(v.checkpoint.size, 10);
    assert_eq!(
        v.witnesses,
        vec![("W11".into(), fresh), ("W13".into(), fresh - 10)]
    );
    assert_eq!(v.freshness, Freshness::Fresh { as_of: fresh - 10 });
    assert_eq!(v.note_text, note);
    assert!(v.log_key.starts_with(ORIGIN));
    // Offline: not checked, even with old cosignatures.
    let old = signed_checkpoint(10, &[(11, NOW - 5 * DAY), (12, NOW - 5 * DAY)]);
    let v = two_of_three
        .verify_checkpoint(old.as_bytes(), None, DAY)
        .unwrap();
    assert_eq!(v.freshness, Freshness::NotChecked);
    // Stale: quorum met, but not by fresh cosignatures.
    let e = two_of_three
        .verify_checkpoint(old.as_bytes(), Some(NOW), DAY)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Stale, "{e}");
    // One fresh and one old: the quorum is not met by fresh ones alone.
    let mixed = signed_checkpoint(10, &[(11, NOW), (12, NOW - 2 * DAY)]);
    assert_eq!(
        two_of_three
            .verify_checkpoint(mixed.as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::Stale
    );
    // Three cosign, one old: the two fresh ones meet it; as_of is the older fresh one.
    let three = signed_checkpoint(10, &[(11, NOW - 100), (12, NOW - 2 * DAY), (13, NOW - 50)]);
    let v = two_of_three
        .verify_checkpoint(three.as_bytes(), Some(NOW), DAY)
        .unwrap();
    assert_eq!(v.freshness, Freshness::Fresh { as_of: NOW - 100 });
    // Future beyond 300 s does not count (RN4); within 300 s does.
    let future = signed_checkpoint(10, &[(11, NOW + 301), (12, NOW)]);
    assert_eq!(
        two_of_three
            .verify_checkpoint(future.as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::Stale
    );
    let skew = signed_checkpoint(10, &[(11, NOW + 300), (12, NOW)]);
    assert!(two_of_three
        .verify_checkpoint(skew.as_bytes(), Some(NOW), DAY)
        .is_ok());
    // Not met: one cosignature.
    let one = signed_checkpoint(10, &[(11, NOW)]);
    let e = two_of_three
        .verify_checkpoint(one.as_bytes(), Some(NOW), DAY)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuorumNotMet);
    assert!(e.message().contains("W11"), "{e}");
    // Cosignatures by keys outside the policy do not count.
    let outsiders = signed_checkpoint(10, &[(11, NOW), (21, NOW), (22, NOW)]);
    assert_eq!(
        two_of_three
            .verify_checkpoint(outsiders.as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::QuorumNotMet
    );
    // quorum none: no witness needed; freshness rests on the index.
    let none = Policy::parse(&policy_text("quorum none\n")).unwrap();
    let bare = signed_checkpoint(10, &[]);
    let v = none
        .verify_checkpoint(bare.as_bytes(), Some(NOW), DAY)
        .unwrap();
    assert_eq!(v.freshness, Freshness::NotWitnessed);
    // Nested groups: (W11 and (W12 or W13)).
    let nested = Policy::parse(&policy_text(
        "group Y any W12 W13\ngroup Q all W11 Y\nquorum Q\n",
    ))
    .unwrap();
    assert!(nested
        .verify_checkpoint(
            signed_checkpoint(1, &[(11, NOW), (13, NOW)]).as_bytes(),
            Some(NOW),
            DAY
        )
        .is_ok());
    assert_eq!(
        nested
            .verify_checkpoint(
                signed_checkpoint(1, &[(12, NOW), (13, NOW)]).as_bytes(),
                Some(NOW),
                DAY
            )
            .unwrap_err()
            .code(),
        ErrorCode::QuorumNotMet
    );
    // A single witness as quorum.
    let single = Policy::parse(&policy_text("quorum W12\n")).unwrap();
    assert!(single
        .verify_checkpoint(
            signed_checkpoint(1, &[(12, NOW)]).as_bytes(),
            Some(NOW),
            DAY
        )
        .is_ok());
}

#[test]
fn fail_checkpoint_log_signature() {
    let p = Policy::parse(&policy_text("quorum W11\n")).unwrap();
    let text = checkpoint_text(4);
    // No log signature: only a cosignature.
    let mut n = Note::new(&text).unwrap();
    n.add_signature(cosign(&text, "w11.example", &sk(11), NOW).unwrap())
        .unwrap();
    let e = p
        .verify_checkpoint(n.to_text().as_bytes(), Some(NOW), DAY)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::QuorumNotMet, "{e}");
    // No policy key at all.
    let mut n = Note::new(&text).unwrap();
    n.add_signature(sign_ed25519(&text, "stranger", &sk(30)).unwrap())
        .unwrap();
    assert_eq!(
        p.verify_checkpoint(n.to_text().as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::QuorumNotMet
    );
    // A bad log signature.
    let good = signed_checkpoint(4, &[(11, NOW)]);
    let forged = sign_ed25519(&checkpoint_text(5), ORIGIN, &sk(1)).unwrap();
    let bad = good.replacen(
        &sign_ed25519(&text, ORIGIN, &sk(1)).unwrap().to_line(),
        &forged.to_line(),
        1,
    );
    assert_ne!(bad, good);
    let e = p
        .verify_checkpoint(bad.as_bytes(), Some(NOW), DAY)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::SignatureInvalid);
    assert!(e.message().contains(ORIGIN), "{e}");
    // A bad cosignature of a policy witness (RN: fails closed).
    let wrong_time = cosign(&text, "w11.example", &sk(11), NOW).unwrap();
    let mut bytes = wrong_time.bytes().to_vec();
    bytes[7] ^= 1;
    let line = NoteSignature::new("w11.example", wrong_time.key_id(), bytes)
        .unwrap()
        .to_line();
    let bad = good.replacen(&wrong_time.to_line(), &line, 1);
    assert_ne!(bad, good);
    assert_eq!(
        p.verify_checkpoint(bad.as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::SignatureInvalid
    );
    // Another origin: the policy has no log by that name.
    let other = Checkpoint {
        origin: "other.example/log".into(),
        size: 1,
        root: ROOT,
        extensions: vec![],
    }
    .to_text();
    let mut n = Note::new(&other).unwrap();
    n.add_signature(sign_ed25519(&other, ORIGIN, &sk(1)).unwrap())
        .unwrap();
    assert_eq!(
        p.verify_checkpoint(n.to_text().as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::KeyNotTrusted
    );
    // Not a checkpoint.
    let mut n = Note::new("just text\n").unwrap();
    n.add_signature(sign_ed25519("just text\n", ORIGIN, &sk(1)).unwrap())
        .unwrap();
    assert_eq!(
        p.verify_checkpoint(n.to_text().as_bytes(), Some(NOW), DAY)
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
}

/// The Go checksum database's real checkpoint: its key name (sum.golang.org) differs from its
/// origin (go.sum database tree). The note verifier accepts it; the Ωpm policy refuses it
/// because no policy log is named like the origin.
#[test]
fn sumdb_key_name_differs_from_origin() {
    let doc = load(shared_dir().join("signed-notes/signed_notes.json"));
    let case = &arr(&doc["transparency_dev_formats"], "cases")[0];
    assert_eq!(s(case, "id"), "sumdb-real-checkpoint");
    let keys = vkeys(case);
    let bytes = note_bytes(case);
    let (n, v) = note::open(&bytes, &keys).unwrap();
    assert_eq!(v[0].name, "sum.golang.org");
    assert_eq!(v[0].key_type, TYPE_ED25519);
    let c = Checkpoint::parse(n.text()).unwrap();
    assert_eq!(c.origin, "go.sum database tree");
    assert_eq!(c.size, 6_476_701);
    let policy = Policy::parse(&format!("log {}\nquorum none\n", keys[0])).unwrap();
    let e = policy.verify_checkpoint(&bytes, None, DAY).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
}

// ---------------------------------------------------------------------------------------------
// Index notes

const INDEX_ORIGIN: &str = ORIGIN;

fn index_key() -> (SecretKey, Vkey) {
    let k = sk(40);
    let v = note::signer_vkey("registry.example/index", &k).unwrap();
    (k, v)
}

fn sample_index() -> IndexNote {
    IndexNote {
        origin: INDEX_ORIGIN.into(),
        name: "@scope/left-pad".into(),
        as_of: 100,
        expires: NOW + DAY,
        lines: vec![
            IndexLine::Owners { entry: 3 },
            IndexLine::Release {
                entry: 7,
                version: "1.0.0-rc.1+b".into(),
                sequence: 1,
                tgz: [0xab; 32],
                manifest: [0x01; 32],
            },
            IndexLine::Revoke {
                entry: 9,
                key: sk(41).public_key().to_base64(),
            },
            IndexLine::Notice {
                entry: 12,
                id: "OMEGA-2026-0001".into(),
                severity: Severity::Critical,
            },
            IndexLine::Yank {
                entry: 99,
                version: "1.0.0-rc.1+b".into(),
                sequence: 1,
            },
        ],
    }
}

#[test]
fn index_note_round_trip_and_verify() {
    let (k, v) = index_key();
    let idx = sample_index();
    let text = idx.to_text();
    assert!(text.starts_with("registry.example/log\nindex @scope/left-pad\nas-of 100\nexpires 1800086400\nowners 3\nrelease 7 1.0.0-rc.1+b 1 abab"));
    assert_eq!(IndexNote::parse(&text).unwrap(), idx);
    let signed = idx.sign("registry.example/index", &k).unwrap();
    let got = IndexNote::verify(
        signed.as_bytes(),
        &v,
        INDEX_ORIGIN,
        "@scope/left-pad",
        100,
        Some(NOW),
    )
    .unwrap();
    assert_eq!(got, idx);
    // Offline: expiry not checked.
    assert!(IndexNote::verify(
        signed.as_bytes(),
        &v,
        INDEX_ORIGIN,
        "@scope/left-pad",
        100,
        Some(NOW + 2 * DAY)
    )
    .is_err());
    assert!(IndexNote::verify(
        signed.as_bytes(),
        &v,
        INDEX_ORIGIN,
        "@scope/left-pad",
        100,
        None
    )
    .is_ok());
}

#[test]
fn fail_index_note_checks() {
    let (k, v) = index_key();
    let idx = sample_index();
    let signed = idx.sign("registry.example/index", &k).unwrap();
    let verify =
        |bytes: &[u8], key: &Vkey, origin: &str, name: &str, size: u64, now: Option<u64>| {
            IndexNote::verify(bytes, key, origin, name, size, now)
                .unwrap_err()
                .code()
        };
    let n = "@scope/left-pad";
    // RN7: replayed index past its expiry; exactly at expiry is expired.
    assert_eq!(
        verify(signed.as_bytes(), &v, ORIGIN, n, 100, Some(NOW + DAY)),
        ErrorCode::Stale
    );
    assert!(IndexNote::verify(signed.as_bytes(), &v, ORIGIN, n, 100, Some(NOW + DAY - 1)).is_ok());
    // as-of beyond the checkpoint.
    assert_eq!(
        verify(signed.as_bytes(), &v, ORIGIN, n, 99, Some(NOW)),
        ErrorCode::Stale
    );
    // Wrong origin, wrong package (a substituted index).
    assert_eq!(
        verify(
            signed.as_bytes(),
            &v,
            "other.example/log",
            n,
            100,
            Some(NOW)
        ),
        ErrorCode::KeyNotTrusted
    );
    assert_eq!(
        verify(signed.as_bytes(), &v, ORIGIN, "left-pad", 100, Some(NOW)),
        ErrorCode::KeyNotTrusted
    );
    // RN6: signed by the log key instead of the index key.
    let log_signed = idx.sign(ORIGIN, &sk(1)).unwrap();
    assert_eq!(
        verify(log_signed.as_bytes(), &v, ORIGIN, n, 100, Some(NOW)),
        ErrorCode::KeyNotTrusted
    );
    // Tampered text.
    let tampered = signed.replace("owners 3", "owners 4");
    assert_eq!(
        verify(tampered.as_bytes(), &v, ORIGIN, n, 100, Some(NOW)),
        ErrorCode::SignatureInvalid
    );
    // A cosigner-type key is not an index key.
    let cos = note::cosigner_vkey("registry.example/index", &k).unwrap();
    assert_eq!(
        verify(signed.as_bytes(), &cos, ORIGIN, n, 100, Some(NOW)),
        ErrorCode::Malformed
    );
    // Larger than 64 KiB is fine for an index (1 MiB limit); larger than 1 MiB is not.
    let mut big = idx.clone();
    big.as_of = 100_000;
    big.lines = (0..9000).map(|e| IndexLine::Owners { entry: e }).collect();
    let signed_big = big.sign("registry.example/index", &k).unwrap();
    assert!(signed_big.len() > 64 * 1024);
    assert!(IndexNote::verify(signed_big.as_bytes(), &v, ORIGIN, n, 100_000, Some(NOW)).is_ok());
    let huge = vec![b'a'; 1024 * 1024 + 1];
    assert_eq!(
        verify(&huge, &v, ORIGIN, n, 100, Some(NOW)),
        ErrorCode::TooLarge
    );
}

#[test]
fn fail_index_note_tokens() {
    let head = format!("{ORIGIN}\nindex left-pad\nas-of 10\nexpires 5\n");
    let hex = "ab".repeat(32);
    let key = sk(41).public_key().to_base64();
    assert!(IndexNote::parse(&head).is_ok());
    for line in [
        format!("release 1 1.0.0 1 {hex} {hex}"),
        format!("revoke 0 {key}"),
        "notice 9 GHSA-xxxx low".to_string(),
        "yank 2 1.0.0 18446744073709551615".to_string(),
    ] {
        assert!(
            IndexNote::parse(&format!("{head}{line}\n")).is_ok(),
            "{line}"
        );
    }
    for line in [
        "owners 01".to_string(),
        "owners 10".to_string(), // not below as-of
        "owners -1".to_string(),
        "owners  1".to_string(),
        "owners 1 ".to_string(),
        "owners".to_string(),
        "Owners 1".to_string(),
        "".to_string(),
        format!("release 1 1.0.0 1 {} {hex}", hex.to_uppercase()),
        format!("release 1 1.0.0 1 {hex}"),
        format!("release 1 1.0.0 01 {hex} {hex}"),
        format!("revoke 1 {}", &key[..55]),
        format!("revoke 1 {key}x"),
        "notice 1 id severe".to_string(),
        "notice 1 id Low".to_string(),
        format!("notice 1 {} low", "x".repeat(129)),
        "yank 1 1.0.0".to_string(),
        "owners 2\nowners 2".to_string(), // not increasing
        "owners 3\nowners 2".to_string(),
        "unknown 1".to_string(),
    ] {
        let e = IndexNote::parse(&format!("{head}{line}\n")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed, "{line:?}: {e}");
    }
    for bad in [
        format!("{ORIGIN}\nindex Left-Pad\nas-of 10\nexpires 5\n"),
        format!("{ORIGIN}\nindex node_modules\nas-of 10\nexpires 5\n"),
        format!("{ORIGIN}\nas-of 10\nindex left-pad\nexpires 5\n"),
        format!("{ORIGIN}\nindex left-pad\nas-of 10\n"),
        "\nindex left-pad\nas-of 10\nexpires 5\n".to_string(),
        format!("{ORIGIN}\nindex left-pad\nas-of 10\nexpires 5"),
        format!("{ORIGIN}\nindex left-pad\nas-of 1e3\nexpires 5\n"),
    ] {
        assert_eq!(
            IndexNote::parse(&bad).unwrap_err().code(),
            ErrorCode::Malformed,
            "{bad:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Our cross-language vectors: tests/vectors/notes.json, every case.

fn b64_or_text(v: &Value, key: &str) -> Vec<u8> {
    match v.get(format!("{key}_base64")) {
        Some(b) => Base64::decode_vec(b.as_str().unwrap()).unwrap(),
        None => s(v, key).as_bytes().to_vec(),
    }
}

fn code_of(r: Result<Value, omega_core::Error>) -> Value {
    match r {
        Ok(v) => v,
        Err(e) => serde_json::json!({"error": e.code().as_str()}),
    }
}

#[test]
fn our_vectors_every_case() {
    let doc = load(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/notes.json"
    )));
    let cases = arr(&doc, "cases");
    let mut counts = std::collections::BTreeMap::new();
    for case in cases {
        let name = s(case, "name");
        let kind = s(case, "kind");
        *counts.entry(kind.to_string()).or_insert(0) += 1;
        let got = match kind {
            "note" => {
                let keys: Vec<Vkey> = arr(case, "keys")
                    .iter()
                    .map(|k| Vkey::parse(k.as_str().unwrap()).unwrap())
                    .collect();
                code_of(note::open(&b64_or_text(case, "note"), &keys).map(|(_, v)| {
                    serde_json::json!({"verified": v.iter().map(|v| serde_json::json!({
                        "name": v.name, "key_id": omega_core::hash::to_hex(&v.key_id), "type": v.key_type, "timestamp": v.timestamp,
                    })).collect::<Vec<_>>()})
                }))
            }
            "checkpoint" => {
                let now = case["now"].as_u64();
                let max_age = case["max_age"].as_u64().unwrap();
                let policy = Policy::parse(s(case, "policy")).unwrap();
                code_of(policy.verify_checkpoint(&b64_or_text(case, "note"), now, max_age).map(|v| {
                    let fresh = match v.freshness {
                        Freshness::Fresh { as_of } => serde_json::json!({"fresh": as_of}),
                        Freshness::NotWitnessed => serde_json::json!("not_witnessed"),
                        Freshness::NotChecked => serde_json::json!("not_checked"),
                    };
                    serde_json::json!({
                        "origin": v.checkpoint.origin, "size": v.checkpoint.size,
                        "root": omega_core::hash::to_hex(&v.checkpoint.root),
                        "witnesses": v.witnesses.iter().map(|(n, t)| serde_json::json!([n, t])).collect::<Vec<_>>(),
                        "freshness": fresh,
                    })
                }))
            }
            "policy" => code_of(
                Policy::parse(s(case, "policy")).map(|p| serde_json::json!({"text": p.to_text()})),
            ),
            "index" => {
                let key = Vkey::parse(s(case, "index_key")).unwrap();
                code_of(
                    IndexNote::verify(
                        &b64_or_text(case, "note"),
                        &key,
                        s(case, "origin"),
                        s(case, "package"),
                        case["checkpoint_size"].as_u64().unwrap(),
                        case["now"].as_u64(),
                    )
                    .map(|i| serde_json::json!({"text": i.to_text(), "lines": i.lines.len()})),
                )
            }
            other => panic!("{name}: unknown kind {other}"),
        };
        assert_eq!(got, case["expect"], "{name}");
    }
    let total: usize = counts.values().sum();
    assert_eq!(total, cases.len());
    assert_eq!(
        (
            counts["note"],
            counts["checkpoint"],
            counts["policy"],
            counts["index"]
        ),
        (27, 20, 12, 11),
        "tests/vectors/notes.json changed: update the counts with the generator"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn note_text_strategy() -> impl Strategy<Value = String> {
    // Lines of printable text (with non-ASCII), possibly empty, ending in LF.
    proptest::collection::vec("[a-zA-Z0-9 .,é—+]{0,20}", 1..5).prop_map(|l| l.join("\n") + "\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any single-bit flip of a signed note's bytes (text, name, key ID, signature, even
    /// the em dash or a newline) makes it fail, for an Ed25519 signature and a cosignature.
    #[test]
    fn any_bit_flip_fails(text in note_text_strategy(), seed in any::<u8>(), t in 0u64..(1 << 40), cosigned in any::<bool>(), which in any::<proptest::sample::Index>(), bit in 0u8..8) {
        let k = sk(seed);
        let mut n = Note::new(&text).unwrap();
        let key = if cosigned {
            n.add_signature(cosign(&text, "w.example", &k, t).unwrap()).unwrap();
            note::cosigner_vkey("w.example", &k).unwrap()
        } else {
            n.add_signature(sign_ed25519(&text, "log.example", &k).unwrap()).unwrap();
            note::signer_vkey("log.example", &k).unwrap()
        };
        let bytes = n.to_text().into_bytes();
        let v = note::open(&bytes, std::slice::from_ref(&key)).unwrap().1;
        prop_assert_eq!(v[0].timestamp, if cosigned { Some(t) } else { None });
        let mut flipped = bytes.clone();
        let i = which.index(flipped.len());
        flipped[i] ^= 1 << bit;
        prop_assert!(note::open(&flipped, &[key]).is_err(), "flip of bit {} of byte {} kept the note valid", bit, i);
    }

    /// Sign → verify, and parse → format → parse identity.
    #[test]
    fn sign_verify_and_format_round_trip(text in note_text_strategy(), seed in any::<u8>(), name in "[a-z./]{1,12}") {
        let k = sk(seed);
        let mut n = Note::new(&text).unwrap();
        n.add_signature(sign_ed25519(&text, &name, &k).unwrap()).unwrap();
        let bytes = n.to_text();
        let parsed = Note::parse(bytes.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &n);
        prop_assert_eq!(parsed.to_text(), bytes);
        let v = note::verify(&parsed, &[note::signer_vkey(&name, &k).unwrap()]).unwrap();
        prop_assert_eq!(&v[0].name, &name);
    }

    #[test]
    fn checkpoint_round_trip(origin in "[a-z./é]{1,20}", size in any::<u64>(), root in any::<[u8; 32]>(), ext in proptest::collection::vec("[ -~]{1,10}", 0..3)) {
        let c = Checkpoint { origin, size, root, extensions: ext };
        let text = c.to_text();
        prop_assert_eq!(Checkpoint::parse(&text).unwrap(), c);
    }

    #[test]
    fn index_round_trip(as_of in 1u64..1000, entries in proptest::collection::btree_set(0u64..1000, 0..8), expires in any::<u64>()) {
        let lines: Vec<IndexLine> = entries.into_iter().filter(|e| *e < as_of).map(|e| match e % 3 {
            0 => IndexLine::Owners { entry: e },
            1 => IndexLine::Yank { entry: e, version: format!("1.{e}.0"), sequence: e },
            _ => IndexLine::Notice { entry: e, id: format!("N-{e}"), severity: Severity::High },
        }).collect();
        let idx = IndexNote { origin: "o".into(), name: "p".into(), as_of, expires, lines };
        prop_assert_eq!(IndexNote::parse(&idx.to_text()).unwrap(), idx);
    }
}

/// The committed fuzz seeds (core/fuzz/seeds/{note,checkpoint,policy,index_note}) are
/// accepted and satisfy the targets' round-trip assertions, so the fuzzers start from valid
/// inputs (the targets check this too, when run through scripts/fuzz.sh).
#[test]
fn fuzz_seeds_round_trip() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds"));
    let read = |t: &str| -> Vec<Vec<u8>> {
        let mut v: Vec<_> = std::fs::read_dir(dir.join(t))
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        v.sort();
        assert!(!v.is_empty(), "{t}: no seeds");
        v
    };
    for d in read("note") {
        let n = Note::parse(&d).unwrap();
        assert_eq!(n.to_text().as_bytes(), &d[..]);
    }
    for d in read("checkpoint") {
        let t = String::from_utf8(d).unwrap();
        assert_eq!(Checkpoint::parse(&t).unwrap().to_text(), t);
    }
    for d in read("policy") {
        let p = Policy::parse(std::str::from_utf8(&d).unwrap()).unwrap();
        assert_eq!(Policy::parse(&p.to_text()).unwrap(), p);
    }
    let mut verified = 0;
    for d in read("index_note") {
        let t = String::from_utf8(d).unwrap();
        match IndexNote::parse(&t) {
            Ok(i) => assert_eq!(i.to_text(), t),
            Err(_) => {
                let n = Note::parse(t.as_bytes()).unwrap();
                IndexNote::parse(n.text()).unwrap();
                verified += 1;
            }
        }
    }
    assert_eq!(verified, 1);
}
