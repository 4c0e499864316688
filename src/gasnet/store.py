"""The one-map GeoPackage: atomic writes, run metadata, reading layers back.

Every write goes to a temporary file beside the target and is renamed over it only when
complete, so a failed or interrupted run leaves the previous GeoPackage intact. Temporary
("staging") names carry the writer's pid, ``.<name>.tmp-<pid><suffix>`` (and SQLite's
``-journal``, ``-wal``, ``-shm`` beside them): a killed run's leftovers are removed by the
next write into the same folder once that pid is gone. A write that fails (disk full,
read-only folder, a folder in the way) raises :class:`~gasnet.errors.OutputError` naming
the file, the cause and the fix; a GeoPackage that cannot be read back (truncated,
damaged, not a file) raises it too, telling to rebuild it with ``gasnet run``.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import stat
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from ._files import kind, not_regular
from ._version import __version__
from .errors import OutputError, StageOrderError

__all__ = [
    "atomic_path",
    "clean_stale_staging",
    "list_layers",
    "read_layer",
    "read_metadata",
    "sha256",
    "write_layers",
]

log = logging.getLogger(__name__)

METADATA = "run_metadata"

#: A staging file: ``.<name>.tmp-<pid><suffix>`` for the suffixes gasnet writes (``.gpkg``,
#: ``.csv``, ``.geojson``, ``.html``) and SQLite's files beside it; a run's
#: staging GeoPackage is itself written through a staging name
#: (``..gasnet.tmp-<pid>.tmp-<pid>.gpkg``).
STAGING = re.compile(
    r"^\..+\.tmp-(?P<pid>\d+)\.(?:gpkg|csv|geojson|html)(?:-journal|-wal|-shm)?$", re.IGNORECASE
)
_SQLITE_SIDECARS = ("-journal", "-wal", "-shm")
#: Errors of a write: the OS's own, and GDAL's (which does not pass the errno on).
_WRITE_ERRORS = (OSError, DataSourceError, DataLayerError)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pid_gone(pid: int) -> bool:
    """Has process ``pid`` ended (on this machine)? A zombie has; unsure means no."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    except (OverflowError, ValueError):  # no such pid can exist
        return True
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def clean_stale_staging(folder: Path) -> list[Path]:
    """Remove the staging files in ``folder`` left by runs whose process is gone.

    Only names of the staging pattern (:data:`STAGING`) are touched, never this process's
    own nor those of a live process (a concurrent run). Pids are those of this machine: a
    folder shared by several machines may hold another machine's live staging file, which a
    run here could remove (that run then fails; no finished output is ever touched).
    """
    removed = []
    me = os.getpid()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = STAGING.match(entry.name)
        if not m or int(m["pid"]) == me or not _pid_gone(int(m["pid"])):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
            os.unlink(entry.path)
        except OSError as exc:
            log.warning("Cannot remove stale staging file %s: %s", entry.path, exc)
            continue
        removed.append(Path(entry.path))
    if removed:
        log.info("Removed %d stale staging file(s) in %s.", len(removed), folder)
    return removed


def _free_bytes(folder: Path) -> tuple[int, bool] | None:
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    blocks = st.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else st.f_bavail
    return blocks * st.f_frsize, bool(st.f_flag & getattr(os, "ST_RDONLY", 0))


def diagnose(folder: Path, tmp: Path | None = None) -> tuple[int, str] | None:
    """Why a GDAL write failed, when the cause is the file system; ``None`` otherwise.

    GDAL reports a full disk as a failed SQL statement or commit, without the errno, so the
    folder is examined: read-only, (nearly) no free space, the file size limit reached, or a
    small probe write that fails with the OS's own errno.
    """
    free = _free_bytes(folder)
    if free is not None:
        space, readonly = free
        if readonly:
            return errno.EROFS, os.strerror(errno.EROFS)
        if space < 1 << 20:
            return errno.ENOSPC, os.strerror(errno.ENOSPC)
    limit = _file_size_limit()
    if limit is not None and tmp is not None:
        sizes = [
            os.stat(p).st_size
            for p in (tmp, *(Path(f"{tmp}{s}") for s in _SQLITE_SIDECARS))
            if os.path.exists(p)
        ]
        if sizes and max(sizes) + (1 << 16) >= limit:
            return errno.EFBIG, f"{os.strerror(errno.EFBIG)}: the file size limit is {limit} bytes"
    probe = folder / f".gasnet-probe.tmp-{os.getpid()}.gpkg"  # a staging name: never left
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"\0" * (1 << 16))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc.errno or 0, exc.strerror or str(exc)
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
    return None


