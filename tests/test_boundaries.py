"""Boundaries: GeoJSON / zipped shapefile / GeoPackage in WGS84 or EPSG:27700, matched to area ids;
hostile zips (zip-slip, absolute paths, links, bombs, too many entries) refused before extraction."""

from __future__ import annotations

import io
import json
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lib import boundaries
from lib.boundaries import england_boundaries, read_boundaries
from lib.data import Dataset, boundaries_geojson, load_county_areas, load_default, quality_report
from lib.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
NORFOLK = ROOT / "data" / "norfolk_lsoa.geojson"


@pytest.fixture(scope="module")
def norfolk() -> gpd.GeoDataFrame:
    return gpd.read_file(NORFOLK)


@pytest.fixture(scope="module")
def ids() -> list[str]:
    return load_default().areas["area_id"].tolist()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _shapefile_zip(frame: gpd.GeoDataFrame, folder: Path, prefix: str = "", extra: dict | None = None) -> bytes:
    frame.to_file(folder / "areas.shp")
    files = {f"{prefix}areas{ext}": (folder / f"areas{ext}").read_bytes()
             for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg") if (folder / f"areas{ext}").exists()}
    return _zip({**files, **(extra or {})})


def _geoms(fc: dict) -> dict[str, shapely.Geometry]:
    return {f["properties"]["lsoa11cd"]: shapely.from_geojson(json.dumps(f["geometry"])) for f in fc["features"]}


def _same(a: dict, b: dict, tol: float = 1e-4) -> bool:
    ga, gb = _geoms(a), _geoms(b)
    assert set(ga) == set(gb)
    return all(ga[k].symmetric_difference(gb[k]).area <= tol * ga[k].area for k in ga)


def test_geojson_wgs84(ids):
    fc = read_boundaries(NORFOLK, area_ids=ids)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 538
    assert [f["properties"]["lsoa11cd"] for f in fc["features"]] == ids
    assert fc["features"][0]["properties"]["name"] == "Breckland 010A"


def test_round_trip_geojson_shapefile_geopackage_in_27700(norfolk, ids, tmp_path):
    reference = read_boundaries(NORFOLK, area_ids=ids)
    bng = norfolk.to_crs(27700).rename(columns={"lsoa11cd": "LSOA11CD", "lsoa11nm": "LSOA11NM"})
    bng.to_file(tmp_path / "a.geojson", driver="GeoJSON")  # with a "crs" member naming EPSG:27700
    bng.to_file(tmp_path / "a.gpkg", driver="GPKG", layer="lsoa_2011")
    shp = _shapefile_zip(bng, tmp_path, prefix="Norfolk LSOA/", extra={"__MACOSX/._areas.shp": b"junk"})
    for source, name in ((tmp_path / "a.geojson", None), (tmp_path / "a.gpkg", None), (shp, "lsoa.zip")):
        fc = read_boundaries(source, name, area_ids=ids)
        assert _same(reference, fc), name
    # the same figures: boundaries never change the metrics, and every area keeps a polygon
    ds = load_default()
    again = Dataset(name=ds.name, areas=ds.areas, centres=ds.centres, boundaries=read_boundaries(shp, "lsoa.zip",
                                                                                               area_ids=ids))
    assert not [r for r in quality_report(again) if r["kind"] == "area without boundary"]
    assert boundaries_geojson(again)["features"][0]["properties"]["lsoa11cd"] == ids[0]
    from lib.catchment import prepare
    from lib.metrics import evaluate
    from lib.scenario import Scenario

    totals = [evaluate(net, Scenario.baseline(net.centre_ids)).totals() for net in (prepare(ds), prepare(again))]
    assert totals[0] == totals[1]


def test_bng_geojson_without_crs_member_is_detected(norfolk, ids):
    bng = norfolk.to_crs(27700)
    data = json.loads(bng.to_json())
    data.pop("crs", None)
    fc = read_boundaries(json.dumps(data).encode(), "bng.geojson", area_ids=ids)
    assert _same(read_boundaries(NORFOLK, area_ids=ids), fc)


def test_web_mercator_with_prj_and_swapped_lat_lon(norfolk, ids, tmp_path):
    merc = norfolk.to_crs(3857)
    fc = read_boundaries(_shapefile_zip(merc, tmp_path), "merc.zip", area_ids=ids)
    assert _same(read_boundaries(NORFOLK, area_ids=ids), fc)
    swapped = json.loads(norfolk.head(3).to_json())
    for f in swapped["features"]:
        f["geometry"] = json.loads(shapely.to_geojson(shapely.transform(
            shapely.from_geojson(json.dumps(f["geometry"])), lambda xy: xy[:, ::-1])))
    fixed = read_boundaries(json.dumps(swapped).encode(), "swapped.geojson")
    assert _same(fixed, read_boundaries(NORFOLK, area_ids=ids[:3]))


@pytest.mark.parametrize("prop", ["LSOA11CD", "lsoa_code", "LSOA code", "code", "AREA_ID"])
def test_common_id_property_names(norfolk, prop):
    data = json.loads(norfolk.head(5).rename(columns={"lsoa11cd": prop}).drop(columns="lsoa11nm").to_json())
    fc = read_boundaries(json.dumps(data).encode(), "b.geojson")
    assert [f["properties"]["lsoa11cd"] for f in fc["features"]] == norfolk["lsoa11cd"].head(5).tolist()


def test_id_found_by_values_and_feature_id(norfolk, ids):
    frame = norfolk.head(4).rename(columns={"lsoa11cd": "zone"})
    data = json.loads(frame.to_json())
    fc = read_boundaries(json.dumps(data).encode(), "b.geojson", area_ids=ids)
    assert len(fc["features"]) == 4
    for f, code in zip(data["features"], frame["zone"], strict=True):
        f["id"], f["properties"] = code, {}
    fc = read_boundaries(json.dumps(data).encode(), "b.geojson", area_ids=ids)
    assert len(fc["features"]) == 4


def test_national_file_is_narrowed_and_pieces_merged(norfolk, ids):
    data = json.loads(norfolk.head(6).to_json())
    data["features"].append(dict(data["features"][0], properties={"lsoa11cd": "E01000001"}))
    half = shapely.from_geojson(json.dumps(data["features"][1]["geometry"]))
    data["features"].append({"type": "Feature", "properties": {"lsoa11cd": ids[1]},
                             "geometry": json.loads(shapely.to_geojson(shapely.box(*half.bounds)))})
    fc = read_boundaries(json.dumps(data).encode(), "national.geojson", area_ids=ids[:6])
    assert [f["properties"]["lsoa11cd"] for f in fc["features"]] == ids[:6]
    assert _geoms(fc)[ids[1]].area > half.area  # the two pieces were merged


def test_england_boundaries_repair_the_three_invalid():
    fc = england_boundaries(["E01018992", "E01019228", "E01024572", "E01000001", "nope"])
    geoms = _geoms(fc)
    assert len(geoms) == 4 and all(shapely.is_valid(g) for g in geoms.values())
    herts = load_county_areas("Hertfordshire")
    ds = Dataset(name="Hertfordshire", areas=herts, centres=load_default().centres.head(0))
    assert len(boundaries_geojson(ds)["features"]) == 690


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "why"), [
    ("../evil.txt", "climbs out"), ("folder/../../evil.shp", "climbs out"), ("/tmp/evil.shp", "absolute"),
    ("C:\\Windows\\evil.dbf", "absolute"), ("..\\evil.shx", "climbs out"),
])
def test_zip_slip_entries_are_refused(tmp_path, norfolk, name, why):
    good = _shapefile_zip(norfolk.head(2), tmp_path)
    buf = io.BytesIO(good)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr(name, b"owned")
    with pytest.raises(DataError, match=why):
        read_boundaries(buf.getvalue(), "slip.zip")
    assert not (tmp_path.parent / "evil.txt").exists() and not Path("/tmp/evil.shp").exists()


