"""The log vectors (tests/vectors/notes.json, log_proofs.json, statements.json; README there)
run WHOLE through the Python log API, with the verdicts and codes of core's runners
(core/tests/notes.rs, tiles.rs, statements.rs), and the per-kind case counts asserted.

Skipped, by kind, and counted: log_proofs ``publish`` (the publisher writes tiles; the
bindings verify, they do not publish). A ``tile_log`` ``bundle`` request is run by reading
every entry of the bundle with ``read_entry`` (each one proven by the bundle and the tiles).
"""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any, Callable, Dict, List, TypeVar

import pytest

import omega_verify as ov
from conftest import project_cases

SKIPPED_KINDS = {"log_proofs.json": ["publish"]}

T = TypeVar("T")


def outcome(fn: Callable[[], T], ok: Callable[[T], Any]) -> Any:
    try:
        v = fn()
    except ov.OmegaError as e:
        return {"error": e.code}
    return ok(v)


def note_bytes(c: Dict[str, Any]) -> bytes:
    if "note_base64" in c:
        return base64.b64decode(c["note_base64"])
    text: str = c["note"]
    return text.encode()


def notes_case(c: Dict[str, Any]) -> Any:
    kind = c["kind"]
    if kind == "note":
        return outcome(
            lambda: ov.verify_note(note_bytes(c), c["keys"]),
            lambda v: {"verified": [dict(s) for s in v["verified"]]},
        )
    if kind == "checkpoint":
        def fresh(f: ov._omega_verify.Freshness) -> Any:
            return {"fresh": f["as_of"]} if f["state"] == "fresh" else f["state"]

        return outcome(
            lambda: ov.verify_checkpoint(note_bytes(c), c["policy"], now=c["now"], max_age=c["max_age"]),
            lambda v: {
                "origin": v["origin"],
                "size": v["size"],
                "root": v["root"],
                "witnesses": [[w["name"], w["time"]] for w in v["witnesses"]],
                "freshness": fresh(v["freshness"]),
            },
        )
    if kind == "policy":
        return outcome(lambda: ov.parse_policy(c["policy"]), lambda v: {"text": v["text"]})
    if kind == "index":
        return outcome(
            lambda: ov.verify_index(
                note_bytes(c), c["index_key"], origin=c["origin"], name=c["package"],
                checkpoint_size=c["checkpoint_size"], now=c["now"],
            ),
            lambda v: {"text": v["text"], "lines": len(v["lines"])},
        )
    raise AssertionError(f"{c['name']}: unknown kind {kind}")


def test_notes_json_whole() -> None:
    cases = project_cases("notes.json")
    for c in cases:
        assert notes_case(c) == c["expect"], c["name"]
    counts = Counter(c["kind"] for c in cases)
    assert counts == {"note": 27, "checkpoint": 20, "policy": 12, "index": 11}


def tile_request(c: Dict[str, Any], req: Dict[str, Any]) -> Any:
    tiles = {p: bytes.fromhex(h) for p, h in c["tiles"].items()}
    if req["proof"] == "inclusion":
        return outcome(
            lambda: ov.prove_inclusion(req["index"], c["size"], c["root"], tiles),
            lambda v: {"leaf_hash": v["leaf_hash"], "proof": v["proof"]},
        )
    if req["proof"] == "consistency":
        return outcome(
            lambda: ov.prove_consistency(req["size1"], c["size"], req["root1"], c["root"], tiles),
            lambda v: {"proof": v["proof"]},
        )
    if req["proof"] == "bundle":
        p = ov.parse_tile_path(req["path"])
        first = p["index"] * 256
        return outcome(
            lambda: [ov.read_entry(i, c["size"], c["root"], tiles).hex() for i in range(first, first + p["width"])],
            lambda es: {"entries": es},
        )
    raise AssertionError(f"{c['name']}: unknown request {req['proof']}")


