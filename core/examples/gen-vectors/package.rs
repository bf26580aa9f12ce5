//! tests/vectors/package.json: package checks against pins.

use super::*;

fn pins_json(p: &Pins) -> Value {
    json!({"digest": p.digest.map(|d| d.to_string()), "keys": p.keys.iter().map(|k| k.to_base64()).collect::<Vec<_>>(), "threshold": p.threshold, "legacy": p.legacy == LegacyPolicy::Allow})
}

pub fn package_vectors() -> Vec<Value> {
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
