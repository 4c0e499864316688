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
import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, sample_dir
from grid import grid_dir

#: Inspectors' hazard categories as the sample draws them, and how far from its pipe each lies.
from gasnet.sample import _HAZARD_OFFSET_M, _HAZARDS, WORKING_CRS, sample_config

STAGES = ("ingest", "build", "hazards")
MODES = ("single", "dask")
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


#: Stop a command whose process tree holds more than this (GiB; 0: no limit): the machine's
#: other work (and the kernel's OOM killer's choice of victim) is spared, and the row says
#: the single process ran short of memory.
MEMORY_CAP_GIB = 0.0
#: Stop a command running longer than this (s; 0: no limit): it ran short of time.
TIME_CAP_S = 0.0


def measured(args: list[str], cwd: Path) -> dict:
    """Run ``gasnet ARGS``: wall seconds, peak MiB of the process tree, exit code (``"memory"``
    or ``"time"`` when stopped at :data:`MEMORY_CAP_GIB` or :data:`TIME_CAP_S`)."""
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
        proc, peak, stopped = psutil.Process(child.pid), 0, None
        while child.poll() is None:
            try:
                peak = max(peak, tree_rss(proc))
            except psutil.NoSuchProcess:
                pass
            if MEMORY_CAP_GIB and peak > MEMORY_CAP_GIB * 2**30:
                stopped = "memory"
            elif TIME_CAP_S and time.perf_counter() - start > TIME_CAP_S:
                stopped = "time"
            if stopped:
                for p in [*proc.children(recursive=True), proc]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        p.kill()
                child.wait()
                break
            time.sleep(0.1)
    rc = stopped or child.returncode
    return {"s": time.perf_counter() - start, "mib": peak / 2**20, "rc": rc}


def counts(config: Path) -> tuple[int, int]:
    """Customers and hazard records of a generated network (from its raw files)."""
    import pyogrio

    raw = config.parent / "raw"
    gpkg = raw / "customers.gpkg"
    customers = pyogrio.read_info(gpkg if gpkg.exists() else raw / "customers.shp")["features"]
    hazards = sum(
        pyogrio.read_info(f)["features"] for f in raw.glob("hazard*") if f.suffix != ".cpg"
    )
    return customers, hazards


