"""gasnet: one-map GIS pipeline for a city gas distribution network."""

import logging

__version__ = "0.1.0"

from .network import Network, load

__all__ = ["Network", "__version__", "load"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
