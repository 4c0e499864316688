"""topology.py, where the assets and customers land and which islands no source reaches: the
side of a valve a customer exactly abreast of it is put on (``_drawn_west_first``), the
valves placed on a pipe, left off it or with no location (``_place_assets``), and the
customers an island counts (``components_without_source``) -- for the mistakes mutation
testing found no test would catch (`make mutants`, docs/mutants.md). Hand-drawn networks in
local metres (conftest.xy shifts them into EPSG:4545), tolerance 0.5 m; the expected tables
and rows worked out in comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pytest
from conftest import canonical, rows
from shapely.geometry import Point

from gasnet.topology import build_topology

ISLAND = "island with no source: these pipes cannot get gas with every valve open"


def edge_table(topo):
    """(u, v, length to the millimetre) of each edge, in order (a customer put beside a valve
    is nudged 1e-6 m along the pipe)."""
    return [
        (u, v, round(length, 3))
        for u, v, length in topo.edges[["u", "v", "length_m"]].itertuples(index=False)
    ]


# -- a customer exactly abreast of a valve -------------------------------------------------


@pytest.mark.parametrize(
    ("drawn", "valve", "customer", "expected"),
    [
        # Planted: topology.py (_drawn_west_first): x0 < x1 -> x0 <= x1 (mutant 18)
        # A drawn north to south, (0,100) -> (0,0): its ends share x, so the tie-break is
        # south, the last point: the customer goes after V along the drawing. Nodes: 0 the
        # north end, 1 the south end, 2 V, 3 C: 0 -> V (50 m), V -> C (0 m), C -> 1 (50 m).
        # (Taking x0 <= x1 as "west first" put C on the north side: 0 -> C -> V -> 1.)
        ([(0, 100), (0, 0)], (0, 50), (10, 50), [(0, 2, 50.0), (2, 3, 0.0), (3, 1, 50.0)]),
        # Planted: topology.py (_drawn_west_first): the last point -> the second one (mutant
        # 14)
        # An L drawn (0,0) south to (0,-50), then east to (100,-50): its first point is west
        # of its last, so C goes before V, on the (0,0) side: 0 -> C (100 m), C -> V (0 m),
        # V -> 1 (50 m). (The second point (0,-50) is south of the first, not west: judged on
        # it, C went to the (100,-50) side: 0 -> V -> C -> 1.)
        (
            [(0, 0), (0, -50), (100, -50)],
            (50, -50),
            (50, -60),
            [(0, 3, 100.0), (3, 2, 0.0), (2, 1, 50.0)],
        ),
    ],
    ids=["north-to-south", "L-shaped"],
)
def test_a_customer_abreast_of_a_valve_goes_to_the_west_then_south_end(
    drawn, valve, customer, expected
):
    topo, report = build_topology(
        canonical(pipes=[("A", drawn)], valves=[("V", valve)], customers=[("C", customer)])
    )
    assert topo.assets["node_id"].tolist() == [2]
    assert topo.customers["node_id"].tolist() == [3]
    assert edge_table(topo) == expected
    assert [r["feature_id"] for r in rows(report, "customer_at_valve")] == ["C"]


# -- valves on a pipe, off it, or with no location ------------------------------------------


def test_a_valve_on_the_first_pipe_is_placed_and_one_just_beyond_the_tolerance_is_not():
    # Planted: topology.py (_place_assets): off = ~at_node & (part_of < 0) -> ~at_node |
    # (part_of < 0), part_of <= 0, part_of < 1 (mutants 160, 162, 163)
    # Planted: topology.py (_place_assets): the pipe search bound max(tol, 1e-9) ->
    # max(tol, 1.000000001) (mutant 71)
    # A (0,0)-(100,0) is part 0, B (0,50)-(100,50) part 1; their ends are nodes 0, 1 (the
    # starts) and 2, 3. V1 at (50,0) lies on A: a cut, node 4, never reported. V2 at
    # (50,50.8) is 0.8 m from B: beyond the 0.5 m tolerance, so left out (node -1) and
    # reported as 0.80 m from the nearest pipe. (A bound of about 1 m put V2 on B; treating
    # part 0 as "no pipe", or every asset off a node as off the network, reported V1 too.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 50), (100, 50)])],
            valves=[("V1", (50, 0)), ("V2", (50, 50.8))],
        )
    )
    assert topo.assets[["asset_id", "node_id"]].values.tolist() == [["V1", 4], ["V2", -1]]
    assert [(r["feature_id"], r["message"]) for r in rows(report, "valve_off_pipe")] == [
        (
            "V2",
            "valve farther than the snapping tolerance (0.5 m) from every pipe; left out of "
            "the network (0.80 m from the nearest pipe)",
        )
    ]
    assert edge_table(topo) == [(0, 4, 50.0), (4, 2, 50.0), (1, 3, 100.0)]


def test_valves_with_no_location_are_left_out_without_upsetting_the_others():
    # Planted: topology.py (_place_assets): ok = ~(missing | empty) -> ~(missing & empty)
    # (mutant 41)
    # Planted: topology.py (_place_assets): shapely.is_empty(geom) -> is_empty(None) (mutant
    # 43)
    # A (0,0)-(100,0). V0 has no geometry, V1 an empty point, V2 sits at (50,0): V0 and V1
    # stay in the asset table unplaced (-1), V2 cuts A as node 2. (Letting the empty point,
    # or the missing one, through as a location gave fewer coordinates than valves: build
    # failed.)
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])],
        valves=[("V0", (10, 0)), ("V1", (20, 0)), ("V2", (50, 0))],
    )
    valves = layers["valves"]
    layers["valves"] = valves.set_geometry([None, Point(), valves.geometry.iloc[2]])
    topo, report = build_topology(layers)
    assert topo.assets[["asset_id", "node_id"]].values.tolist() == [
        ["V0", -1],
        ["V1", -1],
        ["V2", 2],
    ]
    assert edge_table(topo) == [(0, 2, 50.0), (2, 1, 50.0)]
    assert rows(report, "valve_off_pipe") == []


# -- islands --------------------------------------------------------------------------------


def test_an_island_counts_the_customer_on_its_first_node_and_not_an_unattached_one():
    # Planted: topology.py (components_without_source): attached = node_id >= 0 -> > 0,
    # >= 1 (mutants 49, 50)
    # Planted: topology.py (components_without_source): attached -> None (mutant 46)
    # A (0,0)-(100,0) alone, no source: an island, nodes 0 (0,0) and 1 (100,0). C1 (3
    # households) at (0,0.2) is within the tolerance of A's start: it hangs on node 0.
    # C2 (5 households) at (50,200) is 200 m from A, beyond 60 m: unattached (-1). The
    # island has 1 pipe part, 1 customer, 3 households. (Leaving node 0 out lost C1: 0
    # customers; indexing with None counted C2 too, its -1 read as the last node, 1: 2
    # customers, 8 households.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])],
            customers=[("C1", (0, 0.2), 3), ("C2", (50, 200), 5)],
        )
    )
    assert topo.customers["node_id"].tolist() == [0, -1]
    assert [(r["feature_id"], r["message"]) for r in rows(report, "island")] == [
        ("A", f"{ISLAND} (1 pipe parts, 1 customers, 3 households)")
    ]
