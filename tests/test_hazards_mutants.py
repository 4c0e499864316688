"""hazards.py's helpers, one by one: the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Values in, the expected numbers out, worked in comments.
"""

from __future__ import annotations

import datetime
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import canonical, pt
from shapely.geometry import Point
from test_hazards import AS_OF, net_with
from test_isolation import net_of

from gasnet import hazards
from gasnet._hazard_settings import CATEGORIES, OTHER, HazardSettings
from gasnet.errors import InputError
from gasnet.schema import PRESSURE_CLASSES


def test_impact_radius():
    # r = 0.0997 x D x sqrt(p): 600 mm SHP-A (1.6 MPa) -> 75.66 m; 110 mm LP (0.01) -> 1.10
    # m; no class: the highest (HP-A, 4 MPa) -> 0.0997 x 100 x 2 = 19.94 m; no diameter, or
    # 0: NaN.
    r = hazards.impact_radius_m(
        [600, 110, 100, None, 0, "x"], ["SHP-A", "LP", None, "LP", "LP", "LP"]
    )
    assert r[:3] == pytest.approx([0.0997 * 600 * math.sqrt(1.6), 0.0997 * 110 * 0.1, 19.94])
    assert np.isnan(r[3:]).all()


def test_class_and_category_index():
    # The tables' columns: the classes in order, then one for "none or unknown".
    assert hazards._class_index(["HP-A", "LP", None, "其他"]).tolist() == [
        0,
        len(PRESSURE_CLASSES) - 1,
        len(PRESSURE_CLASSES),
        len(PRESSURE_CLASSES),
    ]
    last = len(CATEGORIES)  # "other" comes after the known categories
    assert hazards._category_index(
        [CATEGORIES[0], CATEGORIES[-1], OTHER, "树木根系", None]
    ).tolist() == [
        0,
        len(CATEGORIES) - 1,
        last,
        last,
        last,
    ]


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (datetime.date(2026, 6, 30), datetime.date(2026, 6, 30)),
        (datetime.datetime(2026, 6, 30, 23, 59), datetime.date(2026, 6, 30)),
        (" 2026-06-30 ", datetime.date(2026, 6, 30)),
    ],
)
def test_as_of_day(value, day):
    assert hazards._day(value) == day


def test_as_of_that_is_no_date():
    with pytest.raises(InputError, match=r"^as_of='2026/6/30' is not a date; give a datetime"):
        hazards._day("2026/6/30")


def test_days_as_day_numbers():
    # ISO text, a date-time written by GDAL, a date, a blank, a typo and a year pandas
    # cannot hold (1026): each its ordinal, NaN for the unreadable.
    d = hazards._days(
        [
            "2025-03-07",
            "2025-03-07T00:00:00",
            datetime.date(2025, 3, 8),
            None,
            "下月底",
            "1026-04-10",
        ]
    )
    o = datetime.date(2025, 3, 7).toordinal()
    assert d[:3].tolist() == [o, o, o + 1]
    assert np.isnan(d[3]) and np.isnan(d[4])
    assert d[5] == datetime.date(1026, 4, 10).toordinal()


def test_records_take_defaults_and_refuse_another_crs():
    edges = canonical(pipes=[("A", [(0, 0), (100, 0)])])["pipes"]
    recs = gpd.GeoDataFrame({"hazard_id": ["H1"]}, geometry=[pt(10, 10)], crs="EPSG:4545")
    out = hazards._records(recs, edges)
    assert out["severity"].tolist() == ["general"] and out["status"].tolist() == ["open"]
    assert out["category"].tolist() == [None] and out["due_on"].tolist() == [None]
    assert "severity" not in recs  # the caller's frame is untouched
    full = out.copy()
    assert hazards._records(full, edges) is full  # nothing missing: the frame itself
    with pytest.raises(InputError, match=r"^the hazard records are in EPSG:4326, the network in "):
        hazards._records(recs.to_crs("EPSG:4326"), edges)
    with pytest.raises(InputError, match=r"^the hazard records have no hazard_id column$"):
        hazards._records(recs.rename(columns={"hazard_id": "id"}), edges)


