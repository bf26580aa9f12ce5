//! `omega lock` and `omega audit`: a project's `node_modules` against its `omega.lock`.
//!
//! Core finds the installed packages and their lock keys (`omega_core::installs`); this module
//! reads each package through core and hands every decision to core (`admit` for lock,
//! `check_packages` for audit).

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
use crate::out::{keys_text, print_json, problem_from, problem_line, progress, Paint};
use crate::util::{
    exit_for, parse_key_arg, read_small, split_assignment, write_atomic, CmdResult, Failure,
    Overwrite, EXIT_FAILED, EXIT_OK, EXIT_USAGE,
};

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

// ---------------------------------------------------------------------------------------------
// omega lock

/// The version of an unsigned package: `package.json`'s `"version"`, else `0.0.0`.
fn package_json_version(dir: &Path, rel: &str) -> Result<String, Error> {
    let Some(bytes) = read_limited(&dir.join("package.json"), MAX_MANIFEST_BYTES)? else {
        return Ok("0.0.0".to_string());
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            ErrorCode::Malformed,
            format!("{rel}/package.json: not valid JSON: {e}"),
        )
    })?;
    let version = v
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("0.0.0")
        .to_string();
    validate_version(&version).map_err(|e| e.context(&format!("{rel}/package.json")))?;
    Ok(version)
}

/// Reads one installed package and asks core whether it may be pinned, given the whole lock
/// (a new install of a pinned name is held to the name's pins).
fn admit_install(
    root: &Path,
    install: &Install,
    old: &LockIndex<'_>,
    trust: &[PublicKey],
    mode: PinMode,
) -> Result<Admission, Error> {
    let dir = root.join(&install.path);
    let rel = install.path.as_str();
    let pkg = read_installed_package(&dir).map_err(|e| e.context(rel))?;
    let manifest = match &pkg.manifest {
        Some(b) => Some(Manifest::parse(b).map_err(|e| e.context(rel))?),
        None => None,
    };
    let blocks = match &pkg.signatures {
        Some(b) => Some(SignatureBlock::parse_all(
            b,
            &format!("{rel}/{SIGNATURE_PATH}"),
        )?),
        None => None,
    };
    let unsigned_version;
    let (version, release) = match (&manifest, &blocks, &pkg.manifest) {
        (Some(m), Some(b), Some(bytes)) => (
            m.version.as_str(),
            Some(Release {
                manifest: m,
                manifest_bytes: bytes,
                signatures: b,
            }),
        ),
        (None, Some(_), _) => {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("{rel}: has {SIGNATURE_PATH} but no manifest, so nothing can be verified"),
            ))
        }
        _ => {
            unsigned_version = package_json_version(&dir, rel)?;
            (unsigned_version.as_str(), None)
        }
    };
    let candidate = Candidate {
        name: &install.name,
        path: &install.path,
        tree: pkg.listing.digest(),
        version,
        release,
    };
    let mut admission = admit_in_lock(
        old,
        &install.key,
        &candidate,
        trust,
        mode,
        LegacyPolicy::Refuse,
    )?;
    // An unchanged package may have moved (e.g. hoisted): record where it is now.
    admission.entry.path = install.path.clone();
    Ok(admission)
}

struct LockResult {
    install: Install,
    outcome: Result<Admission, Error>,
}

fn keyset_json(entry: &LockEntry) -> Value {
    match &entry.keys {
        None => Value::Null,
        Some(ks) => json!({
            "threshold": ks.threshold,
            "signers": ks.signers.iter().map(PublicKey::to_base64).collect::<Vec<_>>(),
            "next": ks.next.iter().map(PublicKey::to_base64).collect::<Vec<_>>(),
        }),
    }
}

