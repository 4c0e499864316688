"""Ingest and validation (issue 2): every check has a tiny bad input, its message and exit code."""

from __future__ import annotations

import hashlib

import pyogrio
import pytest
from conftest import line, pt, write_shp

from gasnet import store
from gasnet.config import read_config
from gasnet.errors import ConfigError, InputError, ValidationError
from gasnet.pipeline import ingest


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _issues(project):
    return pyogrio.read_dataframe(project.gpkg, layer="quality_issues")


def test_valid_project_ingests_canonical_layers(project, cli):
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "3 pipes" in out and "quality: 0 errors" in out
    pipes = pyogrio.read_dataframe(project.gpkg, layer="pipes").set_index("pipe_id")
    # Chinese and English labels both map to the canonical values.
    assert pipes.loc["P1", "pressure_class"] == "MP-A"
    assert pipes.loc["P3", "pressure_class"] == "LP"
    assert pipes.loc["P3", "status"] == "planned"
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    assert valves.loc[0, "normally"] == "closed" and bool(valves.loc[0, "operable"]) is True
    customers = pyogrio.read_dataframe(project.gpkg, layer="customers").set_index("customer_id")
    # 醫院 -> hospital, and a hospital is critical unless the data says otherwise.
    assert customers.loc["C1", "kind"] == "hospital" and bool(customers.loc["C1", "critical"])
    assert not bool(customers.loc["C2", "critical"]) and customers.loc["C2", "households"] == 30
    assert set(store.list_layers(project.gpkg)) >= {
        "pipes",
        "valves",
        "sources",
        "customers",
        "regulators",
        "hazards",
        "quality_issues",
        "run_metadata",
    }


def test_run_metadata_records_inputs_config_and_version(project):
    ingest(read_config(project.config))
    meta = store.read_metadata(project.gpkg)
    assert meta["input:raw/pipes.shp"] == _digest(project.raw / "pipes.shp")
    assert meta["input:raw/pipes.dbf"] == _digest(project.raw / "pipes.dbf")
    assert "[layers.pipes]" in meta["config_toml"]
    assert meta["gasnet_version"] and meta["stage:ingest"]


def test_raw_files_are_never_written(project):
    before = {p.name: _digest(p) for p in project.raw.iterdir()}
    ingest(read_config(project.config))
    assert {p.name: _digest(p) for p in project.raw.iterdir()} == before


def test_invalid_toml_exits_2_naming_the_file(project, cli):
    project.config.write_text("[project\nname = 1", encoding="utf-8")
    code, _out, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert "invalid TOML" in err and str(project.config) in err and "Traceback" not in err


def test_unknown_config_key_lists_the_valid_ones(project):
    project.replace_config("snap_tolerance_m = 0.5", "snap_tolerence_m = 0.5")
    with pytest.raises(
        ConfigError,
        match=r"unknown key.*snap_tolerence_m.*valid keys are "
        "customer_max_distance_m, snap_tolerance_m",
    ):
        read_config(project.config)


def test_missing_required_layer_in_config(project, cli):
    text = project.config.read_text().replace('[layers.sources]\npath = "raw/sources.shp"\n', "")
    project.config.write_text(text)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "required layer(s) sources not configured" in err


def test_missing_file_names_the_file_and_the_fix(project, cli):
    (project.raw / "valves.shp").unlink()
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert "valves" in err and "valves.shp" in err and "file not found" in err
    assert "check path" in err


def test_missing_prj_without_config_crs_is_an_error(project, cli):
    (project.raw / "valves.prj").unlink()
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert "valves" in err and "no CRS" in err and 'set crs = "EPSG:' in err


def test_missing_prj_with_config_crs_is_fine(project, cli):
    (project.raw / "valves.prj").unlink()
    project.replace_config('path = "raw/valves.shp"', 'path = "raw/valves.shp"\ncrs = "EPSG:4545"')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err


