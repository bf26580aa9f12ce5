//! tests/vectors/manifest.json: manifests, valid and refused.

use super::*;

pub fn manifest_vectors() -> Vec<Value> {
    let a = key(1);
    let files = vec![
        file("index.js", "module.exports = 1;\n"),
        ("bin/cli.js".into(), true, b"#!/usr/bin/env node\n".to_vec()),
        file("lib/util.js", "exports.x = 2;\n"),
    ];
    let mut deps = BTreeMap::new();
    deps.insert(
        "left-pad".to_string(),
        listing(&vec![file("index.js", "pad")]).digest(),
    );
    let m = Manifest::new(
        "@demo/pkg",
        "1.2.3",
        7,
        &listing(&files),
        deps,
        keyset(1, &[&a], &[&key(3)]),
    )
    .expect("manifest");
    let good = String::from_utf8(m.to_json_bytes()).expect("utf8");
    let mut cases = Vec::new();
    let mut case = |name: &str, text: String, expect: Option<ErrorCode>| {
        let got = Manifest::parse(text.as_bytes());
        match (&got, expect) {
            (Ok(m), None) => assert_eq!(
                String::from_utf8(m.to_json_bytes()).expect("utf8"),
                text,
                "canonical {name}"
            ),
            (Err(e), Some(code)) => assert_eq!(e.code(), code, "manifest vector {name}: {e}"),
            _ => panic!("manifest vector {name}: got {got:?}, intended {expect:?}"),
        }
        let exp = match (expect, &got) {
            (None, Ok(m)) => {
                json!({"valid": true, "name": m.name, "version": m.version, "sequence": m.sequence, "tree": m.tree.to_string(), "files": m.files.len()})
            }
            (Some(c), _) => err_json(c),
            _ => unreachable!(),
        };
        cases.push(json!({"name": name, "manifest": text, "expect": exp}));
    };
    case("valid_canonical", good.clone(), None);
    let sub = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    case(
        "fail_unknown_field",
        sub("\"omega\": 1,", "\"omega\": 1,\n  \"extra\": true,"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_duplicate_key",
        sub("\"omega\": 1,", "\"omega\": 1,\n  \"name\": \"@demo/pkg\","),
        Some(ErrorCode::Malformed),
    );
    case("fail_duplicate_dependency", sub("\"dependencies\": {", "\"dependencies\": {\n    \"left-pad\": \"b2tree:0000000000000000000000000000000000000000000000000000000000000000\","), Some(ErrorCode::Malformed));
    case(
        "fail_trailing_data",
        format!("{good}{{}}"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_version_2",
        sub("\"omega\": 1,", "\"omega\": 2,"),
        Some(ErrorCode::UnsupportedVersion),
    );
    case(
        "fail_missing_version_field",
        sub("\"omega\": 1,", ""),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_bad_tree_prefix",
        sub("\"tree\": \"b2tree:", "\"tree\": \"sha256:"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_tree_mismatch",
        {
            let t = m.tree.to_string();
            let mut other = t.clone();
            other.replace_range(t.len() - 1.., if t.ends_with('0') { "1" } else { "0" });
            good.replace(&t, &other)
        },
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_uppercase_hex",
        {
            let h = to_hex(&m.files[0].hash);
            good.replacen(&h, &h.to_uppercase(), 1)
        },
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_bad_kind",
        sub("\"kind\": \"x\"", "\"kind\": \"l\""),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_negative_size",
        sub("\"size\": 20", "\"size\": -20"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_float_sequence",
        sub("\"sequence\": 7", "\"sequence\": 7.0"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_uppercase_name",
        sub("\"name\": \"@demo/pkg\"", "\"name\": \"@Demo/pkg\""),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_threshold_zero",
        sub("\"threshold\": 1", "\"threshold\": 0"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_threshold_above_signers",
        sub("\"threshold\": 1", "\"threshold\": 2"),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_bad_signer_key",
        sub("\"signers\": [\n      \"", "\"signers\": [\n      \"X"),
        Some(ErrorCode::Malformed),
    );
    // Hand-built file lists (the tree value is recomputed so only the rule under test fails).
    let with_files = |entries: Vec<FileEntry>| {
        let mut m2 = m.clone();
        m2.files = entries;
        let mut text = String::from_utf8(m2.to_json_bytes()).expect("utf8");
        if let Ok(l) = TreeListing::new(m2.files.clone()) {
            text = text.replace(&m.tree.to_string(), &l.digest().to_string());
        }
        text
    };
    let e = |p: &str| {
        FileEntry::from_contents(
            RelPath::new(p).expect("valid path"),
            FileKind::Regular,
            p.as_bytes(),
        )
    };
    case(
        "fail_unsorted_files",
        with_files(vec![e("b"), e("a")]),
        Some(ErrorCode::Malformed),
    );
    case(
        "fail_duplicate_files",
        with_files(vec![e("a"), e("a")]),
        Some(ErrorCode::Malformed),
    );
    // A `FileEntry` holds a valid path only: the unsafe one is written over a stand-in (same
    // contents, and the tree value left as it is, since no listing holds `../x`).
    let unsafe_path = {
        let mut m2 = m.clone();
        let mut stand_in = e("x");
        stand_in.hash = omega_core::hash::blake2b256(b"../x");
        stand_in.size = 4;
        m2.files = vec![stand_in];
        String::from_utf8(m2.to_json_bytes())
            .expect("utf8")
            .replacen("\"path\": \"x\"", "\"path\": \"../x\"", 1)
    };
    case("fail_unsafe_path", unsafe_path, Some(ErrorCode::UnsafePath));
    case(
        "fail_case_collision",
        with_files(vec![e("A"), e("a")]),
        Some(ErrorCode::UnsafePath),
    );
    case(
        "fail_metadata_path",
        with_files(vec![e(".omega/x")]),
        Some(ErrorCode::UnsafePath),
    );
    cases
}