def test_symlink_entry_is_refused():
    info = zipfile.ZipInfo("areas.shp")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DataError, match="symbolic link"):
        read_boundaries(buf.getvalue(), "link.zip")


def test_zip_bomb_is_refused_without_expanding():
    buf = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, zf.open("areas.shp", "w") as fh:
        for _ in range(200):  # 200 MB of zeros -> about 200 KB
            fh.write(chunk)
    assert len(buf.getvalue()) < 2 * 2**20
    with pytest.raises(DataError, match="zip bomb"):
        read_boundaries(buf.getvalue(), "bomb.zip")


def test_member_lying_about_its_size_is_stopped(tmp_path, norfolk):
    raw = bytearray(_zip({"areas.geojson": bytes(5 << 20)}))
    # shrink the declared uncompressed size (local header and central directory) to 1,000 bytes
    local = raw.find(b"PK\x03\x04")
    struct.pack_into("<I", raw, local + 22, 1000)
    central = raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 1000)
    with pytest.raises(DataError, match=r"areas\.geojson"):
        read_boundaries(bytes(raw), "liar.zip")


def test_too_many_entries_and_total_size_caps(monkeypatch):
    many = _zip({f"f{i}.txt": b"x" for i in range(boundaries.MAX_ZIP_ENTRIES + 1)})
    with pytest.raises(DataError, match="entries"):
        read_boundaries(many, "many.zip")
    monkeypatch.setattr(boundaries, "MAX_ZIP_TOTAL_BYTES", 1000)
    with pytest.raises(DataError, match="expand to more than"):
        read_boundaries(_zip({"a.geojson": b"{" + b" " * 5000 + b"}"}), "big.zip")


