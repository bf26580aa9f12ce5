//! Helpers for the registry tests (cli/tests/registry_*.rs): make a registry folder, pack and
//! publish packages, read the refusal code, snapshot a folder.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{omega, pack, write_tree, Key, Run};

/// The code of a refusal (`omega: CODE: …` on stderr), if any (notes such as `omega: first
/// use of …` are skipped: a code is upper case).
pub fn code(run: &Run) -> Option<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("omega: "))
        .filter_map(|l| l.split(':').next())
        .find(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'))
        .map(str::to_string)
}

/// Asserts a refusal with `status` and `expected` code.
#[track_caller]
pub fn refused(run: Run, status: i32, expected: &str) -> Run {
    let run = run.expect(status);
    assert_eq!(
        code(&run).as_deref(),
        Some(expected),
        "expected {expected}\n--- stderr\n{}",
        run.stderr
    );
    run
}

/// `omega registry init ROOT/NAME --origin ORIGIN --mode MODE --janitor … -s … EXTRA…`.
pub fn init(
    root: &Path,
    name: &str,
    origin: &str,
    mode: &str,
    janitors: &[&Key],
    extra: &[&str],
) -> PathBuf {
    let dir = root.join(name);
    let mut args: Vec<String> = vec![
        "registry".into(),
        "init".into(),
        dir.to_str().unwrap().into(),
        "--origin".into(),
        origin.into(),
        "--mode".into(),
        mode.into(),
    ];
    for j in janitors {
        args.push("--janitor".into());
        args.push(j.key.clone());
    }
    for j in janitors {
        args.push("-s".into());
        args.push(j.sec().into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    omega(root, &refs).expect(0);
    dir
}

/// A packed package ROOT/<dir> with one file whose contents depend on the version.
pub fn packed(root: &Path, dir: &str, name: &str, version: &str, seq: u64, key: &Key) -> PathBuf {
    let pkg = root.join(dir);
    let body = format!("module.exports = {{ name: {name:?}, version: {version:?} }};\n");
    write_tree(
        &pkg,
        &[("index.js", body.as_str()), ("package.json", "{}\n")],
    );
    pack(root, &pkg, name, version, seq, key, &[]);
    pkg
}

/// `omega publish PKG --registry REG -s KEY…`.
pub fn publish(root: &Path, pkg: &Path, reg: &Path, keys: &[&Key]) -> Run {
    let mut args = vec![
        "publish",
        pkg.to_str().unwrap(),
        "--registry",
        reg.to_str().unwrap(),
    ];
    for k in keys {
        args.push("-s");
        args.push(k.sec());
    }
    omega(root, &args)
}

/// The log vkey of a registry (its policy's `log` line).
pub fn log_key(reg: &Path) -> String {
    fs::read_to_string(reg.join("policy"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("log "))
        .unwrap()
        .to_string()
}

/// The checkpoint's size.
pub fn size(reg: &Path) -> u64 {
    fs::read_to_string(reg.join("checkpoint"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// Every file below `dir` (dot files included) with its bytes; the lock file and the
/// writers' state cache (`.state`, rebuilt at will) left out.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.file_name().unwrap() != ".lock" && p.file_name().unwrap() != ".state" {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            fs::copy(&p, &t).unwrap();
        }
    }
}
