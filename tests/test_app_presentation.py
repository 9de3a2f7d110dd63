"""AppTest: presentation mode (?present=1 or the Present button): big cards, districts, no editing chrome."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib import mapview
from lib.data import load_default

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DISTRICTS = sorted(load_default().areas["district"].unique())


def _labels(app: AppTest) -> list[str]:
    return [b.label for b in app.button]


def test_the_address_starts_presentation_mode_with_big_cards_districts_and_no_editing_chrome():
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["present"] = "1"
    app.run()
    assert not app.exception
    assert [m.label for m in app.metric] == ["Lots", "Open centres", "Budget total", "Over envelope"]
    labels = _labels(app)
    assert {"Leave presentation", "↶ Undo"} <= set(labels)
    assert app.button_group(key="present_zoom").options == ["Whole county", *DISTRICTS]
    assert "⟲ Reset to baseline" not in labels and "Move" not in labels  # editing chrome hidden
    assert len(app.tabs) == 0 and not app.get("form")
    assert any("font-size: 18px" in m.value for m in app.markdown)  # the large type


def test_zoom_to_a_district_frames_its_areas_and_leaving_restores_the_full_page():
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert len(app.metric) == 8 and len(app.tabs) == 6 and "present" not in app.query_params
    next(b for b in app.button if b.label == "Present").click().run()
    assert app.query_params["present"] in ("1", ["1"]) and len(app.metric) == 4
    app.button_group(key="present_zoom").set_value("Norwich").run()
    assert app.session_state["present_zoom"] == "Norwich"
    assert mapview.district_bounds(load_default().areas)["Norwich"][0][0] > 52.5
    next(b for b in app.button if b.label == "Leave presentation").click().run()
    assert not app.exception and len(app.metric) == 8 and len(app.tabs) == 6
    assert "present" not in app.query_params


def test_share_links_made_while_presenting_open_in_presentation_mode():
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["present"] = "1"
    app.run()
    app.switch_page("views/scenarios.py").run()
    assert not app.exception
    app.text_input(key="save_as_name").set_value("For the board")
    next(b for b in app.button if b.label == "Save as new").click().run()
    links = [c.value for c in app.code if "link=" in c.value]
    assert links and all(v.endswith("&present=1") for v in links)
