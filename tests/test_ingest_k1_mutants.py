"""ingest's survivors of the quick mutation pass (docs/mutants.md), helper k1: the CRS a
layer is read in, a wrong geographic CRS's message, floating-point ids, listing a file's
layers, reading a GeoPackage without writing beside it, and text GDAL reads in a named
encoding. Tiny hand-made files or frames in; the frame, the CRS or the report out.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
import pytest
from conftest import pt, write_dbf, write_shp
from shapely.geometry import LineString

from gasnet import _progress, ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

CONFIG = SimpleNamespace(crs="EPSG:4545", values={})


def _grid(base_axes: str) -> str:
    """A city's own grid (transverse Mercator on CGCS2000, central meridian 104.5°E, no EPSG
    code), its geographic base's axes in the order given."""
    return (
        'PROJCS["City grid",GEOGCS["CGCS2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,'
        '298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]'
        f"{base_axes}],"
        'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
        'PARAMETER["central_meridian",104.5],PARAMETER["scale_factor",1],'
        'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],'
        'AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    )


@pytest.mark.parametrize("layer", ["pipes", "valves"])
def test_a_geographic_crs_on_metre_numbers_is_refused_and_only_pipes_keep_their_own_crs(
    tmp_path, monkeypatch, capsys, layer
):
    # p.gpkg stores EPSG:4326 (degrees), but its pipe runs from x = 500000 to 500100 (metres):
    # the CRS is wrong, so the layer is not read (None), one error names where that CRS came
    # from (stored in the GeoPackage) and how to fix it; the pipes' own CRS is EPSG:4326, not
    # the working EPSG:4545. (500000, 3400000) in EPSG:4545 is 108°E, 30.7°N, in its area:
    # the working CRS is suggested. On a terminal, the step says which file is read. The
    # same file as valves: the same error, but no CRS of their own (only the pipes' decides
    # how the network's extent is checked).
    path = tmp_path / "p.gpkg"
    gpd.GeoDataFrame(
        {"id": ["P1"]},
        geometry=[LineString([(500_000, 3_400_000), (500_100, 3_400_000)])],
        crs="EPSG:4326",
    ).to_file(path, engine="pyogrio")
    monkeypatch.setattr(_progress, "enabled", lambda: True)
    capsys.readouterr()
    r = Report()
    gdf, own = ingest._read_normalised(LayerSource(layer, path), CONFIG, r)
    assert capsys.readouterr().err.rstrip().endswith(f"s] reading {layer} ({path})")
    assert gdf is None
    assert (pyproj.CRS(own).to_epsg() if layer == "pipes" else own) == (
        4326 if layer == "pipes" else None
    )
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("wrong_crs", "error", layer)
    ]
    assert r.lines() == [
        f"error: {layer} ({path}): 1 of 1 features lie outside ±180° / ±90° (e.g. x = "
        "500000, y = 3400000), though the layer's CRS, stored in p.gpkg, is geographic "
        "(WGS 84, degrees): the numbers look projected (metres), so that CRS is wrong — "
        'feature P1; fix: export p.gpkg again with its CRS ("EPSG:4545"): the config\'s '
        "crs is used only when the file has no CRS"
    ]


def test_the_working_grid_written_with_its_base_axes_swapped_is_the_working_crs():
    # The working CRS is a city grid with no EPSG code, its geographic base latitude /
    # longitude; [layers.pipes] (a shapefile without .prj) names the same grid with its base
    # longitude / latitude. The axis order of the base is no other CRS: same coordinates, the
    # same CRS (pipes in it are not reprojected nor taken as placed by a CRS of their own).
    working = _grid(',AXIS["Latitude",NORTH],AXIS["Longitude",EAST]')
    theirs = _grid(',AXIS["Longitude",EAST],AXIS["Latitude",NORTH]')
    assert ingest._same_crs(theirs, working)
    assert ingest._same_crs(working, working)


def test_a_whole_float_id_below_2_53_is_read_and_one_of_2_53_or_more_is_an_error():
    # An integer field with a blank is read as floating point: ids 7 and (blank) are exact
    # (7 reads as "7"), no error. 2**53 = 9007199254740992 is where floating point stops
    # telling neighbours apart: 9007199254740993 reads as 9007199254740992 too, so an id
    # that reads 2**53 may be either, and 51130200000001233 reads as ...1232: both errors,
    # check inexact_id on the customers layer.
    source = LayerSource("customers", Path("/d/c.shp"))
    raw = gpd.GeoDataFrame(
        {"id": [7.0, float("nan")]}, geometry=[pt(0, 0), pt(1, 0)], crs="EPSG:4545"
    )
    r = Report()
    gdf = ingest.normalise_layer(source, raw, CONFIG, r)
    assert gdf["customer_id"].iloc[0] == "7" and pd.isna(gdf["customer_id"].iloc[1])
    assert [x["check"] for x in r.rows if x["severity"] == "error"] == []
    for big in (2.0**53, 51130200000001233.0):
        raw = gpd.GeoDataFrame({"id": [big]}, geometry=[pt(0, 0)], crs="EPSG:4545")
        r = Report()
        assert ingest.normalise_layer(source, raw, CONFIG, r) is None
        assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
            ("inexact_id", "error", "customers")
        ]
        assert r.lines()[0].startswith(
            f"error: customers ({source.path}): field id holds 1 number beyond 2^53 as "
            f"floating point, which cannot keep their last digits (e.g. {big:.0f} as read)"
        )