def dense_dir(
    pipes: int, customers: int, hazards: int, shape: str = "sample", seed: int = 11
) -> Path:
    """The generated network of ``pipes`` pipes (``shape``: the sample's city, or
    bench/grid.py's street grid valved at the pipe ends) with its customers and inspection
    records replaced by ``customers`` customers and ``hazards`` hazard records (points in the
    inspection app's lon/lat CSV, as the sample's), drawn beside random pipes: a provincial
    operator's density on a city's network (the sample generator draws 0.66 customers and
    0.075 records a pipe). Written once and cached in bench/out; the other raw files are links
    to the network's."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyogrio
    import pyproj
    import shapely

    src = network_dir(shape, pipes)
    d = OUT / f"dense-{src.name}-c{customers}-h{hazards}-s{seed}"
    if (d / "gasnet.toml").exists():
        return d
    tmp = d.with_name(d.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "raw").mkdir(parents=True)
    for f in (src / "raw").iterdir():
        if f.stem not in ("customers", "hazards"):
            (tmp / "raw" / f.name).symlink_to(f)
    shutil.copy(src / "gasnet.toml", tmp / "gasnet.toml")
    lines = pyogrio.read_dataframe(src / "raw" / "pipes.shp", columns=[]).geometry.values
    rng = np.random.default_rng(seed)

    def beside(n: int, reach) -> tuple:
        """``n`` points within ``reach`` metres of random points of random pipes."""
        at = shapely.line_interpolate_point(
            lines[rng.integers(0, len(lines), n)], rng.random(n), normalized=True
        )
        off, angle = reach * rng.random(n), rng.random(n) * 2 * np.pi
        return shapely.get_x(at) + off * np.cos(angle), shapely.get_y(at) + off * np.sin(angle)

    def numbered(prefix: str, n: int) -> np.ndarray:
        return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 8))

    x, y = beside(customers, 40.0)  # (customer_max_distance_m is 60)
    kinds = rng.choice(["居民", "商业", "工业"], size=customers, p=[0.9, 0.08, 0.02])
    cust = gpd.GeoDataFrame(
        {
            "用户编号": numbered("KD", customers),
            "用户名称": np.char.add("用户", np.arange(customers).astype(str)),
            "用户类型": kinds,
            "户数": np.where(kinds == "居民", rng.integers(1, 61, customers), 1).astype("int32"),
            "接入管线": np.full(customers, None, dtype=object),
        },
        geometry=shapely.points(x, y),
        crs=WORKING_CRS,
    )
    # A GeoPackage: millions of customers overflow a shapefile's 2 GB .dbf.
    pyogrio.write_dataframe(cust, tmp / "raw" / "customers.gpkg", layer="customers")
    toml = tmp / "gasnet.toml"
    text = toml.read_text(encoding="utf-8")
    if shape != "sample":  # the sample's customer fields, and its inspection app's records
        config = sample_config("raw", "processed")
        start = config.index("[layers.customers]")
        end = config.index("[[layers.hazards]]", config.index("[[layers.hazards]]") + 1)
        text = text[: text.index("[layers.customers]")] + config[start:end]
    toml.write_text(text.replace("raw/customers.shp", "raw/customers.gpkg"), encoding="utf-8")
    del cust, x, y

    cats = np.array([c for c, _, _ in _HAZARDS], dtype=object)
    probs = np.array([p for _, p, _ in _HAZARDS])
    pick = rng.choice(len(cats), size=hazards, p=probs / probs.sum())
    x, y = beside(hazards, np.array([_HAZARD_OFFSET_M.get(c, 0.5) for c in cats])[pick])
    lon, lat = pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:4326", always_xy=True).transform(x, y)
    major = rng.random(hazards) < 0.15
    found = np.datetime64("2025-01-01") + rng.integers(0, 600, hazards).astype("timedelta64[D]")
    due = found + np.where(major, 30, 90).astype("timedelta64[D]")
    pd.DataFrame(
        {
            "隐患编号": numbered("YD", hazards),
            "隐患类别": cats[pick],
            "隐患等级": np.where(major, "重大隐患", "一般隐患"),
            "整改状态": rng.choice(
                ["未整改", "整改中", "已整改"], size=hazards, p=[0.5, 0.25, 0.25]
            ),
            "发现日期": found.astype(str),
            "整改期限": due.astype(str),
            "隐患描述": np.array([t for _, _, t in _HAZARDS], dtype=object)[pick],
            "经度": np.round(lon, 7),
            "纬度": np.round(lat, 7),
        }
    ).to_csv(tmp / "raw" / "hazards.csv", index=False, encoding="utf-8-sig")
    # (the sample's few hazard areas stay: hazard_areas.geojson is linked)
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)
    return d


def network_dir(shape: str, pipes: int) -> Path:
    return grid_dir(pipes) if shape == "grid" else sample_dir(pipes)


def case(
    pipes: int, workers: int, dense: tuple | None = None, modes=MODES, shape: str = "sample"
) -> list[dict]:
    src = dense_dir(pipes, *dense, shape) if dense else network_dir(shape, pipes)
    rows = []
    runs = {}
    for mode in modes:
        d = OUT / f"dask-{mode}-{src.name}"
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        shutil.copy(src / "gasnet.toml", d / "gasnet.toml")
        (d / "raw").symlink_to(src / "raw")
        runs[mode] = d
    customers, hazards = counts(src / "gasnet.toml")
    failed = set()
    for stage in STAGES:
        if stage == "hazards":  # (criticality: one process either way; timed, not compared)
            for mode, d in runs.items():
                if mode not in failed:
                    crit = measured(["--config", str(d / "gasnet.toml"), "criticality"], d)
                    print(f"({mode} criticality: {crit['s']:.1f} s, {crit['mib']:,.0f} MiB)")
        row = {"pipes": pipes, "customers": customers, "hazards": hazards, "stage": stage}
        for mode, d in runs.items():
            if mode in failed:
                continue
            opts = ["--workers", str(workers)] if mode == "dask" else []
            row[mode] = m = measured([*opts, "--config", str(d / "gasnet.toml"), stage], d)
            if m["rc"]:  # (out of memory: killed; the later stages need this one)
                failed.add(mode)
        rows.append(row)
        print(line(row), flush=True)
    return rows


def line(r: dict) -> str:
    def cell(m):
        if m is None:
            return "–"
        fig = f"{m['s']:.1f} ({m['mib']:,.0f})"
        if m["rc"] in ("memory", "time"):
            return f"short of {m['rc']}: stopped at {fig}"
        return f"failed, exit {m['rc']}, after {fig}" if m["rc"] else fig

    s, d = r.get("single"), r.get("dask")
    ratio = f"{s['s'] / d['s']:.2f}×" if s and d and not s["rc"] and not d["rc"] else "–"
    return (
        f"| {r['pipes']:,} | {r['customers']:,} | {r['hazards']:,} | {r['stage']} | "
        f"{cell(s)} | {cell(d)} | {ratio} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pipes", default="100000,1000000", help="sizes, comma-separated")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--dense",
        metavar="CUSTOMERS,HAZARDS",
        help="this many customers and hazard records instead of the generator's own",
    )
    ap.add_argument("--only", choices=MODES, help="one mode (sizing runs)")
    ap.add_argument("--shape", choices=("sample", "grid"), default="sample")
    ap.add_argument("--memory-cap", type=float, default=0, help="GiB: stop a command above it")
    ap.add_argument("--time-cap", type=float, default=0, help="minutes: stop a command after")
    a = ap.parse_args()
    global MEMORY_CAP_GIB, TIME_CAP_S
    MEMORY_CAP_GIB, TIME_CAP_S = a.memory_cap, a.time_cap * 60
    dense = tuple(int(x) for x in a.dense.split(",")) if a.dense else None
    print(
        "| pipes | customers | hazard records | command | one process s (MiB) | "
        f"--workers {a.workers} s (MiB, with workers) | speed-up |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|")
    for n in (int(x) for x in a.pipes.split(",")):
        case(n, a.workers, dense, (a.only,) if a.only else MODES, a.shape)


if __name__ == "__main__":
    main()
