"""Comparing scenarios, and fitting the Compare page's small maps to their county."""

from __future__ import annotations

import math

import pytest

from lib import examples
from lib.catchment import prepare
from lib.compare import (
    COLUMN_GAP_PX,
    CONTENT_PX,
    MAP_PADDING_PX,
    MAX_ZOOM,
    changed_centres,
    fit_view,
    geojson_bounds,
    label_anchor,
    small_map_size,
    totals_side_by_side,
)
from lib.data import boundaries_geojson, load_default
from lib.metrics import evaluate
from lib.scenario import Scenario

NET = prepare(load_default())
BASE = Scenario.baseline(NET.centre_ids)


def test_totals_side_by_side_differences():
    a = evaluate(NET, BASE)
    b = evaluate(NET, examples.district_clusters(NET))
    table = totals_side_by_side([a, b])
    diff = table[f"{b.scenario.name} − {a.scenario.name}"]
    assert diff["Groups (lots)"] == 7 - 54
    assert diff["Budget total"] == pytest.approx(b.totals()["budget_total"] - a.totals()["budget_total"])


def test_changed_centres_ignores_relabelling_and_lists_moves():
    ids = list(NET.centre_ids)
    relabelled = Scenario(name="relabelled", group_of={c: f"X{i}" for i, c in enumerate(ids)})
    assert changed_centres([evaluate(NET, BASE), evaluate(NET, relabelled)]).empty
    moved = BASE.move([ids[1]], "G1").close(ids[7])
    changed = changed_centres([evaluate(NET, BASE), evaluate(NET, moved)])
    assert set(changed["centre_id"]) == {ids[0], ids[1], ids[7]}


def test_same_names_are_kept_apart():
    a = evaluate(NET, BASE)
    assert list(totals_side_by_side([a, a]).columns) == ["Baseline", "Baseline (2)", "Baseline (2) − Baseline"]


# --- fitting the small-multiple maps --------------------------------------------------------------

NORFOLK = geojson_bounds(boundaries_geojson(NET.dataset))
CUMBRIA = (54.04, -3.64, 55.19, -2.16)  # taller than wide on a map
HERTFORDSHIRE = (51.60, -0.75, 52.08, 0.20)


def project(lat: float, lon: float, view: tuple[float, float, float], size: tuple[float, float]) -> tuple[float, float]:
    """Screen px of (lat, lon) in a deck.gl MapView of ``size`` at ``view`` (its own Web-Mercator formulae:
    a 512-px world at zoom 0, y down)."""
    c_lat, c_lon, zoom = view
    scale = 512 * 2 ** zoom

    def world(la: float, lo: float) -> tuple[float, float]:
        phi = math.radians(la)
        return ((lo + 180) / 360 * scale, (1 - math.log(math.tan(math.pi / 4 + phi / 2)) / math.pi) / 2 * scale)

    (x, y), (cx, cy) = world(lat, lon), world(c_lat, c_lon)
    return x - cx + size[0] / 2, y - cy + size[1] / 2


def margins(box, view, size) -> dict[str, float]:
    south, west, north, east = box
    left, top = project(north, west, view, size)
    right, bottom = project(south, east, view, size)
    return {"left": left, "top": top, "right": size[0] - right, "bottom": size[1] - bottom}


@pytest.mark.parametrize("box", [NORFOLK, CUMBRIA, HERTFORDSHIRE], ids=["Norfolk", "Cumbria", "Hertfordshire"])
@pytest.mark.parametrize("size", [(541, 370), (268, 240), (300, 480), (1000, 300)])
def test_fit_view_fits_the_box_and_touches_its_padding(box, size) -> None:
    pad = 10
    view = fit_view(*box, *size, padding_px=pad)
    m = margins(box, view, size)
    assert min(m.values()) >= pad - 0.5, m  # whole, with its padding
    horizontal, vertical = abs(m["left"] - pad) < 1 and abs(m["right"] - pad) < 1, \
        abs(m["top"] - pad) < 1 and abs(m["bottom"] - pad) < 1
    assert horizontal or vertical, m  # as large as it fits: the binding sides touch the padding
    assert abs(m["left"] - m["right"]) < 0.5 and abs(m["top"] - m["bottom"]) < 0.5, m  # centred


