"""What kind of file a path is, and reading only regular files (never blocking on a FIFO).

A FIFO, ``/dev/zero`` or a socket named as an input would make a reader wait forever or read
without end; every input (the config, each layer's files, the GeoPackage read back) is checked
with these helpers first.
"""

from __future__ import annotations

import os
import stat

__all__ = ["FileTooLarge", "NotRegularFile", "kind", "not_regular", "read_regular"]


class NotRegularFile(OSError):
    """The path exists but is not a regular file; ``str()`` says what it is."""


class FileTooLarge(OSError):
    """A file is larger than the reader accepts; ``args[0]`` is its size in bytes."""


def kind(mode: int) -> str:
    """What a non-regular ``st_mode`` is, for messages ("a FIFO (named pipe)" ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_regular(path) -> str | None:
    """``None`` for a regular file or a path that does not exist; else what the path is.

    ``os.stat`` follows symbolic links (a link to ``/dev/zero`` is a character device) and
    never blocks, whatever the path is.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return None if stat.S_ISREG(st.st_mode) else kind(st.st_mode)


def read_regular(path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    Opened non-blocking and checked on the open descriptor, so a FIFO cannot hang the
    reader and the file cannot be swapped between the check and the read.

    Raises
    ------
    NotRegularFile
        The path is a FIFO, a device, a folder or a socket.
    FileTooLarge
        The file is larger than ``max_bytes`` (``args[0]`` is its size).
    OSError
        It cannot be opened (missing, no permission ...).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(kind(st.st_mode))
        if st.st_size > max_bytes:
            raise FileTooLarge(st.st_size)
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:  # grew while being read
                raise FileTooLarge(size)
        return b"".join(chunks)
    finally:
        os.close(fd)
