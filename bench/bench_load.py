"""Benchmark: many concurrent browser sessions doing drag moves on one Streamlit server.

Starts ONE ``streamlit run app.py`` (on a throwaway SQLite store, so drafts never touch ``var/``)
unless ``--url`` names a server that is already running, then drives Debian's chromium (one
process, Playwright's async API) with one browser context per session: each context is its own
Streamlit session (own cookie, own session state). Two phases in the same run, on the same server:

    peer     1 session alone doing ``--moves`` moves (the baseline)
    load     ``--sessions`` sessions at once (default 20), each doing ``--moves`` moves (default 10)

Each session opens the Plan page on the Norfolk default (``--open-at-once`` pages at a time, default 2:
20 Streamlit front ends starting at once in one chromium on 2 cores take minutes, almost all of it
browser CPU), waits until the map and the figures are drawn, then (once every session of the phase is
ready, so all the moves run concurrently) does its moves back to back: it drags a
centre that is alone in its group onto the marker of a centre of another group, so every move
removes one lot, and waits until the "Lots" figure shows the new count before the next move.
Sessions take their centres in different orders (each starts at its own offset in the list of
movable centres, and round-robins its own targets), so no two do the same moves.

Per move, in page time (``performance.now()``): drop -> figures painted, i.e. the frame after the
"Lots" figure changed (a MutationObserver installed before the drag, ``bench_browser.WATCH_JS``)
minus ``data-last-drop-ms`` of the map container (the same approach as ``bench_browser.py``). The
figures a move changes are painted by the browser at the drop (``live_figures`` of the map component)
and confirmed by Python's answer; drop -> Python's answer reaching the map (the dragged marker's
``data-group`` is the target) is printed too: it is what the server's load costs. Each session waits
for that answer before its next move.

Errors counted per session: a page that does not become ready, a move that times out or raises,
a move that does not take effect (the lot count did not fall by one, or the marker did not get its
new group), a Streamlit error alert or exception box on the page after a move (not the Plan page's
"Rule flags: ..." line, an ``st.error`` that reports the plan's broken rules), an uncaught
JavaScript error, a request to a host other than localhost (aborted). Warnings (e.g. "Draft not
autosaved") are counted separately.

CPU seconds of the server's process tree and of the browser (chromium and the Playwright driver) are
printed for the whole phase and for the moves alone: on one machine they say who was busy.

The server's RSS (the process listening on the port and its children; psutil if installed, else
``/proc/<pid>/status`` VmRSS) is sampled every 0.5 s during each phase; the peak is printed.

Printed: sessions, moves, median / p95 / max drop -> figures ms, errors, peak server RSS MB, wall
time for each phase, the ratio load median / peer median, and the targets (median <= 1000 ms,
0 errors, peak RSS <= 600 MB) with PASS/FAIL. Figures, not assertions: exit status 0 regardless
(2 only when chromium is missing or the server cannot be started or found).

    python bench/bench_load.py                       # 20 sessions x 10 moves, and the 1-session peer
    python bench/bench_load.py --sessions 5 --moves 4
    python bench/bench_load.py --url http://127.0.0.1:8501 --json out.json

The browser and the server share the machine: on 2 cores, 20 chromium pages drawing Leaflet maps
compete with the server for CPU, so the figures are an upper bound of what 20 people on their own
machines would see. The load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_browser import (  # noqa: E402
    CONFIRMED_JS,
    IDLE_JS,
    MAP,
    MARKERS,
    MARKERS_JS,
    PAINTED_JS,
    WATCH_JS,
    _harness,
    _load,
    _pct,
    with_clearance,
)

TARGET_MEDIAN_MS = 1000.0
TARGET_ERRORS = 0
TARGET_RSS_MB = 600.0
OPEN_TIMEOUT_MS = 240_000  # 20 first runs at once on 2 cores
MOVE_TIMEOUT_MS = 60_000
SAMPLE_S = 0.5
N_TARGETS = 4

READY_JS = "() => document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 8"
# Error alerts and exception boxes, except the Plan page's own "Rule flags: ..." line (an st.error that
# reports the plan's broken rules, ui/plan_panels.py draw_rule_flags: content, not a failure).
ALERTS_JS = """() => ({
    errors: [...document.querySelectorAll('[data-testid="stAlertContentError"], [data-testid="stException"]')]
              .map(e => e.innerText.trim().slice(0, 200)).filter(t => !t.startsWith('Rule flags:')),
    warnings: [...document.querySelectorAll('[data-testid="stAlertContentWarning"]')]
              .map(e => e.innerText.trim().slice(0, 200)),
})"""


# --- the server's memory ----------------------------------------------------------------------------
def _listening_pid(port: int) -> int | None:
    """The pid of the process listening on TCP ``port`` (this user's processes), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{f[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children, MB."""
    try:
        import psutil  # type: ignore[import-not-found]
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            p = psutil.Process(pid)
            procs = [p, *p.children(recursive=True)]
            total = 0
            for q in procs:
                with contextlib.suppress(psutil.Error):
                    total += q.memory_info().rss
            return total / 2**20
        except psutil.Error:
            return float("nan")
    kb = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kb += int(line.split()[1])
        except OSError:
            pass
    return kb / 1024


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (from /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])  # utime, stime (fields 14 and 15)
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


