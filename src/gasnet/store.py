"""The one-map GeoPackage: atomic writes, run metadata, reading layers back.

Every write goes to a temporary file beside the target and is renamed over it only when
complete, so a failed or interrupted run leaves the previous GeoPackage intact. Temporary
("staging") names carry the writer's pid, ``.<name>.tmp-<pid><suffix>`` (and SQLite's
``-journal``, ``-wal``, ``-shm`` beside them); while it works, the writer holds an exclusive
``flock`` on ``<staging name>.lock``, and a later write into the same folder removes only
staging files whose lock it can take (a killed run's: the kernel released its lock). A write
that fails (disk full, read-only folder, a folder in the way) raises
:class:`~gasnet.errors.OutputError` naming the file, the cause and the fix; a GeoPackage
that cannot be read back (truncated, damaged, not a file) raises it too, telling to rebuild
it with ``gasnet run``.
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
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError

from ._files import kind, not_regular
from ._version import __version__
from .errors import OutputError, StageOrderError

try:
    import fcntl
except ImportError:  # not a POSIX system: staleness falls back to the pid rule
    fcntl = None

__all__ = [
    "GeoPackageStore",
    "atomic_path",
    "atomic_paths",
    "clean_stale_staging",
    "list_layers",
    "read_layer",
    "read_metadata",
    "sha256",
    "write_layers",
]

log = logging.getLogger(__name__)

METADATA = "run_metadata"

#: A staging file: ``.<name>.tmp-<pid>[-<n>]<suffix>`` for the suffixes gasnet writes
#: (``.gpkg``, ``.csv``, ``.geojson``, ``.html``), with SQLite's files beside it, the
#: writer's lock file ``<staging name>.lock`` and a group write's backup link
#: ``<staging name>.old``. ``-<n>`` appears when another process (in another pid namespace)
#: holds the plain name. A run's staging GeoPackage is itself written through a staging
#: name (``..gasnet.tmp-<pid>.tmp-<pid>.gpkg``).
STAGING = re.compile(
    r"^(?P<base>\..+\.tmp-(?P<pid>\d+)(?:-\d+)?\.(?:gpkg|csv|geojson|html))"
    r"(?P<side>-journal|-wal|-shm|\.lock|\.old)?$",
    re.IGNORECASE,
)
_SQLITE_SIDECARS = ("-journal", "-wal", "-shm")
_LOCK = ".lock"
_BACKUP = ".old"
#: Errors of a write: the OS's own, and GDAL's (which does not pass the errno on).
_WRITE_ERRORS = (OSError, DataSourceError, DataLayerError, FeatureError)
#: Folders whose links gasnet never replaces (``/dev/stdout``, ``/proc/self/fd/1`` ...).
_SPECIAL = (Path("/dev"), Path("/proc"), Path("/sys"))


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


def _take_lock(path: str, create: bool) -> int | None:
    """An exclusive ``flock`` on ``path``, without waiting: its descriptor, or ``None`` when
    another process holds it, or the name was removed or replaced meanwhile (a cleaner).

    Raises OSError when the file cannot be opened (created) or the file system has no flock.
    """
    flags = (os.O_RDWR | os.O_CREAT if create else os.O_RDONLY) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        raise
    try:
        held, named = os.fstat(fd), os.stat(path)
        same = (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)
    except OSError:
        same = False
    if not same:
        os.close(fd)
        return None
    return fd


def _unlink_quietly(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("Cannot remove %s: %s", path, exc)
        return False
    return True


def clean_stale_staging(folder: Path) -> list[Path]:
    """Remove the staging files in ``folder`` left by runs that are gone.

    Only names of the staging pattern (:data:`STAGING`) are touched. A staging file with a
    lock file (``<name>.lock``) is stale exactly when its lock can be taken: the kernel
    releases a writer's ``flock`` when it exits or is killed, and holds it for a live one in
    any pid namespace (containers sharing a volume) -- and in this process too. Files
    without a lock file (written by older versions) keep the pid rule: removed once no
    process of that pid lives on this machine, never this process's own.
    """
    removed: list[Path] = []
    me = os.getpid()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    groups: dict[str, list[os.DirEntry]] = {}
    for entry in entries:
        m = STAGING.match(entry.name)
        if m:
            groups.setdefault(m["base"], []).append(entry)
    for base, members in groups.items():
        try:
            members = [e for e in members if not e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        lock = next((e for e in members if e.name == base + _LOCK), None)
        fd = None
        if lock is not None:
            if fcntl is None:
                continue
            try:
                fd = _take_lock(lock.path, create=False)
            except OSError:
                continue  # cannot tell: leave it
            if fd is None:
                continue  # a live writer's (or just removed by another cleaner)
        else:
            pid = int(STAGING.match(base)["pid"])
            if pid == me or not _pid_gone(pid):
                continue
        try:
            for entry in members:
                if entry is not lock and _unlink_quietly(entry.path):
                    removed.append(Path(entry.path))
            if lock is not None and _unlink_quietly(lock.path):  # last, still holding it
                removed.append(Path(lock.path))
        finally:
            if fd is not None:
                os.close(fd)
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


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n < 10e6 else f"{n / 1e6:.0f} MB"


#: How SQLite (through GDAL) words a full disk; GDAL passes no errno on.
_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")


def diagnose(
    folder: Path,
    tmp: Path | None = None,
    *,
    need: int | None = None,
    error: BaseException | None = None,
) -> tuple[int, str] | None:
    """Why a GDAL write failed, when the cause is the file system; ``None`` otherwise.

    GDAL reports a full disk as a failed SQL statement or commit, without the errno, and
    SQLite has rolled back (freeing the space) by the time the error arrives. So: GDAL's
    own words for a full disk or a file too large (in ``error``); then the folder: read-only,
    less free space than the write needs, a file size limit (``ulimit -f``) below what it
    needs, or a small probe write that fails with the OS's own errno. ``need`` is an estimate
    of the size the file ``tmp`` would have reached (``None``: unknown).
    """
    text = " ".join(str(error).split()).lower() if error is not None else ""
    limit = _file_size_limit()
    if any(t in text for t in _FULL_TEXTS):
        return errno.ENOSPC, os.strerror(errno.ENOSPC)
    if "file too large" in text:
        return errno.EFBIG, _efbig_cause(limit)
    sizes = [
        os.stat(p).st_size
        for p in ((tmp, *(Path(f"{tmp}{s}") for s in _SQLITE_SIDECARS)) if tmp else ())
        if os.path.exists(p)
    ]
    size_now = max(sizes, default=0)
    growth = max(0, need - size_now) if need else 0
    free = _free_bytes(folder)
    if free is not None:
        space, readonly = free
        if readonly:
            return errno.EROFS, os.strerror(errno.EROFS)
        if space < (1 << 20) + growth:
            detail = f": about {_mb(growth)} needed, {_mb(space)} free" if growth else ""
            return errno.ENOSPC, os.strerror(errno.ENOSPC) + detail
    if limit is not None and (size_now + (1 << 16) >= limit or (need or 0) >= limit):
        return errno.EFBIG, _efbig_cause(limit, need)
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


def _efbig_cause(limit: int | None, need: int | None = None) -> str:
    text = os.strerror(errno.EFBIG)
    if limit is not None:
        text += f": the file size limit is {limit} bytes"
        if need:
            text += f", the file needs about {_mb(need)}"
    return text


def _file_size_limit() -> int | None:
    """The process's file size limit (``ulimit -f``) in bytes, ``None`` when unlimited."""
    try:
        import resource
    except ImportError:  # not on this system
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def estimate_bytes(frames) -> int:
    """About how many bytes ``frames`` take in a GeoPackage (or GeoJSON): coordinates,
    text as UTF-8, 8 bytes a number, and per row a record and an index entry. Measured on
    the sample at 20k pipes: 0.8 x the file. Used only to explain a failed write."""
    import numpy as np
    import shapely

    total = 0
    for df in frames:
        n = len(df)
        total += 48 * n
        geom = getattr(df, "geometry", None) if isinstance(df, gpd.GeoDataFrame) else None
        if geom is not None:
            coords = shapely.get_num_coordinates(np.asarray(geom.values))
            total += int(coords.sum()) * 16
            df = pd.DataFrame(df.drop(columns=geom.name))
        for col in df.columns:
            s = df[col]
            if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
                total += sum(len(str(v).encode("utf-8", "replace")) for v in s.dropna()) + 2 * n
            else:
                total += 8 * n
    return total


