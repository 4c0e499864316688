"""The one map in a shared PostGIS database (``[output] store = "postgresql://..."``).

Every gasnet layer is a table of one schema (``?schema=`` in the URL, default ``gasnet``):
``fid bigint`` primary key (the row order), the fields, and the geometry as ``geom`` with its
SRID and a GiST index; the feature-id columns (``pipe_id`` ...) get a B-tree index. QGIS's
layer styles go into ``public.layer_styles`` (where QGIS looks for them), and a copy stays in
the schema's own ``layer_styles`` table.

A write is one transaction. The new tables are loaded into a staging schema
(``<schema>__staging_<random>``), then, holding the store's exclusive advisory lock, the old
tables are dropped and the new ones moved into the schema, and the staging schema is dropped:
until that transaction commits, every reader sees the previous tables, and a write that
fails or is killed (the server rolls the transaction back) leaves them exactly as they were.
gasnet's own readers hold the same lock shared while they read, so a read never mixes two
versions. ``run_metadata`` carries a ``revision`` (new at every write): a stage that read
revision R writes only if the store is still at R (the :func:`~gasnet.store.stamp` of a
GeoPackage).

Credentials come from libpq: ``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass`` (and the other
``PG*`` variables). A URL with a password is refused, so none is ever written into a config
file, a log line or the run metadata.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import re
import uuid

import geopandas as gpd
import numpy as np
import pandas as pd

from ._pgurl import StoreURL, is_url
from ._version import __version__
from .errors import OutputError, StageOrderError

__all__ = ["PostGISStore", "StoreURL", "is_url", "read_table"]

log = logging.getLogger(__name__)

METADATA = "run_metadata"
#: Columns indexed with a B-tree when a layer has them (what QGIS users filter and join on).
_ID_COLUMNS = (
    "pipe_id",
    "valve_id",
    "source_id",
    "regulator_id",
    "customer_id",
    "hazard_id",
    "node_id",
    "edge_id",
    "segment_id",
)
#: Rows sent per COPY chunk.
_CHUNK = 100_000
#: How long a write waits for readers before it gives up (they hold the tables).
LOCK_TIMEOUT = "120s"
#: QGIS's own table of layer styles (as QGIS creates it).
_QGIS_STYLES = """
CREATE TABLE IF NOT EXISTS public.layer_styles (
  id serial PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar,
  f_table_name varchar, f_geometry_column varchar, stylename text, styleqml xml,
  stylesld xml, useasdefault boolean, description text, owner varchar(63), ui xml,
  update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)
"""


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise OutputError(
            "a PostgreSQL store needs the psycopg package: pip install 'gasnet[postgis]'"
        ) from None
    return psycopg


def _libpq_text(exc: Exception) -> str:
    """libpq's message on one line, without the repeated connection preamble."""
    text = " ".join(str(exc).split("\nHINT:")[0].split())  # (a server's hint may mislead)
    for cut in ("failed: FATAL: ", "FATAL: ", "failed: "):
        if cut in text:
            text = text.rsplit(cut, 1)[1]
            break
    return text if len(text) <= 200 else text[:197] + "..."


def connect(url: StoreURL):
    """A connection (not in autocommit), or an :class:`OutputError` saying what to fix."""
    psycopg = _psycopg()
    kwargs = {} if "connect_timeout" in url.conninfo else {"connect_timeout": 10}
    try:
        return psycopg.connect(url.conninfo, application_name="gasnet", **kwargs)
    except psycopg.Error as exc:
        raise _connect_error(url, exc) from None


def _connect_error(url: StoreURL, exc: Exception) -> OutputError:
    detail = _libpq_text(exc)
    low = detail.lower()
    if "password" in low or "authentication" in low:
        fix = (
            "give the right password through PGPASSWORD or a line in ~/.pgpass "
            "(host:port:database:user:password), never in the URL"
        )
    elif "does not exist" in low:
        fix = "check the user and database names in the URL"
    else:
        fix = "check the host and port in the URL, and that PostgreSQL runs and accepts connections"
    return OutputError(f"{url.shown}: cannot connect to PostgreSQL ({detail}); {fix}")


