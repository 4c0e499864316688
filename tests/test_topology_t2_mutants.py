"""topology.py (check_topology): which pipe ends are warned as likely undershoots (only
in-service pipes, within 3 m or four tolerances), and which pairs of pipes are found lying on
one another or crossing (the shortcut that skips two straight pipes meeting at an angle must
not skip an overlap or a crossing) -- the mistakes mutation testing found no cheap test would
catch (`make mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy
shifts them into EPSG:4545), tolerance 0.5 m unless said; the expected rows worked out in
comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import canonical, rows, xy
from shapely.geometry import Point

from gasnet.topology import build_topology

UNDERSHOOT = "pipe ends within {} m of another pipe without joining it (likely undershoot)"
DUPLICATE = "pipe lies on another pipe (duplicated or overlapping)"
CROSSING = "pipes of the same pressure class cross without a junction (not connected)"


def _rows(report, check):
    return [(r["feature_id"], r["message"]) for r in rows(report, check)]


# -- undershoots ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a_status", "b_status", "warned"),
    [
        ("in_service", "in_service", True),
        ("planned", "in_service", False),
        ("in_service", "planned", False),
    ],
)
def test_an_undershoot_is_warned_only_between_in_service_pipes(a_status, b_status, warned):
    # Planted: check_topology: live = status == "in_service" -> !=, "XXin_serviceXX",
    # "IN_SERVICE" (x_check_topology__mutmut_7, 8, 9)
    # Planted: check_topology: e_live = edges' status == "in_service" -> !=, "XXin_serviceXX",
    # "IN_SERVICE" (mutmut_21, 22, 23)
    # Planted: check_topology: nodes' kind == "end" -> !=, "XXendXX", "END" (mutmut_27, 28,
    # 29)
    # Planted: check_topology: has = end_edge >= 0 -> > 0, >= 1 (mutmut_42, 43)
    # Planted: check_topology: the tree query's predicate="dwithin" -> None, or left out (a
    # bounding-box query) (mutmut_48, 51)
    # Planted: check_topology: ids != own pipe -> ==, and `& live` -> `| live` (mutmut_66, 62)
    # B (30,2)-(30,50) is drawn first (edge 0), A (0,0)-(100,0) second. B's loose end (30,2)
    # is 2 m from A (outside A's flat bounding box), within the 3 m reach: one warning on B,
    # "2.00 m from pipe A" -- when both pipes are in service. A planned A carries no gas and
    # is nothing to join; a planned B's end is no undershoot to fix: no row. No end is ever
    # warned about its own pipe (every end lies 0 m from it).
    layers = canonical(
        pipes=[
            ("B", [(30, 2), (30, 50)], "MP-A", b_status),
            ("A", [(0, 0), (100, 0)], "MP-A", a_status),
        ]
    )
    _, report = build_topology(layers)
    assert _rows(report, "undershoot") == (
        [("B", f"{UNDERSHOOT.format(3)} (2.00 m from pipe A)")] if warned else []
    )


@pytest.mark.parametrize(
    ("tol", "gap", "reach"),
    [(0.5, 2.9, 3), (0.5, 3.5, None), (2.0, 7.5, 8), (2.0, 8.5, None)],
)
def test_the_undershoot_reach_is_3_m_or_four_tolerances_whichever_is_more(tol, gap, reach):
    # Planted: check_topology: reach = max(3.0, 4 * tol) -> max(4.0, ...), 4 / tol, 5 * tol
    # (x_check_topology__mutmut_15, 16, 17)
    # A (0,0)-(100,0); B (30,gap)-(30,50) ends `gap` m short of A. Tolerance 0.5: reach
    # max(3, 2) = 3 m, so 2.9 m is warned ("within 3 m") and 3.5 m is not. Tolerance 2:
    # reach max(3, 8) = 8 m, so 7.5 m is warned ("within 8 m") and 8.5 m is not.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(30, gap), (30, 50)])])
    _, report = build_topology(layers, snap_tolerance_m=tol)
    assert _rows(report, "undershoot") == (
        [("B", f"{UNDERSHOOT.format(reach)} ({gap:.2f} m from pipe A)")] if reach else []
    )


def test_pipe_ids_given_as_dates_name_undershoots_and_crossings_as_pandas_prints_them():
    # Planted: check_topology: own_pipe = edges["pipe_id"].to_numpy(object) -> .to_numpy(None)
    # (x_check_topology__mutmut_58)
    # Planted: check_topology: pid = parts_gdf["pipe_id"].to_numpy(object) -> .to_numpy(None)
    # (mutmut_137)
    # Pipe ids as dates (a datetime64 column): A = 2024-01-01 (0,0)-(100,0); B = 2024-01-02
    # (50,-50)-(50,50) crosses A at (50,0); C = 2024-01-03 (30,2)-(30,50) ends 2 m short of A.
    # Every id reads as pandas prints a date, "2024-01-01 00:00:00" (numpy's datetime64
    # would print "2024-01-01T00:00:00.000000").
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(50, -50), (50, 50)]),
            ("C", [(30, 2), (30, 50)]),
        ]
    )
    layers["pipes"]["pipe_id"] = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    _, report = build_topology(layers)
    assert _rows(report, "undershoot") == [
        ("2024-01-03 00:00:00", f"{UNDERSHOOT.format(3)} (2.00 m from pipe 2024-01-01 00:00:00)")
    ]
    assert _rows(report, "crossing") == [
        ("2024-01-01 00:00:00", f"{CROSSING} (crosses pipe 2024-01-02 00:00:00)")
    ]


# -- duplicates and crossings --------------------------------------------------------------


def test_two_pipes_crossing_with_no_end_in_common_are_warned_once():
    # Planted: check_topology: keep = (a < b) & ... -> | (x_check_topology__mutmut_141)
    # Planted: check_topology: shared_s / shared_e with == -> != or `|` of the other test
    # (mutmut_156, 157, 160, 161)
    # A (0,0)-(100,0) and B (50,-50)-(50,50), both MP-A, share no end and cross at (50,0):
    # one warning, on A (the first of the pair), naming B, drawn at the crossing. (Taken for
    # two straight pipes meeting at one end at an angle, the pair was never looked at.)
    _, report = build_topology(
        canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(50, -50), (50, 50)])])
    )
    got = [(r["feature_id"], r["message"], r["geometry"]) for r in rows(report, "crossing")]
    assert got == [("A", f"{CROSSING} (crosses pipe B)", Point(xy(50, 0)))]


@pytest.mark.parametrize("b", [[(0, 0.4), (2, -0.4)], [(2, -0.4), (0, 0.4)]])
def test_two_straight_pipes_between_the_same_two_junctions_that_cross_are_warned(b):
    # Planted: check_topology: shared_s = (...) | (...) -> & ; shared_e likewise
    # (x_check_topology__mutmut_155, 159)
    # Planted: check_topology: one = shared_s ^ shared_e -> & (mutmut_163)
    # A (0,0)-(2,0); B (0,0.4)-(2,-0.4) (either way round). Their ends snap together within
    # 0.5 m, so A and B join the same two nodes -- both ends in common, not one -- yet they
    # cross at (1,0) (B heads 22 degrees off A). One crossing warning on A naming B.
    _, report = build_topology(canonical(pipes=[("A", [(0, 0), (2, 0)]), ("B", b)]))
    assert _rows(report, "crossing") == [("A", f"{CROSSING} (crosses pipe B)")]


@pytest.mark.parametrize("polyline_first", [False, True])
def test_a_bent_pipe_crossing_a_straight_one_it_starts_beside_is_warned(polyline_first):
    # Planted: check_topology: straight = (counts[a] == 2) & (counts[b] == 2) -> |, != 2, == 3
    # on either side (x_check_topology__mutmut_165, 166, 167, 168, 169)
    # A (0,0)-(100,0) is straight; B (0,0)-(50,20)-(50,-20) leaves the same junction, bends
    # back and crosses A at (50,0). Only its chord, (0,0) to (50,-20), is at an angle to A
    # (cos 0.93): B has three vertices, not two, so the pair must be looked at. One crossing
    # warning on the first drawn of the two, naming the other.
    pipes = [("A", [(0, 0), (100, 0)]), ("B", [(0, 0), (50, 20), (50, -20)])]
    if polyline_first:
        pipes.reverse()
    _, report = build_topology(canonical(pipes=pipes))
    first, other = ("B", "A") if polyline_first else ("A", "B")
    assert _rows(report, "crossing") == [(first, f"{CROSSING} (crosses pipe {other})")]


@pytest.mark.parametrize(
    "a", [[(0, 0), (100, 0)], [(100, 0), (0, 0)]], ids=["a-from-junction", "a-to-junction"]
)
@pytest.mark.parametrize(
    "b", [[(0, 0), (50, 0)], [(50, 0), (0, 0)]], ids=["b-from-junction", "b-to-junction"]
)
def test_a_straight_pipe_drawn_along_another_from_their_junction_is_a_duplicate(a, b):
    # Planted: check_topology: d = xy[last] - xy[first] -> +, xy[first + counts - 2]
    # (x_check_topology__mutmut_150, 153)
    # Planted: check_topology: da = where(shared_s, d[a], -d[a]) -> where(None, ...), +d[a]
    # (mutmut_171, 177)
    # Planted: check_topology: db = where(sn[b] == where(shared_s, sn[a], en[a]), d[b], -d[b])
    # -> where(None, ...), !=, where(None, ...), None for sn[a] or en[a], +d[b] (mutmut_179,
    # 185, 186, 187, 188, 192)
    # A is 100 m along the x axis from the junction (0,0); B 50 m along it from the same
    # junction, each drawn either way round. Both are straight with one end in common, but
    # seen from that end they head the same way (cos 1): B lies on A for 50 m. One warning
    # on B, the later of the pair, "50.0 m shared with pipe A".
    _, report = build_topology(canonical(pipes=[("A", a), ("B", b)]))
    assert _rows(report, "duplicate_pipe") == [("B", f"{DUPLICATE} (50.0 m shared with pipe A)")]


def test_a_pipe_without_an_id_is_no_duplicate_of_itself():
    # Planted: check_topology: keep = (a < b) & ... -> (a <= b) & ...
    # (x_check_topology__mutmut_142)
    # Pipe ids as floats, the middle one missing (NaN): a triangle 1 (0,0)-(100,0), NaN
    # (100,0)-(50,80), 3 (50,80)-(0,0), fed by source S at (0,0). Every node joins two
    # pipes (no loose end), nothing crosses or overlaps: no warning at all. (A part paired
    # with itself has NaN != NaN for ids and lies wholly on itself: "nan ... shared with pipe
    # nan".)
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("N", [(100, 0), (50, 80)]),
            ("C", [(50, 80), (0, 0)]),
        ],
        sources=[("S", (0, 0))],
    )
    layers["pipes"]["pipe_id"] = [1.0, np.nan, 3.0]
    _, report = build_topology(layers)
    assert report.rows == []
    assert report.lines() == []
