"""Session state: the current dataset's network and the scenario history (undo stack)."""

from __future__ import annotations

import hashlib
import json
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
    """Replace the history (undo / redo / reset) and autosave the draft; refused in a read-only view."""
    from ui import drafts, workspace

    if workspace.view_only():
        st.session_state[workspace.MESSAGE] = ("warning", "This is a read-only view: changes are not applied.")
        return
    st.session_state[HISTORY] = hist
    drafts.autosave()


def commit(scenario: Scenario) -> None:
    """Make ``scenario`` current (undoable) and autosave it as the browser's draft; refused in a read-only view."""
    set_history(history().do(scenario, names(network())))


def memo(name: str, key: tuple, compute):
    """One value per session, recomputed when ``key`` (content: fingerprints and frozen parameters) changes.

    Per session on purpose: nothing computed from one session's data can reach another."""
    cached = st.session_state.get(name)
    if cached is not None and cached[0] == key:
        return cached[1]
    value = compute()
    st.session_state[name] = (key, value)
    return value


def _baseline_total(net: Network, budget: object, deprivation: object) -> float:
    return memo("_baseline_total", (net.fingerprint, budget, deprivation), lambda: baseline_budget_total(
        net, Scenario(name="b", group_of={}, budget=budget, deprivation=deprivation)))


def evaluation() -> Evaluation:
    """Figures of the current scenario (kept in the session until it changes: the map's fragment and the
    tabs below share one evaluation, and its lazily computed tables)."""
    net = network()
    sc = history().present
    return memo("_evaluation", (net.fingerprint, sc),
                lambda: evaluate(net, sc, _baseline_total(net, sc.budget, sc.deprivation)))


def baseline_evaluation() -> Evaluation:
    """The baseline under the current parameters (kept in the session until they change)."""
    net = network()
    h = history()
    base = Scenario(name="baseline", group_of=h.baseline.group_of, rules=h.present.rules,
                    budget=h.present.budget, deprivation=h.present.deprivation)
    return memo("_baseline_evaluation", (net.fingerprint, base),
                 lambda: evaluate(net, base, _baseline_total(net, base.budget, base.deprivation)))


PRUNE_AFTER_S = 24 * 3600  # uploaded boundaries not written again for a day are removed


def boundaries_url(net: Network) -> str:
    """Static URL of the dataset's LSOA polygons, fetched once by the map.

    - the shipped file for the default (``static/boundaries/``);
    - bundled England polygons of a county (public data): ``static/cache/<content hash>.geojson``;
    - uploaded boundaries: ``static/cache/<192 random bits>.geojson``, a name only this session
      knows (never listed: Streamlit's static serving has no directory listing), deleted when the
      session loads other data, and pruned a day after it was last written.
    """
    if isinstance(net.dataset.boundaries, Path):
        shipped = STATIC_CACHE.parent / "boundaries" / net.dataset.boundaries.name
        if shipped.is_file():
            return f"/app/static/boundaries/{shipped.name}"
    cached = st.session_state.get("_boundaries_url")
    if cached is not None and cached[0] == net.fingerprint and (STATIC_CACHE / cached[2]).is_file():
        return cached[1]
    text = json.dumps(boundaries_geojson(net.dataset), separators=(",", ":"))
    private = isinstance(net.dataset.boundaries, dict)
    name = (secrets.token_urlsafe(24) if private else hashlib.sha256(text.encode()).hexdigest()[:32]) + ".geojson"
    STATIC_CACHE.mkdir(parents=True, exist_ok=True)
    path = STATIC_CACHE / name
    if not path.exists():
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    forget_boundaries()
    url = f"/app/static/cache/{name}"
    st.session_state["_boundaries_url"] = (net.fingerprint, url, name, private)
    prune_boundaries()
    return url


def forget_boundaries() -> None:
    """Delete this session's private boundaries file (when it loads other data)."""
    cached = st.session_state.pop("_boundaries_url", None)
    if cached is not None and cached[3]:
        (STATIC_CACHE / cached[2]).unlink(missing_ok=True)


def prune_boundaries(max_age_s: float = PRUNE_AFTER_S) -> int:
    """Remove cached boundary files not written for ``max_age_s`` seconds; returns how many."""
    import time

    removed = 0
    cutoff = time.time() - max_age_s
    for path in STATIC_CACHE.glob("*.geojson"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed
