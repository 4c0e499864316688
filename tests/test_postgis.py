"""The PostGIS store against a real PostgreSQL with PostGIS (a throwaway cluster on a local
socket: tests/pgcluster.py; `make test` installs Debian's packages when missing).

What a city's shared database must hold: `gasnet run` into PostGIS equals the GeoPackage run,
layer by layer, read by gasnet and by GDAL's PostgreSQL driver (what QGIS reads); the single
stages and `gasnet publish` work on it; a write that fails or is killed loses nothing; readers
during a write see one version; bad credentials and unreachable servers are one line, exit 2.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from gasnet import pipeline, postgis, store
from gasnet.config import read_config
from gasnet.errors import ConfigError, OutputError, StageOrderError
from gasnet.sample import write_sample

psycopg = pytest.importorskip("psycopg")


AS_OF = datetime.date(2026, 3, 1)


def with_store(config_path: Path, url: str | None) -> Path:
    """A copy of the config writing to ``url`` (None: the GeoPackage) with its own output
    folder."""
    text = config_path.read_text(encoding="utf-8")
    name = "pg" if url else "gpkg"
    out = [f'dir = "out-{name}"'] + ([f'store = "{url}"'] if url else [])
    assert "[output]" in text
    head, _, tail = text.partition("[output]")
    rest = tail.split("\n[", 1)
    text = head + "[output]\n" + "\n".join(out) + "\n" + ("\n[" + rest[1] if len(rest) > 1 else "")
    path = config_path.with_name(f"gasnet-{name}.toml")
    path.write_text(text, encoding="utf-8")
    return path


def run(config_path: Path):
    import dataclasses

    config = read_config(config_path)
    settings = dataclasses.replace(config.hazard_settings, as_of=AS_OF)
    config = dataclasses.replace(config, hazard_settings=settings)
    for _ in pipeline.run(config):
        pass
    return config


#: What differs between two runs by nature: the time of each stage, the revision.
_VOLATILE = ("stage:", "config_", "revision", "layers", "published_")


def comparable(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    if name == "run_metadata":
        keep = ~frame["key"].str.startswith(_VOLATILE)
        return frame[keep].sort_values("key").reset_index(drop=True)
    if name == "layer_styles":
        return frame.drop(columns="update_time")
    return frame


def assert_same_layers(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        x, y = comparable(name, a[name]), comparable(name, b[name])
        assert type(x) is type(y), name
        if isinstance(x, gpd.GeoDataFrame):
            assert x.crs == y.crs, name
            wx, wy = (shapely.to_wkb(f.geometry.to_numpy()) for f in (x, y))
            assert wx.tolist() == wy.tolist(), name
            x, y = (pd.DataFrame(f).drop(columns="geometry") for f in (x, y))
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)


def everything(where) -> dict:
    names = where.list_layers()
    layers, meta, _ = where.read_snapshot(dict.fromkeys([n for n in names if n != "run_metadata"]))
    layers["run_metadata"] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
    return layers


@pytest.fixture(scope="module")
def sample_runs(pg, tmp_path_factory):
    """The generated sample run twice: into a GeoPackage and into PostGIS."""
    root = tmp_path_factory.mktemp("pgsample")
    write_sample(root, 600, seed=3)
    os.environ.update(pg.env)
    try:
        gpkg = run(with_store(root / "gasnet.toml", None))
        db = run(with_store(root / "gasnet.toml", pg.url("sample")))
    finally:
        for key in pg.env:
            os.environ.pop(key, None)
    return gpkg, db


def test_a_run_into_postgis_equals_the_geopackage_run(sample_runs, pgenv):
    gpkg, db = sample_runs
    assert isinstance(db.store, postgis.PostGISStore)
    assert not db.gpkg_target.exists()  # the database instead of the file
    leftovers = [p.name for p in db.output_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # the run's staging GeoPackage is gone
    assert (db.output_dir / "risk.csv").read_bytes() == (gpkg.output_dir / "risk.csv").read_bytes()
    assert_same_layers(everything(gpkg.store), everything(db.store))


def test_qgis_reads_the_same_tables_through_gdal(sample_runs, pgenv, tmp_path):
    """GDAL's PostgreSQL driver (QGIS's OGR provider) copies the schema into a GeoPackage;
    pyogrio reads it: every layer equals the GeoPackage run's."""
    gpkg, _ = sample_runs
    if shutil.which("ogr2ogr") is None:
        pytest.skip("GDAL's ogr2ogr is not installed (make test installs gdal-bin)")
    view = tmp_path / "qgis.gpkg"
    subprocess.run(
        ["ogr2ogr", "-oo", "LIST_ALL_TABLES=YES", "-f", "GPKG", view, pgenv.gdal("sample")],
        check=True,
        env={**os.environ, **pgenv.env},
    )
    names = {n for n, _ in pyogrio.list_layers(gpkg.gpkg_target)}
    assert {n for n, _ in pyogrio.list_layers(view)} == names
    for name in names:
        x = pyogrio.read_dataframe(gpkg.gpkg_target, layer=name)
        y = pyogrio.read_dataframe(view, layer=name)
        assert_same_layers({name: x}, {name: y})


