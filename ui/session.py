"""Session state: the current dataset's network and the scenario history (undo stack)."""

from __future__ import annotations

import secrets
from pathlib import Path

import streamlit as st

from lib.catchment import Network, prepare
from lib.data import boundaries_geojson, load_default
from lib.history import History
from lib.metrics import Evaluation, baseline_budget_total, evaluate
from lib.scenario import Scenario

STATIC_CACHE = Path(__file__).resolve().parent.parent / "static" / "cache"
HISTORY = "history"
NETWORK = "network_key"


@st.cache_resource(show_spinner="Loading the Norfolk default…")
def default_network() -> Network:
    return prepare(load_default())


def network() -> Network:
    """The network the session plans on (the Norfolk default unless another was loaded)."""
    custom = st.session_state.get("custom_network")
    return custom if custom is not None else default_network()


def names(net: Network) -> dict[str, str]:
    return dict(zip(net.centre_ids, net.dataset.centres["name"], strict=True))


def history() -> History:
    """The session's scenario history, started at the baseline on first use."""
    net = network()
    hist = st.session_state.get(HISTORY)
    if hist is None or set(hist.present.group_of) != set(net.centre_ids):
        base = Scenario.baseline(net.centre_ids)
        hist = History.start(base)
        st.session_state[HISTORY] = hist
    return hist


def set_history(hist: History) -> None:
    """Replace the history (undo / redo / reset) and autosave the draft; refused in a view-only link."""
    from ui import workspace

    if workspace.view_only():
        return
    st.session_state[HISTORY] = hist
    workspace.autosave()


def commit(scenario: Scenario) -> None:
    """Make ``scenario`` current (undoable) and autosave it as the session's draft; refused in a view-only link."""
    from ui import workspace

    if workspace.view_only():
        st.session_state[workspace.MESSAGE] = ("warning", "This is a read-only view: changes are not applied.")
        return
    st.session_state[HISTORY] = history().do(scenario, names(network()))
    workspace.autosave()


@st.cache_data(max_entries=64, show_spinner=False)
def _baseline_total(_net: Network, net_id: int, budget: object, deprivation: object) -> float:
    return baseline_budget_total(_net, Scenario(name="b", group_of={}, budget=budget, deprivation=deprivation))


def evaluation() -> Evaluation:
    """Figures of the current scenario (the baseline total is cached per parameter set)."""
    net = network()
    sc = history().present
    total = _baseline_total(net, id(net), sc.budget, sc.deprivation)
    return evaluate(net, sc, total)


def baseline_evaluation() -> Evaluation:
    """The baseline under the current parameters (kept in the session until they change)."""
    net = network()
    h = history()
    key = (id(net), h.present.rules, h.present.budget, h.present.deprivation)
    cached = st.session_state.get("_baseline_evaluation")
    if cached is not None and cached[0] == key:
        return cached[1]
    base = Scenario(name="baseline", group_of=h.baseline.group_of, rules=h.present.rules,
                    budget=h.present.budget, deprivation=h.present.deprivation)
    ev = evaluate(net, base, _baseline_total(net, id(net), base.budget, base.deprivation))
    st.session_state["_baseline_evaluation"] = (key, ev)
    return ev


def boundaries_url(net: Network) -> str:
    """Static URL of the dataset's LSOA polygons: the shipped file for the default (static/boundaries/),
    else written once to static/cache/."""
    import hashlib
    import json

    if isinstance(net.dataset.boundaries, Path):
        shipped = STATIC_CACHE.parent / "boundaries" / net.dataset.boundaries.name
        if shipped.is_file():
            return f"/app/static/boundaries/{shipped.name}"
    cached = st.session_state.get("_boundaries_url")
    if cached is not None and cached[0] == id(net):
        return cached[1]
    text = json.dumps(boundaries_geojson(net.dataset), separators=(",", ":"))
    name = f"{hashlib.sha1(text.encode()).hexdigest()[:16]}.geojson"
    path = STATIC_CACHE / name
    if not path.exists():
        STATIC_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    url = f"/app/static/cache/{name}"
    st.session_state["_boundaries_url"] = (id(net), url)
    return url
