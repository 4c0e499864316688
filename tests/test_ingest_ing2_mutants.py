"""read_source's branches no other ingest test reached (`make mutants`, docs/mutants.md): a
PostGIS source, a FIFO named as a layer, an encoding name GDAL does not know. The report's
row and line (check, severity, layer, message, fix, label) are what the user sees.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import pt, rows, write_shp

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report


def test_a_postgis_source_without_a_table_is_reported_in_the_callers_report():
    # path = "postgresql://..." without layer = "schema.table": postgis.read_table reports it
    # before connecting (no server needed), into the report read_source was given.
    url = "postgresql://gis@db.example/city"
    report = Report()
    assert ingest.read_source(LayerSource("pipes", Path("."), url=url), report) is None
    assert report.rows == [
        {
            "check": "missing_file",
            "severity": "error",
            "layer": "pipes",
            "feature_id": None,
            "message": "no table named",
            "geometry": None,
        }
    ]
    assert report.has_errors
    (line,) = report.lines()
    assert line.endswith(': no table named; fix: give layer = "schema.table" in [layers.pipes]')


def test_a_fifo_named_as_a_layer_is_one_error_naming_it(tmp_path):
    # raw/valves.shp is a FIFO (nothing else of the shapefile is there): the first and only
    # file that is not a regular one, named in the message, with the fix and the source label.
    fifo = tmp_path / "valves.shp"
    os.mkfifo(fifo)
    source = LayerSource("valves", fifo)
    report = Report()
    assert ingest.read_source(source, report) is None
    message = (
        "valves.shp is a FIFO (named pipe), not a regular file (reading it would wait or never end)"
    )
    assert report.rows == [
        {
            "check": "not_a_file",
            "severity": "error",
            "layer": "valves",
            "feature_id": None,
            "message": message,
            "geometry": None,
        }
    ]
    assert report.lines() == [
        f"error: valves ({fifo}): {message}; fix: point path = ... in [layers.valves] at a "
        "regular file (copy the data into one first)"
    ]


def test_an_encoding_gdal_does_not_know_is_an_error_not_a_silent_misreading(tmp_path):
    # encoding = "mac_roman": Python knows it, GDAL (as MAC-ROMAN) does not and passes the
    # bytes through. V2's name holds the bytes c3 a9 after "caf": GDAL gives 'café' (read as
    # UTF-8), Python's Mac Roman 'caf√©' (c3 = √, a9 = ©). The readings differ: an error
    # rather than a layer read as other characters. No .cpg: only the config names it.
    shp = write_shp(
        tmp_path / "valves.shp",
        [{"id": "V1", "name": "gate"}, {"id": "V2", "name": "café"}],
        [pt(0, 0), pt(10, 0)],
        cpg=False,
    )
    report = Report()
    assert ingest.read_source(LayerSource("valves", shp, encoding="mac_roman"), report) is None
    message = (
        "GDAL does not read the encoding 'mac_roman' as Python does (record 2, field name "
        "should read 'caf√©'): it does not know that name"
    )
    assert [(r["severity"], r["layer"], r["message"]) for r in rows(report, "bad_encoding")] == [
        ("error", "valves", message)
    ]
    assert report.lines() == [
        f"error: valves ({shp}): {message}; fix: give the encoding by its usual name in "
        '[layers.valves], e.g. encoding = "GBK" (GBK, GB18030, Big5, UTF-8, CP1252 ...)'
    ]
    # The same file read as UTF-8 (as GDAL did) is no error: the text is what it reads.
    frame = ingest.read_source(LayerSource("valves", shp, encoding="UTF-8"), Report())
    assert frame["name"].tolist() == ["gate", "café"]
