"""Scale-out: two app servers (``streamlit run app.py`` on two free ports) sharing ONE PostgreSQL.

What the README promises for several servers behind a load balancer: a scenario saved through
one server is listed, found and opened through any other. The database is a fresh one of its
own (``postgres_database_url`` in conftest.py: ``$TEST_DATABASE_URL``'s server in CI, else a
throwaway server started with scripts/start_test_postgres.sh); the test is skipped, saying
why, only when no PostgreSQL is available. Offline like every browser test: any request to a
host other than localhost is aborted and fails the test.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from helpers import N_CENTRES, WAIT_MS, expect, headline, marker, metric, open_plan, pick_option

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


def test_scenario_saved_on_one_server_is_found_and_opened_on_another(
        offline_contexts: Any, app_server_runner: Any, postgres_database_url: str) -> None:
    from lib.data import load_default
    from lib.store import ScenarioStore

    data = load_default()
    ids = list(data.centres["centre_id"])
    names = dict(zip(ids, data.centres["name"], strict=True))
    cid, into = ids[5], ids[7]  # baseline groups: G6 -> G8
    name = f"Scale-out {secrets.token_hex(3)}"
    env = {"DATABASE_URL": postgres_database_url}

    with app_server_runner(APP, env, timeout=90.0) as url_a, app_server_runner(APP, env, timeout=90.0) as url_b:
        assert url_a != url_b
        a_op, b_op = offline_contexts(), offline_contexts()
        a, b = a_op.page, b_op.page
        a.goto(url_a, wait_until="commit")
        b.goto(f"{url_b}/scenarios", wait_until="commit")  # server B warms up meanwhile

        # Server A: a keyboard move, then "Save as copy" under a searchable name.
        open_plan(a)
        group = marker(a, into).get_attribute("data-group")
        centres = a.get_by_role("combobox", name="Centre(s)")
        pick_option(a, centres, names[cid], re.compile(rf"^{re.escape(names[cid])} \(G\d+\)$"))
        a.keyboard.press("Escape")
        pick_option(a, a.get_by_role("combobox", name="To group"), f"{group}: ", re.compile(rf"^{group}: "))
        form = a.locator('[data-testid="stForm"]').filter(has=centres)
        form.get_by_role("button", name="Move", exact=True).click()
        expect(marker(a, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
        expect(metric(a, "Lots")).to_have_text(str(N_CENTRES - 1), timeout=WAIT_MS)
        figures = headline(a)

        a.get_by_role("link", name="Scenarios", exact=True).click()
        a.get_by_label("Name (required)").fill(name)
        a.get_by_role("button", name="Save as new", exact=True).click()
        # the page's persistent status line, not the one-run "Saved" alert
        expect(a.get_by_text("saved as version 1").first).to_be_visible(timeout=WAIT_MS)
        code = a.locator('[data-testid="stCode"]').filter(has_text="?link=").first
        m = re.fullmatch(r"(.+)/\?link=([A-Za-z0-9_-]{32})", code.inner_text().strip())
        assert m and m.group(1) == url_a, code.inner_text()
        token = m.group(2)
        with ScenarioStore(postgres_database_url) as store:
            sid = store.open_link(token).id

        # Server B: the Scenarios page finds it by name...
        expect(b.get_by_role("heading", name="Scenarios").first).to_be_visible(timeout=90_000)
        search = b.get_by_label("Search by name, description or author")
        search.fill(name)
        search.press("Enter")
        listing = b.locator('[data-testid="stDataFrame"]').first
        expect(listing.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
        row = listing.locator("tbody tr").first.locator("td").all_inner_texts()
        assert row[0].strip() == name, row

        # ...and its link, pointed at server B, opens the same scenario with the same figures.
        b.goto(f"{url_b}/?link={token}")
        open_plan(b)
        expect(marker(b, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)
        expect(metric(b, "Lots")).to_have_text(str(N_CENTRES - 1), timeout=WAIT_MS)
        assert headline(b) == figures
        expect(b.get_by_text(re.compile(r"saved, version 1"))).to_be_visible()
        for op in (a_op, b_op):
            assert op.blocked == []

    # The one database holds it (read back by a third process: this one).
    with ScenarioStore(postgres_database_url) as store:
        assert store.backend == "postgresql"
        stored = store.get(sid)
        assert stored.name == name and stored.version == 1 and stored.scenario.group_of[cid] == group
        assert [e.id for e in store.list(search=name)] == [sid]
