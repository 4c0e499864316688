"""topology.py, where an asset sits on a pipe drawn twice or on a pipe crossing another: the
direction each pipe takes at the asset (over half a metre either way, a quarter of a short
pipe, clipped to its ends) and the angle that tells a copy from a crossing; and customers
naming a pipe of several parts, or with no location -- the mistakes mutation testing found
no test would catch (`make mutants`, docs/mutants.md). Hand-drawn networks in local metres
(conftest.xy shifts them into EPSG:4545), tolerance 0.5 m unless said; the expected
directions, rows and lines in comments, each test naming the mutants it kills
(`# Planted: ...`).
"""

from __future__ import annotations

import numpy as np
from conftest import canonical, pipes_at, rows, xy
from shapely.geometry import Point

from gasnet.topology import build_topology

# -- a copy or a crossing: the direction at the asset --------------------------------------


def test_a_copy_is_judged_on_the_half_metre_around_the_valve_or_a_quarter_of_a_short_pipe():
    # Planted: topology.py (_duplicate_cuts): d = np.minimum(0.5, ...) -> np.minimum(1.5, ...)
    # (mutant 36)
    # Planted: topology.py (_duplicate_cuts): length / 4 -> length * 4 (mutant 37)
    # A (0,0)-(100,0) with valve V1 at (50,0). B, a copy of A that turns off it 0.6 m past
    # the valve: (20,10)-(30,0)-(50.6,0)-(50.6,-20). Along B the valve is at 34.14 m; half
    # a metre either way, 33.64..34.64 m, is (49.5,0)..(50.5,0): parallel to A, so B is a
    # copy and V1 is cut into it too. (Over 1.5 m the later point would be 0.9 m down
    # B's turn, (50.6,-0.9): cos = 2.1 / hypot(2.1, 0.9) = 0.92, a crossing.)
    # C (0,100)-(100,100) with valve V2 at (50,100). D, a 1.6 m stub (49.4,100)-(50.4,100)
    # -(50.4,99.4) from C's line (its start is a T-junction on C), turning 0.4 m past V2.
    # On a pipe under 2 m the window is a quarter of its length, 0.4 m: 0.2..1.0 m along D
    # is (49.6,100)..(50.4,100), parallel to C: V2 is cut into D too. (Over 0.5 m the later
    # point would be 0.1 m down the turn, (50.4,99.9): cos = 0.9 / hypot(0.9, 0.1) = 0.994.)
    # Neither valve is reported as drawn at a crossing; each sits on both copies.
    topo, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(20, 10), (30, 0), (50.6, 0), (50.6, -20)]),
                ("C", [(0, 100), (100, 100)]),
                ("D", [(49.4, 100), (50.4, 100), (50.4, 99.4)]),
            ],
            valves=[("V1", (50, 0)), ("V2", (50, 100))],
        )
    )
    assert rows(report, "asset_at_crossing") == []
    assert pipes_at(topo, "V1") == ["A", "A", "B", "B"]
    assert pipes_at(topo, "V2") == ["C", "C", "D", "D"]


def test_a_short_pipe_turning_within_a_quarter_of_its_length_crosses_the_valve():
    # Planted: topology.py (_duplicate_cuts): length / 4 -> length / 5 (mutant 38)
    # A (0,0)-(100,0) with valve V at (50,0). B, a 1.6 m stub (49.4,0)-(50.3,0)-(50.3,-0.7)
    # from A's line, turns 0.3 m past V. The window is a quarter of B, 0.4 m: 0.2..1.0 m
    # along B is (49.6,0)..(50.3,-0.1), cos = 0.7 / hypot(0.7, 0.1) = 0.990, below 0.999:
    # B crosses A there: V is put on one of them only (B, found nearest) and reported. (A
    # fifth, 0.32 m, would reach only (50.3,-0.02): cos = 0.62 / hypot(0.62, 0.02) =
    # 0.9995, a copy, and V would be cut into both.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(49.4, 0), (50.3, 0), (50.3, -0.7)])],
            valves=[("V", (50, 0))],
        )
    )
    assert [r["feature_id"] for r in rows(report, "asset_at_crossing")] == ["V"]
    assert pipes_at(topo, "V") == ["B", "B"]


def test_a_copy_starting_just_before_the_valve_is_still_a_copy():
    # Planted: topology.py (_duplicate_cuts): np.maximum(at - d, 0) -> np.maximum(at - d, 1)
    # (mutant 50)
    # Planted: topology.py (_duplicate_cuts): v / np.maximum(np.hypot(...), 1e-12) ->
    # v * np.maximum(...) (mutant 64), or np.maximum(..., 1.000000000001) (mutant 69)
    # Tolerance 0.1 m (so the valves are not on the copies' first nodes).
    # A (0,0)-(100,0) with valve V1 at (50,0); B (49.6,0)-(60,0), a copy of A starting 0.4 m
    # before V1 (a T-junction on A). On B the window 0.4 +- 0.5 m is clipped to B's start:
    # 0..0.9 m, a vector (0.9, 0) of length 0.9, made a unit vector: parallel to A
    # (cos = 1), a copy. (Not made a unit vector, cos = 0.9 or 0.9 * 0.9 = 0.81: a crossing.)
    # C (0,100)-(100,100) with valve V2 at (50,100); D (49.5,100)-(60,100), a copy starting
    # 0.5 m before V2: 0..1.0 m along D, parallel. (Clipped at 1 m rather than at 0, both
    # ends of the window fall on 1.0 m: a null vector, cos = 0, a crossing.)
    # Both valves sit on both copies; neither is reported.
    topo, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(49.6, 0), (60, 0)]),
                ("C", [(0, 100), (100, 100)]),
                ("D", [(49.5, 100), (60, 100)]),
            ],
            valves=[("V1", (50, 0)), ("V2", (50, 100))],
        ),
        snap_tolerance_m=0.1,
    )
    assert rows(report, "asset_at_crossing") == []
    assert pipes_at(topo, "V1") == ["A", "A", "B", "B"]
    assert pipes_at(topo, "V2") == ["C", "C", "D", "D"]


