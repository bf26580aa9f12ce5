//! omega-python: the extension module `omega_verify._omega_verify`, which the Python package
//! `omega_verify` (python/omega_verify/) re-exports.
//!
//! A thin layer over omega-core (DESIGN §2, §5): it converts Python arguments into core types
//! and core results into Python objects (`Report` and the exceptions, through core's one JSON
//! shape), and releases the GIL while core hashes, reads and verifies. Every verification
//! rule lives in omega-core.
//!
//! | module | owns |
//! |---|---|
//! | `args` | path, bytes-like and key arguments; reading a public key file |
//! | `errors` | core errors to Python exceptions, reports to `Report` |
//! | `keys` | the `PublicKey` and `Signature` classes |
//! | `log` | log verification functions (notes, checkpoints, proofs, tiles, replay) |
//! | `registry` | `_Reader`, core's sans-IO registry reader, for `omega_verify.Registry` |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod args;
mod errors;
mod keys;
mod log;
mod registry;

use omega_core::ed25519::verify_strict_raw;
use omega_core::fs::{check_dir, digest_dir as core_digest_dir, verify_file as core_verify_file};
use omega_core::limits::{MAX_KEY_FILE_BYTES, MAX_SIGNATURE_FILE_BYTES};
use omega_core::{verify_detached, ErrorCode, Pins, TreeDigest};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::args::{bytes_arg, key_arg, keys_arg, path_arg, text_arg};
use crate::errors::{report_to_py, IntoPyResult};
use crate::keys::{legacy_policy, PyPublicKey, PySignature};

/// Below this size `blake2b256` keeps the GIL: releasing it costs more than hashing (the
/// threshold hashlib uses).
const DETACH_MIN_BYTES: usize = 2048;

/// The `b2tree:` digest of the directory `path` (DESIGN §3.2).
#[pyfunction]
fn digest_dir(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<String> {
    let path = path_arg(path)?;
    py.detach(|| core_digest_dir(&path))
        .map(|d| d.to_string())
        .py_err(py)
}

/// Checks the package directory `path` against a pinned digest and/or keys (DESIGN §3.4).
#[pyfunction]
#[pyo3(
    signature = (path, digest = None, keys = None, threshold = 1),
    text_signature = "(path, digest=None, keys=(), threshold=1)"
)]
fn check_package<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    digest: Option<&Bound<'py, PyAny>>,
    keys: Option<&Bound<'py, PyAny>>,
    threshold: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let path = path_arg(path)?;
    let digest = match digest {
        Some(d) if !d.is_none() => {
            let d = d
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("digest: expected a b2tree:… string or None"))?;
            Some(TreeDigest::parse(&d.to_cow()?).py_err(py)?)
        }
        _ => None,
    };
    // Out-of-range thresholds stay out of range, for core to refuse (MALFORMED); None takes
    // core's default (1 with keys).
    let threshold = threshold.map(|t| u32::try_from(t.max(0)).unwrap_or(u32::MAX));
    let pins = Pins::new(digest, keys_arg(py, keys)?, threshold, legacy_policy(false));
    let report = py.detach(|| check_dir(&path, &pins)).py_err(py)?;
    report_to_py(py, &report)
}

/// Verifies the file `path` with its detached minisign signature (`signature`, default
/// `path + ".minisig"`) and `public_key`; returns the trusted comment. As `omega verify`: core
/// streams the file (it never sits in memory whole).
#[pyfunction]
#[pyo3(signature = (path, public_key, signature = None, legacy = false))]
fn verify_file(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    public_key: &Bound<'_, PyAny>,
    signature: Option<&Bound<'_, PyAny>>,
    legacy: bool,
) -> PyResult<String> {
    let path = path_arg(path)?;
    let key = key_arg(py, public_key, "public_key")?;
    let sig_path = match signature {
        Some(s) if !s.is_none() => Some(path_arg(s)?),
        _ => None,
    };
    let policy = legacy_policy(legacy);
    py.detach(|| core_verify_file(&path, &key, sig_path.as_deref(), policy))
        .py_err(py)
}

/// Verifies `message` (bytes-like) with the detached minisign signature `signature_text` (one
/// or more blocks) and `public_key`; returns the trusted comment. `verify_file` in memory.
#[pyfunction]
#[pyo3(signature = (message, signature_text, public_key, legacy = false))]
fn verify_minisign(
    py: Python<'_>,
    message: &Bound<'_, PyAny>,
    signature_text: &Bound<'_, PyAny>,
    public_key: &Bound<'_, PyAny>,
    legacy: bool,
) -> PyResult<String> {
    let key = key_arg(py, public_key, "public_key")?;
    let message = bytes_arg(message, "message")?;
    let message = message.as_slice();
    let sig_text = text_arg(signature_text, "signature_text")?;
    let policy = legacy_policy(legacy);
    py.detach(|| verify_detached(&key, message, &sig_text, policy))
        .py_err(py)
}