def test_nothing_left_in_the_temporary_folder(tmp_path, norfolk, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    read_boundaries(_shapefile_zip(norfolk.head(3), tmp_path), "ok.zip")
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(("data", "name", "expect"), [
    (b"not json at all", "b.geojson", "is not valid GeoJSON"),
    (b"[" * 100_000 + b"]" * 100_000, "deep.geojson", "nested too deeply"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"lsoa11cd": "E1"}, '
     b'"geometry": {"type": "Point", "coordinates": [1.2, 52.6]}}]}', "pts.geojson",
     "feature 1 (lsoa11cd 'E1') is a Point: boundaries must be polygons"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"lsoa11cd": "E1"}, '
     b'"geometry": {"type": "Polygon", "coordinates": [[[1, 2], "x"]]}}]}', "bad.geojson", "unreadable geometry"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"colour": "red"}, '
     b'"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}', "noid.geojson",
     "no property holds the area codes"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "E1"}, '
     b'"geometry": {"type": "Polygon", "coordinates": [[[9e6, 9e6], [9.1e6, 9e6], [9e6, 9.1e6], [9e6, 9e6]]]}}]}',
     "far.geojson", "neither longitude/latitude nor British National Grid"),
    (_zip({"readme.txt": b"hello"}), "empty.zip", "holds no shapefile"),
    (_zip({"areas.shp": b"\x00\x00\x27\x0a" + bytes(96)}), "parts.zip", "has no .shx part"),
    (b"SQLite format 3\x00" + bytes(200), "broken.gpkg", "GeoPackage"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xls", "is not a GeoJSON, zipped shapefile"),
])
def test_bad_boundary_files_are_named(data, name, expect):
    with pytest.raises(DataError) as err:
        read_boundaries(data, name)
    assert str(err.value).startswith(name) and expect in str(err.value)


def test_renamed_non_shapefile_never_reaches_gdal(tmp_path):
    vrt = b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer>' \
          b"</OGRVRTDataSource>"
    with pytest.raises(DataError, match="is not a shapefile"):
        read_boundaries(_zip({"a.shp": vrt, "a.shx": b"", "a.dbf": b""}), "vrt.zip")


def test_no_matching_area_is_an_error(norfolk):
    with pytest.raises(DataError, match="no feature matches an area id"):
        read_boundaries(NORFOLK, area_ids=["E09999999"])


def test_coordinates_are_wgs84_and_rounded(ids):
    fc = read_boundaries(NORFOLK, area_ids=ids[:20])
    xy = shapely.get_coordinates(list(_geoms(fc).values()))
    assert np.all((xy[:, 0] > -1) & (xy[:, 0] < 2) & (xy[:, 1] > 52) & (xy[:, 1] < 53.1))
    assert np.allclose(xy, np.round(xy, 6))


def test_cutting_features_from_the_bundled_file_equals_parsing_it_all():
    import gzip
    import json

    from lib import boundaries

    full = json.loads(gzip.decompress(boundaries.ENGLAND_FILE.read_bytes()))["features"]
    index = boundaries._england_index()
    assert len(index) == len(full) == 32_844
    assert all(json.loads(index[f["properties"]["lsoa11cd"]]) == f for f in full)
