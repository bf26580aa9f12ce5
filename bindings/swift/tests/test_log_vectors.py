"""The log vectors (tests/vectors/notes.json, log_proofs.json, statements.json; README there)
run WHOLE through the uniffi log API (src/log.rs), over the C ABI that Swift and Kotlin call,
with the per-kind case counts asserted.

Skipped, by kind, and counted: log_proofs ``publish`` (the publisher writes tiles; the
bindings verify, they do not publish). A ``tile_log`` ``bundle`` request is run by reading
every entry of the bundle with ``read_entry``. ``verify_inclusion`` takes a leaf hash (hex);
an entry's is ``leaf_hash(entry)``.
"""

import base64
import json
from collections import Counter

import pytest

from helpers import load_cases

SKIPPED_KINDS = {"log_proofs.json": ["publish"]}


def outcome(ov, fn, ok):
    try:
        v = fn()
    except ov.OmegaError as e:
        return {"error": e.code()}
    return ok(v)


def note_bytes(c) -> bytes:
    if "note_base64" in c:
        return base64.b64decode(c["note_base64"])
    return c["note"].encode()


def freshness(ov, f):
    if isinstance(f, ov.Freshness.FRESH):
        return {"fresh": f.as_of}
    if isinstance(f, ov.Freshness.NOT_WITNESSED):
        return "not_witnessed"
    assert isinstance(f, ov.Freshness.NOT_CHECKED), f
    return "not_checked"


def notes_case(ov, c):
    kind = c["kind"]
    if kind == "note":
        return outcome(ov, lambda: ov.verify_note(note_bytes(c), c["keys"]), lambda v: {"verified": [
            {"name": s.name, "key_id": s.key_id, "type": s.key_type, "timestamp": s.timestamp} for s in v.verified
        ]})
    if kind == "checkpoint":
        return outcome(
            ov,
            lambda: ov.verify_checkpoint(note_bytes(c), c["policy"], now=c["now"], max_age=c["max_age"]),
            lambda v: {
                "origin": v.origin, "size": v.size, "root": v.root,
                "witnesses": [[w.name, w.time] for w in v.witnesses],
                "freshness": freshness(ov, v.freshness),
            },
        )
    if kind == "policy":
        return outcome(ov, lambda: ov.parse_policy(c["policy"]), lambda v: {"text": v.text})
    if kind == "index":
        return outcome(
            ov,
            lambda: ov.verify_index(note_bytes(c), c["index_key"], c["origin"], c["package"], c["checkpoint_size"], now=c["now"]),
            lambda v: {"text": v.text, "lines": len(v.lines)},
        )
    raise AssertionError(f"{c['name']}: unknown kind {kind}")


def test_notes_json_whole(ov, vectors_dir):
    cases = load_cases(vectors_dir / "notes.json")
    for c in cases:
        assert notes_case(ov, c) == c["expect"], c["name"]
    assert Counter(c["kind"] for c in cases) == {"note": 27, "checkpoint": 20, "policy": 12, "index": 11}


def tile_request(ov, c, req):
    tiles = {p: bytes.fromhex(h) for p, h in c["tiles"].items()}
    if req["proof"] == "inclusion":
        return outcome(ov, lambda: ov.prove_inclusion(req["index"], c["size"], c["root"], tiles),
                       lambda v: {"leaf_hash": v.leaf_hash, "proof": v.proof})
    if req["proof"] == "consistency":
        return outcome(ov, lambda: ov.prove_consistency(req["size1"], c["size"], req["root1"], c["root"], tiles),
                       lambda p: {"proof": p})
    if req["proof"] == "bundle":
        p = ov.parse_tile_path(req["path"])
        first = p.index * 256
        return outcome(ov, lambda: [ov.read_entry(i, c["size"], c["root"], tiles).hex() for i in range(first, first + p.width)],
                       lambda es: {"entries": es})
    raise AssertionError(f"{c['name']}: unknown request {req['proof']}")


