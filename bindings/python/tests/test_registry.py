"""The registry client ``omega_verify.Registry`` (REGISTRY.md R6; issue 15).

1. tests/vectors/client.json: every case through the reader, with a fake ``fetch`` over the
   in-memory registry of the vectors (the verdicts and codes of core/tests/driver.rs).
2. A real registry folder built by the ``omega`` CLI (``registry init``, ``pack``,
   ``publish``, ``witness cosign``, ``registry cosign``), served on 127.0.0.1 by nginx (a free
   port; started and stopped here) and read with the default urllib fetch: good, a tampered
   object, a forked registry, a stale checkpoint, a name not in the log, a cap.

nginx and the ``omega`` binary ($OMEGA_CLI, else target/debug/omega) are required: a missing
one FAILS these tests.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import omega_verify as ov
from omega_verify._omega_verify import REFRESH_SECONDS
from conftest import REPO, load_json

VECTORS = REPO / "tests" / "vectors" / "client.json"
ORIGIN = "py.example/omega"


# -- 1. client.json through the reader --------------------------------------------------


def vector_files(doc: Dict[str, Any], case: Dict[str, Any]) -> Dict[str, bytes]:
    files = {p: base64.b64decode(b) for p, b in doc["files"].items()}
    files.update({p: base64.b64decode(b) for p, b in case.get("replace", {}).items()})
    files["checkpoint"] = case["checkpoint"].encode()
    return files


class FakeServer:
    """``fetch`` over a dict of served files; records the URLs asked for."""

    def __init__(self, base: str, files: Dict[str, bytes]) -> None:
        self.base = base
        self.files = files
        self.asked: List[str] = []
        self.lock = threading.Lock()

    def __call__(self, url: str) -> Optional[bytes]:
        assert url.startswith(self.base + "/"), url
        with self.lock:
            self.asked.append(url)
        return self.files.get(url[len(self.base) + 1 :])


def run_vector_case(doc: Dict[str, Any], case: Dict[str, Any]) -> Any:
    base = "https://vectors.example"
    fetch = FakeServer(base, vector_files(doc, case))
    try:
        reg = ov.Registry(
            base,
            doc["policy"],
            checkpoint=case.get("pinned"),
            genesis=doc["genesis"],
            max_age=case["max_age"],
            now=case["now"],
            offline=case["now"] is None,
            fetch=fetch,
        )
        rel = reg.release(case["package"], case.get("version"), accept_notices=case["accept_notices"])
    except ov.OmegaError as e:
        return {"error": e.code}
    return {
        "version": rel.version,
        "sequence": rel.sequence,
        "entry": rel.entry,
        "signed_by": list(rel.report.signed_by),
        "checkpoint_size": ov.verify_checkpoint(reg.checkpoint, doc["policy"])["size"],
        "notices": [n["id"] for n in rel.notices],
    }


def test_client_vectors_through_the_reader() -> None:
    doc = load_json(VECTORS)
    for case in doc["cases"]:
        assert run_vector_case(doc, case) == case["expect"], case["name"]
    outcome = Counter("error" if "error" in c["expect"] else "ok" for c in doc["cases"])
    assert outcome == {"ok": 6, "error": 8}


def good_vector_registry(**kw: Any) -> Tuple[ov.Registry, FakeServer, Dict[str, Any]]:
    doc = load_json(VECTORS)
    case = doc["cases"][0]
    fetch = FakeServer("https://v.example", vector_files(doc, case))
    reg = ov.Registry(
        "https://v.example/", doc["policy"], genesis=doc["genesis"], max_age=3600, now=case["now"],
        fetch=fetch, **kw,
    )
    return reg, fetch, doc


def test_vector_registry_properties_and_release_fields() -> None:
    reg, fetch, doc = good_vector_registry()
    v = reg.verified
    assert (v["origin"], v["size"]) == (doc["origin"], 9)
    assert [w["name"] for w in v["witnesses"]] == ["w1"]
    assert v["freshness"]["state"] == "fresh"
    assert reg.genesis == doc["genesis"]
    assert reg.checkpoint == v["note"]
    assert reg.witness_text.startswith("cosigned by w1 at ")
    assert reg.url == "https://v.example"
    opened = len(fetch.asked)
    assert fetch.asked[0] == "https://v.example/checkpoint"
    rel = reg.release("left-pad", accept_notices=["OMEGA-1"])
    assert rel.tarball_hash == ov.blake2b256(rel.tarball).hex()
    assert rel.manifest_hash == ov.blake2b256(rel.manifest).hex()
    assert rel.size == len(rel.tarball)
    assert rel.checkpoint == reg.checkpoint
    assert rel.report.tree == rel.tree and rel.tree.startswith("b2tree:")
    assert rel.yanked is None and rel.revoked_signers == []
    # The release's first round holds the index note with the entry and objects, fetched on a
    # thread pool (their order is the threads'); core checks them in order (RD21).
    assert "https://v.example/index/left-pad" in fetch.asked[opened:]
    assert reg.fetched_bytes > len(rel.tarball)
    # notices: all of them, or those of a sequence; a name not in the log is NOT_IN_LOG
    (n,) = reg.notices("left-pad")
    assert (n["id"], n["severity"], n["affected"]) == ("OMEGA-1", "critical", [{"from": 1, "to": 1}])
    assert reg.notices("left-pad", 2) == []
    assert reg.notices("left-pad", 1) == [n]
    # core's shapes (driver::notice_json, Reader::checkpoint_json), as in Node, WASM, Swift
    assert set(n) == {"entry", "id", "severity", "summary", "affected", "fixed", "url"}
    assert (v["keep"], v["genesis"]) == (reg.checkpoint, reg.genesis)
    assert (v["proven"]["size"], v["proven"]["root"]) == reg.proven
    with pytest.raises(ov.OmegaError) as e:
        reg.notices("no-such-pkg")
    assert e.value.code == "NOT_IN_LOG"


def test_release_errors_leave_the_registry_usable() -> None:
    reg, fetch, _ = good_vector_registry()
    with pytest.raises(ov.VerificationError) as e:
        reg.release("left-pad", "1.0.0")  # a critical notice not accepted
    assert e.value.code == "KEY_NOT_TRUSTED"
    with pytest.raises(ov.NotFoundError) as nf:
        reg.release("right-pad", "1.1.0")  # yanked
    assert nf.value.code == "NOT_FOUND"
    assert reg.release("right-pad", "1.1.0", allow_yanked=True).yanked is not None
    # an object that vanished (404): NOT_FOUND for that release only
    obj = next(p for p in fetch.files if p.startswith("objects/"))
    del fetch.files[obj]
    codes = set()
    for version in ("1.0.0", "1.1.0"):
        try:
            reg.release("left-pad", version, accept_notices=["OMEGA-1"])
        except ov.OmegaError as err:
            codes.add(err.code)
    assert codes == {"NOT_FOUND"}
    assert reg.release("right-pad").version == "1.0.0"


def test_a_fetch_that_raises_is_io_and_the_registry_stays_usable() -> None:
    reg, fetch, _ = good_vector_registry()
    files = fetch.files
    broken = {"on": True}

    def flaky(url: str) -> Optional[bytes]:
        if broken["on"] and "/objects/" in url:
            raise ConnectionResetError("peer reset")
        return fetch(url)

    reg._get = lambda url, limit: flaky(url)  # the same seam as fetch=
    with pytest.raises(ov.OmegaIOError) as e:
        reg.release("left-pad", accept_notices=["OMEGA-1"])
    assert e.value.code == "IO" and "ConnectionResetError" in e.value.message
    assert isinstance(e.value.__cause__, ConnectionResetError)
    broken["on"] = False
    assert reg.release("left-pad", accept_notices=["OMEGA-1"]).version == "1.1.0"
    assert files is fetch.files


def test_an_oversized_response_is_too_large_and_read_only_to_the_cap() -> None:
    doc = load_json(VECTORS)
    case = doc["cases"][0]
    files = vector_files(doc, case)
    files["checkpoint"] = files["checkpoint"] + b"x" * (1 << 20)
    seen: List[int] = []

    def fetch(url: str) -> bytes:
        data = files[url.rsplit("/", 1)[-1]]
        seen.append(len(data))
        return data

    with pytest.raises(ov.MalformedError) as e:
        ov.Registry("https://v.example", doc["policy"], now=case["now"], max_age=3600, fetch=fetch)
    assert e.value.code == "TOO_LARGE" and "checkpoint" in e.value.message


def test_rd10_the_clock_is_read_at_each_call_and_a_stale_checkpoint_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RD10: a long-lived Registry (the clock, no fixed now) re-opens after REFRESH_SECONDS
    and refuses a checkpoint older than max_age at the time of the call."""
    doc = load_json(VECTORS)
    case = doc["cases"][0]
    clock = {"t": float(case["now"])}
    monkeypatch.setattr(time, "time", lambda: clock["t"])
    fetch = FakeServer("https://v.example", vector_files(doc, case))
    reg = ov.Registry("https://v.example", doc["policy"], genesis=doc["genesis"], max_age=3600, fetch=fetch)

    def checkpoints() -> int:
        return fetch.asked.count("https://v.example/checkpoint")

    assert reg.release("left-pad", accept_notices=["OMEGA-1"]).version == "1.1.0"
    clock["t"] += 30
    reg.notices("left-pad")
    assert checkpoints() == 1
    clock["t"] += 31
    reg.notices("left-pad")
    assert checkpoints() == 2, "opened again after REFRESH_SECONDS"
    # The rule is core's (Reader::needs_reopen): 59 s after the last open, not again; the
    # clock going back, again.
    clock["t"] += 59
    reg.notices("left-pad")
    assert checkpoints() == 2, "59 s after the last open"
    clock["t"] = case["now"] + 30
    reg.notices("left-pad")
    assert checkpoints() == 3, "the clock went back"
    assert REFRESH_SECONDS == 60
    clock["t"] = case["now"] + 3601
    with pytest.raises(ov.OmegaError) as e:
        reg.release("left-pad")
    assert e.value.code == "STALE"
    with pytest.raises(ov.OmegaError) as e2:
        reg.notices("left-pad")
    assert e2.value.code == "STALE"
    clock["t"] = case["now"] + 10
    assert reg.release("left-pad", accept_notices=["OMEGA-1"]).version == "1.1.0"
    # A fixed now: the reader never re-opens by itself.
    fixed, f2, _ = good_vector_registry()
    clock["t"] += 10 * 86400
    fixed.notices("left-pad")
    assert f2.asked.count("https://v.example/checkpoint") == 1


