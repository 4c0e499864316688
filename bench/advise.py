"""Valve-placement advice benchmark (issue 10, part 3): ``advise_valves`` and ``advise_repairs``.

    python bench/advise.py                         # sample 4.5k (the bundled one), 100k; grid 16k
    python bench/advise.py --one 100000            # one size, JSON (--shape grid: bench/grid.py)

The network is built in memory from the generated files (as bench/engine.py does); "engine"
is the isolation engine of the base state (zones, dominator tree), which both answers use;
"valves" is every candidate position with its two halves' losses, exact, plus the ranked
table; "repairs" every open inoperable valve's effect on the burst consequence of every
segment. "slow sides": candidate halves whose loss needed the augmented engine's local set
removal (the others are one dominator subtree); "fallbacks": full searches that removal fell
back to.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import in_subprocess, peak_rss_mib
from engine import _network


def one(pipes: int, shape: str = "sample") -> dict:
    from gasnet.advise import advise_repairs, advise_valves

    net = _network(pipes, shape)
    res = {
        "shape": shape,
        "pipes": len(net.layers["pipes"]),
        "edges": len(net.layers["edges"]),
        "valves": len(net.layers["valves"]),
        "inoperable": int((~net.valve_operable).sum()),
    }
    t = time.perf_counter()
    eng = net.engine
    res["engine_s"] = time.perf_counter() - t
    t = time.perf_counter()
    va = advise_valves(net)
    res["valves_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ra = advise_repairs(net)
    res["repairs_s"] = time.perf_counter() - t
    res.update(
        segments=eng.n_segments,
        candidates=va.attrs["candidates"],
        slow_sides=va.attrs["slow_sides"],
        fallbacks=va.attrs["fallbacks"],
        positions=len(va),
        repairs=len(ra),
        peak_mib=peak_rss_mib(),
    )
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", type=int)
    ap.add_argument("--shape", choices=("sample", "grid"), default="sample")
    ap.add_argument("--sizes", default="4500,100000")
    ap.add_argument("--grid-sizes", default="16000")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.shape)))
        return
    runs = [("sample", int(n)) for n in args.sizes.split(",") if n]
    runs += [("grid", int(n)) for n in args.grid_sizes.split(",") if n]
    rows = [in_subprocess(Path(__file__), "--one", n, "--shape", shape) for shape, n in runs]
    print(
        f"{'shape':>6} {'pipes':>8} {'segments':>8} {'candidates':>10} {'slow':>7} "
        f"{'engine s':>8} {'valves s':>8} {'inoperable':>10} {'repairs s':>9} {'peak MiB':>8}"
    )
    for r in rows:
        print(
            f"{r['shape']:>6} {r['pipes']:>8} {r['segments']:>8} {r['candidates']:>10} "
            f"{r['slow_sides']:>7} {r['engine_s']:>8.2f} {r['valves_s']:>8.2f} "
            f"{r['inoperable']:>10} {r['repairs_s']:>9.2f} {r['peak_mib']:>8.0f}"
        )
    print(
        "fallbacks (full searches): "
        + ", ".join(f"{r['shape']} {r['pipes']}: {r['fallbacks']}" for r in rows)
    )


if __name__ == "__main__":
    main()
