//! Attacks on `omega lock`, `omega revoke` and `omega sign` found by review (docs/threat-model.md,
//! "Review fixes: lock rules and CLI"), each performed against the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

impl Project {
    /// Installs package `name` at `app/<rel>` (its files depend only on name and version),
    /// signed by `key` when given; a nested node_modules is kept.
    fn install(
        &self,
        rel: &str,
        name: &str,
        version: &str,
        seq: u64,
        key: Option<&Key>,
        extra: &[&str],
    ) {
        let dir = self.app().join(rel);
        let _ = fs::remove_dir_all(dir.join(".omega"));
        write_tree(
            &dir,
            &[
                (
                    "index.js",
                    &format!("module.exports = '{name} {version}';\n"),
                ),
                (
                    "package.json",
                    &format!("{{\"name\": \"{name}\", \"version\": \"{version}\"}}\n"),
                ),
            ],
        );
        if let Some(k) = key {
            let tmp = self.root().join("pack-tmp");
            let _ = fs::remove_dir_all(&tmp);
            fs::create_dir_all(&tmp).unwrap();
            for f in ["index.js", "package.json"] {
                fs::copy(dir.join(f), tmp.join(f)).unwrap();
            }
            pack(self.root(), &tmp, name, version, seq, k, extra);
            fs::rename(tmp.join(".omega"), dir.join(".omega")).unwrap();
            fs::remove_dir_all(&tmp).unwrap();
        }
    }
}

const NESTED: &str = "node_modules/foo/node_modules/ms";

/// `ms` pinned at sequence 5 by alice, and `foo` (unsigned) installed next to it.
fn ms_pinned_at_five() -> (Project, Key, Key) {
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    let mallory = keygen(p.root(), "mallory");
    p.install("node_modules/ms", "ms", "2.1.3", 5, Some(&alice), &[]);
    p.install("node_modules/foo", "foo", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    (p, alice, mallory)
}

fn package<'a>(j: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    j["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["path"] == path)
        .unwrap_or_else(|| panic!("no package at {path}: {j}"))
}

#[test]
fn fail_older_release_at_a_new_install_path_is_rollback() {
    let (p, alice, _) = ms_pinned_at_five();
    let pinned = p.lock_bytes();
    p.install(NESTED, "ms", "0.7.0", 1, Some(&alice), &[]);
    let r = p.lock(&["--json"]).expect(1);
    let j = r.json();
    let nested = package(&j, NESTED);
    assert_eq!(nested["code"], "ROLLBACK", "{j}");
    assert!(
        nested["message"].as_str().unwrap().contains("sequence 5"),
        "{j}"
    );
    assert_eq!(p.lock_bytes(), pinned, "omega.lock unchanged");
    // The audit does not let it through either: it is installed but not pinned.
    let a = p.audit(&["--json"]).expect(1);
    assert!(a.stdout.contains(NESTED), "{}", a.stdout);
    // Named deliberately with the pinned key, it is admitted (explicit pin).
    let r = p
        .lock(&["--trust", &format!("ms={}", alice.key), "--json"])
        .expect(0);
    assert_eq!(package(&r.json(), NESTED)["first_sight"], "explicit");
    p.audit(&["--json"]).expect(0);
}

#[test]
fn fail_release_by_another_key_at_a_new_install_path() {
    let (p, _, mallory) = ms_pinned_at_five();
    let pinned = p.lock_bytes();
    p.install(NESTED, "ms", "9.0.0", 9, Some(&mallory), &[]);
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(
        package(&r.json(), NESTED)["code"],
        "KEY_NOT_TRUSTED",
        "{}",
        r.stdout
    );
    assert_eq!(p.lock_bytes(), pinned);
    // --trust with the attacker's key is refused too: it is not one of ms's pinned keys.
    let r = p
        .lock(&["--trust", &format!("ms={}", mallory.key), "--json"])
        .expect(1);
    assert_eq!(r.json()["code"], "KEY_NOT_TRUSTED", "{}", r.stdout);
    // Unsigned at the new path: refused as an unsigned release of a signed name.
    fs::remove_dir_all(p.app().join(NESTED).join(".omega")).unwrap();
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(
        package(&r.json(), NESTED)["code"],
        "THRESHOLD_NOT_MET",
        "{}",
        r.stdout
    );
    assert_eq!(p.lock_bytes(), pinned);
}