def _file_size_limit() -> int | None:
    """The process's file size limit (``ulimit -f``) in bytes, ``None`` when unlimited."""
    try:
        import resource
    except ImportError:  # not on this system
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


_FIXES = {
    errno.ENOSPC: "free some disk space, or set {setting} to a folder on another disk",
    errno.EDQUOT: "free some space within your disk quota, or set {setting} to another folder",
    errno.EFBIG: "raise the file size limit (ulimit -f), or set {setting} to another folder",
    errno.EROFS: "that folder is on a read-only file system: set {setting} to a writable folder",
    errno.EACCES: "no permission to write there: set {setting} to a writable folder",
    errno.EPERM: "no permission to write there: set {setting} to a writable folder",
    errno.ENOTDIR: "point {setting} at a folder, not into a file",
    errno.EISDIR: "that path is a folder: set {setting} to a file path",
}


def write_error(
    target: Path, code: int, cause: str, setting: str, what: str = "the file"
) -> OutputError:
    """The one-line error of a failed write: the file, the cause, the fix."""
    fix = _FIXES.get(code, "check {setting}: a writable folder with free space")
    return OutputError(
        f"{target}: cannot write {what} ({cause}); {fix.format(setting=setting)}; "
        f"{Path(target).name} is unchanged"
    )


class atomic_path:
    """Context manager yielding a temporary path that replaces ``target`` on success.

    With ``copy=True`` the temporary file starts as a copy of the existing target. Before
    anything is computed into it, the folder is created and checked by creating the
    temporary file (so a read-only or missing folder fails at once), and stale staging files
    of killed runs there are removed (:func:`clean_stale_staging`).

    Failures of the file system raise :class:`OutputError` naming ``target``, the cause and
    the fix (``setting`` names what the user changes: ``[output] dir``, ``--out``). With
    ``translate=False`` only the preparation and the final rename are translated and errors
    raised by the body pass through unchanged (a whole pipeline runs inside
    :func:`gasnet.pipeline.run`'s staging and reads inputs there too). ``shown`` is the path
    messages name when ``target`` is itself a staging file (the GeoPackage the user knows).
    """

    def __init__(
        self,
        target: Path,
        copy: bool = False,
        setting: str = "the output path",
        translate: bool = True,
        shown: Path | None = None,
    ):
        self.target = Path(target)
        self.shown = Path(shown) if shown is not None else self.target
        self.copy = copy
        self.setting = setting
        self.translate = translate
        self.tmp = self.target.with_name(
            f".{self.target.stem}.tmp-{os.getpid()}{self.target.suffix}"
        )

    def _error(self, code: int, cause: str) -> OutputError:
        what = "the GeoPackage" if self.target.suffix.lower() == ".gpkg" else "the file"
        return write_error(self.shown, code, cause, self.setting, what)

    def __enter__(self) -> Path:
        try:
            st = os.stat(self.target)
        except OSError:
            st = None  # missing, or a part of its path is a file: mkdir below says which
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise self._error(errno.EISDIR, "it is a folder")
            raise OutputError(
                f"{self.target}: is {kind(st.st_mode)}, not a regular file, and writing "
                f"would replace it; set {self.setting} to a file path"
            )
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            blocker = next(
                (p for p in self.target.parents if os.path.lexists(p) and not p.is_dir()), None
            )
            cause = f"{blocker} is a file, not a folder" if blocker else exc.strerror
            raise self._error(errno.ENOTDIR, cause) from None
        except OSError as exc:
            raise self._error(exc.errno or 0, exc.strerror or str(exc)) from None
        try:
            clean_stale_staging(self.target.parent)
            self._cleanup()
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.close(fd)
            if self.copy and st is not None:
                shutil.copy2(self.target, self.tmp)
            else:
                os.unlink(self.tmp)  # the writer creates it in its own format
        except OSError as exc:
            self._cleanup()
            raise self._error(exc.errno or 0, exc.strerror or str(exc)) from None
        return self.tmp

    def _cleanup(self) -> None:
        for suffix in ("", *_SQLITE_SIDECARS):
            p = f"{self.tmp}{suffix}"
            if not os.path.lexists(p):  # (a read-only folder refuses even a missing name)
                continue
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("Cannot remove %s: %s", p, exc)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                with open(self.tmp, "rb+") as f:
                    os.fsync(f.fileno())
                os.replace(self.tmp, self.target)
            except OSError as err:
                self._cleanup()
                raise self._error(err.errno or 0, err.strerror or str(err)) from None
            _fsync_folder(self.target.parent)
            return
        cause = None
        if self.translate and isinstance(exc, _WRITE_ERRORS):
            if isinstance(exc, OSError):
                cause = (exc.errno or 0, exc.strerror or str(exc))
            else:
                cause = diagnose(self.target.parent, self.tmp)
        self._cleanup()
        if cause is not None:
            raise self._error(*cause) from None


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _metadata_frame(old: dict[str, str], new: dict[str, str]) -> pd.DataFrame:
    merged = {**old, **new}
    return pd.DataFrame({"key": list(merged), "value": [str(v) for v in merged.values()]})


