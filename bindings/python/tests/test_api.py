"""Every function and class of omega_verify: arguments, results, reports."""

from __future__ import annotations

import array
import hashlib
import os
import pathlib
import pickle
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List

import pytest

if TYPE_CHECKING:
    from typing_extensions import Buffer

import omega_verify as ov
from conftest import REPO, MinisignKey, resign, vector_package, write_files

VECTOR_KEY = "RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
VECTOR_KEY_ID = "01006167656D6F01"
LEFT_PAD_TREE = "b2tree:5b472f0ad42698f9db8c3aba09c982ce6621e3fa555a707403f1d015b1ae5d65"


# ---------------------------------------------------------------------------------------------
# Package surface


def test_public_names() -> None:
    for name in ov.__all__:
        assert hasattr(ov, name), name
    assert ov.__version__ == "0.1.0"
    assert ov.ERROR_CODES == (
        "MALFORMED", "UNSUPPORTED_VERSION", "SIGNATURE_INVALID", "KEY_NOT_TRUSTED",
        "KEY_REVOKED", "THRESHOLD_NOT_MET", "LEGACY_SIGNATURE_REFUSED", "DIGEST_MISMATCH",
        "FILE_MISSING", "FILE_EXTRA", "FILE_CHANGED", "UNSAFE_PATH", "UNSUPPORTED_FILE_TYPE",
        "ROLLBACK", "NOT_FOUND", "IO", "TOO_LARGE", "LOG_INCONSISTENT", "NOT_IN_LOG",
        "QUORUM_NOT_MET", "STALE",
    )


def test_ships_types_and_abi3_module() -> None:
    pkg = Path(ov.__file__).parent
    assert (pkg / "py.typed").is_file()
    assert (pkg / "_omega_verify.pyi").is_file()
    (so,) = [p.name for p in pkg.iterdir() if p.name.startswith("_omega_verify.") and p.suffix == ".so"]
    assert so == "_omega_verify.abi3.so"


# ---------------------------------------------------------------------------------------------
# digest_dir


def test_digest_dir_path_types(left_pad: Path) -> None:
    assert ov.digest_dir(left_pad) == LEFT_PAD_TREE
    assert ov.digest_dir(str(left_pad)) == LEFT_PAD_TREE
    assert ov.digest_dir(os.fsencode(left_pad)) == LEFT_PAD_TREE
    assert ov.digest_dir(pathlib.PurePosixPath(left_pad)) == LEFT_PAD_TREE


def test_digest_dir_executable_bit_and_metadata(left_pad: Path) -> None:
    (left_pad / ".omega" / "anything").write_text("not part of the digest")
    assert ov.digest_dir(left_pad) == LEFT_PAD_TREE
    (left_pad / "index.js").chmod(0o755)
    assert ov.digest_dir(left_pad) != LEFT_PAD_TREE
    (left_pad / "index.js").chmod(0o644)
    (left_pad / "empty-dir").mkdir()
    assert ov.digest_dir(left_pad) == LEFT_PAD_TREE


