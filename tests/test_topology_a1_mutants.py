"""topology.py: a network without the optional regulators layer, the side of a valve a customer
is put on along a closed ring main, and the customers' nearest pipes found on a Dask cluster's
partitions (with the ties broken as in this process) -- the mistakes mutation testing found no
test would catch (`make mutants`, docs/mutants.md). Hand-drawn networks in local metres
(conftest.xy shifts them into EPSG:4545), tolerance 0.5 m, customers within 60 m; the expected
rows and nodes in comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pytest
from conftest import canonical, in_process_session, rows

from gasnet import parallel
from gasnet.topology import build_topology

# -- a layer left out --------------------------------------------------------------------------


def test_a_network_without_a_regulators_layer_places_its_valves():
    # Planted: topology.py (_place_assets): `gdf is not None and len(gdf)` -> `or` (mutant 4)
    #
    # The regulators layer is optional (build_topology's docstring): a project without one
    # hands no "regulators" key. A (0,0)-(100,0) with valve V1 at (50,0): V1 is cut into A as
    # node 2 (A's ends are nodes 0 and 1). (With `or`, the missing layer's len(None) raised a
    # TypeError.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V1", (50, 0))])
    del layers["regulators"]
    topo, _ = build_topology(layers)
    assert topo.assets.to_dict("list") == {
        "asset_id": ["V1"],
        "kind": ["valve"],
        "node_id": [2],
    }
    assert topo.edges[["u", "v"]].values.tolist() == [[0, 2], [2, 1]]


# -- a customer exactly at a valve on a closed ring main ---------------------------------------


def test_a_customer_at_a_valve_on_a_closed_ring_main_is_put_on_the_ring_s_first_stretch():
    # Planted: topology.py (_drawn_west_first): `c0[:, 1] <= c1[:, 1]` -> `<` (mutant 25)
    #
    # Ring main R (0,0)-(100,0)-(100,100)-(0,100)-(0,0), 400 m, drawn closed: one loop edge at
    # node 0. Valve V at (50,0) is cut into it (node 1). Customer C at (50,0), exactly at the
    # valve: its side is the convention "towards the pipe's western (then southern) end". The
    # ring's first and last points are one point, level with each other: first counts as west
    # (south or level on a tie), so C goes 1e-6 m before V, node 2 on the first stretch: edges
    # 0-2 (49.999999 m), 2-1 (1e-6 m), 1-0 (the other 350 m). C is reported. (Counting a level
    # tie as east, C went after V: 0-1 50 m, 1-2, 2-0 350 m, C's node on the long stretch.)
    topo, report = build_topology(
        canonical(
            pipes=[("R", [(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])],
            valves=[("V", (50, 0))],
            customers=[("C", (50, 0))],
        )
    )
    e = topo.edges
    assert e[["u", "v"]].values.tolist() == [[0, 2], [2, 1], [1, 0]]
    assert e["length_m"].tolist() == pytest.approx([50 - 1e-6, 1e-6, 350.0], abs=1e-7)
    assert topo.customers[["customer_id", "node_id", "edge_id"]].values.tolist() == [["C", 2, 1]]
    assert [r["feature_id"] for r in rows(report, "customer_at_valve")] == ["C"]


# -- the customers' nearest pipes, here and on a cluster -----------------------------------------


def _three_customers():
    # A (0,0)-(100,0) and B (0,20)-(100,20), joined by C (100,20)-(100,0). Customer C1 at
    # (50,10) is 10 m from both A and B (a tie), C2 at (20,3) 3 m from A, C3 at (20,200)
    # 180 m from B, beyond the 60 m.
    return canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(0, 20), (100, 20)]),
            ("C", [(100, 20), (100, 0)]),
        ],
        customers=[("C1", (50, 10)), ("C2", (20, 3)), ("C3", (20, 200))],
    )


# Nodes: A's ends 0 (0,0) and 3 (100,0), B's 1 (0,20) and 2 (100,20); C2 cut into A at 20 m
# (node 4), C1 at 50 m (node 5): A's edges 0-4, 4-5, 5-3 (edges 0, 1, 2), B 1-2 (edge 3),
# C 2-3 (edge 4). C3 is not attached, 180 m away.
ATTACHED = [
    ["C1", 5, 10.0, 2],
    ["C2", 4, 3.0, 1],
    ["C3", -1, 180.0, -1],
]
COLUMNS = ["customer_id", "node_id", "attach_distance_m", "edge_id"]


def test_a_customer_halfway_between_two_pipes_takes_the_tree_s_first_one(monkeypatch):
    # Planted: topology.py (_nearest): query_nearest(all_matches=False) -> all_matches=True
    # (mutant 21), or left out (its default True, mutant 19)
    #
    # Without a cluster: C1's two equidistant pipes, A and B, are a tie broken as the STRtree
    # does with one match (A, its first), the very choice parallel.nearest makes on a cluster
    # (the test below): C1 on A's middle edge. (With every match, the last one, B, overwrote
    # A: C1 went onto B, and a run on a cluster no longer gave the same network.)
    monkeypatch.setattr(parallel, "_SESSION", None)
    topo, report = build_topology(_three_customers())
    assert topo.customers[COLUMNS].values.tolist() == ATTACHED
    assert topo.edges.loc[2, "pipe_id"] == "A"
    assert [r["feature_id"] for r in rows(report, "customer_unattached")] == ["C3"]


def test_customers_attach_on_a_cluster_s_partitions_as_in_this_process(monkeypatch):
    # Planted: topology.py (_nearest): s = None (mutant 1); parallel.nearest(...) with s,
    # tree, tree_geoms, queries or max_distance None (mutants 3, 4, 5, 6, 7), or one of
    # s, tree, tree_geoms, queries, max_distance left out (mutants 8, 9, 10, 11, 12)
    #
    # chunk_rows=1, one worker (no client to ask): 3 customers to find a pipe for ->
    # max(1, min(3, max(1, ceil(3 / 1)))) = 3 partitions, one "nearest" map. Each partition
    # gets the pipes within 60 m of its customers' box: the workers find C1's two pipes at
    # 10 m (A and B, a tie settled here as without a cluster: A), C2's A at 3 m, nothing for
    # C3 (then measured here: 180 m). The same network as in this process (the test above).
    # (Without the cluster, or with no reach -- no pipe sent -- the workers found nothing;
    # the other mistakes raised.)
    s = in_process_session(chunk_rows=1)
    monkeypatch.setattr(parallel, "_SESSION", s)
    topo, report = build_topology(_three_customers())
    assert s.log == [("nearest", 3)]
    assert sorted(d for _, _, dist in s.results[-1] for d in dist.tolist()) == [3.0, 10.0, 10.0]
    assert topo.customers[COLUMNS].values.tolist() == ATTACHED
    assert topo.edges.loc[2, "pipe_id"] == "A"
    assert [(r["feature_id"], r["message"]) for r in rows(report, "customer_unattached")] == [
        (
            "C3",
            "customer farther than customer_max_distance_m (60 m) from its pipe; kept but not "
            "attached (no supply) (180.0 m away)",
        )
    ]
