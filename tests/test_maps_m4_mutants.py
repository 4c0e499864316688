"""The one map's customers, regulators, advice and quality-issue layers: the data each carries,
for the mutants of maps.network_map a quick mutation pass left alive (docs/mutants.md)."""

from __future__ import annotations

import json
import re
import warnings

import geopandas as gpd
from conftest import canonical, xy
from shapely.geometry import Point, Polygon

from gasnet import maps

T = maps.LABELS["en"]


def page_data(page: str) -> dict:
    """The JSON block of a page, read back as the page's script reads it."""
    m = re.search(r'<script type="application/json" id="gasnet-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def layer(data: dict, name: str) -> dict:
    return next(x for x in data["layers"] if x["name"] == name)


def _layers():
    # One pipe, one valve, one station, one regulator; three customers: C1 a hospital
    # (critical), C2 a home (not critical), C3 whose critical flag is missing (not critical).
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V1", (50, 0))],
        sources=[("S", (0, 0))],
        regulators=[("R", (100, 0))],
        customers=[("C1", (60, 5), 40, True), ("C2", (30, 5), 2, False), ("C3", (80, 5), 1, None)],
    )
    cust = layers["customers"]
    cust["kind"] = ["hospital", "residential", "residential"]
    cust["has_supply"] = [True, True, False]
    cust["segment_id"] = [1, 1, 2]
    return layers


def _props(data, name):
    return [f["properties"] for f in layer(data, name)["data"]["features"]]


def test_customer_popups_carry_every_customer_field():
    data = page_data(maps.network_map(_layers(), language="en"))
    fields = ["customer_id", "name", "kind", "critical", "households", "has_supply", "segment_id"]
    # The critical customer apart; the home and the one without a flag together (the missing
    # flag is read as "not critical" and shown as none).
    assert _props(data, T["critical"]) == [
        dict(zip(fields, ["C1", "C1", "hospital", True, 40, True, 1], strict=True))
    ]
    assert _props(data, T["customers"]) == [
        dict(zip(fields, ["C2", "C2", "residential", False, 2, True, 1], strict=True)),
        dict(zip(fields, ["C3", "C3", "residential", None, 1, False, 2], strict=True)),
    ]


def test_customer_without_critical_flag_draws_quietly():
    # A missing critical flag is not critical, and reading it warns of nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = page_data(maps.network_map(_layers(), language="en"))
    crit = [p["customer_id"] for p in _props(data, T["critical"])]
    assert crit == ["C1"]


def test_customer_and_regulator_layers_style_and_search_key():
    data = page_data(maps.network_map(_layers(), language="en"))
    # Customers: small blue circles, clustered, off at first, found by customer_id.
    cust = layer(data, T["customers"])
    assert cust["color"].lower() == "#1f78b4" and cust["radius"] == 3
    assert cust["cluster"] is True and cust["show"] is False
    assert cust["id"] == "customer_id"
    # Critical customers: big red circles with a black ring, shown, found by customer_id.
    crit = layer(data, T["critical"])
    assert crit["color"].lower() == "#e31a1c" and crit["stroke"].lower() == "#000000"
    assert crit["radius"] == 7 and crit.get("show", True) is not False
    assert crit["id"] == "customer_id"
    # Regulators are found by their regulator_id (a property every feature carries).
    reg = layer(data, T["regulators"])
    assert reg["id"] == "regulator_id"
    assert [p[reg["id"]] for p in _props(data, T["regulators"])] == ["R"]


def test_amap_moves_customers_and_advice_to_gcj02():
    # AMap tiles are in GCJ-02: each point moves by a few hundred metres (0.001–0.02 degrees).
    def with_advice():
        layers = _layers()
        layers["valve_advice"] = gpd.GeoDataFrame(
            {"rank": [1], "pipe_id": ["A"], "position_m": [20.0]},
            geometry=[Point(xy(20, 0))],
            crs="EPSG:4545",
        )
        return layers

    plain = page_data(maps.network_map(with_advice(), language="en"))
    amap = page_data(maps.network_map(with_advice(), language="en", basemap="amap"))
    for name in (T["customers"], T["critical"], T["valve_advice"]):
        a = layer(plain, name)["data"]["features"][0]["geometry"]["coordinates"]
        b = layer(amap, name)["data"]["features"][0]["geometry"]["coordinates"]
        assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02, name


def test_quality_issues_drawn_at_a_point_of_each_feature():
    layers = _layers()
    # Two issues: an error about a 10 m square (drawn at a point inside it: x, y in 0..10 m)
    # and a warning with no geometry (not drawn).
    square = Polygon([xy(0, 0), xy(10, 0), xy(10, 10), xy(0, 10)])
    layers["quality_issues"] = gpd.GeoDataFrame(
        {
            "check": ["self_intersection", "missing_geometry"],
            "severity": ["error", "warning"],
            "layer": ["pipes", "valves"],
            "feature_id": ["A", "V9"],
            "message": ["crosses itself", "no geometry"],
        },
        geometry=[square, None],
        crs="EPSG:4545",
    )
    data = page_data(maps.network_map(layers, language="en"))
    assert [x["name"] for x in data["layers"]][-1] == T["quality"]
    spec = layer(data, T["quality"])
    assert spec["by"] == "severity" and spec["show"] is False
    assert spec["colors"] == {"error": "#d7191c", "warning": "#ff7f00"}
    assert spec["radius"] == 5 and spec["fillOpacity"] == 0.3
    (feat,) = spec["data"]["features"]
    assert feat["properties"] == {
        "check": "self_intersection",
        "severity": "error",
        "layer": "pipes",
        "feature_id": "A",
        "message": "crosses itself",
    }
    assert feat["geometry"]["type"] == "Point"
    lon, lat = feat["geometry"]["coordinates"]
    box = gpd.GeoSeries([square], crs="EPSG:4545").to_crs("EPSG:4326").total_bounds
    assert box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
