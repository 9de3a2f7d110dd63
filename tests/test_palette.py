"""Group colours follow the group, not its place in a sorted list (lib.palette, ui.colours)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from lib import palette
from lib.palette import GROUP_COLOURS, group_colours, stable_group_colours
from lib.scenario import Scenario, natural_key

BASELINE = [f"G{i}" for i in range(1, 55)]  # the Norfolk default: 54 centres, each its own group


def _natural_cycle(labels):
    """What group_colours returned before stable colours existed: the palette cycled in natural order."""
    ordered = sorted(set(labels), key=natural_key)
    return {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(ordered)}


def test_group_colours_keeps_its_natural_order_output():
    for labels in (BASELINE, ["G10", "G2", "G1", "G2"], ["North", "G3", "South"], [], [f"G{i}" for i in range(1, 37)]):
        assert group_colours(labels) == _natural_cycle(labels)
        assert stable_group_colours(labels, None) == _natural_cycle(labels)
        assert stable_group_colours(labels, {}) == _natural_cycle(labels)


def test_a_move_that_empties_a_group_leaves_every_other_colour_unchanged():
    before = stable_group_colours(BASELINE, None)
    # G5's only centre moves into G7: G5 vanishes.
    after_labels = [g for g in BASELINE if g != "G5"]
    after = stable_group_colours(after_labels, before)
    assert set(after) == set(after_labels)
    assert all(after[g] == before[g] for g in after_labels)
    # The sorted-list colours would have shifted every group after G5 (the bug this fixes).
    shifted = group_colours(after_labels)
    assert sum(shifted[g] != before[g] for g in after_labels) > 40


def test_a_new_group_gets_an_unused_colour():
    ten = [f"G{i}" for i in range(1, 11)]
    before = stable_group_colours(ten, None)
    after = stable_group_colours([*ten[1:], "G11"], before)  # G1 emptied, G11 new
    in_use = {after[g] for g in ten[1:]}
    assert after["G11"] not in in_use
    assert after["G11"] in GROUP_COLOURS
    # G1's colour is free again: the first free colour in palette order is G1's old one.
    assert after["G11"] == before["G1"]
    assert all(after[g] == before[g] for g in ten[1:])


def test_when_every_colour_is_in_use_a_new_group_takes_the_least_used():
    before = stable_group_colours(BASELINE, None)  # 54 groups on 15 colours: 4,4,4,4,4,4,4,4,4,3,3,3,3,3,3
    after = stable_group_colours([*BASELINE, "G55"], before)
    counts = Counter(before.values())
    assert counts[after["G55"]] == min(counts.values())
    assert after["G55"] == GROUP_COLOURS[9]  # the first colour used three times, in palette order


def test_several_new_groups_spread_over_unused_colours_and_are_deterministic():
    before = stable_group_colours(["G1", "G2", "G3"], None)
    labels = ["G3", "G9", "G2", "G1", "G4", "A new lot"]
    once = stable_group_colours(labels, before)
    again = stable_group_colours(list(reversed(labels)), dict(before))
    assert once == again
    assert len(set(once.values())) == len(labels)  # 6 groups, 15 colours: no colour twice
    assert list(once) == sorted(labels, key=natural_key)


def test_labels_in_previous_keep_even_unusual_colours():
    previous = {"G1": "#123456", "G2": GROUP_COLOURS[0]}
    out = stable_group_colours(["G1", "G2", "G3"], previous)
    assert out["G1"] == "#123456" and out["G2"] == GROUP_COLOURS[0]
    assert out["G3"] == GROUP_COLOURS[1]  # the first colour not in use


labels_sets = st.lists(
    st.sets(st.integers(min_value=1, max_value=40).map(lambda i: f"G{i}"), max_size=30), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(labels_sets)
def test_property_a_label_in_consecutive_sets_keeps_its_colour(sets):
    book: dict[str, str] = {}  # as ui.colours keeps it: every label coloured so far
    prev_colours: dict[str, str] = {}
    for labels in sets:
        colours = stable_group_colours(labels, book)
        assert set(colours) == labels
        assert all(c in GROUP_COLOURS for c in colours.values())
        for g in labels & prev_colours.keys():
            assert colours[g] == prev_colours[g]
        # new groups avoid the colours in use while free colours remain
        old_colours = {colours[g] for g in labels if g in book}
        new = [g for g in labels if g not in book]
        if len(old_colours) + len(new) <= len(GROUP_COLOURS):
            assert len({colours[g] for g in new}) == len(new) and not old_colours & {colours[g] for g in new}
        book.update(colours)
        prev_colours = colours


@settings(max_examples=200, deadline=None)
@given(labels_sets)
def test_property_holds_when_only_the_last_colours_are_kept(sets):
    prev: dict[str, str] = {}
    for labels in sets:
        colours = stable_group_colours(labels, prev)
        for g in labels & prev.keys():
            assert colours[g] == prev[g]
        assert stable_group_colours(sorted(labels, reverse=True), prev) == colours  # deterministic
        prev = colours


# ---------------------------------------------------------------------------
# ui.colours: the session's colour book
# ---------------------------------------------------------------------------


def _ev(fingerprint: str, group_of: dict[str, str]):
    return SimpleNamespace(net=SimpleNamespace(fingerprint=fingerprint),
                           scenario=Scenario(name="s", group_of=group_of))


def test_session_colour_book_follows_moves_undo_and_resets_for_another_dataset(monkeypatch):
    from ui import colours as ui_colours

    fake = SimpleNamespace(session_state={})
    monkeypatch.setattr(ui_colours, "st", fake)
    ids = [f"c{i}" for i in range(1, 21)]
    base = {c: f"G{i}" for i, c in enumerate(ids, start=1)}
    first = ui_colours.group_colours(_ev("fp-a", base))
    assert first == palette.group_colours(base.values())  # a fresh session starts from the usual colours

    moved = {**base, "c5": "G7"}  # G5 emptied
    after = ui_colours.group_colours(_ev("fp-a", moved))
    assert all(after[g] == first[g] for g in after)
    assert palette.group_colours(moved.values()) != after  # the old way would have shifted colours

    new = {**moved, "c9": "G21"}  # G9 emptied too, G21 new
    with_new = ui_colours.group_colours(_ev("fp-a", new))
    assert with_new["G21"] not in {with_new[g] for g in with_new if g != "G21"}
    assert all(with_new[g] == first[g] for g in with_new if g != "G21")

    undone = ui_colours.group_colours(_ev("fp-a", base))  # undo all: G5 and G9 come back as they were
    assert undone == first

    other = {"x1": "G1", "x2": "G2"}
    fresh = ui_colours.group_colours(_ev("fp-b", other))
    assert fresh == palette.group_colours(other.values())
    assert fake.session_state[ui_colours.BOOK][0] == "fp-b"
    assert set(fake.session_state[ui_colours.BOOK][1]) == {"G1", "G2"}
