//! `omega.lock` for the loader: parsed and validated by omega-core, returned as a list of
//! entries so that the JS side can find the entry of a package directory by its `path`.

use omega_core::lock::package_name_of_key;
use omega_core::{Lockfile, PublicKey, Result};
use serde_json::{json, Value};

/// The entries of the lock file `bytes`, in key order.
pub fn entries(bytes: &[u8]) -> Result<Value> {
    let lock = Lockfile::parse(bytes)?;
    let keys = |v: &[PublicKey]| v.iter().map(PublicKey::to_base64).collect::<Vec<_>>();
    Ok(Value::Array(
        lock.packages
            .iter()
            .map(|(key, e)| {
                json!({
                    "key": key,
                    "name": package_name_of_key(key),
                    "path": e.path,
                    "version": e.version,
                    "sequence": e.sequence,
                    "tree": e.tree.to_string(),
                    "keys": e.keys.as_ref().map(|ks| json!({
                        "threshold": ks.threshold,
                        "signers": keys(&ks.signers),
                        "next": keys(&ks.next),
                    })),
                    "signed_by": keys(&e.signed_by),
                    "revoked": keys(&e.revoked),
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use omega_core::ErrorCode;

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
