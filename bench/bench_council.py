"""Cold load of a council's network: areas, real centres, boundaries, the prepared network.

Each council is loaded in a fresh Python process (nothing cached), twice: with the app's loaders
(``lib.datasets.council_dataset`` + ``lib.data.boundaries_geojson`` + ``lib.catchment.prepare``)
and with a straightforward peer (pandas reads the whole England CSV as text and validates it;
geopandas reads the whole England GeoJSON and filters it). Imports are timed apart. Prints
figures and ratios; no assertions. Target: at most 1 s for the app's load, imports excluded.

Run: ``python bench/bench_council.py [COUNCIL ...]`` (default: Norfolk, Cornwall, Kent, Lancashire,
Hampshire).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ["Norfolk", "Cornwall", "Kent", "Lancashire", "Hampshire"]

OURS = """
import json, sys, time
t0 = time.perf_counter()
from lib.catchment import prepare
from lib.data import boundaries_geojson
from lib.datasets import council_dataset
t1 = time.perf_counter()
ds = council_dataset(sys.argv[1])
t2 = time.perf_counter()
geo = boundaries_geojson(ds)
t3 = time.perf_counter()
net = prepare(ds)
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "dataset": t2 - t1, "boundaries": t3 - t2, "prepare": t4 - t3,
                  "total": t4 - t1, "areas": len(ds.areas), "centres": len(ds.centres),
                  "polygons": len(geo["features"])}))
"""

PEER = """
import json, sys, time
t0 = time.perf_counter()
import geopandas as gpd
import pandas as pd
from lib.data import DATA_DIR, validate_areas
from lib.register import council_centres
t1 = time.perf_counter()
raw = pd.read_csv(DATA_DIR / "england_lsoa11.csv.gz", dtype=str, keep_default_na=False)
areas = validate_areas(raw[raw["county_ua_name"] == sys.argv[1]].reset_index(drop=True), "england")
centres, _ = council_centres(sys.argv[1], areas)
t2 = time.perf_counter()
polys = gpd.read_file("/vsigzip/" + str(DATA_DIR / "england_lsoa11_bsc.geojson.gz"))
polys = polys[polys["lsoa11cd"].isin(areas["area_id"])]
geo = json.loads(polys.to_json())
t3 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "dataset": t2 - t1, "boundaries": t3 - t2, "prepare": 0.0,
                  "total": t3 - t1, "areas": len(areas), "centres": len(centres), "polygons": len(geo["features"])}))
"""


def run(code: str, council: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, council], capture_output=True, text=True, cwd=ROOT, env=env)
    if out.returncode:
        raise SystemExit(f"{council}: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    councils = argv or DEFAULT
    print(f"bench_council: cold load in a fresh process; load average {os.getloadavg()[0]:.2f}")
    print(f"{'council':<12} {'areas':>5} {'centres':>7} | {'ours s':>7} (dataset / boundaries / prepare) "
          f"| {'peer s':>7} | ratio | imports ours / peer s | target <= 1 s")
    for council in councils:
        ours, peer = run(OURS, council), run(PEER, council)
        assert (ours["areas"], ours["polygons"]) == (peer["areas"], peer["polygons"]), (ours, peer)
        print(f"{council:<12} {ours['areas']:>5} {ours['centres']:>7} | {ours['total']:>7.2f} "
              f"({ours['dataset']:.2f} / {ours['boundaries']:.2f} / {ours['prepare']:.3f}) | {peer['total']:>7.2f} "
              f"| {peer['total'] / ours['total']:>4.1f}x | {ours['imports']:.2f} / {peer['imports']:.2f} "
              f"| {'met' if ours['total'] <= 1 else 'missed'}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
