"""Browser tests of scenarios: save, open the share link in a second browser, read-only view,
compare, and two app servers sharing one PostgreSQL (scale-out)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import test_plan_page as tp  # helpers for markers, drags and metrics (same folder)
from conftest import LOCAL_HOSTS, ROOT, OfflinePage

pytestmark = pytest.mark.browser
APP = ROOT / "app.py"


@contextlib.contextmanager
def app_server(runner: Any, database_url: str) -> Iterator[str]:
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database_url
    try:
        with runner(APP, timeout=90) as url:
            yield url
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old


def offline(chromium: Any) -> OfflinePage:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    op = OfflinePage(page=context.new_page())

    def route(r: Any) -> None:
        parsed = urlparse(r.request.url)
        if parsed.scheme in {"data", "blob"} or parsed.hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            op.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return op


def open_link(op: OfflinePage, url: str) -> Any:
    """Open a link on the Plan page and wait for the map and its 54 markers (not necessarily the baseline)."""
    page = op.page
    page.goto(url)
    page.wait_for_selector(f'{tp.MAP}[data-ready="1"]', timeout=60_000)
    from playwright.sync_api import expect

    expect(page.locator(tp.MARKERS)).to_have_count(tp.N_CENTRES, timeout=60_000)  # (the map is in a shadow root)
    return page


def nav(page: Any, name: str) -> None:
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("heading", name=re.compile(name if name != "Plan" else "Plan ·")).first.wait_for(timeout=60_000)


def move_one_centre(page: Any) -> dict:
    iso = tp.isolated(page)
    source, target = iso[0], iso[1]
    tp.drag(page, (source["x"], source["y"]), (target["x"], target["y"]))
    tp.marker(page, source["id"]).and_(page.locator(f'[data-group="{target["group"]}"]')).wait_for(timeout=60_000)
    return {"id": source["id"], "group": target["group"]}


def save_and_get_link(page: Any) -> str:
    nav(page, "Scenarios")
    page.get_by_role("heading", name="Open a scenario").wait_for(timeout=60_000)  # examples seeded, page settled
    page.get_by_role("button", name="Save as new").click()
    code = page.locator("code").filter(has_text="?scenario=").first  # shown once the scenario is stored
    code.wait_for(timeout=90_000)
    return re.search(r"\?scenario=([\w-]+)", code.inner_text()).group(1)


def headline(page: Any) -> dict[str, str]:
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    return {label: tp.metric(page, label).inner_text() for label in ("Groups (lots)", "Open centres", "Budget total")}


def test_saved_scenario_opens_by_link_in_another_browser(chromium: Any, streamlit_runner: Any,
                                                         tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"
    with app_server(streamlit_runner, db) as url:
        first = offline(chromium)
        page = tp.open_plan(first, url)
        moved = move_one_centre(page)
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetric]')].some("
                               "m => m.innerText.includes('Groups (lots)') && m.innerText.includes('53'))")
        figures = headline(page)
        sid = save_and_get_link(page)
        tp.shot(page, "share_saved", full=True)

        second = offline(chromium)
        other = open_link(second, f"{url}/?scenario={sid}")
        tp.marker(other, moved["id"]).and_(other.locator(f'[data-group="{moved["group"]}"]')).wait_for(timeout=60_000)
        assert headline(other) == figures

        viewer = offline(chromium)
        view = open_link(viewer, f"{url}/?scenario={sid}&view=1")
        view.get_by_text("Read-only view").first.wait_for(timeout=60_000)
        assert view.get_by_role("button", name="Move").count() == 0
        assert headline(view) == figures
        tp.shot(view, "share_read_only", full=True)

        nav(page, "Compare")
        page.get_by_text(re.compile(r"\d+ of 54 centres differ")).wait_for(timeout=60_000)
        tp.shot(page, "compare", full=True)
        for op in (first, second, viewer):
            assert op.blocked == []
            op.page.context.close()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh database on the CI server (TEST_DATABASE_URL) or on a throwaway local server."""
    url = os.environ.get("TEST_DATABASE_URL")
    started = None
    if not url:
        if not shutil.which("pg_ctl") and not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
            pytest.skip("no PostgreSQL server binaries installed and no TEST_DATABASE_URL")
        started = Path(tempfile.mkdtemp(prefix="cp-pg-"))  # not under pytest's 0700 tmp: postgres must reach it
        url = subprocess.run(["bash", str(ROOT / "scripts/start_test_postgres.sh"), str(started)],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"scaleout_{secrets.token_hex(4)}"
    server = make_url(url).set(drivername="postgresql")
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if started is not None:
        subprocess.run(["bash", str(ROOT / "scripts/start_test_postgres.sh"), "--stop", str(started)], check=False)


def test_two_app_servers_share_one_postgresql(chromium: Any, streamlit_runner: Any, postgres_url: str) -> None:
    with app_server(streamlit_runner, postgres_url) as url_a, app_server(streamlit_runner, postgres_url) as url_b:
        assert url_a != url_b
        a = offline(chromium)
        page = tp.open_plan(a, url_a)
        moved = move_one_centre(page)
        figures = headline(page)
        sid = save_and_get_link(page)

        b = offline(chromium)
        other = open_link(b, f"{url_b}/?scenario={sid}")
        tp.marker(other, moved["id"]).and_(other.locator(f'[data-group="{moved["group"]}"]')).wait_for(timeout=60_000)
        assert headline(other) == figures
        nav(other, "Scenarios")
        other.get_by_label("Search by name, description or author").fill("Baseline")
        other.keyboard.press("Enter")
        other.get_by_text("Open a scenario").wait_for()
        tp.shot(other, "scale_out_server_b", full=True)
        for op in (a, b):
            assert op.blocked == []
            op.page.context.close()
