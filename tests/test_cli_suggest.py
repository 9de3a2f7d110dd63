"""``python -m lib suggest groups|areas|regions`` on the Norfolk default, as a user runs it (subprocess):
the JSON keys, and one "error:" line with exit code 2 for bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib", "suggest", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def answer(*args: str) -> dict:
    out = run(*args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_suggest_areas():
    got = answer("areas", "--min-reach", "600")
    assert {"assignment", "below_min_reach", "weighted_km", "baseline_weighted_km", "reach", "home_areas",
            "areas_moved", "min_reach", "seconds", "dataset"} <= set(got)
    assert len(got["assignment"]) == 538 and sum(got["reach"].values()) == 44201
    assert set(got["assignment"].values()) == set(got["reach"])
    assert got["weighted_km"] >= got["baseline_weighted_km"] > 0
    for b in got["below_min_reach"]:
        assert {"centre_id", "name", "reach", "short_by", "why"} <= set(b) and b["reach"] < 600


def test_suggest_regions_is_deterministic_for_a_seed():
    got = answer("regions", "--min-reach", "600", "--seed", "3")
    assert {"assignment", "regions", "sites", "reach", "below_min_reach", "seconds"} <= set(got)
    assert got["regions"] == len(got["sites"]) == len(set(got["assignment"].values())) >= 58
    assert all(got["assignment"][a] == r for r, a in got["sites"].items())
    assert min(got["reach"].values()) >= 600
    again = answer("regions", "--seed", "3")
    assert again["assignment"] == got["assignment"]


def test_suggest_groups():
    got = answer("groups", "--min-size", "2", "--max-size", "4", "--lots", "20", "--lock", "nfk-cromer",
                 "--seed", "1")
    assert {"groups", "broken_rules", "lots", "objective", "seconds"} <= set(got)
    assert len(got["groups"]) == 54 and got["lots"] == len(set(got["groups"].values()))
    assert got["groups"]["nfk-cromer"] == "G" + str(1 + list(got["groups"]).index("nfk-cromer"))
    assert isinstance(got["broken_rules"], list) and got["objective"] > 0


@pytest.mark.parametrize(("args", "says"), [
    (["groups", "--lock", "nfk-nowhere"], "nfk-nowhere"),
    (["groups", "--min-size", "5", "--max-size", "3"], "--min-size"),
    (["groups", "--lots", "0"], "--lots"),
    (["groups", "--lots", "999"], "--lots"),
    (["groups", "--lock-group", "G999"], "G999"),
    (["groups", "--max-span", "-1"], "--max-span"),
    (["areas", "--min-reach", "-5"], "--min-reach"),
    (["regions", "--min-reach", "0"], "--min-reach"),
    (["regions", "--format", "csv"], "--format"),
    (["areas", "--county", "Atlantis"], "Atlantis"),
    (["nonsense"], "nonsense"),
])
def test_bad_arguments_exit_2_with_one_line(args, says):
    out = run(*args)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0]
