"""Topology (issue 3): hand-drawn networks of 5-10 pipes, expected nodes and edges in comments.

Coordinates are local metres (conftest.xy shifts them into EPSG:4545); tolerance 0.5 m.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import canonical

from gasnet.network import build_network
from gasnet.topology import build_topology


def build(**kw):
    tol = kw.pop("tol", 0.5)
    maxd = kw.pop("maxd", 60.0)
    topo, report = build_topology(
        canonical(**kw), snap_tolerance_m=tol, customer_max_distance_m=maxd
    )
    return topo, report


def edge_set(topo):
    """{(pipe_id, frozenset({kind_u, kind_v}), rounded length)} for readable assertions."""
    kinds = topo.nodes["kind"].to_numpy()
    return sorted(
        (e.pipe_id, tuple(sorted((kinds[e.u], kinds[e.v]))), round(e.length_m, 1))
        for e in topo.edges.itertuples()
    )


def checks(report):
    return sorted({r["check"] for r in report.rows})


def node_of(topo, asset_id):
    return int(topo.nodes.index[topo.nodes["asset_id"] == asset_id][0])


def test_gap_inside_tolerance_snaps_into_one_node():
    # A (0,0)-(100,0) and B starts 0.3 m short of A's end: (100.3,0)-(200,0).
    # Expected: 3 nodes (two ends, one junction), 2 edges, nothing reported.
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100.3, 0), (200, 0)])], sources=[("S", (0, 0))]
    )
    assert len(topo.nodes) == 3 and len(topo.edges) == 2
    assert sorted(topo.nodes["degree"]) == [1, 2, 2] or sorted(topo.nodes["degree"]) == [1, 1, 2]
    assert topo.edges.loc[0, "v"] == topo.edges.loc[1, "u"]
    assert "undershoot" not in checks(report)


def test_gap_beyond_tolerance_stays_open_and_is_reported():
    # B starts 2 m short: 4 nodes, 2 edges, not connected; B's start is a likely undershoot,
    # and B is an island (no source) with its one customer.
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(102, 0), (200, 0)])],
        sources=[("S", (0, 0))],
        customers=[("C", (150, 5))],
    )
    assert len(topo.nodes) == 5  # 4 pipe ends + the customer's attachment node
    assert topo.edges.loc[0, "v"] != topo.edges.loc[1, "u"]
    rows = [r for r in report.rows if r["check"] == "undershoot"]
    # Both loose ends are 2 m from the other pipe: which one is short cannot be told.
    assert sorted(r["feature_id"] for r in rows) == ["A", "B"]
    assert any("2.00 m from pipe A" in r["message"] for r in rows)
    island = [r for r in report.rows if r["check"] == "island"]
    assert len(island) == 1 and "1 customers, 1 households" in island[0]["message"]


def test_t_junction_splits_the_through_pipe():
    # A (0,0)-(200,0); B (100,0)-(100,80) ends on A's interior -> A is split at x=100.
    # Nodes: A's ends, the junction, B's far end = 4; edges: A 100 + A 100 + B 80.
    topo, _ = build(pipes=[("A", [(0, 0), (200, 0)]), ("B", [(100, 0.2), (100, 80)])])
    assert edge_set(topo) == [
        ("A", ("end", "junction"), 100.0),
        ("A", ("end", "junction"), 100.0),
        ("B", ("end", "junction"), 79.8),
    ]
    assert (topo.nodes["degree"] == 3).sum() == 1


def test_crossing_pipes_are_not_connected_and_same_class_is_reported():
    # A (0,0)-(200,0) and B (100,-50)-(100,50) cross at (100,0): no node there.
    # 4 ends, 2 edges; same class -> a crossing warning at (100,0). Different class: silent.
    topo, report = build(pipes=[("A", [(0, 0), (200, 0)]), ("B", [(100, -50), (100, 50)])])
    assert len(topo.nodes) == 4 and len(topo.edges) == 2
    cross = [r for r in report.rows if r["check"] == "crossing"]
    assert (
        len(cross) == 1
        and cross[0]["feature_id"] == "A"
        and "crosses pipe B" in cross[0]["message"]
    )
    _, report = build(
        pipes=[("A", [(0, 0), (200, 0)]), ("B", [(100, -50), (100, 50), "LP"][:2], "LP")]
    )
    assert "crossing" not in checks(report)


def test_valve_off_the_line_is_reported_and_left_out():
    # V is 1.5 m from A: beyond 0.5 m -> not placed, reported with its distance.
    topo, report = build(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 1.5))])
    assert (topo.nodes["kind"] == "valve").sum() == 0 and len(topo.edges) == 1
    row = next(r for r in report.rows if r["check"] == "valve_off_pipe")
    assert row["feature_id"] == "V" and "1.50 m from the nearest pipe" in row["message"]
    assert topo.assets.set_index("asset_id").loc["V", "node_id"] == -1


def test_valve_slightly_off_the_line_splits_the_pipe():
    # V 0.3 m beside A at x=40: A splits into 40 m + 60 m, the valve between them.
    topo, _ = build(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (40, 0.3))])
    assert edge_set(topo) == [("A", ("end", "valve"), 40.0), ("A", ("end", "valve"), 60.0)]


def test_valve_exactly_on_a_vertex_and_at_a_pipe_end():
    # A (0,0)-(50,0)-(50,50) with V1 on its bend vertex (50,0): A splits there (50 + 50).
    # B (50,50)-(100,50) continues A; V2 at B's far end (100,50): an end valve, degree 1.
    # Nodes: (0,0) end, V1, (50,50) junction, V2 = 4. Edges: A 50, A 50, B 50.
    topo, report = build(
        pipes=[("A", [(0, 0), (50, 0), (50, 50)]), ("B", [(50, 50), (100, 50)])],
        valves=[("V1", (50, 0)), ("V2", (100, 50))],
    )
    assert edge_set(topo) == [
        ("A", ("end", "valve"), 50.0),
        ("A", ("junction", "valve"), 50.0),
        ("B", ("junction", "valve"), 50.0),
    ]
    assert topo.nodes.loc[node_of(topo, "V2"), "degree"] == 1
    assert topo.nodes.loc[node_of(topo, "V1"), "degree"] == 2
    assert "valve_on_junction" not in checks(report)


def test_valve_on_a_junction_of_three_pipes_is_reported():
    # Three pipes meet at (0,0) and V sits on that point: it blocks all three.
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 0), (-100, 0)]), ("C", [(0, 0), (0, 100)])],
        valves=[("V", (0.1, 0.1))],
    )
    assert topo.nodes.loc[node_of(topo, "V"), "degree"] == 3
    row = next(r for r in report.rows if r["check"] == "valve_on_junction")
    assert row["feature_id"] == "V" and "3 pipes" in row["message"]


def test_multi_part_line_is_one_pipe_of_two_edges():
    # M has parts (0,0)-(50,0) and (50,0)-(50,60): they share (50,0), so 3 nodes and 2 edges,
    # both carrying pipe_id M.
    topo, _ = build(pipes=[("M", [[(0, 0), (50, 0)], [(50, 0), (50, 60)]])])
    assert edge_set(topo) == [("M", ("end", "junction"), 50.0), ("M", ("end", "junction"), 60.0)]


def test_customers_attach_on_their_side_of_a_valve():
    # A (0,0)-(100,0) with V at x=50. C1 at (45,10) and C2 at (55,10): C1 on the source side,
    # C2 behind the valve. Edges: 0-C1 45, C1-V 5, V-C2 5, C2-100 45.
    topo, _ = build(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V", (50, 0))],
        sources=[("S", (0, 0))],
        customers=[("C1", (45, 10)), ("C2", (55, 10))],
    )
    assert edge_set(topo) == [
        ("A", ("customer", "end"), 45.0),
        ("A", ("customer", "source"), 45.0),
        ("A", ("customer", "valve"), 5.0),
        ("A", ("customer", "valve"), 5.0),
    ]
    c = topo.customers.set_index("customer_id")
    v = node_of(topo, "V")
    e = topo.edges
    touching_v = set(e.loc[(e.u == v) | (e.v == v), ["u", "v"]].to_numpy().ravel()) - {v}
    assert {c.loc["C1", "node_id"], c.loc["C2", "node_id"]} == touching_v
    assert c.loc["C1", "attach_distance_m"] == pytest.approx(10)


def test_customer_with_pipe_id_attaches_to_that_pipe():
    # C is 5 m from A but names B (20 m away): it hangs on B.
    topo, _ = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 25), (100, 25)])],
        customers=[("C", (50, 5), 1, False, "B")],
    )
    row = topo.customers.iloc[0]
    assert topo.edges.loc[row["edge_id"], "pipe_id"] == "B" and row[
        "attach_distance_m"
    ] == pytest.approx(20)


def test_customer_beyond_max_distance_is_reported_not_dropped():
    topo, report = build(pipes=[("A", [(0, 0), (100, 0)])], customers=[("FAR", (50, 80))], maxd=60)
    assert list(topo.customers["customer_id"]) == ["FAR"] and topo.customers["node_id"][0] == -1
    row = next(r for r in report.rows if r["check"] == "customer_unattached")
    assert row["feature_id"] == "FAR" and "80.0 m away" in row["message"]


def test_customers_attach_only_to_in_service_pipes():
    # The abandoned pipe X is nearer; C attaches to the in-service pipe A.
    topo, _ = build(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("X", [(0, 10), (100, 10), "LP"][:2], "MP-A", "abandoned"),
        ],
        customers=[("C", (50, 12))],
    )
    assert topo.edges.loc[topo.customers["edge_id"][0], "pipe_id"] == "A"


def test_duplicate_and_zero_length_pipes_are_reported():
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("A2", [(0, 0), (100, 0)]), ("Z", [(5, 5), (5, 5)])]
    )
    dup = next(r for r in report.rows if r["check"] == "duplicate_pipe")
    assert dup["feature_id"] == "A2" and "100.0 m shared with pipe A" in dup["message"]
    assert "zero_length" in checks(report)
    assert set(topo.edges["pipe_id"]) == {"A", "A2"}  # kept: parallel edges between two nodes


def test_regulator_between_same_classes_is_reported():
    _, report = build(
        pipes=[("A", [(0, 0), (100, 0)], "MP-A"), ("B", [(100, 0), (200, 0)], "MP-A")],
        regulators=[("R", (100, 0))],
    )
    assert "regulator_same_class" in checks(report)
    _, report = build(
        pipes=[("A", [(0, 0), (100, 0)], "MP-A"), ("B", [(100, 0), (200, 0)], "LP")],
        regulators=[("R", (100, 0))],
    )
    assert "regulator_same_class" not in checks(report)


def test_node_ids_are_dense_and_edges_run_from_u_to_v():
    topo, _ = build(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (100, 80)])],
        valves=[("V", (100, 40))],
        customers=[("C", (20, 5))],
    )
    assert list(topo.nodes["node_id"]) == list(range(len(topo.nodes)))
    start = np.array([g.coords[0] for g in topo.edges.geometry])
    end = np.array([g.coords[-1] for g in topo.edges.geometry])
    xy = np.array([(p.x, p.y) for p in topo.nodes.geometry])
    assert np.allclose(start, xy[topo.edges["u"]]) and np.allclose(end, xy[topo.edges["v"]])


def test_eight_pipe_network_with_every_rule():
    """One hand-drawn network, every rule at once (tolerance 0.5 m).

        S(0,0)──A──(100,0)──B──(200,0)            A, B: MP-A; B starts 0.3 m short of A's end
                    │                             (snaps: one node at (100,0))
                    C (MP-A, (100,0)-(100,-80))   V1 on C's vertex (100,-40), C has a bend there
                    │
        D: LP (60,-60)-(140,-60) crosses C at (100,-60): not connected, different class
        E: MP-A T-junction: (150,0.2)-(150,60), its start touches B's interior -> B splits at x=150
        F: MP-A (200,0)-(260,0), R regulator at (260,0), G: LP (260,0)-(340,0)
        H: multi-part LP [(340,0)-(340,30)], [(340,30)-(380,30)] starting at G's end
        V2 on B at (180,0): splits B; V3 at F's... no: V3 at H's far end (380,30): end valve
        V4 1.5 m beside A at (50,1.5): off the line, left out

    Nodes: (0,0) source S; (100,0) junction [A, B, C]; (100,-40) valve V1; (100,-80) end;
    (60,-60), (140,-60) ends of D; (150,0) junction [B, B, E]; (150,60) end; (180,0) valve V2;
    (200,0) junction [B, F]; (260,0) regulator R; (340,0) junction [G, H]; (340,30) junction
    [H, H]; (380,30) valve V3 (end) -> 14 nodes.
    Edges: A 100; B 100->150 (50), 150->180 (30), 180->200 (20); C 40 + 40; D 80; E 59.8;
    F 60; G 80; H 30 + 40 -> 12 edges.
    """
    topo, report = build(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(100.3, 0), (200, 0)]),
            ("C", [(100, 0), (100, -40), (100, -80)]),
            ("D", [(60, -60), (140, -60)], "LP"),
            ("E", [(150, 0.2), (150, 60)]),
            ("F", [(200, 0), (260, 0)]),
            ("G", [(260, 0), (340, 0)], "LP"),
            ("H", [[(340, 0), (340, 30)], [(340, 30), (380, 30)]], "LP"),
        ],
        valves=[("V1", (100, -40)), ("V2", (180, 0)), ("V3", (380, 30)), ("V4", (50, 1.5))],
        sources=[("S", (0, 0))],
        regulators=[("R", (260, 0))],
    )
    assert len(topo.nodes) == 14 and len(topo.edges) == 12
    assert sorted(topo.nodes["kind"]) == sorted(
        [
            "source",
            "junction",
            "valve",
            "end",
            "end",
            "end",
            "junction",
            "end",
            "valve",
            "junction",
            "regulator",
            "junction",
            "junction",
            "valve",
        ]
    )
    lengths = sorted((e.pipe_id, round(e.length_m, 1)) for e in topo.edges.itertuples())
    assert lengths == [
        ("A", 100.0),
        ("B", 20.0),
        ("B", 30.0),
        ("B", 50.0),
        ("C", 40.0),
        ("C", 40.0),
        ("D", 80.0),
        ("E", 59.8),
        ("F", 60.0),
        ("G", 80.0),
        ("H", 30.0),
        ("H", 40.0),
    ]
    deg = dict(zip(topo.nodes["asset_id"], topo.nodes["degree"], strict=True))
    assert deg["S"] == 1 and deg["V1"] == 2 and deg["V2"] == 2 and deg["V3"] == 1
    assert deg["R"] == 2
    # D crosses C in another class (no crossing warning) and so joins nothing: an island.
    assert checks(report) == ["island", "valve_off_pipe"]
    # Regulator direction: gas from S reaches the LP side (G, H) through R.
    from gasnet.isolation import FlowGraph

    reached = FlowGraph(topo.nodes, topo.edges).supplied()
    assert reached[node_of(topo, "V3")]


def test_valve_on_a_drawn_end_away_from_the_snapped_node():
    # Regression (found on GasLib-4197): A ends at (100,0); B and C start at (100.45,0), so
    # the junction node goes to (100.45,0) (nearest the ends' centroid). V at (100.1,-0.45) is
    # 0.46 m from A's drawn end (within 0.5 m: on A, at its very end) but 0.57 m from the node:
    # it cuts A at its drawn end. Expected: A splits into 100 m and 0.45 m (from (100,0) to
    # the node at (100.45,0)), V between; no crash.
    topo, _ = build(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(100.45, 0), (200, 0)]),
            ("C", [(100.45, 0), (100.45, 50)]),
        ],
        valves=[("V", (100.1, -0.45))],
    )
    v = node_of(topo, "V")
    assert topo.nodes.loc[v, "degree"] == 2
    a = topo.edges[topo.edges["pipe_id"] == "A"]
    assert sorted(a["length_m"]) == pytest.approx([0.45, 100.0])


def test_customer_abreast_of_a_valve():
    # Regression (found on GasLib-4197, two assets on one spot): C projects onto A exactly at
    # V (x=50). Expected: 0-50 (end..C), a zero-length edge C..V, 50-100 (V..end); C is put
    # on V's western side by convention (issue 7) and reported, and nothing crashes.
    topo, _ = build(
        pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 0))], customers=[("C", (50, 10))]
    )
    assert edge_set(topo) == [
        ("A", ("customer", "end"), 50.0),
        ("A", ("customer", "valve"), 0.0),
        ("A", ("end", "valve"), 50.0),
    ]


def _side_of_valve(topo, customer, valve):
    """The end node's x (local metres) that the customer reaches without passing the valve."""
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from(zip(topo.edges["u"], topo.edges["v"], strict=True))
    g.remove_node(node_of(topo, valve))
    c = int(topo.customers.set_index("customer_id").loc[customer, "node_id"])
    ends = topo.nodes.loc[list(nx.node_connected_component(g, c))]
    ends = ends[ends["kind"] == "end"]
    return sorted(round(p.x - 380_000.0) for p in ends.geometry)


