"""ingest.py's CSV reader (`_read_csv`): every problem it reports is one row naming its
check and layer, and one line naming the source file; text where a coordinate should be is
named by id (or row), an error or a warning by layer. Tiny CSVs in, the whole report out.
"""

from __future__ import annotations

import pytest

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report


def _csv(tmp_path, data: bytes, layer="hazards", **kw):
    path = tmp_path / "h.csv"
    path.write_bytes(data)
    report = Report()
    source = LayerSource(layer, path, crs=kw.pop("crs", "EPSG:4326"), **kw)
    return ingest._read_csv(source, report), report, path


def test_a_csv_that_cannot_be_opened_is_an_unreadable_row_of_its_layer(tmp_path):
    # A folder named h.csv: read_bytes raises IsADirectoryError (strerror "Is a directory").
    folder = tmp_path / "h.csv"
    folder.mkdir()
    r = Report()
    assert ingest._read_csv(LayerSource("hazards", folder, crs="EPSG:4326"), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("unreadable", "error", "hazards")
    ]
    assert r.lines() == [
        f"error: hazards ({folder}): cannot read the CSV (Is a directory); "
        "fix: check the file and its permissions"
    ]


# Each case: the CSV's bytes, the source's settings, the one row's check, the one line after
# "error: hazards (<path>): ".
CASES = {
    # A UTF-8 byte-order mark (EF BB BF) under encoding = "GBK": the mark wins the argument.
    "bom_contradicts_encoding": (
        b"\xef\xbb\xbfid,x,y\nH1,1,2\n",
        {"encoding": "GBK"},
        "bad_encoding",
        "h.csv starts with a UTF-8 byte-order mark, but encoding = 'GBK' in [layers.hazards] "
        "says otherwise; fix: remove encoding from [layers.hazards] (the mark says it)",
    ),
    # 中压 in GBK is D6 D0 D1 B9, at offset 7 (after "id,x,y\n"); no encoding set and the
    # bytes read as GBK: the guess is said. The byte shown: the four from the bad one on,
    # not the "," after them.
    "gbk_without_encoding": (
        "id,x,y\n中压,1,2\n".encode("gbk"),
        {},
        "bad_encoding",
        "cannot decode h.csv as UTF-8 (it reads as GBK): byte b'\\xd6\\xd0\\xd1\\xb9' at "
        'offset 7; fix: set encoding = "GBK" (or the file\'s encoding) in [layers.hazards]',
    ),
    # The same bytes under encoding = "UTF-8": the configured name, and no guess (the user
    # chose the encoding).
    "gbk_under_utf8": (
        "id,x,y\n中压,1,2\n".encode("gbk"),
        {"encoding": "UTF-8"},
        "bad_encoding",
        "cannot decode h.csv as UTF-8: byte b'\\xd6\\xd0\\xd1\\xb9' at offset 7; fix: set "
        'encoding = "GBK" (or the file\'s encoding) in [layers.hazards]',
    ),
    # 0x80 then ",": no UTF-8 and no GBK either (0x80 starts no GBK pair with ","): no guess.
    "neither_utf8_nor_gbk": (
        b"id,x,y\n\x80,1,2\n",
        {},
        "bad_encoding",
        "cannot decode h.csv as UTF-8: byte b'\\x80,1,' at offset 7; fix: set "
        'encoding = "GBK" (or the file\'s encoding) in [layers.hazards]',
    ),
    # An empty file: pandas finds no header.
    "empty": (
        b"",
        {},
        "unreadable",
        "cannot read the CSV: No columns to parse from file; fix: export it again with a "
        "header row (and the x / y columns)",
    ),
    "no_x_y_columns": (
        b"id,lon,lat\nH1,1,2\n",
        {},
        "missing_field",
        "coordinate field(s) x, y not in the CSV (columns: id, lon, lat); fix: set x = ... "
        "and y = ... in [layers.hazards]",
    ),
    "no_crs": (
        b"id,x,y\nH1,1,2\n",
        {"crs": None},
        "no_crs",
        'a CSV carries no CRS; fix: set crs = "EPSG:4326" (for lon/lat) in [layers.hazards]',
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_csv_that_cannot_be_read_is_one_error_row_of_its_layer_and_one_line(tmp_path, case):
    data, settings, check, line = CASES[case]
    gdf, r, path = _csv(tmp_path, data, **settings)
    assert gdf is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        (check, "error", "hazards")
    ]
    assert r.lines() == [f"error: hazards ({path}): {line}"]


_FIX = "fix: write x and y as plain numbers with a decimal point (e.g. 380180.5)"


def test_text_coordinates_in_a_csv_without_an_id_column_are_named_by_row(tmp_path):
    # No "id" column: the hazard with x = "abc" is the second data row, row 1 counting from
    # 0; a hazard: a warning, kept without a location; the first row keeps its point.
    gdf, r, path = _csv(tmp_path, b"x,y\n1,2\nabc,3\n")
    assert gdf.geometry.iloc[0].coords[0] == (1.0, 2.0) and gdf.geometry.iloc[1] is None
    assert [(x["check"], x["severity"], x["feature_id"]) for x in r.rows] == [
        ("bad_coordinates", "warning", "h.csv row 1")
    ]
    assert r.lines() == [
        f"warning: hazards ({path}): feature has coordinates that are not numbers; kept "
        f"without a location — feature h.csv row 1; {_FIX}"
    ]


def test_text_coordinates_of_a_valve_in_a_csv_are_an_error_with_the_value(tmp_path):
    # A valve without a location changes isolation answers: an error (nothing "kept"), its
    # line carrying the bad value after the id.
    _, r, path = _csv(tmp_path, b"id,x,y\nV1,1,2\nV2,abc,3\n", layer="valves")
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("bad_coordinates", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): feature has coordinates that are not numbers — feature V2 "
        f"(x = 'abc', y = '3'); {_FIX}"
    ]


def test_text_coordinates_in_a_layer_without_a_severity_of_its_own_are_a_warning(tmp_path):
    # "zones" has no entry in BAD_COORDINATES_SEVERITY: a warning, as for a hazard.
    _, r, path = _csv(tmp_path, b"id,x,y\nZ1,1,abc\n", layer="zones")
    assert r.lines() == [
        f"warning: zones ({path}): feature has coordinates that are not numbers; kept without "
        f"a location — feature Z1; {_FIX}"
    ]
