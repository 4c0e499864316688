"""The one map's repair advice and hazard layers and the GeoJSON they travel in
(_advice_layers, _hazard_layers, _features, _bounds), for the mistakes a quick
mutation-testing pass of maps.py found no test would catch (docs/mutants.md).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from conftest import xy
from shapely.geometry import LineString, Point

from gasnet import maps

# -- the repair advice layer -------------------------------------------------------------------


def _repair_advice() -> gpd.GeoDataFrame:
    """Two valves to repair, listed worst first (rank 2, then 1), as `gasnet advise-valves`
    writes them."""
    return gpd.GeoDataFrame(
        {
            "rank": [2, 1],
            "valve_id": ["V7", "V3"],
            "segments_affected": [1, 2],
            "segment_ids": ["4", "1,2"],
            "customers_lost_before": [30, 120],
            "customers_lost_after": [20, 60],
            "reduction": [10.0, 60.0],
        },
        geometry=[Point(xy(70, 0)), Point(xy(30, 0))],
        crs="EPSG:4545",
    )


def test_repair_advice_alone_is_drawn_with_its_fields():
    # No valve_advice layer, only repair_advice: one layer, "Valves whose repair helps most",
    # orange, numbered by rank, V3 (rank 1) first with the fields of its popup.
    # Planted: maps.py: _advice_layers' "repair_advice" -> "XXrepair_adviceXX", upper case
    # Planted: maps.py: _advice_layers' "#e66101" -> "XX#e66101XX"
    # Planted: maps.py: _advice_layers' repair columns "rank" / "valve_id" /
    #   "segments_affected" / "segment_ids" -> "XX..XX", upper case
    # Planted: maps.py: _advice_layers' absent layer: continue -> break
    (spec,) = maps._advice_layers({"repair_advice": _repair_advice()}, maps.LABELS["en"], False)
    assert spec["name"] == "Valves whose repair helps most"
    assert spec["color"] == "#e66101"
    assert spec["numbered"] == "rank"
    assert spec["fields"][:4] == ["rank", "valve_id", "segments_affected", "segment_ids"]
    feats = spec["data"]["features"]
    assert [f["properties"] for f in feats] == [
        {
            "rank": 1,
            "valve_id": "V3",
            "segments_affected": 2,
            "segment_ids": "1,2",
            "customers_lost_before": 120,
            "customers_lost_after": 60,
            "reduction": 60.0,
        },
        {
            "rank": 2,
            "valve_id": "V7",
            "segments_affected": 1,
            "segment_ids": "4",
            "customers_lost_before": 30,
            "customers_lost_after": 20,
            "reduction": 10.0,
        },
    ]
    # an empty valve_advice before it changes nothing
    both = maps._advice_layers(
        {"valve_advice": _repair_advice().iloc[:0], "repair_advice": _repair_advice()},
        maps.LABELS["zh"],
        False,
    )
    assert [s["name"] for s in both] == ["建议优先维修的阀门"]


# -- the hazard layer --------------------------------------------------------------------------


def test_hazard_points_carry_every_popup_field():
    # One open hazard at a point: its marker's popup has each field of the risk table.
    # Planted: maps.py: _hazard_layers' cols "rank" / "score" / "category" / "severity" /
    #   "status" / "due_on" / "days_overdue" / "pipe_id" -> "XX..XX", upper case
    risk = gpd.GeoDataFrame(
        {
            "rank": [1],
            "tier": ["P1"],
            "score": [87.5],
            "hazard_id": ["H1"],
            "category": ["占压"],
            "severity": ["major"],
            "status": ["open"],
            "due_on": ["2025-03-01"],
            "days_overdue": [12],
            "pipe_id": ["P9"],
            "segment_id": [3],
            "notes": ["棚屋"],
            "description": ["压在管线上"],
        },
        geometry=[Point(xy(10, 0))],
        crs="EPSG:4545",
    )
    (spec,) = maps._hazard_layers({"risk": risk}, maps.LABELS["en"], False)
    (f,) = spec["data"]["features"]
    assert f["properties"] == {
        "rank": 1,
        "tier": "P1",
        "score": 87.5,
        "hazard_id": "H1",
        "category": "占压",
        "severity": "major",
        "status": "open",
        "due_on": "2025-03-01",
        "days_overdue": 12,
        "pipe_id": "P9",
        "segment_id": 3,
        "notes": "棚屋",
        "description": "压在管线上",
    }


# -- features and bounds -----------------------------------------------------------------------


def test_features_of_a_table_without_a_crs_are_taken_as_they_are():
    # No CRS (a table already in lon/lat, never declared): the coordinates pass unchanged.
    # Planted: maps.py: _features' `if gdf.crs is not None` -> `... or True`; geoms(gdf) ->
    #   geoms(None)
    gdf = gpd.GeoDataFrame({"valve_id": ["V1"]}, geometry=[Point(106.75, 31.85)])
    fc = maps._features(gdf, ["valve_id"])
    (f,) = fc["features"]
    assert f["geometry"]["coordinates"] == [106.75, 31.85]
    assert f["properties"] == {"valve_id": "V1"}


def test_features_leave_out_empty_geometries():
    # V2's point is empty (not missing): no feature for it, as for a missing one.
    # Planted: maps.py: _features' shapely.is_empty(g) -> shapely.is_empty(None)
    gdf = gpd.GeoDataFrame(
        {"valve_id": ["V1", "V2"]}, geometry=[Point(106.75, 31.85), Point()], crs="EPSG:4326"
    )
    fc = maps._features(gdf, ["valve_id"])
    assert [f["properties"]["valve_id"] for f in fc["features"]] == ["V1"]


def test_features_keep_a_pipe_shorter_than_the_rounding():
    # P1 is 1 mm long (1e-8 degrees): rounded to 6 decimals its two ends meet, yet the pipe
    # stays on the map (found by its id), its vertices rounded one by one; P2's middle vertex
    # (1 mm from the first) stays too: 3 vertices.
    # Planted: maps.py: _features' set_precision(g, 1e-6, mode="pointwise") -> mode dropped
    gdf = gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2"]},
        geometry=[
            LineString([(106.5, 31.5), (106.50000001, 31.5)]),
            LineString([(106.5, 31.5), (106.50000001, 31.5), (106.6, 31.5)]),
        ],
        crs="EPSG:4326",
    )
    feats = maps._features(gdf, ["pipe_id"])["features"]
    assert [f["properties"]["pipe_id"] for f in feats] == ["P1", "P2"]
    assert feats[0]["geometry"]["coordinates"] == [[106.5, 31.5], [106.5, 31.5]]
    assert feats[1]["geometry"]["coordinates"] == [[106.5, 31.5], [106.5, 31.5], [106.6, 31.5]]


def test_features_keep_whole_numbers_whole_in_a_numeric_table():
    # Only numeric columns (an int rank, a float reduction): rank stays 1, not 1.0, in the
    # page's JSON (the number drawn on the marker).
    # Planted: maps.py: _features' gdf[cols].to_numpy(object) -> to_numpy(None)
    gdf = gpd.GeoDataFrame(
        {"rank": [1], "reduction": [2.5]}, geometry=[Point(106.75, 31.85)], crs="EPSG:4326"
    )
    (f,) = maps._features(gdf, ["rank", "reduction"])["features"]
    assert json.dumps(f["properties"]) == '{"rank": 1, "reduction": 2.5}'


def test_features_refuse_two_columns_of_one_name():
    # Two columns both called "status" (a join gone wrong): which one to show is unknown, so
    # the table is refused rather than one of them shown.
    # Planted: maps.py: _features' zip(cols, row, strict=True) -> strict=None, False, dropped
    gdf = gpd.GeoDataFrame(
        pd.concat(
            [pd.DataFrame({"status": ["open"]}), pd.DataFrame({"status": ["closed"]})], axis=1
        ),
        geometry=[Point(106.75, 31.85)],
        crs="EPSG:4326",
    )
    with pytest.raises(ValueError):
        maps._features(gdf, ["status"])


def test_bounds_of_empty_geometries_only_are_none():
    # Every pipe's geometry empty: no bounds (the page keeps its default view), not NaN.
    # Planted: maps.py: _bounds' shapely.is_empty(g) -> shapely.is_empty(None)
    gdf = gpd.GeoDataFrame(geometry=[Point(), LineString()], crs="EPSG:4326")
    assert maps._bounds(gdf) is None