def _wal_geopackage(path):
    import sqlite3

    gpd.GeoDataFrame({"id": ["V1"]}, geometry=[pt(0, 0)], crs="EPSG:4545").to_file(
        path, layer="valves", engine="pyogrio"
    )
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    con.close()
    return path


def test_a_wal_mode_geopackage_is_listed_and_read_without_touching_its_folder(tmp_path):
    # SQLite opens a WAL-mode GeoPackage read-write: a -wal and a -shm appear beside it and
    # go again, which changes the folder's modification time. Opened IMMUTABLE, to list its
    # layers as to read them, nothing is written: the folder's time stays as it was (set to
    # the epoch just before, so that any write shows).
    import os

    folder = tmp_path / "raw"
    folder.mkdir()
    path = _wal_geopackage(folder / "v.gpkg")
    os.utime(folder, ns=(0, 0))
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path), r)
    assert r.rows == []
    assert gdf["id"].tolist() == ["V1"]
    assert sorted(p.name for p in folder.iterdir()) == ["v.gpkg"]
    assert folder.stat().st_mtime_ns == 0


def test_a_layer_a_shapefile_does_not_hold_is_an_error_listing_the_one_it_does(tmp_path):
    # layer = "pipes" for v.shp, whose one layer is v.
    path = write_shp(tmp_path / "v.shp", [{"id": "V1"}], [pt(0, 0)])
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, sublayer="pipes"), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("missing_layer", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): the file has no layer 'pipes'; its layers: v; fix: set "
        'layer = "..." in [layers.valves] to one of them'
    ]
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, sublayer="v"), r)
    assert r.rows == [] and gdf["id"].tolist() == ["V1"]


def test_an_immutable_geopackage_is_listed_layer_by_layer_up_to_10000(monkeypatch):
    # GDAL answers layer by layer (read_info(layer=i)) until it has none; a file answering
    # for ever (10,001 layers here, t0 ... t10000) is listed to its first 10,000. Two layers,
    # a and b, are listed as a, b.
    def fake(n):
        def read_info(path, layer=None, **options):
            assert options == {"IMMUTABLE": "YES"}
            i = 0 if layer is None else layer
            if i >= n:
                raise pyogrio.errors.DataLayerError(f"Layer '{i}' could not be opened")
            return {"layer_name": "ab"[i] if n == 2 else f"t{i}"}

        return read_info

    monkeypatch.setattr(pyogrio, "read_info", fake(2))
    assert ingest._layer_names("x.gpkg", {"IMMUTABLE": "YES"}) == ["a", "b"]
    monkeypatch.setattr(pyogrio, "read_info", fake(10_001))
    names = ingest._layer_names("x.gpkg", {"IMMUTABLE": "YES"})
    assert len(names) == 10_000 and names[-1] == "t9999"


def test_a_text_field_whose_name_holds_a_comma_is_checked_against_gdal_and_read(tmp_path):
    # v.dbf's field "A,B" holds 医院 in UTF-8, as its .cpg and encoding = "UTF-8" say. GDAL's
    # reading is compared with Python's at "record 1, field A,B": the record is the number
    # before the first comma, 1, and both read 医院.
    path = write_shp(tmp_path / "v.shp", [{"id": "V1"}], [pt(0, 0)])
    write_dbf(path.with_suffix(".dbf"), [("id", "C", 10, 0), ("A,B", "C", 20, 0)], [("V1", "医院")])
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="UTF-8"), r)
    assert r.rows == []
    assert gdf["A,B"].tolist() == ["医院"]


def test_utf_8_sig_reads_text_as_utf_8_keeping_a_leading_bom_in_a_value(tmp_path):
    # encoding = "utf-8-sig" (UTF-8 with a byte-order mark at the start of a file) is UTF-8
    # for GDAL; a value of a SpatiaLite table that starts with U+FEFF keeps it, as stored:
    # "\ufeffCafé", not "Café".
    path = tmp_path / "v.sqlite"
    gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["\ufeffCafé"]}, geometry=[pt(0, 0)], crs="EPSG:4545"
    ).to_file(path, driver="SQLite", engine="pyogrio")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="utf-8-sig"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == ["\ufeffCafé"]
