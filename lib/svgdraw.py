"""Inline SVG drawings for the briefing report: the lot map, the budget waterfall and the reach chart.

Each function returns one ``<svg>`` element (a ``viewBox``, ``width="100%"``), so the drawing
scales to the page and prints as vectors in a browser and in WeasyPrint alike. Every text from a
user (group labels) is escaped with :func:`lib.text.html_text`.

Map projection (a county is small enough for an equirectangular view):

    x = (lon - lon_min) * cos(lat_mid) * k,    y = (lat_max - lat) * k

with ``k`` the scale that fits the extent in the frame; one unit is ``111.32 / k`` km.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.ops import polylabel

from lib.budget import money
from lib.palette import CLOSED_COLOUR, text_colour
from lib.text import html_text

FONT = "'Liberation Sans', Arial, Helvetica, sans-serif"
WIDTH = 1000.0
KM_PER_DEGREE = 111.32
SAVING_COLOUR = "#1b7837"
INCREASE_COLOUR = "#b2182b"
TOTAL_COLOUR = "#2f4b7c"
INK = "#1a1a1a"
MUTED = "#555555"

# Advance widths of Liberation Sans / Arial in em, by character class (bold is about 6% wider).
_NARROW = set("iljtfrI.,;:!'|() ")
_WIDE = set("MWmw@%")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of ``text`` at font ``size`` (rounded up): sum of per-character advances (narrow
    0.3 em, wide 0.9 em, capitals 0.72 em, digits 0.56 em, others 0.55 em), x 1.06 if bold."""
    em = sum(0.3 if c in _NARROW else 0.9 if c in _WIDE else 0.72 if c.isupper() else 0.56 if c.isdigit()
             else 0.55 for c in text)
    return em * size * (1.06 if bold else 1.0)


def signed_money(value: float) -> str:
    """:func:`lib.budget.money` with a plus sign for an increase: +£0.20m, −£1.88m, −£40,000."""
    return ("+" if value >= 0.5 else "") + money(value)


