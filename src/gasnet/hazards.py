"""Hidden hazards (隐患) on the one map: the overlay, the major-hazard checks, the priority.

:func:`overlay` matches every hazard record with the in-service pipes it threatens;
:func:`assess` adds the major-hazard determination and the priority score of every record
(the ``risk`` table), the roll-ups per pipe and per segment, and the quality rows. The rules,
distances and weights are :mod:`gasnet._hazard_settings` (README, "Hidden hazards").

Cost: O((h + m) log m) for h records and m pipe parts. One STRtree query finds every
(record, pipe part) pair within reach; distances and exposed lengths are vectorised (the
exposed length of a point record is the chord of its circle on each straight piece of the
pipe, exact); the consequence of isolating a threatened segment comes from the isolation
engine's table of every segment, with one search only for segments next to an inoperable
valve (where the isolation extends past it, as in a burst).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._geo import to_wgs84
from ._hazard_settings import CATEGORIES, OTHER, HazardSettings
from .errors import InputError
from .schema import LAYERS, MAX_PRESSURE_MPA, PRESSURE_CLASSES, PRESSURE_RANK
from .validate import Report, geoms

__all__ = [
    "MATCH_COLUMNS",
    "RISK_COLUMNS",
    "TIERS",
    "Assessment",
    "assess",
    "impact_radius_m",
    "overlay",
]

log = logging.getLogger(__name__)

#: Columns of the ``hazard_matches`` layer: one row per hazard and pipe it threatens.
MATCH_COLUMNS = [
    "hazard_id",
    "pipe_id",
    "edge_id",
    "segment_id",
    "distance_m",
    "exposed_length_m",
    "influence_m",
]
#: Tiers, first to fix first.
TIERS = ("P1", "P2", "P3", "closed")
#: Columns of the ``risk`` layer and ``risk.csv`` (README, "Hidden hazards", documents each).
RISK_COLUMNS = [
    "rank",
    "tier",
    "score",
    "hazard_id",
    "category",
    "severity",
    "major",
    "major_rule",
    "status",
    "found_on",
    "due_on",
    "days_overdue",
    "pipes_matched",
    "pipe_id",
    "segment_id",
    "pressure_class",
    "distance_m",
    "influence_m",
    "protection_m",
    "category_weight",
    "severity_weight",
    "distance_factor",
    "overdue_factor",
    "likelihood",
    "customers_lost",
    "households_lost",
    "critical_lost",
    "impact_radius_m",
    "exposed_customers",
    "exposed_households",
    "consequence",
    "notes",
    "description",
    "lon",
    "lat",
]
#: Roll-up columns added to ``pipes`` and ``segments`` (non-closed hazards only).
ROLLUP_COLUMNS = [
    "hazards_open",
    "hazards_major",
    "hazards_general",
    "hazards_overdue",
    "hazard_exposed_m",
    "hazard_tier",
    "hazard_score",
]
_CATS = (*CATEGORIES, OTHER)
_NC = len(PRESSURE_CLASSES)  # column of "no pressure class" in the tables below


def impact_radius_m(diameter_mm, pressure_class) -> np.ndarray:
    """Potential impact radius r = 0.0997 x D[mm] x sqrt(p[MPa]) metres (PHMSA's formula in SI
    units, p the class's upper pressure; a pipe without a class takes the highest). NaN
    without a diameter, or with one that is not above 0."""
    p = pd.Series(pressure_class, dtype=object).map(MAX_PRESSURE_MPA)
    p = p.fillna(max(MAX_PRESSURE_MPA.values())).to_numpy(float)
    d = pd.to_numeric(pd.Series(diameter_mm), errors="coerce").to_numpy(float)
    return 0.0997 * np.where(d > 0, d, np.nan) * np.sqrt(p)


def _class_index(classes) -> np.ndarray:
    """Column of each pressure class in the tables (``_NC``: none or unknown)."""
    pos = {c: i for i, c in enumerate(PRESSURE_CLASSES)}
    return pd.Series(classes, dtype=object).map(pos).fillna(_NC).to_numpy(np.int64)


def _category_index(categories) -> np.ndarray:
    pos = {c: i for i, c in enumerate(_CATS)}
    return pd.Series(categories, dtype=object).map(pos).fillna(len(_CATS) - 1).to_numpy(np.int64)


def _tables(settings: HazardSettings) -> tuple[np.ndarray, np.ndarray]:
    """(influence[category, class], protection[class]); the last class column (no class) is
    the widest of its row.

    A major-hazard rule widens the influence of its categories on the classes it covers to
    its distance: a record it makes major always matches the pipe (a protection range or a
    utility's ``within`` beyond the category's influence would otherwise match nothing).
    """
    infl = np.array([[settings.influence_m[c][k] for k in PRESSURE_CLASSES] for c in _CATS])
    infl = np.column_stack([infl, infl.max(axis=1)])
    prot = np.array([settings.protection_m[k] for k in PRESSURE_CLASSES])
    prot = np.r_[prot, prot.max()]
    rank = np.r_[[PRESSURE_RANK[k] for k in PRESSURE_CLASSES], np.inf]  # no class meets all
    for rule in settings.rules:
        rows = np.flatnonzero(np.isin(np.array(_CATS), rule.categories))
        cols = np.flatnonzero(rank >= PRESSURE_RANK[rule.min_pressure_class])
        within = prot[cols] if rule.within == "protection" else np.full(len(cols), rule.within)
        cover = np.ix_(rows, cols)
        infl[cover] = np.maximum(infl[cover], within)
    infl[:, -1] = infl.max(axis=1)
    return infl, prot


def _chords(points: np.ndarray, radius: np.ndarray, line: np.ndarray, lines) -> np.ndarray:
    """Length of ``lines[line]`` within ``radius`` of each point (pairs), exact for polylines:
    on each straight piece A + t (B - A), |A + t u - P| <= r is an interval of t."""
    if not len(points):
        return np.zeros(0)
    uniq, inv = np.unique(line, return_inverse=True)
    coords, idx = shapely.get_coordinates(lines[uniq], return_index=True)
    same = idx[:-1] == idx[1:]
    sa, sb, se = coords[:-1][same], coords[1:][same], idx[:-1][same]
    ptr = np.r_[0, np.cumsum(np.bincount(se, minlength=len(uniq)))]
    counts = ptr[inv + 1] - ptr[inv]
    pair = np.repeat(np.arange(len(points)), counts)
    seg = np.repeat(ptr[inv] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    p = shapely.get_coordinates(points)[pair]
    r = radius[pair]
    a_, u = sa[seg], sb[seg] - sa[seg]
    w = a_ - p
    a = (u * u).sum(axis=1)
    b = 2 * (w * u).sum(axis=1)
    c = (w * w).sum(axis=1) - r * r
    disc = b * b - 4 * a * c
    ok = (a > 0) & (disc >= 0)
    s = np.sqrt(np.where(ok, disc, 0))
    a2 = np.where(ok, 2 * a, 1)
    t1 = np.clip((-b - s) / a2, 0, 1)
    t2 = np.clip((-b + s) / a2, 0, 1)
    length = np.where(ok, np.maximum(t2 - t1, 0) * np.sqrt(a), 0)
    return np.bincount(pair, weights=length, minlength=len(points))


def _shapes(hazards: gpd.GeoDataFrame) -> np.ndarray:
    """The records' shapes as the overlay reads them: one GEOS calls invalid (a line drawn
    with one double click, a bow-tie area), which ingest keeps as drawn with an
    ``invalid_geometry`` warning, repaired with ``make_valid`` (a point, the two triangles):
    GEOS's distance queries miss a zero-length line and buffers of a broken ring cover the
    wrong area."""
    g = geoms(hazards)
    bad = np.flatnonzero(~shapely.is_missing(g) & ~shapely.is_valid(g))
    if len(bad):
        g = g.copy()
        g[bad] = shapely.make_valid(g[bad])
    return g


def _pairs(hg, cat, reach, eg, cls, infl) -> tuple[np.ndarray, ...]:
    """The pairs of :func:`overlay` among records ``hg`` (present; their category index and
    reach) and in-service parts ``eg`` (their class index): ``(h, e, distance, influence,
    exposed length)``, positions into ``hg`` and ``eg``, in no particular order."""
    tree = shapely.STRtree(eg)
    # Candidates by bounding box widened by the reach (the exact distance follows once, below:
    # a "dwithin" query would compute it twice).
    x0, y0, x1, y1 = shapely.bounds(hg).T
    h, e = tree.query(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach))
    dist = shapely.distance(hg[h], eg[e])
    radius = infl[cat[h], cls[e]]
    keep = dist <= radius + 1e-9
    h, e, dist, radius = h[keep], e[keep], dist[keep], radius[keep]
    exposed = np.zeros(len(h))
    point = shapely.get_type_id(hg[h]) == shapely.GeometryType.POINT
    exposed[point] = _chords(hg[h[point]], radius[point], e[point], eg)
    other = np.flatnonzero(~point)
    if len(other):
        # One zone per record and distance (arcs of 64 segments a quarter circle), shared by
        # the pipe parts it meets.
        _key, first, inv = np.unique(
            np.column_stack([h[other], radius[other]]),
            axis=0,
            return_index=True,
            return_inverse=True,
        )
        zone = shapely.buffer(hg[h[other][first]], radius[other][first], quad_segs=64)
        shapely.prepare(zone)
        zone, line = zone[inv.ravel()], eg[e[other]]
        inside = shapely.contains(zone, line)  # whole pipe part exposed: no clipping needed
        length = shapely.length(line)
        cut = ~inside
        length[cut] = shapely.length(shapely.intersection(line[cut], zone[cut]))
        exposed[other] = length
    return h, e, dist, radius, exposed


def _pairs_task(payload) -> tuple[np.ndarray, ...]:
    """:func:`_pairs` on a worker, for one partition of the records."""
    from .parallel import unpack

    hg, cat, reach, eg, cls, infl = payload
    return _pairs(unpack(hg), cat, reach, unpack(eg), cls, infl)


def _pairs_on_cluster(session, hg, cat, reach, eg, cls, infl) -> tuple[np.ndarray, ...]:
    """:func:`_pairs` by spatial partitions of the records, each with the pipe parts within
    its records' reach (the partitions overlap by the reach): the same pairs."""
    from . import parallel

    chunks = parallel.spatial_chunks(hg, session.n_chunks(len(hg)))
    boxes = parallel.chunk_boxes(shapely.bounds(hg), chunks, reach)
    bi, cand = shapely.STRtree(eg).query(boxes)
    o = np.lexsort((cand, bi))
    bi, cand = bi[o], cand[o]
    split = np.searchsorted(bi, np.arange(len(chunks) + 1))
    per = [cand[split[k] : split[k + 1]] for k in range(len(chunks))]
    payloads = [
        (parallel.pack(hg[c]), cat[c], reach[c], parallel.pack(eg[p]), cls[p], infl)
        for c, p in zip(chunks, per, strict=True)
    ]
    results = session.map(_pairs_task, payloads, "hazard overlay")
    out = [[], [], [], [], []]
    for c, p, (h, e, dist, radius, exposed) in zip(chunks, per, results, strict=True):
        for acc, v in zip(out, (c[h], p[e], dist, radius, exposed), strict=True):
            acc.append(v)
    return tuple(np.concatenate(v) for v in out)


