//! Writing verified packages into `ROOT/node_modules`, only after every check passed: each
//! package is unpacked (core's strict tarball reader, the same bytes the checks saw) into its
//! own staging folder `ROOT/.omega-install-<pid>/<i>`, then renamed into place, parents first;
//! a package already at the path is moved aside first and removed only when the caller
//! [commits](Layout::commit) (after `omega.lock` is written, F4). A failure half-way, or a
//! lock that cannot be written, undoes every move (RR10): `node_modules` is left as it was.
//!
//! No link is ever followed below the project root (RR16): before anything is written, every
//! component of every destination is looked at with `lstat` and a symbolic link anywhere
//! (`node_modules -> .git`, `node_modules/@scope -> ../../.config`, an `npm link`ed
//! `node_modules/left-pad`) is refused with `UNSAFE_PATH` naming it; then every folder on the
//! way is opened with `O_NOFOLLOW|O_DIRECTORY` and every move is a `renameat` between those
//! handles, so a link swapped in meanwhile is refused too, never written through.
//!
//! Deterministic: files 0644 (0755 when executable), folders 0755, every file and folder of an
//! installed package dated 1985-10-26T08:15:00Z (npm's fixed tarball date), whatever the umask.
//! No install script ever runs: nothing is executed.
//!
//! Staging folders: a running install holds an exclusive `flock` on its staging folder; one
//! nobody holds was left by an install that was killed and is removed by the next install
//! (RR21: no `/proc/<pid>`, which is wrong across pid namespaces). When undoing fails too, the
//! staging folder (holding the replaced packages) is renamed `.omega-install-failed-<pid>` and
//! never removed automatically.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use omega_core::tarball::{gunzip, read_tar, MAX_TARBALL_UNPACKED_BYTES};
use omega_core::tree::validate_path;
use omega_core::{Error, ErrorCode};
use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;

use super::Planned;
use crate::util::{io_err, Failure};

/// npm's fixed date (1985-10-26T08:15:00Z), as Unix seconds.
pub const FIXED_MTIME: i64 = 499_162_500;
/// Prefix of a running (or killed) install's staging folder; the pid follows.
const STAGING_PREFIX: &str = ".omega-install-";
/// Prefix of a staging folder kept because undoing failed; never removed automatically.
const FAILED_PREFIX: &str = ".omega-install-failed-";

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

fn fixed_times() -> Timestamps {
    let t = Timespec {
        tv_sec: FIXED_MTIME,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn errno(shown: &Path, e: Errno) -> Failure {
    io_err(shown, &std::io::Error::from(e))
}

fn unsafe_path(shown: &Path, what: &str) -> Failure {
    Failure::Core(Error::new(
        ErrorCode::UnsafePath,
        format!(
            "{}: {what}; omega install never writes through a link below the project \
             (remove it, or install elsewhere)",
            shown.display()
        ),
    ))
}

/// What is at `name` in `dir`, without following a link; `None` when absent.
fn kind_at(dir: &OwnedFd, name: &str, shown: &Path) -> Result<Option<FileType>, Failure> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(errno(shown, e)),
    }
}

/// Opens the folder `name` in `dir` without following a link: `UNSAFE_PATH` for a link or a
/// file in the way, `None` when absent.
fn open_dir_at(dir: &OwnedFd, name: &str, shown: &Path) -> Result<Option<OwnedFd>, Failure> {
    match rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) => Ok(None),
        Err(e @ (Errno::LOOP | Errno::NOTDIR)) => match kind_at(dir, name, shown)? {
            Some(FileType::Symlink) => Err(unsafe_path(shown, "is a symbolic link")),
            Some(_) => Err(unsafe_path(shown, "is not a folder")),
            None => Err(errno(shown, e)),
        },
        Err(e) => Err(errno(shown, e)),
    }
}

