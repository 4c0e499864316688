"""The Python API (issue 10): layers indexed by id, one id or many, named results, errors that
name the argument, the later layers on a loaded network.

The network is test_isolation's hand-drawn one (drawing and segments there):

    S─P1─J1─P2─VA─P2─J2─P3─J3─VC─P4─E         A = {P1, P2 to VA, P5, P7 to VB} (source S)
         │           │                        B = {P2 from VA, P6, P7 from VB, P3, P4 to VC}
         P5          P6                       C = {P4 from VC}
         │           │                        C1 (40 households) on P4 behind VC,
         J4─P7─VB─P7─J5                       C2 (10) on P3, H (hospital) on P5
"""

from __future__ import annotations

import importlib.resources

import matplotlib
import numpy as np
import pytest
from test_isolation import net_of

import gasnet
from gasnet import pipeline
from gasnet.cli import _flags
from gasnet.config import read_config
from gasnet.errors import GasnetError, LocationError, UnknownAssetError
from gasnet.operations import BurstResult, Isolation

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def net():
    return net_of()


def test_layers_are_indexed_by_their_asset_id(net):
    for name, key in (
        ("pipes", "pipe_id"),
        ("valves", "valve_id"),
        ("sources", "source_id"),
        ("customers", "customer_id"),
        ("nodes", "node_id"),
        ("edges", "edge_id"),
    ):
        layer = getattr(net, name)
        assert layer.index.name == key and key not in layer.columns, name
        assert key in net.layers[name].columns  # the pipeline's tables keep the column
    assert sorted(net.pipes.index) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    # A new frame per access sharing the data of one view made once (not a copy of the data;
    # a change to it never reaches the network: test_api_hostile).
    assert net.pipes is not net.pipes
    assert np.shares_memory(
        net.pipes["diameter_mm"].to_numpy(), net.pipes["diameter_mm"].to_numpy()
    )
    assert net.customers.loc["C1", "households"] == 40


def test_isolate_takes_one_id_or_many(net):
    # "VC" is one id, not the ids "V" and "C". Closing VC loses C1 alone (40 households).
    one = net.isolate("VC")
    assert isinstance(one, Isolation) and one.closed == ["VC"]
    assert one.customers.index.tolist() == ["C1"] and one.customers.index.name == "customer_id"
    assert one.customers.columns.tolist() == [
        "name", "kind", "critical", "households", "segment_id", "geometry"
    ]  # fmt: skip
    assert repr(one) == "<Isolation closing VC: 1 customers (40 households) lose gas>"
    # P4 beyond VC is without gas: its part from VC to E (one pipe, 80 m).
    assert one.pipes["pipe_id"].unique().tolist() == ["P4"]
    assert one.stats["deenergised_length_m"] == pytest.approx(80.0)
    # Closing VA and VB cuts B off and C behind it: C1 and C2.
    both = net.isolate(["VA", "VB"])
    assert sorted(both.customers.index) == ["C1", "C2"]
    assert net.isolate(("VA", "VB")).customers.equals(both.customers)
    # Results join onto layers by id.
    joined = net.customers[["households"]].join(both.customers[["segment_id"]], how="inner")
    assert sorted(joined.index) == ["C1", "C2"]


def test_unknown_ids_name_the_argument(net):
    with pytest.raises(UnknownAssetError, match=r"unknown valve id\(s\): NOPE \(in valves=\)"):
        net.isolate(["VA", "NOPE"])
    # A near miss (case) is offered; the error is a KeyError too.
    with pytest.raises(KeyError, match="did you mean VA"):
        net.isolate("va")
    with pytest.raises(UnknownAssetError, match=r"valves=\[\]: give at least one id"):
        net.isolate([])
    with pytest.raises(UnknownAssetError, match=r"unknown pipe id\(s\): P9 \(in pipe=\)"):
        net.burst(pipe="P9")
    with pytest.raises(UnknownAssetError, match=r"unknown valve id\(s\): X1 \(in fail=\)"):
        net.burst(pipe="P3", fail="X1")
    with pytest.raises(UnknownAssetError, match=r"VZ \(in valve_id=\)"):
        net.get_valve("VZ")
    with pytest.raises(UnknownAssetError, match=r"P0 \(in pipe_id=\)"):
        net.get_pipe("P0")
    with pytest.raises(GasnetError, match=r"exactly one of pipe= \(a pipe id\) or at="):
        net.burst()
    with pytest.raises(LocationError, match=r"at=\(1, 2\)"):
        net.burst(at=(1, 2))


def test_the_command_line_shows_flags_for_the_same_errors():
    assert _flags("pipe='GX1': unknown pipe id") == "--pipe GX1: unknown pipe id"
    assert _flags("valves='A B': unknown") == "--close A B: unknown"
    assert (
        _flags("fail='X': unknown; pipe ids look like") == "--fail X: unknown; pipe ids look like"
    )
    assert _flags("n_pipes=5: a sample needs") == "--pipes 5: a sample needs"
    assert (
        _flags("unknown pipe id(s): P9 (in pipe=); look")
        == "unknown pipe id(s): P9 (in --pipe); look"
    )
    assert _flags("the pipes=3 of it") == "the pipes=3 of it"  # not an argument of ours