def _svg(height: float, label: str, body: list[str]) -> str:
    return (f'<svg class="drawing" viewBox="0 0 {WIDTH:.0f} {height:.0f}" width="100%" role="img" '
            f'aria-label="{html_text(label)}" font-family="{FONT}">'
            f"<title>{html_text(label)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: str, size: float, *, anchor: str = "start", bold: bool = False,
          fill: str = INK, extra: str = "") -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"{weight}'
            f"{extra}>{html_text(text)}</text>")


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Words of ``text`` in lines no wider than ``width`` (a long word keeps its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


# ---------------------------------------------------------------------------------------------- map

MAP_PAD = 12.0
MAP_MAX_HEIGHT = 700.0
LABEL_SIZES = (20.0, 15.0)
DOT_RADIUS = 5.0


@dataclass(frozen=True)
class Projection:
    """x = (lon - lon0) * cos(lat_mid) * k + dx, y = (lat1 - lat) * k + dy (see the module docstring)."""

    lon0: float
    lat1: float
    coslat: float
    k: float
    dx: float
    dy: float

    @classmethod
    def fit(cls, bounds: Sequence[float], width: float, max_height: float, pad: float) -> Projection:
        """The projection that fits lon/lat ``bounds`` (west, south, east, north) in ``width`` x at most
        ``max_height`` units, ``pad`` units inside the edges, centred horizontally."""
        west, south, east, north = bounds
        coslat = math.cos(math.radians((south + north) / 2))
        ext_x = max((east - west) * coslat, 1e-9)
        ext_y = max(north - south, 1e-9)
        k = min((width - 2 * pad) / ext_x, (max_height - 2 * pad) / ext_y)
        return cls(west, north, coslat, k, (width - ext_x * k) / 2, pad)

    def xy(self, coords: np.ndarray) -> np.ndarray:
        """(n, 2) lon/lat -> (n, 2) map units."""
        return np.column_stack([(coords[:, 0] - self.lon0) * self.coslat * self.k + self.dx,
                                (self.lat1 - coords[:, 1]) * self.k + self.dy])

    @property
    def km_per_unit(self) -> float:
        return KM_PER_DEGREE / self.k


def _path(geom: shapely.Geometry) -> str:
    """SVG path data of a (multi)polygon: each ring 'M x y x y … Z' in whole map units (0.2 mm on A4),
    repeated points dropped."""
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.rint(np.asarray(ring.coords)[:-1]).astype(int)
            xy = xy[np.r_[True, (np.diff(xy, axis=0) != 0).any(axis=1)]]
            if len(xy) >= 3:
                parts.append("M" + " ".join(f"{x} {y}" for x, y in xy) + "Z")
    return "".join(parts)


@dataclass(frozen=True)
class Label:
    """A placed lot label: centre (x, y), font size, box half-width and half-height, and whether it
    lies inside its lot (else it is drawn as a chip, with a leader line to ``anchor`` if far away)."""

    text: str
    x: float
    y: float
    size: float
    half_w: float
    half_h: float
    inside: bool
    anchor: tuple[float, float]


def _label_box(text: str, size: float) -> tuple[float, float]:
    return text_width(text, size, bold=True) / 2 + 4, size * 0.68


def place_labels(shapes: list[tuple[str, shapely.Geometry]], dots: np.ndarray,
                 frame: tuple[float, float, float, float]) -> list[Label]:
    """Place one label per lot (text, projected polygon), no two overlapping, inside ``frame``.

    Candidates are the lot's pole of inaccessibility (the anchor) and a grid of points inside it; the
    cost of a candidate is 500 if its box is not wholly inside the lot, plus 800 per centre dot it
    covers, plus its distance from the anchor. Lots are placed smallest first; a lot with no free
    candidate tries the smaller font, then any free point of the frame near the anchor (drawn with
    a leader line)."""
    boxes = np.empty((0, 4))
    order = sorted(range(len(shapes)), key=lambda i: shapes[i][1].area)
    out: dict[int, Label] = {}
    for i in order:
        text, shape = shapes[i]
        main = max(getattr(shape, "geoms", [shape]), key=lambda g: g.area)
        pole = polylabel(main, tolerance=1.0)
        anchor = (pole.x, pole.y)
        label = None
        for size in LABEL_SIZES:
            hw, hh = _label_box(text, size)
            label = _best(text, size, hw, hh, shape, _grid(shape, 6.0, anchor), anchor, boxes, dots, frame)
            if label is not None:
                break
        if label is None:
            hw, hh = _label_box(text, LABEL_SIZES[-1])
            label = _best(text, LABEL_SIZES[-1], hw, hh, None, _ring(anchor, frame), anchor, boxes, dots, frame)
        if label is None:  # nowhere free: keep it on its lot even if it overlaps
            hw, hh = _label_box(text, LABEL_SIZES[-1])
            label = Label(text, anchor[0], anchor[1], LABEL_SIZES[-1], hw, hh, False, anchor)
        out[i] = label
        boxes = np.vstack([boxes, [label.x - label.half_w, label.y - label.half_h,
                                   label.x + label.half_w, label.y + label.half_h]])
    return [out[i] for i in range(len(shapes))]


def _grid(shape: shapely.Geometry, step: float, anchor: tuple[float, float]) -> np.ndarray:
    """The anchor, then the points of a ``step`` grid that lie inside ``shape``."""
    x0, y0, x1, y1 = shape.bounds
    gx, gy = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(shape, gx, gy)
    return np.vstack([[anchor], np.column_stack([gx[inside], gy[inside]])])


def _ring(anchor: tuple[float, float], frame: tuple[float, float, float, float], radius: float = 160.0
          ) -> np.ndarray:
    """Points of a 6-unit grid over the frame within ``radius`` of the anchor (for leader-line labels)."""
    gx, gy = np.meshgrid(np.arange(frame[0], frame[2], 6.0), np.arange(frame[1], frame[3], 6.0))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    return pts[np.hypot(pts[:, 0] - anchor[0], pts[:, 1] - anchor[1]) <= radius]


def _best(text: str, size: float, hw: float, hh: float, shape: shapely.Geometry | None, pts: np.ndarray,
          anchor: tuple[float, float], boxes: np.ndarray, dots: np.ndarray,
          frame: tuple[float, float, float, float]) -> Label | None:
    """The cheapest free candidate (see :func:`place_labels`), or None."""
    if not len(pts):
        return None
    x, y = pts[:, 0], pts[:, 1]
    in_frame = (x - hw >= frame[0]) & (x + hw <= frame[2]) & (y - hh >= frame[1]) & (y + hh <= frame[3])
    gap = 2.0
    hits = ((x[:, None] - hw - gap < boxes[None, :, 2]) & (x[:, None] + hw + gap > boxes[None, :, 0])
            & (y[:, None] - hh - gap < boxes[None, :, 3]) & (y[:, None] + hh + gap > boxes[None, :, 1])).any(axis=1)
    free = in_frame & ~hits
    if not free.any():
        return None
    inside = (shapely.contains(shape, shapely.box(x - hw, y - hh, x + hw, y + hh)) if shape is not None
              else np.zeros(len(pts), bool))
    covered = ((np.abs(dots[None, :, 0] - x[:, None]) < hw + DOT_RADIUS)
               & (np.abs(dots[None, :, 1] - y[:, None]) < hh + DOT_RADIUS)).sum(axis=1) if len(dots) else 0
    cost = np.where(free, 500.0 * ~inside + 800.0 * covered + np.hypot(x - anchor[0], y - anchor[1]), np.inf)
    j = int(np.argmin(cost))
    return Label(text, float(x[j]), float(y[j]), size, hw, hh, bool(inside[j]), anchor)


def _draw_label(label: Label, fill: str) -> str:
    ink = text_colour(fill)
    baseline = label.y + label.size * 0.36
    if label.inside:
        return _text(label.x, baseline, label.text, label.size, anchor="middle", bold=True, fill=ink)
    out = []
    if math.hypot(label.x - label.anchor[0], label.y - label.anchor[1]) > label.half_w + label.half_h:
        out.append(f'<line x1="{label.anchor[0]:.1f}" y1="{label.anchor[1]:.1f}" x2="{label.x:.1f}" '
                   f'y2="{label.y:.1f}" stroke="{INK}" stroke-width="1.2"/>'
                   f'<circle cx="{label.anchor[0]:.1f}" cy="{label.anchor[1]:.1f}" r="2" fill="{INK}"/>')
    out.append(f'<rect x="{label.x - label.half_w:.1f}" y="{label.y - label.half_h:.1f}" '
               f'width="{2 * label.half_w:.1f}" height="{2 * label.half_h:.1f}" rx="3" fill="{fill}" '
               f'stroke="#ffffff" stroke-width="1.5"/>')
    out.append(_text(label.x, baseline, label.text, label.size, anchor="middle", bold=True, fill=ink))
    return "".join(out)


def _cross(x: float, y: float, r: float, colour: str, width: float) -> str:
    return (f'<path d="M{x - r:.1f} {y - r:.1f}L{x + r:.1f} {y + r:.1f}M{x - r:.1f} {y + r:.1f}L{x + r:.1f} '
            f'{y - r:.1f}" stroke="{colour}" stroke-width="{width:g}" stroke-linecap="round"/>')


def _open_dot(x: float, y: float) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{DOT_RADIUS}" fill="#ffffff" stroke="{INK}" stroke-width="1.6"/>'


def _closed_mark(x: float, y: float) -> str:
    return _cross(x, y, 4.2, "#ffffff", 5.0) + _cross(x, y, 4.2, CLOSED_COLOUR, 2.4)


def _nice(value: float, steps: Sequence[float] = (1, 2, 2.5, 5, 10)) -> float:
    """The largest 'nice' number (1, 2, 2.5 or 5 times a power of ten) not above ``value``."""
    power = 10 ** math.floor(math.log10(value))
    return max(s * power for s in steps if s * power <= value)


def lot_map(lots: dict, centres: dict, colours: dict[str, str], title: str = "Map of the lots") -> str:
    """The lots as filled polygons (white borders) with a label each, open centres as dots, closed or
    merged centres as grey crosses, and a scale bar (the legend is HTML: :func:`legend_symbol`).

    ``lots``: lib.lotgeo.lot_areas; ``centres``: lib.lotgeo.centres_points; ``colours``: group -> #rrggbb."""
    geoms = [shapely.geometry.shape(f["geometry"]) for f in lots["features"]]
    points = np.array([f["geometry"]["coordinates"] for f in centres["features"]], dtype=float).reshape(-1, 2)
    if not geoms and not len(points):
        return _svg(60, title, [_text(WIDTH / 2, 35, "No lot to draw", 16, anchor="middle")])
    bounds = np.array([g.bounds for g in geoms] + [[*p, *p] for p in points])
    extent = (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())
    proj = Projection.fit(extent, WIDTH, MAP_MAX_HEIGHT, MAP_PAD)
    tolerance = 0.6  # map units: under a pixel on screen, about 0.1 mm on A4
    shapes = [shapely.simplify(shapely.transform(g, proj.xy), tolerance) for g in geoms]
    height = (extent[3] - extent[1]) * proj.k + 2 * MAP_PAD
    frame = (2.0, 2.0, WIDTH - 2.0, height - 2.0)
    dots = proj.xy(points) if len(points) else np.empty((0, 2))
    labels_of = [str(f["properties"]["group"]) for f in lots["features"]]
    body = [f'<rect x="0" y="0" width="{WIDTH:.0f}" height="{height:.1f}" fill="#f4f4f1"/>']
    for label, shape in zip(labels_of, shapes, strict=True):
        body.append(f'<path class="lot" data-group="{html_text(label)}" d="{_path(shape)}" '
                    f'fill="{colours.get(label, CLOSED_COLOUR)}" fill-rule="evenodd" stroke="#ffffff" '
                    f'stroke-width="1.6" stroke-linejoin="round"/>')
    status = [f["properties"]["status"] for f in centres["features"]]
    body += [f'<g class="centre-closed">{_closed_mark(x, y)}</g>'
             for (x, y), s in zip(dots, status, strict=True) if s != "open"]
    body += [f'<g class="centre-open">{_open_dot(x, y)}</g>' for (x, y), s in zip(dots, status, strict=True)
             if s == "open"]
    placed = place_labels(list(zip(labels_of, shapes, strict=True)), dots, frame)
    body += [f'<g class="lot-label" data-group="{html_text(lab.text)}">'
             f"{_draw_label(lab, colours.get(lab.text, CLOSED_COLOUR))}</g>" for lab in placed]
    body.append(_scale_bar(proj, height))
    return _svg(height, title, body)


def _scale_bar(proj: Projection, height: float) -> str:
    """A bar of a round number of km (about a sixth of the width) on a white plate, bottom left."""
    km = _nice(0.16 * WIDTH * proj.km_per_unit)
    length = km / proj.km_per_unit
    x, y = MAP_PAD + 8, height - MAP_PAD - 8
    label = f"{km:g} km"
    plate_w = length + 18 + text_width(label, 17, bold=True)
    return (f'<g class="scale"><rect x="{x - 6:.1f}" y="{y - 20:.1f}" width="{plate_w:.1f}" height="28" rx="3" '
            f'fill="#ffffff" fill-opacity="0.85"/><path d="M{x:.1f} {y - 7:.1f}V{y:.1f}H{x + length:.1f}'
            f'V{y - 7:.1f}" fill="none" stroke="{INK}" stroke-width="2"/>'
            + _text(x + length + 6, y, label, 17, bold=True) + "</g>")


def legend_symbol(status: str) -> str:
    """A small inline SVG of the centre symbol for the map legend: 'open' (dot) or 'closed' (cross)."""
    mark = _open_dot(9, 9) if status == "open" else _closed_mark(9, 9)
    return f'<svg class="symbol" viewBox="0 0 18 18" width="18" height="18" aria-hidden="true">{mark}</svg>'


# ---------------------------------------------------------------------------------------- waterfall


def waterfall(baseline: float, steps: Sequence[tuple[str, float]], total: float, envelope: float) -> str:
    """Budget waterfall: the baseline total bar, one floating bar per step (a saving, negative, in green;
    an increase in red; a step of under £0.50 as a grey line, 'no change'), each labelled with its
    signed amount, the scenario total bar and the envelope as a dashed line.
    Running level after step i = baseline + sum of steps 1..i."""
    height, left, right, top, bottom = 420.0, 84.0, 118.0, 36.0, 70.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    levels = np.cumsum([baseline, *[v for _, v in steps]])
    peak = max(float(levels.max()), total, envelope, 1.0) * 1.12

    def y(v: float) -> float:
        return top + (1 - v / peak) * plot_h

    body = []
    tick = _nice(peak / 5)
    for t in np.arange(0, peak, tick):
        body.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                    f'stroke="#dddddd" stroke-width="1"/>'
                    + _text(left - 8, y(t) + 5, money(t), 15, anchor="end", fill=MUTED))
    bars = [("Baseline total", 0.0, baseline, TOTAL_COLOUR, money(baseline))]
    for (name, value), level in zip(steps, levels[1:], strict=True):
        colour = MUTED if round(value) == 0 else SAVING_COLOUR if value < 0 else INCREASE_COLOUR
        bars.append((name, level - value, level, colour, signed_money(value) if round(value) else "no change"))
    bars.append(("Scenario total", 0.0, total, TOTAL_COLOUR, money(total)))
    slot = plot_w / len(bars)
    bar_w = min(slot * 0.62, 110)
    ey = y(envelope)
    for i, (name, start, end, colour, text) in enumerate(bars):
        cx = left + slot * (i + 0.5)
        lo, hi = min(start, end), max(start, end)
        h = max(y(lo) - y(hi), 2.0)
        body.append(f'<rect class="bar" data-name="{html_text(name)}" x="{cx - bar_w / 2:.1f}" y="{y(hi):.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"/>')
        label_y = y(hi) - 12
        if abs(label_y - 6 - ey) < 14:  # keep clear of the envelope line
            label_y = ey - 12 if label_y < ey else ey + 28
        body.append(_text(cx, label_y, text, 18, anchor="middle", bold=True))
        if i > 0:
            level = bars[i - 1][2]
            body.append(f'<line x1="{cx - slot + bar_w / 2:.1f}" x2="{cx - bar_w / 2:.1f}" y1="{y(level):.1f}" '
                        f'y2="{y(level):.1f}" stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 3"/>')
        for k, line in enumerate(_wrap(name, 16, slot - 6)[:3]):
            body.append(_text(cx, top + plot_h + 24 + 19 * k, line, 16, anchor="middle"))
    body.append(f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}" '
                f'stroke-width="1.2"/>')
    body.append(f'<line class="envelope" x1="{left:.1f}" x2="{left + plot_w + 6:.1f}" y1="{ey:.1f}" '
                f'y2="{ey:.1f}" stroke="{INK}" stroke-width="2.5" stroke-dasharray="10 6"/>')
    body.append(_text(left + plot_w + 10, ey - 5, "Envelope", 17, bold=True)
                + _text(left + plot_w + 10, ey + 17, money(envelope), 17))
    return _svg(height, "Budget waterfall from the baseline total to the scenario total", body)


