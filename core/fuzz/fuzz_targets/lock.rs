//! `Lockfile::parse` on arbitrary bytes: never panics; an accepted lock file serialises
//! (`to_json_bytes`) to bytes that parse back to an equal lock file and serialise again to the
//! same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::Lockfile;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| Lockfile::parse(d).is_ok());
}, |data: &[u8]| {
    let Ok(lock) = Lockfile::parse(data) else {
        return;
    };
    let bytes = lock.to_json_bytes();
    let again = Lockfile::parse(&bytes).expect("to_json_bytes of a parsed lock file must parse");
    assert_eq!(again, lock);
    assert_eq!(again.to_json_bytes(), bytes);
});
