"""Dask for the spatial stages (README, "Running on a Dask cluster"): the client, the spatial
partitions, and the plumbing the stages use when a cluster is configured.

Nothing here imports dask or distributed until :func:`session` is given
``workers`` or ``scheduler``: without them :func:`current` is ``None`` and every stage runs in
this process as before (the command line stays quick).

What is partitioned, and how the results stay identical to the single process:

- ingest: each source file is read, checked and normalised by a worker with its own
  :class:`~gasnet.validate.Report`; the reports are merged in the configured order (the rows
  and kinds of problems as one report would have them); the row-local geometry checks of
  validation run on row ranges; the whole-layer checks (duplicate ids, ids differing only in
  case, the extent, the working CRS) stay in this process.
- customer attachment: the customers are split into ranges of their Hilbert order (spatial
  partitions); each partition gets the pipe parts within ``customer_max_distance_m`` of its
  bounding box (the partitions overlap by the search distance) and finds *every* nearest
  part within that distance (all ties). A customer with one nearest part has its answer;
  one with several equidistant parts (possibly from both sides of a partition edge) is
  settled here by the single process's own query on the whole tree, so ties break exactly
  as they do without Dask (STRtree order, not the lowest index).
- the hazard overlay: the records are split the same way; each partition gets the pipe
  parts within its records' reach and computes its pairs with the very code of the single
  process (:func:`gasnet.hazards._pairs`); the pairs are sorted as the single process sorts
  them.

Geometries travel as coordinates (points) or one WKB buffer (anything else), both exact.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import GasnetError

__all__ = [
    "CHUNK_ROWS",
    "CONNECT_TIMEOUT_S",
    "ClusterError",
    "Session",
    "check_options",
    "current",
    "pack",
    "session",
    "spatial_chunks",
    "unpack",
]

log = logging.getLogger(__name__)

#: Rows per partition (at least one partition per worker).
CHUNK_ROWS = 250_000
#: How long to wait for ``--scheduler`` before giving up (seconds).
CONNECT_TIMEOUT_S = 10.0
#: The most local workers ``--workers`` may ask for, per CPU of this machine (each worker is
#: a process of its own: 64 on 2 CPUs took minutes just to start). A cluster of more
#: machines is ``--scheduler``.
WORKERS_PER_CPU = 4


def max_workers() -> int:
    return WORKERS_PER_CPU * (os.cpu_count() or 1)


#: Why a script that starts workers fails without a main guard, and what to do.
_MAIN_GUARD = (
    'a script that runs gasnet with workers= must do so under `if __name__ == "__main__":` '
    "(each worker process starts by importing the script)"
)


class ClusterError(GasnetError):
    """``workers`` / ``scheduler`` cannot be used: a bad value, or no scheduler there."""


@dataclass
class Session:
    """A connected Dask client (and the local cluster it started, if any)."""

    client: object
    cluster: object = None
    chunk_rows: int = CHUNK_ROWS
    #: Partitions run by each stage, for the tests and the logs: ``(stage, n)``.
    log: list = field(default_factory=list)

    @property
    def n_workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info()["workers"]))
        except Exception:  # (an informational figure only)
            return 1

    def n_chunks(self, n_rows: int) -> int:
        """How many partitions for ``n_rows`` rows: one per worker at least, at most
        ``chunk_rows`` rows each, never more than the rows."""
        if n_rows <= 0:
            return 0
        return max(1, min(n_rows, max(self.n_workers, math.ceil(n_rows / self.chunk_rows))))

    def map(self, fn, payloads: list, stage: str = "") -> list:
        """``[fn(p) for p in payloads]`` on the workers; the results in order. The first
        payload that failed (in order, not in time) raises its exception here."""
        self.log.append((stage or fn.__name__, len(payloads)))
        if not payloads:
            return []
        from distributed import KilledWorker

        client = self.client
        data = futures = []
        try:
            data = client.scatter(payloads, hash=False)
            futures = client.map(fn, data, pure=False)
            out = []
            for f in futures:
                try:
                    out.append(f.result())
                except Exception as exc:
                    if f.status == "error" and not isinstance(exc, KilledWorker):
                        raise  # the task's own error (a GasnetError about the data ...)
                    raise self._lost(stage or fn.__name__, exc) from None
            return out
        except ClusterError:
            raise
        except Exception as exc:
            if any(f.status == "error" for f in futures):
                raise
            raise self._lost(stage or fn.__name__, exc) from None
        finally:
            with contextlib.suppress(Exception):
                client.cancel([*futures, *data])

    @staticmethod
    def _lost(stage: str, exc: BaseException) -> ClusterError:
        """The cluster itself failed (scheduler gone, workers killed): one line, no traceback."""
        why = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ClusterError(
            f"the Dask cluster failed during the {stage} ({type(exc).__name__}: {why}); "
            "check the scheduler and its workers (memory?), then run again"
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


_SESSION: Session | None = None


def current() -> Session | None:
    """The active session (inside :func:`session` with workers or a scheduler), or None."""
    return _SESSION


def check_options(workers=None, scheduler=None) -> tuple[int | None, str | None]:
    """``workers`` as a positive whole number, ``scheduler`` as an address; a
    :class:`ClusterError` naming the argument otherwise (the command line names its flags)."""
    if workers is not None and scheduler is not None:
        raise ClusterError(
            "workers= and scheduler= are exclusive: give workers=N for a local cluster, or "
            "scheduler=ADDRESS for an existing one"
        )
    if workers is not None:
        text = str(workers).strip()
        try:
            n = int(text)
        except ValueError:
            n = 0
        most = max_workers()
        if isinstance(workers, bool) or n < 1 or n > most:
            raise ClusterError(
                f"workers={text or repr(workers)}: the number of local worker processes must be "
                f"a whole number from 1 to {most} ({WORKERS_PER_CPU} per CPU of this machine), "
                "e.g. workers=2; for more, start a cluster and give scheduler=tcp://HOST:PORT"
            )
        workers = n
    if scheduler is not None:
        scheduler = str(scheduler).strip()
        if not scheduler or any(c.isspace() for c in scheduler):
            raise ClusterError(
                f"scheduler={scheduler!r}: not an address; give the scheduler's address, e.g. "
                "scheduler=tcp://10.0.0.5:8786"
            )
    return workers, scheduler


def _connect(workers: int | None, scheduler: str | None, chunk_rows: int) -> Session:
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as exc:
        raise ClusterError(
            f"{'workers' if workers else 'scheduler'}= needs dask and distributed "
            f"({exc.name} is not installed): pip install 'gasnet[dask]'"
        ) from None
    # Dask's own progress lines (scheduler, nanny, worker: INFO on stderr) are not gasnet's.
    for name in ("distributed", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler is not None:
        _reachable(scheduler)
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError (a bad address) ...
            why = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterError(
                f"scheduler={scheduler}: cannot connect to a Dask scheduler there within "
                f"{CONNECT_TIMEOUT_S:g} s ({why}); start one (`dask scheduler`, and "
                "`dask worker ADDRESS` on each machine) or check the address, or use "
                "workers=N for a local cluster"
            ) from None
        try:  # a scheduler with no workers would fail the first task ("No valid workers")
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except Exception:
            client.close()
            raise ClusterError(
                f"scheduler={scheduler}: the Dask scheduler there has no workers (none joined "
                f"within {CONNECT_TIMEOUT_S:g} s); start some (`dask worker {scheduler}` on "
                "each machine), or use workers=N for a local cluster"
            ) from None
        return Session(client, None, chunk_rows)
    import multiprocessing.process
    import sys

    if getattr(multiprocessing.process.current_process(), "_inheriting", False):
        # A worker process importing the user's script (Python starts workers that way): the
        # script calls gasnet at its top level, so every worker would start a cluster of its own.
        raise ClusterError(_MAIN_GUARD)
    try:
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # (any free port: never "8787 is already in use")
            silence_logs=logging.ERROR,
        )
    except Exception as exc:
        main = sys.modules.get("__main__")
        cli = getattr(sys.modules.get("gasnet.cli"), "main", None)
        script = getattr(main, "__file__", None) and (
            cli is None or getattr(main, "main", None) is not cli
        )
        hint = f"try fewer workers{'; or ' + _MAIN_GUARD if script else ''}"
        raise ClusterError(
            f"workers={workers}: cannot start a local Dask cluster ({exc}); {hint}"
        ) from None
    try:
        client = distributed.Client(cluster, set_as_default=False)
    except Exception:
        cluster.close()
        raise
    return Session(client, cluster, chunk_rows)


def _reachable(scheduler: str) -> None:
    """A scheduler address that cannot work, named at once: no host:port, or (TCP) nothing
    listening there (a Client would retry until its timeout)."""
    import socket

    from distributed.comm import parse_address, parse_host_port

    try:
        scheme, location = parse_address(scheduler)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise ClusterError(
            f"scheduler={scheduler}: not a scheduler address ({exc}); give it as "
            "tcp://HOST:PORT, e.g. scheduler=tcp://10.0.0.5:8786"
        ) from None
    if scheme != "tcp":
        raise ClusterError(
            f"scheduler={scheduler}: only tcp:// schedulers are supported here (a {scheme}:// "
            "cluster needs security settings the command line does not take)"
        )
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
        kind = _identity(scheduler)
    except Exception as exc:  # OSError, a timeout, a peer that is no Dask scheduler ...
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        why = f"{why.splitlines()[0]}; " if why.strip() else ""
        raise ClusterError(
            f"scheduler={scheduler}: no Dask scheduler answers there ({why}waited at most "
            f"{CONNECT_TIMEOUT_S:g} s); start one (`dask scheduler`, and `dask worker ADDRESS` "
            "on each machine) or check the address, or use workers=N for a local cluster"
        ) from None
    if kind != "Scheduler":
        raise ClusterError(
            f"scheduler={scheduler}: a Dask {kind or 'server'} answers there, not a scheduler; "
            "give the scheduler's address"
        )


def _identity(address: str) -> str | None:
    """What the Dask server at ``address`` says it is ("Scheduler", "Worker" ...), within
    :data:`CONNECT_TIMEOUT_S` (a Client would wait forever on a peer that is not Dask)."""
    import asyncio
    import concurrent.futures

    from distributed.comm import connect

    async def ask():
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded():
        return await asyncio.wait_for(ask(), CONNECT_TIMEOUT_S)

    # In a thread of its own: the caller may be inside a running event loop (Jupyter), where
    # asyncio.run cannot be called.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(lambda: asyncio.run(bounded())).result()
    return answer.get("type") if isinstance(answer, dict) else None


@contextlib.contextmanager
def session(workers=None, scheduler=None, *, chunk_rows: int = CHUNK_ROWS):
    """Run the spatial stages inside on Dask: ``workers=N`` starts a local cluster of N
    worker processes (one thread each), ``scheduler="tcp://host:port"`` connects to an
    existing one; neither: nothing changes (and dask is not imported). Everything is closed
    on exit. Yields the :class:`Session` (or None)."""
    global _SESSION

    workers, scheduler = check_options(workers, scheduler)
    if workers is None and scheduler is None:
        yield None
        return
    s = _connect(workers, scheduler, chunk_rows)
    previous, _SESSION = _SESSION, s
    try:
        yield s
    finally:
        _SESSION = previous
        s.close()


# -- geometries on the wire ----------------------------------------------------------------------


def pack(geoms) -> tuple:
    """Geometries for a worker, exactly: 2-D points as their coordinates, anything else as
    one WKB buffer with offsets (``None`` stays ``None``)."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    if len(geoms) and (types == 0).all() and not shapely.has_z(geoms).any():
        if not shapely.is_empty(geoms).any():
            return ("xy", shapely.get_coordinates(geoms))
    wkb = shapely.to_wkb(geoms)
    missing = np.array([w is None for w in wkb], dtype=bool)
    sizes = np.array([0 if w is None else len(w) for w in wkb], dtype=np.int64)
    blob = b"".join(w for w in wkb if w is not None)
    return ("wkb", blob, np.r_[0, np.cumsum(sizes)], missing)