fn lock_result_json(r: &LockResult) -> Value {
    let i = &r.install;
    match &r.outcome {
        Ok(a) => {
            let (change, first_sight, previous) = match &a.change {
                Change::New(how) => (
                    "new",
                    Some(match how {
                        FirstSight::TrustOnFirstUse => "trust-on-first-use",
                        FirstSight::Explicit => "explicit",
                        FirstSight::Unsigned => "unsigned",
                        FirstSight::PinnedName => "pinned-name",
                    }),
                    Value::Null,
                ),
                Change::Unchanged => ("unchanged", None, Value::Null),
                Change::Updated {
                    from_version,
                    from_sequence,
                } => (
                    "updated",
                    None,
                    json!({"version": from_version, "sequence": from_sequence}),
                ),
            };
            json!({
                "key": i.key, "name": i.name, "path": i.path, "ok": true,
                "change": change, "first_sight": first_sight,
                "version": a.entry.version, "sequence": a.entry.sequence,
                "tree": a.entry.tree.to_string(), "keys": keyset_json(&a.entry),
                "signed_by": a.entry.signed_by.iter().map(PublicKey::to_base64).collect::<Vec<_>>(),
                "previous": previous, "code": null, "message": null,
            })
        }
        Err(e) => json!({
            "key": i.key, "name": i.name, "path": i.path, "ok": false,
            "change": null, "first_sight": null, "version": null, "sequence": null,
            "tree": null, "keys": null, "signed_by": [], "previous": null,
            "code": e.code().as_str(), "message": e.message(),
        }),
    }
}

fn print_lock_result(p: Paint, r: &LockResult, committed: bool) {
    let (pinned, updated) = if committed {
        ("pinned", "updated")
    } else {
        ("would pin", "would update")
    };
    let i = &r.install;
    let who = &i.name;
    let at = at_path(&i.key, &i.name).map_or_else(String::new, |k| format!(" at {k}"));
    let a = match &r.outcome {
        Ok(a) => a,
        Err(e) => {
            say!(
                "{} {} {}",
                p.bad(e.code().as_str()),
                e.message(),
                p.dim(&format!("[{}]", i.path))
            );
            return;
        }
    };
    let e = &a.entry;
    let release = if e.keys.is_some() {
        format!("{who}@{} (sequence {}){at}", e.version, e.sequence)
    } else {
        format!("{who}@{}{at}", e.version)
    };
    match &a.change {
        Change::New(FirstSight::Unsigned) => say!(
            "{}  {release}: {} {}",
            p.warn(pinned),
            e.tree,
            p.warn("UNSIGNED: pinned by digest only")
        ),
        Change::New(how) => {
            let why = match how {
                FirstSight::Explicit => "signed by the key you trust",
                FirstSight::PinnedName => {
                    "a new install of a pinned name: signed by its pinned keys, not older"
                }
                _ => "trust on first use",
            };
            say!("{}  {release}: {} [{why}]", p.good(pinned), e.tree);
            say!("        signed by {}", keys_text(&e.signed_by));
            if let Some(ks) = &e.keys {
                say!(
                    "        next release needs {} of: {}{}",
                    ks.threshold,
                    keys_text(&ks.signers),
                    if ks.next.is_empty() {
                        String::new()
                    } else {
                        format!("; or next keys: {}", keys_text(&ks.next))
                    }
                );
            }
        }
        Change::Unchanged => say!("{}      {release}: unchanged", p.good("ok")),
        Change::Updated {
            from_version,
            from_sequence,
        } => {
            say!(
                "{} {who}{at} {from_version} (sequence {from_sequence}) -> {} (sequence {}): {}",
                p.good(updated),
                e.version,
                e.sequence,
                e.tree
            );
            say!("        signed by {}", keys_text(&a.signed_by));
            if let Some(ks) = &e.keys {
                say!(
                    "        next release needs {} of: {}",
                    ks.threshold,
                    keys_text(&ks.signers)
                );
            }
        }
    }
}

