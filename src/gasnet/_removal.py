"""The isolation engine's set removal: exactly what is cut off when a set of zone-graph nodes
is removed (closed valves, emptied zones), without searching the whole network.

R, the union of the dominator subtrees of the removed set W, is lost for certain. Anything
else that is lost is reached only through R, so it suffices to settle the "at-risk" nodes,
the heads of arcs leaving R: if each is still supplied, exactly R is lost (take any path to a
node outside R; after its last visit to R it runs on from an at-risk node). An at-risk node
is certified supplied when its path in a certificate tree (:mod:`gasnet._dominators`) avoids
W, or when a backward search from it (not entering R) meets a certified node. A backward
search that ends without meeting one proves that everything it saw is cut off: those nodes
and their dominator subtrees join R, and their out-neighbours become at-risk in turn.

Cost per set: what it loses outside R plus short searches round the hole (R itself is never
listed: its weight is a difference of prefix sums); a search that exceeds
:attr:`SetRemoval.SEARCH_BUDGET` nodes gives up and one search from the root, O(n + m),
answers instead (counted in ``fallbacks``). The loops are compiled
(:func:`gasnet._kernels.settle_set`).
"""

from __future__ import annotations

import functools
import threading

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order

from ._arrays import csr, unique_keys


class SetRemoval:
    """Removal of node sets from the zone graph (a part of
    :class:`gasnet.isolation.IsolationEngine`: needs the zone graph of
    :class:`gasnet._partition.Partition` and the index of
    :class:`gasnet._dominators.DominatorIndex`)."""

    #: Backward searches that certify a neighbour as still supplied stop after this many nodes.
    SEARCH_BUDGET = 4000

    fallbacks = 0

    @functools.cached_property
    def _kernel_args(self) -> tuple:
        """The graph :func:`gasnet._kernels.settle_set` reads, as one tuple of arrays (the
        budget, :attr:`SEARCH_BUDGET`, is passed beside it: read at every call)."""
        return (
            self.tin,
            self.tout,
            np.asarray(self.pre, np.int64),
            self.cert_tin,
            self.cert_tout,
            *self._exits(),
            self.in_ptr,
            self.in_idx,
            self.out_ptr,
            self.out_idx,
        )

    @property
    def _workspace(self) -> tuple[np.ndarray, ...]:
        """Marks, buffers and stamp counters of :func:`gasnet._kernels.settle_set`, one set
        per thread: a call leaves its answer there, and another thread's call must not land
        on it before it is read (two users of one ``Network`` in a web service)."""
        from ._kernels import new_workspace

        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        work = getattr(local, "work", None)
        if work is None:
            work = local.work = new_workspace(self.n_zg)
        return work

    def _ids(self, W) -> np.ndarray:
        """``W`` as zone-graph ids ``0 .. n_zg-1`` (a negative id counts from the end, as in
        numpy and :meth:`_lost_full`); IndexError for any other: the compiled loops read
        without bounds checks."""
        W = np.asarray(W, np.int64).ravel()
        if len(W) and (W.min() < -self.n_zg or W.max() >= self.n_zg):
            bad = W[(W < -self.n_zg) | (W >= self.n_zg)][0]
            raise IndexError(f"zone-graph node {bad} out of range (0 .. {self.n_zg - 1})")
        return np.where(W < 0, W + self.n_zg, W)

    def _exits(self) -> tuple[np.ndarray, np.ndarray]:
        """For every node x, the arcs leaving its dominator subtree (heads outside sub(x)), as
        CSR.

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
        key = unique_keys(x * self.n_zg + b)
        return csr(key // self.n_zg, key % self.n_zg, self.n_zg)

    def _settle(self, W) -> tuple[np.ndarray, np.ndarray] | None:
        """(roots, further lost nodes) of the removal of ``W``: lost are the roots' dominator
        subtrees and the further nodes; ``None``: a search gave up (search from the root)."""
        from ._kernels import settle_set

        work = self._workspace
        nr, ne, ok = settle_set(self._ids(W), self._kernel_args, self.SEARCH_BUDGET, *work)
        if not ok:
            self.fallbacks += 1
            return None
        buf = work[1]
        return buf[0, :nr].copy(), buf[1, :ne].copy()

    def lost_by_removal(self, W) -> np.ndarray:
        """Zone-graph nodes that lose supply when the nodes ``W`` are removed (exact)."""
        W = np.asarray(W, np.int64)
        settled = self._settle(W)
        if settled is None:
            return self._lost_full(W)
        roots, extra = settled
        return np.concatenate([*(self.pre[self.tin[r] : self.tout[r]] for r in roots), extra])

    def lost_totals(self, W) -> dict[str, float]:
        """The weights lost when the nodes ``W`` are removed (:meth:`lost_by_removal`, summed
        from the subtrees' prefix sums without listing them)."""
        settled = self._settle(W)
        if settled is None:
            return self._totals(self._lost_full(np.asarray(W, np.int64)))
        roots, extra = settled
        return {
            k: float((p[self.tout[roots]] - p[self.tin[roots]]).sum()) + self.total(extra, k)
            for k, p in self.prefix.items()
        }

    def lost_totals_many(
        self, ptr: np.ndarray, idx: np.ndarray, workers: int | None = None
    ) -> tuple[np.ndarray, ...]:
        """:meth:`lost_totals` of many removal sets at once, compiled
        (:func:`gasnet._kernels.settle_many`: no Python call per set), the sets shared
        round-robin among ``workers`` threads (default: ``NUMBA_NUM_THREADS``, one per core
        unless set), each with its own workspace; the compiled batch releases the GIL.

        Set i is ``idx[ptr[i]:ptr[i + 1]]`` (zone-graph nodes). Returns (totals, decided):
        ``totals[i, j]`` the weight ``j`` (in the order of ``weights``) lost, for the sets
        ``decided[i]``; for the others a search gave up (:meth:`lost_totals` answers them).
        """
        from numba import config

        from ._kernels import settle_many

        ptr, idx = np.asarray(ptr, np.int64), self._ids(idx)
        B = max(len(ptr) - 1, 0)
        keys = list(self.weights)
        totals, decided = np.zeros((B, len(keys))), np.ones(B, bool)
        args = (
            ptr,
            idx,
            self._kernel_args,
            self.SEARCH_BUDGET,
            np.stack([self.prefix[k] for k in keys]),
            np.stack([self.node_weight[k] for k in keys]),
        )
        workers = max(1, min(config.NUMBA_NUM_THREADS if workers is None else workers, B))
        if workers == 1:
            settle_many(*args, 0, 1, totals, decided)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                for _ in pool.map(
                    lambda w: settle_many(*args, w, workers, totals, decided), range(workers)
                ):
                    pass
        return totals, decided

    def is_lost(self, W, query: np.ndarray) -> np.ndarray:
        """Per node of ``query``: does it lose supply when the nodes ``W`` are removed?
        (:meth:`lost_by_removal` without listing the lost subtrees.)"""
        query = np.asarray(query, np.int64)
        settled = self._settle(W)
        if settled is None:
            return np.isin(query, self._lost_full(np.asarray(W, np.int64)))
        roots, extra = settled
        t = self.tin[query]
        out = np.isin(query, extra)
        for r in roots.tolist():
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
