"""The register of centres and family hubs open in 2025: every council's real network, as the file says."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lib.catchment import dataset_fingerprint, prepare
from lib.data import county_names, load_county_areas, load_default, quality_report
from lib.datasets import council_dataset, named_dataset
from lib.examples import council_examples
from lib.metrics import evaluate
from lib.register import REGISTER_FILE, council_centres, council_counts, councils, network_name, register
from lib.scenario import Scenario

RAW = pd.read_csv(REGISTER_FILE, dtype=str, keep_default_na=False)  # the bundled file, read independently


def test_the_bundled_file_keeps_the_official_fields_only():
    assert len(RAW) == 3044 and RAW["local_authority"].nunique() == 152
    assert not [c for c in RAW.columns if c.endswith("_json") or c == "json_record_index"]
    assert set(RAW["record_kind"].value_counts().to_dict().items()) == {
        ("children's centre", 1725), ("children's centre linked site", 646),
        ("children's centre (matched to DfE family hub list)", 472), ("family hub (DfE list only)", 201)}
    assert sorted(set(county_names()) - set(councils())) == ["Swindon"]  # 151 councils have records


@pytest.mark.parametrize("council, counts", [
    ("Cornwall", {"centre + hub": 16, "children's centre": 4, "family hub": 6}),
    ("Hertfordshire", {"children's centre": 81}),
    ("Nottinghamshire", {"children's centre": 58}),
    ("Norfolk", {"centre + hub": 5, "children's centre": 10, "family hub": 2}),
])
def test_counts_by_kind_equal_the_file(council, counts):
    assert council_counts(council) == counts
    raw = RAW[(RAW["council"] == council) & (RAW["record_kind"] != "children's centre linked site")]
    assert len(raw) == sum(counts.values())
    centres, _ = council_centres(council, load_county_areas(council))
    assert centres["kind"].value_counts().to_dict() == counts  # nothing dropped: every postcode was found


def test_linked_sites_only_when_asked_and_as_their_own_kind():
    plain, _ = council_centres("Kent", load_county_areas("Kent"))
    linked, _ = council_centres("Kent", load_county_areas("Kent"), linked_sites=True)
    n_linked = int(((RAW["council"] == "Kent") & (RAW["record_kind"] == "children's centre linked site")).sum())
    assert n_linked > 0 and len(linked) == len(plain) + n_linked
    assert "linked site" not in set(plain["kind"]) and (linked["kind"] == "linked site").sum() == n_linked


@pytest.mark.parametrize("council", councils())
def test_every_council_loads(council):
    areas = load_county_areas(council)
    centres, report = council_centres(council, areas)
    assert centres["centre_id"].is_unique
    assert np.isfinite(centres[["x", "y", "lat", "lon"]].to_numpy(float)).all()
    assert set(centres["location_quality"]) <= {"postcode", "terminated postcode"}
    lost = sum(len(r["rows"]) for r in report if r["kind"].startswith(("postcode not found", "terminated postcode w")))
    raw = RAW[(RAW["council"] == council) & (RAW["record_kind"] != "children's centre linked site")]
    assert len(centres) + lost == len(raw)  # every record is a centre, or is reported


def test_live_postcodes_stand_at_their_point_terminated_at_the_lsoa_centroid_unknown_reported():
    kent, report = council_centres("Kent", load_county_areas("Kent"))
    kinds = {r["kind"]: r for r in report}
    assert kinds["postcode not found"]["rows"] == ["Garlinge Children's Centre (CT9 5NR)",
                                                   "Ray Allen Children's Centre (TN23 5RN)"]
    assert not kent["name"].isin(["Garlinge Children's Centre", "Ray Allen Children's Centre"]).any()
    term = kent[kent["location_quality"] == "terminated postcode"].iloc[0]
    raw = RAW[(RAW["council"] == "Kent") & (RAW["postcode"] == term["postcode"])].iloc[0]
    lsoa = load_county_areas("Kent").set_index("area_id").loc[raw["lsoa11cd"]]
    assert (term["x"], term["y"]) == (lsoa["x"], lsoa["y"])  # its LSOA's population-weighted centroid
    live = kent[kent["location_quality"] == "postcode"].iloc[0]
    raw = RAW[(RAW["council"] == "Kent") & (RAW["postcode"] == live["postcode"])].iloc[0]
    assert (live["x"], live["y"]) == (float(raw["easting"]), float(raw["northing"]))
    # the quality report says both, in plain words
    net = council_dataset("Kent")
    texts = {r["kind"]: r["message"] for r in quality_report(net)}
    assert "postcode not found" in texts and "terminated postcode" in texts


def test_a_centre_outside_its_council_is_reported_not_dropped():
    centres, report = council_centres("Bristol, City of", load_county_areas("Bristol, City of"))
    outside = next(r for r in report if r["kind"] == "outside the council")
    assert outside["rows"] == ["Stoke Park Primary School & Early Years Centre (BS7 0RP)"]
    assert "Stoke Park Primary School & Early Years Centre" in set(centres["name"])


def test_norfolk_s_15_bases_stand_at_their_postcode():
    ds = load_default()
    bases = ds.centres[ds.centres["status_2019"] == "base"]
    assert len(bases) == 15 and (bases["location_quality"] == "postcode").all()
    assert bases.groupby("district").size().to_dict() == {
        "Breckland": 2, "Broadland": 2, "Great Yarmouth": 2, "King's Lynn and West Norfolk": 2, "North Norfolk": 2,
        "Norwich": 3, "South Norfolk": 2}
    reg = RAW[RAW["council"] == "Norfolk"].set_index("postcode")
    for _, c in bases.iterrows():
        rec = reg.loc[c["postcode"]]
        assert rec["centre_name"] == c["register_name"]
        assert abs(c["x"] - float(rec["easting"])) < 1 and abs(c["y"] - float(rec["northing"])) < 1
    assert set(reg.index) - set(bases["postcode"]) == {"NR6 5QB", "PE30 2LB"}  # the two hub-only sites


def test_the_2019_review_keeps_the_15_real_bases():
    from lib.examples import review_2019

    net = prepare(load_default())
    reach = evaluate(net, Scenario.baseline(net.centre_ids)).centre["reach"]
    scenario, bases = review_2019(net, reach)
    assert (bases["basis"] == "known").all() and len(bases) == 15
    assert set(net.centre_ids) - scenario.closed == set(bases["centre_id"])
    assert "open in 2025" in scenario.notes and "Assumed" not in scenario.notes


def test_dataset_names_say_which_network_and_rebuild_it():
    real = council_dataset("Cornwall")
    assert real.name == "Cornwall: 26 centres and hubs open in 2025" == network_name("Cornwall", 26)
    ill = council_dataset("Cornwall", "illustrative")
    assert ill.name.startswith("Cornwall: illustrative network of ") and ill.centres["illustrative"].all()
    swindon = council_dataset("Swindon")
    assert swindon.name.startswith("Swindon: illustrative network") and "no centres in the 2025" in swindon.notes[0]
    for ds in (real, ill, swindon, council_dataset("Kent", linked_sites=True)):
        again = named_dataset(ds.name)
        assert again.name == ds.name and list(again.centres["centre_id"]) == list(ds.centres["centre_id"])
    assert dataset_fingerprint(named_dataset("Norfolk")) == dataset_fingerprint(load_default())
    legacy = named_dataset("Rutland")  # a scenario saved before real networks: the bare name, illustrative
    assert legacy.name == "Rutland" and legacy.centres["illustrative"].all()
    assert named_dataset("my upload") is None and named_dataset("Atlantis: 3 centres and hubs open in 2025") is None


def test_command_line_real_illustrative_and_own_centres(tmp_path, capsys):
    from lib.cli import main

    assert main(["evaluate", "--county", "Cornwall"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "Cornwall: 26 centres and hubs open in 2025" and out["totals"]["open_centres"] == 26
    assert main(["evaluate", "--county", "Cornwall", "--network", "illustrative"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"].startswith("Cornwall: illustrative network of ")
    path = tmp_path / "mine.csv"
    path.write_text("Name,Postcode\nTruro hub,TR1 1AA\nBodmin hub,PL31 1AA\n")
    assert main(["evaluate", "--county", "Cornwall", "--centres", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["open_centres"] == 2
    with pytest.raises(SystemExit) as bad:
        main(["evaluate", "--county", "Cornwall", "--network", "both"])
    assert bad.value.code == 2 and capsys.readouterr().err.startswith("error:")


def test_starting_points_of_the_seed_councils():
    herts = prepare(council_dataset("Hertfordshire"))
    (sc,) = council_examples(herts)
    g = evaluate(herts, sc).groups_table()
    assert g["open_centres"].between(2, 4).all() and g["open_centres"].sum() == 81
    codes = herts.dataset.centres["name"].str.extract(r"^(3R|[A-Z]{1,2})\d")[0]
    for members in g["members"]:  # every group within one district (its code letters)
        names = set(members.split("; "))
        assert codes[herts.dataset.centres["name"].isin(names)].nunique() == 1, members
    notts = prepare(council_dataset("Nottinghamshire"))
    (one,) = council_examples(notts)
    assert evaluate(notts, one).totals()["groups"] == 1 and notts.n_centres == 58
    knowsley = prepare(council_dataset("Knowsley"))
    (kn,) = council_examples(knowsley)
    assert knowsley.n_centres == 10 and "Reconstruction" in kn.notes
    assert council_examples(prepare(council_dataset("Cornwall"))) == []


def test_register_is_read_once():
    from lib import register as module

    register()
    before = module._register.cache_info()
    assert register().equals(register())
    after = module._register.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (2, 0)  # no second read of the file
