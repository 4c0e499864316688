"""ingest.py's coordinate and id checks as a source is read: answers no fast ingest test pinned
(`make mutants`, docs/mutants.md). The report's rows and lines (check, severity, layer, feature,
message, fix, label) are what the user sees.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import bare_config, pt
from shapely.geometry import Point

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

# -- coordinates checked as read -----------------------------------------------------------


def test_a_point_the_working_crs_cannot_hold_is_blanked_and_named_by_its_row_without_an_id():
    # customers in degrees, no id field: rows are named "<file> row <i>". (106.75°, 31.86°)
    # projects into EPSG:4545; (18°, 0°) is a valid place in EPSG:4326 but lies far outside
    # the Gauss-Krüger zone, so it cannot be reprojected: a warning (customers) for row 1,
    # labelled with the source file, its geometry blanked, row 0 kept as it was.
    source = LayerSource("customers", Path("raw/cust.gpkg"))
    raw = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(106.75, 31.86), Point(18, 0)], crs="EPSG:4326"
    )
    report = Report()
    out = ingest._blank_bad_coordinates(source, raw, bare_config(), report)
    assert out.geometry.iloc[0] == Point(106.75, 31.86) and out.geometry.iloc[1] is None
    message = (
        "feature has coordinates that are not usable numbers (NaN, infinite or out of range)"
        "; kept without a location"
    )
    assert [(r["check"], r["severity"], r["layer"], r["feature_id"]) for r in report.rows] == [
        ("bad_coordinates", "warning", "customers", "cust.gpkg row 1")
    ]
    assert report.rows[0]["message"] == (
        f"{message} (x = 18, y = 0: cannot be reprojected from EPSG:4326 to EPSG:4545)"
    )
    assert report.lines() == [
        f"warning: customers (raw/cust.gpkg): {message} — feature cust.gpkg row 1; fix: "
        "correct its coordinates in the source data (or export the layer again)"
    ]


@pytest.mark.parametrize(
    ("name", "prj", "origin", "fix"),
    [
        # A shapefile with its .prj: the .prj is to blame.
        (
            "v.shp",
            True,
            "from v.prj",
            'correct or delete v.prj and set crs = "EPSG:4545" in [layers.valves]: the '
            "config's crs is used only when the file has no CRS",
        ),
        # A shapefile without a .prj, and a CSV (a stray v.prj beside it is no part of a
        # CSV): the CRS is the config's.
        (
            "v.shp",
            False,
            "crs = 'EPSG:4326' in [layers.valves]",
            'set crs = "EPSG:4545" in [layers.valves]',
        ),
        (
            "v.csv",
            True,
            "crs = 'EPSG:4326' in [layers.valves]",
            'set crs = "EPSG:4545" in [layers.valves]',
        ),
        # A GeoPackage keeps its CRS inside (a stray .prj beside it is not read either).
        (
            "v.gpkg",
            True,
            "stored in v.gpkg",
            'export v.gpkg again with its CRS ("EPSG:4545"): the config\'s crs is used only '
            "when the file has no CRS",
        ),
    ],
)
def test_projected_numbers_under_a_degree_crs_name_where_that_crs_came_from(
    tmp_path, name, prj, origin, fix
):
    # V1 at (500000, 2067354) in "EPSG:4326": metres read as degrees, 108°E 18.69°N in
    # EPSG:4545, so the working CRS is suggested. One error for the layer, the layer dropped
    # (None), naming where the wrong CRS was set.
    if prj:
        (tmp_path / "v.prj").write_text("GEOGCS[...]")
    path = tmp_path / name
    source = LayerSource("valves", path, crs="EPSG:4326")
    raw = gpd.GeoDataFrame({"id": ["V1"]}, geometry=[Point(500_000, 2_067_354)], crs="EPSG:4326")
    report = Report()
    assert ingest._blank_bad_coordinates(source, raw, bare_config(), report) is None
    assert [(r["check"], r["severity"], r["layer"], r["feature_id"]) for r in report.rows] == [
        ("wrong_crs", "error", "valves", "V1")
    ]
    assert report.lines() == [
        f"error: valves ({path}): 1 of 1 features lie outside ±180° / ±90° (e.g. x = 500000, "
        f"y = 2067354), though the layer's CRS, {origin}, is geographic (WGS 84, degrees): the "
        "numbers look projected (metres), so that CRS is wrong — feature V1; fix: "
        f"{fix}"
    ]


# -- ids the command line or the outputs cannot keep apart ---------------------------------


def test_id_text_warnings_name_both_files_and_say_how_to_fix_each():
    # Valves from two files: V,1 (comma) and A;B (semicolon) in a.shp, ab / AB (case only)
    # across both. Each kind is one line labelled "valves (a.shp, b.shp)", with its fix.
    valves = gpd.GeoDataFrame(
        {
            "valve_id": ["V,1", "A;B", "ab", "AB"],
            "source_file": ["a.shp", "a.shp", "a.shp", "b.shp"],
        },
        geometry=[pt(i, 0) for i in range(4)],
        crs="EPSG:4545",
    )
    report = Report()
    ingest.check_id_text({"valves": valves}, report)
    assert report.lines() == [
        "warning: valves (a.shp, b.shp): valve id holds a comma, which --close and --fail read "
        "as a list separator — feature V,1; fix: give it as one whole argument (--close 'A,B' "
        "takes a known id whole; --close may be repeated), or rename the valve",
        "warning: valves (a.shp, b.shp): id holds ';', the separator of id lists in the outputs "
        "(segments.valve_ids, source_ids), which then cannot be split back — feature A;B; fix: "
        "rename the feature without ';'",
        "warning: valves (a.shp, b.shp): ids differ only in upper / lower case; spreadsheets, "
        "joins and Windows file names take them for one — features ab, AB; fix: make the ids "
        "differ by more than case",
    ]


def test_a_blank_id_is_no_placeholder_text_but_placeholders_clash_in_case():
    # A frame without source_file (check_id_text called directly): no file to name, "()".
    # The blank id (None) is no text: it clashes with no id, not even "xxxx" or "NONE"; the
    # placeholders "XXXX" and "xxxx" differ only in case, so each names the other.
    valves = gpd.GeoDataFrame(
        {"valve_id": [None, "XXXX", "xxxx", "NONE", "nan"]},
        geometry=[pt(i, 0) for i in range(5)],
        crs="EPSG:4545",
    )
    report = Report()
    ingest.check_id_text({"valves": valves}, report)
    case = (
        "ids differ only in upper / lower case; spreadsheets, joins and Windows file names "
        "take them for one"
    )
    assert [(r["check"], r["feature_id"], r["message"]) for r in report.rows] == [
        ("id_case_only", "XXXX", f"{case} (also 'xxxx')"),
        ("id_case_only", "xxxx", f"{case} (also 'XXXX')"),
    ]
    assert report.lines() == [
        f"warning: valves (): {case} — features XXXX, xxxx; fix: make the ids differ by more "
        "than case"
    ]


@pytest.mark.parametrize("dtype", ["category", "object", "str"])
def test_ids_of_any_text_column_with_a_blank_are_checked(dtype):
    # A categorical id column (as pandas reads a dictionary-encoded one) with a blank: the
    # blank was once filled with "", no category of the column, and check_id_text raised a
    # TypeError. a / A differ only in case; the blank is no id.
    valves = gpd.GeoDataFrame(
        {"valve_id": pd.Series(["a", None, "A"], dtype=dtype)},
        geometry=[pt(i, 0) for i in range(3)],
        crs="EPSG:4545",
    )
    report = Report()
    ingest.check_id_text({"valves": valves}, report)
    assert [(r["check"], r["feature_id"]) for r in report.rows] == [
        ("id_case_only", "a"),
        ("id_case_only", "A"),
    ]


def test_whole_number_ids_with_a_blank_are_checked():
    # An Int64 id column (whole numbers, one blank): the blank was once filled with "", no
    # Int64 value, and check_id_text raised a TypeError. Numbers hold no ',' or ';' and no
    # case: nothing to say.
    valves = gpd.GeoDataFrame(
        {"valve_id": pd.Series([1, None, 2], dtype="Int64")},
        geometry=[pt(i, 0) for i in range(3)],
        crs="EPSG:4545",
    )
    report = Report()
    ingest.check_id_text({"valves": valves}, report)
    assert report.rows == []
