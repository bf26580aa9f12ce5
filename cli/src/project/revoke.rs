//! `omega revoke`: core checks a revocation statement against the lock; this writes it.

use super::*;

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

/// What `omega revoke` reads: the lock, the statement and its signature file, as bytes.
struct RevokeInputs {
    lock: Vec<u8>,
    statement: Vec<u8>,
    signatures: Vec<u8>,
}

fn revoke_inputs(a: &RevokeArgs) -> Result<RevokeInputs, Error> {
    let lock_path = a.root.join(LOCK_FILE);
    root_dir_ok(&a.root)?;
    let Some(lock) = read_limited(&lock_path, MAX_LOCK_BYTES)? else {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "{}: no lock file (run omega lock first)",
                lock_path.display()
            ),
        ));
    };
    let small = |path: &Path, limit: usize| match read_small(path, limit) {
        Ok(b) => Ok(b),
        Err(Failure::Core(e)) => Err(e),
        Err(_) => Err(Error::new(
            ErrorCode::Io,
            format!("{}: cannot be read", path.display()),
        )),
    };
    let statement = small(&a.statement, MAX_REVOCATION_BYTES)?;
    let sig_path = a
        .signature
        .clone()
        .unwrap_or_else(|| with_suffix(&a.statement, ".minisig"));
    let signatures = small(&sig_path, MAX_SIGNATURE_FILE_BYTES)?;
    Ok(RevokeInputs {
        lock,
        statement,
        signatures,
    })
}

/// `omega revoke`: core checks the statement against every lock entry of its package and
/// returns the new lock bytes; this writes them atomically.
pub fn revoke(a: &RevokeArgs) -> CmdResult {
    let lock_path = a.root.join(LOCK_FILE);
    let outcome = revoke_inputs(a).and_then(|i| {
        omega_core::revoke(&i.lock, &i.statement, &i.signatures, LegacyPolicy::Refuse)
            .map_err(|e| e.context(&format!("revoke {}", a.statement.display())))
    });
    let revoked = match outcome {
        Ok(r) => r,
        Err(e) => {
            if a.json {
                print_json(&json!({
                    "ok": false,
                    "code": e.code().as_str(),
                    "message": e.message(),
                    "lockfile": lock_path.display().to_string(),
                    "written": false,
                    "package": null, "key": null, "reason": null, "entries": [],
                }));
                return Ok(exit_for(e.code()));
            }
            return Err(Failure::Core(e));
        }
    };
    write_atomic(&lock_path, &revoked.lock, 0o644, Overwrite::Replace)?;
    let rev = &revoked.revocation;
    if a.json {
        print_json(&json!({
            "ok": true, "code": null, "message": null,
            "lockfile": lock_path.display().to_string(),
            "written": true,
            "package": rev.name,
            "key": rev.key.to_base64(),
            "reason": rev.reason,
            "entries": revoked.entries,
        }));
    } else {
        let p = Paint::stdout();
        say!(
            "{} key {} for {} ({}): {}",
            p.good("revoked"),
            keys_text(std::slice::from_ref(&rev.key)),
            shown(&rev.name),
            shown(&revoked.entries.join(", ")),
            shown(&rev.reason)
        );
        say!("wrote {}", lock_path.display());
    }
    Ok(EXIT_OK)
}
