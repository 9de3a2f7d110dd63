"""AppTest: the Data page reports what is loaded, loads a county, and keeps the dataset on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def at(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 's.sqlite3'}")
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("views/data.py")
    app.run()
    assert not app.exception, app.exception
    yield app
    st.cache_resource.clear()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_data_page_shows_the_default_and_its_quality_report(at):
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Areas (LSOAs)"] == "538" and metrics["Children aged 0-4"] == "44,201"
    assert metrics["Illustrative centres"] == "22"
    assert "Open Government Licence" in " ".join(m.value for m in at.markdown)


def test_load_a_county_with_an_illustrative_network(at):
    at.radio(key="data_source").set_value("Another English county or unitary authority")
    at.run()
    at.selectbox(key="data_county").set_value("Hertfordshire")
    at.run()
    button(at, "Load this dataset").click()
    at.run()
    assert not at.exception, at.exception
    net = at.session_state["custom_network"]
    assert net.dataset.name == "Hertfordshire" and len(net.dataset.areas) == 690
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children aged 0-4"] == "72,864"