def overlay(
    hazards: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, settings: HazardSettings
) -> pd.DataFrame:
    """Every (hazard record, in-service pipe part) within the record's influence distance.

    Returns one row per pair: ``h`` and ``e`` (positions in ``hazards`` / ``edges``),
    distance_m (record to pipe part), influence_m (of the record's category for the pipe's
    class, widened by the major-hazard rules: :func:`_tables`), protection_m (of the pipe's
    class), exposed_length_m (pipe part within influence_m of the record). A record with no
    geometry matches nothing; an invalid one is read repaired (:func:`_shapes`).
    """
    infl, _prot = _tables(settings)
    hg, eg = _shapes(hazards), geoms(edges)
    live = np.flatnonzero((edges["status"] == "in_service").to_numpy() & ~shapely.is_missing(eg))
    cat = _category_index(hazards["category"])
    cls = _class_index(edges["pressure_class"])
    usable = np.flatnonzero(~(shapely.is_missing(hg) | shapely.is_empty(hg)))
    cols = ["h", "e", "distance_m", "influence_m", "protection_m", "exposed_length_m"]
    if not len(usable) or not len(live):
        return pd.DataFrame({c: np.zeros(0, np.int64 if c in "he" else float) for c in cols})
    # Reach: the widest influence of the category over the classes the network has (a pipe
    # without a class takes the row's widest, so then the whole row).
    present = np.zeros(infl.shape[1], bool)
    present[np.unique(cls[live])] = True
    reach = np.where(present, infl, 0)[cat[usable]].max(axis=1)
    from . import parallel

    session = parallel.current()
    if session is None:
        hl, el, dist, radius, exposed = _pairs(
            hg[usable], cat[usable], reach, eg[live], cls[live], infl
        )
        h, e = usable[hl], live[el]
    else:  # the same pairs, by spatial partitions of the records (parallel.py)
        h, e, dist, radius, exposed = _pairs_on_cluster(
            session, hg[usable], cat[usable], reach, eg[live], cls[live], infl
        )
        h, e = usable[h], live[e]
    order = np.lexsort((e, h))
    return pd.DataFrame(
        {
            "h": h[order],
            "e": e[order],
            "distance_m": dist[order],
            "influence_m": radius[order],
            "protection_m": _prot[cls[e[order]]],
            "exposed_length_m": exposed[order],
        }
    )


