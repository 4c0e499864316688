"""Named exceptions. The CLI turns every :class:`GasnetError` into one line on stderr and exit 2."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "GasnetError",
    "InputError",
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
