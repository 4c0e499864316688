"""maps.py without a browser: the data each page carries and the helpers that make it, for the
mistakes mutation testing found no test would catch (`make mutants`, docs/mutants.md). The
pages themselves are opened in Chromium by tests/test_maps.py.
"""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import X0, Y0, canonical, xy
from shapely.geometry import Point, Polygon
from test_isolation import net_of

from gasnet import maps


def page_data(page: str) -> dict:
    """The JSON block of a page, read back as the page's script reads it."""
    m = re.search(r'<script type="application/json" id="gasnet-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def layer(data: dict, name: str) -> dict:
    return next(x for x in data["layers"] if x["name"] == name)


# -- values and blocks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (np.bool_(True), True),
        (False, False),
        (float("nan"), None),
        (float("inf"), None),
        (np.float32(1.5), 1.5),
        (1.123456789, 1.1234568),  # 7 decimals
        (np.int64(7), 7),
        (3, 3),
        (pd.NaT, None),
        (pd.NA, None),
        ("医院", "医院"),
        (pd.Timestamp("2025-03-07"), "2025-03-07 00:00:00"),
    ],
)
def test_value(value, expected):
    got = maps._value(value)
    assert got == expected and type(got) is type(expected)


def test_json_block_cannot_end_its_script_element():
    block = maps._json_block({"a": "</script><!-- x", "n": 1, "z": "中"})
    assert block.startswith('<script type="application/json" id="gasnet-data">')
    inner = block[len('<script type="application/json" id="gasnet-data">') : -len("</script>")]
    assert "</" not in inner and "<!--" not in inner
    assert inner == '{"a":"<\\/script><\\u0021-- x","n":1,"z":"中"}'
    assert json.loads(inner) == {"a": "</script><!-- x", "n": 1, "z": "中"}
    with pytest.raises(ValueError):
        maps._json_block({"x": float("nan")})


# -- features ------------------------------------------------------------------------------


def test_features_in_wgs84_with_their_properties():
    # Two valves in EPSG:4545, the second without a geometry (left out); "nope" is not a
    # column and is ignored.
    gdf = gpd.GeoDataFrame(
        {"valve_id": ["V1", "V2"], "diameter_mm": [110.0, np.nan]},
        geometry=[Point(xy(0, 0)), None],
        crs="EPSG:4545",
    )
    fc = maps._features(gdf, ["valve_id", "diameter_mm", "nope"])
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 1
    (f,) = fc["features"]
    assert f["type"] == "Feature" and f["properties"] == {"valve_id": "V1", "diameter_mm": 110.0}
    lon, lat = f["geometry"]["coordinates"]
    expected = gpd.GeoSeries([Point(X0, Y0)], crs="EPSG:4545").to_crs("EPSG:4326").iloc[0]
    assert (lon, lat) == (round(expected.x, 6), round(expected.y, 6))
    assert 106 < lon < 108 and 31 < lat < 33
    # GCJ-02 (AMap's datum) shifts the point by a few hundred metres.
    g = maps._features(gdf, ["valve_id"], gcj=True)["features"][0]["geometry"]["coordinates"]
    assert 0.001 < abs(g[0] - lon) + abs(g[1] - lat) < 0.02
    # no columns wanted: empty properties; no rows: no features
    assert maps._features(gdf, [])["features"][0]["properties"] == {}
    assert maps._features(gdf.iloc[:0], ["valve_id"]) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_bounds_south_west_then_north_east():
    gdf = gpd.GeoDataFrame(
        geometry=[Point(106.70, 31.80), None, Point(106.80, 31.90)], crs="EPSG:4326"
    )
    assert maps._bounds(gdf) == [[31.80, 106.70], [31.90, 106.80]]
    assert maps._bounds(gdf.iloc[[1]]) is None


def test_valve_state():
    # inoperable beats normally-closed; a missing operable counts as operable.
    valves = pd.DataFrame(
        {
            "normally": ["open", "closed", "closed", "open", "closed"],
            "operable": [True, True, False, None, None],
        },
        index=[10, 11, 12, 13, 14],
    )
    state = maps._valve_state(valves)
    assert state.tolist() == ["open", "closed", "inoperable", "open", "closed"]
    assert list(state.index) == [10, 11, 12, 13, 14]