def segment_consequence(
    net, segments: np.ndarray, segment_table=None, *, operable=None, passed: dict | None = None
) -> pd.DataFrame:
    """Customers, households and critical customers that lose gas when the segment is isolated
    for a burst on it: the segment's loss (every boundary valve closes; a station inside
    stops), extended past inoperable valves as :func:`gasnet.operations.burst` does.

    Returns a frame indexed by segment with one ``<weight>_lost`` column per engine weight
    (``customers_lost``, ``households_lost``, ``critical_lost``).

    The segment's loss comes from the engine's table. Only where an open inoperable valve
    on its border still has live gas behind it once the segment is emptied
    (:meth:`~gasnet.isolation.IsolationEngine.live_behind`, vectorised) does the area grow
    past it, step by step as in the burst plan; the loss of the grown area is then the
    engine's local set removal (its zones and open border valves removed). A border valve
    with nothing live behind changes nothing whether or not it closes.

    ``segment_table``: the ``segments`` layer the criticality stage wrote for this network,
    whose ``<weight>_lost`` columns spare computing the segments' losses again; used only when
    it has one row per segment of the engine, in order.

    ``operable``: per valve of ``net.flow`` (``flow.valves`` order), can it be closed
    (default ``net.valve_operable``; :mod:`gasnet.advise` asks "what if this one were
    repaired"). ``passed``: a dict to fill with, per segment whose area grew, the valve
    indices the growth passed; a valve passed by no segment's area changes no consequence
    whether or not it closes.
    """
    eng = net.engine
    cols = [f"{k}_lost" for k in eng.weights]
    t = segment_table
    if (
        t is not None
        and len(t) == eng.n_segments
        and {"segment_id", *cols} <= set(t.columns)
        and (pd.to_numeric(t["segment_id"], errors="coerce").to_numpy() == np.arange(len(t))).all()
    ):
        loss = t[cols].reset_index(drop=True).astype(float)
    else:
        loss, _ = eng.segment_losses()
    segments = np.unique(np.asarray(segments, np.int64))
    out = pd.DataFrame(
        {f"{k}_lost": loss[f"{k}_lost"].to_numpy()[segments] for k in eng.weights},
        index=pd.Index(segments, name="segment_id"),
    )
    nz = eng.n_zones
    operable = net.valve_operable if operable is None else operable
    weak_valve = ~np.asarray(operable, bool) & eng.valve_open
    side_seg = eng.zone_seg[eng.vz_zone]
    weak = weak_valve[eng.vz_valve] & np.isin(side_seg, segments)
    v, s = eng.vz_valve[weak], side_seg[weak]
    live = eng.live_behind(v, s) if len(v) else np.zeros(0, bool)
    # The segments on each valve's sides (a valve on a junction has several): the (valve,
    # zone) pairs are sorted by valve.
    vptr = np.r_[0, np.cumsum(np.bincount(eng.vz_valve, minlength=len(weak_valve)))]

    def sides(c: int) -> set[int]:
        return set(side_seg[vptr[c] : vptr[c + 1]].tolist())

    zptr, zones = eng.segment_zones
    grown_loss = {}
    for start in np.unique(s[live]).tolist():
        region = {start}
        went = set()
        while True:
            members = sorted(region)
            W = np.concatenate([zones[zptr[m] : zptr[m + 1]] for m in members])
            at = np.isin(side_seg, members) & weak_valve[eng.vz_valve]
            cand = np.unique(eng.vz_valve[at])
            cand = np.array([c for c in cand.tolist() if sides(c) - region], np.int64)
            if not len(cand):
                break
            x = nz + cand
            grown = cand[eng.reached[x] & ~eng.is_lost(W, x)]
            went.update(grown.tolist())
            new = set().union(*(sides(c) for c in grown.tolist())) - region
            if not new:
                break
            region |= new
        grown_loss[start] = eng.lost_totals(eng.segment_removal(sorted(region)))
        if passed is not None:
            passed[start] = np.array(sorted(went), np.int64)
    if grown_loss:
        at = out.index.get_indexer(list(grown_loss))
        for k in eng.weights:
            col = out[f"{k}_lost"].to_numpy().copy()
            col[at] = [t[k] for t in grown_loss.values()]
            out[f"{k}_lost"] = col
    return out


