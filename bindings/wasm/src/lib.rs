//! omega-wasm: the Ωpm verifier for browsers (and Node, as the native addon's fallback),
//! built with wasm-bindgen. The JS API is DESIGN §5's WASM line; everything it checks is
//! omega-core's, this crate only converts JS values in ([`convert`]) and errors and reports
//! out ([`errors`]).
//!
//! | export | omega-core |
//! |---|---|
//! | `digestFiles(files)` | `MemoryPackage::from_files` → `TreeListing::digest` |
//! | `checkPath(path)` | `tree::validate_path` |
//! | `treeListing(files)` | the same → `TreeListing::listing_text` |
//! | `checkPackageFiles(files, manifest, signature, pins)` | `MemoryPackage::from_files` → `check_package` |
//! | `checkTarball(tgz, pins)` | `tarball::check_tarball` |
//! | `listTarball(tgz)` | `tarball::read_tgz` |
//! | `verifyMinisign(message, signature, publicKey, {legacy})` | `PublicKey::parse` → `verify_detached` |
//! | `verifySignify(message, signatureText, publicKey)` | `PublicKey::parse` → `signify::verify_detached` |
//! | `verifyEd25519(publicKey, message, signature)` | `ed25519::verify_strict_raw` |
//! | `verifyEd25519Batch(items)` | `ed25519::verify_batch_strict` |
//! | `blake2b256(data)` | `hash::Blake2b256` |
//! | `revokeLock(lock, statement, signature)` | `lock::revoke` |
//! | `lockEntries(lock)` | `Lockfile::parse` → `Lockfile::entries_json` |
//! | `lockOpen`, `lockKey`, `lockAuditPins`, `lockPins` (`loader`, feature `loader`: the Node build only) | `Lockfile::entry_for_path`, `LockEntry::audit_pins`, `loader::merge_pins` |
//! | `tableFromManifest`, `tableFromFiles`, `tableFromListing`, `tableSizesMatch`, `tableCheckSize`, `tableEntrySize`, `tableCheckFile`, `tableListing`, `tableReport`, `tableDependencies` (`loader`) | `loader::Table` |
//! | `layoutNew`, `layoutResolve`, `layoutBefore`, `layoutLoad`, `layoutDetail`, `layoutPlace`, `layoutFirstEntry`, `layoutOpened`, `layoutForget`, `layoutPinChecked` (`loader`) | `layout::Layout` |
//! | `loaderLimits()` (`loader`) | `limits::{MAX_FILES, MAX_FILE_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES}` |
//! | `RegistryReader` (class: `needs`, `provide`, `wantRelease`, `takeRelease`, `tarball`, `manifest`, `notices`, `checkpoint`, `evidence`, `needsReopen`, `reopenAfter`; loop in `registry.js`), `refreshSeconds` | `driver::Reader`, `driver::REFRESH_SECONDS` |
//!
//! Reports are `Report::to_json` (errors: `Error::to_json`) as plain JS objects: the
//! one report shape of every binding and of `omega check --json`.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(feature = "full")]
pub mod batch;
pub mod convert;
pub mod errors;
#[cfg(feature = "loader")]
pub mod loader;
#[cfg(feature = "full")]
pub mod log;
#[cfg(feature = "full")]
pub mod registry;
pub mod signify;

use js_sys::Uint8Array;
use omega_core::check::{check_package, MemoryPackage};
use omega_core::ed25519::verify_strict_raw;
use omega_core::hash::{to_hex, Blake2b256};
use omega_core::json::{ObjectBuilder, Value};
use omega_core::signature::verify_detached;
use omega_core::tarball;
use omega_core::Report;
use wasm_bindgen::prelude::*;

use convert::{core, InputFile};
use errors::{json_to_js, report_to_js};

