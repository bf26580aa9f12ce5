"""The registry client for Swift and Kotlin (src/registry.rs): the object ``Registry`` over a
foreign ``RegistryFetcher``, driven here through the same C ABI with a fetcher implemented in
Python (as a Swift or Kotlin class implements the protocol/interface).

tests/vectors/client.json runs WHOLE through it (the verdicts and codes of
core/tests/driver.rs), then the API: properties, notices, per-release errors that leave the
registry usable, a fetcher that throws, caps, arguments, threads.
"""

import base64
import threading
from collections import Counter

import pytest

from conftest import REPO

VECTORS = REPO / "tests" / "vectors" / "client.json"


def load_doc():
    import json

    return json.loads(VECTORS.read_text(encoding="utf-8"))


def vector_files(doc, case):
    files = {p: base64.b64decode(b) for p, b in doc["files"].items()}
    files.update({p: base64.b64decode(b) for p, b in case.get("replace", {}).items()})
    files["checkpoint"] = case["checkpoint"].encode()
    return files


def fetcher_class(ov):
    class DictFetcher(ov.RegistryFetcher):
        """Serves a dict of files at BASE; records (url, limit) of every call."""

        def __init__(self, base, files):
            self.base = base
            self.files = files
            self.calls = []
            self.fail = None
            self.lock = threading.Lock()

        def get(self, url, limit):
            assert url.startswith(self.base + "/"), url
            with self.lock:
                self.calls.append((url, limit))
            if self.fail is not None and self.fail(url):
                raise ov.OmegaError.Io("connection reset", None)
            return self.files.get(url[len(self.base) + 1:])

    return DictFetcher


def run_case(ov, doc, case):
    f = fetcher_class(ov)("https://vectors.example", vector_files(doc, case))
    try:
        reg = ov.Registry(
            "https://vectors.example",
            doc["policy"],
            f,
            checkpoint=case.get("pinned"),
            genesis=doc["genesis"],
            max_age=case["max_age"],
            now=case["now"],
            offline=case["now"] is None,
        )
        rel = reg.release(case["package"], case.get("version"), case["accept_notices"])
    except ov.OmegaError as e:
        return {"error": e.code()}
    return {
        "version": rel.version,
        "sequence": rel.sequence,
        "entry": rel.entry,
        "signed_by": rel.report.signed_by,
        "checkpoint_size": ov.verify_checkpoint(reg.checkpoint().encode(), doc["policy"], None, 1).size,
        "notices": [n.id for n in rel.notices],
    }


def test_client_vectors_through_the_registry(ov):
    doc = load_doc()
    for case in doc["cases"]:
        assert run_case(ov, doc, case) == case["expect"], case["name"]
    outcome = Counter("error" if "error" in c["expect"] else "ok" for c in doc["cases"])
    assert outcome == {"ok": 6, "error": 8}


@pytest.fixture
def good(ov):
    doc = load_doc()
    case = doc["cases"][0]
    f = fetcher_class(ov)("https://v.example", vector_files(doc, case))
    reg = ov.Registry("https://v.example/", doc["policy"], f, genesis=doc["genesis"], max_age=3600, now=case["now"])
    return reg, f, doc


def test_properties_and_release_fields(ov, good):
    reg, f, doc = good
    v = reg.verified()
    assert (v.origin, v.size) == (doc["origin"], 9)
    assert [w.name for w in v.witnesses] == ["w1"]
    assert isinstance(v.freshness, ov.Freshness.FRESH)
    assert reg.genesis() == doc["genesis"]
    assert reg.checkpoint() == v.note
    # core's Reader::checkpoint_json, as in Node, WASM and Python
    assert (v.keep, v.genesis) == (reg.checkpoint(), reg.genesis())
    assert (v.proven.size, v.proven.root) == (v.size, v.root)
    assert reg.witness_text().startswith("cosigned by w1 at ")
    assert reg.url() == "https://v.example"
    assert f.calls[0][0] == "https://v.example/checkpoint"
    # every call is given the path's cap + 1
    assert all(limit >= 2 for _, limit in f.calls)
    opened = len(f.calls)
    rel = reg.release("left-pad", accept_notices=["OMEGA-1"])
    assert f.calls[opened][0] == "https://v.example/index/left-pad"
    tgz_call = [limit for url, limit in f.calls if url.endswith(rel.tarball_hash)]
    assert tgz_call == [rel.size + 1]
    assert rel.tarball_hash == ov.blake2b256(rel.tarball).hex()
    assert rel.manifest_hash == ov.blake2b256(rel.manifest).hex()
    assert rel.checkpoint == reg.checkpoint()
    assert rel.report.tree == rel.tree
    assert rel.yanked is None and rel.revoked_signers == []
    assert reg.fetched_bytes() > rel.size
    (n,) = reg.notices("left-pad", None)
    assert (n.id, n.severity, [(r.first, r.last) for r in n.affected]) == ("OMEGA-1", "critical", [(1, 1)])
    assert reg.notices("left-pad", 2) == []
    with pytest.raises(ov.OmegaError.NotInLog):
        reg.notices("no-such-pkg", None)
    # A fixed clock: core's re-open rule never re-opens (the checkpoint was fetched once).
    assert [u for u, _ in f.calls].count("https://v.example/checkpoint") == 1


