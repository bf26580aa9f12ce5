"""The Swift/Kotlin crate, built alone (no serde_json `preserve_order` in its build), gives the
same report JSON as the CLI: for every package.json vector case, `Report.json` (of the report
or of the error's report) equals `omega check --json` for the same directory, key order
included at every level (omega-core's ReportJson). An error's top-level `message` is the
error's (with "(and N more problems)"), a report's is its first problem's: that one key is
compared through the error's `detail` instead.

Needs the CLI: $OMEGA_CLI (mk/swift.mk builds it and sets it)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import load_cases, write_files


def cli() -> Path:
    p = os.environ.get("OMEGA_CLI")
    if not p:
        raise RuntimeError("OMEGA_CLI is not set: run `make test-swift`")
    return Path(p)


def run_cli(root: Path, pins: dict) -> "tuple[int, str]":
    args = [str(cli()), "check", str(root), "--json"]
    if pins["digest"]:
        args += ["--digest", pins["digest"]]
    for k in pins["keys"]:
        args += ["-P", k]
    if pins["keys"]:
        args += ["--threshold", str(pins["threshold"])]
    out = subprocess.run(args, capture_output=True, text=True)
    return out.returncode, out.stdout


def test_report_json_equals_the_clis(ov, vectors_dir, tmp_path):
    compared = 0
    for i, case in enumerate(load_cases(vectors_dir / "package.json")):
        pins = case["pins"]
        assert pins["legacy"] is False, case["name"]
        root = tmp_path / f"pkg{i}"
        root.mkdir()
        write_files(root, case["files"])
        status, stdout = run_cli(root, pins)
        want = json.loads(stdout)
        try:
            r = ov.check_package(str(root), digest=pins["digest"], keys=pins["keys"], threshold=pins["threshold"])
            assert status == 0, case["name"]
        except ov.OmegaError as e:
            assert status == (1 if e.kind() == "verification" else 2), case["name"]
            assert want["message"] == e.detail, case["name"]
            r = e.report
            assert r is not None, case["name"]
            want["message"] = json.loads(r.json)["message"]
        # json.dumps keeps insertion order: equal text means equal keys, values and order.
        assert json.dumps(json.loads(r.json)) == json.dumps(want), case["name"]
        compared += 1
    assert compared >= 15
