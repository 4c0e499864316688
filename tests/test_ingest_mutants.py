"""ingest.py's helpers, one by one: the mistakes mutation testing found no test would catch
(`make mutants`, docs/mutants.md). Values in, the expected text or frame out.
"""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import line, pt, write_shp
from shapely.geometry import Point

from gasnet import ingest
from gasnet._rawfiles import TextSample
from gasnet.config import LayerSource
from gasnet.validate import Report

# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-07", "2025-03-07"),
        ("2025-3-7", "2025-03-07"),
        ("2025/3/7", "2025-03-07"),
        ("2025.3.7", "2025-03-07"),
        ("20250307", "2025-03-07"),
        ("2025年3月7日", "2025-03-07"),
        ("2025年3月7号", "2025-03-07"),
        ("  2025-03-07 ", "2025-03-07"),  # trimmed
        ("２０２５-０３-０７", "2025-03-07"),  # full-width digits (NFKC)
        ("2024-03-05T10:00:00+08:00", "2024-03-05"),  # as written, not shifted
        ("2024-03-05 23:59", "2024-03-05"),
        ("2024-03-05T23:59:59.5Z", "2024-03-05"),
        (20250307, "2025-03-07"),  # a number field
        (20250307.0, "2025-03-07"),  # the same read as a float
        (datetime.date(2025, 3, 7), "2025-03-07"),
        (datetime.datetime(2025, 3, 7, 23, 0), "2025-03-07"),
        (np.datetime64("2025-03-07"), "2025-03-07"),
        (pd.Timestamp("2025-03-07"), "2025-03-07"),
        (None, None),
        (float("nan"), None),
        (pd.NaT, None),
        ("", None),
        ("下月底", None),  # "end of next month": no date
        ("05/03/2024", None),  # 5 March or May 3?
        ("2025-13-45", None),
        ("2023-02-29", None),
        ("2024-02-29", "2024-02-29"),
        ("2025-03-07T25:00", None),
        ("x2025-03-07", None),
    ],
)
def test_parse_date(value, expected):
    assert ingest.parse_date(value) == expected


# -- text columns --------------------------------------------------------------------------


def test_text_of_a_float_column():
    # Non-whole floats keep their decimals; NaN and inf are blanks; 1e19 is beyond int64 but
    # still whole: written without a decimal point.
    col = pd.Series([2.5, np.nan, np.inf, -np.inf, 1e19, -3.25])
    assert ingest._text(col).tolist() == ["2.5", None, None, None, "10000000000000000000", "-3.25"]


def test_text_of_a_string_column_trims_each_value_and_blanks_empty_ones():
    col = pd.Series([" A1 ", "A1", "", "   ", None, "B\t"], index=[5, 6, 7, 8, 9, 10])
    out = ingest._text(col)
    assert out.tolist() == ["A1", "A1", None, None, None, "B"]
    assert list(out.index) == [5, 6, 7, 8, 9, 10]
    assert ingest._text(pd.Series([None, None], dtype=object)).tolist() == [None, None]


def test_text_of_a_mixed_column():
    # Integers and text mixed (a CSV cell read as a number beside text): str() of each.
    col = pd.Series([12, " x ", None, ""], dtype=object)
    assert ingest._text(col).tolist() == ["12", "x", None, None]


def test_label_text_and_per_value():
    assert ingest._label_text(1.0) == "1"
    assert ingest._label_text(1.5) == 1.5
    assert ingest._label_text("1.0") == "1.0"
    calls = []

    def upper(v):
        calls.append(v)
        return None if v is None else v.upper()

    col = pd.Series(["a", "b", "a", None, "a"], index=[3, 4, 5, 6, 7])
    out = ingest._per_value(col, upper)
    assert out.tolist() == ["A", "B", "A", None, "A"] and list(out.index) == [3, 4, 5, 6, 7]
    assert sorted(calls, key=str) == sorted(["a", "b", None], key=str)  # once per value


# -- field names in either script ----------------------------------------------------------


def test_a_field_is_found_in_the_other_script_only_when_one_matches():
    # The config says 管線編號 (Traditional), the file has 管线编号 (Simplified): the one
    # field that reads the same. Two fields that both read the same: no answer.
    assert ingest._column(["管线编号", "x"], "管線編號") == "管线编号"
    assert ingest._column(["管线编号", "管線編號"], "管線編號") == "管線編號"  # exact wins
    assert ingest._column(["管线编号", "管線编号", 3], "管線編號") is None
    assert ingest._column(["a"], "b") is None
    assert ingest._ambiguous(["管线编号", "管線编号"], ["管線編號", "a"]) == (
        " — '管線編號' (管线编号, 管線编号): several fields differ only in Simplified / "
        "Traditional characters; write the exact field name"
    )
    assert ingest._ambiguous(["管线编号"], ["管線編號"]) == ""
    assert ingest._ambiguous(["管线编号", "管線編號"], ["管線編號"]) == ""  # exact: no doubt


# -- messages ------------------------------------------------------------------------------


