"""A second network shape for the benchmarks: a looped street grid valved at the pipe ends.

Many utilities valve their medium-pressure mains this way (WNTR calls it the "strategic"
valve layer): an n x n grid of 100 m streets, each street a pipe, a valve 5 m from each end
with probability 0.75, one customer per street, a city gate at two opposite corners. Unlike
the bundled sample (tree-like blocks behind branch valves), every segment here is a short
street in a mesh, so most valves join two segments that lie on a loop and the dominator tree
is a star (every street reached two ways hangs on the root).

    python bench/grid.py 16000      # writes (once) bench/out/grid-p16000-s7/, prints its path
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"

#: The config of a generated benchmark network (also bench/line.py's); ``{name}`` its title.
CONFIG = """[project]
name = "{name}"
crs = "EPSG:4545"
[output]
dir = "processed"
[layers.pipes]
path = "raw/pipes.shp"
[layers.valves]
path = "raw/valves.shp"
[layers.sources]
path = "raw/sources.shp"
[layers.customers]
path = "raw/customers.shp"
"""


def write_grid(out: Path, pipes: int, seed: int = 7) -> Path:
    """Write a grid of about ``pipes`` pipes into ``out`` (raw/ and gasnet.toml)."""
    import shapely

    rng = np.random.default_rng(seed)
    n = max(3, round(1 + math.sqrt(pipes / 2)))  # 2 n (n - 1) streets
    x0, y0, d = 380_000.0, 3_526_000.0, 100.0
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()
    a = np.concatenate([np.column_stack([i, j])[i < n - 1], np.column_stack([i, j])[j < n - 1]])
    b = a + np.concatenate(
        [np.tile([1, 0], ((i < n - 1).sum(), 1)), np.tile([0, 1], ((j < n - 1).sum(), 1))]
    )
    pa, pb = np.array([x0, y0]) + a * d, np.array([x0, y0]) + b * d
    m = len(pa)
    ids = numbered("P", m)
    lines = shapely.linestrings(np.stack([pa, pb], axis=1))
    # A valve 5 m from each end (three in four ends), a customer beside each street's middle.
    ends = np.concatenate([pa + (pb - pa) * 0.05, pa + (pb - pa) * 0.95])
    ends = ends[rng.random(len(ends)) < 0.75]
    mid = (pa + pb) / 2 + 6.0
    kind = np.where(rng.random(m) < 0.01, "hospital", "residential")
    pts = shapely.points
    return write_raw(
        out,
        f"street grid, {n} x {n}",
        {
            "pipes": ({"id": ids, "pressure_c": "MP-A", "diameter_m": 160.0}, lines),
            "valves": ({"id": numbered("V", len(ends))}, pts(ends)),
            "sources": (
                {"id": ["S1", "S2"], "name": ["gate SW", "gate NE"]},
                pts([[x0, y0], [x0 + (n - 1) * d, y0 + (n - 1) * d]]),
            ),
            "customers": (
                {"id": numbered("C", m), "kind": kind, "households": rng.integers(1, 80, m)},
                pts(mid),
            ),
        },
    )


def numbered(prefix: str, count: int) -> list[str]:
    """Ids ``prefix1 .. prefix<count>``."""
    return [f"{prefix}{k + 1}" for k in range(count)]


def write_raw(out: Path, title: str, layers: dict) -> Path:
    """Write each layer, ``name: (columns, geometries)``, as a UTF-8 shapefile in
    ``out/raw`` (EPSG:4545), and ``out/gasnet.toml`` (:data:`CONFIG`) titled ``title``."""
    import geopandas as gpd

    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, (columns, geometry) in layers.items():
        gdf = gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:4545")
        gdf.to_file(raw / f"{name}.shp", engine="pyogrio", encoding="UTF-8")
    (out / "gasnet.toml").write_text(CONFIG.format(name=title), encoding="utf-8")
    return out


def grid_dir(pipes: int, seed: int = 7) -> Path:
    """The grid of about ``pipes`` pipes, written once and cached in bench/out."""
    d = OUT / f"grid-p{pipes}-s{seed}"
    if not (d / "gasnet.toml").exists():
        write_grid(d, pipes, seed)
    return d


if __name__ == "__main__":
    print(grid_dir(int(sys.argv[1])))
