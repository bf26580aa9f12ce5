"""Fixtures for the omega-swift tests.

The tests drive omega-swift through uniffi's generated *Python* bindings, which call the same
C ABI (the `uniffi_omega_swift_*` functions declared in OmegaVerifyFFI.h) that the generated
Swift and Kotlin code calls. `make test-swift` generates them into a temporary folder with the
cdylib beside them and points OMEGA_UNIFFI_PY at it. Nothing here is ever skipped: a missing
library, vector file or tool fails the run.
"""

import importlib
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SWIFT_DIR = HERE.parent  # bindings/swift
REPO = SWIFT_DIR.parent.parent


def _generated_dir() -> Path:
    d = os.environ.get("OMEGA_UNIFFI_PY")
    if not d:
        raise RuntimeError(
            "OMEGA_UNIFFI_PY is not set: run `make test-swift`, or generate the Python "
            "bindings with `bindings/swift/bindgen.sh python DIR` and set OMEGA_UNIFFI_PY=DIR"
        )
    return Path(d)


@pytest.fixture(scope="session")
def ov():
    """The generated module `omega_swift` (uniffi Python bindings over libomega_swift)."""
    d = _generated_dir()
    if not (d / "omega_swift.py").is_file():
        raise RuntimeError(f"{d}/omega_swift.py is missing")
    sys.path.insert(0, str(d))
    try:
        return importlib.import_module("omega_swift")
    finally:
        sys.path.remove(str(d))


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The project's cross-language vectors (tests/vectors)."""
    return REPO / "tests" / "vectors"


@pytest.fixture(scope="session")
def shared_vectors_dir() -> Path:
    """The public conformance vectors: $OMEGA_SHARED_VECTORS, else shared/vectors beside the repo."""
    d = os.environ.get("OMEGA_SHARED_VECTORS")
    return Path(d) if d else REPO.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def swift_package_dir() -> Path:
    return SWIFT_DIR / "OmegaVerify"


@pytest.fixture(scope="session")
def kotlin_file() -> Path:
    return SWIFT_DIR / "kotlin" / "omega" / "verify" / "omega_swift.kt"


@pytest.fixture(scope="session")
def static_lib() -> Path:
    """libomega_swift.a of the same build as the cdylib under test ($OMEGA_STATIC_LIB)."""
    p = os.environ.get("OMEGA_STATIC_LIB")
    if not p:
        raise RuntimeError("OMEGA_STATIC_LIB is not set: run `make test-swift`")
    return Path(p)