#[test]
fn same_or_newer_release_at_a_new_install_path_is_admitted_by_the_pins() {
    let (p, alice, _) = ms_pinned_at_five();
    // An exact duplicate of the pinned release (npm's nested copies).
    p.install(NESTED, "ms", "2.1.3", 5, Some(&alice), &[]);
    let r = p.lock(&["--json"]).expect(0);
    let j = r.json();
    assert_eq!(package(&j, NESTED)["first_sight"], "pinned-name", "{j}");
    assert_eq!(p.lock_json()["packages"][NESTED]["sequence"], 5);
    // A newer release at another new path.
    p.install("node_modules/bar", "bar", "1.0.0", 0, None, &[]);
    p.install(
        "node_modules/bar/node_modules/ms",
        "ms",
        "3.0.0",
        6,
        Some(&alice),
        &[],
    );
    p.lock(&[]).expect(0);
    p.audit(&["--json"]).expect(0);
}

#[test]
fn fail_digest_pin_taken_over_by_adding_omega() {
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    let mallory = keygen(p.root(), "mallory");
    p.install("node_modules/left-pad", "left-pad", "1.0.0", 1, None, &[]);
    p.lock(&[]).expect(0);
    let pinned = p.lock_bytes();
    // mallory adds .omega/ (signed by her) over the unchanged files.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&mallory),
        &[],
    );
    let r = p.lock(&["--json"]).expect(1);
    let j = r.json();
    assert_eq!(j["code"], "KEY_NOT_TRUSTED", "{j}");
    assert!(
        j["message"].as_str().unwrap().contains("--trust left-pad="),
        "{j}"
    );
    assert_eq!(p.lock_bytes(), pinned, "no key learned");
    // Her next release (new files) is not an update of a pin she owns.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.1.0",
        2,
        Some(&mallory),
        &[],
    );
    p.lock(&[]).expect(1);
    assert_eq!(p.lock_bytes(), pinned);
    // The author signs the same files; the user names her key: learned explicitly.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&alice),
        &[],
    );
    let r = p
        .lock(&["--trust", &format!("left-pad={}", alice.key), "--json"])
        .expect(0);
    assert_eq!(r.json()["packages"][0]["first_sight"], "explicit");
    assert_eq!(
        p.lock_json()["packages"]["left-pad"]["keys"]["signers"][0],
        alice.key.as_str()
    );
}

#[test]
fn fail_trust_ignored_for_a_pinned_name() {
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    let mallory = keygen(p.root(), "mallory");
    // First sight signed by the attacker: her key is pinned on first use.
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&mallory), &[]);
    p.lock(&[]).expect(0);
    let pinned = p.lock_bytes();
    // The user learns it and names the real key: refused, not ok:true with mallory kept.
    let r = p
        .lock(&["--trust", &format!("foo={}", alice.key), "--json"])
        .expect(1);
    let j = r.json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["code"], "KEY_NOT_TRUSTED", "{j}");
    assert!(
        j["message"].as_str().unwrap().contains("--repin foo"),
        "{j}"
    );
    assert_eq!(p.lock_bytes(), pinned);
    let r = p
        .lock(&["--trust", &format!("foo={}", alice.key)])
        .expect(1);
    assert!(r.stdout.contains("KEY_NOT_TRUSTED"), "{}", r.stdout);
    // The deliberate re-pin: the real release, named key, --repin.
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&alice), &[]);
    let r = p
        .lock(&[
            "--repin",
            "foo",
            "--trust",
            &format!("foo={}", alice.key),
            "--json",
        ])
        .expect(0);
    assert_eq!(r.json()["packages"][0]["first_sight"], "explicit");
    assert_eq!(
        p.lock_json()["packages"]["foo"]["keys"]["signers"][0],
        alice.key.as_str()
    );
    // --repin of a name that is not pinned: exit 2.
    p.lock(&["--repin", "nope"]).expect(2);
    // On an unsigned pin, --trust is refused as well (nothing signed it).
    p.install("node_modules/plain", "plain", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    let r = p
        .lock(&["--trust", &format!("plain={}", alice.key), "--json"])
        .expect(1);
    assert_eq!(r.json()["code"], "KEY_NOT_TRUSTED", "{}", r.stdout);
}

fn write_statement(dir: &Path, file: &str, name: &str, key: &str) -> PathBuf {
    let path = dir.join(file);
    fs::write(
        &path,
        format!("{{\"omega-revoke\": 1, \"name\": \"{name}\", \"key\": \"{key}\", \"reason\": \"laptop stolen\"}}\n"),
    )
    .unwrap();
    path
}

