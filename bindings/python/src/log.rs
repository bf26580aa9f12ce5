//! Log verification (REGISTRY.md R8, issue 15): signed notes, checkpoints under a tlog-policy,
//! index notes, RFC 6962 proofs (given, or built from tile bytes the host fetched), entry
//! bundles, registry statements and entries, and the replay of a log. Each function converts
//! its arguments, releases the GIL while one omega-core function runs, and returns plain
//! Python values (dicts, lists, str, int, bytes); errors are core's, as the `OmegaError`
//! subclass of their code (`NOT_IN_LOG`, `LOG_INCONSISTENT`, `QUORUM_NOT_MET`, `STALE`, …).
//!
//! Hashes are lowercase hex `str` (inputs and outputs); sizes and indexes `int` (u64); notes,
//! statements and entries `str` or bytes-like; `tiles` a mapping from tile path to bytes.

use std::collections::BTreeMap;

use omega_core::entry::Entry;
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::index::IndexNote;
use omega_core::merkle::{self, Hash};
use omega_core::policy::Policy;
use omega_core::registry::{replay, OnInvalid, ReplayOptions};
use omega_core::report::KeyStyle;
use omega_core::statement::Statement;
use omega_core::tiles::{self, TileKind, TilePath};
use omega_core::vkey::Vkey;
use omega_core::{bundle, note, Error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use serde_json::{json, Value};

use crate::args::{bytes_arg, text_arg};
use crate::errors::IntoPyResult;

type Outcome = Result<Value, Error>;

/// A JSON value built here as the Python value `json.loads` would give.
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(0.0).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for i in items {
                list.append(to_py(py, i)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Runs `f` with the GIL released and returns its value as Python.
fn run<'py>(py: Python<'py>, f: impl FnOnce() -> Outcome + Send) -> PyResult<Bound<'py, PyAny>> {
    let v = py.detach(f).py_err(py)?;
    to_py(py, &v)
}

fn strings(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a sequence of str, not a single string"
        )));
    }
    obj.try_iter()
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a sequence of str")))?
        .enumerate()
        .map(|(i, s)| {
            s?.extract::<String>()
                .map_err(|_| PyTypeError::new_err(format!("{what}[{i}]: expected str")))
        })
        .collect()
}

fn byte_list(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Vec<u8>>> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a sequence of bytes-like objects"
        )));
    }
    obj.try_iter()
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a sequence of bytes")))?
        .enumerate()
        .map(|(i, b)| text_arg(&b?, &format!("{what}[{i}]")))
        .collect()
}

/// `tiles`: a mapping (anything with `items()`) from tile path (str) to bytes-like.
fn tile_map(obj: &Bound<'_, PyAny>) -> PyResult<BTreeMap<String, Vec<u8>>> {
    let items = obj.call_method0("items").map_err(|_| {
        PyTypeError::new_err("tiles: expected a mapping from tile path (str) to bytes")
    })?;
    let mut out = BTreeMap::new();
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let path: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("tiles: keys must be str (tile paths)"))?;
        let bytes = bytes_arg(&v, &format!("tiles[{path:?}]"))?
            .as_slice()
            .to_vec();
        out.insert(path, bytes);
    }
    Ok(out)
}

fn hashes(list: &[String], what: &str) -> Result<Vec<Hash>, Error> {
    list.iter()
        .enumerate()
        .map(|(i, h)| parse_hex32(h, &format!("{what}[{i}]")))
        .collect()
}

fn hex_list(list: &[Hash]) -> Value {
    Value::Array(list.iter().map(|h| Value::String(to_hex(h))).collect())
}

fn paths(list: Result<Vec<TilePath>, Error>) -> Outcome {
    Ok(Value::Array(
        list?.iter().map(|p| Value::String(p.to_string())).collect(),
    ))
}

/// The trusted keys (vkey texts `name+hex8+base64`) that signed a C2SP signed note:
/// `{"verified": [{"name", "key_id", "type", "timestamp"}]}` (core's `note::open`).
#[pyfunction]
pub fn verify_note<'py>(
    py: Python<'py>,
    note: &Bound<'py, PyAny>,
    vkeys: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let note = text_arg(note, "note")?;
    let keys = strings(vkeys, "vkeys")?;
    run(py, move || {
        let keys: Vec<Vkey> = keys
            .iter()
            .map(|k| Vkey::parse(k))
            .collect::<Result<_, _>>()?;
        let (_, verified) = note::open(&note, &keys)?;
        Ok(json!({"verified": verified.iter().map(|v| json!({
            "name": v.name, "key_id": to_hex(&v.key_id), "type": v.key_type, "timestamp": v.timestamp,
        })).collect::<Vec<_>>()}))
    })
}

