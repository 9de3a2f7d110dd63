"""Browser-test fixtures: a Streamlit server per app, Debian's chromium, and offline pages.

Never downloads a browser (no ``playwright install``): tests are skipped when
/usr/bin/chromium is missing. Every request to a host other than localhost is aborted
and recorded; a test fails at teardown if its page tried to reach the network, or if
the page raised an uncaught JavaScript error.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_streamlit(
    app: Path, *, timeout: float = 60.0, base_url_path: str = "", extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Run ``streamlit run <app>`` from the repository root; yield its URL (no trailing slash)."""
    port = free_port()
    base = f"/{base_url_path.strip('/')}" if base_url_path.strip("/") else ""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{app.stem}-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app.relative_to(ROOT)),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--server.baseUrlPath", base,
        *extra_args,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}{base}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited ({proc.returncode}); see {log_path}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as res:
                        if res.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not become healthy in {timeout}s; see {log_path}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def streamlit_runner() -> Any:
    """``with streamlit_runner(app_path) as url: ...`` runs one Streamlit server."""
    return run_streamlit


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; skips the test when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class OfflinePage:
    """A page whose non-localhost requests are aborted and recorded."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def offline_page(chromium: Any) -> Iterator[OfflinePage]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    op = OfflinePage(page=page)

    def route(r: Any) -> None:
        url = r.request.url
        parsed = urlparse(url)
        if parsed.scheme in {"data", "blob"} or parsed.hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            op.blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page.on("request", lambda req: op.requests.append(req.url))
    page.on("pageerror", lambda err: op.errors.append(str(err)))
    try:
        yield op
    finally:
        context.close()
    assert op.blocked == [], f"page tried to reach the network: {op.blocked}"
    assert op.errors == [], f"uncaught JavaScript errors: {op.errors}"
