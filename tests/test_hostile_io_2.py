"""Hostile files and folders, second round (review A): answers read from one version of the
GeoPackage, outputs through symbolic links, the three burst files as one, staging files of
runs in other pid namespaces, full disks at realistic sizes, a damaged spatial reference
table, symbolic link loops in the config, and `gasnet sample` into an existing project.

Same rules as test_hostile_io: real read-only mounts and small tmpfs in a private mount
namespace (skipped where not permitted), file size limits in a child process, anything that
could hang in a child process with a timeout; no timed assertions.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Project
from test_hostile_io import (
    CLI,
    _digest,
    _leftovers,
    in_mount_namespace,
    one_clear_error,
    open_valves,
    run_cli,
)

import gasnet
from gasnet import pipeline, store
from gasnet.errors import OutputError


@pytest.fixture
def built(project, cli):
    """The project with open valves (V1 feeds C1), run once."""
    open_valves(project, ("V1", (50, 0)))
    assert cli("--config", project.config, "run")[0] == 0
    return project


def _only_line(err: str) -> str:
    """stderr must be one line (no library warnings either)."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


# -- A1: one version of the GeoPackage per answer ------------------------------------------------


@pytest.fixture
def other_version(tmp_path, cli):
    """The same network with valve V9 where V1 was: a later run's GeoPackage."""
    root = tmp_path / "later"
    root.mkdir()
    later = Project(root)
    open_valves(later, ("V9", (50, 0)))
    assert cli("--config", later.config, "run")[0] == 0
    return later.gpkg


def _replacing_reader(monkeypatch, target: Path, versions: list[Path], after: str):
    """pyogrio.read_dataframe that, after reading layer ``after``, renames the next of
    ``versions`` over ``target`` -- what a `gasnet run` finishing meanwhile does."""
    real = store.pyogrio.read_dataframe
    calls: list[str] = []

    def reader(path, *args, layer=None, **kwargs):
        df = real(path, *args, layer=layer, **kwargs)
        calls.append(layer)
        if layer == after and versions:
            os.replace(versions.pop(0), target)
        return df

    monkeypatch.setattr(store.pyogrio, "read_dataframe", reader)
    return calls


def test_load_reads_again_when_the_geopackage_is_replaced_meanwhile(
    built, other_version, tmp_path, monkeypatch
):
    spare = tmp_path / "spare.gpkg"
    shutil.copy2(other_version, spare)
    calls = _replacing_reader(monkeypatch, built.gpkg, [spare], after="valves")
    net = gasnet.load(built.config)
    # Valves and nodes come from the same file: the new one, read again from the start.
    valve_nodes = set(net.layers["nodes"].loc[net.layers["nodes"]["kind"] == "valve", "asset_id"])
    assert set(net.layers["valves"]["valve_id"]) == valve_nodes == {"V9"}
    assert calls.count("valves") == calls.count("nodes") == 2  # read through twice
    assert net.metadata["stage:criticality"]


def test_a_geopackage_replaced_on_every_read_is_a_clear_error(
    built, other_version, tmp_path, monkeypatch, cli
):
    spares = []
    for i, src in enumerate([other_version, built.gpkg, other_version]):
        spares.append(tmp_path / f"v{i}.gpkg")
        shutil.copy2(src, spares[-1])
    _replacing_reader(monkeypatch, built.gpkg, spares, after="valves")
    line = one_clear_error(*cli("--config", built.config, "isolate", "--close", "V1")[::2])
    assert f"{built.gpkg}: the GeoPackage was replaced 3 times while being read" in line
    assert "run the command again" in line


# -- B5: a damaged spatial reference table -------------------------------------------------------


