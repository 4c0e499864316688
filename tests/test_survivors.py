"""Mistakes that used to pass the whole suite (the issue "Tests that catch the mistakes a
developer would make: mutation testing of the core"): one test per mistake, on a hand-drawn
fixture with the expected answer worked out in a comment.

Each test names the one-line mistake it kills (``Planted: file: old -> new``): make that edit
in ``src/``, run this file, see the test fail; ``git checkout -- src/`` and it passes again.

Coordinates are local metres (conftest.xy shifts them into EPSG:4545); tolerance 0.5 m.
"""

from __future__ import annotations

import pytest
from conftest import canonical, line, pt, write_shp

from gasnet.config import read_config
from gasnet.ingest import load_layers
from gasnet.network import build_network
from gasnet.topology import build_topology


def build(tol=0.5, **layers):
    return build_topology(canonical(**layers), snap_tolerance_m=tol, customer_max_distance_m=60)


def node_of(topo, asset_id) -> int:
    return int(topo.nodes.index[topo.nodes["asset_id"] == asset_id][0])


def supplied(net) -> dict:
    return net.customers["has_supply"].astype(bool).to_dict()


# -- 1. regulator direction with an unknown pressure class -------------------------------


@pytest.mark.parametrize(("west", "east"), [("MP-A", None), (None, "LP"), (None, None)], ids=str)
@pytest.mark.parametrize("station", ["west", "east"])
def test_a_regulator_beside_a_pipe_without_a_pressure_class_passes_gas_both_ways(
    west, east, station
):
    # Planted: isolation.py (FlowGraph):
    #   directed = regs[(hi[regs] > lo[regs]) & (lo[regs] > 0)]
    #   -> directed = regs[hi[regs] > lo[regs]]
    # (Also its twin in the check, topology.py (check_topology):
    #   flat = span["min"].notna() & ((span["min"] == span["max"]) | (span["min"] == 0))
    #   -> flat = span["min"].notna() & (span["min"] == span["max"]): R no longer reported.)
    #
    #   CW (50,5)                      CE (150,5)
    #   (0,0) ==== W ==== R (100,0) ==== E ==== (200,0)
    #
    # The station S at the west or the east end. A regulator's direction needs a known
    # class on both sides (README: "direction unknown: passed both ways", reported as
    # regulator_same_class). With a blank class on either side R passes gas both ways:
    # both customers have gas wherever the station is. (The mistake made R one-way from the
    # known class down to the blank one: with S on the blank side (MP-A / blank, S east; or
    # blank / LP, S west) the customer beyond R lost its gas.)
    at = {"west": (0, 0), "east": (200, 0)}[station]
    layers = canonical(
        pipes=[("W", [(0, 0), (100, 0)], west), ("E", [(100, 0), (200, 0)], east)],
        regulators=[("R", (100, 0))],
        sources=[("S", at)],
        customers=[("CW", (50, 5)), ("CE", (150, 5))],
    )
    net, report = build_network(layers)
    assert supplied(net) == {"CW": True, "CE": True}
    assert [r["feature_id"] for r in report.rows if r["check"] == "regulator_same_class"] == ["R"]


def test_a_regulator_between_two_known_classes_is_one_way():
    # The control: W is MP-A, E is LP, S at the east (LP) end. R passes gas only from MP-A
    # down to LP, so CE (on E, with the station) has gas and CW (upstream of R) has none;
    # nothing is reported.
    layers = canonical(
        pipes=[("W", [(0, 0), (100, 0)], "MP-A"), ("E", [(100, 0), (200, 0)], "LP")],
        regulators=[("R", (100, 0))],
        sources=[("S", (200, 0))],
        customers=[("CW", (50, 5)), ("CE", (150, 5))],
    )
    net, report = build_network(layers)
    assert supplied(net) == {"CW": False, "CE": True}
    assert not [r for r in report.rows if r["check"] == "regulator_same_class"]


# -- 2. a pipe whose end lies on its own interior -----------------------------------------

P_SHAPE = [(0, 0), (100, 0), (100, 50), (50, 50), (50, 0)]


