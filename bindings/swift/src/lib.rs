//! omega-swift: the Ωpm verifier for Swift and Kotlin, through uniffi (DESIGN §5, the Swift
//! line): the operations of the Python API, `digestDir`, `checkPackage`, `verifyFile`,
//! `verifyEd25519`, `verifySignify`, `blake2b256` and `applyRevocation`, and the log
//! verification functions of `log` (`verifyNote`, `verifyCheckpoint`, proofs and tiles,
//! `replayLog`; REGISTRY.md R8), the registry client of `registry` (`Registry`, over a
//! host-implemented `RegistryFetcher`; REGISTRY.md R6), throwing [`OmegaError`] with the DESIGN §4 codes.
//!
//! Thin by rule: every check is omega-core's; this crate converts arguments (text keys and
//! digests, paths) into core types, and core results and errors into uniffi records and the
//! error enum. The Swift package in `OmegaVerify/` and the Kotlin file in `kotlin/` are
//! generated from this crate's built library by `uniffi-bindgen` (`make test-swift` checks
//! that the committed copies are current).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
mod log;
mod registry;
mod report;

use std::path::{Path, PathBuf};

use omega_core::{fs, LegacyPolicy, Pins, PublicKey};

pub use error::OmegaError;
pub use registry::{
    Notice, ProvenTree, Registry, RegistryCheckpoint, RegistryFetcher, Release, RevokedSigner,
    SequenceRange, Yank, REFRESH_SECONDS,
};
pub use report::{Problem, Report, SignatureReport};

uniffi::setup_scaffolding!();

/// The `b2tree:` digest of the directory at `path` (DESIGN §3.2): every regular file below it,
/// the top-level `.omega/` excluded. Throws `UNSUPPORTED_FILE_TYPE` for a symbolic link,
/// device, socket or FIFO, `UNSAFE_PATH` for a name the path rules refuse, `NOT_FOUND` when
/// `path` is not a directory.
#[uniffi::export]
pub fn digest_dir(path: String) -> Result<String, OmegaError> {
    Ok(fs::digest_dir(Path::new(&path))?.to_string())
}

/// Checks the package directory at `path` (DESIGN §3.4) against a pinned `digest`
/// (`b2tree:…`), pinned `keys` (minisign public keys, `RW…` or a key file's text) and
/// `threshold` (how many distinct pinned keys must have signed; ignored when `keys` is
/// empty). Pin a digest, keys, or both. Returns the report when everything holds; otherwise
/// throws the error of the first problem, whose `report` lists every problem.
#[uniffi::export(default(digest = None, keys = [], threshold = 1))]
pub fn check_package(
    path: String,
    digest: Option<String>,
    keys: Vec<String>,
    threshold: u32,
) -> Result<Report, OmegaError> {
    let pins = Pins::from_text(
        digest.as_deref(),
        &keys,
        Some(threshold),
        LegacyPolicy::Refuse,
    )?;
    Ok(Report::from(&fs::check_dir(Path::new(&path), &pins)?))
}

/// Verifies the minisign signature of the file at `path` with `public_key` (`RW…` or a key
/// file's text) and returns the trusted comment. `signature` is the signature file (default
/// `path` + `.minisig`); it may hold several blocks, and the one made by `public_key` is used.
/// `legacy` allows legacy (`Ed`, non-prehashed) signatures, which are refused by default.
/// The file is streamed, never held in memory whole.
#[uniffi::export(default(signature = None, legacy = false))]
pub fn verify_file(
    path: String,
    public_key: String,
    signature: Option<String>,
    legacy: bool,
) -> Result<String, OmegaError> {
    let key = PublicKey::parse(public_key.as_bytes())?;
    let policy = if legacy {
        LegacyPolicy::Allow
    } else {
        LegacyPolicy::Refuse
    };
    // Core streams the file (never held in memory) and picks the key's block.
    Ok(fs::verify_file(
        &PathBuf::from(path),
        &key,
        signature.map(PathBuf::from).as_deref(),
        policy,
    )?)
}

