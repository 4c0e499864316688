"""The deterministic sample / benchmark generator: a city gas network in Bazhong's urban area.

Layout (working CRS EPSG:4545, centred on 106.75°E 31.86°N):

* two city gate stations (门站) west and east feed an SHP-B trunk and a ring round the city;
* regulator stations (调压站) on the ring, each with an inlet and an outlet valve, feed a looped
  MP-A street grid; mainline valves section it into areas of 3x3 blocks;
* each city block takes gas through an MP-B stub with a branch valve to a regulator cabinet
  (调压箱) and an LP tree (spine and branches) to its buildings; a few blocks are tied to their
  neighbour through a normally-closed LP valve; parks and the river have no buildings;
* customers are buildings with household counts, about 20 of them critical (hospitals,
  schools, care homes) at the default size;
* hazard records: inspection-app points as a UTF-8 CSV in WGS84 lon/lat, plus lines (third-party
  construction) and polygons (a flood zone along the river, a landslide slope) as GeoJSON;
* digitising faults, as real data has them: an undershoot inside and one beyond the snapping
  tolerance, a valve 1.5 m off its pipe, a duplicated pipe, a small island with no source, two
  hazard records without coordinates.

Shapefiles are written the way Chinese utilities export them: Chinese field names, GBK .dbf
with its .cpg, and the valves layer without a .prj (its CRS comes from the config).
Everything derives from ``numpy.random.default_rng(seed)``: the same arguments give the same
files.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import _progress

__all__ = [
    "CENTER_LONLAT",
    "DEFAULT_PIPES",
    "MAX_PIPES",
    "generate_sample",
    "sample_config",
    "write_sample",
]

log = logging.getLogger(__name__)

DEFAULT_PIPES = 4500
#: The largest sample: memory grows with it (about 3 GB to build 1M pipes).
MAX_PIPES = 20_000_000
CENTER_LONLAT = (106.75, 31.86)
WORKING_CRS = "EPSG:4545"
BLOCK_W, BLOCK_H = 150.0, 120.0
_PIPES_PER_BLOCK = 12.5

_COMMUNITIES = [
    "江北",
    "回风",
    "兴文",
    "东城",
    "西城",
    "南龛",
    "北龛",
    "望王",
    "玉堂",
    "化成",
    "奎星",
    "龙泉",
    "巴州",
    "恩阳",
    "平昌",
    "莲花",
    "文峰",
    "玉带",
    "红碑",
    "梓潼",
]
_CRITICAL = [
    ("hospital", "医院", ["巴中市中心医院", "巴州区人民医院", "巴中市中医院", "巴中市妇幼保健院"]),
    (
        "school",
        "学校",
        ["巴中中学", "巴中市第三中学", "巴州区第二小学", "回风小学", "江北实验学校"],
    ),
    ("care_home", "养老院", ["巴州区社会福利院", "兴文敬老院", "东城养老院"]),
]
_HAZARDS = [
    ("第三方施工", 0.30, "附近有第三方施工开挖，未落实保护措施"),
    ("占压", 0.20, "管线上方有违章建筑占压"),
    ("安全间距不足", 0.15, "管线与其他管线或建筑的安全间距不足"),
    ("腐蚀", 0.15, "管道外防腐层破损，存在腐蚀"),
    ("泄漏", 0.10, "巡检发现轻微漏气，检测仪有读数"),
    ("地质灾害", 0.05, "边坡有滑移迹象，危及管线"),
    ("洪涝", 0.05, "汛期管线所在区域易受水淹"),
]


@dataclass
class _Table:
    """Column lists grown row by row, then turned into a GeoDataFrame."""

    columns: tuple[str, ...]
    rows: dict[str, list] = field(default_factory=dict)
    geoms: list = field(default_factory=list)

    def __post_init__(self):
        self.rows = {c: [] for c in self.columns}

    def add(self, geom, **values) -> int:
        for c in self.columns:
            self.rows[c].append(values.get(c))
        self.geoms.append(geom)
        return len(self.geoms) - 1

    def frame(self, geometry) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(self.rows, geometry=geometry, crs=WORKING_CRS)


@dataclass
class Sample:
    """The generated layers in the working CRS (canonical meaning, Chinese source fields)."""

    pipes: gpd.GeoDataFrame
    valves: gpd.GeoDataFrame
    sources: gpd.GeoDataFrame
    regulators: gpd.GeoDataFrame
    customers: gpd.GeoDataFrame
    hazard_points: pd.DataFrame  # lon/lat CSV rows
    hazard_areas: gpd.GeoDataFrame  # WGS84


class _Network:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.pipe = _Table(("管线编号", "压力级制", "管径", "材质", "敷设年份", "运行状态"))
        self.pipe_xy: list[tuple] = []
        self.valve = _Table(("阀门编号", "开关状态", "可操作", "管径", "阀门类型"))
        self.source = _Table(("场站编号", "场站名称", "场站类型"))
        self.reg = _Table(("调压编号", "调压名称", "调压类型"))
        self.cust = _Table(("用户编号", "用户名称", "用户类型", "户数", "接入管线"))

    def pipe_add(self, a, b, cls, dn, material="PE", status="在用", year=None) -> str:
        pid = f"GX{len(self.pipe_xy) + 1:07d}"
        year = year or int(self.rng.integers(1998, 2025))
        self.pipe.add(
            None, 管线编号=pid, 压力级制=cls, 管径=dn, 材质=material, 敷设年份=year, 运行状态=status
        )
        self.pipe_xy.append((a, b))
        return pid

    def valve_add(self, p, dn, closed=False, kind="闸阀") -> None:
        vid = f"FM{len(self.valve.geoms) + 1:06d}"
        operable = "否" if self.rng.random() < 0.03 else "是"
        self.valve.add(
            p,
            阀门编号=vid,
            开关状态="常闭" if closed else "常开",
            可操作=operable,
            管径=dn,
            阀门类型=kind,
        )


def _toward(a, b, d):
    ax, ay = a
    bx, by = b
    n = math.hypot(bx - ax, by - ay)
    return (ax + (bx - ax) * d / n, ay + (by - ay) * d / n)


def generate_sample(n_pipes: int = DEFAULT_PIPES, seed: int = 7) -> Sample:
    """Generate a network of about ``n_pipes`` pipes. Deterministic in (n_pipes, seed)."""
    if n_pipes < 100 or n_pipes > MAX_PIPES:
        from .errors import GasnetError

        if n_pipes < 100:
            raise GasnetError(f"n_pipes={n_pipes}: a sample needs at least 100 pipes")
        raise GasnetError(
            f"n_pipes={n_pipes}: a sample has at most {MAX_PIPES:,} pipes (1,000,000 take "
            "about 3 GB of memory to build); give a smaller number"
        )
    rng = np.random.default_rng(seed)
    net = _Network(rng)
    to_proj = pyproj.Transformer.from_crs("EPSG:4326", WORKING_CRS, always_xy=True)
    cx, cy = to_proj.transform(*CENTER_LONLAT)

    blocks = max(4, int(n_pipes / _PIPES_PER_BLOCK))
    nbx = max(2, round(math.sqrt(blocks * BLOCK_H / BLOCK_W)))
    nby = max(2, math.ceil(blocks / nbx))
    x0 = cx - nbx * BLOCK_W / 2
    y0 = cy - nby * BLOCK_H / 2
    jit = rng.uniform(-8, 8, size=(nbx + 1, nby + 1, 2))
    P = np.empty((nbx + 1, nby + 1, 2))
    P[..., 0] = x0 + np.arange(nbx + 1)[:, None] * BLOCK_W + jit[..., 0]
    P[..., 1] = y0 + np.arange(nby + 1)[None, :] * BLOCK_H + jit[..., 1]

    # The river: a gentle sine across the city; blocks on it and parks get no buildings.
    river_x = np.linspace(x0 - 400, x0 + nbx * BLOCK_W + 400, 200)
    river_y = cy + 0.22 * nby * BLOCK_H * np.sin((river_x - x0) / max(nbx * BLOCK_W, 1) * 2.4 + 0.4)
    river = shapely.LineString(np.column_stack([river_x, river_y]))
    centres = shapely.points((P[:-1, :-1] + P[1:, 1:]).reshape(-1, 2) / 2)
    on_river = (shapely.distance(river, centres) < 70).reshape(nbx, nby)
    active = ~on_river & (rng.random((nbx, nby)) > 0.08)

    _progress.step(f"sample: {nbx}x{nby} blocks")
    tee = {}
    # MP-A street grid; the south edge of every active block is split at its tee.
    for j in range(nby + 1):
        for i in range(nbx):
            a, b = tuple(P[i, j]), tuple(P[i + 1, j])
            dn = 200 if j % 4 == 0 else 160
            if j < nby and active[i, j]:
                t = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                tee[i, j] = t
                net.pipe_add(a, t, "中压A", dn)
                net.pipe_add(t, b, "中压A", dn)
            else:
                net.pipe_add(a, b, "中压A", dn)
    for i in range(nbx + 1):
        for j in range(nby):
            net.pipe_add(tuple(P[i, j]), tuple(P[i, j + 1]), "中压A", 200 if i % 4 == 0 else 160)
    # Mainline valves section the grid into 3x3-block areas: every street that crosses a
    # section line has a valve 6 m from the junction it leaves.
    for j in range(nby + 1):
        for i in range(0, nbx, 3):
            net.valve_add(_toward(tuple(P[i, j]), tuple(P[i + 1, j]), 6.0), 160, kind="闸阀")
    for i in range(nbx + 1):
        for j in range(0, nby, 3):
            net.valve_add(_toward(tuple(P[i, j]), tuple(P[i, j + 1]), 6.0), 160, kind="闸阀")

    # Blocks: MP-B stub with branch valve -> cabinet -> LP spine and branches -> buildings.
    branch_ends: dict = {}
    cust_n = 0
    for i in range(nbx):
        for j in range(nby):
            if not active[i, j]:
                continue
            t = tee[i, j]
            r = (t[0], t[1] + 10.0)
            net.pipe_add(t, r, "中压B", 63)
            net.valve_add((t[0], t[1] + 4.0), 63, kind="球阀")
            net.reg.add(
                shapely.Point(r),
                调压编号=f"TY{len(net.reg.geoms) + 1:06d}",
                调压名称=f"{_COMMUNITIES[(i + j) % 20]}调压箱{i}-{j}",
                调压类型="调压箱",
            )
            left = (P[i, j, 0] + P[i, j + 1, 0]) / 2 + 12
            right = (P[i + 1, j, 0] + P[i + 1, j + 1, 0]) / 2 - 12
            top = (P[i, j + 1, 1] + P[i + 1, j + 1, 1]) / 2 - 14
            k = int(rng.integers(2, 5))
            levels = np.linspace(r[1] + 18, top, k)
            prev = r
            if rng.random() < 0.3:
                net.valve_add((r[0], r[1] + 3.0), 110, kind="球阀")
            ends = []
            for m, yl in enumerate(levels):
                s = (r[0], float(yl))
                net.pipe_add(prev, s, "低压", 110)
                prev = s
                for side, xe in (("w", left), ("e", right)):
                    e = (float(xe), float(yl))
                    pid = net.pipe_add(s, e, "低压", 63 if m else 90)
                    ends.append((side, m, e, pid))
                    for _ in range(int(rng.integers(1, 3))):
                        f = rng.uniform(0.25, 0.95)
                        off = rng.choice([-1, 1]) * rng.uniform(8, 14)
                        px = s[0] + (e[0] - s[0]) * f
                        cust_n += 1
                        roll = rng.random()
                        kind, hh = (
                            ("居民", int(rng.integers(12, 97)))
                            if roll < 0.86
                            else ("商业", 1)
                            if roll < 0.97
                            else ("工业", 1)
                        )
                        comm = _COMMUNITIES[int(rng.integers(0, 20))]
                        name = (
                            f"{comm}小区{int(rng.integers(1, 30))}栋"
                            if kind == "居民"
                            else f"{comm}{'商铺' if kind == '商业' else '厂房'}{cust_n}"
                        )
                        net.cust.add(
                            shapely.Point(px, yl + off),
                            用户编号=f"KH{cust_n:07d}",
                            用户名称=name,
                            用户类型=kind,
                            户数=hh,
                            接入管线=pid if rng.random() < 0.4 else None,
                        )
            branch_ends[i, j] = ends
    # Normally-closed LP ties between neighbouring blocks.
    for (i, j), ends in branch_ends.items():
        if (i + 1, j) in branch_ends and rng.random() < 0.06:
            a = next(e for s, m, e, _ in ends if s == "e" and m == 0)
            b = next(e for s, m, e, _ in branch_ends[i + 1, j] if s == "w" and m == 0)
            net.pipe_add(a, b, "低压", 63)
            net.valve_add(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), 63, closed=True, kind="球阀")

    # SHP-B ring round the city with regulator stations feeding grid junctions on its edge.
    D = 250.0
    xmin, ymin = P[..., 0].min() - D, P[..., 1].min() - D
    xmax, ymax = P[..., 0].max() + D, P[..., 1].max() + D
    ring = shapely.LineString(
        [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax), (xmin, ymin)]
    )
    stations = []
    step_x = min(20, max(4, nbx // 2))
    step_y = min(20, max(4, nby // 2))
    for i in range(0, nbx + 1, step_x):
        stations.append((tuple(P[i, 0]), (0.0, -1.0)))
        stations.append((tuple(P[i, nby]), (0.0, 1.0)))
    for j in range(step_y // 2, nby + 1, step_y):
        stations.append((tuple(P[0, j]), (-1.0, 0.0)))
        stations.append((tuple(P[nbx, j]), (1.0, 0.0)))
    ring_stops = []
    for q, (ux, uy) in stations:
        s = (q[0] + ux * 40, q[1] + uy * 40)
        on_ring = (
            q[0] if ux == 0 else (xmin if ux < 0 else xmax),
            q[1] if uy == 0 else (ymin if uy < 0 else ymax),
        )
        net.pipe_add(on_ring, s, "次高压B", 200, material="钢")
        net.valve_add(_toward(s, on_ring, 8.0), 200, kind="球阀")
        net.reg.add(
            shapely.Point(s),
            调压编号=f"TY{len(net.reg.geoms) + 1:06d}",
            调压名称=f"{_COMMUNITIES[len(ring_stops) % 20]}调压站",
            调压类型="调压站",
        )
        net.pipe_add(s, q, "中压A", 250, material="钢")
        net.valve_add(_toward(s, q, 12.0), 250, kind="闸阀")
        ring_stops.append(ring.project(shapely.Point(on_ring)))
    gates = [
        ((xmin - 1500, (ymin + ymax) / 2), (xmin, (ymin + ymax) / 2), "巴中门站(西)"),
        ((xmax + 1500, (ymin + ymax) / 2 + 200), (xmax, (ymin + ymax) / 2 + 200), "巴中门站(东)"),
    ]
    for g, (gp, on_ring, name) in enumerate(gates):
        net.source.add(shapely.Point(gp), 场站编号=f"MZ{g + 1:02d}", 场站名称=name, 场站类型="门站")
        pts = [gp, _toward(gp, on_ring, 600.0), _toward(gp, on_ring, 1100.0), on_ring]
        for a, b in itertools.pairwise(pts):
            net.pipe_add(a, b, "次高压B", 300, material="钢")
        net.valve_add(_toward(gp, on_ring, 10.0), 300, kind="球阀")
        net.valve_add(_toward(on_ring, gp, 15.0), 300, kind="球阀")
        ring_stops.append(ring.project(shapely.Point(on_ring)))
    perim = ring.length
    tees = {round(s, 3) for s in ring_stops}
    stops = sorted(tees | {0.0} | set(np.arange(0, perim, 600.0).round(3)))
    stops.append(perim)
    for a, b in itertools.pairwise(stops):
        part = shapely.ops.substring(ring, a, b)
        coords = list(part.coords)
        net.pipe_add(coords[0], coords[-1], "次高压B", 300, material="钢")
        if len(coords) > 2:  # a ring corner: keep the bend
            net.pipe_xy[-1] = (coords[0], coords[-1], coords)
        if a in tees and b - a > 40:  # a sectional valve after every tee on the ring
            net.valve_add(ring.interpolate(a + 15.0).coords[0], 300, kind="球阀")

    _add_status_and_faults(net, rng, P, branch_ends, nbx, nby)
    _progress.step("sample: geometries")
    geoms = [shapely.LineString(xy[2] if len(xy) == 3 else xy) for xy in net.pipe_xy]
    pipes = net.pipe.frame(geoms)
    valves = net.valve.frame(net.valve.geoms)
    sources = net.source.frame(net.source.geoms)
    regulators = net.reg.frame(net.reg.geoms)
    customers = net.cust.frame(net.cust.geoms)
    _make_critical(customers, rng, n_pipes)
    hazard_points, hazard_areas = _hazards(rng, pipes, river, (xmin, ymin, xmax, ymax), n_pipes)
    return Sample(pipes, valves, sources, regulators, customers, hazard_points, hazard_areas)


def _add_status_and_faults(net: _Network, rng, P, branch_ends, nbx, nby) -> None:
    keys = sorted(branch_ends)
    # Abandoned old mains beside a branch, planned extensions beyond a branch end.
    for key in keys[5::37]:
        side, _, e, _ = branch_ends[key][-1]
        s = (e[0] - 40 if side == "e" else e[0] + 40, e[1] + 4)
        net.pipe_add(s, (e[0], e[1] + 4), "低压", 63, status="废弃", year=1992)
    for key in keys[11::53]:
        _, _, e, _ = branch_ends[key][0]
        net.pipe_add(e, (e[0], e[1] + 25), "低压", 63, status="规划", year=2026)
    # Undershoots: the start of a branch drawn 0.3 m (snaps) and 2.0 m (does not) short.
    for key, gap in ((keys[len(keys) // 3], 0.3), (keys[2 * len(keys) // 3], 2.0)):
        side, _, _, pid = branch_ends[key][0]
        idx = int(pid[2:]) - 1
        a, b = net.pipe_xy[idx]
        net.pipe_xy[idx] = ((a[0] + (gap if side == "e" else -gap), a[1]), b)
    # A valve about 1.5 m off its (nearly axis-parallel) street main; positions are tuples here.
    k = len(net.valve.geoms) // 2
    vx, vy = net.valve.geoms[k]
    net.valve.geoms[k] = (vx + 1.5, vy + 1.5)
    # A duplicated pipe (digitised twice under a new id).
    side, _m, e, pid = branch_ends[keys[len(keys) // 2]][1]
    a, b = net.pipe_xy[int(pid[2:]) - 1]
    net.pipe_add(a, b, "低压", 63)
    # A small island with no source: a new estate whose connection is not drawn yet.
    ox, oy = P[0, nby, 0] - 120, P[0, nby, 1] + 60
    pts = [(ox, oy), (ox, oy + 60), (ox - 50, oy + 60), (ox + 50, oy + 60)]
    net.pipe_add(pts[0], pts[1], "低压", 90)
    for q in pts[2:]:
        pid = net.pipe_add(pts[1], q, "低压", 63)
        n = len(net.cust.geoms) + 1
        net.cust.add(
            shapely.Point(q[0] / 2 + pts[1][0] / 2, q[1] + 10),
            用户编号=f"KH{n:07d}",
            用户名称=f"新建小区{n}栋",
            用户类型="居民",
            户数=24,
            接入管线=None,
        )
    net.valve.geoms = [shapely.Point(g) for g in net.valve.geoms]


def _make_critical(customers: gpd.GeoDataFrame, rng, n_pipes: int) -> None:
    n = max(4, round(20 * n_pipes / DEFAULT_PIPES))
    residential = np.flatnonzero((customers["用户类型"] == "居民").to_numpy())
    chosen = rng.choice(residential, size=min(n, len(residential)), replace=False)
    for k, row in enumerate(sorted(chosen)):
        kind, label, names = _CRITICAL[k % 3]
        base = names[(k // 3) % len(names)]
        name = (
            base
            if k < 3 * len(names)
            else f"{base}{k // 3}分院"
            if kind == "hospital"
            else f"{base}{k}"
        )
        customers.loc[customers.index[row], ["用户类型", "用户名称", "户数"]] = [label, name, 1]


#: How far from its pipe an inspector's point lies, by category (metres, at most): an
#: encroaching building stands on the pipe, works are metres away.
_HAZARD_OFFSET_M = {"占压": 0.4, "安全间距不足": 1.2, "第三方施工": 8.0, "腐蚀": 1.5, "泄漏": 1.5}


def _date_forms(dates, every: int, form: str) -> list[str]:
    """ISO dates, every ``every``-th written as inspectors type them (2025/3/7, 2025年3月7日)."""
    out = []
    for k, d in enumerate(dates):
        if k % every == every - 1:
            out.append(
                f"{d.year}/{d.month}/{d.day}" if form == "/" else f"{d.year}年{d.month}月{d.day}日"
            )
        else:
            out.append(d.isoformat())
    return out


def _hazards(rng, pipes, river, bbox, n_pipes):
    to_wgs = pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:4326", always_xy=True)
    n = max(40, round(n_pipes * 0.075))
    cats = [c for c, _, _ in _HAZARDS]
    probs = np.array([p for _, p, _ in _HAZARDS])
    pick = rng.choice(len(cats), size=n, p=probs / probs.sum())
    which = rng.integers(0, len(pipes), size=n)
    frac = rng.random(n)
    at = shapely.line_interpolate_point(pipes.geometry.values[which], frac, normalized=True)
    reach = np.array([_HAZARD_OFFSET_M.get(cats[c], 0.5) for c in pick])
    off, angle = reach * rng.random(n), rng.random(n) * 2 * np.pi
    x = shapely.get_x(at) + off * np.cos(angle)
    y = shapely.get_y(at) + off * np.sin(angle)
    lon, lat = to_wgs.transform(x, y)
    major = rng.random(n) < 0.15
    status = rng.choice(["未整改", "整改中", "已整改"], size=n, p=[0.5, 0.25, 0.25])
    start = _dt.date(2025, 1, 1)
    found = [start + _dt.timedelta(days=int(d)) for d in rng.integers(0, 600, n)]
    due = [f + _dt.timedelta(days=30 if m else 90) for f, m in zip(found, major, strict=False)]
    streets = [f"{_COMMUNITIES[int(i)]}路" for i in rng.integers(0, 20, n)]
    points = pd.DataFrame(
        {
            "隐患编号": [f"YH{k + 1:06d}" for k in range(n)],
            "隐患类别": [cats[c] for c in pick],
            "隐患等级": np.where(major, "重大隐患", "一般隐患"),
            "整改状态": status,
            "发现日期": _date_forms(found, 5, "年"),
            "整改期限": _date_forms(due, 7, "/"),
            "隐患描述": [f"{s}{_HAZARDS[c][2]}" for s, c in zip(streets, pick, strict=False)],
            "经度": np.round(lon, 7).astype(str),
            "纬度": np.round(lat, 7).astype(str),
        }
    )
    points.loc[[3, n - 5], ["经度", "纬度"]] = ""  # reported by phone, no position taken
    # Records as inspectors also write them: an unrecognised category and severity, a date
    # that is not a date, a deadline before the finding, one far from any pipe.
    odd = [
        (
            "YH-X001",
            "树木根系",
            "一般隐患",
            "未整改",
            "2026年3月2日",
            "2026/6/30",
            "行道树根系挤压管道",
        ),
        ("YH-X002", "腐蚀", "较大隐患", "整改中", "2026/5/18", "2026-08-31", "阀井内管道锈蚀"),
        ("YH-X003", "泄漏", "一般隐患", "未整改", "2026-09-10", "下月底", "调压箱附近有气味"),
        ("YH-X004", "第三方施工", "一般隐患", "整改中", "2026-07-01", "2026-06-01", "光缆施工"),
        ("YH-X005", "占压", "一般隐患", "未整改", "2026-02-14", "2026-05-14", "临时棚屋"),
    ]
    k = np.linspace(0, n - 1, len(odd)).astype(int)
    rows = pd.DataFrame(odd, columns=list(points.columns[:7]))
    rows["经度"], rows["纬度"] = points["经度"].to_numpy()[k], points["纬度"].to_numpy()[k]
    far_lon, far_lat = to_wgs.transform(bbox[0] - 400.0, bbox[1] - 400.0)
    rows.loc[4, ["经度", "纬度"]] = [f"{far_lon:.7f}", f"{far_lat:.7f}"]  # a field, no pipe
    points = pd.concat([points, rows], ignore_index=True)
    xmin, ymin, xmax, ymax = bbox
    flood = river.buffer(90).intersection(shapely.box(xmin, ymin, xmax, ymax))
    # A landslide slope in the south-east, across the main nearest it (an MP-A or SHP-B pipe).
    mains = pipes.geometry.values[pipes["压力级制"].isin(["中压A", "次高压B"]).to_numpy()]
    corner = shapely.Point(xmax - 120, ymin + 250)
    main = mains[int(np.argmin(shapely.distance(mains, corner)))]
    cx, cy = shapely.get_coordinates(shapely.shortest_line(main, corner))[0]
    slide = shapely.Polygon(
        [(cx + dx, cy + dy) for dx, dy in ((-80, -90), (80, -60), (110, 80), (-40, 120), (-110, 0))]
    )
    lines = []
    for _k in range(3):
        p = pipes.geometry.values[int(rng.integers(0, len(pipes)))]
        lines.append(shapely.offset_curve(p, 3.0))
    areas = gpd.GeoDataFrame(
        {
            "隐患编号": ["YH-A001", "YH-A002", "YH-A003", "YH-A004", "YH-A005"],
            "隐患类别": ["洪涝", "地质灾害", "第三方施工", "第三方施工", "第三方施工"],
            "隐患等级": ["重大隐患", "重大隐患", "一般隐患", "重大隐患", "一般隐患"],
            "整改状态": ["未整改", "整改中", "未整改", "未整改", "整改中"],
            "发现日期": ["2025-06-20", "2025-08-02", "2026-03-11", "2026-05-06", "2026-07-19"],
            "整改期限": ["2025-09-30", "2025-12-31", "2026-04-30", "2026-06-05", "2026-10-31"],
            "隐患描述": [
                "河道沿线洪水淹没区",
                "城东滑坡体，坡体有裂缝",
                "道路改造开挖",
                "地铁施工降水",
                "雨污管网施工",
            ],
        },
        geometry=[flood, slide, *lines],
        crs=WORKING_CRS,
    ).to_crs("EPSG:4326")
    return points, areas


def sample_config(
    raw_dir: str = "data/raw",
    output_dir: str = "data/processed",
    name: str = "Bazhong city gas network (sample)",
) -> str:
    """The ``gasnet.toml`` that maps a written sample."""
    return f'''# gasnet config: maps the sample network written by `gasnet sample`.
[project]
name = "{name}"
crs = "EPSG:4545"              # working CRS: CGCS2000 / 3-degree GK CM 108E, metres

[network]
snap_tolerance_m = 0.5         # endpoints / valves closer than this are one point
customer_max_distance_m = 60   # customers farther than this from every pipe are unattached

[output]
dir = "{output_dir}"

[layers.pipes]
path = "{raw_dir}/pipes.shp"
id = "管线编号"
[layers.pipes.fields]
pressure_class = "压力级制"
diameter_mm = "管径"
material = "材质"
install_year = "敷设年份"
status = "运行状态"

[layers.valves]                # exported without a .prj: the CRS is given here
path = "{raw_dir}/valves.shp"
id = "阀门编号"
crs = "EPSG:4545"
[layers.valves.fields]
normally = "开关状态"
operable = "可操作"
diameter_mm = "管径"
kind = "阀门类型"

[layers.sources]
path = "{raw_dir}/sources.shp"
id = "场站编号"
fields = {{ name = "场站名称", kind = "场站类型" }}

[layers.regulators]
path = "{raw_dir}/regulators.shp"
id = "调压编号"
fields = {{ name = "调压名称", kind = "调压类型" }}

[layers.customers]
path = "{raw_dir}/customers.shp"
id = "用户编号"
fields = {{ name = "用户名称", kind = "用户类型", households = "户数", pipe_id = "接入管线" }}

[[layers.hazards]]             # inspection app export: UTF-8 CSV, WGS84 lon/lat
path = "{raw_dir}/hazards.csv"
id = "隐患编号"
x = "经度"
y = "纬度"
crs = "EPSG:4326"
[layers.hazards.fields]
category = "隐患类别"
severity = "隐患等级"
status = "整改状态"
found_on = "发现日期"
due_on = "整改期限"
description = "隐患描述"

[[layers.hazards]]             # hazard areas: flood zone, landslide, construction sites
path = "{raw_dir}/hazard_areas.geojson"
id = "隐患编号"
[layers.hazards.fields]
category = "隐患类别"
severity = "隐患等级"
status = "整改状态"
found_on = "发现日期"
due_on = "整改期限"
description = "隐患描述"

[maps]
basemap = "none"               # none (offline) | osm | amap (features shifted to GCJ-02) | tianditu
language = "zh"                # zh | en
'''


def write_sample(
    out: str | Path,
    n_pipes: int = DEFAULT_PIPES,
    seed: int = 7,
    with_config: bool = True,
    setting: str = "the sample folder",
) -> dict[str, int]:
    """Generate and write a sample into ``out``: ``out/raw/`` (shapefiles, CSV, GeoJSON)
    and ``out/gasnet.toml``, whose outputs go to ``out/processed/`` (never into the raw
    data's folder: the config refuses that).

    ``out`` must be new or hold no project: a ``gasnet.toml`` there (with ``with_config``)
    or a non-empty ``raw/`` is refused (:class:`~gasnet.errors.OutputError`), never
    overwritten. Everything is written into a staging folder ``out/.raw.tmp-<pid>/`` and
    moved into place at the end; a write that fails (a full disk, a file size limit) removes
    it and raises :class:`~gasnet.errors.OutputError` naming the cause and the fix
    (``setting`` names what the user changes).

    Returns the feature count of each layer.
    """
    import errno
    import os

    from .errors import GasnetError, OutputError
    from .store import _WRITE_ERRORS, diagnose, estimate_bytes, write_error

    root = Path(out)
    raw = root / "raw"
    if root.exists() and not root.is_dir():
        raise OutputError(
            f"{setting} {root}: that is a file; give a folder to write the sample into"
        )
    if with_config and os.path.lexists(root / "gasnet.toml"):
        raise OutputError(
            f"{root}: already holds a project (gasnet.toml); gasnet sample writes a new one "
            f"and never overwrites: set {setting} to a new or empty folder"
        )
    if os.path.lexists(raw) and (os.path.islink(raw) or not raw.is_dir() or any(raw.iterdir())):
        raise OutputError(
            f"{raw}: already holds data; gasnet sample never overwrites raw data: set "
            f"{setting} to a new or empty folder"
        )
    try:
        sample = generate_sample(n_pipes, seed)
    except MemoryError:
        raise GasnetError(
            f"n_pipes={n_pipes}: not enough memory to generate a sample that large; give a "
            "smaller number"
        ) from None
    created = not root.exists()
    staging = root / f".raw.tmp-{os.getpid()}"

    def fail(code: int, cause: str) -> OutputError:
        return write_error(
            root, code, cause, setting, "the sample", f"nothing was written into {root}"
        )

    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_stale_sample_staging(root)
        staging.mkdir()
        _write_sample_files(sample, staging / "raw", with_config)
        if with_config:
            text = sample_config("raw", "processed")
            (staging / "gasnet.toml").write_text(text, encoding="utf-8")
        if raw.is_dir():
            raw.rmdir()  # empty (checked above)
        os.rename(staging / "raw", raw)
        if with_config:
            os.rename(staging / "gasnet.toml", root / "gasnet.toml")
        staging.rmdir()
    except _WRITE_ERRORS as exc:
        if isinstance(exc, OSError) and exc.errno:
            cause = (exc.errno, exc.strerror or str(exc))
        else:  # GDAL's, or a file cut short: why, while the partial files still fill the disk
            frames = [getattr(sample, n) for n in (*_SHAPEFILES, "hazard_points", "hazard_areas")]
            need = getattr(exc, "expected", None) or int(1.25 * estimate_bytes(frames))
            cause = diagnose(root if root.is_dir() else root.parent, need=need, error=exc)
            if cause is None and isinstance(exc, CutShort):
                cause = (errno.EIO, str(exc))
        _undo(staging, root if created else None)
        if cause is None:
            raise
        if cause[0] == errno.ENOTDIR and not root.is_dir():
            blocker = next((p for p in root.parents if p.exists() and not p.is_dir()), None)
            cause = (cause[0], f"{blocker} is a file, not a folder" if blocker else cause[1])
        raise fail(*cause) from None
    except BaseException:
        _undo(staging, root if created else None)
        raise
    counts = {n: len(getattr(sample, n)) for n in _SHAPEFILES}
    counts["hazards"] = len(sample.hazard_points) + len(sample.hazard_areas)
    return counts


_SHAPEFILES = ("pipes", "valves", "sources", "regulators", "customers")


def _write_sample_files(sample: Sample, raw: Path, with_config: bool) -> None:
    """The sample's files, written into ``raw`` (a fresh staging folder)."""
    import pyogrio

    raw.mkdir()
    _progress.step(f"sample: writing {len(sample.pipes)} pipes")
    for name in _SHAPEFILES:
        gdf = getattr(sample, name)
        pyogrio.write_dataframe(gdf, raw / f"{name}.shp", encoding="GBK")
        _check_shapefile(raw / f"{name}.shp", len(gdf))
        if name == "valves":
            (raw / "valves.prj").unlink()
    sample.hazard_points.to_csv(raw / "hazards.csv", index=False, encoding="utf-8-sig")
    pyogrio.write_dataframe(
        sample.hazard_areas, raw / "hazard_areas.geojson", driver="GeoJSON", layer="hazard_areas"
    )


class CutShort(OSError):
    """A file GDAL wrote is shorter than its own header says; ``expected`` is its size."""

    def __init__(self, text: str, expected: int):
        super().__init__(text)
        self.expected = expected


def _check_shapefile(shp: Path, n: int) -> None:
    """Raise :class:`CutShort` unless ``shp``, its ``.shx`` and ``.dbf`` are as long as their
    headers say for ``n`` features. GDAL does not always notice a failed write: under a file
    size limit it has been seen to leave a ``.dbf`` cut at the limit and report success."""
    shx, dbf = shp.with_suffix(".shx"), shp.with_suffix(".dbf")
    with open(shp, "rb") as f:
        shp_len = int.from_bytes(f.read(28)[24:28], "big") * 2  # in 16-bit words
    with open(dbf, "rb") as f:
        head = f.read(12)
    records = int.from_bytes(head[4:8], "little")
    dbf_len = int.from_bytes(head[8:10], "little") + records * int.from_bytes(head[10:12], "little")
    for path, expected in ((shp, shp_len), (shx, 100 + 8 * n), (dbf, dbf_len)):
        size = path.stat().st_size
        if size < expected or (path is dbf and records != n):
            raise CutShort(
                f"{path.name} was cut short while written: {size} of {expected} bytes", expected
            )


def _undo(staging: Path, created: Path | None) -> None:
    """Remove a failed sample's staging folder (and ``created``, the folder made for it)."""
    import shutil

    shutil.rmtree(staging, ignore_errors=True)
    if created is not None:
        try:
            created.rmdir()  # only if empty
        except OSError:
            pass


def _remove_stale_sample_staging(root: Path) -> None:
    """Staging folders of killed ``gasnet sample`` runs (``.raw.tmp-<pid>``, pid gone)."""
    import re
    import shutil

    from .store import _pid_gone

    for entry in root.iterdir():
        m = re.fullmatch(r"\.raw\.tmp-(\d+)", entry.name)
        if m and entry.is_dir() and _pid_gone(int(m[1])):
            shutil.rmtree(entry, ignore_errors=True)
