//! `read_tgz` and `read_tar` on arbitrary bytes: never panic, bounded memory (the gzip limit);
//! files of an accepted tar stream written back with `write_tgz` read back to the same package.
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
    let tgz = write_tgz(&files).expect("files read from a tar stream can be written");
    let back = read_tgz(&tgz).expect("a written tarball reads back");
    assert_eq!(back.listing, pkg.listing);
});
