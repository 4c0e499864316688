"""normalise_layer's answers no fast ingest test pinned (`make mutants`, docs/mutants.md): an id
field matching two fields in different scripts, features of the wrong geometry type, configured
fields that are not there, labels of an enum and a yes / no field. The report's rows and lines
(check, severity, layer, message, fix, label) and the canonical values are what the user sees.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from conftest import bare_config, line, pt
from shapely.geometry import Polygon

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report


def _frame(rows, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=list(geoms), crs="EPSG:4545")


def test_an_id_field_two_fields_match_in_either_script_is_an_error_asking_for_the_exact_name():
    # id = "编号" (Simplified); the file has 編號 and 编號, both 编号 in Simplified: which one is
    # meant cannot be told, so the id is not found and the message says why (no garbled names:
    # it is a .gpkg, so no GBK hint).
    source = LayerSource("valves", Path("raw/valves.gpkg"), id_field="\u7f16\u53f7")
    raw = _frame([{"\u7de8\u865f": "V1", "\u7f16\u865f": "V2"}], [pt(0, 0)])
    report = Report()
    assert ingest.normalise_layer(source, raw, bare_config(), report) is None
    message = (
        "id field '\u7f16\u53f7' not found (fields: \u7de8\u865f, \u7f16\u865f) — "
        "'\u7f16\u53f7' (\u7de8\u865f, \u7f16\u865f): several fields differ only in "
        "Simplified / Traditional characters; write the exact field name"
    )
    assert report.rows == [
        {
            "check": "missing_field",
            "severity": "error",
            "layer": "valves",
            "feature_id": None,
            "message": message,
            "geometry": None,
        }
    ]
    assert report.lines() == [
        f'error: valves (raw/valves.gpkg): {message}; fix: set id = "FIELD" in [layers.valves]'
    ]


def test_features_of_the_wrong_geometry_type_are_one_error_naming_the_types_found():
    # pipes want LineString / MultiLineString: P2 is a Point, P3 a Polygon (sorted, comma
    # separated); P1 is right. The fix names the layer's first geometry type.
    source = LayerSource("pipes", Path("raw/pipes.shp"))
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    raw = _frame(
        [{"id": "P1"}, {"id": "P2"}, {"id": "P3"}], [line((0, 0), (1, 0)), pt(5, 5), square]
    )
    report = Report()
    assert ingest.normalise_layer(source, raw, bare_config(), report) is None
    message = "Point, Polygon geometry where LineString / MultiLineString is expected"
    assert [(r["check"], r["severity"], r["layer"], r["feature_id"]) for r in report.rows] == [
        ("wrong_geometry_type", "error", "pipes", "P2"),
        ("wrong_geometry_type", "error", "pipes", "P3"),
    ]
    assert {r["message"] for r in report.rows} == {message}
    assert report.lines() == [
        f"error: pipes (raw/pipes.shp): {message} — features P2, P3; fix: point [layers.pipes] "
        "at a LineString layer (is the right file configured?)"
    ]


def test_at_most_1000_features_of_the_wrong_geometry_type_are_listed():
    # 1001 valves drawn as lines: the report lists the first 1000 (V0 .. V999), not V1000.
    source = LayerSource("valves", Path("raw/valves.shp"))
    raw = _frame([{"id": f"V{i}"} for i in range(1001)], [line((0, 0), (1, 0))] * 1001)
    report = Report()
    assert ingest.normalise_layer(source, raw, bare_config(), report) is None
    assert [r["feature_id"] for r in report.rows] == [f"V{i}" for i in range(1000)]


def test_a_configured_field_that_is_not_there_is_an_error_naming_only_it():
    # [layers.valves.fields] normally = "状态", operable = "可用": the file has 状态 but not 可用.
    source = LayerSource(
        "valves",
        Path("raw/valves.shp"),
        fields={"normally": "\u72b6\u6001", "operable": "\u53ef\u7528"},
    )
    raw = _frame([{"id": "V1", "\u72b6\u6001": "\u5e38\u95ed"}], [pt(0, 0)])
    report = Report()
    assert ingest.normalise_layer(source, raw, bare_config(), report) is None
    message = "configured field(s) \u53ef\u7528 not found (fields: id, \u72b6\u6001)"
    assert report.rows == [
        {
            "check": "missing_field",
            "severity": "error",
            "layer": "valves",
            "feature_id": None,
            "message": message,
            "geometry": None,
        }
    ]
    assert report.lines() == [
        f"error: valves (raw/valves.shp): {message}; fix: correct [layers.valves.fields]"
    ]


def test_configured_fields_and_their_labels_give_the_canonical_values():
    # normally from 状态 (常闭 -> closed), operable from 可用 (否 -> False, 1.0 -> "1" -> True):
    # nothing to report.
    source = LayerSource(
        "valves",
        Path("raw/valves.shp"),
        fields={"normally": "\u72b6\u6001", "operable": "\u53ef\u7528"},
    )
    raw = _frame(
        [
            {"id": "V1", "\u72b6\u6001": "\u5e38\u95ed", "\u53ef\u7528": "\u5426"},
            {"id": "V2", "\u72b6\u6001": "\u5e38\u5f00", "\u53ef\u7528": 1.0},
        ],
        [pt(0, 0), pt(1, 0)],
    )
    report = Report()
    out = ingest.normalise_layer(source, raw, bare_config(), report)
    assert report.lines() == []
    assert out["valve_id"].tolist() == ["V1", "V2"]
    assert out["normally"].tolist() == ["closed", "open"]
    assert out["operable"].tolist() == [False, True]
