//! The Node loader's WASM engine (bindings/node/lib/wasm.js), mirroring what the native addon
//! keeps in its memory (bindings/node/src/files.rs, lock.rs): lock files parsed and kept by
//! omega-core (a handle each), and verified file tables (`omega_core::loader::Table`) that
//! every file is compared with as it loads. Node's `fs` reads the files (WebAssembly has no
//! filesystem); every decision is core's: which entry pins a folder and its pins
//! (`Lockfile::entry_for_path`, `LockEntry::audit_pins`, `loader::merge_pins`), the table of
//! a signed manifest without reading a file (`Table::from_manifest`), paths and sizes before
//! contents (`Table::first_size_problem`, `Table::entry_sized`), and the contents check with
//! its refusal and report (`Table::check_bytes`), the same functions the native engine calls.
//! State lives in this module instance (one per thread).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use omega_core::check::MemoryPackage;
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::layout::{Layout, LayoutHost, Resolution, Scope, Stage, Step};
use omega_core::limits::{MAX_FILES, MAX_FILE_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES};
use omega_core::loader::{merge_pins, Table};
use omega_core::lock::package_name_of_key;
use omega_core::tree::RelPath;
use omega_core::{
    Error, ErrorCode, FileEntry, FileKind, LegacyPolicy, Lockfile, Pins, TreeListing,
};
use wasm_bindgen::prelude::*;

use crate::convert::{self, core};
use crate::errors::{expected, report_to_js};

thread_local! {
    static LOCKS: RefCell<Vec<Lockfile>> = const { RefCell::new(Vec::new()) };
    static TABLES: RefCell<Vec<Table>> = const { RefCell::new(Vec::new()) };
}

fn set(obj: &JsValue, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(obj, &JsValue::from_str(key), value).map(|_| ())
}

