"""Browser tests of the Data page (views/data.py): load a county with a centres file of postcodes.

One Streamlit server runs ``app.py`` for the module, with its own throwaway SQLite store
(``DATABASE_URL`` in a temporary directory). Every request to a host other than localhost
is aborted and recorded (``offline_page`` in conftest.py); each test asserts none happened.

The centres file is built here, from the bundled data: 8 LSOAs of Hertfordshire spread
across the county (farthest-point sampling from the one with most children), the live
postcode nearest each centroid from the bundled gazetteer (``lib.geocode.nearest_postcodes``),
except the last centre, which gets a terminated postcode of its LSOA (placed at the LSOA's
population-weighted centroid). Headers are not canonical (``Centre Ref``, ``Centre Name``,
``Post Code``, ``Phase``) so the page has to propose the column mapping.

Expected figures come from ``lib`` (the functions the page calls): validate_centres on the
proposed mapping, ``Dataset``, ``prepare`` and ``evaluate`` of the baseline.
Screenshots: tests/artifacts/data_*.png (git-ignored).
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import pytest

from lib.budget import money

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
APP = ROOT / "app.py"
COUNTY = "Hertfordshire"
N_AREAS = 690
N_CENTRES = 8
COUNTY_CHOICE = "An English county or unitary authority"
OWN_CENTRES = "My own centres file"
MAP = '[data-testid="centre-map"]'
MARKERS = ".leaflet-marker-icon[data-centre-id]"
HEADER = ("Centre Ref", "Centre Name", "Post Code", "Phase")
WAIT_MS = 30_000  # loading a county (reach areas, boundaries) on a shared 2-core box takes a few seconds


# ---------------------------------------------------------------------------
# the centres file and lib's figures
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    rows: list[list[str]]  # the centres file's data rows (HEADER columns)
    terminated: str  # the terminated postcode in the last row
    totals: dict  # lib's baseline totals


def spread_areas(areas: Any, n: int) -> Any:
    """``n`` areas spread over the county: farthest-point sampling from the one with most children."""
    import numpy as np

    xy = areas[["x", "y"]].to_numpy(float)
    pick = [int(areas["children"].to_numpy().argmax())]
    dist = np.hypot(*(xy - xy[pick[0]]).T)
    while len(pick) < n:
        i = int(dist.argmax())
        pick.append(i)
        dist = np.minimum(dist, np.hypot(*(xy - xy[i]).T))
    return areas.iloc[pick].reset_index(drop=True)


def terminated_postcode(lsoa: str) -> str:
    """A terminated postcode of LSOA ``lsoa`` from the bundled gazetteer ("WD3 2GA")."""
    import numpy as np

    from lib import geocode

    table = geocode.postcode_table()
    rows = np.flatnonzero(~table.live & (table.lsoa_of(np.arange(len(table))) == lsoa.encode()))
    assert len(rows), f"no terminated postcode in {lsoa}"
    return geocode.format_postcode(table.codes[rows[0]].decode())


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def lib_totals(path: Path) -> dict:
    """What lib makes of the file, as the Data page does: proposed mapping, validate, prepare, evaluate."""
    from lib.catchment import prepare
    from lib.data import (
        Dataset,
        apply_mapping,
        check_centres_in_areas,
        load_county_areas,
        propose_mapping,
        validate_centres,
    )
    from lib.metrics import evaluate
    from lib.scenario import Scenario
    from lib.tables import read_table

    frame = read_table(path.read_bytes(), path.name, 0)
    mapping = propose_mapping(frame, "centres")
    assert mapping["postcode"] == "Post Code" and mapping["centre_id"] == "Centre Ref", dict(mapping)
    centres = validate_centres(apply_mapping(frame, mapping, path.name), path.name)
    areas = load_county_areas(COUNTY)
    check_centres_in_areas(centres, areas, path.name)
    assert len(areas) == N_AREAS and len(centres) == N_CENTRES
    assert centres["location_quality"].iloc[-1].startswith("terminated postcode")
    assert (centres["location_quality"].iloc[:-1] == "postcode").all()
    net = prepare(Dataset(name=COUNTY, areas=areas, centres=centres))
    return evaluate(net, Scenario.baseline(net.centre_ids)).totals()


@pytest.fixture(scope="module")
def centres_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    from lib import geocode
    from lib.data import load_county_areas

    picked = spread_areas(load_county_areas(COUNTY), N_CENTRES)
    postcodes = geocode.nearest_postcodes(picked["x"], picked["y"])["postcode"].tolist()
    assert len(set(postcodes)) == N_CENTRES
    gone = terminated_postcode(picked["area_id"].iloc[-1])
    postcodes[-1] = gone
    postcodes[0] = postcodes[0].lower().replace(" ", "")  # as people type them: "hp27ab"
    rows = [[f"CC{i + 1:02d}", f"{picked['name'].iloc[i]} Children's Centre", pc, str(i % 3 + 1)]
            for i, pc in enumerate(postcodes)]
    path = write_csv(tmp_path_factory.mktemp("centres") / "herts_centres.csv", rows)
    totals = lib_totals(path)
    assert totals["groups"] == N_CENTRES and totals["open_centres"] == N_CENTRES
    return path, Expected(rows=rows, terminated=gone, totals=totals)


@pytest.fixture(scope="module")
def app_url(chromium: Any, streamlit_runner: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on its own empty SQLite store (the environment is set only while the server starts)."""
    db = tmp_path_factory.mktemp("data-page-db") / "s.sqlite3"
    with contextlib.ExitStack() as stack:
        with mock.patch.dict(os.environ, {"DATABASE_URL": f"sqlite:///{db}"}):
            url = stack.enter_context(streamlit_runner(APP, timeout=90.0))
        yield url


