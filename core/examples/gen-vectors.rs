//! Generates the cross-language test vectors in `tests/vectors/*.json`.
//!
//! `cargo run -p omega-core --example gen-vectors --features sign -- tests/vectors`
//! (or `make vectors`). Output is deterministic: keys come from fixed seeds, trusted comments
//! are fixed, so running it again yields the same bytes. Every case states its intended
//! outcome here, by hand; the generator refuses to write a file if omega-core disagrees with
//! an intended outcome, so the vectors pin intent, not whatever the code happened to do.
//! Every binding runs these files (tests/vectors/README.md describes the fields).

use std::collections::BTreeMap;
use std::path::PathBuf;

use omega_core::check::{check_package, MemoryPackage, Pins};
use omega_core::hash::to_hex;
use omega_core::lock::{
    admit, apply_revocation, Candidate, LockEntry, Lockfile, Release, Revocation,
};
use omega_core::manifest::{KeySet, Manifest};
use omega_core::secret::SecretKey;
use omega_core::signature::{verify_detached, LegacyPolicy, SignatureBlock};
use omega_core::tree::{FileEntry, FileKind, TreeListing};
use omega_core::{ErrorCode, KeyId, PublicKey};
use serde_json::{json, Value};

type Files = Vec<(String, bool, Vec<u8>)>;
/// The intended outcome of a package check: the signing keys, or the code and every problem.
type PackageExpect<'a> = Result<Vec<PublicKey>, (ErrorCode, Vec<(&'a str, Option<&'a str>)>)>;

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n, 0x6f, 0x6d, 0x65, 0x67, 0x61, 0x00, n]))
}

fn file(path: &str, data: &str) -> (String, bool, Vec<u8>) {
    (path.to_string(), false, data.as_bytes().to_vec())
}

fn files_json(files: &Files) -> Value {
    Value::Array(
        files
            .iter()
            .map(|(p, x, d)| match std::str::from_utf8(d) {
                Ok(text) => json!({"path": p, "executable": x, "text": text}),
                Err(_) => json!({"path": p, "executable": x, "hex": to_hex(d)}),
            })
            .collect(),
    )
}

fn listing(files: &Files) -> TreeListing {
    let entries = files
        .iter()
        .filter(|(p, _, _)| !p.starts_with(".omega/"))
        .map(|(p, x, d)| {
            FileEntry::from_contents(
                p.clone(),
                if *x {
                    FileKind::Executable
                } else {
                    FileKind::Regular
                },
                d,
            )
        })
        .collect();
    TreeListing::new(entries).expect("valid listing")
}

fn keyset(threshold: u32, signers: &[&SecretKey], next: &[&SecretKey]) -> KeySet {
    KeySet {
        threshold,
        signers: signers.iter().map(|k| k.public_key()).collect(),
        next: next.iter().map(|k| k.public_key()).collect(),
    }
}

const TC: &str = "timestamp:1767225600\tfile:manifest.json\thashed";

/// A package: `files` plus `.omega/manifest.json` and its signature blocks by `signed_by`.
fn package(
    mut files: Files,
    name: &str,
    version: &str,
    seq: u64,
    keys: KeySet,
    signed_by: &[&SecretKey],
) -> Files {
    let m = Manifest::new(name, version, seq, &listing(&files), BTreeMap::new(), keys)
        .expect("manifest");
    let bytes = m.to_json_bytes();
    let mut sig = String::new();
    for k in signed_by {
        sig.push_str(
            &k.sign(&bytes, TC, "signature from omega secret key")
                .expect("sign")
                .to_text(),
        );
    }
    files.push((".omega/manifest.json".into(), false, bytes));
    if !signed_by.is_empty() {
        files.push((
            ".omega/manifest.json.minisig".into(),
            false,
            sig.into_bytes(),
        ));
    }
    files
}

fn set_file(files: &mut Files, path: &str, data: &[u8]) {
    match files.iter_mut().find(|f| f.0 == path) {
        Some(f) => f.2 = data.to_vec(),
        None => files.push((path.into(), false, data.to_vec())),
    }
}

