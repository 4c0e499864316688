"""store.as_read: a frame as the GeoPackage gives it back, without writing and reading it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon

from gasnet import store


def written_and_read(frame: pd.DataFrame, tmp_path, layer: str = "t") -> pd.DataFrame:
    path = tmp_path / "t.gpkg"
    store.write_layers(path, {layer: frame})
    return store.read_layer(path, layer)


def assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    """The same frame: type, columns, dtypes, index, every value; geometries to the bit."""
    assert type(got) is type(expected)
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.astype(str).tolist() == expected.dtypes.astype(str).tolist()
    if isinstance(expected, gpd.GeoDataFrame):
        assert got.crs == expected.crs and got.geometry.name == expected.geometry.name
        a, b = np.asarray(expected.geometry.array), np.asarray(got.geometry.array)
        assert shapely.to_wkb(a).tolist() == shapely.to_wkb(b).tolist()
        expected = pd.DataFrame(expected).drop(columns=expected.geometry.name)
        got = pd.DataFrame(got).drop(columns=got.geometry.name)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for col in expected.columns:  # -0.0 and 0.0 compare equal: the sign bit too
        if expected[col].dtype.kind == "f":
            e, g = expected[col].to_numpy(), got[col].to_numpy()
            assert (np.signbit(e) == np.signbit(g)).all(), col


def every_kind() -> gpd.GeoDataFrame:
    """A layer with every kind of column the stages write, blanks and odd values included."""
    n = 4
    frame = gpd.GeoDataFrame(
        {
            "node_id": np.arange(n, dtype=np.int64),
            "small": np.array([1, -2, 3, 4], dtype=np.int32),
            "ok": [True, False, True, False],
            "length_m": [1.5, -0.0, np.nan, np.inf],
            "blank_int": pd.array([1, None, 3, None], dtype="Int64"),
            "whole_int": pd.array([2010, 2011, 0, -5], dtype="Int64"),
            "int32": pd.array([7, 8, None, 9], dtype="Int32"),
            "text": pd.array(["管线", None, "", np.nan], dtype=object),
            "str": pd.Series(["医院", None, "a;b", "x"], dtype="str"),
            "all_blank": [None] * n,
            "traditional": ["醫院", "常閉", "低壓", "ＭＰ－Ａ"],
        },
        index=[10, 11, 12, 13],  # the index is not written: read back, it is 0..n-1
        geometry=[Point(380000.5, 3526000.25), None, Point(-0.0, 0.0), Point(1e7, -1e-9)],
        crs="EPSG:4545",
    )
    frame.insert(2, "geometry_after", frame.pop("geometry"))  # not the last column
    return frame.set_geometry("geometry_after")


def test_every_kind_of_column_as_read_back(tmp_path):
    frame = every_kind()
    assert_same(written_and_read(frame, tmp_path), store.as_read(frame))


def test_lines_and_multilines_come_back_as_multilines(tmp_path):
    frame = gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2", "P3"]},
        geometry=[
            LineString([(0, 0), (1, 1)]),
            MultiLineString([[(0, 0), (1, 0)], [(2, 0), (3, 0)]]),
            None,
        ],
        crs="EPSG:4545",
    )
    got = store.as_read(frame)
    assert_same(written_and_read(frame, tmp_path), got)
    assert got.geometry.geom_type.tolist()[:2] == ["MultiLineString", "MultiLineString"]
    assert frame.geometry.geom_type.iloc[0] == "LineString"  # the frame given is unchanged


def test_polygons_and_points_alone_stay_as_they_are(tmp_path):
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])
    for geoms in (
        [square, MultiPolygon([square])],
        [Point(0, 0), Point(1, 1)],
        [LineString([(0, 0), (1, 1)]), Point(2, 2)],  # (any layer: not promoted)
    ):
        frame = gpd.GeoDataFrame({"k": ["a", "b"]}, geometry=geoms, crs="EPSG:4545")
        assert_same(written_and_read(frame, tmp_path), store.as_read(frame))


def test_tables_and_empty_layers(tmp_path):
    table = pd.DataFrame({"key": ["a", "b"], "value": ["1", None], "n": [1, 2]})
    assert_same(written_and_read(table, tmp_path), store.as_read(table))
    empty = gpd.GeoDataFrame(
        {"id": pd.Series([], dtype=object), "n": pd.Series([], dtype=float)},
        geometry=[],
        crs="EPSG:4545",
    )
    assert_same(written_and_read(empty, tmp_path, "e"), store.as_read(empty))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: f.assign(flag=[True, None, False, True]), id="bools-with-blank"),
        pytest.param(
            lambda f: f.assign(na=pd.Series(["a", pd.NA, "b", "c"], dtype=object, index=f.index)),
            id="pd.NA-in-text",
        ),
        pytest.param(lambda f: f.assign(nul=["a\x00b", "", "c", "d"]), id="NUL-in-text"),
        pytest.param(lambda f: f.assign(num=[1, "2", 3.0, None]), id="mixed-objects"),
        pytest.param(lambda f: f.assign(day=pd.to_datetime(["2024-01-01"] * 4)), id="datetime"),
        pytest.param(lambda f: f.assign(f32=np.ones(4, np.float32)), id="float32"),
        pytest.param(lambda f: f.assign(fid=np.arange(4)), id="a-fid-column"),
        pytest.param(lambda f: f.assign(Node_ID=np.arange(4)), id="names-one-but-for-case"),
        pytest.param(lambda f: f.set_crs(None, allow_override=True), id="no-crs"),
        pytest.param(
            lambda f: f.set_geometry(shapely.force_3d(np.asarray(f.geometry.array))), id="z"
        ),
        pytest.param(
            lambda f: f.set_geometry([Point(0, 0), LineString(), None, Point(1, 1)]),
            id="an-empty-geometry",
        ),
    ],
)
def test_what_it_cannot_tell_is_left_to_a_real_read(change):
    assert store.as_read(every_kind()) is not None
    assert store.as_read(change(every_kind())) is None


def test_write_layers_returns_the_identity_of_the_file_written(tmp_path):
    path = tmp_path / "t.gpkg"
    first = store.write_layers(path, {"t": every_kind()}, fresh=True)
    assert first == store.stamp(path.stat())
    second = store.write_layers(path, {"u": every_kind()}, expect=first)
    assert second == store.stamp(path.stat()) != first
