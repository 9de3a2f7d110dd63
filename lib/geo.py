"""Coordinates: WGS84 <-> British National Grid (EPSG:27700), distances."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

# England's extent, generous: anything outside is not an English point.
ENGLAND_LAT = (49.8, 55.9)
ENGLAND_LON = (-6.5, 2.0)
ENGLAND_EASTING = (80_000, 660_000)
ENGLAND_NORTHING = (0, 660_000)


@lru_cache(maxsize=2)
def _transformer(to_bng: bool) -> Transformer:
    src, dst = ("EPSG:4326", "EPSG:27700") if to_bng else ("EPSG:27700", "EPSG:4326")
    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lat/lon to British National Grid easting/northing (metres)."""
    x, y = _transformer(True).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unproject British National Grid easting/northing to WGS84 (lat, lon)."""
    lon, lat = _transformer(False).transform(
        np.asarray(easting, float), np.asarray(northing, float)
    )
    return np.asarray(lat, float), np.asarray(lon, float)


def distance_km(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> np.ndarray:
    """Straight-line distance in km between projected points: hypot(dx, dy) / 1000."""
    return np.hypot(np.subtract(x1, x2), np.subtract(y1, y2)) / 1000.0


def looks_like_lat_lon(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """True where (lat, lon) lies within England's bounding box."""
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    return (
        (lat >= ENGLAND_LAT[0]) & (lat <= ENGLAND_LAT[1])
        & (lon >= ENGLAND_LON[0]) & (lon <= ENGLAND_LON[1])
    )


def looks_like_bng(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """True where (easting, northing) lies within England's grid extent."""
    e = np.asarray(easting, float)
    n = np.asarray(northing, float)
    return (
        (e >= ENGLAND_EASTING[0]) & (e <= ENGLAND_EASTING[1])
        & (n >= ENGLAND_NORTHING[0]) & (n <= ENGLAND_NORTHING[1])
    )
