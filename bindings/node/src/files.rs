//! `OMEGA_VERIFY=files`: a package's file table is verified against its pins once, then each
//! file is checked against the table as it is loaded.
//!
//! - Signed package: the table is the manifest's file list. omega-core checks the manifest
//!   (parse, signatures by the pinned keys, its file list's digest against the pinned digest)
//!   with `check_package` over that list, so no file is read to open the table.
//! - Unsigned package: no file list to trust, so the table is the package's files as read and
//!   checked (`check_package`) when it is opened.
//!
//! - Tree mode (`whole`): the table is the package's files as read and checked (the whole
//!   directory, signed or not), so that every file loaded later is compared with what passed;
//!   a signed package's manifest first, then paths and sizes, then contents
//!   (`omega_core::listed::open_tree_table`).
//!
//! Each loaded file is then read, hashed and compared with its entry by
//! `omega_core::listed::read_listed_file` (no symlinks, regular files only, size first), which
//! returns the bytes it hashed: the loader compiles exactly those. A failure carries the
//! table's report with that problem.
//!
//! A resolution is checked too (`check`): the bytes it read and hashed are kept, in this
//! library's memory, until the load of the same file takes them (`read`), so a file that is
//! resolved and then loaded is opened, read and hashed once. The kept bytes are bounded
//! ([`PENDING_LIMIT`]); past it they are dropped and the load reads the file again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use omega_core::listed::{open_manifest_table, open_tree_table, read_listed_file};
use omega_core::loader::Table;
use omega_core::{Error, ErrorCode, Pins};
use serde_json::{json, Value};

use crate::envelope::Outcome;
use crate::pins::PinsArg;

#[derive(Default)]
struct Tables {
    all: Vec<Arc<Table>>,
    by_key: HashMap<String, u32>,
    /// The key of the table the prefetch thread is opening, if any.
    in_progress: Option<String>,
    /// The keys of the tables the loader's own thread is opening (the prefetch thread skips
    /// them rather than open them a second time beside it).
    claimed: std::collections::HashSet<String>,
}

/// Signalled when the prefetch thread has finished a table.
fn done() -> &'static Condvar {
    static DONE: OnceLock<Condvar> = OnceLock::new();
    DONE.get_or_init(Condvar::new)
}

/// What [`prefetch`] opens: the package folder, its pins, the text naming them in the cache,
/// and its label.
pub struct Job {
    /// The package folder.
    pub dir: String,
    /// Its pins (a lock entry's audit pins).
    pub pins: Pins,
    /// The text naming the pins in the cache (as `open_pins` is called with).
    pub pins_text: String,
    /// The package's label in messages.
    pub label: String,
}

/// Opens the tables of `jobs` on a thread of its own, one after the other, while Node goes on
/// loading: the loader's own open of the same package then finds the table ready (or waits for
/// the one being opened). Refusals are not kept (the loader opens such a package itself, for
/// its error). Once per process.
pub fn prefetch(jobs: Vec<Job>, whole: bool) {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("omega-prefetch".into())
        .spawn(move || {
            for job in jobs {
                let Some(key) = cache_key(&job.dir, &job.pins_text, whole, true) else {
                    continue;
                };
                {
                    let mut t = tables();
                    if t.by_key.contains_key(&key) || t.claimed.contains(&key) {
                        continue;
                    }
                    t.in_progress = Some(key);
                }
                // Cleared however the open ends, so that no waiter waits for ever.
                let _clear = Clear;
                let pins = job.pins;
                let _ = open_with(
                    &job.dir,
                    || Ok(pins),
                    &job.pins_text,
                    &job.label,
                    whole,
                    true,
                    true,
                );
            }
        });
    drop(spawned);
}

/// Releases the loader's claim on a table when dropped.
struct Claim(String);

impl Drop for Claim {
    fn drop(&mut self) {
        tables().claimed.remove(&self.0);
    }
}

/// Clears the prefetch thread's table in progress and wakes the waiters when dropped.
struct Clear;

impl Drop for Clear {
    fn drop(&mut self) {
        tables().in_progress = None;
        done().notify_all();
    }
}