/// Opens the folders `parts` below `root` one by one (never through a link); with `create`,
/// makes the missing ones (mode 0755). `None` when one is missing and `create` is off.
fn walk(
    root: &OwnedFd,
    root_path: &Path,
    parts: &[&str],
    create: bool,
) -> Result<Option<OwnedFd>, Failure> {
    let mut shown = root_path.to_path_buf();
    let mut cur = root.try_clone().map_err(|e| io_err(root_path, &e))?;
    for part in parts {
        shown.push(part);
        let next = match open_dir_at(&cur, part, &shown)? {
            Some(fd) => fd,
            None if create => {
                match rustix::fs::mkdirat(&cur, *part, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(errno(&shown, e)),
                }
                let fd =
                    open_dir_at(&cur, part, &shown)?.ok_or_else(|| errno(&shown, Errno::NOENT))?;
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o755))
                    .map_err(|e| errno(&shown, e))?;
                fd
            }
            None => return Ok(None),
        };
        cur = next;
    }
    Ok(Some(cur))
}

/// RR16: every existing component of `path` below `root` is a real folder (the last one may
/// be anything but a link: it is moved aside, never written into). Nothing is created.
fn check_no_link(root: &OwnedFd, root_path: &Path, path: &str) -> Result<(), Failure> {
    let parts: Vec<&str> = path.split('/').collect();
    let Some((last, parents)) = parts.split_last() else {
        return Ok(());
    };
    let Some(parent) = walk(root, root_path, parents, false)? else {
        return Ok(());
    };
    let shown = root_path.join(path);
    if kind_at(&parent, last, &shown)? == Some(FileType::Symlink) {
        return Err(unsafe_path(&shown, "is a symbolic link"));
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| io_err(path, &e))
}

/// Writes one package's files into its staging folder `dir` (a folder this run created:
/// nothing else writes there).
fn write_package(dir: &Path, files: &[(String, bool, Vec<u8>)]) -> Result<(), Failure> {
    fs::create_dir(dir).map_err(|e| io_err(dir, &e))?;
    for (rel, exec, data) in files {
        validate_path(rel)?;
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_err(parent, &e))?;
        }
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_err(&path, &e))?;
        f.write_all(data).map_err(|e| io_err(&path, &e))?;
        set_mode(&path, if *exec { 0o755 } else { 0o644 })?;
    }
    Ok(())
}

/// Fixed modes and dates below the folder `dir` (folders after their contents, links never
/// followed), then `dir` itself.
fn normalise(dir: &OwnedFd, shown: &Path) -> Result<(), Failure> {
    let times = fixed_times();
    let entries = rustix::fs::Dir::read_from(dir).map_err(|e| errno(shown, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| errno(shown, e))?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let name = CString::new(name).map_err(|_| errno(shown, Errno::INVAL))?;
        let p = shown.join(name.to_string_lossy().as_ref());
        let st = rustix::fs::statat(dir, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| errno(&p, e))?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            let sub = rustix::fs::openat(dir, name.as_c_str(), DIR_FLAGS, Mode::empty())
                .map_err(|e| errno(&p, e))?;
            normalise(&sub, &p)?;
        } else {
            rustix::fs::utimensat(dir, name.as_c_str(), &times, AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| errno(&p, e))?;
        }
    }
    rustix::fs::fchmod(dir, Mode::from_raw_mode(0o755)).map_err(|e| errno(shown, e))?;
    rustix::fs::futimens(dir, &times).map_err(|e| errno(shown, e))
}

/// One package moved into place: where, and where the package it replaced was put.
struct Move {
    /// The destination's parent folder (opened without following links) and its name there.
    parent: OwnedFd,
    name: String,
    /// The destination, for messages.
    shown: PathBuf,
    /// The replaced package's name in the trash folder, if any.
    aside: Option<String>,
    /// Whether the replaced package's `node_modules` was moved into the new one.
    nested_moved: bool,
    /// The new package's name in the staging folder (it goes back there).
    from: String,
}

/// Packages laid out but not yet committed: [`Layout::commit`] deletes the replaced ones,
/// [`Layout::undo`] puts them back (the lock could not be written).
pub struct Layout {
    root: OwnedFd,
    root_path: PathBuf,
    staging_name: String,
    staging: OwnedFd,
    trash: OwnedFd,
    moves: Vec<Move>,
}

