"""ingest._read_layer's branches the quick mutation pass left alive (docs/mutants.md): a
GeoPackage with several layers, a layer the file lacks, the usual (non-Arrow) read with its
encoding and open options, and text GDAL hands over in another encoding than configured.
Tiny hand-made files in, the frame or the whole report line out.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from conftest import pt, write_dbf, write_shp

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report


def _two_layer_gpkg(path):
    """A GeoPackage whose first layer, sources (S1), has only a text field, and whose second,
    valves (V1), also a date: GDAL's Arrow read takes the first, not the second."""
    gpd.GeoDataFrame({"id": ["S1"]}, geometry=[pt(0, 0)], crs="EPSG:4545").to_file(
        path, layer="sources", engine="pyogrio"
    )
    gpd.GeoDataFrame(
        {"id": ["V1"], "found": pd.to_datetime(["2024-05-06"])},
        geometry=[pt(1, 0)],
        crs="EPSG:4545",
    ).to_file(path, layer="valves", engine="pyogrio")
    return path


def test_a_geopackage_with_two_layers_and_none_chosen_is_an_error_naming_them(tmp_path):
    # all.gpkg holds sources and valves, and the config names neither: which one is meant
    # cannot be guessed, so the error lists both and the fix says how to choose.
    path = _two_layer_gpkg(tmp_path / "all.gpkg")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("ambiguous_layer", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): the file holds 2 layers (sources, valves); fix: choose one "
        'with layer = "..." in [layers.valves]'
    ]


def test_a_layer_the_geopackage_does_not_hold_is_an_error_listing_those_it_does(tmp_path):
    # layer = "pipes", but all.gpkg holds only sources and valves.
    path = _two_layer_gpkg(tmp_path / "all.gpkg")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, sublayer="pipes"), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("missing_layer", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): the file has no layer 'pipes'; its layers: sources, valves; "
        'fix: set layer = "..." in [layers.valves] to one of them'
    ]


def test_the_chosen_layer_of_a_geopackage_is_read_not_its_first(tmp_path):
    # layer = "valves" (the second): its one row, V1 found on 2024-05-06, not sources' S1.
    path = _two_layer_gpkg(tmp_path / "all.gpkg")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, sublayer="valves"), r)
    assert r.rows == []
    assert gdf["id"].tolist() == ["V1"]
    assert pd.Timestamp(gdf["found"].iloc[0]) == pd.Timestamp("2024-05-06")


def test_a_dated_gbk_shapefile_with_a_wide_integer_reads_its_text_and_digits_exactly(tmp_path):
    # A date field is not read the Arrow way, so this is GDAL's usual read. The .dbf (no
    # .cpg) holds 中文 in GBK (D6 D0 CE C4), configured as encoding = "GBK", and the id
    # 51130200000001233 in an N(20,0) field, which only an exact 64-bit integer type keeps
    # (as floating point it would read ...1232): the frame holds exactly those.
    path = write_shp(tmp_path / "v.shp", [{"x": 1}], [pt(0, 0)], cpg=False)
    write_dbf(
        path.with_suffix(".dbf"),
        [("id", "N", 20, 0), ("name", "C", 10, 0), ("found", "D", 8, 0)],
        [(b"51130200000001233", "\u4e2d\u6587".encode("gbk"), b"20240506")],
    )
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="GBK"), r)
    assert r.rows == []
    assert gdf["id"].tolist() == [51130200000001233]
    assert gdf["name"].tolist() == ["\u4e2d\u6587"]
    assert pd.Timestamp(gdf["found"].iloc[0]) == pd.Timestamp("2024-05-06")


def test_text_that_is_not_in_the_configured_encoding_names_the_bytes_and_the_config(tmp_path):
    # A MapInfo table holds 'Café xyz' in UTF-8 (é is C3 A9), configured as encoding =
    # "ascii": the text does not read as ASCII at byte C3; the error shows the 4 bytes from
    # there (C3 A9, space, x) and says the config's encoding is wrong (no .dbf samples: not
    # a shapefile, so not "GDAL does not know the name").
    path = tmp_path / "v.tab"
    gpd.GeoDataFrame({"id": ["V1"], "name": ["Caf\u00e9 xyz"]}, geometry=[pt(0, 0)]).set_crs(
        "EPSG:4545"
    ).to_file(path, driver="MapInfo File", engine="pyogrio")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="ascii"), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("bad_encoding", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): cannot read the text as ASCII (ordinal not in range(128) "
        "at byte b'\\xc3\\xa9 x'): the file's encoding is not what encoding = 'ascii' in "
        '[layers.valves] says; fix: set encoding = "GBK" (or the file\'s encoding) in '
        "[layers.valves]"
    ]


def test_bad_utf8_past_the_sampled_values_is_not_blamed_on_gdal_not_knowing_utf8(tmp_path):
    # v.cpg and the config say UTF-8. The first 2000 distinct names (é0000 ... é1999, the
    # values sampled to tell the encoding) are UTF-8; record 2001 holds byte FF, no UTF-8.
    # The samples decode as UTF-8, yet GDAL's read fails: the text is not what the config
    # says (not "GDAL does not know the name": GDAL knows UTF-8).
    rows = [{"id": f"V{i}", "name": f"\u00e9{i:04d}"} for i in range(2000)]
    rows.append({"id": "VX", "name": "Zbad!"})
    path = write_shp(tmp_path / "v.shp", rows, [pt(0, 0)] * len(rows))
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    assert data.count(b"Zbad!") == 1
    dbf.write_bytes(data.replace(b"Zbad!", b"\xffbad!"))
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="UTF-8"), r) is None
    assert r.lines() == [
        f"error: valves ({path}): cannot read the text as UTF-8 (invalid start byte at byte "
        "b'\\xffbad'): the file's encoding is not what encoding = 'UTF-8' in [layers.valves] "
        'says; fix: set encoding = "GBK" (or the file\'s encoding) in [layers.valves]'
    ]
