"""Panels of the Plan page: totals, keyboard moves, group table, list view, change log, settings."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from lib import travel
from lib.budget import money
from lib.history import History
from lib.metrics import Evaluation
from lib.text import count, md, plain
from ui import session
from ui.lots_panel import draw_lot_counts

TABS = ("Groups", "Lots", "Rules", "Suggest", "Centres (list view)", "Change log")  # below the map on the Plan page
TAB_KEY = "plan_tab"  # session state: the open tab's label (only the open tab is drawn)
FLAG_BG = "background-color: #fde0dc"
FLAG_TEXT = "color: #b00020; font-weight: 700"


HELP = {
    "lots": "Groups with at least one open centre: each is one contract. A group whose centres are all "
            "closed or merged is not a lot.",
    "open": "Centres still open. A closed centre's children go to the nearest open centre; a merged "
            "centre's to the centre it merged into.",
    "beyond": "Children aged 0-4 whose open centre is more than {x} km away in a straight line from their "
              "area (X is the distance rule on the Rules tab). It rises as centres close.",
    "further": "Children aged 0-4 whose centre is further away than in the baseline. Shade the map by "
               "'Extra travel' to see where they live; the table is under the map.",
    "deprived": "Share of the children in a reach area who live in the {pct}% most deprived areas of England "
                "(IMD 2019 decile {d} or below).",
    "weighted": "Children counted with more weight in deprived areas: each child times the weight of its "
                "area's IMD decile (by default 2.0 in decile 1 falling to 1.0 in decile 10). It sets the "
                "rate part of each lot's value.",
    "budget": "The sum of the lot values: a management cost per lot, plus each open centre's base cost (by "
              "phase) and the rate per weighted child. The change is against the baseline (every centre "
              "open and its own lot).",
    "gap": "The envelope (the baseline less the grant cut, or the amount set on the Budget page) less the "
           "budget total: 'under' leaves headroom, 'over' needs more savings.",
}


def gap_label(gap: float) -> str:
    """The envelope headline's label says the sign in words: 'Over envelope' or 'Under envelope'
    (the value is the amount, never negative)."""
    return "Over envelope" if gap < -0.5 else "Under envelope"


def _delta(value: float, money_delta: bool = False) -> str | None:
    """The change since the baseline as Streamlit reads it: None for no change (never '-0'); an ASCII
    sign first, from which Streamlit takes the arrow and the colour."""
    if abs(value) < 0.5:
        return None
    sign = "+" if value > 0 else "-"
    return sign + (money(abs(value)) if money_delta else f"{round(abs(value)):,}")


Headline = tuple[str, str, str | None, str, str]  # label, value, change, delta colour, explanation
LIVE_FIGURES = ("lots", "budget", "gap")  # the headline figures a move can change
FIGURES_KEY = "headline_figures"  # the container of the headline figures (CSS class st-key-headline_figures)


def headline_figures(ev: Evaluation, base: Evaluation, trip: travel.TravelSummary) -> dict[str, Headline]:
    """The eight headline figures by key, each with its change since the baseline and its explanation
    (``trip``: ``travel.summary(ev)``)."""
    t, b = ev.totals(), base.totals()
    d = ev.scenario.deprivation.threshold
    x = f"{trip.limit_km:g}"
    lot_figures = _lot_figures(t, b)
    return {
        "lots": lot_figures["lots"],
        "open": ("Open centres", f"{t['open_centres']:,}", _delta(t["open_centres"] - b["open_centres"]), "off",
                 HELP["open"]),
        "beyond": (f"Over {x} km away", f"{trip.children_beyond:,}",
                   _delta(trip.children_beyond - trip.children_beyond_baseline), "inverse",
                   HELP["beyond"].format(x=x)),
        "further": ("Travel further", f"{trip.children_further:,}", None, "off", HELP["further"]),
        "deprived": ("Deprived share", f"{t['deprived_share']:.1%}", None, "off",
                     HELP["deprived"].format(pct=d * 10, d=d)),
        "weighted": ("Weighted reach", f"{t['weighted_reach']:,.0f}", None, "off", HELP["weighted"]),
        "budget": lot_figures["budget"],
        "gap": lot_figures["gap"],
    }


def _lot_figures(t: dict, b: dict) -> dict[str, Headline]:
    """The headline figures a move can change (``LIVE_FIGURES``), from totals ``t`` and the baseline's ``b``."""
    return {
        "lots": ("Lots", f"{t['lots']:,}", _delta(t["lots"] - b["lots"]), "off", HELP["lots"]),
        "budget": ("Budget total", money(t["budget_total"]), _delta(t["budget_total"] - b["budget_total"], True),
                   "inverse", HELP["budget"]),
        "gap": (gap_label(t["envelope_gap"]), money(abs(t["envelope_gap"])), None, "off", HELP["gap"]),
    }


