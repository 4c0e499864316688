"""load_layers' and normalise_layer's answers no fast ingest test pinned (`make mutants`,
docs/mutants.md): the working-CRS error's label and area, id-text warnings after loading, an
unknown value of a strict and of a free enum field, yes / no labels, numeric fields given as
numbers (infinite, negative, single precision) or as text. The report's rows and lines and the
canonical values are what the user sees.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import bare_config, line, pt, write_shp

from gasnet import ingest
from gasnet.config import Config, LayerSource
from gasnet.validate import Report


def _frame(data, geoms, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4545", index=index)


def test_an_unknown_status_of_a_pipe_is_an_error_row_on_the_pipe_and_its_line():
    # status decides which pipes are live: 报废中 is not one of its labels, never guessed.
    # One error row in layer pipes, on P1's line, the value in the message.
    source = LayerSource("pipes", Path("raw/pipes.shp"))
    raw = _frame([{"id": "P1", "status": "报废中"}], [line((0, 0), (10, 0))])
    report = Report()
    ingest.normalise_layer(source, raw, bare_config(), report)
    assert report.rows == [
        {
            "check": "unknown_value",
            "severity": "error",
            "layer": "pipes",
            "feature_id": "P1",
            "message": "unknown status values '报废中' (1); accepted: in_service, abandoned, "
            "planned (在用, 废弃, 规划 …) (status = '报废中')",
            "geometry": line((0, 0), (10, 0)),
        }
    ]


def test_an_unknown_kind_of_source_is_kept_with_a_warning_listing_the_accepted_values():
    # sources.kind is not strict: 罐车 is kept as given, one warning on S2 (its point, the
    # value in the row), the four accepted values sorted and comma separated; 门站 is a
    # city_gate.
    source = LayerSource("sources", Path("raw/sources.shp"))
    raw = _frame([{"id": "S1", "kind": "门站"}, {"id": "S2", "kind": "罐车"}], [pt(0, 0), pt(5, 5)])
    report = Report()
    gdf = ingest.normalise_layer(source, raw, bare_config(), report)
    assert gdf["kind"].tolist() == ["city_gate", "罐车"]
    message = (
        "unknown kind kept as given; accepted values: city_gate, cng, lng, storage "
        "(or their Chinese labels)"
    )
    assert report.rows == [
        {
            "check": "unknown_value",
            "severity": "warning",
            "layer": "sources",
            "feature_id": "S2",
            "message": f"{message} (kind = '罐车')",
            "geometry": pt(5, 5),
        }
    ]
    assert report.lines() == [
        f"warning: sources (raw/sources.shp): {message} — feature S2; fix: correct the "
        'value, or map it under [values."sources.kind"]'
    ]


def test_a_customer_marked_true_is_critical_whatever_its_kind():
    # critical = "true" on a household (residential, not critical by its kind): critical;
    # "false" is not. Nothing to report.
    source = LayerSource("customers", Path("raw/customers.shp"))
    raw = _frame(
        {"id": ["C1", "C2"], "kind": ["居民", "居民"], "critical": ["true", "false"]},
        [pt(0, 0), pt(5, 5)],
    )
    report = Report()
    gdf = ingest.normalise_layer(source, raw, bare_config(), report)
    assert gdf["critical"].tolist() == [True, False]
    assert report.rows == []


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_a_numeric_field_given_as_text_warns_about_what_is_not_a_number(dtype):
    # diameter_mm as text (pandas' string storage, or Python strings in an object column):
    # "n/a" is no number (left blank, a warning), "110" is 110.
    source = LayerSource("valves", Path("raw/valves.shp"))
    diameters = pd.Series(["n/a", "110"], dtype=dtype)
    raw = _frame({"id": ["V1", "V2"], "diameter_mm": diameters}, [pt(0, 0), pt(5, 5)])
    report = Report()
    gdf = ingest.normalise_layer(source, raw, bare_config(), report)
    assert gdf["diameter_mm"].tolist()[1] == 110.0 and np.isnan(gdf["diameter_mm"].iloc[0])
    assert [(r["check"], r["feature_id"], r["message"]) for r in report.rows] == [
        ("bad_number", "V1", "diameter_mm is not a usable number; left blank ('n/a')")
    ]


def test_an_infinite_diameter_is_blank_like_a_missing_one():
    # A float field: 110.0 kept; inf is no diameter: blank, as its text is, and (like a
    # blank) no warning.
    source = LayerSource("valves", Path("raw/valves.shp"))
    raw = _frame({"id": ["V1", "V2"], "diameter_mm": [110.0, np.inf]}, [pt(0, 0), pt(5, 5)])
    report = Report()
    gdf = ingest.normalise_layer(source, raw, bare_config(), report)
    assert gdf["diameter_mm"].iloc[0] == 110.0 and np.isnan(gdf["diameter_mm"].iloc[1])
    assert report.rows == []


@pytest.mark.parametrize("dtype", ["float32", "Float32"])
def test_a_single_precision_diameter_is_the_number_written_not_its_double_precision_value(dtype):
    # A GDAL Float32 field (numpy or nullable storage): 32.3 in single precision is
    # 32.29999923706055 in double precision; the diameter is the value written, 32.3 (its
    # own shortest digits, as its text reads), and 0.1 is 0.1; 110.5 is exact in both.
    source = LayerSource("valves", Path("raw/valves.shp"))
    diameters = pd.Series([32.3, 0.1, 110.5], dtype=dtype)
    raw = _frame(
        {"id": ["V1", "V2", "V3"], "diameter_mm": diameters}, [pt(0, 0), pt(5, 5), pt(9, 9)]
    )
    report = Report()
    gdf = ingest.normalise_layer(source, raw, bare_config(), report)
    assert gdf["diameter_mm"].tolist() == [32.3, 0.1, 110.5]
    assert report.rows == []


def test_a_negative_household_count_in_a_slice_of_a_frame_is_warned_about():
    # A frame indexed 10, 11 (a slice of a bigger one), households as integers: 3 kept; -3 is
    # no count: the default 1 and a warning on C2.
    source = LayerSource("customers", Path("raw/customers.shp"))
    raw = _frame(
        {"id": ["C1", "C2"], "households": np.array([3, -3])}, [pt(0, 0), pt(5, 5)], [10, 11]
    )
    report = Report()
    gdf = ingest.normalise_layer(source, raw, bare_config(), report)
    assert gdf["households"].tolist() == [3, 1]
    assert [(r["check"], r["feature_id"], r["message"]) for r in report.rows] == [
        ("bad_number", "C2", "households is not a usable number; default 1 used (-3)")
    ]


def _pipes_config(tmp_path, crs) -> Config:
    # Only pipes configured: P1 (0,0)-(100,0), P;2 (100,0)-(200,0), in EPSG:4545.
    shp = write_shp(
        tmp_path / "pipes.shp",
        [{"id": "P1"}, {"id": "P;2"}],
        [line((0, 0), (100, 0)), line((100, 0), (200, 0))],
    )
    layers = {"pipes": [LayerSource("pipes", shp)]}
    return dataclasses.replace(bare_config(), path=tmp_path / "gasnet.toml", crs=crs, layers=layers)


def test_a_working_crs_made_elsewhere_is_an_error_labelled_with_the_config_naming_its_area(
    tmp_path,
):
    # The pipes are in EPSG:4545 (Gauss-Krüger CM 108°E; near Bazhong, 106.73°E 31.85°N), the
    # working CRS the zone of CM 120°E, EPSG:4549: the pipes are reprojected (placed by a CRS
    # of their own), so the error says where that zone is made for, 118.5°E to 121.5°E, as
    # well as that it stretches lengths by 2 % there (over the 1 % allowed); it is labelled
    # with the config file, the place to change, and suggests the pipes' own zone.
    config = _pipes_config(tmp_path, "EPSG:4549")
    _, report = ingest.load_layers(config)
    assert report.lines("error") == [
        f"error: {tmp_path / 'gasnet.toml'}: [project] crs EPSG:4549 (CGCS2000 / 3-degree "
        "Gauss-Kruger CM 120E) does not fit the pipe network at 106.73°E 31.85°N: it is made "
        "for China - onshore between 118°30'E and 121°30'E (118.50°E 24.43°N to 121.50°E "
        "53.33°N); it stretches lengths there by 2.0 %; pipe lengths, volumes and every metre "
        "tolerance (snap_tolerance_m, customer_max_distance_m) would be wrong; fix: set "
        '[project] crs to a projected CRS in metres made for the area, e.g. crs = "EPSG:4545" '
        "(CGCS2000 / 3-degree Gauss-Kruger CM 108E)"
    ]


def test_an_id_holding_the_list_separator_is_warned_about_after_loading(tmp_path):
    # Pipe P;2 holds ";", which separates the ids of a list in the outputs: one warning on
    # it (and its line), from load_layers itself.
    _, report = ingest.load_layers(_pipes_config(tmp_path, "EPSG:4545"))
    assert [(r["severity"], r["feature_id"], r["geometry"]) for r in report.rows] == [
        ("warning", "P;2", line((100, 0), (200, 0)))
    ]
    assert report.lines() == [
        "warning: pipes (pipes.shp): id holds ';', the separator of id lists in the outputs "
        "(segments.valve_ids, source_ids), which then cannot be split back — feature P;2; "
        "fix: rename the feature without ';'"
    ]
