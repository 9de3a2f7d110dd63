"""Geography of a scenario for exports: centres as points and each lot's area as one polygon (EPSG:4326).

    lot area(g) = union of the polygons of the areas whose reach centre is in group g

The polygons are the dataset's boundaries (lib.data.boundaries_geojson); areas without a polygon
are left out of the union (and counted in ``missing_areas``). Coordinates are rounded to 6 decimal
places (about 0.1 m), as RFC 7946 recommends for sharing.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from lib.boundaries import feature_ids
from lib.data import boundaries_geojson
from lib.metrics import Evaluation
from lib.scenario import LEAD_TYPE_LABELS, ROUTE_LABELS, natural_key

PRECISION = 6


def area_polygons(ev: Evaluation, boundaries: dict | None = None) -> np.ndarray:
    """A shapely geometry (or None) per area of the dataset, in its row order."""
    collection = boundaries if boundaries is not None else boundaries_geojson(ev.net.dataset)
    ids = feature_ids(collection)
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in collection["features"]]) if ids else []
    by_id = dict(zip(ids, geoms, strict=True))
    return np.array([by_id.get(str(a)) for a in ev.net.dataset.areas["area_id"]], dtype=object)


def lot_areas(ev: Evaluation, boundaries: dict | None = None) -> dict:
    """FeatureCollection: per group with an open centre, the union of its reach areas' polygons, with
    group, route, lead agency, open centres, reach and lot value as properties."""
    polygons = area_polygons(ev, boundaries)
    assign = ev.ctx.assign
    code = ev.tally.code
    group_code = np.where(assign >= 0, code[np.clip(assign, 0, None)], -1)
    table = ev.groups_table().set_index("group")
    features = []
    for i, label in enumerate(ev.tally.labels):
        members = polygons[(group_code == i) & np.not_equal(polygons, None)]
        if label not in table.index or table.at[label, "open_centres"] <= 0 or not len(members):
            continue
        shape = shapely.set_precision(shapely.union_all(list(members)), 10 ** -PRECISION)
        lot = ev.scenario.lot(label)
        row = table.loc[label]
        features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(shape)), "properties": {
            "group": label, "route": lot.route, "route_label": ROUTE_LABELS[lot.route],
            "lead_agency_type": LEAD_TYPE_LABELS[lot.lead_type], "lead_agency": lot.lead_agency,
            "open_centres": int(row["open_centres"]), "reach": int(row["reach"]),
            "lot_value_gbp": round(float(row["lot_value"]), 2), "members": str(row["members"]),
        }})
    features.sort(key=lambda f: natural_key(f["properties"]["group"]))
    return {"type": "FeatureCollection", "name": "lots", "features": features,
            "missing_areas": int(np.equal(polygons, None).sum())}


def centres_points(ev: Evaluation) -> dict:
    """FeatureCollection of centres: id, name, group, status, merged_into, route, lead agency, reach."""
    table = ev.centres_table()
    centres = ev.net.dataset.centres
    features = []
    for row, lat, lon in zip(table.itertuples(index=False), centres["lat"], centres["lon"], strict=True):
        lot = ev.scenario.lot(row.group)
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [round(float(lon), PRECISION),
                                                                       round(float(lat), PRECISION)]},
                         "properties": {"centre_id": row.centre_id, "name": row.name, "group": row.group,
                                        "status": row.status, "merged_into": row.merged_into,
                                        "route": lot.route, "route_label": ROUTE_LABELS[lot.route],
                                        "lead_agency": lot.lead_agency, "reach": int(row.reach),
                                        "illustrative": bool(row.illustrative)}})
    return {"type": "FeatureCollection", "name": "centres", "features": features}
