//! `omega lock` and `omega audit` on a project's node_modules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::PathBuf;

use common::*;

impl Project {
    /// Installs a package at `app/<rel>` with the given files, signed by `key` when given.
    fn install(
        &self,
        rel: &str,
        name: &str,
        version: &str,
        seq: u64,
        key: Option<&Key>,
        extra: &[&str],
    ) -> PathBuf {
        let dir = self.app().join(rel);
        if dir.exists() {
            // A new release replaces the files but keeps nested installs.
            for ent in fs::read_dir(&dir).unwrap() {
                let ent = ent.unwrap();
                if ent.file_name() != "node_modules" {
                    let p = ent.path();
                    if p.is_dir() {
                        fs::remove_dir_all(p).unwrap();
                    } else {
                        fs::remove_file(p).unwrap();
                    }
                }
            }
        }
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
            // Pack a clean copy (without nested node_modules), then move its .omega in.
            let tmp = self.root().join(format!("pack-{}", name.replace('/', "_")));
            let _ = fs::remove_dir_all(&tmp);
            fs::create_dir_all(&tmp).unwrap();
            for f in ["index.js", "package.json"] {
                fs::copy(dir.join(f), tmp.join(f)).unwrap();
            }
            pack(self.root(), &tmp, name, version, seq, k, extra);
            let _ = fs::remove_dir_all(dir.join(".omega"));
            fs::rename(tmp.join(".omega"), dir.join(".omega")).unwrap();
            fs::remove_dir_all(&tmp).unwrap();
        }
        dir
    }
}

#[test]
fn lock_pins_scoped_nested_and_unsigned_packages_then_audit_passes() {
    let p = Project::new();
    let a = keygen(p.root(), "a");
    let s = keygen(p.root(), "s");
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.3.0",
        7,
        Some(&a),
        &[],
    );
    p.install(
        "node_modules/@demo/greet",
        "@demo/greet",
        "0.2.0",
        2,
        Some(&s),
        &[],
    );
    p.install("node_modules/ms", "ms", "2.1.3", 0, None, &[]);
    p.install(
        "node_modules/left-pad/node_modules/ms",
        "ms",
        "1.0.0",
        0,
        None,
        &[],
    );
    // npm's bookkeeping entries are skipped (and .bin/ links into pinned packages pass audit).
    write_tree(&p.app(), &[("node_modules/.package-lock.json", "{}")]);
    fs::create_dir_all(p.app().join("node_modules/.bin")).unwrap();
    std::os::unix::fs::symlink(
        "../left-pad/index.js",
        p.app().join("node_modules/.bin/left-pad"),
    )
    .unwrap();

    let r = p.lock(&[]).expect(0);
    // Trust on first use shows the fingerprints it pins.
    assert!(r.stdout.contains("trust on first use"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("{} (id {})", a.key, a.id())),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{} (id {})", s.key, s.id())),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("UNSIGNED"), "{}", r.stdout);
    assert!(
        r.stdout.contains("node_modules/left-pad/node_modules/ms"),
        "{}",
        r.stdout
    );

    let lock = p.lock_json();
    let pkgs = lock["packages"].as_object().unwrap();
    let keys: Vec<&String> = pkgs.keys().collect();
    assert_eq!(
        keys,
        [
            "@demo/greet",
            "left-pad",
            "ms",
            "node_modules/left-pad/node_modules/ms"
        ]
    );
    assert_eq!(pkgs["left-pad"]["sequence"], 7);
    assert_eq!(pkgs["left-pad"]["signed_by"][0], a.key.as_str());
    assert_eq!(pkgs["left-pad"]["keys"]["signers"][0], a.key.as_str());
    assert_eq!(pkgs["@demo/greet"]["path"], "node_modules/@demo/greet");
    assert_eq!(pkgs["ms"]["version"], "2.1.3");
    assert_eq!(pkgs["ms"]["sequence"], 0);
    assert!(pkgs["ms"].get("keys").is_none());
    assert_eq!(
        pkgs["node_modules/left-pad/node_modules/ms"]["version"],
        "1.0.0"
    );
    // The parent package's digest leaves out its nested node_modules.
    let lp_digest = p
        .omega(&["digest", "app/node_modules/left-pad"])
        .expect(0)
        .stdout;
    assert_ne!(
        pkgs["left-pad"]["tree"],
        lp_digest.trim(),
        "nested install excluded from the pin"
    );

    // Locking again changes nothing (file untouched).
    let before = fs::read(p.lock_path()).unwrap();
    let r = p.lock(&[]).expect(0);
    assert!(r.stdout.contains("up to date"), "{}", r.stdout);
    assert_eq!(fs::read(p.lock_path()).unwrap(), before);

    let r = p.audit(&[]).expect(0);
    assert_eq!(
        r.stdout.lines().filter(|l| l.starts_with("OK ")).count(),
        4,
        "{}",
        r.stdout
    );
    let j = p.audit(&["--json"]).expect(0).json();
    assert_eq!(j["ok"], true);
    assert_eq!(j["packages"].as_array().unwrap().len(), 4);
    assert_eq!(
        fs::read(p.lock_path()).unwrap(),
        before,
        "audit never writes"
    );
}

