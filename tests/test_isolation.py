"""Isolation on hand-drawn networks (issue 4); expected answers worked out in the comments.

Local metres, tolerance 0.5 m. The main fixture:

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)      (J4 at (100,100))

Segments: A = {P1, P2 to VA, P5, P7 to VB} (holds the source S);
          B = {P2 from VA, P6, P7 from VB, P3, P4 to VC}; C = {P4 from VC} (dead end).
Customers: C1 (40 households) on P4 behind VC; C2 (10) on P3; H (hospital) on P5.
"""

from __future__ import annotations

import pytest
from conftest import canonical

from gasnet.errors import OffNetworkError, UnknownAssetError
from gasnet.network import build_network

PIPES = [
    ("P1", [(0, 0), (100, 0)]),
    ("P2", [(100, 0), (200, 0)]),
    ("P3", [(200, 0), (300, 0)]),
    ("P4", [(300, 0), (400, 0)]),
    ("P5", [(100, 0), (100, 100)]),
    ("P6", [(200, 0), (200, 100)]),
    ("P7", [(100, 100), (200, 100)]),
]
CUSTOMERS = [("C1", (350, 10), 40), ("C2", (250, 10), 10), ("H", (110, 50), 1, True)]


def net_of(pipes=PIPES, valves=None, sources=None, customers=CUSTOMERS, regulators=()):
    valves = (
        valves if valves is not None else [("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0))]
    )
    layers = canonical(
        pipes=pipes,
        valves=valves,
        sources=sources or [("S", (0, 0))],
        customers=customers,
        regulators=regulators,
    )
    net, _ = build_network(layers)
    return net


def lost_ids(net, valves):
    return sorted(net.isolate(valves).customers.index)


def segment_of(net, customer):
    crit = net.criticality()
    return crit.segments.loc[crit.customer_segment[customer]]


def test_a_loop_closure_isolates_nothing():
    # Closing VA alone: J2 still gets gas round the loop J1-J4-J5-J2.
    net = net_of()
    assert lost_ids(net, ["VA"]) == []
    # Closing both VA and VB cuts segment B off, and C behind it: C1 and C2.
    assert lost_ids(net, ["VA", "VB"]) == ["C1", "C2"]


def test_a_dead_end_branch():
    # VC is the only way into P4's tail: closing it loses C1 alone.
    net = net_of()
    assert lost_ids(net, ["VC"]) == ["C1"]
    table = net.isolate(["VC"]).customers
    assert [table.index.name, *table.columns] == [
        "customer_id",
        "name",
        "kind",
        "critical",
        "households",
        "segment_id",
        "geometry",
    ]
    assert table["households"].tolist() == [40]


def test_segments_and_their_losses():
    net = net_of()
    crit = net.criticality()
    segs, valves = crit.segments, crit.valves
    assert len(segs) == 3
    a, b, c = (segment_of(net, x) for x in ("H", "C2", "C1"))
    # A holds the source: isolating A closes VA and VB and stops S (issue 7: the station
    # feeds into A, so taking the gas out of A stops it). Everyone loses gas: H inside A,
    # C2 and C1 behind: 3 customers, 1 + 10 + 40 = 51 households, the hospital.
    assert (a.valve_ids, a.source_ids, a.customers_lost, a.households_lost) == ("VA;VB", "S", 3, 51)
    assert a.critical_customers == 1 and a.critical_lost == 1
    # B: closing VA, VB, VC loses B (C2) and C behind it (C1).
    assert (b.valve_ids, b.source_ids, b.customers_lost, b.households_lost) == (
        "VA;VB;VC",
        "",
        2,
        50,
    )
    # C: closing VC loses C1 only. Lengths: C is P4 from x=320 to 400.
    assert (c.valve_ids, c.customers_lost, c.households_lost) == ("VC", 1, 40)
    assert c.length_m == pytest.approx(80)
    by_id = valves
    # VC fails. Burst in C: gas still reaches VC from B, so B is isolated too: C1 + C2 lost,
    # 1 more than C's own 1. Burst in B: nothing live behind VC (C is fed through B), so
    # B alone: 2, nothing added. Worst side: 2 lost either way, C's adds more: (2, 1).
    assert (
        by_id.loc["VC", "customers_lost_if_fails"],
        by_id.loc["VC", "extra_customers_lost"],
    ) == (
        2,
        1,
    )
    # VA fails. Burst in B: S still feeds VA through A, so A is isolated too and S stops:
    # all 3 lost, 1 more (H) than B's own 2. Burst in A: B behind VA has no other supply,
    # so A alone: 3, nothing added. Worst side: 3 either way, B's adds H: (3, 1, critical 1).
    va = by_id.loc["VA"]
    assert (va.customers_lost_if_fails, va.extra_customers_lost, va.extra_critical_lost) == (
        3,
        1,
        1,
    )


def test_a_regulator_lets_gas_only_flow_down():
    # MP source S1 at (0,0), MP pipe P1 to regulator R at (100,0), LP pipe P2 to (200,0) where
    # an LNG station S2 also feeds the LP side. V1 on P1 at (20,0).
    # Closing V1: the MP pipe beyond V1 (customer CA) could only be fed back up through R from
    # S2 -- impossible -- so CA loses gas; CB on the LP side keeps S2's gas.
    net = net_of(
        pipes=[("P1", [(0, 0), (100, 0)], "MP-A"), ("P2", [(100, 0), (200, 0)], "LP")],
        valves=[("V1", (20, 0))],
        sources=[("S1", (0, 0)), ("S2", (200, 0))],
        customers=[("CA", (50, 5)), ("CB", (150, 5))],
        regulators=[("R", (100, 0))],
    )
    assert lost_ids(net, ["V1"]) == ["CA"]


def test_two_sources_keep_a_branch_fed():
    # A second source at E (400,0): closing VC now loses nothing, C1 is fed from E.
    net = net_of(sources=[("S", (0, 0)), ("S2", (400, 0))])
    assert lost_ids(net, ["VC"]) == []
    assert lost_ids(net, ["VA", "VB"]) == []  # B is fed from S2 through VC


def test_a_normally_closed_valve_is_closed_in_the_base_state():
    # S -P1- J(100,0); branch X: P2 J-(200,0) with VX at (150,0); branch Y: P3 J-(100,100)
    # with VY at (100,50); tie P4 (200,0)-(200,100)-(100,100) with VN normally closed.
    # Closing VX loses CX: the tie is closed. With VN open, CX would be fed round the tie.
    pipes = [
        ("P1", [(0, 0), (100, 0)]),
        ("P2", [(100, 0), (200, 0)]),
        ("P3", [(100, 0), (100, 100)]),
        ("P4", [(200, 0), (200, 100), (100, 100)]),
    ]
    cust = [("CX", (180, 5)), ("CY", (105, 80))]
    closed = net_of(
        pipes=pipes,
        customers=cust,
        valves=[("VX", (150, 0)), ("VY", (100, 50)), ("VN", (200, 50), "closed")],
    )
    assert lost_ids(closed, ["VX"]) == ["CX"]
    opened = net_of(
        pipes=pipes,
        customers=cust,
        valves=[("VX", (150, 0)), ("VY", (100, 50)), ("VN", (200, 50), "open")],
    )
    assert lost_ids(opened, ["VX"]) == []
    assert closed.customers["has_supply"].all()


def test_burst_with_a_boundary_valve_that_needs_no_crew():
    # Burst on P3 (segment B): VA and VB have live gas behind them (segment A) -> close;
    # VC has only the dead end C behind it -> no crew. Lost: C2 inside, C1 cut off behind.
    net = net_of()
    res = net.burst(pipe="P3")
    actions = dict(zip(res.valves.index, res.valves["action"], strict=True))
    assert actions == {"VA": "close", "VB": "close", "VC": "no_crew"}
    where = dict(zip(res.customers.index, res.customers["where"], strict=True))
    assert where == {"C1": "cut_off", "C2": "isolated"}
    st = res.stats
    # Isolated pipes: P2 from VA (50 m), P6 (100), P7 from VB (50), P3 (100), P4 to VC (20).
    assert st["isolated_length_m"] == pytest.approx(320)
    # Volume: pi/4 * 0.110^2 m2 * 320 m = 3.041 m3; MP-A at 0.4 MPa: x (0.4+0.101325)/0.101325.
    assert st["pipe_volume_m3"] == pytest.approx(3.0411, rel=1e-3)
    assert st["gas_volume_std_m3"] == pytest.approx(3.0411 * 0.501325 / 0.101325, rel=1e-3)
    assert st["households"] == 50 and st["critical"] == []
    assert res.outline.geom_type == "Polygon" and res.outline.area > 0
    assert -180 < res.valves["lon"].iloc[0] < 180


def test_burst_extends_past_an_inoperable_valve_and_stops_the_source():
    # VA inoperable: isolating B must take A too, which holds S: the station stops; VB lies
    # between two isolated segments (no action); VC still needs no crew. Everyone is lost.
    net = net_of(valves=[("VA", (150, 0), "open", False), ("VB", (150, 100)), ("VC", (320, 0))])
    res = net.burst(pipe="P3")
    actions = dict(zip(res.valves.index, res.valves["action"], strict=True))
    assert actions == {"VA": "skip_inoperable", "VC": "no_crew"}
    assert res.sources_to_shut == ["S"]
    assert sorted(res.customers.index) == ["C1", "C2", "H"]


def test_burst_with_a_reported_failed_valve():
    # VB reported failed: isolation extends into A through VB. As above, but skip_failed.
    net = net_of()
    res = net.burst(pipe="P3", fail=["VB"])
    actions = dict(zip(res.valves.index, res.valves["action"], strict=True))
    assert actions["VB"] == "skip_failed" and res.sources_to_shut == ["S"]


def test_burst_at_a_point_and_off_the_network():
    net = net_of()
    res = net.burst(at=(250 + 380_000.0, 2 + 3_526_000.0))  # beside P3, working CRS
    assert res.damaged == ["P3"]
    # (250, 300) is nearest to J5 (200, 100): sqrt(50^2 + 200^2) = 206.2 m, beyond 30 m.
    with pytest.raises(
        OffNetworkError, match=r"is 206\.2 m from the nearest in-service pipe \(P6\)"
    ):
        net.burst(at=(250 + 380_000.0, 300 + 3_526_000.0))


def test_unknown_ids_are_named():
    net = net_of()
    with pytest.raises(UnknownAssetError, match="unknown valve id\\(s\\): NOPE"):
        net.isolate(["VA", "NOPE"])
    with pytest.raises(UnknownAssetError, match="unknown pipe id\\(s\\): P9"):
        net.burst(pipe="P9")
    with pytest.raises(UnknownAssetError, match="unknown valve id\\(s\\): X1"):
        net.burst(pipe="P3", fail=["X1"])


def test_an_inoperable_valve_with_nothing_live_behind_it_does_not_widen_the_area():
    # S -P1- V1 -P2- V2 -P3 (dead end), burst on P2. V2 cannot close, but only the dead end
    # P3 lies behind it: it never needed closing, so the area stays P2 (100 m to vent) and C3
    # on P3 is cut off, not isolated. (Found in review: the area used to double.)
    pipes = [("P1", [(0, 0), (100, 0)]), ("P2", [(100, 0), (200, 0)]), ("P3", [(200, 0), (300, 0)])]
    net = net_of(
        pipes=pipes,
        valves=[("V1", (100, 0)), ("V2", (200, 0), "open", False)],
        customers=[("C2", (150, 5)), ("C3", (250, 5))],
    )
    res = net.burst(pipe="P2")
    assert dict(zip(res.valves.index, res.valves["action"], strict=True)) == {
        "V1": "close",
        "V2": "no_crew",
    }
    assert res.stats["isolated_length_m"] == pytest.approx(100)
    assert dict(zip(res.customers.index, res.customers["where"], strict=True)) == {
        "C2": "isolated",
        "C3": "cut_off",
    }


def test_a_valve_with_no_gas_on_either_side_adds_nothing_when_it_fails():
    # Two LP areas, each with its own station, hang under regulators on one MP link that no
    # MP source feeds (its upstream main is out of service):
    #
    #   S1 -P1(LP)- R1 -P2(MP-A)- V -P3(MP-A)- R2 -P4(LP)- S2
    #   (0,0)      (100,0)      (200,0)      (300,0)     (400,0)
    #
    # R1 and R2 pass gas only down (MP -> LP), so P2 and P3 carry no gas. Segments:
    # X = {P1, P2} (joined through R1, holds S1; C1 on P1), Y = {P3, P4} (holds S2; C2, C3
    # on P4). Isolating X stops S1: C1 lost; isolating Y: C2, C3.
    # V fails during a burst in X: with X emptied, no gas reaches V from Y (P3 is dead), so
    # V never needed closing: X alone, 1 lost. In Y: likewise, 2 lost. Worst side: Y, 2
    # customers, nothing added by the failure (isolating X and Y together would say 3).
    net = net_of(
        pipes=[
            ("P1", [(0, 0), (100, 0)], "LP"),
            ("P2", [(100, 0), (200, 0)], "MP-A"),
            ("P3", [(200, 0), (300, 0)], "MP-A"),
            ("P4", [(300, 0), (400, 0)], "LP"),
        ],
        valves=[("V", (200, 0))],
        sources=[("S1", (0, 0)), ("S2", (400, 0))],
        regulators=[("R1", (100, 0)), ("R2", (300, 0))],
        customers=[("C1", (50, 5)), ("C2", (350, 5)), ("C3", (360, 5))],
    )
    crit = net.criticality()
    segs, valves = crit.segments, crit.valves
    assert sorted(zip(segs["source_ids"], segs["customers_lost"], strict=True)) == [
        ("S1", 1),
        ("S2", 2),
    ]
    v = valves.loc["V"]
    assert (v.customers_lost_if_fails, v.extra_customers_lost) == (2, 0)
    # The burst agrees: in Y with V failed, V needs no crew and C2, C3 lose gas.
    res = net.burst(pipe="P4", fail=["V"])
    assert sorted(res.customers.index) == ["C2", "C3"]
    assert res.sources_to_shut == ["S2"]


def test_a_network_without_a_station_on_it_is_an_error():
    # Without a source nobody has gas and every answer would say "0 customers lose gas"
    # (issue 7 review: an empty sources layer used to pass).
    from gasnet.errors import InputError

    def layers(sources):
        return canonical(pipes=PIPES, sources=sources, customers=CUSTOMERS)

    with pytest.raises(InputError, match="no station is on the network: the sources layer is"):
        build_network(layers([]))
    with pytest.raises(InputError, match="none of the 1 stations in the sources layer lies on"):
        build_network(layers([("S", (0, 300))]))


def test_burst_counts_the_gas_to_vent_only_where_it_can():
    # S -P1- V1 (100,0) -P2- (200,0), P2 of unknown pressure class, DN110, 100 m: its pipe
    # volume is pi/4 * 0.110^2 * 100 = 0.950 m3, but its gas at operating pressure cannot be
    # known: it is left out and counted (it used to be a silent 0).
    net = net_of(
        pipes=[("P1", [(0, 0), (100, 0)]), ("P2", [(100, 0), (200, 0)], None)],
        valves=[("V1", (100, 0))],
        customers=[("C", (150, 5))],
    )
    st = net.burst(pipe="P2").stats
    assert st["pipe_volume_m3"] == pytest.approx(0.9503, rel=1e-3)
    assert st["gas_volume_std_m3"] == 0 and st["pipes_without_pressure_class"] == 1
    assert st["damaged_supplied"]


def test_a_burst_on_a_pipe_no_source_reaches_says_so_and_vents_nothing():
    # S -P1- (100,0); an island P9 (0,50)-(100,50) with no connection: nothing to lose or vent.
    net = net_of(
        pipes=[("P1", [(0, 0), (100, 0)]), ("P9", [(0, 50), (100, 50)])],
        valves=[],
        customers=[("C", (50, 55))],
    )
    res = net.burst(pipe="P9")
    assert not res.stats["damaged_supplied"]
    assert res.stats["gas_volume_std_m3"] == 0 and res.stats["customers"] == 0


def test_warm_up_compiles_and_checks_the_kernels():
    # `make install` runs it; it raises if the compiled kernels answer wrongly on its tiny
    # network (a gate, a pipe, a valve, a pipe: cutting the gate's zone loses both customers).
    from gasnet.isolation import warm_up

    warm_up()
