"""Hidden hazards (issue 8) on hand-drawn networks; the answers worked out in the comments.

The network of test_isolation.py, local metres, every pipe MP-A DN110 (protection range
0.5 m; impact radius 0.0997 x 110 x sqrt(0.4) = 6.94 m):

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)      (J4 at (100,100))

Segments: A = {P1, P2 to VA, P5, P7 to VB} (holds the source S);
          B = {P2 from VA, P6, P7 from VB, P3, P4 to VC}; C = {P4 from VC}.
Customers: C1 (40 households) on P4 behind VC, C2 (10) on P3, H (hospital) on P5.
Isolating A loses everyone (its station stops): 3 customers, 51 households, 1 critical;
B loses C1 and C2 (50 households); C loses C1 (40).
"""

from __future__ import annotations

import datetime
import math

import geopandas as gpd
import pytest
from conftest import canonical, pt, xy
from shapely.geometry import LineString, Polygon
from test_isolation import CUSTOMERS, PIPES

from gasnet._hazard_settings import HazardSettings
from gasnet.hazards import assess, overlay
from gasnet.network import build_network

AS_OF = datetime.date(2026, 3, 2)


def hazards(rows):
    """rows: (id, geometry in local metres, category, severity, status, found_on, due_on)."""
    cols = ["hazard_id", "_g", "category", "severity", "status", "found_on", "due_on"]
    defaults = ("leak", "general", "open", "2026-01-01", "2026-06-30")
    rows = [tuple(r) + defaults[len(r) - 2 :] for r in rows]
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    data["description"] = [f"record {r[0]}" for r in rows]

    def geom(g):
        if isinstance(g, tuple):
            return pt(*g)
        if isinstance(g, list):
            return LineString([xy(*p) for p in g])
        return Polygon([xy(*p) for p in g.exterior.coords])

    gdf = gpd.GeoDataFrame(data, geometry=[geom(r[1]) for r in rows], crs="EPSG:4545")
    return gdf.drop(columns="_g")


def net_with(rows, pipes=PIPES, valves=None, customers=CUSTOMERS):
    valves = (
        valves if valves is not None else [("VA", (150, 0)), ("VB", (150, 100)), ("VC", (320, 0))]
    )
    layers = canonical(pipes=pipes, valves=valves, sources=[("S", (0, 0))], customers=customers)
    net, _ = build_network(layers)
    net.hazards = hazards(rows)
    return net


def risk_of(res, hid):
    return res.risk.set_index("hazard_id").loc[hid]


def test_a_point_matches_the_pipe_within_reach_only():
    # Third-party works at (188, 97): 3 m from P7 (y = 100) and 12 m from P6 (x = 200).
    # Influence 10 m for every class: P7 matches (3 <= 10), P6 does not (12 > 10). Exposed
    # length of P7: the chord 2 x sqrt(10^2 - 3^2) = 19.08 m, x from 178.46 to 197.54, all
    # on P7 (which runs to x = 200).
    settings = HazardSettings()
    settings.influence_m["third_party_construction"] = dict.fromkeys(
        settings.influence_m["third_party_construction"], 10.0
    )
    net = net_with([("W", (188, 97), "third_party_construction")])
    res = assess(net, settings, as_of=AS_OF)
    m = res.matches
    assert list(m["pipe_id"]) == ["P7"]
    assert m["distance_m"].iloc[0] == pytest.approx(3.0)
    assert m["influence_m"].iloc[0] == 10.0
    assert m["exposed_length_m"].iloc[0] == pytest.approx(2 * math.sqrt(100 - 9))
    assert "P6" not in set(m["pipe_id"])
    # With 12 m it would: exactly at the influence distance counts, factor 0 there.
    settings.influence_m["third_party_construction"] = dict.fromkeys(
        settings.influence_m["third_party_construction"], 12.0
    )
    res = assess(net, settings, as_of=AS_OF)
    assert sorted(res.matches["pipe_id"]) == ["P6", "P7"]