def write_layers(
    path: Path,
    layers: dict[str, pd.DataFrame],
    *,
    fresh: bool = False,
    metadata: dict[str, str] | None = None,
    stage: str | None = None,
    shown: Path | None = None,
) -> None:
    """Write (or replace) ``layers`` in the GeoPackage ``path``, atomically.

    Parameters
    ----------
    fresh
        Start a new file instead of updating the existing one (ingest does: stale later
        stages must not survive a new ingest).
    metadata
        Key/value pairs merged into the ``run_metadata`` table.
    stage
        The stage that wrote; recorded as ``stage:<name>`` with the time, and
        ``gasnet_version``.
    shown
        The path error messages name when ``path`` is a run's staging file.
    """
    path = Path(path)
    old = {} if fresh else read_metadata(path, missing_ok=True)
    meta = dict(metadata or {})
    if stage:
        meta[f"stage:{stage}"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        meta["gasnet_version"] = __version__
    setting = "[output] dir in the config"
    try:
        with atomic_path(path, copy=not fresh, setting=setting, shown=shown) as tmp:
            for name, df in layers.items():
                pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG")
            pyogrio.write_dataframe(_metadata_frame(old, meta), tmp, layer=METADATA, driver="GPKG")
    except (DataSourceError, DataLayerError):
        # Updating a copy fails when the file was damaged where reading did not look (the
        # old layer cannot be dropped: "Layer nodes already exists"): then say so.
        problem = None if fresh else integrity_problem(path)
        if problem:
            raise damaged(Path(shown or path), problem) from None
        raise
    log.info("Wrote %s to %s.", ", ".join(layers), path)


def integrity_problem(path: Path) -> str | None:
    """SQLite's ``PRAGMA quick_check`` of ``path`` (read-only): ``None`` when it is sound.

    A pass over the whole file: used only after a write failed, never on the normal path.
    """
    import sqlite3

    try:
        con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("PRAGMA quick_check(3)").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    if rows == [("ok",)]:
        return None
    text = "; ".join(str(r[0]) for r in rows)
    return text if len(text) <= 120 else text[:117] + "..."


def damaged(path: Path, detail: str) -> OutputError:
    """The error for a GeoPackage that cannot be read back: rebuild it."""
    return OutputError(
        f"{path}: the GeoPackage is damaged ({detail}); it is an output, rebuilt from the raw "
        "data: run `gasnet run`"
    )


def _gdal_detail(exc: Exception) -> str:
    """The useful end of a GDAL message ("... failed: database disk image is malformed")."""
    text = " ".join(str(exc).split())
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[1].split(";")[0]
    return text if len(text) <= 120 else text[:117] + "..."


def check_geopackage(path: Path) -> None:
    """Raise :class:`OutputError` unless ``path`` looks like a complete GeoPackage.

    Cheap (reads 100 bytes): the path and its SQLite side files must be regular files (a
    FIFO would hang the reader), the file must start with the SQLite header, and be as long
    as the header says (a truncated copy is not). Damage inside the file is found by GDAL
    while reading (:func:`read_layer`); no full integrity check is run.
    """
    for p in (path, *(Path(f"{path}{s}") for s in _SQLITE_SIDECARS)):
        what = not_regular(p)
        if what:
            raise damaged(path, f"{p.name} is {what}, not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot read the GeoPackage ({exc.strerror or exc}); check its "
            "permissions, or rebuild it with `gasnet run`"
        ) from None
    try:
        size = os.fstat(fd).st_size
        head = os.read(fd, 100)
    finally:
        os.close(fd)
    if len(head) < 100 or not head.startswith(b"SQLite format 3\0"):
        raise damaged(path, f"not a GeoPackage: {size} bytes without the SQLite header")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    # The page count is valid when its "version-valid-for" number equals the change counter.
    if pages and head[92:96] == head[24:28] and pages * page > size:
        raise damaged(path, f"truncated: {size} of {pages * page} bytes")


def list_layers(path: Path) -> list[str]:
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return []
    check_geopackage(path)
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError) as exc:
        raise damaged(path, _gdal_detail(exc)) from None


