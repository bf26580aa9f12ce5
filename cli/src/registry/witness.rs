//! The witness (`omega witness key`, `omega witness cosign`) and the registry's side of it
//! (`omega registry cosign`): C2SP tlog-cosignature/v1 lines over a checkpoint that extends,
//! by an RFC 6962 consistency proof built from the log's tiles, the last checkpoint this
//! witness cosigned for that origin.
//!
//! Witness state: `STATE/name` (the witness's note name, written by the first `--name`),
//! `STATE/logs/<origin escaped>/checkpoint` (the text of the last checkpoint cosigned),
//! `STATE/.lock` (one cosigning at a time). The state is saved before the line is printed,
//! so a line never exists for a checkpoint the state does not hold.

use std::path::Path;
use std::time::Duration;

use omega_core::checkpoint::Checkpoint;
use omega_core::limits::{MAX_NOTE_BYTES, MAX_POLICY_BYTES};
use omega_core::note::{cosign, cosigner_vkey, Note};
use omega_core::policy::Policy;
use omega_core::tiles::{prove_consistency, tiles_for_consistency, tiles_for_root};
use omega_core::vkey::{Vkey, TYPE_ED25519};
use omega_core::ErrorCode;

use crate::args::{RegistryCosignArgs, WitnessCosignArgs, WitnessKeyArgs};
use crate::net::{origin_dir_name, RelPath, RootDir, Source};
use crate::out::print_json;
use crate::progress::Progress;
use crate::registry_dir::RegistryDir;
use crate::util::{load_secret_key, read_small, usage, CmdResult, Failure, EXIT_OK};

use super::log::{fetch_tiles, parse_checkpoint};
use super::{clock_now, err};

/// `omega witness key`.
pub fn key(a: &WitnessKeyArgs) -> CmdResult {
    let sk = load_secret_key(Some(&a.secret_key))?;
    let vkey = cosigner_vkey(&a.name, &sk)?;
    if a.json {
        print_json(&serde_json::json!({"ok": true, "name": a.name, "vkey": vkey.to_string()}));
    } else {
        say!("{vkey}");
    }
    Ok(EXIT_OK)
}

/// Where a checkpoint argument's bytes and tiles come from.
fn locate(arg: &str) -> Result<(Vec<u8>, Source), Failure> {
    let is_url = ["http://", "https://", "file://"]
        .iter()
        .any(|s| arg.starts_with(s));
    if is_url {
        let Some(prefix) = arg.strip_suffix("/checkpoint") else {
            return usage(format!("{arg}: a checkpoint URL ends in /checkpoint"));
        };
        let source = Source::parse(prefix)?;
        let bytes = source.get(&RelPath::checkpoint(), MAX_NOTE_BYTES as u64)?;
        return Ok((bytes, source));
    }
    let path = Path::new(arg);
    let bytes = read_small(path, MAX_NOTE_BYTES)?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let Some(text) = parent.to_str() else {
        return usage(format!("{}: not a UTF-8 path", parent.display()));
    };
    Ok((bytes, Source::parse(text)?))
}

