"""topology.py, how pipe parts are split into edges (_cut_parts): a valve on a vertex drawn
on the pipe (the repeated point dropped, in every piece), a valve within a metre of a part's
start with a vertex before it, and a T-junction just off a pipe's corner (the corner stays in
the edge before the junction) -- for the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts
them into EPSG:4545), tolerance 0.5 m; the expected edges in comments, each test naming the
mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pytest
from conftest import X0, Y0, canonical

from gasnet.topology import build_topology


def drawn(topo):
    """Per edge: its pipe, its u and v, and its points back in local metres (rounded)."""
    return [
        (r.pipe_id, r.u, r.v, [(round(x - X0, 6), round(y - Y0, 6)) for x, y in r.geometry.coords])
        for r in topo.edges.itertuples()
    ]


def test_valves_on_drawn_vertices_leave_no_repeated_point_in_any_edge():
    # Planted: topology.py (_cut_parts): rep = np.r_[False, ...] -> np.r_[True, ...] (mutant
    # 125), (piece[1:] == piece[:-1]) & ... -> | (126), == -> != (128), piece[:-1] ->
    # piece[:+1] (129), .all(1) -> .all(None) (131), xy ==  -> != (133), xy_e[:-1] ->
    # xy_e[:+1] (134); short = bincount(piece[~rep]) -> piece[rep] (142), < 2 -> <= 2 (143),
    # < 3 (144)
    # A (0,0)-(30,0)-(60,0)-(100,0) with valves V1 at (30,0) and V2 at (60,0), both exactly on
    # A's inner vertices. Along A the events are 0, 30 (vertex), 30 (V1 ending the first
    # piece), 30 (V1 starting the second), 60 (vertex), 60, 60, 100. Each valve repeats the
    # vertex it sits on, in the piece it ends: the repeat is dropped, three two-point edges
    # (nodes: 0 and 1 A's ends, 2 V1, 3 V2).
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (30, 0), (60, 0), (100, 0)])],
            valves=[("V1", (30, 0)), ("V2", (60, 0))],
        )
    )
    assert drawn(topo) == [
        ("A", 0, 2, [(0, 0), (30, 0)]),
        ("A", 2, 3, [(30, 0), (60, 0)]),
        ("A", 3, 1, [(60, 0), (100, 0)]),
    ]
    assert topo.edges["length_m"].tolist() == [30.0, 30.0, 40.0]


def test_a_valve_within_a_metre_of_the_start_comes_after_the_vertex_before_it_only_if_it_is():
    # Planted: topology.py (_cut_parts): np.clip(cs, 1e-9, ...) -> np.clip(cs, 1.000000001,
    # ...) (mutant 54)
    # A (0,0)-(0.9,0)-(100,0) with valve V at (0.8,0): 0.8 m from A's start node, beyond the
    # 0.5 m tolerance, so V cuts A 0.8 m along, before the vertex at 0.9 m. Edges
    # (0,0)-(0.8,0), 0.8 m, and (0.8,0)-(0.9,0)-(100,0), 99.2 m. (Pushed to 1 m, the cut
    # would follow the vertex: (0,0)-(0.9,0)-(0.8,0), 1.0 m, and (0.8,0)-(100,0).)
    topo, _ = build_topology(
        canonical(pipes=[("A", [(0, 0), (0.9, 0), (100, 0)])], valves=[("V", (0.8, 0))])
    )
    assert drawn(topo) == [
        ("A", 0, 2, [(0, 0), (0.8, 0)]),
        ("A", 2, 1, [(0.8, 0), (0.9, 0), (100, 0)]),
    ]
    assert topo.edges["length_m"].tolist() == pytest.approx([0.8, 99.2], abs=1e-9)


def test_a_t_junction_just_off_a_corner_keeps_the_corner_in_the_edge_before_it():
    # Planted: topology.py (_cut_parts): rank_e = [np.full(nv, -1), ...] -> np.full(nv, +1)
    # (mutant 96)
    # A (0,0)-(10,0)-(10,10), the first part, turns at (10,0). B starts at (10.3,-0.3),
    # 0.42 m off A's corner (within 0.5 m) and outside its angle: B's start is a T-junction
    # on A located exactly at the corner, 10 m along A, A's only (so first) cut. At one
    # position a vertex comes before a cut: A's first edge runs (0,0)-(10,0)-(10.3,-0.3),
    # 10 + 0.424 m, the second (10.3,-0.3)-(10,10), 10.304 m. (The cut before the vertex:
    # (0,0)-(10.3,-0.3) and (10.3,-0.3)-(10,0)-(10,10), the corner in the wrong edge.)
    # Nodes: 0 A's start, 1 B's start, 2 A's end, 3 B's end.
    topo, _ = build_topology(
        canonical(pipes=[("A", [(0, 0), (10, 0), (10, 10)]), ("B", [(10.3, -0.3), (20, -10)])])
    )
    assert drawn(topo)[:2] == [
        ("A", 0, 1, [(0, 0), (10, 0), (10.3, -0.3)]),
        ("A", 1, 2, [(10.3, -0.3), (10, 10)]),
    ]
    assert topo.edges["length_m"].tolist()[:2] == pytest.approx(
        [10 + 0.18**0.5, (0.3**2 + 10.3**2) ** 0.5], abs=1e-9
    )


def test_a_t_junction_at_a_corner_splits_the_pipe_alike_whatever_pipe_comes_before_it():
    # Fault found through mutant 31 (np.where(same, seg, 0.0) -> 1.0 survived): positions of
    # the vertices along a part were a running total over all parts less the part's start, so
    # their rounding depended on the parts before; a T-junction located on a corner (ties with
    # the corner: the vertex first) could be put before it. Now summed along each part alone,
    # as GEOS locates the cut.
    # A (0,0)-(28.2,29.6)-(58,29.6)-(58,39.6) turns at (58,29.6), 70.683 m along it (40.883 +
    # 29.8); B starts at (58.3,29.3), 0.42 m off the corner and outside its angle: a
    # T-junction on A located exactly at the corner. A's first edge runs through the corner
    # to B's start, 40.883 + 29.8 + 0.424 = 71.107 m, the second from there to A's end,
    # hypot(0.3, 10.3) = 10.304 m -- alone, and after P (0,100)-(15.8,101.6), an unrelated
    # pipe drawn first. (Before: after P the first edge skipped the corner, 70.984 m, and the
    # second went back through it, 10.424 m.)
    a = ("A", [(0, 0), (28.2, 29.6), (58, 29.6), (58, 39.6)])
    b = ("B", [(58.3, 29.3), (70, 20)])
    p = ("P", [(0, 100), (15.8, 101.6)])
    first_edge = (28.2**2 + 29.6**2) ** 0.5 + 29.8 + 0.18**0.5
    for pipes in ([a, b], [p, a, b]):
        topo, _ = build_topology(canonical(pipes=pipes))
        on_a = [e for e in drawn(topo) if e[0] == "A"]
        assert [pts for *_, pts in on_a] == [
            [(0, 0), (28.2, 29.6), (58, 29.6), (58.3, 29.3)],
            [(58.3, 29.3), (58, 39.6)],
        ]
        lengths = topo.edges.loc[topo.edges["pipe_id"] == "A", "length_m"].tolist()
        assert lengths == pytest.approx([first_edge, (0.3**2 + 10.3**2) ** 0.5], abs=1e-9)
