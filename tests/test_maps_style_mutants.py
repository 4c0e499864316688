"""maps.py's QGIS styles, the basemap tiles of a page and the hazard layers, word for word:
for the mistakes mutation testing found no test would catch (`make mutants`, docs/mutants.md).
No browser: the pages are read as text and through their JSON block.
"""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest
from test_maps_mutants import _network_layers, layer, page_data

from gasnet import maps

# -- QGIS: the layer_styles table ------------------------------------------------------------
#
# The QML QGIS reads, spelled out by hand. Colours as "r,g,b,255" from the web maps' hex:
#   pressure classes HP-A #67001f = 103,0,31   HP-B #b2182b = 178,24,43
#                    SHP-A #d6604d = 214,96,77 SHP-B #f4a582 = 244,165,130
#                    MP-A #2166ac = 33,102,172 MP-B #67a9cf = 103,169,207
#                    LP #1a9850 = 26,152,80    no class #999999 = 153,153,153
#   valves           open #1a9850 = 26,152,80  closed #d7191c = 215,25,28
#                    inoperable #000000 = 0,0,0
#   tiers            P1 #d7191c = 215,25,28    P2 #fdae61 = 253,174,97
#                    P3 #e6c700 = 230,199,0    closed #9e9e9e = 158,158,158

HEAD = (
    "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
    '<qgis version="3.28.0" styleCategories="Symbology">'
)


def _line(i: int, rgb: str) -> str:
    return (
        f'<symbol type="line" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleLine" enabled="1" locked="0" pass="0"><Option type="Map">'
        f'<Option type="QString" name="line_color" value="{rgb},255"/>'
        '<Option type="QString" name="line_width" value="0.6"/>'
        '<Option type="QString" name="line_width_unit" value="MM"/></Option></layer></symbol>'
    )


def _marker(i: int, rgb: str) -> str:
    return (
        f'<symbol type="marker" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleMarker" enabled="1" locked="0" pass="0"><Option type="Map">'
        f'<Option type="QString" name="color" value="{rgb},255"/>'
        '<Option type="QString" name="name" value="circle"/>'
        '<Option type="QString" name="size" value="2.4"/>'
        '<Option type="QString" name="size_unit" value="MM"/>'
        '<Option type="QString" name="outline_color" value="35,35,35,255"/>'
        "</Option></layer></symbol>"
    )


def _qml(attr: str, categories: list[tuple[str, str]], symbols: list[str]) -> str:
    cats = "".join(
        f'<category render="true" symbol="{i}" value="{v}" label="{lab}"/>'
        for i, (v, lab) in enumerate(categories)
    )
    return (
        HEAD + f'<renderer-v2 type="categorizedSymbol" attr="{attr}" symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{cats}</categories><symbols>{''.join(symbols)}</symbols></renderer-v2></qgis>"
    )


PRESSURE_RGB = [
    ("HP-A", "103,0,31"),
    ("HP-B", "178,24,43"),
    ("SHP-A", "214,96,77"),
    ("SHP-B", "244,165,130"),
    ("MP-A", "33,102,172"),
    ("MP-B", "103,169,207"),
    ("LP", "26,152,80"),
]


def _pipes_qml(no_class: str) -> str:
    cats = [(k, k) for k, _ in PRESSURE_RGB] + [("", no_class)]
    rgbs = [rgb for _, rgb in PRESSURE_RGB] + ["153,153,153"]
    return _qml("pressure_class", cats, [_line(i, c) for i, c in enumerate(rgbs)])


def _valves_qml(open_: str, closed: str, inoperable: str) -> str:
    # The attribute is the state as a QGIS expression, its quotes escaped for XML.
    attr = (
        "CASE WHEN &quot;operable&quot; = 0 THEN 'inoperable' WHEN &quot;normally&quot; = "
        "'closed' THEN 'closed' ELSE 'open' END"
    )
    cats = [("open", open_), ("closed", closed), ("inoperable", inoperable)]
    rgbs = ["26,152,80", "215,25,28", "0,0,0"]
    return _qml(attr, cats, [_marker(i, c) for i, c in enumerate(rgbs)])


RISK_QML = _qml(
    "tier",
    [("P1", "P1"), ("P2", "P2"), ("P3", "P3"), ("closed", "closed")],
    [
        _marker(0, "215,25,28"),
        _marker(1, "253,174,97"),
        _marker(2, "230,199,0"),
        _marker(3, "158,158,158"),
    ],
)


