"""Data: what is loaded, a data-quality report, loading any English county or your own files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from lib.data import (
    DEFAULT_COUNTY,
    Dataset,
    apply_mapping,
    check_centres_in_areas,
    county_names,
    load_areas,
    load_assignment,
    load_county_areas,
    load_grouping,
    propose_mapping,
    quality_report,
    validate_centres,
)
from lib.datasets import council_dataset, illustrative_count
from lib.errors import DataError
from lib.network import illustrative_network
from lib.register import council_counts, councils
from lib.tables import MAX_CENTRE_ROWS, read_table, sheet_names
from lib.text import md
from ui import data_loading, session, workspace

ATTRIBUTION = (Path(__file__).parent / "attribution.md").read_text()
DEFAULT = "Norfolk default (embedded: the 2011 network of 54 centres)"
NORFOLK_2025 = "Norfolk 2025 (17 centres and hubs open today, DfE register)"
COUNTY = "An English county or unitary authority"
REAL, ILLUSTRATIVE, OWN_CENTRES = "real", "illustrative", "own"
OWN_AREAS = "My own areas file (CSV/XLSX, or the published IoD2019 / ONS files as they are)"

net = session.network()
ds = net.dataset

st.markdown("## Data")
data_loading.show_message()

# --- what is loaded -----------------------------------------------------------------------------
with st.container(border=True):
    st.markdown(f"### Loaded: {md(ds.name)}")
    c = st.columns(4)
    c[0].metric("Areas (LSOAs)", f"{len(ds.areas):,}")
    c[1].metric("Children aged 0-4", f"{ds.children:,}")
    c[2].metric("Centres", f"{len(ds.centres):,}")
    c[3].metric("Illustrative centres", f"{int(ds.centres['illustrative'].sum()):,}")
    for note in ds.notes:
        st.info(md(note, limit=None))
    report = quality_report(ds)
    if report:
        st.markdown("**Data-quality report**")
        st.dataframe(pd.DataFrame([{"Check": r["kind"], "Table": r.get("table", ""), "What": r["message"],
                                    "Ids": ", ".join(map(str, r.get("rows", [])[:12]))} for r in report]),
                     hide_index=True, width="stretch")
    else:
        st.success("Data-quality report: nothing to check.")
    with st.expander("Centres as loaded"):
        st.dataframe(ds.centres.drop(columns=["x", "y"]), hide_index=True, width="stretch")

# --- load another dataset ---------------------------------------------------------------------------
if workspace.scoped():
    st.info("This session was opened by a share link: it shows that link's scenario on the data above. "
            "Loading other data is switched off.")
    st.markdown(ATTRIBUTION)
    st.stop()

st.markdown("### Load a dataset")
st.caption("Nothing changes until the new dataset has loaded without error: a problem is reported with "
           "its file, row and column, and the current dataset and every saved scenario stay as they are.")
source = st.radio("Areas", [DEFAULT, NORFOLK_2025, COUNTY, OWN_AREAS], key="data_source")
county = st.selectbox("County or unitary authority", county_names(), key="data_county",
                      index=county_names().index("Hertfordshire")) if source == COUNTY else None
areas_file = st.file_uploader("Areas file(s)", type=["csv", "xlsx"], accept_multiple_files=True,
                              key="data_areas") if source == OWN_AREAS else None
network = OWN_CENTRES
linked_sites = False
if source == COUNTY:
    counts = council_counts(county) if county in councils() else {}
    linked = council_counts(county, linked_sites=True).get("linked site", 0) if counts else 0
    n_real = sum(counts.values())
    n_ill = illustrative_count(int(load_county_areas(county)["children"].sum()))
    labels = {REAL: (f"Real: the {n_real} centres and hubs open in 2025 ("
                     + ", ".join(f"{n} {k}" for k, n in counts.items()) + ")") if n_real else
              f"Real: none ({county} has no records in the 2025 register)",
              ILLUSTRATIVE: f"Illustrative network of {n_ill} centres (placed by the p-median rule, for what-if work)",
              OWN_CENTRES: "My own centres file"}
    options = [REAL, ILLUSTRATIVE, OWN_CENTRES] if n_real else [ILLUSTRATIVE, OWN_CENTRES]
    network = st.radio("Centres", options, format_func=labels.get, key="data_network")
    if network == REAL and linked:
        linked_sites = st.checkbox(f"Include the {linked} linked sites (outreach sites of a main centre)",
                                   key="data_linked_sites")

wants_file = source == OWN_AREAS or (source == COUNTY and network == OWN_CENTRES)
centres_upload = st.file_uploader(
    "Centres (CSV or XLSX with lat/lon, easting/northing in British National Grid, or a postcode). "
    + ("" if source == COUNTY else "Leave empty for an illustrative network placed by the p-median rule."),
    type=["csv", "xlsx"], key="data_centres") if wants_file else None
mapping = None
centre_frame = None
centres_problem: str | None = None  # a centres file that failed to read: Load is refused until it is fixed or removed
if centres_upload is not None:
    try:
        sheets = sheet_names(centres_upload.getvalue(), centres_upload.name)
        sheet = st.selectbox("Sheet", sheets, key="data_sheet") if len(sheets) > 1 else 0
        centre_frame = read_table(centres_upload.getvalue(), centres_upload.name, sheet, max_rows=MAX_CENTRE_ROWS)
        proposal = propose_mapping(centre_frame, "centres")
        st.markdown("**Columns found** (check them, and correct any that are wrong):")
        st.dataframe(centre_frame.head(5), hide_index=True, width="stretch")
        options = ["(none)", *map(str, centre_frame.columns)]
        table = proposal.table()
        mapping = {}
        cols = st.columns(4)
        for i, row in enumerate(table.itertuples(index=False)):
            current = row.source if row.source in options else "(none)"
            label = f"{row.label}{' *' if row.required else ''}" + ("" if row.confidence >= 0.9 or
                                                                     current == "(none)" else " (unsure)")
            pick = cols[i % 4].selectbox(label, options, index=options.index(current), key=f"map_{row.column}")
            mapping[row.column] = None if pick == "(none)" else pick
        for problem in proposal.problems:
            st.warning(md(problem, limit=None))
    except DataError as exc:
        data_loading.show_error(exc)
        centre_frame = None
        centres_problem = str(exc)

with st.expander("Optional: an existing reach-area assignment or boundaries"):
    assignment_upload = st.file_uploader("Reach areas (area_id -> centre_id), CSV/XLSX", type=["csv", "xlsx"],
                                         key="data_assignment")
    boundaries_upload = st.file_uploader("Boundaries: GeoJSON, zipped shapefile or GeoPackage (WGS84 or EPSG:27700)",
                                         type=["geojson", "json", "zip", "gpkg"], key="data_boundaries")
    grouping_upload = st.file_uploader("An existing grouping (centre_id or centre name -> group), CSV/XLSX: the Plan "
                                       "page starts from it; centres it omits stay in a group of their own",
                                       type=["csv", "xlsx"], key="data_grouping")

if st.button("Load this dataset", type="primary", key="data_load"):
    progress = st.progress(0, text="Reading areas…")
    try:
        if centres_problem is not None:
            raise DataError(centres_upload.name, "this centres file could not be read (see above): fix it, or "
                                                 "remove it to use an illustrative network")
        if source == DEFAULT:
            data_loading.use_default()
        elif source == NORFOLK_2025:
            data_loading.use_dataset(council_dataset(DEFAULT_COUNTY), source={"kind": "named"})
        elif source == COUNTY and network in (REAL, ILLUSTRATIVE) and not (
                assignment_upload or boundaries_upload or grouping_upload):
            progress.progress(35, text="Locating centres…")
            dataset = council_dataset(county, network, linked_sites=linked_sites)
            progress.progress(85, text="Computing figures…")
            data_loading.use_dataset(dataset, source={"kind": "named"})
        elif source == COUNTY and network != OWN_CENTRES:
            raise DataError("Load", "an assignment, boundaries or grouping file needs your own centres file too "
                                    "(choose 'My own centres file'), or remove it")
        else:
            files = [f.name for f in [*(areas_file or []), centres_upload, assignment_upload, boundaries_upload,
                                      grouping_upload] if f is not None]
            if source == COUNTY:
                areas = load_county_areas(county)
                name = county
            else:
                if not areas_file:
                    raise DataError("areas", "choose an areas file first")
                areas = data_loading.areas_from_uploads(areas_file, load_areas)
                name = areas_file[0].name.rsplit(".", 1)[0]
            progress.progress(35, text="Locating centres…")
            notes: tuple[str, ...] = ()
            if centre_frame is not None and mapping is not None:
                centres = validate_centres(apply_mapping(centre_frame, mapping, centres_upload.name),
                                           centres_upload.name)
                check_centres_in_areas(centres, areas, centres_upload.name)
            else:
                centres = illustrative_network(areas)
                notes = (data_loading.ILLUSTRATIVE_NOTE,)
            progress.progress(65, text="Reach areas and boundaries…")
            assignment = (load_assignment(assignment_upload.getvalue(), areas, centres, assignment_upload.name)
                          if assignment_upload is not None else None)
            boundaries = (data_loading.boundaries_from_upload(boundaries_upload, areas)
                          if boundaries_upload is not None else None)
            dataset = Dataset(name=name, areas=areas, centres=centres, reach_assignment=assignment,
                              boundaries=boundaries, notes=notes)
            grouping = (load_grouping(grouping_upload.getvalue(), centres, grouping_upload.name)
                        if grouping_upload is not None else None)
            progress.progress(85, text="Computing figures…")
            data_loading.use_dataset(dataset, grouping, source={"kind": "upload", "files": files})
        progress.progress(100, text="Loaded.")
        st.rerun()
    except DataError as exc:
        progress.empty()
        data_loading.show_error(exc, f"Not loaded. The current dataset ({md(ds.name)}) and your work are unchanged.")

st.caption(f"The embedded default is {DEFAULT_COUNTY}'s 2011 network of 54 centres. Any English county or unitary "
           "authority uses the bundled ONS/MHCLG LSOA data (children 0-4 mid-2020, IMD 2019, IDACI, rural/urban, "
           "centroids, boundaries) and, by default, its real centres and family hubs open in 2025 (DfE registers, "
           "each at its postcode); postcodes are geocoded offline from the bundled OS Code-Point Open gazetteer.")
st.markdown(ATTRIBUTION)
