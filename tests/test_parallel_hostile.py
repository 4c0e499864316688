"""Hostile review of gasnet.parallel: a scheduler called from inside a running event loop
(Jupyter), a scheduler without workers, the API run twice in one process."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import pytest
import shapely

from gasnet import parallel
from gasnet.errors import InputError


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


def test_api_in_a_script_without_a_main_guard(tmp_path):
    """A script calling gasnet.run(config, workers=2) at its top level: each worker process
    imports the script and would start a cluster of its own. The error said "try fewer
    workers"; it names the main guard (in the workers' tracebacks and the script's error)."""
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "from gasnet import parallel\nwith parallel.session(workers=1):\n    pass\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("gasnet.parallel.ClusterError: workers=1: cannot start"), last
    assert 'if __name__ == "__main__":' in last, last


def _die(_payload):
    import os

    os._exit(1)  # a worker killed mid-task (out of memory, kill -9)


def _bad_data(_payload):
    from gasnet.errors import InputError

    raise InputError("the task's own error")


def test_worker_killed_mid_task_is_a_cluster_error(scheduler):
    """A worker dying on its task was distributed's KilledWorker: a traceback on the command
    line. The task's own GasnetError still passes through as itself."""
    with parallel.session(scheduler=scheduler) as s:
        with pytest.raises(parallel.ClusterError, match="the Dask cluster failed during the t"):
            s.map(_die, [1], "test stage")
        with pytest.raises(InputError, match="the task's own error"):
            s.map(_bad_data, [1, 2], "test stage")


def test_scheduler_gone_mid_run_is_a_cluster_error():
    """The scheduler stopping during a run (the Client's scheduler is gone): it was an
    AttributeError from inside distributed's scatter."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    with parallel.session(scheduler=cluster.scheduler_address) as s:
        cluster.close()
        with pytest.raises(parallel.ClusterError, match="the Dask cluster failed during"):
            s.map(_bad_data, [1], "nearest")


def test_more_local_workers_than_the_machine_can_start_is_refused(monkeypatch):
    """64 worker processes on 2 CPUs took minutes to start, silently: at most 4 per CPU."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert parallel.check_options(workers=8) == (8, None)
    with pytest.raises(parallel.ClusterError, match=r"from 1 to 8 \(4 per CPU"):
        parallel.check_options(workers=9)
