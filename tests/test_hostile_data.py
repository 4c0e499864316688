"""Hostile data (issue 7, item 5): each input here was a traceback or a silent loss.

Tiny hand-drawn projects (conftest.Project: S1 at (0,0), P1 (0,0)-(100,0), P2 (100,0)-(200,0),
P3 (100,0)-(100,80) planned, V1 at (50,0), customers C1 (150,10) and C2 (110,60)), with the
expected answer worked out in each test. Every user error: exit 2, one message, no traceback.
"""

from __future__ import annotations

import csv
import hashlib
import re
import struct

import pyogrio
import pyproj
import pytest
from conftest import canonical, line, pt, write_shp, xy

import gasnet
from gasnet.errors import InputError, OffNetworkError
from gasnet.topology import build_topology
from gasnet.validate import Report, validate_layers


def raw_line(a, b):
    """A line in the file's own coordinates (no shift to the local origin)."""
    from shapely.geometry import LineString

    return LineString([a, b])


def raw_point(x, y):
    from shapely.geometry import Point

    return Point(x, y)


# -- burst --at: swapped, NaN, inf, out of range -------------------------------------------


def _lonlat(x, y):
    """Local metres -> (lon, lat) strings as a user would type them (6 decimals)."""
    lon, lat = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True).transform(
        *xy(x, y)
    )
    return repr(round(lon, 6)), repr(round(lat, 6))


@pytest.fixture
def built(project, cli):
    code, _, err = cli("--config", project.config, "run")
    assert code == 0, err
    return project


def test_burst_at_with_lon_and_lat_swapped_names_the_fix(built, cli):
    # (20, 0) lies on P1. Given as "lat,lon", the latitude 106.7… is out of range; swapped
    # back, it is on P1: the message gives the command to type.
    lon, lat = _lonlat(20, 0)
    code, _, err = cli(
        "--config", built.config, "burst", "--at", f"{lat},{lon}", "--crs", "EPSG:4326"
    )
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"gasnet: --at {lat},{lon}: latitude {lon} is outside -90..90")
    assert f"did you swap lon and lat? try --at {lon},{lat}" in err
    code, out, err = cli(
        "--config", built.config, "burst", "--at", f"{lon},{lat}", "--crs", "EPSG:4326"
    )
    assert code == 0, err
    assert out.startswith("burst on pipe P1:")
    # The library speaks its own API.
    net = gasnet.load(built.config)
    with pytest.raises(OffNetworkError, match=rf"try at=\({lon}, {lat}\)$"):
        net.burst(at=(float(lat), float(lon)), crs="EPSG:4326")


def test_burst_at_swapped_or_without_crs_in_the_working_crs(built, cli):
    x, y = (f"{v:.0f}" for v in xy(20, 0))
    code, _, err = cli("--config", built.config, "burst", "--at", f"{y},{x}")
    # 3526000,380020 is thousands of km away; 380020,3526000 is on P1.
    assert code == 2 and "km from the nearest in-service pipe" in err
    assert f"did you swap x and y? try --at {x},{y}" in err
    lon, lat = _lonlat(20, 0)
    code, _, err = cli("--config", built.config, "burst", "--at", f"{lon},{lat}")
    assert code == 2
    assert f"these look like lon/lat: try --at {lon},{lat} --crs EPSG:4326" in err


@pytest.mark.parametrize(
    ("at", "crs", "message"),
    [
        ("nan,31.86", "EPSG:4326", "--at nan,31.86: the coordinates must be finite numbers"),
        ("106.75,inf", "EPSG:4326", "--at 106.75,inf: the coordinates must be finite numbers"),
        ("nan,nan", None, "the coordinates must be finite numbers, got x = nan, y = nan"),
        ("1e400,3", None, "--at inf,3: the coordinates must be finite numbers"),
        ("200,31.86", "EPSG:4326", "longitude 200 is outside -180..180"),
        ("1e300,31.86", "EPSG:4326", "longitude 1e+300 is outside -180..180"),
        ("1e300,5", None, "1e+300 is not a plausible coordinate"),
    ],
)
def test_burst_at_not_a_usable_point_exits_2(built, cli, at, crs, message):
    code, out, err = cli(
        "--config", built.config, "burst", "--at", at, *(("--crs", crs) if crs else ())
    )
    assert code == 2 and "Traceback" not in err and out == ""
    assert err.startswith("gasnet: ") and message in err
    assert len(err.strip().splitlines()) == 1


