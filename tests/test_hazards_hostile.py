"""Hostile review of the hazard stage (issue 8): odd shapes, odd frames, odd configs and
damaged GeoPackages; each answer worked out in the comments.

The hand-drawn network of test_hazards.py (every pipe MP-A DN110, protection 0.5 m):

    S(0,0)─P1─J1(100,0)─P2─VA(150,0)─P2─J2(200,0)─P3─J3(300,0)─VC(320,0)─P4─E(400,0)
              │                         │
              P5                        P6
              │                         │
              J4─P7─VB(150,100)─P7──────J5(200,100)

and the conftest project for the command line: S1 at (0,0); P1 (0,0)-(100,0) MP-A with V1
(normally closed) at (50,0); P2 (100,0)-(200,0) MP-A; P3 (100,0)-(100,80) planned.
"""

from __future__ import annotations

import datetime
import math

import pyogrio
import pytest
import shapely
from conftest import X0, Y0, xy
from shapely.geometry import LineString, MultiLineString, Polygon
from test_hazards import AS_OF, net_with, risk_of
from test_hazards_cli import CONFIG, HEADER, ROWS

from gasnet._hazard_settings import HazardSettings
from gasnet.hazards import assess


@pytest.fixture
def recorded(project):
    """The conftest project with the four records of test_hazards_cli.py (H1 to H4)."""
    lines = [",".join(map(str, (*r[:6], X0 + r[6], Y0 + r[7]))) for r in ROWS]
    (project.raw / "h.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    project.add_config(CONFIG)
    return project


def _with_geometry(rows, shapes):
    """A network of test_hazards.py whose records get the given shapes (local metres)."""
    net = net_with(rows)
    net.hazards = net.layers["hazards"].set_geometry(list(shapes), crs=net.layers["hazards"].crs)
    return net


# -- shapes that GEOS calls invalid ----------------------------------------------------------


def test_a_zero_length_line_matches_like_its_point():
    # A leak drawn as a line from (250, 1) to (250, 1) (a double click): GEOS calls it
    # invalid, ingest keeps it (invalid_geometry), and it is the point (250, 1): 1 m from P3,
    # within the leak's 3 m; exposed the chord 2 x sqrt(3^2 - 1^2) = 5.657 m. It used to
    # match nothing ("no pipe within reach", the nearest pipe being 1.0 m away).
    net = _with_geometry([("Z", (0, 0))], [LineString([xy(250, 1), xy(250, 1)])])
    res = assess(net, HazardSettings(), as_of=AS_OF)
    assert list(res.matches["pipe_id"]) == ["P3"]
    assert res.matches["distance_m"].iloc[0] == pytest.approx(1.0)
    assert res.matches["exposed_length_m"].iloc[0] == pytest.approx(2 * 8**0.5)
    assert "no_pipe_within_reach" not in set(res.report.to_frame()["check"])
    assert risk_of(res, "Z")["pipe_id"] == "P3"


def test_a_line_with_a_zero_length_part_still_matches():
    # Two parts: a double click at (250, 1) and a stroke far away (250, -200)-(260, -200).
    # The first part is 1 m from P3: the record matches P3.
    shape = MultiLineString([[xy(250, 1), xy(250, 1)], [xy(250, -200), xy(260, -200)]])
    res = assess(_with_geometry([("Z", (0, 0))], [shape]), HazardSettings(), as_of=AS_OF)
    assert list(res.matches["pipe_id"]) == ["P3"]


def test_a_bow_tie_area_exposes_what_it_covers():
    # A leak area drawn as a bow-tie (240,-5) (260,5) (260,-5) (240,5): two triangles that
    # meet at (250, 0) on P3, together spanning x 240..260 along the pipe. Widened by the
    # leak's 3 m the pipe is exposed from x = 237 to 263: 26 m (the broken ring used to give
    # 19.7 m).
    tie = Polygon([xy(240, -5), xy(260, 5), xy(260, -5), xy(240, 5)])
    assert not shapely.is_valid(tie)
    res = assess(_with_geometry([("T", (0, 0))], [tie]), HazardSettings(), as_of=AS_OF)
    assert list(res.matches["pipe_id"]) == ["P3"]
    assert res.matches["exposed_length_m"].iloc[0] == pytest.approx(26.0, abs=1e-6)


def test_a_zero_length_line_through_the_command_line(project, cli):
    # The same double click in a GeoJSON layer of the conftest project: (150, 1) is 1 m from
    # P2: a match, no no_pipe_within_reach row (ingest's invalid_geometry row stays).
    import geopandas as gpd

    gpd.GeoDataFrame(
        {"hid": ["Z"], "category": ["leak"]},
        geometry=[LineString([xy(150, 1), xy(150, 1)])],
        crs="EPSG:4545",
    ).to_file(project.raw / "h.geojson", driver="GeoJSON")
    project.add_config('[layers.hazards]\npath = "raw/h.geojson"\nid = "hid"\n')
    code, _, err = cli("--config", project.config, "run", "--as-of", "2026-03-02")
    assert code == 0, err
    matches = pyogrio.read_dataframe(project.gpkg, layer="hazard_matches")
    assert list(matches["pipe_id"]) == ["P2"]
    q = pyogrio.read_dataframe(project.gpkg, layer="quality_issues")
    assert "invalid_geometry" in set(q["check"])
    assert "no_pipe_within_reach" not in set(q["check"])


# -- the Python API on frames as users hold them -----------------------------------------------


def test_assess_reads_records_by_position_whatever_their_index():
    # B and D have due_on before found_on. With A filtered out (index 1, 2, 3) and then the
    # frame reversed (index 3, 2, 1), each due_before_found row still names its own dates
    # (the lookup by label used to raise KeyError, or quote another record's dates).
    rows = [
        ("A", (250, 1), "leak", "general", "open", "2026-02-01", "2026-01-01"),
        ("B", (250, 1), "leak", "general", "open", "2026-02-01", "2026-01-15"),
        ("C", (250, 1), "leak", "general", "open", "2026-01-01", "2026-02-01"),
        ("D", (250, 1), "leak", "general", "open", "2026-02-20", "2026-01-20"),
    ]
    net = net_with(rows)
    net.hazards = net.layers["hazards"][net.layers["hazards"]["hazard_id"] != "A"].iloc[::-1]
    res = assess(net, HazardSettings(), as_of=AS_OF)
    q = res.report.to_frame()
    got = dict(zip(q["feature_id"], q["message"], strict=True))
    assert "found 2026-02-01, due 2026-01-15" in got["B"]
    assert "found 2026-02-20, due 2026-01-20" in got["D"]
    # 2026-03-02 is 46 days past 2026-01-15, 41 past 2026-01-20, 29 past 2026-02-01.
    days = res.risk.set_index("hazard_id")["days_overdue"]
    assert (days["B"], days["C"], days["D"]) == (46, 29, 41)


def test_assess_leaves_the_callers_frames_alone():
    shapes = [shapely.Point(xy(250, 1)), LineString([xy(250, 1), xy(250, 1)])]
    net = _with_geometry([("K", (0, 0)), ("T", (0, 0))], shapes)
    before = {k: getattr(net, k).copy() for k in ("hazards", "edges", "customers", "pipes")}
    assess(net, HazardSettings(), as_of=AS_OF)
    for name, frame in before.items():
        assert getattr(net, name).equals(frame), name


@pytest.mark.parametrize(
    "as_of", [datetime.date(2026, 3, 2), datetime.datetime(2026, 3, 2, 18, 30), "2026-03-02"]
)
def test_as_of_is_a_day_however_it_is_given(as_of):
    # due 2026-01-01: 60 days overdue on 2026-03-02, whatever the hour; the assessment says
    # the day (the stage writes it to run_metadata as risk_as_of).
    net = net_with([("K", (250, 1), "leak", "general", "open", "2025-12-01", "2026-01-01")])
    res = assess(net, HazardSettings(), as_of=as_of)
    assert res.as_of == datetime.date(2026, 3, 2) and type(res.as_of) is datetime.date
    assert risk_of(res, "K")["days_overdue"] == 60


# -- damaged or stale GeoPackages ----------------------------------------------------------------


def _drop_column(gpkg, layer, column) -> None:
    """Rewrite ``layer`` of ``gpkg`` without ``column`` (a hand-edited or foreign file)."""
    frame = pyogrio.read_dataframe(gpkg, layer=layer)
    pyogrio.write_dataframe(frame.drop(columns=column), gpkg, layer=layer, driver="GPKG")


@pytest.mark.parametrize(
    ("layer", "column"),
    [
        ("segments", "segment_id"),
        ("hazards", "hazard_id"),
        ("hazards", "category"),
        ("hazards", "severity"),
        ("hazards", "status"),
        ("hazards", "found_on"),
        ("hazards", "due_on"),
        ("hazards", "description"),
        ("edges", "pressure_class"),
        ("edges", "diameter_mm"),
    ],
)
def test_hazards_on_a_geopackage_that_lacks_a_column_says_rebuild_it(recorded, cli, layer, column):
    # Each used to be a KeyError traceback (exit 1). Now one line naming the layer and the
    # column, and the fix; the GeoPackage is left as it was.
    assert cli("--config", recorded.config, "run", "--as-of", "2026-03-02")[0] == 0
    _drop_column(recorded.gpkg, layer, column)
    before = recorded.gpkg.read_bytes()
    code, _, err = cli("--config", recorded.config, "hazards", "--as-of", "2026-03-02")
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert f"layer {layer} lacks {column}" in err and "run `gasnet run`" in err
    assert recorded.gpkg.read_bytes() == before


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Huge numbers overflowed the score to inf, and inf x a distance factor of 0 to NaN
        # (a NaN score ranks anywhere); no real weight or distance comes near 1e6.
        ("[hazards.influence_m]\nleak = 1e300\n", "[hazards.influence_m] leak must be a number"),
        ("[hazards.protection_m]\nLP = 1e7\n", "[hazards.protection_m].LP must be a number"),
        ("[risk.category_weight]\nleak = 1e308\n", "[risk.category_weight].leak must be"),
        ("[risk.severity_weight]\nmajor = 1e200\n", "[risk.severity_weight].major must be"),
        ("[risk]\ncritical_households = 1e308\n", "[risk] critical_households must be"),
        ("[risk]\nexposed_weight = 1e300\n", "[risk] exposed_weight must be"),
        ("[risk]\noverdue_max = 1e300\n", "[risk] overdue_max must be"),
        (
            '[[hazards.major_rules]]\nname = "x"\ncategory = "leak"\nmin_pressure_class = "LP"\n'
            "within = 1e300\n",
            'within (metres, or "protection") must be',
        ),
        # A rule's name is what major_rule says and the quality row quotes: an empty one was
        # never applied (no rule met reads as ''), a table was shown as "{'a': 1}", and a
        # second rule of one name took the other's text.
        (
            '[[hazards.major_rules]]\nname = ""\ncategory = "leak"\nmin_pressure_class = "LP"\n',
            "[[hazards.major_rules]] number 1 name must be text",
        ),
        (
            '[[hazards.major_rules]]\nname = { a = 1 }\ncategory = "leak"\n'
            'min_pressure_class = "LP"\n',
            "[[hazards.major_rules]] number 1 name must be text",
        ),
        (
            '[[hazards.major_rules]]\nname = "encroachment_mp_or_higher"\ncategory = "leak"\n'
            'min_pressure_class = "LP"\n',
            "name encroachment_mp_or_higher is taken",
        ),
        (
            '[[hazards.major_rules]]\nname = "a"\ncategory = "leak"\nmin_pressure_class = "LP"\n'
            '[[hazards.major_rules]]\nname = "a"\ncategory = "flood"\nmin_pressure_class = "LP"\n',
            "[[hazards.major_rules]] number 2 name a is taken",
        ),
        (
            '[[hazards.major_rules]]\nname = "x"\ncategory = "leak"\nmin_pressure_class = "LP"\n'
            "text = [1]\n",
            "[[hazards.major_rules]] number 1 text must be text",
        ),
    ],
)
def test_bad_hazard_settings_are_one_clear_error(project, cli, text, message):
    project.add_config(text)
    code, _, err = cli("--config", project.config, "validate")
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# -- a careless config ---------------------------------------------------------------------------


