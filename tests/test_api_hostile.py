"""The Python API used the way analysts and script authors really use it (a hostile review):
ids of every type, layers changed in place or replaced, load() arguments, one-line reprs, typed
results. Hand-made networks only (test_isolation's drawing; see test_api).

    S─P1─J1─P2─VA─P2─J2─P3─J3─VC─P4─E         C1 (40 households) on P4 behind VC,
         │           │                        C2 (10) on P3, H (hospital) on P5
         P5          P6
         │           │
         J4─P7─VB─P7─J5
"""

from __future__ import annotations

import ast
import datetime
import importlib.resources
import math
import sqlite3
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import X0, Y0, Project
from test_hazards_cli import CONFIG as HAZARDS_CONFIG
from test_hazards_cli import HEADER, ROWS
from test_isolation import PIPES, net_of

import gasnet
from gasnet import pipeline
from gasnet.config import read_config
from gasnet.errors import ConfigError, InputError, OutputError, UnknownAssetError
from gasnet.isolation import Criticality
from gasnet.network import Network
from gasnet.operations import BurstResult, Isolation


@pytest.fixture
def net():
    return net_of()


# -- ids ------------------------------------------------------------------------------------------


def test_no_id_is_an_error_not_an_empty_answer(net):
    # isolate(None) used to answer "<Isolation closing : 0 customers ...>".
    with pytest.raises(UnknownAssetError, match=r"valves=None: give at least one id"):
        net.isolate(None)
    # fail=None is no failed valve, as documented.
    assert net.burst(pipe="P3", fail=None).valves["action"].to_dict()["VA"] == "close"


def test_a_list_inside_the_list_is_named_not_a_type_error(net):
    for bad in ([["VA", "VB"]], np.array([["VA", "VB"], ["VB", "VC"]])):
        with pytest.raises(UnknownAssetError, match=r"valves: \['VA', 'VB'\] is not an id"):
            net.isolate(bad)
    with pytest.raises(UnknownAssetError, match=r"fail: .* is not an id"):
        net.burst(pipe="P3", fail=[["VB"]])
    # get_valve / get_pipe take one id: a list is named, not "unhashable type: 'list'".
    with pytest.raises(UnknownAssetError, match=r"valve_id=\['VA'\]: give one id"):
        net.get_valve(["VA"])
    with pytest.raises(UnknownAssetError, match=r"pipe_id=slice"):
        net.get_pipe(slice(None))


def test_a_frame_of_assets_gives_its_ids_not_its_column_names(net):
    # Iterating a DataFrame gives its column names: net.isolate(net.valves.head(2)) used to
    # say "unknown valve id(s): normally, operable, ...".
    assert net.isolate(net.valves.loc[["VA", "VB"]]).closed == ["VA", "VB"]
    assert net.criticality(net.valves.loc[["VC"]]).valves.index.tolist() == ["VC"]


def test_an_id_given_twice_counts_once(net):
    assert net.isolate(["VA", "VB", "VA"]).closed == ["VA", "VB"]
    # criticality() listed the valve twice ("2 valves" for one).
    assert net.criticality(["VC", "VC"]).valves.index.tolist() == ["VC"]
    two = net.burst(pipe=["P3", "P3"])
    assert two.damaged == ["P3"] and two.stats["damaged_pipes"] == ["P3"]
    assert net.burst(pipe="P3", fail=["VB", "VB"]).valves.loc["VB", "action"] == "skip_failed"


def test_numeric_ids_can_be_given_as_numbers():
    # Ids are text ("30" as read from a shapefile's number field); isolate(30) used to say
    # "unknown valve id(s): 30; did you mean 30?" while burst(pipe=3) worked.
    pipes = [(str(k), coords) for k, (_, coords) in enumerate(PIPES, start=1)]
    net = net_of(pipes=pipes, valves=[("10", (150, 0)), ("20", (150, 100)), ("30", (320, 0))])
    assert net.isolate(30).customers.index.tolist() == ["C1"]
    assert net.isolate(np.int64(30)).closed == ["30"]
    assert sorted(net.isolate([10, 20]).customers.index) == ["C1", "C2"]
    assert net.criticality(30).valves.index.tolist() == ["30"]
    assert net.get_valve(30).name == "30"
    assert net.get_pipe(np.int64(4)).name == "4"
    assert net.burst(pipe=3, fail=20).valves.loc["20", "action"] == "skip_failed"


