"""The analyst's entry point: ``gasnet.load("gasnet.toml")`` -> :class:`Network`."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from ._output import clean_value
from .config import Config, read_config
from .graph import graph_from_gdfs
from .isolation import FlowGraph

if TYPE_CHECKING:
    from .hazards import Assessment
    from .isolation import Criticality
    from .operations import BurstResult, Isolation

__all__ = ["Network", "build_network", "load"]


#: The id column of each layer: its public view is indexed by it (column dropped).
INDEX: dict[str, str | list[str] | None] = {
    "pipes": "pipe_id",
    "valves": "valve_id",
    "sources": "source_id",
    "regulators": "regulator_id",
    "customers": "customer_id",
    "hazards": "hazard_id",
    "nodes": "node_id",
    "edges": "edge_id",
    "segments": "segment_id",
    "valve_criticality": "valve_id",
    "hazard_matches": ["hazard_id", "pipe_id"],
    "risk": "hazard_id",
    "quality_issues": None,
}

#: pandas >= 3 copies on write: a shallow copy of a view is then as safe as a deep one.
_COPY_ON_WRITE = (
    int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
)

#: Layers of the later stages :func:`load` reads when present and not older than the build,
#: with the stage that writes them; absent ones are computed on first use.
LATER = {
    "segments": "criticality",
    "valve_criticality": "criticality",
    "hazard_matches": "hazards",
    "risk": "hazards",
}


def as_ids(value, argument: str, *, empty: bool = False) -> list:
    """One id or many as a list, each once, in the order given: a ``str`` (or number) is one
    id, never its characters; a DataFrame gives its index (layers and results are indexed by
    id); ``None`` is no id.

    Raises :class:`~gasnet.errors.UnknownAssetError` naming ``argument`` for no id (unless
    ``empty``) or an item that cannot be an id (a list inside the list).
    """
    from .errors import UnknownAssetError

    if value is None:
        ids = []
    elif isinstance(value, str | bytes | int | np.integer):
        ids = [value]
    else:
        if isinstance(value, pd.DataFrame):
            value = value.index
        if isinstance(value, pd.Index | pd.Series | np.ndarray):
            value = value.tolist()
        try:
            ids = list(value)
        except TypeError:
            raise UnknownAssetError(f"{argument}={value!r}: give an id or a list of ids") from None
    ids = [i.decode() if isinstance(i, bytes) else i for i in ids]
    for i in ids:
        try:
            hash(i)
        except TypeError:
            raise UnknownAssetError(
                f"{argument}: {clean_value(repr(i))[:80]} is not an id; give one id or a flat "
                "list of ids"
            ) from None
    if not ids and not empty:
        raise UnknownAssetError(
            f"{argument}={'None' if value is None else '[]'}: give at least one id"
        )
    return list(dict.fromkeys(ids))


class _Layer:
    """A layer of :class:`Network` as a GeoDataFrame indexed by its asset id."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, net: Network | None, owner=None) -> gpd.GeoDataFrame:
        if net is None:
            return self  # type: ignore[return-value]
        return net._view(self.name)

    def __set__(self, net: Network, value: pd.DataFrame) -> None:
        net.replace_layer(self.name, value)


class _Table(_Layer):
    """A table of :class:`Network` without geometry (``hazard_matches``)."""

    def __get__(self, net: Network | None, owner=None) -> pd.DataFrame:  # type: ignore[override]
        return super().__get__(net, owner)


