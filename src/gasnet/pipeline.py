"""The stages, as the CLI and notebooks run them: each reads what the previous one wrote."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd

from . import _progress, store
from .config import Config
from .load import input_files, load_layers
from .schema import LAYERS
from .validate import Report

__all__ = ["StageResult", "ingest", "validate"]

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    """What a stage did, for the CLI summary."""

    stage: str
    counts: dict[str, int]
    report: Report
    path: object = None


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
    _progress.step(f"writing {config.gpkg}")
    out = dict(layers)
    out["quality_issues"] = report.to_frame()
    store.write_layers(
        config.gpkg, out, fresh=True, stage="ingest", metadata=store.input_metadata(config, files)
    )
    log.info("Ingested %d layers into %s.", len(layers), config.gpkg)
    return StageResult("ingest", {n: len(g) for n, g in layers.items()}, report, config.gpkg)


def read_canonical(config: Config) -> dict[str, gpd.GeoDataFrame]:
    """The canonical layers as ingest wrote them."""
    return {name: store.read_layer(config.gpkg, name) for name in LAYERS}


def run(config: Config):
    """The whole pipeline, stage after stage; yields each stage's result."""
    yield ingest(config)
