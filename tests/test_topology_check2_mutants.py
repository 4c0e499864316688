"""topology.py (check_topology), the rest of its report rows word for word and where they are
drawn: pipes lying on one another (and the few centimetres of overlap that are no duplicate),
pipes of one class crossing without a junction, valves on a junction of three pipes, and the
islands no source reaches -- the mistakes mutation testing found no test would catch (`make
mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m; the expected rows and lines in comments, each test naming the
mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

from conftest import canonical, rows, xy
from shapely.geometry import LineString, MultiLineString, Point

from gasnet.topology import build_topology

DUPLICATE = "pipe lies on another pipe (duplicated or overlapping)"
CROSSING = "pipes of the same pressure class cross without a junction (not connected)"
ISLAND = "island with no source: these pipes cannot get gas with every valve open"


# -- duplicates ----------------------------------------------------------------------------


def test_an_overlap_of_exactly_the_tolerance_is_no_duplicate_and_no_line():
    # Planted: topology.py (check_topology): shared > tol -> shared >= tol (mutant 235)
    # The fault this found: with overlaps but none longer than the tolerance, the kind was
    # still added with no feature, so `gasnet build` printed "quality: 0 errors, 0 warnings"
    # and then "warning: pipes: pipe lies on another pipe ...; fix: ..." naming nothing.
    # S (-50,0)-(0,0) from source G; A (0,0)-(100,0); B (10,0)-(10.5,0)-(10.5,50) starts on
    # A (a T-junction) and runs along it for exactly 0.5 m (380010 to 380010.5, exact in
    # binary) before turning away: at most the tolerance is a junction drawn at an angle,
    # not a duplicate. No row, no line.
    _, report = build_topology(
        canonical(
            pipes=[
                ("S", [(-50, 0), (0, 0)]),
                ("A", [(0, 0), (100, 0)]),
                ("B", [(10, 0), (10.5, 0), (10.5, 50)]),
            ],
            sources=[("G", (-50, 0))],
        )
    )
    assert rows(report, "duplicate_pipe") == []
    assert [line for line in report.lines() if "lies on" in line] == []
    assert report.lines() == []


def test_an_overlap_longer_than_the_tolerance_is_drawn_as_the_whole_duplicate():
    # Planted: topology.py (check_topology): geometries=parts[db[big]] -> None, or left out
    # (mutants 242, 250)
    # As above, but B runs 0.6 m along A, (10,0)-(10.6,0)-(10.6,50): more than the 0.5 m
    # tolerance, a duplicate. One row on B (the later pipe of the pair) drawn as B's whole
    # line, its detail the length shared with A, "0.6 m".
    _, report = build_topology(
        canonical(
            pipes=[
                ("S", [(-50, 0), (0, 0)]),
                ("A", [(0, 0), (100, 0)]),
                ("B", [(10, 0), (10.6, 0), (10.6, 50)]),
            ],
            sources=[("G", (-50, 0))],
        )
    )
    assert rows(report, "duplicate_pipe") == [
        {
            "check": "duplicate_pipe",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": "B",
            "message": f"{DUPLICATE} (0.6 m shared with pipe A)",
            "geometry": LineString([xy(10, 0), xy(10.6, 0), xy(10.6, 50)]),
        }
    ]


# -- crossings -----------------------------------------------------------------------------


def test_a_crossing_is_drawn_where_the_pipes_cross_with_its_fix():
    # Planted: topology.py (check_topology): at = shapely.intersection(parts[a], parts[b])
    # -> None, intersection(None, ...), intersection(..., None) (mutants 281, 282, 283)
    # Planted: topology.py (check_topology): geometries=at -> None, or left out (mutants 292,
    # 300)
    # Planted: topology.py (check_topology): the fix "add the junction if they are joined, or
    # confirm they pass at different depths" -> None, left out, "XX...XX", capitals (mutants
    # 290, 298, 310, 311)
    # A (0,0)-(100,0) and B (50,-50)-(50,50), both MP-A, cross at (50,0) with no junction:
    # one warning on A (the first of the pair) naming B, drawn at the crossing point itself;
    # its whole line with the fix. (B, not joined to the source on A, is also an island.)
    _, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(50, -50), (50, 50)])],
            sources=[("S", (0, 0))],
        )
    )
    assert rows(report, "crossing") == [
        {
            "check": "crossing",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": "A",
            "message": f"{CROSSING} (crosses pipe B)",
            "geometry": Point(xy(50, 0)),
        }
    ]
    assert [line for line in report.lines() if "cross" in line] == [
        f"warning: pipes: {CROSSING} — feature A; fix: add the junction if they are joined, or "
        "confirm they pass at different depths"
    ]


# -- valves on junctions -------------------------------------------------------------------


def test_a_valve_on_a_junction_is_drawn_at_the_junction():
    # Planted: topology.py (check_topology): geometries=on_j.geometry -> None, or left out
    # (mutants 329, 337)
    # A, B and C meet at (0,0); V is digitised at (0.1,0.1), within the tolerance, so it
    # takes the junction node: its row is drawn at the node, (0,0), not where V was drawn.
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(0, 0), (-100, 0)]),
                ("C", [(0, 0), (0, 100)]),
            ],
            valves=[("V", (0.1, 0.1))],
            sources=[("S", (100, 0))],
        )
    )
    got = [(r["layer"], r["feature_id"], r["geometry"]) for r in rows(report, "valve_on_junction")]
    assert got == [("valves", "V", Point(xy(0, 0)))]


# -- islands -------------------------------------------------------------------------------


def test_an_island_row_is_drawn_as_all_its_pipe_parts_with_its_line_and_fix():
    # Planted: topology.py (check_topology): geom = shapely.multilinestrings(...) -> None,
    # geometries=[geom] -> None, or left out (mutants 437, 446, 454)
    # Planted: topology.py (check_topology): the layer "pipes" -> None, left out,
    # "XXpipesXX", "PIPES" (mutants 442, 450, 460, 461)
    # Planted: topology.py (check_topology): the message -> None, or left out (mutants 443,
    # 451)
    # Planted: topology.py (check_topology): the fix "draw the missing connection, or mark
    # the pipes planned / abandoned" -> None, or left out (mutants 444, 452)
    # Planted: topology.py (check_topology): ids=[first pipe of the island] left out (mutant
    # 453)
    # Source S on A (0,0)-(100,0). B (0,50)-(100,50) and C (100,50)-(100,100) join each other
    # but nothing fed; customer K (3 households) at (50,55) attaches to B at (50,50), cutting
    # it in two. One island of 3 pipe parts (B, B, C in edge order), 1 customer, 3
    # households; named by its first pipe, B, and drawn as the three parts.
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(0, 50), (100, 50)]),
                ("C", [(100, 50), (100, 100)]),
            ],
            sources=[("S", (0, 0))],
            customers=[("K", (50, 55), 3)],
        )
    )
    assert rows(report, "island") == [
        {
            "check": "island",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": "B",
            "message": f"{ISLAND} (3 pipe parts, 1 customers, 3 households)",
            "geometry": MultiLineString(
                [
                    [xy(0, 50), xy(50, 50)],
                    [xy(50, 50), xy(100, 50)],
                    [xy(100, 50), xy(100, 100)],
                ]
            ),
        }
    ]
    assert report.lines() == [
        f"warning: pipes: {ISLAND} — feature B; fix: draw the missing connection, or mark the "
        "pipes planned / abandoned"
    ]
