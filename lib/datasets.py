"""The one place that turns a data source into a :class:`~lib.data.Dataset` the app plans on.

Sources, each in its own module:

- ``lib.data``: the LSOA areas of England (``data/england_lsoa11.csv.gz``) and the checks that
  turn any table into canonical areas / centres; the embedded Norfolk default;
- ``lib.register``: the register of centres and family hubs open in 2025 (a council's real network);
- ``lib.network``: an illustrative network placed by the p-median rule;
- ``lib.published``, ``lib.geocode``, ``lib.boundaries``, ``lib.tables``: published files as they
  are, postcodes, boundaries, and users' own tables.

Where do Cornwall's centres come from? :func:`council_dataset` ("Cornwall", network "real"):
``lib.register``. Dataset names say which network they hold ("Cornwall: 26 centres and hubs
open in 2025", "Cornwall: illustrative network of 29 centres"), and :func:`named_dataset`
rebuilds a dataset from its name alone (for a saved scenario, a link or a draft).
"""

from __future__ import annotations

import re
from pathlib import Path

from lib.data import (
    DEFAULT_COUNTY,
    Dataset,
    check_centres_in_areas,
    county_names,
    load_areas,
    load_assignment,
    load_centres,
    load_county_areas,
    load_default,
)
from lib.errors import DataError
from lib.network import CHILDREN_PER_ILLUSTRATIVE_CENTRE, illustrative_network
from lib.register import SOURCE, council_centres, councils, network_name

__all__ = ["NETWORKS", "council_dataset", "illustrative_count", "load_dataset", "named_dataset"]

NETWORKS = ("real", "illustrative")
_REAL_NAME = re.compile(r"^(?P<council>.+): (?:\d+ centres and hubs|1 centre or hub) open in 2025"
                        r"(?P<linked> \(with linked sites\))?$")
_ILLUSTRATIVE_NAME = re.compile(r"^(?P<council>.+): illustrative network of \d+ centres?$")


def illustrative_count(children: int) -> int:
    """How many centres the illustrative network places: round(children / 820), at least 1."""
    return max(1, round(int(children) / CHILDREN_PER_ILLUSTRATIVE_CENTRE))


def council_dataset(council: str, network: str = "real", *, linked_sites: bool = False) -> Dataset:
    """A council's areas with its real 2025 network (children's centres, centre + hub sites and hub-only
    sites; ``linked_sites`` adds the outreach sites), or an illustrative one (``network="illustrative"``,
    and for a council with no records, e.g. Swindon, with a note saying so)."""
    if network not in NETWORKS:
        raise DataError("--network", f"network must be one of {', '.join(NETWORKS)}, not {network!r}")
    areas = load_county_areas(council)
    council = next(c for c in county_names() if c.lower() == council.strip().lower())
    if network == "real" and council in councils():
        centres, report = council_centres(council, areas, linked_sites=linked_sites)
        if len(centres):
            name = network_name(council, len(centres)) + (" (with linked sites)" if linked_sites else "")
            notes = (f"Real network: the {len(centres)} sites of {council} open in 2025 ({SOURCE}). Each stands at "
                     "its postcode, a unit-postcode point, not the building"
                     + ("; linked sites (outreach sites of a main centre) included." if linked_sites else "."),)
            return Dataset(name=name, areas=areas, centres=centres, notes=notes, source_report=tuple(report))
    centres = illustrative_network(areas)
    why = f"{council} has no centres in the 2025 register, so the" if network == "real" else "The"
    notes = (f"{why} centre network is illustrative: {len(centres)} centres placed by the p-median rule (one per "
             f"about {CHILDREN_PER_ILLUSTRATIVE_CENTRE} children); not real locations.",)
    return Dataset(name=f"{council}: illustrative network of {len(centres)} centres", areas=areas,
                   centres=centres, notes=notes)


def named_dataset(name: str) -> Dataset | None:
    """The dataset a name stands for, rebuilt from bundled data alone; None for uploaded data.

    "Norfolk" is the embedded default; "<council>: N centres and hubs open in 2025" its real network;
    "<council>: illustrative network of N centres", and a bare council name (as saved before real
    networks), its illustrative network (the bare name kept, so old scenarios still match)."""
    if name == DEFAULT_COUNTY:
        return load_default()
    if m := _REAL_NAME.match(name):
        if m["council"] in county_names():
            return council_dataset(m["council"], "real", linked_sites=bool(m["linked"]))
        return None
    if m := _ILLUSTRATIVE_NAME.match(name):
        return council_dataset(m["council"], "illustrative") if m["council"] in county_names() else None
    if name in county_names():
        ds = council_dataset(name, "illustrative")
        return Dataset(name=name, areas=ds.areas, centres=ds.centres, notes=ds.notes)
    return None


def load_dataset(county: str | None = None, areas_file: str | Path | None = None,
                 centres_file: str | Path | None = None, assignment_file: str | Path | None = None,
                 boundaries_file: str | Path | None = None, *, network: str = "real",
                 linked_sites: bool = False) -> Dataset:
    """The dataset the command line asks for: the default, a council (its real network, or with
    ``network="illustrative"`` the p-median one), or user files (``centres_file`` overrides both
    networks; areas without centres get an illustrative network)."""
    if (county is None and areas_file is None and centres_file is None and assignment_file is None
            and boundaries_file is None):
        return load_default()
    if county is not None and centres_file is None and areas_file is None and assignment_file is None \
            and boundaries_file is None:
        return council_dataset(county, network, linked_sites=linked_sites)
    boundaries: Path | dict | None = None
    if areas_file is not None:
        areas = load_areas(areas_file)
        name = Path(str(areas_file)).stem
    elif county is None:
        default = load_default()
        areas, name, boundaries = default.areas, DEFAULT_COUNTY, default.boundaries
    else:
        areas = load_county_areas(county)
        name = county
    notes: tuple[str, ...] = ()
    if centres_file is not None:
        centres = load_centres(centres_file)
        check_centres_in_areas(centres, areas, Path(str(centres_file)).name)
    else:
        centres = illustrative_network(areas)
        notes = ("No centres given: the centre network is illustrative, placed by the p-median rule.",)
    assignment = load_assignment(assignment_file, areas, centres) if assignment_file is not None else None
    if boundaries_file is not None:
        from lib.boundaries import read_boundaries

        boundaries = read_boundaries(boundaries_file, area_ids=areas["area_id"])
    return Dataset(name=name, areas=areas, centres=centres, reach_assignment=assignment, boundaries=boundaries,
                   notes=notes)
