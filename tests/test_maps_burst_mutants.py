"""The burst page's own reading of its input (burst_map: the result's tables in either shape,
the damaged pipe, the [maps] warning circle, the panel's words), the warning circle's sum
(warning_radius_m) and the one map's advice layers (_advice_layers), for the mistakes a full
mutation-testing pass of maps.py found no test would catch (docs/mutants.md).
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from conftest import xy
from shapely.geometry import Point
from test_isolation import net_of
from test_maps_mutants import _incident_net, as_the_cli_hands_it, layer, page_data

from gasnet import maps

# -- the warning circle ----------------------------------------------------------------------


def test_warning_radius_of_decimal_diameters():
    # Diameters as decimals (a database's NUMERIC column read through pyarrow): numbers all
    # the same. SHP-A DN600: 0.33 x 600 x sqrt(1.6) = 250.45 m; DN400: 166.97 m.
    # Planted: maps.py: warning_radius_m's d ... .to_numpy(float) -> .to_numpy(None)
    pa = pytest.importorskip("pyarrow")
    dn = pd.array([Decimal("600.0"), Decimal("400.0")], dtype=pd.ArrowDtype(pa.decimal128(6, 1)))
    assert maps.warning_radius_m(dn, ["SHP-A", "SHP-A"]) == pytest.approx(
        0.33 * 600 * math.sqrt(1.6)
    )


def test_warning_radius_without_a_minimum_and_nothing_known():
    # warning_min_m = 0 ([maps] allows it) and no part with both a diameter and a known
    # class: nothing gives a distance, so 0 m (not 1 m).
    # Planted: maps.py: warning_radius_m's `r.max() if len(r) else 0.0` -> `... else 1.0`
    assert maps.warning_radius_m([110], ["其他"], minimum_m=0.0) == 0.0
    assert maps.warning_radius_m([], [], minimum_m=0.5) == 0.5


# -- the burst page ----------------------------------------------------------------------------


def test_burst_page_in_english_with_the_configured_warning_circle():
    # tests/test_maps_mutants.py's incident network (VA inoperable), a burst on P3 and P6:
    # both lie in B, so A goes too and S stops; nobody closes anything; H, C2 and C1 lose gas
    # (1 + 10 + 40 = 51 households, H critical). Vented: A and B, 620 m of DN110, pi / 4 x
    # 0.11² x 620 = 5.9 m³, at MP-A's 0.4 MPa 5.9 x (0.4 + 0.101325) / 0.101325 = 29 Nm³.
    # [maps] language = "en", warning_min_m = 0: the circle is the guidelines' own distance,
    # 0.33 x 110 x sqrt(0.4) = 22.958 m ("23 m"); warning_factor = 10 instead makes it
    # 10 x 110 x sqrt(0.4) = 695.70 m (the 100 m minimum left as it is).
    # Planted: maps.py: burst_map's _page_options(config) -> _page_options(None)
    # Planted: maps.py: burst_map's `m = config.maps if config is not None` -> `if (...) and False`
    # Planted: maps.py: burst_map's minimum_m=m.get("warning_min_m", 100.0) -> dropped,
    #   m.get(None, ...), "XXwarning_min_mXX", "WARNING_MIN_M"
    # Planted: maps.py: burst_map's factor=m.get("warning_factor", 0.33) -> dropped,
    #   m.get(None, ...), "XXwarning_factorXX", "WARNING_FACTOR", default 0.33 -> 1.33
    # Planted: maps.py: burst_map's title ', '.join(...) -> 'XX, XX'.join(...)
    net = _incident_net()
    res = net.burst(pipe=["P3", "P6"])
    config = SimpleNamespace(maps={"language": "en", "warning_min_m": 0.0})
    data = page_data(maps.burst_map(net, res, config=config))
    assert data["panel"]["title"] == "Isolation order: P3, P6"
    assert data["panel"]["lines"] == [
        "Valves to close, in order: 0",
        "Customers losing gas: 3 (51 households); "
        "Critical customers (hospitals, schools, care homes): 1",
        "Stations to stop: S",
        "to vent: 5.9 m³ (pipe), 29 Nm³ (gas)",
        "Warning circle: 23 m",
    ]
    assert data["circle"]["radius"] == pytest.approx(0.33 * 110 * math.sqrt(0.4))
    assert data["circle"]["label"] == "Warning circle 23 m"
    config = SimpleNamespace(maps={"language": "en", "warning_factor": 10.0})
    data = page_data(maps.burst_map(net, res, config=config))
    assert data["panel"]["lines"][-1] == "Warning circle: 696 m"
    assert data["circle"]["radius"] == pytest.approx(10 * 110 * math.sqrt(0.4))


def test_burst_at_a_point_draws_only_the_damaged_part_and_no_station():
    # The plain network (VA operable), a burst at (175, 0) on P2's part beyond VA: VA and VB
    # close, VC needs no crew, nothing holding a station is isolated ("需停运的场站: 无").
    # Damaged is P2's part without gas, edge 2 from VA (150, 0) to (200, 0): 106.733747
    # 31.850735 -> 106.734275 31.850740; P2's other part, edge 1 from (100, 0), keeps its gas
    # from S and is not drawn as damaged.
    # Planted: maps.py: burst_map's `if not len(damaged):` -> `if len(damaged):`
    # Planted: maps.py: burst_map's t["none"] -> t["XXnoneXX"], t["NONE"]
    net = net_of()
    res = net.burst(at=xy(175, 0), crs="EPSG:4545")
    data = page_data(maps.burst_map(net, res, at=xy(175, 0), crs="EPSG:4545"))
    t = maps.LABELS["zh"]
    assert data["panel"]["lines"][2] == "需停运的场站: 无"
    assert data["panel"]["sections"][1]["rows"] == []
    (part,) = layer(data, t["damaged"])["data"]["features"]
    assert part["properties"] == {
        "pipe_id": "P2",
        "edge_id": 2,
        "pressure_class": "MP-A",
        "diameter_mm": 110.0,
    }
    assert part["geometry"]["coordinates"] == [[106.733747, 31.850735], [106.734275, 31.85074]]


@pytest.mark.parametrize("kept", ["others", "none"])
def test_burst_page_takes_the_damaged_pipe_from_the_network_when_the_result_lacks_it(kept):
    # A result whose pipes table holds no part of P3 (trimmed to the other pipes, or empty):
    # the damaged pipe is drawn from the network's edges, P3's two parts (edges 3 and 4, cut
    # at C2's tap), and the warning circle sits on its middle, (250, 0): 106.7348035 E,
    # 31.8507450 N, 100 m (DN110 MP-A gives 23 m).
    # Planted: maps.py: burst_map's fallback `damaged = net.layers["edges"][...]` -> None;
    #   layers["XXedgesXX"], ["EDGES"] (either of the two); isin(res.damaged) -> isin(None);
    #   astype(str) -> astype(None); ["pipe_id"] -> ["XXpipe_idXX"], ["PIPE_ID"]
    # Planted: maps.py: burst_map's `if not len(damaged):` -> `if len(damaged):`
    net = _incident_net()
    res = as_the_cli_hands_it(net.burst(pipe="P3"))
    pipes = res.pipes[res.pipes["pipe_id"] != "P3"] if kept == "others" else res.pipes.iloc[:0]
    data = page_data(maps.burst_map(net, dataclasses.replace(res, pipes=pipes)))
    damaged = layer(data, maps.LABELS["zh"]["damaged"])["data"]["features"]
    assert [f["properties"] for f in damaged] == [
        {"pipe_id": "P3", "edge_id": e, "pressure_class": "MP-A", "diameter_mm": 110.0}
        for e in (3, 4)
    ]
    assert data["circle"]["center"] == pytest.approx([31.8507450, 106.7348035], abs=2e-7)
    assert data["circle"]["radius"] == 100.0


def test_burst_page_of_tables_indexed_by_id_that_also_carry_it():
    # Each table indexed by its id and still holding it as a column (set_index(..., drop=
    # False), a common way to look rows up): the very page of the tables with the ids as
    # columns. The valves failed with pandas' "'valve_id' is both an index level and a column
    # label, which is ambiguous" before.
    # Planted: maps.py: burst_map's `res.pipes if "edge_id" in res.pipes.columns` -> `if (...)
    #   and False`, "XXedge_idXX", "EDGE_ID"
    # Planted: maps.py: burst_map's flat(res.valves, "valve_id") -> None, "XXvalve_idXX",
    #   "VALVE_ID"; flat(res.customers, "customer_id") -> None, "XXcustomer_idXX", "CUSTOMER_ID"
    net = _incident_net()
    flat = as_the_cli_hands_it(net.burst(pipe="P3"))
    both = dataclasses.replace(
        flat,
        pipes=flat.pipes.set_index("edge_id", drop=False),
        valves=flat.valves.set_index("valve_id", drop=False),
        customers=flat.customers.set_index("customer_id", drop=False),
    )
    assert page_data(maps.burst_map(net, both)) == page_data(maps.burst_map(net, flat))


# -- the one map's advice layers ---------------------------------------------------------------


def _advice(n: int) -> gpd.GeoDataFrame:
    """``n`` ranked valve positions, listed worst first (rank n .. 1), rank k at (k, 0) on A,
    with the exposure figures of ``gasnet advise-valves``: before 1000, after 1000 - 10 k."""
    ranks = list(range(n, 0, -1))
    return gpd.GeoDataFrame(
        {
            "rank": ranks,
            "pipe_id": ["A"] * n,
            "position_m": [float(k) for k in ranks],
            "segment_id": [1] * n,
            "network_worst_after": [40] * n,
            "exposure_before": [1000.0] * n,
            "exposure_after": [1000.0 - 10 * k for k in ranks],
            "reduction": [10.0 * k for k in ranks],
        },
        geometry=[Point(xy(k, 0)) for k in ranks],
        crs="EPSG:4545",
    )


def test_advice_layer_the_top_50_with_their_exposure_word_for_word():
    # 51 positions: the layer shows ranks 1..50 (ADVICE_ON_MAP), numbered, black-ringed
    # purple, off at first; each point and its popup carry the exposure before and after and
    # the reduction (rank 1: 1000 -> 990, 10).
    # Planted: maps.py: _advice_layers' head(ADVICE_ON_MAP) -> head(None)
    # Planted: maps.py: _advice_layers' "exposure_before" / "exposure_after" / "reduction" ->
    #   "XX..XX", upper case
    # Planted: maps.py: _advice_layers' "stroke": "#000000" -> "XX#000000XX"
    (spec,) = maps._advice_layers({"valve_advice": _advice(51)}, maps.LABELS["en"], False)
    fields = [
        "rank",
        "pipe_id",
        "position_m",
        "segment_id",
        "customers_lost_before",
        "customers_lost_after",
        "households_lost_before",
        "households_lost_after",
        "critical_lost_before",
        "critical_lost_after",
        "network_worst_after",
        "exposure_before",
        "exposure_after",
        "reduction",
    ]
    assert {k: v for k, v in spec.items() if k != "data"} == {
        "name": "Where one more valve helps most",
        "color": "#7b3294",
        "stroke": "#000000",
        "radius": 7,
        "numbered": "rank",
        "fields": fields,
        "show": False,
    }
    feats = spec["data"]["features"]
    assert [f["properties"]["rank"] for f in feats] == list(range(1, 51))
    assert feats[0]["properties"] == {
        "rank": 1,
        "pipe_id": "A",
        "position_m": 1.0,
        "segment_id": 1,
        "network_worst_after": 40,
        "exposure_before": 1000.0,
        "exposure_after": 990.0,
        "reduction": 10.0,
    }


def test_advice_layer_on_amap_tiles_in_gcj02():
    # On AMap's tiles the advice points move the few hundred metres of GCJ-02, as the rest of
    # the one map does.
    # Planted: maps.py: _advice_layers' _features(top, fields, gcj=gcj) -> gcj=None, dropped
    layers = {"valve_advice": _advice(3)}
    (plain,) = maps._advice_layers(layers, maps.LABELS["zh"], False)
    (amap,) = maps._advice_layers(layers, maps.LABELS["zh"], True)
    for p, q in zip(plain["data"]["features"], amap["data"]["features"], strict=True):
        (a, b), (c, d) = p["geometry"]["coordinates"], q["geometry"]["coordinates"]
        assert 0.001 < abs(a - c) + abs(b - d) < 0.02
