"""Valve-placement advice (issue 10, part 3): where one more valve helps most, and which
inoperable valves to repair first.

Definitions (README, "Where one more valve helps most"; DESIGN.md, "Algorithms"):

- **L(S)**: the loss of segment S exactly as
  :meth:`gasnet.isolation.IsolationEngine.segment_losses` counts it (every boundary valve
  closes; a station inside stops), in the weights customers, households and critical.
- **Objective** ``worst`` (the default): the network's worst case, the largest
  customers_lost of any segment. A position is ranked by (1) the network's worst case once
  the valve is added (ascending), (2) its local worst case: the reduction
  L(S) - max(L(S1), L(S2)) of the segment S it splits into S1 and S2 (descending), (3) the
  exposure reduction (descending). With several segments tied at the maximum no single valve
  lowers the network's worst case; the ranking then says where a burst's worst case falls
  most.
- **Objective** ``exposure``: households exposed, sum over segments of length_m(S) x
  households_lost(S) / the in-service length: the expected households losing gas for a burst
  at a uniformly random point of the network. Ranked by its reduction (descending), then by
  the local worst-case reduction.
- **Candidates**: a valve added strictly inside an in-service pipe part (edge) e splits e's
  segment only if e is a bridge of the segment's own undirected graph (zones joined through
  regulators count as connected; valve nodes join nothing). Other edges give no split and no
  gain and are left out, as are edges with a valve node at either end (a valve beside a valve
  changes nothing). Other segments' losses do not change: the new open valve joins the two
  halves as the pipe did (the brute-force test checks it). Customers attach at nodes, so every
  point inside e gives the same split; the exposure is linear in where the valve sits, so it
  is placed near the better end, at min(max(1 m, 2 x the snapping tolerance), len(e) / 2)
  from it (nearer than the tolerance, the build would put it on the end node itself).
- **Repairs**: an open valve that cannot be closed (``operable`` false) makes a burst spread
  past it where live gas lies behind it (:func:`gasnet.hazards.segment_consequence`, as
  ``gasnet burst`` does). Repairing it changes the burst consequence of exactly the segments
  whose grown area passed it; those are recomputed, the others kept.

:func:`advise_valves` and :func:`advise_repairs` return ranked GeoDataFrames (index
``rank``, 1..N); :func:`split_losses` and :func:`repair_effects` are the array-level
answers the tests compare with a brute force.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, connected_components

from ._dominators import tree_intervals
from .errors import ConfigError
from .isolation import FlowGraph, IsolationEngine

__all__ = [
    "MAX_REPAIR_WORK",
    "OBJECTIVES",
    "REPAIR_COLUMNS",
    "VALVE_COLUMNS",
    "RepairBudgetError",
    "RepairEffects",
    "SplitLosses",
    "advise_repairs",
    "advise_valves",
    "repair_effects",
    "repair_objectives",
    "split_losses",
    "valve_objectives",
]

#: The objectives a ranking can follow.
OBJECTIVES = ("worst", "exposure")
WEIGHTS = ("customers", "households", "critical")
#: Distance of an added valve from the end of its pipe part it is placed near (at most half
#: the part; at least twice the build's snapping tolerance, which would put a valve nearer
#: than the tolerance onto the junction itself: see :func:`advise_valves`).
END_OFFSET_M = 1.0

#: Columns of :func:`advise_valves` (after the index ``rank``).
VALVE_COLUMNS = [
    "pipe_id",
    "edge_id",
    "segment_id",
    "position_m",
    "pipe_part",
    "near_node",
    "offset_m",
    "x",
    "y",
    "lon",
    "lat",
    *(f"{k}_lost_{s}" for k in WEIGHTS for s in ("before", "after")),
    *(f"{k}_lost_{s}" for k in WEIGHTS for s in ("a", "b")),
    "length_a_m",
    "length_b_m",
    "network_worst_after",
    "exposure_before",
    "exposure_after",
    "reduction",
    "geometry",
]
#: Columns of :func:`advise_repairs` (after the index ``rank``).
REPAIR_COLUMNS = [
    "valve_id",
    "node_id",
    "segments_affected",
    "segment_ids",
    *(f"{k}_lost_{s}" for k in WEIGHTS for s in ("before", "after")),
    "network_worst_after",
    "exposure_before",
    "exposure_after",
    "reduction",
    "x",
    "y",
    "lon",
    "lat",
    "geometry",
]


def _check(objective, top) -> None:
    if objective not in OBJECTIVES:
        raise ConfigError(
            f"objective={objective!r} is not an objective; choose one of "
            f"{', '.join(map(repr, OBJECTIVES))}"
        )
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1
    ):
        raise ConfigError(f"top={top!r} must be a positive whole number (or None: every row)")


# --------------------------------------------------------------------------------------------
# Range minimum / maximum (sparse tables)
# --------------------------------------------------------------------------------------------


class _RangeMinMax:
    """Minimum and maximum of ``values[l:r]`` for many ranges at once (sparse tables).

    O(n log n) to build, O(1) numpy work per query; an empty range gives (``big``, -1).
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, big: int):
        self.big = big
        n = len(lo)
        levels = max(1, int(n).bit_length())
        self.mn = np.full((levels, n + 1), big, np.int64)
        self.mx = np.full((levels, n + 1), -1, np.int64)
        self.mn[0, :n], self.mx[0, :n] = lo, hi
        for j in range(1, levels):
            k = 1 << (j - 1)
            self.mn[j, : n + 1 - k] = np.minimum(self.mn[j - 1, : n + 1 - k], self.mn[j - 1, k:])
            self.mx[j, : n + 1 - k] = np.maximum(self.mx[j - 1, : n + 1 - k], self.mx[j - 1, k:])

    def query(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
        width = right - left
        ok = width > 0
        j = np.zeros(len(left), np.int64)
        j[ok] = np.floor(np.log2(width[ok])).astype(np.int64)
        # (floating log2 of an exact power of two is exact; guard the neighbours anyway)
        j[ok & ((1 << j) > width)] -= 1
        j[ok & ((2 << j) <= width)] += 1
        a = np.where(ok, left, 0)
        b = np.where(ok, right - (1 << j), 0)
        mn = np.where(ok, np.minimum(self.mn[j, a], self.mn[j, b]), self.big)
        mx = np.where(ok, np.maximum(self.mx[j, a], self.mx[j, b]), -1)
        return mn, mx


# --------------------------------------------------------------------------------------------
# Candidates: bridges of each segment's graph
# --------------------------------------------------------------------------------------------


@dataclass
class _Forest:
    """A spanning forest of the undirected graph H of the segments (see :func:`_bridges`)."""

    tin: np.ndarray  # preorder position of every flow node (and the virtual root, last)
    tout: np.ndarray
    comp_lo: np.ndarray  # per flow node: its component's preorder interval
    comp_hi: np.ndarray
    child: np.ndarray  # per candidate: the end whose subtree is side b
    live: np.ndarray  # per candidate: its position in flow.live_edges
    tree_child: np.ndarray  # per live edge: the child end when it is a tree edge, else -1


def _bridges(flow: FlowGraph) -> _Forest:
    """Candidate edges: in-service pipe parts, neither end a valve, that are bridges of H.

    H: the flow nodes that are not valves; the in-service edges with neither end a valve; each
    directed regulator's inlet-outlet link. A spanning forest of H (breadth-first from a
    virtual root joined to one node per component); a tree edge (parent, c) is a bridge iff
    no other edge has exactly one end in c's subtree, i.e. the other ends of the non-tree
    edges at the nodes of that preorder interval all lie inside it (range min / max).
    O((n + m) log n).
    """
    n = flow.n
    is_valve = np.zeros(n, bool)
    is_valve[flow.valves] = True
    eu, ev = flow.edge_u, flow.edge_v
    m = len(eu)
    plain = np.flatnonzero(~(is_valve[eu] | is_valve[ev]))
    regs = flow.regulators
    hu = np.concatenate([eu[plain], regs])
    hv = np.concatenate([ev[plain], flow.outlet[regs]])
    hid = np.concatenate([plain, np.full(len(regs), -1, np.int64)])  # live-edge index, -1: link
    _, label = connected_components(
        csr_array((np.ones(len(hu), np.int8), (hu, hv)), shape=(n, n)), directed=False
    )
    reps = np.unique(label, return_index=True)[1]
    root = n
    tails = np.concatenate([hu, hv, np.full(len(reps), root)])
    heads = np.concatenate([hv, hu, reps])
    g = csr_array((np.ones(len(tails), np.int8), (tails, heads)), shape=(n + 1, n + 1))
    _, pred = breadth_first_order(g, root, directed=True, return_predecessors=True)
    parent = np.where(pred >= 0, pred, -1)
    parent[root] = -1
    _, tin, tout = tree_intervals(parent, root)
    # Which H edge is the tree edge of each child (parallel pipes: the first; the others
    # are non-tree edges and cover it).
    kids = np.flatnonzero((parent >= 0) & (parent != root))
    kp = parent[kids]
    key_h = np.minimum(hu, hv) * (n + 1) + np.maximum(hu, hv)
    order = np.argsort(key_h, kind="stable")
    key_k = np.minimum(kids, kp) * (n + 1) + np.maximum(kids, kp)
    at = order[np.searchsorted(key_h[order], key_k)]
    is_tree = np.zeros(len(hu), bool)
    is_tree[at] = True
    # Non-tree edges: per preorder position, the smallest and largest preorder position of
    # the other end of a non-tree edge there.
    big = n + 2
    nt = ~is_tree & (hu != hv)
    a, b = tin[hu[nt]], tin[hv[nt]]
    lo = np.full(n + 1, big, np.int64)
    hi = np.full(n + 1, -1, np.int64)
    np.minimum.at(lo, np.concatenate([a, b]), np.concatenate([b, a]))
    np.maximum.at(hi, np.concatenate([a, b]), np.concatenate([b, a]))
    rmq = _RangeMinMax(lo, hi, big)
    mn, mx = rmq.query(tin[kids], tout[kids])
    bridge = (mn >= tin[kids]) & (mx < tout[kids])
    cand = bridge & (hid[at] >= 0)
    tree_child = np.full(m, -1, np.int64)
    pipe_tree = hid[at] >= 0
    tree_child[hid[at][pipe_tree]] = kids[pipe_tree]
    comp_root = reps[label]
    live = hid[at][cand]
    sort = np.argsort(live, kind="stable")
    return _Forest(
        tin=tin,
        tout=tout,
        comp_lo=tin[comp_root],
        comp_hi=tout[comp_root],
        child=kids[cand][sort],
        live=live[sort],
        tree_child=tree_child,
    )


# --------------------------------------------------------------------------------------------
# The losses of the two halves
# --------------------------------------------------------------------------------------------


@dataclass
class SplitLosses:
    """The split every candidate makes, side ``u`` (the edge's u end, where its geometry
    starts) and side ``v``.

    Attributes
    ----------
    live
        Position of each candidate edge in ``flow.live_edges``.
    segment
        Its segment (the engine's ids).
    loss_u, loss_v
        Per weight of the engine: the loss of each new segment when isolated.
    length_u, length_v
        In-service length on each side, without the candidate edge itself.
    edge_length
        The candidate edge's length.
    slow_sides, fallbacks
        Sides whose loss needed the augmented engine's set removal (the others were one
        dominator subtree); full searches that removal fell back to.
    """

    live: np.ndarray
    segment: np.ndarray
    loss_u: dict[str, np.ndarray]
    loss_v: dict[str, np.ndarray]
    length_u: np.ndarray
    length_v: np.ndarray
    edge_length: np.ndarray
    slow_sides: int = 0
    fallbacks: int = 0
    stats: dict = field(default_factory=dict)


def _augmented(flow, nodes, edges, live_rows, cand_rows) -> FlowGraph:
    """The flow graph with an open virtual valve inside every candidate edge: node
    ``n_nodes + j`` for candidate j; its edge keeps the u half, a new edge takes the v half."""
    n0 = len(nodes)
    C = len(cand_rows)
    vn = n0 + np.arange(C)
    nodes_r = pd.DataFrame(
        {
            "node_id": np.concatenate([nodes["node_id"].to_numpy(np.int64), vn]),
            "kind": np.concatenate([nodes["kind"].to_numpy(object), np.full(C, "valve", object)]),
            "asset_id": np.concatenate(
                [nodes["asset_id"].to_numpy(object), np.full(C, None, object)]
            ),
        }
    )
    cols = ["edge_id", "u", "v", "status", "pressure_class"]
    e = edges[cols].reset_index(drop=True)
    v_old = e["v"].to_numpy(np.int64)
    v_new = v_old.copy()
    v_new[cand_rows] = vn
    top = int(e["edge_id"].max()) + 1 if len(e) else 0
    extra = pd.DataFrame(
        {
            "edge_id": top + np.arange(C),
            "u": vn,
            "v": v_old[cand_rows],
            "status": e["status"].to_numpy(object)[cand_rows],
            "pressure_class": e["pressure_class"].to_numpy(object)[cand_rows],
        }
    )
    e = e.assign(v=v_new)
    fg = FlowGraph(nodes_r, pd.concat([e, extra], ignore_index=True))
    fg.set_base_closed(np.flatnonzero(flow.base_closed))
    return fg


def split_losses(flow: FlowGraph, engine: IsolationEngine, nodes, edges, customer_nodes):
    """The two new segments' losses for every candidate position, exactly, in one pass.

    Parameters
    ----------
    flow, engine
        The network's flow graph and isolation engine (base state).
    nodes, edges
        The tables ``flow`` was built from (node_id, kind, asset_id; edge_id, u, v, status,
        pressure_class, length_m).
    customer_nodes
        Attachment node of every customer (-1: none), aligned with the engine's weights.

    Returns
    -------
    SplitLosses

    Notes
    -----
    One augmented network R holds a virtual open valve p_e inside every candidate edge e
    (new nodes after the existing ones, so customers keep their nodes), with one
    :class:`~gasnet.isolation.IsolationEngine`. Isolating one side X of e in the network with
    only e's valve added is, in R, the removal of W = {p_e} ∪ {open real boundary valves of
    S adjacent to X} ∪ {R-zones of X holding a source}: every way into X passes one of them,
    so X's zones are lost with everything only they feed, and the rest of R joins as the
    original network does. Side b of e (the child's subtree in the spanning forest) and side
    a (the rest of the component) are preorder intervals; the members of W are found by
    range queries on the (valve or source, node) pairs sorted by preorder. When one member of
    W dominates the others in R's dominator tree (the min / max of their preorder positions,
    again by range queries) the loss is that member's subtree: O(1). Otherwise the engine's
    local set removal :meth:`~gasnet.isolation.IsolationEngine.lost_totals` settles it, given
    W with the side's own R-zones and virtual valves (lost anyway; so what they feed is
    summed from the dominator tree's prefix sums, not searched).

    Complexity: O((n + m) log n) for the forest, the bridges, R and its engine, plus O(1)
    numpy work per candidate side and, for the sides no single member of W dominates (a
    segment fed from two ends, a mesh), O(|X| log |X| + the local settle) each, |X| the
    side's size in R: at worst quadratic in the size of a segment fed from several sides.
    """
    forest = _bridges(flow)
    C = len(forest.live)
    eu, ev = flow.edge_u, flow.edge_v
    edge_ids = edges["edge_id"].to_numpy()
    rows = pd.Index(edge_ids).get_indexer(flow.live_edges)
    lengths = edges["length_m"].to_numpy(float)[rows]
    seg_of_live = engine.zone_seg[engine.edge_zone]
    keys = list(engine.weights)
    if not C:
        empty = {k: np.zeros(0) for k in keys}
        z = np.zeros(0)
        return SplitLosses(
            np.zeros(0, np.int64), np.zeros(0, np.int64), empty, dict(empty), z, z, z
        )
    R = _augmented(flow, nodes, edges, rows, rows[forest.live])
    eng_r = IsolationEngine(R, customer_nodes, engine.weights)
    nv = len(flow.valves)
    assert len(R.valves) == nv + C and (R.valves[:nv] == flow.valves).all()
    nz_r = eng_r.n_zones
    p_node = nz_r + nv + np.arange(C)  # zone-graph node of each virtual valve
    # The pairs (member of some W, node of S it hangs on), sorted by the node's preorder.
    is_valve = np.zeros(flow.n, bool)
    is_valve[flow.valves] = True
    vidx = np.full(flow.n, -1, np.int64)
    vidx[flow.valves] = np.arange(nv)
    one = is_valve[eu] ^ is_valve[ev]
    x = np.where(is_valve[eu[one]], ev[one], eu[one])
    v = np.where(is_valve[eu[one]], eu[one], ev[one])
    keep = ~flow.base_closed[v]
    x, zg = x[keep], nz_r + vidx[v[keep]]
    src = flow.sources[engine.node_zone[flow.sources] >= 0]
    x = np.concatenate([x, src])
    zg = np.concatenate([zg, eng_r.node_zone[src]])  # (network nodes keep their ids in R)
    pos = forest.tin[x]
    order = np.lexsort((zg, pos))
    pos, zg = pos[order], zg[order]
    big = eng_r.n_zg + 1
    t = eng_r.tin[zg]
    rmq = _RangeMinMax(np.where(t >= 0, t, big), np.where(t >= 0, t, -1), big)
    c = forest.child
    tin, tout = forest.tin, forest.tout
    lb, rb = np.searchsorted(pos, tin[c]), np.searchsorted(pos, tout[c])
    la, ra = np.searchsorted(pos, forest.comp_lo[c]), np.searchsorted(pos, forest.comp_hi[c])
    tp = eng_r.tin[p_node]
    tp_lo = np.where(tp >= 0, tp, big)
    tp_hi = np.where(tp >= 0, tp, -1)
    mn_b, mx_b = rmq.query(lb, rb)
    mn_a1, mx_a1 = rmq.query(la, lb)
    mn_a2, mx_a2 = rmq.query(rb, ra)
    sides = {
        "b": (np.minimum(tp_lo, mn_b), np.maximum(tp_hi, mx_b)),
        "a": (
            np.minimum(tp_lo, np.minimum(mn_a1, mn_a2)),
            np.maximum(tp_hi, np.maximum(mx_a1, mx_a2)),
        ),
    }
    # Per preorder position: the R-zone of the node there and the virtual valve of the
    # candidate whose child it is (-1: none). A side's slice of these is all lost.
    to_r = np.arange(flow.n)
    to_r[flow.outlet[flow.regulators]] = R.outlet[flow.regulators]
    plain_nodes = np.flatnonzero(~is_valve)
    inner = np.full((flow.n + 1, 2), -1, np.int64)
    inner[tin[plain_nodes], 0] = eng_r.node_zone[to_r[plain_nodes]]
    inner[tin[c], 1] = p_node
    loss = {}
    slow_total = 0
    before = eng_r.fallbacks
    for side, (mn, mx) in sides.items():
        out = {k: np.zeros(C) for k in keys}
        none = mn >= big  # nothing of W is supplied: nothing to lose
        top = eng_r.pre[np.minimum(mn, len(eng_r.pre) - 1)]
        fast = ~none & (mx < eng_r.tout[top])
        for k in keys:
            out[k][fast] = eng_r.subtree_total(top[fast], k)
        slow = np.flatnonzero(~none & ~fast)
        slow_total += len(slow)
        for i in slow.tolist():
            # W, plus the side's own R-zones and virtual valves: all lost anyway (W closes
            # every way in), and given as removed the engine sums what they feed from its
            # prefix sums instead of searching round them.
            if side == "b":
                members = [zg[lb[i] : rb[i]], inner[tin[c[i]] : tout[c[i]]].ravel()]
            else:
                lo_i, hi_i = forest.comp_lo[c[i]], forest.comp_hi[c[i]]
                members = [
                    zg[la[i] : lb[i]],
                    zg[rb[i] : ra[i]],
                    inner[lo_i : tin[c[i]]].ravel(),
                    inner[tout[c[i]] : hi_i].ravel(),
                ]
            W = np.concatenate([*members, [p_node[i]]])
            got = eng_r.lost_totals(np.unique(W[W >= 0]))
            for k in keys:
                out[k][i] = got[k]
        loss[side] = out
    # Lengths: each in-service edge of a segment counts at one of its non-valve ends (a tree
    # edge at its child), summed over preorder intervals.
    live_e = np.arange(len(eu))
    at = np.where(
        forest.tree_child >= 0,
        forest.tree_child,
        np.where(is_valve[eu], ev, eu),
    )
    counted = ~(is_valve[eu] & is_valve[ev])
    per_pos = np.zeros(flow.n + 2)
    np.add.at(per_pos, tin[at[counted]], lengths[live_e[counted]])
    prefix = np.concatenate([[0.0], np.cumsum(per_pos)])
    le = lengths[forest.live]
    sub = prefix[tout[c]] - prefix[tin[c]]  # side b with the edge
    comp = prefix[forest.comp_hi[c]] - prefix[forest.comp_lo[c]]
    len_b, len_a = sub - le, comp - sub
    b_is_u = c == eu[forest.live]
    pick = {
        "u": lambda a_val, b_val: np.where(b_is_u, b_val, a_val),
        "v": lambda a_val, b_val: np.where(b_is_u, a_val, b_val),
    }
    return SplitLosses(
        live=forest.live,
        segment=seg_of_live[forest.live],
        loss_u={k: pick["u"](loss["a"][k], loss["b"][k]) for k in keys},
        loss_v={k: pick["v"](loss["a"][k], loss["b"][k]) for k in keys},
        length_u=pick["u"](len_a, len_b),
        length_v=pick["v"](len_a, len_b),
        edge_length=le,
        slow_sides=slow_total,
        fallbacks=eng_r.fallbacks - before,
        stats={"candidates": C, "augmented_zone_graph": eng_r.n_zg},
    )


# --------------------------------------------------------------------------------------------
# Repairs
# --------------------------------------------------------------------------------------------


@dataclass
class RepairEffects:
    """What repairing each open inoperable valve changes.

    Attributes
    ----------
    valves
        Valve indices (``flow.valves`` order) of the open valves that cannot be closed.
    before
        The burst consequence of every segment now (index segment; ``<weight>_lost``).
    affected
        Per valve: the segments whose burst area passed it (the only ones a repair changes).
    after
        Per valve: the consequence of those segments once it can be closed.
    """

    valves: np.ndarray
    before: pd.DataFrame
    affected: list[np.ndarray]
    after: list[pd.DataFrame]


#: The most work the repair ranking takes on: the sum, over the open inoperable valves, over
#: the segments whose burst area passed each, of the valves that area passed (each is a step
#: of its growth to redo). Beyond it -- a network with a large share of its valves marked
#: inoperable, where burst areas span much of the network -- the ranking is skipped with a
#: notice instead of running for many minutes.
MAX_REPAIR_WORK = 50_000


class RepairBudgetError(ValueError):
    """Too many segments to recompute for the repair ranking (see :data:`MAX_REPAIR_WORK`)."""


def repair_effects(net, segment_table=None, *, max_work: int | None = None) -> RepairEffects:
    """Every segment's burst consequence before and after repairing each inoperable valve.

    ``net`` needs ``engine`` and ``valve_operable`` (a :class:`~gasnet.network.Network`).
    ``segment_table``: the segments' losses if at hand (see
    :func:`gasnet.hazards.segment_consequence`).

    The consequence of every segment is computed once, recording which valves each grown
    area passed; repairing valve w recomputes only the segments whose area passed w (any
    other segment's growth never met w as a valve to pass, so it runs exactly as before).
    Complexity: one :func:`~gasnet.hazards.segment_consequence` of the whole network, plus
    one per valve over the segments it affects (their growth steps, local set removals).
    Raises :class:`RepairBudgetError` when those add up to more than ``max_work`` segments
    (default :data:`MAX_REPAIR_WORK`).
    """
    from .hazards import segment_consequence

    eng = net.engine
    S = eng.n_segments
    operable = np.asarray(net.valve_operable, bool)
    weak = np.flatnonzero(~operable & eng.valve_open)
    if segment_table is None:
        loss, _ = eng.segment_losses()
        segment_table = loss.assign(segment_id=np.arange(S))
    passed: dict[int, np.ndarray] = {}
    before = segment_consequence(net, np.arange(S), segment_table, passed=passed)
    by_valve: dict[int, list[int]] = {}
    for s, valves in sorted(passed.items()):
        for w in valves.tolist():
            by_valve.setdefault(w, []).append(s)
    # Each affected segment's area grows again past (about) the valves it passed before.
    grow = {s: len(valves) for s, valves in passed.items()}
    work = sum(grow[s] for w in weak.tolist() for s in by_valve.get(w, ()))
    max_work = MAX_REPAIR_WORK if max_work is None else max_work
    if work > max_work:
        raise RepairBudgetError(
            f"the repair ranking was skipped: the {len(weak)} open valves marked inoperable "
            f"({len(weak) / max(len(operable), 1):.0%} of the valves) pass each other in "
            f"{work:,} burst-area steps, more than {max_work:,} to recompute; check the "
            "valves' operable field (a "
            '[values."valves.operable"] mapping that reads most valves as inoperable?)'
        )
    affected, after = [], []
    for w in weak.tolist():
        segs = np.array(by_valve.get(w, []), np.int64)
        affected.append(segs)
        if len(segs):
            op = operable.copy()
            op[w] = True
            after.append(segment_consequence(net, segs, segment_table, operable=op))
        else:
            after.append(before.iloc[:0])
    return RepairEffects(weak, before, affected, after)


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------


def _segment_losses(eng, table=None) -> pd.DataFrame:
    """``<weight>_lost`` per segment: from ``table`` when it has one row per segment of the
    engine, in order (the ``segments`` layer), else from the engine."""
    cols = [f"{k}_lost" for k in eng.weights]
    if (
        table is not None
        and len(table) == eng.n_segments
        and {"segment_id", *cols} <= set(table.columns)
        and (
            pd.to_numeric(table["segment_id"], errors="coerce").to_numpy() == np.arange(len(table))
        ).all()
    ):
        return table[cols].reset_index(drop=True).astype(float)
    return eng.segment_losses()[0]


def _customer_nodes(net) -> np.ndarray:
    nodes = pd.to_numeric(net.layers["customers"]["node_id"], errors="coerce").fillna(-1)
    return nodes.to_numpy(np.int64)


def _live_rows(net) -> np.ndarray:
    """Position in the edges table of every edge of ``net.flow.live_edges``."""
    return pd.Index(net.layers["edges"]["edge_id"].to_numpy()).get_indexer(net.flow.live_edges)


def _segment_lengths(net) -> np.ndarray:
    eng = net.engine
    lengths = net.layers["edges"]["length_m"].to_numpy(float)[_live_rows(net)]
    seg = eng.zone_seg[eng.edge_zone]
    return np.bincount(seg, weights=lengths, minlength=eng.n_segments)


def _others_max(values: np.ndarray) -> np.ndarray:
    """Per element: the largest of the other elements (0 when there is none)."""
    if len(values) < 2:
        return np.zeros(len(values))
    order = np.argsort(-values, kind="stable")
    first, second = values[order[0]], values[order[1]]
    out = np.full(len(values), first, float)
    out[order[0]] = second
    return np.maximum(out, 0)


def _lonlat(crs, x, y) -> tuple[np.ndarray, np.ndarray]:
    from ._geo import to_wgs84

    if crs is None or not len(x):
        return np.full(len(x), np.nan), np.full(len(x), np.nan)
    lon, lat = to_wgs84(crs.to_string()).transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 7), np.round(lat, 7)


