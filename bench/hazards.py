"""Hazard overlay and priority benchmark (issue 8): gasnet against plain GeoPandas, same run.

    python bench/hazards.py                                  # sample and grid, 100k pipes
    python bench/hazards.py --one 100000 --records 1000000   # one case, JSON

Records are generated near random in-service pipe parts: 96 % points (placed as far from the
pipe as their category reaches, up to 1.5 times, so some match nothing), 3 % lines (works
along a street), 1 % areas (10 to 100 m across). "overlay" is :func:`gasnet.hazards.overlay`
(every record-pipe pair with distance and exposed length); "assess" is the whole stage in
memory: overlay, major-hazard rules, consequence from the isolation engine, exposure, score,
tiers, ranking and roll-ups (the engine and the segments table are built beforehand, as the
criticality stage does, and timed apart). The
peer is the overlay as one writes it with GeoPandas: buffer each record by its category's
widest reach, ``sjoin(predicate="intersects")`` with the pipe parts, then the distances, the
per-class reach and the exposed lengths on the joined rows.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import in_subprocess, peak_rss_mib

AS_OF = datetime.date(2026, 11, 30)


def records(net, n: int, seed: int = 11):
    """``n`` hazard records near the network's in-service pipe parts (working CRS)."""
    import geopandas as gpd
    import shapely

    from gasnet._hazard_settings import CATEGORIES, DEFAULT_INFLUENCE_M

    rng = np.random.default_rng(seed)
    edges = net.layers["edges"][net.layers["edges"]["status"] == "in_service"]
    lines = np.asarray(edges.geometry.values, dtype=object)
    pick = rng.integers(0, len(lines), n)
    at = shapely.line_interpolate_point(lines[pick], rng.random(n), normalized=True)
    cat = np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)]
    reach = np.array([DEFAULT_INFLUENCE_M[c]["MP-A"] for c in cat]) * 1.5
    off, angle = reach * rng.random(n), rng.random(n) * 2 * np.pi
    x = shapely.get_x(at) + off * np.cos(angle)
    y = shapely.get_y(at) + off * np.sin(angle)
    geom = shapely.points(x, y)
    kind = rng.random(n)
    line = kind > 0.96
    area = kind > 0.99
    length = rng.uniform(20, 80, line.sum())
    geom[line] = shapely.linestrings(
        np.stack(
            [np.column_stack([x[line], y[line]]), np.column_stack([x[line] + length, y[line]])], 1
        )
    )
    geom[area] = shapely.buffer(geom[area], rng.uniform(5, 50, area.sum()), quad_segs=4)
    found = np.datetime64("2025-01-01") + rng.integers(0, 600, n).astype("timedelta64[D]")
    due = found + np.where(rng.random(n) < 0.15, 30, 90).astype("timedelta64[D]")
    return gpd.GeoDataFrame(
        {
            "hazard_id": [f"H{k}" for k in range(n)],
            "category": cat,
            "severity": np.where(rng.random(n) < 0.15, "major", "general"),
            "status": rng.choice(["open", "in_progress", "closed"], n, p=[0.5, 0.25, 0.25]),
            "found_on": found.astype(str),
            "due_on": due.astype(str),
            "description": "",
        },
        geometry=geom,
        crs=net.layers["edges"].crs,
    )


def geopandas_overlay(hazards, edges, settings) -> int:
    """The peer: buffer + sjoin + per-row distance, reach and exposed length."""
    import geopandas as gpd
    import pandas as pd

    live = edges[edges["status"] == "in_service"][["pressure_class", "geometry"]]
    widest = {c: max(v.values()) for c, v in settings.influence_m.items()}
    reach = hazards["category"].map(widest).fillna(widest["other"])
    zones = gpd.GeoDataFrame(
        {"h": np.arange(len(hazards)), "category": hazards["category"]},
        geometry=hazards.geometry.buffer(reach),
        crs=hazards.crs,
    )
    pairs = gpd.sjoin(zones, live, predicate="intersects")
    hg = hazards.geometry.iloc[pairs["h"].to_numpy()].reset_index(drop=True)
    eg = live.geometry.loc[pairs["index_right"].to_numpy()].reset_index(drop=True)
    dist = hg.distance(eg)
    table = pd.DataFrame(settings.influence_m).T
    cls = pairs["pressure_class"].fillna("HP-A").to_numpy()
    radius = table.reindex(pairs["category"].to_numpy())[list(table.columns)].to_numpy()[
        np.arange(len(pairs)), table.columns.get_indexer(cls)
    ]
    keep = (dist.to_numpy() <= radius).nonzero()[0]
    exposed = eg.iloc[keep].intersection(hg.iloc[keep].buffer(radius[keep]), align=False).length
    return len(exposed)


