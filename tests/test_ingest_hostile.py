"""Hostile inputs at ingest (review A): each bad file or config line is a named error or a
warning that says what was done, never a silent change, a guess or a traceback."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from conftest import line, pt, write_dbf, write_shp


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


# -- A3 / C1 / C6: a .dbf's text is read in the encoding it is in, or the run stops ----------

HOSPITAL = "\u533b\u9662"  # 医院
RESIDENTS = "\u5c45\u6c11"  # 居民


def _customers(project, encoding, cpg=True):
    write_shp(
        project.raw / "customers.shp",
        [{"id": "C1", "kind": HOSPITAL}, {"id": "C2", "kind": RESIDENTS}],
        [pt(150, 10), pt(110, 60)],
        encoding=encoding,
        cpg=cpg,
    )


def _critical(project):
    cust = pyogrio.read_dataframe(project.gpkg, layer="customers").set_index("customer_id")
    return cust.loc["C1", "kind"], bool(cust.loc["C1", "critical"])


def test_gbk_values_without_cpg_stop_the_run_naming_the_encoding(project, cli):
    # ASCII field names, GBK values, no .cpg: GDAL read '医院' as Latin-1 'Ò½Ôº', an unknown
    # kind, and the hospital was not critical (exit 0).
    _customers(project, "GBK", cpg=False)
    before = _digests(project.raw)
    err = _stops(
        project,
        cli,
        "error: customers (",
        "customers.dbf has no .cpg saying its encoding, and its text is not UTF-8 (record 2, "
        "field kind: would be read as '\u00be\u00d3\u00c3\u00f1'; it reads as GBK: "
        f"'{RESIDENTS}')",
        'fix: set encoding = "GBK" in [layers.customers]',
    )
    assert len(err.strip().splitlines()) == 1 and _digests(project.raw) == before
    project.replace_config(
        'path = "raw/customers.shp"', 'path = "raw/customers.shp"\nencoding = "GBK"'
    )
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert _critical(project) == ("hospital", True)


def test_gbk_text_that_is_also_valid_utf8_is_ambiguous_without_cpg(project, cli):
    # GBK's 医院 (d2 bd d4 ba) is valid UTF-8 too, as 'ҽԺ': read as UTF-8, the hospital
    # would be an unknown kind, not critical. Two readings: the run stops and shows both.
    write_shp(
        project.raw / "customers.shp",
        [{"id": "C1", "kind": HOSPITAL}, {"id": "C2", "kind": "residential"}],
        [pt(150, 10), pt(110, 60)],
        encoding="GBK",
        cpg=False,
    )
    _stops(
        project,
        cli,
        "customers.dbf has no .cpg saying its encoding, and its text reads two ways (record 1, "
        f"field kind: '{HOSPITAL}' as GBK, '\u04bd\u053a' as UTF-8)",
        'fix: set encoding = "GBK" (or "UTF-8", whichever reads your data) in [layers.customers]',
    )


def test_utf8_values_without_cpg_are_read_as_utf8(project, cli):
    _customers(project, "UTF-8", cpg=False)
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert _critical(project) == ("hospital", True) and "unknown" not in out


def test_a_config_encoding_contradicting_a_right_cpg_is_an_error(project, cli):
    # UTF-8 text, a .cpg saying UTF-8, encoding = "GBK" in the config: it read '鍖婚櫌'.
    _customers(project, "UTF-8")
    project.replace_config(
        'path = "raw/customers.shp"', 'path = "raw/customers.shp"\nencoding = "GBK"'
    )
    _stops(
        project,
        cli,
        "encoding = 'GBK' in [layers.customers] overrides customers.cpg ('UTF-8'), but the "
        f"text is UTF-8 (record 1, field kind reads '{HOSPITAL}' as UTF-8, "
        "'\u9356\u5a5a\u6acc' as GBK)",
        'fix: remove encoding = "GBK" from [layers.customers]',
    )


def test_a_cpg_saying_utf8_on_gbk_text_names_the_encoding(project, cli):
    _customers(project, "GBK")
    (project.raw / "customers.cpg").write_text("UTF-8")
    err = _stops(
        project,
        cli,
        "customers.dbf's text is not UTF-8 as customers.cpg ('UTF-8') says (record 2, field "
        f"kind: bytes b'\\xbe\\xd3\\xc3\\xf1'; it reads as GBK: '{RESIDENTS}')",
        'fix: set encoding = "GBK" in [layers.customers]',
    )
    assert "check that the file is complete" not in err and "codec can't decode" not in err
    # The config mends the wrong .cpg: the text agrees with it.
    project.replace_config(
        'path = "raw/customers.shp"', 'path = "raw/customers.shp"\nencoding = "GBK"'
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert _critical(project) == ("hospital", True) and "encoding_override" not in out


def test_a_config_encoding_the_text_does_not_decode_in_is_an_error(project, cli):
    _customers(project, "GBK", cpg=False)
    project.replace_config(
        'path = "raw/customers.shp"', 'path = "raw/customers.shp"\nencoding = "UTF-8"'
    )
    _stops(
        project,
        cli,
        "customers.dbf's text is not UTF-8 as encoding = 'UTF-8' in [layers.customers] says",
        'fix: set encoding = "GBK" in [layers.customers]',
    )


def test_a_cpg_and_a_config_the_text_reads_either_way_warn(project, cli):
    _customers(project, "GBK")  # customers.cpg says GBK; GBK bytes also decode as Big5
    project.replace_config(
        'path = "raw/customers.shp"', 'path = "raw/customers.shp"\nencoding = "Big5"'
    )
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "encoding = 'Big5' in [layers.customers] overrides customers.cpg ('GBK')" in out
    assert f"reads '{HOSPITAL}' as GBK" in out and "read as Big5, as the config says" in out


@pytest.mark.parametrize("codec", ["rot13", "base64"])
def test_an_encoding_that_is_not_a_character_encoding_is_refused(project, cli, codec):
    project.replace_config(
        'path = "raw/customers.shp"', f'path = "raw/customers.shp"\nencoding = "{codec}"'
    )
    _stops(project, cli, f"encoding '{codec}' is not a character encoding", '"GBK", "UTF-8"')


def test_latin_field_names_with_a_cpg_get_no_gbk_hint(project, cli):
    write_shp(project.raw / "sources.shp", [{"nr": "S1", "gr\u00f6\u00dfe": "x"}], [pt(0, 0)])
    err = _stops(project, cli, "id field 'id' not found (fields: nr, gr\u00f6\u00dfe)")
    assert "GBK" not in err


# -- A6 / C8: a GeoPackage is read without writing a byte beside it ---------------------------

_PENDING_WRITE = """
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA wal_autocheckpoint=0")
for f in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):  # GeoPackage triggers
    con.create_function(f, 1, lambda g: 0)
