"""The registry client (REGISTRY.md R6, issue 15): ``Registry`` reads and verifies releases of
an Ωpm registry served over HTTP(S), or through any ``fetch(url) -> bytes | None``.

Thin by rule: the order of the steps (checkpoint, consistency with the stored checkpoint,
replay of the log, index, entry, objects, notices) and every check are omega-core's sans-IO
reader (``omega_core::driver::Reader``, here ``_omega_verify._Reader``). This module runs its
host loop only: ask which paths it needs (at most 64 at a time), fetch them (in parallel,
each streamed and refused past the reader's cap), hand each back as it arrives; core
verifies with the GIL released.

Freshness (threat model RD10): the clock is read at every call (unless ``now`` fixes it) and
given to core, which refuses (STALE) a checkpoint older than ``max_age`` at it. A call opens
the registry again (checkpoint fetched anew, consistency with the last one kept, the log
replayed) when core says so: the last open is ``REFRESH_SECONDS`` (60) old or more or the
clock went back (``_Reader.needs_reopen``), or once on STALE (``_Reader.reopen_after``).

Results have core's shapes (``Reader::checkpoint_json``, ``notices_json``,
``ReaderRelease::to_json``): the same fields as the Node, WASM and Swift hosts.

>>> reg = Registry("https://registry.example", policy=POLICY)            # doctest: +SKIP
>>> rel = reg.release("left-pad")                                       # doctest: +SKIP
>>> rel.version, len(rel.tarball), rel.report.signed_by                 # doctest: +SKIP
>>> store(reg.checkpoint, reg.genesis)   # give both back next time     # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Tuple, TypedDict, Union

if TYPE_CHECKING:
    from ._omega_verify import RegistryCheckpoint

from ._errors import OmegaError, error_class
from ._omega_verify import DEFAULT_MAX_AGE, REFRESH_SECONDS, _Reader
from ._report import Report

__all__ = ["Fetch", "Notice", "Registry", "Release", "RevokedSigner", "SequenceRange", "Yank"]

Fetch = Callable[[str], Optional[bytes]]
"""``fetch(url)``: the bytes served at ``url``, or None when it is not served (404)."""

# HTTP statuses that mean "not served" (the reader decides what that means for the path).
_NOT_SERVED = (404, 410)
# Most paths fetched at once.
_PARALLEL = 8
# REFRESH_SECONDS (imported above) is core's driver::REFRESH_SECONDS: a call re-opens the
# registry when its last open is this old (seconds; RD10). The rule is core's.
# Bytes read from a response at a time.
_CHUNK = 64 * 1024


# An inclusive range of release sequences ("from" is a keyword: the functional syntax).
SequenceRange = TypedDict("SequenceRange", {"from": int, "to": int})


class Notice(TypedDict):
    """A logged security notice (core's ``driver::notice_json``)."""

    entry: int
    id: str
    severity: str
    affected: List[SequenceRange]
    fixed: Optional[int]
    summary: str
    url: Optional[str]


class Yank(TypedDict):
    """A release's yank."""

    entry: int
    reason: str


class RevokedSigner(TypedDict):
    """A key revoked for the name that signed the release."""

    key: str
    entry: int
    reason: str


@dataclass(frozen=True)
class Release:
    """A release read from the log and verified: its statement's fields, the exact manifest
    and tarball bytes (the tarball passed the strict reader and the package check), the
    package check's ``report``, its advisories, the ``checkpoint`` note it was verified
    against, and the name's current owners entry, serial and active keys (``owner_keys``:
    pin them and give them back to ``Registry.release`` next time)."""

    name: str
    version: str
    sequence: int
    entry: int
    tree: str
    manifest_hash: str
    tarball_hash: str
    size: int
    manifest: bytes
    tarball: bytes
    report: Report
    checkpoint: str
    yanked: Optional[Yank]
    notices: List[Notice]
    revoked_signers: List[RevokedSigner]
    owners_entry: int
    owners_serial: int
    owner_keys: List[str]


def _error(code: str, message: str) -> OmegaError:
    return error_class(code)(message, code)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http and https only (urllib's default also follows ftp)."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Optional[urllib.request.Request]:
        scheme = newurl.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise _error("IO", f"{req.full_url}: redirected to {newurl}, not http or https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _too_large(url: str, cap: int) -> OmegaError:
    return _error("TOO_LARGE", f"{url}: more than {cap} bytes, over the limit for it")


def _http_fetch(timeout: float) -> Callable[[str, int], Optional[bytes]]:
    """The default fetch: urllib, the body read in chunks and refused (TOO_LARGE) past
    ``cap`` bytes; a Content-Length over ``cap`` is refused before reading (RD17)."""
    opener = urllib.request.build_opener(_HttpOnlyRedirects())

    def get(url: str, cap: int) -> Optional[bytes]:
        req = urllib.request.Request(url, headers={"User-Agent": "omega_verify"})
        try:
            with opener.open(req, timeout=timeout) as resp:
                length = resp.headers.get("Content-Length")
                if length is not None and length.strip().isdigit() and int(length) > cap:
                    raise _too_large(url, cap)
                out = bytearray()
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        return bytes(out)
                    out += chunk
                    if len(out) > cap:
                        raise _too_large(url, cap)
        except OmegaError:
            raise
        except urllib.error.HTTPError as e:
            if e.code in _NOT_SERVED:
                return None
            raise _error("IO", f"{url}: HTTP {e.code} {e.reason}") from e
        except (urllib.error.URLError, OSError) as e:
            raise _error("IO", f"{url}: {e}") from e

    return get


class Registry:
    """An Ωpm registry at ``url``, verified on construction (REGISTRY.md R6): its checkpoint
    under ``policy`` (a tlog-policy text obtained another way than plain http), the
    consistency with ``checkpoint`` (the note stored from an earlier ``Registry.checkpoint``,
    as ``omega.lock`` pins it: never backwards, ``LOG_INCONSISTENT`` on a fork) and the
    replay of the whole log from ``genesis`` (the stored ``Registry.genesis``: hex or 32
    bytes).

    Freshness is checked at ``now`` (Unix seconds: a fixed clock; default: the clock, read
    at every call) within ``max_age`` seconds; ``offline=True`` skips it. With the clock,
    a call opens the registry again when the last open is ``REFRESH_SECONDS`` old or more,
    and a checkpoint older than ``max_age`` is refused (STALE) (threat model RD10). ``fetch(url) -> bytes | None`` replaces the default
    urllib fetch (``http``/``https`` URLs only); it may be called from several threads.
    ``timeout`` bounds each request (default urllib fetch); ``deadline`` (seconds) bounds a
    whole call (the open, a release, notices): no fetch starts after it (``IO``, RD16).

    Errors raise the ``OmegaError`` subclass of their DESIGN §4 code. An error while opening
    raises (from this constructor, or from the call that opens again); an error while
    reading a release refuses that release only. Methods may be called from several threads (one request at a time).
    """

    def __init__(
        self,
        url: str,
        policy: str,
        checkpoint: Union[str, bytes, None] = None,
        genesis: Union[str, bytes, None] = None,
        max_age: int = DEFAULT_MAX_AGE,
        now: Optional[int] = None,
        fetch: Optional[Fetch] = None,
        *,
        offline: bool = False,
        timeout: float = 30.0,
        deadline: Optional[float] = None,
    ) -> None:
        self._url = url.rstrip("/")
        if fetch is None:
            scheme = self._url.split(":", 1)[0].lower()
            if scheme not in ("http", "https"):
                raise _error(
                    "MALFORMED",
                    f"registry {url}: only http and https URLs are fetched (give fetch= for others)",
                )
            http = _http_fetch(timeout)
            self._get: Callable[[str, int], Optional[bytes]] = http
        else:
            user = fetch

            def get(u: str, cap: int) -> Optional[bytes]:
                data = user(u)
                if data is not None and len(data) > cap:
                    raise _too_large(u, cap)
                return None if data is None else bytes(data)

            self._get = get
        if offline and now is not None:
            raise TypeError("now and offline: give one of them")
        self._offline = offline
        self._fixed_now = now
        self._policy = policy
        self._max_age = max_age
        self._held: Union[str, bytes, None] = checkpoint
        self._genesis: Union[str, bytes, None] = genesis
        if deadline is not None and not deadline > 0:
            raise TypeError("deadline: expected a positive number of seconds")
        self._deadline = deadline
        self._ends: Optional[float] = None
        self._lock = threading.Lock()
        self._begin()
        self._open(self._now())

    def _begin(self) -> None:
        """Starts a call's overall deadline (RD16): no fetch starts after it."""
        self._ends = None if self._deadline is None else time.monotonic() + self._deadline

    def _now(self) -> Optional[int]:
        """The clock for this call: None offline, the fixed ``now``, else ``time.time()``."""
        if self._offline:
            return None
        return int(time.time()) if self._fixed_now is None else self._fixed_now

    def _open(self, now: Optional[int]) -> None:
        """Opens the registry (again): a new core reader from the policy and the checkpoint
        and genesis kept last, fetched and replayed at ``now``."""
        reader = _Reader(self._url, self._policy, self._max_age, self._held, self._genesis, now)
        self._reader = reader
        try:
            self._drive()
        except OmegaError as e:
            e.evidence = reader.evidence()
            raise
        self._held = reader.checkpoint_note()
        self._genesis = reader.genesis()

    def _ensure_open(self, now: Optional[int]) -> bool:
        """Opens again when core says so (``needs_reopen``: never opened, the open failed,
        the last open is REFRESH_SECONDS old or the clock went back); else gives core the
        clock. True when it opened now."""
        if self._reader.needs_reopen(now):
            self._open(now)
            return True
        self._reader.set_now(now)
        return False

    def _with_open(self, f: Callable[[], Any]) -> Any:
        """Runs ``f`` on an open registry; opens again once and retries when core says so
        (``reopen_after``: STALE from a reader opened earlier). The caller holds the lock."""
        self._begin()
        now = self._now()
        opened = self._ensure_open(now)
        try:
            return f()
        except OmegaError as e:
            if not self._reader.reopen_after(e.code, opened):
                raise
            self._open(now)
            return f()

    # -- the host loop (docs: DRIVER.md) -------------------------------------------------

    def _fetch(self, path: str) -> Tuple[str, Optional[bytes]]:
        limit = self._reader.max_bytes(path)
        if limit is None:
            raise _error("MALFORMED", f"registry {self._url}: {path} is not needed")
        url = f"{self._url}/{path}"
        if self._ends is not None and time.monotonic() > self._ends:
            raise _error("IO", f"registry {self._url}: {path}: the deadline of {self._deadline} s passed")
        try:
            return path, self._get(url, limit)
        except OmegaError:
            raise
        except Exception as e:  # a caller's fetch failing: the registry cannot be read
            raise _error("IO", f"registry {self._url}: {path}: {type(e).__name__}: {e}") from e

    def _drive(self) -> None:
        """Rounds of at most 64 paths (core's limit), each file handed to core as it arrives
        (nothing buffered for the round, RD12); the first error stops the loop (the fetches
        not started are cancelled) and, in a release, drops it (core's abandon_release,
        RD11)."""
        try:
            while True:
                needs = self._reader.needs()
                if not needs:
                    return
                if len(needs) == 1:
                    path, data = self._fetch(needs[0])
                    self._reader.provide(path, data)
                    continue
                pool = concurrent.futures.ThreadPoolExecutor(min(_PARALLEL, len(needs)))
                try:
                    futures = [pool.submit(self._fetch, p) for p in needs]
                    for done in concurrent.futures.as_completed(futures):
                        path, data = done.result()
                        self._reader.provide(path, data)
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
        except BaseException:
            self._reader.abandon_release()
            raise

    # -- the API --------------------------------------------------------------------------

    def release(
        self,
        name: str,
        version: Optional[str] = None,
        accept_notices: Iterable[str] = (),
        allow_yanked: bool = False,
        owner_keys: Iterable[str] = (),
    ) -> Release:
        """Reads and verifies a release of ``name`` (``version``, default the latest
        unyanked one): the index note, the log entry and its inclusion, both objects by
        their hashes, the package check, then yanks and notices (a critical notice refuses
        the release unless its id is in ``accept_notices``; a yanked version is refused
        unless ``allow_yanked``). ``owner_keys``: the owner keys pinned from an earlier
        ``Release.owner_keys``; after an owner change away from them the release is refused
        (``KEY_NOT_TRUSTED``; RD20)."""
        if isinstance(accept_notices, (str, bytes)):
            raise TypeError("accept_notices: expected an iterable of notice ids, not a string")
        accept = list(accept_notices)
        if isinstance(owner_keys, (str, bytes)):
            raise TypeError("owner_keys: expected an iterable of public keys, not a string")
        owners = list(owner_keys)

        def read() -> Any:
            self._reader.want_release(name, version, accept, allow_yanked, owners)
            self._drive()
            return self._reader.take_release(), self._reader.checkpoint_note()

        with self._lock:
            got, note = self._with_open(read)
        if got is None or note is None:  # the reader gave no release without an error
            raise _error("MALFORMED", f"registry {self._url}: {name}: no release was read")
        info, manifest, tarball = got
        d = json.loads(info)  # core's ReaderRelease::to_json (snake case)
        advisories, owners = d["advisories"], d["owners"]
        return Release(
            name=d["name"],
            version=d["version"],
            sequence=d["sequence"],
            entry=d["entry"],
            tree=d["tree"],
            manifest_hash=d["manifest_hash"],
            tarball_hash=d["tarball_hash"],
            size=d["size"],
            manifest=manifest,
            tarball=tarball,
            report=Report.from_dict(d["report"]),
            checkpoint=note,
            yanked=advisories["yanked"],
            notices=advisories["notices"],
            revoked_signers=advisories["revoked_signers"],
            owners_entry=owners["entry"],
            owners_serial=owners["serial"],
            owner_keys=owners["keys"],
        )

    def notices(self, name: str, sequence: Optional[int] = None) -> List[Notice]:
        """The notices of ``name`` (all, or those whose ranges contain ``sequence``), in id
        order. ``NOT_IN_LOG`` when the log does not hold the name."""
        with self._lock:
            text = self._with_open(lambda: self._reader.notices(name, sequence))
        notices: List[Notice] = json.loads(text)
        return notices

    @property
    def url(self) -> str:
        """The registry's URL (no trailing slash)."""
        return self._url

    @property
    def checkpoint(self) -> str:
        """The checkpoint note to store and give back next time (the larger of the fetched
        and the stored one: never backwards)."""
        return self.verified["keep"]

    @property
    def proven(self) -> Tuple[int, str]:
        """The tree releases are proven against, ``(size, root hex)``: the stored
        checkpoint's when a mirror serves an older one (RD19)."""
        p = self.verified["proven"]
        return p["size"], p["root"]

    @property
    def genesis(self) -> str:
        """The SHA-256 of entry 0 (hex), to store with the checkpoint."""
        return self.verified["genesis"]

    @property
    def verified(self) -> RegistryCheckpoint:
        """The checkpoint fetched and verified (core's ``Reader::checkpoint_json``): origin,
        size, root, extensions, witnesses with their times, freshness, log key and note, plus
        ``keep`` (the note to store), ``genesis`` and ``proven`` (``{size, root}``)."""
        text = self._reader.checkpoint()
        if text is None:
            raise _error("MALFORMED", f"registry {self._url}: not verified (the last open failed)")
        v: RegistryCheckpoint = json.loads(text)
        return v

    @property
    def witness_text(self) -> str:
        """``"cosigned by w1 at T; fresh as of T"``, for people."""
        t = self._reader.witness_text()
        assert t is not None
        return t

    @property
    def fetched_bytes(self) -> int:
        """Bytes fetched and accepted so far."""
        return self._reader.fetched_bytes()

    def __repr__(self) -> str:
        v = self.verified
        return f"Registry({self._url!r}, origin={v['origin']!r}, size={v['size']})"
