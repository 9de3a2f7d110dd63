"""The Help page: it renders, shows every topic, includes the attribution, uses every markdown file of
views/help/, and every number it quotes is the one lib/ uses."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lib import budget, travel
from lib.catchment import prepare
from lib.data import load_default
from lib.history import KEPT_IN_DRAFT, MAX_UNDO
from lib.metrics import evaluate
from lib.scenario import BudgetParameters, Deprivation, Rules, Scenario, default_weights

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
HELP_DIR = ROOT / "views" / "help"


INCLUDE = re.compile(r"^<!-- include: [A-Za-z0-9_-]+\.md -->$", re.MULTILINE)
QUESTIONS = {  # the topics the brief asks for, by file: each must be a heading of the page
    "reach": "What is reach?", "lots": "How is a lot's value computed?", "rules": "Which rules are checked?",
    "travel": "Who travels further?",
}


@pytest.fixture(scope="module")
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    app.switch_page("views/help.py").run()
    assert not app.exception
    return app


def chunks(name: str) -> list[str]:
    """The text of views/help/<name>.md around its include lines (each must be shown as it is)."""
    return [c.strip() for c in INCLUDE.split((HELP_DIR / f"{name}.md").read_text(encoding="utf-8")) if c.strip()]


def answers(at: AppTest) -> dict[str, str]:
    """Each expander's label and the markdown it shows."""
    return {e.label: "\n".join(m.value for m in e.markdown) for e in at.expander}


def topic(at: AppTest, name: str) -> tuple[str, str]:
    """(question, shown text) of the expander that shows views/help/<name>.md."""
    found = [(q, text) for q, text in answers(at).items() if all(c in text for c in chunks(name))]
    assert len(found) == 1, f"{name}.md is shown in {len(found)} expanders, not 1"
    return found[0]


@pytest.fixture(scope="module")
def guide(at):
    """guide(name): the shown text of one topic, line breaks flattened so a phrase may wrap in the file."""
    return lambda name: re.sub(r"\s+", " ", topic(at, name)[1])


def test_page_renders_with_every_topic(at):
    assert not at.exception
    assert [t.value for t in at.title] == ["Help"]
    questions = [e.label for e in at.expander]
    assert len(questions) == len(set(questions)) == len(list(HELP_DIR.glob("*.md")))
    for name, question in QUESTIONS.items():
        assert topic(at, name)[0] == question


def test_every_markdown_file_is_used_by_the_page(at):
    files = sorted(HELP_DIR.glob("*.md"))
    assert len(files) >= 8
    shown = {topic(at, path.stem)[0] for path in files}  # each file in exactly one expander
    assert shown == set(answers(at)), "an expander shows no file of views/help/"
    assert not any("<!--" in text for text in answers(at).values()), "an include line was left unresolved"


def test_attribution_is_included_not_copied(at, guide):
    attribution = (ROOT / "views" / "attribution.md").read_text(encoding="utf-8").strip()
    data = (HELP_DIR / "data.md").read_text(encoding="utf-8")
    assert "<!-- include: attribution.md -->" in data
    assert "Contains OS data" not in data  # included from views/attribution.md, never duplicated
    assert attribution in topic(at, "data")[1]
    assert "Open Government Licence v3.0" in guide("data")
    assert "CC BY 4.0" in guide("data")


def test_no_dollar_sign_is_read_as_latex():
    for path in HELP_DIR.glob("*.md"):
        assert "$" not in path.read_text(), f"{path.name}: a $ would start LaTeX"


def test_rules_match_the_defaults(guide):
    r = Rules()
    text = guide("rules")
    assert f"at least {r.min_reach:,.0f} children" in text
    assert f"from {r.group_min} to {r.group_max} open centres" in text
    assert f"at most {r.max_span_km:g} km between two open centres" in text
    assert f"within {r.max_distance_km:g} km of its open centre" in text
    assert r.within_envelope and "| Total within the envelope | on |" in text
    assert not r.mixed_phases and "| Each group mixes phases | off |" in text
    assert f"below **{r.min_reach:,.0f}**" in guide("reach")


