//! `omega digest`, `omega pack`, `omega cosign`, `omega check`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;

fn b2tree_sh(dir: &Path) -> String {
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/b2tree.sh"))
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "b2tree.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sample_package(root: &Path) -> std::path::PathBuf {
    let pkg = root.join("pkg");
    write_tree(
        &pkg,
        &[
            ("index.js", "module.exports = (s, n) => s.padStart(n);\n"),
            (
                "package.json",
                "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}\n",
            ),
            ("lib/util.js", "exports.x = 1;\n"),
            ("README.md", "# left-pad\n"),
        ],
    );
    pkg
}

#[test]
fn digest_matches_the_shell_recipe() {
    let d = tempfile::tempdir().unwrap();
    let pkg = sample_package(d.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        write_tree(
            &pkg,
            &[
                ("bin/run.sh", "#!/bin/sh\necho hi\n"),
                ("sub dir/empty", ""),
            ],
        );
        fs::set_permissions(pkg.join("bin/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::create_dir_all(pkg.join("empty-dir")).unwrap();
    write_tree(&pkg, &[(".omega/ignored", "not part of the digest")]);
    let r = omega(d.path(), &["digest", "pkg"]).expect(0);
    assert!(
        r.stdout.starts_with("b2tree:") && r.stdout.len() == 7 + 64 + 1,
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout, b2tree_sh(&pkg));
}

#[test]
fn digest_of_20000_files_matches_the_shell_recipe() {
    let d = tempfile::tempdir().unwrap();
    let big = d.path().join("big");
    for i in 0..20_000u32 {
        let dir = big.join(format!("d{:03}", i % 200));
        if i < 200 {
            fs::create_dir_all(&dir).unwrap();
        }
        fs::write(
            dir.join(format!("file-{i:05}.txt")),
            format!("file number {i}\n"),
        )
        .unwrap();
    }
    let r = omega(d.path(), &["digest", "big"]).expect(0);
    assert_eq!(r.stdout, b2tree_sh(&big));
}

#[test]
fn digest_refuses_links_and_missing_dirs() {
    let d = tempfile::tempdir().unwrap();
    let pkg = sample_package(d.path());
    std::os::unix::fs::symlink("index.js", pkg.join("alias.js")).unwrap();
    let r = omega(d.path(), &["digest", "pkg"]).expect(1);
    assert!(
        r.stderr.contains("UNSUPPORTED_FILE_TYPE") && r.stderr.contains("alias.js"),
        "{}",
        r.stderr
    );
    let r = omega(d.path(), &["digest", "nope"]).expect(2);
    assert!(r.stderr.contains("NOT_FOUND"), "{}", r.stderr);
}

#[test]
fn pack_then_check_ok_and_minisign_accepts_the_manifest_signature() {
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "author");
    let pkg = sample_package(d.path());
    let digest = omega(d.path(), &["digest", "pkg"]).expect(0).stdout;
    let digest = digest.trim();
    let r = omega(
        d.path(),
        &[
            "pack",
            "pkg",
            "--name",
            "left-pad",
            "--version",
            "1.3.0",
            "--sequence",
            "7",
            "-s",
            k.sec(),
        ],
    )
    .expect(0);
    assert!(
        r.stdout.contains(digest),
        "pack prints the digest: {}",
        r.stdout
    );
    let manifest = fs::read_to_string(pkg.join(".omega/manifest.json")).unwrap();
    assert!(
        manifest.starts_with("{\n  \"omega\": 1,\n  \"name\": \"left-pad\",\n"),
        "{manifest}"
    );
    assert!(manifest.contains(&k.key));
    assert!(manifest.ends_with("}\n"));

    // Deterministic: packing again gives the same manifest bytes.
    pack(d.path(), &pkg, "left-pad", "1.3.0", 7, &k, &[]);
    assert_eq!(
        fs::read_to_string(pkg.join(".omega/manifest.json")).unwrap(),
        manifest
    );

    let r = omega(d.path(), &["check", "pkg", "-P", &k.key]).expect(0);
    let line = r.stdout.lines().next().unwrap();
    assert!(
        line.starts_with("OK left-pad@1.3.0 (sequence 7): "),
        "{line}"
    );
    assert!(line.contains(digest), "{line}");
    assert!(
        line.contains(&format!("{} (id {})", k.key, k.id())),
        "{line}"
    );
    omega(d.path(), &["check", "pkg", "--digest", digest]).expect(0);
    omega(
        d.path(),
        &["check", "pkg", "--digest", digest, "-P", &k.key],
    )
    .expect(0);

    let minisign = minisign();
    let out = Command::new(minisign)
        .current_dir(&pkg)
        .args(["-Vm", ".omega/manifest.json", "-P", &k.key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -V on the manifest: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let j = omega(d.path(), &["check", "pkg", "-P", &k.key, "--json"])
        .expect(0)
        .json();
    assert_eq!(j["ok"], true);
    assert!(j["code"].is_null());
    assert_eq!(j["package"], "left-pad");
    assert_eq!(j["version"], "1.3.0");
    assert_eq!(j["sequence"], 7);
    assert_eq!(j["tree"], digest);
    assert_eq!(j["manifest_tree"], digest);
    assert_eq!(j["threshold"], 1);
    assert_eq!(j["signed_by"][0], k.key.as_str());
    assert_eq!(j["signatures"][0]["key"], k.key.as_str());
    assert_eq!(j["signatures"][0]["key_id"], k.id().as_str());
    assert!(j["signatures"][0]["error"].is_null());
    assert!(j["signatures"][0]["trusted_comment"]
        .as_str()
        .unwrap()
        .contains("left-pad@1.3.0"));
    assert_eq!(j["problems"].as_array().unwrap().len(), 0);
}

#[test]
fn check_lists_every_changed_extra_and_missing_file() {
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "author");
    let pkg = sample_package(d.path());
    pack(d.path(), &pkg, "left-pad", "1.3.0", 1, &k, &[]);
    fs::write(pkg.join("index.js"), "module.exports = evil;\n").unwrap();
    fs::write(pkg.join("extra.js"), "new\n").unwrap();
    fs::remove_file(pkg.join("lib/util.js")).unwrap();

    let r = omega(d.path(), &["check", "pkg", "-P", &k.key]).expect(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(
        lines[0].starts_with("FILE_EXTRA") && lines[0].contains("extra.js"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("FILE_CHANGED") && lines[1].contains("index.js"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("FILE_MISSING") && lines[2].contains("lib/util.js"),
        "{}",
        lines[2]
    );

    let j = omega(d.path(), &["check", "pkg", "-P", &k.key, "--json"])
        .expect(1)
        .json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["code"], "FILE_EXTRA");
    assert_eq!(
        codes(&j["problems"]),
        ["FILE_EXTRA", "FILE_CHANGED", "FILE_MISSING"]
    );
    assert_eq!(j["problems"][1]["path"], "index.js");
    // Signatures are still fine: the problem is the files.
    assert_eq!(j["signed_by"][0], k.key.as_str());
}

#[test]
fn check_wrong_pinned_digest_is_digest_mismatch() {
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "author");
    let pkg = sample_package(d.path());
    pack(d.path(), &pkg, "left-pad", "1.3.0", 1, &k, &[]);
    let wrong = format!("b2tree:{}", "ab".repeat(32));
    let r = omega(
        d.path(),
        &["check", "pkg", "--digest", &wrong, "-P", &k.key],
    )
    .expect(1);
    assert!(r.stdout.starts_with("DIGEST_MISMATCH"), "{}", r.stdout);
    let j = omega(d.path(), &["check", "pkg", "--digest", &wrong, "--json"])
        .expect(1)
        .json();
    assert_eq!(j["code"], "DIGEST_MISMATCH");
    assert_eq!(j["pinned_digest"], wrong.as_str());
    // A digest that does not parse is a usage error (MALFORMED, exit 2).
    let r = omega(d.path(), &["check", "pkg", "--digest", "sha256:abc"]).expect(2);
    assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
    let j = omega(
        d.path(),
        &["check", "pkg", "--digest", "sha256:abc", "--json"],
    )
    .expect(2)
    .json();
    assert_eq!(j["code"], "MALFORMED");
}

#[test]
fn check_signature_codes() {
    let d = tempfile::tempdir().unwrap();
    let a = keygen(d.path(), "a");
    let b = keygen(d.path(), "b");
    let pkg = sample_package(d.path());
    pack(d.path(), &pkg, "left-pad", "1.3.0", 1, &a, &[]);

    // Signed only by a key that is not pinned.
    let r = omega(d.path(), &["check", "pkg", "-P", &b.key]).expect(1);
    assert!(r.stdout.starts_with("KEY_NOT_TRUSTED"), "{}", r.stdout);
    // A forged signature block by the pinned key.
    let sig_path = pkg.join(".omega/manifest.json.minisig");
    let sig = fs::read_to_string(&sig_path).unwrap();
    let mut lines: Vec<String> = sig.lines().map(str::to_string).collect();
    lines[2] = "trusted comment: forged".to_string();
    fs::write(&sig_path, lines.join("\n") + "\n").unwrap();
    let j = omega(d.path(), &["check", "pkg", "-P", &a.key, "--json"])
        .expect(1)
        .json();
    assert_eq!(j["code"], "SIGNATURE_INVALID");
    assert_eq!(j["signatures"][0]["error"], "SIGNATURE_INVALID");
    // A malformed signature file: exit 2.
    fs::write(&sig_path, "garbage\n").unwrap();
    let r = omega(d.path(), &["check", "pkg", "-P", &a.key]).expect(2);
    assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
    // No manifest at all while keys are pinned: an unsigned package fails verification.
    fs::remove_dir_all(pkg.join(".omega")).unwrap();
    let r = omega(d.path(), &["check", "pkg", "-P", &a.key]).expect(1);
    assert!(r.stdout.contains("THRESHOLD_NOT_MET"), "{}", r.stdout);
    // A malformed manifest: MALFORMED, exit 2.
    write_tree(
        &pkg,
        &[(".omega/manifest.json", "{\"omega\": 1, \"name\": \"x\"}")],
    );
    let r = omega(d.path(), &["check", "pkg", "-P", &a.key]).expect(2);
    assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
    // A manifest of an unknown format version.
    write_tree(&pkg, &[(".omega/manifest.json", "{\"omega\": 2}")]);
    let r = omega(d.path(), &["check", "pkg", "-P", &a.key]).expect(2);
    assert!(r.stderr.contains("UNSUPPORTED_VERSION"), "{}", r.stderr);
}

#[test]
fn threshold_two_needs_a_cosigner() {
    let d = tempfile::tempdir().unwrap();
    let a = keygen(d.path(), "a");
    let b = keygen(d.path(), "b");
    let c = keygen(d.path(), "c");
    let pkg = sample_package(d.path());
    pack(
        d.path(),
        &pkg,
        "left-pad",
        "2.0.0",
        2,
        &a,
        &["--signer", &a.key, "--signer", &b.key, "--threshold", "2"],
    );
    // One signature of two: THRESHOLD_NOT_MET.
    let r = omega(
        d.path(),
        &[
            "check",
            "pkg",
            "-P",
            &a.key,
            "-P",
            &b.key,
            "--threshold",
            "2",
        ],
    )
    .expect(1);
    assert!(r.stdout.starts_with("THRESHOLD_NOT_MET"), "{}", r.stdout);
    // A key that is not a signer cannot cosign (its signature would not count).
    let r = omega(d.path(), &["cosign", "pkg", "-s", c.sec()]).expect(2);
    assert!(r.stderr.contains("not one of"), "{}", r.stderr);
    // The same key twice: refused.
    let r = omega(d.path(), &["cosign", "pkg", "-s", a.sec()]).expect(2);
    assert!(r.stderr.contains("already signed"), "{}", r.stderr);
    let before = fs::read(pkg.join(".omega/manifest.json.minisig")).unwrap();
    // The second signer cosigns: two distinct keys.
    let r = omega(d.path(), &["cosign", "pkg", "-s", b.sec()]).expect(0);
    assert!(r.stdout.contains(&b.key), "{}", r.stdout);
    let after = fs::read(pkg.join(".omega/manifest.json.minisig")).unwrap();
    assert!(after.starts_with(&before), "cosign appends");
    let r = omega(
        d.path(),
        &[
            "check",
            "pkg",
            "-P",
            &a.key,
            "-P",
            &b.key,
            "--threshold",
            "2",
        ],
    )
    .expect(0);
    assert!(
        r.stdout.contains(&a.key) && r.stdout.contains(&b.key),
        "{}",
        r.stdout
    );
    let j = omega(
        d.path(),
        &[
            "check",
            "pkg",
            "-P",
            &a.key,
            "-P",
            &b.key,
            "--threshold",
            "2",
            "--json",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(j["signed_by"].as_array().unwrap().len(), 2);
    assert_eq!(j["signatures"].as_array().unwrap().len(), 2);
    // Cosigning again by b: refused, file unchanged.
    omega(d.path(), &["cosign", "pkg", "-s", b.sec()]).expect(2);
    assert_eq!(
        fs::read(pkg.join(".omega/manifest.json.minisig")).unwrap(),
        after
    );
}

#[test]
fn cosign_refuses_files_that_do_not_match_and_missing_manifests() {
    let d = tempfile::tempdir().unwrap();
    let a = keygen(d.path(), "a");
    let b = keygen(d.path(), "b");
    let pkg = sample_package(d.path());
    pack(
        d.path(),
        &pkg,
        "left-pad",
        "1.0.0",
        1,
        &a,
        &["--signer", &a.key, "--signer", &b.key],
    );
    fs::write(pkg.join("index.js"), "changed\n").unwrap();
    let before = fs::read(pkg.join(".omega/manifest.json.minisig")).unwrap();
    let r = omega(d.path(), &["cosign", "pkg", "-s", b.sec()]).expect(1);
    assert!(r.stdout.contains("FILE_CHANGED"), "{}", r.all());
    assert_eq!(
        fs::read(pkg.join(".omega/manifest.json.minisig")).unwrap(),
        before
    );
    let empty = d.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let r = omega(d.path(), &["cosign", "empty", "-s", b.sec()]).expect(2);
    assert!(r.stderr.contains("NOT_FOUND"), "{}", r.stderr);
}

#[test]
fn pack_usage_errors() {
    let d = tempfile::tempdir().unwrap();
    let a = keygen(d.path(), "a");
    let b = keygen(d.path(), "b");
    let pkg = sample_package(d.path());
    let base = [
        "pack",
        "pkg",
        "--name",
        "left-pad",
        "--version",
        "1.0.0",
        "--sequence",
        "1",
        "-s",
        a.sec(),
    ];
    // --signer given without the signing key.
    let mut args = base.to_vec();
    args.extend(["--signer", b.key.as_str()]);
    let r = omega(d.path(), &args).expect(2);
    assert!(r.stderr.contains("not among the --signer"), "{}", r.stderr);
    assert!(!pkg.join(".omega").exists(), "nothing written");
    // A bad name, a threshold above the signers, a bad dependency pin.
    let mut args = base.to_vec();
    args[3] = "Left-Pad";
    omega(d.path(), &args).expect(2);
    let mut args = base.to_vec();
    args.extend(["--threshold", "2"]);
    omega(d.path(), &args).expect(2);
    let mut args = base.to_vec();
    args.extend(["--dep", "ms=nothex"]);
    omega(d.path(), &args).expect(2);
    // A key listed in both --signer and --next.
    let mut args = base.to_vec();
    args.extend(["--next", a.key.as_str()]);
    omega(d.path(), &args).expect(2);
    // A node_modules/ folder in the package: refused (it would never verify once installed).
    write_tree(&pkg, &[("node_modules/dep/index.js", "x")]);
    let r = omega(d.path(), &base).expect(2);
    assert!(r.stderr.contains("node_modules"), "{}", r.stderr);
    fs::remove_dir_all(pkg.join("node_modules")).unwrap();
    // With dependencies and next keys: written and checked.
    let dep = format!("b2tree:{}", "0".repeat(64));
    let dep_arg = format!("ms={dep}");
    let mut args = base.to_vec();
    args.extend(["--dep", dep_arg.as_str(), "--next", b.key.as_str()]);
    omega(d.path(), &args).expect(0);
    let m = fs::read_to_string(pkg.join(".omega/manifest.json")).unwrap();
    assert!(m.contains(&dep) && m.contains(&b.key), "{m}");
    omega(d.path(), &["check", "pkg", "-P", &a.key]).expect(0);
}

#[test]
fn symlink_inside_a_package_is_unsupported_file_type() {
    let d = tempfile::tempdir().unwrap();
    let a = keygen(d.path(), "a");
    let pkg = sample_package(d.path());
    pack(d.path(), &pkg, "left-pad", "1.0.0", 1, &a, &[]);
    std::os::unix::fs::symlink("/etc/passwd", pkg.join("lib/passwd")).unwrap();
    let r = omega(d.path(), &["check", "pkg", "-P", &a.key]).expect(1);
    assert!(
        r.stderr.contains("UNSUPPORTED_FILE_TYPE") && r.stderr.contains("lib/passwd"),
        "{}",
        r.stderr
    );
    let j = omega(d.path(), &["check", "pkg", "-P", &a.key, "--json"])
        .expect(1)
        .json();
    assert_eq!(j["code"], "UNSUPPORTED_FILE_TYPE");
    // pack refuses too, and writes nothing new.
    let before = fs::read(pkg.join(".omega/manifest.json")).unwrap();
    let args = [
        "pack",
        "pkg",
        "--name",
        "left-pad",
        "--version",
        "1.0.1",
        "--sequence",
        "2",
        "-s",
        a.sec(),
    ];
    omega(d.path(), &args).expect(1);
    assert_eq!(fs::read(pkg.join(".omega/manifest.json")).unwrap(), before);
}

#[test]
fn pack_tgz_is_reproducible_and_verifies() {
    let d = tempfile::tempdir().unwrap();
    let pkg = sample_package(d.path());
    let a = keygen(d.path(), "a");
    let pack_tgz = |out: &str| {
        let mut c = omega_cmd(d.path());
        c.env("SOURCE_DATE_EPOCH", "1767225600").args([
            "pack",
            "pkg",
            "--name",
            "left-pad",
            "--version",
            "1.3.0",
            "--sequence",
            "1",
            "-s",
            a.sec(),
            "--tgz",
            out,
        ]);
        run_cmd(c).expect(0);
        fs::read(d.path().join(out)).unwrap()
    };
    let one = pack_tgz("one.tgz");
    // Same tree, same key, same SOURCE_DATE_EPOCH: the same bytes, even after the files are
    // touched (mtimes are not recorded).
    write_tree(
        &pkg,
        &[("index.js", "module.exports = (s, n) => s.padStart(n);\n")],
    );
    let two = pack_tgz("two.tgz");
    assert_eq!(one, two, "pack --tgz must be reproducible");
    // GNU tar reads it; the extracted package/ verifies with its signature and digest.
    let x = d.path().join("x");
    fs::create_dir_all(&x).unwrap();
    let st = Command::new("tar")
        .args(["-xzf"])
        .arg(d.path().join("one.tgz"))
        .arg("-C")
        .arg(&x)
        .status()
        .unwrap();
    assert!(st.success());
    let digest = omega(d.path(), &["digest", "pkg"])
        .expect(0)
        .stdout
        .trim()
        .to_string();
    let r = omega(
        d.path(),
        &["check", "x/package", "-P", &a.key, "--digest", &digest],
    )
    .expect(0);
    assert!(r.stdout.contains("left-pad"), "{}", r.stdout);
}