def _zero_srs_table(gpkg: Path) -> None:
    """Zero the page holding gpkg_spatial_ref_sys (like dd ... seek=1 count=1 conv=notrunc)."""
    con = sqlite3.connect(gpkg)
    (root,) = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'gpkg_spatial_ref_sys'"
    ).fetchone()
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(gpkg, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\0" * page)


@pytest.mark.parametrize("command", [["isolate", "--close", "V1"], ["burst", "--pipe", "P2"]])
def test_a_zeroed_srs_table_says_damaged_in_one_line(built, command):
    _zero_srs_table(built.gpkg)
    result = run_cli("--config", built.config, *command)
    assert result.returncode == 2, result.stderr
    line = _only_line(result.stderr)
    assert f"{built.gpkg}: the GeoPackage is damaged" in line and "run `gasnet run`" in line


# -- A5: symbolic links as --out -----------------------------------------------------------------


def test_out_through_a_link_replaces_the_file_it_points_to(built, cli, tmp_path):
    real = tmp_path / "answers" / "lost.csv"
    real.parent.mkdir()
    real.write_text("old answer")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    code, _, err = cli("--config", built.config, "isolate", "--close", "V1", "--out", link)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8-sig").startswith("customer_id,")
    assert sorted(os.listdir(real.parent)) == ["lost.csv"]


def test_out_that_is_a_link_to_an_open_file_is_refused(built, cli, tmp_path):
    link = tmp_path / "mystdout"
    link.symlink_to("/proc/self/fd/1")
    line = one_clear_error(
        *cli("--config", built.config, "isolate", "--close", "V1", "--out", link)[::2]
    )
    assert f"{link}: is a link into /proc" in line and "set --out to a regular file" in line
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_out_dev_stdout_never_replaces_the_systems_link(built, tmp_path):
    """As root, with stdout a file: the old code renamed its CSV over /dev/stdout. Here /dev is
    a private tmpfs of this mount namespace, so a regression cannot harm the machine."""
    res = tmp_path / "res"
    res.mkdir()
    result = in_mount_namespace(
        textwrap.dedent(
            f"""\
            set -e
            mount -t tmpfs tmpfs /dev
            ln -s /proc/self/fd/1 /dev/stdout
            mknod -m 666 /dev/null c 1 3
            set +e
            {sys.executable} -c '{CLI}' --config {built.config} isolate --close V1 \\
                --out /dev/stdout > {res}/out 2> {res}/err
            echo $? > {res}/rc
            readlink /dev/stdout > {res}/link
            """
        )
    )
    assert result.returncode == 0, result.stderr
    line = one_clear_error(int((res / "rc").read_text()), (res / "err").read_text())
    assert "/dev/stdout: is a link in /dev" in line
    assert (res / "link").read_text().strip() == "/proc/self/fd/1"


def test_out_that_is_a_link_loop_is_refused_by_name(built, cli, tmp_path):
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    line = one_clear_error(
        *cli("--config", built.config, "isolate", "--close", "V1", "--out", loop)[::2]
    )
    assert f"{loop}: the symbolic link loops" in line


# -- A10: the three burst files as one -----------------------------------------------------------


def _burst_files(out: Path) -> list[Path]:
    return [out, out.with_suffix(".valves.csv"), out.with_suffix(".area.geojson")]


@pytest.fixture
def answered(built, cli, tmp_path):
    """A burst answered once into answers/b.csv (+ .valves.csv, .area.geojson)."""
    out = tmp_path / "answers" / "b.csv"
    out.parent.mkdir()
    assert cli("--config", built.config, "burst", "--pipe", "P2", "--out", out)[0] == 0
    for f in _burst_files(out):  # mark them: an old answer
        f.write_bytes(f.read_bytes() + b"\n")
    return out


def test_burst_files_are_not_replaced_when_one_is_a_folder(built, cli, answered):
    valves = answered.with_suffix(".valves.csv")
    valves.unlink()
    valves.mkdir()
    before = {f: _digest(f) for f in (answered, answered.with_suffix(".area.geojson"))}
    line = one_clear_error(
        *cli("--config", built.config, "burst", "--pipe", "P2", "--out", answered)[::2]
    )
    assert f"--out {answered}: {valves}, written with it, is a folder" in line
    assert {f: _digest(f) for f in before} == before
    assert sorted(os.listdir(answered.parent)) == ["b.area.geojson", "b.csv", "b.valves.csv"]


def test_burst_files_are_not_replaced_when_one_cannot_be_prepared(built, cli, answered):
    """A FIFO where F.valves.csv goes: refused when the staging files are prepared, before
    F.csv is replaced (never opened: nothing hangs)."""
    valves = answered.with_suffix(".valves.csv")
    valves.unlink()
    os.mkfifo(valves)
    before = {f: _digest(f) for f in (answered, answered.with_suffix(".area.geojson"))}
    line = one_clear_error(
        *cli("--config", built.config, "burst", "--pipe", "P2", "--out", answered)[::2]
    )
    assert f"{valves}: is a FIFO (named pipe), not a regular file" in line
    assert {f: _digest(f) for f in before} == before
    assert sorted(os.listdir(answered.parent)) == ["b.area.geojson", "b.csv", "b.valves.csv"]


def test_burst_files_are_not_replaced_when_the_last_one_fails(built, cli, answered, monkeypatch):
    from pyogrio.errors import DataSourceError

    before = {f: _digest(f) for f in _burst_files(answered)}

    def full(*args, **kwargs):
        raise DataSourceError("Failed to write: No space left on device")

    monkeypatch.setattr("pyogrio.write_dataframe", full)
    line = one_clear_error(
        *cli("--config", built.config, "burst", "--pipe", "P2", "--out", answered)[::2]
    )
    assert "b.area.geojson: cannot write the file (No space left on device)" in line
    assert "b.csv, b.valves.csv and b.area.geojson are unchanged" in line
    assert {f: _digest(f) for f in before} == before
    assert sorted(os.listdir(answered.parent)) == ["b.area.geojson", "b.csv", "b.valves.csv"]


def test_burst_files_are_not_replaced_when_one_is_locked(built, cli, answered):
    valves = answered.with_suffix(".valves.csv")
    if subprocess.run(["chattr", "+i", str(valves)], capture_output=True).returncode != 0:
        pytest.skip("no chattr +i here (file system or permissions)")
    try:
        before = {f: _digest(f) for f in _burst_files(answered)}
        line = one_clear_error(
            *cli("--config", built.config, "burst", "--pipe", "P2", "--out", answered)[::2]
        )
        assert f"{valves}: cannot write the file (Operation not permitted)" in line
        assert {f: _digest(f) for f in before} == before
    finally:
        subprocess.run(["chattr", "-i", str(valves)], capture_output=True)
    assert sorted(os.listdir(answered.parent)) == ["b.area.geojson", "b.csv", "b.valves.csv"]


# -- A12: staging files of runs in other pid namespaces ------------------------------------------

#: What a successful run leaves in the output folder.
OUTPUTS = ["gasnet.gpkg", "maps", "risk.csv", "valve_advice.csv"]

HOLD = textwrap.dedent(
    """\
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.read()
    """
)


class Holder:
    """Another process holding a staging file's lock, as a live run in another pid namespace
    does (its pid means nothing here)."""

    def __init__(self, lock: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(lock)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "held"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _gone_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_a_live_run_in_another_namespace_keeps_its_staging_files(project, cli):
    out = project.root / "out"
    out.mkdir()
    pid = _gone_pid()  # gone here; alive in the other namespace
    theirs = [f".gasnet.tmp-{pid}.gpkg", f".gasnet.tmp-{pid}.gpkg-journal"]
    for name in theirs:
        (out / name).write_bytes(b"live work")
    holder = Holder(out / f".gasnet.tmp-{pid}.gpkg.lock")
    try:
        assert cli("--config", project.config, "run")[0] == 0
        assert sorted(os.listdir(out)) == sorted(
            [*theirs, f".gasnet.tmp-{pid}.gpkg.lock", *OUTPUTS]
        )
    finally:
        holder.close()
    # Once it has ended (its lock released), the next write removes them.
    assert cli("--config", project.config, "ingest")[0] == 0
    assert sorted(os.listdir(out)) == OUTPUTS


def test_a_run_with_our_own_pid_in_another_namespace_is_not_touched(project, cli):
    """Containers often run gasnet as the same pid: the staging name is taken, not removed."""
    out = project.root / "out"
    out.mkdir()
    mine = f".gasnet.tmp-{os.getpid()}.gpkg"
    (out / mine).write_bytes(b"the other container's run")
    holder = Holder(out / f"{mine}.lock")
    try:
        code, _, err = cli("--config", project.config, "run")
        assert code == 0, err
        assert (out / mine).read_bytes() == b"the other container's run"
        assert sorted(os.listdir(out)) == sorted([mine, f"{mine}.lock", *OUTPUTS])
    finally:
        holder.close()


def test_an_unlocked_lock_file_means_stale_whatever_the_pid(project, cli):
    live = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        out = project.root / "out"
        out.mkdir()
        # A pid alive here, but the lock is free: the run that wrote these was killed.
        for name in (f".gasnet.tmp-{live.pid}.gpkg", f".gasnet.tmp-{live.pid}.gpkg.lock"):
            (out / name).write_bytes(b"")
        assert cli("--config", project.config, "run")[0] == 0
        assert sorted(os.listdir(out)) == OUTPUTS
    finally:
        live.stdin.close()
        live.wait(timeout=60)


def test_every_write_holds_its_lock_while_sqlite_writes(project, monkeypatch):
    """flock (ours, on <staging>.lock) and SQLite's POSIX locks (on the GeoPackage) are
    separate: GDAL writes the staging file while the lock is held, and another process sees
    the lock taken."""
    from gasnet.config import read_config

    seen = []
    real = store.pyogrio.write_dataframe

    def writer(df, path, *args, **kwargs):
        lock = f"{path}.lock"
        fd = os.open(lock, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        seen.append(Path(path).name)
        return real(df, path, *args, **kwargs)

    monkeypatch.setattr(store.pyogrio, "write_dataframe", writer)
    pipeline.ingest(read_config(project.config))
    assert seen and all(".tmp-" in n for n in seen)
    assert os.listdir(project.gpkg.parent) == ["gasnet.gpkg"]


def test_a_vanished_staging_copy_is_named_as_the_geopackage(built, cli, monkeypatch):
    real_build = pipeline.build

    def build(config):
        os.unlink(config.gpkg)  # another program cleaned the folder meanwhile
        return real_build(config)

    monkeypatch.setattr(pipeline, "build", build)
    before = _digest(built.gpkg)
    line = one_clear_error(*cli("--config", built.config, "run")[::2])
    assert line.startswith(f"gasnet: {built.gpkg}: the run's staging copy")
    assert ".tmp-" not in line and "gasnet ingest" not in line
    assert _digest(built.gpkg) == before and _leftovers(built.gpkg.parent) == []


def test_a_staging_copy_removed_before_the_last_write_is_never_committed(built, cli, monkeypatch):
    """Removed between criticality's read and its write: the old code wrote the stage's
    layers into a fresh file and renamed it over gasnet.gpkg (no pipes, no nodes)."""
    from gasnet.network import Network

    real = Network.__dict__["_criticality_tables"].func  # what the stage computes

    def criticality(self):
        os.unlink(self.config.gpkg)  # the run's staging copy, removed by another program
        return real(self)

    monkeypatch.setattr(Network, "_criticality_tables", property(criticality))
    before = _digest(built.gpkg)
    line = one_clear_error(*cli("--config", built.config, "run")[::2])
    assert f"{built.gpkg}: was removed by another process while gasnet worked" in line
    assert ".tmp-" not in line
    assert _digest(built.gpkg) == before and _leftovers(built.gpkg.parent) == []


def test_a_stage_never_writes_into_a_file_replaced_meanwhile(
    built, other_version, cli, monkeypatch
):
    """`gasnet criticality` read one network; a `gasnet run` then renamed another into place:
    writing this network's segments into that file would mix them."""
    from gasnet.network import Network

    real = Network.__dict__["_criticality_tables"].func  # what the stage computes
    newer = built.gpkg.with_name("newer.gpkg")
    shutil.copy2(other_version, newer)

    def criticality(self):
        os.replace(newer, built.gpkg)
        return real(self)

    monkeypatch.setattr(Network, "_criticality_tables", property(criticality))
    expected = _digest(other_version)
    line = one_clear_error(*cli("--config", built.config, "criticality")[::2])
    assert f"{built.gpkg}: was replaced by another process while gasnet worked" in line
    assert _digest(built.gpkg) == expected and _leftovers(built.gpkg.parent) == []


# -- B1: full disks and file size limits at realistic sizes --------------------------------------


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A 6,000-pipe sample, run once: a 6 MB GeoPackage, where a failed transaction frees
    more than a megabyte by rolling back (so the folder looks fine afterwards)."""
    from gasnet.cli import main
    from gasnet.sample import write_sample

    d = tmp_path_factory.mktemp("city") / "s"
    write_sample(d, 6000, seed=7)
    assert main(["--config", str(d / "gasnet.toml"), "run"]) == 0
    return d


@pytest.mark.parametrize("fraction", [0.5, 0.85])
def test_a_file_size_limit_at_realistic_sizes(city, fraction):
    gpkg = city / "processed" / "gasnet.gpkg"
    before = _digest(gpkg)
    limit = int(gpkg.stat().st_size * fraction)
    line = one_clear_error(run_cli("--config", city / "gasnet.toml", "run", fsize=limit))
    assert f"{gpkg}: cannot write the GeoPackage (File too large" in line
    assert f"the file size limit is {limit} bytes" in line and "ulimit -f" in line
    assert _digest(gpkg) == before and _leftovers(gpkg.parent) == []


@pytest.mark.parametrize("fraction", [1.6, 2.0, 2.04, 2.1])
def test_a_full_disk_at_realistic_sizes(city, tmp_path, fraction):
    gpkg = city / "processed" / "gasnet.gpkg"
    saved = tmp_path / "saved.gpkg"
    shutil.copy2(gpkg, saved)
    size_k = int(gpkg.stat().st_size * fraction) // 4096 * 4
    res = tmp_path / "res"
    res.mkdir()
    result = in_mount_namespace(
        textwrap.dedent(
            f"""\
            set -e
            mount -t tmpfs -o size={size_k}k tmpfs {gpkg.parent}
            cp {saved} {gpkg}
            set +e
            {sys.executable} -c '{CLI}' --config {city / "gasnet.toml"} run \\
                > /dev/null 2> {res}/err
            echo $? > {res}/rc
            sha256sum {gpkg} | cut -d' ' -f1 > {res}/sha
            ls -A {gpkg.parent} > {res}/ls
            """
        )
    )
    assert result.returncode == 0, result.stderr
    line = one_clear_error(int((res / "rc").read_text()), (res / "err").read_text())
    assert "cannot write the GeoPackage (No space left on device" in line
    assert (res / "sha").read_text().strip() == _digest(saved)
    assert (res / "ls").read_text().split() == ["gasnet.gpkg"]


def test_gdal_words_for_a_full_disk_are_a_full_disk(built, cli, monkeypatch):
    from pyogrio.errors import FeatureError

    def full(*args, **kwargs):
        raise FeatureError(
            "Could not add feature to layer at index 21833: failed to execute insert : "
            "database or disk is full"
        )

    before = _digest(built.gpkg)
    monkeypatch.setattr(store.pyogrio, "write_dataframe", full)
    line = one_clear_error(*cli("--config", built.config, "run")[::2])
    assert "cannot write the GeoPackage (No space left on device)" in line
    assert _digest(built.gpkg) == before and _leftovers(built.gpkg.parent) == []


# -- B4: symbolic link loops in the config's paths -----------------------------------------------


def test_a_layer_path_that_loops_is_named(project, cli):
    pipes = project.raw / "pipes.shp"
    pipes.unlink()
    pipes.symlink_to(pipes.name)
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert f"[layers.pipes] path {pipes} is a symbolic link that loops" in line


def test_an_output_dir_that_loops_is_named(project, cli):
    (project.root / "out").symlink_to("out")
    line = one_clear_error(*cli("--config", project.config, "run")[::2])
    assert "[output] dir" in line and "is a symbolic link that loops" in line


# -- A7, C11, B6: gasnet sample ------------------------------------------------------------------


def test_sample_refuses_a_folder_holding_a_project(built, cli):
    before = {p: _digest(p) for p in [built.config, *built.raw.iterdir()]}
    line = one_clear_error(*cli("sample", "--out", built.root, "--pipes", "300")[::2])
    assert f"{built.root}: already holds a project (gasnet.toml)" in line
    built.config.unlink()  # raw data alone is refused too
    del before[built.config]
    line = one_clear_error(*cli("sample", "--out", built.root, "--pipes", "300")[::2])
    assert f"{built.raw}: already holds data" in line
    assert {p: _digest(p) for p in before} == before


def test_sample_into_a_fresh_or_empty_folder(tmp_path, cli):
    (tmp_path / "empty" / "raw").mkdir(parents=True)
    for out in (tmp_path / "empty", tmp_path / "new"):
        code, _, err = cli("sample", "--out", out, "--pipes", "300")
        assert code == 0, err
        assert sorted(os.listdir(out)) == ["gasnet.toml", "raw"]


def test_sample_under_a_file_size_limit_leaves_nothing(tmp_path):
    """GDAL cut customers.dbf at the limit and reported success: a sample silently short."""
    out = tmp_path / "s"
    line = one_clear_error(run_cli("sample", "--out", out, "--pipes", "3000", fsize=300_000))
    assert f"{out}: cannot write the sample (File too large" in line
    assert not out.exists()


def test_sample_on_a_full_disk_leaves_nothing(tmp_path):
    res = tmp_path / "res"
    res.mkdir()
    disk = tmp_path / "disk"
    disk.mkdir()
    result = in_mount_namespace(
        textwrap.dedent(
            f"""\
            mount -t tmpfs -o size=1m tmpfs {disk}
            mkdir {disk}/s
            {sys.executable} -c '{CLI}' sample --out {disk}/s --pipes 3000 2> {res}/err
            echo $? > {res}/rc
            ls -A {disk}/s > {res}/ls
            """
        )
    )
    assert result.returncode == 0, result.stderr
    line = one_clear_error(int((res / "rc").read_text()), (res / "err").read_text())
    assert "cannot write the sample (No space left on device" in line
    assert (res / "ls").read_text().split() == []


def test_sample_with_too_many_pipes_is_refused(tmp_path):
    result = run_cli("sample", "--out", tmp_path / "s", "--pipes", "1000000000000", memory=2 << 30)
    line = one_clear_error(result)
    assert "--pipes 1000000000000: a sample has at most 20,000,000 pipes" in line
    assert not (tmp_path / "s").exists()


def test_write_sample_refuses_too(built):
    from gasnet.sample import write_sample

    with pytest.raises(OutputError, match="already holds a project"):
        write_sample(built.root, 300)
