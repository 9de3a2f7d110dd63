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


# ---------------------------------------------------------------------------
# Fixtures for tests that run the whole app against a chosen database
# (test_scenarios_browser.py, test_scale_out.py): an app server with extra
# environment variables, a WebGL-capable chromium, several offline browser
# contexts per test (each a fresh Streamlit session), and PostgreSQL.
# ---------------------------------------------------------------------------

WEBGL_FLAGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]  # deck.gl (pydeck) needs WebGL
START_PG = ROOT / "scripts" / "start_test_postgres.sh"


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def run_app_server(app: Path, env: dict[str, str], **kwargs: Any) -> Iterator[str]:
    """``run_streamlit`` with extra environment variables (e.g. ``DATABASE_URL``) for that server only:
    the test process's environment is restored as soon as the server is up."""
    with contextlib.ExitStack() as stack:
        with _environ(env):
            url = stack.enter_context(run_streamlit(app, **kwargs))
        yield url


@pytest.fixture(scope="session")
def app_server_runner() -> Any:
    """``with app_server_runner(app_path, {"DATABASE_URL": url}) as url: ...``"""
    return run_app_server


@pytest.fixture(scope="session")
def chromium_webgl(chromium: Any) -> Iterator[Any]:
    """A second Debian chromium (same Playwright) with software WebGL forced on, for deck.gl maps."""
    browser = chromium.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_FLAGS, *WEBGL_FLAGS],
                                           headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def offline_contexts(chromium_webgl: Any) -> Iterator[Any]:
    """``new_page()`` -> an :class:`OfflinePage` in a new browser context (own cookies, own Streamlit
    session), non-localhost requests aborted. At teardown every context is closed and the test fails if
    any of them tried to reach the network or raised an uncaught JavaScript error."""
    made: list[tuple[Any, OfflinePage]] = []

    def new_page(*, width: int = 1400, height: int = 1000) -> OfflinePage:
        context = chromium_webgl.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                             accept_downloads=True)
        op = OfflinePage(page=context.new_page())

        def route(r: Any) -> None:
            url = r.request.url
            parsed = urlparse(url)
            if parsed.scheme in {"data", "blob"} or parsed.hostname in LOCAL_HOSTS:
                r.continue_()
            else:
                op.blocked.append(url)
                r.abort()

        context.route("**/*", route)
        op.page.on("request", lambda req: op.requests.append(req.url))
        op.page.on("pageerror", lambda err: op.errors.append(str(err)))
        made.append((context, op))
        return op

    try:
        yield new_page
    finally:
        for context, _ in made:
            with contextlib.suppress(Exception):
                context.close()
    for _, op in made:
        assert op.blocked == [], f"page tried to reach the network: {op.blocked}"
        assert op.errors == [], f"uncaught JavaScript errors: {op.errors}"


def _pg_binaries() -> bool:
    import glob
    import shutil

    debian = [p for p in glob.glob("/usr/lib/postgresql/*/bin/initdb") if os.access(p, os.X_OK)]
    return bool(debian) or (shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server: ``$TEST_DATABASE_URL`` (CI), else a throwaway one started with
    scripts/start_test_postgres.sh for this session; skips when neither is available."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        yield url
        return
    if not _pg_binaries():
        pytest.skip("no PostgreSQL: TEST_DATABASE_URL is unset and no initdb/pg_ctl binaries are installed "
                    "(apt-get install postgresql)")
    import shutil
    import tempfile

    workdir = tempfile.mkdtemp(prefix="centre-planner-browser-pg-")  # /tmp: the postgres user must reach it
    started = subprocess.run(["bash", str(START_PG), workdir], capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL with {START_PG.name} (exit {started.returncode}):\n"
                    f"{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(START_PG), "--stop", workdir], capture_output=True, timeout=120)


@pytest.fixture
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database of its own on the PostgreSQL server (dropped afterwards), as a URL."""
    import secrets

    import sqlalchemy as sa

    from lib.store import normalise_url

    name = f"cp_browser_{secrets.token_hex(5)}"
    server = normalise_url(postgres_server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def norfolk() -> Any:
    """The network the app plans on (the embedded Norfolk default)."""
    from lib.catchment import prepare
    from lib.data import load_default

    return prepare(load_default())


@pytest.fixture(scope="module")
def names(norfolk: Any) -> dict[str, str]:
    return dict(zip(norfolk.centre_ids, norfolk.dataset.centres["name"], strict=True))
