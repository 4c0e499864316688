"""topology.py (_attach_customers): customers naming their pipe, customers with no location or
no pipe in service, a customer exactly at customer_max_distance_m, and where a customer's node
goes at a pipe's end -- the mistakes mutation testing found no fast test would catch (`make
mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m, customers within 60 m; the expected rows and nodes in comments,
each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from conftest import canonical, in_process_session, pt, rows
from shapely.geometry import Point

from gasnet import parallel
from gasnet.topology import build_topology

NO_LOCATION = "customer has no location; kept but not attached (no supply)"
NO_PIPE_IN_SERVICE = "no pipe is in service: customer kept but not attached (no supply)"


def _customer_rows(topo):
    return topo.customers[["customer_id", "node_id", "attach_distance_m"]].values.tolist()


def _pipe_of(topo, customer_id):
    """The pipe of the edges at a customer's node."""
    c = topo.customers.set_index("customer_id")
    node = c.loc[customer_id, "node_id"]
    e = topo.edges
    return sorted(set(e.loc[(e["u"] == node) | (e["v"] == node), "pipe_id"]))


# -- a customer naming its pipe ----------------------------------------------------------------


def test_a_customer_naming_a_pipe_out_of_service_is_attached_there_and_reported():
    # Planted: pipe_ids = None (mutant 32); the `"pipe_id" in customers` test made false
    # (`and False` 33, "XXpipe_idXX" 38, "PIPE_ID" 39, `not in` 40); named = ok &
    # pd.notna(None) (46); rest = ok & (part <= 0) / (part < 1) (156, 157); dead = ... with `|`
    # for one `&` (206, 207), `far` for `~far` (208), part > 0 / part >= 1 (209, 210), status
    # == "in_service" (216), != "XXin_serviceXX" / "IN_SERVICE" (217, 218)
    #
    # A (0,0)-(100,0) is planned (the first part, part 0), B (0,20)-(100,20) in service.
    # C1 at (50,5) names A: attached on A 5 m away, though carrying no gas, and reported as
    # customer_on_dead_pipe ("pipe A is planned"). C2 at (50,18) names nothing: the nearest
    # in-service pipe, B, 2 m away, not reported. (Ignoring the name put C1 on B, 15 m away,
    # unreported; the wrong masks reported C2 too, or C1 no more.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)], "MP-A", "planned"), ("B", [(0, 20), (100, 20)])],
            customers=[("C1", (50, 5), 1, False, "A"), ("C2", (50, 18))],
        )
    )
    assert _pipe_of(topo, "C1") == ["A"]
    assert _pipe_of(topo, "C2") == ["B"]
    assert topo.customers["attach_distance_m"].tolist() == [5.0, 2.0]
    assert [(r["feature_id"], r["message"]) for r in rows(report, "customer_on_dead_pipe")] == [
        (
            "C1",
            "customer's pipe_id names a pipe that is not in service: it is attached there and "
            "has no supply, so no isolation counts it (pipe A is planned)",
        )
    ]
    assert rows(report, "customer_unattached") == []


def test_customers_without_a_pipe_id_column_attach_to_the_nearest_pipe():
    # Planted: `if ("pipe_id" in customers) or True` (mutant 34), `not in` (40),
    # np.full(None, None) / np.full(None) / np.full(n, ) for the missing column (41, 42, 43)
    #
    # The pipe_id column is optional: without it every customer takes its nearest in-service
    # pipe. A (0,0)-(100,0); C1 at (30,4): cut into A at 30 m (node 2, A's ends are 0 and 1),
    # 4 m away. (The mutants read the missing column, a KeyError, or called np.full wrongly, a
    # TypeError.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (30, 4))])
    layers["customers"] = layers["customers"].drop(columns="pipe_id")
    topo, _ = build_topology(layers)
    assert _customer_rows(topo) == [["C1", 2, 4.0]]
    assert topo.edges[["u", "v"]].values.tolist() == [[0, 2], [2, 1]]


# -- customers with no location, or no pipe in service -----------------------------------------


