"""The cross-language vectors (tests/vectors/*.json) and the public conformance vectors
(shared/vectors) through the uniffi C ABI that Swift and Kotlin call.

Each vector file that maps onto this API is run whole: every case runs (or, for tree.json, is
named below as impossible on a filesystem), and the counts are asserted and printed, so a
silently skipped case is noticed:
- tree.json     files written to a temporary directory, then digestDir. Cases whose paths
                cannot exist in a directory (`../x`, `a//b`, the same path twice …) are counted
                and named explicitly: they test rules only in-memory inputs can reach.
- package.json  files (with .omega/) written to a temporary directory, then checkPackage.
- minisign.json message and signature written to files, then verifyFile.
- wycheproof, RFC 8032, ed25519-speccheck, CCTV: verifyEd25519 (strict rule).
- revocation.json  applyRevocation over a lock holding the case's pinned entry.
manifest.json and lock.json exercise operations this API does not expose (manifest parsing
alone, lock admission); omega-core and the CLI run them.
"""

import json
import os

import pytest

from helpers import load_cases, unrepresentable, write_files


def code_of(exc) -> str:
    return exc.code()


# --------------------------------------------------------------------------------------------
# tree.json -> digestDir

# The fail_* cases that no directory can hold (see helpers.unrepresentable), by name.
TREE_UNREPRESENTABLE = {
    "fail_dotdot": "component '..'",
    "fail_dot_component": "component '.'",
    "fail_absolute": "absolute path",
    "fail_trailing_slash": "component ''",
    "fail_double_slash": "component ''",
    "fail_empty_path": "empty path",
    "fail_duplicate_path": "duplicate path",
    "fail_component_too_long": "component longer than NAME_MAX",
}


def test_tree_vectors_through_digest_dir(ov, vectors_dir, tmp_path):
    cases = load_cases(vectors_dir / "tree.json")
    ran_ok = ran_fail = 0
    not_representable = {}
    for i, case in enumerate(cases):
        name, expect = case["name"], case["expect"]
        why = unrepresentable(case["files"])
        if why is not None:
            assert "error" in expect, f"{name}: a success case must be representable ({why})"
            not_representable[name] = why
            continue
        root = tmp_path / f"tree{i}"
        root.mkdir()
        write_files(root, case["files"])
        if "error" in expect:
            with pytest.raises(ov.OmegaError) as ei:
                ov.digest_dir(str(root))
            assert code_of(ei.value) == expect["error"], f"{name}: {ei.value!r}"
            ran_fail += 1
        else:
            assert ov.digest_dir(str(root)) == expect["digest"], name
            ran_ok += 1
    # A new case a directory cannot hold must be named in TREE_UNREPRESENTABLE.
    assert not_representable == TREE_UNREPRESENTABLE
    assert ran_ok + ran_fail + len(not_representable) == len(cases)
    # Today: 7 successes, 5 refusals a directory can hold (backslash, control character, DEL,
    # newline, case collision), 8 in-memory-only refusals.
    assert ran_ok >= 7 and ran_fail >= 5
    print(f"tree.json: {ran_ok} digests and {ran_fail} refusals through digestDir; "
          f"{len(not_representable)} cases impossible on a filesystem, not run: "
          + ", ".join(sorted(not_representable)))


# --------------------------------------------------------------------------------------------
# package.json -> checkPackage

def test_package_vectors_through_check_package(ov, vectors_dir, tmp_path):
    cases = load_cases(vectors_dir / "package.json")
    ran_ok = ran_fail = 0
    for i, case in enumerate(cases):
        name, pins, expect = case["name"], case["pins"], case["expect"]
        # checkPackage has no legacy switch (the Python API has none either): every case here
        # must be a strict one, or this runner has to learn about it.
        assert pins["legacy"] is False, f"{name}: legacy pins are not expressible here"
        assert unrepresentable(case["files"]) is None, name
        root = tmp_path / f"pkg{i}"
        root.mkdir()
        write_files(root, case["files"])
        args = dict(digest=pins["digest"], keys=pins["keys"], threshold=pins["threshold"])
        if "error" in expect:
            with pytest.raises(ov.OmegaError) as ei:
                ov.check_package(str(root), **args)
            e = ei.value
            assert code_of(e) == expect["error"], f"{name}: {e!r}"
            assert e.report is not None, name
            got = [{"code": p.code, "path": p.path} for p in e.report.problems]
            assert got == expect["problems"], name
            assert e.report.ok is False
            assert json.loads(e.report.json)["code"] == expect["error"]
            ran_fail += 1
        else:
            r = ov.check_package(str(root), **args)
            assert r.ok is expect["ok"] is True, name
            assert r.tree == expect["tree"], name
            assert r.signed_by == expect["signed_by"], name
            assert r.problems == [], name
            ran_ok += 1
    assert ran_ok + ran_fail == len(cases) and ran_ok >= 6 and ran_fail >= 12
    print(f"package.json: {ran_ok} passing and {ran_fail} failing checks through checkPackage")


# --------------------------------------------------------------------------------------------
# minisign.json -> verifyFile