def one(pipes: int, n: int, shape: str, peer: bool) -> dict:
    from engine import _network

    from gasnet._hazard_settings import HazardSettings
    from gasnet.hazards import assess, overlay

    net = _network(pipes, shape)
    t = time.perf_counter()
    segments = net.criticality().segments.reset_index()  # as the criticality stage wrote it
    res = {
        "shape": shape,
        "pipes": len(net.layers["pipes"]),
        "edges": len(net.layers["edges"]),
        "records": n,
    }
    res["criticality_s"] = time.perf_counter() - t
    net.hazards = records(net, n)
    settings = HazardSettings()
    t = time.perf_counter()
    pairs = overlay(net.layers["hazards"], net.layers["edges"], settings)
    res["overlay_s"] = time.perf_counter() - t
    res["pairs"] = len(pairs)
    t = time.perf_counter()
    out = assess(net, settings, as_of=AS_OF, segment_table=segments)
    res["assess_s"] = time.perf_counter() - t
    res["matched"] = int((out.risk["pipes_matched"] > 0).sum())
    res["P1"] = int((out.risk["tier"] == "P1").sum())
    if peer:
        t = time.perf_counter()
        res["peer_pairs"] = geopandas_overlay(net.layers["hazards"], net.layers["edges"], settings)
        res["peer_s"] = time.perf_counter() - t
    res["peak_mib"] = peak_rss_mib()
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", type=int)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--shape", choices=("sample", "grid"), default="sample")
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--shapes", default="sample,grid")
    ap.add_argument("--pipes", type=int, default=100_000)
    ap.add_argument("--sizes", default="100000,1000000")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.records, args.shape, args.peer)))
        return
    rows = []
    for shape in args.shapes.split(","):
        for n in [int(s) for s in args.sizes.split(",") if s]:
            rows.append(
                in_subprocess(
                    Path(__file__), "--one", args.pipes, "--records", n, "--shape", shape, "--peer"
                )
            )
    print(
        f"{'shape':>6} {'pipes':>8} {'records':>9} {'pairs':>9} {'overlay s':>9} "
        f"{'assess s':>9} {'GeoPandas s':>11} {'GeoPandas/gasnet':>16} {'peak MiB':>9}"
    )
    for r in rows:
        print(
            f"{r['shape']:>6} {r['pipes']:>8} {r['records']:>9} {r['pairs']:>9} "
            f"{r['overlay_s']:>9.2f} {r['assess_s']:>9.2f} {r['peer_s']:>11.2f} "
            f"{r['peer_s'] / r['overlay_s']:>15.1f}x {r['peak_mib']:>9.0f}"
        )
    for shape in args.shapes.split(","):
        mine = [r for r in rows if r["shape"] == shape]
        for a, b in itertools.pairwise(mine):
            print(
                f"{shape}: {a['records']} -> {b['records']} records "
                f"({b['records'] / a['records']:.0f}x): overlay "
                f"{b['overlay_s'] / a['overlay_s']:.1f}x, "
                f"assess {b['assess_s'] / a['assess_s']:.1f}x, GeoPandas "
                f"{b['peer_s'] / a['peer_s']:.1f}x time"
            )
        print(
            f"{shape}: pairs agree with GeoPandas: "
            + ", ".join(f"{r['records']}: {r['pairs']} / {r['peer_pairs']}" for r in mine)
        )


if __name__ == "__main__":
    main()
