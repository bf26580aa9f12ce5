"""Every error code reachable from this API, raised for real, with its exception class.

KEY_REVOKED and ROLLBACK come only from lock-file operations (omega-core `lock`), which this
binding does not expose (DESIGN §5 Python line); they are listed as unreachable, and their class
is checked through `error_class`. The registry codes (LOG_INCONSISTENT, NOT_IN_LOG,
QUORUM_NOT_MET, STALE) come from the log functions, triggered with cases of the log vectors. The test fails if a code is neither reached nor listed.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import pickle
import socket
from pathlib import Path
from typing import Any, Callable, Dict, Tuple, Type

import pytest

import omega_verify as ov
from conftest import MinisignKey, project_cases, resign, vector_package, write_files

VECTOR_KEY = "RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
OTHER_KEY = "RWQDb21lZ2EAA+1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR"
LEFT_PAD_TREE = "b2tree:5b472f0ad42698f9db8c3aba09c982ce6621e3fa555a707403f1d015b1ae5d65"

UNREACHABLE = {
    "KEY_REVOKED": "only lock-file operations (revocation) produce it; not part of this API",
    "ROLLBACK": "only lock-file operations (admitting a release) produce it; not part of this API",
}

EXPECTED_CLASS: Dict[str, Type[ov.OmegaError]] = {
    "MALFORMED": ov.MalformedError,
    "UNSUPPORTED_VERSION": ov.MalformedError,
    "SIGNATURE_INVALID": ov.VerificationError,
    "KEY_NOT_TRUSTED": ov.VerificationError,
    "KEY_REVOKED": ov.VerificationError,
    "THRESHOLD_NOT_MET": ov.VerificationError,
    "LEGACY_SIGNATURE_REFUSED": ov.VerificationError,
    "DIGEST_MISMATCH": ov.VerificationError,
    "FILE_MISSING": ov.VerificationError,
    "FILE_EXTRA": ov.VerificationError,
    "FILE_CHANGED": ov.VerificationError,
    # Core's ErrorCode::kind (and the CLI's exit status 1): a package with an unsafe path or a
    # link was read and refused. Python's own table used to say MalformedError: core wins.
    "UNSAFE_PATH": ov.VerificationError,
    "UNSUPPORTED_FILE_TYPE": ov.VerificationError,
    "ROLLBACK": ov.VerificationError,
    "NOT_FOUND": ov.NotFoundError,
    "IO": ov.OmegaIOError,
    "TOO_LARGE": ov.MalformedError,
    "LOG_INCONSISTENT": ov.VerificationError,
    "NOT_IN_LOG": ov.VerificationError,
    "QUORUM_NOT_MET": ov.VerificationError,
    "STALE": ov.VerificationError,
}


def test_class_per_code() -> None:
    assert set(EXPECTED_CLASS) == set(ov.ERROR_CODES)
    for code, cls in EXPECTED_CLASS.items():
        assert ov.error_class(code) is cls
    assert ov.error_class("SOMETHING_NEW") is ov.OmegaError
    assert issubclass(ov.MalformedError, ValueError)
    assert issubclass(ov.NotFoundError, FileNotFoundError)
    assert issubclass(ov.OmegaIOError, OSError)
    assert not issubclass(ov.VerificationError, (ValueError, OSError))
    for cls in set(EXPECTED_CLASS.values()):
        assert issubclass(cls, ov.OmegaError) and cls.__module__ == "omega_verify"
        e = cls("a message", "CODE")
        assert (e.code, e.message, e.report, str(e)) == ("CODE", "a message", None, "CODE: a message")
        e2 = pickle.loads(pickle.dumps(e))
        assert type(e2) is cls and (e2.code, e2.message) == ("CODE", "a message")
        d = e.to_dict()
        assert list(d)[:3] == ["ok", "code", "message"] and d["problems"] == [] and d["tree"] is None


# ---------------------------------------------------------------------------------------------
# One trigger per code. Each returns nothing and must raise.


def _pkg(tmp: Path, name: str = "digest_and_key") -> Path:
    root = tmp / name
    root.mkdir()
    write_files(root, vector_package(name)["files"])
    return root


def _signed_file(tmp: Path, key: MinisignKey, legacy: bool = False) -> Path:
    f = tmp / "msg.txt"
    f.write_text("hello\n")
    key.sign(f, legacy=legacy)
    return f


def _malformed(tmp: Path, key: MinisignKey) -> None:
    ov.check_package(_pkg(tmp), digest="sha256:abc")


def _unsupported_version(tmp: Path, key: MinisignKey) -> None:
    pkg = _pkg(tmp)
    m = pkg / ".omega" / "manifest.json"
    m.write_text(m.read_text().replace('"omega": 1', '"omega": 2'))
    ov.check_package(pkg, digest=LEFT_PAD_TREE)


def _signature_invalid(tmp: Path, key: MinisignKey) -> None:
    f = _signed_file(tmp, key)
    f.write_text("hellO\n")
    ov.verify_file(f, key.bare)


def _key_not_trusted(tmp: Path, key: MinisignKey) -> None:
    ov.verify_file(_signed_file(tmp, key), OTHER_KEY)


def _threshold_not_met(tmp: Path, key: MinisignKey) -> None:
    ov.check_package(_pkg(tmp), keys=[VECTOR_KEY, OTHER_KEY], threshold=2)


def _legacy_refused(tmp: Path, key: MinisignKey) -> None:
    pkg = _pkg(tmp)
    resign(pkg, [key], legacy=True)
    ov.check_package(pkg, keys=[key.bare])


def _digest_mismatch(tmp: Path, key: MinisignKey) -> None:
    ov.check_package(_pkg(tmp), digest="b2tree:" + "0" * 64, keys=[VECTOR_KEY])


def _file_missing(tmp: Path, key: MinisignKey) -> None:
    pkg = _pkg(tmp)
    (pkg / "package.json").unlink()
    ov.check_package(pkg, keys=[VECTOR_KEY])


def _file_extra(tmp: Path, key: MinisignKey) -> None:
    pkg = _pkg(tmp)
    (pkg / "zzz.js").write_text("")
    ov.check_package(pkg, keys=[VECTOR_KEY])


def _file_changed(tmp: Path, key: MinisignKey) -> None:
    pkg = _pkg(tmp)
    (pkg / "bin" / "pad").chmod(0o644)
    ov.check_package(pkg, keys=[VECTOR_KEY])


def _unsafe_path(tmp: Path, key: MinisignKey) -> None:
    (tmp / "a\\b").write_text("")
    ov.digest_dir(tmp)


def _unsupported_file_type(tmp: Path, key: MinisignKey) -> None:
    (tmp / "f").write_text("")
    (tmp / "link").symlink_to("f")
    ov.digest_dir(tmp)


def _not_found(tmp: Path, key: MinisignKey) -> None:
    ov.check_package(tmp / "nope", digest=LEFT_PAD_TREE)


def _io(tmp: Path, key: MinisignKey) -> None:
    ov.digest_dir(tmp / ("x" * 300))  # ENAMETOOLONG: an OS error that is not "not found"


def _too_large(tmp: Path, key: MinisignKey) -> None:
    f = _signed_file(tmp, key)
    big = tmp / "big.minisig"
    big.write_bytes(b"untrusted comment: x\n" * 60_000)  # > 1 MiB
    ov.verify_file(f, key.bare, signature=big)


def _log_case(file: str, name: str) -> Dict[str, Any]:
    return next(c for c in project_cases(file) if c["name"] == name)


def _log_inconsistent(tmp: Path, key: MinisignKey) -> None:
    c = _log_case("log_proofs.json", "fail_consistency_wrong_old_root")
    ov.verify_consistency(c["size1"], c["size2"], c["root1"], c["root2"], c["proof"])


def _not_in_log(tmp: Path, key: MinisignKey) -> None:
    c = _log_case("log_proofs.json", "fail_inclusion_wrong_leaf")
    ov.verify_inclusion(c["index"], c["size"], c["leaf_hash"], c["proof"], c["root"])


def _quorum_not_met(tmp: Path, key: MinisignKey) -> None:
    c = _log_case("notes.json", "quorum-not-met-1-of-3")
    ov.verify_checkpoint(c["note"], c["policy"], now=c["now"], max_age=c["max_age"])


def _stale(tmp: Path, key: MinisignKey) -> None:
    c = _log_case("notes.json", "quorum-2-of-3-met-fresh")
    ov.verify_checkpoint(c["note"], c["policy"], now=c["now"] + 30 * 86400, max_age=c["max_age"])


TRIGGERS: Dict[str, Callable[[Path, MinisignKey], None]] = {
    "MALFORMED": _malformed,
    "UNSUPPORTED_VERSION": _unsupported_version,
    "SIGNATURE_INVALID": _signature_invalid,
    "KEY_NOT_TRUSTED": _key_not_trusted,
    "THRESHOLD_NOT_MET": _threshold_not_met,
    "LEGACY_SIGNATURE_REFUSED": _legacy_refused,
    "DIGEST_MISMATCH": _digest_mismatch,
    "FILE_MISSING": _file_missing,
    "FILE_EXTRA": _file_extra,
    "FILE_CHANGED": _file_changed,
    "UNSAFE_PATH": _unsafe_path,
    "UNSUPPORTED_FILE_TYPE": _unsupported_file_type,
    "NOT_FOUND": _not_found,
    "IO": _io,
    "TOO_LARGE": _too_large,
    "LOG_INCONSISTENT": _log_inconsistent,
    "NOT_IN_LOG": _not_in_log,
    "QUORUM_NOT_MET": _quorum_not_met,
    "STALE": _stale,
}

# Codes whose errors carry the report of a package check.
WITH_REPORT = {
    "THRESHOLD_NOT_MET", "LEGACY_SIGNATURE_REFUSED", "DIGEST_MISMATCH",
    "FILE_MISSING", "FILE_EXTRA", "FILE_CHANGED",
}


def test_every_code_is_reached_or_listed() -> None:
    assert set(TRIGGERS) | set(UNREACHABLE) == set(ov.ERROR_CODES)
    assert not set(TRIGGERS) & set(UNREACHABLE)
    assert len(TRIGGERS) == 19


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_code_is_raised(code: str, tmp_path: Path, mkey: MinisignKey) -> None:
    with pytest.raises(ov.OmegaError) as e:
        TRIGGERS[code](tmp_path, mkey)
    exc = e.value
    assert exc.code == code, str(exc)
    assert type(exc) is EXPECTED_CLASS[code]
    assert exc.message and str(exc) == f"{code}: {exc.message}"
    d = exc.to_dict()
    assert (d["ok"], d["code"], d["message"]) == (False, code, exc.message)
    json.dumps(d)
    if code in WITH_REPORT:
        assert exc.report is not None and exc.report.code == code
        assert exc.report.problems[0].code == code
    else:
        assert exc.report is None


# ---------------------------------------------------------------------------------------------
# More routes to the same codes, through each function


def test_more_routes(tmp_path: Path, mkey: MinisignKey) -> None:
    def code_of(f: Callable[[], object]) -> Tuple[str, Type[BaseException]]:
        try:
            f()
        except ov.OmegaError as e:
            return e.code, type(e)
        raise AssertionError("no error")

    msg = _signed_file(tmp_path, mkey)
    sig = Path(str(msg) + ".minisig")
    # NOT_FOUND: the file, the signature, a file given as the directory, a key file (absent
    # or not a regular file)
    assert code_of(lambda: ov.verify_file(tmp_path / "absent", mkey.bare, signature=sig))[0] == "NOT_FOUND"
    assert code_of(lambda: ov.verify_file(tmp_path / "absent", mkey.bare))[0] == "NOT_FOUND"
    assert code_of(lambda: ov.digest_dir(msg))[0] == "NOT_FOUND"  # not a directory
    assert code_of(lambda: ov.PublicKey.from_file(tmp_path / "absent.pub"))[0] == "NOT_FOUND"
    assert code_of(lambda: ov.PublicKey.from_file(tmp_path))[0] == "NOT_FOUND"
    # IO: a directory given as the file to verify (read fails with EISDIR)
    assert code_of(lambda: ov.verify_file(tmp_path, mkey.bare, signature=sig)) == ("IO", ov.OmegaIOError)
    nomanifest = tmp_path / "plain"
    nomanifest.mkdir()
    # THRESHOLD_NOT_MET: keys pinned and no manifest (nothing signed)
    assert code_of(lambda: ov.check_package(nomanifest, keys=[VECTOR_KEY]))[0] == "THRESHOLD_NOT_MET"
    # KEY_NOT_TRUSTED: nothing pinned at all; a package signed only by unpinned keys
    assert code_of(lambda: ov.check_package(nomanifest))[0] == "KEY_NOT_TRUSTED"
    pkg = _pkg(tmp_path)
    assert code_of(lambda: ov.check_package(pkg, keys=[OTHER_KEY]))[0] == "KEY_NOT_TRUSTED"
    # SIGNATURE_INVALID in a package check (report attached)
    m = pkg / ".omega" / "manifest.json"
    m.write_bytes(m.read_bytes().replace(b'"sequence": 7', b'"sequence": 8'))
    with pytest.raises(ov.VerificationError) as e:
        ov.check_package(pkg, keys=[VECTOR_KEY])
    assert e.value.code == "SIGNATURE_INVALID" and e.value.report is not None
    assert e.value.report.signatures[0].error == "SIGNATURE_INVALID"
    # MALFORMED: key text, signature text, manifest JSON
    assert code_of(lambda: ov.verify_file(msg, "RWQ-garbage"))[0] == "MALFORMED"
    sig.write_text("untrusted comment: x\nnot base64\n")
    assert code_of(lambda: ov.verify_file(msg, mkey.bare))[0] == "MALFORMED"
    m.write_text("{")
    assert code_of(lambda: ov.check_package(pkg, digest=LEFT_PAD_TREE))[0] == "MALFORMED"
    # UNSUPPORTED_VERSION: a public key of another algorithm
    raw = bytearray(base64.b64decode(VECTOR_KEY))
    raw[:2] = b"Xx"
    assert code_of(lambda: ov.PublicKey(base64.b64encode(bytes(raw)).decode()))[0] == "UNSUPPORTED_VERSION"
    # TOO_LARGE: a key file over 4 KiB, as text and as a file
    big_key = "untrusted comment: " + "x" * 5000 + "\n" + VECTOR_KEY + "\n"
    assert code_of(lambda: ov.PublicKey(big_key))[0] == "TOO_LARGE"
    (tmp_path / "big.pub").write_text(big_key)
    assert code_of(lambda: ov.PublicKey.from_file(tmp_path / "big.pub"))[0] == "TOO_LARGE"
    # UNSUPPORTED_FILE_TYPE: a FIFO and a socket in a package
    for make in ("fifo", "socket"):
        d = tmp_path / make
        d.mkdir()
        if make == "fifo":
            os.mkfifo(d / "p")
        else:
            s = socket.socket(socket.AF_UNIX)
            s.bind(str(d / "s"))
            s.close()
        assert code_of(lambda: ov.digest_dir(d))[0] == "UNSUPPORTED_FILE_TYPE"
        assert code_of(lambda: ov.check_package(d, digest=LEFT_PAD_TREE))[0] == "UNSUPPORTED_FILE_TYPE"
    # UNSAFE_PATH: a name that is not UTF-8; two names that differ only in case
    d = tmp_path / "names"
    d.mkdir()
    (d / os.fsdecode(b"caf\xe9")).write_text("")
    assert code_of(lambda: ov.digest_dir(d)) == ("UNSAFE_PATH", ov.VerificationError)  # core's ErrorCode::kind
    d = tmp_path / "case"
    d.mkdir()
    (d / "README").write_text("")
    (d / "readme").write_text("")
    if len(os.listdir(d)) == 2:  # case-sensitive filesystem
        assert code_of(lambda: ov.digest_dir(d))[0] == "UNSAFE_PATH"
    # IO through verify_file
    good = tmp_path / "good.txt"
    good.write_text("good\n")
    good_sig = mkey.sign(good)
    assert code_of(lambda: ov.verify_file(tmp_path / ("y" * 300), mkey.bare, signature=good_sig))[0] == "IO"


def test_not_found_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        ov.digest_dir(tmp_path / "absent")
    assert isinstance(e.value, ov.NotFoundError) and e.value.code == "NOT_FOUND"
    with pytest.raises(OSError) as e2:
        ov.digest_dir(tmp_path / ("z" * 300))
    assert isinstance(e2.value, ov.OmegaIOError) and e2.value.errno is None
    assert os.strerror(errno.ENAMETOOLONG) in e2.value.message
    with pytest.raises(ValueError):
        ov.check_package(tmp_path, digest="b2tree:XYZ")
