"""Values that change an answer are never guessed (issue 7, item 4).

An unrecognised value in valves.normally, valves.operable, pipes.status, pipes.pressure_class
or customers.critical stops the run (exit 2) with one line per field: the distinct values with
their counts, the accepted ones and the fix. Blanks take the documented defaults. Unknown
customer kinds are kept, and the command ends with a summary on stderr.
"""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
from conftest import line, pt, write_shp

from gasnet.config import read_config
from gasnet.errors import ValidationError
from gasnet.pipeline import ingest


def _valves(project, rows):
    geoms = [pt(50, 0), pt(150, 0), pt(100, 40)][: len(rows)]
    write_shp(
        project.raw / "valves.shp",
        [{"id": f"V{i + 1}", **r} for i, r in enumerate(rows)],
        geoms,
        encoding="GBK",
    )


def _pipes(project, rows):
    geoms = [line((0, 0), (100, 0)), line((100, 0), (200, 0)), line((100, 0), (100, 80))]
    write_shp(
        project.raw / "pipes.shp",
        [{"id": f"P{i + 1}", **r} for i, r in enumerate(rows)],
        geoms[: len(rows)],
        encoding="GBK",
    )


def _customers(project, rows):
    geoms = [pt(150, 10), pt(110, 60), pt(180, 10)]
    write_shp(
        project.raw / "customers.shp",
        [{"id": f"C{i + 1}", **r} for i, r in enumerate(rows)],
        geoms[: len(rows)],
        encoding="GBK",
    )


def _stops(project, cli, *parts):
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 2, out + err
    for part in parts:
        assert part in err, err
    assert "Traceback" not in err and not project.gpkg.exists()
    return err


def test_unknown_normally_stops_the_run(project, cli):
    _valves(project, [{"normally": "half"}, {"normally": "\u534a\u5f00"}, {"normally": "half"}])
    err = _stops(
        project,
        cli,
        "error: valves (",
        "valves.shp): unknown normally values 'half' (2), '\u534a\u5f00' (1); "
        "accepted: open, closed (\u5e38\u5f00, \u5e38\u95ed \u2026)",
        # An error stops the run before quality_issues is written: the line names each value.
        "features V1 (normally = 'half'), V2 (normally = '\u534a\u5f00'), V3 (normally = 'half')",
        'fix: correct them or map them under [values."valves.normally"]',
    )
    assert err.count("error:") == 1
    # Every feature is a row of the report (the API's ValidationError carries it).
    with pytest.raises(ValidationError, match="unknown normally values") as exc:
        ingest(read_config(project.config))
    rows = exc.value.issues
    assert sorted(rows["feature_id"]) == ["V1", "V2", "V3"]
    assert (rows["severity"] == "error").all() and "normally = 'half'" in rows["message"].iloc[0]
    # Mapped in the config (in either script), the run goes on with the mapped values.
    project.add_config('[values."valves.normally"]\n"half" = "closed"\n"\u534a\u958b" = "open"\n')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    assert list(valves["normally"]) == ["closed", "open", "closed"]


def test_unknown_operable_stops_the_run_and_config_adds_yes_no_labels(project, cli):
    _valves(project, [{"operable": "\u826f\u597d"}, {"operable": "\u574f"}, {"operable": "\u662f"}])
    _stops(
        project,
        cli,
        "unknown operable values '\u574f' (1), '\u826f\u597d' (1); "
        "accepted: true, false (\u662f, \u5426 \u2026)",  # 坏, 良好; 是, 否
        'map them under [values."valves.operable"]',
    )
    project.add_config('[values."valves.operable"]\n"\u826f\u597d" = "true"\n"\u58de" = false\n')
    code, _, err = cli("--config", project.config, "ingest")  # 壞 in the config matches 坏
    assert code == 0, err
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    assert list(valves["operable"]) == [True, False, True]


def test_unknown_pipe_status_stops_the_run(project, cli):
    _pipes(project, [{"status": "\u68c0\u4fee"}, {"status": "\u5728\u7528"}, {}])  # 检修, 在用
    _stops(
        project,
        cli,
        "error: pipes (",
        "unknown status values '\u68c0\u4fee' (1); accepted: in_service, abandoned, planned "
        "(\u5728\u7528, \u5e9f\u5f03, \u89c4\u5212 \u2026) \u2014 feature P1",
        'fix: correct them or map them under [values."pipes.status"]',
    )


def test_unknown_pressure_class_stops_the_run(project, cli):
    _pipes(project, [{"pressure_class": "\u8d85\u9ad8\u58d3"}, {"pressure_class": "MP-A"}])
    _stops(
        project,
        cli,
        "unknown pressure_class values '\u8d85\u9ad8\u58d3' (1); accepted: HP-A, HP-B, SHP-A, "
        "SHP-B, MP-A, MP-B, LP (\u9ad8\u538bA, \u9ad8\u538bB, \u6b21\u9ad8\u538bA",  # 超高壓
        'map them under [values."pipes.pressure_class"]',
    )


