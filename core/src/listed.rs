//! Loading a verified package (feature `std`): opening its verified file [`Table`] from disk
//! (files mode: a signed package's manifest alone; tree mode: every file, sizes first), and
//! reading one file of it: read, hash, compare with its entry, and hand back exactly the
//! bytes that were hashed. A loader compiles those bytes, so nothing can change between the
//! check and the load. Cheap checks first: the path must be listed (and not under `.omega/`)
//! and the size must match before a byte is read. The comparisons themselves are
//! [`Table`]'s (`crate::loader`), which the WebAssembly build calls too.

extern crate std;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use std::path::{Path, PathBuf};

use crate::check::Pins;
use crate::error::{Error, ErrorCode, Result};
use crate::fs::{
    io_error, kind_of, libc_eloop, measure_file, open_nofollow, read_bounded,
    read_installed_package, read_limited, type_error, walk_excluding, Measured, NESTED_MODULES_DIR,
    READ_BUFFER_BYTES,
};
use crate::limits::{MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES};
use crate::loader::Table;
use crate::manifest::{MANIFEST_PATH, SIGNATURE_PATH};
use crate::tree::RelPath;

/// Reads the file `rel` of a verified package from `path` (opened without following a final
/// link; a regular file only) and returns its bytes when its size, kind and BLAKE2b-256 are
/// those of its entry in `table`. The size (`fstat` on the open file) is compared before a
/// byte is read, and no more than the listed size + 1 bytes are read. Otherwise the error is
/// the table's report with the one problem found: `FILE_EXTRA` for a path that is not listed
/// or lies in the package's top-level `.omega/`, `FILE_CHANGED` for other contents or kind.
pub fn read_listed_file(path: &Path, rel: &str, table: &Table) -> Result<Vec<u8>> {
    let package = table.report.package.as_str();
    table.entry(rel)?;
    let f = open_nofollow(path).map_err(|e| {
        if e.raw_os_error() == Some(libc_eloop()) {
            Error::new(
                ErrorCode::UnsupportedFileType,
                format!("{package}: {rel:?} is a symbolic link"),
            )
        } else {
            io_error(path, &e).context(package)
        }
    })?;
    let meta = f
        .metadata()
        .map_err(|e| io_error(path, &e).context(package))?;
    if !meta.is_file() {
        return Err(type_error(rel, &meta.file_type()).context(package));
    }
    let expected = table.entry_sized(rel, meta.len())?;
    usize::try_from(expected.size).map_err(|_| {
        Error::new(
            ErrorCode::TooLarge,
            format!("{package}: file {rel:?} is too large to load"),
        )
    })?;
    // At most one byte more than listed: a file that grew since fstat shows as a changed size.
    let mut f = f;
    let bytes = read_bounded(&mut f, meta.len(), expected.size)
        .map_err(|e| io_error(path, &e).context(package))?;
    table.check_bytes(rel, kind_of(&meta), &bytes)?;
    Ok(bytes)
}

/// Checks the `package.json` at `path` (`rel` in its package) that Node reads to resolve or
/// load the package's files ([`Table::scope`]): when listed it must be there and match its
/// entry (its bytes are returned), when not listed it must be absent ([`present`]).
pub fn check_scope_file(path: &Path, rel: &str, table: &Table) -> Result<Option<Vec<u8>>> {
    if table.scope(rel, present(path, table)?)? {
        read_listed_file(path, rel, table).map(Some)
    } else {
        Ok(None)
    }
}

/// Checks the top-level `package.json` of the package at `dir` (table `table`, number `id`)
/// and, when the package has none (none listed, none there), the ones Node's scope lookup reads
/// in its place: the scopes of a file at the package's top
/// ([`crate::layout::file_scopes`]), each by [`check_layout_scope`]. The top-level one's bytes
/// when it is listed.
pub fn check_package_top(id: u32, dir: &str, table: &Table) -> Result<Option<Vec<u8>>> {
    let mut own = None;
    for scope in crate::layout::file_scopes(id, dir, "package.json") {
        if let Some(bytes) = check_layout_scope(&scope, table)? {
            own = Some(bytes);
        }
    }
    Ok(own)
}

