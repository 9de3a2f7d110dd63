"""The Suggest panel of the Plan page: suggested lots, reach areas and regions (lib.optimise), run in a
background thread with a progress bar and a cancel button so the page stays responsive.

A suggested grouping is shown next to the current scenario (on the map and as a table of the centres
that change lot) until the officer accepts it (it becomes the current scenario, undoable) or discards it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from lib.metrics import Evaluation
from lib.scenario import Scenario
from lib.text import count, md, plain
from ui import session

JOB = "suggest_job"
SUGGESTION = "suggestion"
POLL_S = 0.5


@dataclass
class Job:
    """A running optimiser: the thread writes ``progress``, ``result`` or ``error``; the page reads them.
    Nothing in the thread touches Streamlit."""

    kind: str
    label: str
    started: float = field(default_factory=time.monotonic)
    progress: float = 0.0
    cancelled: bool = False
    result: Any = None
    error: str | None = None
    done: bool = False

    def report(self, fraction: float) -> bool:
        """The optimiser's progress callback: returns False once the officer has pressed Cancel."""
        self.progress = max(self.progress, min(float(fraction), 1.0))
        return not self.cancelled

    def run(self, model: Any) -> None:
        try:
            self.result = model.solve()
        except Exception as exc:  # shown on the page, never a traceback
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.done = True


def start(kind: str, label: str, build) -> None:
    """Start ``build(progress) -> model`` in a daemon thread (one job at a time per session)."""
    job = Job(kind=kind, label=label)
    st.session_state[JOB] = job
    threading.Thread(target=job.run, args=(build(job.report),), daemon=True, name=f"suggest-{kind}").start()


def running() -> Job | None:
    job = st.session_state.get(JOB)
    return job if job is not None and not job.done else None


def draw_suggest_panel(ev: Evaluation, names: dict[str, str], readonly: bool = False) -> None:
    if readonly:
        st.info("Read-only view: suggestions are for whoever holds the editing link.")
        return
    job = st.session_state.get(JOB)
    if job is not None and (not job.done or st.session_state.get("_suggest_seen") is not job):
        _progress()  # polls twice a second, so only while a job runs or has an answer not yet shown
    if running() is None:
        _finish(ev)
    st.markdown("**Suggest lots** from the current scenario: locked centres and locked lots stay exactly as they "
                "are; every other open centre is grouped to meet the rules, with the least total span and travel.")
    _groups_form(ev, names)
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Suggest reach areas** for the open centres: contiguous areas, each reaching at least the "
                    "minimum where the geography allows.")
        if st.button("Suggest reach areas", key="suggest_areas", disabled=running() is not None):
            from lib.optimise.areas import AreaModel

            start("areas", "reach areas", lambda p: AreaModel(ev, min_reach=ev.scenario.rules.min_reach or 600,
                                                              progress=p))
            st.rerun()
    with c2:
        st.markdown("**How many centres can the county sustain?** The most contiguous regions of at least the "
                    "minimum reach, each with a suggested site.")
        if st.button("Count sustainable centres", key="suggest_regions", disabled=running() is not None):
            from lib.optimise.regions import RegionModel

            start("regions", "regions", lambda p: RegionModel(ev, min_reach=ev.scenario.rules.min_reach or 600,
                                                              progress=p))
            st.rerun()
    _show_last_answers(ev)


