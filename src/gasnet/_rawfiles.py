"""Looking at raw input files before GDAL reads them (ingest only; nothing here writes).

A shapefile's parts must belong together (record counts of the .shp, .shx and .dbf), its
.dbf text must decode as the encoding it is read with, wide numeric id fields must be read
exactly, a GeoPackage must be read without SQLite writing beside it, and a CSV's delimiter and
byte-order mark are found here. Each helper returns facts; :mod:`gasnet.ingest` reports them.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DbfField",
    "DbfHeader",
    "ShapefileLayout",
    "TextSample",
    "codec_name",
    "cpg_encoding",
    "csv_text",
    "dbf_text_samples",
    "read_dbf_header",
    "shapefile_layout",
    "sibling",
    "sqlite_readable",
]


def sibling(shp: Path, ext: str) -> Path | None:
    """The shapefile part ``ext`` (".dbf") beside ``shp``, as GDAL finds it (lower or upper
    case suffix); ``None`` when there is none."""
    for suffix in (ext.lower(), ext.upper()):
        p = shp.with_suffix(suffix)
        if p.is_file():
            return p
    return None


# -- .dbf --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DbfField:
    name: bytes
    type: str  # C, N, F, D, L ...
    offset: int  # in the record, after the deletion flag
    length: int
    decimals: int


@dataclass(frozen=True)
class DbfHeader:
    n_records: int
    header_len: int
    record_len: int
    ldid: int  # language driver id (code page mark), 0 when none
    fields: tuple[DbfField, ...]
    size: int  # the file's size in bytes

    @property
    def expected_size(self) -> int:
        """Bytes the header promises (the end-of-file 0x1A byte is optional)."""
        return self.header_len + self.n_records * self.record_len


def read_dbf_header(path: Path) -> DbfHeader | None:
    """The .dbf header, or ``None`` when it is not a readable dBASE header (GDAL says why)."""
    try:
        with open(path, "rb") as f:
            head = f.read(32)
            if len(head) < 32:
                return None
            n, header_len, record_len = struct.unpack("<IHH", head[4:12])
            rest = f.read(max(header_len - 32, 0))
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return None
    fields, offset = [], 1
    for i in range(0, len(rest) - 31, 32):
        d = rest[i : i + 32]
        if d[0] == 0x0D:
            break
        name = d[:11].split(b"\x00", 1)[0]
        fields.append(DbfField(name, chr(d[11]), offset, d[16], d[17]))
        offset += d[16]
    return DbfHeader(n, header_len, record_len, head[29], tuple(fields), size)


class TextSample(NamedTuple):
    """A non-ASCII byte string of a .dbf: where it is, and whether it fills its field (then a
    multi-byte character may have been cut at the field's width by the export)."""

    data: bytes
    where: str  # "a field name", "record 12, field NAME"
    full: bool


def dbf_text_samples(path: Path, header: DbfHeader, limit: int = 2000) -> list[TextSample]:
    """Non-ASCII byte strings of the .dbf: the field names, then up to ``limit`` distinct
    values of each character field (the first ones in the file). Used to tell the text's
    encoding."""
    out = [
        TextSample(f.name, "a field name", False)
        for f in header.fields
        if max(f.name, default=0) >= 0x80
    ]
    text_fields = [f for f in header.fields if f.type in "CM" and f.length]
    n = min(header.n_records, max(header.size - header.header_len, 0) // max(header.record_len, 1))
    if not text_fields or n <= 0 or header.record_len <= 0:
        return out
    records = np.memmap(
        path, dtype=np.uint8, mode="r", offset=header.header_len, shape=(n, header.record_len)
    )
    chunk = 1 << 16
    for fld in text_fields:
        if fld.offset + fld.length > header.record_len:
            continue
        seen: set[bytes] = set()
        label = fld.name.decode("ascii", "replace")
        for start in range(0, n, chunk):
            cells = np.asarray(records[start : start + chunk, fld.offset : fld.offset + fld.length])
            rows = np.flatnonzero((cells >= 0x80).any(axis=1))
            if not len(rows):
                continue
            # Distinct cells in this chunk, in file order (a column repeats a few labels).
            voids = np.ascontiguousarray(cells[rows]).view(f"V{fld.length}").ravel()
            _, first = np.unique(voids, return_index=True)
            for r in rows[np.sort(first)]:
                cell = cells[r].tobytes()
                value = cell.split(b"\x00", 1)[0].rstrip(b" ")  # GDAL reads up to a NUL
                if max(value, default=0) < 0x80:  # non-ASCII only after the NUL
                    continue
                if value not in seen:
                    seen.add(value)
                    where = f"record {start + r + 1}, field {label}"
                    out.append(TextSample(value, where, len(value) == len(cell)))
                    if len(seen) >= limit:
                        break
            if len(seen) >= limit:
                break
    del records
    return out


def codec_name(name: str | None) -> str | None:
    """Python's name for an encoding (``"GBK"`` -> ``"gbk"``), ``None`` if unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


#: dBASE language driver ids GDAL honours without a .cpg (the usual ones of Chinese data).
_LDID = {0x4D: "cp936", 0x7A: "cp936", 0x4F: "cp950", 0x78: "cp950", 0x57: "iso8859-1"}


def cpg_encoding(text: str) -> str | None:
    """The Python codec a .cpg's text names, as GDAL reads it (``"936"`` and ``"ANSI 936"``
    are code page 936, ``"65001"`` UTF-8); ``None`` when not understood."""
    t = text.strip().upper().removeprefix("ANSI").strip()
    if t.isdigit():
        t = {"65001": "utf-8", "28591": "iso8859-1"}.get(t, f"cp{t}")
    elif t.startswith("ISO") and not t.startswith("ISO-") and not t.startswith("ISO8859"):
        t = "iso-" + t[3:].strip().replace(" ", "")  # "ISO 88591"
        t = {"iso-88591": "iso8859-1"}.get(t, t)
    return codec_name(t)


def ldid_encoding(ldid: int) -> str | None:
    """The Python codec a .dbf's code page mark stands for, by Python's name for it (0x4D,
    code page 936: ``"gbk"``, as a config's ``"GBK"`` or a .cpg's ``"936"``)."""
    return codec_name(_LDID.get(ldid))


# -- .shp and .shx --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapefileLayout:
    """What the .shx says about the .shp, checked against the .shp's own record headers."""

    n_index: int  # records the .shx lists: (size - 100) / 8
    shp_size: int
    beyond_end: np.ndarray  # positions (0-based) of indexed records that end past the .shp's end
    first_misfit: int | None  # first indexed record whose header in the .shp disagrees
    extra_bytes: int  # .shp bytes after the last indexed record (records the .shx omits)


def shapefile_layout(shp: Path, shx: Path) -> ShapefileLayout | None:
    """Compare the .shx index with the .shp; ``None`` when the files cannot be looked at (GDAL
    reports that in its own words)."""
    try:
        index = shx.read_bytes()
        shp_size = shp.stat().st_size
    except OSError:
        return None
    if len(index) < 100:  # not even a header: GDAL says so in its own words
        return None
    n = max((len(index) - 100) // 8, 0)
    words = np.frombuffer(index, dtype=">i4", count=2 * n, offset=100).reshape(n, 2)
    offset = words[:, 0].astype(np.int64) * 2
    length = words[:, 1].astype(np.int64) * 2
    end = offset + 8 + length
    beyond = np.flatnonzero(end > shp_size)
    misfit = offset < 100  # inside the .shp's header: no record there
    readable = np.flatnonzero(~misfit & (offset + 8 <= shp_size))
    if len(readable):
        shp_map = np.memmap(shp, dtype=np.uint8, mode="r")
        heads = np.asarray(shp_map[offset[readable, None] + np.arange(8)])
        del shp_map
        rec = heads.view(">i4").reshape(-1, 2).astype(np.int64)
        # Record numbers count from 1; the content length is the one the .shx gives.
        misfit[readable] = (rec[:, 0] != readable + 1) | (rec[:, 1] * 2 != length[readable])
    first_misfit = int(np.flatnonzero(misfit)[0]) if misfit.any() else None
    extra = shp_size - int(end.max()) if n and not len(beyond) else 0
    if n == 0:
        extra = max(shp_size - 100, 0)
    return ShapefileLayout(n, shp_size, beyond, first_misfit, max(extra, 0))


# -- GeoPackage and other SQLite files -------------------------------------------------------

_SQLITE_MAGIC = b"SQLite format 3\x00"


@contextlib.contextmanager
def sqlite_readable(path: Path):
    """``(path to read, open options)`` for GDAL, so that reading never writes beside ``path``.

    SQLite opens a database in WAL mode read-write to read it: it creates ``-wal`` and ``-shm``
    beside it, and with a ``-wal`` already there it checkpoints it into the file and deletes
    it. Read-only open options do not stop that when a ``-wal`` exists. So:

    - not an SQLite file: read as is;
    - a ``-wal`` or ``-journal`` beside it (changes not yet in the file): the file and those
      are copied to a temporary folder and read there, so the pending changes are read and
      nothing in the raw folder changes;
    - otherwise a GeoPackage is opened ``IMMUTABLE=YES`` (SQLite then creates no side files);
      another SQLite file (SpatiaLite) is read as is in rollback mode (a read creates no
      file then) and from a temporary copy in WAL mode (GDAL's SQLite driver has no such
      option).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        head = b""
    if not head.startswith(_SQLITE_MAGIC):
        yield path, {}
        return
    pending = [side for s in ("-wal", "-journal") if (side := Path(f"{path}{s}")).is_file()]
    if not pending and path.suffix.lower() == ".gpkg":
        yield path, {"IMMUTABLE": "YES"}
        return
    if not pending and head[18:20] != b"\x02\x02":  # not WAL mode: a read creates no file
        yield path, {}
        return
    with tempfile.TemporaryDirectory(prefix="gasnet-read-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        for side in pending:
            shutil.copyfile(side, Path(f"{copy}{side.name[len(path.name) :]}"))
        yield copy, {}


# -- CSV -------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = (",", ";", "\t", "|")


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` declares."""
    return next((enc for bom, enc in _BOMS if data.startswith(bom)), None)


def csv_text(data: bytes, encoding: str) -> tuple[str, str]:
    """``(text, delimiter)``: ``data`` decoded (``UnicodeDecodeError`` when it does not) and
    the delimiter its header line uses — the most frequent of ``,`` ``;`` tab ``|`` outside
    quotes (``,`` when none)."""
    text = data.decode(encoding)
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return text, best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            n += 1
    return n