con.execute("INSERT INTO valves (geom, id) VALUES (?, 'V2')", (bytes.fromhex(sys.argv[2]),))
con.commit()
os._exit(0)  # no checkpoint: the new valve is only in valves.gpkg-wal
"""


def _folder_state(folder):
    """The files, their bytes, and the folder's own modification time (a file created and
    deleted again while reading leaves the list the same but changes the folder's time)."""
    return _digests(folder), folder.stat().st_mtime_ns


def _wal_geopackage(project, pending: bool):
    import sqlite3
    import struct
    import subprocess
    import sys

    import geopandas as gpd
    import shapely

    gpkg = project.raw / "valves.gpkg"
    gpd.GeoDataFrame({"id": ["V1"]}, geometry=[pt(50, 0)], crs="EPSG:4545").to_file(
        gpkg, layer="valves"
    )
    con = sqlite3.connect(gpkg)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    con.close()
    if pending:
        blob = b"GP\x00\x01" + struct.pack("<i", 4545) + shapely.to_wkb(pt(150, 0), byte_order=1)
        subprocess.run([sys.executable, "-c", _PENDING_WRITE, str(gpkg), blob.hex()], check=True)
        assert (project.raw / "valves.gpkg-wal").stat().st_size > 0
    for part in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        (project.raw / "valves").with_suffix(part).unlink()
    project.replace_config('path = "raw/valves.shp"', 'path = "raw/valves.gpkg"')
    return gpkg


