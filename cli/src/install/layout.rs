//! Writing verified packages into `ROOT/node_modules`, only after every check passed: each
//! package is unpacked (core's strict tarball reader, the same bytes the checks saw) into its
//! own staging folder `ROOT/.omega-install-<pid>/<i>`, then renamed into place, parents first;
//! a package already at the path is moved aside first and removed only after every package is
//! in place. A failure half-way undoes every move (RR10): `node_modules` is left as it was. Deterministic:
//! files 0644 (0755 when executable), folders 0755, every file and folder of an installed
//! package dated 1985-10-26T08:15:00Z (npm's fixed tarball date), whatever the umask. No
//! install script ever runs: nothing is executed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use omega_core::tarball::{gunzip, read_tar, MAX_TARBALL_UNPACKED_BYTES};
use omega_core::tree::validate_path;

use super::Planned;
use crate::util::{io_err, Failure};

/// npm's fixed date (1985-10-26T08:15:00Z), as Unix seconds.
pub const FIXED_MTIME: i64 = 499_162_500;

fn set_mtime(path: &Path) -> Result<(), Failure> {
    use rustix::fs::{utimensat, AtFlags, Timespec, Timestamps, CWD};
    let t = Timespec {
        tv_sec: FIXED_MTIME,
        tv_nsec: 0,
    };
    utimensat(
        CWD,
        path,
        &Timestamps {
            last_access: t,
            last_modification: t,
        },
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(|e| io_err(path, &std::io::Error::from(e)))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| io_err(path, &e))
}

fn write_package(dir: &Path, files: &[(String, bool, Vec<u8>)]) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, &e))?;
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

/// Fixed modes and dates below `dir` (folders after their contents), then `dir` itself.
fn normalise(dir: &Path) -> Result<(), Failure> {
    let rd = fs::read_dir(dir).map_err(|e| io_err(dir, &e))?;
    for e in rd {
        let e = e.map_err(|e| io_err(dir, &e))?;
        let p = e.path();
        let ft = e.file_type().map_err(|e| io_err(&p, &e))?;
        if ft.is_dir() {
            normalise(&p)?;
        } else {
            set_mtime(&p)?;
        }
    }
    set_mode(dir, 0o755)?;
    set_mtime(dir)
}

/// Lays out `planned` below `root` (see the module documentation). On a failure every move
/// made so far is undone (RR10): the new packages leave, the replaced ones come back, and
/// `node_modules` is as it was; the replaced packages are removed only after every package
/// is in place and normalised.
pub fn lay_out(root: &Path, planned: &[Planned]) -> Result<(), Failure> {
    remove_leftovers(root);
    let staging = root.join(format!(".omega-install-{}", std::process::id()));
    let mut moves: Vec<Move> = Vec::new();
    let result = lay_out_in(root, &staging, planned, &mut moves);
    if let Err(e) = result {
        return match undo(&moves) {
            Ok(()) => {
                let _ = fs::remove_dir_all(&staging);
                Err(e)
            }
            // The replaced packages are still in the staging folder: keep it, say where.
            Err(u) => Err(Failure::Core(omega_core::Error::new(
                omega_core::ErrorCode::Io,
                format!(
                    "{}; undoing the layout failed too ({}): the replaced packages are in {}",
                    failure_text(&e),
                    failure_text(&u),
                    staging.join("old").display()
                ),
            ))),
        };
    }
    let _ = fs::remove_dir_all(&staging);
    Ok(())
}

/// Removes the staging folders `ROOT/.omega-install-<pid>` of installs that were killed (no
/// process `<pid>` runs any more: `/proc/<pid>` is absent). A folder of a running process is
/// left alone (another install in the same project, or a reused pid: harmless, it is only
/// kept longer). Links are removed as links, never followed.
fn remove_leftovers(root: &Path) {
    let Ok(rd) = fs::read_dir(root) else { return };
    let me = std::process::id();
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".omega-install-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let path = e.path();
        let removed = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path),
            Ok(_) => fs::remove_file(&path),
            Err(err) => Err(err),
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

/// One package moved into place: where, and where the package it replaced was put.
struct Move {
    dest: PathBuf,
    /// The replaced package (moved aside into the staging folder), if any.
    aside: Option<PathBuf>,
    /// Whether the replaced package's `node_modules` was moved into the new one.
    nested_moved: bool,
    /// The staging folder the new package came from (it goes back there).
    from: PathBuf,
}