/// The metadata paths inside a package's files (DESIGN §3.3).
const MANIFEST_PATH: &str = omega_core::manifest::MANIFEST_PATH;
const SIGNATURE_PATH: &str = omega_core::manifest::SIGNATURE_PATH;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Bytes: a Uint8Array (a Node Buffer is one), any other ArrayBuffer view, or an ArrayBuffer. */
export type OmegaBytes = Uint8Array | ArrayBufferView | ArrayBuffer;
/** One file of a package held in memory; `data` as a string means its UTF-8 bytes. */
export interface OmegaFile { path: string; data: OmegaBytes | string; executable?: boolean }
/** What a check pins (DESIGN §3.4): a digest, keys (`RW…` or key-file text) and a threshold
 * (default 1 when keys are given), or both. `legacy` allows legacy `Ed` signature blocks;
 * `label` names the package in messages until its manifest is read. Unknown options throw. */
export interface OmegaPins {
  digest?: string | null; keys?: string[] | string | null; threshold?: number;
  legacy?: boolean; label?: string;
}
/** The stable error codes of DESIGN §4. */
export type OmegaErrorCode = "MALFORMED" | "UNSUPPORTED_VERSION" | "SIGNATURE_INVALID"
  | "KEY_NOT_TRUSTED" | "KEY_REVOKED" | "THRESHOLD_NOT_MET" | "LEGACY_SIGNATURE_REFUSED"
  | "DIGEST_MISMATCH" | "FILE_MISSING" | "FILE_EXTRA" | "FILE_CHANGED" | "UNSAFE_PATH"
  | "UNSUPPORTED_FILE_TYPE" | "ROLLBACK" | "NOT_FOUND" | "IO" | "TOO_LARGE"
  | "LOG_INCONSISTENT" | "NOT_IN_LOG" | "QUORUM_NOT_MET" | "STALE";
export interface OmegaProblem { code: OmegaErrorCode; path: string | null; key: string | null; message: string }
export interface OmegaSignatureReport {
  key_id: string; key: string | null; trusted_comment: string; error: OmegaErrorCode | null;
}
/** A check's report: the shape of `omega check --json` and of every binding. */
export interface OmegaReport {
  ok: boolean; code: OmegaErrorCode | null; message: string | null;
  package: string | null; version: string | null; sequence: number | null; files: number | null;
  tree: string | null; manifest_tree: string | null; pinned_digest: string | null;
  threshold: number | null; signed_by: string[]; signatures: OmegaSignatureReport[];
  problems: OmegaProblem[];
}
/** What every function throws: `.code` always; `.report` when a package check failed. */
/** omega-core's class of a code (`ErrorCode::kind`), which the CLI's exit status follows. */
export type OmegaErrorKind = "verification" | "malformed" | "not_found" | "io";
export interface OmegaError extends Error { code: OmegaErrorCode; kind: OmegaErrorKind; report?: OmegaReport }
export interface OmegaTarballListing {
  tree: string;
  files: { path: string; kind: "f" | "x"; size: number; blake2b256: string }[];
  manifest: Uint8Array | null; signature: Uint8Array | null;
}
export interface OmegaBatchItem { publicKey: OmegaBytes; message: OmegaBytes | string; signature: OmegaBytes }
"#;

fn package(files: &[InputFile]) -> Result<MemoryPackage, JsValue> {
    MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
        .map_err(core)
}

fn report(result: omega_core::Result<Report>) -> Result<JsValue, JsValue> {
    match result {
        Ok(r) => Ok(report_to_js(&r.json())),
        Err(e) => Err(core(e)),
    }
}

/// The `b2tree:` digest of in-memory files (DESIGN §3.2). Files under the top-level `.omega/`
/// are package metadata and do not count. Throws `UNSAFE_PATH` for a path the digest refuses.
#[wasm_bindgen(js_name = digestFiles)]
pub fn digest_files(
    #[wasm_bindgen(unchecked_param_type = "OmegaFile[]")] files: JsValue,
) -> Result<String, JsValue> {
    let files = convert::files(&files)?;
    Ok(package(&files)?.listing.digest().to_string())
}

/// Validates one path of a package, a file's or a folder's, as omega-core's walk does
/// (DESIGN §3.2 rule 3): throws `UNSAFE_PATH` for a path the digest refuses. The Node
/// loader's WASM engine hands it every folder it walks: an empty folder lists no file, and
/// both engines must refuse the same names.
#[wasm_bindgen(js_name = checkPath)]
pub fn check_path(path: &str) -> Result<(), JsValue> {
    omega_core::tree::validate_path(path).map_err(core)
}

