"""hazards.py's overlay and its helpers (_chords, _shapes, _pairs, the partitioned path,
_nearest_text): the mistakes mutation testing found no test would catch (`make mutants`,
docs/mutants.md). Hand-built geometries in local metres, the expected numbers worked in the
comments.
"""

from __future__ import annotations

import datetime
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import in_process_session
from shapely.geometry import LineString, Point, Polygon

from gasnet import hazards, parallel
from gasnet._hazard_settings import HazardSettings
from gasnet.schema import PRESSURE_CLASSES


def _edges(pipes):
    """pipes: (pipe_id, coordinates, pressure_class, status)."""
    return gpd.GeoDataFrame(
        {
            "pipe_id": [p[0] for p in pipes],
            "pressure_class": [p[2] for p in pipes],
            "status": [p[3] for p in pipes],
        },
        geometry=[LineString(p[1]) for p in pipes],
        crs="EPSG:4545",
    )


def _records(geometries, category="leak"):
    return gpd.GeoDataFrame(
        {"category": [category] * len(geometries)}, geometry=geometries, crs="EPSG:4545"
    )


def test_chords_on_each_straight_piece():
    # Planted: hazards.py (_chords): `(a > 0) & (disc >= 0)` -> `(a > 0) | (disc >= 0)`,
    # `a >= 0`, `a > 1`, `disc >= 1`; `np.where(ok, ..., 0)` -> `..., 1)` (length);
    # bincount(se) and bincount(pair) without minlength; `np.zeros(0)` -> `np.zeros(1)`.
    #
    # Point 0 at (0, 3), radius 3.1, on a pipe along y = 0 drawn in pieces: x -10 to -0.25,
    # a 0.5 m piece to 0.25, that vertex twice (a piece of length 0), on to x = 10, then up
    # to (10, 50). The circle meets y = 0 over x = +-sqrt(3.1^2 - 3^2) = +-sqrt(0.61) =
    # +-0.781: 2 sqrt(0.61) = 1.562 m, of which 0.5 m is the short piece (whose
    # discriminant 4 a h^2 = 4 x 0.25 x 0.61 = 0.61 is below 1). The piece of length 0
    # and the piece up x = 10 (10 m away, its line misses the circle) add nothing.
    # Point 1 on an empty line: 0 (nothing drawn, nothing within reach).
    lines = np.array(
        [
            LineString([(-10, 0), (-0.25, 0), (0.25, 0), (0.25, 0), (10, 0), (10, 50)]),
            LineString(),
        ]
    )
    got = hazards._chords(
        np.array([Point(0, 3), Point(0, 0)]), np.array([3.1, 5.0]), np.array([0, 1]), lines
    )
    assert got.shape == (2,)
    assert got[0] == pytest.approx(2 * math.sqrt(0.61), rel=1e-12)
    assert got[1] == 0
    # No pairs: no lengths.
    none = hazards._chords(np.array([], dtype=object), np.zeros(0), np.zeros(0, int), lines)
    assert none.shape == (0,)


