"""Benchmark: the whole board pack for Norfolk, part by part, against peers in the same run.

Parts (each the median of 5 calls after one untimed warm-up, gc off while timing, as
``bench_metrics.timed``; "first" is that warm-up, lazy imports included):

    pack      lib.pack.build_pack (the baseline evaluation and every table)
    workbook  lib.workbook.board_workbook (xlsxwriter, formats, widths)
    csv       lib.packfiles.csv_zip (9 CSVs, zipped)
    geojson   lib.packfiles.geojson_files (centres, and lot areas: a shapely union per lot)
    html      lib.report.report_html (static SVG map, charts, folium map inlined)
    pdf       lib.report.report_pdf (WeasyPrint, A4)
    whole     all six in a row (what the Budget page's downloads cost together)

Peers: pandas ``DataFrame.to_excel`` (openpyxl engine, no formats) for the same seven sheets, and
geopandas ``dissolve`` of the LSOA polygons by group (``GeoDataFrame.from_features`` included,
as our part includes reading the polygons) for the lot areas; their answers are checked
against ours (same sheets and cells; same lots, areas within 1%). Prints figures and ratios, and
the target (whole pack <= 3 s); never asserts on time, exits non-zero only when a peer disagrees.

Dataset and scenario: the embedded Norfolk default (538 LSOAs, 54 centres) under its district
clusters (7 lots), two lots set to the application route, two consultation notes.

Run: ``python bench/bench_pack.py``
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/bench_pack.py` from the repo root
    sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from bench.bench_metrics import load_average, median, timed  # noqa: E402
from lib import examples, pack  # noqa: E402
from lib.catchment import prepare  # noqa: E402
from lib.data import boundaries_geojson, load_default  # noqa: E402
from lib.metrics import Evaluation, evaluate  # noqa: E402
from lib.packfiles import ATTRIBUTION, csv_zip, geojson_files  # noqa: E402
from lib.scenario import Scenario  # noqa: E402

REPEATS = 5
TARGET_S = 3.0
NOTES = [{"kind": "challenge", "group": "NOR", "text": "Keep the city's two hubs apart.", "author": "Officer",
          "when": "2025-03-01"},
         {"kind": "comment", "group": "", "text": "Consultation closes in April.", "author": "Officer",
          "when": "2025-03-02"}]


def norfolk() -> Evaluation:
    net = prepare(load_default())
    ev0 = evaluate(net, Scenario.baseline(net.centre_ids))
    sc = examples.starting_points(net, ev0.centre["reach"])[1]
    sc = sc.with_lots(["BRE", "NOR"], route="application", lead_type="voluntary", lead_agency="Action for Children")
    return evaluate(net, sc)


def peer_workbook(board: pack.BoardPack) -> bytes:
    """The seven sheets with pandas' openpyxl writer: values only, no formats, widths or neutralising."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in board.tables().items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def peer_lot_areas(ev: Evaluation, board: pack.BoardPack) -> str:
    """Lot areas with geopandas: the LSOA polygons dissolved by their reach centre's group, as GeoJSON."""
    areas = gpd.GeoDataFrame.from_features(boundaries_geojson(ev.net.dataset)["features"], crs="EPSG:4326")
    ids = next(c for c in areas.columns if c != "geometry" and areas[c].isin(board.areas["Area code"]).all())
    group = dict(zip(board.areas["Area code"], board.areas["Group"], strict=True))
    lot_groups = set(board.lots.loc[board.lots["Open centres"] > 0, "Group"])
    areas["group"] = areas[ids].map(group)
    return areas[areas["group"].isin(lot_groups)][["group", "geometry"]].dissolve("group").reset_index().to_json()