def _exposure(pairs_where: np.ndarray, radius: np.ndarray, customers) -> tuple[np.ndarray, ...]:
    """(customers, households) within ``radius`` of each geometry (NaN radius: none)."""
    n = len(pairs_where)
    cnt, hh = np.zeros(n), np.zeros(n)
    ok = np.flatnonzero(np.isfinite(radius) & (radius > 0))
    cg = geoms(customers)
    present = np.flatnonzero(~(shapely.is_missing(cg) | shapely.is_empty(cg)))
    if not len(ok) or not len(present):
        return cnt, hh
    tree = shapely.STRtree(cg[present])
    qi, qc = tree.query(pairs_where[ok], predicate="dwithin", distance=radius[ok])
    households = pd.to_numeric(customers["households"], errors="coerce").fillna(0).to_numpy()
    cnt[ok] = np.bincount(qi, minlength=len(ok))
    hh[ok] = np.bincount(qi, weights=households[present[qc]], minlength=len(ok))
    return cnt, hh


@dataclass
class Assessment:
    """The hazard stage's results (README, "Hidden hazards", documents every column).

    Attributes
    ----------
    matches
        ``hazard_matches``: one row per hazard and pipe it threatens (MATCH_COLUMNS).
    risk
        ``risk``: one row per hazard record, ranked (RISK_COLUMNS, geometry).
    pipes, segments
        Roll-ups per pipe / segment (index pipe_id / segment_id; ROLLUP_COLUMNS).
    report
        Quality rows: major_by_rule, due_before_found, no_pipe_within_reach.
    as_of
        The day overdue was counted to.
    """

    matches: pd.DataFrame
    risk: gpd.GeoDataFrame
    pipes: pd.DataFrame
    segments: pd.DataFrame
    report: Report
    as_of: datetime.date