def test_counted_values_most_frequent_first():
    values = pd.Series(["b", "a", "b", "c", "a", "b"])
    assert ingest._counted(values) == "'b' (3), 'a' (2), 'c' (1)"
    assert ingest._counted(values, "customers") == (
        "'b' (3 customers), 'a' (2 customers), 'c' (1 customer)"
    )


def test_counted_values_beyond_twenty():
    # 22 distinct values, v00 twice and the rest once: v00 first, then by text; the last two
    # (v20, v21) are summed up.
    values = pd.Series(["v00", *[f"v{i:02d}" for i in range(22)]])
    text = ingest._counted(values)
    assert text.startswith("'v00' (2), 'v01' (1), 'v02' (1)")
    assert text.endswith("'v19' (1) and 2 more values (2 features)")
    text = ingest._counted(values, "customers")
    assert text.endswith("'v19' (1 customer) and 2 more values (2 customers)")
    one_more = pd.Series([f"v{i:02d}" for i in range(21)])
    assert ingest._counted(one_more, "customers").endswith(
        "'v19' (1 customer) and 1 more values (1 customer)"
    )


def test_kinds_notice():
    source = SimpleNamespace(label="customers (c.shp)")
    kinds = pd.Series(["卫生院", "卫生院", "网吧"])
    text = ingest._kinds_notice(source, kinds, pd.Series([False, False, False]))
    assert text == (
        "customers (c.shp): 3 customers of kinds not recognised, kept as given: '卫生院' "
        "(2 customers), '网吧' (1 customer); they are not treated as critical. Critical kinds "
        "are hospital, school, care_home: if some of these are, map their labels under "
        '[values."customers.kind"] (e.g. "卫生院" = "hospital") or set their critical field'
    )
    text = ingest._kinds_notice(source, kinds, pd.Series([True, False, False]))
    assert "; 2 of them are not treated as critical (1 is critical by the critical field)." in text
    text = ingest._kinds_notice(source, kinds, pd.Series([True, True, False]))
    assert "; 1 of them is not treated as critical (2 are critical by the critical field)." in text
    text = ingest._kinds_notice(source, kinds[:1], pd.Series([False]))
    assert text.startswith("customers (c.shp): 1 customer of kinds not recognised")


def test_mapping_example():
    assert ingest._mapping_example("bool") == 'a line "label" = "true" or "label" = "false"'
    assert ingest._mapping_example("enum") == 'a line "label" = "canonical value"'


# -- encodings -----------------------------------------------------------------------------


def _samples(text, codec, full=False):
    return [TextSample(text.encode(codec), "record 1, field NAME", full)]


def test_chinese_text_is_told_apart_by_its_encoding():
    # 中压管道 in GBK does not decode as UTF-8; in UTF-8 it does, with 4 CJK characters.
    gbk, utf8 = _samples("中压管道", "gbk"), _samples("中压管道", "utf-8")
    assert ingest._is_utf8(utf8) and not ingest._is_utf8(gbk)
    assert not ingest._is_utf8(_samples("中", "utf-8"))  # one character is no proof
    assert ingest._suggest(gbk) == ("GBK", ["中压管道"])
    assert ingest._suggest(utf8) == ("UTF-8", ["中压管道"])
    assert ingest._suggest(_samples("abc", "utf-8")) is None  # no Chinese in any reading
    assert ingest._cjk(["中压 A", "管"]) == 3
    assert ingest._decoded(gbk, "utf-8") is None
    assert ingest._first_undecodable(utf8 + gbk, "utf-8") == 1
    assert ingest._first_undecodable(utf8, "utf-8") == 0
    assert ingest._codec_shown("gb18030") == "GB18030" and ingest._codec_shown("cp936") == "cp936"


def test_a_character_cut_at_a_full_field_is_not_held_against_the_encoding():
    # 中压 in UTF-8 is 6 bytes; an export cut at 5 bytes leaves half a character at the end.
    cut = "中压".encode()[:5]
    assert ingest._decode(TextSample(cut, "r", True), "utf-8") == "中"
    with pytest.raises(UnicodeDecodeError):
        ingest._decode(TextSample(cut, "r", False), "utf-8")


# -- ids that cannot be kept apart ---------------------------------------------------------


def test_ids_with_commas_semicolons_or_differing_only_in_case():
    # V,1 holds a comma (valves only); A;B a semicolon; ab / AB / Ab differ only in case, and
    # each names the others; "" and None are blanks (no case clash between them).
    valves = gpd.GeoDataFrame(
        {
            "valve_id": ["V,1", "A;B", "ab", "AB", "ok", "Ab", None, ""],
            "source_file": ["v.shp"] * 8,
        },
        geometry=[pt(i, 0) for i in range(8)],
        crs="EPSG:4545",
    )
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P,1", "p1", "P1"]}, geometry=[pt(0, 0)] * 3, crs="EPSG:4545"
    )
    r = Report()
    ingest.check_id_text({"valves": valves, "pipes": pipes, "sources": valves.iloc[:0]}, r)
    got = [(x["check"], x["layer"], x["feature_id"], x["message"]) for x in r.rows]
    case = (
        "ids differ only in upper / lower case; spreadsheets, joins and Windows file names "
        "take them for one"
    )
    assert got == [
        (
            "id_with_comma",
            "valves",
            "V,1",
            "valve id holds a comma, which --close and --fail read as a list separator",
        ),
        (
            "id_with_semicolon",
            "valves",
            "A;B",
            "id holds ';', the separator of id lists in the outputs (segments.valve_ids, "
            "source_ids), which then cannot be split back",
        ),
        ("id_case_only", "valves", "ab", f"{case} (also 'AB', 'Ab')"),
        ("id_case_only", "valves", "AB", f"{case} (also 'ab', 'Ab')"),
        ("id_case_only", "valves", "Ab", f"{case} (also 'ab', 'AB')"),
        ("id_case_only", "pipes", "p1", f"{case} (also 'P1')"),
        ("id_case_only", "pipes", "P1", f"{case} (also 'p1')"),
    ]
    assert r.lines()[0].startswith("warning: valves (v.shp): valve id holds a comma")
    assert r.rows[0]["geometry"] == pt(0, 0)
    assert not r.has_errors


