"""Colours: colour-blind-safe, always paired with a text label (never colour alone).

Group colours cycle through Paul Tol's 'muted' and 'bright' qualitative schemes (designed
to stay distinct under common colour-vision deficiencies); the group label printed on each
marker keeps 36+ groups distinguishable. Deprivation deciles use a sequential
blue-to-orange scheme readable in greyscale; children use a sequential purple scheme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from lib.scenario import natural_key

GROUP_COLOURS = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
)
CLOSED_COLOUR = "#7f7f7f"
# IMD decile 1 (most deprived) .. 10 (least): dark orange -> pale -> dark blue (PuOr-like, CVD-safe)
DECILE_COLOURS = ("#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7",
                  "#f2f0f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788")
CHILDREN_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")


def group_colours(labels: Iterable[str]) -> dict[str, str]:
    """A colour per group label, by the label's natural order (G1 the first colour, G2 the second, ...).

    The same labels always get the same colours, but removing a group shifts the colours of the groups
    after it: a page that redraws as groups change should use :func:`stable_group_colours`.
    """
    return stable_group_colours(labels, None)


def stable_group_colours(labels: Iterable[str], previous: Mapping[str, str] | None = None,
                         colours: Sequence[str] = GROUP_COLOURS) -> dict[str, str]:
    """A colour per group label that follows the group, not its place in a sorted list.

    Labels found in ``previous`` keep their colour there. Each new label (in natural order) takes the
    colour of ``colours`` used least often among the labels' colours so far (ties: palette order), so a
    new group gets an unused colour while one is free. Deterministic for given labels and ``previous``;
    with ``previous=None`` the result is :func:`group_colours` (the natural-order cycle).
    """
    previous = previous or {}
    ordered = sorted(set(map(str, labels)), key=natural_key)
    out = {g: previous[g] for g in ordered if g in previous}
    used = Counter(out.values())
    rank = {c: i for i, c in enumerate(colours)}
    for g in ordered:
        if g not in out:
            colour = min(colours, key=lambda c: (used[c], rank[c]))
            out[g] = colour
            used[colour] += 1
    return {g: out[g] for g in ordered}


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with a #rrggbb background (WCAG luminance)."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if lum > 0.179 else "#ffffff"


def children_classes(children: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Quintile class (0..4) of each area's children, and the class labels ('12-45')."""
    edges = np.unique(np.quantile(children, [0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    cls = np.clip(np.searchsorted(edges, children, side="right") - 1, 0, len(edges) - 2)
    labels = [f"{edges[i]:.0f}-{edges[i + 1]:.0f}" for i in range(len(edges) - 1)]
    return cls, labels
