"""Type stubs of the extension module (Rust, omega-python over omega-core)."""

from os import PathLike
from typing import Iterable, List, Optional, Tuple, Union, final

from typing_extensions import Buffer

from ._report import Report

_Path = Union[str, bytes, "PathLike[str]", "PathLike[bytes]"]
_BytesLike = Buffer  # bytes, bytearray, memoryview, array.array … (never str)
_Text = Union[str, bytes]
_Key = Union["PublicKey", str, bytes]

ERROR_CODES: Tuple[str, ...]
"""Every error code of DESIGN §4, in its order."""
MAX_KEY_FILE_BYTES: int
MAX_SIGNATURE_FILE_BYTES: int
__version__: str

def digest_dir(path: _Path) -> str:
    """The ``b2tree:`` digest of the directory ``path`` (every regular file below it except
    the top-level ``.omega/``). Raises ``NotFoundError``, ``VerificationError`` (``UNSAFE_PATH``,
    ``UNSUPPORTED_FILE_TYPE``), ``MalformedError`` (``TOO_LARGE``) or ``OmegaIOError``."""

def check_package(
    path: _Path,
    digest: Optional[str] = None,
    keys: Optional[Iterable[_Key]] = (),
    threshold: Optional[int] = 1,
) -> Report:
    """Checks the package directory ``path`` against a pinned ``digest`` (``b2tree:…``)
    and/or pinned ``keys`` (``PublicKey`` or ``RW…`` text), at least ``threshold`` distinct
    ones of which must have signed its manifest. Returns the report when everything holds;
    otherwise raises the error of the first problem with the whole report as ``exc.report``.
    ``threshold=None`` takes core's default: 1 when keys are given."""

def verify_file(
    path: _Path,
    public_key: _Key,
    signature: Optional[_Path] = None,
    legacy: bool = False,
) -> str:
    """Verifies the file ``path`` with the minisign signature file ``signature`` (default
    ``path + ".minisig"``) and ``public_key``; returns the trusted comment. Legacy (``Ed``)
    signatures are refused unless ``legacy`` is True."""

def verify_minisign(
    message: _BytesLike,
    signature_text: _Text,
    public_key: _Key,
    legacy: bool = False,
) -> str:
    """``verify_file`` in memory: verifies ``message`` with the text of a minisign signature
    file (one or more blocks); returns the trusted comment."""

def verify_signify(message: _BytesLike, signature_text: _Text, public_key: _Key) -> None:
    """Verifies ``message`` with the text of a detached signify signature file (``signify
    -S``) and ``public_key``: signify's parsing rules, omega's strict Ed25519. Raises
    ``VerificationError`` (``SIGNATURE_INVALID``, ``KEY_NOT_TRUSTED``) or ``MalformedError``."""

def verify_ed25519(public_key: _BytesLike, message: _BytesLike, signature: _BytesLike) -> bool:
    """Strict Ed25519 verification of a raw 32-byte key and 64-byte signature."""

def blake2b256(data: _BytesLike) -> bytes:
    """BLAKE2b-256 (unkeyed, 32-byte digest) of ``data``."""

def apply_revocation(lock: _BytesLike, statement: _BytesLike, signature_text: _Text) -> bytes:
    """Applies a signed revocation statement (``{"omega-revoke": 1, "name", "key", "reason"}``,
    its exact bytes) to the bytes of an ``omega.lock``: every lock entry of the package that
    pins the key must accept it (the key's own signature, or ``threshold`` of the entry's
    pinned signers); the key leaves their signers and next keys and is recorded as revoked for
    the package. Returns the new lock bytes (write them atomically in place of the old ones).
    Raises ``VerificationError`` (``SIGNATURE_INVALID``, ``KEY_NOT_TRUSTED``,
    ``THRESHOLD_NOT_MET``, ``KEY_REVOKED``), ``NotFoundError`` (package or key not pinned) or
    ``MalformedError``."""

@final
class PublicKey:
    """An Ed25519 public key in minisign's format, with its key id."""

    def __init__(self, text: _Text) -> None:
        """Parses a minisign/signify public key file's text, or the bare ``RW…`` line."""
    @staticmethod
    def from_text(text: _Text) -> PublicKey:
        """Parses a minisign/signify public key file's text, or the bare ``RW…`` line."""
    @staticmethod
    def from_file(path: _Path) -> PublicKey:
        """Reads a public key file (``minisign.pub``)."""
    @property
    def key_id(self) -> str:
        """The key id, 16 uppercase hex digits, as minisign prints it."""
    def to_base64(self) -> str:
        """The bare ``RW…`` form."""
    def to_file_text(self) -> str:
        """The two-line key file minisign writes."""
    def __bytes__(self) -> bytes: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Signature:
    """One minisign signature block."""

    def __init__(self, text: _Text) -> None:
        """Parses a signature file's text that holds exactly one block."""
    @staticmethod
    def from_text(text: _Text) -> Signature:
        """Parses a signature file's text that holds exactly one block."""
    @staticmethod
    def parse_all(text: _Text) -> List[Signature]:
        """Parses every block of a signature file's text."""
    @property
    def key_id(self) -> str:
        """The id of the key that made this block."""
    @property
    def algorithm(self) -> str:
        """``"ED"`` (prehashed) or ``"Ed"`` (legacy)."""
    @property
    def trusted_comment(self) -> str: ...
    @property
    def untrusted_comment(self) -> str: ...
    def to_text(self) -> str:
        """The block as minisign writes it."""
    def verify(self, public_key: _Key, message: _BytesLike, legacy: bool = False) -> str:
        """Verifies this block over ``message``; returns the trusted comment."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def _error_kind(code: str) -> Optional[str]:
    """Core's class of refusal for ``code``: ``"verification"``, ``"malformed"``,
    ``"not_found"`` or ``"io"``; None for a code this build does not know."""