def _ranked(df: pd.DataFrame, keys: list[tuple[str, bool]], top, crs, columns):
    """Sort by ``keys`` ((column, ascending)...), keep ``top``, index ``rank`` (1..N)."""
    import geopandas as gpd

    if len(df):
        df = df.sort_values(
            [k for k, _ in keys], ascending=[a for _, a in keys], kind="stable"
        ).reset_index(drop=True)
    if top is not None:
        df = df.iloc[:top]
    df.index = pd.RangeIndex(1, len(df) + 1, name="rank")
    geometry = df["geometry"] if "geometry" in df else []
    body = {c: df[c] if c in df else pd.Series(dtype=float) for c in columns if c != "geometry"}
    return gpd.GeoDataFrame(body, geometry=list(geometry), crs=crs, index=df.index)


def valve_objectives(
    sp: SplitLosses, seg_loss: pd.DataFrame, seg_len: np.ndarray, offset_m: float = END_OFFSET_M
) -> pd.DataFrame:
    """The numbers of every candidate (one row each, in ``sp`` order), without geometry.

    ``seg_loss``: the engine's ``segment_losses()`` table; ``seg_len``: in-service length per
    segment; ``offset_m``: how far from the better end the valve goes (at most half the
    part). Columns: segment_id, near_v (the valve sits near the edge's v end), offset_m,
    ``<w>_lost_before`` / ``_after`` / ``_a`` / ``_b``, length_a_m, length_b_m,
    network_worst_after, exposure_before, exposure_after, local_reduction,
    exposure_reduction. O(C + S).
    """
    total = float(seg_len.sum())
    hh_s = seg_loss["households_lost"].to_numpy(float)
    exposure_sum, exposure_before = _exposure(seg_len, hh_s)
    s = sp.segment
    le = sp.edge_length
    d = np.minimum(offset_m, le / 2)
    hu, hv = sp.loss_u["households"], sp.loss_v["households"]
    near_v = hu < hv  # the u side (fewer households) takes almost the whole edge
    len_u = sp.length_u + np.where(near_v, le - d, d)
    len_v = sp.length_v + np.where(near_v, d, le - d)
    new_sum = exposure_sum - seg_len[s] * hh_s[s] + len_u * hu + len_v * hv
    cust = seg_loss["customers_lost"].to_numpy(float)
    out = pd.DataFrame({"segment_id": s, "near_v": near_v, "offset_m": d})
    for k in WEIGHTS:
        out[f"{k}_lost_before"] = seg_loss[f"{k}_lost"].to_numpy()[s].astype(np.int64)
        out[f"{k}_lost_after"] = np.maximum(sp.loss_u[k], sp.loss_v[k]).astype(np.int64)
    for k in WEIGHTS:
        out[f"{k}_lost_a"] = sp.loss_u[k].astype(np.int64)
        out[f"{k}_lost_b"] = sp.loss_v[k].astype(np.int64)
    out["length_a_m"], out["length_b_m"] = len_u, len_v
    worst = np.maximum(_others_max(cust)[s], out["customers_lost_after"].to_numpy())
    out["network_worst_after"] = worst.astype(np.int64)
    out["exposure_before"] = exposure_before
    out["exposure_after"] = new_sum / total if total > 0 else np.zeros(len(s))
    out["local_reduction"] = out["customers_lost_before"] - out["customers_lost_after"]
    out["exposure_reduction"] = exposure_before - out["exposure_after"]
    return out


