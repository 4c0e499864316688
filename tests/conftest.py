"""Tiny hand-made projects written into tmp_path; tests never read ../shared/ or data/raw/."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

X0, Y0 = 380_000.0, 3_526_000.0  # near Bazhong in EPSG:4545


def xy(x: float, y: float) -> tuple[float, float]:
    """Local metres -> EPSG:4545."""
    return (X0 + x, Y0 + y)


def line(*pts) -> LineString:
    return LineString([xy(*p) for p in pts])


def pt(x, y) -> Point:
    return Point(xy(x, y))


def write_shp(
    path: Path, rows: list[dict], geoms, crs="EPSG:4545", encoding="UTF-8", prj=True, cpg=True
) -> Path:
    gdf = gpd.GeoDataFrame(rows, geometry=list(geoms), crs=crs)
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not prj:
        path.with_suffix(".prj").unlink()
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


BASE_CONFIG = """
[project]
name = "test"
crs = "EPSG:4545"
[network]
snap_tolerance_m = 0.5
customer_max_distance_m = 60
[output]
dir = "out"
[layers.pipes]
path = "raw/pipes.shp"
[layers.valves]
path = "raw/valves.shp"
[layers.sources]
path = "raw/sources.shp"
[layers.customers]
path = "raw/customers.shp"
"""


class Project:
    """A tiny valid project: edit its files or config, then run the CLI on it."""

    def __init__(self, root: Path):
        self.root = root
        self.raw = root / "raw"
        self.raw.mkdir()
        self.config = root / "gasnet.toml"
        self.config.write_text(BASE_CONFIG, encoding="utf-8")
        # Source S1 at (0,0); P1 (0,0)-(100,0); P2 (100,0)-(200,0); P3 (100,0)-(100,80).
        write_shp(
            self.raw / "pipes.shp",
            [
                {"id": "P1", "pressure_class": "中壓A", "status": "在用"},
                {"id": "P2", "pressure_class": "MP-A", "status": "in_service"},
                {"id": "P3", "pressure_class": "低壓", "status": "規劃"},
            ],
            [line((0, 0), (100, 0)), line((100, 0), (200, 0)), line((100, 0), (100, 80))],
        )
        write_shp(self.raw / "valves.shp", [{"id": "V1", "normally": "常閉"}], [pt(50, 0)])
        write_shp(
            self.raw / "sources.shp", [{"id": "S1", "name": "門站", "kind": "門站"}], [pt(0, 0)]
        )
        write_shp(
            self.raw / "customers.shp",
            [
                {"id": "C1", "kind": "醫院", "households": 1},
                {"id": "C2", "kind": "居民", "households": 30},
            ],
            [pt(150, 10), pt(110, 60)],
        )

    def add_config(self, text: str) -> None:
        self.config.write_text(self.config.read_text(encoding="utf-8") + text, encoding="utf-8")

    def replace_config(self, old: str, new: str) -> None:
        text = self.config.read_text(encoding="utf-8")
        assert old in text
        self.config.write_text(text.replace(old, new), encoding="utf-8")

    @property
    def gpkg(self) -> Path:
        return self.root / "out" / "gasnet.gpkg"


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from gasnet.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def canonical(pipes=(), valves=(), sources=(), customers=(), regulators=(), crs="EPSG:4545"):
    """Canonical layers from tuples in local metres (no files).

    pipes: (id, [(x, y), ...] or [[...], [...]] for a multi-part line, class="MP-A",
    status="in_service"); valves: (id, (x, y), normally="open", operable=True);
    sources / regulators: (id, (x, y)); customers: (id, (x, y), households=1, critical=False,
    pipe_id=None).
    """
    from shapely.geometry import MultiLineString

    def geom(c):
        if c and isinstance(c[0][0], (tuple, list)):
            return MultiLineString([[xy(*p) for p in part] for part in c])
        return LineString([xy(*p) for p in c])

    def frame(rows, cols, defaults, make):
        rows = [tuple(r) + tuple(defaults[len(r) - 2 :]) for r in rows]
        data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
        return gpd.GeoDataFrame(data, geometry=[make(r[1]) for r in rows], crs=crs)

    p = frame(pipes, ["pipe_id", "_g", "pressure_class", "status"], ("MP-A", "in_service"), geom)
    p["diameter_mm"], p["material"], p["install_year"] = 110.0, "PE", 2010
    v = frame(valves, ["valve_id", "_g", "normally", "operable"], ("open", True), lambda c: pt(*c))
    v["diameter_mm"], v["kind"] = 110.0, "gate"
    s = frame(sources, ["source_id", "_g"], (), lambda c: pt(*c))
    s["name"], s["kind"] = "gate", "city_gate"
    r = frame(regulators, ["regulator_id", "_g"], (), lambda c: pt(*c))
    r["name"], r["kind"] = "reg", "cabinet"
    c = frame(
        customers,
        ["customer_id", "_g", "households", "critical", "pipe_id", "kind"],
        (1, False, None, "residential"),
        lambda c: pt(*c),
    )
    c["name"] = c["customer_id"]
    out = {"pipes": p, "valves": v, "sources": s, "customers": c, "regulators": r}
    return {k: g.drop(columns="_g") for k, g in out.items()}


def rows(report, check):
    """The report's rows of one check."""
    return [r for r in report.rows if r["check"] == check]