#[test]
fn revoke_applies_a_signed_statement_then_the_key_is_refused() {
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    let bob = keygen(p.root(), "bob");
    let next = ["--next", bob.key.as_str()];
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&alice),
        &next,
    );
    p.install("node_modules/x", "x", "1.0.0", 0, None, &[]);
    p.install(
        "node_modules/x/node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&alice),
        &next,
    );
    p.lock(&[]).expect(0);
    let stmt = write_statement(p.root(), "revoke.json", "left-pad", &alice.key);
    omega(
        p.root(),
        &["sign", stmt.to_str().unwrap(), "-s", alice.sec()],
    )
    .expect(0);
    let r = omega(p.root(), &["revoke", "revoke.json", "app", "--json"]).expect(0);
    let j = r.json();
    assert_eq!(j["ok"], true, "{j}");
    assert_eq!(j["key"], alice.key.as_str());
    assert_eq!(j["entries"].as_array().unwrap().len(), 2, "{j}");
    let lock = p.lock_json();
    for k in ["left-pad", "node_modules/x/node_modules/left-pad"] {
        assert_eq!(
            lock["packages"][k]["revoked"][0],
            alice.key.as_str(),
            "{lock}"
        );
        assert_eq!(
            lock["packages"][k]["keys"]["signers"],
            serde_json::json!([]),
            "{lock}"
        );
    }
    // The pinned release was signed by the revoked key only: audit refuses it (L13).
    let r = p.audit(&["--json"]).expect(1);
    assert_eq!(r.json()["code"], "KEY_REVOKED", "{}", r.stdout);
    // A new release signed by the stolen key is refused; the next key still works.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.1.0",
        2,
        Some(&alice),
        &[],
    );
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(r.json()["code"], "KEY_REVOKED", "{}", r.stdout);
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.1.0",
        2,
        Some(&bob),
        &[],
    );
    // The nested install, still signed only by the revoked key, is refused until replaced.
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(
        package(&r.json(), "node_modules/x/node_modules/left-pad")["code"],
        "KEY_REVOKED"
    );
    p.install(
        "node_modules/x/node_modules/left-pad",
        "left-pad",
        "1.1.0",
        2,
        Some(&bob),
        &[],
    );
    p.lock(&[]).expect(0);
    // Applying the statement again: already revoked, exit 1.
    let before = p.lock_bytes();
    let r = omega(p.root(), &["revoke", "revoke.json", "app"]).expect(1);
    assert!(r.all().contains("KEY_REVOKED"), "{}", r.all());
    assert_eq!(p.lock_bytes(), before);
}

#[test]
fn fail_revoke_signed_by_an_outsider_changes_nothing() {
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    let bob = keygen(p.root(), "bob");
    let mallory = keygen(p.root(), "mallory");
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&alice),
        &["--next", &bob.key],
    );
    p.lock(&[]).expect(0);
    let before = p.lock_bytes();
    // mallory tries to revoke alice's key (and so freeze the package).
    let stmt = write_statement(p.root(), "evil.json", "left-pad", &alice.key);
    omega(
        p.root(),
        &[
            "sign",
            stmt.to_str().unwrap(),
            "-s",
            mallory.sec(),
            "-x",
            "evil.sig",
        ],
    )
    .expect(0);
    let r = omega(
        p.root(),
        &["revoke", "evil.json", "-x", "evil.sig", "app", "--json"],
    )
    .expect(1);
    assert_eq!(r.json()["code"], "KEY_NOT_TRUSTED", "{}", r.stdout);
    assert_eq!(r.json()["written"], false);
    assert_eq!(p.lock_bytes(), before);
    // A statement edited after signing: SIGNATURE_INVALID.
    let stmt = write_statement(p.root(), "s.json", "left-pad", &alice.key);
    omega(
        p.root(),
        &["sign", stmt.to_str().unwrap(), "-s", alice.sec()],
    )
    .expect(0);
    write_statement(p.root(), "s.json", "left-pad", &bob.key);
    let r = omega(p.root(), &["revoke", "s.json", "app"]).expect(1);
    assert!(
        r.all().contains("SIGNATURE_INVALID") || r.all().contains("KEY_NOT_TRUSTED"),
        "{}",
        r.all()
    );
    assert_eq!(p.lock_bytes(), before);
    // No lock file, a malformed statement, no signature file: exit 2.
    fs::create_dir_all(p.root().join("empty")).unwrap();
    omega(p.root(), &["revoke", "s.json", "empty"]).expect(2);
    fs::write(p.root().join("bad.json"), "{\"omega-revoke\": 1}").unwrap();
    fs::copy(
        p.root().join("s.json.minisig"),
        p.root().join("bad.json.minisig"),
    )
    .unwrap();
    omega(p.root(), &["revoke", "bad.json", "app"]).expect(2);
    omega(p.root(), &["revoke", "nosig.json", "app"]).expect(2);
    assert_eq!(p.lock_bytes(), before);
}

