"""Follow view: a read-only session (opened by a viewing link) shows the newest saved version by itself.

A facilitator projects a viewing link while an officer edits and saves elsewhere. Every
``POLL_SECONDS`` a small fragment asks the store for the scenario's version number (one read by
primary key, no payload); when it differs from the one shown, the session opens the newest version
and the whole page reruns. A read-only session has no edits of its own to lose.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
import streamlit as st

from lib.store import NotFound, StoreError
from lib.text import md
from ui import drafts, workspace

POLL_SECONDS = 1.0  # a save elsewhere shows within about two polls
GONE = "follow_gone"  # the followed scenario's id, once it was found deleted (polling stops)
UPDATED = "follow_updated"  # (id, version, "saved by ... at ...") of the last version the poll opened

log = logging.getLogger("centre_planner")


def following() -> bool:
    """True in a read-only session with a stored scenario open."""
    info = workspace.loaded()
    return workspace.view_only() and info is not None and st.session_state.get(GONE) != info.id


def watch() -> None:
    """Draw the follow line (and keep polling) when this session follows a scenario."""
    if following():
        _poll()


@st.fragment(run_every=POLL_SECONDS)
def _poll() -> None:
    if not following():  # the link was left (own copy made) since this fragment was drawn
        return
    info = workspace.loaded()
    try:
        version = workspace.store().version(info.id)
    except NotFound:
        st.session_state[GONE] = info.id
        workspace.say("warning", f"{md(info.name)} was deleted where it was saved; this view shows its last "
                                 "version and no longer updates.")
        st.rerun(scope="app")
    except (StoreError, sa.exc.SQLAlchemyError) as exc:  # the store is away for a moment: try again next poll
        log.warning("follow view: could not read the version of %s: %s", info.id, exc)
        st.caption(f"Following {md(info.name)}: the store did not answer, trying again.")
        return
    if version != info.version and (stored := workspace.open_stored(info.id)) is not None:
        st.session_state[UPDATED] = (stored.id, stored.version, f"saved by {md(stored.updated_by)} at "
                                                                f"{drafts.when(stored.updated_at)}")
        st.rerun(scope="app")  # the whole page shows the new version; this line keeps its place (no shift)
    st.caption(follow_line(info.id, info.name, info.version))


def follow_line(scenario_id: str, name: str, version: int) -> str:
    """What the follow view says (markdown): the version shown and, after an update, who saved it."""
    updated = st.session_state.get(UPDATED)
    news = f" (updated: {updated[2]})" if updated is not None and updated[:2] == (scenario_id, version) else ""
    return (f":material/sync: Following **{md(name)}**, version {version}{news}. This read-only view updates "
            "by itself when the scenario is saved elsewhere.")
