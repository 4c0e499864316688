"""topology.py (build_topology): its progress lines, the CRS of what it returns, its default
customer distance, the node of a station at the very first node, the edges' columns and the
node kinds -- the mistakes mutation testing found no test would catch (`make mutants`,
docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m; the expected rows and nodes in comments, each test naming the
mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import numpy as np
import pyogrio
from conftest import canonical, rows, xy
from shapely.geometry import Point

from gasnet import _progress
from gasnet.store import write_layers
from gasnet.topology import EDGE_COLUMNS, build_topology


def test_building_prints_every_stage_on_a_terminal_in_order(monkeypatch, capsys):
    # Planted: topology.py (build_topology): each of the five `_progress.step("build: ...")`
    # messages -> None, "XX...XX" or upper case (mutants 13-15, 96-98, 136-138, 165-167,
    # 322-324).
    #
    # On a terminal every stage prints "[  t.ts] message" to stderr: the five stages of a
    # build, in the order they run.
    monkeypatch.setattr(_progress, "enabled", lambda: True)
    build_topology(canonical(pipes=[("A", [(0, 0), (100, 0)])], customers=[("C", (50, 5))]))
    err = capsys.readouterr().err.splitlines()
    assert [line.split("s] ", 1)[1] for line in err] == [
        "build: snapping pipe ends",
        "build: junctions, valves, stations",
        "build: attaching customers",
        "build: splitting pipes",
        "build: topology checks",
    ], err


def test_nodes_edges_and_a_new_report_are_in_the_pipes_crs():
    # Planted: topology.py (build_topology): `crs = pipes.crs` -> None (6); `Report(crs=crs)`
    # -> `Report(crs=None)` (9); the edges' `crs=crs` -> None or left out (194, 197); the
    # nodes' `crs=crs` -> None or left out (281, 284).
    #
    # The layers are in EPSG:4545 (conftest.canonical): the nodes, the edges and the report
    # made when none is given (its quality_issues layer: the valve V 5 m off pipe A, and A an
    # island with no source) are in it.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V", (50, 5))])
    topo, report = build_topology(layers)
    assert topo.nodes.crs == "EPSG:4545"
    assert topo.edges.crs == "EPSG:4545"
    issues = report.to_frame()
    assert list(issues["check"]) == ["valve_off_pipe", "island"]
    assert issues.crs == "EPSG:4545"


def test_customers_are_attached_within_60_m_by_default():
    # Planted: topology.py (build_topology): default `customer_max_distance_m = 60.0` -> 61.0
    # (mutant 2).
    #
    # Pipe A (0,0)-(100,0); C1 60.5 m off it, C2 59.5 m off it. With the default 60 m, C1 is
    # kept unattached (node -1, reported as 60 m the limit, "60.5 m away"); C2 is
    # attached to a node of its own, 2 (A's ends are 0 and 1).
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (30, 60.5)), ("C2", (70, 59.5))]
    )
    topo, report = build_topology(layers)
    assert topo.customers["node_id"].tolist() == [-1, 2]
    (row,) = rows(report, "customer_unattached")
    assert row["feature_id"] == "C1"
    assert row["message"].startswith("customer farther than customer_max_distance_m (60 m) ")
    assert row["message"].endswith(" (60.5 m away)")


def test_a_station_at_the_first_node_keeps_it_and_a_customer_beside_it_gets_its_own():
    # Planted: topology.py (build_topology): `placed = assets[node_id >= 0]` -> `> 0` or
    # `>= 1` (130, 131): the asset on node 0 is left out; `asset_nodes` -> None (132) or None
    # passed to _attach_customers (145): a customer at a pipe end takes the station's node.
    #
    # Pipe A (0,0)-(100,0): node 0 at (0,0), node 1 at (100,0). Source S on node 0. Customer C
    # at (0.2,3) projects 0.2 m along A, within the tolerance of node 0, but that node is the
    # station's (the wrong side of it): C gets node 2, put 0.5 m along A (the tolerance), and A
    # splits 0 -> 2 (0.5 m) and 2 -> 1 (99.5 m).
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)])], sources=[("S", (0, 0))], customers=[("C", (0.2, 3))]
    )
    topo, _ = build_topology(layers)
    nodes = topo.nodes
    assert nodes["kind"].tolist() == ["source", "end", "customer"]
    assert nodes["asset_id"].iloc[0] == "S"
    assert nodes["asset_id"].isna().tolist() == [False, True, True]
    assert nodes.geometry.iloc[0] == Point(xy(0, 0))
    assert nodes.geometry.iloc[2].equals_exact(Point(xy(0.5, 0)), 1e-6)
    assert topo.customers["node_id"].tolist() == [2]
    assert topo.edges[["u", "v"]].values.tolist() == [[0, 2], [2, 1]]
    assert np.allclose(topo.edges["length_m"], [0.5, 99.5])


def test_edges_carry_the_pipes_attributes_and_a_two_pipe_joint_is_a_junction():
    # Planted: topology.py (build_topology): the edges' "edge_id", "diameter_mm", "material"
    # column names -> "XX...XX" or upper case (198, 199, 217, 218, 222, 223); diameters
    # `.to_numpy(float)` -> `.to_numpy(None)` (219); `degree <= 1` -> `<= 2` (248);
    # "junction" -> None, "XXjunctionXX", "JUNCTION" (243, 251, 252).
    #
    # A (0,0)-(100,0) and B (100,0)-(200,0), diameters given as whole numbers (an int column,
    # as a layer built in Python holds them; schema: diameter_mm is a float): edges 0 (A,
    # 0 -> 1) and 1 (B, 1 -> 2), with every edge column, the diameters as floats. Node 1 joins
    # the two pipes (degree 2): a junction; nodes 0 and 2 are ends.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])])
    layers["pipes"]["diameter_mm"] = [110, 160]
    layers["pipes"]["material"] = ["PE", "steel"]
    topo, _ = build_topology(layers)
    edges = topo.edges
    assert list(edges.columns) == [*EDGE_COLUMNS, "geometry"]
    assert edges.drop(columns=["geometry", "length_m"]).to_dict("list") == {
        "edge_id": [0, 1],
        "pipe_id": ["A", "B"],
        "u": [0, 1],
        "v": [1, 2],
        "pressure_class": ["MP-A", "MP-A"],
        "diameter_mm": [110.0, 160.0],
        "material": ["PE", "steel"],
        "status": ["in_service", "in_service"],
    }
    assert edges["diameter_mm"].dtype == np.float64
    assert topo.nodes["kind"].tolist() == ["end", "junction", "end"]
    assert topo.nodes["degree"].tolist() == [1, 2, 1]


def test_numeric_codes_in_the_pipes_text_columns_are_written_as_text(tmp_path):
    # Planted: topology.py (build_topology): the edges' pipe_id, pressure_class, material and
    # status `.to_numpy(object)` -> `.to_numpy(None)` (203, 214, 224, 229): an int column
    # then stays int64 and is written as an integer field.
    #
    # A layer built in Python with numeric codes: pipe ids 7 and 8, class 1, material 3,
    # status 0 (schema: text). The edges keep them as Python values in object columns, which
    # gasnet writes as text fields: "7", "8", "1", "3", "0".
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])])
    for col, value in (("pressure_class", 1), ("material", 3), ("status", 0)):
        layers["pipes"][col] = [value, value]
    layers["pipes"]["pipe_id"] = [7, 8]
    topo, _ = build_topology(layers)
    path = tmp_path / "net.gpkg"
    write_layers(path, {"edges": topo.edges}, fresh=True)
    back = pyogrio.read_dataframe(path, layer="edges", read_geometry=False)
    assert back[["pipe_id", "pressure_class", "material", "status"]].to_dict("list") == {
        "pipe_id": ["7", "8"],
        "pressure_class": ["1", "1"],
        "material": ["3", "3"],
        "status": ["0", "0"],
    }
