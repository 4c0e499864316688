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

import math

import numpy as np
import pytest
from conftest import X0, Y0
from test_isolation import PIPES, net_of

from gasnet.errors import InputError, UnknownAssetError


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