impl Layout {
    fn staging_path(&self) -> PathBuf {
        self.root_path.join(&self.staging_name)
    }

    /// Everything is in place and recorded: the replaced packages and the staging folder go.
    pub fn commit(self) {
        let _ = fs::remove_dir_all(self.staging_path());
    }

    /// Undoes every move (last first, going on after an error) and returns `cause`; when the
    /// undo failed too, the staging folder (with the replaced packages) is renamed
    /// `.omega-install-failed-<pid>`, kept, and named in the error (RR21).
    pub fn undo(self, cause: Failure) -> Failure {
        let errors = undo_moves(&self.moves, &self.staging, &self.trash);
        if errors.is_empty() {
            let _ = fs::remove_dir_all(self.staging_path());
            return cause;
        }
        let failed = format!("{FAILED_PREFIX}{}", std::process::id());
        let kept = match rustix::fs::renameat(
            &self.root,
            self.staging_name.as_str(),
            &self.root,
            failed.as_str(),
        ) {
            Ok(()) => self.root_path.join(&failed),
            Err(_) => self.staging_path(),
        };
        let undo_text: Vec<String> = errors.iter().map(failure_text).collect();
        Failure::Core(Error::new(
            ErrorCode::Io,
            format!(
                "{}; undoing the layout failed too ({}): the replaced packages are kept in {} \
                 (never removed automatically; put them back by hand)",
                failure_text(&cause),
                undo_text.join("; "),
                kept.join("old").display()
            ),
        ))
    }
}

/// Lays out `planned` below `root` (see the module documentation); returns the uncommitted
/// [`Layout`]. On a failure every move made so far is undone (RR10) before returning it.
pub fn lay_out(root_path: &Path, planned: &[Planned]) -> Result<Layout, Failure> {
    let root = rustix::fs::open(
        root_path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| errno(root_path, e))?;
    check_destinations(&root, root_path, planned)?;
    remove_leftovers(&root, root_path);
    let staging_name = format!("{STAGING_PREFIX}{}", std::process::id());
    let staging_path = root_path.join(&staging_name);
    rustix::fs::mkdirat(&root, staging_name.as_str(), Mode::from_raw_mode(0o700))
        .map_err(|e| errno(&staging_path, e))?;
    let staging = rustix::fs::openat(&root, staging_name.as_str(), DIR_FLAGS, Mode::empty())
        .map_err(|e| errno(&staging_path, e))?;
    // Held until this process ends: the staging folder is in use (RR21).
    rustix::fs::flock(&staging, FlockOperation::NonBlockingLockExclusive)
        .map_err(|e| errno(&staging_path, e))?;
    let trash = rustix::fs::mkdirat(&staging, "old", Mode::from_raw_mode(0o700))
        .and_then(|()| rustix::fs::openat(&staging, "old", DIR_FLAGS, Mode::empty()));
    let trash = match trash {
        Ok(t) => t,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging_path);
            return Err(errno(&staging_path.join("old"), e));
        }
    };
    let mut layout = Layout {
        root,
        root_path: root_path.to_path_buf(),
        staging_name,
        staging,
        trash,
        moves: Vec::new(),
    };
    match lay_out_in(&mut layout, planned) {
        Ok(()) => Ok(layout),
        Err(e) => Err(layout.undo(e)),
    }
}

/// Every destination is checked before anything is written: an install folder of its own
/// lock key (core's rule), each used once, and no link on the way (RR1, RR16). A lock whose
/// `path` points at `.git/hooks`, `src` or another package's folder never gets this far
/// (Lockfile::parse applies the same rule); a `node_modules` that is a link to `.git` does.
fn check_destinations(
    root: &OwnedFd,
    root_path: &Path,
    planned: &[Planned],
) -> Result<(), Failure> {
    let mut seen = std::collections::BTreeSet::new();
    for p in planned {
        validate_path(&p.path)?;
        omega_core::lock::check_install_path(&p.key, &p.path)?;
        if !seen.insert(p.path.as_str()) {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!("two packages would be installed at {}", p.path),
            )));
        }
        check_no_link(root, root_path, &p.path)?;
    }
    Ok(())
}

