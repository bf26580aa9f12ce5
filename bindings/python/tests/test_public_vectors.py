"""Public conformance vectors (shared/vectors beside the repository, or $OMEGA_SHARED_VECTORS)
through verify_ed25519 and blake2b256. A missing file fails; every test asserts the number of
cases it ran, so a trimmed file is noticed.

BLAKE2b: only BLAKE2b-256 is exposed, and the public KATs are BLAKE2b-512 (the output length
is a parameter of the hash, so they are different functions). BLAKE2b-256 is checked against
values computed with GNU `b2sum -l 256` (written down once, and recomputed now when b2sum is
on the machine — scripts/setup.sh installs it) and against Python's hashlib.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from typing import Any, Dict, List, Tuple

import pytest

import omega_verify as ov
from conftest import load_json, shared_vectors_dir

Case = Tuple[str, bytes, bytes, bytes, bool]


def wycheproof() -> List[Case]:
    doc = load_json(shared_vectors_dir() / "wycheproof" / "ed25519_test.json")
    cases: List[Case] = []
    for g in doc["testGroups"]:
        pk = bytes.fromhex(g["publicKey"]["pk"])
        for t in g["tests"]:
            assert t["result"] in ("valid", "invalid"), t  # this version has no "acceptable"
            cases.append((
                f"tcId {t['tcId']} {t['flags']}", pk, bytes.fromhex(t["msg"]),
                bytes.fromhex(t["sig"]), t["result"] == "valid",
            ))
    assert doc["numberOfTests"] == len(cases)
    return cases


def test_wycheproof_ed25519_all_151() -> None:
    cases = wycheproof()
    assert len(cases) == 151
    assert sum(c[4] for c in cases) == 88
    wrong = [c[0] for c in cases if ov.verify_ed25519(c[1], c[2], c[3]) is not c[4]]
    assert wrong == []


def test_rfc8032_section_7_1() -> None:
    doc = load_json(shared_vectors_dir() / "rfc8032" / "ed25519_rfc8032_section7_1.json")
    vs: List[Dict[str, Any]] = doc["vectors"]
    assert [v["name"] for v in vs] == ["TEST 1", "TEST 2", "TEST 3", "TEST 1024", "TEST SHA(abc)"]
    for v in vs:
        pk, msg, sig = (bytes.fromhex(v[k]) for k in ("public_key", "message", "signature"))
        assert len(msg) == v["message_length"]
        assert ov.verify_ed25519(pk, msg, sig) is True, v["name"]
        bad = bytearray(sig)
        bad[0] ^= 1
        assert ov.verify_ed25519(pk, msg, bytes(bad)) is False, v["name"]


def test_speccheck_12_cases_strict() -> None:
    """ed25519-speccheck: the strict rule (dalek verify_strict) accepts case 3 only."""
    doc = load_json(shared_vectors_dir() / "ed25519-speccheck" / "cases_annotated.json")
    cases = doc["cases"]
    assert len(cases) == 12
    accepted = [
        c["index"] for c in cases
        if ov.verify_ed25519(bytes.fromhex(c["pub_key"]), bytes.fromhex(c["message"]), bytes.fromhex(c["signature"]))
    ]
    assert accepted == [3]


def test_cctv_914_vectors_strict() -> None:
    """C2SP CCTV: verify_strict accepts exactly the vectors whose flags are all allowed."""
    doc = load_json(shared_vectors_dir() / "cctv-ed25519" / "ed25519vectors_annotated.json")
    allowed = set(doc["verify_strict_allowed_flags"])
    assert allowed == {"low_order_component_A", "low_order_component_R"}
    vs = doc["vectors"]
    assert len(vs) == 914
    expect = [set(v["flags"]) <= allowed for v in vs]
    assert sum(expect) == 43
    got = [ov.verify_ed25519(bytes.fromhex(v["key"]), v["msg"].encode(), bytes.fromhex(v["sig"])) for v in vs]
    assert [v["number"] for v, e, g in zip(vs, expect, got) if e != g] == []


# BLAKE2b-256 of these inputs, from `b2sum -l 256` (GNU coreutils 9.1).
B2SUM_256 = [
    (b"", "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"),
    (b"abc", "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"),
    (b"The quick brown fox jumps over the lazy dog", "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9"),
    (bytes(1000), "919da92d5040aeac86a75eb4125da3d0a9423bae8ae422b733b755f7baa8dadf"),
]


def inputs() -> List[bytes]:
    """Lengths around BLAKE2b's 128-byte block, the GIL-release threshold and 1 MiB."""
    out = [bytes(range(256))[:n] for n in (1, 63, 64, 127, 128, 129, 255, 256)]
    out += [bytes(i % 251 for i in range(n)) for n in (2047, 2048, 2049, 1 << 20)]
    return out


def test_blake2b256_known_values() -> None:
    for data, want in B2SUM_256:
        assert ov.blake2b256(data).hex() == want


def test_blake2b256_against_b2sum() -> None:
    b2sum = shutil.which("b2sum")
    if b2sum is None:
        pytest.fail("b2sum is needed (GNU coreutils; scripts/setup.sh installs it)", pytrace=False)
    datas = [d for d, _ in B2SUM_256] + inputs()
    for data in datas:
        out = subprocess.run([b2sum, "-l", "256"], input=data, capture_output=True, check=True).stdout
        assert ov.blake2b256(data).hex() == out.split()[0].decode(), len(data)
    assert len(datas) == 16


def test_blake2b256_against_hashlib() -> None:
    for data in inputs():
        assert ov.blake2b256(data) == hashlib.blake2b(data, digest_size=32).digest()
