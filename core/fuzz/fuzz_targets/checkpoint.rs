//! `Checkpoint::parse` on arbitrary text: never panics; an accepted checkpoint formats
//! (`to_text`) back to exactly the input (decimal and base64 are canonical, lines kept).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::checkpoint::Checkpoint;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| std::str::from_utf8(d).is_ok_and(|t| Checkpoint::parse(t).is_ok()));
}, |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = Checkpoint::parse(text) else {
        return;
    };
    assert_eq!(c.to_text(), text, "to_text of a parsed checkpoint must be the input");
});