@pytest.mark.parametrize("pending", [False, True], ids=["wal-mode", "uncheckpointed-wal"])
def test_a_geopackage_is_read_without_writing_beside_it(project, cli, pending):
    # SQLite opens a WAL-mode GeoPackage read-write: it created -wal and -shm in raw/ and, with
    # a -wal there, wrote the pending changes into valves.gpkg and deleted the -wal.
    _wal_geopackage(project, pending)
    before = _folder_state(project.raw)
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert _folder_state(project.raw) == before
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    # The valve written into the -wal only is read too: nothing is lost.
    assert sorted(valves["valve_id"]) == (["V1", "V2"] if pending else ["V1"])
    # The -wal is an input: a change written into it later makes the answers stale.
    from gasnet.config import read_config
    from gasnet.pipeline import changed_inputs

    config = read_config(project.config)
    assert changed_inputs(config) == []
    if pending:
        wal = project.raw / "valves.gpkg-wal"
        wal.write_bytes(wal.read_bytes() + b"\0")
        assert changed_inputs(config) == ["raw/valves.gpkg-wal"]


def test_an_encoding_for_a_geopackage_is_refused(project, cli):
    _wal_geopackage(project, pending=False)
    project.replace_config('path = "raw/valves.gpkg"', 'path = "raw/valves.gpkg"\nencoding = "GBK"')
    _stops(
        project,
        cli,
        "encoding = 'GBK' in [layers.valves], but a .gpkg file's text is always UTF-8",
        "fix: remove encoding from [layers.valves]",
    )


def test_a_geopackage_layer_that_is_not_there_lists_the_layers(project, cli):
    import geopandas as gpd

    for name, x in (("sources", 0), ("valves", 50)):
        gpd.GeoDataFrame(
            {"id": [name[0].upper() + "1"]}, geometry=[pt(x, 0)], crs="EPSG:4545"
        ).to_file(project.raw / "all.gpkg", layer=name)
    project.replace_config('path = "raw/valves.shp"', 'path = "raw/all.gpkg"\nlayer = "nope"')
    err = _stops(
        project,
        cli,
        "error: valves (",
        "the file has no layer 'nope'; its layers: sources, valves",
        'fix: set layer = "..." in [layers.valves] to one of them',
    )
    assert "a shapefile needs" not in err


# -- A4: long numeric ids are read exactly, or the run stops ----------------------------------


def _valves_with_ids(project, ids, width=20):
    write_shp(
        project.raw / "valves.shp", [{"x": 1}] * len(ids), [pt(50, 0), pt(150, 0)][: len(ids)]
    )
    write_dbf(project.raw / "valves.dbf", [("id", "N", width, 0)], [(i,) for i in ids])


def test_seventeen_digit_ids_in_a_wide_numeric_field_are_read_exactly(project, cli):
    # N(20,0) was read as float64: ...1233 became ...1232, and the two valves collided.
    _valves_with_ids(project, ["51130200000001233", "51130200000001232"])
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    valves = pyogrio.read_dataframe(project.gpkg, layer="valves")
    assert sorted(valves["valve_id"]) == ["51130200000001232", "51130200000001233"]


