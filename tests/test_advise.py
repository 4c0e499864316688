"""Valve-placement advice (issue 10, part 3): a hand-drawn network worked out by hand, and
the positions and repairs against a brute force (a real valve added, everything rebuilt) on
random networks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgen import random_network
from reference import Reference
from test_isolation_properties import reference_burst
from test_maps import browser  # noqa: F401  (the fixture, for the page test)

from gasnet.advise import (
    REPAIR_COLUMNS,
    VALVE_COLUMNS,
    advise_repairs,
    advise_valves,
    repair_effects,
    repair_objectives,
    split_losses,
    valve_objectives,
)
from gasnet.errors import ConfigError
from gasnet.isolation import FlowGraph, IsolationEngine
from gasnet.network import build_network

SEEDS = st.integers(0, 2**32 - 1)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


# -- a hand-drawn network ----------------------------------------------------------------------
#
#   S1   V1        J1        J2   V2  J3                          J4   V3   S2
#   o-P1-x---P2----+---P3----+-P4-x-P5-+------------P6-------------+-P9-x-P10-o
#  (0,0)(10,0)   (30,0)    (50,0)(60,0)(100,0)                 (1100,0)(1110,0)(1120,0)
#                  |P7       |P8       |P11                        |P12
#               C1,C2     C3,C4,C5     C6 (100 households)         C7 (100 households)
#              (30,-20)   (50,-20)   (100,-20)                   (1100,-20)
#
# Lengths: P1 10, P2 20, P3 20, P4 10, P5 40, P6 1000, P7 20, P8 20, P9 10, P10 10, P11 20,
# P12 20 (1,200 m in service). C1-C5 one household each. Two stations, so a segment's
# isolation loses only its own customers (the rest is fed from the other end):
#   A = {P1} (S1's stub): 0;  M1 = {P2, P3, P4, P7, P8}: 5 customers, 5 households, 90 m;
#   M2 = {P5, P6, P9, P11, P12}: 2 customers, 200 households, 1090 m;  Z = {P10}: 0.
# The network's worst case: 5 (M1). Exposure: (90 x 5 + 1090 x 200) / 1200 = 182.0417.
#
# Candidates: P3, P7, P8 in M1; P6, P11, P12 in M2 (every other pipe ends at a valve).
#   P3: C1,C2 | C3-C5 -> 2 | 3: after 3, network worst after 3 (M2 has 2). Households 2 < 3:
#       the u side takes the edge, the valve 1 m from J2: 59 m x 2 + 31 m x 3 = 211 instead
#       of 450: exposure 181.8425 (gain 0.1992).
#   P7: the stub C1,C2 (2) | the rest (5, the stub is fed through it): after 5; stub
#       households 2 < 5: the stub takes 19 m: 19 x 2 + 71 x 5 = 393: gain 57/1200 = 0.0475.
#   P8: 3 | 5: after 5; 19 x 3 + 71 x 5 = 412: gain 38/1200 = 0.0317.
#   P6: C6 | C7 -> 1 | 1: after 1, but M1 keeps the network's worst at 5; households tie
#       (100 | 100): near the u end (J3): 61 x 100 + 1029 x 100 = 109,000 instead of 218,000:
#       gain 90.8333.
#   P11, P12: 1 | 2: after 2; 19 x 100 + 1071 x 200 = 216,100: gain 1900/1200 = 1.5833.
# "worst": P3 (worst after 3), then the rest (5) by local reduction: P6 (1), then by the
# exposure gain: P11, P12 (tie: by pipe id), P7, P8. "exposure": P6, P11, P12, P3, P7, P8.
#
# Repairs: V2 and V3 cannot be closed. A burst in M1 spreads past V2 (live gas behind it)
# into M2 and past V3 into Z: region {M1, M2, Z}, 7 customers, 205 households; likewise in
# M2 and Z; A: 0. Worst 7; exposure (90 + 1090 + 10) x 205 / 1200 = 203.2917.
#   Repair V2: M1 -> 5 (5 households); M2 and Z -> {M2, Z}: 2 (200): worst after 5, local
#       7 -> 5; exposure (450 + 1090 x 200 + 10 x 200) / 1200 = 183.7083 (gain 19.5833).
#   Repair V3: M1, M2 -> {M1, M2}: 7; Z -> 0: worst after 7, local 0; exposure
#       1180 x 205 / 1200 = 201.5833 (gain 1.7083).
# Both rankings: V2, then V3.


def hand_network(inoperable=("V2", "V3")):
    pipes = [
        ("P1", [(0, 0), (10, 0)]),
        ("P2", [(10, 0), (30, 0)]),
        ("P3", [(30, 0), (50, 0)]),
        ("P4", [(50, 0), (60, 0)]),
        ("P5", [(60, 0), (100, 0)]),
        ("P6", [(100, 0), (1100, 0)]),
        ("P7", [(30, 0), (30, -20)]),
        ("P8", [(50, 0), (50, -20)]),
        ("P9", [(1100, 0), (1110, 0)]),
        ("P10", [(1110, 0), (1120, 0)]),
        ("P11", [(100, 0), (100, -20)]),
        ("P12", [(1100, 0), (1100, -20)]),
    ]
    valves = [
        (v, xy, "open", v not in inoperable)
        for v, xy in (("V1", (10, 0)), ("V2", (60, 0)), ("V3", (1110, 0)))
    ]
    customers = [
        ("C1", (30, -25)),
        ("C2", (29, -25)),
        ("C3", (50, -25)),
        ("C4", (49, -25)),
        ("C5", (51, -25)),
        ("C6", (100, -25), 100),
        ("C7", (1100, -25), 100),
    ]
    layers = canonical(
        pipes=pipes,
        valves=valves,
        sources=[("S1", (0, 0)), ("S2", (1120, 0))],
        customers=customers,
    )
    net, _ = build_network(layers)
    return net


def test_hand_network_worst_every_candidate():
    net = hand_network()
    got = advise_valves(net, per_segment=False)
    assert list(got.columns) == VALVE_COLUMNS and list(got.index) == [1, 2, 3, 4, 5, 6]
    assert list(got["pipe_id"]) == ["P3", "P6", "P11", "P12", "P7", "P8"]
    assert list(got["network_worst_after"]) == [3, 5, 5, 5, 5, 5]
    assert list(got["customers_lost_before"]) == [5, 2, 2, 2, 5, 5]
    assert list(got["customers_lost_after"]) == [3, 1, 2, 2, 5, 5]
    assert list(got["reduction"]) == [2, 1, 0, 0, 0, 0]
    assert list(got["households_lost_a"]) == [2, 100, 200, 200, 5, 5]
    assert list(got["households_lost_b"]) == [3, 100, 100, 100, 2, 3]
    assert np.allclose(got["exposure_before"], 218450 / 1200)
    gains = got["exposure_before"] - got["exposure_after"]
    assert np.allclose(
        gains, [239 / 1200, 109000 / 1200, 1900 / 1200, 1900 / 1200, 57 / 1200, 38 / 1200]
    )
    p3 = got.iloc[0]
    # Near J2 (node of (50, 0)): 1 m from the v end, 19 m along P3 from (30, 0).
    assert (p3.offset_m, p3.position_m, p3.length_a_m, p3.length_b_m) == (1.0, 19.0, 59.0, 31.0)
    assert (round(p3.x - 380_000, 6), round(p3.y - 3_526_000, 6)) == (49.0, 0.0)
    assert p3.near_node == net.layers["edges"].set_index("pipe_id").loc["P3", "v"]
    assert 106 < p3.lon < 107 and 31 < p3.lat < 32
    assert pd.isna(p3.pipe_part)
    p6 = got.iloc[1]  # households tie: near the u end (J3), 1 m along P6
    assert (p6.position_m, p6.length_a_m, p6.length_b_m) == (1.0, 61.0, 1029.0)


def test_hand_network_objectives_rank_differently_per_segment():
    net = hand_network()
    worst = advise_valves(net)
    assert list(worst["pipe_id"]) == ["P3", "P6"]  # one row per segment: M1 then M2
    exposure = advise_valves(net, objective="exposure")
    assert list(exposure["pipe_id"]) == ["P6", "P3"]
    assert np.allclose(exposure["reduction"], [109000 / 1200, 239 / 1200])
    every = advise_valves(net, objective="exposure", per_segment=False)
    assert list(every["pipe_id"]) == ["P6", "P11", "P12", "P3", "P7", "P8"]
    assert list(advise_valves(net, top=1)["pipe_id"]) == ["P3"]
    assert worst.attrs["network_worst_before"] == 5 and worst.attrs["candidates"] == 6


def test_hand_network_repairs():
    net = hand_network()
    got = advise_repairs(net)
    assert list(got.columns) == REPAIR_COLUMNS
    assert list(got["valve_id"]) == ["V2", "V3"]
    assert list(got["network_worst_after"]) == [5, 7]
    assert list(got["customers_lost_before"]) == [7, 7]
    assert list(got["customers_lost_after"]) == [5, 7]
    assert list(got["segments_affected"]) == [3, 3]
    assert list(got["reduction"]) == [2, 0]
    assert np.allclose(got["exposure_before"], 1190 * 205 / 1200)
    assert np.allclose(got["exposure_after"], [220450 / 1200, 241900 / 1200])
    exposure = advise_repairs(net, objective="exposure")
    assert list(exposure["valve_id"]) == ["V2", "V3"]
    assert np.allclose(exposure["reduction"], [23500 / 1200, 2050 / 1200])
    # The valve sits where the map puts it.
    assert (round(got.iloc[0].x - 380_000, 6), round(got.iloc[0].y - 3_526_000, 6)) == (60, 0)


# -- errors and empty answers --------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["best", "", None, "Worst"])
def test_unknown_objective_names_the_argument_and_the_choices(bad):
    net = hand_network()
    for f in (advise_valves, advise_repairs):
        with pytest.raises(ConfigError, match=r"objective=.*'worst', 'exposure'"):
            f(net, objective=bad)


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "3"])
def test_top_must_be_a_positive_int(bad):
    net = hand_network()
    for f in (advise_valves, advise_repairs):
        with pytest.raises(ConfigError, match="top="):
            f(net, top=bad)


def test_no_candidate_and_no_inoperable_valve_give_empty_tables_with_the_columns():
    # S1 o--P1--x V1--P2--o C1: both pipes end at the valve; every valve operable.
    layers = canonical(
        pipes=[("P1", [(0, 0), (50, 0)]), ("P2", [(50, 0), (100, 0)])],
        valves=[("V1", (50, 0))],
        sources=[("S1", (0, 0))],
        customers=[("C1", (100, 5))],
    )
    net, _ = build_network(layers)
    for got, cols in ((advise_valves(net), VALVE_COLUMNS), (advise_repairs(net), REPAIR_COLUMNS)):
        assert len(got) == 0 and list(got.columns) == cols and got.index.name == "rank"
        assert got.crs == net.layers["edges"].crs


def test_a_multi_part_pipe_is_measured_along_its_part():
    # P1 has two parts, the second (100,0)-(200,0) holding the branch junction J at (150,0).
    layers = canonical(
        pipes=[
            ("P1", [[(0, 0), (100, 0)], [(100, 0), (200, 0)]]),
            ("P2", [(150, 0), (150, -50)]),
            ("P3", [(200, 0), (260, 0)]),
        ],
        valves=[("V1", (200, 0))],
        sources=[("S1", (0, 0))],
        customers=[("C1", (150, -55)), ("C2", (260, 5))],
    )
    net, _ = build_network(layers)
    got = advise_valves(net, per_segment=False).set_index("pipe_id", append=True)
    rows = got.xs("P1", level="pipe_id")
    # (0,0)-(100,0) on part 1, (100,0)-(150,0) on part 2; (150,0)-(200,0) ends at V1.
    assert sorted(rows["pipe_part"]) == [1, 2]
    for r in rows.itertuples():
        start = 0 if r.pipe_part == 1 else 100
        assert np.isclose(r.position_m, r.x - 380_000 - start)


# -- brute force on random networks --------------------------------------------------------------


def build(nodes, edges, closed, cust, weights):
    fg = FlowGraph(nodes, edges)
    fg.set_base_closed(closed)
    return fg, IsolationEngine(fg, cust, weights)


def segments_of(eng) -> dict[int, frozenset]:
    seg = eng.zone_seg[eng.edge_zone]
    out: dict[int, set] = {}
    for e, s in zip(eng.flow.live_edges.tolist(), seg.tolist(), strict=True):
        out.setdefault(s, set()).add(e)
    return {s: frozenset(v) for s, v in out.items()}


def with_valve(nodes, edges, edge_id, u_length=None):
    """A real open valve inside edge ``edge_id``: it keeps (u, valve) with ``u_length``, a new
    edge takes (valve, v) with the rest. Returns the tables and the new edge's id."""
    n = len(nodes)
    row = int(np.flatnonzero(edges["edge_id"].to_numpy() == edge_id)[0])
    nodes2 = pd.concat(
        [nodes, pd.DataFrame({"node_id": [n], "kind": ["valve"], "asset_id": ["VNEW"]})],
        ignore_index=True,
    )
    new_id = int(edges["edge_id"].max()) + 1
    e2 = edges.copy()
    length = float(edges.at[row, "length_m"])
    extra = edges.loc[[row]].copy()
    extra["edge_id"], extra["u"] = new_id, n
    if u_length is not None:
        e2.loc[row, "length_m"] = u_length
        extra["length_m"] = length - u_length
    e2.loc[row, "v"] = n
    return nodes2, pd.concat([e2, extra], ignore_index=True), new_id


