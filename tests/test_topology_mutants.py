"""topology.py: the mistakes mutation testing found no test would catch (`make mutants`,
docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m unless said; the expected nodes, edges and reports in comments.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import canonical, rows, xy
from shapely.geometry import LineString, Point

from gasnet.errors import InputError
from gasnet.topology import (
    EDGE_COLUMNS,
    NODE_COLUMNS,
    _edge_of_node,
    _explode,
    _runs_within,
    _size,
    _snap_endpoints,
    build_topology,
)
from gasnet.validate import Report


def build(tol=0.5, maxd=60.0, **kw):
    return build_topology(canonical(**kw), snap_tolerance_m=tol, customer_max_distance_m=maxd)


# -- collapsed pipes -----------------------------------------------------------------------


def test_size_three_digits_below_ten_metres_whole_metres_above():
    assert _size(0.60234) == "0.602"
    assert _size(9.87654) == "9.88"
    assert _size(10.5) == "10"  # whole metres from 10 m on (rounded half to even)
    assert _size(12.4) == "12"
    assert _size(1234.4) == "1,234"


def test_most_pipes_collapsing_names_the_files_the_first_five_and_the_span():
    # Six 0.2 m stubs (each within the 0.5 m tolerance end to end) and one real pipe: 6 of 7
    # collapse, more than half -> an error. The stubs lie from x=0 to x=1234.4 and y=0 to
    # y=3.5: the layer spans "1,234 × 3.5 m". Two source files, sorted in the message.
    stubs = [(f"P{i}", [(200 * i, 0), (200 * i + 0.2, 0)]) for i in range(1, 6)]
    layers = canonical(
        pipes=[
            ("P0", [(0, 0), (0, 0.2)]),
            *stubs,
            ("Q", [(1234.2, 3.5), (1234.4, 3.5)]),
        ]
    )
    layers["pipes"]["source_file"] = ["b.shp"] * 3 + ["a.shp"] * 3 + [None]
    with pytest.raises(InputError) as exc:
        build_topology(layers, snap_tolerance_m=0.5)
    msg = str(exc.value)
    assert msg.startswith(
        "pipes (a.shp, b.shp): 7 of 7 pipes collapse to a point when their ends are snapped "
        "within 0.5 m (P0, P1, P2, P3, P4, ...); the whole layer spans 1,234 × 3.5 m — are the "
        "coordinates in degrees while the layer's CRS says metres?"
    )


def test_half_the_pipes_collapsing_is_a_warning_per_pipe():
    # A and B are real; S1 and S2 are 0.3 m stubs: 2 of 4 is not "most": two warnings, the
    # stubs left out, A and B kept. Without a source_file column nothing is named.
    topo, report = build(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(100, 0), (200, 0)]),
            ("S1", [(300, 0), (300.3, 0)]),
            ("S2", [(400, 0), (400, 0.3)]),
        ]
    )
    assert sorted(topo.edges["pipe_id"]) == ["A", "B"]
    assert len(topo.nodes) == 3  # (0,0), the A-B node, (200,0): the stubs' nodes are dropped
    got = [(r["feature_id"], r["severity"], r["message"]) for r in rows(report, "collapsed_pipe")]
    msg = (
        "pipe collapses to a point: its ends snap together within the snapping tolerance "
        "(0.5 m); left out of the network"
    )
    assert got == [
        ("S1", "warning", f"{msg} (drawn 0.3 m long)"),
        ("S2", "warning", f"{msg} (drawn 0.3 m long)"),
    ]
    assert report.rows[0]["geometry"] == LineString([xy(300, 0), xy(300.3, 0)])
    assert report.lines()[0].endswith(
        "; fix: delete it if it is a digitising slip (the pipes at its ends are joined "
        "anyway), or redraw it"
    )


def test_a_pipe_collapses_only_when_every_part_does():
    # M is a two-part pipe: a 0.2 m stub and a 50 m part. Its stub is left out (no report: M
    # stays on the network by its other part); X is all stub: reported. A keeps the network.
    topo, report = build(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("M", [[(0, 10), (0, 10.2)], [(100, 0), (100, 50)]]),
            ("X", [(500, 0), (500.2, 0)]),
        ]
    )
    assert sorted(topo.edges["pipe_id"]) == ["A", "M"]
    assert [r["feature_id"] for r in rows(report, "collapsed_pipe")] == ["X"]
    # Nodes renumbered densely after the stubs' nodes went: 0..n-1, the edges use them all.
    assert topo.nodes["node_id"].tolist() == list(range(len(topo.nodes)))
    assert set(topo.edges["u"]) | set(topo.edges["v"]) == set(topo.nodes["node_id"])


def test_a_long_collapsed_loop_reports_its_length_in_whole_metres():
    # Tolerance 20 m. R runs (0,50)-(6,50)-(0,50.5): 6 + 6.02 = 12.02 m drawn, its ends
    # 0.5 m apart (one node); measured with both ends on that node it is 12.04 m <= 20 m:
    # collapsed, "drawn 12 m long". A and B (100 m each) stay.
    _, report = build(
        tol=20.0,
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(100, 0), (200, 0)]),
            ("R", [(0, 250), (6, 250), (0, 250.5)]),
        ],
    )
    (row,) = rows(report, "collapsed_pipe")
    assert row["feature_id"] == "R" and row["message"].endswith("(drawn 12 m long)")
    assert "(20 m)" in row["message"]


# -- snapping ------------------------------------------------------------------------------


def test_snap_endpoints_numbers_nodes_by_first_end_and_places_them_at_the_central_end():
    # Ends: starts (0,0) (10,0) (10.3,0); ends (10.1,0) (20,0) (0.2,0). Within 0.5 m:
    # {(0,0), (0.2,0)} and {(10,0), (10.3,0), (10.1,0)}; (20,0) alone. Numbered by first
    # appearance: start 0 -> node 0, start 1 -> node 1, end 1 (20,0) -> node 2.
    # The node sits at the member nearest the cluster's centroid: (10.1, 0) for the three
    # (centroid 10.133), and for the pair the first of two equidistant ends, (0, 0).
    start = np.array([[0, 0], [10, 0], [10.3, 0]], float)
    end = np.array([[10.1, 0], [20, 0], [0.2, 0]], float)
    s, e, node_xy = _snap_endpoints(start, end, 0.5)
    assert s.tolist() == [0, 1, 1] and e.tolist() == [1, 2, 0]
    assert node_xy.tolist() == [[0, 0], [10.1, 0], [20, 0]]
    # Tolerance 0: nothing merges, every end its own node.
    s, e, node_xy = _snap_endpoints(start, end, 0.0)
    assert s.tolist() == [0, 1, 2] and e.tolist() == [3, 4, 5]


def test_runs_within_groups_points_along_each_part():
    # Part 0 at 0, 0.3, 0.6, 2: the run starts at 0 and takes 0.3 (within 0.5) but not 0.6
    # (0.6 from the run's start), which starts the next run. Part 1 starts afresh at 0.1.
    group = _runs_within(np.array([0, 0, 0, 0, 1]), np.array([0, 0.3, 0.6, 2.0, 0.1]), 0.5)
    assert group.tolist() == [0, 0, 1, 2, 3]
    # exactly the tolerance apart: one run
    assert _runs_within(np.array([0, 0]), np.array([1.0, 1.5]), 0.5).tolist() == [0, 0]


def test_edge_of_node():
    # Edges (0-1), (1-2), (3-1): node 2 is on edge 1 (its v), node 3 on edge 2 (its u), node 0
    # on edge 0; -1 (unattached) has none: -1.
    out = _edge_of_node(np.array([2, 3, 0, -1]), np.array([0, 1, 3]), np.array([1, 2, 1]))
    assert list(out) == [1, 2, 0, -1]


# -- assets --------------------------------------------------------------------------------


def test_assets_off_the_network_are_reported_by_kind_with_their_distance():
    # One pipe A (0,0)-(100,0). V is 3 m off it, S 4 m, R 5.5 m: all beyond the 0.5 m
    # tolerance, reported with the distance and left out (node -1).
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V", (50, 3))],
        sources=[("S", (0, 4))],
        regulators=[("R", (100, 5.5))],
    )
    got = {
        r["check"]: (r["layer"], r["feature_id"], r["message"])
        for r in report.rows
        if r["check"].endswith(("_off_pipe", "_off_network"))
    }
    tail = "farther than the snapping tolerance (0.5 m) from every pipe; left out of the network"
    assert got == {
        "valve_off_pipe": ("valves", "V", f"valve {tail} (3.00 m from the nearest pipe)"),
        "source_off_network": ("sources", "S", f"source {tail} (4.00 m from the nearest pipe)"),
        "regulator_off_network": (
            "regulators",
            "R",
            f"regulator {tail} (5.50 m from the nearest pipe)",
        ),
    }
    assert (topo.assets["node_id"] == -1).all()
    assert list(topo.edges["pipe_id"]) == ["A"]


def test_two_assets_on_one_point_the_station_wins():
    # Source S and valve V both at (0,0), the end of A: S takes the node; V is reported as
    # on the same point as "source S" and left out. Regulator R and valve W at the interior
    # point (50,0): R wins, W reported naming "regulator R".
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V", (0, 0)), ("W", (50, 0))],
        sources=[("S", (0, 0))],
        regulators=[("R", (50, 0.1))],
    )
    got = sorted(
        (r["layer"], r["feature_id"], r["message"]) for r in rows(report, "asset_conflict")
    )
    msg = "valve on the same network point as another asset, which takes the node"
    assert got == [
        ("valves", "V", f"{msg} (source S)"),
        ("valves", "W", f"{msg} (regulator R)"),
    ]
    node = topo.assets.set_index("asset_id")["node_id"]
    assert node["V"] == -1 and node["W"] == -1 and node["S"] >= 0 and node["R"] >= 0
    kinds = topo.nodes.set_index("asset_id")["kind"]
    assert kinds["S"] == "source" and kinds["R"] == "regulator"
    # A is cut at R: two edges of 50 m.
    assert sorted(topo.edges["length_m"].round(1)) == [50.0, 50.0]


def test_no_assets_at_all():
    topo, _ = build(pipes=[("A", [(0, 0), (100, 0)])])
    assert list(topo.assets.columns) == ["asset_id", "kind", "node_id"] and topo.assets.empty
    assert list(topo.nodes.columns) == [*NODE_COLUMNS, "geometry"]
    assert list(topo.edges.columns) == [*EDGE_COLUMNS, "geometry"]
    assert topo.nodes["kind"].tolist() == ["end", "end"]


def test_edges_carry_their_pipes_attributes_and_exact_geometry():
    # A (0,0)-(100,0) class LP, cut by valve V at (40,0): edges (0,0)-(40,0) and
    # (40,0)-(100,0), both LP, 110 mm PE, in service; B (100,0)-(100,30) class MP-A, planned.
    topo, _ = build(
        pipes=[("A", [(0, 0), (100, 0)], "LP"), ("B", [(100, 0), (100, 30)], "MP-A", "planned")],
        valves=[("V", (40, 0))],
    )
    e = topo.edges.sort_values("length_m").reset_index(drop=True)
    assert e["pipe_id"].tolist() == ["B", "A", "A"]
    assert e["length_m"].round(6).tolist() == [30.0, 40.0, 60.0]
    assert e["pressure_class"].tolist() == ["MP-A", "LP", "LP"]
    assert e["status"].tolist() == ["planned", "in_service", "in_service"]
    assert e["diameter_mm"].tolist() == [110.0] * 3 and e["material"].tolist() == ["PE"] * 3
    assert e["edge_id"].sort_values().tolist() == [0, 1, 2]
    geo = {round(g.length): g for g in e.geometry}
    assert geo[40].equals(LineString([xy(0, 0), xy(40, 0)]))
    assert geo[60].equals(LineString([xy(40, 0), xy(100, 0)]))
    valve = topo.nodes[topo.nodes["asset_id"] == "V"].iloc[0]
    assert valve["kind"] == "valve" and valve["degree"] == 2
    assert valve.geometry.equals(Point(xy(40, 0)))
    assert topo.nodes.crs == topo.edges.crs == "EPSG:4545"


def test_customer_table_carries_households_critical_and_edge():
    # C1 (50,5) attaches to A at (50,0) (5 m): node 2 (after A's two ends), on edge 1 (the
    # second half of A, from C1's node). C2 is 80 m off (beyond 60 m): unattached, node and
    # edge -1, reported.
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)])],
        sources=[("S", (0, 0))],
        customers=[("C1", (50, 5), 7, True), ("C2", (50, 80), 2)],
    )
    c = topo.customers.set_index("customer_id")
    assert c.loc["C1", "households"] == 7 and bool(c.loc["C1", "critical"])
    assert c.loc["C1", "attach_distance_m"] == pytest.approx(5.0)
    n1 = c.loc["C1", "node_id"]
    assert topo.nodes.loc[n1, "kind"] == "customer"
    edge = topo.edges.loc[c.loc["C1", "edge_id"]]
    assert n1 in (edge["u"], edge["v"])
    assert (n1, c.loc["C1", "edge_id"]) == (2, 1)
    assert (c.loc["C2", "node_id"], c.loc["C2", "edge_id"]) == (-1, -1)
    assert c.loc["C2", "households"] == 2 and not c.loc["C2", "critical"]
    assert [r["feature_id"] for r in rows(report, "customer_unattached")] == ["C2"]


# -- bad input -----------------------------------------------------------------------------


def test_no_usable_pipe_is_an_error():
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(5, 5), (5, 5)])])
    layers["pipes"].loc[0, "geometry"] = None
    with pytest.raises(InputError, match=r"^pipes: no pipe with a usable geometry \(2 features,"):
        build_topology(layers)


@pytest.mark.parametrize("layer", ["pipes", "valves", "sources", "regulators", "customers"])
def test_bad_coordinates_are_refused_naming_the_layer_and_feature(layer):
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V", (10, 0))],
        sources=[("S", (0, 0))],
        regulators=[("R", (50, 0))],
        customers=[("C", (60, 5))],
    )
    bad = layers[layer].copy()
    bad.loc[0, "geometry"] = (
        LineString([(0, 0), (np.nan, 0)]) if layer == "pipes" else Point(np.nan, 0)
    )
    layers[layer] = bad
    with pytest.raises(InputError) as exc:
        build_topology(layers)
    idf = {"pipes": "A", "valves": "V", "sources": "S", "regulators": "R", "customers": "C"}
    assert str(exc.value).startswith(f"{layer}: feature(s) {idf[layer]} have coordinates")
    assert "not a finite number" in str(exc.value)


# -- reports carry the feature's own point -------------------------------------------------


def test_assets_where_pipes_cross_are_reported_in_their_own_layer():
    # A (0,0)-(100,0) and B (50,-50)-(50,50) cross at (50,0) without a junction; valve V is
    # drawn there. C (0,200)-(100,200) and D (30,150)-(30,250) cross at (30,200), where
    # source S is drawn. Each is reported in its own layer, at its own point.
    _, report = build(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(50, -50), (50, 50)]),
            ("C", [(0, 200), (100, 200)]),
            ("D", [(30, 150), (30, 250)]),
        ],
        valves=[("V", (50, 0))],
        sources=[("S", (30, 200))],
    )
    got = sorted(
        (r["layer"], r["feature_id"], r["message"], r["geometry"].coords[0])
        for r in rows(report, "asset_at_crossing")
    )
    tail = (
        "drawn where two pipes cross without a junction: it is put on one of them only "
        "(crossing pipes pass at different depths)"
    )
    assert got == [
        ("sources", "S", f"source {tail}", xy(30, 200)),
        ("valves", "V", f"valve {tail}", xy(50, 0)),
    ]


def test_customer_reports_point_at_the_customer():
    # C1 names a pipe that does not exist (attached to A, reported); C2 names the planned
    # pipe P (attached there, no supply, reported); C3 is 300 m from A, the nearest pipe in
    # service (beyond 60 m); C4 has no location.
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)]), ("P", [(0, 50), (100, 50)], "MP-A", "planned")],
        customers=[
            ("C1", (50, 5), 1, False, "NOPE"),
            ("C2", (50, 45), 1, False, "P"),
            ("C3", (50, 300)),
            ("C4", (10, 10)),
        ],
    )
    layers["customers"].loc[3, "geometry"] = None
    _, report = build_topology(layers)
    got = [
        (r["check"], r["feature_id"], r["message"], r["geometry"])
        for r in report.rows
        if r["layer"] == "customers"
    ]
    assert got == [
        (
            "unknown_pipe_id",
            "C1",
            "customer names a pipe_id that is not on the network (not in the pipes layer, or "
            "left out of the network: see that pipe's row); attached to the nearest pipe "
            "instead (pipe_id 'NOPE')",
            Point(xy(50, 5)),
        ),
        (
            "customer_on_dead_pipe",
            "C2",
            "customer's pipe_id names a pipe that is not in service: it is attached there and "
            "has no supply, so no isolation counts it (pipe P is planned)",
            Point(xy(50, 45)),
        ),
        (
            "customer_unattached",
            "C3",
            "customer farther than customer_max_distance_m (60 m) from its pipe; kept but not "
            "attached (no supply) (300.0 m away)",
            Point(xy(50, 300)),
        ),
        (
            "customer_unattached",
            "C4",
            "customer has no location; kept but not attached (no supply)",
            None,
        ),
    ]


def test_no_pipe_in_service_leaves_every_customer_unattached_at_its_point():
    layers = canonical(
        pipes=[("P", [(0, 50), (100, 50)], "MP-A", "planned")], customers=[("C1", (50, 45))]
    )
    topo, report = build_topology(layers)
    (row,) = rows(report, "customer_unattached")
    assert row["message"] == "no pipe is in service: customer kept but not attached (no supply)"
    assert row["geometry"] == Point(xy(50, 45))
    assert topo.customers["node_id"].tolist() == [-1]


def test_customer_ids_given_as_numbers_stay_objects_like_every_id():
    # A layer built in Python with integer ids: the customer table holds them as objects
    # (as the node and asset tables hold theirs), so they join with the text ids read back.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], customers=[(7, (50, 5)), (8, (60, 5))])
    layers["customers"]["customer_id"] = layers["customers"]["customer_id"].astype("int64")
    topo, _ = build_topology(layers)
    assert topo.customers["customer_id"].dtype == object
    assert topo.customers["customer_id"].tolist() == [7, 8]


# -- held-out sample (--seed holdout) ------------------------------------------------------


def test_far_customer_line_carries_its_fix():
    # C 80 m off A (max 60 m): one warning line, its id and the fix to apply (A, with no
    # source, has its own "island" line).
    _, report = build(pipes=[("A", [(0, 0), (100, 0)])], customers=[("C", (50, 80))])
    assert [line for line in report.lines() if "customers" in line] == [
        "warning: customers: customer farther than customer_max_distance_m (60 m) from its "
        "pipe; kept but not attached (no supply) — feature C; fix: check its position or its "
        "pipe_id, or draw the missing service pipe"
    ]


def test_asset_conflict_rows_are_drawn_at_the_losing_asset():
    # Valve V at (50,0.2) lands on the node of source S at (50,0) (within 0.5 m): V loses
    # and its row is drawn where V was digitised, for the map of quality issues.
    _, report = build(
        pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 0.2))], sources=[("S", (50, 0))]
    )
    (row,) = rows(report, "asset_conflict")
    assert row["feature_id"] == "V" and row["geometry"] == Point(xy(50, 0.2))


def test_building_shows_its_customer_step_on_a_terminal(monkeypatch, capsys):
    # On a terminal (stderr a tty) every stage prints "[  t.ts] message" to stderr.
    from gasnet import _progress

    monkeypatch.setattr(_progress, "enabled", lambda: True)
    build(pipes=[("A", [(0, 0), (100, 0)])], customers=[("C", (50, 5))])
    err = capsys.readouterr().err.splitlines()
    assert any(line.endswith("s] build: attaching customers") for line in err), err


def test_a_bent_pipe_crossing_a_straight_one_it_meets_at_an_end():
    # A (0,0)-(50,10)-(50,-10) starts where B (0,0)-(100,0) starts, and its second leg
    # crosses B at (50,0): a crossing (same class). A has three vertices: not a "straight
    # pair meeting at an angle" (A's chord (50,-10) is 11° off B), so the exact test runs.
    _, report = build(pipes=[("A", [(0, 0), (50, 10), (50, -10)]), ("B", [(0, 0), (100, 0)])])
    got = [(r["layer"], r["feature_id"], r["message"]) for r in rows(report, "crossing")]
    assert got == [
        (
            "pipes",
            "A",
            "pipes of the same pressure class cross without a junction (not connected) "
            "(crosses pipe B)",
        )
    ]


def test_valve_on_junction_line():
    # Three pipes meet at (0,0), V sits there: its whole line, message and fix.
    _, report = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 0), (-100, 0)]), ("C", [(0, 0), (0, 100)])],
        valves=[("V", (0.1, 0.1))],
    )
    (row,) = rows(report, "valve_on_junction")
    assert row["message"] == (
        "valve digitised on a junction of three or more pipes: closing it blocks them all (3 pipes)"
    )
    assert [line for line in report.lines() if "junction" in line] == [
        "warning: valves: valve digitised on a junction of three or more pipes: closing it "
        "blocks them all — feature V; fix: move the valve onto the pipe it closes"
    ]


# -- third sample (--seed third) -----------------------------------------------------------


def test_a_loop_exactly_the_tolerance_long_collapses():
    # Planted: topology.py (_collapsed): (length <= tol) -> (length < tol)
    # R runs (0,50)-(0.25,50)-(0,50): both ends on one node, 0.25 + 0.25 = 0.5 m of line
    # (exact in binary, after conftest's whole-metre shift too), exactly the 0.5 m tolerance:
    # "at most tol" is a point, so R collapses (reported, no edge). A stays.
    topo, report = build(pipes=[("A", [(0, 0), (100, 0)]), ("R", [(0, 50), (0.25, 50), (0, 50)])])
    assert [r["feature_id"] for r in rows(report, "collapsed_pipe")] == ["R"]
    assert topo.edges["pipe_id"].tolist() == ["A"]


def test_three_assets_along_a_pipe_two_within_the_tolerance_make_two_nodes():
    # Planted: topology.py (_place_assets):
    #   in_order[1:] != in_order[:-1] -> in_order[1:] != in_order[:+1]
    # A (0,0)-(100,0); valves V1 at 30, V2 at 60 and V3 at 60.2 (within 0.5 m of V2: one
    # point, V2 takes it, V3 reported). Groups along A: [0, 1, 1]: one cut per group, at 30
    # and 60. Nodes: A's ends + 2 = 4; edges 30, 30, 40. (Comparing each group with the
    # first one, not the one before, cut A again at V3: a fifth node and a 0.2 m edge.)
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V1", (30, 0)), ("V2", (60, 0)), ("V3", (60.2, 0))],
    )
    assert len(topo.nodes) == 4
    assert topo.edges["length_m"].round(6).tolist() == [30.0, 30.0, 40.0]
    assert topo.assets.set_index("asset_id")["node_id"].to_dict() == {"V1": 2, "V2": 3, "V3": -1}
    assert [r["feature_id"] for r in rows(report, "asset_conflict")] == ["V3"]


def test_undershoot_reach_is_four_tolerances_when_that_is_over_3_m():
    # Planted: topology.py (check_topology): max(3.0, 4 * tol) -> max(3.0, 5 * tol)
    # Tolerance 1 m: the reach is max(3, 4) = 4 m. A (0,0)-(100,0); B's loose end (30,3.5)
    # is 3.5 m from A (reported), C's (60,4.5) is 4.5 m (beyond 4 m: not). (5 x the
    # tolerance would take C too and say "within 5 m".)
    _, report = build(
        tol=1.0,
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(30, 3.5), (30, 50)]),
            ("C", [(60, 4.5), (60, 50)]),
        ],
    )
    got = [(r["feature_id"], r["message"]) for r in rows(report, "undershoot")]
    assert got == [
        (
            "B",
            "pipe ends within 4 m of another pipe without joining it (likely undershoot) "
            "(3.50 m from pipe A)",
        )
    ]


def test_two_short_pipes_on_one_line_are_duplicates():
    # Planted: topology.py (check_topology):
    #   np.maximum(hypot(da) * hypot(db), 1e-12) -> np.maximum(..., 1.000000000001)
    # Tolerance 0.1 m. A (0,0)-(0.9,0) and B (0,0)-(0.6,0) start at one node and run the same
    # way: the cosine of their chords is 0.54 / (0.9 x 0.6) = 1, so the pair is not "two
    # straight pipes meeting at an angle" and the exact test finds B lying on A for 0.6 m.
    # (Dividing by at least 1 instead of the product 0.54 made the cosine 0.54: the pair
    # was skipped as meeting at an angle, and the duplicate of pipes under 1 m went unseen.)
    _, report = build(tol=0.1, pipes=[("A", [(0, 0), (0.9, 0)]), ("B", [(0, 0), (0.6, 0)])])
    got = [(r["feature_id"], r["message"]) for r in rows(report, "duplicate_pipe")]
    assert got == [
        ("B", "pipe lies on another pipe (duplicated or overlapping) (0.6 m shared with pipe A)")
    ]


def test_duplicate_pipe_line_with_its_fix():
    # Planted: topology.py (check_topology): "pipe lies on another pipe (duplicated or
    # overlapping)" -> the same in capitals
    # A2 is A drawn again: the warning on A2, its whole line with message and fix.
    _, report = build(pipes=[("A", [(0, 0), (100, 0)]), ("A2", [(0, 0), (100, 0)])])
    (row,) = rows(report, "duplicate_pipe")
    assert (row["layer"], row["severity"], row["feature_id"]) == ("pipes", "warning", "A2")
    assert [line for line in report.lines() if "lies on" in line] == [
        "warning: pipes: pipe lies on another pipe (duplicated or overlapping) — feature A2; "
        "fix: delete the duplicate, or split the pipes where they part"
    ]


# -- report rows: layer, message, fix, geometry --------------------------------------------


def test_a_zero_length_part_is_reported_on_the_pipes_layer_at_its_first_point():
    # Planted: topology.py (_explode): the layer "pipes" dropped from report.add (the message
    # then taken as the layer, the fix as the message)
    # Planted: topology.py (_explode): shapely.get_point(parts[zero], 0) -> (..., 1)
    # Z is drawn (0,0)-(5e-10,0): two distinct points, 5e-10 m apart (zero length, <= 1e-9).
    # One warning on the pipes layer, its geometry Z's first point (0,0), not its last; A
    # stays. Line: "warning: pipes: pipe (part) of zero length, left out of the network —
    # feature Z; fix: delete it or redraw it".
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A", "Z"]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(0, 0), (5e-10, 0)])],
        crs="EPSG:4545",
    )
    report = Report()
    out = _explode(pipes, report)
    assert out["pipe_id"].tolist() == ["A"]
    (row,) = report.rows
    assert {k: v for k, v in row.items() if k != "geometry"} == {
        "check": "zero_length",
        "severity": "warning",
        "layer": "pipes",
        "feature_id": "Z",
        "message": "pipe (part) of zero length, left out of the network",
    }
    assert list(row["geometry"].coords) == [(0.0, 0.0)]
    assert report.lines() == [
        "warning: pipes: pipe (part) of zero length, left out of the network — feature Z; "
        "fix: delete it or redraw it"
    ]


def test_a_customer_on_a_dead_pipe_line_with_its_fix():
    # Planted: topology.py (_attach_customers): "in-service pipe" -> "IN-SERVICE PIPE" (the
    # fix of customer_on_dead_pipe)
    # C names P2, abandoned: the row on the customers layer at C's point, and the whole line
    # (a warning: the id without its "pipe P2 is abandoned" detail).
    _, report = build(
        pipes=[("P1", [(0, 0), (100, 0)]), ("P2", [(100, 0), (200, 0)], "MP-A", "abandoned")],
        customers=[("C", (150, 5), 1, True, "P2")],
    )
    msg = (
        "customer's pipe_id names a pipe that is not in service: it is attached there and "
        "has no supply, so no isolation counts it"
    )
    (row,) = rows(report, "customer_on_dead_pipe")
    assert row == {
        "check": "customer_on_dead_pipe",
        "severity": "warning",
        "layer": "customers",
        "feature_id": "C",
        "message": f"{msg} (pipe P2 is abandoned)",
        "geometry": Point(xy(150, 5)),
    }
    assert [line for line in report.lines() if "not in service" in line] == [
        f"warning: customers: {msg} — feature C; fix: correct its pipe_id (or the pipe's "
        "status), or clear it to attach to the nearest in-service pipe"
    ]


def test_a_customer_at_a_valve_is_reported_at_its_own_point():
    # Planted: topology.py (_attach_customers): geometries=geom[flagged] -> geometries=None
    # (customer_at_valve)
    # A (0,0)-(100,0), V at (50,0), C at (50,0): C's row on the customers layer with C's
    # point as its geometry, and its whole line.
    _, report = build(
        pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 0))], customers=[("C", (50, 0))]
    )
    msg = (
        "customer attaches exactly where a valve, regulator or station sits on its pipe: "
        "which side of it the customer is on is a convention (towards the pipe's western "
        "end), not known"
    )
    (row,) = rows(report, "customer_at_valve")
    assert row == {
        "check": "customer_at_valve",
        "severity": "warning",
        "layer": "customers",
        "feature_id": "C",
        "message": msg,
        "geometry": Point(xy(50, 0)),
    }
    assert [line for line in report.lines() if "exactly where" in line] == [
        f"warning: customers: {msg} — feature C; fix: set its pipe_id to its service pipe, "
        "or move it onto its own side"
    ]