@pytest.mark.parametrize("drawn", [[(0, 0), (100, 0)], [(100, 0), (0, 0)]])
def test_a_customer_exactly_at_a_valve_is_on_the_same_side_whichever_way_the_pipe_is_drawn(
    drawn,
):
    # S (0,0) ====== V + C (50,0) ====== (100,0). C projects exactly onto V: its side is a
    # convention, the western one (issue 7: it used to follow the drawing direction), and
    # the customer is reported so someone checks it.
    topo, report = build(pipes=[("A", drawn)], valves=[("V", (50, 0))], customers=[("C", (50, 0))])
    assert _side_of_valve(topo, "C", "V") == [0]
    assert "customer_at_valve" in checks(report)


def test_customers_closer_than_the_tolerance_never_share_a_node_across_a_valve():
    # S (0,0) ===== C0 .. C9 at x = 40.0, 40.4, ..., 43.6 (3 m off the pipe) ===== (100,0),
    # V at x = 42.1. Each customer within 0.5 m of the previous one used to chain all ten
    # into one node at x = 40, west of V (issue 7). Expected: C0..C5 (x <= 42.0) on V's
    # west side, C6..C9 on its east side; a node holds customers within 0.5 m of its first.
    cust = [(f"C{i}", (40 + 0.4 * i, 3.0)) for i in range(10)]
    topo, report = build(
        pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (42.1, 0))], customers=cust
    )
    sides = {c: _side_of_valve(topo, c, "V") for c, _ in cust}
    assert [c for c, side in sides.items() if side == [0]] == [f"C{i}" for i in range(6)]
    assert [c for c, side in sides.items() if side == [100]] == [f"C{i}" for i in range(6, 10)]
    nodes = topo.customers.set_index("customer_id")["node_id"]
    assert nodes["C0"] == nodes["C1"] and nodes["C1"] != nodes["C2"]  # 0.4 m, then 0.8 m
    assert "customer_at_valve" not in checks(report)


