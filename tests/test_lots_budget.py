"""Lots (route, lead agency), the budget waterfall, the gap in words, breaches and the board-pack tables,
on the 3x3 grid (tests/conftest.py): every figure worked out by hand."""

from __future__ import annotations

import pytest

from lib import budget, lots, mapview, pack
from lib.catchment import prepare
from lib.export import assignment_csv, import_assignment
from lib.history import History
from lib.metrics import evaluate
from lib.scenario import BudgetParameters, Deprivation, Lot, Rules, Scenario, describe_changes

# Baseline on the grid, weights all 1: 2 lots x 1000 + base (A phase 1: 500, B unknown: 300) + 2 x 450 children
FLAT = Deprivation(weights=(1.0,) * 10)
PARAMS = BudgetParameters(management_per_lot=1000, base_cost_phase_1=500, base_cost_phase_2=0, base_cost_phase_3=0,
                          base_cost_phase_unknown=300, rate_per_weighted_child=2, cut_percent=10)
BASELINE = 2 * 1000 + 500 + 300 + 2 * 450  # 3700


def scenario(**kw) -> Scenario:
    return Scenario(name="t", group_of={"A": "G1", "B": "G2"}, budget=PARAMS, deprivation=FLAT, **kw)


def steps(ev) -> dict[str, float]:
    return dict(ev.waterfall())


def test_baseline_total_by_hand(grid):
    ev = evaluate(prepare(grid), scenario())
    assert ev.totals()["baseline_total"] == pytest.approx(BASELINE)
    assert ev.totals()["budget_total"] == pytest.approx(BASELINE)
    assert all(v == 0 for v in steps(ev).values())


def test_fewer_lots_step(grid):
    ev = evaluate(prepare(grid), scenario().move(["B"], "G1"))  # one lot: 1000 + 800 + 900
    assert ev.totals()["budget_total"] == pytest.approx(2700)
    assert steps(ev) == {"Fewer lots (management)": -1000, "Closed centres (base costs)": 0, "Changed reach": 0,
                         "Deprivation weighting": 0}


def test_closing_a_centre_removes_its_base_cost_and_its_lot(grid):
    ev = evaluate(prepare(grid), scenario().close("B"))  # B's children go to A: 1000 + 500 + 900
    assert ev.totals()["budget_total"] == pytest.approx(2400)
    assert steps(ev) == pytest.approx({"Fewer lots (management)": -1000, "Closed centres (base costs)": -300,
                                       "Changed reach": 0, "Deprivation weighting": 0})
    assert ev.totals()["lots"] == 1 and ev.totals()["groups"] == 2  # G2 holds only a closed centre: not a lot


def test_no_open_centre_loses_reach_and_weighting(grid):
    w = Deprivation()  # default weights: 2.0 at decile 1 down to 1.0 at decile 10
    sc = scenario().close("A").close("B")
    sc = Scenario(**{**sc.__dict__, "deprivation": w})
    ev = evaluate(prepare(grid), sc)
    weighted = sum(10 * k * (2 - (k - 1) / 9) for k in range(1, 10))  # area k: 10k children, decile k
    assert ev.totals()["baseline_total"] == pytest.approx(2000 + 800 + 2 * weighted)
    assert ev.totals()["budget_total"] == 0
    assert steps(ev) == pytest.approx({"Fewer lots (management)": -2000, "Closed centres (base costs)": -800,
                                       "Changed reach": -2 * 450, "Deprivation weighting": -2 * (weighted - 450)})
    assert sum(steps(ev).values()) == pytest.approx(-ev.totals()["saving"])


@pytest.mark.parametrize(("gap", "words"), [
    (-412_000, "£412k over the envelope"), (95_000, "£95k headroom"), (1_500_000, "£1.50m headroom"),
    (-2_345_678, "£2.35m over the envelope"), (0.2, "exactly on the envelope"), (-120, "£120 over the envelope"),
])
def test_gap_in_plain_words(gap, words):
    assert budget.describe_gap(gap) == words


def test_envelope_gap_follows_the_cut(grid):
    ev = evaluate(prepare(grid), scenario().move(["B"], "G1"))
    assert ev.totals()["envelope_gap"] == pytest.approx(0.9 * BASELINE - 2700)  # 630 headroom
    cut = Scenario(**{**ev.scenario.__dict__, "budget": BudgetParameters(**{**PARAMS.__dict__, "cut_percent": 40})})
    t = evaluate(prepare(grid), cut).totals()
    assert t["envelope_gap"] == pytest.approx(0.6 * BASELINE - 2700)  # 480 over
    assert budget.describe_gap(t["envelope_gap"]) == "£480 over the envelope"


# --- lots ---------------------------------------------------------------------------------

def test_route_and_lead_agency_for_several_groups_at_once():
    sc = Scenario.baseline(["a", "b", "c"])
    sc = sc.with_lots(["G1", "G2"], route="application", lead_type="voluntary")
    sc = sc.with_lots(["G2"], lead_agency="Action for Children")
    assert sc.lot("G1") == Lot(route="application", lead_type="voluntary")
    assert sc.lot("G2") == Lot(route="application", lead_agency="Action for Children", lead_type="voluntary")
    assert sc.lot("G3") == Lot()  # not decided, lead type not set
    with pytest.raises(ValueError, match="procurement route"):
        sc.with_lots(["G1"], route="auction")
    with pytest.raises(ValueError, match="lead agency type"):
        Lot(lead_type="church")
    with pytest.raises(KeyError):
        sc.with_lots(["G9"], route="tender")
    assert Scenario.from_json(sc.to_json()) == sc


