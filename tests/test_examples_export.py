"""Starting-point examples and the assignment CSV round trip."""

from __future__ import annotations

import pytest

from lib import examples
from lib.catchment import prepare
from lib.data import load_default
from lib.errors import DataError
from lib.export import assignment_csv, import_assignment, neutralise
from lib.metrics import evaluate
from lib.scenario import Lot, Scenario

NET = prepare(load_default())
BASE = Scenario.baseline(NET.centre_ids)
REACH = evaluate(NET, BASE).centre["reach"]


def test_district_clusters_one_group_per_district():
    sc = examples.district_clusters(NET)
    assert sc.groups() == ["BRE", "BRO", "GY", "KLWN", "NN", "NOR", "SN"]
    assert sc.name.startswith("Example")


def test_neighbour_groups_have_2_to_4_centres_within_a_district():
    sc = examples.neighbour_groups(NET)
    sizes = [len(sc.members(g)) for g in sc.groups()]
    assert min(sizes) >= 2 and max(sizes) <= 4
    districts = examples.centre_districts(NET)
    for g in sc.groups():
        assert districts[[NET.centre_index[c] for c in sc.members(g)]].nunique() == 1


def test_review_2019_keeps_15_bases_and_says_which_are_known():
    sc, bases = examples.review_2019(NET, REACH)
    assert len(bases) == 15
    assert (bases["basis"] == "known").sum() == 15  # each matched to its record in the 2025 register
    assert bases.groupby("district").size().to_dict()["Norwich"] == 3
    assert set(bases.groupby("district").size()) == {2, 3}
    t = evaluate(NET, sc).totals()
    assert t["open_centres"] == 15
    assert t["children_covered"] == 44_201
    assert "Assumed bases" not in sc.notes and "open in 2025" in sc.notes
    assert sc.budget.cut_percent == pytest.approx(49.0)


def test_starting_points_are_labelled_examples():
    names = [s.name for s in examples.starting_points(NET, REACH)]
    assert len(names) == 4 and all(n.startswith("Example") for n in names)


def test_assignment_round_trip():
    ids = list(NET.centre_ids)
    sc = (examples.neighbour_groups(NET).close(ids[0]).merge(ids[1], ids[2])
          .with_lot("NOR1", Lot(route="application", lead_agency="=HYPERLINK(\"http://x\")")))
    text = assignment_csv(sc)
    assert "'=HYPERLINK" in text  # neutralised for spreadsheets
    back = import_assignment(text.encode(), BASE.__class__(name=sc.name, group_of=BASE.group_of))
    assert back.group_of == sc.group_of and back.closed == sc.closed and back.merged_into == sc.merged_into
    assert back.lots == sc.lots


@pytest.mark.parametrize(("edit", "where"), [
    (lambda t: t.replace("nfk-nar,", "nfk-nowhere,"), "row 3, column 'centre_id'"),
    (lambda t: t.replace(",open,", ",shut,", 1), "column 'status'"),
    (lambda t: t.replace(",undecided,", ",auction,", 1), "column 'lot_route'"),
])
def test_assignment_import_errors_name_row_and_column(edit, where):
    text = edit(assignment_csv(BASE))
    with pytest.raises(DataError) as err:
        import_assignment(text.encode(), BASE, "groups.csv")
    assert str(err.value).startswith("groups.csv, ") and where in str(err.value)


def test_neutralise():
    assert neutralise("=1+1") == "'=1+1" and neutralise("Norwich") == "Norwich" and neutralise(3) == 3