def unpack(packed: tuple) -> np.ndarray:
    """The geometries :func:`pack` packed."""
    import shapely

    if packed[0] == "xy":
        return shapely.points(packed[1])
    _, blob, offsets, missing = packed
    view = memoryview(blob)
    ends = zip(offsets[:-1], offsets[1:], missing, strict=True)
    wkb = np.array([None if m else bytes(view[a:b]) for a, b, m in ends], dtype=object)
    out = np.full(len(wkb), None, dtype=object)
    if (~missing).any():
        out[~missing] = shapely.from_wkb(wkb[~missing])
    return out


# -- spatial partitions ---------------------------------------------------------------------------


def spatial_chunks(geoms, n_chunks: int) -> list[np.ndarray]:
    """Positions of ``geoms`` (all present, not empty) in ``n_chunks`` spatial partitions:
    equal ranges of their Hilbert order (the distance along a Hilbert curve of their bounding
    box centres, ``GeoSeries.hilbert_distance``), each range in its original order."""
    import geopandas as gpd
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if n == 0 or n_chunks <= 0:
        return []
    if n_chunks == 1:
        return [np.arange(n)]
    bounds = shapely.bounds(geoms)
    total = (
        bounds[:, 0].min(),
        bounds[:, 1].min(),
        bounds[:, 2].max(),
        bounds[:, 3].max(),
    )
    dist = gpd.GeoSeries(geoms).hilbert_distance(total_bounds=total, level=16).to_numpy()
    order = np.argsort(dist, kind="stable")
    return [np.sort(part) for part in np.array_split(order, n_chunks) if len(part)]


