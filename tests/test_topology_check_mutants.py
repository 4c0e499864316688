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
from conftest import canonical, xy
from shapely.geometry import LineString

from gasnet.errors import InputError
from gasnet.topology import build_topology

COLLAPSED = (
    "pipe collapses to a point: its ends snap together within the snapping tolerance (0.5 m); "
    "left out of the network"
)


def rows(report, check):
    return [r for r in report.rows if r["check"] == check]


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