/// Removes the staging folders `ROOT/.omega-install-<pid>` of installs that were killed: a
/// folder whose `flock` nobody holds (a running install holds its own; RR21). Links and files
/// with such names are removed as they are, never followed. `.omega-install-failed-<pid>`
/// folders are never touched.
fn remove_leftovers(root: &OwnedFd, root_path: &Path) {
    let Ok(rd) = fs::read_dir(root_path) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_staging = name
            .strip_prefix(STAGING_PREFIX)
            .is_some_and(|p| p.parse::<u32>().is_ok());
        if !is_staging {
            continue;
        }
        let path = root_path.join(name);
        let removed = match kind_at(root, name, &path) {
            Ok(Some(FileType::Directory)) => {
                let Ok(fd) = rustix::fs::openat(root, name, DIR_FLAGS, Mode::empty()) else {
                    continue;
                };
                if rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive).is_err() {
                    continue; // a running install's
                }
                fs::remove_dir_all(&path)
            }
            Ok(Some(_)) => {
                rustix::fs::unlinkat(root, name, AtFlags::empty()).map_err(std::io::Error::from)
            }
            _ => continue,
        };
        if removed.is_ok() {
            esay!(
                "omega: removed {} (left by an install that was stopped)",
                path.display()
            );
        }
    }
}

fn failure_text(f: &Failure) -> String {
    match f {
        Failure::Core(e) => format!("{}: {}", e.code().as_str(), e.message()),
        Failure::Usage(m) => m.clone(),
        Failure::Exit(s) => format!("exit {s}"),
    }
}

/// Undoes `moves`, last first; goes on after an error (each move that can be undone is) and
/// returns the errors.
fn undo_moves(moves: &[Move], staging: &OwnedFd, trash: &OwnedFd) -> Vec<Failure> {
    let mut errors = Vec::new();
    for (k, m) in moves.iter().rev().enumerate() {
        let undone = if k == 0 {
            injected_failure("undo", &m.shown)
        } else {
            Ok(())
        };
        if let Err(e) = undone.and_then(|()| undo_one(m, staging, trash)) {
            errors.push(e);
        }
    }
    errors
}

fn undo_one(m: &Move, staging: &OwnedFd, trash: &OwnedFd) -> Result<(), Failure> {
    if let (Some(a), true) = (&m.aside, m.nested_moved) {
        let dest = open_dir_at(&m.parent, &m.name, &m.shown)?
            .ok_or_else(|| errno(&m.shown, Errno::NOENT))?;
        let back = open_dir_at(trash, a, &m.shown)?.ok_or_else(|| errno(&m.shown, Errno::NOENT))?;
        rustix::fs::renameat(&dest, "node_modules", &back, "node_modules")
            .map_err(|e| errno(&m.shown.join("node_modules"), e))?;
    }
    if kind_at(&m.parent, &m.name, &m.shown)?.is_some() {
        rustix::fs::renameat(&m.parent, m.name.as_str(), staging, m.from.as_str())
            .map_err(|e| errno(&m.shown, e))?;
    }
    if let Some(a) = &m.aside {
        rustix::fs::renameat(trash, a.as_str(), &m.parent, m.name.as_str())
            .map_err(|e| errno(&m.shown, e))?;
    }
    Ok(())
}

/// Test hook, compiled into debug builds only (like `OMEGA_REGISTRY_CRASH_AT`, RR15):
/// `OMEGA_INSTALL_FAIL_AT=<k>` makes the k-th move into place (0-based) fail as an I/O
/// error, so the tests can check that a failure half-way leaves `node_modules` as it was;
/// `lock` makes writing `omega.lock` fail (RR19, see `install::run`); `undo` makes undoing the
/// last move fail (RR21). Several points: comma-separated (`2,undo`).
#[cfg(debug_assertions)]
pub fn injected_failure(at: &str, dest: &Path) -> Result<(), Failure> {
    if std::env::var("OMEGA_INSTALL_FAIL_AT").is_ok_and(|v| v.split(',').any(|x| x == at)) {
        return Err(Failure::Core(Error::new(
            ErrorCode::Io,
            format!(
                "{}: injected failure (OMEGA_INSTALL_FAIL_AT={at})",
                dest.display()
            ),
        )));
    }
    Ok(())
}