def test_pairs_distances_and_exposed_lengths():
    # Planted: hazards.py (_pairs): `dist <= radius + 1e-9` -> `dist < radius + 1e-9`;
    # buffer quad_segs=64 -> 65 or the default (8); `shapely.contains(zone, line)` ->
    # `contains(None, line)`, `contains(zone, None)`; `cut = ~inside` -> `cut = None`.
    #
    # Record 0, a point 3 + 1e-9 m west of the start of pipe 0 (radius 3; its reach 10, as
    # when another class of the network takes its category further): kept, the tolerance
    # included; its circle stops short of the pipe: exposed 0.
    # Record 1, a line up x = 110 from y = 4 (radius 5), over pipe 1 along y = 0: 4 m away;
    # its zone's round cap has 2 x 64 pieces from angle 0 down to angle -pi about (110, 4),
    # vertices at -k pi / 128: y = 0 (4 below the centre) crosses the piece between k = 37
    # and k = 38 (sin = 4/5 at k = 37.8), at x = x37 + (x38 - x37)(-4 - y37)/(y38 - y37)
    # either side: exposed 2x = 5.99915 m (the circle's chord would be 6).
    # Record 2, a 10 m square around pipe 2, which runs 2 m north and back 1 m: distance 0,
    # the whole part inside the zone: exposed is its length, 3 m (clipping it to the zone
    # would merge the doubled metre and give 2).
    v = 3 + 1e-9
    hg = np.array(
        [
            Point(-v, 0),
            LineString([(110, 4), (110, 10)]),
            Polygon([(195, -5), (205, -5), (205, 5), (195, 5)]),
        ]
    )
    eg = np.array(
        [
            LineString([(0, 0), (10, 0)]),
            LineString([(100, 0), (120, 0)]),
            LineString([(200, -3), (200, -1), (200, -2)]),
        ]
    )
    infl = np.array([[3.0], [5.0]])
    h, e, dist, radius, exposed = hazards._pairs(
        hg, np.array([0, 1, 1]), np.array([10.0, 5.0, 5.0]), eg, np.zeros(3, int), infl
    )
    o = np.lexsort((e, h))
    assert list(zip(h[o].tolist(), e[o].tolist(), strict=True)) == [(0, 0), (1, 1), (2, 2)]
    assert dist[o].tolist() == [v, 4.0, 0.0]
    assert radius[o].tolist() == [3.0, 5.0, 5.0]
    a, b = 37 * math.pi / 128, 38 * math.pi / 128
    x37, y37, x38, y38 = 5 * math.cos(a), -5 * math.sin(a), 5 * math.cos(b), -5 * math.sin(b)
    x = x37 + (x38 - x37) * (-4 - y37) / (y38 - y37)
    assert exposed[o][0] == 0
    assert exposed[o][1] == pytest.approx(2 * x, rel=1e-12)
    assert exposed[o][2] == 3.0


# Two MP-A pipes along y = 0 (0-100, 100-200) and an abandoned one right under the records.
PIPES = [
    ("P1", [(0, 0), (100, 0)], "MP-A", "in_service"),
    ("P2", [(100, 0), (200, 0)], "MP-A", "in_service"),
    ("P0", [(0, 1), (200, 1)], "MP-A", "abandoned"),
]
COLUMNS = ["h", "e", "distance_m", "influence_m", "protection_m", "exposed_length_m"]


def test_overlay_on_partitions_when_a_session_is_active(monkeypatch):
    # Planted: hazards.py (overlay): session = None; `is_missing | is_empty` -> `&`,
    # is_empty(None); `.max(axis=1)` -> `.max(axis=None)` (reach); `not len(usable) or not
    # len(live)` -> `and`; the early frame's dtypes all int64; _pairs_on_cluster's result
    # None, each of its arguments None or left out, `h, e = None`. (_pairs_on_cluster):
    # n_chunks(None); the stage "hazard overlay" -> None, left out, "XX..XX", upper case.
    #
    # Leaks (3 m on MP-A) at (50, 1) and (150, 2); record 1 is empty, record 2 has no
    # geometry: neither is sent. chunk_rows=1, one worker (no client to ask): 2 usable
    # records -> max(1, min(2, max(1, ceil(2 / 1)))) = 2 partitions, one "hazard overlay"
    # map. Record 0 meets P1 (edge 0) at 1 m, chord 2 sqrt(9 - 1) = 5.657 m; record 3 meets
    # P2 (edge 1) at 2 m, chord 2 sqrt(9 - 4) = 4.472 m; protection of MP-A 0.5 m. The
    # abandoned P0, 0 m away from both, is not in service.
    s = in_process_session(chunk_rows=1)
    monkeypatch.setattr(parallel, "_SESSION", s)
    recs = _records([Point(50, 1), Point(), None, Point(150, 2)])
    out = hazards.overlay(recs, _edges(PIPES), HazardSettings())
    assert list(out.columns) == COLUMNS
    assert out["h"].tolist() == [0, 3] and out["e"].tolist() == [0, 1]
    assert out["distance_m"].tolist() == [1.0, 2.0]
    assert out["influence_m"].tolist() == [3.0, 3.0]
    assert out["protection_m"].tolist() == [0.5, 0.5]
    assert out["exposed_length_m"].tolist() == pytest.approx([2 * math.sqrt(8), 2 * math.sqrt(5)])
    assert s.log == [("hazard overlay", 2)]
    # No usable record (empty, missing): nothing sent, an empty frame of the same columns.
    out = hazards.overlay(_records([Point(), None]), _edges(PIPES), HazardSettings())
    assert len(out) == 0 and list(out.columns) == COLUMNS
    assert [str(t) for t in out.dtypes] == ["int64", "int64", *["float64"] * 4]
    assert s.log == [("hazard overlay", 2)]


