"""Shared fixtures: a 3x3 grid of areas whose answers can be worked out on paper."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lib import geo  # noqa: E402
from lib.data import Dataset  # noqa: E402

X0, Y0 = 620_000.0, 300_000.0  # near Norwich, British National Grid


def grid_dataset() -> Dataset:
    """Areas (i, j), i, j in 0..2, 1 km apart; children = 10 * (3j + i + 1); IMD decile = 3j + i + 1.

    Centre A stands at (0, 1) km, phase 1; centre B at (2.2, 1) km, phase unknown.
    Nearest centre: columns i = 0, 1 go to A (reach 270), column i = 2 to B (reach 180).
    """
    i, j = np.meshgrid(np.arange(3), np.arange(3))
    i, j = i.ravel(), j.ravel()
    x, y = X0 + 1000.0 * i, Y0 + 1000.0 * j
    lat, lon = geo.to_wgs84(x, y)
    areas = pd.DataFrame({
        "area_id": [f"E0100000{k}" for k in range(9)], "name": [f"Area {a}{b}" for a, b in zip(i, j, strict=True)],
        "lat": lat, "lon": lon, "children": 10 * (3 * j + i + 1), "imd_decile": 3 * j + i + 1,
        "x": x, "y": y,
    })
    cx = np.array([X0, X0 + 2200.0])
    cy = np.array([Y0 + 1000.0, Y0 + 1000.0])
    clat, clon = geo.to_wgs84(cx, cy)
    centres = pd.DataFrame({
        "centre_id": ["A", "B"], "name": ["Alpha", "Beta"], "lat": clat, "lon": clon,
        "phase": pd.array([1, pd.NA], dtype="Int64"), "on_school_site": pd.array([True, pd.NA], dtype="boolean"),
        "provider": "", "location_quality": "test", "illustrative": [False, True], "x": cx, "y": cy,
    })
    return Dataset(name="grid", areas=areas, centres=centres)


@pytest.fixture
def grid() -> Dataset:
    return grid_dataset()


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    """A fresh SQLite scenario store for an AppTest (``DATABASE_URL``; the app's cached store dropped)."""
    import streamlit as st

    url = f"sqlite:///{tmp_path / 'scenarios.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_resource.clear()
    yield url
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _main_module_restored():
    """AppTest runs app.py as ``__main__`` and leaves it there; a process started with ``spawn`` (test_store's
    pools) then runs the app again on start-up, outside Streamlit, dies, and the pool waits for ever.
    Each test gets back the ``__main__`` it started with."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
