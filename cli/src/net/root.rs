//! [`RootDir`]: a folder opened once, below which every file is reached component by component
//! with `openat(O_NOFOLLOW)` — never through a symbolic link, never outside the folder. A
//! `file://` registry, the user cache and a registry folder being published all go through it.
//!
//! Reads refuse links (`UNSUPPORTED_FILE_TYPE`, even links that stay inside: an Ωpm folder never
//! holds one), special files (a FIFO is opened non-blocking, then refused) and files over the
//! caller's cap (`TOO_LARGE`, checked with `fstat` before a byte is read, and again while
//! reading). Writes go to a temporary file in the target's folder (`.<name>.tmp-<pid>-<random>`),
//! are flushed (`fsync`), then renamed (mutable files) or hard-linked without replacing
//! (write-once files) into place, and the folder is flushed too. Files get mode 0644 and new
//! folders 0755 whatever the umask, so a web server's unprivileged workers can serve them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use omega_core::{Error, ErrorCode, Result};
use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use super::path::RelPath;

/// Mode of every file written (world-readable: a registry folder is served as it is).
pub const FILE_MODE: u32 = 0o644;
/// Mode of every folder created.
pub const DIR_MODE: u32 = 0o755;
/// How often a blocked [`RootDir::lock`] tries again.
const LOCK_POLL: Duration = Duration::from_millis(50);

/// What [`RootDir::write_once`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOnce {
    /// The file did not exist and now holds the bytes.
    Created,
    /// The file already held exactly these bytes; nothing was written.
    Unchanged,
}

/// A folder opened once; see the module documentation.
#[derive(Debug)]
pub struct RootDir {
    path: PathBuf,
    fd: OwnedFd,
}

/// An exclusive `flock` on a file of a [`RootDir`], released when dropped (or when the process
/// ends, however it ends).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn errno_error(shown: &Path, e: Errno) -> Error {
    let code = match e {
        Errno::NOENT => ErrorCode::NotFound,
        Errno::LOOP => ErrorCode::UnsupportedFileType,
        _ => ErrorCode::Io,
    };
    let what = match e {
        Errno::LOOP => "is a symbolic link (not followed below the folder)".to_string(),
        _ => io::Error::from(e).to_string(),
    };
    Error::new(code, format!("{}: {what}", shown.display()))
}

fn io_error(shown: &Path, e: &io::Error) -> Error {
    omega_core::fs::io_error(shown, e)
}

fn random_hex() -> Result<String> {
    let mut rnd = [0u8; 8];
    getrandom::fill(&mut rnd).map_err(|e| {
        Error::new(
            ErrorCode::Io,
            format!("cannot get random bytes from the operating system: {e}"),
        )
    })?;
    Ok(omega_core::hash::to_hex(&rnd))
}