def test_gbk_without_cpg_read_with_the_configured_encoding(project, cli):
    write_shp(
        project.raw / "pipes.shp",
        [{"管線編號": "管-1", "壓力級制": "中壓A"}, {"管線編號": "管-2", "壓力級制": "低壓"}],
        [line((0, 0), (100, 0)), line((100, 0), (200, 0))],
        encoding="GBK",
        cpg=False,
    )
    project.replace_config(
        'path = "raw/pipes.shp"',
        'path = "raw/pipes.shp"\nid = "管線編號"\n'
        '[layers.pipes.fields]\npressure_class = "壓力級制"',
    )
    # Without the encoding, the field names come out garbled: the message says what to do.
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and 'set encoding = "GBK" in [layers.pipes]' in err
    project.replace_config('id = "管線編號"', 'id = "管線編號"\nencoding = "GBK"')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    pipes = pyogrio.read_dataframe(project.gpkg, layer="pipes")
    assert list(pipes["pipe_id"]) == ["管-1", "管-2"]
    assert list(pipes["pressure_class"]) == ["MP-A", "LP"]


def test_self_intersecting_pipe_is_a_warning(project, cli):
    write_shp(
        project.raw / "pipes.shp",
        [{"id": "P1"}, {"id": "LOOP"}],
        [line((0, 0), (100, 0)), line((0, 10), (50, 10), (50, 40), (25, -5))],
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "pipe crosses or touches itself" in out and "LOOP" in out
    issues = _issues(project)
    row = issues[issues["check"] == "self_intersecting"].iloc[0]
    assert row["feature_id"] == "LOOP" and row["severity"] == "warning"
    assert row.geometry is not None


def test_duplicate_ids_stop_the_run(project, cli):
    write_shp(
        project.raw / "pipes.shp",
        [{"id": "P1"}, {"id": "P1"}, {"id": "P2"}],
        [line((0, 0), (100, 0)), line((100, 0), (200, 0)), line((0, 5), (9, 5))],
    )
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert (
        "error: pipes (pipes.shp): duplicate ids (field id) — feature P1; fix: give each "
        "feature a unique id" in err
    )


def test_missing_ids_stop_the_run(project, cli):
    write_shp(project.raw / "valves.shp", [{"id": "V1"}, {"id": None}], [pt(50, 0), pt(150, 0)])
    code, _, err = cli("--config", project.config, "ingest")
    assert (
        code == 2
        and "valves (valves.shp): features without an id" in err
        and "valves.shp row 1" in err
    )


def test_point_layer_configured_as_pipes(project, cli):
    project.replace_config('path = "raw/pipes.shp"', 'path = "raw/valves.shp"')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert "pipes (" in err and "valves.shp" in err
    assert "Point geometry where LineString / MultiLineString is expected" in err
    assert "V1" in err


def test_errors_are_reported_together_one_line_per_kind(project, cli):
    (project.raw / "valves.prj").unlink()
    write_shp(project.raw / "customers.shp", [{"id": "C1"}, {"id": "C1"}], [pt(1, 1), pt(2, 2)])
    code, _, err = cli("--config", project.config, "ingest")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2
    assert "no CRS" in lines[0] and "duplicate ids" in lines[1]


def test_csv_row_without_coordinates_is_kept_with_a_warning(project, cli):
    (project.raw / "hazards.csv").write_text(
        "編號,類別,等級,經度,緯度\nH1,占壓,重大隱患,106.75,31.86\nH2,腐蝕,一般隱患,,\n",
        encoding="utf-8-sig",
    )
    project.add_config(
        '[layers.hazards]\npath = "raw/hazards.csv"\nid = "編號"\nx = "經度"\n'
        'y = "緯度"\ncrs = "EPSG:4326"\n'
        '[layers.hazards.fields]\ncategory = "類別"\nseverity = "等級"\n'
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "hazards: record has no coordinates" in out and "H2" in out
    hazards = pyogrio.read_dataframe(project.gpkg, layer="hazards").set_index("hazard_id")
    assert len(hazards) == 2 and hazards.loc["H2"].geometry is None
    assert (
        hazards.loc["H1", "category"] == "encroachment" and hazards.loc["H1", "severity"] == "major"
    )
    # reprojected from lon/lat to the working CRS (metres)
    assert 300_000 < hazards.loc["H1"].geometry.x < 500_000


def test_csv_without_crs_is_an_error(project, cli):
    (project.raw / "h.csv").write_text("id,x,y\nH1,1,2\n")
    project.add_config('[layers.hazards]\npath = "raw/h.csv"\n')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "a CSV carries no CRS" in err and 'crs = "EPSG:4326"' in err


def test_unknown_source_kind_is_kept_with_a_warning_naming_the_accepted_values(project, cli):
    # Values that change no answer keep the warning; the five that do stop the run
    # (test_strict_values.py).
    write_shp(
        project.raw / "sources.shp",
        [{"id": "S1", "kind": "LPG站"}, {"id": "S2", "kind": "\u95e8\u7ad9"}],  # 门站
        [pt(0, 0), pt(200, 0)],
        encoding="GBK",
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert (
        "unknown kind kept as given; accepted values: city_gate, cng, lng, storage" in out
        and "feature S1;" in out
    )
    issues = _issues(project)
    assert list(issues.loc[issues["check"] == "unknown_value", "feature_id"]) == ["S1"]
    assert "kind = 'LPG站'" in issues.loc[issues["check"] == "unknown_value", "message"].iloc[0]
    sources = pyogrio.read_dataframe(project.gpkg, layer="sources")
    assert list(sources["kind"]) == ["LPG站", "city_gate"]


def test_config_can_add_value_labels(project, cli):
    write_shp(
        project.raw / "pipes.shp",
        [{"id": "P1", "pressure_class": "中壓"}],
        [line((0, 0), (100, 0))],
    )
    project.add_config('[values."pipes.pressure_class"]\n"中壓" = "MP-B"\n')
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0 and "unknown" not in out
    assert pyogrio.read_dataframe(project.gpkg, layer="pipes").loc[0, "pressure_class"] == "MP-B"


def test_feature_far_outside_the_extent_is_a_warning(project, cli):
    write_shp(
        project.raw / "customers.shp", [{"id": "C1"}, {"id": "FAR"}], [pt(150, 10), pt(50_000, 10)]
    )
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0 and "outside the pipe network's extent" in out and "FAR" in out


def test_multi_source_layers_are_merged(project, cli):
    write_shp(
        project.raw / "pipes_b.shp",
        [{"GDBH": "B1", "YLJB": "次高壓B"}],
        [line((0, 0), (0, -100))],
        crs="EPSG:4326" if False else "EPSG:4545",
    )
    text = project.config.read_text().replace(
        '[layers.pipes]\npath = "raw/pipes.shp"\n',
        '[[layers.pipes]]\npath = "raw/pipes.shp"\n[[layers.pipes]]\npath = "raw/pipes_b.shp"\n'
        'id = "GDBH"\nfields = { pressure_class = "YLJB" }\n',
    )
    project.config.write_text(text)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    pipes = pyogrio.read_dataframe(project.gpkg, layer="pipes").set_index("pipe_id")
    assert list(pipes.index) == ["P1", "P2", "P3", "B1"]
    assert (
        pipes.loc["B1", "pressure_class"] == "SHP-B"
        and pipes.loc["B1", "source_file"] == "pipes_b.shp"
    )


def test_files_of_one_name_in_two_folders_are_told_apart(project, cli):
    # Two districts' exports, both pipes.shp: raw/east/pipes.shp (E1) and raw/west/pipes.shp
    # (a blank id, then W2). Each keeps its own name from the folder they share (east/...,
    # west/...), and the blank is row 0 of west/pipes.shp — not "pipes.shp row 1", a row
    # counted across both files under one name.
    for district, ids in (("east", ["E1"]), ("west", [None, "W2"])):
        (project.raw / district).mkdir()
        write_shp(
            project.raw / district / "pipes.shp",
            [{"id": i} for i in ids],
            [line((0, 10 * k), (100, 10 * k)) for k in range(len(ids))],
        )
    text = project.config.read_text().replace(
        '[layers.pipes]\npath = "raw/pipes.shp"\n',
        '[[layers.pipes]]\npath = "raw/east/pipes.shp"\n'
        '[[layers.pipes]]\npath = "raw/west/pipes.shp"\n',
    )
    project.config.write_text(text)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2
    assert "pipes (east/pipes.shp, west/pipes.shp): features without an id" in err
    assert "feature west/pipes.shp row 0;" in err


def test_a_failing_run_leaves_the_previous_geopackage_untouched(project, cli):
    assert cli("--config", project.config, "ingest")[0] == 0
    before = _digest(project.gpkg)
    write_shp(
        project.raw / "pipes.shp",
        [{"id": "P1"}, {"id": "P1"}],
        [line((0, 0), (100, 0)), line((100, 0), (200, 0))],
    )
    assert cli("--config", project.config, "ingest")[0] == 2
    assert _digest(project.gpkg) == before
    assert [p.name for p in project.gpkg.parent.iterdir()] == ["gasnet.gpkg"]


def test_an_interrupted_write_leaves_the_previous_geopackage_untouched(project, monkeypatch):
    config = read_config(project.config)
    ingest(config)
    before = _digest(project.gpkg)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.pyogrio, "write_dataframe", boom)
    with pytest.raises(InputError, match="cannot write the GeoPackage \\(disk full\\)"):
        ingest(config)
    assert _digest(project.gpkg) == before
    assert [p.name for p in project.gpkg.parent.iterdir()] == ["gasnet.gpkg"]


def test_validate_writes_nothing_and_reports(project, cli):
    code, out, _ = cli("--config", project.config, "validate")
    assert code == 0 and "quality: 0 errors" in out
    assert not project.gpkg.exists()
    write_shp(
        project.raw / "pipes.shp",
        [{"id": "P1"}, {"id": "P1"}],
        [line((0, 0), (100, 0)), line((100, 0), (200, 0))],
    )
    with pytest.raises(ValidationError, match="duplicate ids"):
        from gasnet.pipeline import validate

        validate(read_config(project.config))


# -- the remaining error paths, one small bad input each -------------------------------------


def test_missing_config_file_exits_2(tmp_path, cli):
    code, _, err = cli("--config", tmp_path / "nope.toml", "ingest")
    assert code == 2 and "config file not found" in err and "nope.toml" in err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'crs = "EPSG:4545"',
            'crs = "EPSG:4326"',
            "is geographic; the working CRS must be projected",
        ),
        ('crs = "EPSG:4545"', 'crs = "EPSG:999999"', "is not a CRS pyproj knows"),
        (
            "[layers.valves]",
            "[layers.valve]",
            "unknown layer [layers.valve]; valid layers are pipes",
        ),
        (
            "snap_tolerance_m = 0.5",
            "snap_tolerance_m = -1",
            "snap_tolerance_m must be a number >= 0",
        ),
        (
            'path = "raw/valves.shp"',
            'file = "raw/valves.shp"',
            "unknown key(s) file in [layers.valves]",
        ),
    ],
)
def test_config_mistakes_are_named(project, cli, old, new, message):
    project.replace_config(old, new)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and message in err