def live_figures(ev: Evaluation, base: Evaluation, fewer: int = 16, more: int = 4) -> dict:
    """What the map paints at a drop, before Python answers: for each lot count n from ``fewer`` below the
    current one to ``more`` above, the label, value and change of the figures a move can change (a move
    changes the budget only through the lot count: ``Evaluation.totals_for_lots``). The browser counts
    the groups with an open centre after the drop and looks its figures up here; Python's answer then
    replaces them. ``{"now": lots, "by_lots": {"n": [[label, value, change], ...]}}``, in ``LIVE_FIGURES`` order."""
    now, b = ev.totals()["lots"], base.totals()
    by_lots = {str(n): [list(h[:3]) for h in _lot_figures(ev.totals_for_lots(n), b).values()]
               for n in range(max(0, now - fewer), now + more + 1)}
    return {"now": now, "by_lots": by_lots}


def _metric(col, figure: Headline) -> None:
    label, value, delta, colour, explain = figure
    col.metric(label, value, delta=delta, delta_color=colour, border=True, help=explain)


def draw_headline_cards(ev: Evaluation, base: Evaluation, keys: tuple[str, ...]) -> None:
    """Big cards in one row (presentation mode): the chosen headline figures with their change."""
    figures = headline_figures(ev, base, travel.summary(ev))
    for col, key in zip(st.container(key=FIGURES_KEY).columns(len(keys)), keys, strict=True):
        _metric(col, figures[key])


def draw_totals(ev: Evaluation, base: Evaluation) -> None:
    """Eight headline figures, each explained on hover, with the change since the baseline; then the
    rule-flag summary, the travel summary and the lot counts."""
    trip = travel.summary(ev)
    items = list(headline_figures(ev, base, trip).values())
    with st.container(key=FIGURES_KEY):
        for row in range(0, len(items), 2):
            for col, figure in zip(st.columns(2), items[row:row + 2], strict=True):
                _metric(col, figure)
    draw_rule_flags(ev)
    st.caption(md(trip.describe()))
    draw_lot_counts(ev)


def draw_rule_flags(ev: Evaluation) -> None:
    """One line: how many centres, groups and areas break a rule, and the budget against the envelope;
    red when anything does (the words say so too)."""
    t = ev.totals()
    f = t["flags"]
    gap = "over the envelope" if f["over_envelope"] else "within the envelope"
    msg = (f"**Rule flags:** {count(f['centres_below_min_reach'], 'centre')} below the minimum reach · "
           f"{count(f['groups_flagged'], 'group')} flagged · "
           f"{count(f['areas_in_gaps'], 'area')} beyond the distance limit · "
           f"budget {gap} ({money(t['envelope'])}).")
    if f["centres_below_min_reach"] or f["groups_flagged"] or f["areas_in_gaps"] or f["over_envelope"]:
        st.error(msg)
    else:
        st.success(msg)


