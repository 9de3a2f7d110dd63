"""Reach areas: which centre serves each area.

Base assignment: the data's own (area -> centre) when it has one, otherwise
each area's nearest centre (KD-tree on EPSG:27700 coordinates). Under a
scenario, the areas of a merged centre go to its merge target (following
chains), and the areas of any other closed centre to their nearest open
centre. With no open centre left, areas are unassigned (-1).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from lib.data import Dataset
from lib.errors import DataError
from lib.immutable import read_only

UNASSIGNED = -1


@dataclass(frozen=True)
class Network:
    """A dataset as arrays, with its base reach-area assignment; build once, evaluate often."""

    dataset: Dataset
    area_x: np.ndarray
    area_y: np.ndarray
    children: np.ndarray
    decile: np.ndarray
    centre_x: np.ndarray
    centre_y: np.ndarray
    phase: np.ndarray  # 0 = unknown, else 1..3
    centre_ids: tuple[str, ...]
    centre_index: dict[str, int]
    base_assign: np.ndarray
    base_distance_km: np.ndarray

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of the dataset (:func:`dataset_fingerprint`): what caches are keyed on, never id()."""
        return dataset_fingerprint(self.dataset)

    @property
    def n_centres(self) -> int:
        return len(self.centre_ids)


def prepare(dataset: Dataset) -> Network:
    """Arrays and the base assignment (given, else nearest centre) for a dataset."""
    areas, centres = _plain(dataset.areas), _plain(dataset.centres)
    if len(centres) == 0:
        raise DataError("centres", "no centres loaded")
    ids = tuple(centres["centre_id"].tolist())
    index = {c: i for i, c in enumerate(ids)}
    ax, ay = areas["x"].to_numpy(float), areas["y"].to_numpy(float)
    cx, cy = centres["x"].to_numpy(float), centres["y"].to_numpy(float)
    if dataset.reach_assignment is not None:
        assign = given_assignment(dataset.reach_assignment, areas["area_id"], index, ax, ay, cx, cy)
    else:
        assign = nearest(ax, ay, cx, cy)
    arrays = {"area_x": ax, "area_y": ay, "children": areas["children"].to_numpy(np.int64),
              "decile": areas["imd_decile"].to_numpy(np.int64), "centre_x": cx, "centre_y": cy,
              "phase": centres["phase"].fillna(0).to_numpy(np.int64), "base_assign": assign,
              "base_distance_km": np.hypot(ax - cx[assign], ay - cy[assign]) / 1000.0}
    # one Network serves every session on a server (the default's cache): its arrays are read-only copies
    return Network(dataset=dataset, centre_ids=ids, centre_index=index,
                   **{k: read_only(np.array(v)) for k, v in arrays.items()})


def dataset_fingerprint(dataset: Dataset) -> str:
    """SHA-256 (hex) of everything the figures and the map depend on: name, areas, centres, the given
    reach areas and the boundaries. Equal datasets give equal fingerprints in any process."""
    h = hashlib.sha256(dataset.name.encode("utf-8", "surrogatepass"))
    for frame in (dataset.areas, dataset.centres):
        h.update(json.dumps([str(c) for c in frame.columns]).encode("utf-8", "surrogatepass"))
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    if dataset.reach_assignment is not None:
        h.update(pd.util.hash_pandas_object(dataset.reach_assignment, index=True).to_numpy().tobytes())
    b = dataset.boundaries
    if isinstance(b, dict):
        h.update(json.dumps(b, sort_keys=True, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    elif b is not None:
        h.update(str(b).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs`` (pandas deep-copies attrs on every column access)."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


PARALLEL_QUERY_FROM = 20_000  # below this many areas, threads cost more than they save


def nearest(ax: np.ndarray, ay: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Index of the nearest centre to each area (KD-tree; ties resolve deterministically)."""
    workers = -1 if len(ax) >= PARALLEL_QUERY_FROM else 1
    _, idx = cKDTree(np.c_[cx, cy]).query(np.c_[ax, ay], workers=workers)
    return np.asarray(idx, dtype=np.int64)


def given_assignment(given: pd.Series, area_ids: pd.Series, index: dict[str, int], ax: np.ndarray,
                     ay: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """The data's area -> centre assignment; areas it omits go to their nearest centre."""
    codes = area_ids.map(given).map(index)
    assign = nearest(ax, ay, cx, cy)
    known = codes.notna().to_numpy()
    assign[known] = codes[known].to_numpy(np.int64)
    return assign


def resolve_targets(n_centres: int, closed: np.ndarray, merge_target: np.ndarray) -> np.ndarray:
    """Where each centre's areas go: itself if open, its (chained) merge target, else -1.

    ``merge_target[c]`` is the target index or -1. Chains (a -> b -> c) are
    followed; a chain ending at a closed, unmerged centre resolves to -1.
    """
    target = np.arange(n_centres)
    redirect = closed & (merge_target >= 0)
    target[redirect] = merge_target[redirect]
    target[closed & (merge_target < 0)] = UNASSIGNED
    for _ in range(n_centres):
        step = np.where(target >= 0, target[np.maximum(target, 0)], UNASSIGNED)
        if np.array_equal(step, target):
            break
        target = step
    target[target >= 0] = np.where(closed[target[target >= 0]], UNASSIGNED, target[target >= 0])
    return target


def reach_areas(net: Network, closed: np.ndarray, merge_target: np.ndarray) -> np.ndarray:
    """Centre index serving each area under the closures (or -1 when none is open)."""
    if not closed.any():
        return net.base_assign
    target = resolve_targets(net.n_centres, closed, merge_target)
    assign = target[net.base_assign]
    lost = assign < 0
    open_idx = np.flatnonzero(~closed)
    if lost.any() and len(open_idx):
        _, k = cKDTree(np.c_[net.centre_x[open_idx], net.centre_y[open_idx]]).query(
            np.c_[net.area_x[lost], net.area_y[lost]])
        assign[lost] = open_idx[k]
    return assign
