"""The stages, as the CLI and notebooks run them: each reads what the previous one wrote.

Within :func:`run` (``gasnet run``) the stages hand on what they have in memory instead: the
layers as the next stage would read them back (:func:`gasnet.store.as_read`) and the built
network with its isolation engine (:class:`Staged`). The outputs are the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from . import _progress, store
from .config import Config
from .ingest import input_files, load_layers
from .schema import LAYERS
from .validate import Report

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "StageResult",
    "advise",
    "build",
    "changed_inputs",
    "criticality",
    "hazards",
    "ingest",
    "maps",
    "run",
    "run_and_load",
    "stale_warning",
    "validate",
]

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    """What a stage did, for the CLI summary."""

    stage: str
    counts: dict[str, int]
    report: Report
    path: object = None
    tables: dict | None = None
    #: Written only into a run's staging copy: gasnet.gpkg changes when the whole run is done.
    staged: bool = False


class Staged:
    """What :func:`run`'s stages hand on in memory, in place of reading the staging
    GeoPackage back: every layer as a read of the file would give it, the ``run_metadata``,
    the file's :func:`~gasnet.store.stamp`, and the :class:`~gasnet.network.Network` with
    what it computed (the flow graph, the isolation engine, the criticality tables).

    Used only while the staging file is the one the last stage wrote (same stamp); should
    anything else have changed or removed it, the stages read the file as the single
    commands do, with their messages.
    """

    def __init__(self) -> None:
        self.layers: dict[str, pd.DataFrame] = {}
        self.meta: dict[str, str] = {}
        self.stamp: tuple | None = None
        self.net: Network | None = None
        self.usable = True

    def current(self, config: Config) -> bool:
        """Does the staging file still hold what the last stage wrote? (Else: never again.)"""
        if self.usable and self.stamp is not None:
            try:
                self.usable = store.stamp(os.stat(config.gpkg)) == self.stamp
            except OSError:
                self.usable = False
        return self.usable and self.stamp is not None

    def layer(self, name: str) -> pd.DataFrame:
        """A stage's own copy of a layer (what it changes never reaches the next stage)."""
        from .network import _COPY_ON_WRITE

        return self.layers[name].copy(deep=not _COPY_ON_WRITE)

    def wrote(self, config: Config, layers: dict, stamp: tuple, fresh: bool) -> None:
        """Record what a stage wrote into the staging file (which is now ``stamp``)."""
        if fresh:
            self.layers, self.net, self.usable = {}, None, True
        where = config.store
        for name, frame in layers.items():
            try:
                back = store.as_read(frame)
            except Exception:  # (never on the stages' frames; the file tells in any case)
                back = None
            self.layers[name] = back if back is not None else where.read_layer(name)
        self.meta = where.read_metadata()
        self.stamp = stamp


def _read(config: Config, layers: dict[str, str], optional=()) -> tuple[dict, dict, tuple]:
    """``read_snapshot`` of the config's store; within :func:`run`, what the previous
    stages hold in memory (:class:`Staged`)."""
    staged = config.run_state
    if (
        staged is None
        or not staged.current(config)
        or any(n not in staged.layers for n in layers if n not in optional)
    ):
        return config.store.read_snapshot(layers, optional=optional)
    out = {n: staged.layer(n) for n in layers if n in staged.layers}
    return out, dict(staged.meta), staged.stamp


def _load(config: Config, also: tuple[str, ...]) -> Network:
    """``network.load(config, also=also)``; within :func:`run`, the network the previous
    stage used (its engine and tables computed once), with the layers as the file holds
    them now."""
    from .network import _LAYERS, LATER, Network, load

    staged = config.run_state
    if staged is None or not staged.current(config):
        return load(config, also=also)
    stages = {n: "build" if n in ("nodes", "edges") else "ingest" for n in _LAYERS}
    layers, meta, stamp = _read(config, stages | {n: LATER[n] for n in also})
    net = staged.net
    if net is None:
        net = staged.net = Network(layers, config, json.loads(meta.get("graph_attrs", "{}")))
    else:  # the same network: what it computed stays, the layers are the new ones
        net.layers = layers
        net._views.clear()
    net.metadata, net.stamp = meta, stamp
    return net