# ---------------------------------------------------------------------------
# page helpers
# ---------------------------------------------------------------------------


def metric(page: Any, label: str) -> Any:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return box.locator('[data-testid="stMetricValue"]')


def go_to(page: Any, title: str) -> None:
    """Click a page in the top navigation (keeps the session, unlike a new URL)."""
    page.get_by_role("link", name=title, exact=True).click()


def widget(page: Any, testid: str, label: str) -> Any:
    """The widget ``[data-testid=testid]`` whose label starts with ``label``."""
    return page.locator(f'[data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}")))


def combobox(page: Any, label: str) -> Any:
    """A selectbox's input, by its exact label; its value is the option shown."""
    return page.get_by_role("combobox", name=label, exact=True)


def loaded_heading(page: Any) -> Any:
    return page.get_by_role("heading", name=re.compile(r"^Loaded: "))


def open_data_page(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.wait_for_selector(f'{MAP}[data-ready="1"]', timeout=60_000)
    go_to(page, "Data")
    expect(loaded_heading(page)).to_have_text("Loaded: Norfolk", timeout=WAIT_MS)


def choose_county(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_text(COUNTY_CHOICE, exact=True).click()
    county = combobox(page, "County or unitary authority")
    expect(county).to_have_count(1, timeout=WAIT_MS)
    if county.input_value() != COUNTY:  # Hertfordshire is the default today; pick it if that changes
        county.click()
        page.keyboard.type(COUNTY)
        page.get_by_role("option", name=COUNTY, exact=True).click()
    expect(county).to_have_value(COUNTY, timeout=WAIT_MS)
    page.get_by_text(OWN_CENTRES, exact=True).click()  # not the council's real 2025 network


def upload_centres(page: Any, path: Path) -> None:
    from playwright.sync_api import expect

    uploader = widget(page, "stFileUploader", "Centres (CSV or XLSX")
    expect(uploader).to_have_count(1, timeout=WAIT_MS)
    uploader.locator('input[type="file"]').set_input_files(str(path))
    expect(uploader).to_contain_text(path.name, timeout=WAIT_MS)
    # The uploader shows the name at once; the server has the file when the preview of its first
    # rows shows (another file's preview may still be there until then).
    with path.open(newline="") as f:
        first = ["".join(r) for r in list(csv.reader(f))[1:6]]
    preview = page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(rf"^{re.escape(HEADER[0])}$")))
    expect(preview.locator('tbody tr[role="row"]')).to_have_text(first, timeout=WAIT_MS)
    # The column-mapping preview: one select per canonical column.
    expect(combobox(page, "postcode")).to_have_value(HEADER[2], timeout=WAIT_MS)
    expect(combobox(page, "centre id")).to_have_value(HEADER[0], timeout=WAIT_MS)
    wait_idle(page)


def wait_idle(page: Any) -> None:
    """Until the script run in progress (if any) has finished."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning",
                                                                    timeout=WAIT_MS)


def click_load(page: Any) -> None:
    page.get_by_role("button", name="Load this dataset").click()


def alert(page: Any, text: str | re.Pattern[str]) -> Any:
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def expect_plan(page: Any, totals: dict) -> None:
    """The Plan page: one marker per centre, the map ready, lib's headline figures."""
    from playwright.sync_api import expect

    go_to(page, "Plan")
    expect(page.locator(f'{MAP}[data-ready="1"]')).to_have_count(1, timeout=60_000)
    expect(page.locator(MARKERS)).to_have_count(totals["open_centres"], timeout=WAIT_MS)
    expect(metric(page, "Lots")).to_have_text(f"{totals['lots']:,}", timeout=WAIT_MS)
    expect(metric(page, "Open centres")).to_have_text(f"{totals['open_centres']:,}", timeout=WAIT_MS)
    expect(metric(page, "Budget total")).to_have_text(money(totals["budget_total"]), timeout=WAIT_MS)


def shot(page: Any, name: str, *, whole: bool = False) -> Path:
    """Screenshot of what the viewport shows, or (``whole``) of the whole page: Streamlit scrolls inside
    ``stMain``, not the document, so the viewport is made as tall as the page for the shot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.mouse.move(2, 2)
    size = page.viewport_size
    if whole:
        height = page.locator('[data-testid="stMain"]').evaluate("e => e.scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    if whole:
        page.set_viewport_size(size)
        page.wait_for_timeout(300)
    return path


def assert_offline(op: Any) -> None:
    assert op.blocked == [], f"page tried to reach the network: {op.blocked}"


def load_good_file(page: Any, url: str, path: Path) -> None:
    """Data page -> county -> Hertfordshire -> upload -> Load -> success."""
    from playwright.sync_api import expect

    open_data_page(page, url)
    choose_county(page)
    upload_centres(page, path)
    shot(page, "data_mapping_preview", whole=True)
    click_load(page)
    expect(alert(page, f"Loaded {COUNTY}: {N_AREAS} areas, {N_CENTRES} centres")).to_have_count(1, timeout=60_000)
    wait_idle(page)
    expect(loaded_heading(page)).to_have_text(f"Loaded: {COUNTY}", timeout=WAIT_MS)
    expect(metric(page, "Areas (LSOAs)")).to_have_text(str(N_AREAS))
    expect(metric(page, "Centres")).to_have_text(str(N_CENTRES))


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_load_county_with_postcode_centres(offline_page: Any, app_url: str,
                                           centres_file: tuple[Path, Expected]) -> None:
    from playwright.sync_api import expect

    path, expected = centres_file
    page = offline_page.page
    load_good_file(page, app_url, path)
    shot(page, "data_loaded_viewport")  # what the officer sees right after clicking Load
    # The terminated postcode (last row) is flagged in the data-quality report.
    report = page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^Check$")))
    flagged = report.locator('tbody tr[role="row"]').filter(has_text="terminated postcode")
    expect(flagged).to_have_count(1, timeout=WAIT_MS)
    expect(flagged.locator('td[aria-colindex="4"]')).to_have_text(expected.rows[-1][0])
    shot(page, "data_loaded", whole=True)
    expect_plan(page, expected.totals)
    shot(page, "data_plan_after_load")
    assert_offline(offline_page)


def test_bad_centres_file_keeps_the_loaded_dataset(offline_page: Any, app_url: str,
                                                   centres_file: tuple[Path, Expected],
                                                   tmp_path: Path) -> None:
    from playwright.sync_api import expect

    path, expected = centres_file
    page = offline_page.page
    load_good_file(page, app_url, path)

    bad_rows = [list(r) for r in expected.rows]
    bad_rows[1][2] = "ZZ9 9ZZ"  # row 3: not a postcode in the gazetteer
    unknown = write_csv(tmp_path / "unknown_postcode.csv", bad_rows)
    dup_rows = [list(r) for r in expected.rows]
    dup_rows[3][0] = dup_rows[0][0]  # row 5 repeats row 2's id
    duplicate = write_csv(tmp_path / "duplicate_id.csv", dup_rows)

    cases = [
        (unknown, re.compile(r"unknown_postcode\.csv, row 3, column 'Post Code': postcode ZZ9 9ZZ is not in")),
        (duplicate, re.compile(r"duplicate_id\.csv, row 5, column 'Centre Ref': duplicate id 'CC01' "
                               r"\(first at row 2\)")),
    ]
    for bad, message in cases:
        upload_centres(page, bad)
        click_load(page)
        error = alert(page, "Not loaded.")
        expect(error).to_contain_text(message, timeout=WAIT_MS)
        expect(error).to_have_count(1)
        expect(error).to_contain_text(f"The current dataset ({COUNTY}) and your work are unchanged")
        wait_idle(page)
        expect(loaded_heading(page)).to_have_text(f"Loaded: {COUNTY}")
        expect(metric(page, "Centres")).to_have_text(str(N_CENTRES))
        error.scroll_into_view_if_needed()
        shot(page, f"data_error_{bad.stem}")

    expect_plan(page, expected.totals)
    assert_offline(offline_page)


def load_council(page: Any, url: str, council: str) -> None:
    """Data page -> a council -> its real 2025 network (the default choice) -> Load."""
    from playwright.sync_api import expect

    open_data_page(page, url)
    page.get_by_text(COUNTY_CHOICE, exact=True).click()
    county = combobox(page, "County or unitary authority")
    expect(county).to_have_count(1, timeout=WAIT_MS)
    county.click()
    page.keyboard.type(council)
    page.get_by_role("option", name=council, exact=True).click()
    expect(county).to_have_value(council, timeout=WAIT_MS)
    real = page.get_by_text(re.compile(r"^Real: the \d+ centres and hubs open in 2025"))
    expect(real).to_have_count(1, timeout=WAIT_MS)
    wait_idle(page)
    click_load(page)
    expect(loaded_heading(page)).to_have_text(re.compile(rf"^Loaded: {re.escape(council)}: \d+ centres and hubs open "
                                                         "in 2025$"), timeout=60_000)


def test_a_council_s_real_centres_appear_with_their_kind(chromium: Any, app_url: str) -> None:
    """Cornwall (and Kent, the largest council) on the Plan page at 1280x720: every real centre a marker,
    its kind and postcode in the tooltip, the figures lib's."""
    from playwright.sync_api import expect

    from lib.catchment import prepare
    from lib.datasets import council_dataset
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    context = chromium.new_context(viewport={"width": 1280, "height": 720}, device_scale_factor=1)
    blocked: list[str] = []
    context.route("**/*", lambda r: (r.continue_() if (urlparse(r.request.url).hostname or "") in
                                     {"127.0.0.1", "localhost"} or r.request.url.startswith(("data:", "blob:"))
                                     else (blocked.append(r.request.url), r.abort())))
    page = context.new_page()
    try:
        for council in ("Cornwall", "Kent"):
            ds = council_dataset(council)
            net = prepare(ds)
            totals = evaluate(net, Scenario.baseline(net.centre_ids)).totals()
            load_council(page, app_url, council)
            expect_plan(page, totals)
            cid = ds.centres.iloc[0]["centre_id"]
            m = page.locator(f'.leaflet-marker-icon[data-centre-id="{cid}"]')
            m.scroll_into_view_if_needed()
            m.hover(force=True)
            tip = page.locator(".leaflet-tooltip.cm-tip")
            expect(tip).to_contain_text("location: postcode", timeout=WAIT_MS)
            # the hovered marker may be a neighbour drawn on top: check whichever centre the tooltip names
            text = tip.inner_text()
            shown = ds.centres[[text.startswith(n) for n in ds.centres["name"]]]
            assert len(shown) >= 1, text
            assert any(k in text and p in text for k, p in zip(shown["kind"], shown["postcode"], strict=True)), text
            page.locator('[data-testid="stMainBlockContainer"]').evaluate("e => e.scrollIntoView()")
            shot(page, f"plan_{council.lower()}_real_network_1280x720")
    finally:
        context.close()
    assert blocked == [], blocked