def test_rd11_a_failed_fetch_mid_release_uses_cores_abandon_release() -> None:
    """RD11: no host-side workaround; core's abandon_release puts the reader back to ready."""
    reg, fetch, _ = good_vector_registry()
    assert not hasattr(reg, "_abandon_release")
    reg._reader.want_release("left-pad", None, ["OMEGA-1"], False)
    assert reg._reader.phase() == "index"
    reg._reader.abandon_release()
    assert (reg._reader.phase(), reg._reader.needs()) == ("ready", [])
    assert reg.release("left-pad", accept_notices=["OMEGA-1"]).version == "1.1.0"


def test_rd12_partial_bundle_over_its_width_and_rd17_user_fetch_over_the_cap() -> None:
    doc = load_json(VECTORS)
    case = doc["cases"][0]
    files = vector_files(doc, case)
    bundle = "tile/entries/000.p/9"  # the partial bundle of the checkpoint (size 9)
    files[bundle] = b"\1" * (1 << 20)
    with pytest.raises(ov.OmegaError) as e:
        ov.Registry("https://v.example", doc["policy"], now=case["now"], max_age=3600, fetch=FakeServer("https://v.example", files))
    assert e.value.code == "TOO_LARGE" and bundle in e.value.message
    reg, _, _ = good_vector_registry()
    assert reg.proven == (reg.verified["size"], reg.verified["root"])


