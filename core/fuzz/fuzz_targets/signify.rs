//! The signify parsers on arbitrary bytes: detached and embedded signature files, gzip headers
//! and the signed block-hash text, signify secret-key files. Never panics; a parsed signature
//! re-serialises to text that parses back equal; verification with a fixed key (as it is, and
//! relabelled with the signature's key number so the Ed25519 check runs) never panics; the
//! gzip block checker agrees between one-shot and streamed feeding. The signed gzip text is
//! fuzzed past the signature check by signing the fuzzed text with a fixed test key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::secret::SecretKey;
use omega_core::signify::{self, GzipVerifier, SignifySecretKeyFile, SignifySignature};
use omega_core::{KeyId, PublicKey};

/// The message the seed signatures sign, and the signify key that made them
/// (core/fuzz/make-seeds.sh).
const MESSAGE: &[u8] = include_bytes!("../fixtures/message");
const SIGNER: &str = include_str!("../fixtures/signify.pub");

mod common;

fn fixed_key() -> PublicKey {
    PublicKey::parse(SIGNER.as_bytes()).expect("fixtures/signify.pub")
}

fn accepted(d: &[u8]) -> bool {
    let key = fixed_key();
    signify::verify_detached(&key, MESSAGE, d, "seed").is_ok()
        || signify::verify_embedded(&key, d, "seed").is_ok()
        || signify::verify_gzip(&key, d, "seed").is_ok()
        || SignifySecretKeyFile::parse(d).is_ok()
}

/// Feeds a signed gzip file through the streaming checker in pieces of `step`.
fn streamed(key: &PublicKey, file: &[u8], step: usize) -> Option<()> {
    let header = signify::parse_gzip_header(file, "fuzz").ok()??;
    let mut v = GzipVerifier::new(key, &header, "fuzz").ok()?;
    for piece in file[header.len..].chunks(step) {
        v.update(piece).ok()?;
    }
    v.finish().ok()
}

fuzz_target!(init: {
    common::check_seeds(accepted);
}, |data: &[u8]| {
    let fixed = fixed_key();
    // Detached.
    if let Ok(sig) = SignifySignature::parse_detached(data, "fuzz") {
        let text = sig.to_text();
        let again = SignifySignature::parse_detached(&text, "fuzz").expect("to_text parses");
        assert_eq!(again, sig);
        let same = PublicKey::from_parts(sig.key_num(), fixed.as_bytes()).expect("valid point");
        let _ = sig.verify(&fixed, MESSAGE);
        let _ = sig.verify(&same, MESSAGE);
    }
    let _ = signify::is_signify_detached(data);
    // Embedded: the message returned is the tail of the input.
    if let Ok(m) = signify::verify_embedded(&fixed, data, "fuzz") {
        assert!(data.ends_with(m));
    }
    // gzip, as it is (one-shot and streamed agree).
    let one = signify::verify_gzip(&fixed, data, "fuzz");
    assert_eq!(one.is_ok(), streamed(&fixed, data, 1000).is_some());
    // gzip signed text past the signature: data = 2-byte length ‖ signed text ‖ payload.
    if data.len() >= 2 {
        let n = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
        let (signed, payload) = data[2..].split_at(n);
        if !signed.contains(&0) {
            let sk = SecretKey::from_seed(&[9u8; 32], KeyId(*b"fuzzsign"));
            if let Ok(sig) = signify::sign(&sk, signed, b"fuzz") {
                let mut file = signify::gzip_fixed_header(0).to_vec();
                file.extend_from_slice(&sig.to_text());
                file.extend_from_slice(signed);
                file.push(0);
                file.extend_from_slice(payload);
                let pk = sk.public_key();
                let one = signify::verify_gzip(&pk, &file, "fuzz");
                assert_eq!(one.is_ok(), streamed(&pk, &file, 7).is_some());
                if let Ok(out) = one {
                    assert_eq!(out, file);
                }
            }
        }
    }
    // Secret keys: unencrypted ones are decrypted (encrypted: parse only, bcrypt is slow).
    if let Ok(f) = SignifySecretKeyFile::parse(data) {
        if !f.is_encrypted() {
            if let Ok(sk) = f.decrypt(None) {
                let sig = signify::sign(&sk, MESSAGE, b"fuzz").expect("sign");
                sig.verify(&sk.public_key(), MESSAGE).expect("own signature verifies");
            }
        }
    }
});
