"""Topology: from canonical layers to a node / edge table of the network (DESIGN.md,
"Network semantics").

* Pipe endpoints closer than ``snap_tolerance_m`` become one node (and the pipe ends are moved
  onto it). A pipe endpoint touching another pipe's interior is a junction that splits it.
  Pipes that merely cross are not connected. A pipe whose ends snap to one node with no more
  than the tolerance of line left is reported (``collapsed_pipe``) and left out; more than half
  of the pipes collapsing is an error (wrong CRS units or tolerance).
* Valves, sources and regulators sit on an existing node within the tolerance, or split the
  pipe they lie on; farther than the tolerance from every pipe they are reported and left out.
* Customers attach at the nearest point of an in-service pipe (of their ``pipe_id`` when given)
  within ``customer_max_distance_m``, as a node splitting that pipe, so that a valve on the same
  pipe leaves them on their own side. Customers farther away are reported, never dropped.

Everything runs on arrays (KD-tree, STRtree, numpy sorting): a million pipes is a matter of
seconds. :func:`build_topology` is the entry point.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import _progress
from .schema import pressure_rank
from .validate import Report, coordinate_problems, geoms

__all__ = ["EDGE_COLUMNS", "NODE_COLUMNS", "NODE_KINDS", "Topology", "build_topology"]

log = logging.getLogger(__name__)

NODE_KINDS = ("junction", "end", "valve", "source", "regulator", "customer")
NODE_COLUMNS = ["node_id", "kind", "asset_id", "degree"]
EDGE_COLUMNS = [
    "edge_id",
    "pipe_id",
    "u",
    "v",
    "length_m",
    "pressure_class",
    "diameter_mm",
    "material",
    "status",
]
_ASSETS = (
    ("sources", "source_id", "source"),
    ("regulators", "regulator_id", "regulator"),
    ("valves", "valve_id", "valve"),
)


@dataclass
class Topology:
    """The built network as tables (working CRS).

    Attributes
    ----------
    nodes
        node_id, kind (junction / end / valve / source / regulator / customer), asset_id (the
        valve, source or regulator id at the node), degree, geometry (Point).
    edges
        edge_id, pipe_id, u, v, length_m, pressure_class, diameter_mm, material, status,
        geometry (LineString, from u to v).
    customers
        customer_id, node_id (attachment node, missing when unattached), edge_id,
        attach_distance_m.
    assets
        valve / source / regulator id -> node_id (missing when not on the network).
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    customers: pd.DataFrame
    assets: pd.DataFrame


def _explode(pipes: gpd.GeoDataFrame, report: Report) -> gpd.GeoDataFrame:
    """Single-part lines with their pipe's attributes; zero-length parts reported and dropped."""
    geom = geoms(pipes)
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    parts, index = shapely.get_parts(geom[ok], return_index=True)
    src = pipes.index[ok][index]
    out = pipes.loc[src].drop(columns="geometry").reset_index(drop=True)
    out = gpd.GeoDataFrame(out, geometry=parts, crs=pipes.crs)
    length = shapely.length(parts)
    npts = shapely.get_num_coordinates(parts)
    zero = (length <= 1e-9) | (npts < 2)
    if zero.any():
        report.add(
            "zero_length",
            "warning",
            "pipes",
            "pipe (part) of zero length, left out of the network",
            "delete it or redraw it",
            ids=out.loc[zero, "pipe_id"],
            geometries=shapely.get_point(parts[zero], 0),
        )
    return out.loc[~zero].reset_index(drop=True)


def _snap_endpoints(start: np.ndarray, end: np.ndarray, tol: float):
    """Cluster endpoints within ``tol``; returns (start_node, end_node, node_xy)."""
    pts = np.vstack([start, end])
    n = len(pts)
    # (tol = 0: "exactly on", ends drawn at one point are still one node)
    pairs = cKDTree(pts).query_pairs(tol, output_type="ndarray")
    graph = coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    # Number clusters by their first endpoint so node ids follow the input order.
    first = np.full(label.max() + 1, n)
    np.minimum.at(first, label, np.arange(n))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    node = rank[label]
    # The node goes where most of its ends are: the member nearest the cluster's centroid
    # (an undershooting end moves onto the junction, not the junction onto it).
    k = len(order)
    cnt = np.bincount(node, minlength=k)
    cx = np.bincount(node, weights=pts[:, 0], minlength=k) / cnt
    cy = np.bincount(node, weights=pts[:, 1], minlength=k) / cnt
    d = np.hypot(pts[:, 0] - cx[node], pts[:, 1] - cy[node])
    best = np.lexsort((np.arange(n), d, node))
    node_xy = pts[best[np.r_[0, np.flatnonzero(np.diff(node[best])) + 1]]]
    m = len(start)
    return node[:m], node[m:], node_xy


def _collapsed(coords, vidx, counts, start_node, end_node, node_xy, tol) -> np.ndarray:
    """Per part: do its ends snap to one node, leaving at most ``tol`` of line (a point)?

    The length is measured with the ends moved onto their node, as the edge would be drawn.
    A longer part whose ends meet (a closed ring main) stays: a loop edge.
    """
    firsts = np.cumsum(counts) - counts
    c = coords.copy()
    c[firsts] = node_xy[start_node]
    c[firsts + counts - 1] = node_xy[end_node]
    seg = np.hypot(*np.diff(c, axis=0).T)
    same = vidx[1:] == vidx[:-1]
    length = np.bincount(vidx[1:][same], weights=seg[same], minlength=len(counts))
    return (start_node == end_node) & (length <= tol)


def _size(v: float) -> str:
    return f"{v:.3g}" if v < 10 else f"{v:,.0f}"


