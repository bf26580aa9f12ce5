"""Ωpm verifier for Python: check that the code you run is the code its author released.

One Rust core (omega-core) does every check; this package embeds it as an extension module
and releases the GIL while it hashes and verifies, so threads run in parallel.

>>> import omega_verify
>>> omega_verify.digest_dir("node_modules/left-pad")                     # doctest: +SKIP
'b2tree:…'
>>> report = omega_verify.check_package("node_modules/left-pad", keys=["RW…"])  # doctest: +SKIP
>>> omega_verify.verify_file("release.tar.gz", "RW…")                    # doctest: +SKIP
'timestamp:…\\tfile:release.tar.gz\\thashed'

Failures raise ``OmegaError`` subclasses with ``.code`` (DESIGN §4) and, for package checks,
``.report``. Log verification (REGISTRY.md R8): ``verify_note``, ``verify_checkpoint``,
``verify_inclusion``/``verify_consistency`` over proofs, ``prove_inclusion``/``prove_consistency``/
``read_entry`` over tile bytes (``tiles_for_inclusion`` names them), ``replay_log``.
Registry client (REGISTRY.md R6): ``Registry(url, policy, ...)`` verifies a registry and
``.release(name)`` reads and verifies a release (tarball, manifest, report, notices).
``python -m omega_verify`` mirrors the ``omega`` CLI's digest, check and verify.
"""

from ._errors import (
    MalformedError,
    NotFoundError,
    OmegaError,
    OmegaIOError,
    VerificationError,
    error_class,
)
from ._report import Problem, Report, SignatureReport
from ._registry import Fetch, Notice, Registry, Release, RevokedSigner, SequenceRange, Yank
from ._omega_verify import (
    DEFAULT_MAX_AGE,
    ERROR_CODES,
    PublicKey,
    Signature,
    __version__,
    apply_revocation,
    blake2b256,
    bundle_for_entry,
    check_package,
    digest_dir,
    leaf_hash,
    merkle_root,
    parse_bundle,
    parse_entry,
    parse_policy,
    parse_statement,
    parse_tile_path,
    prove_consistency,
    prove_inclusion,
    read_entry,
    replay_log,
    tiles_for_consistency,
    tiles_for_inclusion,
    tiles_for_root,
    verify_checkpoint,
    verify_consistency,
    verify_ed25519,
    verify_file,
    verify_inclusion,
    verify_index,
    verify_minisign,
    verify_note,
    verify_signify,
)

# Public classes show (and pickle) as omega_verify.X rather than omega_verify._errors.X.
for _cls in (
    MalformedError,
    NotFoundError,
    OmegaError,
    OmegaIOError,
    VerificationError,
    Problem,
    Registry,
    Release,
    Report,
    SignatureReport,
):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "DEFAULT_MAX_AGE",
    "ERROR_CODES",
    "Fetch",
    "MalformedError",
    "NotFoundError",
    "Notice",
    "OmegaError",
    "OmegaIOError",
    "Problem",
    "PublicKey",
    "Registry",
    "Release",
    "Report",
    "RevokedSigner",
    "SequenceRange",
    "Signature",
    "SignatureReport",
    "VerificationError",
    "Yank",
    "__version__",
    "apply_revocation",
    "blake2b256",
    "bundle_for_entry",
    "check_package",
    "digest_dir",
    "error_class",
    "leaf_hash",
    "merkle_root",
    "parse_bundle",
    "parse_entry",
    "parse_policy",
    "parse_statement",
    "parse_tile_path",
    "prove_consistency",
    "prove_inclusion",
    "read_entry",
    "replay_log",
    "tiles_for_consistency",
    "tiles_for_inclusion",
    "tiles_for_root",
    "verify_checkpoint",
    "verify_consistency",
    "verify_ed25519",
    "verify_file",
    "verify_inclusion",
    "verify_index",
    "verify_minisign",
    "verify_note",
    "verify_signify",
]
