"""Draggable Leaflet map of children's centres, as a Streamlit ``components.v2`` component.

The browser side (``centre_map.js`` / ``centre_map.css`` beside this file) imports
Leaflet 1.9.4 from the app's own static files (``static/vendor/leaflet``), so the map
works offline. It needs ``server.enableStaticServing = true`` and a ``static/`` folder
beside the main script (both true for this project).

What the user can do, and what comes back to Python
---------------------------------------------------
Each interaction is sent as a *trigger value*: it is present for the one script run
that it causes (and in the ``on_<name>_change`` callback before that run), then it
reads ``None`` again. Read it inside the callback, from
``st.session_state[key].<name>``:

``move``
    Drag a centre and drop it on another open centre (within ~30 px) -> that centre's
    group; on a group's label badge -> that group; anywhere else on the map -> a new
    group. Dragging one of several selected centres moves all of them. The popup's
    "Move to" list does the same from the keyboard (Tab to a marker, Enter).
    ``{"centre_ids": [id, ...], "group": "<group>" | "__new__", "seq": int, "t": ms}``
``action``
    Popup buttons. ``{"kind": "close" | "reopen" | "merge", "centre_id": id,
    "target": id | None, "seq": int, "t": ms}`` (``target`` is the centre merged into).
``select``
    Shift+drag a box (or shift+click a centre) to select; click the empty map or press
    Esc to clear. ``{"centre_ids": [id, ...], "seq": int, "t": ms}``.

``seq`` strictly increases within a browser tab (it starts from the clock, so it keeps
increasing when the map is mounted again); ``t`` is the browser's ``Date.now()``.

Example
-------
>>> def on_move():
...     ev = st.session_state["map"].move  # None unless a move caused this run
...     if ev:
...         apply_move(ev["centre_ids"], ev["group"])  # "__new__" -> allocate a group
>>> centre_map(centres=..., groups=..., area_style=..., legend=..., key="map",
...            boundaries_url="/app/static/boundaries/norfolk_lsoa.geojson",
...            highlight_group=None, fit_bounds=None,
...            on_move=on_move, on_action=on_action, on_select=on_select)

Readable when crowded
---------------------
After every render and zoom the browser measures the labels (each marker's pin with its group
label, the group badges and, from zoom 13, centre names written under the markers) and shows them
in priority order, each only where it touches none already shown: selected, pending and highlighted
first, then group badges, then markers of groups without a badge, then members of badged groups,
closed/merged last (ties: larger reach). A marker whose label gives way is drawn as a dot of its
colour: still draggable, still a drop target, its label back on hover and keyboard focus and in its
tooltip. A badge that gives way is hidden but stays a drop target (shown again while dragging).
Zoomed in, every label shows. Only the visible pin takes the pointer.

The legend sits bottom-right behind a "Show key" / "Hide key" button; it starts collapsed on maps
shorter than 700 px (``legend_open`` overrides). The first view fits the bounds with 20 px padding at
a fractional zoom, keeping the bounds clear of the legend's corner, and refits when the map is
resized until the user pans or zooms. Leaflet focuses the map on mousedown; here it does so without
scrolling the page (Streamlit scrolls an inner element, not the window, which Leaflet does not
restore: the page used to jump and the first click on a marker was lost).

Accessibility (WCAG 2.1 AA, checked with axe-core in tests/browser/test_accessibility.py)
-----------------------------------------------------------------------------------------
The map container is ``role="application"`` with an ``aria-label`` saying how to use it
(:data:`MAP_LABEL`). Every centre marker is a focusable button (``tabindex="0"``, ``role="button"``) named
``"<centre name>, group <label>, <status>"`` (then ``selected``, ``moving to group ...``, ``breaks a rule``,
``illustrative location`` where they apply); its tooltip (reach, deprived share, details, notes) opens on
focus and is its ``aria-describedby``. Tab from the map reaches the markers; Enter or Space on a marker
does what a click does (opens its popup, whose first control takes the focus), Shift+Enter / Shift+Space
adds it to or removes it from the selection, Esc clears the selection; the focus ring shows in every
marker state. Pin labels are black or white, whichever contrasts more with the group colour (at least
4.58:1); groups, closures, flags and illustrative locations are told by text and shape as well as
colour (labels, "✕", "!", dashed rings, the legend's words). The legend is a ``role="group"`` named "Map
key"; its toggle is named by its visible words with ``aria-expanded``.

Browser-side hooks (for tests and benchmarks)
---------------------------------------------
Marker elements (``.leaflet-marker-icon``) carry ``data-centre-id``, ``data-group``
(the group in the data last received from Python), ``data-label``, ``data-status``,
``data-colour`` (the colour shown now), ``data-selected``, ``data-label-shown`` (``"1"`` when
its label shows, ``"0"`` when it is a dot), ``data-name-shown`` and, while a local move waits
for the server, ``data-pending-group``. Group badges carry ``data-group-badge`` and
``data-label-shown``. The legend (``.cm-legend``) carries ``data-open``; its button is
``[data-role="legend-toggle"]`` (with ``aria-expanded``).
The map container ``[data-testid="centre-map"]`` carries ``data-ready="1"`` once
Leaflet, markers and polygons are drawn (``"error"`` plus ``data-boundaries-error`` if the
GeoJSON could not be fetched; a notice is shown and the centres are still drawn),
``data-areas`` (polygons drawn), ``data-zoom``, ``data-center``, ``data-fit-zoom`` (the zoom of the
last fit), ``data-render-count``, ``data-boundary-fetches``, ``data-selected``,
``data-declutter-count`` / ``data-declutter-zoom`` (label layouts done, and the zoom of the last),
``data-labels-hidden`` / ``data-names-shown`` (counts from the last layout) and, after a drop,
``data-last-drop-ms`` / ``data-last-recolour-ms`` / ``data-last-paint-ms`` (``performance.now()``
at drop, after the local recolour, and at the next animation frame),
``data-last-recolour-delay-ms`` / ``data-last-paint-delay-ms`` (the differences), and
``data-last-confirm-ms`` / ``data-last-round-trip-ms`` (when Python's answer was drawn).
``data-leaflet-load-ms`` / ``data-init-ms`` time the first start-up. The component
renders in a shadow root; Playwright CSS locators pierce it. For scripted checks the
Leaflet map is ``container.parentElement.__cm.map``.

``centre_map.js`` and ``centre_map.css`` are read when this module is imported: restart
Streamlit after editing them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

__all__ = ["MAP_LABEL", "NEW_GROUP", "centre_map"]

NEW_GROUP = "__new__"
"""The ``group`` of a ``move`` that was dropped on empty map: the app allocates a new group."""

_HERE = Path(__file__).resolve().parent
_JS = (_HERE / "centre_map.js").read_text(encoding="utf-8")
_CSS = (_HERE / "centre_map.css").read_text(encoding="utf-8")
MAP_LABEL = ("Map of children's centres. Tab to a centre; Enter or Space opens its details and actions, "
             "Shift+Enter selects it; arrow keys pan, plus and minus zoom.")
"""The map container's accessible name (``aria-label``; the browser says "read-only" on a read-only map)."""
_HTML = (
    '<div class="cm-root">'
    '<div class="cm-map" data-testid="centre-map" data-ready="0" role="application" '
    f'aria-label="{html.escape(MAP_LABEL, quote=True)}"></div>'
    "</div>"
)

