//! tests/vectors/client.json: a small registry's served files and client scenarios (REGISTRY.md
//! R6 steps 1–5 through `omega_core::client`): each case fetches a checkpoint (and maybe holds
//! a pinned one), replays the log from the pinned genesis, checks the index, picks and verifies
//! a release; expect the release or the error code.

use base64ct::{Base64, Encoding};
use omega_core::client::{self, Held, Trust};
use omega_core::statement::{
    NoticeStatement, OwnersStatement, SequenceRange, Severity, Statement, YankStatement,
};

use super::*;

/// The in-memory registry of core's tests (keys, policy, `Reg`), shared with them.
#[path = "../../tests/common/registry.rs"]
mod fixture;
use fixture::{key, ks, Reg, NOW, ORIGIN};

pub fn policy() -> String {
    fixture::policy_text()
}

/// Appends `st` signed by the owner (key 10).
fn push(reg: &mut Reg, st: Statement) {
    reg.push(&st, &[&key(10)]);
}

/// The client flow of one case (shared in spirit with core/tests/client.rs's runner).
pub fn run_case(
    files: &BTreeMap<String, Vec<u8>>,
    genesis: &str,
    case: &Value,
) -> omega_core::Result<Value> {
    let s = |k: &str| case[k].as_str().map(str::to_string);
    let now = case["now"].as_u64();
    let max_age = case["max_age"].as_u64().unwrap_or(3600);
    let trust = Trust::first_use("vectors", &policy(), max_age)?;
    let v = trust.verify_checkpoint(s("checkpoint").unwrap_or_default().as_bytes(), now)?;
    let fetched = Held::from_verified(&v);
    let mut latest = fetched.clone();
    if let Some(p) = s("pinned") {
        let held = trust.verify_cached(p.as_bytes())?;
        let proof = client::consistency_proof(&held.checkpoint, &fetched.checkpoint, files)?;
        latest = client::check_consistency(&held, &fetched, &proof)?.latest;
    }
    let g = omega_core::hash::parse_hex32(genesis, "genesis")?;
    let state = client::replay_to(None, Some(&g), &latest.checkpoint, &v.log_key, files)?;
    let name = s("package").unwrap_or_default();
    let version = s("version");
    let (ver, record) = client::choose_release(&state, &name, version.as_deref(), false)?;
    let index = files
        .get(&format!("index/{name}"))
        .cloned()
        .unwrap_or_default();
    client::verify_index(&state, &index, &name, now)?;
    let st = client::read_release_entry(&latest.checkpoint, &name, ver, record, files)?;
    let get = |h: &[u8; 32]| {
        files
            .get(&client::object_path(h))
            .cloned()
            .unwrap_or_default()
    };
    let revoked: Vec<PublicKey> = state
        .name(&name)
        .map(|n| n.revoked.iter().map(|r| r.key).collect())
        .unwrap_or_default();
    let rel = client::verify_release(
        &st,
        record.entry,
        &get(&st.manifest),
        &get(&st.tgz),
        &revoked,
    )?;
    let adv = client::advisories(&state, &name, ver, st.sequence, &rel.report.signed_by);
    let accepted: Vec<String> = case["accept_notices"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    client::check_notices(&name, &adv, &accepted)?;
    Ok(json!({
        "version": ver,
        "sequence": st.sequence,
        "entry": record.entry,
        "signed_by": rel.report.signed_by.iter().map(|k| k.to_base64()).collect::<Vec<_>>(),
        "checkpoint_size": latest.checkpoint.size,
        "notices": adv.notices.iter().map(|n| n.notice.id.clone()).collect::<Vec<_>>(),
    }))
}

pub fn client_vectors() -> Value {
    let mut reg = Reg::new();
    push(
        &mut reg,
        Statement::Owners(OwnersStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            serial: 0,
            keys: ks(1, &[&key(10)], &[]),
            reason: "first claim".into(),
        }),
    );
    reg.release("left-pad", "1.0.0", 1, &key(10), b"one");
    reg.release("left-pad", "1.1.0", 2, &key(10), b"two");
    let mid_checkpoint = reg.checkpoint(Some(NOW - 60));
    push(
        &mut reg,
        Statement::Owners(OwnersStatement {
            origin: ORIGIN.into(),
            name: "right-pad".into(),
            serial: 0,
            keys: ks(1, &[&key(10)], &[]),
            reason: "first claim".into(),
        }),
    );
    reg.release("right-pad", "1.0.0", 1, &key(10), b"r1");
    reg.release("right-pad", "1.1.0", 2, &key(10), b"r2");
    push(
        &mut reg,
        Statement::Yank(YankStatement {
            origin: ORIGIN.into(),
            name: "right-pad".into(),
            version: "1.1.0".into(),
            sequence: 2,
            reason: "broken".into(),
        }),
    );
    push(
        &mut reg,
        Statement::Notice(NoticeStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            id: "OMEGA-1".into(),
            severity: Severity::Critical,
            affected: vec![SequenceRange { from: 1, to: 1 }],
            fixed: Some(2),
            summary: "remote code execution".into(),
            url: None,
        }),
    );
    reg.indexes();
    let good = reg.checkpoint(Some(NOW - 60));
    let genesis = reg.state.genesis_hex();
    // A fork of the same size: the last entry differs.
    let mut fork = Reg::new();
    push(
        &mut fork,
        Statement::Owners(OwnersStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            serial: 0,
            keys: ks(1, &[&key(10)], &[]),
            reason: "first claim".into(),
        }),
    );
    fork.release("left-pad", "1.0.0", 1, &key(10), b"one");
    fork.release("left-pad", "1.1.0", 2, &key(10), b"two");
    fork.release("left-pad", "1.2.0", 3, &key(10), b"evil");
    let forked = fork.checkpoint(Some(NOW - 60));

    let mut tampered = reg.files.clone();
    let tgz_path = {
        let r = &reg.state.name("left-pad").expect("left-pad").releases["1.1.0"];
        client::object_path(&r.tgz)
    };
    if let Some(b) = tampered.get_mut(&tgz_path) {
        let i = b.len() / 2;
        b[i] ^= 0x20;
    }
    let b64 = |m: &BTreeMap<String, Vec<u8>>| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(Base64::encode_string(v))))
                .collect(),
        )
    };
    let mut cases = Vec::new();
    let mut case = |name: &str,
                    mut c: Value,
                    files: Option<&BTreeMap<String, Vec<u8>>>,
                    expect: Result<(&str, u64), ErrorCode>| {
        c["name"] = json!(name);
        if let Some(f) = files {
            let changed: BTreeMap<String, Vec<u8>> = f
                .iter()
                .filter(|(k, v)| reg.files.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            c["replace"] = b64(&changed);
        }
        let files = files.unwrap_or(&reg.files);
        let got = run_case(files, &genesis, &c);
        let e = match (&got, expect) {
            (Ok(v), Ok((ver, entry))) if v["version"] == ver && v["entry"] == entry => v.clone(),
            (Err(e), Err(code)) if e.code() == code => json!({"error": code.as_str()}),
            (g, x) => panic!("client.json {name}: intended {x:?}, core says {g:?}"),
        };
        c["expect"] = e;
        cases.push(c);
    };
    let base = json!({"now": NOW, "max_age": 3600, "checkpoint": good, "package": "left-pad", "accept_notices": ["OMEGA-1"]});
    let with = |extra: Value| {
        let mut c = base.clone();
        if let (Some(o), Value::Object(e)) = (c.as_object_mut(), extra) {
            o.extend(e);
        }
        c
    };
    case("latest-release", base.clone(), None, Ok(("1.1.0", 3)));
    case(
        "explicit-version-with-accepted-critical-notice",
        with(json!({"version": "1.0.0"})),
        None,
        Ok(("1.0.0", 2)),
    );
    case(
        "fail-critical-notice-not-accepted",
        with(json!({"version": "1.0.0", "accept_notices": []})),
        None,
        Err(ErrorCode::KeyNotTrusted),
    );
    case(
        "yanked-release-skipped",
        with(json!({"package": "right-pad"})),
        None,
        Ok(("1.0.0", 5)),
    );
    case(
        "fail-yanked-release-asked-explicitly",
        with(json!({"package": "right-pad", "version": "1.1.0"})),
        None,
        Err(ErrorCode::NotFound),
    );
    case(
        "fail-name-not-in-log",
        with(json!({"package": "no-such-pkg"})),
        None,
        Err(ErrorCode::NotInLog),
    );
    case(
        "fail-version-not-in-log",
        with(json!({"version": "9.9.9"})),
        None,
        Err(ErrorCode::NotInLog),
    );
    case(
        "fail-stale",
        with(json!({"now": NOW + 7200})),
        None,
        Err(ErrorCode::Stale),
    );
    case(
        "offline-skips-freshness",
        with(json!({"now": null})),
        None,
        Ok(("1.1.0", 3)),
    );
    case(
        "fail-quorum-not-met",
        with(json!({"checkpoint": reg.checkpoint(None)})),
        None,
        Err(ErrorCode::QuorumNotMet),
    );
    case(
        "forward-from-pinned",
        with(json!({"pinned": mid_checkpoint})),
        None,
        Ok(("1.1.0", 3)),
    );
    // A mirror serving an older checkpoint than the pinned one (and the newer tree's tiles):
    // the state covers the pinned tree (threat model RR7), so the index note (as-of the
    // pinned size) is no longer ahead of it, and the pinned checkpoint is kept.
    case(
        "stale-mirror-state-covers-the-pinned-tree",
        with(json!({"pinned": good, "checkpoint": mid_checkpoint})),
        None,
        Ok(("1.1.0", 3)),
    );
    case(
        "fail-fork-against-pinned",
        with(json!({"pinned": forked})),
        None,
        Err(ErrorCode::LogInconsistent),
    );
    case(
        "fail-object-changed",
        base.clone(),
        Some(&tampered),
        Err(ErrorCode::NotInLog),
    );
    json!({
        "description": DESCRIPTION,
        "generator": "cargo run -p omega-core --example gen-vectors --features sign -- tests/vectors",
        "origin": ORIGIN,
        "policy": policy(),
        "genesis": genesis,
        "files": b64(&reg.files),
        "cases": cases,
    })
}

const DESCRIPTION: &str = "registry client scenarios (REGISTRY.md R6 steps 1-5, omega_core::client): `files` (path -> base64) is a small registry as served; each case runs: Trust::first_use(policy, max_age); verify_checkpoint(checkpoint, now; now null = offline); if `pinned`, verify it (no freshness) and prove consistency with tiles of the larger tree; replay_to the larger of the two trees (fetched, pinned) from the pinned `genesis`; choose_release(package, version, no yanked); verify_index(index/<package>); read_release_entry (against the larger tree); verify_release with the objects; check_notices(accept_notices). A case's `replace` (path -> base64) replaces those files of the registry. expect: version, sequence, entry, signed_by, checkpoint_size (the one kept), notices; or expect.error";

/// Writes tests/vectors/client.json.
pub fn write_client(dir: &std::path::Path) {
    let mut text = serde_json::to_string_pretty(&client_vectors()).expect("json");
    text.push('\n');
    std::fs::write(dir.join("client.json"), text).expect("write vectors");
    println!("wrote client.json");
}
