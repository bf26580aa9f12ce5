"""verify_signify: detached signify signatures (tests/signify/vectors.json, made by
signify-openbsd and checked against it by core/tests/signify_interop.rs)."""

import json
from pathlib import Path
from typing import Any

import pytest

import omega_verify as ov

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "signify" / "vectors.json"


def load() -> Any:
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def test_verify_signify_vectors() -> None:
    doc = load()
    assert len(doc["cases"]) >= 10
    for c in doc["cases"]:
        key = doc["keys"][c["key"]]
        for message, signature in (
            (c["message"].encode(), c["signature"]),
            (bytearray(c["message"].encode()), c["signature"].encode()),
        ):
            if c["expect"] is None:
                ov.verify_signify(message, signature, key)  # returns None; raises otherwise
            else:
                with pytest.raises(ov.OmegaError) as ei:
                    ov.verify_signify(message, signature, key)
                assert ei.value.code == c["expect"], c["name"]


def test_verify_signify_public_key_object_and_bad_key() -> None:
    doc = load()
    c = doc["cases"][0]
    key = ov.PublicKey.from_text(doc["keys"]["signer"])
    ov.verify_signify(c["message"].encode(), c["signature"], key)
    with pytest.raises(ov.MalformedError):
        ov.verify_signify(c["message"].encode(), c["signature"], "RWnot-a-key")
