"""Ingest reads through GDAL's Arrow interface when that gives the very frame the usual read
gives: the same text (GBK, Big5, UTF-8; Simplified and Traditional), types and geometries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import line, pt, write_shp

from gasnet import ingest
from gasnet.config import read_config
from gasnet.ingest import _read_arrow, load_layers

pa = pytest.importorskip("pyarrow")


def assert_same_frame(expected, got) -> None:
    assert type(got) is type(expected)
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.astype(str).tolist() == expected.dtypes.astype(str).tolist()
    if isinstance(expected, gpd.GeoDataFrame):
        assert got.crs == expected.crs
        a, b = (shapely.to_wkb(np.asarray(f.geometry.array)) for f in (expected, got))
        assert a.tolist() == b.tolist()
        expected, got = (pd.DataFrame(f).drop(columns="geometry") for f in (expected, got))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for col in expected.columns:  # text as str, blanks as None: what normalise_layer sees
        assert [type(v) for v in got[col]] == [type(v) for v in expected[col]], col


ROWS = [
    {"名稱": "醫院", "类型": "学校", "n": 1, "big": 2**40, "f": 1.5, "t": "a"},
    {"名稱": None, "类型": "常閉", "n": None, "big": 3, "f": None, "t": None},
    {"名稱": "常闭", "类型": None, "n": 3, "big": None, "f": -0.0, "t": "低壓"},
]


def shapefile(tmp_path, name: str, encoding: str, cpg: bool = True):
    rows = [dict(r) for r in ROWS]
    if encoding == "Big5":  # (类型 has no Big5 form)
        rows = [{("類型" if k == "类型" else k): v for k, v in r.items()} for r in rows]
    frame = gpd.GeoDataFrame(rows, geometry=[pt(0, 0), None, pt(5, 5)], crs="EPSG:4545")
    frame["n"] = frame["n"].astype("Int32")
    frame["big"] = frame["big"].astype("Int64")
    frame.to_file(tmp_path / f"{name}.shp", encoding=encoding, engine="pyogrio")
    if not cpg:
        (tmp_path / f"{name}.cpg").unlink()
    return tmp_path / f"{name}.shp"


@pytest.mark.parametrize(
    ("encoding", "cpg", "read_as"),
    [
        ("GBK", True, None),  # the .cpg says it: GDAL recodes
        ("GBK", True, "GBK"),
        ("GBK", False, "GBK"),  # the config says it
        ("GB18030", True, None),
        ("Big5", True, None),
        ("Big5", False, "Big5"),
        ("UTF-8", True, None),
        ("UTF-8", False, "UTF-8"),
        ("UTF-8", True, "GBK"),  # read as GBK all the same: the same characters either way
    ],
)
def test_shapefile_text_reads_as_the_usual_read_gives_it(tmp_path, encoding, cpg, read_as):
    path = shapefile(tmp_path, "layer", encoding, cpg)
    expected = pyogrio.read_dataframe(path, encoding=read_as)
    got = _read_arrow(path, None, read_as, {})
    assert got is not None
    assert_same_frame(expected, got)


def test_text_gdal_cannot_decode_is_left_to_the_usual_read(tmp_path):
    """GBK bytes without a .cpg, read with no encoding (GDAL: Latin-1, passed as bytes) or
    as UTF-8 (not valid): the Arrow way declines, and the usual read gives its own answer or
    error, as before."""
    path = shapefile(tmp_path, "gbk", "GBK", cpg=False)
    assert _read_arrow(path, None, None, {}) is None
    assert _read_arrow(path, None, "UTF-8", {}) is None
    with pytest.raises(UnicodeDecodeError):
        pyogrio.read_dataframe(path, encoding="UTF-8")


def test_dates_and_booleans_are_left_to_the_usual_read(tmp_path):
    frame = gpd.GeoDataFrame(
        {"day": pd.to_datetime(["2024-01-01", None]), "ok": [True, False]},
        geometry=[pt(0, 0), pt(1, 1)],
        crs="EPSG:4545",
    )
    frame.to_file(tmp_path / "d.gpkg", engine="pyogrio")
    assert _read_arrow(tmp_path / "d.gpkg", None, None, {}) is None


def test_geojson_and_geopackage(tmp_path):
    frame = gpd.GeoDataFrame(ROWS, geometry=[line((0, 0), (1, 1)), None, pt(2, 2)], crs=4545)
    for name in ("x.geojson", "x.gpkg"):
        frame.to_file(tmp_path / name, engine="pyogrio")
        got = _read_arrow(tmp_path / name, None, None, {})
        assert got is not None
        assert_same_frame(pyogrio.read_dataframe(tmp_path / name), got)


def test_a_gbk_project_loads_the_same_either_way(project, monkeypatch):
    """Traditional labels in GBK with a .cpg: every canonical layer as the usual read gives
    it, text decoded the same (医院 is a hospital: critical)."""
    write_shp(
        project.raw / "customers.shp",
        [
            {"id": "C1", "name": "巴中市中心醫院", "kind": "醫院", "households": 1},
            {"id": "C2", "name": "幸福小區", "kind": "居民", "households": 30},
        ],
        [pt(150, 10), pt(110, 60)],
        encoding="GBK",
    )
    config = read_config(project.config)
    used = []
    real = ingest._read_arrow
    monkeypatch.setattr(ingest, "_read_arrow", lambda *a: used.append(a) or real(*a))
    layers, report = load_layers(config)
    assert len(used) == 4  # pipes, valves, sources, customers
    monkeypatch.setattr(ingest, "_read_arrow", lambda *a: None)
    expected, expected_report = load_layers(config)
    for name in expected:
        assert_same_frame(expected[name], layers[name])
    assert report.rows == expected_report.rows
    cust = layers["customers"].set_index("customer_id")
    assert cust.loc["C1", "name"] == "巴中市中心醫院" and bool(cust.loc["C1", "critical"])
