//! The registry's publisher side end to end (issue 14): `omega registry init`, `publish`,
//! `statement` + `sign --append` + `registry submit`, refusals that write nothing, two
//! publishers at once, publishers killed at every step and at random, and the log verified
//! over http from a real nginx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::nginx::Nginx;
use common::registry::{code, copy_dir, init, log_key, packed, publish, refused, size, snapshot};
use common::{keygen, omega, omega_cmd};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn init_publish_and_verify_over_http() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "janitor");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "example.com/omega", "open", &[&j], &[]);
    assert_eq!(size(&reg), 1);
    // The keys are kept out of the served tree's names and private.
    for f in ["log.key", "index.key"] {
        let m = fs::metadata(reg.join(".keys").join(f)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(m.permissions().mode() & 0o077, 0, "{f} is private");
    }
    let policy = fs::read_to_string(reg.join("policy")).unwrap();
    assert!(policy.ends_with("quorum none\n"), "{policy}");

    let pkg = packed(root, "pad", "left-pad", "1.0.0", 1, &a);
    let out = publish(root, &pkg, &reg, &[&a]).expect(0);
    assert!(
        out.stdout.contains("owners of left-pad serial 0"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("release left-pad@1.0.0 sequence 1"));
    assert_eq!(size(&reg), 3);
    let pkg2 = packed(root, "pad", "left-pad", "1.1.0", 2, &a);
    let json = omega(
        root,
        &[
            "publish",
            pkg2.to_str().unwrap(),
            "--registry",
            reg.to_str().unwrap(),
            "-s",
            a.sec(),
            "--json",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(json["size"], 4);
    // The objects are content-addressed: tgz, manifest, signature.
    for k in ["tgz", "manifest", "signatures"] {
        let hex = json[k].as_str().unwrap();
        let p = reg.join("objects").join(&hex[..2]).join(hex);
        assert!(p.is_file(), "{k} object {hex}");
    }
    let index = fs::read_to_string(reg.join("index/left-pad")).unwrap();
    assert!(index.contains("\nas-of 4\n"), "{index}");
    assert!(index.contains("\nowners 1\nrelease 2 1.0.0 1 "), "{index}");
    assert!(index.contains("\nrelease 3 1.1.0 2 "), "{index}");

    // The published tarball is the deterministic one `omega pack --tgz` writes.
    let tgz = root.join("pad.tgz");
    omega(
        root,
        &[
            "pack",
            pkg2.to_str().unwrap(),
            "--name",
            "left-pad",
            "--version",
            "1.1.0",
            "--sequence",
            "2",
            "-s",
            a.sec(),
            "--tgz",
            tgz.to_str().unwrap(),
        ],
    );

    let nginx = Nginx::start(&reg);
    let url = nginx.http_url();
    let v = omega(root, &["log", "verify", &url]).expect(0);
    assert!(
        v.stdout.contains("4 entries replayed, 1 index notes match"),
        "{}",
        v.stdout
    );
    let vj = omega(root, &["log", "verify", &url, "--json"])
        .expect(0)
        .json();
    assert_eq!(vj["ok"], true);
    assert_eq!(vj["size"], 4);
    // The keys folder is never fetched by omega (dot files fail the path rule), and the
    // monitor finds alice's entries.
    let m = omega(root, &["log", "monitor", &url, "--key", &a.key, "--json"])
        .expect(0)
        .json();
    assert_eq!(m["entries"].as_array().unwrap().len(), 3);
    let m = omega(
        root,
        &[
            "log", "monitor", &url, "--key", &a.key, "--since", "3", "--json",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(m["entries"].as_array().unwrap().len(), 1);
    // Statements read the state over http too (serials, existing releases), checked against
    // a policy obtained another way (RR9: here the registry folder's own).
    let st = root.join("yank.json");
    let policy = reg.join("policy");
    omega(
        root,
        &[
            "statement",
            "yank",
            "left-pad",
            "--registry",
            &url,
            "--version",
            "1.0.0",
            "--sequence",
            "1",
            "--policy",
            policy.to_str().unwrap(),
            "-o",
            st.to_str().unwrap(),
        ],
    )
    .expect(0);
    assert_eq!(
        fs::read_to_string(&st).unwrap(),
        r#"{"omega-entry":1,"type":"yank","origin":"example.com/omega","name":"left-pad","version":"1.0.0","sequence":1,"reason":""}"#
    );
    // The checkpoint verifies as a C2SP note with the log key.
    let n = omega(
        root,
        &[
            "note",
            "verify",
            reg.join("checkpoint").to_str().unwrap(),
            "--key",
            &log_key(&reg),
        ],
    )
    .expect(0);
    assert_eq!(n.stdout.trim(), "example.com/omega");
}

#[test]
fn curated_owners_need_the_janitors_threshold() {
    let t = tmp();
    let root = t.path();
    let j1 = keygen(root, "j1");
    let j2 = keygen(root, "j2");
    let a = keygen(root, "alice");
    let reg = init(
        root,
        "reg",
        "curated.example",
        "curated",
        &[&j1, &j2],
        &["--threshold", "2"],
    );
    let regs = reg.to_str().unwrap();
    // No owners yet: nothing to release.
    let pkg = packed(root, "p", "widget", "1.0.0", 1, &a);
    let before = snapshot(&reg);
    refused(publish(root, &pkg, &reg, &[&a]), 2, "NOT_FOUND");
    assert_eq!(before, snapshot(&reg), "nothing written");

    let st = root.join("owners.json");
    omega(
        root,
        &[
            "statement",
            "owners",
            "widget",
            "--registry",
            regs,
            "--owner",
            &a.key,
            "--reason",
            "first owner",
            "-o",
            st.to_str().unwrap(),
        ],
    )
    .expect(0);
    let text = fs::read_to_string(&st).unwrap();
    assert!(
        text.starts_with(r#"{"omega-entry":1,"type":"owners","origin":"curated.example","name":"widget","serial":0,"#),
        "{text}"
    );
    omega(
        root,
        &["sign", st.to_str().unwrap(), "-s", j1.sec(), "--append"],
    )
    .expect(0);
    // One janitor of two: refused, nothing written.
    refused(
        omega(root, &["registry", "submit", regs, st.to_str().unwrap()]),
        1,
        "THRESHOLD_NOT_MET",
    );
    assert_eq!(before, snapshot(&reg));
    // The same signer twice is refused by sign --append.
    omega(
        root,
        &["sign", st.to_str().unwrap(), "-s", j1.sec(), "--append"],
    )
    .expect(2);
    omega(
        root,
        &["sign", st.to_str().unwrap(), "-s", j2.sec(), "--append"],
    )
    .expect(0);
    omega(root, &["registry", "submit", regs, st.to_str().unwrap()]).expect(0);
    assert_eq!(size(&reg), 2);
    // Submitting it again: its serial is used.
    refused(
        omega(root, &["registry", "submit", regs, st.to_str().unwrap()]),
        1,
        "ROLLBACK",
    );
    publish(root, &pkg, &reg, &[&a]).expect(0);
    assert_eq!(size(&reg), 3);
    // A new owners statement gets serial 1 from the state.
    omega(
        root,
        &[
            "statement",
            "owners",
            "widget",
            "--registry",
            regs,
            "--owner",
            &a.key,
            "--owner",
            &j1.key,
            "-o",
            st.to_str().unwrap(),
        ],
    )
    .expect(0);
    assert!(fs::read_to_string(&st).unwrap().contains(r#""serial":1,"#));
    omega(root, &["log", "verify", regs]).expect(0);
}

#[test]
fn open_mode_first_claim_wins_and_strangers_write_nothing() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let m = keygen(root, "mallory");
    let reg = init(root, "reg", "open.example", "open", &[&j], &[]);
    let pkg = packed(root, "p", "claimed", "1.0.0", 1, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);
    // Mallory packs the same name with her key: not an owner.
    let evil = packed(root, "e", "claimed", "2.0.0", 2, &m);
    let before = snapshot(&reg);
    refused(publish(root, &evil, &reg, &[&m]), 1, "KEY_NOT_TRUSTED");
    assert_eq!(before, snapshot(&reg), "a refused publish writes nothing");
    // Mallory signing alice's package: her block counts for nothing.
    let pkg2 = packed(root, "p", "claimed", "1.0.1", 2, &a);
    refused(publish(root, &pkg2, &reg, &[&a, &m]), 1, "KEY_NOT_TRUSTED");
    assert_eq!(before, snapshot(&reg));
    publish(root, &pkg2, &reg, &[&a]).expect(0);
    omega(root, &["log", "verify", reg.to_str().unwrap()]).expect(0);
}

#[test]
fn revoke_yank_and_notice_statements() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let old = keygen(root, "old");
    let reg = init(root, "reg", "stmts.example", "curated", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    let st = root.join("s.json");
    let sts = st.to_str().unwrap();
    let submit = |signers: &[&common::Key]| {
        let _ = fs::remove_file(root.join("s.json.minisig"));
        for k in signers {
            omega(root, &["sign", sts, "-s", k.sec(), "--append"]).expect(0);
        }
        omega(root, &["registry", "submit", regs, sts])
    };
    omega(
        root,
        &[
            "statement",
            "owners",
            "lib",
            "--registry",
            regs,
            "--owner",
            &a.key,
            "--owner",
            &old.key,
            "-o",
            sts,
        ],
    )
    .expect(0);
    submit(&[&j]).expect(0);
    let pkg = packed(root, "p", "lib", "1.0.0", 1, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);

    omega(
        root,
        &[
            "statement",
            "yank",
            "lib",
            "--registry",
            regs,
            "--version",
            "1.0.0",
            "--sequence",
            "1",
            "--reason",
            "broken",
            "-o",
            sts,
        ],
    )
    .expect(0);
    submit(&[&a]).expect(0);
    // A yank of a release that does not exist is refused when the statement is made.
    refused(
        omega(
            root,
            &[
                "statement",
                "yank",
                "lib",
                "--registry",
                regs,
                "--version",
                "9.9.9",
                "--sequence",
                "9",
                "-o",
                sts,
            ],
        ),
        2,
        "NOT_FOUND",
    );

    omega(
        root,
        &[
            "statement",
            "notice",
            "lib",
            "--registry",
            regs,
            "--id",
            "OMEGA-2026-1",
            "--severity",
            "critical",
            "--affected",
            "1-1",
            "--fixed",
            "2",
            "--summary",
            "remote code execution",
            "--url",
            "https://example.com/n/1",
            "-o",
            sts,
        ],
    )
    .expect(0);
    // Signed by a stranger: refused.
    let s = keygen(root, "stranger");
    refused(submit(&[&s]), 1, "KEY_NOT_TRUSTED");
    submit(&[&j]).expect(0);

    // The old key revokes itself.
    omega(
        root,
        &[
            "statement",
            "revoke",
            "lib",
            "--registry",
            regs,
            "--key",
            &old.key,
            "--reason",
            "lost laptop",
            "-o",
            sts,
        ],
    )
    .expect(0);
    submit(&[&old]).expect(0);
    refused(submit(&[&a]), 1, "KEY_REVOKED");

    let index = fs::read_to_string(reg.join("index/lib")).unwrap();
    assert!(index.contains("\nyank 3 1.0.0 1\n"), "{index}");
    assert!(
        index.contains("\nnotice 4 OMEGA-2026-1 critical\n"),
        "{index}"
    );
    assert!(
        index.contains(&format!("\nrevoke 5 {}\n", old.key)),
        "{index}"
    );
    omega(root, &["log", "verify", regs]).expect(0);
    // A release signed by the revoked key is refused.
    let pkg2 = packed(root, "q", "lib", "1.0.1", 2, &old);
    refused(publish(root, &pkg2, &reg, &[&old]), 1, "KEY_REVOKED");
}

#[test]
fn two_publishers_at_once_both_land() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let b = keygen(root, "bob");
    let reg = init(root, "reg", "race.example", "open", &[&j], &[]);
    for round in 0..3u64 {
        let pa = packed(root, "pa", "pkg-a", &format!("1.0.{round}"), round + 1, &a);
        let pb = packed(root, "pb", "pkg-b", &format!("1.0.{round}"), round + 1, &b);
        let spawn = |pkg: &std::path::Path, k: &common::Key| {
            let mut c = omega_cmd(root);
            c.args([
                "publish",
                pkg.to_str().unwrap(),
                "--registry",
                reg.to_str().unwrap(),
                "-s",
                k.sec(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            c.spawn().unwrap()
        };
        let ca = spawn(&pa, &a);
        let cb = spawn(&pb, &b);
        let oa = ca.wait_with_output().unwrap();
        let ob = cb.wait_with_output().unwrap();
        assert!(
            oa.status.success(),
            "{}",
            String::from_utf8_lossy(&oa.stderr)
        );
        assert!(
            ob.status.success(),
            "{}",
            String::from_utf8_lossy(&ob.stderr)
        );
    }
    // Genesis, two claims, six releases.
    assert_eq!(size(&reg), 1 + 2 + 6);
    omega(root, &["log", "verify", reg.to_str().unwrap()]).expect(0);
}

/// A publisher stopped (abort, no cleanup) right after each step of the write: the registry
/// still verifies at its old checkpoint, and the next publish completes the journalled write.
#[test]
fn publish_killed_at_every_step_recovers() {
    for step in ["objects", "journal", "tile", "index", "checkpoint"] {
        let t = tmp();
        let root = t.path();
        let j = keygen(root, "j");
        let a = keygen(root, "alice");
        let reg = init(root, "reg", "crash.example", "open", &[&j], &[]);
        let regs = reg.to_str().unwrap();
        let p1 = packed(root, "p", "crashy", "1.0.0", 1, &a);
        let mut c = omega_cmd(root);
        c.env("OMEGA_REGISTRY_CRASH_AT", step).args([
            "publish",
            p1.to_str().unwrap(),
            "--registry",
            regs,
            "-s",
            a.sec(),
        ]);
        let r = common::run_cmd(c);
        assert_ne!(r.status, 0, "{step}: the crash hook fired");
        let v = omega(root, &["log", "verify", regs]).expect(0);
        let expect_size = if step == "checkpoint" { 3 } else { 1 };
        assert_eq!(size(&reg), expect_size, "{step}: {}", v.stdout);
        // The retry of the same publish completes (or finds it done).
        let retry = publish(root, &p1, &reg, &[&a]);
        if step == "checkpoint" {
            refused(retry, 1, "ROLLBACK");
        } else {
            retry.expect(0);
        }
        assert_eq!(size(&reg), 3, "{step}");
        assert!(!reg.join(".journal").exists(), "{step}: journal removed");
        // And a different release publishes after it.
        let p2 = packed(root, "p", "crashy", "1.0.1", 2, &a);
        publish(root, &p2, &reg, &[&a]).expect(0);
        omega(root, &["log", "verify", regs]).expect(0);
        assert_eq!(size(&reg), 4, "{step}");
    }
}

/// A journalled write whose entries a different publish must not overwrite: after a crash
/// after the tiles, another package's publish lands the journalled entries first.
#[test]
fn another_publish_completes_a_killed_one_first() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let b = keygen(root, "bob");
    let reg = init(root, "reg", "crash2.example", "open", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    let pa = packed(root, "pa", "first", "1.0.0", 1, &a);
    let mut c = omega_cmd(root);
    c.env("OMEGA_REGISTRY_CRASH_AT", "tile").args([
        "publish",
        pa.to_str().unwrap(),
        "--registry",
        regs,
        "-s",
        a.sec(),
    ]);
    assert_ne!(common::run_cmd(c).status, 0);
    let pb = packed(root, "pb", "second", "1.0.0", 1, &b);
    let out = publish(root, &pb, &reg, &[&b]).expect(0);
    assert!(
        out.stdout.contains("entry 1: owners of first serial 0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("entry 4: release second@1.0.0"),
        "{}",
        out.stdout
    );
    omega(root, &["log", "verify", regs]).expect(0);
    // refresh after a clean state changes nothing structural and keeps the log verifying.
    omega(
        root,
        &["registry", "refresh", regs, "--within", "999999999"],
    )
    .expect(0);
    omega(root, &["log", "verify", regs]).expect(0);
}

/// SIGKILL at random moments of real publishes (a simple generator seeded by the clock; the
/// seed is printed so a failure can be replayed by reading it).
#[test]
fn publish_killed_at_random_points() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "kill.example", "open", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    // Time one publish to spread the kills over it.
    let p0 = packed(root, "p", "victim", "0.0.0", 1, &a);
    let start = Instant::now();
    publish(root, &p0, &reg, &[&a]).expect(0);
    let span = start.elapsed().as_micros().max(1000) as u64;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}, publish takes {span} µs");
    let mut landed = 1u64;
    for round in 1..=8u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = seed % span;
        let p = packed(root, "p", "victim", &format!("1.0.{round}"), round + 1, &a);
        let mut c = omega_cmd(root);
        c.args([
            "publish",
            p.to_str().unwrap(),
            "--registry",
            regs,
            "-s",
            a.sec(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();
        // Verifies, or (killed between the index notes of a name already in the log and the
        // checkpoint) STALE (RR11).
        let v = omega(root, &["log", "verify", regs]);
        if v.status != 0 {
            assert_eq!(code(&v).as_deref(), Some("STALE"), "{}", v.all());
        }
        let retry = publish(root, &p, &reg, &[&a]);
        match retry.status {
            0 => {}
            1 => assert_eq!(
                code(&retry).as_deref(),
                Some("ROLLBACK"),
                "{}",
                retry.stderr
            ),
            _ => panic!("round {round} (delay {delay} µs): {}", retry.all()),
        }
        landed += 1;
        assert_eq!(
            size(&reg),
            2 + landed,
            "round {round}: each release exactly once"
        );
    }
    omega(root, &["log", "verify", regs]).expect(0);
}

/// A copy of a registry served over http verifies like the folder, and a tampered bundle is
/// caught by the monitor.
#[test]
fn log_verify_reports_tampering() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "tamper.example", "open", &[&j], &[]);
    let pkg = packed(root, "p", "t", "1.0.0", 1, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);
    let copy = root.join("copy");
    copy_dir(&reg, &copy);
    let nginx = Nginx::start(&copy);
    omega(root, &["log", "verify", &nginx.http_url()]).expect(0);
    // Change one byte of the bundle: its leaf hashes no longer match the tiles.
    let bundle = copy.join("tile/entries/000.p/3");
    let mut b = fs::read(&bundle).unwrap();
    let n = b.len() - 10;
    b[n] ^= 1;
    fs::write(&bundle, &b).unwrap();
    let r = omega(root, &["log", "verify", &nginx.http_url(), "--json"]);
    assert_eq!(r.status, 1, "{}", r.all());
    // core: a bundle entry whose leaf hash is not the tile's is not in the log.
    assert_eq!(r.json()["code"], "NOT_IN_LOG");
    // A policy naming another log key: the checkpoint is not trusted.
    let other = init(root, "other", "tamper.example", "open", &[&j], &[]);
    let pol = root.join("other.policy");
    fs::copy(other.join("policy"), &pol).unwrap();
    let r = omega(
        root,
        &[
            "log",
            "verify",
            reg.to_str().unwrap(),
            "--policy",
            pol.to_str().unwrap(),
        ],
    );
    assert_eq!(r.status, 1, "{}", r.all());
    assert!(r.stderr.contains("QUORUM_NOT_MET"), "{}", r.stderr);
}

#[test]
fn note_verify_sum_golang_org() {
    let t = tmp();
    let root = t.path();
    let vectors = common::repo_root().join("../shared/vectors/signed-notes/signed_notes.json");
    let all: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&vectors).unwrap()).unwrap();
    let case = all["transparency_dev_formats"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sumdb-real-checkpoint")
        .expect("the sum.golang.org case");
    let note = root.join("sumdb.note");
    fs::write(&note, case["note"].as_str().unwrap()).unwrap();
    let key = case["verifier_keys"][0].as_str().unwrap();
    let out = omega(
        root,
        &["note", "verify", note.to_str().unwrap(), "--key", key],
    )
    .expect(0);
    assert_eq!(out.stdout.trim(), "sum.golang.org");
    // Another key: none of the keys signed.
    let j = keygen(root, "j");
    let reg = init(root, "reg", "x.example", "open", &[&j], &[]);
    refused(
        omega(
            root,
            &[
                "note",
                "verify",
                note.to_str().unwrap(),
                "--key",
                &log_key(&reg),
            ],
        ),
        1,
        "KEY_NOT_TRUSTED",
    );
    // A changed root: the key's signature is bad.
    let bad = case["note"].as_str().unwrap().replace("6476701", "6476702");
    fs::write(&note, bad).unwrap();
    refused(
        omega(
            root,
            &["note", "verify", note.to_str().unwrap(), "--key", key],
        ),
        1,
        "SIGNATURE_INVALID",
    );
}

#[test]
fn janitor_rotation_needs_old_and_new_sets() {
    let t = tmp();
    let root = t.path();
    let j1 = keygen(root, "j1");
    let j2 = keygen(root, "j2");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "rotate.example", "curated", &[&j1], &[]);
    let regs = reg.to_str().unwrap();
    let st = root.join("r.json");
    let sts = st.to_str().unwrap();
    omega(
        root,
        &[
            "statement",
            "registry",
            "--registry",
            regs,
            "--janitor",
            &j2.key,
            "-o",
            sts,
        ],
    )
    .expect(0);
    assert!(fs::read_to_string(&st).unwrap().contains(r#""serial":1,"#));
    omega(root, &["sign", sts, "-s", j1.sec(), "--append"]).expect(0);
    // The old set alone: the new keys have not shown they are held.
    refused(
        omega(root, &["registry", "submit", regs, sts]),
        1,
        "THRESHOLD_NOT_MET",
    );
    omega(root, &["sign", sts, "-s", j2.sec(), "--append"]).expect(0);
    omega(root, &["registry", "submit", regs, sts]).expect(0);
    // j1 is no longer a janitor.
    let own = root.join("o.json");
    let owns = own.to_str().unwrap();
    omega(
        root,
        &[
            "statement",
            "owners",
            "x",
            "--registry",
            regs,
            "--owner",
            &a.key,
            "-o",
            owns,
        ],
    )
    .expect(0);
    omega(root, &["sign", owns, "-s", j1.sec(), "--append"]).expect(0);
    refused(
        omega(root, &["registry", "submit", regs, owns]),
        1,
        "KEY_NOT_TRUSTED",
    );
    fs::remove_file(root.join("o.json.minisig")).unwrap();
    omega(root, &["sign", owns, "-s", j2.sec(), "--append"]).expect(0);
    omega(root, &["registry", "submit", regs, owns]).expect(0);
    omega(root, &["log", "verify", regs]).expect(0);
}

#[test]
fn refresh_re_signs_index_notes_near_expiry() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "refresh.example", "open", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    let pkg = packed(root, "p", "fresh", "1.0.0", 1, &a);
    omega(
        root,
        &[
            "publish",
            pkg.to_str().unwrap(),
            "--registry",
            regs,
            "-s",
            a.sec(),
            "--index-ttl",
            "60",
        ],
    )
    .expect(0);
    let expires = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("expires "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = fs::read_to_string(reg.join("index/fresh")).unwrap();
    // Not within 10 s of expiry: kept.
    let out = omega(root, &["registry", "refresh", regs, "--within", "10"]).expect(0);
    assert!(out.stdout.contains("re-signed 0 index"), "{}", out.stdout);
    assert_eq!(before, fs::read_to_string(reg.join("index/fresh")).unwrap());
    // Within a day of expiry: re-signed for a week.
    let out = omega(root, &["registry", "refresh", regs, "--within", "86400"]).expect(0);
    assert!(out.stdout.contains("re-signed 1 index"), "{}", out.stdout);
    let after = fs::read_to_string(reg.join("index/fresh")).unwrap();
    assert!(expires(&after) >= expires(&before) + 6 * 86400, "{after}");
    // A deleted index note is written again.
    fs::remove_file(reg.join("index/fresh")).unwrap();
    omega(root, &["registry", "refresh", regs]).expect(0);
    omega(root, &["log", "verify", regs]).expect(0);
}

/// A log whose operator appended an invalid entry (a replayed owners statement) and signed the
/// checkpoint: tiles and signatures are fine, the monitor's replay names the entry.
#[test]
fn log_verify_names_the_first_invalid_entry() {
    use omega_core::checkpoint::Checkpoint;
    use omega_core::note::{sign_ed25519, Note};
    use omega_core::secret::SecretKeyFile;
    use omega_core::tiles::Publisher;

    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "rogue.example", "open", &[&j], &[]);
    let pkg = packed(root, "p", "victim", "1.0.0", 1, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);
    let bundle = fs::read(reg.join("tile/entries/000.p/3")).unwrap();
    let mut entries: Vec<Vec<u8>> = omega_core::bundle::parse_bundle(&bundle, 3)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    entries.push(entries[1].clone()); // the owners claim again: serial 0 twice
    let appended = Publisher::new().append(&entries).unwrap();
    for f in &appended.files {
        let p = reg.join(f.path.to_string());
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, &f.bytes).unwrap();
    }
    let sk = SecretKeyFile::parse(&fs::read(reg.join(".keys/log.key")).unwrap())
        .unwrap()
        .decrypt(None)
        .unwrap();
    let text = Checkpoint {
        origin: "rogue.example".into(),
        size: 4,
        root: appended.root,
        extensions: vec![],
    }
    .to_text();
    let mut note = Note::new(&text).unwrap();
    note.add_signature(sign_ed25519(&text, "rogue.example", &sk).unwrap())
        .unwrap();
    fs::write(reg.join("checkpoint"), note.to_text()).unwrap();
    let r = omega(root, &["log", "verify", reg.to_str().unwrap(), "--json"]);
    assert_eq!(r.status, 1, "{}", r.all());
    let v = r.json();
    assert_eq!(v["code"], "ROLLBACK");
    assert!(
        v["message"].as_str().unwrap().starts_with("entry 3 "),
        "{v}"
    );
    // The registry's own writers refuse to extend it too.
    let pkg2 = packed(root, "p", "victim", "1.0.1", 2, &a);
    refused(publish(root, &pkg2, &reg, &[&a]), 1, "ROLLBACK");
}

/// Writers start from the cached state (`DIR/.state`) when it belongs to the checkpoint; the
/// index notes they write equal those of a full replay, and a missing, stale or corrupt cache
/// only costs a replay.
#[test]
fn state_cache_and_full_replay_agree() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let b = keygen(root, "bob");
    let reg = init(root, "reg", "cache.example", "open", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    for v in 1..=3u64 {
        let pa = packed(root, "pa", "alpha", &format!("1.0.{v}"), v, &a);
        publish(root, &pa, &reg, &[&a]).expect(0);
        let pb = packed(root, "pb", "beta", &format!("2.0.{v}"), v, &b);
        publish(root, &pb, &reg, &[&b]).expect(0);
    }
    assert!(reg.join(".state").is_file());
    let st = root.join("y.json");
    omega(
        root,
        &[
            "statement",
            "yank",
            "alpha",
            "--registry",
            regs,
            "--version",
            "1.0.2",
            "--sequence",
            "2",
            "-o",
            st.to_str().unwrap(),
        ],
    )
    .expect(0);
    omega(
        root,
        &["sign", st.to_str().unwrap(), "-s", a.sec(), "--append"],
    )
    .expect(0);
    omega(root, &["registry", "submit", regs, st.to_str().unwrap()]).expect(0);
    // A full replay computes the same lines for every name: nothing to re-sign.
    let out = omega(root, &["registry", "refresh", regs, "--within", "0"]).expect(0);
    assert!(out.stdout.contains("re-signed 0 index"), "{}", out.stdout);
    // A stale cache (from an older size) is ignored; so is a corrupt one.
    let stale = fs::read(reg.join(".state")).unwrap();
    let pa = packed(root, "pa", "alpha", "1.0.4", 4, &a);
    publish(root, &pa, &reg, &[&a]).expect(0);
    fs::write(reg.join(".state"), &stale).unwrap();
    let pb = packed(root, "pb", "beta", "2.0.4", 4, &b);
    publish(root, &pb, &reg, &[&b]).expect(0);
    let mut corrupt = fs::read(reg.join(".state")).unwrap();
    let n = corrupt.len() - 3;
    corrupt[n] ^= 0x20;
    fs::write(reg.join(".state"), &corrupt).unwrap();
    let pa = packed(root, "pa", "alpha", "1.0.5", 5, &a);
    publish(root, &pa, &reg, &[&a]).expect(0);
    fs::remove_file(reg.join(".state")).unwrap();
    let pb = packed(root, "pb", "beta", "2.0.5", 5, &b);
    publish(root, &pb, &reg, &[&b]).expect(0);
    let out = omega(root, &["registry", "refresh", regs, "--within", "0"]).expect(0);
    assert!(out.stdout.contains("re-signed 0 index"), "{}", out.stdout);
    let index = fs::read_to_string(reg.join("index/alpha")).unwrap();
    assert!(index.contains("\nyank 9 1.0.2 2\n"), "{index}");
    let cache = fs::read_to_string(reg.join(".state")).unwrap();
    assert!(cache.starts_with("omega-registry-cache/v1 14 "), "{cache}");
    omega(root, &["log", "verify", regs]).expect(0);
}

/// A statement signed by the real minisign (`minisign -Sm`), with a second janitor's block
/// appended by `omega sign --append`, is accepted by `registry submit`.
#[test]
fn minisign_signed_statement_is_submitted() {
    let t = tmp();
    let root = t.path();
    let j1 = keygen(root, "j1");
    let j2 = keygen(root, "j2");
    let a = keygen(root, "alice");
    let reg = init(
        root,
        "reg",
        "minisign.example",
        "curated",
        &[&j1, &j2],
        &["--threshold", "2"],
    );
    let regs = reg.to_str().unwrap();
    let st = root.join("own.json");
    let sts = st.to_str().unwrap();
    omega(
        root,
        &[
            "statement",
            "owners",
            "mini",
            "--registry",
            regs,
            "--owner",
            &a.key,
            "-o",
            sts,
        ],
    )
    .expect(0);
    let out = std::process::Command::new(common::minisign())
        .current_dir(root)
        .args(["-S", "-m", sts, "-s", j1.sec()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    refused(
        omega(root, &["registry", "submit", regs, sts]),
        1,
        "THRESHOLD_NOT_MET",
    );
    omega(root, &["sign", sts, "-s", j2.sec(), "--append"]).expect(0);
    omega(root, &["registry", "submit", regs, sts]).expect(0);
    assert_eq!(size(&reg), 2);
    omega(root, &["log", "verify", regs]).expect(0);
}

/// An index note, validly signed by the index key, that leaves out one of its name's entries:
/// `log verify` proves the misbehaviour (R5) with LOG_INCONSISTENT.
#[test]
fn log_verify_refuses_an_index_that_omits_an_entry() {
    use omega_core::index::IndexNote;
    use omega_core::note::Note;
    use omega_core::secret::SecretKeyFile;

    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "omit.example", "open", &[&j], &[]);
    for v in 1..=2u64 {
        let pkg = packed(root, "p", "hidden", &format!("1.0.{v}"), v, &a);
        publish(root, &pkg, &reg, &[&a]).expect(0);
    }
    omega(root, &["log", "verify", reg.to_str().unwrap()]).expect(0);
    let bytes = fs::read(reg.join("index/hidden")).unwrap();
    let note = Note::parse(&bytes).unwrap();
    let mut index = IndexNote::parse(note.text()).unwrap();
    assert_eq!(index.lines.len(), 3);
    index.lines.remove(2); // the latest release
    let sk = SecretKeyFile::parse(&fs::read(reg.join(".keys/index.key")).unwrap())
        .unwrap()
        .decrypt(None)
        .unwrap();
    fs::write(
        reg.join("index/hidden"),
        index.sign("omit.example/index", &sk).unwrap(),
    )
    .unwrap();
    let r = omega(root, &["log", "verify", reg.to_str().unwrap(), "--json"]);
    assert_eq!(r.status, 1, "{}", r.all());
    assert_eq!(r.json()["code"], "LOG_INCONSISTENT");
    // The registry's refresh repairs it (its lines differ from the log's).
    omega(
        root,
        &[
            "registry",
            "refresh",
            reg.to_str().unwrap(),
            "--within",
            "0",
        ],
    )
    .expect(0);
    omega(root, &["log", "verify", reg.to_str().unwrap()]).expect(0);
}

/// RR11: an index note whose `as-of` is beyond the checkpoint (here the checkpoint held back
/// to an older one) is still verified: a bad signature is refused, a line below the
/// checkpoint's size that the log contradicts is LOG_INCONSISTENT, and a genuine one is a
/// failure too (STALE, exit 1: its newer lines cannot be checked), never a warning only.
#[test]
fn log_verify_checks_an_index_ahead_of_the_checkpoint() {
    use omega_core::index::IndexNote;
    use omega_core::note::Note;
    use omega_core::secret::SecretKeyFile;

    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let reg = init(root, "reg", "ahead.example", "open", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    let pkg = packed(root, "p", "early", "1.0.0", 1, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);
    let old_cp = fs::read(reg.join("checkpoint")).unwrap();
    let pkg = packed(root, "p", "early", "1.0.1", 2, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);
    omega(root, &["log", "verify", regs]).expect(0);
    let good_index = fs::read(reg.join("index/early")).unwrap();
    let new_cp = fs::read(reg.join("checkpoint")).unwrap();
    // The checkpoint held back at size 3: the index (as-of 4) is ahead.
    fs::write(reg.join("checkpoint"), &old_cp).unwrap();
    let r = omega(root, &["log", "verify", regs, "--json"]);
    assert_eq!(r.status, 1, "{}", r.all());
    assert_eq!(r.json()["code"], "STALE");
    assert!(
        r.json()["message"].as_str().unwrap().contains("as-of 4"),
        "{}",
        r.stdout
    );
    // A forged signature on an index ahead of the checkpoint.
    let note = Note::parse(&good_index).unwrap();
    let text = note
        .text()
        .replace("\nrelease 2 1.0.0 ", "\nrelease 2 6.6.6 ");
    assert_ne!(text, note.text());
    let mut forged = text.as_bytes().to_vec();
    forged.extend_from_slice(&good_index[note.text().len()..]);
    fs::write(reg.join("index/early"), &forged).unwrap();
    let r = omega(root, &["log", "verify", regs, "--json"]);
    assert_eq!(r.status, 1, "{}", r.all());
    assert_ne!(r.json()["code"], "STALE", "{}", r.stdout);
    assert_ne!(r.json()["code"], serde_json::Value::Null, "{}", r.stdout);
    // Signed by the index key, but hiding the release at entry 2 (below the checkpoint).
    let mut index = IndexNote::parse(note.text()).unwrap();
    assert_eq!(index.as_of, 4);
    index.lines.retain(|l| l.entry() != 2);
    let sk = SecretKeyFile::parse(&fs::read(reg.join(".keys/index.key")).unwrap())
        .unwrap()
        .decrypt(None)
        .unwrap();
    fs::write(
        reg.join("index/early"),
        index.sign("ahead.example/index", &sk).unwrap(),
    )
    .unwrap();
    let r = omega(root, &["log", "verify", regs, "--json"]);
    assert_eq!(r.status, 1, "{}", r.all());
    assert_eq!(r.json()["code"], "LOG_INCONSISTENT");
    // The genuine index and the current checkpoint again: verified.
    fs::write(reg.join("index/early"), &good_index).unwrap();
    fs::write(reg.join("checkpoint"), &new_cp).unwrap();
    omega(root, &["log", "verify", regs]).expect(0);
}

/// `registry init --encrypt`: the log and index keys in DIR/.keys/ are minisign secret keys
/// under a password (OMEGA_REGISTRY_PASSWORD, not the signers' OMEGA_PASSWORD); a publish with a wrong password writes nothing, with
/// the right one it lands and the log verifies.
#[test]
fn encrypted_registry_keys_need_their_password() {
    let t = tmp();
    let root = t.path();
    let j = keygen(root, "janitor");
    let a = keygen(root, "alice");
    let reg = root.join("reg");
    let mut c = omega_cmd(root);
    c.env("OMEGA_REGISTRY_PASSWORD", "registry pass").args([
        "registry",
        "init",
        reg.to_str().unwrap(),
        "--origin",
        "example.com/enc",
        "--mode",
        "open",
        "--janitor",
        &j.key,
        "-s",
        j.sec(),
        "--encrypt",
    ]);
    common::run_cmd(c).expect(0);
    for f in ["log.key", "index.key"] {
        // minisign's secret key: "Ed" then the KDF, "Sc" (scrypt) when encrypted, zeros when
        // not; base64 of "EdSc" starts "RWRTY".
        let text = fs::read_to_string(reg.join(".keys").join(f)).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert!(
            line.starts_with("RWRTY"),
            "{f} is not scrypt-encrypted: {text}"
        );
    }
    let pkg = packed(root, "pad", "left-pad", "1.0.0", 1, &a);
    let before = snapshot(&reg);
    let publish_with = |pw: &str| {
        let mut c = omega_cmd(root);
        c.env("OMEGA_REGISTRY_PASSWORD", pw).args([
            "publish",
            pkg.to_str().unwrap(),
            "--registry",
            reg.to_str().unwrap(),
            "-s",
            a.sec(),
        ]);
        common::run_cmd(c)
    };
    let r = publish_with("wrong").expect(2);
    assert!(
        r.stderr.contains("MALFORMED") && r.stderr.contains("password"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&reg), before, "a refused publish wrote nothing");
    publish_with("registry pass").expect(0);
    assert_eq!(size(&reg), 3);
    omega(root, &["log", "verify", reg.to_str().unwrap()]).expect(0);
}

/// A log of the genesis and `rotations` janitor rotations (same janitor, serial + 1 each),
/// written by core's publisher into `reg` with a checkpoint signed by its log key; `edit`
/// may replace entries before they are written. Rotations have no index notes, so `log
/// verify` judges the replay alone.
fn rotations_log(
    reg: &std::path::Path,
    janitor: &common::Key,
    rotations: u64,
    edit: &dyn Fn(&mut Vec<Vec<u8>>),
) {
    use omega_core::checkpoint::Checkpoint;
    use omega_core::entry::Entry;
    use omega_core::note::{sign_ed25519, Note};
    use omega_core::secret::SecretKeyFile;
    use omega_core::statement::Statement;
    use omega_core::tiles::Publisher;

    let genesis =
        omega_core::bundle::parse_bundle(&fs::read(reg.join("tile/entries/000.p/1")).unwrap(), 1)
            .unwrap()[0]
            .to_vec();
    let Statement::Registry(g) = Entry::parse(&genesis).unwrap().statement else {
        panic!("entry 0 is not a registry statement");
    };
    let sk = |p: &std::path::Path| {
        SecretKeyFile::parse(&fs::read(p).unwrap())
            .unwrap()
            .decrypt(None)
            .unwrap()
    };
    let j = sk(&janitor.sec);
    let mut entries = vec![genesis];
    for serial in 1..=rotations {
        let mut st = g.clone();
        st.serial = serial;
        let e = Entry::sign(&Statement::Registry(st), &[&j], "omega-entry/v1").unwrap();
        entries.push(e.to_bytes());
    }
    edit(&mut entries);
    let appended = Publisher::new().append(&entries).unwrap();
    for f in &appended.files {
        let p = reg.join(f.path.to_string());
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, &f.bytes).unwrap();
    }
    let text = Checkpoint {
        origin: g.origin.clone(),
        size: entries.len() as u64,
        root: appended.root,
        extensions: vec![],
    }
    .to_text();
    let mut note = Note::new(&text).unwrap();
    note.add_signature(sign_ed25519(&text, &g.origin, &sk(&reg.join(".keys/log.key"))).unwrap())
        .unwrap();
    fs::write(reg.join("checkpoint"), note.to_text()).unwrap();
}

/// `omega log verify` and `omega log monitor` read a log window by window
/// (`OMEGA_LOG_WINDOW_BUNDLES` bundles each: 1 here, so a 701-entry log is 3 windows, each
/// replayed onto the state of the previous one): the same outcome as the default windows;
/// and with bad entries in the last windows, the first one in log order is named, whatever
/// the window size.
#[test]
fn log_verify_and_monitor_go_window_by_window() {
    use omega_core::entry::Entry;
    use omega_core::signature::SignatureBlock;

    let t = tmp();
    let root = t.path();
    let j = keygen(root, "j");
    let reg = init(root, "reg", "windows.example", "open", &[&j], &[]);
    let regs = reg.to_str().unwrap();
    rotations_log(&reg, &j, 700, &|_| {});
    let run = |window: Option<&str>, args: &[&str]| {
        let mut c = omega_cmd(root);
        c.args(args);
        match window {
            Some(w) => c.env("OMEGA_LOG_WINDOW_BUNDLES", w),
            None => c.env_remove("OMEGA_LOG_WINDOW_BUNDLES"),
        };
        common::run_cmd(c)
    };
    for window in [Some("1"), Some("2"), None] {
        let v = run(window, &["log", "verify", regs, "--json"]).expect(0);
        let v = v.json();
        assert_eq!(v["ok"], true, "{window:?}: {v}");
        assert_eq!(v["size"], 701);
        let m = run(window, &["log", "monitor", regs, "--key", &j.key, "--json"]).expect(0);
        let m = m.json();
        assert_eq!(m["size"], 701);
        assert_eq!(m["entries"].as_array().unwrap().len(), 701, "{window:?}");
        let m = run(
            window,
            &[
                "log", "monitor", regs, "--key", &j.key, "--since", "600", "--json",
            ],
        )
        .expect(0);
        let m = m.json();
        let found = m["entries"].as_array().unwrap();
        assert_eq!(found.len(), 101);
        assert_eq!(found[0]["index"], 600);
    }
    // Entry 540 (third window of 256 entries): one bit of its signature changed; entry 600:
    // a rotation that skips a serial; entry 300 is fine. The first bad one is named.
    rotations_log(&reg, &j, 700, &|entries| {
        let mut e = Entry::parse(&entries[540]).unwrap();
        let b = &e.signatures[0];
        let mut sig = *b.signature_bytes();
        sig[7] ^= 1;
        e.signatures[0] = SignatureBlock::from_parts(
            b.untrusted_comment().to_string(),
            b.algorithm(),
            b.key_id(),
            sig,
            b.trusted_comment().to_string(),
            *b.global_signature_bytes(),
        );
        entries[540] = e.to_bytes();
        let skip = entries[602].clone();
        entries[600] = skip;
    });
    for window in [Some("1"), Some("3"), None] {
        let r = run(window, &["log", "verify", regs, "--json"]);
        assert_eq!(r.status, 1, "{}", r.all());
        let v = r.json();
        assert_eq!(v["code"], "SIGNATURE_INVALID", "{window:?}: {v}");
        assert!(
            v["message"].as_str().unwrap().starts_with("entry 540 "),
            "{v}"
        );
        let r = run(window, &["log", "monitor", regs, "--key", &j.key]);
        assert_eq!(r.status, 1, "{}", r.all());
        assert!(r.stderr.contains("entry 540 "), "{}", r.stderr);
    }
}