/// Verifies a detached signify signature (`signature_text`: the contents of a `.sig` file made
/// by `signify -S`) over `message` with `public_key` (`RW…` or a key file's text): signify's
/// parsing rules, omega's strict Ed25519. Throws `SIGNATURE_INVALID`, `KEY_NOT_TRUSTED`
/// (another key number), `MALFORMED` …
#[uniffi::export]
pub fn verify_signify(
    message: Vec<u8>,
    signature_text: String,
    public_key: String,
) -> Result<(), OmegaError> {
    let key = PublicKey::parse(public_key.as_bytes())?;
    Ok(omega_core::signify::verify_detached(
        &key,
        &message,
        signature_text.as_bytes(),
        "signature",
    )?)
}

/// Strict Ed25519 verification (ed25519-dalek `verify_strict`, as libsodium) of a raw 32-byte
/// public key, message and 64-byte signature. False for any malformed input.
#[uniffi::export]
pub fn verify_ed25519(public_key: Vec<u8>, message: Vec<u8>, signature: Vec<u8>) -> bool {
    omega_core::ed25519::verify_strict_raw(&public_key, &message, &signature)
}

/// Applies a signed revocation statement (DESIGN §3.5; docs/format.md §5) to the bytes of an
/// `omega.lock`: `statement` is the statement's exact bytes, `signature_text` its minisign
/// signature file (one or more blocks). Every lock entry of the statement's package that pins
/// the key must accept it (the key's own signature, or `threshold` of the entry's pinned
/// signers). Returns the new lock bytes, to be written in place of the old file; throws
/// `SIGNATURE_INVALID`, `KEY_NOT_TRUSTED`, `THRESHOLD_NOT_MET`, `KEY_REVOKED` (already revoked),
/// `NOT_FOUND` (package or key not pinned) or `MALFORMED`, and changes nothing then.
#[uniffi::export]
pub fn apply_revocation(
    lock: Vec<u8>,
    statement: Vec<u8>,
    signature_text: String,
) -> Result<Vec<u8>, OmegaError> {
    Ok(omega_core::revoke(
        &lock,
        &statement,
        signature_text.as_bytes(),
        LegacyPolicy::Refuse,
    )?
    .lock)
}

/// BLAKE2b-256 (unkeyed, 32-byte output) of `data`.
#[uniffi::export]
pub fn blake2b256(data: Vec<u8>) -> Vec<u8> {
    omega_core::hash::blake2b256(&data).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake2b256_of_abc() {
        assert_eq!(
            omega_core::hash::to_hex(&blake2b256(b"abc".to_vec())),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
    }

    #[test]
    fn verify_ed25519_rejects_wrong_lengths() {
        assert!(!verify_ed25519(vec![0; 31], vec![], vec![0; 64]));
        assert!(!verify_ed25519(vec![0; 32], vec![], vec![0; 63]));
    }

    #[test]
    fn digest_dir_of_a_missing_directory_is_not_found() {
        let e = digest_dir("/nonexistent/omega-swift-test".into()).unwrap_err();
        assert_eq!(e.code(), "NOT_FOUND");
        assert!(e.detail().contains("/nonexistent/omega-swift-test"), "{e}");
    }

    #[test]
    fn check_package_with_nothing_pinned_is_refused() {
        let dir = std::env::temp_dir().join(format!("omega-swift-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = check_package(dir.display().to_string(), None, vec![], 1).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(e.code(), "KEY_NOT_TRUSTED");
        assert!(e.report().is_none());
    }

    #[test]
    fn malformed_pins_are_refused_before_reading() {
        let e =
            check_package("/nonexistent".into(), Some("sha256:00".into()), vec![], 1).unwrap_err();
        assert_eq!(e.code(), "MALFORMED");
        let e =
            check_package("/nonexistent".into(), None, vec!["RWQnotakey".into()], 1).unwrap_err();
        assert_eq!(e.code(), "MALFORMED");
    }
}
