"""Valve isolation: supply, valve-bounded segments, closures, bursts and criticality.

The network is held as arrays (:class:`FlowGraph`): every in-service pipe part is a pair of
arcs; a regulator is split into an inlet node (its higher-pressure pipes) and an outlet node
(its lower-pressure pipes) joined by one arc inlet -> outlet, so gas never flows back up; a
closed valve removes its node. A customer has supply iff a path leads from a source to its
attachment node (DESIGN.md, "Network semantics").
"""

from __future__ import annotations

import bisect
import functools
import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, connected_components, depth_first_order

from .schema import pressure_rank

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Criticality", "FlowGraph", "IsolationEngine", "immediate_dominators", "segment_table"]

log = logging.getLogger(__name__)


class FlowGraph:
    """The network as directed arrays for the isolation algorithms.

    Parameters
    ----------
    nodes, edges
        The ``nodes`` and ``edges`` tables of :class:`gasnet.topology.Topology` (or of the
        GeoPackage). Node ids must be ``0 .. n-1``.

    Attributes
    ----------
    n
        Number of flow nodes: the network nodes, then one outlet node per directed regulator.
    edge_u, edge_v
        Flow endpoints of every in-service edge (a regulator's outlet side uses its outlet node).
    live_edges
        Edge ids of the in-service edges, aligned with ``edge_u`` / ``edge_v``.
    """

    def __init__(self, nodes: pd.DataFrame, edges: pd.DataFrame):
        kind = nodes["kind"].to_numpy(object)
        self.n_nodes = len(nodes)
        self.kind = kind
        self.asset_id = nodes["asset_id"].to_numpy(object)
        live = (edges["status"] == "in_service").to_numpy()
        self.live_edges = edges["edge_id"].to_numpy()[live]
        u = edges["u"].to_numpy(np.int64)[live]
        v = edges["v"].to_numpy(np.int64)[live]
        rank = pressure_rank(edges["pressure_class"].to_numpy(object)[live])
        # Regulators: edges below the regulator's highest incident class hang on the outlet.
        regs = np.flatnonzero(kind == "regulator")
        hi = np.zeros(self.n_nodes, np.int64)
        lo = np.full(self.n_nodes, np.iinfo(np.int64).max)
        np.maximum.at(hi, u, rank)
        np.maximum.at(hi, v, rank)
        np.minimum.at(lo, u, rank)
        np.minimum.at(lo, v, rank)
        directed = regs[(hi[regs] > lo[regs]) & (lo[regs] > 0)]
        outlet = np.full(self.n_nodes, -1, np.int64)
        outlet[directed] = self.n_nodes + np.arange(len(directed))
        self.regulators = directed
        self.outlet = outlet
        self.n = self.n_nodes + len(directed)
        self.edge_u = np.where((outlet[u] >= 0) & (rank < hi[u]), outlet[u], u)
        self.edge_v = np.where((outlet[v] >= 0) & (rank < hi[v]), outlet[v], v)
        tails = np.concatenate([self.edge_u, self.edge_v, directed])
        heads = np.concatenate([self.edge_v, self.edge_u, outlet[directed]])
        self.arc_tail, self.arc_head = tails, heads
        self.sources = np.flatnonzero(kind == "source")
        self.valves = np.flatnonzero(kind == "valve")
        self.base_closed = np.zeros(self.n_nodes, bool)

    def set_base_closed(self, valve_nodes: np.ndarray) -> None:
        """Valves closed in the base state (normally-closed valves)."""
        self.base_closed = np.zeros(self.n_nodes, bool)
        self.base_closed[valve_nodes] = True
        self._base_supply = None

    @property
    def base_supply(self) -> np.ndarray:
        """:meth:`supplied` in the base state (cached)."""
        if getattr(self, "_base_supply", None) is None:
            self._base_supply = self.supplied()
        return self._base_supply

    def supplied(self, closed: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask over flow nodes: reachable from a source through open valves.

        ``closed`` is a boolean mask over network nodes (closed valves); the base state's
        normally-closed valves are always closed. O(n + m).
        """
        blocked = self.base_closed.copy()
        if closed is not None:
            blocked |= closed
        blocked_f = np.concatenate([blocked, blocked[self.regulators]])
        ok = ~(blocked_f[self.arc_tail] | blocked_f[self.arc_head])
        root = self.n
        srcs = self.sources[~blocked[self.sources]]
        tails = np.concatenate([self.arc_tail[ok], np.full(len(srcs), root)])
        heads = np.concatenate([self.arc_head[ok], srcs])
        graph = csr_array((np.ones(len(tails), np.int8), (tails, heads)), shape=(self.n + 1,) * 2)
        order = breadth_first_order(graph, root, directed=True, return_predecessors=False)
        reached = np.zeros(self.n + 1, bool)
        reached[order] = True
        return reached[: self.n]


# --------------------------------------------------------------------------------------------
# The zone graph and its dominator tree
# --------------------------------------------------------------------------------------------


def _unique_keys(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct integer keys (a plain sort: faster here than numpy's hashing unique)."""
    k = np.sort(keys)
    return k[np.r_[True, k[1:] != k[:-1]]] if len(k) else k


def _csr(tails: np.ndarray, heads: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) of the arcs tails -> heads, sorted by tail."""
    order = np.argsort(tails, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, tails + 1, 1)
    return np.cumsum(indptr), heads[order]


def _gather(indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """All neighbours of ``nodes`` in a CSR structure, concatenated (vectorised)."""
    starts = indptr[nodes]
    return indices[_gather_positions(starts, indptr[nodes + 1] - starts)]


def _gather_positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.int64)
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)


def _tree_intervals(parent: np.ndarray, root: int, n: int) -> tuple[np.ndarray, ...]:
    """(preorder, tin, tout) of the tree given by ``parent`` (-1 or the root itself: not a
    child; nodes off the tree get tin -1, tout 0).

    A node's subtree is ``preorder[tin[v]:tout[v]]``. O(n): the children in CSR (a sort),
    then one compiled iterative DFS (:func:`gasnet._kernels.tree_preorder`), whatever the
    tree's shape. (scipy's ``depth_first_order`` takes quadratic time on a node with many
    children: the dominator tree of a looped grid is a star, 50 s at 250,000 children.)
    """
    from ._kernels import tree_preorder

    kids = np.flatnonzero((parent >= 0) & (np.arange(n) != root))
    ptr, idx = _csr(parent[kids], kids, n)
    return tree_preorder(ptr, idx, root, n)


def _semi_nca(tails: np.ndarray, heads: np.ndarray, n: int, root: int) -> np.ndarray:
    """Immediate dominators by Semi-NCA (Georgiadis 2005): Lengauer-Tarjan semidominators
    with path compression, then each node climbs its DFS parent's dominator chain to its
    semidominator. O(m log n) here (simple linking); compiled
    (:func:`gasnet._kernels.semi_nca`).
    """
    g = csr_array((np.ones(len(tails), np.int8), (tails, heads)), shape=(n, n))
    order, parent = depth_first_order(g, root, directed=True, return_predecessors=True)
    N = len(order)
    pre = np.full(n, -1, np.int64)
    pre[order] = np.arange(N)
    from ._kernels import semi_nca

    par = pre[np.where(parent[order] >= 0, parent[order], root)]  # DFS parent
    par[0] = -1  # the root (preorder 0) has none
    keep = (pre[tails] >= 0) & (pre[heads] >= 0)
    rptr, ridx = _csr(pre[heads[keep]], pre[tails[keep]], N)
    idom_p = semi_nca(rptr, ridx, par.astype(np.int64))
    out = np.full(n, -1, np.int64)
    out[order] = order[idom_p]
    return out


def immediate_dominators(tails: np.ndarray, heads: np.ndarray, n: int, root: int) -> np.ndarray:
    """Immediate dominator of every node of a flow graph (-1: unreachable; root: itself).

    Pendant trees are peeled first, in vectorised rounds (in a gas network most of the graph
    is tree-like: service areas behind a branch valve); Semi-NCA (:func:`_semi_nca`) then runs
    on the remaining core only. (Cooper-Harvey-Kennedy was tried first: on a looped street
    grid its depth-first tree snakes and its intersections climb long chains, 4 s at 1M
    pipes.) Peeling is exact: a tree hanging on one node cannot carry a path between two
    other nodes, so it changes no dominator among the rest, and each of its nodes is
    dominated by its parent.
    """
    idom = np.full(n, -1, np.int64)
    if not len(tails):
        idom[root] = root
        return idom
    # Reachable part only.
    g = csr_array((np.ones(len(tails), np.int8), (tails, heads)), shape=(n, n))
    order = breadth_first_order(g, root, directed=True, return_predecessors=False)
    reach = np.zeros(n, bool)
    reach[order] = True
    keep = reach[tails] & reach[heads] & (tails != heads)
    t, h = tails[keep], heads[keep]
    # Undirected simple neighbour structure for peeling.
    a = np.minimum(t, h)
    b = np.maximum(t, h)
    pairs = _unique_keys(a * n + b)
    ua, ub = pairs // n, pairs % n
    deg = np.bincount(np.concatenate([ua, ub]), minlength=n)
    xor = np.zeros(n, np.int64)
    np.bitwise_xor.at(xor, ua, ub)
    np.bitwise_xor.at(xor, ub, ua)
    alive = reach.copy()
    parent = np.full(n, -1, np.int64)
    while True:
        leaves = np.flatnonzero(alive & (deg == 1))
        leaves = leaves[leaves != root]
        if not len(leaves):
            break
        p = xor[leaves]  # a degree-1 node's neighbour-xor is its one neighbour
        parent[leaves] = p
        alive[leaves] = False
        np.subtract.at(deg, leaves, 1)
        np.subtract.at(deg, p, 1)
        np.bitwise_xor.at(xor, p, leaves)
    core = np.flatnonzero(alive)
    # Semi-NCA on the core.
    in_core = np.zeros(n, bool)
    in_core[core] = True
    ck = in_core[t] & in_core[h]
    dom = _semi_nca(t[ck], h[ck], n, root)
    idom[core] = dom[core]
    # Peeled nodes (all reachable): each is entered only from its parent, which dominates it.
    peeled = np.flatnonzero(parent >= 0)
    idom[peeled] = parent[peeled]
    idom[root] = root
    return idom


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


def _interval_test(spans: list[tuple[int, int]], pos: list[int], extra: set | None):
    """``f(y)``: is ``pos[y]`` inside one of ``spans`` (or ``y`` in ``extra``)? Unrolled for
    the usual one or two spans: this runs a million times on a city network. Many spans
    (a segment side with many valves, :mod:`gasnet.advise`) are merged and bisected."""
    if len(spans) > 4:
        starts, ends = [], []
        for a, e in sorted(spans):
            if starts and a <= ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(a)
                ends.append(e)

        def inside(y) -> bool:
            p = pos[y]
            i = bisect.bisect_right(starts, p) - 1
            return (i >= 0 and p < ends[i]) or (extra is not None and y in extra)

        return inside
    if len(spans) == 1 and extra is None:
        ((a0, e0),) = spans
        return lambda y: a0 <= pos[y] < e0
    if len(spans) == 2 and extra is None:
        (a0, e0), (a1, e1) = spans
        return lambda y: a0 <= pos[y] < e0 or a1 <= pos[y] < e1
    if extra is None:
        return lambda y: any(a <= pos[y] < e for a, e in spans)
    if len(spans) == 2:
        (a0, e0), (a1, e1) = spans
        return lambda y: a0 <= pos[y] < e0 or a1 <= pos[y] < e1 or y in extra
    return lambda y: y in extra or any(a <= pos[y] < e for a, e in spans)


class IsolationEngine:
    """Segments, losses and criticality of one network in its base state.

    Parameters
    ----------
    flow
        The network as arrays, with its base state (normally-closed valves).
    customer_nodes
        Attachment node of every customer (-1: not attached).
    weights
        Per-customer quantities to add up, e.g. ``{"customers": 1, "households": hh,
        "critical": is_critical}`` (arrays aligned with ``customer_nodes``).

    Notes
    -----
    Zones are the pipe parts connected without passing a valve or a regulator; segments join
    the zones on either side of a regulator. The zone graph has one node per zone, one per
    open valve and a super-source; regulators are one-way arcs. Every whole-network result
    comes from its dominator tree (DESIGN.md, "Algorithms"); see :meth:`lost_by_removal`.
    """

    #: Backward searches that certify a neighbour as still supplied stop after this many nodes.
    SEARCH_BUDGET = 4000

    def __init__(self, flow: FlowGraph, customer_nodes: np.ndarray, weights: dict[str, np.ndarray]):
        self.flow = flow
        n_flow = flow.n
        is_valve = np.zeros(n_flow, bool)
        is_valve[flow.valves] = True
        self.is_valve = is_valve
        eu, ev = flow.edge_u, flow.edge_v
        vu, vv = is_valve[eu], is_valve[ev]
        both = vu & vv
        m = len(eu)
        # Zones: non-valve flow nodes joined by edges; a valve-to-valve edge is a zone alone.
        plain = ~(vu | vv)
        g = csr_array(
            (np.ones(plain.sum(), np.int8), (eu[plain], ev[plain])), shape=(n_flow + m, n_flow + m)
        )
        _, label = connected_components(g, directed=False)
        edge_zone_raw = np.where(both, n_flow + np.arange(m), np.where(vu, ev, eu))
        edge_zone_raw = label[edge_zone_raw]
        node_zone_raw = label[:n_flow]
        # A zone is pipe: a source or customer on no in-service pipe belongs to no zone.
        used = np.zeros(label.max() + 1 if len(label) else 0, bool)
        used[edge_zone_raw] = True
        zid = np.full(len(used), -1, np.int64)
        zid[used] = np.arange(used.sum())
        self.n_zones = nz = int(used.sum())
        self.edge_zone = zid[edge_zone_raw]
        self.node_zone = np.where(is_valve, -1, zid[node_zone_raw])
        # Segments: zones joined through regulators.
        regs, outs = flow.regulators, flow.outlet[flow.regulators]
        zr, zo = self.node_zone[regs], self.node_zone[outs]
        okr = (zr >= 0) & (zo >= 0)
        sg = csr_array((np.ones(okr.sum(), np.int8), (zr[okr], zo[okr])), shape=(nz, nz))
        _, seg = connected_components(sg, directed=False)
        # Number segments by their first edge, so ids follow the edges table.
        first = np.full(seg.max() + 1 if nz else 0, np.iinfo(np.int64).max)
        np.minimum.at(first, seg[self.edge_zone], np.arange(m))
        rank = np.empty(len(first), np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        self.zone_seg = rank[seg] if nz else np.empty(0, np.int64)
        self.n_segments = len(first)
        # Valves: index k for valve node flow.valves[k]; their adjacent zones.
        nv = len(flow.valves)
        vidx = np.full(n_flow, -1, np.int64)
        vidx[flow.valves] = np.arange(nv)
        adj_v = np.concatenate([vidx[eu[vu]], vidx[ev[vv]]])
        adj_z = np.concatenate([self.edge_zone[vu], self.edge_zone[vv]])
        pair = _unique_keys(adj_v * (nz + 1) + adj_z) if len(adj_v) else np.empty(0, np.int64)
        self.vz_valve, self.vz_zone = pair // (nz + 1), pair % (nz + 1)
        self.valve_sides = np.bincount(self.vz_valve, minlength=nv)
        open_v = ~flow.base_closed[flow.valves]
        self.valve_open = open_v
        # Zone graph: zones 0..nz-1, open valves nz + k, root nz + nv.
        self.root = root = nz + nv
        self.n_zg = nz + nv + 1
        o = open_v[self.vz_valve]
        zt = [self.vz_zone[o], nz + self.vz_valve[o], zr[okr]]
        zh = [nz + self.vz_valve[o], self.vz_zone[o], zo[okr]]
        src_z = self.node_zone[flow.sources]
        src_z = np.unique(src_z[src_z >= 0])
        zt.append(np.full(len(src_z), root))
        zh.append(src_z)
        tails, heads = np.concatenate(zt), np.concatenate(zh)
        key = _unique_keys(tails * self.n_zg + heads)
        self.tails, self.heads = key // self.n_zg, key % self.n_zg
        self.out_ptr, self.out_idx = _csr(self.tails, self.heads, self.n_zg)
        self.in_ptr, self.in_idx = _csr(self.heads, self.tails, self.n_zg)
        self.source_zones = src_z
        # Customer weights per zone-graph node (base-supplied customers only count as lost).
        cz = np.where(customer_nodes >= 0, self.node_zone[np.maximum(customer_nodes, 0)], -1)
        self.customer_zone = cz
        self.weights = {k: np.asarray(w, float) for k, w in weights.items()}
        self._dominators()
        self.fallbacks = 0

    # -- dominator tree ---------------------------------------------------------------------

    def _dominators(self) -> None:
        n, root = self.n_zg, self.root
        idom = immediate_dominators(self.tails, self.heads, n, root)
        self.idom = idom
        self.reached = idom >= 0
        self.pre, self.tin, self.tout = _tree_intervals(np.where(self.reached, idom, -1), root, n)
        pre = self.pre
        # Prefix sums of the weights in preorder: a subtree's total is one subtraction.
        self.prefix, self.node_weight = {}, {}
        ok = self.customer_zone >= 0
        for k, w in self.weights.items():
            per_node = np.zeros(n)
            np.add.at(per_node, self.customer_zone[ok], w[ok])
            per_node[~self.reached] = 0  # not supplied in the base state: cannot be lost
            self.node_weight[k] = per_node
            self.prefix[k] = np.concatenate([[0.0], np.cumsum(per_node[pre])])
        # A BFS spanning tree certifies "still supplied" cheaply (see lost_by_removal).
        g = csr_array((np.ones(len(self.tails), np.int8), (self.tails, self.heads)), shape=(n, n))
        _, pred = breadth_first_order(g, root, directed=True, return_predecessors=True)
        _, self.btin, self.btout = _tree_intervals(pred, root, n)
        # A second certificate: a DFS tree's paths run elsewhere than the BFS tree's.
        _, dpred = depth_first_order(g, root, directed=True, return_predecessors=True)
        _, self.dtin, self.dtout = _tree_intervals(dpred, root, n)
        # More certificates for the batched removals: BFS trees with ties broken at random
        # (the nodes relabelled), whose paths wander off the first ones' (on a looped grid
        # the first BFS tree's subtrees are wide cones, and a hole's neighbours lie in them).
        rng = np.random.default_rng(0)
        self.more_trees = []
        for _ in range(self.EXTRA_TREES):
            perm = rng.permutation(n - 1)
            label = np.r_[perm, n - 1]  # node -> label (the root keeps its own)
            back = np.empty(n, np.int64)
            back[label] = np.arange(n)
            h = csr_array(
                (np.ones(len(self.tails), np.int8), (label[self.tails], label[self.heads])),
                shape=(n, n),
            )
            _, lp = breadth_first_order(h, n - 1, directed=True, return_predecessors=True)
            parent = np.where(lp[label] >= 0, back[np.maximum(lp[label], 0)], -1)
            self.more_trees.append(_tree_intervals(parent, root, n)[1:])

    def subtree_total(self, nodes: np.ndarray, key: str) -> np.ndarray:
        """Weight ``key`` dominated by each node (what its removal alone cuts off)."""
        p = self.prefix[key]
        nodes = np.asarray(nodes)
        ok = self.tin[nodes] >= 0
        out = np.zeros(len(nodes))
        out[ok] = p[self.tout[nodes[ok]]] - p[self.tin[nodes[ok]]]
        return out

    # -- removal of a set of nodes -----------------------------------------------------------

    def _exits(self) -> None:
        """For every node x, the arcs leaving its dominator subtree (heads outside sub(x)).

        An arc a -> b leaves the subtree of every dominator-tree ancestor of a (a included)
        that does not contain b; in a gas network that is one or two ancestors per arc, so a
        few vectorised rounds climbing the tree list them all.
        """
        tin, tout, idom, root = self.tin, self.tout, self.idom, self.root
        ok = (self.tails != root) & (tin[self.tails] >= 0) & (tin[self.heads] >= 0)
        cur, head = self.tails[ok], self.heads[ok]
        xs, bs = [], []
        while len(cur):
            inside = (tin[cur] <= tin[head]) & (tin[head] < tout[cur])
            cur, head = cur[~inside], head[~inside]
            xs.append(cur)
            bs.append(head)
            up = idom[cur]
            more = up != root
            cur, head = up[more], head[more]
        x = np.concatenate(xs) if xs else np.empty(0, np.int64)
        b = np.concatenate(bs) if bs else np.empty(0, np.int64)
        key = _unique_keys(x * self.n_zg + b)
        ptr, idx = _csr(key // self.n_zg, key % self.n_zg, self.n_zg)
        self._exit_arrays = ptr, idx
        self._exit_ptr, self._exit_idx = ptr.tolist(), idx.tolist()
        self._tin_l, self._tout_l = tin.tolist(), tout.tolist()
        self._btin_l = self.btin.tolist()
        self._dtin_l = self.dtin.tolist()
        self._in_ptr_l, self._in_idx_l = self.in_ptr.tolist(), self.in_idx.tolist()
        self._out_ptr_l, self._out_idx_l = self.out_ptr.tolist(), self.out_idx.tolist()

    def _settle(self, W) -> tuple[list[int], list[int]] | None:
        """Roots whose subtrees are lost, and further lost nodes; ``None``: needs a full search.

        See :meth:`lost_by_removal` for the argument; this is its working core, in plain
        Python on small sets (the subtrees themselves are never listed).
        """
        if not hasattr(self, "_exit_ptr"):
            self._exits()
        tin, tout, btin = self._tin_l, self._tout_l, self._btin_l
        ws = sorted({int(w) for w in W if tin[int(w)] >= 0}, key=tin.__getitem__)
        roots, end = [], -1
        for w in ws:
            if tin[w] >= end:
                roots.append(w)
                end = tout[w]
        if not roots:
            return [], []
        extra: set[int] = set()
        lost = _interval_test([(tin[r], tout[r]) for r in roots], tin, extra)
        in_b = _interval_test([(self.btin[r], self.btout[r]) for r in roots], btin, None)
        in_d = _interval_test([(self.dtin[r], self.dtout[r]) for r in roots], self._dtin_l, None)

        def certified(y: int) -> bool:
            return btin[y] >= 0 and (not in_b(y) or not in_d(y))

        ep, ei = self._exit_ptr, self._exit_idx
        at_risk = {b for r in roots for b in ei[ep[r] : ep[r + 1]]}
        safe: set[int] = set()
        iptr, iidx = self._in_ptr_l, self._in_idx_l
        optr, oidx = self._out_ptr_l, self._out_idx_l
        while at_risk:
            newly: list[int] = []
            for a in at_risk:
                if a in safe or lost(a) or certified(a):
                    continue
                seen, frontier, found = {a}, [a], False
                while frontier and not found:
                    if len(seen) > self.SEARCH_BUDGET:
                        return None
                    nxt = []
                    for x in frontier:
                        tx, ox = tin[x], tout[x]
                        for y in iidx[iptr[x] : iptr[x + 1]]:
                            # A node x dominates cannot lead to x: every path to it passes x.
                            if y in seen or tx <= tin[y] < ox or lost(y):
                                continue
                            if y in safe or certified(y):
                                found = True
                                break
                            seen.add(y)
                            nxt.append(y)
                        if found:
                            break
                    frontier = nxt
                if found:
                    safe.add(a)
                    continue
                # Nothing that can reach `a` is supplied: all of it is cut off, with what it
                # dominates.
                for x in seen:
                    for y in self.pre[tin[x] : tout[x]].tolist():
                        if not lost(y):
                            extra.add(y)
                            newly.append(y)
            at_risk = {b for x in newly for b in oidx[optr[x] : optr[x + 1]] if not lost(b)}
        return roots, sorted(extra)

    #: Spanning trees beyond the BFS and DFS ones that certify nodes as still supplied.
    EXTRA_TREES = 2

    def lost_totals_many(self, ptr: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, ...]:
        """:meth:`lost_totals` of many removal sets at once, compiled
        (:func:`gasnet._kernels.settle_many`: no Python call per set).

        Set i is ``idx[ptr[i]:ptr[i + 1]]`` (zone-graph nodes). Returns (totals, decided):
        ``totals[i, j]`` the weight ``j`` (in the order of :attr:`weights`) lost, for the
        sets ``decided[i]``; for the others a backward search exceeded
        :attr:`SEARCH_BUDGET` and :meth:`lost_totals` falls back to a full search. Work per
        set: what it loses plus short searches round the hole, as :meth:`lost_by_removal`.
        """
        from ._kernels import settle_many

        if not hasattr(self, "_exit_arrays"):
            self._exits()
        keys = list(self.weights)
        trees = [(self.btin, self.btout), (self.dtin, self.dtout), *self.more_trees]
        eptr, eidx = self._exit_arrays
        return settle_many(
            np.asarray(ptr, np.int64),
            np.asarray(idx, np.int64),
            self.tin,
            self.tout,
            np.asarray(self.pre, np.int64),
            np.stack([t for t, _ in trees]),
            np.stack([t for _, t in trees]),
            eptr,
            eidx,
            self.in_ptr,
            self.in_idx,
            self.out_ptr,
            self.out_idx,
            np.stack([self.prefix[k] for k in keys]),
            np.stack([self.node_weight[k] for k in keys]),
            self.SEARCH_BUDGET,
        )

    def lost_by_removal(self, W) -> np.ndarray:
        """Zone-graph nodes that lose supply when the nodes ``W`` are removed (exact).

        R, the union of the dominator subtrees of W, is lost for certain. Anything else that
        is lost is reached only through R, so it suffices to settle the "at-risk" nodes, the
        heads of arcs leaving R: if each is still supplied, exactly R is lost (take any path
        to a node outside R; after its last visit to R it runs on from an at-risk node).

        An at-risk node is certified supplied when its path in a BFS spanning tree avoids W,
        or when a backward search from it (not entering R) meets a certified node. A backward
        search that ends without meeting one proves that everything it saw is cut off: those
        nodes and their dominator subtrees join R, and their out-neighbours become at-risk in
        turn. The work is proportional to what is lost plus short searches round the hole;
        only a search that exceeds :attr:`SEARCH_BUDGET` falls back to one full search
        (counted in :attr:`fallbacks`).
        """
        W = np.asarray(W, np.int64)
        settled = self._settle(W)
        if settled is None:
            self.fallbacks += 1
            return self._lost_full(W)
        roots, extra = settled
        parts = [self.pre[self.tin[r] : self.tout[r]] for r in roots]
        return np.concatenate([*parts, np.array(extra, np.int64)])

    def lost_totals(self, W) -> dict[str, float]:
        """The weights lost when the nodes ``W`` are removed (:meth:`lost_by_removal`, summed
        from the subtrees' prefix sums without listing them)."""
        settled = self._settle(W)
        if settled is None:
            self.fallbacks += 1
            return self._totals(self._lost_full(np.asarray(W, np.int64)))
        roots, extra = settled
        tin, tout = self._tin_l, self._tout_l
        out = {}
        for k, p in self.prefix.items():
            out[k] = float(sum(p[tout[r]] - p[tin[r]] for r in roots))
            if extra:
                out[k] += float(self.node_weight[k][extra].sum())
        return out

    def is_lost(self, W, query: np.ndarray) -> np.ndarray:
        """Per node of ``query``: does it lose supply when the nodes ``W`` are removed?
        (:meth:`lost_by_removal` without listing the lost subtrees.)"""
        query = np.asarray(query, np.int64)
        settled = self._settle(W)
        if settled is None:
            self.fallbacks += 1
            return np.isin(query, self._lost_full(np.asarray(W, np.int64)))
        roots, extra = settled
        t = self.tin[query]
        out = np.isin(query, np.asarray(extra, np.int64))
        for r in roots:
            out |= (self.tin[r] <= t) & (t < self.tout[r])
        return out

    def reach(self, blocked: np.ndarray, cut_root_to: np.ndarray | None = None) -> np.ndarray:
        """Zone-graph nodes reached from the super-source with ``blocked`` nodes removed (and,
        optionally, the sources of the zones ``cut_root_to`` stopped). O(n + m)."""
        ok = ~(blocked[self.tails] | blocked[self.heads])
        if cut_root_to is not None:
            into = np.minimum(self.heads, self.n_zones - 1)
            ok &= ~((self.tails == self.root) & cut_root_to[into])
        g = csr_array(
            (np.ones(ok.sum(), np.int8), (self.tails[ok], self.heads[ok])),
            shape=(self.n_zg, self.n_zg),
        )
        out = np.zeros(self.n_zg, bool)
        out[breadth_first_order(g, self.root, directed=True, return_predecessors=False)] = True
        return out

    def _lost_full(self, W: np.ndarray) -> np.ndarray:
        """Reachable nodes that a search from the root avoiding ``W`` does not reach."""
        blocked = np.zeros(self.n_zg, bool)
        blocked[W] = True
        return np.flatnonzero(self.reached & ~self.reach(blocked))

    @property
    def customer_segment(self) -> np.ndarray:
        """Segment id of every customer (-1: not attached to an in-service pipe)."""
        cz = self.customer_zone
        out = np.full(len(cz), -1, np.int64)
        out[cz >= 0] = self.zone_seg[cz[cz >= 0]]
        return out

    def total(self, nodes: np.ndarray, key: str) -> float:
        """Weight ``key`` of the zone-graph nodes ``nodes`` (base-supplied customers)."""
        return float(self.node_weight[key][nodes].sum()) if len(nodes) else 0.0

    # -- whole-network results ---------------------------------------------------------------

    @functools.cached_property
    def _segment_shape(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per segment: holds a source; number of zones; its zone when it has one (else -1)."""
        S, nz = self.n_segments, self.n_zones
        has_src = np.zeros(S, bool)
        has_src[self.zone_seg[self.source_zones]] = True
        zone_of_seg = np.full(S, -1, np.int64)
        zone_of_seg[self.zone_seg] = np.arange(nz)
        return has_src, np.bincount(self.zone_seg, minlength=S), zone_of_seg

    @functools.cached_property
    def segment_zones(self) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, zones): the zones of segment s are ``zones[indptr[s]:indptr[s + 1]]``."""
        return _csr(self.zone_seg, np.arange(self.n_zones), self.n_segments)

    def segment_removal(self, segments, keep_valve: int = -1) -> np.ndarray:
        """Zone-graph nodes removed when ``segments`` are isolated: their zones (emptied of
        gas, so a source inside stops feeding) and their open boundary valves (closed), but
        ``keep_valve`` (a valve index that fails to close)."""
        zptr, zones = self.segment_zones
        _, valve, vptr = self._open_boundary
        parts = []
        for s in np.atleast_1d(segments).tolist():
            parts.append(zones[zptr[s] : zptr[s + 1]])
            v = valve[vptr[s] : vptr[s + 1]]
            parts.append(self.n_zones + v[v != keep_valve])
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)

    @functools.cached_property
    def _open_boundary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segment, valve index, indptr): the open boundary valves of every segment, sorted
        by segment; those of segment s are at ``indptr[s]:indptr[s + 1]``."""
        nv = len(self.flow.valves)
        o = self.valve_open[self.vz_valve]
        key = _unique_keys(self.zone_seg[self.vz_zone[o]] * max(nv, 1) + self.vz_valve[o])
        seg, valve = key // max(nv, 1), key % max(nv, 1)
        return seg, valve, np.r_[0, np.cumsum(np.bincount(seg, minlength=self.n_segments))]

    def _totals(self, nodes: np.ndarray) -> dict[str, float]:
        return {k: self.total(nodes, k) for k in self.weights}

    def segment_losses(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Loss of every segment when it is isolated.

        Isolating a segment closes all its boundary valves and takes the gas out of it, so a
        source inside it stops feeding: lost are the base-supplied customers inside it and
        everyone cut off behind it (DESIGN.md, "Network semantics"). In the zone graph that is
        the removal of the segment's zones and open boundary valves.

        Returns the table (index segment_id; one ``<weight>_lost`` column per weight) and, per
        segment, the zone-graph node whose dominator subtree is exactly the loss (-1 where the
        loss needed the general routine).
        """
        S = self.n_segments
        seg, valve, _ = self._open_boundary
        vnode = self.n_zones + valve
        has_src, zones_per, zone_of_seg = self._segment_shape
        multi = np.zeros(S, bool)
        multi[seg[self.valve_sides[valve] >= 3]] = True
        root_of = np.full(S, -1, np.int64)
        # (a) One zone and only two-sided valves: removing the zone removes everything its
        # valves could pass on, so the loss is the zone's subtree (with or without a source).
        a = (zones_per == 1) & ~multi
        root_of[a] = zone_of_seg[a]
        # (b) No source, and one boundary valve dominates the others (one valve, or a valve in
        # front of them): every way into the segment passes it, so its subtree is the loss.
        if len(seg):
            t = self.tin[vnode]
            order = np.lexsort((t, seg))
            s_o, v_o, t_o = seg[order], vnode[order], t[order]
            firsts = np.r_[0, np.flatnonzero(np.diff(s_o)) + 1]
            cand = v_o[firsts]
            last_t = np.maximum.reduceat(t_o, firsts)
            min_t = np.minimum.reduceat(t_o, firsts)
            sb = s_o[firsts]
            ok = (min_t >= 0) & (last_t < self.tout[cand]) & ~has_src[sb] & (root_of[sb] < 0)
            root_of[sb[ok]] = cand[ok]
        out = {f"{k}_lost": np.zeros(S) for k in self.weights}
        fast = root_of >= 0
        for k in self.weights:
            out[f"{k}_lost"][fast] = self.subtree_total(root_of[fast], k)
        for s in np.flatnonzero(~fast).tolist():
            for k, v in self.lost_totals(self.segment_removal(s)).items():
                out[f"{k}_lost"][s] = v
        return pd.DataFrame(out), root_of

    def live_behind(self, valve: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Per (open valve, segment it bounds) pair: is the valve still reached by gas once
        that segment is emptied (its zones removed)? Then a burst there cannot do without
        closing it (:func:`gasnet.operations.plan_isolation` asks the same question).

        Decided in numpy for almost every pair: a valve dominated by a zone of the segment is
        cut off; one whose path in the BFS or DFS spanning tree avoids the segment's zones is
        reached (for a one-zone segment the first test alone is exact). The rest are
        settled one segment at a time (:meth:`is_lost`).
        """
        x = self.n_zones + valve
        zptr, zones = self.segment_zones
        # Every (pair, zone of its segment), vectorised.
        count = zptr[seg + 1] - zptr[seg]
        pair = np.repeat(np.arange(len(seg)), count)
        z = zones[_gather_positions(zptr[seg], count)]
        xp = x[pair]

        def any_inside(tin, tout):
            hit = np.zeros(len(seg), bool)
            np.logical_or.at(hit, pair, (tin[z] <= tin[xp]) & (tin[xp] < tout[z]))
            return hit

        reached = self.reached[x]
        dead = ~reached | any_inside(self.tin, self.tout)
        live = ~dead & (count == 1)
        certain = (
            dead | live | ~any_inside(self.btin, self.btout) | ~any_inside(self.dtin, self.dtout)
        )
        live |= ~dead & ~live & certain
        rest = np.flatnonzero(~certain)
        order = rest[np.argsort(seg[rest], kind="stable")]
        groups = np.split(order, np.flatnonzero(np.diff(seg[order])) + 1) if len(order) else []
        for mine in groups:
            s = seg[mine[0]]
            live[mine] = ~self.is_lost(zones[zptr[s] : zptr[s + 1]], x[mine])
        return live

    def valve_failures(self, seg_loss: pd.DataFrame, root_of: np.ndarray) -> pd.DataFrame:
        """What each valve failing to close costs, in the worst case over the segments it
        bounds.

        A burst in segment S with valve v failing extends the isolation past v only when gas
        still reaches v once S is emptied (else v never needed closing): then every segment
        v touches is isolated together (zones emptied, boundary valves closed but v), else
        S alone. That is what :func:`gasnet.operations.burst` does, so each side's loss is
        exactly a burst's. Columns ``<weight>_lost_if_fails``: the loss on the worst side
        (most weight, in the order of the weights; ties: the side whose own loss is least);
        ``extra_<weight>_lost``: that minus the side's own loss (what the failure adds,
        never negative). 0 for normally-closed valves (nothing to fail).
        """
        nv, S = len(self.flow.valves), self.n_segments
        keys = list(self.weights)
        lost = np.zeros((nv, len(keys)))
        extra = np.zeros((nv, len(keys)))
        # (open valve, segment it bounds) pairs, sorted by valve.
        key = _unique_keys(self.vz_valve * max(S, 1) + self.zone_seg[self.vz_zone])
        v_of, s_of = key // max(S, 1), key % max(S, 1)
        o = self.valve_open[v_of]
        v_of, s_of = v_of[o], s_of[o]
        if len(v_of):
            base = np.column_stack([seg_loss[f"{k}_lost"].to_numpy() for k in keys])
            live = self.live_behind(v_of, s_of)
            joined = self._joined_losses(v_of, s_of, live, base, root_of)
            pair_loss = np.where(live[:, None], joined[v_of], base[s_of])
            pair_extra = pair_loss - base[s_of]
            cols = range(len(keys) - 1, -1, -1)  # np.lexsort: the last key sorts first
            order = np.lexsort(
                (*(-pair_extra[:, i] for i in cols), *(-pair_loss[:, i] for i in cols), v_of)
            )
            first = order[np.r_[True, v_of[order][1:] != v_of[order][:-1]]]
            lost[v_of[first]] = pair_loss[first]
            extra[v_of[first]] = pair_extra[first]
        res = {f"{k}_lost_if_fails": lost[:, i] for i, k in enumerate(keys)}
        res.update({f"extra_{k}_lost": extra[:, i] for i, k in enumerate(keys)})
        return pd.DataFrame(res)

    def _joined_losses(self, v_of, s_of, live, base, root_of) -> np.ndarray:
        """Per valve (rows; only those with a live side are filled): the loss when every
        segment it touches is isolated together while it stays open."""
        nz, nv = self.n_zones, len(self.flow.valves)
        keys = list(self.weights)
        out = np.zeros((nv, len(keys)))
        vstart = np.r_[0, np.cumsum(np.bincount(v_of, minlength=nv))]
        nseg = np.diff(vstart)
        need = np.zeros(nv, bool)
        np.logical_or.at(need, v_of, live)
        _, zones_per, zone_of_seg = self._segment_shape
        # Vectorised first: pairs of segments where one side already cuts the other off (the
        # joined loss is then that side's own loss: DESIGN.md, "Algorithms").
        zt = self.tin[np.arange(nz)]
        big = np.iinfo(np.int64).max
        zmin = np.full(self.n_segments, big)
        zmax = np.full(self.n_segments, -1)
        np.minimum.at(zmin, self.zone_seg, np.where(zt >= 0, zt, big))
        np.maximum.at(zmax, self.zone_seg, zt)
        unreached = np.zeros(self.n_segments, bool)
        unreached[self.zone_seg[zt < 0]] = True

        def inside(small, large):
            r = root_of[large]
            rr = np.maximum(r, 0)
            return (
                (r >= 0)
                & ~unreached[small]
                & (zmin[small] >= self.tin[rr])
                & (zmax[small] < self.tout[rr])
            )

        first = np.minimum(vstart[:-1], len(s_of) - 1)
        second = np.minimum(first + 1, len(s_of) - 1)
        s1, s2 = s_of[first], s_of[second]
        done = np.full(nv, -1, np.int64)
        two = need & (nseg == 2)
        t_in_s = two & inside(s2, s1)
        s_in_t = two & ~t_in_s & inside(s1, s2)
        done[t_in_s] = s1[t_in_s]
        done[s_in_t] = s2[s_in_t]
        hit = done >= 0
        out[hit] = base[done[hit]]
        seg, valve, _ = self._open_boundary
        seg_multi = np.zeros(self.n_segments, bool)
        seg_multi[seg[self.valve_sides[valve] >= 3]] = True
        todo = np.flatnonzero(need & ~hit)
        # The removal set of each: with two-sided valves only, the segments' zones (removing
        # them removes what the valves pass on); else zones and open boundary valves but k.
        simple_seg = (zones_per == 1) & ~seg_multi
        whole = np.ones(nv, bool)
        np.logical_and.at(whole, v_of, simple_seg[s_of])
        easy, hard = todo[whole[todo]], todo[~whole[todo]]
        cnt = nseg[easy]
        sets = [zone_of_seg[s_of[_gather_positions(vstart[easy], cnt)]]]
        sizes = [cnt]
        for k in hard.tolist():
            W = self.segment_removal(s_of[vstart[k] : vstart[k + 1]], keep_valve=k)
            sets.append(W)
            sizes.append(np.array([len(W)]))
        order = np.concatenate([easy, hard])
        ptr = np.r_[0, np.cumsum(np.concatenate(sizes))]
        idx = np.concatenate(sets)
        totals, decided = self.lost_totals_many(ptr, idx)
        out[order[decided]] = totals[decided]
        cache: dict[tuple, dict] = {}
        for i in np.flatnonzero(~decided).tolist():
            W = idx[ptr[i] : ptr[i + 1]]
            key = tuple(sorted(W.tolist()))
            if key not in cache:  # valves side by side between two segments: one answer
                cache[key] = self.lost_totals(W)
            out[order[i]] = [cache[key][w] for w in keys]
        return out


# --------------------------------------------------------------------------------------------
# Tables for the GeoPackage and the CLI
# --------------------------------------------------------------------------------------------

SEGMENT_COLUMNS = [
    "segment_id",
    "valve_ids",
    "source_ids",
    "customers",
    "households",
    "critical_customers",
    "customers_lost",
    "households_lost",
    "critical_lost",
    "length_m",
]
VALVE_COLUMNS = [
    "valve_id",
    "node_id",
    "normally",
    "operable",
    "segment_ids",
    "customers_lost_if_fails",
    "households_lost_if_fails",
    "critical_lost_if_fails",
    "extra_customers_lost",
    "extra_households_lost",
    "extra_critical_lost",
]


class Criticality:
    """Segments and valve criticality of a network (:meth:`gasnet.Network.criticality`).

    Attributes
    ----------
    segments : geopandas.GeoDataFrame
        Indexed by segment_id: valve_ids, source_ids, customers, households,
        critical_customers, customers_lost, households_lost, critical_lost, length_m,
        geometry (see :func:`segment_table`).
    valves : geopandas.GeoDataFrame
        Indexed by valve_id: node_id, normally, operable, segment_ids,
        customers_lost_if_fails, households_lost_if_fails, critical_lost_if_fails,
        extra_customers_lost, extra_households_lost, extra_critical_lost, geometry.
    customer_segment : pandas.Series
        The segment of every customer (-1: on no in-service pipe), indexed by customer_id.
    """

    def __init__(
        self, segments: gpd.GeoDataFrame, valves: gpd.GeoDataFrame, customer_segment: pd.Series
    ):
        self.segments = segments
        self.valves = valves
        self.customer_segment = customer_segment

    @property
    def worst_segment(self):
        """The segment whose isolation cuts off the most customers (None: no segment)."""
        lost = self.segments["customers_lost"]
        return lost.idxmax() if len(lost) else None

    def subset(self, valve_ids) -> Criticality:
        """The rows of ``valve_ids`` (one id or many) and of the segments they bound.

        Raises :class:`~gasnet.errors.UnknownAssetError` for a valve not in :attr:`valves`
        (unknown, or off the network: see quality_issues).
        """
        from ._output import shown_list
        from .errors import UnknownAssetError

        ids = list(dict.fromkeys([valve_ids] if isinstance(valve_ids, str) else valve_ids))
        missing = [v for v in ids if v not in self.valves.index]
        if missing:
            raise UnknownAssetError(
                f"valve(s) {shown_list(missing)} (in valve_ids=) have no criticality: unknown, "
                "or not on the network (see quality_issues: valve_off_pipe)"
            )
        valves = self.valves.loc[ids]
        segs = sorted({int(s) for ids in valves["segment_ids"] for s in str(ids).split(";") if s})
        cs = self.customer_segment
        return Criticality(self.segments.loc[segs], valves, cs[cs.isin(segs)])

    def __repr__(self) -> str:
        w = self.worst_segment
        worst = (
            ""
            if w is None
            else f"; the worst segment, {w}, cuts {self.segments.at[w, 'customers_lost']} "
            f"customers ({self.segments.at[w, 'critical_lost']} critical)"
        )
        return f"<Criticality {len(self.segments)} segments, {len(self.valves)} valves{worst}>"


def customer_weights(customers: pd.DataFrame) -> dict[str, np.ndarray]:
    """The quantities every loss is counted in: customers, households, critical customers."""
    return {
        "customers": np.ones(len(customers)),
        "critical": customers["critical"].to_numpy(bool).astype(float),
        "households": customers["households"].to_numpy(float),
    }


def segment_table(engine: IsolationEngine, edges, customers, valves) -> tuple:
    """The ``segments`` layer, ``segment_id`` per customer and the ``valve_criticality`` layer.

    Segment columns: segment_id; valve_ids (";"-joined boundary valves, closed ones included);
    source_ids (";"-joined sources inside the segment: isolating it stops them); customers,
    households, critical_customers (attached to the segment); customers_lost,
    households_lost, critical_lost (base-supplied customers that lose gas when the segment is
    isolated: every boundary valve closes and any source inside stops, so everyone inside it
    and everyone cut off behind it); length_m (in-service pipe); geometry (MultiLineString).
    """
    import geopandas as gpd
    import shapely

    from .validate import geoms

    fg = engine.flow
    S = engine.n_segments
    loss, root_of = engine.segment_losses()
    fail = engine.valve_failures(loss, root_of)
    live_pos = np.searchsorted(edges["edge_id"].to_numpy(), fg.live_edges)
    seg_of_live = engine.zone_seg[engine.edge_zone]
    length = np.bincount(seg_of_live, weights=edges["length_m"].to_numpy()[live_pos], minlength=S)
    lines = geoms(edges)[live_pos]
    order = np.argsort(seg_of_live, kind="stable")
    # Segments with no in-service pipe (a zone holding only a source) get an empty geometry.
    geom = np.array([shapely.MultiLineString()] * S, dtype=object)
    if len(order):
        built = shapely.multilinestrings(lines[order], indices=seg_of_live[order])
        geom[: len(built)] = built
    cseg = engine.customer_segment
    w = engine.weights
    ok = cseg >= 0
    own = {k: np.bincount(cseg[ok], weights=w[k][ok], minlength=S) for k in w}
    # Boundary valves of each segment, closed ones too (crews need the whole list).
    vid = fg.asset_id[fg.valves]
    vs = engine.zone_seg[engine.vz_zone]
    pairs = pd.DataFrame({"s": vs, "v": vid[engine.vz_valve]}).drop_duplicates()
    joined = pairs.sort_values(["s", "v"]).groupby("s")["v"].agg(";".join)
    sz = engine.node_zone[fg.sources]
    src = pd.DataFrame(
        {"s": engine.zone_seg[sz[sz >= 0]], "id": fg.asset_id[fg.sources[sz >= 0]].astype(str)}
    )
    src_joined = src.sort_values(["s", "id"]).groupby("s")["id"].agg(";".join)
    segs = gpd.GeoDataFrame(
        {
            "segment_id": np.arange(S),
            "valve_ids": joined.reindex(np.arange(S)).astype(object).fillna("").to_numpy(object),
            "source_ids": src_joined.reindex(np.arange(S)).astype(object).fillna("").to_numpy(),
            "customers": own["customers"].astype(int),
            "households": own["households"].astype(int),
            "critical_customers": own["critical"].astype(int),
            "customers_lost": loss["customers_lost"].to_numpy().astype(int),
            "households_lost": loss["households_lost"].to_numpy().astype(int),
            "critical_lost": loss["critical_lost"].to_numpy().astype(int),
            "length_m": length,
        },
        geometry=list(geom),
        crs=edges.crs,
    )[[*SEGMENT_COLUMNS, "geometry"]]
    vseg = pd.DataFrame({"v": engine.vz_valve, "s": vs}).drop_duplicates().sort_values(["v", "s"])
    vseg_s = vseg.groupby("v")["s"].agg(lambda x: ";".join(map(str, x)))
    vt = pd.DataFrame(
        {
            "valve_id": vid,
            "node_id": fg.valves,
            "segment_ids": vseg_s.reindex(np.arange(len(vid))).astype(object).fillna("").to_numpy(),
        }
    )
    for k in ("customers", "households", "critical"):
        vt[f"{k}_lost_if_fails"] = fail[f"{k}_lost_if_fails"].to_numpy().astype(int)
        vt[f"extra_{k}_lost"] = fail[f"extra_{k}_lost"].to_numpy().astype(int)
    attrs = valves.set_index("valve_id")
    for col in ("normally", "operable"):
        vt[col] = attrs[col].reindex(vt["valve_id"]).to_numpy()
    return segs, cseg, vt[VALVE_COLUMNS]