def test_rd20_owner_keys_pinned_refuse_another_owner() -> None:
    reg, _, _ = good_vector_registry()
    rel = reg.release("left-pad", accept_notices=["OMEGA-1"])
    assert rel.owner_keys == list(rel.report.signed_by)
    assert reg.release("left-pad", owner_keys=rel.owner_keys).owners_entry == rel.owners_entry
    # Another key pinned: the last byte of the point changed until it is a valid point.
    b = bytearray(base64.b64decode(rel.owner_keys[0]))
    codes = []
    first = b[41]
    for i in range(1, 64):
        b[41] = (first + i) % 256
        try:
            reg.release("left-pad", owner_keys=[base64.b64encode(bytes(b)).decode()])
            codes.append("OK")
        except ov.OmegaError as e:
            codes.append(e.code)
        if codes[-1] != "MALFORMED":
            break
    assert codes[-1] == "KEY_NOT_TRUSTED", codes
    with pytest.raises(TypeError):
        reg.release("left-pad", owner_keys="x")


def test_rd16_a_deadline_bounds_a_whole_call() -> None:
    doc = load_json(VECTORS)
    case = doc["cases"][0]
    server = FakeServer("https://v.example", vector_files(doc, case))

    def slow(url: str) -> Optional[bytes]:
        time.sleep(0.05)
        return server(url)

    t = time.monotonic()
    with pytest.raises(ov.OmegaError) as e:
        ov.Registry("https://v.example", doc["policy"], now=case["now"], max_age=3600, fetch=slow, deadline=0.01)
    assert e.value.code == "IO" and "deadline" in e.value.message
    assert time.monotonic() - t < 2
    with pytest.raises(TypeError):
        ov.Registry("https://v.example", doc["policy"], fetch=slow, deadline=0)
    reg = ov.Registry("https://v.example", doc["policy"], now=case["now"], max_age=3600, fetch=server, deadline=60)
    assert reg.release("left-pad", accept_notices=["OMEGA-1"]).version == "1.1.0"


