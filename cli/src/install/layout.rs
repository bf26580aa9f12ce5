//! Writing verified packages into `ROOT/node_modules`, only after every check passed: each
//! package is unpacked (core's strict tarball reader, the same bytes the checks saw) into its
//! own staging folder `ROOT/.omega-install-<pid>/<i>`, then renamed into place, parents first;
//! a package already at the path is moved aside first and removed after. Deterministic:
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

/// Lays out `planned` below `root` (see the module documentation).
pub fn lay_out(root: &Path, planned: &[Planned]) -> Result<(), Failure> {
    let staging = root.join(format!(".omega-install-{}", std::process::id()));
    let result = lay_out_in(root, &staging, planned);
    let _ = fs::remove_dir_all(&staging);
    result
}

fn lay_out_in(root: &Path, staging: &Path, planned: &[Planned]) -> Result<(), Failure> {
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
    // Then move into place, parents first.
    let trash = staging.join("old");
    for (i, p) in &order {
        validate_path(&p.path)?;
        let dest: PathBuf = root.join(&p.path);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| io_err(parent, &e))?;
        }
        let mut aside = None;
        if fs::symlink_metadata(&dest).is_ok() {
            fs::create_dir_all(&trash).map_err(|e| io_err(&trash, &e))?;
            let a = trash.join(i.to_string());
            fs::rename(&dest, &a).map_err(|e| io_err(&dest, &e))?;
            aside = Some(a);
        }
        let from = staging.join(i.to_string());
        fs::rename(&from, &dest).map_err(|e| io_err(&dest, &e))?;
        // Packages nested under the replaced one (installed by earlier runs, pinned at their
        // own paths) stay: its node_modules moves into the new one (a package's own files
        // never include node_modules/, which `omega pack` excludes).
        if let Some(a) = aside {
            let nested = a.join("node_modules");
            let target = dest.join("node_modules");
            if nested.is_dir() && fs::symlink_metadata(&target).is_err() {
                fs::rename(&nested, &target).map_err(|e| io_err(&target, &e))?;
            }
        }
    }
    for (_, p) in &order {
        normalise(&root.join(&p.path))?;
    }
    Ok(())
}
