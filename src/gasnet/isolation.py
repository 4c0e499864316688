"""Valve isolation: supply, valve-bounded segments, closures, bursts and criticality.

The network is held as arrays (:class:`FlowGraph`): every in-service pipe part is a pair of
arcs; a regulator is split into an inlet node (its higher-pressure pipes) and an outlet node
(its lower-pressure pipes) joined by one arc inlet -> outlet, so gas never flows back up; a
closed valve removes its node. A customer has supply iff a path leads from a source to its
attachment node (DESIGN.md, "Network semantics").
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order

from ._criticality import WholeNetwork
from ._dominators import DominatorIndex, immediate_dominators
from ._partition import Partition
from ._removal import SetRemoval
from .schema import pressure_rank

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "Criticality",
    "FlowGraph",
    "IsolationEngine",
    "immediate_dominators",
    "segment_table",
    "warm_up",
]

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


class IsolationEngine(Partition, DominatorIndex, SetRemoval, WholeNetwork):
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
    Four parts, one job each (DESIGN.md, "Algorithms"):
    :class:`~gasnet._partition.Partition` (zones, segments, the zone graph: O(n + m log m)),
    :class:`~gasnet._dominators.DominatorIndex` (the dominator tree and the certificate
    trees: O(m log n)), :class:`~gasnet._removal.SetRemoval` (what removing a set of nodes
    cuts off: proportional to what it touches) and
    :class:`~gasnet._criticality.WholeNetwork` (every segment's loss and every valve's
    failure: linear, plus the set removals).
    """

    def __init__(self, flow: FlowGraph, customer_nodes: np.ndarray, weights: dict[str, np.ndarray]):
        Partition.__init__(self, flow, customer_nodes)
        self._dominators(weights)


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


def _joined(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per key ``0 .. n-1``: its distinct values, sorted, joined with ";" ("" for none).

    One sort, then one pass over the groups (pandas' per-group aggregation took 25 s for the
    million segments and valves of a 1M-pipe grid).
    """
    pairs = pd.DataFrame({"k": keys, "v": values}).drop_duplicates().sort_values(["k", "v"])
    vals = pairs["v"].astype(str).tolist()
    bounds = np.searchsorted(pairs["k"].to_numpy(), np.arange(n + 1)).tolist()
    out = np.empty(n, dtype=object)
    out[:] = [";".join(vals[a:b]) for a, b in itertools.pairwise(bounds)]
    return out


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
    sz = engine.node_zone[fg.sources]
    sz_ok = sz >= 0
    segs = gpd.GeoDataFrame(
        {
            "segment_id": np.arange(S),
            "valve_ids": _joined(vs, vid[engine.vz_valve], S),
            "source_ids": _joined(
                engine.zone_seg[sz[sz_ok]], fg.asset_id[fg.sources[sz_ok]].astype(str), S
            ),
            "customers": own["customers"].astype(int),
            "households": own["households"].astype(int),
            "critical_customers": own["critical"].astype(int),
            "customers_lost": loss["customers_lost"].to_numpy().astype(int),
            "households_lost": loss["households_lost"].to_numpy().astype(int),
            "critical_lost": loss["critical_lost"].to_numpy().astype(int),
            "length_m": length,
        },
        geometry=geom,
        crs=edges.crs,
    )[[*SEGMENT_COLUMNS, "geometry"]]
    vt = pd.DataFrame(
        {
            "valve_id": vid,
            "node_id": fg.valves,
            "segment_ids": _joined(engine.vz_valve, vs, len(vid)),
        }
    )
    for k in ("customers", "households", "critical"):
        vt[f"{k}_lost_if_fails"] = fail[f"{k}_lost_if_fails"].to_numpy().astype(int)
        vt[f"extra_{k}_lost"] = fail[f"extra_{k}_lost"].to_numpy().astype(int)
    attrs = valves.set_index("valve_id")
    for col in ("normally", "operable"):
        vt[col] = attrs[col].reindex(vt["valve_id"]).to_numpy()
    return segs, cseg, vt[VALVE_COLUMNS]


def warm_up() -> None:
    """Compile every numba kernel of the engine (or load it from numba's cache) on a tiny
    network: ``make install`` runs it, so that a user's first ``gasnet criticality`` does not
    pay the compilation (about 15 s on a 2-core machine).

    A city gate (node 0), a pipe to node 1, a valve (node 2), a pipe to node 3: two segments,
    one customer each.
    """
    nodes = pd.DataFrame(
        {"node_id": range(4), "kind": ["source", "junction", "valve", "junction"], "asset_id": 0}
    )
    edges = pd.DataFrame(
        {"edge_id": range(3), "u": [0, 1, 2], "v": [1, 2, 3], "status": "in_service"}
    ).assign(pressure_class="MP-A")
    eng = IsolationEngine(FlowGraph(nodes, edges), np.array([1, 3]), {"customers": np.ones(2)})
    loss, root_of = eng.segment_losses()
    eng.valve_failures(loss, root_of)
    eng.lost_totals_many(np.array([0, 1]), np.array([0]))
    if eng.lost_totals([0]) != {"customers": 2.0}:  # the gate's zone: both customers
        raise RuntimeError("the isolation engine's compiled kernels give a wrong answer")