#[test]
fn fail_sign_with_signature_file_over_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let k = keygen(d, "k");
    let body = b"the input file\n";
    fs::write(d.join("f"), body).unwrap();
    fs::hard_link(d.join("f"), d.join("hard")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("f", d.join("soft")).unwrap();
    let mut outs = vec!["f", "./f", "hard"];
    if cfg!(unix) {
        outs.push("soft");
    }
    for out in outs {
        let r = omega(d, &["sign", "f", "-s", k.sec(), "-x", out]).expect(2);
        assert!(r.stderr.contains("would be overwritten"), "{}", r.stderr);
        assert_eq!(fs::read(d.join("f")).unwrap(), body, "-x {out}");
    }
    // Two inputs, one of which is the other's signature file.
    fs::write(d.join("g"), b"g\n").unwrap();
    fs::write(d.join("g.minisig"), b"also an input\n").unwrap();
    omega(d, &["sign", "g", "g.minisig", "-s", k.sec()]).expect(2);
    assert_eq!(fs::read(d.join("g.minisig")).unwrap(), b"also an input\n");
    // A signature file elsewhere works.
    omega(d, &["sign", "f", "-s", k.sec(), "-x", "f.sig"]).expect(0);
    omega(d, &["verify", "f", "-P", &k.key, "-x", "f.sig"]).expect(0);
}

#[cfg(unix)]
#[test]
fn fail_node_modules_bin_entries_outside_pinned_packages() {
    use std::os::unix::fs::symlink;
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    p.install("node_modules/tool", "tool", "1.0.0", 1, Some(&alice), &[]);
    p.install("node_modules/foo", "foo", "1.0.0", 0, None, &[]);
    p.install(
        "node_modules/foo/node_modules/ms",
        "ms",
        "1.0.0",
        0,
        None,
        &[],
    );
    let bin = p.app().join("node_modules/.bin");
    fs::create_dir_all(&bin).unwrap();
    symlink("../tool/index.js", bin.join("tool")).unwrap();
    let nested_bin = p.app().join("node_modules/foo/node_modules/.bin");
    fs::create_dir_all(&nested_bin).unwrap();
    symlink("../ms/index.js", nested_bin.join("ms")).unwrap();
    p.lock(&[]).expect(0);
    p.audit(&["--json"]).expect(0);

    // Each attack alone: the audit fails with a code naming the .bin entry.
    let outside = p.root().join("evil.sh");
    fs::write(&outside, "#!/bin/sh\necho pwned\n").unwrap();
    fs::write(p.app().join("node_modules/tool/.omega/evil.js"), "evil\n").unwrap();
    // (entry, link target or None for a plain file, expected code)
    let cases: Vec<(&str, Option<PathBuf>, &str)> = vec![
        ("plain", None, "UNSUPPORTED_FILE_TYPE"),
        ("out", Some(outside), "NOT_FOUND"),
        ("meta", Some("../tool/.omega/evil.js".into()), "NOT_FOUND"),
        ("deep", Some("../foo/node_modules/ms/index.js".into()), "OK"),
        ("gone", Some("../tool/missing.js".into()), "NOT_FOUND"),
        ("dir", Some("../tool".into()), "UNSUPPORTED_FILE_TYPE"),
        ("up", Some("../../omega.lock".into()), "NOT_FOUND"),
    ];
    for (name, target, want) in cases {
        match target {
            None => fs::write(bin.join(name), "#!/bin/sh\n").unwrap(),
            Some(t) => symlink(t, bin.join(name)).unwrap(),
        }
        let r = p.audit(&["--json"]);
        let j = r.json();
        let link = format!("node_modules/.bin/{name}");
        if want == "OK" {
            // A link to a pinned package below the same node_modules, even a nested one.
            assert_eq!(r.status, 0, "{name}: {j}");
        } else {
            assert_eq!(r.status, 1, "{name}: {j}");
            let pr = j["problems"]
                .as_array()
                .unwrap()
                .iter()
                .find(|pr| pr["path"] == link.as_str())
                .unwrap_or_else(|| panic!("{name}: no problem for {link}: {j}"));
            assert_eq!(pr["code"], want, "{name}: {j}");
        }
        fs::remove_file(bin.join(name)).unwrap();
    }
    // In a nested .bin, a link to the parent tree's package is not of the same tree.
    symlink("../../../tool/index.js", nested_bin.join("tool")).unwrap();
    let r = p.audit(&["--json"]).expect(1);
    assert!(
        r.stdout.contains("node_modules/foo/node_modules/.bin/tool"),
        "{}",
        r.stdout
    );
    fs::remove_file(nested_bin.join("tool")).unwrap();
    p.audit(&["--json"]).expect(0);
}

