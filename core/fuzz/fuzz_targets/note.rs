//! `Note::parse` on arbitrary bytes: never panics; an accepted note formats (`to_text`) back to
//! exactly the input bytes (parsing is lossless: canonical base64, lines kept in order), and
//! verifying it against no key, or a fixed key, never panics and never accepts without a key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::note::{self, Note};
use omega_core::vkey::Vkey;
use omega_core::ErrorCode;

mod common;

const KEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

fuzz_target!(init: {
    common::check_seeds(|d| Note::parse(d).is_ok());
}, |data: &[u8]| {
    let Ok(n) = Note::parse(data) else {
        return;
    };
    assert_eq!(n.to_text().as_bytes(), data, "to_text of a parsed note must be the input");
    assert_eq!(Note::parse(n.to_text().as_bytes()).as_ref(), Ok(&n));
    assert_eq!(
        note::verify(&n, &[]).map(|_| ()).unwrap_err().code(),
        ErrorCode::KeyNotTrusted
    );
    let key = Vkey::parse(KEY).expect("fixed key");
    if let Ok(v) = note::verify(&n, &[key]) {
        assert_eq!(v.len(), 1);
        assert_eq!(n.text(), "This is an example message.\n");
    }
});