@SETTINGS
@given(SEEDS)
def test_every_candidate_equals_a_valve_added_and_everything_rebuilt(seed):
    nodes, edges, closed, cust, weights = random_network(seed)
    rng = np.random.default_rng(seed)
    edges["length_m"] = rng.uniform(0.5, 30, len(edges)).round(2)
    fg, eng = build(nodes, edges, closed, cust, weights)
    sp = split_losses(fg, eng, nodes, edges, cust)
    seg_loss, _ = eng.segment_losses()
    live_len = edges.set_index("edge_id").loc[fg.live_edges, "length_m"].to_numpy()
    seg_len = np.bincount(eng.zone_seg[eng.edge_zone], weights=live_len, minlength=eng.n_segments)
    obj = valve_objectives(sp, seg_loss, seg_len)
    base = {es: seg_loss.loc[s].to_dict() for s, es in segments_of(eng).items()}
    keys = list(weights)
    candidate = {int(fg.live_edges[i]): j for j, i in enumerate(sp.live.tolist())}
    is_valve = set(nodes.loc[nodes["kind"] == "valve", "node_id"].tolist())
    sides = dict(zip(fg.valves.tolist(), eng.valve_sides.tolist(), strict=True))
    total = float(live_len.sum())
    for e in fg.live_edges.tolist():
        row = edges.loc[edges["edge_id"] == e].iloc[0]
        u, v = int(row.u), int(row.v)
        j = candidate.get(e)
        u_len = None
        if j is not None:  # where the advice puts the valve
            d = obj.offset_m[j]
            u_len = row.length_m - d if obj.near_v[j] else d
        nodes2, edges2, new_id = with_valve(nodes, edges, e, u_len)
        _, eng2 = build(nodes2, edges2, closed, cust, weights)
        loss2, _ = eng2.segment_losses()
        segs2 = segments_of(eng2)

        def back(es, new_id=new_id, e=e):
            return frozenset(e if x == new_id else x for x in es)

        if j is not None:
            assert len(segs2) == len(base) + 1, (seed, e)
            su = next(s for s, es in segs2.items() if e in es)
            sv = next(s for s, es in segs2.items() if new_id in es)
            assert su != sv
            ref = Reference(nodes2, edges2, closed, cust, weights)
            for s, got in ((su, sp.loss_u), (sv, sp.loss_v)):
                want = {k: loss2.loc[s, f"{k}_lost"] for k in keys}
                # "bits": the very set of customers, from the engine and from networkx
                assert {k: got[k][j] for k in keys} == want, (seed, e)
                assert ref.isolate_segments([segs2[s]]) == want, (seed, e)
            # Every other segment loses exactly what it lost before.
            for s, es in segs2.items():
                if s not in (su, sv):
                    assert loss2.loc[s].to_dict() == base[back(es)], (seed, e)
            # The objectives, with the valve where the advice puts it.
            lengths2 = edges2.set_index("edge_id")["length_m"]
            len2 = {s: float(lengths2.loc[list(es)].sum()) for s, es in segs2.items()}
            assert np.isclose(obj.length_a_m[j], len2[su]) and np.isclose(
                obj.length_b_m[j], len2[sv]
            )
            expo = sum(len2[s] * loss2.loc[s, "households_lost"] for s in segs2) / total
            assert np.isclose(obj.exposure_after[j], expo), (seed, e)
            assert obj.network_worst_after[j] == loss2["customers_lost"].max(), (seed, e)
            for k in ("customers", "households", "critical"):
                assert obj[f"{k}_lost_after"][j] == max(
                    loss2.loc[su, f"{k}_lost"], loss2.loc[sv, f"{k}_lost"]
                )
                assert obj[f"{k}_lost_before"][j] == seg_loss.loc[sp.segment[j], f"{k}_lost"]
            continue
        # Not a candidate: no split, nothing changes.
        if any(sides.get(x, 0) >= 3 for x in (u, v)):
            continue  # beside a valve on a junction (a quality warning): see README
        if u in is_valve and v in is_valve:  # a valve-to-valve part: each half a stub
            assert len(segs2) == len(base) + 1
            continue
        stubs = set()
        if u in is_valve or v in is_valve:
            # The half beside the old valve becomes a stub between two valves, with no
            # customer; the segment keeps its loss, the stub loses no more than it.
            half = e if u in is_valve else new_id
            stubs = {s for s, es in segs2.items() if es == {half}}
            assert len(stubs) == 1 and len(segs2) == len(base) + 1, (seed, e)
            (stub,) = stubs
            rest = next(s for s, es in segs2.items() if (e in es or new_id in es) and s != stub)
            for k in keys:
                assert loss2.loc[stub, f"{k}_lost"] <= loss2.loc[rest, f"{k}_lost"]
        else:
            assert len(segs2) == len(base), (seed, e, "split, but not a candidate")
        for s, es in segs2.items():
            if s not in stubs:
                assert loss2.loc[s].to_dict() == base[back(es)], (seed, e)


