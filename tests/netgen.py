"""Random small networks as node / edge tables, for property tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_network(seed: int, n_max: int = 24, many_sources: bool = False, real: bool = True):
    """Tree plus chords (loops, parallel pipes), one to three sources (anywhere: inside
    segments, beside valves), valves (some normally closed, some on junctions), regulators
    between classes, abandoned pipes, customers (several on one node: at the same spot).

    ``real`` (what real data holds, drawn from a generator of its own, so the networks are
    otherwise those of ``real=False``): in two networks of three, pipes without a pressure
    class (``None``, or NaN as a GeoPackage gives a blank back) here and there, and at a
    regulator sometimes one or every pipe without one (direction unknown: passed both ways,
    with a known class on the other side or none at all); customers with 0 households.

    ``many_sources``: besides, a fifth, half or four fifths of the remaining junctions become
    sources (several in one zone or segment, behind normally-closed valves, on either side of
    regulators, on abandoned pipes only), drawn from a second generator so that the
    networks are otherwise those of ``many_sources=False`` (with n_max=40 for more zones).

    Weights: customers, households, critical, and ``bits`` (2**i for customer i, at most 48
    customers: a sum of them is exact and names the set, so totals compare as sets)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, n_max + 1))
    pairs = [(int(rng.integers(0, i)), i) for i in range(1, n)]
    for _ in range(int(rng.integers(0, n // 2 + 1))):
        a, b = (int(x) for x in rng.integers(0, n, 2))
        if a != b:
            pairs.append((a, b))
    kind = np.array(["junction"] * n, dtype=object)
    kind[0] = "source"
    for _ in range(int(rng.choice([0, 1, 2], p=[0.5, 0.3, 0.2]))):
        kind[int(rng.integers(1, n))] = "source"
    for i in range(1, n):
        if kind[i] == "junction":
            r = rng.random()
            kind[i] = "valve" if r < 0.4 else "regulator" if r < 0.5 else "junction"
    if many_sources:
        more = np.random.default_rng([seed, 1])
        p = more.choice([0.2, 0.5, 0.8])
        kind[(kind == "junction") & (more.random(n) < p)] = "source"
    asset = [
        f"{k[0].upper()}{i}" if k in ("valve", "regulator", "source") else None
        for i, k in enumerate(kind)
    ]
    nodes = pd.DataFrame({"node_id": np.arange(n), "kind": kind, "asset_id": asset})
    classes = rng.choice(["MP-A", "LP", "SHP-B"], size=len(pairs), p=[0.45, 0.45, 0.1])
    classes = classes.astype(object)
    status = np.where(rng.random(len(pairs)) < 0.9, "in_service", "abandoned")
    real_rng = np.random.default_rng([seed, 2]) if real else None
    if real and real_rng.random() < 2 / 3:  # (the rest keep every regulator's direction)
        blank = real_rng.choice([None, np.nan])
        classes[real_rng.random(len(pairs)) < real_rng.choice([0.0, 0.1, 0.3])] = blank
        u, v = np.array(pairs).T
        for r in np.flatnonzero(kind == "regulator").tolist():
            at = np.flatnonzero((u == r) | (v == r))
            roll = real_rng.random()
            if roll < 0.2:  # one pipe of unknown class beside known ones (or none left)
                classes[real_rng.choice(at)] = blank
            elif roll < 0.3:  # every pipe at it of unknown class
                classes[at] = blank
    edges = pd.DataFrame(
        {
            "edge_id": np.arange(len(pairs)),
            "u": [a for a, _ in pairs],
            "v": [b for _, b in pairs],
            "status": status,
            "pressure_class": classes,
            "length_m": 1.0,
            "diameter_mm": 100.0,
        }
    )
    valves = np.flatnonzero(kind == "valve")
    closed = valves[rng.random(len(valves)) < 0.15]
    ok_nodes = np.flatnonzero((kind != "valve") & (kind != "regulator"))
    nc = min(int(rng.integers(0, 2 * n)), 48)  # (n_max above 24: "bits" stays exact)
    cust_nodes = rng.choice(ok_nodes, size=nc) if nc else np.empty(0, np.int64)
    cust_nodes = np.where(rng.random(nc) < 0.05, -1, cust_nodes)  # a few unattached
    weights = {
        "customers": np.ones(nc),
        "households": rng.integers(1, 60, nc).astype(float),
        "critical": (rng.random(nc) < 0.2).astype(float),
        "bits": 2.0 ** np.arange(nc),
    }
    if real:  # a shop, a kiosk: a customer without households
        weights["households"][real_rng.random(nc) < 0.15] = 0.0
    return nodes, edges, closed, cust_nodes.astype(np.int64), weights


def main_line(both_ends: bool, engine=None):
    """A straight main of 400 pipes, nodes 0..400, a city gate at node 0 (and at node 400
    when ``both_ends``), a line valve at every tenth node (10, 20, ..., 390: flow.valves[k]
    is node 10 (k + 1)) and a customer at every other node. Zones 0..39 are the stretches
    between valves, west to east; valve k is zone-graph node 40 + k. Zone 0 (nodes 0..9) and
    zones 1..38 hold 9 customers each, zone 39 (nodes 391..400) 10 without the east gate."""
    n = 401
    kind = np.array(["junction"] * n, dtype=object)
    kind[[0, 400] if both_ends else [0]] = "source"
    kind[10:400:10] = "valve"
    nodes = pd.DataFrame({"node_id": np.arange(n), "kind": kind, "asset_id": np.arange(n)})
    edges = pd.DataFrame(
        {
            "edge_id": np.arange(n - 1),
            "u": np.arange(n - 1),
            "v": np.arange(1, n),
            "status": "in_service",
            "pressure_class": "MP-A",
        }
    )
    cust = np.flatnonzero(kind == "junction")
    from gasnet.isolation import FlowGraph, IsolationEngine

    engine = engine or IsolationEngine
    return engine(FlowGraph(nodes, edges), cust, {"customers": np.ones(len(cust))})
