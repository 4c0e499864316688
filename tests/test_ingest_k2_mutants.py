"""ingest.py's shapefile checks the quick mutation pass left alive (docs/mutants.md): the
parts of a shapefile (.shx and .dbf missing, unreadable or cut short, a .dbf without its
end-of-file byte) and the encoding of its text (a .cpg with a byte-order mark or padding, a
config encoding beside a .cpg or alone, long values). Tiny files in, the report line out.
"""

from __future__ import annotations

from conftest import pt, write_dbf, write_shp

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report


def _valves(tmp_path, names: list[bytes], cpg: bytes | None = None):
    """valves.shp with one point per name; its .dbf written by hand (no code page mark): id
    V1, V2 ... and ``name`` holding the bytes given; a .cpg of the bytes ``cpg`` or none."""
    ids = [f"V{i + 1}" for i in range(len(names))]
    path = write_shp(
        tmp_path / "valves.shp",
        [{"id": i} for i in ids],
        [pt(i, 0) for i in range(len(ids))],
        cpg=False,
    )
    write_dbf(
        path.with_suffix(".dbf"),
        [("id", "C", 10, 0), ("name", "C", 40, 0)],
        [(i, n) for i, n in zip(ids, names, strict=True)],
    )
    if cpg is not None:
        path.with_suffix(".cpg").write_bytes(cpg)
    return path


def _checks(report):
    return [(x["check"], x["severity"], x["layer"]) for x in report.rows]


# -- the parts of a shapefile ----------------------------------------------------------------


def test_a_shapefile_without_its_shx_and_dbf_names_both_and_where_to_copy_them(tmp_path):
    # Only valves.shp is there: valves.shx and valves.dbf are both named, joined by "and",
    # in the message and in the fix.
    path = _valves(tmp_path, [b"a"])
    path.with_suffix(".shx").unlink()
    path.with_suffix(".dbf").unlink()
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _checks(r) == [("missing_file", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({path}): valves.shx and valves.dbf not found beside valves.shp: a "
        "shapefile is the .shp, .shx and .dbf of one export (the .shx indexes the shapes, the "
        ".dbf holds every attribute, the ids too); fix: copy valves.shx and valves.dbf from "
        f"the same export into {tmp_path}, or export the layer again"
    ]


def test_an_shx_too_short_for_a_header_is_left_to_gdal_to_report(tmp_path):
    # valves.shx is 50 bytes, not even a shapefile header (100 bytes): the index cannot be
    # looked at, so the parts are not compared; GDAL's read fails and says why in its own
    # words, as an "unreadable" error (not a crash on the missing index).
    path = _valves(tmp_path, [b"a"])
    path.with_suffix(".shx").write_bytes(bytes(50))
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _checks(r) == [("unreadable", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({path}): cannot read the file: .shx file is unreadable, or corrupt.; "
        "fix: check that the file is complete (a shapefile needs .shp, .shx and .dbf), or "
        "export it again"
    ]


def test_a_dbf_cut_short_is_a_truncated_file_error_of_its_layer(tmp_path):
    # Two records of 51 bytes (1 + 10 + 40) after a 97-byte header: 199 bytes, plus the
    # end-of-file byte. Cut to 150 bytes, it looks truncated.
    path = _valves(tmp_path, [b"a", b"b"])
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:150])
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _checks(r) == [("truncated_file", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({path}): valves.dbf looks truncated: it is 150 bytes, but its header "
        "says 2 records of 51 bytes (199 bytes); fix: export the layer again, or copy "
        "valves.shp, .shx and .dbf of one export together"
    ]


def test_a_dbf_without_the_optional_end_of_file_byte_reads(tmp_path):
    # The same two records, 199 bytes exactly: the 0x1A end-of-file byte is optional, so
    # nothing is missing and both rows read.
    path = _valves(tmp_path, [b"a", b"b"])
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    assert len(data) == 200 and data[-1:] == b"\x1a"
    dbf.write_bytes(data[:-1])
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, crs="EPSG:4545"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == ["a", "b"]


# -- the encoding of its text ----------------------------------------------------------------

HOSPITAL = "\u533b\u9662"  # 医院: UTF-8 E5 8C BB E9 99 A2, which reads as GBK '鍖婚櫌'


def test_a_cpg_saved_with_a_byte_order_mark_still_names_its_encoding(tmp_path):
    # Notepad saves valves.cpg as UTF-8 with a byte-order mark: EF BB BF then "GBK". The .cpg
    # is read as ASCII, each of those three bytes shown as '\ufffd', and still names GBK.
    # The text is UTF-8 医院: the error quotes the .cpg as read and shows both readings.
    path = _valves(tmp_path, [HOSPITAL.encode()], cpg=b"\xef\xbb\xbfGBK")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert _checks(r) == [("bad_encoding", "error", "valves")]
    assert r.lines() == [
        f"error: valves ({path}): valves.dbf's text is UTF-8, but valves.cpg "
        "('\ufffd\ufffd\ufffdGBK') says GBK (record 1, field name reads '\u533b\u9662' as "
        "UTF-8, '\u9356\u5a5a\u6acc' as GBK); fix: set encoding = \"UTF-8\" in [layers.valves]"
    ]


def test_a_cpg_is_read_to_its_first_100_characters(tmp_path):
    # valves.cpg is "936", 97 spaces, then "x": its first 100 characters say code page 936
    # (GBK). The text, 中文 in GBK (D6 D0 CE C4, no UTF-8), reads as it says.
    path = _valves(tmp_path, ["\u4e2d\u6587".encode("gbk")], cpg=b"936" + b" " * 97 + b"x")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, crs="EPSG:4545"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == ["\u4e2d\u6587"]


def test_text_not_in_the_cpg_s_encoding_shows_its_first_24_bytes(tmp_path):
    # valves.cpg says UTF-8; the name is 13 characters of GBK (26 bytes, D6 D0 ... no
    # UTF-8): the error shows the first 24 bytes (12 characters) and the GBK reading.
    name = "\u4e2d\u534e\u71c3\u6c14\u7ba1\u9053\u5de5\u7a0b\u6709\u9650\u516c\u53f8\u7532"
    path = _valves(tmp_path, [name.encode("gbk")], cpg=b"UTF-8")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path), r) is None
    assert r.lines() == [
        f"error: valves ({path}): valves.dbf's text is not UTF-8 as valves.cpg ('UTF-8') "
        f"says (record 1, field name: bytes {name[:12].encode('gbk')!r}; it reads as GBK: "
        f'{name!r}); fix: set encoding = "GBK" in [layers.valves]'
    ]


