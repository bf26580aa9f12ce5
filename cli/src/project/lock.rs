//! `omega lock`: pins every installed package into `omega.lock` (core's `admit_in_lock`).

use super::*;

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
    // An unchanged package may have moved (e.g. hoisted): the entry admitted records where it
    // is now (`candidate.path`, parsed into the entry's `RelPath` by `admit_in_lock`).
    let admission = admit_in_lock(
        old,
        &install.key,
        &candidate,
        trust,
        mode,
        LegacyPolicy::Refuse,
    )?;
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
    let who = shown(&i.name);
    let at = at_path(&i.key, &i.name).map_or_else(String::new, |k| format!(" at {}", shown(&k)));
    let a = match &r.outcome {
        Ok(a) => a,
        Err(e) => {
            say!(
                "{} {} {}",
                p.bad(e.code().as_str()),
                shown(e.message()),
                p.dim(&format!("[{}]", shown(&i.path)))
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
    let mut forget: BTreeSet<String> = BTreeSet::new();
    for name in &a.forget {
        if let Err(e) = validate_name(name) {
            return fatal(&e.context("--forget"), a.json, &lock_path, true);
        }
        let why = if old.entries_of(name).next().is_none() {
            Some(format!("{name} is not pinned in {LOCK_FILE}"))
        } else if found.installs.iter().any(|i| &i.name == name) {
            Some(format!(
                "{name} is installed (to set aside its pins, use --repin {name})"
            ))
        } else {
            None
        };
        if let Some(why) = why {
            let e = Error::new(ErrorCode::NotFound, format!("--forget {name}: {why}"));
            return fatal(&e, a.json, &lock_path, true);
        }
        forget.insert(name.clone());
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
    // Names no longer installed: their pins are kept as retired entries (docs/format.md §4.7),
    // unless --forget drops them.
    let mut retired: Vec<LockEntry> = Vec::new();
    let mut retired_names: Vec<String> = Vec::new();
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
        let installed_names: BTreeSet<&str> =
            found.installs.iter().map(|i| i.name.as_str()).collect();
        let absent: BTreeSet<&str> = old
            .packages
            .keys()
            .filter_map(|k| package_name_of_key(k))
            .filter(|n| !installed_names.contains(n) && !forget.contains(*n))
            .collect();
        for name in absent {
            if let Some(e) = old.retired_entry(name) {
                if !old.packages.get(name).is_some_and(|o| o.retired) {
                    retired.push(e.clone());
                    retired_names.push(name.to_string());
                }
                new_lock.packages.insert(name.to_string(), e);
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
            "retired": retired_names,
            "forgotten": forget.iter().collect::<Vec<_>>(),
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
        for (name, e) in retired_names.iter().zip(&retired) {
            let seq = if e.keys.is_some() {
                format!(" (sequence {})", e.sequence)
            } else {
                String::new()
            };
            say!(
                "{} {name}@{}{seq}: no longer installed; its pins (keys, sequence floor, revoked keys) stay in {LOCK_FILE} as retired, and a returning {name} is admitted as an update (omega lock --forget {name} drops them)",
                p.warn("retired"),
                e.version
            );
        }
        for name in &forget {
            if ok {
                say!(
                    "{} {name}: its pins, sequence floor and revoked keys are dropped; a returning {name} is pinned as if first seen",
                    p.warn("forgot")
                );
            }
        }
        for k in removed.iter().filter(|k| !retired_names.contains(k)) {
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
