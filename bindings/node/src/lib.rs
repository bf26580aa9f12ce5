//! omega-node: the native addon of the npm package `omega-verify` (napi-rs).
//!
//! A thin layer over omega-core: it converts arguments, runs core's checks (on the libuv
//! thread pool for the promise forms, so the event loop never waits for hashing), and returns
//! results and errors as JSON text that `lib/native.js` turns into values and `Error`s with
//! `.code` and `.report` (the one report shape of `Report::to_json` / `Error::to_json`).
//!
//! Every function returns an *envelope*: `{"ok":true,"value":…}` or
//! `{"ok":false,"error":<Error::to_json()>,"report":<whether the error carries a report>}`.
//! Only arguments of the wrong JavaScript type throw here (napi's `TypeError`).
//!
//! Two process-wide caches serve the loader (`Ω(…)` and `omega-verify/register`): successful
//! checks by (directory, pins), and verified file tables for `OMEGA_VERIFY=files`. They live in
//! this library's static memory, so the main thread and the ESM hooks thread share them.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cache;
mod envelope;
mod files;
pub mod layout;
mod lock;
pub mod log;
mod pins;
pub mod registry;
pub mod signify;

use std::path::Path;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either};
use napi::{Env, Task};
use napi_derive::napi;
use omega_core::fs::{digest_dir as core_digest_dir, read_installed_package, read_package};
use omega_core::{check_package, verify_detached, Error, ErrorCode};
use serde_json::{json, Value};

use crate::envelope::{envelope, Outcome};
pub use crate::pins::PinsArg;

/// The version of this addon (the workspace version).
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

// ---------------------------------------------------------------------------------------------
// Digests

fn digest_one(dir: &str, installed: bool) -> Outcome {
    let root = Path::new(dir);
    let d = if installed {
        read_installed_package(root)?.listing.digest()
    } else {
        core_digest_dir(root)?
    };
    Ok(Value::String(d.to_string()))
}

/// The `b2tree:` digest of `dir` (DESIGN §3.2); with `installed`, of an installed npm package,
/// leaving out its top-level `node_modules/` (as `omega lock` pins it).
#[napi]
pub fn digest_dir_sync(dir: String, installed: bool) -> String {
    envelope(digest_one(&dir, installed))
}

/// [`digest_dir_sync`] on the libuv thread pool.
pub struct DigestTask {
    dir: String,
    installed: bool,
}