@SETTINGS
@given(SEEDS, st.integers(0, 2**32 - 1))
def test_every_repair_equals_the_brute_force_burst_of_every_segment(seed, pick):
    nodes, edges, closed, cust, weights = random_network(seed)
    fg, eng = build(nodes, edges, closed, cust, weights)
    if not len(fg.live_edges):
        return
    ref = Reference(nodes, edges, closed, cust, weights)
    rng = np.random.default_rng(pick)
    skip = rng.random(len(fg.valves)) < 0.35
    net = SimpleNamespace(engine=eng, valve_operable=~skip)
    eff = repair_effects(net)
    seg_len = rng.uniform(1, 50, eng.n_segments)
    obj = repair_objectives(eff, seg_len)
    seg_of = eng.zone_seg[eng.edge_zone]
    segs = np.unique(seg_of).tolist()
    first = {s: int(fg.live_edges[np.flatnonzero(seg_of == s)[0]]) for s in segs}
    keys = list(weights)
    weak_nodes = set(fg.valves[skip].tolist())

    def brute(skipped) -> pd.DataFrame:
        rows = {}
        for s in range(eng.n_segments):
            _, lost = reference_burst(ref, eng, first[s], skipped) if s in first else (0, {})
            rows[s] = {f"{k}_lost": lost.get(k, 0.0) for k in keys}
        return pd.DataFrame.from_dict(rows, orient="index")

    now = brute(weak_nodes)
    assert (eff.before[now.columns].to_numpy() == now.to_numpy()).all(), seed
    assert set(eff.valves.tolist()) == set(np.flatnonzero(skip & eng.valve_open).tolist())
    total = seg_len.sum()
    for i, (w, affected, after) in enumerate(
        zip(eff.valves.tolist(), eff.affected, eff.after, strict=True)
    ):
        fixed = brute(weak_nodes - {int(fg.valves[w])})
        # Only the affected segments change, and to exactly the brute force's answer.
        changed = np.flatnonzero((fixed.to_numpy() != now.to_numpy()).any(axis=1))
        assert set(changed.tolist()) <= set(affected.tolist()), (seed, w)
        assert (after[fixed.columns].to_numpy() == fixed.loc[affected].to_numpy()).all()
        row = obj.iloc[i]
        assert row.network_worst_after == fixed["customers_lost"].max()
        expo = (seg_len * fixed["households_lost"].to_numpy()).sum() / total
        assert np.isclose(row.exposure_after, expo)
        for k in ("customers", "households", "critical"):
            col = f"{k}_lost"
            want = (now.loc[affected, col].max(), fixed.loc[affected, col].max())
            got = (row[f"{col}_before"], row[f"{col}_after"])
            assert got == (want if len(affected) else (0, 0)), (seed, w, k)


