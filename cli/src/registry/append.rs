//! The one write path of a registry folder: every `init`, `submit`, `publish` and `refresh`
//! goes through [`Session`] (under the folder's exclusive lock) and [`write_append`]:
//!
//! 1. the log is read back from the folder and replayed (the state at the log's end);
//! 2. the new entries are applied to that state exactly as a client would (`apply`): the
//!    first invalid one stops everything, and nothing is written;
//! 3. content-addressed objects are written (write-once);
//! 4. the entries are written to the journal `DIR/.journal` (atomic; never served);
//! 5. the tiles and bundles of the new tree (write-once);
//! 6. `index/<name>` for every name the entries touch (signed by the index key, `as-of` =
//!    the new size, `expires` = now + TTL);
//! 7. `checkpoint` (signed by the log key, no cosignature yet), by atomic rename;
//! 8. the journal is removed.
//!
//! A writer killed anywhere leaves the old checkpoint, which still verifies. Tiles written
//! beyond it are the tiles of the journalled entries; the next writer finds the journal
//! (its base size = the checkpoint's) and appends those entries first — the same entries
//! give the same tile bytes, so write-once never meets different bytes at a path — then its
//! own. A journal whose entries are already in the log (killed between 7 and 8) is checked
//! against the log and removed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use omega_core::bundle::{parse_bundle, write_bundle};
use omega_core::checkpoint::Checkpoint;
use omega_core::entry::Entry;
use omega_core::index::{IndexLine, IndexNote};
use omega_core::merkle::Hash;
use omega_core::note::{sign_ed25519, Note};
use omega_core::registry::RegistryState;
use omega_core::statement::Statement;
use omega_core::tiles::Publisher;
use omega_core::ErrorCode;

use crate::net::{RelPath, Source};
use crate::progress::Progress;
use crate::registry_dir::{RegistryDir, RegistryWriter};
use crate::util::{io_err, usage, write_atomic, Failure, Overwrite};

use super::keys::{self, RegistryKeys};
use super::log::{edge_paths, fetch_tiles, read_log, Log};
use super::{clock_now, err};

/// The journal of a write in progress (a dot file: never fetched).
pub const JOURNAL_FILE: &str = ".journal";
const JOURNAL_HEADER: &str = "omega-journal/v1";

/// A source for a local folder.
pub fn dir_source(path: &Path) -> Result<Source, Failure> {
    let Some(text) = path.to_str() else {
        return usage(format!("{}: not a UTF-8 path", path.display()));
    };
    Ok(Source::parse(text)?)
}

/// What an append wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Index of the first entry written (journalled ones included).
    pub first: u64,
    /// The new tree size.
    pub size: u64,
    /// The new root.
    pub root: Hash,
    /// Each appended entry: its index and its statement's description.
    pub entries: Vec<(u64, String)>,
    /// The index notes written.
    pub indexes: Vec<String>,
}

/// The index lines of every name, from the log's entries (in entry order).
pub fn index_lines(entries: &[Vec<u8>]) -> Result<BTreeMap<String, Vec<IndexLine>>, Failure> {
    let mut out: BTreeMap<String, Vec<IndexLine>> = BTreeMap::new();
    for (i, bytes) in entries.iter().enumerate() {
        let entry = i as u64;
        let e = Entry::parse(bytes).map_err(|e| e.context(&format!("entry {entry}")))?;
        let (name, line) = match e.statement {
            Statement::Registry(_) => continue,
            Statement::Owners(s) => (s.name, IndexLine::Owners { entry }),
            Statement::Release(s) => (
                s.name,
                IndexLine::Release {
                    entry,
                    version: s.version,
                    sequence: s.sequence,
                    tgz: s.tgz,
                    manifest: s.manifest,
                },
            ),
            Statement::Revoke(s) => (
                s.name,
                IndexLine::Revoke {
                    entry,
                    key: s.key.to_base64(),
                },
            ),
            Statement::Yank(s) => (
                s.name,
                IndexLine::Yank {
                    entry,
                    version: s.version,
                    sequence: s.sequence,
                },
            ),
            Statement::Notice(s) => (
                s.name,
                IndexLine::Notice {
                    entry,
                    id: s.id,
                    severity: s.severity,
                },
            ),
        };
        out.entry(name).or_default().push(line);
    }
    Ok(out)
}

/// The signed index note of `name` at log size `size`.
pub fn index_note(
    origin: &str,
    name: &str,
    size: u64,
    expires: u64,
    lines: Vec<IndexLine>,
    keys: &RegistryKeys,
) -> Result<String, Failure> {
    let note = IndexNote {
        origin: origin.to_string(),
        name: name.to_string(),
        as_of: size,
        expires,
        lines,
    };
    Ok(note.sign(keys.index_vkey.name(), &keys.index)?)
}

