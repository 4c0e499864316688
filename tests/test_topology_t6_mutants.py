"""topology.py: where the ends of a junction meet, T-junctions (also at a snap tolerance of
0, "exactly on"), valves drawn close together, at a crossing or on a station's node, a
layers dict without regulators, and the islands no source reaches -- the mistakes mutation
testing found no cheap test would catch (`make mutants`, docs/mutants.md). Hand-drawn
networks in local metres (conftest.xy shifts them into EPSG:4545), tolerance 0.5 m unless
said; the expected answers worked out in comments, each test naming the mutants it kills
(`# Planted: ...`).
"""

from __future__ import annotations

import warnings

from conftest import canonical, pipes_at, rows, xy

from gasnet.topology import build_topology, components_without_source


def degree_of(topo, x, y):
    """The degree of the node drawn at local (x, y), or None when there is none."""
    n = topo.nodes[(topo.nodes.geometry.x == xy(x, y)[0]) & (topo.nodes.geometry.y == xy(x, y)[1])]
    return int(n["degree"].iloc[0]) if len(n) else None


# -- where the node of a junction goes -----------------------------------------------------


def test_a_junction_node_goes_to_the_end_nearest_the_centroid_of_its_ends():
    # Planted: topology.py (_snap_endpoints): cy = ... / cnt -> * cnt (mutant 68), weights
    # None or left out for cy (mutants 70, 73), d = hypot(..., y + cy) (mutant 83)
    # A (0,0)-(100,0) and B (200,0)-(100,0) end at (100,0); C comes down from (100,100) and
    # stops at (100,0.3), D comes up from (100,-100) and stops at (100,-0.3). The four ends
    # are one cluster (0.3 m from (100,0) each), centroid (100,0): the node is the end
    # nearest it, (100,0), with degree 4. (Multiplying the summed y by the count puts the
    # centroid far north, so the northernmost end (100,0.3) would win; taking the count, or
    # adding instead of subtracting, puts it far south or flips the sign, and the southern
    # end (100,-0.3) would.)
    topo, _ = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(200, 0), (100, 0)]),
                ("C", [(100, 100), (100, 0.3)]),
                ("D", [(100, -100), (100, -0.3)]),
            ]
        )
    )
    assert degree_of(topo, 100, 0) == 4
    assert degree_of(topo, 100, 0.3) is None
    assert degree_of(topo, 100, -0.3) is None
    assert len(topo.nodes) == 5


def test_building_a_plain_network_through_the_api_gives_no_numpy_warning():
    # Planted: topology.py (_snap_endpoints): np.full(label.max() + 2, n) (mutant 32)
    # A (0,0)-(100,0) and B (100,0)-(100,50): three nodes, nothing to divide by zero. (One
    # cluster too many makes the centroid of an empty cluster 0 / 0, and numpy warns
    # "invalid value encountered in divide" to whoever builds the network in Python.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (100, 50)])])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        topo, _ = build_topology(layers)
    assert len(topo.nodes) == 3
    assert len(topo.edges) == 2


# -- T-junctions ----------------------------------------------------------------------------


def test_a_pipe_drawn_a_little_past_the_junction_is_not_cut_at_it():
    # Planted: topology.py (_t_junctions): own = (start == pi) | (end == pi) -> & (mutant 23)
    # A (0,0)-(100,0) and B (200,0)-(100,0) end at (100,0); C comes down at x = 100.2 from
    # (100.2,50) and stops 0.3 m past the junction, at (100.2,-0.3), 0.36 m from (100,0): its
    # end snaps to the junction node. The node lies 0.2 m beside C, but C is its own pipe:
    # no T-junction. Three edges A, B, C; the junction has degree 3. (Taking C as another
    # pipe there, it would be cut 0.3 m before its end and its tail left as a loop edge at
    # the junction: 4 edges, degree 5.)
    topo, _ = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(200, 0), (100, 0)]),
                ("C", [(100.2, 50), (100.2, -0.3)]),
            ]
        )
    )
    assert sorted(topo.edges["pipe_id"]) == ["A", "B", "C"]
    assert degree_of(topo, 100, 0) == 3