def _write(config: Config, layers: dict, **kwargs) -> None:
    """``write_layers`` into the config's store; within :func:`run`, also kept in memory
    for the next stage (:class:`Staged`)."""
    stamp = config.store.write_layers(layers, **kwargs)
    staged = config.run_state
    fresh = bool(kwargs.get("fresh"))
    # Written into the very file the memory describes (write_layers checked ``expect``).
    if staged is not None and (fresh or (staged.usable and kwargs.get("expect") == staged.stamp)):
        staged.wrote(config, layers, stamp, fresh)


def validate(config: Config) -> StageResult:
    """Read and check every configured layer; write nothing.

    Raises :class:`~gasnet.errors.ValidationError` when there are errors.
    """
    layers, report = load_layers(config)
    report.raise_for_errors()
    return StageResult("validate", {n: len(g) for n, g in layers.items()}, report)


def ingest(config: Config) -> StageResult:
    """Load, normalise and validate every layer, then write a fresh one-map GeoPackage.

    The GeoPackage gets the canonical layers, ``quality_issues`` and ``run_metadata`` (input
    files with their sha256, the config, the gasnet version, the time). Errors raise before
    anything is written, so the previous GeoPackage stays as it was.
    """
    layers, report = load_layers(config)
    report.raise_for_errors()
    files = [f for srcs in config.layers.values() for s in srcs for f in input_files(s)]
    _progress.step(f"writing {config.store.shown}")
    out = dict(layers)
    out["quality_issues"] = report.to_frame()
    _write(config, out, fresh=True, stage="ingest", metadata=store.input_metadata(config, files))
    log.info("Ingested %d layers into %s.", len(layers), config.store.shown)
    return StageResult("ingest", {n: len(g) for n, g in layers.items()}, report, config.store.shown)


def read_canonical(config: Config) -> dict[str, gpd.GeoDataFrame]:
    """The canonical layers as ingest wrote them (one version of the file)."""
    layers, _, _ = config.store.read_snapshot(dict.fromkeys(LAYERS, "ingest"))
    return layers


def build(config: Config) -> StageResult:
    """Build the network from the ingested layers: nodes, edges, customers attached, supply.

    Writes ``nodes`` and ``edges``; adds ``node_id`` to valves, sources and regulators and
    ``node_id``, ``edge_id``, ``attach_distance_m``, ``has_supply`` to customers; replaces the
    topology rows of ``quality_issues``.
    """
    from .network import build_network

    layers, _, read = _read(config, dict.fromkeys([*LAYERS, "quality_issues"], "ingest"))
    issues = layers.pop("quality_issues")
    net, report = build_network(
        layers,
        snap_tolerance_m=config.snap_tolerance_m,
        customer_max_distance_m=config.customer_max_distance_m,
    )
    out = {
        name: net.layers[name]
        for name in ("nodes", "edges", "valves", "sources", "regulators", "customers")
    }
    cust = net.layers["customers"]
    built = report.to_frame()
    built["stage"] = "build"
    if "stage" not in issues:
        issues["stage"] = "ingest"
    issues = issues[issues["stage"] != "build"]
    out["quality_issues"] = gpd.GeoDataFrame(
        pd.concat([issues, built], ignore_index=True), geometry="geometry", crs=config.crs
    )
    _write(
        config,
        out,
        stage="build",
        metadata={"graph_attrs": json.dumps(net.graph_attrs)},
        expect=read,  # into the file read, never one a concurrent run put there meanwhile
    )
    counts = {
        "nodes": len(net.layers["nodes"]),
        "edges": len(net.layers["edges"]),
        "customers supplied": int(cust["has_supply"].sum()),
        "customers without supply": int((~cust["has_supply"]).sum()),
    }
    return StageResult("build", counts, report, config.store.shown)


