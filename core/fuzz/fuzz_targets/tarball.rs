//! `read_tgz` and `read_tar` on arbitrary bytes: never panic, bounded memory (the gzip limit);
//! files of an accepted tar stream written back with `write_tgz` read back to the same package
//! (or are refused by the writer only for a non-ASCII path too long for a ustar header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::tarball::{read_tar, read_tgz, write_tgz};
use omega_core::MemoryPackage;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| read_tgz(d).is_ok() || read_tar(d).is_ok());
}, |data: &[u8]| {
    let _ = read_tgz(data);
    let Ok(files) = read_tar(data) else {
        return;
    };
    let Ok(pkg) = MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice()))) else {
        return;
    };
    match write_tgz(&files) {
        Ok(tgz) => {
            let back = read_tgz(&tgz).expect("a written tarball reads back");
            assert_eq!(back.listing, pkg.listing);
        }
        // The one thing the writer may refuse in an accepted archive: a non-ASCII path too
        // long for a ustar header once its leading folder is renamed `package/`.
        Err(e) => assert!(
            e.code() == omega_core::ErrorCode::UnsafePath && files.iter().any(|f| !f.0.is_ascii()),
            "files read from a tar stream can be written: {e}"
        ),
    }
});
