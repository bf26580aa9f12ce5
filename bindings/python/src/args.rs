//! Arguments: paths, bytes-like objects (bytes, bytearray, memoryview and anything else with
//! the buffer protocol), public keys given as text or `PublicKey`, and reading a public key
//! file (as the `omega` CLI reads it: links followed, regular files only).
//!
//! pyo3's `PyBuffer` is not part of the stable ABI before Python 3.11, and this module is
//! built for abi3-py39, so bytes-like objects other than `bytes` are copied once, safely:
//! `bytearray` with `PyByteArray::to_vec`, the rest through `memoryview(obj).tobytes()`.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use omega_core::fs::io_error;
use omega_core::{Error, ErrorCode, PublicKey};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};

use crate::errors::IntoPyResult;
use crate::keys::PyPublicKey;

/// The contents of a bytes-like argument: `bytes` borrowed as they are (immutable, so safe to
/// read with the GIL released), anything else copied.
pub enum BytesArg<'py> {
    /// A `bytes` object (or the `bytes` made from a memoryview).
    Bytes(Bound<'py, PyBytes>),
    /// A copy of a mutable buffer (`bytearray`).
    Owned(Vec<u8>),
}

impl BytesArg<'_> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            BytesArg::Bytes(b) => b.as_bytes(),
            BytesArg::Owned(v) => v,
        }
    }
}

/// Reads a bytes-like argument named `what`; a `TypeError` for anything else (`str` included:
/// text is never encoded implicitly).
pub fn bytes_arg<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<BytesArg<'py>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(BytesArg::Bytes(b.clone()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(BytesArg::Owned(b.to_vec()));
    }
    if !obj.is_instance_of::<PyString>() {
        if let Ok(view) = PyMemoryView::from(obj) {
            let copy = view.call_method0("tobytes")?.cast_into::<PyBytes>()?;
            return Ok(BytesArg::Bytes(copy));
        }
    }
    Err(PyTypeError::new_err(format!(
        "{what}: expected a bytes-like object (bytes, bytearray, memoryview), not {}",
        type_name(obj)
    )))
}

/// `os.fspath`, looked up once.
static FSPATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A path given as `str`, `bytes` or `os.PathLike` (what `open()` accepts); bytes are the
/// file name's bytes, as the OS holds them.
pub fn path_arg(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let fspath = FSPATH.import(obj.py(), "os", "fspath")?;
    let p = fspath.call1((obj,))?;
    if let Ok(b) = p.cast::<PyBytes>() {
        return Ok(path_from_bytes(b.as_bytes()));
    }
    Ok(PathBuf::from(p.extract::<OsString>()?))
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// Text given as `str` or as bytes-like (a key or signature file's contents).
pub fn text_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    match bytes_arg(obj, what) {
        Ok(b) => Ok(b.as_slice().to_vec()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what}: expected str or bytes, not {}",
            type_name(obj)
        ))),
    }
}

/// A public key given as a `PublicKey`, or as text core parses (`PublicKey::parse`: a
/// minisign/signify key file's contents or the bare `RW…` line).
pub fn key_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<PublicKey> {
    if let Ok(k) = obj.cast::<PyPublicKey>() {
        return Ok(k.get().key);
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        let text = text_arg(obj, what)?;
        return PublicKey::parse(&text).py_err(py);
    }
    Err(PyTypeError::new_err(format!(
        "{what}: expected a PublicKey or its text (str), not {}",
        type_name(obj)
    )))
}

/// The keys of `check_package`: any iterable of keys (a single `str` is refused, as iterating
/// it would give characters).
pub fn keys_arg(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PublicKey>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.cast::<PyPublicKey>().is_ok()
    {
        return Err(PyTypeError::new_err(
            "keys: expected an iterable of keys (e.g. a list), not a single key",
        ));
    }
    obj.try_iter()?
        .map(|item| key_arg(py, &item?, "keys"))
        .collect()
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string())
}

/// Reads a small file (a public key file) of at most `limit` bytes, following links as any
/// program reading a user's file does (as `omega verify -p`): `NOT_FOUND` when it is absent or
/// not a regular file. At most `limit + 1` bytes are read, so that core's parser refuses an
/// oversized file with `TOO_LARGE` without the rest being read.
pub fn read_small(path: &Path, limit: usize) -> Result<Vec<u8>, Error> {
    let f = File::open(path).map_err(|e| io_error(path, &e))?;
    let meta = f.metadata().map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("{}: not a regular file", path.display()),
        ));
    }
    let mut out = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| io_error(path, &e))?;
    Ok(out)
}