/// The signed checkpoint note for `size` and `root` (log signature only).
pub fn checkpoint_note(
    origin: &str,
    size: u64,
    root: Hash,
    keys: &RegistryKeys,
) -> Result<String, Failure> {
    let text = Checkpoint {
        origin: origin.to_string(),
        size,
        root,
        extensions: Vec::new(),
    }
    .to_text();
    let mut note = Note::new(&text)?;
    note.add_signature(sign_ed25519(&text, keys.log_vkey.name(), &keys.log)?)?;
    Ok(note.to_text())
}

fn journal_path(dir: &Path) -> PathBuf {
    dir.join(JOURNAL_FILE)
}

fn write_journal(dir: &Path, base: u64, entries: &[Vec<u8>]) -> Result<(), Failure> {
    let mut bytes = format!("{JOURNAL_HEADER} {base} {}\n", entries.len()).into_bytes();
    bytes.extend_from_slice(&write_bundle(entries)?);
    write_atomic(&journal_path(dir), &bytes, 0o600, Overwrite::Replace)
}

/// Reads the journal: its base size and entries; `None` when there is none.
/// A journal: its base size and its entries.
type Journal = (u64, Vec<Vec<u8>>);

fn read_journal(dir: &Path) -> Result<Option<Journal>, Failure> {
    let path = journal_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path, &e)),
    };
    let bad = || {
        err::<Option<Journal>>(
            ErrorCode::Malformed,
            format!(
                "{}: not an omega journal; inspect it, then remove it",
                path.display()
            ),
        )
    };
    let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
        return bad();
    };
    let (head, rest) = bytes.split_at(nl);
    let rest = rest.get(1..).unwrap_or(&[]);
    let head = String::from_utf8_lossy(head);
    let parts: Vec<&str> = head.split(' ').collect();
    let (Some(&JOURNAL_HEADER), Some(base), Some(count), 3) =
        (parts.first(), parts.get(1), parts.get(2), parts.len())
    else {
        return bad();
    };
    let (Ok(base), Ok(count)) = (base.parse::<u64>(), count.parse::<u16>()) else {
        return bad();
    };
    let list = parse_bundle(rest, count).map_err(|e| e.context(&path.display().to_string()))?;
    Ok(Some((base, list.into_iter().map(<[u8]>::to_vec).collect())))
}

/// Appends `new` (already valid against `state`, see [`Session::commit`]) to the log whose
/// entries are `old` (root `old_root`), writing `objects` first. The caller holds the lock.
#[allow(clippy::too_many_arguments)]
pub fn write_append(
    writer: &RegistryWriter<'_>,
    source: Option<&Source>,
    old: &[Vec<u8>],
    old_root: Hash,
    new: &[Vec<u8>],
    objects: &[Vec<u8>],
    keys: &RegistryKeys,
    origin: &str,
    index_ttl: u64,
) -> Result<Written, Failure> {
    let dir = writer_dir(writer);
    let base = old.len() as u64;
    for o in objects {
        writer.write_object(o)?;
    }
    crash_point("objects");
    write_journal(&dir, base, new)?;
    crash_point("journal");
    let mut publisher = match source {
        Some(src) if base > 0 => {
            let edge = fetch_tiles(src, &edge_paths(base)?, &Progress::hidden())?;
            Publisher::resume(base, &old_root, &edge)?
        }
        _ => Publisher::new(),
    };
    let appended = publisher.append(new)?;
    for f in &appended.files {
        writer.write_immutable(&RelPath::new(&f.path.to_string())?, &f.bytes)?;
        crash_point("tile");
    }
    // Index notes of every name the new entries touch.
    let mut all: Vec<Vec<u8>> = old.to_vec();
    all.extend(new.iter().cloned());
    let lines = index_lines(&all)?;
    let mut touched = BTreeSet::new();
    let mut described = Vec::new();
    for (i, bytes) in new.iter().enumerate() {
        let e = Entry::parse(bytes)?;
        if let Some(n) = e.statement.name() {
            touched.insert(n.to_string());
        }
        described.push((base + i as u64, e.statement.describe()));
    }
    let expires = clock_now().saturating_add(index_ttl);
    let mut indexes = Vec::new();
    for name in &touched {
        let l = lines.get(name).cloned().unwrap_or_default();
        let text = index_note(origin, name, appended.size, expires, l, keys)?;
        writer.write_mutable(&RelPath::index(name)?, text.as_bytes())?;
        indexes.push(name.clone());
        crash_point("index");
    }
    let cp = checkpoint_note(origin, appended.size, appended.root, keys)?;
    writer.write_mutable(&RelPath::checkpoint(), cp.as_bytes())?;
    crash_point("checkpoint");
    let jp = journal_path(&dir);
    std::fs::remove_file(&jp).map_err(|e| io_err(&jp, &e))?;
    Ok(Written {
        first: base,
        size: appended.size,
        root: appended.root,
        entries: described,
        indexes,
    })
}