def _order(objective: str, ids: list[str]) -> list[tuple[str, bool]]:
    """Sort keys (column, ascending) of a ranking; exposure gains rounded against float
    noise (``_gain``)."""
    if objective == "worst":
        keys = [("network_worst_after", True), ("local_reduction", False), ("_gain", False)]
    else:
        keys = [("_gain", False), ("local_reduction", False)]
    return keys + [(c, True) for c in ids]


def advise_valves(
    net,
    *,
    objective: str = "worst",
    top: int | None = None,
    per_segment: bool = True,
    segment_table=None,
):
    """Where one added valve most reduces the worst case, or the households exposed.

    Parameters
    ----------
    net
        A :class:`~gasnet.network.Network` (its layers ``nodes``, ``edges``, ``pipes``,
        ``customers``, and ``flow`` / ``engine``).
    objective
        ``"worst"`` (default) or ``"exposure"`` (module docstring).
    top
        Keep the first ``top`` rows (a positive int; None: all).
    per_segment
        One row per segment, its best position (default); False: every candidate.
    segment_table
        The segments' losses if at hand (the ``segments`` layer, or ``segment_losses()``
        with a segment_id column: see :func:`gasnet.hazards.segment_consequence`).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``rank`` (1..N); columns :data:`VALVE_COLUMNS`: pipe_id, edge_id, segment_id
        (the segment split), position_m (along the pipe from its first vertex; for a
        multi-part pipe along the part ``pipe_part``, 1-based, else empty), near_node and
        offset_m (the valve sits offset_m from that end of the edge), x, y (working CRS),
        lon, lat (WGS84), ``<w>_lost_before`` (L(S)) and ``<w>_lost_after`` (the larger of
        the two new segments' losses) for w in customers, households, critical;
        ``<w>_lost_a`` / ``_b`` (side a: the edge's u end, side b: its v end),
        length_a_m / length_b_m (the two new segments' lengths with the valve placed),
        network_worst_after (the largest customers_lost of any segment once it is added),
        exposure_before / exposure_after (households exposed), reduction (``worst``: the
        local customers_lost reduction; ``exposure``: the exposure reduction), geometry
        (Point). No candidate: an empty table with these columns.

    Notes
    -----
    Exact and without a network search per candidate (:func:`split_losses`): O((n + m) log
    n) plus a constant per candidate for all but the few whose halves need a local set
    removal. ``result.attrs`` holds counts (candidates, slow sides, fallbacks).
    """
    import shapely

    from .validate import geoms

    _check(objective, top)
    flow, eng = net.flow, net.engine
    nodes, edges = net.layers["nodes"], net.layers["edges"]
    sp = split_losses(flow, eng, nodes, edges, _customer_nodes(net))
    crs = edges.crs
    seg_loss = _segment_losses(eng, segment_table)
    # A valve digitised within the snapping tolerance of a pipe end is put on that node by
    # the build (a junction valve), so the advised one keeps twice the tolerance from it.
    tol = float(net.graph_attrs.get("snap_tolerance_m") or 0.0)
    offset = max(END_OFFSET_M, 2 * tol)
    out = valve_objectives(sp, seg_loss, _segment_lengths(net), offset)
    rows = _live_rows(net)[sp.live]
    out.insert(0, "pipe_id", edges["pipe_id"].to_numpy(object)[rows])
    out.insert(1, "edge_id", edges["edge_id"].to_numpy()[rows])
    gain = out["exposure_reduction"].to_numpy()
    out["reduction"] = out["local_reduction"] if objective == "worst" else gain
    out["_gain"] = np.round(gain, 9)
    # Where the valve goes: offset_m from the better end of the edge.
    near_v, le = out["near_v"].to_numpy(bool), sp.edge_length
    frac = np.where(le > 0, out["offset_m"] / np.where(le > 0, le, 1), 0.5)
    point = shapely.line_interpolate_point(
        geoms(edges)[rows], np.where(near_v, 1 - frac, frac), normalized=True
    )
    out["near_node"] = np.where(near_v, edges["v"].to_numpy()[rows], edges["u"].to_numpy()[rows])
    out["x"], out["y"] = shapely.get_x(point), shapely.get_y(point)
    out["lon"], out["lat"] = _lonlat(crs, out["x"].to_numpy(), out["y"].to_numpy())
    out["position_m"], out["pipe_part"] = _along_pipe(net.layers["pipes"], out["pipe_id"], point)
    out["geometry"] = point
    keys = _order(objective, ["pipe_id", "edge_id"])
    if per_segment and len(out):
        out = out.sort_values(
            [k for k, _ in keys], ascending=[a for _, a in keys], kind="stable"
        ).drop_duplicates("segment_id", keep="first")
    res = _ranked(out, keys, top, crs, VALVE_COLUMNS)
    res["pipe_part"] = res["pipe_part"].astype("Int64")
    cust = seg_loss["customers_lost"].to_numpy()
    res.attrs.update(
        objective=objective,
        candidates=len(sp.live),
        slow_sides=sp.slow_sides,
        fallbacks=sp.fallbacks,
        network_worst_before=int(cust.max()) if len(cust) else 0,
        exposure_before=_exposure(_segment_lengths(net), seg_loss["households_lost"])[1],
    )
    return res


