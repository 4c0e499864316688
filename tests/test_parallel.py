"""Dask for the spatial stages (gasnet.parallel): every output is the single process's, layer
by layer, on the sample and on generated networks; ties and records across partition edges;
the command line's --workers / --scheduler errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import Project, canonical, pt, write_shp, xy
from outputs import AS_OF, assert_same_outputs, in_one_run

from gasnet import parallel, pipeline
from gasnet.config import read_config
from gasnet.errors import ValidationError
from gasnet.sample import write_sample


def on(address, chunk_rows=parallel.CHUNK_ROWS):
    return parallel.session(scheduler=address, chunk_rows=chunk_rows)


def two_copies(tmp_path, n_pipes, seed) -> tuple[Path, Path]:
    write_sample(tmp_path / "a", n_pipes, seed)
    write_sample(tmp_path / "b", n_pipes, seed)
    return tmp_path / "a" / "gasnet.toml", tmp_path / "b" / "gasnet.toml"


# -- whole runs: the same GeoPackage and CSVs ----------------------------------------------------


@pytest.mark.parametrize(
    ("n_pipes", "seed", "chunk_rows"),
    [(4500, 7, 400), (600, 3, 40), (1200, 11, 90)],
    ids=["sample-4500", "gen-600-s3", "gen-1200-s11"],
)
def test_run_on_dask_is_the_single_process_run(scheduler, tmp_path, n_pipes, seed, chunk_rows):
    """4500 / seed 7 is the bundled sample (data/raw); the others generated networks. Small
    partitions, so that many customers and hazard records lie at partition edges."""
    single, dask = two_copies(tmp_path, n_pipes, seed)
    a = in_one_run(single)
    with on(scheduler, chunk_rows) as s:
        b = in_one_run(dask)
    stages = {stage for stage, _ in s.log}
    assert {"ingest", "geometry checks", "nearest", "hazard overlay"} <= stages
    assert max(n for stage, n in s.log if stage == "nearest") > 2  # real partition edges
    assert_same_outputs(a, b)
    issues = pyogrio.read_dataframe(b, layer="quality_issues")
    assert len(issues) > 10  # the sample's digitising faults: a report worth comparing


def test_api_workers_keyword(tmp_path):
    """gasnet.run(config, workers=2): a local cluster of its own, the same network."""
    import gasnet

    single, dask = two_copies(tmp_path, 300, 2)
    a = gasnet.run(single, as_of=AS_OF)
    b = gasnet.run(dask, as_of=AS_OF, workers=2)
    assert parallel.current() is None  # closed on exit
    for name in ("pipes", "customers", "risk", "hazard_matches", "quality_issues"):
        x, y = a.layers[name], b.layers[name]
        x = x.drop(columns="source_file", errors="ignore")
        y = y.drop(columns="source_file", errors="ignore")
        pd.testing.assert_frame_equal(pd.DataFrame(x), pd.DataFrame(y), check_exact=True)


# -- validation: errors and their report are the same ---------------------------------------------


def test_validation_errors_are_the_same(scheduler, tmp_path):
    """Two pipe files (a layer of two sources), duplicate ids across them, an unknown strict
    value, a bad hazard date: the same error lines and the same quality rows, in order."""
    p = Project(tmp_path)
    write_shp(
        p.raw / "more.shp",
        [{"id": "P2", "status": "half"}, {"id": "P9", "status": "在用"}],
        [shapely.LineString([xy(0, 0), xy(0, 50)]), shapely.LineString([xy(0, 50), xy(0, 90)])],
    )
    p.replace_config(
        '[layers.pipes]\npath = "raw/pipes.shp"',
        '[[layers.pipes]]\npath = "raw/pipes.shp"\n[[layers.pipes]]\npath = "raw/more.shp"',
    )
    config = read_config(p.config)
    with pytest.raises(ValidationError) as single:
        pipeline.validate(config)
    with on(scheduler, chunk_rows=1), pytest.raises(ValidationError) as dask:
        pipeline.validate(config)
    assert str(single.value) == str(dask.value)
    assert "duplicate" in str(single.value) and "half" in str(single.value)
    x, y = single.value.issues, dask.value.issues
    pd.testing.assert_frame_equal(pd.DataFrame(x), pd.DataFrame(y), check_exact=True)


# -- partition edges ---------------------------------------------------------------------------


def test_nearest_ties_break_as_the_single_process(scheduler):
    """Integer grids of unit pipes and half-integer customers: thousands of exact ties, many
    across partition edges. The STRtree's own tie order is not the lowest index (checked
    below, so a lowest-index rule would fail this test); the Dask path gives its answer."""
    rng = np.random.default_rng(5)
    n = 3000
    x, y, h = rng.integers(0, 80, n), rng.integers(0, 80, n), rng.random(n) < 0.5
    start = np.stack([x, y], 1)
    lines = shapely.linestrings(np.stack([start, start + np.stack([h, ~h], 1)], 1).astype(float))
    q = shapely.points(rng.integers(0, 160, 8000) / 2, rng.integers(0, 160, 8000) / 2)
    tree = shapely.STRtree(lines)
    with on(scheduler, chunk_rows=500) as s:
        for max_d in (3.0, 0.5, 1e-9):
            want = tree.query_nearest(
                q, max_distance=max_d, all_matches=False, return_distance=True
            )
            got = parallel.nearest(s, tree, lines, q, max_d)
            for u, v in ((want[0][0], got[0][0]), (want[0][1], got[0][1]), (want[1], got[1])):
                np.testing.assert_array_equal(u, v)
    (wq, wt), _ = tree.query_nearest(q, max_distance=3, all_matches=False, return_distance=True)
    (aq, at), _ = tree.query_nearest(q, max_distance=3, all_matches=True, return_distance=True)
    lowest = pd.Series(at).groupby(aq).min().loc[wq].to_numpy()
    assert (pd.Series(aq).value_counts() > 1).sum() > 500  # many ties
    assert (lowest != wt).any()  # the single process does not take the lowest index


def _two_clusters(n=40):
    """Pipes P1 along x = 0 and P2 along x = 20 (each with customers close by, so that the
    customers split into a western and an eastern partition), and customer TIE at x = 10:
    exactly 10 m from both. P2 comes first: the single process's STRtree takes P1, so a
    rule "the lowest index" would take the other."""
    west = [(f"W{i}", (-1.0, 2.0 * i)) for i in range(n)]
    east = [(f"E{i}", (21.0, 2.0 * i)) for i in range(n)]
    return canonical(
        pipes=[("P2", [(20, 0), (20, 100)]), ("P1", [(0, 0), (0, 100)])],
        sources=[("S1", (0, 0)), ("S2", (20, 0))],
        customers=[*west, ("TIE", (10.0, 50.0)), *east],
    )


def test_customer_equidistant_to_pipes_across_partitions(scheduler):
    from gasnet.network import build_network

    layers = _two_clusters()
    c = layers["customers"].set_index("customer_id").geometry
    p = layers["pipes"].set_index("pipe_id").geometry
    assert c["TIE"].distance(p["P1"]) == c["TIE"].distance(p["P2"]) == 10.0
    single, _ = build_network(layers, customer_max_distance_m=60)
    with on(scheduler, chunk_rows=20) as s:
        dask, _ = build_network(layers, customer_max_distance_m=60)
    assert s.log == [("nearest", 5)]
    for name in ("customers", "nodes", "edges"):
        x, y = (pd.DataFrame(n.layers[name]) for n in (single, dask))
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)
    cust = single.layers["customers"].set_index("customer_id")
    assert cust.loc["TIE", "attach_distance_m"] == 10.0
    edges = single.layers["edges"].set_index("edge_id")
    assert edges.loc[cust.loc["TIE", "edge_id"], "pipe_id"] == "P1"
    # The partitions are spatial: some hold western customers only, some eastern only.
    parts = [set(ch) for ch in parallel.spatial_chunks(np.asarray(c.values), 5)]
    assert any(ch <= set(range(40)) for ch in parts)
    assert any(ch <= set(range(41, 81)) for ch in parts)


def test_hazard_buffer_across_partitions(scheduler):
    """A flood area between two clusters of pipes (each with point records close by, so the
    records split into partitions) reaches pipes of both; a line record crosses both."""
    from gasnet._hazard_settings import HazardSettings
    from gasnet.hazards import overlay

    rng = np.random.default_rng(2)
    edges_x = np.r_[np.zeros(30), np.full(30, 300.0)] + rng.random(60)
    lines = [
        shapely.LineString([xy(x, 10.0 * (i % 30)), xy(x, 10.0 * (i % 30) + 9)])
        for i, x in enumerate(edges_x)
    ]
    import geopandas as gpd

    edges = gpd.GeoDataFrame(
        {
            "edge_id": range(60),
            "pipe_id": [f"P{i}" for i in range(60)],
            "status": "in_service",
            "pressure_class": rng.choice(["MP-A", "LP", None], 60),
        },
        geometry=lines,
        crs="EPSG:4545",
    )
    points = [pt(float(edges_x[i]) + rng.normal(0, 5), 10.0 * (i % 30) + 4) for i in range(60)]
    area = shapely.box(*xy(-20, 100), *xy(320, 200))  # spans both clusters
    crossing = shapely.LineString([xy(-50, 250), xy(350, 262)])
    records = [*points[:30], area, crossing, *points[30:]]
    hazards = gpd.GeoDataFrame(
        {"category": ["flood"] + ["encroachment"] * (len(records) - 1)},
        geometry=records,
        crs="EPSG:4545",
    )
    hazards.loc[31, "category"] = "third_party_construction"
    settings = HazardSettings()
    want = overlay(hazards, edges, settings)
    with on(scheduler, chunk_rows=8) as s:
        got = overlay(hazards, edges, settings)
    assert s.log[0][1] >= 4
    pd.testing.assert_frame_equal(want, got, check_exact=True)
    for record in (30, 31):
        hit = want.loc[want["h"] == record, "e"]
        assert (hit < 30).any() and (hit >= 30).any(), record  # pipes of both clusters


def test_overlay_on_random_records(scheduler):
    """Random points, lines and areas over a random street grid: the same pairs, distances
    and exposed lengths, bit for bit."""
    import geopandas as gpd

    from gasnet._hazard_settings import CATEGORIES, HazardSettings
    from gasnet.hazards import overlay

    rng = np.random.default_rng(9)
    n = 600
    x0, y0 = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    horiz = rng.random(n) < 0.5
    length = rng.uniform(20, 120, n)
    ends = np.stack([x0 + horiz * length, y0 + ~horiz * length], 1)
    pipes = shapely.linestrings(np.stack([np.stack([x0, y0], 1), ends], 1))
    edges = gpd.GeoDataFrame(
        {
            "status": rng.choice(["in_service", "abandoned"], n, p=[0.9, 0.1]),
            "pressure_class": rng.choice(["MP-A", "MP-B", "LP", "HP-B", None], n),
        },
        geometry=pipes,
        crs="EPSG:4545",
    )
    m = 900
    kind = rng.random(m)
    cx, cy = rng.uniform(0, 2000, m), rng.uniform(0, 2000, m)
    geoms = np.where(
        kind < 0.8,
        shapely.points(cx, cy),
        np.where(
            kind < 0.9,
            shapely.linestrings(
                np.stack([np.stack([cx, cy], 1), np.stack([cx + 50, cy + 30], 1)], 1)
            ),
            shapely.buffer(shapely.points(cx, cy), rng.uniform(5, 60, m)),
        ),
    )
    geoms[rng.random(m) < 0.02] = None
    hazards = gpd.GeoDataFrame(
        {"category": rng.choice([*CATEGORIES, "树木根系"], m)}, geometry=geoms, crs="EPSG:4545"
    )
    settings = HazardSettings()
    want = overlay(hazards, edges, settings)
    with on(scheduler, chunk_rows=70):
        got = overlay(hazards, edges, settings)
    assert len(want) > 100
    pd.testing.assert_frame_equal(want, got, check_exact=True)


def test_pack_round_trip():
    from shapely.geometry import LineString, Point, Polygon

    mixed = np.array(
        [Point(1, 2), None, LineString([(0, 0), (1, 1)]), Polygon(), Point(1, 2, 3)], dtype=object
    )
    back = parallel.unpack(parallel.pack(mixed))
    assert back[1] is None
    assert (
        shapely.to_wkb(back[[0, 2, 3, 4]]).tolist() == shapely.to_wkb(mixed[[0, 2, 3, 4]]).tolist()
    )
    points = shapely.points(np.random.default_rng(1).random((50, 2)) * 1e6)
    packed = parallel.pack(points)
    assert packed[0] == "xy"
    assert shapely.to_wkb(parallel.unpack(packed)).tolist() == shapely.to_wkb(points).tolist()


# -- the command line ----------------------------------------------------------------------------


def test_cli_scheduler_run(scheduler, cli, tmp_path):
    """gasnet --scheduler ADDRESS run: the outputs of gasnet run."""
    single, dask = two_copies(tmp_path, 300, 4)
    assert cli("--config", single, "run", "--as-of", AS_OF)[0] == 0
    code, _, err = cli("--scheduler", scheduler, "--config", dask, "run", "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert_same_outputs(
        single.parent / "processed" / "gasnet.gpkg", dask.parent / "processed" / "gasnet.gpkg"
    )
    for command in ("ingest", "validate", "build", "criticality", "hazards"):
        cluster = ("--scheduler", scheduler) if command != "criticality" else ()
        code, _, err = cli(*cluster, "--config", dask, command)
        assert (code, err) == (0, ""), command


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--workers", "0"], "--workers 0: the number of local worker processes"),
        (["--workers", "x"], "--workers x: the number of local worker processes"),
        (["--workers", "-3"], "--workers -3"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler tcp://127.0.0.1:1: no Dask scheduler"),
        (["--scheduler", "nonsense"], "--scheduler nonsense: not a scheduler address"),
        (["--scheduler", "tls://127.0.0.1:1"], "only tcp:// schedulers"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "are exclusive"),
    ],
)
def test_cli_bad_options(cli, project, args, says):
    code, _, err = cli(*args, "--config", project.config, "validate")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("gasnet: ") and "Traceback" not in err
    assert says in err, err


def test_cli_option_on_a_graph_stage(cli, project):
    code, _, err = cli("--workers", "2", "--config", project.config, "criticality")
    assert code == 2 and err.count("\n") == 1
    assert "criticality runs in one process" in err


def test_cli_without_options_imports_no_dask(project):
    """The command line stays light: without --workers / --scheduler nothing imports dask."""
    code = (
        "import sys\n"
        "from gasnet.cli import main\n"
        f"assert main(['--config', {str(project.config)!r}, 'validate']) == 0\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed', 'dask_geopandas'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