def test_a_valve_on_a_copy_and_one_at_a_crossing_are_judged_each_on_its_own():
    # Planted: topology.py (_duplicate_cuts): (...).sum(1) -> .sum(None) (mutant 72)
    # A and A2 are the same line (0,0)-(100,0), with valve V1 at (50,0): cos = 1, a copy,
    # V1 is cut into both. C (0,200)-(100,200) and D (30,150)-(30,250) cross at (30,200),
    # with valve V2 there: cos = 0, a crossing, V2 stays on one of them and is reported.
    # (Summing the products of both valves into one number, |±1 + 0| = 1, would pass V2
    # for a copy too, and mix up the two valves' cuts.)
    topo, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("A2", [(0, 0), (100, 0)]),
                ("C", [(0, 200), (100, 200)]),
                ("D", [(30, 150), (30, 250)]),
            ],
            valves=[("V1", (50, 0)), ("V2", (30, 200))],
        )
    )
    assert [r["feature_id"] for r in rows(report, "asset_at_crossing")] == ["V2"]
    assert pipes_at(topo, "V1") == ["A", "A", "A2", "A2"]
    assert len(set(pipes_at(topo, "V2"))) == 1


def test_a_pipe_at_exactly_the_limiting_angle_crosses():
    # Planted: topology.py (_duplicate_cuts): cos > 0.999 -> cos >= 0.999 (mutant 84)
    # Tolerance 0.01 m (C's first node is 0.45 m from V and 0.02 m off A). A (0,0)-(100,0)
    # with valve V at (50,0). C is a 1.79 m pipe of two equal legs along (vx, vy) =
    # (15410788436 * 2**-34, 86213600 * 2**-31) = (0.897, 0.0401) m, 2.56 degrees off A, its
    # first leg centred on V: P0 = V - v/2, P1 = V + v/2, E = P1 + v. Every coordinate is
    # exactly a double in EPSG:4545 (vx/2 and vy/2 are whole multiples of the spacing of
    # doubles at x = 380050 and at y = 3526000), and vx / hypot(vx, vy) rounds to 0.999
    # exactly (a pair found by scanning such multiples). C is under 2 m, so its window is a
    # quarter of it, |v|/2 either side of V: from P0 to P1, the vector v itself; A's
    # direction is (1, 0). cos = 0.999, not above 0.999: C crosses A at V, which stays on A
    # alone and is reported. (At or above 0.999, V would be cut into C too.)
    vx, vy = 15410788436 * 2.0**-34, 86213600 * 2.0**-31
    assert vx / np.hypot(vx, vy) == 0.999  # the fixture: exactly the limit
    c = [(50 - vx / 2, -vy / 2), (50 + vx / 2, vy / 2), (50 + 3 * vx / 2, 3 * vy / 2)]
    topo, report = build_topology(
        canonical(pipes=[("A", [(0, 0), (100, 0)]), ("C", c)], valves=[("V", (50, 0))]),
        snap_tolerance_m=0.01,
    )
    assert [r["feature_id"] for r in rows(report, "asset_at_crossing")] == ["V"]
    assert pipes_at(topo, "V") == ["A", "A"]


# -- customers -----------------------------------------------------------------------------


def test_a_customer_naming_a_pipe_of_two_parts_attaches_to_the_nearer_part():
    # Planted: topology.py (_attach_customers): .drop_duplicates("c") ->
    # .drop_duplicates(None) (mutant 129)
    # Pipe A has two parts: (0,0)-(100,0) and (0,50)-(100,50). Customer C at (50,45) names
    # A: it is 45 m from the first part and 5 m from the second; it attaches to the
    # second, 5 m away, at a new node (50,50) cut into it. (Keeping both candidate rows,
    # the later, farther one would win: 45 m, at (50,0) on the first part.)
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [[(0, 0), (100, 0)], [(0, 50), (100, 50)]])],
            customers=[("C", (50, 45), 1, False, "A")],
        )
    )
    assert topo.customers["attach_distance_m"].tolist() == [5.0]
    node = topo.customers["node_id"].iloc[0]
    assert topo.nodes.set_index("node_id").loc[node, "geometry"] == Point(xy(50, 50))


def test_a_customer_without_location_line_carries_its_fix():
    # Planted: topology.py (_attach_customers): the fix "add its location" -> None,
    # left out, "XX...XX" or capitals (mutants 330, 336, 346, 347)
    # A (0,0)-(100,0); C1 at (50,5) attaches to it; C2's point is blanked (None). C2 is
    # kept, unattached, and reported on the customers layer; its whole line ends with the
    # fix.
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (50, 5)), ("C2", (60, 5))]
    )
    layers["customers"].loc[1, "geometry"] = None
    topo, report = build_topology(layers)
    assert [line for line in report.lines() if "no location" in line] == [
        "warning: customers: customer has no location; kept but not attached (no supply) — "
        "feature C2; fix: add its location"
    ]
    assert topo.customers["node_id"].ge(0).tolist() == [True, False]