# -- pipes that vanish when their ends are snapped -----------------------------------------


def test_pipes_collapsing_under_the_tolerance_are_reported():
    # Tolerance 0.5 m. A (0,0)-(100,0) and B (100.4,0)-(200,0) snap at one node.
    # Q (100,0)-(100.4,0.45) is 0.60 m long, but its start snaps to A's end and its end to B's
    # start (0.45 m): both ends on one node. S (200,0)-(200.3,0) is a 0.3 m stub at B's end.
    # Q and S collapse to a point: left out, and reported (they used to vanish silently).
    # 2 of 4 pipes is not "most": warnings. Customer C names S as its service pipe: S is
    # not on the network, so C hangs on the nearest pipe, B, splitting it at x=150.
    # Edges: A, B, B; nodes: (0,0), the A-B node, C's node, (200,0).
    topo, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(100.4, 0), (200, 0)]),
                ("Q", [(100, 0), (100.4, 0.45)]),
                ("S", [(200, 0), (200.3, 0)]),
            ],
            customers=[("C", (150, 5), 1, False, "S")],
        ),
        snap_tolerance_m=0.5,
    )
    assert sorted(topo.edges["pipe_id"]) == ["A", "B", "B"] and len(topo.nodes) == 4
    c = next(r for r in report.rows if r["check"] == "unknown_pipe_id")
    assert c["feature_id"] == "C" and "not on the network" in c["message"]
    rows = {r["feature_id"]: r for r in report.rows if r["check"] == "collapsed_pipe"}
    assert sorted(rows) == ["Q", "S"]
    assert rows["Q"]["severity"] == "warning" and "drawn 0.602 m long" in rows["Q"]["message"]
    assert "its ends snap together within the snapping tolerance (0.5 m)" in rows["S"]["message"]
    assert "drawn 0.3 m long" in rows["S"]["message"]


def test_most_pipes_collapsing_is_an_error_pointing_at_the_crs(project, cli):
    # Lon/lat degrees written into layers whose CRS says metres (EPSG:4545): four 0.001°
    # (~100 m) pipes become 0.001 m long and all their ends fall within 0.5 m of each other:
    # 4 of 4 pipes collapse -> one error naming the file, the CRS and the tolerance.
    deg = [(106.75 + 0.001 * i, 31.86) for i in range(5)]
    write_shp(
        project.raw / "pipes.shp",
        [{"id": f"P{i}"} for i in range(1, 5)],
        [raw_line(deg[i], deg[i + 1]) for i in range(4)],
    )
    write_shp(project.raw / "valves.shp", [{"id": "V1"}], [raw_point(*deg[2])])
    write_shp(project.raw / "sources.shp", [{"id": "S1"}], [raw_point(*deg[0])])
    write_shp(project.raw / "customers.shp", [{"id": "C1"}], [raw_point(106.7525, 31.8601)])
    code, _, err = cli("--config", project.config, "run")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert (
        "pipes (pipes.shp): 4 of 4 pipes collapse to a point when their ends are snapped "
        "within 0.5 m (P1, P2, P3, P4)" in err
    )
    assert "are the coordinates in degrees while the layer's CRS says metres?" in err
    assert "[layers.pipes]" in err and "[network] snap_tolerance_m" in err


# -- a .shp cut short -----------------------------------------------------------------------


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.parametrize(("cut", "lost"), [(20, "feature P3"), (150, "features P2, P3")])
def test_truncated_shapefile_is_an_error_naming_the_file(project, cli, cut, lost):
    # pipes.shp: a 100-byte header and three 2-point polylines, each 8 + 80 bytes (offsets
    # 100, 188, 276; the file ends at 364). Cut 20 bytes: P3 ends past the end of the file.
    # Cut 150 bytes (the file ends at 214): P2 and P3. GDAL read them without geometry.
    shp = project.raw / "pipes.shp"
    data = shp.read_bytes()
    shp.write_bytes(data[: len(data) - cut])
    before = _digests(project.raw)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "Traceback" not in err, err
    assert "pipes.shp looks truncated" in err and "pipes.shx" in err
    assert lost in err and "export the layer again" in err
    assert _digests(project.raw) == before and not project.gpkg.exists()


# -- NaN, inf, 1e300 coordinates ------------------------------------------------------------


def _patch_shp(path, old: float, new: float) -> None:
    """Overwrite the coordinate ``old`` in a .shp with ``new`` (GDAL refuses to write NaN)."""
    data = path.read_bytes()
    packed = struct.pack("<d", old)
    assert packed in data
    path.write_bytes(data.replace(packed, struct.pack("<d", new)))


