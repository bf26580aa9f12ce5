//! tests/vectors/lock.json: lock-file update rules.

use super::*;

pub fn entry_json(e: &LockEntry) -> Value {
    let lf = Lockfile {
        packages: [("x".to_string(), e.clone())].into_iter().collect(),
        ..Lockfile::default()
    };
    let v: Value = serde_json::from_slice(&lf.to_json_bytes()).expect("json");
    v["packages"]["x"].clone()
}

pub fn lock_vectors() -> Vec<Value> {
    let (a, b, c, d) = (key(1), key(2), key(3), key(4));
    let src = |v: &str| {
        vec![
            file("index.js", &format!("module.exports = '{v}';\n")),
            file("package.json", "{}\n"),
        ]
    };
    let mut cases = Vec::new();
    let mut case = |name: &str,
                    pinned: Option<&LockEntry>,
                    files: &Files,
                    trust: &[&SecretKey],
                    expect: Result<&str, ErrorCode>|
     -> Option<LockEntry> {
        let mem =
            MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
                .expect(name);
        let manifest = mem
            .manifest
            .as_ref()
            .map(|m| Manifest::parse(m).expect("manifest"));
        let blocks = mem
            .signatures
            .as_ref()
            .map(|s| SignatureBlock::parse_all(s, "sig").expect("sig"))
            .unwrap_or_default();
        let release = manifest.as_ref().map(|m| Release {
            manifest: m,
            manifest_bytes: mem.manifest.as_deref().unwrap_or_default(),
            signatures: &blocks,
        });
        let cand = Candidate {
            name: "left-pad",
            path: "node_modules/left-pad",
            tree: mem.listing.digest(),
            version: manifest.as_ref().map_or("0.0.1", |m| m.version.as_str()),
            release,
        };
        let trust_keys: Vec<PublicKey> = trust.iter().map(|k| k.public_key()).collect();
        let got = admit(pinned, &cand, &trust_keys, LegacyPolicy::Refuse);
        let (exp, entry) = match (&got, expect) {
            (Ok(adm), Ok(want)) => {
                assert_eq!(adm.change.as_str(), want, "lock vector {name}");
                (
                    json!({"change": want, "entry": entry_json(&adm.entry)}),
                    Some(adm.entry.clone()),
                )
            }
            (Err(e), Err(code)) => {
                assert_eq!(e.code(), code, "lock vector {name}: {e}");
                (err_json(code), None)
            }
            _ => panic!("lock vector {name}: got {got:?}, intended {expect:?}"),
        };
        cases.push(json!({"name": name, "pinned": pinned.map(entry_json), "package": "left-pad", "path": "node_modules/left-pad", "files": files_json(files), "trust": trust.iter().map(|k| k.public_key().to_base64()).collect::<Vec<_>>(), "expect": exp}));
        entry
    };
    let v1 = package(
        src("1"),
        "left-pad",
        "1.0.0",
        1,
        keyset(1, &[&a], &[&b]),
        &[&a],
    );
    let pin1 = case("tofu_first_sight", None, &v1, &[], Ok("new-tofu")).expect("pin");
    case("explicit_trust", None, &v1, &[&a], Ok("new-explicit"));
    case(
        "fail_explicit_trust_other_key",
        None,
        &v1,
        &[&c],
        Err(ErrorCode::KeyNotTrusted),
    );
    case(
        "unsigned_first_sight",
        None,
        &src("1"),
        &[],
        Ok("new-unsigned"),
    );
    case(
        "fail_trust_for_unsigned",
        None,
        &src("1"),
        &[&a],
        Err(ErrorCode::KeyNotTrusted),
    );
    let self_claim = package(
        src("1"),
        "left-pad",
        "1.0.0",
        1,
        keyset(1, &[&a], &[]),
        &[&c],
    );
    case(
        "fail_tofu_signed_by_non_signer",
        None,
        &self_claim,
        &[],
        Err(ErrorCode::KeyNotTrusted),
    );
    case(
        "same_release_unchanged",
        Some(&pin1),
        &v1,
        &[],
        Ok("unchanged"),
    );
    let v2 = package(
        src("2"),
        "left-pad",
        "1.1.0",
        2,
        keyset(1, &[&a], &[&b]),
        &[&a],
    );
    case("update_by_signer", Some(&pin1), &v2, &[], Ok("updated"));
    // A retired pin (docs/format.md §4.7: the name was absent for a lock run) admits a
    // returning release as an update, by the same rules; the new entry is no longer retired.
    let mut retired = pin1.clone();
    retired.retired = true;
    case(
        "update_of_retired_pin",
        Some(&retired),
        &v2,
        &[],
        Ok("updated"),
    );
    case(
        "unchanged_release_back_under_retired_pin",
        Some(&retired),
        &v1,
        &[],
        Ok("unchanged"),
    );
    let v2_rot = package(
        src("2"),
        "left-pad",
        "2.0.0",
        2,
        keyset(1, &[&b], &[&d]),
        &[&b],
    );
    let pin_rot = case(
        "rotation_through_next_key",
        Some(&pin1),
        &v2_rot,
        &[],
        Ok("updated"),
    )
    .expect("pin");
    let v3_old = package(
        src("3"),
        "left-pad",
        "2.1.0",
        3,
        keyset(1, &[&a], &[]),
        &[&a],
    );
    case(
        "fail_old_key_after_rotation",
        Some(&pin_rot),
        &v3_old,
        &[],
        Err(ErrorCode::KeyNotTrusted),
    );
    let v2_bad = package(
        src("2"),
        "left-pad",
        "1.1.0",
        2,
        keyset(1, &[&c], &[]),
        &[&c],
    );
    case(
        "fail_uncommitted_key",
        Some(&pin1),
        &v2_bad,
        &[],
        Err(ErrorCode::KeyNotTrusted),
    );
    case(
        "fail_retired_pin_other_key",
        Some(&retired),
        &v2_bad,
        &[],
        Err(ErrorCode::KeyNotTrusted),
    );
    let v0 = package(
        src("0"),
        "left-pad",
        "0.9.0",
        0,
        keyset(1, &[&a], &[]),
        &[&a],
    );
    case(
        "fail_lower_sequence",
        Some(&pin1),
        &v0,
        &[],
        Err(ErrorCode::Rollback),
    );
    let v1_other = package(
        src("other"),
        "left-pad",
        "1.0.1",
        1,
        keyset(1, &[&a], &[]),
        &[&a],
    );
    case(
        "fail_equal_sequence_other_tree",
        Some(&pin1),
        &v1_other,
        &[],
        Err(ErrorCode::Rollback),
    );
    case(
        "fail_signed_pin_unsigned_release",
        Some(&pin1),
        &src("2"),
        &[],
        Err(ErrorCode::ThresholdNotMet),
    );
    let pin_unsigned = case("unsigned_pin", None, &src("1"), &[], Ok("new-unsigned")).expect("pin");
    case(
        "fail_unsigned_pin_changed",
        Some(&pin_unsigned),
        &src("2"),
        &[],
        Err(ErrorCode::DigestMismatch),
    );
    // A digest pin never learns keys by itself: anyone can add .omega/ to unchanged files.
    case(
        "fail_unsigned_pin_signed_later_without_trust",
        Some(&pin_unsigned),
        &v1,
        &[],
        Err(ErrorCode::KeyNotTrusted),
    );
    case(
        "unsigned_pin_signed_later_with_trust",
        Some(&pin_unsigned),
        &v1,
        &[&a],
        Ok("new-explicit"),
    );
    // --trust on a signed pin must name one of its signers or next keys.
    case(
        "fail_trust_other_key_on_signed_pin",
        Some(&pin1),
        &v1,
        &[&c],
        Err(ErrorCode::KeyNotTrusted),
    );
    case(
        "trust_pinned_key_on_signed_pin",
        Some(&pin1),
        &v2,
        &[&a],
        Ok("updated"),
    );
    let v_t2 = package(
        src("1"),
        "left-pad",
        "1.0.0",
        1,
        keyset(2, &[&a, &b], &[]),
        &[&a, &b],
    );
    let pin_t2 = case("tofu_threshold_two", None, &v_t2, &[], Ok("new-tofu")).expect("pin");
    let v2_t2_one = package(
        src("2"),
        "left-pad",
        "1.1.0",
        2,
        keyset(2, &[&a, &b], &[]),
        &[&a],
    );
    case(
        "fail_threshold_two_one_signature",
        Some(&pin_t2),
        &v2_t2_one,
        &[],
        Err(ErrorCode::ThresholdNotMet),
    );
    let v_t2_one = package(
        src("1"),
        "left-pad",
        "1.0.0",
        1,
        keyset(2, &[&a, &b], &[]),
        &[&a],
    );
    case(
        "fail_tofu_threshold_two_one_signature",
        None,
        &v_t2_one,
        &[],
        Err(ErrorCode::ThresholdNotMet),
    );
    let wrong_name = package(
        src("2"),
        "right-pad",
        "1.1.0",
        2,
        keyset(1, &[&a], &[]),
        &[&a],
    );
    case(
        "fail_manifest_for_other_package",
        Some(&pin1),
        &wrong_name,
        &[],
        Err(ErrorCode::Malformed),
    );
    // Revocation of key A (signed by A itself), then a release signed by A is refused.
    let mut revoked = pin1.clone();
    let stmt = Revocation {
        name: "left-pad".into(),
        key: a.public_key(),
        reason: "key lost".into(),
    }
    .to_json_bytes();
    let blocks = vec![a.sign(&stmt, "revocation", "revocation").expect("sign")];
    apply_revocation(
        "left-pad",
        &mut revoked,
        &stmt,
        &blocks,
        LegacyPolicy::Refuse,
    )
    .expect("revoke");
    case(
        "fail_revoked_key_signs",
        Some(&revoked),
        &v2,
        &[],
        Err(ErrorCode::KeyRevoked),
    );
    let v2_by_b = package(
        src("2"),
        "left-pad",
        "1.1.0",
        2,
        keyset(1, &[&b], &[]),
        &[&b],
    );
    case(
        "after_revocation_next_key_signs",
        Some(&revoked),
        &v2_by_b,
        &[],
        Ok("updated"),
    );
    let v2_readds = package(
        src("2"),
        "left-pad",
        "1.1.0",
        2,
        keyset(1, &[&b], &[&a]),
        &[&b],
    );
    case(
        "fail_release_redeclares_revoked_key",
        Some(&revoked),
        &v2_readds,
        &[],
        Err(ErrorCode::KeyRevoked),
    );
    cases
}
