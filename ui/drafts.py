"""Unsaved work survives a reload, a closed tab, a server restart or a crash.

After every edit the session's scenario, its undo history (the last 20 steps), where it came
from and which dataset it is on are written to the store as a draft of this *browser* (its
cookie key, :mod:`ui.browser`), not of the server process. A later session of the same browser
is offered the newest draft: "You have unsaved work from 14:02 (12 changes): Restore / Discard".
A dataset loaded by name (the default, a county) is loaded again on restore; for uploaded data
the offer says which files to load first.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from lib.history import History
from lib.scenario import Scenario
from lib.store import Draft, StoreError
from lib.text import md
from ui import browser, session, workspace

DATASET_SOURCE = "dataset_source"  # how the dataset was loaded: {"kind": "default" | "county" | "upload", ...}
_DECIDED = "_draft_decided"
_DISCARDED = "_drafts_discarded"
try:
    LOCAL = ZoneInfo("Europe/London")
except Exception:  # no time zone database: show UTC
    LOCAL = None


def dataset_ref() -> dict:
    """What a restore needs to know to load this session's dataset again."""
    return {"name": session.network().dataset.name,
            **st.session_state.get(DATASET_SOURCE, {"kind": "default"})}


def _state() -> str:
    hist = session.history()
    info = workspace.loaded()
    snapshot = st.session_state.get(workspace.SNAPSHOT)
    return json.dumps({
        "history": hist.to_dict(),
        "snapshot": snapshot.to_dict() if snapshot is not None else None,
        "loaded": None if info is None else {"id": info.id, "version": info.version, "name": info.name,
                                             "read_only": info.read_only, "dataset": info.dataset},
        "dataset": dataset_ref(),
    }, ensure_ascii=False, separators=(",", ":"))


def autosave() -> None:
    """Write the session's unsaved work as its draft, or forget the draft when nothing is unsaved.

    Best effort: a failure is reported, never blocks the edit."""
    if workspace.view_only():
        return
    if not workspace.is_dirty():
        forget()
        return
    info = workspace.loaded()
    hist = session.history()
    try:
        workspace.store().save_draft(
            workspace.session_key(), hist.present.to_json(), scenario_id=info.id if info else None,
            base_version=info.version if info else None, browser_key=browser.browser_key(), state=_state(),
            changes=len(hist.past))
    except (StoreError, ValueError, OSError) as exc:
        workspace.say("warning", f"Draft not autosaved: {md(str(exc))}")


def forget() -> None:
    """Delete this session's draft (saved, discarded, or back to what was saved)."""
    with contextlib.suppress(StoreError, OSError):
        workspace.store().delete_draft(workspace.session_key())


def _candidate() -> Draft | None:
    """The newest draft of this browser that another session left, if this session may restore it."""
    if workspace.view_only() or st.session_state.get(_DECIDED):
        return None
    hist = session.history()
    if hist.past or workspace.is_dirty():  # this session has work of its own: no offer now
        return None
    skipped = st.session_state.get(_DISCARDED, set())
    try:
        found = workspace.store().drafts_of(browser.browser_key())
    except (StoreError, OSError):
        return None
    for d in found:
        if d.session_key == workspace.session_key() or d.session_key in skipped or d.changes < 1:
            continue
        if d.scenario_id is not None and not workspace.in_scope(d.scenario_id):
            continue
        if d.scenario_id is None and workspace.scoped():
            continue
        return d
    return None


def when(t: datetime) -> str:
    """A saved time as people in England read it: "14:02" today, else "3 Dec 2026, 14:02" (UK time)."""
    local = t.astimezone(LOCAL) if LOCAL is not None else t
    today = datetime.now(local.tzinfo).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%d %b %Y, %H:%M}"


def offer() -> None:
    """At the top of every page: offer the newest unsaved work of this browser, once per session."""
    draft = _candidate()
    if draft is None:
        return
    try:
        state = json.loads(draft.state) if draft.state else {}
        name = (state.get("history") or {}).get("present", {}).get("name") or "a scenario"
        dataset = (state.get("dataset") or {}).get("name", "")
    except (ValueError, AttributeError):
        state, name, dataset = {}, "a scenario", ""
    changes = f"{draft.changes} change{'s' if draft.changes != 1 else ''}"
    with st.container(border=True, key="draft_offer"):
        st.warning(f"You have unsaved work from {when(draft.updated_at)} ({changes}) on {md(name)}"
                   + (f" ({md(dataset)})" if dataset else "") + ".")
        c1, c2, _ = st.columns([1, 1, 4])
        c1.button("Restore", type="primary", key="draft_restore", on_click=restore, args=(draft,))
        c2.button("Discard", key="draft_discard", on_click=discard, args=(draft,))


def discard(draft: Draft) -> None:
    try:
        workspace.store().delete_draft(draft.session_key)
    except (StoreError, OSError):
        st.session_state.setdefault(_DISCARDED, set()).add(draft.session_key)


def restore(draft: Draft) -> None:
    """Bring back a draft: its dataset (if it can be loaded by name), scenario, undo history and origin."""
    from ui import data_loading

    try:
        state = json.loads(draft.state) if draft.state else {}
        hist = History.from_dict(state["history"]) if "history" in state else History.start(draft.scenario)
        ref = state.get("dataset") or {}
    except (ValueError, KeyError, TypeError) as exc:
        workspace.say("error", f"That draft cannot be restored ({md(str(exc))}); it is kept in the store.")
        return
    if ref.get("name") and ref["name"] != session.network().dataset.name and not data_loading.load_named(ref["name"],
                                                                                                          ref):
        files = ", ".join(ref.get("files", [])) or "its files"
        workspace.say("warning", f"This draft was made on {md(ref['name'])}, loaded from {md(files)}: load it again "
                                 "on the Data page, then press Restore.")
        return
    if set(hist.present.group_of) != set(session.network().centre_ids):
        workspace.say("error", "That draft's centres do not match the loaded dataset; it is kept in the store.")
        return
    loaded = state.get("loaded")
    info = None
    if loaded:
        granted = workspace.store().granted(browser.browser_key(), loaded["id"])
        info = workspace.Loaded(loaded["id"], int(loaded["version"]), str(loaded["name"]), bool(loaded["read_only"]),
                                str(loaded.get("dataset", "")),
                                granted.edit_token if granted else None, granted.view_token if granted else None)
    snapshot = state.get("snapshot")
    st.session_state[session.HISTORY] = hist
    st.session_state[workspace.SNAPSHOT] = Scenario.from_dict(snapshot) if snapshot else None
    st.session_state[workspace.LOADED] = info
    st.session_state[workspace.SESSION_KEY] = draft.session_key  # later edits update the same draft
    st.session_state[_DECIDED] = True
    st.session_state["list_version"] = st.session_state.get("list_version", 0) + 1
    workspace.say("success", f"Restored your unsaved work ({draft.changes} changes): undo goes back step by step.")
