"""Shared by the whole-app AppTests: the app's path, the Norfolk default's centre ids, one checked run
(a module of its own, like ``textcheck``: ``conftest`` is ambiguous with tests/browser/ collected too)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.catchment import prepare
from lib.data import load_default
from ui.plan_panels import TAB_KEY, TABS

__all__ = ["APP", "IDS", "TABS", "open_tab", "run"]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
IDS = list(prepare(load_default()).centre_ids)


def run(at: AppTest) -> AppTest:
    """One run of the app; it fails the test if the run raised."""
    at.run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open the Plan page's tab ``label`` (only the open tab is drawn) and run."""
    at.session_state[TAB_KEY] = label
    return run(at)
