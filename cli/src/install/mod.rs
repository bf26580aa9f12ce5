//! `omega install`, `omega update`, `omega status` and the registry part of `omega audit
//! --online` (REGISTRY.md R6, R7): this module fetches bytes and writes files; every rule is
//! core's (`omega_core::client`).
//!
//! | module | owns |
//! |---|---|
//! | this file | the commands: resolve, verify, lay out, record |
//! | `session` | one registry opened: trust, checkpoint, consistency, replay, fetches, cache |
//! | `layout` | writing verified packages into `node_modules` (staging, rename, fixed modes) |

mod layout;
mod session;

use std::collections::BTreeMap;
use std::path::Path;

use omega_core::client::{self, VerifiedRelease};
use omega_core::limits::{MAX_INDEX_BYTES, MAX_LOCK_BYTES, MAX_MANIFEST_BYTES};
use omega_core::lock::LOCK_FILE;
use omega_core::registry::ReleaseRecord;
use omega_core::{
    admit_in_lock, Candidate, Error, ErrorCode, LegacyPolicy, LockEntry, LockIndex, Lockfile,
    PinMode, Release, SignatureBlock,
};
use serde_json::json;

use crate::args::{InstallArgs, StatusArgs, UpdateArgs};
use crate::net::RelPath;
use crate::out::{print_json, shown};
use crate::progress::Progress;
use crate::util::{write_atomic, CmdResult, Failure, Overwrite, EXIT_OK};

pub use session::Session;

/// Deepest nesting of an installed package (`node_modules/` folders in its path).
const MAX_INSTALL_DEPTH: usize = 64;

/// One package to install: where, what, and its verified release.
struct Planned {
    /// Lock key (the name at top level, else the install path).
    key: String,
    /// Install path relative to the root (`node_modules/…`).
    path: String,
    /// The verified release.
    release: VerifiedRelease,
}

pub(crate) fn read_lock(root: &Path) -> Result<Lockfile, Failure> {
    let path = root.join(LOCK_FILE);
    match omega_core::fs::read_limited(&path, MAX_LOCK_BYTES)? {
        None => Ok(Lockfile::default()),
        Some(bytes) => {
            Ok(Lockfile::parse(&bytes).map_err(|e| e.context(&path.display().to_string()))?)
        }
    }
}

fn split_spec(spec: &str) -> (&str, Option<&str>) {
    // `@scope/name@1.0.0`: the version separator is an `@` after the first character.
    match spec.get(1..).and_then(|rest| rest.rfind('@')) {
        Some(i) => (&spec[..i + 1], Some(&spec[i + 2..])),
        None => (spec, None),
    }
}

/// A release waiting to be verified: name, version, its record, a fixed install path (from
/// the lock) or `None`, and the install path of the package that depends on it.
type Queued = (
    String,
    String,
    ReleaseRecord,
    Option<String>,
    Option<String>,
);

/// What an install run is asked to do.
struct Request<'a> {
    /// Names (and versions) to add or update; empty with `from_lock`.
    names: Vec<(String, Option<String>)>,
    /// Lay out what the lock pins for this registry.
    from_lock: bool,
    accept_notice: &'a [String],
    accept_owner_change: &'a [String],
}

/// How long `omega install`/`update` waits for another one running in the same project.
const PROJECT_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Takes the project's exclusive lock (a `flock` on the project folder itself, no file is
/// created) for a whole install or update run (RR20): `omega.lock` is read after it is held,
/// so two runs cannot roll it back.
fn lock_project(root: &Path) -> Result<crate::net::root::DirLock, Failure> {
    let dir = crate::net::root::RootDir::create(root)?;
    Ok(dir.lock_folder(PROJECT_LOCK_TIMEOUT, || {
        esay!(
            "omega: waiting for another omega install or update in {}",
            root.display()
        );
    })?)
}

pub fn install(a: &InstallArgs) -> CmdResult {
    let _project = lock_project(&a.root)?;
    let lock = read_lock(&a.root)?;
    let mut session = Session::open(
        &a.root,
        &lock,
        a.registry.as_deref(),
        a.policy.as_deref(),
        a.offline,
    )?;
    let names = a
        .packages
        .iter()
        .map(|s| {
            let (n, v) = split_spec(s);
            (n.to_string(), v.map(str::to_string))
        })
        .collect();
    let req = Request {
        names,
        from_lock: a.packages.is_empty(),
        accept_notice: &a.accept_notice,
        accept_owner_change: &a.accept_owner_change,
    };
    run(&a.root, lock, &mut session, &req)
}

