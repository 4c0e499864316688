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
from conftest import X0, canonical
from test_isolation import CUSTOMERS, PIPES, net_of

from gasnet.errors import UnknownAssetError
from gasnet.isolation import FlowGraph, _joined, customer_weights
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


# -- full pass (every mutant of isolation.py) -----------------------------------------------


def flow_of(kinds, links):
    """A FlowGraph from node kinds and in-service (u, v, pressure class) pipe parts."""
    ids = [f"N{i}" for i in range(len(kinds))]
    nodes = pd.DataFrame({"node_id": range(len(kinds)), "kind": kinds, "asset_id": ids})
    edges = pd.DataFrame(
        {
            "edge_id": range(len(links)),
            "u": [u for u, _, _ in links],
            "v": [v for _, v, _ in links],
            "status": "in_service",
            "pressure_class": pd.Series([c for _, _, c in links], dtype=object),
        }
    )
    return FlowGraph(nodes, edges)


def test_customer_weights_are_floats_and_a_blank_critical_is_not_critical():
    # Planted: isolation.py (customer_weights): customers["households"].to_numpy(float) ->
    #   .to_numpy(None)
    # Planted: isolation.py (customer_weights): customers["critical"].to_numpy(bool) ->
    #   .to_numpy(None)
    # An int households column gives float weights (3.0, 0.0, 2.0), not int64. A critical
    # flag left blank (None in an object column) counts as not critical, as operations'
    # .astype(bool) reads it: 1, 0, 0 (.astype(float) of the raw None is NaN).
    w = customer_weights(
        pd.DataFrame(
            {
                "critical": pd.Series([True, None, False], dtype=object),
                "households": np.array([3, 0, 2], np.int64),
            }
        )
    )
    assert w["households"].dtype == np.float64 and w["households"].tolist() == [3.0, 0.0, 2.0]
    assert w["critical"].dtype == np.float64 and w["critical"].tolist() == [1.0, 0.0, 0.0]


def test_the_count_columns_are_integers():
    # Planted: isolation.py (segment_table): own["customers"].astype(int) -> .astype(None)
    # Planted: isolation.py (segment_table): own["households"].astype(int) -> .astype(None)
    # Planted: isolation.py (segment_table): own["critical"].astype(int) -> .astype(None)
    # Planted: isolation.py (segment_table): loss["households_lost"].to_numpy().astype(int)
    #   -> .astype(None)
    # Planted: isolation.py (segment_table): fail[f"{k}_lost_if_fails"]...astype(int) and
    #   fail[f"extra_{k}_lost"]...astype(int) -> .astype(None)
    # Counts are whole numbers: int64 columns (INTEGER in the GeoPackage), not the float64 of
    # np.bincount's weighted sums and of the loss tables (astype(None) is float64; the value
    # checks above cannot tell, 1.0 == 1).
    crit = net_of().criticality()
    counts = ["customers", "households", "critical_customers"]
    counts += ["customers_lost", "households_lost", "critical_lost"]
    assert {c: str(crit.segments[c].dtype) for c in counts} == dict.fromkeys(counts, "int64")
    vcounts = [f"{k}_lost_if_fails" for k in ("customers", "households", "critical")]
    vcounts += [f"extra_{k}_lost" for k in ("customers", "households", "critical")]
    assert {c: str(crit.valves[c].dtype) for c in vcounts} == dict.fromkeys(vcounts, "int64")


def test_a_last_segment_without_customers_counts_zero():
    # Planted: isolation.py (segment_table): np.bincount(cseg[ok], weights=w[k][ok],
    #   minlength=S) -> minlength dropped
    # Without C1, segment 2 (C, behind VC) holds nobody: its counts are 0, and the table still
    # has its row (without minlength the counts stop at segment 1, the last with a customer,
    # and the table cannot be built). Isolating A loses H and C2 (2, 11 households), B loses
    # C2 (1, 10), C nobody.
    s = net_of(customers=CUSTOMERS[1:]).criticality().segments
    assert s["customers"].tolist() == [1, 1, 0]
    assert s["households"].tolist() == [1, 10, 0]
    assert s["critical_customers"].tolist() == [1, 0, 0]
    assert s["customers_lost"].tolist() == [2, 1, 0]
    assert s["households_lost"].tolist() == [11, 10, 0]


