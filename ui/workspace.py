"""The session's workspace: which stored scenario is open and with what right, saving, links.

Two kinds of session:

- a **workspace** session (the app's bare address): the officers' catalogue of scenarios. It may
  open any scenario of the loaded dataset; it can save over one only when this browser holds
  the editing right (it created it, or opened its editing link); otherwise Save makes a copy.
- a **link** session (``?link=<token>``): it sees only the scenario(s) its links opened, and the
  copies it made; no catalogue, no uploads. A viewing link makes it read-only on every page
  until the user makes their own copy.

Rights live in the session and in the store (which refuses any change without the editing
token), never in the address bar. Never loses work: every edit is kept in the undo stack and
autosaved as a draft of this browser (:mod:`ui.drafts`); a save that would overwrite someone
else's newer version is refused with a clear message and three ways on.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

import streamlit as st

from lib import examples
from lib.history import History
from lib.scenario import Scenario
from lib.store import (
    ConflictError,
    NotFound,
    ReadOnlyError,
    ScenarioStore,
    StoredScenario,
    StoreError,
)
from lib.text import md
from ui import browser, session

LOADED = "loaded"
SNAPSHOT = "saved_snapshot"
SESSION_KEY = "session_key"
AUTHOR = "author"
MESSAGE = "workspace_message"
SCOPE = "link_scope"  # None: a workspace session; else the ids of the scenarios its links opened
VIEW_ONLY = "view_only"  # True once a viewing link was opened, until the user makes their own copy
CONFLICT = "save_conflict"  # the scenario id whose save was refused by a newer version
LINK = "link"  # query parameter of a share link: ?link=<token>
OPEN = "open"  # query parameter of a workspace session: ?open=<scenario id>
LEGACY = "scenario"  # links shared before tokens: ?scenario=<id> (opens read-only)


@dataclass(frozen=True)
class Loaded:
    """The stored scenario the current edit started from, and the tokens this session holds for it."""

    id: str
    version: int
    name: str
    read_only: bool  # an example
    dataset: str
    edit_token: str | None = None
    view_token: str | None = None

    @property
    def can_save_over(self) -> bool:
        """Save writes a new version of it (else Save makes a copy)."""
        return self.edit_token is not None and not self.read_only


@st.cache_resource(show_spinner=False)
def store() -> ScenarioStore:
    """The scenario store: PostgreSQL when DATABASE_URL is set, else the embedded SQLite file."""
    return ScenarioStore()


def author() -> str:
    """Who saves and notes are recorded as: the signed-in user when sign-in is on, else the name typed."""
    from ui import auth  # ui.auth imports this module

    return auth.signed_in_user() or st.session_state.get(AUTHOR, "") or "anonymous"


def loaded() -> Loaded | None:
    return st.session_state.get(LOADED)


def view_only() -> bool:
    """True in a session opened by a viewing link (whatever the address bar says now)."""
    return bool(st.session_state.get(VIEW_ONLY))


def scoped() -> bool:
    """True in a session opened by a link: it sees only its own scenarios."""
    return st.session_state.get(SCOPE) is not None


def in_scope(scenario_id: str) -> bool:
    scope = st.session_state.get(SCOPE)
    return scope is None or scenario_id in scope


def _add_to_scope(scenario_id: str) -> None:
    if scoped():
        st.session_state[SCOPE] = st.session_state[SCOPE] | {scenario_id}


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


def say(kind: str, text: str) -> None:
    """Queue a message for the next run (``text`` is markdown: escape user strings with ``md``)."""
    st.session_state[MESSAGE] = (kind, text)


def _loaded_from(stored: StoredScenario) -> Loaded:
    return Loaded(stored.id, stored.version, stored.name, stored.read_only, stored.dataset,
                  stored.edit_token, stored.view_token)


def start(scenario: Scenario, stored: StoredScenario | None) -> None:
    """Make ``scenario`` the session's scenario (fresh undo stack) and remember where it came from."""
    net = session.network()
    st.session_state[session.HISTORY] = History.start(scenario, Scenario.baseline(net.centre_ids))
    st.session_state[SNAPSHOT] = scenario
    st.session_state[LOADED] = _loaded_from(stored) if stored is not None else None
    st.session_state.pop(CONFLICT, None)
    st.session_state["list_version"] = st.session_state.get("list_version", 0) + 1