pub fn update(a: &UpdateArgs) -> CmdResult {
    let _project = lock_project(&a.root)?;
    let lock = read_lock(&a.root)?;
    let mut session = Session::open(&a.root, &lock, None, None, false)?;
    let origin = session.trust.origin.clone();
    let mut names: Vec<(String, Option<String>)> = Vec::new();
    for (key, e) in &lock.packages {
        let Some(r) = &e.registry else { continue };
        if r.origin != origin || key.contains("node_modules/") {
            continue;
        }
        if a.packages.is_empty() || a.packages.iter().any(|n| n == key) {
            names.push((key.clone(), None));
        }
    }
    for n in &a.packages {
        if !names.iter().any(|(k, _)| k == n) {
            return Err(Failure::Core(Error::new(
                ErrorCode::NotFound,
                format!(
                    "{n}: not installed from {origin} in {}",
                    a.root.join(LOCK_FILE).display()
                ),
            )));
        }
    }
    let req = Request {
        names,
        from_lock: false,
        accept_notice: &[],
        accept_owner_change: &[],
    };
    run(&a.root, lock, &mut session, &req)
}

/// Resolves, verifies (everything, before writing anything), lays out and records.
fn run(root: &Path, lock: Lockfile, s: &mut Session, req: &Request<'_>) -> CmdResult {
    let origin = s.trust.origin.clone();
    // The releases to install: (name, version, record, install path or None for top level,
    // dependent path).
    let mut queue: Vec<Queued> = Vec::new();
    if req.from_lock {
        for (key, e) in &lock.packages {
            let Some(r) = &e.registry else { continue };
            if r.origin != origin || e.retired {
                continue;
            }
            let name = omega_core::lock::package_name_of_key(key)
                .unwrap_or(key)
                .to_string();
            let found = s.state.name(&name).and_then(|ns| {
                ns.releases
                    .iter()
                    .find(|(_, rec)| rec.entry == r.entry)
                    .map(|(v, rec)| (v.clone(), rec.clone()))
            });
            let Some((version, record)) = found else {
                return Err(Failure::Core(Error::new(
                    ErrorCode::NotInLog,
                    format!(
                        "{key}: omega.lock pins entry {} of {origin}, which is not a release of {name} in the log of size {}",
                        r.entry, s.state.size
                    ),
                )));
            };
            // The entry must be the release the lock pins (its version and tree), not another
            // release of the name reached by editing `entry` alone.
            if record.tree != e.tree || version != e.version {
                return Err(Failure::Core(Error::new(
                    ErrorCode::DigestMismatch,
                    format!(
                        "{key}: omega.lock pins {name}@{} ({}), but its entry {} in {origin} is {name}@{version} ({})",
                        e.version, e.tree, r.entry, record.tree
                    ),
                )));
            }
            if s.verified.freshness == omega_core::policy::Freshness::NotWitnessed
                && !key.contains("node_modules/")
            {
                // No witness vouches for a time: the index's expiry is the freshness.
                s.check_index(&name)?;
            }
            queue.push((name, version, record, Some(e.path.clone()), None));
        }
    } else {
        for (name, version) in &req.names {
            let (v, rec) = client::choose_release(&s.state, name, version.as_deref(), false)?;
            s.check_index(name)?;
            queue.push((name.clone(), v.to_string(), rec.clone(), None, None));
        }
    }
    let progress = Progress::items(queue.len() as u64, "verifying", false);
    let mut planned: Vec<Planned> = Vec::new();
    // Paths already holding a release (from the lock), so that a dependency whose name is
    // held at the top level by another release is nested under its dependent.
    let mut taken: BTreeMap<String, omega_core::TreeDigest> = lock
        .packages
        .values()
        .filter(|e| !e.retired)
        .map(|e| (e.path.clone(), e.tree))
        .collect();
    let mut placed: BTreeMap<String, omega_core::TreeDigest> = BTreeMap::new();
    let mut i = 0;
    while let Some(item) = queue.get(i).cloned() {
        i += 1;
        let (name, version, record, fixed_path, dependent) = item;
        let top = format!("node_modules/{name}");
        let path = match fixed_path {
            Some(p) => p,
            None => match (taken.get(&top), &dependent) {
                (None, _) => top.clone(),
                (Some(t), _) if *t == record.tree => top.clone(),
                (Some(_), Some(d)) => format!("{d}/node_modules/{name}"),
                (Some(_), None) => top.clone(),
            },
        };
        if placed.get(&path) == Some(&record.tree) {
            continue;
        }
        // Bounded: dependency pins can form a cycle that Node's lookup cannot satisfy (P@2
        // needs P@3, which needs P@2); each round would nest one level deeper.
        if path.matches("node_modules/").count() > MAX_INSTALL_DEPTH
            || planned.len() >= omega_core::limits::MAX_LOCK_PACKAGES
        {
            return Err(Failure::Core(Error::new(
                ErrorCode::TooLarge,
                format!("{name}@{version}: the dependency tree is deeper than {MAX_INSTALL_DEPTH} levels or larger than {} packages (a cycle of dependency pins?) at {path}", omega_core::limits::MAX_LOCK_PACKAGES),
            )));
        }
        let release = s.verify(&name, &version, &record)?;
        // Step 5: advisories.
        let adv = client::advisories(
            &s.state,
            &name,
            &version,
            record.sequence,
            &release.report.signed_by,
        );
        if let Some(y) = &adv.yanked {
            esay!(
                "omega: note: {name}@{version} is yanked (entry {}: {})",
                y.entry,
                shown(&y.reason)
            );
        }
        for n in &adv.notices {
            esay!(
                "omega: notice {} ({}) for {name}@{version}: {}",
                shown(&n.notice.id),
                n.notice.severity.as_str(),
                shown(&n.notice.summary)
            );
        }
        client::check_notices(&name, &adv, req.accept_notice)?;
        for dep in release.manifest.dependencies.iter() {
            let (dv, drec) = client::release_by_tree(&s.state, dep.0, dep.1)?;
            queue.push((
                dep.0.clone(),
                dv.to_string(),
                drec.clone(),
                None,
                Some(path.clone()),
            ));
            progress.inc(0);
        }
        let key = if path == top {
            name.clone()
        } else {
            path.clone()
        };
        taken.insert(path.clone(), record.tree);
        placed.insert(path.clone(), record.tree);
        planned.push(Planned { key, path, release });
        progress.inc(1);
    }
    drop(progress);
    // Lock admission (part 1) with the registry's facts, on a copy of the lock.
    let mut new_lock = lock.clone();
    for p in &planned {
        let name = p.release.statement.name.as_str();
        let blocks = match p.release.package.signatures.as_deref() {
            Some(b) => {
                SignatureBlock::parse_all(b, &format!("{name} .omega/manifest.json.minisig"))?
            }
            None => Vec::new(),
        };
        let mut mode = PinMode::Update;
        if let Some(pinned) = lock.packages.get(&p.key) {
            if let Some(e) = client::owner_change(pinned, &s.state, name) {
                if req.accept_owner_change.iter().any(|n| n == name) {
                    esay!("omega: {name}: owners changed by the janitors (entry {e}); pin moved (--accept-owner-change)");
                    mode = PinMode::Repin;
                } else {
                    return Err(Failure::Core(Error::new(
                        ErrorCode::KeyNotTrusted,
                        format!("{name}: the janitors gave the name to other owners (entry {e}); the pin moves only with --accept-owner-change {name}"),
                    )));
                }
            }
        }
        let candidate = Candidate {
            name,
            path: &p.path,
            tree: p.release.manifest.tree,
            version: &p.release.manifest.version,
            release: Some(Release {
                manifest: &p.release.manifest,
                manifest_bytes: &p.release.manifest_bytes,
                signatures: &blocks,
            }),
        };
        let index = LockIndex::new(&new_lock);
        let adm = admit_in_lock(&index, &p.key, &candidate, &[], mode, LegacyPolicy::Refuse)?;
        let mut entry: LockEntry = adm.entry;
        if let Some(ns) = s.state.name(name) {
            for r in &ns.revoked {
                if !entry.revoked.contains(&r.key) {
                    entry.revoked.push(r.key);
                }
            }
        }
        entry.registry = Some(client::registry_ref(&s.state, p.release.entry));
        new_lock.packages.insert(p.key.clone(), entry);
    }
    // The pin records the SHA-256 of the state saved with it: the only saved state a later
    // run reuses (RR8).
    let mut pin = s.trust.pin(&s.state, &s.latest);
    pin.state = Some(s.state_digest());
    new_lock.registries.insert(origin.clone(), pin);
    // Everything verified: write node_modules, then the lock; the replaced packages are
    // deleted only once the lock is written, and come back if it cannot be (RR19).
    let laid = layout::lay_out(root, &planned)?;
    let bytes = new_lock.to_json_bytes();
    let lock_path = root.join(LOCK_FILE);
    let written = layout::injected_failure("lock", &lock_path)
        .and_then(|()| write_atomic(&lock_path, &bytes, 0o644, Overwrite::Replace));
    if let Err(e) = written {
        return Err(laid.undo(e));
    }
    laid.commit();
    s.remember();
    let signers: Vec<String> = {
        let mut v: Vec<String> = planned
            .iter()
            .flat_map(|p| {
                p.release
                    .report
                    .signed_by
                    .iter()
                    .map(|k| k.key_id().to_string())
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    // The size the state covers (M, the largest proven); the served size when it is less.
    let served = if s.verified.checkpoint.size < s.latest.checkpoint.size {
        format!(", served at size {}", s.verified.checkpoint.size)
    } else {
        String::new()
    };
    say!(
        "verified {} at size {}{served} ({}); {} package{} installed: {}; signed by {}",
        shown(&origin),
        s.latest.checkpoint.size,
        shown(&s.witness_text()),
        planned.len(),
        if planned.len() == 1 { "" } else { "s" },
        planned
            .iter()
            .map(|p| {
                shown(&format!(
                    "{}@{}",
                    p.release.statement.name, p.release.statement.version
                ))
                .into_owned()
            })
            .collect::<Vec<_>>()
            .join(", "),
        if signers.is_empty() {
            "-".into()
        } else {
            signers.join(", ")
        }
    );
    Ok(EXIT_OK)
}

/// The status of a project's registry packages (JSON value and text lines).
/// With `audit`, each package's logged release is also proven (its entry's inclusion, the same
/// tree as the lock, its objects), and the first that is not, or that has a critical notice
/// or a revoked signer, is an error.
pub fn status_of(
    _root: &Path,
    lock: &Lockfile,
    audit: bool,
) -> Result<(serde_json::Value, Vec<String>), Failure> {
    let mut packages = Vec::new();
    let mut lines = Vec::new();
    let mut registries = Vec::new();
    let mut lines_registries = Vec::new();
    for origin in lock.registries.keys() {
        let mut s = Session::open_origin(lock, origin)?;
        let pin = &lock.registries[origin];
        // RR17: a pin's url and max_age are trust; shown, and flagged when max_age is not
        // the default a first use pins.
        if pin.max_age != client::DEFAULT_MAX_AGE {
            esay!(
                "omega: note: omega.lock registry {} has max_age {} s (first use pins {} s): an edited pin is a trust change; review it",
                shown(origin),
                pin.max_age,
                client::DEFAULT_MAX_AGE
            );
        }
        registries.push(json!({
            "origin": origin,
            "url": pin.url,
            "max_age": pin.max_age,
            "size": s.latest.checkpoint.size,
            "served_size": s.verified.checkpoint.size,
            "witnesses": s.witness_text(),
        }));
        lines_registries.push(format!(
            "registry {} at {} (max_age {} s): size {}",
            shown(origin),
            shown(&pin.url),
            pin.max_age,
            s.latest.checkpoint.size
        ));
        for (key, e) in &lock.packages {
            let Some(r) = &e.registry else { continue };
            if &r.origin != origin || e.retired {
                continue;
            }
            let name = omega_core::lock::package_name_of_key(key).unwrap_or(key);
            let adv = client::advisories(&s.state, name, &e.version, e.sequence, &e.signed_by);
            if audit {
                audit_entry(&mut s, key, name, e, r.entry, &adv)?;
            }
            let notices: Vec<serde_json::Value> = adv
                .notices
                .iter()
                .map(|n| {
                    lines.push(format!(
                        "{key}@{}: notice {} ({}): {}",
                        e.version,
                        shown(&n.notice.id),
                        n.notice.severity.as_str(),
                        shown(&n.notice.summary)
                    ));
                    json!({"id": n.notice.id, "severity": n.notice.severity.as_str(),
                           "summary": n.notice.summary, "entry": n.entry})
                })
                .collect();
            if let Some(y) = &adv.yanked {
                lines.push(format!(
                    "{key}@{}: yanked (entry {}): {}",
                    e.version,
                    y.entry,
                    shown(&y.reason)
                ));
            }
            let revoked: Vec<serde_json::Value> = adv
                .revoked_signers
                .iter()
                .map(|r| {
                    lines.push(format!(
                        "{key}@{}: signer {} revoked (entry {}): {}",
                        e.version,
                        r.key.key_id(),
                        r.entry,
                        shown(&r.reason)
                    ));
                    json!({"key": r.key.to_base64(), "entry": r.entry, "reason": r.reason})
                })
                .collect();
            packages.push(json!({
                "key": key, "name": name, "version": e.version, "sequence": e.sequence,
                "registry": origin, "entry": r.entry,
                "yanked": adv.yanked.as_ref().map(|y| json!({"entry": y.entry, "reason": y.reason})),
                "notices": notices, "revoked": revoked,
            }));
        }
        s.remember();
    }
    Ok((
        json!({"ok": true, "registries": registries, "packages": packages}),
        lines_registries.into_iter().chain(lines).collect(),
    ))
}

/// `omega audit --online`'s registry part for one package.
fn audit_entry(
    s: &mut Session,
    key: &str,
    name: &str,
    e: &LockEntry,
    entry: u64,
    adv: &client::Advisories,
) -> Result<(), Failure> {
    let found = s.state.name(name).and_then(|ns| {
        ns.releases
            .iter()
            .find(|(_, rec)| rec.entry == entry)
            .map(|(v, rec)| (v.clone(), rec.clone()))
    });
    let Some((version, record)) = found else {
        return Err(Failure::Core(Error::new(
            ErrorCode::NotInLog,
            format!("{key}: entry {entry} is not a release of {name} in the log"),
        )));
    };
    if record.tree != e.tree || version != e.version {
        return Err(Failure::Core(Error::new(
            ErrorCode::NotInLog,
            format!(
                "{key}: omega.lock pins {}@{} ({}), the log's entry {entry} is {name}@{version} ({})",
                name, e.version, e.tree, record.tree
            ),
        )));
    }
    s.verify(name, &version, &record)?;
    client::check_notices(name, adv, &[])?;
    if let Some(r) = adv.revoked_signers.first() {
        return Err(Failure::Core(Error::new(
            ErrorCode::KeyRevoked,
            format!(
                "{key}: signer {} was revoked by entry {} ({})",
                r.key.key_id(),
                r.entry,
                r.reason
            ),
        )));
    }
    Ok(())
}

/// `omega audit --online`: the audit, then the registry checks of every registry package
/// (with `--json`, one object: the audit's, with the registry part as `"online"`).
pub fn audit_online(a: &crate::args::AuditArgs) -> CmdResult {
    if !a.online {
        return crate::project::audit(a);
    }
    crate::project::audit_then(a, |json| {
        let lock = read_lock(&a.root)?;
        let (value, lines) = status_of(&a.root, &lock, true)?;
        if json {
            return Ok(Some(value));
        }
        for l in &lines {
            say!("{l}");
        }
        let n = value["packages"].as_array().map_or(0, Vec::len);
        say!("audit --online: {n} registry package(s) proven in their logs");
        Ok(None)
    })
}

pub fn status(a: &StatusArgs) -> CmdResult {
    let lock = read_lock(&a.root)?;
    let (value, lines) = status_of(&a.root, &lock, false)?;
    if a.json {
        print_json(&value);
    } else {
        for l in &lines {
            say!("{l}");
        }
        let n = value["packages"].as_array().map_or(0, Vec::len);
        // The first lines name the registries; the rest are advisories.
        let advisories = lines.len() - value["registries"].as_array().map_or(0, Vec::len);
        say!(
            "{} registry package{} checked; {} advisor{}",
            n,
            if n == 1 { "" } else { "s" },
            advisories,
            if advisories == 1 { "y" } else { "ies" }
        );
    }
    Ok(EXIT_OK)
}

/// Fetches and verifies the index note of `name` (R6 step 3).
pub(crate) fn index_bytes(s: &Session, name: &str) -> Result<Vec<u8>, Error> {
    s.fetcher
        .source
        .get(&RelPath::index(name)?, MAX_INDEX_BYTES as u64)
}

/// Caps for objects.
pub(crate) const MANIFEST_CAP: u64 = MAX_MANIFEST_BYTES as u64;