def _day(value) -> datetime.date:
    """The as-of day: a date, the day of a datetime, or ISO text (YYYY-MM-DD)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(
            f"as_of={value!r} is not a date; give a datetime.date or YYYY-MM-DD"
        ) from None


def _records(hazards: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The records as :func:`assess` reads them: every field of the hazards layer (one the
    frame lacks takes its default: severity general, status open, else blank), in the
    network's CRS (records in another used to match nothing, in silence)."""
    if "hazard_id" not in hazards.columns:
        raise InputError("the hazard records have no hazard_id column")
    if hazards.crs is not None and edges.crs is not None and hazards.crs != edges.crs:
        raise InputError(
            f"the hazard records are in {hazards.crs.to_string()}, the network in "
            f"{edges.crs.to_string()}; give them in its CRS: hazards.to_crs(net.edges.crs)"
        )
    spec = LAYERS["hazards"]
    missing = [f for f in spec.fields if f not in hazards.columns]
    return hazards.assign(**{f: spec.defaults.get(f) for f in missing}) if missing else hazards


def _days(values) -> np.ndarray:
    """Each date (``YYYY-MM-DD`` as ingest writes it, or a date) as its day number
    (:meth:`datetime.date.toordinal`), by position; NaN when blank or not a date. Any year
    from 1 to 9999: pandas' nanosecond timestamps (1677 to 2262, pandas 2) read a typo such
    as 1026-04-10 as blank, never overdue."""
    values = np.asarray(values)
    if values.dtype.kind == "M":  # numpy dates of any unit: as datetime.date (NaT: blank)
        values = values.astype("datetime64[D]")
    codes, uniques = pd.factorize(pd.Series(values.astype(object)))
    day = np.full(len(uniques) + 1, np.nan)  # the last: blanks (code -1)
    for k, v in enumerate(uniques.tolist()):
        try:
            day[k] = (
                v.toordinal()
                if isinstance(v, datetime.date)
                else datetime.date.fromisoformat(str(v)[:10]).toordinal()
            )
        except (TypeError, ValueError):
            pass
    return day[codes]


def _rules_met(settings, cat_name, cls_idx, dist, prot) -> np.ndarray:
    """Per pair: the name of the first major-hazard rule it meets ('' for none)."""
    out = np.full(len(dist), "", dtype=object)
    rank = np.r_[[PRESSURE_RANK[c] for c in PRESSURE_CLASSES], 99]  # no class: counts as met
    for rule in reversed(settings.rules):  # the first rule listed wins
        within = prot if rule.within == "protection" else float(rule.within)
        met = (
            np.isin(cat_name, rule.categories)
            & (rank[cls_idx] >= PRESSURE_RANK[rule.min_pressure_class])
            & (dist <= within + 1e-9)
        )
        out[met] = rule.name
    return out