#[test]
fn fail_signed_dependency_pin_not_what_node_resolves() {
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    p.install("node_modules/dep", "dep", "1.0.0", 0, None, &[]);
    let r = omega(p.root(), &["digest", "app/node_modules/dep"]).expect(0);
    let dep_tree = r.stdout.trim().to_string();
    let pin = format!("dep={dep_tree}");
    p.install(
        "node_modules/lib",
        "lib",
        "1.0.0",
        1,
        Some(&alice),
        &["--dep", &pin],
    );
    p.lock(&[]).expect(0);
    p.audit(&["--json"]).expect(0);

    // Shadow the dependency where Node looks first from lib: lib/node_modules/dep, another
    // release. omega lock pins it (an unsigned new install of a digest-only name), but lib's
    // signed manifest says which dep it was released with.
    p.install(
        "node_modules/lib/node_modules/dep",
        "dep",
        "6.6.6",
        0,
        None,
        &[],
    );
    p.lock(&[]).expect(0);
    let r = p.audit(&["--json"]).expect(1);
    let j = r.json();
    let pr = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pr| pr["key"] == "lib")
        .unwrap_or_else(|| panic!("no problem for lib: {j}"));
    assert_eq!(pr["code"], "DIGEST_MISMATCH", "{j}");
    assert!(
        pr["message"]
            .as_str()
            .unwrap()
            .contains("node_modules/lib/node_modules/dep"),
        "{j}"
    );
    fs::remove_dir_all(p.app().join("node_modules/lib/node_modules")).unwrap();
    p.lock(&[]).expect(0);
    p.audit(&["--json"]).expect(0);

    // The dependency missing altogether: NOT_FOUND naming it.
    fs::remove_dir_all(p.app().join("node_modules/dep")).unwrap();
    p.lock(&[]).expect(0);
    let r = p.audit(&["--json"]).expect(1);
    let j = r.json();
    assert!(
        j["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|pr| pr["key"] == "lib" && pr["code"] == "NOT_FOUND"),
        "{j}"
    );
}

#[test]
fn fail_one_signature_relabelled_meets_threshold_two() {
    use omega_core::secret::{KeyProtection, SecretKey};
    use omega_core::KeyId;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // alice, and the same secret key under another key id (ids are labels no signature covers).
    let alice = SecretKey::from_seed(&[7; 32], KeyId([1; 8]));
    let alias = SecretKey::from_seed(&[7; 32], KeyId([2; 8]));
    let sec = d.join("alice.key");
    fs::write(
        &sec,
        alice
            .to_file_text(KeyProtection::Unencrypted, "alice")
            .unwrap(),
    )
    .unwrap();
    write_tree(&d.join("pkg"), &[("index.js", "module.exports = 1;\n")]);
    omega(
        d,
        &[
            "pack",
            "pkg",
            "--name",
            "p",
            "--version",
            "1.0.0",
            "--sequence",
            "1",
            "-s",
            sec.to_str().unwrap(),
        ],
    )
    .expect(0);
    // The attacker copies alice's one signature as a block of "another" key.
    let manifest = fs::read(d.join("pkg/.omega/manifest.json")).unwrap();
    let extra = alias.sign(&manifest, "copied", "copied").unwrap().to_text();
    let sig_path = d.join("pkg/.omega/manifest.json.minisig");
    let mut sig = fs::read_to_string(&sig_path).unwrap();
    sig.push_str(&extra);
    fs::write(&sig_path, sig).unwrap();
    let (a, b) = (
        alice.public_key().to_base64(),
        alias.public_key().to_base64(),
    );
    assert_ne!(a, b, "two key texts");
    let r = omega(
        d,
        &[
            "check",
            "pkg",
            "-P",
            &a,
            "-P",
            &b,
            "--threshold",
            "2",
            "--json",
        ],
    )
    .expect(2);
    assert_eq!(r.json()["code"], "MALFORMED", "{}", r.stdout);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("pinned twice"),
        "{}",
        r.stdout
    );
    // One pin of the key: one signer, whatever the number of blocks.
    let r = omega(d, &["check", "pkg", "-P", &a, "--json"]).expect(0);
    assert_eq!(r.json()["signed_by"].as_array().unwrap().len(), 1);
}

/// Revokes `key` for `name` in the project `p` with a statement signed by `signer`.
fn revoke_key(p: &Project, name: &str, key: &Key, signer: &Key, reason: &str) -> Run {
    let path = p.root().join(format!("revoke-{name}.json"));
    fs::write(
        &path,
        format!(
            "{{\"omega-revoke\": 1, \"name\": \"{name}\", \"key\": \"{}\", \"reason\": \"{reason}\"}}\n",
            key.key
        ),
    )
    .unwrap();
    omega(
        p.root(),
        &["sign", path.to_str().unwrap(), "-s", signer.sec()],
    )
    .expect(0);
    omega(p.root(), &["revoke", path.to_str().unwrap(), "app"])
}

