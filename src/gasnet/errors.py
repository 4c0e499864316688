"""Named exceptions. The CLI turns every :class:`GasnetError` into one line on stderr and exit 2."""

from __future__ import annotations

import math

__all__ = [
    "ConfigError",
    "GasnetError",
    "InputError",
    "LocationError",
    "OffNetworkError",
    "OutputError",
    "StageOrderError",
    "UnknownAssetError",
    "ValidationError",
]


class GasnetError(Exception):
    """Base class of every error caused by the user's data, config or command line."""


class ConfigError(GasnetError, ValueError):
    """The config file is missing, not valid TOML, or has unknown or wrong keys."""


class InputError(GasnetError, ValueError):
    """An input file is missing or unreadable, or a layer cannot be used as configured."""


class OutputError(InputError):
    """An output cannot be written (disk full, read-only, a folder in the way), or the one-map
    GeoPackage cannot be read back (damaged, truncated, not a file).

    A subclass of :class:`InputError` because write failures were reported as ``InputError``
    before this class existed; catching ``InputError`` still catches them.
    """


class ValidationError(GasnetError, ValueError):
    """Validation found errors; ``issues`` holds the full quality report."""

    def __init__(self, message: str, issues=None):
        super().__init__(message)
        self.issues = issues


class StageOrderError(GasnetError, RuntimeError):
    """A stage was asked to run before the stage it depends on."""


class UnknownAssetError(GasnetError, KeyError):
    """An asset id (valve, pipe, customer) given by the user does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class OffNetworkError(GasnetError, ValueError):
    """A location given by the user is too far from the network."""


class LocationError(OffNetworkError):
    """A point given by the user cannot be used: not finite numbers, out of range for its
    CRS, not transformable to the working CRS, or too far from the network (a likely swap of
    x and y, or a missing CRS, is named with the corrected point).

    ``str()`` speaks the Python API (``at=(x, y)``, ``crs='EPSG:4326'``); the command line
    shows :meth:`render` ``(cli=True)`` (``--at X,Y``, ``--crs EPSG:4326``).
    """

    def __init__(self, template: str, **points):
        self.template = template
        self.points = points
        super().__init__(self.render())

    def render(self, cli: bool = False) -> str:
        def show(key, value):
            if key.startswith("crs"):
                return f"--crs {value}" if cli else f"crs={value!r}"
            x, y = (_number(v) for v in value)
            return f"--at {x},{y}" if cli else f"at=({x}, {y})"

        return self.template.format(**{k: show(k, v) for k, v in self.points.items()})

    def __str__(self) -> str:
        return self.render()


def _number(value) -> str:
    """A coordinate as the user would type it back: 106.75, 380020, nan, inf, 1e+300."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if math.isfinite(v) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)
