"""Plan: regroup centres on the map (drag, lasso, keyboard or list) and see the figures live."""

from __future__ import annotations

import streamlit as st

from lib import mapview, palette
from lib.export import safe_frame
from lib.metrics import Evaluation, evaluate
from lib.text import md
from ui import presentation, session, workspace
from ui.colours import group_colours
from ui.lots_panel import draw_lots_panel
from ui.pack_downloads import XLSX, board_pack
from ui.plan_panels import (
    TAB_KEY,
    TABS,
    draw_change_log,
    draw_group_table,
    draw_headline_cards,
    draw_keyboard_moves,
    draw_list_view,
    draw_rule_flags,
    draw_totals,
    draw_travel,
    live_figures,
)
from ui.rules_panel import FOCUS, clear_focus, draw_rules_panel
from ui.suggest_panel import draw_suggest_panel, draw_suggestion_bar

MAP_KEY = "plan_map"
MAP_HEIGHT = 560  # the whole map on a 1280x720 projector below the title and toolbar
PRESENT_MAP_HEIGHT = 430  # presenting at 1280x720: title, bar, districts and cards above, the flags line below
PRESENT_CARDS = ("lots", "open", "budget", "gap")
COUNTY = "Whole county"
TILES_KEY = "tiles"
NEW_GROUP = "__new__"

PAGE_DRAWN = "_plan_page_drawn"  # whether the whole page (app.py's styles) was last drawn presenting


def _apply_move(centre_ids: list[str], group: str) -> None:
    sc = session.history().present
    ids = [c for c in centre_ids if c in sc.group_of]
    if not ids:
        return
    target = sc.new_group_label() if group == NEW_GROUP else group
    session.commit(sc.move(ids, target))


def _on_map_move() -> None:
    event = getattr(st.session_state[MAP_KEY], "move", None)
    if not event or event.get("seq") == st.session_state.get("map_move_seq"):
        return
    st.session_state["map_move_seq"] = event.get("seq")
    _apply_move(list(event.get("centre_ids", [])), str(event.get("group", "")))


def _on_map_action() -> None:
    event = getattr(st.session_state[MAP_KEY], "action", None)
    if not event or event.get("seq") == st.session_state.get("map_action_seq"):
        return
    st.session_state["map_action_seq"] = event.get("seq")
    sc = session.history().present
    cid, kind, target = event.get("centre_id"), event.get("kind"), event.get("target")
    if cid not in sc.group_of:
        return
    try:
        if kind == "close":
            session.commit(sc.close(cid))
        elif kind == "reopen":
            session.commit(sc.reopen(cid))
        elif kind == "merge" and target:
            session.commit(sc.merge(cid, target))
    except (ValueError, KeyError) as exc:
        st.session_state["plan_error"] = str(exc)


def _on_map_select() -> None:
    event = getattr(st.session_state[MAP_KEY], "select", None)
    if event is not None:
        st.session_state["map_selection"] = list(event.get("centre_ids", []))


def _undo() -> None:
    session.set_history(session.history().undo())


def _redo() -> None:
    session.set_history(session.history().redo())


def _reset() -> None:
    session.set_history(session.history().reset(session.names(session.network())))


# --- header, toolbar, map and figures: one fragment ------------------------------------------------
def _status(hist, readonly: bool) -> str:
    """'read-only', 'edited, unsaved', 'saved, version N' or '' (a fresh baseline)."""
    info = workspace.loaded()
    if readonly:
        return "read-only"
    if workspace.is_dirty() or (hist.present != hist.baseline and not info):
        return "edited, unsaved"
    return f"saved, version {info.version}" if info else ""


def _header(ev, net, hist, readonly: bool) -> None:
    status = _status(hist, readonly)
    if presentation.on():  # one line: the room needs the map
        st.markdown(f"### {md(ev.scenario.name)} :gray[· {md(net.dataset.name)}, {net.n_centres} centres"
                    + (f" · {status}" if status else "") + "]")
        workspace.show_message()
        return
    st.markdown(f"### Plan · {md(ev.scenario.name)}" + (f" ({status})" if status else "")
                + f"  \n:gray[{md(net.dataset.name)}: {len(net.dataset.areas):,} areas, {net.n_centres} centres"
                + (" · unsaved changes are kept as a draft in this browser" if status == "edited, unsaved" else "")
                + "]")
    workspace.show_message()