def test_pipe_layer_legend_lists_the_classes_present():
    pipes = canonical(pipes=[("A", [(0, 0), (1, 0)], "LP"), ("B", [(1, 0), (2, 0)], "MP-A")])[
        "pipes"
    ]
    spec = maps._pipe_layer(pipes, "管线", False)
    # In PRESSURE_COLOURS' order (MP-A before LP), not the rows' order; no "no class" entry.
    assert spec["legend"] == [
        ["MP-A", maps.PRESSURE_COLOURS["MP-A"]],
        ["LP", maps.PRESSURE_COLOURS["LP"]],
    ]
    assert spec["name"] == "管线" and spec["id"] == "pipe_id" and spec["by"] == "pressure_class"
    assert spec["show"] is True and spec["weight"] == 2 and spec["color"] == maps.NO_CLASS
    assert spec["minimap"] == {
        "field": "pressure_class",
        "values": ["HP-A", "HP-B", "SHP-A", "SHP-B", "MP-A"],
    }
    assert spec["data"]["features"][0]["properties"]["pipe_id"] == "A"
    pipes.loc[1, "pressure_class"] = None
    spec = maps._pipe_layer(pipes, "p", False, show=False, minimap=False)
    assert spec["legend"] == [["LP", maps.PRESSURE_COLOURS["LP"]], ["—", maps.NO_CLASS]]
    assert spec["show"] is False and spec["minimap"] is False


# -- the one map's data --------------------------------------------------------------------


def _network_layers():
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)], "LP")],
        valves=[("V1", (50, 0)), ("V2", (150, 0), "closed"), ("V3", (120, 0), "open", False)],
        sources=[("S", (0, 0))],
        regulators=[("R", (100, 0))],
        customers=[("C1", (60, 5), 3, True), ("C2", (160, 5), 1, False)],
    )
    layers["segments"] = gpd.GeoDataFrame(
        {
            "segment_id": [1, 2, 3, 4],
            "customers_lost": [0, 10, 11, 1001],
            "households_lost": [0, 10, 11, 1001],
            "critical_lost": [0, 0, 1, 2],
            "valve_ids": ["V1", "V1;V2", "V2", "V3"],
            "source_ids": ["S", "", "", ""],
            "length_m": [50.0, 50.0, 30.0, 70.0],
        },
        geometry=[layers["pipes"].geometry.iloc[0]] * 4,
        crs="EPSG:4545",
    )
    square = Polygon([xy(0, 0), xy(10, 0), xy(10, 10), xy(0, 10)])
    layers["risk"] = gpd.GeoDataFrame(
        {"rank": [1, 2], "tier": ["P1", "P3"], "hazard_id": ["H1", "H2"]},
        geometry=[Point(xy(20, 1)), square],
        crs="EPSG:4545",
    )
    return layers


