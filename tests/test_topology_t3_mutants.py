"""topology.py (check_topology): which pairs of pipes are looked at for duplicates and
crossings (the shortcut for two straight pipes meeting at an angle), which crossings are
reported, the valves on junctions, the regulators between pipes of one class and the island
row, each on a tiny hand-drawn network -- survivors of a quick mutation pass (`make mutants`,
docs/mutants.md). Local metres (conftest.xy shifts them into EPSG:4545), tolerance 0.5 m
unless said; the expected rows worked out in comments, each test naming the mutants it kills
(`# Planted: ...`).
"""

from __future__ import annotations

import pytest
from conftest import canonical, rows, xy
from shapely.geometry import LineString, MultiLineString, Point

from gasnet.topology import build_topology

DUPLICATE = "pipe lies on another pipe (duplicated or overlapping)"
CROSSING = "pipes of the same pressure class cross without a junction (not connected)"
ON_JUNCTION = "valve digitised on a junction of three or more pipes: closing it blocks them all"
SAME_CLASS = (
    "regulator between pipes of the same (or unknown) pressure class: its direction is "
    "unknown, so gas is let through both ways"
)
ISLAND = "island with no source: these pipes cannot get gas with every valve open"


# -- duplicates drawn from a shared end ----------------------------------------------------


@pytest.mark.parametrize(
    ("pipes", "tol", "shared", "b_line"),
    [
        # A (0,0)-(80,60) (100 m, diagonal), B (0,0)-(40,30) (50 m) drawn over A's first half
        # from their shared end (B's far end splits A), C (80,60)-(160,120) going on straight
        # from A's end. A and B, both straight and meeting at one end, point the same way from
        # it (cosine 1): they are looked at, and B lies on A for 50 m -> one row on B. (A and
        # C point opposite ways from their node, cosine -1: two pipes meeting, not looked at.)
        (
            [
                ("A", [(0, 0), (80, 60)]),
                ("B", [(0, 0), (40, 30)]),
                ("C", [(80, 60), (160, 120)]),
            ],
            0.5,
            "50.0",
            [(0, 0), (40, 30)],
        ),
        # Short pipes, tolerance 0.1 m: A (0,0)-(0.9,0), B (0,0)-(0.6,0) (its far end 0.3 m
        # from A's, so two nodes). Same direction from the shared end (cosine 1), 0.6 m shared
        # (> 0.1 m) -> one row on B.
        (
            [("A", [(0, 0), (0.9, 0)]), ("B", [(0, 0), (0.6, 0)])],
            0.1,
            "0.6",
            [(0, 0), (0.6, 0)],
        ),
    ],
    ids=["diagonal", "short"],
)
def test_a_pipe_drawn_over_another_from_their_shared_end_is_a_duplicate(pipes, tol, shared, b_line):
    # Planted: topology.py (check_topology): the cosine of the two pipes' directions at their
    # shared node, (da * db).sum(1) / max(|da| |db|, 1e-12) -> (da * db).sum(1) * max(...)
    # (mutant 194, short: 0.54 * 0.54 < 0.999, taken for an angle), .sum(None) (195,
    # diagonal: the sum over both pairs, 5000 - 10000, is negative), (da / db).sum(1) (196,
    # diagonal: (2 + 2) / 5000), |da| / |db| (202, short: 0.54 / 1.5), max(..., 1.000000000001)
    # (203, short: 0.54 / 1); plain = one & straight & (cos < 0.999) -> one & straight | ...
    # (205), one | ... (206), cos < 1.999 (208): each skips the pair as two pipes meeting at
    # an angle, and the duplicate goes unreported.
    _, report = build_topology(canonical(pipes=pipes), snap_tolerance_m=tol)
    assert rows(report, "duplicate_pipe") == [
        {
            "check": "duplicate_pipe",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": "B",
            "message": f"{DUPLICATE} ({shared} m shared with pipe A)",
            "geometry": LineString([xy(*p) for p in b_line]),
        }
    ]


def test_a_pipe_leaving_a_shared_end_at_the_angle_limit_that_crosses_the_other_is_reported():
    # Planted: topology.py (check_topology): cos < 0.999 -> cos <= 0.999 (mutant 207)
    # Two straight pipes meeting at one node are skipped as "meeting at an angle" only when
    # the cosine of their angle is below 0.999 (about 2.6 degrees); at 0.999 they are looked
    # at. A (0,0)-(100,0); B starts at (0.2,0.1), 0.22 m from A's start (one node), and runs
    # 50 m down at that very angle (its end found by search so that the cosine, as computed
    # from the drawn coordinates in EPSG:4545 with IEEE doubles and numpy's hypot, is exactly
    # 0.999), so it crosses A at about (2.44,0): one crossing row on A naming B.
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(0.2, 0.1), (50.14999983826419, -2.135508883278817)]),
            ],
            sources=[("S", (100, 0))],
        )
    )
    got = [(r["feature_id"], r["message"]) for r in rows(report, "crossing")]
    assert got == [("A", f"{CROSSING} (crosses pipe B)")]