def test_lot_changes_are_in_the_change_log_and_undoable():
    base = Scenario.baseline(["a", "b"])
    after = base.with_lots(["G1"], route="tender", lead_type="school", lead_agency="Oak Primary")
    assert describe_changes(base, after, {}) == [
        "G1: route not decided -> competitive tender", "G1: lead agency type not set -> school",
        "G1: lead agency 'Oak Primary'"]
    hist = History.start(base).do(after, {})
    assert hist.undo().present.lot("G1") == Lot()
    assert hist.log[-1] == "G1: lead agency 'Oak Primary'"


def test_setting_changes_are_named_in_the_change_log():
    base = Scenario.baseline(["a"])
    after = Scenario(**{**base.__dict__, "budget": BudgetParameters(cut_percent=25.0),
                        "rules": Rules(max_span_km=None)})
    assert describe_changes(base, after, {}) == ["Rules: max span km 40 -> off", "Budget: cut percent 10 -> 25"]


def test_counts_by_route_leave_out_groups_with_no_open_centre(grid):
    sc = scenario().with_lots(["G1"], route="tender").with_lots(["G2"], route="application", lead_type="health")
    table = evaluate(prepare(grid), sc).groups_table()
    assert lots.describe_routes(table) == "2 lots: 1 tender, 1 application"
    assert lots.describe_lead_types(table) == "Lead agencies: 1 health, 1 not set"
    closed = evaluate(prepare(grid), sc.close("B"))
    assert lots.describe_routes(closed.groups_table()) == "1 lot: 1 tender"
    t = closed.totals()
    assert (t["lots"], t["lots_by_route"]["application"], t["lots_by_lead_type"]["health"]) == (1, 0, 0)


def test_assignment_csv_carries_the_lead_type_and_reads_files_without_it():
    base = Scenario.baseline(["a", "b"])
    sc = base.with_lots(["G2"], route="application", lead_type="consortium", lead_agency="=cmd")
    text = assignment_csv(sc)
    assert "'=cmd" in text and "consortium" in text
    assert import_assignment(text.encode(), base).lots == sc.lots
    old = "centre_id,group,lot_route\na,G1,competitive tender\nb,G1,\n"
    got = import_assignment(old.encode(), base)
    assert got.lot("G1") == Lot(route="tender")


# --- breaches and the map focus ---------------------------------------------------------

def test_breaches_one_row_each_with_a_reason(grid):
    rules = Rules(min_reach=200, group_min=None, group_max=None, max_span_km=None, max_distance_km=1.2)
    sc = Scenario(name="t", group_of={"A": "G1", "B": "G2"}, rules=rules,
                  budget=BudgetParameters(envelope_amount=1.0))
    ev = evaluate(prepare(grid), sc)
    b = ev.breaches()
    assert b[b.scope == "centre"][["subject", "reason"]].values.tolist() == [["B", "reach 180 below 200"]]
    assert b[b.scope == "group"]["subject"].tolist() == ["G2"]
    # areas (1, 0) and (1, 2) are sqrt(2) = 1.41 km from A at (0, 1): beyond 1.2 km
    assert sorted(b[b.scope == "area"]["name"]) == ["Area 10", "Area 12"]
    assert b[b.scope == "budget"]["reason"].str.contains("over the envelope").all()
    assert set(b["rule_name"]) == {"Reach per open centre", "Every area near an open centre",
                                   "Total within the envelope"}


def test_breach_focus_frames_what_breaks_the_rule(grid):
    net = prepare(grid)
    ev = evaluate(net, Scenario.baseline(["A", "B"]).move(["B"], "G1"))
    centre = mapview.breach_focus(ev, "centre", "B")
    assert centre["group"] == "G1" and centre["areas"] == {}
    lat, lon = grid.centres["lat"][1], grid.centres["lon"][1]
    (s, w), (n, e) = centre["bounds"]
    assert s < lat < n and w < lon < e
    area = mapview.breach_focus(ev, "area", "E01000000")
    assert area["areas"] == {"E01000000": mapview.FOCUS_COLOUR} and area["group"] == "G1"
    assert mapview.breach_focus(ev, "budget", "total") == {"group": None, "bounds": mapview.bounds(ev), "areas": {}}


# --- board-pack tables ------------------------------------------------------------------

def test_pack_tables_equal_the_evaluation(grid):
    sc = scenario().move(["B"], "G1").with_lots(["G1"], route="application", lead_agency="Sure Start Ltd")
    ev = evaluate(prepare(grid), sc)
    p = pack.build_pack(ev, notes=[{"kind": "comment", "group": "G1", "text": "ok", "author": "x", "when": "now"}])
    t = ev.totals()
    summary = p.summary.set_index("Figure")
    assert summary.at["Budget total", "Scenario"] == pytest.approx(t["budget_total"])
    assert summary.at["Budget total", "Baseline"] == pytest.approx(BASELINE)
    assert summary.at["Lots (groups with an open centre)", "Change"] == -1
    assert p.lots["Lot value (£ a year)"].tolist() == pytest.approx([2700])
    assert p.lots["Procurement route"].tolist() == ["application process"]
    assert p.by_route.values.tolist() == [["application process", 1, pytest.approx(2700)]]
    assert p.route_text == "1 lot: 1 application" and p.gap_text == "£630 headroom"
    assert list(p.tables()) == ["Summary", "Lots", "Centres", "Areas", "Travel", "Rules", "Parameters", "Notes"]
    assert p.areas["Reach centre id"].tolist() == ["A", "A", "B"] * 3
    weights = p.parameters[p.parameters["Parameter"].str.startswith("weight of IMD decile")]
    assert weights["Value"].tolist() == [1.0] * 10
    assert len(p.notes) == 1