def test_a_polygon_crossing_pipes_gets_its_exposed_lengths():
    # A landslide x in [60, 130], y in [-20, 60] across J1 (100, 0). Geohazard influence =
    # the protection range, 0.5 m for MP-A, so the zone is the polygon widened by 0.5 m:
    # P1 (y = 0, x 0..100): from x = 59.5 to 100 -> 40.5 m;
    # P5 (x = 100, y 0..100): from y = 0 to 60.5 -> 60.5 m;
    # P2 (y = 0, x 100..200): from x = 100 to 130.5 -> 30.5 m (its first part, to VA).
    # All three touch the polygon: distance 0, so the distance factor is 1.
    slide = Polygon([(60, -20), (130, -20), (130, 60), (60, 60)])
    net = net_with([("L", slide, "geohazard", "major")])
    res = assess(net, HazardSettings(), as_of=AS_OF)
    got = res.matches.set_index("pipe_id")
    assert sorted(got.index) == ["P1", "P2", "P5"]
    assert got.loc["P1", "exposed_length_m"] == pytest.approx(40.5, abs=1e-6)
    assert got.loc["P5", "exposed_length_m"] == pytest.approx(60.5, abs=1e-6)
    assert got.loc["P2", "exposed_length_m"] == pytest.approx(30.5, abs=1e-6)
    assert (got["distance_m"] == 0).all()
    r = risk_of(res, "L")
    assert r["pipes_matched"] == 3 and r["distance_factor"] == 1.0
    # All three lie in segment A, which holds the station: isolating it loses everyone.
    assert (r["customers_lost"], r["households_lost"], r["critical_lost"]) == (3, 51, 1)


def test_a_hazard_exactly_at_a_valve_threatens_both_sides():
    # A leak at VA (150, 0): 0 m from both parts of P2, one row for the pipe (the part with
    # the lower edge id, equally near), its exposed length the 3 m either side: 6 m. The
    # score is taken on the costlier side: segment A (everyone: 51 households, 1 critical)
    # rather than B (50 households).
    net = net_with([("V", (150, 0), "leak")])
    res = assess(net, HazardSettings(), as_of=AS_OF)
    m = res.matches
    assert list(m["pipe_id"]) == ["P2"]
    assert m["distance_m"].iloc[0] == 0 and m["exposed_length_m"].iloc[0] == pytest.approx(6.0)
    r = risk_of(res, "V")
    seg_a = net.engine.zone_seg[net.engine.node_zone[0]]  # the source's segment
    assert r["segment_id"] == seg_a
    assert (r["customers_lost"], r["households_lost"], r["critical_lost"]) == (3, 51, 1)


def test_the_score_follows_the_documented_formula():
    # A leak (weight 5), recorded general (1), 1 m from P3 (y = 0) at (250, 1): influence 3 m,
    # protection 0.5 m, so distance factor (3 - 1) / (3 - 0.5) = 0.8. Due 2026-01-01, as of
    # 2026-03-02: 60 days overdue, factor 1 + 0.25 x 60 / 30 = 1.5. Isolating segment B loses
    # C1 and C2: 50 households, no critical. Impact radius 6.94 m round the failure point
    # (250, 0): C2 at (250, 10) is 10 m away, not exposed. Consequence 1 + log10(1 + 50).
    # Score = 5 x 1 x 0.8 x 1.5 x (1 + log10 51) = 16.245; below 30: P3.
    net = net_with([("K", (250, 1), "leak", "general", "open", "2025-12-01", "2026-01-01")])
    r = risk_of(assess(net, HazardSettings(), as_of=AS_OF), "K")
    assert r["distance_factor"] == pytest.approx(0.8)
    assert r["days_overdue"] == 60 and r["overdue_factor"] == pytest.approx(1.5)
    assert r["households_lost"] == 50 and r["critical_lost"] == 0
    assert r["impact_radius_m"] == pytest.approx(0.0997 * 110 * math.sqrt(0.4))
    assert r["exposed_customers"] == 0
    assert r["consequence"] == pytest.approx(1 + math.log10(51))
    assert r["likelihood"] == pytest.approx(5 * 1 * 0.8 * 1.5)
    assert r["score"] == pytest.approx(5 * 0.8 * 1.5 * (1 + math.log10(51)), rel=1e-6)
    assert r["tier"] == "P3" and not r["major"]


