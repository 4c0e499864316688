"""normalise_layer's field finding and its errors, on tiny in-memory layers (no files read):
what the user sees is the canonical frame's values and the report's lines."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
from conftest import line, pt

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

CONFIG = SimpleNamespace(values={}, crs="EPSG:4545")


def _raw(data: dict, geoms, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4545", index=index)


def test_fields_are_found_mapped_by_their_own_name_or_cut_to_ten_characters():
    # MAT is mapped to material; diameter_mm is there by its full name (11 characters);
    # pressure_class only as a shapefile cuts it, pressure_c. 中压A is MP-A by the vocabulary,
    # 旧管 is abandoned by the config's [values."pipes.status"]; install_year is absent: blank.
    raw = _raw(
        {
            "id": ["P1"],
            "MAT": ["PE"],
            "diameter_mm": [110.0],
            "pressure_c": ["中压A"],
            "status": ["旧管"],
        },
        [line((0, 0), (10, 0))],
    )
    source = LayerSource("pipes", Path("/data/p.shp"), fields={"material": "MAT"})
    config = SimpleNamespace(values={"pipes.status": {"旧管": "abandoned"}}, crs="EPSG:4545")
    report = Report()
    gdf = ingest.normalise_layer(source, raw, config, report)
    assert report.rows == []
    row = gdf.iloc[0]
    assert row["pipe_id"] == "P1"
    assert row["material"] == "PE"
    assert row["diameter_mm"] == 110.0
    assert row["pressure_class"] == "MP-A"
    assert row["status"] == "abandoned"
    assert gdf["install_year"].isna().all()
    assert row["source_file"] == "p.shp"


def test_values_stay_with_their_features_whatever_the_frame_s_index():
    # A frame whose rows are labelled 7 and 9 (a caller's selection): P1's status and
    # material stay P1's, P2's stay P2's.
    raw = _raw(
        {"id": ["P1", "P2"], "status": ["在用", "废弃"], "material": ["PE", "steel"]},
        [line((0, 0), (10, 0)), line((10, 0), (20, 0))],
        index=[7, 9],
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("pipes", Path("p.shp")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["pipe_id"].tolist() == ["P1", "P2"]
    assert gdf["status"].tolist() == ["in_service", "abandoned"]
    assert gdf["material"].tolist() == ["PE", "steel"]


def test_configured_fields_that_are_not_there_are_one_error_naming_them():
    # [layers.pipes.fields] maps material = "MATL" and diameter_mm = "DIAM"; the file has
    # id, a, b: both named, in the config's order, with the fields there are.
    raw = _raw({"id": ["P1"], "a": [1], "b": [2]}, [line((0, 0), (10, 0))])
    source = LayerSource(
        "pipes", Path("/data/p.shp"), fields={"material": "MATL", "diameter_mm": "DIAM"}
    )
    report = Report()
    assert ingest.normalise_layer(source, raw, CONFIG, report) is None
    assert [(r["check"], r["severity"], r["layer"]) for r in report.rows] == [
        ("missing_field", "error", "pipes")
    ]
    assert report.lines() == [
        "error: pipes (/data/p.shp): configured field(s) MATL, DIAM not found (fields: id, a, "
        "b); fix: correct [layers.pipes.fields]"
    ]


def test_an_id_field_that_is_not_there_lists_the_fields_and_nothing_more():
    raw = _raw({"a": ["P1"], "b": [2]}, [line((0, 0), (10, 0))])
    report = Report()
    source = LayerSource("pipes", Path("/d/p.gpkg"))
    assert ingest.normalise_layer(source, raw, CONFIG, report) is None
    assert report.lines() == [
        "error: pipes (/d/p.gpkg): id field 'id' not found (fields: a, b); fix: set id = "
        '"FIELD" in [layers.pipes]'
    ]


def test_garbled_field_names_of_a_shapefile_without_encoding_or_cpg_suggest_gbk(tmp_path):
    # GBK 编号 read as Latin-1 is '±àºÅ': no id field. A .shp with no .cpg beside it and no
    # encoding configured: the hint. With encoding = "GBK" configured, or a GeoPackage
    # (which has no .cpg), there is nothing to suggest.
    raw = _raw({"\u00b1\u00e0\u00ba\u00c5": ["S1"]}, [pt(0, 0)])
    shp = tmp_path / "sources.shp"
    report = Report()
    assert ingest.normalise_layer(LayerSource("sources", shp), raw, CONFIG, report) is None
    assert report.lines() == [
        f"error: sources ({shp}): id field 'id' not found (fields: \u00b1\u00e0\u00ba\u00c5) "
        "— the field names look garbled: the .dbf is probably GBK without a .cpg; "
        'set encoding = "GBK" in [layers.sources]; fix: set id = "FIELD" in [layers.sources]'
    ]
    for source in (
        LayerSource("sources", shp, encoding="GBK"),
        LayerSource("sources", tmp_path / "sources.gpkg"),
    ):
        report = Report()
        assert ingest.normalise_layer(source, raw, CONFIG, report) is None
        assert "look garbled" not in report.lines()[0]


def test_a_hazards_layer_without_the_ranking_fields_is_warned_about():
    # Fields id and note: none of category, severity, status, due_on, so every record would
    # rank alike: one warning naming what each is taken as. The layer is still read.
    raw = _raw({"id": ["H1"], "note": ["x"]}, [pt(0, 0)])
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("hazards", Path("/d/h.shp")), raw, CONFIG, report)
    assert gdf["hazard_id"].tolist() == ["H1"]
    assert report.lines() == [
        "warning: hazards (/d/h.shp): no category, severity, status, due_on field (fields: id, "
        "note): every record is taken as category blank (weighted as other), severity "
        "general, status open, never overdue; fix: map them in [layers.hazards.fields], e.g. "
        'category = "FIELD"'
    ]


def test_a_text_field_holding_ids_beyond_2_53_as_floating_point_is_an_error():
    # customers.pipe_id is a text field; GDAL read it as floating point 51130200000001232
    # (> 2**53 = 9007199254740992): its last digits are lost, so the layer is not read.
    raw = _raw({"id": ["C1"], "pipe_id": [51130200000001232.0]}, [pt(0, 0)])
    source = LayerSource("customers", Path("/d/c.shp"))
    report = Report()
    assert ingest.normalise_layer(source, raw, CONFIG, report) is None
    assert report.lines() == [
        "error: customers (/d/c.shp): field pipe_id holds 1 number beyond 2^53 as floating "
        "point, which cannot keep their last digits (e.g. 51130200000001232 as read): ids "
        "differing only there would merge; fix: export pipe_id as a text (character) field, "
        "or fill its blanks (an integer field with a blank is read as floating point)"
    ]