/// The exact listing text the digest hashes after its `omega-tree-v1` header, one
/// `kind size blake2b256 path` line per file: what `find`/`b2sum`/`sort` reproduce.
#[wasm_bindgen(js_name = treeListing)]
pub fn tree_listing(
    #[wasm_bindgen(unchecked_param_type = "OmegaFile[]")] files: JsValue,
) -> Result<String, JsValue> {
    let files = convert::files(&files)?;
    Ok(package(&files)?.listing.listing_text())
}

/// Checks a package held in memory against the pins (DESIGN §3.4) and returns the report;
/// a failed check throws an `Error` with `.code` (the first problem) and `.report`.
///
/// `manifest` and `signature` are the bytes (or text) of `.omega/manifest.json` and
/// `.omega/manifest.json.minisig`; pass `null` for either to take it from `files` instead
/// (giving it in both places throws `UNSAFE_PATH`, as a path listed twice does).
#[wasm_bindgen(js_name = checkPackageFiles, unchecked_return_type = "OmegaReport")]
pub fn check_package_files(
    #[wasm_bindgen(unchecked_param_type = "OmegaFile[]")] files: JsValue,
    #[wasm_bindgen(js_name = manifestBytes, unchecked_param_type = "OmegaBytes | string | null")]
    manifest: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes | null")]
    signature: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaPins")] pins: JsValue,
) -> Result<JsValue, JsValue> {
    let mut files = convert::files(&files)?;
    let options = convert::check_options(&pins, "package")?;
    for (value, path, what) in [
        (&manifest, MANIFEST_PATH, "manifestBytes"),
        (&signature, SIGNATURE_PATH, "signatureText"),
    ] {
        if !(value.is_undefined() || value.is_null()) {
            files.push((path.to_string(), false, convert::bytes(value, what, true)?));
        }
    }
    let pkg = package(&files)?;
    report(check_package(pkg.input(&options.label), &options.pins))
}

/// Checks an npm-style `.tgz` (read in memory; the leading `package/` folder stripped, its
/// `.omega/` holding the manifest and signatures) against the pins, as `checkPackageFiles`.
#[wasm_bindgen(js_name = checkTarball, unchecked_return_type = "OmegaReport")]
pub fn check_tarball(
    #[wasm_bindgen(js_name = tgzBytes, unchecked_param_type = "OmegaBytes")] tgz: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaPins")] pins: JsValue,
) -> Result<JsValue, JsValue> {
    let tgz = convert::bytes(&tgz, "tgz", false)?;
    let options = convert::check_options(&pins, "tarball")?;
    report(tarball::check_tarball(&tgz, &options.label, &options.pins))
}

/// Reads an npm-style `.tgz` without checking signatures: `{tree, files: [{path, kind, size,
/// blake2b256}], manifest: Uint8Array | null, signature: Uint8Array | null}`, files sorted by
/// path. For showing what a tarball holds; a verdict needs `checkTarball`.
#[wasm_bindgen(js_name = listTarball, unchecked_return_type = "OmegaTarballListing")]
pub fn list_tarball(
    #[wasm_bindgen(js_name = tgzBytes, unchecked_param_type = "OmegaBytes")] tgz: JsValue,
) -> Result<JsValue, JsValue> {
    let tgz = convert::bytes(&tgz, "tgz", false)?;
    let pkg = tarball::read_tgz(&tgz).map_err(core)?;
    let files: Vec<Value<'_>> = pkg
        .listing
        .entries()
        .iter()
        .map(|e| {
            ObjectBuilder::new()
                .field("path", e.path.as_str())
                .field("kind", e.kind.as_str())
                .field("size", e.size)
                .field("blake2b256", to_hex(&e.hash))
                .build()
        })
        .collect();
    let out = json_to_js(
        &ObjectBuilder::new()
            .field("tree", pkg.listing.digest().to_string())
            .field("files", Value::Array(files))
            .build(),
    );
    let bytes_or_null = |b: &Option<Vec<u8>>| {
        b.as_deref()
            .map_or(JsValue::NULL, |b| Uint8Array::from(b).into())
    };
    js_sys::Reflect::set(&out, &"manifest".into(), &bytes_or_null(&pkg.manifest))?;
    js_sys::Reflect::set(&out, &"signature".into(), &bytes_or_null(&pkg.signatures))?;
    Ok(out)
}

