"""Property tests (issue 8): the overlay and the consequence against brute force."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_isolation_properties import make, reference_burst

from gasnet._hazard_settings import CATEGORIES, HazardSettings
from gasnet.hazards import overlay, segment_consequence
from gasnet.schema import PRESSURE_CLASSES

SEEDS = st.integers(0, 2**32 - 1)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def random_layers(seed):
    """Pipes as random polylines in a 100 m square (some abandoned, some without a class);
    records as points, lines and polygons of every category (and an unknown one)."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 12))
    lines = [
        shapely.LineString(rng.uniform(0, 100, (int(rng.integers(2, 5)), 2))) for _ in range(m)
    ]
    classes = rng.choice([*PRESSURE_CLASSES, None], size=m)
    status = np.where(rng.random(m) < 0.85, "in_service", "abandoned")
    edges = gpd.GeoDataFrame(
        {"edge_id": np.arange(m), "pressure_class": classes, "status": status}, geometry=lines
    )
    k = int(rng.integers(0, 10))
    shapes = []
    for _ in range(k):
        x, y = rng.uniform(0, 100, 2)
        r = rng.random()
        if r < 0.6:
            shapes.append(shapely.Point(x, y))
        elif r < 0.8:
            shapes.append(shapely.LineString([(x, y), tuple(rng.uniform(0, 100, 2))]))
        else:
            shapes.append(shapely.Point(x, y).buffer(rng.uniform(1, 20), quad_segs=2))
    cats = rng.choice([*CATEGORIES, "unknown"], size=k)
    hazards = gpd.GeoDataFrame({"hazard_id": np.arange(k), "category": cats}, geometry=shapes)
    return hazards, edges


def brute_force(hazards, edges, s: HazardSettings):
    """Every pair by hand: distance, influence from the settings' tables, exposed length as
    the part of the pipe inside a finely drawn circle / widened shape."""
    out = {}
    for i, (cat, hg) in enumerate(zip(hazards["category"], hazards.geometry, strict=True)):
        row = s.influence_m.get(cat, s.influence_m["other"])
        for j, (cls, st_, eg) in enumerate(
            zip(edges["pressure_class"], edges["status"], edges.geometry, strict=True)
        ):
            if st_ != "in_service":
                continue
            radius = row[cls] if cls in row else max(row.values())
            d = hg.distance(eg)
            if d <= radius:
                zone = hg.buffer(radius, quad_segs=256)
                out[(i, j)] = (d, radius, eg.intersection(zone).length)
    return out


@SETTINGS
@given(SEEDS)
def test_overlay_equals_brute_force(seed):
    hazards, edges = random_layers(seed)
    s = HazardSettings()
    got = overlay(hazards, edges, s)
    want = brute_force(hazards, edges, s)
    pairs = {
        (int(h), int(e)): r
        for h, e, *r in got[["h", "e", "distance_m", "influence_m", "exposed_length_m"]].itertuples(
            index=False
        )
    }
    # A pair exactly at the influence distance may fall either side of float rounding.
    edge = {k for k, v in want.items() if abs(v[0] - v[1]) < 1e-7}
    assert set(pairs) - edge == set(want) - edge
    for key in set(pairs) & set(want):
        d, r, length = pairs[key]
        assert np.isclose(d, want[key][0], atol=1e-9) and r == want[key][1]
        # Points: exact chords. Lines and areas: the buffer's arcs (64 segments a quarter
        # circle) cut a grazing pipe short by at most 2 sqrt(2 r s), s = r (1 - cos(pi / 256))
        # the arcs' sagitta: 2.5 % of the influence distance.
        assert np.isclose(length, want[key][2], rtol=1e-6, atol=0.025 * r)


@SETTINGS
@given(SEEDS, st.integers(0, 2**32 - 1))
def test_consequence_equals_a_brute_force_burst_on_every_segment(seed, pick):
    # For every segment: isolating it for a burst, past the inoperable valves where live gas
    # lies behind them, loses exactly the customers (as a set: the "bits" weight) that the
    # reference burst at any of its pipe parts loses.
    eng, ref, *_ = make(seed)
    if not len(eng.flow.live_edges):
        return
    rng = np.random.default_rng(pick)
    skip = rng.random(len(eng.flow.valves)) < 0.3
    net = SimpleNamespace(engine=eng, valve_operable=~skip)
    seg_of = eng.zone_seg[eng.edge_zone]
    got = segment_consequence(net, np.unique(seg_of))
    skip_nodes = set(eng.flow.valves[skip].tolist())
    for s in np.unique(seg_of).tolist():
        pos = int(np.flatnonzero(seg_of == s)[0])
        _, lost = reference_burst(ref, eng, int(eng.flow.live_edges[pos]), skip_nodes)
        assert {k: got.loc[s, f"{k}_lost"] for k in eng.weights} == lost
