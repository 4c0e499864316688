"""maps.py's pipe layer, valve state, burst page options and incident page (focus, panel,
AMap tiles, warning circle): for the mutants of maps.py a quick mutation-testing pass left
alive (docs/mutants.md). No browser: the pages are read through their JSON block.

The network is tests/test_isolation.py's, with VA inoperable:

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)      (J4 at (100,100))

A burst on P3 takes segments A and B (VA cannot close), so nobody closes anything: VA and VC
(no crew needed) are the other boundary valves; H (critical) and C2 are isolated, C1 cut off.
"""

from __future__ import annotations

import dataclasses
import json
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import canonical
from test_isolation import CUSTOMERS, PIPES

from gasnet import maps
from gasnet.network import build_network

VALVES = [("VA", (150, 0), "open", False), ("VB", (150, 100)), ("VC", (320, 0))]


def _net(diameter_mm=None):
    layers = canonical(pipes=PIPES, valves=VALVES, sources=[("S", (0, 0))], customers=CUSTOMERS)
    if diameter_mm is not None:
        layers["pipes"]["diameter_mm"] = diameter_mm
    net, _ = build_network(layers)
    return net


def _flat(table):
    return pd.DataFrame(table.drop(columns="geometry", errors="ignore")).reset_index()


def _cli(res):
    """A BurstResult with its tables flattened, as `gasnet burst --map` hands it over."""
    return dataclasses.replace(
        res, pipes=res.pipes.reset_index(), valves=_flat(res.valves), customers=_flat(res.customers)
    )


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="gasnet-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def _layer(data: dict, name: str) -> dict:
    return next(x for x in data["layers"] if x["name"] == name)


def _burst(pipe="P3", net=None, **kw) -> dict:
    net = net or _net()
    return _data(maps.burst_map(net, _cli(net.burst(pipe=pipe)), **kw))


def _isolate_vb() -> dict:
    net = _net()
    return _data(maps.isolate_map(net, ["VB"], _flat(net.isolate(["VB"]).customers)))


# -- the pipe layer and the valve state --------------------------------------------------------


def test_pipe_layer_popup_fields_and_class_colours():
    # One MP-A pipe "A" in service: its popup carries every field of the pipe, status last, and
    # the layer colours each class by PRESSURE_COLOURS (MP-A #2166ac).
    # Planted: maps.py: _pipe_layer's "status" -> "XXstatusXX", "STATUS"
    # Planted: maps.py: _pipe_layer's "colors" -> "XXcolorsXX", "COLORS"
    # Planted: maps.py: _pipe_layer's cols "pressure_class"/"diameter_mm"/"material"/
    #   "install_year" -> "XX..XX", upper case
    pipes = canonical(pipes=[("A", [(0, 0), (100, 0)])])["pipes"]
    spec = maps._pipe_layer(pipes, "管线", False)
    (f,) = spec["data"]["features"]
    assert f["properties"] == {
        "pipe_id": "A",
        "pressure_class": "MP-A",
        "diameter_mm": 110.0,
        "material": "PE",
        "install_year": 2010,
        "status": "in_service",
    }
    assert spec["colors"] == maps.PRESSURE_COLOURS
    assert spec["colors"]["MP-A"] == "#2166ac"


def test_pipe_layer_on_amap_tiles_is_in_gcj02():
    # AMap's tiles are in GCJ-02: the pipe's start moves a few hundred metres (0.001 to 0.02
    # degrees) from its WGS84 place.
    # Planted: maps.py: _pipe_layer's _features(..., gcj=gcj) -> gcj=None, dropped
    pipes = canonical(pipes=[("A", [(0, 0), (100, 0)])])["pipes"]
    a = maps._pipe_layer(pipes, "p", False)["data"]["features"][0]["geometry"]["coordinates"][0]
    b = maps._pipe_layer(pipes, "p", True)["data"]["features"][0]["geometry"]["coordinates"][0]
    assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02


def test_valve_state_counts_a_missing_operable_as_operable_even_as_pd_na():
    # A nullable "operable" read back with pd.NA in an object column: NA counts as operable
    # (open), False is inoperable.
    # Planted: maps.py: _valve_state's astype(object) -> astype(None) (raises on pd.NA)
    valves = pd.DataFrame(
        {
            "normally": ["open", "open", "closed"],
            "operable": pd.Series([True, False, pd.NA], dtype=object),
        }
    )
    assert maps._valve_state(valves).tolist() == ["open", "inoperable", "closed"]


# -- the burst page's options -----------------------------------------------------------------


def test_burst_page_in_the_configured_language_with_the_configured_minimum():
    # maps.language "en" and a 150 m minimum: P3 (110 mm, MP-A, 0.4 MPa) gives
    # 0.33 x 110 x sqrt(0.4) = 23 m, so the circle is the minimum, 150 m, and the order's
    # title is English.
    # Planted: maps.py: burst_map's _page_options(config) -> _page_options(None)
    # Planted: maps.py: burst_map's m = config.maps if config is not None ... -> always {}
    # Planted: maps.py: burst_map's minimum_m=m.get("warning_min_m", ...) -> dropped; key
    #   None, "XXwarning_min_mXX", "WARNING_MIN_M"
    config = SimpleNamespace(maps={"language": "en", "warning_min_m": 150.0})
    data = _burst(config=config)
    assert data["panel"]["title"] == "Isolation order: P3"
    assert data["panel"]["lines"][4] == f"{maps.LABELS['en']['warning']}: 150 m"
    assert data["circle"]["radius"] == 150.0


