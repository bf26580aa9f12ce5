"""The log functions release the GIL while core works: another Python thread keeps running
during one long call (a Merkle root over 400,000 entries, a replay of the vector logs from
many threads). With the GIL held for the whole call, the counting thread could not advance.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import List

import omega_verify as ov
from conftest import project_cases


def test_other_threads_run_during_a_long_call() -> None:
    entries = [i.to_bytes(8, "big") * 4 for i in range(400_000)]
    ticks: List[int] = [0]
    inside = threading.Event()
    done = threading.Event()

    def count() -> None:
        inside.wait()
        while not done.is_set():
            ticks[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        ov.merkle_root(entries[:1000])  # warm up
        inside.set()
        before = ticks[0]
        root = ov.merkle_root(entries)
        during = ticks[0] - before
    finally:
        done.set()
        t.join()
    assert len(root) == 64
    assert during > 1000, f"the counting thread advanced only {during} times during the call"


def test_replay_from_many_threads() -> None:
    logs = [c for c in project_cases("statements.json") if c["kind"] == "log"]
    want = [ov.replay_log(c["entries"]) for c in logs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda c: ov.replay_log(c["entries"]), logs * 10))
    assert got == want * 10