/// `omega lock`.
pub fn lock(a: &LockArgs) -> CmdResult {
    let lock_path = a.root.join(LOCK_FILE);
    let mut trust: BTreeMap<String, Vec<PublicKey>> = BTreeMap::new();
    for t in &a.trust {
        let (name, key) = split_assignment(t, "--trust")?;
        validate_name(name).map_err(|e| Failure::Core(e.context("--trust")))?;
        let key = parse_key_arg(key, &format!("--trust {name}"))?;
        let keys = trust.entry(name.to_string()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut repin: BTreeSet<String> = BTreeSet::new();
    for name in &a.repin {
        validate_name(name).map_err(|e| Failure::Core(e.context("--repin")))?;
        repin.insert(name.clone());
    }
    if let Err(e) = root_dir_ok(&a.root) {
        return fatal(&e, a.json, &lock_path, true);
    }
    let (old, old_bytes) = match read_lock(&a.root) {
        Ok(Some((l, b))) => (l, Some(b)),
        Ok(None) => (Lockfile::default(), None),
        Err(e) => return fatal(&e, a.json, &lock_path, true),
    };
    let modules = a.root.join(NESTED_MODULES_DIR);
    if !modules.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        let e = Error::new(
            ErrorCode::NotFound,
            format!(
                "{}: no node_modules directory (install the packages first)",
                a.root.display()
            ),
        );
        return fatal(&e, a.json, &lock_path, true);
    }
    let found = find_installs(&a.root);
    for name in trust.keys() {
        if !found.installs.iter().any(|i| &i.name == name) {
            let e = Error::new(
                ErrorCode::NotFound,
                format!("--trust {name}: no package {name} is installed"),
            );
            return fatal(&e, a.json, &lock_path, true);
        }
    }

    for name in &repin {
        if old.entries_of(name).next().is_none() {
            let e = Error::new(
                ErrorCode::NotFound,
                format!("--repin {name}: {name} is not pinned in {LOCK_FILE}"),
            );
            return fatal(&e, a.json, &lock_path, true);
        }
    }
    let index = LockIndex::new(&old);
    let pb = progress(found.installs.len(), "lock");
    let mut results = Vec::with_capacity(found.installs.len());
    for install in &found.installs {
        pb.set_message(install.path.clone());
        let none = Vec::new();
        let trusted = trust.get(&install.name).unwrap_or(&none);
        let mode = if repin.contains(&install.name) {
            PinMode::Repin
        } else {
            PinMode::Update
        };
        let outcome = validate_lock_key(&install.key)
            .and_then(|()| admit_install(&a.root, install, &index, trusted, mode));
        results.push(LockResult {
            install: install.clone(),
            outcome,
        });
        pb.inc(1);
    }
    pb.finish_and_clear();

    let mut problems: Vec<Problem> = found.problems;
    for r in &results {
        if let Err(e) = &r.outcome {
            problems.push(problem_from(
                e.code(),
                Some(&r.install.path),
                Some(&r.install.key),
                e.message().to_string(),
            ));
        }
    }
    let ok = problems.is_empty();
    let mut removed: Vec<String> = Vec::new();
    let mut written = false;
    if ok {
        let mut new_lock = Lockfile::default();
        for r in &results {
            if let Ok(adm) = &r.outcome {
                new_lock
                    .packages
                    .insert(r.install.key.clone(), adm.entry.clone());
            }
        }
        removed = old
            .packages
            .keys()
            .filter(|k| !new_lock.packages.contains_key(*k))
            .cloned()
            .collect();
        let bytes = new_lock.to_json_bytes();
        if old_bytes.as_deref() != Some(bytes.as_slice()) {
            write_atomic(&lock_path, &bytes, 0o644, Overwrite::Replace)?;
            written = true;
        }
    }

    if a.json {
        let first = problems.first();
        print_json(&json!({
            "ok": ok,
            "code": first.map(|p| p.code.as_str()),
            "message": summary_message(&problems),
            "lockfile": lock_path.display().to_string(),
            "written": written,
            "packages": results.iter().map(lock_result_json).collect::<Vec<_>>(),
            "removed": removed,
            "problems": problems.iter().map(Problem::json).collect::<Vec<_>>(),
        }));
    } else {
        let p = Paint::stdout();
        for r in &results {
            print_lock_result(p, r, ok);
        }
        for pr in problems.iter().filter(|pr| pr.key.is_none()) {
            say!("{}", problem_line(p, pr));
        }
        for k in &removed {
            say!("{} {k}: no longer installed", p.warn("removed"));
        }
        let n = results.len();
        if !ok {
            let refused = results.iter().filter(|r| r.outcome.is_err()).count();
            say!(
                "{}: {} not written ({refused} of {n} packages refused, {}); the pins it holds are unchanged",
                p.bad("refused"),
                lock_path.display(),
                plural(problems.len(), "problem")
            );
        } else if written {
            say!("wrote {} ({n} packages)", lock_path.display());
        } else {
            say!("{} is up to date ({n} packages)", lock_path.display());
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

// ---------------------------------------------------------------------------------------------
// omega audit

/// The `node_modules` directories of the project (relative to the root): the top one and the
/// nested one of every install that has it.
fn modules_dirs(root: &Path, found: &Installs) -> Vec<String> {
    let mut out = vec![NESTED_MODULES_DIR.to_string()];
    for i in &found.installs {
        let nested = format!("{}/{NESTED_MODULES_DIR}", i.path);
        if root
            .join(&nested)
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir())
        {
            out.push(nested);
        }
    }
    out
}

/// Checks every entry of each `node_modules/.bin` (npm scripts run them): each must be a link
/// that resolves to a file of a package pinned in `lock` below the same `node_modules` (core's
/// `bin_link_package` decides); anything else is a problem naming the entry.
fn audit_bin_dirs(root: &Path, lock: &Lockfile, found: &Installs) -> Vec<Problem> {
    let mut problems = Vec::new();
    let canonical_root = match fs::canonicalize(root) {
        Ok(r) => r,
        Err(e) => {
            let err = omega_core::fs::io_error(root, &e);
            problems.push(problem_from(
                err.code(),
                None,
                None,
                err.message().to_string(),
            ));
            return problems;
        }
    };
    for modules in modules_dirs(root, found) {
        let bin_rel = format!("{modules}/.bin");
        let bin = root.join(&bin_rel);
        match bin.symlink_metadata() {
            Err(_) => continue,
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                problems.push(unsupported(
                    &bin_rel,
                    "is not a directory (a link or a file); npm scripts run what it holds",
                ));
                continue;
            }
            Ok(_) => {}
        }
        let rd = match fs::read_dir(&bin) {
            Ok(rd) => rd,
            Err(e) => {
                let err = omega_core::fs::io_error(&bin, &e);
                problems.push(problem_from(
                    err.code(),
                    Some(&bin_rel),
                    None,
                    err.message().to_string(),
                ));
                continue;
            }
        };
        let mut names: Vec<std::ffi::OsString> = Vec::new();
        for ent in rd {
            match ent {
                Ok(e) => names.push(e.file_name()),
                Err(e) => {
                    let err = omega_core::fs::io_error(&bin, &e);
                    problems.push(problem_from(
                        err.code(),
                        Some(&bin_rel),
                        None,
                        err.message().to_string(),
                    ));
                }
            }
        }
        names.sort();
        for name in names {
            let Some(text) = name.to_str() else {
                problems.push(problem_from(
                    ErrorCode::UnsafePath,
                    Some(&bin_rel),
                    None,
                    format!("{bin_rel}: an entry's name is not valid UTF-8"),
                ));
                continue;
            };
            let link = format!("{bin_rel}/{text}");
            if let Err(pr) = check_bin_entry(root, &canonical_root, lock, &modules, &link) {
                problems.push(pr);
            }
        }
    }
    problems
}

/// One entry of a `.bin` directory: a link resolving to a pinned file.
fn check_bin_entry(
    root: &Path,
    canonical_root: &Path,
    lock: &Lockfile,
    modules: &str,
    link: &str,
) -> Result<(), Problem> {
    let path = root.join(link);
    let problem = |code: ErrorCode, message: String| problem_from(code, Some(link), None, message);
    let meta = path
        .symlink_metadata()
        .map_err(|e| problem(ErrorCode::Io, format!("{link}: {e}")))?;
    if !meta.file_type().is_symlink() {
        return Err(problem(
            ErrorCode::UnsupportedFileType,
            format!("{link}: not a link into a pinned package (npm scripts would run it)"),
        ));
    }
    let shown = fs::read_link(&path).map_or_else(|_| "?".to_string(), |t| t.display().to_string());
    let resolved = fs::canonicalize(&path).map_err(|_| {
        problem(
            ErrorCode::NotFound,
            format!("{link}: links to {shown}, which does not exist"),
        )
    })?;
    let outside = || {
        problem(
            ErrorCode::NotFound,
            format!("{link}: links to {shown}, outside the project; npm scripts would run it"),
        )
    };
    let rel = resolved
        .strip_prefix(canonical_root)
        .map_err(|_| outside())?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    let target = parts.ok_or_else(outside)?.join("/");
    if !fs::metadata(&resolved).is_ok_and(|m| m.is_file()) {
        return Err(problem(
            ErrorCode::UnsupportedFileType,
            format!("{link}: links to {target}, which is not a regular file"),
        ));
    }
    bin_link_package(lock, modules, link, &target)
        .map(|_| ())
        .map_err(|e| problem(e.code(), e.message().to_string()))
}

struct AuditResult {
    key: String,
    entry: LockEntry,
    outcome: Result<Report, Error>,
}

/// One package of `omega audit --json`: its lock key and path, then core's report object.
#[derive(Serialize)]
struct AuditPackageJson<'a> {
    key: &'a str,
    path: &'a str,
    #[serde(flatten)]
    check: ReportJson<'a>,
}

fn audit_result_json(r: &AuditResult) -> AuditPackageJson<'_> {
    AuditPackageJson {
        key: &r.key,
        path: &r.entry.path,
        check: crate::cmd_pkg::check_json(&r.outcome),
    }
}