/// Undoes `moves`, last first.
fn undo(moves: &[Move]) -> Result<(), Failure> {
    for m in moves.iter().rev() {
        if let Some(a) = &m.aside {
            if m.nested_moved {
                let nested = m.dest.join("node_modules");
                let back = a.join("node_modules");
                fs::rename(&nested, &back).map_err(|e| io_err(&back, &e))?;
            }
        }
        if fs::symlink_metadata(&m.dest).is_ok() {
            fs::rename(&m.dest, &m.from).map_err(|e| io_err(&m.dest, &e))?;
        }
        if let Some(a) = &m.aside {
            fs::rename(a, &m.dest).map_err(|e| io_err(&m.dest, &e))?;
        }
    }
    Ok(())
}

/// Test hook, compiled into debug builds only (like `OMEGA_REGISTRY_CRASH_AT`, RR15):
/// `OMEGA_INSTALL_FAIL_AT=<k>` makes the k-th move into place (0-based) fail as an I/O
/// error, so the tests can check that a failure half-way leaves `node_modules` as it was.
#[cfg(debug_assertions)]
fn injected_failure(k: usize, dest: &Path) -> Result<(), Failure> {
    if std::env::var("OMEGA_INSTALL_FAIL_AT").is_ok_and(|v| v == k.to_string()) {
        return Err(Failure::Core(omega_core::Error::new(
            omega_core::ErrorCode::Io,
            format!(
                "{}: injected failure (OMEGA_INSTALL_FAIL_AT={k})",
                dest.display()
            ),
        )));
    }
    Ok(())
}

/// Release builds: no failure hook.
#[cfg(not(debug_assertions))]
fn injected_failure(_k: usize, _dest: &Path) -> Result<(), Failure> {
    Ok(())
}

fn lay_out_in(
    root: &Path,
    staging: &Path,
    planned: &[Planned],
    moves: &mut Vec<Move>,
) -> Result<(), Failure> {
    // Every destination is checked before anything is written: an install folder of its own
    // lock key (core's rule), each used once. A lock whose `path` points at `.git/hooks`, `src`
    // or another package's folder never gets this far (Lockfile::parse applies the same rule).
    let mut seen = std::collections::BTreeSet::new();
    for p in planned {
        validate_path(&p.path)?;
        omega_core::lock::check_install_path(&p.key, &p.path)?;
        if !seen.insert(p.path.as_str()) {
            return Err(Failure::Core(omega_core::Error::new(
                omega_core::ErrorCode::Malformed,
                format!("two packages would be installed at {}", p.path),
            )));
        }
    }
    let mut order: Vec<(usize, &Planned)> = planned.iter().enumerate().collect();
    order.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    // Unpack everything first.
    for (i, p) in &order {
        let tar = gunzip(&p.release.tgz, MAX_TARBALL_UNPACKED_BYTES)?;
        let files = read_tar(&tar)?;
        write_package(&staging.join(i.to_string()), &files)?;
    }
    // Then move into place, parents first; each move is recorded before the next so that a
    // failure can undo them all.
    let trash = staging.join("old");
    for (k, (i, p)) in order.iter().enumerate() {
        validate_path(&p.path)?;
        let dest: PathBuf = root.join(&p.path);
        injected_failure(k, &dest)?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| io_err(parent, &e))?;
        }
        let from = staging.join(i.to_string());
        let mut aside = None;
        if fs::symlink_metadata(&dest).is_ok() {
            fs::create_dir_all(&trash).map_err(|e| io_err(&trash, &e))?;
            let a = trash.join(i.to_string());
            fs::rename(&dest, &a).map_err(|e| io_err(&dest, &e))?;
            aside = Some(a);
        }
        if let Err(e) = fs::rename(&from, &dest) {
            // Only the move aside happened: put it back as part of the undo.
            moves.push(Move {
                dest: dest.clone(),
                aside,
                nested_moved: false,
                from,
            });
            return Err(io_err(&dest, &e));
        }
        moves.push(Move {
            dest: dest.clone(),
            aside: aside.clone(),
            nested_moved: false,
            from,
        });
        // Packages nested under the replaced one (installed by earlier runs, pinned at their
        // own paths) stay: its node_modules moves into the new one (a package's own files
        // never include node_modules/, which `omega pack` excludes and core refuses).
        if let Some(a) = aside {
            let nested = a.join("node_modules");
            let target = dest.join("node_modules");
            if nested.is_dir() && fs::symlink_metadata(&target).is_err() {
                fs::rename(&nested, &target).map_err(|e| io_err(&target, &e))?;
                if let Some(m) = moves.last_mut() {
                    m.nested_moved = true;
                }
            }
        }
    }
    for (_, p) in &order {
        normalise(&root.join(&p.path))?;
    }
    Ok(())
}
