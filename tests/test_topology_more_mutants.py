"""topology.py, more report lines word for word: the customers naming a pipe that is not on
the network, assets clashing on one point, regulators between pipes of one pressure class,
and the refusal of layers with unusable coordinates (its list of feature ids); and ids that
are not text (numbers, dates) named as pandas prints them -- the mistakes mutation testing
found no test would catch (`make mutants`, docs/mutants.md). Hand-drawn networks in local
metres (conftest.xy shifts them into EPSG:4545), tolerance 0.5 m; the expected rows and lines
in comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import canonical, rows, xy
from shapely.geometry import Point

from gasnet.errors import InputError
from gasnet.topology import build_topology

UNKNOWN_PIPE = (
    "customer names a pipe_id that is not on the network (not in the pipes layer, or left out "
    "of the network: see that pipe's row); attached to the nearest pipe instead"
)
CONFLICT = "valve on the same network point as another asset, which takes the node"
SAME_CLASS = (
    "regulator between pipes of the same (or unknown) pressure class: its direction is "
    "unknown, so gas is let through both ways"
)


# -- customers -----------------------------------------------------------------------------


def test_a_customer_naming_an_unknown_pipe_line_carries_its_fix():
    # Planted: topology.py (_attach_customers): the fix "correct the customer's pipe_id" ->
    # None, "XX...XX", capitals, or left out (mutants 86, 110, 111, 94)
    # A (0,0)-(100,0); C at (50,5) names pipe "NOPE", not in the layer: attached to A, the
    # nearest, and reported on the customers layer; its whole line ends with the fix.
    topo, report = build_topology(
        canonical(pipes=[("A", [(0, 0), (100, 0)])], customers=[("C", (50, 5), 1, False, "NOPE")])
    )
    assert [line for line in report.lines() if "pipe_id" in line] == [
        f"warning: customers: {UNKNOWN_PIPE} — feature C; fix: correct the customer's pipe_id"
    ]
    assert topo.customers["attach_distance_m"].tolist() == [5.0]


def test_a_customer_naming_its_pipe_as_text_among_numbered_pipes_is_reported_by_its_own_id():
    # Planted: topology.py (_attach_customers): parts_gdf["pipe_id"].to_numpy(object) ->
    # .to_numpy(None) (mutant 51)
    # Planted: topology.py (_attach_customers): customers["customer_id"].to_numpy(object)
    # [unknown] -> .to_numpy(None)[unknown] (mutant 112)
    # Pipe ids are integers: 7 (0,0)-(100,0) and 8 (100,0)-(200,0). Customer ids are dates
    # (a datetime64 column); 2024-01-01 at (50,5) names pipe "7" as text, which is no pipe id
    # (7 is not "7"); 2024-01-02 at (150,5) names nothing. Both attach to their nearest pipe,
    # 5 m away; the first is reported as pandas prints its id, "2024-01-01 00:00:00" (numpy's
    # datetime64 would print "2024-01-01T00:00:00.000000"), with the text it gave, '7'.
    # (Matching text ids against the pipes' integer array rather than their objects makes
    # pandas refuse the merge: a ValueError instead of the report.)
    layers = canonical(
        pipes=[(7, [(0, 0), (100, 0)]), (8, [(100, 0), (200, 0)])],
        customers=[("C1", (50, 5), 1, False, "7"), ("C2", (150, 5))],
    )
    layers["customers"]["customer_id"] = pd.to_datetime(["2024-01-01", "2024-01-02"])
    topo, report = build_topology(layers)
    got = [(r["feature_id"], r["message"], r["geometry"]) for r in rows(report, "unknown_pipe_id")]
    assert got == [("2024-01-01 00:00:00", f"{UNKNOWN_PIPE} (pipe_id '7')", Point(xy(50, 5)))]
    assert topo.customers["attach_distance_m"].tolist() == [5.0, 5.0]
    edge_pipe = topo.edges.set_index("edge_id")["pipe_id"]
    assert edge_pipe[topo.customers["edge_id"]].tolist() == [7, 8]


# -- assets --------------------------------------------------------------------------------


def test_two_valves_on_one_point_the_loser_is_named_as_pandas_prints_its_date_with_the_fix():
    # Planted: topology.py (_place_assets): the fix "move one of them to its true place" ->
    # None, "XX...XX", capitals, or left out (mutants 247, 263, 264, 255)
    # Planted: topology.py (_place_assets): a["asset_id"].to_numpy(object)[mine] ->
    # .to_numpy(None)[mine] (mutant 265)
    # Valve ids are dates (a datetime64 column); both valves are drawn at (50,0) on A
    # (0,0)-(100,0). The first, 2024-01-01, takes the node; the second, 2024-01-02, is
    # reported on the valves layer, named as pandas prints a date, "2024-01-02 00:00:00"
    # (numpy's datetime64 would print "2024-01-02T00:00:00.000000"), naming the winner the
    # same way; its whole line ends with the fix.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V1", (50, 0)), ("V2", (50, 0))])
    layers["valves"]["valve_id"] = pd.to_datetime(["2024-01-01", "2024-01-02"])
    topo, report = build_topology(layers)
    got = [(r["layer"], r["feature_id"], r["message"]) for r in rows(report, "asset_conflict")]
    assert got == [
        ("valves", "2024-01-02 00:00:00", f"{CONFLICT} (valve 2024-01-01 00:00:00)"),
    ]
    assert [line for line in report.lines() if "same network point" in line] == [
        f"warning: valves: {CONFLICT} — feature 2024-01-02 00:00:00; fix: move one of them to "
        "its true place"
    ]
    assert topo.assets["node_id"].tolist() == [2, -1]


def test_a_regulator_between_pipes_of_one_class_is_warned_at_its_node_with_the_fix():
    # Planted: topology.py (check_topology): the layer "regulators" -> None, "XXregulatorsXX",
    # "REGULATORS", or left out (mutants 410, 426, 427, 417)
    # Planted: topology.py (check_topology): the message -> None, "XX...XX", capitals, or
    # left out (mutants 411, 428, 429, 418)
    # Planted: topology.py (check_topology): the fix "correct the pressure classes of its
    # pipes, or move the regulator" -> None, "XX...XX", capitals, or left out (mutants 412,
    # 432, 433, 419)
    # Planted: topology.py (check_topology): geometries=bad.geometry -> None, or left out
    # (mutants 414, 421)
    # Source S at (0,0); A (0,0)-(100,0) and B (100,0)-(200,0) are both MP-A; regulator R at
    # their joint (100,0): no higher and lower class at it, its direction is unknown. One
    # warning on the regulators layer naming R, drawn at R's node; its whole line and fix.
    _, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])],
            sources=[("S", (0, 0))],
            regulators=[("R", (100, 0))],
        )
    )
    assert rows(report, "regulator_same_class") == [
        {
            "check": "regulator_same_class",
            "severity": "warning",
            "layer": "regulators",
            "feature_id": "R",
            "message": SAME_CLASS,
            "geometry": Point(xy(100, 0)),
        }
    ]
    assert [line for line in report.lines() if "pressure class" in line] == [
        f"warning: regulators: {SAME_CLASS} — feature R; fix: correct the pressure classes of "
        "its pipes, or move the regulator"
    ]


# -- unusable coordinates ------------------------------------------------------------------


def test_valves_with_unusable_coordinates_are_refused_naming_the_first_eight():
    # Planted: topology.py (_refuse_bad_coordinates): ", ".join -> "XX, XX".join (mutant 25)
    # Planted: topology.py (_refuse_bad_coordinates): [bad][:8] -> [bad][:9] (mutant 31)
    # A (0,0)-(100,0) is fine; valves V1..V9 sit at local x = 2e8, i.e. x = 200380000 in
    # EPSG:4545, beyond 1e8: no place on Earth. Refused before anything is built, naming the
    # first eight (V1..V8, not V9), comma-separated, and the problem of the first, V1 (its
    # y is 3526000 + 1).
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], valves=[(f"V{i}", (2e8, i)) for i in range(1, 10)]
    )
    with pytest.raises(InputError) as exc:
        build_topology(layers)
    assert str(exc.value) == (
        "valves: feature(s) V1, V2, V3, V4, V5, V6, V7, V8 have coordinates that are not "
        "usable numbers (x = 200380000, y = 3526001: beyond ±1e+08, no place on Earth); pass "
        "the layers through gasnet.validate.validate_layers first (gasnet ingest does), which "
        "reports and blanks them"
    )


def test_pipes_with_unusable_coordinates_are_refused_naming_their_dates_as_pandas_prints_them():
    # Planted: topology.py (_refuse_bad_coordinates): gdf[idf].to_numpy(object) ->
    # .to_numpy(None) (mutant 30)
    # Pipe ids are dates (a datetime64 column): 2024-01-01 (0,0)-(100,0) is fine,
    # 2024-01-02 (100,0)-(2e8,0) ends beyond 1e8 (vertex 2). Refused, naming the pipe as
    # pandas prints a date, "2024-01-02 00:00:00" (numpy's datetime64 would print
    # "2024-01-02T00:00:00.000000").
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (2e8, 0)])])
    layers["pipes"]["pipe_id"] = pd.to_datetime(["2024-01-01", "2024-01-02"])
    with pytest.raises(InputError) as exc:
        build_topology(layers)
    assert str(exc.value).startswith(
        "pipes: feature(s) 2024-01-02 00:00:00 have coordinates that are not usable numbers "
        "(vertex 2: x = 200380000, y = 3526000: beyond ±1e+08, no place on Earth); "
    )