def test_configured_field_not_in_the_file(project, cli):
    project.replace_config(
        'path = "raw/pipes.shp"',
        'path = "raw/pipes.shp"\n[layers.pipes.fields]\ndiameter_mm = "GJ"',
    )
    code, _, err = cli("--config", project.config, "ingest")
    assert (
        code == 2 and "configured field(s) GJ not found" in err and "[layers.pipes.fields]" in err
    )


def test_unreadable_file(project, cli):
    (project.raw / "sources.shp").write_bytes(b"not a shapefile")
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "sources" in err and "cannot read the file" in err


def test_csv_in_the_wrong_encoding(project, cli):
    (project.raw / "h.csv").write_bytes("編號,x,y\nH1,1,2\n".encode("gbk"))
    project.add_config('[layers.hazards]\npath = "raw/h.csv"\nid = "編號"\ncrs = "EPSG:4545"\n')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "cannot decode h.csv as UTF-8" in err and 'encoding = "GBK"' in err
    project.replace_config('id = "編號"', 'id = "編號"\nencoding = "GBK"')
    assert cli("--config", project.config, "ingest")[0] == 0


def test_null_geometry_is_kept_with_a_warning(project, cli):
    write_shp(project.raw / "customers.shp", [{"id": "C1"}, {"id": "NOWHERE"}], [pt(150, 10), None])
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0 and "feature has no geometry" in out and "NOWHERE" in out
    assert len(pyogrio.read_dataframe(project.gpkg, layer="customers")) == 2


