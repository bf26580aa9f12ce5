//! `omega install`, `omega update`, `omega status` and the registry part of `omega audit
//! --online` (REGISTRY.md R6, R7): this module fetches bytes and writes files; every rule is
//! core's (`omega_core::client`).
//!
//! | module | owns |
//! |---|---|
//! | this file | the commands: resolve, verify, lay out, record |
//! | `session` | one registry opened: the trust, and a host loop over core's `driver::Reader` (fetches, user cache, evidence) |
//! | `layout` | writing verified packages into `node_modules` (staging, rename, fixed modes) |

mod layout;
mod session;

use std::collections::BTreeMap;
use std::path::Path;

use omega_core::client::{self, VerifiedRelease};
use omega_core::driver::{IndexCheck, ReleaseOptions, ReleasePick, ReleaseRequest};
use omega_core::limits::MAX_LOCK_BYTES;
use omega_core::lock::LOCK_FILE;
use omega_core::registry::ReleaseRecord;
use omega_core::{
    admit_in_lock, Candidate, Error, ErrorCode, LegacyPolicy, LockEntry, LockIndex, Lockfile,
    PinMode, Release, SignatureBlock,
};
use serde_json::json;

use crate::args::{InstallArgs, StatusArgs, UpdateArgs};
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
    /// The owners entry of an owner change core's reader found (the pin moves only with
    /// `--accept-owner-change`).
    owners_changed: Option<u64>,
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

/// A release waiting to be read: what the reader is asked (its owner keys are the lock's for
/// the install path, filled in when the path is known), the release it picks (version and
/// record), a fixed install path (from the lock) or `None`, and the install path of the
/// package that depends on it.
#[derive(Clone)]
struct Queued {
    request: ReleaseRequest,
    options: ReleaseOptions,
    version: String,
    record: ReleaseRecord,
    fixed_path: Option<String>,
    dependent: Option<String>,
}