def test_the_same_id_twice_is_no_case_clash():
    # "ab" twice is a duplicate (validate's error), not two ids differing in case.
    valves = gpd.GeoDataFrame({"valve_id": ["ab", "ab"]}, geometry=[pt(0, 0)] * 2)
    r = Report()
    ingest.check_id_text({"valves": valves}, r)
    assert r.rows == []


# -- layers and CRSs -----------------------------------------------------------------------


def test_empty_layer_has_the_canonical_columns():
    layer = ingest.empty_layer("valves", "EPSG:4545")
    assert list(layer.columns) == [
        "valve_id",
        "normally",
        "operable",
        "diameter_mm",
        "kind",
        "source_file",
        "geometry",
    ]
    assert len(layer) == 0 and layer.crs == "EPSG:4545" and layer.geometry.name == "geometry"


def test_same_crs():
    assert ingest._same_crs(None, "EPSG:4545")
    assert ingest._same_crs("EPSG:4545", "EPSG:4545")
    assert not ingest._same_crs("EPSG:4326", "EPSG:4545")
    # An ESRI .prj's WKT naming the same CRS in its own words.
    import pyproj

    esri = pyproj.CRS.from_epsg(4545).to_wkt(pyproj.enums.WktVersion.WKT1_ESRI)
    assert ingest._same_crs(esri, "EPSG:4545")


# -- GDAL's reading checked against Python's -----------------------------------------------


def test_gdal_misread_compares_the_first_records_with_python_s_reading():
    # Record 1's NAME holds 中压 in GBK; GDAL gave "中压" (agrees) for row 0 and mojibake for
    # row 1 (record 2). A header field name ("a field name") is not a record: skipped.
    gdf = gpd.GeoDataFrame({"name": ["中压", "ÖÐÑ¹"], "n": [1, 2]}, geometry=[pt(0, 0), pt(1, 0)])
    gbk = "中压".encode("gbk")
    samples = [
        TextSample(b"\xd6\xd0", "field name", False),
        TextSample(gbk, "record 1, field NAME", False),
        TextSample(gbk, "record 2, field NAME", False),
    ]
    assert ingest._gdal_misread(gdf, samples, "GBK", 2) == ("中压", "record 2, field NAME")
    assert ingest._gdal_misread(gdf, samples[:2], "GBK", 2) is None  # they agree
    assert ingest._gdal_misread(gdf, samples, "GBK", 3) is None  # rows shifted: not compared
    assert ingest._gdal_misread(gdf, samples, "no-such-codec", 2) is None
    # Bytes that do not decode are compared as replacement characters, not raised.
    bad = [TextSample(b"\xff\xfe", "record 1, field NAME", False)]
    assert ingest._gdal_misread(gdf, bad, "utf-8", 2) == ("\ufffd\ufffd", "record 1, field NAME")


def test_gdal_misread_checks_five_records_at_most():
    # Six records, the first five agree, the sixth would not: five are enough.
    gdf = gpd.GeoDataFrame({"name": ["a"] * 5 + ["b"]}, geometry=[pt(i, 0) for i in range(6)])
    samples = [TextSample(b"a", f"record {i}, field NAME", False) for i in range(1, 7)]
    assert ingest._gdal_misread(gdf, samples, "utf-8", 6) is None
    samples[4] = TextSample(b"z", "record 5, field NAME", False)
    assert ingest._gdal_misread(gdf, samples, "utf-8", 6) == ("z", "record 5, field NAME")


# -- CSV layers ----------------------------------------------------------------------------


def _csv(tmp_path, data: bytes, **kw):
    path = tmp_path / "h.csv"
    path.write_bytes(data)
    source = LayerSource(
        "hazards", path, id_field=kw.pop("id_field", "id"), crs=kw.pop("crs", "EPSG:4326"), **kw
    )
    report = Report()
    return ingest._read_csv(source, report), report


