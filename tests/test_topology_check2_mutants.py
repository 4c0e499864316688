"""topology.py (check_topology), the rest of its report rows word for word and where they are
drawn: pipes lying on one another (and the few centimetres of overlap that are no duplicate),
pipes of one class crossing without a junction, valves on a junction of three pipes, and the
islands no source reaches -- the mistakes mutation testing found no test would catch (`make
mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m; the expected rows and lines in comments, each test naming the
mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

from conftest import canonical, xy
from shapely.geometry import LineString

from gasnet.topology import build_topology

DUPLICATE = "pipe lies on another pipe (duplicated or overlapping)"


def rows(report, check):
    return [r for r in report.rows if r["check"] == check]


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
