"""Hostile inputs at ingest (review A): each bad file or config line is a named error or a
warning that says what was done, never a silent change, a guess or a traceback."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyogrio
import pytest
from conftest import line, pt, write_shp


def _issues(project):
    return pyogrio.read_dataframe(project.gpkg, layer="quality_issues")


def _stops(project, cli, *parts, command="ingest"):
    code, out, err = cli("--config", project.config, command)
    assert code == 2, out + err
    assert "Traceback" not in err and not project.gpkg.exists(), err
    assert err.startswith("gasnet: "), err
    for part in parts:
        assert part in err, err
    return err


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


# -- A13: a label that already means a value cannot be remapped to another -------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[values."valves.normally"]\n"closed" = "open"\n',
            "maps 'closed' = 'open', but 'closed' already means 'closed'",
        ),
        (  # 常閉 is the built-in 常闭 in Traditional characters
            '[values."valves.normally"]\n"\u5e38\u9589" = "open"\n',
            "'\u5e38\u9589' already means 'closed'",
        ),
        ('[values."valves.operable"]\n"NO" = true\n', "'NO' already means 'false'"),
        ('[values."valves.normally"]\n"" = "closed"\n', "maps '': a blank label"),
        ('[values."valves.normally"]\n" - _ " = "closed"\n', "a blank label"),
    ],
)
def test_config_cannot_remap_a_label_to_another_value(project, cli, table, message):
    project.add_config(table)
    err = _stops(project, cli, '[values."valves.normally"]' if "normally" in table else "", message)
    assert len(err.strip().splitlines()) == 1


def test_config_may_repeat_a_builtin_meaning(project, cli):
    project.add_config('[values."valves.normally"]\n"CLOSED" = "closed"\n"\u5e38\u5f00" = "open"\n')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err


# -- C5: full-width labels are the labels they look like -------------------------------------


def test_full_width_labels_are_recognised(project, cli):
    write_shp(
        project.raw / "pipes.shp",
        [
            {"id": "P1", "pressure_class": "\uff2d\uff30\uff0d\uff21"},  # ＭＰ－Ａ
            {"id": "P2", "pressure_class": "\u4e2d\u538b\uff21"},  # 中压Ａ
            {"id": "P3", "pressure_class": "\u4f4e\u58d3"},
        ],
        [line((0, 0), (100, 0)), line((100, 0), (200, 0)), line((100, 0), (100, 80))],
    )
    write_shp(
        project.raw / "valves.shp", [{"id": "V1", "operable": "\uff4e\uff4f"}], [pt(50, 0)]
    )  # ｎｏ
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    pipes = pyogrio.read_dataframe(project.gpkg, layer="pipes")
    assert list(pipes["pressure_class"]) == ["MP-A", "MP-A", "LP"]
    assert not bool(pyogrio.read_dataframe(project.gpkg, layer="valves").loc[0, "operable"])


# -- D: households -----------------------------------------------------------------------


def test_households_say_what_was_used(project, cli):
    write_shp(
        project.raw / "customers.shp",
        [
            {"id": "C1", "households": "lots"},
            {"id": "C2", "households": "2.7"},
            {"id": "C3", "households": "2.5"},
        ],
        [pt(150, 10), pt(110, 60), pt(180, 10)],
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "households is not a usable number; default 1 used" in out and "left blank" not in out
    assert "households is not a whole number; rounded to the nearest one" in out
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers")
    assert list(cust["households"]) == [1, 3, 3]
    issues = _issues(project)
    rounded = issues[issues["message"].str.contains("whole number")]
    assert list(rounded["feature_id"]) == ["C2", "C3"]
    assert "'2.7' -> 3" in rounded["message"].iloc[0]


def test_unknown_yes_no_values_say_how_to_map_them(project, cli):
    write_shp(project.raw / "valves.shp", [{"id": "V1", "operable": "\u826f\u597d"}], [pt(50, 0)])
    _stops(
        project,
        cli,
        "unknown operable values '\u826f\u597d' (1)",
        'map them under [values."valves.operable"] (a line "label" = "true" or "label" = "false")',
    )


# -- B3 / C15: one date parser ---------------------------------------------------------------


def test_dates_in_the_accepted_forms_and_the_rest_blank_with_a_warning(project, cli):
    dates = {
        "H1": ("2024-03-05", "2024-03-05"),
        "H2": ("2024-03-05T10:00:00+08:00", "2024-03-05"),  # with a zone, mixed with naive
        "H3": ("2024-03-05T23:30:00-05:00", "2024-03-05"),  # the date as written
        "H4": ("2024/3/5", "2024-03-05"),
        "H5": ("2024.3.5", "2024-03-05"),
        "H6": ("20240305", "2024-03-05"),
        "H7": ("2024\u5e743\u67085\u65e5", "2024-03-05"),  # 2024年3月5日
        "H8": ("2024\u5e743\u67085\u53f7", "2024-03-05"),  # 号
        "H9": ("05/03/2024", None),  # 5 March or May 3?
        "H10": ("3/5", None),  # no year
        "H11": ("2023-02-29", None),
        "H12": ("", None),
    }
    rows = "".join(f"{h},{380010 + i},3526010,{d}\n" for i, (h, (d, _)) in enumerate(dates.items()))
    (project.raw / "h.csv").write_text("id,x,y,found\n" + rows, encoding="utf-8")
    project.add_config(
        '[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4545"\n'
        '[layers.hazards.fields]\nfound_on = "found"\n'
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0 and "Traceback" not in err, err
    assert "found_on is not a date; left blank" in out
    assert "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY\u5e74M\u6708D\u65e5" in out
    hazards = pyogrio.read_dataframe(project.gpkg, layer="hazards").set_index("hazard_id")
    for h, (_, want) in dates.items():
        got = hazards.loc[h, "found_on"]
        assert (got if isinstance(got, str) else None) == want, (h, got)
    issues = _issues(project)
    assert sorted(issues.loc[issues["check"] == "bad_date", "feature_id"]) == ["H10", "H11", "H9"]


def test_date_fields_read_as_dates_keep_their_day(project, cli):
    import datetime

    import geopandas as gpd

    gpd.GeoDataFrame(
        {
            "id": ["H1", "H2"],
            "found": [datetime.date(2024, 3, 5), None],
            "category": ["\u5360\u538b", "\u5360\u538b"],
        },
        geometry=[pt(10, 10), pt(20, 10)],
        crs="EPSG:4545",
    ).to_file(project.raw / "h.shp")
    project.add_config(
        '[layers.hazards]\npath = "raw/h.shp"\n[layers.hazards.fields]\nfound_on = "found"\n'
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "bad_date" not in out and "not a date" not in out
    hazards = pyogrio.read_dataframe(project.gpkg, layer="hazards")
    assert hazards.loc[0, "found_on"] == "2024-03-05" and pd.isna(hazards.loc[1, "found_on"])


# -- C2 / A2: a shapefile's parts must be there and belong together --------------------------


def _other_export(project, name, rows, geoms):
    """A shapefile of another export, in a folder of its own (not the raw folder)."""
    other = project.root / "other"
    other.mkdir(exist_ok=True)
    return write_shp(other / name, rows, geoms)


@pytest.mark.parametrize("part", [".dbf", ".shx"])
def test_a_missing_dbf_or_shx_is_named(project, cli, part):
    (project.raw / "pipes").with_suffix(part).unlink()
    before = _digests(project.raw)
    err = _stops(
        project,
        cli,
        "error: pipes (",
        f"pipes{part} not found beside pipes.shp: a shapefile is the .shp, .shx and .dbf of "
        "one export",
        f"fix: copy pipes{part} from the same export into {project.raw}",
    )
    assert "fields: )" not in err and len(err.strip().splitlines()) == 1
    assert _digests(project.raw) == before


TWO_PIPES = (
    [{"id": "Q1"}, {"id": "Q2"}],
    [line((0, 0), (10, 0)), line((10, 0), (20, 0))],
)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ((".dbf",), "pipes.shx indexes 3 shapes but pipes.dbf holds 2 records"),
        ((".shx",), "pipes.shx indexes 2 shapes but pipes.dbf holds 3 records"),
        ((".shx", ".dbf"), "pipes.shp holds 88 bytes of shapes after the last of the 2 that"),
    ],
)
def test_parts_of_another_export_are_an_error(project, cli, parts, message):
    # pipes.shp has 3 two-point lines (88 bytes each with the record header); the other export
    # has 2: GDAL read 2 features and dropped the third without a word.
    other = _other_export(project, "pipes.shp", *TWO_PIPES)
    for part in parts:
        (project.raw / "pipes").with_suffix(part).write_bytes(other.with_suffix(part).read_bytes())
    before = _digests(project.raw)
    err = _stops(
        project, cli, "error: pipes (", message, "they come from", "fix: export the layer again"
    )
    assert len(err.strip().splitlines()) == 1 and _digests(project.raw) == before


def test_an_index_of_another_export_with_as_many_records_is_an_error(project, cli):
    other = _other_export(
        project,
        "pipes.shp",
        [{"id": "Q1"}, {"id": "Q2"}, {"id": "Q3"}],
        [line((0, 0), (10, 0), (20, 5)), line((10, 0), (20, 0)), line((0, 0), (1, 1))],
    )
    (project.raw / "pipes.shx").write_bytes(other.with_suffix(".shx").read_bytes())
    _stops(
        project, cli, "pipes.shx does not index pipes.shp: its entry for record 1 does not match"
    )


def test_a_dbf_cut_short_is_an_error(project, cli):
    dbf = project.raw / "customers.dbf"
    dbf.write_bytes(dbf.read_bytes()[:-30])
    _stops(project, cli, "error: customers (", "customers.dbf looks truncated")
