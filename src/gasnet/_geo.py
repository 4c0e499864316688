"""Coordinate helpers shared by the stages."""

from __future__ import annotations

import functools

import pyproj

__all__ = ["to_wgs84"]


@functools.lru_cache(maxsize=8)
def to_wgs84(crs: str) -> pyproj.Transformer:
    """Transformer from ``crs`` to WGS84 lon/lat (x = lon, y = lat)."""
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
