//! tests/vectors/notes.json: signed notes, checkpoints under policies, policies, index notes.
//!
//! Every case is self-contained: inputs as text (or `<field>_base64` when not valid UTF-8),
//! vkeys as text, times as numbers; `expect` is the output as plain JSON or `{"error": CODE}`.

use omega_core::checkpoint::Checkpoint;
use omega_core::index::{IndexLine, IndexNote, Severity};
use omega_core::note::{self, cosign, sign_ed25519, Note, NoteSignature};
use omega_core::policy::{Freshness, Policy};
use omega_core::vkey::Vkey;
use omega_core::Error;

use base64ct::{Base64, Encoding};

use super::*;

const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;
const ORIGIN: &str = "registry.example/log";
const INDEX_KEY_NAME: &str = "registry.example/index";

/// Checks the intended outcome (`None` = accepted) against omega-core's, and gives `expect`.
fn expect_json(name: &str, got: Result<Value, Error>, intended: Option<ErrorCode>) -> Value {
    match (got, intended) {
        (Ok(v), None) => v,
        (Err(e), Some(code)) if e.code() == code => err_json(code),
        (got, intended) => panic!("notes vector {name}: got {got:?}, intended {intended:?}"),
    }
}

fn verified_json(v: &[note::Verified]) -> Value {
    json!({"verified": v.iter().map(|v| json!({
        "name": v.name, "key_id": to_hex(&v.key_id), "type": v.key_type, "timestamp": v.timestamp,
    })).collect::<Vec<_>>()})
}

fn bytes_field(case: &mut Value, field: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(t) => case[field] = json!(t),
        Err(_) => case[format!("{field}_base64")] = json!(Base64::encode_string(bytes)),
    }
}

fn signed(text: &str, sigs: &[NoteSignature]) -> String {
    let mut n = Note::new(text).expect("text");
    for s in sigs {
        n.add_signature(s.clone()).expect("add");
    }
    n.to_text()
}

