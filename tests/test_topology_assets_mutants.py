"""topology.py, the assets and customers that do not land on the network: the report lines of
valves and stations off every pipe or drawn where two pipes cross, of customers when no pipe
is in service, and the stubs left out of a pipes layer carrying its own index columns -- for
the mistakes mutation testing found no test would catch (`make mutants`, docs/mutants.md).
Hand-drawn networks in local metres (conftest.xy shifts them into EPSG:4545), tolerance 0.5 m;
the expected rows and lines in comments.
"""

from __future__ import annotations

from conftest import canonical, rows, xy
from shapely.geometry import Point

from gasnet.topology import build_topology


def test_no_pipe_in_service_line_names_the_customer_on_its_layer_with_the_fix():
    # P is planned, the only pipe: no pipe carries gas, so C is kept but attached nowhere.
    # One warning on the customers layer naming C, at C's point; its whole line with the fix
    # "check the pipes' status values".
    layers = canonical(
        pipes=[("P", [(0, 50), (100, 50)], "MP-A", "planned")], customers=[("C", (50, 45))]
    )
    topo, report = build_topology(layers)
    (row,) = rows(report, "customer_unattached")
    assert row == {
        "check": "customer_unattached",
        "severity": "warning",
        "layer": "customers",
        "feature_id": "C",
        "message": "no pipe is in service: customer kept but not attached (no supply)",
        "geometry": Point(xy(50, 45)),
    }
    assert [line for line in report.lines() if "in service" in line] == [
        "warning: customers: no pipe is in service: customer kept but not attached (no "
        "supply) — feature C; fix: check the pipes' status values"
    ]
    assert topo.customers["node_id"].tolist() == [-1]


def test_asset_at_a_crossing_line_carries_its_fix():
    # A (0,0)-(100,0) and B (50,-50)-(50,50) cross at (50,0) without a junction; valve V is
    # drawn there: put on one of them, reported on the valves layer; its whole line and fix.
    _, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(50, -50), (50, 50)])],
            valves=[("V", (50, 0))],
        )
    )
    assert [line for line in report.lines() if "cross" in line and "valve" in line] == [
        "warning: valves: valve drawn where two pipes cross without a junction: it is put on "
        "one of them only (crossing pipes pass at different depths) — feature V; fix: move it "
        "onto the pipe it belongs to, or add the junction if the pipes meet"
    ]


def test_a_valve_off_the_network_halfway_between_two_pipes_is_one_row_at_its_point():
    # A (0,0)-(100,0) and B (0,10)-(100,10), both 100 m; valve V at (50,5) is exactly 5 m
    # from each (a tie for the nearest pipe; the conftest shift is whole metres, so both
    # distances are exactly 5): beyond the 0.5 m tolerance, left out. One row, drawn at V's
    # own point, "5.00 m from the nearest pipe" (one nearest pipe is taken, not both), and
    # its whole line with the fix.
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 10), (100, 10)])],
            valves=[("V", (50, 5))],
        )
    )
    (row,) = rows(report, "valve_off_pipe")
    assert row == {
        "check": "valve_off_pipe",
        "severity": "warning",
        "layer": "valves",
        "feature_id": "V",
        "message": "valve farther than the snapping tolerance (0.5 m) from every pipe; left "
        "out of the network (5.00 m from the nearest pipe)",
        "geometry": Point(xy(50, 5)),
    }
    assert [line for line in report.lines() if "snapping tolerance" in line] == [
        "warning: valves: valve farther than the snapping tolerance (0.5 m) from every pipe; "
        "left out of the network — feature V; fix: move it onto its pipe (or raise [network] "
        "snap_tolerance_m if the whole layer is offset)"
    ]
    assert topo.assets["node_id"].tolist() == [-1]


def test_a_stub_left_out_of_a_layer_with_its_own_index_columns():
    # The pipes layer carries columns "level_0" and "index" (what two reset_index() calls
    # leave in a notebook). S is a 0.3 m stub: reported as collapsed and dropped, the rest
    # renumbered; A and B stay, joined at (100,0): nodes 0-1-2. (Keeping the old row labels
    # as a column when dropping S would need a third such name and fail.)
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(100, 0), (200, 0)]),
            ("S", [(300, 0), (300.3, 0)]),
        ]
    )
    layers["pipes"] = layers["pipes"].reset_index().reset_index()
    assert {"level_0", "index"} <= set(layers["pipes"].columns)
    topo, report = build_topology(layers)
    assert [r["feature_id"] for r in rows(report, "collapsed_pipe")] == ["S"]
    assert topo.edges[["pipe_id", "u", "v"]].values.tolist() == [["A", 0, 1], ["B", 1, 2]]
