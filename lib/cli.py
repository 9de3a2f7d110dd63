"""Command line.

- ``python -m lib evaluate [--county NAME [--network real|illustrative] [--linked-sites] |
  --areas FILE --centres FILE] [--scenario FILE.json] [--format json|csv]``: prints totals, groups
  and centres with the keys of DESIGN.md.
- ``python -m lib export --format xlsx|csv|geojson|html|pdf [the dataset and --scenario options of
  evaluate] [--notes FILE.json|FILE.csv] --output PATH``: writes the board pack (:mod:`lib.packfiles`):
  the workbook, the CSV tables or the GeoJSON (a folder, or a zip if PATH ends in .zip), or the
  briefing report as HTML or PDF; prints one line, what was written and its size.
- ``python -m lib links SCENARIO_ID [--base URL]``: a stored scenario's editing and read-only links,
  for whoever administers the database (e.g. for one shared before links had tokens).
- ``python -m lib suggest groups|areas|regions [the dataset and --scenario options of evaluate] ...
  --format json``: the optimisers of :mod:`lib.optimise` on the scenario: suggested lots (``groups``:
  ``--min-size --max-size --lots --min-reach --max-span --lock --lock-group --mixed-phases
  --within-districts --seed``), contiguous reach areas (``areas``: ``--min-reach``), or the most regions
  of at least ``--min-reach`` children (``regions``: ``--min-reach --seed``); prints the answer as JSON.

Errors (bad arguments, data, scenario, notes or output path) go to stderr as one line starting
"error:" with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lib.catchment import prepare
from lib.datasets import NETWORKS, load_dataset
from lib.errors import DataError
from lib.export import restore
from lib.metrics import Evaluation, evaluate, registry_version
from lib.pack import NOTE_COLUMNS, build_pack
from lib.packfiles import ATTRIBUTION, FORMATS, check_output, write_pack
from lib.scenario import Scenario
from lib.tables import read_source, read_table, rename_columns, require_columns, sheet_row


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with one line, as for data errors
        self.exit(2, f"error: {message}\n")


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The dataset and scenario options shared by evaluate and export."""
    parser.add_argument("--county", help="an English county or unitary authority (default: Norfolk)")
    parser.add_argument("--areas", type=Path, help="areas file (CSV/XLSX)")
    parser.add_argument("--centres", type=Path, help="centres file (CSV/XLSX)")
    parser.add_argument("--network", choices=NETWORKS, default="real",
                        help="with --county: the council's real centres and hubs open in 2025 (default), or an "
                             "illustrative network placed by the p-median rule; --centres overrides both")
    parser.add_argument("--linked-sites", action="store_true",
                        help="with --county and the real network: include linked sites (outreach sites of a "
                             "centre)")
    parser.add_argument("--scenario", type=Path, help="scenario JSON (default: the baseline)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lib", description="Centre Planner figures from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="print totals, groups and centres for a scenario")
    add_dataset_arguments(ev)
    ev.add_argument("--format", choices=("json", "csv"), default="json")
    export = sub.add_parser("export", help="write the board pack: workbook, CSV tables, GeoJSON or report")
    add_dataset_arguments(export)
    export.add_argument("--format", choices=FORMATS, required=True,
                        help="xlsx: the workbook; csv: every table; geojson: centres and lot areas; html, pdf: "
                             "the briefing report")
    export.add_argument("--notes", type=Path,
                        help="consultation notes, JSON (a list of objects) or CSV/XLSX, with a text column and "
                             "optionally kind, group, author, when")
    export.add_argument("--output", type=Path, required=True,
                        help="the file to write; for csv and geojson a folder, or a zip if it ends in .zip")
    links = sub.add_parser("links", help="print a stored scenario's editing and read-only links "
                                         "(the store at $DATABASE_URL, else var/scenarios.sqlite3)")
    links.add_argument("scenario_id")
    links.add_argument("--base", default="http://localhost:8501", help="the app's address")
    links.add_argument("--format", choices=("json", "text"), default="text")
    add_suggest_parser(sub)
    return parser


def _id_list(text: str) -> list[str]:
    """A comma-separated list of ids (blanks dropped)."""
    return [t.strip() for t in text.split(",") if t.strip()]


def add_suggest_parser(sub: argparse._SubParsersAction) -> None:
    """``suggest groups|areas|regions``: the optimisers, each with the dataset and scenario options."""
    suggest = sub.add_parser("suggest", help="suggest lots, reach areas or regions that meet the rules (JSON)")
    kinds = suggest.add_subparsers(dest="what", required=True)
    groups = kinds.add_parser("groups", help="suggested lots (groups) of the open centres")
    add_dataset_arguments(groups)
    groups.add_argument("--min-size", type=int, default=2, help="open centres per lot: at least (default 2)")
    groups.add_argument("--max-size", type=int, default=4, help="open centres per lot: at most (default 4)")
    groups.add_argument("--lots", type=int, help="exactly this many lots, locked ones included (default: any)")
    groups.add_argument("--min-reach", type=float,
                        help="lot reach (children of all its centres): at least (default: the scenario's rule)")
    groups.add_argument("--max-span", type=float, metavar="KM",
                        help="lot span (km between its two furthest centres): at most (default: the scenario's rule)")
    groups.add_argument("--lock", type=_id_list, action="extend", default=[], metavar="CENTRE_ID,...",
                        help="centres that keep their group (repeatable)")
    groups.add_argument("--lock-group", type=_id_list, action="extend", default=[], metavar="GROUP,...",
                        help="groups kept exactly as they are (repeatable)")
    groups.add_argument("--mixed-phases", action="store_true", help="each lot mixes at least two phases")
    groups.add_argument("--within-districts", action="store_true", help="each lot lies within one district")
    groups.add_argument("--seed", type=int, default=0, help="the same seed gives the same suggestion")
    areas = kinds.add_parser("areas", help="contiguous reach areas for the open centres")
    add_dataset_arguments(areas)
    areas.add_argument("--min-reach", type=float, default=600, help="reach per centre: at least (default 600)")
    regions = kinds.add_parser("regions", help="the most contiguous regions of at least --min-reach children")
    add_dataset_arguments(regions)
    regions.add_argument("--min-reach", type=float, default=600, help="children per region: at least (default 600)")
    regions.add_argument("--seed", type=int, default=0, help="the same seed gives the same regions")
    for kind in (groups, areas, regions):
        kind.add_argument("--format", choices=("json",), default="json")


def run_links(args: argparse.Namespace) -> str:
    """Both links of a stored scenario, read straight from the store (whoever runs this holds the database)."""
    import sqlalchemy as sa

    from lib.store import NotFound, ScenarioStore, scenarios

    with ScenarioStore() as store, store.engine.connect() as conn:
        row = conn.execute(sa.select(scenarios.c.name, scenarios.c.edit_token, scenarios.c.view_token).where(
            scenarios.c.id == args.scenario_id, sa.not_(scenarios.c.deleted))).first()
    if row is None:
        raise NotFound(args.scenario_id)
    base = args.base.rstrip("/")
    out = {"scenario_id": args.scenario_id, "name": row.name, "edit_link": f"{base}/?link={row.edit_token}",
           "view_link": f"{base}/?link={row.view_token}"}
    if args.format == "json":
        return json.dumps(out, indent=1, ensure_ascii=False)
    return f"{row.name}\nediting:   {out['edit_link']}\nread-only: {out['view_link']}"


def load_scenario(path: Path | None, centre_ids: list[str]) -> Scenario:
    """The scenario file, checked against the dataset's centres; the baseline if none."""
    if path is None:
        return Scenario.baseline(centre_ids)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(name, f"cannot read ({exc.strerror})") from None
    try:
        scenario = Scenario.from_json(text)
    except json.JSONDecodeError as exc:
        raise DataError(name, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(name, str(exc).strip("'\"")) from None
    unknown = [c for c in scenario.group_of if c not in set(centre_ids)]
    if unknown:
        raise DataError(name, f"centre id {unknown[0]!r} is not in the centres data", column="group_of")
    missing = [c for c in centre_ids if c not in scenario.group_of]
    if missing:
        raise DataError(name, f"no group for centre {missing[0]!r}", column="group_of")
    return scenario


def _clean(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else round(float(value), 4)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA:
        return None
    return value


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def load_evaluation(args: argparse.Namespace) -> Evaluation:
    """The evaluation the dataset and scenario options ask for (see :func:`add_dataset_arguments`)."""
    if args.centres is not None and args.areas is None and args.county is None:
        raise DataError("--centres", "give --areas with --centres (or --county with --centres)")
    dataset = load_dataset(args.county, args.areas, args.centres, network=args.network,
                           linked_sites=args.linked_sites)
    net = prepare(dataset)
    return evaluate(net, load_scenario(args.scenario, list(net.centre_ids)))


def run_evaluate(args: argparse.Namespace) -> str:
    ev = load_evaluation(args)
    dataset, scenario = ev.net.dataset, ev.scenario
    totals = ev.totals()
    centres = ev.centres_table()
    groups = ev.groups_table()
    if args.format == "json":
        return json.dumps({
            "dataset": dataset.name, "scenario": scenario.name, "registry_version": registry_version(),
            "notes": list(dataset.notes),
            "totals": {k: (_clean(v) if not isinstance(v, dict) else v) for k, v in totals.items()},
            "groups": _records(groups), "centres": _records(centres),
            "travel": _travel(ev),
        }, indent=1, ensure_ascii=False)
    out = io.StringIO()
    flat = {k: v for k, v in totals.items() if not isinstance(v, dict)}
    flat.update({f"flags_{k}": v for k, v in totals["flags"].items()})
    out.write("# totals\n")
    pd.DataFrame([flat]).to_csv(out, index=False)
    out.write("\n# groups\n")
    groups.to_csv(out, index=False)
    out.write("\n# centres\n")
    centres.to_csv(out, index=False)
    return out.getvalue()


def load_notes(path: Path) -> list[dict]:
    """Consultation notes from JSON (a list of objects) or a CSV/XLSX table: each note's kind, group, text,
    author and when as text (missing ones blank, other keys ignored); a text needs to be there. Text an
    export neutralised (a leading apostrophe before = + - @) is restored, so notes.csv reads back as written."""
    name = path.name
    if path.suffix.lower() == ".json":
        raw, _ = read_source(path)
        try:
            items = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise DataError(name, "is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise DataError(name, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise DataError(name, "give a list of notes, each an object with a text")
        rows = [{k: "" if item.get(k) is None else str(item[k]) for k in NOTE_COLUMNS} for item in items]

        def no_text(pos: int) -> DataError:
            return DataError(name, f"note {pos + 1} has no text")
    else:
        frame = rename_columns(read_table(path), {"note": "text", "comment": "text", "date": "when"})
        require_columns(frame, ("text",), name)
        rows = [{k: str(row.get(k, "")) for k in NOTE_COLUMNS} for row in frame.to_dict(orient="records")]

        def no_text(pos: int) -> DataError:
            return DataError(name, "the note has no text", sheet_row(pos), "text")
    blank = next((pos for pos, row in enumerate(rows) if not row["text"].strip()), None)
    if blank is not None:
        raise no_text(blank)
    return [{k: restore(v) for k, v in row.items()} for row in rows]


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 1000 else f"{n / 1000:,.1f} kB" if n < 1_000_000 else f"{n / 1e6:,.1f} MB"


def run_export(args: argparse.Namespace) -> str:
    """Build the board pack and write it; one line saying what was written."""
    check_output(args.format, args.output)
    notes = load_notes(args.notes) if args.notes is not None else None
    board = build_pack(load_evaluation(args), notes=notes, attribution=ATTRIBUTION)
    paths = write_pack(board, args.format, args.output)
    size = _size(sum(p.stat().st_size for p in paths))
    if paths == [args.output]:
        return f"wrote {args.output} ({size})"
    return f"wrote {args.output}{os.sep} ({len(paths)} files: {', '.join(p.name for p in paths)}; {size})"


def _check_suggest_groups(args: argparse.Namespace, ev: Evaluation) -> None:
    """Arguments that cannot work on this scenario: one clear error each (raised as ValueError)."""
    sc = ev.scenario
    n_open = int(ev.ctx.is_open.sum())
    if args.min_size < 1 or args.max_size < args.min_size:
        raise ValueError(f"--min-size {args.min_size} and --max-size {args.max_size}: give "
                         "1 <= --min-size <= --max-size")
    if args.lots is not None and not 1 <= args.lots <= n_open:
        raise ValueError(f"--lots {args.lots} is out of range: give 1 to {n_open} (the open centres)")
    if args.min_reach is not None and args.min_reach < 0:
        raise ValueError(f"--min-reach cannot be negative: {args.min_reach:g}")
    if args.max_span is not None and not args.max_span > 0:
        raise ValueError(f"--max-span must be positive: {args.max_span:g}")
    unknown = [c for c in args.lock if c not in sc.group_of]
    if unknown:
        raise ValueError(f"--lock: unknown centre id(s): {', '.join(unknown)}")
    shut = [c for c in args.lock if c in sc.closed]
    if shut:
        raise ValueError(f"--lock: closed centre(s) cannot be locked into a lot: {', '.join(shut)}")
    missing = [g for g in args.lock_group if g not in set(sc.group_of.values())]
    if missing:
        raise ValueError(f"--lock-group: unknown group(s): {', '.join(missing)}")


def _suggest_groups(args: argparse.Namespace, ev: Evaluation) -> dict:
    from lib.optimise.groups import GroupModel

    _check_suggest_groups(args, ev)
    m = GroupModel(ev, min_size=args.min_size, max_size=args.max_size, n_lots=args.lots,
                   min_reach=args.min_reach, max_span_km=args.max_span, locked_centres=args.lock,
                   locked_groups=args.lock_group, mixed_phases=args.mixed_phases,
                   within_districts=args.within_districts, seed=args.seed).solve()
    return {"groups": m.groups_, "broken_rules": [{k: _clean(v) for k, v in b.items()} for b in m.broken_rules_],
            "lots": m.n_lots_, "objective": _clean(m.objective_), "total_span_km": _clean(m.total_span_km_),
            "weighted_travel_km": _clean(m.weighted_travel_km_), "seconds": _clean(m.seconds_)}


def _suggest_areas(args: argparse.Namespace, ev: Evaluation) -> dict:
    from lib.optimise.areas import AreaModel

    if args.min_reach < 0:
        raise ValueError(f"--min-reach cannot be negative: {args.min_reach:g}")
    m = AreaModel(ev, min_reach=args.min_reach).solve()
    return {"assignment": m.assignment_, "below_min_reach": [{k: _clean(v) for k, v in b.items()}
                                                             for b in m.below_min_reach_],
            "weighted_km": _clean(m.weighted_km_), "baseline_weighted_km": _clean(m.baseline_weighted_km_),
            "reach": {c: round(r) for c, r in m.reach_.items()}, "home_areas": m.home_areas_,
            "areas_moved": m.areas_moved_, "min_reach": args.min_reach, "seconds": _clean(m.seconds_)}


def _suggest_regions(args: argparse.Namespace, ev: Evaluation) -> dict:
    from lib.optimise.regions import RegionModel

    if not args.min_reach > 0:
        raise ValueError(f"--min-reach must be positive: {args.min_reach:g}")
    m = RegionModel(ev, min_reach=args.min_reach, seed=args.seed).solve()
    return {"assignment": m.labels_, "regions": m.regions_, "sites": m.sites_,
            "reach": {r: round(c) for r, c in m.reach_.items()},
            "below_min_reach": [{k: _clean(v) for k, v in b.items()} for b in m.below_min_reach_],
            "min_reach": args.min_reach, "seed": args.seed, "seconds": _clean(m.seconds_)}


def run_suggest(args: argparse.Namespace) -> str:
    """An optimiser's answer on the dataset and scenario, as JSON (the dataset's name included)."""
    ev = load_evaluation(args)
    out = {"groups": _suggest_groups, "areas": _suggest_areas, "regions": _suggest_regions}[args.what](args, ev)
    return json.dumps({"dataset": ev.net.dataset.name, "scenario": ev.scenario.name, **out},
                      indent=1, ensure_ascii=False)


COMMANDS = {"evaluate": run_evaluate, "export": run_export, "links": run_links, "suggest": run_suggest}


def _travel(ev) -> dict:
    """Who travels further (lib.travel): the summary, and the affected areas."""
    from dataclasses import asdict

    from lib import travel

    trip = travel.summary(ev)
    out = {k: _clean(v) if np.isfinite(v) else None for k, v in asdict(trip).items()}
    out["mean_extra_km"] = _clean(trip.mean_extra_km) if np.isfinite(trip.mean_extra_km) else None
    out["areas"] = _records(travel.affected_areas(ev))
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = COMMANDS[args.command](args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as exc:
        print(f"error: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be written, or a system library the PDF writer needs
        print(f"error: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""), file=sys.stderr)
        return 2
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