def test_an_invalid_record_is_read_repaired():
    # Planted: hazards.py (_shapes): bad = flatnonzero(None); `~is_missing(g) &
    # ~is_valid(g)` -> `is_missing(g) & ...`, `... & is_valid(g)`, is_missing(None);
    # g = None; g[bad] = None; make_valid(None).
    #
    # A leak drawn with one double click at (50, 1): a line of two equal points, invalid,
    # read as the point (50, 1): 1 m from P1, chord 2 sqrt(9 - 1) = 5.657 m, as a point.
    # The missing record stays missing, the valid one as drawn.
    recs = _records([LineString([(50, 1), (50, 1)]), None, Point(150, 2)])
    shapes = hazards._shapes(recs)
    assert [None if g is None else g.wkt for g in shapes] == [
        "POINT (50 1)",
        None,
        "POINT (150 2)",
    ]
    out = hazards.overlay(recs, _edges(PIPES), HazardSettings())
    assert out["h"].tolist() == [0, 2] and out["e"].tolist() == [0, 1]
    assert out["distance_m"].tolist() == [1.0, 2.0]
    assert out["exposed_length_m"].tolist() == pytest.approx([2 * math.sqrt(8), 2 * math.sqrt(5)])


def test_nearest_pipe_text_word_for_word():
    # Planted: hazards.py (_nearest_text): "no pipe is in service" -> "XX..XX", upper case;
    # all_matches=False -> True, left out; fillna("no pressure class") -> fillna(None),
    # "XX..XX", upper case; "{:g}" -> "{:G}".
    #
    # Record 0 at (50, 20): 20 m from P1 and from P3, drawn along y = 40 (a tie: the first
    # in service, P1; the abandoned P0 at 19 m is not in service). A leak on MP-A reaches
    # 3 m. Record 1, corrosion at (500, 7.25): 7.25 m from P9, which has no pressure class:
    # the row's widest, 3 m. With no pipe in service, that is said.
    pipes = [
        PIPES[0],
        ("P0", [(0, 1), (100, 1)], "MP-A", "abandoned"),
        ("P3", [(0, 40), (100, 40)], "MP-A", "in_service"),
        ("P9", [(400, 0), (600, 0)], None, "in_service"),
    ]
    points = np.array([Point(50, 20), Point(500, 7.25)])
    cats = np.array(["leak", "corrosion"], dtype=object)
    assert hazards._nearest_text(points, cats, _edges(pipes), HazardSettings()) == [
        "nearest in-service pipe P1 (MP-A) is 20.0 m away; leak reaches 3 m from it",
        "nearest in-service pipe P9 (no pressure class) is 7.2 m away; corrosion reaches 3 m "
        "from it",
    ]
    closed = _edges([(p[0], p[1], p[2], "abandoned") for p in pipes])
    assert hazards._nearest_text(points, cats, closed, HazardSettings()) == [
        "no pipe is in service",
        "no pipe is in service",
    ]
    # A reach written in powers of ten (an influence of 0.00002 m) is printed as such.
    tiny = HazardSettings(
        influence_m={
            **HazardSettings().influence_m,
            "leak": dict.fromkeys(PRESSURE_CLASSES, 0.00002),
        }
    )
    assert hazards._nearest_text(points[:1], cats[:1], _edges(pipes), tiny) == [
        "nearest in-service pipe P1 (MP-A) is 20.0 m away; leak reaches 2e-05 m from it"
    ]