_FIXES = {
    errno.ENOSPC: "free some disk space, or set {setting} to a folder on another disk",
    errno.EDQUOT: "free some space within your disk quota, or set {setting} to another folder",
    errno.EFBIG: "raise the file size limit (ulimit -f), or set {setting} to another folder",
    errno.EROFS: "that folder is on a read-only file system: set {setting} to a writable folder",
    errno.EACCES: "no permission to write there: set {setting} to a writable folder",
    errno.EPERM: "that file or folder may not be changed (permissions, or a locked file: "
    "lsattr shows i or a): set {setting} to a writable folder",
    errno.ENOTDIR: "point {setting} at a folder, not into a file",
    errno.EISDIR: "that path is a folder: set {setting} to a file path",
    errno.ENOENT: "run the command again (and check that no other program cleans that folder)",
}


def write_error(
    target: Path,
    code: int,
    cause: str,
    setting: str,
    what: str = "the file",
    unchanged: str | None = None,
) -> OutputError:
    """The one-line error of a failed write: the file, the cause, the fix."""
    fix = _FIXES.get(code, "check {setting}: a writable folder with free space")
    unchanged = unchanged or f"{Path(target).name} is unchanged"
    return OutputError(
        f"{target}: cannot write {what} ({cause}); {fix.format(setting=setting)}; {unchanged}"
    )