def _groups_form(ev: Evaluation, names: dict[str, str]) -> None:
    sc = ev.scenario
    r = sc.rules
    open_ids = [c for c in sc.group_of if c not in sc.closed]
    groups = ev.groups_table()
    lot_labels = groups[groups["open_centres"] > 0]["group"].tolist()
    with st.form("suggest_groups", border=True):
        c1, c2, c3, c4 = st.columns(4)
        min_size = c1.number_input("Lot size: at least (open centres)", 1, 20, int(r.group_min or 2) if
                                   (r.group_min or 0) > 1 else 2, key="sg_min")
        max_size = c2.number_input("Lot size: at most", 1, 50, int(r.group_max or 4), key="sg_max")
        n_lots = c3.number_input("Exactly this many lots (0: any)", 0, len(open_ids), 0, key="sg_lots")
        seed = c4.number_input("Seed", 0, 10_000, 0, key="sg_seed",
                               help="The same seed gives the same suggestion; another seed may find another.")
        c1, c2, c3 = st.columns(3)
        min_reach = c1.number_input("Lot reach: at least (children)", 0, 100_000, int(r.min_reach or 600) * 2, 100,
                                    key="sg_reach", help="Children in all the lot's reach areas together. "
                                    "The starting value is the minimum reach per centre × 2 centres; 0: no minimum.")
        max_span = c2.number_input("Lot span: at most (km)", 0.0, 500.0, float(r.max_span_km or 40.0), 5.0,
                                   key="sg_span", format="%.0f", help="0: no limit.")
        mixed = c3.checkbox("Each lot mixes phases", r.mixed_phases, key="sg_mixed")
        within = c3.checkbox("Keep lots within districts", False, key="sg_districts")
        lock_c = st.multiselect("Locked centres (keep their lot)", open_ids, key="sg_lock_centres",
                                format_func=lambda c: plain(f"{names[c]} ({sc.group_of[c]})"), filter_mode="contains")
        lock_g = st.multiselect("Locked lots (kept exactly as they are)", lot_labels, key="sg_lock_groups",
                                filter_mode="contains")
        go = st.form_submit_button("Suggest lots", type="primary", disabled=running() is not None)
    if go:
        if min_size > max_size:
            st.error("The smallest lot size is larger than the largest.")
            return
        from lib.optimise.groups import GroupModel

        start("groups", "lots", lambda p: GroupModel(
            ev, min_size=int(min_size), max_size=int(max_size), n_lots=int(n_lots) or None,
            min_reach=float(min_reach), max_span_km=float(max_span) if max_span > 0 else float("inf"),
            locked_centres=lock_c,
            locked_groups=lock_g, mixed_phases=mixed, within_districts=within, seed=int(seed), progress=p))
        st.rerun()


@st.fragment(run_every=POLL_S)
def _progress() -> None:
    """While a job runs: its progress and a Cancel button (this fragment alone reruns, twice a second)."""
    job = st.session_state.get(JOB)
    if job is None:
        return
    if job.done:
        if st.session_state.get("_suggest_seen") is not job:
            st.session_state["_suggest_seen"] = job
            st.rerun(scope="app")  # the whole page shows the answer
        return
    elapsed = time.monotonic() - job.started
    st.progress(job.progress, text=f"Suggesting {job.label}… {job.progress:.0%} ({elapsed:.0f} s)")
    if st.button("Cancel", key="suggest_cancel"):
        job.cancelled = True
        st.toast("Stopping: the best suggestion found so far will be shown.")


def _finish(ev: Evaluation) -> None:
    """Turn a finished job into what the page shows (once)."""
    job = st.session_state.pop(JOB, None)
    if job is None:
        return
    if job.error:
        st.error(f"The suggestion failed ({md(job.error)}). Nothing was changed.")
        return
    model = job.result
    if job.kind == "groups":
        suggested = _as_scenario(ev.scenario, model.groups_)
        st.session_state[SUGGESTION] = {"scenario": suggested, "base": ev.scenario,
                                        "broken": list(model.broken_rules_), "cancelled": job.cancelled,
                                        "seconds": getattr(model, "seconds_", None)}
    else:
        st.session_state[f"suggest_result_{job.kind}"] = {"model": model, "cancelled": job.cancelled,
                                                   "fingerprint": ev.net.fingerprint}


def _as_scenario(sc: Scenario, groups: dict[str, str]) -> Scenario:
    """``sc`` with the suggested lot of every centre (same name, settings and closures)."""
    from dataclasses import replace

    mapping = {c: str(groups.get(c, g)) for c, g in sc.group_of.items()}
    used = set(mapping.values())
    return replace(sc, group_of=mapping, lots={g: lot for g, lot in sc.lots.items() if g in used})


def pending(ev: Evaluation) -> dict | None:
    """The suggestion waiting for accept or discard, if it was made from the current scenario."""
    s = st.session_state.get(SUGGESTION)
    if s is None:
        return None
    if s["base"] != ev.scenario:
        st.session_state.pop(SUGGESTION, None)
        return None
    return s