def _issues(project):
    return pyogrio.read_dataframe(project.gpkg, layer="quality_issues")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_bad_coordinates_in_network_layers_are_errors_per_feature(project, cli):
    # P2's end vertex (200, 0) becomes NaN; V1's x becomes 1e300. Both are network features:
    # errors naming the file, the feature and the value, no traceback, nothing written.
    write_shp(
        project.raw / "pipes.shp",
        [{"id": "P1"}, {"id": "P2"}],
        [line((0, 0), (100, 0)), line((100, 0), (150.25, 0), (200, 0))],
    )
    _patch_shp(project.raw / "pipes.shp", xy(150.25, 0)[0], float("nan"))
    write_shp(project.raw / "valves.shp", [{"id": "V1"}, {"id": "V2"}], [pt(50, 0), pt(75.5, 0)])
    _patch_shp(project.raw / "valves.shp", xy(50, 0)[0], 1e300)
    for command in ("validate", "ingest", "run"):
        code, _, err = cli("--config", project.config, command)
        assert code == 2 and "Traceback" not in err, err
        lines = err.strip().splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("gasnet: error: pipes (") and "pipes.shp" in lines[0]
        assert "coordinates that are not usable numbers" in lines[0] and "feature P2" in lines[0]
        assert "valves.shp" in lines[1] and "feature V1" in lines[1] and "V2" not in lines[1]
        assert "fix: correct its coordinates" in lines[1]
    assert not project.gpkg.exists()
    from gasnet.config import read_config
    from gasnet.ingest import load_layers

    _, report = load_layers(read_config(project.config))
    rows = {r["feature_id"]: r for r in report.rows if r["check"] == "bad_coordinates"}
    assert "vertex 2: x = nan, y = 3526000: not a finite number" in rows["P2"]["message"]
    assert "x = 1e+300, y = 3526000: beyond ±1e+08" in rows["V1"]["message"]


def test_bad_customer_and_hazard_coordinates_are_warnings_and_kept(project, cli):
    # C2's x becomes inf: a warning; C2 stays in the customers layer without a geometry (not
    # attached, so reported once more by the build). A hazard CSV row in lon/lat with a
    # latitude of 1e300: a warning, kept. The run goes on: exit 0.
    write_shp(
        project.raw / "customers.shp",
        [{"id": "C1"}, {"id": "C2"}],
        [pt(150, 10), pt(110.375, 60)],
    )
    _patch_shp(project.raw / "customers.shp", xy(110.375, 0)[0], float("inf"))
    (project.raw / "h.csv").write_text("id,x,y\nH1,106.75,31.86\nH2,106.75,1e300\n")
    project.add_config('[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4326"\n')
    code, out, err = cli("--config", project.config, "run")
    assert code == 0, err
    assert "warning: customers (" in out and "coordinates that are not usable numbers" in out
    issues = _issues(project)
    bad = issues[issues["check"] == "bad_coordinates"].set_index("feature_id")
    assert sorted(bad.index) == ["C2", "H2"] and set(bad["severity"]) == {"warning"}
    assert "x = inf, y = 3526060: not a finite number" in bad.loc["C2", "message"]
    assert "y = 1e+300: outside ±180° / ±90°" in bad.loc["H2", "message"]
    # Not reported a second time as an empty geometry; kept in its layer without geometry.
    assert "C2" not in set(issues.loc[issues["check"] == "empty_geometry", "feature_id"])
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers").set_index("customer_id")
    assert cust.loc["C2"].geometry is None and not cust.loc["C2", "has_supply"]
    hazards = pyogrio.read_dataframe(project.gpkg, layer="hazards").set_index("hazard_id")
    assert hazards.loc["H2"].geometry is None and hazards.loc["H1"].geometry is not None


def test_validate_layers_catches_bad_coordinates_in_memory():
    # For the Python API: canonical layers with an infinite valve are reported and blanked.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 0))])
    layers["valves"].loc[0, "geometry"] = raw_point(float("inf"), 3_526_000.0)
    report = Report(crs="EPSG:4545")
    out = validate_layers(layers, report)
    row = next(r for r in report.rows if r["check"] == "bad_coordinates")
    assert row["severity"] == "error" and row["feature_id"] == "V"
    assert out["valves"].geometry.iloc[0] is None
    assert layers["valves"].geometry.iloc[0] is not None  # the caller's layers are untouched
    topo, _ = build_topology(out)
    assert (topo.nodes["kind"] == "valve").sum() == 0


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_build_network_in_memory_with_nan_coordinates_is_a_named_error():
    # Layers that skipped validation: the build names the feature instead of crashing.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])])
    layers["pipes"].loc[1, "geometry"] = raw_line((380100.0, 3526000.0), (float("nan"), 1.0))
    with pytest.raises(InputError, match=r"pipes: feature\(s\) B .*validate_layers"):
        build_topology(layers)