impl Task for DigestTask {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> napi::Result<String> {
        Ok(envelope(digest_one(&self.dir, self.installed)))
    }
    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Promise form of [`digest_dir_sync`]: hashing runs off the main thread.
#[napi(ts_return_type = "Promise<string>")]
pub fn digest_dir(dir: String, installed: bool) -> AsyncTask<DigestTask> {
    AsyncTask::new(DigestTask { dir, installed })
}

// ---------------------------------------------------------------------------------------------
// Package checks

struct CheckJob {
    dir: String,
    pins: PinsArg,
    installed: bool,
    label: Option<String>,
    cache: bool,
}

fn check_one(job: &CheckJob) -> Outcome {
    let key = job
        .cache
        .then(|| cache::check_key(&job.dir, &job.pins, job.installed));
    if let Some(Some(k)) = &key {
        if let Some(hit) = cache::checked(k) {
            return Ok(hit);
        }
    }
    let pins = job.pins.to_pins()?;
    let root = Path::new(&job.dir);
    let pkg = if job.installed {
        read_installed_package(root)
    } else {
        read_package(root)
    };
    let label = job.label.clone().unwrap_or_else(|| job.dir.clone());
    let pkg = pkg.map_err(|e| labelled(e, &label))?;
    // Core's JSON value through its `Serialize` (omega-core feature `serde`), keys in core's order.
    let report = serde_json::to_value(check_package(pkg.input(&label), &pins)?.to_json())
        .unwrap_or_default();
    if let Some(Some(k)) = key {
        cache::remember_checked(k, report.clone());
    }
    Ok(report)
}

/// Prefixes a read error with the package's label unless its message already names it.
fn labelled(e: Error, label: &str) -> Error {
    if e.message().contains(label) {
        e
    } else {
        e.context(label)
    }
}

/// Checks the package directory `dir` against `pins` (DESIGN §3.4) and returns the report.
/// `installed` leaves out the top-level `node_modules/`; `label` names the package in messages
/// (default: the directory); `cache` reuses an earlier success for the same directory and pins
/// (the loader's per-process cache).
#[napi]
pub fn check_dir_sync(
    dir: String,
    pins: PinsArg,
    installed: bool,
    label: Option<String>,
    cache: bool,
) -> String {
    envelope(check_one(&CheckJob {
        dir,
        pins,
        installed,
        label,
        cache,
    }))
}

/// [`check_dir_sync`] on the libuv thread pool.
pub struct CheckTask(CheckJob);

impl Task for CheckTask {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> napi::Result<String> {
        Ok(envelope(check_one(&self.0)))
    }
    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Promise form of [`check_dir_sync`]: reading and hashing run off the main thread.
#[napi(ts_return_type = "Promise<string>")]
pub fn check_dir(
    dir: String,
    pins: PinsArg,
    installed: bool,
    label: Option<String>,
    cache: bool,
) -> AsyncTask<CheckTask> {
    AsyncTask::new(CheckTask(CheckJob {
        dir,
        pins,
        installed,
        label,
        cache,
    }))
}

// ---------------------------------------------------------------------------------------------
// Files mode (`OMEGA_VERIFY=files`)

/// Verifies a package's file table against `pins` once and returns `{id, report}`: `id` names
/// the table in [`check_pinned_file`] and [`read_pinned_file`]. A signed package's table is its
/// manifest's file list (checked against the pinned digest and keys without reading the
/// files); an unsigned one's, or any package's with `whole` (tree mode), is its files as read
/// and checked now. Tables are kept for the life of the process.
#[napi]
pub fn open_pinned_files(dir: String, pins: PinsArg, label: String, whole: Option<bool>) -> String {
    envelope(files::open(&dir, &pins, &label, whole.unwrap_or(false)))
}

/// [`open_pinned_files`] on the libuv thread pool.
pub struct OpenTask {
    dir: String,
    pins: PinsArg,
    label: String,
    whole: bool,
}

impl Task for OpenTask {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> napi::Result<String> {
        Ok(envelope(files::open(
            &self.dir,
            &self.pins,
            &self.label,
            self.whole,
        )))
    }
    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Promise form of [`open_pinned_files`]: reading and hashing run off the main thread.
#[napi(ts_return_type = "Promise<string>")]
pub fn open_pinned_files_async(
    dir: String,
    pins: PinsArg,
    label: String,
    whole: Option<bool>,
) -> AsyncTask<OpenTask> {
    AsyncTask::new(OpenTask {
        dir,
        pins,
        label,
        whole: whole.unwrap_or(false),
    })
}

/// A verified file table, as [`open_table`] returns it.
#[napi(object)]
pub struct OpenedTable {
    /// The table's number for [`read_pinned_file`] and [`check_pinned_file`].
    pub id: u32,
    /// The verified manifest's signed dependency pins: `[name, b2tree digest]` pairs.
    pub dependencies: Vec<Vec<String>>,
}

fn opened_table(o: files::Opened) -> OpenedTable {
    OpenedTable {
        id: o.id,
        dependencies: o
            .dependencies
            .into_iter()
            .map(|(n, d)| vec![n, d])
            .collect(),
    }
}

/// [`open_pinned_files`] for the loader: the table as an object, or the error envelope (text)
/// when it is refused. No JSON on success.
#[napi]
pub fn open_table(
    dir: String,
    pins: PinsArg,
    label: String,
    whole: bool,
) -> Either<OpenedTable, String> {
    match files::open_pinned(&dir, &pins, &label, whole) {
        Ok(o) => Either::A(opened_table(o)),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

/// Reads the file `rel` of an opened table (at `abs`) for loading: its bytes (a Buffer) when
/// they are those of the table, else the error envelope (text). The loader compiles exactly
/// these bytes (`omega_core::listed::read_listed_file`).
#[napi]
pub fn read_pinned_file(id: u32, rel: String, abs: String) -> Either<Buffer, String> {
    match files::read(id, &rel, Path::new(&abs)) {
        Ok(bytes) => Either::A(bytes.into()),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

/// Checks one file of an opened table when a resolution finds it: `rel` is its path in the
/// package (`/`-separated), `abs` where it is. Nothing (undefined) when its kind, size and
/// BLAKE2b-256 are those of the table (the bytes are kept for its load); else the error
/// envelope (`FILE_CHANGED` or `FILE_EXTRA`, with the report).
#[napi]
pub fn check_pinned_file(id: u32, rel: String, abs: String) -> Option<String> {
    files::check(id, &rel, Path::new(&abs))
        .err()
        .map(|e| envelope(Err(e)))
}

/// Checks the top-level `package.json` of table `id`'s package at `dir` as the loader does at
/// each open ([`files::check_package_json`]; with none, the scope folder's Node would read in
/// its place must be absent): nothing (undefined) when it passes, else the error envelope.
/// For `Ω`, whose loads go through Node's scope lookup.
#[napi]
pub fn check_package_top(id: u32, dir: String) -> Option<String> {
    files::check_package_json(id, &dir)
        .err()
        .map(|e| envelope(Err(e)))
}

/// Checks the `package.json` files Node may read to load the file `rel` of table `id`'s
/// package at `dir` (`omega_core::layout::file_scopes`, each by
/// `omega_core::listed::check_layout_scope`): nothing (undefined) when they pass, else the
/// error envelope. For `Ω`'s loads, which go through no layout.
#[napi]
pub fn check_file_scopes(id: u32, dir: String, rel: String) -> Option<String> {
    omega_core::layout::file_scopes(id, &dir, &rel)
        .iter()
        .try_for_each(files::check_layout_scope)
        .err()
        .map(|e| envelope(Err(e)))
}

// ---------------------------------------------------------------------------------------------
// Lock files

/// Parses `omega.lock` (strictly, by omega-core) and returns its entries as
/// `[{key, name, path, version, sequence, tree, keys, signed_by, revoked}]`.
#[napi]
pub fn lock_entries(lock: Buffer) -> String {
    envelope(lock::entries(&lock))
}

/// Parses `omega.lock` (strictly, by omega-core) and keeps it: its handle (a number), or the
/// error envelope (text).
#[napi]
pub fn lock_open(lock: Buffer) -> Either<u32, String> {
    match lock::open(&lock) {
        Ok(id) => Either::A(id),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

/// The key of the entry of lock `id` that pins the package folder `path` (relative to the
/// project, `/`-separated), or null when none does. An unknown handle throws (a bug, not a
/// verdict).
#[napi]
pub fn lock_key(id: u32, path: String) -> napi::Result<Option<String>> {
    lock::key_for(id, &path).map_err(|e| napi::Error::from_reason(e.message().to_string()))
}

/// Opens the verified file table of the package at `dir` against the entry of lock `id` that
/// pins `path` (its audit pins, `LockEntry::audit_pins`: the tree, every `signed_by` key
/// required; `KEY_REVOKED` when the entry is signed but all its signers were revoked), as
/// [`open_table`]; then, on every call, its `package.json` against the table
/// ([`files::check_package_json`]: Node reads it next).
#[napi]
pub fn open_locked_table(
    id: u32,
    path: String,
    dir: String,
    whole: bool,
) -> Either<OpenedTable, String> {
    let opened = lock::entry(id, &path).and_then(|(key, e)| {
        let o = files::open_pins(
            &dir,
            e.audit_pins(&key)?,
            &format!("lock\u{0}{id}\u{0}{path}"),
            &key,
            whole,
        )?;
        files::check_package_json(o.id, &dir)?;
        Ok(o)
    });
    match opened {
        Ok(o) => Either::A(opened_table(o)),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

/// Starts opening the tables of every package that lock `id` pins (its entries' audit pins;
/// `root` is the project folder, the lock's real directory) on a thread of its own, in the
/// background, as [`open_locked_table`] would open them (`whole`: tree mode): the loader's
/// own open then finds each table ready. Once per process; entries whose pins are refused
/// are left to the loader.
#[napi]
pub fn prefetch_locked(id: u32, root: String, whole: bool) -> napi::Result<()> {
    let jobs = lock::prefetch_jobs(id, &root)
        .map_err(|e| napi::Error::from_reason(e.message().to_string()))?;
    files::prefetch(jobs, whole);
    Ok(())
}

/// A caller's pins combined with the entry of lock `id` pinning `path`
/// (`omega_core::loader::merge_pins`: a conflicting digest is `DIGEST_MISMATCH`, the lock fills
/// in the rest); `label` names the package and `lock_name` the lock file in messages.
#[napi]
pub fn lock_pins(
    id: u32,
    path: String,
    pins: PinsArg,
    label: String,
    lock_name: String,
) -> Either<PinsArg, String> {
    match lock::merged(id, &path, &pins, &label, &lock_name) {
        Ok(p) => Either::A(p),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

/// Applies a signed revocation statement (DESIGN §3.5) to the bytes of an `omega.lock` and
/// returns `{lock, entries}` (the new lock text; the lock keys whose pins lost the key).
/// Refusals (`SIGNATURE_INVALID`, `KEY_NOT_TRUSTED`, `THRESHOLD_NOT_MET`, `KEY_REVOKED`,
/// `NOT_FOUND`, `MALFORMED`) change nothing.
#[napi]
pub fn apply_revocation(lock: Buffer, statement: Buffer, signature: Buffer) -> String {
    envelope(lock::revoke(&lock, &statement, &signature))
}

// ---------------------------------------------------------------------------------------------
// Signatures and hashes

/// Where a signature comes from: a signature file (default: the file's path + `.minisig`), or
/// its contents.
enum SignatureSource {
    File(Option<String>),
    Text(Vec<u8>),
}

struct VerifyJob {
    file: String,
    public_key: String,
    signature: SignatureSource,
    legacy: bool,
}

fn verify_one(job: &VerifyJob) -> Outcome {
    let key = omega_core::PublicKey::parse(job.public_key.as_bytes())?;
    let legacy = if job.legacy {
        omega_core::LegacyPolicy::Allow
    } else {
        omega_core::LegacyPolicy::Refuse
    };
    let file = Path::new(&job.file);
    let comment = match &job.signature {
        // Streams the file: a large release never sits in memory.
        SignatureSource::File(sig) => {
            omega_core::fs::verify_file(file, &key, sig.as_deref().map(Path::new), legacy)?
        }
        SignatureSource::Text(text) => {
            let message = std::fs::read(file).map_err(|e| omega_core::fs::io_error(file, &e))?;
            verify_detached(&key, &message, text, legacy).map_err(|e| e.context(&job.file))?
        }
    };
    Ok(json!({ "trustedComment": comment }))
}

fn verify_job(
    file: String,
    public_key: String,
    signature_path: Option<String>,
    signature_text: Option<Buffer>,
    legacy: bool,
) -> VerifyJob {
    VerifyJob {
        file,
        public_key,
        signature: match signature_text {
            Some(text) => SignatureSource::Text(text.to_vec()),
            None => SignatureSource::File(signature_path),
        },
        legacy,
    }
}

/// Verifies `file` with a minisign signature and a public key (`RW…` or key file text);
/// returns `{trustedComment}`. The signature is `signature_text` (the signature file's
/// contents) when given, else the file `signature_path` (default: `file` + `.minisig`).
#[napi]
pub fn verify_file_sync(
    file: String,
    public_key: String,
    signature_path: Option<String>,
    signature_text: Option<Buffer>,
    legacy: bool,
) -> String {
    envelope(verify_one(&verify_job(
        file,
        public_key,
        signature_path,
        signature_text,
        legacy,
    )))
}

/// [`verify_file_sync`] on the libuv thread pool.
pub struct VerifyTask(VerifyJob);

impl Task for VerifyTask {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> napi::Result<String> {
        Ok(envelope(verify_one(&self.0)))
    }
    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Promise form of [`verify_file_sync`]: hashing runs off the main thread.
#[napi(ts_return_type = "Promise<string>")]
pub fn verify_file(
    file: String,
    public_key: String,
    signature_path: Option<String>,
    signature_text: Option<Buffer>,
    legacy: bool,
) -> AsyncTask<VerifyTask> {
    AsyncTask::new(VerifyTask(verify_job(
        file,
        public_key,
        signature_path,
        signature_text,
        legacy,
    )))
}

/// BLAKE2b-256 (unkeyed, 32 bytes) of `data`.
#[napi(js_name = "blake2b256")]
pub fn blake2b256(data: &[u8]) -> Buffer {
    omega_core::hash::blake2b256(data).to_vec().into()
}

/// Strict Ed25519 verification of a raw signature (32-byte key, 64-byte signature).
#[napi(js_name = "verifyEd25519")]
pub fn verify_ed25519(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    omega_core::ed25519::verify_strict_raw(public_key, message, signature)
}

/// The DESIGN §4 codes, so that JS can tell core errors from others.
#[napi]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}