def changes(s: dict, names: dict[str, str]) -> pd.DataFrame:
    base, new = s["base"], s["scenario"]
    moved = [c for c in base.group_of if base.group_of[c] != new.group_of[c]]
    return pd.DataFrame({"Centre": [names[c] for c in moved], "Now in": [base.group_of[c] for c in moved],
                         "Suggested lot": [new.group_of[c] for c in moved]})


def draw_suggestion_bar(ev: Evaluation, names: dict[str, str]) -> Scenario | None:
    """Above the map while a suggestion waits: what it changes, Accept / Discard; returns the suggested
    scenario (the map shows it) or None."""
    if running() is None:
        _finish(ev)  # a job that has just ended: its suggestion shows at once
    s = pending(ev)
    if s is None:
        return None
    table = changes(s, names)
    broken = s["broken"]
    st.warning(f"**Suggestion** (shown on the map): {count(len(table), 'centre')} change lot"
               + (" · stopped early: the best found so far" if s["cancelled"] else "")
               + (f" · {count(len(broken), 'rule')} could not be met" if broken else " · every rule met")
               + ". Accept it to make it the current scenario (undoable), then edit as usual; or discard it.")
    c1, c2, _ = st.columns([1, 1, 3])
    if c1.button("Accept the suggestion", type="primary", key="suggest_accept"):
        st.session_state.pop(SUGGESTION, None)
        session.commit(s["scenario"])
        st.rerun()
    if c2.button("Discard", key="suggest_discard"):
        st.session_state.pop(SUGGESTION, None)
        st.rerun()
    with st.expander(f"What the suggestion changes ({count(len(table), 'centre')})", expanded=False):
        st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * max(len(table), 1), 320))
        for b in broken:
            st.markdown(f"- {md(b.get('text') or b.get('rule'))}")
    return s["scenario"]


def _show_last_answers(ev: Evaluation) -> None:
    areas = st.session_state.get("suggest_result_areas")
    if areas and areas["fingerprint"] == ev.net.fingerprint:
        m = areas["model"]
        below = pd.DataFrame(m.below_min_reach_)
        st.markdown(f"**Suggested reach areas:** children-weighted distance {m.weighted_km_:,.0f} child-km "
                    f"(nearest centre: {m.baseline_weighted_km_:,.0f}); "
                    f"{count(len(below), 'centre')} cannot reach the minimum.")
        if not below.empty:
            st.dataframe(below, hide_index=True, width="stretch")
        if st.button("Use these reach areas", key="suggest_use_areas",
                     help="The map and figures then use the suggested reach areas (the scenario is kept)."):
            _use_reach_areas(ev, m.assignment_)
    regions = st.session_state.get("suggest_result_regions")
    if regions and regions["fingerprint"] == ev.net.fingerprint:
        m = regions["model"]
        names = dict(zip(ev.net.dataset.areas["area_id"], ev.net.dataset.areas["name"], strict=True))
        st.markdown(f"**The county can sustain {m.regions_} centres** of at least "
                    f"{ev.scenario.rules.min_reach or 600:,.0f} children each (contiguous regions; "
                    f"{ev.net.n_centres} centres in the data, {ev.totals()['open_centres']} open).")
        sites = pd.DataFrame({"Region": list(m.sites_), "Suggested site (area)": [
            names.get(a, a) for a in m.sites_.values()], "Children": [int(m.reach_[r]) for r in m.sites_]})
        st.dataframe(sites, hide_index=True, width="stretch", height=min(38 + 35 * len(sites), 320))


def _use_reach_areas(ev: Evaluation, assignment: dict[str, str]) -> None:
    from dataclasses import replace

    from lib.catchment import prepare

    dataset = replace(ev.net.dataset, reach_assignment=pd.Series(assignment, name="centre_id"),
                      notes=(*ev.net.dataset.notes, "Reach areas: suggested by Centre Planner (contiguous, "
                             "each reaching the minimum where the geography allows)."))
    st.session_state["custom_network"] = prepare(dataset)
    st.session_state.pop("suggest_result_areas", None)
    st.rerun()
