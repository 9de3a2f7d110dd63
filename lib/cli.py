"""Command line.

- ``python -m lib evaluate [--county NAME [--network real|illustrative] [--linked-sites] |
  --areas FILE --centres FILE] [--scenario FILE.json] [--format json|csv]``
- ``python -m lib links SCENARIO_ID [--base URL]``: a stored scenario's editing and read-only links,
  for whoever administers the database (e.g. for one shared before links had tokens).

Prints totals, groups and centres with the keys of DESIGN.md. Errors go to
stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lib.catchment import prepare
from lib.datasets import NETWORKS, load_dataset
from lib.errors import DataError
from lib.metrics import evaluate, registry_version
from lib.scenario import Scenario


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with one line, as for data errors
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lib", description="Centre Planner figures from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="print totals, groups and centres for a scenario")
    ev.add_argument("--county", help="an English county or unitary authority (default: Norfolk)")
    ev.add_argument("--areas", type=Path, help="areas file (CSV/XLSX)")
    ev.add_argument("--centres", type=Path, help="centres file (CSV/XLSX)")
    ev.add_argument("--network", choices=NETWORKS, default="real",
                    help="with --county: the council's real centres and hubs open in 2025 (default), or an "
                         "illustrative network placed by the p-median rule; --centres overrides both")
    ev.add_argument("--linked-sites", action="store_true",
                    help="with --county and the real network: include linked sites (outreach sites of a centre)")
    ev.add_argument("--scenario", type=Path, help="scenario JSON (default: the baseline)")
    ev.add_argument("--format", choices=("json", "csv"), default="json")
    links = sub.add_parser("links", help="print a stored scenario's editing and read-only links "
                                         "(the store at $DATABASE_URL, else var/scenarios.sqlite3)")
    links.add_argument("scenario_id")
    links.add_argument("--base", default="http://localhost:8501", help="the app's address")
    links.add_argument("--format", choices=("json", "text"), default="text")
    return parser


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


def run_evaluate(args: argparse.Namespace) -> str:
    if args.centres is not None and args.areas is None and args.county is None:
        raise DataError("--centres", "give --areas with --centres (or --county with --centres)")
    dataset = load_dataset(args.county, args.areas, args.centres, network=args.network,
                           linked_sites=args.linked_sites)
    net = prepare(dataset)
    scenario = load_scenario(args.scenario, list(net.centre_ids))
    ev = evaluate(net, scenario)
    totals = ev.totals()
    centres = ev.centres_table()
    groups = ev.groups_table()
    if args.format == "json":
        return json.dumps({
            "dataset": dataset.name, "scenario": scenario.name, "registry_version": registry_version(),
            "notes": list(dataset.notes),
            "totals": {k: (_clean(v) if not isinstance(v, dict) else v) for k, v in totals.items()},
            "groups": _records(groups), "centres": _records(centres),
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = run_links(args) if args.command == "links" else run_evaluate(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as exc:
        print(f"error: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