def test_a_full_width_id_gets_a_hint():
    net = net_of(valves=[("V10", (150, 0)), ("V20", (150, 100)), ("V30", (320, 0))])
    with pytest.raises(UnknownAssetError, match="did you mean V30"):
        net.isolate("Ｖ３０")  # typed with a Chinese input method


# -- criticality of one valve ---------------------------------------------------------------------


def test_criticality_of_a_valve_off_the_network():
    # VX lies 50 m from every pipe: left out of the network (valve_off_pipe).
    net = net_of(
        valves=[
            ("VA", (150, 0)),
            ("VB", (150, 100)),
            ("VC", (320, 0)),
            ("VX", (150, 50)),
        ]
    )
    assert net.valves.loc["VX", "node_id"] == -1
    with pytest.raises(UnknownAssetError, match=r"VX \(in valves=\) are not on the network"):
        net.criticality("VX")  # was: KeyError "None of [Index(['VX'] ...] are in the [index]"
    with pytest.raises(UnknownAssetError, match=r"VX \(in valve_ids=\) have no criticality"):
        net.criticality().subset(["VX"])
    assert net.criticality().subset("VC").valves.index.tolist() == ["VC"]  # one id, not "V", "C"
    row = net.get_valve("VX")  # documented: NaN criticality, no segments
    assert math.isnan(row["customers_lost_if_fails"]) and row["segment_ids"] == []


# -- burst arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, float("nan"), "far", None])
def test_burst_checks_max_distance(net, bad):
    # -1 and nan used to say "the point is 0.0 m from the nearest pipe, more than -1 m"; "far"
    # raised TypeError.
    with pytest.raises(InputError, match=r"max_distance=.*: give a distance in metres"):
        net.burst(at=(X0 + 250, Y0), max_distance=bad)
    assert net.burst(at=(X0 + 250, Y0), max_distance=math.inf).damaged == ["P3"]


def test_burst_errors_are_the_builtin_they_resemble(net):
    # (They were bare GasnetError: `except ValueError` in a script did not catch them.)
    with pytest.raises(ValueError, match="exactly one of pipe="):
        net.burst(pipe="P3", at=(X0 + 250, Y0))
    pipes = [(p, c, "MP-A", "abandoned" if p == "P6" else "in_service") for p, c in PIPES]
    with pytest.raises(ValueError, match="P6' is abandoned"):
        net_of(pipes=pipes).burst(pipe=["P3", "P6"])


# -- results --------------------------------------------------------------------------------------


def test_reprs_stay_on_one_line_whatever_the_names():
    customers = [("C1", (350, 10), 40, True), ("H", (110, 50), 1, True)]
    net = net_of(customers=customers)
    cust = net.customers.copy()
    cust["name"] = ["医院\n\x1b[31m红", "学校\r\u202etxt"]
    net.customers = cust
    for result in (net.isolate(["VA", "VB"]), net.burst(pipe="P1")):
        text = repr(result)
        assert "\n" not in text and "\x1b" not in text and "\r" not in text, text
        assert "\u202e" not in text and "医院" in text


