"""Compiled kernels of the isolation engine (numba): the inherently sequential loops.

:func:`settle_set` is the exact removal of a set of zone-graph nodes (DESIGN.md,
"Algorithms"; :mod:`gasnet._removal` gives the argument) in compiled loops over arrays;
:func:`settle_many` runs it over many sets in one call, so a looped grid's 119,000 valve
failures cost no Python call each. Marks are stamped (an array of ints compared with a
counter that only grows) so nothing is cleared between sets or calls: the work per set is
proportional to what it touches.

No kernel uses numba's parallel threading layer: its OpenMP layer (GNU libgomp, the one
numba picks without TBB) kills a forked child that launches it again ("fork() called from a
process already using GNU OpenMP"), and multiprocessing forks by default on Linux. The
batch releases the GIL instead (``nogil``), and the caller runs its shares on Python threads.
The kernels read ids without bounds checks: callers pass only ids ``0 .. n-1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "bfs_parents",
    "counting_csr",
    "dfs_parents",
    "first_max_per_group",
    "new_workspace",
    "semi_nca",
    "settle_many",
    "settle_set",
    "shuffled_arcs",
    "tree_preorder",
]

_ROOTS, _LOST, _AT_RISK, _FRONTIER, _NEXT, _SEEN_LIST = 0, 1, 2, 3, 4, 5  # rows of the buffers


def new_workspace(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(marks, buffers, counters) for :func:`settle_set` on a graph of ``n`` nodes, reused
    from call to call (the stamps in ``counters`` only grow)."""
    return np.zeros((4, n), np.int64), np.empty((6, n), np.int64), np.zeros(2, np.int64)


@njit(cache=True)
def _inside(tin, r_lo, r_hi, y):
    """Is ``y`` inside one of the intervals [r_lo[i], r_hi[i]) of a tree numbered by tin?"""
    t = tin[y]
    for i in range(r_lo.shape[0]):
        if r_lo[i] <= t < r_hi[i]:
            return True
    return False


@njit(cache=True)
def _certified(cert_tin, c_lo, c_hi, y):
    """Does one of the spanning trees reach ``y`` by a path that avoids every root?"""
    for t in range(cert_tin.shape[0]):
        if cert_tin[t, y] >= 0 and not _inside(cert_tin[t], c_lo[t], c_hi[t], y):
            return True
    return False


