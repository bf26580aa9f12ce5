//! tests/vectors/revocation.json: revocation statements.

use super::lock::entry_json;
use super::*;

pub fn revocation_vectors() -> Vec<Value> {
    let (a, b, c) = (key(1), key(2), key(3));
    let ks = keyset(2, &[&a, &b, &c], &[]);
    let m = Manifest::new(
        "left-pad",
        "1.0.0",
        1,
        &listing(&vec![file("index.js", "x")]),
        BTreeMap::new(),
        ks.clone(),
    )
    .expect("m");
    let entry = LockEntry {
        version: "1.0.0".into(),
        sequence: 1,
        tree: m.tree,
        keys: Some(ks),
        revoked: vec![],
        signed_by: vec![a.public_key(), b.public_key()],
        path: omega_core::RelPath::new("node_modules/left-pad").expect("valid path"),
        retired: false,
        registry: None,
    };
    let mut cases = Vec::new();
    let mut case = |name: &str,
                    stmt: Vec<u8>,
                    signers: &[&SecretKey],
                    expect: Option<ErrorCode>| {
        let sig: String = signers
            .iter()
            .map(|k| {
                k.sign(&stmt, "revocation", "revocation")
                    .expect("sign")
                    .to_text()
            })
            .collect();
        let blocks = SignatureBlock::parse_all(sig.as_bytes(), "sig").expect("sig");
        let mut e = entry.clone();
        let got = apply_revocation("left-pad", &mut e, &stmt, &blocks, LegacyPolicy::Refuse);
        let exp = match (&got, expect) {
            (Ok(r), None) => json!({"revoked": r.key.to_base64(), "entry": entry_json(&e)}),
            (Err(err), Some(code)) => {
                assert_eq!(err.code(), code, "revocation vector {name}: {err}");
                err_json(code)
            }
            _ => panic!("revocation vector {name}: got {got:?}, intended {expect:?}"),
        };
        cases.push(json!({"name": name, "pinned": entry_json(&entry), "package": "left-pad", "statement": String::from_utf8(stmt).expect("utf8"), "signature": sig, "expect": exp}));
    };
    let rev = |k: &SecretKey, name: &str| {
        Revocation {
            name: name.into(),
            key: k.public_key(),
            reason: "compromised".into(),
        }
        .to_json_bytes()
    };
    case("self_signed", rev(&c, "left-pad"), &[&c], None);
    case("threshold_of_signers", rev(&c, "left-pad"), &[&a, &b], None);
    case(
        "fail_one_signer_below_threshold",
        rev(&c, "left-pad"),
        &[&a],
        Some(ErrorCode::ThresholdNotMet),
    );
    case(
        "fail_signed_by_outsider",
        rev(&c, "left-pad"),
        &[&key(9)],
        Some(ErrorCode::KeyNotTrusted),
    );
    case(
        "fail_other_package",
        rev(&c, "right-pad"),
        &[&c],
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_unknown_key",
        rev(&key(9), "left-pad"),
        &[&key(9)],
        Some(ErrorCode::NotFound),
    );
    case(
        "fail_unknown_field",
        String::from_utf8(rev(&c, "left-pad"))
            .expect("utf8")
            .replace("\"reason\"", "\"extra\": 1,\n  \"reason\"")
            .into_bytes(),
        &[&c],
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_version_2",
        String::from_utf8(rev(&c, "left-pad"))
            .expect("utf8")
            .replace("\"omega-revoke\": 1", "\"omega-revoke\": 2")
            .into_bytes(),
        &[&c],
        Some(ErrorCode::UnsupportedVersion),
    );
    cases
}
