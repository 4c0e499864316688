"""The sample generator: deterministic, scalable, and ingestable as written."""

from __future__ import annotations

import hashlib

import pyogrio

from gasnet.sample import generate_sample, write_sample


def test_same_seed_same_network_and_other_seed_differs():
    a, b, c = (
        generate_sample(600, seed=3),
        generate_sample(600, seed=3),
        generate_sample(600, seed=4),
    )
    assert a.pipes.equals(b.pipes) and a.customers.equals(b.customers)
    assert a.hazard_points.equals(b.hazard_points)
    assert not a.customers.geometry.equals(c.customers.geometry)


def test_scales_with_pipes():
    small, big = generate_sample(1000), generate_sample(10_000)
    assert 800 <= len(small.pipes) <= 1200
    assert 9000 <= len(big.pipes) <= 11000
    assert len(big.customers) > 5 * len(small.customers)


def test_default_sample_has_what_the_issue_asks(tmp_path, cli):
    code, out, err = cli("sample", "--out", tmp_path / "s")
    assert code == 0, err
    s = tmp_path / "s" / "raw"
    assert (s / "pipes.cpg").read_text() == "GBK"
    assert not (s / "valves.prj").exists()
    pipes = pyogrio.read_dataframe(s / "pipes.shp")
    assert 3000 <= len(pipes) <= 6000 and "压力级制" in pipes.columns
    assert set(pipes["压力级制"]) == {"次高压B", "中压A", "中压B", "低压"}
    sources = pyogrio.read_dataframe(s / "sources.shp")
    assert list(sources["场站类型"]) == ["门站", "门站"]
    valves = pyogrio.read_dataframe(s / "valves.shp", encoding="GBK")
    assert (valves["开关状态"] == "常闭").sum() >= 3 and (valves["可操作"] == "否").sum() >= 3
    customers = pyogrio.read_dataframe(s / "customers.shp")
    assert 15 <= customers["用户类型"].isin(["医院", "学校", "养老院"]).sum() <= 25
    hazards = (s / "hazards.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(hazards) > 300
    areas = pyogrio.read_dataframe(s / "hazard_areas.geojson")
    assert {"Polygon", "LineString"} <= set(areas.geom_type) or {
        "MultiPolygon",
        "LineString",
    } <= set(areas.geom_type)
    # It runs as written, with its own config; the hazard rows without coordinates show.
    code, out, err = cli("--config", s.parent / "gasnet.toml", "run", "--as-of", "2026-11-30")
    assert code == 0, err
    assert "record has no coordinates" in out
    _sample_hazards_exercise_the_stage(s.parent / "processed" / "gasnet.gpkg")


def _sample_hazards_exercise_the_stage(gpkg):
    """Issue 8, item 6: major and general, every status, overdue ones, records without
    coordinates, an unknown category, a flood zone along the river, a landslide on a main."""
    risk = pyogrio.read_dataframe(gpkg, layer="risk").set_index("hazard_id")
    assert set(risk["tier"]) == {"P1", "P2", "P3", "closed"}
    assert set(risk["status"]) == {"open", "in_progress", "closed"}
    assert (risk["major_rule"] != "").sum() >= 5 and (risk["days_overdue"] > 0).sum() >= 100
    q = pyogrio.read_dataframe(gpkg, layer="quality_issues").set_index("feature_id")
    checks = {(i, c) for i, c in zip(q.index, q["check"], strict=True)}
    assert {
        ("YH-X001", "unknown_value"),  # 树木根系, a category gasnet does not know
        ("YH-X002", "unknown_value"),  # 较大隐患, a severity neither major nor general
        ("YH-X003", "bad_date"),  # 下月底
        ("YH-X004", "due_before_found"),
        ("YH-X005", "no_pipe_within_reach"),  # in a field
    } <= checks
    assert (q["check"] == "no_coordinates").sum() == 2
    assert (q["check"] == "major_by_rule").sum() >= 5
    assert "weighted as other" in risk.loc["YH-X001", "notes"]
    # Dates as inspectors type them (2026年3月2日, 2026/5/18) are read.
    assert risk.loc["YH-X001", "found_on"] == "2026-03-02"
    assert risk.loc["YH-X002", "found_on"] == "2026-05-18"
    flood, slide = risk.loc["YH-A001"], risk.loc["YH-A002"]
    assert flood["category"] == "flood" and flood["pipes_matched"] >= 20
    assert slide["category"] == "geohazard" and slide["pressure_class"] in ("MP-A", "SHP-B")
    matches = pyogrio.read_dataframe(gpkg, layer="hazard_matches", read_geometry=False)
    assert matches.loc[matches["hazard_id"] == "YH-A002", "exposed_length_m"].sum() > 50


def test_writing_twice_gives_identical_files(tmp_path):
    write_sample(tmp_path / "a", 500, seed=1)
    write_sample(tmp_path / "b", 500, seed=1)
    for f in (
        "pipes.shp",
        "pipes.dbf",
        "customers.dbf",
        "valves.shp",
        "hazards.csv",
        "hazard_areas.geojson",
    ):
        assert (
            hashlib.sha256((tmp_path / "a" / "raw" / f).read_bytes()).digest()
            == hashlib.sha256((tmp_path / "b" / "raw" / f).read_bytes()).digest()
        )
