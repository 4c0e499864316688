"""The isolation engine's dominator index: who cuts off whom, and certificates of supply.

In the zone graph (:mod:`gasnet._partition`) node x dominates y when every path from the
root to y passes x: removing x alone cuts y off. The dominator tree holds that for every
pair at once; numbered in preorder, what x dominates is one interval, so the weight x cuts
off is one subtraction of prefix sums. Spanning trees of the zone graph (breadth- and
depth-first, random breadth-first, one per source) certify a node as still supplied when
their path to it avoids what is removed (:mod:`gasnet._removal`).

Cost: the dominator tree O(m log n) (pendant trees peeled in vectorised rounds, Semi-NCA
compiled on the remaining core); every spanning tree and numbering O(n + m).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, depth_first_order

from ._arrays import csr, unique_keys

__all__ = ["DominatorIndex", "immediate_dominators", "tree_intervals"]


def tree_intervals(parent: np.ndarray, root: int) -> tuple[np.ndarray, ...]:
    """(preorder, tin, tout) of the tree given by ``parent`` (negative or the root itself:
    not a child; nodes off the tree get tin -1, tout 0).

    A node's subtree is ``preorder[tin[v]:tout[v]]``. O(n) whatever the tree's shape: the
    children bucketed by a counting sort, then one compiled iterative DFS
    (:func:`gasnet._kernels.tree_preorder`). (scipy's ``depth_first_order`` takes
    quadratic time on a node with many children: the dominator tree of a looped grid is a
    star, 50 s at 250,000 children.)
    """
    from ._kernels import tree_preorder

    return tree_preorder(np.asarray(parent, np.int64), root)


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
    rptr, ridx = csr(pre[heads[keep]], pre[tails[keep]], N)
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
    pairs = unique_keys(a * n + b)
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


class DominatorIndex:
    """The dominator tree of the zone graph, its prefix sums and the certificate trees
    (a part of :class:`gasnet.isolation.IsolationEngine`: needs the zone graph of
    :class:`gasnet._partition.Partition`).

    Attributes
    ----------
    idom, reached
        Immediate dominator of every zone-graph node (-1: not reached in the base state).
    pre, tin, tout
        Dominator-tree preorder; x dominates ``pre[tin[x]:tout[x]]``.
    prefix, node_weight
        Per weight: prefix sums in preorder; the weight at each node (base-supplied only).
    cert_tin, cert_tout
        (trees x nodes) the certificate trees' intervals (tin -1: not in that tree).
    """

    #: Random breadth-first certificate trees beside the BFS, DFS and per-source ones.
    EXTRA_TREES = 1
    #: At most this many per-source certificate trees (the first sources by zone).
    SOURCE_TREES = 8

    def _dominators(self, weights: dict[str, np.ndarray]) -> None:
        n, root = self.n_zg, self.root
        idom = immediate_dominators(self.tails, self.heads, n, root)
        self.idom = idom
        self.reached = idom >= 0
        self.pre, self.tin, self.tout = tree_intervals(np.where(self.reached, idom, -1), root)
        pre = self.pre
        # Prefix sums of the weights in preorder: a subtree's total is one subtraction.
        self.weights = {k: np.asarray(w, float) for k, w in weights.items()}
        self.prefix, self.node_weight = {}, {}
        ok = self.customer_zone >= 0
        for k, w in self.weights.items():
            per_node = np.zeros(n)
            np.add.at(per_node, self.customer_zone[ok], w[ok])
            per_node[~self.reached] = 0  # not supplied in the base state: cannot be lost
            self.node_weight[k] = per_node
            self.prefix[k] = np.concatenate([[0.0], np.cumsum(per_node[pre])])
        trees = [tree_intervals(p, root)[1:] for p in self._certificate_parents()]
        self.cert_tin = np.stack([t for t, _ in trees])
        self.cert_tout = np.stack([t for _, t in trees])

    def _certificate_parents(self):
        """Parent arrays of the certificate trees, each rooted at the root (-1: not in it).

        A BFS and a DFS tree run along different paths; BFS trees over arcs in a random
        order wander off both (on a looped grid the first BFS tree's subtrees are wide
        cones, and a hole's neighbours lie in them); and one tree per source, grown from
        that source alone, holds the way gas comes from each side (on a line fed from both
        ends the other trees all run from the nearer or the first end). Each O(n + m),
        compiled (:mod:`gasnet._kernels`).
        """
        from ._kernels import bfs_parents, dfs_parents, shuffled_arcs

        ptr, idx, root = self.out_ptr, self.out_idx, self.root
        yield bfs_parents(ptr, idx, root, -1)
        yield dfs_parents(ptr, idx, root)
        for seed in range(self.EXTRA_TREES):
            yield bfs_parents(ptr, shuffled_arcs(ptr, idx, seed), root, -1)
        if len(self.source_zones) > 1:
            for z in self.source_zones[: self.SOURCE_TREES].tolist():
                parent = bfs_parents(ptr, idx, z, root)
                parent[z] = root
                yield parent

    def subtree_total(self, nodes: np.ndarray, key: str) -> np.ndarray:
        """Weight ``key`` dominated by each node (what its removal alone cuts off)."""
        p = self.prefix[key]
        nodes = np.asarray(nodes)
        ok = self.tin[nodes] >= 0
        out = np.zeros(len(nodes))
        out[ok] = p[self.tout[nodes[ok]]] - p[self.tin[nodes[ok]]]
        return out

    def total(self, nodes: np.ndarray, key: str) -> float:
        """Weight ``key`` of the zone-graph nodes ``nodes`` (base-supplied customers)."""
        return float(self.node_weight[key][nodes].sum()) if len(nodes) else 0.0

    def _totals(self, nodes: np.ndarray) -> dict[str, float]:
        return {k: self.total(nodes, k) for k in self.weights}