@pytest.mark.parametrize("drawn", [[(0, 0), (100, 0)], [(100, 0), (0, 0)]])
def test_a_station_drawn_on_a_valve_inside_a_pipe_takes_the_point_and_is_reported(drawn):
    # (0,0) ====== S + V (50,0) ====== (100,0): a station and its outlet valve digitised on
    # one spot. Within the tolerance they are one point, as at a node: the station takes it,
    # the valve is reported (asset_conflict) -- whichever way the pipe is drawn (the station
    # used to land on the start side of the valve).
    topo, report = build(pipes=[("A", drawn)], valves=[("V", (50, 0))], sources=[("S", (50.3, 0))])
    assert "asset_conflict" in checks(report)
    kinds = topo.nodes.set_index("asset_id")["kind"]
    assert kinds.get("S") == "source" and "V" not in kinds.index


def test_a_valve_on_a_pipe_drawn_twice_closes_both_copies():
    # S (0,0) -P1- J (100,0) =P2= and =P2dup= (the same line, digitised twice) to (200,0),
    # V at (150,0), customer C at (180,5). Closing V must cut C off: the valve blocks every
    # pipe drawn through it (issue 7: it used to split only P2, and P2dup bypassed it).
    from gasnet.network import build_network

    layers = canonical(
        pipes=[
            ("P1", [(0, 0), (100, 0)]),
            ("P2", [(100, 0), (200, 0)]),
            ("P2dup", [(100, 0), (200, 0)]),
        ],
        valves=[("V", (150, 0))],
        sources=[("S", (0, 0))],
        customers=[("C", (180, 5))],
    )
    net, report = build_network(layers)
    assert sorted(net.isolate(["V"]).customers.index) == ["C"]
    assert {"duplicate_pipe"} <= set(checks(report))


