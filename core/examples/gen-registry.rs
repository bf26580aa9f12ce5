//! Benchmark generator (scripts/bench-registry.sh, issue 14): appends synthetic names and
//! releases to a registry folder made by `omega registry init` (and usually `omega publish`),
//! until its log holds TOTAL entries, without going through the CLI (publishing a million
//! entries one `omega publish` at a time would take hours).
//!
//! Usage: `gen-registry DIR TOTAL JANITOR_KEY [RELEASES_PER_NAME]`
//!
//! - DIR: a registry folder whose `.keys/` holds its unencrypted log and index keys (the
//!   default of `omega registry init`); the generator is its only writer while it runs (it
//!   does not take the folder's lock: run it when nothing else writes).
//! - JANITOR_KEY: an unencrypted minisign secret key of a janitor, the genesis' janitors
//!   having threshold 1 (`omega keygen -W`, `omega registry init --janitor … --threshold 1`).
//! - Names `syn-NNNNNNN` are appended, each as one `owners` entry (signed by the janitor; the
//!   owner is a fixed synthetic key) followed by RELEASES_PER_NAME (default 9) `release`
//!   entries `1.0.K`, sequence K+1, signed by that owner, with made-up digests (their objects
//!   do not exist: nothing installs them). The last name may have fewer releases.
//!
//! Everything the client checks is real: entries are signed and valid for a replay, tiles
//! and bundles come from `tiles::Publisher` resumed from the folder's stored tiles, each new
//! name gets a signed index note, every existing index note is re-signed at the new size (as
//! a registry refreshing its notes would: their names gain no lines), and the checkpoint is
//! re-signed by the log key last. The writer's cached state (`.state`) is removed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use omega_core::checkpoint::Checkpoint;
use omega_core::entry::{Entry, DEFAULT_TRUSTED_COMMENT};
use omega_core::index::{IndexLine, IndexNote};
use omega_core::manifest::KeySet;
use omega_core::note::{sign_ed25519, signer_vkey, Note};
use omega_core::secret::{SecretKey, SecretKeyFile};
use omega_core::statement::{OwnersStatement, ReleaseStatement, Statement};
use omega_core::tiles::{tiles_for_root, Publisher, TilePath, TILE_WIDTH};
use omega_core::tree::TreeDigest;
use omega_core::KeyId;

/// Entries signed and appended per round (bounds memory: ~1 KB per entry).
const CHUNK: u64 = 1 << 16;
/// Index notes expire this long after generation (30 days).
const INDEX_TTL: u64 = 30 * 24 * 3600;

fn die(msg: String) -> ! {
    eprintln!("gen-registry: {msg}");
    std::process::exit(1)
}

fn read_key(path: &Path) -> SecretKey {
    let text = fs::read(path).unwrap_or_else(|e| die(format!("{}: {e}", path.display())));
    SecretKeyFile::parse(&text)
        .and_then(|f| f.decrypt(None))
        .unwrap_or_else(|e| {
            die(format!(
                "{}: {} (an unencrypted key is needed)",
                path.display(),
                e.message()
            ))
        })
}

fn write_file(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| die(format!("{}: {e}", parent.display())));
    }
    let tmp = path.with_extension("gen-tmp");
    fs::write(&tmp, bytes).unwrap_or_else(|e| die(format!("{}: {e}", tmp.display())));
    fs::rename(&tmp, path).unwrap_or_else(|e| die(format!("{}: {e}", path.display())));
}

/// The index note files under DIR/index (one level of `@scope/` folders).
fn index_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir.join("index")) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            for s in fs::read_dir(&p).into_iter().flatten().flatten() {
                out.push(s.path());
            }
        } else {
            out.push(p);
        }
    }
    out
}