class Network:
    """The one map: the canonical layers, the network tables, the graph and every answer.

    Every layer is a GeoDataFrame **indexed by its asset id** (the id column becomes the
    index), so results join straight onto layers: ``net.pipes.join(...)``. Each access gives
    a new frame sharing the loaded data: changing it changes nothing; assign a changed one
    back (``net.valves = changed``, see :meth:`replace_layer`) to use it.

    Attributes
    ----------
    pipes, valves, sources, regulators, customers, hazards : geopandas.GeoDataFrame
        Canonical layers (README, "Canonical fields"), indexed by ``pipe_id``, ``valve_id``,
        ``source_id``, ``regulator_id``, ``customer_id``, ``hazard_id``. Assets carry
        ``node_id``; customers ``node_id``, ``edge_id``, ``attach_distance_m``,
        ``has_supply`` (and ``segment_id`` once criticality ran).
    nodes, edges : geopandas.GeoDataFrame
        The network tables, indexed by ``node_id`` / ``edge_id`` (see :mod:`gasnet.topology`).
    segments : geopandas.GeoDataFrame
        Valve-bounded segments, indexed by ``segment_id`` (README, "Isolation and
        criticality"): read from the GeoPackage when the criticality stage wrote it, else
        computed on first use.
    valve_criticality : geopandas.GeoDataFrame
        The impact of every valve failing to close, indexed by ``valve_id``, with the
        valve's point.
    hazard_matches : pandas.DataFrame
        Hazard record x pipe pairs within reach, indexed by (``hazard_id``, ``pipe_id``).
    risk : geopandas.GeoDataFrame
        Hazard records ranked for repair (README, "Hidden hazards"), indexed by
        ``hazard_id``, in rank order.
    quality_issues : geopandas.GeoDataFrame
        The quality report (one row per problem).
    graph : networkx.MultiGraph
        The network as a graph (:func:`gasnet.graph.graph_from_gdfs`).
    layers : dict
        The same tables with their id columns and a plain row index, as the pipeline uses
        them.
    metadata : dict
        ``run_metadata`` of the GeoPackage (after :func:`load`; else empty).

    Examples
    --------
    >>> net                                          # doctest: +ELLIPSIS
    <Network ... pipes, ... valves, ... customers; ... nodes, ... edges>
    >>> pipe = net.pipes.loc["GX0000051"]
    >>> pipe["pressure_class"], float(pipe["diameter_mm"])
    ('MP-A', 160.0)
    >>> lost = net.isolate("FM000283").customers    # results are indexed by id too
    >>> bool(net.customers.loc[lost.index, "households"].sum() == lost["households"].sum())
    True
    """

    pipes = _Layer()
    valves = _Layer()
    sources = _Layer()
    regulators = _Layer()
    customers = _Layer()
    hazards = _Layer()
    nodes = _Layer()
    edges = _Layer()
    segments = _Layer()
    valve_criticality = _Layer()
    hazard_matches = _Table()
    risk = _Layer()
    quality_issues = _Layer()

    def __init__(
        self,
        layers: dict[str, gpd.GeoDataFrame],
        config: Config | None = None,
        graph_attrs: dict | None = None,
    ):
        self.config = config
        self.layers = dict(layers)
        self.graph_attrs = dict(graph_attrs or {})
        self.metadata: dict[str, str] = {}
        self.stamp: tuple | None = None  # which file load() read (store.stamp)
        self._views: dict[str, tuple] = {}

    def __repr__(self) -> str:
        t = self.layers
        return (
            f"<Network {len(t['pipes'])} pipes, {len(t['valves'])} valves, "
            f"{len(t['customers'])} customers; {len(t['nodes'])} nodes, "
            f"{len(t['edges'])} edges>"
        )

    #: What is computed from the layers on first use (dropped when a layer is replaced).
    _CACHED = (
        "graph",
        "flow",
        "customer_nodes",
        "engine",
        "edges_of_pipe",
        "edge_live",
        "valve_operable",
        "_criticality_tables",
    )

    def replace_layer(self, name: str, value: pd.DataFrame) -> None:
        """Put ``value`` in place of layer ``name`` (also ``net.<name> = value``), indexed
        by its id or with the id column; what was computed from the old layer goes: new
        hazard records give a new ``risk`` (and drop the hazard roll-ups of ``pipes`` and
        ``segments``); a changed pipe, valve or customer layer a new engine, ``segments`` and
        everything after them. A pipe's status, pressure class, diameter and material reach
        its pipe parts (``edges``).

        Raises :class:`~gasnet.errors.InputError` for a frame without its id (column or
        index) or with an id twice, in another CRS than the network's (one without a CRS
        is taken as in it), a layer computed from the others (``segments``,
        ``valve_criticality``, ``hazard_matches``, ``risk``), and pipes, valves, sources or
        regulators added or removed: the nodes and edges were built from the old layer, so
        that needs a new build (``gasnet build``, or :func:`build_network`).
        """
        from ._output import shown_list
        from .errors import InputError

        if name in LATER:
            raise InputError(
                f"net.{name} is computed from the network (the {LATER[name]} stage); change "
                "the layers it comes from (pipes, valves, customers, hazards) instead"
            )
        if name not in INDEX:
            raise InputError(f"the network has no layer {name!r}; its layers: {', '.join(INDEX)}")
        if not isinstance(value, pd.DataFrame):
            raise InputError(f"net.{name} = {type(value).__name__}: give a GeoDataFrame")
        key = INDEX[name]
        keys = [key] if isinstance(key, str) else key or []
        if keys and not set(keys) <= set(value.columns) and list(value.index.names) == keys:
            value = value.reset_index()
        missing = [k for k in keys if k not in value.columns]
        if missing:
            raise InputError(
                f"net.{name} = ...: the frame has no {missing[0]} (as its index or a column)"
            )
        twice = value[keys].duplicated() if keys else None
        if twice is not None and twice.any():
            shown = shown_list(value.loc[twice, keys[0]].unique())
            raise InputError(f"net.{name} = ...: {keys[0]} {shown} more than once")
        old = self.layers.get(name)
        if isinstance(old, gpd.GeoDataFrame) and not isinstance(value, gpd.GeoDataFrame):
            if "geometry" not in value.columns:
                raise InputError(f"net.{name} = ...: the frame has no geometry column")
            value = gpd.GeoDataFrame(value, geometry="geometry")
        work = self.layers["edges"].crs if "edges" in self.layers else None
        if isinstance(value, gpd.GeoDataFrame) and work is not None:
            if value.crs is None:
                value = value.set_crs(work)
            elif value.crs != work:
                raise InputError(
                    f"net.{name} = ...: the frame is in {value.crs.to_string()}, the network in "
                    f"{work.to_string()}; give it in the network's CRS: frame.to_crs(net.edges.crs)"
                )
        if name in ("pipes", "valves", "sources", "regulators") and old is not None:
            before, after = set(old[key]), set(value[key])
            if before != after:
                changed = sorted(before ^ after, key=str)
                raise InputError(
                    f"net.{name} = ...: adds or removes {shown_list(changed)}; the nodes and "
                    "edges were built from the layer as it was: rebuild (`gasnet build`, or "
                    "gasnet.network.build_network) to add or remove assets"
                )
        self.layers[name] = value
        if name == "pipes":
            self._pipe_attributes_to_edges(value)
        later = ["hazard_matches", "risk"]
        if name == "hazards":
            self._drop_hazard_rollups()
        elif name != "quality_issues":
            later += ["segments", "valve_criticality"]
            for attr in self._CACHED:
                self.__dict__.pop(attr, None)
            cust = self.layers.get("customers")
            if name != "customers" and cust is not None and "segment_id" in cust.columns:
                self.layers["customers"] = cust.drop(columns="segment_id")  # may have changed
        if name != "quality_issues":
            for layer in later:
                self.layers.pop(layer, None)
        self._views.clear()

    def _pipe_attributes_to_edges(self, pipes: pd.DataFrame) -> None:
        """Copy what the pipe parts carry of their pipe (status ...) onto ``edges``."""
        edges = self.layers.get("edges")
        if edges is None:
            return
        cols = [c for c in ("status", "pressure_class", "diameter_mm", "material") if c in pipes]
        cols = [c for c in cols if c in edges.columns]
        attrs = pipes.set_index("pipe_id")[cols].reindex(edges["pipe_id"].to_numpy())
        edges = edges.copy()
        for col in cols:
            edges[col] = attrs[col].to_numpy()
        self.layers["edges"] = edges

    def _drop_hazard_rollups(self) -> None:
        """New hazard records: the roll-up columns of pipes and segments described the old."""
        from .hazards import ROLLUP_COLUMNS

        for layer in ("pipes", "segments"):
            table = self.layers.get(layer)
            if table is not None:
                self.layers[layer] = table.drop(columns=ROLLUP_COLUMNS, errors="ignore")

    def _view(self, name: str) -> gpd.GeoDataFrame:
        """``layers[name]`` indexed by its id: a new frame each time, sharing the data of one
        made once while the table is the same object (so a change to it, or chained
        assignment such as ``net.valves.loc[v, "normally"] = ...``, never alters the network
        or what the next ``net.valves`` shows: pandas warns of the latter)."""
        table = self.layers.get(name)
        if table is None:
            table = self._derived(name)
        cached = self._views.get(name)
        if cached is not None and cached[0] is table:
            return cached[1].copy(deep=not _COPY_ON_WRITE)
        key = INDEX.get(name)
        keys = [key] if isinstance(key, str) else key or []
        view = table.set_index(keys) if keys and set(keys) <= set(table.columns) else table
        if name == "valve_criticality" and not isinstance(view, gpd.GeoDataFrame):
            geom = self.valves.geometry.reindex(view.index)
            view = gpd.GeoDataFrame(view, geometry=geom.to_numpy(), crs=self.valves.crs)
        for col in ("segment_id", "edge_id"):  # (NaN where no pipe matched: nullable ints)
            if col in view.columns and view[col].dtype.kind == "f":
                whole = view[col].dropna()
                if (whole == whole.round()).all():
                    view = view.assign(**{col: view[col].astype("Int64")})
        self._views[name] = (table, view)
        return view.copy(deep=not _COPY_ON_WRITE)

    def _derived(self, name: str) -> pd.DataFrame:
        """A later layer that was not read from the GeoPackage, computed here (cached)."""
        if name in ("segments", "valve_criticality"):
            segs, _, valves = self._criticality_tables
            self.layers.setdefault("segments", segs)
            self.layers.setdefault("valve_criticality", valves)
        elif name in ("hazard_matches", "risk"):
            res = self.assess()
            self.layers.setdefault("hazard_matches", res.matches)
            self.layers.setdefault("risk", res.risk)
        elif name == "hazards":  # a network built in memory without them
            from .ingest import empty_layer

            self.layers["hazards"] = empty_layer("hazards", self.layers["edges"].crs)
        else:
            raise AttributeError(f"the network has no layer {name!r}")
        return self.layers[name]

    # -- the array forms the algorithms run on ------------------------------------------------

    @cached_property
    def graph(self) -> nx.MultiGraph:
        """The networkx graph (``graph_from_gdfs(nodes, edges)``).

        Nodes are ``node_id`` (int) with attributes kind (junction, end, valve, source,
        regulator, customer), asset_id, degree, x, y; edges are keyed by ``edge_id`` with
        every column of ``edges`` (pipe_id, u, v, length_m, status, pressure_class,
        diameter_mm, material, ...) and the shapely ``geometry``. ``G.graph`` holds ``crs``
        and the build settings (snap_tolerance_m, customer_max_distance_m).

        Examples
        --------
        >>> G = net.graph
        >>> G.number_of_edges() == len(net.edges)
        True
        """
        return graph_from_gdfs(self.layers["nodes"], self.layers["edges"], self.graph_attrs)

    @cached_property
    def flow(self) -> FlowGraph:
        """The array form used by the isolation algorithms, with the base valve states."""
        fg = FlowGraph(self.layers["nodes"], self.layers["edges"])
        fg.set_base_closed(closed_valve_nodes(self.layers["valves"]))
        return fg

    @cached_property
    def customer_nodes(self) -> np.ndarray:
        """Attachment node of every customer (-1: not attached)."""
        nodes = pd.to_numeric(self.layers["customers"]["node_id"], errors="coerce").fillna(-1)
        return nodes.to_numpy(np.int64)

    @cached_property
    def engine(self):
        """The isolation engine for the base state (see :mod:`gasnet.isolation`)."""
        from .isolation import IsolationEngine, customer_weights

        return IsolationEngine(
            self.flow, self.customer_nodes, customer_weights(self.layers["customers"])
        )

    @cached_property
    def edges_of_pipe(self) -> dict:
        """pipe_id -> positions of its edges in :attr:`layers` ``["edges"]``."""
        edges = self.layers["edges"]
        return pd.Series(np.arange(len(edges))).groupby(edges["pipe_id"].to_numpy(object)).indices

    @cached_property
    def edge_live(self) -> np.ndarray:
        """Per edge: in service (carries gas)."""
        return (self.layers["edges"]["status"] == "in_service").to_numpy()

    @cached_property
    def valve_operable(self) -> np.ndarray:
        """Per valve node of :attr:`flow` (``flow.valves`` order): can a crew close it?"""
        vid = self.flow.asset_id[self.flow.valves]
        op = self.layers["valves"].set_index("valve_id")["operable"].reindex(vid)
        return op.fillna(True).astype(bool).to_numpy()

    # -- answers ------------------------------------------------------------------------------

    def isolate(self, valves) -> Isolation:
        """Customers that lose gas when ``valves`` close (on top of the normally-closed ones).

        Parameters
        ----------
        valves : str or list of str
            One valve id or several.

        Returns
        -------
        gasnet.operations.Isolation
            ``customers`` (GeoDataFrame indexed by customer_id), ``pipes`` (pipe parts left
            without gas, indexed by edge_id) and ``stats``.

        Raises
        ------
        gasnet.errors.UnknownAssetError
            An id that is not a valve (the message names ``valves=``).

        Examples
        --------
        >>> res = net.isolate("FM000283")
        >>> res                                       # doctest: +ELLIPSIS
        <Isolation closing FM000283: ... customers (... households) lose gas...>
        >>> res.customers.columns.tolist()
        ['name', 'kind', 'critical', 'households', 'segment_id', 'geometry']
        """
        from .operations import isolate

        return isolate(self, as_ids(valves, "valves"))

    def burst(
        self, *, pipe=None, at=None, crs=None, fail=(), max_distance: float = 30.0
    ) -> BurstResult:
        """The isolation plan for a burst (see :func:`gasnet.operations.burst`).

        Parameters
        ----------
        pipe : str or list of str, optional
            The damaged pipe(s), whole.
        at : (float, float), optional
            The damaged point (x, y); give exactly one of ``pipe`` and ``at``.
        crs : str, optional
            CRS of ``at`` (default: the working CRS), e.g. ``"EPSG:4326"`` for lon, lat.
        fail : str or list of str
            Valves that fail to close: isolation extends past them.
        max_distance : float
            How far (m) ``at`` may lie from the nearest in-service pipe.

        Returns
        -------
        gasnet.operations.BurstResult
            ``valves`` (indexed by valve_id, in closing order), ``customers`` (indexed by
            customer_id, critical first), ``pipes`` (indexed by edge_id), ``stats``.

        Examples
        --------
        >>> res = net.burst(pipe="GX0000051")
        >>> res                                       # doctest: +ELLIPSIS
        <BurstResult on GX0000051: close ... valve(s); ... customers (... households) lose gas...>
        >>> res.valves.query("action == 'close'").index.tolist()   # doctest: +ELLIPSIS
        ['FM...', ...]
        """
        from .operations import burst

        pipes = None if pipe is None else [str(p) for p in as_ids(pipe, "pipe")]
        return burst(
            self,
            pipe=pipes,
            at=at,
            crs=crs,
            fail=[str(v) for v in as_ids(fail, "fail", empty=True)],
            max_distance=max_distance,
        )

    @cached_property
    def _criticality_tables(self) -> tuple:
        """(segments, segment per customer, valve_criticality) as the pipeline writes them."""
        from .isolation import segment_table

        t = self.layers
        return segment_table(self.engine, t["edges"], t["customers"], t["valves"])

    def criticality(self, valves=None) -> Criticality:
        """Segments and the impact of every valve failing to close (README, "Isolation and
        criticality"), computed for the whole network at once (O(n + m) in practice).

        Parameters
        ----------
        valves : str or list of str, optional
            Only these valves and the segments they bound (default: the whole network).

        Returns
        -------
        gasnet.isolation.Criticality
            ``segments`` (indexed by segment_id), ``valves`` (indexed by valve_id) and
            ``customer_segment`` (a Series indexed by customer_id).

        Examples
        --------
        >>> crit = net.criticality()
        >>> crit                                      # doctest: +ELLIPSIS
        <Criticality ... segments, ... valves; the worst segment, ..., cuts ... customers...>
        >>> worst = crit.segments.loc[crit.worst_segment]
        >>> int(worst["customers_lost"]) == int(crit.segments["customers_lost"].max())
        True
        >>> net.criticality("FM000283").valves.index.tolist()
        ['FM000283']
        """
        from .isolation import Criticality

        segs, cseg, vt = self._criticality_tables
        t = self.layers
        geom = t["valves"].set_index("valve_id").geometry.reindex(vt["valve_id"])
        crit = Criticality(
            segments=segs.set_index("segment_id"),
            valves=gpd.GeoDataFrame(
                vt.set_index("valve_id"), geometry=geom.to_numpy(), crs=t["valves"].crs
            ),
            customer_segment=pd.Series(
                cseg,
                index=pd.Index(t["customers"]["customer_id"], name="customer_id"),
                name="segment_id",
            ),
        )
        if valves is None:
            return crit
        ids = self._known("valves", as_ids(valves, "valves"), "valves")
        self.valve_nodes(ids)  # a valve off the network has no criticality: a clear error
        return crit.subset(ids)

    def advise_valves(
        self, *, objective: str = "worst", top: int | None = None, per_segment: bool = True
    ) -> gpd.GeoDataFrame:
        """Where one more valve helps most (:func:`gasnet.advise.advise_valves`).

        Parameters
        ----------
        objective : {"worst", "exposure"}
            ``worst``: the positions that most lower the worst case (customers lost);
            ``exposure``: the households a burst at a random point cuts off, on average.
        top : int, optional
            Keep the first ``top`` rows.
        per_segment : bool
            One row per segment, its best position (default); False: every candidate.

        Returns
        -------
        geopandas.GeoDataFrame
            Indexed by ``rank``: pipe_id, position_m along it, x, y, lon, lat, the losses
            before and after, ``reduction`` (README, "Where one more valve helps most").

        Examples
        --------
        >>> advice = net.advise_valves(top=3)
        >>> advice.index.tolist()
        [1, 2, 3]
        >>> bool((advice["customers_lost_after"] <= advice["customers_lost_before"]).all())
        True
        """
        from .advise import advise_valves

        return advise_valves(self, objective=objective, top=top, per_segment=per_segment)

    def advise_repairs(self, *, objective: str = "worst", top: int | None = None):
        """The inoperable valves whose repair helps most
        (:func:`gasnet.advise.advise_repairs`), indexed by ``rank``.

        Examples
        --------
        >>> repairs = net.advise_repairs(top=5)
        >>> repairs["valve_id"].is_unique and len(repairs) <= 5
        True
        """
        from .advise import advise_repairs

        return advise_repairs(self, objective=objective, top=top)

    def assess(self, *, as_of=None) -> Assessment:
        """The hazard overlay and risk ranking (:func:`gasnet.hazards.assess`) with the
        config's ``[hazards]`` / ``[risk]`` settings (defaults without a config)."""
        from ._hazard_settings import HazardSettings
        from .hazards import assess

        if "hazards" not in self.layers:
            self._derived("hazards")
        settings = self.config.hazard_settings if self.config else HazardSettings()
        table = self.layers.get("segments")
        return assess(self, settings, as_of=as_of, segment_table=table)

    def _known(self, layer: str, ids: list, argument: str) -> list:
        """``ids`` checked against ``layer``; unknown ones raise naming ``argument``. A number
        stands for the id written with its digits (ids are text: ``283`` is ``"283"``)."""
        from ._output import shown_list
        from .errors import UnknownAssetError

        index = self._view(layer).index
        found, unknown = [], []
        for i in ids:
            try:
                hit = i in index
            except TypeError:  # unhashable: a list where one id was expected
                raise UnknownAssetError(
                    f"{argument}={clean_value(repr(i))[:80]}: give one id (a str)"
                ) from None
            if not hit and isinstance(i, int | np.integer) and not isinstance(i, bool):
                hit, i = str(i) in index, str(i)
            (found if hit else unknown).append(i)
        if unknown:
            kind = layer.rstrip("s")
            hint = _close_matches(unknown[0], index)
            raise UnknownAssetError(
                f"unknown {kind} id(s): {shown_list(unknown)} (in {argument}=); "
                + (f"did you mean {shown_list(hint)}? " if hint else "")
                + f"{kind} ids look like {shown_list(index[:3])} (see the {layer} layer)"
            )
        return found

    def get_valve(self, valve_id) -> pd.Series:
        """One valve: its row of ``valves`` with its criticality (``valve_criticality``'s
        columns; NaN for a valve that is not on the network) and ``segment_ids`` (a list).

        Examples
        --------
        >>> v = net.get_valve("FM000283")
        >>> v.name, v["normally"]
        ('FM000283', 'open')
        """
        (valve_id,) = self._known("valves", [valve_id], "valve_id")
        row = self.valves.loc[valve_id].copy()
        # A valve off the network (quality_issues: valve_off_pipe) has no criticality: NaN.
        crit = self.criticality().valves.reindex([valve_id])
        for col in crit.columns.drop(["node_id", "normally", "operable", "geometry"]):
            row[col] = crit.at[valve_id, col]
        ids = row["segment_ids"]
        row["segment_ids"] = [int(s) for s in ids.split(";") if s] if isinstance(ids, str) else []
        return row

    def get_pipe(self, pipe_id) -> pd.Series:
        """One pipe: its row of ``pipes`` with ``edge_ids`` (its pipe parts) and
        ``segment_ids`` (lists).

        Examples
        --------
        >>> p = net.get_pipe("GX0000051")
        >>> p.name, p["pressure_class"]
        ('GX0000051', 'MP-A')
        """
        (pipe_id,) = self._known("pipes", [pipe_id], "pipe_id")
        row = self.pipes.loc[pipe_id].copy()
        rows = self.edges_of_pipe.get(pipe_id, np.empty(0, np.int64))
        eid = self.layers["edges"]["edge_id"].to_numpy()[rows]
        row["edge_ids"] = eid.tolist()
        eng, fg = self.engine, self.flow
        live = np.isin(fg.live_edges, eid)
        row["segment_ids"] = sorted(set(eng.zone_seg[eng.edge_zone[live]].tolist()))
        return row

    def valve_nodes(self, valve_ids, argument: str = "valves") -> np.ndarray:
        """Node ids of valves, with a clear error for unknown or unplaced ids."""
        from ._output import shown_list
        from .errors import UnknownAssetError

        ids = self._known("valves", list(valve_ids), argument)
        nodes = self.valves["node_id"].loc[ids]
        off = nodes[nodes.isna() | (nodes < 0)]
        if len(off):
            raise UnknownAssetError(
                f"valve(s) {shown_list(off.index)} (in {argument}=) are not on the network (see "
                "quality_issues: valve_off_pipe, asset_conflict); fix their position and rebuild"
            )
        return nodes.to_numpy(np.int64)


