//! `omega.lock` for the loader: parsed and validated by omega-core and kept in this library's
//! memory (a handle per lock file). The loader asks it, by a package folder's path relative to
//! the project, for the entry's key and its pins (`Lockfile::entry_for_path`,
//! `LockEntry::audit_pins`, `omega_core::loader::merge_pins`; retired entries pin nothing,
//! a signed entry whose signers were all revoked is `KEY_REVOKED`): no lock parsing and no pin rule
//! in JS. `entries` (the list as JSON) stays for tools.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use omega_core::loader::merge_pins;
use omega_core::lock::package_name_of_key;
use omega_core::{Error, ErrorCode, LegacyPolicy, LockEntry, Lockfile, Pins, Result};
use serde_json::{json, Value};

use crate::pins::PinsArg;

fn locks() -> MutexGuard<'static, Vec<Arc<Lockfile>>> {
    static LOCKS: OnceLock<Mutex<Vec<Arc<Lockfile>>>> = OnceLock::new();
    LOCKS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Parses a lock file and keeps it: its handle.
pub fn open(bytes: &[u8]) -> Result<u32> {
    let lock = Lockfile::parse(bytes)?;
    let mut all = locks();
    let id = u32::try_from(all.len())
        .map_err(|_| Error::new(ErrorCode::TooLarge, "too many lock files opened"))?;
    all.push(Arc::new(lock));
    Ok(id)
}

fn get(id: u32) -> Result<Arc<Lockfile>> {
    locks()
        .get(id as usize)
        .cloned()
        .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no lock file number {id}")))
}

/// The key of the entry pinning the package folder `path` (relative, `/`-separated).
pub fn key_for(id: u32, path: &str) -> Result<Option<String>> {
    Ok(get(id)?.entry_for_path(path).map(|(k, _)| k.to_string()))
}

/// The entry pinning `path` and its key, or `NOT_FOUND`.
pub fn entry(id: u32, path: &str) -> Result<(String, LockEntry)> {
    get(id)?
        .entry_for_path(path)
        .map(|(k, e)| (k.to_string(), e.clone()))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!("no entry of the lock pins {path}"),
            )
        })
}

/// What the prefetch thread opens for lock `id`: every entry (retired ones left out) whose
/// audit pins are not refused, at `root`/its path, named in the cache as `open_locked_table`
/// names it.
pub fn prefetch_jobs(id: u32, root: &str) -> Result<Vec<crate::files::Job>> {
    let lock = get(id)?;
    Ok(lock
        .packages
        .iter()
        .filter(|(_, e)| !e.retired)
        .filter_map(|(key, e)| {
            let pins = e.audit_pins(key).ok()?;
            Some(crate::files::Job {
                dir: format!("{root}/{}", e.path),
                pins,
                pins_text: format!("lock\u{0}{id}\u{0}{}", e.path),
                label: key.clone(),
            })
        })
        .collect())
}

/// Pins as the JS side passes them on (to the promise form of a check).
pub fn pins_arg(p: &Pins) -> PinsArg {
    PinsArg {
        digest: p.digest.map(|d| d.to_string()),
        keys: (!p.keys.is_empty()).then(|| p.keys.iter().map(|k| k.to_base64()).collect()),
        threshold: Some(p.threshold),
        legacy: Some(p.legacy == LegacyPolicy::Allow),
    }
}

/// A caller's pins combined with the entry pinning `path` (`merge_pins`); `label` is the
/// package name asked for: an entry of another name is `NOT_FOUND`.
pub fn merged(id: u32, path: &str, caller: &PinsArg, label: &str, lock: &str) -> Result<PinsArg> {
    let (key, e) = entry(id, path)?;
    let name = package_name_of_key(&key).unwrap_or(&key);
    if name != label {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("{label}: the entry of {path} in {lock} is package {name}, not {label}"),
        ));
    }
    let mut caller = caller.to_pins()?;
    if caller.keys.is_empty() {
        caller.threshold = 0;
    }
    Ok(pins_arg(&merge_pins(caller, &key, &e, label, lock)?))
}

/// The entries of the lock file `bytes`, in key order (`Lockfile::entries_json`).
pub fn entries(bytes: &[u8]) -> Result<Value> {
    Ok(serde_json::to_value(Lockfile::parse(bytes)?.entries_json()).unwrap_or_default())
}

/// Applies a signed revocation statement to the lock file `lock` (`omega_core::revoke`: every
/// entry of the statement's package, all or nothing) and returns `{lock, entries}`: the new
/// lock file's text and the lock keys of the entries that lost the key.
pub fn revoke(lock: &[u8], statement: &[u8], signature: &[u8]) -> Result<Value> {
    let r = omega_core::revoke(lock, statement, signature, LegacyPolicy::Refuse)?;
    let text = String::from_utf8(r.lock).map_err(|_| {
        Error::new(
            ErrorCode::Malformed,
            "omega.lock: the new lock is not UTF-8",
        )
    })?;
    Ok(json!({ "lock": text, "entries": r.entries }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_name_their_package() {
        let lock = br#"{
  "omega-lock": 1,
  "packages": {
    "node_modules/send/node_modules/ms": {
      "version": "2.0.0",
      "sequence": 0,
      "tree": "b2tree:130036ea55b1b15aba1af4aafbf6ffb086ef9e8ea64dac5280520a2760b8893d",
      "path": "node_modules/send/node_modules/ms"
    }
  }
}
"#;
        let v = entries(lock).unwrap();
        assert_eq!(v[0]["name"], json!("ms"));
        assert_eq!(v[0]["keys"], Value::Null);
        assert_eq!(v[0]["signed_by"], json!([]));
    }

    #[test]
    fn unknown_fields_are_malformed() {
        let e = entries(br#"{"omega-lock": 1, "packages": {}, "extra": 1}"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed);
    }
}
