"""Browser: Suggest lots with a locked lot, watch it run, accept the suggestion, undo it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import MARKERS, WAIT_MS, expect, marker, open_plan, pick_option, shot

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app_url(streamlit_runner):
    with streamlit_runner(ROOT / "app.py", timeout=90) as url:
        yield url


def test_suggest_with_a_lock_accept_and_undo(app_url, offline_page):
    page = offline_page.page
    open_plan(page, app_url)
    groups_before = {m.get_attribute("data-centre-id"): m.get_attribute("data-group")
                     for m in page.locator(MARKERS).all()}
    page.get_by_role("tab", name="Suggest").click()
    locks = page.get_by_role("combobox", name="Locked lots (kept exactly as they are)")
    pick_option(page, locks, "G1", re.compile(r"^G1$"))
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Suggest lots").click()
    bar = page.locator('[data-testid="stAlert"]').filter(has_text="Suggestion")
    expect(bar).to_be_visible(timeout=60_000)
    expect(bar).to_contain_text("change lot")
    shot(page, "suggest_shown")
    # the map shows the suggestion: at least one centre is drawn in a new lot, the locked G1 is as it was
    g1 = [c for c, g in groups_before.items() if g == "G1"]
    expect(marker(page, g1[0])).to_have_attribute("data-group", "G1", timeout=WAIT_MS)
    page.get_by_role("button", name="Accept the suggestion").click()
    expect(bar).to_have_count(0, timeout=WAIT_MS)
    moved = [c for c in groups_before if c not in g1]
    expect(marker(page, moved[0])).not_to_have_attribute("data-group", groups_before[moved[0]], timeout=WAIT_MS)
    page.get_by_role("button", name="↶ Undo").click()
    for c in (moved[0], g1[0]):
        expect(marker(page, c)).to_have_attribute("data-group", groups_before[c], timeout=WAIT_MS)
    shot(page, "suggest_undone")
