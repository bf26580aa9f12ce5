"""Threads: the GIL is released while core hashes, reads and verifies, so threads run in
parallel and other Python threads keep running meanwhile.

The proof that does not depend on timing: verify_file blocks in open() on a FIFO until a writer
appears, and the only writer is the main thread. If the GIL were held while it waits, the main
thread could never open the FIFO (the test would hang until its timeout).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import omega_verify as ov
from conftest import MinisignKey, project_cases, resign, vector_package, write_files


def make_tree(root: Path, files: int, size: int) -> None:
    for i in range(files):
        d = root / f"d{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.bin").write_bytes(os.urandom(size))


def test_digest_dir_from_many_threads(tmp_path: Path) -> None:
    trees = []
    for t in range(4):
        root = tmp_path / f"t{t}"
        make_tree(root, 40, 20_000)
        trees.append(root)
    want = [ov.digest_dir(t) for t in trees]
    assert len(set(want)) == 4
    jobs = trees * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(ov.digest_dir, jobs))
    assert got == want * 8


def test_check_package_and_verify_from_many_threads(tmp_path: Path, mkey: MinisignKey) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    write_files(pkg, vector_package("digest_and_key")["files"])
    resign(pkg, [mkey])
    f = tmp_path / "file.bin"
    f.write_bytes(os.urandom(300_000))
    mkey.sign(f, trusted="threads")

    def work(i: int) -> str:
        if i % 2:
            return ov.check_package(pkg, keys=[mkey.bare]).signed_by[0]
        return ov.verify_file(f, mkey.bare)

    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(work, range(60)))
    assert got == ["threads", mkey.bare] * 30


FIFO_SCENARIO = """
import os, sys, threading
import omega_verify as ov
tmp, signature, message = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
fifo = os.path.join(tmp, "message")
os.mkfifo(fifo)
with open(fifo + ".minisig", "w") as f:
    f.write(signature)
result = []
def reader():
    try:
        result.append(ov.verify_file(fifo, "RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"))
    except ov.OmegaError as e:
        result.append(e.code)
t = threading.Thread(target=reader, daemon=True)
t.start()
# The reader blocks in open(fifo) with the GIL released, then streams what this thread writes.
# This open needs the GIL (if the reader has not got there yet, it waits for the reader).
fd = os.open(fifo, os.O_WRONLY)
os.write(fd, message)
os.close(fd)
t.join(10)
print("alive" if t.is_alive() else result[0])
"""


def test_gil_released_while_reading(tmp_path: Path) -> None:
    """Run in a child process, so that a held GIL shows as a timeout rather than a hang."""
    case = project_cases("minisign.json")[0]
    assert case["name"] == "prehashed_key_file"
    out = subprocess.run(
        [sys.executable, "-c", FIFO_SCENARIO, str(tmp_path), case["signature"], case["message_hex"]],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()
    # verify_file streamed the message from the FIFO, as this thread wrote it
    assert out == case["expect"]["trusted_comment"]


def test_gil_released_while_hashing() -> None:
    """While another thread hashes 256 MiB, this thread keeps running Python code."""
    data = os.urandom(1 << 20) * 256
    started = time.perf_counter()
    ov.blake2b256(data)
    alone = time.perf_counter() - started

    done = threading.Event()
    ticks: List[float] = []

    def hasher() -> None:
        ov.blake2b256(data)
        done.set()

    t = threading.Thread(target=hasher)
    t.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    t.join()
    assert len(ticks) > 1
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # With the GIL held for the whole hash this thread would stall for about `alone` seconds.
    assert max(gaps) < max(alone / 2, 0.05), (max(gaps), alone)