def test_nearest_pipe_text_of_integer_columns_with_blanks():
    # Planted: hazards.py (_nearest_text): pipe_id .to_numpy(object) -> .to_numpy(None),
    # pressure_class .to_numpy(object) -> .to_numpy(None) (a nullable integer column with a
    # blank comes out as floats: 7 -> "7.0").
    #
    # Ids and classes read as nullable integers, as a file's integer columns with blanks
    # can be: the nearest pipe, 7, class 4 (not a known class: the leak row's widest, 3 m),
    # 20 m from the record; the other, with blanks, 350 m.
    edges = gpd.GeoDataFrame(
        {
            "pipe_id": pd.array([7, None], dtype="Int64"),
            "pressure_class": pd.array([4, None], dtype="Int64"),
            "status": ["in_service", "in_service"],
        },
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(400, 0), (600, 0)])],
        crs="EPSG:4545",
    )
    got = hazards._nearest_text(
        np.array([Point(50, 20)]), np.array(["leak"], dtype=object), edges, HazardSettings()
    )
    assert got == ["nearest in-service pipe 7 (4) is 20.0 m away; leak reaches 3 m from it"]


def test_nearest_pipe_text_prints_each_value_as_it_is():
    # Planted: hazards.py (_nearest_text): pd.Series(..., dtype=object) -> dtype=None or no
    # dtype, for the pipe id, the pressure class and the category (pandas would read a
    # column of midnight date-times as dates and print 2020-03-12, not the value).
    #
    # Values a spreadsheet turned into date-times: pipe id 2020-03-12, class 2021-01-01
    # (not a class: the row's widest), category 2022-01-01 (not one: "other", whose widest
    # is 50 m). The pipe is 20 m from the record.
    edges = gpd.GeoDataFrame(
        {
            "pipe_id": [datetime.datetime(2020, 3, 12)],
            "pressure_class": [datetime.datetime(2021, 1, 1)],
            "status": ["in_service"],
        },
        geometry=[LineString([(0, 0), (100, 0)])],
        crs="EPSG:4545",
    )
    cats = np.array([datetime.datetime(2022, 1, 1)], dtype=object)
    got = hazards._nearest_text(np.array([Point(50, 20)]), cats, edges, HazardSettings())
    assert got == [
        "nearest in-service pipe 2020-03-12 00:00:00 (2021-01-01 00:00:00) is 20.0 m away; "
        "2022-01-01 00:00:00 reaches 50 m from it"
    ]


def test_overlay_reach_is_the_widest_influence_of_the_classes_present():
    # Planted: hazards.py (overlay): `np.where(present, infl, 0)` -> `np.where(present, infl,
    # 1)` (classes absent from the network would reach 1 m).
    #
    # Every pipe MP-A: an encroachment reaches 0.5 m (its protection range, also the major
    # rule's). A record 0.5 + 1e-9 m west of P1's end is within the 1e-9 tolerance of the
    # distance test, but its candidate box, widened by the reach 0.5, ends 1e-9 m short of
    # the pipe: no pair. (This pins the box as it is: widened by the tolerance too, the
    # record would match; a 1 m reach finds it.) Record 1, 0.5 m north of P1: matched.
    v = 0.5 + 1e-9
    pipes = [("P1", [(0, 0), (100, 0)], "MP-A", "in_service")]
    recs = _records([Point(-v, 0), Point(50, 0.5)], category="encroachment")
    out = hazards.overlay(recs, _edges(pipes), HazardSettings())
    assert out["h"].tolist() == [1] and out["e"].tolist() == [0]
    assert out["distance_m"].tolist() == [0.5] and out["influence_m"].tolist() == [0.5]