def _fits(stored: StoredScenario) -> bool:
    """The stored scenario belongs to the loaded dataset; else load its dataset if it can be, or say why not."""
    from ui import data_loading

    net = session.network()
    if set(stored.scenario.group_of) == set(net.centre_ids):
        return True
    if (stored.dataset != net.dataset.name and data_loading.load_named(stored.dataset)
            and set(stored.scenario.group_of) == set(session.network().centre_ids)):
        return True
    say("error", f"Scenario {md(stored.name)} was made for the dataset {md(stored.dataset)}, which is not "
                 f"loaded (now: {md(session.network().dataset.name)}). "
                 + ("Load that dataset on the Data page first." if not scoped() else
                    "Ask whoever sent the link to share it from a server with that dataset."))
    return False


def open_stored(scenario_id: str) -> StoredScenario | None:
    """Open the newest version of a stored scenario (editable in place only if this browser holds the
    right); None, with a message, when it cannot be opened."""
    if not in_scope(scenario_id):
        say("error", "This session was opened by a link: it can only open that link's scenario.")
        return None
    s = store()
    try:
        stored = s.granted(browser.browser_key(), scenario_id) or s.get(scenario_id, with_view_token=True)
    except NotFound:
        say("error", "That scenario no longer exists (it was deleted, or the link is out of date).")
        return None
    if not _fits(stored):
        return None
    start(stored.scenario, stored)
    return stored


def open_link(token: str) -> bool:
    """Open a share link: an editing link grants this browser the right; a viewing link makes the
    session read-only. Either way the session then sees only its links' scenarios."""
    try:
        stored = store().open_link(token)
    except NotFound:
        say("error", "This link does not open any scenario: it may be incomplete or mistyped, or the "
                     "scenario was deleted. Ask whoever sent it for a new link.")
        return False
    return _open_as_link(stored)


def _open_as_link(stored: StoredScenario) -> bool:
    st.session_state[SCOPE] = (st.session_state.get(SCOPE) or set()) | {stored.id}
    st.session_state[VIEW_ONLY] = not stored.can_edit
    if not _fits(stored):
        return False
    if stored.can_edit:
        store().grant(browser.browser_key(), stored.id, stored.edit_token)
    start(stored.scenario, stored)
    return True


def open_legacy(scenario_id: str) -> bool:
    """A link from before tokens (``?scenario=<id>``): the same id was in editing and viewing links,
    so it opens read-only; the owner's browser, or ``python -m lib links ID``, gives the new links."""
    try:
        stored = store().get(scenario_id, with_view_token=True)
    except NotFound:
        say("error", "This link does not open any scenario: it may be out of date, or the scenario was deleted.")
        return False
    if _open_as_link(stored):
        say("info", "This is an older link, so it opens read-only. Ask whoever sent it for a new editing link, "
                    "or make your own copy.")
        return True
    return False


def apply_query_params() -> None:
    """Open what the address asks for, once per session and value; then keep the address in step
    with the session (a reload opens the same thing, with the same right)."""
    q = st.query_params
    for name, opener in ((LINK, open_link), (LEGACY, open_legacy), (OPEN, open_stored)):
        value = q.get(name)
        if value and st.session_state.get(f"opened_{name}") != value:
            st.session_state[f"opened_{name}"] = value
            if name == OPEN and scoped():
                continue
            opener(value)
            break
    _keep_address()


def _keep_address() -> None:
    """The address bar says what a reload should open: the link this session holds, or ``?open=<id>``."""
    info = loaded()
    want: dict[str, str] = {}
    if info is not None:
        if scoped():
            token = info.edit_token or info.view_token
            if token:
                want[LINK] = token
        else:
            want[OPEN] = info.id
    have = {k: st.query_params.get(k) for k in (LINK, OPEN, LEGACY) if st.query_params.get(k)}
    if have != want:
        st.query_params.from_dict({**{k: v for k, v in st.query_params.to_dict().items()
                                     if k not in (LINK, OPEN, LEGACY)}, **want})
        for name, value in want.items():
            st.session_state[f"opened_{name}"] = value


# --- saving -------------------------------------------------------------------------------------
def _refuse_in_view() -> bool:
    if view_only():
        say("warning", "This is a read-only view: nothing was saved. Make your own copy to keep changes.")
        return True
    return False


