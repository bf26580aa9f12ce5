//! `omega.lock` for the loader: parsed and validated by omega-core, returned as a list of
//! entries so that the JS side can find the entry of a package directory by its `path`.

use omega_core::{Error, ErrorCode, LegacyPolicy, Lockfile, Result};
use serde_json::{json, Value};

/// The entries of the lock file `bytes`, in key order (`Lockfile::entries_json`).
pub fn entries(bytes: &[u8]) -> Result<Value> {
    Ok(Lockfile::parse(bytes)?.entries_json())
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