def _special(path: Path) -> Path | None:
    """The system folder (``/dev``, ``/proc``, ``/sys``) that ``path`` lies in, if any."""
    return next((s for s in _SPECIAL if path == s or path.is_relative_to(s)), None)


class atomic_path:
    """Context manager yielding a temporary path that replaces ``target`` on success.

    With ``copy=True`` the temporary file starts as a copy of the existing target. Before
    anything is computed into it, the folder is created and checked by creating the
    temporary file (so a read-only or missing folder fails at once), and stale staging files
    of killed runs there are removed (:func:`clean_stale_staging`). While it lives, it holds
    an exclusive ``flock`` on ``<staging name>.lock``, which tells other processes -- in any
    pid namespace -- that its staging files are live.

    A ``target`` that is a symbolic link is followed: the regular file it points to is
    replaced and the link is kept. A link that loops, or that leads into ``/dev``,
    ``/proc`` or ``/sys`` (``/dev/stdout``, ``/proc/self/fd/1``: an open file, a pipe or the
    terminal), is refused: gasnet writes by replacing a file, which would replace the
    system's link.

    Failures of the file system raise :class:`OutputError` naming ``target``, the cause and
    the fix (``setting`` names what the user changes: ``[output] dir``, ``--out``). With
    ``translate=False`` only the preparation and the final rename are translated and errors
    raised by the body pass through unchanged (a whole pipeline runs inside
    :func:`gasnet.pipeline.run`'s staging and reads inputs there too). ``shown`` is the path
    messages name when ``target`` is itself a staging file (the GeoPackage the user knows).
    ``need`` (bytes, or a function giving them) estimates how large the file would grow, to
    tell a full disk from a bug when GDAL fails without saying why. ``expect`` (with
    ``copy``) is the identity (:func:`stamp`) of the file the caller read: the copy is made
    only from that very file -- not from one a concurrent run renamed into place meanwhile,
    nor from nothing when it was removed (a run's staging copy).

    ``publish`` (a function of the staging path) replaces the rename: the finished staging
    file is handed to it (a PostGIS store copies it in one transaction) and then removed.
    """

    def __init__(
        self,
        target: Path,
        copy: bool = False,
        setting: str = "the output path",
        translate: bool = True,
        shown: Path | None = None,
        expect: tuple | None = None,
        publish=None,
    ):
        self.target = Path(target)
        self.publish = publish
        self.shown = Path(shown) if shown is not None else self.target
        self.copy = copy
        self.expect = expect
        self.setting = setting
        self.translate = translate
        self.need = None
        self.unchanged: str | None = None  # what the error says is unchanged (a group)
        self.stamp: tuple | None = None  # the committed file's identity (:func:`stamp`)
        self.tmp = self._staging_name(0)
        self._lock_fd: int | None = None
        self._lock_path: str | None = None

    def _staging_name(self, n: int) -> Path:
        tag = f"{os.getpid()}" if n == 0 else f"{os.getpid()}-{n}"
        return self.target.with_name(f".{self.target.stem}.tmp-{tag}{self.target.suffix}")

    def _error(self, code: int, cause: str) -> OutputError:
        what = "the GeoPackage" if self.target.suffix.lower() == ".gpkg" else "the file"
        return write_error(self.shown, code, cause, self.setting, what, self.unchanged)

    def _follow_links(self) -> None:
        """Point :attr:`target` at the file a symbolic link leads to (or refuse it)."""
        p = Path(os.path.abspath(self.target))
        for _ in range(40):
            if not os.path.islink(p):
                self.target = p
                return
            try:
                link = os.readlink(p)
            except OSError as exc:
                raise self._error(exc.errno or 0, exc.strerror or str(exc)) from None
            nxt = Path(os.path.normpath(Path(os.path.realpath(p.parent)) / link))
            where = _special(p) or _special(nxt)
            if where is not None:
                raise OutputError(
                    f"{self.shown}: is a link {'in' if _special(p) else 'into'} {where} "
                    f"(to {link}: an open file, a pipe, the terminal or a device), and gasnet "
                    f"writes a file by replacing it; set {self.setting} to a regular file path"
                )
            p = nxt
        raise OutputError(
            f"{self.shown}: the symbolic link loops (it leads back to itself); set "
            f"{self.setting} to a file path, or remove the link"
        )

    def _acquire(self) -> None:
        """Choose the staging name and take its lock (another namespace's run may hold the
        plain one); without flock, the plain name and the pid rule."""
        if fcntl is None:
            return
        for n in range(100):
            tmp = self._staging_name(n)
            lock = f"{tmp}{_LOCK}"
            for _ in range(3):  # the name was removed or replaced under us: take it again
                try:
                    fd = _take_lock(lock, create=True)
                except OSError as exc:
                    if exc.errno in (errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS):
                        _unlink_quietly(lock)  # no flock on this file system
                        self.tmp = self._staging_name(0)
                        return
                    raise
                if fd is not None:
                    self.tmp, self._lock_fd, self._lock_path = tmp, fd, lock
                    return
                if os.path.exists(lock):  # held by a live writer: try the next name
                    break
        raise OSError(errno.EBUSY, "every staging name is held by another process")

    def _release(self) -> None:
        if self._lock_fd is None:
            return
        _unlink_quietly(self._lock_path)  # while still holding it: no cleaner is confused
        os.close(self._lock_fd)
        self._lock_fd = self._lock_path = None

    def __enter__(self) -> Path:
        self._follow_links()
        try:
            st = os.stat(self.target)
        except OSError:
            st = None  # missing, or a part of its path is a file: mkdir below says which
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise self._error(errno.EISDIR, "it is a folder")
            raise OutputError(
                f"{self.shown}: is {kind(st.st_mode)}, not a regular file, and writing "
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
            self._acquire()
            self._cleanup()  # our own name's leftovers: its lock says nobody else uses it
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.close(fd)
            if self.copy and self.expect is not None:
                self._copy_expected()
            elif self.copy and st is not None:
                shutil.copy2(self.target, self.tmp)
            else:
                os.unlink(self.tmp)  # the writer creates it in its own format
        except OSError as exc:
            self._abort()
            raise self._error(exc.errno or 0, exc.strerror or str(exc)) from None
        except BaseException:  # (an OutputError of _copy_expected, Ctrl-C)
            self._abort()
            raise
        return self.tmp

    def _copy_expected(self) -> None:
        """Copy the target into the staging file, if it is still the file :attr:`expect`
        names; else an :class:`OutputError` (this stage's work would mix two versions)."""
        try:
            src = open(self.target, "rb")  # (closed below)
        except FileNotFoundError:
            src = None
        try:
            if src is None or stamp(os.fstat(src.fileno())) != self.expect:
                what = "was removed" if src is None else "was replaced"
                raise OutputError(
                    f"{self.shown}: {what} by another process while gasnet worked on it (a "
                    f"`gasnet run` finishing, or a program cleaning the folder); "
                    f"{self.shown.name} is as that process left it: run the command again"
                )
            with open(self.tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            shutil.copymode(self.target, self.tmp)
        finally:
            if src is not None:
                src.close()

    def _cleanup(self) -> None:
        for suffix in ("", *_SQLITE_SIDECARS, _BACKUP):
            p = f"{self.tmp}{suffix}"
            if os.path.lexists(p):  # (a read-only folder refuses even a missing name)
                _unlink_quietly(p)

    def _abort(self) -> None:
        self._cleanup()
        self._release()

    def _sync(self) -> None:
        try:
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
        except FileNotFoundError:
            raise OSError(
                errno.ENOENT, "its staging copy was removed by another process meanwhile"
            ) from None

    def _commit(self) -> None:
        if self.publish is not None:
            try:
                self.publish(self.tmp)
            finally:
                self._abort()
            return
        try:
            self._sync()
            # What the file is once renamed (a rename keeps the inode, size and time): the
            # identity a later write of the same run expects to find there (:func:`stamp`).
            self.stamp = stamp(os.stat(self.tmp))
            os.replace(self.tmp, self.target)
        except OSError as err:
            self._abort()
            raise self._error(err.errno or 0, err.strerror or str(err)) from None
        _fsync_folder(self.target.parent)
        self._release()

    def _failed(self, exc: BaseException | None) -> OutputError | None:
        """Clean up after the body failed; the error to raise instead of ``exc``, if any."""
        try:
            cause = None
            if self.translate and isinstance(exc, _WRITE_ERRORS):
                if isinstance(exc, OSError):
                    cause = (exc.errno or 0, exc.strerror or str(exc))
                else:
                    need = self.need() if callable(self.need) else self.need
                    cause = diagnose(self.target.parent, self.tmp, need=need, error=exc)
        finally:
            self._abort()
        return self._error(*cause) if cause is not None else None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._commit()
            return
        error = self._failed(exc)
        if error is not None:
            raise error from None


class atomic_paths:
    """Several outputs that belong together (a burst's table, valves and area), written as
    one: every staging file is prepared before the body writes anything (a target that is a
    folder, a device or in a read-only folder fails before any file is replaced), and the
    files are renamed only when all are written. Should a rename still fail (a file made
    immutable), the ones already renamed are put back from hard links of the old files.

    Yields the list of staging paths, in the order of ``targets``. Set :attr:`current` to
    the index of the file being written, so that an error names it (by default: the last
    whose staging file exists).
    """

    def __init__(self, targets, **kwargs):
        self.parts = [atomic_path(t, **kwargs) for t in targets]
        self.current: int | None = None
        names = [p.shown.name for p in self.parts]
        together = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        for p in self.parts:
            p.unchanged = f"{together} {'are' if len(names) > 1 else 'is'} unchanged"

    def __enter__(self) -> list[Path]:
        entered = []
        try:
            for p in self.parts:
                p.__enter__()
                entered.append(p)
        except BaseException:
            for p in entered:
                p._abort()
            raise
        return [p.tmp for p in self.parts]

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            if self.current is not None:
                failing = self.parts[self.current]
            else:  # the part being written when it failed: the last whose staging file exists
                failing = next(
                    (p for p in reversed(self.parts) if os.path.lexists(p.tmp)), self.parts[0]
                )
            error = failing._failed(exc)
            for p in self.parts:
                p._abort()
            if error is not None:
                raise error from None
            return
        self._commit()

    def _commit(self) -> None:
        parts = self.parts
        for p in parts:
            try:
                p._sync()
            except OSError as err:
                for q in parts:
                    q._abort()
                raise p._error(err.errno or 0, err.strerror or str(err)) from None
        # Keep a hard link of each old file to put it back; an old file that refuses one (no
        # hard links here, or locked) is renamed first, before anything else has changed.
        backups: dict[int, str] = {}
        existed = set()
        for p in parts:
            if os.path.lexists(p.target):
                existed.add(id(p))
                try:
                    os.link(p.target, f"{p.tmp}{_BACKUP}")
                    backups[id(p)] = f"{p.tmp}{_BACKUP}"
                except OSError:
                    pass
        order = sorted(parts, key=lambda p: id(p) not in existed or id(p) in backups)
        done: list[atomic_path] = []
        for p in order:
            try:
                os.replace(p.tmp, p.target)
            except OSError as err:
                if not self._roll_back(done, backups, existed):
                    p.unchanged = (
                        "some of the files may already hold the new answer: run the command again"
                    )
                for q in parts:
                    q._abort()
                raise p._error(err.errno or 0, err.strerror or str(err)) from None
            done.append(p)
        _fsync_folder(parts[0].target.parent)
        for p in parts:
            p._abort()  # removes the backup links and releases the locks

    @staticmethod
    def _roll_back(done, backups, existed) -> bool:
        """Put back the files already renamed; ``False`` when one could not be."""
        ok = True
        for p in reversed(done):
            try:
                if id(p) in backups:
                    os.replace(backups[id(p)], p.target)
                elif id(p) not in existed:
                    os.unlink(p.target)
                else:
                    ok = False
            except OSError as exc:
                log.warning("Cannot restore %s: %s", p.target, exc)
                ok = False
        return ok


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
    expect: tuple | None = None,
) -> tuple:
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
    expect
        The :func:`stamp` of the file the stage read (:func:`read_snapshot`): the update is
        made to that very file, or refused when another process replaced or removed it.

    Returns
    -------
    tuple
        The :func:`stamp` of the file written, now at ``path`` (what a later write that
        builds on it passes as ``expect``).
    """
    path = Path(path)
    old = {} if fresh else read_metadata(path, missing_ok=True)
    meta = dict(metadata or {})
    if stage:
        meta[f"stage:{stage}"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")
        meta["gasnet_version"] = __version__
    setting = "[output] dir in the config"
    staging = atomic_path(
        path, copy=not fresh, setting=setting, shown=shown, expect=None if fresh else expect
    )
    frames = [*layers.values(), _metadata_frame(old, meta)]
    try:
        with staging as tmp:
            start = os.path.getsize(tmp) if os.path.exists(tmp) else 0
            # What the file would grow to, should GDAL fail without saying why (estimate_bytes
            # gives about 0.8 x the GeoPackage's size): only computed then.
            staging.need = lambda: start + int(1.25 * estimate_bytes(frames))
            for name, df in layers.items():
                pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG")
            pyogrio.write_dataframe(frames[-1], tmp, layer=METADATA, driver="GPKG")
    except (DataSourceError, DataLayerError, FeatureError):
        # Updating a copy fails when the file was damaged where reading did not look (the
        # old layer cannot be dropped: "Layer nodes already exists"): then say so.
        problem = None if fresh else integrity_problem(path)
        if problem:
            raise damaged(Path(shown or path), problem) from None
        raise
    log.info("Wrote %s to %s.", ", ".join(layers), path)
    return staging.stamp


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


def check_geopackage(path: Path, shown: Path | None = None) -> None:
    """Raise :class:`OutputError` unless ``path`` looks like a complete GeoPackage.

    Cheap (reads 100 bytes): the path and its SQLite side files must be regular files (a
    FIFO would hang the reader), the file must start with the SQLite header, and be as long
    as the header says (a truncated copy is not). Damage inside the file is found by GDAL
    while reading (:func:`read_layer`); no full integrity check is run. Messages name
    ``shown`` (default ``path``).
    """
    shown = Path(shown or path)
    for p in (path, *(Path(f"{path}{s}") for s in _SQLITE_SIDECARS)):
        what = not_regular(p)
        if what:
            name = shown.name + p.name[len(Path(path).name) :]
            raise damaged(shown, f"{name} is {what}, not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise OutputError(
            f"{shown}: cannot read the GeoPackage ({exc.strerror or exc}); check its "
            "permissions, or rebuild it with `gasnet run`"
        ) from None
    try:
        size = os.fstat(fd).st_size
        head = os.read(fd, 100)
    finally:
        os.close(fd)
    if len(head) < 100 or not head.startswith(b"SQLite format 3\0"):
        raise damaged(shown, f"not a GeoPackage: {size} bytes without the SQLite header")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    # The page count is valid when its "version-valid-for" number equals the change counter.
    if pages and head[92:96] == head[24:28] and pages * page > size:
        raise damaged(shown, f"truncated: {size} of {pages * page} bytes")


def list_layers(path: Path, shown: Path | None = None) -> list[str]:
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return []
    check_geopackage(path, shown)
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError) as exc:
        raise damaged(Path(shown or path), _gdal_detail(exc)) from None


def _require(path: Path, layer: str, stage: str, shown: Path | None = None) -> None:
    if not Path(path).exists():
        if shown is not None and Path(shown) != Path(path):
            # A run's staging copy is gone: never name it, the user knows gasnet.gpkg.
            raise OutputError(
                f"{shown}: the run's staging copy of the GeoPackage was removed by another "
                f"process while gasnet worked; {Path(shown).name} is unchanged: run the "
                "command again (and check that no other program cleans that folder)"
            )
        raise StageOrderError(
            f"{path}: no GeoPackage yet; run `gasnet ingest` (or `gasnet run`) first"
        )
    if layer not in list_layers(path, shown):
        raise StageOrderError(
            f"{shown or path}: layer {layer!r} is missing; run `gasnet {stage}` first"
        )


def read_layer(
    path: Path, layer: str, *, stage: str = "ingest", shown: Path | None = None
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read one layer; a clear :class:`StageOrderError` names the stage that makes it.

    A damaged GeoPackage raises :class:`OutputError` (rebuild it with ``gasnet run``).
    Messages name ``shown`` (default ``path``: a run's staging file is never named).
    """
    _require(path, layer, stage, shown)
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError, FeatureError) as exc:
        raise damaged(Path(shown or path), f"layer {layer}: {_gdal_detail(exc)}") from None


