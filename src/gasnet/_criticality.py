"""The isolation engine's whole-network results: the loss of every segment and what every
valve failing to close costs, as arrays for the tables of :func:`gasnet.isolation.segment_table`.

Most answers come straight from the dominator index, vectorised: a segment whose removal is
one dominator subtree, a valve whose far side one side already cuts off. The rest go to the
compiled set removal in one batch (:meth:`gasnet._removal.SetRemoval.lost_totals_many`); the
few sets it gives up on, one by one. Cost: O(n + m) arrays plus the set removals' work; no
Python-level work per valve or per tree node on the common path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import gather_positions, unique_keys


class WholeNetwork:
    """Segment losses and valve failures (a part of
    :class:`gasnet.isolation.IsolationEngine`)."""

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
        multi = self._multi_sided
        root_of = np.full(S, -1, np.int64)
        # (a) One zone and only two-sided valves: removing the zone removes everything its
        # valves could pass on, so the loss is the zone's subtree (with or without a source).
        a = (zones_per == 1) & ~multi
        root_of[a] = zone_of_seg[a]
        # (b) No source, and one boundary valve dominates the others (one valve, or a valve in
        # front of them): every way into the segment passes it, so its subtree is the loss.
        if len(seg):
            from ._kernels import first_max_per_group

            t = self.tin[vnode]  # (seg is sorted: one group of valves per segment)
            starts = np.r_[np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]]), len(seg)]
            cand = vnode[first_max_per_group(starts, -t[:, None])]  # the first in preorder
            last_t = np.maximum.reduceat(t, starts[:-1])
            min_t = np.minimum.reduceat(t, starts[:-1])
            sb = seg[starts[:-1]]
            ok = (min_t >= 0) & (last_t < self.tout[cand]) & ~has_src[sb] & (root_of[sb] < 0)
            root_of[sb[ok]] = cand[ok]
        out = {f"{k}_lost": np.zeros(S) for k in self.weights}
        fast = root_of >= 0
        for k in self.weights:
            out[f"{k}_lost"][fast] = self.subtree_total(root_of[fast], k)
        slow = np.flatnonzero(~fast)
        totals = self._settle_all(*self.removal_sets(np.arange(len(slow)), slow, len(slow)))
        for j, k in enumerate(self.weights):
            out[f"{k}_lost"][slow] = totals[:, j]
        return pd.DataFrame(out), root_of

    def _settle_all(self, ptr: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Lost weights (sets x weights) of the removal sets ``idx[ptr[i]:ptr[i + 1]]``: in
        one compiled batch; the few sets it gives up on one by one (each distinct set once:
        valves side by side between two segments share one)."""
        totals, decided = self.lost_totals_many(ptr, idx)
        cache: dict[tuple, list] = {}
        for i in np.flatnonzero(~decided).tolist():
            W = idx[ptr[i] : ptr[i + 1]]
            key = tuple(sorted(set(W.tolist())))
            if key not in cache:
                cache[key] = list(self.lost_totals(W).values())
            totals[i] = cache[key]
        return totals

    def live_behind(self, valve: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Per (open valve, segment it bounds) pair: is the valve still reached by gas once
        that segment is emptied (its zones removed)? Then a burst there cannot do without
        closing it (:func:`gasnet.operations.plan_isolation` asks the same question).

        Decided in numpy for almost every pair: a valve dominated by a zone of the segment is
        cut off; one whose path in a certificate tree avoids the segment's zones is
        reached (for a one-zone segment the first test alone is exact). The rest are
        settled one segment at a time (:meth:`is_lost`).
        """
        x = self.n_zones + valve
        zptr, zones = self.segment_zones
        # Every (pair, zone of its segment), vectorised.
        count = zptr[seg + 1] - zptr[seg]
        pair = np.repeat(np.arange(len(seg)), count)
        z = zones[gather_positions(zptr[seg], count)]
        xp = x[pair]

        def any_inside(tin, tout):
            hit = np.zeros(len(seg), bool)
            np.logical_or.at(hit, pair, (tin[z] <= tin[xp]) & (tin[xp] < tout[z]))
            return hit

        reached = self.reached[x]
        dead = ~reached | any_inside(self.tin, self.tout)
        live = ~dead & (count == 1)
        certain = dead | live
        for tin, tout in zip(self.cert_tin, self.cert_tout, strict=True):
            certain |= (tin[x] >= 0) & ~any_inside(tin, tout)
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
        key = unique_keys(self.vz_valve * max(S, 1) + self.zone_seg[self.vz_zone])
        v_of, s_of = key // max(S, 1), key % max(S, 1)
        o = self.valve_open[v_of]
        v_of, s_of = v_of[o], s_of[o]
        if len(v_of):
            base = np.column_stack([seg_loss[f"{k}_lost"].to_numpy() for k in keys])
            live = self.live_behind(v_of, s_of)
            joined = self._joined_losses(v_of, s_of, live, base, root_of)
            pair_loss = np.where(live[:, None], joined[v_of], base[s_of])
            pair_extra = pair_loss - base[s_of]
            from ._kernels import first_max_per_group

            # The worst side of each valve: most loss, weight by weight, then most extra.
            starts = np.r_[np.flatnonzero(np.r_[True, v_of[1:] != v_of[:-1]]), len(v_of)]
            first = first_max_per_group(starts, np.hstack([pair_loss, pair_extra]))
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
        todo = np.flatnonzero(need & ~hit)
        # The removal set of each: with two-sided valves only, the segments' zones (removing
        # them removes what the valves pass on); else zones and open boundary valves but k.
        simple_seg = (zones_per == 1) & ~self._multi_sided
        whole = np.ones(nv, bool)
        np.logical_and.at(whole, v_of, simple_seg[s_of])
        easy, hard = todo[whole[todo]], todo[~whole[todo]]
        easy_idx = zone_of_seg[s_of[gather_positions(vstart[easy], nseg[easy])]]
        pairs = gather_positions(vstart[hard], nseg[hard])
        owner = np.repeat(np.arange(len(hard)), nseg[hard])
        hptr, hidx = self.removal_sets(owner, s_of[pairs], len(hard), keep=v_of[pairs])
        ptr = np.r_[0, np.cumsum(nseg[easy]), len(easy_idx) + hptr[1:]]
        out[np.concatenate([easy, hard])] = self._settle_all(ptr, np.r_[easy_idx, hidx])
        return out
