"""Page helpers for the whole-app browser tests (Plan, Scenarios, trust): waiting for the map and the
figures, reading them, the keyboard move path, navigation, alerts and screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lib.budget import money  # as the pages format money

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
MAP = '[data-testid="centre-map"]'
MARKERS = ".leaflet-marker-icon[data-centre-id]"
N_CENTRES = 54
WAIT_MS = 30_000  # a rerun on a loaded 2-core box can take several seconds


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(*args)


def start_plan(page: Any, url: str) -> Any:
    """Start loading ``url`` (the Plan page, possibly with ``?link=``); pages load in parallel."""
    page.goto(url, wait_until="commit")
    return page


def open_plan(page: Any, url: str | None = None) -> Any:
    """Go to ``url`` (or finish loading what :func:`start_plan` started) and wait until map and figures are drawn."""
    if url is not None:
        page.goto(url)
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=90_000)
    expect(page.locator(MARKERS)).to_have_count(N_CENTRES, timeout=WAIT_MS)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(8, timeout=WAIT_MS)
    return page


def metric(page: Any, label: str) -> Any:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return box.locator('[data-testid="stMetricValue"]')


def headline(page: Any) -> dict[str, str]:
    """Every headline figure of the Plan page, ``{label: "value [delta]"}``."""
    out = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = " ".join(box.inner_text().replace(label, "", 1).split())
    assert {"Lots", "Open centres", "Budget total"} <= out.keys(), out
    return out


def expect_figures(page: Any, totals: dict) -> None:
    expect(metric(page, "Lots")).to_have_text(f"{totals['lots']:,}", timeout=WAIT_MS)
    expect(metric(page, "Open centres")).to_have_text(f"{totals['open_centres']:,}", timeout=WAIT_MS)
    expect(metric(page, "Budget total")).to_have_text(money(totals["budget_total"]), timeout=WAIT_MS)


def marker(page: Any, cid: str) -> Any:
    return page.locator(f'.leaflet-marker-icon[data-centre-id="{cid}"]')


def pick_option(page: Any, combobox: Any, query: str, wanted: re.Pattern[str], max_steps: int = 30) -> None:
    """Keyboard only: type ``query`` into a select, ArrowDown until the active option matches, Enter."""
    combobox.focus()
    page.keyboard.type(query)
    page.wait_for_timeout(250)
    for _ in range(max_steps):
        active = combobox.get_attribute("aria-activedescendant")
        text = page.locator(f'[id="{active}"]').inner_text() if active else ""
        if wanted.search(text):
            page.keyboard.press("Enter")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option matching {wanted.pattern!r} after typing {query!r}")


def keyboard_move(page: Any, names: dict[str, str], cid: str, group: str) -> None:
    """Move centre ``cid`` to ``group`` with the "Move centres (keyboard)" form; wait for the marker."""
    current = marker(page, cid).get_attribute("data-group")
    centres = page.get_by_role("combobox", name="Centre(s)")
    pick_option(page, centres, names[cid], re.compile(rf"^{re.escape(f'{names[cid]} ({current})')}$"))
    page.keyboard.press("Escape")
    form = page.locator('[data-testid="stForm"]').filter(has=centres)
    expect(form.locator('[data-testid="stMultiSelect"]')).to_contain_text(names[cid])
    pick_option(page, page.get_by_role("combobox", name="To group"), f"{group}: ",
                re.compile(rf"^{re.escape(group)}: "))
    form.get_by_role("button", name="Move", exact=True).click()
    expect(marker(page, cid)).to_have_attribute("data-group", group, timeout=WAIT_MS)


def go_to(page: Any, name: str, heading: str | re.Pattern[str]) -> None:
    """Top navigation, then wait for the page's heading."""
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=WAIT_MS)


def alert(page: Any, text: str | re.Pattern[str]) -> Any:
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def shot(page: Any, name: str, locator: Any = None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.mouse.move(2, 2)  # no hover tooltip
    page.wait_for_timeout(300)
    (locator or page).screenshot(path=str(path))
    return path
