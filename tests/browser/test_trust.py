"""Browser tests of trust (issues 13 and 14): nothing lost on reload or restart, nothing private
served to others, hostile text inert on every page.

- F5 after 5 keyboard moves: the page offers "You have unsaved work from HH:MM (5 changes)";
  Restore brings back the same grouping and figures, and the undo history;
- a server restart (a new server process on the same SQLite file): the next visit of the same
  browser is offered the draft too;
- uploaded boundaries are written under a name only their session knows: the directory is not
  listed, the content-hash name another session could compute gives 404, and the file is gone
  once its session loads other data;
- hostile names and labels (a centres file and a grouping file on the Data page, a scenario name,
  an author and a note typed in) on every page and in the exports: a local "pixel" server on
  127.0.0.1 sees no request, and no injected script ran (``window.__pwned`` stays undefined).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from helpers import (
    MAP,
    WAIT_MS,
    alert,
    expect,
    expect_figures,
    go_to,
    headline,
    keyboard_move,
    marker,
    open_plan,
    shot,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"


def five_moves(page: Any, names: dict[str, str], ids: list[str]) -> list[tuple[str, str]]:
    """Five keyboard moves: centre ids[10 + i] into the group of ids[i]."""
    moves = []
    for i in range(5):
        cid, into = ids[10 + i], ids[i]
        group = marker(page, into).get_attribute("data-group")
        keyboard_move(page, names, cid, group)
        moves.append((cid, group))
    return moves


def expected_totals(norfolk: Any, moves: list[tuple[str, str]]) -> dict:
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    sc = Scenario.baseline(norfolk.centre_ids)
    for cid, group in moves:
        sc = sc.move([cid], group)
    return evaluate(norfolk, sc).totals()


def restore_offered(page: Any, changes: int) -> None:
    offer = alert(page, "You have unsaved work from")
    expect(offer).to_be_visible(timeout=WAIT_MS)
    assert f"({changes} changes)" in offer.inner_text(), offer.inner_text()
    page.get_by_role("button", name="Restore", exact=True).click()
    expect(alert(page, "Restored your unsaved work")).to_be_visible(timeout=WAIT_MS)


def test_reload_offers_the_unsaved_work_back(offline_contexts: Any, app_server_runner: Any, db: str,
                                             norfolk: Any, names: dict[str, str]) -> None:
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        op = offline_contexts()
        page = open_plan(op.page, url)
        moves = five_moves(page, names, list(norfolk.centre_ids))
        totals = expected_totals(norfolk, moves)
        expect_figures(page, totals)
        before = headline(page)

        page.reload()  # F5: a new Streamlit session of the same browser
        open_plan(page)
        assert headline(page)["Lots"].startswith("54")  # the new session starts at the baseline...
        restore_offered(page, 5)  # ...and offers the work back
        open_plan(page)
        expect_figures(page, totals)
        assert headline(page) == before
        for cid, group in moves:
            expect(marker(page, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
        expect(page.get_by_role("button", name="↶ Undo")).to_be_enabled()  # the undo history came back
        page.get_by_role("button", name="↶ Undo").click()
        expect(marker(page, moves[-1][0])).not_to_have_attribute("data-group", moves[-1][1], timeout=WAIT_MS)
        shot(page, "trust_restored_after_reload")


def test_a_server_restart_loses_nothing(offline_contexts: Any, app_server_runner: Any, db: str, norfolk: Any,
                                        names: dict[str, str]) -> None:
    op = offline_contexts()
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        page = open_plan(op.page, url)
        moves = five_moves(page, names, list(norfolk.centre_ids))
        expect_figures(page, expected_totals(norfolk, moves))
    # the server is gone (a crash or a deploy); a new one starts on the same database
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url2:
        page.goto(url2)  # same browser, so the same cookie (cookies do not depend on the port)
        open_plan(page)
        restore_offered(page, 5)
        open_plan(page)
        expect_figures(page, expected_totals(norfolk, moves))


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_uploaded_boundaries_are_not_served_to_other_sessions(app_server_runner: Any, db: str,
                                                              tmp_path: Path) -> None:
    """A session's uploaded boundaries: written by the app's own function (as the Plan page does), then
    fetched from a running server as another session would."""
    import hashlib

    from streamlit.testing.v1 import AppTest

    from lib.boundaries import england_boundaries
    from lib.catchment import prepare
    from lib.data import load_default

    default = load_default()
    own = england_boundaries(default.areas["area_id"])  # as if uploaded: a FeatureCollection
    script = tmp_path / "writer.py"
    script.write_text(
        "import json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import streamlit as st\n"
        "from ui import session\n"
        "st.session_state['url'] = session.boundaries_url(st.session_state['net'])\n"
        "if st.session_state.get('forget'):\n"
        "    session.forget_boundaries()\n")
    from dataclasses import replace

    net = prepare(replace(default, boundaries=own, name="Uploaded by A"))
    at = AppTest.from_file(str(script), default_timeout=60)
    at.session_state["net"] = net
    at.run()
    private = at.session_state["url"]
    assert re.fullmatch(r"/app/static/cache/[A-Za-z0-9_-]{32}\.geojson", private), private
    text = json.dumps(own, separators=(",", ":"))
    guessable = [f"/app/static/cache/{hashlib.sha256(text.encode()).hexdigest()[:32]}.geojson",
                 f"/app/static/cache/{hashlib.sha1(text.encode()).hexdigest()[:16]}.geojson",  # the old scheme
                 "/app/static/cache/", "/app/static/cache", "/app/static/"]
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        assert _get(url + private) == 200  # the session's own map can fetch it (so the checks below can fail)
        for path in guessable:
            assert _get(url + path) == 404, path
        # a second session computing the same data gets its own name, never the first one's
        other = AppTest.from_file(str(script), default_timeout=60)
        other.session_state["net"] = net
        other.run()
        assert other.session_state["url"] != private
        # the first session loads other data: its file is removed
        at.session_state["forget"] = True
        at.run()
        assert _get(url + private) == 404
        other.session_state["forget"] = True
        other.run()


# --- hostile text, with a pixel server --------------------------------------------------------------
class _Pixel(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Pixel.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()
        self.wfile.write(b"GIF89a")

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def pixel_server() -> Iterator[str]:
    _Pixel.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def hostile(px: str, where: str) -> list[str]:
    return [f"![px]({px}/px_{where})", f"[x]({px}/link_{where})",
            f"<img src={px}/img_{where} onerror=window.__pwned=1>",
            f"<script>window.__pwned='{where}'</script>",
            f"{px}/bare_{where}", f"<{px}/auto_{where}>"]


def test_hostile_text_is_inert_everywhere(offline_contexts: Any, app_server_runner: Any, db: str,
                                          tmp_path: Path) -> None:
    with pixel_server() as px, app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        names = hostile(px, "centre_name")
        groups = hostile(px, "group")
        centres = tmp_path / "centres.csv"
        rows = ["centre_id,name,lat,lon"] + [
            f'c{i},"{n.replace(chr(34), chr(34) * 2)}",{52.60 + 0.02 * i},{-0.75 + 0.03 * i}'
            for i, n in enumerate(names)]
        centres.write_text("\n".join(rows) + "\n")
        grouping = tmp_path / "grouping.csv"
        grouping.write_text("centre_id,group\n" + "".join(
            f'c{i},"{groups[i % 3].replace(chr(34), chr(34) * 2)}"\n' for i in range(len(names))))

        op = offline_contexts(width=1280, height=900)
        page = op.page
        page.goto(url)
        page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=90_000)
        go_to(page, "Data", re.compile(r"^Data"))
        page.get_by_text("An English county or unitary authority", exact=True).click()
        county = page.get_by_role("combobox", name="County or unitary authority", exact=True)
        county.click()
        page.keyboard.type("Rutland")
        page.get_by_role("option", name="Rutland", exact=True).click()
        expect(county).to_have_value("Rutland", timeout=WAIT_MS)
        page.get_by_text("My own centres file", exact=True).click()
        page.locator('[data-testid="stFileUploader"]').filter(has_text="Centres (CSV").locator(
            'input[type="file"]').set_input_files(str(centres))
        expect(page.get_by_text("Columns found")).to_be_visible(timeout=WAIT_MS)
        page.get_by_text("Optional: an existing reach-area assignment or boundaries").click()
        page.locator('[data-testid="stFileUploader"]').filter(has_text="An existing grouping").locator(
            'input[type="file"]').set_input_files(str(grouping))
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Load this dataset").click()
        expect(page.get_by_role("heading", name="Loaded: Rutland")).to_be_visible(timeout=60_000)

        # every page, the Plan page's tabs and tooltips, the notes and a save with hostile text typed in
        go_to(page, "Plan", re.compile(r"^Plan"))
        page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=60_000)
        for m in page.locator(".leaflet-marker-icon[data-centre-id]").all()[:3]:
            m.hover()
            page.wait_for_timeout(200)
        for tab in ("Groups", "Lots", "Rules", "Centres (list view)", "Change log"):
            page.get_by_role("tab", name=tab).click()  # only the open tab is drawn: wait for its run
            page.wait_for_timeout(300)
            expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=WAIT_MS)
        go_to(page, "Scenarios", "Scenarios")
        page.get_by_label("Your name (recorded on saves and notes)").fill(hostile(px, "author")[0][:200])
        page.get_by_label("Your name (recorded on saves and notes)").press("Enter")
        page.get_by_label("Name (required)").fill(hostile(px, "scenario")[0][:200])
        page.get_by_role("button", name="Save as new", exact=True).click()
        expect(page.get_by_text("saved as version 1").first).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("textbox", name="Note", exact=True).fill(" ".join(hostile(px, "note")))
        page.get_by_role("button", name="Add note").click()
        page.wait_for_timeout(1500)
        for name in ("Plan", "Budget", "Compare", "Data", "Overview", "Scenarios"):
            go_to(page, name, re.compile(rf"^{name}|Compare scenarios|Centre Planner|Loaded"))
            page.wait_for_timeout(1500)
            assert page.evaluate("typeof window.__pwned") == "undefined", name
        go_to(page, "Plan", re.compile(r"^Plan"))
        page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=60_000)
        with page.expect_download() as dl:
            page.get_by_role("button", name="Download Excel workbook").click()
        assert dl.value.path()
        shot(page, "trust_hostile_plan")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert _Pixel.seen == [], f"the page fetched from outside: {_Pixel.seen}"
        assert op.blocked == []
