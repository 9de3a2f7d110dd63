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
    assert metrics["Illustrative centres"] == "17"
    assert "Open Government Licence" in " ".join(m.value for m in at.markdown)


def choose_council(at: AppTest, council: str) -> AppTest:
    at.radio(key="data_source").set_value("An English county or unitary authority")
    at.run()
    at.selectbox(key="data_county").set_value(council)
    at.run()
    return at


def test_choosing_a_council_loads_its_real_2025_network(at):
    from lib.datasets import council_dataset

    choose_council(at, "Cornwall")
    assert at.radio(key="data_network").value == "real"  # the default choice
    button(at, "Load this dataset").click()
    at.run()
    assert not at.exception, at.exception
    net = at.session_state["custom_network"]
    assert net.dataset.name == "Cornwall: 26 centres and hubs open in 2025"
    expected = council_dataset("Cornwall")
    assert list(net.dataset.centres["centre_id"]) == list(expected.centres["centre_id"])
    assert set(net.dataset.centres["kind"]) == {"children's centre", "centre + hub", "family hub"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Centres"] == "26" and metrics["Illustrative centres"] == "0"


def test_the_illustrative_network_stays_an_explicit_choice(at):
    choose_council(at, "Hertfordshire")
    at.radio(key="data_network").set_value("illustrative")
    at.run()
    button(at, "Load this dataset").click()
    at.run()
    assert not at.exception, at.exception
    net = at.session_state["custom_network"]
    assert net.dataset.name == "Hertfordshire: illustrative network of 89 centres" and len(net.dataset.areas) == 690
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children aged 0-4"] == "72,864" and metrics["Illustrative centres"] == "89"


def test_a_council_with_no_records_offers_only_the_illustrative_network(at):
    choose_council(at, "Swindon")
    assert at.radio(key="data_network").options == [
        "Illustrative network of 17 centres (placed by the p-median rule, for what-if work)", "My own centres file"]


def test_norfolk_2025_is_offered_beside_the_default(at):
    at.radio(key="data_source").set_value("Norfolk 2025 (17 centres and hubs open today, DfE register)")
    at.run()
    button(at, "Load this dataset").click()
    at.run()
    assert not at.exception, at.exception
    ds = at.session_state["custom_network"].dataset
    assert ds.name == "Norfolk: 17 centres and hubs open in 2025" and len(ds.centres) == 17