def _along_pipe(pipes, pipe_ids, points) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each point along its pipe from the first vertex, and for a multi-part
    pipe the (1-based) part it lies on, measured along that part."""
    import shapely

    from .validate import geoms

    pos = np.full(len(points), np.nan)
    part = np.full(len(points), np.nan)
    if not len(points):
        return pos, part
    at = pd.Index(pipes["pipe_id"].to_numpy(object)).get_indexer(pipe_ids.to_numpy(object))
    g = np.where(at >= 0, geoms(pipes)[np.maximum(at, 0)], None)
    ok = np.flatnonzero(at >= 0)
    multi = shapely.get_type_id(g[ok]) == shapely.GeometryType.MULTILINESTRING
    single = ok[~multi]
    pos[single] = shapely.line_locate_point(g[single], points[single])
    for i in ok[multi].tolist():
        parts = shapely.get_parts(g[i])
        j = int(np.argmin(shapely.distance(parts, points[i])))
        pos[i] = shapely.line_locate_point(parts[j], points[i])
        part[i] = j + 1
    return pos, part


def repair_objectives(eff: RepairEffects, seg_len: np.ndarray) -> pd.DataFrame:
    """The numbers of every open inoperable valve's repair (one row each, in ``eff.valves``
    order): valve (its index), segments_affected, segment_ids, ``<w>_lost_before`` /
    ``_after`` (the largest burst consequence among the affected segments, now and once
    repaired; 0 when none), network_worst_after, exposure_before, exposure_after,
    local_reduction, exposure_reduction. O(V S) at most (V valves, S segments).
    """
    before = eff.before
    hh = before["households_lost"].to_numpy(float)
    exposure_sum, exposure_before = _exposure(seg_len, hh)
    total = float(seg_len.sum())
    cust = before["customers_lost"].to_numpy(float)
    order = np.argsort(-cust, kind="stable").tolist()
    recs = []
    for w, segs, after in zip(eff.valves.tolist(), eff.affected, eff.after, strict=True):
        rec = {
            "valve": w,
            "segments_affected": len(segs),
            "segment_ids": ";".join(map(str, segs.tolist())),
        }
        for k in WEIGHTS:
            col = f"{k}_lost"
            rec[f"{col}_before"] = int(before[col].to_numpy()[segs].max()) if len(segs) else 0
            rec[f"{col}_after"] = int(after[col].to_numpy().max()) if len(segs) else 0
        hit = set(segs.tolist())
        rest = next((cust[i] for i in order if i not in hit), 0)
        rec["network_worst_after"] = int(max(rest, rec["customers_lost_after"]))
        delta = float((seg_len[segs] * (after["households_lost"].to_numpy() - hh[segs])).sum())
        rec["exposure_after"] = (exposure_sum + delta) / total if total > 0 else 0.0
        recs.append(rec)
    cols = [
        "valve",
        "segments_affected",
        "segment_ids",
        *(f"{k}_lost_{x}" for k in WEIGHTS for x in ("before", "after")),
        "network_worst_after",
        "exposure_after",
    ]
    out = pd.DataFrame(recs, columns=cols)
    for c in cols:
        if c not in ("segment_ids", "exposure_after"):
            out[c] = out[c].astype(np.int64)
    out["exposure_after"] = out["exposure_after"].astype(float)
    out.insert(len(out.columns) - 1, "exposure_before", exposure_before)
    out["local_reduction"] = out["customers_lost_before"] - out["customers_lost_after"]
    out["exposure_reduction"] = exposure_before - out["exposure_after"]
    return out


def _exposure(seg_len: np.ndarray, households: np.ndarray) -> tuple[float, float]:
    """(sum of length x households, that over the in-service length)."""
    total = float(seg_len.sum())
    s = float((seg_len * households).sum())
    return s, (s / total if total > 0 else 0.0)


def advise_repairs(net, *, objective: str = "worst", top: int | None = None, segment_table=None):
    """The open inoperable valves whose repair most reduces what a burst costs.

    A burst next to an open valve that cannot be closed isolates past it where live gas lies
    behind it (:func:`gasnet.hazards.segment_consequence`); repairing it shrinks those bursts.

    Parameters
    ----------
    net
        A :class:`~gasnet.network.Network`.
    objective
        ``"worst"``: ranked by the network's worst burst consequence (customers) once the
        valve is repaired, ascending, then the local reduction (the largest consequence among
        the segments it affects, before minus after), then the exposure reduction;
        ``"exposure"``: by the exposure reduction (sum over segments of length_m x
        households of the burst consequence / in-service length), then the local reduction.
    top
        Keep the first ``top`` rows (a positive int; None: all).
    segment_table
        The ``segments`` layer, if at hand (spares computing the segments' losses again).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``rank`` (1..N); columns :data:`REPAIR_COLUMNS`: valve_id, node_id,
        segments_affected (how many segments' burst area passes the valve), segment_ids
        (";"-joined), ``<w>_lost_before`` / ``_after`` (the largest burst consequence among
        those segments, now and once repaired), network_worst_after, exposure_before,
        exposure_after, reduction (``worst``: the local customers reduction; ``exposure``:
        the exposure reduction), x, y, lon, lat, geometry (the valve's Point). Every open
        inoperable valve on the network has a row (those affecting nothing last, with 0);
        normally-closed ones are left out (nothing to close).

    Notes
    -----
    Complexity: :func:`repair_effects` and :func:`repair_objectives`.
    """
    import shapely

    from .validate import geoms

    _check(objective, top)
    fg = net.flow
    try:
        eff = repair_effects(net, segment_table)
    except RepairBudgetError as exc:  # an empty ranking that says why
        import geopandas as gpd

        empty = gpd.GeoDataFrame(
            {c: [] for c in REPAIR_COLUMNS if c != "geometry"},
            geometry=[],
            crs=net.layers["nodes"].crs,
            index=pd.Index([], name="rank", dtype=np.int64),
        )
        empty.attrs.update(objective=objective, exposure_before=np.nan, skipped=str(exc))
        return empty
    out = repair_objectives(eff, _segment_lengths(net))
    vnode = fg.valves[out.pop("valve").to_numpy(np.int64)]
    out.insert(0, "valve_id", fg.asset_id[vnode].astype(object))
    out.insert(1, "node_id", vnode)
    gain = out["exposure_reduction"].to_numpy()
    out["reduction"] = out["local_reduction"] if objective == "worst" else gain
    out["_gain"] = np.round(gain, 9)
    nodes = net.layers["nodes"]
    at = pd.Index(nodes["node_id"].to_numpy()).get_indexer(vnode)
    pts = geoms(nodes)[at] if len(at) else np.empty(0, object)
    out["x"], out["y"] = shapely.get_x(pts), shapely.get_y(pts)
    out["lon"], out["lat"] = _lonlat(nodes.crs, out["x"].to_numpy(), out["y"].to_numpy())
    out["geometry"] = pts
    res = _ranked(out, _order(objective, ["valve_id"]), top, nodes.crs, REPAIR_COLUMNS)
    res.attrs.update(
        objective=objective,
        exposure_before=_exposure(_segment_lengths(net), eff.before["households_lost"])[1],
    )
    return res