def test_network_map_carries_every_layer_with_its_data():
    data = page_data(maps.network_map(_network_layers(), language="en"))
    t = maps.LABELS["en"]
    names = [x["name"] for x in data["layers"]]
    assert names == [
        t["pipes"],
        t["segments"],
        t["valves"],
        t["sources"],
        t["regulators"],
        t["customers"],
        t["critical"],
        t["hazards"],
        t["hazard_areas"],
    ]
    # Segments by customers lost: 0 -> class 0, 10 -> "1–10" (1), 11 -> "11–50" (2), 1001 ->
    # "> 1000" (5).
    seg = layer(data, t["segments"])
    classes = [f["properties"]["loss_class"] for f in seg["data"]["features"]]
    assert classes == ["0", "1", "2", "5"]
    assert [b for b, _ in seg["legend"]] == [
        f"0 ({t['lost']})",
        f"1–10 ({t['lost']})",
        f"11–50 ({t['lost']})",
        f"51–200 ({t['lost']})",
        f"201–1000 ({t['lost']})",
        f"> 1000 ({t['lost']})",
    ]
    assert seg["show"] is False and seg["id"] == "segment_id"
    valves = layer(data, t["valves"])
    state = {
        f["properties"]["valve_id"]: f["properties"]["state"] for f in valves["data"]["features"]
    }
    assert state == {"V1": "open", "V2": "closed", "V3": "inoperable"}
    assert valves["legend"] == [[t[k], c] for k, c in maps.VALVE_COLOURS.items()]
    # Critical customers apart from the others.
    crit = [f["properties"]["customer_id"] for f in layer(data, t["critical"])["data"]["features"]]
    rest = [f["properties"]["customer_id"] for f in layer(data, t["customers"])["data"]["features"]]
    assert (crit, rest) == (["C1"], ["C2"])
    assert layer(data, t["customers"])["cluster"] is True
    # Hazards: every record as a point (the square at its centre), the area again as itself.
    spots = layer(data, t["hazards"])["data"]["features"]
    assert [f["geometry"]["type"] for f in spots] == ["Point", "Point"]
    areas = layer(data, t["hazard_areas"])["data"]["features"]
    assert [(f["properties"]["hazard_id"], f["geometry"]["type"]) for f in areas] == [
        ("H2", "Polygon")
    ]
    assert data["minimap"] is True
    (s, w), (n, e) = data["focus"]
    assert s < n and w < e and 106 < w < 108 and 31 < s < 33


def test_network_map_without_optional_layers():
    layers = _network_layers()
    del layers["segments"], layers["risk"]
    data = page_data(maps.network_map(layers))
    names = [x["name"] for x in data["layers"]]
    assert maps.LABELS["zh"]["segments"] not in names and maps.LABELS["zh"]["hazards"] not in names
    assert data["labels"] == maps.LABELS["zh"]


# -- incident helpers ----------------------------------------------------------------------


def test_warning_radius():
    # 0.33 x 600 mm x sqrt(1.6 MPa) = 250.45 m for an SHP-A main; an LP service pipe gives
    # 0.33 x 110 x 0.1 = 3.6 m, so the 100 m minimum.
    assert maps.warning_radius_m([600], ["SHP-A"]) == pytest.approx(0.33 * 600 * math.sqrt(1.6))
    assert maps.warning_radius_m([110], ["LP"]) == 100.0
    assert maps.warning_radius_m([110, 600], ["LP", "SHP-A"]) == pytest.approx(250.45, abs=0.01)
    # unknown class or diameter: nothing from that part
    assert maps.warning_radius_m([600, "x"], ["其他", "HP-A"]) == 100.0
    assert maps.warning_radius_m([], []) == 100.0
    assert maps.warning_radius_m([600], ["SHP-A"], minimum_m=300.0) == 300.0
    assert maps.warning_radius_m([600], ["SHP-A"], factor=1.0) == pytest.approx(
        600 * math.sqrt(1.6)
    )


def test_gcj_columns_and_navigation_url():
    frame = pd.DataFrame({"lon": [106.75], "lat": [31.86], "name": ["医院"]})
    out = maps._gcj_columns(frame)
    assert "gcj_lon" not in frame  # a copy
    assert list(out.columns) == ["lon", "lat", "name", "gcj_lon", "gcj_lat"]
    assert out["gcj_lon"].iloc[0] == round(out["gcj_lon"].iloc[0], 6)
    assert 0.0005 < abs(out["gcj_lon"].iloc[0] - 106.75) < 0.01
    assert 0.0005 < abs(out["gcj_lat"].iloc[0] - 31.86) < 0.01
    assert maps.navigation_url(106.7512345, 31.86, "医院 A&B") == (
        "https://uri.amap.com/marker?position=106.751234,31.860000&name=%E5%8C%BB%E9%99%A2%20A%26B"
    )


# -- QGIS styles ---------------------------------------------------------------------------


