"""ingest.py's encoding branches no test reached (`make mutants`, docs/mutants.md): an
encoding GDAL does not know by Python's name, a config encoding that contradicts the .cpg,
and UTF-8 "with BOM" given for a MapInfo table. Tiny files in, the whole report line out.
"""

from __future__ import annotations

import geopandas as gpd
from conftest import pt, write_shp

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report


def _with_bytes(path, old: bytes, new: bytes):
    """``path``'s .dbf with the bytes ``old`` (a value as written) replaced by ``new``."""
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    assert data.count(old) == 1
    dbf.write_bytes(data.replace(old, new))
    return path


def test_an_encoding_gdal_does_not_know_by_python_s_name_is_an_error_with_its_fix(tmp_path):
    # Python's "mac_roman" is MAC-ROMAN to GDAL, which its iconv does not know: GDAL passes
    # the bytes through and pyogrio fails to read them as UTF-8. The .dbf holds 'Café' in
    # Mac Roman (é is byte 0x8E, no UTF-8), which Python decodes as 'Café': the error says
    # GDAL does not know that name, and the fix gives the usual names.
    path = write_shp(tmp_path / "v.shp", [{"id": "V1", "name": "Cafe!"}], [pt(0, 0)], cpg=False)
    _with_bytes(path, b"Cafe!", "Café".encode("mac_roman") + b" ")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="mac_roman"), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("bad_encoding", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): GDAL cannot read the encoding 'mac_roman' (it does not know "
        "it by that name), though the text decodes as it; fix: give the encoding by its usual "
        'name in [layers.valves], e.g. encoding = "GBK" (GBK, GB18030, Big5, UTF-8, CP1252 ...)'
    ]


def test_text_in_neither_the_config_s_encoding_nor_the_cpg_s_names_both(tmp_path):
    # v.cpg says GBK, the config UTF-8; byte 0x80 is a character in neither (nor in GB18030
    # or Big5): the error names the config's encoding and, in brackets, the .cpg's; no
    # reading to suggest, so the fix gives examples.
    path = write_shp(tmp_path / "v.shp", [{"id": "V1", "name": "Xabc"}], [pt(0, 0)], encoding="GBK")
    _with_bytes(path, b"Xabc", b"\x80abc")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="UTF-8"), r) is None
    assert r.lines() == [
        f"error: valves ({path}): v.dbf's text is not UTF-8 as encoding = 'UTF-8' in "
        "[layers.valves] (nor GBK, v.cpg ('GBK')) says (record 1, field name: bytes "
        "b'\\x80abc'); fix: set encoding = \"...\" in [layers.valves] to the encoding the "
        'file was exported in (e.g. "GBK", "GB18030", "Big5")'
    ]


def test_a_config_encoding_the_text_is_not_in_contradicting_a_right_cpg(tmp_path):
    # v.cpg says GBK, the config UTF-8. Record 1 holds 医院 in GBK (D2 BD D4 BA, valid UTF-8
    # too: 'ҽԺ'); record 2 holds 中文 in GBK (D6 D0 ...: no UTF-8). The text is GBK: an
    # error naming record 2, the first value UTF-8 cannot read, as GBK reads it; the fix is
    # to remove the config's encoding (the .cpg is right).
    rows = [{"id": "V1", "name": "\u533b\u9662"}, {"id": "V2", "name": "\u4e2d\u6587"}]
    path = write_shp(tmp_path / "v.shp", rows, [pt(0, 0), pt(1, 0)], encoding="GBK")
    r = Report()
    assert ingest.read_source(LayerSource("valves", path, encoding="UTF-8"), r) is None
    assert [(x["check"], x["severity"], x["layer"]) for x in r.rows] == [
        ("bad_encoding", "error", "valves")
    ]
    assert r.lines() == [
        f"error: valves ({path}): encoding = 'UTF-8' in [layers.valves] contradicts v.cpg "
        "('GBK'), and the text is GBK, not UTF-8 (record 2, field name reads '\u4e2d\u6587' "
        'as GBK); fix: remove encoding = "UTF-8" from [layers.valves]'
    ]


def test_a_mapinfo_table_given_as_utf8_with_a_byte_order_mark_reads_as_utf8(tmp_path):
    # encoding = "UTF-8-SIG" (Python's "utf-8-sig", UTF-8 as Excel saves it) for a MapInfo
    # .tab: GDAL and pyogrio know it as plain UTF-8, and the table reads 医院, with nothing
    # to report (another name, unknown to pyogrio, would make the file unreadable).
    path = tmp_path / "v.tab"
    gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["\u533b\u9662"]}, geometry=[pt(0, 0)], crs="EPSG:4545"
    ).to_file(path, driver="MapInfo File", engine="pyogrio")
    r = Report()
    gdf = ingest.read_source(LayerSource("valves", path, encoding="UTF-8-SIG"), r)
    assert r.rows == []
    assert gdf["id"].tolist() == ["V1"] and gdf["name"].tolist() == ["\u533b\u9662"]
