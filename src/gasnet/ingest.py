"""Ingest: read every configured source and normalise it to the canonical schema.

Shapefile, GeoPackage, GeoJSON (anything GDAL reads) and CSV with x/y fields. Encodings are
honoured (config, else the .cpg file, else UTF-8); every layer is reprojected to the working
CRS; source fields and standard Chinese values are mapped to canonical names (DESIGN.md);
several sources of one layer are merged into one.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import io
import logging
import os
import re
import unicodedata
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from . import _progress
from . import _rawfiles as _raw
from ._files import not_regular
from .config import Config, LayerSource
from .schema import (
    CRITICAL_KINDS,
    LAYERS,
    STRICT_FIELDS,
    accepted_values,
    build_lookup,
    describe_accepted,
    normalise_value,
    to_simplified,
)
from .validate import (
    BAD_COORDINATES_SEVERITY,
    Report,
    blank_bad_coordinates,
    check_working_crs,
    geoms,
    projected_in_geographic,
    validate_layers,
)

__all__ = ["input_files", "load_layers", "normalise_layer", "read_source"]

log = logging.getLogger(__name__)

_MOJIBAKE = re.compile(r"[\x80-\xff]")


def input_files(source: LayerSource) -> list[Path]:
    """The files a source consists of (a shapefile's .shp, .dbf, .shx, .prj, .cpg ...; a
    GeoPackage's -wal or -journal, which hold changes not yet written into it); none for a
    PostGIS table."""
    path = source.path
    if source.url:
        return []
    if path.suffix.lower() == ".shp":
        return sorted(
            p
            for p in path.parent.glob(path.stem + ".*")
            if p.stem == path.stem and p.suffix.lower() in {".shp", ".shx", ".dbf", ".prj", ".cpg"}
        )
    if not path.exists():
        return []
    return [path, *(p for s in ("-wal", "-journal") if (p := Path(f"{path}{s}")).is_file())]


#: Files GDAL may open beside a shapefile (its parts, its encoding, spatial indexes).
_SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj"}


def _files_read(path: Path) -> list[Path]:
    """Every file a reader may open for ``path``: a shapefile's parts, SQLite's side files."""
    if path.suffix.lower() == ".shp":
        return [path] + [
            path.with_suffix(ext)
            for ext in sorted(_SHAPEFILE_PARTS | {e.upper() for e in _SHAPEFILE_PARTS})
            if ext != path.suffix
        ]
    return [path, *(Path(f"{path}{s}") for s in ("-journal", "-wal", "-shm"))]


def _read_csv(source: LayerSource, report: Report) -> gpd.GeoDataFrame | None:
    """A CSV with x / y columns. Its delimiter (``,`` ``;`` tab ``|``) is the one its header
    line uses; without a configured encoding, a byte-order mark says UTF-8, UTF-16 or UTF-32,
    else UTF-8 is expected."""
    xf, yf = source.x or "x", source.y or "y"
    layer, name = source.layer, source.path.name
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        report.add(
            "unreadable",
            "error",
            layer,
            f"cannot read the CSV ({exc.strerror or exc})",
            "check the file and its permissions",
            label=source.label,
        )
        return None
    bom = _raw.bom_encoding(data)
    configured = _raw.codec_name(source.encoding)
    if bom and configured and not configured.startswith(bom.removesuffix("-sig")):
        report.add(
            "bad_encoding",
            "error",
            layer,
            f"{name} starts with a {bom.removesuffix('-sig').upper()} byte-order mark, but "
            "encoding = "
            f"{source.encoding!r} in [layers.{layer}] says otherwise",
            f"remove encoding from [layers.{layer}] (the mark says it)",
            label=source.label,
        )
        return None
    encoding = source.encoding or bom or "utf-8-sig"
    try:
        text, sep = _raw.csv_text(data, encoding)
    except UnicodeDecodeError as exc:
        guess = ""
        if not source.encoding:
            with contextlib.suppress(UnicodeDecodeError):
                data.decode("gbk")
                guess = " (it reads as GBK)"
        report.add(
            "bad_encoding",
            "error",
            layer,
            f"cannot decode {name} as {source.encoding or 'UTF-8'}{guess}: byte "
            f"{exc.object[exc.start : exc.start + 4]!r} at offset {exc.start}",
            f'set encoding = "GBK" (or the file\'s encoding) in [layers.{layer}]',
            label=source.label,
        )
        return None
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        report.add(
            "unreadable",
            "error",
            layer,
            f"cannot read the CSV: {exc}",
            "export it again with a header row (and the x / y columns)",
            label=source.label,
        )
        return None
    xf, yf = (_column(df.columns, f) or f for f in (xf, yf))
    missing = [f for f in (xf, yf) if f not in df.columns]
    if missing:
        report.add(
            "missing_field",
            "error",
            layer,
            f"coordinate field(s) {', '.join(missing)} not in the CSV (columns: "
            f"{', '.join(df.columns)})",
            f"set x = ... and y = ... in [layers.{layer}]",
            label=source.label,
        )
        return None
    if not source.crs:
        report.add(
            "no_crs",
            "error",
            layer,
            "a CSV carries no CRS",
            f'set crs = "EPSG:4326" (for lon/lat) in [layers.{layer}]',
            label=source.label,
        )
        return None
    xs, ys = df[xf].str.strip(), df[yf].str.strip()
    x = pd.to_numeric(xs, errors="coerce").to_numpy(float)
    y = pd.to_numeric(ys, errors="coerce").to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    # Text where a number should be is no blank location: named, as bad coordinates are.
    text = ((xs != "") & np.isnan(x)) | ((ys != "") & np.isnan(y))
    if text.any():
        idf = _column(df.columns, source.id_field)
        ids = _text(df.loc[text, idf]) if idf else [f"{name} row {i}" for i in np.flatnonzero(text)]
        severity = BAD_COORDINATES_SEVERITY.get(layer, "warning")
        report.add(
            "bad_coordinates",
            severity,
            layer,
            "feature has coordinates that are not numbers"
            + ("" if severity == "error" else "; kept without a location"),
            "write x and y as plain numbers with a decimal point (e.g. 380180.5)",
            ids=ids,
            label=source.label,
            details=[f"x = {a!r}, y = {b!r}" for a, b in zip(xs[text], ys[text], strict=True)],
        )
    geom = np.full(len(df), None, dtype=object)
    geom[ok] = shapely.points(x[ok], y[ok])
    return gpd.GeoDataFrame(df.drop(columns=[xf, yf]), geometry=list(geom), crs=source.crs)


def _shapefile_parts(source: LayerSource, report: Report) -> tuple | None:
    """Check that a shapefile's .shx and .dbf are there and belong to its .shp.

    Returns ``(layout, header)``: the .shx layout (for the truncation check once the ids are
    read) and the .dbf header, each ``None`` when it cannot be looked at (GDAL then reports
    it); ``None`` after a reported error. Parts from
    different exports lose features without a word from GDAL: it reads as many features as
    the .shx indexes, with the attributes of the .dbf's records in that order.
    """
    shp, layer = source.path, source.layer
    shx, dbf = _raw.sibling(shp, ".shx"), _raw.sibling(shp, ".dbf")
    missing = [f"{shp.stem}{ext}" for ext, p in ((".shx", shx), (".dbf", dbf)) if p is None]
    if missing:
        report.add(
            "missing_file",
            "error",
            layer,
            f"{' and '.join(missing)} not found beside {shp.name}: a shapefile is the .shp, "
            ".shx and .dbf of one export (the .shx indexes the shapes, the .dbf holds every "
            "attribute, the ids too)",
            f"copy {' and '.join(missing)} from the same export into {shp.parent}, or export "
            "the layer again",
            label=source.label,
        )
        return None
    header = _raw.read_dbf_header(dbf)
    layout = _raw.shapefile_layout(shp, shx)
    if header is None or layout is None:
        return layout, header
    again = f"export the layer again, or copy {shp.stem}.shp, .shx and .dbf of one export together"
    if header.size < header.expected_size:
        report.add(
            "truncated_file",
            "error",
            layer,
            f"{dbf.name} looks truncated: it is {header.size:,} bytes, but its header says "
            f"{header.n_records:,} records of {header.record_len} bytes "
            f"({header.expected_size:,} bytes)",
            again,
            label=source.label,
        )
        return None
    problem = None
    if header.n_records != layout.n_index:
        problem = (
            f"{shx.name} indexes {layout.n_index:,} shapes but {dbf.name} holds "
            f"{header.n_records:,} records: they come from different exports (GDAL would read "
            f"{min(header.n_records, layout.n_index):,} features, some with another's "
            "attributes, and drop the rest)"
        )
    elif layout.first_misfit is not None:
        problem = (
            f"{shx.name} does not index {shp.name}: its entry for record "
            f"{layout.first_misfit + 1} does not match the shape {shp.name} holds there (the "
            ".shx comes from another export)"
        )
    elif layout.extra_bytes:
        problem = (
            f"{shp.name} holds {layout.extra_bytes:,} bytes of shapes after the last of the "
            f"{layout.n_index:,} that {shx.name} and {dbf.name} list: they come from another, "
            "shorter export (those features would be dropped)"
        )
    if problem:
        report.add("mismatched_files", "error", layer, problem, again, label=source.label)
        return None
    return layout, header


#: Encodings tried, in this order, to suggest the one a .dbf's text is in.
_SUGGESTED = {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "big5": "Big5"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _decode(sample: _raw.TextSample, codec: str, errors: str = "strict") -> str:
    """``sample`` decoded as ``codec``; a character cut at the end of a value that fills its
    field (an export that cut it at the field's width) is not held against it."""
    decoder = codecs.getincrementaldecoder(codec)(errors)
    return decoder.decode(sample.data, final=not sample.full)


def _decoded(samples, codec: str) -> list[str] | None:
    """Each sample decoded as ``codec``, or ``None`` when one does not decode."""
    try:
        return [_decode(x, codec) for x in samples]
    except UnicodeDecodeError:
        return None


def _first_undecodable(samples, codec: str) -> int:
    for i, x in enumerate(samples):
        try:
            _decode(x, codec)
        except UnicodeDecodeError:
            return i
    return 0


def _cjk(texts) -> int:
    return sum(len(_CJK.findall(t)) for t in texts)


def _suggest(samples) -> tuple[str, list[str]] | None:
    """The encoding the text reads as Chinese in (``("GBK", decoded)``), or ``None``."""
    for codec, shown in _SUGGESTED.items():
        text = _decoded(samples, codec)
        if text is not None and _cjk(text):
            return shown, text
    return None


def _is_utf8(samples) -> bool:
    """Is the text UTF-8 beyond reasonable doubt: every sample decodes as UTF-8 and they hold
    Chinese characters (3-byte sequences, which text in another encoding almost never forms
    throughout; GBK's 医院 is valid UTF-8 too, but as 'ҽԺ')."""
    text = _decoded(samples, "utf-8")
    return text is not None and _cjk(text) >= 2


def _codec_shown(codec: str) -> str:
    return _SUGGESTED.get(codec, codec)


def _shapefile_encoding(
    source: LayerSource, header: _raw.DbfHeader, report: Report
) -> tuple[bool, str | None, list]:
    """Which encoding to read a shapefile's .dbf with: ``(ok, encoding, samples)``.

    The config's ``encoding``, else the .cpg (or the .dbf's code page mark), else UTF-8 —
    checked against the .dbf's own bytes (its field names and the non-ASCII values of its text
    fields; see README, "Validation"):

    - text that does not decode as the encoding it would be read with is an error naming the
      encoding it reads as Chinese in (``set encoding = "GBK"``);
    - without a .cpg or a config encoding, text must be UTF-8 and only UTF-8: text that also
      reads as GBK is ambiguous, an error showing both readings (never guessed);
    - Chinese UTF-8 text with a .cpg or a config saying another encoding is an error (it would
      be read as other characters, '医院' as '鍖婚櫌');
    - a config encoding that contradicts the .cpg is taken when only it decodes the text (it
      mends a wrong .cpg), refused when only the .cpg's does or the text is UTF-8 as the .cpg
      says, and taken with an ``encoding_override`` warning when the text reads either way.
    """
    layer, shp = source.layer, source.path
    dbf = _raw.sibling(shp, ".dbf")
    samples = _raw.dbf_text_samples(dbf, header)
    configured = _raw.codec_name(source.encoding) if source.encoding else None
    cpg = _raw.sibling(shp, ".cpg")
    declared, said_by = None, None
    if cpg is not None:
        try:
            text = cpg.read_text(encoding="ascii", errors="replace")[:100]
        except OSError:
            text = ""
        declared, said_by = _raw.cpg_encoding(text), f"{cpg.name} ({text.strip()!r})"
    elif header.ldid and _raw.ldid_encoding(header.ldid):
        declared = _raw.ldid_encoding(header.ldid)
        said_by = f"the code page mark of {dbf.name} (0x{header.ldid:02X})"
    if not samples:
        return True, source.encoding, samples
    where = f"[layers.{layer}]"
    cfg = f"encoding = {source.encoding!r} in {where}"
    remove = f'remove encoding = "{source.encoding}" from {where}'

    def fail(message: str, fix: str) -> tuple[bool, None, list]:
        report.add("bad_encoding", "error", layer, message, fix, label=source.label)
        return False, None, samples

    def set_it(guess) -> str:
        if guess:
            return f'set encoding = "{guess[0]}" in {where}'
        return (
            f'set encoding = "..." in {where} to the encoding the file was exported in '
            '(e.g. "GBK", "GB18030", "Big5")'
        )

    def not_as_said(codec: str, who: str) -> tuple[bool, None, list]:
        i = _first_undecodable(samples, codec)
        guess = _suggest(samples)
        reads = f"; it reads as {guess[0]}: {guess[1][i]!r}" if guess else ""
        return fail(
            f"{dbf.name}'s text is not {_codec_shown(codec)} as {who} says "
            f"({samples[i].where}: bytes {samples[i].data[:24]!r}{reads})",
            set_it(guess),
        )

    if configured is None and declared is None:  # GDAL would read it as Latin-1
        utf8 = _decoded(samples, "utf-8")
        guess = _suggest(samples)
        if utf8 is not None and (guess is None or guess[0] == "UTF-8"):
            return True, "UTF-8", samples  # the documented default, and only it reads the text
        if utf8 is not None:  # reads as UTF-8 and as Chinese in GBK (or Big5): ambiguous
            i = next(k for k, (a, b) in enumerate(zip(utf8, guess[1], strict=True)) if a != b)
            return fail(
                f"{dbf.name} has no .cpg saying its encoding, and its text reads two ways "
                f"({samples[i].where}: {guess[1][i]!r} as {guess[0]}, {utf8[i]!r} as UTF-8)",
                f'set encoding = "{guess[0]}" (or "UTF-8", whichever reads your data) in {where}',
            )
        i = _first_undecodable(samples, "utf-8")
        latin = codecs.decode(samples[i].data, "latin-1")
        reads = f"; it reads as {guess[0]}: {guess[1][i]!r}" if guess else ""
        return fail(
            f"{dbf.name} has no .cpg saying its encoding, and its text is not UTF-8 "
            f"({samples[i].where}: would be read as {latin!r}{reads})",
            set_it(guess),
        )
    if configured is not None and declared is not None and configured != declared:
        cfg_text, dec_text = _decoded(samples, configured), _decoded(samples, declared)
        if cfg_text is None and dec_text is None:
            return not_as_said(configured, f"{cfg} (nor {_codec_shown(declared)}, {said_by})")
        if cfg_text is None:
            i = _first_undecodable(samples, configured)
            return fail(
                f"{cfg} contradicts {said_by}, and the text is {_codec_shown(declared)}, not "
                f"{_codec_shown(configured)} ({samples[i].where} reads {dec_text[i]!r} as "
                f"{_codec_shown(declared)})",
                remove,
            )
        if dec_text is None:
            return True, source.encoding, samples  # the config mends a wrong .cpg
        if cfg_text == dec_text:
            return True, source.encoding, samples
        i = next(k for k, (a, b) in enumerate(zip(cfg_text, dec_text, strict=True)) if a != b)
        both = (
            f"{samples[i].where} reads {dec_text[i]!r} as {_codec_shown(declared)}, "
            f"{cfg_text[i]!r} as {_codec_shown(configured)}"
        )
        utf8 = _is_utf8(samples)
        if utf8 and declared == "utf-8":
            return fail(f"{cfg} overrides {said_by}, but the text is UTF-8 ({both})", remove)
        if not (utf8 and configured == "utf-8"):
            report.add(
                "encoding_override",
                "warning",
                layer,
                f"{cfg} overrides {said_by}; the text reads either way ({both}); read as "
                f"{_codec_shown(configured)}, as the config says",
                f"check the text in the one map: if {said_by} is right, {remove}",
                label=source.label,
            )
        return True, source.encoding, samples
    codec, who = (configured, cfg) if configured is not None else (declared, said_by)
    if _decoded(samples, codec) is None:
        return not_as_said(codec, who)
    if codec != "utf-8" and _is_utf8(samples):
        utf8 = _decoded(samples, "utf-8")
        i = next(k for k, t in enumerate(utf8) if _CJK.search(t))
        other = _decode(samples[i], codec, "replace")
        return fail(
            f"{dbf.name}'s text is UTF-8, but {who} says {_codec_shown(codec)} "
            f"({samples[i].where} reads {utf8[i]!r} as UTF-8, {other!r} as "
            f"{_codec_shown(codec)})",
            remove
            if configured is not None and declared is None
            else f'set encoding = "UTF-8" in {where}',
        )
    return True, source.encoding, samples


def _gdal_misread(gdf: gpd.GeoDataFrame, samples, encoding: str | None, n_records: int):
    """A text value GDAL read otherwise than Python decodes it as ``encoding`` — GDAL does not
    know every encoding name Python does, and then passes the bytes through — as
    ``(expected, where)``; ``None`` when the readings agree (or cannot be compared)."""
    codec = _raw.codec_name(encoding)
    if codec is None or len(gdf) != n_records:  # deleted records shift the rows: not compared
        return None
    checked = 0
    for sample in samples:
        if not sample.where.startswith("record ") or checked >= 5:
            continue
        checked += 1
        row = int(sample.where.split(",", 1)[0].removeprefix("record ")) - 1
        want = _decode(sample, codec, "replace").strip()
        values = {str(v).strip() for v in gdf.iloc[row].to_numpy(object) if isinstance(v, str)}
        if want not in values:
            return want, sample.where
    return None


def _gdal_encoding(encoding: str | None) -> str | None:
    """``encoding`` by the name GDAL's iconv knows (Python's ``euc_kr`` is iconv's EUC-KR)."""
    codec = _raw.codec_name(encoding)
    if codec == "utf-8-sig":
        return "UTF-8"
    return codec.replace("_", "-").upper() if codec else encoding


def _truncated_shapefile(
    source: LayerSource, raw: gpd.GeoDataFrame, report: Report, layout: _raw.ShapefileLayout
) -> bool:
    """Is the .shp shorter than its .shx index says (a copy cut short)? Reported as an error.

    GDAL reads the records past the end of a truncated .shp as features without geometry,
    with no error: half a network would pass for one with blank locations. The .shx gives
    each record's offset and length (16-bit words, big-endian, after a 100-byte header).
    """
    shp = source.path
    short, n = layout.beyond_end, layout.n_index
    if not len(short):
        return False
    if source.id_field in raw.columns and len(raw) == n:
        ids = _text(raw[source.id_field]).iloc[short].fillna("").tolist()
        ids = [i or f"record {r + 1}" for i, r in zip(ids, short, strict=True)]
    else:
        ids = [f"record {r + 1}" for r in short]
    report.add(
        "truncated_file",
        "error",
        source.layer,
        f"{shp.name} looks truncated: it is {layout.shp_size:,} bytes, but its index "
        f"{shp.stem}.shx places {len(short)} of {n} features beyond its end (they would be "
        "read without geometry)",
        f"export the layer again, or copy {shp.name} again in full with its .shx and .dbf",
        ids=ids,
        label=source.label,
    )
    return True


def _layer_names(path: Path, options: dict) -> list[str]:
    """The layers of ``path``. ``list_layers`` takes no open options: a GeoPackage opened
    ``IMMUTABLE`` is asked layer by layer, so that listing it writes nothing either."""
    if "IMMUTABLE" not in options:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    names = []
    for i in range(10_000):
        try:
            names.append(str(pyogrio.read_info(path, layer=i, **options)["layer_name"]))
        except pyogrio.errors.DataLayerError:
            break
    return names


#: Arrow field types read the Arrow way (see :func:`_read_arrow`), with the NumPy dtype
#: pyogrio's own reader gives each.
_ARROW_FIELDS = {
    "string": "object",
    "large_string": "object",
    "int32": "int32",
    "int64": "int64",
    "double": "float64",
}


def _read_arrow(
    path: Path, layer: str | None, encoding: str | None, options: dict
) -> gpd.GeoDataFrame | None:
    """The layer as ``pyogrio.read_dataframe(..., use_arrow=False)`` gives it, read through
    GDAL's Arrow interface (faster: no Python object per feature while GDAL reads), or
    ``None`` when that is not certain to give the very same frame -- then the caller reads
    it the usual way, which also reports any problem in its own words.

    The same driver decodes the text either way (a shapefile's encoding is GDAL's
    ``SHAPE_ENCODING``, recoded to UTF-8); only the last step differs: pyogrio decodes each
    value in Python, Arrow keeps the bytes. So the Arrow way is taken only when GDAL says the
    text is UTF-8 and every value is valid UTF-8 (GDAL passes the bytes through when it does
    not know an encoding's name: the usual read then raises the error ingest reports), and
    only for layers of text, 32 / 64-bit integer and floating-point fields (dates,
    booleans, lists ... are read the usual way; that is decided from the layer's schema,
    before any feature is read). Requires pyarrow (the ``arrow`` extra); without it, ``None``.
    """
    try:
        import pyarrow as pa
    except ImportError:
        return None
    with warnings.catch_warnings(record=True) as caught:  # GDAL's: passed on below
        warnings.simplefilter("always")
        table = None
        try:
            with pyogrio.open_arrow(
                path, layer=layer, encoding=encoding, use_pyarrow=True, **options
            ) as (meta, reader):
                fields = [str(f) for f in meta["fields"]]
                geometry = meta["geometry_name"] or "wkb_geometry"
                schema = reader.schema
                names = [n for n in schema.names if n != geometry]
                if (
                    names == fields
                    and len(schema.names) == len(fields) + (geometry in schema.names)
                    and str(meta["encoding"]).replace("-", "").upper() == "UTF8"
                    and all(
                        _ARROW_FIELDS.get(str(schema.field(n).type)) == str(d)
                        for n, d in zip(fields, meta["dtypes"], strict=True)
                    )
                ):
                    table = reader.read_all()
            if table is not None:
                table.validate(full=True)  # every text value valid UTF-8
        except Exception:  # GDAL's, pyogrio's, Arrow's: the usual read reports it
            table = None
    for w in caught:  # (GDAL says some things once per process: never lost)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if table is None:
        return None
    # The arrays pyogrio's own reader returns (text: str or None; an integer field with a
    # blank: floating point with NaN), put together as it does.
    data = {}
    for name in fields:
        column = table.column(name)
        values = column.to_numpy(zero_copy_only=False)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = np.asarray(values, dtype=object)
        data[name] = values
    df = pd.DataFrame(data, columns=fields)
    if geometry not in table.schema.names:
        return df
    wkb = table.column(geometry).to_numpy(zero_copy_only=False)
    return gpd.GeoDataFrame(df, geometry=shapely.from_wkb(wkb), crs=meta["crs"])


def _read_layer(
    source: LayerSource, path: Path, encoding: str | None, options: dict, report: Report, samples=()
) -> gpd.GeoDataFrame | None:
    """Read the configured layer of ``path`` (the source itself, or a temporary copy of a
    GeoPackage) with GDAL; ``None`` after a reported error."""
    try:
        with warnings.catch_warnings():  # GDAL's notes on other tables are not the user's
            warnings.simplefilter("ignore")
            names = _layer_names(path, options)
    except Exception:  # unreadable: reported just below, in GDAL's own words
        names = []
    if source.sublayer is None and len(names) > 1:
        report.add(
            "ambiguous_layer",
            "error",
            source.layer,
            f"the file holds {len(names)} layers ({', '.join(names)})",
            f'choose one with layer = "..." in [layers.{source.layer}]',
            label=source.label,
        )
        return None
    if source.sublayer is not None and names and source.sublayer not in names:
        report.add(
            "missing_layer",
            "error",
            source.layer,
            f"the file has no layer {source.sublayer!r}; its layers: {', '.join(names)}",
            f'set layer = "..." in [layers.{source.layer}] to one of them',
            label=source.label,
        )
        return None
    try:
        gdf = _read_arrow(path, source.sublayer, _gdal_encoding(encoding), options)
        if gdf is not None:
            return gdf
        return pyogrio.read_dataframe(
            path, layer=source.sublayer, encoding=_gdal_encoding(encoding), **options
        )
    except UnicodeDecodeError as exc:
        codec = _raw.codec_name(encoding)
        if samples and codec and codec != "utf-8" and _decoded(samples, codec) is not None:
            report.add(
                "bad_encoding",
                "error",
                source.layer,
                f"GDAL cannot read the encoding {encoding!r} (it does not know it by that "
                "name), though the text decodes as it",
                f"give the encoding by its usual name in [layers.{source.layer}], e.g. "
                'encoding = "GBK" (GBK, GB18030, Big5, UTF-8, CP1252 ...)',
                label=source.label,
            )
            return None
        said = (
            f"encoding = {source.encoding!r} in [layers.{source.layer}]"
            if source.encoding
            else "its .cpg"
            if source.path.suffix.lower() == ".shp"
            else "UTF-8, the default"
        )
        report.add(
            "bad_encoding",
            "error",
            source.layer,
            f"cannot read the text as {exc.encoding.upper()} ({exc.reason} at byte "
            f"{exc.object[exc.start : exc.start + 4]!r}): the file's encoding is not what "
            f"{said} says",
            f'set encoding = "GBK" (or the file\'s encoding) in [layers.{source.layer}]',
            label=source.label,
        )
        return None
    except Exception as exc:  # GDAL's own words are the most precise here
        report.add(
            "unreadable",
            "error",
            source.layer,
            f"cannot read the file: {exc}",
            "check that the file is complete (a shapefile needs .shp, .shx and .dbf), or "
            "export it again",
            label=source.label,
        )
        return None


#: Formats whose text is UTF-8 by definition: an ``encoding`` in the config is a mistake.
_UTF8_FORMATS = {".gpkg", ".geojson", ".json", ".geojsonl", ".geojsons", ".fgb"}


def read_source(source: LayerSource, report: Report) -> gpd.GeoDataFrame | None:
    """Read one source file as it is (source field names); ``None`` after a reported error."""
    if source.url:
        from .postgis import read_table

        return read_table(source, report)
    if source.path.is_dir():
        report.add(
            "missing_file",
            "error",
            source.layer,
            "the path is a folder, not a file",
            f"point path = ... in [layers.{source.layer}] at the file itself",
            label=source.label,
        )
        return None
    if not source.path.exists():
        report.add(
            "missing_file",
            "error",
            source.layer,
            "file not found",
            f"check path = ... in [layers.{source.layer}] (relative to the config file)",
            label=source.label,
        )
        return None
    odd = [(f, what) for f in _files_read(source.path) if (what := not_regular(f))]
    if odd:
        f, what = odd[0]
        report.add(
            "not_a_file",
            "error",
            source.layer,
            f"{f.name} is {what}, not a regular file (reading it would wait or never end)",
            f"point path = ... in [layers.{source.layer}] at a regular file (copy the data "
            "into one first)",
            label=source.label,
        )
        return None
    if source.path.suffix.lower() == ".csv":
        return _read_csv(source, report)
    if source.encoding and source.path.suffix.lower() in _UTF8_FORMATS:
        report.add(
            "bad_encoding",
            "error",
            source.layer,
            f"encoding = {source.encoding!r} in [layers.{source.layer}], but a "
            f"{source.path.suffix} file's text is always UTF-8 (GDAL reads it so; another "
            "encoding would turn it into other characters)",
            f"remove encoding from [layers.{source.layer}]",
            label=source.label,
        )
        return None
    layout = header = None
    encoding, samples, options = source.encoding, [], {}
    if source.path.suffix.lower() == ".shp":
        parts = _shapefile_parts(source, report)
        if parts is None:
            return None
        layout, header = parts
        if header is not None:
            ok, encoding, samples = _shapefile_encoding(source, header, report)
            if not ok:
                return None
            if any(f.type in "NF" and f.decimals == 0 and f.length > 18 for f in header.fields):
                # N(19+, 0) is read as floating point, which keeps 15-17 digits: GDAL reads the
                # whole .dbf first to give such fields an exact 64-bit integer type.
                options["ADJUST_TYPE"] = "YES"
    try:
        with _raw.sqlite_readable(source.path) as (path, sqlite_options):
            gdf = _read_layer(
                source, path, encoding, {**options, **sqlite_options}, report, samples
            )
    except OSError as exc:  # the temporary copy of a GeoPackage with pending changes
        report.add(
            "unreadable",
            "error",
            source.layer,
            f"cannot copy {source.path.name} (with its -wal or -journal) to a temporary folder "
            f"to read it without writing beside it ({exc.strerror or exc})",
            "free some space in the temporary folder (TMPDIR), or open the GeoPackage once in "
            "QGIS or sqlite3 so that its -wal is written into it",
            label=source.label,
        )
        return None
    if gdf is None:
        return None
    if header is not None and (misread := _gdal_misread(gdf, samples, encoding, header.n_records)):
        want, place = misread
        report.add(
            "bad_encoding",
            "error",
            source.layer,
            f"GDAL does not read the encoding {encoding!r} as Python does ({place} should read "
            f"{want!r}): it does not know that name",
            f"give the encoding by its usual name in [layers.{source.layer}], e.g. encoding = "
            '"GBK" (GBK, GB18030, Big5, UTF-8, CP1252 ...)',
            label=source.label,
        )
        return None
    if layout and _truncated_shapefile(source, gdf, report, layout):
        return None
    if gdf.crs is None:
        if not source.crs:
            report.add(
                "no_crs",
                "error",
                source.layer,
                "the layer has no CRS (no .prj file) and none is given in the config",
                f'set crs = "EPSG:...", e.g. crs = "EPSG:4545", in [layers.{source.layer}] '
                "or supply the .prj file",
                label=source.label,
            )
            return None
        gdf = gdf.set_crs(source.crs)
    return gdf


def _text(col: pd.Series) -> pd.Series:
    """Trimmed strings, ``None`` for blanks; whole floats as integers ("12.0" ids -> "12")."""
    if pd.api.types.is_float_dtype(col.dtype):
        # In the column's own precision, so a GDAL Float32 field's 0.1 is "0.1", its own
        # digits, not "0.10000000149011612" (numpy, nullable, Arrow and sparse columns alike).
        own = getattr(col.dtype, "numpy_dtype", getattr(col.dtype, "subtype", col.dtype))
        v = col.to_numpy(own, na_value=np.nan)
        ok = np.isfinite(v)
        whole = ok & (v == np.round(v))
        fits = whole & (np.abs(v) < np.float64(2.0**63))  # beyond: no int64 (inexact_id)
        out = np.full(len(v), None, dtype=object)
        out[fits] = v[fits].astype(np.int64).astype(str)
        out[whole & ~fits] = [f"{x:.0f}" for x in v[whole & ~fits]]
        out[ok & ~whole] = v[ok & ~whole].astype(str)
        return pd.Series(out, index=col.index, dtype=object)
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # Text (what GDAL and the CSV reader give): each distinct value trimmed once, by
        # Python's str.strip whatever pandas' string storage.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        trimmed = np.array([*(u.strip() or None for u in uniques), None], dtype=object)
        return pd.Series(trimmed[codes], index=col.index, dtype=object)
    obj = col.astype(object)
    null = obj.isna().to_numpy()
    out = np.full(len(obj), None, dtype=object)
    out[~null] = obj[~null].astype(str).str.strip().to_numpy(object)
    out[out == ""] = None
    return pd.Series(out, index=col.index, dtype=object)


def _script_matches(columns, name: str) -> list[str]:
    key = to_simplified(name)
    return [c for c in columns if isinstance(c, str) and to_simplified(c) == key]


def _column(columns, name: str) -> str | None:
    """The source field that ``name`` names: itself, else the one field that reads the same in
    Simplified characters (a Traditional config on a Simplified export, or the reverse)."""
    if name in columns:
        return name
    hits = _script_matches(columns, name)
    return hits[0] if len(hits) == 1 else None


def _ambiguous(columns, names) -> str:
    """A hint for configured field names that match several fields in different scripts."""
    hits = {n: _script_matches(columns, n) for n in names if n not in columns}
    several = [f"{n!r} ({', '.join(h)})" for n, h in hits.items() if len(h) > 1]
    if not several:
        return ""
    return (
        f" — {', '.join(several)}: several fields differ only in Simplified / Traditional "
        "characters; write the exact field name"
    )


_MAX_VALUES = 20


def _counted(values: pd.Series, unit: str = "") -> str:
    """``'a' (3), 'b' (1)``: distinct values, most frequent first, at most ``_MAX_VALUES``."""
    ordered = sorted(values.value_counts().items(), key=lambda kv: (-kv[1], str(kv[0])))

    def n_units(n: int) -> str:
        return f"{n} {unit if n != 1 else unit[:-1]}" if unit else str(n)

    text = ", ".join(f"{v!r} ({n_units(n)})" for v, n in ordered[:_MAX_VALUES])
    rest = ordered[_MAX_VALUES:]
    if rest:
        n = sum(k for _, k in rest)
        text += f" and {len(rest)} more values ({n_units(n) if unit else f'{n} features'})"
    return text


def _kinds_notice(source: LayerSource, kinds: pd.Series, critical: pd.Series) -> str:
    """The end-of-run summary of customers whose kind is not recognised."""
    n, n_crit = len(kinds), int(critical.sum())
    if not n_crit:
        treated = "they are not treated as critical"
    else:
        treated = (
            f"{n - n_crit} of them {'is' if n - n_crit == 1 else 'are'} not treated as "
            f"critical ({n_crit} "
            f"{'is' if n_crit == 1 else 'are'} critical by the critical field)"
        )
    critical_kinds = [k for k in accepted_values("customers", "kind") if k in CRITICAL_KINDS]
    return (
        f"{source.label}: {n} customer{'s' if n != 1 else ''} of kinds not recognised, kept as "
        f"given: {_counted(kinds, 'customers')}; {treated}. Critical kinds are "
        f"{', '.join(critical_kinds)}: if some of these are, map their labels under "
        '[values."customers.kind"] (e.g. "卫生院" = "hospital") or set their critical field'
    )


def _label_text(value):
    """A cell as a label: whole floats as integers (a numeric 1.0 is the label "1")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _mapping_example(kind: str) -> str:
    """How a ``[values."layer.field"]`` line looks for an enum or a yes / no field."""
    if kind == "bool":
        return 'a line "label" = "true" or "label" = "false"'
    return 'a line "label" = "canonical value"'


#: The date forms ingest accepts, for messages.
DATE_FORMS = (
    "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日 (an ISO date-time such as "
    "2024-03-05T10:00:00+08:00 gives the date as written)"
)
_TIME = (
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?"
)
_DATE = re.compile(
    rf"(?P<y1>\d{{4}})-(?P<m1>\d{{1,2}})-(?P<d1>\d{{1,2}}){_TIME}"
    r"|(?P<y2>\d{4})/(?P<m2>\d{1,2})/(?P<d2>\d{1,2})"
    r"|(?P<y3>\d{4})\.(?P<m3>\d{1,2})\.(?P<d3>\d{1,2})"
    r"|(?P<y4>\d{4})(?P<m4>\d{2})(?P<d4>\d{2})"
    r"|(?P<y5>\d{4})年(?P<m5>\d{1,2})月(?P<d5>\d{1,2})[日号]"
)


def parse_date(value) -> str | None:
    """``YYYY-MM-DD`` for a date in one of :data:`DATE_FORMS`, else ``None`` (blank or not a
    date). A date-time (a date field read by GDAL, or ISO text with or without a zone) gives
    its calendar date as written, never shifted to another zone. Forms that read two ways
    (05/03/2024: 5 March or May 3?) and dates without a year are not dates here.
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime.datetime | datetime.date | np.datetime64):
        stamp = pd.Timestamp(value)
        return None if stamp is pd.NaT else stamp.strftime("%Y-%m-%d")
    text = unicodedata.normalize("NFKC", str(_label_text(value))).strip()
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    y, m, d = (int(g) for g in match.groups() if g is not None)
    try:
        return datetime.date(y, m, d).isoformat()
    except ValueError:  # 2025-13-45, 2023-02-29
        return None


def _per_value(col: pd.Series, fn) -> pd.Series:
    """``fn`` applied once per distinct value (a column repeats a few labels many times)."""
    codes, uniques = pd.factorize(col.astype(object), use_na_sentinel=True)
    mapped = np.array([*(fn(u) for u in uniques), fn(None)], dtype=object)
    return pd.Series(mapped[codes], index=col.index, dtype=object)


#: Floating point keeps every integer up to 2**53 exactly; beyond, neighbours merge (so a
#: value of 2**53 itself may have been 2**53 + 1).
_EXACT = 2**53


def _inexact_ids(source: LayerSource, raw: gpd.GeoDataFrame, columns, report: Report) -> bool:
    """Report id-like fields (the id, and text fields such as ``pipe_id``) that GDAL read as
    floating point holding whole numbers beyond 2**53: their last digits are lost
    (51130200000001233 reads as 51130200000001232), so distinct ids would merge and
    messages would name ids that exist nowhere. GDAL reads a numeric field of more than 18
    digits as floating point (wider than 64-bit integers when its values do not fit) and
    pyogrio an integer field with a blank as floating point too. Never rounded: an error."""
    bad = []
    for col in dict.fromkeys(c for c in columns if c in raw.columns):
        values = raw[col]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue
        v = values.to_numpy(float)
        big = np.isfinite(v) & (np.abs(v) >= _EXACT)
        if big.any():
            bad.append((col, v[big], int(big.sum())))
    for col, v, n in bad:
        report.add(
            "inexact_id",
            "error",
            source.layer,
            f"field {col} holds {n} number{'s' if n > 1 else ''} beyond 2^53 as floating point, "
            "which cannot keep "
            f"their last digits (e.g. {v[0]:.0f} as read): ids differing only there would "
            "merge",
            f"export {col} as a text (character) field, or fill its blanks (an integer field "
            "with a blank is read as floating point)",
            label=source.label,
        )
    return bool(bad)


#: The hazard fields the priority rests on, and what a record without them is taken as.
_RANKED_BY = {
    "category": "category blank (weighted as other)",
    "severity": "severity general",
    "status": "status open",
    "due_on": "never overdue",
}


def _unmapped_hazard_fields(source: LayerSource, absent, columns, report: Report) -> None:
    """One warning when a hazards file has none of the fields the priority rests on (their
    mapping forgotten): every record would rank as an open, general, never overdue "other"
    hazard without a word."""
    if not absent:
        return
    report.add(
        "unmapped_field",
        "warning",
        "hazards",
        f"no {', '.join(absent)} field (fields: {', '.join(map(str, columns))}): every record "
        f"is taken as {', '.join(_RANKED_BY[c] for c in absent)}",
        f'map them in [layers.hazards.fields], e.g. {absent[0]} = "FIELD"',
        label=source.label,
    )


def normalise_layer(
    source: LayerSource, raw: gpd.GeoDataFrame, config: Config, report: Report
) -> gpd.GeoDataFrame | None:
    """Map source fields and values to the canonical schema, in the working CRS."""
    spec = LAYERS[source.layer]
    name = source.layer
    columns = [c for c in raw.columns if c != "geometry"]
    id_field = _column(columns, source.id_field)
    if id_field is None:
        hint = ""
        undeclared = (
            source.encoding is None
            and source.path.suffix.lower() == ".shp"
            and _raw.sibling(source.path, ".cpg") is None
        )
        if undeclared and any(_MOJIBAKE.search(c) for c in raw.columns):
            hint = (
                f" — the field names look garbled: the .dbf is probably GBK without a .cpg; "
                f'set encoding = "GBK" in [layers.{name}]'
            )
        report.add(
            "missing_field",
            "error",
            name,
            f"id field {source.id_field!r} not found (fields: "
            f"{', '.join(columns)}){hint or _ambiguous(columns, [source.id_field])}",
            f'set id = "FIELD" in [layers.{name}]',
            label=source.label,
        )
        return None
    gtypes = raw.geometry.geom_type
    wrong = gtypes.notna() & ~gtypes.isin(spec.geometry)
    if wrong.any():
        found = ", ".join(sorted(gtypes[wrong].unique()))
        report.add(
            "wrong_geometry_type",
            "error",
            name,
            f"{found} geometry where {' / '.join(spec.geometry)} is expected",
            f"point [layers.{name}] at a {spec.geometry[0]} layer (is the right file configured?)",
            label=source.label,
            ids=raw.loc[wrong, id_field].astype(str).head(1000),
        )
        return None
    fields = {canon: _column(columns, src) for canon, src in source.fields.items()}
    missing = [source.fields[canon] for canon, col in fields.items() if col is None]
    if missing:
        report.add(
            "missing_field",
            "error",
            name,
            f"configured field(s) {', '.join(missing)} not found (fields: "
            f"{', '.join(columns)}){_ambiguous(columns, missing)}",
            f"correct [layers.{name}.fields]",
            label=source.label,
        )
        return None

    def source_field(canon: str) -> str:
        # Shapefiles cut field names to 10 characters: pressure_class arrives as pressure_c.
        return fields.get(canon) or (canon if canon in raw.columns else canon[:10])

    if name == "hazards":
        _unmapped_hazard_fields(
            source, [c for c in _RANKED_BY if source_field(c) not in columns], columns, report
        )

    texts = [source_field(c) for c, k in spec.fields.items() if k == "str"]
    if _inexact_ids(source, raw, [id_field, *texts], report):
        return None
    ids = _text(raw[id_field])
    out = pd.DataFrame({spec.id_field: ids.to_numpy(object)}, index=raw.index)
    lookup = build_lookup(config.values)

    def warn(check, what, fix, bad, col, details=None, geometries=None) -> None:
        if bad.any():
            report.add(
                check,
                "warning",
                name,
                what,
                fix,
                ids=out.loc[bad, spec.id_field],
                label=source.label,
                geometries=geometries,
                details=details or [repr(v) for v in col[bad]],
            )

    for canon, kind in spec.fields.items():
        src = source_field(canon)
        col = (
            raw[src]
            if src in raw.columns
            else pd.Series([None] * len(raw), index=raw.index, dtype=object)
        )
        if kind in ("enum", "bool"):
            table = lookup.get((name, canon), {})
            values = _per_value(col, lambda v, t=table: normalise_value(_label_text(v), t))
            accepted = accepted_values(name, canon)
            bad = values.notna() & ~values.isin(accepted)
            if (name, canon) in STRICT_FIELDS and bad.any():
                # It changes an answer (valves shut, pipes live, who is critical): never guessed.
                report.add(
                    "unknown_value",
                    "error",
                    name,
                    f"unknown {canon} values {_counted(_text(col[bad]))}; "
                    f"accepted: {describe_accepted(name, canon)}",
                    f'correct them or map them under [values."{name}.{canon}"] '
                    f"({_mapping_example(kind)})",
                    ids=out.loc[bad, spec.id_field],
                    label=source.label,
                    geometries=geoms(raw.loc[bad]),
                    details=[f"{canon} = {v!r}" for v in _text(col[bad])],
                )
            elif kind == "enum":
                warn(
                    "unknown_value",
                    f"unknown {canon} kept as given; accepted values: "
                    f"{', '.join(sorted(accepted))} (or their Chinese labels)",
                    f'correct the value, or map it under [values."{name}.{canon}"]',
                    bad,
                    col,
                    details=[f"{canon} = {v!r}" for v in values[bad]],
                    geometries=geoms(raw.loc[bad]),
                )
            else:
                warn(
                    "unknown_value",
                    f"{canon} is not yes/no (是/否, true/false, 1/0); default "
                    f"{str(spec.defaults.get(canon, 'blank')).lower()} used",
                    f'correct the value, or map it under [values."{name}.{canon}"] '
                    f"({_mapping_example(kind)})",
                    bad,
                    col,
                )
            if kind == "bool":
                values = values.map({"true": True, "false": False}).astype(object)
        elif kind in ("int", "float"):
            if isinstance(col.dtype, np.dtype) and (
                col.dtype.kind in "iu" or col.dtype == np.float64
            ):
                # A numeric field: the number itself, which is what its text (_text) parses
                # back to; blank where not finite, as its text is. (Not a single-precision
                # one: 32.3 would be 32.29999923706055 in double precision; its text is 32.3.)
                v = col.to_numpy(dtype=float)
                given = pd.Series(np.isfinite(v), index=col.index)
                values = pd.Series(np.where(given, v, np.nan), index=col.index)
            else:
                text = _text(col)
                values = pd.to_numeric(text, errors="coerce").astype(float)
                given = text.notna()
            if kind == "int":  # counts and years: finite, not negative, not absurd
                values = values.where(np.isfinite(values) & (values >= 0) & (values < 1e9))
            default = spec.defaults.get(canon)
            warn(
                "bad_number",
                f"{canon} is not a usable number; "
                + ("left blank" if default is None else f"default {default} used"),
                "correct the value",
                values.isna() & given,
                col,
            )
            if kind == "int":
                whole = np.floor(values + 0.5)  # 2.5 -> 3, as people round
                frac = (values != whole) & values.notna()
                warn(
                    "bad_number",
                    f"{canon} is not a whole number; rounded to the nearest one",
                    "correct the value",
                    frac,
                    col,
                    details=[
                        f"{v!r} -> {w:.0f}"
                        for v, w in zip(_text(col[frac]), whole[frac], strict=True)
                    ],
                )
                values = whole.astype("Int64")
        elif kind == "date":
            values = _per_value(col, parse_date)
            text = _text(col) if not pd.api.types.is_datetime64_any_dtype(col) else col
            warn(
                "bad_date",
                f"{canon} is not a date; left blank",
                f"write it as {DATE_FORMS}; DD/MM/YYYY, MM/DD/YYYY and dates without a year "
                "are not accepted (they read more than one way)",
                values.isna() & text.notna(),
                col,
            )
        else:
            values = _text(col)
        if canon in spec.defaults:
            values = values.astype(object).where(values.notna(), spec.defaults[canon])
        out[canon] = values
    if name == "customers":
        guess = out["kind"].isin(CRITICAL_KINDS)
        out["critical"] = out["critical"].where(out["critical"].notna(), guess).astype(bool)
        other = ~out["kind"].isin(accepted_values(name, "kind"))
        if other.any():  # a warning per feature above; a summary the user cannot miss here
            report.notice(_kinds_notice(source, out.loc[other, "kind"], out.loc[other, "critical"]))
        out["households"] = out["households"].fillna(1).astype("int64")
    if name == "valves":
        out["operable"] = out["operable"].astype(bool)
    out["source_file"] = source.sublayer if source.url else source.path.name
    gdf = gpd.GeoDataFrame(out, geometry=raw.geometry.values, crs=raw.crs)
    if gdf.crs != config.crs:
        gdf = gdf.to_crs(config.crs)
    return gdf


def _tell_apart_same_names(parts: list[tuple[LayerSource, gpd.GeoDataFrame]]) -> list:
    """The layer's parts, read from ``(source, frame)`` pairs. Files of one name in different
    folders (d1/pipes.shp, d2/pipes.shp) get as ``source_file`` their path from the folder
    they share, so a feature is named by its own file and its row there (``d2/pipes.shp row
    0``), not by a row counted across both."""
    files = [src.path for src, _ in parts if not src.url]
    names = [f.name for f in files]
    same = [f for f in files if names.count(f.name) > 1]
    if same:
        base = os.path.commonpath([f.parent for f in same])
        for src, gdf in parts:
            if not src.url and src.path in same:
                gdf["source_file"] = Path(os.path.relpath(src.path, base)).as_posix()
    return [gdf for _, gdf in parts]


def _crs_origin(source: LayerSource) -> tuple[str, str]:
    """Where a source's CRS came from, and how to change it: ``(origin, fix)``."""
    where = f"[layers.{source.layer}]"
    prj = _raw.sibling(source.path, ".prj") if source.path.suffix.lower() == ".shp" else None
    if prj is not None:
        return (
            f"from {prj.name}",
            f"correct or delete {prj.name} and set crs = {{crs}} in {where}: the config's crs "
            "is used only when the file has no CRS",
        )
    if source.path.suffix.lower() in (".shp", ".csv"):
        return f"crs = {source.crs!r} in {where}", f"set crs = {{crs}} in {where}"
    return (
        f"stored in {source.path.name}",
        f"export {source.path.name} again with its CRS ({{crs}}): the config's crs is used only "
        "when the file has no CRS",
    )


def _wrong_geographic_crs(
    source: LayerSource, raw: gpd.GeoDataFrame, ids, config: Config, report: Report
) -> bool:
    """A geographic CRS on projected numbers (a .prj in degrees on data in metres): one error
    for the layer, naming where the CRS came from, instead of a bad coordinate per feature."""
    found = projected_in_geographic(geoms(raw), raw.crs)
    if found is None:
        return False
    mask, x, y = found
    import pyproj

    crs = pyproj.CRS.from_user_input(raw.crs)
    working = pyproj.CRS.from_user_input(config.crs)
    # The working CRS is the likely one when the numbers fall in its area of use there.
    lon, lat = pyproj.Transformer.from_crs(working, 4326, always_xy=True).transform(x, y)
    area = working.area_of_use
    likely = (
        area is not None
        and np.isfinite(lon)
        and area.west - 1 <= lon <= area.east + 1
        and area.south - 1 <= lat <= area.north + 1
    )
    suggestion = f'"{config.crs}"' if likely else '"EPSG:..." (the projected CRS of the data)'
    origin, fix = _crs_origin(source)
    n, total = int(mask.sum()), int((~(shapely.is_missing(geoms(raw)))).sum())
    report.add(
        "wrong_crs",
        "error",
        source.layer,
        f"{n} of {total} features lie outside ±180° / ±90° (e.g. x = {x:.10g}, y = {y:.10g}), "
        f"though the layer's CRS, {origin}, is geographic ({crs.name}, degrees): the numbers "
        "look projected (metres), so that CRS is wrong",
        fix.format(crs=suggestion),
        ids=np.asarray(ids, dtype=object)[mask][:1000],
        label=source.label,
    )
    return True


def _blank_bad_coordinates(
    source: LayerSource, raw: gpd.GeoDataFrame, config: Config, report: Report
) -> gpd.GeoDataFrame | None:
    """NaN, infinite, out-of-range or unprojectable coordinates, checked as read (the message
    shows the values in the file): reported per feature, the geometry blanked in memory.
    ``None`` when the layer's CRS itself is wrong (reported once)."""
    if source.id_field in raw.columns:
        ids = _text(raw[source.id_field])
    else:  # reported by normalise_layer; the rows still need a name
        ids = pd.Series([f"{source.path.name} row {i}" for i in range(len(raw))], dtype=object)
    if _wrong_geographic_crs(source, raw, ids.to_numpy(object), config, report):
        return None
    return blank_bad_coordinates(
        source.layer, raw, report, ids.to_numpy(object), label=source.label, to_crs=config.crs
    )


def check_id_text(layers: dict[str, gpd.GeoDataFrame], report: Report) -> None:
    """Warn, per feature, about ids that the command line or the output tables cannot keep apart.

    - a valve id holding ``,``: ``--close A,B`` reads two ids (a whole argument that is a
      known id is taken as one, see the README);
    - an id holding ``;``: the separator of id lists in the outputs (``segments.valve_ids``,
      ``source_ids``, the burst area's ``damaged``);
    - ids that differ only in upper / lower case: tools that ignore case (spreadsheets,
      joins in QGIS or a database, Windows file names) take them for one.
    """
    for name, gdf in layers.items():
        if not gdf.empty and LAYERS[name].id_field in gdf:
            _check_layer_id_text(name, gdf, report)


def _check_layer_id_text(name: str, gdf: gpd.GeoDataFrame, report: Report) -> None:
    ids = gdf[LAYERS[name].id_field]
    # As objects, so that a blank in a categorical or Int64 column can become "".
    text = ids.astype(object).where(ids.notna(), "").astype(str)
    files = gdf["source_file"] if "source_file" in gdf else pd.Series("", index=gdf.index)
    label = f"{name} ({', '.join(sorted(files.dropna().astype(str).unique()))})"

    def warn(check, mask, message, fix, details=None):
        if mask.any():
            report.add(
                check,
                "warning",
                name,
                message,
                fix,
                ids=ids[mask],
                geometries=geoms(gdf.loc[mask]),
                label=label,
                details=details,
            )

    if name == "valves":
        warn(
            "id_with_comma",
            text.str.contains(",", regex=False).to_numpy(),
            "valve id holds a comma, which --close and --fail read as a list separator",
            "give it as one whole argument (--close 'A,B' takes a known id whole; "
            "--close may be repeated), or rename the valve",
        )
    warn(
        "id_with_semicolon",
        text.str.contains(";", regex=False).to_numpy(),
        "id holds ';', the separator of id lists in the outputs (segments.valve_ids, "
        "source_ids), which then cannot be split back",
        "rename the feature without ';'",
    )
    distinct = pd.DataFrame({"id": text, "key": text.str.casefold()})[text != ""]
    # Only the keys held by several ids are grouped (a Python list per group is slow on a
    # million ids, nearly all of them alone).
    distinct = distinct[distinct["key"].duplicated(keep=False)].drop_duplicates()
    distinct = distinct[distinct["key"].duplicated(keep=False)]
    clash = distinct.groupby("key")["id"].agg(list)
    if len(clash):
        others = {i: g for g in clash for i in g}
        mask = text.isin(others).to_numpy()
        warn(
            "id_case_only",
            mask,
            "ids differ only in upper / lower case; spreadsheets, joins and Windows file "
            "names take them for one",
            "make the ids differ by more than case",
            details=["also " + ", ".join(repr(o) for o in others[i] if o != i) for i in text[mask]],
        )


def empty_layer(name: str, crs) -> gpd.GeoDataFrame:
    """A canonical layer with no features (an optional layer not configured)."""
    spec = LAYERS[name]
    return gpd.GeoDataFrame(
        columns=[spec.id_field, *spec.fields, "source_file", "geometry"],
        geometry="geometry",
        crs=crs,
    )


def _same_crs(crs, working) -> bool:
    """Is ``crs`` the working CRS (an ESRI .prj naming it in its own words included)?"""
    import pyproj

    if crs is None:
        return True
    crs, working = pyproj.CRS.from_user_input(crs), pyproj.CRS.from_user_input(working)
    if crs.equals(working, ignore_axis_order=True):
        return True
    code = crs.to_epsg()
    return code is not None and code == working.to_epsg()


def _read_normalised(
    source: LayerSource, config: Config, report: Report
) -> tuple[gpd.GeoDataFrame | None, object]:
    """One source file read, its coordinates checked and normalised: ``(layer or None, the
    pipes' own CRS when it is not the working one)``."""
    _progress.step(f"reading {source.label}")
    raw = read_source(source, report)
    if raw is None:
        return None, None
    own_crs = raw.crs if source.layer == "pipes" and not _same_crs(raw.crs, config.crs) else None
    raw = _blank_bad_coordinates(source, raw, config, report)
    if raw is None:
        return None, own_crs
    return normalise_layer(source, raw, config, report), own_crs


def _read_task(payload):
    """:func:`_read_normalised` on a Dask worker, into a report of its own."""
    source, config = payload
    report = Report(crs=config.crs)
    gdf, own_crs = _read_normalised(source, config, report)
    return gdf, own_crs, report


def _sources_on_cluster(config: Config) -> list | None:
    """With a Dask cluster (:mod:`gasnet.parallel`): every source file read and normalised
    by a worker, in the order :func:`load_layers` takes them; else ``None``."""
    from . import parallel

    session = parallel.current()
    if session is None:
        return None
    import dataclasses

    plain = dataclasses.replace(config, run_state=None)
    sources = [s for name in LAYERS for s in config.layers.get(name, [])]
    _progress.step(f"reading {len(sources)} files on the Dask cluster")
    return session.map(_read_task, [(s, plain) for s in sources], "ingest")


def load_layers(
    config: Config, report: Report | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], Report]:
    """Read, normalise, merge and validate every configured layer.

    Returns the canonical layers (every layer of the schema; optional ones may be empty) and
    the quality report. The caller decides what to do with errors
    (:meth:`Report.raise_for_errors`).
    """
    report = report or Report(crs=config.crs)
    layers: dict[str, gpd.GeoDataFrame] = {}
    id_fields: dict[str, str] = {}
    pipe_crs = []  # the pipes' own CRSs that differ from the working CRS
    read = _sources_on_cluster(config)
    for name in LAYERS:
        parts = []
        for source in config.layers.get(name, []):
            if read is None:
                gdf, own_crs = _read_normalised(source, config, report)
            else:  # read by a worker into a report of its own, merged in this order
                gdf, own_crs, part = read.pop(0)
                report.extend(part)
            if own_crs is not None:
                pipe_crs.append(own_crs)
            if gdf is not None:
                parts.append((source, gdf))
        parts = _tell_apart_same_names(parts)
        id_fields[name] = (
            " / ".join(sorted({s.id_field for s in config.layers.get(name, [])}))
            or LAYERS[name].id_field
        )
        if parts:
            merged = (
                pd.concat(parts, ignore_index=True)
                if len(parts) > 1
                else parts[0].reset_index(drop=True)
            )
            layers[name] = gpd.GeoDataFrame(merged, geometry="geometry", crs=config.crs)
        else:
            layers[name] = empty_layer(name, config.crs)
    layers = validate_layers(layers, report, id_fields)
    check_working_crs(layers["pipes"], config.crs, report, str(config.path), located=bool(pipe_crs))
    check_id_text(layers, report)
    log.info("Loaded %s.", ", ".join(f"{len(g)} {n}" for n, g in layers.items()))
    return layers, report