#[test]
fn fail_release_signed_only_by_a_revoked_key_still_passes_audit() {
    // t_revoke_still_loads.sh: a release signed by a stolen key, locked, then the key revoked.
    let p = Project::new();
    let k = keygen(p.root(), "k");
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&k), &[]);
    p.lock(&[]).expect(0);
    p.audit(&["--json"]).expect(0);
    revoke_key(&p, "foo", &k, &k, "key stolen").expect(0);
    let r = p.audit(&["--json"]).expect(1);
    let j = r.json();
    assert_eq!(j["code"], "KEY_REVOKED", "{j}");
    let msg = j["message"].as_str().unwrap();
    assert!(msg.contains("foo") && msg.contains(&k.key), "{j}");
    // Text mode too, and `omega lock` agrees.
    let r = omega(p.root(), &["audit", "app"]).expect(1);
    assert!(
        r.stdout.contains("KEY_REVOKED") && r.stdout.contains("foo"),
        "{}",
        r.stdout
    );
    assert_eq!(p.lock(&["--json"]).expect(1).json()["code"], "KEY_REVOKED");
}

#[test]
fn threshold_two_with_one_signer_revoked_is_checked_against_the_other() {
    // A release signed by alice and bob at threshold 2; alice's key is revoked. The holder of
    // alice's key alone could not have made it: audit still passes, checking bob's signature
    // (and only his); once bob is revoked too, it is refused.
    let p = Project::new();
    let alice = keygen(p.root(), "alice");
    let bob = keygen(p.root(), "bob");
    let both = [
        "--signer",
        alice.key.as_str(),
        "--signer",
        bob.key.as_str(),
        "--threshold",
        "2",
    ];
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&alice), &both);
    omega(
        p.root(),
        &["cosign", "app/node_modules/foo", "-s", bob.sec()],
    )
    .expect(0);
    p.lock(&[]).expect(0);
    revoke_key(&p, "foo", &alice, &alice, "laptop stolen").expect(0);
    let lock = p.lock_json();
    assert_eq!(
        lock["packages"]["foo"]["signed_by"],
        serde_json::json!([bob.key]),
        "{lock}"
    );
    let r = p.audit(&["--json"]).expect(0);
    assert_eq!(
        r.json()["packages"][0]["signed_by"],
        serde_json::json!([bob.key])
    );
    // bob's signature is still verified: a tampered signature file fails.
    let sig = p
        .app()
        .join("node_modules/foo/.omega/manifest.json.minisig");
    let text = fs::read_to_string(&sig).unwrap();
    let blocks: Vec<&str> = text.split_inclusive('\n').collect();
    let alice_only: String = blocks[..blocks.len() / 2].concat();
    fs::write(&sig, &alice_only).unwrap();
    p.audit(&["--json"]).expect(1);
    fs::write(&sig, &text).unwrap();
    // The next release needs 2 of the remaining signers: it cannot be admitted without a re-pin.
    revoke_key(&p, "foo", &bob, &bob, "also stolen").expect(0);
    assert_eq!(p.audit(&["--json"]).expect(1).json()["code"], "KEY_REVOKED");
}

#[test]
fn fail_revoked_key_forgotten_when_the_name_is_absent_for_one_lock() {
    // t_revoke_forget.sh: the attacker removes foo for one `omega lock`, then puts back a
    // release signed by the revoked (stolen) key.
    let p = Project::new();
    let k = keygen(p.root(), "k");
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&k), &[]);
    p.install("node_modules/bar", "bar", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    revoke_key(&p, "foo", &k, &k, "key stolen").expect(0);
    p.install("node_modules/foo", "foo", "6.6.6", 99, Some(&k), &[]);
    assert_eq!(p.lock(&["--json"]).expect(1).json()["code"], "KEY_REVOKED");
    let foo = p.app().join("node_modules/foo");
    let hidden = p.root().join("foo.hidden");
    fs::rename(&foo, &hidden).unwrap();
    let r = p.lock(&["--json"]).expect(0);
    assert_eq!(
        r.json()["retired"],
        serde_json::json!(["foo"]),
        "{}",
        r.stdout
    );
    let lock = p.lock_json();
    let e = &lock["packages"]["foo"];
    assert_eq!(e["retired"], true, "{lock}");
    assert_eq!(e["revoked"], serde_json::json!([k.key]), "{lock}");
    // Audit ignores the retired entry (nothing installed under it).
    p.audit(&["--json"]).expect(0);
    fs::rename(&hidden, &foo).unwrap();
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(r.json()["code"], "KEY_REVOKED", "{}", r.stdout);
    assert!(r.json()["message"].as_str().unwrap().contains("foo"));
    assert_eq!(p.lock_json()["packages"]["foo"]["retired"], true);
    // Not in the lock as a live pin: audit reports foo as installed but not pinned.
    let r = p.audit(&["--json"]).expect(1);
    assert_eq!(r.json()["code"], "NOT_FOUND", "{}", r.stdout);
    // The text output says what it kept.
    fs::rename(&foo, &hidden).unwrap();
    let r = p.lock(&[]).expect(0);
    assert!(r.stdout.contains("up to date"), "{}", r.stdout);
}

