//! Index notes on arbitrary bytes: `IndexNote::parse` of the text never panics and an accepted
//! index formats (`to_text`) back to exactly the input (tokens are canonical); the signed form
//! goes through `IndexNote::verify` with a fixed key, which never panics, and what it accepts is
//! exactly the signed note's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::index::IndexNote;
use omega_core::note::Note;
use omega_core::vkey::Vkey;

mod common;

/// The index key of tests/vectors/notes.json (seed [70; 32]).
const KEY: &str = "registry.example/index+ef8c9b5b+Ae6TpPZvjRa4Gbub65/8zfzcFBLof+5qMkwqmaHg5nFI";

fn accepted(d: &[u8]) -> bool {
    let Ok(t) = std::str::from_utf8(d) else {
        return false;
    };
    IndexNote::parse(t).is_ok()
        || Note::parse(d).is_ok_and(|n| IndexNote::parse(n.text()).is_ok())
}

fuzz_target!(init: {
    common::check_seeds(accepted);
}, |data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(i) = IndexNote::parse(text) {
            assert_eq!(i.to_text(), text, "to_text of a parsed index must be the input");
        }
    }
    let key = Vkey::parse(KEY).expect("fixed key");
    if let Ok(i) = IndexNote::verify(data, &key, "registry.example/log", "left-pad", u64::MAX, Some(0)) {
        let note = Note::parse(data).expect("a verified index is a note");
        assert_eq!(i.to_text(), note.text());
    }
});