@pytest.mark.parametrize(
    ("ids", "width", "shown"),
    [
        (
            ["51130200000001233000", "51130200000001232000"],
            20,
            "2 numbers beyond 2^53 as "
            "floating point, which cannot keep their last digits (e.g. 51130200000001236992",
        ),
        (
            ["51130200000001233", None],
            18,
            "1 number beyond 2^53 as floating point, which "
            "cannot keep their last digits (e.g. 51130200000001232",
        ),  # a blank makes it float
    ],
)
def test_ids_that_floating_point_cannot_keep_stop_the_run(project, cli, ids, width, shown):
    _valves_with_ids(project, ids, width)
    _stops(
        project,
        cli,
        "error: valves (",
        f"field id holds {shown} as read)",
        "fix: export id as a text (character) field",
    )


# -- C7: a CSV's delimiter and byte-order mark ------------------------------------------------

HAZARDS = [
    ("H1", "\u5360\u538b", "380010", "3526010"),  # 占压
    ("H2", "\u6cc4\u6f0f", "380020", "3526020"),  # 泄漏
]


def _hazards_csv(project, data: bytes, config_extra=""):
    (project.raw / "h.csv").write_bytes(data)
    project.add_config(
        f'[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4545"\n{config_extra}'
        '[layers.hazards.fields]\ncategory = "cat"\n'
    )


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [
        (";", "utf-8"),
        ("\t", "utf-8"),
        ("|", "utf-8"),
        (",", "utf-16"),  # with its byte-order mark
        (";", "utf-32"),
        (",", "utf-8-sig"),
    ],
)
def test_csv_delimiters_and_byte_order_marks_are_read(project, cli, sep, encoding):
    rows = [sep.join(("id", "cat", "x", "y")), *(sep.join(r) for r in HAZARDS)]
    _hazards_csv(project, ("\r\n".join(rows) + "\r\n").encode(encoding))
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    hazards = pyogrio.read_dataframe(project.gpkg, layer="hazards")
    assert list(hazards["category"]) == ["encroachment", "leak"]
    assert hazards.geometry.x.tolist() == [380010.0, 380020.0]


def test_csv_coordinates_that_are_not_numbers_are_named(project, cli):
    rows = "id;cat;x;y\nH1;\u5360\u538b;380010,5;3526010,5\nH2;\u6cc4\u6f0f;;\n"
    _hazards_csv(project, rows.encode())
    code, out, err = cli("--config", project.config, "ingest")
    assert code == 0, err
    assert "h.csv): feature has coordinates that are not numbers; kept without a location" in out
    issues = _issues(project)
    bad = issues[issues["check"] == "bad_coordinates"]
    assert list(bad["feature_id"]) == ["H1"] and "x = '380010,5'" in bad["message"].iloc[0]
    assert list(issues.loc[issues["check"] == "no_coordinates", "feature_id"]) == ["H2"]


def test_a_configured_encoding_contradicting_a_byte_order_mark_is_named(project, cli):
    _hazards_csv(project, "id,cat,x,y\nH1,a,1,2\n".encode("utf-16"), 'encoding = "GBK"\n')
    _stops(
        project,
        cli,
        "h.csv starts with a UTF-16 byte-order mark, but encoding = 'GBK' in [layers.hazards] "
        "says otherwise",
        "fix: remove encoding from [layers.hazards]",
    )


# -- C3: a .prj in degrees on data in metres is one error naming the .prj ---------------------


