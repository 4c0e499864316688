"""gasnet: one-map GIS pipeline for a city gas distribution network."""

import logging

from ._version import __version__
from .network import Network, load

__all__ = ["Network", "__version__", "load"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
