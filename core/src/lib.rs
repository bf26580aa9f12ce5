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
//! | [`tree`] | `b2tree:` digests and path rules |
//! | [`manifest`] | `.omega/manifest.json` |
//! | [`check`] | package checks |
//! | [`report`] | check reports and their one JSON shape |
//! | [`lock`] | `omega.lock`, update rules, revocation |
//! | [`tarball`] | npm-style `.tgz` reading and deterministic writing |
//! | [`fs`] | (std) directory walking and file hashing |
//! | [`installs`] | a project's installed packages and their lock keys (the scan needs std) |
//! | [`secret`] | (sign) secret keys and signing |

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

pub mod check;
pub mod ed25519;
pub mod error;
#[cfg(feature = "std")]
pub mod fs;
pub mod hash;
pub mod installs;
mod json;
pub mod keys;
pub mod limits;
#[cfg(feature = "std")]
pub mod listed;
pub mod lock;
pub mod manifest;
pub mod report;
#[cfg(feature = "sign")]
pub mod secret;
pub mod signature;
pub mod tarball;
mod text;
pub mod tree;

pub use check::{check_package, check_packages, MemoryPackage, PackageInput, Pins};
pub use error::{Error, ErrorCode, ErrorKind, Result};
pub use keys::{KeyId, PublicKey};
pub use lock::{
    admit, admit_in_lock, apply_revocation, bin_link_package, dependency_problems,
    node_resolution_paths, revoke, Admission, Candidate, Change, FirstSight, LockEntry, LockIndex,
    Lockfile, PinMode, Release, Revocation, Revoked,
};
pub use manifest::{KeySet, Manifest};
pub use report::{
    summary_message, Problem, ProblemJson, Report, ReportJson, SignatureReport, SignatureReportJson,
};
pub use signature::{
    select_block, verify_detached, Algorithm, LegacyPolicy, SignatureBlock, StreamVerifier,
};
pub use tree::{FileEntry, FileKind, TreeDigest, TreeListing};
