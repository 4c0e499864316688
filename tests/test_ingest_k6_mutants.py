"""normalise_layer's numbers, dates, defaults and customers' critical flag, on tiny in-memory
layers (no files read): what the user sees is the canonical frame's values and the report's
lines."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
from conftest import line, pt

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

CONFIG = SimpleNamespace(values={}, crs="EPSG:4545")


def _raw(data: dict, geoms, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4545", index=index)


def _pipes(n: int) -> list:
    return [line((10 * i, 0), (10 * i + 10, 0)) for i in range(n)]


def _values(column: pd.Series) -> list:
    # A column's values, None for any blank (NaN, NA), so lists compare plainly.
    return [None if pd.isna(v) else v for v in column]


def test_numeric_fields_keep_their_numbers_whatever_the_frame_s_index():
    # Numeric (float64) fields in a frame whose rows are labelled 7 and 9: P1 is 110 mm and
    # laid in 2001, P2 160 mm in 1995; the years come out as integers. Nothing to warn about.
    raw = _raw(
        {
            "id": ["P1", "P2"],
            "diameter_mm": [110.0, 160.0],
            "install_year": [2001.0, 1995.0],
        },
        _pipes(2),
        index=[7, 9],
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("pipes", Path("p.gpkg")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["diameter_mm"].tolist() == [110.0, 160.0]
    assert _values(gdf["install_year"]) == [2001, 1995]


def test_years_that_are_negative_or_absurd_are_left_blank_with_a_warning():
    # install_year (a count-like int, no default) as text: -5 is negative, 1000000000 is not
    # below 1e9: both blank and warned about; 0 and 999999999 are kept as given. A negative
    # diameter (a float) is no count: kept, no warning.
    raw = _raw(
        {
            "id": ["P1", "P2", "P3", "P4"],
            "install_year": ["-5", "0", "1000000000", "999999999"],
            "diameter_mm": ["-110", "0", "1e9", "2.5"],
        },
        _pipes(4),
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("pipes", Path("/d/p.gpkg")), raw, CONFIG, report)
    assert _values(gdf["install_year"]) == [None, 0, None, 999999999]
    assert gdf["diameter_mm"].tolist() == [-110.0, 0.0, 1e9, 2.5]
    assert [(r["check"], r["feature_id"], r["message"]) for r in report.rows] == [
        ("bad_number", "P1", "install_year is not a usable number; left blank ('-5')"),
        ("bad_number", "P3", "install_year is not a usable number; left blank ('1000000000')"),
    ]
    assert report.lines() == [
        "warning: pipes (/d/p.gpkg): install_year is not a usable number; left blank — "
        "features P1, P3; fix: correct the value"
    ]


def test_fractional_years_are_rounded_with_a_warning_and_diameters_are_not():
    # install_year 2001.4 -> 2001, 1999.5 -> 2000 (halves round up, as people do), 1990 is
    # whole; diameter_mm 110.5 is a float field: kept as 110.5, no warning. The years are
    # integers (an integer field in the output), P3's blank year a blank.
    raw = _raw(
        {
            "id": ["P1", "P2", "P3", "P4"],
            "install_year": ["2001.4", "1999.5", None, "1990"],
            "diameter_mm": ["110.5", "160", "90", "75"],
        },
        _pipes(4),
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("pipes", Path("/d/p.gpkg")), raw, CONFIG, report)
    assert str(gdf["install_year"].dtype) == "Int64"
    assert _values(gdf["install_year"]) == [2001, 2000, None, 1990]
    assert gdf["diameter_mm"].tolist() == [110.5, 160.0, 90.0, 75.0]
    assert [(r["check"], r["feature_id"], r["message"]) for r in report.rows] == [
        (
            "bad_number",
            "P1",
            "install_year is not a whole number; rounded to the nearest one ('2001.4' -> 2001)",
        ),
        (
            "bad_number",
            "P2",
            "install_year is not a whole number; rounded to the nearest one ('1999.5' -> 2000)",
        ),
    ]
    assert report.lines() == [
        "warning: pipes (/d/p.gpkg): install_year is not a whole number; rounded to the "
        "nearest one — features P1, P2; fix: correct the value"
    ]


def test_hazard_dates_are_written_the_iso_way():
    # found_on 2024/3/5 and 2024年3月6日 are 2024-03-05 and 2024-03-06; due_on 20240401 is
    # 2024-04-01, and H2's blank due_on stays blank.
    raw = _raw(
        {
            "id": ["H1", "H2"],
            "category": ["占压", "腐蚀"],
            "severity": ["general", "general"],
            "status": ["open", "open"],
            "found_on": ["2024/3/5", "2024年3月6日"],
            "due_on": ["20240401", None],
        },
        [pt(0, 0), pt(5, 5)],
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("hazards", Path("h.gpkg")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["found_on"].tolist() == ["2024-03-05", "2024-03-06"]
    assert gdf["due_on"].tolist() == ["2024-04-01", None]


def test_blank_or_absent_fields_with_a_default_get_it():
    # No status field at all, and P2's blank install_year has no default: status in_service
    # for both, as DESIGN's defaults say; valves without normally / operable: open, operable.
    raw = _raw({"id": ["P1", "P2"], "install_year": ["1990", None]}, _pipes(2))
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("pipes", Path("p.gpkg")), raw, CONFIG, report)
    assert gdf["status"].tolist() == ["in_service", "in_service"]
    raw = _raw({"id": ["V1"], "normally": [None]}, [pt(0, 0)])
    gdf = ingest.normalise_layer(LayerSource("valves", Path("v.gpkg")), raw, CONFIG, report)
    assert gdf["normally"].tolist() == ["open"]
    assert gdf["operable"].tolist() == [True]
    assert report.rows == []


def test_customers_with_a_blank_critical_flag_are_critical_by_their_kind():
    # C1 a hospital, C2 a school, critical blank: critical by kind; C3 residential, blank:
    # not critical; C4 residential marked 是 (yes): critical; C5 a hospital marked 否 (no):
    # not critical. Every kind is known: no notice.
    raw = _raw(
        {
            "id": ["C1", "C2", "C3", "C4", "C5"],
            "kind": ["医院", "school", "居民", "residential", "hospital"],
            "critical": [None, None, None, "是", "否"],
        },
        [pt(i, i) for i in range(5)],
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("customers", Path("c.gpkg")), raw, CONFIG, report)
    assert report.rows == []
    assert report.notices == []
    assert gdf["critical"].tolist() == [True, True, False, True, False]
    assert gdf["households"].tolist() == [1, 1, 1, 1, 1]
    assert list(gdf.columns) == [
        "customer_id",
        "name",
        "kind",
        "critical",
        "households",
        "pipe_id",
        "source_file",
        "geometry",
    ]