def test_customers_without_a_location_are_reported_once_as_having_none():
    # Planted: ok = ~(is_missing & is_empty) (mutant 29), ~(is_missing | is_empty(None)) (31);
    # named = ok | pd.notna(pipe_ids) (45); dead = ok & ~far & (part >= 0) | (status ...) (205)
    #
    # A (0,0)-(100,0) planned (part 0), B (0,20)-(100,20) in service. C1 has no geometry and
    # names pipe "NOPE", C2 is an empty point, C3 at (50,18) is 2 m from B. C1 and C2: one
    # "no location" row each, not attached (node -1, no distance), and nothing else about them:
    # no unknown_pipe_id (C1 is not "attached to the nearest pipe instead"), no
    # customer_on_dead_pipe (their "part" -1 is not A). (The mutants let C1 or C2 through as
    # located -- an unknown pipe id, or "inf m away" -- or reported them on A.)
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)], "MP-A", "planned"), ("B", [(0, 20), (100, 20)])],
        customers=[("C1", (0, 0), 1, False, "NOPE"), ("C2", (0, 0)), ("C3", (50, 18))],
    )
    c = layers["customers"]
    layers["customers"] = c.set_geometry(
        gpd.GeoSeries([None, Point(), pt(50, 18)], index=c.index, crs=c.crs)
    )
    topo, report = build_topology(layers)
    assert topo.customers["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert topo.customers["node_id"].tolist()[:2] == [-1, -1]
    assert topo.customers["attach_distance_m"].isna().tolist() == [True, True, False]
    assert _pipe_of(topo, "C3") == ["B"]
    assert [(r["feature_id"], r["message"]) for r in rows(report, "customer_unattached")] == [
        ("C1", NO_LOCATION),
        ("C2", NO_LOCATION),
    ]
    assert rows(report, "unknown_pipe_id") == []
    assert rows(report, "customer_on_dead_pipe") == []


def test_with_no_pipe_in_service_customers_are_kept_unattached_saying_so():
    # Planted: lone = ... `if (not len(live_idx)) and False` (mutant 257), `if len(live_idx)`
    # (262), ok | (part < 0) (259), part <= 0 / part < 1 (260, 261)
    #
    # A (0,0)-(100,0) planned (part 0), B (0,20)-(100,20) abandoned: no pipe carries gas.
    # C1 at (50,5) names nothing: kept unattached, "no pipe is in service" (not "farther than
    # 60 m": it has no distance). C2 has no location: its own row. C3 at (60,4) names A:
    # attached there, 4 m, and reported on a dead pipe, not as unattached. (The mutants
    # reported C1 as "inf m away", or C2 / C3 as having no pipe in service.)
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)], "MP-A", "planned"),
            ("B", [(0, 20), (100, 20)], "MP-A", "abandoned"),
        ],
        customers=[("C1", (50, 5)), ("C2", (0, 0)), ("C3", (60, 4), 1, False, "A")],
    )
    c = layers["customers"]
    layers["customers"] = c.set_geometry(
        gpd.GeoSeries([pt(50, 5), None, pt(60, 4)], index=c.index, crs=c.crs)
    )
    topo, report = build_topology(layers)
    assert topo.customers["node_id"].tolist()[:2] == [-1, -1]
    assert _pipe_of(topo, "C3") == ["A"]
    assert [(r["feature_id"], r["message"]) for r in rows(report, "customer_unattached")] == [
        ("C1", NO_PIPE_IN_SERVICE),
        ("C2", NO_LOCATION),
    ]
    assert [r["feature_id"] for r in rows(report, "customer_on_dead_pipe")] == ["C3"]


# -- the distance limit ------------------------------------------------------------------------


def test_a_customer_exactly_at_the_max_distance_is_attached_and_nothing_is_reported():
    # Planted: far = ok & (dist >= max_d) (mutant 195); `if (far | ~lone).any()` (291);
    # `if ok.any()` (325)
    #
    # Source S at (0,0) feeds A (0,0)-(100,0). C1 at (50,60) is exactly 60 m from A, the
    # customer_max_distance_m: "farther than" is strict, so C1 is cut into A at 50 m (node 2).
    # No customer is unattached: no such row, and no "customer ... kept but not attached" line
    # in the report's summary either. (With >= C1 was left unattached; the other two mutants
    # added the kind of problem with no feature, an empty summary line.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])],
            sources=[("S", (0, 0))],
            customers=[("C1", (50, 60))],
        )
    )
    assert _customer_rows(topo) == [["C1", 2, 60.0]]
    assert rows(report, "customer_unattached") == []
    assert [line for line in report.lines() if "not attached" in line] == []


# -- a customer within the tolerance of a pipe's end -------------------------------------------


def test_customers_within_the_tolerance_of_a_plain_pipe_end_take_that_end_s_node():
    # Planted: at_start = (s < tol) (mutant 371); at_end = (L + s <= tol) (380), (L - s < tol)
    # (381), np.isin(...) for ~np.isin(...) (382), & at_start for & ~at_start (387)
    #
    # A (0,0)-(100,0), ends node 0 and node 1, no asset. C1 at (0.5,5) projects 0.5 m along A,
    # C2 at (99.5,5) 0.5 m before its end: both within the 0.5 m tolerance (inclusive), so they
    # take the end nodes 0 and 1 and A stays one edge. (The mutants cut a customer node 0.5 m
    # from the end instead.)
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (0.5, 5)), ("C2", (99.5, 5))]
        )
    )
    assert _customer_rows(topo) == [["C1", 0, 5.0], ["C2", 1, 5.0]]
    assert topo.edges[["u", "v", "length_m"]].values.tolist() == [[0, 1, 100.0]]


