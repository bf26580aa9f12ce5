//! [`RegistryDir`]: a registry folder (REGISTRY R3) as `omega` writes it — the primitives of
//! `omega registry init`, `submit`, `publish`, `cosign` and `refresh`.
//!
//! Every write happens under [`RegistryWriter`], which holds an exclusive `flock` on
//! `DIR/.lock` (waiting up to a timeout for another writer, released on drop or when the
//! process dies), so two publishers never interleave. Immutable files (`tile/…`, `objects/…`)
//! are written once ([`RegistryWriter::write_immutable`]: the same bytes again are a no-op,
//! other bytes are an `IO` error and nothing is written); mutable files (`index/<name>`,
//! `checkpoint`, `policy`) are replaced atomically ([`RegistryWriter::write_mutable`]). The
//! order that keeps readers and syncs safe — immutable files first, then `index/`, then
//! `checkpoint` — is the caller's to follow. Nothing below the folder is reached through a
//! symbolic link; files are 0644 and folders 0755, ready to be served.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use omega_core::hash::{blake2b256, to_hex};
use omega_core::{Error, ErrorCode, Result};

use crate::net::root::{DirLock, RootDir, WriteOnce};
use crate::net::RelPath;

/// The lock file of a registry folder (a dot file: never fetched, see [`RelPath`]).
pub const LOCK_FILE: &str = ".lock";
/// How long a writer waits for another one by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// A registry folder; see the module documentation.
#[derive(Debug)]
pub struct RegistryDir {
    root: RootDir,
}

/// The right to write a [`RegistryDir`]: its lock is held while this lives.
#[derive(Debug)]
pub struct RegistryWriter<'a> {
    dir: &'a RegistryDir,
    lock: DirLock,
}

impl RegistryDir {
    /// Opens an existing registry folder (`NOT_FOUND` when absent).
    pub fn open(path: &Path) -> Result<RegistryDir> {
        Ok(RegistryDir {
            root: RootDir::open(path)?,
        })
    }

    /// Opens the folder, creating it (and its parents) when absent (`omega registry init`).
    pub fn create(path: &Path) -> Result<RegistryDir> {
        Ok(RegistryDir {
            root: RootDir::create(path)?,
        })
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// Reads `rel` (at most `cap` bytes); `None` when absent.
    pub fn read(&self, rel: &RelPath, cap: u64) -> Result<Option<Vec<u8>>> {
        self.root.read(rel, cap)
    }

    /// Takes the folder's lock, waiting up to `timeout` (calling `on_wait` once if it has to
    /// wait); `IO` naming `DIR/.lock` when another writer keeps it longer.
    pub fn lock(&self, timeout: Duration, on_wait: impl FnOnce()) -> Result<RegistryWriter<'_>> {
        let lock = self.root.lock(LOCK_FILE, timeout, on_wait)?;
        Ok(RegistryWriter { dir: self, lock })
    }

    /// [`RegistryDir::lock`] with [`DEFAULT_LOCK_TIMEOUT`], saying on stderr that it waits.
    pub fn lock_default(&self) -> Result<RegistryWriter<'_>> {
        let shown = self.path().join(LOCK_FILE);
        self.lock(DEFAULT_LOCK_TIMEOUT, || {
            let _ = writeln!(
                std::io::stderr(),
                "omega: waiting for {} (another omega is writing this registry) …",
                shown.display()
            );
        })
    }
}

impl RegistryWriter<'_> {
    /// The lock file held.
    pub fn lock_path(&self) -> &Path {
        self.lock.path()
    }

    /// Writes an immutable file (`tile/…`, `objects/…`) once; see [`RootDir::write_once`].
    /// `MALFORMED` for a path that is not immutable in R3.
    pub fn write_immutable(&self, rel: &RelPath, bytes: &[u8]) -> Result<WriteOnce> {
        if !rel.is_immutable() {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!("{rel}: not an immutable registry path (tile/… or objects/…)"),
            ));
        }
        self.dir.root.write_once(rel, bytes)
    }

    /// Writes `bytes` as a content-addressed object, `objects/<hh>/<hex>` with `<hex>` their
    /// BLAKE2b-256; returns the path.
    pub fn write_object(&self, bytes: &[u8]) -> Result<(RelPath, WriteOnce)> {
        let rel = RelPath::object(&to_hex(&blake2b256(bytes)))?;
        let written = self.write_immutable(&rel, bytes)?;
        Ok((rel, written))
    }

    /// Replaces a mutable file (`checkpoint`, `index/<name>`, `policy`) atomically.
    /// `MALFORMED` for any other path.
    pub fn write_mutable(&self, rel: &RelPath, bytes: &[u8]) -> Result<()> {
        if !(rel.is_mutable() || rel.as_str() == "policy") {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!("{rel}: not a mutable registry path (checkpoint, index/…, policy)"),
            ));
        }
        self.dir.root.write_atomic(rel, bytes)
    }

    /// Reads `rel` (at most `cap` bytes) while holding the lock; `None` when absent.
    pub fn read(&self, rel: &RelPath, cap: u64) -> Result<Option<Vec<u8>>> {
        self.dir.root.read(rel, cap)
    }
}