/// Verifies a detached signify signature (`signature_text`: the contents of a `.sig` file made
/// by `signify -S`) over `message` with `public_key`: signify's parsing rules, omega's strict
/// Ed25519 (core's `signify::verify_detached`). Returns None; raises otherwise.
#[pyfunction]
fn verify_signify(
    py: Python<'_>,
    message: &Bound<'_, PyAny>,
    signature_text: &Bound<'_, PyAny>,
    public_key: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let key = key_arg(py, public_key, "public_key")?;
    let message = bytes_arg(message, "message")?;
    let message = message.as_slice();
    let sig_text = text_arg(signature_text, "signature_text")?;
    py.detach(|| omega_core::signify::verify_detached(&key, message, &sig_text, "signature"))
        .py_err(py)
}

/// Strict Ed25519 verification of a raw 32-byte key, message and 64-byte signature: `True`
/// only when valid (keys and signatures of the wrong length are simply invalid).
#[pyfunction]
fn verify_ed25519(
    py: Python<'_>,
    public_key: &Bound<'_, PyAny>,
    message: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let public_key = bytes_arg(public_key, "public_key")?;
    let message = bytes_arg(message, "message")?;
    let signature = bytes_arg(signature, "signature")?;
    let (pk, msg, sig) = (
        public_key.as_slice(),
        message.as_slice(),
        signature.as_slice(),
    );
    Ok(py.detach(|| verify_strict_raw(pk, msg, sig)))
}

/// BLAKE2b-256 (unkeyed, 32-byte output) of a bytes-like object.
#[pyfunction]
fn blake2b256<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let data = bytes_arg(data, "data")?;
    let data = data.as_slice();
    let digest = if data.len() < DETACH_MIN_BYTES {
        omega_core::hash::blake2b256(data)
    } else {
        py.detach(|| omega_core::hash::blake2b256(data))
    };
    Ok(PyBytes::new(py, &digest))
}

/// Applies a signed revocation statement (DESIGN §3.5) to the bytes of an `omega.lock`:
/// every entry of the statement's package must accept it (the revoked key's own signature, or
/// `threshold` of the entry's pinned signers); returns the new lock bytes, to be written in
/// place of the old ones. All the rules are core's `revoke`.
#[pyfunction]
fn apply_revocation<'py>(
    py: Python<'py>,
    lock: &Bound<'py, PyAny>,
    statement: &Bound<'py, PyAny>,
    signature_text: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let lock = bytes_arg(lock, "lock")?;
    let statement = bytes_arg(statement, "statement")?;
    let sig_text = text_arg(signature_text, "signature_text")?;
    let (lock, statement) = (lock.as_slice(), statement.as_slice());
    let revoked = py
        .detach(|| omega_core::revoke(lock, statement, &sig_text, legacy_policy(false)))
        .py_err(py)?;
    Ok(PyBytes::new(py, &revoked.lock))
}

/// The class of refusal of the DESIGN §4 code `code` (core's `ErrorCode::kind`):
/// `"verification"`, `"malformed"`, `"not_found"` or `"io"`; `None` for an unknown code.
/// `omega_verify._errors` picks each code's exception class from it.
#[pyfunction]
fn _error_kind(code: &str) -> Option<&'static str> {
    ErrorCode::from_code(code).map(|c| c.kind().as_str())
}

/// The extension module.
#[pymodule]
fn _omega_verify(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(digest_dir, m)?)?;
    m.add_function(wrap_pyfunction!(_error_kind, m)?)?;
    m.add_function(wrap_pyfunction!(check_package, m)?)?;
    m.add_function(wrap_pyfunction!(verify_file, m)?)?;
    m.add_function(wrap_pyfunction!(verify_minisign, m)?)?;
    m.add_function(wrap_pyfunction!(verify_signify, m)?)?;
    m.add_function(wrap_pyfunction!(verify_ed25519, m)?)?;
    m.add_function(wrap_pyfunction!(blake2b256, m)?)?;
    m.add_function(wrap_pyfunction!(apply_revocation, m)?)?;
    log::register(m)?;
    registry::register(m)?;
    m.add_class::<PyPublicKey>()?;
    m.add_class::<PySignature>()?;
    let codes = ErrorCode::ALL.map(ErrorCode::as_str);
    m.add("ERROR_CODES", PyTuple::new(m.py(), codes)?)?;
    m.add("MAX_KEY_FILE_BYTES", MAX_KEY_FILE_BYTES)?;
    m.add("MAX_SIGNATURE_FILE_BYTES", MAX_SIGNATURE_FILE_BYTES)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
