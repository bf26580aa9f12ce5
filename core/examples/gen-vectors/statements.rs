//! tests/vectors/statements.json: registry statements, log entries and replayed logs
//! (REGISTRY.md R4).
//!
//! Three kinds of case:
//! - `statement`: `statement` (text) parsed; `expect.type` (valid, and canonical: it is its
//!   own serialisation) or `expect.error`.
//! - `entry`: `entry` (text) parsed; `expect.type` + `expect.signatures` or `expect.error`.
//! - `log`: `entries` (texts, log order, entry i at index i) replayed from the genesis,
//!   invalid entries skipped (`OnInvalid::Skip`: the position is used, the state unchanged);
//!   `expect.verdicts` has `"ok"` or the error code per entry, `expect.genesis` the SHA-256
//!   hex of entry 0, `expect.state` the final state as `RegistryState::to_json_bytes` writes
//!   it (or null when the genesis is invalid).

use super::*;
use omega_core::entry::Entry;
use omega_core::registry::{genesis_hash, replay, OnInvalid, ReplayOptions};
use omega_core::statement::{
    Mode, NoticeStatement, OwnersStatement, RegistryStatement, ReleaseStatement, RevokeStatement,
    SequenceRange, Severity, Statement, YankStatement,
};
use omega_core::vkey::Vkey;
use omega_core::TreeDigest;

const ORIGIN: &str = "registry.example/log";
const TCOMMENT: &str = "omega-entry/v1";

fn registry(serial: u64, janitors: KeySet, mode: Mode) -> Statement {
    Statement::Registry(RegistryStatement {
        origin: ORIGIN.into(),
        serial,
        janitors,
        log_key: Vkey::ed25519(ORIGIN, *key(200).public_key().as_bytes()).expect("vkey"),
        index_key: Vkey::ed25519("registry.example/index", *key(201).public_key().as_bytes())
            .expect("vkey"),
        mode,
    })
}

fn owners(name: &str, serial: u64, keys: KeySet) -> Statement {
    Statement::Owners(OwnersStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        serial,
        keys,
        reason: "first release".into(),
    })
}

fn release(name: &str, version: &str, sequence: u64, keys: KeySet) -> Statement {
    Statement::Release(ReleaseStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        version: version.into(),
        sequence,
        tree: TreeDigest([sequence as u8; 32]),
        manifest: [0x11; 32],
        tgz: [0x22; 32],
        size: 4096,
        keys,
    })
}

fn revoke(name: &str, k: &SecretKey) -> Statement {
    Statement::Revoke(RevokeStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        key: k.public_key(),
        reason: "laptop stolen".into(),
    })
}

fn yank(name: &str, version: &str, sequence: u64) -> Statement {
    Statement::Yank(YankStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        version: version.into(),
        sequence,
        reason: "broken build".into(),
    })
}

fn notice(name: &str, id: &str) -> Statement {
    Statement::Notice(NoticeStatement {
        origin: ORIGIN.into(),
        name: name.into(),
        id: id.into(),
        severity: Severity::Critical,
        affected: vec![
            SequenceRange { from: 1, to: 3 },
            SequenceRange { from: 5, to: 5 },
        ],
        fixed: Some(6),
        summary: "prototype pollution in pad()".into(),
        url: Some("https://registry.example/notices/OSA-1".into()),
    })
}

fn entry(st: &Statement, by: &[&SecretKey]) -> String {
    String::from_utf8(Entry::sign(st, by, TCOMMENT).expect("sign").to_bytes()).expect("utf8")
}

fn text(st: &Statement) -> String {
    String::from_utf8(st.to_bytes()).expect("utf8")
}

