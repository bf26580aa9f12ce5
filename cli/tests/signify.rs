//! `omega verify` / `omega sign` with signify's three forms, against the real `signify-openbsd`
//! both ways: genuine files verify, tampered ones are refused with the right code and exit
//! status, no output file is left behind by a refusal. A missing `signify-openbsd` FAILS these
//! tests (scripts/setup.sh installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn signify(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> i32 {
    let mut c = Command::new("signify-openbsd");
    c.args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| {
        panic!(
            "signify-openbsd is required and cannot be started ({e}); scripts/setup.sh installs it"
        )
    });
    if let Some(input) = stdin {
        let _ = child.stdin.take().unwrap().write_all(input);
    }
    let out = child.wait_with_output().unwrap();
    out.status.code().unwrap_or(-1)
}

fn gzip_file(payload: &[u8]) -> Vec<u8> {
    [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3][..], payload].concat()
}

#[test]
fn signify_files_verify_with_omega() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    assert_eq!(
        signify(
            dir,
            &["-G", "-n", "-p", "k.pub", "-s", "k.sec", "-c", "k"],
            None
        ),
        0
    );
    assert_eq!(
        signify(
            dir,
            &["-G", "-n", "-p", "o.pub", "-s", "o.sec", "-c", "o"],
            None
        ),
        0
    );
    fs::write(dir.join("msg"), b"signed by signify\n").unwrap();
    assert_eq!(signify(dir, &["-S", "-s", "k.sec", "-m", "msg"], None), 0);
    // Recognised by its shape, found as msg.sig (no msg.minisig), no --legacy needed.
    let r = omega(dir, &["verify", "msg", "-p", "k.pub"]).expect(0);
    assert!(r.stdout.contains("Signature Verified"), "{}", r.all());
    omega(
        dir,
        &["verify", "msg", "-p", "k.pub", "-x", "msg.sig", "-q"],
    )
    .expect(0);
    omega(dir, &["verify", "msg", "-p", "o.pub"]).expect(1);
    fs::write(dir.join("msg2"), b"signed by signify?\n").unwrap();
    let r = omega(dir, &["verify", "msg2", "-p", "k.pub", "-x", "msg.sig"]).expect(1);
    assert!(r.stderr.contains("SIGNATURE_INVALID"), "{}", r.all());
    fs::write(
        dir.join("trunc.sig"),
        &fs::read(dir.join("msg.sig")).unwrap()[..60],
    )
    .unwrap();
    let r = omega(dir, &["verify", "msg", "-p", "k.pub", "-x", "trunc.sig"]).expect(2);
    assert!(
        r.stderr.contains("MALFORMED") && r.stderr.contains("trunc.sig"),
        "{}",
        r.all()
    );

    // Embedded.
    assert_eq!(
        signify(
            dir,
            &["-S", "-e", "-s", "k.sec", "-m", "msg", "-x", "msg.emb"],
            None
        ),
        0
    );
    omega(
        dir,
        &[
            "verify",
            "--embedded",
            "msg.emb",
            "-p",
            "k.pub",
            "-o",
            "out",
        ],
    )
    .expect(0);
    assert_eq!(fs::read(dir.join("out")).unwrap(), b"signed by signify\n");
    let mut emb = fs::read(dir.join("msg.emb")).unwrap();
    *emb.last_mut().unwrap() ^= 1;
    fs::write(dir.join("bad.emb"), &emb).unwrap();
    omega(
        dir,
        &[
            "verify",
            "--embedded",
            "bad.emb",
            "-p",
            "k.pub",
            "-o",
            "bad.out",
        ],
    )
    .expect(1);
    assert!(
        !dir.join("bad.out").exists(),
        "a refused message is never written"
    );

    // gzip.
    let payload: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(dir.join("in.tgz"), gzip_file(&payload)).unwrap();
    assert_eq!(
        signify(
            dir,
            &["-S", "-z", "-s", "k.sec", "-m", "in.tgz", "-x", "s.tgz"],
            None
        ),
        0
    );
    assert_eq!(
        signify(
            dir,
            &["-V", "-z", "-p", "k.pub", "-x", "s.tgz", "-m", "theirs.tgz"],
            None
        ),
        0
    );
    omega(
        dir,
        &["verify", "--gzip", "s.tgz", "-p", "k.pub", "-o", "ours.tgz"],
    )
    .expect(0);
    assert_eq!(
        fs::read(dir.join("ours.tgz")).unwrap(),
        fs::read(dir.join("theirs.tgz")).unwrap()
    );
    let mut bad = fs::read(dir.join("s.tgz")).unwrap();
    let n = bad.len();
    bad[n - 70_000] ^= 4;
    fs::write(dir.join("bad.tgz"), &bad).unwrap();
    let r = omega(
        dir,
        &[
            "verify",
            "--gzip",
            "bad.tgz",
            "-p",
            "k.pub",
            "-o",
            "bad-out.tgz",
        ],
    )
    .expect(1);
    assert!(
        r.stderr.contains("SIGNATURE_INVALID") && r.stderr.contains("block"),
        "{}",
        r.all()
    );
    assert!(!dir.join("bad-out.tgz").exists(), "no half-written output");
    let leftovers: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    omega(dir, &["verify", "--gzip", "s.tgz", "-p", "o.pub"]).expect(1);
    // -o only with --embedded/--gzip.
    omega(dir, &["verify", "msg", "-p", "k.pub", "-o", "x"]).expect(2);
}

