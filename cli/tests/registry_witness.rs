//! Witnesses end to end (issue 14): `omega witness key|cosign` and `omega registry cosign`;
//! the checkpoint then verifies under a policy with that witness; a forked or rolled-back log
//! is refused with LOG_INCONSISTENT, over a folder and over http from nginx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;

use common::nginx::Nginx;
use common::registry::{copy_dir, init, log_key, packed, publish, refused, size};
use common::{keygen, omega, Key};

fn cosign(root: &Path, checkpoint: &str, reg_log_key: &str, state: &Path, w: &Key) -> common::Run {
    omega(
        root,
        &[
            "witness",
            "cosign",
            checkpoint,
            "--log-key",
            reg_log_key,
            "--state",
            state.to_str().unwrap(),
            "-s",
            w.sec(),
            "--name",
            "w1",
            "--new-log",
        ],
    )
}

#[test]
fn cosigned_checkpoint_meets_the_policy_quorum() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let w = keygen(root, "witness");
    let wk = omega(root, &["witness", "key", w.sec(), "--name", "w1"])
        .expect(0)
        .stdout
        .trim()
        .to_string();
    assert!(wk.starts_with("w1+"), "{wk}");
    let reg = init(
        root,
        "reg",
        "witnessed.example",
        "open",
        &[&j],
        &["--witness", &wk, "--quorum", "1"],
    );
    let regs = reg.to_str().unwrap();
    let lk = log_key(&reg);
    let state = root.join("wstate");
    // Not cosigned yet: the policy's quorum is not met.
    refused(omega(root, &["log", "verify", regs]), 1, "QUORUM_NOT_MET");

    let cp = reg.join("checkpoint");
    let line = cosign(root, cp.to_str().unwrap(), &lk, &state, &w)
        .expect(0)
        .stdout
        .trim()
        .to_string();
    assert!(line.starts_with("\u{2014} w1 "), "{line}");
    omega(root, &["registry", "cosign", regs, &line]).expect(0);
    let v = omega(root, &["log", "verify", regs, "--json"])
        .expect(0)
        .json();
    assert_eq!(v["witnesses"][0]["name"], "w1");
    // Any C2SP verifier: the cosignature is a type 0x04 line over the checkpoint.
    let n = omega(
        root,
        &[
            "note",
            "verify",
            cp.to_str().unwrap(),
            "--key",
            &wk,
            "--key",
            &lk,
        ],
    )
    .expect(0);
    assert!(n.stdout.contains("w1 (cosigned at "), "{}", n.stdout);
    assert!(n.stdout.contains("witnessed.example"), "{}", n.stdout);

    // A new checkpoint starts without cosignatures; the witness cosigns it over http, proving
    // consistency from size 1 with tiles fetched from the same prefix.
    let pkg = packed(root, "p", "w-pkg", "1.0.0", 1, &a);
    publish(root, &pkg, &reg, &[&a]).expect(0);
    refused(omega(root, &["log", "verify", regs]), 1, "QUORUM_NOT_MET");
    // The old line is over the old checkpoint: a bad signature for the new one.
    refused(
        omega(root, &["registry", "cosign", regs, &line]),
        1,
        "SIGNATURE_INVALID",
    );
    let nginx = Nginx::start(&reg);
    let url = format!("{}/checkpoint", nginx.http_url());
    let line2 = cosign(root, &url, &lk, &state, &w)
        .expect(0)
        .stdout
        .trim()
        .to_string();
    omega(root, &["registry", "cosign", regs, &line2]).expect(0);
    omega(root, &["log", "verify", &nginx.http_url()]).expect(0);
    // Cosigning the same checkpoint again is fine (same size, same root); --json.
    let cj = omega(
        root,
        &[
            "witness",
            "cosign",
            &url,
            "--log-key",
            &lk,
            "--state",
            state.to_str().unwrap(),
            "-s",
            w.sec(),
            "--json",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(cj["size"], 3);
    assert_eq!(cj["name"], "w1");
    let merged = omega(
        root,
        &[
            "registry",
            "cosign",
            regs,
            cj["line"].as_str().unwrap(),
            "--json",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(
        merged["signatures"],
        serde_json::json!(["witnessed.example", "w1"])
    );
    let wj = omega(root, &["witness", "key", w.sec(), "--name", "w1", "--json"])
        .expect(0)
        .json();
    assert_eq!(wj["vkey"], wk.as_str());

    // A line of a witness the policy does not list.
    let other = keygen(root, "other");
    let ostate = root.join("ostate");
    let oline = omega(
        root,
        &[
            "witness",
            "cosign",
            &url,
            "--log-key",
            &lk,
            "--state",
            ostate.to_str().unwrap(),
            "-s",
            other.sec(),
            "--name",
            "w2",
            "--new-log",
        ],
    )
    .expect(0)
    .stdout
    .trim()
    .to_string();
    refused(
        omega(root, &["registry", "cosign", regs, &oline]),
        1,
        "KEY_NOT_TRUSTED",
    );
    // The wrong log key: the witness refuses to cosign.
    let other_reg = init(root, "other-reg", "witnessed.example", "open", &[&j], &[]);
    refused(
        cosign(root, &url, &log_key(&other_reg), &state, &w),
        1,
        "KEY_NOT_TRUSTED",
    );
}

#[test]
fn witness_refuses_a_fork_and_a_rollback() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let w = keygen(root, "witness");
    let reg = init(root, "a", "fork.example", "open", &[&j], &[]);
    let lk = log_key(&reg);
    let state = root.join("wstate");
    let p = packed(root, "p", "base", "1.0.0", 1, &a);
    publish(root, &p, &reg, &[&a]).expect(0);
    cosign(
        root,
        reg.join("checkpoint").to_str().unwrap(),
        &lk,
        &state,
        &w,
    )
    .expect(0);
    // Keep the size-3 checkpoint for the rollback case.
    let old = root.join("old");
    fs::create_dir_all(&old).unwrap();
    fs::copy(reg.join("checkpoint"), old.join("checkpoint")).unwrap();

    // Two diverging copies of the same log (same keys).
    let fork = root.join("b");
    copy_dir(&reg, &fork);
    let pa = packed(root, "pa", "only-in-a", "1.0.0", 1, &a);
    let pb = packed(root, "pb", "only-in-b", "1.0.0", 1, &a);
    publish(root, &pa, &reg, &[&a]).expect(0);
    publish(root, &pb, &fork, &[&a]).expect(0);
    assert_eq!(size(&reg), size(&fork));
    cosign(
        root,
        reg.join("checkpoint").to_str().unwrap(),
        &lk,
        &state,
        &w,
    )
    .expect(0);
    // Same size, another root.
    refused(
        cosign(
            root,
            fork.join("checkpoint").to_str().unwrap(),
            &lk,
            &state,
            &w,
        ),
        1,
        "LOG_INCONSISTENT",
    );
    // Larger, but not an extension of what was cosigned (over http).
    let pb2 = packed(root, "pb", "only-in-b", "1.0.1", 2, &a);
    publish(root, &pb2, &fork, &[&a]).expect(0);
    let nginx = Nginx::start(&fork);
    let r = refused(
        cosign(
            root,
            &format!("{}/checkpoint", nginx.http_url()),
            &lk,
            &state,
            &w,
        ),
        1,
        "LOG_INCONSISTENT",
    );
    assert!(r.stderr.contains("fork"), "{}", r.stderr);
    // Smaller than what was cosigned: a rollback.
    let r = refused(
        cosign(
            root,
            old.join("checkpoint").to_str().unwrap(),
            &lk,
            &state,
            &w,
        ),
        1,
        "LOG_INCONSISTENT",
    );
    assert!(r.stderr.contains("rollback"), "{}", r.stderr);
    // The refusals left the witness's state alone: the true log still extends.
    let pa2 = packed(root, "pa", "only-in-a", "1.0.1", 2, &a);
    publish(root, &pa2, &reg, &[&a]).expect(0);
    cosign(
        root,
        reg.join("checkpoint").to_str().unwrap(),
        &lk,
        &state,
        &w,
    )
    .expect(0);
}

/// The witness and the monitor over https (a test CA given with SSL_CERT_FILE).
#[test]
fn witness_and_monitor_over_https() {
    use common::nginx::NginxOptions;
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let w = keygen(root, "witness");
    let wk = omega(root, &["witness", "key", w.sec(), "--name", "w1"])
        .expect(0)
        .stdout
        .trim()
        .to_string();
    let reg = init(
        root,
        "reg",
        "tls.example",
        "open",
        &[&j],
        &["--witness", &wk],
    );
    let p = packed(root, "p", "secure", "1.0.0", 1, &a);
    publish(root, &p, &reg, &[&a]).expect(0);
    let nginx = Nginx::start_with(
        &reg,
        &NginxOptions {
            https: true,
            ..NginxOptions::default()
        },
    );
    let run = |args: &[&str]| {
        let mut c = common::omega_cmd(root);
        c.env("SSL_CERT_FILE", nginx.ca_file()).args(args);
        common::run_cmd(c)
    };
    let url = nginx.https_url();
    let state = root.join("wstate");
    let line = run(&[
        "witness",
        "cosign",
        &format!("{url}/checkpoint"),
        "--log-key",
        &log_key(&reg),
        "--state",
        state.to_str().unwrap(),
        "-s",
        w.sec(),
        "--name",
        "w1",
        "--new-log",
    ])
    .expect(0)
    .stdout
    .trim()
    .to_string();
    omega(root, &["registry", "cosign", reg.to_str().unwrap(), &line]).expect(0);
    let v = run(&["log", "verify", &url, "--json"]).expect(0).json();
    assert_eq!(v["size"], 3);
    assert_eq!(v["witnesses"][0]["name"], "w1");
    // Without the CA the server is not trusted: IO, nothing verified.
    let r = omega(root, &["log", "verify", &url]);
    assert_eq!(r.status, 2, "{}", r.all());
    assert!(r.stderr.contains("IO"), "{}", r.stderr);
}

/// RR12: a witness cosigns a log it has no state for only with `--new-log` (trust on first
/// use, said explicitly): a CI witness without persistent state, or one that lost it, would
/// otherwise cosign any checkpoint, a fork included. Nothing is written on the refusal.
#[test]
fn review_first_sight_of_a_log_needs_new_log() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let j = keygen(root, "j");
    let a = keygen(root, "alice");
    let w = keygen(root, "witness");
    let reg = init(root, "reg", "first-sight.example", "open", &[&j], &[]);
    let lk = log_key(&reg);
    let p = packed(root, "p", "seen", "1.0.0", 1, &a);
    publish(root, &p, &reg, &[&a]).expect(0);
    let state = root.join("wstate");
    let cp = reg.join("checkpoint");
    let plain = |state: &Path| {
        omega(
            root,
            &[
                "witness",
                "cosign",
                cp.to_str().unwrap(),
                "--log-key",
                &lk,
                "--state",
                state.to_str().unwrap(),
                "-s",
                w.sec(),
                "--name",
                "w1",
            ],
        )
    };
    let r = refused(plain(&state), 1, "KEY_NOT_TRUSTED");
    assert!(r.stderr.contains("--new-log"), "{}", r.stderr);
    assert!(!state.join("logs").exists(), "no state written");
    assert!(r.stdout.is_empty(), "no line printed: {}", r.stdout);
    // With --new-log once; later checkpoints of the same log need no flag.
    cosign(root, cp.to_str().unwrap(), &lk, &state, &w).expect(0);
    let p2 = packed(root, "p", "seen", "1.0.1", 2, &a);
    publish(root, &p2, &reg, &[&a]).expect(0);
    plain(&state).expect(0);
}