def test_tables_have_keys_spatial_indexes_and_qgis_styles(sample_runs, pg):
    rows = pg.sql(
        "onemap",
        "SELECT c.relname, i.relname, am.amname FROM pg_index x JOIN pg_class c ON "
        "c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON "
        "am.oid = i.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
        "'sample'",
    )
    gist = {t for t, _, am in rows if am == "gist"}
    keys = {t for t, i, _ in rows if i.endswith("_pkey")}
    assert {"pipes", "valves", "customers", "segments", "risk", "edges", "nodes"} <= gist
    assert {"valve_criticality", "hazard_matches", "run_metadata", "pipes"} <= keys
    styles = pg.sql(
        "onemap",
        "SELECT f_table_name, f_geometry_column, useasdefault FROM public.layer_styles "
        "WHERE f_table_schema = 'sample' ORDER BY 1",
    )
    assert {r[0] for r in styles} >= {"pipes", "valves"}
    assert all(r[1] == "geom" and r[2] for r in styles)


def test_the_single_stages_and_queries_work_on_postgis(sample_runs, pgenv, cli):
    gpkg, db = sample_runs
    for stage in ("hazards", "criticality"):
        code, _, err = cli("--config", db.path, stage)
        assert code == 0, err
    code, out_db, _ = cli("--config", db.path, "isolate", "--close", "FM000003")
    code_g, out_g, _ = cli("--config", gpkg.path, "isolate", "--close", "FM000003")
    assert code == code_g == 0
    assert out_db == out_g
    from gasnet import load

    net = load(db.path)
    assert len(net.pipes) == len(load(gpkg.path).pipes)
    meta = db.store.read_metadata()
    assert "stage:criticality" in meta and meta["stage:criticality"] > meta["stage:hazards"]


def test_publish_copies_the_geopackage_and_replaces_every_table(sample_runs, pgenv, cli):
    gpkg, _ = sample_runs
    url = pgenv.url("published")
    code, out, err = cli("--config", gpkg.path, "publish", "--db", url)
    assert code == 0, err
    assert "published" in out
    target = postgis.PostGISStore(url)
    assert_same_layers(everything(gpkg.store), everything(target))
    # A fresh ingest published over it: the later stages' tables go (as in a new GeoPackage).
    fresh = {"pipes": everything(gpkg.store)["pipes"]}
    target.write_layers(fresh, fresh=True, stage="ingest")
    assert sorted(target.list_layers()) == ["pipes", "run_metadata"]


def test_a_stage_before_ingest_names_the_stage(pgenv, project, cli):
    config = with_store(project.config, pgenv.url("empty_schema"))
    code, _, err = cli("--config", config, "build")
    assert code == 2
    assert "no gasnet tables in schema empty_schema" in err and "gasnet ingest" in err
    assert err.count("\n") == 1


# -- a write is one transaction ---------------------------------------------------------------
def small(n: int = 3, tag: str = "a") -> dict:
    pipes = gpd.GeoDataFrame(
        {"pipe_id": [f"{tag}{i}" for i in range(n)], "n": np.arange(n, dtype="int64")},
        geometry=[LineString([(i, 0), (i + 1, 1)]) for i in range(n)],
        crs="EPSG:4545",
    )
    return {"pipes": pipes, "valve_criticality": pd.DataFrame({"valve_id": ["V1"], "x": [1.5]})}