def test_utf8_chinese_without_a_cpg_or_config_reads_as_utf8(tmp_path):
    # No .cpg, no encoding in the config, no code page mark: 医院 in UTF-8 reads only as
    # UTF-8 (GBK would make it '鍖婚櫌', no more Chinese than that): read as UTF-8.
    path = _valves(tmp_path, [HOSPITAL.encode()])
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, crs="EPSG:4545"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == [HOSPITAL]


def test_a_utf8_config_mending_a_cpg_that_says_gbk_for_utf8_chinese_is_taken_silently(
    tmp_path,
):
    # valves.cpg says GBK, the config UTF-8, the text is 医院 in UTF-8 (GBK: '鍖婚櫌'). The
    # text is Chinese UTF-8, as the config says: no error, no override warning; 医院 read.
    path = _valves(tmp_path, [HOSPITAL.encode()], cpg=b"GBK")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="UTF-8", crs="EPSG:4545"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == [HOSPITAL]


def test_a_utf8_config_over_a_latin1_cpg_for_text_read_either_way_is_warned(tmp_path):
    # valves.cpg says ISO-8859-1, the config UTF-8; 'Café' in UTF-8 (C3 A9) reads as 'Café'
    # or as Latin-1 'CafÃ©', no Chinese to tell: taken as the config says, with a warning.
    path = _valves(tmp_path, ["Caf\u00e9".encode()], cpg=b"ISO-8859-1")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="UTF-8", crs="EPSG:4545"), r)
    assert _checks(r) == [("encoding_override", "warning", "valves")]
    assert r.lines() == [
        f"warning: valves ({path}): encoding = 'UTF-8' in [layers.valves] overrides "
        "valves.cpg ('ISO-8859-1'); the text reads either way (record 1, field name reads "
        "'Caf\u00c3\u00a9' as iso8859-1, 'Caf\u00e9' as UTF-8); read as UTF-8, as the config "
        "says; fix: check the text in the one map: if valves.cpg ('ISO-8859-1') is right, "
        'remove encoding = "UTF-8" from [layers.valves]'
    ]
    assert gdf["name"].tolist() == ["Caf\u00e9"]


def test_a_gbk_config_without_a_cpg_for_utf8_chinese_asks_to_remove_the_config(tmp_path):
    # No .cpg; the config says GBK, but the text is 医院 in UTF-8 (GBK: '鍖婚櫌'). Without
    # the config it would be read as UTF-8, the default: the fix removes it.
    path = _valves(tmp_path, [HOSPITAL.encode()])
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="GBK"), r) is None
    assert r.lines() == [
        f"error: valves ({path}): valves.dbf's text is UTF-8, but encoding = 'GBK' in "
        "[layers.valves] says GBK (record 1, field name reads '\u533b\u9662' as UTF-8, "
        "'\u9356\u5a5a\u6acc' as GBK); fix: remove encoding = \"GBK\" from [layers.valves]"
    ]


def test_a_value_ended_by_a_nul_byte_is_checked_as_gdal_reads_it_up_to_the_nul(tmp_path):
    # Fixed fault: an exporter wrote 医院 (UTF-8), a NUL, then stale bytes 'old' left in its
    # buffer. GDAL reads a text field up to the NUL: '医院'. The encoding check took the
    # whole field, '医院\x00old', and said GDAL "does not know" UTF-8. No .cpg, no config:
    # the text up to the NUL is UTF-8, read without an error.
    path = _valves(tmp_path, [HOSPITAL.encode() + b"\x00old"])
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, crs="EPSG:4545"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == [HOSPITAL]


def test_stale_bytes_after_a_nul_are_not_held_against_the_encoding(tmp_path):
    # Fixed fault: valves.cpg says UTF-8; record 1 holds 'ab', a NUL, then a stale byte FF
    # (no UTF-8). GDAL reads 'ab' and never the FF: no encoding error.
    path = _valves(tmp_path, [b"ab\x00\xff"], cpg=b"UTF-8")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, crs="EPSG:4545"), r)
    assert r.rows == []
    assert gdf["name"].tolist() == ["ab"]
