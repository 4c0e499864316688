"""Incident operations on a loaded network: valve closures and burst isolation.

These answer one incident at a time with a full search (O(n + m), milliseconds); the
whole-network tables come from :class:`gasnet.isolation.IsolationEngine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ._geo import to_wgs84, wgs84_to_gcj02
from ._output import clean_value, shown_list
from .errors import InputError, LocationError, OffNetworkError, UnknownAssetError
from .schema import MAX_PRESSURE_MPA
from .validate import COORDINATE_LIMIT, geoms

__all__ = ["CUSTOMER_COLUMNS", "BurstResult", "Isolation", "burst", "close_order", "isolate"]

#: Columns of every "customers affected" table and CSV.
CUSTOMER_COLUMNS = ["customer_id", "name", "kind", "critical", "households", "segment_id"]
ATM_MPA = 0.101325


def _affected(net, before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """Customers supplied ``before`` and not ``after`` (masks over flow nodes)."""
    nodes = net.customer_nodes
    ok = nodes >= 0
    return _affected_mask(net, ok & before[np.maximum(nodes, 0)] & ~after[np.maximum(nodes, 0)])


def _affected_mask(net, lost: np.ndarray, where=None) -> pd.DataFrame:
    """The customers of ``lost``, critical ones first (then by customer_id)."""
    c = net.layers["customers"].loc[lost, CUSTOMER_COLUMNS[:-1]].copy()
    c["segment_id"] = net.engine.customer_segment[lost]
    c["critical"] = c["critical"].astype(bool)
    if where is not None:
        c["where"] = where[lost]
    c = pd.DataFrame(c).sort_values(["critical", "customer_id"], ascending=[False, True])
    return c.reset_index(drop=True)


def close_order(eng, valve_index: np.ndarray) -> np.ndarray:
    """The order (1, 2, ...) in which a crew should close these valves: the source side first,
    by the number of zones and valves between the stations and the valve (ties keep the
    given order). O(n + m): one breadth-first search of the zone graph."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import shortest_path

    g = csr_array((np.ones(len(eng.tails)), (eng.tails, eng.heads)), shape=(eng.n_zg, eng.n_zg))
    hops = shortest_path(g, directed=True, unweighted=True, indices=eng.root)
    depth = hops[eng.n_zones + np.asarray(valve_index, np.int64)]
    rank = np.empty(len(depth), np.int64)
    rank[np.argsort(depth, kind="stable")] = np.arange(1, len(depth) + 1)
    return rank


def _by_id(table: pd.DataFrame, key: str, geometry, crs) -> gpd.GeoDataFrame:
    """``table`` indexed by its ``key`` column, as a GeoDataFrame with ``geometry``."""
    out = gpd.GeoDataFrame(table.drop(columns=key), geometry=list(geometry), crs=crs)
    out.index = pd.Index(table[key].to_numpy(object), name=key)
    return out


