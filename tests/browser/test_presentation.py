"""Presentation mode in a real browser: the Present button switches the whole page (its styles come from
app.py and the tabs sit outside the map's fragment), Leave switches it back; looked at at 1280x720."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT_MS, expect, open_plan

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
METRICS = '[data-testid="stMetric"]'
TABS = '[data-testid="stTabs"]'
ROOT_FONT_PX = "() => getComputedStyle(document.documentElement).fontSize"


def test_the_present_button_switches_the_whole_page_and_leave_switches_it_back(
        chromium: Any, app_server_runner: Any, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"
    with app_server_runner(ROOT / "app.py", {"DATABASE_URL": db}) as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        try:
            open_plan(page, url)
            normal_font = page.evaluate(ROOT_FONT_PX)
            expect(page.locator(TABS)).to_have_count(1, timeout=WAIT_MS)

            page.get_by_role("button", name="Present").click()
            expect(page.get_by_role("button", name="Leave presentation")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator(METRICS)).to_have_count(4, timeout=WAIT_MS)
            expect(page.locator(TABS)).to_have_count(0, timeout=WAIT_MS)  # the rest of the page reran too
            page.wait_for_function(f"() => ({ROOT_FONT_PX})() === '18px'", timeout=WAIT_MS)  # app.py's styles
            assert "present=1" in page.url
            page.wait_for_timeout(1500)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "presentation_1280x720.png"))

            page.get_by_role("button", name="Leave presentation").click()
            expect(page.locator(METRICS)).to_have_count(8, timeout=WAIT_MS)
            expect(page.locator(TABS)).to_have_count(1, timeout=WAIT_MS)
            page.wait_for_function(f"() => ({ROOT_FONT_PX})() === {normal_font!r}", timeout=WAIT_MS)
            assert "present=1" not in page.url
        finally:
            context.close()
