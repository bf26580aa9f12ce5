"""`python -m omega_verify`: the omega CLI's digest, check and verify, their flags, output and
exit codes (0 ok, 1 verification failed, 2 usage or input that cannot be read).

The parity tests run the same command lines through the real `omega` binary ($OMEGA_CLI; `make
test-python` builds it and sets it) and compare exit codes and stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import pytest

import omega_verify as ov
from conftest import REPO, MinisignKey, resign

VECTOR_KEY = "RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
LEFT_PAD_TREE = "b2tree:5b472f0ad42698f9db8c3aba09c982ce6621e3fa555a707403f1d015b1ae5d65"

Result = Tuple[int, str, str]
DOCUMENTED_ORDER = (
    "ok", "code", "message", "package", "version", "sequence", "files", "tree", "manifest_tree",
    "pinned_digest", "threshold", "signed_by", "signatures", "problems",
)


def py(args: Sequence[str], cwd: Optional[Path] = None) -> Result:
    p = subprocess.run(
        [sys.executable, "-m", "omega_verify", *args],
        capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL,
    )
    return p.returncode, p.stdout, p.stderr


def omega_cli() -> Optional[str]:
    env = os.environ.get("OMEGA_CLI")
    if env:
        if not os.access(env, os.X_OK):
            pytest.fail(f"OMEGA_CLI={env} is not an executable", pytrace=False)
        return env
    for profile in ("debug", "release"):
        p = REPO / "target" / profile / "omega"
        if p.is_file():
            return str(p)
    return None


def omega(args: Sequence[str], cwd: Optional[Path] = None) -> Result:
    exe = omega_cli()
    if exe is None:
        pytest.skip("no omega binary: set OMEGA_CLI or build omega-cli (make test-python does)")
    p = subprocess.run(
        [exe, *args], capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------------------------------------
# digest


def test_digest(left_pad: Path, tmp_path: Path) -> None:
    assert py(["digest", str(left_pad)]) == (0, LEFT_PAD_TREE + "\n", "")
    code, out, err = py(["digest", str(tmp_path / "absent")])
    assert (code, out) == (2, "") and err.startswith("omega_verify: NOT_FOUND: ")
    (left_pad / "a\\b").write_text("")
    code, out, err = py(["digest", str(left_pad)])
    assert (code, out) == (1, "") and "UNSAFE_PATH" in err


# ---------------------------------------------------------------------------------------------
# check


def test_check_text(left_pad: Path) -> None:
    code, out, err = py(["check", str(left_pad), "-P", VECTOR_KEY, "--digest", LEFT_PAD_TREE])
    assert code == 0 and err == ""
    assert out == f"OK left-pad@1.3.0 (sequence 7): {LEFT_PAD_TREE}, signed by {VECTOR_KEY} (id 01006167656D6F01)\n"
    (left_pad / "index.js").unlink()
    (left_pad / "zz.js").write_text("")
    code, out, err = py(["check", str(left_pad), "--key", VECTOR_KEY])
    assert code == 1
    assert [line.split(" ")[0] for line in out.splitlines()] == ["FILE_MISSING", "FILE_EXTRA"]


def test_check_json(left_pad: Path) -> None:
    code, out, _ = py(["check", str(left_pad), "-P", VECTOR_KEY, "--json"])
    d = json.loads(out)
    assert code == 0 and d == ov.check_package(left_pad, keys=[VECTOR_KEY]).to_dict()
    assert list(d)[:3] == ["ok", "code", "message"] and d["ok"] is True
    code, out, _ = py(["check", str(left_pad), "--digest", "b2tree:" + "1" * 64, "--json"])
    d = json.loads(out)
    assert code == 1 and (d["ok"], d["code"]) == (False, "DIGEST_MISMATCH")
    code, out, _ = py(["check", str(left_pad), "--digest", "nonsense", "--json"])
    d = json.loads(out)
    assert code == 2 and d["code"] == "MALFORMED" and d["problems"] == [] and d["tree"] is None
    code, out, _ = py(["check", str(left_pad), "-P", "RWbad", "--json"])
    assert code == 2 and json.loads(out)["message"].startswith("-P: ")


def test_check_usage(left_pad: Path) -> None:
    for argv in (
        ["check", str(left_pad)],                              # neither digest nor key
        ["check", str(left_pad), "--digest", LEFT_PAD_TREE, "--threshold", "1"],  # threshold w/o key
        ["check"],
        ["check", str(left_pad), "--threshold", "x", "-P", VECTOR_KEY],
        ["frobnicate"],
        [],
    ):
        code, out, err = py(argv)
        assert code == 2 and out == "", argv
    code, _, err = py(["check", str(left_pad), "-P", VECTOR_KEY, "--threshold", "2"])
    assert code == 2 and "MALFORMED" in err


# ---------------------------------------------------------------------------------------------
# verify


def test_verify(tmp_path: Path, mkey: MinisignKey, mkey2: MinisignKey) -> None:
    f = tmp_path / "file.txt"
    f.write_text("content\n")
    mkey.sign(f, trusted="tc")
    ok = "Signature and comment signature verified\nTrusted comment: tc\n"
    assert py(["verify", str(f), "-P", mkey.bare]) == (0, ok, "")
    assert py(["verify", str(f), "-p", str(mkey.pub_path)]) == (0, ok, "")
    assert py(["verify", str(f), "-P", mkey.bare, "-q"]) == (0, "", "")
    shutil.copy(mkey.pub_path, tmp_path / "minisign.pub")
    assert py(["verify", "file.txt"], cwd=tmp_path) == (0, ok, "")  # ./minisign.pub by default
    sig = tmp_path / "elsewhere"
    shutil.move(str(f) + ".minisig", sig)
    assert py(["verify", str(f), "-P", mkey.bare, "-x", str(sig)]) == (0, ok, "")
    code, _, err = py(["verify", str(f), "-P", mkey2.bare, "-x", str(sig)])
    assert code == 1 and "KEY_NOT_TRUSTED" in err
    code, _, err = py(["verify", str(f), "-P", mkey.bare])
    assert code == 2 and "NOT_FOUND" in err
    code, _, err = py(["verify", str(f), "-P", "RWnope", "-x", str(sig)])
    assert code == 2 and "MALFORMED: -P: " in err
    code, _, _ = py(["verify", str(f), "-P", mkey.bare, "-p", str(mkey.pub_path)])
    assert code == 2
    f.write_text("tampered\n")
    code, _, err = py(["verify", str(f), "-P", mkey.bare, "-x", str(sig)])
    assert code == 1 and "SIGNATURE_INVALID" in err
    mkey.sign(f, trusted="old style", legacy=True)
    code, _, err = py(["verify", str(f), "-P", mkey.bare])
    assert code == 1 and "LEGACY_SIGNATURE_REFUSED" in err
    assert py(["verify", str(f), "-P", mkey.bare, "--legacy"])[0:2] == (
        0, "Signature and comment signature verified\nTrusted comment: old style\n",
    )


def test_help_and_version() -> None:
    code, out, _ = py(["--help"])
    assert code == 0 and "digest" in out and "check" in out and "verify" in out
    code, out, _ = py(["check", "--help"])
    assert code == 0 and "--threshold" in out and "Exit status" in out
    assert py(["--version"])[0:2] == (0, f"omega_verify {ov.__version__}\n")


# ---------------------------------------------------------------------------------------------
# Parity with the omega binary


def scenarios(left_pad: Path, tmp: Path, mkey: MinisignKey) -> List[Tuple[List[str], Optional[Path]]]:
    """Command lines (and a working directory) that both CLIs run."""
    signed = tmp / "signed"
    shutil.copytree(left_pad, signed)
    resign(signed, [mkey])
    broken = tmp / "broken"
    shutil.copytree(left_pad, broken)
    (broken / "index.js").write_text("changed")
    (broken / "extra").write_text("")
    unsafe = tmp / "unsafe"
    unsafe.mkdir()
    (unsafe / "a\\b").write_text("")
    f = tmp / "f.txt"
    f.write_text("payload\n")
    mkey.sign(f, trusted="parity")
    g = tmp / "g.txt"
    g.write_text("legacy\n")
    mkey.sign(g, trusted="legacy parity", legacy=True)
    shutil.copy(mkey.pub_path, tmp / "minisign.pub")
    lp, s, b = str(left_pad), str(signed), str(broken)
    return [
        (["digest", lp], None),
        (["digest", str(tmp / "absent")], None),
        (["digest", str(unsafe)], None),
        (["check", lp, "--digest", LEFT_PAD_TREE], None),
        (["check", lp, "-P", VECTOR_KEY], None),
        (["check", lp, "-P", VECTOR_KEY, "--json"], None),
        (["check", s, "-P", mkey.bare, "--digest", LEFT_PAD_TREE, "--json"], None),
        (["check", s, "-P", VECTOR_KEY], None),
        (["check", s, "-P", VECTOR_KEY, "--json"], None),
        (["check", b, "-P", VECTOR_KEY], None),
        (["check", b, "-P", VECTOR_KEY, "--digest", LEFT_PAD_TREE, "--json"], None),
        (["check", lp, "--digest", "b2tree:" + "2" * 64, "--json"], None),
        (["check", lp, "--digest", "xyz"], None),
        (["check", lp, "-P", VECTOR_KEY, "--threshold", "3"], None),
        (["check", lp], None),
        (["check", str(tmp / "absent"), "--digest", LEFT_PAD_TREE, "--json"], None),
        (["verify", str(f), "-P", mkey.bare], None),
        (["verify", str(f), "-P", mkey.bare, "-q"], None),
        (["verify", "f.txt"], tmp),
        (["verify", str(f), "-P", VECTOR_KEY], None),
        (["verify", str(g), "-P", mkey.bare], None),
        (["verify", str(g), "-P", mkey.bare, "--legacy"], None),
        (["verify", str(g), "-P", mkey.bare, "-x", str(f) + ".minisig"], None),
        (["verify", str(tmp / "absent"), "-P", mkey.bare], None),
        (["verify", str(f), "-P", "RW-garbage"], None),
    ]


def test_parity_with_omega_binary(left_pad: Path, tmp_path: Path, mkey: MinisignKey) -> None:
    omega(["--version"])  # skips, visibly, when there is no binary
    runs = scenarios(left_pad, tmp_path, mkey)
    for argv, cwd in runs:
        want, got = omega(argv, cwd), py(argv, cwd)
        assert got[0] == want[0], (argv, want, got)
        if "--json" in argv:
            w, g = json.loads(want[1]), json.loads(got[1])
            # The documented key order (`omega check --help`). The omega binary's own order
            # is compared as a dict only: for an error without a report, core's
            # Error::to_json appends ok/code/message after the other keys.
            assert list(g) == list(DOCUMENTED_ORDER), argv
            if w["problems"] == [] and not w["ok"]:
                # an error before any report: the same code; messages may name options differently
                w.pop("message"), g.pop("message")
            assert g == w, argv
        else:
            assert got[1] == want[1], (argv, want, got)
        assert (want[2] == "") == (got[2] == ""), (argv, want, got)
    assert len(runs) == 25