def test_a_customer_beside_a_source_at_a_short_pipe_s_start_gets_its_own_node_a_quarter_along():
    # Planted: at_start ... ~np.isin(None, asset_nodes) (mutant 373), ~np.isin(start, None)
    # (374); eps = min(tol, L * 4) (398), min(tol, L / 5) (399); clip(s, None, L - eps) (402)
    #
    # Source S at (0,0) on A (0,0)-(1.5,0), then B (1.5,0)-(100,0). C at (0.2,5) projects 0.2 m
    # along A, within the tolerance of S's node, but a customer never takes a source's (valve's,
    # regulator's) node. Its own node is kept off the end by eps = min(0.5, 1.5 / 4) = 0.375 m:
    # node 3 at 0.375 m (0, 1 and 2 are the pipes' ends); A splits 0-3 (0.375 m) and 3-1
    # (1.125 m), B is 1-2. (The mutants put C on S's
    # node, or its node 0.5, 0.3 or 0.2 m along.)
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (1.5, 0)]), ("B", [(1.5, 0), (100, 0)])],
            sources=[("S", (0, 0))],
            customers=[("C", (0.2, 5))],
        )
    )
    assert topo.assets[["asset_id", "node_id"]].values.tolist() == [["S", 0]]
    assert topo.customers[["customer_id", "node_id"]].values.tolist() == [["C", 3]]
    e = topo.edges
    assert e[["pipe_id", "u", "v"]].values.tolist() == [["A", 0, 3], ["A", 3, 1], ["B", 1, 2]]
    assert e["length_m"].tolist() == pytest.approx([0.375, 1.125, 98.5])


def test_a_customer_beside_a_valve_at_a_pipe_s_end_gets_its_own_node_before_it():
    # Planted: at_end ... ~np.isin(None, asset_nodes) (mutant 383), ~np.isin(end, None) (384)
    #
    # A (0,0)-(100,0) and B (100,0)-(200,0) meet at valve V (node 1). C at (99.7,5) is 0.3 m
    # before A's end, within the tolerance of V's node, but a customer never takes a valve's
    # node (it would sit on both sides of it): its own node 3, kept 0.5 m (the tolerance)
    # before V. A splits 0-3 (99.5 m) and 3-1 (0.5 m). (The mutants put C on V's node.)
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])],
            valves=[("V", (100, 0))],
            customers=[("C", (99.7, 5))],
        )
    )
    assert topo.assets[["asset_id", "node_id"]].values.tolist() == [["V", 1]]
    assert topo.customers[["customer_id", "node_id"]].values.tolist() == [["C", 3]]
    e = topo.edges
    assert e[["pipe_id", "u", "v"]].values.tolist() == [["A", 0, 3], ["A", 3, 1], ["B", 1, 2]]
    assert e["length_m"].tolist() == pytest.approx([99.5, 0.5, 100.0])


# -- on a cluster -------------------------------------------------------------------------------


def test_on_a_cluster_customers_find_their_nearest_pipe_beside_one_with_no_location(monkeypatch):
    # Planted: _nearest(tree_live, None, ...) (mutant 163); rest = ok | (part < 0) (155)
    #
    # One partition per customer (chunk_rows=1). A (0,0)-(100,0); C1 at (30,4) and C2 with no
    # location. Only C1 is sent to the workers' nearest search (one partition: the customers
    # to place are the located ones): A, 4 m, cut at 30 m (node 2). C2 is reported as having no
    # location. (Without the pipes' geometries the cluster search raised; sending C2 too, the
    # partitioning raised: no Hilbert distance for a missing geometry.)
    s = in_process_session(chunk_rows=1)
    monkeypatch.setattr(parallel, "_SESSION", s)
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (30, 4)), ("C2", (0, 0))]
    )
    c = layers["customers"]
    layers["customers"] = c.set_geometry(gpd.GeoSeries([pt(30, 4), None], index=c.index, crs=c.crs))
    topo, report = build_topology(layers)
    assert s.log == [("nearest", 1)]
    assert topo.customers["node_id"].tolist() == [2, -1]
    assert [(r["feature_id"], r["message"]) for r in rows(report, "customer_unattached")] == [
        ("C2", NO_LOCATION)
    ]
