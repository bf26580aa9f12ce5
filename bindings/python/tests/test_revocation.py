"""apply_revocation: a signed revocation statement applied to the bytes of an omega.lock (core's
`revoke`), with the project's revocation vectors and statements signed by the real minisign."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

import omega_verify as ov
from conftest import MinisignKey, project_cases

TREE = "b2tree:5b472f0ad42698f9db8c3aba09c982ce6621e3fa555a707403f1d015b1ae5d65"


def lock_of(packages: Dict[str, Any]) -> bytes:
    return json.dumps({"omega-lock": 1, "packages": packages}).encode()


@pytest.mark.parametrize("case", project_cases("revocation.json"), ids=lambda c: str(c["name"]))
def test_revocation_vectors(case: Dict[str, Any]) -> None:
    lock = lock_of({case["package"]: case["pinned"]})
    statement = case["statement"].encode()
    want = case["expect"]
    if json.loads(statement)["name"] != case["package"]:
        # A statement for another package: over a whole lock, that package has no entry.
        want = {"error": "NOT_FOUND"}
    if "error" in want:
        with pytest.raises(ov.OmegaError) as e:
            ov.apply_revocation(lock, statement, case["signature"])
        assert e.value.code == want["error"]
    else:
        out = json.loads(ov.apply_revocation(lock, statement, case["signature"]))
        assert out["packages"][case["package"]] == want["entry"]


def pinned_by(key: MinisignKey, path: str) -> Dict[str, Any]:
    return {
        "version": "1.0.0",
        "sequence": 1,
        "tree": TREE,
        "keys": {"threshold": 1, "signers": [key.bare], "next": []},
        "signed_by": [key.bare],
        "path": path,
    }


def statement_file(tmp_path: Path, key: MinisignKey) -> Path:
    f = tmp_path / "revoke.json"
    f.write_text(json.dumps({"omega-revoke": 1, "name": "ms", "key": key.bare, "reason": "stolen"}))
    return f


def test_self_signed_statement_revokes_every_install(tmp_path: Path, mkey: MinisignKey) -> None:
    nested = "node_modules/foo/node_modules/ms"
    lock = lock_of({"ms": pinned_by(mkey, "node_modules/ms"), nested: pinned_by(mkey, nested)})
    stmt = statement_file(tmp_path, mkey)
    sig = mkey.sign(stmt)
    out = json.loads(ov.apply_revocation(lock, stmt.read_bytes(), sig.read_text()))
    for key in ("ms", nested):
        entry = out["packages"][key]
        assert entry["revoked"] == [mkey.bare]
        assert entry["keys"]["signers"] == []
        assert "signed_by" not in entry


def test_statement_by_an_outsider_is_refused(
    tmp_path: Path, mkey: MinisignKey, mkey2: MinisignKey
) -> None:
    # The attack: someone else tries to revoke (and so freeze) the pinned key.
    lock = lock_of({"ms": pinned_by(mkey, "node_modules/ms")})
    stmt = statement_file(tmp_path, mkey)
    sig = mkey2.sign(stmt)
    with pytest.raises(ov.VerificationError) as e:
        ov.apply_revocation(lock, stmt.read_bytes(), sig.read_bytes())
    assert e.value.code == "KEY_NOT_TRUSTED"
    # A statement changed after signing.
    good = mkey.sign(stmt)
    with pytest.raises(ov.VerificationError) as e:
        ov.apply_revocation(lock, stmt.read_bytes() + b" ", good.read_text())
    assert e.value.code == "SIGNATURE_INVALID"


def test_bad_inputs(tmp_path: Path, mkey: MinisignKey) -> None:
    lock = lock_of({"ms": pinned_by(mkey, "node_modules/ms")})
    stmt = statement_file(tmp_path, mkey)
    sig = mkey.sign(stmt).read_text()
    with pytest.raises(ov.MalformedError) as e:
        ov.apply_revocation(b"{", stmt.read_bytes(), sig)
    assert e.value.code == "MALFORMED"
    with pytest.raises(ov.NotFoundError) as nf:
        ov.apply_revocation(lock_of({}), stmt.read_bytes(), sig)
    assert nf.value.code == "NOT_FOUND"
    with pytest.raises(TypeError):
        ov.apply_revocation("not bytes", stmt.read_bytes(), sig)  # type: ignore[arg-type]