_mount = st.components.v2.component("centre_map", html=_HTML, css=_CSS, js=_JS)

_STATUSES = ("open", "closed", "merged")


def _num(value: Any) -> float | None:
    """A finite float, or None (NaN/inf would break the browser's JSON parser)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _centre(c: Mapping[str, Any]) -> dict[str, Any]:
    status = str(c.get("status") or "open")
    reach = _num(c.get("reach"))
    return {
        "id": str(c["id"]),
        "name": str(c.get("name") or c["id"]),
        "group": str(c.get("group") if c.get("group") is not None else ""),
        "label": str(c.get("label") if c.get("label") is not None else c.get("group", "")),
        "colour": str(c.get("colour") or "#9e9e9e"),
        "lat": _num(c.get("lat")),
        "lon": _num(c.get("lon")),
        "status": status if status in _STATUSES else "open",
        "illustrative": bool(c.get("illustrative") or False),
        "reach": None if reach is None else round(reach),
        "deprived_share": _num(c.get("deprived_share")),
        "notes": [str(n) for n in (c.get("notes") or [])][:3],
        "flag": str(c.get("flag") or ""),
        "details": [str(d) for d in (c.get("details") or [])][:3],
    }


def _group(g: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "label": str(g["label"]),
        "colour": str(g.get("colour") or "#9e9e9e"),
        "lat": _num(g.get("lat")),
        "lon": _num(g.get("lon")),
    }


def _base_path() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _prefixed(url: str | None, base: str) -> str | None:
    """Prefix a root-relative app URL with ``server.baseUrlPath`` when one is set."""
    if not url:
        return None
    if base and url.startswith("/") and not url.startswith(base + "/"):
        return base + url
    return url


def centre_map(
    *,
    centres: list[dict],
    groups: list[dict],
    area_style: dict[str, str],
    legend: list[dict],
    boundaries_url: str,
    highlight_group: str | None,
    fit_bounds: list[list[float]] | None,
    tiles: bool = False,
    key: str,
    on_move: Callable[[], None] | None,
    on_action: Callable[[], None] | None,
    on_select: Callable[[], None] | None,
    height: int = 640,
    attribution: str | None = None,
    readonly: bool = False,
    legend_open: bool | None = None,
    live_figures: dict | None = None,
) -> Any:
    """Draw the centre map and return the component's result.

    Parameters
    ----------
    centres
        One dict per centre: ``id``, ``name``, ``group``, ``label`` (short group label
        drawn on the marker, e.g. ``"G7"``), ``colour`` (``#rrggbb``), ``lat``, ``lon``,
        ``status`` (``"open"`` | ``"closed"`` | ``"merged"``), ``illustrative`` (bool),
        ``reach`` (int) and ``deprived_share`` (0-1), optionally ``flag`` (why the centre or its
        group breaks a rule: drawn as a red "!" and in the tooltip) and ``notes`` (up to three
        consultation-note strings about the centre's group, shown in its tooltip) and ``details``
        (up to three lines: kind, address and postcode, location quality). Names, notes and
        details may be user data: the browser only ever inserts them as text.
    groups
        ``{"label", "colour", "lat", "lon"}`` per group: where to draw the group's
        label badge (e.g. the mean of its members). Dropping a centre on a badge moves
        it to that group. Groups with fewer than two open centres get no badge (their
        marker carries the label and is the drop target).
    area_style
        ``{area_id: "#rrggbb"}`` fill per area polygon; areas not listed are pale grey.
        Only this dict (not the polygons) travels on each rerun; the browser restyles.
    legend
        ``[{"colour", "label"}]`` drawn bottom-right in large type, followed by a key
        for closed/merged, illustrative and flagged centres and for dots (labels hidden where
        centres crowd); behind a "Show key" button (see ``legend_open``).
    boundaries_url
        Root-relative URL of a GeoJSON FeatureCollection served from ``static/``, e.g.
        ``"/app/static/boundaries/norfolk_lsoa.geojson"``; features are matched to
        ``area_style`` by the property ``lsoa11cd`` (or ``area_id``). Fetched once per
        URL and kept in the browser. ``server.baseUrlPath`` is prefixed automatically.
    highlight_group
        A group ``group`` value to emphasise (bigger markers, thick outline, others
        dimmed), or None.
    fit_bounds
        ``[[south, west], [north, east]]``. Applied on the first render and whenever
        the value changes; otherwise the user's pan/zoom survives reruns. With None the
        first view fits the centres (or the boundaries). Bounds that frame most of the
        boundaries (e.g. the areas' centroids) are widened to the polygons' whole extent once
        they are loaded, so edge polygons are not cut off; smaller bounds (a focus) are kept.
    tiles
        Add OpenStreetMap tiles (needs internet). Off by default: with ``False`` the map
        makes no request outside the app's own server.
    key
        Widget key; events are read from ``st.session_state[key]``.
    on_move, on_action, on_select
        Callbacks (no arguments) run when that event arrives; pass ``lambda: None`` to
        receive an event without handling it in a callback. ``None`` means the event is
        not reported to Python at all.
    height
        Map height in pixels.
    attribution
        Optional plain-text attribution added to the map's attribution control
        (e.g. the ONS/OS notice for the boundaries).
    readonly
        A read-only view: markers cannot be dragged or box-selected and popups offer no
        actions (tooltips and popups still show the figures). No move or action is sent.
    legend_open
        Whether the legend starts open. None (default): open on maps at least 700 px tall,
        collapsed to its "Show key" button on shorter ones, so it covers no centre. Applied when
        the value changes; otherwise the user's own toggle survives reruns.
    live_figures
        The headline figures a move can change, painted at the drop before Python answers:
        ``{"now": lots, "by_lots": {"<n>": [[label, value, change | None], ...]}}`` for lot counts n
        near the current one (``ui.plan_panels.live_figures``). At a drop the browser counts the groups
        with an open centre (pending moves applied), finds the ``st.metric`` elements inside
        ``.st-key-headline_figures`` whose label is one of these figures' labels and writes that count's
        label, value and change into their text (the change only where one is shown and its sign is
        the same, so no arrow points the wrong way). When Python's answer arrives (or the move times out)
        it writes the figures for ``now`` back, so what stays on screen is always Python's. None: off.

    Returns
    -------
    streamlit.components.v2.bidi_component.ComponentResult
        A dict-like object with attributes ``move``, ``action`` and ``select`` (for the
        callbacks given); each is the event dict during the run it caused, else None.
    """
    base = _base_path()
    data = {
        "centres": [_centre(c) for c in centres],
        "groups": [_group(g) for g in groups],
        "area_style": {str(k): str(v) for k, v in (area_style or {}).items()},
        "legend": [{"colour": str(i.get("colour", "")), "label": str(i.get("label", ""))} for i in legend or []],
        "boundaries_url": _prefixed(boundaries_url, base),
        "highlight_group": None if highlight_group is None else str(highlight_group),
        "fit_bounds": _bounds(fit_bounds),
        "tiles": bool(tiles),
        "height": int(height),
        "static_base": f"{base}/app/static",
        "attribution": attribution or None,
        "readonly": bool(readonly),
        "legend_open": None if legend_open is None else bool(legend_open),
        "live_figures": _live_figures(live_figures),
    }
    return _mount(
        key=key,
        data=data,
        width="stretch",
        height=int(height) + 2,
        on_move_change=on_move,
        on_action_change=on_action,
        on_select_change=on_select,
    )


def _live_figures(live: dict | None) -> dict | None:
    """``live_figures`` as plain JSON: the current lot count and, per count, [label, value, change] strings."""
    if not live:
        return None
    by_lots = {str(int(n)): [[str(label), str(value), None if change is None else str(change)]
                             for label, value, change in rows] for n, rows in live["by_lots"].items()}
    return {"now": int(live["now"]), "by_lots": by_lots}


def _bounds(fit_bounds: Sequence[Sequence[float]] | None) -> list[list[float]] | None:
    if not fit_bounds:
        return None
    try:
        (s, w), (n, e) = fit_bounds
    except (TypeError, ValueError) as err:
        raise ValueError("fit_bounds must be [[south, west], [north, east]]") from err
    pts = [_num(s), _num(w), _num(n), _num(e)]
    if any(p is None for p in pts):
        return None
    return [[pts[0], pts[1]], [pts[2], pts[3]]]