def chunk_boxes(bounds: np.ndarray, chunks: list[np.ndarray], reach) -> np.ndarray:
    """One bounding box per partition (minx, miny, maxx, maxy) of its members' ``bounds``
    widened by ``reach`` (a number, or one per member)."""
    import shapely

    reach = np.broadcast_to(np.asarray(reach, dtype=float), (len(bounds),))
    out = []
    for c in chunks:
        b, r = bounds[c], reach[c]
        out.append(
            (
                (b[:, 0] - r).min(),
                (b[:, 1] - r).min(),
                (b[:, 2] + r).max(),
                (b[:, 3] + r).max(),
            )
        )
    return shapely.box(*np.array(out, dtype=float).reshape(-1, 4).T)


# -- nearest within a distance, ties as the single process breaks them -----------------------


def _nearest_task(payload):
    """On a worker: every nearest candidate (all ties) of each query within ``max_distance``:
    (query position in the chunk, candidate position in the chunk, distance)."""
    import shapely

    queries, candidates, max_distance = payload
    q, t = unpack(queries), unpack(candidates)
    if not len(q) or not len(t):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    (qi, ti), d = shapely.STRtree(t).query_nearest(
        q, max_distance=max_distance, all_matches=True, return_distance=True
    )
    return qi.astype(np.int64), ti.astype(np.int64), d


