//! `PublicKey` and `Signature`: Python objects over omega-core's minisign public keys and
//! signature blocks. Parsing and verification are core's ([`PublicKey::parse`],
//! [`SignatureBlock::parse`], [`SignatureBlock::verify`]).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use omega_core::limits::MAX_KEY_FILE_BYTES;
use omega_core::{Algorithm, LegacyPolicy, PublicKey, SignatureBlock};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};

use crate::args::{bytes_arg, key_arg, path_arg, read_small, text_arg};
use crate::errors::IntoPyResult;

/// An Ed25519 public key in minisign's format, with its key id.
#[pyclass(name = "PublicKey", module = "omega_verify", frozen)]
pub struct PyPublicKey {
    /// The parsed key.
    pub key: PublicKey,
}

#[pymethods]
impl PyPublicKey {
    /// Parses a minisign or signify public key file's text, or the bare `RW…` line.
    #[new]
    fn new(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = text_arg(text, "public key")?;
        Ok(PyPublicKey {
            key: PublicKey::parse(&text).py_err(py)?,
        })
    }

    /// Parses a minisign or signify public key file's text, or the bare `RW…` line.
    #[staticmethod]
    fn from_text(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::new(py, text)
    }

    /// Reads a public key file (`minisign.pub`).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Self> {
        let path = path_arg(path)?;
        let shown = path.display().to_string();
        let key = py
            .detach(|| {
                let text = read_small(&path, MAX_KEY_FILE_BYTES)?;
                PublicKey::parse(&text).map_err(|e| e.context(&shown))
            })
            .py_err(py)?;
        Ok(PyPublicKey { key })
    }

    /// The key id, 16 uppercase hex digits, as minisign prints it.
    #[getter]
    fn key_id(&self) -> String {
        self.key.key_id().to_string()
    }

    /// The bare base64 form, `RW…` (56 characters).
    fn to_base64(&self) -> String {
        self.key.to_base64()
    }

    /// The two-line key file minisign writes.
    fn to_file_text(&self) -> String {
        self.key.to_file_text()
    }

    /// The 32 bytes of the Ed25519 key.
    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.key.as_bytes())
    }

    fn __str__(&self) -> String {
        self.key.to_base64()
    }

    fn __repr__(&self) -> String {
        format!("PublicKey('{}')", self.key.to_base64())
    }

    /// Pickles as the bare `RW…` text.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (String,)) {
        (slf.get_type(), (slf.get().key.to_base64(),))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyPublicKey>()
            .is_ok_and(|o| o.get().key == self.key)
    }

    fn __hash__(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.key.key_id().hash(&mut h);
        self.key.as_bytes().hash(&mut h);
        h.finish()
    }
}

/// One minisign signature block.
#[pyclass(name = "Signature", module = "omega_verify", frozen)]
pub struct PySignature {
    block: SignatureBlock,
}

#[pymethods]
impl PySignature {
    /// Parses a signature file's text that holds exactly one block.
    #[new]
    fn new(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = text_arg(text, "signature")?;
        Ok(PySignature {
            block: SignatureBlock::parse(&text, "signature").py_err(py)?,
        })
    }

    /// Parses a signature file's text that holds exactly one block.
    #[staticmethod]
    fn from_text(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::new(py, text)
    }

    /// Parses every block of a signature file's text (one or more, one after another).
    #[staticmethod]
    fn parse_all(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Vec<Self>> {
        let text = text_arg(text, "signature")?;
        let blocks = SignatureBlock::parse_all(&text, "signature").py_err(py)?;
        Ok(blocks
            .into_iter()
            .map(|block| PySignature { block })
            .collect())
    }

    /// The id of the key that made this block (16 uppercase hex digits).
    #[getter]
    fn key_id(&self) -> String {
        self.block.key_id().to_string()
    }

    /// `"ED"` (prehashed, minisign's default) or `"Ed"` (legacy).
    #[getter]
    fn algorithm(&self) -> &'static str {
        match self.block.algorithm() {
            Algorithm::Prehashed => "ED",
            Algorithm::Legacy => "Ed",
        }
    }

    /// The trusted comment (authenticated only once verified).
    #[getter]
    fn trusted_comment(&self) -> &str {
        self.block.trusted_comment()
    }

    /// The untrusted comment (never authenticated).
    #[getter]
    fn untrusted_comment(&self) -> &str {
        self.block.untrusted_comment()
    }

    /// The block as minisign writes it (four lines).
    fn to_text(&self) -> String {
        self.block.to_text()
    }

    /// Verifies this block over `message` with `public_key`, including the global signature
    /// over the trusted comment; returns the trusted comment. The GIL is released meanwhile.
    #[pyo3(signature = (public_key, message, legacy = false))]
    fn verify(
        &self,
        py: Python<'_>,
        public_key: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        legacy: bool,
    ) -> PyResult<String> {
        let key = key_arg(py, public_key, "public_key")?;
        let message = bytes_arg(message, "message")?;
        let message = message.as_slice();
        let policy = legacy_policy(legacy);
        py.detach(|| self.block.verify(&key, message, policy).map(str::to_string))
            .py_err(py)
    }

    fn __str__(&self) -> String {
        self.block.to_text()
    }

    /// Pickles as the block's text.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (String,)) {
        (slf.get_type(), (slf.get().block.to_text(),))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Signature {} by key id {}, trusted comment {:?}>",
            self.algorithm(),
            self.block.key_id(),
            self.block.trusted_comment()
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySignature>()
            .is_ok_and(|o| o.get().block == self.block)
    }

    fn __hash__(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.block.to_text().hash(&mut h);
        h.finish()
    }
}

/// The core policy for the Python `legacy` flag (strict unless the caller says `legacy=True`).
pub fn legacy_policy(legacy: bool) -> LegacyPolicy {
    if legacy {
        LegacyPolicy::Allow
    } else {
        LegacyPolicy::Refuse
    }
}
