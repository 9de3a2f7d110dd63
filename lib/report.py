"""The briefing report: one self-contained HTML file (and the same report as a PDF) from a board pack.

The HTML needs nothing outside itself: the static map and the charts are inline SVG
(lib.svgdraw), the interactive map is folium with Leaflet 1.9.4 inlined from static/vendor/
(its images as data: URIs) inside an ``<iframe srcdoc>``, and no src, href, url() or @import
names another file or host. Every user string (centre, group, lead agency, scenario, note,
author, dataset) is escaped with :func:`lib.text.html_text`; in the interactive map the
tooltip texts are escaped before folium writes them as JSON, because Leaflet shows them as HTML.

The PDF is WeasyPrint's rendering of ``report_html(pack, interactive=False)``: A4, 15 mm
margins, "Page n of N" in the footer; its URL fetcher refuses everything but data: URIs.
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lib import lotgeo, palette
from lib.budget import money
from lib.pack import BoardPack, metric_formulas
from lib.scenario import LEAD_TYPE_LABELS
from lib.svgdraw import legend_symbol, lot_map, reach_bars, reach_label_width, signed_money, waterfall
from lib.text import DISPLAY_LIMIT, html_text

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

LEAFLET = Path(__file__).resolve().parent.parent / "static" / "vendor" / "leaflet"
BREACH_ITEMS = 100
"""Breaches of one rule listed at most in the report (the counts are always given in full)."""
REACH_ROWS = 20
"""Lots per reach chart (a longer list is drawn as several charts on one scale, each fits a page)."""
_SCOPE_NAMES = {"centre": "centre", "group": "group", "area": "area", "budget": "budget total"}

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d6d6d2; --accent: #2f4b7c; }
* { box-sizing: border-box; }
html { background: #ecece8; }
body { margin: 0; color: var(--ink); font: 17px/1.45 'Liberation Sans', Arial, Helvetica, sans-serif; }
.paper { max-width: 1000px; margin: 24px auto; padding: 40px 48px 48px; background: #fff;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 2.1em; line-height: 1.15; margin: 0 0 .25em; }
h2 { font-size: 1.45em; margin: 1.6em 0 .5em; padding-bottom: .2em; border-bottom: 3px solid var(--accent);
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 1.15em; margin: 1.2em 0 .4em; break-after: avoid; page-break-after: avoid; }
p { margin: .4em 0 .7em; }
.kicker { text-transform: uppercase; letter-spacing: .08em; color: var(--accent); font-weight: bold; margin: 0; }
.meta { color: var(--muted); font-size: 1.05em; }
.meta strong { color: var(--ink); }
.scenario-notes { border-left: 4px solid var(--rule); padding-left: .8em; color: #333; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: .6em 0 1em; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
.card .label { font-size: .85em; color: var(--muted); font-weight: bold; text-transform: uppercase;
               letter-spacing: .03em; }
.card .value { display: block; font-size: 2.1em; font-weight: bold; line-height: 1.15; margin: .1em 0; }
.card .change { font-size: .9em; color: var(--muted); }
.card.warn { border-color: #b2182b; }
.card.warn .gap { color: #b2182b; font-weight: bold; }
.card.ok .gap { color: #1b7837; font-weight: bold; }
.lines { font-size: 1.05em; margin: 0; padding-left: 1.2em; }
figure { margin: .6em 0 1em; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: .85em; color: var(--muted); margin-top: .4em; }
svg.drawing { display: block; width: 100%; height: auto; }
.interactive iframe { display: block; width: 100%; height: 560px; border: 1px solid var(--rule); }
table { width: 100%; border-collapse: collapse; font-size: .88em; margin: .4em 0 1em; }
th, td { padding: 5px 6px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: #f2f2ee; font-size: .92em; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.legend { list-style: none; padding: 0; margin: .5em 0 0; font-size: .95em; }
.legend li { display: inline; white-space: nowrap; margin-right: 1.1em; }
.legend .symbol { vertical-align: -3px; margin-right: 4px; }
.legend-symbols { margin-top: .25em; }
table.fixed { table-layout: fixed; }
table.fixed td { overflow-wrap: anywhere; }
td.group { font-weight: bold; border-left: 10px solid #999; }
td.flag { color: #b2182b; font-weight: bold; }
.nb { white-space: nowrap; }
.swatch { display: inline-block; width: .85em; height: .85em; border: 1px solid #333; margin-right: .35em;
          vertical-align: -.05em; }
.none { color: #1b7837; font-weight: bold; }
.formulas p, .parameters p { margin: .25em 0; }
.breach h3 .count { font-weight: normal; color: var(--muted); }
.breach-list { font-size: .92em; }
.small { font-size: .88em; color: var(--muted); }
.running { string-set: scenario content(); }
@page { size: A4; margin: 15mm 15mm 18mm;
  @bottom-left { content: string(scenario); font: 8.5pt 'Liberation Sans', Arial, sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 8.5pt 'Liberation Sans', Arial, sans-serif; color: #555; } }
@media print {
  html { background: #fff; }
  body { font-size: 10.5pt; }
  .paper { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  .interactive { display: none; }
  h1 { font-size: 20pt; }
  h2 { font-size: 14pt; margin-top: 14pt; }
  .card .value { font-size: 17pt; }
  .card .label { font-size: 7.5pt; letter-spacing: 0; }
  table { font-size: 9pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _e(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    return html_text(value, limit)


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _signed(value: float) -> str:
    """'+3', '−47', 'no change' (a minus sign, not a hyphen)."""
    if round(value, 6) == 0:
        return "no change"
    return ("+" if value > 0 else "\u2212") + f"{abs(value):,.0f}"


def _pounds(value: float) -> str:
    """Whole pounds, e.g. £708,288 (a minus sign when negative)."""
    return ("\u2212" if value < -0.5 else "") + f"£{abs(value):,.0f}"


def _when(pack: BoardPack) -> str:
    return f"{pack.created.day} {pack.created:%B %Y, %H:%M}"


def _total_cards(pack: BoardPack, threshold: int) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(key, label, value, notes) of each headline figure; the notes give the change against the baseline
    (scenario - baseline) and the exact amount. ``threshold``: the deprivation decile D."""
    t, b = pack.totals, pack.baseline_totals
    share, base_share = 100 * t["deprived_share"], 100 * b["deprived_share"]
    saving_pct = 100 * t["saving"] / t["baseline_total"] if t["baseline_total"] else 0.0
    return [
        ("lots", "Lots", _count(t["lots"]), (_signed(t["lots"] - b["lots"]), f"baseline {_count(b['lots'])}")),
        ("open_centres", "Open centres", _count(t["open_centres"]),
         (_signed(t["open_centres"] - b["open_centres"]), f"baseline {_count(b['open_centres'])}")),
        ("children_covered", "Children covered", _count(t["children_covered"]),
         (f"of {_count(t['children'])} aged 0-4", _signed(t["children_covered"] - b["children_covered"]))),
        ("deprived_share", "Deprived share", f"{share:.1f}%",
         ("no change" if round(share - base_share, 1) == 0 else
          f"{'+' if share > base_share else chr(0x2212)}{abs(share - base_share):.1f} points",
          f"children in IMD deciles 1 to {threshold}")),
        ("budget_total", "Budget total", money(t["budget_total"]),
         (f"{_pounds(t['budget_total'])} a year", f"{signed_money(t['budget_total'] - b['budget_total'])} "
                                                  f"on {money(b['budget_total'])}")),
        ("saving", "Saving", money(t["saving"]), (f"{saving_pct:.1f}% of the baseline",)),
        ("envelope", "Envelope", money(t["envelope"]), (pack.gap_text,)),
    ]


