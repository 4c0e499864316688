"""The PostGIS store against hostile users and a hostile environment: odd URLs, odd frames,
odd databases, killed and concurrent runs (a throwaway cluster: tests/pgcluster.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gasnet import postgis, store
from gasnet.errors import OutputError

psycopg = pytest.importorskip("psycopg")


def into(project, url: str) -> Path:
    """The project's config writing to ``url``."""
    project.replace_config('dir = "out"', f'dir = "out"\nstore = "{url}"')
    return project.config


def same_as_geopackage(where, layers: dict, tmp_path: Path) -> None:
    from test_postgis import assert_same_layers

    gpkg = tmp_path / "same.gpkg"
    store.write_layers(gpkg, layers)
    want = {n: store.read_layer(gpkg, n) for n in layers}
    where.write_layers(layers, fresh=True)
    got, _, _ = where.read_snapshot(dict.fromkeys(layers, "x"))
    assert_same_layers(want, got)


# -- empty layers -------------------------------------------------------------------------------
def test_an_empty_layer_with_integer_columns_is_written(pgenv, tmp_path):
    """0 rows of int64 / float64 / bool: pandas hands out read-only arrays for them."""
    frame = gpd.GeoDataFrame(
        {
            "pipe_id": pd.Series([], dtype=object),
            "n": pd.Series([], dtype="int64"),
            "x": pd.Series([], dtype="float64"),
        },
        geometry=gpd.GeoSeries([], crs="EPSG:4545"),
        crs="EPSG:4545",
    )
    where = postgis.PostGISStore(pgenv.url("empty_int"))
    same_as_geopackage(where, {"pipes": frame}, tmp_path)


def test_gasnet_run_of_the_small_project_into_postgis(pgenv, project, cli):
    """The conftest project (no regulators, no hazards: empty layers) run into PostGIS."""
    config = into(project, pgenv.url("small_run"))
    code, _, err = cli("--config", config, "run")
    assert code == 0, err
    code, _, err = cli("--config", config, "isolate", "--close", "V1")
    assert code == 0, err


# -- geometries ---------------------------------------------------------------------------------
def test_3d_shapes_are_written_as_the_geopackage_holds_them(pgenv, tmp_path):
    """Survey data with heights (PolylineZ): the GeoPackage keeps Z, so must PostGIS."""
    from shapely.geometry import LineString, Point

    lines = gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2"]},
        geometry=[LineString([(0, 0, 5), (1, 1, 6)]), LineString([(1, 1, 6), (2, 0, 7)])],
        crs="EPSG:4545",
    )
    mixed = gpd.GeoDataFrame(
        {"valve_id": ["V1", "V2"]}, geometry=[Point(0, 0, 5), Point(1, 1)], crs="EPSG:4545"
    )
    where = postgis.PostGISStore(pgenv.url("three_d"))
    same_as_geopackage(where, {"pipes": lines, "valves": mixed}, tmp_path)


def test_gasnet_run_with_3d_pipes_into_postgis(pgenv, project, cli):
    from shapely import force_3d

    pipes = gpd.read_file(project.raw / "pipes.shp")
    pipes.geometry = force_3d(pipes.geometry, 12.0)
    pipes.to_file(project.raw / "pipes.shp")
    config = into(project, pgenv.url("three_d_run"))
    code, _, err = cli("--config", config, "run")
    assert code == 0, err
    code, _, err = cli("--config", config, "isolate", "--close", "V1")
    assert code == 0, err


LOCAL_CRS = "+proj=tmerc +lat_0=0 +lon_0=105 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def test_a_crs_without_an_epsg_code_comes_back(pgenv, tmp_path):
    """A city's own grid (a proj string, no EPSG code): SRID 0, but the CRS is kept."""
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"valve_id": ["V1"]}, geometry=[Point(1, 2)], crs=LOCAL_CRS)
    where = postgis.PostGISStore(pgenv.url("local_crs"))
    same_as_geopackage(where, {"valves": frame}, tmp_path)


def test_gasnet_run_in_a_local_crs_into_postgis(pgenv, project, cli):
    """[project] crs may be any CRS pyproj knows; the tables read back must keep it (else
    every later command called them damaged and sent the user to `gasnet run` again)."""
    project.replace_config('crs = "EPSG:4545"', f'crs = "{LOCAL_CRS}"')
    config = into(project, pgenv.url("local_crs_run"))
    code, _, err = cli("--config", config, "run")
    assert code == 0, err
    code, _, err = cli("--config", config, "isolate", "--close", "V1")
    assert code == 0, err