def test_a_write_that_fails_midway_leaves_the_previous_tables(pgenv, monkeypatch):
    where = postgis.PostGISStore(pgenv.url("failing"))
    where.write_layers(small(tag="old"), fresh=True, stage="ingest")
    before = everything(where)
    real = postgis._load

    def second_table_fails(conn, schema, name, frame):
        if name == "valve_criticality":
            raise psycopg.errors.DiskFull("could not extend file: No space left on device")
        return real(conn, schema, name, frame)

    monkeypatch.setattr(postgis, "_load", second_table_fails)
    with pytest.raises(OutputError, match=r"No space left.*nothing was changed"):
        where.write_layers(small(5, tag="new"), stage="build")
    assert_same_layers(before, everything(where))
    schemas = pgenv.sql("onemap", "SELECT nspname FROM pg_namespace WHERE nspname LIKE '%stag%'")
    assert schemas == []


def test_a_publish_killed_midway_loses_nothing(pgenv, tmp_path):
    """kill -9 while the tables are being loaded: the server rolls the transaction back."""
    url = pgenv.url("killed")
    where = postgis.PostGISStore(url)
    where.write_layers(small(tag="old"), fresh=True, stage="ingest")
    before = everything(where)
    ready = tmp_path / "loading"
    script = textwrap.dedent(
        f"""
        import time, pathlib, geopandas as gpd
        from shapely.geometry import Point
        from gasnet import postgis
        real = postgis._load
        def slow(conn, schema, name, frame):
            out = real(conn, schema, name, frame)
            pathlib.Path({str(ready)!r}).write_text("x")
            time.sleep(60)
            return out
        postgis._load = slow
        big = gpd.GeoDataFrame({{"pipe_id": ["n%d" % i for i in range(1000)]}},
                               geometry=[Point(i, i) for i in range(1000)], crs="EPSG:4545")
        postgis.PostGISStore({url!r}).write_layers({{"pipes": big}}, fresh=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    try:
        for _ in range(600):
            if ready.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), "the writer never reached the load"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    for _ in range(100):  # the server notices the closed socket and rolls back
        busy = pgenv.sql(
            "onemap", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gasnet'"
        )
        if busy[0][0] == 0:
            break
        time.sleep(0.1)
    assert_same_layers(before, everything(where))
    assert pgenv.sql("onemap", "SELECT nspname FROM pg_namespace WHERE nspname LIKE '%stag%'") == []


def test_two_readers_during_a_publish_each_see_one_version(pgenv, monkeypatch):
    url = pgenv.url("readers")
    where = postgis.PostGISStore(url)
    where.write_layers(small(4, tag="old"), fresh=True, stage="ingest")
    loaded, swap = threading.Event(), threading.Event()
    real = postgis._load

    def held(conn, schema, name, frame):  # the writer waits after its load, before the swap
        out = real(conn, schema, name, frame)
        if name == "valve_criticality":
            loaded.set()
            assert swap.wait(30)
        return out

    monkeypatch.setattr(postgis, "_load", held)
    writer = threading.Thread(target=where.write_layers, args=(small(7, tag="new"),))
    writer.start()
    assert loaded.wait(30)
    seen = []

    def reader():
        layers, _, revision = postgis.PostGISStore(url).read_snapshot(
            {"pipes": "ingest", "valve_criticality": "criticality"}
        )
        seen.append((layers["pipes"]["pipe_id"].tolist(), revision))

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for r in readers:
        r.start()
    for r in readers:
        r.join(30)
    assert [ids for ids, _ in seen] == [["old0", "old1", "old2", "old3"]] * 2  # not blocked
    swap.set()
    writer.join(30)
    after, _, revision = where.read_snapshot({"pipes": "ingest"})
    assert after["pipes"]["pipe_id"].tolist() == [f"new{i}" for i in range(7)]
    assert revision != seen[0][1]


def test_a_stage_does_not_write_over_a_newer_run(pgenv):
    where = postgis.PostGISStore(pgenv.url("race"))
    where.write_layers(small(tag="a"), fresh=True, stage="ingest")
    _, _, read = where.read_snapshot({"pipes": "ingest"})
    where.write_layers(small(tag="b"), fresh=True, stage="ingest")  # another run, meanwhile
    with pytest.raises(OutputError, match="another gasnet run wrote schema race"):
        where.write_layers(small(tag="c"), stage="build", expect=read)
    layers, _, _ = where.read_snapshot({"pipes": "ingest"})
    assert layers["pipes"]["pipe_id"].tolist() == ["b0", "b1", "b2"]


# -- values: what the GeoPackage gives back, PostGIS gives back --------------------------------
def test_odd_values_come_back_as_from_a_geopackage(pgenv, tmp_path):
    """Tabs, newlines, backslashes, a literal \\N, NUL, empty text against blank, Chinese;
    blank integers, -0.0, NaN and infinities, bools; lines among multi-lines (all become
    multi-lines), a blank geometry: each read back from PostGIS as from a GeoPackage."""
    text = ["a\tb", "line\nbreak\r", "back\\slash", "\\N", "", None, "cut\x00here", "閥門 閘"]
    n = len(text)
    lines = [LineString([(i, 0), (i, 1)]) for i in range(n - 2)]
    frame = gpd.GeoDataFrame(
        {
            "label": text,
            "count": pd.array([1, None, 3, 4, 5, 6, 7, 8], dtype="Int64"),
            "small": np.arange(n, dtype="int32"),
            "whole": pd.array(range(n), dtype="Int64"),
            "value": [-0.0, np.nan, np.inf, -np.inf, 1e-300, 2.5, 1 / 3, 7.0],
            "flag": [True, False] * (n // 2),
            "nothing": [None] * n,  # (all blank: pyogrio hands out read-only arrays)
        },
        geometry=[*lines, MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]]), None],
        crs="EPSG:4545",
    )
    plain = pd.DataFrame({"key": ["a", "b"], "value": ["1", None]})
    layers = {"odd": frame, "plain": plain, "empty": frame.iloc[:0]}
    gpkg = tmp_path / "odd.gpkg"
    store.write_layers(gpkg, layers)
    want = {n: store.read_layer(gpkg, n) for n in layers}
    back = {n: store.read_layer(gpkg, n) for n in layers}  # what `gasnet publish` sends
    where = postgis.PostGISStore(pgenv.url("odd"))
    for sent in (layers, back):
        where.write_layers(sent, fresh=True)
        got, _, _ = where.read_snapshot(dict.fromkeys(layers, "x"))
        assert_same_layers(want, got)
    assert got["odd"]["label"].tolist()[:4] == ["a\tb", "line\nbreak\r", "back\\slash", "\\N"]


def test_points_keep_their_srid_and_type(pgenv):
    frame = gpd.GeoDataFrame(
        {"valve_id": ["V1", "V2"]}, geometry=[Point(1, 2), Point(3, 4)], crs="EPSG:4547"
    )
    where = postgis.PostGISStore(pgenv.url("srid"))
    where.write_layers({"valves": frame}, fresh=True)
    kind = pgenv.sql(
        "onemap",
        "SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'srid' "
        "AND f_table_name = 'valves'",
    )
    assert kind == [("POINT", 4547)]
    got = where.read_layer("valves")
    assert got.crs.to_epsg() == 4547 and got.geometry.tolist() == frame.geometry.tolist()


# -- credentials and connections ----------------------------------------------------------------
def test_a_wrong_password_is_one_line_and_exit_2(sample_runs, pg, monkeypatch, cli):
    _, db = sample_runs
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    code, _, err = cli("--config", db.path, "isolate", "--close", "FM000003")
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "password authentication failed" in err and "PGPASSWORD" in err
    assert "not-the-password" not in err


def test_an_unreachable_server_is_one_line_and_exit_2(sample_runs, cli, tmp_path):
    gpkg, _ = sample_runs
    for url in (
        "postgresql://gasnet@127.0.0.1:1/onemap?connect_timeout=3",
        f"postgresql://gasnet@/onemap?host={tmp_path}",  # no server on that socket
    ):
        code, _, err = cli("--config", gpkg.path, "publish", "--db", url)
        assert code == 2, url
        assert err.count("\n") == 1 and "cannot connect to PostgreSQL" in err, err
        assert "check the host and port" in err


def test_the_password_comes_from_pgpass(pg, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{pg.user}:{pg.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    where = postgis.PostGISStore(pg.url("pgpass"))
    where.write_layers(small(), fresh=True)
    assert "pipes" in where.list_layers()
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(OutputError, match=r"PGPASSWORD or a line in ~/\.pgpass"):
        where.list_layers()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://gasnet:s3cret@db.example/onemap?schema=gasnet",
        "postgresql://gasnet@db.example/onemap?password=s3cret",
    ],
)
def test_a_password_in_the_url_is_refused(project, cli, url):
    config = with_store(project.config, url)
    code, _, err = cli("--config", config, "run")
    assert code == 2
    assert "holds a password" in err and "s3cret" not in err
    code, _, err = cli("--config", project.config, "publish", "--db", url)
    assert code == 2 and "s3cret" not in err


def test_bad_store_settings(project):
    for value, match in [
        ('"mysql://x/y"', "not a PostgreSQL URL"),
        ("5", "must be a string"),
        ('"postgresql://u@h/db?schema=a;drop"', "not a plain schema name"),
    ]:
        config = with_store(project.config, "X")
        config.write_text(
            config.read_text(encoding="utf-8").replace('"X"', value), encoding="utf-8"
        )
        with pytest.raises(ConfigError, match=match):
            read_config(config)


def test_publish_without_a_geopackage_says_to_run_first(project, cli, pgenv):
    code, _, err = cli("--config", project.config, "publish", "--db", pgenv.url("nothing"))
    assert code == 2 and "no GeoPackage to publish; run `gasnet run` first" in err
    code, _, err = cli("--config", project.config, "publish")
    assert code == 2 and "give --db" in err


# -- ingest from PostGIS ------------------------------------------------------------------------
def test_ingest_reads_layers_from_postgis_tables(pgenv, project, cli):
    """The project's shapefiles loaded into schema raw (as a utility's GIS holds them); the
    config reads them from there: the same canonical layers as from the files."""
    from gasnet.ingest import load_layers

    config = read_config(project.config)
    files, report = load_layers(config)
    assert not report.has_errors
    raw = postgis.PostGISStore(pgenv.url("raw"))
    tables = {}
    for name, sources in config.layers.items():
        frame = pyogrio.read_dataframe(sources[0].path, encoding=sources[0].encoding)
        tables[name] = frame
    raw.write_layers(tables, fresh=True)
    text = project.config.read_text(encoding="utf-8")
    for name in tables:
        text = text.replace(
            f'path = "raw/{name}.shp"', f'path = "{pgenv.url("raw")}"\nlayer = "raw.{name}"'
        )
    project.config.write_text(text, encoding="utf-8")
    from_db, report = load_layers(read_config(project.config))
    assert not report.has_errors
    for name, layer in files.items():
        got = from_db[name].drop(columns="source_file")
        want = layer.drop(columns="source_file")
        assert_same_layers({name: want}, {name: got})
        if name in tables:  # (not configured: an empty layer from both)
            assert set(from_db[name]["source_file"]) == {f"raw.{name}"}
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err


def test_ingest_names_a_missing_table(pgenv, project, cli):
    text = project.config.read_text(encoding="utf-8").replace(
        'path = "raw/valves.shp"', f'path = "{pgenv.url("raw")}"\nlayer = "raw.no_such"'
    )
    project.config.write_text(text, encoding="utf-8")
    code, _, err = cli("--config", project.config, "validate")
    assert code == 2
    assert "no table raw.no_such" in err


def test_a_table_source_needs_its_layer(project):
    text = project.config.read_text(encoding="utf-8").replace(
        'path = "raw/valves.shp"', 'path = "postgresql://gis@db/onemap"'
    )
    project.config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r'layer = "schema\.table"'):
        read_config(project.config)


def test_stage_order_error_class(pgenv):
    with pytest.raises(StageOrderError):
        postgis.PostGISStore(pgenv.url("never_written")).read_snapshot({"pipes": "ingest"})


def test_publish_with_a_postgis_store_needs_the_geopackage_named(sample_runs, pgenv, cli):
    """With [output] store set, `gasnet run` writes no gasnet.gpkg: one left from before
    would be older than the tables, so publish takes only a GeoPackage named by --gpkg."""
    gpkg, db = sample_runs
    db.gpkg_target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(gpkg.gpkg_target, db.gpkg_target)
    try:
        before = db.store.read_metadata()["revision"]
        code, _, err = cli("--config", db.path, "publish")
        assert code == 2 and "give it with --gpkg FILE" in err
        assert db.store.read_metadata()["revision"] == before
    finally:
        db.gpkg_target.unlink()


def test_a_view_on_a_gasnet_table_is_named_and_nothing_changes(pgenv):
    where = postgis.PostGISStore(pgenv.url("viewed"))
    where.write_layers(small(tag="old"), fresh=True)
    before = everything(where)
    pgenv.sql("onemap", "CREATE VIEW public.my_pipes AS SELECT pipe_id FROM viewed.pipes")
    try:
        with pytest.raises(OutputError) as info:
            where.write_layers(small(tag="new"), fresh=True)
        text = str(info.value)
        assert "view my_pipes depends on table viewed.pipes" in text
        assert "CASCADE" not in text and "nothing was changed" in text
        assert_same_layers(before, everything(where))
    finally:
        pgenv.sql("onemap", "DROP VIEW public.my_pipes")