/// omega-core's limits that a reader must apply before it reads file contents:
/// `{maxFiles, maxFileBytes, maxManifestBytes, maxSignatureFileBytes}` (core/src/limits.rs).
#[wasm_bindgen(js_name = loaderLimits)]
pub fn loader_limits() -> Result<JsValue, JsValue> {
    let out: JsValue = Object::new().into();
    set(&out, "maxFiles", &JsValue::from_f64(MAX_FILES as f64))?;
    set(
        &out,
        "maxFileBytes",
        &JsValue::from_f64(MAX_FILE_BYTES as f64),
    )?;
    set(
        &out,
        "maxManifestBytes",
        &JsValue::from_f64(MAX_MANIFEST_BYTES as f64),
    )?;
    set(
        &out,
        "maxSignatureFileBytes",
        &JsValue::from_f64(MAX_SIGNATURE_FILE_BYTES as f64),
    )?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Lock files

/// Parses an `omega.lock` strictly (omega-core) and keeps it: its handle.
#[wasm_bindgen(js_name = lockOpen)]
pub fn lock_open(
    #[wasm_bindgen(js_name = lockBytes, unchecked_param_type = "OmegaBytes | string")]
    lock: JsValue,
) -> Result<u32, JsValue> {
    let bytes = convert::bytes(&lock, "lockBytes", true)?;
    let parsed = Lockfile::parse(&bytes).map_err(core)?;
    LOCKS.with(|l| {
        let mut l = l.borrow_mut();
        let id = u32::try_from(l.len()).map_err(|_| {
            core(Error::new(
                ErrorCode::TooLarge,
                "too many lock files opened",
            ))
        })?;
        l.push(parsed);
        Ok(id)
    })
}

fn with_lock<T>(id: u32, f: impl FnOnce(&Lockfile) -> Result<T, JsValue>) -> Result<T, JsValue> {
    LOCKS.with(|l| {
        let l = l.borrow();
        let lock = l.get(id as usize).ok_or_else(|| {
            core(Error::new(
                ErrorCode::NotFound,
                format!("no lock file number {id}"),
            ))
        })?;
        f(lock)
    })
}

/// The key of the entry of lock `handle` pinning the package folder `path` (relative to the
/// project, `/`-separated; retired entries pin none), or `undefined`.
#[wasm_bindgen(js_name = lockKey)]
pub fn lock_key(handle: u32, path: &str) -> Result<Option<String>, JsValue> {
    with_lock(handle, |l| {
        Ok(l.entry_for_path(path).map(|(k, _)| k.to_string()))
    })
}

fn pins_to_js(p: &Pins) -> Result<JsValue, JsValue> {
    let out: JsValue = Object::new().into();
    if let Some(d) = p.digest {
        set(&out, "digest", &JsValue::from_str(&d.to_string()))?;
    }
    if !p.keys.is_empty() {
        let keys: Array = p
            .keys
            .iter()
            .map(|k| JsValue::from_str(&k.to_base64()))
            .collect();
        set(&out, "keys", &keys.into())?;
        set(
            &out,
            "threshold",
            &JsValue::from_f64(f64::from(p.threshold)),
        )?;
    }
    if p.legacy == LegacyPolicy::Allow {
        set(&out, "legacy", &JsValue::TRUE)?;
    }
    Ok(out)
}

/// The pins of the entry of lock `handle` pinning `path` (`LockEntry::audit_pins`: the tree
/// and every `signed_by` key, all required; `KEY_REVOKED` for a signed entry whose signers
/// were all revoked) as `{digest, keys?, threshold?, key}`; `NOT_FOUND` when no entry pins it.
#[wasm_bindgen(js_name = lockAuditPins)]
pub fn lock_audit_pins(handle: u32, path: &str) -> Result<JsValue, JsValue> {
    with_lock(handle, |l| {
        let (key, e) = l.entry_for_path(path).ok_or_else(|| {
            core(Error::new(
                ErrorCode::NotFound,
                format!("no entry of the lock pins {path}"),
            ))
        })?;
        let out = pins_to_js(&e.audit_pins(key).map_err(core)?)?;
        set(&out, "key", &JsValue::from_str(key))?;
        Ok(out)
    })
}

/// A caller's pins combined with the entry of lock `handle` pinning `path`
/// (`loader::merge_pins`; an entry of another package than `label` is `NOT_FOUND`), as the
/// native addon's `lockPins`.
#[wasm_bindgen(js_name = lockPins)]
pub fn lock_pins(
    handle: u32,
    path: &str,
    #[wasm_bindgen(unchecked_param_type = "OmegaPins")] pins: JsValue,
    label: &str,
    #[wasm_bindgen(js_name = lockName)] lock_name: &str,
) -> Result<JsValue, JsValue> {
    let mut caller = convert::check_options(&pins, label)?.pins;
    if caller.keys.is_empty() {
        caller.threshold = 0;
    }
    with_lock(handle, |l| {
        let (key, e) = l.entry_for_path(path).ok_or_else(|| {
            core(Error::new(
                ErrorCode::NotFound,
                format!("no entry of the lock pins {path}"),
            ))
        })?;
        let name = package_name_of_key(key).unwrap_or(key);
        if name != label {
            return Err(core(Error::new(
                ErrorCode::NotFound,
                format!(
                    "{label}: the entry of {path} in {lock_name} is package {name}, not {label}"
                ),
            )));
        }
        pins_to_js(&merge_pins(caller, key, e, label, lock_name).map_err(core)?)
    })
}

// ---------------------------------------------------------------------------------------------
// Verified file tables

fn keep(table: Table) -> Result<u32, JsValue> {
    TABLES.with(|t| {
        let mut t = t.borrow_mut();
        let id = u32::try_from(t.len())
            .map_err(|_| core(Error::new(ErrorCode::TooLarge, "too many packages opened")))?;
        t.push(table);
        Ok(id)
    })
}

fn with_table<T>(id: u32, f: impl FnOnce(&Table) -> Result<T, JsValue>) -> Result<T, JsValue> {
    TABLES.with(|t| {
        let t = t.borrow();
        let table = t.get(id as usize).ok_or_else(|| {
            core(Error::new(
                ErrorCode::NotFound,
                format!("no verified file table number {id}"),
            ))
        })?;
        f(table)
    })
}

fn optional_bytes(value: &JsValue, what: &str) -> Result<Option<Vec<u8>>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        convert::bytes(value, what, true).map(Some)
    }
}

