"""The one-map GeoPackage: atomic writes, run metadata, reading layers back.

Every write goes to a temporary file beside the target and is renamed over it only when
complete, so a failed or interrupted run leaves the previous GeoPackage intact.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ._version import __version__
from .errors import InputError, StageOrderError

__all__ = ["atomic_path", "list_layers", "read_layer", "read_metadata", "sha256", "write_layers"]

log = logging.getLogger(__name__)

METADATA = "run_metadata"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class atomic_path:
    """Context manager yielding a temporary path that replaces ``target`` on success.

    With ``copy=True`` the temporary file starts as a copy of the existing target.
    """

    def __init__(self, target: Path, copy: bool = False):
        self.target = Path(target)
        self.copy = copy
        self.tmp = self.target.with_name(
            f".{self.target.stem}.tmp-{os.getpid()}{self.target.suffix}"
        )

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._cleanup()
        if self.copy and self.target.exists():
            shutil.copy2(self.target, self.tmp)
        return self.tmp

    def _cleanup(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            p = Path(str(self.tmp) + suffix)
            if p.exists():
                p.unlink()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(self.tmp, self.target)
        else:
            self._cleanup()


def _metadata_frame(old: dict[str, str], new: dict[str, str]) -> pd.DataFrame:
    merged = {**old, **new}
    return pd.DataFrame({"key": list(merged), "value": [str(v) for v in merged.values()]})


def write_layers(
    path: Path,
    layers: dict[str, pd.DataFrame],
    *,
    fresh: bool = False,
    metadata: dict[str, str] | None = None,
    stage: str | None = None,
) -> None:
    """Write (or replace) ``layers`` in the GeoPackage ``path``, atomically.

    Parameters
    ----------
    fresh
        Start a new file instead of updating the existing one (ingest does: stale later
        stages must not survive a new ingest).
    metadata
        Key/value pairs merged into the ``run_metadata`` table.
    stage
        The stage that wrote; recorded as ``stage:<name>`` with the time, and
        ``gasnet_version``.
    """
    path = Path(path)
    old = {} if fresh else read_metadata(path, missing_ok=True)
    meta = dict(metadata or {})
    if stage:
        meta[f"stage:{stage}"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        meta["gasnet_version"] = __version__
    try:
        _write(path, layers, fresh, old, meta)
    except OSError as exc:
        raise InputError(
            f"{path}: cannot write the GeoPackage ({exc.strerror or exc}); check "
            "[output] dir (a writable folder, with free space)"
        ) from None
    log.info("Wrote %s to %s.", ", ".join(layers), path)


def _write(path: Path, layers, fresh: bool, old: dict, meta: dict) -> None:
    with atomic_path(path, copy=not fresh) as tmp:
        for name, df in layers.items():
            pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG")
        pyogrio.write_dataframe(_metadata_frame(old, meta), tmp, layer=METADATA, driver="GPKG")


def list_layers(path: Path) -> list[str]:
    path = Path(path)
    if not path.exists():
        return []
    return [str(n) for n, _ in pyogrio.list_layers(path)]


def _require(path: Path, layer: str, stage: str) -> None:
    if not Path(path).exists():
        raise StageOrderError(
            f"{path}: no GeoPackage yet; run `gasnet ingest` (or `gasnet run`) first"
        )
    if layer not in list_layers(path):
        raise StageOrderError(f"{path}: layer {layer!r} is missing; run `gasnet {stage}` first")


def read_layer(path: Path, layer: str, *, stage: str = "ingest") -> gpd.GeoDataFrame | pd.DataFrame:
    """Read one layer; a clear :class:`StageOrderError` names the stage that makes it."""
    _require(path, layer, stage)
    return pyogrio.read_dataframe(path, layer=layer)


def read_metadata(path: Path, missing_ok: bool = False) -> dict[str, str]:
    """The ``run_metadata`` table as a dict."""
    path = Path(path)
    if missing_ok and (not path.exists() or METADATA not in list_layers(path)):
        return {}
    df = read_layer(path, METADATA)
    return dict(zip(df["key"], df["value"], strict=False))


def input_metadata(config, files: list[Path]) -> dict[str, str]:
    """Run metadata of an ingest: each input file's sha256, the config text, the project."""
    meta = {
        "project": config.name,
        "crs": config.crs,
        "config_path": str(config.path),
        "config_toml": config.text,
    }
    for f in files:
        try:
            rel = os.path.relpath(f, config.path.resolve().parent)
        except ValueError:
            rel = str(f)
        meta[f"input:{rel}"] = sha256(f)
    meta["inputs"] = json.dumps(sorted(k[6:] for k in meta if k.startswith("input:")))
    return meta