def _report_collapsed(parts_gdf, gone: np.ndarray, tol: float, report: Report) -> None:
    """Report the pipes whose every part collapses; too many of them is an error.

    More than half of the pipes collapsing is no digitising slip: the coordinates are not in
    the units the layer's CRS says (degrees read as metres), or the tolerance is far too big.
    """
    from .errors import InputError

    parts = geoms(parts_gdf)
    pid = parts_gdf["pipe_id"].to_numpy(object)
    per = pd.DataFrame(
        {
            "pipe_id": pid,
            "gone": gone,
            "length": shapely.length(parts),
            "row": np.arange(len(parts)),
        }
    ).groupby("pipe_id", sort=False, dropna=False)
    per = per.agg(gone=("gone", "all"), length=("length", "sum"), row=("row", "first"))
    lost = per[per["gone"]]
    if not len(lost):
        return
    # The ids as given, not the group labels: a pandas Index turns integer ids with a missing
    # one into floats (9007199254740993 would be named 9007199254740992.0, another pipe).
    ids = pid[lost["row"].to_numpy()]
    if 2 * len(lost) > len(per):
        files = ""
        if "source_file" in parts_gdf:
            files = f" ({', '.join(sorted(set(parts_gdf['source_file'].dropna().astype(str))))})"
        xmin, ymin, xmax, ymax = shapely.total_bounds(parts)
        shown = ", ".join(map(str, ids[:5])) + (", ..." if len(lost) > 5 else "")
        raise InputError(
            f"pipes{files}: {len(lost)} of {len(per)} pipes collapse to a point when their ends "
            f"are snapped within {tol:g} m ({shown}); the whole layer spans "
            f"{_size(xmax - xmin)} × {_size(ymax - ymin)} m — are the coordinates in degrees "
            "while the layer's CRS says metres? check crs = ... in [layers.pipes] (and the "
            ".prj file) and [network] snap_tolerance_m"
        )
    report.add(
        "collapsed_pipe",
        "warning",
        "pipes",
        f"pipe collapses to a point: its ends snap together within the snapping tolerance "
        f"({tol:g} m); left out of the network",
        "delete it if it is a digitising slip (the pipes at its ends are joined anyway), "
        "or redraw it",
        ids=ids,
        geometries=parts[lost["row"].to_numpy()],
        details=[f"drawn {_size(x)} m long" for x in lost["length"]],
    )


def _drop_parts(parts_gdf, keep, start_node, end_node, node_xy):
    """The parts that stay, their vertices, and their nodes renumbered densely (in order)."""
    parts_gdf = parts_gdf.loc[keep].reset_index(drop=True)
    coords, vidx = shapely.get_coordinates(geoms(parts_gdf), return_index=True)
    start_node, end_node = start_node[keep], end_node[keep]
    used = np.zeros(len(node_xy), bool)
    used[start_node] = used[end_node] = True
    new = np.cumsum(used) - 1
    return parts_gdf, coords, vidx, new[start_node], new[end_node], node_xy[used]


def _cut_parts(coords, vidx, start_node, end_node, cut_part, cut_s, cut_node, node_xy):
    """Split every part at its cut positions; returns edge arrays (part, u, v, geometry, length).

    ``coords, vidx`` are the parts' vertices (``shapely.get_coordinates(..., return_index=
    True)``); their first and last vertices move onto the snapped nodes here. ``cut_*`` list
    interior cut points: part index, distance along the part and node id. The cut vertex takes
    the node's coordinates, so every edge starts and ends exactly at its nodes; lengths are
    those of the resulting lines.
    """
    n_parts = len(start_node)
    counts = np.bincount(vidx, minlength=n_parts)
    firsts = np.cumsum(counts) - counts
    # Positions along a part are measured on the part as drawn (where the cuts were located);
    # the drawn ends are then replaced by their snapped nodes. They are summed segment by
    # segment from the part's own start, each segment as sqrt(dx*dx + dy*dy): as GEOS sums
    # them in line_locate_point, so a cut located on a vertex (a pipe end just off a corner)
    # ties with it exactly and follows it, whatever parts come before (a running total over
    # all parts, less the part's start, rounds differently).
    d = np.diff(coords, axis=0)
    seg = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])
    m = np.zeros(len(vidx))
    active = np.arange(n_parts)
    for k in range(1, counts.max(initial=0)):
        active = active[counts[active] > k]
        i = firsts[active] + k
        m[i] = m[i - 1] + seg[i - 1]
    coords = coords.copy()
    coords[firsts] = node_xy[start_node]
    coords[firsts + counts - 1] = node_xy[end_node]
    order = np.lexsort((cut_s, cut_part))
    cp, cs, cn = cut_part[order], cut_s[order], cut_node[order]
    # A cut stays strictly inside its part: one located on the drawn end (an asset within the
    # tolerance of the end but not of the snapped node) still leaves two points per piece.
    part_len = m[firsts + counts - 1]
    cs = np.clip(cs, 1e-9, part_len[cp] - 1e-9)
    cxy = node_xy[cn]
    nv, nc = len(vidx), len(cp)
    # Events: vertices (kind 0), a cut as the end of one piece (1), the same cut as a start (2).
    part_e = np.concatenate([vidx, cp, cp])
    m_e = np.concatenate([m, cs, cs])
    kind_e = np.concatenate([np.zeros(nv, np.int8), np.ones(nc, np.int8), np.full(nc, 2, np.int8)])
    xy_e = np.concatenate([coords, cxy, cxy])
    node_e = np.concatenate([np.full(nv, -1), cn, cn])
    # Cuts at one position (a customer abreast of a valve) follow each other, each as the end
    # of one piece and the start of the next: a zero-length edge between their two nodes.
    rank_e = np.concatenate([np.full(nv, -1), np.arange(nc), np.arange(nc)])
    ev = np.lexsort((kind_e, rank_e, m_e, part_e))
    part_e, m_e, kind_e, xy_e, node_e = part_e[ev], m_e[ev], kind_e[ev], xy_e[ev], node_e[ev]
    first_of_part = np.r_[True, part_e[1:] != part_e[:-1]]
    piece = np.cumsum(first_of_part | (kind_e == 2)) - 1
    n_pieces = piece[-1] + 1 if len(piece) else 0
    # A cut on a vertex (or a vertex digitised twice) repeats a point: drop the repeat,
    # unless the piece would keep fewer than two points.
    rep = np.r_[False, (piece[1:] == piece[:-1]) & (xy_e[1:] == xy_e[:-1]).all(1)]
    short = np.bincount(piece[~rep], minlength=n_pieces) < 2
    keep = ~rep | short[piece]
    lines = shapely.linestrings(xy_e[keep], indices=piece[keep])
    piece_part = np.empty(n_pieces, np.int64)
    piece_part[piece] = part_e
    starts = np.r_[0, np.flatnonzero(np.diff(piece)) + 1]
    ends = np.r_[starts[1:] - 1, len(piece) - 1]
    u = np.where(kind_e[starts] == 2, node_e[starts], start_node[piece_part])
    v = np.where(kind_e[ends] == 1, node_e[ends], end_node[piece_part])
    return piece_part, u, v, lines, shapely.length(lines)