def criticality(config: Config) -> StageResult:
    """Segments and the criticality of every segment and valve, for the whole network.

    Writes ``segments`` and ``valve_criticality``, and ``segment_id`` on customers. The
    segments come without the hazard roll-ups: after a hazards stage, a notice says to run
    it again.
    """
    net = _load(config, ())
    _progress.step("criticality: segments and valves")
    segs, cseg, valves = net._criticality_tables
    cust = net.layers["customers"].copy()
    cust["segment_id"] = cseg
    _write(
        config,
        {"segments": segs, "valve_criticality": valves, "customers": cust},
        stage="criticality",
        expect=net.stamp,
    )
    report = Report(crs=config.crs)
    if "stage:hazards" in net.metadata:
        report.notice(
            "segments were written afresh, without the hazard roll-ups (hazards_open ... "
            "hazard_score); pipes, risk and hazard_matches keep those of the last hazards "
            "stage: run `gasnet hazards` again"
        )
    if "stage:advise" in net.metadata:
        report.notice(
            "valve_advice and repair_advice (and valve_advice.csv) are those of the last "
            "advise stage: run `gasnet advise-valves` again"
        )
    result = StageResult(
        "criticality", {"segments": len(segs), "valves": len(valves)}, report, config.store.shown
    )
    result.tables = {"segments": segs.drop(columns="geometry"), "valves": valves}
    return result


#: Columns the hazard stage reads beyond those :func:`gasnet.network.load` checks (a
#: hand-edited or foreign GeoPackage may lack them).
_HAZARD_COLUMNS = {
    "hazards": ("hazard_id", "category", "severity", "status", "found_on", "due_on", "description"),
    "edges": ("pressure_class", "diameter_mm"),
    "segments": ("segment_id",),
}


def hazards(config: Config, *, as_of=None) -> StageResult:
    """Overlay the hazard records on the network and rank them (README, "Hidden hazards").

    Writes ``hazard_matches`` and ``risk``, the roll-up columns of ``pipes`` and ``segments``,
    and the hazard rows of ``quality_issues``; and ``<output.dir>/risk.csv`` (UTF-8 with a
    byte-order mark, ranked), staged before the GeoPackage is written and renamed after it,
    unless the stage runs inside :func:`run`, which writes it at its end. A write that fails
    leaves both as they were. ``as_of`` (a date) overrides ``[risk] as_of``.
    """
    from .hazards import add_rollups, assess

    net = _load(config, ("segments",))
    for name, columns in _HAZARD_COLUMNS.items():
        missing = [c for c in columns if c not in net.layers[name].columns]
        if missing:
            raise config.store.damaged(f"layer {name} lacks {', '.join(missing)}")
    _progress.step("hazards: overlay and priority")
    res = assess(net, config.hazard_settings, as_of=as_of, segment_table=net.layers["segments"])
    found = res.report.to_frame()
    found["stage"] = "hazards"
    issues = net.layers["quality_issues"]
    issues = issues[issues.get("stage", pd.Series(index=issues.index, dtype=object)) != "hazards"]
    quality = gpd.GeoDataFrame(
        pd.concat([issues, found], ignore_index=True), geometry="geometry", crs=config.crs
    )
    # risk.csv is staged first and renamed once the GeoPackage is in place: a folder in its
    # way or a full disk fails before anything is replaced (within run: run writes it).
    with _risk_csv_after(None if config.gpkg_override else config, res.risk):
        _write(
            config,
            {
                "hazard_matches": res.matches,
                "risk": res.risk,
                "pipes": add_rollups(net.layers["pipes"], "pipe_id", res.pipes),
                "segments": add_rollups(net.layers["segments"], "segment_id", res.segments),
                "quality_issues": quality,
            },
            stage="hazards",
            metadata={"risk_as_of": res.as_of.isoformat()},
            expect=net.stamp,
        )
    risk = res.risk
    counts = {
        "hazards": len(risk),
        "matches": len(res.matches),
        "P1": int((risk["tier"] == "P1").sum()),
        "P2": int((risk["tier"] == "P2").sum()),
        "P3": int((risk["tier"] == "P3").sum()),
        "overdue": int((risk["days_overdue"] > 0).sum()),
    }
    result = StageResult("hazards", counts, res.report, config.store.shown)
    result.tables = {"risk": risk.drop(columns="geometry"), "as_of": res.as_of}
    return result