# -- crossings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # Both MP-A, both in service: one row on A (the first of the pair) naming B.
        (("MP-A", "in_service"), ("MP-A", "in_service"), [("A", f"{CROSSING} (crosses pipe B)")]),
        # Different classes cross at different depths: no row.
        (("MP-A", "in_service"), ("LP", "in_service"), []),
        # A abandoned: no gas in it, no row.
        (("MP-A", "abandoned"), ("MP-A", "in_service"), []),
    ],
    ids=["same-class", "other-class", "abandoned"],
)
def test_crossings_are_reported_between_in_service_pipes_of_one_class_only(a, b, expected):
    # Planted: topology.py (check_topology): cross = (interiors == "0") & (cls[a] == cls[b])
    # & live[a] & live[b] -> None (mutant 273: every pair looked at, other-class), ... &
    # live[a] | live[b] (274, abandoned), ... | live[a] & live[b] (275, abandoned),
    # (interiors == "0") | ... (276, other-class), interiors != "0" (277, same-class),
    # == "XX0XX" (278, same-class), cls[a] != cls[b] (279, same-class and other-class);
    # plain = one & straight | (cos < 0.999) (205) and one | straight & (cos < 0.999) (206)
    # also skip the crossing pair (no shared node, cosine 0): same-class.
    # A (0,0)-(100,0) and B (50,-50)-(50,50) cross at (50,0) with no junction.
    _, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)], *a), ("B", [(50, -50), (50, 50)], *b)],
            sources=[("S", (0, 0))],
        )
    )
    got = [(r["feature_id"], r["message"]) for r in rows(report, "crossing")]
    assert got == expected
    assert [r["geometry"] for r in rows(report, "crossing")] == [Point(xy(50, 0))] * len(got)


# -- valves on junctions -------------------------------------------------------------------


def test_only_a_valve_on_a_junction_of_three_pipes_is_warned():
    # Planted: topology.py (check_topology): (kind == "valve") & (degree >= 3) -> | (mutant
    # 313), kind != "valve" (316), "XXvalveXX" (317), "VALVE" (318), degree > 3 (321),
    # degree >= 4 (322)
    # S on A (-100,0)-(0,0); B (0,0)-(100,0) and C (0,0)-(0,100) meet A at (0,0), where V1
    # sits: a valve on a junction of 3 pipes. D (100,0)-(200,0) and E (100,0)-(100,100) meet
    # B at (100,0): a junction of 3 with no valve. V2 at (150,0) on D: a valve between two
    # pieces of one pipe. One row, on V1, "3 pipes".
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(-100, 0), (0, 0)]),
                ("B", [(0, 0), (100, 0)]),
                ("C", [(0, 0), (0, 100)]),
                ("D", [(100, 0), (200, 0)]),
                ("E", [(100, 0), (100, 100)]),
            ],
            valves=[("V1", (0, 0)), ("V2", (150, 0))],
            sources=[("S", (-100, 0))],
        )
    )
    got = [(r["layer"], r["feature_id"], r["message"]) for r in rows(report, "valve_on_junction")]
    assert got == [("valves", "V1", f"{ON_JUNCTION} (3 pipes)")]


# -- regulators ----------------------------------------------------------------------------


def test_only_a_regulator_between_pipes_of_one_class_is_warned():
    # Planted: topology.py (check_topology): rank = pressure_rank(...) -> None (mutant 358),
    # pressure_rank(None) (359) (both crash on a network with a regulator); nodes["kind"] ==
    # "regulator" -> != (366: the source and the ends are warned), "XXregulatorXX" (367),
    # "REGULATOR" (368) (no warning at all)
    # S on A (0,0)-(100,0) MP-A; R1 at (100,0) between A and B (100,0)-(200,0) LP: a step
    # down, fine. R2 at (200,0) between B and C (200,0)-(300,0), both LP: one row, on R2.
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)], "MP-A"),
                ("B", [(100, 0), (200, 0)], "LP"),
                ("C", [(200, 0), (300, 0)], "LP"),
            ],
            sources=[("S", (0, 0))],
            regulators=[("R1", (100, 0)), ("R2", (200, 0))],
        )
    )
    assert rows(report, "regulator_same_class") == [
        {
            "check": "regulator_same_class",
            "severity": "warning",
            "layer": "regulators",
            "feature_id": "R2",
            "message": SAME_CLASS,
            "geometry": Point(xy(200, 0)),
        }
    ]


# -- islands -------------------------------------------------------------------------------


def test_a_lone_pipe_with_no_source_is_an_island_drawn_as_its_line_with_its_fix():
    # Planted: topology.py (check_topology): geom = shapely.multilinestrings(...) -> None
    # (mutant 437), geometries=[geom] -> None or left out (446, 454); the layer "pipes" ->
    # None, "XXpipesXX", "PIPES" (442, 460, 461); the fix "draw the missing connection, or
    # mark the pipes planned / abandoned" -> None, left out, "XX...XX", capitals (444, 452,
    # 464, 465)
    # A (0,0)-(100,0) and no source: one island of 1 pipe part, no customers, named A and
    # drawn as A's line; one line in the report, with the fix.
    _, report = build_topology(canonical(pipes=[("A", [(0, 0), (100, 0)])]))
    assert rows(report, "island") == [
        {
            "check": "island",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": "A",
            "message": f"{ISLAND} (1 pipe parts, 0 customers, 0 households)",
            "geometry": MultiLineString([[xy(0, 0), xy(100, 0)]]),
        }
    ]
    assert report.lines() == [
        f"warning: pipes: {ISLAND} — feature A; fix: draw the missing connection, or mark the "
        "pipes planned / abandoned"
    ]