def test_a_segment_lists_its_pipe_parts_in_the_edges_order():
    # Planted: isolation.py (segment_table): np.argsort(seg_of_live, kind="stable") ->
    #   kind=None, and the argument dropped
    # Ten 100 m pipes left of V (L0..L9, x 0..1000) and ten right of it (R0..R9, x
    # 1000..2000), listed L0, R0, L1, R1, ...: the edges alternate between the two segments.
    # L0 is split at C1's attachment (x 50) and R9 at C2's (x 1950). Segment 0's parts start
    # at x 0, 50, 100, ..., 900 and segment 1's at 1000, ..., 1900, 1950: each in the edges'
    # order (numpy's default sort is not stable and mixes them).
    pipes = []
    for i in range(10):
        pipes += [(f"L{i}", [(100 * i, 0), (100 * i + 100, 0)])]
        pipes += [(f"R{i}", [(1000 + 100 * i, 0), (1100 + 100 * i, 0)])]
    layers = canonical(
        pipes=pipes,
        valves=[("V", (1000, 0))],
        sources=[("S", (0, 0))],
        customers=[("C1", (50, 5)), ("C2", (1950, 5))],
    )
    net, _ = build_network(layers)
    geoms = net.criticality().segments.geometry
    starts = [[round(p.coords[0][0] - X0) for p in g.geoms] for g in geoms]
    assert starts == [
        [0, 50, *range(100, 1000, 100)],
        [*range(1000, 2000, 100), 1950],
    ]


def test_a_regulator_with_a_blank_class_at_it_passes_gas_both_ways():
    # Planted: isolation.py (FlowGraph.__init__): (hi[regs] > lo[regs]) & (lo[regs] > 0) ->
    #   (hi[regs] > lo[regs]) | (lo[regs] > 0)
    # Planted: isolation.py (FlowGraph.__init__): lo[regs] > 0 -> lo[regs] >= 0
    # S(0) -blank- R(1) -MP-A- J(2): a pipe without a class could be the highest, so R's
    # direction is unknown (DESIGN.md, "Network semantics"): no outlet node (n = 3), and gas
    # from S on the blank side reaches R and J. Directed, the blank pipe would hang on R's
    # outlet (node 3) and S would feed that alone.
    fg = flow_of(["source", "regulator", "junction"], [(0, 1, None), (1, 2, "MP-A")])
    assert fg.n == 3 and fg.regulators.tolist() == []
    assert fg.supplied().tolist() == [True, True, True]


def test_a_regulator_between_pipes_of_one_class_gets_no_outlet():
    # Planted: isolation.py (FlowGraph.__init__): hi[regs] > lo[regs] -> hi[regs] >= lo[regs]
    # Planted: isolation.py (FlowGraph.__init__): np.full(self.n_nodes, -1, np.int64) ->
    #   np.full(self.n_nodes, -2, np.int64)
    # S(0) -MP-A- R(1) -MP-A- J(2): one class on both sides, so R's direction is unknown: no
    # outlet node, n stays 3, and every node's outlet is -1 (none).
    fg = flow_of(["source", "regulator", "junction"], [(0, 1, "MP-A"), (1, 2, "MP-A")])
    assert fg.n == 3 and fg.regulators.tolist() == []
    assert fg.outlet.tolist() == [-1, -1, -1]
    assert fg.supplied().tolist() == [True, True, True]


def test_two_directed_regulators_get_outlet_nodes_after_the_network_nodes():
    # Planted: isolation.py (FlowGraph.__init__): outlet[directed] = self.n_nodes +
    #   np.arange(len(directed)) -> self.n_nodes - np.arange(len(directed))
    # Planted: isolation.py (FlowGraph.__init__): self.kind = kind -> self.kind = None
    # S(0) -HP-A- RA(1) -MP-A- J(2) -MP-A- RB(3) -LP- E(4): both step the pressure down, so
    # both are directed; their outlets come after the 5 network nodes, RA's 5 and RB's 6
    # (n = 7). The parts below each one's class hang on its outlet: edge_u is 0, 5, 2, 6.
    # Gas reaches every flow node: S, RA, RA's outlet 5, J, RB, RB's outlet 6, E.
    kinds = ["source", "regulator", "junction", "regulator", "end"]
    links = [(0, 1, "HP-A"), (1, 2, "MP-A"), (2, 3, "MP-A"), (3, 4, "LP")]
    fg = flow_of(kinds, links)
    assert fg.kind.tolist() == kinds
    assert fg.n == 7 and fg.regulators.tolist() == [1, 3]
    assert fg.outlet.tolist() == [-1, 5, -1, 6, -1]
    assert fg.edge_u.tolist() == [0, 5, 2, 6] and fg.edge_v.tolist() == [1, 2, 3, 4]
    assert fg.supplied().all()


def test_warm_up_says_when_the_compiled_kernels_answer_wrongly(monkeypatch):
    # Planted: isolation.py (warm_up): RuntimeError("the isolation engine's compiled kernels
    #   give a wrong answer") -> RuntimeError(None), "XX...XX" and upper case
    # Cutting the gate's zone loses both customers of the tiny network; a kernel that answers
    # 1 customer instead is reported, naming what is wrong.
    from gasnet.isolation import IsolationEngine, warm_up

    monkeypatch.setattr(IsolationEngine, "lost_totals", lambda self, W: {"customers": 1.0})
    with pytest.raises(RuntimeError) as exc:
        warm_up()
    assert str(exc.value) == "the isolation engine's compiled kernels give a wrong answer"