/// A signed checkpoint verified under a tlog-policy (core's `Policy::verify_checkpoint`). With
/// `now` (Unix seconds), the quorum's cosignatures must be within `max_age`; without: offline.
#[pyfunction]
#[pyo3(signature = (note, policy, *, now = None, max_age = 86400))]
pub fn verify_checkpoint<'py>(
    py: Python<'py>,
    note: &Bound<'py, PyAny>,
    policy: &str,
    now: Option<u64>,
    max_age: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let note = text_arg(note, "note")?;
    let policy = policy.to_string();
    run(py, move || {
        let v = Policy::parse(&policy)?.verify_checkpoint(&note, now, max_age)?;
        // Core's JSON value through its `Serialize` (omega-core feature `serde`), keys in core's order.
        Ok(serde_json::to_value(v.to_json(KeyStyle::Snake)).unwrap_or_default())
    })
}

/// A tlog-policy parsed: `{"text" (canonical), "logs": [vkey], "witnesses": [{"name", "vkey"}]}`.
#[pyfunction]
pub fn parse_policy<'py>(py: Python<'py>, policy: &str) -> PyResult<Bound<'py, PyAny>> {
    let policy = policy.to_string();
    run(py, move || {
        let p = Policy::parse(&policy)?;
        Ok(json!({
            "text": p.to_text(),
            "logs": p.logs().iter().map(|l| l.key.to_string()).collect::<Vec<_>>(),
            "witnesses": p.witnesses().iter().map(|w| json!({"name": w.name, "vkey": w.key.to_string()})).collect::<Vec<_>>(),
        }))
    })
}

/// A per-package index note verified (core's `IndexNote::verify`).
#[pyfunction]
#[pyo3(signature = (note, index_key, *, origin, name, checkpoint_size, now = None))]
pub fn verify_index<'py>(
    py: Python<'py>,
    note: &Bound<'py, PyAny>,
    index_key: &str,
    origin: &str,
    name: &str,
    checkpoint_size: u64,
    now: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let note = text_arg(note, "note")?;
    let (key, origin, name) = (index_key.to_string(), origin.to_string(), name.to_string());
    run(py, move || {
        let i = IndexNote::verify(
            &note,
            &Vkey::parse(&key)?,
            &origin,
            &name,
            checkpoint_size,
            now,
        )?;
        let text = i.to_text();
        Ok(json!({
            "origin": i.origin, "name": i.name, "as_of": i.as_of, "expires": i.expires,
            "lines": text.lines().skip(4).collect::<Vec<_>>(),
            "text": text,
        }))
    })
}

/// SHA-256(0x00 ‖ entry) as hex: an entry's RFC 6962 leaf hash.
#[pyfunction]
pub fn leaf_hash(entry: &Bound<'_, PyAny>) -> PyResult<String> {
    let entry = bytes_arg(entry, "entry")?;
    Ok(to_hex(&merkle::leaf_hash(entry.as_slice())))
}

/// The RFC 6962 root (hex) of the tree of these entries.
#[pyfunction]
pub fn merkle_root(py: Python<'_>, entries: &Bound<'_, PyAny>) -> PyResult<String> {
    let entries = byte_list(entries, "entries")?;
    Ok(py.detach(move || {
        let leaves: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
        to_hex(&merkle::root(&leaves))
    }))
}

/// Checks an inclusion proof (core's `merkle::verify_inclusion`); `leaf` is the leaf hash
/// (hex `str`) or the entry's bytes. Returns True or raises (`NOT_IN_LOG`, `MALFORMED`).
#[pyfunction]
pub fn verify_inclusion(
    py: Python<'_>,
    index: u64,
    size: u64,
    leaf: &Bound<'_, PyAny>,
    proof: &Bound<'_, PyAny>,
    root: &str,
) -> PyResult<bool> {
    let leaf = match leaf.extract::<String>() {
        Ok(hex) => parse_hex32(&hex, "leaf_hash").py_err(py)?,
        Err(_) => merkle::leaf_hash(bytes_arg(leaf, "leaf")?.as_slice()),
    };
    let proof = strings(proof, "proof")?;
    let root = root.to_string();
    py.detach(move || {
        merkle::verify_inclusion(
            index,
            size,
            &leaf,
            &hashes(&proof, "proof")?,
            &parse_hex32(&root, "root")?,
        )
    })
    .py_err(py)?;
    Ok(true)
}

