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
