//! omega-core: the one verifier every Ωpm runtime embeds.
//!
//! Bytes in, verdict out: no clock, no randomness, no global state. `#![no_std]` + `alloc`;
//! the `std` feature adds the filesystem walk ([`fs`]), `parallel` multi-threaded hashing, and
//! `sign` signing and minisign secret-key files ([`secret`]).
//!
//! | module | owns |
//! |---|---|
//! | [`error`] | the error type and the stable codes of DESIGN §4 |
//! | [`limits`] | every size limit |
//! | [`hash`] | BLAKE2b-256/512, hex |
//! | [`ed25519`] | the strict verification rule, batch verification |
//! | [`keys`] | minisign/signify public keys |
//! | [`signature`] | minisign signature blocks, streaming verification |
//! | [`signify`] | signify signature files: detached, embedded, gzip |
//! | [`tree`] | `b2tree:` digests and path rules |
//! | [`manifest`] | `.omega/manifest.json` |
//! | [`check`] | package checks |
//! | [`report`] | check reports and their one JSON shape |
//! | [`lock`] | `omega.lock`, update rules, revocation |
//! | [`tarball`] | npm-style `.tgz` reading and deterministic writing |
//! | [`fs`] | (std) directory walking and file hashing |
//! | [`layout`] | where an enforcing loader's files stand: package folders, `node_modules/<name>` look-ups, links, a resolution's checks in order |
//! | [`installs`] | a project's installed packages and their lock keys (the scan needs std) |
//! | [`secret`] | (sign) secret keys and signing |
//! | [`vkey`] | signed-note verifier keys (`name+id+key`) and key IDs |
//! | [`merkle`] | RFC 6962 Merkle trees (SHA-256): roots, inclusion and consistency proofs |
//! | [`tiles`] | C2SP tlog-tiles: tile paths, tiles verified against a root, proofs from tiles, the publisher |
//! | [`bundle`] | tlog-tiles entry bundles (uint16 length-prefixed entries) |
//! | [`statement`] | registry statements (R4): strict parsing, one canonical byte form |
//! | [`entry`] | log entries: `omega-entry/v1`, statement, minisign blocks; signing (sign) |
//! | [`registry`] | the replay state machine: authorisation of each entry, per-name state |
//! | [`state_store`] | the saved state as content-addressed pieces: header, buckets, per-name records |
//! | [`note`] | C2SP signed notes: parsing, verification (Ed25519, cosignature/v1), signing |
//! | [`checkpoint`] | C2SP tlog-checkpoint note texts |
//! | [`policy`] | tlog-policy subset and the checkpoint evaluator (log key, quorum, freshness) |
//! | [`index`] | per-package index notes (REGISTRY.md R5) |
//! | [`client`] | the registry client's rules (R6 steps 1–6) over fetched bytes |
//!
//! # Examples
//!
//! Check a package held in memory (a tarball's entries, files a browser fetched) against a
//! pinned digest; the report prints as the one JSON object every runtime shares:
//!
//! ```
//! use omega_core::{check_package, ErrorCode, ErrorKind, LegacyPolicy, MemoryPackage, Pins};
//!
//! let pkg = MemoryPackage::from_files([("index.js", false, &b"module.exports = 1;\n"[..])])?;
//! let digest = pkg.listing.digest();
//! // Threshold `None`: core's default (1 when keys are pinned, 0 here).
//! let pins = Pins::new(Some(digest), Vec::new(), None, LegacyPolicy::Refuse);
//! let report = check_package(pkg.input("demo"), &pins)?;
//! assert!(report.is_ok());
//! assert!(report.json().to_text().starts_with(r#"{"ok":true,"code":null,"#));
//!
//! // Tampering is refused with the code of the first problem, the whole report attached.
//! let bad = MemoryPackage::from_files([("index.js", false, &b"evil()\n"[..])])?;
//! let err = check_package(bad.input("demo"), &pins).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::DigestMismatch);
//! assert_eq!(err.code().kind(), ErrorKind::VerificationFailed);
//! assert_eq!(err.code().exit_status(), 1);
//! assert_eq!(err.report().map(|r| r.problems.len()), Some(1));
//! # Ok::<(), omega_core::Error>(())
//! ```
//!
//! Parsers are strict (DESIGN §3.3): a duplicate key, an unknown field or trailing data is
//! refused as `MALFORMED`, a newer format version as `UNSUPPORTED_VERSION`:
//!
//! ```
//! use omega_core::{ErrorCode, Lockfile};
//!
//! let lock = Lockfile::parse(br#"{"omega-lock": 1, "packages": {}}"#)?;
//! assert!(lock.packages.is_empty());
//! for bad in [
//!     &br#"{"omega-lock": 1, "packages": {}, "packages": {}}"#[..],
//!     br#"{"omega-lock": 1, "packages": {}, "extra": 0}"#,
//!     br#"{"omega-lock": 1, "packages": {}} {}"#,
//! ] {
//!     assert_eq!(Lockfile::parse(bad).unwrap_err().code(), ErrorCode::Malformed);
//! }
//! let newer = Lockfile::parse(br#"{"omega-lock": 3, "packages": {}}"#).unwrap_err();
//! assert_eq!(newer.code(), ErrorCode::UnsupportedVersion);
//! # Ok::<(), omega_core::Error>(())
//! ```
//!
//! A project's installed packages and their lock keys (feature `std`):
//!
//! ```
//! # #[cfg(feature = "std")] {
//! let dir = std::env::temp_dir().join(format!("omega-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("node_modules/a/node_modules/a"))?;
//! let found = omega_core::installs::find_installs(&dir);
//! let keys: Vec<&str> = found.installs.iter().map(|i| i.key.as_str()).collect();
//! assert_eq!(keys, ["a", "node_modules/a/node_modules/a"]);
//! std::fs::remove_dir_all(&dir)?;
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

pub mod bundle;
pub mod check;
pub mod checkpoint;
pub mod client;
pub mod driver;
pub mod ed25519;
pub mod entry;
pub mod error;
mod fold;
#[cfg(feature = "std")]
pub mod fs;
pub mod hash;
pub mod index;
pub mod installs;
pub mod json;
pub mod keys;
pub mod layout;
pub mod limits;
#[cfg(feature = "std")]
pub mod listed;
pub mod loader;
pub mod lock;
pub mod manifest;
pub mod merkle;
pub mod note;
mod order;
pub mod policy;
pub mod registry;
pub mod report;
#[cfg(feature = "sign")]
pub mod secret;
pub mod signature;
pub mod signify;
pub mod state_store;
pub mod statement;
pub mod tarball;
mod text;
pub mod tiles;
pub mod tree;
pub mod vkey;

pub use check::{check_package, check_packages, MemoryPackage, PackageInput, Pins};
pub use error::{Error, ErrorCode, ErrorKind, Result};
pub use keys::{KeyId, PublicKey};
pub use lock::{
    admit, admit_in_lock, apply_revocation, bin_link_package, dependency_problems,
    node_resolution_paths, revoke, Admission, Candidate, Change, FirstSight, LockEntry, LockIndex,
    Lockfile, PinMode, RegistryPin, RegistryRef, Release, Revocation, Revoked,
};
pub use manifest::{KeySet, Manifest};
pub use report::{
    summary_message, Problem, ProblemJson, Report, ReportJson, SignatureReport, SignatureReportJson,
};
pub use signature::{
    select_block, verify_detached, Algorithm, LegacyPolicy, SignatureBlock, StreamVerifier,
};
pub use tree::{FileEntry, FileKind, RelPath, TreeDigest, TreeListing};
