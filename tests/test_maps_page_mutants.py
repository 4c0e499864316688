"""The data of the risk, burst and isolate pages, word for word and value for value, for the
mistakes a full mutation-testing pass of maps.py found no test would catch (docs/mutants.md).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from conftest import xy
from shapely.geometry import Point
from test_maps_mutants import (
    _flat,
    _incident_net,
    _network_layers,
    as_the_cli_hands_it,
    layer,
    page_data,
)

from gasnet import maps

# -- the risk page -----------------------------------------------------------------------------


def _risk_layers():
    """The one map's layers with the hazard stage's roll-ups and 32 hazards: rank 2 closed, the
    31 others open (one more than the panel's 30); rank 1 is 1 day overdue, rank 4 five."""
    layers = _network_layers()
    layers["pipes"]["hazard_tier"] = ["P1", None]
    layers["pipes"]["hazards_open"] = [2, 0]
    layers["segments"]["hazard_tier"] = ["P2", None, None, None]
    n = 32
    layers["risk"] = gpd.GeoDataFrame(
        {
            "rank": list(range(1, n + 1)),
            "tier": ["P1", "closed"] + ["P3"] * (n - 2),
            "score": [90.0 - i for i in range(n)],
            "hazard_id": [f"H{i}" for i in range(1, n + 1)],
            "category": ["leak"] * n,
            "days_overdue": [1, 0, 0, 5] + [0] * (n - 4),
            "likelihood": [0.5] * n,
            "consequence": [2.0] * n,
            "households_lost": [5] * n,
            "critical_lost": [1] * n,
            "pipe_id": ["A"] * n,
        },
        geometry=[Point(xy(10 + i, 1)) for i in range(n)],
        crs="EPSG:4545",
    )
    return layers


RISK_COLUMNS = [
    "rank",
    "tier",
    "score",
    "hazard_id",
    "category",
    "days_overdue",
    "likelihood",
    "consequence",
    "households_lost",
    "critical_lost",
    "pipe_id",
]


def test_risk_page_data_word_for_word():
    # Chinese by default. The pipes drawn by hazard tier (P1..P3, no "closed"), grey when none;
    # the segments the same, 5 px at half opacity, off at first, named "阀门分段 · 隐患（按等级）"
    # (the segments' label up to its bracket); the panel: the top 30 open hazards (rank 2 is
    # closed: ranks 1, 3..31), overdue ones marked (rank 1 by 1 day, rank 4 by 5).
    # Planted: maps.py: risk_map's language "zh" -> "XXzhXX", "ZH"
    # Planted: maps.py: risk_map's top 30 -> 31; .head(top) -> .head(None)
    # Planted: maps.py: risk_map's days_overdue > 0 -> > 1
    # Planted: maps.py: risk_map's pipes "colors" -> "XXcolorsXX", "COLORS"
    # Planted: maps.py: risk_map's segments `and` -> `or` (both); "name"/"by"/"colors"/"color"/
    #   "weight"/"opacity" -> "XX..XX", upper case; 5 -> 6; 0.5 -> 1.5; "#d9d9d9" -> "XX#d9d9d9XX",
    #   "#D9D9D9"; " · " -> "XX · XX"; split("（") -> split(None), split("XX（XX");
    #   "segment_id"/"customers_lost" -> "XX..XX", upper case
    # Planted: maps.py: risk_map's "focus" -> "XXfocusXX", "FOCUS"; "columns" -> "XXcolumnsXX",
    #   "COLUMNS"
    # Planted: maps.py: risk_map's _pipe_layer(pipes, t["pipes"], ...) -> _pipe_layer(pipes, None)
    layers = _risk_layers()
    data = page_data(maps.risk_map(layers))
    t = maps.LABELS["zh"]
    assert data["labels"] == t
    tiers = {"P1": "#d7191c", "P2": "#fdae61", "P3": "#e6c700"}
    pipes, segs = data["layers"][:2]
    assert pipes["name"] == "管线（按压力级制） · 隐患（按等级）"
    assert {k: pipes[k] for k in ("by", "colors", "color", "legend", "id")} == {
        "by": "hazard_tier",
        "colors": tiers,
        "color": "#d9d9d9",
        "legend": [["P1", "#d7191c"], ["P2", "#fdae61"], ["P3", "#e6c700"], ["—", "#d9d9d9"]],
        "id": "pipe_id",
    }
    assert [f["properties"]["hazard_tier"] for f in pipes["data"]["features"]] == ["P1", None]
    assert {k: v for k, v in segs.items() if k != "data"} == {
        "name": "阀门分段 · 隐患（按等级）",
        "by": "hazard_tier",
        "colors": tiers,
        "color": "#d9d9d9",
        "weight": 5,
        "opacity": 0.5,
        "id": "segment_id",
        "show": False,
    }
    assert [f["properties"] for f in segs["data"]["features"]] == [
        {"segment_id": 1, "hazard_tier": "P2", "customers_lost": 0},
        {"segment_id": 2, "hazard_tier": None, "customers_lost": 10},
        {"segment_id": 3, "hazard_tier": None, "customers_lost": 11},
        {"segment_id": 4, "hazard_tier": None, "customers_lost": 1001},
    ]
    assert [x["name"] for x in data["layers"]] == [
        "管线（按压力级制） · 隐患（按等级）",
        "阀门分段 · 隐患（按等级）",
        t["hazards"],
    ]
    # The pipes run from (0, 0) to (200, 0), i.e. 106.7324 E, 31.8506 N to 106.7345 E.
    (s, w), (n, e) = data["focus"]
    assert 31.85 < s <= n < 31.86 and 106.73 < w < e < 106.74
    open_ranks = [1, *range(3, 32)]
    rows = [
        [r, "P3", 91.0 - r, f"H{r}", "leak", {1: 1, 4: 5}.get(r, 0), 0.5, 2.0, 5, 1, "A"]
        for r in open_ranks
    ]
    rows[0][1] = "P1"
    assert data["panel"] == {
        "title": t["risk"],
        "sections": [
            {
                "title": t["top_hazards"],
                "columns": RISK_COLUMNS,
                "rows": rows,
                "marked": [r in (1, 4) for r in open_ranks],
            }
        ],
    }


def test_risk_page_segments_named_in_english_and_left_out_without_tiers():
    # "Valve segments (by customers lost)" up to its bracket: "Valve segments · Hazards (by
    # tier)". Segments without a hazard_tier (hazard stage not run on them) are no layer.
    # Planted: maps.py: risk_map's .split(" (") -> .split(None), .split("XX (XX")
    # Planted: maps.py: risk_map's `segs is not None and len(segs) and "hazard_tier" in segs`
    #   -> `... and len(segs) or "hazard_tier" in segs`, `segs is not None or ...`
    t = maps.LABELS["en"]
    layers = _risk_layers()
    data = page_data(maps.risk_map(layers, language="en"))
    assert [x["name"] for x in data["layers"]] == [
        "Pipes (by pressure class) · Hazards (by tier)",
        "Valve segments · Hazards (by tier)",
        t["hazards"],
    ]
    layers["segments"] = layers["segments"].drop(columns="hazard_tier")
    data = page_data(maps.risk_map(layers, language="en"))
    assert [x["name"] for x in data["layers"]] == [
        "Pipes (by pressure class) · Hazards (by tier)",
        t["hazards"],
    ]


def _coordinates(spec) -> list:
    """Each feature's first point of a layer."""
    out = []
    for f in spec["data"]["features"]:
        c = f["geometry"]["coordinates"]
        while isinstance(c[0], list):
            c = c[0]
        out.append(c)
    return out


def test_risk_page_on_amap_tiles_moves_every_layer_to_gcj02():
    # AMap's tiles (GCJ-02): the pipes, the segments and the hazards all move by the same
    # few hundred metres (about 0.004 degrees here); other tiles keep WGS84. The page loads
    # AMap's tiles.
    # Planted: maps.py: risk_map's gcj = basemap == "amap" -> None, !=, "XXamapXX", "AMAP"
    # Planted: maps.py: risk_map's _pipe_layer(..., gcj, ...) -> None; segments'
    #   _features(..., gcj=gcj) -> gcj=None, dropped; _hazard_layers(layers, t, gcj) -> None
    # Planted: maps.py: risk_map's _page(..., basemap=basemap, ...) -> basemap dropped
    plain_page = maps.risk_map(_risk_layers(), basemap="osm")
    amap_page = maps.risk_map(_risk_layers(), basemap="amap")
    assert "webrd0" in amap_page and "webrd0" not in plain_page
    plain, amap = page_data(plain_page), page_data(amap_page)
    assert len(plain["layers"]) == len(amap["layers"]) == 3
    for a, b in zip(plain["layers"], amap["layers"], strict=True):
        for p, q in zip(_coordinates(a), _coordinates(b), strict=True):
            assert 0.001 < abs(p[0] - q[0]) + abs(p[1] - q[1]) < 0.02, a["name"]
    osm = page_data(maps.risk_map(_risk_layers()))["layers"]
    assert [_coordinates(x) for x in osm] == [_coordinates(x) for x in plain["layers"]]
    # ... WGS84 itself: pipe A starts at (0, 0) of the grid.
    start = gpd.GeoSeries([Point(xy(0, 0))], crs="EPSG:4545").to_crs("EPSG:4326").iloc[0]
    assert _coordinates(plain["layers"][0])[0] == pytest.approx([start.x, start.y], abs=1e-6)


def test_risk_page_tianditu_key_in_the_tile_address():
    # Tianditu's tiles carry the key given (tk=...), none by default.
    # Planted: maps.py: risk_map's key "" -> "XXXX"
    # Planted: maps.py: risk_map's _page(..., tianditu_key=key) -> None, dropped
    page = maps.risk_map(_risk_layers(), basemap="tianditu", key="K123")
    assert re.findall(r"tk=(\w*)", page) == ["K123"]
    page = maps.risk_map(_risk_layers(), basemap="tianditu")
    assert re.findall(r"tk=(\w*)", page) == [""]


# -- the burst page --------------------------------------------------------------------------
#
# tests/test_maps_mutants.py's incident network (VA inoperable): a burst on P3 takes A and B,
# nobody closes anything; VA and VC are the other boundary valves.


def _burst_data(**kw):
    net = _incident_net()
    return page_data(maps.burst_map(net, as_the_cli_hands_it(net.burst(pipe="P3")), **kw))


def test_burst_page_layers_word_for_word():
    # The isolated area: one outline named 隔离区, orange #ff7f00. The pipes without gas (停气
    # 管线): grey #636363, 4 px, dashed "6 4", each edge with its pipe, edge, isolated or not,
    # class, diameter and length: P1..P7 cut at the valves and the customers' taps, all isolated
    # but P4's two parts beyond VC (cut off only). The other valves (其他边界阀门): VA (cannot
    # close) and VC (no crew needed) with their WGS84 coordinates. The warning circle sits on
    # P3's middle, (250, 0): 106.7348035 E, 31.8507450 N.
    # Planted: maps.py: incident_map's area GeoDataFrame({"what": ...}) -> None, dropped,
    #   {"XXwhatXX": ...}, {"WHAT": ...}; _features(area, ["what"]) -> ["XXwhatXX"], ["WHAT"]
    # Planted: maps.py: incident_map's area "#ff7f00" -> "XX#ff7f00XX", "#FF7F00"
    # Planted: maps.py: incident_map's deenergised "#636363" -> "XX#636363XX"; weight 4 -> 5;
    #   "6 4" -> "XX6 4XX"; each of its six columns -> "XX..XX", upper case
    # Planted: maps.py: incident_map's other valves' "action"/"lon"/"lat" -> "XX..XX", upper
    #   (mutmut_223, "lon" -> "XXlonXX", whose diff was missing, planted by hand)
    # Planted: maps.py: burst_map's line_interpolate_point(..., 0.5, normalized=True) ->
    #   normalized=None, False, dropped; 0.5 -> 1.5
    data = _burst_data()
    t = maps.LABELS["zh"]
    area = layer(data, t["isolated"])
    assert {k: v for k, v in area.items() if k != "data"} == {
        "name": "隔离区",
        "color": "#ff7f00",
        "weight": 1,
        "fillOpacity": 0.12,
    }
    assert [f["properties"] for f in area["data"]["features"]] == [{"what": "隔离区"}]
    off = layer(data, t["deenergised"])
    assert {k: v for k, v in off.items() if k != "data"} == {
        "name": "停气管线",
        "color": "#636363",
        "weight": 4,
        "dash": "6 4",
    }
    parts = [
        ("P1", 100.0),
        ("P2", 50.0),
        ("P2", 50.0),
        ("P3", 50.0),
        ("P3", 50.0),
        ("P4", 20.0),
        ("P4", 30.0),
        ("P4", 50.0),
        ("P5", 50.0),
        ("P5", 50.0),
        ("P6", 100.0),
        ("P7", 50.0),
        ("P7", 50.0),
    ]
    assert [f["properties"] for f in off["data"]["features"]] == [
        {
            "pipe_id": p,
            "edge_id": i,
            "isolated": i not in (6, 7),
            "pressure_class": "MP-A",
            "diameter_mm": 110.0,
            "length_m": m,
        }
        for i, (p, m) in enumerate(parts)
    ]
    others = layer(data, t["other_valves"])
    assert [f["properties"] for f in others["data"]["features"]] == [
        {"valve_id": "VA", "action": "skip_inoperable", "lon": 106.7337472, "lat": 31.8507345},
        {"valve_id": "VC", "action": "no_crew", "lon": 106.7355429, "lat": 31.8507524},
    ]
    assert data["circle"]["center"] == pytest.approx([31.8507450, 106.7348035], abs=2e-7)


def test_burst_page_on_amap_tiles_moves_its_layers_to_gcj02():
    # On AMap's tiles the isolated area, the pipes without gas and the other valves all move
    # the few hundred metres of GCJ-02 (as the rest of the page does).
    # Planted: maps.py: incident_map's area _features(..., gcj=gcj) -> None, dropped
    # Planted: maps.py: incident_map's deenergised _features(..., gcj=gcj) -> None, dropped
    # Planted: maps.py: incident_map's other valves' _features(..., gcj=gcj) -> None, dropped
    t = maps.LABELS["zh"]
    plain = _burst_data()
    amap = _burst_data(config=SimpleNamespace(maps={"basemap": "amap"}))
    for name in (t["isolated"], t["deenergised"], t["other_valves"]):
        a, b = _coordinates(layer(plain, name)), _coordinates(layer(amap, name))
        assert len(a) == len(b) > 0
        for p, q in zip(a, b, strict=True):
            assert 0.001 < abs(p[0] - q[0]) + abs(p[1] - q[1]) < 0.02, name


def test_burst_page_of_tables_without_geometry():
    # The result's valves and customers as plain tables indexed by id (no geometry column):
    # the same page as with the ids as columns.
    # Planted: maps.py: burst_map's flat drop(columns="geometry", errors="ignore") ->
    #   errors=None, dropped, "XXignoreXX", "IGNORE"
    import dataclasses

    net = _incident_net()
    res = net.burst(pipe="P3")
    bare = dataclasses.replace(
        res,
        valves=pd.DataFrame(res.valves.drop(columns="geometry")),
        customers=pd.DataFrame(res.customers.drop(columns="geometry")),
    )
    assert "valve_id" not in bare.valves.columns
    flat = as_the_cli_hands_it(res)
    assert page_data(maps.burst_map(net, bare)) == page_data(maps.burst_map(net, flat))


def test_burst_page_point_given_without_a_crs_or_in_lon_lat():
    # A point without a CRS is in the network's (EPSG:4545); one in EPSG:4326 is taken as
    # lon/lat: (260, 0) of the grid, 106.7349091 E, 31.8507461 N, either way.
    # Planted: maps.py: burst_map's `... if crs else work` -> `if crs and False`, `if crs or True`
    net = _incident_net()
    res = as_the_cli_hands_it(net.burst(pipe="P3"))
    here = [31.8507461, 106.7349091]
    grid = page_data(maps.burst_map(net, res, at=xy(260, 0)))
    assert grid["circle"]["center"] == pytest.approx(here, abs=2e-7)
    lonlat = page_data(maps.burst_map(net, res, at=(106.7349091, 31.8507461), crs="EPSG:4326"))
    assert lonlat["circle"]["center"] == pytest.approx(here, abs=2e-7)


# -- the isolate page ------------------------------------------------------------------------


def test_isolate_page_in_english_with_coordinates_to_7_decimals():
    # Four valves W1..W4 on P1 next to the source, at (10.21, 0), (30.63, 0), (50.03, 0) and
    # (70.06, 0): closing them cuts off all three customers (51 households, H critical). In
    # WGS84 / GCJ-02, to 10 decimals:
    #   W1 106.7322705487 31.8507197960 106.7363964076 31.8485359322
    #   W2 106.7324862472 31.8507219459 106.7366124233 31.8485382265
    #   W3 106.7326911714 31.8507239880 106.7368176471 31.8485404042
    #   W4 106.7329027503 31.8507260961 106.7370295335 31.8485426508
    # rounded once to 7 decimals: W1's lon, W2's lat, W3's GCJ lon and W4's GCJ lat round the
    # other way when first rounded to 8 (...548 -> ...55 -> ...55, not ...54; and so on).
    # The page is in the configured language; no pipe is drawn damaged or without gas.
    # Planted: maps.py: isolate_map's np.round(lon|lat|glon|glat, 7) -> np.round(..., 8)
    # Planted: maps.py: isolate_map's _page_options(config) -> _page_options(None)
    # Planted: maps.py: isolate_map's lines = [...] -> None; incident_map(lines=lines) -> None
    # Planted: maps.py: isolate_map's pipes=edges.iloc[0:0] -> iloc[0:1]
    from test_isolation import net_of

    ws = [("W1", (10.21, 0)), ("W2", (30.63, 0)), ("W3", (50.03, 0)), ("W4", (70.06, 0))]
    net = net_of(valves=[*ws, ("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0))])
    ids = [w for w, _ in ws]
    customers = _flat(net.isolate(ids).customers)
    data = page_data(
        maps.isolate_map(net, ids, customers, config=SimpleNamespace(maps={"language": "en"}))
    )
    t = maps.LABELS["en"]
    assert data["panel"]["title"] == "Isolation order: W1, W2, W3, W4"
    assert data["panel"]["lines"] == [
        "Customers losing gas: 3 (51 households); "
        "Critical customers (hospitals, schools, care homes): 1"
    ]
    assert [x["name"] for x in data["layers"]] == [
        t["pipes"],
        t["damaged"],
        t["to_close"],
        t["affected"],
        t["critical"],
    ]
    rows = [r[:7] for r in data["panel"]["sections"][0]["rows"]]
    assert rows == [
        [1, "W1", "close", 106.7322705, 31.8507198, 106.7363964, 31.8485359],
        [2, "W2", "close", 106.7324862, 31.8507219, 106.7366124, 31.8485382],
        [3, "W3", "close", 106.7326912, 31.8507240, 106.7368176, 31.8485404],
        [4, "W4", "close", 106.7329028, 31.8507261, 106.7370295, 31.8485427],
    ]


# -- GCJ-02 columns ----------------------------------------------------------------------------


def test_gcj_columns_of_text_coordinates_to_6_decimals():
    # Coordinates read as text (pandas' string dtype), one missing, are numbers to it, the
    # missing one NaN (not an error). In GCJ-02 to 10 decimals: (106.7541459543,
    # 31.8578203864) and (106.7553806162, 31.8476989895); to 6 as below.
    # Planted: maps.py: _gcj_columns' out["lon"|"lat"].to_numpy(float) -> to_numpy(None)
    # Planted: maps.py: _gcj_columns' np.round(glon|glat, 6) -> np.round(..., 7)
    frame = pd.DataFrame(
        {
            "lon": pd.array(["106.75", "106.7512345", None], dtype="string"),
            "lat": pd.array(["31.86", "31.8498765", None], dtype="string"),
        }
    )
    out = maps._gcj_columns(frame)
    assert out["gcj_lon"].tolist()[:2] == [106.754146, 106.755381]
    assert out["gcj_lat"].tolist()[:2] == [31.85782, 31.847699]
    assert out[["gcj_lon", "gcj_lat"]].iloc[2].isna().all()
