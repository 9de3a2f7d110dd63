"""The session's workspace: which stored scenario is open, saving with conflict checks, drafts, links.

Never loses work: every edit is kept in the session (undo stack) and autosaved as a draft in the
store; a save that would overwrite someone else's newer version is refused with a clear message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

import streamlit as st

from lib import examples
from lib.history import History
from lib.scenario import Scenario
from lib.store import ConflictError, NotFound, ReadOnlyError, ScenarioStore, StoredScenario, StoreError
from ui import session

LOADED = "loaded"
SNAPSHOT = "saved_snapshot"
SESSION_KEY = "session_key"
AUTHOR = "author"
MESSAGE = "workspace_message"


@dataclass(frozen=True)
class Loaded:
    """The stored scenario the current edit started from."""

    id: str
    version: int
    name: str
    read_only: bool


@st.cache_resource(show_spinner=False)
def store() -> ScenarioStore:
    """The scenario store: PostgreSQL when DATABASE_URL is set, else the embedded SQLite file."""
    return ScenarioStore()


def author() -> str:
    return st.session_state.get(AUTHOR, "") or "anonymous"


def loaded() -> Loaded | None:
    return st.session_state.get(LOADED)


def view_only() -> bool:
    """True for a read-only link (``?view=1``)."""
    return st.query_params.get("view") == "1"


def is_dirty() -> bool:
    """Unsaved changes: the current scenario differs from what was last opened or saved."""
    snapshot = st.session_state.get(SNAPSHOT)
    present = session.history().present
    if snapshot is None:
        return present.group_of != session.history().baseline.group_of or bool(present.closed)
    return present != snapshot


def session_key() -> str:
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = secrets.token_urlsafe(12)
    return st.session_state[SESSION_KEY]


def autosave() -> None:
    """Save the current scenario as this session's draft (best effort: never blocks an edit)."""
    info = loaded()
    try:
        store().save_draft(session_key(), session.history().present.to_json(),
                           scenario_id=info.id if info else None, base_version=info.version if info else None)
    except (StoreError, ValueError, OSError) as exc:
        st.session_state[MESSAGE] = ("warning", f"Draft not autosaved: {exc}")


def start(scenario: Scenario, stored: StoredScenario | None) -> None:
    """Make ``scenario`` the session's scenario (fresh undo stack) and remember where it came from."""
    net = session.network()
    st.session_state[session.HISTORY] = History.start(scenario, Scenario.baseline(net.centre_ids))
    st.session_state[SNAPSHOT] = scenario
    st.session_state[LOADED] = (Loaded(stored.id, stored.version, stored.name, stored.read_only)
                                if stored is not None else None)
    st.session_state["list_version"] = st.session_state.get("list_version", 0) + 1


def open_stored(scenario_id: str) -> bool:
    """Open a saved scenario by id; False (with a message) if it does not exist or does not fit the data."""
    try:
        stored = store().get(scenario_id)
    except NotFound as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
        return False
    net = session.network()
    if set(stored.scenario.group_of) != set(net.centre_ids):
        st.session_state[MESSAGE] = ("error", f"Scenario {stored.name!r} was made for the dataset "
                                              f"{stored.dataset!r}, not the one loaded ({net.dataset.name}).")
        return False
    start(stored.scenario, stored)
    st.query_params["scenario"] = stored.id
    return True


def save() -> StoredScenario | None:
    """Save over the opened scenario (conflict-checked), or as new if none is open or it is read-only."""
    info = loaded()
    sc = session.history().present
    if info is None or info.read_only:
        return save_as(sc.name if info is None else f"{info.name} (copy)")
    try:
        stored = store().update(info.id, sc, expected_version=info.version, author=author())
    except ConflictError as exc:
        st.session_state[MESSAGE] = ("conflict", str(exc))
        return None
    except (ReadOnlyError, NotFound, ValueError) as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
        return None
    _saved(stored)
    return stored


def save_as(name: str, description: str = "") -> StoredScenario | None:
    """Save the current scenario under a new id."""
    sc = session.history().present
    info = loaded()
    try:
        stored = store().save_new(replace(sc, name=name), name=name, description=description, author=author(),
                                  dataset=session.network().dataset.name,
                                  parent_id=info.id if info else None)
    except (StoreError, ValueError) as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
        return None
    _saved(stored)
    return stored


def _saved(stored: StoredScenario) -> None:
    st.session_state[LOADED] = Loaded(stored.id, stored.version, stored.name, stored.read_only)
    st.session_state[SNAPSHOT] = stored.scenario
    hist = session.history()
    st.session_state[session.HISTORY] = replace(hist, present=stored.scenario)
    st.query_params["scenario"] = stored.id
    st.session_state[MESSAGE] = ("success", f"Saved {stored.name!r} (version {stored.version}).")


def ensure_examples() -> None:
    """Seed the starting-point examples for the loaded dataset once (read-only, labelled 'Example')."""
    net = session.network()
    s = store()
    if any(x.is_example for x in s.list(dataset=net.dataset.name)):
        return
    reach = session.baseline_evaluation().centre["reach"]
    for sc in examples.starting_points(net, reach):
        s.save_new(sc, name=sc.name, description=sc.notes, author="Centre Planner",
                   dataset=net.dataset.name, is_example=True)


def apply_query_params() -> None:
    """Open ``?scenario=<id>`` once per session (or when the link changes)."""
    wanted = st.query_params.get("scenario")
    info = loaded()
    if wanted and (info is None or info.id != wanted) and st.session_state.get("opened_from_link") != wanted:
        st.session_state["opened_from_link"] = wanted
        open_stored(wanted)


def notes_for_export() -> list[dict]:
    """Consultation notes of the opened stored scenario, as plain dicts for exports."""
    info = loaded()
    if info is None:
        return []
    return [{"kind": n.kind, "group": n.group_label or "", "text": n.text, "author": n.author,
             "when": n.created_at.strftime("%Y-%m-%d %H:%M")} for n in store().notes(info.id)]


def group_notes() -> dict[str, list[str]]:
    """Notes about single groups of the opened scenario: group -> ['challenge: text (author)', ...]."""
    out: dict[str, list[str]] = {}
    for n in notes_for_export():
        if n["group"]:
            out.setdefault(n["group"], []).append(f"{n['kind']}: {n['text']} ({n['author']})")
    return out


def show_message() -> None:
    """Show (once) the last workspace message."""
    msg = st.session_state.pop(MESSAGE, None)
    if msg is None:
        return
    kind, text = msg
    {"success": st.success, "warning": st.warning, "error": st.error, "conflict": st.error}[kind](text)