def test_fit_view_uses_deck_gl_world_and_mercator_heights() -> None:
    assert fit_view(-85, -180, 85, 180, 512, 10_000, padding_px=0)[2] == pytest.approx(0)  # 512 px, not 256
    assert fit_view(-85, -180, 85, 180, 1024, 10_000, padding_px=0)[2] == pytest.approx(1)
    lat, lon, zoom = fit_view(*CUMBRIA, 1000, 300, padding_px=0)
    assert lat > (CUMBRIA[0] + CUMBRIA[2]) / 2  # the mercator middle is north of the mean latitude
    assert lon == pytest.approx((CUMBRIA[1] + CUMBRIA[3]) / 2)
    # Cumbria in 1000 x 300 px: the height decides; in a square its height still does (it is tall).
    assert margins(CUMBRIA, (lat, lon, zoom), (1000, 300))["top"] == pytest.approx(0, abs=0.5)
    m = margins(CUMBRIA, fit_view(*CUMBRIA, 400, 400, padding_px=0), (400, 400))
    assert m["top"] == pytest.approx(0, abs=0.5) and m["left"] > 20
    # Norfolk, wide, in the same square: the width decides.
    m = margins(NORFOLK, fit_view(*NORFOLK, 400, 400, padding_px=0), (400, 400))
    assert m["left"] == pytest.approx(0, abs=0.5) and m["top"] > 50


def test_fit_view_degenerate_inputs() -> None:
    assert fit_view(52.6, 1.3, 52.6, 1.3, 400, 300) == pytest.approx((52.6, 1.3, MAX_ZOOM))  # a point
    assert fit_view(52.6, 1.3, 52.6, 1.3, 400, 300, max_zoom=12)[2] == 12
    size = (400, 300)
    line = (52.6, 0.5, 52.6, 1.5)  # no height: the width decides
    m = margins(line, fit_view(*line, *size, padding_px=10), size)
    assert m["left"] == pytest.approx(10, abs=0.5) and m["top"] == pytest.approx(150, abs=0.5)
    tiny = fit_view(*NORFOLK, 30, 20, padding_px=50)  # padding leaves no room: reduced to 5 px
    m = margins(NORFOLK, tiny, (30, 20))
    assert min(m.values()) >= 4.5 and 0 < tiny[2] < MAX_ZOOM
    polar = fit_view(80, 0, 89.9, 10, 400, 300)  # clamped to Web Mercator's limit, still finite
    assert all(math.isfinite(v) for v in polar)
    for bad in [(math.nan, 0, 1, 1, 400, 300), (0, 0, 1, math.inf, 400, 300), (2, 0, 1, 1, 400, 300),
                (0, 2, 1, 1, 400, 300), (0, 0, 1, 1, 0, 300), (0, 0, 1, 1, 400, -5)]:
        with pytest.raises(ValueError):
            fit_view(*bad)


def test_geojson_bounds_reads_every_geometry() -> None:
    geo = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                           "coordinates": [[[0, 50], [1, 50], [1, 51], [0, 50]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon",
                                                           "coordinates": [[[[2, 52], [3, 52], [3, 53], [2, 52]]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [-1, 49.5]}]}},
        {"type": "Feature", "properties": {}, "geometry": None},
    ]}
    assert geojson_bounds(geo) == (49.5, -1, 53, 3)
    assert geojson_bounds({"type": "FeatureCollection", "features": []}) is None
    south, west, north, east = NORFOLK
    areas = NET.dataset.areas  # the polygons reach beyond the areas' centroids
    assert south < areas["lat"].min() and north > areas["lat"].max()
    assert west < areas["lon"].min() and east > areas["lon"].max()


def test_small_map_size_follows_columns_and_shape() -> None:
    w2, h2 = small_map_size(2, NORFOLK)
    w4, h4 = small_map_size(4, NORFOLK)
    assert w2 == (CONTENT_PX - COLUMN_GAP_PX) // 2 and w4 == (CONTENT_PX - 3 * COLUMN_GAP_PX) // 4
    assert 300 < h2 < 420 and h4 == 240  # Norfolk is wide: at two columns its height fills the map
    m = margins(NORFOLK, fit_view(*NORFOLK, w2, h2, padding_px=MAP_PADDING_PX), (w2, h2))
    assert max(m.values()) < MAP_PADDING_PX + 2  # touches all four sides (up to rounding)
    assert small_map_size(2, CUMBRIA)[1] == 480  # tall: as tall as allowed
    assert small_map_size(2, (52.6, 1.3, 52.6, 1.3))[1] == 480  # a point: no shape


def test_label_anchor_keeps_edge_labels_inside() -> None:
    box = (52.0, 0.0, 53.0, 2.0)
    assert label_anchor(52.5, 1.0, box) == ("middle", "center")
    assert label_anchor(52.5, 1.95, box) == ("end", "center")  # east: drawn left of its point
    assert label_anchor(52.95, 0.05, box) == ("start", "top")  # north-west: right of and below it
    assert label_anchor(52.02, 1.0, box) == ("middle", "bottom")
    assert label_anchor(52.6, 1.3, (52.6, 1.3, 52.6, 1.3)) == ("middle", "center")
