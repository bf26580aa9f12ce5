"""The shipped stubs, checked with mypy (when installed: `make test-python` installs it).

mypy 2.4 checks for Python 3.10 at the oldest; the stubs use only typing forms of 3.9.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "typing"


def mypy(*args: str) -> "subprocess.CompletedProcess[str]":
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.skip("mypy is not installed (make test-python installs it)")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", "--python-version", "3.10", *args],
        capture_output=True, text=True, cwd=HERE,
    )


def test_example_type_checks() -> None:
    p = mypy("example.py")
    assert p.returncode == 0, p.stdout + p.stderr


def test_misuse_is_reported() -> None:
    p = mypy("wrong.py")
    marked = {
        i for i, line in enumerate((HERE / "wrong.py").read_text().splitlines(), 1) if "# E:" in line
    }
    reported = {int(m.group(1)) for m in re.finditer(r"^wrong\.py:(\d+): error", p.stdout, re.M)}
    assert p.returncode == 1
    assert reported == marked, p.stdout