def test_burst_page_with_the_configured_factor():
    # warning_factor 2: 2 x 110 x sqrt(0.4) = 139.1 m, over the 100 m minimum.
    # Planted: maps.py: burst_map's factor=m.get("warning_factor", ...) -> dropped; key None,
    #   "XXwarning_factorXX", "WARNING_FACTOR"
    data = _burst(config=SimpleNamespace(maps={"warning_factor": 2.0}))
    assert data["panel"]["lines"][4] == f"{maps.LABELS['zh']['warning']}: 139 m"
    assert data["circle"]["radius"] == pytest.approx(139.1, abs=0.05)


def test_burst_page_default_factor_on_a_wide_main():
    # 600 mm MP-A pipes: 0.33 x 600 x sqrt(0.4) = 125.2 m, over the 100 m minimum.
    # Planted: maps.py: burst_map's default factor 0.33 -> 1.33
    data = _burst(net=_net(diameter_mm=600.0))
    assert data["panel"]["lines"][4] == f"{maps.LABELS['zh']['warning']}: 125 m"


def test_burst_page_title_lists_every_damaged_pipe():
    # P3 and P4 both damaged: "<incident>: P3, P4".
    # Planted: maps.py: burst_map's ", ".join -> "XX, XX".join
    data = _burst(pipe=["P3", "P4"])
    assert data["panel"]["title"] == f"{maps.LABELS['zh']['incident']}: P3, P4"


# -- the incident page ------------------------------------------------------------------------


def test_burst_page_on_amap_tiles_moves_every_layer_to_gcj02():
    # On AMap's tiles every layer's first point moves the same few hundred metres (0.001 to
    # 0.02 degrees): the faint network, the isolated area, the damaged pipe, the other boundary
    # valves, the customers losing gas and the critical one.
    # Planted: maps.py: incident_map's _pipe_layer(..., gcj, ...) -> None
    # Planted: maps.py: incident_map's _features(..., gcj=gcj) -> gcj=None, dropped: for the
    #   isolated area, the damaged pipe, the other valves, the affected and the critical
    t = maps.LABELS["zh"]
    plain = _burst()
    amap = _burst(config=SimpleNamespace(maps={"basemap": "amap"}))

    def first(data, name):
        c = _layer(data, name)["data"]["features"][0]["geometry"]["coordinates"]
        while isinstance(c[0], list):
            c = c[0]
        return c

    for key in ("pipes", "isolated", "damaged", "other_valves", "affected", "critical"):
        a, b = first(plain, t[key]), first(amap, t[key])
        assert 0.001 < abs(a[0] - b[0]) + abs(a[1] - b[1]) < 0.02, key


def test_incident_page_with_a_point_but_no_radius_draws_no_circle():
    # A damaged point given without a warning radius: the point is drawn, no circle.
    # Planted: maps.py: incident_map's `centre is not None and radius_m` -> `or`
    net = _net()
    res = _cli(net.burst(pipe="P3"))
    data = _data(
        maps.incident_map(
            net,
            title="t",
            lines=[],
            damaged=res.pipes[res.pipes["pipe_id"] == "P3"],
            pipes=res.pipes,
            valves=res.valves,
            customers=res.customers,
            stations=[],
            centre=(106.7348, 31.85075),
            radius_m=None,
        )
    )
    assert "circle" not in data
    assert _layer(data, maps.LABELS["zh"]["damaged_point"])["data"]["features"]


def test_burst_page_without_valves_to_close_focuses_on_the_damaged_pipe():
    # Nobody closes anything on a burst on P3: the map opens on P3 alone, (200, 0)-(300, 0),
    # i.e. 106.7342753 E, 31.8507398 N to 106.7353316 E, 31.8507503 N (south-west, north-east),
    # not on the whole de-energised network.
    # Planted: maps.py: incident_map's `if len(close)` -> `or True`
    # Planted: maps.py: incident_map's data["focus"] -> None, "XXfocusXX", "FOCUS"
    focus = _burst()["focus"]
    assert focus == [
        [pytest.approx(31.8507398, abs=1e-7), pytest.approx(106.7342753, abs=1e-7)],
        [pytest.approx(31.8507503, abs=1e-7), pytest.approx(106.7353316, abs=1e-7)],
    ]


def test_isolate_page_focuses_on_the_valve_to_close():
    # Closing VB alone, nothing damaged: the map opens on VB at (150, 100), 106.7337348 E,
    # 31.8516361 N (a point: both corners the same).
    # Planted: maps.py: incident_map's `if len(close)` -> `and False` (focus None)
    # Planted: maps.py: incident_map's data["focus"] -> None, "XXfocusXX", "FOCUS"
    corner = [pytest.approx(31.8516361, abs=1e-7), pytest.approx(106.7337348, abs=1e-7)]
    assert _isolate_vb()["focus"] == [corner, corner]


def test_isolate_page_panel_titles_and_navigation_link():
    # The order's three sections are titled: valves to close, stations to stop, customers
    # losing gas; VB's row links AMap to its GCJ-02 point (106.7378629, 31.8494530, 6
    # decimals) under its own name.
    # Planted: maps.py: incident_map's navigation_url(a, b, v) -> (a, b, None)
    # Planted: maps.py: incident_map's sections' "title" -> "XXtitleXX", "TITLE" (to_close,
    #   affected)
    t = maps.LABELS["zh"]
    panel = _isolate_vb()["panel"]
    assert [s["title"] for s in panel["sections"]] == [t["to_close"], t["stations"], t["affected"]]
    (row,) = panel["sections"][0]["rows"]
    assert row[7] == "https://uri.amap.com/marker?position=106.737863,31.849453&name=VB"