/// The table of a signed package from its manifest alone (`Table::from_manifest`: signatures
/// by the pinned keys, the manifest's file list against the pinned digest; no file read): its
/// number.
#[wasm_bindgen(js_name = tableFromManifest)]
pub fn table_from_manifest(
    #[wasm_bindgen(js_name = manifestBytes, unchecked_param_type = "OmegaBytes | string")]
    manifest: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes | null")]
    signature: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaPins")] pins: JsValue,
) -> Result<u32, JsValue> {
    let options = convert::check_options(&pins, "package")?;
    let manifest = convert::bytes(&manifest, "manifestBytes", true)?;
    let signature = optional_bytes(&signature, "signatureText")?;
    keep(
        Table::from_manifest(
            &options.label,
            &manifest,
            signature.as_deref(),
            &options.pins,
        )
        .map_err(core)?,
    )
}

/// The table of a package from its files as read (`files` without `.omega/`, and its manifest
/// and signatures, or null): `check_package` over them (`Table::from_files`); a refusal
/// carries the report of every problem.
#[wasm_bindgen(js_name = tableFromFiles)]
pub fn table_from_files(
    #[wasm_bindgen(unchecked_param_type = "OmegaFile[]")] files: JsValue,
    #[wasm_bindgen(js_name = manifestBytes, unchecked_param_type = "OmegaBytes | string | null")]
    manifest: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes | null")]
    signature: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaPins")] pins: JsValue,
) -> Result<u32, JsValue> {
    let files = convert::files(&files)?;
    let options = convert::check_options(&pins, "package")?;
    let manifest = optional_bytes(&manifest, "manifestBytes")?;
    let signature = optional_bytes(&signature, "signatureText")?;
    let pkg =
        MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
            .map_err(core)?;
    keep(
        Table::from_files(
            &options.label,
            pkg.listing,
            manifest.as_deref(),
            signature.as_deref(),
            &options.pins,
        )
        .map_err(core)?,
    )
}

/// The file listing of table `id`, `[[path, kind, size, blake2b256 hex]]`: what another
/// thread's instance checks again with `tableFromListing` (the WASM engine's promise forms
/// open packages in a worker).
#[wasm_bindgen(js_name = tableListing)]
pub fn table_listing(id: u32) -> Result<Array, JsValue> {
    with_table(id, |t| {
        Ok(t.files
            .iter()
            .map(|e| {
                let row: Array = [
                    JsValue::from_str(&e.path),
                    JsValue::from_str(e.kind.as_str()),
                    JsValue::from_f64(e.size as f64),
                    JsValue::from_str(&to_hex(&e.hash)),
                ]
                .into_iter()
                .collect();
                JsValue::from(row)
            })
            .collect())
    })
}

/// A table from a listing that another instance read and hashed (`tableListing`), checked by
/// `check_package` against the manifest, signatures and pins here (`Table::from_files`).
#[wasm_bindgen(js_name = tableFromListing)]
pub fn table_from_listing(
    #[wasm_bindgen(unchecked_param_type = "[string, string, number, string][]")] listing: JsValue,
    #[wasm_bindgen(js_name = manifestBytes, unchecked_param_type = "OmegaBytes | string | null")]
    manifest: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes | null")]
    signature: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaPins")] pins: JsValue,
) -> Result<u32, JsValue> {
    if !Array::is_array(&listing) {
        return Err(expected("listing", "an array of [path, kind, size, hash]"));
    }
    let options = convert::check_options(&pins, "package")?;
    let manifest = optional_bytes(&manifest, "manifestBytes")?;
    let signature = optional_bytes(&signature, "signatureText")?;
    let rows: &Array = listing.unchecked_ref();
    let mut rows_read = Vec::with_capacity(rows.length() as usize);
    for (i, row) in rows.iter().enumerate() {
        let bad = || expected(&format!("listing[{i}]"), "[path, kind, size, hash]");
        if !Array::is_array(&row) {
            return Err(bad());
        }
        let row: &Array = row.unchecked_ref();
        let path = row.get(0).as_string().ok_or_else(bad)?;
        let kind = row
            .get(1)
            .as_string()
            .and_then(|k| FileKind::parse(&k))
            .ok_or_else(bad)?;
        let size = row
            .get(2)
            .as_f64()
            .filter(|s| *s >= 0.0 && s.fract() == 0.0)
            .ok_or_else(bad)?;
        let hash = row
            .get(3)
            .as_string()
            .and_then(|h| parse_hex32(&h, "hash").ok())
            .ok_or_else(bad)?;
        rows_read.push((path, kind, size as u64, hash));
    }
    // Every row is read before any path is judged, as `TreeListing::new` judged them.
    let mut entries = Vec::with_capacity(rows_read.len());
    for (path, kind, size, hash) in rows_read {
        entries.push(FileEntry {
            path: RelPath::new(path).map_err(core)?,
            kind,
            size,
            hash,
        });
    }
    let listing = TreeListing::new(entries).map_err(core)?;
    keep(
        Table::from_files(
            &options.label,
            listing,
            manifest.as_deref(),
            signature.as_deref(),
            &options.pins,
        )
        .map_err(core)?,
    )
}

