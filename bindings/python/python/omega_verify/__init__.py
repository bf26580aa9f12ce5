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
``.report``. ``python -m omega_verify`` mirrors the ``omega`` CLI's digest, check and verify.
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
from ._omega_verify import (
    ERROR_CODES,
    PublicKey,
    Signature,
    __version__,
    apply_revocation,
    blake2b256,
    check_package,
    digest_dir,
    verify_ed25519,
    verify_file,
    verify_minisign,
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
    Report,
    SignatureReport,
):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "ERROR_CODES",
    "MalformedError",
    "NotFoundError",
    "OmegaError",
    "OmegaIOError",
    "Problem",
    "PublicKey",
    "Report",
    "Signature",
    "SignatureReport",
    "VerificationError",
    "__version__",
    "apply_revocation",
    "blake2b256",
    "check_package",
    "digest_dir",
    "error_class",
    "verify_ed25519",
    "verify_file",
    "verify_minisign",
    "verify_signify",
]
