"""Published files as councils download them: MHCLG IoD2019 File 7 and ONS SAPE population workbooks.

The real files cannot be downloaded here, so small files in their shape are written
by the helpers below. Headers: File 7's 57 column names are as published by MHCLG
(September 2019, "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv");
the SAPE23DT2 "Mid-2020 Persons" sheet has its header on row 5 ("LSOA Code", "LSOA Name",
"LA Code (2018 boundaries)", "LA name (2018 boundaries)", "LA Code (2021 boundaries)",
"LA name (2021 boundaries)", "All Ages", "0" ... "89", "90+"); the wording of its title rows
1-4 is our approximation. Values come from the bundled England file (the real ONS/MHCLG
figures) wherever it has them, so the join can be checked exactly.
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lib.data import england_areas
from lib.errors import DataError
from lib.published import IMD, POPULATION, published_areas, read_published, recognise

FILE7_HEADER = [
    "LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
    "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Score (rate)", "Income Rank (where 1 is most deprived)",
    "Income Decile (where 1 is most deprived 10% of LSOAs)", "Employment Score (rate)",
    "Employment Rank (where 1 is most deprived)", "Employment Decile (where 1 is most deprived 10% of LSOAs)",
    "Education, Skills and Training Score", "Education, Skills and Training Rank (where 1 is most deprived)",
    "Education, Skills and Training Decile (where 1 is most deprived 10% of LSOAs)",
    "Health Deprivation and Disability Score", "Health Deprivation and Disability Rank (where 1 is most deprived)",
    "Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)", "Crime Score",
    "Crime Rank (where 1 is most deprived)", "Crime Decile (where 1 is most deprived 10% of LSOAs)",
    "Barriers to Housing and Services Score", "Barriers to Housing and Services Rank (where 1 is most deprived)",
    "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)", "Living Environment Score",
    "Living Environment Rank (where 1 is most deprived)",
    "Living Environment Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Deprivation Affecting Children Index (IDACI) Score (rate)",
    "Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)",
    "Income Deprivation Affecting Children Index (IDACI) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Deprivation Affecting Older People (IDAOPI) Score (rate)",
    "Income Deprivation Affecting Older People (IDAOPI) Rank (where 1 is most deprived)",
    "Income Deprivation Affecting Older People (IDAOPI) Decile (where 1 is most deprived 10% of LSOAs)",
    "Children and Young People Sub-domain Score",
    "Children and Young People Sub-domain Rank (where 1 is most deprived)",
    "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Adult Skills Sub-domain Score", "Adult Skills Sub-domain Rank (where 1 is most deprived)",
    "Adult Skills Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Geographical Barriers Sub-domain Score", "Geographical Barriers Sub-domain Rank (where 1 is most deprived)",
    "Geographical Barriers Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Wider Barriers Sub-domain Score", "Wider Barriers Sub-domain Rank (where 1 is most deprived)",
    "Wider Barriers Sub-domain Decile (where 1 is most deprived 10% of LSOAs)", "Indoors Sub-domain Score",
    "Indoors Sub-domain Rank (where 1 is most deprived)",
    "Indoors Sub-domain Decile (where 1 is most deprived 10% of LSOAs)", "Outdoors Sub-domain Score",
    "Outdoors Sub-domain Rank (where 1 is most deprived)",
    "Outdoors Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Total population: mid 2015 (excluding prisoners)", "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
    "Population aged 16-59: mid 2015 (excluding prisoners)",
    "Older population aged 60 and over: mid 2015 (excluding prisoners)",
    "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)",
]
SAPE_HEADER = ["LSOA Code", "LSOA Name", "LA Code (2018 boundaries)", "LA name (2018 boundaries)",
               "LA Code (2021 boundaries)", "LA name (2021 boundaries)", "All Ages",
               *[str(a) for a in range(90)], "90+"]


def _bundled_rows(county: str, n: int) -> pd.DataFrame:
    raw = pd.read_csv("data/england_lsoa11.csv.gz", dtype=str, keep_default_na=False)
    return raw[raw["county_ua_name"] == county].head(n).reset_index(drop=True)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.concat([_bundled_rows("Norfolk", 10), _bundled_rows("Hertfordshire", 4)], ignore_index=True)


def file7_csv(rows: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    """A File 7 in its published shape: the real columns from the bundled file, the rest filled in."""
    real = {
        0: "lsoa11cd", 1: "lsoa11nm", 2: "lad19cd", 3: "lad19nm", 4: "imd_score", 5: "imd_rank", 6: "imd_decile",
        7: "income_score", 9: "income_decile", 12: "employment_decile", 15: "education_decile",
        18: "health_decile", 21: "crime_decile", 24: "barriers_decile", 27: "living_env_decile",
        28: "idaci_score", 29: "idaci_rank", 30: "idaci_decile", 32: "idaopi_rank", 33: "idaopi_decile",
        52: "pop_total_mid2019",
    }
    out = io.StringIO()
    pd.DataFrame([FILE7_HEADER]).to_csv(out, header=False, index=False)
    for k, row in rows.iterrows():
        cells = [row[real[c]] if c in real else (f"{0.1 + k / 100:.3f}" if "Score" in FILE7_HEADER[c] else
                                                  str(1000 + k) if "Rank" in FILE7_HEADER[c] else
                                                  str(1 + k % 10) if "Decile" in FILE7_HEADER[c] else str(300 + k))
                 for c in range(len(FILE7_HEADER))]
        pd.DataFrame([cells]).to_csv(out, header=False, index=False)
    return out.getvalue().encode(encoding)


def sape_xlsx(rows: pd.DataFrame, extra: list[list] | None = None, persons_first: bool = False) -> bytes:
    """A SAPE23DT2-shaped workbook: Contents, Males, Females, Persons; header on row 5."""
    wb = openpyxl.Workbook()
    wb.active.title = "Contents"
    wb["Contents"]["A1"] = "Lower layer Super Output Area population estimates, mid-2020 (SAPE23DT2)"
    sheets = ["Mid-2020 Males", "Mid-2020 Females", "Mid-2020 Persons"]
    for title in (sheets[::-1] if persons_first else sheets):
        ws = wb.create_sheet(title)
        ws["A1"] = ("Mid-2020 Population Estimates for Lower Layer Super Output Areas in England and Wales by "
                    "Single Year of Age and Sex")
        ws["A2"] = "National Statistics"
        ws["A3"] = title.split()[-1]
        ws.append([])  # row 4 blank
        ws.append([int(h) if h.isdigit() else h for h in SAPE_HEADER])  # row 5 (ages stored as numbers)
        half = 2 if "Persons" not in title else 1
        for _, r in rows.iterrows():
            young = [int(r[f"pop_age{a}_mid2020"]) // half for a in range(5)]
            total = int(r["pop_total_mid2020"]) // half
            rest = total - sum(young)
            older = [rest // 86] * 85 + [rest - 85 * (rest // 86)]
            ws.append([r["lsoa11cd"], r["lsoa11nm"], r["lad19cd"], r["lad19nm"], r["lad19cd"], r["lad19nm"],
                       total, *young, *older])
        for line in extra or []:
            ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_headers_recognised():
    assert recognise(FILE7_HEADER) == IMD
    assert recognise(SAPE_HEADER) == POPULATION
    assert recognise(["centre_id", "name", "lat", "lon"]) is None


def test_file7_and_sape_give_the_bundled_figures(sample):
    welsh = [["W01000001", "Isle of Anglesey 007A", "W06000001", "Isle of Anglesey", "W06000001",
              "Isle of Anglesey", 1500, 20, 21, 22, 23, 24, *[15] * 86]]
    f7 = read_published(file7_csv(sample), "File_7_-_All_IoD2019_Scores.csv")
    pop = read_published(sape_xlsx(sample, welsh), "sape23dt2mid2020lsoasyoaestimatesunformatted.xlsx")
    assert (f7.kind, f7.header_row, f7.sheet) == (IMD, 1, None)
    assert (pop.kind, pop.header_row, pop.sheet) == (POPULATION, 5, "Mid-2020 Persons")
    result = published_areas([f7, pop])
    areas = result.areas.set_index("area_id")
    ref = england_areas().set_index("area_id").loc[sample["lsoa11cd"]]
    assert list(areas.index) == list(sample["lsoa11cd"])
    assert (areas["children"] == ref["children"]).all()
    assert (areas["imd_decile"] == ref["imd_decile"]).all()
    assert np.allclose(areas["imd_score"], ref["imd_score"])
    assert (areas["idaci_decile"] == ref["idaci_decile"]).all()
    assert np.allclose(areas[["lat", "lon"]], ref[["lat", "lon"]])
    assert (areas["district"] == ref["district"]).all()
    assert any("sape23dt2" in n for n in result.notes)


def test_county_filter_and_bundled_fallbacks(sample):
    only_imd = published_areas([(file7_csv(sample), "file7.csv")], county="norfolk")
    assert len(only_imd.areas) == 10
    assert any("bundled ONS mid-2020" in n for n in only_imd.notes)
    only_pop = published_areas([(sape_xlsx(sample), "pop.xlsx")], districts=["Broxbourne", "E07000096"])
    ref = england_areas().set_index("area_id")
    assert set(ref.loc[only_pop.areas["area_id"], "district"]) <= {"Broxbourne", "Dacorum"}
    assert any("bundled MHCLG" in n for n in only_pop.notes)


def test_file7_as_cp1252_and_header_below_title_rows(sample):
    text = b"English Indices of Deprivation 2019\n\n" + file7_csv(sample.head(3), "cp1252")
    t = read_published(text, "f7.csv")
    assert t.header_row == 3
    assert t.frame["area_id"].tolist() == sample["lsoa11cd"].head(3).tolist()


def test_population_missing_for_an_area_names_the_file7_row(sample):
    f7 = file7_csv(sample)
    pop = sape_xlsx(sample.drop(index=4))
    with pytest.raises(DataError) as err:
        published_areas([(f7, "f7.csv"), (pop, "pop.xlsx")])
    assert str(err.value).startswith("f7.csv, row 6, column 'LSOA code (2011)': no population estimate")


@pytest.mark.parametrize(("column", "value", "expect"), [
    ("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)", "11",
     "f7.csv, row 4, column 'Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)'"),
    ("Index of Multiple Deprivation (IMD) Score", "high", "f7.csv, row 4, column 'Index of Multiple Deprivation"),
    ("LSOA code (2011)", "E01000001", "f7.csv, row 4, column 'LSOA code (2011)': duplicate id"),
])
def test_bad_file7_cells_are_named(sample, column, value, expect):
    frame = pd.read_csv(io.BytesIO(file7_csv(sample.head(4))), dtype=str)
    frame.loc[0, "LSOA code (2011)"] = "E01000001"
    frame.loc[2, column] = value
    with pytest.raises(DataError) as err:
        published_areas([(frame.to_csv(index=False).encode(), "f7.csv")])
    assert str(err.value).startswith(expect)


def test_lsoa_2021_code_in_file7_is_explained(sample):
    frame = pd.read_csv(io.BytesIO(file7_csv(sample.head(3))), dtype=str)
    frame.loc[1, "LSOA code (2011)"] = "E01035000"
    with pytest.raises(DataError, match=r"f7.csv, row 3, column 'LSOA code \(2011\)'.*not an English LSOA \(2011\)"):
        published_areas([(frame.to_csv(index=False).encode(), "f7.csv")])


def test_negative_age_count_is_named(sample):
    bad = sample.head(3).copy()
    bad.loc[1, "pop_age2_mid2020"] = "-5"
    with pytest.raises(DataError) as err:
        read_published(sape_xlsx(bad), "pop.xlsx")
    assert str(err.value).startswith("pop.xlsx, row 7, column '2': a negative count")


def test_unrecognised_file_and_two_of_a_kind(sample):
    with pytest.raises(DataError, match="not recognised as an IoD2019"):
        read_published(b"centre_id,name\nc1,One\n", "centres.csv")
    f7 = file7_csv(sample.head(2))
    with pytest.raises(DataError, match="two imd files"):
        published_areas([(f7, "a.csv"), (f7, "b.csv")])


def test_chosen_sheet_and_population_band_csv(sample):
    pop = read_published(sape_xlsx(sample.head(2)), "pop.xlsx", sheet="Mid-2020 Females")
    assert pop.sheet == "Mid-2020 Females"
    csv = "LSOA Code,LSOA Name,All Ages,0-4\n" + "\n".join(
        f"{r.lsoa11cd},{r.lsoa11nm},\"1,{r.pop_total_mid2020[-3:]}\",{r.pop_0_4_mid2020}"
        for r in sample.head(3).itertuples())
    t = read_published(csv.encode(), "pop.csv")
    assert t.frame["children"].tolist() == sample["pop_0_4_mid2020"].head(3).astype(float).tolist()


def test_load_areas_recognises_a_published_file(sample):
    from lib.data import load_areas

    areas = load_areas(file7_csv(sample.head(5)), "File_7.csv")
    assert areas["area_id"].tolist() == sample["lsoa11cd"].head(5).tolist()
    areas = load_areas(sape_xlsx(sample.head(3)), "sape.xlsx")  # first sheet "Contents": the Persons sheet is found
    assert areas["children"].tolist() == sample["pop_0_4_mid2020"].head(3).astype(int).tolist()
    with pytest.raises(DataError, match="no column for the children aged 0-4"):
        load_areas(b"area_id,name,lat,lon\nE01026419,A,52.6,1.2\n", "a.csv")
