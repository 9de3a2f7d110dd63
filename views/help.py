"""Help: a short guide to the figures and formulas, how to work the map, and the data sources with
their licences.

The text is ours (trusted): one markdown file per topic in ``views/help/``, shown in ``TOPICS``
order, each in an expander labelled with its question (together, the page's list of questions).
A line ``<!-- include: attribution.md -->`` in a topic is replaced by that file from ``views/``
(the same attribution the Overview and Data pages show, kept in one place). Nothing a user
supplies is shown on this page.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

VIEWS = Path(__file__).resolve().parent
HELP_DIR = VIEWS / "help"
TOPICS: tuple[tuple[str, str], ...] = (  # (file in views/help/ without .md, the question it answers)
    ("reach", "What is reach?"),
    ("deprivation", "What are deprived share and weighted reach?"),
    ("lots", "How is a lot's value computed?"),
    ("budget", "How are the budget total, the saving and the envelope worked out?"),
    ("rules", "Which rules are checked?"),
    ("travel", "Who travels further?"),
    ("moves", "How do I move, close or merge centres, undo, save and share?"),
    ("data", "Where does the data come from, and under which licence?"),
)
INCLUDE = re.compile(r"^<!-- include: ([A-Za-z0-9_-]+\.md) -->$", re.MULTILINE)
KEY = "help_{}"


def topic_text(name: str) -> str:
    """The markdown of one topic, its include lines replaced by the named files of ``views/``."""
    text = (HELP_DIR / f"{name}.md").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: (VIEWS / m.group(1)).read_text(encoding="utf-8").strip(), text)


st.title("Help")
st.caption("What each figure means and how it is worked out, how to work the map, and where the data "
           "comes from. Open a question for its answer. The numbers quoted are the defaults: each can be "
           "changed, and is saved with the scenario.")
for name, question in TOPICS:  # the list of questions: each opens its answer
    with st.expander(question, icon=":material/help:", key=KEY.format(name)):
        st.markdown(topic_text(name))
