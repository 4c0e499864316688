"""Isolation engine benchmark (issue 4), gasnet against WNTR in the same run.

    python bench/engine.py                      # three shapes: WNTR at 1.6k, 16k; 100k, 1M
    python bench/engine.py --one 16000 --wntr   # one size, JSON (--shape grid: bench/grid.py,
                                                # --shape line: bench/line.py)

"engine" is the whole-network criticality from the built network (node / edge tables) to
every result: zones, segments, the dominator tree, the loss of every segment and the
failure impact of every valve. "+tables" adds the GeoPackage tables (segment geometries).
WNTR's ``valve_segments`` gets exactly the graph gasnet analyses: the in-service pipe parts
as links, and each valve node as valves on every link touching it (so it blocks them all,
as a gasnet valve does). It computes segments only, no losses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itertools

from common import in_subprocess, peak_rss_mib, sample_dir
from grid import grid_dir
from line import line_dir


def network_dir(pipes: int, shape: str = "sample") -> Path:
    """The cached generated network of ``shape`` (sample, grid, line) and about ``pipes`` pipes."""
    return {"grid": grid_dir, "line": line_dir}.get(shape, sample_dir)(pipes)


def _network(pipes: int, shape: str = "sample"):
    from gasnet.config import read_config
    from gasnet.ingest import load_layers
    from gasnet.network import build_network

    config = read_config(network_dir(pipes, shape) / "gasnet.toml")
    layers, _ = load_layers(config)
    net, _ = build_network(
        layers,
        snap_tolerance_m=config.snap_tolerance_m,
        customer_max_distance_m=config.customer_max_distance_m,
    )
    return net


def _wntr(net) -> dict:
    import networkx as nx
    import pandas as pd
    from wntr.metrics.topographic import valve_segments

    e = net.layers["edges"][net.layers["edges"]["status"] == "in_service"]
    G = nx.MultiDiGraph()
    G.add_nodes_from(str(n) for n in net.layers["nodes"]["node_id"])
    G.add_edges_from(
        (str(u), str(v), str(k)) for u, v, k in zip(e["u"], e["v"], e["edge_id"], strict=True)
    )
    valve_nodes = set(
        net.layers["nodes"].loc[net.layers["nodes"]["kind"] == "valve", "node_id"].tolist()
    )
    rows = [
        (str(n), str(k))
        for u, v, k in zip(e["u"], e["v"], e["edge_id"], strict=True)
        for n in (u, v)
        if n in valve_nodes
    ]
    layer = pd.DataFrame(rows, columns=["node", "link"])
    t = time.perf_counter()
    _node_seg, link_seg, _size = valve_segments(G, layer)
    return {
        "wntr_s": time.perf_counter() - t,
        "wntr_segments": int(link_seg.nunique()),
        "wntr_links": len(e),
    }


def one(pipes: int, wntr: bool, bursts: int, shape: str = "sample") -> dict:
    from gasnet.isolation import FlowGraph, IsolationEngine, customer_weights, segment_table
    from gasnet.network import closed_valve_nodes

    net = _network(pipes, shape)
    res = {
        "shape": shape,
        "pipes": len(net.layers["pipes"]),
        "edges": len(net.layers["edges"]),
        "valves": len(net.layers["valves"]),
        "customers": len(net.layers["customers"]),
    }
    t = time.perf_counter()
    fg = FlowGraph(net.layers["nodes"], net.layers["edges"])
    fg.set_base_closed(closed_valve_nodes(net.layers["valves"]))
    nodes = net.layers["customers"]["node_id"].to_numpy(np.int64)
    eng = IsolationEngine(fg, nodes, customer_weights(net.layers["customers"]))
    loss, root_of = eng.segment_losses()
    eng.valve_failures(loss, root_of)
    res["engine_s"] = time.perf_counter() - t
    t = time.perf_counter()
    segment_table(eng, net.layers["edges"], net.layers["customers"], net.layers["valves"])
    res["tables_s"] = time.perf_counter() - t
    res.update(
        segments=eng.n_segments,
        zone_graph=eng.n_zg,
        fallbacks=eng.fallbacks,
        peak_mib=peak_rss_mib(),
    )
    if bursts:
        net.__dict__["engine"] = eng  # reuse
        net.__dict__["flow"] = fg
        rng = np.random.default_rng(0)
        live = (
            net.layers["pipes"]
            .loc[net.layers["pipes"]["status"] == "in_service", "pipe_id"]
            .to_numpy()
        )
        net.burst(pipe=live[0])  # warm caches
        ts = []
        for pid in rng.choice(live, bursts, replace=False):
            t = time.perf_counter()
            net.burst(pipe=pid)
            ts.append(time.perf_counter() - t)
        ts = np.array(ts) * 1000
        res.update(
            burst_median_ms=float(np.median(ts)),
            burst_p90_ms=float(np.percentile(ts, 90)),
            burst_max_ms=float(ts.max()),
            bursts=bursts,
        )
    if wntr:
        res.update(_wntr(net))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", type=int)
    ap.add_argument("--shape", choices=("sample", "grid", "line"), default="sample")
    ap.add_argument("--wntr", action="store_true")
    ap.add_argument("--bursts", type=int, default=0)
    ap.add_argument("--wntr-sizes", default="1600,16000")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--shapes", default="sample,grid,line")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.wntr, args.bursts, args.shape)))
        return
    rows = []
    for shape in args.shapes.split(","):
        for n in [int(s) for s in args.wntr_sizes.split(",") if s]:
            rows.append(in_subprocess(Path(__file__), "--one", n, "--shape", shape, "--wntr"))
        for n in [int(s) for s in args.sizes.split(",") if s]:
            bursts = 30 if n <= 200_000 else 0
            rows.append(
                in_subprocess(Path(__file__), "--one", n, "--shape", shape, "--bursts", bursts)
            )
    print(
        f"{'shape':>6} {'pipes':>9} {'edges':>9} {'valves':>7} {'segments':>9} {'engine s':>9} "
        f"{'+tables s':>9} {'peak MiB':>9} {'WNTR s':>8} {'WNTR/gasnet':>12}"
    )
    for r in rows:
        w = f"{r['wntr_s']:>8.1f} {r['wntr_s'] / r['engine_s']:>11.0f}x" if "wntr_s" in r else ""
        print(
            f"{r['shape']:>6} {r['pipes']:>9} {r['edges']:>9} {r['valves']:>7} "
            f"{r['segments']:>9} {r['engine_s']:>9.2f} {r['tables_s']:>9.2f} "
            f"{r['peak_mib']:>9.0f} {w}"
        )
    for shape in args.shapes.split(","):
        mine = [r for r in rows if r["shape"] == shape]
        ws = [r for r in mine if "wntr_s" in r]
        for a, b in itertools.pairwise(ws):
            print(
                f"{shape}: {a['pipes']} -> {b['pipes']} pipes ({b['pipes'] / a['pipes']:.1f}x "
                f"data): gasnet {b['engine_s'] / a['engine_s']:.1f}x time, WNTR "
                f"{b['wntr_s'] / a['wntr_s']:.1f}x time"
            )
        gs = [r for r in mine if "wntr_s" not in r]
        for a, b in itertools.pairwise(gs):
            print(
                f"{shape}: {a['pipes']} -> {b['pipes']} pipes ({b['pipes'] / a['pipes']:.1f}x "
                f"data): gasnet engine {b['engine_s'] / a['engine_s']:.1f}x time"
            )
        for r in mine:
            if "burst_median_ms" in r:
                print(
                    f"{shape}: burst on {r['pipes']} pipes ({r['bursts']} random pipes): "
                    f"median {r['burst_median_ms']:.0f} ms, p90 {r['burst_p90_ms']:.0f} ms, "
                    f"max {r['burst_max_ms']:.0f} ms"
                )
        print(
            f"{shape}: segment counts agree with WNTR where both ran: "
            + ", ".join(f"{r['pipes']}: {r['segments']} / {r['wntr_segments']}" for r in ws)
        )


if __name__ == "__main__":
    main()