#[test]
fn fail_signed_pin_replaced_by_making_the_name_absent_for_one_lock() {
    // t_repin_by_absence.sh: a signed pin is replaced by another key without --repin.
    let p = Project::new();
    let k = keygen(p.root(), "k");
    let evil = keygen(p.root(), "evil");
    p.install("node_modules/foo", "foo", "1.0.0", 5, Some(&k), &[]);
    p.lock(&[]).expect(0);
    p.install("node_modules/foo", "foo", "1.0.1", 6, Some(&evil), &[]);
    assert_eq!(
        p.lock(&["--json"]).expect(1).json()["code"],
        "KEY_NOT_TRUSTED"
    );
    let foo = p.app().join("node_modules/foo");
    let hidden = p.root().join("foo.hidden");
    fs::rename(&foo, &hidden).unwrap();
    let r = p.lock(&[]).expect(0);
    assert!(
        r.stdout.contains("retired") && r.stdout.contains("--forget foo"),
        "{}",
        r.stdout
    );
    fs::rename(&hidden, &foo).unwrap();
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(r.json()["code"], "KEY_NOT_TRUSTED", "{}", r.stdout);
    // An older release by the pinned key is a rollback, as for an installed name.
    p.install("node_modules/foo", "foo", "0.9.0", 4, Some(&k), &[]);
    assert_eq!(p.lock(&["--json"]).expect(1).json()["code"], "ROLLBACK");
    // A newer release by the pinned key is an update of the retired pin.
    p.install("node_modules/foo", "foo", "1.1.0", 7, Some(&k), &[]);
    let r = p.lock(&["--json"]).expect(0);
    let j = r.json();
    assert_eq!(package(&j, "node_modules/foo")["change"], "updated", "{j}");
    assert!(p.lock_json()["packages"]["foo"].get("retired").is_none());
    p.audit(&["--json"]).expect(0);
    // --repin sets the pins aside deliberately (the attacker's key is then pinned by TOFU).
    p.install("node_modules/foo", "foo", "1.0.1", 6, Some(&evil), &[]);
    p.lock(&["--repin", "foo"]).expect(0);
}

#[test]
fn forget_drops_retired_pins_deliberately() {
    let p = Project::new();
    let k = keygen(p.root(), "k");
    let evil = keygen(p.root(), "evil");
    p.install("node_modules/foo", "foo", "1.0.0", 5, Some(&k), &[]);
    p.install("node_modules/bar", "bar", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    // --forget of an installed name is refused (that is --repin), as is an unknown name.
    let r = p.lock(&["--forget", "foo", "--json"]).expect(2);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("--repin foo"));
    p.lock(&["--forget", "nope"]).expect(2);
    let foo = p.app().join("node_modules/foo");
    fs::remove_dir_all(&foo).unwrap();
    p.lock(&[]).expect(0);
    let r = p.lock(&["--forget", "foo", "--json"]).expect(0);
    assert_eq!(r.json()["forgotten"], serde_json::json!(["foo"]));
    assert!(p.lock_json()["packages"].get("foo").is_none());
    // Forgotten: a returning foo is seen for the first time.
    p.install("node_modules/foo", "foo", "1.0.1", 1, Some(&evil), &[]);
    let r = p.lock(&["--json"]).expect(0);
    assert_eq!(
        package(&r.json(), "node_modules/foo")["first_sight"],
        "trust-on-first-use"
    );
}

#[test]
fn fail_retired_field_is_validated() {
    let p = Project::new();
    let k = keygen(p.root(), "k");
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&k), &[]);
    p.install("node_modules/x", "x", "1.0.0", 0, None, &[]);
    p.install(
        "node_modules/x/node_modules/foo",
        "foo",
        "1.0.0",
        1,
        Some(&k),
        &[],
    );
    p.lock(&[]).expect(0);
    let good = fs::read_to_string(p.lock_path()).unwrap();
    for (what, text) in [
        (
            "false",
            good.replacen(
                "\"path\": \"node_modules/foo\"",
                "\"path\": \"node_modules/foo\",\n      \"retired\": false",
                1,
            ),
        ),
        (
            "not a bool",
            good.replacen(
                "\"path\": \"node_modules/foo\"",
                "\"path\": \"node_modules/foo\",\n      \"retired\": 1",
                1,
            ),
        ),
        (
            "retired with other entries",
            good.replacen(
                "\"path\": \"node_modules/foo\"",
                "\"path\": \"node_modules/foo\",\n      \"retired\": true",
                1,
            ),
        ),
        (
            "retired path key",
            good.replacen(
                "\"path\": \"node_modules/x/node_modules/foo\"",
                "\"path\": \"node_modules/x/node_modules/foo\",\n      \"retired\": true",
                1,
            ),
        ),
    ] {
        assert_ne!(text, good, "{what}");
        fs::write(p.lock_path(), &text).unwrap();
        let r = omega(p.root(), &["audit", "app", "--json"]).expect(2);
        assert_eq!(r.json()["code"], "MALFORMED", "{what}: {}", r.stdout);
    }
}