def test_minisign_vectors_through_verify_file(ov, vectors_dir, tmp_path):
    cases = load_cases(vectors_dir / "minisign.json")
    ran_ok = ran_fail = 0
    for i, case in enumerate(cases):
        name, expect = case["name"], case["expect"]
        msg = tmp_path / f"msg{i}.txt"
        msg.write_bytes(bytes.fromhex(case["message_hex"]))
        # The default signature path (FILE.minisig) for half the cases, an explicit one for the
        # other half.
        if i % 2 == 0:
            sig, sig_arg = tmp_path / f"msg{i}.txt.minisig", None
        else:
            sig = tmp_path / f"sig{i}"
            sig_arg = str(sig)
        sig.write_bytes(case["signature"].encode("utf-8"))
        call = lambda: ov.verify_file(  # noqa: E731
            str(msg), case["public_key"], signature=sig_arg, legacy=case["legacy"]
        )
        if "error" in expect:
            with pytest.raises(ov.OmegaError) as ei:
                call()
            assert code_of(ei.value) == expect["error"], f"{name}: {ei.value!r}"
            assert ei.value.report is None
            ran_fail += 1
        else:
            assert call() == expect["trusted_comment"], name
            ran_ok += 1
    assert ran_ok + ran_fail == len(cases) and ran_ok >= 9 and ran_fail >= 13
    print(f"minisign.json: {ran_ok} verified and {ran_fail} refused through verifyFile")


# --------------------------------------------------------------------------------------------
# Public Ed25519 vectors -> verifyEd25519

def test_wycheproof_all_151_through_verify_ed25519(ov, shared_vectors_dir):
    doc = json.loads((shared_vectors_dir / "wycheproof" / "ed25519_test.json").read_text())
    assert doc["numberOfTests"] == 151
    ran = valid = 0
    for group in doc["testGroups"]:
        pk = bytes.fromhex(group["publicKey"]["pk"])
        for t in group["tests"]:
            assert t["result"] in ("valid", "invalid"), t  # no "acceptable" in this file
            got = ov.verify_ed25519(pk, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]))
            assert got is (t["result"] == "valid"), f"tcId {t['tcId']} {t['flags']}"
            ran += 1
            valid += got
    assert (ran, valid) == (151, 88)
    print("wycheproof: 151 of 151 through verifyEd25519 (88 valid, 63 invalid)")


def test_rfc8032_section_7_1_through_verify_ed25519(ov, shared_vectors_dir):
    doc = json.loads((shared_vectors_dir / "rfc8032" / "ed25519_rfc8032_section7_1.json").read_text())
    ran = 0
    for v in doc["vectors"]:
        pk, msg, sig = (bytes.fromhex(v[k]) for k in ("public_key", "message", "signature"))
        assert ov.verify_ed25519(pk, msg, sig) is True, v["name"]
        bad = bytes([sig[0] ^ 1]) + sig[1:]
        assert ov.verify_ed25519(pk, msg, bad) is False, v["name"]
        ran += 1
    assert ran == 5


def test_speccheck_12_cases_match_dalek_strict(ov, shared_vectors_dir):
    doc = json.loads((shared_vectors_dir / "ed25519-speccheck" / "cases_annotated.json").read_text())
    accepted = []
    for c in doc["cases"]:
        got = ov.verify_ed25519(
            bytes.fromhex(c["pub_key"]), bytes.fromhex(c["message"]), bytes.fromhex(c["signature"])
        )
        assert got is (c["library_results"]["Dalek strict"] == "accept"), c["index"]
        if got:
            accepted.append(c["index"])
    assert len(doc["cases"]) == 12
    assert accepted == [3]


def test_cctv_914_vectors_match_dalek_strict(ov, shared_vectors_dir):
    doc = json.loads(
        (shared_vectors_dir / "cctv-ed25519" / "ed25519vectors_annotated.json").read_text()
    )
    accepted = rejected = 0
    for v in doc["vectors"]:
        got = ov.verify_ed25519(
            bytes.fromhex(v["key"]), v["msg"].encode("utf-8"), bytes.fromhex(v["sig"])
        )
        assert got is (v["ed25519_dalek_verify_strict"] == "accept"), v["number"]
        accepted += got
        rejected += not got
    assert (accepted, rejected) == (43, 871)


def test_no_vector_file_was_left_out(vectors_dir):
    """Every tests/vectors file is either run here or named as outside this API."""
    run_here = {"tree.json", "package.json", "minisign.json", "revocation.json"}
    run_here |= {"notes.json", "log_proofs.json", "statements.json"}  # test_log_vectors.py
    outside_api = {"manifest.json", "lock.json"}
    outside_api |= {"client.json"}  # the registry client (core::client): issue 15, second half
    found = {p.name for p in vectors_dir.glob("*.json")}
    assert found == run_here | outside_api, sorted(found)
    assert os.path.isfile(vectors_dir / "README.md")


def test_revocation_vectors(ov, vectors_dir):
    """revocation.json through applyRevocation: the case's pinned entry in a one-entry lock.
    A statement for another package finds no entry of it in the lock: NOT_FOUND."""
    cases = load_cases(vectors_dir / "revocation.json")
    assert len(cases) >= 8
    for c in cases:
        lock = json.dumps({"omega-lock": 1, "packages": {c["package"]: c["pinned"]}}).encode()
        want = c["expect"]
        if json.loads(c["statement"])["name"] != c["package"]:
            want = {"error": "NOT_FOUND"}
        if "error" in want:
            with pytest.raises(ov.OmegaError) as ei:
                ov.apply_revocation(lock, c["statement"].encode(), c["signature"])
            assert ei.value.code() == want["error"], c["name"]
        else:
            out = json.loads(ov.apply_revocation(lock, c["statement"].encode(), c["signature"]))
            assert out["packages"][c["package"]] == want["entry"], c["name"]
