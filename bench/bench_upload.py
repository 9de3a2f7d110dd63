"""Benchmark: uploads at their caps, the refusal of a huge file, and what a parse costs another session.

Prints figures and ratios; never asserts on time or memory (exit status 0 unless a
case raises something it should not: an accepted file refused, or the huge file accepted).

    python bench/bench_upload.py            # every case
    python bench/bench_upload.py --quick    # fewer repeats, shorter concurrency runs

Cases (the largest files the loaders accept, built in memory, deterministic)
    centres, postcodes   MAX_CENTRE_ROWS (5,000) rows: id, name, postcode (live English
                         postcodes drawn from the bundled gazetteer), phase, on school site,
                         budget; ``load_centres`` = read + validate + geocode.
    centres, lat/lon     the same with latitude/longitude (points in Norfolk) instead.
    areas                MAX_AREA_ROWS (40,000) rows: code, name, lat, lon, children 0-4,
                         IMD decile; ``load_areas``.
    refused              a 1,000,000-row centres CSV (~40 MB, under the 50 MB upload cap);
                         ``load_centres`` refuses it after 5,000 rows of data.

Figures per case
    time      median (and max) wall time of repeated calls in this process, warm (the
              postcode gazetteer loaded once before).
    peak RSS  each case again in a fresh child process (multiprocessing "spawn"), after
              imports, the gazetteer and the file bytes are in memory: the peak resident
              memory during one call (Linux VmHWM, reset just before through
              /proc/self/clear_refs; elsewhere ``resource.getrusage(RUSAGE_SELF).ru_maxrss``)
              and the ``tracemalloc`` peak of another call (Python and numpy allocations).

Another session's page time during a parse
    Streamlit serves every session from one process, so a parse in one session competes
    for the interpreter lock with every other session's reruns. Here a second thread
    repeatedly runs ``lib.metrics.evaluate(net, Scenario.baseline(...))`` on the Norfolk
    default (the Plan page's main work) and records each call's latency, first alone
    and then while the main thread parses one case after another; medians, p95 and max
    are printed with the ratio to the run alone.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/bench_upload.py` from the repo root
    sys.path.insert(0, str(ROOT))

from lib import geocode  # noqa: E402
from lib.data import MAX_AREA_ROWS, MAX_CENTRE_ROWS, load_areas, load_centres  # noqa: E402
from lib.errors import DataError  # noqa: E402

HUGE_ROWS = 1_000_000
SEED = 20240601


# --- the files ---------------------------------------------------------------------------------

def centres_postcodes_csv(n: int = MAX_CENTRE_ROWS) -> bytes:
    table = geocode.postcode_table()
    live = np.flatnonzero(table.live & (table.quality < geocode.NO_GRID_REFERENCE))
    rng = np.random.default_rng(SEED)
    codes = table.codes[rng.choice(live, n, replace=False)]
    lines = ["Centre ID,Centre Name,Post Code,Phase,On school site,Budget"]
    for i, code in enumerate(codes):
        pc = geocode.format_postcode(code.decode())
        lines.append(f"CC{i:05d},Children's Centre {i},{pc},{i % 3 + 1},{'yes' if i % 2 else 'no'},"
                     f"\"£{150_000 + 17 * i:,}\"")
    return ("\n".join(lines) + "\n").encode()


def centres_latlon_csv(n: int = MAX_CENTRE_ROWS) -> bytes:
    rng = np.random.default_rng(SEED + 1)
    lat = rng.uniform(52.45, 52.95, n)
    lon = rng.uniform(0.35, 1.70, n)
    lines = ["Centre ID,Centre Name,Latitude,Longitude,Phase,On school site,Budget"]
    lines += [f"CC{i:05d},Children's Centre {i},{lat[i]:.6f},{lon[i]:.6f},{i % 3 + 1},{'yes' if i % 2 else 'no'},"
              f"{150_000 + 17 * i}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def areas_csv(n: int = MAX_AREA_ROWS) -> bytes:
    rng = np.random.default_rng(SEED + 2)
    lat = rng.uniform(50.7, 54.8, n)
    lon = rng.uniform(-2.5, 0.5, n)
    children = rng.integers(20, 200, n)
    decile = rng.integers(1, 11, n)
    lines = ["LSOA11CD,LSOA11NM,Latitude,Longitude,Children aged 0-4,IMD decile"]
    lines += [f"E{i:08d},Area {i:05d}A,{lat[i]:.6f},{lon[i]:.6f},{children[i]},{decile[i]}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def huge_centres_csv(n: int = HUGE_ROWS) -> bytes:
    head = b"Centre ID,Centre Name,Latitude,Longitude,Phase,On school site\n"
    return head + b"".join(b"CC%07d,Centre %07d,52.%06d,1.%06d,1,yes\n" % (i, i, i % 999_983, i % 999_979)
                           for i in range(n))


def _load_centres(raw: bytes) -> object:
    return load_centres(raw, "centres.csv")


def _load_areas(raw: bytes) -> object:
    return load_areas(raw, "areas.csv")


def _refuse(raw: bytes) -> object:
    try:
        load_centres(raw, "huge.csv")
    except DataError as err:
        return str(err)
    raise AssertionError("the huge file was accepted")


CASES: dict[str, tuple[Callable[[], bytes], Callable[[bytes], object]]] = {
    f"centres, postcodes ({MAX_CENTRE_ROWS:,} rows)": (centres_postcodes_csv, _load_centres),
    f"centres, lat/lon ({MAX_CENTRE_ROWS:,} rows)": (centres_latlon_csv, _load_centres),
    f"areas ({MAX_AREA_ROWS:,} rows)": (areas_csv, _load_areas),
    f"refused: centres ({HUGE_ROWS:,} rows)": (huge_centres_csv, _refuse),
}


# --- timing and memory ---------------------------------------------------------------------------

def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> np.ndarray:
    """Wall times (ms) of ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = np.empty(repeats)
    for i in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - t0
    return out * 1000.0