#[test]
fn fail_node_modules_folder_inside_node_modules_shadows_for_esm() {
    // t_esm_nmnm.sh: Node's ESM resolver looks in node_modules/node_modules/<dep> (CommonJS
    // does not); a folder there would be loaded by plain `node` after a passing audit.
    let p = Project::new();
    let k = keygen(p.root(), "k");
    p.install("node_modules/dep", "dep", "1.0.0", 1, Some(&k), &[]);
    p.install("node_modules/@s/user", "@s/user", "1.0.0", 1, Some(&k), &[]);
    p.lock(&[]).expect(0);
    p.audit(&["--json"]).expect(0);
    for planted in [
        "node_modules/node_modules/dep",
        "node_modules/@s/node_modules/dep",
        "node_modules/dep/node_modules/node_modules/dep",
    ] {
        p.install(planted, "dep", "6.6.6", 0, None, &[]);
        let folder = planted.strip_suffix("/dep").unwrap();
        let before = p.lock_bytes();
        let r = p.lock(&["--json"]).expect(1);
        let j = r.json();
        assert_eq!(j["code"], "UNSAFE_PATH", "{planted}: {j}");
        assert!(j["message"].as_str().unwrap().contains(folder), "{j}");
        assert_eq!(p.lock_bytes(), before, "{planted}: lock not written");
        let r = p.audit(&["--json"]).expect(1);
        let j = r.json();
        assert!(
            j["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|pr| pr["code"] == "UNSAFE_PATH" && pr["path"] == folder),
            "{planted}: {j}"
        );
        fs::remove_dir_all(p.app().join(folder)).unwrap();
        p.audit(&["--json"]).expect(0);
    }
}

/// Characters a terminal acts on (ESC, BEL, CR, a C1 control, a bidi override).
const ACTIVE: [char; 6] = ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}', '\u{85}'];

#[test]
fn fail_terminal_escapes_in_printed_input_reach_the_terminal() {
    // t_reason_escape.sh: a revocation statement's reason with escape sequences.
    let p = Project::new();
    let k = keygen(p.root(), "k");
    p.install("node_modules/foo", "foo", "1.0.0", 1, Some(&k), &[]);
    p.lock(&[]).expect(0);
    let reason = "x\\u001b[2J\\u001b]0;pwned\\u0007\\u001b[31mFAKE: all good\\u001b[0m\\r\\u009b\\u202e\\u0085";
    let r = revoke_key(&p, "foo", &k, &k, reason).expect(0);
    for c in ACTIVE {
        assert!(!r.all().contains(c), "{c:?} printed raw: {:?}", r.stdout);
    }
    assert!(
        r.stdout.contains("x\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"),
        "{:?}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\\u{d}\\u{9b}\\u{202e}\\u{85}"),
        "{:?}",
        r.stdout
    );
    // --json stays exact: the reason as the statement holds it.
    let stmt: serde_json::Value =
        serde_json::from_slice(&fs::read(p.root().join("revoke-foo.json")).unwrap()).unwrap();
    assert!(stmt["reason"].as_str().unwrap().contains('\u{1b}'));
    // A trusted comment, shown by omega verify.
    let file = p.root().join("note.txt");
    fs::write(&file, "hello\n").unwrap();
    let comment = "ok\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}";
    omega(
        p.root(),
        &["sign", file.to_str().unwrap(), "-s", k.sec(), "-t", comment],
    )
    .expect(0);
    let r = omega(
        p.root(),
        &["verify", file.to_str().unwrap(), "-p", k.public()],
    )
    .expect(0);
    for c in ACTIVE {
        assert!(!r.all().contains(c), "{c:?} printed raw: {:?}", r.stdout);
    }
    assert!(r.stdout.contains("ok\\u{1b}[2J"), "{:?}", r.stdout);
    // A message naming a file: a package folder whose name holds ESC.
    let evil = p.app().join("node_modules/bad\u{1b}[2Jname");
    fs::create_dir_all(&evil).unwrap();
    fs::write(evil.join("index.js"), "1\n").unwrap();
    let r = p.lock(&[]).expect(1);
    for c in ACTIVE {
        assert!(!r.all().contains(c), "{c:?} printed raw: {:?}", r.all());
    }
    assert!(r.all().contains("bad\\u{1b}[2Jname"), "{:?}", r.all());
    let r = p.lock(&["--json"]).expect(1);
    let j = r.json();
    assert_eq!(j["code"], "UNSAFE_PATH", "{j}");
    assert!(
        j["problems"][0]["path"]
            .as_str()
            .unwrap()
            .contains('\u{1b}'),
        "--json holds the path exactly: {j}"
    );
}