def proofs_case(c: Dict[str, Any], counts: Counter[str]) -> Any:
    kind = c["kind"]
    if kind == "leaf_hash":
        return {"hash": ov.leaf_hash(bytes.fromhex(c["entry"]))}
    if kind == "root":
        return {"root": ov.merkle_root([bytes.fromhex(e) for e in c["entries"]])}
    if kind == "inclusion":
        return outcome(
            lambda: ov.verify_inclusion(c["index"], c["size"], c["leaf_hash"], c["proof"], c["root"]),
            lambda v: {"valid": v},
        )
    if kind == "consistency":
        return outcome(
            lambda: ov.verify_consistency(c["size1"], c["size2"], c["root1"], c["root2"], c["proof"]),
            lambda v: {"valid": v},
        )
    if kind == "tile_path":
        def fields(v: ov._omega_verify.TilePathInfo) -> Dict[str, Any]:
            o: Dict[str, Any] = {"kind": v["kind"], "index": v["index"], "width": v["width"]}
            if v["kind"] == "hashes":
                o["level"] = v["level"]
            else:
                assert v["level"] is None
            return o

        return outcome(lambda: ov.parse_tile_path(c["path"]), fields)
    if kind == "tiles_for_root":
        return outcome(lambda: ov.tiles_for_root(c["size"]), lambda p: {"paths": p})
    if kind == "tiles_for_inclusion":
        return outcome(lambda: ov.tiles_for_inclusion(c["index"], c["size"]), lambda p: {"paths": p})
    if kind == "tiles_for_consistency":
        return outcome(lambda: ov.tiles_for_consistency(c["size1"], c["size2"]), lambda p: {"paths": p})
    if kind == "bundle":
        return outcome(
            lambda: ov.parse_bundle(bytes.fromhex(c["bundle"]), c["width"]),
            lambda es: {"entries": [e.hex() for e in es]},
        )
    if kind == "tile_log":
        for req in c["requests"]:
            counts["requests"] += 1
            assert tile_request(c, req) == req["expect"], (c["name"], req)
        return c.get("expect")  # a tile_log case's outcomes are its requests'

    raise AssertionError(f"{c['name']}: unknown kind {kind}")


def test_log_proofs_json_whole() -> None:
    cases = project_cases("log_proofs.json")
    counts: Counter[str] = Counter()
    for c in cases:
        counts[c["kind"]] += 1
        if c["kind"] in SKIPPED_KINDS["log_proofs.json"]:
            counts["skipped"] += 1
            continue
        assert proofs_case(c, counts) == c.get("expect"), c["name"]
    assert counts == {
        "requests": 15, "skipped": 1, "leaf_hash": 4, "root": 7, "inclusion": 14, "consistency": 13,
        "tile_path": 23, "tiles_for_root": 6, "tiles_for_inclusion": 3, "tiles_for_consistency": 3,
        "tile_log": 6, "bundle": 9, "publish": 1,
    }


def test_statements_json_whole() -> None:
    cases = project_cases("statements.json")
    for c in cases:
        kind, expect, name = c["kind"], c["expect"], c["name"]
        if kind == "statement":
            def st(v: ov._omega_verify.ParsedStatement) -> Any:
                assert v["text"] == c["statement"], f"{name}: canonical"
                return {"type": v["type"]}

            assert outcome(lambda: ov.parse_statement(c["statement"]), st) == expect, name
        elif kind == "entry":
            def en(v: ov._omega_verify.ParsedEntry) -> Any:
                assert v["text"] == c["entry"], f"{name}: canonical"
                return {"type": v["type"], "signatures": len(v["signatures"])}

            assert outcome(lambda: ov.parse_entry(c["entry"]), en) == expect, name
        elif kind == "log":
            entries: List[str] = c["entries"]
            r = ov.replay_log(entries)
            assert r["verdicts"] == expect["verdicts"], name
            assert len(r["errors"]) == sum(v != "ok" for v in r["verdicts"]), name
            for e in r["errors"]:
                assert r["verdicts"][e["index"]] == e["code"], name
                assert f"entry {e['index']}" in e["message"], (name, e)
            assert r["genesis"] == expect["genesis"], name
            assert r["state"] == expect["state"], name
        else:
            raise AssertionError(f"{name}: unknown kind {kind}")
    assert Counter(c["kind"] for c in cases) == {"statement": 37, "entry": 11, "log": 9}


@pytest.mark.parametrize("tamper", ["leaf", "root"])
def test_the_runner_can_fail(tamper: str) -> None:
    """The comparisons above are real: a wrong value changes the verdict."""
    c = next(c for c in project_cases("log_proofs.json") if c["name"] == "inclusion_0_of_13")
    leaf, root = c["leaf_hash"], c["root"]
    if tamper == "leaf":
        leaf = "00" * 32
    else:
        root = "00" * 32
    with pytest.raises(ov.VerificationError) as e:
        ov.verify_inclusion(c["index"], c["size"], leaf, c["proof"], root)
    assert e.value.code == "NOT_IN_LOG"