def test_rgba_and_symbols():
    assert maps._rgba("#d7191c") == "215,25,28,255"
    assert maps._rgba("000000") == "0,0,0,255"
    line = maps._symbol("line", "0", "#ff0000")
    assert line == (
        '<symbol type="line" name="0" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleLine" enabled="1" locked="0" pass="0"><Option type="Map">'
        '<Option type="QString" name="line_color" value="255,0,0,255"/>'
        '<Option type="QString" name="line_width" value="0.6"/>'
        '<Option type="QString" name="line_width_unit" value="MM"/></Option></layer></symbol>'
    )
    marker = maps._symbol("marker", "2", "#00ff00")
    assert '<layer class="SimpleMarker"' in marker
    for opt in (
        'name="color" value="0,255,0,255"',
        'name="name" value="circle"',
        'name="size" value="2.4"',
        'name="size_unit" value="MM"',
        'name="outline_color" value="35,35,35,255"',
    ):
        assert opt in marker


def test_categorized_qml():
    qml = maps._categorized_qml(
        "marker", "tier", [("P1", "P1 <急>", "#d7191c"), ("", "无", "#999999")]
    )
    assert qml.startswith(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        '<renderer-v2 type="categorizedSymbol" attr="tier" symbollevels="0" '
        'enableorderby="0" forceraster="0"><categories>'
        '<category render="true" symbol="0" value="P1" label="P1 &lt;急&gt;"/>'
        '<category render="true" symbol="1" value="" label="无"/></categories><symbols>'
    )
    assert qml.endswith("</symbols></renderer-v2></qgis>")
    assert qml.count("<symbol ") == 2 and 'name="1"' in qml


def test_layer_styles_table():
    styles = maps.layer_styles("en")
    assert styles["f_table_name"].tolist() == ["pipes", "edges", "valves", "risk"]
    assert styles["styleName"].tolist() == [
        "gasnet pipes",
        "gasnet edges",
        "gasnet valves",
        "gasnet risk",
    ]
    assert styles["useAsDefault"].all() and (styles["f_geometry_column"] == "geometry").all()
    assert (styles["owner"] == "gasnet").all()
    pipes = styles["styleQML"].iloc[0]
    assert 'attr="pressure_class"' in pipes and f'label="{maps.LABELS["en"]["no_class"]}"' in pipes
    valves = styles["styleQML"].iloc[2]
    assert "CASE WHEN &quot;operable&quot; = 0 THEN" in valves
    assert f'label="{maps.LABELS["en"]["inoperable"]}"' in valves


# -- incident pages (the CLI's `burst --map` and `isolate --map`) --------------------------
#
# The network of tests/test_isolation.py with VA inoperable: a burst on P3 must take A too,
# so S stops, VA is skipped and VC needs no crew; nobody closes anything.


def _flat(gdf):
    """A result table as the CLI hands it to the maps (indexed by id -> a column)."""
    return pd.DataFrame(gdf.drop(columns="geometry", errors="ignore")).reset_index()


def as_the_cli_hands_it(res):
    """A BurstResult with its tables flattened (ids as columns), as `gasnet burst --map`
    passes it to maps.burst_map."""
    import dataclasses

    return dataclasses.replace(
        res,
        pipes=res.pipes.reset_index(),
        valves=_flat(res.valves),
        customers=_flat(res.customers),
    )


def test_burst_page_of_the_api_result_as_it_comes():
    # Network.burst's result, its tables indexed by id, draws the very page the CLI's
    # flattened tables do (it failed with KeyError: 'customer_id' before).
    net = _incident_net()
    res = net.burst(pipe="P3")
    assert "customer_id" not in res.customers.columns
    flat = as_the_cli_hands_it(res)
    assert page_data(maps.burst_map(net, res)) == page_data(maps.burst_map(net, flat))


def _incident_net():
    return net_of(valves=[("VA", (150, 0), "open", False), ("VB", (150, 100)), ("VC", (320, 0))])