def _undo_redo(cols, hist, readonly: bool) -> None:
    cols[0].button("↶ Undo", on_click=_undo, disabled=readonly or not hist.can_undo, width="stretch", key="undo")
    cols[1].button("↷ Redo", on_click=_redo, disabled=readonly or not hist.can_redo, width="stretch", key="redo")


def _shading_control(col) -> str:
    return col.segmented_control("Shade areas by", mapview.SHADINGS, default="group", key="shading",
                                 format_func=mapview.SHADING_LABELS.get, label_visibility="collapsed") or "group"


def _toolbar(hist, readonly: bool) -> tuple[str, bool, None]:
    """Undo, redo, reset, the shading, presentation mode; returns (shading, tiles, no zoom). The map tiles
    switch sits under the map (:func:`_tiles_switch`): at 1280 px the four shadings need the room."""
    bar = st.columns([1, 1, 1.6, 4.4, 1.4])
    _undo_redo(bar, hist, readonly)
    bar[2].button("⟲ Reset to baseline", on_click=_reset, width="stretch", key="reset",
                  disabled=readonly or (hist.present.group_of == hist.baseline.group_of and not hist.present.closed))
    shading = _shading_control(bar[3])
    bar[4].button("Present", icon=":material/slideshow:", key="present_on", on_click=presentation.switch,
                  args=(True,), width="stretch",
                  help="Presentation mode for a projector: large type, the map full width, big headline cards. "
                       "The address gets ?present=1, so a link opens the same way.")
    return shading, bool(st.session_state.get(TILES_KEY, False)), None


def _tiles_switch() -> None:
    st.toggle("Map tiles", value=False, key=TILES_KEY,
              help="Optional background map from OpenStreetMap; needs internet. Off by default.")


def _presentation_bar(hist, readonly: bool, net) -> tuple[str, bool, list[list[float]] | None]:
    """Presenting: undo/redo, the shading, leave; then 'zoom to district'. Returns (shading, no tiles, bounds)."""
    bar = st.columns([1, 1, 4, 1.6])
    _undo_redo(bar, hist, readonly)
    shading = _shading_control(bar[2])
    bar[3].button("Leave presentation", icon=":material/close:", key="present_off", on_click=presentation.switch,
                  args=(False,), width="stretch")
    districts = mapview.district_bounds(net.dataset.areas)
    if not districts:
        return shading, False, None
    zoom = st.segmented_control("Zoom to district", [COUNTY, *districts], default=COUNTY, key=presentation.ZOOM,
                                label_visibility="collapsed", help="Zoom the map to a district, or show the county")
    return shading, False, districts.get(zoom or COUNTY)


def _draw_map(ev, shown, suggested, shading: str, tiles: bool, readonly: bool, height: int,
              zoom: list[list[float]] | None = None) -> None:
    """The centre map (drag, lasso, close/merge) with its area shading, and how to use it."""
    net = ev.net
    colours = group_colours(ev)
    focus = st.session_state.get(FOCUS) if suggested is None else None
    if suggested is not None:
        colours = palette.stable_group_colours(list(suggested.group_of.values()), colours)
        area_style, legend = mapview.suggestion_shading(shown, ev.scenario, colours)
    else:
        area_style, legend = mapview.area_shading(ev, shading, colours)
    if focus:
        area_style = {**area_style, **focus["areas"]}
        st.caption(f"Showing a breach: {focus['scope']} **{md(focus['subject'])}**.")
        st.button("Clear the highlight", key="clear_focus_top", on_click=clear_focus)
    try:
        from components.centre_map import centre_map
    except ImportError:  # the component ships in components/; without it the keyboard path still works
        centre_map = None
    if centre_map is not None:
        centre_map(
            centres=mapview.centre_markers(shown, colours, workspace.group_notes()),
            groups=mapview.group_badges(shown, colours),
            attribution="Boundaries: ONS; centres: DfE (OGL v3.0); contains OS data © Crown copyright 2025",
            area_style=area_style, legend=legend, boundaries_url=session.boundaries_url(net),
            highlight_group=focus["group"] if focus else st.session_state.get("selected_group"),
            fit_bounds=focus["bounds"] if focus else zoom or mapview.bounds(ev), tiles=tiles,
            key=MAP_KEY, on_move=_on_map_move, on_action=_on_map_action, on_select=_on_map_select,
            height=height, readonly=readonly or suggested is not None,
            live_figures=None if readonly or suggested is not None else live_figures(ev, session.baseline_evaluation()),
        )
    st.caption("Drag a centre onto another centre or a group label to move it; drop on empty map for a new group; "
               "shift-drag to select several. Centre locations: " + mapview.location_summary(net.dataset.centres)
               + " (dashed marks are illustrative).")


