"""topology.py, where customers attach (``_attach_customers``): a customer naming the first
pipe part, customers layers without a pipe_id column or with whole-number pipe ids, a
customer with an empty location, the attachment on spatial partitions when a Dask session is
active, and the side of a valve a customer abreast of it goes to on a pipe drawn from south
to north (``_drawn_west_first``) -- the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts
them into EPSG:4545), tolerance 0.5 m; the expected tables and rows worked out in comments,
each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pytest
from conftest import canonical, in_process_session, rows
from shapely.geometry import Point

from gasnet import parallel
from gasnet.topology import build_topology

UNKNOWN_PIPE = (
    "customer names a pipe_id that is not on the network (not in the pipes layer, or left out "
    "of the network: see that pipe's row); attached to the nearest pipe instead"
)


def attached(topo):
    """customer_id -> (pipe of its edge, attach distance to the millimetre), or None."""
    pipe = topo.edges["pipe_id"].tolist()
    return {
        c: (pipe[e], round(d, 3)) if e >= 0 else None
        for c, e, d in topo.customers[["customer_id", "edge_id", "attach_distance_m"]].itertuples(
            index=False
        )
    }


# -- customers naming their pipe -----------------------------------------------------------


def test_a_customer_naming_the_first_pipe_attaches_to_it_though_another_is_nearer():
    # Planted: topology.py (_attach_customers): rest = ok & (part < 0) -> part <= 0, part < 1
    # (mutants 156, 157)
    # A (0,0)-(100,0) is part 0, B (0,20)-(100,20) part 1. C1 at (50,15) names A: it hangs on
    # A, 15 m away, though B is 5 m away; C2 at (50,3) names B: on B, 17 m away. (Taking
    # part 0 as "not attached yet", C1 went to the nearest pipe, B at 5 m.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 20), (100, 20)])],
            customers=[("C1", (50, 15), 1, False, "A"), ("C2", (50, 3), 1, False, "B")],
        )
    )
    assert attached(topo) == {"C1": ("A", 15.0), "C2": ("B", 17.0)}
    assert rows(report, "unknown_pipe_id") == []


def test_a_customers_layer_without_a_pipe_id_column_attaches_to_the_nearest_pipes():
    # Planted: topology.py (_attach_customers): `if "pipe_id" in customers` -> `... or True`
    # (KeyError), np.full(n, None) -> np.full(None, None), np.full(None), np.full(n, )
    # (TypeError) (mutants 34, 41, 42, 43)
    # A (0,0)-(100,0), B (0,20)-(100,20); the customers layer has no pipe_id column at all.
    # C1 at (30,4): A, 4 m away; C2 at (70,18): B, 2 m away.
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 20), (100, 20)])],
        customers=[("C1", (30, 4)), ("C2", (70, 18))],
    )
    layers["customers"] = layers["customers"].drop(columns="pipe_id")
    topo, report = build_topology(layers)
    assert attached(topo) == {"C1": ("A", 4.0), "C2": ("B", 2.0)}
    assert [r for r in report.rows if r["layer"] == "customers"] == []


def test_a_whole_number_pipe_id_that_is_not_on_the_network_is_named_as_a_number():
    # Planted: topology.py (_attach_customers): customers["pipe_id"].to_numpy(object) ->
    # to_numpy(None) (mutant 35)
    # Pipes 1 (0,0)-(100,0) and 2 (0,20)-(100,20); the customers' pipe_id column holds whole
    # numbers (int64). C1 at (50,3) names 2: on it, 17 m away. C2 at (50,15) names 7, not in
    # the layer: attached to the nearest pipe, 2 at 5 m, and reported as "pipe_id 7", the
    # number as the user wrote it. (As a numpy array of int64 the id is np.int64(7), and its
    # repr says so.)
    layers = canonical(
        pipes=[(1, [(0, 0), (100, 0)]), (2, [(0, 20), (100, 20)])],
        customers=[("C1", (50, 3), 1, False, 2), ("C2", (50, 15), 1, False, 7)],
    )
    assert str(layers["customers"]["pipe_id"].dtype) == "int64"
    topo, report = build_topology(layers)
    assert attached(topo) == {"C1": (2, 17.0), "C2": (2, 5.0)}
    assert [(r["feature_id"], r["message"]) for r in rows(report, "unknown_pipe_id")] == [
        ("C2", f"{UNKNOWN_PIPE} (pipe_id 7)")
    ]


# -- a customer with no location -----------------------------------------------------------


def test_a_customer_with_an_empty_point_is_reported_as_having_no_location():
    # Planted: topology.py (_attach_customers): ok = ~(is_missing(geom) | is_empty(geom)) ->
    # is_empty(None) (mutant 31)
    # A (0,0)-(100,0); C1 at (50,5) attaches to it, 5 m away. C2's point is empty (POINT
    # EMPTY): it has no location, so it is kept unattached (node -1, no distance) and
    # reported as such. (Taking an empty point as a location, C2 was searched for, found
    # nowhere, and reported as farther than 60 m -- "inf m away".)
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (50, 5)), ("C2", (0, 0))]
    )
    layers["customers"].loc[1, "geometry"] = Point()
    topo, report = build_topology(layers)
    assert attached(topo) == {"C1": ("A", 5.0), "C2": None}
    assert topo.customers["node_id"].tolist()[1] == -1
    assert [(r["feature_id"], r["message"]) for r in rows(report, "customer_unattached")] == [
        ("C2", "customer has no location; kept but not attached (no supply)")
    ]


# -- on a Dask session ---------------------------------------------------------------------


def test_customers_attach_on_partitions_when_a_session_is_active(monkeypatch):
    # Planted: topology.py (_attach_customers): _nearest(tree_live, parts[live_idx], ...) ->
    # _nearest(tree_live, None, ...) (mutant 163: the partitions need the pipes themselves)
    # A (0,0)-(100,0) in service, B (0,20)-(100,20) abandoned, D (0,-30)-(100,-30) in
    # service. chunk_rows=1, one worker (no client to ask): 3 customers, 3 partitions, one
    # "nearest" map. C1 at (50,12) is 8 m from B but B carries no gas: on A, 12 m; C2 at
    # (20,-25): D, 5 m; C3 at (80,2): A, 2 m -- as without Dask.
    s = in_process_session(chunk_rows=1)
    monkeypatch.setattr(parallel, "_SESSION", s)
    topo, _ = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(0, 20), (100, 20)], "MP-A", "abandoned"),
                ("D", [(0, -30), (100, -30)]),
            ],
            customers=[("C1", (50, 12)), ("C2", (20, -25)), ("C3", (80, 2))],
        )
    )
    assert attached(topo) == {"C1": ("A", 12.0), "C2": ("D", 5.0), "C3": ("A", 2.0)}
    assert s.log == [("nearest", 3)]


# -- a customer exactly abreast of a valve -------------------------------------------------


@pytest.mark.parametrize(
    ("drawn", "expected"),
    [
        # A drawn south to north, (0,0) -> (0,100): its ends share x, so the tie-break is
        # south, the first point: C goes before V along the drawing, on the (0,0) side.
        # Nodes: 0 the south end, 1 the north end, 2 V, 3 C: 0 -> C (50 m), C -> V (0 m),
        # V -> 1 (50 m). (Comparing a y with an x for the tie, it is never a tie, and C went
        # to the north side: 0 -> V -> C -> 1.)
        ([(0, 0), (0, 100)], [(0, 3, 50.0), (3, 2, 0.0), (2, 1, 50.0)]),
        # The same pipe drawn north to south: node 0 is now the north end; C is still on
        # the south side, after V along the drawing: 0 -> V (50 m), V -> C (0 m), C -> 1.
        ([(0, 100), (0, 0)], [(0, 2, 50.0), (2, 3, 0.0), (3, 1, 50.0)]),
    ],
    ids=["south-to-north", "north-to-south"],
)
def test_a_customer_abreast_of_a_valve_on_a_north_south_pipe_goes_to_the_south_side(
    drawn, expected
):
    # Planted: topology.py (_drawn_west_first): x0 == x1 -> y0 == x1, x0 == y1 (mutants 21,
    # 23)
    topo, report = build_topology(
        canonical(pipes=[("A", drawn)], valves=[("V", (0, 50))], customers=[("C", (10, 50))])
    )
    assert topo.assets["node_id"].tolist() == [2]
    assert topo.customers["node_id"].tolist() == [3]
    table = [
        (u, v, round(length, 3))
        for u, v, length in topo.edges[["u", "v", "length_m"]].itertuples(index=False)
    ]
    assert table == expected
    assert [r["feature_id"] for r in rows(report, "customer_at_valve")] == ["C"]