def proofs_case(ov, c, counts):
    kind = c["kind"]
    if kind == "leaf_hash":
        return {"hash": ov.leaf_hash(bytes.fromhex(c["entry"]))}
    if kind == "root":
        return {"root": ov.merkle_root([bytes.fromhex(e) for e in c["entries"]])}
    if kind == "inclusion":
        return outcome(ov, lambda: ov.verify_inclusion(c["index"], c["size"], c["leaf_hash"], c["proof"], c["root"]),
                       lambda _: {"valid": True})
    if kind == "consistency":
        return outcome(ov, lambda: ov.verify_consistency(c["size1"], c["size2"], c["root1"], c["root2"], c["proof"]),
                       lambda _: {"valid": True})
    if kind == "tile_path":
        def fields(v):
            o = {"kind": v.kind, "index": v.index, "width": v.width}
            if v.kind == "hashes":
                o["level"] = v.level
            else:
                assert v.level is None
            return o
        return outcome(ov, lambda: ov.parse_tile_path(c["path"]), fields)
    if kind == "tiles_for_root":
        return {"paths": ov.tiles_for_root(c["size"])}
    if kind == "tiles_for_inclusion":
        return outcome(ov, lambda: ov.tiles_for_inclusion(c["index"], c["size"]), lambda p: {"paths": p})
    if kind == "tiles_for_consistency":
        return outcome(ov, lambda: ov.tiles_for_consistency(c["size1"], c["size2"]), lambda p: {"paths": p})
    if kind == "bundle":
        return outcome(ov, lambda: ov.parse_bundle(bytes.fromhex(c["bundle"]), c["width"]),
                       lambda es: {"entries": [e.hex() for e in es]})
    if kind == "tile_log":
        for req in c["requests"]:
            counts["requests"] += 1
            assert tile_request(ov, c, req) == req["expect"], (c["name"], req)
        return c.get("expect")
    raise AssertionError(f"{c['name']}: unknown kind {kind}")


def test_log_proofs_json_whole(ov, vectors_dir):
    counts = Counter()
    for c in load_cases(vectors_dir / "log_proofs.json"):
        counts[c["kind"]] += 1
        if c["kind"] in SKIPPED_KINDS["log_proofs.json"]:
            counts["skipped"] += 1
            continue
        assert proofs_case(ov, c, counts) == c.get("expect"), c["name"]
    assert counts == {
        "requests": 15, "skipped": 1, "leaf_hash": 4, "root": 7, "inclusion": 14, "consistency": 13,
        "tile_path": 23, "tiles_for_root": 6, "tiles_for_inclusion": 3, "tiles_for_consistency": 3,
        "tile_log": 6, "bundle": 9, "publish": 1,
    }


def test_statements_json_whole(ov, vectors_dir):
    cases = load_cases(vectors_dir / "statements.json")
    for c in cases:
        kind, expect, name = c["kind"], c["expect"], c["name"]
        if kind == "statement":
            def st(v):
                assert v.text == c["statement"], f"{name}: canonical"
                return {"type": v.kind}
            assert outcome(ov, lambda: ov.parse_statement(c["statement"].encode()), st) == expect, name
        elif kind == "entry":
            def en(v):
                assert v.text == c["entry"], f"{name}: canonical"
                return {"type": v.kind, "signatures": len(v.signatures)}
            assert outcome(ov, lambda: ov.parse_entry(c["entry"].encode()), en) == expect, name
        elif kind == "log":
            r = ov.replay_log([e.encode() for e in c["entries"]])
            assert r.verdicts == expect["verdicts"], name
            assert len(r.errors) == sum(v != "ok" for v in r.verdicts), name
            for e in r.errors:
                assert r.verdicts[e.index] == e.code, name
                assert f"entry {e.index}" in e.message, (name, e.message)
            assert r.genesis == expect["genesis"], name
            state = None if r.state_json is None else json.loads(r.state_json)
            assert state == expect["state"], name
        else:
            raise AssertionError(f"{name}: unknown kind {kind}")
    assert Counter(c["kind"] for c in cases) == {"statement": 37, "entry": 11, "log": 9}


def test_tile_form_end_to_end(ov, vectors_dir):
    """A host fetches exactly what tiles_for_inclusion and bundle_for_entry name."""
    c = next(x for x in load_cases(vectors_dir / "log_proofs.json") if x["name"] == "tile_log_300")
    all_tiles = {p: bytes.fromhex(h) for p, h in c["tiles"].items()}
    want = ov.tiles_for_inclusion(299, c["size"]) + [ov.bundle_for_entry(299, c["size"])]
    fetched = {p: all_tiles[p] for p in want}
    proof = ov.prove_inclusion(299, c["size"], c["root"], fetched)
    entry = ov.read_entry(299, c["size"], c["root"], fetched)
    assert ov.leaf_hash(entry) == proof.leaf_hash
    ov.verify_inclusion(299, c["size"], proof.leaf_hash, proof.proof, c["root"])
    with pytest.raises(ov.OmegaError.NotFound):
        ov.prove_inclusion(299, c["size"], c["root"], {})