class CpuMeter:
    """CPU seconds of the server's process tree and of this script's other children (chromium, the
    Playwright driver) over a phase: who was busy. Read at the start, every 0.5 s (by the RSS sampler's
    thread, so processes that end during the phase, e.g. a closed context's renderer, still count up
    to their last reading) and at the end."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._server: set[int] = set()
        self._lock = threading.Lock()
        self.server = self.browser = self.server_moves = self.browser_moves = float("nan")
        self._mark: dict[int, float] | None = None

    def read(self) -> None:
        server = _tree(self.server_pid) if self.server_pid is not None else []
        mine = [p for p in _tree(os.getpid()) if p != os.getpid() and p not in server]
        with self._lock:
            self._server.update(server)
            for p in server + mine:
                self._last[p] = cpu_s([p])

    def __enter__(self) -> CpuMeter:
        self.read()
        self._start = dict(self._last)
        return self

    def mark(self) -> None:
        """The moves start here (every page is open): CPU from now on is also counted apart."""
        self.read()
        with self._lock:
            self._mark = dict(self._last)

    def __exit__(self, *exc: object) -> None:
        self.read()
        used = {p: v - self._start.get(p, 0.0) for p, v in self._last.items()}
        self.server = sum(v for p, v in used.items() if p in self._server)
        self.browser = sum(v for p, v in used.items() if p not in self._server)
        if self._mark is not None:
            late = {p: v - self._mark.get(p, 0.0) for p, v in self._last.items()}
            self.server_moves = sum(v for p, v in late.items() if p in self._server)
            self.browser_moves = sum(v for p, v in late.items() if p not in self._server)


class RssSampler:
    """Samples ``rss_mb(pid)`` every ``SAMPLE_S`` seconds in a thread (independent of the event loop)."""

    def __init__(self, pid: int | None, cpu: CpuMeter | None = None) -> None:
        self.pid = pid
        self.cpu = cpu
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.pid is not None:
                v = rss_mb(self.pid)
                if math.isfinite(v) and v > 0:
                    self.samples.append(v)
            if self.cpu is not None:
                self.cpu.read()
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak(self) -> float:
        return max(self.samples) if self.samples else float("nan")


# --- one session ------------------------------------------------------------------------------------
class Session:
    def __init__(self, index: int) -> None:
        self.index = index
        self.moves: list[dict] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.blocked: list[str] = []
        self.ready_s = float("nan")
        self.stages: dict[str, float] = {}  # seconds from the start of the open: loaded, map, figures

    def error(self, text: str) -> None:
        self.errors.append(f"session {self.index}: {text}")


async def _markers(page: Any) -> dict[str, dict]:
    ms = with_clearance(await page.locator(MARKERS).evaluate_all(MARKERS_JS))
    return {m["id"]: m for m in ms}


def _plan(ms: dict[str, dict], index: int) -> tuple[list[str], list[str]]:
    """Targets (the most isolated open markers, in this session's order) and this session's sources:
    every other uncovered open marker, starting at an offset of its own."""
    usable = sorted((m for m in ms.values() if m["top"] and m["status"] == "open"), key=lambda m: -m["clear"])
    targets = [m["id"] for m in usable[:N_TARGETS]]
    sources = [m["id"] for m in usable[N_TARGETS:]]
    if sources:
        k = (index * 7) % len(sources)  # 7 is prime to most list lengths: the offsets spread out
        sources = sources[k:] + sources[:k]
    if targets:
        t = index % len(targets)
        targets = targets[t:] + targets[:t]
    return targets, sources


async def _idle(page: Any) -> None:
    await page.wait_for_function(IDLE_JS, timeout=MOVE_TIMEOUT_MS)
    await page.wait_for_timeout(100)


async def _alerts(page: Any, s: Session, where: str) -> None:
    found = await page.evaluate(ALERTS_JS)
    for text in found["errors"]:
        s.error(f"{where}: error on the page: {text!r}")
    for text in found["warnings"]:
        s.warnings.append(f"session {s.index}: {where}: {text!r}")


async def _move(page: Any, src: dict, dst: dict) -> dict:
    """One drag (as bench_browser._move): returns page times relative to the drop."""
    mk = await page.locator(f'.leaflet-marker-icon[data-centre-id="{src["id"]}"]').element_handle()
    before = await page.evaluate(WATCH_JS, [mk, dst["group"]])
    await page.mouse.move(src["x"], src["y"])
    await page.mouse.down()
    await page.mouse.move(dst["x"], dst["y"], steps=12)
    await page.mouse.up()
    await page.wait_for_function(PAINTED_JS, timeout=MOVE_TIMEOUT_MS)
    confirmed = True
    try:
        await page.wait_for_function(CONFIRMED_JS, arg=[mk, dst["group"]], timeout=MOVE_TIMEOUT_MS)
    except Exception:
        confirmed = False
    await _idle(page)
    drop = float(await page.locator(MAP).get_attribute("data-last-drop-ms") or "nan")
    w = await page.evaluate("() => window.__bench")
    python = w["tPython"] - drop if w["tPython"] is not None else float("nan")
    return {"src": src["id"], "from": src["group"], "to": dst["group"], "before": w["before"] or before,
            "after": w["after"], "confirmed": confirmed,
            "figures": w["t"] - drop, "figures_painted": w["tPaint"] - drop, "python": python}


async def run_session(browser: Any, harness: Any, url: str, s: Session, n_moves: int,
                      ready: asyncio.Event, arrived: list[int], n_sessions: int, opening: asyncio.Semaphore) -> None:
    """Open the Plan page (at most ``opening`` sessions at a time), wait for every session of the phase,
    then do ``n_moves`` moves."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)

    async def route(r: Any) -> None:
        parsed = urlparse(r.request.url)
        if parsed.scheme in {"data", "blob"} or parsed.hostname in harness.LOCAL_HOSTS:
            await r.continue_()
        else:
            s.blocked.append(r.request.url)
            await r.abort()

    here = [False]

    def arrive() -> None:  # once per session, whatever happens to it
        if not here[0]:
            here[0] = True
            arrived[0] += 1
            if arrived[0] >= n_sessions:
                ready.set()

    try:
        await context.route("**/*", route)
        page = await context.new_page()
        page.on("pageerror", lambda err: s.error(f"uncaught JavaScript error: {err}"))
        await opening.acquire()
        t0 = time.monotonic()
        try:
            deadline = t0 + OPEN_TIMEOUT_MS / 1000  # one budget for the whole open

            def left() -> float:
                return max(1.0, (deadline - time.monotonic()) * 1000)

            await page.goto(url, timeout=left())
            s.stages["loaded"] = time.monotonic() - t0
            await page.wait_for_function(READY_JS, timeout=left())
            s.stages["figures"] = time.monotonic() - t0
            await page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=left())
            s.stages["map"] = time.monotonic() - t0
            await page.wait_for_function(IDLE_JS, timeout=left())
            s.ready_s = time.monotonic() - t0
        except Exception as exc:
            got = ", ".join(f"{k} at {v:.0f} s" for k, v in s.stages.items()) or "nothing"
            s.error(f"the Plan page did not become ready in {OPEN_TIMEOUT_MS / 1000:.0f} s ({got}): "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
            arrive()
            return
        finally:
            opening.release()
        await _alerts(page, s, "after opening")
        arrive()
        await ready.wait()  # every session of the phase moves at the same time
        ms = await _markers(page)
        targets, sources = _plan(ms, s.index)
        if not targets or len(sources) < n_moves:
            s.error(f"only {len(sources)} movable centres for {n_moves} moves")
        queue = list(sources)
        for i in range(n_moves):
            ms = await _markers(page)  # fresh positions and groups (a message may have moved the map)
            while queue and not (ms.get(queue[0], {}).get("top") and ms[queue[0]]["status"] == "open"):
                queue.pop(0)  # covered by a badge now: not draggable from its centre
            if not queue:
                s.error(f"move {i + 1}: no movable centre left")
                break
            src = ms[queue.pop(0)]
            dst = ms[targets[i % len(targets)]]
            try:
                r = await _move(page, src, dst)
            except Exception as exc:
                s.error(f"move {i + 1} ({src['id']} -> {dst['group']}): {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:160]}")
                with contextlib.suppress(Exception):
                    await _idle(page)
                continue
            r["session"], r["move"] = s.index, i + 1
            s.moves.append(r)
            took = (r["before"] is not None and r["after"] is not None
                    and int(r["after"]) == int(r["before"]) - 1 and r["confirmed"])
            if not took:
                s.error(f"move {i + 1} ({src['id']} {src['group']} -> {dst['group']}) did not take effect: "
                        f"lots {r['before']} -> {r['after']}, marker confirmed: {r['confirmed']}")
            await _alerts(page, s, f"move {i + 1}")
    except Exception as exc:
        s.error(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    finally:
        arrive()
        await context.close()


async def run_phase(browser: Any, harness: Any, url: str, n_sessions: int, n_moves: int,
                    pid: int | None, open_at_once: int) -> dict:
    sessions = [Session(i) for i in range(n_sessions)]
    ready = asyncio.Event()
    arrived = [0]
    opening = asyncio.Semaphore(max(1, open_at_once))
    t_moves = [float("nan")]

    async def moves_start() -> None:
        await ready.wait()
        t_moves[0] = time.monotonic()
        cpu.mark()

    with CpuMeter(pid) as cpu, RssSampler(pid, cpu) as sampler:
        rss_start = rss_mb(pid) if pid is not None else float("nan")
        t0 = time.monotonic()
        marker_task = asyncio.ensure_future(moves_start())
        await asyncio.gather(*(run_session(browser, harness, url, s, n_moves, ready, arrived, n_sessions, opening)
                               for s in sessions))
        wall = time.monotonic() - t0
        marker_task.cancel()
    open_wall = t_moves[0] - t0
    moves_wall = t0 + wall - t_moves[0]
    moves = [m for s in sessions for m in s.moves]
    vals = [m["figures_painted"] for m in moves if math.isfinite(m["figures_painted"])]
    py = [m["python"] for m in moves if math.isfinite(m["python"])]
    errors = [e for s in sessions for e in s.errors]
    errors += [f"session {s.index}: request to another host aborted: {b}" for s in sessions for b in s.blocked]
    ready_s = [s.ready_s for s in sessions if math.isfinite(s.ready_s)]
    return {
        "sessions": n_sessions, "moves_asked": n_sessions * n_moves, "moves": len(vals),
        "median_ms": statistics.median(vals) if vals else float("nan"),
        "p95_ms": _pct(vals, 95) if vals else float("nan"),
        "max_ms": max(vals) if vals else float("nan"),
        "dom_median_ms": statistics.median([m["figures"] for m in moves]) if moves else float("nan"),
        "python_median_ms": statistics.median(py) if py else float("nan"),
        "python_p95_ms": _pct(py, 95) if py else float("nan"),
        "errors": len(errors), "error_list": errors,
        "warnings": [w for s in sessions for w in s.warnings],
        "rss_start_mb": rss_start, "rss_peak_mb": sampler.peak, "rss_samples": len(sampler.samples),
        "ready_median_s": statistics.median(ready_s) if ready_s else float("nan"),
        "ready_max_s": max(ready_s) if ready_s else float("nan"),
        "wall_s": wall, "open_wall_s": open_wall, "moves_wall_s": moves_wall,
        "server_cpu_s": cpu.server, "browser_cpu_s": cpu.browser,
        "server_cpu_moves_s": cpu.server_moves, "browser_cpu_moves_s": cpu.browser_moves,
        "open_stages": [{"session": x.index, **x.stages, "ready": x.ready_s} for x in sessions],
        "all_moves": moves,
    }


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _print_phase(name: str, r: dict) -> None:
    print(f"{name}: {r['sessions']} session(s), {r['moves']} of {r['moves_asked']} moves measured")
    print(f"  drop -> figures painted   median {r['median_ms']:8.1f} ms   p95 {r['p95_ms']:8.1f} ms   "
          f"max {r['max_ms']:8.1f} ms   (DOM updated: median {r['dom_median_ms']:.1f} ms)")
    print(f"  drop -> Python's answer   median {r['python_median_ms']:8.1f} ms   p95 {r['python_p95_ms']:8.1f} ms   "
          "(drawn on the map: the figures painted at the drop confirmed)")
    print(f"  errors {r['errors']}   warnings {len(r['warnings'])}")
    print(f"  server RSS: {r['rss_start_mb']:.0f} MB at start, peak {r['rss_peak_mb']:.0f} MB "
          f"({r['rss_samples']} samples)")
    print(f"  page ready: median {r['ready_median_s']:.1f} s, max {r['ready_max_s']:.1f} s   wall {r['wall_s']:.1f} s")
    print(f"  wall: opening {r['open_wall_s']:.0f} s, moves {r['moves_wall_s']:.0f} s")
    print(f"  CPU, whole phase: server {r['server_cpu_s']:.0f} s, browser (chromium + driver) "
          f"{r['browser_cpu_s']:.0f} s; during the moves: server {r['server_cpu_moves_s']:.1f} s, browser "
          f"{r['browser_cpu_moves_s']:.1f} s ({os.cpu_count()} CPUs)")
    for e in r["error_list"][:15]:
        print(f"    error: {e}")
    if len(r["error_list"]) > 15:
        print(f"    ... {len(r['error_list']) - 15} more")
    for w in sorted(set(r["warnings"]))[:5]:
        print(f"    warning: {w}")


async def _run(args: argparse.Namespace, harness: Any, url: str, pid: int | None) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(harness.CHROMIUM), args=harness.CHROMIUM_FLAGS,
                                           headless=True)
        try:
            peer = await run_phase(browser, harness, url, 1, args.moves, pid, args.open_at_once)
            _print_phase("peer (1 session alone)", peer)
            print()
            load = await run_phase(browser, harness, url, args.sessions, args.moves, pid, args.open_at_once)
            _print_phase(f"load ({args.sessions} sessions at once)", load)
        finally:
            await browser.close()
    return {"peer": peer, "load": load}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20, help="concurrent sessions (default 20)")
    ap.add_argument("--moves", type=int, default=10, help="moves per session (default 10)")
    ap.add_argument("--open-at-once", type=int, default=2,
                    help="pages opening at the same time (default 2; the moves of all sessions then run at once)")
    ap.add_argument("--port", type=int, help="port for the server this script starts (default: a free one)")
    ap.add_argument("--url", help="use this running server instead of starting one (e.g. http://127.0.0.1:8501)")
    ap.add_argument("--json", type=Path, help="write the figures (and every move) to this file")
    args = ap.parse_args(argv)

    harness = _harness()
    if not harness.CHROMIUM.exists():
        print(f"{harness.CHROMIUM} not installed (apt-get install chromium)", file=sys.stderr)
        return 2

    print(f"bench_load: {args.sessions} concurrent sessions x {args.moves} drag moves on the Plan page "
          f"(Norfolk default), one server; peer: 1 session alone")
    print(f"python {platform.python_version()}, {platform.machine()}, chromium {harness.CHROMIUM}")
    print(f"load average at start: {_load()}")
    t_start = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.url:
            url = args.url.rstrip("/")
        else:
            if args.port:
                harness.free_port = lambda: args.port  # run_streamlit picks its port with free_port()
            db = f"sqlite:///{tempfile.mkdtemp(prefix='bench-load-')}/scenarios.sqlite3"
            os.environ["DATABASE_URL"] = db  # the throwaway store: drafts autosaved by the moves go there
            try:
                url = stack.enter_context(harness.run_streamlit(ROOT / "app.py", timeout=90.0))
            except RuntimeError as exc:
                print(f"could not start the server: {exc}", file=sys.stderr)
                return 2
        parsed = urlparse(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        pid = _listening_pid(port) if parsed.hostname in harness.LOCAL_HOSTS else None
        print(f"server {url}, pid {pid if pid is not None else 'unknown (RSS not sampled)'}"
              + (f", RSS {rss_mb(pid):.0f} MB" if pid is not None else ""))
        print()
        res = asyncio.run(_run(args, harness, url, pid))
    peer, load = res["peer"], res["load"]
    ratio = load["median_ms"] / peer["median_ms"] if peer["median_ms"] else float("nan")
    print()
    print(f"{'':<34} {'sessions':>8} {'moves':>6} {'median':>8} {'p95':>8} {'max':>8} {'errors':>6} "
          f"{'peak RSS':>9} {'wall':>7}")
    for name, r in (("peer: 1 session alone", peer), (f"load: {args.sessions} sessions at once", load)):
        print(f"{name:<34} {r['sessions']:>8} {r['moves']:>6} {r['median_ms']:>8.0f} {r['p95_ms']:>8.0f} "
              f"{r['max_ms']:>8.0f} {r['errors']:>6} {r['rss_peak_mb']:>6.0f} MB {r['wall_s']:>6.1f}s")
    print(f"ratio {args.sessions}-session median / 1-session median: {ratio:.2f}x")
    print()
    errors_ok = load["errors"] <= TARGET_ERRORS and peer["errors"] <= TARGET_ERRORS
    print(f"target median drop -> figures <= {TARGET_MEDIAN_MS:.0f} ms ({args.sessions} sessions): "
          f"{load['median_ms']:.0f} ms  {_verdict(load['median_ms'] <= TARGET_MEDIAN_MS)}")
    print(f"target errors = {TARGET_ERRORS}: {load['errors']} (peer {peer['errors']})  {_verdict(errors_ok)}")
    print(f"target peak server RSS <= {TARGET_RSS_MB:.0f} MB: {load['rss_peak_mb']:.0f} MB  "
          f"{_verdict(load['rss_peak_mb'] <= TARGET_RSS_MB)}")
    print(f"load average at end: {_load()}")
    print(f"total {time.monotonic() - t_start:.0f} s")
    if args.json:
        out = {"sessions": args.sessions, "moves_per_session": args.moves, "ratio_median": ratio,
               "targets": {"median_ms": TARGET_MEDIAN_MS, "errors": TARGET_ERRORS, "rss_mb": TARGET_RSS_MB},
               "load_average_end": _load(), **res}
        args.json.write_text(json.dumps(out, indent=1, default=str))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
