"""The board pack's files: CSV tables (a zip or a folder), GeoJSON, and :func:`write_pack` for the CLI.

CSV: one file per table of the pack (:data:`CSV_NAMES`), UTF-8 with a byte-order mark (so Excel
reads the £ sign), CRLF line ends (RFC 4180), every text cell neutralised
(:func:`lib.export.safe_frame`). Figures are the pack's tables, unchanged.

GeoJSON (RFC 7946, WGS84 longitude/latitude, 6 decimal places): ``centres.geojson``
(:func:`lib.lotgeo.centres_points`) and ``lots.geojson`` (:func:`lib.lotgeo.lot_areas`: per
lot, the union of its reach areas' polygons). Text there is data for a GIS, left as it is.

:func:`write_pack` writes one format to a path. xlsx, html and pdf are one file; csv and geojson
are a zip when the path ends in ``.zip``, else a folder of files (created if need be). A folder is
never replaced by a file nor a file by a folder; the parent folder must exist. Each file is
written to a temporary file beside it and moved into place (``os.replace``), so a reader never
sees half a file.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import zipfile
from pathlib import Path

import pandas as pd

from lib.errors import DataError
from lib.export import safe_frame
from lib.lotgeo import centres_points, lot_areas
from lib.metrics import Evaluation
from lib.pack import BoardPack

FORMATS = ("xlsx", "csv", "geojson", "html", "pdf")
CSV_NAMES = {"summary": "Summary", "lots": "Lots", "centres": "Centres", "areas": "Areas", "travel": "Travel",
             "rules": "Rules", "parameters": "Parameters", "notes": "Notes", "breaches": "breaches",
             "by_route": "by_route"}
"""CSV file stem -> table: a sheet of :meth:`BoardPack.tables` (capitalised) or a pack attribute."""
ATTRIBUTION = ("Contains public sector information licensed under the Open Government Licence v3.0. "
               "Source: ONS mid-year population estimates; MHCLG English Indices of Deprivation 2019; DfE Get "
               "Information about Schools and List of family hub sites (2025); ONS LSOA boundaries; OS and "
               "Royal Mail data © Crown copyright and database right 2025. Centre locations are postcode points, "
               "approximate or illustrative, never exact addresses.")
"""The board pack's attribution (the CLI's and the app's downloads)."""


def csv_text(frame: pd.DataFrame) -> bytes:
    """One table as CSV bytes: BOM + UTF-8, CRLF, text neutralised, no index."""
    return ("\ufeff" + safe_frame(frame).to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


def csv_files(pack: BoardPack) -> dict[str, bytes]:
    """File name -> CSV bytes for every table of the pack (names in :data:`CSV_NAMES`)."""
    sheets = pack.tables()
    return {f"{stem}.csv": csv_text(sheets[table] if table in sheets else getattr(pack, table))
            for stem, table in CSV_NAMES.items()}


def zip_bytes(files: dict[str, bytes], when: tuple[int, int, int, int, int, int]) -> bytes:
    """A deflated zip of ``files``, every member stamped ``when`` (so the same pack gives the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def _stamp(pack: BoardPack) -> tuple[int, int, int, int, int, int]:
    c = pack.created
    return (max(c.year, 1980), c.month, c.day, c.hour, c.minute, c.second)


def csv_zip(pack: BoardPack) -> bytes:
    """Every CSV of :func:`csv_files` in one zip."""
    return zip_bytes(csv_files(pack), _stamp(pack))


def geojson_bytes(collection: dict) -> bytes:
    """A FeatureCollection as compact UTF-8 JSON."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def geojson_files(ev: Evaluation) -> dict[str, bytes]:
    """``centres.geojson`` and ``lots.geojson`` of ``ev`` as UTF-8 bytes."""
    return {"centres.geojson": geojson_bytes(centres_points(ev)), "lots.geojson": geojson_bytes(lot_areas(ev))}


def _render(pack: BoardPack, fmt: str) -> bytes | dict[str, bytes]:
    """The bytes of a one-file format, or file name -> bytes for csv and geojson (``fmt`` checked)."""
    if fmt == "xlsx":
        from lib.workbook import board_workbook

        return board_workbook(pack)
    if fmt == "csv":
        return csv_files(pack)
    if fmt == "geojson":
        if pack.ev is None:
            raise ValueError("the board pack has no evaluation to draw the map from")
        return geojson_files(pack.ev)
    from lib.report import report_html, report_pdf

    return report_html(pack).encode("utf-8") if fmt == "html" else report_pdf(pack)


def _as_folder(fmt: str, output: Path) -> bool:
    return fmt in ("csv", "geojson") and output.suffix.lower() != ".zip"


def check_output(fmt: str, output: Path) -> None:
    """Refuse, before anything is built, an output that :func:`write_pack` could not write."""
    if fmt not in FORMATS:
        raise DataError("--format", f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    parent = output.parent
    if not parent.is_dir():
        raise DataError(str(output), f"the folder {str(parent)!r} does not exist")
    if _as_folder(fmt, output):
        if output.exists() and not output.is_dir():
            raise DataError(str(output), f"is a file; the {fmt} files are written to a folder "
                                         "(or give a path ending in .zip)")
    elif output.is_dir():
        raise DataError(str(output), "is a folder; give a file name")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``path`` (mode 0666 less the umask), then move it onto ``path``."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise DataError(str(path), f"cannot write ({exc.strerror or exc})") from None


def write_pack(pack: BoardPack, fmt: str, output: Path) -> list[Path]:
    """Write the pack in ``fmt`` (one of :data:`FORMATS`) to ``output``; the files written, in order.

    One file for xlsx, html, pdf and a csv or geojson ``.zip``; otherwise ``output`` is a folder
    (made if missing) holding the csv or geojson files (see the module docstring)."""
    output = Path(output)
    check_output(fmt, output)
    content = _render(pack, fmt)
    if isinstance(content, dict) and _as_folder(fmt, output):
        try:
            output.mkdir(exist_ok=True)
        except OSError as exc:
            raise DataError(str(output), f"cannot make the folder ({exc.strerror or exc})") from None
        paths = [output / name for name in content]
        for path, data in zip(paths, content.values(), strict=True):
            atomic_write(path, data)
        return paths
    atomic_write(output, zip_bytes(content, _stamp(pack)) if isinstance(content, dict) else content)
    return [output]
