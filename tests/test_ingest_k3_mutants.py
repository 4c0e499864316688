"""ingest's shapefile part checks, its naming of same-named files, and its text of a column
(_text), where the quick mutation pass left mutants alive (docs/mutants.md). Tiny hand-made
files or frames in; the report's rows and lines, or the canonical values, out.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
from conftest import line, pt, write_dbf, write_shp

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

CONFIG = SimpleNamespace(values={}, crs="EPSG:4545")
AGAIN = "export the layer again, or copy p.shp, .shx and .dbf of one export together"


def _three_valves(folder: Path) -> Path:
    """p.shp with three points, V1 to V3."""
    folder.mkdir(exist_ok=True)
    rows = [{"id": "V1"}, {"id": "V2"}, {"id": "V3"}]
    return write_shp(folder / "p.shp", rows, [pt(0, 0), pt(1, 0), pt(2, 0)])


def _rows(r: Report) -> list[tuple]:
    return [(x["check"], x["severity"], x["layer"]) for x in r.rows]


# -- _shapefile_parts ----------------------------------------------------------------------


def test_a_cut_dbf_is_a_truncated_file_error_with_its_sizes_and_the_fix(tmp_path):
    # The .dbf is rewritten by hand: one field "id" of 4 characters, 3 records. Header
    # 32 + 32 + 1 = 65 bytes, records 1 + 4 = 5 bytes: 65 + 3 * 5 = 80 bytes promised (81 with
    # the end mark). Cut to 75: the last record lost. One error in valves, with its fix.
    shp = _three_valves(tmp_path)
    dbf = shp.with_suffix(".dbf")
    write_dbf(dbf, [("id", "C", 4, 0)], [("V1",), ("V2",), ("V3",)])
    dbf.write_bytes(dbf.read_bytes()[:75])
    r = Report()
    assert ingest._shapefile_parts(LayerSource("valves", shp), r) is None
    assert _rows(r) == [("truncated_file", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({shp}): p.dbf looks truncated: it is 75 bytes, but its header says "
        f"3 records of 5 bytes (80 bytes); fix: {AGAIN}"
    ]


def test_a_dbf_of_another_count_is_a_mismatched_files_error_in_its_layer(tmp_path):
    # The .shx indexes 3 shapes, the .dbf (another export's) holds 2 records: GDAL would read
    # min(3, 2) = 2 features. One error in valves, the whole line.
    shp = _three_valves(tmp_path)
    write_dbf(shp.with_suffix(".dbf"), [("id", "C", 4, 0)], [("V1",), ("V2",)])
    r = Report()
    assert ingest._shapefile_parts(LayerSource("valves", shp), r) is None
    assert _rows(r) == [("mismatched_files", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({shp}): p.shx indexes 3 shapes but p.dbf holds 2 records: they come "
        "from different exports (GDAL would read 2 features, some with another's attributes, "
        f"and drop the rest); fix: {AGAIN}"
    ]


def test_shapes_after_the_last_indexed_one_are_a_mismatched_files_error(tmp_path):
    # p.shp holds 3 points; its .shx and .dbf come from an export of the first 2 only. A
    # point's record is 8 bytes of header + 20 of content (type, x, y): 28 bytes of shapes
    # after the last of the 2 indexed.
    shp = _three_valves(tmp_path / "a")
    two = write_shp(tmp_path / "p2.shp", [{"id": "V1"}, {"id": "V2"}], [pt(0, 0), pt(1, 0)])
    for ext in (".shx", ".dbf"):
        shp.with_suffix(ext).write_bytes(two.with_suffix(ext).read_bytes())
    r = Report()
    assert ingest._shapefile_parts(LayerSource("valves", shp), r) is None
    assert _rows(r) == [("mismatched_files", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({shp}): p.shp holds 28 bytes of shapes after the last of the 2 that "
        "p.shx and p.dbf list: they come from another, shorter export (those features would "
        f"be dropped); fix: {AGAIN}"
    ]


# -- _truncated_shapefile ------------------------------------------------------------------


def test_a_truncated_shapefile_s_rows_are_truncated_file_errors_in_its_layer():
    # The .shx places records 2 and 3 (0-based 1, 2) beyond the end of the .shp: one row
    # each, check truncated_file, in the pipes layer, named by their ids.
    source = LayerSource("pipes", Path("/data/p.shp"), id_field="id")
    layout = SimpleNamespace(beyond_end=np.array([1, 2]), n_index=3, shp_size=1300)
    raw = pd.DataFrame({"id": ["P1", "P2", "P3"]})
    r = Report()
    assert ingest._truncated_shapefile(source, raw, r, layout) is True
    assert [(x["check"], x["severity"], x["layer"], x["feature_id"]) for x in r.rows] == [
        ("truncated_file", "error", "pipes", "P2"),
        ("truncated_file", "error", "pipes", "P3"),
    ]


# -- _tell_apart_same_names ----------------------------------------------------------------


def test_same_named_files_are_told_apart_by_their_folders_and_no_other_file_is_renamed():
    # d1/pipes.shp and d2/pipes.shp share a name: each gets its path from /data, the folder
    # they share. d1/extra.shp's name is its own: it stays "extra.shp". A PostGIS table
    # (url) keeps its table name, even with a path of the same name as the others.
    def part(path, url=None, name=None):
        src = LayerSource("pipes", Path(path), url=url, sublayer=name)
        return src, pd.DataFrame({"source_file": [name or Path(path).name]})

    parts = [
        part("/data/d1/pipes.shp"),
        part("/data/d2/pipes.shp"),
        part("/data/d1/extra.shp"),
        part("/data/d1/pipes.shp", url="postgresql://h/db", name="gis.pipes"),
    ]
    frames = ingest._tell_apart_same_names(parts)
    assert [f["source_file"].tolist() for f in frames] == [
        ["d1/pipes.shp"],
        ["d2/pipes.shp"],
        ["extra.shp"],
        ["gis.pipes"],
    ]


# -- _text ---------------------------------------------------------------------------------


def test_a_negative_zero_id_reads_as_0():
    # A number field holding -0.0 (some exports write "-0"): the whole number 0, as 12.0 is
    # "12"; a blank stays blank.
    for dtype in ("float64", "float32"):
        col = pd.Series([-0.0, 12.0, np.nan], dtype=dtype)
        assert ingest._text(col).tolist() == ["0", "12", None]


def test_text_with_undecodable_bytes_kept_as_surrogates_is_trimmed_not_refused():
    # Text a caller decoded with errors="surrogateescape" (Python's way for file names with
    # undecodable bytes): b"\xff" became "\udcff". Trimmed like any text, blank kept blank.
    col = pd.Series([" V\udcff1 ", None], dtype=object)
    assert ingest._text(col).tolist() == ["V\udcff1", None]
    assert ingest._text(col.iloc[:1]).tolist() == ["V\udcff1"]


def test_number_fields_mapped_to_text_stay_with_their_features_whatever_the_index():
    # A frame whose rows are labelled 7 and 9 (a caller's selection), material as numbers:
    # floats (1.0 -> "1", 2.5 -> "2.5") or integers (3 -> "3", 4 -> "4"), each kept with
    # its own pipe, not lost to index labels 0 and 1.
    lines = [line((0, 0), (10, 0)), line((10, 0), (20, 0))]
    for material, expected in (([1.0, 2.5], ["1", "2.5"]), ([3, 4], ["3", "4"])):
        raw = gpd.GeoDataFrame(
            {"id": ["P1", "P2"], "material": material},
            geometry=lines,
            crs="EPSG:4545",
            index=[7, 9],
        )
        report = Report()
        gdf = ingest.normalise_layer(LayerSource("pipes", Path("p.shp")), raw, CONFIG, report)
        assert gdf["pipe_id"].tolist() == ["P1", "P2"]
        assert gdf["material"].tolist() == expected


def test_a_sparse_float_column_is_read_in_its_own_precision():
    # A caller's frame with pandas' sparse columns: a Float32 0.1 is "0.1" (not float64's
    # "0.10000000149011612"), 12.0 is "12", the gap blank; as a pipe's diameter_mm, the
    # numbers 110 and blank. (It raised a TypeError: sparse dtypes have no numpy_dtype.)
    col = pd.Series(pd.arrays.SparseArray([0.1, np.nan, 12.0], dtype=np.float32))
    assert ingest._text(col).tolist() == ["0.1", None, "12"]
    raw = gpd.GeoDataFrame(
        {"id": ["P1", "P2"], "diameter_mm": pd.arrays.SparseArray([110.0, np.nan])},
        geometry=[line((0, 0), (10, 0)), line((10, 0), (20, 0))],
        crs="EPSG:4545",
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("pipes", Path("p.shp")), raw, CONFIG, report)
    assert report.rows == []
    assert gdf["diameter_mm"].tolist()[0] == 110.0 and np.isnan(gdf["diameter_mm"].iloc[1])
