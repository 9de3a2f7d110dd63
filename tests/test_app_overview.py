"""AppTest: the overview page shows the default's totals as lib computes them."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_overview_shows_norfolk_totals():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/overview.py").run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Children 0-4 in the county"] == "44,201"
    assert values["Open centres"] == "54"
    assert "Open Government Licence" in "".join(m.value for m in at.markdown)