def _drawn_west_first(lines) -> np.ndarray:
    """Per line: is its first point west of its last (south of it, on a tie)?"""
    c0 = shapely.get_coordinates(shapely.get_point(lines, 0))
    c1 = shapely.get_coordinates(shapely.get_point(lines, -1))
    return (c0[:, 0] < c1[:, 0]) | ((c0[:, 0] == c1[:, 0]) & (c0[:, 1] <= c1[:, 1]))


def _runs_within(part: np.ndarray, s: np.ndarray, tol: float) -> np.ndarray:
    """Group ids for points at positions ``s`` along parts ``part``: a group starts at its
    first point (in order along the part) and takes the points within ``tol`` of it.
    Returns the group of each point, numbered in (part, s) order; the input must be sorted
    by (part, s) — callers pass it so."""
    group = np.zeros(len(s), np.int64)
    g, start_p, start_s = -1, None, 0.0
    for k, (p, x) in enumerate(zip(part.tolist(), s.tolist(), strict=True)):
        if p != start_p or x - start_s > tol:
            g, start_p, start_s = g + 1, p, x
        group[k] = g
    return group


def _duplicate_cuts(tree, parts, gp, gs, xy, nodes, a, rows, report) -> np.ndarray:
    """Cuts that put an asset node on every pipe part drawn through it.

    A valve on a pipe digitised twice must block both copies (closing it blocks every pipe
    at it); a pipe that merely crosses the other at the valve is left alone (it passes at
    another depth) and the valve is reported, placed on its nearest pipe.
    """
    if not len(gp):
        return np.empty((0, 3))
    pts = shapely.points(xy)
    gi, pk = tree.query(pts, predicate="dwithin", distance=1e-6)
    other = pk != gp[gi]
    gi, pk = gi[other], pk[other]
    if not len(gi):
        return np.empty((0, 3))
    sk = shapely.line_locate_point(parts[pk], pts[gi])

    def direction(lines, at):
        length = shapely.length(lines)
        d = np.minimum(0.5, length / 4)
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.maximum(at - d, 0)))
        p1 = shapely.get_coordinates(
            shapely.line_interpolate_point(lines, np.minimum(at + d, length))
        )
        v = p1 - p0
        return v / np.maximum(np.hypot(*v.T), 1e-12)[:, None]

    cos = np.abs((direction(parts[gp[gi]], gs[gi]) * direction(parts[pk], sk)).sum(1))
    dup = cos > 0.999
    cross = ~dup
    for layer, _, kind in _ASSETS:
        mine = cross & (a["layer"].to_numpy(object)[rows[gi]] == layer)
        if mine.any():
            report.add(
                "asset_at_crossing",
                "warning",
                layer,
                f"{kind} drawn where two pipes cross without a junction: it is put on one of "
                "them only (crossing pipes pass at different depths)",
                "move it onto the pipe it belongs to, or add the junction if the pipes meet",
                ids=a["asset_id"].to_numpy(object)[rows[gi[mine]]],
                geometries=pts[gi[mine]],
            )
    return np.column_stack([pk[dup], sk[dup], nodes[gi[dup]]]).astype(float).reshape(-1, 3)