impl RootDir {
    /// Opens the folder `path` (links in `path` itself are followed: it is the user's choice;
    /// nothing below it is). `NOT_FOUND` when absent or not a folder.
    pub fn open(path: &Path) -> Result<RootDir> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::NOTDIR => Error::new(
                ErrorCode::NotFound,
                format!("{}: not a folder", path.display()),
            ),
            e => errno_error(path, e),
        })?;
        Ok(RootDir {
            path: path.to_path_buf(),
            fd,
        })
    }

    /// A folder already opened (by the caller, e.g. with `O_NOFOLLOW` and checked with
    /// `fstat`), known as `path` in messages.
    pub fn from_fd(path: &Path, fd: OwnedFd) -> RootDir {
        RootDir {
            path: path.to_path_buf(),
            fd,
        }
    }

    /// Creates the folder `path` (and its parents) when absent, then opens it.
    pub fn create(path: &Path) -> Result<RootDir> {
        std::fs::create_dir_all(path).map_err(|e| io_error(path, &e))?;
        RootDir::open(path)
    }

    /// The folder's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where `rel` is, for messages.
    pub fn shown(&self, rel: &RelPath) -> PathBuf {
        self.path.join(rel.as_str())
    }

    /// Opens the folders `parts` below the root without following links; with `create`, makes
    /// the missing ones. `None` when one is missing and `create` is off.
    fn open_dirs(&self, parts: &[&str], create: bool) -> Result<Option<OwnedFd>> {
        let mut shown = self.path.clone();
        let mut cur: Option<OwnedFd> = None;
        for part in parts {
            shown.push(part);
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let base = cur.as_ref().unwrap_or(&self.fd);
            let opened = match rustix::fs::openat(base, *part, flags, Mode::empty()) {
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(base, *part, Mode::from_raw_mode(DIR_MODE)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(errno_error(&shown, e)),
                    }
                    let fd = rustix::fs::openat(base, *part, flags, Mode::empty())
                        .map_err(|e| self.dir_error(base, part, &shown, e))?;
                    // umask may have narrowed the mode; a served folder must be world-readable.
                    rustix::fs::fchmod(&fd, Mode::from_raw_mode(DIR_MODE))
                        .map_err(|e| errno_error(&shown, e))?;
                    fd
                }
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(self.dir_error(base, part, &shown, e)),
                Ok(fd) => fd,
            };
            cur = Some(opened);
        }
        match cur {
            Some(fd) => Ok(Some(fd)),
            None => self
                .fd
                .try_clone()
                .map(Some)
                .map_err(|e| io_error(&self.path, &e)),
        }
    }

    /// The error for a folder component that could not be opened: a link and a file in the
    /// way are told apart (Linux says `ELOOP` or `ENOTDIR` for either, depending on flags).
    fn dir_error(&self, base: &OwnedFd, part: &str, shown: &Path, e: Errno) -> Error {
        if matches!(e, Errno::LOOP | Errno::NOTDIR) {
            if let Ok(st) = rustix::fs::statat(base, part, AtFlags::SYMLINK_NOFOLLOW) {
                let kind = FileType::from_raw_mode(st.st_mode);
                let what = if kind == FileType::Symlink {
                    "is a symbolic link (not followed below the folder)"
                } else {
                    "is not a folder"
                };
                return Error::new(
                    ErrorCode::UnsupportedFileType,
                    format!("{}: {what}", shown.display()),
                );
            }
        }
        errno_error(shown, e)
    }

    /// Reads the regular file `rel` of at most `cap` bytes. `None` when it (or a folder above
    /// it) is absent; `UNSUPPORTED_FILE_TYPE` for a link or special file anywhere on the way;
    /// `TOO_LARGE` over the cap (before reading when `fstat` shows it).
    pub fn read(&self, rel: &RelPath, cap: u64) -> Result<Option<Vec<u8>>> {
        let (parts, name) = rel.split_last();
        let Some(dir) = self.open_dirs(&parts, false)? else {
            return Ok(None);
        };
        read_at(&dir, name, &self.shown(rel), cap)
    }

    /// Writes `bytes` to `rel` atomically, replacing what is there: a temporary file in the
    /// same folder, flushed, renamed into place, and the folder flushed. On failure the
    /// temporary file is removed and `rel` is as it was. Missing folders are created.
    pub fn write_atomic(&self, rel: &RelPath, bytes: &[u8]) -> Result<()> {
        self.replace(rel, bytes, true)
    }

    /// [`RootDir::write_atomic`] without the flushes (no `fsync` of the file or the folder):
    /// for a cache whose files are verified again on every read, where a file lost or torn
    /// by a crash is only fetched again. Still a temporary file, then a rename: a reader never
    /// sees a half-written file while the system runs.
    pub fn write_atomic_unsynced(&self, rel: &RelPath, bytes: &[u8]) -> Result<()> {
        self.replace(rel, bytes, false)
    }

    fn replace(&self, rel: &RelPath, bytes: &[u8], durable: bool) -> Result<()> {
        let (parts, name) = rel.split_last();
        let shown = self.shown(rel);
        let dir = self.require_dirs(&parts)?;
        let tmp = write_temp(&dir, name, bytes, &shown, durable)?;
        if let Err(e) = rustix::fs::renameat(&dir, tmp.as_str(), &dir, name) {
            let _ = rustix::fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
            return Err(errno_error(&shown, e));
        }
        if durable {
            sync_dir(&dir, &shown)
        } else {
            Ok(())
        }
    }

    /// Writes `bytes` to `rel` once: creates it when absent (temporary file, flush, then a
    /// hard link or a no-replace rename, so a file that appears meanwhile is never replaced);
    /// [`WriteOnce::Unchanged`] when it already holds exactly these bytes; `IO` when it holds
    /// other bytes — an immutable file is never rewritten (docs/registry.md).
    pub fn write_once(&self, rel: &RelPath, bytes: &[u8]) -> Result<WriteOnce> {
        let (parts, name) = rel.split_last();
        let shown = self.shown(rel);
        let dir = self.require_dirs(&parts)?;
        if same_bytes_at(&dir, name, &shown, bytes)? {
            return Ok(WriteOnce::Unchanged);
        }
        let tmp = write_temp(&dir, name, bytes, &shown, true)?;
        let placed = match rustix::fs::linkat(&dir, tmp.as_str(), &dir, name, AtFlags::empty()) {
            Ok(()) => Ok(()),
            Err(Errno::EXIST) => Err(Errno::EXIST),
            // A filesystem without hard links: rename, but never over an existing file.
            Err(_) => {
                rustix::fs::renameat_with(&dir, tmp.as_str(), &dir, name, RenameFlags::NOREPLACE)
            }
        };
        let _ = rustix::fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
        match placed {
            Ok(()) => {
                sync_dir(&dir, &shown)?;
                Ok(WriteOnce::Created)
            }
            // Someone else wrote it between the check and the link: the same rule applies.
            Err(Errno::EXIST) if same_bytes_at(&dir, name, &shown, bytes)? => {
                Ok(WriteOnce::Unchanged)
            }
            Err(Errno::EXIST) => Err(differs(&shown)),
            Err(e) => Err(errno_error(&shown, e)),
        }
    }

    /// Removes the file `rel` if it is there (a cache entry that failed verification).
    pub fn remove(&self, rel: &RelPath) -> Result<()> {
        let (parts, name) = rel.split_last();
        let Some(dir) = self.open_dirs(&parts, false)? else {
            return Ok(());
        };
        match rustix::fs::unlinkat(&dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(errno_error(&self.shown(rel), e)),
        }
    }

    fn require_dirs(&self, parts: &[&str]) -> Result<OwnedFd> {
        self.open_dirs(parts, true)?.ok_or_else(|| {
            Error::new(
                ErrorCode::Io,
                format!("{}: cannot create the folders", self.path.display()),
            )
        })
    }

    /// Takes an exclusive `flock` on the file `name` directly in the root (created, mode 0644,
    /// when absent). While another process (or another open of the file in this one) holds it,
    /// `on_wait` is called once and the lock is tried again every 50 ms until `timeout`; then
    /// `IO` naming the lock file.
    pub fn lock(&self, name: &str, timeout: Duration, on_wait: impl FnOnce()) -> Result<DirLock> {
        let shown = self.path.join(name);
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(FILE_MODE),
        )
        .map_err(|e| errno_error(&shown, e))?;
        flock_wait(fd, shown, timeout, on_wait)
    }

    /// Takes an exclusive `flock` on the folder itself (no file is created: a project folder
    /// stays as it is), with [`RootDir::lock`]'s waiting and timeout. Used by `omega install`
    /// and `omega update` for the whole run (F5: two runs cannot roll `omega.lock` back).
    pub fn lock_folder(&self, timeout: Duration, on_wait: impl FnOnce()) -> Result<DirLock> {
        let fd = self.fd.try_clone().map_err(|e| io_error(&self.path, &e))?;
        flock_wait(fd, self.path.clone(), timeout, on_wait)
    }
}

