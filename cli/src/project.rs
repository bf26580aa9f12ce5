//! `omega lock` and `omega audit`: a project's `node_modules` against its `omega.lock`.
//!
//! Core finds the installed packages and their lock keys (`omega_core::installs`); these
//! modules read each package through core and hand every decision to core (`admit` for lock,
//! `check_packages` for audit, `revoke` for revoke).
//!
//! | module | owns |
//! |---|---|
//! | `lock` | `omega lock` |
//! | `audit` | `omega audit` |
//! | `revoke` | `omega revoke` |
//! | this file | what they share: reading the lock, the root check, command-level failures |

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use omega_core::fs::{read_installed_package, read_limited, PackageDir, NESTED_MODULES_DIR};
use omega_core::installs::{find_installs, Install, Installs};
use omega_core::limits::{MAX_LOCK_BYTES, MAX_MANIFEST_BYTES};
use omega_core::limits::{MAX_REVOCATION_BYTES, MAX_SIGNATURE_FILE_BYTES};
use omega_core::lock::{package_name_of_key, validate_lock_key, LOCK_FILE};
use omega_core::manifest::{validate_name, validate_version, SIGNATURE_PATH};
use omega_core::summary_message;
use omega_core::{
    admit_in_lock, bin_link_package, check_packages, dependency_problems, Admission, Candidate,
    Change, Error, ErrorCode, FirstSight, LegacyPolicy, LockEntry, LockIndex, Lockfile, Manifest,
    PinMode, Pins, Problem, PublicKey, Release, Report, ReportJson, SignatureBlock,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::args::{AuditArgs, LockArgs, RevokeArgs};
use crate::out::{keys_text, print_json, problem_from, problem_line, progress, shown, Paint};
use crate::util::{
    exit_for, parse_key_arg, read_small, split_assignment, write_atomic, CmdResult, Failure,
    Overwrite, EXIT_FAILED, EXIT_OK, EXIT_USAGE,
};

mod audit;
mod lock;
mod revoke;

pub use audit::{audit, audit_then};
pub use lock::lock;
pub use revoke::revoke;

fn unsupported(rel: &str, what: &str) -> Problem {
    problem_from(
        ErrorCode::UnsupportedFileType,
        Some(rel),
        None,
        format!("{rel}: {what}"),
    )
}

/// ` at PATH` for a package keyed by its install path, else nothing.
fn at_path(key: &str, name: &str) -> Option<String> {
    (key != name).then(|| key.to_string())
}

/// The lock file of `root`: `None` when there is none.
fn read_lock(root: &Path) -> Result<Option<(Lockfile, Vec<u8>)>, Error> {
    let path = root.join(LOCK_FILE);
    match read_limited(&path, MAX_LOCK_BYTES)? {
        None => Ok(None),
        Some(bytes) => {
            let lock =
                Lockfile::parse(&bytes).map_err(|e| e.context(&path.display().to_string()))?;
            Ok(Some((lock, bytes)))
        }
    }
}

fn root_dir_ok(root: &Path) -> Result<(), Error> {
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::new(
            ErrorCode::NotFound,
            format!("{}: not a directory", root.display()),
        )),
        Err(e) => Err(omega_core::fs::io_error(root, &e)),
    }
}

/// A failure of the command itself (not of a package): exit 2, as text or JSON.
fn fatal(e: &Error, json_mode: bool, lockfile: &Path, lock_fields: bool) -> CmdResult {
    if json_mode {
        let mut v = json!({
            "ok": false,
            "code": e.code().as_str(),
            "message": e.message(),
            "lockfile": lockfile.display().to_string(),
            "packages": [],
            "problems": [],
        });
        if lock_fields {
            v["written"] = json!(false);
            v["removed"] = json!([]);
        }
        print_json(&v);
        Ok(EXIT_USAGE)
    } else {
        Err(Failure::Core(e.clone()))
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