/// Sizes first: whether the files found on disk (`paths`, and their `sizes` as `lstat` gives
/// them, before any byte is read) are exactly the table's paths with the table's sizes
/// (`Table::first_size_problem`). `false`: read and check the package in full for the report.
#[wasm_bindgen(js_name = tableSizesMatch)]
pub fn table_sizes_match(
    id: u32,
    #[wasm_bindgen(unchecked_param_type = "string[]")] paths: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number[]")] sizes: JsValue,
) -> Result<bool, JsValue> {
    if !Array::is_array(&paths) || !Array::is_array(&sizes) {
        return Err(expected("paths, sizes", "two arrays"));
    }
    let paths: &Array = paths.unchecked_ref();
    let sizes: &Array = sizes.unchecked_ref();
    if paths.length() != sizes.length() {
        return Err(expected("sizes", "one size per path"));
    }
    let mut found = Vec::with_capacity(paths.length() as usize);
    for (p, s) in paths.iter().zip(sizes.iter()) {
        let p = p.as_string().ok_or_else(|| expected("paths", "strings"))?;
        let s = s
            .as_f64()
            .filter(|s| *s >= 0.0)
            .ok_or_else(|| expected("sizes", "numbers"))?;
        found.push((p, s as u64));
    }
    with_table(id, |t| Ok(t.first_size_problem(found).is_none()))
}

/// The listed size of the file `rel` of table `id` before a byte of it is read, when the file
/// found has `size` bytes (`fstat`): the size, or the refusal (`FILE_EXTRA` for a path not
/// listed or under `.omega/`, `FILE_CHANGED` for another size), with the table's report.
#[wasm_bindgen(js_name = tableCheckSize)]
pub fn table_check_size(id: u32, rel: &str, size: f64) -> Result<f64, JsValue> {
    with_table(id, |t| {
        t.entry_sized(rel, size as u64)
            .map(|e| e.size as f64)
            .map_err(core)
    })
}

/// The listed size of the file `rel` of table `id`, or the refusal (`FILE_EXTRA`).
#[wasm_bindgen(js_name = tableEntrySize)]
pub fn table_entry_size(id: u32, rel: &str) -> Result<f64, JsValue> {
    with_table(id, |t| t.entry(rel).map(|e| e.size as f64).map_err(core))
}

/// Compares the bytes read for the file `rel` with its entry in table `id`
/// (`Table::check_bytes`: size, kind, BLAKE2b-256); throws the refusal (`FILE_CHANGED`,
/// `FILE_EXTRA`) with the table's report otherwise.
#[wasm_bindgen(js_name = tableCheckFile)]
pub fn table_check_file(
    id: u32,
    rel: &str,
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes")] data: JsValue,
    executable: bool,
) -> Result<(), JsValue> {
    let kind = if executable {
        FileKind::Executable
    } else {
        FileKind::Regular
    };
    with_table(id, |t| {
        let mut h = omega_core::hash::Blake2b256::new();
        let mut size: u64 = 0;
        convert::for_each_chunk(&data, "data", |chunk| {
            h.update(chunk);
            size += chunk.len() as u64;
        })?;
        // A listed path is a valid one: the entry's own `RelPath` names the bytes read.
        let path = t.entry(rel).map_err(core)?.path.clone();
        t.check_entry(&FileEntry {
            path,
            kind,
            size,
            hash: h.finalize(),
        })
        .map_err(core)
    })
}

/// The report of the check that verified table `id` (`omega check --json`'s shape).
#[wasm_bindgen(js_name = tableReport, unchecked_return_type = "OmegaReport")]
pub fn table_report(id: u32) -> Result<JsValue, JsValue> {
    with_table(id, |t| Ok(report_to_js(&t.report.json())))
}

