"""gasnet: one-map GIS pipeline for a city gas distribution network.

>>> net = gasnet.load(config)            # the built GeoPackage (gasnet.run builds it)
>>> net.isolate("FM000283")              # doctest: +ELLIPSIS
<Isolation closing FM000283: ... customers (... households) lose gas...>

``load``, ``run``, ``Network`` and ``errors`` are imported on first use (PEP 562): importing
the package stays light, so ``gasnet --version`` and argument errors answer at once and the
command line handles Ctrl-C before geopandas and GDAL load.
"""

import logging
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:  # what type checkers see; at run time these load on first use
    from . import errors
    from .network import Network, load
    from .pipeline import run_and_load as run

__all__ = ["Network", "__version__", "errors", "load", "run"]

_LAZY = {"Network": "network", "load": "network", "run": "pipeline"}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    import importlib

    if name == "errors":
        return importlib.import_module(".errors", __name__)
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, "run_and_load" if name == "run" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