def assess(
    net,
    settings: HazardSettings | None = None,
    *,
    as_of: datetime.date | str | None = None,
    segment_table=None,
) -> Assessment:
    """Overlay every hazard record on ``net`` and rank them (README, "Hidden hazards").

    ``as_of`` (default ``settings.as_of``, else today) is the day overdue is counted to: a
    date, a datetime (its day) or ``"YYYY-MM-DD"``. ``segment_table``: the network's
    ``segments`` layer, if at hand (see :func:`segment_consequence`).

    Score of a record = category_weight x severity_weight x distance_factor x overdue_factor
    x consequence, taken on the pipe part where that product is largest (its pipe_id and
    segment_id are the record's):

    - distance_factor: 1 within the pipe class's protection range, falling linearly to 0 at
      the influence distance;
    - overdue_factor: 1 + overdue_per_30_days x days_overdue / 30, at most overdue_max
      (days past ``due_on``, counted to ``as_of``, while not closed);
    - consequence = 1 + log10(1 + households_lost + critical_households x critical_lost +
      exposed_weight x exposed_households): what is lost if the part has to be isolated (the
      burst plan, past inoperable valves) and the households within the impact radius
      (:func:`impact_radius_m`) of the failure point.

    Tier: P1 every open or in-progress major hazard (recorded, or by a rule of
    ``settings.rules``); P2 / P3 the other open ones by ``p2_min_score``; closed last. Ranked
    by tier, score, days overdue, then the records' order.
    """
    settings = settings or HazardSettings()
    as_of = _day(as_of or settings.as_of or datetime.date.today())
    edges = net.layers["edges"]
    hz = _records(net.layers["hazards"], edges)
    report = Report(crs=edges.crs)
    n = len(hz)
    pairs = overlay(hz, edges, settings)
    h, e = pairs["h"].to_numpy(), pairs["e"].to_numpy()
    eng = net.engine
    edge_ids = edges["edge_id"].to_numpy()
    live_pos = np.searchsorted(edge_ids, net.flow.live_edges)
    seg_of_edge = np.full(len(edges), -1, np.int64)
    seg_of_edge[live_pos] = eng.zone_seg[eng.edge_zone]
    seg = seg_of_edge[e]
    # -- per record --------------------------------------------------------------------------
    cat_raw = hz["category"].astype(object).to_numpy()
    cat = np.array(_CATS, dtype=object)[_category_index(cat_raw)]
    sev_raw = hz["severity"].astype(object).to_numpy()
    status = hz["status"].astype(object).to_numpy()
    closed = status == "closed"
    found, due = _days(hz["found_on"]), _days(hz["due_on"])
    days = as_of.toordinal() - due
    days_overdue = np.where(~closed & np.isfinite(days), np.maximum(days, 0), 0).astype(np.int64)
    overdue_factor = np.minimum(
        1 + settings.overdue_per_30_days * days_overdue / 30, settings.overdue_max
    )
    # -- per pair ----------------------------------------------------------------------------
    cls_idx = _class_index(edges["pressure_class"].to_numpy()[e])
    dist, radius, prot = (
        pairs[c].to_numpy() for c in ("distance_m", "influence_m", "protection_m")
    )
    rule = _rules_met(settings, cat[h], cls_idx, dist, prot)
    span = radius - prot
    dfac = np.where(
        dist <= prot + 1e-9, 1.0, np.clip((radius - dist) / np.where(span > 0, span, 1), 0, 1)
    )
    cons = segment_consequence(net, seg[seg >= 0], segment_table) if len(seg) else None
    lost = {k: np.zeros(len(pairs)) for k in ("customers", "households", "critical")}
    if cons is not None:
        for k in lost:
            lost[k] = cons[f"{k}_lost"].reindex(seg).fillna(0).to_numpy()
    shapes = _shapes(hz)
    eg, hg = geoms(edges)[e], shapes[h]
    # The failure point: the point of the pipe part nearest the record (a point record: its
    # projection on the line, which is what shortest_line gives, three times faster).
    near = np.empty(len(e), dtype=object)
    is_pt = shapely.get_type_id(hg) == shapely.GeometryType.POINT
    near[is_pt] = shapely.line_interpolate_point(
        eg[is_pt], shapely.line_locate_point(eg[is_pt], hg[is_pt])
    )
    near[~is_pt] = shapely.get_point(shapely.shortest_line(eg[~is_pt], hg[~is_pt]), 0)
    r_imp = impact_radius_m(
        edges["diameter_mm"].to_numpy()[e], edges["pressure_class"].to_numpy()[e]
    )
    exp_c, exp_h = _exposure(near, r_imp, net.layers["customers"])
    people = lost["households"] + settings.critical_households * lost["critical"]
    people = people + settings.exposed_weight * exp_h
    consequence = 1 + np.log10(1 + people)
    cw = np.array([settings.category_weight[c] for c in _CATS])[_category_index(cat_raw)]
    # Major: recorded, or a rule met on any pipe part within reach.
    ruled = np.flatnonzero(rule != "")  # pairs are sorted by record: the first pair per record
    first_h, at = np.unique(h[ruled], return_index=True)
    major_rule = np.full(n, "", dtype=object)
    major_rule[first_h] = rule[ruled[at]]
    major = (sev_raw == "major") | (major_rule != "")
    sw = np.where(major, settings.severity_weight["major"], settings.severity_weight["general"])
    pair_score = cw[h] * sw[h] * dfac * overdue_factor[h] * consequence
    # The governing pair of each record: the largest score (then the nearest, then the first).
    gov_order = np.lexsort((np.arange(len(h)), dist, -pair_score, h))
    first = np.r_[True, h[gov_order][1:] != h[gov_order][:-1]] if len(h) else np.zeros(0, bool)
    gov = np.full(n, -1, np.int64)
    gov[h[gov_order][first]] = gov_order[first]
    has = gov >= 0
    g = np.where(has, gov, 0)

    def per(values, fill=np.nan):
        values = np.asarray(values)
        out = np.full(n, fill, dtype=float if fill is np.nan else values.dtype)
        if len(values):
            out[has] = values[g[has]]
        return out

    likelihood = cw * sw * per(dfac, 0.0) * overdue_factor
    cons_h = per(consequence)
    score = np.where(has, likelihood * np.nan_to_num(cons_h), 0.0)
    tier = np.where(
        closed,
        "closed",
        np.where(major, "P1", np.where(score >= settings.p2_min_score, "P2", "P3")),
    )
    pipe_of_edge = edges["pipe_id"].to_numpy(object)
    matched = pd.Series(pipe_of_edge[e]).groupby(h).nunique()
    # -- notes and quality rows --------------------------------------------------------------
    notes = np.full(n, "", dtype=object)

    def note(mask, text) -> None:
        """Append ``text`` (one string, or one per selected record) to the notes of ``mask``."""
        old = notes[mask]
        notes[mask] = np.where(old == "", "", old + "; ") + text

    ids = hz["hazard_id"].astype(str).to_numpy()
    hgeom = geoms(hz)
    located = ~(shapely.is_missing(hgeom) | shapely.is_empty(hgeom))
    general_major = (major_rule != "") & (sev_raw != "major")
    if general_major.any():
        rows = np.flatnonzero(general_major)
        rules = {r.name: r for r in settings.rules}
        recorded = pd.Series(sev_raw[rows], dtype=object).fillna("blank").astype(str)
        note(general_major, "major by rule " + major_rule[rows] + " (recorded " + recorded + ")")
        report.add(
            "major_by_rule",
            "warning",
            "hazards",
            "recorded as general (or without a severity), but a major-hazard criterion makes "
            "it major; ranked as major",
            "correct the severity in the inspection record (README, 'Hidden hazards')",
            ids=ids[rows],
            geometries=hgeom[rows],
            details=[f"{rules[x].text}; {rules[x].source}" for x in major_rule[rows]],
        )
    blank_cat = pd.isna(cat_raw)
    unknown_cat = ~blank_cat & (cat_raw != cat)
    note(
        unknown_cat,
        "category " + cat_raw[unknown_cat].astype(str) + " not recognised: weighted as other",
    )
    note(blank_cat, "no category: weighted as other")
    odd_sev = ~pd.isna(sev_raw) & ~np.isin(sev_raw, ["major", "general"]) & ~major
    note(
        odd_sev, "severity " + sev_raw[odd_sev].astype(str) + " not recognised: weighted as general"
    )
    odd_status = ~np.isin(status, ["open", "in_progress", "closed"])
    note(
        odd_status, "status " + status[odd_status].astype(str) + " not recognised: treated as open"
    )
    backwards = due < found
    if backwards.any():
        rows = np.flatnonzero(backwards)
        report.add(
            "due_before_found",
            "warning",
            "hazards",
            "due_on is before found_on; overdue is counted from due_on as recorded",
            "correct the dates in the inspection record",
            ids=ids[rows],
            geometries=hgeom[rows],
            details=[
                f"found {datetime.date.fromordinal(int(found[i]))}, due "
                f"{datetime.date.fromordinal(int(due[i]))}"
                for i in rows
            ],
        )
        note(backwards, "due_on before found_on")
    note(~located, "no coordinates: not placed, no pipe matched")
    far = located & ~has
    if far.any():
        rows = np.flatnonzero(far)
        report.add(
            "no_pipe_within_reach",
            "warning",
            "hazards",
            "no in-service pipe within the record's influence distance; kept in risk with "
            "no consequence",
            "check the record's position, or widen [hazards.influence_m] for its category",
            ids=ids[rows],
            geometries=hgeom[rows],
            details=_nearest_text(hgeom[rows], cat[rows], edges, settings),
        )
        note(far, "no pipe within reach")
    note(has & ~np.isfinite(per(r_imp)), "pipe without a usable diameter: exposure not counted")
    # -- the risk table ----------------------------------------------------------------------
    pt = np.where(located, shapes, None)
    area = shapely.get_type_id(pt) != shapely.GeometryType.POINT
    pt[area] = shapely.point_on_surface(pt[area])
    lon, lat = to_wgs84(edges.crs.to_string()).transform(shapely.get_x(pt), shapely.get_y(pt))
    risk = gpd.GeoDataFrame(
        {
            "tier": tier,
            "score": np.round(score, 6),
            "hazard_id": hz["hazard_id"].to_numpy(),
            "category": cat_raw,
            "severity": np.where(major, "major", np.where(pd.isna(sev_raw), None, sev_raw)),
            "major": major,
            "major_rule": major_rule,
            "status": status,
            "found_on": hz["found_on"].to_numpy(object),
            "due_on": hz["due_on"].to_numpy(object),
            "days_overdue": days_overdue,
            "pipes_matched": matched.reindex(np.arange(n)).fillna(0).astype(int).to_numpy(),
            "pipe_id": np.where(has, pipe_of_edge[e][g] if len(e) else None, None),
            "segment_id": pd.arrays.IntegerArray(
                np.where(has, per(seg, -1), 0).astype(np.int64), ~has
            ),
            "pressure_class": np.where(
                has, edges["pressure_class"].to_numpy(object)[e][g] if len(e) else None, None
            ),
            "distance_m": per(dist),
            "influence_m": per(radius),
            "protection_m": per(prot),
            "category_weight": cw,
            "severity_weight": sw,
            "distance_factor": per(dfac, 0.0),
            "overdue_factor": overdue_factor,
            "likelihood": likelihood,
            "customers_lost": per(lost["customers"]),
            "households_lost": per(lost["households"]),
            "critical_lost": per(lost["critical"]),
            "impact_radius_m": per(r_imp),
            "exposed_customers": per(exp_c),
            "exposed_households": per(exp_h),
            "consequence": cons_h,
            "notes": notes,
            "description": hz["description"].to_numpy(object),
            "lon": np.round(lon, 7),
            "lat": np.round(lat, 7),
        },
        geometry=hgeom,
        crs=hz.crs,
    )
    order = np.lexsort(
        (
            np.arange(n),  # then the order of the records (sorting a million ids costs seconds)
            -risk["days_overdue"].to_numpy(),
            -risk["score"].to_numpy(),
            pd.Categorical(risk["tier"], categories=TIERS).codes,
        )
    )
    risk = risk.iloc[order].reset_index(drop=True)
    risk.insert(0, "rank", np.arange(1, n + 1))
    risk = risk[[*RISK_COLUMNS, "geometry"]]
    # -- matches and roll-ups ----------------------------------------------------------------
    pair_pipe = pipe_of_edge[e]
    frame = pd.DataFrame(
        {
            "hazard_id": hz["hazard_id"].to_numpy()[h],
            "pipe_id": pair_pipe,
            "edge_id": edge_ids[e],
            "segment_id": seg,
            "distance_m": dist,
            "exposed_length_m": pairs["exposed_length_m"].to_numpy(),
            "influence_m": radius,
            "h": h,
        }
    )
    # One row per (record, pipe): its nearest part (then the lowest edge id), lengths added.
    pipe_code, pipe_names = pd.factorize(pair_pipe)
    frame["pipe_code"] = pipe_code
    order = np.lexsort((edge_ids[e], dist, pipe_code, h))
    head = (np.diff(h[order]) != 0) | (np.diff(pipe_code[order]) != 0)
    starts = np.flatnonzero(np.r_[True, head]) if len(order) else np.zeros(0, np.int64)
    pick = order[starts]
    matches = frame.iloc[pick][MATCH_COLUMNS].reset_index(drop=True)
    exposed_sum = np.add.reduceat(pairs["exposed_length_m"].to_numpy()[order], starts)
    matches["exposed_length_m"] = exposed_sum if len(starts) else np.zeros(0)
    per_h = pd.DataFrame(
        {
            "open": ~closed,
            "major": major & ~closed,
            "general": ~major & ~closed,
            "overdue": (days_overdue > 0) & ~closed,
            "tier": pd.Categorical(tier, categories=TIERS).codes,
            "score": score,
        }
    )
    open_pairs = frame[~closed[h]]
    pipe_roll = _rollup(open_pairs, "pipe_code", per_h)  # integer keys group fast
    pipe_roll.index = pd.Index(
        np.asarray(pipe_names, dtype=object)[pipe_roll.index], name="pipe_id"
    )
    seg_roll = _rollup(open_pairs, "segment_id", per_h)
    return Assessment(matches, risk, pipe_roll, seg_roll, report, as_of)


