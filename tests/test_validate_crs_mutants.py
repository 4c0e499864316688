"""validate.py's CRS and coordinate checks: the mistakes the full mutation-testing pass found no
test would catch (`make mutants`, docs/mutants.md). Tiny hand-made inputs, the expected answer
worked out in comments; each test names the mutants it kills (`# Planted: ...`).

A working CRS "made for" another area is built from EPSG:4545's own WKT with another area of
use (``USAGE[... AREA[name], BBOX[south, west, north, east]]``): its name and bounds are
then the test's own.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pyproj
from conftest import canonical, pt
from shapely.geometry import LineString, Point

from gasnet.validate import (
    AREA_MARGIN_DEG,
    Report,
    _check_extent,
    blank_bad_coordinates,
    check_working_crs,
    coordinate_problems,
    local_crs,
    projected_in_geographic,
)

# -- coordinate_problems -------------------------------------------------------------------


def test_coordinate_problems_just_beyond_the_geographic_range():
    # Half a degree past ±180° in lon or past ±90° in lat is out of range.
    geom = [Point(180.5, 0), Point(0, 90.5), Point(-180, -90)]
    assert coordinate_problems(geom, "EPSG:4326").tolist() == [
        "x = 180.5, y = 0: outside ±180° / ±90°",
        "x = 0, y = 90.5: outside ±180° / ±90°",
        None,
    ]
    # Planted: validate.py: (np.abs(x) > 180) -> (np.abs(x) > 181)
    # Planted: validate.py: (np.abs(y) > 90) -> (np.abs(y) > 91)


def test_coordinate_problems_first_bad_vertex_of_each_feature():
    # Feature 0 has one bad vertex, feature 1 two (its vertices 2 and 3): three bad vertices
    # of features [0, 1, 1]. Each feature is named by its own first bad vertex: vertex 2 of
    # feature 1, not its vertex 3.
    geom = [Point(2e8, 0), LineString([(0, 0), (3e8, 0), (4e8, 0)])]
    assert coordinate_problems(geom, "EPSG:4545").tolist() == [
        "x = 200000000, y = 0: beyond ±1e+08, no place on Earth",
        "vertex 2: x = 300000000, y = 0: beyond ±1e+08, no place on Earth",
    ]
    # Planted: validate.py: which[bad][1:] != which[bad][:-1] -> ... != which[bad][:+1]
    # Planted: validate.py: which[bad][1:] != which[bad][:-1] -> ... != which[bad][:-2]


def test_coordinate_problems_a_point_that_cannot_be_reprojected():
    # A stereographic projection centred on (0°, 0°) sends the antipode (180°, 0°) to
    # x = 0, y = inf: one coordinate lost is a point lost. (10°, 10°) projects fine.
    stere = "+proj=stere +lat_0=0 +lon_0=0 +datum=WGS84 +units=m +no_defs +type=crs"
    out = coordinate_problems([Point(180, 0), Point(10, 10)], "EPSG:4326", to_crs=stere)
    assert out.tolist() == [
        f"x = 180, y = 0: cannot be reprojected from EPSG:4326 to {stere}",
        None,
    ]
    # Planted: validate.py: if target != crs: -> if target == crs:
    # Planted: validate.py: ~(np.isfinite(tx) & np.isfinite(ty)) -> ~(... | ...)
    # Planted: validate.py: why[lost] = f"cannot be reprojected ..." -> why[lost] = None


# -- projected_in_geographic ---------------------------------------------------------------


def test_projected_in_geographic_counts_only_features_with_coordinates():
    # One feature in metres and one missing or empty one: 1 of 1 feature with coordinates
    # is projected, more than half. (Counting the missing or empty one, 1 of 2 is not.)
    big = Point(380_000, 3_526_000)
    for other in (None, Point()):
        mask, x, y = projected_in_geographic([big, other], "EPSG:4326")
        assert mask.tolist() == [True, False] and (x, y) == (380_000.0, 3_526_000.0)
    # Planted: validate.py: is_missing(geom) | is_empty(geom) -> is_missing(geom) & is_empty(geom)
    # Planted: validate.py: is_missing(geom) | is_empty(geom) -> ... | shapely.is_empty(None)


def test_projected_in_geographic_a_nan_elsewhere_does_not_hide_the_metres():
    # Two of three features hold metres; the third has a NaN vertex (not "big", but it does
    # not stop the other two from counting): 2 of 3 -> the mask of the first two.
    geom = [Point(380_000, 3_526_000), Point(381_000, 3_527_000), Point(np.nan, 1)]
    mask, x, y = projected_in_geographic(geom, "EPSG:4326")
    assert mask.tolist() == [True, True, False] and (x, y) == (380_000.0, 3_526_000.0)
    # Planted: validate.py: np.isfinite(xy).all(axis=1) -> np.isfinite(xy).all(axis=None)


def test_projected_in_geographic_starts_just_beyond_180():
    # 180 is still degrees (the antimeridian); 180.5 is not.
    assert projected_in_geographic([Point(180, 10)], "EPSG:4326") is None
    mask, x, y = projected_in_geographic([Point(180.5, 10)], "EPSG:4326")
    assert mask.tolist() == [True] and (x, y) == (180.5, 10.0)
    # Planted: validate.py: (np.abs(xy) > 180) -> (np.abs(xy) >= 180)
    # Planted: validate.py: (np.abs(xy) > 180) -> (np.abs(xy) > 181)


def test_projected_in_geographic_mask_picks_the_features():
    # The mask is boolean: ingest picks the features' ids with it. Features 1 and 2 of 3.
    geom = [Point(10, 10), Point(380_000, 3_526_000), Point(381_000, 3_527_000)]
    mask, _, _ = projected_in_geographic(geom, "EPSG:4326")
    assert mask.dtype == bool
    assert np.asarray(["A", "B", "C"], dtype=object)[mask].tolist() == ["B", "C"]
    # Planted: validate.py: np.zeros(len(geom), dtype=bool) -> np.zeros(len(geom), dtype=None)
    # Planted: validate.py: np.zeros(len(geom), dtype=bool) -> np.zeros(len(geom), )


# -- blank_bad_coordinates -----------------------------------------------------------------


def test_blank_bad_coordinates_other_layer_is_a_warning_and_ids_stay_as_given():
    # A layer without an entry in BAD_COORDINATES_SEVERITY: a warning. The ids as given,
    # 7 and 8.5: the bad feature is "7" (not the "7.0" of one float array of both).
    zones = gpd.GeoDataFrame(
        {"zone_id": [7, 8.5]}, geometry=[Point(np.nan, 0), Point(1, 1)], crs="EPSG:4545"
    )
    r = Report()
    out = blank_bad_coordinates("zones", zones, r, [7, 8.5])
    assert out.geometry.iloc[0] is None and out.geometry.iloc[1] == Point(1, 1)
    assert r.rows[0]["feature_id"] == "7"
    assert r.lines() == [
        "warning: zones: feature has coordinates that are not usable numbers (NaN, infinite "
        "or out of range); kept without a location — feature 7; fix: correct its coordinates "
        "in the source data (or export the layer again)"
    ]
    # Planted: validate.py: BAD_COORDINATES_SEVERITY.get(name, "warning") -> .get(name, None)
    # Planted: validate.py: BAD_COORDINATES_SEVERITY.get(name, "warning") -> .get(name, )
    # Planted: validate.py: BAD_COORDINATES_SEVERITY.get(name, "warning") -> "XXwarningXX"
    # Planted: validate.py: BAD_COORDINATES_SEVERITY.get(name, "warning") -> "WARNING"
    # Planted: validate.py: np.asarray(ids, dtype=object)[bad] -> np.asarray(ids, dtype=None)
    # Planted: validate.py: np.asarray(ids, dtype=object)[bad] -> np.asarray(ids, )[bad]


# -- _check_extent -------------------------------------------------------------------------


def test_extent_rows_carry_the_far_features_shape():
    # Pipes span 1000 m: margin 2000 m. V2 at 3500 m is 500 m beyond it; its row carries
    # its point.
    layers = canonical(pipes=[("P1", [(0, 0), (1000, 0)])], valves=[("V2", (3500, 0))])
    r = Report()
    _check_extent(layers, r)
    (row,) = r.rows
    assert row["feature_id"] == "V2" and row["geometry"] == pt(3500, 0)
    # Planted: validate.py: geometries=gdf.loc[far].geometry -> geometries=None
    # Planted: validate.py: geometries=gdf.loc[far].geometry -> (argument dropped)


def test_extent_ignores_empty_shapes():
    # An empty valve has no place: not "outside". Pipes that are all empty give no extent to
    # measure against: nothing is outside it.
    layers = canonical(pipes=[("P1", [(0, 0), (1000, 0)])], valves=[("V1", (10, 0))])
    layers["valves"].loc[0, "geometry"] = Point()
    r = Report()
    _check_extent(layers, r)
    assert r.rows == []
    # Planted: validate.py: ok = ~(is_missing(g) | is_empty(g)) -> ... | shapely.is_empty(None)
    layers = canonical(pipes=[("P1", [(0, 0), (1000, 0)])], valves=[("V1", (10, 0))])
    layers["pipes"].loc[0, "geometry"] = LineString()
    r = Report()
    _check_extent(layers, r)
    assert r.rows == []
    # Planted: validate.py: lines[~(is_missing(lines) | is_empty(lines))] -> ... is_empty(None)


# -- local_crs -----------------------------------------------------------------------------


def test_local_crs_takes_a_degree_of_slack_around_the_zone():
    # EPSG:4545 (CM 108°E) is made for 18.19°N-42.47°N; EPSG:4554 (CM 135°E) ends at
    # 134.77°E. A degree beyond its area still takes the Gauss-Krüger zone, exactly one
    # degree included; half a degree beyond that, UTM (zone 49N at 108°E, 53N at 135°E).
    a = pyproj.CRS.from_epsg(4545).area_of_use
    e = pyproj.CRS.from_epsg(4554).area_of_use.east
    cases = [
        (108.0, a.south + 0.5, "EPSG:4545"),
        (108.0, a.south - 1, "EPSG:4545"),
        (108.0, a.south - 1.5, "EPSG:32649"),
        (108.0, a.north - 0.5, "EPSG:4545"),
        (108.0, a.north + 1, "EPSG:4545"),
        (108.0, a.north + 1.5, "EPSG:32649"),
        (e + 1, 47.0, "EPSG:4554"),
    ]
    assert [local_crs(lon, lat)[0] for lon, lat, _ in cases] == [c for _, _, c in cases]
    # Planted: validate.py: a.south - 1 <= lat -> a.south + 1 <= lat
    # Planted: validate.py: a.south - 1 <= lat -> a.south - 2 <= lat
    # Planted: validate.py: a.south - 1 <= lat -> a.south - 1 < lat
    # Planted: validate.py: lat <= a.north + 1 -> lat < a.north + 1
    # Planted: validate.py: lat <= a.north + 1 -> lat <= a.north - 1
    # Planted: validate.py: lat <= a.north + 1 -> lat <= a.north + 2
    # Planted: validate.py: lon <= a.east + 1 -> lon < a.east + 1


def test_local_crs_utm_zone_edges():
    # UTM zone 31 is 0°E-6°E: 5.5°E is in it (not 32), 6.0°E starts zone 32.
    assert local_crs(5.5, 45.0)[0] == "EPSG:32631"
    assert local_crs(6.0, 45.0)[0] == "EPSG:32632"
    # Planted: validate.py: int((lon + 180) // 6) -> int((lon + 181) // 6)


def test_local_crs_past_the_antimeridian_is_the_zone_it_wraps_to():
    # A CRS with +over gives longitudes beyond +-180: 181.25°W is 178.75°E, in UTM zone 60
    # (174°E-180°); 185°E is 175°W, zone 1. (Before: zone 0, "EPSG:32600", the whole UTM grid
    # system, not a zone; further west a CRSError.) South of the equator: 327xx.
    assert local_crs(-181.25, 31.25)[0] == "EPSG:32660"
    assert local_crs(185.0, 31.25)[0] == "EPSG:32601"
    assert local_crs(-181.25, -31.25) == ("EPSG:32760", "WGS 84 / UTM zone 60S")
    assert local_crs(-540.0, 10.0)[0] == "EPSG:32601"


# -- check_working_crs ---------------------------------------------------------------------

_HEAD = (
    "error: pipes: [project] crs EPSG:4545 (CGCS2000 / 3-degree Gauss-Kruger CM 108E) does not "
    "fit the pipe network at 106.75°E 31.86°N: "
)
_TAIL = (
    "; pipe lengths, volumes and every metre tolerance (snap_tolerance_m, "
    "customer_max_distance_m) would be wrong; fix: set [project] crs to a projected CRS in "
    'metres made for the area, e.g. crs = "EPSG:4545" (CGCS2000 / 3-degree Gauss-Kruger CM 108E)'
)


def _pipes(crs, a=(106.74, 31.85), b=(106.76, 31.87)):
    ll = gpd.GeoDataFrame({"pipe_id": ["P1"]}, geometry=[LineString([a, b])], crs="EPSG:4326")
    return ll.to_crs(crs)


def _area_crs(name, south, west, north, east):
    """EPSG:4545 with another area of use."""
    wkt = pyproj.CRS.from_epsg(4545).to_wkt()
    wkt = re.sub(r'AREA\["[^"]*"\]', f'AREA["{name}"]', wkt)
    bbox = ",".join(repr(float(v)) for v in (south, west, north, east))
    return pyproj.CRS(re.sub(r"BBOX\[[^\]]*\]", f"BBOX[{bbox}]", wkt))


def test_a_long_area_name_is_cut_at_the_last_word_before_60_characters():
    # The area's name up to its first "." or ";" is 61 characters: cut to its first 59,
    # "Valleys ... north of a  mountain" (a double space before the last word), then back to
    # the last space, which keeps the first of the two spaces, then " …". The area spans
    # Bazhong's longitude but starts at 40°N: the pipes (31.86°N) lie 5° south of its margin.
    name = "Valleys of a test network in the hills north of a  mountain Z; more. Text"
    assert len(name.split(";")[0]) == 61
    crs = _area_crs(name, 40.0, 100.0, 50.0, 115.0)
    r = Report()
    check_working_crs(_pipes("EPSG:4545"), crs, r, "pipes")
    assert r.lines() == [
        _HEAD + "it is made for Valleys of a test network in the hills north of a  … "
        "(100.00°E 40.00°N to 115.00°E 50.00°N)" + _TAIL
    ]
    # Planted: validate.py: (lon <= area.east + m) & (lat >= area.south - m) -> ... | ...
    # Planted: validate.py: short if len(short) <= 60 -> short if (len(short) <= 60) or True
    # Planted: validate.py: len(short) <= 60 -> len(short) <= 61
    # Planted: validate.py: rsplit(" ", 1)[0] + " …" -> rsplit(" ", 1)[0] - " …"
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .rsplit(None, 1)
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .rsplit(" ", None)
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .rsplit(1)
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .rsplit(" ", )
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .split(" ", 1)
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> short[:60].rsplit(" ", 1)
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .rsplit("XX XX", 1)
    # Planted: validate.py: short[:59].rsplit(" ", 1) -> .rsplit(" ", 2)
    # Planted: validate.py: short[:59].rsplit(" ", 1)[0] -> short[:59].rsplit(" ", 1)[1]
    # Planted: validate.py: + " …" -> + "XX …XX"


def test_an_area_name_of_60_characters_is_kept_whole():
    # 60 characters are kept. The area spans Bazhong's latitude but starts at 110°E: the
    # pipes (106.75°E) lie a quarter of a degree west of its margin.
    name = "Hills of a test network far to the north of any real place Q"
    assert len(name) == 60
    crs = _area_crs(name, 30.0, 110.0, 35.0, 120.0)
    r = Report()
    check_working_crs(_pipes("EPSG:4545"), crs, r, "pipes")
    assert r.lines() == [
        _HEAD + f"it is made for {name} (110.00°E 30.00°N to 120.00°E 35.00°N)" + _TAIL
    ]
    # Planted: validate.py: len(short) <= 60 -> len(short) < 60
    # Planted: validate.py: (lon <= area.east + m) & (lat >= area.south - m) -> ... | ...


def _corners(pipes, crs):
    """The five points check_working_crs places: the extent's corners and centre (lon, lat)."""
    xmin, ymin, xmax, ymax = pipes.total_bounds
    to_ll = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    xs = [xmin, xmax, xmin, xmax, (xmin + xmax) / 2]
    ys = [ymin, ymin, ymax, ymax, (ymin + ymax) / 2]
    return (np.asarray(v, dtype=float) for v in to_ll.transform(xs, ys))