def pipes_at(topo, asset_id):
    """The pipes of the edges meeting at an asset's node, one entry per edge end."""
    node = topo.nodes.set_index("asset_id").loc[asset_id, "node_id"]
    e = topo.edges
    return sorted(e.loc[(e["u"] == node) | (e["v"] == node), "pipe_id"])


@pytest.fixture(scope="session")
def pg():
    """A throwaway PostgreSQL cluster with PostGIS for the session (tests/pgcluster.py);
    skipped, saying why, when PostgreSQL or PostGIS is not installed."""
    import pgcluster

    try:
        cluster = pgcluster.Cluster()
    except pgcluster.Unavailable as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pgenv(pg, monkeypatch):
    """The cluster's password through the environment (as a user gives it)."""
    for key, value in pg.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    return pg


@pytest.fixture(scope="module")
def scheduler():
    """One local Dask cluster of 2 worker processes per test module; tests connect to its
    address (the --scheduler path)."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def in_process_session(**kwargs):
    """A gasnet.parallel.Session whose ``map`` runs here, each payload through pickle as it
    would travel to a worker; ``results`` holds each map's results (the tests of the code
    run on a Dask cluster, without one)."""
    import pickle

    from gasnet import parallel

    class InProcess(parallel.Session):
        def map(self, fn, payloads, stage=""):
            self.log.append((stage, len(payloads)))
            out = [fn(pickle.loads(pickle.dumps(p))) for p in payloads]
            self.results.append(out)
            return out

    s = InProcess(client=None, **kwargs)
    s.results = []
    return s


def write_dbf(path, fields, rows):
    """A dBASE III file: ``fields`` are (name, type, width, decimals); ``rows`` tuples of text
    (numbers right-aligned, as exporters write them; ``None`` is blank), each value a str
    (written as UTF-8) or the bytes themselves (another encoding)."""
    import struct

    record_len = 1 + sum(f[2] for f in fields)
    header_len = 32 + 32 * len(fields) + 1
    out = bytearray(struct.pack("<BBBBIHH20x", 3, 124, 1, 1, len(rows), header_len, record_len))
    for name, kind, width, decimals in fields:
        out += struct.pack("<11sc4xBB14x", name.encode(), kind.encode(), width, decimals)
    out += b"\r"
    for row in rows:
        out += b" "
        for (_, kind, width, _), value in zip(fields, row, strict=True):
            text = value if isinstance(value, bytes) else (value or "").encode()
            out += text.rjust(width) if kind == "N" else text.ljust(width)
    out += b"\x1a"
    path.write_bytes(bytes(out))


def bare_config(root: Path = Path(), **layers):
    """A Config of these layers (none by default) in ``root``, in the working CRS EPSG:4545
    (for calling ingest's steps)."""
    from gasnet.config import Config

    return Config(
        path=root / "gasnet.toml",
        text="",
        name="t",
        crs="EPSG:4545",
        snap_tolerance_m=1.0,
        customer_max_distance_m=50.0,
        output_dir=root / "out",
        layers=layers,
        values={},
    )