def _place_assets(layers, tree, parts, node_xy, tol, report):
    """Valves, sources, regulators: at a node, on a part (a cut), or reported off the network.

    Returns the asset table (asset_id, kind, node_id; -1 when not placed), the cuts and the
    node coordinates with the new nodes appended. Where two assets meet on one node, the
    source beats the regulator, which beats the valve; the loser is reported.
    """
    frames = []
    for layer, idf, kind in _ASSETS:
        gdf = layers.get(layer)
        if gdf is not None and len(gdf):
            frames.append(
                pd.DataFrame(
                    {
                        "asset_id": gdf[idf].to_numpy(object),
                        "kind": kind,
                        "layer": layer,
                        "geometry": geoms(gdf),
                    }
                )
            )
    if not frames:
        return (pd.DataFrame(columns=["asset_id", "kind", "node_id"]), np.empty((0, 3)), node_xy)
    a = pd.concat(frames, ignore_index=True)
    geom = a["geometry"].to_numpy(object)
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    node = np.full(len(a), -1, dtype=np.int64)
    idx = np.flatnonzero(ok)
    pts = geom[idx]
    dn, nn = cKDTree(node_xy).query(shapely.get_coordinates(pts))
    # (a tolerance of 0 means "exactly on": STRtree wants a positive distance)
    hit_pt, hit_part = tree.query_nearest(pts, max_distance=max(tol, 1e-9), all_matches=False)
    part_of = np.full(len(pts), -1)
    part_of[hit_pt] = hit_part
    at_node = dn <= tol
    node[idx[at_node]] = nn[at_node]
    on_part = ~at_node & (part_of >= 0)
    pj = part_of[on_part]
    s = shapely.line_locate_point(parts[pj], pts[on_part])
    # Assets closer than the tolerance along one pipe are one point, as at a node: one node
    # (the clash rule below keeps the source over the regulator over the valve), so a
    # station drawn on its outlet valve is reported, not put on a side by drawing direction.
    order = np.lexsort((s, pj))
    in_order = _runs_within(pj[order], s[order], tol)
    first = order[np.r_[True, in_order[1:] != in_order[:-1]]] if len(order) else order
    group = np.empty_like(in_order)
    group[order] = in_order
    node[idx[on_part]] = len(node_xy) + group
    gp, gs = pj[first], s[first]
    g_nodes = len(node_xy) + np.arange(len(first))
    new_xy = shapely.get_coordinates(shapely.line_interpolate_point(parts[gp], gs))
    cut = np.column_stack([gp, gs, g_nodes]).astype(float).reshape(-1, 3)
    rows = idx[np.flatnonzero(on_part)[first]]  # the asset (row of ``a``) of each group
    cut = np.vstack([cut, _duplicate_cuts(tree, parts, gp, gs, new_xy, g_nodes, a, rows, report)])
    off = idx[~at_node & (part_of < 0)]
    for layer, _, kind in _ASSETS:
        mine = off[(a["layer"].to_numpy()[off] == layer)]
        if not len(mine):
            continue
        _, near = tree.query_nearest(geom[mine], all_matches=False)
        dist = shapely.distance(geom[mine], parts[near])
        check = "valve_off_pipe" if kind == "valve" else f"{kind}_off_network"
        report.add(
            check,
            "warning",
            layer,
            f"{kind} farther than the snapping tolerance ({tol:g} m) from every pipe; "
            "left out of the network",
            "move it onto its pipe (or raise [network] "
            "snap_tolerance_m if the whole layer is offset)",
            ids=a["asset_id"].to_numpy(object)[mine],
            geometries=geom[mine],
            details=[f"{d:.2f} m from the nearest pipe" for d in dist],
        )
    taken = pd.Series(node).where(node >= 0)
    clash = taken.notna() & taken.duplicated(keep="first")
    if clash.any():
        winner = pd.Series(np.arange(len(a)), index=node).groupby(level=0).first()
        for layer, _, kind in _ASSETS:
            mine = np.flatnonzero(clash.to_numpy() & (a["layer"].to_numpy() == layer))
            if not len(mine):
                continue
            w = winner.loc[node[mine]].to_numpy()
            report.add(
                "asset_conflict",
                "warning",
                layer,
                f"{kind} on the same network point as another asset, which takes the node",
                "move one of them to its true place",
                ids=a["asset_id"].to_numpy(object)[mine],
                geometries=geom[mine],
                details=[f"{a['kind'].iloc[k]} {a['asset_id'].iloc[k]}" for k in w],
            )
        node[clash.to_numpy()] = -1
    assets = pd.DataFrame({"asset_id": a["asset_id"], "kind": a["kind"], "node_id": node})
    return assets, cut, np.vstack([node_xy, new_xy.reshape(-1, 2)])


def _nearest(tree, tree_geoms, queries, max_distance):
    """``tree.query_nearest(queries, max_distance=..., all_matches=False,
    return_distance=True)``; on the Dask cluster when one is configured (the same answer,
    ties included: :func:`gasnet.parallel.nearest`)."""
    from . import parallel

    s = parallel.current()
    if s is not None:
        return parallel.nearest(s, tree, tree_geoms, queries, max_distance)
    return tree.query_nearest(
        queries, max_distance=max_distance, all_matches=False, return_distance=True
    )


