"""The one map's quality-issues layer and its basemap, for the mistakes mutation testing found
no quick test would catch (docs/mutants.md)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
from conftest import X0, Y0, canonical, xy
from shapely.geometry import Point, Polygon

from gasnet import maps


def page_data(page: str) -> dict:
    """The JSON block of a page, read back as the page's script reads it."""
    m = re.search(r'<script type="application/json" id="gasnet-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def _layers_with_quality_issues():
    # One pipe, one valve, one station; two quality issues: an error at a point (50, 0), a
    # warning on a 10 m square (drawn at a point inside it), and one without a geometry (left
    # out: the map has nowhere to draw it).
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V1", (50, 0))],
        sources=[("S", (0, 0))],
    )
    square = Polygon([xy(0, 0), xy(10, 0), xy(10, 10), xy(0, 10)])
    layers["quality_issues"] = gpd.GeoDataFrame(
        {
            "check": ["valve_off_pipe", "small_area", "orphan"],
            "severity": ["error", "warning", "error"],
            "layer": ["valves", "customers", "pipes"],
            "feature_id": ["V1", "C9", "P9"],
            "message": ["valve 3 m off the pipe", "tiny parcel", "no geometry"],
            "other": ["not", "shown", "here"],
        },
        geometry=[Point(xy(50, 0)), square, None],
        crs="EPSG:4545",
    )
    return layers


def _quality(data: dict) -> dict:
    return next(x for x in data["layers"] if x["name"] == data["labels"]["quality"])


def test_network_map_quality_issues_by_severity_with_their_fields_off_at_first():
    # The quality layer: each issue's check, severity, layer, feature and message (nothing
    # else), coloured by severity (errors red #d7191c, warnings orange #ff7f00), 5 px
    # circles filled at 30 %, off when the page opens.
    data = page_data(maps.network_map(_layers_with_quality_issues(), language="en"))
    spec = _quality(data)
    assert spec["name"] == "Quality issues"
    feats = spec.pop("data")["features"]
    # (colours compared as browsers read them: in any case)
    spec["colors"] = {k: v.lower() for k, v in spec["colors"].items()}
    assert spec == {
        "name": "Quality issues",
        "by": "severity",
        "colors": {"error": "#d7191c", "warning": "#ff7f00"},
        "radius": 5,
        "fillOpacity": 0.3,
        "show": False,
    }
    assert [f["properties"] for f in feats] == [
        {
            "check": "valve_off_pipe",
            "severity": "error",
            "layer": "valves",
            "feature_id": "V1",
            "message": "valve 3 m off the pipe",
        },
        {
            "check": "small_area",
            "severity": "warning",
            "layer": "customers",
            "feature_id": "C9",
            "message": "tiny parcel",
        },
    ]
    # Both drawn as points; the first exactly where the valve is (X0 + 50, Y0) in WGS84.
    assert [f["geometry"]["type"] for f in feats] == ["Point", "Point"]
    where = gpd.GeoSeries([Point(X0 + 50, Y0)], crs="EPSG:4545").to_crs("EPSG:4326").iloc[0]
    assert feats[0]["geometry"]["coordinates"] == [round(where.x, 6), round(where.y, 6)]


def test_network_map_quality_issues_on_amap_tiles_in_gcj02():
    # AMap's tiles are in GCJ-02: the issue moves by the same few hundred metres as the valve
    # it is about.
    plain = page_data(maps.network_map(_layers_with_quality_issues()))
    amap = page_data(maps.network_map(_layers_with_quality_issues(), basemap="amap"))
    a = _quality(plain)["data"]["features"][0]["geometry"]["coordinates"]
    b = _quality(amap)["data"]["features"][0]["geometry"]["coordinates"]
    assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02
    valve = next(x for x in amap["layers"] if x["name"] == amap["labels"]["valves"])
    assert valve["data"]["features"][0]["geometry"]["coordinates"] == b


def test_network_map_tianditu_basemap_with_its_key():
    # The one map with Tianditu tiles: one tile layer, with the key in its address and
    # Tianditu's credit ("© 天地图", which folium writes as JSON escapes), servers t0-t7.
    page = maps.network_map(_layers_with_quality_issues(), basemap="tianditu", key="KEY42")
    urls = re.findall(r"L\.tileLayer\(\s*\"([^\"]*)\"", page)
    assert len(urls) == 1
    assert urls[0].startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?")
    assert urls[0].endswith("tk=KEY42")
    assert '"attribution": "\\u00a9 \\u5929\\u5730\\u56fe"' in page
    assert '"subdomains": "01234567"' in page
    # no basemap asked for: no tiles at all
    assert "L.tileLayer(" not in maps.network_map(_layers_with_quality_issues())
