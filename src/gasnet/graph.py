"""The networkx model of the network and its documented round trip.

``graph_from_gdfs(nodes, edges)`` builds a :class:`networkx.MultiGraph`; ``graph_to_gdfs(G)``
is its inverse. Index rules: node ids are the integer ``node_id`` column; edges are keyed by
their integer ``edge_id`` (parallel pipes between two nodes are kept apart). Node attributes:
kind, asset_id, degree, x, y; edge attributes: every column of the edges table, with the
shapely ``geometry``. ``G.graph`` holds ``crs``, the build settings and the stages that ran.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .topology import EDGE_COLUMNS, NODE_COLUMNS
from .validate import geoms

__all__ = ["graph_from_gdfs", "graph_to_gdfs"]


def graph_from_gdfs(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, graph_attrs: dict | None = None
) -> nx.MultiGraph:
    """Build the networkx graph from the ``nodes`` and ``edges`` tables.

    Parameters
    ----------
    nodes, edges
        As written by ``gasnet build`` (layers ``nodes`` and ``edges``).
    graph_attrs
        Put into ``G.graph``; ``crs`` defaults to the nodes' CRS.

    Returns
    -------
    networkx.MultiGraph
        Undirected: regulator direction is a property of the pressure classes on each side
        (see :class:`gasnet.isolation.FlowGraph`).
    """
    G = nx.MultiGraph()
    G.graph.update(graph_attrs or {})
    G.graph.setdefault("crs", nodes.crs.to_string() if nodes.crs else None)
    xy = shapely.get_coordinates(geoms(nodes))
    cols = [c for c in nodes.columns if c not in ("node_id", "geometry")]
    data = nodes[cols].astype(object).where(nodes[cols].notna(), None)
    records = data.to_dict("records")
    for rec, nid, (x, y) in zip(records, nodes["node_id"].to_numpy(), xy, strict=True):
        rec["x"], rec["y"] = float(x), float(y)
        G.add_node(int(nid), **rec)
    ecols = [c for c in edges.columns if c != "geometry"]
    edata = edges[ecols].astype(object).where(edges[ecols].notna(), None)
    erecs = edata.to_dict("records")
    lines = geoms(edges)
    G.add_edges_from(
        (int(r["u"]), int(r["v"]), int(r["edge_id"]), {**r, "geometry": g})
        for r, g in zip(erecs, lines, strict=True)
    )
    return G


def graph_to_gdfs(G: nx.MultiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The inverse of :func:`graph_from_gdfs`: (nodes, edges) GeoDataFrames sorted by id."""
    crs = G.graph.get("crs")
    ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    attrs = pd.DataFrame.from_records([d for _, d in G.nodes(data=True)])
    attrs.insert(0, "node_id", ids)
    pts = shapely.points(attrs.pop("x").to_numpy(float), attrs.pop("y").to_numpy(float))
    nodes = gpd.GeoDataFrame(attrs, geometry=pts, crs=crs).sort_values("node_id")
    recs = [d for _, _, d in G.edges(data=True)]
    edges = pd.DataFrame.from_records(recs)
    geom = edges.pop("geometry").to_numpy(object)
    edges = gpd.GeoDataFrame(edges, geometry=list(geom), crs=crs).sort_values("edge_id")
    cols = [c for c in EDGE_COLUMNS if c in edges] + [c for c in edges if c not in EDGE_COLUMNS]
    ncols = [c for c in NODE_COLUMNS if c in nodes] + [c for c in nodes if c not in NODE_COLUMNS]
    for col in ("node_id", "degree"):
        if col in nodes:
            nodes[col] = nodes[col].astype(np.int64)
    for col in ("edge_id", "u", "v"):
        edges[col] = edges[col].astype(np.int64)
    return nodes[ncols].reset_index(drop=True), edges[cols].reset_index(drop=True)