#[test]
fn omega_signs_signify_files() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // An encrypted signify key (passphrase on stdin) and an omega key.
    assert_eq!(
        signify(
            dir,
            &["-G", "-p", "e.pub", "-s", "e.sec", "-c", "e"],
            Some(b"pass phrase\n")
        ),
        0
    );
    let k = keygen(dir, "om");
    fs::write(dir.join("msg"), b"signed by omega\n").unwrap();
    let payload: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
    fs::write(dir.join("in.tgz"), gzip_file(&payload)).unwrap();
    for (sec, public) in [("e.sec", "e.pub"), (k.sec(), k.public())] {
        let sign = |args: &[&str]| {
            let mut c = omega_cmd(dir);
            c.arg("sign")
                .args(args)
                .args(["-s", sec])
                .env("OMEGA_PASSWORD", "pass phrase");
            run_cmd(c).expect(0);
        };
        sign(&["--signify", "msg"]);
        assert_eq!(
            signify(dir, &["-V", "-p", public, "-m", "msg"], None),
            0,
            "{sec}"
        );
        sign(&["--embedded", "msg", "-x", "msg.emb"]);
        assert_eq!(
            signify(
                dir,
                &["-V", "-e", "-p", public, "-x", "msg.emb", "-m", "m.out"],
                None
            ),
            0
        );
        assert_eq!(fs::read(dir.join("m.out")).unwrap(), b"signed by omega\n");
        sign(&["--gzip", "in.tgz", "-x", "out.tgz"]);
        assert_eq!(
            signify(
                dir,
                &["-V", "-z", "-p", public, "-x", "out.tgz", "-m", "z.out"],
                None
            ),
            0
        );
        omega(dir, &["verify", "--gzip", "out.tgz", "-p", public]).expect(0);
    }
    // A wrong passphrase: refused, nothing written.
    let mut c = omega_cmd(dir);
    c.args(["sign", "--signify", "msg", "-x", "wrong.sig", "-s", "e.sec"])
        .env("OMEGA_PASSWORD", "not it");
    let r = run_cmd(c).expect(2);
    assert!(r.stderr.contains("incorrect passphrase"), "{}", r.all());
    assert!(!dir.join("wrong.sig").exists());
    // --gzip needs -x; -t makes no sense for signify.
    omega(dir, &["sign", "--gzip", "in.tgz", "-s", "e.sec"]).expect(2);
    omega(dir, &["sign", "--signify", "msg", "-s", "e.sec", "-t", "x"]).expect(2);
}