def test_add_rollups_fills_pipes_without_hazards():
    # Pipe A has one open major overdue hazard (tier P1); B none: zeros and no tier.
    layer = pd.DataFrame({"pipe_id": ["A", "B"], "hazards_open": [9, 9]})
    rollup = pd.DataFrame(
        {
            "hazards_open": [1],
            "hazards_major": [1],
            "hazards_general": [0],
            "hazards_overdue": [1],
            "hazard_exposed_m": [12.5],
            "hazard_tier": ["P1"],
            "hazard_score": [87.0],
        },
        index=pd.Index(["A"], name="pipe_id"),
    )
    out = hazards.add_rollups(layer, "pipe_id", rollup)
    assert out["hazards_open"].tolist() == [1, 0] and out["hazards_open"].dtype == np.int64
    assert out["hazards_major"].tolist() == [1, 0] and out["hazards_overdue"].tolist() == [1, 0]
    assert out["hazard_exposed_m"].tolist() == [12.5, 0.0]
    assert out["hazard_score"].tolist() == [87.0, 0.0]
    assert out["hazard_tier"].iloc[0] == "P1" and pd.isna(out["hazard_tier"].iloc[1])
    assert layer["hazards_open"].tolist() == [9, 9]  # a copy


# -- what a burst on a segment costs -------------------------------------------------------
#
# The network of tests/test_isolation.py: segment 0 = A (holds source S and hospital H, 1
# household), 1 = B (C2, 10), 2 = C (C1, 40, behind VC). Flow valve order: VA, VC, VB.


def test_segment_consequence_grows_past_an_inoperable_valve_with_gas_behind():
    # VA cannot close. Isolating B must then take A (live gas behind VA): everyone, 3
    # customers, 51 households, 1 critical, passing VA (valve 0). A itself holds the source:
    # its loss is already everyone, and nothing live lies behind VA once A is emptied. C is
    # bounded by VC alone: C1. Asked twice or out of order, each segment once, in order.
    net = net_of(valves=[("VA", (150, 0), "open", False), ("VB", (150, 100)), ("VC", (320, 0))])
    passed = {}
    out = hazards.segment_consequence(net, [2, 1, 0, 1], passed=passed)
    assert out.index.name == "segment_id" and list(out.index) == [0, 1, 2]
    assert out["customers_lost"].tolist() == [3, 3, 1]
    assert out["households_lost"].tolist() == [51, 51, 40]
    assert out["critical_lost"].tolist() == [1, 1, 0]
    assert {k: v.tolist() for k, v in passed.items()} == {1: [0]}
    # "what if VA were repaired": B alone, C2 and C1 behind it
    out = hazards.segment_consequence(net, [1], operable=np.ones(3, bool))
    assert out.loc[1].tolist() == [2, 0, 50]


def _va_and_vc_stuck():
    """The three-segment network with VA and VC unable to close."""
    return net_of(
        valves=[
            ("VA", (150, 0), "open", False),
            ("VB", (150, 100)),
            ("VC", (320, 0), "open", False),
        ]
    )


def test_segment_consequence_grows_step_by_step():
    # VA and VC cannot close: isolating C takes B through VC, then A through VA: everyone.
    net = _va_and_vc_stuck()
    passed = {}
    out = hazards.segment_consequence(net, [2], passed=passed)
    assert out.loc[2].tolist() == [3, 1, 51]
    assert {k: v.tolist() for k, v in passed.items()} == {2: [0, 1]}


def test_exposure_counts_customers_and_households_within_the_radius():
    # Customers 5 m and 20 m from the point, with 3 households and none given (counted 0).
    # Radius 10: one customer, 3 households; 30: both, 3; NaN or 0: none.
    customers = gpd.GeoDataFrame({"households": [3, None]}, geometry=[Point(5, 0), Point(20, 0)])
    where = np.array([Point(0, 0)] * 4)
    cnt, hh = hazards._exposure(where, np.array([10.0, 30.0, np.nan, 0.0]), customers)
    assert cnt.tolist() == [1, 2, 0, 0] and hh.tolist() == [3, 3, 0, 0]
    none = customers.iloc[:0]
    cnt, hh = hazards._exposure(where[:1], np.array([10.0]), none)
    assert cnt.tolist() == [0] and hh.tolist() == [0]


