"""Shared helpers for the omega_verify test suite.

Vectors: the project's cross-language vectors (tests/vectors/*.json) and the public ones in
shared/vectors beside the repository (or $OMEGA_SHARED_VECTORS). A missing vector file FAILS
the test that needs it; nothing is skipped silently.

Signatures made for the tests come from the real `minisign` (installed by scripts/setup.sh),
so these tests are also an interoperability check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]
PROJECT_VECTORS = REPO / "tests" / "vectors"


def shared_vectors_dir() -> Path:
    env = os.environ.get("OMEGA_SHARED_VECTORS")
    return Path(env) if env else REPO.parent / "shared" / "vectors"


def load_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        pytest.fail(
            f"vector file {path} cannot be read ({e}); set OMEGA_SHARED_VECTORS for the public "
            "vectors. Missing vectors fail, they are never skipped.",
            pytrace=False,
        )


def project_cases(name: str) -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = load_json(PROJECT_VECTORS / name)["cases"]
    return cases


def file_bytes(f: Dict[str, Any]) -> bytes:
    return bytes.fromhex(f["hex"]) if "hex" in f else f["text"].encode("utf-8")


def write_files(root: Path, files: Iterable[Dict[str, Any]]) -> None:
    """Writes vector files (`path`, `executable`, `text` or `hex`) below root."""
    for f in files:
        p = root / f["path"]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(file_bytes(f))
        p.chmod(0o755 if f.get("executable") else 0o644)


def vector_package(name: str) -> Dict[str, Any]:
    for c in project_cases("package.json"):
        if c["name"] == name:
            return c
    raise AssertionError(f"package.json has no case {name}")


@dataclass
class MinisignKey:
    exe: str
    pub_path: Path
    sec_path: Path

    @property
    def pub_text(self) -> str:
        return self.pub_path.read_text()

    @property
    def bare(self) -> str:
        return self.pub_text.splitlines()[1].strip()

    def sign(
        self,
        file: Path,
        sig: Optional[Path] = None,
        trusted: str = "signed for the omega_verify tests",
        legacy: bool = False,
    ) -> Path:
        sig = sig or file.with_name(file.name + ".minisig")
        cmd = [self.exe, "-S", "-s", str(self.sec_path), "-m", str(file), "-x", str(sig), "-t", trusted]
        if legacy:
            cmd.insert(2, "-l")
        subprocess.run(cmd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
        return sig


def _make_key(tmp: Path, name: str) -> MinisignKey:
    exe = shutil.which("minisign")
    if exe is None:
        pytest.fail("minisign is needed for these tests (scripts/setup.sh installs it)", pytrace=False)
    pub, sec = tmp / f"{name}.pub", tmp / f"{name}.key"
    subprocess.run(
        [exe, "-G", "-W", "-p", str(pub), "-s", str(sec)],
        check=True, capture_output=True, stdin=subprocess.DEVNULL,
    )
    return MinisignKey(exe, pub, sec)


@pytest.fixture(scope="session")
def mkey(tmp_path_factory: pytest.TempPathFactory) -> MinisignKey:
    return _make_key(tmp_path_factory.mktemp("minisign"), "a")


@pytest.fixture(scope="session")
def mkey2(tmp_path_factory: pytest.TempPathFactory) -> MinisignKey:
    return _make_key(tmp_path_factory.mktemp("minisign"), "b")


@pytest.fixture
def left_pad(tmp_path: Path) -> Path:
    """The vector package `left-pad` (package.json `digest_and_key`): 4 files, its manifest,
    and the signature file of the vector key RWQBb21l…"""
    root = tmp_path / "left-pad"
    root.mkdir()
    write_files(root, vector_package("digest_and_key")["files"])
    return root


def resign(pkg: Path, keys: List[MinisignKey], legacy: bool = False) -> None:
    """Replaces the package's signature file by blocks of `keys` over its manifest."""
    manifest = pkg / ".omega" / "manifest.json"
    blocks = []
    for i, k in enumerate(keys):
        sig = k.sign(manifest, sig=pkg / f"block{i}.minisig", trusted=f"block {i}", legacy=legacy)
        blocks.append(sig.read_bytes())
        sig.unlink()
    (pkg / ".omega" / "manifest.json.minisig").write_bytes(b"".join(blocks))
