"""ingest.py's branches no test reached (`make mutants`, docs/mutants.md): a PostGIS source
without a table, the files read on a Dask cluster, an encoding GDAL does not know, a .cpg that
cannot be read, a config encoding beside a .cpg that reads the same, garbled field names.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from conftest import in_process_session, pt, write_shp

from gasnet import _progress, parallel
from gasnet.config import LayerSource, read_config
from gasnet.ingest import load_layers, read_source
from gasnet.validate import Report

HOSPITAL = "\u533b\u9662"  # 医院


def _sources_shp(tmp_path, rows, encoding="UTF-8", cpg=True) -> Path:
    return write_shp(tmp_path / "sources.shp", rows, [pt(0, 0)], encoding=encoding, cpg=cpg)


# -- the files read on a Dask cluster --------------------------------------------------------


class _LostSession(parallel.Session):
    """A session whose cluster is gone: map fails as Session.map does, naming the stage."""

    def map(self, fn, payloads, stage=""):
        raise self._lost(stage or fn.__name__, OSError("scheduler gone"))


def _project_with_a_warning(project):
    # C1's households is "many": a bad_number warning, found by the worker that reads the
    # customers, which must reach the report here.
    write_shp(
        project.raw / "customers.shp",
        [{"id": "C1", "households": "many"}, {"id": "C2", "households": "30"}],
        [pt(150, 10), pt(110, 60)],
    )
    return read_config(project.config)


def test_layers_read_on_a_cluster_are_those_read_here(project, monkeypatch, capsys):
    # Planted: ingest.py (_sources_on_cluster): plain = None; replace(None, ...);
    # replace(run_state=None); replace(config, ) (mutants 3-6); sources = None;
    # layers.get(None, []), get(name, None), get([]), get(name, ) (7-11); the progress
    # line None (12); map(None, ...), map(fn, None, ...), the stage None, left out,
    # "XXingestXX", "INGEST", fn or the payloads left out (13-20). (load_layers): `gdf,
    # own_crs, part = None`, read.pop(None), read.pop(1), report.extend(None) (22-25).
    #
    # The tiny project (pipes P1-P3, valve V1, source S1, customers C1-C2): 4 files, one per
    # configured layer (regulators and hazards are not configured), read by one "ingest"
    # map, in the order the layers are taken; each worker's report merged in that order.
    # The config carries a run's in-memory state that cannot travel (a lock): it stays here.
    config = _project_with_a_warning(project)
    s = in_process_session()
    monkeypatch.setattr(parallel, "_SESSION", s)
    monkeypatch.setattr(_progress, "enabled", lambda: True)
    capsys.readouterr()
    layers, report = load_layers(dataclasses.replace(config, run_state=threading.Lock()))
    assert s.log[0] == ("ingest", 4)  # (then the checks of the merged layers)
    err = capsys.readouterr().err.splitlines()
    assert any(line.endswith("s] reading 4 files on the Dask cluster") for line in err), err
    assert {n: sorted(g.iloc[:, 0]) for n, g in layers.items() if len(g)} == {
        "pipes": ["P1", "P2", "P3"],
        "valves": ["V1"],
        "sources": ["S1"],
        "customers": ["C1", "C2"],
    }
    assert layers["pipes"].set_index("pipe_id")["pressure_class"].to_dict() == {
        "P1": "MP-A",
        "P2": "MP-A",
        "P3": "LP",
    }
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


def test_a_cluster_lost_while_reading_names_the_ingest(project, monkeypatch):
    # Planted: ingest.py (_sources_on_cluster): the stage "ingest" -> None, left out,
    # "XXingestXX", "INGEST" (mutants 15, 18, 19, 20): the message names another stage.
    config = read_config(project.config)
    monkeypatch.setattr(parallel, "_SESSION", _LostSession(client=None))
    with pytest.raises(parallel.ClusterError) as exc:
        load_layers(config)
    assert str(exc.value).startswith(
        "the Dask cluster failed during the ingest (OSError: scheduler gone); "
    )


# -- encodings -------------------------------------------------------------------------------


def test_a_cpg_that_cannot_be_read_says_nothing(tmp_path, monkeypatch):
    # Planted: ingest.py (_shapefile_encoding): the unreadable .cpg's text "" -> None
    # (mutant 37). sources.cpg exists but reading it fails (no permission): it names no
    # encoding, and the UTF-8 text is read as UTF-8, the default.
    shp = _sources_shp(tmp_path, [{"id": "S1", "name": HOSPITAL}])
    read_text = Path.read_text

    def unreadable(self, *args, **kwargs):
        if self.suffix == ".cpg":
            raise PermissionError(13, "Permission denied", str(self))
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", unreadable)
    report = Report(crs="EPSG:4545")
    gdf = read_source(LayerSource(layer="sources", path=shp), report)
    assert report.lines() == []
    assert gdf["name"].tolist() == [HOSPITAL]


def test_a_config_encoding_over_a_cpg_that_reads_the_same_is_taken_quietly(tmp_path):
    # Planted: ingest.py (_shapefile_encoding): `if cfg_text == dec_text: return True, ...`
    # -> return False (mutant 198). GBK text, sources.cpg says GBK, the config GB18030 (a
    # superset of GBK): both read 医院 alike, so no contradiction, no warning: read.
    shp = _sources_shp(tmp_path, [{"id": "S1", "name": HOSPITAL}], encoding="GBK")
    shp.with_suffix(".cpg").write_text("GBK")
    report = Report(crs="EPSG:4545")
    gdf = read_source(LayerSource(layer="sources", path=shp, encoding="GB18030"), report)
    assert report.lines() == []
    assert gdf["name"].tolist() == [HOSPITAL]


def test_field_names_garbled_by_a_latin1_code_page_mark_suggest_gbk(project):
    # Planted: ingest.py (normalise_layer): the garbled-names hint -> None (mutant 33).
    # GBK field names (编号, id), no .cpg, the .dbf's code page mark 0x57 (ISO-8859-1): GDAL
    # reads the names as Latin-1, '±àºÅ', and the id field 'id' is not found; the names'
    # bytes above 0x7F say what happened.
    shp = _sources_shp(project.raw, [{"\u7f16\u53f7": "S1"}], encoding="GBK", cpg=False)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0x57  # the language driver id
    dbf.write_bytes(bytes(data))
    _, report = load_layers(read_config(project.config))
    assert [x for x in report.lines() if x.startswith(f"error: sources ({shp})")] == [
        f"error: sources ({shp}): id field 'id' not found (fields: \u00b1\u00e0\u00ba\u00c5) "
        "— the field names look garbled: the .dbf is probably GBK without a .cpg; "
        'set encoding = "GBK" in [layers.sources]; fix: set id = "FIELD" in [layers.sources]'
    ]