def test_digest_dir_equals_shell_recipe(left_pad: Path, tmp_path: Path) -> None:
    """scripts/b2tree.sh recomputes the digest with find, b2sum, sort and printf."""
    tree = tmp_path / "t"
    write_files(tree, [
        {"path": "a.txt", "text": "hello\n"},
        {"path": "bin/run", "text": "#!/bin/sh\n", "executable": True},
        {"path": "sub dir/ü.txt", "text": ""},
        {"path": "Z", "hex": "00ff" * 1000},
    ])
    for d in (tree, left_pad):
        out = subprocess.run(
            ["bash", str(REPO / "scripts" / "b2tree.sh"), str(d)],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        assert ov.digest_dir(d) == out


def test_digest_dir_type_errors() -> None:
    with pytest.raises(TypeError):
        ov.digest_dir(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ov.digest_dir(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# check_package


def test_check_package_vector_package(left_pad: Path) -> None:
    r = ov.check_package(left_pad, digest=LEFT_PAD_TREE, keys=[VECTOR_KEY], threshold=1)
    assert isinstance(r, ov.Report)
    assert r.ok and r.code is None and r.message is None
    assert (r.package, r.version, r.sequence, r.files) == ("left-pad", "1.3.0", 7, 4)
    assert r.tree == r.manifest_tree == r.pinned_digest == LEFT_PAD_TREE
    assert r.threshold == 1
    assert r.signed_by == (VECTOR_KEY,)
    (s,) = r.signatures
    assert s.valid and s.error is None and s.key == VECTOR_KEY and s.key_id == VECTOR_KEY_ID
    assert s.trusted_comment == "timestamp:1767225600\tfile:manifest.json\thashed"
    assert r.problems == ()
    d = r.to_dict()
    assert list(d) == [
        "ok", "code", "message", "package", "version", "sequence", "files", "tree",
        "manifest_tree", "pinned_digest", "threshold", "signed_by", "signatures", "problems",
    ]
    assert ov.Report.from_dict(d) == r
    assert pickle.loads(pickle.dumps(r)) == r


def test_check_package_key_forms(left_pad: Path) -> None:
    pk = ov.PublicKey(VECTOR_KEY)
    for keys in ([pk], (VECTOR_KEY,), {VECTOR_KEY}, iter([pk]), [pk.to_file_text()], [VECTOR_KEY.encode()]):
        assert ov.check_package(left_pad, keys=keys).signed_by == (VECTOR_KEY,)


def test_check_package_digest_only(tmp_path: Path) -> None:
    write_files(tmp_path, [{"path": "x.py", "text": "print(1)\n"}])
    d = ov.digest_dir(tmp_path)
    r = ov.check_package(tmp_path, d)
    assert r.ok and r.package == str(tmp_path) and r.version is None and r.threshold == 0
    assert r.signed_by == () and r.signatures == () and r.manifest_tree is None
    assert ov.check_package(tmp_path, digest=d, keys=(), threshold=5).ok  # threshold unused without keys
    assert ov.check_package(tmp_path, digest=d, keys=None).ok


def test_check_package_minisign_signed_manifest(left_pad: Path, mkey: MinisignKey, mkey2: MinisignKey) -> None:
    """A manifest signed by minisign itself; two keys of a quorum in one signature file."""
    resign(left_pad, [mkey])
    r = ov.check_package(left_pad, keys=[mkey.bare])
    assert r.signed_by == (mkey.bare,) and r.signatures[0].trusted_comment == "block 0"
    resign(left_pad, [mkey, mkey2])
    r = ov.check_package(left_pad, LEFT_PAD_TREE, [mkey.pub_text, mkey2.bare], 2)
    assert set(r.signed_by) == {mkey.bare, mkey2.bare} and r.threshold == 2
    # one key pinned twice cannot make a threshold of two (keys compare by their 32 bytes)
    with pytest.raises(ov.MalformedError) as m:
        ov.check_package(left_pad, keys=[mkey.bare, mkey.bare], threshold=2)
    assert m.value.code == "MALFORMED" and "pinned twice" in m.value.message
    # an unpinned block is reported but does not count
    r = ov.check_package(left_pad, keys=[mkey2.bare])
    assert [s.error for s in r.signatures] == ["KEY_NOT_TRUSTED", None]


def test_check_package_failure_carries_whole_report(left_pad: Path) -> None:
    (left_pad / "index.js").unlink()
    (left_pad / "lib" / "a.js").write_text("changed\n")
    (left_pad / "new.js").write_text("")
    with pytest.raises(ov.VerificationError) as e:
        ov.check_package(left_pad, digest=LEFT_PAD_TREE, keys=[VECTOR_KEY])
    exc = e.value
    assert exc.code == "FILE_MISSING"
    assert "(and 2 more problems)" in exc.message and str(exc).startswith("FILE_MISSING: ")
    r = exc.report
    assert r is not None and not r.ok and r.code == "FILE_MISSING"
    assert [(p.code, p.path) for p in r.problems] == [
        ("FILE_MISSING", "index.js"), ("FILE_CHANGED", "lib/a.js"), ("FILE_EXTRA", "new.js"),
    ]
    assert r.signed_by == (VECTOR_KEY,)  # the signature itself is fine
    d = exc.to_dict()
    assert (d["ok"], d["code"], d["message"]) == (False, "FILE_MISSING", exc.message)
    assert d["problems"] == r.to_dict()["problems"]
    exc2 = pickle.loads(pickle.dumps(exc))
    assert type(exc2) is ov.VerificationError
    assert (exc2.code, exc2.message, exc2.report, exc2.to_dict()) == (exc.code, exc.message, r, d)


def test_check_package_argument_errors(left_pad: Path) -> None:
    with pytest.raises(TypeError, match="not a single key"):
        ov.check_package(left_pad, keys=VECTOR_KEY)
    with pytest.raises(TypeError, match="not a single key"):
        ov.check_package(left_pad, keys=ov.PublicKey(VECTOR_KEY))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ov.check_package(left_pad, keys=[42])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        ov.check_package(left_pad, digest=b"b2tree:00")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ov.check_package(left_pad, keys=[VECTOR_KEY], threshold="1")  # type: ignore[arg-type]
    for t in (0, -1, 2, 2**40):
        with pytest.raises(ov.MalformedError) as e:
            ov.check_package(left_pad, keys=[VECTOR_KEY], threshold=t)
        assert e.value.code == "MALFORMED" and "threshold" in e.value.message


# ---------------------------------------------------------------------------------------------
# verify_file, verify_minisign


def test_verify_file_with_minisign(tmp_path: Path, mkey: MinisignKey) -> None:
    f = tmp_path / "release.tar.gz"
    f.write_bytes(os.urandom(100_000))
    mkey.sign(f, trusted="release 1.0")
    for key in (mkey.bare, mkey.pub_text, mkey.pub_text.encode(), ov.PublicKey.from_file(mkey.pub_path)):
        assert ov.verify_file(f, key) == "release 1.0"
    other = tmp_path / "elsewhere.sig"
    shutil.move(str(f) + ".minisig", other)
    assert ov.verify_file(str(f), mkey.bare, signature=other) == "release 1.0"
    assert ov.verify_file(os.fsencode(f), mkey.bare, os.fsencode(other)) == "release 1.0"
    with pytest.raises(ov.NotFoundError):
        ov.verify_file(f, mkey.bare)  # default f.minisig is gone


def test_verify_file_legacy(tmp_path: Path, mkey: MinisignKey) -> None:
    f = tmp_path / "old.txt"
    f.write_text("signed the old way\n")
    mkey.sign(f, trusted="legacy one", legacy=True)
    with pytest.raises(ov.VerificationError) as e:
        ov.verify_file(f, mkey.bare)
    assert e.value.code == "LEGACY_SIGNATURE_REFUSED" and e.value.report is None
    assert ov.verify_file(f, mkey.bare, legacy=True) == "legacy one"
    assert ov.Signature.from_text((tmp_path / "old.txt.minisig").read_text()).algorithm == "Ed"


def test_verify_minisign_in_memory(tmp_path: Path, mkey: MinisignKey, mkey2: MinisignKey) -> None:
    f = tmp_path / "m.bin"
    data = os.urandom(5000)
    f.write_bytes(data)
    sig_a = mkey.sign(f, sig=tmp_path / "a.sig", trusted="by a").read_text()
    sig_b = mkey2.sign(f, sig=tmp_path / "b.sig", trusted="by b").read_text()
    both = sig_a + sig_b
    for msg in (data, bytearray(data), memoryview(data)):
        assert ov.verify_minisign(msg, both, mkey.bare) == "by a"
        assert ov.verify_minisign(msg, both.encode(), ov.PublicKey(mkey2.bare)) == "by b"
    with pytest.raises(ov.VerificationError) as e:
        ov.verify_minisign(data + b"!", sig_a, mkey.bare)
    assert e.value.code == "SIGNATURE_INVALID"
    with pytest.raises(ov.VerificationError) as e:
        ov.verify_minisign(data, sig_a, mkey2.bare)
    assert e.value.code == "KEY_NOT_TRUSTED"
    with pytest.raises(TypeError):
        ov.verify_minisign("text is not bytes", sig_a, mkey.bare)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ov.verify_file(f, 42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# PublicKey, Signature


def test_public_key_object(tmp_path: Path) -> None:
    k = ov.PublicKey(VECTOR_KEY)
    assert k.key_id == VECTOR_KEY_ID
    assert str(k) == k.to_base64() == VECTOR_KEY
    assert repr(k) == f"PublicKey('{VECTOR_KEY}')"
    # minisign writes the key id without leading zeros (%PRIX64): 01006167656D6F01 -> 1006167656D6F01
    assert k.to_file_text() == f"untrusted comment: minisign public key {VECTOR_KEY_ID.lstrip('0')}\n{VECTOR_KEY}\n"
    assert ov.PublicKey.from_text(k.to_file_text()) == k == ov.PublicKey(VECTOR_KEY.encode())
    assert len(bytes(k)) == 32
    assert {k, ov.PublicKey(VECTOR_KEY)} == {k}
    assert k != VECTOR_KEY and k != ov.PublicKey("RWQDb21lZ2EAA+1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR")
    assert pickle.loads(pickle.dumps(k)) == k
    p = tmp_path / "k.pub"
    p.write_text(k.to_file_text())
    assert ov.PublicKey.from_file(p) == k
    with pytest.raises(ov.MalformedError) as e:
        ov.PublicKey("RW-not-a-key")
    assert e.value.code == "MALFORMED"
    with pytest.raises(TypeError):
        ov.PublicKey(42)  # type: ignore[arg-type]


def test_signature_object(tmp_path: Path, mkey: MinisignKey, mkey2: MinisignKey) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"message\n")
    text = mkey.sign(f, trusted="tc 1").read_text()
    s = ov.Signature.from_text(text)
    assert s.algorithm == "ED" and s.trusted_comment == "tc 1"
    assert s.key_id == ov.PublicKey(mkey.bare).key_id
    assert s.untrusted_comment.startswith("signature from minisign secret key")
    assert s.to_text() == str(s) == text
    assert ov.Signature(text.encode()) == s and hash(ov.Signature(text)) == hash(s)
    assert pickle.loads(pickle.dumps(s)) == s
    assert s.key_id in repr(s) and "tc 1" in repr(s)
    assert s.verify(mkey.bare, b"message\n") == "tc 1"
    assert s.verify(ov.PublicKey(mkey.bare), memoryview(b"message\n")) == "tc 1"
    with pytest.raises(ov.VerificationError) as e:
        s.verify(mkey.bare, b"other\n")
    assert e.value.code == "SIGNATURE_INVALID"
    with pytest.raises(ov.VerificationError) as e:
        s.verify(mkey2.bare, b"message\n")
    assert e.value.code == "KEY_NOT_TRUSTED"
    two = text + mkey2.sign(f, sig=tmp_path / "2.sig", trusted="tc 2").read_text()
    blocks = ov.Signature.parse_all(two)
    assert [b.trusted_comment for b in blocks] == ["tc 1", "tc 2"]
    with pytest.raises(ov.MalformedError) as m:
        ov.Signature.from_text(two)
    assert m.value.code == "MALFORMED" and "expected one signature block" in m.value.message


# ---------------------------------------------------------------------------------------------
# verify_ed25519, blake2b256 (argument types; the vectors are in test_public_vectors.py)

RFC8032_TEST1 = (
    bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    b"",
    bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ),
)


def test_verify_ed25519_argument_types() -> None:
    pk, msg, sig = RFC8032_TEST1
    convs: List[Callable[[bytes], Buffer]] = [bytes, bytearray, memoryview, lambda b: array.array("B", b)]
    for conv in convs:
        assert ov.verify_ed25519(conv(pk), conv(msg), conv(sig)) is True
    assert ov.verify_ed25519(pk, b"x", sig) is False
    assert ov.verify_ed25519(pk[:31], msg, sig) is False  # wrong lengths: invalid, not an error
    assert ov.verify_ed25519(pk, msg, sig + b"\0") is False
    padded = memoryview(b"\xff" + sig)[1:]  # a slice, not starting at the buffer's start
    assert ov.verify_ed25519(pk, msg, padded) is True
    for bad in ("text", 1, None, [1, 2]):
        with pytest.raises(TypeError):
            ov.verify_ed25519(bad, msg, sig)  # type: ignore[arg-type]


def test_blake2b256_argument_types() -> None:
    data = os.urandom(10_000)
    want = hashlib.blake2b(data, digest_size=32).digest()
    assert ov.blake2b256(data) == want
    assert ov.blake2b256(bytearray(data)) == want
    assert ov.blake2b256(memoryview(data)) == want
    strided = memoryview(data + data)[::2]  # non-contiguous
    assert ov.blake2b256(strided) == hashlib.blake2b(bytes(strided), digest_size=32).digest()
    assert ov.blake2b256(array.array("B", data)) == want
    assert isinstance(ov.blake2b256(b""), bytes) and len(ov.blake2b256(b"")) == 32
    for bad in ("abc", 3, None):
        with pytest.raises(TypeError, match="bytes-like"):
            ov.blake2b256(bad)  # type: ignore[arg-type]


def test_threshold_none_takes_cores_default(left_pad: Path) -> None:
    # Pins::new in omega-core holds the one rule: 1 when keys are given, 0 without keys.
    r = ov.check_package(left_pad, keys=[VECTOR_KEY], threshold=None)
    assert r.ok and r.threshold == 1
    r = ov.check_package(left_pad, digest=LEFT_PAD_TREE, threshold=None)
    assert r.ok and r.threshold == 0
