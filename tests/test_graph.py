"""The networkx model, its GeoPackage round trip, supply and the analyst API (issue 3)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pyogrio
from conftest import canonical

import gasnet
from gasnet import store
from gasnet.graph import graph_from_gdfs, graph_to_gdfs
from gasnet.isolation import FlowGraph
from gasnet.topology import build_topology


def supplied_customers(layers, closed=()):
    topo, _ = build_topology(layers)
    fg = FlowGraph(topo.nodes, topo.edges)
    closed_nodes = (
        topo.assets.set_index("asset_id").loc[list(closed), "node_id"].to_numpy() if closed else []
    )
    mask = np.zeros(len(topo.nodes), bool)
    mask[closed_nodes] = True
    reached = fg.supplied(mask)
    c = topo.customers
    return sorted(c.loc[reached[c["node_id"].to_numpy()], "customer_id"])


def test_regulator_passes_gas_only_downward():
    # MP pipe A (0,0)-(100,0), regulator R at (100,0), LP pipe B (100,0)-(200,0).
    # Source at the MP end: both customers supplied. Source at the LP end: only the LP one,
    # because gas cannot flow back up through R.
    pipes = [("A", [(0, 0), (100, 0)], "MP-A"), ("B", [(100, 0), (200, 0)], "LP")]
    cust = [("CA", (50, 5)), ("CB", (150, 5))]
    down = canonical(
        pipes=pipes, sources=[("S", (0, 0))], regulators=[("R", (100, 0))], customers=cust
    )
    assert supplied_customers(down) == ["CA", "CB"]
    up = canonical(
        pipes=pipes, sources=[("S", (200, 0))], regulators=[("R", (100, 0))], customers=cust
    )
    assert supplied_customers(up) == ["CB"]


def test_closed_valve_and_abandoned_pipe_cut_supply():
    # S-(A)-V-(B)-; C1 on A, C2 on B, C3 on the abandoned pipe X beyond B's end.
    layers = canonical(
        pipes=[
            ("A", [(0, 0), (100, 0)]),
            ("B", [(100, 0), (200, 0)]),
            ("X", [(200, 0), (300, 0)], "MP-A", "abandoned"),
        ],
        valves=[("V", (100, 0))],
        sources=[("S", (0, 0))],
        customers=[("C1", (50, 5)), ("C2", (150, 5)), ("C3", (250, 5), 1, False, "X")],
    )
    assert supplied_customers(layers) == ["C1", "C2"]
    assert supplied_customers(layers, closed=["V"]) == ["C1"]


def _project_run(project, cli):
    code, out, err = cli("--config", project.config, "run")
    assert code == 0, err
    return out


def test_build_writes_nodes_edges_and_customer_supply(project, cli):
    # The conftest project: S at (0,0); P1 (0,0)-(100,0) with V1 (normally closed) at x=50;
    # P2 (100,0)-(200,0); P3 (100,0)-(100,80) is planned. C1 hangs on P2 -> no supply (V1 is
    # closed); C2 is nearest to the planned P3 but attaches to in-service P2/P1 instead.
    out = _project_run(project, cli)
    assert "build:" in out
    layers = store.list_layers(project.gpkg)
    assert {"nodes", "edges"} <= set(layers)
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers").set_index("customer_id")
    assert not cust["has_supply"].any()
    assert (cust["node_id"] >= 0).all()
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    nodes = pyogrio.read_dataframe(project.gpkg, layer="nodes")
    assert nodes.loc[valves.loc[0, "node_id"], "kind"] == "valve"
    issues = pyogrio.read_dataframe(project.gpkg, layer="quality_issues")
    assert set(issues["stage"]) <= {"ingest", "build"}


def test_round_trip_graph_geopackage_graph(project, cli, tmp_path):
    _project_run(project, cli)
    net = gasnet.load(project.config)
    G = net.graph
    assert G.graph["crs"] == "EPSG:4545" and G.graph["snap_tolerance_m"] == 0.5
    nodes, edges = graph_to_gdfs(G)
    path = tmp_path / "rt.gpkg"
    store.write_layers(path, {"nodes": nodes, "edges": edges})
    back = graph_from_gdfs(
        pyogrio.read_dataframe(path, layer="nodes"),
        pyogrio.read_dataframe(path, layer="edges"),
        dict(G.graph),
    )
    assert nx.utils.graphs_equal(G, back)
    assert all(
        G.edges[e]["geometry"].equals_exact(back.edges[e]["geometry"], 1e-9)
        for e in G.edges(keys=True)
    )
    # ... and the rebuilt tables give the same supply.
    a = FlowGraph(net.layers["nodes"], net.layers["edges"]).supplied()
    n2, e2 = graph_to_gdfs(back)
    assert np.array_equal(a, FlowGraph(n2, e2).supplied())


def test_round_trip_on_the_generated_sample(tmp_path, cli):
    from gasnet.sample import write_sample

    write_sample(tmp_path / "s", 600, seed=2)
    code, _, err = cli("--config", tmp_path / "s" / "gasnet.toml", "run")
    assert code == 0, err
    net = gasnet.load(tmp_path / "s" / "gasnet.toml")
    nodes, edges = graph_to_gdfs(net.graph)
    assert nodes.drop(columns="geometry").equals(
        net.layers["nodes"].drop(columns="geometry").astype({"degree": "int64"})
    )
    assert np.array_equal(edges["edge_id"], net.layers["edges"]["edge_id"])
    assert nx.utils.graphs_equal(graph_from_gdfs(nodes, edges, net.graph.graph), net.graph)
    # Supply agrees with a plain networkx search on the same graph (regulators aside).
    assert net.layers["customers"]["has_supply"].sum() > 0.95 * len(net.layers["customers"])


def test_load_without_a_build_says_what_to_run(project):
    import pytest

    from gasnet.errors import StageOrderError

    with pytest.raises(StageOrderError, match="run `gasnet ingest`"):
        gasnet.load(project.config)
