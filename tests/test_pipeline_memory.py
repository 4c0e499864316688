"""`gasnet run` hands each stage what the previous one holds in memory; the outputs are those
of the stages run one by one, each reading the GeoPackage (as the single commands do)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import line, write_shp
from outputs import assert_same_outputs, config_of, in_one_run
from shapely.geometry import MultiLineString

from gasnet import pipeline, store
from gasnet.sample import write_sample

STAGES = ("ingest", "build", "criticality", "advise", "hazards", "maps")


def stage_by_stage(config_path: Path) -> Path:
    config = config_of(config_path)
    for name in STAGES:
        getattr(pipeline, name)(config)
    return config.gpkg_target


@pytest.fixture(scope="module")
def sample_pair(tmp_path_factory):
    """The generated sample twice: ``a`` stage by stage, ``b`` in one run."""
    root = tmp_path_factory.mktemp("memory")
    write_sample(root / "a", 800, seed=5)
    shutil.copytree(root / "a", root / "b")
    return root / "a" / "gasnet.toml", root / "b" / "gasnet.toml"


def test_run_writes_what_the_stages_write_one_by_one(sample_pair):
    a, b = sample_pair
    assert_same_outputs(stage_by_stage(a), in_one_run(b))


def spy(monkeypatch, name: str) -> list:
    """The calls of ``store.<name>`` from now on (their first arguments)."""
    calls, real = [], getattr(store, name)
    monkeypatch.setattr(store, name, lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_run_reads_no_layer_back_between_its_stages(project, monkeypatch):
    read, loaded = spy(monkeypatch, "read_snapshot"), spy(monkeypatch, "read_layer")
    in_one_run(project.config)
    assert read == []
    assert {a[1] for a in loaded} == {"run_metadata"}  # (what write_layers merges keys into)


def test_the_single_commands_still_read_the_geopackage(project, monkeypatch):
    config = config_of(project.config)
    pipeline.ingest(config)
    read = spy(monkeypatch, "read_snapshot")
    for name in STAGES[1:]:
        getattr(pipeline, name)(config)
    assert len(read) == len(STAGES) - 1


def odd_project(project) -> Path:
    """Pipes the GeoPackage changes: a multi-part line among lines (all become multi-lines),
    blank numbers (Int64 with blanks becomes floating point), text with blanks."""
    write_shp(
        project.raw / "pipes.shp",
        [
            {"id": "P1", "pressure_class": "中壓A", "status": "在用", "install_ye": 2001},
            {"id": "P2", "pressure_class": "MP-A", "status": None, "install_ye": None},
            {"id": "P3", "pressure_class": None, "status": "規劃", "install_ye": 1999},
        ],
        [
            line((0, 0), (100, 0)),
            MultiLineString([line((100, 0), (150, 0)), line((150, 0), (200, 0))]),
            line((100, 0), (100, 80)),
        ],
    )
    return project.config


def test_layers_the_geopackage_changes_reach_the_next_stage_as_it_reads_them(
    project, tmp_path_factory
):
    config = odd_project(project)
    other = tmp_path_factory.mktemp("odd") / "b"
    shutil.copytree(project.root, other)
    assert_same_outputs(stage_by_stage(config), in_one_run(other / "gasnet.toml"))


def test_a_layer_it_cannot_tell_is_read_back_from_the_staging_file(project, monkeypatch):
    """as_read unsure (None): the layer is read back from the run's file, the outputs are
    the same."""
    other = project.root.parent / "other"
    shutil.copytree(project.root, other)
    monkeypatch.setattr(store, "as_read", lambda frame: None)
    loaded = spy(monkeypatch, "read_layer")
    b = in_one_run(other / "gasnet.toml")
    assert {"pipes", "nodes", "segments", "risk", "valve_advice"} <= {a[1] for a in loaded}
    monkeypatch.undo()
    assert_same_outputs(stage_by_stage(project.config), b)


def test_a_staging_file_changed_by_another_program_is_read_again(project, monkeypatch):
    """Between two stages another program rewrote the run's staging copy: what the stages
    hold no longer describes it, so from then on they read the file, as the single commands
    do (here: the same content, a new inode)."""
    real_build = pipeline.build

    def build(config):
        copy = config.gpkg.with_name("copy.gpkg")
        shutil.copy2(config.gpkg, copy)
        copy.replace(config.gpkg)
        return real_build(config)

    monkeypatch.setattr(pipeline, "build", build)
    read = spy(monkeypatch, "read_snapshot")
    in_one_run(project.config)
    assert len(read) == len(STAGES) - 1  # build and every stage after it
