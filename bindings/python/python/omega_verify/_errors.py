"""Exceptions: one class per kind of refusal, each carrying omega-core's stable code.

::

    OmegaError(Exception)                      .code, .message, .report
    ├── VerificationError                      the input was read and refused
    ├── MalformedError(OmegaError, ValueError)  the input cannot be accepted as given
    ├── NotFoundError(OmegaError, FileNotFoundError)
    └── OmegaIOError(OmegaError, OSError)

The code decides the class, through omega-core's ``ErrorCode::kind`` (the classification the
CLI's exit statuses follow too); the code itself is core's (DESIGN §4).
"""

from __future__ import annotations

import copy
import json
from typing import Any, Dict, Optional, Type

from ._omega_verify import _error_kind
from ._report import Report

__all__ = [
    "MalformedError",
    "NotFoundError",
    "OmegaError",
    "OmegaIOError",
    "VerificationError",
    "error_class",
]


class OmegaError(Exception):
    """An Ωpm refusal: ``code`` is one of DESIGN §4's codes (``SIGNATURE_INVALID`` …),
    ``message`` names the file, package or key, and ``report`` is the whole report of a failed
    package check (None for other errors)."""

    code: str
    message: str
    report: Optional[Report]
    #: For ``LOG_INCONSISTENT`` from ``Registry``: the evidence text (both checkpoint notes
    #: and the proof) to save and show; None otherwise.
    evidence: Optional[str]

    def __init__(self, message: str, code: str, report: Optional[Report] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.report = report
        self.evidence = None
        self._json: Optional[Dict[str, Any]] = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __reduce__(self) -> Any:
        # BaseException would re-create the exception from `args` alone (the message).
        return (_rebuild, (type(self), self.message, self.code, self.report, self._json))

    def to_dict(self) -> Dict[str, Any]:
        """The error as one JSON object, the ``omega check --json`` shape: ``ok`` (False),
        ``code``, ``message``, then the report's fields (nulls and empty lists when there is no
        report)."""
        if self._json is not None:
            d = copy.deepcopy(self._json)
        elif self.report is not None:
            d = self.report.to_dict()
        else:
            d = {k: None for k in _REPORT_FIELDS}
            d.update(signed_by=[], signatures=[], problems=[])
        head = {"ok": False, "code": self.code, "message": self.message}
        return {**head, **{k: v for k, v in d.items() if k not in head}}


class VerificationError(OmegaError):
    """The input was read and refused: a signature, key, threshold, file, path or digest does
    not hold (``SIGNATURE_INVALID``, ``KEY_NOT_TRUSTED``, ``KEY_REVOKED``, ``THRESHOLD_NOT_MET``,
    ``LEGACY_SIGNATURE_REFUSED``, ``DIGEST_MISMATCH``, ``FILE_CHANGED``, ``FILE_MISSING``,
    ``FILE_EXTRA``, ``UNSAFE_PATH``, ``UNSUPPORTED_FILE_TYPE``, ``ROLLBACK``)."""


class MalformedError(OmegaError, ValueError):
    """The input cannot be accepted as given: unparseable (``MALFORMED``), a newer format
    (``UNSUPPORTED_VERSION``) or over a limit (``TOO_LARGE``)."""


class NotFoundError(OmegaError, FileNotFoundError):
    """A file, directory or manifest that does not exist (``NOT_FOUND``)."""


class OmegaIOError(OmegaError, OSError):
    """An operating-system input/output error (``IO``)."""


# One class per kind of omega-core's ErrorCode::kind (``_error_kind``).
_CLASS_BY_KIND: Dict[str, Type[OmegaError]] = {
    "verification": VerificationError,
    "malformed": MalformedError,
    "not_found": NotFoundError,
    "io": OmegaIOError,
}

_REPORT_FIELDS = (
    "package",
    "version",
    "sequence",
    "files",
    "tree",
    "manifest_tree",
    "pinned_digest",
    "threshold",
)


def error_class(code: str) -> Type[OmegaError]:
    """The exception class raised for ``code`` (``OmegaError`` for a code this version does
    not know)."""
    kind = _error_kind(code)
    return OmegaError if kind is None else _CLASS_BY_KIND[kind]


def _rebuild(
    cls: Type[OmegaError],
    message: str,
    code: str,
    report: Optional[Report],
    error_json: Optional[Dict[str, Any]],
) -> OmegaError:
    exc = cls(message, code, report)
    exc._json = error_json
    return exc


def _from_core(
    code: str, message: str, error_json: str, report_json: Optional[str]
) -> OmegaError:
    """Called by the extension module with a core error (``Error::to_json``)."""
    report = Report.from_dict(json.loads(report_json)) if report_json is not None else None
    exc = error_class(code)(message, code, report)
    exc._json = json.loads(error_json)
    return exc
