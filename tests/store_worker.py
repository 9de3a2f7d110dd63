"""Worker processes for tests/test_store.py (multiprocessing targets and a kill -9 victim).

Run as a script it is the writer that test_store kills:
``python tests/store_worker.py writer URL`` saves scenarios in a loop and prints one line per
committed change, *after* the commit returned: ``new ID N`` or ``upd ID VERSION N``.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.scenario import Scenario  # noqa: E402
from lib.store import ConflictError, ScenarioStore  # noqa: E402

CENTRES = [f"C{i:02d}" for i in range(30)]


def scenario(marker: str, shift: int = 0) -> Scenario:
    """A small scenario whose content says who wrote it (``notes``) and differs by ``shift``."""
    start = shift % 28
    edited = Scenario.baseline(CENTRES, name=marker).move(CENTRES[start:start + 3], "G1")
    return replace(edited.close(CENTRES[(shift + 7) % 30]), notes=marker)


def open_and_save(url: str, worker: int) -> str:
    """Open a (possibly empty) database at the same time as other processes and save one scenario."""
    store = ScenarioStore(url)
    try:
        return store.save_new(scenario(f"first-open {worker}"), name=f"first-open {worker}", dataset="Norfolk",
                              author=f"worker {worker}").id
    finally:
        store.close()


N_EXAMPLES = 5


def seed_examples(url: str, worker: int, barrier: Any) -> int:
    """Seed the same examples as every other worker, all starting at once; returns how many this one saved."""
    store = ScenarioStore(url)
    try:
        barrier.wait(timeout=120)
        return sum(store.seed_example(scenario(f"Example {k}"), name=f"Example {k}", dataset="Norfolk",
                                      author=f"worker {worker}") for k in range(N_EXAMPLES))
    finally:
        store.close()


def hammer(url: str, worker: int, shared_ids: dict[str, str], n_new: int, n_updates: int, seed: int,
           barrier: Any = None) -> dict:
    """Save ``n_new`` scenarios and attempt ``n_updates`` updates of the shared ids (id -> editing token).

    All workers start together (``barrier``). One update in five deliberately uses a stale version.
    Every operation either lands or raises ConflictError; anything else propagates and fails the
    test. Returns what landed.
    """
    rng = random.Random(seed)
    store = ScenarioStore(url)
    ops = ["new"] * n_new + ["update"] * n_updates
    rng.shuffle(ops)
    created: dict[str, str] = {}
    updates: dict[str, int] = {}
    conflicts = 0
    stale_conflicts = 0
    if barrier is not None:
        barrier.wait(timeout=120)
    started = time.perf_counter()
    try:
        for i, op in enumerate(ops):
            if op == "new":
                marker = f"w{worker}-n{i}"
                saved = store.save_new(scenario(marker, shift=i), name=marker, dataset="Norfolk",
                                       author=f"worker {worker}", description=f"saved by worker {worker}")
                assert saved.version == 1
                created[saved.id] = marker
                continue
            sid = rng.choice(sorted(shared_ids))
            current = store.get(sid)
            stale = current.version > 1 and rng.random() < 0.2
            expected = current.version - 1 if stale else current.version
            marker = f"v{expected + 1} by w{worker}-u{i}"
            try:
                saved = store.update(sid, scenario(marker, shift=i), expected_version=expected,
                                     author=f"worker {worker}", edit_token=shared_ids[sid])
            except ConflictError as exc:
                assert exc.current_version > expected, (exc.current_version, expected)
                assert exc.updated_by.startswith("worker "), exc.updated_by
                conflicts += 1
                stale_conflicts += stale
                continue
            assert not stale, "a stale version was accepted"
            assert saved.version == expected + 1
            updates[sid] = updates.get(sid, 0) + 1
    finally:
        store.close()
    return {"created": created, "updates": updates, "conflicts": conflicts, "stale_conflicts": stale_conflicts,
            "seconds": time.perf_counter() - started}


def writer(url: str) -> None:
    """Save and update forever; print each change after it committed."""
    store = ScenarioStore(url)
    mine: list[tuple[str, int, str]] = []
    i = 0
    while True:
        if mine and i % 3 == 2:
            k = random.randrange(len(mine))
            sid, version, token = mine[k]
            saved = store.update(sid, scenario(f"upd {i}", shift=i), expected_version=version, author="writer",
                                 edit_token=token)
            mine[k] = (sid, saved.version, token)
            print(f"upd {sid} {saved.version} {i}", flush=True)
        else:
            saved = store.save_new(scenario(f"new {i}", shift=i), name=f"kill {i}", dataset="Norfolk",
                                   author="writer")
            mine.append((saved.id, 1, saved.edit_token))
            print(f"new {saved.id} {i}", flush=True)
        i += 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "writer":
        writer(sys.argv[2])
    else:
        sys.exit("usage: store_worker.py writer URL")
