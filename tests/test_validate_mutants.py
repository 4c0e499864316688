"""validate.py, function by function: the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Tiny frames, the expected report worked out in comments.

Coordinates are local metres (conftest.xy shifts them into EPSG:4545) unless a test says
otherwise.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from conftest import canonical, in_process_session, line, xy
from shapely.geometry import LineString, Point, Polygon

from gasnet import parallel
from gasnet.errors import ValidationError
from gasnet.validate import (
    QUALITY_COLUMNS,
    Report,
    _check_extent,
    _check_geometries,
    _check_ids,
    _geometry_checks,
    _lonlat,
    blank_bad_coordinates,
    check_working_crs,
    coordinate_problems,
    local_crs,
    projected_in_geographic,
    validate_layers,
)

# -- Report --------------------------------------------------------------------------------


def test_report_rows_carry_each_feature_and_its_detail():
    # Two features of one kind, the second with a detail: two rows; the message of the
    # second gets " (detail)"; ids become text, a missing id stays None.
    r = Report(crs="EPSG:4545")
    r.add("c", "warning", "pipes", "bad", "mend", ids=[7, None], details=[None, "3 m"])
    assert r.rows == [
        {
            "check": "c",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": "7",
            "message": "bad",
            "geometry": None,
        },
        {
            "check": "c",
            "severity": "warning",
            "layer": "pipes",
            "feature_id": None,
            "message": "bad (3 m)",
            "geometry": None,
        },
    ]
    assert r.counts() == {"error": 0, "warning": 2}
    assert not r.has_errors
    with pytest.raises(AssertionError):
        r.add("c", "fatal", "pipes", "bad")
    with pytest.raises(ValueError):  # a detail per id, no fewer
        r.add("c", "warning", "pipes", "bad", ids=["A", "B"], details=["1 m"])


def test_report_lines_one_per_kind_with_ids_details_and_fix():
    # An error shows each id with its detail (it stops the run before quality_issues is
    # written); a warning shows the bare ids. 10 ids -> the first 8 and "and 2 more".
    r = Report()
    r.add("e", "error", "pipes", "broken", "redraw", ids=["P1", "P2"], details=["x=1", None])
    r.add("w", "warning", "valves", "odd", ids=[f"V{i}" for i in range(10)], label="valves (v.shp)")
    r.add("w", "warning", "valves", "lonely", ids=["V9"])
    r.add("n", "warning", "customers", "no id shown")  # ids=(None,): no "feature" part
    assert r.lines() == [
        "error: pipes: broken — features P1 (x=1), P2; fix: redraw",
        "warning: valves (v.shp): odd — features V0, V1, V2, V3, V4, V5, V6, V7 and 2 more",
        "warning: valves: lonely — feature V9",
        "warning: customers: no id shown",
    ]
    assert r.lines("error") == ["error: pipes: broken — features P1 (x=1), P2; fix: redraw"]
    assert len(r.lines("warning")) == 3
    assert r.has_errors and r.counts() == {"error": 2, "warning": 12}


def test_report_lines_eight_ids_show_all_of_them():
    r = Report()
    r.add("w", "warning", "valves", "odd", ids=[f"V{i}" for i in range(8)])
    assert r.lines() == ["warning: valves: odd — features V0, V1, V2, V3, V4, V5, V6, V7"]


def test_report_kinds_split_by_message_and_layer():
    # Same check, other message or other layer: separate kinds, separate lines.
    r = Report()
    r.add("c", "warning", "pipes", "one", ids=["A"])
    r.add("c", "warning", "pipes", "one", ids=["B"])
    r.add("c", "warning", "pipes", "two", ids=["C"])
    r.add("c", "warning", "valves", "one", ids=["D"])
    assert r.lines() == [
        "warning: pipes: one — features A, B",
        "warning: pipes: two — feature C",
        "warning: valves: one — feature D",
    ]


def test_report_ids_of_one_check_in_one_layer():
    r = Report()
    r.add("dup", "error", "pipes", "m", ids=["A", "B"])
    r.add("dup", "error", "valves", "m", ids=["V"])
    r.add("other", "error", "pipes", "m", ids=["C"])
    r.add("dup", "error", "pipes", "m", ids=[None])
    assert r.ids("dup", "pipes") == {"A", "B"}


def test_report_extend_is_adding_in_turn():
    a, b, both = Report(), Report(), Report()
    a.add("c", "warning", "pipes", "m", "f", ids=["A"], details=["1"])
    b.add("c", "warning", "pipes", "m", "f", ids=["B"], details=["2"])
    b.add("e", "error", "valves", "x", ids=["V"])
    b.notice("read 3 files")
    both.add("c", "warning", "pipes", "m", "f", ids=["A"], details=["1"])
    both.add("c", "warning", "pipes", "m", "f", ids=["B"], details=["2"])
    both.add("e", "error", "valves", "x", ids=["V"])
    a.extend(b)
    assert a.rows == both.rows and a.lines() == both.lines()
    assert a.notices == ["read 3 files"] and a.has_errors
    # b itself is unchanged (its kinds were copied, not shared)
    assert b.lines("warning") == ["warning: pipes: m — feature B; fix: f"]


def test_report_frame_and_errors():
    r = Report(crs="EPSG:4545")
    empty = r.to_frame()
    assert list(empty.columns) == [*QUALITY_COLUMNS, "geometry"] and len(empty) == 0
    assert empty.crs == "EPSG:4545"
    r.raise_for_errors()  # nothing to raise
    r.add("w", "warning", "valves", "odd", ids=["V1"], geometries=[Point(1, 2)])
    r.raise_for_errors()  # warnings only
    r.add("e", "error", "pipes", "broken", "redraw", ids=["P1"])
    frame = r.to_frame()
    assert list(frame.columns) == [*QUALITY_COLUMNS, "geometry"]
    assert frame["feature_id"].tolist() == ["V1", "P1"]
    assert frame.geometry.iloc[0] == Point(1, 2) and frame.geometry.iloc[1] is None
    assert frame.crs == "EPSG:4545"
    with pytest.raises(ValidationError, match=r"^error: pipes: broken — feature P1") as exc:
        r.raise_for_errors()
    assert "odd" not in str(exc.value)  # warnings are not in the error message
    assert exc.value.issues["check"].tolist() == ["w", "e"]


# -- coordinates ---------------------------------------------------------------------------


def test_coordinate_problems_in_a_geographic_crs():
    # lon 200 or lat 95 is out of range; NaN is not a number; a missing geometry has none.
    geom = [
        Point(106.7, 31.8),
        Point(200, 10),
        Point(10, -95),
        Point(np.nan, 1),
        None,
        Point(-180, 90),  # on the boundary: fine
    ]
    assert coordinate_problems(geom, "EPSG:4326").tolist() == [
        None,
        "x = 200, y = 10: outside ±180° / ±90°",
        "x = 10, y = -95: outside ±180° / ±90°",
        "x = nan, y = 1: not a finite number",
        None,
        None,
    ]


def test_coordinate_problems_in_a_projected_crs_name_the_first_bad_vertex():
    # Beyond 1e8 m is no place on Earth; exactly 1e8 is still a number we accept. A line
    # names its first bad vertex (2, not 3); a point has no vertex number.
    geom = [
        LineString([(0, 0), (2e8, 0), (np.inf, 5)]),
        Point(1e8, -1e8),
        Point(0, -1.5e8),
        LineString([(0, 0), (1, 1)]),
    ]
    assert coordinate_problems(geom, "EPSG:4545").tolist() == [
        "vertex 2: x = 200000000, y = 0: beyond ±1e+08, no place on Earth",
        None,
        "x = 0, y = -150000000: beyond ±1e+08, no place on Earth",
        None,
    ]
    # No CRS: the projected limit applies.
    assert coordinate_problems([Point(3e8, 0)], None)[0].endswith("no place on Earth")
    assert coordinate_problems([], "EPSG:4545").tolist() == []
    assert coordinate_problems([None, Point()], "EPSG:4545").tolist() == [None, None]


def test_coordinate_problems_reprojected_fine_is_no_problem():
    # Bazhong in lon/lat goes to EPSG:4545 without trouble.
    out = coordinate_problems([Point(106.75, 31.86)], "EPSG:4326", to_crs="EPSG:4545")
    assert out.tolist() == [None]


def test_projected_numbers_under_a_geographic_crs():
    # 3 of 4 features (the missing one does not count) hold metres under EPSG:4326: more
    # than half -> the mask of those and the first big vertex.
    geom = [Point(10, 10), Point(380_000, 3_526_000), LineString([(1, 1), (381_000, 5)])]
    geom += [Point(382_000, 3_527_000), None]
    mask, x, y = projected_in_geographic(geom, "EPSG:4326")
    assert mask.tolist() == [False, True, True, True, False]
    assert (x, y) == (380_000.0, 3_526_000.0)
    # Exactly half is not "most"; a projected CRS or none is never suspicious.
    assert projected_in_geographic([Point(10, 10), Point(500, 0)], "EPSG:4326") is None
    assert projected_in_geographic(geom, "EPSG:4545") is None
    assert projected_in_geographic(geom, None) is None
    assert projected_in_geographic([None, Point()], "EPSG:4326") is None


def test_blank_bad_coordinates_severity_by_layer():
    # A pipe with a broken vertex is an error (the network cannot leave it out); a customer
    # with one is a warning and is kept without a location. The caller's frame is untouched.
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2"]},
        geometry=[line((0, 0), (10, 0)), LineString([(0, 0), (np.nan, 0)])],
        crs="EPSG:4545",
    )
    r = Report()
    out = blank_bad_coordinates("pipes", pipes, r, pipes["pipe_id"])
    assert out.geometry.iloc[1] is None and out.geometry.iloc[0] is not None
    assert pipes.geometry.iloc[1] is not None
    assert r.rows[0]["severity"] == "error" and r.rows[0]["feature_id"] == "P2"
    assert r.rows[0]["message"] == (
        "feature has coordinates that are not usable numbers (NaN, infinite or out of "
        "range): the network cannot leave it out (vertex 2: x = nan, y = 0: not a finite "
        "number)"
    )
    assert r.lines()[0].endswith(
        "; fix: correct its coordinates in the source data (or export the layer again)"
    )
    cust = gpd.GeoDataFrame({"customer_id": ["C1"]}, geometry=[Point(np.inf, 0)], crs="EPSG:4545")
    r = Report()
    out = blank_bad_coordinates("customers", cust, r, ["C1"], label="customers (c.shp)")
    assert out.geometry.iloc[0] is None
    assert r.lines() == [
        "warning: customers (c.shp): feature has coordinates that are not usable numbers "
        "(NaN, infinite or out of range); kept without a location — feature C1; fix: correct "
        "its coordinates in the source data (or export the layer again)"
    ]
    # Nothing wrong: the very frame back, nothing reported.
    r = Report()
    ok = pipes.iloc[:1]
    assert blank_bad_coordinates("pipes", ok, r, ["P1"]) is ok and r.rows == []


# -- ids, geometries, extent ---------------------------------------------------------------


def test_duplicate_ids_are_one_error_naming_each_id_once():
    # P1 twice, P2 three times, P3 once: duplicates P1, P2 (sorted, each once).
    layers = canonical(
        pipes=[
            ("P2", [(0, 0), (10, 0)]),
            ("P1", [(10, 0), (20, 0)]),
            ("P2", [(20, 0), (30, 0)]),
            ("P1", [(30, 0), (40, 0)]),
            ("P3", [(40, 0), (50, 0)]),
            ("P2", [(50, 0), (60, 0)]),
        ]
    )
    layers["pipes"]["source_file"] = "a.shp"
    r = Report()
    validate_layers({"pipes": layers["pipes"]}, r, {"pipes": "管线编号"})
    assert r.lines() == [
        "error: pipes (a.shp): duplicate ids (field 管线编号) — features P1, P2; fix: give each "
        "feature a unique id (if two files were merged, prefix the ids)"
    ]


def test_a_feature_without_an_id_is_an_error_naming_the_field():
    layers = canonical(pipes=[("P1", [(0, 0), (10, 0)]), (None, [(10, 0), (20, 0)])])
    r = Report()
    validate_layers({"pipes": layers["pipes"]}, r)
    (row,) = r.rows
    assert (row["check"], row["severity"]) == ("missing_id", "error")
    assert row["message"] == "features without an id (field pipe_id)"
    assert r.lines()[0].endswith("; fix: give every feature a unique id in field pipe_id")
    assert row["geometry"] == line((10, 0), (20, 0))


def _four_pipes():
    """P1 fine; P2 without geometry; P3 two copies of one point; P4 looping over itself."""
    return gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2", "P3", "P4"]},
        geometry=[
            line((0, 0), (10, 0)),
            None,
            line((5, 5), (5, 5)),
            line((0, 0), (10, 10), (10, 0), (0, 10)),
        ],
        crs="EPSG:4545",
    )


def test_geometry_checks_empty_invalid_and_self_intersecting():
    # P1 is fine; P2 has no geometry; P3 is two copies of one point (invalid, and repairing
    # it would make a point: not safe); P4 loops over itself. Hazard H1 has no coordinates,
    # H2 is a bow-tie polygon that make_valid turns into two triangles (same family: repaired).
    layers = canonical(pipes=[("P1", [(0, 0), (10, 0)])])
    pipes = _four_pipes()
    bowtie = Polygon([xy(0, 0), xy(10, 10), xy(10, 0), xy(0, 10)])
    hazards = gpd.GeoDataFrame(
        {"hazard_id": ["H1", "H2"]}, geometry=[None, bowtie], crs="EPSG:4545"
    )
    r = Report()
    out = validate_layers({"pipes": pipes, "valves": layers["valves"], "hazards": hazards}, r)
    got = sorted((x["check"], x["layer"], x["feature_id"]) for x in r.rows)
    assert got == [
        ("empty_geometry", "pipes", "P2"),
        ("invalid_geometry", "pipes", "P3"),
        ("no_coordinates", "hazards", "H1"),
        ("repaired_geometry", "hazards", "H2"),
        ("self_intersecting", "pipes", "P4"),
    ]
    msgs = {x["feature_id"]: x["message"] for x in r.rows}
    assert msgs["P2"] == "feature has no geometry; it is kept but not placed on the map"
    assert msgs["H1"] == "record has no coordinates; it is kept but not placed on the map"
    assert msgs["P3"].startswith(
        "invalid geometry that cannot be repaired safely (too few distinct points?) (Too few "
    )
    assert msgs["P4"] == "pipe crosses or touches itself"
    assert msgs["H2"] == "invalid geometry repaired with make_valid"
    assert all(x["severity"] == "warning" for x in r.rows)
    # The repaired hazard is the valid two-triangle shape; the input frame keeps the bow-tie.
    assert out["hazards"].geometry.iloc[1].is_valid and out["hazards"].geometry.iloc[1].area > 0
    assert not hazards.geometry.iloc[1].is_valid
    assert out["pipes"].geometry.iloc[2] == pipes.geometry.iloc[2]  # not repaired
    # The rows point at the shapes: the repaired one for H2, the pipe as drawn for P3.
    geo = {x["feature_id"]: x["geometry"] for x in r.rows}
    assert geo["H2"].equals(out["hazards"].geometry.iloc[1])
    assert geo["P3"].equals(pipes.geometry.iloc[2]) and geo["P4"].equals(pipes.geometry.iloc[3])
    assert geo["P2"] is None
    assert not r.has_errors


def test_a_repaired_pipe_is_checked_for_self_intersection_as_repaired():
    # A bow-tie is no line; a line is repaired only if make_valid keeps it a line: a line
    # doubling back on itself (0,0)-(10,0)-(5,0) is valid but not simple: self_intersecting.
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P1"]}, geometry=[line((0, 0), (10, 0), (5, 0))], crs="EPSG:4545"
    )
    r = Report()
    validate_layers({"pipes": pipes}, r)
    assert [x["check"] for x in r.rows] == ["self_intersecting"]


def test_features_outside_the_network_extent():
    # Pipes span 1000 m x 0: the margin is max(2000, 0.1 * 1000) = 2000 m. Valve V1 1500 m
    # east of the last pipe end is inside; V2 2500 m east is 500 m beyond the margin; V3 is
    # missing (not checked).
    layers = canonical(
        pipes=[("P1", [(0, 0), (1000, 0)])],
        valves=[("V1", (2500, 0)), ("V2", (3500, 0)), ("V3", (0, 0))],
    )
    layers["valves"].loc[2, "geometry"] = None
    r = Report()
    _check_extent(layers, r)
    (row,) = r.rows
    assert (row["check"], row["layer"], row["feature_id"]) == ("outside_extent", "valves", "V2")
    assert row["message"] == (
        "feature lies more than 2000 m outside the pipe network's extent (500 m beyond the margin)"
    )
    assert r.lines()[0].endswith(
        "; fix: check its coordinates (swapped x/y or lon/lat? wrong CRS?)"
    )
    # A 30 km network: the margin is 10 % of its diagonal, 3000 m. V at 32500 m: 2500 m out
    # of the pipes, inside the margin.
    layers = canonical(pipes=[("P1", [(0, 0), (30_000, 0)])], valves=[("V", (32_500, 0))])
    r = Report()
    _check_extent(layers, r)
    assert r.rows == []
    layers = canonical(pipes=[("P1", [(0, 0), (30_000, 0)])], valves=[("V", (33_500, 0))])
    r = Report()
    _check_extent(layers, r)
    assert [x["message"] for x in r.rows] == [
        "feature lies more than 3000 m outside the pipe network's extent (500 m beyond the margin)"
    ]
    # No pipes, or none with a geometry: nothing to measure against.
    r = Report()
    _check_extent({"valves": layers["valves"]}, r)
    empty = layers["pipes"].copy()
    empty.loc[0, "geometry"] = None
    _check_extent({"pipes": empty, "valves": layers["valves"]}, r)
    assert r.rows == []


# -- the working CRS -----------------------------------------------------------------------


def test_lonlat_hemispheres():
    assert _lonlat(106.754, 31.856) == "106.75°E 31.86°N"
    assert _lonlat(-0.5, -10.25) == "0.50°W 10.25°S"
    assert _lonlat(0, 0) == "0.00°E 0.00°N"


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (106.75, 31.86, "EPSG:4545"),  # Bazhong: central meridian 108 -> 4534 + 11
        (75.0, 38.0, "EPSG:4534"),  # the first Gauss-Krüger zone
        (134.9, 47.0, "EPSG:4554"),  # the last
        # 4554's area ends at 134.77°E; a degree of slack takes 135.7 in, not 136.0 (UTM 53N)
        (135.7, 47.0, "EPSG:4554"),
        (136.0, 47.0, "EPSG:32653"),
        (2.35, 48.85, "EPSG:32631"),  # Paris: UTM 31N
        (151.2, -33.9, "EPSG:32756"),  # Sydney: UTM 56S
        (105.0, -20.0, "EPSG:32748"),  # on a CGCS2000 meridian, far south of China: UTM
        (180.0, 10.0, "EPSG:32660"),  # zone 61 does not exist
        (3.0, 0.0, "EPSG:32631"),  # the equator is north
        (3.0, -0.0001, "EPSG:32731"),
    ],
)
def test_local_crs(lon, lat, code):
    got, name = local_crs(lon, lat)
    assert got == code
    assert name  # the CRS's own name, for the message


def test_a_web_mercator_working_crs_is_refused_with_a_local_one_suggested():
    # The sample's area in EPSG:3857: Web Mercator stretches lengths by 1/cos(31.86°) - 1,
    # 17.7 %, at Bazhong; in EPSG:4545 the scale is within 1 %: no problem.
    ll = gpd.GeoDataFrame(
        {"pipe_id": ["P1"]},
        geometry=[LineString([(106.74, 31.85), (106.76, 31.87)])],
        crs="EPSG:4326",
    )
    merc = ll.to_crs("EPSG:3857")
    r = Report()
    check_working_crs(merc, "EPSG:3857", r, "pipes (p.shp)")
    assert r.lines() == [
        "error: pipes (p.shp): [project] crs EPSG:3857 (WGS 84 / Pseudo-Mercator) does not fit "
        "the pipe network at 106.75°E 31.86°N: it stretches lengths there by 17.7 %; pipe "
        "lengths, volumes and every metre tolerance (snap_tolerance_m, "
        "customer_max_distance_m) would be wrong; fix: set [project] crs to a projected CRS in "
        'metres made for the area, e.g. crs = "EPSG:4545" (CGCS2000 / 3-degree Gauss-Kruger '
        "CM 108E)"
    ]
    assert r.rows[0]["check"] == "unsuitable_crs" and r.rows[0]["layer"] == "pipes"
    r = Report()
    check_working_crs(ll.to_crs("EPSG:4545"), "EPSG:4545", r, "pipes")
    assert r.rows == []


def test_a_crs_made_for_another_area_is_refused_only_when_the_pipes_were_placed():
    # Bazhong's pipes in EPSG:4544 (CGCS2000 zone 35, 105°E): its area of use ends at
    # 106.5°E, within the 3° margin, and the scale 1.75° off its meridian is 1.0004: fine.
    # In EPSG:4534 (75°E, made for 73.62°E-76.50°E) it is 30° out of its area and stretches
    # lengths by 11.8 %. located=False (the pipes came in that CRS already): only the scale.
    ll = gpd.GeoDataFrame(
        {"pipe_id": ["P1"]},
        geometry=[LineString([(106.74, 31.85), (106.76, 31.87)])],
        crs="EPSG:4326",
    )
    r = Report()
    check_working_crs(ll.to_crs("EPSG:4544"), "EPSG:4544", r, "pipes")
    assert r.rows == []
    far = ll.to_crs("EPSG:4534")
    r = Report()
    check_working_crs(far, "EPSG:4534", r, "pipes")
    head = (
        "error: pipes: [project] crs EPSG:4534 (CGCS2000 / 3-degree Gauss-Kruger CM 75E) does "
        "not fit the pipe network at 106.75°E 31.86°N: "
    )
    assert r.lines()[0].startswith(
        head + "it is made for China - west of 76°30'E (73.62°E 35.81°N to 76.50°E 40.65°N); "
        "it stretches lengths there by 11.8 %; "
    )
    r = Report()
    check_working_crs(far, "EPSG:4534", r, "pipes", located=False)
    assert r.lines()[0].startswith(head + "it stretches lengths there by 11.8 %; ")


def test_a_crs_that_shrinks_lengths_is_named_by_its_worst_scale():
    # Asia North Equidistant Conic at Bazhong: true along meridians (scale 1), but 0.922
    # along the parallel: the scale farthest from 1 is the one that counts, a 7.8 % shrink.
    ll = gpd.GeoDataFrame(
        {"pipe_id": ["P1"]},
        geometry=[LineString([(106.74, 31.85), (106.76, 31.87)])],
        crs="EPSG:4326",
    )
    r = Report()
    check_working_crs(ll.to_crs("ESRI:102026"), "ESRI:102026", r, "pipes")
    assert ": it shrinks lengths there by 7.8 %; pipe lengths" in r.lines()[0]


def test_no_pipes_with_coordinates_no_crs_check():
    empty = gpd.GeoDataFrame({"pipe_id": ["P1"]}, geometry=[None], crs="EPSG:3857")
    r = Report()
    check_working_crs(empty, "EPSG:3857", r, "pipes")
    assert r.rows == []


# -- geometry and id checks, word for word ---------------------------------------------------


def test_geometry_check_lines_name_the_fix_word_for_word():
    # Planted: validate.py (_check_geometries), each fix text -> None, left out, "XX...XX" or
    # upper case: "add the location in the source data", "check the repaired shape",
    # "redraw the feature", "split the pipe where it loops back or redraw it".
    #
    # Pipes: P1 fine; P2 no geometry (empty_geometry); P3 two copies of one point (invalid,
    # make_valid makes a point: not safe); P4 loops over itself (self_intersecting). Hazard
    # H1 is a bow-tie: make_valid makes two triangles, the same family: repaired. All
    # warnings: each line is "warning: <layer>: <message> — feature <id>; fix: <fix>" (a
    # warning's line carries no details).
    pipes = _four_pipes()
    bowtie = Polygon([xy(0, 0), xy(10, 10), xy(10, 0), xy(0, 10)])
    hazards = gpd.GeoDataFrame({"hazard_id": ["H1"]}, geometry=[bowtie], crs="EPSG:4545")
    r = Report()
    _check_geometries("pipes", pipes, r)
    _check_geometries("hazards", hazards, r)
    assert r.lines() == [
        "warning: pipes: feature has no geometry; it is kept but not placed on the map — "
        "feature P2; fix: add the location in the source data",
        "warning: pipes: invalid geometry that cannot be repaired safely (too few distinct "
        "points?) — feature P3; fix: redraw the feature",
        "warning: pipes: pipe crosses or touches itself — feature P4; fix: split the pipe "
        "where it loops back or redraw it",
        "warning: hazards: invalid geometry repaired with make_valid — feature H1; fix: check "
        "the repaired shape",
    ]


def test_a_polygon_that_make_valid_keeps_a_polygon_is_repaired():
    # Planted: validate.py (_check_geometries):
    #   shapely.get_type_id(a) == shapely.get_type_id(b) -> get_type_id(None) == ... and
    #   -> ... == shapely.get_type_id(None)
    #
    # Hazard H1: a square with the same hole twice (invalid: self-intersection). make_valid
    # gives a Polygon with the hole once: Polygon -> Polygon, the same type, so it is
    # repaired (the mistake compared -1 with a type id, fell through to the Multi rule,
    # which a Polygon result fails, and called it "cannot be repaired safely").
    hole = [xy(2, 2), xy(4, 2), xy(4, 4), xy(2, 4)]
    shell = [xy(0, 0), xy(10, 0), xy(10, 10), xy(0, 10)]
    hazards = gpd.GeoDataFrame(
        {"hazard_id": ["H1"]}, geometry=[Polygon(shell, [hole, hole])], crs="EPSG:4545"
    )
    r = Report()
    out = _check_geometries("hazards", hazards, r)
    assert [(x["check"], x["feature_id"]) for x in r.rows] == [("repaired_geometry", "H1")]
    assert out.geometry.iloc[0].equals(Polygon(shell, [hole]))


def test_a_repaired_feature_in_the_pipes_layer_is_rechecked_without_failing():
    # Planted: validate.py (_check_geometries):
    #   fixed = np.flatnonzero(invalid)[same] -> fixed = None  (len(None): TypeError)
    #
    # No line is ever repaired (an invalid line has a collapsed part: make_valid makes it a
    # point), so only a polygon in the pipes layer (refused when loading, but
    # _check_geometries takes any frame) reaches the re-check of repaired pipes. P1 is the
    # doubled-hole square of the test above: repaired, and as repaired it is simple: the one
    # row is repaired_geometry, no self_intersecting.
    hole = [xy(2, 2), xy(4, 2), xy(4, 4), xy(2, 4)]
    shell = [xy(0, 0), xy(10, 0), xy(10, 10), xy(0, 10)]
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P0", "P1"]},
        geometry=[line((0, 0), (10, 0)), Polygon(shell, [hole, hole])],
        crs="EPSG:4545",
    )
    r = Report()
    out = _check_geometries("pipes", pipes, r)
    assert [(x["check"], x["feature_id"]) for x in r.rows] == [("repaired_geometry", "P1")]
    assert out.geometry.iloc[1].equals(Polygon(shell, [hole]))


def test_id_errors_name_the_files_the_rows_and_the_ids():
    # Planted: validate.py (_check_ids): the missing_id kind's layer name -> None, its
    # label=label -> None or left out, its ids=[...] left out; the duplicate_id kind's check
    # "duplicate_id" -> None, "XXduplicate_idXX", "DUPLICATE_ID", its layer name -> None.
    #
    # Merged pipes from a.shp (A1, D) and b.shp (D, blank, B2): the label names both files,
    # sorted; the blank is row 1 of b.shp (rows count from 0 within each file); D is
    # duplicated (named once). Two errors in layer "pipes": a missing_id row for the blank,
    # then a duplicate_id row for D.
    gdf = gpd.GeoDataFrame(
        {
            "pipe_id": ["A1", "D", "D", None, "B2"],
            "source_file": ["a.shp", "a.shp", "b.shp", "b.shp", "b.shp"],
        },
        geometry=[line((0, 0), (10, 0))] * 5,
        crs="EPSG:4545",
    )
    r = Report()
    _check_ids("pipes", gdf, r, "GDBH")
    assert [(x["check"], x["layer"], x["feature_id"]) for x in r.rows] == [
        ("missing_id", "pipes", "b.shp row 1"),
        ("duplicate_id", "pipes", "D"),
    ]
    assert r.lines() == [
        "error: pipes (a.shp, b.shp): features without an id (field GDBH) — feature b.shp "
        "row 1; fix: give every feature a unique id in field GDBH",
        "error: pipes (a.shp, b.shp): duplicate ids (field GDBH) — feature D; fix: give each "
        "feature a unique id (if two files were merged, prefix the ids)",
    ]
    assert r.ids("duplicate_id", "pipes") == {"D"}


# -- Report: labels, extend, raise ------------------------------------------------------------


def test_report_kinds_split_by_label():
    # Planted: validate.py (Report.add): (..., label or layer, ...) -> (..., label and
    # layer, ...) in the kind's key.
    #
    # One check, message and layer from two files (two labels): two kinds, two lines, each
    # with its own label. The mistake keyed both on the layer: one line under the first label.
    r = Report()
    r.add("c", "warning", "pipes", "odd", ids=["A"], label="pipes (a.shp)")
    r.add("c", "warning", "pipes", "odd", ids=["B"], label="pipes (b.shp)")
    assert r.lines() == [
        "warning: pipes (a.shp): odd — feature A",
        "warning: pipes (b.shp): odd — feature B",
    ]


def test_report_extend_keeps_the_fix_of_a_new_kind():
    # Planted: validate.py (Report.extend):
    #   _Kind(kind.severity, kind.label, kind.message, kind.fix) -> (..., None)
    #
    # b's kind is new to a: a copies it, fix and all.
    a, b = Report(), Report()
    b.add("e", "error", "valves", "stuck", "free it", ids=["V1"])
    a.extend(b)
    assert a.lines() == ["error: valves: stuck — feature V1; fix: free it"]


def test_raise_for_errors_one_line_per_kind():
    # Planted: validate.py (Report.raise_for_errors): "\n".join -> "XX\nXX".join
    #
    # Two kinds of error: the message is their two lines joined by a newline, nothing else.
    r = Report()
    r.add("e", "error", "pipes", "broken", ids=["P1"])
    r.add("f", "error", "valves", "lost", ids=["V1"])
    with pytest.raises(ValidationError) as exc:
        r.raise_for_errors()
    assert str(exc.value) == "error: pipes: broken — feature P1\nerror: valves: lost — feature V1"


# -- the geometry checks on a cluster ---------------------------------------------------------


def test_geometry_checks_run_on_row_ranges_when_a_session_is_active(monkeypatch):
    # Planted: validate.py (_geometry_checks): session = None; `not len(geom)` -> `len(geom)`;
    # ranges = None, array_split(None, n), (arange, None), (n_chunks) alone, (arange) alone,
    # arange(None), n_chunks(None); payloads = None, pack(None). (_geometry_task):
    # packed, simple = None; _geometry_flags(None); unpack(None).
    #
    # chunk_rows=2, one worker (no client to ask): 5 rows -> max(1, min(5, max(1, ceil(5/2))))
    # = 3 ranges (rows 0-1, 2-3, 4), one "geometry checks" map of 3 payloads.
    # Rows: a line; two copies of a point (invalid, simple); a loop (valid, not simple);
    # missing (neither); a line.
    geom = np.array(
        [
            line((0, 0), (10, 0)),
            line((5, 5), (5, 5)),
            line((0, 0), (10, 10), (10, 0), (0, 10)),
            None,
            line((0, 0), (0, 10)),
        ],
        dtype=object,
    )
    s = in_process_session(chunk_rows=2)
    monkeypatch.setattr(parallel, "_SESSION", s)
    valid, simple = _geometry_checks(geom, True)
    assert valid.tolist() == [True, False, True, False, True]
    assert simple.tolist() == [True, True, False, False, True]
    assert s.log == [("geometry checks", 3)]
    valid, simple = _geometry_checks(geom, False)  # not pipes: no simplicity
    assert valid.tolist() == [True, False, True, False, True] and simple is None
    # No rows: nothing to send (0 ranges would be an error), an empty answer here.
    valid, simple = _geometry_checks(np.array([], dtype=object), True)
    assert valid.tolist() == [] and simple.tolist() == []
    assert s.log == [("geometry checks", 3), ("geometry checks", 3)]


# -- the second pass's survivors --------------------------------------------------------------


def test_id_errors_of_a_layer_without_source_files_name_the_rows_alone():
    # Planted: validate.py (_check_ids): pd.Series("", ...) -> pd.Series("XXXX", ...) for a
    # frame without a source_file column.
    #
    # A layer handed to validate_layers as a bare frame (no source_file column, as
    # topology's message tells users to do): no file to name. P1, a blank (row 1), P1 again:
    # the label is the layer alone ("pipes", not "pipes ()"), the blank is "row 1" (not
    # " row 1", which printed "feature  row 1"), the duplicate P1 is named once.
    layers = canonical(
        pipes=[("P1", [(0, 0), (10, 0)]), (None, [(10, 0), (20, 0)]), ("P1", [(20, 0), (30, 0)])]
    )
    assert "source_file" not in layers["pipes"]
    r = Report()
    validate_layers({"pipes": layers["pipes"]}, r)
    assert [(x["check"], x["feature_id"]) for x in r.rows] == [
        ("missing_id", "row 1"),
        ("duplicate_id", "P1"),
    ]
    assert r.lines() == [
        "error: pipes: features without an id (field pipe_id) — feature row 1; fix: give every "
        "feature a unique id in field pipe_id",
        "error: pipes: duplicate ids (field pipe_id) — feature P1; fix: give each feature a "
        "unique id (if two files were merged, prefix the ids)",
    ]


def test_an_empty_shape_is_reported_like_a_missing_one():
    # Planted: validate.py (_check_geometries):
    #   is_missing(geom) | is_empty(geom) -> is_missing(geom) | shapely.is_empty(None)
    #
    # Pipe P2 is an empty line and hazard H1 an empty polygon (a GIS that writes a record
    # with no vertices): no place on the map, the same warning as a null geometry. An empty
    # shape is valid and simple, so nothing else is said about it. (The mistake counted
    # only null geometries as missing: no row at all.)
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2"]}, geometry=[line((0, 0), (10, 0)), LineString()], crs="EPSG:4545"
    )
    hazards = gpd.GeoDataFrame({"hazard_id": ["H1"]}, geometry=[Polygon()], crs="EPSG:4545")
    r = Report()
    _check_geometries("pipes", pipes, r)
    _check_geometries("hazards", hazards, r)
    assert [(x["check"], x["layer"], x["feature_id"]) for x in r.rows] == [
        ("empty_geometry", "pipes", "P2"),
        ("no_coordinates", "hazards", "H1"),
    ]


def test_geometry_checks_here_compute_simplicity_for_pipes_only(monkeypatch):
    # Planted: validate.py (_geometry_flags): is_simple(geom) if simple -> if (simple) or True
    #
    # Without a cluster the checks run here, with the same answer as on row ranges (the
    # session test above): validity for every layer, simplicity only when asked (pipes), None
    # otherwise. Rows: a line; two copies of a point (invalid, simple); a loop (valid, not
    # simple).
    monkeypatch.setattr(parallel, "_SESSION", None)
    geom = np.array(
        [
            line((0, 0), (10, 0)),
            line((5, 5), (5, 5)),
            line((0, 0), (10, 10), (10, 0), (0, 10)),
        ],
        dtype=object,
    )
    valid, simple = _geometry_checks(geom, True)
    assert valid.tolist() == [True, False, True] and simple.tolist() == [True, True, False]
    valid, simple = _geometry_checks(geom, False)
    assert valid.tolist() == [True, False, True] and simple is None


def test_blank_bad_coordinates_checks_the_reprojection_it_is_given():
    # Planted: validate.py (blank_bad_coordinates): coordinate_problems(..., to_crs) ->
    # coordinate_problems(..., None) and -> coordinate_problems(geoms(gdf), gdf.crs, )
    #
    # Customers in lon/lat for a project in EPSG:4545 (Gauss-Krüger, central meridian
    # 108°E). C2 at Bazhong projects fine; C1 at 18°E on the equator is 90° from the
    # central meridian, where the transverse Mercator has no value: it cannot be
    # reprojected, so it is reported (a warning: customers) and blanked. Without to_crs its
    # numbers are fine degrees and nothing would be said.
    cust = gpd.GeoDataFrame(
        {"customer_id": ["C1", "C2"]},
        geometry=[Point(18, 0), Point(106.75, 31.86)],
        crs="EPSG:4326",
    )
    r = Report()
    out = blank_bad_coordinates("customers", cust, r, ["C1", "C2"], to_crs="EPSG:4545")
    assert out.geometry.iloc[0] is None and out.geometry.iloc[1] == Point(106.75, 31.86)
    (row,) = r.rows
    assert (row["check"], row["severity"], row["feature_id"]) == (
        "bad_coordinates",
        "warning",
        "C1",
    )
    assert row["message"].endswith(
        "; kept without a location (x = 18, y = 0: cannot be reprojected from EPSG:4326 to "
        "EPSG:4545)"
    )
    # The same layer without a target CRS: nothing to say, the very frame back.
    r = Report()
    assert blank_bad_coordinates("customers", cust, r, ["C1", "C2"]) is cust and r.rows == []


def test_coordinate_problems_without_coordinates_needs_no_crs():
    # Planted: validate.py (coordinate_problems):
    #   ~(is_missing(geom) | is_empty(geom)) -> ~(is_missing(geom) & is_empty(geom))
    #
    # A missing and an empty geometry: no coordinate to check, so no problem, and the CRS is
    # never read (one that pyproj cannot parse does not matter). The mistake counted both as
    # having coordinates (nothing is missing *and* empty), went on and failed on the CRS.
    assert coordinate_problems([None, Point()], "not a CRS").tolist() == [None, None]


def test_local_crs_wraps_only_longitudes_beyond_180():
    # Planted: validate.py (local_crs): `not -180 <= lon <= 180` -> `not +180 <= lon <= 180`,
    # -> `not -181 <= lon <= 180`, -> `not -180 <= lon <= 181`;
    # (lon + 180) % 360 - 180 -> (lon + 180) % 361 - 180.
    #
    # Half a degree past the antimeridian either way (a CRS with +over): 180.5°E is 179.5°W,
    # UTM zone 1; 180.5°W is 179.5°E, zone 60. 186.5°E is 173.5°W, zone 2 (174°W-168°W).
    # (Wrapping by 361 gives 174.5°W, zone 1; not wrapping 180.5°E gives zone 61, capped to
    # 60, and 180.5°W zone 0, "EPSG:32600".)
    assert local_crs(180.5, 10.0)[0] == "EPSG:32601"
    assert local_crs(-180.5, 10.0)[0] == "EPSG:32660"
    assert local_crs(186.5, 10.0)[0] == "EPSG:32602"
    # A longitude within ±180 is taken as it is, not sent through the wrap arithmetic:
    # 106.49999999999999 (the float just below 106.5) is nearer to CM 105°E than to 108°E:
    # EPSG:4544. Wrapped, 286.49999999999999 rounds to 286.5, back to 106.5 exactly, the
    # midway point, where round() goes to the even 36 -> CM 108°E, EPSG:4545.
    lon = float(np.nextafter(106.5, 0.0))
    assert lon < 106.5 and (lon + 180) % 360 - 180 == 106.5
    assert local_crs(lon, 31.0)[0] == "EPSG:4544"


def test_validate_layers_checks_the_extent():
    # Planted: validate.py (validate_layers): _check_extent(out, report) -> (out, None)
    #
    # Pipes span 1000 m: margin 2000 m. Valve V2 at 3500 m is 500 m beyond it: one warning,
    # through validate_layers itself (the mistake handed the extent check no report: it
    # failed on its first far feature).
    layers = canonical(pipes=[("P1", [(0, 0), (1000, 0)])], valves=[("V2", (3500, 0))])
    r = Report()
    validate_layers(layers, r)
    assert r.lines() == [
        "warning: valves: feature lies more than 2000 m outside the pipe network's extent — "
        "feature V2; fix: check its coordinates (swapped x/y or lon/lat? wrong CRS?)"
    ]
