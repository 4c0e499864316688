"""ingest's answers the quick mutation pass left unpinned (docs/mutants.md): a CSV whose
byte-order mark agrees with its configured encoding, the warning for a hazards file without its
ranking fields, the files a source consists of, where an unknown-value warning is drawn, and
how to write a date. Tiny hand-made layers and files in; the frame, the files or the report out.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
from conftest import pt

from gasnet import ingest
from gasnet.config import LayerSource
from gasnet.validate import Report

CONFIG = SimpleNamespace(values={}, crs="EPSG:4545")


def _raw(data: dict, geoms, crs="EPSG:4545") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def _rows(report: Report) -> list[tuple]:
    return [(x["check"], x["severity"], x["layer"]) for x in report.rows]


# -- _read_csv: a UTF-8 byte-order mark and encoding = "UTF-8" ---------------------------------


def test_a_csv_with_a_utf8_mark_reads_when_utf8_is_configured(tmp_path):
    # The file starts with the UTF-8 mark (EF BB BF) and the config says encoding = "UTF-8":
    # they agree (the mark is UTF-8's), so no bad_encoding error; the one row reads as
    # id C1 at (380180.5, 3400000), name 张三 decoded as UTF-8.
    path = tmp_path / "c.csv"
    path.write_bytes(codecs.BOM_UTF8 + "id,name,x,y\nC1,张三,380180.5,3400000\n".encode())
    report = Report()
    for encoding in ("UTF-8", "utf8"):
        source = LayerSource("customers", path, encoding=encoding, crs="EPSG:4545")
        gdf = ingest._read_csv(source, report)
        assert report.rows == [] and report.kinds == {}
        assert gdf is not None
        assert gdf["id"].tolist() == ["C1"] and gdf["name"].tolist() == ["张三"]
        assert (gdf.geometry.x[0], gdf.geometry.y[0]) == (380180.5, 3400000.0)


# -- normalise_layer: hazards without the fields the priority rests on -------------------------


def test_a_hazards_file_without_its_ranking_fields_gets_one_unmapped_field_warning():
    # Only id and description: no category, severity, status or due_on field. One warning,
    # check unmapped_field in the hazards layer, naming the four absent fields.
    raw = _raw({"id": ["H1"], "description": ["漏气"]}, [pt(0, 0)])
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("hazards", Path("h.gpkg")), raw, CONFIG, report)
    assert gdf is not None
    assert _rows(report) == [("unmapped_field", "warning", "hazards")]
    assert report.ids("unmapped_field", "hazards") == set()  # no feature named: the whole file
    assert "no category, severity, status, due_on field" in report.rows[0]["message"]


# -- input_files: a shapefile's .cpg, a GeoPackage's -journal ----------------------------------


def test_input_files_include_a_shapefiles_cpg_and_a_geopackages_journal(tmp_path):
    # p.cpg says the .dbf's encoding: part of the source. a.gpkg-journal holds changes not yet
    # written into a.gpkg: part of it too.
    for name in ("p.shp", "p.dbf", "p.shx", "p.cpg"):
        (tmp_path / name).write_bytes(b"")
    files = ingest.input_files(LayerSource("pipes", tmp_path / "p.shp"))
    assert [f.name for f in files] == ["p.cpg", "p.dbf", "p.shp", "p.shx"]
    gpkg = tmp_path / "a.gpkg"
    gpkg.write_bytes(b"")
    (tmp_path / "a.gpkg-journal").write_bytes(b"")
    assert ingest.input_files(LayerSource("pipes", gpkg)) == [gpkg, tmp_path / "a.gpkg-journal"]


# -- normalise_layer: an unknown enum value's warning row has the feature's geometry ------------


def test_an_unknown_hazard_category_warning_row_carries_the_hazards_geometry():
    # H1's category 占压 is known (encroachment); H2's "外星人" is not: kept as given, with a
    # warning row for H2 drawn at H2's own point (5, 5), so the quality map shows where it is.
    raw = _raw(
        {
            "id": ["H1", "H2"],
            "category": ["占压", "外星人"],
            "severity": ["general", "general"],
            "status": ["open", "open"],
            "due_on": [None, None],
        },
        [pt(0, 0), pt(5, 5)],
    )
    report = Report()
    ingest.normalise_layer(LayerSource("hazards", Path("h.gpkg")), raw, CONFIG, report)
    assert _rows(report) == [("unknown_value", "warning", "hazards")]
    row = report.rows[0]
    assert row["feature_id"] == "H2"
    assert row["geometry"] is not None and row["geometry"].equals(pt(5, 5))
    assert report.to_frame().geometry.iloc[0].equals(pt(5, 5))


# -- normalise_layer: how a bad date's fix reads ------------------------------------------------


def test_a_bad_date_warning_says_which_forms_are_not_accepted_and_why():
    # H1's found_on 05/03/2024 reads two ways (5 March or May 3): not a date, left blank; the
    # fix lists the accepted forms and says why DD/MM/YYYY and the like are refused.
    raw = _raw(
        {
            "id": ["H1"],
            "category": ["占压"],
            "severity": ["general"],
            "status": ["open"],
            "found_on": ["05/03/2024"],
            "due_on": [None],
        },
        [pt(0, 0)],
    )
    report = Report()
    gdf = ingest.normalise_layer(LayerSource("hazards", Path("h.gpkg")), raw, CONFIG, report)
    assert gdf["found_on"].tolist() == [None]
    assert _rows(report) == [("bad_date", "warning", "hazards")]
    (line,) = report.lines()
    assert line.endswith(
        "; fix: write it as "
        + ingest.DATE_FORMS
        + "; DD/MM/YYYY, MM/DD/YYYY and dates without a year are not accepted (they read more "
        "than one way)"
    )