def test_burst_takes_one_pipe_or_many(net):
    one = net.burst(pipe="P3")
    assert isinstance(one, BurstResult)
    assert one.valves.index.name == "valve_id" and one.valves.geometry.notna().all()
    same = net.burst(pipe=["P3"])
    assert one.valves.equals(same.valves) and one.customers.equals(same.customers)
    # P3 is in segment B: close VA and VB; VC needs no crew (nothing but C's dead end lies
    # behind it, and that has no other supply). C2 inside, C1 cut off behind VC.
    assert one.valves["action"].to_dict() == {"VA": "close", "VB": "close", "VC": "no_crew"}
    assert one.customers["where"].to_dict() == {"C1": "cut_off", "C2": "isolated"}
    assert (
        repr(one) == "<BurstResult on P3: close 2 valve(s); 2 customers (50 households) lose gas>"
    )
    # P1 (segment A, with the source) and P4 beyond VC (segment C) together: A and C are
    # isolated, so everyone loses gas; the hospital H is listed first.
    two = net.burst(pipe=["P1", "P4"])
    assert two.damaged == ["P1", "P4"]
    assert two.customers.index[0] == "H" and sorted(two.customers.index) == ["C1", "C2", "H"]
    assert "1 critical" in repr(two)
    # A failed valve given as one id: VB fails, gas still reaches it from A, so the isolation
    # takes A too (with the station): everyone loses gas.
    failed = net.burst(pipe="P3", fail="VB")
    assert failed.valves.loc["VB", "action"] == "skip_failed"
    assert sorted(failed.customers.index) == ["C1", "C2", "H"]


def test_criticality_result(net):
    crit = net.criticality()
    assert crit.segments.index.name == "segment_id" and len(crit.segments) == 3
    assert crit.valves.index.name == "valve_id" and sorted(crit.valves.index) == ["VA", "VB", "VC"]
    assert crit.valves.geometry.notna().all()
    assert crit.customer_segment.index.name == "customer_id"
    # The worst segment is A (the source's): 3 customers, the hospital among them.
    worst = crit.segments.loc[crit.worst_segment]
    assert (worst["customers_lost"], worst["critical_lost"]) == (3, 1)
    assert repr(crit).startswith("<Criticality 3 segments, 3 valves; the worst segment, ")
    # One valve: its row and the two segments it bounds (B and C for VC).
    vc = net.criticality("VC")
    assert vc.valves.index.tolist() == ["VC"]
    assert sorted(vc.segments.index) == sorted(
        {crit.customer_segment["C1"], crit.customer_segment["C2"]}
    )
    assert set(vc.customer_segment.index) == {"C1", "C2"}


def test_the_later_layers_of_an_in_memory_network(net):
    # Not read from a GeoPackage: computed on first use, the same as criticality().
    assert net.segments.equals(net.criticality().segments)
    assert net.valve_criticality.index.name == "valve_id"
    # No hazards layer: an empty ranking, indexed all the same.
    assert net.risk.index.name == "hazard_id" and len(net.risk) == 0


def test_get_valve_and_get_pipe(net):
    v = net.get_valve("VC")
    # VC failing during a burst on C's side: nothing more (C1 is lost anyway); on B's side
    # isolation extends to C: + C1, 40 households (B alone loses C2 and C1 already: 0).
    assert v.name == "VC" and v["normally"] == "open" and "customers_lost_if_fails" in v
    p = net.get_pipe("P4")
    # P4: J3-VC, VC-C1's attachment point, that point-E: three parts in segments B and C.
    assert p.name == "P4" and len(p["edge_ids"]) == 3 and len(p["segment_ids"]) == 2


def test_explore_and_plot_work_out_of_the_box(net):
    m = net.pipes.explore(tiles=None)
    assert type(m).__name__ == "Map"
    ax = net.pipes.plot()
    assert len(ax.collections) == 1


def test_package_surface():
    assert importlib.resources.files("gasnet").joinpath("py.typed").is_file()
    assert gasnet.errors.UnknownAssetError is UnknownAssetError
    assert gasnet.run is pipeline.run_and_load
    assert {"Network", "load", "run", "errors"} <= set(dir(gasnet))


def test_load_reads_fresh_later_layers_and_recomputes_stale_ones(tmp_path):
    from conftest import Project

    project = Project(tmp_path)
    config = read_config(project.config)
    pipeline.ingest(config)
    pipeline.build(config)
    built = gasnet.load(config)
    assert "segments" not in built.layers  # not written yet: computed when asked for
    assert built.segments.index.name == "segment_id"
    pipeline.criticality(config)
    loaded = gasnet.load(config)
    assert {"segments", "valve_criticality"} <= set(loaded.layers)
    assert loaded.segments.equals(built.segments)
    # A build after criticality: the stored segments may describe another network.
    pipeline.build(config)
    rebuilt = gasnet.load(config)
    assert "segments" not in rebuilt.layers
    assert gasnet.load(config, also=("segments",)).layers["segments"] is not None