def test_invalid_polygon_is_repaired_and_reported(project, cli):
    from conftest import xy
    from shapely.geometry import Polygon

    bowtie = Polygon([xy(0, 0), xy(50, 50), xy(50, 0), xy(0, 50)])  # self-crossing ring
    write_shp(project.raw / "zones.shp", [{"id": "Z1", "category": "洪澇"}], [bowtie])
    project.add_config('[layers.hazards]\npath = "raw/zones.shp"\n')
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0 and "invalid geometry repaired with make_valid" in out
    zone = pyogrio.read_dataframe(project.gpkg, layer="hazards").geometry.iloc[0]
    assert zone.is_valid and zone.area > 0


def test_bad_numbers_and_dates_are_blank_with_a_warning(project, cli):
    (project.raw / "h.csv").write_text(
        "id,x,y,found\nH1,380010,3526010,2025-13-45\n", encoding="utf-8"
    )
    project.add_config(
        '[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4545"\n'
        '[layers.hazards.fields]\nfound_on = "found"\n'
    )
    write_shp(
        project.raw / "pipes.shp", [{"id": "P1", "diameter_m": "DN110"}], [line((0, 0), (100, 0))]
    )
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0
    assert (
        "found_on is not a date; left blank" in out and "diameter_mm is not a usable number" in out
    )


