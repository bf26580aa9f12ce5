//! `omega audit`: verifies every pinned package with one batch of signatures (core's
//! `check_packages`), and reports installs that are not pinned.

use super::*;

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
    audit_then(a, |_| Ok(None))
}

/// `omega audit`, then `online` when every package verified (`omega audit --online`): with
/// `--json`, the object `online` returns is added to the audit's as `"online"`, so one JSON
/// object is printed; an error of `online` is printed as the command's error instead.
pub fn audit_then(
    a: &AuditArgs,
    online: impl FnOnce(bool) -> Result<Option<serde_json::Value>, Failure>,
) -> CmdResult {
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
    // Retired entries (names no longer installed, docs/format.md §4.7) are not audited.
    let entries: Vec<(&String, &LockEntry)> =
        lock.packages.iter().filter(|(_, e)| !e.retired).collect();
    // A signed pin left without a valid signer is refused before its files are read.
    let pins: Vec<Result<Pins, Error>> = entries.iter().map(|(k, e)| e.audit_pins(k)).collect();
    let pb = progress(entries.len(), "audit");
    let mut read: Vec<Result<PackageDir, Error>> = Vec::with_capacity(entries.len());
    for ((key, entry), pins) in entries.iter().zip(&pins) {
        pb.set_message((*key).clone());
        if let Err(e) = pins {
            read.push(Err(e.clone()));
            pb.inc(1);
            continue;
        }
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
    let inputs: Vec<_> = entries
        .iter()
        .zip(&read)
        .zip(&pins)
        .filter_map(|(((key, _), pkg), pins)| match (pkg, pins) {
            (Ok(p), Ok(pins)) => Some((p.input(key.as_str()), pins)),
            _ => None,
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
    let pinned_paths: BTreeSet<&str> = lock
        .packages
        .values()
        .filter(|e| !e.retired)
        .map(|e| e.path.as_str())
        .collect();
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
        let mut value = json!({
            "ok": ok,
            "code": first.map(|p| p.code.as_str()),
            "message": summary_message(&problems),
            "lockfile": lock_path.display().to_string(),
            "packages": results.iter().map(audit_result_json).collect::<Vec<_>>(),
            "problems": problems.iter().map(Problem::json).collect::<Vec<_>>(),
        });
        if ok {
            if let (Some(extra), Some(obj)) = (online(true)?, value.as_object_mut()) {
                obj.insert("online".into(), extra);
            }
        }
        print_json(&value);
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
                    None => say!("{} {}", p.bad(e.code().as_str()), shown(e.message())),
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
        if ok {
            online(false)?;
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}