def _attach_customers(
    customers, parts_gdf, node_xy, start_node, end_node, asset_nodes, asset_cuts, tol, max_d, report
):
    """Customers -> (part, s) cuts or existing nodes; unattached ones reported.

    ``asset_cuts`` (part, s, node) are the valves, regulators and stations cut into parts: a
    customer is on its own side of them, and customers share a node only within the
    tolerance and never across one.
    """
    parts = geoms(parts_gdf)
    live_idx = np.flatnonzero((parts_gdf["status"] == "in_service").to_numpy())
    tree_live = shapely.STRtree(parts[live_idx])
    n = len(customers)
    part = np.full(n, -1)
    dist = np.full(n, np.inf)
    geom = geoms(customers)
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    # Customers naming their service pipe attach to it.
    pipe_ids = customers["pipe_id"].to_numpy(object) if "pipe_id" in customers else np.full(n, None)
    named = ok & pd.notna(pipe_ids)
    if named.any():
        by_pipe = pd.DataFrame(
            {"pipe_id": parts_gdf["pipe_id"].to_numpy(object), "part": np.arange(len(parts))}
        )
        want = pd.DataFrame({"cust": np.flatnonzero(named), "pipe_id": pipe_ids[named]})
        pairs = want.merge(by_pipe, on="pipe_id", how="left")
        known = pairs["part"].notna()
        unknown = pairs.loc[~known, "cust"].to_numpy()
        if len(unknown):
            report.add(
                "unknown_pipe_id",
                "warning",
                "customers",
                "customer names a pipe_id that is not on the network (not in the pipes layer, "
                "or left out of the network: see that pipe's row); attached to the nearest "
                "pipe instead",
                "correct the customer's pipe_id",
                ids=customers["customer_id"].to_numpy(object)[unknown],
                geometries=geom[unknown],
                details=[f"pipe_id {p!r}" for p in pipe_ids[unknown]],
            )
        pairs = pairs[known]
        c = pairs["cust"].to_numpy()
        pj = pairs["part"].to_numpy(int)
        d = shapely.distance(geom[c], parts[pj])
        best = pd.DataFrame({"c": c, "p": pj, "d": d}).sort_values(["c", "d"]).drop_duplicates("c")
        part[best["c"].to_numpy()] = best["p"].to_numpy()
        dist[best["c"].to_numpy()] = best["d"].to_numpy()
    rest = ok & (part < 0)
    if rest.any() and len(live_idx):
        idx = np.flatnonzero(rest)
        (hit, hp), d = _nearest(tree_live, parts[live_idx], geom[idx], max(max_d, 1e-9))
        part[idx[hit]] = live_idx[hp]
        dist[idx[hit]] = d
        miss = np.setdiff1d(idx, idx[hit])  # beyond max_d: their distance, for the report
        if len(miss):
            (mh, mp), md = tree_live.query_nearest(
                geom[miss], all_matches=False, return_distance=True
            )
            part[miss[mh]] = live_idx[mp]
            dist[miss[mh]] = md
    far = ok & (dist > max_d)
    ids = customers["customer_id"].to_numpy(object)
    status = parts_gdf["status"].to_numpy(object)
    dead = ok & ~far & (part >= 0) & (status[np.maximum(part, 0)] != "in_service")
    if dead.any():  # only a customer naming its pipe can hang on one that carries no gas
        report.add(
            "customer_on_dead_pipe",
            "warning",
            "customers",
            "customer's pipe_id names a pipe that is not in service: it is attached there and "
            "has no supply, so no isolation counts it",
            "correct its pipe_id (or the pipe's status), or clear it to attach to the nearest "
            "in-service pipe",
            ids=ids[dead],
            geometries=geom[dead],
            details=[
                f"pipe {pid} is {st}"
                for pid, st in zip(pipe_ids[dead], status[part[dead]], strict=True)
            ],
        )
    lone = ok & (part < 0) if not len(live_idx) else np.zeros(n, bool)
    if lone.any():
        report.add(
            "customer_unattached",
            "warning",
            "customers",
            "no pipe is in service: customer kept but not attached (no supply)",
            "check the pipes' status values",
            ids=ids[lone],
            geometries=geom[lone],
        )
    if (far & ~lone).any():
        report.add(
            "customer_unattached",
            "warning",
            "customers",
            f"customer farther than customer_max_distance_m ({max_d:g} m) from its pipe; "
            "kept but not attached (no supply)",
            "check its position or its pipe_id, or draw the missing service pipe",
            ids=ids[far & ~lone],
            geometries=geom[far & ~lone],
            details=[f"{x:.1f} m away" for x in dist[far & ~lone]],
        )
    if (~ok).any():
        report.add(
            "customer_unattached",
            "warning",
            "customers",
            "customer has no location; kept but not attached (no supply)",
            "add its location",
            ids=ids[~ok],
        )
    att = ok & ~far
    ci = np.flatnonzero(att)
    pj = part[ci]
    s = shapely.line_locate_point(parts[pj], geom[ci])
    L = shapely.length(parts[pj])
    node = np.full(n, -1)
    # At a part's end: use that node, unless it is a valve / regulator / source (wrong side).
    at_start = (s <= tol) & ~np.isin(start_node[pj], asset_nodes)
    at_end = (L - s <= tol) & ~np.isin(end_node[pj], asset_nodes) & ~at_start
    node[ci[at_start]] = start_node[pj[at_start]]
    node[ci[at_end]] = end_node[pj[at_end]]
    inner = ~(at_start | at_end)
    eps = np.minimum(tol, L / 4)
    s_in = np.clip(s[inner], eps[inner], (L - eps)[inner])
    p_in = pj[inner]
    # Which side of the valves (regulators, stations) cut into the part: the customer's own
    # position along it. Exactly abreast of one (within a centimetre), the side is a
    # convention that does not depend on the drawing direction -- towards the part's
    # westernmost (then southernmost) end -- and the customer is reported.
    ac_part, ac_s = asset_cuts[:, 0].astype(np.int64), asset_cuts[:, 1]
    offset = np.concatenate([[0.0], np.cumsum(shapely.length(parts) + 1.0)])
    akey = np.sort(offset[ac_part] + ac_s)
    ckey = offset[p_in] + s_in
    k = np.searchsorted(akey, ckey)
    padded = np.r_[-np.inf, akey, np.inf]
    prev, nxt = padded[k], padded[k + 1]
    abreast = np.minimum(ckey - prev, nxt - ckey) <= 0.01
    west_first = _drawn_west_first(parts[p_in])
    tie = nxt - ckey <= 1e-9  # exactly at the cut: put it before or after, by the convention
    nudge = 1e-6
    s_in = np.where(tie & west_first, np.maximum(s_in - nudge, 0), s_in)
    s_in = np.where(tie & ~west_first, s_in + nudge, s_in)
    side = k + (tie & ~west_first)  # the stretch between two asset cuts
    # Customers within the tolerance of each other (counted from the first) share a node,
    # never across an asset cut.
    order = np.lexsort((s_in, side, p_in))
    p_o, s_o, side_o = p_in[order], s_in[order], side[order]
    group = _runs_within(p_o * (len(akey) + 1) + side_o, s_o, tol)
    new_group = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, bool)
    base = len(node_xy)
    gnode = base + group
    cust_rows = ci[inner][order]
    node[cust_rows] = gnode
    first = np.flatnonzero(new_group)
    new_xy = shapely.get_coordinates(shapely.line_interpolate_point(parts[p_o[first]], s_o[first]))
    cut = (
        np.column_stack([p_o[first], s_o[first], gnode[first]]) if len(first) else np.empty((0, 3))
    )
    near_asset = ci[inner][abreast]
    end_asset = ci[
        ((s <= 0.01) & np.isin(start_node[pj], asset_nodes))
        | ((L - s <= 0.01) & np.isin(end_node[pj], asset_nodes))
    ]
    flagged = np.union1d(near_asset, end_asset)
    if len(flagged):
        report.add(
            "customer_at_valve",
            "warning",
            "customers",
            "customer attaches exactly where a valve, regulator or station sits on its pipe: "
            "which side of it the customer is on is a convention (towards the pipe's western "
            "end), not known",
            "set its pipe_id to its service pipe, or move it onto its own side",
            ids=ids[flagged],
            geometries=geom[flagged],
        )
    node_xy = np.vstack([node_xy, new_xy.reshape(-1, 2)])
    table = pd.DataFrame({"customer_id": ids, "node_id": pd.array(np.where(node >= 0, node, -1))})
    table["attach_distance_m"] = np.where(np.isfinite(dist), dist, np.nan)
    return table, cut, node_xy