fn synthetic_name(i: u64) -> String {
    format!("syn-{i:07}")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 || args.len() > 4 {
        die("usage: gen-registry DIR TOTAL JANITOR_KEY [RELEASES_PER_NAME]".into());
    }
    let dir = PathBuf::from(&args[0]);
    let total: u64 = args[1]
        .parse()
        .unwrap_or_else(|_| die(format!("TOTAL {:?}: not a number", args[1])));
    let janitor = read_key(Path::new(&args[2]));
    let per_name: u64 = args
        .get(3)
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| die(format!("{s:?}: not a number")))
        })
        .unwrap_or(9);
    if per_name == 0 {
        die("RELEASES_PER_NAME must be at least 1".into());
    }
    let started = Instant::now();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);

    // The folder's checkpoint and keys.
    let cp_bytes = fs::read(dir.join("checkpoint"))
        .unwrap_or_else(|e| die(format!("{}/checkpoint: {e}", dir.display())));
    let note =
        Note::parse(&cp_bytes).unwrap_or_else(|e| die(format!("checkpoint: {}", e.message())));
    let cp = Checkpoint::parse(note.text())
        .unwrap_or_else(|e| die(format!("checkpoint: {}", e.message())));
    let origin = cp.origin.clone();
    let base = cp.size;
    if total <= base {
        die(format!(
            "the log already has {base} entries (TOTAL {total})"
        ));
    }
    let log_key = read_key(&dir.join(".keys/log.key"));
    let index_key = read_key(&dir.join(".keys/index.key"));
    let log_vkey = signer_vkey(&origin, &log_key).unwrap_or_else(|e| die(e.message().into()));
    let index_vkey = signer_vkey(&format!("{origin}/index"), &index_key)
        .unwrap_or_else(|e| die(e.message().into()));
    omega_core::note::verify(&note, std::slice::from_ref(&log_vkey)).unwrap_or_else(|e| {
        die(format!(
            "checkpoint: not signed by .keys/log.key: {}",
            e.message()
        ))
    });

    // Resume the tree from the stored edge tiles.
    let mut edge = tiles_for_root(base);
    let w = (base % u64::from(TILE_WIDTH)) as u16;
    if w > 0 {
        edge.push(TilePath::entries(base / u64::from(TILE_WIDTH), w).unwrap());
    }
    let mut stored: BTreeMap<TilePath, Vec<u8>> = BTreeMap::new();
    for p in edge {
        let path = dir.join(p.to_string());
        let bytes = fs::read(&path).unwrap_or_else(|e| die(format!("{}: {e}", path.display())));
        stored.insert(p, bytes);
    }
    let mut publisher = Publisher::resume(base, &cp.root, &stored)
        .unwrap_or_else(|e| die(format!("resuming the tree: {}", e.message())));

    // The synthetic owner.
    let owner = SecretKey::from_seed(&[0x5a; 32], KeyId(*b"benchown"));
    let owners = KeySet {
        threshold: 1,
        signers: vec![owner.public_key()],
        next: Vec::new(),
    };
    let expires = now + INDEX_TTL;
    let sign_index = |name: &str, lines: Vec<IndexLine>| -> Vec<u8> {
        IndexNote {
            origin: origin.clone(),
            name: name.to_string(),
            as_of: total,
            expires,
            lines,
        }
        .sign(index_vkey.name(), &index_key)
        .unwrap_or_else(|e| die(format!("index note of {name}: {}", e.message())))
        .into_bytes()
    };

    let mut next = base;
    let mut name_no = 0u64;
    let mut in_name = per_name + 1; // entries of the current name so far (forces a new name)
    let mut lines: Vec<IndexLine> = Vec::new();
    let mut files = 0u64;
    while next < total {
        let end = (next + CHUNK).min(total);
        let mut chunk = Vec::with_capacity((end - next) as usize);
        for index in next..end {
            if in_name > per_name {
                if !lines.is_empty() {
                    let name = synthetic_name(name_no - 1);
                    write_file(
                        &dir.join("index").join(&name),
                        &sign_index(&name, std::mem::take(&mut lines)),
                    );
                    files += 1;
                }
                name_no += 1;
                in_name = 0;
            }
            let name = synthetic_name(name_no - 1);
            let entry = if in_name == 0 {
                lines.push(IndexLine::Owners { entry: index });
                let st = Statement::Owners(OwnersStatement {
                    origin: origin.clone(),
                    name,
                    serial: 0,
                    keys: owners.clone(),
                    reason: "benchmark".into(),
                });
                Entry::sign(&st, &[&janitor], DEFAULT_TRUSTED_COMMENT)
            } else {
                let k = in_name - 1;
                let mut d = [0u8; 32];
                d[..8].copy_from_slice(&index.to_le_bytes());
                let mut m = d;
                m[31] = 1;
                let mut t = d;
                t[31] = 2;
                let version = format!("1.0.{k}");
                lines.push(IndexLine::Release {
                    entry: index,
                    version: version.clone(),
                    sequence: k + 1,
                    tgz: t,
                    manifest: m,
                });
                let st = Statement::Release(ReleaseStatement {
                    origin: origin.clone(),
                    name,
                    version,
                    sequence: k + 1,
                    tree: TreeDigest(d),
                    manifest: m,
                    tgz: t,
                    size: 4096,
                    keys: owners.clone(),
                });
                Entry::sign(&st, &[&owner], DEFAULT_TRUSTED_COMMENT)
            };
            let entry = entry.unwrap_or_else(|e| die(format!("entry {index}: {}", e.message())));
            chunk.push(entry.to_bytes());
            in_name += 1;
        }
        let appended = publisher
            .append(&chunk)
            .unwrap_or_else(|e| die(format!("append: {}", e.message())));
        for f in &appended.files {
            write_file(&dir.join(f.path.to_string()), &f.bytes);
            files += 1;
        }
        next = end;
        eprintln!(
            "gen-registry: {next}/{total} entries ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    if !lines.is_empty() {
        let name = synthetic_name(name_no - 1);
        write_file(&dir.join("index").join(&name), &sign_index(&name, lines));
        files += 1;
    }

    // Existing names: their notes re-signed at the new size (no new lines).
    for path in index_files(&dir) {
        let bytes = fs::read(&path).unwrap_or_else(|e| die(format!("{}: {e}", path.display())));
        let n = Note::parse(&bytes)
            .unwrap_or_else(|e| die(format!("{}: {}", path.display(), e.message())));
        let old = IndexNote::parse(n.text())
            .unwrap_or_else(|e| die(format!("{}: {}", path.display(), e.message())));
        if old.as_of == total {
            continue;
        }
        write_file(&path, &sign_index(&old.name, old.lines));
        files += 1;
    }

    // The checkpoint, last.
    let root = publisher.root();
    let text = Checkpoint {
        origin: origin.clone(),
        size: total,
        root,
        extensions: Vec::new(),
    }
    .to_text();
    let mut cp_note = Note::new(&text).unwrap_or_else(|e| die(e.message().into()));
    cp_note
        .add_signature(
            sign_ed25519(&text, log_vkey.name(), &log_key)
                .unwrap_or_else(|e| die(e.message().into())),
        )
        .unwrap_or_else(|e| die(e.message().into()));
    let _ = fs::remove_file(dir.join(".state"));
    write_file(&dir.join("checkpoint"), cp_note.to_text().as_bytes());
    eprintln!(
        "gen-registry: {} entries appended ({name_no} names), {files} files written, size {total}, in {:.1} s",
        total - base,
        started.elapsed().as_secs_f64()
    );
}