pub fn statement_vectors() -> Vec<Value> {
    let mut cases = Vec::new();
    let (j1, j2, j3) = (key(1), key(2), key(3));
    let (a, b, c, d) = (key(10), key(11), key(12), key(13));
    let stranger = key(66);
    let janitors = keyset(2, &[&j1, &j2, &j3], &[]);

    // ---- statements ----
    let valid = [
        ("registry_valid", registry(0, janitors.clone(), Mode::Open)),
        (
            "owners_valid",
            owners("left-pad", 0, keyset(1, &[&a], &[&b])),
        ),
        (
            "owners_scoped_name_valid",
            owners("@scope/pad", 3, keyset(2, &[&a, &b], &[])),
        ),
        (
            "release_valid",
            release("left-pad", "1.3.0", 7, keyset(1, &[&a], &[&b])),
        ),
        ("revoke_valid", revoke("left-pad", &b)),
        ("yank_valid", yank("left-pad", "1.3.0", 7)),
        ("notice_valid", notice("left-pad", "OSA-1")),
        (
            "notice_without_optional_fields_valid",
            Statement::Notice(NoticeStatement {
                origin: ORIGIN.into(),
                name: "left-pad".into(),
                id: "OSA-2".into(),
                severity: Severity::Low,
                affected: vec![SequenceRange { from: 0, to: 0 }],
                fixed: None,
                summary: "ünïcode summary, raw UTF-8".into(),
                url: None,
            }),
        ),
    ];
    let mut st_case = |name: &str, statement: String, expect: Result<&str, ErrorCode>| {
        let got = Statement::parse(statement.as_bytes());
        let exp = match (&got, expect) {
            (Ok(s), Ok(kind)) => {
                assert_eq!(s.kind(), kind, "statement vector {name}");
                assert_eq!(
                    s.to_bytes(),
                    statement.as_bytes(),
                    "statement vector {name}: not canonical"
                );
                json!({"type": kind})
            }
            (Err(e), Err(code)) => {
                assert_eq!(e.code(), code, "statement vector {name}: {e}");
                err_json(code)
            }
            _ => panic!("statement vector {name}: got {got:?}, intended {expect:?}"),
        };
        cases.push(
            json!({"name": name, "kind": "statement", "statement": statement, "expect": exp}),
        );
    };
    for (name, st) in &valid {
        st_case(name, text(st), Ok(st.kind()));
    }
    let rel = text(&release("left-pad", "1.3.0", 7, keyset(1, &[&a], &[&b])));
    let own = text(&owners("left-pad", 0, keyset(1, &[&a], &[])));
    let not = text(&notice("left-pad", "OSA-1"));
    let reg = text(&registry(0, janitors.clone(), Mode::Open));
    use ErrorCode::*;
    let refusals: Vec<(&str, String, ErrorCode)> = vec![
        (
            "fail_version_2",
            rel.replacen("\"omega-entry\":1", "\"omega-entry\":2", 1),
            UnsupportedVersion,
        ),
        (
            "fail_version_missing",
            rel.replacen("\"omega-entry\":1,", "", 1),
            Malformed,
        ),
        (
            "fail_unknown_type",
            rel.replacen("\"type\":\"release\"", "\"type\":\"unpublish\"", 1),
            Malformed,
        ),
        (
            "fail_type_missing",
            rel.replacen("\"type\":\"release\",", "", 1),
            Malformed,
        ),
        (
            "fail_unknown_field",
            rel.replacen("\"size\":4096", "\"size\":4096,\"extra\":1", 1),
            Malformed,
        ),
        (
            "fail_duplicate_key",
            rel.replacen("\"size\":4096", "\"size\":4096,\"size\":4096", 1),
            Malformed,
        ),
        (
            "fail_duplicate_type_key",
            rel.replacen(
                "\"type\":\"release\"",
                "\"type\":\"release\",\"type\":\"release\"",
                1,
            ),
            Malformed,
        ),
        ("fail_trailing_data", format!("{rel} "), Malformed),
        ("fail_trailing_newline", format!("{rel}\n"), Malformed),
        ("fail_second_object", format!("{rel}{{}}"), Malformed),
        (
            "fail_not_compact",
            rel.replacen("\"name\":", "\"name\": ", 1),
            Malformed,
        ),
        (
            "fail_fields_reordered",
            rel.replacen(
                "\"omega-entry\":1,\"type\":\"release\"",
                "\"type\":\"release\",\"omega-entry\":1",
                1,
            ),
            Malformed,
        ),
        (
            "fail_escaped_character",
            rel.replacen("left-pad", "left\\u002dpad", 1),
            Malformed,
        ),
        (
            "fail_number_not_shortest",
            rel.replacen("\"sequence\":7", "\"sequence\":7.0", 1),
            Malformed,
        ),
        (
            "fail_next_missing",
            own.replacen(",\"next\":[]", "", 1),
            Malformed,
        ),
        (
            "fail_optional_null",
            not.replacen("\"fixed\":6", "\"fixed\":null", 1),
            Malformed,
        ),
        (
            "fail_too_large",
            rel.replacen(
                "\"size\":4096",
                &format!(
                    "\"size\":4096{}",
                    " ".repeat(omega_core::limits::MAX_STATEMENT_BYTES)
                ),
                1,
            ),
            TooLarge,
        ),
        (
            "fail_control_character_in_reason",
            own.replacen("first release", "first\\trelease", 1),
            Malformed,
        ),
        (
            "fail_bad_name",
            rel.replacen("left-pad", "Left-Pad", 1),
            Malformed,
        ),
        (
            "fail_bad_severity",
            not.replacen("critical", "urgent", 1),
            Malformed,
        ),
        (
            "fail_empty_range",
            not.replacen("{\"from\":1,\"to\":3}", "{\"from\":3,\"to\":1}", 1),
            Malformed,
        ),
        (
            "fail_no_affected_range",
            not.replacen("[{\"from\":1,\"to\":3},{\"from\":5,\"to\":5}]", "[]", 1),
            Malformed,
        ),
        (
            "fail_url_not_https",
            not.replacen("https://", "http://", 1),
            Malformed,
        ),
        (
            "fail_uppercase_digest",
            rel.replacen(&"11".repeat(32), &"AA".repeat(32), 1),
            Malformed,
        ),
        (
            "fail_threshold_above_signers",
            own.replacen("\"threshold\":1", "\"threshold\":2", 1),
            Malformed,
        ),
        (
            "fail_key_listed_twice",
            {
                let k = a.public_key().to_base64();
                own.replacen("\"next\":[]", &format!("\"next\":[\"{k}\"]"), 1)
            },
            Malformed,
        ),
        (
            "fail_bad_mode",
            reg.replacen("\"mode\":\"open\"", "\"mode\":\"closed\"", 1),
            Malformed,
        ),
        (
            "fail_log_key_not_named_after_origin",
            reg.replacen(ORIGIN, "registry.example/other", 1),
            Malformed,
        ),
        ("fail_not_an_object", "[1]".into(), Malformed),
    ];
    for (name, s, code) in refusals {
        st_case(name, s, Err(code));
    }

    // ---- entries ----
    let mut en_case = |name: &str, e: String, expect: Result<(&str, usize), ErrorCode>| {
        let got = Entry::parse(e.as_bytes());
        let exp = match (&got, expect) {
            (Ok(en), Ok((kind, n))) => {
                assert_eq!(
                    (en.statement.kind(), en.signatures.len()),
                    (kind, n),
                    "entry vector {name}"
                );
                assert_eq!(en.to_bytes(), e.as_bytes(), "entry vector {name}");
                json!({"type": kind, "signatures": n})
            }
            (Err(err), Err(code)) => {
                assert_eq!(err.code(), code, "entry vector {name}: {err}");
                err_json(code)
            }
            _ => panic!("entry vector {name}: got {got:?}, intended {expect:?}"),
        };
        cases.push(json!({"name": name, "kind": "entry", "entry": e, "expect": exp}));
    };
    let rel_st = release("left-pad", "1.3.0", 7, keyset(1, &[&a], &[&b]));
    let one = entry(&rel_st, &[&a]);
    en_case("entry_one_signature", one.clone(), Ok(("release", 1)));
    en_case(
        "entry_two_signatures",
        entry(&rel_st, &[&a, &b]),
        Ok(("release", 2)),
    );
    en_case(
        "fail_entry_header_v2",
        one.replacen("omega-entry/v1", "omega-entry/v2", 1),
        Err(UnsupportedVersion),
    );
    en_case(
        "fail_entry_no_header",
        one.replacen("omega-entry/v1\n", "", 1),
        Err(Malformed),
    );
    en_case("fail_entry_crlf", one.replace('\n', "\r\n"), Err(Malformed));
    en_case(
        "fail_entry_trailing_blank_line",
        format!("{one}\n"),
        Err(Malformed),
    );
    en_case(
        "fail_entry_no_signature",
        format!("omega-entry/v1\n{}\n", text(&rel_st)),
        Err(Malformed),
    );
    en_case(
        "fail_entry_statement_not_canonical",
        one.replacen("\"name\":", "\"name\": ", 1),
        Err(Malformed),
    );
    let legacy = a
        .sign_legacy(&rel_st.to_bytes(), TCOMMENT, "legacy")
        .expect("sign")
        .to_text();
    en_case(
        "fail_entry_legacy_signature",
        format!("omega-entry/v1\n{}\n{legacy}", text(&rel_st)),
        Err(LegacySignatureRefused),
    );
    let block = a
        .sign(&rel_st.to_bytes(), TCOMMENT, "x")
        .expect("sign")
        .to_text();
    en_case(
        "fail_entry_17_signatures",
        format!("omega-entry/v1\n{}\n{}", text(&rel_st), block.repeat(17)),
        Err(TooLarge),
    );
    let big_tc = "x".repeat(8000);
    let big = Entry::assemble(
        &rel_st.to_bytes(),
        (0..9)
            .map(|i| {
                key(100 + i)
                    .sign(&rel_st.to_bytes(), &big_tc, "x")
                    .expect("sign")
                    .to_text()
            })
            .collect::<String>()
            .as_bytes(),
    );
    assert_eq!(big.expect_err("too large").code(), TooLarge);
    let big_text = format!(
        "omega-entry/v1\n{}\n{}",
        text(&rel_st),
        (0..9)
            .map(|i| key(100 + i)
                .sign(&rel_st.to_bytes(), &big_tc, "x")
                .expect("sign")
                .to_text())
            .collect::<String>()
    );
    en_case("fail_entry_over_65535_bytes", big_text, Err(TooLarge));

    // ---- logs ----
    let mut log_case = |name: &str, entries: Vec<String>, intended: &[Option<ErrorCode>]| {
        assert_eq!(entries.len(), intended.len(), "log vector {name}");
        let r = replay(
            None,
            entries.iter().map(|e| e.as_bytes()),
            ReplayOptions {
                on_invalid: OnInvalid::Skip,
                ..Default::default()
            },
        );
        assert_eq!(r.verdicts.len(), entries.len(), "log vector {name}");
        let mut verdicts = Vec::new();
        for (i, (got, want)) in r.verdicts.iter().zip(intended).enumerate() {
            match (got, want) {
                (Ok(()), None) => verdicts.push(json!("ok")),
                (Err(e), Some(code)) if e.code() == *code => verdicts.push(json!(code.as_str())),
                _ => panic!("log vector {name}: entry {i}: got {got:?}, intended {want:?}"),
            }
        }
        let state = r.state.as_ref().map_or(Value::Null, |s| {
            serde_json::from_slice(&s.to_json_bytes()).expect("state json")
        });
        cases.push(json!({"name": name, "kind": "log", "entries": entries,
            "expect": {"verdicts": verdicts, "genesis": genesis_hash(entries[0].as_bytes()), "state": state}}));
    };
    let genesis = |mode| entry(&registry(0, janitors.clone(), mode), &[&j1, &j2]);
    log_case("genesis_ok", vec![genesis(Mode::Open)], &[None]);
    log_case(
        "fail_genesis_bad_signer",
        vec![entry(
            &registry(0, janitors.clone(), Mode::Open),
            &[&stranger],
        )],
        &[Some(KeyNotTrusted)],
    );
    log_case(
        "fail_genesis_below_threshold",
        vec![entry(&registry(0, janitors.clone(), Mode::Open), &[&j1])],
        &[Some(ThresholdNotMet)],
    );
    let (n1, n2) = (key(5), key(6));
    let new_j = keyset(2, &[&n1, &n2], &[]);
    let rot = registry(1, new_j.clone(), Mode::Curated);
    log_case(
        "janitor_rotation_needs_old_and_new_quorums",
        vec![
            genesis(Mode::Open),
            entry(&rot, &[&j1, &j2]),
            entry(&rot, &[&n1, &n2]),
            entry(&rot, &[&j1, &n1, &n2]),
            entry(&rot, &[&j1, &j3, &n1, &n2]),
            entry(&owners("left-pad", 0, keyset(1, &[&a], &[])), &[&j1, &j2]),
            entry(&owners("left-pad", 0, keyset(1, &[&a], &[])), &[&n1, &n2]),
        ],
        &[
            None,
            Some(ThresholdNotMet),
            Some(ThresholdNotMet),
            Some(ThresholdNotMet),
            None,
            Some(KeyNotTrusted),
            None,
        ],
    );
    log_case(
        "owners_first_come_in_open_registry",
        vec![
            genesis(Mode::Open),
            entry(&owners("left-pad", 0, keyset(1, &[&a], &[])), &[&a]),
            entry(
                &owners("left-pad", 0, keyset(1, &[&stranger], &[])),
                &[&stranger],
            ),
            entry(
                &owners("left-pad", 1, keyset(1, &[&stranger], &[])),
                &[&stranger],
            ),
            entry(&owners("left-pad", 1, keyset(1, &[&a], &[])), &[&a]),
            entry(
                &owners("left-pad", 1, keyset(2, &[&a, &b], &[])),
                &[&j2, &j3],
            ),
        ],
        &[
            None,
            None,
            Some(Rollback),
            Some(KeyNotTrusted),
            Some(KeyNotTrusted),
            None,
        ],
    );
    log_case(
        "owners_by_janitors_only_in_curated_registry",
        vec![
            genesis(Mode::Curated),
            entry(&owners("left-pad", 0, keyset(1, &[&a], &[])), &[&a]),
            entry(&owners("left-pad", 0, keyset(1, &[&a], &[])), &[&j1]),
            entry(&owners("left-pad", 0, keyset(1, &[&a], &[])), &[&j1, &j3]),
        ],
        &[None, Some(KeyNotTrusted), Some(ThresholdNotMet), None],
    );
    let ab = keyset(1, &[&a], &[&b]);
    log_case(
        "releases",
        vec![
            genesis(Mode::Open),
            entry(&owners("left-pad", 0, ab.clone()), &[&a]),
            entry(&release("left-pad", "1.0.0", 1, ab.clone()), &[&a]),
            entry(&release("left-pad", "1.0.1", 2, ab.clone()), &[&b]),
            entry(&release("left-pad", "1.0.2", 3, ab.clone()), &[&stranger]),
            entry(&release("left-pad", "0.9.0", 2, ab.clone()), &[&a]),
            entry(&release("left-pad", "1.0.2", 3, ab.clone()), &[&j1, &j2]),
            entry(&revoke("left-pad", &b), &[&b]),
            entry(
                &release("left-pad", "1.0.2", 3, keyset(1, &[&a], &[])),
                &[&b],
            ),
            entry(
                &release("left-pad", "1.0.2", 3, keyset(1, &[&a], &[])),
                &[&a],
            ),
            entry(&release("left-pad", "1.0.3", 4, ab.clone()), &[&a]),
        ],
        &[
            None,
            None,
            None,
            None,
            Some(KeyNotTrusted),
            Some(Rollback),
            Some(KeyNotTrusted),
            None,
            Some(KeyRevoked),
            None,
            Some(KeyRevoked),
        ],
    );
    let abcd = keyset(1, &[&a, &b, &c, &d], &[]);
    log_case(
        "revocations",
        vec![
            genesis(Mode::Open),
            entry(&owners("left-pad", 0, abcd.clone()), &[&a]),
            entry(&revoke("left-pad", &d), &[&d]),
            entry(&revoke("left-pad", &c), &[&a]),
            entry(&revoke("left-pad", &b), &[&j1, &j3]),
            entry(&revoke("left-pad", &a), &[&stranger]),
            entry(&revoke("left-pad", &a), &[&d]),
            entry(&revoke("left-pad", &d), &[&a]),
            entry(&revoke("left-pad", &stranger), &[&stranger]),
        ],
        &[
            None,
            None,
            None,
            None,
            None,
            Some(KeyNotTrusted),
            Some(KeyRevoked),
            Some(KeyRevoked),
            Some(NotFound),
        ],
    );
    log_case(
        "yanks_and_notices",
        vec![
            genesis(Mode::Open),
            entry(&owners("left-pad", 0, ab.clone()), &[&a]),
            entry(&release("left-pad", "1.0.0", 1, ab.clone()), &[&a]),
            entry(&yank("left-pad", "2.0.0", 1), &[&a]),
            entry(&yank("left-pad", "1.0.0", 9), &[&a]),
            entry(&yank("left-pad", "1.0.0", 1), &[&stranger]),
            entry(&yank("left-pad", "1.0.0", 1), &[&j1, &j2]),
            entry(&notice("left-pad", "OSA-1"), &[&stranger]),
            entry(&notice("left-pad", "OSA-1"), &[&b]),
            entry(&notice("left-pad", "OSA-1"), &[&j1, &j2]),
            entry(&notice("right-pad", "OSA-2"), &[&j1, &j2]),
        ],
        &[
            None,
            None,
            None,
            Some(NotFound),
            Some(NotFound),
            Some(KeyNotTrusted),
            None,
            Some(KeyNotTrusted),
            None,
            Some(Malformed),
            Some(NotFound),
        ],
    );
    cases
}
