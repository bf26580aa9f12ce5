//! What an enforcing loader (the Node package `omega-verify`, on either engine) asks of a lock
//! file, decided here once: which entry pins the package installed at a path (retired entries
//! pin none), what that entry's pins are (`LockEntry::audit_pins`: the tree, and every
//! `signed_by` key, all required; `KEY_REVOKED` for a signed entry whose signers were all
//! revoked), and how a caller's own pins combine with the lock's; and what a loader keeps
//! for a package it opened, a verified file [`Table`], with the checks every later file is
//! put through (sizes first, then contents), so that both engines (the native addon and the
//! WebAssembly build, which reads files through Node's `fs`) judge files with this one code.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::check::{
    check_manifest_listing, check_package, compare_files, file_problem, PackageInput, Problem,
};
use crate::manifest::Manifest;
use crate::tree::{is_metadata_path, FileEntry, FileKind, TreeListing};
use crate::{Error, ErrorCode, LockEntry, Lockfile, Pins, Report, Result};

/// A package's verified file table, as a loader keeps it for the life of a process: the
/// report of the check that verified it, the files it lists (sorted by path), and the signed
/// dependency pins of its verified manifest. Every file that loads later is compared with it.
#[derive(Clone, Debug)]
pub struct Table {
    /// The report of the check that verified the table.
    pub report: Report,
    /// The files, sorted by path (as a [`TreeListing`] keeps them).
    pub files: Vec<FileEntry>,
    /// The verified manifest's signed `dependencies` pins (name, `b2tree:` text); empty for a
    /// package without a manifest.
    pub dependencies: Vec<(String, String)>,
}

fn dependencies_of(manifest: &Manifest) -> Vec<(String, String)> {
    manifest
        .dependencies
        .iter()
        .map(|(name, digest)| (name.clone(), digest.to_string()))
        .collect()
}

impl Table {
    /// The table of a signed package from its manifest alone, no file read: core checks the
    /// manifest (parse, signatures by the pinned keys) and that its own file list hashes to
    /// the pinned digest (`check_package` over that list), and the list is the table.
    pub fn from_manifest(
        label: &str,
        manifest: &[u8],
        signatures: Option<&[u8]>,
        pins: &Pins,
    ) -> Result<Table> {
        let m = Manifest::parse(manifest)
            .map_err(|e| e.context(&format!("{label}/{}", crate::manifest::MANIFEST_PATH)))?;
        let dependencies = dependencies_of(&m);
        // The parse checked the list as `TreeListing::new` would (valid paths, sorted, no
        // collisions), and the check below takes the parsed manifest: one parse per table.
        let listed = TreeListing::from_valid_sorted(m.files.clone());
        let report = check_manifest_listing(
            PackageInput {
                label,
                files: &listed,
                manifest: Some(manifest),
                signatures,
            },
            pins,
            m,
        )?;
        Ok(Table {
            report,
            files: listed.into_entries(),
            dependencies,
        })
    }

    /// The table of a package from its files as read (`listing`, with its manifest and
    /// signatures when it has them): `check_package` over them, and the files are the table.
    pub fn from_files(
        label: &str,
        listing: TreeListing,
        manifest: Option<&[u8]>,
        signatures: Option<&[u8]>,
        pins: &Pins,
    ) -> Result<Table> {
        let report = check_package(
            PackageInput {
                label,
                files: &listing,
                manifest,
                signatures,
            },
            pins,
        )?;
        // Accepted by the check, so it parses; a package without a manifest pins nothing.
        let dependencies = match manifest.map(Manifest::parse) {
            Some(Ok(m)) => dependencies_of(&m),
            _ => Vec::new(),
        };
        Ok(Table {
            report,
            files: listing.into_entries(),
            dependencies,
        })
    }

    /// The error for `problem`: the table's report with that one problem.
    pub fn refuse(&self, problem: Problem) -> Error {
        let package = self.report.package.clone();
        let mut report = self.report.clone();
        report.problems = alloc::vec![problem];
        match report.into_result() {
            Ok(_) => Error::new(ErrorCode::FileChanged, format!("{package}: a file")),
            Err(e) => e,
        }
    }

    /// The entry of the file `rel` (its path in the package, `/`-separated), or the refusal:
    /// `FILE_EXTRA` for a path that is not listed or lies in the package's top-level `.omega/`.
    pub fn entry(&self, rel: &str) -> Result<&FileEntry> {
        let package = self.report.package.as_str();
        if is_metadata_path(rel) {
            return Err(self.refuse(file_problem(
                package,
                ErrorCode::FileExtra,
                rel,
                "is in the package's .omega/ folder (signing metadata, not a file of the package)",
            )));
        }
        match self
            .files
            .binary_search_by(|f| f.path.as_bytes().cmp(rel.as_bytes()))
        {
            Ok(i) => self
                .files
                .get(i)
                .ok_or_else(|| Error::new(ErrorCode::NotFound, rel)),
            Err(_) => Err(self.refuse(file_problem(
                package,
                ErrorCode::FileExtra,
                rel,
                "is not listed in the manifest",
            ))),
        }
    }