def test_a_hazards_layer_without_its_field_mapping_is_a_warning(recorded, cli):
    # The records of test_hazards_cli.py with [layers.hazards.fields] forgotten: the file's
    # columns are 类别, 等级, 状态, 整改期限, so gasnet finds no category, severity, status or
    # due_on. Every record then ranks as an open general "other" hazard that is never
    # overdue: H4, closed, ranks as open and H1, an encroachment, is not major. That used to
    # pass without a word ("quality: 0 errors, 0 warnings"); now one warning names the
    # fields and the fix, and the records are still all ranked.
    text = recorded.config.read_text(encoding="utf-8")
    start = text.index("[layers.hazards.fields]")
    recorded.config.write_text(text[:start], encoding="utf-8")
    code, out, err = cli("--config", recorded.config, "run", "--as-of", "2026-03-02")
    assert code == 0, err
    assert "no category, severity, status, due_on field (fields: 编号, 类别" in out
    assert "[layers.hazards.fields]" in out
    q = pyogrio.read_dataframe(recorded.gpkg, layer="quality_issues")
    assert list(q.loc[q["check"] == "unmapped_field", "layer"]) == ["hazards"]
    risk = pyogrio.read_dataframe(recorded.gpkg, layer="risk")
    assert sorted(risk["hazard_id"]) == ["H1", "H2", "H3", "H4"]


