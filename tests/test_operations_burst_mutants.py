"""operations.py's burst(): its result tables column by column on the hand-drawn network of
tests/test_isolation.py, for the mistakes mutation testing found no test would catch (`make
mutants`, docs/mutants.md).

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)      (J4 at (100,100))

Segments A = {P1, P2 to VA, P5, P7 to VB} (S, H); B = {P2 from VA, P6, P7 from VB, P3, P4
to VC} (C2); C = {P4 from VC} (C1). All pipes MP-A (0.4 MPa), DN110. Local metres; X0, Y0 =
380,000, 3,526,000 in EPSG:4545 (near Bazhong).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyproj
import pytest
from conftest import X0, Y0
from shapely.geometry import Point
from test_isolation import CUSTOMERS, PIPES, net_of

from gasnet._geo import wgs84_to_gcj02
from gasnet.errors import InputError, LocationError, UnknownAssetError

# -- the valve table -------------------------------------------------------------------------


def test_burst_valve_table_column_by_column():
    # Burst on P3 (segment B): VA and VB close (orders 1, 2), VC needs no crew. Their points:
    # VA (150, 0), VB (150, 100), VC (320, 0) from X0, Y0. WGS84 by pyproj, rounded to 7
    # decimals (1 cm): VA 106.7337471651, 31.8507345061 -> 106.7337472, 31.8507345; GCJ-02
    # (the published offset, ~460 m near Bazhong): VA 106.7378751569, 31.8485515975 ->
    # 106.7378752, 31.8485516. 8 decimals would keep a digit more (106.73374717): the 7 is
    # the contract (the CSV and map popups show these).
    # Planted: operations.py: np.round(lon, 7) -> np.round(lon, 8); np.round(lat, 7) -> 8
    # Planted: operations.py: wgs84_to_gcj02(lon, lat) -> (None, lat); -> (lon, None)
    # Planted: operations.py: np.round(glon, 7) -> np.round(7); np.round(glon, ); (glon, 8)
    # Planted: operations.py: np.round(glat, 7) -> np.round(7); np.round(glat, ); (glat, 8)
    # Planted: operations.py: crs = net.layers["edges"].crs -> crs = None
    # Planted: operations.py: _by_id(vt, "valve_id", ..., crs) -> _by_id(..., None)
    res = net_of().burst(pipe="P3")
    v = res.valves
    assert v.index.name == "valve_id" and list(v.index) == ["VA", "VB", "VC"]
    assert list(v.columns) == [
        "order",
        "node_id",
        "action",
        "x",
        "y",
        "lon",
        "lat",
        "gcj_lon",
        "gcj_lat",
        "geometry",
    ]
    assert v.crs == "EPSG:4545"
    assert v["order"].dtype == "Int64" and v["order"].tolist() == [1, 2, pd.NA]
    node = net_of().layers["nodes"].set_index("asset_id")["node_id"]
    assert v["node_id"].dtype == np.int64
    assert v["node_id"].tolist() == [node["VA"], node["VB"], node["VC"]]
    assert v["action"].tolist() == ["close", "close", "no_crew"]
    xs, ys = [X0 + 150, X0 + 150, X0 + 320], [Y0, Y0 + 100, Y0]
    assert v["x"].tolist() == xs and v["y"].tolist() == ys
    assert [g.equals(Point(x, y)) for g, x, y in zip(v.geometry, xs, ys, strict=True)] == [True] * 3
    lon, lat = pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(xs, ys)
    glon, glat = wgs84_to_gcj02(np.array(lon), np.array(lat))
    expected = {
        "lon": [106.7337472, 106.7337348, 106.7355429],
        "lat": [31.8507345, 31.8516361, 31.8507524],
        "gcj_lon": [106.7378752, 106.7378629, 106.7396734],
        "gcj_lat": [31.8485516, 31.849453, 31.8485705],
    }
    for col, exact in (("lon", lon), ("lat", lat), ("gcj_lon", glon), ("gcj_lat", glat)):
        assert v[col].dtype == np.float64
        assert v[col].tolist() == expected[col] == np.round(exact, 7).tolist(), col
        # (what the test is about: one more decimal would show)
        assert np.round(exact, 8).tolist() != expected[col], col
    # The GCJ-02 shift near Bazhong: about +0.0041 degrees of longitude, -0.0022 of latitude.
    assert (v["gcj_lon"] - v["lon"]).round(4).tolist() == [0.0041] * 3
    assert (v["gcj_lat"] - v["lat"]).round(4).tolist() == [-0.0022] * 3


def test_burst_orders_the_valves_by_action_then_order_then_id_not_as_found():
    # Burst on P1 (segment A, with S): behind VA and VB lies B (and C), with no other supply:
    # both need no crew. The valve on P2 is named VY here: the table sorts the ties by id, VB
    # before VY, though the network numbers VY's valve first (the order they are found in).
    # Planted: operations.py: key=lambda s: s.map(rank) if s.name == "action" else s ->
    # if (s.name == "action") or True else s
    net = net_of(valves=[("VY", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0))])
    vid = net.flow.asset_id[net.flow.valves]
    assert list(vid).index("VY") < list(vid).index("VB")  # (what the test is about)
    res = net.burst(pipe="P1")
    assert list(res.valves.index) == ["VB", "VY"]
    assert res.valves["action"].tolist() == ["no_crew", "no_crew"]


@pytest.mark.parametrize(
    ("operable", "fail", "skipped", "action"),
    [
        # VA inoperable: isolation extends into A past it (skip_inoperable).
        (False, (), "VA", "skip_inoperable"),
        # VB reported failed: isolation extends into A past it (skip_failed).
        (True, ("VB",), "VB", "skip_failed"),
    ],
)
def test_burst_lists_a_skipped_valve_before_a_no_crew_one_whatever_their_ids(
    operable, fail, skipped, action
):
    # Burst on P3 with VC renamed V0: V0 needs no crew (C behind it is fed only through B).
    # The crew reads the table top down: the skipped valve (rank 1) before V0 (rank 2),
    # though V0 sorts first by id.
    # Planted: operations.py: rank "skip_inoperable": 1 -> 2; "skip_inoperable" ->
    # "XXskip_inoperableXX" / "SKIP_INOPERABLE"; "skip_failed": 1 -> 2
    net = net_of(valves=[("VA", (150, 0), "open", operable), ("VB", (150, 100)), ("V0", (320, 0))])
    res = net.burst(pipe="P3", fail=list(fail))
    assert list(res.valves.index) == [skipped, "V0"]
    assert res.valves["action"].tolist() == [action, "no_crew"]


def test_burst_lists_a_no_crew_valve_before_an_already_closed_one():
    # VC normally closed, and a dead-end stub P8 J3(300,0)-(300,-100) with VD at (300,-50).
    # Burst on P3: VA, VB close (orders 1, 2); VD has only the stub behind it (no crew); VC
    # was closed already. Rank order: close, close, no_crew (VD), already_closed (VC), though
    # VC sorts before VD by id.
    # Planted: operations.py: rank "no_crew": 2 -> 3; "no_crew" -> "XXno_crewXX" / "NO_CREW"
    net = net_of(
        pipes=[*PIPES, ("P8", [(300, 0), (300, -100)])],
        valves=[
            ("VA", (150, 0)),
            ("VB", (150, 100)),
            ("VC", (320, 0), "closed"),
            ("VD", (300, -50)),
        ],
    )
    res = net.burst(pipe="P3")
    assert list(res.valves.index) == ["VA", "VB", "VD", "VC"]
    assert res.valves["action"].tolist() == ["close", "close", "no_crew", "already_closed"]
    assert res.valves["order"].tolist() == [1, 2, pd.NA, pd.NA]


# -- customers, pipes, stats, outline --------------------------------------------------------


def test_burst_in_the_source_segment_marks_its_customers_isolated():
    # Burst on P1: segment A (with S) is isolated; its zone is zone 0, H's. H (critical) is
    # inside the area: "isolated"; C1, C2 behind VA/VB: "cut_off".
    # Planted: operations.py: where = np.where((cz >= 0) & ...) -> (cz > 0); -> (cz >= 1)
    net = net_of()
    hz = net.engine.customer_zone[net.layers["customers"]["customer_id"].tolist().index("H")]
    assert hz == 0  # (what the test is about)
    res = net.burst(pipe="P1")
    assert res.customers["where"].to_dict() == {"H": "isolated", "C1": "cut_off", "C2": "cut_off"}


def test_burst_stats_and_pipes_of_segment_b():
    # Burst on P3: B is isolated (1 segment), C behind VC is cut off. Isolated pipe parts: P2
    # from VA (50 m), P3 (two parts of 50, split at C2), P4 to VC (20), P6 (100), P7 from VB
    # (50): 5 pipes, 320 m. De-energised: those and C's two parts of P4 (30 to C1, 50 to E):
    # still 5 pipes, 400 m. A's pipes (P1, P5, the other halves of P2 and P7) keep gas.
    # Pipe volume: pi/4 * 0.110^2 * 320 = 3.0411 m3; gas at 0.4 MPa: x 0.501325/0.101325 =
    # 15.046 standard m3. Valves to close: VA, VB. Customers: C2 (10), C1 (40).
    # Planted: operations.py: dead = (reached & ~after) | iso -> (reached | ~after) | iso
    # Planted: operations.py: the stats keys "damaged_pipes", "segments_isolated",
    # "isolated_pipes", "deenergised_pipes", "deenergised_length_m", "pipes_without_diameter"
    # -> "XX...XX" / upper case
    res = net_of().burst(pipe="P3")
    vol = math.pi / 4 * 0.110**2 * 320
    assert res.stats == {
        "damaged_pipes": ["P3"],
        "segments_isolated": 1,
        "valves_to_close": 2,
        "isolated_pipes": 5,
        "isolated_length_m": 320.0,
        "deenergised_pipes": 5,
        "deenergised_length_m": 400.0,
        "pipe_volume_m3": pytest.approx(vol),
        "gas_volume_std_m3": pytest.approx(vol * 0.501325 / 0.101325),
        "pipes_without_diameter": 0,
        "pipes_without_pressure_class": 0,
        "damaged_supplied": True,
        "customers": 2,
        "households": 50,
        "critical": [],
    }
    p = res.pipes
    assert p.index.name == "edge_id" and p.crs == "EPSG:4545"
    got = sorted(zip(p["pipe_id"], p["length_m"], p["isolated"], strict=True))
    assert got == [
        ("P2", 50.0, True),
        ("P3", 50.0, True),
        ("P3", 50.0, True),
        ("P4", 20.0, True),
        ("P4", 30.0, False),
        ("P4", 50.0, False),
        ("P6", 100.0, True),
        ("P7", 50.0, True),
    ]


def test_burst_outline_holds_the_pipes_and_a_customer_off_them():
    # A customer F at (360, -45), 45 m from P4. A burst at (360, 0) on P4 beyond VC isolates
    # C alone: P4 from VC (320..400, three parts split at C1 and F), C1 and F lose gas. The
    # outline (their concave hull, 25 m wider) holds every part and both customers: a 25 m
    # band round the pipe alone would miss F (45 m off), a band round C1 and F alone would
    # miss the pipe's ends (320, 0) and (400, 0).
    # Planted: operations.py: _outline(geoms(pipes), ...) -> _outline(None, ...);
    # _outline(..., geoms(customers)[lost_c]) -> _outline(..., None)
    res = net_of(customers=[*CUSTOMERS, ("F", (360, -45))]).burst(at=(X0 + 360, Y0))
    assert res.damaged == ["P4"] and sorted(res.customers.index) == ["C1", "F"]
    assert res.pipes["length_m"].sum() == 80.0 and res.pipes["isolated"].all()
    out = res.outline
    assert out.contains(Point(X0 + 360, Y0 - 45))
    assert out.contains(Point(X0 + 320, Y0)) and out.contains(Point(X0 + 400, Y0))
    assert all(out.contains(g) for g in res.pipes.geometry)


# -- arguments -------------------------------------------------------------------------------


def test_burst_max_distance_zero_and_the_default_of_30_m():
    # max_distance=0 is allowed ("0 or more"): a point on P3 itself is found at 0 m.
    # The default is 30 m, in Network.burst and in the public gasnet.operations.burst
    # alike: a point 30 m off P3 is taken, 30.5 m off is not.
    # Planted: operations.py: if not distance >= 0 -> distance > 0; -> distance >= 1
    # Planted: operations.py: burst(..., max_distance: float = 30.0) -> 31.0
    from gasnet.operations import burst

    net = net_of()
    assert net.burst(at=(X0 + 250, Y0), max_distance=0).damaged == ["P3"]
    assert net.burst(pipe="P3", max_distance=0.0).damaged == ["P3"]
    message = (
        "at=(380250, 3526030.5): the point is 30.5 m from the nearest in-service pipe (P3), "
        "more than 30 m; check the coordinates and their CRS (lon, lat needs crs='EPSG:4326')"
    )
    for call in (net.burst, lambda **kw: burst(net, **kw)):
        assert call(at=(X0 + 250, Y0 + 30)).damaged == ["P3"]
        with pytest.raises(LocationError) as exc:
            call(at=(X0 + 250, Y0 + 30.5))
        assert str(exc.value) == message


def test_burst_max_distance_message_shows_40_characters_of_the_value():
    # A 60-character text: its repr (quoted) is cut to 40 characters, the quote and 39 x's.
    # Planted: operations.py: clean_value(repr(max_distance))[:40] -> [:41]
    with pytest.raises(InputError) as exc:
        net_of().burst(pipe="P3", max_distance="x" * 60)
    assert str(exc.value) == (
        "max_distance='" + "x" * 39 + ": give a distance in metres, 0 or more"
    )


def test_burst_with_an_unknown_failed_valve_names_fail():
    # fail= names a valve the network does not have: the message names the argument, fail=.
    # Planted: operations.py: net.valve_nodes(sorted(failed), "fail") -> (..., None);
    # (sorted(failed), ) (the default, valves=); "XXfailXX"; "FAIL"
    with pytest.raises(UnknownAssetError) as exc:
        net_of().burst(pipe="P3", fail=["X1"])
    assert str(exc.value) == (
        "unknown valve id(s): X1 (in fail=); valve ids look like VA, VB, VC (see the valves layer)"
    )
