"""Misuses the stubs must catch: mypy --strict reports an error on each marked line."""

from __future__ import annotations

import omega_verify as ov

n: int = ov.digest_dir("x")  # E: str is not int
ov.check_package("x", digest=1)  # E: digest is a str
ov.blake2b256("text")  # E: str is not bytes-like
ov.verify_ed25519(b"", b"")  # E: missing signature
r: ov.Report = ov.verify_file("f", "RW…")  # E: returns the trusted comment
ov.PublicKey("RW…").key_id = "x"  # E: read-only property
ov.check_package("x").signed_by.append("k")  # E: a tuple
ov.Registry("https://r.example")  # E: the policy is required
ov.Registry("https://r.example", "policy", fetch=lambda u: "text")  # E: fetch returns bytes
t: str = ov.Registry("u", "p").release("x").tarball  # E: bytes
ov.Registry("u", "p").checkpoint = "note"  # E: read-only property
