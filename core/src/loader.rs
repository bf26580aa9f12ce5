//! What an enforcing loader (the Node package `omega-verify`, on either engine) asks of a lock
//! file, decided here once: which entry pins the package installed at a path (retired entries
//! pin none), what that entry's pins are (`LockEntry::audit_pins`: the tree, and every
//! `signed_by` key, all required; `KEY_REVOKED` for a signed entry whose signers were all
//! revoked), and how a caller's own pins combine with the lock's.

use alloc::format;

use crate::{Error, ErrorCode, LockEntry, Lockfile, Pins, Result};

impl Lockfile {
    /// The entry (with its lock key) whose `path` is `path`: the package's folder relative to
    /// the project root, `/`-separated, as `omega lock` writes it (`node_modules/a`,
    /// `node_modules/@s/b/node_modules/a`). `None` when no entry pins that folder; a retired
    /// entry (docs/format.md §4.7) pins nothing installed, so it is never the answer.
    pub fn entry_for_path(&self, path: &str) -> Option<(&str, &LockEntry)> {
        self.packages
            .iter()
            .find(|(_, e)| !e.retired && e.path == path)
            .map(|(k, e)| (k.as_str(), e))
    }
}

/// A caller's pins combined with the lock entry `locked` (at lock key `key`) of the same
/// package (`label` names the package, `lock` the lock file, in messages):
/// - the entry's audit pins come first: a signed entry whose signers were all revoked is
///   refused (`KEY_REVOKED`, [`LockEntry::audit_pins`]);
/// - a digest the caller pins must be the lock's (else `DIGEST_MISMATCH`); the lock's digest
///   is pinned either way;
/// - keys the caller pins are kept (with the caller's threshold); without them, the lock's
///   `signed_by` keys are pinned, all required (as `omega audit` checks the entry);
/// - the caller's legacy policy is kept.
pub fn merge_pins(
    caller: Pins,
    key: &str,
    locked: &LockEntry,
    label: &str,
    lock: &str,
) -> Result<Pins> {
    let audit = locked.audit_pins(key)?;
    if let Some(d) = caller.digest {
        if d != locked.tree {
            return Err(Error::new(
                ErrorCode::DigestMismatch,
                format!(
                    "{label}: the code pins {d}, but {lock} pins {}",
                    locked.tree
                ),
            ));
        }
    }
    let (keys, threshold) = if caller.keys.is_empty() {
        (audit.keys, audit.threshold)
    } else {
        (caller.keys, caller.threshold)
    };
    Ok(Pins {
        digest: Some(locked.tree),
        keys,
        threshold,
        legacy: caller.legacy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TreeDigest;

    const LOCK: &[u8] = br#"{
  "omega-lock": 1,
  "packages": {
    "ms": {
      "version": "2.1.3",
      "sequence": 0,
      "tree": "b2tree:130036ea55b1b15aba1af4aafbf6ffb086ef9e8ea64dac5280520a2760b8893d",
      "path": "node_modules/ms"
    },
    "node_modules/send/node_modules/ms": {
      "version": "2.0.0",
      "sequence": 0,
      "tree": "b2tree:0000000000000000000000000000000000000000000000000000000000000001",
      "path": "node_modules/send/node_modules/ms"
    }
  }
}
"#;

    #[test]
    fn entries_are_found_by_path_nested_ones_too() {
        let lock = Lockfile::parse(LOCK).unwrap();
        let (key, e) = lock.entry_for_path("node_modules/ms").unwrap();
        assert_eq!((key, e.version.as_str()), ("ms", "2.1.3"));
        let (key, e) = lock
            .entry_for_path("node_modules/send/node_modules/ms")
            .unwrap();
        assert_eq!(key, "node_modules/send/node_modules/ms");
        assert_eq!(e.version, "2.0.0");
        assert!(lock.entry_for_path("node_modules/send").is_none());
        assert!(lock.entry_for_path("ms").is_none());
    }

    #[test]
    fn fail_a_conflicting_digest_is_a_mismatch_and_the_lock_fills_in() {
        let lock = Lockfile::parse(LOCK).unwrap();
        let (_, e) = lock.entry_for_path("node_modules/ms").unwrap();
        let other = TreeDigest::parse(
            "b2tree:0000000000000000000000000000000000000000000000000000000000000001",
        )
        .unwrap();
        let err = merge_pins(Pins::digest(other), "ms", e, "ms", "omega.lock").unwrap_err();
        assert_eq!(err.code(), ErrorCode::DigestMismatch);
        assert!(err.message().contains("omega.lock pins b2tree:1300"));
        let same = merge_pins(Pins::digest(e.tree), "ms", e, "ms", "omega.lock").unwrap();
        assert_eq!(same, e.audit_pins("ms").unwrap());
        let none = merge_pins(
            Pins::keys(alloc::vec::Vec::new(), 0),
            "ms",
            e,
            "ms",
            "omega.lock",
        )
        .unwrap();
        assert_eq!(none.digest, Some(e.tree));
        assert_eq!(none.threshold, 0, "an unsigned entry pins no key");
    }

    #[test]
    fn fail_retired_entries_pin_no_folder() {
        let mut lock = Lockfile::parse(LOCK).unwrap();
        lock.packages.get_mut("ms").unwrap().retired = true;
        assert!(lock.entry_for_path("node_modules/ms").is_none());
        assert!(lock
            .entry_for_path("node_modules/send/node_modules/ms")
            .is_some());
    }

    #[test]
    fn fail_a_signed_entry_whose_signers_were_all_revoked_merges_to_key_revoked() {
        let lock = Lockfile::parse(LOCK).unwrap();
        let (_, e) = lock.entry_for_path("node_modules/ms").unwrap();
        let mut signed = e.clone();
        signed.keys = Some(crate::KeySet {
            threshold: 1,
            signers: alloc::vec::Vec::new(),
            next: alloc::vec::Vec::new(),
        });
        let err = merge_pins(Pins::digest(e.tree), "ms", &signed, "ms", "omega.lock").unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeyRevoked, "{err}");
    }
}