def test_a_pipe_ending_less_than_a_metre_along_another_makes_a_t_junction():
    # Planted: topology.py (_t_junctions): inner = (s > 0) -> (s > 1) (mutant 39)
    # A (0,0)-(100,0); B comes down from (0.8,50) and ends on A at (0.8,0), 0.8 m from A's
    # start (farther than the 0.5 m tolerance, so not A's start node): A is cut there, two
    # edges 0.8 m and 99.2 m, and the node at (0.8,0) has degree 3.
    topo, _ = build_topology(
        canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0.8, 50), (0.8, 0)])])
    )
    a = topo.edges[topo.edges["pipe_id"] == "A"]
    assert sorted(a["length_m"].round(3)) == [0.8, 99.2]
    assert degree_of(topo, 0.8, 0) == 3


# Q's end, relative to P's start at (0,0), with exact EPSG:4545 values: its squared distance
# rounds to 0.25000000000000006 > 0.5², so snapping (scipy, on squared distances) keeps the
# two ends apart, while its square root rounds to 0.5, so GEOS finds each end within the
# 0.5 m tolerance of the other pipe -- at that pipe's very end.
Q_END = (0.25100784975802526, 0.4324292535893619)


def test_a_pipe_end_at_the_tolerance_from_another_pipes_end_does_not_cut_it_there():
    # Planted: topology.py (_t_junctions): inner = (s > 0) & (s < L) -> (s > 0) | (s < L),
    # (s >= 0) & ..., ... & (s <= L) (mutants 37, 38, 40)
    # P runs from (0,0) to (-25,-40); Q comes from Q_END + (25,40) and ends at Q_END, 0.5 m
    # from P's start, pointing away from it (see above): Q's end node projects onto P at
    # s = 0 and P's start node onto Q at s = L. A T-junction is a point inside a pipe, so
    # neither pipe is cut: two edges, each its pipe's full hypot(25, 40) = 47.170 m, four
    # nodes. (Cutting at a pipe's end, P or Q would get a 0.5 m stub from the other's node
    # and a remainder drawn 47.670 m long.)
    topo, _ = build_topology(
        canonical(
            pipes=[
                ("P", [(0, 0), (-25, -40)]),
                ("Q", [(Q_END[0] + 25, Q_END[1] + 40), Q_END]),
            ]
        )
    )
    assert [(p, round(n, 3)) for p, n in topo.edges[["pipe_id", "length_m"]].values] == [
        ("P", 47.17),
        ("Q", 47.17),
    ]
    assert len(topo.nodes) == 4


# Local coordinates whose EPSG:4545 values are exact: the end of pipe F below lies beside
# the line of pipe E (0,0)-(E_END) by less than a nanometre -- GEOS's exact orientation test
# says it is off the line, its rounded point-to-segment distance says 0.
E_END = (146.4039187853341, 40.19105840148404)
F_END = (73.61224997404497, 20.208162884693593)


def test_with_a_tolerance_of_zero_only_pipe_ends_exactly_on_a_pipe_make_t_junctions():
    # Planted: topology.py (_t_junctions): `if tol > 0` -> `(tol > 0) or True` or
    # `tol >= 0` (mutants 5, 14): dwithin at distance 0 instead of intersects; the tol == 0
    # query with None for the points, without them, with predicate None, left out,
    # "XXintersectsXX" or "INTERSECTS" (mutants 16, 18, 17, 19, 20, 21)
    # snap_tolerance_m = 0. C (200,0)-(300,0); D comes down from (250,50) and ends exactly
    # on C at (250,0): C is cut there (two edges of 50 m), the node has degree 3.
    # G (400,0)-(500,100); H comes down from (450,100) and stops at (450,40), 10 m below
    # G's line (inside G's bounding box): no junction, G stays one edge and H's end is a
    # dead end (degree 1). E (0,0)-E_END; F comes down from (F_END x, 100) to F_END, which
    # is not exactly on E (see above): E stays one edge, F's end a dead end. (Testing the
    # bounding boxes, H and F would cut G and E; testing "within 0 m", F would cut E; the
    # broken queries raise.)
    topo, _ = build_topology(
        canonical(
            pipes=[
                ("C", [(200, 0), (300, 0)]),
                ("D", [(250, 50), (250, 0)]),
                ("G", [(400, 0), (500, 100)]),
                ("H", [(450, 100), (450, 40)]),
                ("E", [(0, 0), E_END]),
                ("F", [(F_END[0], 100), F_END]),
            ]
        ),
        snap_tolerance_m=0,
    )
    assert sorted(topo.edges["pipe_id"]) == ["C", "C", "D", "E", "F", "G", "H"]
    assert degree_of(topo, 250, 0) == 3
    assert degree_of(topo, 450, 40) == 1
    assert degree_of(topo, *F_END) == 1


# -- valves -------------------------------------------------------------------------------