def _cards(pack: BoardPack, threshold: int) -> str:
    over = pack.totals["envelope_gap"] < 0
    out = []
    for key, label, value, change in _total_cards(pack, threshold):
        cls = (" warn" if over else " ok") if key == "envelope" else ""
        change_html = "; ".join(f'<span class="nb{" gap" if key == "envelope" else ""}">{_e(c)}</span>'
                                for c in change)
        out.append(f'<div class="card{cls}" data-key="{key}"><span class="label">{label}</span>'
                   f'<span class="value">{_e(value)}</span><span class="change">{change_html}</span></div>')
    return f'<div class="cards">{"".join(out)}</div>'


def _by_route(pack: BoardPack) -> str:
    """Lots and contract value per procurement route, with the share of the budget total."""
    total = pack.totals["budget_total"] or 1.0
    rows = "".join(f"<tr><td>{_e(r[0])}</td><td class=num>{r[1]:,}</td><td class=num>{_pounds(r[2])}</td>"
                   f"<td class=num>{100 * r[2] / total:.0f}%</td></tr>" for r in pack.by_route.itertuples(index=False))
    return ('<table class="by-route"><thead><tr><th>Procurement route</th><th class=num>Lots</th>'
            "<th class=num>Contract value (£ a year)</th><th class=num>Share of the total</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _swatch(colours: dict[str, str], group: str) -> str:
    return f'<span class="swatch" style="background:{colours.get(group, palette.CLOSED_COLOUR)}"></span>'


LOT_COLUMNS = (  # header, width (%), numeric
    ("Lot", 11, False), ("Route", 11, False), ("Lead agency", 14, False), ("Open centres", 8, True),
    ("Reach", 8, True), ("Reach per centre", 9, True), ("Deprived share", 9, True),
    ("Lot value (£ a year)", 12, True), ("Rule flags", 18, False),
)


def _lead(name: str, kind: str) -> str:
    """'Action for Children (voluntary sector)', 'Action for Children' (type not set), or the type alone."""
    if not name:
        return kind
    return name if kind == LEAD_TYPE_LABELS[""] else f"{name} ({kind})"


def _lot_table(pack: BoardPack, colours: dict[str, str]) -> str:
    """One row per group (lots first); the group cell's left border in the lot's colour. Fixed column
    widths (WeasyPrint lays a fixed table out in about half the time of an automatic one)."""
    rows = []
    for r in pack.lots.to_dict("records"):
        group = r["Group"]
        lead_text = _lead(r["Lead agency"], r["Lead agency type"])
        colour = colours.get(group, palette.CLOSED_COLOUR)
        rows.append(
            f'<tr data-group="{_e(group)}"><td class="group" style="border-left-color:{colour}">{_e(group)}</td>'
            f"<td>{_e(r['Procurement route'])}</td><td>{_e(lead_text)}</td>"
            f'<td class="num">{_count(r["Open centres"])}</td><td class="num">{_count(r["Reach (children)"])}</td>'
            f'<td class="num">{_count(r["Reach per open centre (children)"])}</td>'
            f'<td class="num">{r["Deprived share (%)"]:.1f}%</td>'
            f'<td class="num lot-value">{_pounds(r["Lot value (£ a year)"])}</td>'
            f'<td class="flag">{_e(r["Rule flags"])}</td></tr>')
    cols = "".join(f'<col style="width:{w}%">' for _, w, _ in LOT_COLUMNS)
    head = "".join(f'<th{" class=num" if num else ""}>{name}</th>' for name, _, num in LOT_COLUMNS)
    return (f'<table class="lots fixed"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _breaches(pack: BoardPack) -> str:
    """Per broken rule, its count by scope and each breach as 'name: reason' in one flowing paragraph
    (at most ``BREACH_ITEMS`` a rule)."""
    b = pack.breaches
    if b.empty:
        return '<p class="none">No rule is broken.</p>'
    out = []
    for rule_name, rows in b.groupby("rule_name", sort=False):
        scopes = rows["scope"].value_counts(sort=False)
        count = ", ".join(f"{n:,} {_SCOPE_NAMES.get(scope, scope)}{'' if n == 1 else 's'}"
                          for scope, n in scopes.items())
        items = "; ".join(f"<strong>{_e(r.name)}</strong>: {_e(r.reason)}"
                          for r in rows.head(BREACH_ITEMS).itertuples(index=False))
        more = f"; and {len(rows) - BREACH_ITEMS:,} more (see the workbook)" if len(rows) > BREACH_ITEMS else ""
        out.append(f'<div class="breach" data-rule="{_e(rows["rule"].iat[0])}"><h3>{_e(rule_name)} '
                   f'<span class="count">({_e(count)})</span></h3><p class="breach-list">{items}{more}.</p></div>')
    return "".join(out)


def _notes(notes: pd.DataFrame) -> str:
    if notes.empty:
        return "<p>No consultation notes are recorded.</p>"
    rows = "".join(f"<tr><td>{_e(n.kind)}</td><td>{_e(n.group)}</td><td>{_e(n.text, 2000)}</td>"
                   f"<td>{_e(n.author)}</td><td>{_e(n.when)}</td></tr>" for n in notes.itertuples(index=False))
    cols = "".join(f'<col style="width:{w}%">' for w in (12, 10, 48, 14, 16))
    return (f'<table class="notes fixed"><colgroup>{cols}</colgroup><thead><tr><th>Kind</th><th>Lot</th>'
            f"<th>Note</th><th>By</th><th>When</th></tr></thead><tbody>{rows}</tbody></table>")


def _setting(value: object) -> str:
    """A setting as read aloud: yes/no, 'not set' for a blank, 40,000 for a whole number, else as it is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == "" or value is None:
        return "not set"
    if isinstance(value, float | int) and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _formulas(pack: BoardPack) -> str:
    terms = "".join(f"<p><strong>{_e(name)}</strong>: {_e(text, None)}</p>" for name, text in pack.formulas)
    metrics = "".join(f"<p><strong>{_e(label)}</strong> ({_e(unit)}): {_e(formula, None)}</p>"
                      for label, unit, formula in metric_formulas())
    params = "".join(
        f"<p><strong>{_e(section)}</strong>: " + "; ".join(
            f"{_e(r.Parameter)} {_e(_setting(r.Value))}" + (f" ({_e(r.Unit)})" if r.Unit else "")
            for r in rows.itertuples(index=False)) + ".</p>"
        for section, rows in pack.parameters.groupby("Section", sort=False))
    return (f'<div class="formulas">{terms}</div><h3>Every figure, in a formula</h3>'
            f'<div class="formulas metrics">{metrics}</div><h3>Settings used</h3>'
            f'<div class="parameters">{params}</div>')


# ------------------------------------------------------------------------------- interactive map


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS, the CSS's images as data: URIs and its old-IE VML behaviour removed, so no
    url() names a file."""
    js = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        png = base64.b64encode((LEAFLET / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    css = re.sub(r"behavior:\s*url\(#default#VML\);", "", css)
    return js, css


@cache
def _fit_on_load_class() -> type:
    """The folium element below, defined on first use (folium and branca take about a second to import)."""
    from branca.element import MacroElement
    from jinja2 import Template

    class FitOnLoadElement(MacroElement):
        """Fit the map to ``bounds`` now and again on the frame's load event (a srcdoc frame may run its
        script before the report around it is laid out, when the map has no size yet)."""

        _template = Template("""{% macro script(this, kwargs) %}
            function {{ this.get_name() }}() {
                {{ this._parent.get_name() }}.invalidateSize();
                {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }});
            }
            {{ this.get_name() }}();
            window.addEventListener("load", {{ this.get_name() }});
            {% endmacro %}""")

        def __init__(self, bounds: list[list[float]]) -> None:
            super().__init__()
            self._name = "fit_on_load"
            self.bounds = bounds

    return FitOnLoadElement


_ASSET_TAG = re.compile(r'<script src="vendor:(\w+)"></script>|<link rel="stylesheet" href="vendor:(\w+)"/>')


def interactive_map(lots: dict, centres: dict, colours: dict[str, str]) -> str:
    """A folium map document (no tiles): the lots filled in their colour, centres as circle markers
    (closed grey), hover tooltips; Leaflet inlined, nothing loaded from elsewhere."""
    import folium
    import shapely

    js, css = leaflet_assets()
    m = folium.Map(tiles=None, attribution_control=False, control_scale=True, zoom_snap=0.25)
    m.default_js = [("leaflet", "vendor:js")]
    m.default_css = [("leaflet_css", "vendor:css")]
    m.get_root().header.add_child(folium.Element(
        "<style>.folium-map.leaflet-container { background: #f4f4f1; font: 14px/1.4 Arial, sans-serif; }</style>"))
    lot_features = [{"type": "Feature", "id": str(i), "geometry": f["geometry"], "properties": {
        "fill": colours.get(f["properties"]["group"], palette.CLOSED_COLOUR),
        "group": html_text(f["properties"]["group"]), "route": html_text(f["properties"]["route_label"]),
        "lead": html_text(_lead(f["properties"]["lead_agency"], f["properties"]["lead_agency_type"])),
        "centres": f["properties"]["open_centres"], "reach": f"{f['properties']['reach']:,}",
        "value": _pounds(f["properties"]["lot_value_gbp"])}} for i, f in enumerate(lots["features"])]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": lot_features}, name="Lots",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#ffffff", "weight": 1.5,
                                  "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=["group", "route", "lead", "centres", "reach", "value"],
                                      aliases=["Lot", "Route", "Lead agency", "Open centres", "Reach",
                                               "Lot value"]),
    ).add_to(m)
    centre_features = [{"type": "Feature", "id": str(i), "geometry": f["geometry"], "properties": {
        "open": f["properties"]["status"] == "open", "name": html_text(f["properties"]["name"]),
        "group": html_text(f["properties"]["group"]), "status": f["properties"]["status"]}}
        for i, f in enumerate(centres["features"])]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": centre_features}, name="Centres",
        marker=folium.CircleMarker(radius=5, fill=True),
        style_function=lambda f: {"fillColor": "#ffffff" if f["properties"]["open"] else palette.CLOSED_COLOUR,
                                  "color": "#1a1a1a" if f["properties"]["open"] else "#ffffff",
                                  "weight": 1.5, "fillOpacity": 1.0, "radius": 5 if f["properties"]["open"] else 4},
        tooltip=folium.GeoJsonTooltip(fields=["name", "group", "status"], aliases=["Centre", "Lot", "Status"]),
    ).add_to(m)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in (*lots["features"], *centres["features"])]
    if geoms:
        west, south, east, north = shapely.total_bounds(geoms).tolist()
        m.add_child(_fit_on_load_class()([[south, west], [north, east]]))
    doc = m.get_root().render()
    assets = {"js": f"<script>{js}</script>", "css": f"<style>{css}</style>"}
    doc = _ASSET_TAG.sub(lambda mt: assets[mt.group(1) or mt.group(2)], doc)
    leftover = re.search(r'<script[^>]+src=|<link[^>]+href=', doc)
    if leftover:
        raise RuntimeError(f"the folium map still loads an asset: {doc[leftover.start():leftover.start() + 120]}")
    return doc


