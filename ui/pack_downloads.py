"""Board-pack download buttons. Each file is built only when its button is clicked (a callable), never
on a rerun that does not ask for it; the pack is built once per scenario and kept in the session."""

from __future__ import annotations

import re

import streamlit as st

from lib import pack
from lib.lotgeo import centres_points, lot_areas
from lib.metrics import Evaluation
from lib.packfiles import ATTRIBUTION, csv_zip, geojson_bytes
from ui import session, workspace

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def board_pack(ev: Evaluation, base: Evaluation) -> pack.BoardPack:
    """The pack of the current scenario (with the opened scenario's consultation notes), once per content."""
    notes = workspace.notes_for_export()
    key = (ev.net.fingerprint, ev.scenario, base.scenario, repr(notes))
    return session.memo("_board_pack", key, lambda: pack.build_pack(ev, base, notes, ATTRIBUTION))


def _stem(ev: Evaluation) -> str:
    """A safe file name stem from the scenario name: 'centre-planner-district-clusters'."""
    slug = re.sub(r"[^a-z0-9]+", "-", ev.scenario.name.lower()).strip("-")[:50]
    return "centre-planner-" + (slug or "scenario")


def draw_pack_downloads(ev: Evaluation, base: Evaluation, where: str) -> None:
    """Excel workbook, report (HTML and PDF), CSV tables (zip) and GeoJSON of centres and lots.

    The workbook and report writers are imported when a button asks for a file (WeasyPrint alone takes
    half a second)."""
    from importlib import import_module

    def get() -> pack.BoardPack:
        return board_pack(ev, base)

    def lib(name: str):
        return import_module(f"lib.{name}")

    stem = _stem(ev)
    c = st.columns(3)
    c[0].download_button("Excel workbook (board pack)", lambda: lib('workbook').board_workbook(get()),
                         file_name=f"{stem}.xlsx", mime=XLSX, key=f"{where}_xlsx", width="stretch",
                         icon=":material/table_view:")
    c[1].download_button("Briefing report (HTML)", lambda: lib('report').report_html(get()).encode("utf-8"),
                         file_name=f"{stem}.html", mime="text/html", key=f"{where}_html", width="stretch",
                         icon=":material/article:")
    c[2].download_button("Briefing report (PDF)", lambda: lib('report').report_pdf(get()), file_name=f"{stem}.pdf",
                         mime="application/pdf", key=f"{where}_pdf", width="stretch",
                         icon=":material/picture_as_pdf:")
    c = st.columns(3)
    c[0].download_button("Tables (CSV, zip)", lambda: csv_zip(get()), file_name=f"{stem}-tables.zip",
                         mime="application/zip", key=f"{where}_csv", width="stretch")
    c[1].download_button("Centres (GeoJSON)", lambda: geojson_bytes(centres_points(ev)),
                         file_name=f"{stem}-centres.geojson", mime="application/geo+json", key=f"{where}_gc",
                         width="stretch")
    c[2].download_button("Lot areas (GeoJSON)", lambda: geojson_bytes(lot_areas(ev)),
                         file_name=f"{stem}-lots.geojson", mime="application/geo+json", key=f"{where}_gl",
                         width="stretch")
    st.caption("The workbook, report and CSVs show the same figures as the screen. The report opens offline "
               "and prints to A4; the GeoJSON is in WGS84 (EPSG:4326).")
