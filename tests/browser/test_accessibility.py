"""Accessibility (WCAG 2.1 AA) of the whole app (app.py), checked with axe-core in Debian's chromium, offline.

axe-core is vendored in tests/browser/vendor/axe-core/ (see a11y.py): nothing comes from a CDN. One
Streamlit server runs app.py for the module on a fresh SQLite store (``DATABASE_URL``); each test opens
its own browser context (a fresh session at the Norfolk baseline). Chromium has software WebGL on, so
the Compare page's deck.gl maps draw.

- Every page in the top navigation (Plan, Budget, Scenarios, Compare, Data, Overview, and Help once it is
  in the navigation) is drawn at a projector's 1280x720 and checked for serious and critical WCAG
  2.0/2.1 A/AA violations, twice: as the user first sees it, then with the window as tall as the page, so
  that text below the fold (which axe cannot judge for contrast while it is scrolled out of view) is
  checked too. The centre map is a ``components.v2`` component in a shadow root, not an iframe: axe
  checks it as part of the page.
- The Plan page in presentation mode (``?present=1``), when the app has one.
- The centre map: the container is a named ``role="application"``; every marker is a focusable button
  (``tabindex="0"``) named "<centre>, group <label>, <status>"; Tab from the map reaches a centre and
  shows a focus ring; Enter and Space open its popup like a click (the focus moves into it), Shift+Enter
  selects it, Esc clears; the map with its popup and its key open has no violation either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import axe_violations, format_violations
from helpers import MAP, MARKERS, N_CENTRES, WAIT_MS, expect, open_plan

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGES = ("Plan", "Budget", "Scenarios", "Compare", "Data", "Overview", "Help")
OPTIONAL = {"Help"}  # being added (views/help.py): checked once it is in the navigation
PROJECTOR = {"width": 1280, "height": 720}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
HEADING = '[data-testid="stMain"] :is(h1, h2, h3)'

# The deepest focused element (through shadow roots), as {tag, id, label, role, tabindex, inMap}.
ACTIVE_JS = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a) return null;
  return {tag: a.tagName.toLowerCase(), centre: a.getAttribute('data-centre-id'),
          label: a.getAttribute('aria-label'), role: a.getAttribute('role'),
          tabindex: a.getAttribute('tabindex'), testid: a.getAttribute('data-testid'),
          popup: !!(a.closest && a.closest('.leaflet-popup'))};
}"""
PIN_FOCUS_JS = """el => {
  const s = getComputedStyle(el.querySelector('.cm-pin'));
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor};
}"""


# ---------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(chromium_webgl: Any, app_server_runner: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('a11y-db') / 'scenarios.sqlite3'}"
    with app_server_runner(APP, {"DATABASE_URL": db}, timeout=90.0) as url:
        yield url


@pytest.fixture(scope="module")
def nav(chromium_webgl: Any, app: str) -> dict[str, str]:
    """``{title: url}`` of the top navigation, read from the Plan page in a wide window (no overflow menu)."""
    context = chromium_webgl.new_context(viewport={"width": 1800, "height": 1000})
    try:
        page = context.new_page()
        page.goto(app)
        links = page.locator('[data-testid="stTopNavLink"]')
        expect(links.first).to_be_visible(timeout=90_000)
        out = {}
        for link in links.all():
            title = link.inner_text().strip().splitlines()[-1].strip()  # the icon's ligature comes first
            href = link.get_attribute("href") or ""
            out[title] = href if href.startswith("http") else f"{app}/{href.lstrip('/')}"
        return out
    finally:
        context.close()