def test_a_hazards_layer_with_its_fields_has_no_such_warning(recorded, cli):
    assert cli("--config", recorded.config, "run", "--as-of", "2026-03-02")[0] == 0
    q = pyogrio.read_dataframe(recorded.gpkg, layer="quality_issues")
    assert "unmapped_field" not in set(q["check"])


def test_criticality_after_hazards_says_the_segment_roll_ups_are_gone(recorded, cli):
    # criticality writes segments afresh: without the roll-up columns the hazard stage
    # added, while pipes, risk and hazard_matches keep what `gasnet hazards` wrote. That used
    # to happen in silence (a map styled on segments.hazard_tier lost its column); now a
    # note says so and what to run. `gasnet hazards` then puts them back.
    assert cli("--config", recorded.config, "run", "--as-of", "2026-03-02")[0] == 0
    code, _, err = cli("--config", recorded.config, "criticality")
    assert code == 0 and "Traceback" not in err
    assert "run `gasnet hazards` again" in err
    segs = pyogrio.read_dataframe(recorded.gpkg, layer="segments")
    assert "hazard_tier" not in segs
    assert cli("--config", recorded.config, "hazards", "--as-of", "2026-03-02")[0] == 0
    segs = pyogrio.read_dataframe(recorded.gpkg, layer="segments")
    assert segs["hazards_open"].sum() == 2


