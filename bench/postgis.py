"""The PostGIS store: `gasnet publish` of a whole one-map GeoPackage into PostGIS, against
GDAL's own loader (`ogr2ogr -f PostgreSQL`, with COPY and GiST indexes, as a GIS team would
load it) in the same run; and reading every table back, PostGIS against the GeoPackage.

    python bench/postgis.py [--shapes sample,grid] [--sizes 100000,1000000]

The GeoPackage of each network is made once (`gasnet ingest`, `build`, `criticality`,
`hazards`) and cached in bench/out/pg-<network>/. The database is a throwaway cluster
(tests/pgcluster.py: Debian's PostgreSQL with PostGIS on a Unix socket, fsync off: the
measurement is gasnet's and GDAL's work, not this machine's disk).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from common import OUT  # noqa: E402
from engine import network_dir  # noqa: E402
from stages import gasnet_command, timed  # noqa: E402

READ = """
import json, sys, time
from gasnet import postgis, store
kind, where = sys.argv[1], sys.argv[2]
s = postgis.PostGISStore(where) if kind == "pg" else store.GeoPackageStore(where)
t = time.perf_counter()
names = [n for n in s.list_layers() if n != "run_metadata"]
layers, meta, _ = s.read_snapshot(dict.fromkeys(names, "x"))
print(json.dumps({"s": time.perf_counter() - t, "rows": sum(len(f) for f in layers.values())}))
"""


def geopackage(shape: str, pipes: int) -> Path:
    """The network's one-map GeoPackage (made once)."""
    src = network_dir(pipes, shape)
    work = OUT / f"pg-{src.name}"
    gpkg = work / "processed" / "gasnet.gpkg"
    if gpkg.exists():
        return gpkg
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work, ignore=shutil.ignore_patterns("processed"))
    text = (work / "gasnet.toml").read_text(encoding="utf-8")
    for stage in ("ingest", "build", "criticality", "hazards"):
        if stage == "hazards" and "[layers.hazards" not in text:
            continue
        print(f"  {shape} {pipes:,}: gasnet {stage}", file=sys.stderr, flush=True)
        cmd = [*gasnet_command(), "--config", str(work / "gasnet.toml"), stage]
        subprocess.run(cmd, check=True, capture_output=True)
    return gpkg


def read_time(kind: str, where: str, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", READ, kind, where], check=False, capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"reading {where} failed: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="sample,grid")
    ap.add_argument("--sizes", default="100000,1000000")
    args = ap.parse_args()
    import pgcluster

    cluster = pgcluster.Cluster()
    env = {**os.environ, **cluster.env}
    rows = []
    try:
        for shape in args.shapes.split(","):
            for size in map(int, args.sizes.split(",")):
                gpkg = geopackage(shape, size)
                schema = f"{shape}_{size}"
                print(f"  {shape} {size:,}: publish", file=sys.stderr, flush=True)
                cmd = [
                    *gasnet_command(),
                    "publish",
                    "--gpkg",
                    str(gpkg),
                    "--db",
                    cluster.url(schema),
                ]
                ours = timed_env(cmd, gpkg.parent, env)
                peer = None
                if shutil.which("ogr2ogr"):
                    print(f"  {shape} {size:,}: ogr2ogr", file=sys.stderr, flush=True)
                    cluster.sql("onemap", f"CREATE SCHEMA {schema}_gdal")
                    cmd = ["ogr2ogr", "-f", "PostgreSQL", cluster.gdal(f"{schema}_gdal"), str(gpkg),
                           "--config", "PG_USE_COPY", "YES", "-lco", "GEOMETRY_NAME=geom",
                           "-lco", "FID=fid"]  # fmt: skip
                    peer = timed_env(cmd, gpkg.parent, env)
                rows.append(
                    {
                        "shape": shape,
                        "size": size,
                        "mb": gpkg.stat().st_size / 1e6,
                        "publish": ours,
                        "ogr2ogr": peer,
                        "read_pg": read_time("pg", cluster.url(schema), env),
                        "read_gpkg": read_time("gpkg", str(gpkg), env),
                    }
                )
    finally:
        cluster.stop()
    print(
        "| shape | size | GeoPackage MB | rows | publish s | peak MiB | ogr2ogr s | ogr2ogr / "
        "publish | read PostGIS s | read GeoPackage s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        p, g = r["publish"], r["ogr2ogr"]
        ratio = f"{g['s'] / p['s']:.2f}" if g and not g["rc"] and not p["rc"] else "-"
        print(
            f"| {r['shape']} | {r['size']:,} | {r['mb']:.0f} | {r['read_pg']['rows']:,} | "
            f"{p['s']:.1f} | {p['mib']:.0f} | {g['s'] if g else float('nan'):.1f} | {ratio} | "
            f"{r['read_pg']['s']:.1f} | {r['read_gpkg']['s']:.1f} |"
        )
        for name in ("publish", "ogr2ogr"):
            if r[name] and r[name]["rc"]:
                print(f"  {r['shape']} {r['size']:,}: {name} failed: {r[name].get('error')}")
    by = {(r["shape"], r["size"]): r for r in rows}
    for shape in args.shapes.split(","):
        sizes = sorted(s for sh, s in by if sh == shape)
        for a, b in itertools.pairwise(sizes):
            grow = by[shape, b]["publish"]["s"] / by[shape, a]["publish"]["s"]
            print(f"{shape}: publish {a:,} -> {b:,} pipes: {grow:.1f}x the time")


def timed_env(cmd: list[str], cwd: Path, env: dict) -> dict:
    old = dict(os.environ)
    os.environ.update(env)
    try:
        return timed(cmd, cwd)
    finally:
        os.environ.clear()
        os.environ.update(old)


if __name__ == "__main__":
    main()