/// The cache key of a table: the package folder, how it was read and the pins. A caller's
/// folder is made canonical first (`Ω` may name it through a link); a lock entry's folder is
/// taken as given (`locked`: the loader's folders are real paths under the lock's real
/// directory, the same text the thread ahead builds), saving a `realpath` per package. A
/// table is the verified listing for its pins whichever folder it was read from, and every
/// file is compared with it when it loads, so the key only decides reuse.
fn cache_key(dir: &str, pins_text: &str, whole: bool, locked: bool) -> Option<String> {
    let dir = if locked {
        dir.to_string()
    } else {
        std::fs::canonicalize(dir).ok()?.to_str()?.to_string()
    };
    Some(format!("{dir}\u{0}{}\u{0}{pins_text}", u8::from(whole)))
}

fn tables() -> MutexGuard<'static, Tables> {
    static TABLES: OnceLock<Mutex<Tables>> = OnceLock::new();
    TABLES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The most bytes kept between a resolution's check and the file's load.
pub const PENDING_LIMIT: usize = 64 << 20;

/// Verified bytes waiting for their load: (table, file) -> bytes, and their total size.
#[derive(Default)]
struct Pending {
    files: HashMap<(u32, PathBuf), Vec<u8>>,
    bytes: usize,
}

fn pending() -> MutexGuard<'static, Pending> {
    static PENDING: OnceLock<Mutex<Pending>> = OnceLock::new();
    PENDING
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What [`open_table`] gives the loader: the table's number and the verified manifest's
/// signed dependency pins.
pub struct Opened {
    /// The table's number for [`read`] and [`check`].
    pub id: u32,
    /// The signed `dependencies` (name, `b2tree:` text).
    pub dependencies: Vec<(String, String)>,
}

fn opened(id: u32, table: &Table) -> Value {
    let deps: serde_json::Map<String, Value> = table
        .dependencies
        .iter()
        .map(|(n, d)| (n.clone(), Value::String(d.clone())))
        .collect();
    json!({ "id": id, "report": table.report.to_json(), "dependencies": deps })
}

/// Verifies the table of the package at `dir` (once per process for the same directory, pins
/// and `whole`) and returns `{id, report}`. With `whole`, the table is the files as read and
/// checked now, even for a signed package (tree mode).
pub fn open(dir: &str, pins_arg: &PinsArg, label: &str, whole: bool) -> Outcome {
    let (id, table) = open_table(dir, pins_arg, label, whole)?;
    Ok(opened(id, &table))
}

/// [`open`] without the JSON: the table's number and dependency pins.
pub fn open_pinned(
    dir: &str,
    pins_arg: &PinsArg,
    label: &str,
    whole: bool,
) -> Result<Opened, Error> {
    let (id, table) = open_table(dir, pins_arg, label, whole)?;
    Ok(Opened {
        id,
        dependencies: table.dependencies.clone(),
    })
}

/// [`open_pinned`] with core pins (a lock entry's); `pins_text` identifies them in the cache.
pub fn open_pins(
    dir: &str,
    pins: Pins,
    pins_text: &str,
    label: &str,
    whole: bool,
) -> Result<Opened, Error> {
    let (id, table) = open_with(dir, || Ok(pins), pins_text, label, whole, false, true)?;
    Ok(Opened {
        id,
        dependencies: table.dependencies.clone(),
    })
}

fn open_table(
    dir: &str,
    pins_arg: &PinsArg,
    label: &str,
    whole: bool,
) -> Result<(u32, Arc<Table>), Error> {
    open_with(
        dir,
        || pins_arg.to_pins(),
        &pins_arg.cache_text(),
        label,
        whole,
        false,
        false,
    )
}

