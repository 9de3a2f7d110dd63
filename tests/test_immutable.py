"""What the process-wide caches hand out cannot be changed by one session for another (issue 12, item 4)."""

from __future__ import annotations

import numpy as np
import pytest

from lib.catchment import dataset_fingerprint, prepare
from lib.data import england_areas, load_default
from lib.geocode import geocode_postcodes, lsoa_centroids, postcode_table
from lib.register import register


def test_a_network_s_arrays_are_read_only_copies():
    ds = load_default()
    net = prepare(ds)
    for name in ("area_x", "area_y", "children", "decile", "centre_x", "centre_y", "phase", "base_assign",
                 "base_distance_km"):
        arr = getattr(net, name)
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = arr[0]
    assert not np.shares_memory(net.children, ds.areas["children"].to_numpy())


@pytest.mark.parametrize("cached", [england_areas, register, lsoa_centroids, lambda: load_default().areas,
                                    lambda: load_default().centres])
def test_a_cached_frame_changed_by_one_caller_is_unchanged_for_the_next(cached):
    first = cached()
    before = cached().copy()
    col = first.columns[0]
    first[col] = first[col].iloc[::-1].to_numpy()  # overwrite a column
    first.iloc[0, -1] = first.iloc[1, -1]  # and a value
    first["added"] = 1
    again = cached()
    assert "added" not in again.columns
    assert again.equals(before)


def test_the_default_dataset_is_the_same_content_each_time():
    assert dataset_fingerprint(load_default()) == dataset_fingerprint(load_default())


def test_the_gazetteer_arrays_are_read_only():
    table = postcode_table()
    for arr in (table.codes, table.live, table.easting, table.northing, table.lsoa_index):
        assert not arr.flags.writeable
    out = geocode_postcodes(["NR1 1AA"])
    assert len(out) == 1
