"""Group colours that follow each group through the session (the session's colour book).

``lib.palette.stable_group_colours`` does the work; this module keeps what it has handed out in
``st.session_state`` so that a group keeps its colour when another group vanishes or a new one
appears, and gets its old colour back when an undo brings it back. The book belongs to one dataset:
it starts afresh when another dataset (another ``net.fingerprint``) is loaded.
"""

from __future__ import annotations

import streamlit as st

from lib import palette
from lib.metrics import Evaluation

BOOK = "_group_colour_book"
"""``st.session_state[BOOK] = (dataset fingerprint, {group label: "#rrggbb"})``: every label coloured so far."""


def group_colours(ev: Evaluation) -> dict[str, str]:
    """A colour for each group of ``ev``'s scenario, stable across this session's moves.

    Groups already in the book keep their colour; new groups take the palette's least-used colour.
    Use it wherever the session draws group colours (map, tables, exports) so they agree.
    """
    fingerprint = ev.net.fingerprint
    saved = st.session_state.get(BOOK)
    book: dict[str, str] = dict(saved[1]) if saved and saved[0] == fingerprint else {}
    colours = palette.stable_group_colours(ev.scenario.group_of.values(), book)
    if any(book.get(g) != c for g, c in colours.items()) or not saved or saved[0] != fingerprint:
        book.update(colours)
        st.session_state[BOOK] = (fingerprint, book)
    return colours