def _require(path: Path, layer: str, stage: str) -> None:
    if not Path(path).exists():
        raise StageOrderError(
            f"{path}: no GeoPackage yet; run `gasnet ingest` (or `gasnet run`) first"
        )
    if layer not in list_layers(path):
        raise StageOrderError(f"{path}: layer {layer!r} is missing; run `gasnet {stage}` first")


def read_layer(path: Path, layer: str, *, stage: str = "ingest") -> gpd.GeoDataFrame | pd.DataFrame:
    """Read one layer; a clear :class:`StageOrderError` names the stage that makes it.

    A damaged GeoPackage raises :class:`OutputError` (rebuild it with ``gasnet run``).
    """
    _require(path, layer, stage)
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError) as exc:
        raise damaged(Path(path), f"layer {layer}: {_gdal_detail(exc)}") from None


def read_metadata(path: Path, missing_ok: bool = False) -> dict[str, str]:
    """The ``run_metadata`` table as a dict."""
    path = Path(path)
    if missing_ok and (not path.exists() or METADATA not in list_layers(path)):
        return {}
    df = read_layer(path, METADATA)
    if not {"key", "value"} <= set(df.columns):
        raise damaged(path, f"layer {METADATA} has no key / value columns")
    return dict(zip(df["key"], df["value"], strict=False))


def file_stamp(path: Path) -> str:
    """``<size>:<mtime_ns>`` of a file: what the freshness check compares before hashing."""
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


def input_metadata(config, files: list[Path]) -> dict[str, str]:
    """Run metadata of an ingest: each input file's sha256, the config text, the project.

    Each input also gets ``inputstat:<relpath>`` (size and modification time, taken before
    hashing) so that :func:`gasnet.pipeline.changed_inputs` hashes only files whose size or
    time changed.
    """
    meta = {
        "project": config.name,
        "crs": config.crs,
        "config_path": str(config.path),
        "config_toml": config.text,
    }
    for f in files:
        rel = relative_input(config, f)
        meta[f"inputstat:{rel}"] = file_stamp(f)
        meta[f"input:{rel}"] = sha256(f)
    meta["inputs"] = json.dumps(sorted(k[6:] for k in meta if k.startswith("input:")))
    return meta


def relative_input(config, f: Path) -> str:
    """How run_metadata names an input file: relative to the config's folder."""
    try:
        return os.path.relpath(f, config.path.resolve().parent)
    except ValueError:  # another drive
        return str(f)