def test_release_errors_leave_the_registry_usable(ov, good):
    reg, f, _ = good
    with pytest.raises(ov.OmegaError.KeyNotTrusted):
        reg.release("left-pad", "1.0.0")
    with pytest.raises(ov.OmegaError.NotFound):
        reg.release("right-pad", "1.1.0")
    assert reg.release("right-pad", "1.1.0", allow_yanked=True).yanked is not None
    # a fetcher that throws mid-release: IO, and the next release works
    f.fail = lambda url: "/objects/" in url
    with pytest.raises(ov.OmegaError.Io) as e:
        reg.release("left-pad", accept_notices=["OMEGA-1"])
    assert "connection reset" in e.value.detail
    f.fail = None
    assert reg.release("left-pad", accept_notices=["OMEGA-1"]).version == "1.1.0"


def test_a_fetcher_raising_another_exception_is_io(ov):
    doc = load_doc()

    class Broken(ov.RegistryFetcher):
        def get(self, url, limit):
            raise RuntimeError("boom")

    with pytest.raises(ov.OmegaError.Io) as e:
        ov.Registry("https://x.example", doc["policy"], Broken())
    assert "fetcher" in str(e.value)


def test_caps_and_arguments(ov):
    doc = load_doc()
    case = doc["cases"][0]
    files = vector_files(doc, case)
    files["checkpoint"] += b"x" * (1 << 20)
    f = fetcher_class(ov)("https://v.example", files)
    with pytest.raises(ov.OmegaError.TooLarge):
        ov.Registry("https://v.example", doc["policy"], f, now=case["now"], max_age=3600)
    nothing = fetcher_class(ov)("https://x.example", {})
    with pytest.raises(ov.OmegaError.NotFound):
        ov.Registry("https://x.example", doc["policy"], nothing)
    with pytest.raises(ov.OmegaError.Malformed):
        ov.Registry("https://x.example", doc["policy"], nothing, genesis="00" * 31)
    with pytest.raises(ov.OmegaError.Malformed):
        ov.Registry("https://x.example", "not a policy", nothing)
    with pytest.raises(ov.OmegaError.Malformed):
        ov.Registry("https://x.example", doc["policy"], nothing, checkpoint="x\n")
    # RD18: now and offline together are refused.
    with pytest.raises(ov.OmegaError.Malformed):
        ov.Registry("https://x.example", doc["policy"], nothing, now=1, offline=True)


def test_rd12_rd17_partial_bundle_over_its_width_and_a_fetcher_ignoring_the_limit(ov):
    doc = load_doc()
    case = doc["cases"][0]
    files = vector_files(doc, case)
    files["tile/entries/000.p/9"] = b"\1" * (1 << 20)

    class Greedy(ov.RegistryFetcher):
        # A fetcher that ignores `limit` and hands back everything.
        def get(self, url, limit):
            return files.get(url[len("https://v.example/"):])

    with pytest.raises(ov.OmegaError.TooLarge) as e:
        ov.Registry("https://v.example", doc["policy"], Greedy(), now=case["now"], max_age=3600)
    assert "000.p/9" in str(e.value)


def test_fork_against_the_stored_checkpoint_carries_the_evidence(ov):
    doc = load_doc()
    case = next(c for c in doc["cases"] if c["name"] == "fail-fork-against-pinned")
    f = fetcher_class(ov)("https://v.example", vector_files(doc, case))
    with pytest.raises(ov.OmegaError.LogInconsistent) as e:
        ov.Registry("https://v.example", doc["policy"], f, checkpoint=case["pinned"], genesis=doc["genesis"],
                    max_age=3600, now=case["now"])
    assert "evidence:" in e.value.detail and case["pinned"].strip().splitlines()[0] in e.value.detail


def test_threads_share_one_registry(ov, good):
    reg, _, _ = good
    out, errors = [], []

    def read():
        try:
            for _ in range(3):
                out.append(reg.release("left-pad", accept_notices=["OMEGA-1"]).version)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and out == ["1.1.0"] * 12


def test_rd20_owner_keys_pinned_refuse_another_owner(ov, good):
    """As Node, WASM and Python: a release gives its name's owners; pinned back as
    ``owner_keys``, they let the same owners' releases through and refuse a name whose owners
    are none of them (KeyNotTrusted)."""
    reg, _, _ = good
    rel = reg.release("left-pad", accept_notices=["OMEGA-1"])
    assert rel.owners.keys == list(rel.report.signed_by)
    assert rel.owners.entry < rel.entry
    again = reg.release("left-pad", accept_notices=["OMEGA-1"], owner_keys=rel.owners.keys)
    assert again.owners == rel.owners
    # Another key pinned: the point's last byte changed until it is a valid point.
    b = bytearray(base64.b64decode(rel.owners.keys[0]))
    first = b[41]
    kinds = []
    for i in range(1, 64):
        b[41] = (first + i) % 256
        try:
            reg.release("left-pad", accept_notices=["OMEGA-1"], owner_keys=[base64.b64encode(bytes(b)).decode()])
            kinds.append("OK")
        except ov.OmegaError.Malformed:
            kinds.append("Malformed")
            continue
        except ov.OmegaError.KeyNotTrusted:
            kinds.append("KeyNotTrusted")
        break
    assert kinds[-1] == "KeyNotTrusted", kinds
    with pytest.raises(ov.OmegaError.Malformed):
        reg.release("left-pad", owner_keys=["not a key"])