def check_peers(ev: Evaluation, board: pack.BoardPack, workbook: bytes) -> list[str]:
    """Where the peers' answers differ from ours (empty: they agree)."""
    import json

    problems = []
    ours_book, peer_book = (openpyxl.load_workbook(io.BytesIO(b)) for b in (workbook, peer_workbook(board)))
    if ours_book.sheetnames != peer_book.sheetnames:
        problems.append(f"sheets differ: {ours_book.sheetnames} vs {peer_book.sheetnames}")
    for name in ("Lots", "Centres", "Areas"):
        ours = [r for r in ours_book[name].iter_rows(values_only=True)]
        peer = [r for r in peer_book[name].iter_rows(values_only=True)]
        numbers = [(a, b) for ra, rb in zip(ours, peer, strict=True) for a, b in zip(ra, rb, strict=True)
                   if isinstance(b, float | int) and not isinstance(b, bool)]
        if not all(a == b for a, b in numbers):
            problems.append(f"{name}: numbers differ")
    ours_lots = {f["properties"]["group"]: shapely.from_geojson(json.dumps(f["geometry"]))
                 for f in json.loads(geojson_files(ev)["lots.geojson"])["features"]}
    peer_lots = {f["properties"]["group"]: shapely.from_geojson(json.dumps(f["geometry"]))
                 for f in json.loads(peer_lot_areas(ev, board))["features"]}
    if sorted(ours_lots) != sorted(peer_lots):
        problems.append(f"lots differ: {sorted(ours_lots)} vs {sorted(peer_lots)}")
    for g in set(ours_lots) & set(peer_lots):
        if abs(ours_lots[g].area / peer_lots[g].area - 1) > 0.01:
            problems.append(f"lot {g}: area {ours_lots[g].area:.6f} vs {peer_lots[g].area:.6f}")
    return problems


def first_and_median(fn: Callable[[], object]) -> tuple[float, float]:
    """The first call's time (s, imports included), then the median (s) of :data:`REPEATS` more."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    return first, median(timed(fn, REPEATS, warmup=0)) / 1000.0


def main() -> int:
    load = load_average()
    print(f"bench_pack: the Norfolk default's board pack; median of {REPEATS}; load average "
          f"{'n/a' if load is None else f'{load:.2f}'}")
    ev = norfolk()
    board = pack.build_pack(ev, notes=NOTES, attribution=ATTRIBUTION)

    from lib.report import report_html, report_pdf
    from lib.workbook import board_workbook

    parts: dict[str, Callable[[], object]] = {
        "pack": lambda: pack.build_pack(ev, notes=NOTES, attribution=ATTRIBUTION),
        "workbook": lambda: board_workbook(board),
        "csv": lambda: csv_zip(board),
        "geojson": lambda: geojson_files(ev),
        "html": lambda: report_html(board),
        "pdf": lambda: report_pdf(board),
    }

    def whole() -> None:
        whole_pack = pack.build_pack(ev, notes=NOTES, attribution=ATTRIBUTION)
        board_workbook(whole_pack), csv_zip(whole_pack), geojson_files(ev)
        report_html(whole_pack), report_pdf(whole_pack)

    peers = {"workbook": ("pandas to_excel (openpyxl)", lambda: peer_workbook(board)),
             "geojson": ("geopandas dissolve (lot areas only)", lambda: peer_lot_areas(ev, board))}
    print(f"{'part':<9} {'first s':>8} {'median s':>9} | peer: {'median s':>8}  ours / peer")
    for name, fn in parts.items():
        first, med = first_and_median(fn)
        line = f"{name:<9} {first:>8.3f} {med:>9.3f} |"
        if name in peers:
            label, peer = peers[name]
            peer_med = first_and_median(peer)[1]
            line += f" {peer_med:>14.3f}  {med / peer_med:.2f}x  ({label})"
        print(line)
    first, med = first_and_median(whole)
    verdict = "met" if med <= TARGET_S else "missed"
    print(f"{'whole':<9} {first:>8.3f} {med:>9.3f} | target <= {TARGET_S:g} s: {verdict}")
    sizes = {"workbook": len(board_workbook(board)), "csv zip": len(csv_zip(board)),
             "geojson": sum(map(len, geojson_files(ev).values())), "html": len(report_html(board).encode()),
             "pdf": len(report_pdf(board))}
    print("sizes: " + ", ".join(f"{k} {v / 1000:,.0f} kB" for k, v in sizes.items()))
    problems = check_peers(ev, board, board_workbook(board))
    print("peers agree with ours" if not problems else "PEERS DISAGREE: " + "; ".join(problems))
    load = load_average()
    print(f"load average at end {'n/a' if load is None else f'{load:.2f}'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