def nearest(s: Session, tree, tree_geoms, queries, max_distance: float):
    """What ``tree.query_nearest(queries, max_distance=max_distance, all_matches=False,
    return_distance=True)`` returns -- ``((query positions, tree positions), distances)``,
    identical, ties included -- computed on spatial partitions of ``queries`` (present, not
    empty geometries); ``tree`` is the STRtree of ``tree_geoms``.
    """
    import shapely

    queries = np.asarray(queries, dtype=object)
    n = len(queries)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64)), np.zeros(0)
    if not n or not len(tree_geoms):
        return empty
    chunks = spatial_chunks(queries, s.n_chunks(n))
    boxes = chunk_boxes(shapely.bounds(queries), chunks, max_distance)
    bi, cand = tree.query(boxes)  # the parts within reach of each partition (overlapping)
    o = np.lexsort((cand, bi))
    bi, cand = bi[o], cand[o]
    split = np.searchsorted(bi, np.arange(len(chunks) + 1))
    per = [cand[split[k] : split[k + 1]] for k in range(len(chunks))]
    payloads = [
        (pack(queries[c]), pack(tree_geoms[p]), max_distance)
        for c, p in zip(chunks, per, strict=True)
    ]
    qs, ts, ds = [], [], []
    done = s.map(_nearest_task, payloads, "nearest")
    for c, p, (qi, ti, d) in zip(chunks, per, done, strict=True):
        qs.append(c[qi])
        ts.append(p[ti])
        ds.append(d)
    q, t, d = np.concatenate(qs), np.concatenate(ts), np.concatenate(ds)
    order = np.lexsort((t, q))
    q, t, d = q[order], t[order], d[order]
    first = np.r_[True, q[1:] != q[:-1]] if len(q) else np.zeros(0, bool)
    many = np.zeros(len(q), bool)
    counts = np.diff(np.r_[np.flatnonzero(first), len(q)])
    many[np.flatnonzero(first)[counts > 1]] = True
    hit, part, dist = q[first], t[first], d[first]
    tied = many[first]
    if tied.any():  # equidistant parts: the single process's own choice (its tree's order)
        (_, tp), td = tree.query_nearest(
            queries[hit[tied]], max_distance=max_distance, all_matches=False, return_distance=True
        )
        part = part.copy()
        dist = dist.copy()
        part[tied], dist[tied] = tp, td
    return (hit, part), dist
