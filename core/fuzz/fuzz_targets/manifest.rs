//! `Manifest::parse` on arbitrary bytes: never panics; an accepted manifest serialises
//! (`to_json_bytes`) to bytes that parse back to an equal manifest and serialise again to the
//! same bytes (the canonical form is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::{Manifest, TreeListing};

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| Manifest::parse(d).is_ok());
}, |data: &[u8]| {
    let Ok(manifest) = Manifest::parse(data) else {
        return;
    };
    let bytes = manifest.to_json_bytes();
    let again = Manifest::parse(&bytes).expect("to_json_bytes of a parsed manifest must parse");
    assert_eq!(again, manifest);
    assert_eq!(again.to_json_bytes(), bytes);
    // The tree digest was checked against the file list.
    let listing = TreeListing::new(manifest.files.clone()).expect("files of a parsed manifest");
    assert_eq!(listing.digest(), manifest.tree);
    assert_eq!(listing.entries(), &manifest.files[..]);
});