def test_csv_read_with_its_delimiter_and_bad_coordinates_named(tmp_path):
    # Semicolons; H2's x is text (named, a warning: a hazard is kept without a location);
    # H3 has no coordinates at all (a blank, not named).
    gdf, report = _csv(tmp_path, "id;x;y\nH1;106.75;31.86\nH2;东经;31.86\nH3;;\n".encode())
    assert gdf["id"].tolist() == ["H1", "H2", "H3"] and list(gdf.columns) == ["id", "geometry"]
    assert gdf.geometry.iloc[0].equals(Point(106.75, 31.86))
    assert gdf.geometry.iloc[1] is None and gdf.geometry.iloc[2] is None
    assert gdf.crs == "EPSG:4326"
    (row,) = report.rows
    assert (row["check"], row["severity"], row["feature_id"]) == (
        "bad_coordinates",
        "warning",
        "H2",
    )
    assert row["message"] == (
        "feature has coordinates that are not numbers; kept without a location "
        "(x = '东经', y = '31.86')"
    )


def test_csv_problems_are_one_error_each(tmp_path):
    _, r = _csv(tmp_path, b"id,lon,lat\nH1,1,2\n")
    assert r.lines() == [
        f"error: hazards ({tmp_path / 'h.csv'}): coordinate field(s) x, y not in the CSV "
        "(columns: id, lon, lat); fix: set x = ... and y = ... in [layers.hazards]"
    ]
    gdf, r = _csv(tmp_path, b"id,lon,lat\nH1,1,2\n", x="lon", y="lat")
    assert r.rows == [] and gdf.geometry.iloc[0].equals(Point(1, 2))
    _, r = _csv(tmp_path, b"id,x,y\nH1,1,2\n", crs=None)
    assert r.lines()[0].endswith(
        ': a CSV carries no CRS; fix: set crs = "EPSG:4326" (for lon/lat) in [layers.hazards]'
    )
    _, r = _csv(tmp_path, b"")
    assert r.rows[0]["check"] == "unreadable" and r.rows[0]["severity"] == "error"
    assert r.lines()[0].startswith(f"error: hazards ({tmp_path / 'h.csv'}): cannot read the CSV: ")
    assert r.lines()[0].endswith("; fix: export it again with a header row (and the x / y columns)")
    _, r = _csv(tmp_path, "id,x,y\n中压,1,2\n".encode("gbk"))
    assert r.rows[0]["check"] == "bad_encoding" and r.rows[0]["layer"] == "hazards"
    assert "cannot decode h.csv as UTF-8 (it reads as GBK): byte b'\\xd6\\xd0" in r.lines()[0]
    _, r = _csv(tmp_path, b"\xef\xbb\xbfid,x,y\nH1,1,2\n", encoding="GBK")
    assert r.lines()[0].endswith(
        "h.csv starts with a UTF-8 byte-order mark, but encoding = 'GBK' in [layers.hazards] "
        "says otherwise; fix: remove encoding from [layers.hazards] (the mark says it)"
    )


def test_an_unreadable_csv(tmp_path):
    folder = tmp_path / "h.csv"
    folder.mkdir()
    r = Report()
    assert ingest._read_csv(LayerSource("hazards", folder, crs="EPSG:4326"), r) is None
    assert r.rows[0]["check"] == "unreadable" and r.rows[0]["severity"] == "error"
    assert r.lines()[0].startswith(f"error: hazards ({folder}): cannot read the CSV (Is a dir")
    assert r.lines()[0].endswith("; fix: check the file and its permissions")


# -- the files a source is made of ---------------------------------------------------------


