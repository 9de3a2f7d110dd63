"""What the map draws, the palette and the undo history."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lib import mapview, palette
from lib.catchment import prepare
from lib.data import load_default
from lib.history import History
from lib.metrics import evaluate
from lib.scenario import Scenario

NET = prepare(load_default())
BASE = Scenario.baseline(NET.centre_ids)
IDS = list(NET.centre_ids)
NAMES = dict(zip(IDS, NET.dataset.centres["name"], strict=True))


def test_markers_carry_group_status_and_figures():
    sc = BASE.move([IDS[1]], "G1").close(IDS[2])
    ev = evaluate(NET, sc)
    colours = palette.group_colours(list(sc.group_of.values()))
    markers = {m["id"]: m for m in mapview.centre_markers(ev, colours)}
    assert markers[IDS[1]]["group"] == "G1" and markers[IDS[1]]["colour"] == colours["G1"]
    assert markers[IDS[2]]["status"] == "closed" and markers[IDS[2]]["colour"] == palette.CLOSED_COLOUR
    assert markers[IDS[0]]["reach"] == int(ev.centre["reach"][0])
    badges = mapview.group_badges(ev, colours)
    assert [b["label"] for b in badges] == ["G1"]  # only groups of two or more get a badge


def test_area_shading_by_group_follows_reach_areas():
    ev = evaluate(NET, BASE.move([IDS[1]], "G1"))
    colours = palette.group_colours(list(ev.scenario.group_of.values()))
    fill, legend = mapview.area_shading(ev, "group", colours)
    area_ids = NET.dataset.areas["area_id"].to_numpy()
    served_by_1 = area_ids[ev.ctx.assign == 1]
    assert served_by_1.size and all(fill[a] == colours["G1"] for a in served_by_1)
    assert len(fill) == len(area_ids) and legend


def test_area_shading_by_deprivation_and_children():
    ev = evaluate(NET, BASE)
    fill, legend = mapview.area_shading(ev, "deprivation", {})
    first = NET.dataset.areas.iloc[0]
    assert fill[first["area_id"]] == palette.DECILE_COLOURS[first["imd_decile"] - 1]
    assert len(legend) == 10 and "most deprived" in legend[0]["label"]
    fill, legend = mapview.area_shading(ev, "children", {})
    assert set(fill.values()) <= set(palette.CHILDREN_COLOURS) and len(legend) == 5


def test_palette_is_stable_and_readable():
    colours = palette.group_colours([f"G{i}" for i in range(1, 37)])
    assert colours["G1"] == palette.GROUP_COLOURS[0] and colours["G2"] == palette.GROUP_COLOURS[1]
    assert palette.text_colour("#332288") == "#ffffff" and palette.text_colour("#DDCC77") == "#000000"
    cls, labels = palette.children_classes(np.array([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]))
    assert cls.min() == 0 and cls.max() == 4 and len(labels) == 5


def test_history_undo_redo_reset_and_log():
    h = History.start(BASE)
    h = h.do(BASE.move([IDS[1]], "G1"), NAMES)
    h = h.do(h.present.close(IDS[2]), NAMES)
    assert h.log[-1] == f"{NAMES[IDS[2]]} closed"
    assert h.undo().present == BASE.move([IDS[1]], "G1")
    assert h.undo().undo().present == BASE and not h.undo().undo().can_undo
    assert h.undo().redo().present == h.present
    reset = h.reset(NAMES)
    assert reset.present.group_of == BASE.group_of and reset.log[-1] == "Reset to baseline"
    assert reset.undo().present == h.present
    assert h.do(h.present, NAMES) is h  # no-op changes are not recorded


def test_shipped_map_boundaries_equal_the_data_file():
    root = Path(__file__).resolve().parent.parent
    shipped = (root / "static/boundaries/norfolk_lsoa.geojson").read_bytes()
    assert shipped == (root / "data/norfolk_lsoa.geojson").read_bytes()


def test_group_notes_reach_the_markers_of_that_group():
    sc = BASE.move([IDS[1]], "G1")
    ev = evaluate(NET, sc)
    markers = mapview.centre_markers(ev, palette.group_colours(list(sc.group_of.values())),
                                     {"G1": ["challenge: <b>far</b> (A)"]})
    by_id = {m["id"]: m for m in markers}
    assert by_id[IDS[0]]["notes"] == by_id[IDS[1]]["notes"] == ["challenge: <b>far</b> (A)"]
    assert by_id[IDS[2]]["notes"] == []


def test_flags_reach_markers_of_centres_and_groups():
    sc = BASE.move(IDS[:5], "G1")
    ev = evaluate(NET, sc)
    markers = {m["id"]: m for m in mapview.centre_markers(ev, palette.group_colours(list(sc.group_of.values())))}
    assert markers[IDS[0]]["flag"].startswith("group G1: ") and "5 centres, more than 4" in markers[IDS[0]]["flag"]
    low = ev.centres_table().set_index("centre_id")
    lone = next(c for c in IDS[5:] if low.at[c, "flags"])
    assert markers[lone]["flag"] == low.at[lone, "flags"]
    closed = evaluate(NET, sc.close(lone))
    assert {m["id"]: m for m in mapview.centre_markers(closed, {**palette.group_colours(
        list(sc.group_of.values()))})}[lone]["flag"] == ""


def test_location_summary_counts_how_centres_are_placed():
    assert mapview.location_summary(NET.dataset.centres) == "22 approximate, 17 illustrative, 15 postcode"


def test_district_bounds_frame_every_area_of_each_district_and_nothing_without_districts():
    areas = NET.dataset.areas
    boxes = mapview.district_bounds(areas, margin_deg=0.01)
    assert list(boxes) == sorted(areas["district"].unique()) and len(boxes) == 7
    for name, ((s, w), (n, e)) in boxes.items():
        inside = areas[(areas["lat"] > s) & (areas["lat"] < n) & (areas["lon"] > w) & (areas["lon"] < e)]
        assert set(areas.loc[areas["district"] == name, "area_id"]) <= set(inside["area_id"])
        assert n - s < areas["lat"].max() - areas["lat"].min()  # a district, not the county
    assert mapview.district_bounds(areas.drop(columns="district")) == {}