def advice_csv(config: Config) -> Path:
    """Where the valve-placement advice goes: ``<output.dir>/valve_advice.csv``."""
    return config.output_dir / "valve_advice.csv"


def advise(
    config: Config, *, objective: str = "worst", top: int | None = None, out=None
) -> StageResult:
    """Where one more valve helps most, and which inoperable valves to repair first
    (:mod:`gasnet.advise`; README, "Where one more valve helps most").

    Writes the layers ``valve_advice`` and ``repair_advice`` and ``valve_advice.csv``
    (``<output.dir>/`` or ``out``; UTF-8 with a byte-order mark), staged before the
    GeoPackage is written and renamed after it, like ``risk.csv`` (within :func:`run`, run
    writes it at its end). ``top`` keeps the first rows of both tables.
    """
    from .advise import advise_repairs, advise_valves

    net = _load(config, ())
    _progress.step("advise: valve positions and repairs")
    loss, _ = net.engine.segment_losses()
    loss["segment_id"] = range(len(loss))
    valves = advise_valves(net, objective=objective, top=top, segment_table=loss)
    repairs = advise_repairs(net, objective=objective, top=top, segment_table=loss)
    target = None if config.gpkg_override and out is None else Path(out or advice_csv(config))
    with _csv_after(target, valves.reset_index(), "--out" if out else None):
        _write(
            config,
            {"valve_advice": valves.reset_index(), "repair_advice": repairs.reset_index()},
            stage="advise",
            expect=net.stamp,
        )
    report = Report(crs=config.crs)
    if repairs.attrs.get("skipped"):
        report.notice(repairs.attrs["skipped"])
    result = StageResult(
        "advise",
        {"valve positions": len(valves), "valves to repair": len(repairs)},
        report,
        config.store.shown,
    )
    result.tables = {
        "valve_advice": valves.drop(columns="geometry"),
        "repair_advice": repairs.drop(columns="geometry"),
        "objective": objective,
        "network_worst": valves.attrs["network_worst_before"],
        "exposure": valves.attrs["exposure_before"],
        "candidates": valves.attrs["candidates"],
        "csv": target,
    }
    return result


def risk_csv(config: Config) -> Path:
    """Where the ranked hazard list goes: ``<output.dir>/risk.csv``."""
    return config.output_dir / "risk.csv"


def write_risk_csv(config: Config, risk: pd.DataFrame) -> None:
    """``risk.csv``, atomically: UTF-8 with a byte-order mark (Excel), text that Excel would
    run as a formula neutralised."""
    with _risk_csv_after(config, risk):
        pass


@contextlib.contextmanager
def _risk_csv_after(config: Config | None, risk: pd.DataFrame):
    """``risk.csv`` of ``risk`` (see :func:`write_risk_csv`), put in place after the body.

    Written to its staging file first -- a folder in its way, a read-only folder or a full
    disk fail here, before the body replaces anything -- and renamed only when the body is
    done; if the body fails, risk.csv stays as it was. ``config`` None: no file.
    """
    with _csv_after(None if config is None else risk_csv(config), risk):
        yield


@contextlib.contextmanager
def _csv_after(path: Path | None, frame: pd.DataFrame, setting: str | None = None):
    """A CSV of ``frame`` at ``path`` (None: no file), staged now and put in place after the
    body (see :func:`_risk_csv_after`)."""
    from ._output import csv_bytes
    from .store import atomic_path

    if path is None:
        yield
        return
    if "geometry" in frame.columns:
        frame = frame.drop(columns="geometry")
    part = atomic_path(path, setting=setting or "[output] dir in the config")
    tmp = part.__enter__()
    try:
        Path(tmp).write_bytes(csv_bytes(frame))
    except BaseException as exc:
        part.__exit__(type(exc), exc, exc.__traceback__)  # says why; the staging file goes
        raise
    try:
        yield
    except BaseException:
        part._abort()
        raise
    part.__exit__(None, None, None)


