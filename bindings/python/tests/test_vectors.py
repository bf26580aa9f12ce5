"""The project's cross-language vectors (tests/vectors/*.json) that map onto this API.

| file          | run through                                                             |
|---------------|-------------------------------------------------------------------------|
| tree.json     | files written to a directory (executable bit kept), then digest_dir     |
| package.json  | files written to a directory, then check_package with the case's pins   |
| minisign.json | message and signature written to files, then verify_file; and           |
|               | verify_minisign in memory                                               |
| manifest.json | the manifest written to DIR/.omega/manifest.json, then check_package     |
|               | (a digest pin): core parses it before anything else                     |

lock.json exercises lock admission, which this API does not expose; revocation.json runs in
test_revocation.py (apply_revocation).

Some tree.json cases hold paths that no filesystem can hold (`..`, `a//b`, an empty name …):
they cannot be written to a directory, so digest_dir cannot see them. Each is asserted to be
not representable, for a stated reason, and counted; none is skipped silently.
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

import omega_verify as ov
from conftest import file_bytes, project_cases, write_files

TREE = project_cases("tree.json")
PACKAGE = project_cases("package.json")
MINISIGN = project_cases("minisign.json")
MANIFEST = project_cases("manifest.json")

# Why each case cannot be laid out on a filesystem; checked against `not_representable`.
TREE_NOT_REPRESENTABLE = {
    "fail_dotdot": "dotdot",
    "fail_dot_component": "dot",
    "fail_absolute": "absolute",
    "fail_trailing_slash": "trailing slash",
    "fail_double_slash": "double slash",
    "fail_empty_path": "empty",
    "fail_duplicate_path": "duplicate",
    "fail_component_too_long": "name too long",
}


def name_max() -> int:
    return os.pathconf("/tmp", "PC_NAME_MAX")


def not_representable(files: List[Dict[str, Any]]) -> Optional[str]:
    """Why these paths cannot all exist as distinct regular files below one directory (a
    filesystem would refuse them, or silently turn them into other paths), or None."""
    paths = [f["path"] for f in files]
    for p in paths:
        if p == "":
            return "empty"
        if "\0" in p:
            return "NUL"
        if p.startswith("/"):
            return "absolute"
        if p.endswith("/"):
            return "trailing slash"
        if "//" in p:
            return "double slash"
        parts = p.split("/")
        if ".." in parts:
            return "dotdot"
        if "." in parts:
            return "dot"
        if any(len(os.fsencode(c)) > name_max() for c in parts):
            return "name too long"
    if len(set(paths)) != len(paths):
        return "duplicate"
    return None


def case_sensitive(d: Path) -> bool:
    (d / "probe_a").write_text("")
    (d / "PROBE_A").write_text("")
    sensitive = len(list(d.iterdir())) == 2
    for p in list(d.iterdir()):
        p.unlink()
    return sensitive


def test_tree_case_counts(tmp_path: Path) -> None:
    """20 cases today: 7 digests and 5 refusals laid out on disk, and 8 whose paths no
    filesystem can hold (TREE_NOT_REPRESENTABLE, exactly)."""
    assert len(TREE) >= 20  # a trimmed file is noticed
    kinds = Counter(
        "not representable" if not_representable(c["files"])
        else "error" if "error" in c["expect"] else "digest"
        for c in TREE
    )
    assert kinds["not representable"] == 8
    assert kinds["digest"] >= 7 and kinds["error"] >= 5
    assert {c["name"]: not_representable(c["files"]) for c in TREE if not_representable(c["files"])} == (
        TREE_NOT_REPRESENTABLE
    )
    # every one of them is a case the core refuses
    assert all(c["expect"] == {"error": "UNSAFE_PATH"} for c in TREE if c["name"] in TREE_NOT_REPRESENTABLE)
    assert case_sensitive(tmp_path), "the case-collision vector needs a case-sensitive filesystem"


@pytest.mark.parametrize("case", TREE, ids=[c["name"] for c in TREE])
def test_tree(case: Dict[str, Any], tmp_path: Path) -> None:
    why = not_representable(case["files"])
    if why is not None:
        assert TREE_NOT_REPRESENTABLE[case["name"]] == why
        if why == "name too long":  # the filesystem itself says no
            (p,) = [f["path"] for f in case["files"]]
            with pytest.raises(OSError) as too_long:
                (tmp_path / p).write_bytes(b"")
            assert too_long.value.errno == errno.ENAMETOOLONG
        return
    root = tmp_path / "tree"
    root.mkdir()
    write_files(root, case["files"])
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(
        f["path"] for f in case["files"]
    )
    if "error" in case["expect"]:
        with pytest.raises(ov.OmegaError) as e:
            ov.digest_dir(root)
        assert e.value.code == case["expect"]["error"]
        # UNSAFE_PATH: a verification failure, as core's ErrorCode::kind says (exit status 1).
        assert isinstance(e.value, ov.VerificationError)
    else:
        assert ov.digest_dir(root) == case["expect"]["digest"]


def test_package_case_count() -> None:
    assert len(PACKAGE) >= 19
    assert sum("error" in c["expect"] for c in PACKAGE) >= 13


@pytest.mark.parametrize("case", PACKAGE, ids=[c["name"] for c in PACKAGE])
def test_package(case: Dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    write_files(root, case["files"])
    pins = case["pins"]
    assert pins["legacy"] is False  # check_package is strict; no vector asks otherwise
    expect = case["expect"]

    def check() -> ov.Report:
        return ov.check_package(root, digest=pins["digest"], keys=pins["keys"], threshold=pins["threshold"])

    if "error" in expect:
        with pytest.raises(ov.OmegaError) as e:
            check()
        assert e.value.code == expect["error"]
        r = e.value.report
        assert r is not None and not r.ok and r.code == expect["error"]
        assert [{"code": p.code, "path": p.path} for p in r.problems] == expect["problems"]
    else:
        r = check()
        assert r.ok and r.problems == ()
        assert r.tree == expect["tree"]
        assert list(r.signed_by) == expect["signed_by"]


def test_minisign_case_count() -> None:
    assert len(MINISIGN) >= 22
    assert sum("error" in c["expect"] for c in MINISIGN) >= 12


@pytest.mark.parametrize("case", MINISIGN, ids=[c["name"] for c in MINISIGN])
def test_minisign(case: Dict[str, Any], tmp_path: Path) -> None:
    message = bytes.fromhex(case["message_hex"])
    msg = tmp_path / "message"
    msg.write_bytes(message)
    Path(str(msg) + ".minisig").write_bytes(case["signature"].encode("utf-8"))
    key, legacy, expect = case["public_key"], case["legacy"], case["expect"]
    if "error" in expect:
        runs: List[Callable[[], str]] = [
            lambda: ov.verify_file(msg, key, legacy=legacy),
            lambda: ov.verify_minisign(message, case["signature"], key, legacy=legacy),
        ]
        for run in runs:
            with pytest.raises(ov.OmegaError) as e:
                run()
            assert e.value.code == expect["error"]
            assert e.value.report is None
    else:
        assert ov.verify_file(msg, key, legacy=legacy) == expect["trusted_comment"]
        assert ov.verify_file(msg, ov.PublicKey(key), None, legacy) == expect["trusted_comment"]
        assert ov.verify_minisign(message, case["signature"], key, legacy) == expect["trusted_comment"]


def test_manifest_case_count() -> None:
    assert len(MANIFEST) >= 22
    assert sum("error" in c["expect"] for c in MANIFEST) >= 21


@pytest.mark.parametrize("case", MANIFEST, ids=[c["name"] for c in MANIFEST])
def test_manifest(case: Dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    write_files(root, [{"path": ".omega/manifest.json", "text": case["manifest"]}])
    pin = "b2tree:" + "0" * 64
    expect = case["expect"]
    with pytest.raises(ov.OmegaError) as e:
        ov.check_package(root, digest=pin)
    if "error" in expect:
        assert e.value.code == expect["error"]
        assert e.value.report is None  # refused while parsing, before any check
        # The class follows core's ErrorCode::kind: MALFORMED and UNSUPPORTED_VERSION are
        # malformed input; an UNSAFE_PATH in the file list is a verification failure.
        assert isinstance(e.value, ov.error_class(expect["error"]))
        assert isinstance(e.value, ov.VerificationError if expect["error"] == "UNSAFE_PATH" else ov.MalformedError)
    else:
        # A valid manifest: the check runs, and every file it lists is missing from the
        # empty directory.
        assert expect["valid"] is True
        r = e.value.report
        assert r is not None and e.value.code == "FILE_MISSING"
        assert (r.package, r.version, r.sequence, r.manifest_tree) == (
            expect["name"], expect["version"], expect["sequence"], expect["tree"],
        )
        assert [p.code for p in r.problems] == ["FILE_MISSING"] * expect["files"]


def test_vector_bytes_helper() -> None:
    assert file_bytes({"hex": "00ff"}) == b"\x00\xff" and file_bytes({"text": "é"}) == "é".encode()