    /// A `package.json` that Node reads to resolve or load the package's files (its top-level
    /// one, or a folder's: [`crate::layout::Scope`]), `present` or not on disk: whether the host
    /// must compare it with its entry (listed and present). A listed one that is absent is
    /// `FILE_MISSING` (Node would read the folder above's in its place), an unlisted one that
    /// is present `FILE_EXTRA` (its `type` or `main` would steer how verified files load;
    /// threat model N22).
    pub fn scope(&self, rel: &str, present: bool) -> Result<bool> {
        match (self.listed_size(rel).is_some(), present) {
            (true, true) => Ok(true),
            (false, false) => Ok(false),
            (true, false) => Err(self.refuse(file_problem(
                &self.report.package,
                ErrorCode::FileMissing,
                rel,
                "is missing",
            ))),
            (false, true) => self.entry(rel).map(|_| false),
        }
    }

    /// A package with no `package.json` of its own (none listed, none there): the one at the
    /// absolute `path` that Node's scope lookup reads in its place
    /// ([`crate::layout::package_json_above`]: a scope folder's), `present` on disk or not.
    /// No package lists it, and its `type` would decide how the package's files load, so it
    /// must be absent (`FILE_EXTRA`, naming it; threat model N22). Nothing to check when the
    /// package lists a `package.json`: Node then stops at that one, which must be there.
    pub fn scope_above(&self, path: &str, present: bool) -> Result<()> {
        if !present || self.listed_size("package.json").is_some() {
            return Ok(());
        }
        Err(self.refuse(file_problem(
            &self.report.package,
            ErrorCode::FileExtra,
            path,
            "is read by Node for this package's files (it has no package.json of its own), and no package lists it",
        )))
    }

    /// The listed size of the file `rel`, or `None` when it is not listed (no refusal is built:
    /// a cheap lookup for the paths-first comparison of [`crate::listed::open_tree_table`]).
    pub fn listed_size(&self, rel: &str) -> Option<u64> {
        if is_metadata_path(rel) {
            return None;
        }
        self.files
            .binary_search_by(|f| f.path.as_bytes().cmp(rel.as_bytes()))
            .ok()
            .and_then(|i| self.files.get(i))
            .map(|e| e.size)
    }

    /// Whether a file of size `size` (as `fstat` gives it, before a byte is read) may be the
    /// file `rel`: its entry, or the refusal (`FILE_EXTRA`, or `FILE_CHANGED` for another size).
    pub fn entry_sized(&self, rel: &str, size: u64) -> Result<&FileEntry> {
        let e = self.entry(rel)?;
        if e.size != size {
            return Err(self.refuse(file_problem(
                &self.report.package,
                ErrorCode::FileChanged,
                rel,
                "has changed contents",
            )));
        }
        Ok(e)
    }

    /// Compares the bytes read for the file `rel` (of kind `kind`) with its entry: `Ok` when
    /// size, kind and BLAKE2b-256 are the entry's, else the refusal (`FILE_CHANGED`,
    /// `FILE_EXTRA`), carrying the table's report with that problem.
    pub fn check_bytes(&self, rel: &str, kind: FileKind, bytes: &[u8]) -> Result<()> {
        // A listed path is a valid one: the entry's own `RelPath` names the bytes read.
        let path = self.entry(rel)?.path.clone();
        self.check_entry(&FileEntry::from_contents(path, kind, bytes))
    }

    /// [`Table::check_bytes`] for a file already measured and hashed (`actual.path` is its
    /// path in the package).
    pub fn check_entry(&self, actual: &FileEntry) -> Result<()> {
        let expected = self.entry(&actual.path)?;
        let actual = actual.clone();
        let problems = compare_files(
            &self.report.package,
            core::slice::from_ref(expected),
            &[actual],
        );
        match problems.into_iter().next() {
            None => Ok(()),
            Some(p) => Err(self.refuse(p)),
        }
    }

    /// Sizes first: the first problem (in path order) between the table and the files found on
    /// disk, `found` = (path, size) as a directory walk and `lstat` give them, before any byte
    /// is read: a missing or extra file, or one of another size. `None` when paths and sizes
    /// all agree (contents are then compared file by file with [`Table::check_bytes`]).
    pub fn first_size_problem(&self, mut found: Vec<(String, u64)>) -> Option<Problem> {
        found.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let package = self.report.package.as_str();
        let (mut i, mut j) = (0, 0);
        loop {
            let ord = match (self.files.get(i), found.get(j)) {
                (Some(e), Some(a)) => e.path.as_bytes().cmp(a.0.as_bytes()),
                (Some(_), None) => core::cmp::Ordering::Less,
                (None, Some(_)) => core::cmp::Ordering::Greater,
                (None, None) => return None,
            };
            match ord {
                core::cmp::Ordering::Less => {
                    let path = self.files.get(i).map_or("", |e| e.path.as_str());
                    return Some(file_problem(
                        package,
                        ErrorCode::FileMissing,
                        path,
                        "is missing",
                    ));
                }
                core::cmp::Ordering::Greater => {
                    let path = found.get(j).map_or("", |a| a.0.as_str());
                    return Some(file_problem(
                        package,
                        ErrorCode::FileExtra,
                        path,
                        "is not listed in the manifest",
                    ));
                }
                core::cmp::Ordering::Equal => {
                    if let (Some(e), Some(a)) = (self.files.get(i), found.get(j)) {
                        if e.size != a.1 {
                            return Some(file_problem(
                                package,
                                ErrorCode::FileChanged,
                                &e.path,
                                "has changed contents",
                            ));
                        }
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
    }
}

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