def test_criticality_before_any_hazards_run_has_no_such_note(recorded, cli):
    for stage in ("ingest", "build", "criticality"):
        code, _, err = cli("--config", recorded.config, stage)
        assert code == 0 and "gasnet hazards" not in err


# -- major-hazard rules reach as far as they say ------------------------------------------------


def test_a_wider_protection_range_widens_the_encroachment_rule_and_its_reach(tmp_path):
    # The README's own example raises a protection range: MP-A to 2.0 m here. A building
    # 1.8 m from P3 (MP-A) is then within the protection range of a medium-pressure pipe:
    # major by encroachment_mp_or_higher, P1. Encroachment's influence stayed at the default
    # 0.5 m, so it used to match no pipe at all ("no pipe within reach", score 0, P3). A
    # rule's distance now widens the influence of its categories on the classes it covers:
    # influence 2.0 m, distance factor 1 (within the protection range).
    from gasnet._hazard_settings import hazard_settings

    settings = hazard_settings({"protection_m": {"MP-A": 2.0}}, {}, tmp_path / "gasnet.toml")
    res = assess(net_with([("E", (250, 1.8), "encroachment")]), settings, as_of=AS_OF)
    r = risk_of(res, "E")
    assert r["pipe_id"] == "P3" and r["tier"] == "P1"
    assert r["major_rule"] == "encroachment_mp_or_higher"
    assert r["influence_m"] == 2.0 and r["distance_factor"] == 1.0
    assert list(res.matches["pipe_id"]) == ["P3"]


