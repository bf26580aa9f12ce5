//! `PublicKey::parse` (key file or bare line) and `PublicKey::from_base64` (bare line) on
//! arbitrary bytes: never panic; an accepted key round-trips through its base64 and file forms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::PublicKey;

mod common;

fn round_trip(key: &PublicKey) {
    let b64 = key.to_base64();
    assert_eq!(b64.len(), omega_core::keys::PUBLIC_KEY_TEXT_LEN);
    let again = PublicKey::from_base64(&b64).expect("to_base64 of a parsed key must parse");
    assert_eq!(&again, key);
    assert_eq!(again.key_id(), key.key_id());
    assert_eq!(again.as_bytes(), key.as_bytes());
    let file = PublicKey::parse(key.to_file_text().as_bytes())
        .expect("to_file_text of a parsed key must parse");
    assert_eq!(&file, key);
}

/// The longest prefix of `data` that is valid UTF-8.
fn utf8_prefix(data: &[u8]) -> &str {
    match core::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    }
}

fuzz_target!(init: {
    common::check_seeds(|d| PublicKey::parse(d).is_ok());
}, |data: &[u8]| {
    if let Ok(key) = PublicKey::parse(data) {
        round_trip(&key);
    }
    let text = utf8_prefix(data);
    if let Ok(key) = PublicKey::from_base64(text) {
        // The bare form parses the same through both entry points.
        assert_eq!(PublicKey::parse(text.as_bytes()).ok(), Some(key));
        round_trip(&key);
    }
});