/// `flock(LOCK_EX)` on `fd`, retried every [`LOCK_POLL`] until `timeout` (see [`RootDir::lock`]).
fn flock_wait(
    fd: OwnedFd,
    shown: PathBuf,
    timeout: Duration,
    on_wait: impl FnOnce(),
) -> Result<DirLock> {
    let start = Instant::now();
    let mut on_wait = Some(on_wait);
    loop {
        match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                return Ok(DirLock {
                    _file: File::from(fd),
                    path: shown,
                })
            }
            Err(Errno::WOULDBLOCK) | Err(Errno::INTR) => {}
            Err(e) => return Err(errno_error(&shown, e)),
        }
        if let Some(f) = on_wait.take() {
            f();
        }
        if start.elapsed() >= timeout {
            return Err(Error::new(
                ErrorCode::Io,
                format!(
                    "{}: locked by another process for {} s (another omega writing this folder?); \
                     try again when it has finished",
                    shown.display(),
                    timeout.as_secs()
                ),
            ));
        }
        std::thread::sleep(LOCK_POLL);
    }
}

fn differs(shown: &Path) -> Error {
    Error::new(
        ErrorCode::Io,
        format!(
            "{}: exists with different bytes; an immutable file is never rewritten \
             (a corrupted folder, or a writer that did not take the lock)",
            shown.display()
        ),
    )
}