def test_valves_within_the_tolerance_along_a_pipe_share_one_new_node():
    # Planted: topology.py (_place_assets): first = order[... != in_order[:+1]] (mutant 110)
    # A (0,0)-(100,0) with valves V1 at (20,0), V2 at (50,0), V3 at (50.3,0). V2 and V3 are
    # 0.3 m apart along A: one node at (50,0) (V2, the first; V3 reported as a clash). A is
    # cut twice: three edges, 20, 30 and 50 m; four nodes. (Comparing each group with the
    # first one instead of its predecessor, V3 would start a third cut at (50.3,0): a fifth
    # node with no asset and A in four edges.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])],
            valves=[("V1", (20, 0)), ("V2", (50, 0)), ("V3", (50.3, 0))],
        )
    )
    assert sorted(topo.edges["length_m"].round(3)) == [20.0, 30.0, 50.0]
    assert len(topo.nodes) == 4
    assert [r["feature_id"] for r in rows(report, "asset_conflict")] == ["V3"]


def test_a_valve_where_two_pipes_cross_is_reported_and_put_on_one_of_them():
    # Planted: topology.py (_place_assets): rows = None (mutant 137); _duplicate_cuts called
    # with None for parts, gs, nodes, a, rows or report (mutants 142, 144, 146, 147, 148,
    # 149)
    # A (0,0)-(100,0) and B (50,-50)-(50,50) cross at (50,0) without a junction; valve V
    # sits there. It is put on one of them only (cut into it: two edges of 50 m) and
    # reported as drawn at a crossing; the other pipe passes as one edge of 100 m.
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(50, -50), (50, 50)])],
            valves=[("V", (50, 0))],
        )
    )
    assert [r["feature_id"] for r in rows(report, "asset_at_crossing")] == ["V"]
    on = pipes_at(topo, "V")
    assert on in (["A", "A"], ["B", "B"])
    assert sorted(topo.edges["length_m"].round(3)) == [50.0, 50.0, 100.0]


def test_a_valve_on_the_station_at_node_zero_is_reported_and_left_off():
    # Planted: topology.py (_place_assets): taken = ....where(node > 0) or (node >= 1)
    # (mutants 219, 220)
    # A (0,0)-(100,0): node 0 is A's start. Source S and valve V are both drawn at (0,0),
    # node 0: the source takes the node, the valve is reported (asset_conflict, "source S")
    # and left off (node_id -1). (Not counting node 0 as taken, both would keep node 0.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])], sources=[("S", (0, 0))], valves=[("V", (0, 0))]
        )
    )
    conflict = rows(report, "asset_conflict")
    assert [(r["feature_id"], r["message"][-10:]) for r in conflict] == [("V", "(source S)")]
    assert topo.assets.set_index("asset_id")["node_id"].to_dict() == {"S": 0, "V": -1}


# -- the layers -----------------------------------------------------------------------------


def test_a_layers_dict_without_regulators_builds():
    # Planted: topology.py (_refuse_bad_coordinates): `gdf is None or not len(gdf)` -> `and`
    # (mutant 12)
    # The regulators layer is optional: without it, A (0,0)-(100,0) with source S at (0,0)
    # builds into one edge and two nodes, S on node 0. (Checking the missing layer's
    # length raises TypeError.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], sources=[("S", (0, 0))])
    del layers["regulators"]
    topo, _ = build_topology(layers)
    assert len(topo.edges) == 1
    assert topo.assets.to_dict("list") == {"asset_id": ["S"], "kind": ["source"], "node_id": [0]}


# -- islands without a source ----------------------------------------------------------------


def test_only_the_island_without_a_source_is_yielded():
    # Planted: topology.py (components_without_source): kind == "XXsourceXX" or "SOURCE"
    # (mutants 33, 34), fed[...] = None or False (mutants 42, 43)
    # A (0,0)-(100,0) with source S at (0,0) and customer C1 at (50,10); B (300,0)-(400,0),
    # 200 m away, with customer C2 (3 households) at (350,10). Only B's island has no source:
    # one island, B's two edges (C2's node cuts it at (350,0)), 1 customer, 3 households.
    # (Finding no source, A's island would be yielded too.)
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(300, 0), (400, 0)])],
            sources=[("S", (0, 0))],
            customers=[("C1", (50, 10)), ("C2", (350, 10), 3)],
        )
    )
    islands = [
        (sorted(topo.edges["pipe_id"].iloc[e]), n, hh)
        for e, n, hh in components_without_source(topo)
    ]
    assert islands == [(["B", "B"], 1, 3)]
