"""hazards.assess, whole tables: the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Hand-built records on the network of
tests/test_isolation.py; the expected numbers worked out in comments.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point
from test_hazards import AS_OF, net_with
from test_hazards import hazards as records
from test_isolation import CUSTOMERS

from gasnet import hazards
from gasnet._hazard_settings import HazardSettings

# The network of tests/test_isolation.py: every pipe MP-A, DN110 (impact radius 0.0997 x 110
# x sqrt(0.4) = 6.94 m), along y = 0: P1 (0-100), P2 (100-200), P3 (200-300), P4 (300-400);
# P5 x = 100, P6 x = 200, P7 y = 100. Segment B (1) holds P3 and loses C2 and C1 (2
# customers, 50 households), segment C (2) holds P4 and loses C1 (1, 40). A leak reaches 3 m
# (protection range 0.5 m), an encroachment 0.5 m, a record of no category ("other") 5 m.


def test_risk_table_ranks_tiers_and_notes_every_kind_of_record():
    # p2_min_score 0: every open record that is not major is P2, even at score 0.
    # consequence of segment B = 1 + log10(1 + 50) = 2.707570; of C = 1 + log10(41) = 2.612784
    # (no customer within 6.94 m of any failure point: C2 is 10 m off P3).
    # K leak 1 m off P3: distance factor (3 - 1) / (3 - 0.5) = 0.8, likelihood 5 x 1 x 0.8 =
    #   4, score 4 x 2.707570 = 10.830281.
    # J leak at (202.5, 0.5): 0.5 m from P3 (factor 1), 2.5 m from P6, 2.55 m from P2's end:
    #   P3 governs; likelihood 5, score 13.537851.
    # M leak recorded major 1 m off P4: 5 x 3 x 0.8 = 12, score 12 x 2.612784 = 31.353406, P1.
    # F leak 50 m from any pipe: no pipe, likelihood 0, score 0 (>= 0: P2).
    # C closed (as K): last. I in progress (as K): a recognised status, no note.
    # N no category: weighted as other (3), influence 5 m: factor (5 - 1) / 4.5 = 0.888889,
    #   likelihood 2.666667, score 7.220187.
    # D due on the day it was found (2026-01-01, not before it: no quality row), 60 days
    #   overdue to 2026-03-02: factor 1 + 0.25 x 60 / 30 = 1.5, likelihood 5 x 0.8 x 1.5 = 6,
    #   score 16.245421.
    # R encroachment recorded major 0.2 m off P3: the rule holds too, but nothing to correct
    #   (no note, no quality row); 4 x 3 x 1 = 12, score 32.490843, P1.
    # Z an empty point, U no geometry: not placed, score 0.
    # Ranked: P1 R, M; P2 D, J, K, I (tie with K: record order), N, F, Z, U; closed C.
    # Nothing warns on the way (no division by a zero span: R's reach is its protection range).
    # Planted: hazards.py: np.where(span > 0, span, 1) -> np.where(span >= 0, span, 1)
    # Planted: hazards.py: h[gov_order][1:] != h[gov_order][:-1] -> ... != h[gov_order][:+1]
    # Planted: hazards.py: sev_raw == "major" -> "XXmajorXX", "MAJOR" (in major)
    # Planted: hazards.py: likelihood = cw * sw * per(dfac, 0.0) ... -> cw / sw * ...;
    #   per(dfac, None), per(dfac), per(dfac, 1.0)
    # Planted: hazards.py: where(score >= p2_min_score, "P2", "P3") -> where(None, ...);
    #   score > p2_min_score; None, "XXP2XX", "p2" for "P2"
    # Planted: hazards.py: shapely.is_empty(hgeom) -> shapely.is_empty(None)
    # Planted: hazards.py: (sev_raw != "major") in general_major -> "XXmajorXX", "MAJOR"
    # Planted: hazards.py: note(blank_cat, "no category: weighted as other") -> None,
    #   "XX...XX", upper case
    # Planted: hazards.py: isin(status, ["open", "in_progress", "closed"]) -> "XXin_progressXX",
    #   "IN_PROGRESS", "XXclosedXX", "CLOSED"
    # Planted: hazards.py: backwards = due < found -> due <= found
    # Planted: hazards.py: "no coordinates: not placed, no pipe matched" -> "XX...XX"
    rows = [
        ("K", (250, 1), "leak"),
        ("J", (202.5, 0.5), "leak"),
        ("M", (350, 1), "leak", "major"),
        ("F", (250, 60), "leak"),
        ("C", (250, 1), "leak", "general", "closed"),
        ("I", (250, 1), "leak", "general", "in_progress"),
        ("N", (250, 1), None),
        ("D", (250, 1), "leak", "general", "open", "2026-01-01", "2026-01-01"),
        ("R", (250, 0.2), "encroachment", "major"),
        ("Z", (250, 1), "leak"),
        ("U", (250, 1), "leak"),
    ]
    net = net_with(rows)
    recs = records(rows)
    recs.loc[recs["hazard_id"] == "Z", "geometry"] = Point()
    recs.loc[recs["hazard_id"] == "U", "geometry"] = None
    net.hazards = recs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = hazards.assess(net, HazardSettings(p2_min_score=0.0), as_of=AS_OF)
    r = res.risk
    assert r["hazard_id"].tolist() == ["R", "M", "D", "J", "K", "I", "N", "F", "Z", "U", "C"]
    assert r["tier"].tolist() == ["P1", "P1", *["P2"] * 8, "closed"]
    assert r["major"].tolist() == [True, True, *[False] * 9]
    assert r["major_rule"].tolist() == ["encroachment_mp_or_higher", *[""] * 10]
    pipes = r["pipe_id"].fillna("-").tolist()  # "-": no pipe
    assert pipes == ["P3", "P4", *["P3"] * 5, "-", "-", "-", "P3"]
    assert r["distance_m"].tolist()[:7] == pytest.approx([0.2, 1, 1, 0.5, 1, 1, 1])
    assert r["likelihood"].tolist() == pytest.approx(
        [12, 12, 6, 5, 4, 4, 8 / 3, 0, 0, 0, 4], abs=1e-9
    )
    scores = [32.490843, 31.353406, 16.245421, 13.537851, 10.830281, 10.830281, 7.220187]
    assert r["score"].tolist() == pytest.approx([*scores, 0, 0, 0, 10.830281], abs=1e-6)
    unplaced = "no coordinates: not placed, no pipe matched"
    assert r["notes"].tolist() == [
        *[""] * 6,
        "no category: weighted as other",
        "no pipe within reach",
        unplaced,
        unplaced,
        "",
    ]
    assert [(x["check"], x["feature_id"]) for x in res.report.rows] == [
        ("no_pipe_within_reach", "F")
    ]


def test_a_severity_spelled_otherwise_is_noted():
    # Severities are matched as written: "MAJOR" (and any other spelling, here "XXmajorXX")
    # is not recognised, weighted as general and noted; "major" is major, no note.
    # Planted: hazards.py: isin(sev_raw, ["major", "general"]) -> ["XXmajorXX", "general"],
    #   ["MAJOR", "general"]
    rows = [
        ("A", (250, 1), "leak", "MAJOR"),
        ("B", (250, 1), "leak", "XXmajorXX"),
        ("C", (250, 1), "leak", "major"),
    ]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    r = res.risk.set_index("hazard_id")
    assert r["notes"].to_dict() == {
        "C": "",
        "A": "severity MAJOR not recognised: weighted as general",
        "B": "severity XXmajorXX not recognised: weighted as general",
    }
    assert r["major"].to_dict() == {"C": True, "A": False, "B": False}


def test_one_pair_and_a_record_without_a_pipe():
    # K (1 m off P3 at x = 220, 30 m from where C2's service splits P3 at x = 250) makes the
    # only pair; F is 50 m from every pipe. K's pipe, class and segment are P3, MP-A, 1; F
    # has none of them.
    # Planted: hazards.py: g = np.where(has, gov, 0) -> np.where(has, gov, 1)
    rows = [("K", (220, 1), "leak"), ("F", (250, 60), "leak")]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    assert len(res.matches) == 1 and res.matches["edge_id"].nunique() == 1
    r = res.risk.set_index("hazard_id")
    assert r.loc["K", "pipe_id"] == "P3" and pd.isna(r.loc["F", "pipe_id"])
    assert r.loc["K", "pressure_class"] == "MP-A" and pd.isna(r.loc["F", "pressure_class"])
    assert r["segment_id"].tolist() == [1, pd.NA]


def test_no_record_near_a_pipe_leaves_the_segments_layer_unread():
    # F is 50 m from every pipe: no pair, no segment to cost, so the segments layer given is
    # not read, even one whose losses are no numbers. F: score 0, no consequence.
    # Planted: hazards.py: segment_consequence(...) if len(seg) else None -> if len(seg) or True
    table = pd.DataFrame(
        {
            "segment_id": [0, 1, 2],
            "customers_lost": ["a", "b", "c"],
            "households_lost": [70, 80, 90],
            "critical_lost": [1, 1, 1],
        }
    )
    res = hazards.assess(
        net_with([("F", (250, 60), "leak")]), HazardSettings(), as_of=AS_OF, segment_table=table
    )
    row = res.risk.iloc[0]
    assert row["score"] == 0 and np.isnan(row["consequence"]) and len(res.matches) == 0


def test_assessment_takes_the_losses_of_the_segments_layer_given():
    # The segments layer as the criticality stage wrote it, with made-up losses: segment 1
    # (K's, on P3) loses 8 customers, 80 households, 1 critical by the table (the engine would
    # say 2, 50, 0). consequence = 1 + log10(1 + 80 + 100 x 1) = 1 + log10(181) = 3.257679.
    # Planted: hazards.py: segment_consequence(net, seg[seg >= 0], segment_table) -> (..., None)
    #   and the table dropped
    table = pd.DataFrame(
        {
            "segment_id": [0, 1, 2],
            "customers_lost": [7, 8, 9],
            "households_lost": [70, 80, 90],
            "critical_lost": [1, 1, 1],
        }
    )
    res = hazards.assess(
        net_with([("K", (250, 1), "leak")]), HazardSettings(), as_of=AS_OF, segment_table=table
    )
    row = res.risk.iloc[0]
    assert (row["customers_lost"], row["households_lost"], row["critical_lost"]) == (8, 80, 1)
    assert row["consequence"] == pytest.approx(1 + np.log10(181))


def test_a_line_record_fails_at_the_nearest_point_of_the_pipe():
    # A leak recorded as a line from (250, 2) to (250, 5): 2 m from P3, whose nearest point
    # (250, 0) is the failure point. Customer C3 at (250, -6) (7 households) is 6 m from it,
    # within the impact radius 6.94 m (8 m from the record's own nearest point (250, 2): not
    # within that). Exposed: 1 customer, 7 households.
    # Planted: hazards.py: near[~is_pt] = get_point(shortest_line(eg, hg), 0) -> None;
    #   get_point(None, 0); shortest_line(None, hg); shortest_line(eg, None); get_point(..., 1)
    customers = [*CUSTOMERS, ("C3", (250, -6), 7)]
    net = net_with([("L", [(250, 2), (250, 5)], "leak")], customers=customers)
    res = hazards.assess(net, HazardSettings(), as_of=AS_OF)
    row = res.risk.iloc[0]
    assert row["pipe_id"] == "P3" and row["distance_m"] == pytest.approx(2)
    assert (row["exposed_customers"], row["exposed_households"]) == (1, 7)


def test_a_rule_met_on_a_later_pipe_part_makes_the_record_major():
    # Encroachments reach 5 m here. E at (202, 0.3): 2.02 m from P2's end (200, 0), 0.3 m from
    # P3, 2 m from P6; its first pair (P2's part, the lowest edge) meets no rule, the P3 pair
    # (0.3 <= 0.5 m protection range) does: E is major by the rule.
    # Planted: hazards.py: np.flatnonzero(rule != "") -> np.flatnonzero(rule != "XXXX")
    # Its quality row, word for word: the message, then the rule's text and source.
    # Planted: hazards.py: "it major; ranked as major" -> "XX...XX", upper case
    settings = HazardSettings()
    settings.influence_m["encroachment"] = dict.fromkeys(settings.influence_m["encroachment"], 5.0)
    res = hazards.assess(net_with([("E", (202, 0.3), "encroachment")]), settings, as_of=AS_OF)
    assert sorted(res.matches["pipe_id"]) == ["P2", "P3", "P6"]
    row = res.risk.iloc[0]
    assert (row["major_rule"], row["major"]) == ("encroachment_mp_or_higher", True)
    assert row["tier"] == "P1"
    assert [(x["check"], x["feature_id"], x["message"]) for x in res.report.rows] == [
        (
            "major_by_rule",
            "E",
            "recorded as general (or without a severity), but a major-hazard criterion makes "
            "it major; ranked as major (建筑物或构筑物占压中压及以上燃气管道 (a building or "
            "structure over a medium-pressure or higher pipe, within its protection range); "
            "住房和城乡建设部《城镇燃气经营安全重大隐患判定标准》(2023))",
        )
    ]


def test_governing_part_with_a_severity_weight_of_zero_is_the_nearest():
    # P6 is LP here; a leak reaches 3 m of MP-A but 10 m of LP. Q at (203.5, 3): 3 m from P3
    # (MP-A: at the edge of reach, distance factor 0) and 3.5 m from P6 (LP: (10 - 3.5) /
    # (10 - 0.5) = 0.684). General records weigh 0: every score is 0, the nearest part (P3)
    # governs. With weight 1, P6's part scores more and governs.
    # Planted: hazards.py: pair_score = cw[h] * sw[h] * ... -> cw[h] / sw[h] * ...
    # Planted: hazards.py: pair_score = ... * sw[h] * dfac ... -> ... * sw[h] / dfac ...
    pipes = [
        ("P1", [(0, 0), (100, 0)]),
        ("P2", [(100, 0), (200, 0)]),
        ("P3", [(200, 0), (300, 0)]),
        ("P6", [(200, 0), (200, 100)], "LP"),
    ]
    net = net_with([("Q", (203.5, 3), "leak")], pipes=pipes, valves=[], customers=CUSTOMERS[:2])
    settings = HazardSettings()
    settings.influence_m["leak"]["LP"] = 10.0
    res = hazards.assess(net, settings, as_of=AS_OF)
    assert sorted(res.matches["pipe_id"]) == ["P3", "P6"]
    assert res.risk["pipe_id"].tolist() == ["P6"]
    settings.severity_weight["general"] = 0.0
    res = hazards.assess(net, settings, as_of=AS_OF)
    row = res.risk.iloc[0]
    assert (row["pipe_id"], row["distance_m"], row["score"]) == ("P3", pytest.approx(3), 0)


def test_distance_factor_at_the_edges_of_the_protection_range_and_the_reach():
    # A protection range of p = 0.5 + 2^-30 - 1e-9 m (every class) and a leak exactly
    # p + 1e-9 = 0.5 + 2^-30 m off P3 (a distance the grid holds exactly): within the range
    # by the comparison's slack, factor exactly 1.
    # Planted: hazards.py: dist <= prot + 1e-9 -> dist < prot + 1e-9; dist <= prot - 1e-9
    d = 0.5 + 2.0**-30
    settings = HazardSettings()
    settings.protection_m.update(dict.fromkeys(settings.protection_m, d - 1e-9))
    assert d - 1e-9 + 1e-9 == d
    res = hazards.assess(net_with([("Q", (250, d), "leak")]), settings, as_of=AS_OF)
    row = res.risk.iloc[0]
    assert row["distance_m"] == d and row["distance_factor"] == 1.0
    # A pipe on the diagonal from (0, 0) to (100, 100) and a leak 3 m + 2.4e-11 m from it:
    # past the 3 m reach, but within the overlay's 1e-9 m slack, so matched; its factor is 0,
    # not a hair below.
    # Planted: hazards.py: np.clip(..., 0, 1) -> np.clip(..., None, 1)
    net = net_with(
        [("B", (47.87867965642363, 52.12132034357637), "leak")],
        pipes=[("P1", [(0, 0), (100, 100)])],
        valves=[],
        customers=[("C1", (60, 40), 5)],
    )
    res = hazards.assess(net, HazardSettings(), as_of=AS_OF)
    row = res.risk.iloc[0]
    assert 3 < row["distance_m"] <= 3 + 1e-9
    assert row["distance_factor"] == 0.0 and row["likelihood"] == 0.0
    # A leak reaching 1 m (every class), 0.75 m off P3: the factor falls over the 0.5 m from
    # the protection range to the reach, (1 - 0.75) / (1 - 0.5) = 0.5.
    # Planted: hazards.py: np.where(span > 0, span, 1) -> np.where(span > 1, span, 1)
    settings = HazardSettings()
    settings.influence_m["leak"] = dict.fromkeys(settings.influence_m["leak"], 1.0)
    res = hazards.assess(net_with([("Q", (250, 0.75), "leak")]), settings, as_of=AS_OF)
    assert res.risk["distance_factor"].tolist() == pytest.approx([0.5])
