"""Type stubs of the extension module (Rust, omega-python over omega-core)."""

from os import PathLike
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union, final

from typing_extensions import Buffer, Literal, TypedDict

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

# --- Log verification (REGISTRY.md R8; docs/registry.md "Bindings: log verification") ------
# Hashes are lowercase hex str, in and out; sizes and indexes int; tiles map a tile path
# ("tile/0/x001/234.p/5", "tile/entries/000") to the bytes served there. The GIL is released
# while core verifies.

class VerifiedSignature(TypedDict):
    name: str
    key_id: str
    type: int
    timestamp: Optional[int]

class VerifiedNote(TypedDict):
    verified: List[VerifiedSignature]

class Witness(TypedDict):
    name: str
    time: int

class Freshness(TypedDict):
    state: Literal["fresh", "not_witnessed", "not_checked"]
    as_of: Optional[int]

class VerifiedCheckpoint(TypedDict):
    origin: str
    size: int
    root: str
    extensions: List[str]
    witnesses: List[Witness]
    freshness: Freshness
    log_key: str
    note: str

class ProvenTree(TypedDict):
    size: int
    root: str

# Registry.verified: core's Reader::checkpoint_json (snake case): verify_checkpoint's fields
# plus the note to store, the genesis hash and the tree releases are proven against.
class RegistryCheckpoint(VerifiedCheckpoint):
    keep: str
    genesis: str
    proven: ProvenTree

class PolicyWitness(TypedDict):
    name: str
    vkey: str

class ParsedPolicy(TypedDict):
    text: str
    logs: List[str]
    witnesses: List[PolicyWitness]

class VerifiedIndex(TypedDict):
    origin: str
    name: str
    as_of: int
    expires: int
    lines: List[str]
    text: str

class InclusionProof(TypedDict):
    leaf_hash: str
    proof: List[str]

class ConsistencyProof(TypedDict):
    proof: List[str]

class TilePathInfo(TypedDict):
    kind: Literal["hashes", "entries"]
    level: Optional[int]
    index: int
    width: int

class ParsedStatement(TypedDict):
    type: str
    name: Optional[str]
    text: str

class ParsedEntry(TypedDict):
    type: str
    name: Optional[str]
    statement: str
    signatures: List[str]
    text: str

class ReplayError(TypedDict):
    index: int
    code: str
    message: str

class Replay(TypedDict):
    verdicts: List[str]
    errors: List[ReplayError]
    genesis: Optional[str]
    state: Optional[Dict[str, Any]]

_Tiles = Mapping[str, _BytesLike]

def verify_note(note: _Text, vkeys: Iterable[str]) -> VerifiedNote:
    """The trusted keys (vkeys ``name+hex8+base64``) that signed a C2SP signed note. Raises
    ``VerificationError`` (``KEY_NOT_TRUSTED``: none did; ``SIGNATURE_INVALID``) or
    ``MalformedError``."""

def verify_checkpoint(
    note: _Text, policy: str, *, now: Optional[int] = None, max_age: int = 86400
) -> VerifiedCheckpoint:
    """A signed checkpoint verified under a tlog-policy: the log key's signature, the witness
    quorum (``QUORUM_NOT_MET``) and, with ``now`` (Unix seconds), freshness within ``max_age``
    (``STALE``). Without ``now``: offline, ``freshness["state"] == "not_checked"``."""

def parse_policy(policy: str) -> ParsedPolicy:
    """A tlog-policy's canonical text, log keys and witnesses (``MalformedError`` otherwise)."""

def verify_index(
    note: _Text,
    index_key: str,
    *,
    origin: str,
    name: str,
    checkpoint_size: int,
    now: Optional[int] = None,
) -> VerifiedIndex:
    """A per-package index note verified: signed by ``index_key``, of ``origin`` and package
    ``name``, ``as-of`` at most ``checkpoint_size``, not expired at ``now`` (``STALE``)."""

def leaf_hash(entry: _BytesLike) -> str:
    """SHA-256(0x00 || entry), hex."""

def merkle_root(entries: Iterable[_Text]) -> str:
    """The RFC 6962 root (hex) of the tree of these entries."""

def verify_inclusion(
    index: int, size: int, leaf: Union[str, _BytesLike], proof: Iterable[str], root: str
) -> bool:
    """True, or raises ``VerificationError`` (``NOT_IN_LOG``) / ``MalformedError``. ``leaf``:
    the leaf hash (hex str) or the entry's bytes."""