def _ident(*names: str):
    from psycopg import sql

    return sql.Identifier(*names)


def _sql(text: str, *args, **kwargs):
    from psycopg import sql

    return sql.SQL(text).format(*args, **kwargs)


class PostGISStore:
    """The store interface (:class:`gasnet.store.GeoPackageStore`) over a PostGIS schema."""

    kind = "PostGIS"

    def __init__(self, url: str | StoreURL, where: str = "[output] store") -> None:
        self.url = url if isinstance(url, StoreURL) else StoreURL.parse(url, where)
        self.schema = self.url.schema
        self.shown = self.url.shown
        self._lock_key = f"gasnet:{self.schema}"

    def __repr__(self) -> str:
        return f"PostGISStore({self.shown!r})"

    # -- errors -------------------------------------------------------------------------
    def damaged(self, detail: str) -> OutputError:
        return OutputError(
            f"{self.shown}: the gasnet tables of schema {self.schema} are damaged ({detail}); "
            "they are outputs, rebuilt from the raw data: run `gasnet run`"
        )

    def _failed(self, exc: Exception, doing: str) -> OutputError:
        if isinstance(exc, _psycopg().errors.LockNotAvailable):  # (SET LOCAL lock_timeout)
            return OutputError(
                f"{self.shown}: {doing} waited {LOCK_TIMEOUT} for another session to let go "
                f"of the tables of schema {self.schema} (a QGIS project or a query left in an "
                "open transaction: pg_stat_activity shows it); nothing was changed: close it "
                "and run the command again"
            )
        return OutputError(
            f"{self.shown}: {doing} failed ({_libpq_text(exc)}); nothing was changed in schema "
            f"{self.schema}: fix the cause and run the command again"
        )

    @contextlib.contextmanager
    def _transaction(self, doing: str, *, shared: bool | None = None):
        """A connection in a transaction, committed when the body ends; ``shared``: hold
        the store's advisory lock shared (a reader) or exclusive (a writer's swap)."""
        psycopg = _psycopg()
        conn = connect(self.url)
        try:
            with conn:  # commits on success, rolls back on an exception
                if shared is not None:
                    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
                    conn.execute(f"SELECT {fn}(hashtext(%s))", [self._lock_key])
                yield conn
        except psycopg.OperationalError as exc:
            if conn.broken:
                raise OutputError(
                    f"{self.shown}: the connection to PostgreSQL was lost while {doing} "
                    f"({_libpq_text(exc)}); the tables are as they were: run the command again"
                ) from None
            raise self._failed(exc, doing) from None
        except psycopg.errors.DependentObjectsStillExist as exc:
            detail = " ".join((exc.diag.message_detail or "").split())
            raise OutputError(
                f"{self.shown}: cannot replace the gasnet tables of schema {self.schema}: "
                f"{detail or _libpq_text(exc)}; gasnet replaces its tables at every write, so "
                "drop that object and create it again after the write (as a script run after "
                "gasnet); nothing was changed"
            ) from None
        except psycopg.Error as exc:
            raise self._failed(exc, doing) from None
        finally:
            conn.close()

    # -- reading --------------------------------------------------------------------------
    def _tables(self, conn) -> set[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [self.schema]
        ).fetchall()
        return {r[0] for r in rows}

    def _meta(self, conn, tables: set[str]) -> dict[str, str]:
        if METADATA not in tables:
            return {}
        rows = conn.execute(
            _sql("SELECT key, value FROM {} ORDER BY fid", _ident(self.schema, METADATA))
        ).fetchall()
        return dict(rows)

    def _missing(self, tables: set[str], name: str, stage: str) -> StageOrderError:
        if METADATA not in tables:
            return StageOrderError(
                f"{self.shown}: no gasnet tables in schema {self.schema} yet; run "
                "`gasnet ingest` (or `gasnet run`) first"
            )
        return StageOrderError(
            f"{self.shown}: table {self.schema}.{name} is missing; run `gasnet {stage}` first"
        )

    def list_layers(self) -> list[str]:
        with self._transaction("listing the tables", shared=True) as conn:
            return sorted(self._tables(conn))

    def read_metadata(self, missing_ok: bool = False) -> dict[str, str]:
        with self._transaction("reading run_metadata", shared=True) as conn:
            tables = self._tables(conn)
            if METADATA not in tables and not missing_ok:
                raise self._missing(tables, METADATA, "ingest")
            return self._meta(conn, tables)

    def read_layer(self, name: str, *, stage: str = "ingest"):
        layers, _, _ = self.read_snapshot({name: stage})
        return layers[name]

    def read_snapshot(self, layers: dict[str, str], *, optional=()):
        """Several tables and the metadata, all of one revision (see the module's notes)."""
        with self._transaction("reading the tables", shared=True) as conn:
            tables = self._tables(conn)
            out = {}
            meta = self._meta(conn, tables)
            for name, stage in layers.items():
                if name not in tables:
                    if name in optional:
                        continue
                    raise self._missing(tables, name, stage)
                out[name] = _read(conn, self.schema, name, self, meta.get(f"crs:{name}"))
            if not meta:
                raise self._missing(tables, METADATA, "ingest")
        return out, meta, meta.get("revision")

    # -- writing --------------------------------------------------------------------------
    def write_layers(
        self,
        layers: dict[str, pd.DataFrame],
        *,
        fresh: bool = False,
        metadata: dict[str, str] | None = None,
        stage: str | None = None,
        expect=None,
        replace_metadata: bool = False,
    ) -> str:
        """Write (or replace) ``layers`` in one transaction; returns the new revision.

        As :func:`gasnet.store.write_layers`: ``fresh`` drops the tables of the previous run
        that are not written now; ``metadata`` is merged into ``run_metadata`` (or replaces
        it: ``replace_metadata``); ``stage`` records ``stage:<name>``; ``expect`` is the
        revision the stage read (refused when another run wrote meanwhile).
        """
        for name in layers:
            if name == METADATA or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise OutputError(f"{self.shown}: {name!r} cannot be a gasnet table name")
        meta = dict(metadata or {})
        if stage:
            meta[f"stage:{stage}"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")
            meta["gasnet_version"] = __version__
        for name, frame in layers.items():  # a CRS without an EPSG code: SRID 0 and its WKT
            geo = isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame
            crs = frame.crs if geo else None
            if crs is not None and not crs.to_epsg():
                meta[f"crs:{name}"] = crs.to_wkt()
        revision = uuid.uuid4().hex
        # (not the pid alone: two containers both run gasnet as pid 1, two threads share one)
        staging = f"{self.schema}__staging_{revision[:12]}"
        with self._transaction("writing the tables") as conn:
            conn.execute(_sql("SET LOCAL lock_timeout = {}", _sql(repr(LOCK_TIMEOUT))))
            _require_postgis(conn, self)
            conn.execute(_sql("CREATE SCHEMA {}", _ident(staging)))
            written = {}
            for name, frame in layers.items():
                written[name] = _load(conn, staging, name, frame)
            # Only now the lock: readers are held back for the swap, not for the load.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self._lock_key])
            conn.execute(_sql("CREATE SCHEMA IF NOT EXISTS {}", _ident(self.schema)))
            tables = self._tables(conn)
            old = self._meta(conn, tables)
            if expect is not None and old.get("revision") != expect:
                raise OutputError(
                    f"{self.shown}: another gasnet run wrote schema {self.schema} while this "
                    "command worked on it; nothing was written: run the command again"
                )
            previous = set(json.loads(old.get("layers", "[]"))) if old else set()
            kept = set() if fresh else previous
            base = {} if (fresh or replace_metadata) else old
            merged = {**base, **meta, "revision": revision}
            merged["layers"] = json.dumps(sorted(kept | set(layers)))
            frame = pd.DataFrame({"key": list(merged), "value": [str(v) for v in merged.values()]})
            _load(conn, staging, METADATA, frame)
            drop = (previous - set(layers) if fresh else set()) | set(layers) | {METADATA}
            for name in sorted(drop & tables):
                conn.execute(_sql("DROP TABLE {}", _ident(self.schema, name)))
            for name in [*layers, METADATA]:
                conn.execute(
                    _sql("ALTER TABLE {} SET SCHEMA {}", _ident(staging, name), _ident(self.schema))
                )
            conn.execute(_sql("DROP SCHEMA {}", _ident(staging)))
            if "layer_styles" in layers:
                self._qgis_styles(conn, layers["layer_styles"], written)
        log.info("Wrote %s to %s.", ", ".join(layers), self.shown)
        return revision

    def _qgis_styles(self, conn, styles: pd.DataFrame, written: dict) -> None:
        """Copy the styles into ``public.layer_styles`` (QGIS reads them there); a database
        that does not let this user write there keeps only the schema's own table."""
        psycopg = _psycopg()
        try:
            with conn.transaction():  # a savepoint
                conn.execute(_QGIS_STYLES)
                conn.execute(
                    "DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() "
                    "AND f_table_schema = %s AND owner = 'gasnet'",
                    [self.schema],
                )
                for row in styles.itertuples(index=False):
                    table = row.f_table_name
                    geom = "geom" if written.get(table) else None
                    conn.execute(
                        "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, stylename, styleqml, stylesld, "
                        "useasdefault, description, owner, type) VALUES (current_database(), "
                        "%s, %s, %s, %s, XMLPARSE(DOCUMENT %s), NULL, %s, %s, 'gasnet', %s)",
                        [
                            self.schema,
                            table,
                            geom,
                            row.styleName,
                            row.styleQML,
                            bool(row.useAsDefault),
                            row.description,
                            written.get(table) or None,
                        ],
                    )
        except psycopg.Error as exc:
            log.warning(
                "%s: the layer styles were not copied to public.layer_styles (%s); QGIS finds "
                "them in %s.layer_styles",
                self.shown,
                _libpq_text(exc),
                self.schema,
            )

    def publish_file(self, path, shown=None) -> str:
        """Every layer of the GeoPackage ``path`` and its ``run_metadata``, in one write
        that replaces all of the schema's gasnet tables."""
        from . import store

        source = store.GeoPackageStore(path, shown=shown)
        names = [n for n in source.list_layers() if n != store.METADATA]
        layers, meta, _ = source.read_snapshot(dict.fromkeys(names, "ingest"))
        if shown is not None:
            meta["published_from"] = str(shown)
        meta["published_at"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        return self.write_layers(layers, fresh=True, metadata=meta, replace_metadata=True)


def _require_postgis(conn, where) -> None:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if row is None:
        name = conn.execute("SELECT current_database()").fetchone()[0]
        raise OutputError(
            f"{where.shown}: database {name} has no PostGIS; run `CREATE EXTENSION postgis;` "
            "in it (as its owner) once"
        )


# -- tables <-> frames ------------------------------------------------------------------------
def _geometry_type(values) -> str:
    """The typmod of a geometry column: its one type (a layer of a type and its multi type
    is written as the multi type, as a GeoPackage does), else ``Geometry``."""
    import shapely

    present = values[~shapely.is_missing(values)]
    kinds = set(shapely.get_type_id(present).tolist())
    names = {
        0: "Point",
        1: "LineString",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
    }
    multi = {0: 4, 1: 5, 3: 6}
    if len(kinds) == 2:
        a, b = sorted(kinds)
        if multi.get(a) == b:
            kinds = {b}
    if len(kinds) == 1 and next(iter(kinds)) in names:
        return names[next(iter(kinds))]
    return "Geometry"


def _column(series: pd.Series) -> tuple[str, list]:
    """The PostgreSQL type of a column and its values as COPY text (``\\N`` for blank)."""
    dtype = series.dtype
    blank = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        values = np.where(series.fillna(False).to_numpy(dtype=bool), "t", "f").astype(object)
        kind = "boolean"
    elif pd.api.types.is_integer_dtype(dtype):
        size = getattr(dtype, "itemsize", 8)
        kind = "integer" if size <= 4 and str(dtype).lower() not in ("uint32",) else "bigint"
        values = series.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
    elif pd.api.types.is_float_dtype(dtype):
        # numpy writes the shortest text that reads back as the same double (as repr does)
        values = series.to_numpy(dtype=np.float64, na_value=np.nan).astype(str).astype(object)
        kind = "double precision"
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        values = series.astype(object).map(lambda v: v.isoformat()).to_numpy(dtype=object)
        kind = "timestamptz" if getattr(dtype, "tz", None) else "timestamp"
    else:
        raw = series.to_numpy(dtype=object)
        present = raw[~blank]
        if len(present) and all(type(v) is bool or isinstance(v, np.bool_) for v in present):
            values = np.array(["t" if v is True or v is np.True_ else "f" for v in raw], object)
            kind = "boolean"
        else:
            values = np.empty(len(raw), dtype=object)
            values[~blank] = _copy_text([v if type(v) is str else str(v) for v in present])
            kind = "text"
    values = np.array(values, dtype=object)  # (a copy: pandas may hand out read-only arrays)
    values[blank] = "\\N"
    return kind, values


def _copy_text(text: list[str]) -> list[str]:
    """Text as COPY's text format writes it: backslash, tab, newline and carriage return
    escaped; cut at a NUL (PostgreSQL text holds none; GDAL cuts there too). Done on the
    values joined into one string (C speed), split again at the NULs that join them."""
    joined = "\x00".join(text)
    if joined.count("\x00") != max(len(text) - 1, 0):  # a value holds a NUL
        joined = "\x00".join(t.split("\x00", 1)[0] for t in text)
    for old, new in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        if old in joined:
            joined = joined.replace(old, new)
    return joined.split("\x00") if text else []


def _load(conn, schema: str, name: str, frame: pd.DataFrame) -> str | None:
    """Create ``schema.name`` and COPY ``frame`` into it; returns its geometry type (or None)."""
    import shapely

    geo = None
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        geo = frame._geometry_column_name
    fields = [c for c in frame.columns if c != geo]
    clash = [c for c in fields if str(c).lower() in ("fid", "geom")]
    if clash:
        raise OutputError(f"table {name}: a field named {clash[0]!r} clashes with fid / geom")
    n = len(frame)
    columns = [("fid", "bigint", np.arange(1, n + 1).astype(str).astype(object))]
    for c in fields:
        kind, values = _column(frame[c])
        columns.append((str(c), kind, values))
    gtype = None
    if geo is not None:
        crs = frame.crs
        srid = (crs.to_epsg() or 0) if crs is not None else 0
        values = np.asarray(frame[geo].array, dtype=object)
        gtype = _geometry_type(values)
        multi = {
            "MultiPoint": shapely.multipoints,
            "MultiLineString": shapely.multilinestrings,
            "MultiPolygon": shapely.multipolygons,
        }.get(gtype)
        missing = shapely.is_missing(values)
        if multi is not None:
            single = ~missing & (
                shapely.get_type_id(values)
                == {4: 0, 5: 1, 6: 3}[
                    {"MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}[gtype]
                ]
            )
            values = values.copy()
            values[single] = [multi([g]) for g in values[single]]
        wkb = np.full(n, "\\N", dtype=object)
        if (~missing).any():
            shapes = shapely.set_srid(values[~missing], srid)
            wkb[~missing] = shapely.to_wkb(shapes, hex=True, include_srid=True)
        z = shapely.has_z(values[~missing])
        if z.any() and not z.all():  # 2D and 3D shapes: no typmod takes both
            typmod = "geometry"
        else:
            typmod = f"geometry({gtype}{'Z' if z.any() else ''},{srid})"
        columns.append(("geom", typmod, wkb))
    table = _ident(schema, name)
    defs = [_sql("{} " + kind, _ident(col)) for col, kind, _ in columns]
    from psycopg import sql

    conn.execute(_sql("CREATE TABLE {} ({})", table, sql.SQL(", ").join(defs)))
    names = sql.SQL(", ").join(_ident(col) for col, _, _ in columns)
    with conn.cursor().copy(_sql("COPY {} ({}) FROM STDIN", table, names)) as copy:
        for start in range(0, n, _CHUNK):
            part = [pd.Series(v[start : start + _CHUNK]) for _, _, v in columns]
            lines = part[0].str.cat(part[1:], sep="\t") if len(part) > 1 else part[0]
            copy.write(("\n".join(lines.tolist()) + "\n").encode("utf-8"))
    conn.execute(_sql("ALTER TABLE {} ADD PRIMARY KEY (fid)", table))
    if geo is not None:
        conn.execute(_sql("CREATE INDEX ON {} USING gist (geom)", table))
    for col in _ID_COLUMNS:
        if col in fields:
            conn.execute(_sql("CREATE INDEX ON {} ({})", table, _ident(col)))
    return gtype


def _columns(conn, schema: str, name: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s ON s.oid = c.relnamespace "
        "WHERE s.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        [schema, name],
    ).fetchall()


def _read(conn, schema: str, name: str, where, wkt: str | None = None) -> pd.DataFrame:
    """A table as :func:`gasnet.store.read_layer` reads the same layer from a GeoPackage
    (``wkt``: the CRS of a table of SRID 0, from run_metadata's ``crs:<name>``)."""
    from . import store

    columns = _columns(conn, schema, name)
    fields = [(c, t) for c, t in columns if c not in ("fid", "geom")]
    geom = next((t for c, t in columns if c == "geom"), None)
    if geom is not None and not geom.startswith("geometry"):
        raise where.damaged(f"{name}.geom is {geom}, not a geometry")
    select = [_ident(c) for c, _ in fields]
    if geom is not None:
        select += [_sql("ST_AsBinary(geom)"), _sql("ST_SRID(geom)")]
    from psycopg import sql

    order = "fid" if any(c == "fid" for c, _ in columns) else "1"
    query = _sql(
        "SELECT {} FROM {} ORDER BY " + order,
        sql.SQL(", ").join(select) if select else sql.SQL("NULL"),
        _ident(schema, name),
    )
    rows = conn.execute(query).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(select)
    data = {}
    for (col, kind), values in zip(fields, cols, strict=False):
        data[col] = _values(kind, values)
    frame = pd.DataFrame(data, columns=[c for c, _ in fields])
    if geom is None:
        out = store.as_read(frame)
        return out if out is not None else frame
    import shapely

    wkb = np.array(cols[len(fields)], dtype=object)
    srids = {s for s in cols[len(fields) + 1] if s}
    shapes = shapely.from_wkb(wkb) if len(wkb) else np.array([], dtype=object)
    m = re.search(r",\s*(\d+)\)", geom)
    srid = int(m[1]) if m else (srids.pop() if len(srids) == 1 else 0)
    gdf = gpd.GeoDataFrame(frame, geometry=shapes, crs=f"EPSG:{srid}" if srid else wkt)
    out = store.as_read(gdf)
    return out if out is not None else gdf


def _values(kind: str, values):
    """A column fetched from PostgreSQL as the frame a GeoPackage read would build it from
    (then :func:`gasnet.store.as_read` gives the exact dtypes)."""
    blank = [v is None for v in values]
    if kind == "boolean":
        return np.array(values, dtype=bool) if not any(blank) else np.array(values, dtype=object)
    if kind in ("integer", "smallint"):
        return pd.array(values, dtype="Int32")
    if kind == "bigint":
        return pd.array(values, dtype="Int64")
    if kind in ("double precision", "real") or kind.startswith("numeric"):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    if kind.startswith(("character", "text")):
        return np.array(values, dtype=object)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


# -- ingest from PostGIS ----------------------------------------------------------------------
def read_table(source, report) -> gpd.GeoDataFrame | None:
    """A configured layer read from a PostGIS table (``path = "postgresql://..."``,
    ``layer = "schema.table"``), with its source field names; ``None`` after a reported error.
    """
    where = f"[layers.{source.layer}] path"
    url = StoreURL.parse(source.url, where, default_schema="public", store=False)
    name = source.sublayer or ""
    schema, _, table = name.rpartition(".")
    schema = schema or url.schema
    if not table:
        report.add(
            "missing_file",
            "error",
            source.layer,
            "no table named",
            f'give layer = "schema.table" in [layers.{source.layer}]',
            label=source.label,
        )
        return None
    psycopg = _psycopg()
    conn = connect(url)
    try:
        with conn:
            columns = _columns(conn, schema, table)
            if not columns:
                report.add(
                    "missing_file",
                    "error",
                    source.layer,
                    f"the database has no table {schema}.{table}",
                    f"check layer = ... in [layers.{source.layer}] (as schema.table)",
                    label=source.label,
                )
                return None
            geoms = [c for c, t in columns if t.startswith("geometry")]
            if len(geoms) != 1:
                report.add(
                    "unreadable",
                    "error",
                    source.layer,
                    f"table {schema}.{table} has {len(geoms)} geometry columns, not one",
                    "give a view with one geometry column",
                    label=source.label,
                )
                return None
            fields = [(c, t) for c, t in columns if c not in geoms]
            from psycopg import sql

            g = _ident(geoms[0])
            query = _sql(
                "SELECT {} FROM {}",
                sql.SQL(", ").join(
                    [
                        *(_ident(c) for c, _ in fields),
                        _sql("ST_AsBinary({})", g),
                        _sql("ST_SRID({})", g),
                    ]
                ),
                _ident(schema, table),
            )
            rows = conn.execute(query).fetchall()
    except psycopg.Error as exc:
        report.add(
            "unreadable",
            "error",
            source.layer,
            f"cannot read {schema}.{table} ({_libpq_text(exc)})",
            "check the table and that this user may read it",
            label=source.label,
        )
        return None
    finally:
        conn.close()
    import shapely

    cols = list(zip(*rows, strict=True)) if rows else [()] * (len(fields) + 2)
    data = {c: _values(t, v) for (c, t), v in zip(fields, cols, strict=False)}
    frame = pd.DataFrame(data, columns=[c for c, _ in fields])
    for c, t in fields:
        if t in ("integer", "smallint", "bigint"):  # as GDAL gives them: blanks as NaN
            col = frame[c]
            frame[c] = col.astype("float64") if col.isna().any() else col.astype("int64")
    srids = {s for s in cols[-1] if s}
    shapes = shapely.from_wkb(np.array(cols[-2], dtype=object)) if rows else []
    crs = f"EPSG:{srids.pop()}" if len(srids) == 1 else None
    gdf = gpd.GeoDataFrame(frame, geometry=shapes, crs=crs)
    if gdf.crs is None:
        if not source.crs:
            report.add(
                "no_crs",
                "error",
                source.layer,
                f"table {schema}.{table} has no SRID and none is given in the config",
                f'set crs = "EPSG:...", e.g. crs = "EPSG:4545", in [layers.{source.layer}]',
                label=source.label,
            )
            return None
        gdf = gdf.set_crs(source.crs)
    return gdf