@pytest.mark.parametrize("drawn", [P_SHAPE, P_SHAPE[::-1]], ids=["end_on_it", "start_on_it"])
def test_a_pipe_ending_on_its_own_interior_is_one_edge_not_a_self_loop(drawn):
    # Planted: topology.py (_t_junctions):
    #   own = (start_node[pj] == pi) | (end_node[pj] == pi)
    #   -> own = start_node[pj] == pi
    # (Its mirror, -> own = end_node[pj] == pi, changes nothing: a start lying on its own
    # line is located at 0, the start itself, never inside. The reversed drawing pins that.)
    #
    #   (50,50) +-------+ (100,50)
    #           |       |
    #   (0,0) --+-------+ (100,0)
    #         (50,0)
    #
    # L runs (0,0) -> (100,0) -> (100,50) -> (50,50) -> (50,0): its last point lies on its
    # own first stretch. A junction is an end on *another* pipe's interior, so L is one
    # edge between its two ends: 100 + 50 + 50 + 50 = 250 m, 2 nodes, no loop. (The
    # mistake cut L at (50,0) into 50 m plus a 200 m self-loop at that node.)
    topo, _ = build(pipes=[("L", drawn)], sources=[("S", (0, 0))])
    edges = topo.edges[["u", "v", "length_m"]].round(1).to_numpy().tolist()
    assert len(topo.nodes) == 2 and len(edges) == 1, edges
    e = topo.edges.iloc[0]
    assert e["u"] != e["v"] and e["length_m"] == pytest.approx(250.0)
    assert sorted(topo.nodes["degree"]) == [1, 1]


# -- 3. a customer beside a valve at a junction ------------------------------------------


def test_a_customer_beside_a_valve_at_a_pipe_joint_gets_its_own_node():
    # Planted: topology.py (_attach_customers):
    #   at_start = (s <= tol) & ~np.isin(start_node[pj], asset_nodes)
    #   -> at_start = s <= tol
    # (and its twin on at_end, killed by C1).
    #
    #                    C1 (99.8,5)  C2 (100.2,5)
    #   S (0,0) ==== A ==== V (100,0) ==== B ==== (200,0)
    #
    # V (normally closed) sits where A ends and B starts. C1 projects 0.2 m before V on A,
    # C2 0.2 m after it on B: both within the tolerance of the pipe end, but that end is a
    # valve, and a customer hung on the valve's node would be on neither side of it. So
    # each gets a node of its own on its own pipe (0.5 m in from the end: the tolerance):
    #   edges S-C1 99.5, C1-V 0.5, V-C2 0.5, C2-end 99.5;
    # C1 is on S's side of the closed valve (gas), C2 behind it (no gas). (The mistake put
    # C1 and C2 on V's node: both without gas, both counted on no side.)
    layers = canonical(
        pipes=[("A", [(0, 0), (100, 0)]), ("B", [(100, 0), (200, 0)])],
        valves=[("V", (100, 0), "closed")],
        sources=[("S", (0, 0))],
        customers=[("C1", (99.8, 5)), ("C2", (100.2, 5))],
    )
    net, _ = build_network(layers)
    c = net.customers
    v = int(net.valves.loc["V", "node_id"])
    assert v not in set(c["node_id"].astype(int))
    assert c.loc["C1", "node_id"] != c.loc["C2", "node_id"]
    e = net.edges
    kinds = net.nodes["kind"]
    got = sorted(
        (p, tuple(sorted((kinds[a], kinds[b]))), round(x, 1))
        for p, a, b, x in zip(e["pipe_id"], e["u"], e["v"], e["length_m"], strict=True)
    )
    assert got == [
        ("A", ("customer", "source"), 99.5),
        ("A", ("customer", "valve"), 0.5),
        ("B", ("customer", "end"), 99.5),
        ("B", ("customer", "valve"), 0.5),
    ]
    assert supplied(net) == {"C1": True, "C2": False}


# -- 4. two customers at the same spot on one pipe --------------------------------------


