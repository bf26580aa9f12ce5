//! `omega publish`, `omega registry submit`, `omega registry refresh`: the commands that append
//! to a registry folder through [`Session`].

use std::path::Path;

use omega_core::entry::{Entry, DEFAULT_TRUSTED_COMMENT};
use omega_core::fs::{check_dir, read_limited, read_tree};
use omega_core::hash::{blake2b256, to_hex};
use omega_core::index::IndexNote;
use omega_core::limits::{
    MAX_ENTRY_BYTES, MAX_INDEX_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES,
    MAX_STATEMENT_BYTES,
};
use omega_core::manifest::{MANIFEST_PATH, SIGNATURE_PATH};
use omega_core::registry::release_matches_manifest;
use omega_core::statement::{Mode, OwnersStatement, ReleaseStatement, Statement};
use omega_core::{ErrorCode, FileKind, LegacyPolicy, Manifest, Pins};

use crate::args::{PublishArgs, RegistryRefreshArgs, RegistrySubmitArgs};
use crate::net::RelPath;
use crate::out::{print_json, with_spinner, Paint};
use crate::registry_dir::RegistryDir;
use crate::util::{io_err, load_secret_key, read_small, CmdResult, Failure, EXIT_OK};

use super::append::{index_note, Session, Written};
use super::{clock_now, err, DEFAULT_INDEX_TTL};

/// Default of `refresh --within`: re-sign index notes expiring within 2 days.
pub const DEFAULT_REFRESH_WITHIN: u64 = 2 * 24 * 3600;

fn required(path: &Path, limit: usize) -> Result<Vec<u8>, Failure> {
    match read_limited(path, limit)? {
        Some(b) => Ok(b),
        None => err(
            ErrorCode::NotFound,
            format!(
                "{}: not found (pack the package first: omega pack)",
                path.display()
            ),
        ),
    }
}

/// The deterministic .tgz of a packed package: its files as hashed, then `.omega/manifest.json`
/// and its signature file (what `omega pack --tgz` writes).
pub fn package_tgz(dir: &Path, manifest: &[u8], signatures: &[u8]) -> Result<Vec<u8>, Failure> {
    let listing = read_tree(dir)?;
    let mut files: Vec<(String, bool, Vec<u8>)> = Vec::with_capacity(listing.entries().len() + 2);
    for e in listing.entries() {
        let path = dir.join(&e.path);
        let data = std::fs::read(&path).map_err(|err| io_err(&path, &err))?;
        if blake2b256(&data) != e.hash {
            return err(
                ErrorCode::FileChanged,
                format!("{}: changed while publishing", path.display()),
            );
        }
        files.push((e.path.to_string(), e.kind == FileKind::Executable, data));
    }
    files.push((MANIFEST_PATH.to_string(), false, manifest.to_vec()));
    files.push((SIGNATURE_PATH.to_string(), false, signatures.to_vec()));
    Ok(omega_core::tarball::write_tgz(&files)?)
}

fn report(json: bool, what: &str, w: &Written, extra: serde_json::Value) {
    if json {
        let entries: Vec<_> = w
            .entries
            .iter()
            .map(|(i, d)| serde_json::json!({"index": i, "statement": d}))
            .collect();
        let mut v = serde_json::json!({
            "ok": true,
            "entries": entries,
            "size": w.size,
            "root": to_hex(&w.root),
            "indexes": w.indexes,
        });
        if let (Some(o), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
            o.extend(e);
        }
        print_json(&v);
        return;
    }
    let p = Paint::stdout();
    say!("{} {what}", p.good("appended"));
    for (i, d) in &w.entries {
        say!("  entry {i}: {}", crate::out::shown(d));
    }
    say!("  checkpoint: size {} (not cosigned yet)", w.size);
}

