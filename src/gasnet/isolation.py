"""Valve isolation: supply, valve-bounded segments, closures, bursts and criticality.

The network is held as arrays (:class:`FlowGraph`): every in-service pipe part is a pair of
arcs; a regulator is split into an inlet node (its higher-pressure pipes) and an outlet node
(its lower-pressure pipes) joined by one arc inlet -> outlet, so gas never flows back up; a
closed valve removes its node. A customer has supply iff a path leads from a source to its
attachment node (DESIGN.md, "Network semantics").
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .topology import _rank

__all__ = ["FlowGraph", "components_without_source"]

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
        rank = _rank(edges["pressure_class"].to_numpy(object)[live])
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

    def owner(self, flow_node: np.ndarray) -> np.ndarray:
        """Network node of each flow node (a regulator outlet belongs to its regulator)."""
        own = np.arange(self.n)
        own[self.outlet[self.regulators]] = self.regulators
        return own[flow_node]

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


def components_without_source(topo):
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