def test_burst_page_carries_the_plan():
    net = _incident_net()
    res = as_the_cli_hands_it(net.burst(pipe="P3"))
    data = page_data(maps.burst_map(net, res))
    t = maps.LABELS["zh"]
    panel = data["panel"]
    assert panel["title"] == f"{t['incident']}: P3"
    assert panel["lines"][0] == f"{t['to_close']}: 0"
    assert panel["lines"][2] == f"{t['stations']}: S"
    assert panel["lines"][4] == f"{t['warning']}: 100 m"
    valves, stations, customers = panel["sections"][:3]
    assert valves["columns"] == [
        "order",
        "valve_id",
        "action",
        "lon",
        "lat",
        "gcj_lon",
        "gcj_lat",
        "navigate",
    ]
    assert [r[1:3] for r in valves["rows"]] == [["VA", "skip_inoperable"], ["VC", "no_crew"]]
    assert valves["rows"][0][7].startswith("https://uri.amap.com/marker?position=")
    assert valves["links"] == [False] * 7 + [True]
    assert stations == {"title": t["stations"], "columns": ["id"], "rows": [["S"]]}
    assert [r[0] for r in customers["rows"]] == ["H", "C1", "C2"]
    layers = {x["name"]: x for x in data["layers"]}
    damaged = layers[t["damaged"]]["data"]["features"]
    assert {f["properties"]["pipe_id"] for f in damaged} == {"P3"}
    assert set(damaged[0]["properties"]) == {"pipe_id", "edge_id", "pressure_class", "diameter_mm"}
    others = layers[t["other_valves"]]["data"]["features"]
    assert [f["properties"]["valve_id"] for f in others] == ["VA", "VC"]
    assert layers[t["to_close"]]["data"]["features"] == []
    crit = layers[t["critical"]]["data"]["features"]
    assert [f["properties"]["customer_id"] for f in crit] == ["H"]
    assert data["circle"]["radius"] == 100.0 and data["circle"]["label"].endswith(" 100 m")
    lat, lon = data["circle"]["center"]
    assert 31.8 < lat < 31.9 and 106.7 < lon < 106.8


def test_isolate_page_orders_the_valves_to_close():
    # Closing VB and VC cuts off C behind VC: C1 (B still gets gas through VA). Numbered in
    # the order given.
    net = _incident_net()
    iso = net.isolate(["VB", "VC"])
    data = page_data(maps.isolate_map(net, ["VB", "VC"], _flat(iso.customers)))
    t = maps.LABELS["zh"]
    panel = data["panel"]
    assert panel["title"] == f"{t['incident']}: VB, VC"
    valves, stations, customers = panel["sections"]
    assert [r[:3] for r in valves["rows"]] == [[1, "VB", "close"], [2, "VC", "close"]]
    assert stations["rows"] == []
    assert customers["columns"] == [
        "customer_id",
        "name",
        "kind",
        "critical",
        "households",
        "segment_id",
    ]
    assert customers["rows"] == [["C1", "C1", "residential", False, 40, 2]]
    layers = {x["name"]: x for x in data["layers"]}
    close = layers[t["to_close"]]["data"]["features"]
    assert [(f["properties"]["order"], f["properties"]["valve_id"]) for f in close] == [
        (1, "VB"),
        (2, "VC"),
    ]
    assert layers[t["damaged"]]["data"]["features"] == []
    assert "circle" not in data


def test_risk_page_lists_the_open_hazards():
    layers = _network_layers()
    layers["pipes"]["hazard_tier"] = ["P1", None]
    layers["segments"]["hazard_tier"] = ["P2", None, None, None]
    risk = layers["risk"]
    for col, values in {
        "score": [90.0, 10.0],
        "category": ["leak", "flood"],
        "days_overdue": [3, 0],
        "likelihood": [1.0, 0.5],
        "consequence": [2.0, 1.0],
        "households_lost": [5, 0],
        "critical_lost": [1, 0],
        "pipe_id": ["A", "B"],
    }.items():
        risk[col] = values
    closed = risk.iloc[[0]].assign(hazard_id="H3", tier="closed", rank=3)
    layers["risk"] = pd.concat([risk, closed], ignore_index=True)
    data = page_data(maps.risk_map(layers, language="en"))
    t = maps.LABELS["en"]
    (section,) = data["panel"]["sections"]
    assert data["panel"]["title"] == t["risk"] and section["title"] == t["top_hazards"]
    assert [r[3] for r in section["rows"]] == ["H1", "H2"]  # the closed one is not listed
    assert section["marked"] == [True, False]
    pipes = data["layers"][0]
    assert pipes["by"] == "hazard_tier" and "closed" not in pipes["colors"]
    assert pipes["legend"][-1] == ["—", "#d9d9d9"]
    assert pipes["name"] == t["pipes"] + " · " + t["hazards"]
    assert [f["properties"]["hazard_tier"] for f in pipes["data"]["features"]] == ["P1", None]
    segs = data["layers"][1]
    assert segs["id"] == "segment_id" and segs["show"] is False
    assert [f["properties"]["hazard_tier"] for f in segs["data"]["features"]][:2] == ["P2", None]