/// Checks a `package.json` that Node may read for a file of `table`'s package
/// ([`crate::layout::Scope`], from a layout's [`crate::layout::Step::Check`]): what `lstat`
/// finds there against the table ([`crate::layout::Scope::check`]), and a listed one's bytes
/// compared with its entry (returned).
pub fn check_layout_scope(scope: &crate::layout::Scope, table: &Table) -> Result<Option<Vec<u8>>> {
    let path = scope.path();
    let path = Path::new(&path);
    if scope.check(table, present(path, table)?)? {
        read_listed_file(path, &scope.rel, table).map(Some)
    } else {
        Ok(None)
    }
}

/// Whether anything is at `path` (`lstat`: a link or FIFO counts). A path that cannot be
/// looked at (missing, a name too long, a folder that cannot be searched) is absent, as it is
/// for Node, which then reads no `package.json` there.
fn present(path: &Path, table: &Table) -> Result<bool> {
    use std::io::ErrorKind;
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::NotFound
                    | ErrorKind::NotADirectory
                    | ErrorKind::InvalidFilename
                    | ErrorKind::PermissionDenied
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(io_error(path, &e).context(&table.report.package)),
    }
}

/// The table of the installed package at `root` (`node_modules/<name>`, its own
/// `node_modules/` left out) from all its files, as read and checked now: `check_package`
/// over the files, the report of every problem on refusal.
pub fn open_full(root: &Path, label: &str, pins: &Pins) -> Result<Table> {
    let pkg = read_installed_package(root).map_err(|e| e.context(label))?;
    Table::from_files(
        label,
        pkg.listing,
        pkg.manifest.as_deref(),
        pkg.signatures.as_deref(),
        pins,
    )
}

/// Files mode: the table of the installed package at `root`. A signed package's table is its
/// manifest's file list ([`Table::from_manifest`]: signatures and the list's digest against
/// the pins), without reading any file; an unsigned one's is its files ([`open_full`]).
pub fn open_manifest_table(root: &Path, label: &str, pins: &Pins) -> Result<Table> {
    let manifest = read_limited(&root.join(MANIFEST_PATH), MAX_MANIFEST_BYTES)
        .map_err(|e| e.context(label))?;
    match manifest {
        Some(bytes) => {
            let signatures = read_limited(&root.join(SIGNATURE_PATH), MAX_SIGNATURE_FILE_BYTES)
                .map_err(|e| e.context(label))?;
            Table::from_manifest(label, &bytes, signatures.as_deref(), pins)
        }
        None => open_full(root, label, pins),
    }
}

/// Tree mode: the table of the installed package at `root` from all its files, checked now,
/// doing as little as the verdict needs (as [`crate::fs::verify_dir`] does):
///
/// 1. a signed package's manifest is checked against the pins first (signatures, its list's
///    digest), before any file is opened;
/// 2. the paths found (the walk) are compared with the manifest's list before any file is
///    opened ([`Table::first_size_problem`] with the listed sizes: a missing or extra path);
/// 3. then each file is opened without following a link, measured (`fstat` on the open file:
///    a size other than its listed one is refused before a byte is read), hashed through a
///    buffer no further than its listed size, and compared with its entry
///    ([`Table::check_entry`]), on all cores with the `parallel` feature.
///
/// The sizes are taken from the open file, not from an `lstat` of each path first: one system
/// call less per file (a third of the calls of a package of small files). The verdict is the
/// same; only a package whose sizes differ may have some of its files hashed before the
/// refusal.
///
/// An unsigned package, and any package where one of the steps finds a problem, is checked
/// in full ([`open_full`]): a refusal carries the report of every problem.
pub fn open_tree_table(root: &Path, label: &str, pins: &Pins) -> Result<Table> {
    match open_tree_fast(root, label, pins) {
        Ok(Some(table)) => Ok(table),
        _ => open_full(root, label, pins),
    }
}

/// Up to this many files, or this many bytes, [`open_tree_table`] hashes on the calling thread.
const SMALL_FILES: usize = 16;
const SMALL_BYTES: u64 = 512 * 1024;