def test_lot_values_and_the_worked_example_match_the_budget_model(guide):
    b = BudgetParameters()
    text = guide("lots")
    for part, value in (("management cost per lot", b.management_per_lot),
                        ("base cost of a phase 1 centre", b.base_cost_phase_1),
                        ("base cost of a phase 2 centre", b.base_cost_phase_2),
                        ("base cost of a phase 3 centre", b.base_cost_phase_3),
                        ("base cost when the phase is unknown", b.base_cost_phase_unknown),
                        ("rate per weighted child", b.rate_per_weighted_child)):
        assert f"| {part} | £{value:,.0f} |" in text
    weighted = np.array([1000.0, 800.0])
    cost = budget.centre_cost(np.array([2, 2]), weighted, np.array([True, True]), b)
    value = budget.lot_value(np.array([2.0]), np.array([cost.sum()]), b)[0]
    assert (f"£{b.management_per_lot:,.0f} + (£{b.base_cost_phase_2:,.0f} + £{b.rate_per_weighted_child:,.0f} × "
            f"{weighted[0]:,.0f}) + (£{b.base_cost_phase_2:,.0f} + £{b.rate_per_weighted_child:,.0f} × "
            f"{weighted[1]:,.0f}) = **£{value:,.0f}**") in text


def test_deprivation_defaults_match(guide):
    d = Deprivation()
    w = default_weights()
    text = guide("deprivation")
    assert f"By default D = {d.threshold}, the {d.threshold * 10}% most deprived" in text
    assert f"from **{w[0]:.1f}** in decile 1 to **{w[-1]:.1f}** in decile 10" in text
    assert w == tuple(round(2 - (k - 1) / 9, 6) for k in range(1, 11)) and "`w(d) = 2 - (d - 1) / 9`" in text
    assert f"decile 3 weighs {w[2]:.2f} and decile 5 weighs {w[4]:.2f}" in text


def test_budget_and_norfolk_figures_match_the_evaluation(guide):
    net = prepare(load_default())
    t = evaluate(net, Scenario.baseline(net.centre_ids)).totals()
    b = BudgetParameters()
    text = guide("budget")
    assert f"The default grant cut is {b.cut_percent:g}%" in text
    assert f"baseline comes to {budget.money(t['baseline_total'])} a year" in text
    assert f"a {b.cut_percent:g}% cut gives an envelope of {budget.money(t['envelope'])}" in text
    assert all(f"| {s} |" in text for s in budget.WATERFALL_STEPS)
    assert (f"{t['children']:,} children aged 0-4 live in {len(net.dataset.areas):,} areas served by "
            f"{t['open_centres']} centres") in guide("reach")
    assert f"network of {net.n_centres} centres" in guide("data")


def test_travel_matches_lib_travel(guide):
    text = guide("travel")
    limit = travel.DEFAULT_LIMIT_KM
    assert Rules().max_distance_km == limit
    assert f"(default {limit:g} km); with that rule off the app uses {limit:g} km" in text
    _, a, b, c = travel.EXTRA_CLASSES_KM
    assert f"up to {a:g} km more, {a:g}-{b:g} km, {b:g}-{c:g} km, over {c:g} km more" in text


def test_moves_match_the_undo_history_and_drafts(guide):
    text = guide("moves")
    assert f"up to {MAX_UNDO} steps back" in text
    assert f"its last {KEPT_IN_DRAFT} undo steps" in text


def test_headline_labels_named_in_the_guide_are_the_apps(guide):
    from ui.plan_panels import HELP, gap_label

    assert gap_label(-1000.0) == "Over envelope" and gap_label(1000.0) == "Under envelope"
    assert '("Under envelope")' in guide("budget") and '("Over envelope")' in guide("budget")
    w = default_weights()
    assert f"{w[0]:.1f} in decile 1" in HELP["weighted"] and f"{w[-1]:.1f} in decile 10" in HELP["weighted"]
    assert "Extra travel" in HELP["further"] and "**Extra travel**" in guide("travel")