# -- the command, the stage, the layers and the map ----------------------------------------------


@pytest.fixture
def advised(project, cli):
    """The conftest project with V1 open and inoperable and a second station S2 at P2's end:
    S1 o--P1--x V1--+--P2--(C1)--o S2; a burst on either side spreads past V1."""
    from conftest import pt, write_shp

    write_shp(
        project.raw / "valves.shp",
        [{"id": "V1", "normally": "open", "operable": "否"}],
        [pt(50, 0)],
    )
    write_shp(
        project.raw / "sources.shp",
        [
            {"id": "S1", "name": "門站", "kind": "門站"},
            {"id": "S2", "name": "二站", "kind": "門站"},
        ],
        [pt(0, 0), pt(200, 0)],
    )
    code, out, err = cli("--config", project.config, "run")
    assert code == 0, err
    return project, out


def test_run_writes_the_advice_layers_and_csv(advised):
    import pyogrio

    project, out = advised
    assert "advise: " in out and "top 1 inoperable valves to repair" in out
    layers = {str(n) for n, _ in pyogrio.list_layers(project.gpkg)}
    assert {"valve_advice", "repair_advice"} <= layers
    va = pyogrio.read_dataframe(project.gpkg, layer="valve_advice")
    assert list(va.columns) == ["rank", *VALVE_COLUMNS]
    assert set(va["pipe_id"]) == {"P2"} and list(va["rank"]) == [1]
    ra = pyogrio.read_dataframe(project.gpkg, layer="repair_advice")
    assert list(ra["valve_id"]) == ["V1"] and list(ra["segments_affected"]) == [2]
    raw = (project.root / "out" / "valve_advice.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrank,pipe_id,edge_id,segment_id")
    assert len(raw.decode("utf-8-sig").splitlines()) == 2