def save() -> StoredScenario | None:
    """Save over the opened scenario (conflict-checked, with this session's editing token)."""
    info = loaded()
    if _refuse_in_view() or info is None or not info.can_save_over:
        return None
    try:
        stored = store().update(info.id, session.history().present, expected_version=info.version,
                                edit_token=info.edit_token, author=author())
    except ConflictError as exc:
        st.session_state[CONFLICT] = info.id
        say("conflict", md(str(exc), limit=None))
        return None
    except (ReadOnlyError, NotFound, StoreError, ValueError) as exc:
        say("error", md(str(exc), limit=None))
        return None
    _saved(stored)
    return stored


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new scenario, or None."""
    if not name.strip():
        return "Give the scenario a name that says what it is."
    if name.strip().casefold() in ("baseline", "scenario"):
        return f"{md(name.strip())!s} is the name of the starting point: choose a name that says what this scenario is."
    return None


def save_as(name: str, description: str = "") -> StoredScenario | None:
    """Save the current scenario under a new id (this browser then holds its editing right)."""
    if _refuse_in_view():
        return None
    if problem := name_problem(name):
        say("error", problem)
        return None
    sc = session.history().present
    info = loaded()
    try:
        stored = store().save_new(replace(sc, name=name.strip()), name=name.strip(), description=description,
                                  author=author(), dataset=session.network().dataset.name,
                                  parent_id=info.id if info else None)
    except (StoreError, ValueError) as exc:
        say("error", md(str(exc), limit=None))
        return None
    _saved(stored)
    return stored


def make_own_copy() -> StoredScenario | None:
    """In a read-only view: save the scenario as this user's own copy and switch to editing it."""
    info = loaded()
    sc = session.history().present
    name = f"{info.name if info else sc.name} (my copy)"[:200]
    try:
        stored = store().save_as_copy(sc, name, author=author(), based_on=info.id if info else None,
                                      dataset=session.network().dataset.name)
    except (StoreError, ValueError) as exc:
        say("error", md(str(exc), limit=None))
        return None
    st.session_state[VIEW_ONLY] = False
    _add_to_scope(stored.id)
    _saved(stored)
    say("success", f"This is your own copy, {md(stored.name)}: edit it freely. Its links are on the "
                   "Scenarios page; the original is unchanged.")
    return stored


def reload_theirs() -> None:
    """After a conflict: drop this session's edits and open the newest saved version."""
    info = loaded()
    if info is not None:
        from ui import drafts

        drafts.forget()
        open_stored(info.id)  # with this browser's grant when it has one, in a link session too


def _saved(stored: StoredScenario) -> None:
    from ui import drafts

    store().grant(browser.browser_key(), stored.id, stored.edit_token)
    _add_to_scope(stored.id)
    st.session_state[LOADED] = _loaded_from(stored)
    st.session_state[SNAPSHOT] = stored.scenario
    st.session_state.pop(CONFLICT, None)
    hist = session.history()
    st.session_state[session.HISTORY] = replace(hist, present=stored.scenario)
    drafts.forget()
    _keep_address()
    say("success", f"Saved {md(stored.name)} (version {stored.version}).")


# --- examples, notes ----------------------------------------------------------------------------
def ensure_examples() -> None:
    """Seed the starting-point examples for the loaded dataset once (read-only, labelled 'Example')."""
    net = session.network()
    s = store()
    if any(x.is_example for x in s.list(dataset=net.dataset.name)):
        return
    reach = session.baseline_evaluation().centre["reach"]
    for sc in examples.starting_points(net, reach):
        s.seed_example(sc, name=sc.name, description=sc.notes, author="Centre Planner", dataset=net.dataset.name)


def visible(entries: list) -> list:
    """Catalogue entries this session may see: all in the workspace, its own in a link session."""
    return [e for e in entries if in_scope(e.id)]


def add_note(text: str, kind: str, group: str | None) -> bool:
    """Attach a consultation note to the opened scenario (needs the editing right, except on examples)."""
    info = loaded()
    if info is None or _refuse_in_view():
        return False
    try:
        store().add_note(info.id, text, kind, author(), group_label=group, edit_token=info.edit_token)
    except (StoreError, ValueError) as exc:
        say("error", md(str(exc), limit=None))
        return False
    return True


def notes_for_export() -> list[dict]:
    """Consultation notes of the opened stored scenario, as plain dicts for exports."""
    info = loaded()
    if info is None:
        return []
    try:
        notes = store().notes(info.id)
    except NotFound:
        return []
    return [{"kind": n.kind, "group": n.group_label or "", "text": n.text, "author": n.author,
             "when": n.created_at.strftime("%Y-%m-%d %H:%M")} for n in notes]


def group_notes() -> dict[str, list[str]]:
    """Notes about single groups of the opened scenario: group -> ['challenge: text (author)', ...]."""
    out: dict[str, list[str]] = {}
    for n in notes_for_export():
        if n["group"]:
            out.setdefault(n["group"], []).append(f"{n['kind']}: {n['text']} ({n['author']})")
    return out


def show_message() -> None:
    """Show (once) the last workspace message (already markdown-safe: user strings went through ``md``)."""
    msg = st.session_state.pop(MESSAGE, None)
    if msg is None:
        return
    kind, text = msg
    {"success": st.success, "warning": st.warning, "error": st.error, "conflict": st.error,
     "info": st.info}[kind](text)
