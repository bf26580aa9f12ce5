//! Registry statements and log entries: the committed vectors (tests/vectors/statements.json,
//! every case, counted; the log cases also replayed prechecked, in windows of 1, 2 and the
//! default, and compared with one-by-one replay), the canonical form (one byte form per
//! statement), strictness refusals, entry assembly from a minisign signature file, and
//! appending signatures.

use omega_core::entry::Entry;
#[cfg(feature = "sign")]
use omega_core::entry::ENTRY_HEADER;
use omega_core::registry::{
    genesis_hash, replay, replay_prechecked, OnInvalid, RegistryState, ReplayOptions,
    PRECHECK_WINDOW,
};
use omega_core::statement::{Statement, STATEMENT_VERSION};
use omega_core::ErrorCode;
use serde_json::Value;

fn load() -> Vec<Value> {
    let path = format!(
        "{}/../tests/vectors/statements.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn code(v: &Value) -> Option<ErrorCode> {
    v.get("error")
        .map(|c| ErrorCode::from_code(c.as_str().unwrap()).expect("known code"))
}

#[test]
fn statement_vectors_every_case() {
    let cases = load();
    let (mut statements, mut entries, mut logs) = (0, 0, 0);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        match case["kind"].as_str().unwrap() {
            "statement" => {
                statements += 1;
                let text = case["statement"].as_str().unwrap();
                match (Statement::parse(text.as_bytes()), code(expect)) {
                    (Ok(st), None) => {
                        assert_eq!(st.kind(), expect["type"].as_str().unwrap(), "{name}");
                        assert_eq!(st.to_bytes(), text.as_bytes(), "{name}: canonical");
                    }
                    (Err(e), Some(c)) => assert_eq!(e.code(), c, "{name}: {e}"),
                    (got, _) => panic!("{name}: got {got:?}, expected {expect}"),
                }
            }
            "entry" => {
                entries += 1;
                let text = case["entry"].as_str().unwrap();
                match (Entry::parse(text.as_bytes()), code(expect)) {
                    (Ok(en), None) => {
                        assert_eq!(
                            en.statement.kind(),
                            expect["type"].as_str().unwrap(),
                            "{name}"
                        );
                        assert_eq!(
                            en.signatures.len() as u64,
                            expect["signatures"].as_u64().unwrap(),
                            "{name}"
                        );
                        assert_eq!(en.to_bytes(), text.as_bytes(), "{name}");
                    }
                    (Err(e), Some(c)) => assert_eq!(e.code(), c, "{name}: {e}"),
                    (got, _) => panic!("{name}: got {got:?}, expected {expect}"),
                }
            }
            "log" => {
                logs += 1;
                let texts: Vec<&str> = case["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap())
                    .collect();
                assert_eq!(
                    genesis_hash(texts[0].as_bytes()),
                    expect["genesis"].as_str().unwrap(),
                    "{name}"
                );
                let r = replay(
                    None,
                    texts.iter().map(|t| t.as_bytes()),
                    ReplayOptions {
                        on_invalid: OnInvalid::Skip,
                        ..Default::default()
                    },
                );
                // The prechecked replay (signatures of a window first, on all cores with
                // `parallel`) gives the same verdicts, errors and state, whatever the window.
                for window in [1, 2, PRECHECK_WINDOW] {
                    for on_invalid in [OnInvalid::Skip, OnInvalid::Stop] {
                        let one = replay(
                            None,
                            texts.iter().map(|t| t.as_bytes()),
                            ReplayOptions {
                                on_invalid,
                                ..Default::default()
                            },
                        );
                        let pre = replay_prechecked(
                            None,
                            texts.iter().map(|t| t.as_bytes()),
                            on_invalid,
                            window,
                        );
                        assert_eq!(pre, one, "{name}: prechecked, window {window}");
                    }
                }
                let want = expect["verdicts"].as_array().unwrap();
                assert_eq!(r.verdicts.len(), want.len(), "{name}");
                for (i, (got, w)) in r.verdicts.iter().zip(want).enumerate() {
                    let w = w.as_str().unwrap();
                    match got {
                        Ok(()) => assert_eq!(w, "ok", "{name}: entry {i}"),
                        Err(e) => {
                            assert_eq!(e.code().as_str(), w, "{name}: entry {i}: {e}");
                            assert!(e.message().contains(&format!("entry {i}")), "{name}: {e}");
                        }
                    }
                }
                match (&r.state, &expect["state"]) {
                    (None, Value::Null) => {}
                    (Some(s), v) => {
                        let got: Value = serde_json::from_slice(&s.to_json_bytes()).unwrap();
                        assert_eq!(&got, v, "{name}: final state");
                        let text = serde_json::to_vec(v).unwrap();
                        assert_eq!(
                            &RegistryState::parse(&text).unwrap(),
                            s,
                            "{name}: state parses back"
                        );
                    }
                    (None, v) => panic!("{name}: no state, expected {v}"),
                }
            }
            other => panic!("{name}: unknown kind {other}"),
        }
    }
    assert_eq!(
        (statements, entries, logs),
        (37, 11, 9),
        "case counts changed: update this test with the generator"
    );
}

#[test]
fn every_valid_statement_has_exactly_one_byte_form() {
    let cases = load();
    let mut n = 0;
    for case in cases
        .iter()
        .filter(|c| c["kind"] == "statement" && c["expect"].get("type").is_some())
    {
        let text = case["statement"].as_str().unwrap();
        let st = Statement::parse(text.as_bytes()).unwrap();
        // Re-serialising any JSON-equivalent variant gives the same value but a different
        // byte form, which parse refuses.
        let v: Value = serde_json::from_str(text).unwrap();
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(
            Statement::parse(pretty.as_bytes()).unwrap_err().code(),
            ErrorCode::Malformed
        );
        let sorted = {
            // serde_json without preserve_order sorts object keys.
            let m: std::collections::BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
            serde_json::to_string(&m).unwrap()
        };
        if sorted != text {
            assert_eq!(
                Statement::parse(sorted.as_bytes()).unwrap_err().code(),
                ErrorCode::Malformed
            );
        }
        assert_eq!(Statement::parse(&st.to_bytes()).unwrap(), st);
        n += 1;
    }
    assert_eq!(n, 8);
    assert_eq!(STATEMENT_VERSION, 1);
}

#[cfg(feature = "sign")]
mod signing {
    use super::*;
    use omega_core::manifest::KeySet;
    use omega_core::secret::SecretKey;
    use omega_core::statement::RevokeStatement;
    use omega_core::KeyId;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(&[n; 32], KeyId([n, 0x6f, 0x6d, 0x65, 0x67, 0x61, 0x00, n]))
    }

    fn st() -> Statement {
        Statement::Revoke(RevokeStatement {
            origin: "registry.example/log".into(),
            name: "left-pad".into(),
            key: key(3).public_key(),
            reason: "lost".into(),
        })
    }

    #[test]
    fn sign_append_and_assemble_from_a_minisign_file() {
        let mut e = Entry::sign(&st(), &[&key(1)], "t").unwrap();
        e.append(&key(2), "second signer").unwrap();
        assert_eq!(
            e.append(&key(1), "again").unwrap_err().code(),
            ErrorCode::Malformed
        );
        let bytes = e.to_bytes();
        assert!(bytes.starts_with(format!("{ENTRY_HEADER}\n").as_bytes()));
        let parsed = Entry::parse(&bytes).unwrap();
        assert_eq!(parsed, e);
        assert_eq!(parsed.signatures[1].trusted_comment(), "second signer");
        // `omega registry submit FILE -x SIG`: the statement file and its .minisig (here with
        // CRLF line ends, as a Windows editor may leave it) give the same entry.
        let crlf = e.signature_text().replace('\n', "\r\n");
        let assembled = Entry::assemble(&e.statement_bytes, crlf.as_bytes()).unwrap();
        assert_eq!(assembled.to_bytes(), bytes);
        // A non-canonical statement file is refused.
        let mut spaced = e.statement_bytes.clone();
        spaced.insert(1, b' ');
        assert_eq!(
            Entry::assemble(&spaced, e.signature_text().as_bytes())
                .unwrap_err()
                .code(),
            ErrorCode::Malformed
        );
        // Sixteen blocks at most.
        let mut full = Entry::sign(&st(), &[&key(1)], "t").unwrap();
        for n in 2..=16 {
            full.append(&key(n), "t").unwrap();
        }
        assert_eq!(
            full.append(&key(17), "t").unwrap_err().code(),
            ErrorCode::TooLarge
        );
        Entry::parse(&full.to_bytes()).unwrap();
    }

    #[test]
    fn fail_signing_an_invalid_statement() {
        let bad = Statement::Owners(omega_core::statement::OwnersStatement {
            origin: "registry.example/log".into(),
            name: "left-pad".into(),
            serial: 0,
            keys: KeySet {
                threshold: 2,
                signers: vec![key(1).public_key()],
                next: vec![],
            },
            reason: String::new(),
        });
        assert_eq!(
            Entry::sign(&bad, &[&key(1)], "t").unwrap_err().code(),
            ErrorCode::Malformed
        );
        assert_eq!(
            Entry::sign(&st(), &[], "t").unwrap_err().code(),
            ErrorCode::Malformed
        );
    }

    #[test]
    fn fail_entry_framing() {
        let e = Entry::sign(&st(), &[&key(1)], "t").unwrap();
        let text = String::from_utf8(e.to_bytes()).unwrap();
        for (bad, code) in [
            (
                text.replacen("omega-entry/v1\n", "omega-entry/v1 \n", 1),
                ErrorCode::Malformed,
            ),
            (
                text.replacen("omega-entry/v1", "omega-entry/v10", 1),
                ErrorCode::UnsupportedVersion,
            ),
            (
                text.replacen("\nuntrusted", "\n\nuntrusted", 1),
                ErrorCode::Malformed,
            ),
            ("omega-entry/v1".to_string(), ErrorCode::Malformed),
            (
                format!(
                    "omega-entry/v1\n{}",
                    String::from_utf8(e.statement_bytes.clone()).unwrap()
                ),
                ErrorCode::Malformed,
            ),
            (String::new(), ErrorCode::Malformed),
        ] {
            assert_eq!(
                Entry::parse(bad.as_bytes()).unwrap_err().code(),
                code,
                "{bad:?}"
            );
        }
        let mut big = vec![b'x'; omega_core::limits::MAX_ENTRY_BYTES + 1];
        big[..15].copy_from_slice(b"omega-entry/v1\n");
        assert_eq!(Entry::parse(&big).unwrap_err().code(), ErrorCode::TooLarge);
    }
}