# -------------------------------------------------------------------------------------------- reach


def reach_bars(rows: Sequence[tuple[str, float, int, str]], min_reach: float | None, peak: float | None = None,
               label_w: float | None = None) -> str:
    """Horizontal bars, one per lot: reach per open centre = lot reach / open centres (children aged
    0-4), in the lot's colour and labelled with its value; the minimum reach rule (``min_reach``,
    None = off) as a dashed red line, the value of a lot below it in red with 'below'.

    ``rows``: (group label, lot reach, open centres, colour). ``peak`` (the value at full width) and
    ``label_w`` (the label column) default to this chart's own, so several charts can share a scale."""
    size, row_h, top = 17.0, 30.0, 40.0
    label_w = label_w or reach_label_width(rows)
    value_w = 150.0
    plot_w = WIDTH - label_w - value_w
    per = [reach / n for _, reach, n, _ in rows]
    peak = peak or max([*per, min_reach or 0, 1.0])
    height = top + row_h * len(rows) + 8
    rule_x = label_w + plot_w * (min_reach or 0) / peak
    body = []
    for i, ((label, _, _, colour), value) in enumerate(zip(rows, per, strict=True)):
        y = top + i * row_h
        w = plot_w * value / peak
        below = min_reach is not None and value < min_reach
        body.append(_text(label_w - 10, y + 20, label, size, anchor="end", bold=True))
        body.append(f'<rect class="reach-bar" data-group="{html_text(label)}" x="{label_w:.1f}" y="{y + 4:.1f}" '
                    f'width="{max(w, 1):.1f}" height="{row_h - 8:.1f}" fill="{colour}" stroke="{INK}" '
                    f'stroke-width="0.5"/>')
        text = f"{value:,.0f}" + (" below" if below else "")
        x = max(label_w + w, rule_x + 2 if below else 0) + 8  # a short bar's label clear of the rule line
        body.append(_text(x, y + 20, text, 16, fill=INCREASE_COLOUR if below else INK, bold=below))
    if min_reach is not None:
        x = rule_x
        body.append(f'<line class="min-reach" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 8:.1f}" '
                    f'y2="{top + row_h * len(rows):.1f}" stroke="{INCREASE_COLOUR}" stroke-width="2.5" '
                    f'stroke-dasharray="8 5"/>')
        body.append(_text(x, top - 14, f"rule: {min_reach:,.0f}", 16, anchor="middle", bold=True,
                          fill=INCREASE_COLOUR))
    return _svg(height, "Reach per open centre, by lot", body)


def reach_label_width(rows: Sequence[tuple[str, float, int, str]]) -> float:
    """Width of the label column of :func:`reach_bars`: the widest group label, at least 40 units, + 14."""
    return max([*(text_width(r[0], 17.0, bold=True) for r in rows), 40.0]) + 14
