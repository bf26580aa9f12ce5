//! `omega keygen`, `omega sign`, `omega verify`, and interoperability with the real minisign.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

#[test]
fn help_reads_well_and_usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let top = omega(d.path(), &["--help"]).expect(0);
    for cmd in [
        "keygen", "sign", "verify", "digest", "pack", "cosign", "check", "lock", "audit",
    ] {
        assert!(top.stdout.contains(cmd), "--help lists {cmd}");
        let sub = omega(d.path(), &[cmd, "--help"]).expect(0);
        assert!(sub.stdout.contains("Usage: omega"), "{cmd} --help");
        assert!(
            sub.stdout.contains("Exit status"),
            "{cmd} --help documents exit status"
        );
    }
    let check = omega(d.path(), &["check", "--help"]).expect(0);
    for code in [
        "MALFORMED",
        "NOT_FOUND",
        "FILE_CHANGED",
        "DIGEST_MISMATCH",
        "THRESHOLD_NOT_MET",
    ] {
        assert!(check.stdout.contains(code), "check --help names {code}");
    }
    omega(d.path(), &["frobnicate"]).expect(2);
    omega(d.path(), &["check", "."]).expect(2); // neither --digest nor -P
    omega(d.path(), &["verify"]).expect(2);
}

#[test]
fn keygen_unencrypted_writes_0600_key_and_refuses_to_overwrite() {
    let d = tempfile::tempdir().unwrap();
    let r = omega(
        d.path(),
        &[
            "keygen",
            "-W",
            "-s",
            "k.key",
            "-p",
            "k.pub",
            "-c",
            "my laptop",
        ],
    )
    .expect(0);
    let key = public_key_line(&d.path().join("k.pub"));
    assert!(key.starts_with("RW") && key.len() == 56, "{key}");
    assert!(r.stdout.contains(&key), "prints the public key");
    assert!(r.stdout.contains("Key id:"), "prints the key id");
    assert!(r.stdout.contains("omega verify"), "hints how to verify");
    let sec_text = fs::read_to_string(d.path().join("k.key")).unwrap();
    assert!(
        sec_text.starts_with("untrusted comment: my laptop\n"),
        "{sec_text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(d.path().join("k.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "secret key mode {mode:o}");
    }
    let pub_text = fs::read_to_string(d.path().join("k.pub")).unwrap();
    let id = pub_text.lines().next().unwrap().rsplit(' ').next().unwrap();
    assert!(r.stdout.contains(id), "prints the key id {id}");

    // Never overwritten without -f: exit 2, a clear message, files byte-identical.
    let again = omega(d.path(), &["keygen", "-W", "-s", "k.key", "-p", "k.pub"]).expect(2);
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("-f"),
        "{}",
        again.stderr
    );
    assert_eq!(
        fs::read_to_string(d.path().join("k.key")).unwrap(),
        sec_text
    );
    assert_eq!(
        fs::read_to_string(d.path().join("k.pub")).unwrap(),
        pub_text
    );
    // The public key alone existing also refuses.
    omega(
        d.path(),
        &["keygen", "-W", "-s", "other.key", "-p", "k.pub"],
    )
    .expect(2);
    assert!(!d.path().join("other.key").exists());
    // -f overwrites.
    omega(
        d.path(),
        &["keygen", "-W", "-f", "-s", "k.key", "-p", "k.pub"],
    )
    .expect(0);
    assert_ne!(
        fs::read_to_string(d.path().join("k.key")).unwrap(),
        sec_text
    );
    // No temporary files left behind.
    let names: Vec<String> = fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn keygen_defaults_follow_minisign() {
    let d = tempfile::tempdir().unwrap();
    omega(d.path(), &["keygen", "-W"]).expect(0);
    assert!(d.path().join("minisign.pub").exists());
    let sec = d.path().join(".minisign-home/minisign.key");
    assert!(sec.exists(), "secret key in MINISIGN_CONFIG_DIR");
    fs::write(d.path().join("f"), b"data").unwrap();
    // sign and verify with the default key files
    omega(d.path(), &["sign", "f"]).expect(0);
    omega(d.path(), &["verify", "f"]).expect(0);
}