# ---------------------------------------------------------------------------------------- report


def report_html(pack: BoardPack, interactive: bool = True) -> str:
    """The briefing report as one self-contained HTML document (see the module docstring).

    Order: title, date, dataset and scenario; headline figures against the baseline; the static
    map (and, if ``interactive``, the folium map, hidden in print); the lot table; the budget
    waterfall and the reach chart; rule breaches; consultation notes; formulas and settings;
    dataset notes and attribution."""
    if pack.ev is None:
        raise ValueError("the board pack has no evaluation to draw the map from")
    ev = pack.ev
    lots, centres = lotgeo.lot_areas(ev), lotgeo.centres_points(ev)
    colours = palette.group_colours(list(pack.lots["Group"]))
    is_lot = pack.lots["Open centres"] > 0
    lot_rows = pack.lots[is_lot]
    t = pack.totals
    static_map = lot_map(lots, centres, colours, title=f"Map of the {len(lots['features'])} lots")
    legend = "".join(f"<li>{_swatch(colours, g)}<strong>{_e(g)}</strong></li>"
                     for g in (f["properties"]["group"] for f in lots["features"]))
    min_reach = ev.scenario.rules.min_reach
    rows = [(g, float(r), int(n), colours.get(g, palette.CLOSED_COLOUR)) for g, r, n in zip(
        lot_rows["Group"], lot_rows["Reach (children)"], lot_rows["Open centres"], strict=True)]
    peak = max([*(r / n for _, r, n, _ in rows), min_reach or 0, 1.0])
    width = reach_label_width(rows)
    reach = "".join(f'<figure class="reach">{reach_bars(rows[i:i + REACH_ROWS], min_reach, peak, width)}</figure>'
                    for i in range(0, len(rows), REACH_ROWS))
    chart = waterfall(t["baseline_total"], pack.waterfall, t["budget_total"], t["envelope"])
    attribution = _e(pack.attribution, None)
    live = ""
    if interactive:
        doc = interactive_map(lots, centres, colours)
        live = (f'<div class="interactive"><h3>Explore the map</h3><p class="small">Zoom and pan; point at a lot '
                f"or a centre for its figures. This map is left out of the printed paper.</p>"
                f'<iframe title="Interactive map of the lots" sandbox="allow-scripts" '
                f'srcdoc="{html.escape(doc, quote=True)}"></iframe></div>')
    missing = lots.get("missing_areas", 0)
    missing_note = (f'<p class="small">{missing:,} areas have no boundary polygon and are not drawn.</p>'
                    if missing else "")
    notes = (f'<p class="scenario-notes">{_e(pack.scenario_notes, None)}</p>' if pack.scenario_notes else "")
    dataset_notes = "".join(f"<p>{_e(n, None)}</p>" for n in pack.dataset_notes)
    reach_note = "Children aged 0-4 in each lot's reach areas, divided by its open centres. " + (
        f"The dashed line is the minimum reach rule ({min_reach:,.0f} children a centre)." if min_reach is not None
        else "The minimum reach rule is off.")
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(pack.title)}: {_e(pack.scenario)}</title>
<style>{CSS}</style></head>
<body><main class="paper">
<header id="title"><p class="kicker">Board briefing</p><h1>{_e(pack.title)}</h1>
<p class="meta">{_when(pack)} &middot; Dataset: <strong>{_e(pack.dataset)}</strong> &middot;
Scenario: <strong class="running">{_e(pack.scenario)}</strong></p>{notes}</header>
<section id="totals"><h2>Headline figures</h2>
<p class="small">This scenario, with its change against the baseline (every centre open and its own lot).</p>
{_cards(pack, ev.scenario.deprivation.threshold)}
<ul class="lines"><li>{_e(pack.route_text)}</li><li>{_e(pack.lead_text)}</li>
<li>Budget: {_e(pack.gap_text)}.</li></ul>
<h3>Contracts by procurement route</h3>{_by_route(pack)}</section>
<section id="map"><h2>The lots on the map</h2>
<figure class="static-map">{static_map}
<ul class="legend lots-legend">{legend}</ul>
<ul class="legend legend-symbols"><li>{legend_symbol("open")}open centre</li>
<li>{legend_symbol("closed")}closed or merged centre</li><li>each colour is one lot; its label names it</li></ul>
<figcaption>Each lot is the area its open centres serve (each area goes to its nearest open centre). Centre
points are postcode centroids. {attribution}</figcaption></figure>{missing_note}{live}</section>
<section id="lots"><h2>Lots ({len(lot_rows)})</h2>{_lot_table(pack, colours)}</section>
<section id="budget"><h2>Budget: from the baseline to this scenario</h2>
<figure class="waterfall">{chart}<figcaption>Bars: the baseline total, each change (green saves, red costs
more) and the scenario total; the dashed line is the envelope ({_e(money(t["envelope"]))}).</figcaption></figure>
<h3>Reach per open centre</h3>
<p class="small">{reach_note}</p>{reach}</section>
<section id="rules"><h2>Rule breaches</h2>{_breaches(pack)}</section>
<section id="notes"><h2>Consultation notes</h2>{_notes(pack.notes)}</section>
<section id="formulas"><h2>How the figures are worked out</h2>{_formulas(pack)}</section>
<section id="data"><h2>Data and attribution</h2>{dataset_notes}<p>{attribution}</p></section>
</main></body></html>
"""


def offline_fetcher() -> URLFetcher:
    """A WeasyPrint URL fetcher that refuses every URL but data: (no file, no network)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), timeout=1)


def report_pdf(pack: BoardPack) -> bytes:
    """The report as an A4 PDF (WeasyPrint, offline), without the interactive map."""
    import weasyprint

    return weasyprint.HTML(string=report_html(pack, interactive=False), url_fetcher=offline_fetcher()).write_pdf()