/// Release builds: no failure hook.
#[cfg(not(debug_assertions))]
pub fn injected_failure(_at: &str, _dest: &Path) -> Result<(), Failure> {
    Ok(())
}

fn lay_out_in(l: &mut Layout, planned: &[Planned]) -> Result<(), Failure> {
    let mut order: Vec<(usize, &Planned)> = planned.iter().enumerate().collect();
    order.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    // Unpack everything first, into the staging folder this run created.
    let staging_path = l.staging_path();
    for (i, p) in &order {
        let tar = gunzip(&p.release.tgz, MAX_TARBALL_UNPACKED_BYTES)?;
        let files = read_tar(&tar)?;
        write_package(&staging_path.join(i.to_string()), &files)?;
    }
    // Then move into place, parents first, through folder handles opened without following
    // links; each move is recorded before the next so that a failure can undo them all.
    for (k, (i, p)) in order.iter().enumerate() {
        validate_path(&p.path)?;
        let shown = l.root_path.join(&p.path);
        injected_failure(&k.to_string(), &shown)?;
        let parts: Vec<&str> = p.path.split('/').collect();
        let Some((name, parents)) = parts.split_last() else {
            return Err(errno(&shown, Errno::INVAL));
        };
        let parent = walk(&l.root, &l.root_path, parents, true)?
            .ok_or_else(|| errno(&shown, Errno::NOENT))?;
        let from = i.to_string();
        let mut aside = None;
        match kind_at(&parent, name, &shown)? {
            None => {}
            Some(FileType::Symlink) => return Err(unsafe_path(&shown, "is a symbolic link")),
            Some(_) => {
                rustix::fs::renameat(&parent, *name, &l.trash, from.as_str())
                    .map_err(|e| errno(&shown, e))?;
                aside = Some(from.clone());
            }
        }
        let placed = rustix::fs::renameat(&l.staging, from.as_str(), &parent, *name);
        l.moves.push(Move {
            parent,
            name: (*name).to_string(),
            shown: shown.clone(),
            aside: aside.clone(),
            nested_moved: false,
            from,
        });
        // On failure only the move aside happened: the undo puts it back.
        placed.map_err(|e| errno(&shown, e))?;
        // Packages nested under the replaced one (installed by earlier runs, pinned at their
        // own paths) stay: its node_modules moves into the new one (a package's own files
        // never include node_modules/, which `omega pack` excludes and core refuses). Only
        // when the replaced package and its node_modules are real folders (RR16).
        if let Some(a) = aside {
            let Some(old) = l.moves.last() else { continue };
            let Ok(Some(old_dir)) = open_dir_at(&l.trash, &a, &shown) else {
                continue;
            };
            let nested = shown.join("node_modules");
            if kind_at(&old_dir, "node_modules", &nested)? != Some(FileType::Directory) {
                continue;
            }
            let new_dir = open_dir_at(&old.parent, &old.name, &shown)?
                .ok_or_else(|| errno(&shown, Errno::NOENT))?;
            if kind_at(&new_dir, "node_modules", &nested)?.is_some() {
                continue;
            }
            rustix::fs::renameat(&old_dir, "node_modules", &new_dir, "node_modules")
                .map_err(|e| errno(&nested, e))?;
            if let Some(m) = l.moves.last_mut() {
                m.nested_moved = true;
            }
        }
    }
    for (_, p) in &order {
        let shown = l.root_path.join(&p.path);
        let parts: Vec<&str> = p.path.split('/').collect();
        let dir = walk(&l.root, &l.root_path, &parts, false)?
            .ok_or_else(|| errno(&shown, Errno::NOENT))?;
        normalise(&dir, &shown)?;
    }
    Ok(())
}
