"""Switching the session's dataset: only after the new one has loaded without error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st

from lib.catchment import prepare
from lib.data import Dataset
from lib.errors import DataError
from lib.history import History
from lib.scenario import Scenario
from ui import session, workspace

MESSAGE = "data_message"


def _fresh_session() -> None:
    """Start the new dataset's baseline; the old scenario stays in the store as this session's draft."""
    for key in (session.HISTORY, workspace.LOADED, workspace.SNAPSHOT, "_baseline_evaluation", "selected_group"):
        st.session_state.pop(key, None)
    st.query_params.pop("scenario", None)


def use_default() -> None:
    st.session_state.pop("custom_network", None)
    _fresh_session()
    st.session_state[MESSAGE] = "Loaded the Norfolk default."


def use_dataset(dataset: Dataset, grouping: dict[str, str] | None = None) -> None:
    """Prepare the network (reach areas, arrays) and make it the session's dataset; with ``grouping``
    (centre -> group) the session starts from that grouping (the baseline stays one lot per centre)."""
    net = prepare(dataset)
    st.session_state["custom_network"] = net
    _fresh_session()
    if grouping:
        base = Scenario.baseline(net.centre_ids)
        start = base
        for group in sorted(set(grouping.values())):
            start = start.move([c for c, g in grouping.items() if g == group], group)
        st.session_state[session.HISTORY] = History.start(replace(start, name=f"{dataset.name}: existing grouping"),
                                                          base)
    st.session_state[MESSAGE] = (f"Loaded {dataset.name}: {len(dataset.areas):,} areas, "
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


def show_message() -> None:
    msg = st.session_state.pop(MESSAGE, None)
    if msg:
        st.success(msg)
        st.toast(msg)  # seen even when the page stays scrolled down at the Load button