def _max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def _status_mb(field: str) -> float | None:
    """A memory figure of /proc/self/status (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the peak RSS (VmHWM, and so ru_maxrss) to the current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_mb("VmHWM") is not None


def _memory_child(label: str, path: str, queue) -> None:
    """In a fresh process: peak RSS growth and tracemalloc peak of one call of case ``label``."""
    try:
        geocode.postcode_table()  # the gazetteer is loaded once per process, not per upload
        geocode.lsoa_centroids()
        raw = Path(path).read_bytes()
        fn = CASES[label][1]
        gc.collect()
        if _reset_peak():  # the peak of loading the gazetteer would hide the call's own peak
            before = _status_mb("VmRSS")
            fn(raw)
            peak = _status_mb("VmHWM")
        else:  # no /proc: growth of ru_maxrss (zero when an earlier peak was higher)
            before = _max_rss_mb()
            fn(raw)
            peak = _max_rss_mb()
        gc.collect()
        tracemalloc.start()
        fn(raw)
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        queue.put((label, before, peak, traced / 2**20, None))
    except BaseException as exc:  # report, never hang the parent
        queue.put((label, 0.0, 0.0, 0.0, repr(exc)))


def memory(label: str, raw: bytes) -> tuple[float, float, float, str | None]:
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as fh:
        fh.write(raw)
        path = fh.name
    try:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_memory_child, args=(label, path, queue))
        proc.start()
        result = queue.get(timeout=600)
        proc.join(60)
        return result[1:]
    finally:
        os.unlink(path)


# --- another session's page time ---------------------------------------------------------------

class Evaluator(threading.Thread):
    """Runs evaluate(net, scenario) back to back, recording each call's latency (ms), until stopped."""

    def __init__(self, net, scenario):
        super().__init__(daemon=True)
        from lib.metrics import evaluate

        self.call = lambda: evaluate(net, scenario)
        self.stop = threading.Event()
        self.latencies: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            t0 = time.perf_counter()
            self.call()
            self.latencies.append((time.perf_counter() - t0) * 1000.0)


def page_time(net, scenario, seconds: float, work: Callable[[], object] | None) -> tuple[np.ndarray, int]:
    """Latencies of the evaluator thread over ``seconds``, with ``work`` run in a loop meanwhile."""
    thread = Evaluator(net, scenario)
    thread.start()
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if work is None:
            time.sleep(0.05)
        else:
            work()
            done += 1
    thread.stop.set()
    thread.join()
    return np.asarray(thread.latencies[1:] or thread.latencies), done