# -- CSV formula injection, control characters on the terminal ------------------------------


CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # C0 but newline, DEL, C1


@pytest.fixture
def hostile(project):
    # V1 open this time, so that P2's segment is fed through it. Names that Excel would run,
    # and names and ids with terminal control sequences.
    write_shp(project.raw / "valves.shp", [{"id": "@V1", "normally": "常開"}], [pt(50, 0)])
    write_shp(
        project.raw / "customers.shp",
        [
            {"id": "C1", "name": "Hosp\x1b[2J\x1b]0;owned\x07ital\rX\nY", "kind": "醫院"},
            {"id": "-C2", "name": '=HYPERLINK("http://x","y")', "kind": "居民"},
            {"id": "C3", "name": "+SUM(A1)", "kind": "居民"},
            {"id": "C\x1b[31mFAR", "name": "@cmd", "kind": "居民"},
        ],
        [pt(150, 10), pt(110, 55), pt(190, -5), pt(150, 500)],
    )
    return project


def test_csv_text_cells_cannot_run_as_formulas(hostile, cli, tmp_path):
    # Bursting P2 closes @V1; C1, -C2 and C3 (on P2's segment) lose gas. Every text cell
    # that begins with = + - @ gets a leading ' in both CSVs; numbers stay numbers.
    assert cli("--config", hostile.config, "run")[0] == 0
    out = tmp_path / "b.csv"
    code, _, err = cli("--config", hostile.config, "burst", "--pipe", "P2", "--out", out)
    assert code == 0, err
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    names = {r["customer_id"]: r["name"] for r in rows}
    assert names["'-C2"] == '\'=HYPERLINK("http://x","y")' and names["C3"] == "'+SUM(A1)"
    valves = list(csv.DictReader(out.with_suffix(".valves.csv").open(encoding="utf-8-sig")))
    assert [v["valve_id"] for v in valves] == ["'@V1"] and float(valves[0]["x"]) > 0
    iso = tmp_path / "i.csv"
    assert cli("--config", hostile.config, "isolate", "--close", "@V1", "--out", iso)[0] == 0
    for path in (out, out.with_suffix(".valves.csv"), iso):
        for row in csv.reader(path.open(encoding="utf-8-sig")):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    assert "'-C2" in iso.read_text(encoding="utf-8-sig")


def test_control_characters_never_reach_the_terminal(hostile, cli):
    # C1's name clears the screen, retitles the window and overwrites its line; a customer id
    # turns the terminal red. On output they are stripped; the name keeps one line.
    code, out, err = cli("--config", hostile.config, "run")
    assert code == 0, err
    assert not CONTROL.search(out + err)
    assert "CFAR" in out  # the unattached customer's warning names it, cleaned
    code, out, err = cli("--config", hostile.config, "burst", "--pipe", "P2")
    assert code == 0, err
    assert not CONTROL.search(out + err)
    assert "    Hospital X Y (hospital, C1)" in out.splitlines()
    # The data keeps the name as given.
    cust = pyogrio.read_dataframe(hostile.gpkg, layer="customers").set_index("customer_id")
    assert cust.loc["C1", "name"] == "Hosp\x1b[2J\x1b]0;owned\x07ital\rX\nY"
    # Errors too: a duplicated id with an escape sequence, on stderr.
    write_shp(hostile.raw / "valves.shp", [{"id": "V\x1b[5m1"}] * 2, [pt(50, 0), pt(20, 0)])
    code, out, err = cli("--config", hostile.config, "ingest")
    assert code == 2 and "duplicate ids" in err and "feature V1;" in err
    assert not CONTROL.search(out + err)


def test_unknown_ids_typed_with_control_characters_are_shown_clean(hostile, cli):
    assert cli("--config", hostile.config, "run")[0] == 0
    code, _, err = cli("--config", hostile.config, "isolate", "--close", "X\x1b]0;t\x07Y")
    assert code == 2 and not CONTROL.search(err) and "unknown valve id(s): XY" in err