#: The layers the maps show, with the stage that writes each.
MAP_LAYERS = {
    "pipes": "ingest",
    "valves": "build",
    "sources": "build",
    "regulators": "build",
    "customers": "build",
    "quality_issues": "ingest",
    "segments": "criticality",
    "risk": "hazards",
    "valve_advice": "advise",
    "repair_advice": "advise",
}
#: Layers of :data:`MAP_LAYERS` the maps show only when the GeoPackage has them.
MAP_OPTIONAL = frozenset({"valve_advice", "repair_advice"})


def map_paths(config: Config) -> list[Path]:
    """Where the maps go: ``<output.dir>/maps/network.html`` and ``risk.html``."""
    return [config.output_dir / "maps" / "network.html", config.output_dir / "maps" / "risk.html"]


def maps(config: Config) -> StageResult:
    """The one map and the risk map (README, "Maps"), written together into
    ``<output.dir>/maps/`` unless the stage runs inside :func:`run` (which writes them before
    the GeoPackage goes in place); and the GeoPackage's ``layer_styles`` (QGIS)."""
    from . import maps as html_maps

    layers, _, stamp = _read(config, MAP_LAYERS, optional=MAP_OPTIONAL)
    for name in MAP_OPTIONAL & layers.keys():  # hand-edited: named, not a traceback
        missing = [c for c in ("rank", "geometry") if c not in layers[name].columns]
        if missing:
            raise config.store.damaged(f"layer {name} lacks {', '.join(missing)}")
    m = config.maps
    kw = {"language": m["language"], "basemap": m["basemap"], "key": m["tianditu_key"]}
    _progress.step("maps: network.html, risk.html")
    pages = [html_maps.network_map(layers, **kw), html_maps.risk_map(layers, **kw)]
    # The same symbology for QGIS: the GeoPackage's default layer styles.
    _write(
        config,
        {"layer_styles": html_maps.layer_styles(m["language"])},
        stage="maps",
        expect=stamp,
    )
    result = StageResult("maps", {"maps": len(pages)}, Report(crs=config.crs), config.store.shown)
    result.tables = {"pages": pages}
    if config.gpkg_override is None:
        write_maps(config, pages)
    return result


def write_maps(config: Config, pages: list[str]) -> None:
    """The map pages, atomically and together (:class:`gasnet.store.atomic_paths`)."""
    from .store import atomic_paths

    targets = map_paths(config)
    targets[0].parent.mkdir(parents=True, exist_ok=True)
    with atomic_paths(targets, setting="[output] dir in the config") as tmps:
        for tmp, page in zip(tmps, pages, strict=True):
            Path(tmp).write_text(page, encoding="utf-8")


def run(config: Config):
    """The whole pipeline, stage after stage; yields each stage's result.

    The stages work on a staging copy beside the GeoPackage, which replaces it only when the
    last stage is done (or, with a PostGIS store, is copied into it in one transaction): a
    run that fails at any stage leaves the previous results intact.
    The results say so (``staged``); ``gasnet.gpkg`` is written once the generator is
    exhausted.
    """
    import dataclasses

    from .store import atomic_path

    setting = "[output] dir in the config"
    target = config.store
    # A PostGIS store gets the finished staging GeoPackage in one transaction.
    publish = getattr(target, "publish_file", None)
    with atomic_path(config.gpkg, setting=setting, translate=False, publish=publish) as staging:
        # The stages hand on what they hold in memory (Staged) instead of reading it back.
        staged = dataclasses.replace(config, gpkg_override=staging, run_state=Staged())
        for stage in (ingest, build, criticality, advise, hazards, maps):
            result = stage(staged)
            result.path, result.staged = target.shown, True
            if stage is hazards:
                hazard_result = result
            if stage is advise:
                advice = result.tables["valve_advice"]
            yield result
        # Before the GeoPackage is renamed into place: a risk.csv or a map that cannot be
        # written fails the run with the previous GeoPackage intact.
        write_risk_csv(config, hazard_result.tables["risk"])
        with _csv_after(advice_csv(config), advice.reset_index()):
            pass
        write_maps(config, result.tables["pages"])