def _table(head: tuple[str, ...], body: list[tuple[str, ...]], right: set[int]) -> None:
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                                      strict=True)))

    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for row in body:
        print(line(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter concurrency runs")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per case (default 7, quick 3)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of each concurrency run (default 6 s, quick 2 s)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    seconds = args.seconds or (2.0 if args.quick else 6.0)

    started = time.perf_counter()
    print(f"Centre Planner upload benchmark  python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}; {platform.machine()}, {os.cpu_count()} CPU(s)")
    print(f"caps: {MAX_CENTRE_ROWS:,} centre rows, {MAX_AREA_ROWS:,} area rows; repeats {repeats}; "
          f"concurrency runs {seconds:g} s; GIL switch interval {sys.getswitchinterval() * 1000:g} ms")
    with contextlib.suppress(AttributeError, OSError):  # not on every platform
        print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")

    t0 = time.perf_counter()
    geocode.postcode_table()
    geocode.lsoa_centroids()
    print(f"gazetteer loaded once per process: {time.perf_counter() - t0:.2f} s")
    files = {label: make() for label, (make, _) in CASES.items()}

    rows = []
    failed = []
    for label, raw in files.items():
        fn = CASES[label][1]
        try:
            result = fn(raw)
            ms = timed(lambda fn=fn, raw=raw: fn(raw), repeats)
        except (DataError, AssertionError) as exc:
            failed.append(f"{label}: {exc}")
            continue
        before, peak, traced, error = memory(label, raw)
        if error:
            failed.append(f"{label} (child): {error}")
        what = f"refused: {result}" if isinstance(result, str) else f"{len(result):,} rows loaded"
        rows.append((label, f"{len(raw) / 2**20:.1f}", f"{np.median(ms):.0f}", f"{ms.max():.0f}",
                     f"{before:.0f}", f"{peak:.0f}", f"{peak - before:.0f}", f"{traced:.0f}", what))
    print()
    _table(("case", "file MB", "median ms", "max ms", "RSS before MB", "peak RSS MB", "peak +MB", "tracemalloc MB",
            "result"), rows, {1, 2, 3, 4, 5, 6, 7})
    print("\nmemory: one call in a fresh process; 'RSS before' holds the imports, the gazetteer and the file's\n"
          "bytes; 'peak RSS' is the process's peak resident memory during the call (VmHWM, reset just before;\n"
          "ru_maxrss where /proc is missing), 'peak +MB' the difference; tracemalloc: peak of Python and numpy\n"
          "allocations during a second call.")

    from lib.catchment import prepare
    from lib.data import load_default
    from lib.scenario import Scenario

    net = prepare(load_default())
    scenario = Scenario.baseline(net.centre_ids)
    alone, _ = page_time(net, scenario, seconds, None)
    body = [("none (evaluate alone)", "-", f"{len(alone):,}", f"{np.median(alone):.2f}",
             f"{np.percentile(alone, 95):.2f}", f"{alone.max():.2f}", "1.0x", "1.0x")]
    for label, raw in files.items():
        fn = CASES[label][1]
        lat, done = page_time(net, scenario, seconds, lambda fn=fn, raw=raw: fn(raw))
        body.append((label, f"{done:,}", f"{len(lat):,}", f"{np.median(lat):.2f}", f"{np.percentile(lat, 95):.2f}",
                     f"{lat.max():.2f}", f"{np.median(lat) / np.median(alone):.1f}x",
                     f"{lat.max() / alone.max():.1f}x"))
    print(f"\nanother session's page time: evaluate(net, baseline) on Norfolk ({net.n_centres} centres) in a second "
          f"thread, {seconds:g} s per run, while the main thread parses")
    _table(("concurrent parse", "parses", "evaluations", "median ms", "p95 ms", "max ms", "median ratio",
            "max ratio"), body, {1, 2, 3, 4, 5, 6, 7})
    print("\nratio = latency during the parse / latency alone (same process, threads share the interpreter lock).")
    with contextlib.suppress(AttributeError, OSError):  # not on every platform
        print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    for f in failed:
        print(f"FAILED: {f}")
    print(f"benchmark wall time {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
