//! Installed packages of a project (DESIGN §3.5): the scan of `ROOT/node_modules` (nested
//! installs, `@scope/` folders; links, stray files and unreadable entries reported, never
//! followed) and the lock-key rule — the shallowest install of a name is keyed by the name
//! (ties broken by path), every other install by its path.
//!
//! The lock-key rule ([`assign_lock_keys`]) is plain data and builds without `std`; the scan
//! ([`find_installs`]) reads directories and needs the `std` feature. `omega lock`, `omega
//! audit` and the Node loader all call these, so that every runtime agrees on which directory
//! a lock entry names.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use crate::report::Problem;

/// A package directory found below `ROOT/node_modules`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Install {
    /// Path relative to the root, `/`-separated (`node_modules/@scope/pkg`).
    pub path: String,
    /// Package name, from the directory layout.
    pub name: String,
    /// How many `node_modules` levels deep (0 for `ROOT/node_modules/<name>`).
    pub depth: usize,
    /// Lock key: the name for the shallowest install of a name, else the path (see
    /// [`assign_lock_keys`]).
    pub key: String,
}

/// Every package installed below `ROOT/node_modules`, with lock keys assigned and sorted by
/// path, and the entries that are not package directories (links, stray files, unreadable
/// folders) as problems naming them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Installs {
    /// The package directories, sorted by path (bytewise).
    pub installs: Vec<Install>,
    /// Entries that are not package directories, in scan order.
    pub problems: Vec<Problem>,
}

/// The lock-key rule: sorts `installs` by depth then path, gives each name to its shallowest
/// install and the path to every other one, then sorts by path (bytewise).
pub fn assign_lock_keys(installs: &mut [Install]) {
    installs.sort_by(|a, b| (a.depth, a.path.as_bytes()).cmp(&(b.depth, b.path.as_bytes())));
    let mut used: BTreeSet<String> = BTreeSet::new();
    for i in installs.iter_mut() {
        i.key = if used.insert(i.name.clone()) {
            i.name.clone()
        } else {
            i.path.clone()
        };
    }
    installs.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
}

#[cfg(feature = "std")]
pub use scan::find_installs;

#[cfg(feature = "std")]
mod scan {
    extern crate std;

    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use std::fs;
    use std::path::Path;

    use super::{assign_lock_keys, Install, Installs};
    use crate::error::ErrorCode;
    use crate::fs::{io_error, NESTED_MODULES_DIR};
    use crate::report::Problem;

    fn problem(code: ErrorCode, rel: &str, message: String) -> Problem {
        Problem {
            code,
            path: Some(rel.to_string()),
            key: None,
            message,
        }
    }

    fn unsupported(rel: &str, what: &str) -> Problem {
        problem(
            ErrorCode::UnsupportedFileType,
            rel,
            format!("{rel}: {what}"),
        )
    }