def _customers_gdf(net, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The customers of ``table`` (positional, with customer_id) with their geometry."""
    cust = net.layers["customers"]
    pos = pd.Index(cust["customer_id"]).get_indexer(table["customer_id"])
    return _by_id(table, "customer_id", geoms(cust)[pos], cust.crs)


def _shown(ids, n: int) -> str:
    """The first ``n`` ids or names for a one-line repr (no control characters, no breaks)."""
    return ", ".join(clean_value(i) for i in ids[:n]) + ("..." if len(ids) > n else "")


def _stats_line(stats: dict) -> str:
    crit = stats["critical"]
    shown = shown_list(crit, 3)
    return f"{stats['customers']} customers ({stats['households']} households) lose gas" + (
        f"; {len(crit)} critical: {shown}" if crit else ""
    )


@dataclass(repr=False)
class Isolation:
    """What closing some valves does (:meth:`gasnet.Network.isolate`).

    Attributes
    ----------
    closed
        The valve ids closed.
    customers
        Customers that had gas and lose it, critical ones first, indexed by customer_id:
        name, kind, critical, households, segment_id, geometry.
    pipes
        Pipe parts that had gas and lose it, indexed by edge_id (columns of ``edges``).
    stats
        customers, households, critical (names), deenergised_pipes, deenergised_length_m,
        already_closed (the valves of ``closed`` that are normally closed: closing them
        changes nothing).
    """

    closed: list[str]
    customers: gpd.GeoDataFrame
    pipes: gpd.GeoDataFrame
    stats: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        shut = self.stats.get("already_closed", [])
        note = f"; {_shown(shut, 4)} normally closed already" if shut else ""
        return f"<Isolation closing {_shown(self.closed, 4)}: {_stats_line(self.stats)}{note}>"


def isolate(net, valve_ids) -> Isolation:
    """Customers that lose supply when ``valve_ids`` close (on top of the normally-closed ones).

    O(n + m): one search of the network. Raises :class:`UnknownAssetError` naming unknown
    (or unplaced) valve ids.
    """
    valve_ids = net._known("valves", list(valve_ids), "valves")  # (283 -> "283")
    nodes = net.valve_nodes(valve_ids)
    normally = net.valves["normally"].loc[valve_ids]
    fg = net.flow
    mask = np.zeros(fg.n_nodes, bool)
    mask[nodes] = True
    before, after = fg.base_supply, fg.supplied(mask)
    table = _affected(net, before, after)
    # A pipe part has gas while either end has (a closed valve at one end blocks only there).
    had = before[fg.edge_u] | before[fg.edge_v]
    dead = had & ~(after[fg.edge_u] | after[fg.edge_v])
    edges = net.layers["edges"]
    pipes = edges.iloc[np.searchsorted(edges["edge_id"].to_numpy(), fg.live_edges[dead])]
    pipes = gpd.GeoDataFrame(pipes, crs=edges.crs).set_index("edge_id")
    stats = {
        "customers": len(table),
        "households": int(table["households"].sum()),
        "critical": table.loc[table["critical"], "name"].astype(str).tolist(),
        "deenergised_pipes": int(pipes["pipe_id"].nunique()),
        "deenergised_length_m": float(pipes["length_m"].sum()),
        "already_closed": normally.index[normally == "closed"].astype(str).tolist(),
    }
    return Isolation([str(v) for v in valve_ids], _customers_gdf(net, table), pipes, stats)


@dataclass(repr=False)
class BurstResult:
    """What a shift supervisor needs after a burst (:meth:`gasnet.Network.burst`).

    Attributes
    ----------
    damaged
        The damaged pipe ids.
    valves
        Every valve on the border of the isolated area, indexed by valve_id: order (1, 2,
        ... for the valves to close, the source side first: :func:`close_order`), node_id,
        action (``close``; ``no_crew`` when nothing live lies behind it; ``already_closed``;
        ``skip_inoperable`` / ``skip_failed`` when isolation had to extend past it), x, y
        (working CRS), lon, lat (WGS84), gcj_lon, gcj_lat (GCJ-02, for Chinese web maps),
        geometry; the valves to close come first, in order.
    customers
        Customers losing gas, critical ones first, indexed by customer_id: name, kind,
        critical, households, segment_id, ``where`` (``isolated`` inside the isolated area,
        ``cut_off`` behind it), geometry.
    pipes
        De-energised pipe parts, indexed by edge_id, with ``isolated`` (True inside the area
        to vent).
    sources_to_shut
        Source ids inside the isolated area (their station must stop feeding it).
    stats
        Counts, lengths, pipe volume (m³) and gas volume at operating pressure (standard m³).
    outline
        Polygon round the affected pipes and customers (working CRS).
    """

    damaged: list[str]
    valves: gpd.GeoDataFrame
    customers: gpd.GeoDataFrame
    pipes: gpd.GeoDataFrame
    sources_to_shut: list[str]
    stats: dict = field(default_factory=dict)
    outline: object = None

    def __repr__(self) -> str:
        return (
            f"<BurstResult on {_shown(self.damaged, 3)}: close "
            f"{self.stats['valves_to_close']} valve(s); {_stats_line(self.stats)}>"
        )


def _damaged_edges(net, pipe, at, crs, max_distance) -> tuple[np.ndarray, list[str]]:
    """Positions of the damaged in-service edges, and the damaged pipe ids."""
    if pipe is None:
        return _nearest_live_edge(net, at, crs, max_distance)
    pipes = [pipe] if isinstance(pipe, str) else list(pipe)
    rows = [net.edges_of_pipe.get(p) for p in pipes]
    missing = [p for p, r in zip(pipes, rows, strict=True) if r is None]
    if missing:
        known = pd.Index(net.layers["pipes"]["pipe_id"])
        placed = [p for p in missing if p in known]
        if placed:
            raise UnknownAssetError(
                f"pipe={placed[0]!r} is not part of the network (no usable geometry: see its "
                "row in quality_issues)"
            )
        net._known("pipes", missing, "pipe")  # raises, naming pipe=
    mine = np.zeros(len(net.layers["edges"]), bool)
    mine[np.concatenate(rows)] = True
    live = net.edge_live
    for p, r in zip(pipes, rows, strict=True):
        if not live[r].any():
            status = net.layers["edges"]["status"].iloc[r[0]]
            raise InputError(f"pipe={p!r} is {status}: it carries no gas, nothing to isolate")
    return np.flatnonzero(mine & live), [str(p) for p in pipes]


def _brace(text) -> str:
    """Data (a pipe id) inside a LocationError template."""
    return str(text).replace("{", "{{").replace("}", "}}")


def _metres(d: float) -> str:
    return f"{d:.1f} m" if d < 1e4 else f"{d / 1000:,.1f} km"


def _range_problem(x: float, y: float, geographic: bool) -> str | None:
    """Why (x, y) cannot be a point of its CRS, or None."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return f"the coordinates must be finite numbers, got x = {x:.10g}, y = {y:.10g}"
    if geographic:
        if abs(y) > 90:
            return f"latitude {y:.10g} is outside -90..90"
        if abs(x) > 180:
            return f"longitude {x:.10g} is outside -180..180"
    elif max(abs(x), abs(y)) > COORDINATE_LIMIT:
        return (
            f"{max(abs(x), abs(y)):g} is not a plausible coordinate (beyond ±{COORDINATE_LIMIT:g})"
        )
    return None


def _nearest_live_edge(net, at, crs, max_distance) -> tuple[np.ndarray, list[str]]:
    """The in-service edge nearest the point ``at`` (in ``crs``, default the working CRS).

    A point that is not finite, out of range, or farther than ``max_distance`` raises
    :class:`LocationError`; when the point with x and y swapped (or read as lon/lat) lies
    within ``max(1 km, max_distance)`` of an in-service pipe, the message gives it.
    """
    edges, work = net.layers["edges"], net.layers["edges"].crs
    try:
        x, y = (float(v) for v in at)
    except (TypeError, ValueError):
        raise LocationError(f"at= must be two numbers (x, y), got {_brace(repr(at))}") from None
    try:
        src = pyproj.CRS.from_user_input(crs) if crs else work
    except pyproj.exceptions.CRSError:
        raise LocationError("{crs} is not a CRS pyproj knows (e.g. EPSG:4326)", crs=crs) from None
    idx = np.flatnonzero(net.edge_live)
    if not len(idx):
        raise OffNetworkError("no pipe is in service: there is nothing to isolate")
    tree = shapely.STRtree(geoms(edges)[idx])

    def nearest(px, py, pcrs):
        """(edge, distance in m) of the nearest live edge, or None for an unusable point."""
        if _range_problem(px, py, pcrs.is_geographic):
            return None
        if pcrs != work:
            px, py = pyproj.Transformer.from_crs(pcrs, work, always_xy=True).transform(px, py)
            if not (np.isfinite(px) and np.isfinite(py)):
                return None
        j, d = tree.query_nearest(shapely.Point(px, py), return_distance=True, all_matches=False)
        return int(idx[j[1][0] if j.ndim == 2 else j[0]]), float(d[0])

    geographic = src.is_geographic
    problem = _range_problem(x, y, geographic)
    if problem is None:
        hit = nearest(x, y, src)
        if hit is None:
            problem = (
                f"the point cannot be transformed from {_brace(src.to_string())} to the "
                f"working CRS {_brace(work.to_string())}"
            )
        elif hit[1] <= max_distance:
            return np.array([hit[0]]), [str(edges["pipe_id"].iloc[hit[0]])]
        else:
            e, dist = hit
            problem = (
                f"the point is {_metres(dist)} from the nearest in-service pipe "
                f"({_brace(edges['pipe_id'].iloc[e])}), more than {max_distance:g} m"
            )
    if not (np.isfinite(x) and np.isfinite(y)):
        raise LocationError("{at}: " + problem, at=(x, y))
    # A likely mistake: x and y swapped, or lon/lat given without their CRS.
    reach = max(1000.0, max_distance)
    wgs84 = pyproj.CRS.from_epsg(4326)
    xy_names = "lon and lat" if geographic else "x and y"
    tries = [((y, x), src, f"did you swap {xy_names}? try {{fix}}")]
    if not crs and not geographic:
        tries += [
            ((x, y), wgs84, "these look like lon/lat: try {fix} {crs_fix}"),
            ((y, x), wgs84, "these look like lat/lon: try {fix} {crs_fix}"),
        ]
    for fix, fix_crs, hint in tries:
        hit = nearest(*fix, fix_crs)
        if hit is not None and hit[1] <= reach:
            raise LocationError(
                "{at}: " + problem + "; " + hint, at=(x, y), fix=fix, crs_fix="EPSG:4326"
            )
    raise LocationError(
        "{at}: " + problem + "; check the coordinates and their CRS (lon, lat needs {crs_fix})",
        at=(x, y),
        crs_fix="EPSG:4326",
    )


@dataclass
class IsolationPlan:
    """Geometry-free answer of a burst: the isolated area and what each border valve needs."""

    segments: set
    in_region: np.ndarray  # per zone
    actions: list  # (valve index, action)
    close_nodes: list
    source_nodes: np.ndarray
    after: np.ndarray  # zone-graph nodes still supplied once the plan is carried out
    customers_lost: np.ndarray  # per customer: supplied before, not after


def plan_isolation(eng, damaged_zones, skip: np.ndarray, failed: np.ndarray) -> IsolationPlan:
    """Which valves isolate the segments of ``damaged_zones`` (see :func:`burst`).

    ``skip`` marks valves that cannot close (inoperable or failed; ``failed`` tells which
    were reported failed). The area grows past such a valve only when live gas lies behind
    it (else it never needed closing). O(n + m) per growth step: one search with the area
    removed.
    """
    fg, nz = eng.flow, eng.n_zones
    region = set(eng.zone_seg[np.asarray(damaged_zones)].tolist())
    seg_of_vz = eng.zone_seg[eng.vz_zone]
    nv = len(fg.valves)
    blocked = np.zeros(eng.n_zg, bool)
    while True:
        # What still has supply with the area removed decides which border valves matter:
        # a valve that cannot close extends the area only if live gas lies behind it.
        in_region = np.isin(eng.zone_seg, list(region))
        blocked[:nz] = in_region
        live_wo = eng.reach(blocked)
        border_v = np.unique(eng.vz_valve[np.isin(seg_of_vz, list(region))])
        grow = border_v[skip[border_v] & eng.valve_open[border_v] & live_wo[nz + border_v]]
        new = set(seg_of_vz[np.isin(eng.vz_valve, grow)].tolist()) - region
        if not new:
            break
        region |= new
    has_outside = np.bincount(eng.vz_valve, weights=~in_region[eng.vz_zone], minlength=nv) > 0
    action = np.full(len(border_v), "", dtype=object)
    opened, skipped = eng.valve_open[border_v], skip[border_v]
    live_behind = live_wo[nz + border_v]
    outside = has_outside[border_v]
    action[~opened] = "already_closed"
    passed = opened & skipped & ~outside  # the area was extended past it
    action[passed] = np.where(failed[border_v[passed]], "skip_failed", "skip_inoperable")
    free = opened & outside  # a skipped one here has nothing live behind it: no crew
    action[free & live_behind] = "close"
    action[free & ~live_behind] = "no_crew"
    keep = action != ""
    actions = list(zip(border_v[keep].tolist(), action[keep].tolist(), strict=True))
    close_nodes = fg.valves[border_v[free & live_behind]].tolist()
    sz = eng.node_zone[fg.sources]
    src_nodes = fg.sources[(sz >= 0) & in_region[np.maximum(sz, 0)]]
    # Afterwards: the closed valves are gone and no source inside the area feeds it.
    blocked = np.zeros(eng.n_zg, bool)
    blocked[nz + border_v[free & live_behind]] = True
    after = eng.reach(blocked, cut_root_to=in_region)
    # A zone is fed as a whole (no valve inside it): supply before and after, per customer.
    cz = eng.customer_zone
    z = np.maximum(cz, 0)
    lost = (cz >= 0) & eng.reached[z] & ~after[z]
    return IsolationPlan(region, in_region, actions, close_nodes, src_nodes, after, lost)


def _outline(lines: np.ndarray, points: np.ndarray, margin: float = 25.0):
    """A polygon round the affected pipes and customers: their concave hull, widened.

    O(k log k) in the affected vertices (the hull of at most 20,000 of them, evenly sampled),
    so a street burst answers in milliseconds and a trunk burst in a fraction of a second.
    A vertex the sample left out and its hull does not reach (a customer off on its own) is
    added, widened alike: the outline holds every one.
    """
    xy = np.vstack([shapely.get_coordinates(lines), shapely.get_coordinates(points)])
    if not len(xy):
        return None
    sample = xy[:: len(xy) // 20_000 + 1] if len(xy) > 20_000 else xy  # a city-wide outage
    area = shapely.buffer(shapely.concave_hull(shapely.multipoints(sample), ratio=0.05), margin)
    if len(sample) < len(xy):
        outside = xy[~shapely.contains_xy(shapely.buffer(area, -margin / 5), *xy.T)]
        if len(outside):
            discs = shapely.buffer(shapely.points(outside), margin, quad_segs=4)
            area = shapely.union(area, shapely.union_all(discs))
    return area.simplify(margin / 5)


def burst(net, *, pipe=None, at=None, crs=None, fail=(), max_distance: float = 30.0) -> BurstResult:
    """Isolation plan for a burst on whole pipes (``pipe``: an id or a list) or at a point
    (``at=(x, y)``).

    The damaged pipe parts' segments are cut off from every source: each boundary valve
    closes, except those whose far side has no other supply (no crew needed); an inoperable
    valve, or one of ``fail``, is skipped and isolation extends past it to the next valves.
    """
    if (pipe is None) == (at is None):
        raise InputError("give exactly one of pipe= (a pipe id) or at=(x, y)")
    try:
        distance = float(max_distance)
    except (TypeError, ValueError):
        distance = float("nan")
    if not distance >= 0:
        raise InputError(
            f"max_distance={clean_value(repr(max_distance))[:40]}: give a distance in metres, "
            "0 or more"
        )
    eng, fg = net.engine, net.flow
    failed = set(fail)
    if failed:
        net.valve_nodes(sorted(failed), "fail")  # unknown ids -> a clear error
    e_idx, damaged = _damaged_edges(net, pipe, at, crs, distance)
    eid = net.layers["edges"]["edge_id"].to_numpy()[e_idx]
    zones = eng.edge_zone[np.searchsorted(fg.live_edges, eid)]
    vid = fg.asset_id[fg.valves]
    is_failed = np.isin(vid, list(failed))
    plan = plan_isolation(eng, zones, ~net.valve_operable | is_failed, is_failed)
    in_region = plan.in_region
    rows = [(vid[k], int(fg.valves[k]), a) for k, a in plan.actions]
    region = plan.segments
    vt = pd.DataFrame(rows, columns=["valve_id", "node_id", "action"])
    nodes = vt["node_id"].to_numpy(np.int64)
    pts = geoms(net.layers["nodes"])[nodes] if len(vt) else np.empty(0, object)
    vt["x"], vt["y"] = shapely.get_x(pts), shapely.get_y(pts)
    work = net.layers["edges"].crs.to_string()
    lon, lat = to_wgs84(work).transform(vt["x"].to_numpy(), vt["y"].to_numpy())
    vt["lon"], vt["lat"] = np.round(lon, 7), np.round(lat, 7)
    glon, glat = wgs84_to_gcj02(lon, lat)
    vt["gcj_lon"], vt["gcj_lat"] = np.round(glon, 7), np.round(glat, 7)
    closing = (vt["action"] == "close").to_numpy()
    vt["order"] = pd.array([pd.NA] * len(vt), dtype="Int64")
    vidx = np.array([k for k, _ in plan.actions], np.int64)
    if closing.any():
        vt.loc[closing, "order"] = close_order(eng, vidx[closing])
    rank = {"close": 0, "skip_inoperable": 1, "skip_failed": 1, "no_crew": 2, "already_closed": 3}
    vt = vt.sort_values(
        ["action", "order", "valve_id"], key=lambda s: s.map(rank) if s.name == "action" else s
    ).reset_index(drop=True)
    vt = vt[
        ["order", "valve_id", "node_id", "action", "x", "y", "lon", "lat", "gcj_lon", "gcj_lat"]
    ]
    cz = eng.customer_zone
    where = np.where((cz >= 0) & in_region[np.maximum(cz, 0)], "isolated", "cut_off")
    lost_c = plan.customers_lost
    customers = _affected_mask(net, lost_c, where)
    iso = in_region[eng.edge_zone]
    dead = (eng.reached[eng.edge_zone] & ~plan.after[eng.edge_zone]) | iso
    epos = np.searchsorted(net.layers["edges"]["edge_id"].to_numpy(), fg.live_edges[dead])
    pipes = net.layers["edges"].iloc[epos].copy()
    pipes["isolated"] = iso[dead]
    isolated = pipes[pipes["isolated"]]
    # Only what held gas in the base state is vented: an unsupplied stub inside the area
    # holds none.
    held = isolated[eng.reached[eng.edge_zone[dead][iso[dead]]]]
    d_m = held["diameter_mm"].astype(float).to_numpy() / 1000.0
    vol = np.pi / 4 * d_m**2 * held["length_m"].to_numpy()
    p = held["pressure_class"].map(MAX_PRESSURE_MPA).astype(float).to_numpy()
    gas = vol * (p + ATM_MPA) / ATM_MPA
    damaged_zone = eng.edge_zone[np.searchsorted(fg.live_edges, eid)]
    stats = {
        "damaged_pipes": damaged,
        "segments_isolated": len(region),
        "valves_to_close": int((vt["action"] == "close").sum()),
        "isolated_pipes": int(isolated["pipe_id"].nunique()),
        "isolated_length_m": float(isolated["length_m"].sum()),
        "deenergised_pipes": int(pipes["pipe_id"].nunique()),
        "deenergised_length_m": float(pipes["length_m"].sum()),
        "pipe_volume_m3": float(np.nansum(vol)),
        "gas_volume_std_m3": float(np.nansum(gas)),
        # Pipes whose volume (no diameter) or gas (no pressure class) is not counted above.
        "pipes_without_diameter": int(held.loc[np.isnan(d_m), "pipe_id"].nunique()),
        "pipes_without_pressure_class": int(held.loc[np.isnan(p), "pipe_id"].nunique()),
        # False: no source reached the damaged pipe before the burst (an island, or every
        # way in closed): there was no gas to lose and none to vent.
        "damaged_supplied": bool(eng.reached[damaged_zone].any()),
        "customers": len(customers),
        "households": int(customers["households"].sum()),
        "critical": customers.loc[customers["critical"], "name"].astype(str).tolist(),
    }
    outline = _outline(geoms(pipes), geoms(net.layers["customers"])[lost_c])
    srcs = [str(net.layers["nodes"]["asset_id"].iloc[s]) for s in plan.source_nodes.tolist()]
    crs = net.layers["edges"].crs
    valves = _by_id(vt, "valve_id", shapely.points(vt["x"], vt["y"]), crs)
    pipes = gpd.GeoDataFrame(pipes, crs=crs).set_index("edge_id")
    return BurstResult(damaged, valves, _customers_gdf(net, customers), pipes, srcs, stats, outline)