#[test]
fn audit_detects_tampering_after_lock() {
    let p = Project::new();
    let a = keygen(p.root(), "a");
    let lp = p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.3.0",
        1,
        Some(&a),
        &[],
    );
    let ms = p.install("node_modules/@demo/ms", "@demo/ms", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    let lock_before = fs::read(p.lock_path()).unwrap();

    fs::write(lp.join("index.js"), "module.exports = 'pwned';\n").unwrap();
    fs::write(ms.join("extra.js"), "1\n").unwrap();
    let r = p.audit(&[]).expect(1);
    assert!(
        r.stdout
            .contains("FILE_CHANGED left-pad: file \"index.js\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("DIGEST_MISMATCH"),
        "unsigned package changed: {}",
        r.stdout
    );
    let j = p.audit(&["--json"]).expect(1).json();
    assert_eq!(j["ok"], false);
    assert_eq!(
        j["code"], "DIGEST_MISMATCH",
        "first problem in lock-key order (@demo/ms)"
    );
    let pk: Vec<&serde_json::Value> = j["packages"].as_array().unwrap().iter().collect();
    let lp_json = pk.iter().find(|x| x["key"] == "left-pad").unwrap();
    assert_eq!(lp_json["ok"], false);
    assert_eq!(lp_json["code"], "FILE_CHANGED");
    assert_eq!(lp_json["problems"][0]["path"], "index.js");
    assert!(codes(&j["problems"]).contains(&"FILE_CHANGED".to_string()));

    // lock refuses too, and keeps the pins.
    let r = p.lock(&[]).expect(1);
    assert!(r.stdout.contains("DIGEST_MISMATCH"), "{}", r.stdout);
    assert_eq!(fs::read(p.lock_path()).unwrap(), lock_before);
}

#[test]
fn audit_reports_unpinned_and_missing_packages() {
    let p = Project::new();
    p.install("node_modules/a", "a", "1.0.0", 0, None, &[]);
    let r = p.audit(&[]).expect(2);
    assert!(
        r.stderr.contains("NOT_FOUND") && r.stderr.contains("omega lock"),
        "{}",
        r.stderr
    );
    let j = p.audit(&["--json"]).expect(2).json();
    assert_eq!(j["code"], "NOT_FOUND");

    p.lock(&[]).expect(0);
    p.install("node_modules/b", "b", "1.0.0", 0, None, &[]);
    let r = p.audit(&[]).expect(1);
    assert!(
        r.stdout
            .contains("NOT_FOUND node_modules/b: installed but not pinned"),
        "{}",
        r.stdout
    );
    fs::remove_dir_all(p.app().join("node_modules/a")).unwrap();
    let j = p.audit(&["--json"]).expect(1).json();
    assert_eq!(codes(&j["problems"]), ["NOT_FOUND", "NOT_FOUND"]);
    assert!(j["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not installed"));

    // lock now retires `a` (its pins stay, docs/format.md §4.7) and pins `b`, and says so.
    let r = p.lock(&[]).expect(0);
    assert!(
        r.stdout.contains("retired a@1.0.0: no longer installed"),
        "{}",
        r.stdout
    );
    let lock = p.lock_json();
    assert_eq!(lock["packages"]["a"]["retired"], true, "{lock}");
    assert!(lock["packages"].get("b").is_some());
    p.audit(&[]).expect(0);
    // Only an explicit --forget drops the retired pin.
    let r = p.lock(&["--forget", "a"]).expect(0);
    assert!(r.stdout.contains("a"), "{}", r.stdout);
    assert!(p.lock_json()["packages"].get("a").is_none());
}

#[test]
fn rotation_through_a_precommitted_next_key() {
    let p = Project::new();
    let old = keygen(p.root(), "old");
    let new = keygen(p.root(), "new");
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&old),
        &["--next", &new.key],
    );
    let r = p.lock(&[]).expect(0);
    assert!(
        r.stdout.contains(&new.key),
        "shows the next key: {}",
        r.stdout
    );
    // Release 2 is signed by the new key only: accepted through `next`.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "2.0.0",
        2,
        Some(&new),
        &[],
    );
    let r = p.lock(&[]).expect(0);
    assert!(
        r.stdout
            .contains("updated left-pad 1.0.0 (sequence 1) -> 2.0.0 (sequence 2)"),
        "{}",
        r.stdout
    );
    let lock = p.lock_json();
    assert_eq!(
        lock["packages"]["left-pad"]["keys"]["signers"][0],
        new.key.as_str()
    );
    assert_eq!(
        lock["packages"]["left-pad"]["signed_by"][0],
        new.key.as_str()
    );
    p.audit(&[]).expect(0);
    let j = p.lock(&["--json"]).expect(0).json();
    assert_eq!(j["packages"][0]["change"], "unchanged");
}