def verify_consistency(
    size1: int, size2: int, root1: str, root2: str, proof: Iterable[str]
) -> bool:
    """True, or raises ``VerificationError`` (``LOG_INCONSISTENT``) / ``MalformedError``."""

def tiles_for_root(size: int) -> List[str]:
    """The tile paths to fetch to recompute the root of a tree of ``size``."""

def tiles_for_inclusion(index: int, size: int) -> List[str]:
    """The tile paths to fetch to prove entry ``index`` of the tree of ``size``."""

def tiles_for_consistency(size1: int, size2: int) -> List[str]:
    """The tile paths of the tree of ``size2`` to fetch for the proof from ``size1``."""

def bundle_for_entry(index: int, size: int) -> str:
    """The entry bundle path holding entry ``index`` of the tree of ``size``."""

def prove_inclusion(index: int, size: int, root: str, tiles: _Tiles) -> InclusionProof:
    """Entry ``index``'s leaf hash and inclusion proof, from tiles verified against ``root``."""

def prove_consistency(
    size1: int, size2: int, root1: str, root2: str, tiles: _Tiles
) -> ConsistencyProof:
    """The consistency proof from ``size1``, built from tiles of the tree of ``size2`` verified
    against ``root2`` and checked against ``root1``."""

def read_entry(index: int, size: int, root: str, tiles: _Tiles) -> bytes:
    """The bytes of entry ``index``, proven by its entry bundle and the tiles."""

def parse_tile_path(path: str) -> TilePathInfo:
    """A tlog-tiles path's kind, level (None for entry bundles), index and width."""

def parse_bundle(bundle_bytes: _BytesLike, width: int) -> List[bytes]:
    """The entries of an entry bundle of exactly ``width`` entries."""

def parse_statement(statement: _Text) -> ParsedStatement:
    """A registry statement: its type, name and canonical text."""

def parse_entry(entry: _Text) -> ParsedEntry:
    """A log entry: its statement, its signature blocks' key IDs and its canonical text."""

def replay_log(entries: Iterable[_Text], *, stop: bool = False) -> Replay:
    """Replays log entries from the genesis: a verdict per entry (``"ok"`` or a code), the
    errors, the genesis hash and the final registry state (core's JSON). Invalid entries are
    skipped (a monitor's view) unless ``stop``."""

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

# The registry client's native half (src/registry.rs): omega-core's sans-IO reader. Use
# ``omega_verify.Registry``, which runs its host loop; results are JSON texts it parses.

DEFAULT_MAX_AGE: int
"""The default freshness bound of a checkpoint's cosignatures (seconds): one day."""
REFRESH_SECONDS: int
"""Core's driver::REFRESH_SECONDS (60): a Registry re-opens when its last open is this old."""

@final
class _Reader:
    def __init__(
        self,
        url: str,
        policy: str,
        max_age: int,
        checkpoint: Optional[_Text] = None,
        genesis: Union[str, bytes, None] = None,
        now: Optional[int] = None,
    ) -> None: ...
    def needs(self) -> List[str]: ...
    def max_bytes(self, path: str) -> Optional[int]: ...
    def provide(self, path: str, data: Optional[_BytesLike]) -> None: ...
    def want_release(
        self,
        name: str,
        version: Optional[str] = None,
        accept_notices: List[str] = ...,
        allow_yanked: bool = False,
        owner_keys: List[str] = ...,
    ) -> None: ...
    def take_release(self) -> Optional[Tuple[str, bytes, bytes]]: ...
    def notices(self, name: str, sequence: Optional[int] = None) -> str: ...
    def phase(self) -> str: ...
    def checkpoint(self) -> Optional[str]: ...
    def checkpoint_note(self) -> Optional[str]: ...
    def genesis(self) -> Optional[str]: ...
    def evidence(self) -> Optional[str]: ...
    def witness_text(self) -> Optional[str]: ...
    def fetched_bytes(self) -> int: ...
    def set_now(self, now: Optional[int]) -> None: ...
    def needs_reopen(self, now: Optional[int]) -> bool: ...
    def reopen_after(self, code: str, opened_now: bool) -> bool: ...
    def abandon_release(self) -> None: ...