/// One encrypted key (scrypt with minisign's limits takes a few seconds): keygen with
/// OMEGA_PASSWORD, sign with the right and a wrong password, and minisign reading the key.
#[test]
fn encrypted_key_password_from_env_and_minisign_interop() {
    let minisign = minisign();
    let d = tempfile::tempdir().unwrap();
    let mut c = omega_cmd(d.path());
    c.args(["keygen", "-s", "e.key", "-p", "e.pub"])
        .env("OMEGA_PASSWORD", "correct horse");
    run_cmd(c).expect(0);
    let sec = fs::read_to_string(d.path().join("e.key")).unwrap();
    assert!(sec.contains("encrypted"), "{sec}");
    fs::write(d.path().join("doc.txt"), b"hello encrypted\n").unwrap();

    // Wrong password: exit 2 (MALFORMED), nothing written.
    let mut c = omega_cmd(d.path());
    c.args(["sign", "doc.txt", "-s", "e.key"])
        .env("OMEGA_PASSWORD", "wrong");
    let r = run_cmd(c).expect(2);
    assert!(
        r.stderr.contains("MALFORMED") && r.stderr.contains("password"),
        "{}",
        r.stderr
    );
    assert!(!d.path().join("doc.txt.minisig").exists());

    // Right password: signs; omega and minisign verify.
    let mut c = omega_cmd(d.path());
    c.args(["sign", "doc.txt", "-s", "e.key"])
        .env("OMEGA_PASSWORD", "correct horse");
    run_cmd(c).expect(0);
    omega(d.path(), &["verify", "doc.txt", "-p", "e.pub"]).expect(0);
    let ok = Command::new(&minisign)
        .current_dir(d.path())
        .args(["-Vm", "doc.txt", "-p", "e.pub"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "minisign -V: {}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // minisign signs with omega's encrypted key (password on stdin) → omega verifies.
    fs::write(
        d.path().join("m.txt"),
        b"signed by minisign with an omega key\n",
    )
    .unwrap();
    let mut child = Command::new(&minisign)
        .current_dir(d.path())
        .args(["-S", "-s", "e.key", "-m", "m.txt", "-t", "made by minisign"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "minisign -S: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = omega(d.path(), &["verify", "m.txt", "-p", "e.pub"]).expect(0);
    assert!(
        r.stdout.contains("Trusted comment: made by minisign"),
        "{}",
        r.stdout
    );
}

#[test]
fn sign_and_verify_roundtrip_with_minisign_output() {
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "a");
    fs::write(d.path().join("file.bin"), vec![7u8; 600_000]).unwrap();
    omega(d.path(), &["sign", "file.bin", "-s", k.sec()]).expect(0);
    let sig = fs::read_to_string(d.path().join("file.bin.minisig")).unwrap();
    let lines: Vec<&str> = sig.lines().collect();
    assert_eq!(lines.len(), 4, "{sig}");
    assert_eq!(
        lines[0],
        "untrusted comment: signature from omega secret key"
    );
    // base64 of "ED" || key id …: "RU" then a character that also holds key id bits
    // (legacy "Ed" would start "RW").
    assert!(
        lines[1].starts_with("RU"),
        "prehashed ED block: {}",
        lines[1]
    );
    let tc = lines[2]
        .strip_prefix("trusted comment: timestamp:")
        .unwrap();
    let (secs, rest) = tc.split_once('\t').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000);
    assert_eq!(rest, "file:file.bin\thashed");

    let r = omega(d.path(), &["verify", "file.bin", "-p", k.public()]).expect(0);
    assert_eq!(
        r.stdout,
        format!(
            "Signature and comment signature verified\nTrusted comment: {}\n",
            &lines[2][17..]
        )
    );
    let q = omega(d.path(), &["verify", "file.bin", "-P", &k.key, "-q"]).expect(0);
    assert_eq!(q.stdout, "");

    // Tampered file: SIGNATURE_INVALID, exit 1.
    let mut data = fs::read(d.path().join("file.bin")).unwrap();
    data[300_000] ^= 1;
    fs::write(d.path().join("file.bin"), &data).unwrap();
    let r = omega(d.path(), &["verify", "file.bin", "-P", &k.key]).expect(1);
    assert!(r.stderr.contains("SIGNATURE_INVALID"), "{}", r.stderr);
}

#[test]
fn sign_several_files_custom_comment_and_sigfile() {
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "a");
    fs::write(d.path().join("one"), b"1").unwrap();
    fs::write(d.path().join("two"), b"2").unwrap();
    omega(
        d.path(),
        &["sign", "one", "two", "-s", k.sec(), "-t", "release 1.0"],
    )
    .expect(0);
    for f in ["one", "two"] {
        let r = omega(d.path(), &["verify", f, "-P", &k.key]).expect(0);
        assert!(r.stdout.contains("Trusted comment: release 1.0"));
    }
    // -x names one signature file: only with a single file.
    omega(
        d.path(),
        &["sign", "one", "two", "-s", k.sec(), "-x", "x.sig"],
    )
    .expect(2);
    omega(
        d.path(),
        &["sign", "one", "-s", k.sec(), "-x", "custom.sig"],
    )
    .expect(0);
    omega(
        d.path(),
        &["verify", "one", "-P", &k.key, "-x", "custom.sig"],
    )
    .expect(0);
    // A trusted comment with a line break is refused.
    omega(d.path(), &["sign", "one", "-s", k.sec(), "-t", "a\nb"]).expect(2);
}

#[test]
fn verify_refusal_codes() {
    let d = tempfile::tempdir().unwrap();
    let a = keygen(d.path(), "a");
    let b = keygen(d.path(), "b");
    fs::write(d.path().join("f"), b"content").unwrap();
    omega(d.path(), &["sign", "f", "-s", a.sec()]).expect(0);

    // Signed by another key: KEY_NOT_TRUSTED, exit 1.
    let r = omega(d.path(), &["verify", "f", "-P", &b.key]).expect(1);
    assert!(r.stderr.contains("KEY_NOT_TRUSTED"), "{}", r.stderr);
    // Missing file, missing signature: NOT_FOUND, exit 2.
    let r = omega(d.path(), &["verify", "nope", "-P", &a.key]).expect(2);
    assert!(r.stderr.contains("NOT_FOUND"), "{}", r.stderr);
    // Malformed signature file and malformed key: MALFORMED, exit 2.
    fs::write(d.path().join("bad.minisig"), b"not a signature\n").unwrap();
    let r = omega(
        d.path(),
        &["verify", "f", "-P", &a.key, "-x", "bad.minisig"],
    )
    .expect(2);
    assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
    let r = omega(d.path(), &["verify", "f", "-P", "RWnotakey"]).expect(2);
    assert!(r.stderr.contains("MALFORMED"), "{}", r.stderr);
    // -p and -P together: usage error.
    omega(d.path(), &["verify", "f", "-P", &a.key, "-p", a.public()]).expect(2);
    // A trusted comment changed after signing: the global signature fails.
    let sig = fs::read_to_string(d.path().join("f.minisig")).unwrap();
    let forged = sig.replace("file:f", "file:g");
    fs::write(d.path().join("forged.minisig"), forged).unwrap();
    let r = omega(
        d.path(),
        &["verify", "f", "-P", &a.key, "-x", "forged.minisig"],
    )
    .expect(1);
    assert!(r.stderr.contains("SIGNATURE_INVALID"), "{}", r.stderr);
}

#[test]
fn minisign_signs_omega_verifies_including_legacy() {
    let minisign = minisign();
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "o");
    fs::write(d.path().join("msg"), vec![b'x'; 1024]).unwrap();
    let out = Command::new(&minisign)
        .current_dir(d.path())
        .args(["-S", "-W", "-s", k.sec(), "-m", "msg"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -S with an omega key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = omega(d.path(), &["verify", "msg", "-p", k.public()]).expect(0);
    assert!(r
        .stdout
        .starts_with("Signature and comment signature verified\nTrusted comment: timestamp:"));

    // Legacy (Ed) signatures: refused by default (exit 1), accepted with --legacy.
    let out = Command::new(&minisign)
        .current_dir(d.path())
        .args([
            "-S",
            "-l",
            "-W",
            "-s",
            k.sec(),
            "-m",
            "msg",
            "-x",
            "legacy.minisig",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -S -l: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = omega(
        d.path(),
        &["verify", "msg", "-P", &k.key, "-x", "legacy.minisig"],
    )
    .expect(1);
    assert!(
        r.stderr.contains("LEGACY_SIGNATURE_REFUSED"),
        "{}",
        r.stderr
    );
    omega(
        d.path(),
        &[
            "verify",
            "msg",
            "-P",
            &k.key,
            "-x",
            "legacy.minisig",
            "--legacy",
        ],
    )
    .expect(0);
}

#[test]
fn minisign_key_signs_with_omega_minisign_verifies() {
    let minisign = minisign();
    let d = tempfile::tempdir().unwrap();
    let out = Command::new(&minisign)
        .current_dir(d.path())
        .args(["-G", "-W", "-p", "m.pub", "-s", "m.key"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -G -W: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(
        d.path().join("payload"),
        b"signed by omega with a minisign key\n",
    )
    .unwrap();
    omega(d.path(), &["sign", "payload", "-s", "m.key"]).expect(0);
    let out = Command::new(&minisign)
        .current_dir(d.path())
        .args(["-Vm", "payload", "-p", "m.pub"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -V: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Signature and comment signature verified"),
        "{text}"
    );
    assert!(text.contains("file:payload\thashed"), "{text}");
    // And omega verifies its own signature with minisign's public key file.
    omega(d.path(), &["verify", "payload", "-p", "m.pub"]).expect(0);
}

/// Review (atk7): `omega sign` and `omega verify` read a file of `READ_AHEAD_MIN_BYTES` or more
/// on a second thread. Where no thread can be made (a process or memory limit; here a stack no
/// address space holds, through `RUST_MIN_STACK`), `scope.spawn` panicked (exit 101); the file
/// is now read inline, as a smaller one is, with the same result.
#[test]
fn review_sign_and_verify_of_a_large_file_when_no_thread_can_be_made() {
    let d = tempfile::tempdir().unwrap();
    let k = keygen(d.path(), "a");
    let size = omega_core::fs::READ_AHEAD_MIN_BYTES as usize + 12_345;
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    fs::write(d.path().join("big.bin"), &data).unwrap();
    let no_thread = |args: &[&str]| {
        let mut c = omega_cmd(d.path());
        c.args(args).env("RUST_MIN_STACK", "200000000000000");
        run_cmd(c)
    };
    no_thread(&["sign", "big.bin", "-s", k.sec()]).expect(0);
    no_thread(&["verify", "big.bin", "-p", k.public()]).expect(0);
    // The same signature verifies with threads, and a changed byte is still caught without.
    omega(d.path(), &["verify", "big.bin", "-p", k.public()]).expect(0);
    let mut bad = data;
    bad[size - 7] ^= 1;
    fs::write(d.path().join("big.bin"), &bad).unwrap();
    let r = no_thread(&["verify", "big.bin", "-p", k.public()]).expect(1);
    assert!(r.stderr.contains("SIGNATURE_INVALID"), "{}", r.stderr);
}