impl Queued {
    /// Asks `s` which release `request` and `options` pick (from the replayed state: a
    /// refusal here comes before anything is read).
    fn new(
        s: &mut Session,
        request: ReleaseRequest,
        options: ReleaseOptions,
        fixed_path: Option<String>,
        dependent: Option<String>,
    ) -> Result<Queued, Error> {
        let (version, record) = s.select(&request, &options)?;
        Ok(Queued {
            request,
            options,
            version,
            record,
            fixed_path,
            dependent,
        })
    }
}

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
    let origin = session.trust().origin.clone();
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
    let origin = s.trust().origin.clone();
    let ask = |name: &str, version: Option<&str>| ReleaseRequest {
        name: name.to_string(),
        version: version.map(str::to_string),
        accept_notices: req.accept_notice.to_vec(),
        ..ReleaseRequest::default()
    };
    // The releases to read, each picked from the replayed state by core's reader.
    let mut queue: Vec<Queued> = Vec::new();
    if req.from_lock {
        for (key, e) in &lock.packages {
            let Some(r) = &e.registry else { continue };
            if r.origin != origin || e.retired {
                continue;
            }
            let name = omega_core::lock::package_name_of_key(key).unwrap_or(key);
            // The entry must be the release the lock pins (its version and tree), not another
            // release of the name reached by editing `entry` alone.
            let options = ReleaseOptions {
                pick: ReleasePick::Entry {
                    entry: r.entry,
                    tree: e.tree,
                },
                // No witness vouches for a time: the index's expiry is the freshness.
                index: if key.contains("node_modules/") {
                    IndexCheck::Never
                } else {
                    IndexCheck::IfNotWitnessed
                },
                accept_owner_change: false,
            };
            let q = Queued::new(
                s,
                ask(name, Some(e.version.as_str())),
                options,
                Some(e.path.to_string()),
                None,
            )
            .map_err(|err| err.context(&format!("omega.lock {}", shown(key))))?;
            queue.push(q);
        }
    } else {
        for (name, version) in &req.names {
            let q = Queued::new(
                s,
                ask(name, version.as_deref()),
                ReleaseOptions::default(),
                None,
                None,
            )?;
            queue.push(q);
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
        .map(|e| (e.path.to_string(), e.tree))
        .collect();
    let mut placed: BTreeMap<String, omega_core::TreeDigest> = BTreeMap::new();
    let mut i = 0;
    while let Some(item) = queue.get(i).cloned() {
        i += 1;
        let Queued {
            mut request,
            mut options,
            version,
            record,
            fixed_path,
            dependent,
        } = item;
        let name = request.name.clone();
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
        let key = if path == top {
            name.clone()
        } else {
            path.clone()
        };
        // The owners pinned for this path: core's reader names a change away from them (a
        // janitor-made owners entry); it is refused below, once every release is verified,
        // unless --accept-owner-change names the package.
        if let Some(keys) = lock.packages.get(&key).and_then(|e| e.keys.as_ref()) {
            request.owner_keys = keys.signers.iter().chain(&keys.next).copied().collect();
            options.accept_owner_change = true;
        }
        // Steps 3-5 in core's order: index (as asked), inclusion, objects, package check,
        // notices, owners.
        let read = s.read(request, options)?;
        let release = read.release;
        let adv = &read.advisories;
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
        for dep in release.manifest.dependencies.iter() {
            let options = ReleaseOptions {
                pick: ReleasePick::Tree(*dep.1),
                index: IndexCheck::Never,
                accept_owner_change: false,
            };
            queue.push(Queued::new(
                s,
                ask(dep.0, None),
                options,
                None,
                Some(path.clone()),
            )?);
            progress.inc(0);
        }
        taken.insert(path.clone(), record.tree);
        placed.insert(path.clone(), record.tree);
        planned.push(Planned {
            key,
            path,
            release,
            owners_changed: read.owners_changed,
        });
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
        if let Some(e) = p.owners_changed {
            if !req.accept_owner_change.iter().any(|n| n == name) {
                return Err(Failure::Core(Error::new(
                    ErrorCode::KeyNotTrusted,
                    format!("{name}: the janitors gave the name to other owners (entry {e}); the pin moves only with --accept-owner-change {name}"),
                )));
            }
            esay!("omega: {name}: owners changed by the janitors (entry {e}); pin moved (--accept-owner-change)");
            mode = PinMode::Repin;
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
        let state = s.state()?;
        if let Some(ns) = state.try_name(name)? {
            for r in &ns.revoked {
                if !entry.revoked.contains(&r.key) {
                    entry.revoked.push(r.key);
                }
            }
        }
        entry.registry = Some(client::registry_ref(state, p.release.entry));
        new_lock.packages.insert(p.key.clone(), entry);
    }
    // The pin records the SHA-256 of the state saved with it: the only saved state a later
    // run reuses (RR8).
    let mut pin = s.trust().pin(s.state()?, &s.latest);
    pin.state = Some(s.state_digest()?);
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
            s.load_names(&[name])?;
            let adv =
                client::checked_advisories(s.state()?, name, &e.version, e.sequence, &e.signed_by)?;
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

/// `omega audit --online`'s registry part for one package: its logged release read again as
/// core's reader reads a lock's entry (the same version and tree, inclusion, objects,
/// package check, critical notices), then its signers against the revocations.
fn audit_entry(
    s: &mut Session,
    key: &str,
    name: &str,
    e: &LockEntry,
    entry: u64,
    adv: &client::Advisories,
) -> Result<(), Failure> {
    let request = ReleaseRequest {
        name: name.to_string(),
        version: Some(e.version.clone()),
        ..ReleaseRequest::default()
    };
    let options = ReleaseOptions {
        pick: ReleasePick::Entry {
            entry,
            tree: e.tree,
        },
        index: IndexCheck::Never,
        accept_owner_change: false,
    };
    s.select(&request, &options)
        .map_err(|err| err.context(&format!("omega.lock {}", shown(key))))?;
    s.read(request, options)?;
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
