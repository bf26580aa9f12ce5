"""Shared helpers: loading vector files and writing their in-memory files to a directory."""

import json
import os
from pathlib import Path

# Linux's NAME_MAX: a longer path component cannot be created.
NAME_MAX = 255


def load_cases(path: Path) -> list:
    doc = json.loads(path.read_text(encoding="utf-8"))
    cases = doc["cases"]
    assert cases, f"{path}: no cases"
    return cases


def file_bytes(f: dict) -> bytes:
    if "text" in f:
        assert "hex" not in f, f
        return f["text"].encode("utf-8")
    return bytes.fromhex(f["hex"])


def unrepresentable(files: list):
    """Why these vector files cannot all exist at once in a directory, or None if they can.

    A directory cannot hold an empty or absolute path, an empty, `.` or `..` component (`a//b`,
    `dir/`, `a/./b`, `../x`), a component longer than NAME_MAX, or the same path twice, or a file that is also a directory. Such
    cases test path rules that only in-memory inputs (tarballs, WASM) can reach.
    """
    seen = set()
    for f in files:
        p = f["path"]
        if p == "":
            return "empty path"
        if p.startswith("/"):
            return "absolute path"
        for c in p.split("/"):
            if c in ("", ".", ".."):
                return f"component {c!r}"
            if len(c.encode("utf-8")) > NAME_MAX:
                return "component longer than NAME_MAX"
        if p in seen:
            return "duplicate path"
        seen.add(p)
    for p in seen:
        parts = p.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in seen:
                return "a path is both a file and a directory"
    return None


def write_files(root: Path, files: list) -> None:
    """Writes the vector files below root: mode 0755 when executable, else 0644."""
    for f in files:
        target = root / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file_bytes(f))
        os.chmod(target, 0o755 if f["executable"] else 0o644)