def settle(page: Any) -> None:
    """Wait until the script run is over and nothing is still being drawn or faded as stale."""
    page.wait_for_selector(IDLE, timeout=90_000)
    expect(page.locator(HEADING).first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(800)
    page.wait_for_selector(IDLE, timeout=WAIT_MS)
    page.mouse.move(2, 2)  # no hover tooltip over what axe measures


def wait_drawn(page: Any, title: str) -> None:
    """Wait until page ``title`` is fully drawn: its own content, then an idle app."""
    if title == "Plan":
        open_plan(page)
    elif title == "Compare":
        decks = page.locator('[data-testid="stDeckGlJsonChart"]')
        expect(decks.first).to_be_visible(timeout=90_000)
        expect(decks.locator("canvas").first).to_be_attached(timeout=WAIT_MS)
    settle(page)
    if title == "Compare":
        page.wait_for_timeout(1500)  # deck.gl draws on the next frames (software WebGL is slow)


def check_page(page: Any, where: str) -> None:
    """No serious or critical violation, first in the window as it is, then with the window as tall as the
    page (Streamlit scrolls its main section, and axe leaves text scrolled out of view unjudged)."""
    found = axe_violations(page)
    size = page.viewport_size
    tall = page.evaluate("""() => {
      const main = document.querySelector('[data-testid="stMain"]');
      return Math.ceil(Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight));
    }""")
    if tall > size["height"] + 40:
        page.set_viewport_size({"width": size["width"], "height": min(tall + 40, 12_000)})
        page.wait_for_timeout(600)
        page.wait_for_selector(IDLE, timeout=WAIT_MS)
        seen = {(v["id"], str(n["target"])) for v in found for n in v["nodes"]}
        for v in axe_violations(page):
            new = [n for n in v["nodes"] if (v["id"], str(n["target"])) not in seen]
            if new:
                found.append({**v, "nodes": new, "help": f"{v['help']} (window as tall as the page)"})
        page.set_viewport_size(size)
    assert not found, format_violations(found, where=where)


def deep_active(page: Any) -> dict[str, Any] | None:
    return page.evaluate(ACTIVE_JS)


def tab_until(page: Any, pred: Any, max_steps: int) -> tuple[dict[str, Any] | None, int]:
    """Press Tab until the focused element satisfies ``pred``; (that element, presses) or (None, max)."""
    for step in range(1, max_steps + 1):
        page.keyboard.press("Tab")
        active = deep_active(page)
        if active and pred(active):
            return active, step
    return None, max_steps


# ---------------------------------------------------------------------------
# every page of the navigation
# ---------------------------------------------------------------------------


def test_navigation_lists_the_pages(nav: dict[str, str]) -> None:
    missing = [p for p in PAGES if p not in OPTIONAL and p not in nav]
    assert not missing, f"pages missing from the navigation: {missing} (found {list(nav)})"


@pytest.mark.parametrize("title", PAGES)
def test_page_has_no_serious_violation(offline_contexts: Any, nav: dict[str, str], title: str) -> None:
    if title not in nav:
        assert title in OPTIONAL
        pytest.skip(f"no {title} page in the navigation yet ({', '.join(nav)})")
    op = offline_contexts(**PROJECTOR)
    page = op.page
    page.goto(nav[title])
    wait_drawn(page, title)
    check_page(page, f"{title} ({nav[title]}, 1280x720)")


def test_presentation_mode_has_no_serious_violation(offline_contexts: Any, app: str) -> None:
    op = offline_contexts(**PROJECTOR)
    page = op.page
    page.goto(f"{app}/?present=1")
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=90_000)
    settle(page)
    presenting = page.get_by_role("button", name=re.compile(r"Leave presentation"))
    if not presenting.count():
        pytest.skip("?present=1 draws the ordinary Plan page: no presentation mode in the app yet")
    expect(page.locator(MARKERS)).to_have_count(N_CENTRES, timeout=WAIT_MS)
    check_page(page, f"Plan presenting ({app}/?present=1, 1280x720)")


# ---------------------------------------------------------------------------
# the centre map: names, focus, keyboard
# ---------------------------------------------------------------------------


def test_map_markers_are_named_and_focusable(offline_contexts: Any, app: str, names: dict[str, str]) -> None:
    op = offline_contexts(**PROJECTOR)
    page = op.page
    open_plan(page, app)
    settle(page)

    container = page.locator(MAP)
    assert container.get_attribute("role") == "application"
    label = container.get_attribute("aria-label") or ""
    assert re.search(r"map of children.s centres", label, re.I), label
    assert container.get_attribute("tabindex") == "0"

    markers = page.locator(MARKERS).evaluate_all("""els => els.map(e => ({
      id: e.getAttribute('data-centre-id'), label: e.getAttribute('aria-label'), role: e.getAttribute('role'),
      tabindex: e.getAttribute('tabindex'), group: e.getAttribute('data-label'),
      status: e.getAttribute('data-status')}))""")
    assert len(markers) == N_CENTRES
    bad = []
    for m in markers:
        want = f"{names[m['id']]}, group {m['group']}, {m['status']}"
        if m["tabindex"] != "0" or m["role"] != "button" or not (m["label"] or "").startswith(want):
            bad.append((m, want))
    assert not bad, "markers not focusable or not named '<centre>, group <label>, <status>':\n" + "\n".join(
        f"  {m} (want {want!r})" for m, want in bad[:10])

    # The key: collapsed on a 640 px map, a button named by its words; open, its rows say what colours mean.
    toggle = page.locator('.cm-legend [data-role="legend-toggle"]')
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Show key", exact=True)).to_have_count(1)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("group", name="Map key")).to_have_count(1)
    rows = page.locator(".cm-legend-body .cm-legend-label").all_inner_texts()
    assert rows and all(r.strip() for r in rows), rows


