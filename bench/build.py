"""Load + build benchmark (issue 3): read the shapefiles, normalise, validate, build topology.

    python bench/build.py                 # 10k, 100k, 1M pipes, each in a fresh process
    python bench/build.py --one 100000    # one size, prints JSON

The networkx MultiGraph (``Network.graph``) is built on demand; its time and memory are
measured separately ("+networkx").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itertools

from common import Timer, in_subprocess, peak_rss_mib, sample_dir


def one(pipes: int, with_nx: bool) -> dict:
    from gasnet.config import read_config
    from gasnet.graph import graph_from_gdfs
    from gasnet.ingest import load_layers
    from gasnet.topology import build_topology

    config = read_config(sample_dir(pipes) / "gasnet.toml")
    t = Timer()
    with t("load"):
        layers, _report = load_layers(config)
    with t("build"):
        topo, _ = build_topology(
            layers,
            snap_tolerance_m=config.snap_tolerance_m,
            customer_max_distance_m=config.customer_max_distance_m,
        )
    mem = peak_rss_mib()
    res = {
        "pipes": len(layers["pipes"]),
        "nodes": len(topo.nodes),
        "edges": len(topo.edges),
        "load_s": t.t["load"],
        "build_s": t.t["build"],
        "peak_mib": mem,
    }
    if with_nx:
        with t("nx"):
            G = graph_from_gdfs(topo.nodes, topo.edges)
        res.update(nx_s=t.t["nx"], nx_peak_mib=peak_rss_mib(), nx_edges=G.number_of_edges())
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", type=int)
    ap.add_argument("--nx", action="store_true")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.nx)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        sample_dir(n)  # generate outside the measurement
        r = in_subprocess(Path(__file__), "--one", n)
        rn = in_subprocess(Path(__file__), "--one", n, "--nx")
        r.update({k: rn[k] for k in ("nx_s", "nx_peak_mib")})
        rows.append(r)
    print(
        f"{'pipes':>9} {'edges':>9} {'load s':>7} {'build s':>8} {'total s':>8} {'peak MiB':>9}"
        f" {'+networkx s':>12} {'peak MiB':>9}"
    )
    for r in rows:
        print(
            f"{r['pipes']:>9} {r['edges']:>9} {r['load_s']:>7.1f} {r['build_s']:>8.1f} "
            f"{r['load_s'] + r['build_s']:>8.1f} {r['peak_mib']:>9.0f} {r['nx_s']:>12.1f} "
            f"{r['nx_peak_mib']:>9.0f}"
        )
    for a, b in itertools.pairwise(rows):
        ratio = (b["load_s"] + b["build_s"]) / (a["load_s"] + a["build_s"])
        print(
            f"scaling {a['pipes']} -> {b['pipes']} pipes ({b['pipes'] / a['pipes']:.1f}x data): "
            f"load+build {ratio:.1f}x time, {b['peak_mib'] / a['peak_mib']:.1f}x peak memory"
        )


if __name__ == "__main__":
    main()