def test_a_utility_rule_reaching_past_the_influence_distance_applies(tmp_path):
    # A utility's rule: a leak within 10 m of an LP or higher pipe is major. Leaks reach 3 m
    # by default; a leak 5 m from P3 used to match nothing. Now the rule widens the leak's
    # influence to 10 m on every class: it matches, major, P1; the distance factor
    # (10 - 5) / (10 - 0.5) = 0.5263.
    from gasnet._hazard_settings import hazard_settings

    rule = {"name": "leak10", "category": "leak", "min_pressure_class": "LP", "within": 10}
    settings = hazard_settings({"major_rules": [rule]}, {}, tmp_path / "gasnet.toml")
    res = assess(net_with([("K", (250, 5), "leak")]), settings, as_of=AS_OF)
    r = risk_of(res, "K")
    assert r["pipe_id"] == "P3" and r["major_rule"] == "leak10" and r["tier"] == "P1"
    assert r["influence_m"] == 10.0
    assert r["distance_factor"] == pytest.approx(5 / 9.5)
    # A rule for SHP-B and up widens nothing on these MP-A pipes: no match, as before.
    rule["min_pressure_class"] = "SHP-B"
    settings = hazard_settings({"major_rules": [rule]}, {}, tmp_path / "gasnet.toml")
    res = assess(net_with([("K", (250, 5), "leak")]), settings, as_of=AS_OF)
    assert len(res.matches) == 0


# -- outputs: all or nothing ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["hazards", "run"])
def test_a_folder_where_risk_csv_goes_leaves_the_geopackage_as_it_was(recorded, cli, command):
    # out/risk.csv is a folder: the command fails with one line, as it did, but it used to
    # have replaced gasnet.gpkg first (a failed run with new results in the GeoPackage).
    assert cli("--config", recorded.config, "run", "--as-of", "2026-03-02")[0] == 0
    csv = recorded.root / "out" / "risk.csv"
    csv.unlink()
    csv.mkdir()
    before = recorded.gpkg.read_bytes()
    code, _, err = cli("--config", recorded.config, command, "--as-of", "2026-03-09")
    assert code == 2 and "risk.csv" in err and "it is a folder" in err
    assert len(err.strip().splitlines()) == 1
    assert recorded.gpkg.read_bytes() == before
    assert csv.is_dir() and not list(csv.parent.glob(".risk.tmp*"))


def test_a_geopackage_that_cannot_be_written_leaves_risk_csv_as_it_was(recorded, cli, monkeypatch):
    # The GeoPackage write fails (here: another process replaced it meanwhile): risk.csv,
    # written after it, must not hold the new ranking either.
    from gasnet import pipeline
    from gasnet.errors import OutputError

    assert cli("--config", recorded.config, "run", "--as-of", "2026-03-02")[0] == 0
    csv = recorded.root / "out" / "risk.csv"
    before = csv.read_bytes()

    def replaced(*args, **kwargs):
        raise OutputError("gasnet.gpkg: was replaced by another process; run the command again")

    monkeypatch.setattr(pipeline.store, "write_layers", replaced)
    code, _, err = cli("--config", recorded.config, "hazards", "--as-of", "2026-03-09")
    assert code == 2 and "replaced by another process" in err
    assert csv.read_bytes() == before
    assert not list(csv.parent.glob(".risk.tmp*"))