@pytest.mark.parametrize(("name", "x"), [("pipes", 380000), ("customers", 380150)])
def test_a_prj_in_degrees_on_metres_names_the_prj(project, cli, name, x):
    shp = project.raw / f"{name}.shp"
    gdf = pyogrio.read_dataframe(shp)
    write_shp(shp, gdf.drop(columns="geometry").to_dict("records"), gdf.geometry, crs="EPSG:4326")
    err = _stops(
        project,
        cli,
        f"error: {name} (",
        f"features lie outside \u00b1180\u00b0 / \u00b190\u00b0 (e.g. x = {x}, y = 352",
        f"though the layer's CRS, from {name}.prj, is geographic (WGS 84, degrees): the numbers "
        "look projected (metres), so that CRS is wrong",
        f'fix: correct or delete {name}.prj and set crs = "EPSG:4545" in [layers.{name}]: the '
        "config's crs is used only when the file has no CRS",
    )
    assert "bad_coordinates" not in err and "correct its coordinates" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_csv_crs_in_degrees_on_metres_names_the_config(project, cli):
    (project.raw / "h.csv").write_text("id,x,y\nH1,380010,3526010\nH2,380020,3526020\n")
    project.add_config('[layers.hazards]\npath = "raw/h.csv"\ncrs = "EPSG:4326"\n')
    _stops(
        project,
        cli,
        "2 of 2 features lie outside",
        "the layer's CRS, crs = 'EPSG:4326' in [layers.hazards], is geographic",
        'fix: set crs = "EPSG:4545" in [layers.hazards]',
    )


# -- A9: the working CRS must be fit for lengths where the network lies -----------------------


@pytest.mark.parametrize(
    ("crs", "message"),
    [
        (
            "EPSG:3857",
            "[project] crs EPSG:3857 (WGS 84 / Pseudo-Mercator) does not fit the pipe network "
            "at 106.73\u00b0E 31.85\u00b0N: it stretches lengths there by 17.7 %;",
        ),
        (
            "EPSG:27700",
            "[project] crs EPSG:27700 (OSGB36 / British National Grid) does not fit the pipe "
            "network at 106.73\u00b0E 31.85\u00b0N: it is made for United Kingdom (UK) - "
            "offshore to boundary of UKCS within \u2026 (9.01\u00b0W "
            "49.75\u00b0N to 2.01\u00b0E 61.01\u00b0N); it stretches lengths there by 68.0 %;",
        ),
    ],
)
def test_a_working_crs_that_distorts_lengths_is_an_error(project, cli, crs, message):
    project.replace_config('crs = "EPSG:4545"', f'crs = "{crs}"')
    err = _stops(
        project,
        cli,
        f"error: {project.config}: ",
        message,
        "; pipe lengths, volumes and every metre tolerance (snap_tolerance_m, "
        "customer_max_distance_m) would be wrong",
        "fix: set [project] crs to a projected CRS in metres made for the area, e.g. crs = "
        '"EPSG:4545" (CGCS2000 / 3-degree Gauss-Kruger CM 108E)',
    )
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("crs", ["EPSG:4545", "EPSG:32648", "EPSG:4544"])
def test_a_working_crs_made_for_the_area_is_accepted(project, cli, crs):
    # 4545 (CM 108E) is the sample's; UTM 48N and the neighbouring zone (CM 105E, 1.7 deg
    # away, within the margin) are fine too.
    project.replace_config('crs = "EPSG:4545"', f'crs = "{crs}"')
    code, _, err = cli("--config", project.config, "ingest")
    assert code == 0, err


def test_a_customers_pipe_id_read_as_floating_point_beyond_2_53_stops_the_run(project, cli):
    write_shp(project.raw / "customers.shp", [{"x": 1}], [pt(150, 10)])
    write_dbf(
        project.raw / "customers.dbf",
        [("id", "C", 10, 0), ("pipe_id", "N", 20, 0)],
        [("C1", "51130200000001233000")],
    )
    _stops(project, cli, "error: customers (", "field pipe_id holds 1 number beyond 2^53")


def test_a_postgis_source_s_label_names_its_database_and_table_without_stray_spaces():
    # The label messages name a source by: "<layer> (<url> <table>)", or "<layer> (<url>)"
    # when no table is configured (not "(<url> )", a space before the bracket).
    from gasnet.config import LayerSource

    url = "postgresql://gis@db.example/city"
    with_table = LayerSource("pipes", Path(url), url=url, sublayer="gas.pipes")
    without = LayerSource("pipes", Path(url), url=url)
    assert with_table.label == "pipes (postgresql://gis@db.example/city gas.pipes)"
    assert without.label == "pipes (postgresql://gis@db.example/city)"
