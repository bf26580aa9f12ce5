//! The registry client's native half (REGISTRY.md R6, issue 15): `_Reader`, omega-core's
//! sans-IO reader ([`omega_core::driver::Reader`]) as a Python class. It holds no rule and
//! does no I/O: the Python class `omega_verify.Registry` (python/omega_verify/_registry.py)
//! runs the host loop of docs/DRIVER (ask `needs()`, fetch, `provide()`), and this module
//! converts arguments and results. Every `provide` runs core's checks with the GIL released.
//!
//! Results are returned as JSON text (parsed by the Python half) or bytes: the shapes are
//! core's (`Reader::checkpoint_json`, `driver::notices_json`, `ReaderRelease::to_json`, snake
//! case), the same fields as the Node, WASM and Swift hosts. Errors are core's, as the
//! `OmegaError` subclass of their code. When to open the registry again is core's rule too
//! (`Reader::needs_reopen`, `Reader::reopen_after`); the Python half only acts on it.

use std::sync::{Mutex, MutexGuard};

use omega_core::driver::{notices_json, Phase, Reader, ReleaseRequest, REFRESH_SECONDS};
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::json;
use omega_core::keys::PublicKey;
use omega_core::report::KeyStyle;
use omega_core::{Error, ErrorCode};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::args::{bytes_arg, text_arg};
use crate::errors::IntoPyResult;

/// omega-core's reader, behind a mutex: every method locks it with the GIL released, so a
/// thread verifying never blocks another thread's Python code (and never deadlocks on the GIL).
/// `opened_at` is the clock it was opened with (core's re-open rule needs it).
#[pyclass(name = "_Reader", module = "omega_verify._omega_verify", frozen)]
pub struct PyReader {
    inner: Mutex<Reader>,
    opened_at: Option<u64>,
}

fn lock(m: &Mutex<Reader>) -> MutexGuard<'_, Reader> {
    // Core never panics on input; a poisoned lock still holds a consistent reader.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Checkpoint => "checkpoint",
        Phase::Consistency => "consistency",
        Phase::Replay => "replay",
        Phase::Ready => "ready",
        Phase::Index => "index",
        Phase::Entry => "entry",
        Phase::Objects => "objects",
        Phase::Failed => "failed",
    }
}

/// A genesis hash given as 64 hex digits (`str`) or 32 raw bytes.
fn genesis_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    if let Ok(s) = obj.cast::<PyString>() {
        return parse_hex32(&s.to_cow()?, "genesis").py_err(py);
    }
    let b = bytes_arg(obj, "genesis")
        .map_err(|_| PyTypeError::new_err("genesis: expected a hex str or 32 bytes"))?;
    <[u8; 32]>::try_from(b.as_slice())
        .map_err(|_| {
            Error::new(
                ErrorCode::Malformed,
                format!("genesis: {} bytes, expected 32", b.as_slice().len()),
            )
        })
        .py_err(py)
}

#[pymethods]
impl PyReader {
    /// Opens a reader: core's `Reader::from_policy` (the stored note is verified by the
    /// policy here). `now` None: offline (freshness not checked).
    #[new]
    #[pyo3(signature = (url, policy, max_age, checkpoint = None, genesis = None, now = None))]
    fn new(
        py: Python<'_>,
        url: &str,
        policy: &str,
        max_age: u64,
        checkpoint: Option<&Bound<'_, PyAny>>,
        genesis: Option<&Bound<'_, PyAny>>,
        now: Option<u64>,
    ) -> PyResult<Self> {
        let held = match checkpoint {
            Some(c) if !c.is_none() => Some(text_arg(c, "checkpoint")?),
            _ => None,
        };
        let genesis = match genesis {
            Some(g) if !g.is_none() => Some(genesis_arg(py, g)?),
            _ => None,
        };
        let (url, policy) = (url.to_string(), policy.to_string());
        let reader = py
            .detach(|| Reader::from_policy(&url, &policy, max_age, held.as_deref(), genesis, now))
            .py_err(py)?;
        Ok(PyReader {
            inner: Mutex::new(reader),
            opened_at: now,
        })
    }

    /// The served paths to fetch next (relative to the registry URL); empty when waiting
    /// for nothing.
    fn needs(&self, py: Python<'_>) -> Vec<String> {
        py.detach(|| lock(&self.inner).needs())
    }

    /// The most bytes accepted for `path` (None when it is not needed).
    fn max_bytes(&self, py: Python<'_>, path: &str) -> Option<u64> {
        py.detach(|| lock(&self.inner).max_bytes(path))
    }

