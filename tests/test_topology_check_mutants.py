"""topology.py's reports on the pipes themselves: the collapsed pipes (``_report_collapsed``:
the warnings, and the error when most pipes collapse) and the likely undershoots
(``check_topology``), word for word: the mistakes the full mutation-testing pass found no test
would catch (`make mutants`, docs/mutants.md). Hand-drawn networks in local metres
(conftest.xy shifts them into EPSG:4545), tolerance 0.5 m; the expected reports worked out
in comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import canonical, rows, xy
from shapely.geometry import LineString, Point

from gasnet.errors import InputError
from gasnet.topology import build_topology

COLLAPSED = (
    "pipe collapses to a point: its ends snap together within the snapping tolerance (0.5 m); "
    "left out of the network"
)
UNDERSHOOT = "pipe ends within 3 m of another pipe without joining it (likely undershoot)"


# -- collapsed pipes -----------------------------------------------------------------------


def test_collapsed_pipes_are_warned_on_the_pipes_layer_in_the_order_drawn():
    # Planted: topology.py (_report_collapsed): the layer "pipes" -> "XXpipesXX", "PIPES",
    # None (mutants 114, 115, 96)
    # Planted: topology.py (_report_collapsed): groupby(..., sort=False) -> sort=True, or
    # sort left out (True by default) (mutants 26, 8)
    # A and B are real; S2 then S1 are 0.3 m stubs (drawn in that order): 2 of 4 is not most
    # of them, so two warnings on the pipes layer, S2 first as drawn (sorting the ids would
    # put S1 first), each at its own line.
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(100, 0), (200, 0)]),
                ("S2", [(300, 0), (300.3, 0)]),
                ("S1", [(400, 0), (400, 0.3)]),
            ]
        )
    )
    got = [(r["layer"], r["feature_id"], r["geometry"]) for r in rows(report, "collapsed_pipe")]
    assert got == [
        ("pipes", "S2", LineString([xy(300, 0), xy(300.3, 0)])),
        ("pipes", "S1", LineString([xy(400, 0), xy(400, 0.3)])),
    ]
    assert [line for line in report.lines() if "collapses" in line] == [
        f"warning: pipes: {COLLAPSED} — features S2, S1; fix: delete it if it is a digitising "
        "slip (the pipes at its ends are joined anyway), or redraw it"
    ]


def test_a_collapsed_pipe_without_an_id_counts_among_the_pipes():
    # Planted: topology.py (_report_collapsed): groupby(..., dropna=False) -> dropna=True, or
    # dropna left out (True by default) (mutants 27, 9)
    # A is real; S1 and a stub with no id collapse: 2 of 3 pipes, most of them -> the error.
    # (Dropping the pipe without an id from the count made it 1 of 2: not most, a warning.)
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("S1", [(300, 0), (300.3, 0)]),
            (None, [(400, 0), (400.3, 0)]),
        ]
    )
    with pytest.raises(InputError) as exc:
        build_topology(layers)
    assert str(exc.value).startswith(
        "pipes: 2 of 3 pipes collapse to a point when their ends are snapped within 0.5 m (S1, "
    )


@pytest.mark.parametrize(
    ("n", "shown", "span"),
    [(5, "P1, P2, P3, P4, P5", "400 × 4"), (6, "P1, P2, P3, P4, P5, ...", "500 × 5")],
)
def test_most_pipes_collapsing_lists_five_ids_and_says_when_there_are_more(n, shown, span):
    # Planted: topology.py (_report_collapsed): len(lost) > 5 -> >= 5, > 6 (mutants 81, 82)
    # Planted: topology.py (_report_collapsed): files = "" -> None, "XXXX" (mutants 54, 55)
    # Planted: topology.py (_report_collapsed): ".prj file) and [network] snap_tolerance_m"
    # -> "XX.prj file) and [network] snap_tolerance_mXX" (mutant 92)
    # n stubs of 0.2 m and nothing else: n of n collapse, an error. P_i runs (100 i, i) -
    # (100 i + 0.2, i): the layer spans 100 (n - 1) + 0.2 by n - 1 m, "400 × 4" for 5 and
    # "500 × 5" for 6. Five ids are listed; ", ..." only when there are more than five. No
    # source_file column: no files named, "pipes: ...".
    layers = canonical(
        pipes=[(f"P{i}", [(100 * i, i), (100 * i + 0.2, i)]) for i in range(1, n + 1)]
    )
    with pytest.raises(InputError) as exc:
        build_topology(layers)
    assert str(exc.value) == (
        f"pipes: {n} of {n} pipes collapse to a point when their ends are snapped within 0.5 m "
        f"({shown}); the whole layer spans {span} m — are the coordinates in degrees while the "
        "layer's CRS says metres? check crs = ... in [layers.pipes] (and the .prj file) and "
        "[network] snap_tolerance_m"
    )


def test_long_numeric_pipe_ids_are_named_exactly_when_one_id_is_missing():
    # Planted: topology.py (_report_collapsed): parts_gdf["pipe_id"].to_numpy(object) ->
    # .to_numpy(None) (mutant 13)
    # Pipe ids as nullable integers (Int64), one missing: A = 9007199254740992 (2**53) and
    # B = 7 are real; 9007199254740993 (2**53 + 1) and the one without an id are 0.3 m stubs.
    # 2 of 4 collapse (not most): two warnings, the stub named by its own id, exactly.
    # (As floats, with the missing id, 2**53 + 1 reads 2**53: the stub was counted with A,
    # one pipe not all of whose parts collapse, and went unreported.)
    # The fault this found: the stub was named by its group's label, which pandas had turned
    # into a float, "9007199254740992.0": the id of A, which stays on the network.
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("S", [(300, 0), (300.3, 0)]),
            ("B", [(100, 0), (200, 0)]),
            ("N", [(400, 0), (400.3, 0)]),
        ]
    )
    layers["pipes"]["pipe_id"] = pd.array([2**53, 2**53 + 1, 7, None], dtype="Int64")
    topo, report = build_topology(layers)
    assert sorted(topo.edges["pipe_id"]) == [7, 2**53]
    got = [(r["feature_id"], r["geometry"]) for r in rows(report, "collapsed_pipe")]
    assert got == [
        ("9007199254740993", LineString([xy(300, 0), xy(300.3, 0)])),
        ("<NA>", LineString([xy(400, 0), xy(400.3, 0)])),
    ]


# -- undershoots ---------------------------------------------------------------------------


def test_an_undershoot_is_warned_once_per_end_at_the_end_with_its_nearest_pipe():
    # Planted: topology.py (check_topology): .drop_duplicates("i") -> .drop_duplicates(None)
    # (mutant 75)
    # Planted: topology.py (check_topology): the layer "pipes" -> None, "XXpipesXX", "PIPES"
    # (mutants 90, 108, 109)
    # Planted: topology.py (check_topology): geometries=geoms(nodes)[ends[...]] -> None, or
    # left out (mutants 94, 102)
    # Planted: topology.py (check_topology): the fix "extend the pipe to the one it should
    # join, or confirm it is a dead end" -> None, "XX...XX", capitals, or left out (mutants
    # 92, 112, 113, 100)
    # Tolerance 0.5 m: the reach is max(3, 2) = 3 m. A (0,0)-(100,0); B (30,2)-(30,50);
    # C (32.5,1)-(80,50) (heading away from B). B's loose end (30,2) is 2 m from A and
    # hypot(2.5, 1) = 2.69 m from C (C's start is its nearest point); C's loose end (32.5,1)
    # is 1 m from A and 2.69 m from B (B's end is its nearest point). Each end is reported
    # once, with its nearest pipe, nearest first: C (1.00 m from A), then B (2.00 m from A),
    # at the end itself, on the pipes layer. (Dropping only repeated rows kept all four
    # pairs.) The tops (30,50) and (80,50) are far from everything.
    _, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(30, 2), (30, 50)]),
                ("C", [(32.5, 1), (80, 50)]),
            ]
        )
    )
    got = [
        (r["layer"], r["feature_id"], r["message"], r["geometry"])
        for r in rows(report, "undershoot")
    ]
    assert got == [
        ("pipes", "C", f"{UNDERSHOOT} (1.00 m from pipe A)", Point(xy(32.5, 1))),
        ("pipes", "B", f"{UNDERSHOOT} (2.00 m from pipe A)", Point(xy(30, 2))),
    ]
    assert [line for line in report.lines() if "undershoot" in line] == [
        f"warning: pipes: {UNDERSHOOT} — features C, B; fix: extend the pipe to the one it "
        "should join, or confirm it is a dead end"
    ]


def test_an_undershoot_names_the_other_pipe_as_its_own_row_names_it():
    # Planted: topology.py (check_topology): parts_gdf["pipe_id"].to_numpy(object)[best["j"]]
    # -> .to_numpy(None)[...] (mutant 127)
    # Pipe ids given as dates (a datetime64 column): A = 2024-01-01 (0,0)-(100,0), B =
    # 2024-01-02 (30,2)-(30,50), 2 m short of A. B's row and the pipe it names read the ids
    # the same way, as pandas prints a date: "2024-01-01 00:00:00". (numpy's datetime64
    # would print "2024-01-01T00:00:00.000000" in the detail only.)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(30, 2), (30, 50)])])
    layers["pipes"]["pipe_id"] = pd.to_datetime(["2024-01-01", "2024-01-02"])
    _, report = build_topology(layers)
    got = [(r["feature_id"], r["message"]) for r in rows(report, "undershoot")]
    assert got == [
        ("2024-01-02 00:00:00", f"{UNDERSHOOT} (2.00 m from pipe 2024-01-01 00:00:00)"),
    ]
