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


def random_layers(seed: int):
    """``random_network(seed)`` drawn as canonical layers, for property tests of the build.

    The nodes sit on a circle of 1 km radius (a straight pipe between two of them passes no
    other node: pipes cross without junctions, as drawn data does), at local metres (see
    ``conftest.canonical``). Pipes are straight, a second pipe between the same two nodes
    bent towards the centre; a valve, source or regulator is drawn on its node (valves on
    junctions of 3+ pipes among them). Each customer of a node hangs on an in-service pipe
    at it: on the line (found by the nearest search) or 5 m beside it naming the pipe
    (``pipe_id``); some 0.2 m from the pipe's far end when that end is a valve, regulator
    or station (beside it, on this node's side); customers of one node often at one spot.
    A customer of a node without an in-service pipe, or unattached, is drawn 5 km away.
    Sometimes one more pipe leaves a node outwards and ends on its own first stretch (a
    P-shaped dead end: one edge to a new end node).

    Returns (layers, (nodes, edges, closed, cust, weights), spots): the layers for
    :func:`gasnet.network.build_network`, the abstract network they draw (with the P-shaped
    pipe's edge and end node, and -1 for the customers drawn away), for
    ``reference.Reference``, and the groups of customer ids drawn at one spot (2 or more).
    """
    nodes, edges, closed, cust, weights = random_network(seed)
    rng = np.random.default_rng([seed, 3])
    n = len(nodes)
    angle = 2 * np.pi * np.arange(n) / n
    pos = 1000.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    kind = nodes["kind"].to_numpy(object)
    asset = nodes["asset_id"].to_numpy(object)
    lines, seen = [], {}
    for a, b in zip(edges["u"].tolist(), edges["v"].tolist(), strict=True):
        copy = seen[frozenset((a, b))] = seen.get(frozenset((a, b)), -1) + 1
        d = (pos[b] - pos[a]) / np.hypot(*(pos[b] - pos[a]))
        # (8 m aside a copy: every other node is 33 m or more from the chord, n <= 24)
        mid = (pos[a] + pos[b]) / 2 + 8.0 * copy * np.array([-d[1], d[0]])
        lines.append([tuple(pos[a]), *([tuple(mid)] if copy else []), tuple(pos[b])])
    if rng.random() < 0.3:  # a P-shaped dead end at node k: one edge k -> its end node n
        k = int(rng.integers(0, n))
        out = pos[k] / 1000.0
        side = np.array([-out[1], out[0]])
        p0, p1 = pos[k], pos[k] + 60 * out
        p = [p0, p1, p1 + 20 * side, p0 + 30 * out + 20 * side, p0 + 30 * out]  # on p0-p1
        lines.append([tuple(q) for q in p])
        pos = np.vstack([pos, p[-1]])
        kind, asset = np.append(kind, "junction"), np.append(asset, None)
        nodes = pd.DataFrame({"node_id": np.arange(n + 1), "kind": kind, "asset_id": asset})
        last = edges.iloc[[0]].assign(edge_id=len(edges), u=k, v=n, status="in_service")
        edges = pd.concat([edges, last], ignore_index=True)
    pipe_ids = [f"P{e}" for e in edges["edge_id"]]
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    live = (edges["status"] == "in_service").to_numpy()
    cust = cust.copy()
    rows, spot_of, spots = [], {}, {}
    for i, k in enumerate(cust.tolist()):
        at = np.flatnonzero(live & ((u == k) | (v == k))) if k >= 0 else np.empty(0, int)
        cid = f"C{i}"
        if not len(at):
            cust[i] = -1
            rows.append((cid, (5000.0 + 10 * i, 5000.0), None))
            continue
        if k in spot_of and rng.random() < 0.6:
            rows.append((cid, *spot_of[k][0]))
            spots.setdefault(spot_of[k][1], [spot_of[k][1]]).append(cid)
            continue
        e = int(rng.choice(at))
        a, b = (u[e], v[e]) if u[e] == k else (v[e], u[e])  # from this node to the far end
        line = np.array(lines[e] if u[e] == k else lines[e][::-1])
        length = np.hypot(*(line[-1] - line[-2]))  # (the last stretch, towards b)
        first = np.hypot(*(line[1] - line[0]))
        beside = kind[b] in ("valve", "regulator", "source") and rng.random() < 0.3
        if beside and len(line) == 2 and b != a:
            xy = line[-1] + (line[-2] - line[-1]) * 0.2 / length
            off, named = 0.0, pipe_ids[e]
        else:
            xy = line[0] + (line[1] - line[0]) * rng.uniform(0.05, 0.45)
            off = float(rng.choice([0.0, 5.0]))
            named = pipe_ids[e] if off else None
        d = (line[1] - line[0]) / first
        xy = tuple(xy + off * np.array([-d[1], d[0]]))
        rows.append((cid, xy, named))
        spot_of.setdefault(k, ((xy, named), cid))
    from conftest import canonical

    classes = edges["pressure_class"].to_numpy(object)
    layers = canonical(
        pipes=[
            (pid, line, None if pd.isna(c) else c, st)
            for pid, line, c, st in zip(pipe_ids, lines, classes, edges["status"], strict=True)
        ],
        valves=[
            (asset[j], tuple(pos[j]), "closed" if j in set(closed.tolist()) else "open")
            for j in np.flatnonzero(kind == "valve").tolist()
        ],
        sources=[(asset[j], tuple(pos[j])) for j in np.flatnonzero(kind == "source").tolist()],
        regulators=[
            (asset[j], tuple(pos[j])) for j in np.flatnonzero(kind == "regulator").tolist()
        ],
        customers=[
            (cid, xy, int(h), bool(c), named)
            for (cid, xy, named), h, c in zip(
                rows, weights["households"], weights["critical"], strict=True
            )
        ],
    )
    return layers, (nodes, edges, closed, cust, weights), list(spots.values())