/// The verified manifest's signed dependency pins of table `id`: `{name: "b2tree:…"}`.
#[wasm_bindgen(js_name = tableDependencies)]
pub fn table_dependencies(id: u32) -> Result<JsValue, JsValue> {
    with_table(id, |t| {
        let out: JsValue = Object::new().into();
        for (name, digest) in &t.dependencies {
            set(&out, name, &JsValue::from_str(digest))?;
        }
        Ok(out)
    })
}

// ---------------------------------------------------------------------------------------------
// The enforcing loader's layout checks (lib/enforce.js), one call per resolution or load:
// omega-core's `layout::Layout` decides where a file stands, which `node_modules/<name>` a bare
// name finds and the link verdicts, in order. The host object given to `layoutNew` answers its
// questions about the disk (`isDir`, `isReal`, through Node's fs) and performs a check step
// (`check(table, rel, file)`, `read(table, rel, file)`: the engine's own checkPinnedFile and
// readPinnedFile), so a resolution whose packages are open is one call returning 0.

struct JsDisk {
    is_dir: js_sys::Function,
    is_real: js_sys::Function,
}

impl LayoutHost for JsDisk {
    fn is_dir(&mut self, path: &str) -> bool {
        self.is_dir
            .call1(&JsValue::NULL, &JsValue::from_str(path))
            .is_ok_and(|v| v.is_truthy())
    }
    fn is_real(&mut self, path: &str) -> bool {
        self.is_real
            .call1(&JsValue::NULL, &JsValue::from_str(path))
            .is_ok_and(|v| v.is_truthy())
    }
}

struct LayoutState {
    layout: Layout,
    disk: JsDisk,
    check: js_sys::Function,
    read: js_sys::Function,
    scope: js_sys::Function,
    detail: Vec<String>,
}

thread_local! {
    static LAYOUTS: RefCell<Vec<LayoutState>> = const { RefCell::new(Vec::new()) };
}

fn with_layout<T>(h: u32, f: impl FnOnce(&mut LayoutState) -> T) -> Result<T, JsValue> {
    LAYOUTS.with(|all| {
        // A host callback (`isDir`, `isReal`, `check`, `read`, `scope`) that re-enters the layout (a
        // patched `fs` that calls `require`) gets an error, not a trap that would leave the
        // layout borrowed for good.
        let mut all = all.try_borrow_mut().map_err(|_| {
            JsValue::from(js_sys::Error::new(
                "layout: re-entered from a host callback (isDir, isReal, check, read or scope)",
            ))
        })?;
        let s = all
            .get_mut(h as usize)
            .ok_or_else(|| JsValue::from(js_sys::Error::new(&format!("no layout number {h}"))))?;
        Ok(f(s))
    })
}

fn function(host: &JsValue, name: &str) -> Result<js_sys::Function, JsValue> {
    Reflect::get(host, &JsValue::from_str(name))?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| {
            JsValue::from(js_sys::TypeError::new(&format!(
                "layoutNew: host.{name} must be a function"
            )))
        })
}

fn strings(v: &JsValue) -> Option<Vec<String>> {
    if v.is_null() || v.is_undefined() {
        return None;
    }
    Some(
        Array::from(v)
            .iter()
            .filter_map(|s| s.as_string())
            .collect(),
    )
}

/// A new layout for the project at `root` (real path), omega-verify's own files at `own`;
/// `host`: `{isDir(path), isReal(path), check(table, rel, file), read(table, rel, file),
/// scope(table, rel, file)}` (`scope`: whether anything is at `file`, by `lstat`).
#[wasm_bindgen(js_name = layoutNew)]
pub fn layout_new(root: &str, own: &str, host: JsValue) -> Result<u32, JsValue> {
    let state = LayoutState {
        layout: Layout::try_new(root, own)
            .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?,
        disk: JsDisk {
            is_dir: function(&host, "isDir")?,
            is_real: function(&host, "isReal")?,
        },
        check: function(&host, "check")?,
        read: function(&host, "read")?,
        scope: function(&host, "scope")?,
        detail: Vec::new(),
    };
    LAYOUTS.with(|all| {
        let mut all = all.borrow_mut();
        all.push(state);
        Ok(u32::try_from(all.len() - 1).unwrap_or(u32::MAX))
    })
}

