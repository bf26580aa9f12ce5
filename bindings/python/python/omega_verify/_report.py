"""Reports of package checks: read-only views of omega-core's report JSON.

The fields are exactly those of the one JSON shape that the ``omega`` CLI's ``--json`` and
every binding share (omega-core ``Report::to_json``); nothing here decides anything.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

__all__ = ["Problem", "Report", "SignatureReport"]


@dataclass(frozen=True)
class Problem:
    """One problem found by a check."""

    code: str
    """The error code (``FILE_CHANGED``, ``SIGNATURE_INVALID`` …)."""
    path: Optional[str]
    """The file concerned (relative to the package), for file and signature problems."""
    key: Optional[str]
    """The key concerned (``RW…`` and key id, or key ids), for signature problems."""
    message: str
    """A sentence that names the package and the file or key."""


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature block of ``.omega/manifest.json.minisig``."""

    key_id: str
    """Key id of the block, 16 uppercase hex digits."""
    key: Optional[str]
    """The pinned key (``RW…``) with that key id, if any."""
    trusted_comment: str
    """The trusted comment (authenticated only when ``error`` is None)."""
    error: Optional[str]
    """None when the block is valid; otherwise the code saying why it does not count."""

    @property
    def valid(self) -> bool:
        """Whether this block is a valid signature by a pinned key."""
        return self.error is None


@dataclass(frozen=True)
class Report:
    """The outcome of a package check: everything looked at and every problem found.

    ``check_package`` returns a report when the package verified (``ok`` is True) and raises
    an ``OmegaError`` carrying the report as ``exc.report`` when it did not.
    """

    ok: bool
    """True when there is no problem."""
    code: Optional[str]
    """Code of the first problem (the verdict), or None."""
    message: Optional[str]
    """Message of the first problem, or None."""
    package: str
    """Package name from the manifest, or the directory."""
    version: Optional[str]
    """Version from the manifest."""
    sequence: Optional[int]
    """Release counter from the manifest."""
    files: int
    """Number of files found."""
    tree: str
    """``b2tree:`` digest of the files as found."""
    manifest_tree: Optional[str]
    """Digest the manifest declares."""
    pinned_digest: Optional[str]
    """Digest the caller pinned."""
    threshold: int
    """Distinct pinned keys required (0 when no key was pinned)."""
    signed_by: Tuple[str, ...]
    """Distinct pinned keys (``RW…``) with a valid signature."""
    signatures: Tuple[SignatureReport, ...]
    """One verdict per signature block."""
    problems: Tuple[Problem, ...]
    """Every problem, in verdict order: signatures, files in path order, digest."""
    _json: Dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Report:
        """A report from its JSON object (the ``omega check --json`` shape)."""
        return cls(
            ok=bool(d["ok"]),
            code=d["code"],
            message=d["message"],
            package=d["package"],
            version=d["version"],
            sequence=d["sequence"],
            files=d["files"],
            tree=d["tree"],
            manifest_tree=d["manifest_tree"],
            pinned_digest=d["pinned_digest"],
            threshold=d["threshold"],
            signed_by=tuple(d["signed_by"]),
            signatures=tuple(SignatureReport(**s) for s in d["signatures"]),
            problems=tuple(Problem(**p) for p in d["problems"]),
            _json=copy.deepcopy(d),
        )

    def to_dict(self) -> Dict[str, Any]:
        """The report as its JSON object (the ``omega check --json`` shape)."""
        return copy.deepcopy(self._json)


def _report_from_json(text: str) -> Report:
    """Called by the extension module with omega-core's ``Report::to_json``."""
    return Report.from_dict(json.loads(text))