    /// The entries of a directory, sorted by name, dot-entries left out (`.bin`,
    /// `.package-lock.json`, …).
    fn entries(dir: &Path, rel: &str, problems: &mut Vec<Problem>) -> Vec<(String, fs::FileType)> {
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                let err = io_error(dir, &e);
                problems.push(problem(err.code(), rel, err.message().to_string()));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for ent in rd {
            let ent = match ent {
                Ok(e) => e,
                Err(e) => {
                    let err = io_error(dir, &e);
                    problems.push(problem(err.code(), rel, err.message().to_string()));
                    continue;
                }
            };
            let Some(name) = ent.file_name().to_str().map(str::to_string) else {
                problems.push(problem(
                    ErrorCode::UnsafePath,
                    rel,
                    format!("{rel}: an entry's name is not valid UTF-8"),
                ));
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            match ent.file_type() {
                Ok(ft) => out.push((name, ft)),
                Err(e) => {
                    let err = io_error(&ent.path(), &e);
                    problems.push(problem(err.code(), rel, err.message().to_string()));
                }
            }
        }
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        out
    }

    /// Whether `ft` is a real directory; otherwise records why it is not a package.
    fn package_dir_ok(ft: &fs::FileType, rel: &str, problems: &mut Vec<Problem>) -> bool {
        if ft.is_symlink() {
            problems.push(unsupported(
                rel,
                "is a symbolic link (npm link, pnpm); Ωpm checks package directories in place and does not follow links",
            ));
            false
        } else if !ft.is_dir() {
            problems.push(unsupported(rel, "is not a package directory"));
            false
        } else {
            true
        }
    }

    /// A folder named `node_modules` directly inside a `node_modules` or scope folder: Node's
    /// ESM resolver looks there for dependencies (`node_modules/node_modules/<dep>`), CommonJS
    /// does not, so it could shadow a pinned dependency for `import` only; refused
    /// (docs/format.md §4.1).
    fn nested_modules_folder(name: &str, rel: &str, problems: &mut Vec<Problem>) -> bool {
        if !name.eq_ignore_ascii_case(NESTED_MODULES_DIR) {
            return false;
        }
        problems.push(problem(
            ErrorCode::UnsafePath,
            rel,
            format!("{rel}: a folder named node_modules inside a node_modules or scope folder; Node's ESM resolver would look for dependencies in it (not a package name npm allows)"),
        ));
        true
    }

    fn scan(root: &Path, modules_rel: &str, depth: usize, found: &mut Installs) {
        let dir = root.join(modules_rel);
        for (name, ft) in entries(&dir, modules_rel, &mut found.problems) {
            let rel = format!("{modules_rel}/{name}");
            if nested_modules_folder(&name, &rel, &mut found.problems)
                || !package_dir_ok(&ft, &rel, &mut found.problems)
            {
                continue;
            }
            if name.starts_with('@') {
                for (sub, sft) in entries(&root.join(&rel), &rel, &mut found.problems) {
                    let sub_rel = format!("{rel}/{sub}");
                    if nested_modules_folder(&sub, &sub_rel, &mut found.problems) {
                        continue;
                    }
                    if package_dir_ok(&sft, &sub_rel, &mut found.problems) {
                        add_install(root, format!("{name}/{sub}"), sub_rel, depth, found);
                    }
                }
            } else {
                add_install(root, name, rel, depth, found);
            }
        }
    }

    fn add_install(root: &Path, name: String, rel: String, depth: usize, found: &mut Installs) {
        let nested = format!("{rel}/{NESTED_MODULES_DIR}");
        found.installs.push(Install {
            path: rel,
            key: String::new(),
            name,
            depth,
        });
        match root.join(&nested).symlink_metadata() {
            Ok(m) if m.is_dir() => scan(root, &nested, depth + 1, found),
            Ok(m) => {
                if m.file_type().is_symlink() {
                    found.problems.push(unsupported(
                        &nested,
                        "is a symbolic link; Ωpm does not follow links",
                    ));
                }
                // A plain file named node_modules is part of the package's files.
            }
            Err(_) => {}
        }
    }

    /// Finds the packages installed below `root/node_modules` (nested installs included) and
    /// assigns their lock keys ([`assign_lock_keys`]). Links are reported, never followed.
    pub fn find_installs(root: &Path) -> Installs {
        let mut found = Installs::default();
        scan(root, NESTED_MODULES_DIR, 0, &mut found);
        assign_lock_keys(&mut found.installs);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn install(path: &str, name: &str, depth: usize) -> Install {
        Install {
            path: path.to_string(),
            name: name.to_string(),
            depth,
            key: String::new(),
        }
    }

    #[test]
    fn the_shallowest_install_gets_the_name_the_others_their_path() {
        let mut v = [
            install("node_modules/b/node_modules/a", "a", 1),
            install("node_modules/c/node_modules/a", "a", 1),
            install("node_modules/z/node_modules/q", "q", 1),
            install("node_modules/a", "a", 0),
            install("node_modules/d/node_modules/q", "q", 1),
        ];
        assign_lock_keys(&mut v);
        let got: Vec<(&str, &str)> = v
            .iter()
            .map(|i| (i.path.as_str(), i.key.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("node_modules/a", "a"),
                (
                    "node_modules/b/node_modules/a",
                    "node_modules/b/node_modules/a"
                ),
                (
                    "node_modules/c/node_modules/a",
                    "node_modules/c/node_modules/a"
                ),
                // Same depth: the tie goes to the smaller path.
                ("node_modules/d/node_modules/q", "q"),
                (
                    "node_modules/z/node_modules/q",
                    "node_modules/z/node_modules/q"
                ),
            ]
        );
    }
}