def _t_junctions(tree, parts, node_xy, start_node, end_node, n_cluster, tol):
    pts = shapely.points(node_xy[:n_cluster])
    pi, pj = (
        tree.query(pts, predicate="dwithin", distance=tol)
        if tol > 0
        else tree.query(pts, predicate="intersects")
    )
    own = (start_node[pj] == pi) | (end_node[pj] == pi)
    pi, pj = pi[~own], pj[~own]
    s = shapely.line_locate_point(parts[pj], pts[pi])
    L = shapely.length(parts[pj])
    inner = (s > 0) & (s < L)
    return np.column_stack([pj[inner], s[inner], pi[inner]]).astype(float)


def build_topology(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    snap_tolerance_m: float = 0.5,
    customer_max_distance_m: float = 60.0,
    report: Report | None = None,
) -> tuple[Topology, Report]:
    """Build the node / edge tables of the network from the canonical layers.

    Parameters
    ----------
    layers
        Canonical layers (``pipes``, ``valves``, ``sources``, ``customers`` and optionally
        ``regulators``) in a projected CRS in metres. They are not modified.
    snap_tolerance_m, customer_max_distance_m
        See the ``[network]`` config section.
    report
        Topology checks are added to it (a new one is made when omitted).

    Returns
    -------
    (Topology, Report)

    Notes
    -----
    O((P + A + C) log(P + A + C)) for P pipe parts, A point assets and C customers.
    """
    pipes = layers["pipes"]
    crs = pipes.crs
    report = report or Report(crs=crs)
    _refuse_bad_coordinates(layers)
    tol = float(snap_tolerance_m)
    _progress.step("build: snapping pipe ends")
    parts_gdf = _explode(pipes, report)
    if parts_gdf.empty:
        from .errors import InputError

        raise InputError(
            f"pipes: no pipe with a usable geometry ({len(pipes)} features, all empty, null or "
            "of zero length); check the pipes file and its [layers.pipes] entry"
        )
    parts = geoms(parts_gdf)
    coords, vidx = shapely.get_coordinates(parts, return_index=True)
    counts = np.bincount(vidx, minlength=len(parts))
    last = np.cumsum(counts) - 1
    start_node, end_node, node_xy = _snap_endpoints(coords[last - counts + 1], coords[last], tol)
    gone = _collapsed(coords, vidx, counts, start_node, end_node, node_xy, tol)
    if gone.any():  # reported (or an error when most pipes collapse), then left out
        _report_collapsed(parts_gdf, gone, tol, report)
        parts_gdf, coords, vidx, start_node, end_node, node_xy = _drop_parts(
            parts_gdf, ~gone, start_node, end_node, node_xy
        )
        parts = geoms(parts_gdf)
        counts = np.bincount(vidx, minlength=len(parts))
    n_cluster = len(node_xy)
    tree = shapely.STRtree(parts)
    _progress.step("build: junctions, valves, stations")
    t_cut = _t_junctions(tree, parts, node_xy, start_node, end_node, n_cluster, tol)
    assets, a_cut, node_xy = _place_assets(layers, tree, parts, node_xy, tol, report)
    placed = assets[assets["node_id"] >= 0]
    asset_nodes = placed["node_id"].to_numpy(np.int64)
    _progress.step("build: attaching customers")
    cust, c_cut, node_xy = _attach_customers(
        layers["customers"],
        parts_gdf,
        node_xy,
        start_node,
        end_node,
        asset_nodes,
        a_cut,
        tol,
        float(customer_max_distance_m),
        report,
    )
    cut = np.vstack([t_cut, a_cut, c_cut])
    _progress.step("build: splitting pipes")
    piece_part, u, v, lines, length = _cut_parts(
        coords,
        vidx,
        start_node,
        end_node,
        cut[:, 0].astype(np.int64),
        cut[:, 1],
        cut[:, 2].astype(np.int64),
        node_xy,
    )
    attrs = parts_gdf.iloc[piece_part]
    edges = gpd.GeoDataFrame(
        {
            "edge_id": np.arange(len(u)),
            "pipe_id": attrs["pipe_id"].to_numpy(object),
            "u": u,
            "v": v,
            "length_m": length,
            "pressure_class": attrs["pressure_class"].to_numpy(object),
            "diameter_mm": attrs["diameter_mm"].to_numpy(float),
            "material": attrs["material"].to_numpy(object),
            "status": attrs["status"].to_numpy(object),
        },
        geometry=lines,
        crs=crs,
    )

    n_nodes = len(node_xy)
    degree = np.bincount(np.concatenate([u, v]), minlength=n_nodes)
    kind = np.where(degree <= 1, "end", "junction").astype(object)
    asset_id = np.full(n_nodes, None, dtype=object)
    at = placed["node_id"].to_numpy(np.int64)
    kind[at] = placed["kind"].to_numpy()
    asset_id[at] = placed["asset_id"].to_numpy()
    cust_nodes = np.arange(n_cluster + len(a_cut), n_nodes)
    kind[cust_nodes] = "customer"
    nodes = gpd.GeoDataFrame(
        {"node_id": np.arange(n_nodes), "kind": kind, "asset_id": asset_id, "degree": degree},
        geometry=shapely.points(node_xy),
        crs=crs,
    )
    cust["edge_id"] = _edge_of_node(cust["node_id"].to_numpy(), u, v)
    for col in ("households", "critical"):
        cust[col] = layers["customers"][col].to_numpy()
    topo = Topology(nodes, edges, cust, assets)
    _progress.step("build: topology checks")
    check_topology(topo, layers, parts_gdf, tol, report, (start_node, end_node, coords, counts))
    log.info("Built %d nodes and %d edges from %d pipe parts.", n_nodes, len(edges), len(parts))
    return topo, report