/// Verifies a minisign signature file (one or more blocks) over `message` with `publicKey`
/// (key-file text or the bare `RW…` line) and returns the trusted comment. Legacy (`Ed`)
/// blocks are refused unless `options.legacy` is true.
#[wasm_bindgen(js_name = verifyMinisign)]
pub fn verify_minisign(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] message: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes")]
    signature: JsValue,
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "string")] public_key: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ legacy?: boolean }")] options: JsValue,
) -> Result<String, JsValue> {
    let legacy = convert::minisign_options(&options)?;
    let key = convert::public_key(&public_key, "publicKey")?;
    let message = convert::bytes(&message, "message", true)?;
    let signature = convert::bytes(&signature, "signatureText", true)?;
    verify_detached(&key, &message, &signature, legacy).map_err(core)
}

/// Parses an `omega.lock` strictly (omega-core: unknown fields, duplicate keys, trailing data,
/// bad digests or keys are `MALFORMED`; another version `UNSUPPORTED_VERSION`) and returns its
/// entries, `[{key, name, path, version, sequence, tree, keys, signed_by, revoked}]` — the
/// shape the Node loader uses on either engine.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = lockEntries)]
pub fn lock_entries(
    #[wasm_bindgen(js_name = lockBytes, unchecked_param_type = "OmegaBytes | string")]
    lock: JsValue,
) -> Result<JsValue, JsValue> {
    let lock = convert::bytes(&lock, "lockBytes", true)?;
    let parsed = omega_core::Lockfile::parse(&lock).map_err(core)?;
    Ok(json_to_js(&parsed.entries_json()))
}

/// Applies a signed revocation statement (DESIGN §3.5; docs/format.md §5) to the bytes of an
/// `omega.lock`: every lock entry of the statement's package that pins the key must accept it
/// (the key's own signature, or `threshold` of the entry's pinned signers). Returns the new
/// lock bytes; throws an `OmegaError` (`SIGNATURE_INVALID`, `KEY_NOT_TRUSTED`,
/// `THRESHOLD_NOT_MET`, `KEY_REVOKED`, `NOT_FOUND`, `MALFORMED` …) and changes nothing otherwise.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = revokeLock)]
pub fn revoke_lock(
    #[wasm_bindgen(js_name = lockBytes, unchecked_param_type = "OmegaBytes | string")]
    lock: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] statement: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes")]
    signature: JsValue,
) -> Result<Uint8Array, JsValue> {
    let lock = convert::bytes(&lock, "lockBytes", true)?;
    let statement = convert::bytes(&statement, "statement", true)?;
    let signature = convert::bytes(&signature, "signatureText", true)?;
    let revoked = omega_core::revoke(
        &lock,
        &statement,
        &signature,
        omega_core::LegacyPolicy::Refuse,
    )
    .map_err(core)?;
    Ok(Uint8Array::from(revoked.lock.as_slice()))
}

/// Strict Ed25519 verification (DESIGN §3.1; docs/ed25519.md) of a raw 64-byte `signature`
/// by a raw 32-byte `publicKey` over `message`. Any malformed input gives `false`.
#[wasm_bindgen(js_name = verifyEd25519)]
pub fn verify_ed25519(
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "OmegaBytes")] public_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] message: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes")] signature: JsValue,
) -> Result<bool, JsValue> {
    let pk = convert::bytes(&public_key, "publicKey", false)?;
    let msg = convert::bytes(&message, "message", true)?;
    let sig = convert::bytes(&signature, "signature", false)?;
    Ok(verify_strict_raw(&pk, &msg, &sig))
}

/// BLAKE2b-256 (unkeyed, 32-byte output) of `data` (bytes, or a string's UTF-8).
#[wasm_bindgen]
pub fn blake2b256(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] data: JsValue,
) -> Result<Vec<u8>, JsValue> {
    let mut h = Blake2b256::new();
    convert::for_each_chunk(&data, "data", |chunk| h.update(chunk))?;
    Ok(h.finalize().to_vec())
}
