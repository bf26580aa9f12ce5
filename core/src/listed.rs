//! Loading one file of a verified package (feature `std`): read a file, hash it, compare it
//! with its entry in a file listing that an earlier check verified, and hand back exactly the
//! bytes that were hashed. A loader compiles those bytes, so nothing can change between the
//! check and the load. Cheap checks first: the path must be listed (and not under `.omega/`)
//! and the size must match before a byte is read.

extern crate std;

use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;
use std::io::Read;
use std::path::Path;

use crate::check::{compare_files, Problem, Report};
use crate::error::{Error, ErrorCode, Result};
use crate::fs::{io_error, kind_of, libc_eloop, open_nofollow, type_error};
use crate::hash::Blake2b256;
use crate::tree::{is_metadata_path, FileEntry};

/// Reads the file `rel` of a verified package from `path` (opened without following a final
/// link; a regular file only) and returns its bytes when its size, kind and BLAKE2b-256 are
/// those of its entry in `listing` (sorted by path, as [`crate::TreeListing`] keeps it).
/// Otherwise the error is that of `verified` (the report of the check that verified
/// `listing`) with the one problem found: `FILE_EXTRA` for a path that is not listed or lies
/// in the package's top-level `.omega/`, `FILE_CHANGED` for other contents or kind.
pub fn read_listed_file(
    path: &Path,
    rel: &str,
    listing: &[FileEntry],
    verified: &Report,
) -> Result<Vec<u8>> {
    let package = verified.package.as_str();
    let refuse = |problem: Problem| {
        let mut report = verified.clone();
        report.problems = alloc::vec![problem];
        match report.into_result() {
            Ok(_) => Error::new(ErrorCode::FileChanged, format!("{package}: file {rel:?}")),
            Err(e) => e,
        }
    };
    let problem = |code, what: &str| Problem {
        code,
        path: Some(rel.to_string()),
        key: None,
        message: format!("{package}: file {rel:?} {what}"),
    };
    if is_metadata_path(rel) {
        return Err(refuse(problem(
            ErrorCode::FileExtra,
            "is in the package's .omega/ folder (signing metadata, not a file of the package)",
        )));
    }
    let expected = match listing.binary_search_by(|f| f.path.as_bytes().cmp(rel.as_bytes())) {
        Ok(i) => &listing[i],
        Err(_) => {
            return Err(refuse(problem(
                ErrorCode::FileExtra,
                "is not listed in the manifest",
            )))
        }
    };
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
    if meta.len() != expected.size {
        return Err(refuse(problem(
            ErrorCode::FileChanged,
            "has changed contents",
        )));
    }
    let capacity = usize::try_from(expected.size).map_err(|_| {
        Error::new(
            ErrorCode::TooLarge,
            format!("{package}: file {rel:?} is too large to load"),
        )
    })?;
    let mut bytes = Vec::with_capacity(capacity);
    // One byte more than listed: a file that grew since fstat shows as a changed size.
    f.take(expected.size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e).context(package))?;
    let mut h = Blake2b256::new();
    h.update(&bytes);
    let actual = FileEntry {
        path: rel.to_string(),
        kind: kind_of(&meta),
        size: bytes.len() as u64,
        hash: h.finalize(),
    };
    let problems = compare_files(package, core::slice::from_ref(expected), &[actual]);
    match problems.into_iter().next() {
        None => Ok(bytes),
        Some(p) => Err(refuse(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_package, Pins};

    fn verified(dir: &Path) -> (Vec<FileEntry>, Report) {
        let pkg = crate::fs::read_package(dir).unwrap();
        let digest = pkg.listing.digest();
        let report = check_package(pkg.input("demo"), &Pins::digest(digest)).unwrap();
        (pkg.listing.into_entries(), report)
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
        let (listing, report) = verified(&d);
        assert_eq!(
            read_listed_file(&d.join("a.js"), "a.js", &listing, &report).unwrap(),
            b"one"
        );
        std::fs::write(d.join("a.js"), b"two").unwrap();
        let e = read_listed_file(&d.join("a.js"), "a.js", &listing, &report).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileChanged);
        assert!(e.report().is_some());
        std::fs::write(d.join("a.js"), b"longer").unwrap();
        let e = read_listed_file(&d.join("a.js"), "a.js", &listing, &report).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileChanged);
        let e = read_listed_file(&d.join("b.js"), "b.js", &listing, &report).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileExtra);
        let e = read_listed_file(&d.join(".omega/x"), ".omega/x", &listing, &report).unwrap_err();
        assert_eq!(e.code(), ErrorCode::FileExtra);
        assert!(e.message().contains(".omega/"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_link_is_refused() {
        let d = tmp("link");
        std::fs::write(d.join("a.js"), b"one").unwrap();
        let (listing, report) = verified(&d);
        std::fs::remove_file(d.join("a.js")).unwrap();
        std::fs::write(d.join("b"), b"one").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("b"), d.join("a.js")).unwrap();
            let e = read_listed_file(&d.join("a.js"), "a.js", &listing, &report).unwrap_err();
            assert_eq!(e.code(), ErrorCode::UnsupportedFileType);
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
