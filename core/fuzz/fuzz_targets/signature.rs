//! `SignatureBlock::parse_all` on arbitrary bytes: never panics; every accepted block
//! re-serialises (`to_text`) to text that parses back to an equal block; verification with a
//! fixed key (one-shot and streaming, legacy allowed and refused, and detached) never panics,
//! and the one-shot and streaming verdicts agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::{verify_detached, LegacyPolicy, PublicKey, SignatureBlock, StreamVerifier};

/// The message the seed signatures sign, and the key that made them (core/fuzz/make-seeds.sh).
const MESSAGE: &[u8] = include_bytes!("../fixtures/message");
const SIGNER: &str = include_str!("../fixtures/signer.pub");

mod common;

fn fixed_key() -> PublicKey {
    PublicKey::parse(SIGNER.as_bytes()).expect("fixtures/signer.pub")
}

fuzz_target!(init: {
    // Every seed parses, and the fixed key's seeds verify (fixtures and seeds agree).
    let seeds = common::check_seeds(|d| SignatureBlock::parse_all(d, "seed").is_ok());
    let verified = seeds
        .iter()
        .filter(|(_, d)| verify_detached(&fixed_key(), MESSAGE, d, LegacyPolicy::Allow).is_ok())
        .count();
    assert!(seeds.is_empty() || verified >= 2, "no seed verifies with fixtures/signer.pub");
}, |data: &[u8]| {
    let Ok(blocks) = SignatureBlock::parse_all(data, "fuzz") else {
        return;
    };
    assert!(!blocks.is_empty());
    let fixed = fixed_key();
    for block in &blocks {
        let text = block.to_text();
        let again = SignatureBlock::parse(text.as_bytes(), "fuzz")
            .expect("to_text of a parsed block must parse");
        assert_eq!(&again, block);
        assert_eq!(again.to_text(), text);

        // The fixed key as it is, and under the block's key id so that the Ed25519 checks
        // run for every block, not only for blocks that name the fixed key.
        let same_id = PublicKey::from_parts(block.key_id(), fixed.as_bytes()).expect("valid point");
        for key in [fixed, same_id] {
            for legacy in [LegacyPolicy::Refuse, LegacyPolicy::Allow] {
                let one = block.verify(&key, MESSAGE, legacy);
                let streamed = StreamVerifier::new(&key, block, legacy).and_then(|mut s| {
                    let (a, b) = MESSAGE.split_at(MESSAGE.len() / 2);
                    s.update(a);
                    s.update(b);
                    s.finalize()
                });
                match (&one, &streamed) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a, b);
                        assert_eq!(*a, block.trusted_comment());
                    }
                    (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
                    _ => panic!("one-shot {one:?} and streaming {streamed:?} verification disagree"),
                }
            }
        }
    }
    let _ = verify_detached(&fixed, MESSAGE, data, LegacyPolicy::Allow);
    let _ = verify_detached(&fixed, MESSAGE, data, LegacyPolicy::Refuse);
});
