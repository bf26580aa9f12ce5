//! `Statement::parse` on arbitrary bytes: never panics; an accepted statement is canonical
//! (`to_bytes` gives back exactly the input), and those bytes parse to an equal statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::statement::Statement;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| Statement::parse(d).is_ok());
}, |data: &[u8]| {
    let Ok(st) = Statement::parse(data) else {
        return;
    };
    let bytes = st.to_bytes();
    assert_eq!(bytes, data, "an accepted statement is its own canonical form");
    let again = Statement::parse(&bytes).expect("to_bytes of a parsed statement must parse");
    assert_eq!(again, st);
});