def draw_travel(ev: Evaluation) -> None:
    """Who travels further: the affected areas (children, old and new centre, extra km), most child-km first."""
    table = travel.affected_areas(ev)
    if table.empty:
        return
    trip = travel.summary(ev)
    with st.expander(f"Who travels further: {count(trip.children_further, 'child')} in "
                     f"{count(trip.areas_further, 'area')}", expanded=False):
        st.caption("Straight-line distance from each area's population-weighted centroid to its centre, against "
                   "the baseline. Shade the map by 'Extra travel' to see where.")
        st.dataframe(table.drop(columns=["Area code"]), hide_index=True, width="stretch", height=320,
                     column_config={"Children 0-4 (children)": st.column_config.NumberColumn("Children",
                                                                                              format="%,d"),
                                    "Baseline distance (km)": st.column_config.NumberColumn(format="%.1f"),
                                    "Scenario distance (km)": st.column_config.NumberColumn(format="%.1f"),
                                    "Extra distance (km)": st.column_config.NumberColumn(format="+%.1f")})


def _group_options(ev: Evaluation) -> list[str]:
    return ev.groups_table()["group"].tolist()


def _status_words(sc, cid: str, names: dict[str, str]) -> str:
    """'open', 'closed' or 'merged into <name>'."""
    if cid in sc.merged_into:
        return f"merged into {names.get(sc.merged_into[cid], sc.merged_into[cid])}"
    return "closed" if cid in sc.closed else "open"


def draw_keyboard_moves(ev: Evaluation, names: dict[str, str], apply_move: Callable[[list[str], str], None],
                        new_group: str) -> None:
    """The keyboard path: pick centre(s), pick a group; close, reopen or merge a centre."""
    sc = ev.scenario
    ids = list(sc.group_of)
    groups = _group_options(ev)
    members = ev.groups_table().set_index("group")["members"]
    with st.form("keyboard_move", border=True, clear_on_submit=True):  # the next move starts from no centre
        st.markdown("**Move centres** (keyboard)")
        picked = st.multiselect("Centre(s)", ids, default=st.session_state.pop("map_selection", None) or None,
                                format_func=lambda c: plain(f"{names[c]} ({sc.group_of[c]})"), key="kb_centres",
                                filter_mode="contains", select_all=False)
        target = st.selectbox("To group", [*groups, new_group], key="kb_group", filter_mode="contains",
                              format_func=lambda g: "➕ New group" if g == new_group
                              else plain(f"{g}: {str(members.get(g, ''))[:60]}"))
        if st.form_submit_button("Move", type="primary") and picked:
            apply_move(list(picked), target)
            st.rerun()
    with st.form("centre_status", border=True):
        st.markdown("**Close, reopen or merge a centre**")
        cid = st.selectbox("Centre", ids, key="st_centre", filter_mode="contains",
                           format_func=lambda c: plain(f"{names[c]} ({_status_words(sc, c, names)})"))
        open_ids = [c for c in ids if c not in sc.closed]
        into = st.selectbox("Merge into", open_ids, format_func=lambda c: plain(names[c]), key="st_target",
                            filter_mode="contains")
        c1, c2, c3 = st.columns(3)
        action = None
        if c1.form_submit_button("Close"):
            action = "close"
        if c2.form_submit_button("Reopen"):
            action = "reopen"
        if c3.form_submit_button("Merge"):
            action = "merge"
        if action:
            try:
                new = {"close": lambda: sc.close(cid), "reopen": lambda: sc.reopen(cid),
                       "merge": lambda: sc.merge(cid, into)}[action]()
            except (ValueError, KeyError) as exc:
                st.error(md(str(exc)))
            else:
                session.commit(new)
                st.rerun()


