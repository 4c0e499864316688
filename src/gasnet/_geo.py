"""Coordinate helpers shared by the stages."""

from __future__ import annotations

import functools

import numpy as np
import pyproj

__all__ = ["to_wgs84", "wgs84_to_gcj02"]


@functools.lru_cache(maxsize=8)
def to_wgs84(crs: str) -> pyproj.Transformer:
    """Transformer from ``crs`` to WGS84 lon/lat (x = lon, y = lat)."""
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


_A = 6378245.0  # the Krasovsky 1940 semi-major axis the GCJ-02 offset is defined on
_EE = 0.00669342162296594323


def _offset_lat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _offset_lon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat to GCJ-02, the shifted coordinates of Chinese web maps (AMap / Gaode),
    by the published transform; points outside mainland China's box are returned unchanged.
    Around Bazhong the shift is about 460 m."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    inside = (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)