fn stage_of(stage: u32) -> Result<Stage, JsValue> {
    Ok(match stage {
        0 => Stage::Full,
        1 => Stage::Imports,
        2 => Stage::Bare,
        3 => Stage::File,
        _ => return Err(js_sys::Error::new(&format!("no stage {stage}")).into()),
    })
}

/// The next step of a resolution's checks (`Layout::resolution`; stage 0 full, 1 imports,
/// 2 bare, 3 file): 0 when it passes (a package file checked through `host.check`, whose
/// refusal is thrown), else the step's number.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = layoutResolve)]
pub fn layout_resolve(
    h: u32,
    stage: u32,
    name: Option<String>,
    from: &str,
    file: &str,
    #[wasm_bindgen(js_name = lookedUp)] looked_up: Option<String>,
    #[wasm_bindgen(unchecked_param_type = "string[] | null")] dirs: JsValue,
    request: Option<String>,
) -> Result<u32, JsValue> {
    let stage = stage_of(stage)?;
    let dirs = strings(&dirs);
    let dir_refs: Option<Vec<&str>> = dirs
        .as_ref()
        .map(|d| d.iter().map(String::as_str).collect());
    let (step, check, read, scope) = with_layout(h, |s| {
        let r = Resolution {
            request: request.as_deref(),
            name: name.as_deref(),
            from,
            file,
            looked_up: looked_up.as_deref(),
            dirs: dir_refs.as_deref(),
        };
        let step = s.layout.resolution(&mut s.disk, &r, stage);
        if !matches!(step, Step::Pass | Step::Check { .. }) {
            s.detail = step.detail();
        }
        (step, s.check.clone(), s.read.clone(), s.scope.clone())
    })?;
    // The layout is not borrowed while the host checks (it calls into this module).
    match step {
        Step::Check { table, rel, scopes } => {
            host_call(&check, table, &rel, file)?;
            check_scopes(&scope, &read, &scopes)?;
            Ok(0)
        }
        other => Ok(other.code()),
    }
}

/// Checks the `package.json` files Node may read to load the file `rel` of table `id`'s
/// package at `dir` (`omega_core::layout::file_scopes`) as a layout's check does: `present(table,
/// rel, file)` says whether anything is at `file` (`lstat`), `read(table, rel, file)` compares a
/// listed one. For `Ω`'s loads, which go through no layout, and for a package's top-level
/// `package.json` when it opens (`rel` = `package.json`, as `listed::check_package_top`).
#[wasm_bindgen(js_name = tableCheckFileScopes)]
pub fn table_check_file_scopes(
    id: u32,
    dir: &str,
    rel: &str,
    present: &js_sys::Function,
    read: &js_sys::Function,
) -> Result<(), JsValue> {
    check_scopes(
        present,
        read,
        &omega_core::layout::file_scopes(id, dir, rel),
    )
}

/// Checks the `package.json` files of a [`Step::Check`]: the host says whether anything is
/// there (`host.scope`, by `lstat`), omega-core's `Scope::check` decides against the table,
/// and a listed folder's bytes are compared (`host.read`), as `listed::check_layout_scope` does
/// for the addon.
fn check_scopes(
    scope: &js_sys::Function,
    read: &js_sys::Function,
    scopes: &[Scope],
) -> Result<(), JsValue> {
    for s in scopes {
        let path = s.path();
        let present = host_call(scope, s.table, &s.rel, &path)?.is_truthy();
        if with_table(s.table, |t| s.check(t, present).map_err(core))? {
            host_call(read, s.table, &s.rel, &path)?;
        }
    }
    Ok(())
}

/// Calls the host's `check`, `read` or `scope` with a table, a path in its package and the
/// file's absolute path.
fn host_call(f: &js_sys::Function, table: u32, rel: &str, file: &str) -> Result<JsValue, JsValue> {
    f.call3(
        &JsValue::NULL,
        &JsValue::from(table),
        &JsValue::from_str(rel),
        &JsValue::from_str(file),
    )
}

