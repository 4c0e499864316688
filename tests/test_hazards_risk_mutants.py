"""hazards.py's risk table, roll-ups and the helpers they read (impact radius, class and
category columns, dates, exposure): the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Hand-built records on the network of tests/test_hazards.py,
the expected numbers worked in the comments.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box
from test_hazards import AS_OF, net_with

from gasnet import hazards
from gasnet._hazard_settings import HazardSettings
from gasnet.schema import PRESSURE_CLASSES


def test_risk_table_roll_ups_and_matches_whole():
    # The network of tests/test_hazards.py (every pipe MP-A DN110: protection 0.5 m, a leak
    # reaches 3 m, impact radius 6.94 m); as of 2026-03-02. Weights: leak 5, encroachment 4;
    # major 3, general 1; overdue factor 1 + 0.25 x days / 30; P2 from 30.
    # - F1: a leak 60 m from every pipe, severity blank (NaN), due 2026-02-25: 5 days overdue.
    # - K: a leak 1 m off P3 (segment B = 1), due 2026-03-01: 1 day overdue. distance factor
    #   (3 - 1) / (3 - 0.5) = 0.8, overdue 1 + 0.25 / 30; B loses 50 households, C2 (10 m off)
    #   is outside the impact radius: consequence 1 + log10(51); score
    #   5 x 0.8 x (1 + 0.25 / 30) x (1 + log10 51) = 10.920533 (P3).
    # - M: an encroachment 0.2 m off P3 recorded general: major by the built-in rule, P1;
    #   4 x 3 x 1 x 1 x (1 + log10 51) = 32.490842.
    # - F2: like F1, in progress, recorded general, due 2026-02-20: 10 days overdue.
    # - A: a 4 m square leak over P4 beyond VC (segment C = 2, C1's 40 households, C1 more
    #   than 6.94 m from the square): 5 x 1 x 1 x 1 x (1 + log10 41) = 13.063919 (P3). Its
    #   position is a point on its surface: its centre (X0 + 342, Y0).
    # - C: a closed major leak where K is: 5 x 3 x 0.8 x 1 x (1 + log10 51), last.
    # Ranked: M (P1), A, K, then F2 before F1 (both score 0; F2 is more overdue although
    # listed after), C (closed).
    # Planted: hazards.py: area = type != POINT -> None, get_type_id(None), type == POINT;
    #   pt[area] = point_on_surface(pt[area]) -> None, point_on_surface(None)
    # Planted: hazards.py: np.round(score, 6) -> np.round(score, 7); np.round(lon / lat, 7)
    #   -> np.round(lon / lat, 8)
    # Planted: hazards.py: "severity": where(major, "major", where(isna, None, sev_raw)) ->
    #   where(None, ...), major -> None, "XXmajorXX", "MAJOR", inner -> None, sev_raw -> None,
    #   isna(sev_raw) -> isna(None)
    # Planted: hazards.py: pipes_matched ... .fillna(0).astype(int) -> .astype(None), fillna(1)
    # Planted: hazards.py: pipe_id / pressure_class where(has, ...) -> where(None, ...),
    #   value None, `if len(e) and False`
    # Planted: hazards.py: "distance_factor": per(dfac, 0.0) -> per(dfac, None), per(dfac),
    #   per(dfac, 1.0)
    # Planted: hazards.py: -risk["days_overdue"] -> +risk["days_overdue"]
    # Planted: hazards.py: matches ... reset_index(drop=True) -> drop=False, drop=None
    # Planted: hazards.py: per_h "major": major & ~closed -> major | ~closed, major & closed;
    #   "general": ~major & ~closed -> ~major | ~closed; "overdue": days_overdue > 0 -> > 1
    # Planted: hazards.py: pipe_roll.index name="pipe_id" -> None, dropped, "XXpipe_idXX",
    #   "PIPE_ID"; seg_roll = None; Assessment(..., seg_roll, ...) -> None
    # Planted: hazards.py (_rollup): per_h.astype({major, general, overdue: int64}) ->
    #   astype(None), {...: None}, dict.fromkeys(...) without a value
    rows = [
        ("F1", (250, 60), "leak", np.nan, "open", "2026-01-01", "2026-02-25"),
        ("K", (250, 1), "leak", "general", "open", "2026-01-01", "2026-03-01"),
        ("M", (250, 0.2), "encroachment", "general", "open", "2026-01-01", "2026-06-30"),
        ("F2", (250, 60), "leak", "general", "in_progress", "2026-01-01", "2026-02-20"),
        ("A", box(340, -2, 344, 2), "leak", "general", "open", "2026-01-01", "2026-06-30"),
        ("C", (250, 1), "leak", "major", "closed", "2026-01-01", "2026-01-01"),
    ]
    res = hazards.assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    r = res.risk
    assert list(r.columns) == [*hazards.RISK_COLUMNS, "geometry"]
    assert r["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert r["hazard_id"].tolist() == ["M", "A", "K", "F2", "F1", "C"]
    assert r["tier"].tolist() == ["P1", "P3", "P3", "P3", "P3", "closed"]
    b, c = 1 + math.log10(51), 1 + math.log10(41)
    expected = [12 * b, 5 * c, 5 * 0.8 * (1 + 0.25 / 30) * b, 0.0, 0.0, 12 * b]
    assert r["score"].tolist() == [round(x, 6) for x in expected]
    assert r["severity"].tolist()[:4] == ["major", "general", "general", "general"]
    assert pd.isna(r["severity"].iloc[4]) and r["severity"].iloc[5] == "major"
    assert r["days_overdue"].tolist() == [0, 0, 1, 10, 5, 0]
    assert r["pipes_matched"].dtype == np.int64
    assert r["pipes_matched"].tolist() == [1, 1, 1, 0, 0, 1]
    assert r["pipe_id"].tolist()[:3] == ["P3", "P4", "P3"] and r["pipe_id"].iloc[5] == "P3"
    assert r["pipe_id"].iloc[3:5].isna().all()
    assert r["pressure_class"].tolist()[:3] == ["MP-A"] * 3
    assert r["pressure_class"].iloc[5] == "MP-A" and r["pressure_class"].iloc[3:5].isna().all()
    assert r["segment_id"].tolist() == [1, 2, 1, pd.NA, pd.NA, 1]
    assert r["distance_factor"].tolist() == pytest.approx([1, 1, 0.8, 0, 0, 0.8])
    # Positions (tests/test_hazards_mutants.py): K and C at (X0 + 250, Y0 + 1) are 106.7348034
    # E, 31.8507540 N; M 0.8 m south of them; F1 and F2 59 m north; A 92 m east of K. Seven
    # decimals, no more.
    lon = [106.7348035, 106.7357753, 106.7348034, 106.7347961, 106.7347961, 106.7348034]
    lat = [31.8507468, 31.8507547, 31.850754, 31.851286, 31.851286, 31.850754]
    assert r["lon"].tolist() == pytest.approx(lon, abs=2e-7)
    assert r["lat"].tolist() == pytest.approx(lat, abs=2e-7)
    for col in ("lon", "lat"):
        assert r[col].tolist() == [round(x, 7) for x in r[col].tolist()]
    # matches: one row per record and pipe, the MATCH_COLUMNS only
    m = res.matches
    assert list(m.columns) == hazards.MATCH_COLUMNS and m.index.tolist() == [0, 1, 2, 3]
    assert m["hazard_id"].tolist() == ["K", "M", "A", "C"]
    # roll-ups, open records only: P3 (segment 1) has K (general, 1 day overdue) and M
    # (major, P1); P4 (segment 2) has A (general, P3). Exposed: K's chord 2 x sqrt(9 - 1)
    # = 5.657 m, M's 2 x sqrt(0.25 - 0.04) = 0.917 m; the square A widened by 3 m covers
    # 4 + 2 x 3 = 10 m of P4.
    k, mm = 2 * math.sqrt(8), 2 * math.sqrt(0.21)
    for roll, index in ((res.pipes, ["P3", "P4"]), (res.segments, [1, 2])):
        assert list(roll.columns) == hazards.ROLLUP_COLUMNS and roll.index.tolist() == index
        assert roll["hazards_open"].tolist() == [2, 1]
        assert roll["hazards_major"].tolist() == [1, 0]
        assert roll["hazards_general"].tolist() == [1, 1]
        assert roll["hazards_overdue"].tolist() == [1, 0]
        for col in ("hazards_open", "hazards_major", "hazards_general", "hazards_overdue"):
            assert roll[col].dtype == np.int64
        assert roll["hazard_exposed_m"].tolist() == pytest.approx([k + mm, 10])
        assert roll["hazard_tier"].tolist() == ["P1", "P3"]
        assert roll["hazard_score"].tolist() == pytest.approx([12 * b, 5 * c])
    assert res.pipes.index.name == "pipe_id" and res.segments.index.name == "segment_id"


def test_risk_table_keeps_blank_columns_as_read():
    # One leak far from every pipe whose severity, dates and description are all blank, read
    # from a file as floats (NaN): the severity is None (not NaN), the dates and the
    # description stay the values read (object columns of NaN, not floats).
    # Planted: hazards.py: "severity": where(isna(sev_raw), None, sev_raw) -> where(None,
    #   None, sev_raw)
    # Planted: hazards.py: hz["found_on" / "due_on" / "description"].to_numpy(object) ->
    #   .to_numpy(None)
    net = net_with([("F", (250, 60), "leak")])
    rec = net.layers["hazards"].copy()
    for col in ("severity", "found_on", "due_on", "description"):
        rec[col] = np.nan
    net.hazards = rec
    r = hazards.assess(net, HazardSettings(), as_of=AS_OF).risk
    assert r["severity"].tolist() == [None]
    for col in ("found_on", "due_on", "description"):
        assert r[col].dtype == object and pd.isna(r[col].iloc[0])


def test_helpers_read_categorical_columns_with_blanks():
    # A categorical column (as pandas reads one with few values) with a blank: the blank is
    # "no class" / "other" / the highest pressure, not an error.
    # _class_index: LP is the last class, the blank the column after it; always int64.
    # _category_index: leak is the 5th category (4), the blank "other" (7).
    # impact_radius_m: DN110 LP -> 0.0997 x 110 x 0.1 = 1.0967 m; the blank takes HP-A (4
    # MPa): 0.0997 x 110 x 2 = 21.934 m.
    # Planted: hazards.py (_class_index): Series(classes, dtype=object) -> dtype=None, no
    #   dtype; .to_numpy(np.int64) -> .to_numpy(None)
    # Planted: hazards.py (_category_index): Series(categories, dtype=object) -> dtype=None,
    #   no dtype
    # Planted: hazards.py (impact_radius_m): Series(pressure_class, dtype=object) ->
    #   dtype=None, no dtype
    lp = len(PRESSURE_CLASSES) - 1
    cls = hazards._class_index(pd.Series(["LP", None], dtype="category"))
    assert cls.dtype == np.int64 and cls.tolist() == [lp, lp + 1]
    cls = hazards._class_index(["LP", None])
    assert cls.dtype == np.int64 and cls.tolist() == [lp, lp + 1]
    cat = hazards._category_index(pd.Series(["leak", None], dtype="category"))
    assert cat.tolist() == [4, 7]
    r = hazards.impact_radius_m([110, 110], pd.Series(["LP", None], dtype="category"))
    assert r.tolist() == pytest.approx([0.0997 * 110 * 0.1, 0.0997 * 110 * 2])


def test_impact_radius_of_thin_and_nullable_diameters():
    # A 1 mm diameter is above 0: 0.0997 x 1 x sqrt(0.01) = 0.00997 m. Diameters as a
    # nullable integer column (a blank among them): DN110 LP 1.0967 m, the blank NaN.
    # Whatever nullable type the column has (even pandas' nullable boolean), a blank is NaN,
    # not an error ("the truth value of NA is ambiguous").
    # Planted: hazards.py (impact_radius_m): d > 0 -> d > 1; to_numeric(...).to_numpy(float)
    #   -> .to_numpy(None)
    assert hazards.impact_radius_m([1], ["LP"]).tolist() == pytest.approx([0.00997])
    r = hazards.impact_radius_m(pd.array([110, None], dtype="Int64"), ["LP", "LP"])
    assert r[0] == pytest.approx(1.0967) and np.isnan(r[1])
    r = hazards.impact_radius_m(pd.array([None, None], dtype="boolean"), ["LP", "LP"])
    assert np.isnan(r).all()


def test_exposure_radius_edges():
    # One customer with 3 households 0.2 m from the point. Radius 0.5 m reaches it; 0 m and
    # an infinite radius (no usable one) count nobody; nor does 0 m on a customer exactly at
    # the point.
    # Planted: hazards.py (_exposure): radius > 0 -> radius > 1, radius >= 0;
    #   isfinite(radius) & ... -> isfinite(radius) | ...
    near = gpd.GeoDataFrame({"households": [3]}, geometry=[Point(0.2, 0)])
    where = np.array([Point(0, 0)] * 3)
    cnt, hh = hazards._exposure(where, np.array([0.5, 0.0, np.inf]), near)
    assert cnt.tolist() == [1, 0, 0] and hh.tolist() == [3, 0, 0]
    at = gpd.GeoDataFrame({"households": [3]}, geometry=[Point(0, 0)])
    cnt, hh = hazards._exposure(where[:1], np.array([0.0]), at)
    assert cnt.tolist() == [0] and hh.tolist() == [0]
