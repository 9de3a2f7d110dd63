"""Compare: 2-4 scenarios side by side: totals and differences, maps, charts, group tables, changed centres."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st

from lib import mapview, palette
from lib.compare import (
    MAP_PADDING_PX,
    changed_centres,
    fit_view,
    geojson_bounds,
    label_anchor,
    small_map_size,
    totals_side_by_side,
)
from lib.data import boundaries_geojson
from lib.metrics import Evaluation, evaluate
from lib.store import NotFound
from lib.text import html_text, md, plain
from ui import session, workspace

CURRENT = "__current__"

net = session.network()
workspace.ensure_examples()
store = workspace.store()
entries = workspace.visible(store.list(dataset=net.dataset.name))
labels = {CURRENT: plain(f"Current: {session.history().present.name}", 80)
          + (" (unsaved)" if workspace.is_dirty() else "")}
labels.update({e.id: plain(e.name, 80) for e in entries})
if "compare_pick" in st.session_state:  # a stale pick (deleted, or of another dataset) would break the widget
    st.session_state["compare_pick"] = [k for k in st.session_state["compare_pick"] if k in labels]

st.markdown("## Compare scenarios")
default = [CURRENT, *[e.id for e in entries if e.is_example][:1]]
picked = st.multiselect("Scenarios to compare (2 to 4)", list(labels), max_selections=4,
                        default=None if "compare_pick" in st.session_state else default,
                        format_func=labels.get, key="compare_pick")
if len(picked) < 2:
    st.info("Pick at least two scenarios.")
    st.stop()


def scenario_of(key: str):
    """The scenario to compare, or None (with a message) if it is gone or is not of this dataset."""
    if key == CURRENT:
        return session.history().present
    try:
        sc = store.get(key).scenario
    except NotFound:
        st.warning(f"{md(labels[key])} was deleted: it is left out.")
        return None
    if set(sc.group_of) != set(net.centre_ids):
        st.warning(f"{md(labels[key])} was made on other centres than the loaded {md(net.dataset.name)}: it is left "
                   "out. Open it from the Scenarios page to load its dataset.")
        return None
    return sc


kept = [(k, sc) for k in picked if (sc := scenario_of(k)) is not None]
if len(kept) < 2:
    st.info("Pick at least two scenarios of this dataset.")
    st.stop()
picked = [k for k, _ in kept]
evaluations: list[Evaluation] = [evaluate(net, sc) for _, sc in kept]

st.markdown("### Totals")
table = totals_side_by_side(evaluations)
MONEY = {"Budget total", "Saving", "Envelope gap (+ headroom)"}


def _fmt(label: str, value: float, diff: bool) -> str:
    sign = "+" if diff and value > 0 else "−" if value < 0 else ""
    v = abs(value)
    if label == "Share in deprived areas":
        return f"{sign}{v * 100:.1f} pts" if diff else f"{v:.1%}"
    if label in MONEY:
        return f"{sign}£{v / 1e6:,.2f}m"
    return f"{sign}{v:,.0f}"


shown = pd.DataFrame({col: [_fmt(label, table.iloc[r, c], c >= len(picked)) for r, label in enumerate(table.index)]
                      for c, col in enumerate(table.columns)}, index=table.index)
st.dataframe(shown, width="stretch")


def _geojson() -> str:
    """The loaded dataset's polygons, kept in this session only (keyed on the dataset's content)."""
    return session.memo("_compare_geojson", (net.fingerprint,), lambda: json.dumps(boundaries_geojson(net.dataset)))


def _box(ev: Evaluation) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the county: its polygons (whole), else its areas' centroids."""
    box = session.memo("_compare_box", (net.fingerprint,), lambda: geojson_bounds(json.loads(_geojson())))
    if box is None:
        (s, w), (n, e) = mapview.bounds(ev)
        box = (s, w, n, e)
    return box


def _rgb(hex_colour: str, alpha: int = 255) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


OPEN_DOT = [20, 20, 20, 255]
CLOSED_DOT = [150, 150, 150, 160]
MAX_GROUP_LABELS = 24  # more labels than this on a small map hide it


def small_map(ev: Evaluation, size: tuple[int, int]) -> tuple[pdk.Deck, dict[str, str]]:
    """Areas coloured by group, group labels, centres as dots (grey = closed), fitted to a map of ``size``
    px: offline (no base map); and the group colours."""
    colours = palette.group_colours(list(ev.scenario.group_of.values()))
    fill, _ = mapview.area_shading(ev, "group", colours)
    geo = json.loads(_geojson())
    for f in geo["features"]:
        f["properties"]["fill"] = _rgb(fill.get(f["properties"].get("lsoa11cd"), "#ffffff"), 200)
    markers = mapview.centre_markers(ev, colours)
    for m in markers:
        m["dot"] = OPEN_DOT if m["status"] == "open" else CLOSED_DOT
        m["radius"] = 5 if m["status"] == "open" else 3
    badges = mapview.group_badges(ev, colours)
    if len(badges) > MAX_GROUP_LABELS:
        badges = []
    box = _box(ev)
    texts = [{"text": plain(b["label"], 24), "lat": b["lat"], "lon": b["lon"], "bg": _rgb(b["colour"]),
              "fg": _rgb(b["text_colour"]), **dict(zip(("anchor", "baseline"), label_anchor(b["lat"], b["lon"], box),
                                                       strict=True))} for b in badges]
    lat, lon, zoom = fit_view(*box, *size, padding_px=MAP_PADDING_PX)
    layers = [
        pdk.Layer("GeoJsonLayer", geo, get_fill_color="properties.fill", get_line_color=[255, 255, 255],
                  line_width_min_pixels=0.3, pickable=False),
        pdk.Layer("ScatterplotLayer", markers, get_position="[lon, lat]", get_radius="radius",
                  radius_units="'pixels'", get_fill_color="dot", pickable=True),
    ]
    if texts:  # constant strings are quoted: pydeck reads a bare string as an expression
        layers.append(pdk.Layer("TextLayer", texts, get_position="[lon, lat]", get_text="text", get_size=13,
                                get_color="fg", background=True, get_background_color="bg",
                                get_border_color=[255, 255, 255, 255], get_border_width=1,
                                background_padding=[4, 2], font_weight=700,
                                font_family="'Source Sans Pro, Arial, sans-serif'",
                                get_text_anchor="anchor", get_alignment_baseline="baseline",
                                character_set="'auto'", pickable=False))
    deck = pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom),
                    map_provider=None, tooltip={"text": "{name}\n{group} · reach {reach}"})
    return deck, colours