fn note_cases(cases: &mut Vec<Value>) {
    let (lk, wk, other) = (key(50), key(51), key(52));
    let log = note::signer_vkey("log.example", &lk).expect("vkey");
    let wit = note::cosigner_vkey("witness.example", &wk).expect("vkey");
    let stranger = note::signer_vkey("stranger.example", &other).expect("vkey");
    let text = "\u{3a9}pm test note\nsecond line\n";
    let s_log = sign_ed25519(text, "log.example", &lk).expect("sign");
    let s_wit = cosign(text, "witness.example", &wk, NOW).expect("cosign");
    let s_other = sign_ed25519(text, "stranger.example", &other).expect("sign");
    let mut bad_bytes = s_log.bytes().to_vec();
    bad_bytes[10] ^= 0x40;
    let s_bad = NoteSignature::new("log.example", log.id(), bad_bytes).expect("sig");
    let ecdsa = NoteSignature::new("ecdsa.example", [1, 2, 3, 4], vec![0x30; 71]).expect("sig");
    let mldsa = NoteSignature::new("mldsa.example", [5, 6, 7, 8], vec![0x42; 2428]).expect("sig");
    let plain = signed(text, std::slice::from_ref(&s_log));

    let mut add = |name: &str, bytes: Vec<u8>, keys: &[&Vkey], intended: Option<ErrorCode>| {
        let ks: Vec<Vkey> = keys.iter().map(|k| (*k).clone()).collect();
        let got = note::open(&bytes, &ks).map(|(_, v)| verified_json(&v));
        let mut case = json!({"name": name, "kind": "note", "keys": ks.iter().map(|k| k.to_string()).collect::<Vec<_>>()});
        bytes_field(&mut case, "note", &bytes);
        case["expect"] = expect_json(name, got, intended);
        cases.push(case);
    };
    add("valid-ed25519", plain.clone().into_bytes(), &[&log], None);
    add(
        "valid-cosignature",
        signed(text, std::slice::from_ref(&s_wit)).into_bytes(),
        &[&wit],
        None,
    );
    add(
        "valid-two-trusted",
        signed(text, &[s_log.clone(), s_wit.clone()]).into_bytes(),
        &[&log, &wit],
        None,
    );
    add(
        "valid-unknown-key-ignored",
        signed(text, &[s_other.clone(), s_log.clone()]).into_bytes(),
        &[&log],
        None,
    );
    add(
        "valid-unsupported-types-ignored",
        signed(text, &[ecdsa.clone(), s_log.clone(), mldsa.clone()]).into_bytes(),
        &[&log],
        None,
    );
    add(
        "valid-identical-duplicate-lines",
        format!("{plain}{}", s_log.to_line()).into_bytes(),
        &[&log],
        None,
    );
    add(
        "valid-text-with-empty-lines",
        {
            let t = "a\n\nb\n";
            signed(t, &[sign_ed25519(t, "log.example", &lk).expect("sign")]).into_bytes()
        },
        &[&log],
        None,
    );
    add(
        "fail-tampered-text",
        plain.replace("second", "Second").into_bytes(),
        &[&log],
        Some(ErrorCode::SignatureInvalid),
    );
    add(
        "fail-bad-signature-by-known-key",
        signed(text, &[s_other.clone(), s_bad.clone()]).into_bytes(),
        &[&log, &stranger],
        Some(ErrorCode::SignatureInvalid),
    );
    add(
        "fail-second-line-of-known-key-bad",
        format!("{plain}{}", s_bad.to_line()).into_bytes(),
        &[&log],
        Some(ErrorCode::SignatureInvalid),
    );
    add(
        "fail-unknown-key-only",
        signed(text, std::slice::from_ref(&s_other)).into_bytes(),
        &[&log],
        Some(ErrorCode::KeyNotTrusted),
    );
    add(
        "fail-no-trusted-keys",
        plain.clone().into_bytes(),
        &[],
        Some(ErrorCode::KeyNotTrusted),
    );
    add(
        "fail-cosignature-key-used-as-ed25519",
        signed(text, std::slice::from_ref(&s_wit)).into_bytes(),
        &[&note::signer_vkey("witness.example", &wk).expect("vkey")],
        Some(ErrorCode::KeyNotTrusted),
    );
    add(
        "fail-ambiguous-trusted-keys",
        plain.clone().into_bytes(),
        &[&log, &log],
        Some(ErrorCode::Malformed),
    );
    let sixty_four = format!(
        "{text}\n{}{}",
        s_other.to_line().repeat(63),
        s_log.to_line()
    );
    add(
        "valid-64-signatures",
        sixty_four.into_bytes(),
        &[&log],
        None,
    );
    let sixty_five = format!(
        "{text}\n{}{}",
        s_other.to_line().repeat(64),
        s_log.to_line()
    );
    add(
        "fail-65-signatures",
        sixty_five.into_bytes(),
        &[&log],
        Some(ErrorCode::TooLarge),
    );
    let big = format!("{}\n\n{}", "a".repeat(64 * 1024), s_log.to_line());
    add(
        "fail-larger-than-64-kib",
        big.into_bytes(),
        &[&log],
        Some(ErrorCode::TooLarge),
    );
    let mut non_utf8 = plain.clone().into_bytes();
    non_utf8[0] = 0xff;
    add(
        "fail-not-utf8",
        non_utf8,
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-control-character-cr",
        plain.replacen('\n', "\r\n", 1).into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-control-character-tab",
        plain.replacen(' ', "\t", 1).into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-en-dash-instead-of-em-dash",
        plain.replace('\u{2014}', "\u{2013}").into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-hyphen-instead-of-em-dash",
        plain.replace('\u{2014}', "-").into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-no-empty-line",
        plain.replacen("\n\n", "\n", 1).into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-no-final-newline",
        plain.trim_end().as_bytes().to_vec(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-no-signature-lines",
        format!("{text}\n").into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-line-after-signatures",
        format!("{plain}trailing\n").into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-non-canonical-base64",
        plain.replace("=\n", "\n").into_bytes(),
        &[&log],
        Some(ErrorCode::Malformed),
    );
}

fn checkpoint_cases(cases: &mut Vec<Value>) {
    let lk = key(60);
    let log = note::signer_vkey(ORIGIN, &lk).expect("vkey");
    let wk: Vec<SecretKey> = (61..=63).map(key).collect();
    let wv: Vec<Vkey> = wk
        .iter()
        .enumerate()
        .map(|(i, k)| note::cosigner_vkey(&format!("w{}.example", i + 1), k).expect("vkey"))
        .collect();
    let base = format!(
        "log {log}\nwitness W1 {}\nwitness W2 {}\nwitness W3 {}\n",
        wv[0], wv[1], wv[2]
    );
    let two_of_three = format!("{base}group G 2 W1 W2 W3\nquorum G\n");
    let nested = format!("{base}group Y any W2 W3\ngroup Q all W1 Y\nquorum Q\n");
    let none = format!("log {log}\nquorum none\n");
    let cp = |origin: &str, ext: Vec<String>| {
        Checkpoint {
            origin: origin.into(),
            size: 1234,
            root: [9; 32],
            extensions: ext,
        }
        .to_text()
    };
    let text = cp(ORIGIN, vec![]);
    let sign_cp = |text: &str, log_key: Option<&SecretKey>, cos: &[(usize, u64)]| {
        let mut sigs = Vec::new();
        if let Some(k) = log_key {
            sigs.push(sign_ed25519(text, ORIGIN, k).expect("sign"));
        }
        for &(w, t) in cos {
            sigs.push(cosign(text, &format!("w{}.example", w + 1), &wk[w], t).expect("cosign"));
        }
        signed(text, &sigs)
    };
    let mut add = |name: &str,
                   policy: &str,
                   note_text: String,
                   now: Option<u64>,
                   intended: Option<ErrorCode>| {
        let p = Policy::parse(policy).expect("policy");
        let got = p.verify_checkpoint(note_text.as_bytes(), now, DAY).map(|v| {
            let fresh = match v.freshness {
                Freshness::Fresh { as_of } => json!({"fresh": as_of}),
                Freshness::NotWitnessed => json!("not_witnessed"),
                Freshness::NotChecked => json!("not_checked"),
            };
            json!({
                "origin": v.checkpoint.origin, "size": v.checkpoint.size, "root": to_hex(&v.checkpoint.root),
                "witnesses": v.witnesses.iter().map(|(n, t)| json!([n, t])).collect::<Vec<_>>(),
                "freshness": fresh,
            })
        });
        let expect = expect_json(name, got, intended);
        cases.push(json!({"name": name, "kind": "checkpoint", "policy": policy, "note": note_text, "now": now, "max_age": DAY, "expect": expect}));
    };
    add(
        "quorum-2-of-3-met-fresh",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW - 60), (2, NOW - 3600)]),
        Some(NOW),
        None,
    );
    add(
        "quorum-3-of-3-one-old-still-fresh",
        &two_of_three,
        sign_cp(
            &text,
            Some(&lk),
            &[(0, NOW - 60), (1, NOW - 3 * DAY), (2, NOW - 30)],
        ),
        Some(NOW),
        None,
    );
    add(
        "quorum-not-met-1-of-3",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(1, NOW)]),
        Some(NOW),
        Some(ErrorCode::QuorumNotMet),
    );
    add(
        "stale-quorum-too-old",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW - 2 * DAY), (1, NOW - 2 * DAY)]),
        Some(NOW),
        Some(ErrorCode::Stale),
    );
    add(
        "stale-one-fresh-one-old",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW), (1, NOW - DAY - 1)]),
        Some(NOW),
        Some(ErrorCode::Stale),
    );
    add(
        "edge-exactly-max-age-old",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW - DAY), (1, NOW - DAY)]),
        Some(NOW),
        None,
    );
    add(
        "stale-cosignature-in-the-future",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW + 301), (1, NOW)]),
        Some(NOW),
        Some(ErrorCode::Stale),
    );
    add(
        "edge-future-within-300-s",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW + 300), (1, NOW)]),
        Some(NOW),
        None,
    );
    add(
        "offline-not-checked",
        &two_of_three,
        sign_cp(&text, Some(&lk), &[(0, NOW - 9 * DAY), (1, NOW - 9 * DAY)]),
        None,
        None,
    );
    add(
        "quorum-none-not-witnessed",
        &none,
        sign_cp(&text, Some(&lk), &[]),
        Some(NOW),
        None,
    );
    add(
        "nested-groups-met",
        &nested,
        sign_cp(&text, Some(&lk), &[(0, NOW), (2, NOW)]),
        Some(NOW),
        None,
    );
    add(
        "nested-groups-not-met",
        &nested,
        sign_cp(&text, Some(&lk), &[(1, NOW), (2, NOW)]),
        Some(NOW),
        Some(ErrorCode::QuorumNotMet),
    );
    add(
        "fail-log-signature-missing",
        &two_of_three,
        sign_cp(&text, None, &[(0, NOW), (1, NOW)]),
        Some(NOW),
        Some(ErrorCode::QuorumNotMet),
    );
    let good = sign_cp(&text, Some(&lk), &[(0, NOW), (1, NOW)]);
    // A log key line (right name and key ID) whose signature bytes are not the log's.
    let log_line = sign_ed25519(&text, ORIGIN, &lk).expect("sign");
    let mut b = log_line.bytes().to_vec();
    b[0] ^= 1;
    let forged = NoteSignature::new(ORIGIN, log.id(), b)
        .expect("sig")
        .to_line();
    add(
        "fail-log-signature-bad",
        &two_of_three,
        good.replacen(&log_line.to_line(), &forged, 1),
        Some(NOW),
        Some(ErrorCode::SignatureInvalid),
    );
    // A key named like the log but not the policy's: another key ID, ignored; the log
    // signature is then missing.
    add(
        "fail-log-key-impostor",
        &two_of_three,
        sign_cp(&text, Some(&key(69)), &[(0, NOW), (1, NOW)]),
        Some(NOW),
        Some(ErrorCode::QuorumNotMet),
    );
    let w1 = cosign(&text, "w1.example", &wk[0], NOW).expect("cosign");
    let mut b = w1.bytes().to_vec();
    b[7] ^= 1;
    let bad_line = NoteSignature::new("w1.example", w1.key_id(), b)
        .expect("sig")
        .to_line();
    add(
        "fail-cosignature-bad",
        &two_of_three,
        good.replacen(&w1.to_line(), &bad_line, 1),
        Some(NOW),
        Some(ErrorCode::SignatureInvalid),
    );
    add(
        "fail-tampered-size",
        &two_of_three,
        good.replacen("\n1234\n", "\n1235\n", 1),
        Some(NOW),
        Some(ErrorCode::SignatureInvalid),
    );
    let other = cp("other.example/log", vec![]);
    add(
        "fail-origin-not-in-policy",
        &two_of_three,
        signed(&other, &[sign_ed25519(&other, ORIGIN, &lk).expect("sign")]),
        Some(NOW),
        Some(ErrorCode::KeyNotTrusted),
    );
    let ext = cp(ORIGIN, vec!["extension line".into()]);
    add(
        "valid-extension-line",
        &none,
        sign_cp(&ext, Some(&lk), &[]),
        None,
        None,
    );
    let not_cp = "hello\n";
    add(
        "fail-not-a-checkpoint",
        &none,
        signed(not_cp, &[sign_ed25519(not_cp, ORIGIN, &lk).expect("sign")]),
        None,
        Some(ErrorCode::Malformed),
    );
}