def test_closing_a_normally_closed_valve_says_so():
    net = net_of(valves=[("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0), "closed")])
    res = net.isolate(["VC", "VA"])
    assert res.stats["already_closed"] == ["VC"]
    assert repr(res).endswith("; VC normally closed already>")
    assert net.isolate("VA").stats["already_closed"] == []


# -- layers: views and replacement ----------------------------------------------------------------


@pytest.fixture
def built(tmp_path):
    project = Project(tmp_path)
    config = read_config(project.config)
    for stage in (pipeline.ingest, pipeline.build, pipeline.criticality):
        stage(config)
    return project


def test_a_view_changed_in_place_never_disagrees_with_the_answers(net):
    # net.valves used to be one cached frame: changing it showed the change in every later
    # net.valves while isolate() answered from the loaded data.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns of chained assignment
        net.valves.loc["VA", "normally"] = "closed"
    valves = net.valves
    valves.loc["VB", "normally"] = "closed"
    assert net.valves["normally"].tolist() == ["open", "open", "open"]
    assert net.isolate("VA").customers.empty  # VB still feeds B round the loop
    # Assigned back, the change is the network's.
    net.valves = valves
    assert net.valves.loc["VB", "normally"] == "closed"
    assert sorted(net.isolate("VA").customers.index) == ["C1", "C2"]


def test_a_replaced_layer_needs_its_ids(net):
    with pytest.raises(InputError, match=r"net.valves = \.\.\.: the frame has no valve_id"):
        net.valves = net.valves.reset_index(drop=True)
    with pytest.raises(InputError, match=r"valve_id VA more than once"):
        net.valves = pd.concat([net.valves, net.valves.loc[["VA"]]])
    with pytest.raises(InputError, match="the network has no layer 'valve'"):
        net.replace_layer("valve", net.valves)
    with pytest.raises(InputError, match="give a GeoDataFrame"):
        net.valves = net.valves.to_dict()
    # Nothing was changed by the refused assignments.
    assert net.isolate("VC").customers.index.tolist() == ["C1"]


def test_a_plain_frame_becomes_a_geodataframe(net):
    # pd.DataFrame(gdf) (e.g. after a merge) used to break isolate(): "'DataFrame' object has
    # no attribute 'crs'".
    net.customers = pd.DataFrame(net.customers)
    assert isinstance(net.customers, gpd.GeoDataFrame) and net.customers.crs == net.pipes.crs
    assert net.isolate("VC").customers.index.tolist() == ["C1"]


def test_a_layer_in_another_crs_is_refused(net):
    # Customers assigned in lon/lat were taken: a burst's outline then mixed degrees and
    # metres (a polygon from (82, 7) to (382263, 3526184)).
    with pytest.raises(InputError, match=r"in EPSG:4326, the network in EPSG:4545.*to_crs"):
        net.customers = net.customers.to_crs("EPSG:4326")
    plain = net.customers.set_crs(None, allow_override=True)  # no CRS: taken as the network's
    net.customers = plain
    assert net.customers.crs == net.edges.crs


def test_the_computed_layers_cannot_be_assigned(net):
    # net.segments = ... used to show there while criticality() and burst() ignored it.
    for name in ("segments", "valve_criticality", "hazard_matches", "risk"):
        with pytest.raises(InputError, match=rf"net.{name} is computed from the network"):
            setattr(net, name, getattr(net, name).head(1))
    assert len(net.segments) == 3


def test_a_changed_pipe_status_reaches_the_answers(net):
    # The isolation engine runs on the pipe parts (edges), which carry their own status: a
    # replaced pipes layer used to change nothing. P6 and P7 out of service break the loop:
    # closing VA then cuts B and C off.
    assert net.isolate("VA").customers.empty
    pipes = net.pipes.copy()
    pipes.loc[["P6", "P7"], "status"] = "abandoned"
    net.pipes = pipes
    assert set(net.edges.loc[net.edges["pipe_id"].isin(["P6", "P7"]), "status"]) == {"abandoned"}
    assert sorted(net.isolate("VA").customers.index) == ["C1", "C2"]
    with pytest.raises(gasnet.errors.GasnetError, match="P6' is abandoned"):
        net.burst(pipe="P6")


def test_adding_or_removing_assets_needs_a_rebuild(net):
    # Dropping VC from the valves layer used to leave it in the network (criticality still
    # listed it, burst still closed it) while net.valves no longer had it.
    with pytest.raises(InputError, match=r"adds or removes VC; .* rebuild"):
        net.valves = net.valves.drop("VC")
    with pytest.raises(InputError, match=r"adds or removes P9"):
        net.pipes = pd.concat([net.pipes, net.pipes.loc[["P1"]].rename(index={"P1": "P9"})])
    assert sorted(net.criticality().valves.index) == ["VA", "VB", "VC"]


def test_new_hazard_records_drop_the_old_rollups(tmp_path):
    # After `net.hazards = fewer records`, net.pipes and net.segments kept hazards_open ...
    # hazard_score of the old records while net.risk ranked the new ones.
    project = Project(tmp_path)
    lines = [",".join(map(str, (*r[:6], X0 + r[6], Y0 + r[7]))) for r in ROWS]
    (project.raw / "h.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    project.add_config(HAZARDS_CONFIG)
    net = gasnet.run(project.config, as_of=datetime.date(2026, 3, 2))
    assert net.pipes["hazards_open"].sum() > 0 and "hazards_open" in net.segments.columns
    net.hazards = net.hazards.iloc[:0]
    assert len(net.risk) == 0
    for layer in (net.pipes, net.segments):
        assert "hazards_open" not in layer.columns and "hazard_score" not in layer.columns


def test_an_in_memory_network_has_an_empty_hazards_layer(net):
    # net.hazards raised AttributeError until net.risk had been looked at.
    assert net.hazards.empty and net.hazards.index.name == "hazard_id"


def test_the_customers_segment_follows_a_changed_network(built):
    net = gasnet.load(built.config)
    assert "segment_id" in net.customers.columns  # written by the criticality stage
    pipes = net.pipes.copy()
    pipes.loc["P2", "status"] = "abandoned"
    net.pipes = pipes
    # The stored segment of each customer described the old network: gone, not stale.
    assert "segment_id" not in net.customers.columns
    assert net.criticality().customer_segment.index.tolist() == ["C1", "C2"]


# -- load() ---------------------------------------------------------------------------------------


def test_load_checks_also(built):
    with pytest.raises(UnknownAssetError, match=r"also=\('nope',\): nope is not a later layer"):
        gasnet.load(built.config, also=("nope",))  # was: KeyError 'nope'
    # One name is one layer (also="segments" was read as "s", "e", ...: KeyError 's').
    assert "segments" in gasnet.load(built.config, also="segments").layers
    with pytest.raises(UnknownAssetError, match="pipes is not a later layer"):
        gasnet.load(built.config, also=["pipes"])


def test_load_names_its_argument_not_a_command_line_flag(tmp_path, cli):
    for bad in (None, 5):
        with pytest.raises(ConfigError, match=rf"config={bad}: give the path"):
            gasnet.load(bad)  # was TypeError from pathlib
    with pytest.raises(ConfigError, match=r"config file not found; pass config=FILE") as exc:
        gasnet.load(tmp_path / "nope.toml")
    assert "--config" not in str(exc.value)
    code, _, err = cli("--config", tmp_path / "nope.toml", "build")
    assert code == 2 and "pass --config FILE or create gasnet.toml" in err and "config=" not in err


def test_a_later_layer_without_its_id_is_damaged(built):
    with sqlite3.connect(built.gpkg) as con:
        con.execute("ALTER TABLE segments DROP COLUMN segment_id")
    # It used to load, indexed 0, 1, 2 ... instead of by segment_id.
    with pytest.raises(OutputError, match="layer segments lacks segment_id"):
        gasnet.load(built.config)


def test_as_of_is_named_as_the_argument(net):
    with pytest.raises(InputError, match=r"as_of='yesterday' is not a date"):
        net.assess(as_of="yesterday")  # was a bare ValueError


# -- typing ---------------------------------------------------------------------------------------


def test_results_are_typed():
    # (Annotations are text here; the classes are imported under TYPE_CHECKING.)
    returns = {
        f: f.__annotations__["return"]
        for f in (
            Network.isolate,
            Network.burst,
            Network.criticality,
            pipeline.run_and_load,
        )
    }
    assert list(returns.values()) == [
        c.__name__ for c in (Isolation, BurstResult, Criticality, Network)
    ]
    # gasnet.load and gasnet.run are loaded on first use (PEP 562): type checkers see them
    # through imports under TYPE_CHECKING, else they are Any (pyright: "ModuleType is not
    # callable").
    source = importlib.resources.files("gasnet").joinpath("__init__.py").read_text("utf-8")
    seen = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                seen |= {a.asname or a.name for a in getattr(imp, "names", [])}
    assert {"Network", "load", "run", "errors"} <= seen