/// Reads `name` in `dir` (see [`RootDir::read`]).
fn read_at(dir: &OwnedFd, name: &str, shown: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(errno_error(shown, e)),
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| errno_error(shown, e))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Error::new(
            ErrorCode::UnsupportedFileType,
            format!("{}: not a regular file", shown.display()),
        ));
    }
    let size = u64::try_from(st.st_size).unwrap_or(u64::MAX);
    if size > cap {
        return Err(too_large(shown, cap));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    File::from(fd)
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| io_error(shown, &e))?;
    if out.len() as u64 > cap {
        return Err(too_large(shown, cap));
    }
    Ok(Some(out))
}

fn too_large(shown: &Path, cap: u64) -> Error {
    Error::new(
        ErrorCode::TooLarge,
        format!("{}: larger than {cap} bytes", shown.display()),
    )
}

/// Whether `name` in `dir` holds exactly `bytes` (`false` when absent).
fn same_bytes_at(dir: &OwnedFd, name: &str, shown: &Path, bytes: &[u8]) -> Result<bool> {
    match read_at(dir, name, shown, bytes.len() as u64) {
        Ok(Some(have)) if have == bytes => Ok(true),
        Ok(None) => Ok(false),
        Ok(Some(_)) => Err(differs(shown)),
        Err(e) if e.code() == ErrorCode::TooLarge => Err(differs(shown)),
        Err(e) => Err(e),
    }
}

/// Writes a new temporary file next to `name` (mode 0644, flushed); returns its name.
fn write_temp(
    dir: &OwnedFd,
    name: &str,
    bytes: &[u8],
    shown: &Path,
    durable: bool,
) -> Result<String> {
    let stem: String = name.chars().take(100).collect();
    let tmp = format!(".{stem}.tmp-{}-{}", std::process::id(), random_hex()?);
    let fd = rustix::fs::openat(
        dir,
        tmp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(FILE_MODE),
    )
    .map_err(|e| errno_error(shown, e))?;
    let result = (|| -> io::Result<()> {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(FILE_MODE))?;
        let mut f = File::from(fd);
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
            Err(io_error(shown, &e))
        }
    }
}

/// Makes a rename durable. Not every filesystem can flush a folder; `EINVAL` is ignored.
fn sync_dir(dir: &OwnedFd, shown: &Path) -> Result<()> {
    match rustix::fs::fsync(dir.as_fd()) {
        Ok(()) | Err(Errno::INVAL) => Ok(()),
        Err(e) => Err(errno_error(shown, e)),
    }
}
