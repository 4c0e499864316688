"""topology.py, survivors of a quick mutation pass (`make mutants`, docs/mutants.md): which
pipes collapse (a small loop stays, a hair-pin as long as the tolerance goes, a pipe whose
ends the KD-tree keeps apart stays), where a cut near a part's end goes, the repeated points
dropped from edges, the side of a valve a customer abreast of it goes to, a valve on a pipe
digitised twice, what a node with no edge is on, the pipes left out before any snapping,
assets exactly at the tolerance or within it of each other, and the customers' nearest pipe
here and on a cluster. Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m; the expected tables and rows worked out in comments, each test
naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import canonical, in_process_session, rows
from shapely.geometry import LineString
from test_topology_parts_mutants import drawn

from gasnet import parallel
from gasnet.topology import _edge_of_node, _explode, build_topology
from gasnet.validate import Report


def ends(topo):
    """Per edge: its pipe, u, v and length to the millimetre."""
    return [(r.pipe_id, r.u, r.v, round(r.length_m, 3)) for r in topo.edges.itertuples()]


# -- which pipes collapse ------------------------------------------------------------------


def test_a_small_loop_stays_and_a_hair_pin_as_long_as_the_tolerance_collapses():
    # Planted: topology.py (_collapsed): c[firsts + counts - 1] -> c[firsts + counts - 2]
    # (mutant 9), vidx[:-1] -> vidx[:+1] (19), length <= tol -> length < tol (31)
    # B (0,0)-(100,0), then A, a small loop (50,50)-(50.2,50.2)-(50.4,50): its ends 0.4 m
    # apart snap to one node, but with both ends on it the line is 2 x 0.283 = 0.566 m > 0.5:
    # a loop edge. D, a hair-pin (50,-50)-(50.25,-50)-(50,-50), is 2 x 0.25 = 0.5 m <= 0.5
    # long between its one node: collapsed, reported and left out. C (100,0)-(100,100).
    # (Moving the vertex before A's last onto the node, A is 0.4 m or less; with every part's
    # length but the first's taken as 0, A too collapses; with < the tolerance, D stays.)
    topo, report = build_topology(
        canonical(
            pipes=[
                ("B", [(0, 0), (100, 0)]),
                ("A", [(50, 50), (50.2, 50.2), (50.4, 50)]),
                ("D", [(50, -50), (50.25, -50), (50, -50)]),
                ("C", [(100, 0), (100, 100)]),
            ]
        )
    )
    assert topo.edges["pipe_id"].tolist() == ["B", "A", "C"]
    assert [r["feature_id"] for r in rows(report, "collapsed_pipe")] == ["D"]


def test_a_pipe_as_long_as_the_tolerance_whose_ends_are_not_snapped_stays():
    # Planted: topology.py (_collapsed): (start_node == end_node) & (length <= tol) -> |
    # (mutant 29)
    # S runs from (0,0) to (0.16827122391956426, 0.47083414829492976) (true coordinates):
    # dx*dx + dy*dy rounds to 0.25000000000000006 > 0.5**2, so the KD-tree leaves its ends
    # apart (two nodes), while its length, hypot(dx, dy), rounds to 0.5 exactly. Its ends are
    # not one node, so it is no collapsed pipe whatever its length: an edge 0.5 m long.
    # (Taking either condition, S collapsed and was left out.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("S", [(200, 0), (300, 0)])])
    layers["pipes"].loc[1, "geometry"] = LineString(
        [(0.0, 0.0), (0.16827122391956426, 0.47083414829492976)]
    )
    topo, report = build_topology(layers)
    assert topo.edges["pipe_id"].tolist() == ["A", "S"]
    assert topo.edges["length_m"].tolist()[1] == 0.5
    assert rows(report, "collapsed_pipe") == []


# -- cutting parts into edges --------------------------------------------------------------


def test_a_valve_in_the_last_metre_of_a_pipe_comes_after_the_vertex_before_it():
    # Planted: topology.py (_cut_parts): np.clip(cs, 1e-9, part_len - 1e-9) -> part_len -
    # 1.000000001 (mutant 68)
    # A (0,0)-(99.1,0)-(100,0) with valve V at (99.2,0): 0.8 m from A's end node, beyond the
    # 0.5 m tolerance, so V cuts A 99.2 m along, after the vertex at 99.1 m. Nodes: 0 and 1
    # A's ends, 2 V. Edges (0,0)-(99.1,0)-(99.2,0), 99.2 m, and (99.2,0)-(100,0), 0.8 m.
    # (Pulled back to 99 m, the cut came before the vertex: (0,0)-(99.2,0) and
    # (99.2,0)-(99.1,0)-(100,0), 1.0 m.)
    topo, _ = build_topology(
        canonical(pipes=[("A", [(0, 0), (99.1, 0), (100, 0)])], valves=[("V", (99.2, 0))])
    )
    assert drawn(topo) == [
        ("A", 0, 2, [(0, 0), (99.1, 0), (99.2, 0)]),
        ("A", 2, 1, [(99.2, 0), (100, 0)]),
    ]
    assert topo.edges["length_m"].tolist() == pytest.approx([99.2, 0.8], abs=1e-9)


# -- a customer exactly abreast of a valve -------------------------------------------------


@pytest.mark.parametrize(
    ("pipe", "valve", "customer", "expected"),
    [
        # A drawn south to north, (0,0) -> (0,100): a tie in x, the south end (its first
        # point) wins: C before V along the drawing. Nodes: 0 (0,0), 1 (0,100), 2 V, 3 C.
        (
            [(0, 0), (0, 100)],
            (0, 50),
            (5, 50),
            [("A", 0, 3, 50.0), ("A", 3, 2, 0.0), ("A", 2, 1, 50.0)],
        ),
        # A drawn east to west, (100,0) -> (0,0): its last point is the western one, so C
        # goes after V along the drawing. Nodes: 0 (100,0), 1 (0,0), 2 V, 3 C.
        (
            [(100, 0), (0, 0)],
            (50, 0),
            (50, 5),
            [("A", 0, 2, 50.0), ("A", 2, 3, 0.0), ("A", 3, 1, 50.0)],
        ),
        # A ring (0,0)-(100,0)-(100,100)-(0,0), its two ends one point (node 0, a loop edge
        # 341.4 m long): a tie in x and y, its first point wins: C before V. Nodes: 0 the
        # ring's ends, 1 V, 2 C.
        (
            [(0, 0), (100, 0), (100, 100), (0, 0)],
            (50, 0),
            (50, -5),
            [("A", 0, 2, 50.0), ("A", 2, 1, 0.0), ("A", 1, 0, 291.421)],
        ),
    ],
    ids=["south-to-north", "east-to-west", "ring"],
)
def test_a_customer_abreast_of_a_valve_goes_to_the_pipe_s_west_then_south_side(
    pipe, valve, customer, expected
):
    # Planted: topology.py (_drawn_west_first): c0[:, 0] == c1[:, 0] -> c0[:, 1] == c1[:, 0]
    # (mutant 21), != (22), c0[:, 0] == c1[:, 1] (23); c0[:, 1] <= c1[:, 1] -> < (25)
    # The customer's point projects exactly onto the valve's position along A (a tie): the
    # side is towards A's western (then southern, then first) end, the customer reported.
    # (Comparing a y with an x, it is never a tie: south to north went north; with != the
    # east-to-west pipe counted as drawn west first; with <, the ring's first point lost.)
    topo, report = build_topology(
        canonical(pipes=[("A", pipe)], valves=[("V", valve)], customers=[("C", customer)])
    )
    assert ends(topo) == expected
    assert [r["feature_id"] for r in rows(report, "customer_at_valve")] == ["C"]


# -- a valve on a pipe digitised twice -----------------------------------------------------


def test_a_valve_on_a_pipe_digitised_twice_cuts_both_copies():
    # Planted: topology.py (_duplicate_cuts): if not len(gp) -> if len(gp) (mutant 1), if not
    # len(gi) -> if len(gi) (20)
    # A (0,0)-(100,0) and B, its copy. V at (50,0) is on both: it goes on A (the first), and
    # as B runs along A at V (a duplicate, not a crossing), B is cut at V too: closing V
    # blocks both. Nodes: 0 (0,0), 1 (100,0), 2 V. Edges A 0-2, 2-1; B 0-2, 2-1.
    # (Returning no cut for B, B ran 0-1 past the closed valve.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 0), (100, 0)])], valves=[("V", (50, 0))]
        )
    )
    assert ends(topo) == [
        ("A", 0, 2, 50.0),
        ("A", 2, 1, 50.0),
        ("B", 0, 2, 50.0),
        ("B", 2, 1, 50.0),
    ]
    assert rows(report, "asset_at_crossing") == []


# -- the edge a node is on -----------------------------------------------------------------


def test_a_node_with_no_edge_is_on_none_and_every_other_on_one_of_its_own():
    # Planted: topology.py (_edge_of_node): node.max(initial=-1) + 1 -> - 1 (mutant 10);
    # u.max(initial=0) -> initial=None (22), v.max(initial=0) -> initial=None (24); fill
    # -1 -> +1 (27), -2 (28); first[v[::-1]] = ids[::-1] -> v[::+1] (32), ids[::+1] (34)
    # Edges e0 0-1 and e1 2-3. Node 3 is only e1's v: e1; node 1 only e0's v: e0; node 2
    # e1's u: e1; node 4 (a customer on no edge) and -1 (unattached): -1.
    # (Pairing the v's with the edge ids in opposite orders, node 3 was put on e0; the table
    # sized by the edges alone has no node 4: IndexError.)
    out = _edge_of_node(np.array([3, 1, 2, 4, -1]), np.array([0, 2]), np.array([1, 3]))
    assert list(out) == [1, 0, 1, -1, -1]
    # No edge at all (a network with no pipe in service, as check_topology asks for its
    # dangling ends): every node on none. (max of an empty array with no initial: ValueError.)
    none = np.array([], dtype=np.int64)
    assert list(_edge_of_node(np.array([0, 1]), none, none)) == [-1, -1]


# -- pipes left out before snapping --------------------------------------------------------


def test_an_empty_pipe_is_left_out_quietly_and_a_nanometre_pipe_as_of_zero_length():
    # Planted: topology.py (_explode): is_missing(geom) | is_empty(geom) -> & (mutant 5),
    # is_empty(None) (7); length <= 1e-9 -> < 1e-9 (34)
    # A (0,0)-(100,0); E has an empty line (no geometry to place: validation reports it,
    # the network just leaves it out); Z runs (0,0)-(1e-9,0) (true coordinates), exactly 1e-9
    # m: zero length, reported and left out.
    # (Taking E's empty line as a part, it was reported as of zero length too; with <, Z
    # stayed as a part.)
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A", "E", "Z"]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString(), LineString([(0, 0), (1e-9, 0)])],
        crs="EPSG:4545",
    )
    report = Report()
    out = _explode(pipes, report)
    assert out["pipe_id"].tolist() == ["A"]
    assert [(r["check"], r["feature_id"]) for r in report.rows] == [("zero_length", "Z")]


def test_a_pipes_layer_with_index_and_level_0_columns_builds():
    # Planted: topology.py (_explode): reset_index(drop=True) -> drop=None (mutant 16), drop=
    # False (20), in the return: drop=None (69), drop=False (71)
    # A layer reset twice by pandas (gdf.reset_index().reset_index()) carries columns
    # "level_0" and "index": they are the pipes' own attributes; A (0,0)-(100,0) is one edge.
    # (Keeping the row numbers as a column, pandas found both names taken: ValueError.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])])
    layers["pipes"] = layers["pipes"].reset_index().reset_index()
    assert {"level_0", "index"} <= set(layers["pipes"].columns)
    topo, _ = build_topology(layers)
    assert ends(topo) == [("A", 0, 1, 100.0)]


# -- placing valves, sources and regulators ------------------------------------------------


def test_layers_without_a_regulators_layer_build():
    # Planted: topology.py (_place_assets): gdf is not None and len(gdf) -> or (mutant 4)
    # Regulators are optional: a layers dict without them builds. A (0,0)-(100,0), V at
    # (50,0): nodes 0, 1 A's ends, 2 V. (len(None): TypeError.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 0))])
    del layers["regulators"]
    topo, _ = build_topology(layers)
    assert ends(topo) == [("A", 0, 2, 50.0), ("A", 2, 1, 50.0)]
    assert topo.assets[["asset_id", "kind", "node_id"]].values.tolist() == [["V", "valve", 2]]


def test_a_valve_where_two_pipes_cross_goes_on_one_of_them():
    # Planted: topology.py (_place_assets): query_nearest(..., all_matches=False) -> left out
    # (mutant 66), all_matches=True (72)
    # A (0,0)-(100,0) and B (50,-50)-(50,50) cross at (50,0) without a junction; V there is
    # on both (a tie at 0 m): it goes on the tree's first, A, and is reported. Nodes: the
    # starts first, 0 A's, 1 B's, then the ends, 2 A's, 3 B's; 4 V. (With every match, the
    # last, B, overwrote A: V cut B.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(50, -50), (50, 50)])],
            valves=[("V", (50, 0))],
        )
    )
    assert ends(topo) == [("A", 0, 4, 50.0), ("A", 4, 2, 50.0), ("B", 1, 3, 100.0)]
    assert [r["feature_id"] for r in rows(report, "asset_at_crossing")] == ["V"]


def test_a_valve_exactly_the_tolerance_from_a_pipe_end_sits_on_the_end():
    # Planted: topology.py (_place_assets): at_node = dn <= tol -> dn < tol (mutant 82)
    # A (0,0)-(100,0); V at (0.5,0) is 0.5 m from A's start node, within the 0.5 m
    # tolerance (inclusive): V is node 0, A stays one edge. (Not at the node, V cut A 0.5 m
    # along: node 2, two edges.)
    topo, _ = build_topology(canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (0.5, 0))]))
    assert ends(topo) == [("A", 0, 1, 100.0)]
    assert topo.assets[["asset_id", "node_id"]].values.tolist() == [["V", 0]]


def test_a_source_drawn_within_the_tolerance_of_a_valve_along_a_pipe_takes_its_node():
    # Planted: topology.py (_place_assets): first = order[...] if len(order) -> if
    # (len(order)) and False (mutant 105)
    # A (0,0)-(100,0); V at (50,0) and S at (50.3,0), 0.3 m apart along A, within 0.5 m:
    # one point, one node (2, at V, the first along A), cut once. S beats V: V is reported
    # and left off. Edges A 0-2, 2-1. (Cutting once per asset, A got a second cut at 50.3 m,
    # node 3 with no asset: three edges.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 0))], sources=[("S", (50.3, 0))]
        )
    )
    assert ends(topo) == [("A", 0, 2, 50.0), ("A", 2, 1, 50.0)]
    assert len(topo.nodes) == 3
    assert topo.assets[["asset_id", "node_id"]].values.tolist() == [["S", 2], ["V", -1]]
    assert [r["feature_id"] for r in rows(report, "asset_conflict")] == ["V"]


# -- the customers' nearest pipe -----------------------------------------------------------


def _between_two_pipes():
    # A (0,0)-(100,0) and B (0,20)-(100,20); C at (50,10) is 10 m from both (a tie), D at
    # (20,3) 3 m from A.
    return canonical(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 20), (100, 20)])],
        customers=[("C", (50, 10)), ("D", (20, 3))],
    )


# Nodes: the starts 0 (A), 1 (B), the ends 2 (A), 3 (B); D cut into A at 20 m (node 4), C
# at 50 m (node 5).
BETWEEN = [["C", 5, 10.0], ["D", 4, 3.0]]


def test_a_customer_halfway_between_two_pipes_attaches_to_the_first():
    # Planted: topology.py (_nearest): query_nearest(all_matches=False) -> left out (mutant
    # 19), all_matches=True (21)
    # Without a cluster: C's tie is broken as the tree does with one match, A (the first):
    # C on A at 50 m. (With every match, the last, B, overwrote A.)
    topo, _ = build_topology(_between_two_pipes())
    assert topo.customers[["customer_id", "node_id", "attach_distance_m"]].values.tolist() == (
        BETWEEN
    )
    assert [p for p, u, v, _ in ends(topo) if 5 in (u, v)] == ["A", "A"]


def test_customers_are_attached_on_the_cluster_when_one_is_active(monkeypatch):
    # Planted: topology.py (_nearest): s = parallel.current() -> s = None (mutant 1)
    # A session run here (chunk_rows=1, one worker): two customers, two partitions, one
    # "nearest" map, the same attachments as without it. (Ignoring the session, nothing ran
    # on it.)
    s = in_process_session(chunk_rows=1)
    monkeypatch.setattr(parallel, "_SESSION", s)
    topo, _ = build_topology(_between_two_pipes())
    assert s.log == [("nearest", 2)]
    assert topo.customers[["customer_id", "node_id", "attach_distance_m"]].values.tolist() == (
        BETWEEN
    )
