"""AppTest: hostile or odd user text and files are inert on every page, and never crash one.

Every string a user or a file can put on screen (dataset file name, centre names, group labels,
lead agency, scenario name and description, notes and authors, search text) carries a marker
``PWN``. Each page is run and every element that Streamlit renders as markdown (text, captions,
alerts, headings, toasts, button / tab / expander / metric labels) is rendered with a CommonMark
+ linkify renderer: the marker must never end up inside a tag (a link, an image, HTML). No page
may raise, and a bad upload must never replace the loaded dataset.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from lib.scenario import Lot, Scenario
from lib.store import ScenarioStore
from ui.plan_panels import TAB_KEY, TABS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["views/plan.py", "views/scenarios.py", "views/compare.py", "views/data.py", "views/overview.py"]
RENDER = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])
IN_TAG = re.compile(r"<[^>]*PWN")
HOSTILE = [
    "![px](http://127.0.0.1:9/PWN_img)",
    "[click](http://127.0.0.1:9/PWN_link)",
    "<img src=http://127.0.0.1:9/PWN_tag onerror=window.__pwned=1>",
    "<script>window.__pwned='PWN_script'</script>",
    "see http://127.0.0.1:9/PWN_bare and www.PWN.example",
    "<http://127.0.0.1:9/PWN_auto>",
    '=HYPERLINK("http://127.0.0.1:9/PWN_formula")',
    "**PWN** _bold_ :red[PWN] $PWN$ `PWN`",
    "ctl\x1b[31mPWN_esc\u202e rtl",
    "x" * 10_000 + "PWN_long",
]
BROWSER = "H" * 32


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def bodies(at: AppTest) -> list[tuple[str, str]]:
    """(kind, markdown) of every element Streamlit renders as markdown."""
    out: list[tuple[str, str]] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader",
                 "toast"):
        out += [(kind, str(e.value)) for e in getattr(at, kind)]
    out += [("button", b.label) for b in at.button]
    out += [("tab", t.label) for t in at.tabs]
    out += [("expander", e.label) for e in at.expander]
    out += [("metric", m.label) for m in at.metric]
    return out


def assert_inert(at: AppTest, where: str) -> int:
    """No marker inside a tag after rendering; returns how many bodies showed a marker (as text)."""
    shown = 0
    for kind, body in bodies(at):
        html = RENDER.render(body)
        assert not IN_TAG.search(html), f"{where}: {kind} renders user text as markup: {body[:300]!r}"
        shown += "PWN" in html
    return shown


def hostile_session(db: str) -> tuple[AppTest, str]:
    """A session on a stored scenario with hostile group labels, lead agency, name, description and notes."""
    from lib.catchment import prepare
    from lib.data import load_default

    ids = list(prepare(load_default()).centre_ids)
    sc = Scenario.baseline(ids)
    for i, text in enumerate(HOSTILE[:6]):
        sc = sc.move(ids[3 * i:3 * i + 3], f"{text[:60]} G{i}")
    sc = sc.with_lot(sc.group_of[ids[0]], Lot(route="tender", lead_agency=HOSTILE[0]))
    store = ScenarioStore(db)
    saved = store.save_new(sc, name=HOSTILE[1][:200], description=" ".join(HOSTILE[:8]), author=HOSTILE[2][:200],
                           dataset="Norfolk")
    store.grant(BROWSER, saved.id, saved.edit_token)
    for text in HOSTILE:
        store.add_note(saved.id, text[:5000], "challenge", HOSTILE[3][:200], group_label=sc.group_of[ids[0]],
                       edit_token=saved.edit_token)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["browser_key"] = BROWSER
    at.query_params["open"] = saved.id
    return run(at), saved.id


def test_hostile_scenario_text_is_inert_on_every_page(db):
    at, sid = hostile_session(db)
    assert at.session_state["loaded"].id == sid
    seen = 0
    for page in PAGES:
        at.switch_page(page)
        seen += assert_inert(run(at), page)
    at.switch_page("views/plan.py")
    for tab in TABS:  # only the open tab is drawn: each in turn (the lots, the notes, the change log...)
        at.session_state[TAB_KEY] = tab
        seen += assert_inert(run(at), f"Plan page, {tab} tab")
    assert seen > 0  # the hostile text was shown (as text), so the check above could have failed


@pytest.mark.parametrize("field", ["author", "save_as_name", "save_as_description", "scenario_search",
                                   "note_text"])
def test_hostile_text_inputs_never_crash_or_leak(db, field):
    at, _ = hostile_session(db)
    before = {e.id: (e.name, e.version) for e in ScenarioStore(db).list()}
    at.switch_page("views/scenarios.py")
    run(at)
    for text in [*HOSTILE, "nul\x00byte", "x" * 20_000, "   ", "\t\n"]:
        widget = at.text_area(key=field) if field in ("note_text", "save_as_description") else at.text_input(
            key=field)
        widget.set_value(text)
        run(at)
        assert_inert(at, f"{field}={text[:40]!r}")
        submit = {"save_as_name": "Save as new", "save_as_description": "Save as new", "note_text": "Add note"}
        if field in submit:
            next(b for b in at.button if b.label == submit[field]).click()
            run(at)
            assert_inert(at, f"{field} submitted")
    after = {e.id: (e.name, e.version) for e in ScenarioStore(db).list()}
    assert {k: v for k, v in after.items() if k in before} == before  # nothing already saved was changed


def centres_csv(names: list[str]) -> bytes:
    rows = ["centre_id,name,lat,lon"] + [f"c{i},\"{n.replace(chr(34), chr(34) * 2)}\",{52.6 + i * 0.01},-0.7"
                                         for i, n in enumerate(names)]
    return "\n".join(rows).encode()


def data_page(at: AppTest | None = None) -> AppTest:
    if at is None:
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["browser_key"] = BROWSER
        run(at)
    at.switch_page("views/data.py")
    run(at)
    at.radio(key="data_source").set_value("An English county or unitary authority")
    run(at)
    at.selectbox(key="data_county").set_value("Rutland")
    run(at)
    at.radio(key="data_network").set_value("own")
    return run(at)


def test_hostile_uploads_are_inert_and_loaded_as_text(db):
    at = data_page()
    names = [h[:120] for h in HOSTILE[:6]]
    at.file_uploader(key="data_centres").set_value(("![px](http:x PWN_file).csv", centres_csv(names), "text/csv"))
    run(at)
    assert_inert(at, "data page with a hostile file")
    next(b for b in at.button if b.label == "Load this dataset").click()
    run(at)
    net = at.session_state["custom_network"]
    assert list(net.dataset.centres["name"]) == [n.strip() for n in names]  # stored exactly as given
    for page in PAGES:
        at.switch_page(page)
        assert_inert(run(at), page)


BAD_FILES = {
    "nul.csv": b"centre_id,name,lat,lon\nc1,A\x00B,52.6,-0.7\n",
    "utf16_no_bom.csv": "centre_id,name,lat,lon\nc1,Alpha,52.6,-0.7\n".encode("utf-16-le"),
    "empty.csv": b"",
    "not_a_workbook.xlsx": b"PK\x03\x04 this is not a zip",
    "header_only.csv": b"centre_id,name,lat,lon\n",
}


def dtd_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "INJ">]><Types/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


@pytest.mark.parametrize("name", [*BAD_FILES, "dtd.xlsx"])
def test_a_failed_upload_never_replaces_the_dataset_or_the_work(db, name):
    at = data_page()
    at.file_uploader(key="data_centres").set_value(("good.csv", centres_csv(["Oakham", "Uppingham"]), "text/csv"))
    run(at)
    next(b for b in at.button if b.label == "Load this dataset").click()
    run(at)
    loaded = at.session_state["custom_network"]
    assert loaded.n_centres == 2
    at.switch_page("views/plan.py")
    run(at)
    at.multiselect(key="kb_centres").set_value(["c1"])
    at.selectbox(key="kb_group").set_value("G1")
    next(b for b in at.button if b.label == "Move").click()
    run(at)
    work = at.session_state["history"].present
    assert work.group_of["c1"] == "G1"

    data_page(at)
    raw = dtd_workbook() if name == "dtd.xlsx" else BAD_FILES[name]
    at.file_uploader(key="data_centres").set_value((name, raw, "text/csv"))
    run(at)
    next(b for b in at.button if b.label == "Load this dataset").click()
    run(at)
    assert any(name in e.value.replace("\\", "") for e in at.error), [e.value for e in at.error]
    assert at.session_state["custom_network"] is loaded  # the same dataset...
    assert at.session_state["history"].present == work  # ...and the same work


def test_compare_sessions_see_only_their_own_areas(db):
    rutland = data_page()
    rutland.file_uploader(key="data_centres").set_value(("r.csv", centres_csv(["Oakham", "Uppingham"]), "text/csv"))
    run(rutland)
    next(b for b in rutland.button if b.label == "Load this dataset").click()
    run(rutland)
    rutland.switch_page("views/compare.py")
    run(rutland)
    norfolk = AppTest.from_file(APP, default_timeout=90)
    run(norfolk)
    norfolk.switch_page("views/compare.py")
    run(norfolk)
    r_areas = set(rutland.session_state["custom_network"].dataset.areas["area_id"])
    geo = norfolk.session_state["_compare_geojson"][1]
    n_areas = set(re.findall(r'"lsoa11cd":\s*"(E\d+)"', geo)) or set(re.findall(r'"area_id":\s*"(E\d+)"', geo))
    assert len(n_areas) == 538 and not (n_areas & r_areas)
    r_geo = rutland.session_state["_compare_geojson"][1]
    assert "E01014" not in r_geo or not (set(re.findall(r'"(E\d{8})"', r_geo)) - r_areas)


def test_a_scenario_of_another_dataset_is_not_evaluated_against_this_one(db):
    store = ScenarioStore(db)
    other = store.save_new(Scenario.baseline(["ill-001", "ill-002"]), name="Another county", dataset="Norfolk")
    at = AppTest.from_file(APP, default_timeout=90)
    run(at)
    at.switch_page("views/compare.py")
    run(at)
    at.multiselect(key="compare_pick").set_value(["__current__", other.id])
    run(at)  # no KeyError
    assert any("other centres" in w.value.replace("\\", "") for w in at.warning)
    at.query_params["open"] = other.id
    run(at)
    assert any("was made for the dataset" in e.value.replace("\\", "") for e in at.error)