def test_the_command_ranks_writes_and_refuses_bad_options(advised, cli, tmp_path, capsys):
    project, _ = advised
    out = tmp_path / "advice.csv"
    code, text, err = cli(
        "--config", project.config, "advise-valves", "--objective", "exposure", "--out", out
    )
    assert code == 0, err
    assert "by households exposed" in text and f"valve advice: {out}" in text
    assert "P2" in text and "V1" in text
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("rank,pipe_id") and len(rows) == 2
    code, text, err = cli("--config", project.config, "advise-valves", "--top", "1")
    assert code == 0, err
    assert (project.root / "out" / "valve_advice.csv").exists()
    for bad in (["--top", "0"], ["--top", "x"], ["--objective", "best"]):
        with pytest.raises(SystemExit) as exc:  # argparse: usage and exit 2
            cli("--config", project.config, "advise-valves", *bad)
        assert exc.value.code == 2 and bad[0] in capsys.readouterr().err
    code, _, err = cli(
        "--config", project.config, "advise-valves", "--out", project.root / "out" / "risk.csv"
    )
    assert code == 2 and "risk.csv" in err
    # Its own file is fine for itself; another command may not write over it.
    own = project.root / "out" / "valve_advice.csv"
    code, _, err = cli("--config", project.config, "advise-valves", "--out", own)
    assert code == 0, err
    code, _, err = cli("--config", project.config, "isolate", "--close", "V1", "--out", own)
    assert code == 2 and "valve_advice.csv" in err