def test_files_read_for_a_shapefile_and_for_other_files(tmp_path):
    # A shapefile: the .shp itself, then every part GDAL may open, in either case (not the
    # .shp twice). Anything else: the file and SQLite's side files.
    shp = tmp_path / "p.shp"
    got = ingest._files_read(shp)
    assert got[0] == shp and shp not in got[1:]
    assert {p.suffix for p in got[1:]} == {
        s
        for e in (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj", ".shp")
        for s in (e, e.upper())
    } - {".shp"}
    upper = ingest._files_read(tmp_path / "P.SHP")  # an upper-case name is a shapefile too
    assert upper[1] == tmp_path / "P.CPG" and tmp_path / "P.SHP" not in upper[1:]
    gpkg = tmp_path / "a.gpkg"
    assert ingest._files_read(gpkg) == [
        gpkg,
        tmp_path / "a.gpkg-journal",
        tmp_path / "a.gpkg-wal",
        tmp_path / "a.gpkg-shm",
    ]


def test_input_files_of_a_source(tmp_path):
    for name in ("p.shp", "p.dbf", "p.SHX", "p.prj", "p.qix", "p2.dbf", "p.shp.xml"):
        (tmp_path / name).write_bytes(b"")
    files = ingest.input_files(LayerSource("pipes", tmp_path / "p.shp"))
    assert [f.name for f in files] == ["p.SHX", "p.dbf", "p.prj", "p.shp"]
    gpkg = tmp_path / "a.gpkg"
    assert ingest.input_files(LayerSource("pipes", gpkg)) == []  # not there
    gpkg.write_bytes(b"")
    (tmp_path / "a.gpkg-wal").write_bytes(b"")
    assert ingest.input_files(LayerSource("pipes", gpkg)) == [gpkg, tmp_path / "a.gpkg-wal"]
    pg = LayerSource("pipes", tmp_path / "x", url="postgresql://h/db", sublayer="s.t")
    assert ingest.input_files(pg) == []


# -- shapefiles cut short or without a CRS -------------------------------------------------


def test_a_truncated_shapefile_names_the_features_cut_off():
    # The .shx indexes 3 records, the third beyond the end of the 300-byte .shp. With the id
    # field and every record read, the feature's id; else "record 3".
    source = LayerSource("pipes", Path("/data/p.shp"), id_field="id")
    layout = SimpleNamespace(beyond_end=np.array([2]), n_index=3, shp_size=1300)
    raw = pd.DataFrame({"id": ["P1", "P2", " P3 "]})
    r = Report()
    assert ingest._truncated_shapefile(source, raw, r, layout) is True
    # (one row of quality_issues: check "truncated_file", not "TRUNCATED_FILE", mutant 41)
    assert [(x["check"], x["severity"], x["layer"], x["feature_id"]) for x in r.rows] == [
        ("truncated_file", "error", "pipes", "P3")
    ]
    assert r.lines() == [
        "error: pipes (/data/p.shp): p.shp looks truncated: it is 1,300 bytes, but its index "
        "p.shx places 1 of 3 features beyond its end (they would be read without geometry) — "
        "feature P3; fix: export the layer again, or copy p.shp again in full with its .shx "
        "and .dbf"
    ]
    for other in (raw.rename(columns={"id": "x"}), raw.iloc[:2]):
        r = Report()
        ingest._truncated_shapefile(source, other, r, layout)
        assert [x["feature_id"] for x in r.rows] == ["record 3"]
    blank = pd.DataFrame({"id": ["P1", "P2", None]})
    r = Report()
    ingest._truncated_shapefile(source, blank, r, layout)
    assert [x["feature_id"] for x in r.rows] == ["record 3"]
    whole = SimpleNamespace(beyond_end=np.array([], int), n_index=3, shp_size=1300)
    assert ingest._truncated_shapefile(source, raw, Report(), whole) is False


def test_a_shapefile_without_a_crs_anywhere(tmp_path):
    path = write_shp(tmp_path / "p.shp", [{"id": "P1"}], [pt(0, 0)], prj=False)
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert r.lines() == [
        f"error: valves ({path}): the layer has no CRS (no .prj file) and none is given in the "
        'config; fix: set crs = "EPSG:...", e.g. crs = "EPSG:4545", in [layers.valves] or '
        "supply the .prj file"
    ]
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, crs="EPSG:4545"), r)
    assert r.rows == [] and gdf.crs == "EPSG:4545"


def test_a_dbf_that_reads_in_no_known_encoding_asks_for_the_export_s(tmp_path):
    # Byte 0x80 is no character in UTF-8, GBK, GB18030 or Big5, and there is no .cpg: the
    # fix cannot name a likely encoding, so it gives examples.
    path = write_shp(tmp_path / "v.shp", [{"id": "V1", "name": "Xabc"}], [pt(0, 0)], cpg=False)
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes().replace(b"Xabc", b"\x80abc"))
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert r.lines() == [
        f"error: valves ({path}): v.dbf has no .cpg saying its encoding, and its text is not "
        "UTF-8 (record 1, field name: would be read as '\\x80abc'); fix: set encoding = "
        '"..." in [layers.valves] to the encoding the file was exported in (e.g. "GBK", '
        '"GB18030", "Big5")'
    ]


def test_projected_numbers_under_a_geographic_crs_suggest_the_working_crs_when_they_fit_it(
    tmp_path,
):
    # EPSG:4545 is made for 18.19°N-42.47°N, 106.5°E-109.51°E. (500000, 2067354) in it is
    # 108°E, 18.69°N: half a degree inside its southern edge, so it is the likely CRS. x = 9e6
    # is nowhere in it: no suggestion but "the projected CRS of the data".
    from types import SimpleNamespace

    source = LayerSource("valves", tmp_path / "x.gpkg")
    config = SimpleNamespace(crs="EPSG:4545")
    for x, suggested in ((500_000.0, '"EPSG:4545"'), (9_000_000.0, '"EPSG:..." (the projected')):
        raw = gpd.GeoDataFrame({"id": ["A"]}, geometry=[Point(x, 2_067_354.1)], crs="EPSG:4326")
        r = Report()
        assert ingest._wrong_geographic_crs(source, raw, raw["id"].to_numpy(object), config, r)
        assert f"fix: export x.gpkg again with its CRS ({suggested}" in r.lines()[0]
        assert r.rows[0]["check"] == "wrong_crs" and r.rows[0]["feature_id"] == "A"


# -- held-out sample (tools/mutants.py --seed holdout) -------------------------------------


def test_text_of_a_float_at_the_int64_edge():
    # 2^63 is whole but one past int64's largest (2^63 - 1): written from the float, not cast
    # (a cast wraps it to -2^63). -2^63 itself is int64's smallest; 2^63 - 1024 the largest
    # double below 2^63, cast.
    col = pd.Series([2.0**63, -(2.0**63), 2.0**63 - 1024])
    assert ingest._text(col).tolist() == [
        "9223372036854775808",
        "-9223372036854775808",
        "9223372036854774784",
    ]


