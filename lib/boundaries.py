"""Area boundaries: a user's GeoJSON, zipped shapefile or GeoPackage, or the bundled England LSOAs.

Whatever comes in, what comes out is a GeoJSON ``FeatureCollection`` in WGS84
(longitude, latitude; coordinates rounded to 6 decimals, about 10 cm) whose
features carry ``lsoa11cd`` (the area id they match) and, when the file has
one, ``name``. Polygons only; invalid rings are repaired (shapely ``make_valid``).

Safety: a zip archive is checked before anything is extracted (no absolute
paths or ``..`` entries, no links, at most ``MAX_ZIP_ENTRIES`` entries, at most
``MAX_ZIP_TOTAL_BYTES`` once expanded, no entry compressed more than
``MAX_ZIP_RATIO`` times), only the shapefile / GeoPackage / GeoJSON parts are
written, under generated names, into a private temporary folder that is removed
afterwards. File signatures are checked before GDAL (pyogrio) sees a file, so a
renamed file of another kind (a VRT, for instance) is never opened. Nothing is
unpickled or executed.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from lib.errors import DataError, Problems
from lib.tables import (
    MAX_UPLOAD_BYTES,
    column_key,
    decode_text,
    open_zip,
    read_member,
    read_source,
    sniff_format,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ENGLAND_FILE = DATA_DIR / "england_lsoa11_bsc.geojson.gz"
MAX_ZIP_ENTRIES = 100
MAX_ZIP_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ZIP_RATIO = 200
MAX_FEATURES = 200_000
DECIMALS = 6

# Property names that usually hold the area code, best first (compared after column_key()).
ID_PROPERTIES = ("lsoa11cd", "lsoa11_cd", "lsoa_code", "lsoa_code_2011", "lsoa11_code", "lsoa21cd", "lsoa_cd",
                 "lsoacd", "area_id", "area_code", "code", "geo_code", "geography_code", "id", "lsoa", "lsoa11")
NAME_PROPERTIES = ("lsoa11nm", "lsoa_name", "lsoa_name_2011", "lsoa11_name", "lsoa21nm", "name", "area_name",
                   "geo_label", "label")
SHP_MAGIC = b"\x00\x00\x27\x0a"
SQLITE_MAGIC = b"SQLite format 3\x00"
BNG_X = (-100_000, 800_000)
BNG_Y = (-100_000, 1_300_000)


# --- public API -----------------------------------------------------------------------------

def read_boundaries(source: object, file_name: str | None = None, area_ids: Iterable[str] | None = None,
                    id_property: str | None = None) -> dict:
    """Boundaries from a GeoJSON, zipped shapefile or GeoPackage (path, bytes or upload),
    in WGS84 or British National Grid (EPSG:27700) or any CRS the file declares.

    The property holding the area code is ``id_property`` if given, otherwise the
    one whose values match the most ``area_ids``, otherwise the first common name
    (``lsoa11cd``, ``LSOA11CD``, ``lsoa_code``, ``code``, ``id``...). With
    ``area_ids``, features of other areas are left out (a national file is fine);
    several features with one code are merged.
    """
    raw, file_name = read_source(source, file_name)
    if not raw.strip():
        raise DataError(file_name, "file is empty")
    fmt = sniff_format(raw, file_name)
    wanted = None if area_ids is None else [str(a).strip() for a in area_ids]
    if fmt == "gzip":
        raw = _gunzip(raw, file_name)
        fmt = sniff_format(raw, file_name)
    if fmt in ("zip", "xlsx"):
        layers = _from_zip(raw, file_name)
    elif fmt == "sqlite":
        layers = _with_temp_file(raw, ".gpkg", file_name, _read_gpkg)
    elif fmt == "text":
        layers = [_read_geojson(raw, file_name)]
    else:
        raise DataError(file_name, "is not a GeoJSON, zipped shapefile (.zip) or GeoPackage (.gpkg) file")
    return _best_collection(layers, file_name, wanted, id_property)


def england_boundaries(area_ids: Iterable[str]) -> dict:
    """Polygons of English LSOAs (2011, generalised, WGS84) for ``area_ids``, from the
    bundled file; the three invalid ones there (nested shells) are repaired.
    Unknown ids are left out. Only the features asked for are parsed (:func:`_england_index`)."""
    index = _england_index()
    out = []
    seen: set[str] = set()
    for a in area_ids:
        a = str(a)
        if a in index and a not in seen:
            seen.add(a)
            out.append(json.loads(index[a]))
    if not out:
        return {"type": "FeatureCollection", "features": []}
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in out])
    bad = ~shapely.is_valid(geoms)
    feats = []
    for f, g, b in zip(out, geoms, bad, strict=True):
        geometry = json.loads(shapely.to_geojson(_polygonal(shapely.make_valid(g)))) if b else f["geometry"]
        feats.append({"type": "Feature", "properties": dict(f["properties"]), "geometry": geometry})
    return {"type": "FeatureCollection", "features": feats}


_FEATURE_START = '{"type": "Feature", "properties": {"lsoa11cd": "'


@lru_cache(maxsize=1)
def _england_index() -> dict[str, str]:
    """lsoa11cd -> the JSON text of its feature, cut from the bundled file without parsing it all.

    The file writes each feature as ``{"type": "Feature", "properties": {"lsoa11cd": "E01...", ...``:
    splitting on that opening is ~20x faster than ``json.load`` of all 32,844 polygons, and a
    county needs only its own (tests check every cut feature equals the full parse)."""
    text = gzip.decompress(ENGLAND_FILE.read_bytes()).decode("utf-8")
    parts = text.split(_FEATURE_START)
    if len(parts) < 2:  # another layout: parse it all
        return {f["properties"]["lsoa11cd"]: json.dumps(f) for f in json.loads(text)["features"]}
    index = {}
    for part in parts[1:]:
        body = part.rstrip()
        if body.endswith("]}"):  # the last feature closes the collection
            body = body[:-2].rstrip()
        index[part[:part.index('"')]] = _FEATURE_START + body.rstrip(",")
    return index


def feature_ids(collection: dict) -> list[str]:
    """The ``lsoa11cd`` of each feature of a collection from this module."""
    return [str(f.get("properties", {}).get("lsoa11cd")) for f in collection.get("features", [])]


# --- readers --------------------------------------------------------------------------------

class _Layer:
    """Features read from one layer: properties, shapely geometries, declared CRS (or None)."""

    def __init__(self, name: str, props: list[dict], geoms: np.ndarray, crs: str | None):
        self.name = name
        self.props = props
        self.geoms = geoms
        self.crs = crs


def _gunzip(raw: bytes, file_name: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            out = fh.read(MAX_UPLOAD_BYTES * 4 + 1)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(file_name, f"not a readable gzip file ({exc})") from None
    if len(out) > MAX_UPLOAD_BYTES * 4:
        raise DataError(file_name, "expands to too much data: refused")
    return out


def _read_geojson(raw: bytes, file_name: str, label: str | None = None) -> _Layer:
    where = file_name if label is None else f"{file_name} ({label})"
    text = decode_text(raw, where)
    try:
        data = json.loads(text)
    except RecursionError:
        raise DataError(where, "is not valid GeoJSON (nested too deeply)") from None
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc))
        line = getattr(exc, "lineno", None)
        raise DataError(where, f"is not valid GeoJSON ({msg}{f', line {line}' if line else ''})") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise DataError(where, "is not a GeoJSON FeatureCollection")
    feats = data["features"]
    if len(feats) > MAX_FEATURES:
        raise DataError(where, f"has more than {MAX_FEATURES:,} features")
    props: list[dict] = []
    texts: list[str] = []
    problems = Problems(where)
    for k, feat in enumerate(feats, start=1):
        if not isinstance(feat, dict) or not isinstance(feat.get("geometry"), dict):
            problems.add(f"feature {k} has no geometry")
            continue
        p = feat.get("properties")
        p = dict(p) if isinstance(p, dict) else {}
        if "id" in feat and "id" not in p:
            p["id"] = feat["id"]
        props.append(p)
        texts.append(json.dumps(feat["geometry"]))
    problems.raise_if_any()
    try:
        geoms = shapely.from_geojson(texts)
    except Exception:  # GEOS rejects malformed coordinates in several ways: find the features
        for k, text in enumerate(texts, start=1):
            try:
                shapely.from_geojson(text)
            except Exception as exc:
                problems.add(f"feature {k} has an unreadable geometry ({_short(exc)})")
        problems.raise_if_any()
        raise
    return _Layer(label or file_name, props, np.asarray(geoms, dtype=object), _geojson_crs(data, where))


def _geojson_crs(data: dict, file_name: str) -> str | None:
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return None
    name = crs.get("properties", {}).get("name") if isinstance(crs.get("properties"), dict) else None
    if not isinstance(name, str):
        return None
    m = re.search(r"EPSG:{1,2}(\d+)", name, flags=re.IGNORECASE)
    if m:
        return f"EPSG:{m.group(1)}"
    if re.search(r"CRS84", name, flags=re.IGNORECASE):
        return "EPSG:4326"
    raise DataError(file_name, f"unknown coordinate reference system {name!r}")


def _with_temp_file(raw: bytes, suffix: str, file_name: str, reader) -> list[_Layer]:
    with tempfile.TemporaryDirectory(prefix="cp-bound-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(raw)
        return reader(path, file_name)


def _read_gpkg(path: Path, file_name: str) -> list[_Layer]:
    import pyogrio

    if path.read_bytes()[:16] != SQLITE_MAGIC:
        raise DataError(file_name, "is not a GeoPackage")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = pyogrio.list_layers(str(path))
    except Exception as exc:
        raise DataError(file_name, f"is not a readable GeoPackage ({_short(exc)})") from None
    out = []
    for name, gtype in layers:
        if gtype is None or "polygon" not in str(gtype).lower():
            continue
        out.append(_read_ogr(path, file_name, layer=str(name), label=str(name)))
    if not out:
        kinds = ", ".join(f"{n} ({g or 'no geometry'})" for n, g in layers) or "none"
        raise DataError(file_name, f"has no polygon layer (layers: {kinds})")
    return out


def _read_ogr(path: Path, file_name: str, layer: str | None = None, label: str | None = None) -> _Layer:
    from pyogrio import raw as ogr

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _fids, wkb, fields = ogr.read(str(path), layer=layer)
    except Exception as exc:  # GDAL errors for damaged files
        raise DataError(file_name, f"cannot be read ({_short(exc)})") from None
    if wkb is None:
        raise DataError(file_name, "has no geometries")
    if len(wkb) > MAX_FEATURES:
        raise DataError(file_name, f"has more than {MAX_FEATURES:,} features")
    try:
        geoms = shapely.from_wkb(wkb)
    except Exception as exc:
        raise DataError(file_name, f"has unreadable geometries ({_short(exc)})") from None
    names = [str(n) for n in meta.get("fields", [])]
    columns = [np.asarray(f, dtype=object) for f in fields]
    props = [{n: _plain(col[i]) for n, col in zip(names, columns, strict=True)} for i in range(len(geoms))]
    return _Layer(label or file_name, props, np.asarray(geoms, dtype=object), meta.get("crs"))


def _plain(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _from_zip(raw: bytes, file_name: str) -> list[_Layer]:
    zf = open_zip(raw, file_name, max_entries=MAX_ZIP_ENTRIES, max_total=MAX_ZIP_TOTAL_BYTES,
                  max_ratio=MAX_ZIP_RATIO)
    members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
               and not Path(i.filename).name.startswith(".")]
    by_ext: dict[str, list] = {}
    for info in members:
        by_ext.setdefault(Path(info.filename).suffix.lower(), []).append(info)
    layers: list[_Layer] = []
    with tempfile.TemporaryDirectory(prefix="cp-bound-") as tmp:
        folder = Path(tmp)
        for k, shp in enumerate(by_ext.get(".shp", [])):
            stem = shp.filename[: -len(Path(shp.filename).suffix)]
            parts = {ext: next((i for i in members if i.filename[: -len(ext)] == stem
                                and i.filename[-len(ext):].lower() == ext), None)
                     for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")}
            for ext in (".shx", ".dbf"):
                if parts[ext] is None:
                    raise DataError(file_name, f"shapefile {shp.filename!r} has no {ext} part in the zip")
            for ext, info in parts.items():
                if info is not None:
                    with open(folder / f"layer{k}{ext}", "wb") as fh:
                        read_member(zf, info, file_name, sink=fh)
            head = (folder / f"layer{k}.shp").read_bytes()[:4]
            if head != SHP_MAGIC:
                raise DataError(file_name, f"{shp.filename!r} is not a shapefile")
            layers.append(_read_ogr(folder / f"layer{k}.shp", f"{file_name} ({shp.filename})", label=shp.filename))
        for k, info in enumerate(by_ext.get(".gpkg", [])):
            path = folder / f"package{k}.gpkg"
            with open(path, "wb") as fh:
                read_member(zf, info, file_name, sink=fh)
            layers += [_Layer(f"{info.filename}: {lay.name}", lay.props, lay.geoms, lay.crs)
                       for lay in _read_gpkg(path, f"{file_name} ({info.filename})")]
        for info in by_ext.get(".geojson", []) + by_ext.get(".json", []):
            layers.append(_read_geojson(read_member(zf, info, file_name), file_name, info.filename))
    if not layers:
        found = ", ".join(i.filename for i in members[:8]) or "nothing"
        raise DataError(file_name, f"the zip holds no shapefile (.shp with .shx and .dbf), GeoPackage or GeoJSON "
                        f"(found: {found})")
    return layers


# --- matching, reprojection, output --------------------------------------------------------

def _best_collection(layers: list[_Layer], file_name: str, wanted: list[str] | None,
                     id_property: str | None) -> dict:
    best: tuple[int, dict] | None = None
    errors: list[DataError] = []
    for layer in layers:
        try:
            fc, matched = _collection(layer, file_name, wanted, id_property)
        except DataError as err:
            errors.append(err)
            continue
        if best is None or matched > best[0]:
            best = (matched, fc)
    if best is None:
        raise errors[0]
    return best[1]


def _collection(layer: _Layer, file_name: str, wanted: list[str] | None,
                id_property: str | None) -> tuple[dict, int]:
    where = file_name if layer.name == file_name else f"{file_name} ({layer.name})"
    if len(layer.geoms) == 0:
        raise DataError(where, "has no features")
    key = _id_property(layer, where, wanted, id_property)
    name_key = _pick(layer.props, NAME_PROPERTIES, exclude=key)
    geoms = _polygons(layer, where, key)
    geoms = _to_wgs84(geoms, layer.crs, where)
    ids = [_id_text(p.get(key)) for p in layer.props]
    lookup = None if wanted is None else {w.lower(): w for w in wanted}
    grouped: dict[str, list] = {}
    names: dict[str, str] = {}
    problems = Problems(where)
    for pos, (code, geom) in enumerate(zip(ids, geoms, strict=True)):
        if not code:
            if lookup is None:
                problems.add(f"feature {pos + 1} has no {key}", column=key)
            continue
        if lookup is not None:
            code = lookup.get(code.lower())
            if code is None:
                continue
        grouped.setdefault(code, []).append(geom)
        if name_key and code not in names and layer.props[pos].get(name_key) not in (None, ""):
            names[code] = str(layer.props[pos][name_key])
    problems.raise_if_any()
    if not grouped:
        sample = next((c for c in ids if c), "")
        raise DataError(where, f"no feature matches an area id (property {key!r} holds e.g. {sample!r})",
                        column=key)
    order = [w for w in wanted if w in grouped] if wanted is not None else list(grouped)
    feats = []
    for code in order:
        parts = grouped[code]
        geom = parts[0] if len(parts) == 1 else _polygonal(shapely.union_all(parts))
        geom = shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))
        props = {"lsoa11cd": code}
        if code in names:
            props["name"] = names[code]
        feats.append({"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))})
    return {"type": "FeatureCollection", "features": feats}, len(feats)


def _id_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _pick(props: list[dict], preferred: Sequence[str], exclude: str | None = None) -> str | None:
    keys = [k for k in (props[0] if props else {}) if k != exclude]
    by_key = {column_key(k): k for k in reversed(keys)}
    for want in preferred:
        if want in by_key:
            return by_key[want]
    return None


def _id_property(layer: _Layer, where: str, wanted: list[str] | None, id_property: str | None) -> str:
    keys: list[str] = []
    for p in layer.props[:1000]:
        keys += [k for k in p if k not in keys]
    if id_property is not None:
        for k in keys:
            if k == id_property or column_key(k) == column_key(id_property):
                return k
        raise DataError(where, f"no property {id_property!r} (properties: {', '.join(keys[:12]) or 'none'})",
                        column=id_property)
    if wanted is not None and keys:
        want = {w.lower() for w in wanted}
        counts = {k: sum(_id_text(p.get(k)).lower() in want for p in layer.props) for k in keys}
        best = max(keys, key=lambda k: counts[k])
        if counts[best] > 0:
            return best
    picked = _pick(layer.props, ID_PROPERTIES)
    if picked is None:
        raise DataError(where, "no property holds the area codes (looked for lsoa11cd, lsoa_code, code, id...; "
                        f"properties: {', '.join(keys[:12]) or 'none'})")
    return picked


def _polygons(layer: _Layer, where: str, key: str) -> list:
    """Each feature's polygon(s), 2-D, repaired; every feature that is not a usable polygon is reported."""
    out = []
    problems = Problems(where)
    for pos, geom in enumerate(layer.geoms):
        label = f"feature {pos + 1}"
        code = _id_text(layer.props[pos].get(key))
        if code:
            label += f" ({key} {code!r})"
        if geom is None or shapely.is_empty(geom):
            problems.add(f"{label} has an empty geometry")
            continue
        kind = shapely.get_type_id(geom)
        if kind not in (3, 6):  # Polygon, MultiPolygon
            problems.add(f"{label} is a {geom.geom_type}: boundaries must be polygons")
            continue
        if shapely.get_coordinate_dimension(geom) > 2:
            geom = shapely.force_2d(geom)
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            problems.add(f"{label} has coordinates that are not numbers")
            continue
        if not shapely.is_valid(geom):
            geom = _polygonal(shapely.make_valid(geom))
            if shapely.is_empty(geom):
                problems.add(f"{label} has no area once its invalid rings are repaired")
                continue
        out.append(geom)
    problems.raise_if_any()
    return out


def _polygonal(geom):
    """The polygon part of a geometry (make_valid may return a GeometryCollection)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _to_wgs84(geoms: list, crs: str | None, where: str) -> list:
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    arr = np.array(geoms, dtype=object)
    xmin, ymin, xmax, ymax = shapely.total_bounds(arr)
    lonlat = bool(np.all(np.abs([xmin, xmax]) <= 180) and np.all(np.abs([ymin, ymax]) <= 90))
    source = None
    if crs:
        try:
            source = CRS.from_user_input(crs)
        except CRSError:
            raise DataError(where, f"unknown coordinate reference system {crs[:60]!r}") from None
        if source.is_geographic and source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
            source = None  # plain longitude/latitude: checked below
        elif lonlat and not source.is_geographic:
            source = None  # a projected CRS cannot give numbers this small: the declaration is wrong
    if source is None:
        if lonlat:
            if _within((xmin, xmax), 49, 61) and _within((ymin, ymax), -9, 2.5):  # latitude written first
                return list(shapely.transform(arr, lambda xy: xy[:, ::-1]))
            return list(arr)
        if BNG_X[0] <= xmin and xmax <= BNG_X[1] and BNG_Y[0] <= ymin and ymax <= BNG_Y[1]:
            source = CRS.from_epsg(27700)
        else:
            raise DataError(where, "coordinates are neither longitude/latitude nor British National Grid, and the "
                            "file does not say which system they use (add the .prj file)")
    try:
        transformer = Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)
    except CRSError:
        raise DataError(where, f"cannot convert from {source.name!r} to longitude/latitude") from None

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(arr, project)
    if not np.isfinite(shapely.get_coordinates(out)).all():
        raise DataError(where, "some coordinates cannot be converted to longitude/latitude")
    return list(out)


def _within(values: tuple[float, float], low: float, high: float) -> bool:
    return bool(min(values) >= low and max(values) <= high)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