def test_arguments_are_checked() -> None:
    doc = load_json(VECTORS)
    with pytest.raises(ov.MalformedError) as e:
        ov.Registry("ftp://x.example", doc["policy"])
    assert e.value.code == "MALFORMED"
    with pytest.raises(ov.MalformedError):
        ov.Registry("https://x.example", doc["policy"], genesis="00" * 31, fetch=lambda u: None)
    with pytest.raises(ov.MalformedError):
        ov.Registry("https://x.example", doc["policy"], genesis=b"\0" * 31, fetch=lambda u: None)
    with pytest.raises(ov.MalformedError):
        ov.Registry("https://x.example", "not a policy", fetch=lambda u: None)
    # a stored checkpoint is verified by the policy
    with pytest.raises(ov.OmegaError) as q:
        ov.Registry("https://x.example", doc["policy"], checkpoint="x\n", fetch=lambda u: None)
    assert q.value.code == "MALFORMED"
    with pytest.raises(ov.NotFoundError) as nf:
        ov.Registry("https://x.example", doc["policy"], fetch=lambda u: None)
    assert nf.value.code == "NOT_FOUND" and "checkpoint" in nf.value.message
    reg, _, _ = good_vector_registry()
    with pytest.raises(TypeError):
        reg.release("left-pad", accept_notices="OMEGA-1")


def test_threads_share_one_registry() -> None:
    reg, _, _ = good_vector_registry()
    out: List[str] = []
    errors: List[BaseException] = []

    def read() -> None:
        try:
            for _ in range(3):
                out.append(reg.release("left-pad", accept_notices=["OMEGA-1"]).version)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and out == ["1.1.0"] * 12


# -- 2. a real registry served by nginx -------------------------------------------------


def omega_cli() -> str:
    exe = os.environ.get("OMEGA_CLI") or str(REPO / "target" / "debug" / "omega")
    if not os.access(exe, os.X_OK):
        pytest.fail(f"the omega binary {exe} is needed (cargo build -p omega-cli)", pytrace=False)
    return exe