def test_network_map_feature_properties_per_layer():
    data = page_data(maps.network_map(_network_layers(), language="en"))
    t = maps.LABELS["en"]

    def props(name):
        return [f["properties"] for f in layer(data, name)["data"]["features"]]

    assert set(props(t["valves"])[0]) == {
        "valve_id",
        "state",
        "normally",
        "operable",
        "diameter_mm",
        "kind",
    }
    assert props(t["sources"]) == [{"source_id": "S", "name": "gate", "kind": "city_gate"}]
    assert props(t["regulators"]) == [{"regulator_id": "R", "name": "reg", "kind": "cabinet"}]
    assert props(t["critical"])[0]["critical"] is True
    assert props(t["customers"])[0]["critical"] is False


def test_amap_pages_move_every_layer_to_gcj02():
    # AMap's tiles are in GCJ-02: every point moves by the same few hundred metres.
    plain = page_data(maps.network_map(_network_layers(), language="en"))
    amap = page_data(maps.network_map(_network_layers(), language="en", basemap="amap"))
    t = maps.LABELS["en"]
    for name in (t["valves"], t["sources"], t["regulators"], t["critical"]):
        a = layer(plain, name)["data"]["features"][0]["geometry"]["coordinates"]
        b = layer(amap, name)["data"]["features"][0]["geometry"]["coordinates"]
        assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02, name


def test_incident_page_on_amap_tiles():
    from types import SimpleNamespace

    net = _incident_net()
    iso = net.isolate(["VB", "VC"])
    plain = page_data(maps.isolate_map(net, ["VB", "VC"], _flat(iso.customers)))
    config = SimpleNamespace(maps={"basemap": "amap", "language": "zh", "tianditu_key": ""})
    amap = page_data(maps.isolate_map(net, ["VB", "VC"], _flat(iso.customers), config=config))
    t = maps.LABELS["zh"]
    a = layer(plain, t["to_close"])["data"]["features"][0]["geometry"]["coordinates"]
    b = layer(amap, t["to_close"])["data"]["features"][0]["geometry"]["coordinates"]
    assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02


def test_advice_layers_on_the_one_map():
    layers = _network_layers()
    layers["valve_advice"] = gpd.GeoDataFrame(
        {"rank": [2, 1], "pipe_id": ["B", "A"], "position_m": [50.0, 20.0]},
        geometry=[Point(xy(150, 0)), Point(xy(20, 0))],
        crs="EPSG:4545",
    )
    data = page_data(maps.network_map(layers, language="en"))
    spec = layer(data, maps.LABELS["en"]["valve_advice"])
    assert spec["radius"] == 7 and spec["numbered"] == "rank" and spec["show"] is False
    assert [f["properties"]["rank"] for f in spec["data"]["features"]] == [1, 2]


def test_risk_page_pipes_carry_their_roll_ups():
    layers = _network_layers()
    del layers["risk"]  # (no hazard table: an empty panel)
    for col, values in {
        "hazard_tier": ["P1", None],
        "hazards_open": [2, 0],
        "hazards_major": [1, 0],
        "hazards_overdue": [1, 0],
        "hazard_score": [80.0, 0.0],
    }.items():
        layers["pipes"][col] = values
    data = page_data(maps.risk_map(layers, language="en"))
    (a, _) = [f["properties"] for f in data["layers"][0]["data"]["features"]]
    assert {k: a[k] for k in ("hazards_open", "hazards_major", "hazards_overdue")} == {
        "hazards_open": 2,
        "hazards_major": 1,
        "hazards_overdue": 1,
    }
    assert a["hazard_score"] == 80.0 and data["layers"][0]["color"] == "#d9d9d9"


