//! `Revocation::parse` on arbitrary bytes: never panics; an accepted statement serialises
//! (`to_json_bytes`) to bytes that parse back to an equal statement and serialise again to the
//! same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::lock::Revocation;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| Revocation::parse(d).is_ok());
}, |data: &[u8]| {
    let Ok(rev) = Revocation::parse(data) else {
        return;
    };
    let bytes = rev.to_json_bytes();
    let again = Revocation::parse(&bytes).expect("to_json_bytes of a parsed statement must parse");
    assert_eq!(again, rev);
    assert_eq!(again.to_json_bytes(), bytes);
});
