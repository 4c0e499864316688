"""The spatial stages in one process against Dask (``--workers N``), on generated networks.

Each command (``gasnet ingest``, ``build``, ``hazards``) runs in a fresh process, once in one
process and once with ``--workers N``, on its own copy of the network (``criticality``, a
graph stage that stays in one process, runs untimed between build and hazards, as hazards
needs its segments). Wall time from start to exit; peak memory of the whole process tree (the
command, and with Dask its local cluster's nanny and worker processes), the sum of their
resident memory sampled every 0.1 s with psutil. Single shots: on a shared machine, read the
figures as an order of magnitude. Not part of ``make bench`` nor of CI.

    PYTHONPATH=src python bench/dask.py --pipes 100000,1000000 --workers 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, sample_dir

STAGES = ("ingest", "build", "hazards")
GASNET = "import sys; from gasnet.cli import main; sys.exit(main())"


def tree_rss(proc) -> int:
    """Resident bytes of ``proc`` and all its descendants now."""
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def measured(args: list[str], cwd: Path) -> dict:
    """Run ``gasnet ARGS``: wall seconds, peak MiB of the process tree, exit code."""
    import psutil

    # This checkout's gasnet, whatever the folder the command runs in.
    src = str(Path(__file__).resolve().parent.parent / "src")
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=path)
    start = time.perf_counter()
    with open(cwd / "bench.log", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", GASNET, *args], cwd=cwd, env=env, stdout=log, stderr=log
        )
        proc, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            try:
                peak = max(peak, tree_rss(proc))
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.1)
    return {"s": time.perf_counter() - start, "mib": peak / 2**20, "rc": child.returncode}


def counts(config: Path) -> tuple[int, int]:
    """Customers and hazard records of a generated network (from its raw files)."""
    import pyogrio

    raw = config.parent / "raw"
    customers = pyogrio.read_info(raw / "customers.shp")["features"]
    hazards = sum(
        pyogrio.read_info(f)["features"] for f in raw.glob("hazard*") if f.suffix != ".cpg"
    )
    return customers, hazards


def case(pipes: int, workers: int) -> list[dict]:
    src = sample_dir(pipes)
    rows = []
    runs = {}
    for mode in ("single", "dask"):
        d = OUT / f"dask-{mode}-p{pipes}"
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        shutil.copy(src / "gasnet.toml", d / "gasnet.toml")
        (d / "raw").symlink_to(src / "raw")
        runs[mode] = d
    customers, hazards = counts(runs["single"] / "gasnet.toml")
    for stage in STAGES:
        if stage == "hazards":
            for d in runs.values():
                measured(["--config", str(d / "gasnet.toml"), "criticality"], d)
        row = {"pipes": pipes, "customers": customers, "hazards": hazards, "stage": stage}
        for mode, d in runs.items():
            opts = ["--workers", str(workers)] if mode == "dask" else []
            m = measured([*opts, "--config", str(d / "gasnet.toml"), stage], d)
            if m["rc"]:
                raise SystemExit(f"{mode} {stage} at {pipes} pipes failed: see {d}/bench.log")
            row[mode] = m
        rows.append(row)
        print(line(row), flush=True)
    return rows


def line(r: dict) -> str:
    s, d = r["single"], r["dask"]
    return (
        f"| {r['pipes']:,} | {r['customers']:,} | {r['hazards']:,} | {r['stage']} | "
        f"{s['s']:.1f} ({s['mib']:,.0f}) | {d['s']:.1f} ({d['mib']:,.0f}) | "
        f"{s['s'] / d['s']:.2f}× |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pipes", default="100000,1000000", help="sizes, comma-separated")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    print(
        "| pipes | customers | hazard records | command | one process s (MiB) | "
        f"--workers {a.workers} s (MiB, with workers) | speed-up |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|")
    for n in (int(x) for x in a.pipes.split(",")):
        case(n, a.workers)


if __name__ == "__main__":
    main()