/// `omega witness cosign`.
pub fn witness_cosign(a: &WitnessCosignArgs) -> CmdResult {
    let log_key = Vkey::parse(&a.log_key).map_err(|e| e.context("--log-key"))?;
    if log_key.key_type() != TYPE_ED25519 {
        return err(
            ErrorCode::Malformed,
            format!("--log-key {}: not an Ed25519 note key", a.log_key),
        );
    }
    let sk = load_secret_key(Some(&a.secret_key))?;
    let (bytes, source) = locate(&a.checkpoint)?;
    let cp = parse_checkpoint(bytes).map_err(|e| e.context(&a.checkpoint))?;
    let origin = cp.checkpoint.origin.clone();
    if log_key.name() != origin {
        return err(
            ErrorCode::KeyNotTrusted,
            format!(
                "{}: the checkpoint's origin {origin:?} is not the log key's name {:?}",
                a.checkpoint,
                log_key.name()
            ),
        );
    }
    omega_core::note::verify(&cp.note, std::slice::from_ref(&log_key))
        .map_err(|e| e.context(&format!("{}: log signature", a.checkpoint)))?;

    let state = RootDir::create(&a.state)?;
    let _lock = state.lock(".lock", Duration::from_secs(60), || {
        esay!("omega: waiting for the witness state lock …");
    })?;
    let name_rel = RelPath::new("name")?;
    let name = match (&a.name, state.read(&name_rel, 1024)?) {
        (Some(n), Some(stored)) if stored != n.as_bytes() => {
            return usage(format!(
                "--name {n}: this witness state is named {:?}",
                String::from_utf8_lossy(&stored)
            ))
        }
        (Some(n), None) => {
            omega_core::vkey::check_key_name(n).map_err(|e| e.context("--name"))?;
            state.write_atomic(&name_rel, n.as_bytes())?;
            n.clone()
        }
        (Some(n), Some(_)) => n.clone(),
        (None, Some(stored)) => String::from_utf8(stored).map_err(|_| {
            Failure::Usage(format!("{}: not UTF-8", a.state.join("name").display()))
        })?,
        (None, None) => {
            return usage(format!(
                "no witness name: give --name NAME (it is kept in {})",
                a.state.join("name").display()
            ))
        }
    };
    let last_rel = RelPath::new(&format!("logs/{}/checkpoint", origin_dir_name(&origin)))?;
    let new = &cp.checkpoint;
    let old_state = state.read(&last_rel, MAX_NOTE_BYTES as u64)?;
    // First sight of a log is trust on first use: only when asked for (RR12). A witness run
    // without persistent state would otherwise cosign any checkpoint, a fork included.
    if old_state.is_none() && !a.new_log {
        return err(
            ErrorCode::KeyNotTrusted,
            format!(
                "{origin}: this witness state ({}) has never cosigned this log; cosigning size {} now trusts it on first use: give --new-log when the witness starts following the log (a witness that lost its state must not)",
                a.state.display(),
                new.size
            ),
        );
    }
    if let Some(old_bytes) = old_state {
        let old_text = String::from_utf8(old_bytes).map_err(|_| {
            Failure::Usage(format!("{}: not UTF-8", state.shown(&last_rel).display()))
        })?;
        let old = Checkpoint::parse(&old_text)
            .map_err(|e| e.context(&state.shown(&last_rel).display().to_string()))?;
        if new.size < old.size {
            return err(
                ErrorCode::LogInconsistent,
                format!(
                    "{origin}: checkpoint size {} is smaller than {}, which this witness cosigned: a rollback",
                    new.size, old.size
                ),
            );
        }
        if new.size == old.size && new.root != old.root {
            return err(
                ErrorCode::LogInconsistent,
                format!(
                    "{origin}: two different roots for size {}: a fork of the log",
                    new.size
                ),
            );
        }
        if new.size > old.size {
            let mut paths = tiles_for_root(new.size);
            paths.extend(tiles_for_consistency(old.size, new.size)?);
            paths.sort();
            paths.dedup();
            let tiles = fetch_tiles(&source, &paths, &Progress::hidden())?;
            prove_consistency(old.size, new.size, &old.root, &new.root, &tiles).map_err(|e| {
                if e.code() == ErrorCode::LogInconsistent {
                    e.context(&format!(
                        "{origin}: size {} does not extend size {}, which this witness cosigned (a fork)",
                        new.size, old.size
                    ))
                } else {
                    e.context(&format!("{origin}: consistency {}→{}", old.size, new.size))
                }
            })?;
        }
    }
    let text = cp.note.text().to_string();
    let line = cosign(&text, &name, &sk, clock_now())?;
    state.write_atomic(&last_rel, text.as_bytes())?;
    let line = line.to_line();
    let line = line.trim_end_matches('\n');
    if a.json {
        print_json(&serde_json::json!({
            "ok": true, "origin": origin, "size": new.size, "name": name, "line": line,
        }));
    } else {
        say!("{line}");
    }
    Ok(EXIT_OK)
}

/// `omega registry cosign`.
pub fn registry_cosign(a: &RegistryCosignArgs) -> CmdResult {
    let dir = RegistryDir::open(&a.dir)?;
    let writer = dir.lock_default()?;
    let policy_bytes = writer
        .read(&RelPath::policy(), MAX_POLICY_BYTES as u64)?
        .ok_or_else(|| {
            Failure::Core(omega_core::Error::new(
                ErrorCode::NotFound,
                format!("{}: not found", a.dir.join("policy").display()),
            ))
        })?;
    let policy_text = String::from_utf8(policy_bytes)
        .map_err(|_| Failure::Usage(format!("{}: not UTF-8", a.dir.join("policy").display())))?;
    let policy = Policy::parse(&policy_text)
        .map_err(|e| e.context(&a.dir.join("policy").display().to_string()))?;
    let cp_bytes = writer
        .read(&RelPath::checkpoint(), MAX_NOTE_BYTES as u64)?
        .ok_or_else(|| {
            Failure::Core(omega_core::Error::new(
                ErrorCode::NotFound,
                format!("{}: not found", a.dir.join("checkpoint").display()),
            ))
        })?;
    let mut note = Note::parse(&cp_bytes)?;
    let text = note.text().to_string();
    for line in &a.lines {
        let mut l = line.trim_end_matches(['\n', '\r']).to_string();
        l.push('\n');
        let candidate = Note::parse(format!("{text}\n{l}").as_bytes())
            .map_err(|e| e.context("cosignature line"))?;
        let Some(sig) = candidate.signatures().first().cloned() else {
            return usage("empty cosignature line");
        };
        let Some(w) = policy
            .witnesses()
            .iter()
            .find(|w| w.key.name() == sig.name() && w.key.id() == sig.key_id())
        else {
            return err(
                ErrorCode::KeyNotTrusted,
                format!(
                    "cosignature by {}: not a witness of {}",
                    sig.name(),
                    a.dir.join("policy").display()
                ),
            );
        };
        omega_core::note::verify(&candidate, std::slice::from_ref(&w.key)).map_err(|e| {
            e.context(&format!(
                "cosignature by {} over the checkpoint of size {}",
                sig.name(),
                text.lines().nth(1).unwrap_or("?")
            ))
        })?;
        note.add_signature(sig)?;
    }
    writer.write_mutable(&RelPath::checkpoint(), note.to_text().as_bytes())?;
    if a.json {
        let names: Vec<&str> = note.signatures().iter().map(|s| s.name()).collect();
        print_json(&serde_json::json!({"ok": true, "signatures": names}));
    } else {
        say!(
            "checkpoint of {} now has {} signature line(s)",
            a.dir.display(),
            note.signatures().len()
        );
    }
    Ok(EXIT_OK)
}
