"""hazards.py: what a burst on a segment costs when its area must grow past a valve that
cannot close, for the mistakes mutation testing found no test would catch (`make mutants`,
docs/mutants.md, "Survivors still open"). Hand-drawn, answers worked in comments.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from gasnet import hazards
from gasnet.isolation import FlowGraph, IsolationEngine


def test_segment_consequence_keeps_the_segment_it_grew_from():
    # S(0)─e0─V(1)─e1─J(2)─e2─R(3)─e3─T(4): a station S; valve V, which cannot close; a
    # regulator R (MP-A in, LP out: gas flows from J to T only) and a second station T on
    # its LP side. Segments: A = {e0} (0), X = {e1, e2, e3} (1, joined through R). Customers
    # at S (1 household), J (10) and T (40). A burst on X: with X emptied, gas still lies
    # behind V (A, with S), so the area takes A as well; with A and X emptied nothing is
    # left: 3 customers, 51 households. (Once the area is A and X, nothing live lies behind
    # V: its side in X, R's inlet, has no gas of its own.) Taking A alone instead of A and X
    # would keep T's station running and lose S's and J's customers only (2, 11). If V could
    # close: X alone, J and T (2, 50).
    # Planted: hazards.py (segment_consequence): region |= new -> region = new
    nodes = pd.DataFrame(
        {
            "node_id": range(5),
            "kind": ["source", "valve", "junction", "regulator", "source"],
            "asset_id": ["S", "V", None, "R", "T"],
        }
    )
    edges = pd.DataFrame(
        {
            "edge_id": range(4),
            "u": [0, 1, 2, 3],
            "v": [1, 2, 3, 4],
            "status": "in_service",
            "pressure_class": ["MP-A", "MP-A", "MP-A", "LP"],
        }
    )
    weights = {"customers": np.ones(3), "households": np.array([1.0, 10.0, 40.0])}
    eng = IsolationEngine(FlowGraph(nodes, edges), np.array([0, 2, 4]), weights)
    passed = {}
    net = SimpleNamespace(engine=eng, valve_operable=np.array([False]))
    out = hazards.segment_consequence(net, [1], passed=passed)
    assert out.loc[1].tolist() == [3, 51]
    assert {k: v.tolist() for k, v in passed.items()} == {1: [0]}
    out = hazards.segment_consequence(net, [1], operable=np.array([True]))
    assert out.loc[1].tolist() == [2, 50]
