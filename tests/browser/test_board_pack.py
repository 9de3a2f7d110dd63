"""Browser: routes on two lots, the grant cut on the Budget page, and the board pack downloaded and opened
offline (workbook, HTML report, PDF pages rendered to PNG), with screenshots to look at."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers import ARTIFACTS, WAIT_MS, alert, expect, go_to, open_plan, pick_option, shot

from lib import budget
from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import BudgetParameters, Scenario

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app_url(streamlit_runner):
    with streamlit_runner(ROOT / "app.py", timeout=90) as url:
        yield url


def test_routes_cut_and_the_board_pack(app_url, offline_page, chromium, tmp_path):
    page = offline_page.page
    open_plan(page, app_url)
    page.get_by_role("tab", name="Lots").click()
    lots = page.get_by_role("combobox", name="Lots")
    for group in ("G1", "G2"):
        pick_option(page, lots, f"{group}:", re.compile(rf"^{group}: "))
    page.keyboard.press("Escape")
    pick_option(page, page.get_by_role("combobox", name="Procurement route"), "application",
                re.compile("^application process$"))
    page.get_by_role("button", name="Apply to the chosen lots").click()
    expect(page.get_by_text("54 lots: 2 application, 52 not decided").first).to_be_visible(timeout=WAIT_MS)

    net = prepare(load_default())
    base = Scenario.baseline(net.centre_ids)
    t10 = evaluate(net, base).totals()
    go_to(page, "Budget", re.compile(r"^Budget"))
    expect(alert(page, budget.describe_gap(t10["envelope_gap"]))).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".js-plotly-plot").get_by_text(f"Envelope {budget.money(t10['envelope'])}")).to_be_visible(
        timeout=WAIT_MS)
    shot(page, "budget_cut_10")
    slider = page.get_by_role("slider", name="Grant cut (%)")
    slider.focus()
    page.keyboard.press("End")  # 90 %
    t90 = evaluate(net, Scenario(**{**base.__dict__, "budget": BudgetParameters(cut_percent=90.0)})).totals()
    expect(alert(page, budget.describe_gap(t90["envelope_gap"]))).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".js-plotly-plot").get_by_text(f"Envelope {budget.money(t90['envelope'])}")).to_be_visible(
        timeout=WAIT_MS)
    shot(page, "budget_cut_90")

    files = {}
    for label, name in (("Excel workbook (board pack)", "pack.xlsx"), ("Briefing report (HTML)", "report.html"),
                        ("Briefing report (PDF)", "report.pdf")):
        with page.expect_download(timeout=60_000) as dl:
            page.get_by_role("button", name=label).click()
        files[name] = tmp_path / name
        dl.value.save_as(files[name])

    from openpyxl import load_workbook

    book = load_workbook(files["pack.xlsx"])
    assert book.sheetnames == ["Summary", "Lots", "Centres", "Areas", "Travel", "Rules", "Parameters", "Notes"]
    lots_sheet = book["Lots"]
    header = [c.value for c in lots_sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in lots_sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["G1"]["Procurement route"] == rows["G2"]["Procurement route"] == "application process"
    assert rows["G3"]["Procurement route"] == "not decided"
    params = {r[1]: r[2] for r in book["Parameters"].iter_rows(min_row=2, values_only=True)}
    assert float(params["cut percent"]) == 90.0

    # the report, opened from disk with every request that is not the file itself refused
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    fetched: list[str] = []

    def refuse(route):
        if urlparse(route.request.url).scheme in {"file", "data", "about", "blob"}:
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    context.route("**/*", refuse)
    report = context.new_page()
    report.goto(files["report.html"].as_uri())
    expect(report.get_by_text(budget.money(t90["budget_total"])).first).to_be_visible(timeout=WAIT_MS)
    expect(report.get_by_text("application process").first).to_be_visible()
    report.wait_for_timeout(1500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report.screenshot(path=str(ARTIFACTS / "board_pack_report.png"), full_page=True)
    context.close()
    assert fetched == [], f"the report fetched from outside: {fetched}"

    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(files["report.pdf"]))
    assert len(pdf) >= 2
    for i in range(min(len(pdf), 4)):
        pdf[i].render(scale=1.5).to_pil().save(ARTIFACTS / f"board_pack_pdf_page{i + 1}.png")
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert budget.money(t90["budget_total"]) in text and "application process" in text