#[test]
fn lock_refuses_uncommitted_key_rollback_and_untrusted_key() {
    let p = Project::new();
    let a = keygen(p.root(), "a");
    let mallory = keygen(p.root(), "mallory");
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        5,
        Some(&a),
        &[],
    );
    p.install("node_modules/other", "other", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    let pinned = fs::read(p.lock_path()).unwrap();

    // A release signed by a key that was never committed: KEY_NOT_TRUSTED; lock untouched.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.1.0",
        6,
        Some(&mallory),
        &[],
    );
    let r = p.lock(&[]).expect(1);
    assert!(r.stdout.contains("KEY_NOT_TRUSTED"), "{}", r.stdout);
    assert!(r.stdout.contains("not written"), "{}", r.stdout);
    assert_eq!(fs::read(p.lock_path()).unwrap(), pinned);
    let j = p.lock(&["--json"]).expect(1).json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["code"], "KEY_NOT_TRUSTED");
    assert_eq!(j["written"], false);
    assert_eq!(codes(&j["problems"]), ["KEY_NOT_TRUSTED"]);
    assert_eq!(fs::read(p.lock_path()).unwrap(), pinned);

    // A genuinely signed release with a lower sequence: ROLLBACK.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "0.9.0",
        4,
        Some(&a),
        &[],
    );
    let r = p.lock(&[]).expect(1);
    assert!(r.stdout.contains("ROLLBACK"), "{}", r.stdout);
    assert_eq!(fs::read(p.lock_path()).unwrap(), pinned);
    // Equal sequence with different files: ROLLBACK too.
    p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.1",
        5,
        Some(&a),
        &[],
    );
    let r = p.lock(&[]).expect(1);
    assert!(r.stdout.contains("ROLLBACK"), "{}", r.stdout);
    // An unsigned release of a signed package: THRESHOLD_NOT_MET.
    let lp = p.app().join("node_modules/left-pad");
    fs::remove_dir_all(lp.join(".omega")).unwrap();
    let r = p.lock(&[]).expect(1);
    assert!(r.stdout.contains("THRESHOLD_NOT_MET"), "{}", r.stdout);
    assert_eq!(fs::read(p.lock_path()).unwrap(), pinned);
}