#: Geometry type ids (shapely) a GeoPackage layer keeps as written: Point, LineString,
#: Polygon and their multi types (a LinearRing is written as a line, a collection left out).
_PLAIN_TYPES = frozenset([0, 1, 3, 4, 5, 6])
#: A layer of a single type and its multi type (only) is written as the multi type.
_MULTI = {0: 4, 1: 5, 3: 6}


def as_read(frame: pd.DataFrame) -> pd.DataFrame | None:
    """``frame`` as :func:`read_layer` gives it back once :func:`write_layers` wrote it, or
    ``None`` when that cannot be told for certain (then read it back).

    A GeoPackage changes what it stores: the geometry column comes last and is named
    ``geometry``; a nullable integer column with a blank comes back as floating point (NaN),
    one without as ``int64``; text as pandas' string dtype; -0.0 as 0.0 (SQLite); a layer of
    lines and multi-lines as multi-lines only; the index is a new range. This gives the
    same frame -- the arrays pyogrio's reader would return, put together as it does -- for
    the columns gasnet writes: bool, int32 / int64, float64, nullable Int32 / Int64, text
    (every value a ``str`` without NUL, or blank) and a 2D geometry column of the simple
    types with an EPSG CRS. Anything else (dates, mixed objects, Z or M coordinates, empty
    geometries, names SQLite takes for one another) is ``None``. Tested against a real
    write and read (``tests/test_store_as_read.py``).
    """
    import numpy as np
    import shapely

    geo = [c for c in frame.columns if isinstance(frame[c].dtype, gpd.array.GeometryDtype)]
    if len(geo) > 1 or not all(isinstance(c, str) for c in frame.columns):
        return None
    fields = [c for c in frame.columns if c not in geo]
    names = [c.lower() for c in fields]
    if len(set(names)) < len(names) or {"fid", "geom", "geometry"} & set(names):
        return None
    data = {}
    for name in fields:
        values = _as_read_values(frame[name])
        if values is None:
            return None
        data[name] = values
    out = pd.DataFrame(data, columns=fields)  # (as pyogrio builds it)
    if not geo:
        return out
    geometry = frame[geo[0]]
    epsg = geometry.crs.to_epsg() if geometry.crs is not None else None
    if epsg is None:
        return None
    values = np.array(geometry.array, dtype=object)
    present = ~shapely.is_missing(values)
    shapes = values[present]
    if shapely.is_empty(shapes).any() or shapely.has_z(shapes).any():
        return None
    if hasattr(shapely, "has_m") and shapely.has_m(shapes).any():
        return None
    if not np.isfinite(shapely.get_coordinates(shapes)).all():
        return None
    type_ids = shapely.get_type_id(shapes)
    kinds = set(np.unique(type_ids).tolist())
    if not kinds <= _PLAIN_TYPES:
        return None
    single = next((k for k in kinds if _MULTI.get(k) in kinds), None)
    if single is not None and len(kinds) == 2:  # written as the multi type
        convert = np.flatnonzero(present)[type_ids == single]
        make = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}
        values[convert] = make[single](np.atleast_2d(values[convert]), axis=0)
    return gpd.GeoDataFrame(out, geometry=values, crs=f"EPSG:{epsg}")


