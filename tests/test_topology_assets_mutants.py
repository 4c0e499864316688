"""topology.py, the assets and customers that do not land on the network: the report lines of
valves and stations off every pipe or drawn where two pipes cross, of customers when no pipe
is in service, and the stubs left out of a pipes layer carrying its own index columns -- for
the mistakes mutation testing found no test would catch (`make mutants`, docs/mutants.md).
Hand-drawn networks in local metres (conftest.xy shifts them into EPSG:4545), tolerance 0.5 m;
the expected rows and lines in comments.
"""

from __future__ import annotations

from conftest import canonical, xy
from shapely.geometry import Point

from gasnet.topology import build_topology


def rows(report, check):
    return [r for r in report.rows if r["check"] == check]


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