#[test]
fn trust_names_the_key_that_must_have_signed() {
    let p = Project::new();
    let a = keygen(p.root(), "a");
    let other = keygen(p.root(), "other");
    p.install(
        "node_modules/@scope/pkg",
        "@scope/pkg",
        "1.0.0",
        1,
        Some(&a),
        &[],
    );

    let wrong = format!("@scope/pkg={}", other.key);
    let r = p.lock(&["--trust", &wrong]).expect(1);
    assert!(r.stdout.contains("KEY_NOT_TRUSTED"), "{}", r.stdout);
    assert!(!p.lock_path().exists(), "no lock written");

    let right = format!("@scope/pkg={}", a.key);
    let r = p.lock(&["--trust", &right, "--json"]).expect(0);
    let j = r.json();
    assert_eq!(j["packages"][0]["first_sight"], "explicit");
    assert_eq!(j["written"], true);
    // Once pinned, --trust naming another key is refused (KEY_NOT_TRUSTED), never ignored.
    let pinned = fs::read(p.lock_path()).unwrap();
    let r = p.lock(&["--trust", &wrong, "--json"]).expect(1);
    assert_eq!(r.json()["code"], "KEY_NOT_TRUSTED", "{}", r.stdout);
    assert_eq!(fs::read(p.lock_path()).unwrap(), pinned);
    p.lock(&["--trust", &right]).expect(0);
    // Naming a package that is not installed, or a malformed key: usage errors.
    p.lock(&["--trust", &format!("nope={}", a.key)]).expect(2);
    p.lock(&["--trust", "@scope/pkg=RWbad"]).expect(2);
    p.lock(&["--trust", "no-equals-sign"]).expect(2);
}

#[test]
fn corrupt_lock_is_exit_2_and_left_byte_identical() {
    let p = Project::new();
    p.install("node_modules/a", "a", "1.0.0", 0, None, &[]);
    for corrupt in [
        &b"{\"omega-lock\": 1, \"packages\": {\"a\": {\"version\": \"1\"}}}"[..],
        b"not json at all",
        b"{\"omega-lock\": 1, \"packages\": {}, \"extra\": true}",
    ] {
        fs::write(p.lock_path(), corrupt).unwrap();
        let r = p.lock(&[]).expect(2);
        assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
        assert_eq!(fs::read(p.lock_path()).unwrap(), corrupt);
        let j = p.lock(&["--json"]).expect(2).json();
        assert_eq!(j["code"], "MALFORMED");
        assert_eq!(fs::read(p.lock_path()).unwrap(), corrupt);
        let r = p.audit(&[]).expect(2);
        assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
    }
    fs::write(p.lock_path(), b"{\"omega-lock\": 9, \"packages\": {}}").unwrap();
    let r = p.lock(&[]).expect(2);
    assert!(r.stderr.contains("UNSUPPORTED_VERSION"), "{}", r.stderr);
}

#[test]
fn symlinks_are_unsupported_file_type() {
    let p = Project::new();
    let a = keygen(p.root(), "a");
    let lp = p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&a),
        &[],
    );
    // A symlinked package directory (npm link, pnpm).
    let elsewhere = p.root().join("linked");
    write_tree(&elsewhere, &[("index.js", "x")]);
    std::os::unix::fs::symlink(&elsewhere, p.app().join("node_modules/linked")).unwrap();
    let r = p.lock(&[]).expect(1);
    assert!(
        r.stdout
            .contains("UNSUPPORTED_FILE_TYPE node_modules/linked"),
        "{}",
        r.stdout
    );
    assert!(!p.lock_path().exists());
    fs::remove_file(p.app().join("node_modules/linked")).unwrap();
    p.lock(&[]).expect(0);

    // A symlink inside a package: lock refuses, audit reports it.
    std::os::unix::fs::symlink("/etc/passwd", lp.join("passwd")).unwrap();
    let r = p.lock(&["--json"]).expect(1);
    assert_eq!(r.json()["code"], "UNSUPPORTED_FILE_TYPE");
    let r = p.audit(&[]).expect(1);
    assert!(
        r.stdout.contains("UNSUPPORTED_FILE_TYPE") && r.stdout.contains("passwd"),
        "{}",
        r.stdout
    );
}