mod mutations {
    //! A cheap stand-in for the `statement` and `entry` fuzz targets that runs with the tests:
    //! random edits of valid statements and entries never panic, and whatever is accepted is
    //! its own canonical form.
    use super::*;
    use proptest::prelude::*;

    fn seeds(kind: &str, field: &str) -> Vec<Vec<u8>> {
        load()
            .iter()
            .filter(|c| c["kind"] == kind && c["expect"].get("type").is_some())
            .map(|c| c[field].as_str().unwrap().as_bytes().to_vec())
            .collect()
    }

    fn mutate(mut data: Vec<u8>, edits: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
        for (at, op, byte) in edits {
            if data.is_empty() {
                break;
            }
            let i = at.index(data.len());
            match op % 4 {
                0 => data[i] ^= 1 << (byte % 8),
                1 => data[i] = *byte,
                2 => data.insert(i, *byte),
                _ => {
                    data.remove(i);
                }
            }
        }
        data
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

        #[test]
        fn mutated_statements_accepted_only_in_canonical_form(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<u8>()), 1..4),
        ) {
            let all = seeds("statement", "statement");
            let data = mutate(all[which.index(all.len())].clone(), &edits);
            if let Ok(st) = Statement::parse(&data) {
                prop_assert_eq!(st.to_bytes(), data.clone());
                prop_assert_eq!(Statement::parse(&st.to_bytes()).unwrap(), st);
            }
        }

        #[test]
        fn mutated_entries_accepted_only_in_their_one_form(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<u8>()), 1..4),
        ) {
            let all = seeds("entry", "entry");
            let data = mutate(all[which.index(all.len())].clone(), &edits);
            let _ = RegistryState::genesis(&data);
            if let Ok(e) = Entry::parse(&data) {
                prop_assert_eq!(e.to_bytes(), data.clone());
                let again = Entry::assemble(&e.statement_bytes, e.signature_text().as_bytes()).unwrap();
                prop_assert_eq!(again, e);
            }
        }
    }
}