def draw_group_table(ev: Evaluation) -> str | None:
    """The group table, broken rules in red with their reason; returns the selected group."""
    g = ev.groups_table()
    shown = pd.DataFrame({
        "Group": g["group"], "Flags": g["flags"], "Open": g["open_centres"], "Reach": g["reach"],
        "Reach per centre": g["reach_per_centre"].round(0), "Deprived share": g["deprived_share"] * 100,
        "Weighted reach": g["weighted_reach"].round(0), "Span km": g["span_km"].round(1),
        "Lot value £": g["lot_value"].round(0), "Centres": g["members"],
    })

    def red(frame: pd.DataFrame) -> pd.DataFrame:
        """Flagged rows tinted, their Flags cell in bold red (one vectorised pass)."""
        flagged = (frame["Flags"] != "").to_numpy()[:, None]
        styles = np.where(flagged, FLAG_BG, "")
        styles = np.repeat(styles, frame.shape[1], axis=1)
        styles[:, frame.columns.get_loc("Flags")] = np.where(flagged[:, 0], FLAG_TEXT, "")
        return pd.DataFrame(styles, index=frame.index, columns=frame.columns)

    styled = shown.style.apply(red, axis=None).format({
        "Reach": "{:,}", "Reach per centre": "{:,.0f}", "Deprived share": "{:.0f}%",
        "Weighted reach": "{:,.0f}", "Span km": "{:.1f}", "Lot value £": "£{:,.0f}"})
    flagged = int((g["flags"] != "").sum())
    st.caption(f"{len(g)} groups, {flagged} flagged (red, with the reason). Select a row to highlight it on the map.")
    event = st.dataframe(styled, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key="group_table", height=min(38 + 35 * len(g), 560),
                         column_config={"Centres": st.column_config.TextColumn(width="large"),
                                        "Flags": st.column_config.TextColumn(width="large")})
    rows = event.selection.rows if event is not None else []
    return str(shown["Group"].iloc[rows[0]]) if rows else None


def draw_list_view(ev: Evaluation, names: dict[str, str], readonly: bool = False) -> None:
    """Editable list of centres (group and status), kept in sync with the map."""
    c = ev.centres_table()
    sc = ev.scenario
    new_label = sc.new_group_label()
    options = [*_group_options(ev), new_label]
    table = pd.DataFrame({"centre_id": c["centre_id"], "Centre": c["name"], "Group": c["group"],
                          "Status": c["status"], "Merged into": [names.get(t, t) for t in c["merged_into"]],
                          "Reach": c["reach"], "Flags": c["flags"]}).set_index("centre_id")
    version = st.session_state.get("list_version", 0)
    edited = st.data_editor(
        table, key=f"list_view_{version}", width="stretch", height=min(38 + 35 * len(table), 600),
        disabled=True if readonly else ["Centre", "Merged into", "Reach", "Flags"], hide_index=True,
        column_config={"Group": st.column_config.SelectboxColumn(options=options, required=True),
                       "Status": st.column_config.SelectboxColumn(options=["open", "closed", "merged"],
                                                                  required=True),
                       "Flags": st.column_config.TextColumn(width="large")})
    st.caption(f"Change a centre's group (choose {new_label} to start a new group) or its status (open or closed; "
               "to merge a centre, use 'Close, reopen or merge a centre': a merge needs the centre it goes to).")
    new = sc
    for cid in table.index[(edited["Group"] != table["Group"]).to_numpy()]:
        new = new.move([cid], str(edited.at[cid, "Group"]))
    for cid in table.index[(edited["Status"] != table["Status"]).to_numpy()]:
        status = edited.at[cid, "Status"]
        if status == "merged":
            st.warning(f"{md(names[cid])}: to merge a centre, choose the centre it merges into in 'Close, reopen "
                       "or merge a centre'.")
            continue
        new = new.close(cid) if status == "closed" else new.reopen(cid)
    if new != sc:
        session.commit(new)
        st.session_state["list_version"] = version + 1
        st.rerun()


def draw_change_log(hist: History) -> None:
    if not hist.log:
        st.caption("No changes yet: this is the baseline (every centre its own lot).")
        return
    st.markdown("\n".join(f"{i}. {md(line)}" for i, line in enumerate(hist.log, start=1)))