def test_unknown_critical_stops_the_run(project, cli):
    _customers(project, [{"critical": "\u91cd\u70b9"}, {"critical": "\u5426"}])  # 重点, 否
    _stops(
        project,
        cli,
        "error: customers (",
        "unknown critical values '\u91cd\u70b9' (1); accepted: true, false",
        'map them under [values."customers.critical"]',
    )
    project.add_config('[values."customers.critical"]\n"\u91cd\u9ede" = true\n')  # 重點
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers")
    assert list(cust["critical"]) == [True, False]


def test_two_fields_with_unknown_values_give_two_lines(project, cli):
    _valves(project, [{"normally": "half", "operable": "maybe"}])
    err = _stops(project, cli, "unknown normally values 'half' (1)")
    assert "unknown operable values 'maybe' (1)" in err
    assert err.count("\nerror: valves (") + err.startswith("gasnet: error: valves (") == 2


def test_many_distinct_unknown_values_are_counted_not_all_listed(project, cli):
    rows = [{"pressure_class": f"X{i}"} for i in range(23)]
    geoms = [line((0, i), (100, i)) for i in range(23)]
    write_shp(project.raw / "pipes.shp", [{"id": f"P{i}", **r} for i, r in enumerate(rows)], geoms)
    err = _stops(project, cli, "'X0' (1), 'X1' (1)", "and 3 more values (3 features)")
    assert "'X9' (1)" not in err  # sorted as text: X0, X1, X10 ... X19, X2 shown; X20-X22, X9 not


def test_blanks_take_the_defaults_and_are_not_errors(project, cli):
    _pipes(project, [{"pressure_class": "", "status": " "}, {"pressure_class": "MP-A"}])
    _valves(project, [{"normally": "", "operable": ""}])
    _customers(project, [{"kind": "\u533b\u9662", "critical": ""}, {"kind": "", "critical": ""}])
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "unknown" not in out and "note" not in err
    pipes = pyogrio.read_dataframe(project.gpkg, layer="pipes")
    assert pd.isna(pipes.loc[0, "pressure_class"]) and pipes.loc[0, "status"] == "in_service"
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    assert valves.loc[0, "normally"] == "open" and bool(valves.loc[0, "operable"])
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers")
    assert list(cust["critical"]) == [True, False]  # a hospital is critical unless told
    assert list(cust["kind"]) == ["hospital", "residential"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[values."valves.normally"]\n"\u534a\u5f00" = "half-open"\n',
            "[values.\"valves.normally\"] maps '\u534a\u5f00' = 'half-open': not a canonical "
            "value; use one of open, closed",
        ),
        (
            '[values."valves.operable"]\n"ok" = "yes"\n',
            "maps 'ok' = 'yes': not a canonical value; use one of true, false",
        ),
        (
            '[values."pipes.pressure_class"]\n"\u4e2d\u538b" = true\n',
            "not a canonical value; use one of HP-A, HP-B, SHP-A, SHP-B, MP-A, MP-B, LP",
        ),
        (
            '[values."pipes.material"]\n"\u94a2" = "steel"\n',
            "maps labels of material, which is not an enum or yes/no field",
        ),
        ('[values]\n"pipes.status" = "abandoned"\n', "must be a table of label ="),
        (
            '[values."valves.normally"]\n"\u534a\u5f00" = "open"\n"\u534a\u958b" = "closed"\n',
            "maps '\u534a\u5f00' = 'open', '\u534a\u958b' = 'closed': the same label",
        ),
    ],
)
def test_config_value_labels_must_name_canonical_values(project, cli, table, message):
    project.add_config(table)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 2 and message in err and "Traceback" not in err


# -- unknown customer kinds: kept, warned, and summarised on stderr at the end ---------------


@pytest.mark.parametrize("command", ["ingest", "validate", "run"])
def test_unknown_customer_kinds_end_with_a_summary_on_stderr(project, cli, command):
    code, _, err = cli("--config", project.config, command)
    assert code == 0 and "note" not in err  # every kind known: no summary
    _customers(
        project,
        [
            {"kind": "\u5e7c\u513f\u56ed"},  # 幼儿园
            {"kind": "\u536b\u751f\u5ba4", "critical": "\u662f"},  # 卫生室, critical: 是
            {"kind": "\u5e7c\u513f\u56ed"},
        ],
    )
    code, out, err = cli("--config", project.config, command)
    assert code == 0, err
    assert "unknown kind kept as given" in out  # the warning of today, per feature
    note = [ln for ln in err.splitlines() if ln.startswith("gasnet: note: customers (")]
    assert len(note) == 1, err
    assert (
        "3 customers of kinds not recognised, kept as given: '\u5e7c\u513f\u56ed' (2 customers), "
        "'\u536b\u751f\u5ba4' (1 customer); 2 of them are not treated as critical (1 is critical "
        "by the critical field). Critical kinds are hospital, school, care_home"
    ) in note[0]
    assert note[0].endswith("or set their critical field")
    assert err.rstrip().endswith(note[0])  # at the very end of the command