def _close_matches(wanted, index: pd.Index, n: int = 3) -> list:
    """Ids that look like ``wanted``: the same but for case, spaces, zero padding or width
    (full-width digits and letters)."""
    import re
    import unicodedata

    def norm(x) -> str:
        text = unicodedata.normalize("NFKC", str(x))  # full-width digits and letters
        return re.sub(r"(?<![0-9])0+(?=[0-9])", "", re.sub(r"\s+", "", text)).casefold()

    key = norm(wanted)
    if len(index) > 2_000_000:
        return []
    return [i for i in index if norm(i) == key][:n]


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


def _keys(name: str) -> list[str]:
    """The id column(s) of layer ``name`` (its view's index)."""
    key = INDEX.get(name)
    return [key] if isinstance(key, str) else list(key or [])


def _fresh(meta: dict[str, str], name: str) -> bool:
    """Was later layer ``name`` written after the network it describes was built?"""
    made, built = meta.get(f"stage:{LATER[name]}", ""), meta.get("stage:build", "")
    return bool(made) and made >= built  # ISO times compare as text


def load(
    config: str | Path | Config = "gasnet.toml", *, also: tuple[str, ...] | None = None
) -> Network:
    """Load the built network from the config's GeoPackage (run ``gasnet run`` first).

    Parameters
    ----------
    config : str, Path or Config
        The config file (``gasnet.toml``) whose ``[output] dir`` holds ``gasnet.gpkg``.
    also : str or tuple of str, optional
        Later layers to read from the same version of the file (``segments``,
        ``valve_criticality``, ``hazard_matches``, ``risk``); a missing one is an error.
        Default: each of them that the file holds and that is not older than the build;
        the others are computed when first used.

    Returns
    -------
    Network
        Layers indexed by asset id (see :class:`Network`).

    Raises
    ------
    gasnet.errors.StageOrderError
        A stage has not run yet (the message names it).
    gasnet.errors.OutputError
        The GeoPackage is damaged (rebuild it with ``gasnet run``).

    Notes
    -----
    Whether the raw data changed since is :func:`gasnet.pipeline.changed_inputs`.

    Examples
    --------
    >>> net = gasnet.load(config)
    >>> net.customers.groupby("has_supply").size().index.tolist()
    [False, True]
    """
    config = config if isinstance(config, Config) else read_config(config)
    where = config.store  # (a run's staging file is never named)
    stages = {name: "build" if name in ("nodes", "edges") else "ingest" for name in _LAYERS}
    if also is not None:
        also = (also,) if isinstance(also, str) else tuple(also)
        unknown = [name for name in also if name not in LATER]
        if unknown:
            from ._output import shown_list
            from .errors import UnknownAssetError

            raise UnknownAssetError(
                f"also={also!r}: {shown_list(unknown)} is not a later layer; they are "
                f"{', '.join(LATER)} (the others are always read)"
            )
    if also is None:
        meta = where.read_metadata(missing_ok=True)
        present = set(where.list_layers()) if meta else set()
        also = tuple(n for n in LATER if n in present and _fresh(meta, n))
        optional = True
    else:
        optional = False
    stages |= {name: LATER[name] for name in also}
    layers, meta, stamp = where.read_snapshot(stages)
    if optional:  # (the file read may be newer than the metadata looked at)
        for name in also:
            if not _fresh(meta, name):
                del layers[name]
    for name, layer in layers.items():
        # GDAL reads a layer whose CRS it cannot look up (a damaged gpkg_spatial_ref_sys) as
        # one without a CRS; gasnet always writes the working CRS.
        if isinstance(layer, gpd.GeoDataFrame) and layer.crs is None:
            raise where.damaged(f"layer {name} has lost its CRS")
    needed = _NEEDED | {name: _keys(name) for name in also if name in layers}
    for name, columns in needed.items():
        missing = [c for c in columns if c not in layers[name].columns]
        if missing:
            raise where.damaged(f"layer {name} lacks {', '.join(missing)}")
    try:
        attrs = json.loads(meta.get("graph_attrs", "{}"))
    except (TypeError, ValueError):
        raise where.damaged("run_metadata graph_attrs is not JSON") from None
    net = Network(layers, config, attrs if isinstance(attrs, dict) else {})
    net.metadata, net.stamp = meta, stamp
    return net
