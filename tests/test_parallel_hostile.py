"""Hostile review of gasnet.parallel: a scheduler called from inside a running event loop
(Jupyter), a scheduler without workers, the API run twice in one process."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import pytest
import shapely

from gasnet import parallel


@pytest.fixture(scope="module")
def scheduler():
    """One local cluster of 2 worker processes for the module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def test_scheduler_from_inside_a_running_event_loop(scheduler):
    """gasnet.run(config, scheduler=...) in Jupyter runs inside the kernel's event loop: the
    scheduler check must not call asyncio.run there (it said "no Dask scheduler answers")."""
    g = shapely.points(np.random.default_rng(1).random((50, 2)))
    tree = shapely.STRtree(g)
    want = tree.query_nearest(g, max_distance=1.0, all_matches=False, return_distance=True)

    async def notebook_cell():
        with parallel.session(scheduler=scheduler) as s:
            return parallel.nearest(s, tree, g, g, 1.0)

    (q, t), d = asyncio.run(notebook_cell())
    np.testing.assert_array_equal(q, want[0][0])
    np.testing.assert_array_equal(t, want[0][1])
    np.testing.assert_array_equal(d, want[1])


def test_scheduler_without_workers_is_a_cluster_error(monkeypatch):
    """A scheduler no worker joined: one ClusterError naming it (it was a bare TimeoutError
    "No valid workers found" from the first scatter: a traceback on the command line)."""
    from distributed import LocalCluster

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 2.0)
    with LocalCluster(
        n_workers=0, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        with pytest.raises(parallel.ClusterError, match="has no workers"):
            with parallel.session(scheduler=cluster.scheduler_address):
                pass
    assert parallel.current() is None
