"""The docstring examples (``pytest --doctest-modules src/gasnet``) run on the sample network.

The sample is generated afresh into a temporary folder (the bundled data/raw is the same
network, ``gasnet sample --pipes 4500 --seed 7``) and built with the whole pipeline once per
session, so ids such as valve FM000283 and pipe GX0000051 mean what the README says.
"""

from __future__ import annotations

import datetime

import pytest


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory):
    """(config path, built Network) of the generated sample."""
    import gasnet
    from gasnet.sample import write_sample

    root = tmp_path_factory.mktemp("doctest-sample")
    write_sample(root, 4500, 7)
    config = root / "gasnet.toml"
    return config, gasnet.run(config, as_of=datetime.date(2026, 6, 30))


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    """``gasnet``, ``config`` and ``net`` for the examples (built only when a doctest runs)."""
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import gasnet

    config, net = request.getfixturevalue("sample_project")
    doctest_namespace.update(gasnet=gasnet, config=config, net=net)