@pytest.mark.parametrize("tol", [0.5, 0.0])
def test_two_customers_at_the_same_spot_share_one_node(tol):
    # Planted: topology.py (_runs_within):
    #   if p != start_p or x - start_s > tol:
    #   -> if p != start_p or x - start_s >= tol:
    #
    #   (0,0) ======= N (40,0) ================ (100,0)
    #                 C1 = C2 (40,5): two flats at one address
    #
    # Customers within the tolerance of each other share a node; at the same spot they are
    # within any tolerance, 0 ("exactly on") included. Nodes: the 2 ends and N = 3; edges
    # 40 + 60; C1 and C2 both on N. (With the mistake and snap_tolerance_m = 0 each got a
    # node of its own: 4 nodes and a zero-length edge between them.)
    topo, _ = build(
        tol=tol, pipes=[("A", [(0, 0), (100, 0)])], customers=[("C1", (40, 5)), ("C2", (40, 5))]
    )
    nodes = topo.customers.set_index("customer_id")["node_id"]
    assert nodes["C1"] == nodes["C2"]
    assert len(topo.nodes) == 3
    assert sorted(round(x, 6) for x in topo.edges["length_m"]) == [40.0, 60.0]


# -- 5 .. 7. ingest ------------------------------------------------------------------------


def _load(project):
    layers, report = load_layers(read_config(project.config))
    return layers, report


@pytest.mark.parametrize("zero", [0, "0"], ids=["number", "text"])
def test_zero_households_stay_zero(project, zero):
    # Planted: ingest.py (normalise_layer):
    #   values = values.where(np.isfinite(values) & (values >= 0) & (values < 1e9))
    #   -> values = values.where(np.isfinite(values) & (values > 0) & (values < 1e9))
    #
    # C1 is a shop with no households (0), C2 a block of 30. 0 is a usable count (README:
    # "households (default 1)" is for blanks only): households [0, 30], no bad_number
    # warning. (The mistake read 0 as unusable, so the default 1 and a warning.) Given as a
    # number field and as a text field.
    other = 30 if isinstance(zero, int) else "30"
    write_shp(
        project.raw / "customers.shp",
        [{"id": "C1", "households": zero}, {"id": "C2", "households": other}],
        [pt(150, 10), pt(110, 60)],
    )
    layers, report = _load(project)
    assert layers["customers"].set_index("customer_id")["households"].to_dict() == {
        "C1": 0,
        "C2": 30,
    }
    assert not [r for r in report.rows if r["check"] == "bad_number"]


def test_a_blank_id_in_the_second_merged_file_is_reported_at_its_row_in_that_file(project):
    # Planted: validate.py (_check_ids):
    #   row = gdf.groupby(files.to_numpy(), sort=False).cumcount()  # row within its own file
    #   -> row = pd.Series(range(len(gdf)), index=gdf.index)
    #
    # [[layers.pipes]] merges pipes.shp (P1, P2, P3: rows 0-2) and pipes_b.shp (B1, blank:
    # rows 0-1). The blank is row 1 of pipes_b.shp, the file to open and mend; the merged
    # layer's row 4 exists in no file. Expected: one missing_id error, "pipes_b.shp row 1".
    write_shp(
        project.raw / "pipes_b.shp",
        [{"GDBH": "B1"}, {"GDBH": None}],
        [line((0, 0), (0, -100)), line((0, -100), (0, -200))],
    )
    text = project.config.read_text().replace(
        '[layers.pipes]\npath = "raw/pipes.shp"\n',
        '[[layers.pipes]]\npath = "raw/pipes.shp"\n[[layers.pipes]]\npath = "raw/pipes_b.shp"\n'
        'id = "GDBH"\n',
    )
    project.config.write_text(text)
    _, report = _load(project)
    rows = [r["feature_id"] for r in report.rows if r["check"] == "missing_id"]
    assert rows == ["pipes_b.shp row 1"]


def test_a_valve_id_stored_as_a_whole_float_is_its_digits(project):
    # Planted: ingest.py (_text):
    #   out[fits] = v[fits].astype(np.int64).astype(str)
    #   -> out[fits] = v[fits].astype(str)
    #
    # valves.shp whose id field is floating point (a numeric export): 12.0 and 7.0. An id
    # is written with its digits, as `--close 12` types it: "12" and "7". (The mistake kept
    # "12.0" and "7.0", so `isolate --close 12` named an unknown valve.)
    write_shp(
        project.raw / "valves.shp",
        [{"id": 12.0, "normally": "open"}, {"id": 7.0, "normally": "open"}],
        [pt(50, 0), pt(150, 0)],
    )
    layers, _ = _load(project)
    assert list(layers["valves"]["valve_id"]) == ["12", "7"]