def test_a_valve_where_two_pipes_cross_is_put_on_one_of_them_and_reported():
    # P1 (0,0)-(100,0) and P2 (50,-50)-(50,50) cross at (50,0) without a junction; V is
    # drawn on the crossing. Crossing pipes pass at different depths: the valve goes on one
    # pipe only (the pipes stay unconnected) and is reported.
    topo, report = build(
        pipes=[("P1", [(0, 0), (100, 0)]), ("P2", [(50, -50), (50, 50)])],
        valves=[("V", (50, 0))],
    )
    v = node_of(topo, "V")
    at_v = topo.edges[(topo.edges["u"] == v) | (topo.edges["v"] == v)]
    assert at_v["pipe_id"].nunique() == 1
    assert "asset_at_crossing" in checks(report)


def test_the_regulator_check_counts_in_service_pipes_as_the_flow_model_does():
    # R1 between two in-service MP-A pipes, with an abandoned LP stub: gas passes R1 both
    # ways (only in-service pipes count), so it must be reported; it used to hide behind the
    # stub's class. R2: SHP-B -> LP in service, plus an abandoned pipe of unknown class: it
    # is directed, nothing to report.
    _, report = build(
        pipes=[
            ("A", [(0, 0), (100, 0)], "MP-A"),
            ("B", [(100, 0), (200, 0)], "MP-A"),
            ("X", [(100, 0), (100, -50)], "LP", "abandoned"),
            ("C", [(0, 100), (100, 100)], "SHP-B"),
            ("D", [(100, 100), (200, 100)], "LP"),
            ("Y", [(100, 100), (100, 150)], None, "abandoned"),
        ],
        regulators=[("R1", (100, 0)), ("R2", (100, 100))],
    )
    same = [r["feature_id"] for r in report.rows if r["check"] == "regulator_same_class"]
    assert same == ["R1"]