def test_people_within_the_impact_radius_count():
    # The same leak at (250, 1) with C2 moved to (252, 5): 5.4 m from the failure point
    # (250, 0), inside 6.94 m: exposed 1 customer, 10 households; consequence
    # 1 + log10(1 + 50 + 10).
    customers = [("C1", (350, 10), 40), ("C2", (252, 5), 10), ("H", (110, 50), 1, True)]
    net = net_with([("K", (250, 1), "leak")], customers=customers)
    r = risk_of(assess(net, HazardSettings(), as_of=AS_OF), "K")
    assert (r["exposed_customers"], r["exposed_households"]) == (1, 10)
    assert r["consequence"] == pytest.approx(1 + math.log10(61))


def test_an_overdue_hazard_and_a_closed_one():
    # Same place and kind; O is open and 60 days overdue, D was closed (never overdue, ranked
    # last whatever its score), N is open and due later (0 days, factor 1).
    rows = [
        ("D", (250, 1), "leak", "general", "closed", "2025-12-01", "2026-01-01"),
        ("N", (250, 1), "leak", "general", "open", "2026-02-01", "2026-06-01"),
        ("O", (250, 1), "leak", "general", "open", "2025-12-01", "2026-01-01"),
    ]
    res = assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    risk = res.risk.set_index("hazard_id")
    assert risk.loc["O", "days_overdue"] == 60 and risk.loc["N", "days_overdue"] == 0
    assert risk.loc["D", "days_overdue"] == 0 and risk.loc["D", "tier"] == "closed"
    assert risk.loc["O", "score"] == pytest.approx(1.5 * risk.loc["N", "score"])
    assert list(res.risk["hazard_id"]) == ["O", "N", "D"]
    assert list(res.risk["rank"]) == [1, 2, 3]
    # Roll-ups count open hazards only: P3 holds O and N (both open, general, one overdue).
    p3 = res.pipes.loc["P3"]
    assert (p3["hazards_open"], p3["hazards_general"], p3["hazards_overdue"]) == (2, 2, 1)
    assert p3["hazard_tier"] == "P3"


def test_the_costlier_isolation_ranks_first():
    # Two identical leaks, 0 m from their pipes: B1 on P3 (segment B: 50 households lost),
    # C1x on P4 behind VC (segment C: 40). Everything else equal: B1 first.
    rows = [("Cx", (360, 0), "leak"), ("B1", (250, 0), "leak")]
    res = assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    assert list(res.risk["hazard_id"]) == ["B1", "Cx"]
    risk = res.risk.set_index("hazard_id")
    assert risk.loc["B1", "households_lost"] == 50 and risk.loc["Cx", "households_lost"] == 40
    assert risk.loc["B1", "likelihood"] == risk.loc["Cx", "likelihood"]


def test_an_encroachment_on_an_mp_pipe_recorded_general_is_major():
    # A building 0.3 m from P3 (MP-A): within the 0.5 m protection range of a medium-pressure
    # pipe, so the 2023 criteria make it major: P1, with a quality warning. The same on an LP
    # pipe (P8, a branch off J3) is not major by that rule.
    pipes = [*PIPES, ("P8", [(300, 0), (300, -50)], "LP")]
    rows = [("E1", (250, 0.3), "encroachment"), ("E2", (300.3, -30), "encroachment")]
    res = assess(net_with(rows, pipes=pipes), HazardSettings(), as_of=AS_OF)
    risk = res.risk.set_index("hazard_id")
    assert risk.loc["E1", "major"] and risk.loc["E1", "tier"] == "P1"
    assert risk.loc["E1", "major_rule"] == "encroachment_mp_or_higher"
    assert risk.loc["E1", "severity_weight"] == 3.0
    assert not risk.loc["E2", "major"] and risk.loc["E2", "tier"] in ("P2", "P3")
    flagged = res.report.to_frame()
    rows = flagged[flagged["check"] == "major_by_rule"]
    assert list(rows["feature_id"]) == ["E1"]
    assert res.risk["hazard_id"].iloc[0] == "E1"


def test_a_utility_rule_adds_to_the_national_one(tmp_path):
    from gasnet._hazard_settings import hazard_settings

    settings = hazard_settings(
        {
            "major_rules": [
                {
                    "name": "leak_on_mp",
                    "category": "leak",
                    "min_pressure_class": "MP-B",
                    "within": 2,
                }
            ]
        },
        {},
        tmp_path / "gasnet.toml",
    )
    # A leak 1 m from P3 (MP-A, within 2 m): major by the utility's rule.
    res = assess(net_with([("K", (250, 1), "leak")]), settings, as_of=AS_OF)
    r = risk_of(res, "K")
    assert r["major"] and r["major_rule"] == "leak_on_mp" and r["tier"] == "P1"


