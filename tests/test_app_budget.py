"""AppTest: lots and rules on the Plan page, and the Budget page (what-if cut, envelope, parameters),
each figure equal to lib's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from apptest import open_tab
from streamlit.testing.v1 import AppTest
from textcheck import shown

from lib import budget
from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import BudgetParameters, Lot, Scenario

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NET = prepare(load_default())
IDS = list(NET.centre_ids)


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    return app


def present(app: AppTest) -> Scenario:
    return app.session_state["history"].present


def markdown_with(app: AppTest, text: str) -> list[str]:
    return [shown(m.value) for m in app.markdown if text in shown(m.value)]


def test_routes_for_two_lots_at_once_show_in_the_counts_and_the_log(at):
    open_tab(at, "Lots")
    at.multiselect(key="lots_pick").set_value(["G1", "G2"])
    at.selectbox(key="lots_route").set_value("application")
    at.selectbox(key="lots_lead_type").set_value("voluntary")
    at.text_input(key="lots_lead_name").set_value("  Action for   Children ")
    next(b for b in at.button if b.label == "Apply to the chosen lots").click()
    at.run()
    assert not at.exception
    sc = present(at)
    assert sc.lot("G1") == sc.lot("G2") == Lot(route="application", lead_agency="Action for Children",
                                               lead_type="voluntary")
    assert markdown_with(at, "54 lots: 2 application, 52 not decided")
    assert at.session_state["history"].log[-1] == "G2: lead agency 'Action for Children'"
    # undo puts both back
    next(b for b in at.button if b.label == "↶ Undo").click()
    at.run()
    assert present(at).lots == {}


def test_a_closed_centre_leaves_its_lot(at):
    sc = present(at).with_lots(["G1"], route="tender").close(IDS[0])
    at.session_state["history"] = at.session_state["history"].do(sc, {})
    at.run()
    assert markdown_with(at, "53 lots: 53 not decided")


def test_rules_panel_switches_a_rule_off_and_shows_a_breach_on_the_map(at):
    open_tab(at, "Rules")
    at.checkbox(key="rule_min_reach_on_True").uncheck().run()
    assert present(at).rules.min_reach is None
    assert at.session_state["history"].log[-1] == "Rules: min reach 600 -> off"
    at.checkbox(key="rule_min_reach_on_False").check().run()
    at.number_input(key="rule_min_reach_value_600.0").set_value(400).run()
    assert present(at).rules.min_reach == 400
    ev = evaluate(NET, present(at))
    first = ev.breaches().iloc[0]
    at.button(key="breach_0").click().run()
    focus = at.session_state["map_focus"]
    assert (focus["scope"], focus["subject"]) == (first.scope, first.subject)
    assert focus["group"] == present(at).group_of.get(first.subject, first.subject)
    next(b for b in at.button if b.label == "Clear the highlight").click()
    at.run()
    assert "map_focus" not in at.session_state


def test_budget_page_cut_slider_moves_the_envelope_and_gap_live(at):
    at.switch_page("views/budget.py").run()
    assert not at.exception
    t = evaluate(NET, present(at)).totals()
    metric = {m.label: m.value for m in at.metric}
    assert metric["Budget total"] == budget.money(t["budget_total"])
    assert metric["Envelope"] == budget.money(t["envelope"])
    assert budget.describe_gap(t["envelope_gap"]) in at.error[0].value  # the baseline is over a 10% cut
    at.slider(key="budget_cut_10.0").set_value(0.0).run()
    assert present(at).budget.cut_percent == 0.0
    t0 = evaluate(NET, present(at)).totals()
    assert {m.label: m.value for m in at.metric}["Envelope"] == budget.money(t0["baseline_total"])
    assert "exactly on the envelope" in at.success[0].value
    assert at.session_state["history"].log[-1] == "Budget: cut percent 10 -> 0"


def test_budget_page_envelope_amount_and_parameters(at):
    at.switch_page("views/budget.py").run()
    envelope = evaluate(NET, present(at)).totals()["envelope"]
    at.radio(key="budget_envelope_mode_True").set_value("amount").run()
    assert present(at).budget.envelope_amount == pytest.approx(envelope, abs=0.5)  # same envelope, now an amount
    at.number_input(key=f"budget_amount_{present(at).budget.envelope_amount}").set_value(5_200_000.0).run()
    assert present(at).budget.envelope_amount == 5_200_000.0
    t = evaluate(NET, present(at)).totals()
    assert budget.describe_gap(t["envelope_gap"]) == "£4.93m over the envelope"
    assert "£4.93m over the envelope" in at.error[0].value
    at.number_input(key="budget_Management cost per lot (£)_40000.0").set_value(50_000.0).run()
    assert present(at).budget == replace(BudgetParameters(), envelope_amount=5_200_000.0,
                                         management_per_lot=50_000.0)
    assert not at.exception


def test_budget_page_waterfall_sums_to_the_saving(at):
    sc = present(at).move(IDS[:4], "G1").close(IDS[5])
    at.session_state["history"] = at.session_state["history"].do(sc, {})
    at.switch_page("views/budget.py").run()
    chart = at.get("plotly_chart")[0]
    import json

    figure = json.loads(chart.proto.spec)
    y = figure["data"][0]["y"]
    t = evaluate(NET, sc).totals()
    assert y[0] == pytest.approx(t["baseline_total"]) and y[-1] == pytest.approx(t["budget_total"])
    assert sum(y[1:-1]) == pytest.approx(-t["saving"])
    assert y[1] == pytest.approx(-4 * 40_000)  # four centres in one lot (3 fewer), one centre closed (1 fewer)
