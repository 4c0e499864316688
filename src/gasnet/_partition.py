"""The isolation engine's partition: zones, segments and the zone graph.

A zone is the pipe parts connected without passing a valve or a regulator; a segment joins
the zones on either side of a regulator (what valves alone bound). The zone graph has one
node per zone, one per open valve and a super-source (the root, joined to every zone that
holds a source); a valve joins the zones it touches both ways, a regulator is a one-way arc
from its inlet zone to its outlet zone. Everything here is connected components and sorts:
O(n + m log m) for n flow nodes and m pipe parts.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from ._arrays import csr, gather_positions, unique_keys


class Partition:
    """Zones, segments and the zone graph of a :class:`gasnet.isolation.FlowGraph`.

    Attributes
    ----------
    n_zones, n_segments
        Zones ``0 .. n_zones-1``; segments ``0 .. n_segments-1``, numbered by their first
        edge so ids follow the edges table.
    edge_zone, node_zone, zone_seg
        The zone of every in-service edge and of every flow node (-1: a valve, or on no
        in-service pipe); the segment of every zone.
    vz_valve, vz_zone
        Every (valve index, zone it touches) pair; ``valve_sides`` counts them per valve.
    valve_open
        Per valve index: open in the base state.
    n_zg, root, tails, heads, out_ptr, out_idx, in_ptr, in_idx
        The zone graph: zones, then open valve k as ``n_zones + k``, then the root; its arcs
        and both CSR structures.
    source_zones, customer_zone
        Zones holding a source; the zone of every customer (-1: not attached).
    """

    def __init__(self, flow, customer_nodes: np.ndarray):
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
        pair = unique_keys(adj_v * (nz + 1) + adj_z) if len(adj_v) else np.empty(0, np.int64)
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
        key = unique_keys(tails * self.n_zg + heads)
        self.tails, self.heads = key // self.n_zg, key % self.n_zg
        self.out_ptr, self.out_idx = csr(self.tails, self.heads, self.n_zg)
        self.in_ptr, self.in_idx = csr(self.heads, self.tails, self.n_zg)
        self.source_zones = src_z
        cz = np.where(customer_nodes >= 0, self.node_zone[np.maximum(customer_nodes, 0)], -1)
        self.customer_zone = cz

    @property
    def customer_segment(self) -> np.ndarray:
        """Segment id of every customer (-1: not attached to an in-service pipe)."""
        cz = self.customer_zone
        out = np.full(len(cz), -1, np.int64)
        out[cz >= 0] = self.zone_seg[cz[cz >= 0]]
        return out

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
        return csr(self.zone_seg, np.arange(self.n_zones), self.n_segments)

    @functools.cached_property
    def _open_boundary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segment, valve index, indptr): the open boundary valves of every segment, sorted
        by segment; those of segment s are at ``indptr[s]:indptr[s + 1]``."""
        nv = len(self.flow.valves)
        o = self.valve_open[self.vz_valve]
        key = unique_keys(self.zone_seg[self.vz_zone[o]] * max(nv, 1) + self.vz_valve[o])
        seg, valve = key // max(nv, 1), key % max(nv, 1)
        return seg, valve, np.r_[0, np.cumsum(np.bincount(seg, minlength=self.n_segments))]

    @functools.cached_property
    def _multi_sided(self) -> np.ndarray:
        """Per segment: has an open boundary valve with three sides or more."""
        seg, valve, _ = self._open_boundary
        out = np.zeros(self.n_segments, bool)
        out[seg[self.valve_sides[valve] >= 3]] = True
        return out

    def removal_sets(
        self, owner: np.ndarray, segs: np.ndarray, n_owners: int, keep: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ptr, idx): for each owner i, the zone-graph nodes ``idx[ptr[i]:ptr[i + 1]]`` removed
        when the segments paired with it (``segs[j]`` for ``owner[j] == i``) are isolated
        together: their zones and open boundary valves, but the valve index ``keep[j]`` of
        each pair (a valve that fails to close). Vectorised over all owners; a node may
        appear twice in a set (a valve between two of its segments).
        """
        zptr, zones = self.segment_zones
        _, valve, vptr = self._open_boundary
        zc, vc = zptr[segs + 1] - zptr[segs], vptr[segs + 1] - vptr[segs]
        v = valve[gather_positions(vptr[segs], vc)]
        v_owner = np.repeat(owner, vc)
        if keep is not None:
            ok = v != np.repeat(keep, vc)
            v, v_owner = v[ok], v_owner[ok]
        keys = np.concatenate([np.repeat(owner, zc), v_owner])
        nodes = np.concatenate([zones[gather_positions(zptr[segs], zc)], self.n_zones + v])
        ptr = np.r_[0, np.cumsum(np.bincount(keys, minlength=n_owners))]
        return ptr, nodes[np.argsort(keys, kind="stable")]

    def segment_removal(self, segments, keep_valve: int = -1) -> np.ndarray:
        """Zone-graph nodes removed when ``segments`` are isolated: their zones (emptied of
        gas, so a source inside stops feeding) and their open boundary valves (closed), but
        ``keep_valve`` (a valve index that fails to close)."""
        segs = np.atleast_1d(np.asarray(segments, np.int64))
        one = np.zeros(len(segs), np.int64)
        return np.unique(self.removal_sets(one, segs, 1, keep=one + keep_valve)[1])