/// The verdict line of a package that verified, described by its lock entry.
fn audit_ok_line(p: Paint, r: &AuditResult, rep: &Report) -> String {
    let name = package_name_of_key(&r.key).unwrap_or(&r.key);
    let at = at_path(&r.key, name).map_or_else(String::new, |k| format!(" at {k}"));
    let e = &r.entry;
    let how = if e.signed_by.is_empty() {
        format!(
            "{} {}",
            rep.tree,
            p.warn("(unsigned: pinned by digest only)")
        )
    } else {
        format!("{}, signed by {}", rep.tree, keys_text(&rep.signed_by))
    };
    let seq = if e.keys.is_some() {
        format!(" (sequence {})", e.sequence)
    } else {
        String::new()
    };
    format!("{} {name}@{}{seq}{at}: {how}", p.good("OK"), e.version)
}

/// `omega audit`.
pub fn audit(a: &AuditArgs) -> CmdResult {
    let lock_path = a.root.join(LOCK_FILE);
    if let Err(e) = root_dir_ok(&a.root) {
        return fatal(&e, a.json, &lock_path, false);
    }
    let lock = match read_lock(&a.root) {
        Ok(Some((l, _))) => l,
        Ok(None) => {
            let e = Error::new(
                ErrorCode::NotFound,
                format!(
                    "{}: no lock file (run omega lock first)",
                    lock_path.display()
                ),
            );
            return fatal(&e, a.json, &lock_path, false);
        }
        Err(e) => return fatal(&e, a.json, &lock_path, false),
    };
    let modules = a.root.join(NESTED_MODULES_DIR);
    let found = if modules.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        find_installs(&a.root)
    } else {
        Installs::default()
    };

    // Read every pinned package, then check them all with one batch of signatures.
    let entries: Vec<(&String, &LockEntry)> = lock.packages.iter().collect();
    let pb = progress(entries.len(), "audit");
    let mut read: Vec<Result<PackageDir, Error>> = Vec::with_capacity(entries.len());
    for (key, entry) in &entries {
        pb.set_message((*key).clone());
        let dir = a.root.join(&entry.path);
        let pkg = read_installed_package(&dir).map_err(|e| {
            if e.code() == ErrorCode::NotFound {
                Error::new(
                    ErrorCode::NotFound,
                    format!(
                        "{key}: pinned in {LOCK_FILE} but not installed at {}",
                        entry.path
                    ),
                )
            } else {
                e.context(key)
            }
        });
        read.push(pkg);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let pins: Vec<Pins> = entries.iter().map(|(_, e)| e.audit_pins()).collect();
    let inputs: Vec<_> = entries
        .iter()
        .zip(&read)
        .zip(&pins)
        .filter_map(|(((key, _), pkg), pins)| {
            pkg.as_ref().ok().map(|p| (p.input(key.as_str()), pins))
        })
        .collect();
    let mut checked = check_packages(&inputs).into_iter();
    let mut results = Vec::with_capacity(entries.len());
    // The signed `dependencies` of every package that verified with its pinned keys.
    let mut dependency_checks: Vec<(String, Manifest)> = Vec::new();
    for ((key, entry), pkg) in entries.iter().zip(read) {
        let outcome = match pkg {
            Ok(p) => {
                let outcome = checked.next().unwrap_or_else(|| {
                    Err(Error::new(ErrorCode::Io, "internal: missing check result"))
                });
                if outcome.is_ok() && !entry.signed_by.is_empty() {
                    if let Some(m) = p.manifest.as_deref().and_then(|b| Manifest::parse(b).ok()) {
                        if !m.dependencies.is_empty() {
                            dependency_checks.push(((*key).clone(), m));
                        }
                    }
                }
                outcome
            }
            Err(e) => Err(e),
        };
        results.push(AuditResult {
            key: (*key).clone(),
            entry: (*entry).clone(),
            outcome,
        });
    }

    // Installed packages that are not pinned, entries that are not packages, and commands of
    // node_modules/.bin that do not lead into pinned packages.
    let bin_problems = audit_bin_dirs(&a.root, &lock, &found);
    let pinned_paths: BTreeSet<&str> = lock.packages.values().map(|e| e.path.as_str()).collect();
    let mut extra: Vec<Problem> = found.problems;
    for i in &found.installs {
        if !pinned_paths.contains(i.path.as_str()) {
            extra.push(problem_from(
                ErrorCode::NotFound,
                Some(&i.path),
                None,
                format!(
                    "{}: installed but not pinned in {LOCK_FILE} (run omega lock)",
                    i.path
                ),
            ));
        }
    }
    extra.extend(bin_problems);
    let installed: Vec<&str> = found.installs.iter().map(|i| i.path.as_str()).collect();
    let dependents: Vec<(&str, &Manifest)> = dependency_checks
        .iter()
        .map(|(k, m)| (k.as_str(), m))
        .collect();
    extra.extend(dependency_problems(&lock, &installed, &dependents));

    let mut problems: Vec<Problem> = Vec::new();
    for r in &results {
        match &r.outcome {
            Ok(_) => {}
            Err(e) => match e.report() {
                Some(rep) => problems.extend(rep.problems.iter().cloned()),
                None => problems.push(problem_from(
                    e.code(),
                    Some(&r.entry.path),
                    Some(&r.key),
                    e.message().to_string(),
                )),
            },
        }
    }
    problems.extend(extra.iter().cloned());
    let ok = problems.is_empty();

    if a.json {
        let first = problems.first();
        print_json(&json!({
            "ok": ok,
            "code": first.map(|p| p.code.as_str()),
            "message": summary_message(&problems),
            "lockfile": lock_path.display().to_string(),
            "packages": results.iter().map(audit_result_json).collect::<Vec<_>>(),
            "problems": problems.iter().map(Problem::json).collect::<Vec<_>>(),
        }));
    } else {
        let p = Paint::stdout();
        for r in &results {
            match &r.outcome {
                Ok(rep) => say!("{}", audit_ok_line(p, r, rep)),
                Err(e) => match e.report() {
                    Some(rep) => {
                        for pr in &rep.problems {
                            say!("{}", problem_line(p, pr));
                        }
                    }
                    None => say!("{} {}", p.bad(e.code().as_str()), e.message()),
                },
            }
        }
        for pr in &extra {
            say!("{}", problem_line(p, pr));
        }
        let failed = results.iter().filter(|r| r.outcome.is_err()).count();
        let n = results.len();
        if ok {
            say!("audit: all {n} pinned packages verified");
        } else {
            let others = if extra.is_empty() {
                String::new()
            } else {
                format!("; {} not pinned or not a package", extra.len())
            };
            say!(
                "{}: {failed} of {n} pinned packages failed{others}; {} in all",
                p.bad("audit failed"),
                plural(problems.len(), "problem")
            );
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}

// ---------------------------------------------------------------------------------------------
// omega revoke

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
            rev.name,
            revoked.entries.join(", "),
            rev.reason
        );
        say!("wrote {}", lock_path.display());
    }
    Ok(EXIT_OK)
}
