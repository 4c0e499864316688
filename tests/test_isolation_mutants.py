"""isolation.py: the criticality tables of the hand-drawn network of tests/test_isolation.py,
column by column, for the mistakes mutation testing found no test would catch (`make
mutants`, docs/mutants.md).

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)      (J4 at (100,100))

Segment 0 = A {P1 100, P2 to VA 50, P5 100, P7 to VB 50: 300 m} holds S and H (hospital, 1
household); 1 = B {P2 from VA 50, P6 100, P7 from VB 50, P3 100, P4 to VC 20: 320 m} holds
C2 (10); 2 = C {P4 from VC: 80 m} holds C1 (40).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import canonical
from test_isolation import CUSTOMERS, PIPES, net_of

from gasnet.errors import UnknownAssetError
from gasnet.isolation import _joined, customer_weights
from gasnet.network import build_network


def test_segments_table():
    # Isolating A stops S: all 3 customers (51 households, 1 critical) lose gas. Isolating
    # B loses C2 and C1 behind it (2, 50); C loses C1 (1, 40).
    crit = net_of().criticality()
    s = crit.segments
    assert s.index.name == "segment_id" and list(s.index) == [0, 1, 2]
    assert s["valve_ids"].tolist() == ["VA;VB", "VA;VB;VC", "VC"]
    assert s["source_ids"].tolist() == ["S", "", ""]
    assert s["customers"].tolist() == [1, 1, 1]
    assert s["households"].tolist() == [1, 10, 40]
    assert s["critical_customers"].tolist() == [1, 0, 0]
    assert s["customers_lost"].tolist() == [3, 2, 1]
    assert s["households_lost"].tolist() == [51, 50, 40]
    assert s["critical_lost"].tolist() == [1, 0, 0]
    assert s["length_m"].tolist() == [300.0, 320.0, 80.0]
    assert [round(g.length) for g in s.geometry] == [300, 320, 80]
    assert s.crs == "EPSG:4545"
    assert crit.customer_segment.to_dict() == {"C1": 2, "C2": 1, "H": 0}


def test_valve_criticality_table():
    # VA failing when B is isolated takes A too: everyone (3, 51, 1), one customer (H) more
    # than B's own loss. VC failing when C is isolated takes B: C2 and C1 (2, 50), C2 (1
    # customer, 10 households) more.
    v = net_of().criticality().valves
    assert v.loc["VA", "segment_ids"] == "0;1" and v.loc["VC", "segment_ids"] == "1;2"
    assert v.loc["VA", ["customers_lost_if_fails", "households_lost_if_fails"]].tolist() == [
        3,
        51,
    ]
    assert v.loc["VA", "critical_lost_if_fails"] == 1
    assert v.loc["VA", ["extra_customers_lost", "extra_households_lost"]].tolist() == [1, 1]
    assert v.loc["VA", "extra_critical_lost"] == 1
    assert v.loc["VC", ["customers_lost_if_fails", "households_lost_if_fails"]].tolist() == [
        2,
        50,
    ]
    assert v.loc["VC", ["extra_customers_lost", "extra_households_lost"]].tolist() == [1, 10]
    assert v.loc["VC", "extra_critical_lost"] == 0
    assert v["normally"].tolist() == ["open"] * 3 and v["operable"].tolist() == [True] * 3


def test_criticality_repr_worst_segment_and_subset():
    crit = net_of().criticality()
    assert crit.worst_segment == 0
    assert repr(crit) == (
        "<Criticality 3 segments, 3 valves; the worst segment, 0, cuts 3 customers (1 critical)>"
    )
    # VC bounds B and C: their rows, and the customers in them.
    sub = crit.subset("VC")
    assert list(sub.segments.index) == [1, 2] and list(sub.valves.index) == ["VC"]
    assert sub.customer_segment.to_dict() == {"C1": 2, "C2": 1}
    assert repr(sub) == (
        "<Criticality 2 segments, 1 valves; the worst segment, 1, cuts 2 customers (0 critical)>"
    )
    # one id twice is one row
    assert list(crit.subset(["VA", "VA"]).valves.index) == ["VA"]
    with pytest.raises(UnknownAssetError, match=r"valve\(s\) NOPE \(in valve_ids=\) have no "):
        crit.subset(["VA", "NOPE"])


def test_a_normally_closed_valve_is_listed_on_both_segments():
    # VC normally closed: C has no gas in the base state, so isolating C loses nobody, and
    # VC still bounds B and C (crews need every boundary valve).
    net = net_of(valves=[("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0), "closed")])
    crit = net.criticality()
    assert crit.segments["valve_ids"].tolist() == ["VA;VB", "VA;VB;VC", "VC"]
    assert crit.segments["customers_lost"].tolist() == [2, 1, 0]
    assert crit.valves.loc["VC", "normally"] == "closed"


def test_a_regulator_passes_gas_downstream_only():
    # P1 (MP-A) -R- P2 (LP): fed from the MP-A side, both customers have gas; fed from the
    # LP end, gas cannot pass R upwards: C1 on P1 has none.
    def supplied(source):
        layers = canonical(
            pipes=[("P1", [(0, 0), (100, 0)], "MP-A"), ("P2", [(100, 0), (200, 0)], "LP")],
            regulators=[("R", (100, 0))],
            sources=[("S", source)],
            customers=[("C1", (50, 5)), ("C2", (150, 5))],
        )
        net, _ = build_network(layers)
        # the regulator gets an outlet node of its own
        assert net.flow.n == net.flow.n_nodes + 1 and len(net.flow.regulators) == 1
        c = net.layers["customers"]
        return dict(zip(c["customer_id"], c["has_supply"], strict=True))

    assert supplied((0, 0)) == {"C1": True, "C2": True}
    assert supplied((200, 0)) == {"C1": False, "C2": True}


def test_flow_graph_supply_with_valves_closed():
    net = net_of()
    fg = net.flow
    base = fg.base_supply
    assert base[: fg.n_nodes].all()  # everything has gas
    closed = np.zeros(fg.n_nodes, bool)
    closed[fg.valves] = True  # VA, VB, VC closed: only A keeps gas
    after = fg.supplied(closed)
    assert after.sum() < base.sum()
    assert after[fg.sources].all()
    # closing nothing is the base state; the cached base state is not changed by a query
    assert (fg.supplied(np.zeros(fg.n_nodes, bool)) == base).all()
    assert (fg.base_supply == base).all()
    # a normally-closed valve set afterwards resets the cache
    fg.set_base_closed(fg.valves)
    assert (fg.base_supply == after).all()


def test_joined_and_weights():
    # keys 0..3: 0 -> {x}, 1 -> none, 2 -> {a, b}, 3 -> none.
    out = _joined(np.array([2, 0, 2, 2, 0]), np.array(["b", "x", "a", "b", "x"]), 4)
    assert out.tolist() == ["x", "", "a;b", ""]
    w = customer_weights(pd.DataFrame({"critical": [True, False], "households": [3, 0]}))
    assert w["customers"].tolist() == [1.0, 1.0]
    assert w["critical"].tolist() == [1.0, 0.0]
    assert w["households"].tolist() == [3.0, 0.0]


# -- held-out sample (--seed holdout) ------------------------------------------------------


def test_criticality_repr_without_segments():
    # No valve asked for: no segment, so no worst one to name.
    crit = net_of().criticality().subset([])
    assert crit.worst_segment is None
    assert repr(crit) == "<Criticality 0 segments, 0 valves>"


def test_warm_up_runs_every_compiled_kernel(monkeypatch):
    # Each kernel compiles on its first call: warm_up must call every numba kernel that the
    # engine calls from Python (the private ones, _certified and _inside, are called inside
    # the others). first_max_per_group runs only for segments bounded by a valve: a warm-up
    # network without its valve would leave it to the user's first run.
    from numba.core.registry import CPUDispatcher

    import gasnet._kernels as kernels
    from gasnet.isolation import warm_up

    called = set()

    def spy(name, kernel):
        def call(*args, **kwargs):
            called.add(name)
            return kernel(*args, **kwargs)

        return call

    public = sorted(
        n for n, f in vars(kernels).items() if isinstance(f, CPUDispatcher) and n[0] != "_"
    )
    for name in public:
        monkeypatch.setattr(kernels, name, spy(name, getattr(kernels, name)))
    warm_up()
    assert "first_max_per_group" in public and sorted(called) == public


# -- third sample (--seed third) -----------------------------------------------------------


def test_a_valve_off_the_network_has_no_criticality_and_the_error_says_where_to_look():
    # Planted: isolation.py (Criticality.subset): "or not on the network (see quality_issues:
    #   valve_off_pipe)" -> "XXor not on the network (see quality_issues: valve_off_pipe)XX"
    # VX at (150,30) is 30 m from P2 and 50 m from P5 and P6: off every pipe (valve_off_pipe
    # in the report), so it has no row; asking for it names it, why, and where to look.
    layers = canonical(
        pipes=PIPES,
        valves=[("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0)), ("VX", (150, 30))],
        sources=[("S", (0, 0))],
        customers=CUSTOMERS,
    )
    net, report = build_network(layers)
    assert [r["feature_id"] for r in report.rows if r["check"] == "valve_off_pipe"] == ["VX"]
    with pytest.raises(UnknownAssetError) as exc:
        net.criticality().subset(["VA", "VX"])
    assert str(exc.value) == (
        "valve(s) VX (in valve_ids=) have no criticality: unknown, or not on the network (see "
        "quality_issues: valve_off_pipe)"
    )