#[test]
fn lock_without_node_modules_or_root() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("empty")).unwrap();
    let r = omega(d.path(), &["lock", "empty"]).expect(2);
    assert!(
        r.stderr.contains("NOT_FOUND") && r.stderr.contains("node_modules"),
        "{}",
        r.stderr
    );
    let r = omega(d.path(), &["lock", "missing", "--json"]).expect(2);
    assert_eq!(r.json()["code"], "NOT_FOUND");
    // ROOT defaults to the current directory.
    fs::create_dir_all(d.path().join("node_modules/x")).unwrap();
    fs::write(d.path().join("node_modules/x/index.js"), "1").unwrap();
    omega(d.path(), &["lock"]).expect(0);
    assert!(d.path().join("omega.lock").exists());
    omega(d.path(), &["audit"]).expect(0);
}

#[test]
fn malformed_manifest_in_a_package_is_refused_with_its_code() {
    let p = Project::new();
    let a = keygen(p.root(), "a");
    let lp = p.install(
        "node_modules/left-pad",
        "left-pad",
        "1.0.0",
        1,
        Some(&a),
        &[],
    );
    fs::write(lp.join(".omega/manifest.json"), b"{}").unwrap();
    let j = p.lock(&["--json"]).expect(1).json();
    assert_eq!(j["code"], "MALFORMED");
    // A manifest for another package name.
    p.install(
        "node_modules/left-pad",
        "right-pad",
        "1.0.0",
        1,
        Some(&a),
        &[],
    );
    let j = p.lock(&["--json"]).expect(1).json();
    assert_eq!(j["code"], "MALFORMED");
    assert!(j["message"].as_str().unwrap().contains("right-pad"), "{j}");
}

#[test]
fn unsigned_package_json_version_and_bad_package_json() {
    let p = Project::new();
    write_tree(&p.app(), &[("node_modules/noversion/index.js", "1")]);
    write_tree(
        &p.app(),
        &[("node_modules/badjson/package.json", "{not json")],
    );
    let j = p.lock(&["--json"]).expect(1).json();
    let bad = j["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "badjson")
        .unwrap();
    assert_eq!(bad["code"], "MALFORMED");
    fs::write(
        p.app().join("node_modules/badjson/package.json"),
        "{\"version\": \"3.1.4\"}",
    )
    .unwrap();
    p.lock(&[]).expect(0);
    let lock = p.lock_json();
    assert_eq!(lock["packages"]["noversion"]["version"], "0.0.0");
    assert_eq!(lock["packages"]["badjson"]["version"], "3.1.4");
}

/// The `--json` message of lock and audit is core's `summary_message`: with two problems it
/// says "(and 1 more problem)" (the CLI's own copy of the rule said "1 more problems"), and the
/// keys of each package's object come in core's declared order after `key` and `path`.
#[test]
fn audit_json_message_and_key_order_come_from_core() {
    let p = Project::new();
    p.install("node_modules/a", "a", "1.0.0", 0, None, &[]);
    p.lock(&[]).expect(0);
    p.install("node_modules/b", "b", "1.0.0", 0, None, &[]);
    fs::remove_dir_all(p.app().join("node_modules/a")).unwrap();
    let r = p.audit(&["--json"]).expect(1);
    let j = r.json();
    assert_eq!(codes(&j["problems"]), ["NOT_FOUND", "NOT_FOUND"]);
    let msg = j["message"].as_str().unwrap();
    assert!(msg.ends_with(" (and 1 more problem)"), "{msg}");
    let pkg = j["packages"][0].as_object().unwrap();
    let keys: Vec<&str> = pkg.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "key",
            "path",
            "ok",
            "code",
            "message",
            "package",
            "version",
            "sequence",
            "files",
            "tree",
            "manifest_tree",
            "pinned_digest",
            "threshold",
            "signed_by",
            "signatures",
            "problems"
        ]
    );
}