fn err_json(code: ErrorCode) -> Value {
    json!({"error": code.as_str()})
}

fn write(dir: &std::path::Path, name: &str, description: &str, cases: Vec<Value>) {
    let doc = json!({
        "description": description,
        "generator": "cargo run -p omega-core --example gen-vectors --features sign -- tests/vectors",
        "cases": cases,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("json");
    text.push('\n');
    std::fs::write(dir.join(name), text).expect("write vectors");
    println!("wrote {name}");
}

fn tree_vectors() -> Vec<Value> {
    let mut cases = Vec::new();
    let mut ok = |name: &str, files: Files| {
        let pkg =
            MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
                .expect(name);
        cases.push(json!({"name": name, "files": files_json(&files), "expect": {"digest": pkg.listing.digest().to_string(), "listing": pkg.listing.listing_text()}}));
    };
    ok("empty", vec![]);
    ok(
        "example_tree_docs_format_md",
        vec![
            file("a.txt", "hello\n"),
            ("bin/run.sh".into(), true, b"#!/bin/sh\necho hi\n".to_vec()),
            file("sub dir/b.txt", ""),
            file(".omega/manifest.json", "{}"),
        ],
    );
    ok(
        "order_independent_1",
        vec![file("b", "2"), file("a", "1"), file("c/d", "3")],
    );
    ok(
        "order_independent_2",
        vec![file("c/d", "3"), file("a", "1"), file("b", "2")],
    );
    ok(
        "byte_order_not_locale",
        vec![
            file("Z", "upper"),
            file("a", "lower"),
            file("_", "under"),
            file("é", "utf8"),
        ],
    );
    ok(
        "nested_omega_dir_counts",
        vec![
            file("sub/.omega/x", "kept"),
            file(".omega/other", "ignored"),
        ],
    );
    ok(
        "binary_contents",
        vec![("bin.dat".into(), false, vec![0, 255, 10, 13, 0x80])],
    );
    let mut fail = |name: &str, files: Files, code: ErrorCode| {
        let got =
            MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
                .err()
                .map(|e| e.code());
        assert_eq!(got, Some(code), "tree vector {name}");
        cases.push(json!({"name": name, "files": files_json(&files), "expect": err_json(code)}));
    };
    for (name, path) in [
        ("fail_dotdot", "../etc/passwd"),
        ("fail_dot_component", "a/./b"),
        ("fail_absolute", "/etc/passwd"),
        ("fail_trailing_slash", "dir/"),
        ("fail_double_slash", "a//b"),
        ("fail_backslash", "a\\b"),
        ("fail_control_char", "a\u{1}b"),
        ("fail_del_char", "a\u{7f}"),
        ("fail_newline", "a\nb"),
        ("fail_empty_path", ""),
    ] {
        fail(name, vec![file(path, "x")], ErrorCode::UnsafePath);
    }
    fail(
        "fail_case_collision",
        vec![file("README.md", "1"), file("readme.md", "2")],
        ErrorCode::UnsafePath,
    );
    fail(
        "fail_duplicate_path",
        vec![file("a", "1"), file("a", "2")],
        ErrorCode::UnsafePath,
    );
    fail(
        "fail_component_too_long",
        vec![file(&"x".repeat(256), "1")],
        ErrorCode::UnsafePath,
    );
    cases
}

fn minisign_vectors() -> Vec<Value> {
    let (a, b) = (key(1), key(2));
    let msg = b"hello, omega\n".to_vec();
    let good = a
        .sign(
            &msg,
            "timestamp:1767225600\tfile:hello.txt\thashed",
            "signature from omega secret key",
        )
        .expect("sign");
    let legacy = a
        .sign_legacy(&msg, "legacy signature", "signature from omega secret key")
        .expect("sign");
    let mut cases = Vec::new();
    let mut case = |name: &str,
                    pk: String,
                    message: &[u8],
                    sig: String,
                    legacy_ok: bool,
                    expect: Result<&str, ErrorCode>| {
        let policy = if legacy_ok {
            LegacyPolicy::Allow
        } else {
            LegacyPolicy::Refuse
        };
        let got = PublicKey::parse(pk.as_bytes())
            .and_then(|k| verify_detached(&k, message, sig.as_bytes(), policy));
        match (&got, &expect) {
            (Ok(tc), Ok(want)) => assert_eq!(tc, want, "minisign vector {name}"),
            (Err(e), Err(code)) => assert_eq!(e.code(), *code, "minisign vector {name}: {e}"),
            _ => panic!("minisign vector {name}: got {got:?}, intended {expect:?}"),
        }
        let expect = match expect {
            Ok(tc) => json!({"trusted_comment": tc}),
            Err(code) => err_json(code),
        };
        cases.push(json!({"name": name, "public_key": pk, "message_hex": to_hex(message), "signature": sig, "legacy": legacy_ok, "expect": expect}));
    };
    let pk_file = a.public_key().to_file_text();
    let pk_bare = a.public_key().to_base64();
    let tc = good.trusted_comment().to_string();
    case(
        "prehashed_key_file",
        pk_file.clone(),
        &msg,
        good.to_text(),
        false,
        Ok(&tc),
    );
    case(
        "prehashed_bare_key",
        pk_bare.clone(),
        &msg,
        good.to_text(),
        false,
        Ok(&tc),
    );
    case(
        "crlf_line_endings",
        pk_file.replace('\n', "\r\n"),
        &msg,
        good.to_text().replace('\n', "\r\n"),
        false,
        Ok(&tc),
    );
    case(
        "no_final_newline",
        pk_bare.clone(),
        &msg,
        good.to_text().trim_end().to_string(),
        false,
        Ok(&tc),
    );
    case(
        "any_untrusted_comment",
        pk_bare.clone(),
        &msg,
        good.to_text()
            .replacen("signature from omega secret key", "anything at all: ☃", 1),
        false,
        Ok(&tc),
    );
    let two = format!(
        "{}{}",
        b.sign(&msg, "by b", "b").expect("sign").to_text(),
        good.to_text()
    );
    case(
        "multi_block_picks_own_key",
        pk_bare.clone(),
        &msg,
        two,
        false,
        Ok(&tc),
    );
    case(
        "legacy_allowed",
        pk_bare.clone(),
        &msg,
        legacy.to_text(),
        true,
        Ok("legacy signature"),
    );
    case(
        "fail_legacy_refused",
        pk_bare.clone(),
        &msg,
        legacy.to_text(),
        false,
        Err(ErrorCode::LegacySignatureRefused),
    );
    case(
        "fail_tampered_message",
        pk_bare.clone(),
        b"hello, omega!\n",
        good.to_text(),
        false,
        Err(ErrorCode::SignatureInvalid),
    );
    case(
        "fail_tampered_trusted_comment",
        pk_bare.clone(),
        &msg,
        good.to_text().replace("hello.txt", "other.txt"),
        false,
        Err(ErrorCode::SignatureInvalid),
    );
    case(
        "fail_wrong_key",
        b.public_key().to_base64(),
        &msg,
        good.to_text(),
        false,
        Err(ErrorCode::KeyNotTrusted),
    );
    let lines: Vec<&str> = good
        .to_text()
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(|s| s.as_str())
        .collect();
    case(
        "fail_truncated_block",
        pk_bare.clone(),
        &msg,
        format!("{}\n{}\n", lines[0], lines[1]),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "trailing_blank_lines_ignored",
        pk_bare.clone(),
        &msg,
        format!("{}\n  \r\n", good.to_text()),
        false,
        Ok(&tc),
    );
    case(
        "public_key_first_line_any_text",
        format!("my release key\n{pk_bare}\n\n"),
        &msg,
        good.to_text(),
        false,
        Ok(&tc),
    );
    case(
        "fail_text_after_block",
        pk_bare.clone(),
        &msg,
        format!("{}garbage\n", good.to_text()),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_missing_untrusted_prefix",
        pk_bare.clone(),
        &msg,
        good.to_text()
            .replacen("untrusted comment: ", "comment: ", 1),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_missing_trusted_prefix",
        pk_bare.clone(),
        &msg,
        format!(
            "{}\n{}\ntrusted: {}\n{}\n",
            lines[0],
            lines[1],
            &lines[2]["trusted comment: ".len()..],
            lines[3]
        ),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_bad_base64",
        pk_bare.clone(),
        &msg,
        format!(
            "{}\n{}!\n{}\n{}\n",
            lines[0],
            &lines[1][..lines[1].len() - 1],
            lines[2],
            lines[3]
        ),
        false,
        Err(ErrorCode::Malformed),
    );
    // An unknown algorithm tag: base64 of "Xx" || key id || 64 zero bytes.
    let mut blob = vec![b'X', b'x'];
    blob.extend_from_slice(&a.key_id().0);
    blob.extend_from_slice(&[0u8; 64]);
    use base64ct::{Base64, Encoding};
    case(
        "fail_unknown_algorithm",
        pk_bare.clone(),
        &msg,
        format!(
            "{}\n{}\n{}\n{}\n",
            lines[0],
            Base64::encode_string(&blob),
            lines[2],
            lines[3]
        ),
        false,
        Err(ErrorCode::UnsupportedVersion),
    );
    case(
        "fail_malformed_public_key",
        "RWQnotakey".into(),
        &msg,
        good.to_text(),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_public_key_trailing_data",
        format!("{pk_file}extra\n"),
        &msg,
        good.to_text(),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_empty_signature_file",
        pk_bare,
        &msg,
        String::new(),
        false,
        Err(ErrorCode::Malformed),
    );
    cases
}

fn manifest_vectors() -> Vec<Value> {
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
    let e = |p: &str| FileEntry::from_contents(p, FileKind::Regular, p.as_bytes());
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
    case(
        "fail_unsafe_path",
        with_files(vec![e("../x")]),
        Some(ErrorCode::UnsafePath),
    );
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

fn pins_json(p: &Pins) -> Value {
    json!({"digest": p.digest.map(|d| d.to_string()), "keys": p.keys.iter().map(|k| k.to_base64()).collect::<Vec<_>>(), "threshold": p.threshold, "legacy": p.legacy == LegacyPolicy::Allow})
}

fn package_vectors() -> Vec<Value> {
    let (a, b, c) = (key(1), key(2), key(3));
    let base = vec![
        file("index.js", "module.exports = 'left-pad';\n"),
        file("package.json", "{\"name\":\"left-pad\"}\n"),
        ("bin/pad".into(), true, b"#!/bin/sh\n".to_vec()),
        file("lib/a.js", "a\n"),
    ];
    let pkg = package(
        base.clone(),
        "left-pad",
        "1.3.0",
        7,
        keyset(1, &[&a], &[&c]),
        &[&a],
    );
    let pkg2 = package(
        base.clone(),
        "left-pad",
        "1.3.0",
        7,
        keyset(2, &[&a, &b], &[]),
        &[&a, &b],
    );
    let digest = listing(&pkg).digest();
    let mut cases = Vec::new();
    let mut case = |name: &str, files: &Files, pins: Pins, expect: PackageExpect<'_>| {
        let mem =
            MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
                .expect(name);
        let got = check_package(mem.input("left-pad"), &pins);
        let exp = match (&got, &expect) {
            (Ok(r), Ok(keys)) => {
                assert_eq!(&r.signed_by, keys, "package vector {name}");
                json!({"ok": true, "tree": r.tree.to_string(), "signed_by": keys.iter().map(|k| k.to_base64()).collect::<Vec<_>>()})
            }
            (Err(e), Err((code, problems))) => {
                assert_eq!(e.code(), *code, "package vector {name}: {e}");
                let got_problems: Vec<(String, Option<String>)> = e
                    .report()
                    .map(|r| {
                        r.problems
                            .iter()
                            .map(|p| (p.code.as_str().to_string(), p.path.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let want: Vec<(String, Option<String>)> = problems
                    .iter()
                    .map(|(c, p)| (c.to_string(), p.map(str::to_string)))
                    .collect();
                assert_eq!(got_problems, want, "package vector {name} problems");
                json!({"error": code.as_str(), "problems": problems.iter().map(|(c, p)| json!({"code": c, "path": p})).collect::<Vec<_>>()})
            }
            _ => panic!("package vector {name}: got {got:?}, intended {expect:?}"),
        };
        cases.push(json!({"name": name, "files": files_json(files), "pins": pins_json(&pins), "expect": exp}));
    };
    let pa = a.public_key();
    let pb = b.public_key();
    case(
        "digest_and_key",
        &pkg,
        Pins {
            digest: Some(digest),
            ..Pins::keys(vec![pa], 1)
        },
        Ok(vec![pa]),
    );
    case("key_only", &pkg, Pins::keys(vec![pa], 1), Ok(vec![pa]));
    case("digest_only", &pkg, Pins::digest(digest), Ok(vec![]));
    case(
        "digest_only_unsigned_package",
        &base,
        Pins::digest(digest),
        Ok(vec![]),
    );
    case(
        "threshold_two_of_two",
        &pkg2,
        Pins::keys(vec![pa, pb], 2),
        Ok(vec![pa, pb]),
    );
    case(
        "untrusted_extra_block_ignored",
        &pkg2,
        Pins::keys(vec![pa], 1),
        Ok(vec![pa]),
    );
    let mut t = pkg.clone();
    set_file(&mut t, "lib/a.js", b"tampered\n");
    case(
        "fail_changed_file",
        &t,
        Pins::keys(vec![pa], 1),
        Err((
            ErrorCode::FileChanged,
            vec![("FILE_CHANGED", Some("lib/a.js"))],
        )),
    );
    let mut t = pkg.clone();
    set_file(&mut t, "evil.js", b"x");
    case(
        "fail_extra_file",
        &t,
        Pins::keys(vec![pa], 1),
        Err((ErrorCode::FileExtra, vec![("FILE_EXTRA", Some("evil.js"))])),
    );
    let mut t = pkg.clone();
    t.retain(|f| f.0 != "index.js");
    case(
        "fail_missing_file",
        &t,
        Pins::keys(vec![pa], 1),
        Err((
            ErrorCode::FileMissing,
            vec![("FILE_MISSING", Some("index.js"))],
        )),
    );
    let mut t = pkg.clone();
    t.retain(|f| f.0 != "index.js");
    set_file(&mut t, "lib/a.js", b"tampered\n");
    set_file(&mut t, "aaa.js", b"x");
    case(
        "fail_every_problem_listed_in_path_order",
        &t,
        Pins {
            digest: Some(digest),
            ..Pins::keys(vec![pa], 1)
        },
        Err((
            ErrorCode::FileExtra,
            vec![
                ("FILE_EXTRA", Some("aaa.js")),
                ("FILE_MISSING", Some("index.js")),
                ("FILE_CHANGED", Some("lib/a.js")),
            ],
        )),
    );
    let mut t = pkg.clone();
    for f in t.iter_mut().filter(|f| f.0 == "bin/pad") {
        f.1 = false;
    }
    case(
        "fail_executable_bit_dropped",
        &t,
        Pins::keys(vec![pa], 1),
        Err((
            ErrorCode::FileChanged,
            vec![("FILE_CHANGED", Some("bin/pad"))],
        )),
    );
    let other = listing(&vec![file("x", "y")]).digest();
    case(
        "fail_wrong_pinned_digest",
        &pkg,
        Pins {
            digest: Some(other),
            ..Pins::keys(vec![pa], 1)
        },
        Err((ErrorCode::DigestMismatch, vec![("DIGEST_MISMATCH", None)])),
    );
    case(
        "fail_wrong_digest_unsigned",
        &base,
        Pins::digest(other),
        Err((ErrorCode::DigestMismatch, vec![("DIGEST_MISMATCH", None)])),
    );
    case(
        "fail_untrusted_key",
        &pkg,
        Pins::keys(vec![pb], 1),
        Err((
            ErrorCode::KeyNotTrusted,
            vec![("KEY_NOT_TRUSTED", Some(".omega/manifest.json.minisig"))],
        )),
    );
    case(
        "fail_threshold_two_one_signer",
        &pkg,
        Pins::keys(vec![pa, pb], 2),
        Err((
            ErrorCode::ThresholdNotMet,
            vec![("THRESHOLD_NOT_MET", Some(".omega/manifest.json.minisig"))],
        )),
    );
    let mut t = pkg.clone();
    t.retain(|f| f.0 != ".omega/manifest.json.minisig");
    case(
        "fail_unsigned_with_key_pin",
        &t,
        Pins::keys(vec![pa], 1),
        Err((
            ErrorCode::ThresholdNotMet,
            vec![("THRESHOLD_NOT_MET", Some(".omega/manifest.json.minisig"))],
        )),
    );
    case(
        "fail_no_manifest_with_key_pin",
        &base,
        Pins::keys(vec![pa], 1),
        Err((
            ErrorCode::ThresholdNotMet,
            vec![("THRESHOLD_NOT_MET", Some(".omega/manifest.json.minisig"))],
        )),
    );
    // A signature over other bytes: re-sign a different manifest and swap the file in.
    let other_pkg = package(
        base.clone(),
        "left-pad",
        "1.3.1",
        8,
        keyset(1, &[&a], &[]),
        &[&a],
    );
    let mut t = pkg.clone();
    let other_sig = other_pkg
        .iter()
        .find(|f| f.0 == ".omega/manifest.json.minisig")
        .expect("sig")
        .2
        .clone();
    set_file(&mut t, ".omega/manifest.json.minisig", &other_sig);
    case(
        "fail_signature_over_other_manifest",
        &t,
        Pins::keys(vec![pa], 1),
        Err((
            ErrorCode::SignatureInvalid,
            vec![
                ("SIGNATURE_INVALID", Some(".omega/manifest.json.minisig")),
                ("THRESHOLD_NOT_MET", Some(".omega/manifest.json.minisig")),
            ],
        )),
    );
    let mut t = pkg.clone();
    set_file(&mut t, "lib/a.js", b"tampered\n");
    case(
        "fail_signature_order_first",
        &t,
        Pins::keys(vec![pb], 1),
        Err((
            ErrorCode::KeyNotTrusted,
            vec![
                ("KEY_NOT_TRUSTED", Some(".omega/manifest.json.minisig")),
                ("FILE_CHANGED", Some("lib/a.js")),
            ],
        )),
    );
    cases
}

fn entry_json(e: &LockEntry) -> Value {
    let lf = Lockfile {
        packages: [("x".to_string(), e.clone())].into_iter().collect(),
    };
    let v: Value = serde_json::from_slice(&lf.to_json_bytes()).expect("json");
    v["packages"]["x"].clone()
}

fn lock_vectors() -> Vec<Value> {
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

fn revocation_vectors() -> Vec<Value> {
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
        path: "node_modules/left-pad".into(),
        retired: false,
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

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors".into()),
    );
    std::fs::create_dir_all(&dir).expect("mkdir");
    write(&dir, "tree.json", "b2tree digests of in-memory trees (DESIGN 3.2); files under the top-level .omega/ are excluded; expect.digest or expect.error", tree_vectors());
    write(&dir, "minisign.json", "detached minisign signatures (DESIGN 3.1): verify message_hex with public_key (key file or bare RW form), legacy = whether Ed signatures are allowed; expect.trusted_comment or expect.error", minisign_vectors());
    write(&dir, "manifest.json", "manifest parsing (DESIGN 3.3): valid manifests are canonical (re-serialise to the same bytes); expect.valid or expect.error", manifest_vectors());
    write(&dir, "package.json", "package checks (DESIGN 3.4) over in-memory files with pins; expect.ok with signed_by, or expect.error with every problem in order", package_vectors());
    write(&dir, "lock.json", "lock update rules (DESIGN 3.5): admit package files given the pinned entry and --trust keys; expect.change + entry, or expect.error", lock_vectors());
    write(&dir, "revocation.json", "revocation statements (DESIGN 3.5) applied to a pinned entry; expect.revoked + entry, or expect.error", revocation_vectors());
}
