"""`make bench`: every benchmark, each measurement in a fresh process; results also saved to
bench/out/results.txt. Generated networks are cached in bench/out/ (about 1 GB at 1M pipes).

    python bench/run.py            # build (10k, 100k, 1M) + engine vs WNTR (1.6k, 16k) + 100k, 1M
                                   # + hazards: 100k and 1M records on 100k pipes, vs GeoPandas
                                   # + maps: HTML size and Chromium open time, 10k and 100k
                                   # + advise: valve positions and repairs, 4.5k, 100k, grid 16k
                                   # + stages: each CLI stage a fresh process, sample, grid, line
                                   #   at 10k, 100k, 1M (WNTR where it ends in 600 s); first
                                   #   grid 16k end to end vs WNTR (issue 11: at least 20x)
                                   # + postgis: gasnet publish vs ogr2ogr, reads, sample and
                                   #   grid at 100k and 1M (a throwaway PostgreSQL cluster)
    python bench/run.py --quick    # small sizes only (a few minutes less; stages: 10k, WNTR
                                   # only in the end-to-end check, on the 1.6k grid)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    build = ["--sizes", "10000,100000"] if args.quick else []
    engine = ["--sizes", "100000"] if args.quick else []
    hazards = ["--pipes", "10000", "--sizes", "10000,100000"] if args.quick else []
    maps = ["--sizes", "10000"] if args.quick else []
    advise = ["--sizes", "4500", "--grid-sizes", "1600"] if args.quick else []
    stages = ["--sizes", "10000", "--wntr-max", "0", "--e2e-grid", "1600"] if args.quick else []
    postgis = ["--sizes", "10000"] if args.quick else []
    out = []
    scripts = (
        ("build.py", build),
        ("engine.py", engine),
        ("hazards.py", hazards),
        ("maps.py", maps),
        ("advise.py", advise),
        ("stages.py", stages),
        ("postgis.py", postgis),
    )
    for script, extra in scripts:
        title = f"== {script} {' '.join(extra)}".rstrip()
        print(title, flush=True)
        res = subprocess.run(
            [sys.executable, str(HERE / script), *extra], check=True, capture_output=True, text=True
        )
        print(res.stdout, flush=True)
        out += [title, res.stdout]
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "results.txt").write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