def test_the_command_before_build_names_the_stage(project, cli):
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    code, _, err = cli("--config", project.config, "advise-valves")
    assert code == 2 and "gasnet build" in err


def test_maps_show_the_advice_layers_only_when_the_stage_ran(project, cli):
    # Stage by stage, without advise-valves: the maps stage works and shows no advice; after
    # it, the one map has the layer (the conftest project has no inoperable valve: no repairs).
    for stage in ("ingest", "build", "criticality", "hazards", "maps"):
        code, _, err = cli("--config", project.config, stage)
        assert code == 0, (stage, err)
    page = (project.root / "out" / "maps" / "network.html").read_text(encoding="utf-8")
    assert '"name":"建议增设阀门"' not in page  # (the label itself is in the page's labels)
    for args in (["advise-valves"], ["maps"]):
        code, _, err = cli("--config", project.config, *args)
        assert code == 0, err
    page = (project.root / "out" / "maps" / "network.html").read_text(encoding="utf-8")
    assert '"name":"建议增设阀门"' in page and '"name":"建议优先维修的阀门"' not in page


def test_the_one_map_draws_both_advice_layers(advised):
    from gasnet.maps import network_map
    from gasnet.network import load

    project, _ = advised
    from gasnet import pipeline, store
    from gasnet.config import read_config

    config = read_config(project.config)
    layers, _, _ = store.read_snapshot(
        config.gpkg, pipeline.MAP_LAYERS, optional=pipeline.MAP_OPTIONAL
    )
    page = network_map(layers, language="en")
    for name in ("Where one more valve helps most", "Valves whose repair helps most"):
        assert f'"name":"{name}"' in page
    assert load(config).layers["valves"]["operable"].tolist() == [False]


def test_the_advice_layers_render_and_open_in_a_browser(advised, request):
    import shutil

    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    from test_maps import open_page

    chromium = request.getfixturevalue("browser")
    project, _ = advised
    page, errors, requests = open_page(chromium, project.root / "out" / "maps" / "network.html")
    assert errors == [] and requests == []
    names = page.evaluate("Object.keys(window.gasnetMap.overlays)")
    assert {"建议增设阀门", "建议优先维修的阀门"} <= set(names)
    for name, what in (("建议增设阀门", "P2"), ("建议优先维修的阀门", "V1")):
        shown = page.evaluate(
            """name => {
                const g = window.gasnetMap.overlays[name];
                window.gasnetMap.map.addLayer(g);
                const marker = g.getLayers()[0].getLayers()[0];
                marker.openPopup();
                return g.getLayers()[0].getLayers().length;
            }""",
            name,
        )
        assert shown == 1
        text = page.locator(".leaflet-popup-content").last.inner_text()
        assert what in text and "customers_lost_before" in text and "exposure_after" in text
    assert errors == []