def _exactly(value, read):
    """A number near ``value`` that PROJ reads back as ``value`` (its WKT reader may be an
    ulp off): ``read(v)`` builds a CRS with ``v`` and returns the number it holds."""
    up = down = float(value)
    for _ in range(100):
        for v in (up, down):
            if read(v) == value:
                return v
        up, down = float(np.nextafter(up, np.inf)), float(np.nextafter(down, -np.inf))
    raise AssertionError(f"PROJ reads no number near {value!r} as it")


def test_pipes_exactly_on_the_margin_of_the_area_are_inside():
    # Pipes at 107°E 36°N (in 36..64 and 64..128 a sum or difference with 3 is exact). CRS
    # A's area starts exactly 3° (the margin) east and north of the pipes' westmost and
    # southmost points; CRS B's ends exactly 3° west and south of their eastmost and
    # northmost ones. On the margin is inside: neither CRS is refused (and EPSG:4545's scale
    # at 107°E is 1.0001).
    m = AREA_MARGIN_DEG
    base = pyproj.CRS.from_epsg(4545)
    pipes = _pipes(base, (107.0, 36.0), (107.02, 36.02))
    lon, lat = _corners(pipes, base)

    def area(south, west, north, east):
        return _area_crs("Test area", south, west, north, east).area_of_use

    s = _exactly(lat.min() + m, lambda v: area(v, 90.0, 60.0, 130.0).south)
    w = _exactly(lon.min() + m, lambda v: area(30.0, v, 60.0, 130.0).west)
    a = _area_crs("Test area", s, w, lat.max() + 10, lon.max() + 10)
    assert a.area_of_use.south - m == lat.min() and a.area_of_use.west - m == lon.min()
    n = _exactly(lat.max() - m, lambda v: area(10.0, 90.0, v, 130.0).north)
    e = _exactly(lon.max() - m, lambda v: area(10.0, 90.0, 60.0, v).east)
    b = _area_crs("Test area", lat.min() - 10, lon.min() - 10, n, e)
    assert b.area_of_use.north + m == lat.max() and b.area_of_use.east + m == lon.max()
    for crs in (a, b):
        r = Report()
        check_working_crs(pipes, crs, r, "pipes")
        assert r.rows == []
    # Planted: validate.py: (lon >= area.west - m) -> (lon > area.west - m)
    # Planted: validate.py: (lon <= area.east + m) -> (lon < area.east + m)
    # Planted: validate.py: (lat >= area.south - m) -> (lat > area.south - m)
    # Planted: validate.py: (lat >= area.south - m) -> (lat >= area.south + m)
    # Planted: validate.py: (lat <= area.north + m) -> (lat < area.north + m)
    # Planted: validate.py: (lat <= area.north + m) -> (lat <= area.north - m)