def _rollup(pairs: pd.DataFrame, key: str, per_h: pd.DataFrame) -> pd.DataFrame:
    """Open hazards per ``key`` (pipe or segment): counts, exposed length, best tier."""
    by = pairs.groupby([key, "h"], sort=False)["exposed_length_m"].sum().reset_index()
    by = by.join(per_h.astype(dict.fromkeys(("major", "general", "overdue"), np.int64)), on="h")
    g = by.groupby(key)
    out = pd.DataFrame(
        {
            "hazards_open": g["h"].nunique(),
            "hazards_major": g["major"].sum(),
            "hazards_general": g["general"].sum(),
            "hazards_overdue": g["overdue"].sum(),
            "hazard_exposed_m": g["exposed_length_m"].sum(),
            "hazard_tier": g["tier"].min().map(dict(enumerate(TIERS))),
            "hazard_score": g["score"].max(),
        }
    )
    return out[ROLLUP_COLUMNS]


def add_rollups(layer: pd.DataFrame, key: str, rollup: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``layer`` with the ROLLUP_COLUMNS of ``rollup`` joined on ``key`` (0 / None
    where no open hazard threatens it)."""
    out = layer.drop(columns=[c for c in ROLLUP_COLUMNS if c in layer.columns]).copy()
    joined = rollup.reindex(out[key].to_numpy())
    for col in ROLLUP_COLUMNS:
        values = joined[col].to_numpy()
        if col == "hazard_tier":
            out[col] = np.where(pd.isna(values), None, values)
        elif col in ("hazard_score", "hazard_exposed_m"):
            out[col] = np.nan_to_num(values.astype(float))
        else:  # counts
            out[col] = np.nan_to_num(values.astype(float)).astype(np.int64)
    return out


def _nearest_text(points, cats, edges, settings) -> list[str]:
    """For records that match no pipe: the nearest in-service pipe, its distance, and how far
    the record's category reaches from it."""
    infl, _ = _tables(settings)
    live = np.flatnonzero((edges["status"] == "in_service").to_numpy())
    out = ["no pipe is in service"] * len(points)
    if not len(live):
        return out
    tree = shapely.STRtree(geoms(edges)[live])
    (qi, qe), d = tree.query_nearest(points, return_distance=True, all_matches=False)
    pid, pcls = edges["pipe_id"].to_numpy(object), edges["pressure_class"].to_numpy(object)
    near = live[qe]
    shown = pd.Series(pcls[near], dtype=object).fillna("no pressure class").astype(str)
    reach = infl[_category_index(cats[qi]), _class_index(pcls[near])]
    text = (
        "nearest in-service pipe "
        + pd.Series(pid[near], dtype=object).astype(str)
        + " ("
        + shown
        + ") is "
        + pd.Series(d).map("{:.1f}".format)
        + " m away; "
        + pd.Series(cats[qi], dtype=object).astype(str)
        + " reaches "
        + pd.Series(reach).map("{:g}".format)
        + " m from it"
    )
    for i, t in zip(qi.tolist(), text.tolist(), strict=True):
        out[i] = t
    return out