def test_layer_styles_table_word_for_word():
    # Each of the four layers, one row: every column of the GeoPackage's layer_styles table
    # (its names are the table's, as QGIS reads them) and each QML whole, symbols back to
    # back. The update time is checked by the next test.
    # Planted: maps.py: _categorized_qml's syms = "".join -> "XXXX".join
    # Planted: maps.py: layer_styles' ("edges", "line"): _categorized_qml("line", ...) ->
    #          None / "XXlineXX" / "LINE"; "pressure_class" -> "XXpressure_classXX" /
    #          "PRESSURE_CLASS"
    # Planted: maps.py: layer_styles' ("risk", ...): _categorized_qml("marker", "tier", ...) ->
    #          None / "XXmarkerXX" / "MARKER"; "tier" -> "XXtierXX" / "TIER"
    # Planted: maps.py: layer_styles' row keys "f_table_catalog", "f_table_schema",
    #          "styleSLD", "description", "ui", "update_time" -> "XX...XX" / upper / lower case
    # Planted: maps.py: layer_styles' values "" -> "XXXX" (catalog, schema, styleSLD, ui)
    # Planted: maps.py: layer_styles' "gasnet: the symbology of the web maps" -> "XX...XX" /
    #          upper case
    styles = maps.layer_styles("en")
    assert styles.columns.tolist() == [
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
        "useAsDefault",
        "description",
        "owner",
        "ui",
        "update_time",
    ]
    qml = {
        "pipes": _pipes_qml("no pressure class"),
        "edges": _pipes_qml("no pressure class"),
        "valves": _valves_qml("normally open", "normally closed", "inoperable"),
        "risk": RISK_QML,
    }
    rows = styles.drop(columns="update_time").to_dict("records")
    assert rows == [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": table,
            "f_geometry_column": "geometry",
            "styleName": f"gasnet {table}",
            "styleQML": qml[table],
            "styleSLD": "",
            "useAsDefault": True,
            "description": "gasnet: the symbology of the web maps",
            "owner": "gasnet",
            "ui": "",
        }
        for table in ("pipes", "edges", "valves", "risk")
    ]


def test_layer_styles_speak_chinese_by_default():
    # No language given: the labels are the Chinese ones (无压力级制, 常开, 常闭, 不可操作).
    # Planted: maps.py: layer_styles(language="zh") -> "XXzhXX" / "ZH"
    qml = maps.layer_styles()["styleQML"].tolist()
    assert qml == [
        _pipes_qml("无压力级制"),
        _pipes_qml("无压力级制"),
        _valves_qml("常开", "常闭", "不可操作"),
        RISK_QML,
    ]


@pytest.fixture
def shanghai_clock(monkeypatch):
    """The process's local time zone set to UTC+8 for the test (and put back after)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_layer_styles_update_time_is_utc_to_the_second(shanghai_clock):
    # "YYYY-MM-DDTHH:MM:SS" in UTC, whatever the local zone: on a clock at UTC+8 a local time
    # would be 8 hours ahead of the UTC instants taken around the call.
    # Planted: maps.py: layer_styles' now = pd.Timestamp.now(tz="UTC").strftime(...) -> None;
    #          tz="UTC" -> tz=None; "%Y-%m-%dT%H:%M:%S" -> "XX...XX" / "%y-%m-%dt%h:%m:%s" /
    #          "%Y-%M-%DT%H:%M:%S"
    before = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    times = maps.layer_styles("en")["update_time"].tolist()
    after = pd.Timestamp.now(tz="UTC").tz_localize(None)
    assert len(times) == 4 and len(set(times)) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", times[0])
    assert before <= pd.Timestamp(times[0]) <= after


# -- the basemap tiles of a page -------------------------------------------------------------


def _tile_layer(page: str) -> tuple[str, str]:
    """The URL and the options of the page's one L.tileLayer(...) call, as folium writes them."""
    calls = re.findall(r"L\.tileLayer\(\s*(\"[^\"]*\"),\s*(\{[^}]*\})\s*\)", page)
    assert len(calls) == 1
    return calls[0]


def _options(attribution: str, subdomains: str) -> str:
    return (
        "{\n"
        '  "minZoom": 0,\n'
        '  "maxZoom": 19,\n'
        '  "maxNativeZoom": 19,\n'
        '  "noWrap": false,\n'
        f'  "attribution": "{attribution}",\n'
        f'  "subdomains": "{subdomains}",\n'
        '  "detectRetina": false,\n'
        '  "tms": false,\n'
        '  "opacity": 1,\n'
        "}"
    )


