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
use omega_core::hash::to_hex;
use omega_core::index::{IndexLine, IndexNote};
use omega_core::limits::MAX_INDEX_BYTES;
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
use super::log::{
    edge_paths, fetch_tiles, read_checkpoint, read_entries, read_log_at, ReadCheckpoint,
};
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

/// The index lines of every name, from the log's entries (in entry order); `first` is the
/// index of `entries[0]` in the log.
pub fn index_lines(
    entries: &[Vec<u8>],
    first: u64,
) -> Result<BTreeMap<String, Vec<IndexLine>>, Failure> {
    let mut out: BTreeMap<String, Vec<IndexLine>> = BTreeMap::new();
    for (i, bytes) in entries.iter().enumerate() {
        let entry = first + i as u64;
        let e = Entry::parse(bytes).map_err(|e| e.context(&format!("entry {entry}")))?;
        add_index_line(&mut out, entry, &e.statement);
    }
    Ok(out)
}

/// Adds the index line of entry `entry` (its `statement`) to its name's lines in `out`
/// (a `registry` statement has none).
pub fn add_index_line(
    out: &mut BTreeMap<String, Vec<IndexLine>>,
    entry: u64,
    statement: &Statement,
) {
    let (name, line) = match statement {
        Statement::Registry(_) => return,
        Statement::Owners(s) => (&s.name, IndexLine::Owners { entry }),
        Statement::Release(s) => (
            &s.name,
            IndexLine::Release {
                entry,
                version: s.version.clone(),
                sequence: s.sequence,
                tgz: s.tgz,
                manifest: s.manifest,
            },
        ),
        Statement::Revoke(s) => (
            &s.name,
            IndexLine::Revoke {
                entry,
                key: s.key.to_base64(),
            },
        ),
        Statement::Yank(s) => (
            &s.name,
            IndexLine::Yank {
                entry,
                version: s.version.clone(),
                sequence: s.sequence,
            },
        ),
        Statement::Notice(s) => (
            &s.name,
            IndexLine::Notice {
                entry,
                id: s.id.clone(),
                severity: s.severity,
            },
        ),
    };
    match out.get_mut(name.as_str()) {
        Some(lines) => lines.push(line),
        None => {
            out.insert(name.clone(), vec![line]);
        }
    }
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
    base: u64,
    old_root: Hash,
    new: &[Vec<u8>],
    objects: &[Vec<u8>],
    keys: &RegistryKeys,
    origin: &str,
    index_ttl: u64,
    old_lines: &dyn Fn(&str) -> Result<Vec<IndexLine>, Failure>,
) -> Result<Written, Failure> {
    let dir = writer_dir(writer);
    // Everything is computed (and every signature made) before the first byte is written, so
    // a failure here (an index note over its limit, a bad stored tile) leaves no journal.
    let mut publisher = match source {
        Some(src) if base > 0 => {
            let edge = fetch_tiles(src, &edge_paths(base)?, &Progress::hidden())?;
            Publisher::resume(base, &old_root, &edge)?
        }
        _ => Publisher::new(),
    };
    let appended = publisher.append(new)?;
    // Index notes of every name the new entries touch: the name's earlier lines, then the
    // new entries' lines.
    let mut new_lines = index_lines(new, base)?;
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
    let mut notes = Vec::new();
    for name in &touched {
        let mut l = old_lines(name)?;
        l.extend(new_lines.remove(name).unwrap_or_default());
        let text = index_note(origin, name, appended.size, expires, l, keys)?;
        notes.push((name.clone(), RelPath::index(name)?, text));
    }
    let cp = checkpoint_note(origin, appended.size, appended.root, keys)?;

    for o in objects {
        writer.write_object(o)?;
    }
    crash_point("objects");
    write_journal(&dir, base, new)?;
    crash_point("journal");
    for f in &appended.files {
        writer.write_immutable(&RelPath::new(&f.path.to_string())?, &f.bytes)?;
        crash_point("tile");
    }
    let mut indexes = Vec::new();
    for (name, rel, text) in notes {
        writer.write_mutable(&rel, text.as_bytes())?;
        indexes.push(name);
        crash_point("index");
    }
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

/// Test hook, compiled into debug builds only (`cfg(debug_assertions)`: `cargo test` builds;
/// a release build has no such variable, threat model RR15): `OMEGA_REGISTRY_CRASH_AT=<step>`
/// aborts the process (no cleanup, like SIGKILL) right after that step of [`write_append`]
/// (`objects`, `journal`, `tile`, `index`, `checkpoint`), so the tests can stop a writer at
/// every point deterministically.
#[cfg(debug_assertions)]
fn crash_point(step: &str) {
    if std::env::var_os("OMEGA_REGISTRY_CRASH_AT").is_some_and(|v| v == step) {
        std::process::abort();
    }
}

/// Release builds: no crash hook (RR15).
#[cfg(not(debug_assertions))]
fn crash_point(_step: &str) {}

fn writer_dir(writer: &RegistryWriter<'_>) -> PathBuf {
    writer
        .lock_path()
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The writer's cache of the replayed state (a dot file: never fetched; as private as
/// `.keys/`).
pub const STATE_CACHE_FILE: &str = ".state";
const STATE_CACHE_HEADER: &str = "omega-registry-cache/v1";

fn cache_path(dir: &Path) -> PathBuf {
    dir.join(STATE_CACHE_FILE)
}

/// Saves the state after the log of `size` with `root` (best effort: a failure only costs a
/// full replay next time).
fn write_cache(dir: &Path, size: u64, root: &Hash, state: &RegistryState) {
    let mut bytes = format!("{STATE_CACHE_HEADER} {size} {}\n", to_hex(root)).into_bytes();
    bytes.extend_from_slice(&state.to_json_bytes());
    if let Err(Failure::Core(e)) = write_atomic(&cache_path(dir), &bytes, 0o600, Overwrite::Replace)
    {
        esay!(
            "omega: warning: cannot save {}: {}",
            cache_path(dir).display(),
            e.message()
        );
    }
}

/// The cached state if it belongs to the log of exactly `size` and `root`.
fn read_cache(dir: &Path, size: u64, root: &Hash) -> Option<RegistryState> {
    let bytes = std::fs::read(cache_path(dir)).ok()?;
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let (head, rest) = bytes.split_at(nl);
    let expected = format!("{STATE_CACHE_HEADER} {size} {}", to_hex(root));
    if head != expected.as_bytes() {
        return None;
    }
    let state = RegistryState::parse(rest.get(1..)?).ok()?;
    (state.size == size).then_some(state)
}

/// A registry folder open for writing: its lock held, its checkpoint read, the state at its
/// end (from the cache `DIR/.state` when it belongs to exactly this checkpoint's size and
/// root, else by replaying the whole log), its keys loaded, a journal of a killed writer found.
pub struct Session<'a> {
    /// The lock.
    pub writer: RegistryWriter<'a>,
    /// The folder as a source.
    pub source: Source,
    /// The checkpoint.
    pub checkpoint: ReadCheckpoint,
    /// Every name's index lines, when the log was replayed (`None` when the state came from
    /// the cache); the entries themselves are not kept (the replay goes window by window).
    pub lines: Option<BTreeMap<String, Vec<IndexLine>>>,
    /// The state at the log's end (journalled entries not included).
    pub state: RegistryState,
    /// Entries of a killed writer, appended before any new one.
    pub pending: Vec<Vec<u8>>,
    /// The registry's keys.
    pub keys: RegistryKeys,
    path: PathBuf,
}

impl<'a> Session<'a> {
    /// Takes the lock of `dir` and reads the state; `full` replays the whole log whatever the
    /// cache holds (and keeps every entry).
    pub fn open(dir: &'a RegistryDir, quiet: bool, full: bool) -> Result<Session<'a>, Failure> {
        let writer = dir.lock_default()?;
        let path = dir.path().to_path_buf();
        let source = dir_source(&path)?;
        let checkpoint = read_checkpoint(&source)?;
        let size = checkpoint.checkpoint.size;
        let root = checkpoint.checkpoint.root;
        let cached = if full || std::env::var_os("OMEGA_REGISTRY_NO_CACHE").is_some() {
            None
        } else {
            read_cache(&path, size, &root)
        };
        let (state, lines) = match cached {
            Some(st) => (st, None),
            None => {
                let progress = Progress::items(size, "reading the log", quiet);
                let mut lines = BTreeMap::new();
                let log = read_log_at(&source, checkpoint.clone(), &progress, &mut |i, e| {
                    add_index_line(&mut lines, i, &e.statement)
                });
                progress.finish();
                (log?.state, Some(lines))
            }
        };
        let keys = keys::load(&path, &state.log_key, &state.index_key)?;
        // The checkpoint must be ours (a folder whose checkpoint another key signed is not
        // this registry's).
        omega_core::note::verify(&checkpoint.note, std::slice::from_ref(&keys.log_vkey))
            .map_err(|e| e.context(&path.join("checkpoint").display().to_string()))?;
        if lines.is_some() {
            write_cache(&path, size, &root, &state);
        }
        let mut pending = Vec::new();
        if let Some((base, journalled)) = read_journal(&path)? {
            let count = journalled.len() as u64;
            if base == size {
                pending = journalled;
            } else if base < size && base + count <= size {
                let logged = read_entries(
                    &source,
                    &checkpoint.checkpoint,
                    base,
                    base + count,
                    &Progress::hidden(),
                )?;
                if logged != journalled {
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
            checkpoint,
            lines,
            state,
            pending,
            keys,
            path,
        })
    }

    /// The log's size.
    pub fn size(&self) -> u64 {
        self.checkpoint.checkpoint.size
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

    /// The index lines of `name` for the entries below the log's size: from every entry
    /// after a replay; else from the name's current index note (verified with the index key,
    /// `as-of` at most the size) and the entries after its `as-of`; a name the state does not
    /// know has none.
    pub fn lines_before_end(&self, name: &str) -> Result<Vec<IndexLine>, Failure> {
        let size = self.size();
        if let Some(all) = &self.lines {
            return Ok(all.get(name).cloned().unwrap_or_default());
        }
        if self.state.name(name).is_none() {
            return Ok(Vec::new());
        }
        let rel = RelPath::index(name)?;
        let note = self
            .writer
            .read(&rel, MAX_INDEX_BYTES as u64)?
            .and_then(|b| {
                IndexNote::verify(
                    &b,
                    &self.keys.index_vkey,
                    &self.state.origin,
                    name,
                    size,
                    None,
                )
                .ok()
            });
        let (mut lines, from) = match note {
            Some(n) => (n.lines, n.as_of),
            None => (Vec::new(), 0),
        };
        if from < size {
            let delta = read_entries(
                &self.source,
                &self.checkpoint.checkpoint,
                from,
                size,
                &Progress::hidden(),
            )?;
            lines.extend(index_lines(&delta, from)?.remove(name).unwrap_or_default());
        }
        Ok(lines)
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
        let written = write_append(
            &self.writer,
            Some(&self.source),
            self.size(),
            self.checkpoint.checkpoint.root,
            &all,
            objects,
            &self.keys,
            &self.state.origin,
            index_ttl,
            &|name| self.lines_before_end(name),
        )?;
        write_cache(&self.path, written.size, &written.root, &st);
        Ok(written)
    }
}
