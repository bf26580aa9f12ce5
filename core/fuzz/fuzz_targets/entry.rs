//! `Entry::parse` on arbitrary bytes: never panics; an accepted entry serialises (`to_bytes`)
//! to exactly the input, which parses to an equal entry; `Entry::assemble` of its statement
//! and signature text gives the same entry. The genesis rule (`RegistryState::genesis`) runs
//! on the same bytes and must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::entry::Entry;
use omega_core::registry::RegistryState;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| Entry::parse(d).is_ok());
}, |data: &[u8]| {
    let _ = RegistryState::genesis(data);
    let Ok(entry) = Entry::parse(data) else {
        return;
    };
    let bytes = entry.to_bytes();
    assert_eq!(bytes, data, "an accepted entry has one byte form");
    let again = Entry::parse(&bytes).expect("to_bytes of a parsed entry must parse");
    assert_eq!(again, entry);
    let assembled = Entry::assemble(&entry.statement_bytes, entry.signature_text().as_bytes())
        .expect("an entry's own parts assemble");
    assert_eq!(assembled, entry);
});