# -- notes and quality rows of the assessment ----------------------------------------------


def test_assessment_notes_and_rows_word_for_word():
    # B is due before it was found; U's category, severity and status are all unknown; E (an
    # encroachment) is 1 m from P3 but reaches 0.5 m: no pipe within reach. The network of
    # tests/test_isolation.py, P3 along y = 0 from x = 200 to 300.
    rows = [
        ("B", (250, 1), "leak", "general", "open", "2026-02-01", "2026-01-01"),
        ("U", (250, 1), "tree roots", "medium", "pending"),
        ("E", (250, 1), "encroachment", "general"),
    ]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    risk = res.risk.set_index("hazard_id")
    assert risk.loc["B", "notes"] == "due_on before found_on"
    assert risk.loc["U", "notes"] == (
        "category tree roots not recognised: weighted as other; severity medium not "
        "recognised: weighted as general; status pending not recognised: treated as open"
    )
    assert risk.loc["E", "notes"] == "no pipe within reach"
    assert risk["description"].to_dict() == {"B": "record B", "U": "record U", "E": "record E"}
    got = [(r["check"], r["feature_id"], r["message"], r["geometry"]) for r in res.report.rows]
    assert got == [
        (
            "due_before_found",
            "B",
            "due_on is before found_on; overdue is counted from due_on as recorded (found "
            "2026-02-01, due 2026-01-01)",
            pt(250, 1),
        ),
        (
            "no_pipe_within_reach",
            "E",
            "no in-service pipe within the record's influence distance; kept in risk with no "
            "consequence (nearest in-service pipe P3 (MP-A) is 1.0 m away; encroachment "
            "reaches 0.5 m from it)",
            pt(250, 1),
        ),
    ]