def _refuse_bad_coordinates(layers) -> None:
    """NaN, infinite or absurd coordinates would crash the KD-tree: name them instead.

    ``gasnet ingest`` (:func:`gasnet.validate.validate_layers`) reports and blanks them; only
    layers built in Python without validation get here with them.
    """
    from .errors import InputError

    named = [("pipes", "pipe_id"), *((a, i) for a, i, _ in _ASSETS), ("customers", "customer_id")]
    for name, idf in named:
        gdf = layers.get(name)
        if gdf is None or not len(gdf):
            continue
        why = coordinate_problems(geoms(gdf), None)
        bad = pd.notna(why)
        if bad.any():
            ids = ", ".join(map(str, gdf[idf].to_numpy(object)[bad][:8]))
            raise InputError(
                f"{name}: feature(s) {ids} have coordinates that are not usable numbers "
                f"({why[bad][0]}); pass the layers through gasnet.validate.validate_layers "
                "first (gasnet ingest does), which reports and blanks them"
            )


def _edge_of_node(node: np.ndarray, u: np.ndarray, v: np.ndarray) -> pd.array:
    """One incident edge per node (-1 for none), e.g. the pipe a customer hangs on."""
    first = np.full(
        max(int(node.max(initial=-1)) + 1, int(max(u.max(initial=0), v.max(initial=0))) + 1), -1
    )
    ids = np.arange(len(u))
    first[v[::-1]] = ids[::-1]
    first[u[::-1]] = ids[::-1]
    out = np.where(node >= 0, first[np.maximum(node, 0)], -1)
    return out


def components_without_source(topo: Topology):
    """Yield (edge indices, customers, households) of each in-service island with no source.

    Islands are taken with every valve open and regulators passable both ways: they are data
    problems (a missing connection), not operating states.
    """
    nodes, edges = topo.nodes, topo.edges
    live = np.flatnonzero((edges["status"] == "in_service").to_numpy())
    if not len(live):
        return
    n = len(nodes)
    u = edges["u"].to_numpy()[live]
    v = edges["v"].to_numpy()[live]
    g = csr_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    is_src = (nodes["kind"] == "source").to_numpy()
    fed = np.zeros(label.max() + 1, bool)
    fed[label[is_src]] = True
    edge_label = label[u]
    cust = topo.customers
    attached = cust["node_id"].to_numpy() >= 0
    c_label = label[cust["node_id"].to_numpy()[attached]]
    hh = cust["households"].to_numpy()[attached]
    for comp in np.unique(edge_label[~fed[edge_label]]):
        in_comp = c_label == comp
        yield live[edge_label == comp], int(in_comp.sum()), int(hh[in_comp].sum())


