"""The one map's segments, valves, stations and regulators, its layers on AMap's and Tianditu's
tiles, and the incident page's customer table and tile key, word for word: for the mistakes a
mutation-testing pass of maps.py found no test would catch (docs/mutants.md). No browser: the
pages are read through their JSON block.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from conftest import canonical, xy
from shapely.geometry import LineString
from test_maps_incident_mutants import _points

from gasnet import maps
from gasnet._geo import wgs84_to_gcj02
from gasnet.network import build_network


def _data(page: str) -> dict:
    """The JSON block of a page, read back as the page's script reads it."""
    m = re.search(r'<script type="application/json" id="gasnet-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def _layer(data: dict, name: str) -> dict:
    return next(x for x in data["layers"] if x["name"] == name)


def _spec(data: dict, name: str) -> dict:
    """A layer's spec without its features."""
    return {k: v for k, v in _layer(data, name).items() if k != "data"}


def _layers():
    """S(0,0)─P1─V1(50,0)─P1─R(100,0)─P2 (LP)─V2(150,0, closed); C1 on P1; one segment (id 7,
    P1's line) losing 12 customers (30 households, 1 critical) behind V1 and V2, fed by S."""
    layers = canonical(
        pipes=[("P1", [(0, 0), (100, 0)]), ("P2", [(100, 0), (200, 0)], "LP")],
        valves=[("V1", (50, 0)), ("V2", (150, 0), "closed")],
        sources=[("S", (0, 0))],
        regulators=[("R", (100, 0))],
        customers=[("C1", (60, 5), 3)],
    )
    layers["segments"] = gpd.GeoDataFrame(
        {
            "segment_id": [7],
            "customers_lost": [12],
            "households_lost": [30],
            "critical_lost": [1],
            "valve_ids": ["V1;V2"],
            "source_ids": ["S"],
            "length_m": [100.0],
        },
        geometry=[LineString([xy(0, 0), xy(100, 0)])],
        crs="EPSG:4545",
    )
    return layers


def test_network_map_styles_segments_valves_sources_and_regulators_word_for_word():
    # Segments: 12 customers lost falls in "11–50", class 2 of LOSS_CLASSES (0, 10, 50, 200,
    # 1000); coloured by that class ("0".."5" -> LOSS_COLOURS), 4 px at 60 % opacity, off at
    # first, found by segment id; the popup lists the segment's figures under their names.
    # Valves coloured by state, 4 px, found by valve id; stations purple #6a3d9a, 8 px, found by
    # source id; regulators orange #ff7f00, 5 px, found by regulator id. (A colour spelt in
    # upper case is the same colour: docs/mutants.md; compared without regard to case.)
    # Planted: maps.py: network_map's segment columns "segment_id" .. "length_m" -> "XX..XX",
    #   upper case (mutmut_66..79)
    # Planted: maps.py: segments "by" "loss_class" -> "XXloss_classXX", "LOSS_CLASS"; colours'
    #   str(i) -> str(None); weight 4 -> 5; opacity 0.6 -> 1.6
    # Planted: maps.py: valves "by" "state" -> "XXstateXX", "STATE"; radius 4 -> 5; "valve_id"
    #   -> "XXvalve_idXX", "VALVE_ID"
    # Planted: maps.py: sources "#6a3d9a" -> "XX#6a3d9aXX"; radius 8 -> 9; "source_id" ->
    #   "XXsource_idXX", "SOURCE_ID"
    # Planted: maps.py: regulators "#ff7f00" -> "XX#ff7f00XX"; radius 5 -> 6
    t = maps.LABELS["en"]
    data = _data(maps.network_map(_layers(), language="en"))
    seg = _layer(data, t["segments"])
    (feature,) = seg["data"]["features"]
    assert feature["properties"] == {
        "segment_id": 7,
        "customers_lost": 12,
        "households_lost": 30,
        "critical_lost": 1,
        "valve_ids": "V1;V2",
        "source_ids": "S",
        "length_m": 100.0,
        "loss_class": "2",
    }
    spec = _spec(data, t["segments"])
    assert spec["by"] == "loss_class"
    assert spec["colors"] == {
        "0": "#bdbdbd",
        "1": "#fee08b",
        "2": "#fdae61",
        "3": "#f46d43",
        "4": "#d73027",
        "5": "#a50026",
    }
    assert (spec["weight"], spec["opacity"], spec["id"], spec["show"]) == (
        4,
        0.6,
        "segment_id",
        False,
    )
    valves = _spec(data, t["valves"])
    assert (valves["by"], valves["radius"], valves["id"]) == ("state", 4, "valve_id")
    state = {
        f["properties"]["valve_id"]: f["properties"]["state"]
        for f in _layer(data, t["valves"])["data"]["features"]
    }
    assert state == {"V1": "open", "V2": "closed"}
    sources = _spec(data, t["sources"])
    assert (sources["color"].lower(), sources["radius"], sources["id"]) == (
        "#6a3d9a",
        8,
        "source_id",
    )
    regulators = _spec(data, t["regulators"])
    assert (regulators["color"].lower(), regulators["radius"], regulators["id"]) == (
        "#ff7f00",
        5,
        "regulator_id",
    )


def test_network_map_on_amap_tiles_moves_pipes_and_segments_to_gcj02():
    # Without tiles the pipes and segments are in WGS84: P1's first vertex is S's point as
    # to_crs(4326) gives it (6 decimals). On AMap's tiles (GCJ-02) each vertex is where the
    # published transform puts its WGS84 point (about 0.004 degrees off here).
    # Planted: maps.py: network_map's gcj = basemap == "amap" -> != (mutmut_8)
    # Planted: maps.py: network_map's _pipe_layer(..., gcj) -> None (mutmut_14)
    # Planted: maps.py: network_map's segments _features(..., gcj=gcj) -> None, dropped
    #   (mutmut_62, 65)
    t = maps.LABELS["zh"]
    layers = _layers()
    plain = _data(maps.network_map(layers))
    amap = _data(maps.network_map(layers, basemap="amap"))
    s = layers["sources"].to_crs(4326).geometry.iloc[0]
    assert _points(_layer(plain, t["pipes"]))[0] == pytest.approx([s.x, s.y], abs=1e-6)
    assert _points(_layer(plain, t["segments"]))[0] == pytest.approx([s.x, s.y], abs=1e-6)
    for key in ("pipes", "segments"):
        a = _points(_layer(plain, t[key]))
        b = _points(_layer(amap, t[key]))
        assert len(a) == len(b) > 0, key
        glon, glat = wgs84_to_gcj02([p[0] for p in a], [p[1] for p in a])
        assert 0.003 < abs(glon[0] - a[0][0]) + abs(glat[0] - a[0][1]) < 0.02, key
        assert [p[0] for p in b] == pytest.approx(glon.tolist(), abs=2e-6), key
        assert [p[1] for p in b] == pytest.approx(glat.tolist(), abs=2e-6), key


def test_network_map_on_tianditu_tiles_carries_the_key_given_and_none_by_default():
    # Called without a key, Tianditu's tile address carries an empty key (tk=), not a made-up
    # one; with key="abc" it carries tk=abc.
    # Planted: maps.py: network_map's key "" -> "XXXX" (mutmut_5)
    layers = _layers()
    assert re.findall(r"tk=(\w*)", maps.network_map(layers, basemap="tianditu")) == [""]
    page = maps.network_map(layers, basemap="tianditu", key="abc")
    assert re.findall(r"tk=(\w*)", page) == ["abc"]


# -- the incident page -----------------------------------------------------------------------


def _incident(customers: pd.DataFrame, **kw) -> str:
    """incident_map for closing V1 alone on a one-pipe network S(0,0)─P1─V1(50,0)─P1(100,0),
    customers C1 at (60, 5) and H at (80, 5)."""
    net, _ = build_network(
        canonical(
            pipes=[("P1", [(0, 0), (100, 0)])],
            valves=[("V1", (50, 0))],
            sources=[("S", (0, 0))],
            customers=[("C1", (60, 5), 3), ("H", (80, 5), 1, True)],
        )
    )
    x, y = xy(50, 0)
    valves = pd.DataFrame(
        {
            "order": [1],
            "valve_id": ["V1"],
            "action": ["close"],
            "x": [x],
            "y": [y],
            "lon": [106.73],
            "lat": [31.85],
            "gcj_lon": [106.73],
            "gcj_lat": [31.85],
        }
    )
    none = net.layers["edges"].iloc[0:0]
    return maps.incident_map(
        net,
        title="V1",
        lines=[],
        damaged=none,
        pipes=none,
        valves=valves,
        customers=customers,
        stations=[],
        **kw,
    )


def test_incident_panel_marks_the_critical_customers_first():
    # C1 (3 households) and H (critical, 1): the table lists H first (critical before the
    # rest) and marks its row, and only its row, with true (JSON booleans, not 1.0 / 0.0).
    # Planted: maps.py: incident_map's "marked" -> "XXmarkedXX", "MARKED" (mutmut_528, 529)
    # Planted: maps.py: incident_map's .astype(bool) -> .astype(None) (mutmut_530)
    customers = pd.DataFrame(
        {"customer_id": ["C1", "H"], "critical": [False, True], "households": [3, 1]}
    )
    page = _incident(customers, language="en")
    (*_, section) = _data(page)["panel"]["sections"]
    assert section["title"] == maps.LABELS["en"]["affected"]
    assert section["rows"] == [["H", True, 1], ["C1", False, 3]]
    assert [type(v) for v in section["marked"]] == [bool, bool]
    assert section["marked"] == [True, False]


def test_incident_panel_keeps_whole_numbers_whole():
    # A table of numbers only (ids 7 and 8, critical as 1 / 0, segment 2 and none): the page
    # writes the counts as the integers they are (7, 1, 40, 2), not 7.0, 1.0, 40.0; the
    # missing segment is null.
    # Planted: maps.py: incident_map's ctab[ccols].to_numpy(object) -> to_numpy(None)
    #   (mutmut_527)
    customers = pd.DataFrame(
        {
            "customer_id": [7, 8],
            "critical": [1, 0],
            "households": [40, 3],
            "segment_id": [2.0, None],
        }
    )
    page = _incident(customers)
    (*_, section) = _data(page)["panel"]["sections"]
    assert section["rows"] == [[7, 1, 40, 2.0], [8, 0, 3, None]]
    assert [type(v) for v in section["rows"][0][:3]] == [int, int, int]
    assert '"rows":[[7,1,40,2.0],[8,0,3,null]]' in page


def test_incident_page_on_tianditu_tiles_carries_the_key_given():
    # incident_map(basemap="tianditu", key="abc"): the tile address asks with tk=abc.
    # Planted: maps.py: incident_map's _page(..., tianditu_key=key) dropped (mutmut_540)
    customers = pd.DataFrame({"customer_id": ["C1"], "critical": [False], "households": [3]})
    page = _incident(customers, basemap="tianditu", key="abc")
    assert re.findall(r"tk=(\w*)", page) == ["abc"]
