"""Compiled kernels of the isolation engine (numba): the inherently sequential loops.

:func:`settle_many` is :meth:`gasnet.isolation.IsolationEngine.lost_totals` for many removal
sets in one call: the same argument (DESIGN.md, "Algorithms"), in compiled loops over arrays,
so a looped grid's 119,000 valve failures cost no Python call each. Marks are stamped (an
array of ints compared with a counter) so nothing is cleared between sets: the work per set is
proportional to what it touches.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["semi_nca", "settle_many", "tree_preorder"]


@njit(cache=True)
def _inside(tin, tout, r_lo, r_hi, y):
    """Is ``y`` inside one of the intervals [tin[r], tout[r]) of the roots r_lo[:]?"""
    t = tin[y]
    for i in range(r_lo.shape[0]):
        if r_lo[i] <= t < r_hi[i]:
            return True
    return False


@njit(cache=True)
def settle_many(  # one sequential routine, kept whole
    ptr,
    idx,
    tin,
    tout,
    pre,
    cert_tin,
    cert_tout,
    exit_ptr,
    exit_idx,
    in_ptr,
    in_idx,
    out_ptr,
    out_idx,
    prefix,
    node_weight,
    budget,
):
    """Lost weights of each removal set ``idx[ptr[i]:ptr[i+1]]`` (zone-graph nodes).

    ``cert_tin`` / ``cert_tout`` (trees x nodes): the spanning trees that certify a node as
    supplied when its tree path avoids the set's roots (tin -1: not in the tree).
    ``prefix`` (weights x (n + 1)): prefix sums in dominator preorder; ``node_weight``
    (weights x n). Returns (totals (sets x weights), ok): ``ok[i]`` False when a backward
    search exceeded ``budget`` nodes (the caller searches from the root instead).
    """
    n = tin.shape[0]
    B = ptr.shape[0] - 1
    K = prefix.shape[0]
    T = cert_tin.shape[0]
    totals = np.zeros((B, K))
    ok = np.ones(B, np.bool_)
    extra_mark = np.zeros(n, np.int64)
    safe_mark = np.zeros(n, np.int64)
    risk_mark = np.zeros(n, np.int64)
    seen_mark = np.zeros(n, np.int64)
    search = 0
    frontier = np.empty(n, np.int64)
    nxt = np.empty(n, np.int64)
    seen_list = np.empty(n, np.int64)
    at_risk = np.empty(n, np.int64)
    newly = np.empty(n, np.int64)
    for s in range(B):
        stamp = s + 1
        # Roots: members not inside another member's dominator subtree.
        m = ptr[s + 1] - ptr[s]
        w = np.empty(m, np.int64)
        k = 0
        for j in range(ptr[s], ptr[s + 1]):
            if tin[idx[j]] >= 0:
                w[k] = idx[j]
                k += 1
        w = w[:k]
        order = np.argsort(tin[w])
        roots = np.empty(k, np.int64)
        nr = 0
        end = -1
        for j in range(k):
            x = w[order[j]]
            if tin[x] >= end:
                roots[nr] = x
                nr += 1
                end = tout[x]
        roots = roots[:nr]
        if nr == 0:
            continue
        r_lo = tin[roots]
        r_hi = tout[roots]
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
        failed = False
        while na > 0 and not failed:
            nn = 0
            for ia in range(na):
                a = at_risk[ia]
                if safe_mark[a] == stamp or extra_mark[a] == stamp:
                    continue
                if _inside(tin, tout, r_lo, r_hi, a):
                    continue
                # Certified: some tree's path to it avoids every root.
                cert = False
                if cert_tin[0, a] >= 0:
                    for t in range(T):
                        if not _inside(cert_tin[t], cert_tout[t], c_lo[t], c_hi[t], a):
                            cert = True
                            break
                if cert:
                    continue
                # Backward search from a, not entering the lost part.
                search += 1
                seen_mark[a] = search
                seen_list[0] = a
                ns = 1
                frontier[0] = a
                nf = 1
                found = False
                while nf > 0 and not found:
                    if ns > budget:
                        failed = True
                        break
                    nx = 0
                    for f in range(nf):
                        x = frontier[f]
                        tx = tin[x]
                        ox = tout[x]
                        for e in range(in_ptr[x], in_ptr[x + 1]):
                            y = in_idx[e]
                            if seen_mark[y] == search:
                                continue
                            ty = tin[y]
                            if tx <= ty < ox:
                                continue  # x dominates y: no way to x through it
                            if extra_mark[y] == stamp or _inside(tin, tout, r_lo, r_hi, y):
                                continue
                            good = safe_mark[y] == stamp
                            if not good and cert_tin[0, y] >= 0:
                                for t in range(T):
                                    if not _inside(cert_tin[t], cert_tout[t], c_lo[t], c_hi[t], y):
                                        good = True
                                        break
                            if good:
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
                if failed:
                    break
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
                        if extra_mark[y] != stamp and not _inside(tin, tout, r_lo, r_hi, y):
                            extra_mark[y] = stamp
                            newly[nn] = y
                            nn += 1
            if failed:
                break
            # The out-neighbours of what was just cut off are at risk in turn.
            na = 0
            for i2 in range(nn):
                x = newly[i2]
                for e in range(out_ptr[x], out_ptr[x + 1]):
                    b = out_idx[e]
                    if extra_mark[b] == stamp or _inside(tin, tout, r_lo, r_hi, b):
                        continue
                    if risk_mark[b] != -stamp:
                        risk_mark[b] = -stamp
                        at_risk[na] = b
                        na += 1
            # (next round: a fresh dedupe mark for the at-risk list)
            for i2 in range(na):
                risk_mark[at_risk[i2]] = stamp
            for i2 in range(nn):
                x = newly[i2]
                for q in range(K):
                    totals[s, q] += node_weight[q, x]
        if failed:
            ok[s] = False
            continue
        for j in range(nr):
            for q in range(K):
                totals[s, q] += prefix[q, r_hi[j]] - prefix[q, r_lo[j]]
    return totals, ok


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
def tree_preorder(child_ptr, child_idx, root, n):
    """(preorder, tin, tout) of a tree given by its children (CSR): one iterative DFS, O(n).

    A node's subtree is ``preorder[tin[v]:tout[v]]``; nodes off the tree get tin -1, tout 0.
    """
    tin = np.full(n, -1, np.int64)
    tout = np.zeros(n, np.int64)
    pre = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)  # next child to visit, per stacked node
    top = 0
    stack[0] = root
    pos[0] = child_ptr[root]
    tin[root] = 0
    pre[0] = root
    count = 1
    while top >= 0:
        v = stack[top]
        p = pos[top]
        if p < child_ptr[v + 1]:
            pos[top] = p + 1
            c = child_idx[p]
            tin[c] = count
            pre[count] = c
            count += 1
            top += 1
            stack[top] = c
            pos[top] = child_ptr[c]
        else:
            tout[v] = count
            top -= 1
    return pre[:count], tin, tout