/// Before Node resolves the bare name `name` from `dirs` (default `[from]`):
/// `Layout::before_resolve`'s step number.
#[wasm_bindgen(js_name = layoutBefore)]
pub fn layout_before(
    h: u32,
    name: &str,
    #[wasm_bindgen(unchecked_param_type = "string[] | null")] dirs: JsValue,
    from: &str,
) -> Result<u32, JsValue> {
    let dirs = strings(&dirs);
    with_layout(h, |s| {
        let step = match &dirs {
            Some(d) => {
                let refs: Vec<&str> = d.iter().map(String::as_str).collect();
                s.layout.before_resolve(&mut s.disk, name, &refs)
            }
            None => s.layout.before_resolve(&mut s.disk, name, &[from]),
        };
        if step != Step::Pass {
            s.detail = step.detail();
        }
        step.code()
    })
}

/// Before `file` loads: its verified bytes (`host.read`), 0 for a file that loads as it is, or
/// another step's number.
#[wasm_bindgen(js_name = layoutLoad, unchecked_return_type = "number | Uint8Array")]
pub fn layout_load(h: u32, file: &str) -> Result<JsValue, JsValue> {
    let (step, read, scope) = with_layout(h, |s| {
        let step = s.layout.load(file);
        if !matches!(step, Step::Pass | Step::Check { .. }) {
            s.detail = step.detail();
        }
        (step, s.read.clone(), s.scope.clone())
    })?;
    match step {
        Step::Check { table, rel, scopes } => {
            let bytes = host_call(&read, table, &rel, file)?;
            check_scopes(&scope, &read, &scopes)?;
            Ok(bytes)
        }
        other => Ok(JsValue::from(other.code())),
    }
}

fn string_array(v: Vec<String>) -> Array {
    v.into_iter().map(|s| JsValue::from_str(&s)).collect()
}

/// The names of the last step that was not a pass (`Step::detail`).
#[wasm_bindgen(js_name = layoutDetail, unchecked_return_type = "string[]")]
pub fn layout_detail(h: u32) -> Result<Array, JsValue> {
    with_layout(h, |s| string_array(s.detail.clone()))
}

/// Where `file` stands: `[kind, dir, name, rel]` (`Place::parts`).
#[wasm_bindgen(js_name = layoutPlace, unchecked_return_type = "string[]")]
pub fn layout_place(h: u32, file: &str) -> Result<Array, JsValue> {
    with_layout(h, |s| string_array(s.layout.place(file).parts()))
}

/// The first `node_modules/<name>` from `dirs` up, as looked up, or null.
#[wasm_bindgen(js_name = layoutFirstEntry)]
pub fn layout_first_entry(
    h: u32,
    name: &str,
    #[wasm_bindgen(unchecked_param_type = "string[]")] dirs: JsValue,
) -> Result<Option<String>, JsValue> {
    let dirs = strings(&dirs).unwrap_or_default();
    let refs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    with_layout(h, |s| s.layout.first_entry(&mut s.disk, name, &refs))
}

/// Whether `dir` is its own real path (`Layout::real_entry`: decided once per process, the
/// same verdict the bare-name checks use).
#[wasm_bindgen(js_name = layoutIsReal)]
pub fn layout_is_real(h: u32, dir: &str) -> Result<bool, JsValue> {
    with_layout(h, |s| s.layout.real_entry(&mut s.disk, dir))
}

/// The package at `dir` is open: its table (-1: none, it loads unchecked) and the names its
/// signed manifest pins.
#[wasm_bindgen(js_name = layoutOpened)]
pub fn layout_opened(
    h: u32,
    dir: &str,
    table: f64,
    #[wasm_bindgen(unchecked_param_type = "string[]")] dependencies: JsValue,
) -> Result<(), JsValue> {
    let deps = strings(&dependencies).unwrap_or_default();
    let refs: Vec<&str> = deps.iter().map(String::as_str).collect();
    let table = (0.0..=f64::from(u32::MAX))
        .contains(&table)
        .then_some(table as u32);
    with_layout(h, |s| s.layout.opened(dir, table, &refs))
}

/// The verdict on the package at `dir` was dropped: it is opened again when asked.
#[wasm_bindgen(js_name = layoutForget)]
pub fn layout_forget(h: u32, dir: &str) -> Result<(), JsValue> {
    with_layout(h, |s| s.layout.forget(dir))
}

/// The package at `entry` verified against `requester`'s signed pin for `name`.
#[wasm_bindgen(js_name = layoutPinChecked)]
pub fn layout_pin_checked(h: u32, requester: &str, name: &str, entry: &str) -> Result<(), JsValue> {
    with_layout(h, |s| s.layout.pin_checked(requester, name, entry))
}
