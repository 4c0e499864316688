"""The analyst's entry point: ``gasnet.load("gasnet.toml")`` -> :class:`Network`."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from . import store
from .config import Config, read_config
from .graph import graph_from_gdfs
from .isolation import FlowGraph

__all__ = ["Network", "build_network", "load"]


class Network:
    """The one map: canonical layers, the node / edge tables and the graph, in one object.

    Attributes
    ----------
    pipes, valves, sources, regulators, customers, hazards
        Canonical layers (customers and assets carry ``node_id``; customers ``has_supply``).
    nodes, edges
        The network tables (see :mod:`gasnet.topology`).
    graph
        The networkx MultiGraph (built on first use; see :mod:`gasnet.graph`).
    quality_issues
        The quality report.
    metadata
        ``run_metadata`` as read with the layers (after :func:`load`; else empty).
    """

    def __init__(
        self,
        layers: dict[str, gpd.GeoDataFrame],
        config: Config | None = None,
        graph_attrs: dict | None = None,
    ):
        self.config = config
        self.layers = layers
        self.graph_attrs = dict(graph_attrs or {})
        self.metadata: dict[str, str] = {}
        self.stamp: tuple | None = None  # which file load() read (store.stamp)
        for name, gdf in layers.items():
            setattr(self, name, gdf)

    def __repr__(self) -> str:
        return (
            f"<Network {len(self.pipes)} pipes, {len(self.valves)} valves, "
            f"{len(self.customers)} customers; {len(self.nodes)} nodes, "
            f"{len(self.edges)} edges>"
        )

    @cached_property
    def graph(self) -> nx.MultiGraph:
        """The networkx graph (``graph_from_gdfs(nodes, edges)``)."""
        return graph_from_gdfs(self.nodes, self.edges, self.graph_attrs)

    @cached_property
    def flow(self) -> FlowGraph:
        """The array form used by the isolation algorithms, with the base valve states."""
        fg = FlowGraph(self.nodes, self.edges)
        fg.set_base_closed(closed_valve_nodes(self.valves))
        return fg

    @cached_property
    def customer_nodes(self) -> np.ndarray:
        """Attachment node of every customer (-1: not attached)."""
        nodes = pd.to_numeric(self.customers["node_id"], errors="coerce").fillna(-1)
        return nodes.to_numpy(np.int64)

    @cached_property
    def engine(self):
        """The isolation engine for the base state (see :mod:`gasnet.isolation`)."""
        from .isolation import IsolationEngine, customer_weights

        return IsolationEngine(self.flow, self.customer_nodes, customer_weights(self.customers))

    @cached_property
    def edges_of_pipe(self) -> dict:
        """pipe_id -> positions of its edges in :attr:`edges`."""
        return (
            pd.Series(np.arange(len(self.edges)))
            .groupby(self.edges["pipe_id"].to_numpy(object))
            .indices
        )

    @cached_property
    def edge_live(self) -> np.ndarray:
        """Per edge: in service (carries gas)."""
        return (self.edges["status"] == "in_service").to_numpy()

    @cached_property
    def valve_operable(self) -> np.ndarray:
        """Per valve node of :attr:`flow` (``flow.valves`` order): can a crew close it?"""
        vid = self.flow.asset_id[self.flow.valves]
        op = self.valves.set_index("valve_id")["operable"].reindex(vid)
        return op.fillna(True).astype(bool).to_numpy()

    def isolate(self, valve_ids) -> pd.DataFrame:
        """Customers losing gas when these valves close (:func:`gasnet.operations.isolate`)."""
        from .operations import isolate

        return isolate(self, valve_ids)

    def burst(self, *, pipe=None, at=None, crs=None, fail=(), max_distance: float = 30.0):
        """Burst isolation plan (see :func:`gasnet.operations.burst`)."""
        from .operations import burst

        return burst(self, pipe=pipe, at=at, crs=crs, fail=fail, max_distance=max_distance)

    def criticality(self):
        """(segments, customer segment ids, valve_criticality) for the whole network."""
        from .isolation import segment_table

        return segment_table(self.engine, self.edges, self.customers, self.valves)

    def valve_nodes(self, valve_ids) -> np.ndarray:
        """Node ids of valves, with a clear error for unknown or unplaced ids."""
        from ._output import shown_list
        from .errors import UnknownAssetError

        table = self.valves.set_index("valve_id")["node_id"]
        ids = list(valve_ids)
        unknown = [v for v in ids if v not in table.index]
        if unknown:  # (ids from the command line: the first 8, on one line)
            raise UnknownAssetError(
                f"unknown valve id(s): {shown_list(unknown)}; valve ids look like "
                f"{shown_list(table.index[:3])} (see the valves layer)"
            )
        nodes = table.loc[ids]
        off = nodes[nodes.isna() | (nodes < 0)]
        if len(off):
            raise UnknownAssetError(
                f"valve(s) {shown_list(off.index)} are not on the network (see "
                "quality_issues: valve_off_pipe, asset_conflict); fix their position and rebuild"
            )
        return nodes.to_numpy(np.int64)


def build_network(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    snap_tolerance_m: float = 0.5,
    customer_max_distance_m: float = 60.0,
    report=None,
):
    """Build a :class:`Network` in memory from canonical layers (no files).

    Adds ``node_id`` to valves, sources and regulators and ``node_id``, ``edge_id``,
    ``attach_distance_m``, ``has_supply`` to customers (copies: ``layers`` is not modified).

    Returns
    -------
    (Network, Report)
        The network and the topology checks.
    """
    from .topology import build_topology

    topo, report = build_topology(
        layers,
        snap_tolerance_m=snap_tolerance_m,
        customer_max_distance_m=customer_max_distance_m,
        report=report,
    )
    if not (topo.nodes["kind"] == "source").any():
        from .errors import InputError

        n = len(layers["sources"])
        why = (
            "the sources layer is empty"
            if not n
            else f"none of the {n} stations in the sources layer lies on a pipe (see "
            "quality_issues, source_off_network and asset_conflict)"
        )
        raise InputError(
            f"sources: no station is on the network: {why}; nobody could have gas, so every "
            "isolation answer would be empty. Add the city gates and LNG / CNG stations to "
            "[layers.sources], or move them onto their pipes"
        )
    if not len(layers["customers"]):
        report.add(
            "no_customers",
            "warning",
            "customers",
            "the customers layer is empty: every segment and valve loses 0 customers",
            "configure [layers.customers] with the meters or buildings",
        )
    out = {name: layers[name] for name in layers}
    out["nodes"], out["edges"] = topo.nodes, topo.edges
    assets = topo.assets.set_index(["kind", "asset_id"])["node_id"]
    for name, idf, kind in (
        ("valves", "valve_id", "valve"),
        ("sources", "source_id", "source"),
        ("regulators", "regulator_id", "regulator"),
    ):
        gdf = layers[name].copy()
        key = pd.MultiIndex.from_arrays([[kind] * len(gdf), gdf[idf]])
        gdf["node_id"] = assets.reindex(key).fillna(-1).astype("int64").to_numpy()
        out[name] = gdf
    cust = layers["customers"].copy()
    for col in ("node_id", "edge_id", "attach_distance_m"):
        cust[col] = topo.customers[col].to_numpy()
    out["customers"] = cust
    crs = layers["pipes"].crs
    attrs = {
        "crs": crs.to_string() if crs else None,
        "snap_tolerance_m": snap_tolerance_m,
        "customer_max_distance_m": customer_max_distance_m,
    }
    net = Network(out, graph_attrs=attrs)
    node = cust["node_id"].to_numpy()
    reached = net.flow.supplied()
    cust["has_supply"] = (node >= 0) & reached[np.maximum(node, 0)]
    return net, report


def closed_valve_nodes(valves: pd.DataFrame) -> np.ndarray:
    """Node ids of the normally-closed valves that are on the network."""
    nodes = valves.loc[valves["normally"] == "closed", "node_id"]
    nodes = pd.to_numeric(nodes, errors="coerce").dropna()
    return nodes[nodes >= 0].to_numpy(np.int64)


_LAYERS = (
    "pipes",
    "valves",
    "sources",
    "regulators",
    "customers",
    "hazards",
    "nodes",
    "edges",
    "quality_issues",
)


#: Columns the incident answers rely on, checked when loading (a hand-edited or foreign file).
_NEEDED = {
    "nodes": ("node_id", "kind", "asset_id"),
    "edges": ("edge_id", "pipe_id", "u", "v", "length_m", "status"),
    "valves": ("valve_id", "node_id", "normally", "operable"),
    "customers": ("customer_id", "node_id", "name", "kind", "critical", "households"),
    "pipes": ("pipe_id",),
}


#: Layers of the later stages that :func:`load` can read too, with the stage that writes them.
_LATER = {"segments": "criticality", "valve_criticality": "criticality"}


def load(config: str | Path | Config = "gasnet.toml", *, also: tuple[str, ...] = ()) -> Network:
    """Load the built network from the config's GeoPackage (run ``gasnet run`` first).

    ``also`` names later layers to read from the same version of the file (``segments``,
    ``valve_criticality``); they become attributes of the network too.

    Raises :class:`~gasnet.errors.StageOrderError` when a stage has not run yet, and
    :class:`~gasnet.errors.OutputError` when the GeoPackage is damaged (rerun ``gasnet run``).
    Whether the raw data changed since is :func:`gasnet.pipeline.changed_inputs`.

    Examples
    --------
    >>> net = gasnet.load("gasnet.toml")            # doctest: +SKIP
    >>> net.customers.groupby("has_supply").size()  # doctest: +SKIP
    """
    config = config if isinstance(config, Config) else read_config(config)
    path, shown = config.gpkg, config.gpkg_target  # (a run's staging file is never named)
    stages = {name: "build" if name in ("nodes", "edges") else "ingest" for name in _LAYERS}
    stages |= {name: _LATER[name] for name in also}
    layers, meta, stamp = store.read_snapshot(path, stages, shown=shown)
    for name, layer in layers.items():
        # GDAL reads a layer whose CRS it cannot look up (a damaged gpkg_spatial_ref_sys) as
        # one without a CRS; gasnet always writes the working CRS.
        if isinstance(layer, gpd.GeoDataFrame) and layer.crs is None:
            raise store.damaged(shown, f"layer {name} has lost its CRS")
    for name, columns in _NEEDED.items():
        missing = [c for c in columns if c not in layers[name].columns]
        if missing:
            raise store.damaged(shown, f"layer {name} lacks {', '.join(missing)}")
    try:
        attrs = json.loads(meta.get("graph_attrs", "{}"))
    except (TypeError, ValueError):
        raise store.damaged(shown, "run_metadata graph_attrs is not JSON") from None
    net = Network(layers, config, attrs if isinstance(attrs, dict) else {})
    net.metadata, net.stamp = meta, stamp
    return net
