//! The registry client's native half (REGISTRY.md R6, issue 15): `_Reader`, omega-core's
//! sans-IO reader ([`omega_core::driver::Reader`]) as a Python class. It holds no rule and
//! does no I/O: the Python class `omega_verify.Registry` (python/omega_verify/_registry.py)
//! runs the host loop of docs/DRIVER (ask `needs()`, fetch, `provide()`), and this module
//! converts arguments and results. Every `provide` runs core's checks with the GIL released.
//!
//! Results are returned as JSON text (parsed by the Python half) or bytes; errors are core's,
//! as the `OmegaError` subclass of their code.

use std::sync::{Mutex, MutexGuard};

use omega_core::driver::{Phase, Reader, ReleaseRequest};
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::keys::PublicKey;
use omega_core::policy::{Freshness, VerifiedCheckpoint};
use omega_core::registry::NoticeRecord;
use omega_core::{Error, ErrorCode};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use serde_json::{json, Value};

use crate::args::{bytes_arg, text_arg};
use crate::errors::IntoPyResult;

/// omega-core's reader, behind a mutex: every method locks it with the GIL released, so a
/// thread verifying never blocks another thread's Python code (and never deadlocks on the GIL).
#[pyclass(name = "_Reader", module = "omega_verify._omega_verify", frozen)]
pub struct PyReader {
    inner: Mutex<Reader>,
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

/// A verified checkpoint, the shape of `verify_checkpoint` (`VerifiedCheckpoint` in the stubs).
fn checkpoint_json(v: &VerifiedCheckpoint) -> Value {
    let freshness = match v.freshness {
        Freshness::Fresh { as_of } => json!({"state": "fresh", "as_of": as_of}),
        Freshness::NotWitnessed => json!({"state": "not_witnessed", "as_of": null}),
        Freshness::NotChecked => json!({"state": "not_checked", "as_of": null}),
    };
    json!({
        "origin": v.checkpoint.origin,
        "size": v.checkpoint.size,
        "root": to_hex(&v.checkpoint.root),
        "extensions": v.checkpoint.extensions,
        "witnesses": v.witnesses.iter().map(|(n, t)| json!({"name": n, "time": t})).collect::<Vec<_>>(),
        "freshness": freshness,
        "log_key": v.log_key,
        "note": v.note_text,
    })
}

/// A logged notice (`Notice` in the stubs).
fn notice_json(n: &NoticeRecord) -> Value {
    let s = &n.notice;
    json!({
        "entry": n.entry,
        "name": s.name,
        "id": s.id,
        "severity": s.severity.as_str(),
        "affected": s.affected.iter().map(|r| json!({"from": r.from, "to": r.to})).collect::<Vec<_>>(),
        "fixed": s.fixed,
        "summary": s.summary,
        "url": s.url,
    })
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

    /// Drops the release being read after a failed fetch (core's `Reader::abandon_release`,
    /// RD11): back to "ready"; nothing in any other phase.
    fn abandon_release(&self, py: Python<'_>) {
        py.detach(|| lock(&self.inner).abandon_release())
    }

    /// The tree the state and releases are proven against, `(size, root hex)`: the stored
    /// checkpoint's when a mirror serves an older one (RD19); None before.
    fn proven(&self, py: Python<'_>) -> Option<(u64, String)> {
        py.detach(|| {
            lock(&self.inner)
                .latest()
                .map(|h| (h.checkpoint.size, to_hex(&h.checkpoint.root)))
        })
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
    /// manifest_bytes, tarball_bytes, report_json)`; None otherwise.
    #[allow(clippy::type_complexity)]
    fn take_release<'py>(
        &self,
        py: Python<'py>,
    ) -> Option<(String, Bound<'py, PyBytes>, Bound<'py, PyBytes>, String)> {
        let got = py.detach(|| lock(&self.inner).take_release())?;
        let (rel, adv) = (&got.release, &got.advisories);
        let st = &rel.statement;
        let info = json!({
            "name": st.name,
            "version": st.version,
            "sequence": st.sequence,
            "entry": rel.entry,
            "tree": st.tree.to_string(),
            "manifest_hash": to_hex(&st.manifest),
            "tarball_hash": to_hex(&st.tgz),
            "size": st.size,
            "yanked": adv.yanked.as_ref().map(|y| json!({"entry": y.entry, "reason": y.reason})),
            "notices": adv.notices.iter().map(notice_json).collect::<Vec<_>>(),
            "revoked_signers": adv.revoked_signers.iter().map(|r| json!({
                "key": r.key.to_base64(), "entry": r.entry, "reason": r.reason,
            })).collect::<Vec<_>>(),
            "owners_entry": got.owners_entry,
            "owners_serial": got.owners_serial,
            "owner_keys": got.owner_keys.iter().map(|k| k.to_base64()).collect::<Vec<_>>(),
        });
        Some((
            info.to_string(),
            PyBytes::new(py, &rel.manifest_bytes),
            PyBytes::new(py, &rel.tgz),
            rel.report.json().to_text(),
        ))
    }

    /// The notices of `name` (all, or those whose ranges contain `sequence`) as JSON.
    #[pyo3(signature = (name, sequence = None))]
    fn notices(&self, py: Python<'_>, name: &str, sequence: Option<u64>) -> PyResult<String> {
        let list = py
            .detach(|| lock(&self.inner).notices(name, sequence))
            .py_err(py)?;
        Ok(Value::Array(list.iter().map(notice_json).collect()).to_string())
    }

    /// The phase: "checkpoint", "consistency", "replay", "ready", "index", "entry",
    /// "objects" or "failed".
    fn phase(&self, py: Python<'_>) -> &'static str {
        py.detach(|| phase_name(lock(&self.inner).phase()))
    }

    /// The fetched checkpoint, verified, as JSON (None before).
    fn verified(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| {
            lock(&self.inner)
                .verified()
                .map(|v| checkpoint_json(v).to_string())
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
    Ok(())
}