def test_assess_refuses_records_in_another_crs():
    # Records in lon/lat beside a network in EPSG:4545 used to match nothing, every record
    # "no pipe within reach", without a word.
    net = net_with([("K", (250, 1), "leak")])
    lonlat = net.layers["hazards"].to_crs("EPSG:4326")
    with pytest.raises(ValueError, match=r"EPSG:4326.*EPSG:4545.*to_crs"):
        net.hazards = lonlat  # (refused when assigned)
    net.layers["hazards"] = lonlat  # bypassing the check: assess refuses them too
    with pytest.raises(ValueError, match=r"EPSG:4326.*EPSG:4545.*to_crs"):
        assess(net, HazardSettings(), as_of=AS_OF)


def test_assess_takes_a_bare_frame_of_records():
    # A frame with only hazard_id, category and the shapes: the other fields take their
    # defaults (severity general, status open, no dates) instead of a KeyError.
    net = net_with([("K", (250, 1), "leak")])
    net.hazards = net.layers["hazards"][["hazard_id", "category", "geometry"]]
    r = risk_of(assess(net, HazardSettings(), as_of=AS_OF), "K")
    assert (r["severity"], r["status"], r["days_overdue"]) == ("general", "open", 0)
    assert r["pipe_id"] == "P3"
    with pytest.raises(ValueError, match="hazard_id"):  # (refused when assigned)
        net.hazards = net.layers["hazards"][["category", "geometry"]]


# -- dates beyond pandas' nanosecond range (1677 to 2262) -----------------------------------------


def test_dates_of_any_year_count():
    # A due_on typed 1026-04-10 (for 2026) is long past: overdue by
    # (2026-03-02 - 1026-04-10) = 365204 days, factor at its cap 3; one typed 3026-02-01 is
    # not due yet. With pandas 2 (which the package allows), both used to read as blank:
    # never overdue, and no due_before_found for A' (found 3026, due 2026).
    rows = [
        ("A", (250, 1), "leak", "general", "open", "1026-01-10", "1026-04-10"),
        ("A'", (250, 1), "leak", "general", "open", "3026-01-10", "2026-02-01"),
        ("C", (250, 1), "leak", "general", "open", "2026-01-10", "3026-02-01"),
    ]
    res = assess(net_with(rows), HazardSettings(), as_of=AS_OF)
    risk = res.risk.set_index("hazard_id")
    assert (datetime.date(2026, 3, 2) - datetime.date(1026, 4, 10)).days == 365204
    assert risk.loc["A", "days_overdue"] == 365204 and risk.loc["A", "overdue_factor"] == 3.0
    assert risk.loc["C", "days_overdue"] == 0
    q = res.report.to_frame()
    row = q[q["check"] == "due_before_found"]
    assert list(row["feature_id"]) == ["A'"]
    assert "found 3026-01-10, due 2026-02-01" in row["message"].iloc[0]


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_an_as_of_of_any_year_is_counted_to(recorded, cli, as_of):
    # Used to be an internal error (OutOfBoundsDatetime) with pandas 2.
    assert cli("--config", recorded.config, "run", "--as-of", "2026-03-02")[0] == 0
    code, out, err = cli("--config", recorded.config, "hazards", "--as-of", as_of)
    assert code == 0, err
    assert f"(as of {as_of})" in out


@pytest.mark.parametrize("diameter", [-110.0, 0.0, float("nan")])
def test_a_pipe_without_a_usable_diameter_counts_no_exposure(diameter):
    # P3 with diameter -110 mm (a sign slip), 0 or none: no impact radius (it used to show
    # -6.94 m for -110), no exposure, and the note says why.
    net = net_with([("K", (250, 1), "leak")])
    net.layers["edges"].loc[net.layers["edges"]["pipe_id"] == "P3", "diameter_mm"] = diameter
    r = risk_of(assess(net, HazardSettings(), as_of=AS_OF), "K")
    assert r["pipe_id"] == "P3" and math.isnan(r["impact_radius_m"])
    assert r["exposed_customers"] == 0
    assert "pipe without a usable diameter: exposure not counted" in r["notes"]