    /// The bytes served at `path`, None for a 404; runs the phase's checks once the last
    /// needed path arrives (GIL released).
    #[pyo3(signature = (path, data))]
    fn provide(&self, py: Python<'_>, path: &str, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let bytes = match data {
            Some(d) if !d.is_none() => Some(bytes_arg(d, "data")?.as_slice().to_vec()),
            _ => None,
        };
        py.detach(|| lock(&self.inner).provide(path, bytes))
            .py_err(py)
    }

    /// The clock for the next calls (core's `Reader::set_now`; None: offline): a release or
    /// notices are refused (STALE) once the checkpoint is older than `max_age` at it (RD10).
    #[pyo3(signature = (now))]
    fn set_now(&self, py: Python<'_>, now: Option<u64>) {
        py.detach(|| lock(&self.inner).set_now(now))
    }

    /// Whether the registry is opened again (a new reader) before a call at `now` (None:
    /// offline): core's `Reader::needs_reopen` with the clock this reader was opened with
    /// (its open failed or was cut short, `REFRESH_SECONDS` passed, or the clock went back).
    #[pyo3(signature = (now))]
    fn needs_reopen(&self, py: Python<'_>, now: Option<u64>) -> bool {
        let at = self.opened_at;
        py.detach(|| lock(&self.inner).needs_reopen(at, now))
    }

    /// Whether a call that failed with error `code` (a DESIGN §4 code) opens the registry
    /// again and runs once more (core's `Reader::reopen_after`: STALE from a reader the call
    /// did not open, `opened_now` False).
    fn reopen_after(&self, py: Python<'_>, code: &str, opened_now: bool) -> bool {
        match ErrorCode::from_code(code) {
            Some(c) => py.detach(|| lock(&self.inner).reopen_after(c, opened_now)),
            None => false,
        }
    }

    /// Drops the release being read after a failed fetch (core's `Reader::abandon_release`,
    /// RD11): back to "ready"; nothing in any other phase.
    fn abandon_release(&self, py: Python<'_>) {
        py.detach(|| lock(&self.inner).abandon_release())
    }

    /// Starts reading a release (core's `Reader::want_release`).
    #[pyo3(signature = (name, version = None, accept_notices = Vec::new(), allow_yanked = false, owner_keys = Vec::new()))]
    fn want_release(
        &self,
        py: Python<'_>,
        name: String,
        version: Option<String>,
        accept_notices: Vec<String>,
        allow_yanked: bool,
        owner_keys: Vec<String>,
    ) -> PyResult<()> {
        let owner_keys = owner_keys
            .iter()
            .map(|k| PublicKey::from_base64(k))
            .collect::<Result<Vec<_>, _>>()
            .py_err(py)?;
        let request = ReleaseRequest {
            name,
            version,
            accept_notices,
            allow_yanked,
            owner_keys,
        };
        py.detach(|| lock(&self.inner).want_release(request))
            .py_err(py)
    }

    /// The release read by the last `want_release`, once verified: `(info_json,
    /// manifest_bytes, tarball_bytes)`, the JSON core's `ReaderRelease::to_json` (snake case:
    /// name, version, sequence, entry, tree, size, manifest_hash, tarball_hash, report, owners,
    /// advisories); None otherwise.
    fn take_release<'py>(
        &self,
        py: Python<'py>,
    ) -> Option<(String, Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let got = py.detach(|| lock(&self.inner).take_release())?;
        let info = json::to_text(&got.to_json(KeyStyle::Snake));
        Some((
            info,
            PyBytes::new(py, &got.release.manifest_bytes),
            PyBytes::new(py, &got.release.tgz),
        ))
    }

    /// The notices of `name` (all, or those whose ranges contain `sequence`) as JSON (core's
    /// `driver::notices_json`).
    #[pyo3(signature = (name, sequence = None))]
    fn notices(&self, py: Python<'_>, name: &str, sequence: Option<u64>) -> PyResult<String> {
        let list = py
            .detach(|| lock(&self.inner).notices(name, sequence))
            .py_err(py)?;
        Ok(json::to_text(&notices_json(&list)))
    }

    /// The phase: "checkpoint", "consistency", "replay", "ready", "index", "entry",
    /// "objects" or "failed".
    fn phase(&self, py: Python<'_>) -> &'static str {
        py.detach(|| phase_name(lock(&self.inner).phase()))
    }

    /// The verified checkpoint as JSON (core's `Reader::checkpoint_json`, snake case: the
    /// fields of `verify_checkpoint` plus `keep`, `genesis` and `proven`), once the registry
    /// is verified (None before).
    fn checkpoint(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| {
            lock(&self.inner)
                .checkpoint_json(KeyStyle::Snake)
                .map(|v| json::to_text(&v))
        })
    }

    /// The note of the checkpoint to keep (never backwards), once verified.
    fn checkpoint_note(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| lock(&self.inner).checkpoint_note().map(str::to_string))
    }

    /// The genesis hash (hex) to keep, once verified.
    fn genesis(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| lock(&self.inner).genesis().map(|g| to_hex(&g)))
    }

    /// The evidence text of a LOG_INCONSISTENT verdict.
    fn evidence(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| lock(&self.inner).evidence().map(str::to_string))
    }

    /// "cosigned by w1 at T; fresh as of T", for people.
    fn witness_text(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| lock(&self.inner).witness_text())
    }

    /// Bytes accepted so far.
    fn fetched_bytes(&self, py: Python<'_>) -> u64 {
        py.detach(|| lock(&self.inner).fetched_bytes())
    }
}

/// Adds `_Reader` to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyReader>()?;
    m.add("DEFAULT_MAX_AGE", omega_core::client::DEFAULT_MAX_AGE)?;
    m.add("REFRESH_SECONDS", REFRESH_SECONDS)?;
    Ok(())
}
