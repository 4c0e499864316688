"""A third network shape for the benchmarks: long transmission lines (deep trees).

A city gate feeds a trunk main of 20 m pipes that snakes across the county in rows of 200 km
(2.06 km apart; a row's end joins the next row's start); village spurs branch off it, each a
chain of pipes with a customer at every pipe, and a line valve every 20 pipes along the trunk
and the spurs; one spur in fifty is tied back to the trunk further on (a loop), and a second
station sits at the far end. The dominator tree is deep (one chain of thousands of zones), which
is the opposite of the grid's star: both must stay linear. (At 1M pipes the trunk is 10,000 km
long: folded into rows it stays within 200 x 110 km, where the county's CRS holds.)

    python bench/line.py 16000      # writes (once) bench/out/line-p16000-s7/, prints its path
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from grid import numbered, write_raw

OUT = Path(__file__).resolve().parent / "out"

SPUR = 50  # pipes per spur
VALVE_EVERY = 20  # pipes between line valves
ROW = 10_000  # trunk pipes per row (200 km)


def write_line(out: Path, pipes: int, seed: int = 7) -> Path:
    """Write about ``pipes`` pipes of trunk and spurs into ``out`` (raw/ and gasnet.toml)."""
    import shapely

    rng = np.random.default_rng(seed)
    d = 20.0
    x0, y0 = 380_000.0, 3_526_000.0
    spurs = max(1, pipes // (2 * SPUR))
    trunk = pipes - spurs * SPUR  # one trunk pipe per spur, and the rest
    # Trunk node i: row i // ROW, running east on even rows and west on odd ones.
    i = np.arange(trunk + 1)
    row, col = i // ROW, i % ROW
    tx = x0 + np.where(row % 2 == 0, col, ROW - col) * d
    ty = y0 + row * (2 * SPUR * d + 3 * d)  # (rows apart: spurs never meet)
    a = [np.column_stack([tx[:-1], ty[:-1]])]
    b = [np.column_stack([tx[1:], ty[1:]])]
    # Spurs north or south of the trunk, from evenly spaced trunk nodes.
    at = np.linspace(1, trunk - 1, spurs).astype(int)
    side = np.where(rng.random(spurs) < 0.5, 1.0, -1.0)
    k = np.arange(SPUR + 1)
    sx = tx[at][:, None] + 0.0 * k
    sy = ty[at][:, None] + side[:, None] * (k * d + 7.0 * (k > 0))  # (spurs never overlap)
    a.append(np.column_stack([sx[:, :-1].ravel(), sy[:, :-1].ravel()]))
    b.append(np.column_stack([sx[:, 1:].ravel(), sy[:, 1:].ravel()]))
    # One spur in fifty tied back to the trunk 30 pipes further on (a loop).
    tie = np.flatnonzero(rng.random(spurs) < 0.02)
    tie = tie[at[tie] + 30 < trunk]
    a.append(np.column_stack([sx[tie, -1], sy[tie, -1]]))
    b.append(np.column_stack([tx[at[tie] + 30], ty[at[tie] + 30]]))
    pa, pb = np.concatenate(a), np.concatenate(b)
    m = len(pa)
    lines = shapely.linestrings(np.stack([pa, pb], axis=1))
    # Line valves 1 m (5 %) into every 20th pipe; a customer beside the middle of each spur pipe.
    every = np.arange(m) % VALVE_EVERY == 0
    valves = pa[every] + (pb[every] - pa[every]) * 0.05
    spur_pipes = np.arange(trunk, trunk + spurs * SPUR)
    mid = (pa[spur_pipes] + pb[spur_pipes]) / 2 + np.array([6.0, 0.0])
    kind = np.where(rng.random(len(mid)) < 0.01, "school", "residential")
    pts = shapely.points
    return write_raw(
        out,
        f"transmission lines, {m} pipes",
        {
            "pipes": ({"id": numbered("P", m), "pressure_c": "MP-A", "diameter_m": 200.0}, lines),
            "valves": ({"id": numbered("V", len(valves))}, pts(valves)),
            "sources": (
                {"id": ["S1", "S2"], "name": ["gate W", "station E"]},
                pts([[tx[0], ty[0]], [tx[-1], ty[-1]]]),
            ),
            "customers": (
                {
                    "id": numbered("C", len(mid)),
                    "kind": kind,
                    "households": rng.integers(1, 40, len(mid)),
                },
                pts(mid),
            ),
        },
    )


def line_dir(pipes: int, seed: int = 7) -> Path:
    """The transmission lines of about ``pipes`` pipes, written once and cached in bench/out."""
    d = OUT / f"line2-p{pipes}-s{seed}"  # (line2: the trunk folded into rows)
    if not (d / "gasnet.toml").exists():
        write_line(d, pipes, seed)
    return d


if __name__ == "__main__":
    print(line_dir(int(sys.argv[1])))