def _swatch(colour: str, text: str, dot: bool = False) -> str:
    shape = "border-radius:50%;width:.6em;height:.6em;margin:0 .45em 0 .2em" if dot else "width:.9em;height:.9em"
    return (f'<span style="display:inline-flex;align-items:center;margin:0 1em .25em 0;white-space:nowrap">'
            f'<span style="display:inline-block;{shape};background:{colour};border:1px solid #555;'
            f'margin-right:.35em"></span>{html_text(text, 40)}</span>')


def _legend(colours: dict[str, str]) -> str:
    """The fills of one map: each group's colour (up to 24, then a count)."""
    items = [_swatch(c, g) for g in list(colours)[:24] for c in [colours[g]]]
    more = f'<span style="white-space:nowrap">… and {len(colours) - 24} more groups</span>' if len(colours) > 24 else ""
    return f'<div style="font-size:.85rem;line-height:1.4">{"".join(items)}{more}</div>'


st.markdown("### Maps (areas coloured by group)")
size = small_map_size(len(picked), _box(evaluations[0]))
maps = [small_map(ev, size) for ev in evaluations]
for col, key, ev, (deck, colours) in zip(st.columns(len(picked)), picked, evaluations, maps, strict=True):
    with col:
        t = ev.totals()
        st.markdown(f"**{md(labels[key])}**  \n{t['groups']} groups · {t['open_centres']} open · "
                    f"£{t['budget_total'] / 1e6:,.2f}m")
        st.pydeck_chart(deck, height=size[1], key=f"deck_{key}")
        st.html(_legend(colours))
st.html('<div style="font-size:.9rem;line-height:1.5">'
        + _swatch("#ffffff", "no open centre within reach")
        + _swatch("rgb(20,20,20)", "open centre", dot=True)
        + _swatch("rgb(150,150,150)", "closed centre", dot=True)
        + "</div>")
st.caption("Each area is filled with the colour of the group (lot) of the open centre that serves it; the colours "
           "are listed under each map (a colour is a group's within one map only). A label marks each group of "
           f"two or more centres, at the middle of its open centres (none when a map has over {MAX_GROUP_LABELS}). "
           "Each map shows the whole county.")

st.markdown("### Charts")
c1, c2 = st.columns(2)
with c1:
    fig = go.Figure()
    for key, ev in zip(picked, evaluations, strict=True):
        g = ev.groups_table()
        fig.add_box(y=g["reach_per_centre"], name=html_text(labels[key], 30), boxpoints="all")
    fig.add_hline(y=ev.scenario.rules.min_reach or 0, line_dash="dash", annotation_text="minimum reach")
    fig.update_layout(title="Reach per centre, by group", yaxis_title="children aged 0-4", height=420,
                      font={"size": 16}, showlegend=False)
    st.plotly_chart(fig, width="stretch", key="reach_chart")
with c2:
    fig = go.Figure()
    totals = [ev.totals() for ev in evaluations]
    fig.add_bar(x=[html_text(labels[k], 30) for k in picked], y=[t["budget_total"] / 1e6 for t in totals], name="total",
                text=[f"£{t['budget_total'] / 1e6:,.2f}m" for t in totals], textposition="outside")
    fig.add_scatter(x=[html_text(labels[k], 30) for k in picked], y=[t["envelope"] / 1e6 for t in totals],
                    mode="markers",
                    marker={"symbol": "line-ew-open", "size": 60, "color": "#b00020", "line": {"width": 4}},
                    name="envelope")
    fig.update_layout(title="Budget total against the envelope (£m)", height=420, font={"size": 16})
    st.plotly_chart(fig, width="stretch", key="budget_chart")

st.markdown("### Centres that changed group or status")
changed = changed_centres(evaluations)
changed.columns = ["centre_id", "Centre", *[f"{i}. {labels[k]}" for i, k in enumerate(picked, start=1)]]
changed["Centre"] = changed["Centre"].map(plain)
st.caption(f"{len(changed)} of {net.n_centres} centres differ (relabelled groups with the same members do not count).")
st.dataframe(changed.drop(columns="centre_id"), hide_index=True, width="stretch")

st.markdown("### Group tables")
for tab, ev in zip(st.tabs([md(labels[k], 40) for k in picked]), evaluations, strict=True):
    with tab:
        g = ev.groups_table()
        st.dataframe(pd.DataFrame({"Group": g["group"], "Centres": g["members"], "Reach": g["reach"],
                                   "Deprived share": (g["deprived_share"] * 100).round(0),
                                   "Span km": g["span_km"].round(1), "Lot value £": g["lot_value"].round(0),
                                   "Flags": g["flags"]}), hide_index=True, width="stretch")