def test_a_customer_naming_a_pipe_out_of_service_is_reported():
    # C names P2, which is abandoned: it hangs there without supply, and is reported.
    _, report = build(
        pipes=[("P1", [(0, 0), (100, 0)]), ("P2", [(100, 0), (200, 0)], "MP-A", "abandoned")],
        customers=[("C", (150, 5), 1, True, "P2")],
    )
    rows = [r for r in report.rows if r["check"] == "customer_on_dead_pipe"]
    assert [r["feature_id"] for r in rows] == ["C"] and "pipe P2 is abandoned" in rows[0]["message"]


def test_zero_tolerances_mean_exactly_on():
    # snap_tolerance_m = 0 and customer_max_distance_m = 0 are documented as valid (>= 0):
    # they used to crash the nearest-pipe search. V lies exactly on P1; C is 5 m off: with a
    # zero distance it is not attached (reported), nothing crashes.
    topo, report = build(
        pipes=[("P1", [(0, 0), (100, 0)])],
        valves=[("V", (50, 0))],
        customers=[("C", (30, 5))],
        tol=0.0,
        maxd=0.0,
    )
    assert node_of(topo, "V") >= 0
    assert "customer_unattached" in checks(report)


def test_a_zero_tolerance_still_joins_pipe_ends_drawn_at_one_point():
    # S (0,0) ==== A ==== (100,0) ==== B ==== (200,0), C (150,5) on B; tolerance 0.
    # "Exactly on" joins ends at exactly one point: 3 nodes (A's start, the joint, B's end)
    # plus C's, edges A 100, B 50 + 50, and C has gas. (Found by the property test of the
    # build: with a zero tolerance no two ends were ever joined, so every pipe was an island
    # of its own and nobody beyond the station's pipe had gas.)
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])],
        sources=[("S", (0, 0))],
        customers=[("C", (150, 5))],
    )
    topo, report = build_topology(layers, snap_tolerance_m=0.0, customer_max_distance_m=60)
    assert len(topo.nodes) == 4 and sorted(topo.nodes["degree"]) == [1, 1, 2, 2]
    assert sorted(round(x, 1) for x in topo.edges["length_m"]) == [50.0, 50.0, 100.0]
    assert "island" not in checks(report)
    net, _ = build_network(layers, snap_tolerance_m=0.0)
    assert bool(net.customers.loc["C", "has_supply"])


def test_customers_when_no_pipe_is_in_service_are_told_so():
    _, report = build(
        pipes=[("P1", [(0, 0), (100, 0)], "MP-A", "abandoned")], customers=[("C", (50, 5))]
    )
    messages = [r["message"] for r in report.rows if r["check"] == "customer_unattached"]
    assert messages and messages[0].startswith("no pipe is in service")
