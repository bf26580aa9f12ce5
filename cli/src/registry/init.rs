//! `omega registry init`: the registry's keys, the genesis entry, the first checkpoint and
//! DIR/policy.

use omega_core::entry::{Entry, DEFAULT_TRUSTED_COMMENT};
use omega_core::merkle::EMPTY_ROOT;
use omega_core::policy::Policy;
use omega_core::statement::{Mode, RegistryStatement, Statement};
use omega_core::vkey::{Vkey, TYPE_COSIGNATURE_V1};
use omega_core::{ErrorCode, KeySet};

use crate::args::RegistryInitArgs;
use crate::net::RelPath;
use crate::out::{print_json, Paint};
use crate::registry_dir::RegistryDir;
use crate::util::{load_secret_key, parse_key_arg, usage, CmdResult, EXIT_OK};

use super::append::write_append;
use super::{err, keys, DEFAULT_INDEX_TTL};

/// The policy text for a log key and witnesses: `quorum none` without witnesses, else a group
/// `witnesses` of `quorum` (default: all) members.
pub fn policy_text(
    log: &Vkey,
    witnesses: &[Vkey],
    quorum: Option<usize>,
) -> Result<String, crate::util::Failure> {
    let mut t = format!("log {log}\n");
    for w in witnesses {
        t.push_str(&format!("witness {} {w}\n", w.name()));
    }
    if witnesses.is_empty() {
        t.push_str("quorum none\n");
    } else {
        let k = quorum.unwrap_or(witnesses.len());
        if k == 0 || k > witnesses.len() {
            return usage(format!(
                "--quorum {k}: between 1 and the number of witnesses ({})",
                witnesses.len()
            ));
        }
        let names: Vec<&str> = witnesses.iter().map(Vkey::name).collect();
        t.push_str(&format!("group witnesses {k} {}\n", names.join(" ")));
        t.push_str("quorum witnesses\n");
    }
    // The same parser clients use must accept it.
    Policy::parse(&t).map_err(|e| e.context("the policy to write"))?;
    Ok(t)
}

/// `omega registry init`.
pub fn init(a: &RegistryInitArgs) -> CmdResult {
    let mode = Mode::parse(&a.mode).map_err(|e| e.context("--mode"))?;
    let janitor_keys = a
        .janitors
        .iter()
        .map(|k| parse_key_arg(k, "--janitor"))
        .collect::<Result<Vec<_>, _>>()?;
    let janitors = KeySet {
        threshold: a.threshold.unwrap_or(1),
        signers: janitor_keys,
        next: Vec::new(),
    };
    janitors.validate("--janitor")?;
    let mut witnesses = Vec::new();
    for w in &a.witnesses {
        let v = Vkey::parse(w).map_err(|e| e.context("--witness"))?;
        if v.key_type() != TYPE_COSIGNATURE_V1 {
            return err(
                ErrorCode::Malformed,
                format!("--witness {w}: not a cosigner key (type 0x04); make it with `omega witness key`"),
            );
        }
        witnesses.push(v);
    }
    omega_core::vkey::check_key_name(&a.origin).map_err(|e| e.context("--origin"))?;
    let secrets = a
        .secret_keys
        .iter()
        .map(|p| load_secret_key(Some(p)))
        .collect::<Result<Vec<_>, _>>()?;

    let dir = RegistryDir::create(&a.dir)?;
    let writer = dir.lock_default()?;
    if writer.read(&RelPath::checkpoint(), 1 << 20)?.is_some() {
        return usage(format!(
            "{}: already a registry (it has a checkpoint)",
            a.dir.display()
        ));
    }
    if a.dir.join(keys::KEYS_DIR).exists() {
        return usage(format!(
            "{}: has {}/ but no checkpoint (an interrupted init?): remove the folder and run init again",
            a.dir.display(),
            keys::KEYS_DIR
        ));
    }
    let keys = keys::create(&a.dir, &a.origin, a.encrypt)?;
    let statement = Statement::Registry(RegistryStatement {
        origin: a.origin.clone(),
        serial: 0,
        janitors,
        log_key: keys.log_vkey.clone(),
        index_key: keys.index_vkey.clone(),
        mode,
    });
    let refs: Vec<&_> = secrets.iter().collect();
    let entry = Entry::sign(&statement, &refs, DEFAULT_TRUSTED_COMMENT)?;
    let bytes = entry.to_bytes();
    // The genesis must be valid exactly as a client pins it.
    let state = omega_core::registry::RegistryState::genesis(&bytes)?;
    let policy = policy_text(&keys.log_vkey, &witnesses, a.quorum)?;
    writer.write_mutable(&RelPath::policy(), policy.as_bytes())?;
    let written = write_append(
        &writer,
        None,
        0,
        EMPTY_ROOT,
        &[bytes],
        &[],
        &keys,
        &a.origin,
        a.index_ttl.unwrap_or(DEFAULT_INDEX_TTL),
        &|_| Ok(Vec::new()),
    )?;
    if a.json {
        print_json(&serde_json::json!({
            "ok": true,
            "registry": a.dir.display().to_string(),
            "origin": a.origin,
            "size": written.size,
            "genesis": state.genesis_hex(),
            "log_key": keys.log_vkey.to_string(),
            "index_key": keys.index_vkey.to_string(),
            "mode": mode.as_str(),
            "policy": policy,
        }));
        return Ok(EXIT_OK);
    }
    let p = Paint::stdout();
    say!(
        "{} registry {} in {}",
        p.good("created"),
        a.origin,
        a.dir.display()
    );
    say!("  log key:   {}", keys.log_vkey);
    say!("  index key: {}", keys.index_vkey);
    say!(
        "  genesis:   {} ({} mode)",
        state.genesis_hex(),
        mode.as_str()
    );
    say!(
        "  keys in {}/ — never serve that folder",
        a.dir.join(keys::KEYS_DIR).display()
    );
    Ok(EXIT_OK)
}