# -- URLs -------------------------------------------------------------------------------------
def test_a_url_without_host_is_libpqs_local_socket(pgenv):
    """postgresql:///db (no user, no host) is the common local form: the conninfo must keep
    its '//' (urlunsplit made it "postgresql:/db", which libpq refused)."""
    url = f"postgresql:///{pgenv.database}?host={pgenv.dir}&user={pgenv.user}&schema=no_host"
    where = postgis.PostGISStore(url)
    where.write_layers({"t": pd.DataFrame({"a": [1]})}, fresh=True)
    assert "t" in where.list_layers()


@pytest.mark.parametrize(
    "url",
    [
        "postgis://gasnet:s3cret@db.example/onemap",  # not a PostgreSQL scheme
        "postgresql://gasnet:s3cret@[::1/onemap",  # not a valid URL
        "postgresql://gasnet:s3/cr?et@db.example/onemap",
        "postgresql://gasnet@db.example/onemap?sslpassword=s3cret",  # the SSL key's password
    ],
)
def test_a_refused_url_never_shows_its_password(project, cli, url):
    config = into(project, url)
    code, _, err = cli("--config", config, "run")
    assert code == 2 and err.count("\n") == 1
    assert "s3cret" not in err and "s3/cr?et" not in err, err
    code, _, err = cli("--config", project.config, "publish", "--db", url)
    assert code == 2 and "s3cret" not in err and "s3/cr?et" not in err, err


@pytest.mark.parametrize("schema", ["public", "information_schema", "pg_catalog", "pg_temp"])
def test_postgresqls_own_schemas_are_refused_as_the_store(project, schema):
    """gasnet drops and replaces its tables: in public that is QGIS's layer_styles of every
    project (gasnet writes a table of that name) and PostGIS's spatial_ref_sys sits there."""
    from gasnet.config import read_config
    from gasnet.errors import ConfigError

    config = into(project, f"postgresql://gis@db/onemap?schema={schema}")
    with pytest.raises(ConfigError, match="schema of its own"):
        read_config(config)
    with pytest.raises(ConfigError, match="schema of its own"):
        postgis.PostGISStore(f"postgresql://gis@db/onemap?schema={schema}")


def test_public_is_still_where_ingest_reads_tables_from(project):
    from gasnet.config import read_config

    project.replace_config(
        'path = "raw/valves.shp"', 'path = "postgresql://gis@db/onemap"\nlayer = "valves"'
    )
    read_config(project.config)


# -- concurrent writers -------------------------------------------------------------------------
def test_two_writers_of_one_process_id_both_write(pgenv, monkeypatch):
    """Two containers both run gasnet as pid 1 (here: two threads of one process): each must
    load into its own staging schema and wait only for the swap; one staging name made the
    second wait on the first's whole load, then fail on lock_timeout."""
    import threading

    from shapely.geometry import Point

    monkeypatch.setattr(postgis, "LOCK_TIMEOUT", "1s")
    real = postgis._load
    loading = threading.Barrier(2, timeout=30)

    def slow(conn, schema, name, frame):  # both loads overlap, each longer than lock_timeout
        out = real(conn, schema, name, frame)
        if name == "pipes":
            loading.wait()
            threading.Event().wait(1.5)
        return out

    monkeypatch.setattr(postgis, "_load", slow)
    where = postgis.PostGISStore(pgenv.url("same_pid"))
    errors = []

    def write(tag):
        frame = gpd.GeoDataFrame(
            {"pipe_id": [f"{tag}{i}" for i in range(3)]},
            geometry=[Point(i, i) for i in range(3)],
            crs="EPSG:4545",
        )
        try:
            where.write_layers({"pipes": frame}, fresh=True)
        except Exception as exc:  # (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    ids = where.read_layer("pipes")["pipe_id"].tolist()
    assert ids in (["a0", "a1", "a2"], ["b0", "b1", "b2"])


def test_a_reader_in_an_open_transaction_is_named_when_a_write_gives_up(pgenv, monkeypatch):
    """QGIS (or a psql session) read a table and left its transaction open: the write waits
    lock_timeout, then says who holds the tables and what to do -- not just 'canceling
    statement due to lock timeout; fix the cause'."""
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"pipe_id": ["P1"]}, geometry=[Point(0, 0)], crs="EPSG:4545")
    where = postgis.PostGISStore(pgenv.url("held"))
    where.write_layers({"pipes": frame}, fresh=True)
    monkeypatch.setattr(postgis, "LOCK_TIMEOUT", "1s")
    with psycopg.connect(
        host=str(pgenv.dir), user=pgenv.user, dbname=pgenv.database, password=pgenv.password
    ) as qgis:
        qgis.execute("SELECT count(*) FROM held.pipes").fetchall()  # the transaction stays open
        with pytest.raises(OutputError) as err:
            where.write_layers({"pipes": frame}, fresh=True)
    text = str(err.value)
    assert "another session" in text and "open transaction" in text and "\n" not in text
    assert where.read_layer("pipes")["pipe_id"].tolist() == ["P1"]