fn open_tree_fast(root: &Path, label: &str, pins: &Pins) -> Result<Option<Table>> {
    let Some(manifest) = read_limited(&root.join(MANIFEST_PATH), MAX_MANIFEST_BYTES)? else {
        return Ok(None);
    };
    let signatures = read_limited(&root.join(SIGNATURE_PATH), MAX_SIGNATURE_FILE_BYTES)?;
    let table = Table::from_manifest(label, &manifest, signatures.as_deref(), pins)?;
    let files = walk_excluding(root, &[NESTED_MODULES_DIR])?;
    // Paths first: a path that is not listed gets no size (it is FILE_EXTRA whatever its size).
    let found = files
        .iter()
        .map(|(rel, _)| {
            (
                String::from(rel.as_str()),
                table.listed_size(rel).unwrap_or(u64::MAX),
            )
        })
        .collect();
    if table.first_size_problem(found).is_some() {
        return Ok(None);
    }
    let one = |buf: &mut Vec<u8>, (rel, abs): &(RelPath, PathBuf)| -> Result<()> {
        let size = table.entry(rel)?.size;
        match measure_file(abs, rel, buf, size)? {
            Measured::Hashed(entry) => table.check_entry(&entry),
            Measured::TooLarge { .. } => Err(Error::new(ErrorCode::FileChanged, rel.as_str())),
        }
    };
    // Small packages (most of them) on this thread: waking a thread pool costs more than
    // hashing a few files.
    let bytes: u64 = table.files.iter().map(|e| e.size).sum();
    let small = files.len() <= SMALL_FILES || bytes <= SMALL_BYTES;
    #[cfg(feature = "parallel")]
    let all: Result<()> = if small {
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        files.iter().try_for_each(|f| one(&mut buf, f))
    } else {
        use rayon::prelude::*;
        files
            .par_iter()
            .map_init(|| vec![0u8; READ_BUFFER_BYTES], one)
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let all: Result<()> = {
        let _ = small;
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        files.iter().try_for_each(|f| one(&mut buf, f))
    };
    all?;
    Ok(Some(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(dir: &Path) -> Table {
        let pkg = crate::fs::read_package(dir).unwrap();
        let digest = pkg.listing.digest();
        Table::from_files("demo", pkg.listing, None, None, &Pins::digest(digest)).unwrap()
    }

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("omega-listed-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join(".omega")).unwrap();
        d
    }

    #[test]
    fn listed_bytes_load_and_changes_are_refused() {
        let d = tmp("basic");
        std::fs::write(d.join("a.js"), b"one").unwrap();
        std::fs::write(d.join(".omega/x"), b"meta").unwrap();
        let table = verified(&d);
        assert_eq!(
            read_listed_file(&d.join("a.js"), "a.js", &table).unwrap(),
            b"one"
        );
        std::fs::write(d.join("a.js"), b"two").unwrap();
        let e = read_listed_file(&d.join("a.js"), "a.js", &table).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileChanged);
        assert!(e.report().is_some());
        std::fs::write(d.join("a.js"), b"longer").unwrap();
        let e = read_listed_file(&d.join("a.js"), "a.js", &table).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileChanged);
        let e = read_listed_file(&d.join("b.js"), "b.js", &table).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileExtra);
        let e = read_listed_file(&d.join(".omega/x"), ".omega/x", &table).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileExtra);
        assert!(e.message().contains(".omega/"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn fail_a_scope_folder_package_json_read_for_a_package_without_one() {
        let root = tmp("scope-above");
        let scope = root.join("node_modules").join("@s");
        let dir = scope.join("np");
        std::fs::create_dir_all(dir.join(".omega")).unwrap();
        std::fs::write(dir.join("m.js"), b"module.exports = 1;\n").unwrap();
        let table = verified(&dir);
        let dir_text = dir.to_str().unwrap();
        assert_eq!(check_package_top(0, dir_text, &table).unwrap(), None);
        std::fs::write(scope.join("package.json"), b"{\"type\": \"module\"}\n").unwrap();
        let e = check_package_top(0, dir_text, &table).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileExtra);
        assert!(e.message().contains("@s/package.json"), "{}", e.message());
        // A package with a package.json of its own: Node stops there.
        std::fs::write(dir.join("package.json"), b"{}\n").unwrap();
        let table = verified(&dir);
        assert_eq!(
            check_package_top(0, dir_text, &table).unwrap().unwrap(),
            b"{}\n"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_link_is_refused() {
        let d = tmp("link");
        std::fs::write(d.join("a.js"), b"one").unwrap();
        let table = verified(&d);
        std::fs::remove_file(d.join("a.js")).unwrap();
        std::fs::write(d.join("b"), b"one").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("b"), d.join("a.js")).unwrap();
            let e = read_listed_file(&d.join("a.js"), "a.js", &table).unwrap_err();
            assert_eq!(e.code(), ErrorCode::UnsupportedFileType);
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