def test_records_that_reach_no_pipe_are_kept_and_reported():
    # F is 200 m from every pipe; X has no coordinates. Both stay in risk, with no consequence
    # and score 0; F is a quality warning naming the nearest pipe.
    net = net_with([("F", (250, -200), "leak"), ("X", (250, 0), "leak")])
    net.layers["hazards"].loc[net.layers["hazards"]["hazard_id"] == "X", "geometry"] = None
    res = assess(net, HazardSettings(), as_of=AS_OF)
    risk = res.risk.set_index("hazard_id")
    assert risk.loc["F", "score"] == 0 and math.isnan(risk.loc["F", "consequence"])
    assert "no pipe within reach" in risk.loc["F", "notes"]
    assert "no coordinates" in risk.loc["X", "notes"]
    q = res.report.to_frame()
    far = q[q["check"] == "no_pipe_within_reach"]
    assert list(far["feature_id"]) == ["F"]
    assert (
        "nearest in-service pipe P3 (MP-A) is 200.0 m away; leak reaches 3 m"
        in far["message"].iloc[0]
    )
    assert len(res.matches) == 0


def test_due_before_found_and_unrecognised_values_are_noted():
    rows = [
        ("B", (250, 1), "leak", "general", "open", "2026-02-01", "2026-01-01"),
        ("U", (250, 1), "tree roots", "medium", "open"),
    ]
    res = assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    q = res.report.to_frame()
    assert list(q.loc[q["check"] == "due_before_found", "feature_id"]) == ["B"]
    u = risk_of(res, "U")
    assert u["category_weight"] == 3.0 and u["severity_weight"] == 1.0  # other, general
    assert "category tree roots not recognised" in u["notes"]
    assert "severity medium not recognised" in u["notes"]


def test_abandoned_pipes_are_not_threatened():
    # P3 abandoned: a leak on it matches nothing in service within 3 m.
    pipes = [p if p[0] != "P3" else ("P3", p[1], "MP-A", "abandoned") for p in PIPES]
    res = assess(net_with([("K", (250, 0), "leak")], pipes=pipes), HazardSettings(), as_of=AS_OF)
    assert len(res.matches) == 0


def test_a_line_record_matches_along_its_length():
    # Works along y = 4 from x = 210 to 290, 4 m north of P3: third-party influence on MP-A
    # is 5 m, so P3 matches at 4 m; exposed: the part of P3 within 5 m of the line, x from
    # 210 - 3 = 207 to 290 + 3 = 293 (sqrt(5^2 - 4^2) = 3): 86 m.
    net = net_with([("T", [(210, 4), (290, 4)], "third_party_construction")])
    res = assess(net, HazardSettings(), as_of=AS_OF)
    got = res.matches.set_index("pipe_id")
    assert list(got.index) == ["P3"]
    assert got.loc["P3", "distance_m"] == pytest.approx(4.0)
    assert got.loc["P3", "exposed_length_m"] == pytest.approx(86.0, rel=2e-3)  # buffer arcs


def test_overlay_of_no_records_is_empty():
    net = net_with([])
    assert len(overlay(net.layers["hazards"], net.layers["edges"], HazardSettings())) == 0
    res = assess(net, HazardSettings(), as_of=AS_OF)
    assert len(res.risk) == 0 and len(res.matches) == 0


def test_the_criticality_table_gives_the_same_consequence():
    # The stage passes the segments layer criticality wrote; the answer is the engine's.
    rows = [("A", (250, 1), "leak"), ("B", (360, 0), "leak"), ("V", (150, 0), "leak")]
    net = net_with(rows)
    segs = net.criticality().segments.reset_index()  # as the stage reads the layer
    a = assess(net, HazardSettings(), as_of=AS_OF).risk
    b = assess(net, HazardSettings(), as_of=AS_OF, segment_table=segs).risk
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    # A table of another network (wrong length) is not used.
    c = assess(net, HazardSettings(), as_of=AS_OF, segment_table=segs.iloc[:1]).risk
    assert a.drop(columns="geometry").equals(c.drop(columns="geometry"))
