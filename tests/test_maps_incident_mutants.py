"""The incident page (maps.incident_map, behind `gasnet burst --map` and `isolate --map`): the
style of each of its layers, the customers and the damaged point it draws, the warning circle,
its layers on AMap's tiles, and its defaults when called directly, word for word: for the
mistakes a full mutation-testing pass of maps.py found no test would catch (docs/mutants.md).
No browser: the pages are read through their JSON block.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest
from test_maps_mutants import _flat, _incident_net, as_the_cli_hands_it, layer, page_data

from gasnet import maps
from gasnet._geo import wgs84_to_gcj02

# tests/test_maps_mutants.py's incident network (VA inoperable): a burst on P3 takes segments
# A and B, so nobody closes anything; VA (cannot close) and VC (no crew needed) are the other
# boundary valves; H (the hospital, critical) and C2 are isolated, C1 is cut off behind VC.


def _burst_data(**kw):
    net = _incident_net()
    return page_data(maps.burst_map(net, as_the_cli_hands_it(net.burst(pipe="P3")), **kw))


def _spec(data, name) -> dict:
    """A layer's spec without its features."""
    return {k: v for k, v in layer(data, name).items() if k != "data"}


def _points(spec) -> list:
    """Every coordinate pair of a layer's features, in order."""
    out = []

    def walk(c):
        if isinstance(c[0], list):
            for x in c:
                walk(x)
        else:
            out.append(c)

    for f in spec["data"]["features"]:
        walk(f["geometry"]["coordinates"])
    return out


def test_burst_page_styles_each_layer_word_for_word():
    # The whole network faint underneath (35 % opacity, no overview map: the incident page
    # has none), the damaged pipe red #d7191c and 7 px; the valves to close red with a black
    # ring, 8 px, numbered by their order and found by their id in the search box; the other
    # boundary valves white with a dark grey ring, 5 px, found by id; the customers losing gas
    # blue, 3 px, clustered, found by id; the critical ones red #e31a1c with a black ring,
    # 7 px, found by id; the damaged point red with a black 3 px ring, 9 px.
    # A colour spelt in upper case draws the same but is another page; it is caught too.
    # Planted: maps.py: incident_map's _pipe_layer(..., minimap=False) -> True, dropped
    # Planted: maps.py: incident_map's specs[0]["opacity"] = 0.35 -> None, 1.35
    # Planted: maps.py: incident_map's damaged "#d7191c" -> "XX#d7191cXX", "#D7191C";
    #   weight 7 -> 8
    # Planted: maps.py: incident_map's to_close "#d7191c" -> "XX#d7191cXX", "#D7191C";
    #   "#000000" -> "XX#000000XX"; radius 8 -> 9; "order" -> "XXorderXX", "ORDER";
    #   "valve_id" -> "XXvalve_idXX", "VALVE_ID"
    # Planted: maps.py: incident_map's other valves' "#ffffff" -> "XX#ffffffXX", "#FFFFFF";
    #   "#333333" -> "XX#333333XX"; radius 5 -> 6; "valve_id" -> "XXvalve_idXX", "VALVE_ID"
    # Planted: maps.py: incident_map's affected "#1f78b4" -> "XX#1f78b4XX", "#1F78B4";
    #   radius 3 -> 4; cluster True -> False; "customer_id" -> "XXcustomer_idXX",
    #   "CUSTOMER_ID"
    # Planted: maps.py: incident_map's critical "#e31a1c" -> "XX#e31a1cXX", "#E31A1C";
    #   "#000" -> "XX#000XX"
    # Planted: maps.py: incident_map's damaged point "#d7191c" -> "XX#d7191cXX", "#D7191C";
    #   "#000000" -> "XX#000000XX"; radius 9 -> 10; weight 3 -> 4
    data = _burst_data()
    t = maps.LABELS["zh"]
    assert _spec(data, "管线（按压力级制）") == {
        "name": "管线（按压力级制）",
        "by": "pressure_class",
        "colors": maps.PRESSURE_COLOURS,
        "color": "#999999",
        "weight": 2,
        "id": "pipe_id",
        "legend": [["MP-A", "#2166ac"]],  # every pipe of the fixture is MP-A
        "show": True,
        "minimap": False,
        "opacity": 0.35,
    }
    assert _spec(data, "受损管段") == {"name": "受损管段", "color": "#d7191c", "weight": 7}
    assert _spec(data, "需关闭阀门（按顺序）") == {
        "name": "需关闭阀门（按顺序）",
        "color": "#d7191c",
        "stroke": "#000000",
        "radius": 8,
        "numbered": "order",
        "id": "valve_id",
    }
    assert _spec(data, "其他边界阀门") == {
        "name": "其他边界阀门",
        "color": "#ffffff",
        "stroke": "#333333",
        "radius": 5,
        "id": "valve_id",
    }
    assert _spec(data, "停气用户") == {
        "name": "停气用户",
        "color": "#1f78b4",
        "radius": 3,
        "cluster": True,
        "id": "customer_id",
    }
    assert _spec(data, "重要用户（医院、学校、养老院）") == {
        "name": "重要用户（医院、学校、养老院）",
        "color": "#e31a1c",
        "stroke": "#000",
        "radius": 7,
        "id": "customer_id",
    }
    assert _spec(data, "受损点") == {
        "name": "受损点",
        "color": "#d7191c",
        "stroke": "#000000",
        "radius": 9,
        "weight": 3,
    }
    # (the names typed above are the page's own words)
    assert [x["name"] for x in data["layers"]] == [
        t[k]
        for k in (
            "pipes",
            "isolated",
            "deenergised",
            "damaged",
            "to_close",
            "other_valves",
            "affected",
            "critical",
            "damaged_point",
        )
    ]


