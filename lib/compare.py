"""Comparing scenarios: totals side by side with differences, the centres that changed, and fitting the
small-multiple maps to their county."""

from __future__ import annotations

import math

import pandas as pd

from lib.metrics import TOTAL_LABELS, Evaluation

COMPARED_TOTALS = ("groups", "open_centres", "children_covered", "deprived_share", "weighted_reach",
                   "budget_total", "saving", "envelope_gap", "children_further", "areas_beyond_max_distance")


def totals_side_by_side(evaluations: list[Evaluation]) -> pd.DataFrame:
    """One row per figure, one column per scenario, then 'change vs first' columns (scenario - first)."""
    names = _unique([ev.scenario.name for ev in evaluations])
    data = {name: [ev.totals()[k] for k in COMPARED_TOTALS] for name, ev in zip(names, evaluations, strict=True)}
    table = pd.DataFrame(data, index=[TOTAL_LABELS[k] for k in COMPARED_TOTALS])
    for name in names[1:]:
        table[f"{name} − {names[0]}"] = table[name] - table[names[0]]
    table.index.name = "figure"
    return table


def changed_centres(evaluations: list[Evaluation]) -> pd.DataFrame:
    """Centres whose group or status differs between any of the scenarios (group/status per scenario)."""
    names = _unique([ev.scenario.name for ev in evaluations])
    first = evaluations[0]
    table = pd.DataFrame({"centre_id": list(first.net.centre_ids),
                          "name": first.net.dataset.centres["name"].to_numpy()})
    for name, ev in zip(names, evaluations, strict=True):
        c = ev.centres_table()
        table[name] = [f"{g} ({s})" if s != "open" else g for g, s in zip(c["group"], c["status"], strict=True)]
    status = pd.DataFrame({n: ev.centres_table()["status"] for n, ev in zip(names, evaluations, strict=True)})
    group_sets = [_partition(ev) for ev in evaluations]
    regrouped = [any(gs[c] != group_sets[0][c] for gs in group_sets[1:]) for c in table["centre_id"]]
    changed = (status.nunique(axis=1) > 1).to_numpy() | regrouped
    return table[changed].reset_index(drop=True)


def _partition(ev: Evaluation) -> dict[str, frozenset[str]]:
    """Each centre -> the set of centres it is grouped with (labels may differ between scenarios)."""
    members: dict[str, set[str]] = {}
    for c, g in ev.scenario.group_of.items():
        members.setdefault(g, set()).add(c)
    return {c: frozenset(members[g]) for c, g in ev.scenario.group_of.items()}


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        name, k = n, 2
        while name in out:
            name, k = f"{n} ({k})", k + 1
        out.append(name)
    return out


# --- small-multiple maps: fitting a box into a map of known size --------------------------------

TILE_PX = 512  # deck.gl's Web-Mercator world is 512 px wide at zoom 0 (not 256 as in slippy-map tiles)
MAX_LAT = 85.051129  # Web Mercator's limit
MAX_ZOOM = 20.0


def mercator_y(lat: float) -> float:
    """Web-Mercator y of a latitude, in world pixels at zoom 0 (0 at the equator, north positive)."""
    phi = math.radians(max(-MAX_LAT, min(MAX_LAT, lat)))
    return TILE_PX / (2 * math.pi) * math.log(math.tan(math.pi / 4 + phi / 2))


def mercator_lat(y: float) -> float:
    """The latitude of a Web-Mercator y (the inverse of :func:`mercator_y`)."""
    return math.degrees(2 * math.atan(math.exp(y * 2 * math.pi / TILE_PX)) - math.pi / 2)