def test_a_pipe_without_a_diameter_is_noted():
    from test_hazards import hazards as records
    from test_isolation import CUSTOMERS, PIPES

    from gasnet.network import build_network

    layers = canonical(
        pipes=PIPES,
        valves=[("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0))],
        sources=[("S", (0, 0))],
        customers=CUSTOMERS,
    )
    layers["pipes"].loc[layers["pipes"]["pipe_id"] == "P3", "diameter_mm"] = np.nan
    net, _ = build_network(layers)
    net.hazards = records([("K", (250, 1), "leak")])
    res = hazards.assess(net, HazardSettings(), as_of=AS_OF)
    assert res.risk.set_index("hazard_id").loc["K", "notes"] == (
        "pipe without a usable diameter: exposure not counted"
    )


def test_a_general_record_made_major_by_a_rule_points_at_the_record():
    # An encroachment on P3 (MP-A) recorded general: a major-hazard rule makes it major;
    # the quality row sits at the record.
    res = hazards.assess(
        net_with([("M", (250, 0.2), "encroachment", "general")]), HazardSettings(), as_of=AS_OF
    )
    (row,) = [r for r in res.report.rows if r["check"] == "major_by_rule"]
    assert row["feature_id"] == "M" and row["geometry"] == pt(250, 0.2)
    assert res.risk.set_index("hazard_id").loc["M", "notes"].startswith("major by rule ")


def test_assessment_segment_and_position_of_each_record():
    # The network of tests/test_isolation.py: K at (250, 1) lies on P3, in segment B (1,
    # between VA, VB and VC); L at (350, 1) on P4 beyond VC, in segment C (2); F at (250, 60)
    # is 50 m from P3 and P6's nearest point (200, 60) is 50 m off too: no pipe, no segment.
    # Positions: (X0 + 250, Y0 + 1) in EPSG:4545 is 106.7348034 E, 31.8507540 N; L is 100 m
    # east (lon 106.7358597, lat 31.8507645: the grid is turned from north), F 59 m north
    # (106.7347961, 31.8512860).
    rows = [("K", (250, 1), "leak"), ("L", (350, 1), "leak"), ("F", (250, 60), "leak")]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    risk = res.risk.set_index("hazard_id")
    assert risk["segment_id"].tolist() == [1, 2, pd.NA]
    assert risk["lon"].tolist() == pytest.approx([106.7348034, 106.7358597, 106.7347961], abs=2e-7)
    assert risk["lat"].tolist() == pytest.approx([31.8507540, 31.8507645, 31.8512860], abs=2e-7)


def test_segment_consequence_takes_segment_ids_written_as_floats():
    # A segment_id column with blanks comes back from a file as floats: 2.0 and 1.0 are
    # segments C and B of tests/test_isolation.py's network, every valve operable. B: C2 and
    # C1 behind it (2 customers, 50 households); C: C1 (1, 40). Indexed by the integer ids.
    out = hazards.segment_consequence(net_of(), np.array([2.0, 1.0]))
    assert out.index.dtype == np.int64 and list(out.index) == [1, 2]
    assert out[["customers_lost", "households_lost"]].to_numpy().tolist() == [[2, 50], [1, 40]]


class _InProcess:
    """A stand-in for a Dask session: two partitions, each run here in turn."""

    def n_chunks(self, n_rows):
        return 2

    def map(self, fn, payloads, stage=""):
        return [fn(p) for p in payloads]


def test_pairs_by_partitions_are_the_pairs_in_one_piece():
    # Four pipe parts along y = 0, 40 m each; influence 10 m everywhere. Records at (0, 3),
    # (50, 3), (100, 20) and (150, 5): record 0 meets part 0 at 3 m, 1 part 1 at 3 m, 2 is
    # 20 m from everything, 3 meets part 3 at 5 m. Exposed: the chord 2 x sqrt(100 - 9) =
    # 19.08 m centred on x = 0 keeps its half on part 0 (9.54 m); the whole 19.08 for record
    # 1; 2 x sqrt(100 - 25) = 17.32 for record 3. Split in two partitions: the same pairs.
    from shapely import LineString

    hg = np.array([Point(0, 3), Point(50, 3), Point(100, 20), Point(150, 5)])
    eg = np.array([LineString([(x, 0), (x + 40, 0)]) for x in (0, 40, 80, 120)])
    cat, cls, reach, infl = (
        np.zeros(4, int),
        np.zeros(4, int),
        np.full(4, 10.0),
        np.full((1, 1), 10.0),
    )
    h, e, dist, radius, exposed = hazards._pairs_on_cluster(
        _InProcess(), hg, cat, reach, eg, cls, infl
    )
    o = np.lexsort((e, h))
    assert list(zip(h[o].tolist(), e[o].tolist(), strict=True)) == [(0, 0), (1, 1), (3, 3)]
    assert dist[o].tolist() == pytest.approx([3, 3, 5])
    assert radius[o].tolist() == [10, 10, 10]
    assert exposed[o].tolist() == pytest.approx(
        [math.sqrt(91), 2 * math.sqrt(91), 2 * math.sqrt(75)]
    )


def test_due_before_found_row_names_its_layer_and_fix():
    # B (found 2026-02-01, due 2026-01-01) is due before it was found: a warning on the
    # hazards layer, its fix the dates of the record.
    rows = [("B", (250, 1), "leak", "general", "open", "2026-02-01", "2026-01-01")]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    (row,) = [r for r in res.report.rows if r["check"] == "due_before_found"]
    assert (row["severity"], row["layer"]) == ("warning", "hazards")
    (line,) = [x for x in res.report.lines() if "due_on is before found_on" in x]
    assert line.startswith("warning: hazards: ")
    assert line.endswith("; fix: correct the dates in the inspection record")


# -- the day counted to, the layer given, the CRS kept ----------------------------------------


def test_assessment_counts_overdue_to_the_settings_day():
    # No as_of given: settings.as_of, 2020-01-31, is the day (not today). K (found 2019-12-01,
    # due 2020-01-01, open) is then 30 days overdue: 31 - 1 = 30 days of January. The
    # assessment says which day it counted to.
    # Planted: hazards.py: as_of or settings.as_of or today -> as_of or settings.as_of and today
    # Planted: hazards.py: Assessment(..., report, as_of) -> Assessment(..., report, None)
    rows = [("K", (250, 1), "leak", "general", "open", "2019-12-01", "2020-01-01")]
    day = datetime.date(2020, 1, 31)
    res = hazards.assess(net_with(rows), HazardSettings(as_of=day))
    assert res.as_of == day
    assert res.risk["days_overdue"].tolist() == [30]


def test_risk_layer_is_in_the_network_crs():
    # The records and the network are in EPSG:4545: so is the risk layer (its geometries are
    # the records' own, in local metres: K at (X0 + 250, Y0 + 1)).
    # Planted: hazards.py: GeoDataFrame(..., geometry=hgeom, crs=hz.crs) -> crs dropped
    res = hazards.assess(net_with([("K", (250, 1), "leak")]), HazardSettings(), as_of=AS_OF)
    assert res.risk.crs == "EPSG:4545"
    assert res.risk.geometry.iloc[0] == pt(250, 1)


def test_segment_consequence_takes_the_losses_of_the_segments_layer_given():
    # The segments layer of this network as the criticality stage wrote it, one row per
    # segment (0, 1, 2) in order: its losses are taken as they stand, not computed again.
    # Made-up figures tell them apart: segment 1 loses 8 customers, 80 households, 1 critical
    # by the table, where the engine would say 2, 50, 0. Every valve operable: no area grows.
    # Planted: hazards.py: {"segment_id", *cols} <= columns -> {"XXsegment_idXX", *cols}
    table = pd.DataFrame(
        {
            "segment_id": [0, 1, 2],
            "customers_lost": [7, 8, 9],
            "households_lost": [70, 80, 90],
            "critical_lost": [1, 1, 1],
        }
    )
    out = hazards.segment_consequence(net_of(), [1], table)
    row = out.loc[1]
    assert (row["customers_lost"], row["households_lost"], row["critical_lost"]) == (8, 80, 1)


# -- the major-hazard rules, the distance tables ----------------------------------------------


def test_rules_met_at_the_exact_class_and_distance():
    # The built-in rule: an encroachment within the protection range (0.5 m for MP and LP) of
    # an MP-B or higher pipe. Pair 0: MP-B (the rule's own class) at exactly 0.5 m: met.
    # Pair 1: MP-A at 0.5 m + 1e-9, the slack the comparison allows: met. Pair 2: MP-A at
    # 1 m: not met. Pair 3: LP (below MP-B) at 0: not met. Pair 4: no pressure class at
    # 0.5 m: met (counts as any class). Pair 5: a leak on an MP-A pipe: not an encroachment.
    # Planted: hazards.py: rank[cls_idx] >= min rank -> rank[cls_idx] > min rank
    # Planted: hazards.py: dist <= within + 1e-9 -> dist < within + 1e-9
    # Planted: hazards.py: dist <= within + 1e-9 -> dist <= within - 1e-9
    # Planted: hazards.py: dist <= within + 1e-9 -> dist <= within + 1.000000001
    col = {c: i for i, c in enumerate(PRESSURE_CLASSES)}
    cats = np.array(["encroachment"] * 5 + ["leak"], dtype=object)
    cls_idx = np.array([col["MP-B"], col["MP-A"], col["MP-A"], col["LP"], len(col), col["MP-A"]])
    dist = np.array([0.5, 0.5 + 1e-9, 1.0, 0.0, 0.5, 0.0])
    prot = np.full(6, 0.5)
    met = hazards._rules_met(HazardSettings(), cats, cls_idx, dist, prot)
    rule = "encroachment_mp_or_higher"
    assert met.tolist() == [rule, rule, "", "", rule, ""]


def test_influence_tables_widened_by_a_rule():
    # Rows: the categories, then other; columns: HP-A, HP-B, SHP-A, SHP-B, MP-A, MP-B, LP,
    # then "no class" (the widest of its row). The defaults of _hazard_settings.py: the
    # protection range (5, 5, 1.5, 1.5, 0.5, 0.5, 0.5) for encroachment, geohazard and
    # flood; the clearances (30, 16, 13.5, 5, 1.5, 1, 0.7) for insufficient clearance; the
    # control range (50, 50, 15, 15, 5, 5, 5) for works and other; 3 m for corrosion and
    # leak. The built-in rule (encroachment within the protection range) widens nothing.
    # A rule "a leak within 4 m of an MP-A or higher pipe" widens the leak row to 4 m on
    # HP-A to MP-A and no class; MP-B and LP keep 3 m.
    # Planted: hazards.py: rows = flatnonzero(isin(_CATS, rule.categories)) -> flatnonzero(None)
    # Planted: hazards.py: ... -> isin(None, rule.categories); isin(_CATS, None); array(None)
    # Planted: hazards.py: cols = flatnonzero(rank >= min rank) -> flatnonzero(None); rank > min
    # Planted: hazards.py: within = prot[cols] if "protection" ... -> (...) or True
    # Planted: hazards.py: infl[:, -1] = infl.max(axis=1) -> None; infl[:, +1]; infl[:, -2];
    #   infl.max(axis=None)
    from gasnet._hazard_settings import MajorRule

    protection = [5.0, 5.0, 1.5, 1.5, 0.5, 0.5, 0.5, 5.0]
    control = [50.0, 50.0, 15.0, 15.0, 5.0, 5.0, 5.0, 50.0]
    default = [
        protection,  # encroachment
        [30.0, 16.0, 13.5, 5.0, 1.5, 1.0, 0.7, 30.0],  # insufficient_clearance
        control,  # third_party_construction
        [3.0] * 8,  # corrosion
        [3.0] * 8,  # leak
        protection,  # geohazard
        protection,  # flood
        control,  # other
    ]
    assert list(hazards._CATS) == [*CATEGORIES, OTHER] and len(CATEGORIES) == 7
    infl, prot = hazards._tables(HazardSettings())
    assert infl.tolist() == default and prot.tolist() == protection
    rule = MajorRule("leak_near_mp_a", ("leak",), "MP-A", 4.0, "a leak within 4 m")
    infl, prot = hazards._tables(HazardSettings(rules=(*HazardSettings().rules, rule)))
    widened = [*default[:4], [4.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 4.0], *default[5:]]
    assert infl.tolist() == widened and prot.tolist() == protection


# -- roll-ups, exposure ------------------------------------------------------------------------


def test_add_rollups_keeps_score_and_length_fractional_and_no_tier_as_none():
    # Pipe A: score 87.25 and 12.5 m exposed stay fractional floats; B, without a hazard,
    # gets 0.0 and no tier.
    # Planted: hazards.py: where(isna(values), None, values) -> where(None, None, values)
    # Planted: hazards.py: col in ("hazard_score", ...) -> ("XXhazard_scoreXX", ...), "HAZARD_SCORE"
    layer = pd.DataFrame({"pipe_id": ["A", "B"]})
    rollup = pd.DataFrame(
        {
            "hazards_open": [2],
            "hazards_major": [1],
            "hazards_general": [1],
            "hazards_overdue": [0],
            "hazard_exposed_m": [12.5],
            "hazard_tier": ["P1"],
            "hazard_score": [87.25],
        },
        index=pd.Index(["A"], name="pipe_id"),
    )
    out = hazards.add_rollups(layer, "pipe_id", rollup)
    assert out["hazard_score"].dtype == np.float64 and out["hazard_score"].tolist() == [87.25, 0]
    assert out["hazard_exposed_m"].dtype == np.float64
    assert out["hazard_exposed_m"].tolist() == [12.5, 0]
    assert out["hazard_tier"].iloc[0] == "P1" and pd.isna(out["hazard_tier"].iloc[1])
    assert out["hazards_general"].dtype == np.int64 and out["hazards_general"].tolist() == [1, 0]
    # No open hazard anywhere (every record closed): the roll-up has no rows, and no pipe a
    # tier: None each (pandas keeps None in a column of nothing but None, NaN stays NaN).
    out = hazards.add_rollups(layer, "pipe_id", rollup.iloc[:0])
    assert out["hazard_tier"].tolist() == [None, None]


def test_exposure_reads_households_that_are_no_number_as_none():
    # Households written as text: "3" counts 3, "several" is no number and counts 0 (not an
    # error). Both customers within 30 m of the point.
    # Planted: hazards.py: to_numeric(households, errors="coerce") -> to_numeric(households)
    customers = gpd.GeoDataFrame(
        {"households": ["3", "several"]}, geometry=[Point(5, 0), Point(20, 0)]
    )
    cnt, hh = hazards._exposure(np.array([Point(0, 0)]), np.array([30.0]), customers)
    assert cnt.tolist() == [2] and hh.tolist() == [3]


# -- the assessment's quality rows and tables, whole -----------------------------------------


def test_major_by_rule_and_no_pipe_rows_word_for_word():
    # Three encroachments near P3 (MP-A, protection range 0.5 m, along y = 0): M 0.2 m off
    # with no severity, G 0.3 m off recorded general: the built-in rule makes both major
    # (their notes say what was recorded, "blank" for none); E 1 m off reaches 0.5 m: no
    # pipe. Each quality row on the hazards layer, its message with the rule's text and
    # source (or the nearest pipe), each kind's line ending in its fix.
    # Planted: hazards.py: fillna("blank") -> fillna(None), "XXblankXX", "BLANK"
    # Planted: hazards.py: " (recorded " -> "XX (recorded XX", " (RECORDED "; ")" -> "XX)XX"
    # Planted: hazards.py: report.add("major_by_rule", "warning", "hazards", message, fix,
    #   details=...): layer None, dropped, "XXhazardsXX", "HAZARDS"; message None, dropped,
    #   "XX...XX", upper case; fix None, dropped, "XX...XX", lower case, upper case; details
    #   None or dropped
    # Planted: hazards.py: report.add("no_pipe_within_reach", "warning", "hazards", message,
    #   fix): layer None, "XXhazardsXX", "HAZARDS"; fix None, dropped, "XX...XX", upper case
    rows = [
        ("M", (250, 0.2), "encroachment", None),
        ("G", (250, 0.3), "encroachment", "general"),
        ("E", (250, 1), "encroachment", "general"),
    ]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    notes = res.risk.set_index("hazard_id")["notes"].to_dict()
    assert notes == {
        "M": "major by rule encroachment_mp_or_higher (recorded blank)",
        "G": "major by rule encroachment_mp_or_higher (recorded general)",
        "E": "no pipe within reach",
    }
    major = (
        "recorded as general (or without a severity), but a major-hazard criterion makes it "
        "major; ranked as major"
    )
    rule = (
        "建筑物或构筑物占压中压及以上燃气管道 (a building or structure over a medium-pressure or "
        "higher pipe, within its protection range); "
        "住房和城乡建设部《城镇燃气经营安全重大隐患判定标准》(2023)"
    )
    far = (
        "no in-service pipe within the record's influence distance; kept in risk with no "
        "consequence"
    )
    nearest = "nearest in-service pipe P3 (MP-A) is 1.0 m away; encroachment reaches 0.5 m from it"
    got = [
        (r["check"], r["severity"], r["layer"], r["feature_id"], r["message"])
        for r in res.report.rows
    ]
    assert got == [
        ("major_by_rule", "warning", "hazards", "M", f"{major} ({rule})"),
        ("major_by_rule", "warning", "hazards", "G", f"{major} ({rule})"),
        ("no_pipe_within_reach", "warning", "hazards", "E", f"{far} ({nearest})"),
    ]
    assert res.report.lines() == [
        f"warning: hazards: {major} — features M, G; fix: correct the severity in the "
        "inspection record (README, 'Hidden hazards')",
        f"warning: hazards: {far} — feature E; fix: check the record's position, or widen "
        "[hazards.influence_m] for its category",
    ]


def test_assessment_tables_keep_their_types():
    # One leak K on P3 (edge 3, segment B = 1), due 2026-02-20 and open: 10 days overdue to
    # 2026-03-02. The matches' segment ids stay integers, days overdue an integer count; the
    # quality rows (K is a leak: none here, but the layer exists) are in the network's CRS.
    # Planted: hazards.py: seg_of_edge = full(len(edges), -1, np.int64) -> fill np.int64 as
    #   the value
    # Planted: hazards.py: days_overdue ... .astype(np.int64) -> .astype(None)
    # Planted: hazards.py: Report(crs=edges.crs) -> Report(crs=None)
    rows = [("K", (250, 1), "leak", "general", "open", "2026-01-01", "2026-02-20")]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    m = res.matches
    assert list(m.columns) == hazards.MATCH_COLUMNS
    assert m["edge_id"].dtype == np.int64 and m["edge_id"].tolist() == [3]
    assert m["segment_id"].dtype == np.int64 and m["segment_id"].tolist() == [1]
    assert res.risk["days_overdue"].dtype == np.int64
    assert res.risk["days_overdue"].tolist() == [10]
    assert res.segments.index.dtype == np.int64 and res.segments.index.tolist() == [1]
    assert res.report.to_frame().crs == "EPSG:4545"


def test_segment_consequence_growth_stops_at_a_valve_with_nothing_behind():
    # VA and VC cannot close. Isolating B grows past VA (A still has the source once B is
    # emptied), not past VC (C's gas comes through B): the area is A and B, which loses
    # everyone (A's station stops): 3 customers, 1 critical, 51 households; only VA
    # (valve 0) passed.
    # Planted: hazards.py: W = zones[zptr[m] : zptr[m + 1]] -> zones[zptr[m] : zptr[m - 1]]
    # Planted: hazards.py: reached[x] & ~is_lost(W, x) -> reached[x] | ~is_lost(W, x)
    # Planted: hazards.py: if not new: break -> if not new: return
    net = _va_and_vc_stuck()
    passed = {}
    out = hazards.segment_consequence(net, [1], passed=passed)
    assert out.loc[1].tolist() == [3, 1, 51]
    assert {k: v.tolist() for k, v in passed.items()} == {1: [0]}


def test_segment_consequence_reads_operable_given_as_numbers():
    # "Can it be closed" given as 0 / 1 per valve (VA, VC, VB), as ints or as floats (a
    # column read from a file): VA cannot, the rest can, as in the first test above:
    # isolating B takes A, everyone (3 customers, 1 critical, 51 households).
    # Planted: hazards.py: ~np.asarray(operable, bool) -> ~np.asarray(operable, None),
    #   ~np.asarray(operable)
    for operable in ([0, 1, 1], np.array([0.0, 1.0, 1.0])):
        out = hazards.segment_consequence(net_of(), [1], operable=operable)
        assert out.loc[1].tolist() == [3, 1, 51]


def test_segment_consequence_ignores_a_table_with_segment_ids_that_are_no_numbers():
    # A segments layer whose segment_id is text ("S0", ...) is not the engine's numbering: its
    # made-up losses are not taken, the engine's are (B: C2 and C1, 2 customers, 50
    # households).
    # Planted: hazards.py: to_numeric(t["segment_id"], errors="coerce") -> to_numeric(...)
    table = pd.DataFrame(
        {
            "segment_id": ["S0", "S1", "S2"],
            "customers_lost": [7, 8, 9],
            "households_lost": [70, 80, 90],
            "critical_lost": [1, 1, 1],
        }
    )
    out = hazards.segment_consequence(net_of(), [1], table)
    assert out.loc[1].tolist() == [2, 0, 50]


def test_segment_consequence_takes_a_table_whatever_its_index_is_named():
    # The table's own index is dropped, whatever its name: even one named like a loss
    # column must not be put back among the losses (it would clash with that column).
    # Segment 1's losses by the table: 8, 1 critical, 80 households.
    # Planted: hazards.py: reset_index(drop=True) -> reset_index(drop=False), drop=None
    table = pd.DataFrame(
        {
            "segment_id": [0, 1, 2],
            "customers_lost": [7, 8, 9],
            "households_lost": [70, 80, 90],
            "critical_lost": [1, 1, 1],
        },
        index=pd.Index([10, 11, 12], name="customers_lost"),
    )
    out = hazards.segment_consequence(net_of(), [1], table)
    assert out.loc[1].tolist() == [8, 1, 80]


def test_days_of_numpy_dates_of_any_unit():
    # 2025-03-07 is day 739,317 (date.toordinal). A numpy datetime64 array of nanoseconds
    # (what pandas' to_numpy() gives) read as blank before: astype(object) turned its values
    # into integers, which are no date. Seconds and days read as dates either way; NaT is
    # blank.
    # Planted: hazards.py (_days): np.asarray(values, dtype=object) -> dtype=None
    day = datetime.date(2025, 3, 7).toordinal()
    for unit in ("ns", "s", "D"):
        got = hazards._days(np.array(["2025-03-07", "NaT"], dtype=f"datetime64[{unit}]"))
        assert got[0] == day and np.isnan(got[1]), unit
