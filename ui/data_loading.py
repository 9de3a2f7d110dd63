"""Switching the session's dataset: only after the new one has loaded without error."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st

from lib.catchment import prepare
from lib.data import DEFAULT_COUNTY, Dataset
from lib.datasets import named_dataset
from lib.errors import DataError
from lib.history import History
from lib.scenario import Scenario
from lib.text import md
from ui import drafts, session, workspace

MESSAGE = "data_message"
ILLUSTRATIVE_NOTE = ("No centres given: the centre network is illustrative, placed by the p-median rule "
                     "(one centre per about 820 children); not real locations.")


def _fresh_session() -> None:
    """Start the new dataset's baseline; the old scenario's unsaved work stays in the store as a draft."""
    for key in (session.HISTORY, workspace.LOADED, workspace.SNAPSHOT, "_baseline_evaluation", "selected_group"):
        st.session_state.pop(key, None)
    session.forget_boundaries()
    for name in (workspace.OPEN, workspace.LEGACY):
        st.query_params.pop(name, None)
    st.session_state[workspace.SESSION_KEY] = secrets.token_urlsafe(12)  # a new draft slot


def use_default() -> None:
    st.session_state.pop("custom_network", None)
    _fresh_session()
    st.session_state[drafts.DATASET_SOURCE] = {"kind": "default"}
    st.session_state[MESSAGE] = "Loaded the Norfolk default."


def load_named(name: str, ref: dict | None = None) -> bool:
    """Load a dataset that can be rebuilt from its name alone (the default, a council's real or
    illustrative network: :func:`lib.datasets.named_dataset`); False for uploaded data or an unknown
    name. Used to open a link or a draft made on another dataset."""
    if (ref or {}).get("kind") == "upload":
        return False
    if name == DEFAULT_COUNTY:
        use_default()
        return True
    dataset = named_dataset(name)
    if dataset is None:
        return False
    use_dataset(dataset, source={"kind": "named"})
    return True


def use_dataset(dataset: Dataset, grouping: dict[str, str] | None = None, source: dict | None = None) -> None:
    """Prepare the network (reach areas, arrays) and make it the session's dataset; with ``grouping``
    (centre -> group) the session starts from that grouping (the baseline stays one lot per centre).
    ``source`` says how to load it again (for drafts): ``{"kind": "named"}`` (by its name) or
    ``{"kind": "upload", "files": [...]}``."""
    net = prepare(dataset)
    st.session_state["custom_network"] = net
    _fresh_session()
    st.session_state[drafts.DATASET_SOURCE] = source or {"kind": "upload", "files": []}
    if grouping:
        base = Scenario.baseline(net.centre_ids)
        start = base
        for group in sorted(set(grouping.values())):
            start = start.move([c for c, g in grouping.items() if g == group], group)
        st.session_state[session.HISTORY] = History.start(replace(start, name=f"{dataset.name}: existing grouping"),
                                                          base)
    st.session_state[MESSAGE] = (f"Loaded {md(dataset.name)}: {len(dataset.areas):,} areas, "
                                 f"{len(dataset.centres):,} centres. The Plan page now shows its baseline.")


def areas_from_uploads(files: list, load_areas: Callable) -> pd.DataFrame:
    """One canonical areas file, or published files (IoD2019 + ONS population) joined together."""
    if len(files) == 1:
        return load_areas(files[0].getvalue(), files[0].name)
    from lib.published import published_areas

    return published_areas([(f.getvalue(), f.name) for f in files]).areas


def boundaries_from_upload(upload, areas: pd.DataFrame) -> dict:
    from lib.boundaries import read_boundaries

    collection = read_boundaries(upload.getvalue(), upload.name, area_ids=areas["area_id"])
    if not collection.get("features"):
        raise DataError(upload.name, "no boundary matches an area code of the loaded areas")
    return collection


def show_error(exc: DataError, headline: str = "") -> None:
    """Every problem of a bad file, one line each (file, row, column: message), escaped."""
    lines = exc.lines() if hasattr(exc, "lines") else [str(exc)]
    body = "\n".join(f"- {md(line, limit=600)}" for line in lines)
    st.error((f"{headline}\n\n" if headline else "") + body)


def show_message() -> None:
    msg = st.session_state.pop(MESSAGE, None)
    if msg:
        st.success(msg)
        st.toast(msg)  # seen even when the page stays scrolled down at the Load button