/// Checks a consistency proof from (`size1`, `root1`) to (`size2`, `root2`) (core's
/// `merkle::verify_consistency`). Returns True or raises (`LOG_INCONSISTENT`, `MALFORMED`).
#[pyfunction]
pub fn verify_consistency(
    py: Python<'_>,
    size1: u64,
    size2: u64,
    root1: &str,
    root2: &str,
    proof: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let proof = strings(proof, "proof")?;
    let (r1, r2) = (root1.to_string(), root2.to_string());
    py.detach(move || {
        merkle::verify_consistency(
            size1,
            size2,
            &parse_hex32(&r1, "root1")?,
            &parse_hex32(&r2, "root2")?,
            &hashes(&proof, "proof")?,
        )
    })
    .py_err(py)?;
    Ok(true)
}

/// The tile paths to fetch to recompute the root of a tree of `size`.
#[pyfunction]
pub fn tiles_for_root(py: Python<'_>, size: u64) -> PyResult<Bound<'_, PyAny>> {
    run(py, move || paths(Ok(tiles::tiles_for_root(size))))
}

/// The tile paths to fetch to prove entry `index` of the tree of `size`.
#[pyfunction]
pub fn tiles_for_inclusion(py: Python<'_>, index: u64, size: u64) -> PyResult<Bound<'_, PyAny>> {
    run(py, move || paths(tiles::tiles_for_inclusion(index, size)))
}

/// The tile paths of the tree of `size2` to fetch for the consistency proof from `size1`.
#[pyfunction]
pub fn tiles_for_consistency(py: Python<'_>, size1: u64, size2: u64) -> PyResult<Bound<'_, PyAny>> {
    run(py, move || {
        paths(tiles::tiles_for_consistency(size1, size2))
    })
}

/// The entry bundle path holding entry `index` of the tree of `size`.
#[pyfunction]
pub fn bundle_for_entry(py: Python<'_>, index: u64, size: u64) -> PyResult<String> {
    tiles::bundle_for_entry(index, size)
        .map(|p| p.to_string())
        .py_err(py)
}

/// Entry `index`'s leaf hash and inclusion proof, read from tiles verified against `root`
/// (core's `tiles::prove_inclusion`): `{"leaf_hash", "proof"}`.
#[pyfunction]
pub fn prove_inclusion<'py>(
    py: Python<'py>,
    index: u64,
    size: u64,
    root: &str,
    tiles: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let map = tile_map(tiles)?;
    let root = root.to_string();
    run(py, move || {
        let (leaf, proof) =
            tiles::prove_inclusion(index, size, &parse_hex32(&root, "root")?, &map)?;
        Ok(json!({"leaf_hash": to_hex(&leaf), "proof": hex_list(&proof)}))
    })
}

/// The consistency proof from `size1`, built from tiles of the tree of `size2` verified
/// against `root2` and checked against `root1` (core's `tiles::prove_consistency`):
/// `{"proof"}`.
#[pyfunction]
pub fn prove_consistency<'py>(
    py: Python<'py>,
    size1: u64,
    size2: u64,
    root1: &str,
    root2: &str,
    tiles: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let map = tile_map(tiles)?;
    let (r1, r2) = (root1.to_string(), root2.to_string());
    run(py, move || {
        let proof = tiles::prove_consistency(
            size1,
            size2,
            &parse_hex32(&r1, "root1")?,
            &parse_hex32(&r2, "root2")?,
            &map,
        )?;
        Ok(json!({ "proof": hex_list(&proof) }))
    })
}

/// The bytes of entry `index`, proven by its entry bundle and the tiles (core's
/// `tiles::read_entry`).
#[pyfunction]
pub fn read_entry<'py>(
    py: Python<'py>,
    index: u64,
    size: u64,
    root: &str,
    tiles: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let map = tile_map(tiles)?;
    let root = root.to_string();
    let bytes = py
        .detach(move || tiles::read_entry(index, size, &parse_hex32(&root, "root")?, &map))
        .py_err(py)?;
    Ok(PyBytes::new(py, &bytes))
}

/// A tlog-tiles path: `{"kind": "hashes" | "entries", "level" (None for entries), "index",
/// "width" (256 = full)}`.
#[pyfunction]
pub fn parse_tile_path<'py>(py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyAny>> {
    let path = path.to_string();
    run(py, move || {
        let p = TilePath::parse(&path)?;
        Ok(match p.kind() {
            TileKind::Hashes(level) => {
                json!({"kind": "hashes", "level": level, "index": p.index(), "width": p.width()})
            }
            TileKind::Entries => {
                json!({"kind": "entries", "level": null, "index": p.index(), "width": p.width()})
            }
        })
    })
}

