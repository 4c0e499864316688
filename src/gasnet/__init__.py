"""gasnet: one-map GIS pipeline for a city gas distribution network.

``gasnet.load`` and ``gasnet.Network`` are imported on first use (PEP 562): importing the
package stays light, so ``gasnet --version`` and argument errors answer at once and the
command line handles Ctrl-C before geopandas and GDAL load.
"""

import logging

from ._version import __version__

__all__ = ["Network", "__version__", "load"]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    if name in ("Network", "load"):
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "Network", "load"])