def run_and_load(
    config: str | Path | Config = "gasnet.toml", *, as_of=None, workers=None, scheduler=None
) -> Network:
    """Run the whole pipeline (``gasnet run``: GeoPackage, risk.csv, maps) and load the
    result; exported as ``gasnet.run``.

    Parameters
    ----------
    config : str, Path or Config
        The config file.
    as_of : datetime.date, optional
        The date overdue hazards are counted to (default ``[risk] as_of``, else today).
    workers : int, optional
        Run the spatial stages (ingest and validation, customer attachment, the hazard
        overlay) on a local Dask cluster of this many worker processes (``gasnet[dask]``).
    scheduler : str, optional
        ... or on the Dask cluster at this address (``tcp://host:port``). The results are
        those of a run without either.

    Returns
    -------
    gasnet.Network
        As :func:`gasnet.load` returns it.

    Raises
    ------
    gasnet.errors.GasnetError
        Bad input (the message names the file, the feature and the fix); the previous
        outputs are left as they were.
    """
    import dataclasses

    from .config import read_config
    from .network import load

    config = config if isinstance(config, Config) else read_config(config)
    if as_of is not None:
        settings = dataclasses.replace(config.hazard_settings, as_of=as_of)
        config = dataclasses.replace(config, hazard_settings=settings)
    from .parallel import session

    with session(workers=workers, scheduler=scheduler):
        for stage in run(config):
            log.info("Stage %s done: %s", stage.stage, stage.counts)
    return load(config)


def changed_inputs(config: Config, meta: dict[str, str] | None = None) -> list[str]:
    """Inputs (and the config) that changed since ingest wrote the GeoPackage's metadata.

    Compares each input recorded in ``run_metadata`` (``input:<relpath>`` -> sha256) with the
    file now, plus the files the config names now and the config's text. Cheap on big
    inputs: a file whose size and modification time equal those recorded at ingest
    (``inputstat:<relpath>``) is taken as unchanged without reading it; otherwise it is
    hashed. (So an edit that keeps both size and time is not seen; a GeoPackage written
    before ``inputstat`` existed has every input hashed.) Returns readable names, e.g.
    ``raw/pipes.dbf``, ``raw/x.shp (removed)``, ``gasnet.toml (config)``; ``[]`` when the
    GeoPackage has no record of its inputs.
    """
    if meta is None:
        meta = config.store.read_metadata(missing_ok=True)
    recorded = {k[6:]: v for k, v in meta.items() if k.startswith("input:")}
    if not recorded:
        return []
    root = config.path.resolve().parent
    now = {
        store.relative_input(config, f)
        for srcs in config.layers.values()
        for s in srcs
        for f in input_files(s)
    }
    changed = []
    for rel in sorted(set(recorded) | now):
        if rel not in recorded:
            changed.append(f"{rel} (new)")
            continue
        path = Path(rel) if os.path.isabs(rel) else root / rel
        try:
            st = os.stat(path)
        except OSError:
            changed.append(f"{rel} (removed)")
            continue
        if not stat.S_ISREG(st.st_mode):
            changed.append(f"{rel} (not a regular file)")
            continue
        if meta.get(f"inputstat:{rel}") == f"{st.st_size}:{st.st_mtime_ns}":
            continue
        try:
            if store.sha256(path) != recorded[rel]:
                changed.append(rel)
        except OSError:
            changed.append(f"{rel} (unreadable)")
    if "config_toml" in meta and meta["config_toml"] != config.text:
        changed.append(f"{config.path.name} (config)")
    return changed


def stale_warning(config: Config, meta: dict[str, str] | None = None) -> str | None:
    """One line for stderr when the GeoPackage is older than its inputs; else ``None``."""
    changed = changed_inputs(config, meta)
    if not changed:
        return None
    shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
    return (
        f"warning: {shown} changed since {config.store.shown} was built, so these answers come "
        "from the old data; run `gasnet run` to rebuild it"
    )
