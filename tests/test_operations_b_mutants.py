"""operations.py: the sampled burst outline and the growth of the isolated area past a valve
that cannot close, for the mistakes mutation testing found no test would catch (`make
mutants`, docs/mutants.md, "Survivors still open"). Hand-drawn, answers worked in comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from gasnet.isolation import FlowGraph, IsolationEngine
from gasnet.operations import _outline, plan_isolation

# -- the outline of a city-wide outage (more than 20,000 vertices: a sampled hull) ------------


def _sampled_lattice():
    # 20,001 customers on a 10 m lattice, 142 rows of 142 (x = 10 i, y = 10 j, vertex 142 i
    # + j): more than 20,000, so the hull is of every 2nd vertex (20,001 // 20,000 + 1), the
    # even j. Its west edge is x = 0, its south edge y = 0 (rows j = 0, all in the sample).
    # Two vertices the sample leaves out are moved: vertex 1 (j = 1) to (-10, 10), 10 m west
    # of the hull, and vertex 201 (i = 1, j = 59) to (700, -20.5), 20.5 m south of it.
    xy = np.mgrid[0:142, 0:142].reshape(2, -1).T[:20_001].astype(float) * 10
    xy[1], xy[201] = (-10, 10), (700, -20.5)
    return _outline(np.array([], object), shapely.points(xy))


def test_outline_of_a_sampled_hull_widens_only_the_vertices_it_misses():
    # The hull widened by 25 m, less the 5 m (25 / 5) given back, holds every vertex within
    # 20 m of the hull: (-10, 10) is inside, so the west edge stays at x = -25 (no bulge to
    # -35 round it). (700, -20.5) is 20.5 m out, past the 20 m: it gets a 25 m disc of its
    # own, reaching y = -45.5 (at 25 / 6 m given back, 20.83 m, it would be left with 4.5 m).
    # Planted: operations.py (_outline): contains_xy(buffer(area, -margin / 5), ...) ->
    #   contains_xy(None, ...); buffer(None, -margin / 5); -margin * 5; -margin / 6
    poly = _sampled_lattice()
    assert poly.geom_type == "Polygon"
    assert poly.contains(Point(-20, 10)) and not poly.contains(Point(-30, 10))
    assert poly.bounds[0] == -25.0 and poly.bounds[1] == -45.5
    assert poly.contains(Point(700, -44))


def test_outline_draws_a_missed_vertex_as_a_16_sided_disc():
    # The disc of a vertex the hull missed has 4 sides a quarter circle (cheap to merge by
    # the thousand). Round (700, -20.5), its sides from (725, -20.5) and from (700 + 25 cos
    # 22.5°, -20.5 - 25 sin 22.5°) = (723.097, -30.067) cross the outline's south edge y =
    # -25 at 4.5 / 9.567 of the way: x = 725 - 1.903 x 0.470 = 724.105, and 675.895 to the
    # west; a 32-sided disc (8 a quarter) would cross at 724.557.
    # Planted: operations.py (_outline): buffer(points(outside), margin, quad_segs=4) -> no
    #   quad_segs (8)
    xy = shapely.get_coordinates(_sampled_lattice())
    feet = sorted(x for x, y in xy.tolist() if y == -25 and 600 < x < 800)
    s, c = math.sin(math.pi / 8), math.cos(math.pi / 8)
    t = 4.5 / (25 * s)
    foot = 25 - (25 - 25 * c) * t
    assert feet == pytest.approx([700 - foot, 700 + foot], abs=1e-6)
    assert feet == pytest.approx([675.895, 724.105], abs=1e-3)


# -- the isolated area grows past a valve that cannot close -----------------------------------


def test_plan_isolation_grows_past_a_failed_valve_to_the_station():
    # S(0)─e0─VA(1)─e1─J(2)─e2─VB(3)─e3─E(4); segments A = {e0} (S), B = {e1, e2}, C = {e3};
    # customers at J (in B) and at E (in C); valves VA (index 0), VB (1). A burst in B with
    # VA reported failed: with B emptied, gas still lies behind VA (A, with S), so the area
    # takes A too, and no more (nothing live lies behind VA once A and B are emptied, nor
    # behind VB: C has no gas of its own). The plan: VA skipped
    # (failed), VB no crew, no valve to close, S shut, both customers lose gas. Stopping at
    # B would have a crew close VA, which cannot close, and leave S running.
    # Planted: operations.py (plan_isolation): if not new: break -> if new: break
    nodes = pd.DataFrame(
        {
            "node_id": range(5),
            "kind": ["source", "valve", "junction", "valve", "junction"],
            "asset_id": ["S", "VA", None, "VB", None],
        }
    )
    edges = pd.DataFrame(
        {
            "edge_id": range(4),
            "u": [0, 1, 2, 3],
            "v": [1, 2, 3, 4],
            "status": "in_service",
            "pressure_class": "MP-A",
        }
    )
    eng = IsolationEngine(FlowGraph(nodes, edges), np.array([2, 4]), {"customers": np.ones(2)})
    failed = np.array([True, False])
    plan = plan_isolation(eng, eng.edge_zone[[1]], failed, failed)
    assert plan.segments == {0, 1}
    assert plan.actions == [(0, "skip_failed"), (1, "no_crew")]
    assert plan.close_nodes == [] and plan.source_nodes.tolist() == [0]
    assert plan.customers_lost.tolist() == [True, True]