def test_closure_page_numbers_the_valves_to_close_and_finds_them_by_id():
    # Closing VB and VC: both points carry the field the layer is numbered by (order 1, 2, the
    # number drawn beside each) and the one the search box finds them by (their id).
    # Planted: maps.py: incident_map's to_close "numbered": "order" -> "XXorderXX", "ORDER"
    # Planted: maps.py: incident_map's to_close "id": "valve_id" -> "XXvalve_idXX", "VALVE_ID"
    net = _incident_net()
    iso = net.isolate(["VB", "VC"])
    data = page_data(maps.isolate_map(net, ["VB", "VC"], _flat(iso.customers)))
    spec = layer(data, maps.LABELS["zh"]["to_close"])
    props = [f["properties"] for f in spec["data"]["features"]]
    assert [(p[spec["numbered"]], p[spec["id"]]) for p in props] == [(1, "VB"), (2, "VC")]


def test_burst_page_draws_the_customers_and_the_damaged_point_in_lon_lat():
    # The customers losing gas apart from the critical ones: C1 (cut off) and C2, in the
    # burst's order; the critical: H. Their points are the network's, (350, 10), (250, 10)
    # and (110, 50) in EPSG:4545, i.e. in WGS84 (6 decimals) 106.735859 E 31.850846 N,
    # 106.734802 E 31.850835 N and 106.733318 E 31.851181 N. The damaged point is P3's
    # middle, (250, 0): 106.7348035 E 31.8507450 N (-> 106.734803, 31.850745), the centre
    # of the warning circle, and its popup says what it is (受损管段, the damaged pipe).
    # Planted: maps.py: incident_map's cust GeoDataFrame(..., crs=crs) -> crs=None, dropped
    # Planted: maps.py: incident_map's _features(cust[~crit]) -> cust[crit]
    # Planted: maps.py: incident_map's here GeoDataFrame({"what": ...}) -> None, dropped,
    #   {"XXwhatXX": ...}, {"WHAT": ...}; _features(here, ["what"]) -> ["XXwhatXX"], ["WHAT"]
    data = _burst_data()
    t = maps.LABELS["zh"]
    affected = layer(data, t["affected"])["data"]["features"]
    assert [f["properties"]["customer_id"] for f in affected] == ["C1", "C2"]
    assert [f["geometry"]["coordinates"] for f in affected] == [
        [106.735859, 31.850846],
        [106.734802, 31.850835],
    ]
    (h,) = layer(data, t["critical"])["data"]["features"]
    assert h["properties"]["customer_id"] == "H"
    assert h["geometry"]["coordinates"] == [106.733318, 31.851181]
    (point,) = layer(data, t["damaged_point"])["data"]["features"]
    assert point == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [106.734803, 31.850745]},
        "properties": {"what": "受损管段"},
    }


def test_burst_page_warning_circle_word_for_word():
    # A 110 mm MP-A pipe: 0.33 x 110 x sqrt(0.4) = 23 m, so the 100 m minimum; centred on
    # P3's middle (lat, lon); named 警戒范围 in the layer list, labelled "警戒范围 100 m".
    # Planted: maps.py: incident_map's circle "name" -> "XXnameXX", "NAME"
    data = _burst_data()
    circle = data["circle"]
    assert circle == {
        "center": pytest.approx([31.8507450, 106.7348035], abs=2e-7),
        "radius": 100.0,
        "name": "警戒范围",
        "label": "警戒范围 100 m",
    }