def test_valve_style_draws_markers():
    valves = maps.layer_styles("zh")["styleQML"].iloc[2]
    assert valves.count('<symbol type="marker"') == len(maps.VALVE_COLOURS)
    assert '<symbol type="line"' in maps.layer_styles("zh")["styleQML"].iloc[0]


def _spec_keys_read_by_the_page() -> set[str]:
    """The keys of a layer spec that templates/map.js reads (``spec.<key>``)."""
    from importlib.resources import files

    return set(re.findall(r"\bspec\.(\w+)", (files("gasnet") / "templates/map.js").read_text()))


def _burst_page_two_stations(**kw):
    # The incident network with a second station T at (100, 100): VA cannot close, so a
    # burst on P3 empties A and B, and both stations (S in A, T in B) are shut.
    net = net_of(
        valves=[("VA", (150, 0), "open", False), ("VB", (150, 100)), ("VC", (320, 0))],
        sources=[("S", (0, 0)), ("T", (100, 100))],
    )
    res = as_the_cli_hands_it(net.burst(pipe="P3"))
    return page_data(maps.burst_map(net, res, **kw))


def test_every_layer_key_is_one_the_page_reads():
    # A key map.js does not read is a style silently lost (a misspelt "weight" draws the
    # default 2 px; a misspelt "fillOpacity" fills the isolated area at 0.8, hiding the map).
    known = _spec_keys_read_by_the_page()
    assert {"weight", "fillOpacity", "opacity", "colors", "by"} <= known
    layers = _network_layers()
    layers["valve_advice"] = gpd.GeoDataFrame(
        {"rank": [1], "pipe_id": ["A"], "position_m": [20.0]},
        geometry=[Point(xy(20, 0))],
        crs="EPSG:4545",
    )
    for data in (page_data(maps.network_map(layers, language="en")), _burst_page_two_stations()):
        for spec in data["layers"]:
            assert set(spec) <= known, (spec["name"], set(spec) - known)


def test_burst_page_two_stations_and_a_given_point():
    # Both stations are listed; the warning circle is centred on the point given, (260, 0)
    # in EPSG:4545, 10 m east of P3's middle: 106.7349091 E, 31.8507461 N (P3's middle is
    # 106.7348035 E, 31.8507450 N: the grid is turned from north). The customers keep
    # "where" (isolated / cut off); the isolated area is a faint background (1 px outline,
    # 12 % fill).
    t = maps.LABELS["zh"]
    data = _burst_page_two_stations(at=xy(260, 0), crs="EPSG:4545")
    assert data["panel"]["lines"][2] == f"{t['stations']}: S, T"
    assert data["circle"]["center"] == pytest.approx([31.8507461, 106.7349091], abs=2e-7)
    customers = data["panel"]["sections"][2]
    where = customers["columns"].index("where")
    assert {r[0]: r[where] for r in customers["rows"]} == {
        "H": "isolated",
        "C2": "isolated",
        "C1": "cut_off",
    }
    area = layer(data, t["isolated"])
    assert (area["weight"], area["fillOpacity"]) == (1, 0.12)


def test_advice_layer_carries_the_network_worst_after():
    layers = _network_layers()
    layers["valve_advice"] = gpd.GeoDataFrame(
        {"rank": [1], "pipe_id": ["A"], "position_m": [20.0], "network_worst_after": [12]},
        geometry=[Point(xy(20, 0))],
        crs="EPSG:4545",
    )
    data = page_data(maps.network_map(layers, language="en"))
    spec = layer(data, maps.LABELS["en"]["valve_advice"])
    assert "network_worst_after" in spec["fields"]
    assert spec["data"]["features"][0]["properties"]["network_worst_after"] == 12