# -- found in review: more bad inputs, each a named error (exit 2) or a warning ---------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'path = "raw/valves.shp"',
            'path = "raw/valves.shp"\nfields = "x"',
            "fields must be a table",
        ),
        (
            'path = "raw/valves.shp"',
            'path = "raw/valves.shp"\nencoding = "GBX"',
            "encoding 'GBX' is not an encoding Python knows",
        ),
        (
            'path = "raw/valves.shp"',
            'path = "raw/valves.shp"\ncrs = "EPSG:4545x"',
            "crs 'EPSG:4545x' is not a CRS pyproj knows",
        ),
        ('path = "raw/valves.shp"', "path = 5", "path must be a string"),
        ('dir = "out"', 'dir = "raw"', "is the folder of input"),
        ('dir = "out"', 'dir = "gasnet.toml"', "cannot write the GeoPackage"),
    ],
)
def test_more_config_mistakes(project, cli, old, new, message):
    project.replace_config(old, new)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and message in err and "Traceback" not in err


def test_path_to_a_folder_and_an_empty_csv(project, cli):
    (project.raw / "vdir").mkdir()
    project.replace_config('path = "raw/valves.shp"', 'path = "raw/vdir"')
    (project.raw / "h.csv").write_text("")
    project.add_config('[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4326"\n')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "the path is a folder, not a file" in err
    assert "cannot read the CSV" in err


def test_geopackage_with_several_layers_needs_layer(project, cli):
    import geopandas as gpd

    for name, x in (("sources", 0), ("valves", 50)):
        gpd.GeoDataFrame(
            {"id": [name[0].upper() + "1"]}, geometry=[pt(x, 0)], crs="EPSG:4545"
        ).to_file(project.raw / "all.gpkg", layer=name)
    project.replace_config('path = "raw/valves.shp"', 'path = "raw/all.gpkg"')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and "holds 2 layers (sources, valves)" in err and 'layer = "..."' in err
    project.replace_config('path = "raw/all.gpkg"', 'path = "raw/all.gpkg"\nlayer = "valves"')
    assert cli("--config", project.config, "ingest")[0] == 0


def test_impossible_household_counts_are_blank_with_a_warning(project, cli):
    write_shp(
        project.raw / "customers.shp",
        [{"id": "C1", "households": "inf"}, {"id": "C2", "households": "-5"}],
        [pt(150, 10), pt(110, 60)],
    )
    code, out, _ = cli("--config", project.config, "ingest")
    assert code == 0 and "households is not a usable number" in out
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers")
    assert list(cust["households"]) == [1, 1]  # blank -> the default


def test_no_usable_pipe_is_a_named_error(project, cli):
    write_shp(project.raw / "pipes.shp", [{"id": "P1"}], [None])
    code, _, err = cli("--config", project.config, "run")
    assert code == 2 and "pipes: no pipe with a usable geometry" in err


def test_a_network_with_no_pipe_in_service_still_runs(project, cli):
    write_shp(project.raw / "pipes.shp", [{"id": "P1", "status": "規劃"}], [line((0, 0), (100, 0))])
    code, out, err = cli("--config", project.config, "run")
    assert code == 0, err
    assert "0 customers supplied" in out


def test_a_run_failing_at_a_later_stage_leaves_the_previous_results(project, cli):
    assert cli("--config", project.config, "run")[0] == 0
    before = _digest(project.gpkg)
    write_shp(project.raw / "pipes.shp", [{"id": "P1"}], [None])  # ingest passes, build fails
    assert cli("--config", project.config, "run")[0] == 2
    assert _digest(project.gpkg) == before
    assert "segments" in store.list_layers(project.gpkg)
    assert sorted(p.name for p in project.gpkg.parent.iterdir()) == [
        "gasnet.gpkg",
        "maps",
        "risk.csv",
        "valve_advice.csv",
    ]
