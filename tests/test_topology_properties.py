"""Property tests of the build: random networks drawn as layers (tests/netgen.py,
``random_layers``), built from their geometry, against the brute-force reference on the
network they draw (tests/reference.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgen import random_layers
from reference import Reference

from gasnet.network import build_network

SEEDS = st.integers(0, 2**32 - 1)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
TOLERANCES = st.sampled_from([0.5, 0.0])  # 0: "exactly on"


@SETTINGS
@given(SEEDS, TOLERANCES, st.integers(0, 2**32 - 1))
def test_the_built_network_supplies_whom_the_drawn_network_supplies(seed, tol, pick):
    # Blank pressure classes beside regulators, valves on junctions, several stations (inside
    # segments), customers beside a valve at a pipe's end and several at one spot, 0
    # households, a pipe ending on its own first stretch: built from the drawing, the
    # network gives every customer gas exactly when the reference on the drawn network does,
    # with every valve open but the normally-closed ones and with random valves closed too.
    layers, (nodes, edges, closed, cust, weights), spots = random_layers(seed)
    net, _ = build_network(layers, snap_tolerance_m=tol)
    ref = Reference(nodes, edges, closed, cust, weights)
    built = net.layers["edges"]
    assert (built["u"] != built["v"]).all(), seed  # no pipe is drawn as a loop
    node = net.customers["node_id"].to_numpy()
    for group in spots:  # customers at one spot share one node
        assert len(set(net.customers.loc[group, "node_id"])) == 1, (seed, group)
    assert net.customers["has_supply"].tolist() == ref.customers_supplied(set()).tolist(), seed
    valve_node = net.valves["node_id"]  # valve "V<j>" is the drawn network's node j
    valves = np.flatnonzero(nodes["kind"] == "valve")
    rng = np.random.default_rng(pick)
    for _ in range(4):
        close = valves[rng.random(len(valves)) < 0.4]
        mask = np.zeros(net.flow.n_nodes, bool)
        mask[valve_node.loc[[f"V{j}" for j in close]].to_numpy(np.int64)] = True
        reached = net.flow.supplied(mask)
        got = (node >= 0) & reached[np.maximum(node, 0)]
        assert got.tolist() == ref.customers_supplied(set(close.tolist())).tolist(), seed


def test_the_drawn_networks_hold_what_real_data_holds():
    # (Else the test above would never meet it.) Seeds 0-99: networks with customers at one
    # spot, a customer 0.2 m beside a valve, regulator or station at a pipe's end, a pipe
    # ending on its own first stretch, a valve on a junction of 3+ pipes, several stations,
    # pipes without a pressure class, customers without households.
    import shapely

    seen = dict.fromkeys(
        ["spot", "beside", "p_shape", "on_junction", "sources", "blank", "zero"], 0
    )
    for seed in range(100):
        layers, (nodes, edges, *_), spots = random_layers(seed)
        assets = np.concatenate(
            [shapely.get_coordinates(layers[k].geometry) for k in ("valves", "regulators")]
            + [shapely.get_coordinates(layers["sources"].geometry)]
        )
        xy = shapely.get_coordinates(layers["customers"].geometry)
        gap = np.hypot(*(xy[:, None, :] - assets[None, :, :]).transpose(2, 0, 1)).min(1)
        kind = nodes["kind"].to_numpy(object)
        degree = np.bincount(np.r_[edges["u"], edges["v"]], minlength=len(kind))
        seen["spot"] += bool(spots)
        seen["beside"] += bool((np.abs(gap - 0.2) < 1e-6).any())
        seen["p_shape"] += bool((~shapely.is_simple(layers["pipes"].geometry)).any())
        seen["on_junction"] += bool(((kind == "valve") & (degree >= 3)).any())
        seen["sources"] += len(layers["sources"]) > 1
        seen["blank"] += bool(layers["pipes"]["pressure_class"].isna().any())
        seen["zero"] += bool((layers["customers"]["households"] == 0).any())
    assert min(seen.values()) >= 10, seen