def _page_is_stale() -> bool:
    """True after a fragment-only run switched presentation mode on or off: its styles are set by app.py."""
    return st.session_state.get(PAGE_DRAWN) != presentation.on()


@st.fragment
def plan_page() -> None:
    """Everything the Plan page draws. A move reruns this fragment alone, never app.py and the page
    around it (nothing there depends on the plan); the browser has painted the figures a move changes
    at the drop already (``live_figures``)."""
    workbench()
    if not presentation.on():  # presenting: the map and the figures only
        draw_tabs()
    if _page_is_stale():
        st.rerun(scope="app")  # presentation on or off: app.py's styles too


def workbench() -> None:
    """Title, toolbar, map and headline figures."""
    net = session.network()
    hist = session.history()
    ev = session.evaluation()
    base = session.baseline_evaluation()
    names = session.names(net)
    readonly = workspace.view_only()
    _header(ev, net, hist, readonly)
    presenting = presentation.on()
    shading, tiles, zoom = _presentation_bar(hist, readonly, net) if presenting else _toolbar(hist, readonly)
    if error := st.session_state.pop("plan_error", None):
        st.error(md(error, limit=None))
    if presenting:
        draw_headline_cards(ev, base, PRESENT_CARDS)
        _draw_map(ev, ev, None, shading, tiles, readonly, PRESENT_MAP_HEIGHT, zoom)
        draw_rule_flags(ev)
    else:
        suggested = None if readonly else draw_suggestion_bar(ev, names)
        shown = ev if suggested is None else session.memo(
            "_suggestion_evaluation", (net.fingerprint, suggested),
            lambda: evaluate(net, suggested, ev.baseline_total))
        left, right = st.columns([3, 2], gap="medium")
        with right:  # the figures first: they reach the browser before the map's data
            draw_totals(ev, base)
        with left:
            _draw_map(ev, shown, suggested, shading, tiles, readonly, MAP_HEIGHT)
            _tiles_switch()
            draw_travel(ev)
        with right:
            if readonly:
                st.info("Read-only view: the figures and map are live, editing is switched off.")
            else:
                draw_keyboard_moves(ev, names, _apply_move, NEW_GROUP)


def draw_tabs() -> None:
    """Groups, lots, rules, suggestions, the list view and the change log, below the map. Only the open
    tab is drawn (opening another reruns the page): a move redraws one tab, not six."""
    ev = session.evaluation()
    base = session.baseline_evaluation()
    names = session.names(session.network())
    readonly = workspace.view_only()
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    panels = (lambda: _draw_groups_tab(ev, base), lambda: draw_lots_panel(ev, readonly),
              lambda: draw_rules_panel(ev, readonly), lambda: draw_suggest_panel(ev, names, readonly),
              lambda: draw_list_view(ev, names, readonly), lambda: draw_change_log(session.history()))
    for tab, draw in zip(tabs, panels, strict=True):
        if tab.open:
            with tab:
                draw()


def _draw_groups_tab(ev: Evaluation, base: Evaluation) -> None:
    """The group table (a picked row highlights its group on the map) and the two downloads."""
    picked = draw_group_table(ev)
    d1, d2, _ = st.columns([1, 1, 3])

    def _workbook() -> bytes:
        from lib.workbook import board_workbook

        return board_workbook(board_pack(ev, base))

    # callables: the files are built only when clicked, not on every rerun (the whole pack: Budget page)
    d1.download_button("Download Excel workbook", _workbook, file_name="centre-planner-board-pack.xlsx",
                       key="download_briefing", mime=XLSX)
    d2.download_button("Download groups CSV", lambda: safe_frame(ev.groups_table()).to_csv(index=False),
                       file_name="groups.csv", mime="text/csv", key="download_groups")
    if picked != st.session_state.get("selected_group"):
        st.session_state["selected_group"] = picked
        st.rerun()


st.session_state[PAGE_DRAWN] = presentation.on()
presentation.keep_address()
plan_page()