/// Test hook: `OMEGA_REGISTRY_CRASH_AT=<step>` aborts the process (no cleanup, like SIGKILL)
/// right after that step of [`write_append`] (`objects`, `journal`, `tile`, `index`,
/// `checkpoint`), so the tests can stop a writer at every point deterministically.
fn crash_point(step: &str) {
    if std::env::var_os("OMEGA_REGISTRY_CRASH_AT").is_some_and(|v| v == step) {
        std::process::abort();
    }
}

fn writer_dir(writer: &RegistryWriter<'_>) -> PathBuf {
    writer
        .lock_path()
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A registry folder open for writing: its lock held, its log read and replayed, its keys
/// loaded, a journal of a killed writer found.
pub struct Session<'a> {
    /// The lock.
    pub writer: RegistryWriter<'a>,
    /// The folder as a source.
    pub source: Source,
    /// The log as read.
    pub log: Log,
    /// The state at the log's end (journalled entries not included).
    pub state: RegistryState,
    /// Entries of a killed writer, appended before any new one.
    pub pending: Vec<Vec<u8>>,
    /// The registry's keys.
    pub keys: RegistryKeys,
}

impl<'a> Session<'a> {
    /// Takes the lock of `dir` and reads everything.
    pub fn open(dir: &'a RegistryDir, quiet: bool) -> Result<Session<'a>, Failure> {
        let writer = dir.lock_default()?;
        let path = dir.path().to_path_buf();
        let source = dir_source(&path)?;
        let log = read_log(&source, quiet)?;
        let state = log.state()?;
        let keys = keys::load(&path, &state.log_key, &state.index_key)?;
        // The checkpoint must be ours (a folder whose checkpoint another key signed is not
        // this registry's).
        omega_core::note::verify(&log.checkpoint.note, std::slice::from_ref(&keys.log_vkey))
            .map_err(|e| e.context(&path.join("checkpoint").display().to_string()))?;
        let size = log.checkpoint.checkpoint.size;
        let mut pending = Vec::new();
        if let Some((base, entries)) = read_journal(&path)? {
            let count = entries.len() as u64;
            if base == size {
                pending = entries;
            } else if base < size && base + count <= size {
                let logged = log.entries.get(base as usize..(base + count) as usize);
                if logged != Some(&entries[..]) {
                    return err(
                        ErrorCode::LogInconsistent,
                        format!(
                            "{}: the journalled entries {base}..{} differ from the log's; inspect it, then remove it",
                            journal_path(&path).display(),
                            base + count
                        ),
                    );
                }
                let jp = journal_path(&path);
                std::fs::remove_file(&jp).map_err(|e| io_err(&jp, &e))?;
            } else {
                return err(
                    ErrorCode::LogInconsistent,
                    format!(
                        "{}: journal for size {base} does not fit the log of size {size}; inspect it, then remove it",
                        journal_path(&path).display()
                    ),
                );
            }
        }
        Ok(Session {
            writer,
            source,
            log,
            state,
            pending,
            keys,
        })
    }

    /// The state with the journalled entries applied (what new entries are judged against).
    pub fn current_state(&self) -> Result<RegistryState, Failure> {
        let mut st = self.state.clone();
        for e in &self.pending {
            st.apply(e)
                .map_err(|e| e.context("journalled entry of an interrupted write"))?;
        }
        Ok(st)
    }

    /// Validates `new` at the log's end (after any journalled entries) and appends it all.
    pub fn commit(
        &self,
        new: &[Vec<u8>],
        objects: &[Vec<u8>],
        index_ttl: u64,
    ) -> Result<Written, Failure> {
        // A retry of a killed write: entries already journalled (byte-identical, as
        // signatures are deterministic) are not appended twice.
        let new: Vec<Vec<u8>> = new
            .iter()
            .filter(|e| !self.pending.contains(e))
            .cloned()
            .collect();
        let mut st = self.current_state()?;
        for e in &new {
            st.apply(e)?;
        }
        let mut all = self.pending.clone();
        all.extend(new);
        write_append(
            &self.writer,
            Some(&self.source),
            &self.log.entries,
            self.log.checkpoint.checkpoint.root,
            &all,
            objects,
            &self.keys,
            &self.state.origin,
            index_ttl,
        )
    }
}