@pytest.mark.parametrize("dtype", ["float32", "Float32", "float[pyarrow]", "float16"])
def test_text_of_a_single_precision_float_is_its_own_digits(dtype):
    # A GDAL Float32 field (numpy, nullable and arrow storage alike): 0.1 as single precision
    # is 0.100000001490116...; written through double precision it would read
    # "0.10000000149011612". Its own shortest digits are "0.1"; 12.0 is the whole "12", 2.5
    # is exact in both; a blank stays None. The same for a half-precision column given in
    # Python (0.0999755859375 through double precision).
    col = pd.Series([0.1, 12.0, 2.5, None if dtype != "float16" else float("nan")], dtype=dtype)
    assert ingest._text(col).tolist() == ["0.1", "12", "2.5", None]


def test_two_ambiguous_field_names_are_both_listed():
    # Two configured names each match two fields in different scripts: both, comma-separated.
    columns = ["管线编号", "管線编号", "压力级制", "壓力级制"]
    assert ingest._ambiguous(columns, ["管線編號", "壓力級制"]) == (
        " — '管線編號' (管线编号, 管線编号), '壓力級制' (压力级制, 壓力级制): several fields "
        "differ only in Simplified / Traditional characters; write the exact field name"
    )


def test_a_folder_given_as_the_file(tmp_path):
    folder = tmp_path / "pipes.shp"
    folder.mkdir()
    r = Report()
    assert ingest.read_source(LayerSource("pipes", folder), r) is None
    (row,) = r.rows
    assert (row["check"], row["severity"], row["layer"]) == ("missing_file", "error", "pipes")
    assert r.lines() == [
        f"error: pipes ({folder}): the path is a folder, not a file; fix: point path = ... in "
        "[layers.pipes] at the file itself"
    ]


def test_read_task_reads_into_a_report_of_its_own(tmp_path):
    # On a worker: a missing file is no layer, no CRS of its own, and one error in the
    # report handed back (made in the working CRS).
    source = LayerSource("pipes", tmp_path / "nope.shp")
    gdf, own_crs, report = ingest._read_task((source, SimpleNamespace(crs="EPSG:4545")))
    assert gdf is None and own_crs is None
    assert report.crs == "EPSG:4545"
    assert [(r["check"], r["layer"]) for r in report.rows] == [("missing_file", "pipes")]


def test_a_bad_number_is_named_with_its_file(project):
    # C1's households is "many": no number, so the default 1, with a bad_number warning on
    # the customers layer that names the file it came from.
    from gasnet.config import read_config
    from gasnet.ingest import load_layers

    path = write_shp(
        project.raw / "customers.shp",
        [{"id": "C1", "households": "many"}, {"id": "C2", "households": "30"}],
        [pt(150, 10), pt(110, 60)],
    )
    layers, report = load_layers(read_config(project.config))
    assert layers["customers"].set_index("customer_id")["households"].to_dict() == {
        "C1": 1,
        "C2": 30,
    }
    (row,) = [r for r in report.rows if r["layer"] == "customers"]
    assert (row["check"], row["feature_id"], row["message"]) == (
        "bad_number",
        "C1",
        "households is not a usable number; default 1 used ('many')",
    )
    (line,) = [x for x in report.lines() if "households is not" in x]
    assert line.startswith(f"warning: customers ({path}): ")


def test_utf8_text_under_a_cpg_saying_gbk_shows_both_readings(project, cli):
    # 医院 written as UTF-8 (E5 8C BB E9 99 A2), the .cpg then made to say GBK: those bytes
    # read as GBK are 鍖婚櫌. An error naming both readings and the encoding each is in.
    from test_ingest_hostile import HOSPITAL, _customers, _stops

    _customers(project, "UTF-8")
    (project.raw / "customers.cpg").write_text("GBK")
    _stops(
        project,
        cli,
        "customers.dbf's text is UTF-8, but customers.cpg ('GBK') says GBK (record 1, field "
        f"kind reads '{HOSPITAL}' as UTF-8, '\u9356\u5a5a\u6acc' as GBK)",
    )


@pytest.mark.parametrize(
    ("name", "said"), [("c.shp", "its .cpg"), ("c.geojson", "UTF-8, the default")]
)
def test_text_gdal_cannot_decode_names_who_said_the_encoding(tmp_path, monkeypatch, name, said):
    # GDAL (here a stand-in) fails on byte D6 as UTF-8: with no encoding in the config, a
    # shapefile's encoding came from its .cpg; any other file's is UTF-8 by default.
    path = write_shp(tmp_path / name, [{"id": "C1"}], [pt(0, 0)])

    def undecodable(*args, **kwargs):
        raise UnicodeDecodeError("utf-8", b"\xd6\xd0", 0, 1, "invalid continuation byte")

    monkeypatch.setattr(ingest, "_read_arrow", undecodable)
    r = Report()
    assert ingest._read_layer(LayerSource("customers", path), path, None, {}, r) is None
    (row,) = r.rows
    assert row["check"] == "bad_encoding" and row["message"] == (
        "cannot read the text as UTF-8 (invalid continuation byte at byte b'\\xd6\\xd0'): the "
        f"file's encoding is not what {said} says"
    )


