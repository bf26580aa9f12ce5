//! Errors and reports: turns omega-core's [`Error`] into the Python exception of its code
//! (`omega_verify.OmegaError` and its subclasses, defined in `omega_verify/_errors.py`) and its
//! [`Report`] into `omega_verify.Report`. Both go through the one JSON shape of core
//! ([`Report::json`], [`Error::json`], whose keys keep their declared order); nothing is re-derived here.

use omega_core::{Error, Report};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// `omega_verify._errors._from_core(code, message, error_json, report_json)`.
static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `omega_verify._report.Report._from_json`.
static REPORT_FROM_JSON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: its class follows the code, `.code` and `.message`
/// are core's, `.report` is the whole report of a failed package check (or `None`).
pub fn to_py_err(py: Python<'_>, e: &Error) -> PyErr {
    let build = || -> PyResult<Bound<'_, PyAny>> {
        let from_core = FROM_CORE.import(py, "omega_verify._errors", "_from_core")?;
        let report = e.report().map(|r| r.json().to_text());
        from_core.call1((e.code().as_str(), e.message(), e.json().to_text(), report))
    };
    match build() {
        Ok(exc) => PyErr::from_value(exc),
        // The package is broken (its Python half missing): say so rather than lose the error.
        Err(import_failure) => import_failure,
    }
}

/// The `omega_verify.Report` of a passing check.
pub fn report_to_py<'py>(py: Python<'py>, r: &Report) -> PyResult<Bound<'py, PyAny>> {
    let from_json = REPORT_FROM_JSON.import(py, "omega_verify._report", "_report_from_json")?;
    from_json.call1((r.json().to_text(),))
}

/// Extension: `result.map_err(|e| to_py_err(py, &e))`, shorter.
pub trait IntoPyResult<T> {
    /// Converts a core error into its Python exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}