def _as_read_values(column: pd.Series):
    """The array pyogrio reads back for ``column`` written to a GeoPackage (see
    :func:`as_read`); ``None`` when not sure."""
    import numpy as np

    dtype = column.dtype
    is_object = isinstance(dtype, np.dtype) and dtype.kind == "O"
    if isinstance(dtype, pd.Int64Dtype | pd.Int32Dtype):
        if column.isna().any():  # (a blank in an integer field is read as floating point)
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        return column.to_numpy(dtype=np.int64 if isinstance(dtype, pd.Int64Dtype) else np.int32)
    if isinstance(dtype, np.dtype) and not is_object:
        if dtype in (np.bool_, np.int32, np.int64):
            return column.to_numpy(copy=True)
        if dtype == np.float64:
            return column.to_numpy(copy=True) + 0.0  # SQLite stores -0.0 as 0
        return None
    if not (is_object or isinstance(dtype, pd.StringDtype)):
        return None
    values = np.array(column.to_numpy(dtype=object), dtype=object)
    blank = pd.isna(values)
    if is_object and any(v is not None and not isinstance(v, float) for v in values[blank]):
        return None  # pd.NA or NaT: written as text
    values[blank] = None
    text = values[~blank]
    if not all(type(v) is str for v in text):
        return None
    if len(text) and pd.Series(text, dtype=object).str.contains("\x00", regex=False).any():
        return None  # GDAL cuts text at a NUL
    return values