/// The entries of an entry bundle of exactly `width` entries (core's `bundle::parse_bundle`).
#[pyfunction]
pub fn parse_bundle<'py>(
    py: Python<'py>,
    bundle_bytes: &Bound<'py, PyAny>,
    width: u16,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let b = bytes_arg(bundle_bytes, "bundle")?;
    let b = b.as_slice();
    let entries: Vec<Vec<u8>> = py
        .detach(|| bundle::parse_bundle(b, width).map(|es| es.iter().map(|e| e.to_vec()).collect()))
        .py_err(py)?;
    Ok(entries.iter().map(|e| PyBytes::new(py, e)).collect())
}

/// A registry statement (REGISTRY.md R4): `{"type", "name", "text" (canonical)}`.
#[pyfunction]
pub fn parse_statement<'py>(
    py: Python<'py>,
    statement: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = text_arg(statement, "statement")?;
    run(py, move || {
        let st = Statement::parse(&bytes)?;
        Ok(
            json!({"type": st.kind(), "name": st.name(), "text": String::from_utf8_lossy(&st.to_bytes())}),
        )
    })
}

/// A log entry (REGISTRY.md R4): `{"type", "name", "statement", "signatures" (key IDs),
/// "text" (canonical)}`. Signatures are checked by `replay_log` (they need the state).
#[pyfunction]
pub fn parse_entry<'py>(py: Python<'py>, entry: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let bytes = text_arg(entry, "entry")?;
    run(py, move || {
        let en = Entry::parse(&bytes)?;
        Ok(json!({
            "type": en.statement.kind(),
            "name": en.statement.name(),
            "statement": String::from_utf8_lossy(&en.statement_bytes),
            "signatures": en.signatures.iter().map(|s| s.key_id().to_string()).collect::<Vec<_>>(),
            "text": String::from_utf8_lossy(&en.to_bytes()),
        }))
    })
}

/// Replays log entries from the genesis (core's `registry::replay`): `{"verdicts": ["ok" |
/// code], "errors": [{"index", "code", "message"}], "genesis", "state"}`, `state` being
/// omega-core's RegistryState JSON (None without a valid genesis). Invalid entries are
/// skipped (a monitor's view) unless `stop`.
#[pyfunction]
#[pyo3(signature = (entries, *, stop = false))]
pub fn replay_log<'py>(
    py: Python<'py>,
    entries: &Bound<'py, PyAny>,
    stop: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let entries = byte_list(entries, "entries")?;
    run(py, move || {
        let r = replay(
            None,
            entries.iter().map(Vec::as_slice),
            ReplayOptions {
                on_invalid: if stop {
                    OnInvalid::Stop
                } else {
                    OnInvalid::Skip
                },
                ..Default::default()
            },
        );
        let j = r.to_json(entries.first().map(Vec::as_slice))?;
        Ok(serde_json::to_value(j).unwrap_or_default())
    })
}

/// Adds the functions of this module to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(verify_note, m)?)?;
    m.add_function(wrap_pyfunction!(verify_checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(parse_policy, m)?)?;
    m.add_function(wrap_pyfunction!(verify_index, m)?)?;
    m.add_function(wrap_pyfunction!(leaf_hash, m)?)?;
    m.add_function(wrap_pyfunction!(merkle_root, m)?)?;
    m.add_function(wrap_pyfunction!(verify_inclusion, m)?)?;
    m.add_function(wrap_pyfunction!(verify_consistency, m)?)?;
    m.add_function(wrap_pyfunction!(tiles_for_root, m)?)?;
    m.add_function(wrap_pyfunction!(tiles_for_inclusion, m)?)?;
    m.add_function(wrap_pyfunction!(tiles_for_consistency, m)?)?;
    m.add_function(wrap_pyfunction!(bundle_for_entry, m)?)?;
    m.add_function(wrap_pyfunction!(prove_inclusion, m)?)?;
    m.add_function(wrap_pyfunction!(prove_consistency, m)?)?;
    m.add_function(wrap_pyfunction!(read_entry, m)?)?;
    m.add_function(wrap_pyfunction!(parse_tile_path, m)?)?;
    m.add_function(wrap_pyfunction!(parse_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(parse_statement, m)?)?;
    m.add_function(wrap_pyfunction!(parse_entry, m)?)?;
    m.add_function(wrap_pyfunction!(replay_log, m)?)?;
    Ok(())
}
