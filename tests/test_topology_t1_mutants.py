"""topology.py, where customers attach (``_attach_customers``): which side of a valve a customer
is put on, which customers share a node, which are reported as sitting at a valve, and their
attach distances -- the mistakes mutation testing found no quick test would catch (`make
mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m unless said, customers within 60 m; the expected rows and nodes in
comments, each test naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import conftest
import numpy as np
import pytest
from conftest import canonical, rows

from gasnet.topology import build_topology

COLUMNS = ["customer_id", "node_id", "attach_distance_m"]


def _at_valve(report):
    return [r["feature_id"] for r in rows(report, "customer_at_valve")]


# -- customers around a valve on a pipe drawn from east to west ------------------------------


def test_customers_around_a_valve_on_a_pipe_drawn_east_to_west_keep_their_sides():
    # Planted: topology.py (_attach_customers): padded = np.r_[-np.inf, ...] -> +np.inf
    # (mutant 431); abreast = None (435); ckey - prev -> ckey + prev (440); abreast within
    # 0.01 -> 1.01 (443); tie within 1e-9 -> 1.000000001 (449); np.where(tie & west_first,
    # ...) -> tie | west_first (459); np.where(tie & ~west_first, s_in + nudge, ...) ->
    # np.where(None, ...) (467); side = k + (tie & ~west_first) -> k - (...) (477),
    # k + (tie | ~west_first) (478), k + (tie & west_first) (479); _runs_within(..., tol) ->
    # None (486); new_group from group[2:] (498), == (499), group[:+1] (500), group[:-2]
    # (501); gnode = base - group (509); attach_distance_m None (604), renamed (605, 606),
    # np.where(None, ...) (607), np.where(..., None, np.nan) (608)
    #
    # B is drawn from (100,0) to (0,0): its start is its east end (node 0), its end node 1.
    # Valve V at (50,0) is cut into B, 50 m along (node 2). Customers 4 m north of B, so
    # 4 m away, at positions along B: C3 at (50.3,4) -> 49.7 m (before V, its east side),
    # C1 at (50,4) -> 50 m, exactly abreast of V, C2 at (49.8,4) -> 50.2 m and C4 at
    # (20,4) -> 80 m (after V, its west side). C1's side is the convention "towards the
    # western end": after V, 1e-6 m beyond it (50.000001 m), and it is reported. C1 and C2
    # are 0.2 m apart on one side: one node; C3 is 0.3 m from C1 but across the valve: a
    # node of its own; C4 has its own. Customer nodes in order along B: C3 3, C1 = C2 4,
    # C4 5. Edges along B: 0-3 49.7 m, 3-2 0.3 m, 2-4 1e-6 m, 4-5 29.999999 m, 5-1 20 m.
    # (C2, 0.2 m from V, and C3, 0.3 m, are not "at" it.)
    topo, report = build_topology(
        canonical(
            pipes=[("B", [(100, 0), (0, 0)])],
            valves=[("V", (50, 0))],
            customers=[("C3", (50.3, 4)), ("C1", (50, 4)), ("C2", (49.8, 4)), ("C4", (20, 4))],
        )
    )
    assert topo.customers[COLUMNS].values.tolist() == [
        ["C3", 3, 4.0],
        ["C1", 4, 4.0],
        ["C2", 4, 4.0],
        ["C4", 5, 4.0],
    ]
    e = topo.edges
    assert e[["u", "v"]].values.tolist() == [[0, 3], [3, 2], [2, 4], [4, 5], [5, 1]]
    assert e["length_m"].tolist() == pytest.approx([49.7, 0.3, 1e-6, 30 - 1e-6, 20], abs=1e-8)
    assert _at_valve(report) == ["C1"]


def test_a_customer_at_a_valve_near_the_start_of_a_west_to_east_pipe_goes_just_before_it():
    # Planted: topology.py (_attach_customers): np.maximum(s_in - nudge, 0) ->
    # np.maximum(s_in - nudge, 1) (mutant 465)
    #
    # A (0,0)-(100,0), drawn west to east (nodes 0 and 1). Valve V at (0.8,0), 0.8 m along:
    # beyond the 0.5 m tolerance of node 0, so cut into A (node 2). Customer C at (0.8,3),
    # exactly abreast of V: by the convention it goes towards the western end, 1e-6 m
    # before V (0.799999 m, node 3). Edges: 0-3 0.799999 m, 3-2 1e-6 m, 2-1 99.2 m. (Held
    # at no less than 1 m, C went 0.2 m past V, on its other side: 0-2, 2-3, 3-1.)
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])],
            valves=[("V", (0.8, 0))],
            customers=[("C", (0.8, 3))],
        )
    )
    assert topo.customers[COLUMNS].values.tolist() == [["C", 3, 3.0]]
    e = topo.edges
    assert e[["u", "v"]].values.tolist() == [[0, 3], [3, 2], [2, 1]]
    assert e["length_m"].tolist() == pytest.approx([0.8 - 1e-6, 1e-6, 99.2], abs=1e-8)
    assert _at_valve(report) == ["C"]


# -- customers near valves at a pipe's ends ----------------------------------------------------


def test_only_customers_within_a_centimetre_of_a_valve_at_a_pipe_end_are_reported():
    # Planted: topology.py (_attach_customers): np.clip(s, eps, L - eps) -> upper bound None
    # (mutant 403) or L + eps (407); the end_asset test: `|` -> `&` between the two ends
    # (529), `(s <= 0.01) & isin(...)` -> `|` (530), s <= 1.01 (532), isin(None, ...) (533),
    # isin(start_node[pj], None) (534), `(L - s <= 0.01) & isin(...)` -> `|` (537), L + s
    # (538), L - s <= 1.01 (540), isin(None, ...) (541), isin(end_node[pj], None) (542)
    #
    # A (0,0)-(100,0), nodes 0 and 1, with valve VS on node 0 and VE on node 1 (no cut).
    # Customers 3 m north of A, at 0.005 m (C1), 0.8 m (C2), 50 m (C3), 99.2 m (C4) and
    # 99.995 m (C5) along it. None takes an end node: both are valves, so the customer
    # would be on the valve's wrong side. The ones near an end are kept at least the
    # tolerance inside A: C1 at 0.5 m, sharing a node with C2 (0.3 m on), C5 at 99.5 m,
    # sharing one with C4 (0.3 m before it). Nodes: C1 = C2 2 (0.5 m), C3 3, C4 = C5 4
    # (99.2 m). Edges 0-2 0.5 m, 2-3 49.5 m, 3-4 49.2 m, 4-1 0.8 m. C1 and C5 are within a
    # centimetre of a valve and reported; C2 and C4 (0.8 m away) and C3 are not.
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])],
            valves=[("VS", (0, 0)), ("VE", (100, 0))],
            customers=[
                ("C1", (0.005, 3)),
                ("C2", (0.8, 3)),
                ("C3", (50, 3)),
                ("C4", (99.2, 3)),
                ("C5", (99.995, 3)),
            ],
        )
    )
    assert topo.assets["node_id"].tolist() == [0, 1]
    assert topo.customers["node_id"].tolist() == [2, 2, 3, 4, 4]
    e = topo.edges
    assert e[["u", "v"]].values.tolist() == [[0, 2], [2, 3], [3, 4], [4, 1]]
    assert e["length_m"].tolist() == pytest.approx([0.5, 49.5, 49.2, 0.8], abs=1e-8)
    assert _at_valve(report) == ["C1", "C5"]


# -- customers on two pipes --------------------------------------------------------------------


def test_customers_on_two_pipes_never_share_a_node():
    # Planted: topology.py (_attach_customers): _runs_within(p_o * (len(akey) + 1) + side_o,
    # ...) -> p_o * (len(akey) - 1) (mutant 492)
    #
    # A (0,0)-(100,0) and B (0,50)-(100,50), apart. Nodes: the ends in input order, A's
    # start 0, B's start 1, A's end 2, B's end 3. Valve V at (50,0) is cut into A (node
    # 4). Ca at (80,3) is on A past V; Cb at (10,53) on B: both come after the one valve
    # cut in the order of all parts (the same "stretch" number, 1), but on different pipes:
    # Ca node 5 on A (80,0), Cb node 6 on B (10,50).
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 50), (100, 50)])],
            valves=[("V", (50, 0))],
            customers=[("Ca", (80, 3)), ("Cb", (10, 53))],
        )
    )
    c = topo.customers
    assert c[COLUMNS].values.tolist() == [["Ca", 5, 3.0], ["Cb", 6, 3.0]]
    assert topo.edges.loc[c["edge_id"], "pipe_id"].tolist() == ["A", "B"]


def test_a_customer_on_the_next_pipe_is_not_taken_for_one_at_the_valve():
    # Planted: topology.py (_attach_customers): offset = np.concatenate([[0.0], ...]) ->
    # [[1.0], ...] (mutant 415); np.cumsum(length + 1.0) -> length - 1.0 (417)
    #
    # Tolerance 1 mm. A (0,0)-(100,0) with valve V at (99.996,0): 4 mm from A's end, beyond
    # the tolerance, so cut into A 99.996 m along. B (0,50)-(100,50), a separate pipe:
    # customer C at (0.004,53), 4 mm along B, and D at (0.996,53), 0.996 m along. Neither
    # is anywhere near V (the other pipe): no customer_at_valve. Both attach to B, 3 m away,
    # at nodes of their own (0.992 m apart).
    topo, report = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)]), ("B", [(0, 50), (100, 50)])],
            valves=[("V", (99.996, 0))],
            customers=[("C", (0.004, 53)), ("D", (0.996, 53))],
        ),
        snap_tolerance_m=0.001,
    )
    assert _at_valve(report) == []
    c = topo.customers
    assert c["attach_distance_m"].tolist() == pytest.approx([3.0, 3.0])
    assert c["node_id"].nunique() == 2
    assert topo.edges.loc[c["edge_id"], "pipe_id"].tolist() == ["B", "B"]


# -- exactly at the limits (a network drawn at the origin, where a centimetre is exact) ---------


def test_a_customer_exactly_a_centimetre_from_a_valve_is_reported(monkeypatch):
    # Planted: topology.py (_attach_customers): abreast `<= 0.01` -> `< 0.01` (mutant 442);
    # the end_asset test `s <= 0.01` -> `s < 0.01` (531), `L - s <= 0.01` -> `< 0.01` (539)
    #
    # Local coordinates at the origin (conftest.X0 = Y0 = 0): positions along a pipe near its
    # start are then exact to far below a micrometre. Tolerance 1 mm. "Within a centimetre"
    # includes exactly 1 cm:
    # - B (0,0)-(100,0), the first pipe: valve VB at (0.004999999999999999,0), 5 mm along,
    #   cut into B; customer CB at (0.015,3) is 0.015 - 0.004999999999999999 = exactly 0.01
    #   (the double) past it.
    # - A (0,50)-(100,50): valve VA on A's start node; customer CA at (0.01,53), exactly
    #   0.01 along A.
    # - T (0,100)-(0.02,100), a 2 cm stub: valve VT on its end node; customer CT at
    #   (0.01,103), 0.01 along T, so 0.02 - 0.01 = exactly 0.01 from its end.
    # All three are reported as at a valve.
    monkeypatch.setattr(conftest, "X0", 0.0)
    monkeypatch.setattr(conftest, "Y0", 0.0)
    topo, report = build_topology(
        canonical(
            pipes=[
                ("B", [(0, 0), (100, 0)]),
                ("A", [(0, 50), (100, 50)]),
                ("T", [(0, 100), (0.02, 100)]),
            ],
            valves=[("VB", (0.004999999999999999, 0)), ("VA", (0, 50)), ("VT", (0.02, 100))],
            customers=[("CB", (0.015, 3)), ("CA", (0.01, 53)), ("CT", (0.01, 103))],
        ),
        snap_tolerance_m=0.001,
    )
    c = topo.customers
    assert topo.edges.loc[c["edge_id"], "pipe_id"].tolist() == ["B", "A", "T"]
    assert _at_valve(report) == ["CB", "CA", "CT"]


def test_a_customer_a_nanometre_before_a_valve_counts_as_at_it(monkeypatch):
    # Planted: topology.py (_attach_customers): tie `nxt - ckey <= 1e-9` -> `< 1e-9`
    # (mutant 448)
    #
    # Local coordinates at the origin (conftest.X0 = Y0 = 0), tolerance 0 ("exactly on").
    # E is drawn from (0,0) (node 0) west to (-100,0) (node 1). Valve V at (-1.5e-9,0) is
    # 1.5e-9 m along E, not on node 0: cut into E (node 2). Customer C at
    # (-4.999999999999999e-10,3) is exactly 1e-9 m (the double) before V along E: "exactly
    # at the cut", so on the side towards E's western end, 1e-6 m past V (node 3). Edges
    # 0-2, 2-3, 3-1; C is reported. (Taken as before V, C went onto 0-3 and V after it.)
    monkeypatch.setattr(conftest, "X0", 0.0)
    monkeypatch.setattr(conftest, "Y0", 0.0)
    topo, report = build_topology(
        canonical(
            pipes=[("E", [(0, 0), (-100, 0)])],
            valves=[("V", (-1.5e-9, 0))],
            customers=[("C", (-4.999999999999999e-10, 3))],
        ),
        snap_tolerance_m=0.0,
    )
    assert topo.assets["node_id"].tolist() == [2]
    assert topo.customers[COLUMNS].values.tolist() == [["C", 3, 3.0]]
    assert topo.edges[["u", "v"]].values.tolist() == [[0, 2], [2, 3], [3, 1]]
    assert _at_valve(report) == ["C"]


# -- attach distances --------------------------------------------------------------------------


def test_attach_distances_are_metres_and_nan_for_a_customer_without_location():
    # Planted: topology.py (_attach_customers): np.where(np.isfinite(dist), dist, np.nan) ->
    # np.where(..., None) (mutant 609); also None (604), renamed (605, 606), np.where(None,
    # ...) (607), np.where(..., None, np.nan) (608)
    #
    # A (0,0)-(100,0); C1 at (30,3) attaches 3 m away; C2's point is blanked (None): kept,
    # unattached, no distance (NaN, in a float column).
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (30, 3)), ("C2", (60, 3))]
    )
    layers["customers"].loc[1, "geometry"] = None
    topo, _ = build_topology(layers)
    d = topo.customers["attach_distance_m"]
    assert d.dtype == np.float64
    assert d.iloc[0] == pytest.approx(3.0)
    assert np.isnan(d.iloc[1])
