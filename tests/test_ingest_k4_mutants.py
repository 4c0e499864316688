"""ingest.py's answers no fast test pinned (`make mutants`, docs/mutants.md): a truncated
shapefile's check, a geographic CRS on projected numbers (where the working CRS is suggested,
the layer named, the features listed), ids checked for text only where a layer has them, and
load_layers' merge: files of one layer with their id fields, the merged rows, the empty
layers, the report's CRS and the working CRS checked where the pipes lie.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import geopandas as gpd
import pyproj
import pytest
from conftest import bare_config, pt, write_shp
from shapely.geometry import LineString, Point

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.ingest import load_layers
from gasnet.validate import Report

# -- a geographic CRS on projected numbers -----------------------------------------------------

# EPSG:4545 is made for 106.5°E-109.51°E, 18.19°N-42.47°N; with the margin of a degree, the
# numbers fit it from 105.5°E to 110.51°E and from 17.19°N to 43.47°N, edges included. The
# points are the EPSG:4545 metres of (lon, lat), which PROJ's inverse Gauss-Kruger takes back
# to that lon (or lat) exactly on an edge.
LIKELY = '"EPSG:4545"'
UNKNOWN = '"EPSG:..." (the projected CRS of the data)'


@pytest.mark.parametrize(
    ("x", "y", "suggested"),
    [
        # 105.5°E, 30°N: on the western edge (mutant 36: west - 1 < lon)
        (258745.74292220312, 3322746.128985173, LIKELY),
        # 110.51°E, 30°N: on the eastern edge (37: lon < east + 1)
        (742219.5843802392, 3322767.24488983, LIKELY),
        # 108°E, 17.19°N: on the southern edge (42: south - 1 < lat)
        (500000.0, 1901334.5138111447, LIKELY),
        # 108°E, 43.47°N: on the northern edge (43: lat < north + 1)
        (500000.0, 4814935.622725826, LIKELY),
        # 110°E, 43°N: in the north-eastern margin (38: lon <= east - 1; 44: lat <= north - 1)
        (663084.3038040133, 4764661.506174163, LIKELY),
        # 111°E, 30°N: half a degree east of it (39: east + 2; 29: lon test `or` lat test)
        (789525.4634230239, 3323905.4664760455, UNKNOWN),
        # 105°E, 30°N: half a degree west of it (35: west - 2)
        (210474.5365769773, 3323905.4664760455, UNKNOWN),
        # 108°E, 43.9°N: north of it (45: north + 2)
        (500000.0, 4862711.243009164, UNKNOWN),
        # 108°E, 16.7°N: south of it (41: south - 2)
        (500000.0, 1847106.8672084997, UNKNOWN),
    ],
)
def test_projected_numbers_under_a_geographic_crs_suggest_the_working_crs_within_a_degree_of_its_area(  # noqa: E501
    tmp_path, x, y, suggested
):
    # Planted: ingest.py (_wrong_geographic_crs): the margin's bounds moved or made strict
    # (mutants 35-39, 41-45), `and` -> `or` between the lon and lat tests (29). A valve at
    # (x, y) under a .gpkg's EPSG:4326: the fix suggests the working CRS only when the numbers,
    # read in it, lie within a degree of its area of use.
    source = LayerSource("valves", tmp_path / "x.gpkg")
    raw = gpd.GeoDataFrame({"id": ["A"]}, geometry=[Point(x, y)], crs="EPSG:4326")
    r = Report()
    assert ingest._wrong_geographic_crs(
        source, raw, raw["id"].to_numpy(object), SimpleNamespace(crs="EPSG:4545"), r
    )
    (line,) = r.lines()
    assert line.endswith(
        f"; fix: export x.gpkg again with its CRS ({suggested}): the config's crs is used only "
        "when the file has no CRS"
    )


def test_projected_numbers_under_a_geographic_crs_are_one_error_of_the_layer_naming_1000_features(
    tmp_path,
):
    # Planted: ingest.py (_wrong_geographic_crs): the layer None (mutant 62); the first 1001
    # features named instead of 1000 (86). 1001 valves V0-V1000, each at EPSG:4545 metres
    # under EPSG:4326: all outside ±180°, one error of the valves naming the first 1000.
    n = 1001
    source = LayerSource("valves", tmp_path / "x.gpkg")
    raw = gpd.GeoDataFrame(
        {"id": [f"V{i}" for i in range(n)]},
        geometry=[Point(500_000.0 + i, 3_300_000.0) for i in range(n)],
        crs="EPSG:4326",
    )
    r = Report()
    assert ingest._wrong_geographic_crs(
        source, raw, raw["id"].to_numpy(object), SimpleNamespace(crs="EPSG:4545"), r
    )
    assert {(x["check"], x["severity"], x["layer"]) for x in r.rows} == {
        ("wrong_crs", "error", "valves")
    }
    assert [x["feature_id"] for x in r.rows] == [f"V{i}" for i in range(1000)]
    assert r.lines()[0].startswith(
        f"error: valves ({tmp_path / 'x.gpkg'}): 1001 of 1001 features lie outside ±180° / ±90° "
        "(e.g. x = 500000, y = 3300000)"
    )


# -- ids checked for text ----------------------------------------------------------------------


def test_id_text_is_checked_only_in_layers_that_have_their_id_field():
    # Planted: ingest.py (check_id_text): `not gdf.empty and id in gdf` -> `or` (mutant 1). A
    # valves frame without valve_id (nothing to check: no warning, no KeyError); an empty
    # pipes frame with pipe_id (nothing either); the sources' "S;1" is warned about.
    layers = {
        "valves": gpd.GeoDataFrame({"name": ["a;b"]}, geometry=[pt(0, 0)], crs="EPSG:4545"),
        "pipes": ingest.empty_layer("pipes", "EPSG:4545"),
        "sources": gpd.GeoDataFrame({"source_id": ["S;1"]}, geometry=[pt(1, 0)], crs="EPSG:4545"),
    }
    r = Report()
    ingest.check_id_text(layers, r)
    assert [(x["check"], x["layer"], x["feature_id"]) for x in r.rows] == [
        ("id_with_semicolon", "sources", "S;1")
    ]


# -- load_layers: files merged, empty layers, the report ---------------------------------------


def test_two_files_of_a_layer_are_merged_and_their_id_fields_both_named(tmp_path):
    # Planted: ingest.py (load_layers): id_fields[name] None, `or` -> `and`, " / " ->
    # "XX / XX", config.layers.get(None, []) (mutants 32, 33, 35, 37); validate_layers without
    # them (71, 74); only the first file kept or concat(None) / concat() (42, 44, 46, 50); the
    # rows numbered per file (45, 47, 48).
    # a.shp's valve V1 (id field VID) at (0, 0), b.shp's V1 (id field code) at (5, 0): both
    # kept, rows 0 and 1; V1 twice is one error naming both id fields, sorted ("VID" < "code").
    write_shp(tmp_path / "a.shp", [{"VID": "V1"}], [pt(0, 0)])
    write_shp(tmp_path / "b.shp", [{"code": "V1"}], [pt(5, 0)])
    config = bare_config(
        tmp_path,
        valves=[
            LayerSource("valves", tmp_path / "a.shp", id_field="VID"),
            LayerSource("valves", tmp_path / "b.shp", id_field="code"),
        ],
    )
    layers, report = load_layers(config)
    valves = layers["valves"]
    assert valves.index.tolist() == [0, 1]
    assert valves[["valve_id", "source_file"]].values.tolist() == [["V1", "a.shp"], ["V1", "b.shp"]]
    assert [(g.x, g.y) for g in valves.geometry] == [pt(0, 0).coords[0], pt(5, 0).coords[0]]
    assert report.lines() == [
        "error: valves (a.shp, b.shp): duplicate ids (field VID / code) — feature V1; fix: "
        "give each feature a unique id (if two files were merged, prefix the ids)"
    ]


def test_one_file_of_a_layer_keeps_the_canonical_columns_and_empty_layers_the_working_crs(
    tmp_path,
):
    # Planted: ingest.py (load_layers): reset_index(drop=None / False) (mutants 51, 53: an
    # "index" column); empty_layer(name, None) (65); the report made without the CRS (3).
    # One valve file: the canonical columns only. Regulators are not configured: an empty
    # layer in EPSG:4545, as is the quality_issues frame of the report made here.
    write_shp(tmp_path / "v.shp", [{"id": "V1"}], [pt(0, 0)])
    layers, report = load_layers(
        bare_config(tmp_path, valves=[LayerSource("valves", tmp_path / "v.shp")])
    )
    assert layers["valves"].columns.tolist() == [
        "valve_id",
        "normally",
        "operable",
        "diameter_mm",
        "kind",
        "source_file",
        "geometry",
    ]
    assert layers["valves"]["valve_id"].tolist() == ["V1"]
    assert layers["regulators"].empty and layers["regulators"].crs == "EPSG:4545"
    assert report.rows == [] and report.to_frame().crs == "EPSG:4545"


def test_a_layer_in_the_working_crs_under_another_name_takes_the_config_s_crs(tmp_path):
    # Planted: ingest.py (load_layers): the merged layer made with crs=None or without crs
    # (mutants 57, 60: it keeps the file's own CRS object). v.shp has no .prj; its crs in the
    # config is EPSG:4545's WKT renamed "Bazhong grid" without its EPSG id: the same CRS
    # (pyproj finds them equal, so nothing is reprojected), but the layer is handed on in the
    # working CRS as [project] crs gives it, EPSG:4545 with its own name.
    wkt = (
        pyproj.CRS("EPSG:4545")
        .to_wkt()
        .replace("CGCS2000 / 3-degree Gauss-Kruger CM 108E", "Bazhong grid")
    )
    wkt = re.sub(r',\s*ID\["EPSG",4545\]', "", wkt)
    assert pyproj.CRS(wkt) == "EPSG:4545" and pyproj.CRS(wkt).name == "Bazhong grid"
    write_shp(tmp_path / "v.shp", [{"id": "V1"}], [pt(0, 0)], prj=False)
    source = LayerSource("valves", tmp_path / "v.shp", crs=wkt)
    layers, report = load_layers(bare_config(tmp_path, valves=[source]))
    assert report.lines() == []
    assert layers["valves"]["valve_id"].tolist() == ["V1"]
    assert layers["valves"].crs.name == "CGCS2000 / 3-degree Gauss-Kruger CM 108E"
    assert layers["valves"].crs.to_wkt() == pyproj.CRS("EPSG:4545").to_wkt()


# -- load_layers: the working CRS checked where the pipes lie -----------------------------------

# 113°E, 30°N: 3.49° east of EPSG:4545's area of use (106.5°E-109.51°E), beyond its margin of
# 3°; its scale error there is 0.3 %, within 1 %: only where the pipes lie can be wrong.


def test_pipes_placed_by_a_crs_of_their_own_outside_the_working_crs_area_are_an_error(tmp_path):
    # Planted: ingest.py (load_layers): pipe_crs = None (mutant 6: append fails); the report
    # None (77) or the label None (78) in check_working_crs; located=None (79).
    # P1 in EPSG:4490 (CGCS2000) degrees at 113°E, 30°N, reprojected into EPSG:4545 (on the
    # same datum): placed by its own CRS, so the working CRS is wrong for where it lies; the
    # error names the config file.
    write_shp(
        tmp_path / "p.shp",
        [{"id": "P1"}],
        [LineString([(113.0, 30.0), (113.001, 30.0)])],
        crs="EPSG:4490",
    )
    config = bare_config(tmp_path, pipes=[LayerSource("pipes", tmp_path / "p.shp")])
    _, report = load_layers(config)
    (line,) = [x for x in report.lines() if "does not fit the pipe network" in x]
    assert line.startswith(
        f"error: {tmp_path / 'gasnet.toml'}: [project] crs EPSG:4545 (CGCS2000 / 3-degree "
        "Gauss-Kruger CM 108E) does not fit the pipe network at "
    )
    assert "it is made for China - onshore between 106°30'E and 109°30'E (" in line
    assert [(x["check"], x["layer"]) for x in report.rows if x["check"] == "unsuitable_crs"] == [
        ("unsuitable_crs", "pipes")
    ]


def test_pipes_already_in_the_working_crs_outside_its_area_are_no_crs_error(tmp_path):
    # Planted: ingest.py (load_layers): `own_crs is not None` -> `is None` (mutant 26: the
    # pipes in the working CRS taken as placed by their own); located left out (84: True).
    # P1 at the EPSG:4545 metres of 113°E, 30°N to 113.001°E, in EPSG:4545: where it lies is
    # defined by the working CRS itself, and its scale there is fine: no unsuitable_crs.
    a, b = (982739.7613762883, 3330662.065215617), (982836.4326603543, 3330666.2945843036)
    write_shp(tmp_path / "p.shp", [{"id": "P1"}], [LineString([a, b])])
    config = bare_config(tmp_path, pipes=[LayerSource("pipes", tmp_path / "p.shp")])
    layers, report = load_layers(config)
    assert layers["pipes"]["pipe_id"].tolist() == ["P1"]
    assert [x for x in report.rows if x["check"] == "unsuitable_crs"] == []