/// `omega publish`.
pub fn publish(a: &PublishArgs) -> CmdResult {
    let manifest_bytes = required(&a.dir.join(MANIFEST_PATH), MAX_MANIFEST_BYTES)?;
    let sig_bytes = required(&a.dir.join(SIGNATURE_PATH), MAX_SIGNATURE_FILE_BYTES)?;
    let m = Manifest::parse(&manifest_bytes)
        .map_err(|e| e.context(&a.dir.join(MANIFEST_PATH).display().to_string()))?;
    // The package must verify as a client will check it: files = manifest, manifest signed by
    // the threshold of its own keys.
    let mut keys = m.keys.signers.clone();
    keys.extend(m.keys.next.iter().cloned());
    let pins = Pins {
        digest: Some(m.tree),
        keys,
        threshold: m.keys.threshold,
        legacy: LegacyPolicy::Refuse,
    };
    with_spinner("checking the package…", || check_dir(&a.dir, &pins))?;
    let tgz = with_spinner("packing…", || {
        package_tgz(&a.dir, &manifest_bytes, &sig_bytes)
    })?;
    let secrets = a
        .secret_keys
        .iter()
        .map(|p| load_secret_key(Some(p)))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&_> = secrets.iter().collect();

    let dir = RegistryDir::open(&a.registry)?;
    let session = Session::open(&dir, a.json, false)?;
    let state = session.current_state()?;
    let mut entries = Vec::new();
    if state.name(&m.name).is_none() && state.mode == Mode::Open {
        let claim = Statement::Owners(OwnersStatement {
            origin: state.origin.clone(),
            name: m.name.clone(),
            serial: 0,
            keys: m.keys.clone(),
            reason: "first claim by omega publish".to_string(),
        });
        entries.push(Entry::sign(&claim, &refs, DEFAULT_TRUSTED_COMMENT)?.to_bytes());
    }
    let release = ReleaseStatement {
        origin: state.origin.clone(),
        name: m.name.clone(),
        version: m.version.clone(),
        sequence: m.sequence,
        tree: m.tree,
        manifest: blake2b256(&manifest_bytes),
        tgz: blake2b256(&tgz),
        size: tgz.len() as u64,
        keys: m.keys.clone(),
    };
    release_matches_manifest(&release, &manifest_bytes, &m)?;
    entries.push(
        Entry::sign(&Statement::Release(release), &refs, DEFAULT_TRUSTED_COMMENT)?.to_bytes(),
    );
    let objects = vec![tgz.clone(), manifest_bytes.clone(), sig_bytes.clone()];
    let w = session.commit(&entries, &objects, a.index_ttl.unwrap_or(DEFAULT_INDEX_TTL))?;
    report(
        a.json,
        &format!("{}@{} (sequence {})", m.name, m.version, m.sequence),
        &w,
        serde_json::json!({
            "package": m.name,
            "version": m.version,
            "sequence": m.sequence,
            "tgz": to_hex(&blake2b256(&tgz)),
            "manifest": to_hex(&blake2b256(&manifest_bytes)),
            "signatures": to_hex(&blake2b256(&sig_bytes)),
        }),
    );
    Ok(EXIT_OK)
}

/// `omega registry submit`.
pub fn submit(a: &RegistrySubmitArgs) -> CmdResult {
    let statement = read_small(&a.file, MAX_STATEMENT_BYTES)?;
    let sig_path = a.signature.clone().unwrap_or_else(|| {
        let mut s = a.file.as_os_str().to_os_string();
        s.push(".minisig");
        s.into()
    });
    let sigs = read_small(&sig_path, MAX_ENTRY_BYTES)?;
    let entry =
        Entry::assemble(&statement, &sigs).map_err(|e| e.context(&a.file.display().to_string()))?;
    let dir = RegistryDir::open(&a.dir)?;
    let session = Session::open(&dir, a.json, false)?;
    let w = session.commit(
        &[entry.to_bytes()],
        &[],
        a.index_ttl.unwrap_or(DEFAULT_INDEX_TTL),
    )?;
    report(
        a.json,
        &entry.statement.describe(),
        &w,
        serde_json::json!({}),
    );
    Ok(EXIT_OK)
}

/// `omega registry refresh`.
pub fn refresh(a: &RegistryRefreshArgs) -> CmdResult {
    let ttl = a.index_ttl.unwrap_or(DEFAULT_INDEX_TTL);
    let within = a.within.unwrap_or(DEFAULT_REFRESH_WITHIN);
    let dir = RegistryDir::open(&a.dir)?;
    let mut session = Session::open(&dir, a.json, true)?;
    if !session.pending.is_empty() {
        let w = session.commit(&[], &[], ttl)?;
        esay!(
            "omega: finished an interrupted write: entries {}..{}",
            w.first,
            w.size
        );
        drop(session);
        session = Session::open(&dir, true, true)?;
    }
    let size = session.size();
    let origin = session.state.origin.clone();
    let now = clock_now();
    let mut refreshed = 0usize;
    let all = session.lines.clone().unwrap_or_default();
    for (name, lines) in all {
        let rel = RelPath::index(&name)?;
        let current = session.writer.read(&rel, MAX_INDEX_BYTES as u64)?;
        let fresh = current.as_deref().and_then(|b| {
            IndexNote::verify(b, &session.keys.index_vkey, &origin, &name, size, None).ok()
        });
        let keep =
            fresh.is_some_and(|n| n.expires > now.saturating_add(within) && n.lines == lines);
        if keep {
            continue;
        }
        let text = index_note(
            &origin,
            &name,
            size,
            now.saturating_add(ttl),
            lines,
            &session.keys,
        )?;
        session.writer.write_mutable(&rel, text.as_bytes())?;
        refreshed += 1;
    }
    if a.json {
        print_json(&serde_json::json!({"ok": true, "size": size, "refreshed": refreshed}));
    } else {
        say!("re-signed {refreshed} index note(s) at size {size}");
    }
    Ok(EXIT_OK)
}
