"""ingest's answers the quick mutation pass left unpinned (docs/mutants.md): customers' critical
flag, households and unrecognised kinds, valves' operable flag, a PostGIS layer's source name,
the reprojection to the working CRS, blank dates, and read_source's errors and field types.
Tiny hand-made layers and files in; the canonical values, the frame or the report out.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
from conftest import line, pt, write_dbf, write_shp
from shapely.geometry import Point

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

CONFIG = SimpleNamespace(values={}, crs="EPSG:4545")


def _raw(data: dict, geoms, crs="EPSG:4545") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def _customers(data: dict) -> gpd.GeoDataFrame:
    n = len(data["id"])
    return _raw(data, [pt(i, 0) for i in range(n)])


def _rows(report: Report) -> list[tuple]:
    return [(x["check"], x["severity"], x["layer"]) for x in report.rows]


# -- normalise_layer: customers and valves ----------------------------------------------------


def test_a_blank_critical_field_follows_the_kind_and_a_given_one_stands():
    # C1 a hospital, critical blank: critical by its kind. C2 residential, blank: not.
    # C3 residential marked 是 (yes): critical. C4 a hospital marked 否 (no): not critical.
    # A column of booleans (True / False), one per customer.
    raw = _customers(
        {
            "id": ["C1", "C2", "C3", "C4"],
            "kind": ["医院", "居民", "居民", "医院"],
            "critical": [None, None, "是", "否"],
        }
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("customers", Path("c.shp")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["critical"].dtype == bool
    assert gdf["critical"].tolist() == [True, False, True, False]


def test_a_blank_households_field_counts_one_household():
    # C1 blank: the default, 1 household; C2 says 3. Whole numbers (int64), no blank left.
    raw = _customers({"id": ["C1", "C2"], "households": [None, 3.0]})
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("customers", Path("c.shp")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["households"].dtype == "int64"
    assert gdf["households"].tolist() == [1, 3]


def test_only_customers_of_unrecognised_kinds_are_summed_up_in_a_notice():
    # 居民 is residential, 医院 hospital: recognised, no notice. 卫生院 (a clinic) is no kind
    # gasnet knows: kept as given, one customer, not critical (its critical field is blank and
    # the kind is not a critical one): the end-of-run notice names it and nothing else.
    source = LayerSource("customers", Path("/d/c.shp"))
    report = Report()
    known = _customers({"id": ["C1", "C2"], "kind": ["居民", "医院"]})
    ingest.normalise_layer(source, known, CONFIG, report)
    assert report.notices == []
    report = Report()
    mixed = _customers({"id": ["C1", "C2", "C3"], "kind": ["居民", "医院", "卫生院"]})
    gdf = ingest.normalise_layer(source, mixed, CONFIG, report)
    assert gdf["kind"].tolist() == ["residential", "hospital", "卫生院"]
    assert report.notices == [
        "customers (/d/c.shp): 1 customer of kinds not recognised, kept as given: "
        "'卫生院' (1 customer); they are not treated as critical. Critical kinds are "
        "hospital, school, care_home: if some of these are, map their labels under "
        '[values."customers.kind"] (e.g. "卫生院" = "hospital") or set their critical field'
    ]


def test_valves_operable_is_a_boolean_column_blank_meaning_operable():
    # V1 是 (yes), V2 否 (no), V3 blank: the default, operable. As booleans, so that
    # ~operable picks the valve that cannot be worked: V2.
    raw = _raw(
        {"id": ["V1", "V2", "V3"], "operable": ["是", "否", None]},
        [pt(0, 0), pt(1, 0), pt(2, 0)],
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("valves", Path("v.shp")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["operable"].dtype == bool
    assert gdf["operable"].tolist() == [True, False, True]
    assert gdf.loc[~gdf["operable"], "valve_id"].tolist() == ["V2"]


def test_a_postgis_layer_s_features_name_their_table_as_source():
    # A layer read from postgresql://u@h/gis, table gas.pipes: the source is the table (the
    # path, made from the URL, would only say "gis").
    url = "postgresql://u@h/gis"
    source = LayerSource("pipes", Path(url), url=url, sublayer="gas.pipes")
    raw = _raw({"id": ["P1"]}, [line((0, 0), (10, 0))])
    gdf = ingest.normalise_layer(source, raw, CONFIG, Report())
    assert gdf["source_file"].tolist() == ["gas.pipes"]


def test_a_layer_in_lon_lat_comes_out_in_the_working_crs_where_it_was():
    # V1 at local (5, 0) in EPSG:4545 (380005, 3526000), stored in CGCS2000 lon/lat
    # (EPSG:4490, the same datum) as 106.732215515 E, 31.850719247 N: the canonical layer is in
    # the working CRS, EPSG:4545, back at (5, 0) (to a millimetre).
    raw = _raw({"id": ["V1"]}, [Point(106.732215515, 31.850719247)], crs="EPSG:4490")
    gdf = ingest.normalise_layer(LayerSource("valves", Path("v.shp")), raw, CONFIG, Report())
    assert gdf.crs == "EPSG:4545"
    (x, y), (x0, y0) = gdf.geometry.iloc[0].coords[0], pt(5, 0).coords[0]
    assert abs(x - x0) < 1e-3 and abs(y - y0) < 1e-3


# -- parse_date ---------------------------------------------------------------------------


def test_a_numpy_not_a_time_is_a_blank_date():
    # np.datetime64("NaT") is numpy's blank date: no date, not an error; a real one is its day.
    assert ingest.parse_date(np.datetime64("NaT")) is None
    assert ingest.parse_date(np.datetime64("2024-03-05T10:00")) == "2024-03-05"


# -- read_source --------------------------------------------------------------------------


def test_a_file_that_is_not_there_is_a_missing_file_error(tmp_path):
    path = tmp_path / "valves.shp"
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _rows(r) == [("missing_file", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({path}): file not found; fix: check path = ... in [layers.valves] "
        "(relative to the config file)"
    ]


def test_a_csv_is_read_with_its_x_and_y_columns_as_points(tmp_path):
    # h.csv: H1 at x = 1, y = 2 (lon/lat, as configured): a point there, not a table GDAL
    # reads without geometry.
    path = tmp_path / "h.csv"
    path.write_bytes(b"id,x,y\nH1,1,2\n")
    r = Report()
    gdf = ingest.read_source(LayerSource("hazards", path, crs="EPSG:4326"), r)
    assert r.rows == []
    assert gdf["id"].tolist() == ["H1"]
    assert gdf.geometry.iloc[0].coords[0] == (1.0, 2.0)


def test_an_encoding_for_a_geopackage_is_an_error_naming_the_setting(tmp_path):
    # A GeoPackage's text is UTF-8 by definition: encoding = "GBK" for it is a mistake.
    path = tmp_path / "v.gpkg"
    _raw({"id": ["V1"]}, [pt(0, 0)]).to_file(path, engine="pyogrio")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="GBK"), r) is None
    assert _rows(r) == [("bad_encoding", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({path}): encoding = 'GBK' in [layers.valves], but a .gpkg file's text "
        "is always UTF-8 (GDAL reads it so; another encoding would turn it into other "
        "characters); fix: remove encoding from [layers.valves]"
    ]


def test_only_a_wide_whole_number_field_changes_the_types_gdal_reads(tmp_path):
    # No N(19+, 0) field: the fields come as GDAL types them on its own, the 10- and
    # 18-digit whole-number fields as 64-bit integers, even beside a 20-character text field,
    # a 20-digit field with decimals and a 20-wide field of a type dBASE does not define (X,
    # read as text). (Asking GDAL to scan the whole .dbf would make them 32-bit integers.)
    path = write_shp(tmp_path / "v.shp", [{"x": 1}, {"x": 2}], [pt(0, 0), pt(1, 0)], cpg=False)
    write_dbf(
        path.with_suffix(".dbf"),
        [
            ("id", "C", 20, 0),
            ("odd", "X", 20, 0),
            ("amount", "N", 20, 2),
            ("n18", "N", 18, 0),
            ("n10", "N", 10, 0),
        ],
        [("V1", "ab", b"12.50", b"12", b"7"), ("V2", "cd", b"3.00", b"5", b"8")],
    )
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path), r)
    assert r.rows == []
    assert gdf["id"].tolist() == ["V1", "V2"] and gdf["odd"].tolist() == ["ab", "cd"]
    assert gdf["amount"].dtype == "float64" and gdf["amount"].tolist() == [12.5, 3.0]
    assert gdf["n18"].dtype == "int64" and gdf["n18"].tolist() == [12, 5]
    assert gdf["n10"].dtype == "int64" and gdf["n10"].tolist() == [7, 8]


def test_a_19_digit_whole_number_field_is_read_exactly_without_a_warning(tmp_path):
    # N(19, 0) holding 51130200000001233: as floating point it would read ...1232; GDAL's
    # whole-file scan gives it an exact 64-bit integer type. Nothing to warn the user about.
    path = write_shp(tmp_path / "v.shp", [{"x": 1}], [pt(0, 0)], cpg=False)
    write_dbf(path.with_suffix(".dbf"), [("id", "N", 19, 0)], [(b"51130200000001233",)])
    r = Report()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = ingest.read_source(LayerSource("valves", path), r)
    assert r.rows == []
    assert gdf["id"].tolist() == [51130200000001233]


def test_a_shapefile_cut_short_is_a_truncated_file_error_naming_the_feature(tmp_path):
    # Three points, 28 bytes a record after the 100-byte header: 184 bytes, cut to 156, so
    # the .shx places V3 beyond the end.
    path = write_shp(tmp_path / "v.shp", [{"id": "V1"}, {"id": "V2"}, {"id": "V3"}], [pt(0, 0)] * 3)
    path.write_bytes(path.read_bytes()[:156])
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _rows(r) == [("truncated_file", "error", "valves")]
    assert [x["feature_id"] for x in r.rows] == ["V3"]


def test_a_shapefile_without_a_crs_is_a_no_crs_error_row_of_its_layer(tmp_path):
    # No .prj and no crs in the config (the line's words: test_ingest_mutants.py).
    path = write_shp(tmp_path / "p.shp", [{"id": "V1"}], [pt(0, 0)], prj=False)
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _rows(r) == [("no_crs", "error", "valves")]
