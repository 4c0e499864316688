"""Brute-force reference for the isolation engine: networkx, one full search per question.

Written independently of gasnet.isolation (its own regulator rule and segment definition),
straight from DESIGN.md "Network semantics": to isolate a segment is to close its boundary
valves and stop every source inside it.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

RANK = {"HP-A": 7, "HP-B": 6, "SHP-A": 5, "SHP-B": 4, "MP-A": 3, "MP-B": 2, "LP": 1}


class Reference:
    def __init__(self, nodes, edges, closed_base, customer_nodes, weights):
        self.kind = dict(zip(nodes["node_id"], nodes["kind"], strict=True))
        self.live = [
            (int(e.edge_id), int(e.u), int(e.v), RANK.get(e.pressure_class, 0))
            for e in edges.itertuples()
            if e.status == "in_service"
        ]
        self.closed_base = set(closed_base)
        self.cust = np.asarray(customer_nodes)
        self.weights = weights
        # Regulator direction: pipes below the highest class at the regulator hang on its outlet.
        # Only with every class at it known (rank > 0: None, NaN or an unknown label is 0) and
        # not all equal; else its direction is unknown and it passes gas both ways.
        self.reg_hi, self.reg_dir = {}, set()
        for r, k in self.kind.items():
            if k != "regulator":
                continue
            ranks = [rk for _, u, v, rk in self.live if r in (u, v)]
            if ranks and max(ranks) > min(ranks) > 0:
                self.reg_dir.add(r)
                self.reg_hi[r] = max(ranks)
        self.base = self.supplied(set())

    def port(self, node, rank):
        if node in self.reg_dir and rank < self.reg_hi[node]:
            return (node, "out")
        return (node, "in")

    def supplied(self, closed: set, removed_edges: frozenset = frozenset()) -> set:
        """Supplied network nodes with ``closed`` valves closed and ``removed_edges`` gone."""
        closed = closed | self.closed_base
        g = nx.DiGraph()
        for e, u, v, rk in self.live:
            if u in closed or v in closed or e in removed_edges:
                continue
            a, b = self.port(u, rk), self.port(v, rk)
            g.add_edge(a, b)
            g.add_edge(b, a)
        for r in self.reg_dir:
            g.add_edge((r, "in"), (r, "out"))
        out = set()
        for s, k in self.kind.items():
            if k == "source" and s in closed:
                continue
            if k == "source" and (s, "in") in g:
                out |= {s for s, _ in nx.descendants(g, (s, "in"))} | {s}
            elif k == "source":
                out.add(s)
        return out

    def customers_supplied(self, closed: set) -> np.ndarray:
        sup = self.supplied(closed)
        return np.array([c >= 0 and c in sup for c in self.cust.tolist()], dtype=bool)

    def lost(self, closed: set) -> dict:
        before = self.customers_supplied(set())
        after = self.customers_supplied(closed)
        gone = before & ~after
        return {k: float(w[gone].sum()) for k, w in self.weights.items()}

    def segments(self) -> list[frozenset]:
        """Maximal sets of live edges connected without passing a valve."""
        g = nx.Graph()
        for e, u, v, _ in self.live:
            g.add_node(("e", e))
            for x in (u, v):
                if self.kind[x] != "valve":
                    g.add_edge(("e", e), ("n", x))
        return [frozenset(x for t, x in comp if t == "e") for comp in nx.connected_components(g)]

    def boundary(self, seg: frozenset) -> set:
        return {
            x for e, u, v, _ in self.live if e in seg for x in (u, v) if self.kind[x] == "valve"
        }

    def sources_in(self, seg: frozenset) -> set:
        """Sources on the segment's pipes: isolating the segment stops them."""
        return {
            x for e, u, v, _ in self.live if e in seg for x in (u, v) if self.kind[x] == "source"
        }

    def isolate_segments(self, segs, failing=None) -> dict:
        """Weights lost when ``segs`` are isolated together: every boundary valve closes (but
        ``failing``) and every source inside stops."""
        closed = set().union(*(self.boundary(s) | self.sources_in(s) for s in segs))
        return self.lost(closed - {failing})