def test_basemap_tiles_their_url_key_subdomains_and_zoom():
    # The tile layer of each basemap, as Leaflet gets it (folium's JSON escapes "&" as \u0026,
    # "<" ">" as \u003c \u003e and non-ASCII as \uXXXX): the Tianditu key in place of {key},
    # AMap's servers webrd01-04 ("1234"), Tianditu's t0-t7 ("01234567"), OSM's a-c ("abc"),
    # zoom up to 19.
    # Planted: maps.py: _page's tiles=url.replace("{key}", tianditu_key) -> None / removed /
    #          "XX{key}XX" / "{KEY}"
    # Planted: maps.py: _page's subdomains={...}.get(basemap, "abc") -> None / removed /
    #          .get(None, "abc") / .get(basemap, None) / .get("abc") / .get(basemap, ) /
    #          "XXamapXX" / "AMAP" / "XX1234XX" / "XXtiandituXX" / "TIANDITU" /
    #          "XX01234567XX" / "XXabcXX" / "ABC"
    # Planted: maps.py: _page's max_zoom=19 -> None / removed / 20
    page = maps._page("t", {}, basemap="tianditu", tianditu_key="K<1>")
    assert _tile_layer(page) == (
        '"https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS\\u0026REQUEST=GetTile'
        "\\u0026VERSION=1.0.0\\u0026LAYER=vec\\u0026STYLE=default\\u0026TILEMATRIXSET=w"
        "\\u0026FORMAT=tiles\\u0026TILEMATRIX={z}\\u0026TILEROW={y}\\u0026TILECOL={x}"
        '\\u0026tk=K\\u003c1\\u003e"',
        _options("\\u00a9 \\u5929\\u5730\\u56fe", "01234567"),
    )
    page = maps._page("t", {}, basemap="amap")
    assert _tile_layer(page) == (
        '"https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn\\u0026size=1\\u0026scale=1'
        '\\u0026style=8\\u0026x={x}\\u0026y={y}\\u0026z={z}"',
        _options("\\u00a9 \\u9ad8\\u5fb7\\u5730\\u56fe AutoNavi", "1234"),
    )
    page = maps._page("t", {}, basemap="osm")
    assert _tile_layer(page) == (
        '"https://tile.openstreetmap.org/{z}/{x}/{y}.png"',
        _options("\\u00a9 OpenStreetMap contributors", "abc"),
    )
    assert "L.tileLayer(" not in maps._page("t", {})


# -- the hazard layers -----------------------------------------------------------------------

TIERS = {"P1": "#d7191c", "P2": "#fdae61", "P3": "#e6c700", "closed": "#9e9e9e"}


def test_hazard_layers_word_for_word():
    # The one map of _network_layers: its hazards H1 a point (P1), H2 a 10 m square (P3).
    # The hazards layer has both as points (the square's a point on it), clustered, coloured
    # by tier, with the four tiers in its legend; the areas layer has the square only,
    # outlined 2 px and filled at 0.2. Both by "tier", the ids in "hazard_id".
    # Planted: maps.py: _hazard_layers' legend = [[k, v] for ...] -> None
    # Planted: maps.py: _hazard_layers' "by": "tier" -> "XXtierXX" / "TIER" (both layers)
    # Planted: maps.py: _hazard_layers' "radius": 5 -> 6; "cluster": True -> False;
    #          "id": "hazard_id" -> "XXhazard_idXX" / "HAZARD_ID"
    # Planted: maps.py: _hazard_layers' "weight": 2 -> 3; "fillOpacity": 0.2 -> 1.2
    data = page_data(maps.network_map(_network_layers(), language="en"))
    points = layer(data, "Hazards (by tier)")
    areas = layer(data, "Hazard areas")
    assert {k: v for k, v in points.items() if k != "data"} == {
        "name": "Hazards (by tier)",
        "by": "tier",
        "colors": TIERS,
        "radius": 5,
        "cluster": True,
        "id": "hazard_id",
        "legend": [[k, v] for k, v in TIERS.items()],
        "show": True,
    }
    assert {k: v for k, v in areas.items() if k != "data"} == {
        "name": "Hazard areas",
        "by": "tier",
        "colors": TIERS,
        "weight": 2,
        "fillOpacity": 0.2,
        "show": True,
    }
    feats = points["data"]["features"]
    assert [f["geometry"]["type"] for f in feats] == ["Point", "Point"]
    assert [(f["properties"]["hazard_id"], f["properties"]["tier"]) for f in feats] == [
        ("H1", "P1"),
        ("H2", "P3"),
    ]
    (square,) = areas["data"]["features"]
    assert square["geometry"]["type"] == "Polygon" and square["properties"]["hazard_id"] == "H2"


def test_hazard_layers_on_amap_tiles_in_gcj02():
    # On AMap's tiles both hazard layers move to GCJ-02 like every other layer: a few hundred
    # metres, i.e. between 0.001 and 0.02 degrees in lon + lat.
    # Planted: maps.py: _hazard_layers' _features(spots..., gcj=gcj) -> gcj=None / no gcj
    # Planted: maps.py: _hazard_layers' _features(areas, cols, gcj=gcj) -> gcj=None / no gcj
    plain = page_data(maps.network_map(_network_layers(), language="en"))
    amap = page_data(maps.network_map(_network_layers(), language="en", basemap="amap"))
    for name in ("Hazards (by tier)", "Hazard areas"):
        for i, f in enumerate(layer(plain, name)["data"]["features"]):
            g = layer(amap, name)["data"]["features"][i]["geometry"]
            a, b = f["geometry"]["coordinates"], g["coordinates"]
            if f["geometry"]["type"] == "Polygon":
                a, b = a[0][0], b[0][0]
            assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02, (name, i)