# -- third sample (--seed third) -----------------------------------------------------------


def test_an_encoding_python_spells_with_an_underscore_is_given_to_gdal_with_a_hyphen(tmp_path):
    # Planted: ingest.py (_gdal_encoding): codec.replace("_", "-") -> replace("_", "XX-XX")
    # Python calls EUC-KR "euc_kr"; GDAL's iconv knows "EUC-KR". A Korean shapefile with
    # encoding = "EUC-KR" in the config reads 병원 ("hospital"), with nothing to report.
    # (Given "EUCXX-XXKR", GDAL could not read the text: a bad_encoding error.)
    assert ingest._gdal_encoding("euc_kr") == "EUC-KR"
    path = write_shp(
        tmp_path / "v.shp", [{"id": "V1", "name": "\ubcd1\uc6d0"}], [pt(0, 0)], encoding="EUC-KR"
    )
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="EUC-KR"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == ["\ubcd1\uc6d0"]


def _marked(path: Path, ldid: int) -> Path:
    """``path``'s .dbf with the code page mark (byte 29 of its header) set to ``ldid``."""
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))
    return path


def test_a_code_page_mark_without_a_cpg_says_the_encoding(tmp_path):
    # Planted: ingest.py (_shapefile_encoding): declared = _raw.ldid_encoding(header.ldid)
    #   -> declared = None
    # No .cpg, but the .dbf's header marks code page 936 (0x4D, GBK), which GDAL honours:
    # - 医院 written in GBK reads as 医院, nothing reported (without the mark taken as said,
    #   the bytes also read as UTF-8 'ҽԺ': "reads two ways", an error);
    # - 医院 written in UTF-8 under that mark is an error naming the mark as who said GBK
    #   (without it: plain UTF-8, read without a word).
    hospital = "\u533b\u9662"
    row = [{"id": "V1", "name": hospital}]
    gbk = _marked(write_shp(tmp_path / "g.shp", row, [pt(0, 0)], encoding="GBK", cpg=False), 0x4D)
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", gbk), r)
    assert r.rows == [] and gdf["name"].tolist() == [hospital]
    utf8 = _marked(write_shp(tmp_path / "u.shp", row, [pt(0, 0)], cpg=False), 0x4D)
    r = Report()
    assert ingest.read_source(LayerSource("valves", utf8), r) is None
    (issue,) = r.rows
    assert (issue["check"], issue["severity"]) == ("bad_encoding", "error")
    assert issue["message"].startswith(
        "u.dbf's text is UTF-8, but the code page mark of u.dbf (0x4D) says "
    )
    assert r.lines()[0].endswith('; fix: set encoding = "UTF-8" in [layers.valves]')


def test_a_config_and_a_code_page_mark_naming_one_encoding_agree(tmp_path):
    # A real fault, found through the test above: the mark 0x4D was taken as "cp936" and a
    # config's "GBK" as "gbk", two names of one codec seen as a contradiction. Then a file of
    # UTF-8 text (医院) under the mark with encoding = "GBK" in the config was read silently
    # as GBK, '鍖婚櫌', when the same file without the mark is the error "text is UTF-8".
    # Now both say the one encoding, GBK, and the text is an error either way; the fix is to
    # set UTF-8 (removing the config would leave the mark saying GBK).
    row = [{"id": "V1", "name": "\u533b\u9662"}]
    utf8 = _marked(write_shp(tmp_path / "u.shp", row, [pt(0, 0)], cpg=False), 0x4D)
    r = Report()
    assert ingest.read_source(LayerSource("valves", utf8, encoding="GBK"), r) is None
    assert r.lines() == [
        f"error: valves ({utf8}): u.dbf's text is UTF-8, but encoding = 'GBK' in "
        "[layers.valves] says GBK (record 1, field name reads '\u533b\u9662' as UTF-8, "
        "'\u9356\u5a5a\u6acc' as GBK); fix: set encoding = \"UTF-8\" in [layers.valves]"
    ]
    # GBK text under the mark and the config: read as it is, nothing reported.
    gbk = _marked(write_shp(tmp_path / "g.shp", row, [pt(0, 0)], encoding="GBK", cpg=False), 0x4D)
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", gbk, encoding="GBK"), r)
    assert r.rows == [] and gdf["name"].tolist() == ["\u533b\u9662"]