@njit(cache=True)
def settle_set(members, graph, budget, marks, buf, counters):  # one routine, kept whole
    """What the removal of the zone-graph nodes ``members`` cuts off.

    ``graph`` is the tuple (tin, tout, pre, cert_tin, cert_tout, exit_ptr, exit_idx, in_ptr,
    in_idx, out_ptr, out_idx): ``tin`` / ``tout`` / ``pre``: the dominator tree's intervals
    and preorder;
    ``cert_tin`` / ``cert_tout`` (trees x nodes): spanning trees that certify a node as
    supplied when their path to it avoids the roots (tin -1: not in that tree);
    ``exit_*``: the arcs leaving each dominator subtree; ``in_*`` / ``out_*``: the zone
    graph (CSR); ``marks`` / ``buf`` / ``counters``: :func:`new_workspace`.

    Returns (nr, ne, ok): lost are the dominator subtrees of ``buf[0, :nr]`` (the roots)
    and the nodes ``buf[1, :ne]`` outside them; ``ok`` False when a backward search
    exceeded ``budget`` nodes (then the caller searches from the root instead).
    """
    tin, tout, pre, cert_tin, cert_tout, exit_ptr, exit_idx, in_ptr, in_idx, out_ptr, out_idx = (
        graph
    )
    extra_mark, safe_mark, risk_mark, seen_mark = marks[0], marks[1], marks[2], marks[3]
    roots, lost, at_risk = buf[_ROOTS], buf[_LOST], buf[_AT_RISK]
    frontier, nxt, seen_list = buf[_FRONTIER], buf[_NEXT], buf[_SEEN_LIST]
    counters[0] += 1
    stamp = counters[0]
    T = cert_tin.shape[0]
    # Roots: members not inside another member's dominator subtree.
    k = 0
    w = np.empty(members.shape[0], np.int64)
    for j in range(members.shape[0]):
        if tin[members[j]] >= 0:
            w[k] = members[j]
            k += 1
    w = w[:k]
    order = np.argsort(tin[w])
    nr = 0
    end = -1
    for j in range(k):
        x = w[order[j]]
        if tin[x] >= end:
            roots[nr] = x
            nr += 1
            end = tout[x]
    if nr == 0:
        return 0, 0, True
    r_lo = tin[roots[:nr]]
    r_hi = tout[roots[:nr]]
    c_lo = np.empty((T, nr), np.int64)
    c_hi = np.empty((T, nr), np.int64)
    for t in range(T):
        for j in range(nr):
            c_lo[t, j] = cert_tin[t, roots[j]]
            c_hi[t, j] = cert_tout[t, roots[j]]
    # At-risk: heads of arcs leaving the roots' subtrees.
    na = 0
    for j in range(nr):
        r = roots[j]
        for e in range(exit_ptr[r], exit_ptr[r + 1]):
            b = exit_idx[e]
            if risk_mark[b] != stamp:
                risk_mark[b] = stamp
                at_risk[na] = b
                na += 1
    ne = 0
    while na > 0:
        round_start = ne
        for ia in range(na):
            a = at_risk[ia]
            if safe_mark[a] == stamp or extra_mark[a] == stamp:
                continue
            if _inside(tin, r_lo, r_hi, a) or _certified(cert_tin, c_lo, c_hi, a):
                continue
            # Backward search from a, not entering the lost part.
            counters[1] += 1
            search = counters[1]
            seen_mark[a] = search
            seen_list[0] = a
            ns = 1
            frontier[0] = a
            nf = 1
            found = False
            while nf > 0 and not found:
                if ns > budget:
                    return nr, ne, False
                nx = 0
                for f in range(nf):
                    x = frontier[f]
                    tx = tin[x]
                    ox = tout[x]
                    for e in range(in_ptr[x], in_ptr[x + 1]):
                        y = in_idx[e]
                        if seen_mark[y] == search:
                            continue
                        if tx <= tin[y] < ox:
                            continue  # x dominates y: no way to x through it
                        if extra_mark[y] == stamp or _inside(tin, r_lo, r_hi, y):
                            continue
                        if safe_mark[y] == stamp or _certified(cert_tin, c_lo, c_hi, y):
                            found = True
                            break
                        seen_mark[y] = search
                        seen_list[ns] = y
                        ns += 1
                        nxt[nx] = y
                        nx += 1
                    if found:
                        break
                nf = nx
                for f in range(nx):
                    frontier[f] = nxt[f]
            if found:
                safe_mark[a] = stamp
                continue
            # Nothing that reaches a is supplied: all it saw is cut off, with its subtrees.
            for i2 in range(ns):
                x = seen_list[i2]
                if tin[x] < 0:  # (not supplied in the base state: nothing to lose)
                    continue
                for p in range(tin[x], tout[x]):
                    y = pre[p]
                    if extra_mark[y] != stamp and not _inside(tin, r_lo, r_hi, y):
                        extra_mark[y] = stamp
                        lost[ne] = y
                        ne += 1
        # The out-neighbours of what was just cut off are at risk in turn (a fresh dedupe
        # mark, -stamp, for this round's list).
        na = 0
        for i2 in range(round_start, ne):
            x = lost[i2]
            for e in range(out_ptr[x], out_ptr[x + 1]):
                b = out_idx[e]
                if extra_mark[b] == stamp or _inside(tin, r_lo, r_hi, b):
                    continue
                if risk_mark[b] != -stamp:
                    risk_mark[b] = -stamp
                    at_risk[na] = b
                    na += 1
        for i2 in range(na):
            risk_mark[at_risk[i2]] = stamp
    return nr, ne, True