def nginx_binary() -> str:
    for c in ("/usr/sbin/nginx", shutil.which("nginx")):
        if c and os.access(c, os.X_OK):
            return c
    pytest.fail("nginx is required (scripts/setup.sh installs nginx-light)", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Nginx:
    """nginx serving ``root`` on 127.0.0.1 (a free port), as cli/tests/common/nginx.rs."""

    def __init__(self, root: Path, extra: str = "") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="omega-nginx-"))
        last = ""
        for _ in range(3):
            self.port = free_port()
            d = self.dir
            conf = d / "nginx.conf"
            conf.write_text(
                f"daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n"
                f"error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n"
                f"http {{\n  access_log off;\n  default_type application/octet-stream;\n"
                f"  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n"
                f"  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n"
                f"  scgi_temp_path {d}/scgi;\n"
                f"  server {{\n    listen 127.0.0.1:{self.port};\n    root {root.resolve()};\n{extra}\n  }}\n}}\n"
            )
            self.proc = subprocess.Popen(
                [nginx_binary(), "-p", str(d), "-c", str(conf), "-e", str(d / "error.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last = (self.proc.stderr.read().decode() if self.proc.stderr else "")
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return
                except OSError:
                    time.sleep(0.05)
            else:
                self.stop()
                pytest.fail(f"nginx did not answer on 127.0.0.1:{self.port}", pytrace=False)
        pytest.fail(f"nginx did not start: {last}", pytrace=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class World:
    root: Path
    exe: str
    policy: str

    @property
    def reg(self) -> Path:
        return self.root / "reg"

    def omega(self, *args: str) -> str:
        p = subprocess.run(
            [self.exe, *args], cwd=self.root, capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, "XDG_CACHE_HOME": str(self.root / "cache")},
        )
        assert p.returncode == 0, f"omega {' '.join(args)}: {p.stdout}{p.stderr}"
        return p.stdout

    def publish(self, reg: Path, name: str, version: str, seq: int) -> None:
        pkg = self.root / f"pkg-{name.replace('/', '-')}-{version}-{reg.name}"
        pkg.mkdir()
        (pkg / "index.js").write_text(f"module.exports = {{ name: {name!r}, version: {version!r} }};\n")
        (pkg / "package.json").write_text("{}\n")
        key = str(self.root / "owner.key")
        self.omega("pack", str(pkg), "--name", name, "--version", version, "--sequence", str(seq), "-s", key)
        self.omega("publish", str(pkg), "--registry", str(reg), "-s", key)

    def cosign(self, reg: Path, state: str) -> None:
        log_key = next(ln[4:] for ln in (reg / "policy").read_text().splitlines() if ln.startswith("log "))
        # A witness's first sight of a log needs --new-log (threat model RR12).
        first = [] if (self.root / state).exists() else ["--new-log"]
        line = self.omega(
            "witness", "cosign", str(reg / "checkpoint"), "--log-key", log_key,
            "--state", str(self.root / state), "--name", "w1", "-s", str(self.root / "witness.key"),
            *first,
        ).strip()
        self.omega("registry", "cosign", str(reg), line)


@pytest.fixture
def world(tmp_path: Path) -> World:
    exe = omega_cli()
    w = World(tmp_path, exe, "")
    for k in ("janitor", "owner", "witness"):
        w.omega("keygen", "-W", "-s", str(tmp_path / f"{k}.key"), "-p", str(tmp_path / f"{k}.pub"))
    janitor = (tmp_path / "janitor.pub").read_text().splitlines()[1].strip()
    vkey = w.omega("witness", "key", str(tmp_path / "witness.key"), "--name", "w1").strip()
    w.omega(
        "registry", "init", str(w.reg), "--origin", ORIGIN, "--mode", "open",
        "--janitor", janitor, "-s", str(tmp_path / "janitor.key"), "--witness", vkey,
    )
    w.publish(w.reg, "left-pad", "1.0.0", 1)
    w.publish(w.reg, "@py/greet", "0.1.0", 1)
    w.cosign(w.reg, "wstate")
    w.policy = (w.reg / "policy").read_text()
    return w


@pytest.fixture
def served(world: World) -> Iterator[Path]:
    """The folder nginx serves (a copy of the registry, so that tests can tamper with it)."""
    serve = world.root / "serve"
    shutil.copytree(world.reg, serve)
    yield serve


@pytest.fixture
def nginx(served: Path) -> Iterator[Nginx]:
    n = Nginx(served)
    try:
        yield n
    finally:
        n.stop()


def reserve(world: World, served: Path, src: Optional[Path] = None) -> None:
    shutil.rmtree(served)
    shutil.copytree(src or world.reg, served)


def test_served_registry_good(world: World, served: Path, nginx: Nginx) -> None:
    reg = ov.Registry(nginx.url, world.policy)
    assert reg.verified["origin"] == ORIGIN
    size = reg.verified["size"]
    rel = reg.release("left-pad")
    assert (rel.name, rel.version, rel.sequence) == ("left-pad", "1.0.0", 1)
    owner = (world.root / "owner.pub").read_text().splitlines()[1].strip()
    assert list(rel.report.signed_by) == [owner]
    assert rel.tarball == (served / "objects" / rel.tarball_hash[:2] / rel.tarball_hash).read_bytes()
    assert rel.tarball_hash == ov.blake2b256(rel.tarball).hex()
    scoped = reg.release("@py/greet", "0.1.0")
    assert scoped.name == "@py/greet"
    assert reg.notices("left-pad") == []
    # entry 0's SHA-256 is the genesis to store
    assert len(reg.genesis) == 64 and int(reg.genesis, 16) >= 0

    # Grow the registry; open again from the stored checkpoint and genesis: forward.
    note, genesis = reg.checkpoint, reg.genesis
    old = world.root / "old"
    shutil.copytree(served, old)
    world.publish(world.reg, "left-pad", "1.1.0", 2)
    world.cosign(world.reg, "wstate")
    reserve(world, served)
    again = ov.Registry(nginx.url, world.policy, checkpoint=note, genesis=genesis)
    assert again.verified["size"] > size
    assert again.release("left-pad").version == "1.1.0"
    assert again.checkpoint != note

    # A mirror behind the stored checkpoint (the old copy): the state must cover the stored
    # (larger) tree (threat model RR7/RB7), whose tiles that mirror does not serve, and the
    # reader keeps no tile cache: refused with STALE naming both sizes, never moved backwards.
    reserve(world, served, old)
    with pytest.raises(ov.OmegaError) as behind:
        ov.Registry(nginx.url, world.policy, checkpoint=again.checkpoint, genesis=genesis)
    assert behind.value.code == "STALE" and "older than the stored" in behind.value.message
    # The same mirror with the old note stored: no growth, the same checkpoint.
    same = ov.Registry(nginx.url, world.policy, checkpoint=note, genesis=genesis)
    assert same.checkpoint == note and same.verified["size"] == size
    # A wrong stored genesis is refused.
    with pytest.raises(ov.OmegaError) as e:
        ov.Registry(nginx.url, world.policy, genesis="00" * 32)
    assert e.value.code == "LOG_INCONSISTENT" and "genesis" in e.value.message


def test_served_registry_tampered_object(world: World, served: Path, nginx: Nginx) -> None:
    reg = ov.Registry(nginx.url, world.policy)
    tgz = reg.release("left-pad").tarball_hash
    obj = served / "objects" / tgz[:2] / tgz
    data = bytearray(obj.read_bytes())
    data[-1] ^= 1
    obj.write_bytes(bytes(data))
    with pytest.raises(ov.OmegaError) as e:
        reg.release("left-pad")
    assert e.value.code == "NOT_IN_LOG" and tgz in e.value.message
    # the registry stays usable for other releases
    assert reg.release("@py/greet").version == "0.1.0"


def test_served_registry_not_in_log(world: World, nginx: Nginx) -> None:
    reg = ov.Registry(nginx.url, world.policy)
    for name, version in (("no-such-pkg", None), ("left-pad", "9.9.9")):
        with pytest.raises(ov.OmegaError) as e:
            reg.release(name, version)
        assert e.value.code == "NOT_IN_LOG", e.value


def test_served_registry_stale_and_offline(world: World, nginx: Nginx) -> None:
    later = int(time.time()) + 3 * 86400
    with pytest.raises(ov.OmegaError) as e:
        ov.Registry(nginx.url, world.policy, now=later)
    assert e.value.code == "STALE"
    with pytest.raises(ov.OmegaError) as e2:
        ov.Registry(nginx.url, world.policy, max_age=0, now=later)
    assert e2.value.code == "STALE"
    reg = ov.Registry(nginx.url, world.policy, offline=True)
    with pytest.raises(TypeError):
        ov.Registry(nginx.url, world.policy, now=later, offline=True)
    assert reg.verified["freshness"]["state"] == "not_checked"


def test_served_registry_without_cosignature_is_quorum_not_met(world: World, served: Path, nginx: Nginx) -> None:
    cp = served / "checkpoint"
    lines = cp.read_text().split("\n")
    cp.write_text("\n".join(ln for ln in lines if not ln.startswith("— w1 ")))
    with pytest.raises(ov.OmegaError) as e:
        ov.Registry(nginx.url, world.policy)
    assert e.value.code == "QUORUM_NOT_MET"


def test_served_registry_forked(world: World, served: Path, nginx: Nginx) -> None:
    fork = world.root / "fork"
    shutil.copytree(world.reg, fork)
    # Both copies grow differently, each cosigned by a witness state of its own (a witness
    # that forgot, or two witnesses sharing a key).
    shutil.copytree(world.root / "wstate", world.root / "wstate-fork")
    world.publish(world.reg, "left-pad", "1.1.0", 2)
    world.cosign(world.reg, "wstate")
    world.publish(fork, "right-pad", "1.0.0", 1)
    world.cosign(fork, "wstate-fork")
    reserve(world, served)
    seen = ov.Registry(nginx.url, world.policy)
    note, genesis = seen.checkpoint, seen.genesis
    reserve(world, served, fork)
    with pytest.raises(ov.VerificationError) as e:
        ov.Registry(nginx.url, world.policy, checkpoint=note, genesis=genesis)
    assert e.value.code == "LOG_INCONSISTENT"
    assert e.value.evidence is not None and note.strip() in e.value.evidence
    # Without the stored checkpoint, the fork alone verifies (first use sees one view).
    assert ov.Registry(nginx.url, world.policy).release("right-pad").version == "1.0.0"


def test_served_registry_missing_file_and_http_errors(world: World, served: Path, nginx: Nginx) -> None:
    (served / "index" / "left-pad").unlink()
    reg = ov.Registry(nginx.url, world.policy)
    with pytest.raises(ov.NotFoundError) as e:
        reg.release("left-pad")
    assert e.value.code == "NOT_FOUND" and "index/left-pad" in e.value.message
    # a directory where a file is served: nginx answers 403, an IO error
    (served / "index" / "left-pad").mkdir()
    with pytest.raises(ov.OmegaIOError) as io:
        reg.release("left-pad")
    assert io.value.code == "IO" and "403" in io.value.message
    # nothing listening: IO
    port = free_port()
    with pytest.raises(ov.OmegaIOError):
        ov.Registry(f"http://127.0.0.1:{port}", world.policy, timeout=2)


def test_redirects_are_followed_to_http_only(world: World, served: Path) -> None:
    moved = served / "moved"
    moved.mkdir()
    shutil.copy(served / "checkpoint", moved / "checkpoint")
    n = Nginx(served, "    location = /checkpoint { return 302 /moved/checkpoint; }\n"
                      "    location = /policy { return 302 ftp://127.0.0.1/policy; }\n"
                      "    location = /index/left-pad { return 302 ftp://127.0.0.1/x; }\n")
    try:
        reg = ov.Registry(n.url, world.policy)  # the checkpoint through a same-site redirect
        with pytest.raises(ov.OmegaIOError) as e:
            reg.release("left-pad")
        assert e.value.code == "IO" and "not http or https" in e.value.message
        assert reg.release("@py/greet").version == "0.1.0"
    finally:
        n.stop()


def test_served_checkpoint_over_its_cap_is_read_only_to_the_cap(world: World, served: Path, nginx: Nginx) -> None:
    cp = served / "checkpoint"
    cp.write_bytes(cp.read_bytes() + b"\n" * (8 << 20))
    t = time.monotonic()
    with pytest.raises(ov.MalformedError) as e:
        ov.Registry(nginx.url, world.policy)
    assert e.value.code == "TOO_LARGE"
    assert time.monotonic() - t < 5