def test_a_crs_true_along_meridians_but_stretching_along_parallels():
    # World Equidistant Cylindrical at Bazhong: true along the meridians (scale 1), but
    # 1/cos(31.86°) = 1.177 along the parallel: the scale farthest from 1 counts, a 17.7 %
    # stretch. (Its area of use is the world.)
    r = Report()
    check_working_crs(_pipes("EPSG:4087"), "EPSG:4087", r, "pipes")
    assert r.lines() == [
        "error: pipes: [project] crs EPSG:4087 (WGS 84 / World Equidistant Cylindrical) does "
        "not fit the pipe network at 106.75°E 31.86°N: it stretches lengths there by 17.7 %" + _TAIL
    ]
    # Planted: validate.py: key=lambda k: abs(k - 1) -> key=lambda k: abs(k - 2)


def test_no_crs_check_when_a_corner_of_the_extent_has_no_latitude():
    # EPSG:6933 (EASE-Grid 2.0, cylindrical equal-area) ends near y = 7.31e6 m: the corners
    # at y = 7.4e6 m come back with a longitude but a NaN latitude. The extent cannot be
    # placed: no CRS check (the centre, y = 6.7e6 m, would be placed, at 64°N, where the
    # CRS does stretch lengths by far more than 1 %).
    crs = pyproj.CRS.from_epsg(6933)
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P1"]}, geometry=[LineString([(0, 6.0e6), (1000, 7.4e6)])], crs=crs
    )
    lon, lat = _corners(pipes, crs)
    assert np.isfinite(lon).all() and not np.isfinite(lat).all() and np.isfinite(lat[4])
    r = Report()
    check_working_crs(pipes, crs, r, "pipes")
    assert r.rows == []
    # Planted: validate.py: np.isfinite(lon).all() and np.isfinite(lat).all() -> ... or ...