@njit(cache=True, nogil=True)
def settle_many(ptr, idx, graph, budget, prefix, node_weight, first, step, totals, ok):
    """Lost weights of the removal sets ``idx[ptr[i]:ptr[i+1]]`` (:func:`settle_set`) for
    i = first, first + step, ... (one worker's share; the GIL is released, so the caller runs
    the shares on threads), with a workspace of its own.

    ``prefix`` (weights x (n + 1)): prefix sums in dominator preorder; ``node_weight``
    (weights x n). Writes ``totals[i]`` (weights) and ``ok[i]``: False where
    :func:`settle_set` gave up (the caller searches from the root instead); ``totals``
    starts at zero.
    """
    B = ptr.shape[0] - 1
    K = prefix.shape[0]
    tin, tout = graph[0], graph[1]
    n = tin.shape[0]
    marks = np.zeros((4, n), np.int64)
    buf = np.empty((6, n), np.int64)
    counters = np.zeros(2, np.int64)
    for s in range(first, B, step):
        nr, ne, done = settle_set(idx[ptr[s] : ptr[s + 1]], graph, budget, marks, buf, counters)
        if not done:
            ok[s] = False
            continue
        ok[s] = True
        for j in range(nr):
            r = buf[_ROOTS, j]
            for q in range(K):
                totals[s, q] += prefix[q, tout[r]] - prefix[q, tin[r]]
        for j in range(ne):
            for q in range(K):
                totals[s, q] += node_weight[q, buf[_LOST, j]]


@njit(cache=True)
def semi_nca(rptr, ridx, par):
    """Immediate dominators in DFS preorder numbering by Semi-NCA (Georgiadis 2005).

    ``rptr`` / ``ridx``: the predecessors of each node (CSR, preorder numbers); ``par``: the
    DFS parent of each node (-1 for the root, preorder 0). Lengauer-Tarjan semidominators
    with path compression (simple linking), then each node climbs its parent's dominator
    chain to its semidominator: O(m log n). Returns idom (preorder numbers; root: 0).
    """
    N = par.shape[0]
    semi = np.arange(N)
    label = np.arange(N)
    anc = np.full(N, -1, np.int64)
    path = np.empty(N, np.int64)
    for w in range(N - 1, 0, -1):
        sw = semi[w]
        for i in range(rptr[w], rptr[w + 1]):
            v = ridx[i]
            if anc[v] < 0:
                u = v
            else:  # eval(v) with path compression
                k = 0
                x = v
                while anc[anc[x]] >= 0:
                    path[k] = x
                    k += 1
                    x = anc[x]
                for j in range(k - 1, -1, -1):
                    x = path[j]
                    a = anc[x]
                    if semi[label[a]] < semi[label[x]]:
                        label[x] = label[a]
                    anc[x] = anc[a]
                u = label[v]
            if semi[u] < sw:
                sw = semi[u]
        semi[w] = sw
        anc[w] = par[w]
    idom = par.copy()
    idom[0] = 0
    for w in range(1, N):
        d = idom[w]
        sw = semi[w]
        while d > sw:
            d = idom[d]
        idom[w] = d
    return idom


@njit(cache=True)
def tree_preorder(parent, root):
    """(preorder, tin, tout) of the tree given by ``parent`` (negative, or the root itself:
    not a child): the children bucketed by a counting sort (in id order), then one iterative
    DFS. O(n) on any shape. A node's subtree is ``preorder[tin[v]:tout[v]]``; nodes off the
    tree get tin -1, tout 0.
    """
    n = parent.shape[0]
    ptr = np.zeros(n + 1, np.int64)
    for v in range(n):
        if parent[v] >= 0 and v != root:
            ptr[parent[v] + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:n].copy()
    kids = np.empty(ptr[n], np.int64)
    for v in range(n):
        p = parent[v]
        if p >= 0 and v != root:
            kids[fill[p]] = v
            fill[p] += 1
    tin = np.full(n, -1, np.int64)
    tout = np.zeros(n, np.int64)
    pre = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)  # next child to visit, per stacked node
    top = 0
    stack[0] = root
    pos[0] = ptr[root]
    tin[root] = 0
    pre[0] = root
    count = 1
    while top >= 0:
        v = stack[top]
        p = pos[top]
        if p < ptr[v + 1]:
            pos[top] = p + 1
            c = kids[p]
            tin[c] = count
            pre[count] = c
            count += 1
            top += 1
            stack[top] = c
            pos[top] = ptr[c]
        else:
            tout[v] = count
            top -= 1
    return pre[:count], tin, tout


