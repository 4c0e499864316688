"""topology.py, where the valves and stations are placed and what the built network says about
them: the pipes drawn through an asset (only those passing within a micrometre of it, not every
pipe whose bounding box holds it), the asset table as returned (one row per asset numbered
from 0, ids as the layer holds them), and the refusal of a pipes layer with no usable line,
word for word -- the mistakes mutation testing found no test would catch (`make mutants`,
docs/mutants.md). Hand-drawn networks in local metres (conftest.xy shifts them into
EPSG:4545), tolerance 0.5 m; the expected rows, nodes and messages in comments, each test
naming the mutants it kills (`# Planted: ...`).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import canonical, pipes_at, rows

from gasnet.errors import InputError
from gasnet.topology import build_topology

CONFLICT = "valve on the same network point as another asset, which takes the node"


# -- the pipes drawn through an asset ------------------------------------------------------


def test_a_pipe_whose_bounding_box_holds_the_valve_but_passes_far_from_it_is_left_alone():
    # Planted: topology.py (_duplicate_cuts): tree.query(pts, predicate="dwithin",
    # distance=1e-6) -> predicate=None (mutant 9), or the predicate left out (mutant 12)
    # A (0,0)-(100,0) with valve V1 at (50,0). B (0,10)-(120,10)-(120,-10) runs parallel to
    # A 10 m away and turns down past A's end: its bounding box, x 0..120 and y -10..10,
    # holds V1, but B passes 10 m from it. C (0,100)-(100,100) with valve V2 at (50,100);
    # D (40,130)-(70,70) crosses C at (55,100), 5 m from V2, and its box x 40..70, y 70..130
    # holds V2. Only pipes passing through the valve (within 1e-6 m) are copies or
    # crossings there: V1 sits on A alone, V2 on C alone, and neither is reported. (Taking
    # every pipe whose box holds the valve, B would count as a copy of A -- parallel at
    # V1's projection on it, (50,10), cos = 1 -- and get V1's node cut into it, joining B
    # to A 10 m away; D, at cos = 30 / hypot(30, 60) = 0.45, as a pipe crossing C at V2,
    # reported.)
    topo, report = build_topology(
        canonical(
            pipes=[
                ("A", [(0, 0), (100, 0)]),
                ("B", [(0, 10), (120, 10), (120, -10)]),
                ("C", [(0, 100), (100, 100)]),
                ("D", [(40, 130), (70, 70)]),
            ],
            valves=[("V1", (50, 0)), ("V2", (50, 100))],
        )
    )
    assert rows(report, "asset_at_crossing") == []
    assert pipes_at(topo, "V1") == ["A", "A"]
    assert pipes_at(topo, "V2") == ["C", "C"]
    assert sorted(topo.edges["pipe_id"]) == ["A", "A", "B", "C", "C", "D"]


# -- the asset table -----------------------------------------------------------------------


def test_the_asset_table_numbers_its_rows_from_zero_across_the_layers():
    # Planted: topology.py (_place_assets): pd.concat(frames, ignore_index=True) ->
    # ignore_index=None, False, or left out (mutants 31, 34, 33)
    # A (0,0)-(100,0) with source S at (0,0) and valves V1 at (30,0), V2 at (60,0). The
    # table lists the sources, then the regulators, then the valves, rows 0, 1, 2: S on
    # node 0 (A's start; node 1 is A's end), V1 and V2 on the new nodes 2 and 3 cut into A.
    # (Keeping each layer's own row numbers, the table would be numbered 0, 0, 1: row 1
    # would be V2 and row 0 two rows.)
    topo, _ = build_topology(
        canonical(
            pipes=[("A", [(0, 0), (100, 0)])],
            sources=[("S", (0, 0))],
            valves=[("V1", (30, 0)), ("V2", (60, 0))],
        )
    )
    assert topo.assets.index.tolist() == [0, 1, 2]
    assert topo.assets.loc[1].tolist() == ["V1", "valve", 2]
    assert topo.assets.to_dict("list") == {
        "asset_id": ["S", "V1", "V2"],
        "kind": ["source", "valve", "valve"],
        "node_id": [0, 2, 3],
    }


def test_whole_number_valve_ids_with_one_missing_stay_whole_numbers():
    # Planted: topology.py (_place_assets): "asset_id": gdf[idf].to_numpy(object) ->
    # .to_numpy(None) (mutant 10)
    # Valve ids are pandas' nullable whole numbers (Int64): 7, and one missing. Both valves
    # are drawn at (50,0) on A (0,0)-(100,0): valve 7 takes the new node 2, the one without
    # id loses it and is reported, naming the winner as "valve 7". The asset table and the
    # node keep 7 as the whole number 7. (As a plain numpy array the column would become
    # floats, 7.0 and nan: "valve 7.0".)
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)])], valves=[("V1", (50, 0)), ("V2", (50, 0))])
    layers["valves"]["valve_id"] = pd.array([7, None], dtype="Int64")
    topo, report = build_topology(layers)
    assert [r["message"] for r in rows(report, "asset_conflict")] == [f"{CONFLICT} (valve 7)"]
    assert [repr(v) for v in topo.assets["asset_id"]] == ["7", "<NA>"]
    assert topo.assets["node_id"].tolist() == [2, -1]
    valve_node = topo.nodes.set_index("node_id").loc[2]
    assert (valve_node["kind"], repr(valve_node["asset_id"])) == ("valve", "7")


# -- no usable pipe ------------------------------------------------------------------------


def test_no_usable_pipe_is_refused_with_the_whole_message():
    # Planted: topology.py (build_topology): "of zero length); check the pipes file and its
    # [layers.pipes] entry" -> "XX...XX" or capitals (mutants 22, 23)
    # A's geometry is blanked, B (5,5)-(5,5) has zero length: 2 features, none usable.
    layers = canonical(pipes=[("A", [(0, 0), (100, 0)]), ("B", [(5, 5), (5, 5)])])
    layers["pipes"].loc[0, "geometry"] = None
    with pytest.raises(InputError) as exc:
        build_topology(layers)
    assert str(exc.value) == (
        "pipes: no pipe with a usable geometry (2 features, all empty, null or of zero "
        "length); check the pipes file and its [layers.pipes] entry"
    )
