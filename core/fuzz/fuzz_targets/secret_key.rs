//! `SecretKeyFile::parse` on arbitrary bytes: never panics. An unencrypted key that parses is
//! decrypted (`decrypt(None)`, must not panic); a key that decrypts writes itself back as an
//! unencrypted file that gives the same key, and signs a block its public key verifies.
//! Encrypted keys are parsed only: scrypt with fuzzed parameters is bounded by core's limits
//! but far too slow to run per input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::secret::{KeyProtection, SecretKeyFile};
use omega_core::LegacyPolicy;

mod common;

fuzz_target!(init: {
    // Unencrypted seeds must decrypt; encrypted ones only parse.
    common::check_seeds(|d| {
        SecretKeyFile::parse(d).is_ok_and(|f| f.is_encrypted() || f.decrypt(None).is_ok())
    });
}, |data: &[u8]| {
    let Ok(file) = SecretKeyFile::parse(data) else {
        return;
    };
    if file.is_encrypted() {
        return;
    }
    let Ok(key) = file.decrypt(None) else {
        return;
    };
    let text = key
        .to_file_text(KeyProtection::Unencrypted, "fuzz")
        .expect("unencrypted key file");
    let back = SecretKeyFile::parse(text.as_bytes()).expect("written key file must parse");
    assert!(!back.is_encrypted());
    let back = back.decrypt(None).expect("written key file must decrypt");
    assert_eq!(back.key_id(), key.key_id());
    assert_eq!(back.public_key(), key.public_key());
    let block = key.sign(b"fuzz", "trusted", "untrusted").expect("sign");
    let pk = key.public_key();
    assert_eq!(block.verify(&pk, b"fuzz", LegacyPolicy::Refuse).ok(), Some("trusted"));
});