def test_burst_page_on_amap_tiles_moves_every_layer_to_gcj02():
    # On AMap's tiles (GCJ-02) the network underneath, the damaged pipe, the customers (the
    # critical ones too) and the damaged point are each where the published transform puts
    # their WGS84 point (about 0.004 degrees off here; to 2e-6, both pages rounding to 6
    # decimals); and the damaged point stays at the centre of the warning circle.
    # Planted: maps.py: incident_map's _pipe_layer(pipes, ..., gcj) -> None
    # Planted: maps.py: incident_map's damaged _features(..., gcj=gcj) -> None, dropped
    # Planted: maps.py: incident_map's affected _features(..., gcj=gcj) -> None, dropped
    # Planted: maps.py: incident_map's critical _features(..., gcj=gcj) -> None, dropped
    # Planted: maps.py: incident_map's damaged point _features(..., gcj=gcj) -> None, dropped
    t = maps.LABELS["zh"]
    plain = _burst_data()
    amap = _burst_data(config=SimpleNamespace(maps={"basemap": "amap"}))
    for key in ("pipes", "damaged", "affected", "critical", "damaged_point"):
        a = _points(layer(plain, t[key]))
        b = _points(layer(amap, t[key]))
        assert len(a) == len(b) > 0, key
        glon, glat = wgs84_to_gcj02([p[0] for p in a], [p[1] for p in a])
        assert 0.003 < abs(glon[0] - a[0][0]) + abs(glat[0] - a[0][1]) < 0.02, key
        assert [p[0] for p in b] == pytest.approx(glon.tolist(), abs=2e-6), key
        assert [p[1] for p in b] == pytest.approx(glat.tolist(), abs=2e-6), key
    for data in (plain, amap):
        (point,) = _points(layer(data, t["damaged_point"]))
        lat, lon = data["circle"]["center"]
        assert point == pytest.approx([lon, lat], abs=1e-6)


def _closure_inputs():
    """incident_map's arguments for closing VB alone, by hand: VB at (150, 100), 106.7337348 E
    31.8516361 N (GCJ-02 106.7378629, 31.8494530); C1 (40 households) loses gas."""
    net = _incident_net()
    valves = pd.DataFrame(
        {
            "order": [1],
            "valve_id": ["VB"],
            "action": ["close"],
            "x": [380_150.0],
            "y": [3_526_100.0],
            "lon": [106.7337348],
            "lat": [31.8516361],
            "gcj_lon": [106.7378629],
            "gcj_lat": [31.8494530],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "name": ["C1"],
            "kind": ["residential"],
            "critical": [False],
            "households": [40],
            "segment_id": [2],
        }
    )
    none = net.layers["edges"].iloc[0:0]
    return net, {
        "title": "事故隔离指令: VB",
        "lines": [],
        "damaged": none,
        "pipes": none,
        "valves": valves,
        "customers": customers,
        "stations": [],
    }


def test_incident_map_called_directly_defaults_to_chinese_without_tiles():
    # incident_map is public: called without a language, basemap or key, its page is in
    # Chinese and loads no tiles; on Tianditu's tiles without a key, the tile address
    # carries an empty key (tk=).
    # Planted: maps.py: incident_map's language "zh" -> "XXzhXX", "ZH"
    # Planted: maps.py: incident_map's basemap "none" -> "XXnoneXX", "NONE"
    # Planted: maps.py: incident_map's key "" -> "XXXX"
    net, kw = _closure_inputs()
    page = maps.incident_map(net, **kw)
    data = page_data(page)
    assert data["labels"] == maps.LABELS["zh"]
    assert [x["name"] for x in data["layers"]] == [
        "管线（按压力级制）",
        "受损管段",
        "需关闭阀门（按顺序）",
        "停气用户",
        "重要用户（医院、学校、养老院）",
    ]
    assert "L.tileLayer(" not in page
    (point,) = layer(data, "需关闭阀门（按顺序）")["data"]["features"]
    assert point["geometry"]["coordinates"] == [106.733735, 31.851636]  # WGS84, not GCJ-02
    page = maps.incident_map(net, basemap="tianditu", **kw)
    assert re.findall(r"tk=(\w*)", page) == [""]
