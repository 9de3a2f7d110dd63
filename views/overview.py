"""Overview: the dataset's totals under the baseline, with the data attribution."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import TOTAL_LABELS, evaluate
from lib.scenario import Scenario
from lib.text import md

ATTRIBUTION = (Path(__file__).parent / "attribution.md").read_text()


@st.cache_resource
def default_network():
    return prepare(load_default())


net = default_network()
ev = evaluate(net, Scenario.baseline(net.centre_ids))
totals = ev.totals()

st.title("Centre Planner")
st.caption(f"Dataset: {md(net.dataset.name)}, {len(net.dataset.areas):,} areas (LSOAs), "
           f"{net.n_centres} centres. Baseline: every centre its own lot.")
for note in net.dataset.notes:
    st.info(md(note, limit=None))
cols = st.columns(4)
shown = [("children", "{:,}"), ("open_centres", "{:,}"), ("deprived_share", "{:.0%}"), ("budget_total", "£{:,.0f}")]
for col, (key, fmt) in zip(cols, shown, strict=True):
    col.metric(TOTAL_LABELS[key], fmt.format(totals[key]))
st.subheader("Centres")
st.dataframe(ev.centres_table()[["name", "group", "reach", "deprived_share", "weighted_reach", "flags"]],
             hide_index=True, width="stretch")
st.markdown(ATTRIBUTION)