#[allow(clippy::too_many_arguments)]
fn open_with(
    dir: &str,
    pins: impl FnOnce() -> Result<Pins, Error>,
    pins_text: &str,
    label: &str,
    whole: bool,
    prefetching: bool,
    locked: bool,
) -> Result<(u32, Arc<Table>), Error> {
    let key = cache_key(dir, pins_text, whole, locked);
    if let (Some(k), false) = (&key, prefetching) {
        // A table the prefetch thread is opening right now: wait for it rather than open it
        // twice (a refusal is not kept: then it is opened here, for the error).
        let mut t = tables();
        while t.in_progress.as_deref() == Some(k.as_str()) {
            t = done()
                .wait(t)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        if let Some(&id) = t.by_key.get(k) {
            if let Some(table) = t.all.get(id as usize) {
                return Ok((id, Arc::clone(table)));
            }
        }
        t.claimed.insert(k.clone());
    }
    // Released however the open ends (the prefetch thread may then open it, or skip it).
    let _claim = key
        .as_ref()
        .filter(|_| !prefetching)
        .map(|k| Claim(k.clone()));
    let pins = pins()?;
    let root = Path::new(dir);
    let table = if whole {
        // Tree mode: every file now, sizes first (omega-core's open_tree_table).
        open_tree_table(root, label, &pins)?
    } else {
        open_manifest_table(root, label, &pins)?
    };
    let mut t = tables();
    let id = u32::try_from(t.all.len())
        .map_err(|_| Error::new(ErrorCode::TooLarge, "too many packages opened"))?;
    let table = Arc::new(table);
    t.all.push(Arc::clone(&table));
    drop(t);
    if let Some(k) = key {
        tables().by_key.insert(k, id);
    }
    Ok((id, table))
}

fn table(id: u32) -> Result<Arc<Table>, Error> {
    tables().all.get(id as usize).cloned().ok_or_else(|| {
        Error::new(
            ErrorCode::NotFound,
            format!("no verified file table number {id}"),
        )
    })
}

/// The bytes of the file `rel` (at `abs`) if they are those of table `id`: the ones a check of
/// its resolution kept, else read and hashed now.
pub fn read(id: u32, rel: &str, abs: &Path) -> Result<Vec<u8>, Error> {
    {
        let mut p = pending();
        if let Some(bytes) = p.files.remove(&(id, abs.to_path_buf())) {
            p.bytes = p.bytes.saturating_sub(bytes.len());
            return Ok(bytes);
        }
    }
    read_now(id, rel, abs)
}

fn read_now(id: u32, rel: &str, abs: &Path) -> Result<Vec<u8>, Error> {
    let table = table(id)?;
    read_listed_file(abs, rel, &table)
}

/// The loader's check of a package's `package.json` each time it opens the package (files and
/// tree mode, whether the table was made now or earlier by the thread ahead): Node reads it to
/// resolve the package (`main`, `exports`, `imports`, `type`) right after, so it is compared
/// with the table then, not only when the table was made (threat model N19). Anything at that
/// path is checked (a link or FIFO refused); a listed one that is missing is refused (Node
/// would read the folder above's), an unlisted one must be absent (`Table::scope`); with none,
/// so must the scope folder's that Node reads in its place
/// (`omega_core::listed::check_package_top`).
pub fn check_package_json(id: u32, dir: &str) -> Result<(), Error> {
    if let Some(bytes) = omega_core::listed::check_package_top(id, dir, &*table(id)?)? {
        keep(id, &Path::new(dir).join("package.json"), bytes);
    }
    Ok(())
}

/// Checks a `package.json` that Node may read for a file of a package (a layout's step,
/// `omega_core::listed::check_layout_scope`) against its package's table.
pub fn check_layout_scope(scope: &omega_core::layout::Scope) -> Result<(), Error> {
    omega_core::listed::check_layout_scope(scope, &*table(scope.table)?).map(|_| ())
}

/// Checks the file `rel` (at `abs`) against table `id` (a resolution), keeping the verified
/// bytes for its load.
pub fn check(id: u32, rel: &str, abs: &Path) -> Result<(), Error> {
    let bytes = read_now(id, rel, abs)?;
    keep(id, abs, bytes);
    Ok(())
}

/// Keeps the verified `bytes` of the file at `abs` (table `id`) for its load.
fn keep(id: u32, abs: &Path, bytes: Vec<u8>) {
    let mut p = pending();
    if p.bytes.saturating_add(bytes.len()) > PENDING_LIMIT {
        p.files.clear();
        p.bytes = 0;
    }
    p.bytes += bytes.len();
    if let Some(old) = p.files.insert((id, abs.to_path_buf()), bytes) {
        p.bytes = p.bytes.saturating_sub(old.len());
    }
}
