"""topology.py's reports on the pipes themselves: the collapsed pipes (``_report_collapsed``:
the warnings, and the error when most pipes collapse) and the likely undershoots
(``check_topology``), word for word: the mistakes the full mutation-testing pass found no test
would catch (`make mutants`, docs/mutants.md). Hand-drawn networks in local metres
(conftest.xy shifts them into EPSG:4545), tolerance 0.5 m; the expected reports worked out
in comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pandas as pd
from conftest import canonical, xy
from shapely.geometry import LineString

from gasnet.topology import build_topology

COLLAPSED = (
    "pipe collapses to a point: its ends snap together within the snapping tolerance (0.5 m); "
    "left out of the network"
)


def rows(report, check):
    return [r for r in report.rows if r["check"] == check]


# -- collapsed pipes -----------------------------------------------------------------------


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