@njit(cache=True)
def first_max_per_group(starts, vec):
    """Per group g (rows ``starts[g]:starts[g + 1]``): the first row whose ``vec`` is the
    greatest, compared column after column (what a stable sort by the columns, descending,
    puts first). O(rows x columns)."""
    out = np.empty(starts.shape[0] - 1, np.int64)
    for g in range(starts.shape[0] - 1):
        best = starts[g]
        for j in range(starts[g] + 1, starts[g + 1]):
            for q in range(vec.shape[1]):
                if vec[j, q] != vec[best, q]:
                    if vec[j, q] > vec[best, q]:
                        best = j
                    break
        out[g] = best
    return out


@njit(cache=True)
def counting_csr(tails, heads, n):
    """(indptr, indices) of the arcs tails -> heads grouped by tail, in their given order
    within a tail (as a stable sort would): a counting sort, O(n + m)."""
    ptr = np.zeros(n + 1, np.int64)
    for t in tails:
        ptr[t + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:n].copy()
    idx = np.empty(tails.shape[0], np.int64)
    for i in range(tails.shape[0]):
        t = tails[i]
        idx[fill[t]] = heads[i]
        fill[t] += 1
    return ptr, idx


@njit(cache=True)
def bfs_parents(ptr, idx, start, skip):
    """Parent of every node in the breadth-first tree from ``start`` over the arcs
    ``idx[ptr[x]:ptr[x+1]]`` of each x, never entering ``skip`` (-1: none). -1: not reached
    (and for ``start``). O(n + m)."""
    n = ptr.shape[0] - 1
    parent = np.full(n, -1, np.int64)
    seen = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    seen[start] = True
    if skip >= 0:
        seen[skip] = True
    queue[0] = start
    head, tail = 0, 1
    while head < tail:
        x = queue[head]
        head += 1
        for e in range(ptr[x], ptr[x + 1]):
            y = idx[e]
            if not seen[y]:
                seen[y] = True
                parent[y] = x
                queue[tail] = y
                tail += 1
    return parent


@njit(cache=True)
def dfs_parents(ptr, idx, start):
    """Parent of every node in the depth-first tree from ``start`` (the node on top of the
    stack when it was first seen); -1: not reached (and for ``start``). O(n + m)."""
    n = ptr.shape[0] - 1
    parent = np.full(n, -1, np.int64)
    seen = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)
    seen[start] = True
    stack[0] = start
    pos[0] = ptr[start]
    top = 0
    while top >= 0:
        x = stack[top]
        e = pos[top]
        if e < ptr[x + 1]:
            pos[top] = e + 1
            y = idx[e]
            if not seen[y]:
                seen[y] = True
                parent[y] = x
                top += 1
                stack[top] = y
                pos[top] = ptr[y]
        else:
            top -= 1
    return parent


@njit(cache=True)
def shuffled_arcs(ptr, idx, seed):
    """``idx`` with each node's arcs in a random order (seeded: the same order every run)."""
    np.random.seed(seed)
    out = idx.copy()
    for x in range(ptr.shape[0] - 1):
        a = ptr[x]
        for i in range(ptr[x + 1] - 1, a, -1):
            j = a + np.random.randint(0, i - a + 1)
            out[i], out[j] = out[j], out[i]
    return out