def fit_view(south: float, west: float, north: float, east: float, width_px: float, height_px: float,
             padding_px: float = 12.0, max_zoom: float = MAX_ZOOM) -> tuple[float, float, float]:
    """(latitude, longitude, zoom) of a deck.gl map ``width_px`` x ``height_px`` that shows the box whole and as
    large as it fits, ``padding_px`` clear on every side: the tighter of width and height decides the zoom.

    Web Mercator with a 512-px world at zoom 0; the latitude extent is measured in mercator y (a degree of
    latitude in Norfolk is 1.65 times taller than a degree of longitude), and the centre is the middle of the
    box in mercator y, not the mean of the latitudes. A box of no extent (a point) gets ``max_zoom``; padding
    that leaves no room is reduced to a quarter of the map's smaller side. Raises ``ValueError`` for
    non-finite numbers, a box whose south is north of its north or west is east of its east, or a map of no size.
    """
    values = (south, west, north, east, width_px, height_px, padding_px)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"fit_view: non-finite input {values}")
    if south > north or west > east:
        raise ValueError(f"fit_view: not a box: south {south}, west {west}, north {north}, east {east}")
    if width_px <= 0 or height_px <= 0:
        raise ValueError(f"fit_view: a map of no size ({width_px} x {height_px} px)")
    pad = max(0.0, min(padding_px, min(width_px, height_px) / 4))
    y0, y1 = mercator_y(south), mercator_y(north)
    dx = (east - west) / 360 * TILE_PX
    dy = y1 - y0
    scale = min((width_px - 2 * pad) / dx if dx > 0 else math.inf,
                (height_px - 2 * pad) / dy if dy > 0 else math.inf)
    zoom = max_zoom if math.isinf(scale) else min(max_zoom, math.log2(scale))
    return mercator_lat((y0 + y1) / 2), (west + east) / 2, zoom


def geojson_bounds(geo: dict) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of every coordinate in a GeoJSON FeatureCollection's geometries, or None
    when it has none."""
    lons: list[float] = []
    lats: list[float] = []

    def walk(c) -> None:
        if c and isinstance(c[0], (int, float)):
            lons.append(float(c[0]))
            lats.append(float(c[1]))
        else:
            for part in c or ():
                walk(part)

    for f in geo.get("features") or ():
        g = (f or {}).get("geometry") or {}
        for part in g.get("geometries", [g]):
            walk((part or {}).get("coordinates"))
    if not lons:
        return None
    return min(lats), min(lons), max(lats), max(lons)


CONTENT_PX = 1080  # the wide layout's content width on a 1280-px screen (a projector: 1098 measured), less a little
COLUMN_GAP_PX = 16  # Streamlit's gap between columns ("small")
MAP_PADDING_PX = 10


def small_map_size(n_maps: int, box: tuple[float, float, float, float], content_px: float = CONTENT_PX,
                   gap_px: float = COLUMN_GAP_PX, padding_px: float = MAP_PADDING_PX,
                   min_height: int = 240, max_height: int = 480) -> tuple[int, int]:
    """(width, height) in px to fit a small multiple to, ``n_maps`` side by side in ``content_px``.

    The width is one column's at the narrowest screen the page is made for (a wider screen gives the map
    more width, so the box only gains side margin); the height follows the box's shape at that width (so a
    wide county fills its map), between ``min_height`` and ``max_height``.
    """
    n = max(1, int(n_maps))
    width = max(120, int((content_px - gap_px * (n - 1)) / n))
    south, west, north, east = box
    dx = (east - west) / 360 * TILE_PX
    dy = mercator_y(north) - mercator_y(south)
    inner = width - 2 * padding_px
    height = inner * dy / dx + 2 * padding_px if dx > 0 else max_height
    return width, int(max(min_height, min(max_height, round(height))))


def label_anchor(lat: float, lon: float, box: tuple[float, float, float, float], edge: float = 0.15
                 ) -> tuple[str, str]:
    """deck.gl TextLayer (text anchor, alignment baseline) for a label at (lat, lon) in a map fitted to ``box``:
    a label within ``edge`` (a share of the box) of a side is drawn on the inner side of its point, so it
    stays inside the map; otherwise centred on it."""
    south, west, north, east = box
    fx = (lon - west) / (east - west) if east > west else 0.5
    y0, y1 = mercator_y(south), mercator_y(north)
    fy = (mercator_y(lat) - y0) / (y1 - y0) if y1 > y0 else 0.5
    anchor = "end" if fx > 1 - edge else "start" if fx < edge else "middle"
    baseline = "top" if fy > 1 - edge else "bottom" if fy < edge else "center"
    return anchor, baseline
