"""Queen contiguity between areas, from their boundaries.

Two areas are neighbours when their polygons touch, along an edge or at a single point (queen
contiguity), within ``TOLERANCE_DEG`` so that the rounding of the stored coordinates (6 decimals, about
0.1 m) does not open hairline gaps. One STRtree ``dwithin`` query over all polygons finds every pair.

Areas with no polygon, and groups of areas that touch no other (islands: Canvey Island in Essex, the
Cumbrian coast; Norfolk and Kent have none with the bundled boundaries), would make contiguous regions
impossible, so each such component is bridged to the nearest area outside it, by population-weighted
centroid (EPSG:27700), until the whole county is one connected graph. The bridges are returned too, so a
caller can say which links are not borders.
"""

from __future__ import annotations

import json
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from lib.catchment import Network
from lib.data import Dataset, boundaries_geojson

TOLERANCE_DEG = 2e-6  # about 0.2 m: twice the rounding step of the stored coordinates
CACHE_SIZE = 8


@dataclass(frozen=True)
class Adjacency:
    """Queen contiguity of a dataset's areas, in area row order.

    ``matrix``: symmetric boolean CSR (n_areas x n_areas, no diagonal), borders and bridges;
    ``bridges``: (k, 2) area row pairs joined by nearest centroid (no shared border);
    ``polygons``, ``polygon_rows``: the areas' polygons (WGS84) and the area row of each.
    """

    matrix: sparse.csr_matrix
    bridges: np.ndarray
    polygons: np.ndarray
    polygon_rows: np.ndarray

    def neighbours(self) -> list[list[int]]:
        """Neighbour rows of each area (plain lists: the optimisers' inner loops are pure Python)."""
        m = self.matrix
        indptr, indices = m.indptr, m.indices.tolist()
        return [indices[indptr[i]:indptr[i + 1]] for i in range(m.shape[0])]

    def area_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Row of the area whose polygon contains each point (WGS84), -1 where none does (the first
        match when polygons overlap)."""
        out = np.full(len(lon), -1, dtype=np.int64)
        if len(self.polygons) and len(lon):
            point, poly = shapely.STRtree(self.polygons).query(shapely.points(lon, lat), predicate="intersects")
            first = np.unique(point, return_index=True)[1]
            out[point[first]] = self.polygon_rows[poly[first]]
        return out


def queen_adjacency(dataset: Dataset) -> Adjacency:
    """Queen contiguity of ``dataset``'s areas (a pure function of the dataset: cache it on its fingerprint,
    as :func:`network_adjacency` does), connected by centroid bridges where the polygons are not."""
    areas = dataset.areas
    ids = areas["area_id"].astype(str).tolist()
    row_of = {a: i for i, a in enumerate(ids)}
    texts, rows = [], []
    for feature in boundaries_geojson(dataset).get("features", []):
        row = row_of.get(str((feature.get("properties") or {}).get("lsoa11cd")))
        if row is not None and feature.get("geometry"):
            texts.append(json.dumps(feature["geometry"]))
            rows.append(row)
    n = len(ids)
    polygons = shapely.from_geojson(texts) if texts else np.array([], object)
    polygon_rows = np.asarray(rows, dtype=np.int64)
    border = _touching(polygons, polygon_rows, n)
    x, y = areas["x"].to_numpy(float), areas["y"].to_numpy(float)
    bridges = _bridges(border, x, y)
    links = border
    if len(bridges):
        b = sparse.coo_matrix((np.ones(2 * len(bridges), bool), (np.r_[bridges[:, 0], bridges[:, 1]],
                                                                 np.r_[bridges[:, 1], bridges[:, 0]])), shape=(n, n))
        links = (border + b.tocsr()).astype(bool)
    links.sort_indices()
    return Adjacency(matrix=links, bridges=bridges, polygons=polygons, polygon_rows=polygon_rows)


def _touching(geoms: np.ndarray, rows: np.ndarray, n: int) -> sparse.csr_matrix:
    """Area pairs whose polygons lie within ``TOLERANCE_DEG`` of each other (several features of one area
    count as one)."""
    if len(geoms) == 0:
        return sparse.csr_matrix((n, n), dtype=bool)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=TOLERANCE_DEG)
    a, b = rows[i], rows[j]
    keep = a != b
    m = sparse.coo_matrix((np.ones(int(keep.sum()), bool), (a[keep], b[keep])), shape=(n, n)).tocsr()
    return (m + m.T).astype(bool)


def _bridges(border: sparse.csr_matrix, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Nearest-centroid links that make the graph connected: each round, every component but the largest
    is joined to the nearest area outside it (so the number of components at least halves)."""
    n = border.shape[0]
    out: list[tuple[int, int]] = []
    graph = border
    xy = np.c_[x, y]
    while n > 1:
        k, label = connected_components(graph, directed=False)
        if k == 1:
            break
        largest = np.bincount(label).argmax()
        new = []
        for comp in range(k):
            if comp == largest:
                continue
            inside = label == comp
            outside = np.flatnonzero(~inside)
            dist, nearest = cKDTree(xy[outside]).query(xy[inside])
            best = int(np.argmin(dist))
            new.append((int(np.flatnonzero(inside)[best]), int(outside[nearest[best]])))
        out.extend(new)
        a, b = np.array(new).T
        graph = graph + sparse.coo_matrix((np.ones(2 * len(new), bool), (np.r_[a, b], np.r_[b, a])),
                                          shape=(n, n)).tocsr()
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def is_connected(members: Iterable[int], neighbours: Sequence[Sequence[int]]) -> bool:
    """Whether the areas ``members`` form one connected piece of the graph (breadth-first search; an
    empty set counts as connected)."""
    left = set(members)
    if not left:
        return True
    queue = deque([left.pop()])
    while queue:
        for j in neighbours[queue.popleft()]:
            if j in left:
                left.remove(j)
                queue.append(j)
    return not left


_CACHE: OrderedDict[str, Adjacency] = OrderedDict()


def network_adjacency(net: Network) -> Adjacency:
    """:func:`queen_adjacency` of the network's dataset, remembered for the last ``CACHE_SIZE`` datasets
    (keyed on the dataset's content fingerprint)."""
    key = net.fingerprint
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    adj = queen_adjacency(net.dataset)
    _CACHE[key] = adj
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return adj
