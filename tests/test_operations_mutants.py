"""operations.py: closures and bursts on the hand-drawn network of tests/test_isolation.py, for
the mistakes mutation testing found no test would catch (`make mutants`, docs/mutants.md).

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)      (J4 at (100,100))

Segments A = {P1, P2 to VA, P5, P7 to VB} (S); B = {P2 from VA, P6, P7 from VB, P3, P4 to
VC}; C = {P4 from VC}. Customers C1 (40 households) on P4 behind VC, C2 (10) on P3, H
(hospital) on P5. Local metres; X0, Y0 = 380,000, 3,526,000 in EPSG:4545.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import X0, Y0
from shapely.geometry import LineString, Point
from test_isolation import CUSTOMERS, PIPES, net_of

from gasnet.errors import InputError, LocationError, OffNetworkError, UnknownAssetError
from gasnet.operations import _brace, _metres, _outline, _range_problem, _shown

VALVES_VC_CLOSED = [("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0), "closed")]


# -- closing valves ------------------------------------------------------------------------


def test_closing_both_feeds_of_b_loses_b_and_c():
    # VA and VB closed: B and C lose gas (C1 40 + C2 10 households); H stays (A). The dead
    # pipes: P2 from VA (50 m), P3 (100), P4 (100: 20 to VC, then VC to E, split at C1),
    # P6 (100), P7 from VB (50): 5 pipes, 400 m.
    net = net_of()
    iso = net.isolate(["VA", "VB"])
    assert sorted(iso.customers.index) == ["C1", "C2"]
    assert iso.stats == {
        "customers": 2,
        "households": 50,
        "critical": [],
        "deenergised_pipes": 5,
        "deenergised_length_m": 400.0,
        "already_closed": [],
    }
    assert sorted(set(iso.pipes["pipe_id"])) == ["P2", "P3", "P4", "P6", "P7"]
    assert iso.pipes.index.name == "edge_id" and iso.pipes.crs == "EPSG:4545"
    assert iso.closed == ["VA", "VB"]
    assert repr(iso) == "<Isolation closing VA, VB: 2 customers (50 households) lose gas>"
    # The customers' table: indexed by id, their own point, the columns of the docs.
    assert list(iso.customers.columns) == [
        "name",
        "kind",
        "critical",
        "households",
        "segment_id",
        "geometry",
    ]
    assert iso.customers.loc["C2"].geometry.equals(Point(X0 + 250, Y0 + 10))


def test_closing_a_normally_closed_valve_changes_nothing_and_is_said():
    # VC normally closed: C (C1) never had gas. Closing VA, VB, VC loses C2 only (critical
    # here), 10 households; the de-energised pipes: P2 from VA, P3, P4 to VC (20 m), P6, P7
    # from VB: 50 + 100 + 20 + 100 + 50 = 320 m.
    net = net_of(
        valves=VALVES_VC_CLOSED,
        customers=[("C1", (350, 10), 40), ("C2", (250, 10), 10, True), ("H", (110, 50), 1, True)],
    )
    iso = net.isolate(["VA", "VB", "VC"])
    assert iso.stats["already_closed"] == ["VC"]
    assert iso.stats["critical"] == ["C2"] and iso.stats["deenergised_length_m"] == 320.0
    assert repr(iso) == (
        "<Isolation closing VA, VB, VC: 1 customers (10 households) lose gas; 1 critical: C2; "
        "VC normally closed already>"
    )
    assert bool(iso.customers.loc["C2", "critical"]) is True


def test_critical_customers_come_first():
    # A burst on P1 isolates segment A, which holds the source: everyone loses gas, H (the
    # critical one) first, then C1, C2 by id.
    net = net_of()
    res = net.burst(pipe="P1")
    assert list(res.customers.index) == ["H", "C1", "C2"]
    assert list(res.customers["critical"]) == [True, False, False]


# -- bursts --------------------------------------------------------------------------------


def test_burst_repr_and_close_order():
    # Burst on P3: VA and VB close (both one zone from the source side: VA first, the given
    # order), VC needs no crew.
    res = net_of().burst(pipe="P3")
    assert (
        repr(res) == "<BurstResult on P3: close 2 valve(s); 2 customers (50 households) lose gas>"
    )
    assert res.valves.loc["VA", "order"] == 1 and res.valves.loc["VB", "order"] == 2
    assert list(res.valves.index[:2]) == ["VA", "VB"]
    assert res.stats["valves_to_close"] == 2
    # The valves' own coordinates, working CRS and WGS84.
    assert (res.valves.loc["VA", "x"], res.valves.loc["VA", "y"]) == (X0 + 150, Y0)
    lon, lat = pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(X0 + 150, Y0)
    assert res.valves.loc["VA", "lon"] == pytest.approx(lon, abs=1e-6)
    assert res.valves.loc["VA", "lat"] == pytest.approx(lat, abs=1e-6)


def test_burst_at_a_point_given_in_lon_lat():
    lon, lat = pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(X0 + 250, Y0 + 2)
    assert net_of().burst(at=(lon, lat), crs="EPSG:4326").damaged == ["P3"]


def _lonlat(x, y):
    return pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(X0 + x, Y0 + y)


@pytest.mark.parametrize(
    ("at", "crs", "message"),
    [
        # x and y swapped: 4,448.7 km off; swapped back it is beside P3.
        (
            (Y0 + 2, X0 + 250),
            None,
            "at=(3526002, 380250): the point is 4,448.7 km from the nearest in-service pipe "
            "(P4), more than 30 m; did you swap x and y? try at=(380250, 3526002)",
        ),
        # 15 km east: no likely mistake either.
        (
            (X0 + 15_250, Y0 + 2),
            None,
            "at=(395250, 3526002): the point is 14.9 km from the nearest in-service pipe (P4), "
            "more than 30 m; check the coordinates and their CRS (lon, lat needs "
            "crs='EPSG:4326')",
        ),
        (
            (200, 95),
            "EPSG:4326",
            "at=(200, 95): latitude 95 is outside -90..90; check the coordinates and their CRS "
            "(lon, lat needs crs='EPSG:4326')",
        ),
        (
            (2e8, 0),
            None,
            "at=(200000000, 0): 2e+08 is not a plausible coordinate (beyond ±1e+08); check the "
            "coordinates and their CRS (lon, lat needs crs='EPSG:4326')",
        ),
        (
            (math.nan, 1),
            None,
            "at=(nan, 1): the coordinates must be finite numbers, got x = nan, y = 1",
        ),
        (("x", 1), None, "at= must be two numbers (x, y), got ('x', 1)"),
        ((1, 2), "EPSG:999999", "crs='EPSG:999999' is not a CRS pyproj knows (e.g. EPSG:4326)"),
    ],
)
def test_burst_at_a_point_that_is_no_place_on_the_network(at, crs, message):
    with pytest.raises(LocationError) as exc:
        net_of().burst(at=at, crs=crs)
    assert str(exc.value) == message


def test_burst_at_lon_lat_without_a_crs_is_recognised():
    lon, lat = _lonlat(250, 2)
    net = net_of()
    with pytest.raises(LocationError, match=r"; these look like lon/lat: try at=\(106\.73.* crs="):
        net.burst(at=(lon, lat))
    with pytest.raises(LocationError, match=r"; these look like lat/lon: try at=\(106\.73"):
        net.burst(at=(lat, lon))
    with pytest.raises(LocationError, match=r"; did you swap lon and lat\? try at=\(106\.73"):
        net.burst(at=(lat, lon), crs="EPSG:4326")


def test_burst_on_a_pipe_that_carries_no_gas_or_is_not_on_the_network():
    pipes = [(*p, "MP-A", "planned") if p[0] == "P3" else p for p in PIPES]
    net = net_of(pipes=[*pipes, ("Z", [(500, 500), (500, 500.2)])])
    with pytest.raises(InputError, match=r"^pipe='P3' is planned: it carries no gas"):
        net.burst(pipe="P3")
    # Z collapsed to a point (0.2 m): a known pipe, but not on the network.
    with pytest.raises(UnknownAssetError, match=r"pipe='Z' is not part of the network"):
        net.burst(pipe="Z")
    # several pipes at once: the damaged ids as given
    assert net.burst(pipe=["P1", "P2"]).damaged == ["P1", "P2"]


def test_burst_with_no_pipe_in_service():
    pipes = [(*p, "MP-A", "abandoned") for p in PIPES]
    net = net_of(pipes=pipes)
    with pytest.raises(OffNetworkError, match="no pipe is in service: there is nothing to isolate"):
        net.burst(at=(X0 + 250, Y0))


# -- helpers -------------------------------------------------------------------------------


def test_metres():
    assert _metres(206.16) == "206.2 m"
    assert _metres(9999.94) == "9999.9 m"
    assert _metres(10_000) == "10.0 km"
    assert _metres(1_234_567) == "1,234.6 km"


def test_range_problem():
    assert _range_problem(math.inf, 0, False) == (
        "the coordinates must be finite numbers, got x = inf, y = 0"
    )
    assert _range_problem(0, math.nan, True) == (
        "the coordinates must be finite numbers, got x = 0, y = nan"
    )
    assert _range_problem(10, 95, True) == "latitude 95 is outside -90..90"
    assert _range_problem(10, -95, True) == "latitude -95 is outside -90..90"
    assert _range_problem(190, 10, True) == "longitude 190 is outside -180..180"
    assert _range_problem(-190, 10, True) == "longitude -190 is outside -180..180"
    assert _range_problem(-180, -90, True) is None
    assert _range_problem(190, 95, False) is None  # metres
    assert _range_problem(0, -2e8, False) == ("2e+08 is not a plausible coordinate (beyond ±1e+08)")
    assert _range_problem(1e8, -1e8, False) is None


def test_brace_and_shown():
    assert _brace("P{1}") == "P{{1}}"
    assert _brace(12) == "12"
    assert _shown(["A", "B", "C"], 2) == "A, B..."
    assert _shown(["A", "B"], 2) == "A, B"
    assert _shown(["a\nb"], 2) == "a b"


def test_outline_round_the_affected_parts():
    # A 100 m line and a point 40 m off it: the outline holds both, 25 m wider.
    lines = np.array([LineString([(0, 0), (100, 0)])])
    points = np.array([Point(50, 40)])
    poly = _outline(lines, points)
    assert poly.geom_type == "Polygon"
    assert poly.contains(Point(50, 40)) and poly.contains(Point(0, 0))
    assert poly.contains(Point(-20, 0)) and not poly.contains(Point(-30, 0))
    assert _outline(np.array([], object), np.array([], object)) is None
    # a city-wide outage: more than 20,000 vertices are sampled evenly, same shape
    many = np.array([LineString([(i, 0), (i + 1, 0)]) for i in range(15_000)])
    big = _outline(many, np.array([], object))
    assert big.bounds[0] == pytest.approx(-25, abs=1) and big.bounds[2] == pytest.approx(
        15_025, abs=1
    )


# -- more of a burst -----------------------------------------------------------------------


def test_burst_with_a_failed_valve_lists_the_skipped_one_before_the_no_crew_one():
    # VB failed: the area takes A and B; VB is skipped (skip_failed), VC needs no crew; the
    # valves come in action order: close, skip, no crew.
    res = net_of().burst(pipe="P3", fail=["VB"])
    assert list(res.valves.index) == ["VB", "VC"]
    assert list(res.valves["action"]) == ["skip_failed", "no_crew"]
    assert res.valves["order"].isna().all()
    # The pipes that lose gas, by edge: all but C's two parts behind VC are in the area.
    pipes = res.pipes
    assert pipes.index.name == "edge_id" and pipes.crs == "EPSG:4545"
    assert sorted(set(pipes["pipe_id"])) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    outside = pipes[~pipes["isolated"]]
    assert sorted(outside["length_m"]) == [30.0, 50.0] and set(outside["pipe_id"]) == {"P4"}
    assert pipes["length_m"].sum() == 700.0


def test_burst_arguments_that_cannot_be_used():
    net = net_of()
    with pytest.raises(
        InputError, match=r"^max_distance=-1: give a distance in metres, 0 or more$"
    ):
        net.burst(pipe="P3", max_distance=-1)
    with pytest.raises(InputError, match=r"^max_distance='x': give a distance"):
        net.burst(pipe="P3", max_distance="x")
    with pytest.raises(InputError, match=r"^give exactly one of pipe= \(a pipe id\) or at="):
        net.burst(pipe="P3", at=(0, 0))
    with pytest.raises(InputError, match="give exactly one of"):
        net.burst()
    with pytest.raises(UnknownAssetError) as exc:
        net.burst(pipe="P9")
    assert str(exc.value) == (
        "unknown pipe id(s): P9 (in pipe=); pipe ids look like P1, P2, P3 (see the pipes layer)"
    )


def test_burst_on_a_network_without_valves():
    # Nothing to close: the area is the whole network, everyone loses gas, no valve rows.
    res = net_of(valves=[]).burst(pipe="P3")
    assert res.valves.empty and res.valves.index.name == "valve_id"
    assert sorted(res.customers.index) == ["C1", "C2", "H"] and res.sources_to_shut == ["S"]


def test_close_order_keeps_the_given_order_on_ties():
    # A zone graph: the root (0), zone 1 behind it, and 20 valves: depth 1 (hung on the
    # root) or 2 (on zone 1). Crews close the depth-1 valves first, ties in the order given.
    from types import SimpleNamespace

    from gasnet.operations import close_order

    depth = [2, 2, 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    tails = [0] + [0 if d == 1 else 1 for d in depth]
    heads = [1] + [2 + i for i in range(len(depth))]
    eng = SimpleNamespace(tails=np.array(tails), heads=np.array(heads), n_zg=22, root=0, n_zones=2)
    rank = close_order(eng, np.arange(20))
    ones = [i for i, d in enumerate(depth) if d == 1]
    twos = [i for i, d in enumerate(depth) if d == 2]
    assert [rank[i] for i in ones] == [1, 2, 3, 4, 5, 6]
    assert [rank[i] for i in twos] == list(range(7, 21))


# -- held-out sample (--seed holdout) ------------------------------------------------------


def test_outline_keeps_every_vertex_up_to_20000():
    # 19,999 vertices along y=0 (x = 0..19,998) and one customer at (10,000, 5,000): 20,000
    # vertices, not more than 20,000, so none is dropped and the outline reaches the
    # customer. (Sampling would keep every 2nd vertex, 0, 2, ..., 19,998: the customer, the
    # 20,000th, would be lost.)
    lines = np.array([LineString([(x, 0) for x in range(19_999)])])
    poly = _outline(lines, np.array([Point(10_000, 5_000)]))
    assert poly.contains(Point(10_000, 5_000))


def test_plan_isolation_names_the_valves_to_close():
    # A burst on P3 (segment B): VA and VB close (A, with S, lies behind them); VC needs no
    # crew (C behind it has no gas of its own). close_nodes: the network nodes of VA and VB.
    from gasnet.operations import plan_isolation

    net = net_of()
    eng, fg = net.engine, net.flow
    edges = net.layers["edges"]
    eid = edges.loc[edges["pipe_id"] == "P3", "edge_id"].to_numpy()
    zones = eng.edge_zone[np.searchsorted(fg.live_edges, eid)]
    none = np.zeros(len(fg.valves), bool)
    plan = plan_isolation(eng, zones, none, none)
    node = net.layers["nodes"].set_index("asset_id")["node_id"]
    assert sorted(plan.close_nodes) == sorted([node["VA"], node["VB"]])
    vid = fg.asset_id[fg.valves]
    assert sorted((vid[k], a) for k, a in plan.actions) == [
        ("VA", "close"),
        ("VB", "close"),
        ("VC", "no_crew"),
    ]


def test_closing_valves_loses_the_customer_on_node_0():
    # The station S moved to E (400, 0); customer X (7 households) at (0, 0), the end of P1,
    # attaches to that end's node, node 0 (no valve there). Closing VC cuts S off from A and
    # B: H (1), C2 (10) and X (7) lose gas, 3 customers, 18 households; C1 (beyond VC, with
    # S) keeps it.
    # Planted: operations.py: _affected's nodes >= 0 -> nodes > 0
    net = net_of(sources=[("S", (400, 0))], customers=[*CUSTOMERS, ("X", (0, 0), 7)])
    node = net.layers["customers"].set_index("customer_id")["node_id"]
    assert node["X"] == 0  # (what the test is about)
    iso = net.isolate(["VC"])
    assert sorted(iso.customers.index) == ["C2", "H", "X"]
    assert (iso.stats["customers"], iso.stats["households"]) == (3, 18)


def test_burst_close_order_is_a_nullable_integer_column():
    # Burst on P3: VA, VB close (order 1, 2), VC needs no crew (no order). The column is
    # pandas' nullable integer, Int64 (a number with a gap, not an object column of mixed
    # values); still Int64 when no valve borders the area and it has no rows.
    # Planted: operations.py: pd.array([pd.NA] * len(vt), dtype="Int64") -> dtype=None
    res = net_of().burst(pipe="P3")
    assert res.valves["order"].dtype == "Int64"
    assert res.valves["order"].tolist() == [1, 2, pd.NA]
    assert net_of(valves=[]).burst(pipe="P3").valves["order"].dtype == "Int64"


# -- full pass: the survivors outside burst ----------------------------------------------------

V3 = [("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0))]


def test_closing_valves_reads_the_customer_on_node_0_before_and_after():
    # The station S at E (400, 0); a fourth valve VD on P1 at (50, 0); customer X (7) at
    # (0, 0), on node 0, the end of P1 (node 1 is J1, (100, 0), on the other side of VD).
    # Closing VD cuts off the stub (0, 0)-VD alone: X loses gas, J1 keeps it (fed round from
    # E), so reading node 1's "after" in place of node 0's would keep X.
    # Planted: operations.py: _affected's ~after[np.maximum(nodes, 0)] -> np.maximum(nodes, 1)
    custs = [*CUSTOMERS, ("X", (0, 0), 7)]
    net = net_of(valves=[*V3, ("VD", (50, 0))], sources=[("S", (400, 0))], customers=custs)
    assert net.layers["customers"].set_index("customer_id").loc["X", "node_id"] == 0
    assert sorted(net.isolate(["VD"]).customers.index) == ["X"]
    # VD normally closed: X never had gas (node 0 is behind VD; node 1 had it). Closing VC
    # cuts A and B off from S: H and C2 lose gas, X (nothing to lose) is not listed.
    # Planted: operations.py: _affected's before[np.maximum(nodes, 0)] -> np.maximum(nodes, 1)
    net = net_of(
        valves=[*V3, ("VD", (50, 0), "closed")], sources=[("S", (400, 0))], customers=custs
    )
    assert sorted(net.isolate(["VC"]).customers.index) == ["C2", "H"]


def test_isolation_tables_give_each_customer_its_segment_and_the_crs():
    # Segments are numbered by their first edge: A (P1) 0, B 1, C 2. Closing VA and VB: C1
    # (in C) and C2 (in B) lose gas. Every result table is in the working CRS, EPSG:4545.
    # Planted: operations.py: _affected_mask's c["segment_id"] = ... -> None
    # Planted: operations.py: _customers_gdf's _by_id(..., cust.crs) -> None
    # Planted: operations.py: _by_id's GeoDataFrame(..., crs=crs) -> crs=None, no crs
    net = net_of()
    iso = net.isolate(["VA", "VB"])
    assert iso.customers["segment_id"].to_dict() == {"C1": 2, "C2": 1}
    assert iso.customers.crs == "EPSG:4545"
    res = net.burst(pipe="P3")
    assert res.customers["segment_id"].to_dict() == {"C1": 2, "C2": 1}
    assert res.valves.crs == "EPSG:4545" and res.customers.crs == "EPSG:4545"


def test_result_tables_keep_ids_as_labels():
    # Layers handed to build_network with integer customer ids 1, 2, 3 (C1, C2, H): the
    # customers table is indexed by the ids as given, objects (labels), not an int64 index.
    # Planted: operations.py: _by_id's table[key].to_numpy(object) -> to_numpy(None)
    from conftest import canonical

    from gasnet.network import build_network

    layers = canonical(pipes=PIPES, valves=V3, sources=[("S", (0, 0))], customers=CUSTOMERS)
    layers["customers"]["customer_id"] = [1, 2, 3]
    net, _ = build_network(layers)
    index = net.isolate(["VA", "VB"]).customers.index
    assert index.tolist() == [1, 2] and index.dtype == object


def test_burst_of_the_operations_module_takes_one_pipe_id_as_a_str():
    # gasnet.operations.burst (public) with pipe="P3": one id, not the ids "P" and "3".
    # Planted: operations.py: [pipe] if isinstance(pipe, str) -> if (...) and False
    from gasnet.operations import burst

    assert burst(net_of(), pipe="P3").damaged == ["P3"]


def test_burst_on_a_pipe_without_geometry_names_the_fix():
    # Z collapsed to a point (0.2 m): the message says where to look.
    # Planted: operations.py: "row in quality_issues)" -> "XXrow in quality_issues)XX", upper
    net = net_of(pipes=[*PIPES, ("Z", [(500, 500), (500, 500.2)])])
    with pytest.raises(UnknownAssetError) as exc:
        net.burst(pipe="Z")
    assert str(exc.value) == (
        "pipe='Z' is not part of the network (no usable geometry: see its row in quality_issues)"
    )


def test_isolate_names_the_valves_argument():
    # Planted: operations.py: net._known("valves", ..., "valves") -> "XXvalvesXX", "VALVES", None
    with pytest.raises(UnknownAssetError) as exc:
        net_of().isolate(["VA", "NOPE"])
    assert str(exc.value) == (
        "unknown valve id(s): NOPE (in valves=); valve ids look like VA, VB, VC (see the valves "
        "layer)"
    )


def test_burst_with_no_pipe_in_service_says_exactly_that():
    # Planted: operations.py: "no pipe is in service: ..." -> "XXno pipe ... isolateXX"
    net = net_of(pipes=[(*p, "MP-A", "abandoned") for p in PIPES])
    with pytest.raises(OffNetworkError) as exc:
        net.burst(at=(X0 + 250, Y0))
    assert str(exc.value) == "no pipe is in service: there is nothing to isolate"


def test_burst_at_exactly_max_distance_is_on_the_pipe():
    # (250, 30): 30 m above P3 (y = 0; P6 at x = 200 is 50 m away), the default max_distance
    # exactly: still P3.
    # Planted: operations.py: hit[1] <= max_distance -> hit[1] < max_distance
    assert net_of().burst(at=(X0 + 250, Y0 + 30)).damaged == ["P3"]


def test_the_swap_hint_reaches_exactly_1000_m():
    # x and y swapped of (250, -1000): swapped back it is 1000 m below P3 (y = 0), exactly
    # the reach of a hint (max(1 km, max_distance)): the swap is offered. At 1000.5 m it is
    # not: check the coordinates.
    # Planted: operations.py: hit[1] <= reach -> hit[1] < reach
    # Planted: operations.py: reach = max(1000.0, max_distance) -> max(1001.0, ...)
    net = net_of()
    with pytest.raises(LocationError) as exc:
        net.burst(at=(Y0 - 1000, X0 + 250))
    assert str(exc.value).endswith("; did you swap x and y? try at=(380250, 3525000)")
    with pytest.raises(LocationError) as exc:
        net.burst(at=(Y0 - 1000.5, X0 + 250))
    assert str(exc.value).endswith(
        "more than 30 m; check the coordinates and their CRS (lon, lat needs crs='EPSG:4326')"
    )


def test_lon_lat_hints_give_the_crs_to_add():
    # lon, lat of (250, 2) given without a CRS: the hint names crs='EPSG:4326', as typed.
    # Planted: operations.py: crs_fix="EPSG:4326" (the hint's) -> None, "XXEPSG:4326XX",
    # "epsg:4326"
    lon, lat = _lonlat(250, 2)
    with pytest.raises(LocationError) as exc:
        net_of().burst(at=(lon, lat))
    assert str(exc.value).endswith(
        f"; these look like lon/lat: try at=({lon}, {lat}) crs='EPSG:4326'"
    )


def test_no_lon_lat_hint_when_the_crs_is_given():
    # lon, lat of (250, 2) given with crs="EPSG:4545" (the working CRS, metres): the user
    # named the CRS, so no lon/lat guess; the swapped point is far too: check the coordinates.
    # Planted: operations.py: if not crs and not geographic -> not crs or not geographic
    lon, lat = _lonlat(250, 2)
    with pytest.raises(LocationError) as exc:
        net_of().burst(at=(lon, lat), crs="EPSG:4545")
    assert "look like" not in str(exc.value)
    assert str(exc.value).endswith(
        "; check the coordinates and their CRS (lon, lat needs crs='EPSG:4326')"
    )


def test_lon_lat_hint_checks_the_longitude_range():
    # lon + 360 (466.73...), lat of a point beside P3, no CRS: read as lon/lat it is out of
    # range (beyond 180), so no hint, although PROJ would wrap it onto P3.
    # Planted: operations.py: nearest's _range_problem(px, py, pcrs.is_geographic) -> None
    lon, lat = _lonlat(250, 2)
    with pytest.raises(LocationError) as exc:
        net_of().burst(at=(lon + 360, lat))
    assert str(exc.value).endswith(
        "; check the coordinates and their CRS (lon, lat needs crs='EPSG:4326')"
    )


def test_burst_at_a_point_the_working_crs_cannot_hold():
    # lon 18, lat 0: 90 degrees from the working CRS's central meridian (108 E, EPSG:4545,
    # transverse Mercator): PROJ gives inf. Swapped (0, 18) is no better.
    # Planted: operations.py: problem = (f"the point cannot be transformed ...") -> None;
    # _brace(src.to_string()) -> _brace(None); _brace(work.to_string()) -> _brace(None)
    with pytest.raises(LocationError) as exc:
        net_of().burst(at=(18, 0), crs="EPSG:4326")
    assert str(exc.value) == (
        "at=(18, 0): the point cannot be transformed from EPSG:4326 to the working CRS "
        "EPSG:4545; check the coordinates and their CRS (lon, lat needs crs='EPSG:4326')"
    )


def test_a_point_transformed_to_one_infinite_coordinate_cannot_be_used(monkeypatch):
    # A transformation that gives x finite and y infinite (a projection's pole): the point
    # cannot be transformed (not an IndexError from a search with no answer).
    # Planted: operations.py: not (np.isfinite(px) and np.isfinite(py)) -> (... or ...)
    net, at = net_of(), _lonlat(250, 2)

    class HalfInfinite:
        def transform(self, x, y):
            return X0 + 250.0, math.inf

    monkeypatch.setattr(pyproj.Transformer, "from_crs", lambda *a, **k: HalfInfinite())
    with pytest.raises(LocationError, match="the point cannot be transformed from EPSG:4326"):
        net.burst(at=at, crs="EPSG:4326")


def test_range_problem_limits_are_90_and_180():
    # Planted: operations.py: abs(y) > 90 -> > 91; abs(x) > 180 -> > 181
    assert _range_problem(0, 90.5, True) == "latitude 90.5 is outside -90..90"
    assert _range_problem(180.5, 0, True) == "longitude 180.5 is outside -180..180"


def test_burst_lists_a_normally_closed_border_valve_last():
    # VC normally closed; a burst on P3 (segment B): VA and VB close (order 1, 2), VC is
    # already closed (no order), listed last.
    # Planted: operations.py: action[~opened] = "already_closed" -> None, "XX...XX", upper
    res = net_of(valves=[*V3[:2], ("VC", (320, 0), "closed")]).burst(pipe="P3")
    assert list(res.valves.index) == ["VA", "VB", "VC"]
    assert list(res.valves["action"]) == ["close", "close", "already_closed"]


def test_burst_isolated_area_stays_without_gas_once_its_valves_close():
    # A fourth valve VE on P6 at (200, 50): B = {P2 from VA, P6 below VE, P3, P4 to VC},
    # D = {P7 from VB, P6 above VE}. A burst on P3 closes VA (A, with S, behind it) and VE
    # (D, fed through VB, behind it); VC needs no crew. Afterwards B and C have no gas: C2
    # (in B) and C1 (in C) lose it; de-energised: P2 from VA 50 m, P6 below VE 50, P3 100,
    # P4 100 = 300 m.
    # Planted: operations.py: plan_isolation's blocked[nz + border_v[...]] -> nz - border_v
    res = net_of(valves=[*V3, ("VE", (200, 50))]).burst(pipe="P3")
    assert res.valves["action"].to_dict() == {"VA": "close", "VE": "close", "VC": "no_crew"}
    assert sorted(res.customers.index) == ["C1", "C2"]
    assert res.stats["deenergised_length_m"] == 300.0


# -- reprs ---------------------------------------------------------------------------------


def test_reprs_cut_long_lists():
    # Isolation: at most 4 valves closed and 4 already closed shown, then "..."; at most 3
    # critical customers, then "and N more". BurstResult: at most 3 damaged pipes.
    # Planted: operations.py: Isolation.__repr__'s _shown(self.closed, 4) -> 5,
    # _shown(shut, 4) -> 5
    # Planted: operations.py: _stats_line's shown_list(crit, 3) -> 4, shown_list(crit)
    # Planted: operations.py: BurstResult.__repr__'s _shown(self.damaged, 3) -> 4
    from gasnet.operations import BurstResult, Isolation

    stats = {"customers": 9, "households": 12, "critical": ["H1", "H2", "H3", "H4"]}
    shut = ["V1", "V2", "V3", "V4", "V5"]
    iso = Isolation(shut, None, None, {**stats, "already_closed": shut})
    assert repr(iso) == (
        "<Isolation closing V1, V2, V3, V4...: 9 customers (12 households) lose gas; 4 critical: "
        "H1, H2, H3 and 1 more; V1, V2, V3, V4... normally closed already>"
    )
    res = BurstResult(
        ["P1", "P2", "P3", "P4"], None, None, None, [], {**stats, "valves_to_close": 2}
    )
    assert repr(res) == (
        "<BurstResult on P1, P2, P3...: close 2 valve(s); 9 customers (12 households) lose gas; "
        "4 critical: H1, H2, H3 and 1 more>"
    )


# -- close_order -----------------------------------------------------------------------------


def _zone_graph(arcs, n_zones, n_zg):
    from types import SimpleNamespace

    tails, heads = zip(*arcs, strict=True)
    return SimpleNamespace(
        tails=np.array(tails), heads=np.array(heads), n_zg=n_zg, root=n_zg - 1, n_zones=n_zones
    )


def test_close_order_follows_the_gas_through_a_regulator_one_way():
    # Zones Z0, Z1, Z2 (0-2), valves Va, Vb, Vd (3-5), the root 6. Root -> Z0 - Va - Z1, Z1 -
    # Vb - Z2, Z1 - Vd; a regulator lets gas from Z2 into Z0 (one way). From the stations:
    # Va 2 hops, Vb and Vd 4 (root, Z0, Va, Z1). Against the regulator Vb would be 3 (root,
    # Z0, Z2): gas does not flow that way, so Vd and Vb tie and keep the given order.
    # Planted: operations.py: shortest_path(g, directed=True, ...) -> directed=False, None
    from gasnet.operations import close_order

    both = [(0, 3), (3, 0), (3, 1), (1, 3), (1, 4), (4, 1), (4, 2), (2, 4), (1, 5), (5, 1)]
    eng = _zone_graph([(6, 0), *both, (2, 0)], n_zones=3, n_zg=7)
    assert close_order(eng, np.array([2, 1])).tolist() == [1, 2]  # Vd, Vb
    assert close_order(eng, np.array([1, 2, 0])).tolist() == [2, 3, 1]


def test_close_order_is_integer_and_takes_no_valves():
    # Ranks are integers (1, 2, ...), also for an empty list of valves (no valve to close).
    # Planted: operations.py: np.empty(len(depth), np.int64) -> None, no dtype
    # Planted: operations.py: np.asarray(valve_index, np.int64) -> None, no dtype
    from gasnet.operations import close_order

    eng = _zone_graph([(3, 0), (0, 1), (1, 0), (1, 2), (2, 1)], n_zones=1, n_zg=4)
    rank = close_order(eng, [1, 0])
    assert rank.dtype == np.int64 and rank.tolist() == [2, 1]
    empty = close_order(eng, [])
    assert empty.dtype == np.int64 and len(empty) == 0


# -- outline ---------------------------------------------------------------------------------


def test_outline_of_one_customer_is_25_m_round_it():
    # A point: its hull is the point, widened by 25 m: bounds +-25 (the buffer's vertices at
    # the axes survive simplification).
    # Planted: operations.py: _outline's margin: float = 25.0 -> 26.0
    poly = _outline(np.array([], object), np.array([Point(0, 0)]))
    assert poly.bounds == (-25.0, -25.0, 25.0, 25.0)


def test_outline_is_simplified_to_a_fifth_of_the_margin():
    # A 100 m line widened by 25 m: the two round ends are simplified at 5 m (25 / 5) to 9
    # coordinates in all (at 25 / 6 m a tenth survives).
    # Planted: operations.py: simplify(margin / 5) -> margin / 6
    poly = _outline(np.array([LineString([(0, 0), (100, 0)])]), np.array([], object))
    assert len(poly.exterior.coords) == 9


def _lattice_with_two_outliers(n, left, right):
    # n customers on a 10 m lattice (x, y from 0), but customer `left` moved to (-500, 700)
    # and `right` to (2500, 700), both far off it.
    k = int(np.ceil(np.sqrt(n)))
    xy = np.mgrid[0:k, 0:k].reshape(2, -1).T[:n].astype(float) * 10
    xy[left], xy[right] = (-500, 700), (2500, 700)
    return _outline(np.array([], object), shapely.points(xy))


def _part_holding(poly, x, y):
    """The area of the part of the outline that holds (x, y)."""
    return next(g.area for g in getattr(poly, "geoms", [poly]) if g.contains(Point(x, y)))


# A vertex the hull's sample left out: a disc of 25 m (1,963 m2), simplified at 5 m to an
# octagon (1,768 m2).
DISC = 2 * math.sqrt(2) * 25**2


def test_outline_samples_every_2nd_vertex_from_20001():
    # 20,001 vertices: more than 20,000, so the hull is of every 2nd (20,001 // 20,000 + 1 =
    # 2): vertex 1, (-500, 700), is not in the sample, and is added as a disc of 25 m of its
    # own (the outline once left it out: a customer losing gas outside the area drawn);
    # vertex 2, (2500, 700), is in the hull, joined to the lattice (over 6 km2).
    # Planted: operations.py: len(xy) > 20_000 -> > 20001 (vertex 1 in the hull);
    #   len(xy) // 20_000 + 1 -> + 2 (every 3rd: vertex 2 a disc too)
    poly = _lattice_with_two_outliers(20_001, 1, 2)
    assert _part_holding(poly, -500, 700) == pytest.approx(DISC)
    assert _part_holding(poly, 2500, 700) > 1e6


def test_outline_of_20000_vertices_is_one_hull_of_all():
    # 20,000 vertices, not more: the hull is of every vertex, so the outlier (-500, 700) is
    # joined to the lattice (over 1 km2), not a disc of its own (sampling every 2nd would
    # leave vertex 1 out of the hull).
    # Planted: operations.py (_outline): len(xy) > 20_000 -> >= 20_000; ... if (len(xy) >
    #   20_000) or True else xy
    poly = _lattice_with_two_outliers(20_000, 1, 2)
    assert poly.geom_type == "Polygon" and _part_holding(poly, -500, 700) > 1e6


def test_outline_samples_every_3rd_vertex_from_40000():
    # 40,000 vertices: every 3rd (40,000 // 20,000 + 1 = 3): vertex 2 is left out of the
    # hull (a disc of its own), vertex 3 is in it (every 2nd, 40,000 // 20,001 + 1, would
    # keep vertex 2 in the hull and leave vertex 3 out).
    # Planted: operations.py: len(xy) // 20_000 + 1 -> len(xy) // 20001 + 1
    poly = _lattice_with_two_outliers(40_000, 2, 3)
    assert _part_holding(poly, -500, 700) == pytest.approx(DISC)
    assert _part_holding(poly, 2500, 700) > 1e6


def test_outline_holds_every_affected_vertex_when_sampled():
    # 100,000 customers spread evenly over 5 km x 5 km: the hull is of every 6th; the
    # vertices it misses at the border are added, so every customer is inside (before: some
    # hundreds near the edge were not).
    xy = np.random.default_rng(1).uniform(0, 5_000, (100_000, 2))
    poly = _outline(np.array([], object), shapely.points(xy))
    assert shapely.contains_xy(poly, *xy.T).all()


def test_outline_fills_a_ring_main_when_the_area_is_wide():
    # A ring main: two concentric arcs (radius 300 and 280 m, vertices every ~10 m) open by
    # 60 m at (300, 0); a customer 5 km west. The concave hull at ratio 0.05 erodes only
    # border edges longer than the shortest Delaunay edge plus 5% of the spread (longest
    # about 5 km: about 250 m), so the 60 m mouth stays shut and the ring's centre, 280 m
    # from every vertex, is inside. At ratio 0 every border edge longer than the shortest
    # (about 10 m) is eroded: the hull follows the ring and leaves its centre out.
    # Planted: operations.py: concave_hull(..., ratio=0.05) -> no ratio (0)
    def arc(r):
        half = np.arcsin(30 / r)
        t = np.linspace(half, 2 * np.pi - half, int(2 * np.pi * 300 / 10))
        return LineString(np.c_[r * np.cos(t), r * np.sin(t)])

    poly = _outline(np.array([arc(300), arc(280)]), np.array([Point(-5000, 0)]))
    assert poly.contains(Point(0, 0)) and poly.contains(Point(-5000, 0))