def test_an_index_of_another_export_names_the_first_record_it_misplaces(tmp_path):
    # Planted: ingest.py (_shapefile_parts): "...(the .shx comes from another export)"
    #   -> "XX.shx comes from another export)XX"
    # p.shp holds three lines of 3, 2 and 2 vertices; the other export's three are of 2
    # vertices each, so its .shx places record 1 at the same offset but with another length:
    # record 1 is the first that does not match. One error, its whole line.
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    ids = [{"id": "P1"}, {"id": "P2"}, {"id": "P3"}]
    shp = write_shp(
        a / "p.shp",
        ids,
        [line((0, 0), (10, 0), (20, 5)), line((10, 0), (20, 0)), line((0, 0), (1, 1))],
    )
    other = write_shp(
        b / "p.shp", ids, [line((0, 0), (10, 0)), line((10, 0), (20, 0)), line((0, 0), (1, 1))]
    )
    shp.with_suffix(".shx").write_bytes(other.with_suffix(".shx").read_bytes())
    r = Report()
    assert ingest._shapefile_parts(LayerSource("pipes", shp), r) is None
    assert [(x["check"], x["severity"]) for x in r.rows] == [("mismatched_files", "error")]
    assert r.lines() == [
        f"error: pipes ({shp}): p.shx does not index p.shp: its entry for record 1 does not "
        "match the shape p.shp holds there (the .shx comes from another export); fix: export "
        "the layer again, or copy p.shp, .shx and .dbf of one export together"
    ]


def test_a_geopackage_with_pending_changes_that_cannot_be_copied(tmp_path, monkeypatch):
    # Planted: ingest.py (read_source): "unreadable" -> "XXunreadableXX" (the OSError branch)
    # v.gpkg (an SQLite file) has a -wal beside it: it is read from a temporary copy. With the
    # temporary folder gone, the copy fails: one "unreadable" error naming the file, the
    # reason and the fix.
    gpkg = tmp_path / "v.gpkg"
    gpkg.write_bytes(b"SQLite format 3\x00" + bytes(84))
    (tmp_path / "v.gpkg-wal").write_bytes(b"")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    r = Report()
    assert ingest.read_source(LayerSource("valves", gpkg), r) is None
    (row,) = r.rows
    assert (row["check"], row["severity"], row["layer"]) == ("unreadable", "error", "valves")
    assert r.lines() == [
        f"error: valves ({gpkg}): cannot copy v.gpkg (with its -wal or -journal) to a "
        "temporary folder to read it without writing beside it (No such file or directory); "
        "fix: free some space in the temporary folder (TMPDIR), or open the GeoPackage once "
        "in QGIS or sqlite3 so that its -wal is written into it"
    ]


# -- report lines and the pipes' own CRS ---------------------------------------------------


def test_an_unreadable_file_line_with_its_fix(tmp_path, monkeypatch):
    # Planted: ingest.py (_read_layer): the fix of "unreadable" -> None
    # GDAL fails on s.shp (here: says "not recognized as a supported file format"): one
    # error in GDAL's words, with the fix.
    path = tmp_path / "s.shp"
    path.write_bytes(b"not a shapefile")

    def fails(*args, **kwargs):
        raise RuntimeError("not recognized as a supported file format")

    monkeypatch.setattr(ingest, "_read_arrow", fails)
    r = Report()
    assert ingest._read_layer(LayerSource("sources", path), path, None, {}, r) is None
    (row,) = r.rows
    assert (row["check"], row["severity"], row["layer"], row["feature_id"]) == (
        "unreadable",
        "error",
        "sources",
        None,
    )
    assert r.lines() == [
        f"error: sources ({path}): cannot read the file: not recognized as a supported file "
        "format; fix: check that the file is complete (a shapefile needs .shp, .shx and "
        ".dbf), or export it again"
    ]


def test_a_config_encoding_over_a_cpg_when_the_text_reads_either_way_warns_with_its_fix(
    tmp_path,
):
    # Planted: ingest.py (_shapefile_encoding): the fix of "encoding_override" dropped
    # v.dbf holds 医院 in GBK under v.cpg 'GBK'; the config says Big5, in which those bytes
    # read '瓟埏': read as Big5, one warning, its whole line with the fix.
    hospital = "\u533b\u9662"
    path = write_shp(
        tmp_path / "v.shp", [{"id": "V1", "name": hospital}], [pt(0, 0)], encoding="GBK"
    )
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="Big5"), r)
    assert gdf["name"].tolist() == ["\u74df\u57cf"]
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("encoding_override", "warning", "valves")
    ]
    assert r.lines() == [
        f"warning: valves ({path}): encoding = 'Big5' in [layers.valves] overrides v.cpg "
        f"('GBK'); the text reads either way (record 1, field name reads '{hospital}' as GBK, "
        "'\u74df\u57cf' as Big5); read as Big5, as the config says; fix: check the text in "
        "the one map: if v.cpg ('GBK') is right, remove encoding = \"Big5\" from "
        "[layers.valves]"
    ]


def test_pipes_in_the_working_crs_have_no_crs_of_their_own(tmp_path):
    # Planted: ingest.py (_read_normalised): own_crs = raw.crs if <pipes in another CRS>
    #   -> raw.crs if (<pipes in another CRS>) or True
    # Working CRS EPSG:4545, pipes in EPSG:4545: no CRS of their own, None (the mutant gave
    # them their CRS, as if they were in another one); the layer read, nothing reported.
    config = SimpleNamespace(crs="EPSG:4545", values={})
    pipes = write_shp(tmp_path / "p.shp", [{"id": "P1"}], [line((0, 0), (100, 0))])
    r = Report()
    gdf, own = ingest._read_normalised(LayerSource("pipes", pipes, id_field="id"), config, r)
    assert gdf["pipe_id"].tolist() == ["P1"] and own is None
    assert r.rows == []