fn policy_cases(cases: &mut Vec<Value>) {
    let log = note::signer_vkey(ORIGIN, &key(60)).expect("vkey");
    let w1 = note::cosigner_vkey("w1.example", &key(61)).expect("vkey");
    let w2 = note::cosigner_vkey("w2.example", &key(62)).expect("vkey");
    let self_w = note::cosigner_vkey("self.example", &key(60)).expect("vkey");
    let mut add = |name: &str, text: String, intended: Option<ErrorCode>| {
        let got = Policy::parse(&text).map(|p| json!({"text": p.to_text()}));
        let expect = expect_json(name, got, intended);
        cases.push(json!({"name": name, "kind": "policy", "policy": text, "expect": expect}));
    };
    add("valid-comments-whitespace-any-all", format!("# policy\n\n  log {log} https://r.example/\nwitness A\t{w1}\nwitness B {w2}\ngroup X any A\ngroup Y all X B\nquorum Y"), None);
    add(
        "valid-quorum-none",
        format!("log {log}\nquorum none\n"),
        None,
    );
    add(
        "fail-forward-reference",
        format!("log {log}\nwitness A {w1}\ngroup G 1 H\ngroup H 1 A\nquorum G\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-unknown-member",
        format!("log {log}\nwitness A {w1}\ngroup G 1 Z\nquorum G\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-duplicate-name",
        format!("log {log}\nwitness A {w1}\nwitness A {w2}\nquorum A\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-threshold-above-members",
        format!("log {log}\nwitness A {w1}\ngroup G 2 A\nquorum G\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-threshold-zero",
        format!("log {log}\nwitness A {w1}\ngroup G 0 A\nquorum G\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-member-in-two-groups",
        format!(
            "log {log}\nwitness A {w1}\nwitness B {w2}\ngroup G 1 A\ngroup H 1 A B\nquorum H\n"
        ),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-witness-is-log-key",
        format!("log {log}\nwitness A {self_w}\nquorum A\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-no-quorum",
        format!("log {log}\nwitness A {w1}\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-no-log",
        format!("witness A {w1}\nquorum A\n"),
        Some(ErrorCode::Malformed),
    );
    add(
        "fail-none-as-member",
        format!("log {log}\nwitness A {w1}\ngroup G 1 none\nquorum G\n"),
        Some(ErrorCode::Malformed),
    );
}

fn index_cases(cases: &mut Vec<Value>) {
    let ik = key(70);
    let ivk = note::signer_vkey(INDEX_KEY_NAME, &ik).expect("vkey");
    let idx = IndexNote {
        origin: ORIGIN.into(),
        name: "left-pad".into(),
        as_of: 50,
        expires: NOW + 7 * DAY,
        lines: vec![
            IndexLine::Owners { entry: 1 },
            IndexLine::Release {
                entry: 2,
                version: "1.3.0".into(),
                sequence: 4,
                tgz: [0x11; 32],
                manifest: [0x22; 32],
            },
            IndexLine::Revoke {
                entry: 5,
                key: key(71).public_key().to_base64(),
            },
            IndexLine::Notice {
                entry: 8,
                id: "OMEGA-2026-0001".into(),
                severity: Severity::High,
            },
            IndexLine::Yank {
                entry: 13,
                version: "1.3.0".into(),
                sequence: 4,
            },
        ],
    };
    let signed_idx = idx.sign(INDEX_KEY_NAME, &ik).expect("sign");
    let mut add = |name: &str,
                   note_text: String,
                   origin: &str,
                   package: &str,
                   size: u64,
                   now: Option<u64>,
                   intended: Option<ErrorCode>| {
        let got = IndexNote::verify(note_text.as_bytes(), &ivk, origin, package, size, now)
            .map(|i| json!({"text": i.to_text(), "lines": i.lines.len()}));
        let expect = expect_json(name, got, intended);
        cases.push(json!({"name": name, "kind": "index", "note": note_text, "index_key": ivk.to_string(), "origin": origin, "package": package, "checkpoint_size": size, "now": now, "expect": expect}));
    };
    add(
        "valid",
        signed_idx.clone(),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW),
        None,
    );
    add(
        "valid-offline-expiry-not-checked",
        signed_idx.clone(),
        ORIGIN,
        "left-pad",
        60,
        None,
        None,
    );
    add(
        "fail-expired",
        signed_idx.clone(),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW + 7 * DAY),
        Some(ErrorCode::Stale),
    );
    add(
        "fail-as-of-beyond-checkpoint",
        signed_idx.clone(),
        ORIGIN,
        "left-pad",
        49,
        Some(NOW),
        Some(ErrorCode::Stale),
    );
    add(
        "fail-wrong-origin",
        signed_idx.clone(),
        "other.example/log",
        "left-pad",
        50,
        Some(NOW),
        Some(ErrorCode::KeyNotTrusted),
    );
    add(
        "fail-wrong-package",
        signed_idx.clone(),
        ORIGIN,
        "right-pad",
        50,
        Some(NOW),
        Some(ErrorCode::KeyNotTrusted),
    );
    add(
        "fail-signed-by-log-key",
        idx.sign(ORIGIN, &key(60)).expect("sign"),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW),
        Some(ErrorCode::KeyNotTrusted),
    );
    add(
        "fail-tampered-line",
        signed_idx.replace("yank 13", "yank 14"),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW),
        Some(ErrorCode::SignatureInvalid),
    );
    let bad_text = format!(
        "{ORIGIN}\nindex left-pad\nas-of 5\nexpires {}\nowners 5\n",
        NOW + DAY
    );
    add(
        "fail-entry-not-below-as-of",
        signed(
            &bad_text,
            &[sign_ed25519(&bad_text, INDEX_KEY_NAME, &ik).expect("sign")],
        ),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW),
        Some(ErrorCode::Malformed),
    );
    let bad_text = format!(
        "{ORIGIN}\nindex left-pad\nas-of 5\nexpires {}\nowners 02\n",
        NOW + DAY
    );
    add(
        "fail-leading-zero",
        signed(
            &bad_text,
            &[sign_ed25519(&bad_text, INDEX_KEY_NAME, &ik).expect("sign")],
        ),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW),
        Some(ErrorCode::Malformed),
    );
    let bad_text = format!(
        "{ORIGIN}\nindex left-pad\nas-of 5\nexpires {}\nrelease 1 1.0.0 1 {} {}\n",
        NOW + DAY,
        "AB".repeat(32),
        "ab".repeat(32)
    );
    add(
        "fail-uppercase-hex",
        signed(
            &bad_text,
            &[sign_ed25519(&bad_text, INDEX_KEY_NAME, &ik).expect("sign")],
        ),
        ORIGIN,
        "left-pad",
        50,
        Some(NOW),
        Some(ErrorCode::Malformed),
    );
}

pub fn notes_vectors() -> Vec<Value> {
    let mut cases = Vec::new();
    note_cases(&mut cases);
    checkpoint_cases(&mut cases);
    policy_cases(&mut cases);
    index_cases(&mut cases);
    cases
}