def read_metadata(
    path: Path, missing_ok: bool = False, shown: Path | None = None
) -> dict[str, str]:
    """The ``run_metadata`` table as a dict."""
    path = Path(path)
    if missing_ok and (not path.exists() or METADATA not in list_layers(path, shown)):
        return {}
    df = read_layer(path, METADATA, shown=shown)
    if not {"key", "value"} <= set(df.columns):
        raise damaged(Path(shown or path), f"layer {METADATA} has no key / value columns")
    return dict(zip(df["key"], df["value"], strict=False))


#: How often :func:`read_snapshot` reads again when the GeoPackage was replaced meanwhile.
SNAPSHOT_ATTEMPTS = 3


def stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    """Which file, in which state: device, inode, size, modification time."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def read_snapshot(
    path: Path, layers: dict[str, str], *, shown: Path | None = None, optional=()
) -> tuple[dict[str, gpd.GeoDataFrame | pd.DataFrame], dict[str, str], tuple]:
    """Several layers and ``run_metadata`` from one and the same version of the GeoPackage.

    GDAL opens the file once per layer, and a ``gasnet run`` finishing meanwhile renames a
    new GeoPackage into place: layers of two files would mix (valves of one network, nodes
    of the other: a wrong answer). So the file is held open while its layers are read (its
    inode cannot be reused), and afterwards the path must still name that file, unchanged
    (device, inode, size, modification time); otherwise everything is read again, up to
    :data:`SNAPSHOT_ATTEMPTS` times. (Reading through ``/proc/self/fd/N`` does not work:
    SQLite resolves that link to the file's name, "… (deleted)" once it was replaced.)

    A GDAL warning while reading (``unable to read srs_id … from gpkg_spatial_ref_sys``: a
    damaged page) means a damaged file. ``layers`` maps each layer to the stage that
    writes it (named when it is missing); those also in ``optional`` are left out of the
    answer when the file lacks them (asked in the same version of the file). Returns the
    layers, the metadata and the file's :func:`stamp` (for :func:`write_layers` ``expect``).
    """
    path = Path(path)
    shown = Path(shown or path)
    for _ in range(SNAPSHOT_ATTEMPTS):
        if not path.exists():
            _require(path, next(iter(layers)), layers[next(iter(layers))], shown)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            continue  # replaced between the check and here: look again
        except OSError as exc:
            raise OutputError(
                f"{shown}: cannot read the GeoPackage ({exc.strerror or exc}); check its "
                "permissions, or rebuild it with `gasnet run`"
            ) from None
        failure = None
        try:
            before = os.fstat(fd)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    present = set(list_layers(path, shown)) if optional else set()
                    out = {
                        name: read_layer(path, name, stage=stage, shown=shown)
                        for name, stage in layers.items()
                        if name not in optional or name in present
                    }
                    meta = read_metadata(path, shown=shown)
                except (OutputError, StageOrderError) as exc:
                    failure = exc  # perhaps only because the file changed: see below
            try:
                same = stamp(os.stat(path)) == stamp(os.fstat(fd)) == stamp(before)
            except OSError:
                same = False
        finally:
            os.close(fd)
        if not same:
            log.info("%s was replaced while being read; reading it again.", shown)
            continue
        if failure is not None:
            raise failure
        gdal = [w for w in caught if "pyogrio" in str(w.filename)]
        for w in caught:
            if w not in gdal:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if gdal:
            raise damaged(shown, f"GDAL: {_gdal_detail(gdal[0].message)}")
        return out, meta, stamp(before)
    raise OutputError(
        f"{shown}: the GeoPackage was replaced {SNAPSHOT_ATTEMPTS} times while being read "
        "(is `gasnet run` running again and again?); run the command again once it is done"
    )


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


class GeoPackageStore:
    """The store interface over a GeoPackage file (the default store); see
    :class:`gasnet.postgis.PostGISStore` for the other. ``shown`` is the file messages name
    (a run's staging file is never named)."""

    kind = "GeoPackage"

    def __init__(self, path: Path, shown: Path | None = None) -> None:
        self.path = Path(path)
        self.shown = Path(shown or path)

    def __repr__(self) -> str:
        return f"GeoPackageStore({str(self.path)!r})"

    def damaged(self, detail: str) -> OutputError:
        return damaged(self.shown, detail)

    def list_layers(self) -> list[str]:
        return list_layers(self.path, self.shown)

    def read_metadata(self, missing_ok: bool = False) -> dict[str, str]:
        return read_metadata(self.path, missing_ok=missing_ok, shown=self.shown)

    def read_layer(self, name: str, *, stage: str = "ingest"):
        return read_layer(self.path, name, stage=stage, shown=self.shown)

    def read_snapshot(self, layers: dict[str, str], *, optional=()):
        return read_snapshot(self.path, layers, shown=self.shown, optional=optional)

    def write_layers(self, layers: dict[str, pd.DataFrame], **kwargs) -> tuple:
        return write_layers(self.path, layers, shown=self.shown, **kwargs)