def check_topology(
    topo: Topology, layers, parts_gdf, tol: float, report: Report, part_ends
) -> None:
    """Add the topology checks to ``report`` (see the README, "Topology checks")."""
    nodes, edges = topo.nodes, topo.edges
    parts = geoms(parts_gdf)
    live = (parts_gdf["status"] == "in_service").to_numpy()
    # Dangling ends close to another pipe: likely undershoots.
    reach = max(3.0, 4 * tol)
    e_live = (edges["status"] == "in_service").to_numpy()
    ends = nodes.index[(nodes["kind"] == "end").to_numpy()].to_numpy()
    end_edge = _edge_of_node(ends, edges["u"].to_numpy()[e_live], edges["v"].to_numpy()[e_live])
    has = end_edge >= 0
    ends, end_edge = ends[has], np.flatnonzero(e_live)[end_edge[has]]
    if len(ends):
        pi, pj = shapely.STRtree(parts).query(
            geoms(nodes)[ends], predicate="dwithin", distance=reach
        )
        own_pipe = edges["pipe_id"].to_numpy(object)[end_edge]
        other = (parts_gdf["pipe_id"].to_numpy(object)[pj] != own_pipe[pi]) & live[pj]
        pi, pj = pi[other], pj[other]
        if len(pi):
            d = shapely.distance(geoms(nodes)[ends[pi]], parts[pj])
            best = pd.DataFrame({"i": pi, "j": pj, "d": d}).sort_values("d").drop_duplicates("i")
            report.add(
                "undershoot",
                "warning",
                "pipes",
                f"pipe ends within {reach:g} m of another pipe without joining it "
                "(likely undershoot)",
                "extend the pipe to the one it should join, or confirm it is a dead end",
                ids=own_pipe[best["i"]],
                geometries=geoms(nodes)[ends[best["i"]]],
                details=[
                    f"{x:.2f} m from pipe {p}"
                    for x, p in zip(
                        best["d"], parts_gdf["pipe_id"].to_numpy(object)[best["j"]], strict=True
                    )
                ],
            )
    # One bbox query gives the candidate pairs of both checks below; the exact predicates
    # then run vectorised on the pairs (much cheaper than predicate queries on the tree).
    a, b = shapely.STRtree(parts).query(parts)
    pid = parts_gdf["pipe_id"].to_numpy(object)
    keep = (a < b) & (pid[a] != pid[b])
    a, b = a[keep], b[keep]
    # Most pairs are two straight pipes meeting at a junction at an angle: they can
    # neither share a line nor cross. Only the others need the DE-9IM matrix.
    sn, en, xy, counts = part_ends
    first = np.cumsum(counts) - counts
    d = xy[first + counts - 1] - xy[first]
    shared_s = (sn[a] == sn[b]) | (sn[a] == en[b])
    shared_e = (en[a] == sn[b]) | (en[a] == en[b])
    one = shared_s ^ shared_e
    straight = (counts[a] == 2) & (counts[b] == 2)
    da = np.where(shared_s[:, None], d[a], -d[a])
    db = np.where((sn[b] == np.where(shared_s, sn[a], en[a]))[:, None], d[b], -d[b])
    cos = (da * db).sum(1) / np.maximum(np.hypot(*da.T) * np.hypot(*db.T), 1e-12)
    plain = one & straight & (cos < 0.999)
    a, b = a[~plain], b[~plain]
    # One DE-9IM matrix per pair answers both: interiors share a line ("1********": duplicate
    # or overlap) or meet in points only ("0********": the lines cross).
    interiors = np.array([m[0] for m in shapely.relate(parts[a], parts[b])], dtype="U1")
    dup = interiors == "1"
    da, db = a[dup], b[dup]
    shared = shapely.length(shapely.intersection(parts[da], parts[db]))
    # Up to the tolerance in common is two pipes meeting, drawn a little over each other.
    big = shared > tol
    if big.any():  # none: no line either (a warning naming no pipe)
        report.add(
            "duplicate_pipe",
            "warning",
            "pipes",
            "pipe lies on another pipe (duplicated or overlapping)",
            "delete the duplicate, or split the pipes where they part",
            ids=pid[db[big]],
            geometries=parts[db[big]],
            details=[
                f"{x:.1f} m shared with pipe {p}"
                for x, p in zip(shared[big], pid[da[big]], strict=True)
            ],
        )
    # Crossings within one pressure class (different classes cross at different depths).
    cls = parts_gdf["pressure_class"].to_numpy(object)
    cross = (interiors == "0") & (cls[a] == cls[b]) & live[a] & live[b]
    a, b = a[cross], b[cross]
    if len(a):
        at = shapely.intersection(parts[a], parts[b])
        report.add(
            "crossing",
            "warning",
            "pipes",
            "pipes of the same pressure class cross without a junction (not connected)",
            "add the junction if they are joined, or confirm they pass at different depths",
            ids=pid[a],
            geometries=at,
            details=[f"crosses pipe {p}" for p in pid[b]],
        )
    # Valves digitised on a junction of three or more pipes.
    on_j = nodes[(nodes["kind"] == "valve") & (nodes["degree"] >= 3)]
    if len(on_j):
        report.add(
            "valve_on_junction",
            "warning",
            "valves",
            "valve digitised on a junction of three or more pipes: closing it blocks them all",
            "move the valve onto the pipe it closes",
            ids=on_j["asset_id"],
            geometries=on_j.geometry,
            details=[f"{d} pipes" for d in on_j["degree"]],
        )
    # Regulators: direction needs a higher and a lower pressure class among the in-service
    # pipes at it (the rule of isolation.FlowGraph: only in-service pipes carry gas).
    u, v = edges["u"].to_numpy()[e_live], edges["v"].to_numpy()[e_live]
    rank = pressure_rank(edges["pressure_class"].to_numpy(object)[e_live])
    regs = nodes[nodes["kind"] == "regulator"]
    if len(regs):
        inc = pd.DataFrame({"node": np.concatenate([u, v]), "rank": np.concatenate([rank, rank])})
        inc = inc[inc["node"].isin(regs.index)]
        span = inc.groupby("node")["rank"].agg(["min", "max"]).reindex(regs.index)
        flat = span["min"].notna() & ((span["min"] == span["max"]) | (span["min"] == 0))
        if flat.any():
            bad = regs[flat.to_numpy()]
            report.add(
                "regulator_same_class",
                "warning",
                "regulators",
                "regulator between pipes of the same (or unknown) pressure class: its "
                "direction is unknown, so gas is let through both ways",
                "correct the pressure classes of its pipes, or move the regulator",
                ids=bad["asset_id"],
                geometries=bad.geometry,
            )
    # Islands: parts of the in-service network that no source can reach with every valve open.
    for comp_edges, n_cust, households in components_without_source(topo):
        geom = shapely.multilinestrings(geoms(edges)[comp_edges])
        report.add(
            "island",
            "warning",
            "pipes",
            "island with no source: these pipes cannot get gas with every valve open",
            "draw the missing connection, or mark the pipes planned / abandoned",
            ids=[edges["pipe_id"].iloc[comp_edges[0]]],
            geometries=[geom],
            details=[f"{len(comp_edges)} pipe parts, {n_cust} customers, {households} households"],
        )