def test_valve_advice_points_carry_their_segment():
    # A valve_advice row on segment 7: its point carries segment_id, and the popup lists it
    # after the position.
    # Planted: maps.py: _advice_layers' "segment_id" -> "XXsegment_idXX"
    layers = {
        "valve_advice": gpd.GeoDataFrame(
            {"rank": [1], "pipe_id": ["A"], "position_m": [20.0], "segment_id": [7]},
            geometry=[Point(xy(20, 0))],
            crs="EPSG:4545",
        )
    }
    (spec,) = maps._advice_layers(layers, maps.LABELS["en"], False)
    assert spec["fields"][:4] == ["rank", "pipe_id", "position_m", "segment_id"]
    assert spec["data"]["features"][0]["properties"]["segment_id"] == 7


def test_isolate_page_gives_each_valve_to_close_its_coordinates():
    # Closing VB alone: VB at (150, 100), i.e. (X0 + 150, Y0 + 100) in EPSG:4545, is
    # 106.7337348 E, 31.8516361 N in WGS84 (7 decimals, about 1 cm) and 106.7378629,
    # 31.8494530 in GCJ-02 (AMap's datum, a few hundred metres off): in the panel's row and
    # on the numbered point, whose popup shows all four.
    # Planted: maps.py: isolate_map's np.round(lon, 7) -> np.round(lon, )
    # Planted: maps.py: incident_map's to_close "gcj_lat" -> "XXgcj_latXX"
    net = _incident_net()
    iso = net.isolate(["VB"])
    data = page_data(maps.isolate_map(net, ["VB"], _flat(iso.customers)))
    t = maps.LABELS["zh"]
    (row,) = data["panel"]["sections"][0]["rows"]
    coords = [106.7337348, 31.8516361, 106.7378629, 31.8494530]
    assert row[:3] == [1, "VB", "close"]
    assert row[3:7] == pytest.approx(coords, abs=1e-9)
    (point,) = layer(data, t["to_close"])["data"]["features"]
    props = point["properties"]
    assert list(props) == ["order", "valve_id", "action", "lon", "lat", "gcj_lon", "gcj_lat"]
    assert [props[k] for k in ("lon", "lat", "gcj_lon", "gcj_lat")] == pytest.approx(
        coords, abs=1e-9
    )


def test_burst_page_draws_the_isolated_area_in_lon_lat():
    # A burst on P3 isolates A and B (VA cannot close): the area round them, drawn in the
    # network's CRS (EPSG:4545, x about 380,000 m), reaches the page in WGS84 degrees, near
    # 106.73 E, 31.85 N like the rest of the network.
    # Planted: maps.py: incident_map's area GeoDataFrame(..., crs=crs) -> crs=None
    net = _incident_net()
    data = page_data(maps.burst_map(net, as_the_cli_hands_it(net.burst(pipe="P3"))))
    (area,) = layer(data, maps.LABELS["zh"]["isolated"])["data"]["features"]
    ring = np.array(area["geometry"]["coordinates"][0])
    assert (106.7 < ring[:, 0]).all() and (ring[:, 0] < 106.8).all()
    assert (31.8 < ring[:, 1]).all() and (ring[:, 1] < 31.9).all()


def test_risk_page_before_the_hazard_stage():
    # Pipes without roll-ups (no hazard stage yet): each is drawn by hazard_tier as none, the
    # grey of no hazard, its feature saying so (null, the field it is coloured by); the page
    # carries the words of its language for the script to show.
    # Planted: maps.py: risk_map's pipes["hazard_tier"] = ... -> pipes["XXhazard_tierXX"] = ...
    # Planted: maps.py: risk_map's data "labels" -> "LABELS"
    layers = _network_layers()
    del layers["risk"]
    data = page_data(maps.risk_map(layers, language="en"))
    assert data["labels"] == maps.LABELS["en"]
    pipes = data["layers"][0]
    assert pipes["by"] == "hazard_tier"
    assert [f["properties"]["hazard_tier"] for f in pipes["data"]["features"]] == [None, None]