def test_map_keyboard_reaches_and_opens_a_centre(offline_contexts: Any, app: str, names: dict[str, str]) -> None:
    op = offline_contexts(**PROJECTOR)
    page = op.page
    open_plan(page, app)
    settle(page)

    # From the top of the page, Tab alone reaches the map and then a centre (no trap, nothing skipped).
    page.locator("body").focus()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    active, steps = tab_until(page, lambda a: a["centre"] is not None, 200)
    assert active is not None, f"no centre reached with {steps} Tab presses from the top of the Plan page"
    cid = active["centre"]
    assert active["tabindex"] == "0" and active["role"] == "button"
    assert active["label"].startswith(f"{names[cid]}, group "), active

    # The next Tab goes to another centre; the focused one shows a visible ring.
    focused = page.locator(f'{MARKERS}[data-centre-id="{cid}"]')
    ring = focused.evaluate(PIN_FOCUS_JS)
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    page.keyboard.press("Tab")
    nxt = deep_active(page)
    assert nxt and nxt["centre"] and nxt["centre"] != cid, nxt
    page.keyboard.press("Shift+Tab")
    assert (deep_active(page) or {}).get("centre") == cid

    # The focused centre's tooltip describes it (reach, deprived share).
    described = focused.get_attribute("aria-describedby")
    assert described, "a focused marker is described by its tooltip"

    # Enter opens its popup (as a click does), and the focus moves into it; Esc closes it.
    page.keyboard.press("Enter")
    popup = page.locator(f'.cm-popup-body[data-popup-centre="{cid}"]')
    expect(popup).to_be_visible(timeout=WAIT_MS)
    expect(popup).to_contain_text(names[cid])
    page.wait_for_timeout(100)
    assert (deep_active(page) or {}).get("popup"), deep_active(page)

    # With the popup and the key open, the map still has no serious violation.
    page.locator('.cm-legend [data-role="legend-toggle"]').click()
    expect(page.locator(".cm-legend")).to_have_attribute("data-open", "1")
    found = axe_violations(page, include=[".st-key-plan_map"])
    assert not found, format_violations(found, where="the centre map with a popup and its key open")

    # Esc in the popup closes it and gives the focus back to the marker.
    popup.locator("select, button").first.focus()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0, timeout=WAIT_MS)
    assert (deep_active(page) or {}).get("centre") == cid, deep_active(page)

    # Space does the same as Enter, on a focused marker, and does not scroll the page.
    page.locator(MAP).focus()
    page.keyboard.press("Tab")
    other = (deep_active(page) or {}).get("centre")
    assert other, deep_active(page)
    scroll = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
    page.keyboard.press(" ")
    expect(page.locator(f'.cm-popup-body[data-popup-centre="{other}"]')).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == scroll
    page.keyboard.press("Escape")

    # Shift+Enter selects the focused centre (as shift+click does) and says so in its name; Esc clears.
    mk = page.locator(f'{MARKERS}[data-centre-id="{other}"]')
    mk.focus()
    page.keyboard.press("Shift+Enter")
    expect(mk).to_have_attribute("data-selected", "1", timeout=WAIT_MS)
    expect(mk).to_have_attribute("aria-label", re.compile(r", selected\b"))
    expect(page.locator(MAP)).to_have_attribute("data-selected", other)
    page.keyboard.press("Escape")
    expect(mk).to_have_attribute("data-selected", "0", timeout=WAIT_MS)
