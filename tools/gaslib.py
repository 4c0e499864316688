"""Convert a GasLib network (.net XML) into shapefiles and a gasnet.toml, to try gasnet on a
real gas network by hand (GasLib is CC BY 3.0: cite Pfetsch et al. 2012, ZIB-Report 12-41).

    python tools/gaslib.py ../shared/data/gaslib/GasLib-582-v2.net /tmp/gaslib582
    gasnet --config /tmp/gaslib582/gasnet.toml run

Mapping: pipes, short pipes, resistors and compressor stations become pipes (straight lines);
valves become valves and control valves regulators, at the middle of their arc; sources are
sources, sinks customers. Station-internal arcs join nodes drawn at the same coordinates:
such nodes are spread 5 m apart (beyond the snapping and undershoot distances) so that a valve still
separates its two sides instead of collapsing onto one junction. GasLib has no pressure
classes: every pipe is HP-A, so a control valve passes gas both ways (gasnet reports it).
Nothing here is used by the tests; the files are not part of the project.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

NS = {"g": "http://gaslib.zib.de/Gas", "f": "http://gaslib.zib.de/Framework"}
WORKING = "EPSG:25832"  # ETRS89 / UTM 32N, metres


def convert(net: Path, out: Path) -> None:
    root = ET.parse(net).getroot()
    nodes = {}
    for el in root.find("f:nodes", NS):
        tag = el.tag.split("}")[1]
        nodes[el.get("id")] = (tag, float(el.get("geoWGS84Long")), float(el.get("geoWGS84Lat")))
    ids = list(nodes)
    pts = gpd.GeoSeries(
        shapely.points([nodes[i][1] for i in ids], [nodes[i][2] for i in ids]), crs="EPSG:4326"
    ).to_crs(WORKING)
    xy = shapely.get_coordinates(pts.values)
    # Spread nodes drawn on the same spot round a 5 m circle.
    key = np.round(xy, 1)
    _, inv, cnt = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    rank = np.zeros(len(ids), int)
    seen: dict[int, int] = {}
    for i, g in enumerate(inv.ravel()):
        rank[i] = seen.get(g, 0)
        seen[g] = rank[i] + 1
    angle = 2 * np.pi * rank / np.maximum(cnt[inv.ravel()], 1)
    spread = np.where(cnt[inv.ravel()] > 1, 5.0, 0.0)
    xy = xy + np.column_stack([np.cos(angle), np.sin(angle)]) * spread[:, None]
    where = {i: tuple(p) for i, p in zip(ids, xy, strict=True)}
    pipes, valves, regs = [], [], []
    arcs_between: dict[frozenset, int] = {}
    for el in root.find("f:connections", NS):
        tag = el.tag.split("}")[1]
        a, b = where[el.get("from")], where[el.get("to")]
        # Station arcs are short and often parallel (two valves between one pair of nodes)
        # or cross at the middle of a spread circle: each valve / control-valve arc, and each
        # further arc between the same pair, bends sideways at its middle (1 m, then 0.5 m
        # more per arc), so that arcs stay distinct and each valve sits on its own arc.
        pair = frozenset((el.get("from"), el.get("to")))
        k = arcs_between.get(pair, 0)
        arcs_between[pair] = k + 1
        bend = 1.0 + 0.5 * k if (tag in ("valve", "controlValve") or k) else 0.0
        dx, dy = b[0] - a[0], b[1] - a[1]
        norm = max(float(np.hypot(dx, dy)), 1e-9)
        mid = ((a[0] + b[0]) / 2 - dy / norm * bend, (a[1] + b[1]) / 2 + dx / norm * bend)
        line = shapely.LineString([a, mid, b] if bend else [a, b])
        d = el.find("g:diameter", NS)
        dn = float(d.get("value")) if d is not None else np.nan
        if tag == "valve":
            valves.append({"id": el.get("id"), "geometry": shapely.Point(mid)})
        elif tag == "controlValve":
            regs.append(
                {
                    "id": el.get("id"),
                    "name": el.get("alias") or el.get("id"),
                    "geometry": shapely.Point(mid),
                }
            )
        else:
            pipes.append(
                {
                    "id": el.get("id"),
                    "diameter": dn,
                    "kind": tag,
                    "pressure": "HP-A",
                    "geometry": line,
                }
            )
        if tag in ("valve", "controlValve"):  # the arc itself is drawn as a short pipe
            pipes.append(
                {
                    "id": el.get("id") + "_arc",
                    "diameter": dn,
                    "kind": tag,
                    "pressure": "HP-A",
                    "geometry": line,
                }
            )
    src = [
        {"id": i, "name": i, "geometry": shapely.Point(where[i])}
        for i in ids
        if nodes[i][0] == "source"
    ]
    cust = [
        {
            "id": i,
            "name": i,
            "kind": "industrial",
            "geometry": shapely.Point(where[i][0] + 3, where[i][1]),
        }
        for i in ids
        if nodes[i][0] == "sink"
    ]
    (out / "raw").mkdir(parents=True, exist_ok=True)  # outputs never go into the raw folder
    for name, rows in (
        ("pipes", pipes),
        ("valves", valves),
        ("regulators", regs),
        ("sources", src),
        ("customers", cust),
    ):
        gpd.GeoDataFrame(rows, crs=WORKING).to_file(out / "raw" / f"{name}.shp", engine="pyogrio")
    (out / "gasnet.toml").write_text(
        f'''[project]
name = "{net.stem} (GasLib, CC BY 3.0)"
crs = "{WORKING}"
[network]
snap_tolerance_m = 0.5
customer_max_distance_m = 60
[output]
dir = "processed"
[layers.pipes]
path = "raw/pipes.shp"
[layers.pipes.fields]
diameter_mm = "diameter"
pressure_class = "pressure"
[layers.valves]
path = "raw/valves.shp"
[layers.regulators]
path = "raw/regulators.shp"
[layers.sources]
path = "raw/sources.shp"
[layers.customers]
path = "raw/customers.shp"
''',
        encoding="utf-8",
    )
    print(
        f"{net.name}: {len(pipes)} pipes, {len(valves)} valves, {len(regs)} regulators, "
        f"{len(src)} sources, {len(cust)} customers -> {out}"
    )


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
