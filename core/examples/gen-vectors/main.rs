//! Generates the cross-language test vectors in `tests/vectors/*.json`.
//!
//! `cargo run -p omega-core --example gen-vectors --features sign -- tests/vectors`
//! (or `make vectors`). Output is deterministic: keys come from fixed seeds, trusted comments
//! are fixed, so running it again yields the same bytes. Every case states its intended
//! outcome here, by hand; the generator refuses to write a file if omega-core disagrees with
//! an intended outcome, so the vectors pin intent, not whatever the code happened to do.
//! Every binding runs these files (tests/vectors/README.md describes the fields).

use std::collections::BTreeMap;
use std::path::PathBuf;

use omega_core::check::{check_package, MemoryPackage, Pins};
use omega_core::hash::to_hex;
use omega_core::lock::{
    admit, apply_revocation, Candidate, LockEntry, Lockfile, Release, Revocation,
};
use omega_core::manifest::{KeySet, Manifest};
use omega_core::secret::SecretKey;
use omega_core::signature::{verify_detached, LegacyPolicy, SignatureBlock};
use omega_core::tree::{FileEntry, FileKind, RelPath, TreeListing};
use omega_core::{ErrorCode, KeyId, PublicKey};
use serde_json::{json, Value};

mod client;
mod lock;
mod manifest;
mod merkle;
mod minisign;
mod notes;
mod package;
mod revocation;
mod statements;
mod tree;

use lock::lock_vectors;
use manifest::manifest_vectors;
use merkle::log_proof_vectors;
use minisign::minisign_vectors;
use notes::notes_vectors;
use package::package_vectors;
use revocation::revocation_vectors;
use statements::statement_vectors;
use tree::tree_vectors;

type Files = Vec<(String, bool, Vec<u8>)>;
/// The intended outcome of a package check: the signing keys, or the code and every problem.
type PackageExpect<'a> = Result<Vec<PublicKey>, (ErrorCode, Vec<(&'a str, Option<&'a str>)>)>;

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n, 0x6f, 0x6d, 0x65, 0x67, 0x61, 0x00, n]))
}

fn file(path: &str, data: &str) -> (String, bool, Vec<u8>) {
    (path.to_string(), false, data.as_bytes().to_vec())
}

fn files_json(files: &Files) -> Value {
    Value::Array(
        files
            .iter()
            .map(|(p, x, d)| match std::str::from_utf8(d) {
                Ok(text) => json!({"path": p, "executable": x, "text": text}),
                Err(_) => json!({"path": p, "executable": x, "hex": to_hex(d)}),
            })
            .collect(),
    )
}

fn listing(files: &Files) -> TreeListing {
    let entries = files
        .iter()
        .filter(|(p, _, _)| !p.starts_with(".omega/"))
        .map(|(p, x, d)| {
            FileEntry::from_contents(
                RelPath::new(p.clone()).expect("valid path"),
                if *x {
                    FileKind::Executable
                } else {
                    FileKind::Regular
                },
                d,
            )
        })
        .collect();
    TreeListing::new(entries).expect("valid listing")
}

fn keyset(threshold: u32, signers: &[&SecretKey], next: &[&SecretKey]) -> KeySet {
    KeySet {
        threshold,
        signers: signers.iter().map(|k| k.public_key()).collect(),
        next: next.iter().map(|k| k.public_key()).collect(),
    }
}

const TC: &str = "timestamp:1767225600\tfile:manifest.json\thashed";

/// A package: `files` plus `.omega/manifest.json` and its signature blocks by `signed_by`.
fn package(
    mut files: Files,
    name: &str,
    version: &str,
    seq: u64,
    keys: KeySet,
    signed_by: &[&SecretKey],
) -> Files {
    let m = Manifest::new(name, version, seq, &listing(&files), BTreeMap::new(), keys)
        .expect("manifest");
    let bytes = m.to_json_bytes();
    let mut sig = String::new();
    for k in signed_by {
        sig.push_str(
            &k.sign(&bytes, TC, "signature from omega secret key")
                .expect("sign")
                .to_text(),
        );
    }
    files.push((".omega/manifest.json".into(), false, bytes));
    if !signed_by.is_empty() {
        files.push((
            ".omega/manifest.json.minisig".into(),
            false,
            sig.into_bytes(),
        ));
    }
    files
}

fn set_file(files: &mut Files, path: &str, data: &[u8]) {
    match files.iter_mut().find(|f| f.0 == path) {
        Some(f) => f.2 = data.to_vec(),
        None => files.push((path.into(), false, data.to_vec())),
    }
}

fn err_json(code: ErrorCode) -> Value {
    json!({"error": code.as_str()})
}

fn write(dir: &std::path::Path, name: &str, description: &str, cases: Vec<Value>) {
    let doc = json!({
        "description": description,
        "generator": "cargo run -p omega-core --example gen-vectors --features sign -- tests/vectors",
        "cases": cases,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("json");
    text.push('\n');
    std::fs::write(dir.join(name), text).expect("write vectors");
    println!("wrote {name}");
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/vectors".into()),
    );
    std::fs::create_dir_all(&dir).expect("mkdir");
    write(&dir, "tree.json", "b2tree digests of in-memory trees (DESIGN 3.2); files under the top-level .omega/ are excluded; expect.digest or expect.error", tree_vectors());
    write(&dir, "minisign.json", "detached minisign signatures (DESIGN 3.1): verify message_hex with public_key (key file or bare RW form), legacy = whether Ed signatures are allowed; expect.trusted_comment or expect.error", minisign_vectors());
    write(&dir, "manifest.json", "manifest parsing (DESIGN 3.3): valid manifests are canonical (re-serialise to the same bytes); expect.valid or expect.error", manifest_vectors());
    write(&dir, "package.json", "package checks (DESIGN 3.4) over in-memory files with pins; expect.ok with signed_by, or expect.error with every problem in order", package_vectors());
    write(&dir, "lock.json", "lock update rules (DESIGN 3.5): admit package files given the pinned entry and --trust keys; expect.change + entry, or expect.error", lock_vectors());
    write(&dir, "log_proofs.json", "RFC 6962 Merkle hashes and proofs (leaf_hash, root, inclusion, consistency), tlog-tiles paths (tile_path), which tiles a root or proof needs (tiles_for_*), a small tiled log with proof requests (tile_log), entry bundles (bundle) and a publisher append (publish); hashes and bytes hex; expect holds the result or expect.error", log_proof_vectors());

    write(&dir, "statements.json", "registry statements, log entries and replayed logs (REGISTRY.md R4): kind statement/entry: expect.type (valid and canonical) or expect.error; kind log: entries replayed from the genesis with invalid ones skipped, expect.verdicts (\"ok\" or a code per entry), expect.genesis (SHA-256 hex of entry 0), expect.state (RegistryState JSON, or null)", statement_vectors());
    write(&dir, "revocation.json", "revocation statements (DESIGN 3.5) applied to a pinned entry; expect.revoked + entry, or expect.error", revocation_vectors());
    write(&dir, "notes.json", "signed notes (C2SP signed-note), checkpoints under tlog policies, policies and index notes (REGISTRY.md R2, R5, R6 step 1); kind note|checkpoint|policy|index; inputs as text (`<field>_base64` when not UTF-8); expect is the output or expect.error", notes_vectors());
    client::write_client(&dir);
}
